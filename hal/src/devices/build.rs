//! From the configured device instances to running connections and role objects.
//!
//! Each instance names a device, its role, its profile file and its transport. Every unit id
//! at one Modbus TCP address shares one connection (one task, [`spawn_tcp`]), as the units
//! behind a gateway must. Everything that can be wrong in the configuration is checked before
//! anything is spawned, and each error names the device and what is wrong with it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::task::JoinHandle;

use super::{
    check_profile, HealthView, ModbusCoolingUnit, ModbusDcMeter, ModbusInsulationMonitor,
    ModbusPowerModule, ReadingClock, RoleError,
};
use crate::modbus::{spawn_tcp, DeviceConfig, TcpLink};
use crate::profile::{Profile, ProfileError, Role};

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
struct LinkOptions {
    timeout_ms: Option<u32>,
    reconnect_after: Option<u32>,
    frozen_after: Option<u32>,
}

impl LinkOptions {
    fn link(&self, addr: SocketAddr) -> Result<TcpLink, BuildProblem> {
        let check = |key: &'static str, v: Option<u32>, default: u32, min: u32, max: u32| {
            let v = v.unwrap_or(default);
            if (min..=max).contains(&v) {
                Ok(v)
            } else {
                Err(BuildProblem::Setting {
                    key,
                    value: v,
                    min,
                    max,
                })
            }
        };
        Ok(TcpLink {
            addr,
            timeout: Duration::from_millis(u64::from(check(
                "timeout_ms",
                self.timeout_ms,
                500,
                10,
                10_000,
            )?)),
            reconnect_after: check("reconnect_after", self.reconnect_after, 3, 1, 100)?,
            frozen_after: check("frozen_after", self.frozen_after, 5, 1, 1000)?,
        })
    }
}

/// A device that cannot be set up, and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("device {device}: {problem}")]
pub struct BuildError {
    /// The device's name, or `devices[<index>]` when it has none.
    pub device: String,
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
    Profile(ProfileError),
    #[error("its profile {} is for role {found}, not {wanted}", file.display())]
    WrongRole {
        file: PathBuf,
        found: Role,
        wanted: Role,
    },
    #[error(transparent)]
    Role(RoleError),
    #[error("unit id 0 is the broadcast address and never answers; use 1..=255")]
    BroadcastUnit,
    #[error("unit {unit} at {addr} is also device {other}")]
    DuplicateUnit {
        unit: u8,
        addr: SocketAddr,
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
        "its link settings differ from device {other}'s, which shares the connection to {addr}"
    )]
    LinkConflict { other: String, addr: SocketAddr },
}

/// The running devices: role objects by device name, the health view of them all, and the
/// connection tasks (one per address).
#[derive(Debug, Default)]
pub struct Devices {
    pub power_modules: BTreeMap<String, ModbusPowerModule>,
    pub dc_meters: BTreeMap<String, ModbusDcMeter>,
    pub cooling_units: BTreeMap<String, ModbusCoolingUnit>,
    pub insulation_monitors: BTreeMap<String, ModbusInsulationMonitor>,
    pub health: HealthView,
    pub connections: Vec<JoinHandle<()>>,
}

/// One connection to spawn and the devices behind it.
struct Connection {
    link: TcpLink,
    /// The device whose settings the link came from (for conflict messages).
    first: String,
    units: Vec<(usize, DeviceConfig)>,
}

