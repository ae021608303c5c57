//! The outbox both OCPP versions share: reliable messages (transaction messages, security
//! events) persisted before they are sent, sent in order one at a time, removed only when the
//! CSMS has answered them. Pure: it says what to persist ([`CoreAction`]s), the shell does it.
//!
//! Only the head is in memory: at most [`OUTBOX_WINDOW`] records; the rest wait in SQLite and
//! are loaded as the head drains ([`CoreAction::OutboxLoad`]), so a week-long outage costs
//! disk, not memory. Refused records (CALLERROR `attempts` times) are kept aside, marked,
//! never deleted; only the latest [`REFUSED_IN_MEMORY`] stay in memory.
//!
//! Retry policy: no answer (timeout, link lost) retries the head forever, `retry × attempt`
//! apart (at most [`MAX_RETRY_WAIT`]); a CALLERROR waits `retry × refusals`.

use std::collections::VecDeque;
use std::time::Duration;

use charger_protocol::ocpp::OcppVersion;
use charger_protocol::Timestamp;
use serde_json::Value;

use super::chargepoint::{CoreAction, OutboxRecord, OutboxSeq};

/// Outbox records kept in memory: the head of the queue.
pub const OUTBOX_WINDOW: usize = 256;
/// Refused records kept in memory beside the window, the latest ones, for `chargerctl ocpp`.
pub const REFUSED_IN_MEMORY: usize = 16;
/// Longest wait between retries of an unanswered message.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);

/// What a failed attempt at the head did.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Refused `attempts` times: kept aside now (persist it marked).
    KeptAside(OutboxRecord),
    /// Refused, to be tried again (persist its refusal count).
    Refused(OutboxRecord),
    /// No answer: tried again later.
    Unanswered,
    /// Not in memory (already answered or dropped).
    Unknown,
}

/// The outbox of one OCPP version. See the module documentation.
#[derive(Debug)]
pub struct Outbox {
    version: OcppVersion,
    window: VecDeque<OutboxRecord>,
    /// Records persisted but not in memory (all after the window).
    spilled: usize,
    /// Refused records set aside in SQLite only (beyond [`REFUSED_IN_MEMORY`]).
    refused_on_disk: usize,
    /// The highest sequence number in memory or asked for, from which the next load goes on.
    loaded_to: u64,
    loading: bool,
    seq: OutboxSeq,
    /// The head may go out at this instant (retry wait).
    pub ready_at: Option<Timestamp>,
    /// Unanswered (timeout) attempts of the head, for the retry wait.
    head_attempts: u32,
}

impl Outbox {
    pub fn new(version: OcppVersion) -> Outbox {
        Outbox {
            version,
            window: VecDeque::new(),
            spilled: 0,
            refused_on_disk: 0,
            loaded_to: 0,
            loading: false,
            seq: OutboxSeq::default(),
            ready_at: None,
            head_attempts: 0,
        }
    }

    /// The sequence numbers, to share with the other version's outbox.
    pub fn seq(&self) -> OutboxSeq {
        self.seq.clone()
    }

    /// Take sequence numbers from `seq` (shared with the other version's outbox).
    pub fn share_seq(&mut self, seq: OutboxSeq) {
        seq.past(self.seq.peek().saturating_sub(1));
        self.seq = seq;
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.seq.peek()
    }

    /// Records from the last run: the first ones (oldest first, up to [`OUTBOX_WINDOW`]), how
    /// many more are persisted after them, and the highest sequence number in use.
    pub fn restore(&mut self, records: Vec<OutboxRecord>, more: usize, max_seq: u64) {
        for r in records {
            self.loaded_to = self.loaded_to.max(r.seq);
            self.window.push_back(r);
        }
        self.spilled = more;
        self.seq.past(max_seq);
        self.trim_refused();
    }

    /// Records the shell loaded for [`CoreAction::OutboxLoad`], in order.
    pub fn loaded(&mut self, records: Vec<OutboxRecord>) {
        self.loading = false;
        if records.is_empty() {
            // Nothing more on disk (the journal lost them, or the count was off): stop asking.
            self.spilled = 0;
            return;
        }
        for r in records {
            if r.seq <= self.loaded_to {
                continue;
            }
            self.loaded_to = r.seq;
            self.spilled = self.spilled.saturating_sub(1);
            self.window.push_back(r);
        }
        self.trim_refused();
    }

