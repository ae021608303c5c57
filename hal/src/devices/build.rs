//! From the configured device instances to running connections and role objects.
//!
//! Each instance names a device, its role, its profile file and its transport. Every unit id
//! at one Modbus TCP address shares one connection (one task, [`spawn_tcp`]), as the units
//! behind a gateway must; every unit on one RTU serial bus shares that bus (one task,
//! [`spawn_rtu`], polling them in turn); every power module on one CAN bus shares its port
//! (one [`CanModuleBus`] stepped by its own task). Everything that can be wrong in the
//! configuration is checked before anything is spawned ([`check_instances`] first, then the
//! profiles, addresses and CAN addresses), and each error names the device, the key under its
//! `[[devices]]` entry and what is wrong.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::task::JoinHandle;

use super::links::{check_instances, CanBusKey, CanLink, CanTransport, ModbusRtu};
use super::{
    check_profile, HealthView, ModbusCoolingUnit, ModbusDcMeter, ModbusInsulationMonitor,
    ModbusIoModule, ModbusPowerModule, ReadingClock, RoleError,
};
use crate::can::cannelloni::{CannelloniConfig, CannelloniPort};
use crate::can::socketcan::SocketCanPort;
use crate::can::CanPort;
use crate::can_module::{CanModuleBus, CanPowerModule};
use crate::io::LineSource;
use crate::modbus::{spawn_rtu, spawn_tcp, DeviceConfig, RtuLink, TcpLink};
use crate::module::PowerModule;
use crate::profile::can::CanProfile;
use crate::profile::{Profile, ProfileError, Role};

/// How often each CAN bus's task steps its modules: dispatches replies, sends what is due.
/// The profiles' periods are tens of milliseconds; 5 ms keeps a new setpoint's latency small.
pub const CAN_STEP: Duration = Duration::from_millis(5);

/// One configured device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInstance {
    /// Unique among the devices; logs, the CLI and the rest of the configuration use it.
    pub name: String,
    pub role: Role,
    /// The device profile (`configs/devices/*.toml`); a relative path is taken from the
    /// directory given to [`spawn_devices`] (the configuration file's).
    pub profile: PathBuf,
    pub transport: Transport,
}

fn modbus_tcp_port() -> u16 {
    502
}

/// How a device is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Transport {
    /// Modbus TCP: `{ kind = "modbus_tcp", host = "10.0.0.5", port = 502, unit = 1 }`.
    ModbusTcp(ModbusTcp),
    /// Modbus RTU: `{ kind = "modbus_rtu", path = "/dev/ttyUSB0", baud = 19200, unit = 3 }`.
    ModbusRtu(ModbusRtu),
    /// A power module on CAN:
    /// `{ kind = "can", address = 1, link = { backend = "socketcan", interface = "can0" } }`.
    Can(CanTransport),
}

/// A unit at a Modbus TCP address. Devices at one host and port share one connection; their
/// link settings must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusTcp {
    pub host: String,
    #[serde(default = "modbus_tcp_port")]
    pub port: u16,
    /// 1..=255 (0 is the broadcast address, which never answers).
    pub unit: u8,
    /// Bound on every request, connecting included (default 500 ms; 10..=10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u32>,
    /// Failed requests in a row before the connection is rebuilt (default 3; 1..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_after: Option<u32>,
    /// Reads in a row with an unchanged update counter before values count as frozen
    /// (default 5; 1..=1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_after: Option<u32>,
}

impl ModbusTcp {
    /// A unit at `host:port` with the default link settings.
    pub fn new(host: impl Into<String>, port: u16, unit: u8) -> Self {
        ModbusTcp {
            host: host.into(),
            port,
            unit,
            timeout_ms: None,
            reconnect_after: None,
            frozen_after: None,
        }
    }
}

/// Settings of one Modbus TCP connection; each has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct LinkOptions {
    timeout_ms: Option<u32>,
    reconnect_after: Option<u32>,
    frozen_after: Option<u32>,
}

impl LinkOptions {
    pub(super) fn of(tcp: &ModbusTcp) -> Self {
        LinkOptions {
            timeout_ms: tcp.timeout_ms,
            reconnect_after: tcp.reconnect_after,
            frozen_after: tcp.frozen_after,
        }
    }

