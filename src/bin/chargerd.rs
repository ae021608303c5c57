//! chargerd: the charge controller daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use chargerd::config::{Config, DEFAULT_CONFIG_PATH};
use clap::Parser;

/// Exit status for a configuration error (sysexits EX_CONFIG): systemd shows it, and a restart
/// loop will not fix it.
const EXIT_CONFIG: u8 = 78;

#[derive(Debug, Parser)]
#[command(
    name = "chargerd",
    version,
    about = "Charge controller for high-power DC truck chargers"
)]
struct Args {
    /// Configuration file (TOML). Drop-ins in FILE.d/*.toml are merged over it in lexical
    /// order, CHARGERD_SECTION__KEY environment variables over those, and systemd credentials
    /// ($CREDENTIALS_DIRECTORY) over everything for the secrets they carry.
    #[arg(long, default_value = DEFAULT_CONFIG_PATH)]
    config: PathBuf,
    /// Validate the configuration and exit.
    #[arg(long)]
    check_config: bool,
    /// Open every device the configuration names (GPIO chips and lines, IIO channels, CAN
    /// interfaces, serial ports, Modbus peers), without driving any output or writing any
    /// register, and report each one that is missing or inaccessible by file and key. Exits 1
    /// when one is.
    #[arg(long, conflicts_with = "check_config")]
    probe: bool,
    /// With --probe: probe even though a chargerd answers on the control socket (its serial
    /// buses would carry the probe's requests between its own, and its lines show as held).
    #[arg(long, requires = "probe")]
    force: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // The running daemon sets a broken [ocpp] section aside (it never stops local charging);
    // --check-config reports it.
    let loaded = if args.check_config || args.probe {
        Config::load(&args.config)
    } else {
        Config::load_for_daemon(&args.config)
    };
    // Logging starts once the configuration says where the own log file goes (configuration
    // errors are printed on stderr either way); --check-config writes no log file.
    let log_file = match (&loaded, args.check_config || args.probe) {
        (Ok(cfg), false) => cfg
            .log
            .file_settings(std::env::var("LOGS_DIRECTORY").ok().as_deref()),
        _ => None,
    };
    chargerd::logging::init(log_file);
    let cfg = match loaded {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("chargerd: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if args.check_config {
        return match chargerd::daemon::check(&cfg, &args.config) {
            Ok(()) => {
                println!("{}: configuration is valid", args.config.display());
                // What was merged over it, in order (the load above read the same list).
                for drop_in in chargerd::config::drop_ins(&args.config).unwrap_or_default() {
                    println!("  with drop-in {}", drop_in.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("chargerd: configuration error: {e}");
                ExitCode::from(EXIT_CONFIG)
            }
        };
    }
    if args.probe {
        // A running daemon owns the buses: the probe's requests would interleave with its own
        // on an RS-485 line, and a root probe gets past the port's exclusive open.
        if !args.force
            && std::os::unix::net::UnixStream::connect(&cfg.station.control_socket).is_ok()
        {
            eprintln!(
                "chargerd: a chargerd is running (its control socket {} answers): stop it \
                 first (systemctl stop chargerd), or probe anyway with --force",
                cfg.station.control_socket.display()
            );
            return ExitCode::FAILURE;
        }
        return probe(&cfg, &args.config);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chargerd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(chargerd::daemon::run(cfg, args.config.clone()));
    // The log thread's queue would be lost with the process.
    chargerd::logging::flush(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ chargerd::daemon::DaemonError::Config(_)) => {
            eprintln!("chargerd: configuration error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            tracing::error!(error = %e, "chargerd failed");
            eprintln!("chargerd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--probe`: the report on stdout; 1 when something could not be opened.
fn probe(cfg: &Config, file: &std::path::Path) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chargerd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let gpio = std::sync::Arc::new(charger_hal::gpio::cdev::CdevBackend);
    let report = runtime.block_on(chargerd::probe::probe(cfg, file, gpio));
    print!("{}", report.render());
    if report.failed().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
