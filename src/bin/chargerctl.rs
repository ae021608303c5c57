//! chargerctl: the technician's tool. Talks to chargerd over its control socket; human tables
//! by default, `--json` for scripts.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use charger_hal::{SimCommand, SimFault, TruckSpec};
use chargerd::control::client::{Client, ClientError};
use chargerd::control::{admin_socket_beside, Access, Request, Response, StationStatus};
use chargerd::runtime::ConnectorView;
use chargerd::station::CommandOutcome;
use chargerd::store::SessionRecord;
use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};

const DEFAULT_SOCKET: &str = "/run/chargerd/control.sock";

#[derive(Debug, Parser)]
#[command(
    name = "chargerctl",
    version,
    about = "Control and inspect a running chargerd"
)]
struct Cli {
    /// The daemon's read-only control socket (status, sessions, ocpp, config get).
    #[arg(long, global = true, env = "CHARGERCTL_SOCKET", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// The daemon's admin socket (start, stop, availability, config set, sim); default:
    /// admin.sock next to --socket.
    #[arg(long, global = true, env = "CHARGERCTL_ADMIN_SOCKET")]
    admin_socket: Option<PathBuf>,
    /// Print the daemon's answer as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Station and connector status.
    Status {
        /// Refresh until interrupted.
        #[arg(long)]
        watch: bool,
        /// Refresh period in seconds, with --watch.
        #[arg(long, default_value_t = 1.0)]
        interval: f64,
    },
    /// The module pool: each module's state, the matrix contactors, each output's modules.
    Modules,
    /// Every configured device: its link, the age of its last reading, its error counts.
    Devices,
    /// Thermal derating per connector with a cooling unit: each sensor and its validity, the
    /// hottest pin, target, limit, controller state, pump and fan.
    Thermal,
    /// Recent sessions from the journal, newest first.
    Sessions {
        /// How many sessions to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Authorize and start a session on a connector.
    Start {
        /// Connector number (as in the configuration).
        connector: u32,
        /// Who charges (RFID tag, fleet card, VIN); needed unless authorization is free.
        #[arg(long)]
        id_tag: Option<String>,
    },
    /// Stop the session on a connector.
    Stop {
        /// Connector number.
        connector: u32,
    },
    /// Make a connector operative or inoperative (scheduled if a session runs).
    Availability {
        /// Connector number.
        connector: u32,
        /// The state to go to.
        #[arg(value_parser = ["operative", "inoperative"])]
        state: String,
    },
    /// Board I/O for commissioning: every configured line with its live state and its
    /// source's last error, and every device; `hw set` drives an output by hand.
    Hw {
        #[command(subcommand)]
        action: Option<HwCmd>,
    },
    /// Drive the built-in simulator.
    #[command(subcommand)]
    Sim(SimCmd),
    /// The OCPP link: state, URL, security profile, registration, outbox depth, last messages.
    Ocpp,
    /// Read or change OCPP configuration keys (as the CSMS would, persisted).
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Station metrics in the Prometheus text format 0.0.4 (node_exporter's textfile
    /// collector): per connector current, voltage, power, energy, offered current, the binding
    /// limit with its source; the OCPP link and its outbox.
    Metrics {
        /// Write them to this file instead of standard output, atomically (a temporary file
        /// renamed over it, mode 0644), e.g. /var/lib/node_exporter/textfile/chargerd.prom.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script, e.g. `chargerctl completions bash >
    /// /usr/share/bash-completion/completions/chargerctl`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), e.g. `chargerctl man | man -l -`: chargerctl(1), or with a
    /// command the page chargerctl(1) refers to for it, chargerctl-COMMAND(1).
    Man {
        /// The command whose page to print (e.g. metrics); none: chargerctl(1).
        command: Option<String>,
        /// Print the names of the commands that have a page, one a line (for packaging).
        #[arg(long, conflicts_with = "command")]
        list_commands: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Show keys: all, or the ones named.
    Get {
        /// OCPP key names (e.g. HeartbeatInterval); none: every key.
        keys: Vec<String>,
    },
    /// Change a key (checked like a ChangeConfiguration from the CSMS, ranges included).
    Set {
        /// OCPP key name (e.g. MeterValueSampleInterval).
        key: String,
        /// The new value, as OCPP writes it (seconds, true/false, comma-separated lists).
        value: String,
    },
}

#[derive(Debug, Subcommand)]
enum SimCmd {
    /// Plug a simulated truck into a connector.
    Plug {
        /// Connector number.
        connector: u32,
        /// State of charge at plug-in, %.
        #[arg(long, default_value_t = 20.0)]
        soc: f32,
        /// State of charge at which the truck stops charging, %.
        #[arg(long, default_value_t = 80.0)]
        target_soc: f32,
        /// Usable battery capacity, kWh.
        #[arg(long, default_value_t = 350.0)]
        capacity_kwh: f32,
        /// Highest battery voltage, V.
        #[arg(long, default_value_t = 750.0)]
        max_voltage: f32,
        /// Highest current the truck requests, A.
        #[arg(long, default_value_t = 250.0)]
        max_current: f32,
    },
    /// Unplug the simulated truck.
    Unplug {
        /// Connector number.
        connector: u32,
    },
    /// Inject a fault into the simulated plant or truck (`vehicle-pause`: GB/T only; `sim
    /// clear` resumes; `meter-*`: connectors with a DC meter; `imd-silent`, `cooling-silent`:
    /// the device stops answering, on a connector with `simulate_devices` its Modbus device;
    /// `pin-sensor-open`, `pump-degraded`, `coolant-inlet-step`: the connector's simulated
    /// cooling unit; `contactor-welded`, `contactor-stuck-open`, `lock-jammed`,
    /// `lock-feedback-lost`, `io-stale`: the board I/O, whose latched faults also need
    /// `availability N operative` after `sim clear`).
    Fault {
        /// Connector number.
        connector: u32,
        /// What fails.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(SimFault::ALL.map(SimFault::name))
            .try_map(|s: String| s.parse::<SimFault>()))]
        kind: SimFault,
    },
    /// Clear injected faults.
    Clear {
        /// Connector number.
        connector: u32,
    },
    /// Set the ambient air temperature around the connector's simulated cooling unit.
    Ambient {
        /// Connector number.
        connector: u32,
        /// Ambient temperature, °C (-30 to 60).
        #[arg(allow_negative_numbers = true)]
        celsius: f32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chargerctl: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Subcommand)]
enum HwCmd {
    /// Drive an output line of a connector by hand, or hand it back to the station. Only on a
    /// connector made Inoperative (`chargerctl availability N inoperative`), without a
    /// session and with its output below 60 V; the station's rules still hold (no contactor
    /// closes before the lock reports locked, an emergency stop opens them). Asks for the
    /// connector number as confirmation unless --yes.
    Set {
        /// Connector number.
        connector: u32,
        /// The line: contactors, connector_lock, d1, d2, aux_power, aux_supply_24v, bleeder,
        /// imd_connected.
        line: String,
        /// `on`, `off`, or `release` (back to the station).
        #[arg(value_parser = ["on", "off", "release"])]
        level: String,
        /// Do not ask for confirmation (scripts; you have checked the connector is safe).
        #[arg(long)]
        yes: bool,
    },
    /// Show a connector's CAN frames live, both ways, decoded (CHAdeMO frames, GB/T
    /// messages; multi-packet GB/T messages as their transport frames), until Ctrl-C.
    CanDump {
        /// Connector number.
        connector: u32,
        /// Stop after this many frames.
        #[arg(long)]
        count: Option<u64>,
    },
}

#[derive(Debug, thiserror::Error)]
enum CtlError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Daemon(String),
}

fn request_of(cmd: &Command) -> Result<Request, CtlError> {
    Ok(match cmd {
        // metrics reads the status (and the OCPP link); completions and man ask nothing.
        Command::Status { .. }
        | Command::Modules
        | Command::Devices
        | Command::Thermal
        | Command::Metrics { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => Request::Status,
        Command::Sessions { limit } => Request::Sessions { limit: *limit },
        Command::Hw { action: None } => Request::Hw,
        Command::Hw {
            action: Some(HwCmd::CanDump { connector, .. }),
        } => Request::CanDump {
            connector: *connector,
            from: None,
        },
        Command::Hw {
            action:
                Some(HwCmd::Set {
                    connector,
                    line,
                    level,
                    ..
                }),
        } => Request::HwSet {
            connector: *connector,
            line: line.clone(),
            level: match level.as_str() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
        },
        Command::Start { connector, id_tag } => Request::Start {
            connector: *connector,
            id_tag: id_tag.clone(),
        },
        Command::Stop { connector } => Request::Stop {
            connector: *connector,
        },
        Command::Availability { connector, state } => Request::Availability {
            connector: *connector,
            operative: state == "operative",
        },
        Command::Ocpp => Request::Ocpp,
        Command::Config(ConfigCmd::Get { keys }) => Request::ConfigGet { keys: keys.clone() },
        Command::Config(ConfigCmd::Set { key, value }) => Request::ConfigSet {
            key: key.clone(),
            value: value.clone(),
        },
        Command::Sim(sim) => {
            let (connector, command) = match sim {
                SimCmd::Plug {
                    connector,
                    soc,
                    target_soc,
                    capacity_kwh,
                    max_voltage,
                    max_current,
                } => (
                    *connector,
                    SimCommand::Plug(TruckSpec {
                        soc_percent: *soc,
                        target_soc_percent: *target_soc,
                        capacity_kwh: *capacity_kwh,
                        max_voltage: *max_voltage,
                        max_current: *max_current,
                    }),
                ),
                SimCmd::Unplug { connector } => (*connector, SimCommand::Unplug),
                SimCmd::Fault { connector, kind } => (*connector, SimCommand::Fault(*kind)),
                SimCmd::Clear { connector } => (*connector, SimCommand::ClearFaults),
                SimCmd::Ambient { connector, celsius } => {
                    (*connector, SimCommand::Ambient { celsius: *celsius })
                }
            };
            Request::Sim { connector, command }
        }
    })
}

/// The socket for `request`: the read-only one for reads, the admin one for the rest (one
/// table decides, `Request::access`, the same the daemon enforces).
fn socket_for(cli: &Cli, request: &Request) -> PathBuf {
    match request.access().1 {
        Access::Read => cli.socket.clone(),
        Access::Admin => cli
            .admin_socket
            .clone()
            .unwrap_or_else(|| admin_socket_beside(&cli.socket)),
    }
}

fn run(cli: &Cli) -> Result<(), CtlError> {
    // Made from the same definition as --help; they need no daemon.
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into memory first: the generator panics on a write error (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "chargerctl", &mut script);
            return std::io::stdout()
                .write_all(&script)
                .map_err(|e| CtlError::Daemon(format!("cannot write the script: {e}")));
        }
        Command::Man {
            list_commands: true,
            ..
        } => {
            for c in <Cli as clap::CommandFactory>::command().get_subcommands() {
                println!("{}", c.get_name());
            }
            return Ok(());
        }
        Command::Man {
            command: name,
            list_commands: false,
        } => {
            let mut page = Vec::new();
            manual_page(name.as_deref())?
                .render(&mut page)
                .and_then(|()| std::io::stdout().write_all(&page))
                .map_err(|e| CtlError::Daemon(format!("cannot write the manual page: {e}")))?;
            return Ok(());
        }
        _ => {}
    }
    let request = request_of(&cli.command)?;
    let socket = socket_for(cli, &request);
    if let Command::Metrics { output } = &cli.command {
        return metrics(&socket, output.as_deref());
    }
    if let Command::Status {
        watch: true,
        interval,
    } = cli.command
    {
        let period = Duration::from_secs_f64(interval.clamp(0.1, 3600.0));
        let terminal = std::io::stdout().is_terminal();
        loop {
            // A connection per refresh: the daemon closes connections idle for 30 s
            // (control/server.rs), and the interval may be longer.
            let response = Client::connect(&socket)?.call(&request)?;
            if terminal && !cli.json {
                // Clear the screen and home the cursor, like watch(1).
                print!("\x1b[2J\x1b[H");
            } else if !cli.json {
                // Piped or redirected: plain text, one refresh after another, each under the
                // time it was taken, for a log or a grep.
                println!("--- {}", chargerd::wall_time::rfc3339_utc(unix_now_ms()));
            }
            show(&response, cli.json)?;
            // A pipe gets each refresh as it comes, not when a buffer fills.
            let _ = std::io::stdout().flush();
            std::thread::sleep(period);
        }
    }
    if let Command::Hw {
        action:
            Some(HwCmd::Set {
                connector,
                line,
                level,
                yes: false,
            }),
    } = &cli.command
    {
        confirm_hand_drive(*connector, line, level)?;
    }
    if let Command::Hw {
        action: Some(HwCmd::CanDump { connector, count }),
    } = &cli.command
    {
        return can_dump(&socket, *connector, *count, cli.json);
    }
    let response = Client::connect(&socket)?.call(&request)?;
    if let (Command::Devices, Response::Status(status)) = (&cli.command, &response) {
        if cli.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&status.devices)
                    .map_err(|e| CtlError::Daemon(e.to_string()))?
            );
        } else if status.devices.is_empty() {
            println!("no devices configured ([[devices]] in the configuration)");
        } else {
            print!("{}", format_devices(&status.devices));
        }
        return Ok(());
    }
    if let (Command::Thermal, Response::Status(status)) = (&cli.command, &response) {
        let thermal: Vec<(u32, &chargerd::thermal::ThermalStatus)> = status
            .connectors
            .iter()
            .filter_map(|c| c.thermal.as_ref().map(|t| (c.station.id, t)))
            .collect();
        if cli.json {
            let doc: Vec<serde_json::Value> = thermal
                .iter()
                .map(|(id, t)| serde_json::json!({ "connector": id, "thermal": t }))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| CtlError::Daemon(e.to_string()))?
            );
        } else if thermal.is_empty() {
            println!("no connector has a cooling unit: no thermal derating");
        } else {
            for (id, t) in thermal {
                print!("{}", format_thermal(id, t));
            }
        }
        return Ok(());
    }
    if let (Command::Modules, Response::Status(status)) = (&cli.command, &response) {
        let Some(pool) = &status.pool else {
            return Err(CtlError::Daemon(
                "this station has no module pool ([pool] in its configuration)".into(),
            ));
        };
        if cli.json {
            println!(
                "{}",
                serde_json::to_string_pretty(pool).map_err(|e| CtlError::Daemon(e.to_string()))?
            );
        } else {
            print!("{}", format_pool(pool));
        }
        return Ok(());
    }
    show(&response, cli.json)
}

