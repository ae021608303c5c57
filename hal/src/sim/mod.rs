//! Plant simulators: everything on the far side of the hardware traits, as time-stepped models.
//!
//! A [`connector::SimulatedConnector`] bundles a simulated power supply, I/O, insulation
//! monitor and an in-process CAN bus with whatever vehicle is plugged in (a [`SimVehicle`]),
//! and couples them electrically on every [`step`](crate::ConnectorHardware::step).

use charger_protocol::{CanFrame, ControlLines, Timestamp};

use crate::connector::{InletState, SimFault, TruckState};

pub mod battery;
pub mod bms;
pub mod cabinet;
pub mod can_module;
pub mod connector;
pub mod cooling;
pub mod external;
pub mod gbt_truck;
pub mod imd;
pub mod io;
pub mod meter;
pub mod modbus;
pub mod psu;
pub mod tap;
pub mod thermal;
pub mod thermal_scenario;
pub mod truck;

/// A simulated vehicle at the end of the cable: its protocol stack, its contactors and its
/// battery. Protocol-specific trucks (CHAdeMO today, GB/T later) implement it.
pub trait SimVehicle: Send + std::fmt::Debug {
    /// A frame the charger sent.
    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp);

    /// The next frame the vehicle sends, if one is due.
    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame>;

    /// Advance the vehicle to `now`: `lines` are the charger's protocol lines as the vehicle
    /// sees them, `battery_current` the current that flowed into the battery since the last step
    /// (amperes, positive when charging).
    fn step(&mut self, lines: ControlLines, battery_current: f32, now: Timestamp);

    /// Battery open-circuit voltage, in volts.
    fn battery_ocv(&self) -> f32;

    /// Battery internal resistance, in ohms.
    fn battery_resistance(&self) -> f32;

    /// The vehicle's own contactors connect its battery to the inlet.
    fn contactors_closed(&self) -> bool;

    /// The vehicle's charge-permission switch (CHAdeMO k); false for protocols without one.
    fn permission(&self) -> bool;

    /// Inject a vehicle-side fault; returns false if this vehicle has no such fault.
    fn inject(&mut self, fault: SimFault) -> bool;

    fn clear_faults(&mut self);

    fn state(&self) -> TruckState;

    /// Set the inlet from an external simulator; false for vehicles simulated in-process.
    fn set_inlet(&mut self, state: &InletState, now: Timestamp) -> bool {
        let _ = (state, now);
        false
    }
}
