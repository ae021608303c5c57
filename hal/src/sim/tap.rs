//! What a simulated connector's physics shows the measuring devices that stand beside it as
//! separate Modbus devices (its DC meter, insulation monitor and cooling unit, served by
//! [`crate::sim::modbus::connector::serve_connector_devices`]), and the faults a technician
//! injects into those devices.
//!
//! The connector ([`SimulatedConnector::with_tap`](crate::sim::connector::SimulatedConnector::with_tap))
//! publishes after every step; the devices' coupling task reads it once per tick. The two
//! sides run on different threads (the control loop, the devices' runtime), hence the lock;
//! each side holds it only to copy a few numbers.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::connector::SimPlantView;

/// One device of the connector, as the tap routes faults to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TapDevice {
    Meter,
    InsulationMonitor,
    CoolingUnit,
}

/// A communication fault the technician asked of a tapped device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapFault {
    /// The device stops answering.
    Silent,
    /// The device answers, but its values and update counters stop moving.
    Frozen,
}

/// The connector's side of the tap at its latest step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TapState {
    /// Voltage on the cable side of the output contactors, in volts (what the meter and the
    /// insulation monitor see).
    pub cable_voltage: f64,
    /// Current into the vehicle, in amperes (what the meter counts and what heats the pins).
    pub current: f64,
    /// The output's insulation resistance to PE while an insulation fault is injected, in
    /// ohms; `None` while the insulation is healthy.
    pub insulation_fault_ohm: Option<f64>,
    /// Communication faults injected into the tapped devices.
    pub faults: Vec<(TapDevice, TapFault)>,
    /// The ambient air the technician set for the served cooling unit's plant, °C; `None`
    /// until set (the plant keeps its configured ambient).
    pub ambient_c: Option<f64>,
    /// The served cooling unit's plant as it truly is (published by the devices' side).
    pub plant: Option<SimPlantView>,
}

impl TapState {
    /// The fault injected into `device`, if any.
    pub fn fault(&self, device: TapDevice) -> Option<TapFault> {
        self.faults
            .iter()
            .find(|(d, _)| *d == device)
            .map(|(_, f)| *f)
    }
}

/// The shared tap: cloned into the connector and into the devices' coupling.
#[derive(Debug, Clone, Default)]
pub struct PlantTap {
    state: Arc<Mutex<TapState>>,
    /// Which devices are served from this tap (a fault for a device that is not is refused).
    devices: Arc<Vec<TapDevice>>,
}

impl PlantTap {
    /// A tap serving `devices`.
    pub fn new(devices: &[TapDevice]) -> PlantTap {
        PlantTap {
            state: Arc::default(),
            devices: Arc::new(devices.to_vec()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TapState> {
        // Plain numbers: a panic elsewhere cannot leave them half-written in a way that matters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `device` is served from this tap.
    pub fn serves(&self, device: TapDevice) -> bool {
        self.devices.contains(&device)
    }

    /// The connector's latest measurements.
    pub fn publish(&self, cable_voltage: f64, current: f64, insulation_fault_ohm: Option<f64>) {
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        let mut s = self.lock();
        s.cable_voltage = finite(cable_voltage);
        s.current = finite(current);
        s.insulation_fault_ohm = insulation_fault_ohm.filter(|o| o.is_finite());
    }

    /// Inject (or with `None`, clear) a communication fault into `device`.
    pub fn set_fault(&self, device: TapDevice, fault: Option<TapFault>) {
        let mut s = self.lock();
        s.faults.retain(|(d, _)| *d != device);
        if let Some(f) = fault {
            s.faults.push((device, f));
        }
    }

    /// The served cooling unit's ambient air, °C (the caller checks the range; the plant
    /// clamps to −30–60 besides).
    pub fn set_ambient(&self, celsius: f64) {
        if celsius.is_finite() {
            self.lock().ambient_c = Some(celsius);
        }
    }

    /// The devices' side: the served cooling plant's true state after its latest step.
    pub fn publish_plant(&self, plant: SimPlantView) {
        self.lock().plant = Some(plant);
    }

    /// Clear every injected communication fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// A copy of the latest state.
    pub fn snapshot(&self) -> TapState {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishes_measurements_and_routes_faults_by_device() {
        let tap = PlantTap::new(&[TapDevice::Meter, TapDevice::InsulationMonitor]);
        assert!(tap.serves(TapDevice::Meter) && !tap.serves(TapDevice::CoolingUnit));
        let other = tap.clone();
        tap.publish(612.0, f64::NAN, Some(20_000.0));
        let s = other.snapshot();
        assert_eq!(
            (s.cable_voltage, s.current, s.insulation_fault_ohm),
            (612.0, 0.0, Some(20_000.0))
        );
        tap.set_fault(TapDevice::InsulationMonitor, Some(TapFault::Silent));
        tap.set_fault(TapDevice::Meter, Some(TapFault::Frozen));
        tap.set_fault(TapDevice::Meter, Some(TapFault::Silent));
        let s = other.snapshot();
        assert_eq!(s.fault(TapDevice::Meter), Some(TapFault::Silent));
        assert_eq!(
            s.fault(TapDevice::InsulationMonitor),
            Some(TapFault::Silent)
        );
        assert_eq!(s.faults.len(), 2);
        tap.clear_faults();
        assert!(other.snapshot().faults.is_empty());
        // The ambient travels to the devices' side, the plant's truth back.
        assert_eq!(other.snapshot().ambient_c, None);
        tap.set_ambient(45.0);
        tap.set_ambient(f64::NAN);
        assert_eq!(other.snapshot().ambient_c, Some(45.0));
        let truth = SimPlantView {
            hottest_pin_c: 88.0,
            ambient_c: 45.0,
        };
        other.publish_plant(truth);
        assert_eq!(tap.snapshot().plant, Some(truth));
    }
}
