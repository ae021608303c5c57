//! A whole simulated connector: power supply, I/O, insulation monitor, CAN bus and whatever
//! vehicle is plugged in, coupled electrically.
//!
//! The station sees the same [`ConnectorHardware`] it sees in production; a technician (or a
//! test) plugs trucks in and injects faults through [`SimulatorControl`]. Every
//! [`step`](ConnectorHardware::step):
//!
//! 1. the I/O actuators advance (contactors and lock follow their outputs after a lag);
//! 2. frames the station sent are handed to the vehicle;
//! 3. the vehicle advances, seeing the protocol lines the station drives and the current that
//!    flowed into its battery during the step just finished;
//! 4. frames the vehicle wants to send are put on the bus;
//! 5. the circuit is solved (see [`SimulatedConnector::step`]) and the measurements the station
//!    will read (PSU, IMD cable voltage, plugged, vehicle permission) are updated.
//!
//! The vehicle is built by a factory given at construction, so this file does not depend on
//! any protocol: the CHAdeMO truck today, a GB/T truck later.

use std::time::Duration;

use charger_protocol::{ControlLines, Timestamp};

use crate::can::loopback::{LoopbackBus, LoopbackPort};
use crate::can::CanPort;
use crate::connector::{
    ConnectorHardware, InletReport, InletState, SimCommand, SimError, SimFault, SimPlantView,
    SimulatorControl, TruckSpec, TruckState,
};
use crate::imd::InsulationMonitor;
use crate::io::DigitalIo;
use crate::power::PowerSupply;
use crate::sim::cooling::{SimCoolingParams, SimCoolingUnit};
use crate::sim::external::ExternalVehicle;
use crate::sim::imd::{SimImdParams, SimInsulationMonitor};
use crate::sim::io::{SimIo, SimIoParams};
use crate::sim::meter::{SimDcMeter, SimMeterParams};
use crate::sim::psu::{Load, SimPowerSupply, SimPsuParams};
use crate::sim::tap::{PlantTap, TapDevice, TapFault};
use crate::sim::SimVehicle;
use crate::{CoolingUnit, DcMeter};

/// Builds the vehicle for a [`SimCommand::Plug`]; fails for a spec the vehicle cannot be.
pub type VehicleFactory = Box<dyn Fn(&TruckSpec) -> Result<Box<dyn SimVehicle>, SimError> + Send>;

/// Most frames taken from the vehicle in one step: a vehicle model that never stops
/// transmitting must not hang the station's loop.
const MAX_VEHICLE_FRAMES_PER_STEP: usize = 64;

/// Parameters of a simulated connector; every part has its own defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConnectorParams {
    pub psu: SimPsuParams,
    pub imd: SimImdParams,
    pub io: SimIoParams,
    /// Receive-queue depth of each end of the CAN bus, in frames. Default 256.
    pub can_queue_capacity: usize,
    /// Time constant of the cable voltage decaying when nothing drives it (contactors and
    /// vehicle open). Default 100 ms.
    pub cable_decay_time_constant: Duration,
    /// Insulation resistance set by [`SimFault::Insulation`], in ohms. Default 20 kΩ, well
    /// below IEC 61851-23's 100 Ω/V fault threshold at any truck voltage.
    pub faulted_insulation_ohms: f32,
    /// Measurement offset set by [`SimFault::ImplausibleCurrent`], in amperes. Default +80 A.
    pub implausible_current_offset: f32,
    /// A DC meter on the output (cable voltage × battery current). Default none: the station
    /// then integrates its own V × I, as before meters existed.
    pub meter: Option<SimMeterParams>,
    /// The liquid-cooled connector's cooling unit: its thermal plant is heated by the
    /// output's current (README "Thermal plant simulator"). Default none: an uncooled
    /// connector (no thermal limit), as before cooling units existed; `[simulator.thermal]`
    /// gives every simulated connector one.
    pub cooling: Option<SimCoolingParams>,
}

impl Default for SimConnectorParams {
    fn default() -> Self {
        SimConnectorParams {
            psu: SimPsuParams::default(),
            imd: SimImdParams::default(),
            io: SimIoParams::default(),
            can_queue_capacity: crate::can::loopback::DEFAULT_QUEUE_CAPACITY,
            cable_decay_time_constant: Duration::from_millis(100),
            faulted_insulation_ohms: 20_000.0,
            implausible_current_offset: 80.0,
            meter: None,
            cooling: None,
        }
    }
}

/// How the station's CAN port reaches the vehicle.
enum CanLink {
    /// An in-process bus with the simulated truck on the far end.
    Internal {
        /// The station's end of the bus, handed out by [`ConnectorHardware::can`].
        charger_port: LoopbackPort,
        /// The vehicle's end of the bus; stays attached when no vehicle is plugged, so the
        /// station's port sees silence (as on a real unplugged cable), not a closed bus.
        vehicle_port: LoopbackPort,
    },
    /// A port to a vehicle simulated elsewhere (a cannelloni link); the vehicle's side of the
    /// inlet arrives through [`SimulatorControl::inlet`].
    External(Box<dyn CanPort>),
}

