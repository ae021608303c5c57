//! Reconnect backoff: pure, with time and randomness given.
//!
//! The wait before attempt *n* (0-based, counted since the last stable connection) is
//! `min(minimum · 2ⁿ, maximum) + jitter`, the jitter uniform in `0..=random_range` at
//! millisecond resolution. That is OCPP 2.0.1's `RetryBackOffWaitMinimum` /
//! `RetryBackOffRandomRange` scheme, capped by a maximum instead of a repeat count: the jitter
//! spreads a fleet of chargers that lost the CSMS at the same moment, the doubling spares a CSMS
//! that is down.
//!
//! A connection that stayed up for at least [`BackoffPolicy::stable_after`] resets the count, so
//! the first retry after a long-lived connection drops waits only the minimum (plus jitter); a
//! connection that drops right after the handshake (a CSMS that accepts and then closes) keeps
//! the count growing.
//!
//! No clock and no global random state: the caller passes `now` and seeds the generator, so a
//! test replays the exact sequence.

use std::time::{Duration, Instant};

/// The shape of the backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Wait before the first retry (before jitter).
    pub minimum: Duration,
    /// Ceiling of the doubled wait (before jitter).
    pub maximum: Duration,
    /// Jitter is uniform in `0..=random_range`.
    pub random_range: Duration,
    /// A connection up at least this long counts as stable and resets the backoff.
    pub stable_after: Duration,
}

/// The backoff state of one link.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
    connected_at: Option<Instant>,
    rng: SplitMix64,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy, seed: u64) -> Backoff {
        Backoff {
            policy,
            attempt: 0,
            connected_at: None,
            rng: SplitMix64(seed),
        }
    }

    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// Retries since the last stable connection (or since the start).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The wait before the next connection attempt; each call counts one attempt.
    pub fn next_delay(&mut self) -> Duration {
        let doubled = self
            .policy
            .minimum
            .checked_mul(1u32.checked_shl(self.attempt).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        let base = doubled.min(self.policy.maximum);
        self.attempt = self.attempt.saturating_add(1);
        base.saturating_add(self.jitter())
    }

    /// A connection was established at `now`.
    pub fn connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// The connection established at [`connected`](Self::connected) was lost at `now`. Resets
    /// the backoff if it was up long enough.
    pub fn disconnected(&mut self, now: Instant) {
        if let Some(at) = self.connected_at.take() {
            if now.saturating_duration_since(at) >= self.policy.stable_after {
                self.reset();
            }
        }
    }

    /// Start over from the minimum.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    fn jitter(&mut self) -> Duration {
        let range_ms = u64::try_from(self.policy.random_range.as_millis()).unwrap_or(u64::MAX);
        if range_ms == 0 {
            return Duration::ZERO;
        }
        // The modulo bias is below 2⁻⁴⁰ for any range under a day: irrelevant here.
        Duration::from_millis(self.rng.next() % range_ms.saturating_add(1))
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, good enough for jitter. Not for secrets.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min_ms: u64, max_ms: u64, jitter_ms: u64) -> BackoffPolicy {
        BackoffPolicy {
            minimum: Duration::from_millis(min_ms),
            maximum: Duration::from_millis(max_ms),
            random_range: Duration::from_millis(jitter_ms),
            stable_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn doubles_from_minimum_to_maximum_without_jitter() {
        let mut b = Backoff::new(policy(1000, 10_000, 0), 7);
        let waits: Vec<u64> = (0..7)
            .map(|_| u64::try_from(b.next_delay().as_millis()).unwrap())
            .collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
        assert_eq!(b.attempt(), 7);
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let mut b = Backoff::new(policy(1000, 1000, 500), 42);
        let waits: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_millis(1000) && *w <= Duration::from_millis(1500)));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(
            distinct.len() > 100,
            "jitter should spread: {}",
            distinct.len()
        );
    }

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let run = |seed| {
            let mut b = Backoff::new(policy(100, 5000, 1000), seed);
            (0..10).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn stable_connection_resets_short_one_does_not() {
        let t0 = Instant::now();
        let mut b = Backoff::new(policy(1000, 60_000, 0), 0);
        for _ in 0..4 {
            b.next_delay();
        }
        // Up for 5 s only: the CSMS accepted and dropped us; keep backing off.
        b.connected(t0);
        b.disconnected(t0 + Duration::from_secs(5));
        assert_eq!(b.next_delay(), Duration::from_secs(16));
        // Up for 2 minutes: stable; start over from the minimum.
        b.connected(t0 + Duration::from_secs(100));
        b.disconnected(t0 + Duration::from_secs(220));
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn disconnect_without_connect_changes_nothing() {
        let mut b = Backoff::new(policy(1000, 60_000, 0), 0);
        b.next_delay();
        b.disconnected(Instant::now() + Duration::from_secs(3600));
        assert_eq!(b.attempt(), 1);
    }

    #[test]
    fn huge_attempt_counts_saturate() {
        let mut b = Backoff::new(policy(1000, 300_000, 10_000), 3);
        for _ in 0..100 {
            let w = b.next_delay();
            assert!(w <= Duration::from_millis(310_000));
        }
        assert_eq!(b.attempt(), 100);
    }
}
