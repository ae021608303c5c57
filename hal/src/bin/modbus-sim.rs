//! `modbus-sim`: one simulated connector's Modbus devices on loopback, from device profiles.
//!
//! Power modules behind a gateway (unit ids 1..=N) on the base port, the DC meter on base+1,
//! the insulation monitor on base+2 and the cooling unit on base+3, coupled electrically (see
//! `hal::sim::modbus::connector`). With `--base-port 0` every device gets a free port. Prints
//! one line per device (`<role> <address>`) once all are listening, then runs until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use charger_hal::profile::Profile;
use charger_hal::sim::modbus::connector::{serve_connector, ConnectorSpec};
use charger_hal::sim::modbus::BatteryLoad;

const USAGE: &str = "usage: modbus-sim [--profiles DIR] [--modules N] [--host IP] \
[--base-port PORT] [--tick-ms MS]\n\
defaults: --profiles configs/devices --modules 2 --host 127.0.0.1 --base-port 5020 --tick-ms 10";

struct Args {
    profiles: PathBuf,
    modules: u8,
    host: IpAddr,
    base_port: u16,
    tick: Duration,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        profiles: PathBuf::from("configs/devices"),
        modules: 2,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        base_port: 5020,
        tick: Duration::from_millis(10),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--profiles" => a.profiles = PathBuf::from(value()?),
            "--modules" => {
                let v = value()?;
                a.modules = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=247).contains(n))
                    .ok_or(format!("--modules {v}: a unit count 1..=247"))?;
            }
            "--host" => {
                let v = value()?;
                a.host = v
                    .parse()
                    .map_err(|_| format!("--host {v}: not an IP address"))?;
            }
            "--base-port" => {
                let v = value()?;
                a.base_port = v
                    .parse()
                    .ok()
                    .filter(|p: &u16| *p == 0 || *p <= u16::MAX - 3)
                    .ok_or(format!(
                        "--base-port {v}: 0 or a port leaving room for 3 more"
                    ))?;
            }
            "--tick-ms" => {
                let v = value()?;
                let ms: u64 = v
                    .parse()
                    .ok()
                    .filter(|ms| (1..=1000).contains(ms))
                    .ok_or(format!("--tick-ms {v}: 1..=1000"))?;
                a.tick = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn load(dir: &std::path::Path, name: &str) -> Result<Arc<Profile>, String> {
    Profile::load(&dir.join(name))
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let port = |offset: u16| {
        let p = if args.base_port == 0 {
            0
        } else {
            args.base_port.saturating_add(offset)
        };
        SocketAddr::new(args.host, p)
    };
    let dir = &args.profiles;
    let profiles = (|| {
        Ok::<_, String>((
            load(dir, "power-module-30kw-modbus.toml")?,
            load(dir, "dc-meter-modbus.toml")?,
            load(dir, "insulation-monitor-modbus.toml")?,
            load(dir, "cooling-unit-hpc-modbus.toml")?,
        ))
    })();
    let (module, meter, imd, cooling) = match profiles {
        Ok(p) => p,
        Err(e) => {
            eprintln!("modbus-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let spec = ConnectorSpec {
        module_profile: module,
        modules: args.modules,
        meter_profile: meter,
        imd_profile: imd,
        cooling_profile: cooling,
        modules_addr: port(0),
        meter_addr: port(1),
        imd_addr: port(2),
        cooling_addr: port(3),
        battery: BatteryLoad::default(),
        droop_ohm: 0.05,
        tick: args.tick,
    };
    let sim = match serve_connector(spec).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("modbus-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "power_module {} units 1..={}",
        sim.modules.addr(),
        args.modules
    );
    println!("dc_meter {}", sim.meter.addr());
    println!("insulation_monitor {}", sim.imd.addr());
    println!("cooling_unit {}", sim.cooling.addr());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("modbus-sim: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