    /// Each setting within its range; the error names the key under `transport`.
    pub(super) fn check(&self) -> Result<(), (&'static str, BuildProblem)> {
        self.link(SocketAddr::from(([0, 0, 0, 0], 0))).map(|_| ())
    }

    pub(super) fn link(&self, addr: SocketAddr) -> Result<TcpLink, (&'static str, BuildProblem)> {
        use super::links::setting;
        Ok(TcpLink {
            addr,
            timeout: Duration::from_millis(u64::from(setting(
                "transport.timeout_ms",
                self.timeout_ms,
                500,
                10,
                10_000,
            )?)),
            reconnect_after: setting("transport.reconnect_after", self.reconnect_after, 3, 1, 100)?,
            frozen_after: setting("transport.frozen_after", self.frozen_after, 5, 1, 1000)?,
        })
    }
}

/// A device that cannot be set up, and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("device {device}: {key}: {problem}")]
pub struct BuildError {
    /// The device's position in the list (`devices[<index>]` in the configuration).
    pub index: usize,
    /// The device's name, or `devices[<index>]` when it has none.
    pub device: String,
    /// The key under the device's entry the problem is in, e.g. `transport.baud`.
    pub key: &'static str,
    pub problem: BuildProblem,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum BuildProblem {
    #[error("the name is empty")]
    EmptyName,
    #[error("another device has the same name")]
    DuplicateName,
    /// The profile file cannot be read or is wrong (the error names file and key).
    #[error(transparent)]
    Profile(Box<ProfileError>),
    #[error("its profile {} is for role {found}, not {wanted}", file.display())]
    WrongRole {
        file: PathBuf,
        found: Role,
        wanted: Role,
    },
    #[error(transparent)]
    Role(Box<RoleError>),
    #[error("unit id 0 is the broadcast address and never answers; use 1..=255")]
    BroadcastUnit,
    #[error("unit {unit} on {link} is also device {other}")]
    DuplicateUnit {
        unit: u8,
        link: String,
        other: String,
    },
    #[error("cannot resolve {host}:{port}: {error}")]
    Resolve {
        host: String,
        port: u16,
        error: String,
    },
    #[error("{key} = {value} is outside {min}..={max}")]
    Setting {
        key: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error(
        "differs from device {other}'s, which shares {link}: every device on one link must \
         agree on its settings"
    )]
    LinkConflict { other: String, link: String },
    #[error("the serial device path is empty")]
    EmptyPath,
    #[error(
        "baud = {0} is not a standard rate (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, \
         115200, 230400, 460800, 921600)"
    )]
    Baud(u32),
    #[error("data_bits = {0}: Modbus RTU sends 8-bit bytes (7 is Modbus ASCII framing)")]
    DataBits(u8),
    #[error("stop_bits = {0}: 1 or 2")]
    StopBits(u8),
    #[error(
        "unit id {0} cannot be addressed on an RTU bus: 1..=247 (0 is broadcast, 248..=255 \
         are reserved)"
    )]
    RtuUnit(u8),
    #[error("a CAN device is a power module (role = \"power_module\"), not {0}")]
    CanRole(Role),
    #[error("{0:?} is not a network interface name (1 to 15 characters, no '/', ':' or spaces)")]
    InterfaceName(String),
    #[error("must be a concrete address and port (the bridge or module simulator to talk to)")]
    CannelloniPeer,
    #[error("must differ from the peer")]
    CannelloniLoop,
    #[error(
        "the modules on {link} share one profile, and device {other} on it names another: put \
         modules of different protocols on different buses"
    )]
    BusProfile { other: String, link: String },
    #[error("address {address} on {link} is also device {other}")]
    DuplicateAddress {
        address: u32,
        link: String,
        other: String,
    },
    #[error(
        "group {group} does not fit its profile's identifiers (at most {max}; 0 where they carry \
         no group)"
    )]
    Group { group: u32, max: u32 },
    #[error("address {address} is outside its profile's addresses {first}..={last}")]
    Address { address: u32, first: u32, last: u32 },
    #[error("cannot open {link}: {error}")]
    CanPort { link: String, error: String },
}

