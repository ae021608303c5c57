//! Writes the typed OCPP messages of both versions from the embedded schemas
//! (`charger_protocol::ocpp::codegen`): `cargo run -p charger-protocol --bin ocpp-codegen`.
//! `--check` writes nothing and fails if a checked-in file is not what the schemas give.

use std::path::Path;
use std::process::ExitCode;

use charger_protocol::ocpp::codegen::{generate, target_file};
use charger_protocol::ocpp::OcppVersion;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("ocpp-codegen: unknown argument {other:?}; usage: ocpp-codegen [--check]");
            return ExitCode::from(2);
        }
    };
    let mut stale = false;
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let source = match generate(version) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ocpp-codegen: {e}");
                return ExitCode::FAILURE;
            }
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(target_file(version));
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == source {
            println!("{}: up to date", path.display());
        } else if check {
            println!("{}: differs from the schemas", path.display());
            stale = true;
        } else if let Err(e) = std::fs::write(&path, &source) {
            eprintln!("ocpp-codegen: {}: {e}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("{}: written", path.display());
        }
    }
    if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
