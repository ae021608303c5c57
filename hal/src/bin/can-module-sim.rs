//! `can-module-sim`: power modules on a CAN bus tunnelled over cannelloni (UDP), from a CAN
//! profile.
//!
//! Modules at addresses `--first-address`.. (one per `--modules`), in parallel into one battery
//! (`ParallelBus`: slew, rating, derating, droop), answering the profile's polls and obeying its
//! commands on a cannelloni port bound to `--bind` and talking to `--peer` (the station's
//! port). Prints one line once listening, then runs until Ctrl-C. `--fault AT:ADDRESS:KIND`
//! (repeatable) injects a communication fault AT seconds after start: `deaf`, `mute`,
//! `garbage`, or `clear`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use charger_hal::can::cannelloni::CannelloniPort;
use charger_hal::profile::can::CanProfile;
use charger_hal::sim::can_module::{CanModuleSim, CanModuleSimServer, CanSimFault};
use charger_hal::sim::modbus::{BatteryLoad, ModuleRating};

const USAGE: &str = "usage: can-module-sim --bind IP:PORT --peer IP:PORT [--profile FILE] \
[--modules N] [--first-address A] [--tick-ms MS] [--fault AT_SECONDS:ADDRESS:KIND]...\n\
fault kinds: deaf, mute, garbage, clear\n\
defaults: --profile configs/devices/power-module-infy-can.toml --modules 2 --first-address 1 \
--tick-ms 5";

struct Args {
    profile: PathBuf,
    modules: u32,
    first: u32,
    bind: SocketAddr,
    peer: SocketAddr,
    tick: Duration,
    faults: Vec<(Duration, u32, Option<CanSimFault>)>,
}

fn parse_fault(v: &str) -> Result<(Duration, u32, Option<CanSimFault>), String> {
    let bad = || format!("--fault {v}: AT_SECONDS:ADDRESS:KIND (deaf, mute, garbage, clear)");
    let mut parts = v.split(':');
    let (Some(at), Some(address), Some(kind), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let at: f64 = at
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && (0.0..=86_400.0).contains(s))
        .ok_or_else(bad)?;
    let address: u32 = address.parse().map_err(|_| bad())?;
    let kind = match kind {
        "deaf" => Some(CanSimFault::Deaf),
        "mute" => Some(CanSimFault::Mute),
        "garbage" => Some(CanSimFault::Garbage),
        "clear" => None,
        _ => return Err(bad()),
    };
    Ok((Duration::from_secs_f64(at), address, kind))
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut profile = PathBuf::from("configs/devices/power-module-infy-can.toml");
    let (mut modules, mut first, mut tick) = (2u32, 1u32, Duration::from_millis(5));
    let (mut bind, mut peer) = (None, None);
    let mut faults = Vec::new();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--profile" => profile = PathBuf::from(value()?),
            "--modules" => {
                let v = value()?;
                modules = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or(format!("--modules {v}: 1..=64"))?;
            }
            "--first-address" => {
                let v = value()?;
                first = v
                    .parse()
                    .map_err(|_| format!("--first-address {v}: a number"))?;
            }
            "--bind" | "--peer" => {
                let v = value()?;
                let addr: SocketAddr = v
                    .parse()
                    .map_err(|_| format!("{flag} {v}: not an IP:PORT"))?;
                if flag == "--bind" {
                    bind = Some(addr);
                } else {
                    peer = Some(addr);
                }
            }
            "--tick-ms" => {
                let v = value()?;
                let ms: u64 = v
                    .parse()
                    .ok()
                    .filter(|ms| (1..=1000).contains(ms))
                    .ok_or(format!("--tick-ms {v}: 1..=1000"))?;
                tick = Duration::from_millis(ms);
            }
            "--fault" => faults.push(parse_fault(&value()?)?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        profile,
        modules,
        first,
        bind: bind.ok_or(format!("--bind is required\n{USAGE}"))?,
        peer: peer.ok_or(format!("--peer is required\n{USAGE}"))?,
        tick,
        faults,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let profile = match CanProfile::load(&args.profile) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("can-module-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addresses: Vec<u32> = (0..args.modules)
        .map(|i| args.first.saturating_add(i))
        .collect();
    let sim = match CanModuleSim::new(
        profile,
        &addresses,
        ModuleRating::default(),
        BatteryLoad::default(),
        0.05,
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("can-module-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = match CannelloniPort::open(args.bind, args.peer) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("can-module-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = port.local_addr();
    let server = match CanModuleSimServer::spawn(port, sim, args.tick) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("can-module-sim: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "power_module can {local} peer {} addresses {}..={}",
        args.peer,
        args.first,
        addresses.last().copied().unwrap_or(args.first)
    );
    for (at, address, kind) in args.faults {
        if !addresses.contains(&address) {
            eprintln!("can-module-sim: --fault names address {address}, which is not simulated");
            return ExitCode::from(2);
        }
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            tokio::time::sleep(at).await;
            server.with_sim(|s| s.set_fault(address, kind));
            // Whoever started us may have stopped reading: not a reason to die.
            let _ = writeln!(std::io::stdout(), "fault {address} {kind:?}");
        });
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("can-module-sim: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
