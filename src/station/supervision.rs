//! Supervision of what one connector's board I/O tells: contactor and lock feedback against
//! their commands, the stop on a lost plug, lock or I/O, and the outputs the protocol sessions
//! know nothing of (bleeder, IMD disconnect relay, 12/24 V auxiliary supply).
//!
//! Pure and time-injected, like the rest of the core: [`IoSupervision::check`] judges a
//! step's [`DigitalInputs`] against what was commanded the step before (its findings become
//! faults), and [`IoSupervision::shape`] overrides what the session asked for with what the
//! hardware allows. The deadlines are `[supervision]`'s ([`Supervision`]).

use charger_hal::{DigitalInputs, DigitalOutputs};
use charger_protocol::{ControlLines, PowerCommand, Timestamp};

use super::fault::{Fault, FaultKind};
use super::{HardwareOutputs, Supervision};

/// Below this output current the contactors may open after a lost plug or lock: the current
/// at which CHAdeMO (102/109 "≤ 5 A") and GB/T (CST: "< 5 A or 120 ms") open them.
pub(crate) const OPEN_BELOW_A: f32 = 5.0;
/// Touch-safe DC voltage (IEC 61851-23, CHAdeMO 5.2 a.12): the bleeder works until the cable
/// is below it.
pub(crate) const TOUCH_SAFE_V: f32 = 60.0;

/// Why the output is being brought down fast (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FastStop {
    PlugLost,
    LockLost,
    IoStale,
}

impl FastStop {
    fn name(self) -> &'static str {
        match self {
            FastStop::PlugLost => "plug (proximity/CC1) lost",
            FastStop::LockLost => "lock feedback lost",
            FastStop::IoStale => "board I/O stale",
        }
    }
}

/// What the connector knows this step that shaping needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapeContext {
    /// The output must be dead now: emergency stop, or a contactor whose feedback disagrees.
    pub open_now: bool,
    /// Release the protocol lines too (a contactor fault: the vehicle must open its side).
    pub release_lines: bool,
    /// The supply's measured output current, this step.
    pub current: f32,
    /// The cable-side voltage, this step.
    pub cable_voltage: f32,
    /// A session exists (a fast stop lasts until it has ended).
    pub session: bool,
    /// The connector's configured auxiliary supply is 24 V.
    pub aux_24v: bool,
}

/// One connector's supervision state.
#[derive(Debug, Clone)]
pub(crate) struct IoSupervision {
    /// The contactors as last commanded, and since when.
    commanded: bool,
    commanded_since: Timestamp,
    /// Since when the lock has been commanded locked (`None`: released).
    lock_commanded_since: Option<Timestamp>,
    /// Its feedback reported locked since that command (a later loss is not a lock that
    /// never locked).
    lock_reached: bool,
    /// The output is being brought down fast, since when and why.
    fast_stop: Option<(Timestamp, FastStop)>,
    /// The bleeder was asked for at this instant (contactors opened, cable check ended).
    bleed_since: Option<Timestamp>,
    /// The insulation monitor was measuring last step.
    measuring: bool,
    /// The auxiliary supply as last switched, and its voltage selection as last output.
    aux_on: bool,
    aux_24v: bool,
    /// The latest snapshot.
    last: DigitalInputs,
}

impl IoSupervision {
    /// Everything open and released as of `now` (a restart: contactors found closed are
    /// judged welded after the deadline).
    pub(crate) fn new(now: Timestamp) -> Self {
        IoSupervision {
            commanded: false,
            commanded_since: now,
            lock_commanded_since: None,
            lock_reached: false,
            fast_stop: None,
            bleed_since: None,
            measuring: false,
            aux_on: false,
            aux_24v: false,
            last: DigitalInputs::default(),
        }
    }

    /// The latest snapshot of the inputs.
    pub(crate) fn last(&self) -> &DigitalInputs {
        &self.last
    }

