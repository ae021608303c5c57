//! The per-device health of `chargerctl devices`: link, age of the last good reading, error
//! counts. Built from [`ModbusDevice::state`] or a CAN module's [`CanModuleMonitor`], never
//! waiting on the device.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::ReadingClock;
use crate::can_module::{CanModuleMonitor, CanModuleStatus};
use crate::modbus::{DeviceState, ModbusDevice};
use crate::profile::{Profile, Role, Unit, Value};

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
    /// The last good value of each register, in the profile's unit, for a technician to see
    /// what the device says (a cooling unit's pin temperatures, a meter's energy). Its age is
    /// at most `last_reading_age_ms` older than the newest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<RegisterValue>,
}

/// One register's last good value, as `chargerctl devices` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterValue {
    /// The register's name in the profile.
    pub register: String,
    pub value: ShownValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
}

/// A decoded value (after scale and offset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ShownValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// The last good value of every register of `profile` that has one in `state`. Pure.
pub fn register_values(profile: &Profile, state: &DeviceState) -> Vec<RegisterValue> {
    profile
        .registers
        .iter()
        .zip(&state.readings)
        .filter_map(|(reg, reading)| {
            let value = match reading.as_ref()?.value.as_ref().ok()? {
                Value::Bool(b) => ShownValue::Bool(*b),
                Value::Number(n) if n.is_finite() => ShownValue::Number(*n),
                Value::Number(_) => return None,
                Value::Text(t) => ShownValue::Text(t.clone()),
            };
            Some(RegisterValue {
                register: reg.name.clone(),
                value,
                unit: reg.unit,
            })
        })
        .collect()
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
            values: Vec::new(),
        }
    }
}

impl DeviceHealth {
    /// The health of a power module on CAN from its link's status at `now` (the bus's clock).
    /// Pure. CAN has no connection: the link is `connected` while the module's replies are
    /// fresh, `down` when it has never answered, `reconnecting` when it answered once and fell
    /// silent (or its bus stopped). Missed replies count as timeouts, commands that could not
    /// be encoded as write failures, port errors of the bus as transport errors.
    pub fn from_can(
        name: &str,
        role: Role,
        transport: &str,
        status: &CanModuleStatus,
        now: charger_protocol::Timestamp,
    ) -> DeviceHealth {
        let link = match (status.stale, status.last_reply) {
            (false, Some(_)) => LinkState::Connected,
            (_, Some(_)) => LinkState::Reconnecting,
            (_, None) => LinkState::Down,
        };
        let s = status.stats;
        DeviceHealth {
            name: name.to_string(),
            role,
            transport: transport.to_string(),
            link,
            last_reading_age_ms: status
                .last_reply
                .map(|at| u64::try_from((now - at).as_millis()).unwrap_or(u64::MAX)),
            requests: s.frames_sent,
            errors: HealthErrors {
                timeouts: s.missed_replies,
                exceptions: 0,
                transport: status.port_errors,
                decode: s.decode_errors,
                write_failures: s.encode_errors,
                reconnects: 0,
            },
            last_write_error: None,
            // The module's values are in `chargerctl modules`.
            values: Vec::new(),
        }
    }
}

/// Where a device's health comes from.
#[derive(Debug, Clone)]
enum Source {
    Modbus(ModbusDevice),
    Can(CanModuleMonitor, ReadingClock),
}

/// Every configured device, for `chargerctl devices`. Holding it keeps the Modbus
/// connections' tasks alive (they end when every handle to their devices is gone).
#[derive(Debug, Clone, Default)]
pub struct HealthView {
    devices: Vec<(String, Role, String, Source)>,
}

impl HealthView {
    pub fn new() -> Self {
        HealthView::default()
    }

    pub fn add(&mut self, name: String, role: Role, transport: String, device: ModbusDevice) {
        self.devices
            .push((name, role, transport, Source::Modbus(device)));
    }

    /// A power module on CAN; `clock` maps `report`'s instants onto the bus's timestamps.
    pub fn add_can(
        &mut self,
        name: String,
        role: Role,
        transport: String,
        monitor: CanModuleMonitor,
        clock: ReadingClock,
    ) {
        self.devices
            .push((name, role, transport, Source::Can(monitor, clock)));
    }

    /// Every device's health at `now`, in configuration order.
    pub fn report(&self, now: Instant) -> Vec<DeviceHealth> {
        self.devices
            .iter()
            .map(|(name, role, transport, source)| match source {
                Source::Modbus(dev) => {
                    let state = dev.state();
                    let mut health = DeviceHealth::from_state(name, *role, transport, &state, now);
                    health.values = register_values(dev.profile(), &state);
                    health
                }
                Source::Can(monitor, clock) => {
                    let now = clock.at(now);
                    DeviceHealth::from_can(name, *role, transport, &monitor.status(now), now)
                }
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
    fn register_values_show_each_last_good_value_with_its_unit() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../configs/devices/cooling-unit-hpc-modbus.toml");
        let profile = Profile::load(&path).unwrap();
        let index = |name: &str| {
            profile
                .registers
                .iter()
                .position(|r| r.name == name)
                .unwrap()
        };
        let t0 = Instant::now();
        let mut readings = vec![None; profile.registers.len()];
        readings[index("pin_dc_plus")] = Some(Reading {
            value: Ok(Value::Number(41.5)),
            at: t0,
        });
        readings[index("pin_dc_minus")] = Some(Reading {
            value: Err(ReadError::Transport("reset".into())),
            at: t0,
        });
        readings[index("run")] = Some(Reading {
            value: Ok(Value::Bool(true)),
            at: t0,
        });
        let values = register_values(&profile, &state(true, readings, 0));
        let shown: Vec<(&str, &ShownValue)> = values
            .iter()
            .map(|v| (v.register.as_str(), &v.value))
            .collect();
        // In the profile's register order; the failed read shows nothing.
        assert_eq!(
            shown,
            [
                ("pin_dc_plus", &ShownValue::Number(41.5)),
                ("run", &ShownValue::Bool(true))
            ]
        );
        assert_eq!(values[0].unit, Some(Unit::Celsius));
        assert_eq!(values[1].unit, None);
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
