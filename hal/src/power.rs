//! The DC power supply (a power module, or a group of them acting as one).

use charger_protocol::{PowerCommand, Timestamp};
use serde::{Deserialize, Serialize};

/// The supply's latest measurement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PowerReading {
    /// Voltage at the supply's terminals, in volts.
    pub voltage: f32,
    /// Output current, in amperes.
    pub current: f32,
    /// Whether the output stage is running.
    pub enabled: bool,
    /// A fault the supply reports, if any; the supply is off while it lasts.
    pub fault: Option<String>,
    /// When this reading was taken; a stale reading is a fault for the station.
    pub at: Timestamp,
}

pub trait PowerSupply: Send + std::fmt::Debug {
    /// Apply a setpoint (enable, voltage, current limit). Takes effect with the supply's own
    /// dynamics; the caller reads back what actually happens.
    fn command(&mut self, cmd: PowerCommand, now: Timestamp);

    fn reading(&self) -> PowerReading;
}
