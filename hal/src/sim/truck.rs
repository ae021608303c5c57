//! A simulated CHAdeMO truck: the vehicle side of the protocol ([`ChademoVehicle`]), a traction
//! [`Battery`] and the [`Bms`] that decides how much current to ask for.
//!
//! The three are kept apart on purpose. The protocol stack knows nothing about cells; it is fed
//! the battery's voltage, SOC and current and the BMS's wish on every step, as a real vehicle
//! gateway is fed by its BMS. The battery only integrates the current the plant says flowed
//! through the truck's contactors. The BMS ends the charge by asking the protocol stack for a
//! normal stop once its target SOC is reached, which is how a session ends in the simulator
//! when nobody intervenes.

use std::time::Duration;

use charger_protocol::chademo::{
    ChademoVehicle, ChademoVehicleParams, VehicleFault, VehicleStopCause,
};
use charger_protocol::{CanFrame, ControlLines, Timestamp};

use super::battery::{Battery, OCV_EMPTY};
use super::bms::Bms;
use super::SimVehicle;
use crate::connector::{SimError, SimFault, TruckSpec, TruckState};

/// CHAdeMO 1.x carries the current request in one byte (102.3).
pub const CHADEMO_MAX_CURRENT_A: f32 = 255.0;
/// CHAdeMO voltage fields end at 1200 V (raised to that in 2.0).
pub const CHADEMO_MAX_VOLTAGE_V: f32 = 1200.0;
/// Below this the pack would not even reach the 50 V at which a charger recognises closed EV
/// contactors when empty (its OCV is 75 % of the maximum); no traction battery is that small.
pub const MIN_TRUCK_VOLTAGE_V: f32 = 100.0;
/// 101.5-6 carries the capacity in 0.1 kWh in 16 bits.
pub const CHADEMO_MAX_CAPACITY_KWH: f32 = 6553.5;

/// The traction side every simulated truck has, whatever its protocol: the battery, the BMS
/// model, and the current that reached the cells during the last step.
#[derive(Debug)]
pub struct Pack {
    pub battery: Battery,
    pub bms: Bms,
    /// Current that flowed into the battery during the last step, in amperes.
    current: f32,
    last_step: Option<Timestamp>,
}

impl Pack {
    pub fn new(spec: &TruckSpec) -> Pack {
        Pack {
            battery: Battery::new(spec),
            bms: Bms::new(spec),
            current: 0.0,
            last_step: None,
        }
    }

    /// Advance to `now`. Current reaches the cells only through the truck's own contactors;
    /// the plant's figure is trusted otherwise (a non-finite one counts as none).
    pub fn step(&mut self, contactors_closed: bool, battery_current: f32, now: Timestamp) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |last| now.saturating_since(last));
        self.last_step = Some(now);
        self.current = if contactors_closed && battery_current.is_finite() {
            battery_current
        } else {
            0.0
        };
        self.battery.step(self.current, dt);
    }

    /// Current into the battery during the last step, in amperes.
    pub fn current(&self) -> f32 {
        self.current
    }

    /// Voltage at the pack's terminals with the last step's current flowing, in volts.
    pub fn terminal_voltage(&self) -> f32 {
        self.battery.terminal_voltage(self.current)
    }

    pub fn last_step(&self) -> Option<Timestamp> {
        self.last_step
    }

    /// The truck's own view for status, with its contactors as the protocol stack has them.
    pub fn state(&self, contactors_closed: bool) -> TruckState {
        TruckState {
            soc_percent: self.battery.soc_percent(),
            battery_voltage: self.terminal_voltage(),
            battery_current: self.current,
            ev_contactors_closed: contactors_closed,
            energy_charged_kwh: self.battery.energy_charged_kwh(),
        }
    }
}

/// A simulated CHAdeMO truck. See the module documentation.
#[derive(Debug)]
pub struct ChademoTruck {
    vehicle: ChademoVehicle,
    pack: Pack,
}