    /// Judge this step's inputs against last step's commands. Returns the faults found (the
    /// connector raises them; it holds one per kind). A stale snapshot is judged by nobody:
    /// its values are not the present.
    pub(crate) fn check(
        &mut self,
        io: &DigitalInputs,
        deadlines: &Supervision,
        now: Timestamp,
    ) -> Vec<Fault> {
        self.last = *io;
        let mut found = Vec::new();
        if io.stale {
            return found;
        }
        let since = now.saturating_since(self.commanded_since);
        // The emergency-stop chain drops the coils whatever is commanded: an open contactor
        // then is the chain's doing, not a failure (its input may lag the contacts).
        if io.contactors_closed != self.commanded
            && since >= deadlines.contactor_feedback_deadline
            && !(self.commanded && io.emergency_stop)
        {
            let ms = since.as_millis();
            found.push(if self.commanded {
                Fault::with_detail(
                    FaultKind::ContactorStuckOpen,
                    format!("feedback still open {ms} ms after the close command"),
                )
            } else {
                Fault::with_detail(
                    FaultKind::ContactorWelded,
                    format!("feedback still closed {ms} ms after the open command"),
                )
            });
        }
        if self.lock_commanded_since.is_some() && io.locked {
            self.lock_reached = true;
        }
        if self.commanded && !io.locked {
            found.push(Fault::new(FaultKind::LockLost));
        } else if let (Some(t), false) = (self.lock_commanded_since, self.lock_reached) {
            let waited = now.saturating_since(t);
            if !io.locked && waited >= deadlines.lock_feedback_deadline {
                found.push(Fault::with_detail(
                    FaultKind::LockNotReached,
                    format!(
                        "not locked {} ms after the lock command",
                        waited.as_millis()
                    ),
                ));
            }
        }
        found
    }

    /// Bring the energized output down fast: supply off at once, contactors open below
    /// [`OPEN_BELOW_A`] or after `open_deadline`. Nothing to do on a dead output.
    pub(crate) fn fast_stop(&mut self, why: FastStop, connector: u32, now: Timestamp) {
        if self.commanded && self.fast_stop.is_none() {
            tracing::warn!(connector, why = why.name(), "output energized: fast stop");
            self.fast_stop = Some((now, why));
        }
    }

    /// Override what the session asked for (`out`) with what the I/O allows, drive the
    /// outputs the session knows nothing of, and remember what was commanded.
    pub(crate) fn shape(
        &mut self,
        out: &mut HardwareOutputs,
        ctx: &ShapeContext,
        deadlines: &Supervision,
        connector: u32,
        now: Timestamp,
    ) {
        let dead = |out: &mut HardwareOutputs| {
            out.io.contactors = false;
            out.power = PowerCommand::OFF;
            out.imd_measuring = false;
        };
        // The emergency-stop chain has already cut the coils: the software does not wait for
        // the current to fall, and never closes them again while the fault stands.
        if ctx.open_now {
            dead(out);
        }
        if ctx.release_lines {
            out.io.lines = ControlLines::default();
        }
        // No close and no cable check before the lock reports locked.
        let locked = self.last.locked && !self.last.stale;
        if out.io.contactors && !self.commanded && !locked {
            dead(out);
        }
        if let Some((t, _)) = self.fast_stop {
            out.power = PowerCommand::OFF;
            out.imd_measuring = false;
            let low = ctx.current <= OPEN_BELOW_A;
            if !self.commanded || low || now.saturating_since(t) >= deadlines.open_deadline {
                out.io.contactors = false;
            }
            if !ctx.session && !out.io.contactors {
                self.fast_stop = None;
            }
        }
        self.bleeder(out, ctx, deadlines, connector, now);
        // The IMD measures this output only while it is tested or energized: a dead output's
        // relay open, so that a monitor on a joined output never sees two.
        out.io.imd_connected = out.imd_measuring || out.io.contactors;
        // The 12/24 V selection changes only while the auxiliary supply was off the step
        // before, and the supply then stays off this step: the selection is in place a step
        // before the supply switches on, and never changes under it.
        if !self.aux_on && self.aux_24v != ctx.aux_24v {
            self.aux_24v = ctx.aux_24v;
            out.io.lines.aux_power = false;
        }
        out.io.aux_supply_24v = self.aux_24v;
        self.aux_on = out.io.lines.aux_power;

        if out.io.contactors != self.commanded {
            self.commanded = out.io.contactors;
            self.commanded_since = now;
        }
        self.lock_commanded_since = match (out.io.connector_lock, self.lock_commanded_since) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(now),
            (false, _) => None,
        };
        if self.lock_commanded_since.is_none() {
            self.lock_reached = false;
        }
        self.measuring = out.imd_measuring;
    }

    /// The bleeder: engaged when the contactors opened or a cable check ended, until the
    /// cable is touch-safe or the deadline passed; never against the running supply or the
    /// insulation measurement.
    fn bleeder(
        &mut self,
        out: &mut HardwareOutputs,
        ctx: &ShapeContext,
        deadlines: &Supervision,
        connector: u32,
        now: Timestamp,
    ) {
        let opened = self.commanded && !out.io.contactors;
        let test_ended = self.measuring && !out.imd_measuring;
        if opened || test_ended {
            self.bleed_since = Some(now);
        }
        if let Some(t) = self.bleed_since {
            // A reading that is not a number is not touch-safe.
            let safe = ctx.cable_voltage < TOUCH_SAFE_V;
            let expired = now.saturating_since(t) >= deadlines.bleeder_deadline;
            if expired && !safe {
                tracing::warn!(
                    connector,
                    cable_voltage = ctx.cable_voltage,
                    deadline_ms = deadlines.bleeder_deadline.as_millis() as u64,
                    "bleeder released at its deadline with the cable above 60 V"
                );
            }
            if safe || expired || out.power.enabled {
                self.bleed_since = None;
            }
        }
        out.io.bleeder = self.bleed_since.is_some() && !out.power.enabled && !out.imd_measuring;
    }
}

