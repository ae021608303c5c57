//! From configuration to hardware: which backend drives each connector, and which protocol
//! session runs on it. The only place that names concrete backends and protocols.

use charger_hal::analog::{AnalogChannel, AnalogSource, AnalogSourceConfig};
use charger_hal::board::{
    BoardIo, BoardMatrix, InputKind, InputMapping, MatrixContactorLines, OutputMapping,
};
use charger_hal::can::cannelloni::{CannelloniConfig, CannelloniPort};
use charger_hal::devices::{DeviceBackedConnector, ReadingClock};
use charger_hal::gpio::{GpioBackend, GpioSource, GpioSourceConfig};
use charger_hal::profile::roles::Role;
use charger_hal::sim::cabinet::{SimCabinet, SimModuleParams};
use charger_hal::sim::connector::{SimConnectorParams, SimulatedConnector, VehicleFactory};
use charger_hal::sim::gbt_truck::GbtTruck;
use charger_hal::sim::meter::SimMeterParams;
use charger_hal::sim::psu::SimPsuParams;
use charger_hal::sim::tap::{PlantTap, TapDevice};
use charger_hal::sim::truck::ChademoTruck;
use charger_hal::sim::SimVehicle;
use charger_hal::{CanError, ConnectorHardware, LineSource, PowerModule, SwitchingMatrix};
use charger_protocol::chademo::{ChademoCharger, ChademoChargerConfig};
use charger_protocol::gbt::{GbtCharger, GbtChargerConfig};
use charger_protocol::DcSession;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::io::{ConnectorIoSection, IoLineSection, IoSourceSection, LineKey};
use crate::config::{
    CanSection, Config, ConnectorSection, HardwareKind, MeterSection, PoolSection, ProtocolKind,
};
use crate::runtime::{ConnectorBinding, PoolHardware, Rig};
use crate::station::{SessionFactory, Station};

#[derive(Debug, thiserror::Error)]
pub enum HardwareError {
    #[error("key `{key}`: {reason}")]
    Device { key: String, reason: String },
    #[error("connector {connector}: key `{key}`: {reason}")]
    Unsupported {
        connector: u32,
        key: &'static str,
        reason: String,
    },
    #[error("connector {connector}: {reason}")]
    Session { connector: u32, reason: String },
    #[error("connector {connector}: key `{key}`: {source}")]
    Can {
        connector: u32,
        key: &'static str,
        #[source]
        source: CanError,
    },
}

/// The protocol session for a connector, as its configuration describes it.
pub fn new_session(c: &ConnectorSection) -> Result<Box<dyn DcSession>, String> {
    match c.protocol {
        ProtocolKind::Chademo => ChademoCharger::new(ChademoChargerConfig::new(c.rating()))
            .map(|s| Box::new(s) as Box<dyn DcSession>)
            .map_err(|e| e.to_string()),
        ProtocolKind::Gbt => {
            let mut config = GbtChargerConfig::new(c.rating());
            config.charger_number = c.id;
            // CTS carries the charger's clock; the session itself only sees monotonic time.
            config.wall_clock_at_start = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs());
            GbtCharger::new(config)
                .map(|s| Box::new(s) as Box<dyn DcSession>)
                .map_err(|e| e.to_string())
        }
    }
}

pub fn session_factory() -> SessionFactory {
    Box::new(new_session)
}

/// The simulated plant for a connector: power supply rated like the connector, and a truck of
/// the connector's protocol when one is plugged in — simulated in-process, or, when the
/// connector's CAN is a cannelloni link, by an external simulator at the far end.
pub fn simulated_connector(c: &ConnectorSection) -> Result<SimulatedConnector, HardwareError> {
    let params = sim_params(c);
    let name = format!("connector-{}", c.id);
    if let CanSection::Cannelloni {
        bind,
        peer,
        interface,
    } = &c.can
    {
        let config = CannelloniConfig {
            interface: interface.clone(),
            ..CannelloniConfig::default()
        };
        let port = CannelloniPort::open_with(*bind, *peer, config).map_err(|source| {
            HardwareError::Can {
                connector: c.id,
                key: match source {
                    CanError::BindDevice { .. } => "can.interface",
                    _ => "can.bind",
                },
                source,
            }
        })?;
        tracing::info!(connector = c.id, %bind, %peer, interface = interface.as_deref().unwrap_or("(any)"),
            "CAN over cannelloni: the truck is simulated elsewhere");
        return Ok(SimulatedConnector::with_external_can(
            &name,
            params,
            Box::new(port),
        ));
    }
    Ok(SimulatedConnector::new(
        &name,
        params,
        truck_factory(c.protocol),
    ))
}

fn sim_params(c: &ConnectorSection) -> SimConnectorParams {
    SimConnectorParams {
        psu: SimPsuParams {
            max_voltage: c.max_voltage,
            max_current: c.max_current,
            ..SimPsuParams::default()
        },
        meter: c.meter.as_ref().and_then(|m| match m {
            MeterSection::Simulated {
                serial,
                start_wh,
                wrap_wh,
            } => Some(SimMeterParams {
                serial: serial.clone(),
                start_wh: *start_wh,
                wrap_wh: *wrap_wh,
                ..SimMeterParams::default()
            }),
            // The meter is a `[[devices]]` entry: see `with_connector_devices`.
            MeterSection::Device { .. } => None,
        }),
        ..SimConnectorParams::default()
    }
}

fn truck_factory(protocol: ProtocolKind) -> VehicleFactory {
    match protocol {
        ProtocolKind::Chademo => {
            Box::new(|spec: &_| ChademoTruck::new(spec).map(|t| Box::new(t) as Box<dyn SimVehicle>))
        }
        ProtocolKind::Gbt => {
            Box::new(|spec: &_| GbtTruck::new(spec).map(|t| Box::new(t) as Box<dyn SimVehicle>))
        }
    }
}

