//! The Modbus RTU and CAN transports of a device instance, and every check of the configured
//! devices that needs no file and no network ([`check_instances`]).
//!
//! Devices on one RS-485 bus (one serial device path) share one [`RtuLink`] and one task that
//! polls them in turn, so their line settings must agree. Power modules on one CAN bus (one
//! SocketCAN interface, or one cannelloni socket) share one port and one
//! [`CanModuleBus`](crate::can_module::CanModuleBus), so they share its profile too. A mistake
//! names the device, the key under its `[[devices]]` entry and what is wrong; the daemon's
//! configuration loader adds the file and the entry's index.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::build::{BuildError, BuildProblem, DeviceInstance, Transport};
use crate::modbus::{DataBits, Parity, RtuLink, StopBits, DEFAULT_FROZEN_AFTER};
use crate::profile::Role;

/// The baud rates a bus may run at: the standard rates of RS-485 adapters and Modbus devices.
/// Anything else is a typo (`baud = 9800`) that would only show as a bus of timeouts.
pub const STANDARD_BAUD_RATES: &[u32] = &[
    1200, 2400, 4800, 9600, 14_400, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600,
];

fn rtu_baud() -> u32 {
    19_200
}

fn rtu_parity() -> Parity {
    Parity::Even
}

/// A unit on a Modbus RTU bus:
/// `{ kind = "modbus_rtu", path = "/dev/ttyUSB0", baud = 19200, parity = "even", unit = 3 }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusRtu {
    /// The serial device, e.g. `/dev/ttyUSB0`, or better a stable `/dev/serial/by-path/…`
    /// name. Devices with the same path are on one bus.
    pub path: PathBuf,
    /// One of [`STANDARD_BAUD_RATES`] (default 19200).
    #[serde(default = "rtu_baud")]
    pub baud: u32,
    /// `none`, `even` (the Modbus default) or `odd`.
    #[serde(default = "rtu_parity")]
    pub parity: Parity,
    /// 8 (default): RTU frames are 8-bit bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bits: Option<u8>,
    /// 1 (default) or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_bits: Option<u8>,
    /// 1..=247: 0 is the broadcast address, which never answers, and 248..=255 are reserved.
    pub unit: u8,
    /// Bound on every call (default 500 ms; 10..=10000): it must cover the request, the
    /// device's turnaround and the longest reply at this baud rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u32>,
    /// The silence before every request, in µs (default: the specification's 3.5 character
    /// times, 1750 µs above 19200 baud; 100..=1000000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_us: Option<u32>,
    /// Errors of the port itself in a row before it is reopened (default 3; 1..=100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_after: Option<u32>,
    /// Reads in a row with an unchanged update counter before values count as frozen
    /// (default 3; 1..=1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_after: Option<u32>,
}

impl ModbusRtu {
    /// A unit on the bus at `path` with the Modbus defaults (19200 baud, 8E1).
    pub fn new(path: impl Into<PathBuf>, unit: u8) -> Self {
        ModbusRtu {
            path: path.into(),
            baud: rtu_baud(),
            parity: rtu_parity(),
            data_bits: None,
            stop_bits: None,
            unit,
            timeout_ms: None,
            silence_us: None,
            reopen_after: None,
            frozen_after: None,
        }
    }

    /// The bus's settings, each checked; the error names the key under `transport`.
    pub fn link(&self) -> Result<RtuLink, (&'static str, BuildProblem)> {
        if self.path.as_os_str().is_empty() {
            return Err(("transport.path", BuildProblem::EmptyPath));
        }
        if !STANDARD_BAUD_RATES.contains(&self.baud) {
            return Err(("transport.baud", BuildProblem::Baud(self.baud)));
        }
        let data_bits = match self.data_bits.unwrap_or(8) {
            8 => DataBits::Eight,
            other => return Err(("transport.data_bits", BuildProblem::DataBits(other))),
        };
        let stop_bits = match self.stop_bits.unwrap_or(1) {
            1 => StopBits::One,
            2 => StopBits::Two,
            other => return Err(("transport.stop_bits", BuildProblem::StopBits(other))),
        };
        if !(1..=247).contains(&self.unit) {
            return Err(("transport.unit", BuildProblem::RtuUnit(self.unit)));
        }
        let timeout = setting("transport.timeout_ms", self.timeout_ms, 500, 10, 10_000)?;
        let silence = match self.silence_us {
            None => None,
            Some(us) => Some(Duration::from_micros(u64::from(setting(
                "transport.silence_us",
                Some(us),
                0,
                100,
                1_000_000,
            )?))),
        };
        Ok(RtuLink {
            path: self.path.clone(),
            baud: self.baud,
            parity: self.parity,
            data_bits,
            stop_bits,
            timeout: Duration::from_millis(u64::from(timeout)),
            silence,
            reopen_after: setting("transport.reopen_after", self.reopen_after, 3, 1, 100)?,
            frozen_after: setting(
                "transport.frozen_after",
                self.frozen_after,
                DEFAULT_FROZEN_AFTER,
                1,
                1000,
            )?,
        })
    }
}