/// `chargerctl hw can-dump`: ask for the frames logged since the last answer every 100 ms and
/// print each, decoded, until `count` frames (or forever).
fn can_dump(
    socket: &std::path::Path,
    connector: u32,
    count: Option<u64>,
    json: bool,
) -> Result<(), CtlError> {
    let mut from = None;
    let mut shown: u64 = 0;
    loop {
        let response = Client::connect(socket)?.call(&Request::CanDump { connector, from })?;
        let Response::Frames {
            protocol,
            frames,
            next,
            missed,
        } = response
        else {
            return show(&response, json);
        };
        if missed > 0 {
            println!(
                "... {missed} frames not shown (the daemon keeps the last {})",
                chargerd::runtime::CAN_LOG_FRAMES
            );
        }
        for f in &frames {
            if count.is_some_and(|c| shown >= c) {
                return Ok(());
            }
            shown += 1;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(f).map_err(|e| CtlError::Daemon(e.to_string()))?
                );
            } else {
                println!("{}", format_frame(protocol, f));
            }
        }
        let _ = std::io::stdout().flush();
        if count.is_some_and(|c| shown >= c) {
            return Ok(());
        }
        from = Some(next);
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One logged frame: time, direction, identifier, bytes, and what the connector's protocol
/// makes of it.
fn format_frame(
    protocol: chargerd::config::ProtocolKind,
    f: &chargerd::runtime::LoggedFrame,
) -> String {
    let decoded = match charger_protocol::CanFrame::new(f.id, f.extended, &f.data) {
        Ok(frame) => match protocol {
            chargerd::config::ProtocolKind::Chademo => {
                charger_protocol::chademo::frames::describe(&frame)
            }
            chargerd::config::ProtocolKind::Gbt => charger_protocol::gbt::frames::describe(
                &frame,
                charger_protocol::gbt::frames::CurrentCodec::default(),
            ),
        },
        Err(e) => format!("not a CAN frame: {e}"),
    };
    let id = if f.extended {
        format!("{:08X}", f.id)
    } else {
        format!("{:03X}", f.id)
    };
    let bytes: Vec<String> = f.data.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{:>10.3} {} {id:>8} [{}] {:<23} {decoded}",
        f.at_ms as f64 / 1000.0,
        if f.received { "rx" } else { "tx" },
        f.data.len(),
        bytes.join(" ")
    )
}