/// Checks beyond the configuration's own: every connector's backend combination exists and
/// its protocol session accepts the rating.
pub fn check(cfg: &Config) -> Result<(), HardwareError> {
    for c in &cfg.connectors {
        new_session(c).map_err(|reason| HardwareError::Session {
            connector: c.id,
            reason,
        })?;
        if let CanSection::Cannelloni {
            interface: Some(name),
            ..
        } = &c.can
        {
            // The same check the kernel makes at bind time, early, for --check-config.
            if !std::path::Path::new("/sys/class/net").join(name).exists() {
                return Err(HardwareError::Unsupported {
                    connector: c.id,
                    key: "can.interface",
                    reason: format!("no network interface {name:?} on this machine (ip link)"),
                });
            }
        }
        match (&c.can, c.hardware) {
            (CanSection::Simulated | CanSection::Cannelloni { .. }, HardwareKind::Simulated) => {}
            (CanSection::Socketcan { .. }, HardwareKind::Simulated) => {
                return Err(HardwareError::Unsupported {
                    connector: c.id,
                    key: "can.backend",
                    reason: "socketcan drives a real vehicle, which the simulated plant cannot \
                             power: set hardware = \"board\" (power from the [pool], lines \
                             from [connectors.io], the insulation monitor a device)"
                        .into(),
                });
            }
            (CanSection::Simulated, HardwareKind::Board) => {
                return Err(HardwareError::Unsupported {
                    connector: c.id,
                    key: "can.backend",
                    reason: "a board connector's vehicle bus is real: socketcan, or cannelloni \
                             to a bridged bus"
                        .into(),
                });
            }
            (_, HardwareKind::Board) => check_board_connector(cfg, c)?,
        }
    }
    Ok(())
}

/// What a board connector needs and the configuration must give: lines, an insulation
/// monitor, and power from the pool's real modules through a matrix on the board.
fn check_board_connector(cfg: &Config, c: &ConnectorSection) -> Result<(), HardwareError> {
    let need = |key: &'static str, reason: &str| {
        Err(HardwareError::Unsupported {
            connector: c.id,
            key,
            reason: reason.to_string(),
        })
    };
    if c.io.is_none() {
        return need(
            "io",
            "a board connector needs its lines ([connectors.io]: at least the emergency stop, \
             the vehicle detection and the contactors)",
        );
    }
    if c.io.as_ref().is_some_and(|io| {
        !io.lines()
            .iter()
            .any(|(k, _)| *k == LineKey::Output(charger_hal::board::OutputLine::Contactors))
    }) {
        return need(
            "io.contactors",
            "a board connector drives its output contactors from the board",
        );
    }
    if c.imd.is_none() {
        return need(
            "imd",
            "a board connector needs its insulation monitor: imd = { backend = \"device\", \
             device = \"...\" }",
        );
    }
    if c.simulate_devices {
        return need(
            "simulate_devices",
            "a board connector's devices are real; the simulator serves none of them",
        );
    }
    let Some(pool) = &cfg.pool else {
        return need(
            "hardware",
            "a board connector's power comes from the [pool]'s modules, and there is no [pool]",
        );
    };
    if !pool.matrix.iter().any(|m| m.connector == c.id) {
        return need(
            "hardware",
            "no [[pool.matrix]] contactor feeds this connector's output",
        );
    }
    if !pool.board_matrix()
        || pool.simulate_devices
        || pool.modules.iter().any(|m| m.device.is_none())
    {
        return need(
            "hardware",
            "a board connector needs real modules (pool.modules[].device) switched by matrix \
             contactors on the board (pool.matrix[].coil and .feedback)",
        );
    }
    Ok(())
}

/// A board connector's CAN port, reopened while it cannot be opened.
fn board_can(c: &ConnectorSection) -> charger_hal::board::ReopeningCan {
    use charger_hal::can::socketcan::SocketCanPort;
    use charger_hal::can::CanPort;
    match c.can.clone() {
        CanSection::Socketcan { interface } => charger_hal::board::ReopeningCan::new(
            interface.clone(),
            Box::new(move || {
                SocketCanPort::open(&interface).map(|p| Box::new(p) as Box<dyn CanPort>)
            }),
        ),
        CanSection::Cannelloni {
            bind,
            peer,
            interface,
        } => charger_hal::board::ReopeningCan::new(
            format!("cannelloni {bind}"),
            Box::new(move || {
                let config = CannelloniConfig {
                    interface: interface.clone(),
                    ..CannelloniConfig::default()
                };
                CannelloniPort::open_with(bind, peer, config)
                    .map(|p| Box::new(p) as Box<dyn CanPort>)
            }),
        ),
        // Refused by `check`.
        CanSection::Simulated => charger_hal::board::ReopeningCan::new(
            "simulated",
            Box::new(|| {
                Err(CanError::Config(
                    "a board connector has no simulated bus".into(),
                ))
            }),
        ),
    }
}

/// Build every connector's hardware (without a module pool: see [`build_all`]).
pub fn build(cfg: &Config) -> Result<Vec<ConnectorBinding>, HardwareError> {
    Ok(build_all(cfg)?.connectors)
}

/// Everything the configuration describes: the connectors and, with `[pool]`, the cabinet's
/// modules and matrix.
#[derive(Debug)]
pub struct Hardware {
    pub connectors: Vec<ConnectorBinding>,
    pub pool: Option<PoolHardware>,
    /// The simulated cabinet behind the pool, for fault injection (tests, `chargerctl sim`).
    pub cabinet: Option<SimCabinet>,
    /// The `[[devices]]`' links and errors (`chargerctl devices`).
    pub devices: Option<charger_hal::devices::HealthView>,
}

impl Hardware {
    /// The rig of `station` on this hardware.
    pub fn into_rig(self, station: Station) -> Rig {
        let rig = Rig::new(station, self.connectors);
        match self.pool {
            Some(pool) => rig.with_pool(pool),
            None => rig,
        }
    }
}

pub fn build_all(cfg: &Config) -> Result<Hardware, HardwareError> {
    let io = start_io_sources(
        cfg,
        Path::new("(configuration)"),
        ReadingClock::new(tokio::time::Instant::now()),
    )?;
    build_with_devices(cfg, None, sim_cabinet(cfg), &BTreeMap::new(), &io)
}

/// The started `[[io_sources]]` by name: what a connector's `io` lines resolve `source`
/// through (a Modbus I/O module joins the same map).
pub type IoSources = BTreeMap<String, Arc<dyn LineSource>>;

/// Start every `[[io_sources]]` entry on the Linux GPIO character device and IIO sysfs, with
/// the lines the connectors and the pool's matrix map onto it. Returns at once: a chip or ADC
/// that cannot be opened leaves its points without readings (its connectors' inputs stale,
/// so they cannot be used; its matrix contactors' feedback unknown) and is retried; its
/// source logs the failure once, with `file` and the key.
pub fn start_io_sources(
    cfg: &Config,
    file: &Path,
    clock: ReadingClock,
) -> Result<IoSources, HardwareError> {
    start_io_sources_with(
        cfg,
        file,
        clock,
        Arc::new(charger_hal::gpio::cdev::CdevBackend),
    )
}

