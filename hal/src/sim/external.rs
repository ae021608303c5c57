//! A vehicle played by another process: its frames travel over the connector's CAN link (a
//! cannelloni UDP bridge), and its side of the inlet (plugged, permission, contactors, battery
//! voltage) arrives through the control API as [`InletState`].
//!
//! The circuit model of [`super::connector::SimulatedConnector`] still runs here, in the daemon:
//! the remote battery is represented by its open-circuit voltage and resistance, and the current
//! the circuit gives it is reported back to the remote simulator, which integrates it into its
//! own battery.

use std::time::Duration;

use charger_protocol::{CanFrame, ControlLines, Timestamp};

use super::SimVehicle;
use crate::connector::{InletState, SimFault, TruckState};

/// Without an inlet update for this long the remote simulator is taken to be gone: its
/// contactors count as open and its permission as withdrawn, as for a truck whose gateway died.
pub const STALE_AFTER: Duration = Duration::from_secs(2);

/// The vehicle an external simulator plays. See the module documentation.
#[derive(Debug)]
pub struct ExternalVehicle {
    inlet: InletState,
    updated_at: Option<Timestamp>,
    stale: bool,
    current: f32,
    energy_kwh: f64,
    last_step: Option<Timestamp>,
}

impl ExternalVehicle {
    pub fn new() -> ExternalVehicle {
        ExternalVehicle {
            inlet: InletState {
                plugged: true,
                permission: false,
                contactors_closed: false,
                battery_voltage: 0.0,
                battery_resistance: 0.05,
                soc_percent: None,
            },
            updated_at: None,
            stale: false,
            current: 0.0,
            energy_kwh: 0.0,
            last_step: None,
        }
    }

    fn live(&self) -> bool {
        !self.stale
    }
}

impl Default for ExternalVehicle {
    fn default() -> Self {
        ExternalVehicle::new()
    }
}

impl SimVehicle for ExternalVehicle {
    /// Frames go over the CAN link straight to the remote simulator, never through here.
    fn handle_frame(&mut self, _frame: &CanFrame, _now: Timestamp) {}

    fn poll_transmit(&mut self, _now: Timestamp) -> Option<CanFrame> {
        None
    }

    fn step(&mut self, _lines: ControlLines, battery_current: f32, now: Timestamp) {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |last| now.saturating_since(last));
        self.last_step = Some(now);
        self.current = if battery_current.is_finite() {
            battery_current
        } else {
            0.0
        };
        self.energy_kwh +=
            f64::from(self.current) * f64::from(self.inlet.battery_voltage) * dt.as_secs_f64()
                / 3.6e6;
        let stale = self
            .updated_at
            .is_some_and(|at| now.saturating_since(at) > STALE_AFTER);
        if stale && !self.stale {
            tracing::warn!(
                "external vehicle simulator silent for {} s: its contactors count as open",
                STALE_AFTER.as_secs()
            );
        }
        self.stale = stale;
    }

    fn battery_ocv(&self) -> f32 {
        self.inlet.battery_voltage
    }

    fn battery_resistance(&self) -> f32 {
        self.inlet.battery_resistance
    }

    fn contactors_closed(&self) -> bool {
        self.live() && self.inlet.contactors_closed
    }

    fn permission(&self) -> bool {
        self.live() && self.inlet.permission
    }

    /// Vehicle faults are the remote simulator's to play.
    fn inject(&mut self, _fault: SimFault) -> bool {
        false
    }

    fn clear_faults(&mut self) {}

    fn state(&self) -> TruckState {
        TruckState {
            // Unknown unless the remote simulator tells.
            soc_percent: self.inlet.soc_percent.unwrap_or(0.0),
            battery_voltage: self.inlet.battery_voltage,
            battery_current: self.current,
            ev_contactors_closed: self.contactors_closed(),
            energy_charged_kwh: self.energy_kwh as f32,
        }
    }

    fn set_inlet(&mut self, state: &InletState, now: Timestamp) -> bool {
        self.inlet = *state;
        self.updated_at = Some(now);
        self.stale = false;
        true
    }
}
