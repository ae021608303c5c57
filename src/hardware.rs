//! From configuration to hardware: which backend drives each connector, and which protocol
//! session runs on it. The only place that names concrete backends and protocols.

use charger_hal::can::cannelloni::{CannelloniConfig, CannelloniPort};
use charger_hal::sim::cabinet::{SimCabinet, SimModuleParams};
use charger_hal::sim::connector::{SimConnectorParams, SimulatedConnector, VehicleFactory};
use charger_hal::sim::gbt_truck::GbtTruck;
use charger_hal::sim::meter::SimMeterParams;
use charger_hal::sim::psu::SimPsuParams;
use charger_hal::sim::truck::ChademoTruck;
use charger_hal::sim::SimVehicle;
use charger_hal::{CanError, ConnectorHardware, PowerModule};
use charger_protocol::chademo::{ChademoCharger, ChademoChargerConfig};
use charger_protocol::gbt::{GbtCharger, GbtChargerConfig};
use charger_protocol::DcSession;

use crate::config::{
    CanSection, Config, ConnectorSection, HardwareKind, MeterSection, ProtocolKind,
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
        meter: c.meter.as_ref().map(|m| match m {
            MeterSection::Simulated {
                serial,
                start_wh,
                wrap_wh,
            } => SimMeterParams {
                serial: serial.clone(),
                start_wh: *start_wh,
                wrap_wh: *wrap_wh,
                ..SimMeterParams::default()
            },
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
                    reason: "socketcan drives a real vehicle, which needs a real power supply, \
                             I/O and insulation monitor; their Modbus/GPIO backends are not \
                             implemented yet, so only `simulated` runs today"
                        .into(),
                });
            }
        }
    }
    Ok(())
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
    build_with_devices(cfg, None, sim_cabinet(cfg))
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
/// pool's modules that name a device are that device.
pub fn build_with_devices(
    cfg: &Config,
    mut devices: Option<charger_hal::devices::Devices>,
    cabinet: Option<SimCabinet>,
) -> Result<Hardware, HardwareError> {
    check(cfg)?;
    let connectors = cfg
        .connectors
        .iter()
        .map(|c| {
            let mut sim = simulated_connector(c)?;
            if let Some(cabinet) = &cabinet {
                sim = sim.with_bus(cabinet.bus(c.id));
            }
            Ok((c.id, Box::new(sim) as Box<dyn ConnectorHardware>))
        })
        .collect::<Result<Vec<_>, HardwareError>>()?;
    let pool = match (cabinet.as_ref(), cfg.pool.as_ref()) {
        (Some(cabinet), Some(section)) => {
            let mut modules = Vec::with_capacity(section.modules.len());
            for (i, (m, simulated)) in section.modules.iter().zip(cabinet.modules()).enumerate() {
                let module: Box<dyn PowerModule> = match &m.device {
                    None => Box::new(simulated),
                    Some(name) => {
                        let device = devices
                            .as_mut()
                            .and_then(|d| d.power_modules.remove(name))
                            .ok_or_else(|| HardwareError::Device {
                                key: format!("pool.modules[{i}].device"),
                                reason: format!("device {name:?} was not started"),
                            })?;
                        Box::new(device)
                    }
                };
                modules.push(module);
            }
            // The matrix contactors stay simulated until the board's I/O drives them.
            Some(PoolHardware {
                modules,
                matrix: Box::new(cabinet.matrix()),
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
