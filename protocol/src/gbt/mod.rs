//! GB/T 27930-2015 ("System B" DC charging over CAN, with the J1939 transport protocol).
//!
//! * [`frames`]: typed codecs for every message in reference §2.2-2.3, both directions.
//! * [`charger`]: [`GbtCharger`], the charger side, behind [`crate::DcSession`].
//! * [`vehicle`]: [`GbtVehicle`], the battery management system's side, for the plant
//!   simulator, the external EV simulator and tests.
//!
//! Both state machines are sans IO. Multi-packet messages (BRM, BCP, BCS, BMV, BMT, BSP) go
//! through [`crate::j1939::Transport`].

pub mod charger;
pub mod frames;
pub mod vehicle;

pub use charger::{GbtCharger, GbtChargerConfig, GbtConfigError, GbtTimeouts};
pub use frames::{
    BatteryType, Bcl, Bcp, Bcs, Bem, Bhm, BmsMessage, BmsTimeout, Brm, Bro, Bsd, Bsm, Bst, Ccs,
    Cem, ChargeMode, ChargerMessage, ChargerTime, Chm, Cml, Crm, Cro, Csd, Cst, Cts, CurrentCodec,
    GbtDecodeError, Level, ProtocolVersion, Signal,
};
pub use vehicle::{
    GbtVehicle, GbtVehicleFault, GbtVehicleParams, GbtVehicleState, GbtVehicleStopCause,
    GbtVehicleTimeouts,
};
