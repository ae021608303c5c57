//! The insulation monitoring device (IMD) on the DC output, and the cable voltage it measures.

use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ImdReading {
    /// A measurement is running.
    pub measuring: bool,
    /// Insulation resistance of the DC output to protective earth, in ohms; `None` until a
    /// measurement has settled.
    pub resistance_ohms: Option<f32>,
    /// Voltage on the cable side of the output contactors, in volts.
    pub cable_voltage: f32,
    /// The device reports an internal fault, or its own alarm.
    pub device_fault: bool,
    /// The reading could not be refreshed within its age limit (a device that stopped
    /// answering, a link down): the values are the last known, never a result. The station
    /// treats it as a stale reading, a fault, as it does a reading whose `at` is too old.
    #[serde(default)]
    pub stale: bool,
    pub at: Timestamp,
}

pub trait InsulationMonitor: Send + std::fmt::Debug {
    /// Start (true) or stop (false) active insulation measurement.
    fn set_measuring(&mut self, on: bool, now: Timestamp);

    fn reading(&self) -> ImdReading;
}