/// The running devices: role objects by device name, the health view of them all, and the
/// connection tasks (one per TCP address, RTU bus and CAN bus).
#[derive(Debug, Default)]
pub struct Devices {
    /// Power modules over Modbus (TCP or RTU).
    pub power_modules: BTreeMap<String, ModbusPowerModule>,
    /// Power modules over CAN.
    pub can_power_modules: BTreeMap<String, CanPowerModule>,
    pub dc_meters: BTreeMap<String, ModbusDcMeter>,
    pub cooling_units: BTreeMap<String, ModbusCoolingUnit>,
    pub insulation_monitors: BTreeMap<String, ModbusInsulationMonitor>,
    /// Digital/analog I/O modules: shared, since several connectors' lines may map onto the
    /// points of one module (see [`Devices::line_source`]).
    pub io_modules: BTreeMap<String, Arc<ModbusIoModule>>,
    pub health: HealthView,
    pub connections: Vec<JoinHandle<()>>,
}

impl Devices {
    /// Take the power module called `name`, over whichever transport it runs (the pool's
    /// `[[pool.modules]] device = "..."`).
    pub fn take_power_module(&mut self, name: &str) -> Option<Box<dyn PowerModule>> {
        if let Some(m) = self.power_modules.remove(name) {
            return Some(Box::new(m));
        }
        self.can_power_modules
            .remove(name)
            .map(|m| Box::new(m) as Box<dyn PowerModule>)
    }

    /// The I/O source called `name` (a `[[devices]]` entry of role `io_module`), for board
    /// I/O to map connector lines onto its points. The module stays here too: every caller
    /// gets the same source.
    pub fn line_source(&self, name: &str) -> Option<Arc<dyn LineSource>> {
        self.io_modules
            .get(name)
            .map(|m| m.clone() as Arc<dyn LineSource>)
    }
}

/// One connection to spawn and the devices behind it.
struct Connection {
    link: TcpLink,
    /// The device whose settings the link came from (for conflict messages).
    first: String,
    units: Vec<(usize, DeviceConfig)>,
}

/// One CAN bus to open and the modules on it (index, address, group).
struct CanBus {
    link: CanLink,
    profile: Arc<CanProfile>,
    modules: Vec<(usize, u32, u32)>,
}

/// A device's profile, by its transport.
pub(super) enum Loaded {
    Modbus(Arc<Profile>),
    Can(Arc<CanProfile>),
}

/// Every device's profile, loaded once per file and checked against the device: its
/// transport (a CAN device needs a CAN profile, a Modbus device a Modbus one), its role, and
/// a CAN module's address and group against the profile's identifiers.
pub(super) fn load_profiles(
    instances: &[DeviceInstance],
    base: &Path,
) -> Result<Vec<Loaded>, BuildError> {
    let fail = |index: usize, key: &'static str, problem: BuildProblem| BuildError {
        index,
        device: instances
            .get(index)
            .map(|d| d.name.trim().to_string())
            .unwrap_or_default(),
        key,
        problem,
    };
    let mut profiles: BTreeMap<PathBuf, Arc<Profile>> = BTreeMap::new();
    let mut can_profiles: BTreeMap<PathBuf, Arc<CanProfile>> = BTreeMap::new();
    let mut loaded: Vec<Loaded> = Vec::with_capacity(instances.len());
    for (i, inst) in instances.iter().enumerate() {
        let name = inst.name.trim();
        let path = base.join(&inst.profile);
        let profile_error = |e| fail(i, "profile", BuildProblem::Profile(Box::new(e)));
        let wrong_role = |file: &Path, found: Role| {
            fail(
                i,
                "profile",
                BuildProblem::WrongRole {
                    file: file.to_path_buf(),
                    found,
                    wanted: inst.role,
                },
            )
        };
        if let Transport::Can(can) = &inst.transport {
            let profile =
                cached(&mut can_profiles, path, CanProfile::load).map_err(profile_error)?;
            if profile.role != inst.role {
                return Err(wrong_role(&profile.file, profile.role));
            }
            check_can_addressing(&profile, can).map_err(|(key, p)| fail(i, key, p))?;
            loaded.push(Loaded::Can(profile));
            continue;
        }
        let profile = cached(&mut profiles, path, Profile::load).map_err(profile_error)?;
        if profile.role != inst.role {
            return Err(wrong_role(&profile.file, profile.role));
        }
        check_profile(name, &profile, inst.role)
            .map_err(|e| fail(i, "profile", BuildProblem::Role(Box::new(e))))?;
        loaded.push(Loaded::Modbus(profile));
    }

    Ok(loaded)
}

