//! CHAdeMO (IEEE 2030.1.1; protocol numbers 0-3, used here as 1.0.x) over CAN.
//!
//! * [`frames`]: typed codecs for the frames a 1.x session needs (vehicle 0x100/0x101/0x102,
//!   charger 0x108/0x109).
//! * [`charger`]: [`ChademoCharger`], the charger side, behind [`crate::DcSession`].
//! * [`vehicle`]: [`ChademoVehicle`], the vehicle side, for the plant simulator and tests.
//!
//! Both state machines are sans IO: frames, line states, measurements and time go in; frames,
//! outputs, events and the next deadline come out.

pub mod charger;
pub mod frames;
pub mod vehicle;

pub use charger::{ChademoCharger, ChademoChargerConfig, ChademoConfigError, ChademoTimeouts};
pub use frames::{
    ChademoDecodeError, ChargerCapability, ChargerFrame, ChargerStatus, ChargerStatusFlags,
    ChargingTime, ProtocolNumber, VehicleChargingTime, VehicleControl, VehicleFaults, VehicleFrame,
    VehicleLimits, VehicleStatusFlags,
};
pub use vehicle::{
    ChademoVehicle, ChademoVehicleParams, VehicleFault, VehicleState, VehicleStopCause,
};
