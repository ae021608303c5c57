//! Control-step bookkeeping, pure and cheap: how late each control step finished
//! ([`StepLatencies`], shown by `chargerctl status` and measured by `benches/control_step.rs`),
//! and when the systemd watchdog may be petted ([`WatchdogGate`]).
//!
//! A step's latency is the time from the moment it was due (its tick) to the moment it was
//! done: the wake-up delay plus the step's own work. Anything that keeps the control loop from
//! stepping (a blocking write, a busy runtime) shows up here. The work alone (from the start of
//! the step to its end) is kept beside it, to tell a slow step from a late wake-up (tokio's
//! timer has millisecond resolution; a loaded machine adds its own delay).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Steps kept for the percentiles: 4096 steps, 41 s at the simulator's 10 ms step.
pub const LATENCY_WINDOW: usize = 4096;

/// The latest [`LATENCY_WINDOW`] step latencies in a ring, in microseconds.
#[derive(Debug, Clone)]
pub struct StepLatencies {
    ring: Vec<u32>,
    work: Vec<u32>,
    next: usize,
    steps: u64,
    max_ever_us: u32,
}

impl Default for StepLatencies {
    fn default() -> Self {
        StepLatencies::new()
    }
}

/// What `chargerctl status` shows of the control loop's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLatencySummary {
    /// Steps run since start.
    pub steps: u64,
    /// Steps the percentiles below are taken over (the latest ones).
    pub window: usize,
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
    /// The worst step since start.
    pub max_ever_us: u32,
    /// The steps' own work (start to end), over the same window.
    #[serde(default)]
    pub work_p50_us: u32,
    #[serde(default)]
    pub work_p99_us: u32,
    #[serde(default)]
    pub work_max_us: u32,
}

impl std::fmt::Display for StepLatencySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "control step latency p50 {} p99 {} max {} (last {} steps; worst since start {}; work p50 {} p99 {} max {})",
            Micros(self.p50_us),
            Micros(self.p99_us),
            Micros(self.max_us),
            self.window,
            Micros(self.max_ever_us),
            Micros(self.work_p50_us),
            Micros(self.work_p99_us),
            Micros(self.work_max_us)
        )
    }
}

/// Microseconds for humans: `850 µs`, `1.25 ms`, `5.0 s`.
struct Micros(u32);

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let us = self.0;
        if us < 1000 {
            write!(f, "{us} µs")
        } else if us < 1_000_000 {
            write!(f, "{:.2} ms", f64::from(us) / 1000.0)
        } else {
            write!(f, "{:.1} s", f64::from(us) / 1_000_000.0)
        }
    }
}

impl StepLatencies {
    pub fn new() -> StepLatencies {
        StepLatencies {
            ring: Vec::with_capacity(LATENCY_WINDOW),
            work: Vec::with_capacity(LATENCY_WINDOW),
            next: 0,
            steps: 0,
            max_ever_us: 0,
        }
    }

    /// One step that finished `latency` after it was due, of which `work` was its own.
    pub fn record(&mut self, latency: Duration, work: Duration) {
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        let work_us = u32::try_from(work.as_micros()).unwrap_or(u32::MAX);
        if self.ring.len() < LATENCY_WINDOW {
            self.ring.push(us);
            self.work.push(work_us);
        } else {
            if let Some(slot) = self.ring.get_mut(self.next) {
                *slot = us;
            }
            if let Some(slot) = self.work.get_mut(self.next) {
                *slot = work_us;
            }
        }
        self.next = (self.next + 1) % LATENCY_WINDOW;
        self.steps = self.steps.saturating_add(1);
        self.max_ever_us = self.max_ever_us.max(us);
    }

    /// Percentiles over the window (nearest rank); `None` before the first step.
    pub fn summary(&self) -> Option<StepLatencySummary> {
        let mut sorted = self.ring.clone();
        sorted.sort_unstable();
        let mut work = self.work.clone();
        work.sort_unstable();
        let max_us = *sorted.last()?;
        Some(StepLatencySummary {
            steps: self.steps,
            window: sorted.len(),
            p50_us: rank(&sorted, 50),
            p99_us: rank(&sorted, 99),
            max_us,
            max_ever_us: self.max_ever_us,
            work_p50_us: rank(&work, 50),
            work_p99_us: rank(&work, 99),
            work_max_us: work.last().copied().unwrap_or(0),
        })
    }
}

