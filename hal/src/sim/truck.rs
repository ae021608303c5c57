//! A simulated CHAdeMO truck: the vehicle-side protocol state machine, a traction battery and a
//! BMS that asks for current by a taper curve and stops at its target SOC.

use std::time::Duration;

use charger_protocol::chademo::{ChademoVehicle, ChademoVehicleParams, VehicleFault};
use charger_protocol::{CanFrame, ControlLines, Timestamp};

use super::battery::Battery;
use super::bms::Bms;
use super::SimVehicle;
use crate::connector::{SimError, SimFault, TruckSpec, TruckState};

/// CHAdeMO 1.x carries the current request in one byte.
const CHADEMO_MAX_CURRENT: f32 = 255.0;

#[derive(Debug)]
pub struct ChademoTruck {
    vehicle: ChademoVehicle,
    battery: Battery,
    bms: Bms,
    last_step: Option<Timestamp>,
    current: f32,
}

impl ChademoTruck {
    /// A truck as `spec` describes it; nonsense specs are refused with the reason.
    pub fn new(spec: &TruckSpec) -> Result<Self, SimError> {
        let bad = |why: &str| Err(SimError::InvalidTruck(why.to_string()));
        if !(spec.capacity_kwh.is_finite() && spec.capacity_kwh > 0.0) {
            return bad("capacity must be positive");
        }
        if !(spec.soc_percent.is_finite()
            && spec.target_soc_percent.is_finite()
            && spec.soc_percent >= 0.0
            && spec.soc_percent < spec.target_soc_percent
            && spec.target_soc_percent <= 100.0)
        {
            return bad("need 0 ≤ soc < target soc ≤ 100");
        }
        if !(spec.max_voltage.is_finite()
            && spec.max_voltage >= 100.0
            && spec.max_voltage <= 1500.0)
        {
            return bad("max voltage must be between 100 and 1500 V");
        }
        if !(spec.max_current.is_finite()
            && spec.max_current > 0.0
            && spec.max_current <= CHADEMO_MAX_CURRENT)
        {
            return bad("max current must be between 0 and 255 A (CHAdeMO 1.x)");
        }
        let battery = Battery::new(spec);
        let bms = Bms::new(spec);
        let params = ChademoVehicleParams {
            max_battery_voltage: spec.max_voltage,
            min_battery_voltage: (spec.max_voltage * 0.6).floor(),
            target_voltage: bms.charge_voltage_limit().floor(),
            max_charge_current: spec.max_current,
            capacity_kwh: spec.capacity_kwh,
            ..ChademoVehicleParams::default()
        };
        let mut truck = ChademoTruck {
            vehicle: ChademoVehicle::new(params),
            battery,
            bms,
            last_step: None,
            current: 0.0,
        };
        truck.feed_vehicle();
        Ok(truck)
    }

    /// Hand the protocol stack what the battery and BMS say now.
    fn feed_vehicle(&mut self) {
        let v = self.battery.terminal_voltage(self.current);
        self.vehicle.set_battery(v, self.battery.soc_percent());
        self.vehicle.set_battery_current(self.current);
        if self.bms.target_reached(&self.battery) {
            self.vehicle.request_stop();
        }
        self.vehicle
            .set_current_request(self.bms.desired_current(&self.battery));
    }
}

impl SimVehicle for ChademoTruck {
    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        self.vehicle.handle_frame(frame, now);
    }

    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        self.vehicle.poll_transmit(now)
    }

    fn step(&mut self, lines: ControlLines, battery_current: f32, now: Timestamp) {
        let dt = self.last_step.map_or(Duration::ZERO, |t| now - t);
        self.last_step = Some(now);
        // Current only flows into the battery through the truck's own contactors.
        self.current = if self.vehicle.contactors_closed() {
            battery_current.max(0.0)
        } else {
            0.0
        };
        self.battery.step(self.current, dt);
        self.vehicle.set_lines(lines);
        self.feed_vehicle();
        self.vehicle.update(now);
    }

    fn battery_ocv(&self) -> f32 {
        self.battery.open_circuit_voltage()
    }

    fn battery_resistance(&self) -> f32 {
        self.battery.internal_resistance()
    }

    fn contactors_closed(&self) -> bool {
        self.vehicle.contactors_closed()
    }

    fn permission(&self) -> bool {
        self.vehicle.permission()
    }

    fn inject(&mut self, fault: SimFault) -> bool {
        match fault {
            SimFault::CanSilent => self.vehicle.set_can_silent(true),
            SimFault::VehicleFault => self.vehicle.inject_fault(VehicleFault::BatteryOvervoltage),
            SimFault::VehicleStop => self.vehicle.request_stop(),
            _ => return false,
        }
        true
    }

    fn clear_faults(&mut self) {
        self.vehicle.clear_faults();
        self.vehicle.set_can_silent(false);
    }

    fn state(&self) -> TruckState {
        TruckState {
            soc_percent: self.battery.soc_percent(),
            battery_voltage: self.battery.terminal_voltage(self.current),
            battery_current: self.current,
            ev_contactors_closed: self.vehicle.contactors_closed(),
            energy_charged_kwh: self.battery.energy_charged_kwh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_nonsense() {
        for spec in [
            TruckSpec {
                capacity_kwh: 0.0,
                ..TruckSpec::default()
            },
            TruckSpec {
                soc_percent: 90.0,
                ..TruckSpec::default()
            },
            TruckSpec {
                max_current: 400.0,
                ..TruckSpec::default()
            },
            TruckSpec {
                max_voltage: f32::NAN,
                ..TruckSpec::default()
            },
        ] {
            assert!(
                matches!(ChademoTruck::new(&spec), Err(SimError::InvalidTruck(_))),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn wakes_on_d1_and_talks() {
        let mut t = ChademoTruck::new(&TruckSpec::default()).unwrap();
        let lines = ControlLines {
            sequence_1: true,
            ..ControlLines::default()
        };
        let mut now = Timestamp::ZERO;
        let mut ids = Vec::new();
        for _ in 0..30 {
            now += Duration::from_millis(10);
            t.step(lines, 0.0, now);
            while let Some(f) = t.poll_transmit(now) {
                ids.push(f.id());
            }
        }
        assert!(
            ids.contains(&0x100) && ids.contains(&0x101) && ids.contains(&0x102),
            "{ids:?}"
        );
        assert!(!t.contactors_closed());
        assert!((t.state().soc_percent - 20.0).abs() < 0.01);
    }
}