/// One simulated connector. See the module documentation.
pub struct SimulatedConnector {
    name: String,
    params: SimConnectorParams,
    can: CanLink,
    psu: SimPowerSupply,
    io: SimIo,
    imd: SimInsulationMonitor,
    meter: Option<SimDcMeter>,
    cooling: Option<SimCoolingUnit>,
    vehicle: Option<Box<dyn SimVehicle>>,
    factory: VehicleFactory,
    /// Faults injected and not yet cleared, in injection order.
    active_faults: Vec<SimFault>,
    cable_voltage: f32,
    /// Current into the battery found by the latest circuit solution, in amperes.
    battery_current: f32,
    last_step: Option<Timestamp>,
    /// Fed by a cabinet's pooled modules: the supply model is the output bus, commanded by the
    /// modules connected to it rather than by [`ConnectorHardware::power`].
    bus: Option<crate::sim::cabinet::SimBus>,
    /// Measuring devices served beside this connector over Modbus (its meter, insulation
    /// monitor, cooling unit): they see what this connector's physics does.
    tap: Option<PlantTap>,
}

impl SimulatedConnector {
    /// A connector named `name` (used for its CAN bus and in logs) with nothing plugged in.
    pub fn new(name: &str, params: SimConnectorParams, factory: VehicleFactory) -> Self {
        let bus = LoopbackBus::with_capacity(name, params.can_queue_capacity);
        let can = CanLink::Internal {
            charger_port: bus.port(),
            vehicle_port: bus.port(),
        };
        Self::with_link(name, params, factory, can)
    }

    /// A connector whose vehicle is simulated in another process: frames go through `port`
    /// (e.g. a cannelloni link) and the vehicle's side of the inlet is set with
    /// [`SimulatorControl::inlet`] (or plugged with [`SimCommand::Plug`], whose spec is then
    /// ignored: the remote simulator owns the truck).
    pub fn with_external_can(
        name: &str,
        params: SimConnectorParams,
        port: Box<dyn CanPort>,
    ) -> Self {
        let factory: VehicleFactory = Box::new(|_spec: &TruckSpec| {
            Ok(Box::new(ExternalVehicle::new()) as Box<dyn SimVehicle>)
        });
        Self::with_link(name, params, factory, CanLink::External(port))
    }

    fn with_link(
        name: &str,
        params: SimConnectorParams,
        factory: VehicleFactory,
        can: CanLink,
    ) -> Self {
        SimulatedConnector {
            name: name.to_string(),
            psu: SimPowerSupply::new(params.psu.clone()),
            io: SimIo::new(params.io.clone()),
            imd: SimInsulationMonitor::new(params.imd.clone()),
            meter: params.meter.clone().map(SimDcMeter::new),
            cooling: params.cooling.clone().map(SimCoolingUnit::new),
            params,
            can,
            vehicle: None,
            factory,
            active_faults: Vec::new(),
            cable_voltage: 0.0,
            battery_current: 0.0,
            last_step: None,
            bus: None,
            tap: None,
        }
    }

    /// Feed this connector from a simulated cabinet's modules (see [`crate::sim::cabinet`]).
    pub fn with_bus(mut self, bus: crate::sim::cabinet::SimBus) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Show this connector's output to devices simulated beside it (see
    /// [`crate::sim::tap`]): after every step the tap carries the cable voltage, the current
    /// and an injected insulation fault; faults for a device the tap serves go to that device.
    pub fn with_tap(mut self, tap: PlantTap) -> Self {
        self.tap = Some(tap);
        self
    }

    /// Give this connector a cooling unit of this make-up (`None`: none), replacing the one
    /// its parameters gave it.
    pub fn with_cooling(mut self, cooling: Option<SimCoolingParams>) -> Self {
        self.cooling = cooling.clone().map(SimCoolingUnit::new);
        self.params.cooling = cooling;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn params(&self) -> &SimConnectorParams {
        &self.params
    }

    /// Voltage on the cable side of the output contactors, in volts.
    pub fn cable_voltage(&self) -> f32 {
        self.cable_voltage
    }

    /// Current flowing into the vehicle's battery, in amperes.
    pub fn battery_current(&self) -> f32 {
        self.battery_current
    }

    pub fn is_plugged(&self) -> bool {
        self.vehicle.is_some()
    }

    /// Faults injected and not yet cleared.
    pub fn active_faults(&self) -> &[SimFault] {
        &self.active_faults
    }

    /// The simulated supply itself, for tests and fault injection beyond [`SimFault`].
    pub fn psu_mut(&mut self) -> &mut SimPowerSupply {
        &mut self.psu
    }

    pub fn io_mut(&mut self) -> &mut SimIo {
        &mut self.io
    }

    pub fn imd_mut(&mut self) -> &mut SimInsulationMonitor {
        &mut self.imd
    }

    /// The simulated DC meter, if this connector has one.
    pub fn meter_state(&self) -> Option<&SimDcMeter> {
        self.meter.as_ref()
    }

    /// The simulated cooling unit, if this connector has one (its true plant for tests).
    pub fn cooling_state(&self) -> Option<&SimCoolingUnit> {
        self.cooling.as_ref()
    }

    pub fn psu(&self) -> &SimPowerSupply {
        &self.psu
    }

    pub fn io_state(&self) -> &SimIo {
        &self.io
    }

    pub fn imd_state(&self) -> &SimInsulationMonitor {
        &self.imd
    }

    pub fn vehicle(&self) -> Option<&dyn SimVehicle> {
        self.vehicle.as_deref()
    }

    /// Advance the whole connector to `now`.
    ///
    /// The circuit, with "closed" meaning the contacts really are (after the coil lag):
    /// - charger and vehicle contactors closed: the supply drives the battery; the cable is at
    ///   the supply's terminal voltage and the battery receives the supply's current;
    /// - charger closed, vehicle open (or no vehicle): the supply drives the open cable;
    /// - charger open: the supply sees an open output and bleeds down; the cable is at the
    ///   battery's voltage if the vehicle's contactors are closed, and otherwise decays to 0.
    fn advance(&mut self, now: Timestamp) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |last| now.saturating_since(last));
        self.last_step = Some(now);