/// Nearest rank in sorted samples: the smallest value with at least `p` % of them at or below.
fn rank(sorted: &[u32], p: usize) -> u32 {
    let n = sorted.len();
    let i = (n * p).div_ceil(100).clamp(1, n) - 1;
    sorted.get(i).copied().unwrap_or(0)
}

/// Decides when the watchdog may be petted: only right after a completed step, once per
/// `every`, and only if the steps since the last ping kept to their schedule — at least half
/// of those due ran. A loop that wakes but no longer steps (or steps once in a while, stalled
/// in between) stops petting, and systemd restarts the service.
#[derive(Debug, Clone)]
pub struct WatchdogGate {
    every: Duration,
    step: Duration,
    since_ping: Duration,
    steps_since_ping: u64,
}

impl WatchdogGate {
    /// `every`: the ping period (half systemd's `WatchdogSec`); `step`: the control step.
    pub fn new(every: Duration, step: Duration) -> WatchdogGate {
        WatchdogGate {
            every,
            step: step.max(Duration::from_millis(1)),
            since_ping: Duration::ZERO,
            steps_since_ping: 0,
        }
    }

    /// A step completed, `elapsed` after the previous one completed. True: ping now.
    pub fn step_completed(&mut self, elapsed: Duration) -> bool {
        self.since_ping = self.since_ping.saturating_add(elapsed);
        self.steps_since_ping = self.steps_since_ping.saturating_add(1);
        if self.since_ping < self.every {
            return false;
        }
        let due = u64::try_from(self.since_ping.as_micros() / self.step.as_micros().max(1))
            .unwrap_or(u64::MAX);
        let on_schedule = self.steps_since_ping.saturating_mul(2) >= due;
        if !on_schedule {
            tracing::warn!(
                steps = self.steps_since_ping,
                due,
                "control steps fell behind their schedule; the watchdog is not petted"
            );
        }
        self.since_ping = Duration::ZERO;
        self.steps_since_ping = 0;
        on_schedule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_the_latest_window() {
        let mut l = StepLatencies::new();
        assert_eq!(l.summary(), None);
        for us in 1..=100u64 {
            l.record(Duration::from_micros(us), Duration::from_micros(us / 10));
        }
        let s = l.summary().unwrap();
        assert_eq!((s.p50_us, s.p99_us, s.max_us, s.steps), (50, 99, 100, 100));
        assert_eq!((s.work_p50_us, s.work_p99_us, s.work_max_us), (5, 9, 10));
        // A stall long ago leaves the window but stays the worst since start.
        l.record(Duration::from_secs(5), Duration::from_micros(20));
        for _ in 0..LATENCY_WINDOW {
            l.record(Duration::from_micros(200), Duration::from_micros(20));
        }
        let s = l.summary().unwrap();
        assert_eq!((s.p50_us, s.p99_us, s.max_us), (200, 200, 200));
        assert_eq!(s.max_ever_us, 5_000_000);
        assert_eq!(s.window, LATENCY_WINDOW);
        assert!(s.to_string().contains("worst since start 5.0 s"), "{s}");
    }

    #[test]
    fn the_watchdog_is_petted_only_while_steps_keep_their_schedule() {
        let step = Duration::from_millis(10);
        let mut g = WatchdogGate::new(Duration::from_millis(500), step);
        // On schedule: one ping per 500 ms.
        let pings = (0..200).filter(|_| g.step_completed(step)).count();
        assert_eq!(pings, 4);
        // One step every 100 ms (90 % of the steps missing): no ping at all.
        let pings = (0..20)
            .filter(|_| g.step_completed(Duration::from_millis(100)))
            .count();
        assert_eq!(pings, 0);
        // One step after a 5 s stall: no ping for it.
        assert!(!g.step_completed(Duration::from_secs(5)));
        // Back on schedule: pings again.
        assert!((0..60).any(|_| g.step_completed(step)));
    }
}
