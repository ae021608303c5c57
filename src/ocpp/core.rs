//! What both charge-point cores (1.6 and 2.0.1) share beside the outbox: the wall clock the
//! CSMS sets, and the RPC layer's events as a core handles them. Pure.

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::{MessageId, RpcEndpoint, RpcErrorCode, RpcEvent};
use charger_protocol::Timestamp;
use serde_json::Value;

/// The wall-clock times a CSMS may set (unix ms, 2020-01-01 to 2100-01-01): anything else is a
/// broken or hostile clock and is ignored.
const PLAUSIBLE_CSMS_TIME: std::ops::Range<i64> = 1_577_836_800_000..4_102_444_800_000;
/// A clock correction from the CSMS larger than this is a security event (SettingSystemTime).
pub const CLOCK_STEP_EVENT_MS: i64 = 60_000;

/// Wall time as the core knows it: an offset to its monotonic time, set from the CSMS's
/// BootNotification and Heartbeat answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    /// Unix time (ms) at monotonic zero: wall = offset + now.
    offset_ms: i64,
}

impl WallClock {
    pub fn new(unix_ms_now: i64, now: Timestamp) -> WallClock {
        WallClock {
            offset_ms: unix_ms_now
                .saturating_sub(i64::try_from(now.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Wall-clock unix milliseconds at `now`.
    pub fn unix_ms(&self, now: Timestamp) -> i64 {
        self.offset_ms
            .saturating_add(i64::try_from(now.as_millis()).unwrap_or(i64::MAX))
    }

    /// The monotonic instant of a wall-clock time (the past maps to now).
    pub fn instant_of(&self, unix_ms: i64, now: Timestamp) -> Timestamp {
        let ms = unix_ms.saturating_sub(self.offset_ms);
        Timestamp::from_millis(u64::try_from(ms).unwrap_or(0)).max(now)
    }

    /// The time `at` as a message carries it.
    pub fn date_time(&self, at: Timestamp) -> DateTime {
        DateTime::from_unix_ms(self.unix_ms(at))
    }

    /// Take the CSMS's time. Returns the step (ms) when it moved the clock by more than
    /// [`CLOCK_STEP_EVENT_MS`] (a security event for the caller); a time outside 2020-2100 is
    /// ignored (taking it would date every transaction wrongly).
    pub fn take_csms_time(&mut self, current_time: DateTime, now: Timestamp) -> Option<i64> {
        let ms = current_time.unix_ms();
        if !PLAUSIBLE_CSMS_TIME.contains(&ms) {
            tracing::warn!(%current_time, "CSMS time outside 2020-2100; clock kept");
            return None;
        }
        let offset = ms.saturating_sub(i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
        let step = offset.saturating_sub(self.offset_ms);
        self.offset_ms = offset;
        (step.abs() > CLOCK_STEP_EVENT_MS).then_some(step)
    }
}

/// An RPC event as a core handles it (logged here, once for both versions).
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// The CSMS answered our CALL `id`.
    Result { id: MessageId, payload: Value },
    /// Our CALL `id` failed: `refused` (a CALLERROR, or an answer breaking the schema) or
    /// unanswered (a timeout).
    Failed { id: MessageId, refused: bool },
    /// A CALL from the CSMS that passed its schema.
    Call {
        id: MessageId,
        action: String,
        payload: Value,
    },
    /// A malformed CALL the RPC layer already answered with a CALLERROR.
    Malformed { code: RpcErrorCode, detail: String },
}

/// The next event of the RPC layer a core must handle.
pub fn next_inbound(rpc: &mut RpcEndpoint) -> Option<Inbound> {
    loop {
        let event = rpc.poll_event()?;
        return Some(match event {
            RpcEvent::Result { id, payload, .. } => Inbound::Result { id, payload },
            RpcEvent::Error {
                id,
                code,
                description,
                action,
                ..
            } => {
                tracing::warn!(action, %code, description, "CSMS answered with CALLERROR");
                Inbound::Failed { id, refused: true }
            }
            RpcEvent::InvalidResult {
                id,
                action,
                description,
                ..
            } => {
                tracing::warn!(action, description, "CSMS answer breaks the schema");
                Inbound::Failed { id, refused: true }
            }
            RpcEvent::Timeout { id, action } => {
                tracing::warn!(action, "no answer from the CSMS");
                Inbound::Failed { id, refused: false }
            }
            RpcEvent::IncomingCall {
                id,
                action,
                payload,
            } => Inbound::Call {
                id,
                action,
                payload,
            },
            RpcEvent::Rejected {
                action,
                code,
                description,
                ..
            } => {
                tracing::warn!(?action, %code, description, "malformed CSMS call answered with CALLERROR");
                Inbound::Malformed {
                    code,
                    detail: description,
                }
            }
            RpcEvent::Ignored { why } => {
                tracing::warn!(%why, "CSMS frame ignored");
                continue;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_hostile_csms_time_is_ignored_and_a_large_step_is_reported() {
        let start = 1_798_761_600_000; // 2027-01-01
        let mut c = WallClock::new(start, Timestamp::ZERO);
        let t = Timestamp::from_millis(10_000);
        assert_eq!(c.take_csms_time(DateTime::from_unix_ms(i64::MAX), t), None);
        assert_eq!(c.unix_ms(t), start + 10_000, "kept");
        assert_eq!(
            c.take_csms_time(DateTime::from_unix_ms(start + 10_500), t),
            None
        );
        assert_eq!(
            c.take_csms_time(DateTime::from_unix_ms(start + 100_500), t),
            Some(90_000)
        );
        assert_eq!(c.instant_of(0, t), t, "the past maps to now");
    }
}