        self.io.step(now);
        self.exchange_frames(now);

        let charger_closed = self.io.contactors_closed();
        let (vehicle_closed, battery) = match &self.vehicle {
            Some(v) => (
                v.contactors_closed(),
                Some((v.battery_ocv(), v.battery_resistance())),
            ),
            None => (false, None),
        };

        if let Some(bus) = &self.bus {
            self.psu.command(bus.command(now), now);
        }
        match (charger_closed, vehicle_closed, battery) {
            (true, true, Some((ocv, resistance))) => {
                self.psu.step(now, Load::Battery { ocv, resistance });
                self.cable_voltage = self.psu.output_voltage();
                self.battery_current = self.psu.true_current();
            }
            (true, _, _) => {
                self.psu.step(now, Load::Open);
                self.cable_voltage = self.psu.output_voltage();
                self.battery_current = 0.0;
            }
            (false, true, Some((ocv, _))) => {
                self.psu.step(now, Load::Open);
                self.cable_voltage = ocv;
                self.battery_current = 0.0;
            }
            (false, _, _) => {
                self.psu.step(now, Load::Open);
                let tau = self.params.cable_decay_time_constant.as_secs_f32();
                let factor = if tau > 0.0 {
                    (-dt.as_secs_f32() / tau).exp()
                } else {
                    0.0
                };
                self.cable_voltage *= factor;
                self.battery_current = 0.0;
            }
        }
        if let Some(bus) = &self.bus {
            bus.publish(self.psu.output_voltage(), self.psu.true_current());
        }