/// Ask the technician to type the connector number before an output is driven by hand; a
/// script without a terminal must say --yes.
fn confirm_hand_drive(connector: u32, line: &str, level: &str) -> Result<(), CtlError> {
    if level == "release" {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CtlError::Daemon(
            "not a terminal: confirm with --yes that the connector is safe to drive by hand".into(),
        ));
    }
    eprint!(
        "Drive {line} {level} on connector {connector} by hand. Check that nobody works on \
         its cable and that no vehicle depends on it.\nType the connector number to confirm: "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CtlError::Daemon(format!("cannot read the confirmation: {e}")))?;
    if answer.trim() != connector.to_string() {
        return Err(CtlError::Daemon("not confirmed: nothing was driven".into()));
    }
    Ok(())
}

/// `chargerctl hw`: per connector, its inputs and outputs as the station sees them, then every
/// configured line with its source, point, live value, age and its source's last error; then
/// the devices.
fn format_hw(report: &chargerd::control::HwReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for c in &report.connectors {
        let i = &c.inputs;
        let o = &c.outputs;
        let _ = writeln!(
            out,
            "connector {}  {}{}",
            c.id,
            c.status,
            if c.operative { "" } else { " (inoperative)" }
        );
        let _ = writeln!(
            out,
            "  inputs   plugged {} permission {} e-stop {} locked {} contactors-closed {}{}",
            on(i.plugged),
            on(i.vehicle_permission),
            if i.emergency_stop { "OPEN" } else { "closed" },
            on(i.locked),
            on(i.contactors_closed),
            if i.stale { "  STALE" } else { "" }
        );
        let _ = writeln!(
            out,
            "  outputs  contactors {} lock {} d1 {} d2 {} aux {} aux-24V {} bleeder {} imd-relay {}",
            on(o.contactors),
            on(o.connector_lock),
            on(o.lines.sequence_1),
            on(o.lines.sequence_2),
            on(o.lines.aux_power),
            on(o.aux_supply_24v),
            on(o.bleeder),
            on(o.imd_connected)
        );
        if !c.test_outputs.is_empty() {
            let hand: Vec<String> = c
                .test_outputs
                .iter()
                .map(|(k, v)| format!("{k} {}", on(*v)))
                .collect();
            let _ = writeln!(out, "  BY HAND  {}", hand.join(", "));
        }
        if c.lines.is_empty() {
            let _ = writeln!(out, "  (the simulator's I/O: no board lines)");
        }
        format_lines(&mut out, &c.lines);
    }
    if !report.matrix.is_empty() {
        let _ = writeln!(out, "pool matrix");
        format_lines(&mut out, &report.matrix);
    }
    if !report.devices.is_empty() {
        let _ = writeln!(out, "devices");
        out.push_str(&format_devices(&report.devices));
    }
    out
}