/// The session's wishes as outputs (before supervision shapes them).
pub(crate) fn session_outputs(o: &charger_protocol::PlantOutputs) -> DigitalOutputs {
    DigitalOutputs {
        contactors: o.contactors_closed,
        connector_lock: o.lock_connector,
        lines: o.lines,
        ..DigitalOutputs::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const DEADLINES: Supervision = Supervision {
        contactor_feedback_deadline: Duration::from_millis(200),
        lock_feedback_deadline: Duration::from_millis(1000),
        open_deadline: Duration::from_millis(150),
        bleeder_deadline: Duration::from_millis(4000),
    };

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    fn ctx(current: f32, cable_voltage: f32) -> ShapeContext {
        ShapeContext {
            open_now: false,
            release_lines: false,
            current,
            cable_voltage,
            session: true,
            aux_24v: false,
        }
    }

    /// A session's wish: lock, contactors, supply on.
    fn energize() -> HardwareOutputs {
        let mut out = HardwareOutputs::default();
        out.io.connector_lock = true;
        out.io.contactors = true;
        out.power = PowerCommand::on(600.0, 200.0);
        out
    }

    fn inputs(locked: bool, contactors_closed: bool) -> DigitalInputs {
        DigitalInputs {
            plugged: true,
            locked,
            contactors_closed,
            ..DigitalInputs::default()
        }
    }

    /// Supervision energized at `t`: locked, contactors closed and confirmed.
    fn energized_at(t: u64) -> IoSupervision {
        let mut s = IoSupervision::new(ms(0));
        assert!(s.check(&inputs(true, false), &DEADLINES, ms(t)).is_empty());
        let mut out = energize();
        s.shape(&mut out, &ctx(0.0, 0.0), &DEADLINES, 1, ms(t));
        assert!(out.io.contactors);
        assert!(s
            .check(&inputs(true, true), &DEADLINES, ms(t + 50))
            .is_empty());
        s
    }

    fn kinds(faults: &[Fault]) -> Vec<FaultKind> {
        faults.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn feedback_that_disagrees_past_the_deadline_is_a_fault_not_before() {
        let mut s = energized_at(0);
        let mut out = energize();
        out.io.contactors = false;
        out.power = PowerCommand::OFF;
        s.shape(&mut out, &ctx(0.0, 600.0), &DEADLINES, 1, ms(1000));
        assert!(s
            .check(&inputs(true, true), &DEADLINES, ms(1199))
            .is_empty());
        let found = s.check(&inputs(true, true), &DEADLINES, ms(1200));
        assert_eq!(kinds(&found), [FaultKind::ContactorWelded]);
        // Failed to close: the close command at 0, feedback open past the deadline.
        let mut s = IoSupervision::new(ms(0));
        s.check(&inputs(true, false), &DEADLINES, ms(0));
        s.shape(&mut energize(), &ctx(0.0, 0.0), &DEADLINES, 1, ms(0));
        assert!(s
            .check(&inputs(true, false), &DEADLINES, ms(190))
            .is_empty());
        let found = s.check(&inputs(true, false), &DEADLINES, ms(200));
        assert_eq!(kinds(&found), [FaultKind::ContactorStuckOpen]);
    }

    #[test]
    fn contactors_found_closed_at_start_are_welded() {
        let mut s = IoSupervision::new(ms(5000));
        assert!(s
            .check(&inputs(false, true), &DEADLINES, ms(5100))
            .is_empty());
        let found = s.check(&inputs(false, true), &DEADLINES, ms(5200));
        assert_eq!(kinds(&found), [FaultKind::ContactorWelded]);
    }

    #[test]
    fn the_emergency_stop_chain_opening_the_contactors_is_no_failure() {
        let mut s = energized_at(0);
        let mut io = inputs(true, false);
        io.emergency_stop = true;
        assert!(s.check(&io, &DEADLINES, ms(1000)).is_empty());
    }

    #[test]
    fn a_stale_snapshot_is_judged_by_nobody_and_blocks_the_close() {
        let mut s = IoSupervision::new(ms(0));
        let mut io = inputs(true, true);
        io.stale = true;
        assert!(s.check(&io, &DEADLINES, ms(10_000)).is_empty());
        let mut out = energize();
        s.shape(&mut out, &ctx(0.0, 0.0), &DEADLINES, 1, ms(10_000));
        assert!(!out.io.contactors && !out.power.enabled);
    }

    #[test]
    fn no_close_without_lock_feedback_then_a_lock_fault_at_the_deadline() {
        let mut s = IoSupervision::new(ms(0));
        for t in (0..1000).step_by(10) {
            assert!(s.check(&inputs(false, false), &DEADLINES, ms(t)).is_empty());
            let mut out = energize();
            out.imd_measuring = true;
            s.shape(&mut out, &ctx(0.0, 0.0), &DEADLINES, 1, ms(t));
            assert!(!out.io.contactors && !out.power.enabled && !out.imd_measuring);
            assert!(out.io.connector_lock, "the lock is still driven");
        }
        let found = s.check(&inputs(false, false), &DEADLINES, ms(1000));
        assert_eq!(kinds(&found), [FaultKind::LockNotReached]);
    }

    #[test]
    fn lock_feedback_lost_while_energized() {
        let mut s = energized_at(0);
        let found = s.check(&inputs(false, true), &DEADLINES, ms(500));
        assert_eq!(kinds(&found), [FaultKind::LockLost]);
        // Opened, the lock still commanded and its feedback still lost: a lock that was
        // reached and lost, not one that never locked.
        let mut out = energize();
        out.io.contactors = false;
        s.shape(&mut out, &ctx(0.0, 0.0), &DEADLINES, 1, ms(500));
        assert!(s
            .check(&inputs(false, false), &DEADLINES, ms(5000))
            .is_empty());
    }

    /// The fast stop: supply off at once; contactors open below 5 A, or at the deadline when
    /// the current does not fall (a supply that ignores its command); never closed again.
    #[test]
    fn a_fast_stop_opens_below_five_amperes_or_at_the_deadline() {
        let mut s = energized_at(0);
        s.fast_stop(FastStop::PlugLost, 1, ms(1000));
        for t in (1000..1150).step_by(10) {
            let mut out = energize();
            s.shape(&mut out, &ctx(200.0, 600.0), &DEADLINES, 1, ms(t));
            assert!(!out.power.enabled, "supply on at {t}");
            assert!(
                out.io.contactors,
                "opened under 200 A at {t}, before the deadline"
            );
        }
        let mut out = energize();
        s.shape(&mut out, &ctx(200.0, 600.0), &DEADLINES, 1, ms(1150));
        assert!(!out.io.contactors, "still closed at the deadline");
        let mut out = energize();
        s.shape(&mut out, &ctx(0.0, 600.0), &DEADLINES, 1, ms(1160));
        assert!(!out.io.contactors, "closed again");

        let mut s = energized_at(0);
        s.fast_stop(FastStop::LockLost, 1, ms(1000));
        let mut out = energize();
        s.shape(&mut out, &ctx(4.0, 600.0), &DEADLINES, 1, ms(1010));
        assert!(!out.io.contactors, "4 A is below the threshold");
    }

    #[test]
    fn a_fast_stop_does_nothing_to_a_dead_output() {
        let mut s = IoSupervision::new(ms(0));
        s.fast_stop(FastStop::PlugLost, 1, ms(10));
        assert!(s.fast_stop.is_none());
    }

    #[test]
    fn open_now_opens_in_this_step_and_releases_lines_when_asked() {
        let mut s = energized_at(0);
        let mut out = energize();
        out.io.lines.sequence_1 = true;
        let c = ShapeContext {
            open_now: true,
            release_lines: true,
            ..ctx(250.0, 600.0)
        };
        s.shape(&mut out, &c, &DEADLINES, 1, ms(1000));
        assert!(!out.io.contactors && !out.power.enabled);
        assert_eq!(out.io.lines, ControlLines::default());
        assert!(out.io.bleeder, "the bleeder follows the opening");
    }

    #[test]
    fn the_bleeder_stops_below_sixty_volts_or_at_its_deadline() {
        let mut s = energized_at(0);
        let mut out = energize();
        out.io.contactors = false;
        out.power = PowerCommand::OFF;
        s.shape(&mut out, &ctx(0.0, 600.0), &DEADLINES, 1, ms(1000));
        assert!(out.io.bleeder);
        let mut idle = HardwareOutputs::default();
        s.shape(&mut idle, &ctx(0.0, 61.0), &DEADLINES, 1, ms(1500));
        assert!(idle.io.bleeder);
        let mut idle = HardwareOutputs::default();
        s.shape(&mut idle, &ctx(0.0, 59.0), &DEADLINES, 1, ms(1600));
        assert!(!idle.io.bleeder, "touch-safe");
        // A cable that does not fall: released at the deadline (the resistor's duty).
        let mut s = energized_at(0);
        let mut out = HardwareOutputs::default();
        s.shape(&mut out, &ctx(0.0, 600.0), &DEADLINES, 1, ms(1000));
        let mut out = HardwareOutputs::default();
        s.shape(&mut out, &ctx(0.0, f32::NAN), &DEADLINES, 1, ms(4990));
        assert!(out.io.bleeder, "NaN is not touch-safe");
        let mut out = HardwareOutputs::default();
        s.shape(&mut out, &ctx(0.0, 600.0), &DEADLINES, 1, ms(5000));
        assert!(!out.io.bleeder);
    }

    #[test]
    fn the_aux_supply_voltage_never_changes_while_it_is_on() {
        let mut s = IoSupervision::new(ms(0));
        let aux = |on: bool| {
            let mut out = HardwareOutputs::default();
            out.io.lines.aux_power = on;
            out
        };
        let c24 = ShapeContext {
            aux_24v: true,
            ..ctx(0.0, 0.0)
        };
        let c12 = ctx(0.0, 0.0);
        let mut out = aux(false);
        s.shape(&mut out, &c24, &DEADLINES, 1, ms(0));
        assert!(out.io.aux_supply_24v && !out.io.lines.aux_power);
        let mut out = aux(true);
        s.shape(&mut out, &c24, &DEADLINES, 1, ms(10));
        assert!(out.io.aux_supply_24v && out.io.lines.aux_power);
        // A different selection while on: kept as it was.
        let mut out = aux(true);
        s.shape(&mut out, &c12, &DEADLINES, 1, ms(20));
        assert!(out.io.aux_supply_24v && out.io.lines.aux_power);
        // Off: the new selection takes effect a step later (not in the step that switches the
        // supply off); switched on in the same step it changed, the supply waits one step.
        let mut out = aux(false);
        s.shape(&mut out, &c12, &DEADLINES, 1, ms(30));
        assert!(out.io.aux_supply_24v);
        let mut out = aux(false);
        s.shape(&mut out, &c12, &DEADLINES, 1, ms(40));
        assert!(!out.io.aux_supply_24v);
        let mut s = IoSupervision::new(ms(0));
        let mut out = aux(false);
        s.shape(&mut out, &c12, &DEADLINES, 1, ms(0));
        let mut out = aux(true);
        s.shape(&mut out, &c24, &DEADLINES, 1, ms(10));
        assert!(!out.io.lines.aux_power && out.io.aux_supply_24v);
        let mut out = aux(true);
        s.shape(&mut out, &c24, &DEADLINES, 1, ms(20));
        assert!(out.io.lines.aux_power && out.io.aux_supply_24v);
    }
}
