//! A simulated GB/T 27930 truck: the BMS side of the protocol ([`GbtVehicle`]), a traction
//! [`Battery`] and the [`Bms`] model that decides how much current to ask for.
//!
//! Same split as the CHAdeMO truck: the protocol stack is fed the battery's measurements and the
//! BMS's wish on every step, and asks for a normal stop (BST "SOC target reached") once the
//! target is reached. The pack is LFP, the chemistry of most Chinese heavy trucks; its cell
//! count follows from the pack's maximum voltage and the cells' 3.65 V limit.

use charger_protocol::gbt::{
    BatteryType, GbtVehicle, GbtVehicleFault, GbtVehicleParams, GbtVehicleState,
    GbtVehicleStopCause, ProtocolVersion,
};
use charger_protocol::{CanFrame, ControlLines, Timestamp};

use super::battery::Battery;
use super::truck::{validate_spec, Pack, SpecLimits};
use super::SimVehicle;
use crate::connector::{SimError, SimFault, TruckSpec, TruckState};

/// GB/T 27930-2015 carries currents with a −400 A offset: 400 A is the most a truck can ask for.
pub const GBT_MAX_CURRENT_A: f32 = 400.0;
/// BRM carries the rated voltage up to 750 V; chargers for trucks go to 1000 V.
pub const GBT_MAX_VOLTAGE_V: f32 = 1000.0;
/// LFP cells are charged to at most this.
pub const LFP_MAX_CELL_V: f32 = 3.65;
/// Battery temperature the simulated pack reports, °C (a liquid-cooled pack in a mild climate).
const PACK_TEMPERATURE_C: (i16, i16) = (31, 27);

/// A simulated GB/T truck. See the module documentation.
#[derive(Debug)]
pub struct GbtTruck {
    vehicle: GbtVehicle,
    pack: Pack,
    cells_in_series: f32,
}

impl GbtTruck {
    /// A 2015-edition truck as `spec` describes it.
    pub fn new(spec: &TruckSpec) -> Result<Self, SimError> {
        Self::with_version(spec, ProtocolVersion::V1_1)
    }

    /// A truck whose BMS follows the 2011 edition (no BHM, −800 A current offset).
    pub fn new_2011(spec: &TruckSpec) -> Result<Self, SimError> {
        Self::with_version(spec, ProtocolVersion::V1_0)
    }

    fn with_version(spec: &TruckSpec, version: ProtocolVersion) -> Result<Self, SimError> {
        validate(spec)?;
        let pack = Pack::new(spec);
        let battery = &pack.battery;
        let cells_in_series = (spec.max_voltage / LFP_MAX_CELL_V).ceil().max(1.0);
        let params = GbtVehicleParams {
            version,
            battery_type: BatteryType::LithiumIronPhosphate,
            rated_capacity_ah: battery.capacity_ah().min(1000.0),
            rated_voltage: (battery.max_voltage() * 0.85).min(750.0),
            max_charge_voltage: spec.max_voltage,
            max_cell_voltage: LFP_MAX_CELL_V,
            max_current: spec.max_current,
            nominal_energy_kwh: spec.capacity_kwh,
            ..GbtVehicleParams::default()
        };
        let mut truck = GbtTruck {
            vehicle: GbtVehicle::new(params),
            pack,
            cells_in_series,
        };
        truck.brief_vehicle();
        Ok(truck)
    }

    /// The protocol stack, for status views and tests.
    pub fn vehicle(&self) -> &GbtVehicle {
        &self.vehicle
    }

    /// Mutable access for tests that mute messages or pause the charge.
    pub fn vehicle_mut(&mut self) -> &mut GbtVehicle {
        &mut self.vehicle
    }

    pub fn battery(&self) -> &Battery {
        &self.pack.battery
    }

    pub fn stop_cause(&self) -> Option<GbtVehicleStopCause> {
        self.vehicle.stop_cause()
    }

    pub fn state_of_protocol(&self) -> GbtVehicleState {
        self.vehicle.state()
    }