/// `v` (or `default`) within `min..=max`, or the error naming `key`.
pub(super) fn setting(
    key: &'static str,
    v: Option<u32>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, (&'static str, BuildProblem)> {
    let v = v.unwrap_or(default);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err((
            key,
            BuildProblem::Setting {
                key: key.trim_start_matches("transport."),
                value: v,
                min,
                max,
            },
        ))
    }
}

/// The key of the first setting in which two units on one RTU bus differ.
fn rtu_difference(a: &RtuLink, b: &RtuLink) -> Option<&'static str> {
    if a.baud != b.baud {
        Some("transport.baud")
    } else if a.parity != b.parity {
        Some("transport.parity")
    } else if a.data_bits != b.data_bits {
        Some("transport.data_bits")
    } else if a.stop_bits != b.stop_bits {
        Some("transport.stop_bits")
    } else if a.timeout != b.timeout {
        Some("transport.timeout_ms")
    } else if a.silence != b.silence {
        Some("transport.silence_us")
    } else if a.reopen_after != b.reopen_after {
        Some("transport.reopen_after")
    } else if a.frozen_after != b.frozen_after {
        Some("transport.frozen_after")
    } else {
        None
    }
}

/// A power module on a CAN bus:
/// `{ kind = "can", address = 1, link = { backend = "socketcan", interface = "can0" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanTransport {
    pub link: CanLink,
    /// The module's address (its address switch), within the profile's `addresses`.
    pub address: u32,
    /// The module's group, for profiles whose identifiers carry one (default 0).
    #[serde(default)]
    pub group: u32,
}

/// The CAN bus a module is on. Modules with the same interface (SocketCAN) or the same bind
/// address (cannelloni) are on one bus: one port, one task, one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case", deny_unknown_fields)]
pub enum CanLink {
    /// A Linux SocketCAN interface, brought up with its bitrate by systemd-networkd.
    Socketcan { interface: String },
    /// A CAN bus carried over UDP in cannelloni's format: a real bus bridged by the
    /// `cannelloni` tool, or `can-module-sim`.
    Cannelloni {
        /// Local address to receive datagrams on.
        bind: SocketAddr,
        /// The only address datagrams are accepted from and sent to.
        peer: SocketAddr,
        /// The one network interface the link uses (`SO_BINDTODEVICE`); absent: any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interface: Option<String>,
    },
}

/// Which bus a CAN link is: the identity devices sharing it have in common.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum CanBusKey {
    Socketcan(String),
    Cannelloni(SocketAddr),
}

impl CanLink {
    pub(super) fn key(&self) -> CanBusKey {
        match self {
            CanLink::Socketcan { interface } => CanBusKey::Socketcan(interface.clone()),
            CanLink::Cannelloni { bind, .. } => CanBusKey::Cannelloni(*bind),
        }
    }

    /// How `chargerctl devices` and the errors name the bus.
    pub fn describe(&self) -> String {
        match self {
            CanLink::Socketcan { interface } => format!("can socketcan {interface}"),
            CanLink::Cannelloni { bind, peer, .. } => {
                format!("can cannelloni {bind} peer {peer}")
            }
        }
    }

    fn check(&self) -> Result<(), (&'static str, BuildProblem)> {
        let interface_ok = |key: &'static str, name: &str| {
            if crate::can::valid_interface_name(name) {
                Ok(())
            } else {
                Err((key, BuildProblem::InterfaceName(name.to_string())))
            }
        };
        match self {
            CanLink::Socketcan { interface } => interface_ok("transport.link.interface", interface),
            CanLink::Cannelloni {
                bind,
                peer,
                interface,
            } => {
                if let Some(name) = interface {
                    interface_ok("transport.link.interface", name)?;
                }
                if peer.port() == 0 || peer.ip().is_unspecified() {
                    return Err(("transport.link.peer", BuildProblem::CannelloniPeer));
                }
                if bind == peer {
                    return Err(("transport.link.bind", BuildProblem::CannelloniLoop));
                }
                Ok(())
            }
        }
    }
}

