//! `chargerd --probe`: open every device the configuration names — GPIO chips and their lines,
//! IIO channels, CAN interfaces, serial ports and Modbus peers — and report each one, by file
//! and key, that is missing or cannot be opened.
//!
//! `--check-config` stays a static check (it runs as ExecStartPre, where a failure stops the
//! service for good, and one unplugged meter must not do that); the probe is what a technician
//! runs at commissioning. It touches no output: an output line is looked up but never
//! requested (requesting it would drive it), only free input lines are requested, as inputs,
//! to show their level; a Modbus unit is only read; no CAN frame is sent. Run while the daemon
//! holds the lines, the probe says so rather than failing them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use charger_hal::analog::{find_device, read_channel, AnalogChannel};
use charger_hal::can::socketcan::SocketCanPort;
use charger_hal::gpio::{Bias, GpioBackend, LineConfig, LineDirection};

use crate::config::io::{IoLineSection, IoSourceSection};
use crate::config::{CanSection, Config};

/// What the probe found at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Opened; what it said.
    Found(String),
    /// Missing or inaccessible: why.
    Failed(String),
    /// Not opened, because what it depends on failed (a line of a chip that is missing), or
    /// there is nothing to open (a simulated bus).
    NotChecked(String),
}

/// One configured thing and what the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The configuration key, e.g. `connectors[1].io.emergency_stop`.
    pub key: String,
    /// What the key names, e.g. `gpio0 line "ESTOP_N"`.
    pub what: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub file: PathBuf,
    pub findings: Vec<Finding>,
}

impl ProbeReport {
    /// The findings that are missing or inaccessible.
    pub fn failed(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Failed(_)))
    }

    /// The report as `chargerd --probe` prints it: one line per key, failures marked, and a
    /// summary.
    pub fn render(&self) -> String {
        let width = self.findings.iter().map(|f| f.key.len()).max().unwrap_or(0);
        let mut out = String::new();
        for f in &self.findings {
            let (mark, text) = match &f.outcome {
                Outcome::Found(t) => ("ok     ", t),
                Outcome::Failed(t) => ("FAILED ", t),
                Outcome::NotChecked(t) => ("-      ", t),
            };
            let _ = writeln!(
                out,
                "{mark}{}: {:width$}  {}: {text}",
                self.file.display(),
                f.key,
                f.what
            );
        }
        let failed = self.failed().count();
        let _ = if failed == 0 {
            writeln!(
                out,
                "{}: every device opened ({} checked; nothing was written)",
                self.file.display(),
                self.findings.len()
            )
        } else {
            writeln!(
                out,
                "{}: {failed} of {} could not be opened (nothing was written)",
                self.file.display(),
                self.findings.len()
            )
        };
        out
    }
}

/// Probe everything `cfg` (read from `file`) names. `gpio` is the chips' backend (the
/// character device on a board; the fake in tests).
pub async fn probe(cfg: &Config, file: &Path, gpio: Arc<dyn GpioBackend>) -> ProbeReport {
    let base = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut findings = Vec::new();
    for (i, source) in cfg.io_sources.iter().enumerate() {
        let lines = lines_on(cfg, source.name());
        match source {
            IoSourceSection::Gpio { chip, .. } => {
                probe_gpio(&mut findings, i, source.name(), chip, &lines, gpio.as_ref());
            }
            IoSourceSection::Iio { device, root, .. } => {
                probe_iio(&mut findings, i, source.name(), root, device, &lines);
            }
        }
    }
    for (i, c) in cfg.connectors.iter().enumerate() {
        let key = format!("connectors[{i}].can");
        let finding = |what: String, outcome| Finding {
            key: key.clone(),
            what,
            outcome,
        };
        findings.push(match &c.can {
            CanSection::Simulated => finding(
                "simulated bus".into(),
                Outcome::NotChecked("the built-in simulator's; nothing to open".into()),
            ),
            CanSection::Socketcan { interface } => finding(
                format!("SocketCAN {interface}"),
                match SocketCanPort::probe(interface) {
                    Ok(state) => Outcome::Found(state),
                    Err(e) => Outcome::Failed(e.to_string()),
                },
            ),
            CanSection::Cannelloni {
                bind,
                peer,
                interface,
            } => finding(
                format!("cannelloni {bind} peer {peer}"),
                probe_cannelloni(*bind, interface.as_deref()),
            ),
        });
    }
    if !cfg.devices.is_empty() {
        match charger_hal::devices::probe::probe_devices(&cfg.devices, &base).await {
            Ok(probes) => {
                for (i, (d, probe)) in cfg.devices.iter().zip(probes).enumerate() {
                    findings.push(Finding {
                        key: format!("devices[{i}]"),
                        what: format!("{} ({}, {})", d.name, d.role, describe(&d.transport)),
                        outcome: match probe {
                            Ok(t) => Outcome::Found(t),
                            Err(e) => Outcome::Failed(e),
                        },
                    });
                }
            }
            Err(e) => findings.push(Finding {
                key: format!("devices[{}].{}", e.index, e.key),
                what: e.device.clone(),
                outcome: Outcome::Failed(format!(
                    "{} (chargerd --check-config); no device was probed",
                    e.problem
                )),
            }),
        }
    }
    ProbeReport {
        file: file.to_path_buf(),
        findings,
    }
}

