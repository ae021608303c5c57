//! A digital/analog I/O module over Modbus (a DIN-rail relay module, a small PLC), from its
//! profile: a [`LineSource`] whose points are the profile's registers marked `io = ...`.
//!
//! Inputs (discrete inputs, bits of input/holding registers, analog registers in volts or
//! amperes) are polled by the connection task at their group's rate; [`LineSource::input`]
//! returns the last good value with the time it was read, and never decides staleness
//! itself: a point that stopped being refreshed simply keeps its old `at`, and the consumer
//! (board I/O, with its supervision deadlines) compares it with its clock.
//!
//! Outputs (coils, bits of holding registers) are commanded with
//! [`LineSource::set_output`], which never waits: the wanted level is queued to the
//! connection when it changes, and again — by this module's own task — after the link was
//! rebuilt or came up, after a failed write (the module may have dropped its outputs), and
//! every `refresh_ms` where the output's setpoint group asks for it. Which writes are due is
//! decided by [`OutputSync`], pure and time-injected.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{check_role, ReadingClock, RoleError};
use crate::io::{LineError, LineSource, PointReading, PointValue};
use crate::modbus::{CommandError, ModbusDevice};
use crate::profile::{GroupKind, IoKind, Profile, Role, Value, WritePayload};

/// How often the module's task looks whether outputs must be written again (a rebuilt link,
/// a failed write, a refresh period): also the fastest a refused write is retried.
pub const OUTPUT_SYNC_PERIOD: Duration = Duration::from_millis(100);

/// What [`OutputSync`] needs to know of the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkView {
    pub connected: bool,
    pub write_failures: u64,
    pub reconnects: u64,
}

/// Which output writes are due: the wanted level of each output, and what was queued while
/// the link could be trusted to deliver it. Pure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputSync {
    wanted: BTreeMap<usize, bool>,
    /// By register index: the level queued and when, since the link was last trusted.
    sent: BTreeMap<usize, (bool, Instant)>,
    /// The link's counters at the last look.
    seen: LinkView,
}

impl OutputSync {
    /// Command output `index` (a register index of the profile) to `level`.
    pub fn want(&mut self, index: usize, level: bool) {
        self.wanted.insert(index, level);
    }

    pub fn wanted(&self, index: usize) -> Option<bool> {
        self.wanted.get(&index).copied()
    }

    /// The writes due at `now`, in register order: each wanted level not queued yet,
    /// changed since, or older than its `refresh` period. After a failed write or a rebuilt
    /// link everything is due again (the module may not hold what it was sent). While the
    /// link is down nothing is due, and nothing counts as sent: the connection drops writes
    /// queued while it is down, so they are all written once it is up.
    pub fn due(
        &mut self,
        link: LinkView,
        now: Instant,
        refresh: impl Fn(usize) -> Option<Duration>,
    ) -> Vec<(usize, bool)> {
        let lost = link.write_failures != self.seen.write_failures
            || link.reconnects != self.seen.reconnects
            || !link.connected;
        self.seen = link;
        if lost {
            self.sent.clear();
        }
        if !link.connected {
            return Vec::new();
        }
        self.wanted
            .iter()
            .filter(|(index, level)| match self.sent.get(index) {
                None => true,
                Some((sent, _)) if sent != *level => true,
                Some((_, at)) => {
                    refresh(**index).is_some_and(|r| now.saturating_duration_since(*at) >= r)
                }
            })
            .map(|(index, level)| (*index, *level))
            .collect()
    }

    /// `level` was queued for output `index` at `now`.
    pub fn queued(&mut self, index: usize, level: bool, now: Instant) {
        self.sent.insert(index, (level, now));
    }
}

/// The module's state shared with its task.
#[derive(Debug, Default)]
struct Shared {
    outputs: OutputSync,
    /// The last good value of each input, by register index, on the daemon's clock.
    last_good: BTreeMap<usize, PointReading>,
}