/// One line per board line: direction, key, source, point, value, age, detection, lateness,
/// the source's last error.
fn format_lines(out: &mut String, lines: &[charger_hal::LineStatus]) {
    use std::fmt::Write as _;
    for l in lines {
        let value = match l.value {
            Some(charger_hal::PointValue::Level(v)) => on(v).to_string(),
            Some(charger_hal::PointValue::Analog(v)) => format!("{v:.2} V"),
            None => "-".to_string(),
        };
        let age = l.age_ms.map_or(String::new(), |ms| format!("{ms} ms ago"));
        let _ = writeln!(
            out,
            "  {:<3} {:<18} {:<8} {:<16} {:<7} {:<12}{}{}{}",
            if l.output { "out" } else { "in" },
            l.key,
            l.source,
            l.point,
            value,
            age,
            l.detection
                .as_deref()
                .map_or(String::new(), |d| format!(" {d}")),
            if l.late { " LATE" } else { "" },
            l.error
                .as_deref()
                .map_or(String::new(), |e| format!("  error: {e}")),
        );
    }
}

fn on(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// `chargerctl devices`: one line per device.
fn format_devices(devices: &[charger_hal::devices::DeviceHealth]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for d in devices {
        let link = serde_json::to_value(d.link)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let age = d
            .last_reading_age_ms
            .map_or("no reading".to_string(), |ms| format!("read {ms} ms ago"));
        let e = &d.errors;
        let _ = writeln!(
            out,
            "{:<16} {:<18} {:<34} {:<12} {:<18} requests {} timeouts {} exceptions {} transport {} decode {} write failures {} reconnects {}{}",
            d.name,
            d.role.to_string(),
            d.transport,
            link,
            age,
            d.requests,
            e.timeouts,
            e.exceptions,
            e.transport,
            e.decode,
            e.write_failures,
            e.reconnects,
            d.last_write_error
                .as_deref()
                .map(|w| format!("  last write error: {w}"))
                .unwrap_or_default()
        );
        if !d.values.is_empty() {
            let values: Vec<String> = d.values.iter().map(format_register_value).collect();
            let _ = writeln!(out, "    {}", values.join(", "));
        }
    }
    out
}

/// `pin_dc_plus 41.5 degC`: a register's last good value as `chargerctl devices` shows it.
fn format_register_value(v: &charger_hal::devices::RegisterValue) -> String {
    use charger_hal::devices::ShownValue;
    let value = match &v.value {
        ShownValue::Bool(b) => b.to_string(),
        ShownValue::Number(n) => format!("{n}"),
        ShownValue::Text(t) => format!("{t:?}"),
    };
    let unit = v
        .unit
        .and_then(|u| serde_json::to_value(u).ok())
        .and_then(|u| u.as_str().map(|u| format!(" {u}")))
        .unwrap_or_default();
    format!("{} {value}{unit}", v.register)
}

/// `chargerctl thermal`: one block per connector.
fn format_thermal(id: u32, t: &chargerd::thermal::ThermalStatus) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let amps = |a: Option<f32>| a.map_or("-".to_string(), |a| format!("{a:.1} A"));
    let _ = writeln!(
        out,
        "connector {id}: {}{}, limit {} (loop {}, static curve {}), hottest pin {}, target {:.1} °C (pin limit {:.1} °C)",
        t.state.name(),
        if t.derating { ", derating" } else { "" },
        amps(t.limit_a),
        amps(t.loop_limit_a),
        amps(t.static_limit_a),
        t.hottest_pin_c
            .map_or("-".to_string(), |h| format!("{h:.1} °C")),
        t.target_c,
        t.pin_limit_c,
    );
    for s in &t.sensors {
        let _ = writeln!(
            out,
            "  {:<15} {:>9}  {}",
            s.sensor.name(),
            s.value_c.map_or("-".to_string(), |v| format!("{v:.1} °C")),
            s.validity.name()
        );
    }
    let _ = writeln!(
        out,
        "  cooling: {} pump {:.0} % fan {:.0} %, flow {}{}",
        if t.cooling.run { "running," } else { "off," },
        t.cooling.pump * 100.0,
        t.cooling.fan * 100.0,
        t.flow_l_min
            .map_or("-".to_string(), |f| format!("{f:.1} l/min")),
        if t.flow_confirmed { " (confirmed)" } else { "" },
    );
    let _ = writeln!(
        out,
        "  cooling draw: {:.0} W ({}), {:.3} kWh since chargerd started",
        t.cooling_power_w,
        if t.cooling_power_measured {
            "measured by the unit"
        } else {
            "estimated from pump and fan speed"
        },
        t.cooling_energy_wh / 1000.0,
    );
    for (name, action) in &t.alarms {
        let _ = writeln!(out, "  alarm {name}: {}", action.name());
    }
    if let Some(f) = t.fault {
        let _ = writeln!(out, "  STOP: {}: {}", f.name(), t.fault_detail);
    }
    out
}