/// Every board line on source `name` (connectors' and the matrix's), with its key and
/// whether it is an input.
fn lines_on<'a>(cfg: &'a Config, name: &str) -> Vec<(String, bool, &'a IoLineSection)> {
    cfg.board_lines()
        .into_iter()
        .filter(|b| b.line.source == name)
        .map(|b| (b.key, b.usage.is_input(), b.line))
        .collect()
}

fn probe_gpio(
    findings: &mut Vec<Finding>,
    index: usize,
    name: &str,
    chip: &Path,
    lines: &[(String, bool, &IoLineSection)],
    gpio: &dyn GpioBackend,
) {
    let source_key = format!("io_sources[{index}]");
    let what = |l: &IoLineSection| {
        let line = match (&l.line, l.offset) {
            (Some(n), _) => format!("line {n:?}"),
            (None, o) => format!("offset {}", o.unwrap_or_default()),
        };
        format!("{name} {line}")
    };
    let configs: Vec<LineConfig> = lines
        .iter()
        .map(|(_, input, l)| l.gpio_config(*input))
        .collect();
    let addresses: Vec<_> = configs.iter().map(|c| c.address.clone()).collect();
    let (info, infos) = match gpio.inspect(chip, &addresses) {
        Ok(found) => found,
        Err(e) => {
            findings.push(Finding {
                key: source_key,
                what: format!("{name} GPIO chip {}", chip.display()),
                outcome: Outcome::Failed(e.to_string()),
            });
            for (key, _, l) in lines {
                findings.push(Finding {
                    key: key.clone(),
                    what: what(l),
                    outcome: Outcome::NotChecked("its chip could not be opened".into()),
                });
            }
            return;
        }
    };
    findings.push(Finding {
        key: source_key,
        what: format!("{name} GPIO chip {}", chip.display()),
        outcome: Outcome::Found(format!(
            "{} [{}], {} lines",
            info.name, info.label, info.lines
        )),
    });
    // The free inputs, requested together as plain inputs (no bias change, no debounce) to
    // read their levels; outputs are never requested: that would drive them.
    let free_inputs: Vec<usize> = infos
        .iter()
        .enumerate()
        .filter(|(i, info)| {
            matches!(info, Ok(l) if l.consumer.is_none() && !l.output)
                && configs.get(*i).is_some_and(|c| !c.is_output())
        })
        .map(|(i, _)| i)
        .collect();
    let request: Vec<LineConfig> = free_inputs
        .iter()
        .filter_map(|&i| configs.get(i))
        .map(|c| LineConfig {
            address: c.address.clone(),
            active_low: c.active_low,
            bias: Bias::AsIs,
            direction: LineDirection::Input {
                debounce: None,
                edges: false,
            },
        })
        .collect();
    let levels: Result<Vec<bool>, String> = if request.is_empty() {
        Ok(Vec::new())
    } else {
        gpio.request(chip, "chargerd-probe", &request)
            .and_then(|req| req.values())
            .map_err(|e| e.to_string())
    };
    // One line under two keys (by name here, by offset there): the kernel refuses the request
    // that holds both, so the whole chip would stay unopened at run time.
    let mut first_key: std::collections::BTreeMap<u32, &str> = std::collections::BTreeMap::new();
    for (n, ((key, input, l), info)) in lines.iter().zip(infos).enumerate() {
        let outcome = match info {
            Err(e) => Outcome::Failed(e.to_string()),
            Ok(info)
                if first_key
                    .get(&info.offset)
                    .is_some_and(|k| *k != key.as_str()) =>
            {
                Outcome::Failed(format!(
                    "offset {} is already {} (one line named twice, by name and by offset?)",
                    info.offset,
                    first_key.get(&info.offset).copied().unwrap_or_default()
                ))
            }
            Ok(info) => {
                first_key.insert(info.offset, key.as_str());
                let at = format!("offset {}", info.offset);
                match (info.consumer, input) {
                    (Some(c), _) if c == "chargerd" => Outcome::Found(format!(
                        "{at}, held by chargerd (the daemon is running: `chargerctl hw` shows it)"
                    )),
                    (Some(c), _) => Outcome::Failed(format!(
                        "{at} is held by {c:?}: another program or a kernel driver has it"
                    )),
                    (None, false) => Outcome::Found(format!(
                        "{at}, free (an output: not requested, so not driven)"
                    )),
                    // Requesting it as an input would stop whatever drives it.
                    (None, true) if info.output => Outcome::Failed(format!(
                        "{at} is set up as an output on the chip, not an input: a wrong line \
                         name or offset? (not requested)"
                    )),
                    (None, true) => {
                        let slot = free_inputs.iter().position(|&i| i == n);
                        match (&levels, slot) {
                            (Ok(levels), Some(s)) => Outcome::Found(format!(
                                "{at}, free, reads {}",
                                match levels.get(s) {
                                    Some(true) => "active",
                                    Some(false) => "inactive",
                                    None => "nothing",
                                }
                            )),
                            (Err(e), _) => Outcome::Failed(format!("{at}: {e}")),
                            (Ok(_), None) => Outcome::Found(format!("{at}, free")),
                        }
                    }
                }
            }
        };
        findings.push(Finding {
            key: key.clone(),
            what: what(l),
            outcome,
        });
    }
}