/// A CAN module's address within the profile's `addresses`, and its group one the profile's
/// identifiers can carry.
fn check_can_addressing(
    profile: &CanProfile,
    can: &CanTransport,
) -> Result<(), (&'static str, BuildProblem)> {
    let (first, last) = profile.addresses;
    if !(first..=last).contains(&can.address) {
        return Err((
            "transport.address",
            BuildProblem::Address {
                address: can.address,
                first,
                last,
            },
        ));
    }
    let groups = max_group(profile);
    if can.group > groups {
        return Err((
            "transport.group",
            BuildProblem::Group {
                group: can.group,
                max: groups,
            },
        ));
    }
    Ok(())
}

/// Everything [`spawn_devices`] checks before it opens a connection or a port:
/// [`check_instances`], and every profile loaded and checked against its device (roles,
/// transports, CAN addresses and groups). Reads the profile files and nothing else: for
/// `chargerd --check-config`.
pub fn check_devices(instances: &[DeviceInstance], base: &Path) -> Result<(), BuildError> {
    check_instances(instances)?;
    load_profiles(instances, base).map(|_| ())
}

/// Check every instance, then start one connection task per Modbus TCP address, per RTU bus
/// and per CAN bus with all its devices, and return each device as its role. `base` is the
/// directory relative profile paths are taken from; `clock` maps reading times onto the
/// daemon's clock. Must run inside a tokio runtime.
pub async fn spawn_devices(
    instances: &[DeviceInstance],
    base: &Path,
    clock: ReadingClock,
) -> Result<Devices, BuildError> {
    // Names, settings and sharing rules first: they need neither files nor network.
    check_instances(instances)?;
    let fail = |index: usize, key: &'static str, problem: BuildProblem| BuildError {
        index,
        device: instances
            .get(index)
            .map(|d| d.name.trim().to_string())
            .unwrap_or_default(),
        key,
        problem,
    };
    // Then profiles and roles.
    let loaded = load_profiles(instances, base)?;

    // Then links: one connection per TCP address, one task per RTU bus, one port per CAN
    // bus, each unit or module once on it.
    let mut connections: BTreeMap<SocketAddr, Connection> = BTreeMap::new();
    let mut rtu_buses: BTreeMap<PathBuf, (RtuLink, Vec<(usize, DeviceConfig)>)> = BTreeMap::new();
    let mut can_buses: BTreeMap<CanBusKey, CanBus> = BTreeMap::new();
    let mut endpoints: Vec<String> = Vec::with_capacity(instances.len());
    for (i, (inst, profile)) in instances.iter().zip(&loaded).enumerate() {
        let name = inst.name.trim();
        match (&inst.transport, profile) {
            (Transport::ModbusTcp(tcp), Loaded::Modbus(profile)) => {
                let (host, port, unit) = (&tcp.host, tcp.port, tcp.unit);
                let addr = resolve(host, port)
                    .await
                    .map_err(|problem| fail(i, "transport.host", problem))?;
                let link = LinkOptions::of(tcp)
                    .link(addr)
                    .map_err(|(key, problem)| fail(i, key, problem))?;
                let conn = connections.entry(addr).or_insert_with(|| Connection {
                    link: link.clone(),
                    first: name.to_string(),
                    units: Vec::new(),
                });
                if conn.link.timeout != link.timeout
                    || conn.link.reconnect_after != link.reconnect_after
                    || conn.link.frozen_after != link.frozen_after
                {
                    return Err(fail(
                        i,
                        "transport",
                        BuildProblem::LinkConflict {
                            other: conn.first.clone(),
                            link: format!("the connection to {addr}"),
                        },
                    ));
                }
                if let Some((_, other)) = conn.units.iter().find(|(_, d)| d.unit == unit) {
                    return Err(fail(
                        i,
                        "transport.unit",
                        BuildProblem::DuplicateUnit {
                            unit,
                            link: format!("modbus-tcp {addr}"),
                            other: other.name.clone(),
                        },
                    ));
                }
                conn.units.push((
                    i,
                    DeviceConfig {
                        name: name.to_string(),
                        unit,
                        profile: profile.clone(),
                    },
                ));
                endpoints.push(format!("modbus-tcp {addr} unit {unit}"));
            }
            (Transport::ModbusRtu(rtu), Loaded::Modbus(profile)) => {
                // Checked by check_instances: settings agree on the bus, units distinct.
                let link = rtu.link().map_err(|(key, problem)| fail(i, key, problem))?;
                let bus = rtu_buses
                    .entry(rtu.path.clone())
                    .or_insert_with(|| (link, Vec::new()));
                bus.1.push((
                    i,
                    DeviceConfig {
                        name: name.to_string(),
                        unit: rtu.unit,
                        profile: profile.clone(),
                    },
                ));
                endpoints.push(format!(
                    "modbus-rtu {} unit {}",
                    rtu.path.display(),
                    rtu.unit
                ));
            }
            (Transport::Can(can), Loaded::Can(profile)) => {
                // Address and group checked by load_profiles.
                can_buses
                    .entry(can.link.key())
                    .or_insert_with(|| CanBus {
                        link: can.link.clone(),
                        profile: profile.clone(),
                        modules: Vec::new(),
                    })
                    .modules
                    .push((i, can.address, can.group));
                endpoints.push(format!("{} address {}", can.link.describe(), can.address));
            }
            // A profile is loaded by its device's transport.
            _ => endpoints.push(String::new()),
        }
    }
    // The CAN ports last: opening one binds a socket. A bus that cannot be opened (its
    // interface missing or down) is retried every second: its modules stay silent, so the
    // pool counts them out, and the rest of the station runs.
    let mut ports: Vec<(CanBus, Box<dyn CanPort>)> = Vec::with_capacity(can_buses.len());
    for (_, bus) in can_buses {
        let link = bus.link.clone();
        let port = crate::board::ReopeningCan::new(
            bus.link.describe(),
            Box::new(move || {
                open_can(&link).map_err(|(key, problem)| {
                    crate::can::CanError::Config(format!("{key}: {problem}"))
                })
            }),
        );
        ports.push((bus, Box::new(port)));
    }

    // Everything checked: spawn.
    let mut out = Devices::default();
    let mut handles: Vec<Option<crate::modbus::ModbusDevice>> =
        (0..instances.len()).map(|_| None).collect();
    let mut place = |indices: Vec<usize>, devs: Vec<crate::modbus::ModbusDevice>| {
        for (i, dev) in indices.into_iter().zip(devs) {
            if let Some(slot) = handles.get_mut(i) {
                *slot = Some(dev);
            }
        }
    };
    for (_, conn) in connections {
        let (indices, configs): (Vec<usize>, Vec<DeviceConfig>) = conn.units.into_iter().unzip();
        let (devs, task) = spawn_tcp(conn.link, configs);
        out.connections.push(task);
        place(indices, devs);
    }
    for (_, (link, units)) in rtu_buses {
        let (indices, configs): (Vec<usize>, Vec<DeviceConfig>) = units.into_iter().unzip();
        let (devs, task) = spawn_rtu(link, configs);
        out.connections.push(task);
        place(indices, devs);
    }
    let mut can_modules: Vec<Option<CanPowerModule>> = (0..instances.len()).map(|_| None).collect();
    let now = clock.at(tokio::time::Instant::now());
    for (bus, port) in ports {
        let mut module_bus = CanModuleBus::new(port, bus.profile.clone());
        for (i, address, group) in bus.modules {
            let module = module_bus
                .attach_in_group(address, group, now)
                .map_err(|e| {
                    fail(
                        i,
                        "transport.address",
                        BuildProblem::CanPort {
                            link: bus.link.describe(),
                            error: e.to_string(),
                        },
                    )
                })?;
            if let Some(slot) = can_modules.get_mut(i) {
                *slot = Some(module);
            }
        }
        tracing::info!(link = %bus.link.describe(), profile = %bus.profile.file.display(),
            "CAN module bus started");
        out.connections
            .push(tokio::spawn(module_bus.run(CAN_STEP, clock.epoch())));
    }
    for (i, (inst, (dev, can))) in instances
        .iter()
        .zip(handles.into_iter().zip(can_modules))
        .enumerate()
    {
        let name = inst.name.trim().to_string();
        let endpoint = endpoints.get(i).cloned().unwrap_or_default();
        if let Some(module) = can {
            out.health
                .add_can(name.clone(), inst.role, endpoint, module.monitor(), clock);
            out.can_power_modules.insert(name, module);
            continue;
        }
        let Some(dev) = dev else { continue };
        out.health
            .add(name.clone(), inst.role, endpoint, dev.clone());
        let role = |e: RoleError| fail(i, "profile", BuildProblem::Role(Box::new(e)));
        match inst.role {
            Role::PowerModule => {
                let m = ModbusPowerModule::new(name.clone(), dev, clock).map_err(role)?;
                out.power_modules.insert(name, m);
            }
            Role::DcMeter => {
                let m = ModbusDcMeter::new(name.clone(), dev, clock).map_err(role)?;
                out.dc_meters.insert(name, m);
            }
            Role::CoolingUnit => {
                let m = ModbusCoolingUnit::new(name.clone(), dev, clock).map_err(role)?;
                out.cooling_units.insert(name, m);
            }
            Role::InsulationMonitor => {
                let m = ModbusInsulationMonitor::new(name.clone(), dev, clock).map_err(role)?;
                out.insulation_monitors.insert(name, m);
            }
            Role::IoModule => {
                let m = ModbusIoModule::new(name.clone(), dev, clock).map_err(role)?;
                out.io_modules.insert(name, Arc::new(m));
            }
        }
    }
    Ok(out)
}