/// `chargerctl modules`: outputs, then modules, then the matrix contactors.
fn format_pool(pool: &chargerd::power::PoolSnapshot) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for o in &pool.outputs {
        let modules: Vec<String> = o.modules.iter().map(u32::to_string).collect();
        let _ = writeln!(
            out,
            "output {}: modules [{}], target {:.0} kW, capacity {:.0} A{}",
            o.output,
            modules.join(", "),
            o.target_w / 1000.0,
            o.capacity_a,
            o.locked_out
                .as_deref()
                .map(|w| format!(", LOCKED OUT: {w}"))
                .unwrap_or_default()
        );
    }
    for m in &pool.modules {
        let state = serde_json::to_value(m.state)
            .ok()
            .and_then(|v| {
                let name = v.get("state")?.as_str()?.to_string();
                Some(match v.get("output").and_then(|o| o.as_u64()) {
                    Some(o) => format!("{name} {o}"),
                    None => name,
                })
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "module {:>3}: {:<12} {:>6.1} V {:>6.1} A  capacity {:>5.1} kW{}{}{}",
            m.id,
            state,
            m.voltage,
            m.current,
            m.capacity_w / 1000.0,
            m.temperature_c
                .map(|t| format!("  {t:.0} °C"))
                .unwrap_or_default(),
            m.fault
                .as_deref()
                .map(|f| format!("  fault: {f}"))
                .unwrap_or_default(),
            if m.stale { "  NOT ANSWERING" } else { "" }
        );
    }
    for (i, c) in pool.contactors.iter().enumerate() {
        let feedback = match c.feedback {
            Some(true) => "closed",
            Some(false) => "open",
            None => "unknown",
        };
        let _ = writeln!(
            out,
            "contactor {i:>2}: module {} -> output {}: commanded {}, feedback {feedback}{}",
            c.module,
            c.output,
            if c.commanded { "closed" } else { "open" },
            if c.failed { ", FAILED" } else { "" }
        );
    }
    out
}