        self.imd.step(now);
        self.imd.set_cable_voltage(self.cable_voltage);
        if let Some(meter) = self.meter.as_mut() {
            meter.measure(self.cable_voltage, self.battery_current, now);
        }
        if let Some(tap) = &self.tap {
            let insulation = self.imd.insulation();
            let faulted = insulation < self.params.imd.healthy_insulation_ohms;
            tap.publish(
                f64::from(self.cable_voltage),
                f64::from(self.battery_current),
                faulted.then_some(f64::from(insulation)),
            );
        }
        // The current through the cable and its pins heats them.
        if let Some(cooling) = self.cooling.as_mut() {
            cooling.advance(now, f64::from(self.battery_current));
        }
        self.io.set_plugged(self.vehicle.is_some());
        self.io
            .set_vehicle_permission(self.vehicle.as_ref().is_some_and(|v| v.permission()));
    }

    /// Hand the station's frames to the vehicle, advance it, and put its frames on the bus.
    fn exchange_frames(&mut self, now: Timestamp) {
        let vehicle_port = match &mut self.can {
            CanLink::Internal { vehicle_port, .. } => vehicle_port,
            CanLink::External(_) => {
                // The remote vehicle has its own frames; it only needs to see the lines.
                if let Some(vehicle) = self.vehicle.as_mut() {
                    vehicle.step(self.io.outputs().lines, self.battery_current, now);
                }
                return;
            }
        };
        // Drain even with no vehicle: frames sent into an unplugged cable are lost.
        loop {
            match vehicle_port.try_recv() {
                Ok(Some(frame)) => {
                    if let Some(v) = self.vehicle.as_mut() {
                        v.handle_frame(&frame, now);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(connector = %self.name, error = %e, "simulated vehicle CAN port");
                    break;
                }
            }
        }
        let Some(vehicle) = self.vehicle.as_mut() else {
            return;
        };
        vehicle.step(self.io.outputs().lines, self.battery_current, now);
        for _ in 0..MAX_VEHICLE_FRAMES_PER_STEP {
            let Some(frame) = vehicle.poll_transmit(now) else {
                break;
            };
            if let Err(e) = vehicle_port.send(&frame) {
                tracing::warn!(connector = %self.name, error = %e, "simulated vehicle CAN send");
            }
        }
    }

    fn plug(&mut self, spec: &TruckSpec) -> Result<(), SimError> {
        if self.vehicle.is_some() {
            return Err(SimError::AlreadyPlugged);
        }
        let vehicle = (self.factory)(spec)?;
        self.io.set_plugged(true);
        self.io.set_vehicle_permission(vehicle.permission());
        self.vehicle = Some(vehicle);
        tracing::info!(connector = %self.name, ?spec, "simulated truck plugged in");
        Ok(())
    }

    fn unplug(&mut self) -> Result<(), SimError> {
        if self.vehicle.take().is_none() {
            return Err(SimError::NotPlugged);
        }
        self.battery_current = 0.0;
        self.io.set_plugged(false);
        self.io.set_vehicle_permission(false);
        self.active_faults.retain(|f| !is_vehicle_fault(*f));
        tracing::info!(connector = %self.name, "simulated truck unplugged");
        Ok(())
    }

    fn inject(&mut self, fault: SimFault) -> Result<(), SimError> {
        match fault {
            SimFault::CanSilent
            | SimFault::VehicleFault
            | SimFault::VehicleStop
            | SimFault::VehiclePause => {
                let vehicle = self.vehicle.as_mut().ok_or(SimError::NotPlugged)?;
                if !vehicle.inject(fault) {
                    return Err(SimError::UnknownFault(format!(
                        "{} (the plugged vehicle does not support it)",
                        fault.name()
                    )));
                }
            }
            SimFault::EmergencyStop => self.io.set_emergency_stop(true),
            SimFault::ContactorWelded => self.io.weld_contactors(),
            SimFault::ContactorStuckOpen => self.io.stick_contactors_open(),
            SimFault::LockJammed => self.io.jam_lock(),
            SimFault::LockFeedbackLost => self.io.lose_lock_feedback(),
            SimFault::IoStale => self.io.set_stale(true),
            SimFault::PowerSupply => self.psu.trip("simulated power stage fault"),
            SimFault::Insulation => self.imd.set_insulation(self.params.faulted_insulation_ohms),
            SimFault::ImplausibleCurrent => self
                .psu
                .set_current_measurement_offset(self.params.implausible_current_offset),
            SimFault::MeterSilent | SimFault::MeterFrozen
                if self.tapped(TapDevice::Meter).is_some() =>
            {
                let tap_fault = if fault == SimFault::MeterSilent {
                    TapFault::Silent
                } else {
                    TapFault::Frozen
                };
                if let Some(tap) = self.tapped(TapDevice::Meter) {
                    tap.set_fault(TapDevice::Meter, Some(tap_fault));
                }
            }
            SimFault::MeterReplaced | SimFault::MeterJump
                if self.tapped(TapDevice::Meter).is_some() =>
            {
                return Err(SimError::NotSupported(format!(
                    "{}: this connector's meter is served over Modbus, which models neither a \
                     swapped meter nor a garbage reading; use meter-silent or meter-frozen",
                    fault.name()
                )));
            }
            SimFault::ImdSilent => match self.tapped(TapDevice::InsulationMonitor) {
                Some(tap) => tap.set_fault(TapDevice::InsulationMonitor, Some(TapFault::Silent)),
                None => self.imd.set_silent(true),
            },
            SimFault::CoolingSilent => match self.tapped(TapDevice::CoolingUnit) {
                Some(tap) => tap.set_fault(TapDevice::CoolingUnit, Some(TapFault::Silent)),
                None => {
                    return Err(SimError::NotSupported(
                        "cooling-silent: this connector has no cooling unit served over Modbus"
                            .into(),
                    ))
                }
            },
            SimFault::MeterSilent
            | SimFault::MeterFrozen
            | SimFault::MeterReplaced
            | SimFault::MeterJump => {
                let meter = self.meter.as_mut().ok_or(SimError::NoMeter)?;
                match fault {
                    SimFault::MeterSilent => meter.set_silent(true),
                    SimFault::MeterFrozen => meter.set_frozen(true),
                    SimFault::MeterReplaced => meter.replace(),
                    _ => meter.jump(),
                }
            }
            SimFault::PinSensorOpen | SimFault::PumpDegraded | SimFault::CoolantInletStep => {
                let cooling = self.cooling.as_mut().ok_or(SimError::NoCooling)?;
                // Once: a second inlet step while the first stands is not another 10 K.
                if !self.active_faults.contains(&fault) {
                    match fault {
                        SimFault::PinSensorOpen => cooling.set_pin_sensor_open(true),
                        SimFault::PumpDegraded => cooling.set_pump_degraded(true),
                        _ => cooling.step_coolant_inlet(),
                    }
                }
            }
        }
        if !self.active_faults.contains(&fault) {
            self.active_faults.push(fault);
        }
        tracing::info!(connector = %self.name, fault = fault.name(), "simulated fault injected");
        Ok(())
    }

    /// The tap, if it serves `device`.
    fn tapped(&self, device: TapDevice) -> Option<&PlantTap> {
        self.tap.as_ref().filter(|t| t.serves(device))
    }

    fn clear_faults(&mut self) {
        if let Some(v) = self.vehicle.as_mut() {
            v.clear_faults();
        }
        self.io.set_emergency_stop(false);
        self.io.clear_faults();
        self.psu.clear_fault();
        self.psu.set_current_measurement_offset(0.0);
        self.imd.restore_insulation();
        self.imd.set_device_fault(false);
        self.imd.set_silent(false);
        if let Some(tap) = &self.tap {
            tap.clear_faults();
        }
        if let Some(meter) = self.meter.as_mut() {
            meter.clear_faults();
        }
        if let Some(cooling) = self.cooling.as_mut() {
            cooling.clear_faults();
        }
        self.active_faults.clear();
        tracing::info!(connector = %self.name, "simulated faults cleared");
    }
}

/// Faults that live in the vehicle and leave with it.
fn is_vehicle_fault(fault: SimFault) -> bool {
    matches!(
        fault,
        SimFault::CanSilent
            | SimFault::VehicleFault
            | SimFault::VehicleStop
            | SimFault::VehiclePause
    )
}

impl ConnectorHardware for SimulatedConnector {
    fn can(&mut self) -> &mut dyn CanPort {
        match &mut self.can {
            CanLink::Internal { charger_port, .. } => charger_port,
            CanLink::External(port) => port.as_mut(),
        }
    }

    fn power(&mut self) -> &mut dyn PowerSupply {
        &mut self.psu
    }

