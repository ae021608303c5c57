//! The per-device health of `chargerctl devices`: link, age of the last good reading, error
//! counts. Built from [`ModbusDevice::state`], never waiting on the device.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::modbus::{DeviceState, ModbusDevice};
use crate::profile::Role;

/// How the device's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// The connection is up (the device may still refuse or time out single requests: see
    /// the error counts and the reading age).
    Connected,
    /// The connection was dropped after repeated failures and is being rebuilt.
    Reconnecting,
    /// Connecting fails: nothing answers at the address, or never did yet.
    Down,
}

/// Error counts since the connection task started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HealthErrors {
    pub timeouts: u64,
    /// Modbus exception responses (the device answered and refused).
    pub exceptions: u64,
    /// Transport errors (connection refused or reset, malformed frames).
    pub transport: u64,
    /// Values the device sent that are not values (out of range, NaN, unknown enum).
    pub decode: u64,
    pub write_failures: u64,
    pub reconnects: u64,
}

/// One device's line in `chargerctl devices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHealth {
    pub name: String,
    pub role: Role,
    /// Where it is reached, e.g. `modbus-tcp 10.0.0.5:502 unit 3`.
    pub transport: String,
    pub link: LinkState,
    /// Age of the newest good reading of any register, in milliseconds; `None` when no
    /// register holds a good reading.
    pub last_reading_age_ms: Option<u64>,
    /// Requests sent since the connection task started (reads, writes, read-backs,
    /// keep-alives), answered or not.
    pub requests: u64,
    pub errors: HealthErrors,
    pub last_write_error: Option<String>,
}

impl DeviceHealth {
    /// The health of a device from its state at `now`. Pure.
    pub fn from_state(
        name: &str,
        role: Role,
        transport: &str,
        state: &DeviceState,
        now: Instant,
    ) -> DeviceHealth {
        let newest_ok = state
            .readings
            .iter()
            .flatten()
            .filter(|r| r.value.is_ok())
            .map(|r| r.at)
            .max();
        let read_at_all = state.readings.iter().any(Option::is_some);
        let link = if state.connected {
            LinkState::Connected
        } else if newest_ok.is_some() || (!read_at_all && state.errors.reconnects > 0) {
            // Dropped by the task, not yet failed to connect again: a failed connect marks
            // every register with its error.
            LinkState::Reconnecting
        } else {
            LinkState::Down
        };
        let e = state.errors;
        DeviceHealth {
            name: name.to_string(),
            role,
            transport: transport.to_string(),
            link,
            last_reading_age_ms: newest_ok.map(|at| {
                let age: Duration = now.saturating_duration_since(at);
                u64::try_from(age.as_millis()).unwrap_or(u64::MAX)
            }),
            requests: e.requests,
            errors: HealthErrors {
                timeouts: e.timeouts,
                exceptions: e.exceptions,
                transport: e.transport,
                decode: e.decode,
                write_failures: e.write_failures,
                reconnects: e.reconnects,
            },
            last_write_error: state.last_write_error.clone(),
        }
    }
}

/// Every configured device, for `chargerctl devices`. Holding it keeps the connections'
/// tasks alive (they end when every handle to their devices is gone).
#[derive(Debug, Clone, Default)]
pub struct HealthView {
    devices: Vec<(String, Role, String, ModbusDevice)>,
}

impl HealthView {
    pub fn new() -> Self {
        HealthView::default()
    }

    pub fn add(&mut self, name: String, role: Role, transport: String, device: ModbusDevice) {
        self.devices.push((name, role, transport, device));
    }

    /// Every device's health at `now`, in configuration order.
    pub fn report(&self, now: Instant) -> Vec<DeviceHealth> {
        self.devices
            .iter()
            .map(|(name, role, transport, dev)| {
                DeviceHealth::from_state(name, *role, transport, &dev.state(), now)
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::{ErrorCounts, ReadError, Reading};
    use crate::profile::Value;

    fn state(connected: bool, readings: Vec<Option<Reading>>, reconnects: u64) -> DeviceState {
        DeviceState {
            readings,
            connected,
            errors: ErrorCounts {
                timeouts: 2,
                reconnects,
                ..ErrorCounts::default()
            },
            last_write_error: None,
            acknowledged: Vec::new(),
        }
    }

    #[test]
    fn link_state_and_age_follow_the_device_state() {
        let t0 = Instant::now();
        let now = t0 + Duration::from_millis(750);
        let ok = Some(Reading {
            value: Ok(Value::Number(1.0)),
            at: t0,
        });
        let failed = Some(Reading {
            value: Err(ReadError::Transport("refused".into())),
            at: now,
        });
        let h = |s: &DeviceState| DeviceHealth::from_state("m1", Role::PowerModule, "tcp", s, now);

        let up = h(&state(true, vec![ok.clone(), failed.clone()], 0));
        assert_eq!(up.link, LinkState::Connected);
        assert_eq!(up.last_reading_age_ms, Some(750));
        assert_eq!(up.errors.timeouts, 2);

        let dropped = h(&state(false, vec![ok, None], 1));
        assert_eq!(dropped.link, LinkState::Reconnecting);

        let down = h(&state(false, vec![failed.clone(), failed], 1));
        assert_eq!(down.link, LinkState::Down);
        assert_eq!(down.last_reading_age_ms, None);

        let never = h(&state(false, vec![None, None], 0));
        assert_eq!(never.link, LinkState::Down);
    }
}