/// chargerctl(1), or the page of one of its commands, chargerctl-COMMAND(1), as chargerctl(1)
/// names it in its list of commands.
fn manual_page(name: Option<&str>) -> Result<clap_mangen::Man, CtlError> {
    let top = <Cli as clap::CommandFactory>::command();
    let Some(name) = name else {
        return Ok(clap_mangen::Man::new(top));
    };
    let version = top.get_version().unwrap_or_default().to_string();
    let sub = top
        .get_subcommands()
        .find(|c| c.get_name() == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
            CtlError::Daemon(format!("no command `{name}`; one of: {}", names.join(", ")))
        })?;
    let sub = sub
        .name(format!("chargerctl-{name}"))
        .bin_name(format!("chargerctl {name}"))
        .version(version);
    Ok(clap_mangen::Man::new(sub))
}

fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `chargerctl metrics`: the status (and the OCPP link, when there is one) in the Prometheus
/// text format, on stdout or atomically into `output`.
fn metrics(socket: &std::path::Path, output: Option<&std::path::Path>) -> Result<(), CtlError> {
    let status = match Client::connect(socket)?.call(&Request::Status)? {
        Response::Status(s) => s,
        Response::Error { message } => return Err(CtlError::Daemon(message)),
        other => return Err(CtlError::Daemon(format!("unexpected answer: {other:?}"))),
    };
    // No OCPP section (or OCPP down): the link's metrics are left out, not an error.
    let ocpp = match Client::connect(socket)?.call(&Request::Ocpp)? {
        Response::Ocpp(o) => Some(o),
        _ => None,
    };
    let text = chargerd::metrics::render(&status, ocpp.as_ref());
    match output {
        None => print!("{text}"),
        // Readable by the collector's user: metrics hold no secret.
        Some(path) => chargerd::files::write_atomic(path, text.as_bytes(), 0o644)
            .map_err(|e| CtlError::Daemon(format!("{}: {e}", path.display())))?,
    }
    Ok(())
}

fn show(response: &Response, json: bool) -> Result<(), CtlError> {
    if let Response::Error { message } = response {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(response).unwrap_or_default()
            );
        }
        return Err(CtlError::Daemon(message.clone()));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(response).map_err(|e| CtlError::Daemon(e.to_string()))?
        );
        return Ok(());
    }
    match response {
        Response::Status(s) => print!("{}", format_status(s)),
        Response::Sessions { sessions } => print!("{}", format_sessions(sessions)),
        Response::Done(outcome) => println!("{}", format_outcome(outcome)),
        Response::SimDone => println!("ok"),
        Response::Inlet(report) => println!("{report:?}"),
        Response::Ocpp(o) => print!("{}", format_ocpp(o)),
        Response::Hw(report) => print!("{}", format_hw(report)),
        Response::Frames { .. } => {}
        Response::Config { keys } => {
            for k in keys {
                println!(
                    "{:<40} {}{}",
                    k.key,
                    k.value.as_deref().unwrap_or("(write-only)"),
                    if k.readonly { "  [read-only]" } else { "" }
                );
            }
        }
        Response::Error { .. } => {}
    }
    Ok(())
}