fn probe_iio(
    findings: &mut Vec<Finding>,
    index: usize,
    name: &str,
    root: &Path,
    device: &str,
    lines: &[(String, bool, &IoLineSection)],
) {
    let what = format!("{name} IIO device {device:?}");
    let dir = match find_device(root, device) {
        Ok(dir) => {
            findings.push(Finding {
                key: format!("io_sources[{index}]"),
                what,
                outcome: Outcome::Found(dir.display().to_string()),
            });
            Some(dir)
        }
        Err(e) => {
            findings.push(Finding {
                key: format!("io_sources[{index}]"),
                what,
                outcome: Outcome::Failed(e.to_string()),
            });
            None
        }
    };
    for (key, _, l) in lines {
        let channel = l.channel.unwrap_or_default();
        let outcome = match &dir {
            None => Outcome::NotChecked("its ADC could not be opened".into()),
            Some(dir) => match read_channel(
                dir,
                &AnalogChannel {
                    channel,
                    divider: l.divider.unwrap_or(1.0),
                },
            ) {
                Ok(volts) => Outcome::Found(format!("{volts:.2} V at the connector")),
                Err(e) => Outcome::Failed(e.to_string()),
            },
        };
        findings.push(Finding {
            key: key.clone(),
            what: format!("{name} channel {channel}"),
            outcome,
        });
    }
}

/// A cannelloni link: its interface exists, and its local address can be bound (a running
/// daemon holds it: said, not failed).
fn probe_cannelloni(bind: std::net::SocketAddr, interface: Option<&str>) -> Outcome {
    if let Some(name) = interface {
        if !charger_hal::can::valid_interface_name(name)
            || !Path::new("/sys/class/net").join(name).exists()
        {
            return Outcome::Failed(format!("no network interface {name:?} (ip link)"));
        }
    }
    match std::net::UdpSocket::bind(bind) {
        Ok(_) => Outcome::Found(format!("{bind} can be bound")),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Outcome::Found(format!(
            "{bind} is in use (by the running daemon, or another program: `ss -ulpn`)"
        )),
        Err(e) => Outcome::Failed(format!("cannot bind {bind}: {e}")),
    }
}