    fn io(&mut self) -> &mut dyn DigitalIo {
        &mut self.io
    }

    fn imd(&mut self) -> &mut dyn InsulationMonitor {
        &mut self.imd
    }

    fn meter(&mut self) -> Option<&mut dyn DcMeter> {
        self.meter.as_mut().map(|m| m as &mut dyn DcMeter)
    }

    fn cooling(&mut self) -> Option<&mut dyn CoolingUnit> {
        self.cooling.as_mut().map(|c| c as &mut dyn CoolingUnit)
    }

    fn step(&mut self, now: Timestamp) {
        self.advance(now);
    }

    fn simulator(&mut self) -> Option<&mut dyn SimulatorControl> {
        Some(self)
    }
}

impl SimulatorControl for SimulatedConnector {
    fn apply(&mut self, cmd: SimCommand, _now: Timestamp) -> Result<(), SimError> {
        match cmd {
            SimCommand::Plug(spec) => self.plug(&spec),
            SimCommand::Unplug => self.unplug(),
            SimCommand::Fault(fault) => self.inject(fault),
            SimCommand::ClearFaults => {
                self.clear_faults();
                Ok(())
            }
            SimCommand::Ambient { celsius } => {
                if !(celsius.is_finite() && (-30.0..=60.0).contains(&celsius)) {
                    return Err(SimError::InvalidAmbient(celsius));
                }
                // The cooling unit served over Modbus (through the tap) is the one the
                // station reads; an in-process one beside it follows too.
                let served = self.tapped(TapDevice::CoolingUnit).cloned();
                if served.is_none() && self.cooling.is_none() {
                    return Err(SimError::NoCooling);
                }
                if let Some(tap) = served {
                    tap.set_ambient(f64::from(celsius));
                }
                if let Some(cooling) = self.cooling.as_mut() {
                    cooling.set_ambient(f64::from(celsius));
                }
                tracing::info!(connector = %self.name, celsius, "simulated ambient set");
                Ok(())
            }
        }
    }

    fn truck(&self) -> Option<TruckState> {
        self.vehicle.as_ref().map(|v| v.state())
    }

    fn plant(&self) -> Option<SimPlantView> {
        // The served cooling unit's plant is the one the station reads, when there is one.
        if let Some(tap) = self.tapped(TapDevice::CoolingUnit) {
            return tap.snapshot().plant;
        }
        self.cooling.as_ref().map(|c| SimPlantView {
            hottest_pin_c: c.plant().temperatures().hottest_pin() as f32,
            ambient_c: c.plant().ambient_c() as f32,
        })
    }

    fn inlet(&mut self, state: &InletState, now: Timestamp) -> Result<InletReport, SimError> {
        if !matches!(self.can, CanLink::External(_)) {
            return Err(SimError::NotExternal);
        }
        state.validate()?;
        match (state.plugged, self.vehicle.is_some()) {
            (true, false) => self.plug(&TruckSpec::default())?,
            (false, true) => self.unplug()?,
            _ => {}
        }
        if let Some(v) = self.vehicle.as_mut() {
            v.set_inlet(state, now);
            self.io.set_vehicle_permission(v.permission());
        }
        let outputs = self.io.outputs();
        Ok(InletReport {
            lines: if self.vehicle.is_some() {
                outputs.lines
            } else {
                ControlLines::default()
            },
            connector_locked: self.io.locked(),
            charger_contactors_closed: self.io.contactors_closed(),
            cable_voltage: self.cable_voltage,
            battery_current: self.battery_current,
        })
    }
}