/// [`start_io_sources`] with the GPIO chips behind `gpio` (tests: the fake backend).
pub fn start_io_sources_with(
    cfg: &Config,
    file: &Path,
    clock: ReadingClock,
    gpio: Arc<dyn GpioBackend>,
) -> Result<IoSources, HardwareError> {
    let mut sources = IoSources::new();
    for (i, section) in cfg.io_sources.iter().enumerate() {
        let name = section.name();
        // Every line on this source (the connectors', then the matrix contactors'), as
        // (point, is an input, line) in configuration order.
        let lines: Vec<(String, bool, &IoLineSection)> = cfg
            .board_lines()
            .into_iter()
            .filter(|b| b.line.source == name)
            .map(|b| (b.line.point(), b.usage.is_input(), b.line))
            .collect();
        let origin = format!("{}: io_sources[{i}]", file.display());
        let spawned: std::io::Result<Arc<dyn LineSource>> = match section {
            IoSourceSection::Gpio { chip, retry_ms, .. } => GpioSource::spawn(
                GpioSourceConfig {
                    name: name.to_string(),
                    origin,
                    chip: chip.clone(),
                    points: lines
                        .iter()
                        .map(|(p, input, l)| (p.clone(), l.gpio_config(*input)))
                        .collect(),
                    poll: section.poll(),
                    retry: std::time::Duration::from_millis(*retry_ms),
                },
                Arc::clone(&gpio),
                clock,
            )
            .map(|s| Arc::new(s) as Arc<dyn LineSource>),
            IoSourceSection::Iio { device, root, .. } => AnalogSource::spawn(
                AnalogSourceConfig {
                    name: name.to_string(),
                    origin,
                    root: root.clone(),
                    device: device.clone(),
                    points: lines
                        .iter()
                        .map(|(p, _, l)| {
                            (
                                p.clone(),
                                AnalogChannel {
                                    channel: l.channel.unwrap_or_default(),
                                    divider: l.divider.unwrap_or(1.0),
                                },
                            )
                        })
                        .collect(),
                    poll: section.poll(),
                },
                clock,
            )
            .map(|s| Arc::new(s) as Arc<dyn LineSource>),
        };
        let source = spawned.map_err(|e| HardwareError::Device {
            key: format!("io_sources[{i}]"),
            reason: format!("cannot start the source's thread: {e}"),
        })?;
        tracing::info!(
            source = name,
            lines = lines.len(),
            "board I/O source started"
        );
        sources.insert(name.to_string(), source);
    }
    Ok(sources)
}

