//! From configuration to hardware: which backend drives each connector, and which protocol
//! session runs on it. The only place that names concrete backends and protocols.

use charger_hal::can::cannelloni::{CannelloniConfig, CannelloniPort};
use charger_hal::sim::connector::{SimConnectorParams, SimulatedConnector, VehicleFactory};
use charger_hal::sim::gbt_truck::GbtTruck;
use charger_hal::sim::psu::SimPsuParams;
use charger_hal::sim::truck::ChademoTruck;
use charger_hal::sim::SimVehicle;
use charger_hal::{CanError, ConnectorHardware};
use charger_protocol::chademo::{ChademoCharger, ChademoChargerConfig};
use charger_protocol::gbt::{GbtCharger, GbtChargerConfig};
use charger_protocol::DcSession;

use crate::config::{CanSection, Config, ConnectorSection, HardwareKind, ProtocolKind};
use crate::runtime::ConnectorBinding;
use crate::station::SessionFactory;

#[derive(Debug, thiserror::Error)]
pub enum HardwareError {
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

/// Build every connector's hardware.
pub fn build(cfg: &Config) -> Result<Vec<ConnectorBinding>, HardwareError> {
    check(cfg)?;
    cfg.connectors
        .iter()
        .map(|c| {
            Ok((
                c.id,
                Box::new(simulated_connector(c)?) as Box<dyn ConnectorHardware>,
            ))
        })
        .collect()
}