/// The devices on one CAN bus by (address, group): their index in the list.
type Addresses = BTreeMap<(u32, u32), usize>;

/// Every check of the configured devices that needs no file and no network: names, each
/// transport's settings and ranges, the settings of devices sharing an RTU bus, unit ids and
/// CAN addresses used twice on one link, CAN devices that are not power modules, modules on
/// one CAN bus with different profiles. [`spawn_devices`](super::spawn_devices) runs it first;
/// the daemon's configuration loader runs it to name the file and key of a mistake.
pub fn check_instances(instances: &[DeviceInstance]) -> Result<(), BuildError> {
    let fail = |index: usize, key: &'static str, problem: BuildProblem| {
        let device = match instances.get(index).map(|i| i.name.trim()) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => format!("devices[{index}]"),
        };
        BuildError {
            index,
            device,
            key,
            problem,
        }
    };
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    // The first device on each RTU bus (its index and settings), and the units on it.
    let mut rtu_buses: BTreeMap<&PathBuf, (usize, RtuLink, BTreeMap<u8, usize>)> = BTreeMap::new();
    // The first module on each CAN bus (its index), and the addresses on it.
    let mut can_buses: BTreeMap<CanBusKey, (usize, Addresses)> = BTreeMap::new();
    for (i, inst) in instances.iter().enumerate() {
        let name = inst.name.trim();
        if name.is_empty() {
            return Err(fail(i, "name", BuildProblem::EmptyName));
        }
        if names.insert(name, i).is_some() {
            return Err(fail(i, "name", BuildProblem::DuplicateName));
        }
        let name_of = |j: usize| {
            instances
                .get(j)
                .map(|d| d.name.trim().to_string())
                .unwrap_or_default()
        };
        match &inst.transport {
            Transport::ModbusTcp(tcp) => {
                if tcp.unit == 0 {
                    return Err(fail(i, "transport.unit", BuildProblem::BroadcastUnit));
                }
                super::build::LinkOptions::of(tcp)
                    .check()
                    .map_err(|(key, p)| fail(i, key, p))?;
            }
            Transport::ModbusRtu(rtu) => {
                let link = rtu.link().map_err(|(key, p)| fail(i, key, p))?;
                let (first, first_link, units) = rtu_buses
                    .entry(&rtu.path)
                    .or_insert_with(|| (i, link.clone(), BTreeMap::new()));
                if let Some(key) = rtu_difference(first_link, &link) {
                    return Err(fail(
                        i,
                        key,
                        BuildProblem::LinkConflict {
                            other: name_of(*first),
                            link: format!("modbus-rtu {}", rtu.path.display()),
                        },
                    ));
                }
                if let Some(other) = units.insert(rtu.unit, i) {
                    return Err(fail(
                        i,
                        "transport.unit",
                        BuildProblem::DuplicateUnit {
                            unit: rtu.unit,
                            link: format!("modbus-rtu {}", rtu.path.display()),
                            other: name_of(other),
                        },
                    ));
                }
            }
            Transport::Can(can) => {
                if inst.role != Role::PowerModule {
                    return Err(fail(i, "role", BuildProblem::CanRole(inst.role)));
                }
                can.link.check().map_err(|(key, p)| fail(i, key, p))?;
                let (first, addresses) = can_buses
                    .entry(can.link.key())
                    .or_insert_with(|| (i, BTreeMap::new()));
                let first_inst = instances.get(*first);
                if let Some(Transport::Can(first_can)) = first_inst.map(|d| &d.transport) {
                    if first_can.link != can.link {
                        let key = match (&first_can.link, &can.link) {
                            (
                                CanLink::Cannelloni { peer: a, .. },
                                CanLink::Cannelloni { peer: b, .. },
                            ) if a != b => "transport.link.peer",
                            _ => "transport.link.interface",
                        };
                        return Err(fail(
                            i,
                            key,
                            BuildProblem::LinkConflict {
                                other: name_of(*first),
                                link: first_can.link.describe(),
                            },
                        ));
                    }
                }
                if first_inst.is_some_and(|d| d.profile != inst.profile) {
                    return Err(fail(
                        i,
                        "profile",
                        BuildProblem::BusProfile {
                            other: name_of(*first),
                            link: can.link.describe(),
                        },
                    ));
                }
                if let Some(other) = addresses.insert((can.address, can.group), i) {
                    return Err(fail(
                        i,
                        "transport.address",
                        BuildProblem::DuplicateAddress {
                            address: can.address,
                            link: can.link.describe(),
                            other: name_of(other),
                        },
                    ));
                }
            }
        }
    }
    Ok(())
}