    /// The shell could not read the outbox: ask again later (the records stay on disk).
    pub fn load_failed(&mut self) {
        self.loading = false;
    }

    /// The load to ask for when the window runs low.
    pub fn refill(&mut self) -> Option<CoreAction> {
        if self.spilled == 0 || self.loading {
            return None;
        }
        let live = self.window.iter().filter(|r| !r.refused).count();
        if live >= OUTBOX_WINDOW / 2 {
            return None;
        }
        self.loading = true;
        Some(CoreAction::OutboxLoad {
            after_seq: self.loaded_to,
            limit: OUTBOX_WINDOW - live,
        })
    }

    /// A new record at the tail; persist it ([`CoreAction::OutboxPut`]) before anything else.
    pub fn push(
        &mut self,
        action: &str,
        payload: Value,
        local_transaction_id: i64,
    ) -> OutboxRecord {
        let record = OutboxRecord {
            seq: self.seq.take(),
            action: action.to_string(),
            payload,
            local_transaction_id,
            refusals: 0,
            refused: false,
            version: self.version,
        };
        if self.spilled > 0 || self.window.len() >= OUTBOX_WINDOW {
            // Behind the window: on disk only, loaded when its turn comes near.
            self.spilled += 1;
        } else {
            self.loaded_to = record.seq;
            self.window.push_back(record.clone());
        }
        record
    }

    /// The record to send next: the first not refused.
    pub fn head(&self) -> Option<&OutboxRecord> {
        self.window.iter().find(|r| !r.refused)
    }

    /// The CSMS answered record `seq`: out of memory (the shell removes it from the journal).
    pub fn take(&mut self, seq: u64) -> Option<OutboxRecord> {
        let pos = self.window.iter().position(|r| r.seq == seq)?;
        self.head_attempts = 0;
        self.window.remove(pos)
    }

    /// Forget record `seq` the core gave up on (in memory or spilled).
    pub fn forget(&mut self, seq: u64) {
        if let Some(pos) = self.window.iter().position(|r| r.seq == seq) {
            self.window.remove(pos);
            // The next head starts with no unanswered attempts.
            self.head_attempts = 0;
        } else if seq > self.loaded_to {
            self.spilled = self.spilled.saturating_sub(1);
        }
    }

    /// Mark record `seq` refused for good; returns it to persist marked.
    pub fn refuse(&mut self, seq: u64) -> Option<OutboxRecord> {
        let r = self.window.iter_mut().find(|r| r.seq == seq)?;
        r.refused = true;
        let record = r.clone();
        self.head_attempts = 0;
        self.trim_refused();
        Some(record)
    }

    /// An attempt at record `seq` failed: `refused` (a CALLERROR) or unanswered. After
    /// `attempts` refusals it is kept aside.
    pub fn failed(
        &mut self,
        seq: u64,
        refused: bool,
        attempts: u32,
        retry: Duration,
        now: Timestamp,
    ) -> Failure {
        if !refused {
            self.head_attempts = self.head_attempts.saturating_add(1);
            self.ready_at =
                Some(now + retry.saturating_mul(self.head_attempts).min(MAX_RETRY_WAIT));
            return Failure::Unanswered;
        }
        let Some(r) = self.window.iter_mut().find(|r| r.seq == seq) else {
            return Failure::Unknown;
        };
        r.refusals = r.refusals.saturating_add(1);
        let refusals = r.refusals;
        if refusals >= attempts.max(1) {
            self.ready_at = Some(now);
            match self.refuse(seq) {
                Some(record) => Failure::KeptAside(record),
                None => Failure::Unknown,
            }
        } else {
            self.ready_at = Some(now + retry.saturating_mul(refusals).min(MAX_RETRY_WAIT));
            let record = r.clone();
            Failure::Refused(record)
        }
    }

