//! One simulated connector's power path as Modbus devices: parallel power modules behind a
//! gateway, a DC meter, an insulation monitor and a cooling unit, each on its own port and
//! coupled electrically: what the modules deliver is what the meter measures, the voltage the
//! monitor sees and the current that heats the connector's pins.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::server::{serve, serve_gateway, SimServer};
use super::{
    BatteryLoad, BusModule, CoolingPlant, DcMeterPlant, FirstOrderPins, InsulationPlant,
    ModuleRating, ParallelBus, PowerModulePlant, SimDevice, SimError,
};
use crate::profile::Profile;

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
            CoolingPlant::new(Box::new(FirstOrderPins::default())),
        )?,
        spec.cooling_addr,
        spec.tick,
    )
    .await?;

    // The coupling reads the bus and feeds the other devices' inputs once per tick.
    let bus_view = modules.with(|d| d.plant().clone());
    let (meter_h, imd_h, cooling_h) = (meter.handle(), imd.handle(), cooling.handle());
    let tick = spec.tick.max(Duration::from_millis(1));
    let coupling = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        loop {
            interval.tick().await;
            let (v, i) = bus_view.with_bus(|b| {
                let i: f64 = b.modules.iter().map(|m| m.output_current()).sum();
                (b.voltage(), i)
            });
            meter_h.with(|d| d.plant_mut().set_measurement(v, i));
            imd_h.with(|d| d.plant_mut().set_voltage(v));
            cooling_h.with(|d| d.plant_mut().set_current(i));
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