fn format_outcome(o: &CommandOutcome) -> String {
    match o {
        CommandOutcome::Started { transaction_id } => {
            format!("session started (transaction {transaction_id})")
        }
        CommandOutcome::AwaitingPlugIn { timeout_s } => {
            format!("authorized: plug a vehicle in within {timeout_s} s")
        }
        CommandOutcome::Stopping { transaction_id } => {
            format!("stopping (transaction {transaction_id})")
        }
        CommandOutcome::AuthorizationWithdrawn => "authorization withdrawn".into(),
        CommandOutcome::AvailabilityChanged => "done".into(),
        CommandOutcome::AvailabilityScheduled => {
            "scheduled: takes effect when the running session ends".into()
        }
        CommandOutcome::Reserved => "reserved".into(),
        CommandOutcome::ReservationCancelled => "reservation cancelled".into(),
        CommandOutcome::LimitSet => "limit set".into(),
        CommandOutcome::AuthorizationRequested { id_tag } => {
            format!("asking the CSMS to authorize {id_tag}; the session starts if it accepts")
        }
        CommandOutcome::TestOutput {
            line,
            level: Some(level),
        } => format!(
            "{line} driven {} by hand (`chargerctl hw` shows its feedback; `release` or \
             making the connector operative hands it back)",
            on(*level)
        ),
        CommandOutcome::TestOutput { line, level: None } => {
            format!("{line} handed back to the station")
        }
    }
}

fn format_ocpp(o: &chargerd::ocpp::client::OcppStatus) -> String {
    let mut out = format!(
        "CSMS      {}\nidentity  {}\nprofile   {}\nlink      {}\nregistration {}\noutbox    {} message(s) waiting, {} set aside after refusals\nlocal list version {}\n",
        o.url,
        o.charge_point_id,
        o.security_profile,
        if o.connected {
            "connected".to_string()
        } else {
            format!(
                "down ({})",
                o.last_disconnect.as_deref().unwrap_or("not connected yet")
            )
        },
        o.registration,
        o.outbox_depth,
        o.refused_messages,
        o.local_list_version,
    );
    if o.security_events_dropped > 0 {
        out.push_str(&format!(
            "security events dropped (too many unsent): {}\n",
            o.security_events_dropped
        ));
    }
    if !o.traffic.recent.is_empty() {
        out.push_str("last messages:\n");
        for (direction, action, at) in &o.traffic.recent {
            out.push_str(&format!("  {at} {direction} {action}\n"));
        }
    }
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v}{unit}"))
}

fn format_status(s: &StationStatus) -> String {
    let mut out = format!(
        "{} (chargerd {}), up {}s, journal {}\n",
        s.name, s.version, s.uptime_s, s.journal
    );
    if let Some(ocpp) = &s.ocpp {
        out.push_str(&format!("OCPP {ocpp}\n"));
    }
    if let Some(recovered) = &s.journal_recovered {
        out.push_str(&format!("warning: {recovered}\n"));
    }
    if let Some(step) = &s.control_step {
        out.push_str(&format!("{step}\n"));
    }
    for c in &s.connectors {
        out.push('\n');
        out.push_str(&format_connector(c));
    }
    out
}

