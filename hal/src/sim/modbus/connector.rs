//! One simulated connector's power path as Modbus devices: parallel power modules behind a
//! gateway, a DC meter, an insulation monitor and a cooling unit, each on its own port and
//! coupled electrically: what the modules deliver is what the meter measures, the voltage the
//! monitor sees and the current that heats the connector's pins.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::server::{serve, serve_gateway, SimHandle, SimServer};
use super::{
    BatteryLoad, BusModule, CommsFault, ConnectorThermal, CoolingPlant, DcMeterPlant,
    InsulationPlant, ModuleRating, ParallelBus, PowerModulePlant, SimDevice, SimError,
};
use crate::profile::Profile;
use crate::sim::tap::{PlantTap, TapDevice, TapFault, TapState};
use crate::sim::thermal::{Disturbance, SensorChainParams, ThermalPlantParams};

/// Which profiles and addresses make up the connector.
#[derive(Debug, Clone)]
pub struct ConnectorSpec {
    pub module_profile: Arc<Profile>,
    pub modules: u8,
    pub meter_profile: Arc<Profile>,
    pub imd_profile: Arc<Profile>,
    pub cooling_profile: Arc<Profile>,
    /// Port 0 picks a free port for each device.
    pub modules_addr: SocketAddr,
    pub meter_addr: SocketAddr,
    pub imd_addr: SocketAddr,
    pub cooling_addr: SocketAddr,
    pub battery: BatteryLoad,
    pub droop_ohm: f64,
    pub tick: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error(transparent)]
    Profile(#[from] SimError),
    #[error("cannot serve a simulated device: {0}")]
    Io(#[from] std::io::Error),
}

/// The running connector; dropping it stops every server and the coupling.
#[derive(Debug)]
pub struct SimConnector {
    pub modules: SimServer<BusModule>,
    pub meter: SimServer<DcMeterPlant>,
    pub imd: SimServer<InsulationPlant>,
    pub cooling: SimServer<CoolingPlant>,
    coupling: JoinHandle<()>,
}

impl Drop for SimConnector {
    fn drop(&mut self) {
        self.coupling.abort();
    }
}

/// Start the connector's devices; the modules answer unit ids 1..=`modules`.
pub async fn serve_connector(spec: ConnectorSpec) -> Result<SimConnector, ConnectorError> {
    let module = || PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let bus = ParallelBus::new(
        (0..spec.modules.max(1)).map(|_| module()).collect(),
        spec.battery.clone(),
        spec.droop_ohm,
    );
    let mut units = Vec::new();
    for (plant, unit) in bus.into_units().into_iter().zip(1u8..) {
        units.push((unit, SimDevice::new(spec.module_profile.clone(), plant)?));
    }
    let modules = serve_gateway(units, spec.modules_addr, spec.tick).await?;
    let meter = serve(
        SimDevice::new(spec.meter_profile.clone(), DcMeterPlant::new(0.0))?,
        spec.meter_addr,
        spec.tick,
    )
    .await?;
    let imd = serve(
        SimDevice::new(spec.imd_profile.clone(), InsulationPlant::default())?,
        spec.imd_addr,
        spec.tick,
    )
    .await?;
    let cooling = serve(
        SimDevice::new(
            spec.cooling_profile.clone(),
            CoolingPlant::new(Box::new(ConnectorThermal::default())),
        )?,
        spec.cooling_addr,
        spec.tick,
    )
    .await?;

    // The coupling reads the bus and feeds the other devices' inputs once per tick.
    let bus_view = modules.with(|d| d.plant().clone());
    let devices = Coupled {
        meter: Some(meter.handle()),
        imd: Some(imd.handle()),
        cooling: Some(cooling.handle()),
    };
    let tick = spec.tick.max(Duration::from_millis(1));
    let coupling = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        loop {
            interval.tick().await;
            let (v, i) = bus_view.with_bus(|b| {
                let i: f64 = b.modules.iter().map(|m| m.output_current()).sum();
                (b.voltage(), i)
            });
            devices.feed(v, i);
        }
    });
    Ok(SimConnector {
        modules,
        meter,
        imd,
        cooling,
        coupling,
    })
}

/// The measuring devices of one connector, fed what flows through its output.
struct Coupled {
    meter: Option<SimHandle<DcMeterPlant>>,
    imd: Option<SimHandle<InsulationPlant>>,
    cooling: Option<SimHandle<CoolingPlant>>,
}

impl Coupled {
    /// The output's voltage (vehicle side) and current: the meter measures both, the
    /// insulation monitor sees the voltage, the current heats the connector's pins.
    fn feed(&self, voltage: f64, current: f64) {
        if let Some(h) = &self.meter {
            h.with(|d| d.plant_mut().set_measurement(voltage, current));
        }
        if let Some(h) = &self.imd {
            h.with(|d| d.plant_mut().set_voltage(voltage));
        }
        if let Some(h) = &self.cooling {
            h.with(|d| d.plant_mut().set_current(current));
        }
    }
}

/// Where one of a simulated connector's measuring devices is served, and from which profile.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    pub profile: Arc<Profile>,
    /// Port 0 picks a free port.
    pub addr: SocketAddr,
}