    fn brief_vehicle(&mut self) {
        let Pack { battery, bms, .. } = &self.pack;
        let terminal = self.pack.terminal_voltage();
        self.vehicle.set_battery(terminal, battery.soc_percent());
        self.vehicle.set_battery_current(self.pack.current());
        self.vehicle
            .set_max_cell_voltage(terminal / self.cells_in_series);
        self.vehicle
            .set_temperatures(PACK_TEMPERATURE_C.0, PACK_TEMPERATURE_C.1);
        self.vehicle
            .set_demand(bms.charge_voltage_limit(), bms.desired_current(battery));
        if bms.target_reached(battery) {
            self.vehicle.request_stop();
        }
    }
}

fn validate(spec: &TruckSpec) -> Result<(), SimError> {
    validate_spec(
        spec,
        &SpecLimits {
            protocol: "GB/T",
            max_capacity_kwh: 6553.5,
            max_voltage: GBT_MAX_VOLTAGE_V,
            max_current: GBT_MAX_CURRENT_A,
            current_field: "GB/T 27930-2015's current field",
        },
    )
}

impl SimVehicle for GbtTruck {
    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        self.vehicle.handle_frame(frame, now);
    }

    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        self.vehicle.poll_transmit(now)
    }

    fn step(&mut self, lines: ControlLines, battery_current: f32, now: Timestamp) {
        self.pack
            .step(self.vehicle.contactors_closed(), battery_current, now);
        self.brief_vehicle();
        self.vehicle.update(lines, now);
    }

    fn battery_ocv(&self) -> f32 {
        self.pack.battery.open_circuit_voltage()
    }

    fn battery_resistance(&self) -> f32 {
        self.pack.battery.internal_resistance()
    }

    fn contactors_closed(&self) -> bool {
        self.vehicle.contactors_closed()
    }

    /// GB/T has no charge-permission line (the BMS permits through BSM).
    fn permission(&self) -> bool {
        false
    }

    fn inject(&mut self, fault: SimFault) -> bool {
        match fault {
            SimFault::CanSilent => self.vehicle.set_can_silent(true),
            SimFault::VehicleFault => self.vehicle.inject_fault(GbtVehicleFault::OverTemperature),
            SimFault::VehicleStop => self.vehicle.request_stop(),
            SimFault::VehiclePause => self.vehicle.set_paused(true),
            SimFault::EmergencyStop
            | SimFault::PowerSupply
            | SimFault::Insulation
            | SimFault::ImplausibleCurrent
            | SimFault::MeterSilent
            | SimFault::MeterFrozen
            | SimFault::MeterReplaced
            | SimFault::MeterJump
            | SimFault::ImdSilent
            | SimFault::CoolingSilent
            | SimFault::PinSensorOpen
            | SimFault::PumpDegraded
            | SimFault::CoolantInletStep
            | SimFault::ContactorWelded
            | SimFault::ContactorStuckOpen
            | SimFault::LockJammed
            | SimFault::LockFeedbackLost
            | SimFault::IoStale => return false,
        }
        true
    }

    fn clear_faults(&mut self) {
        self.vehicle.clear_faults();
        self.vehicle.set_paused(false);
    }

    fn state(&self) -> TruckState {
        self.pack.state(self.vehicle.contactors_closed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_specs_no_gbt_truck_can_have() {
        let base = TruckSpec::default();
        for (spec, field) in [
            (
                TruckSpec {
                    max_current: 500.0,
                    ..base.clone()
                },
                "max_current",
            ),
            (
                TruckSpec {
                    max_voltage: 1200.0,
                    ..base.clone()
                },
                "max_voltage",
            ),
            (
                TruckSpec {
                    soc_percent: 90.0,
                    ..base.clone()
                },
                "soc",
            ),
        ] {
            match GbtTruck::new(&spec) {
                Err(SimError::InvalidTruck(why)) => assert!(why.contains(field), "{why}"),
                other => panic!("{spec:?} gave {other:?}"),
            }
        }
        assert!(GbtTruck::new(&base).is_ok());
    }

    #[test]
    fn asleep_without_aux_power_awake_with_it() {
        let mut t = GbtTruck::new(&TruckSpec::default()).unwrap();
        t.step(ControlLines::default(), 0.0, Timestamp::ZERO);
        assert_eq!(t.state_of_protocol(), GbtVehicleState::Off);
        let aux = ControlLines {
            aux_power: true,
            ..ControlLines::default()
        };
        t.step(aux, 0.0, Timestamp::from_millis(10));
        assert_eq!(t.state_of_protocol(), GbtVehicleState::Waiting);
        assert!(!t.contactors_closed());
    }
}
