//! Hardware traits and their backends.
//!
//! Every trait here is synchronous and non-blocking: the station's main loop calls them once per
//! step (every few milliseconds) and never waits on hardware. A backend that talks to a slow bus
//! (Modbus, a remote CAN bridge) keeps its own task that owns the connection, and its trait
//! object only hands over the latest command and returns the latest timestamped reading.
//!
//! The plant simulators in [`sim`] implement the same traits, with physics stepped by time
//! given from outside, so the daemon runs on them unchanged and tests run them in simulated time.

pub mod analog;
pub mod board;
pub mod can;
pub mod can_module;
pub mod connector;
pub mod devices;
pub mod energy;
pub mod gpio;
pub mod imd;
pub mod io;
pub mod modbus;
pub mod module;
pub mod power;
pub mod profile;
pub mod sim;

pub use can::{CanError, CanPort};
pub use connector::{
    ConnectorHardware, InletReport, InletState, SimCommand, SimError, SimFault, SimPlantView,
    SimulatorControl, TruckSpec, TruckState,
};
pub use imd::{ImdReading, InsulationMonitor};
pub use io::{
    DigitalInputs, DigitalIo, DigitalOutputs, LineError, LineSource, LineStatus, PointReading,
    PointValue,
};
pub use module::{
    CoolingCommand, CoolingReading, CoolingUnit, DcMeter, MeterReading, ModuleCommand,
    ModuleReading, PowerModule, SwitchingMatrix, VoltageRange,
};
pub use power::{PowerReading, PowerSupply};