fn format_connector(v: &ConnectorView) -> String {
    let c = &v.station;
    let mut out = String::new();
    let status = match &c.status_info {
        Some(info) => format!("{} ({info})", c.status),
        None => c.status.to_string(),
    };
    let header = format!(
        "connector {} [{}{}]",
        c.id,
        c.protocol,
        if v.simulated { ", simulated" } else { "" }
    );
    out.push_str(&header);
    out.push('\n');
    let mut line = |k: &str, val: String| out.push_str(&format!("  {k:<16} {val}\n"));
    line("status", status);
    line(
        "availability",
        match (c.operative, c.availability_scheduled) {
            (_, Some(true)) => "inoperative → operative after this session".into(),
            (_, Some(false)) => "operative → inoperative after this session".into(),
            (true, None) => "operative".into(),
            (false, None) => "inoperative".into(),
        },
    );
    line(
        "plugged",
        if c.plugged { "yes".into() } else { "no".into() },
    );
    line("phase", format!("{:?}", c.phase));
    if let Some(t) = &c.transaction {
        line(
            "transaction",
            format!(
                "{} id tag {} energy {:.2} kWh",
                t.transaction_id,
                t.id_tag,
                t.energy_wh / 1000.0
            ),
        );
    } else if let Some(tag) = &c.authorized_id_tag {
        line("authorized", tag.clone());
    } else if let Some(tag) = &c.reserved_for {
        line("reserved for", tag.clone());
    }
    line(
        "output",
        format!(
            "{:.1} V  {:.1} A  {:.1} kW",
            c.voltage, c.current, c.power_kw
        ),
    );
    let ve = &c.vehicle;
    line(
        "vehicle",
        format!(
            "SOC {}  target {}  request {}{}",
            opt(ve.soc_percent.map(|x| format!("{x:.0}")), " %"),
            opt(ve.target_voltage.map(|x| format!("{x:.0}")), " V"),
            opt(ve.requested_current.map(|x| format!("{x:.0}")), " A"),
            ve.charge_mode
                .as_ref()
                .map_or(String::new(), |m| format!(" ({m})")),
        ),
    );
    if ve.protocol.is_some() || ve.vin.is_some() || ve.battery_type.is_some() {
        line(
            "identity",
            format!(
                "{}  VIN {}  battery {}",
                ve.protocol.as_deref().unwrap_or("-"),
                ve.vin.as_deref().unwrap_or("-"),
                ve.battery_type.as_deref().unwrap_or("-"),
            ),
        );
    }
    if ve.max_cell_voltage.is_some() || ve.max_temperature_c.is_some() {
        line(
            "battery",
            format!(
                "max cell {}  temperature {} .. {}",
                opt(ve.max_cell_voltage.map(|x| format!("{x:.2}")), " V"),
                opt(ve.min_temperature_c.map(|x| format!("{x:.0}")), " °C"),
                opt(ve.max_temperature_c.map(|x| format!("{x:.0}")), " °C"),
            ),
        );
    }
    if !ve.faults.is_empty() {
        line("vehicle says", ve.faults.join(", "));
    }
    if let Some(b) = &c.binding_limit {
        line("limit", format!("{b}"));
    }
    line("offered", format!("{:.1} A", c.offered_current));
    line("meter", format!("{:.3} kWh", c.meter_wh / 1000.0));
    if let Some(t) = &v.truck {
        line(
            "sim truck",
            format!(
                "SOC {:.1} %  battery {:.1} V {:.1} A  contactors {}  charged {:.2} kWh",
                t.soc_percent,
                t.battery_voltage,
                t.battery_current,
                if t.ev_contactors_closed {
                    "closed"
                } else {
                    "open"
                },
                t.energy_charged_kwh
            ),
        );
    }
    if !c.faults.is_empty() {
        line("faults", c.faults.join("; "));
    }
    if !c.vehicle.faults.is_empty() {
        line("vehicle faults", c.vehicle.faults.join("; "));
    }
    if let Some(r) = &c.last_stop {
        line("last stop", r.to_string());
    }
    if c.frames_rejected > 0 {
        line("bad frames", c.frames_rejected.to_string());
    }
    out
}

fn format_sessions(sessions: &[SessionRecord]) -> String {
    if sessions.is_empty() {
        return "no sessions in the journal\n".into();
    }
    let mut out = format!(
        "{:>6} {:>4} {:<17} {:<24} {:<24} {:>9} {:>5}  {}\n",
        "TX", "CONN", "ID TAG", "STARTED", "STOPPED", "kWh", "SOC", "STOP REASON"
    );
    for s in sessions {
        out.push_str(&format!(
            "{:>6} {:>4} {:<17} {:<24} {:<24} {:>9} {:>5}  {}\n",
            s.transaction_id,
            s.connector,
            s.id_tag,
            s.started_at,
            s.stopped_at.as_deref().unwrap_or("(running)"),
            s.energy_wh
                .map_or("-".into(), |e| format!("{:.2}", e / 1000.0)),
            s.soc_stop.map_or("-".into(), |x| format!("{x:.0}%")),
            s.stop_reason_text.as_deref().unwrap_or("-"),
        ));
        if !s.faults.is_empty() {
            out.push_str(&format!("{:>12} faults: {}\n", "", s.faults.join("; ")));
        }
        for g in &s.meter_gaps {
            let counted = match g.counted_wh {
                Some(wh) => format!("meter counted {:.3} kWh across it", wh / 1000.0),
                None => "NOT counted: the energy misses it".into(),
            };
            out.push_str(&format!(
                "{:>12} meter gap: {:.1} s ending {} ({}), ~{:.3} kWh estimated, {counted}\n",
                "",
                g.seconds,
                g.ended_at,
                g.cause,
                g.estimated_wh / 1000.0,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chargerd::thermal::{ThermalController, ThermalInputs, ThermalSettings};

    #[test]
    fn thermal_shows_sensors_limit_state_and_cooling() {
        let mut c = ThermalController::new(ThermalSettings::default());
        let at = charger_protocol::Timestamp::from_millis(1_000);
        let reading = charger_hal::CoolingReading {
            pin_dc_plus_c: Some(61.2),
            pin_dc_minus_c: None,
            coolant_inlet_c: Some(30.0),
            coolant_outlet_c: Some(33.0),
            flow_l_min: Some(12.0),
            alarms: vec!["fan_fault".into()],
            at,
            ..Default::default()
        };
        c.step(
            &ThermalInputs {
                reading: Some(&reading),
                output_current_a: 300.0,
                rated_current_a: 500.0,
                energized: true,
            },
            at,
        );
        let text = format_thermal(1, &c.status());
        for part in [
            "connector 1: safe limit, derating, limit 125.0 A",
            "hottest pin 61.2 °C",
            "pin DC+",
            "pin DC-",
            "open/short",
            "running, pump",
            "12.0 l/min (confirmed)",
            "estimated from pump and fan speed",
            "alarm fan_fault: derate",
        ] {
            assert!(text.contains(part), "{part:?} not in:\n{text}");
        }
    }
}