/// A [`LineSource`] over a Modbus device whose profile has the `io_module` role.
#[derive(Debug)]
pub struct ModbusIoModule {
    name: String,
    dev: ModbusDevice,
    clock: ReadingClock,
    /// The profile's I/O points: name → register index and kind.
    points: BTreeMap<String, (usize, IoKind)>,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // The state is plain data: a panic elsewhere while holding the lock leaves it usable.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl ModbusIoModule {
    /// `name` is the device's configured name; `clock` maps reading times onto the daemon's
    /// clock. Starts the module's output task: must run inside a tokio runtime.
    pub fn new(
        name: impl Into<String>,
        dev: ModbusDevice,
        clock: ReadingClock,
    ) -> Result<Self, RoleError> {
        let name = name.into();
        check_role(&name, dev.profile(), Role::IoModule)?;
        let points = dev
            .profile()
            .registers
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.io.map(|kind| (r.name.clone(), (i, kind))))
            .collect();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = tokio::spawn(keep_outputs(name.clone(), dev.clone(), shared.clone()));
        Ok(ModbusIoModule {
            name,
            dev,
            clock,
            points,
            shared,
            task,
        })
    }

    /// The profile's I/O points by name, with their kind (board I/O maps lines onto them).
    pub fn points(&self) -> impl Iterator<Item = (&str, IoKind)> {
        self.points.iter().map(|(n, (_, k))| (n.as_str(), *k))
    }

    pub fn device(&self) -> &ModbusDevice {
        &self.dev
    }

    /// The last good value of input `index`, refreshed from the device's latest reading.
    fn input_at(&self, index: usize) -> Option<PointReading> {
        let mut shared = lock(&self.shared);
        if let Some(reading) = self.dev.reading_at(index) {
            let value = match reading.value {
                Ok(Value::Bool(b)) => Some(PointValue::Level(b)),
                Ok(Value::Number(n)) if n.is_finite() => Some(PointValue::Analog(n as f32)),
                _ => None,
            };
            if let Some(value) = value {
                shared.last_good.insert(
                    index,
                    PointReading {
                        value,
                        at: self.clock.at(reading.at),
                    },
                );
            }
        }
        shared.last_good.get(&index).copied()
    }

    /// The level output `index` last took on the module (its write answered, and read back
    /// where the profile lets it), and when.
    fn output_at(&self, index: usize) -> Option<PointReading> {
        let ack = self.dev.acknowledged_at(index)?;
        let level = match ack.payload {
            WritePayload::Bit(b) => b,
            WritePayload::Mask { and_mask, or_mask } => or_mask & !and_mask != 0,
            WritePayload::Words(w) => w.iter().any(|w| *w != 0),
        };
        Some(PointReading {
            value: PointValue::Level(level),
            at: self.clock.at(ack.confirmed.unwrap_or(ack.answered)),
        })
    }
}

impl Drop for ModbusIoModule {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The refresh period of the setpoint group of register `index`, if the profile asks for one.
fn refresh_of(profile: &Profile, index: usize) -> Option<Duration> {
    let reg = profile.registers.get(index)?;
    match profile.groups.get(reg.group)?.kind {
        GroupKind::Setpoint {
            refresh_ms: Some(ms),
        } => Some(Duration::from_millis(u64::from(ms))),
        _ => None,
    }
}

/// Queue every output write due now. A write the connection does not take stays due.
fn sync_outputs(dev: &ModbusDevice, outputs: &mut OutputSync) -> Result<(), CommandError> {
    let st = dev.state();
    let link = LinkView {
        connected: st.connected,
        write_failures: st.errors.write_failures,
        reconnects: st.errors.reconnects,
    };
    let now = Instant::now();
    let profile = dev.profile();
    for (index, level) in outputs.due(link, now, |i| refresh_of(profile, i)) {
        dev.write_register(index, &Value::Bool(level))?;
        outputs.queued(index, level, now);
    }
    Ok(())
}

/// The module's task: writes the outputs again whenever [`OutputSync`] says so.
async fn keep_outputs(name: String, dev: ModbusDevice, shared: Arc<Mutex<Shared>>) {
    let mut tick = tokio::time::interval(OUTPUT_SYNC_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = sync_outputs(&dev, &mut lock(&shared).outputs);
        match result {
            Ok(()) => {}
            Err(CommandError::Stopped) => {
                debug!(device = %name, "modbus connection stopped; output task ends");
                return;
            }
            Err(e) => debug!(device = %name, error = %e, "output write not queued; retried"),
        }
    }
}

impl LineSource for ModbusIoModule {
    fn name(&self) -> &str {
        &self.name
    }

    /// An input's last good value and when it was read; for an output, the level the module
    /// last took and when. `None` for an unknown point, or one never read (taken).
    fn input(&self, point: &str) -> Option<PointReading> {
        let (index, kind) = *self.points.get(point)?;
        match kind {
            IoKind::DigitalInput | IoKind::AnalogInput => self.input_at(index),
            IoKind::DigitalOutput => self.output_at(index),
        }
    }