/// The measuring devices beside a [`SimulatedConnector`](crate::sim::connector::SimulatedConnector)
/// (the in-process simulator of the daemon): each optional, each a lone device on its own
/// address.
#[derive(Debug, Clone)]
pub struct ConnectorDevicesSpec {
    pub meter: Option<DeviceSpec>,
    pub imd: Option<DeviceSpec>,
    pub cooling: Option<DeviceSpec>,
    /// The cooling unit's thermal plant; `None`: the 500 A defaults
    /// ([`ThermalPlantParams::default`]).
    pub thermal: Option<ThermalPlantParams>,
    /// The cooling unit's Pt1000 chain (its poll rate is the Modbus client's, not this one's).
    pub sensors: SensorChainParams,
    /// Plant step and coupling period.
    pub tick: Duration,
}

impl ConnectorDevicesSpec {
    /// The devices this spec serves, for [`PlantTap::new`].
    pub fn tap_devices(&self) -> Vec<TapDevice> {
        let mut d = Vec::new();
        if self.meter.is_some() {
            d.push(TapDevice::Meter);
        }
        if self.imd.is_some() {
            d.push(TapDevice::InsulationMonitor);
        }
        if self.cooling.is_some() {
            d.push(TapDevice::CoolingUnit);
        }
        d
    }
}

/// A simulated connector's measuring devices on Modbus TCP; dropping it stops them.
#[derive(Debug)]
pub struct SimConnectorDevices {
    pub meter: Option<SimServer<DcMeterPlant>>,
    pub imd: Option<SimServer<InsulationPlant>>,
    pub cooling: Option<SimServer<CoolingPlant>>,
    coupling: JoinHandle<()>,
}

impl Drop for SimConnectorDevices {
    fn drop(&mut self) {
        self.coupling.abort();
    }
}

/// Serve the DC meter, insulation monitor and cooling unit of `spec` (those it names), fed
/// once per tick from `tap`: the simulated connector's cable voltage and current, its
/// injected insulation fault, and the communication faults injected through it
/// ([`TapFault::Silent`] is no answer, [`TapFault::Frozen`] frozen values).
pub async fn serve_connector_devices(
    spec: ConnectorDevicesSpec,
    tap: PlantTap,
) -> Result<SimConnectorDevices, ConnectorError> {
    let meter = match &spec.meter {
        Some(d) => Some(
            serve(
                SimDevice::new(d.profile.clone(), DcMeterPlant::new(0.0))?,
                d.addr,
                spec.tick,
            )
            .await?,
        ),
        None => None,
    };
    let imd = match &spec.imd {
        Some(d) => Some(
            serve(
                SimDevice::new(d.profile.clone(), InsulationPlant::default())?,
                d.addr,
                spec.tick,
            )
            .await?,
        ),
        None => None,
    };
    let cooling = match &spec.cooling {
        Some(d) => Some(
            serve(
                SimDevice::new(
                    d.profile.clone(),
                    CoolingPlant::new(Box::new(ConnectorThermal::new(
                        spec.thermal.clone().unwrap_or_default(),
                        spec.sensors.clone(),
                    ))),
                )?,
                d.addr,
                spec.tick,
            )
            .await?,
        ),
        None => None,
    };
    let devices = Coupled {
        meter: meter.as_ref().map(SimServer::handle),
        imd: imd.as_ref().map(SimServer::handle),
        cooling: cooling.as_ref().map(SimServer::handle),
    };
    let tick = spec.tick.max(Duration::from_millis(1));
    let coupling = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        let mut applied: Vec<(TapDevice, TapFault)> = Vec::new();
        let mut ambient: Option<f64> = None;
        loop {
            interval.tick().await;
            let state = tap.snapshot();
            devices.feed(state.cable_voltage, state.current);
            if let Some(h) = &devices.cooling {
                // The technician's ambient reaches the served plant once per change; its
                // truth goes back for the simulator's status view.
                let truth = h.with(|d| {
                    if state.ambient_c != ambient {
                        if let Some(celsius) = state.ambient_c {
                            d.plant_mut().disturb(Disturbance::Ambient { celsius });
                        }
                    }
                    d.plant().truth()
                });
                ambient = state.ambient_c;
                if let Some(truth) = truth {
                    tap.publish_plant(truth);
                }
            }
            if let Some(h) = &devices.imd {
                h.with(|d| d.plant_mut().inject_fault(state.insulation_fault_ohm));
            }
            // Communication faults change only when the tap's do: a fault injected into a
            // server directly (a test) is left alone.
            if state.faults != applied {
                devices.apply_faults(&state);
                applied = state.faults.clone();
            }
        }
    });
    Ok(SimConnectorDevices {
        meter,
        imd,
        cooling,
        coupling,
    })
}

impl Coupled {
    fn apply_faults(&self, state: &TapState) {
        let comms = |device| match state.fault(device) {
            Some(TapFault::Silent) => Some(CommsFault::NoAnswer),
            Some(TapFault::Frozen) => Some(CommsFault::Frozen),
            None => None,
        };
        if let Some(h) = &self.meter {
            h.with(|d| d.inject(comms(TapDevice::Meter)));
        }
        if let Some(h) = &self.imd {
            h.with(|d| d.inject(comms(TapDevice::InsulationMonitor)));
        }
        if let Some(h) = &self.cooling {
            h.with(|d| d.inject(comms(TapDevice::CoolingUnit)));
        }
    }
}