/// The largest group number every identifier of the profile that carries one can hold; 0 for
/// a profile whose identifiers carry no group (a group there would never reach the wire).
fn max_group(profile: &CanProfile) -> u32 {
    profile
        .messages
        .iter()
        .flat_map(|m| m.id.iter().zip(&profile.id_fields))
        .filter(|(v, _)| **v == crate::profile::can::IdValue::Group)
        .map(|(_, f)| {
            1u32.checked_shl(u32::from(f.bits))
                .map_or(u32::MAX, |v| v.saturating_sub(1))
        })
        .min()
        .unwrap_or(0)
}

/// Open a CAN bus's port; the error names the key of the link.
pub(super) fn open_can(link: &CanLink) -> Result<Box<dyn CanPort>, (&'static str, BuildProblem)> {
    let err = |key: &'static str, e: crate::can::CanError| {
        (
            key,
            BuildProblem::CanPort {
                link: link.describe(),
                error: e.to_string(),
            },
        )
    };
    match link {
        CanLink::Socketcan { interface } => SocketCanPort::open(interface)
            .map(|p| Box::new(p) as Box<dyn CanPort>)
            .map_err(|e| err("transport.link.interface", e)),
        CanLink::Cannelloni {
            bind,
            peer,
            interface,
        } => {
            let config = CannelloniConfig {
                interface: interface.clone(),
                ..CannelloniConfig::default()
            };
            CannelloniPort::open_with(*bind, *peer, config)
                .map(|p| Box::new(p) as Box<dyn CanPort>)
                .map_err(|e| {
                    let key = match e {
                        crate::can::CanError::BindDevice { .. } => "transport.link.interface",
                        _ => "transport.link.bind",
                    };
                    err(key, e)
                })
        }
    }
}

pub(super) async fn resolve(host: &str, port: u16) -> Result<SocketAddr, BuildProblem> {
    let err = |error: String| BuildProblem::Resolve {
        host: host.to_string(),
        port,
        error,
    };
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| err(e.to_string()))?;
    addrs.next().ok_or_else(|| err("no address".to_string()))
}

/// The profile at `path`, loaded once however many devices name it.
fn cached<P, E>(
    cache: &mut BTreeMap<PathBuf, Arc<P>>,
    path: PathBuf,
    load: impl FnOnce(&Path) -> Result<P, E>,
) -> Result<Arc<P>, E> {
    if let Some(p) = cache.get(&path) {
        return Ok(p.clone());
    }
    let p = Arc::new(load(&path)?);
    cache.insert(path, p.clone());
    Ok(p)
}