    fn set_output(&self, point: &str, level: bool) -> Result<(), LineError> {
        let index = match self.points.get(point) {
            Some((index, IoKind::DigitalOutput)) => *index,
            _ => {
                return Err(LineError::UnknownPoint {
                    source_name: self.name.clone(),
                    point: point.to_string(),
                })
            }
        };
        let mut shared = lock(&self.shared);
        shared.outputs.want(index, level);
        match sync_outputs(&self.dev, &mut shared.outputs) {
            Ok(()) => Ok(()),
            Err(CommandError::QueueFull) => {
                // Still wanted: the module's task queues it on its next look.
                warn!(device = %self.name, point, level, "write queue full; output written later");
                Ok(())
            }
            Err(e) => Err(LineError::Device {
                source_name: self.name.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Why the module is not serving its points now: the link is down, an input could not
    /// be read, or an output does not hold its commanded level because a write failed.
    fn last_error(&self) -> Option<String> {
        let st = self.dev.state();
        let failed_input = self.points.iter().find_map(|(name, (index, kind))| {
            if *kind == IoKind::DigitalOutput {
                return None;
            }
            match st.readings.get(*index).and_then(Option::as_ref) {
                Some(r) => r.value.as_ref().err().map(|e| (name, e.to_string())),
                None => None,
            }
        });
        if !st.connected {
            let why = failed_input.map_or_else(|| "no answer yet".to_string(), |(_, e)| e);
            return Some(format!("not connected: {why}"));
        }
        if let Some((name, e)) = failed_input {
            return Some(format!("{name}: {e}"));
        }
        let shared = lock(&self.shared);
        let unconfirmed = self.points.values().any(|(index, kind)| {
            *kind == IoKind::DigitalOutput
                && shared.outputs.wanted(*index).is_some_and(|want| {
                    self.output_at(*index)
                        .is_none_or(|r| r.value != PointValue::Level(want))
                })
        });
        if unconfirmed {
            return st.last_write_error.clone();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(connected: bool, write_failures: u64, reconnects: u64) -> LinkView {
        LinkView {
            connected,
            write_failures,
            reconnects,
        }
    }

    #[test]
    fn an_output_is_written_when_commanded_and_again_only_on_change() {
        let t0 = Instant::now();
        let mut s = OutputSync::default();
        let up = link(true, 0, 0);
        assert!(s.due(up, t0, |_| None).is_empty(), "nothing commanded yet");
        s.want(3, true);
        assert_eq!(s.due(up, t0, |_| None), vec![(3, true)]);
        s.queued(3, true, t0);
        s.want(3, true);
        assert!(s.due(up, t0 + Duration::from_secs(60), |_| None).is_empty());
        s.want(3, false);
        s.want(1, true);
        assert_eq!(s.due(up, t0, |_| None), vec![(1, true), (3, false)]);
    }

    #[test]
    fn a_failed_write_or_a_rebuilt_link_writes_every_output_again() {
        let t0 = Instant::now();
        let mut s = OutputSync::default();
        s.want(0, true);
        s.want(5, false);
        for (i, l) in s.due(link(true, 0, 0), t0, |_| None) {
            s.queued(i, l, t0);
        }
        assert!(s.due(link(true, 0, 0), t0, |_| None).is_empty());
        assert_eq!(
            s.due(link(true, 1, 0), t0, |_| None),
            vec![(0, true), (5, false)],
            "a write failed"
        );
        for (i, l) in [(0, true), (5, false)] {
            s.queued(i, l, t0);
        }
        assert!(s.due(link(true, 1, 0), t0, |_| None).is_empty());
        assert_eq!(s.due(link(true, 1, 1), t0, |_| None).len(), 2, "rebuilt");
    }

    #[test]
    fn nothing_is_written_while_the_link_is_down_and_everything_once_it_is_up() {
        let t0 = Instant::now();
        let mut s = OutputSync::default();
        s.want(2, true);
        assert!(s.due(link(false, 0, 0), t0, |_| None).is_empty());
        assert_eq!(s.due(link(true, 0, 0), t0, |_| None), vec![(2, true)]);
        s.queued(2, true, t0);
        // Down and up again between two looks, before the rebuild was even counted: what was
        // queued may have been dropped with the link.
        assert!(s.due(link(false, 0, 0), t0, |_| None).is_empty());
        assert_eq!(s.due(link(true, 0, 0), t0, |_| None), vec![(2, true)]);
    }

    #[test]
    fn an_output_of_a_refreshed_group_is_written_again_each_period() {
        let t0 = Instant::now();
        let mut s = OutputSync::default();
        let up = link(true, 0, 0);
        let refresh = |i: usize| (i == 4).then_some(Duration::from_secs(5));
        s.want(4, true);
        s.want(6, true);
        for (i, l) in s.due(up, t0, refresh) {
            s.queued(i, l, t0);
        }
        assert!(s
            .due(up, t0 + Duration::from_millis(4_999), refresh)
            .is_empty());
        assert_eq!(
            s.due(up, t0 + Duration::from_secs(5), refresh),
            vec![(4, true)]
        );
    }
}