    /// Keep only the latest [`REFUSED_IN_MEMORY`] refused records in memory; the others are
    /// in SQLite already, marked, and are counted.
    fn trim_refused(&mut self) {
        let mut excess = self.refused().count().saturating_sub(REFUSED_IN_MEMORY);
        while excess > 0 {
            let Some(pos) = self.window.iter().position(|r| r.refused) else {
                return;
            };
            self.window.remove(pos);
            self.refused_on_disk = self.refused_on_disk.saturating_add(1);
            excess -= 1;
        }
    }

    /// Every record in memory, in order.
    pub fn iter(&self) -> impl Iterator<Item = &OutboxRecord> {
        self.window.iter()
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut OutboxRecord> {
        self.window.iter_mut().find(|r| r.seq == seq)
    }

    /// The refused records in memory.
    pub fn refused(&self) -> impl Iterator<Item = &OutboxRecord> {
        self.window.iter().filter(|r| r.refused)
    }

    /// Refused records, those only on disk included.
    pub fn refused_count(&self) -> usize {
        self.refused().count() + self.refused_on_disk
    }

    /// Records in memory.
    pub fn in_memory(&self) -> usize {
        self.window.len()
    }

    /// Records in memory or spilled (refused ones in memory included).
    pub fn len(&self) -> usize {
        self.window.len() + self.spilled
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records still to send: not refused, in memory or spilled.
    pub fn waiting(&self) -> usize {
        self.window.iter().filter(|r| !r.refused).count() + self.spilled
    }

    /// Whether records wait on disk beyond the window.
    pub fn spilled(&self) -> bool {
        self.spilled > 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn the_window_spills_to_disk_and_refills_in_order() {
        let mut o = Outbox::new(OcppVersion::V201);
        for i in 0..(OUTBOX_WINDOW + 10) {
            o.push("TransactionEvent", json!({ "i": i }), 1);
        }
        assert_eq!(o.in_memory(), OUTBOX_WINDOW);
        assert_eq!(o.len(), OUTBOX_WINDOW + 10);
        // Drain below half: a load for what follows the window.
        for seq in 1..=(OUTBOX_WINDOW as u64 / 2 + 1) {
            assert_eq!(o.head().unwrap().seq, seq);
            o.take(seq).unwrap();
        }
        let Some(CoreAction::OutboxLoad { after_seq, .. }) = o.refill() else {
            panic!("no load asked for");
        };
        assert_eq!(after_seq, OUTBOX_WINDOW as u64);
        assert!(o.refill().is_none(), "one load at a time");
    }

    #[test]
    fn refusals_keep_a_record_aside_and_timeouts_only_wait() {
        let mut o = Outbox::new(OcppVersion::V16);
        let r = o.push("StartTransaction", json!({}), 1);
        let t = Timestamp::from_millis(0);
        let retry = Duration::from_secs(10);
        assert_eq!(o.failed(r.seq, false, 2, retry, t), Failure::Unanswered);
        assert_eq!(o.ready_at, Some(t + retry));
        assert!(matches!(
            o.failed(r.seq, true, 2, retry, t),
            Failure::Refused(_)
        ));
        assert!(matches!(
            o.failed(r.seq, true, 2, retry, t),
            Failure::KeptAside(_)
        ));
        assert!(o.head().is_none());
        assert_eq!(o.refused_count(), 1);
        assert_eq!(o.waiting(), 0);
        assert_eq!(o.len(), 1, "kept, not deleted");
    }

    #[test]
    fn two_outboxes_sharing_a_counter_never_reuse_a_number() {
        let mut a = Outbox::new(OcppVersion::V16);
        a.restore(Vec::new(), 0, 40);
        let mut b = Outbox::new(OcppVersion::V201);
        b.restore(Vec::new(), 0, 7);
        b.share_seq(a.seq());
        let x = a.push("StartTransaction", json!({}), 1).seq;
        let y = b.push("TransactionEvent", json!({}), 2).seq;
        let z = a.push("StopTransaction", json!({}), 1).seq;
        assert_eq!((x, y, z), (41, 42, 43));
    }
}