impl ChademoTruck {
    /// The truck `spec` describes, at its SOC, with d1 not yet seen.
    ///
    /// A technician types the spec, so it is checked here with a reason a person can act on:
    /// the battery and BMS models would quietly bring bad values into range, which would make
    /// the simulated truck something other than what was asked for.
    pub fn new(spec: &TruckSpec) -> Result<Self, SimError> {
        validate(spec)?;
        let pack = Pack::new(spec);
        let params = ChademoVehicleParams {
            max_battery_voltage: spec.max_voltage,
            // The empty pack's OCV: the lowest voltage this battery ever shows.
            min_battery_voltage: (spec.max_voltage * OCV_EMPTY).floor(),
            // The BMS's charge voltage limit is what the truck aims for.
            target_voltage: pack.bms.charge_voltage_limit().floor(),
            max_charge_current: spec.max_current,
            capacity_kwh: spec.capacity_kwh,
            ..ChademoVehicleParams::default()
        };
        let mut truck = ChademoTruck {
            vehicle: ChademoVehicle::new(params),
            pack,
        };
        truck.brief_vehicle();
        Ok(truck)
    }

    /// The protocol stack, for status views and tests.
    pub fn vehicle(&self) -> &ChademoVehicle {
        &self.vehicle
    }

    pub fn battery(&self) -> &Battery {
        &self.pack.battery
    }

    pub fn bms(&self) -> &Bms {
        &self.pack.bms
    }

    /// Why the truck stopped its side of the session, if it did.
    pub fn stop_cause(&self) -> Option<VehicleStopCause> {
        self.vehicle.stop_cause()
    }

    /// Hand the protocol stack what the battery and the BMS say now.
    fn brief_vehicle(&mut self) {
        let Pack { battery, bms, .. } = &self.pack;
        self.vehicle
            .set_battery(self.pack.terminal_voltage(), battery.soc_percent());
        self.vehicle.set_battery_current(self.pack.current());
        self.vehicle
            .set_current_request(bms.desired_current(battery));
        if bms.target_reached(battery) {
            self.vehicle.request_stop();
        }
    }
}

/// Checks a spec against what a CHAdeMO truck can be.
fn validate(spec: &TruckSpec) -> Result<(), SimError> {
    validate_spec(
        spec,
        &SpecLimits {
            protocol: "CHAdeMO",
            max_capacity_kwh: CHADEMO_MAX_CAPACITY_KWH,
            max_voltage: CHADEMO_MAX_VOLTAGE_V,
            max_current: CHADEMO_MAX_CURRENT_A,
            current_field: "one byte in CHAdeMO 1.x",
        },
    )
}

/// What a protocol's fields let a simulated truck be.
pub(crate) struct SpecLimits {
    pub protocol: &'static str,
    pub max_capacity_kwh: f32,
    pub max_voltage: f32,
    pub max_current: f32,
    /// Why the current ends there, for the message.
    pub current_field: &'static str,
}

/// Checks a spec a technician typed against what a truck of that protocol can be, with a reason
/// a person can act on (the battery and BMS models would quietly bring bad values into range).
pub(crate) fn validate_spec(spec: &TruckSpec, limits: &SpecLimits) -> Result<(), SimError> {
    let invalid = |why: String| Err(SimError::InvalidTruck(why));
    let TruckSpec {
        soc_percent: soc,
        target_soc_percent: target,
        capacity_kwh,
        max_voltage,
        max_current,
    } = *spec;
    let SpecLimits {
        protocol,
        max_capacity_kwh,
        max_voltage: top_voltage,
        max_current: top_current,
        current_field,
    } = *limits;
    if !(capacity_kwh.is_finite() && capacity_kwh > 0.0 && capacity_kwh <= max_capacity_kwh) {
        return invalid(format!(
            "capacity_kwh {capacity_kwh} must be positive and at most {max_capacity_kwh}"
        ));
    }
    if !(soc.is_finite() && target.is_finite() && 0.0 <= soc && soc < target && target <= 100.0) {
        return invalid(format!(
            "need 0 ≤ soc_percent < target_soc_percent ≤ 100, got soc {soc} and target {target}"
        ));
    }
    if !(max_voltage.is_finite() && (MIN_TRUCK_VOLTAGE_V..=top_voltage).contains(&max_voltage)) {
        return invalid(format!(
            "max_voltage {max_voltage} V must be between {MIN_TRUCK_VOLTAGE_V} and {top_voltage} V for {protocol}"
        ));
    }
    if !(max_current.is_finite() && max_current > 0.0 && max_current <= top_current) {
        return invalid(format!(
            "max_current {max_current} A must be positive and at most {top_current} A ({current_field})"
        ));
    }
    Ok(())
}

