//! chargerd-evsim: a CHAdeMO or GB/T truck in its own process, charging at a running chargerd
//! whose connector's CAN is a cannelloni UDP link (see `configs/sim-external.toml`).
//!
//! Logs go to stderr (`RUST_LOG`); the summary to stdout, as JSON with `--json`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use charger_hal::TruckSpec;
use chargerd::evsim::{self, Edition, Options, Protocol, ScheduledFault};
use clap::{Parser, ValueEnum};

const DEFAULT_SOCKET: &str = "/run/chargerd/control.sock";

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProtocolArg {
    Chademo,
    Gbt,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EditionArg {
    #[value(name = "2015")]
    V2015,
    #[value(name = "2011")]
    V2011,
}

#[derive(Debug, Parser)]
#[command(
    name = "chargerd-evsim",
    version,
    about = "Play a CHAdeMO or GB/T truck against a running chargerd over a cannelloni UDP CAN link",
    after_help = "Example, against configs/sim-external.toml:\n  \
        chargerd-evsim --socket run/control.sock --protocol gbt --connector 1 \\\n    \
        --bind 127.0.0.1:20101 --peer 127.0.0.1:20001 --soc 78 --target-soc 80 --capacity-kwh 5\n\n\
        Exit status: 0 when the charger ended the session, 1 on an error or --timeout, 130 when \
        interrupted."
)]
struct Cli {
    /// Vehicle protocol; must match the connector's.
    #[arg(long, value_enum)]
    protocol: ProtocolArg,
    /// The connector to plug into.
    #[arg(long)]
    connector: u32,
    /// The daemon's read-only control socket.
    #[arg(long, env = "CHARGERCTL_SOCKET", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// The daemon's admin socket (the inlet is driven through it); default: admin.sock next
    /// to --socket.
    #[arg(long, env = "CHARGERCTL_ADMIN_SOCKET")]
    admin_socket: Option<PathBuf>,
    /// Local UDP address of the simulator's cannelloni port (the connector's `can.peer`).
    #[arg(long)]
    bind: SocketAddr,
    /// The daemon's cannelloni address for this connector (its `can.bind`).
    #[arg(long)]
    peer: SocketAddr,
    /// State of charge at plug-in, %.
    #[arg(long, default_value_t = TruckSpec::default().soc_percent)]
    soc: f32,
    /// State of charge at which the truck asks to stop, %.
    #[arg(long, default_value_t = TruckSpec::default().target_soc_percent)]
    target_soc: f32,
    /// Battery capacity, kWh.
    #[arg(long, default_value_t = TruckSpec::default().capacity_kwh)]
    capacity_kwh: f32,
    /// Highest battery voltage, V.
    #[arg(long, default_value_t = TruckSpec::default().max_voltage)]
    max_voltage: f32,
    /// Highest current the truck requests, A.
    #[arg(long, default_value_t = TruckSpec::default().max_current)]
    max_current: f32,
    /// GB/T 27930 edition of the BMS (GB/T only) [default: 2015].
    #[arg(long, value_enum)]
    edition: Option<EditionArg>,
    /// AT_SECONDS:KIND, seconds after start; KIND is can-silent, vehicle-fault, vehicle-stop,
    /// vehicle-pause (GB/T), clear or unplug. Repeatable.
    #[arg(long = "fault", value_name = "AT_SECONDS:KIND", value_parser = parse_fault)]
    faults: Vec<ScheduledFault>,
    /// Give up after this many seconds (exit status 1).
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Period of the simulation loop, ms.
    #[arg(long, default_value_t = 10)]
    step_ms: u64,
    /// Socket poll period between steps, µs: the resolution of the arrival times the jitter
    /// figures are measured from.
    #[arg(long, default_value_t = 1000)]
    poll_us: u64,
    /// Leave the truck plugged in when the session is over.
    #[arg(long)]
    stay_plugged: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_fault(s: &str) -> Result<ScheduledFault, String> {
    s.parse()
}

impl Cli {
    fn options(&self) -> Result<Options, String> {
        let protocol = match self.protocol {
            ProtocolArg::Chademo => Protocol::Chademo,
            ProtocolArg::Gbt => Protocol::Gbt,
        };
        let edition = match (protocol, self.edition) {
            (Protocol::Chademo, Some(_)) => {
                return Err("--edition is for GB/T trucks only".into());
            }
            (_, Some(EditionArg::V2011)) => Edition::V2011,
            _ => Edition::V2015,
        };
        let timeout = match self.timeout {
            None => None,
            Some(t) if t.is_finite() && t > 0.0 && t <= 1e7 => Some(Duration::from_secs_f64(t)),
            Some(t) => {
                return Err(format!(
                    "--timeout {t} must be a positive number of seconds"
                ))
            }
        };
        Ok(Options {
            protocol,
            edition,
            connector: self.connector,
            socket: self.socket.clone(),
            admin_socket: self
                .admin_socket
                .clone()
                .unwrap_or_else(|| chargerd::control::admin_socket_beside(&self.socket)),
            bind: self.bind,
            peer: self.peer,
            spec: TruckSpec {
                soc_percent: self.soc,
                target_soc_percent: self.target_soc,
                capacity_kwh: self.capacity_kwh,
                max_voltage: self.max_voltage,
                max_current: self.max_current,
            },
            faults: self.faults.clone(),
            timeout,
            step: Duration::from_millis(self.step_ms),
            poll: Duration::from_micros(self.poll_us),
            stay_plugged: self.stay_plugged,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let opts = match cli.options() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("chargerd-evsim: {e}");
            return ExitCode::from(2);
        }
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&interrupted));
    match evsim::run(&opts, &interrupted) {
        Ok(summary) => {
            if cli.json {
                match serde_json::to_string_pretty(&summary) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("chargerd-evsim: cannot write the summary: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{summary}");
            }
            ExitCode::from(summary.exit_code())
        }
        Err(evsim::EvsimError::Usage(e)) => {
            eprintln!("chargerd-evsim: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("chargerd-evsim: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGINT and SIGTERM end the run cleanly (unplug, summary) instead of killing it: a truck
/// that vanishes mid-session only goes stale after 2 s at the daemon.
fn watch_signals(flag: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            use tokio::signal::unix::{signal, SignalKind};
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!(error = %e, "no signal handling");
                    return;
                }
            };
            runtime.block_on(async {
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    tracing::warn!("no signal handling");
                    return;
                };
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                flag.store(true, Ordering::Relaxed);
            });
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no signal handling");
    }
}

/// Logs to stderr, so that stdout carries only the summary.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