/// The board lines (connectors' and matrix contactors') on `[[devices]]` I/O modules against
/// their profiles (read from `base`, as `check_devices` reads them): each line's point
/// exists, is an input for an input line (digital, or analog for a `plugged` with
/// `detection`) and an output for an output line, and an input's group is polled faster than
/// the line's deadline. Static: no device is opened (`chargerd --check-config`).
pub fn check_io_modules(cfg: &Config, base: &Path) -> Result<(), HardwareError> {
    use charger_hal::profile::{GroupKind, IoKind, Profile};
    // Each module's profile is read once, however many lines it serves.
    let mut profiles: BTreeMap<&str, Profile> = BTreeMap::new();
    for b in cfg.board_lines() {
        let l = b.line;
        let Some(device) = cfg
            .devices
            .iter()
            .find(|d| d.name == l.source && d.role == Role::IoModule)
        else {
            continue;
        };
        let key = format!("{}.line", b.key);
        let bad = |reason: String| HardwareError::Device {
            key: key.clone(),
            reason,
        };
        let path = base.join(&device.profile);
        let profile = match profiles.entry(device.name.as_str()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(
                Profile::load(&path)
                    .map_err(|e| bad(format!("profile of {:?}: {e}", device.name)))?,
            ),
        };
        let point = l.point();
        let reg = profile.register(&point).ok_or_else(|| {
            bad(format!(
                "{:?} ({}) has no point {point:?}",
                device.name,
                path.display()
            ))
        })?;
        let wanted = if !b.usage.is_input() {
            IoKind::DigitalOutput
        } else if l.detection.is_some() {
            IoKind::AnalogInput
        } else {
            IoKind::DigitalInput
        };
        if reg.io != Some(wanted) {
            return Err(bad(format!(
                "point {point:?} of {:?} is {}, this line needs a {wanted}",
                device.name,
                reg.io.map_or("no I/O point".to_string(), |k| k.to_string()),
            )));
        }
        if b.usage.is_input() {
            let poll = profile.groups.get(reg.group).and_then(|g| match g.kind {
                GroupKind::Status { poll_hz } if poll_hz > 0.0 => {
                    Some(std::time::Duration::from_secs_f64(1.0 / poll_hz))
                }
                _ => None,
            });
            match poll {
                Some(p) if p < l.deadline() => {}
                _ => {
                    return Err(HardwareError::Device {
                        key: format!("{}.deadline_ms", b.key),
                        reason: format!(
                            "{} ms is not above the poll period of point {point:?} of {:?} \
                             ({}): one missed poll would already be a fault",
                            l.deadline().as_millis(),
                            device.name,
                            poll.map_or("not polled".to_string(), |p| format!(
                                "{} ms",
                                p.as_millis()
                            )),
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Add each `[[devices]]` I/O module to the line sources, under its device name.
pub fn add_io_modules(io: &mut IoSources, devices: Option<&charger_hal::devices::Devices>) {
    let Some(devices) = devices else {
        return;
    };
    for name in devices.io_modules.keys() {
        if let Some(source) = devices.line_source(name) {
            io.insert(name.clone(), source);
        }
    }
}

/// Connector `c`'s board I/O: each line of its `io` table on its source's point.
fn board_io(
    c: &ConnectorSection,
    index: usize,
    io: &ConnectorIoSection,
    sources: &IoSources,
) -> Result<BoardIo, HardwareError> {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for (line, l) in io.lines() {
        let key = format!("connectors[{index}].io.{}.source", line.key());
        let source = sources
            .get(&l.source)
            .cloned()
            .ok_or_else(|| HardwareError::Device {
                key: key.clone(),
                reason: format!("source {:?} was not started", l.source),
            })?;
        match line {
            LineKey::Input(line) => {
                // Analog: an IIO channel, or an I/O module's analog point with its bands.
                let kind = if l.channel.is_some() || l.detection.is_some() {
                    InputKind::Detection(
                        l.detection
                            .clone()
                            .unwrap_or_default()
                            .thresholds(c.protocol)
                            .map_err(|reason| HardwareError::Device {
                                key: key.clone(),
                                reason,
                            })?,
                    )
                } else {
                    InputKind::Level
                };
                inputs.push(InputMapping {
                    line,
                    source,
                    point: l.point(),
                    kind,
                    deadline: l.deadline(),
                });
            }
            LineKey::Output(line) => outputs.push(OutputMapping {
                line,
                source,
                point: l.point(),
            }),
        }
    }
    Ok(BoardIo::new(c.id, inputs, outputs))
}

/// The taps of the connectors with `simulate_devices`, by connector id: their simulated
/// physics shows through them to their meter, insulation monitor and cooling unit served
/// over Modbus TCP (the daemon serves them; see `charger_hal::sim::tap`).
pub fn sim_taps(cfg: &Config) -> BTreeMap<u32, PlantTap> {
    cfg.connectors
        .iter()
        .filter(|c| c.simulate_devices)
        .map(|c| {
            let devices: Vec<TapDevice> = c
                .devices()
                .iter()
                .map(|d| match d.role {
                    Role::DcMeter => TapDevice::Meter,
                    Role::CoolingUnit => TapDevice::CoolingUnit,
                    // ConnectorSection::devices names only these three roles.
                    _ => TapDevice::InsulationMonitor,
                })
                .collect();
            (c.id, PlantTap::new(&devices))
        })
        .collect()
}

/// `base` with the connector's device-backed parts (`connectors[i].meter`, `.imd`,
/// `.cooling` naming a `[[devices]]` entry) in place of its own, taken from `devices`.
/// Unchanged when it names none.
fn with_connector_devices(
    c: &ConnectorSection,
    index: usize,
    base: Box<dyn ConnectorHardware>,
    devices: Option<&mut charger_hal::devices::Devices>,
) -> Result<DeviceBackedConnector, HardwareError> {
    let parts = c.devices();
    if parts.is_empty() {
        return Ok(DeviceBackedConnector::new(base));
    }
    let Some(devices) = devices else {
        return Err(HardwareError::Device {
            key: format!(
                "connectors[{index}].{}",
                parts.first().map_or("meter.device", |p| p.key)
            ),
            reason: "the [[devices]] were not started".into(),
        });
    };
    let missing = |key: &str, name: &str| HardwareError::Device {
        key: format!("connectors[{index}].{key}"),
        reason: format!("device {name:?} was not started"),
    };
    let mut hw = DeviceBackedConnector::new(base);
    for part in parts {
        let name = part.device;
        hw = match part.role {
            Role::DcMeter => hw.with_meter(Box::new(
                devices
                    .dc_meters
                    .remove(name)
                    .ok_or_else(|| missing(part.key, name))?,
            )),
            Role::InsulationMonitor => hw.with_imd(Box::new(
                devices
                    .insulation_monitors
                    .remove(name)
                    .ok_or_else(|| missing(part.key, name))?,
            )),
            Role::CoolingUnit => hw.with_cooling(Box::new(
                devices
                    .cooling_units
                    .remove(name)
                    .ok_or_else(|| missing(part.key, name))?,
            )),
            _ => return Err(missing(part.key, name)),
        };
        tracing::info!(
            connector = c.id,
            part = part.key,
            device = name,
            "connector part is a device"
        );
    }
    Ok(hw)
}

/// The pool's matrix on the board's I/O when its `[[pool.matrix]]` entries name their coil
/// and feedback lines (resolved through `sources`, as connector lines are); `None` when they
/// name none (the matrix is the simulated cabinet's).
fn board_matrix(
    section: &PoolSection,
    sources: &IoSources,
) -> Result<Option<BoardMatrix>, HardwareError> {
    if !section.board_matrix() {
        return Ok(None);
    }
    let mut contactors = Vec::with_capacity(section.matrix.len());
    for (i, m) in section.matrix.iter().enumerate() {
        // The configuration requires both on every entry once one names either.
        let line = |field: &str, line: &Option<IoLineSection>| {
            line.clone().ok_or_else(|| HardwareError::Device {
                key: format!("pool.matrix[{i}].{field}"),
                reason: "every contactor of a matrix on the board's I/O needs its coil and \
                         feedback"
                    .into(),
            })
        };
        let (coil, feedback) = (line("coil", &m.coil)?, line("feedback", &m.feedback)?);
        let source = |field: &str, l: &IoLineSection| {
            sources
                .get(&l.source)
                .cloned()
                .ok_or_else(|| HardwareError::Device {
                    key: format!("pool.matrix[{i}].{field}.source"),
                    reason: format!("source {:?} was not started", l.source),
                })
        };
        contactors.push(MatrixContactorLines {
            coil_source: source("coil", &coil)?,
            coil_point: coil.point(),
            feedback_source: source("feedback", &feedback)?,
            feedback_point: feedback.point(),
            feedback_deadline: feedback.deadline(),
        });
    }
    Ok(Some(BoardMatrix::new(contactors)))
}

/// The simulated cabinet of a `[pool]`: each module rated as configured, the matrix as wired
/// in `[[pool.matrix]]`. It feeds the simulated connectors' buses; its modules are the pool's
/// modules themselves, or (`pool.simulate_devices`) served over Modbus TCP to the pool's
/// `[[devices]]`.
pub fn sim_cabinet(cfg: &Config) -> Option<SimCabinet> {
    cfg.pool.as_ref().map(|pool| {
        let modules = pool
            .modules
            .iter()
            .map(|m| SimModuleParams {
                max_power_w: m.max_power_kw * 1000.0,
                max_current_a: m.max_current_a,
                max_voltage: m.max_voltage,
                low_range_max_voltage: m.low_range_max_voltage,
                ..SimModuleParams::default()
            })
            .collect();
        let wiring: Vec<(usize, u32)> = pool
            .matrix
            .iter()
            .filter_map(|c| {
                let module = pool.modules.iter().position(|m| m.id == c.module)?;
                Some((module, c.connector))
            })
            .collect();
        SimCabinet::new(modules, &wiring)
    })
}

/// [`build_all`] with the `[[devices]]` already started (`hal::devices::spawn_devices`): the
/// pool's modules that name a device are that device, and so are the connectors' meters,
/// insulation monitors and cooling units that name one. `taps` ([`sim_taps`]) show the
/// simulated connectors' physics to their devices served by the daemon. A connector with an
/// `io` table reads and drives its lines on `io` ([`start_io_sources`]) instead of the
/// simulator's, and so does the pool's matrix when its entries name their coil and feedback
/// (else it is `cabinet`'s).
pub fn build_with_devices(
    cfg: &Config,
    mut devices: Option<charger_hal::devices::Devices>,
    cabinet: Option<SimCabinet>,
    taps: &BTreeMap<u32, PlantTap>,
    io: &IoSources,
) -> Result<Hardware, HardwareError> {
    check(cfg)?;
    let connectors = cfg
        .connectors
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.hardware == HardwareKind::Board {
                let base = charger_hal::board::BoardConnector::new(board_can(c));
                let mut hw = with_connector_devices(c, i, Box::new(base), devices.as_mut())?;
                if let Some(table) = &c.io {
                    hw = hw.with_io(board_io(c, i, table, io)?);
                }
                tracing::info!(
                    connector = c.id,
                    "connector on the board: real bus, lines, devices and pool"
                );
                return Ok((c.id, Box::new(hw) as Box<dyn ConnectorHardware>));
            }
            let mut sim = simulated_connector(c)?.with_cooling(cfg.simulator.cooling());
            if let Some(cabinet) = &cabinet {
                sim = sim.with_bus(cabinet.bus(c.id));
            }
            if let Some(tap) = taps.get(&c.id) {
                sim = sim.with_tap(tap.clone());
            }
            let mut hw = with_connector_devices(c, i, Box::new(sim), devices.as_mut())?;
            if let Some(table) = &c.io {
                hw = hw
                    .with_io(board_io(c, i, table, io)?)
                    .with_plant_behind_board();
                tracing::info!(
                    connector = c.id,
                    "connector I/O is the board's; the simulated plant follows its outputs"
                );
            }
            Ok((c.id, Box::new(hw) as Box<dyn ConnectorHardware>))
        })
        .collect::<Result<Vec<_>, HardwareError>>()?;
    let pool = match (cabinet.as_ref(), cfg.pool.as_ref()) {
        (Some(cabinet), Some(section)) => {
            let mut modules = Vec::with_capacity(section.modules.len());
            for (i, (m, simulated)) in section.modules.iter().zip(cabinet.modules()).enumerate() {
                let module: Box<dyn PowerModule> = match &m.device {
                    None => Box::new(simulated),
                    Some(name) => {
                        // Over Modbus (TCP, RTU) or CAN: the pool sees a PowerModule.
                        devices
                            .as_mut()
                            .and_then(|d| d.take_power_module(name))
                            .ok_or_else(|| HardwareError::Device {
                                key: format!("pool.modules[{i}].device"),
                                reason: format!("device {name:?} was not started"),
                            })?
                    }
                };
                modules.push(module);
            }
            let matrix: Box<dyn SwitchingMatrix> = match board_matrix(section, io)? {
                Some(board) => {
                    if section.modules.iter().any(|m| m.device.is_none()) {
                        // A bench check of the matrix wiring: the contactors click, but the
                        // simulated modules feed the simulated connectors only through the
                        // simulated matrix, which nothing closes now.
                        tracing::warn!(
                            "the matrix is on the board's I/O while the modules are simulated: \
                             the simulated connectors get no power from the pool"
                        );
                    }
                    tracing::info!(contactors = board.len(), "pool matrix on the board's I/O");
                    Box::new(board)
                }
                None => Box::new(cabinet.matrix()),
            };
            Some(PoolHardware {
                modules,
                matrix,
                contactors: section.matrix.len(),
            })
        }
        _ => None,
    };
    Ok(Hardware {
        connectors,
        pool,
        cabinet,
        devices: devices.map(|d| d.health),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use charger_hal::sim::modbus::connector::{
        serve_connector_devices, ConnectorDevicesSpec, DeviceSpec,
    };
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/devices");

    fn profile(name: &str) -> Arc<charger_hal::profile::Profile> {
        Arc::new(charger_hal::profile::Profile::load(&Path::new(PROFILES).join(name)).unwrap())
    }

    fn config(ports: [u16; 3], simulate: bool) -> Config {
        let [meter, imd, cooling] = ports;
        let text = format!(
            r#"
[station]
state_dir = "/tmp/x"

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = {{ backend = "simulated" }}
simulate_devices = {simulate}
meter = {{ backend = "device", device = "meter-1" }}
imd = {{ backend = "device", device = "imd-1" }}
cooling = {{ backend = "device", device = "cooling-1" }}

[[devices]]
name = "meter-1"
role = "dc_meter"
profile = "{PROFILES}/dc-meter-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {meter}, unit = 1 }}

[[devices]]
name = "imd-1"
role = "insulation_monitor"
profile = "{PROFILES}/insulation-monitor-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {imd}, unit = 1 }}

[[devices]]
name = "cooling-1"
role = "cooling_unit"
profile = "{PROFILES}/cooling-unit-hpc-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {cooling}, unit = 1 }}
"#
        );
        Config::from_toml_str(&text, "t.toml").unwrap()
    }

    #[test]
    fn a_tap_serves_the_device_backed_parts_of_a_simulating_connector_only() {
        let taps = sim_taps(&config([15031, 15032, 15033], true));
        let tap = taps.get(&1).expect("connector 1 simulates its devices");
        for d in [
            TapDevice::Meter,
            TapDevice::InsulationMonitor,
            TapDevice::CoolingUnit,
        ] {
            assert!(tap.serves(d), "{d:?}");
        }
        assert!(sim_taps(&config([15031, 15032, 15033], false)).is_empty());
        // Without the devices started, the connector's parts cannot be built: the key says
        // which.
        let e = build_all(&config([15031, 15032, 15033], false)).unwrap_err();
        assert!(e.to_string().contains("connectors[0].meter.device"), "{e}");
    }

    /// The connector's hardware reads its meter, insulation monitor and cooling unit over
    /// Modbus TCP, not the simulated connector's own parts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_connectors_device_parts_replace_the_simulated_ones() {
        let any = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let spec = ConnectorDevicesSpec {
            meter: Some(DeviceSpec {
                profile: profile("dc-meter-modbus.toml"),
                addr: any,
            }),
            imd: Some(DeviceSpec {
                profile: profile("insulation-monitor-modbus.toml"),
                addr: any,
            }),
            cooling: Some(DeviceSpec {
                profile: profile("cooling-unit-hpc-modbus.toml"),
                addr: any,
            }),
            thermal: None,
            sensors: charger_hal::sim::thermal::SensorChainParams::default(),
            tick: Duration::from_millis(10),
        };
        let tap = PlantTap::new(&spec.tap_devices());
        let sim = serve_connector_devices(spec, tap.clone()).await.unwrap();
        let port = |a: Option<std::net::SocketAddr>| a.unwrap().port();
        let cfg = config(
            [
                port(sim.meter.as_ref().map(|s| s.addr())),
                port(sim.imd.as_ref().map(|s| s.addr())),
                port(sim.cooling.as_ref().map(|s| s.addr())),
            ],
            false,
        );
        let epoch = tokio::time::Instant::now();
        let devices = charger_hal::devices::spawn_devices(
            &cfg.devices,
            Path::new("/"),
            charger_hal::devices::ReadingClock::new(epoch),
        )
        .await
        .unwrap();
        let mut hw = build_with_devices(
            &cfg,
            Some(devices),
            None,
            &BTreeMap::new(),
            &IoSources::new(),
        )
        .unwrap();
        let (_, mut c) = hw.connectors.remove(0);
        tap.publish(640.0, 300.0, None);
        tap.set_ambient(45.0);
        let since = |t: tokio::time::Instant| {
            charger_protocol::Timestamp::from_millis(
                u64::try_from(t.saturating_duration_since(epoch).as_millis()).unwrap(),
            )
        };
        c.imd()
            .set_measuring(true, since(tokio::time::Instant::now()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let meter = c.meter().expect("the device meter").reading();
            let imd = c.imd().reading();
            let cooling = c.cooling().expect("the device cooling unit").reading();
            if !meter.stale
                && meter.voltage == Some(640.0)
                && meter.serial.as_deref() == Some("SIM-M1")
                && imd.resistance_ohms == Some(10.0e6)
                && imd.cable_voltage == 640.0
                && !imd.stale
                && !cooling.stale
                && cooling.pin_dc_plus_c.is_some()
                // The technician's ambient reached the served plant, whose truth comes back.
                && tap
                    .snapshot()
                    .plant
                    .is_some_and(|p| p.ambient_c == 45.0 && p.hottest_pin_c > 25.0)
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{meter:?}\n{imd:?}\n{cooling:?}\n{:?}",
                tap.snapshot().plant
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.step(since(tokio::time::Instant::now()));
        }
    }

    /// A connector's lines on a Modbus I/O module (the shipped 8 DI / 8 DO profile): accepted
    /// by the static checks when each point is the right kind and polled within the line's
    /// deadline; each mistake names the key.
    #[test]
    fn lines_on_an_io_module_are_checked_against_its_profile() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
        let text = |estop: &str, plugged: &str, contactors: &str| {
            format!(
                r#"
[station]
state_dir = "/tmp/x"

[[devices]]
name = "cabinet-io"
role = "io_module"
profile = "devices/io-module-8di8do-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = 15099, unit = 1 }}

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 750
max_current = 200
max_power_kw = 150
can = {{ backend = "simulated" }}
[connectors.io]
emergency_stop = {{ source = "cabinet-io", {estop} }}
plugged = {{ source = "cabinet-io", {plugged} }}
contactors = {{ source = "cabinet-io", {contactors} }}
"#
            )
        };
        let check = |t: String| {
            let cfg = Config::from_toml_str(&t, "board.toml").map_err(|e| e.to_string())?;
            check_io_modules(&cfg, &base).map_err(|e| e.to_string())
        };
        // Inputs polled at 20 Hz (50 ms) within 100 ms; do1 a relay.
        check(text(
            r#"line = "di1", deadline_ms = 100"#,
            r#"line = "di2", deadline_ms = 100"#,
            r#"line = "do1""#,
        ))
        .unwrap();
        let err = check(text(
            r#"line = "di9", deadline_ms = 100"#,
            r#"line = "di2", deadline_ms = 100"#,
            r#"line = "do1""#,
        ))
        .unwrap_err();
        assert!(
            err.contains("connectors[0].io.emergency_stop.line") && err.contains("no point"),
            "{err}"
        );
        let err = check(text(
            r#"line = "di1", deadline_ms = 100"#,
            r#"line = "di2", deadline_ms = 100"#,
            r#"line = "di3""#,
        ))
        .unwrap_err();
        assert!(
            err.contains("connectors[0].io.contactors.line") && err.contains("digital_output"),
            "{err}"
        );
        let err = check(text(
            r#"line = "di1", deadline_ms = 40"#,
            r#"line = "di2", deadline_ms = 100"#,
            r#"line = "do1""#,
        ))
        .unwrap_err();
        assert!(
            err.contains("connectors[0].io.emergency_stop.deadline_ms") && err.contains("50 ms"),
            "{err}"
        );
        // The static config check already refuses what no profile can fix.
        let err = check(text(
            r#"line = "di1", edges = true, deadline_ms = 100"#,
            r#"line = "di2", deadline_ms = 100"#,
            r#"line = "do1""#,
        ))
        .unwrap_err();
        assert!(
            err.contains("connectors[0].io.emergency_stop.edges"),
            "{err}"
        );
    }

    /// The pool's matrix lines on a Modbus I/O module are checked against its profile like
    /// a connector's: a coil on a digital output, a feedback on a digital input polled within
    /// its deadline; each mistake names the matrix entry's key.
    #[test]
    fn matrix_lines_on_an_io_module_are_checked_against_its_profile() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
        let text = |coil: &str, feedback: &str| {
            format!(
                r#"
[station]
state_dir = "/tmp/x"

[[devices]]
name = "cabinet-io"
role = "io_module"
profile = "devices/io-module-8di8do-modbus.toml"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = 15098, unit = 1 }}

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 750
max_current = 200
max_power_kw = 150
can = {{ backend = "simulated" }}

[pool]
[[pool.modules]]
id = 1
max_power_kw = 30
max_current_a = 100
[[pool.modules]]
id = 2
max_power_kw = 30
max_current_a = 100

[[pool.matrix]]
module = 1
connector = 1
coil = {{ source = "cabinet-io", line = "do1" }}
feedback = {{ source = "cabinet-io", line = "di1", deadline_ms = 100 }}

[[pool.matrix]]
module = 2
connector = 1
coil = {{ source = "cabinet-io", {coil} }}
feedback = {{ source = "cabinet-io", {feedback} }}
"#
            )
        };
        let check = |t: String| {
            let cfg = Config::from_toml_str(&t, "board.toml").map_err(|e| e.to_string())?;
            check_io_modules(&cfg, &base).map_err(|e| e.to_string())
        };
        check(text(
            r#"line = "do2""#,
            r#"line = "di2", deadline_ms = 100"#,
        ))
        .unwrap();
        let err = check(text(
            r#"line = "di3""#,
            r#"line = "di2", deadline_ms = 100"#,
        ))
        .unwrap_err();
        assert!(
            err.contains("pool.matrix[1].coil.line") && err.contains("digital_output"),
            "{err}"
        );
        let err = check(text(
            r#"line = "do2""#,
            r#"line = "di9", deadline_ms = 100"#,
        ))
        .unwrap_err();
        assert!(
            err.contains("pool.matrix[1].feedback.line") && err.contains("no point"),
            "{err}"
        );
        let err = check(text(r#"line = "do2""#, r#"line = "di2", deadline_ms = 40"#)).unwrap_err();
        assert!(
            err.contains("pool.matrix[1].feedback.deadline_ms") && err.contains("50 ms"),
            "{err}"
        );
    }

    /// `hardware = "board"`: what such a connector must have is checked statically, each
    /// missing piece named by its key; configs/board-example.toml has them all.
    #[test]
    fn a_board_connector_needs_lines_a_monitor_and_the_pools_real_modules() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
        let example = std::fs::read_to_string(base.join("board-example.toml")).unwrap();
        let cfg = Config::from_toml_str(&example, "board-example.toml").unwrap();
        check(&cfg).unwrap();
        let broken = |from: &str, to: &str| {
            assert!(example.contains(from), "{from}");
            let cfg = Config::from_toml_str(&example.replacen(from, to, 1), "board-example.toml")
                .unwrap();
            check(&cfg).unwrap_err().to_string()
        };
        let e = broken("imd = { backend = \"device\", device = \"imd-1\" }", "");
        assert!(e.contains("connector 1: key `imd`"), "{e}");
        let e = broken(
            "can = { backend = \"socketcan\", interface = \"can0\" }",
            "can = { backend = \"simulated\" }",
        );
        assert!(e.contains("connector 1: key `can.backend`"), "{e}");
        // Without the pool: no power.
        let no_pool = example.split("\n[pool]\n").next().unwrap();
        let cfg = Config::from_toml_str(no_pool, "board-example.toml").unwrap();
        let e = check(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("connector 1: key `hardware`") && e.contains("[pool]"),
            "{e}"
        );
    }

    /// A connector with an `io` table reads its inputs and drives its outputs on the board's
    /// GPIO chip (the fake backend) and its CC1 on an IIO tree, through the assembly the
    /// daemon uses: outputs safe at open, commands written, the e-stop seen, staleness.
    #[test]
    fn a_connector_with_an_io_table_runs_on_the_board_lines() {
        use charger_hal::gpio::fake::FakeBackend;
        use charger_protocol::Timestamp;
        let tmp = tempfile::tempdir().unwrap();
        let dev = tmp.path().join("iio:device0");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("name"), "ads1015\n").unwrap();
        std::fs::write(dev.join("in_voltage_scale"), "2\n").unwrap();
        // 12 V at the connector through 11:1 = 545 counts of 2 mV.
        std::fs::write(dev.join("in_voltage0_raw"), "545\n").unwrap();
        let text = format!(
            r#"
[station]
state_dir = "/tmp/x"

[[io_sources]]
name = "gpio0"
kind = "gpio"
chip = "/dev/gpiochip7"
poll_ms = 5
retry_ms = 50

[[io_sources]]
name = "adc0"
kind = "iio"
device = "ads1015"
root = "{}"
poll_ms = 5

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = {{ backend = "simulated" }}
[connectors.io]
emergency_stop = {{ source = "gpio0", line = "ESTOP_N", active_low = true, edges = true, deadline_ms = 100 }}
plugged = {{ source = "adc0", channel = 0, divider = 11.0, detection = {{}}, deadline_ms = 100 }}
contactors = {{ source = "gpio0", line = "K1_K2" }}
connector_lock = {{ source = "gpio0", line = "LOCK_N", active_low = true }}
aux_power = {{ source = "gpio0", line = "K3_K4" }}
"#,
            tmp.path().display()
        );
        let cfg = Config::from_toml_str(&text, "board.toml").unwrap();
        let fake = FakeBackend::default();
        let chip = Path::new("/dev/gpiochip7");
        fake.add_chip(chip, &["ESTOP_N", "K1_K2", "LOCK_N", "K3_K4"]);
        // The e-stop chain is closed: its active-low line is high.
        fake.drive(chip, "ESTOP_N", true);
        let epoch = tokio::time::Instant::now();
        let io = start_io_sources_with(
            &cfg,
            Path::new("board.toml"),
            ReadingClock::new(epoch),
            Arc::new(fake.clone()),
        )
        .unwrap();
        let mut hw = build_with_devices(&cfg, None, None, &BTreeMap::new(), &io).unwrap();
        let (_, mut c) = hw.connectors.remove(0);
        let now = || {
            Timestamp::from_millis(
                u64::try_from(
                    tokio::time::Instant::now()
                        .duration_since(epoch)
                        .as_millis(),
                )
                .unwrap(),
            )
        };
        let wait = |c: &mut Box<dyn ConnectorHardware>,
                    what: &str,
                    f: &dyn Fn(&charger_hal::DigitalInputs) -> bool| {
            let end = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                c.step(now());
                let inputs = c.io().read();
                if f(&inputs) {
                    return inputs;
                }
                assert!(std::time::Instant::now() < end, "{what}: {inputs:?}");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let idle = wait(&mut c, "fresh inputs", &|i| !i.stale);
        assert!(!idle.emergency_stop && !idle.plugged, "{idle:?}");
        // Outputs were requested off: contactor line low, active-low lock line high.
        assert_eq!(fake.level(chip, "K1_K2"), Some(false));
        assert_eq!(fake.level(chip, "LOCK_N"), Some(true));

        // The truck plugs in and latches: 4 V on CC1.
        std::fs::write(dev.join("in_voltage0_raw"), "182\n").unwrap();
        wait(&mut c, "plugged", &|i| i.plugged && !i.stale);
        let mut out = charger_hal::DigitalOutputs {
            contactors: true,
            connector_lock: true,
            ..Default::default()
        };
        out.lines.aux_power = true;
        c.io().write(&out);
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while fake.level(chip, "K1_K2") != Some(true)
            || fake.level(chip, "LOCK_N") != Some(false)
            || fake.level(chip, "K3_K4") != Some(true)
        {
            assert!(std::time::Instant::now() < end, "outputs not written");
            std::thread::sleep(Duration::from_millis(2));
        }
        // The e-stop chain opens: the line drops.
        fake.drive(chip, "ESTOP_N", false);
        wait(&mut c, "the emergency stop", &|i| {
            i.emergency_stop && !i.stale
        });
        // The chip goes away: the inputs go stale within their deadline.
        fake.remove_chip(chip);
        wait(&mut c, "stale inputs", &|i| i.stale);
    }

    /// The pool's matrix on the board's GPIO chip (the fake backend), through the assembly
    /// the daemon uses: the coils requested open, the pool's commands written to them, each
    /// auxiliary contact read back as the pool's feedback while fresh, unknown once the chip
    /// is gone.
    #[test]
    fn the_pools_matrix_drives_its_coils_and_reads_its_feedback_on_the_board_lines() {
        use charger_hal::gpio::fake::FakeBackend;
        use charger_protocol::Timestamp;
        let text = r#"
[station]
state_dir = "/tmp/x"

[[io_sources]]
name = "gpio0"
kind = "gpio"
chip = "/dev/gpiochip3"
poll_ms = 5
retry_ms = 50

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = { backend = "simulated" }

[pool]
[[pool.modules]]
id = 1
max_power_kw = 30
max_current_a = 100
[[pool.modules]]
id = 2
max_power_kw = 30
max_current_a = 100

[[pool.matrix]]
module = 1
connector = 1
coil = { source = "gpio0", line = "MTX_M1_C1" }
feedback = { source = "gpio0", line = "MTX_M1_C1_AUX", deadline_ms = 50 }

[[pool.matrix]]
module = 2
connector = 1
coil = { source = "gpio0", line = "MTX_M2_C1_N", active_low = true }
feedback = { source = "gpio0", line = "MTX_M2_C1_AUX", deadline_ms = 50 }
"#;
        let cfg = Config::from_toml_str(text, "board.toml").unwrap();
        let fake = FakeBackend::default();
        let chip = Path::new("/dev/gpiochip3");
        fake.add_chip(
            chip,
            &["MTX_M1_C1", "MTX_M1_C1_AUX", "MTX_M2_C1_N", "MTX_M2_C1_AUX"],
        );
        let epoch = tokio::time::Instant::now();
        let io = start_io_sources_with(
            &cfg,
            Path::new("board.toml"),
            ReadingClock::new(epoch),
            Arc::new(fake.clone()),
        )
        .unwrap();
        let mut hw =
            build_with_devices(&cfg, None, sim_cabinet(&cfg), &BTreeMap::new(), &io).unwrap();
        let mut pool = hw.pool.take().expect("the pool");
        assert_eq!(pool.contactors, 2);
        let now = || {
            Timestamp::from_millis(
                u64::try_from(
                    tokio::time::Instant::now()
                        .duration_since(epoch)
                        .as_millis(),
                )
                .unwrap(),
            )
        };
        let until = |what: &str, f: &dyn Fn() -> bool| {
            let end = std::time::Instant::now() + Duration::from_secs(5);
            while !f() {
                assert!(std::time::Instant::now() < end, "{what}");
                std::thread::sleep(Duration::from_millis(2));
            }
        };
        // Both coils requested open (the active-low one high) before any command.
        until("coils requested", &|| fake.requested(chip));
        assert_eq!(fake.level(chip, "MTX_M1_C1"), Some(false));
        assert_eq!(fake.level(chip, "MTX_M2_C1_N"), Some(true));

        // The pool closes module 1's contactor and keeps module 2's open.
        pool.matrix.set(0, true, now());
        pool.matrix.set(1, false, now());
        until("coil 1 closed", &|| {
            fake.level(chip, "MTX_M1_C1") == Some(true)
        });
        assert_eq!(fake.level(chip, "MTX_M2_C1_N"), Some(true));

        // The auxiliary contacts answer: 1 closed, 2 open; the pool reads both at its step.
        fake.drive(chip, "MTX_M1_C1_AUX", true);
        let feedback = |m: &mut PoolHardware| {
            m.matrix.step(now());
            (m.matrix.feedback(0), m.matrix.feedback(1))
        };
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while feedback(&mut pool) != (Some(true), Some(false)) {
            assert!(std::time::Instant::now() < end, "{:?}", feedback(&mut pool));
            std::thread::sleep(Duration::from_millis(2));
        }
        // `chargerctl hw` lists each contactor's coil and feedback line with its state.
        let lines = pool.matrix.lines(now());
        let line = |key: &str| lines.iter().find(|l| l.key == key).cloned().unwrap();
        assert_eq!(
            line("pool.matrix[0].coil").value,
            Some(charger_hal::PointValue::Level(true))
        );
        let fb = line("pool.matrix[0].feedback");
        assert_eq!(fb.value, Some(charger_hal::PointValue::Level(true)));
        assert!(
            !fb.late && fb.age_ms.is_some() && fb.point == "MTX_M1_C1_AUX",
            "{fb:?}"
        );
        // Module 2 joins: its active-low coil goes low.
        pool.matrix.set(1, true, now());
        until("coil 2 closed", &|| {
            fake.level(chip, "MTX_M2_C1_N") == Some(false)
        });

        // The chip goes away: no fresh reading within 50 ms, so the feedback is unknown (the
        // pool's "not known open"), never the last level.
        fake.remove_chip(chip);
        let end = std::time::Instant::now() + Duration::from_secs(5);
        while feedback(&mut pool) != (None, None) {
            assert!(std::time::Instant::now() < end, "{:?}", feedback(&mut pool));
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