fn describe(transport: &charger_hal::devices::Transport) -> String {
    use charger_hal::devices::Transport;
    match transport {
        Transport::ModbusTcp(t) => format!("modbus-tcp {}:{} unit {}", t.host, t.port, t.unit),
        Transport::ModbusRtu(r) => format!("modbus-rtu {} unit {}", r.path.display(), r.unit),
        Transport::Can(c) => format!("{} address {}", c.link.describe(), c.address),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use charger_hal::gpio::fake::FakeBackend;
    use charger_hal::sim::modbus::connector::{
        serve_connector_devices, ConnectorDevicesSpec, DeviceSpec,
    };
    use charger_hal::sim::tap::PlantTap;
    use std::time::Duration;

    const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/devices");

    fn outcome<'a>(report: &'a ProbeReport, key: &str) -> &'a Outcome {
        &report
            .findings
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("no finding for {key}:\n{}", report.render()))
            .outcome
    }

    /// Every kind of device at once: a chip with a missing line, a chip that is not there, an
    /// ADC with a channel that is not there, a CAN interface that is not there, a Modbus meter
    /// that answers, one that refuses the connection and a serial port that does not exist.
    /// Each failure is named by its key; nothing is driven: no output line was requested.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_probe_names_each_device_it_cannot_open_and_drives_no_output() {
        let tmp = tempfile::tempdir().unwrap();
        let adc = tmp.path().join("iio:device0");
        std::fs::create_dir_all(&adc).unwrap();
        std::fs::write(adc.join("name"), "ads1015\n").unwrap();
        std::fs::write(adc.join("in_voltage_scale"), "2\n").unwrap();
        // 6 V at the connector through 11:1: 273 counts of 2 mV.
        std::fs::write(adc.join("in_voltage0_raw"), "273\n").unwrap();
        let any = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let spec = ConnectorDevicesSpec {
            meter: Some(DeviceSpec {
                profile: Arc::new(
                    charger_hal::profile::Profile::load(
                        &Path::new(PROFILES).join("dc-meter-modbus.toml"),
                    )
                    .unwrap(),
                ),
                addr: any,
            }),
            imd: None,
            cooling: None,
            thermal: None,
            sensors: charger_hal::sim::thermal::SensorChainParams::default(),
            tick: Duration::from_millis(10),
        };
        let tap = PlantTap::new(&spec.tap_devices());
        let served = serve_connector_devices(spec, tap).await.unwrap();
        let meter_port = served.meter.as_ref().unwrap().addr().port();
        // A port nobody listens on: bound and dropped.
        let closed = std::net::TcpListener::bind(any)
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = format!(
            r#"
[station]
state_dir = "/tmp/x"

[[io_sources]]
name = "gpio0"
kind = "gpio"
chip = "/dev/gpiochip9"

[[io_sources]]
name = "gpio1"
kind = "gpio"
chip = "/dev/gpiochip10"

[[io_sources]]
name = "adc0"
kind = "iio"
device = "ads1015"
root = "{root}"

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = {{ backend = "socketcan", interface = "nosuchcan9" }}
meter = {{ backend = "device", device = "meter-1" }}
[connectors.io]
emergency_stop = {{ source = "gpio0", line = "ESTOP_N", active_low = true, edges = true, deadline_ms = 100 }}
plugged = {{ source = "adc0", channel = 0, divider = 11.0, detection = {{}}, deadline_ms = 100 }}
locked = {{ source = "gpio0", line = "LOCK_FB_MISSING", deadline_ms = 100 }}
contactors = {{ source = "gpio0", line = "K1_K2" }}
connector_lock = {{ source = "gpio1", line = "LOCK" }}

[[connectors]]
id = 2
protocol = "gbt"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = {{ backend = "simulated" }}
[connectors.io]
emergency_stop = {{ source = "gpio0", line = "ESTOP2_N", active_low = true, edges = true, deadline_ms = 100 }}
plugged = {{ source = "adc0", channel = 3, divider = 11.0, detection = {{}}, deadline_ms = 100 }}

[[devices]]
name = "meter-1"
role = "dc_meter"
profile = "{PROFILES}/dc-meter-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {meter_port}, unit = 1 }}

[[devices]]
name = "meter-2"
role = "dc_meter"
profile = "{PROFILES}/dc-meter-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {closed}, unit = 1 }}

[[devices]]
name = "imd-1"
role = "insulation_monitor"
profile = "{PROFILES}/insulation-monitor-modbus.toml"
transport = {{ kind = "modbus_rtu", path = "{root}/ttyNOPE0", unit = 3 }}
"#,
            root = tmp.path().display(),
        );
        let cfg = Config::from_toml_str(&text, "board.toml").unwrap();
        let fake = FakeBackend::default();
        let chip = Path::new("/dev/gpiochip9");
        fake.add_chip(chip, &["ESTOP_N", "K1_K2", "ESTOP2_N"]);
        // The e-stop chain is closed: its active-low line is high, so it reads inactive.
        fake.drive(chip, "ESTOP_N", true);
        let report = probe(&cfg, Path::new("board.toml"), Arc::new(fake.clone())).await;
        let text = report.render();

        assert!(
            matches!(outcome(&report, "io_sources[0]"), Outcome::Found(t) if t.contains("3 lines")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[0].io.emergency_stop"),
                Outcome::Found(t) if t.contains("offset 0") && t.contains("reads inactive")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[0].io.locked"),
                Outcome::Failed(t) if t.contains("LOCK_FB_MISSING")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[0].io.contactors"),
                Outcome::Found(t) if t.contains("not requested")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "io_sources[1]"),
                Outcome::Failed(t) if t.contains("/dev/gpiochip10")),
            "{text}"
        );
        assert!(
            matches!(
                outcome(&report, "connectors[0].io.connector_lock"),
                Outcome::NotChecked(_)
            ),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[0].io.plugged"),
                Outcome::Found(t) if t.starts_with("6.0")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[1].io.plugged"),
                Outcome::Failed(t) if t.contains("in_voltage3_raw")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "connectors[0].can"),
                Outcome::Failed(t) if t.contains("nosuchcan9")),
            "{text}"
        );
        assert!(
            matches!(
                outcome(&report, "connectors[1].can"),
                Outcome::NotChecked(_)
            ),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "devices[0]"),
                Outcome::Found(t) if t.starts_with("unit 1 answered:")),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "devices[1]"), Outcome::Failed(t) if t.contains(&closed.to_string())),
            "{text}"
        );
        assert!(
            matches!(outcome(&report, "devices[2]"), Outcome::Failed(t) if t.contains("ttyNOPE0")),
            "{text}"
        );
        let failed: Vec<&str> = report.failed().map(|f| f.key.as_str()).collect();
        assert_eq!(
            failed,
            [
                "connectors[0].io.locked",
                "io_sources[1]",
                "connectors[1].io.plugged",
                "connectors[0].can",
                "devices[1]",
                "devices[2]"
            ],
            "{text}"
        );
        assert!(text.contains("board.toml: 6 of"), "{text}");
        // No output was requested, so none was driven; the input request is released.
        assert!(fake.writes(chip, "K1_K2").is_empty(), "{text}");
        assert!(!fake.requested(chip));
    }

    /// With the daemon running, its lines are held by chargerd: said, not failed.
    #[tokio::test]
    async fn lines_held_by_the_running_daemon_are_reported_as_such() {
        let text = r#"
[station]
state_dir = "/tmp/x"

[[io_sources]]
name = "gpio0"
kind = "gpio"
chip = "/dev/gpiochip9"

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 500
max_current = 125
max_power_kw = 62.5
can = { backend = "simulated" }
[connectors.io]
emergency_stop = { source = "gpio0", line = "ESTOP_N", active_low = true, edges = true, deadline_ms = 100 }
plugged = { source = "gpio0", line = "PROX_N", active_low = true, deadline_ms = 100 }
contactors = { source = "gpio0", line = "K1_K2" }
connector_lock = { source = "gpio0", offset = 0 }
"#;
        let cfg = Config::from_toml_str(text, "board.toml").unwrap();
        let fake = FakeBackend::default();
        let chip = Path::new("/dev/gpiochip9");
        fake.add_chip(chip, &["ESTOP_N", "K1_K2", "PROX_N"]);
        let gpio: Arc<dyn GpioBackend> = Arc::new(fake.clone());
        let held = gpio
            .request(
                chip,
                "chargerd",
                &[LineConfig {
                    address: charger_hal::gpio::LineAddress::Name("K1_K2".into()),
                    active_low: false,
                    bias: Bias::AsIs,
                    direction: LineDirection::Output { safe: false },
                }],
            )
            .unwrap();
        let report = probe(&cfg, Path::new("board.toml"), gpio).await;
        assert!(
            matches!(outcome(&report, "connectors[0].io.contactors"),
                Outcome::Found(t) if t.contains("held by chargerd")),
            "{}",
            report.render()
        );
        // The lock's offset 0 is ESTOP_N's line: named, the second key failed.
        assert!(
            matches!(outcome(&report, "connectors[0].io.connector_lock"),
                Outcome::Failed(t) if t.contains("connectors[0].io.emergency_stop")),
            "{}",
            report.render()
        );
        drop(held);
    }
}
