//! Digital I/O of one connector: contactors, lock, protocol lines, and the inputs beside them.

use charger_protocol::ControlLines;
use serde::{Deserialize, Serialize};

/// Everything the station drives on one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalOutputs {
    /// Output contactors (DC+ and DC−, driven together).
    pub contactors: bool,
    pub connector_lock: bool,
    pub lines: ControlLines,
}

/// Everything the station reads on one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalInputs {
    /// A connector is plugged into a vehicle (CHAdeMO proximity, GB/T CC1).
    pub plugged: bool,
    /// CHAdeMO vehicle charge permission (j, through the vehicle's switch k).
    pub vehicle_permission: bool,
    /// The station's emergency-stop chain is open.
    pub emergency_stop: bool,
    /// Lock feedback: the connector is mechanically locked.
    pub locked: bool,
    /// Contactor auxiliary contacts: the output contactors are closed.
    pub contactors_closed: bool,
}

pub trait DigitalIo: Send + std::fmt::Debug {
    fn write(&mut self, outputs: &DigitalOutputs);
    fn read(&self) -> DigitalInputs;
}