/// Check every instance, then start one connection task per Modbus TCP address with all
/// its units, and return each device as its role. `base` is the directory relative profile
/// paths are taken from; `clock` maps reading times onto the daemon's clock. Must run inside
/// a tokio runtime.
pub async fn spawn_devices(
    instances: &[DeviceInstance],
    base: &Path,
    clock: ReadingClock,
) -> Result<Devices, BuildError> {
    let fail = |device: &str, problem: BuildProblem| BuildError {
        device: device.to_string(),
        problem,
    };
    // Names, profiles and roles first: they need no network.
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut profiles: BTreeMap<PathBuf, Arc<Profile>> = BTreeMap::new();
    let mut loaded: Vec<Arc<Profile>> = Vec::with_capacity(instances.len());
    for (i, inst) in instances.iter().enumerate() {
        let name = inst.name.trim();
        if name.is_empty() {
            return Err(fail(&format!("devices[{i}]"), BuildProblem::EmptyName));
        }
        if names.insert(name, i).is_some() {
            return Err(fail(name, BuildProblem::DuplicateName));
        }
        let path = base.join(&inst.profile);
        let profile = match profiles.get(&path) {
            Some(p) => p.clone(),
            None => {
                let p = Arc::new(
                    Profile::load(&path).map_err(|e| fail(name, BuildProblem::Profile(e)))?,
                );
                profiles.insert(path, p.clone());
                p
            }
        };
        if profile.role != inst.role {
            return Err(fail(
                name,
                BuildProblem::WrongRole {
                    file: profile.file.clone(),
                    found: profile.role,
                    wanted: inst.role,
                },
            ));
        }
        check_profile(name, &profile, inst.role).map_err(|e| fail(name, BuildProblem::Role(e)))?;
        loaded.push(profile);
    }

    // Then addresses: one connection per address, each unit once on it.
    let mut connections: BTreeMap<SocketAddr, Connection> = BTreeMap::new();
    let mut endpoints: Vec<String> = Vec::with_capacity(instances.len());
    for (i, (inst, profile)) in instances.iter().zip(&loaded).enumerate() {
        let name = inst.name.trim();
        let Transport::ModbusTcp(tcp) = &inst.transport;
        let (host, port, unit) = (&tcp.host, &tcp.port, &tcp.unit);
        let link = LinkOptions {
            timeout_ms: tcp.timeout_ms,
            reconnect_after: tcp.reconnect_after,
            frozen_after: tcp.frozen_after,
        };
        if *unit == 0 {
            return Err(fail(name, BuildProblem::BroadcastUnit));
        }
        let addr = resolve(host, *port)
            .await
            .map_err(|problem| fail(name, problem))?;
        let link = link.link(addr).map_err(|problem| fail(name, problem))?;
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
                name,
                BuildProblem::LinkConflict {
                    other: conn.first.clone(),
                    addr,
                },
            ));
        }
        if let Some((_, other)) = conn.units.iter().find(|(_, d)| d.unit == *unit) {
            return Err(fail(
                name,
                BuildProblem::DuplicateUnit {
                    unit: *unit,
                    addr,
                    other: other.name.clone(),
                },
            ));
        }
        conn.units.push((
            i,
            DeviceConfig {
                name: name.to_string(),
                unit: *unit,
                profile: profile.clone(),
            },
        ));
        endpoints.push(format!("modbus-tcp {addr} unit {unit}"));
    }

    // Everything checked: spawn.
    let mut out = Devices::default();
    let mut handles: Vec<Option<crate::modbus::ModbusDevice>> = vec![None; instances.len()];
    for (_, conn) in connections {
        let (indices, configs): (Vec<usize>, Vec<DeviceConfig>) = conn.units.into_iter().unzip();
        let (devs, task) = spawn_tcp(conn.link, configs);
        out.connections.push(task);
        for (i, dev) in indices.into_iter().zip(devs) {
            if let Some(slot) = handles.get_mut(i) {
                *slot = Some(dev);
            }
        }
    }
    for (i, (inst, dev)) in instances.iter().zip(handles).enumerate() {
        let name = inst.name.trim().to_string();
        let Some(dev) = dev else { continue };
        let endpoint = endpoints.get(i).cloned().unwrap_or_default();
        out.health
            .add(name.clone(), inst.role, endpoint, dev.clone());
        let role = |e: RoleError| fail(&name, BuildProblem::Role(e));
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
        }
    }
    Ok(out)
}

async fn resolve(host: &str, port: u16) -> Result<SocketAddr, BuildProblem> {
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
