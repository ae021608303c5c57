//! Open every `[[devices]]` entry once and say what answered, writing nothing
//! (`chargerd --probe`): a Modbus unit's first status group is read, a CAN module's bus is
//! opened (a module speaks only when spoken to, so nothing is sent to it). Unlike
//! [`spawn_devices`](super::spawn_devices), which refuses a configuration it cannot start,
//! the probe goes on past every failure: a technician wants the whole list at once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::build::{load_profiles, open_can, resolve, LinkOptions, Loaded};
use super::links::{CanLink, CanTransport};
use super::{DeviceInstance, Transport};
use crate::can::socketcan::SocketCanPort;
use crate::modbus::{probe_rtu, probe_tcp, DeviceConfig, UnitProbe};
use crate::profile::Value;

/// What the probe found of one device: what answered, or why nothing did.
pub type DeviceProbe = Result<String, String>;

/// Longest a whole link's probe may take, connecting and every unit on it included: a dead
/// gateway with many units must not hold the report for units × timeout.
const LINK_BOUND: Duration = Duration::from_secs(5);

/// Each device's outcome, in configuration order. `Err` of the whole call: the profiles do
/// not load (a configuration error, as `chargerd --check-config` reports it).
pub async fn probe_devices(
    instances: &[DeviceInstance],
    base: &Path,
) -> Result<Vec<DeviceProbe>, super::BuildError> {
    let loaded = load_profiles(instances, base)?;
    let mut out: Vec<DeviceProbe> = vec![Err("not probed".into()); instances.len()];
    // Units sharing a connection or a bus are probed on one link, as the daemon would.
    let mut tcp: BTreeMap<(String, u16), Vec<(usize, DeviceConfig)>> = BTreeMap::new();
    let mut rtu: BTreeMap<PathBuf, Vec<(usize, DeviceConfig)>> = BTreeMap::new();
    for (i, (inst, profile)) in instances.iter().zip(&loaded).enumerate() {
        let name = inst.name.trim().to_string();
        match (&inst.transport, profile) {
            (Transport::ModbusTcp(t), Loaded::Modbus(p)) => tcp
                .entry((t.host.clone(), t.port))
                .or_default()
                .push((i, unit(name, t.unit, p))),
            (Transport::ModbusRtu(r), Loaded::Modbus(p)) => rtu
                .entry(r.path.clone())
                .or_default()
                .push((i, unit(name, r.unit, p))),
            (Transport::Can(can), Loaded::Can(_)) => out[i] = probe_can(can),
            _ => out[i] = Err("the profile does not fit the transport".into()),
        }
    }
    let mut links = tokio::task::JoinSet::new();
    for ((host, port), units) in tcp {
        let first = units.first().map(|(i, _)| *i).unwrap_or_default();
        let options = match &instances.get(first).map(|d| &d.transport) {
            Some(Transport::ModbusTcp(t)) => LinkOptions::of(t),
            _ => continue,
        };
        links.spawn(async move {
            let outcome = async {
                let addr: SocketAddr = resolve(&host, port).await.map_err(|e| e.to_string())?;
                let link = options
                    .link(addr)
                    .map_err(|(key, problem)| format!("{key}: {problem}"))?;
                let configs: Vec<DeviceConfig> = units.iter().map(|(_, d)| d.clone()).collect();
                probe_tcp(link, &configs)
                    .await
                    .map_err(|e| format!("modbus-tcp {addr}: {e}"))
            };
            let outcome = bounded(outcome).await;
            (units, outcome)
        });
    }
    for (path, units) in rtu {
        let first = units.first().map(|(i, _)| *i).unwrap_or_default();
        let Some(Transport::ModbusRtu(r)) = instances.get(first).map(|d| &d.transport) else {
            continue;
        };
        let link = r.link();
        links.spawn(async move {
            let outcome = async {
                let link = link.map_err(|(key, problem)| format!("{key}: {problem}"))?;
                let configs: Vec<DeviceConfig> = units.iter().map(|(_, d)| d.clone()).collect();
                probe_rtu(link, &configs)
                    .await
                    .map_err(|e| format!("modbus-rtu {}: {e}", path.display()))
            };
            let outcome = bounded(outcome).await;
            (units, outcome)
        });
    }
    // Every link at once: the report takes as long as the slowest link, not their sum.
    while let Some(joined) = links.join_next().await {
        let Ok((units, outcome)) = joined else {
            continue;
        };
        match outcome {
            Ok(probes) => {
                for ((i, d), probe) in units.iter().zip(probes) {
                    if let Some(slot) = out.get_mut(*i) {
                        *slot = describe_unit(d.unit, probe);
                    }
                }
            }
            Err(e) => {
                for (i, _) in &units {
                    if let Some(slot) = out.get_mut(*i) {
                        *slot = Err(e.clone());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `probe`'s outcome, or an error once [`LINK_BOUND`] has passed.
async fn bounded<T>(
    probe: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(LINK_BOUND, probe)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {LINK_BOUND:?}")))
}

fn unit(name: String, unit: u8, profile: &std::sync::Arc<crate::profile::Profile>) -> DeviceConfig {
    DeviceConfig {
        name,
        unit,
        profile: profile.clone(),
    }
}

/// "unit 3 answered: energy = 1234.5 Wh, voltage = 0 V, …" (at most four points), or the
/// unit's error.
fn describe_unit(unit: u8, probe: UnitProbe) -> DeviceProbe {
    let points = probe.map_err(|e| format!("unit {unit}: {e}"))?;
    let mut text = format!("unit {unit} answered");
    for (n, (name, value)) in points.iter().enumerate() {
        if n == 4 {
            let _ = write!(text, ", … ({} points)", points.len());
            break;
        }
        let _ = match value {
            Ok(Value::Number(v)) => write!(text, "{} {name} = {v}", sep(n)),
            Ok(Value::Bool(b)) => write!(text, "{} {name} = {b}", sep(n)),
            Ok(Value::Text(t)) => write!(text, "{} {name} = {t:?}", sep(n)),
            Err(e) => write!(text, "{} {name}: {e}", sep(n)),
        };
    }
    Ok(text)
}

fn sep(n: usize) -> &'static str {
    if n == 0 {
        ":"
    } else {
        ","
    }
}

/// A CAN module's bus: the interface is up (SocketCAN), or the port binds (cannelloni).
fn probe_can(can: &CanTransport) -> DeviceProbe {
    match &can.link {
        CanLink::Socketcan { interface } => SocketCanPort::probe(interface)
            .map(|state| format!("{interface} {state}; module {}", can.address))
            .map_err(|e| e.to_string()),
        CanLink::Cannelloni { .. } => open_can(&can.link)
            .map(|_| format!("{} opened; module {}", can.link.describe(), can.address))
            .map_err(|(key, problem)| format!("{key}: {problem}")),
    }
}
