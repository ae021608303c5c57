//! `modbus-sim`: simulated connectors' Modbus devices on loopback, from device profiles.
//!
//! Per connector: power modules behind a gateway (unit ids 1..=N) on the base port, the DC
//! meter on base+1, the insulation monitor on base+2 and the cooling unit on base+3, coupled
//! electrically (see `hal::sim::modbus::connector`). With `--connectors C`, connector k
//! (1-based) takes the four ports from base+4(k-1); each is its own plant. With
//! `--base-port 0` every device gets a free port. Prints one line per device
//! (`<role> <address>`, connector by connector, each group of four after a `connector <k>`
//! line when there is more than one) once all are listening, then runs until Ctrl-C.
//!
//! With `--io-module PROFILE` it also serves one I/O module (a profile of role `io_module`) on
//! `--io-port` (default 5019; 0 for a free port), printed as `io_module <address>`. Its input
//! terminals are driven from standard input, one `<point> <value>` per line (`di3 on`,
//! `ai2 7.25`); its relays follow the coils chargerd writes, and drop on the profile's
//! communication timeout. `wire do1 di3` makes input di3 follow relay do1 (a contactor's
//! auxiliary contact on a bench without the contactor), `unwire di3` cuts it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use charger_hal::profile::Profile;
use charger_hal::sim::modbus::connector::{serve_connector, ConnectorSpec};
use charger_hal::sim::modbus::server::{serve, SimServer};
use charger_hal::sim::modbus::{BatteryLoad, IoModulePlant, SimDevice};

const USAGE: &str =
    "usage: modbus-sim [--profiles DIR] [--connectors C] [--modules N] [--host IP] \
[--base-port PORT] [--tick-ms MS] [--io-module PROFILE [--io-port PORT]]\n\
defaults: --profiles configs/devices --connectors 1 --modules 2 --host 127.0.0.1 --base-port 5020 \
--tick-ms 10 --io-port 5019\n\
with --io-module, standard input drives its inputs: one `<point> <value>` per line (di3 on, ai2 7.25);\n\
`wire <relay> <input>` makes an input follow a relay (an auxiliary contact: wire do1 di3), `unwire <input>` cuts it";

/// Ports per connector: the modules' gateway, the meter, the insulation monitor, the cooling
/// unit.
const PORTS_PER_CONNECTOR: u16 = 4;

struct Args {
    profiles: PathBuf,
    connectors: u16,
    modules: u8,
    host: IpAddr,
    base_port: u16,
    tick: Duration,
    io_module: Option<PathBuf>,
    io_port: u16,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        profiles: PathBuf::from("configs/devices"),
        connectors: 1,
        modules: 2,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        base_port: 5020,
        tick: Duration::from_millis(10),
        io_module: None,
        io_port: 5019,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--profiles" => a.profiles = PathBuf::from(value()?),
            "--connectors" => {
                let v = value()?;
                a.connectors = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or(format!("--connectors {v}: a connector count 1..=256"))?;
            }
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
                    .map_err(|_| format!("--base-port {v}: a port 0..=65535"))?;
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
            "--io-module" => a.io_module = Some(PathBuf::from(value()?)),
            "--io-port" => {
                let v = value()?;
                a.io_port = v
                    .parse()
                    .map_err(|_| format!("--io-port {v}: a port 0..=65535"))?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    // Checked after every flag: the room needed depends on --connectors.
    let ports = u32::from(a.connectors) * u32::from(PORTS_PER_CONNECTOR);
    if a.base_port != 0 && u32::from(a.base_port) + ports - 1 > u32::from(u16::MAX) {
        return Err(format!(
            "--base-port {}: 0 or a port leaving room for {} more",
            a.base_port,
            ports - 1
        ));
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
    // Held until Ctrl-C: dropping a connector stops its servers.
    let mut running = Vec::with_capacity(usize::from(args.connectors));
    for k in 0..args.connectors {
        // parse() checked that the last port fits.
        let port = |offset: u16| {
            let p = if args.base_port == 0 {
                0
            } else {
                args.base_port
                    .saturating_add(k.saturating_mul(PORTS_PER_CONNECTOR))
                    .saturating_add(offset)
            };
            SocketAddr::new(args.host, p)
        };
        let spec = ConnectorSpec {
            module_profile: module.clone(),
            modules: args.modules,
            meter_profile: meter.clone(),
            imd_profile: imd.clone(),
            cooling_profile: cooling.clone(),
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
                eprintln!("modbus-sim: connector {}: {e}", k + 1);
                return ExitCode::FAILURE;
            }
        };
        if args.connectors > 1 {
            println!("connector {}", k + 1);
        }
        println!(
            "power_module {} units 1..={}",
            sim.modules.addr(),
            args.modules
        );
        println!("dc_meter {}", sim.meter.addr());
        println!("insulation_monitor {}", sim.imd.addr());
        println!("cooling_unit {}", sim.cooling.addr());
        running.push(sim);
    }
    let _io_module = match &args.io_module {
        Some(path) => {
            match serve_io_module(path, SocketAddr::new(args.host, args.io_port), args.tick).await {
                Ok(sim) => {
                    println!("io_module {}", sim.addr());
                    Some(sim)
                }
                Err(e) => {
                    eprintln!("modbus-sim: --io-module {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("modbus-sim: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Serve the I/O module of `profile` on `addr`, its inputs driven by the lines of standard
/// input (read by a thread of its own, so that a closed stdin stops nothing but the input).
async fn serve_io_module(
    profile: &std::path::Path,
    addr: SocketAddr,
    tick: Duration,
) -> Result<SimServer<IoModulePlant>, String> {
    let profile = Profile::load(profile)
        .map(Arc::new)
        .map_err(|e| e.to_string())?;
    let plant = IoModulePlant::new(&profile);
    let device = SimDevice::new(profile, plant).map_err(|e| e.to_string())?;
    let sim = serve(device, addr, tick).await.map_err(|e| e.to_string())?;
    let handle = sim.handle();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if let Err(e) = handle.with(|d| d.plant_mut().apply_command(&line)) {
                eprintln!("modbus-sim: io_module: {e}");
            }
        }
    });
    Ok(sim)
}