impl SimVehicle for ChademoTruck {
    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        self.vehicle.handle_frame(frame, now);
    }

    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        self.vehicle.poll_transmit(now)
    }

    fn step(&mut self, lines: ControlLines, battery_current: f32, now: Timestamp) {
        self.pack
            .step(self.vehicle.contactors_closed(), battery_current, now);
        self.vehicle.set_lines(lines);
        self.brief_vehicle();
        self.vehicle.update(now);
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

    fn permission(&self) -> bool {
        self.vehicle.permission()
    }

    /// CAN silence, a battery over-voltage fault bit (102.4.0) and a driver's stop are the
    /// truck's own faults; the rest belong to the charger's side of the plant.
    fn inject(&mut self, fault: SimFault) -> bool {
        match fault {
            SimFault::CanSilent => self.vehicle.set_can_silent(true),
            SimFault::VehicleFault => self.vehicle.inject_fault(VehicleFault::BatteryOvervoltage),
            SimFault::VehicleStop => self.vehicle.request_stop(),
            // CHAdeMO 1.x has no pause: the vehicle can only stop.
            SimFault::VehiclePause => return false,
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

    /// Clears the fault bit and CAN silence. A stop already taken stays taken: the session it
    /// ended does not resume, as with a real truck.
    fn clear_faults(&mut self) {
        self.vehicle.clear_faults();
    }

    fn state(&self) -> TruckState {
        self.pack.state(self.vehicle.contactors_closed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use charger_protocol::chademo::{
        ChademoCharger, ChademoChargerConfig, VehicleChargingTime, VehicleControl, VehicleLimits,
        VehicleState,
    };
    use charger_protocol::session::{ChargerRating, InsulationVerdict};
    use charger_protocol::{DcSession, PlantInputs, SessionEvent, SessionPhase, StopReason};

    const STEP: Duration = Duration::from_millis(10);
    const D1: ControlLines = ControlLines {
        sequence_1: true,
        sequence_2: false,
        aux_power: false,
    };

    /// Steps the truck 150 ms with d1 up, continuing from its last step.
    fn frames_after_d1(t: &mut ChademoTruck) -> Vec<CanFrame> {
        let mut now = t.pack.last_step().unwrap_or(Timestamp::ZERO);
        let mut out = Vec::new();
        for _ in 0..15 {
            now += STEP;
            t.step(D1, 0.0, now);
            out.extend(std::iter::from_fn(|| t.poll_transmit(now)));
        }
        out
    }

    #[test]
    fn refuses_specs_no_chademo_truck_can_have() {
        let base = TruckSpec::default();
        let cases = [
            (
                TruckSpec {
                    capacity_kwh: 0.0,
                    ..base.clone()
                },
                "capacity_kwh",
            ),
            (
                TruckSpec {
                    capacity_kwh: f32::NAN,
                    ..base.clone()
                },
                "capacity_kwh",
            ),
            (
                TruckSpec {
                    soc_percent: 80.0,
                    ..base.clone()
                },
                "soc",
            ),
            (
                TruckSpec {
                    soc_percent: -1.0,
                    ..base.clone()
                },
                "soc",
            ),
            (
                TruckSpec {
                    target_soc_percent: 101.0,
                    ..base.clone()
                },
                "soc",
            ),
            (
                TruckSpec {
                    max_voltage: 1300.0,
                    ..base.clone()
                },
                "max_voltage",
            ),
            (
                TruckSpec {
                    max_voltage: 48.0,
                    ..base.clone()
                },
                "max_voltage",
            ),
            (
                TruckSpec {
                    max_current: 400.0,
                    ..base.clone()
                },
                "max_current",
            ),
            (
                TruckSpec {
                    max_current: 0.0,
                    ..base.clone()
                },
                "max_current",
            ),
        ];
        for (spec, field) in cases {
            match ChademoTruck::new(&spec) {
                Err(SimError::InvalidTruck(why)) => assert!(why.contains(field), "{why}"),
                other => panic!("{spec:?} gave {other:?}"),
            }
        }
        assert!(ChademoTruck::new(&base).is_ok());
    }

    #[test]
    fn announces_its_spec_once_d1_rises() {
        let mut t = ChademoTruck::new(&TruckSpec::default()).unwrap();
        t.step(ControlLines::default(), 0.0, Timestamp::ZERO);
        assert!(
            t.poll_transmit(Timestamp::ZERO).is_none(),
            "silent before d1"
        );

        let frames = frames_after_d1(&mut t);
        let limits = frames
            .iter()
            .find_map(|f| VehicleLimits::decode(f).ok())
            .unwrap();
        assert_eq!(limits.max_battery_voltage, 750);
        assert_eq!(limits.min_battery_voltage, 562);
        assert_eq!(limits.max_charge_current, 250);
        let time = frames
            .iter()
            .find_map(|f| VehicleChargingTime::decode(f).ok())
            .unwrap();
        assert_eq!(time.rated_capacity_0_1kwh, 3500);
        let control = frames
            .iter()
            .find_map(|f| VehicleControl::decode(f).ok())
            .unwrap();
        assert_eq!(
            control.target_voltage, 742,
            "BMS limit, 1 % under the maximum"
        );
        assert_eq!(control.charged_rate, 20);
        assert!(control.status.contactors_open);

        let s = t.state();
        assert_eq!(s.soc_percent, 20.0);
        assert!(!s.ev_contactors_closed);
        assert_eq!(s.battery_voltage, t.battery_ocv());
        assert!(t.battery_resistance() > 0.0);
    }

    #[test]
    fn injects_only_its_own_faults() {
        let mut t = ChademoTruck::new(&TruckSpec::default()).unwrap();
        for f in [
            SimFault::EmergencyStop,
            SimFault::PowerSupply,
            SimFault::Insulation,
            SimFault::ImplausibleCurrent,
        ] {
            assert!(!t.inject(f), "{f:?}");
        }

        assert!(t.inject(SimFault::CanSilent));
        assert!(frames_after_d1(&mut t).is_empty());
        t.clear_faults();
        assert!(!frames_after_d1(&mut t).is_empty());

        assert!(t.inject(SimFault::VehicleFault));
        let frames = frames_after_d1(&mut t);
        let control = frames
            .iter()
            .rev()
            .find_map(|f| VehicleControl::decode(f).ok())
            .unwrap();
        assert!(control.faults.battery_overvoltage);
        assert_eq!(t.stop_cause(), Some(VehicleStopCause::Fault));

        let mut t = ChademoTruck::new(&TruckSpec::default()).unwrap();
        assert!(t.inject(SimFault::VehicleStop));
        frames_after_d1(&mut t);
        assert_eq!(t.stop_cause(), Some(VehicleStopCause::Requested));
    }

    #[test]
    fn current_reaches_the_cells_only_through_closed_contactors() {
        let mut t = ChademoTruck::new(&TruckSpec::default()).unwrap();
        let mut now = Timestamp::ZERO;
        for _ in 0..100 {
            now += STEP;
            t.step(D1, 200.0, now);
        }
        assert_eq!(t.state().soc_percent, 20.0);
        assert_eq!(t.state().energy_charged_kwh, 0.0);
        t.step(D1, f32::NAN, now + STEP);
        assert_eq!(t.state().battery_current, 0.0);
    }

    /// The truck against the real charger state machine through a minimal circuit (ideal
    /// supply with a 1000 A/s current slew and 2000 V/s voltage slew, cable bleeding with
    /// τ = 0.1 s, an insulation monitor that passes after 300 ms): the BMS reaches its target
    /// and ends the session.
    #[test]
    fn charges_to_its_target_against_the_chademo_charger() {
        let spec = TruckSpec {
            soc_percent: 78.0,
            target_soc_percent: 80.0,
            capacity_kwh: 100.0,
            ..TruckSpec::default()
        };
        let mut truck = ChademoTruck::new(&spec).unwrap();
        let rating = ChargerRating {
            max_voltage: 1000.0,
            min_voltage: 150.0,
            max_current: 300.0,
            min_current: 0.0,
        };
        let mut charger = ChademoCharger::new(ChademoChargerConfig::new(rating)).unwrap();
        let (mut psu_v, mut current, mut cable_v) = (0.0f32, 0.0f32, 0.0f32);
        let mut imd_since: Option<Timestamp> = None;
        let mut events = Vec::new();
        let mut now = Timestamp::ZERO;
        charger.start(now);
        let dt = STEP.as_secs_f32();
        while charger.phase() != SessionPhase::Finished && now < Timestamp::from_secs(120) {
            now += STEP;
            let out = charger.outputs();
            truck.step(out.lines, current, now);
            while let Some(f) = truck.poll_transmit(now) {
                charger.handle_frame(&f, now);
            }
            // The circuit, solved with the contactor states after the truck's step.
            let cmd = out.power;
            let toward = |v: f32| {
                if cmd.enabled {
                    v + (cmd.voltage - v).clamp(-2000.0 * dt, 2000.0 * dt)
                } else {
                    v * (-dt / 0.05).exp()
                }
            };
            match (out.contactors_closed, truck.contactors_closed()) {
                (true, true) => {
                    let (ocv, r) = (truck.battery_ocv(), truck.battery_resistance());
                    let wanted = if cmd.enabled {
                        ((cmd.voltage - ocv) / r).clamp(0.0, cmd.current)
                    } else {
                        0.0
                    };
                    current += (wanted - current).clamp(-1000.0 * dt, 1000.0 * dt);
                    psu_v = ocv + current * r;
                    cable_v = psu_v;
                }
                (true, false) => {
                    current = 0.0;
                    psu_v = toward(psu_v);
                    cable_v = psu_v;
                }
                (false, ev) => {
                    current = 0.0;
                    psu_v = toward(psu_v);
                    cable_v = if ev {
                        truck.battery_ocv()
                    } else {
                        cable_v * (-dt / 0.1).exp()
                    };
                }
            }
            let insulation = if out.insulation_test {
                let since = *imd_since.get_or_insert(now);
                if now >= since + Duration::from_millis(300) {
                    InsulationVerdict::Ok { ohms: 1.0e6 }
                } else {
                    InsulationVerdict::Measuring
                }
            } else {
                imd_since = None;
                InsulationVerdict::Unknown
            };
            let plant = PlantInputs {
                cable_voltage: cable_v,
                psu_voltage: psu_v,
                output_current: current,
                vehicle_permission: truck.permission(),
                insulation,
            };
            charger.set_available_current(300.0, now);
            charger.update(&plant, now);
            while let Some(f) = charger.poll_transmit(now) {
                truck.handle_frame(&f, now);
            }
            events.extend(std::iter::from_fn(|| charger.poll_event()));
        }
        assert_eq!(
            events.last(),
            Some(&SessionEvent::Finished(StopReason::VehicleRequest)),
            "{events:?}"
        );
        assert!(!events
            .iter()
            .any(|e| matches!(e, SessionEvent::Alarm(_) | SessionEvent::FrameRejected(_))));
        let state = truck.state();
        assert!(
            state.soc_percent >= 80.0 && state.soc_percent < 80.1,
            "{state:?}"
        );
        assert!(state.energy_charged_kwh > 2.0, "{state:?}");
        assert!(!state.ev_contactors_closed);
        assert_eq!(truck.stop_cause(), Some(VehicleStopCause::Requested));
        assert_eq!(charger.vehicle().battery_capacity_kwh, Some(100.0));
        // d1 is down: the truck sleeps on its next step.
        truck.step(charger.outputs().lines, 0.0, now + STEP);
        assert_eq!(truck.vehicle().state(), VehicleState::Asleep);
    }
}