impl std::fmt::Debug for SimulatedConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedConnector")
            .field("name", &self.name)
            .field("vehicle", &self.vehicle)
            .field("psu", &self.psu)
            .field("io", &self.io)
            .field("imd", &self.imd)
            .field("cable_voltage", &self.cable_voltage)
            .field("battery_current", &self.battery_current)
            .field("active_faults", &self.active_faults)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use charger_protocol::{CanFrame, ControlLines, PowerCommand};

    use crate::io::DigitalOutputs;
    use crate::sim::battery::Battery;

    /// A vehicle with no protocol to speak of: it echoes every frame it receives with the
    /// next identifier, sends 0x100 once `sequence_1` is raised, closes its contactors on `sequence_2`,
    /// and charges a real [`Battery`].
    #[derive(Debug)]
    struct FakeVehicle {
        battery: Battery,
        lines: ControlLines,
        outbox: Vec<CanFrame>,
        silent: bool,
        fault: bool,
        stop: bool,
        /// Only recorded: the fake has no charge loop to pause.
        paused: bool,
        last_step: Option<Timestamp>,
        received: usize,
    }

    impl FakeVehicle {
        fn new(spec: &TruckSpec) -> FakeVehicle {
            FakeVehicle {
                battery: Battery::new(spec),
                paused: false,
                lines: ControlLines::default(),
                outbox: Vec::new(),
                silent: false,
                fault: false,
                stop: false,
                last_step: None,
                received: 0,
            }
        }
    }

    impl SimVehicle for FakeVehicle {
        fn handle_frame(&mut self, frame: &CanFrame, _now: Timestamp) {
            self.received += 1;
            if let Ok(echo) = CanFrame::standard(frame.id() as u16 + 1, frame.data()) {
                self.outbox.push(echo);
            }
        }

        fn poll_transmit(&mut self, _now: Timestamp) -> Option<CanFrame> {
            if self.silent {
                self.outbox.clear();
                return None;
            }
            self.outbox.pop()
        }

        fn step(&mut self, lines: ControlLines, battery_current: f32, now: Timestamp) {
            if let Some(last) = self.last_step {
                self.battery.step(battery_current, now - last);
            }
            self.last_step = Some(now);
            if lines.sequence_1 && !self.lines.sequence_1 {
                self.outbox.push(CanFrame::standard(0x100, &[1]).unwrap());
            }
            self.lines = lines;
        }

        fn battery_ocv(&self) -> f32 {
            self.battery.open_circuit_voltage()
        }

        fn battery_resistance(&self) -> f32 {
            self.battery.internal_resistance()
        }

        fn contactors_closed(&self) -> bool {
            self.lines.sequence_2
        }

        fn permission(&self) -> bool {
            self.lines.sequence_1 && !self.stop
        }

        fn inject(&mut self, fault: SimFault) -> bool {
            match fault {
                SimFault::CanSilent => self.silent = true,
                SimFault::VehicleFault => self.fault = true,
                SimFault::VehicleStop => self.stop = true,
                SimFault::VehiclePause => self.paused = true,
                _ => return false,
            }
            true
        }

        fn clear_faults(&mut self) {
            self.silent = false;
            self.fault = false;
            self.stop = false;
            self.paused = false;
        }

        fn state(&self) -> TruckState {
            TruckState {
                soc_percent: self.battery.soc_percent(),
                battery_voltage: self.battery.open_circuit_voltage(),
                battery_current: 0.0,
                ev_contactors_closed: self.lines.sequence_2,
                energy_charged_kwh: self.battery.energy_charged_kwh(),
            }
        }
    }

    fn connector() -> SimulatedConnector {
        connector_with(SimConnectorParams::default())
    }

    fn connector_with(params: SimConnectorParams) -> SimulatedConnector {
        SimulatedConnector::new(
            "sim-1",
            params,
            Box::new(|spec: &TruckSpec| {
                if spec.capacity_kwh <= 0.0 {
                    return Err(SimError::InvalidTruck("capacity must be positive".into()));
                }
                Ok(Box::new(FakeVehicle::new(spec)) as Box<dyn SimVehicle>)
            }),
        )
    }

    /// Step every 10 ms from `from` for `ms` milliseconds; returns the end time.
    fn run(c: &mut SimulatedConnector, from: Timestamp, ms: u64) -> Timestamp {
        let mut t = from;
        for _ in 0..ms / 10 {
            t += Duration::from_millis(10);
            c.step(t);
        }
        t
    }

    fn drive(c: &mut SimulatedConnector, contactors: bool, seq1: bool, seq2: bool) {
        c.io().write(&DigitalOutputs {
            contactors,
            connector_lock: true,
            lines: ControlLines {
                sequence_1: seq1,
                sequence_2: seq2,
                aux_power: false,
            },
            ..DigitalOutputs::default()
        });
    }

    fn on(voltage: f32, current: f32) -> PowerCommand {
        PowerCommand::on(voltage, current)
    }

    #[test]
    fn is_send_and_debug() {
        fn assert_send<T: Send + std::fmt::Debug>() {}
        assert_send::<SimulatedConnector>();
        let c = connector();
        assert!(format!("{c:?}").contains("sim-1"));
    }

    #[test]
    fn plug_and_unplug() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.step(t);
        assert!(!c.io().read().plugged);
        assert!(c.truck().is_none());
        assert_eq!(c.apply(SimCommand::Unplug, t), Err(SimError::NotPlugged));
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        assert!(c.io().read().plugged, "plugged is visible at once");
        assert_eq!(
            c.apply(SimCommand::Plug(TruckSpec::default()), t),
            Err(SimError::AlreadyPlugged)
        );
        let t = run(&mut c, t, 20);
        assert!(c.io().read().plugged);
        let truck = c.truck().unwrap();
        assert_eq!(truck.soc_percent, 20.0);
        c.apply(SimCommand::Unplug, t).unwrap();
        assert!(!c.io().read().plugged);
        run(&mut c, t, 20);
        assert!(!c.io().read().plugged);
        assert!(c.truck().is_none());
    }

    #[test]
    fn factory_errors_reach_the_caller_and_leave_nothing_plugged() {
        let mut c = connector();
        let bad = TruckSpec {
            capacity_kwh: 0.0,
            ..TruckSpec::default()
        };
        assert!(matches!(
            c.apply(SimCommand::Plug(bad), Timestamp::ZERO),
            Err(SimError::InvalidTruck(_))
        ));
        assert!(!c.is_plugged());
        assert!(!c.io().read().plugged);
    }

    #[test]
    fn frames_flow_both_ways_and_lines_reach_the_vehicle() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        c.can()
            .send(&CanFrame::standard(0x108, &[1, 2]).unwrap())
            .unwrap();
        drive(&mut c, false, true, false);
        let t = run(&mut c, t, 10);
        let mut got = Vec::new();
        while let Some(f) = c.can().try_recv().unwrap() {
            got.push(f.id());
        }
        got.sort_unstable();
        assert_eq!(got, vec![0x100, 0x109]);
        assert!(c.io().read().vehicle_permission);
        // Frames sent while unplugged vanish rather than pile up for the next truck.
        c.apply(SimCommand::Unplug, t).unwrap();
        c.can()
            .send(&CanFrame::standard(0x108, &[]).unwrap())
            .unwrap();
        let t = run(&mut c, t, 10);
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        run(&mut c, t, 10);
        // Only the new truck's greeting, no echo of the lost frame.
        assert_eq!(c.can().try_recv().unwrap().map(|f| f.id()), Some(0x100));
        assert!(c.can().try_recv().unwrap().is_none());
    }

    #[test]
    fn cable_shows_battery_voltage_when_only_the_vehicle_closes() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        drive(&mut c, false, true, true);
        let t = run(&mut c, t, 50);
        let ocv = c.vehicle().unwrap().battery_ocv();
        assert!((c.imd().reading().cable_voltage - ocv).abs() < 0.01);
        assert_eq!(c.power().reading().voltage, 0.0);
        // Vehicle opens: the cable decays with τ = 100 ms.
        drive(&mut c, false, true, false);
        run(&mut c, t, 100);
        let v = c.imd().reading().cable_voltage;
        assert!((v - ocv * (-1.0f32).exp()).abs() < 5.0, "{v} vs {ocv}");
    }

    /// Precharge to the battery, close, charge in CC, and see the battery take the energy.
    #[test]
    fn charges_the_battery_through_closed_contactors() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        drive(&mut c, false, true, true);
        let t = run(&mut c, t, 50);
        let ocv = c.imd().reading().cable_voltage;
        // Precharge with the contactors open.
        c.power().command(on(ocv, 2.0), t);
        let t = run(&mut c, t, 1000);
        assert!((c.power().reading().voltage - ocv).abs() < 1.0);
        drive(&mut c, true, true, true);
        let t = run(&mut c, t, 50);
        assert!(c.io().read().contactors_closed);
        c.power().command(on(740.0, 200.0), t);
        let t = run(&mut c, t, 2000);
        let r = c.power().reading();
        assert!((r.current - 200.0).abs() < 0.1, "{}", r.current);
        assert!((c.battery_current() - 200.0).abs() < 0.1);
        assert!((c.cable_voltage() - r.voltage).abs() < 0.01);
        let before = c.truck().unwrap();
        run(&mut c, t, 60_000);
        let after = c.truck().unwrap();
        // A minute at 200 A into ~580 Ah is about 0.57 % SOC.
        let gained = after.soc_percent - before.soc_percent;
        assert!((0.5..0.65).contains(&gained), "{gained}");
        assert!(after.energy_charged_kwh > before.energy_charged_kwh);
    }

    /// The cooling unit's pins are heated by the current that really flows into the battery,
    /// and its faults and the ambient come through the simulator's controls.
    #[test]
    fn the_cooling_unit_is_heated_by_the_output_current_and_takes_thermal_faults() {
        let mut c = connector().with_cooling(Some(SimCoolingParams::default()));
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        c.cooling().unwrap().command(
            crate::CoolingCommand {
                run: true,
                pump: 1.0,
                fan: 1.0,
            },
            t,
        );
        drive(&mut c, false, true, true);
        let t = run(&mut c, t, 50);
        let ocv = c.imd().reading().cable_voltage;
        c.power().command(on(ocv, 2.0), t);
        let t = run(&mut c, t, 1000);
        // Contactors still open: no current through the cable, the pins stay at ambient.
        let idle = c.cooling_state().unwrap().plant().temperatures();
        assert!((idle.pin_dc_plus - 25.0).abs() < 0.1, "{idle:?}");
        drive(&mut c, true, true, true);
        let t = run(&mut c, t, 50);
        c.power().command(on(740.0, 400.0), t);
        let t = run(&mut c, t, 120_000);
        assert!((c.battery_current() - 400.0).abs() < 0.5);
        let hot = c.cooling_state().unwrap().plant().temperatures();
        assert!(hot.pin_dc_plus > 45.0, "{hot:?}");
        let seen = c.cooling().unwrap().reading();
        let seen_plus = f64::from(seen.pin_dc_plus_c.unwrap());
        assert!(
            (seen_plus - hot.pin_dc_plus).abs() < 1.0,
            "{seen:?} {hot:?}"
        );

        c.apply(SimCommand::Fault(SimFault::PinSensorOpen), t)
            .unwrap();
        c.apply(SimCommand::Fault(SimFault::PumpDegraded), t)
            .unwrap();
        c.apply(SimCommand::Fault(SimFault::CoolantInletStep), t)
            .unwrap();
        c.apply(SimCommand::Fault(SimFault::CoolantInletStep), t)
            .unwrap();
        let stepped = c.cooling_state().unwrap().plant().temperatures();
        assert!(
            (stepped.coolant - hot.coolant - 10.0).abs() < 1e-6,
            "one step of 10 K"
        );
        let t = run(&mut c, t, 200);
        let r = c.cooling().unwrap().reading();
        assert_eq!(r.pin_dc_plus_c, None);
        assert_eq!(r.flow_l_min, Some(15.0));
        assert_eq!(
            c.apply(SimCommand::Ambient { celsius: 61.0 }, t),
            Err(SimError::InvalidAmbient(61.0))
        );
        c.apply(SimCommand::Ambient { celsius: 45.0 }, t).unwrap();
        assert_eq!(c.cooling_state().unwrap().plant().ambient_c(), 45.0);
        // The simulator's truth for status views: the in-process plant's.
        let truth = c.plant().unwrap();
        assert_eq!(truth.ambient_c, 45.0);
        let true_pin = c
            .cooling_state()
            .unwrap()
            .plant()
            .temperatures()
            .hottest_pin();
        assert!((f64::from(truth.hottest_pin_c) - true_pin).abs() < 1e-3);
        c.apply(SimCommand::ClearFaults, t).unwrap();
        run(&mut c, t, 200);
        let r = c.cooling().unwrap().reading();
        assert!(
            r.pin_dc_plus_c.is_some() && r.flow_l_min == Some(30.0),
            "{r:?}"
        );

        // An uncooled connector (the default) has none.
        let mut bare = connector();
        assert!(bare.cooling().is_none());
        assert_eq!(
            bare.apply(SimCommand::Fault(SimFault::PumpDegraded), t),
            Err(SimError::NoCooling)
        );
        assert_eq!(
            bare.apply(SimCommand::Ambient { celsius: 20.0 }, t),
            Err(SimError::NoCooling)
        );
    }

    #[test]
    fn unplugging_mid_charge_drops_the_current_without_panicking() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        drive(&mut c, true, true, true);
        let t = run(&mut c, t, 50);
        let ocv = c.cable_voltage();
        c.power().command(on(ocv + 100.0, 150.0), t);
        let t = run(&mut c, t, 1000);
        assert!(c.battery_current() > 100.0);
        c.apply(SimCommand::Unplug, t).unwrap();
        run(&mut c, t, 20);
        assert_eq!(c.battery_current(), 0.0);
        assert_eq!(c.power().reading().current, 0.0);
        assert!(!c.io().read().plugged);
        assert!(!c.io().read().vehicle_permission);
    }

    #[test]
    fn faults_are_dispatched_to_the_right_model_and_cleared() {
        let mut c = connector_with(SimConnectorParams {
            meter: Some(SimMeterParams::default()),
            cooling: Some(SimCoolingParams::default()),
            ..SimConnectorParams::default()
        });
        let t = Timestamp::ZERO;
        // Vehicle faults need a vehicle.
        assert_eq!(
            c.apply(SimCommand::Fault(SimFault::CanSilent), t),
            Err(SimError::NotPlugged)
        );
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        drive(&mut c, true, true, false);
        c.imd().set_measuring(true, t);
        c.power().command(on(500.0, 10.0), t);
        let t = run(&mut c, t, 2000);
        for fault in SimFault::ALL {
            if fault == SimFault::CoolingSilent {
                // No cooling unit served beside this connector: refused, not pretended.
                assert!(matches!(
                    c.apply(SimCommand::Fault(fault), t),
                    Err(SimError::NotSupported(_))
                ));
                continue;
            }
            c.apply(SimCommand::Fault(fault), t).unwrap();
        }
        assert_eq!(c.active_faults().len(), SimFault::ALL.len() - 1);
        let t = run(&mut c, t, 100);
        let inputs = c.io().read();
        assert!(inputs.emergency_stop);
        assert!(
            !inputs.contactors_closed,
            "e-stop chain drops the contactors"
        );
        assert!(!inputs.vehicle_permission, "vehicle stop opens k");
        let psu = c.power().reading();
        assert!(psu.fault.is_some() && !psu.enabled);
        assert_eq!(psu.current, 80.0, "measurement offset with no real current");
        assert_eq!(c.imd().reading().resistance_ohms, Some(20_000.0));
        // Nothing echoed while the vehicle is silent (after its greeting from before).
        while c.can().try_recv().unwrap().is_some() {}
        c.can()
            .send(&CanFrame::standard(0x108, &[]).unwrap())
            .unwrap();
        run(&mut c, t, 10);
        assert!(c.can().try_recv().unwrap().is_none());

        c.apply(SimCommand::ClearFaults, t).unwrap();
        assert!(c.active_faults().is_empty());
        let t = run(&mut c, t + Duration::from_millis(10), 100);
        let inputs = c.io().read();
        assert!(!inputs.emergency_stop && inputs.contactors_closed && inputs.vehicle_permission);
        let psu = c.power().reading();
        assert!(psu.fault.is_none() && psu.enabled);
        assert_eq!(psu.current, 0.0);
        assert_eq!(c.imd().reading().resistance_ohms, Some(10.0e6));
        c.can()
            .send(&CanFrame::standard(0x108, &[]).unwrap())
            .unwrap();
        run(&mut c, t, 10);
        assert!(c.can().try_recv().unwrap().is_some());
    }

    #[test]
    fn vehicle_faults_leave_with_the_vehicle() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        c.apply(SimCommand::Fault(SimFault::VehicleFault), t)
            .unwrap();
        c.apply(SimCommand::Fault(SimFault::Insulation), t).unwrap();
        c.apply(SimCommand::Unplug, t).unwrap();
        assert_eq!(c.active_faults(), &[SimFault::Insulation]);
    }

    #[test]
    fn contactors_closed_into_an_open_vehicle_put_psu_voltage_on_the_cable() {
        let mut c = connector();
        let t = Timestamp::ZERO;
        c.apply(SimCommand::Plug(TruckSpec::default()), t).unwrap();
        drive(&mut c, true, true, false);
        c.power().command(on(500.0, 5.0), t);
        run(&mut c, t, 1000);
        assert!((c.cable_voltage() - 500.0).abs() < 0.01);
        assert_eq!(c.battery_current(), 0.0);
    }
}
