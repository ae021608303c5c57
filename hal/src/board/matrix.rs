//! The pool's switching matrix on the board's I/O: each contactor's coil an output point and
//! its auxiliary (feedback) contact an input point of a [`LineSource`] (GPIO chip, Modbus I/O
//! module), as the [`SwitchingMatrix`] the module pool drives.
//!
//! Like [`super::BoardIo`] nothing here waits on a device: [`SwitchingMatrix::set`] hands the
//! coil's level to its source, whose task writes it; [`SwitchingMatrix::step`] (once per
//! station step, before the pool reads the feedback) takes each feedback point's cached
//! reading and keeps it only while it is younger than the contactor's deadline
//! ([`fresh_feedback`], pure). A feedback that is stale, never read, or not a digital level
//! reads `None`: the pool treats that as "not known open" (it neither switches current
//! through the contactor nor counts it as open), so a lost feedback can never make a closed
//! contactor look open.

use std::sync::Arc;
use std::time::Duration;

use charger_protocol::Timestamp;

use super::{input_status, missed_deadline, output_status};
use crate::io::{LineSource, LineStatus, PointReading, PointValue};
use crate::module::SwitchingMatrix;

/// One matrix contactor's lines.
#[derive(Debug, Clone)]
pub struct MatrixContactorLines {
    /// The source of the coil's output point.
    pub coil_source: Arc<dyn LineSource>,
    pub coil_point: String,
    /// The source of the auxiliary contact's input point.
    pub feedback_source: Arc<dyn LineSource>,
    pub feedback_point: String,
    /// Older feedback readings are not believed.
    pub feedback_deadline: Duration,
}

/// What a feedback reading says at `now`: its level while it is within `deadline`, else
/// (none yet, too old, an analog point) `None`.
pub fn fresh_feedback(
    reading: Option<PointReading>,
    deadline: Duration,
    now: Timestamp,
) -> Option<bool> {
    if missed_deadline(reading.as_ref(), deadline, now) {
        return None;
    }
    match reading?.value {
        PointValue::Level(level) => Some(level),
        // A configuration the checks refuse; no level can be believed from it.
        PointValue::Analog(_) => None,
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct BoardMatrix {
    contactors: Vec<MatrixContactorLines>,
    /// Each contactor's feedback at the last step.
    feedback: Vec<Option<bool>>,
    /// Each coil's last command handed to its source; `None` before the first.
    written: Vec<Option<bool>>,
    /// Each coil whose last command its source refused (logged once until it accepts, and
    /// handed again at every `set` until then).
    refused: Vec<bool>,
    /// Whether each contactor's feedback was known at the last step (for the log only).
    known: Vec<bool>,
}

impl BoardMatrix {
    /// The matrix with `contactors` in the configured order (the pool's contactor indices).
    /// Until the first [`step`](SwitchingMatrix::step) every feedback is unknown.
    pub fn new(contactors: Vec<MatrixContactorLines>) -> Self {
        let n = contactors.len();
        BoardMatrix {
            contactors,
            feedback: vec![None; n],
            written: vec![None; n],
            refused: vec![false; n],
            // Unknown until the first readings is expected, not worth a warning (a source
            // that cannot be opened logs that itself); losing a known feedback is.
            known: vec![false; n],
        }
    }

    /// How many contactors the matrix has.
    pub fn len(&self) -> usize {
        self.contactors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contactors.is_empty()
    }
}

impl SwitchingMatrix for BoardMatrix {
    fn set(&mut self, index: usize, closed: bool, _now: Timestamp) {
        let Some(c) = self.contactors.get(index) else {
            // The pool's topology and this matrix come from the same `[[pool.matrix]]`
            // entries; an index past them is a bug, and nothing can be switched for it.
            tracing::error!(
                contactor = index,
                contactors = self.contactors.len(),
                "matrix command for a contactor that is not configured"
            );
            return;
        };
        let refused = self.refused.get(index).copied().unwrap_or(false);
        if self.written.get(index).copied().flatten() == Some(closed) && !refused {
            return;
        }
        match c.coil_source.set_output(&c.coil_point, closed) {
            Ok(()) => {
                if refused {
                    tracing::info!(contactor = index, point = %c.coil_point,
                        "matrix coil command accepted again");
                }
                if let Some(r) = self.refused.get_mut(index) {
                    *r = false;
                }
            }
            Err(e) => {
                if !refused {
                    tracing::error!(contactor = index, point = %c.coil_point, closed,
                        error = %e, "matrix coil command refused");
                }
                if let Some(r) = self.refused.get_mut(index) {
                    *r = true;
                }
            }
        }
        if let Some(w) = self.written.get_mut(index) {
            *w = Some(closed);
        }
    }

    fn feedback(&self, index: usize) -> Option<bool> {
        self.feedback.get(index).copied().flatten()
    }

    fn lines(&self, now: Timestamp) -> Vec<LineStatus> {
        let mut lines = Vec::with_capacity(self.contactors.len() * 2);
        for (i, c) in self.contactors.iter().enumerate() {
            lines.push(output_status(
                format!("pool.matrix[{i}].coil"),
                c.coil_source.as_ref(),
                &c.coil_point,
                self.written.get(i).copied().flatten(),
            ));
            lines.push(input_status(
                format!("pool.matrix[{i}].feedback"),
                c.feedback_source.as_ref(),
                &c.feedback_point,
                c.feedback_deadline,
                now,
            ));
        }
        lines
    }

    fn step(&mut self, now: Timestamp) {
        for (i, c) in self.contactors.iter().enumerate() {
            let reading = c.feedback_source.input(&c.feedback_point);
            let level = fresh_feedback(reading, c.feedback_deadline, now);
            let (Some(slot), Some(known)) = (self.feedback.get_mut(i), self.known.get_mut(i))
            else {
                continue;
            };
            *slot = level;
            if level.is_some() != *known {
                *known = level.is_some();
                if level.is_some() {
                    tracing::info!(contactor = i, point = %c.feedback_point,
                        "matrix feedback fresh");
                } else {
                    tracing::warn!(contactor = i, point = %c.feedback_point,
                        source = c.feedback_source.name(),
                        deadline_ms = u64::try_from(c.feedback_deadline.as_millis()).unwrap_or(u64::MAX),
                        last_error = ?c.feedback_source.last_error(),
                        "matrix feedback unknown (stale or unreadable)");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::board::test_source::Points;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    fn lines(points: &Arc<Points>, coil: &str, feedback: &str) -> MatrixContactorLines {
        let source: Arc<dyn LineSource> = points.clone();
        MatrixContactorLines {
            coil_source: Arc::clone(&source),
            coil_point: coil.into(),
            feedback_source: source,
            feedback_point: feedback.into(),
            feedback_deadline: Duration::from_millis(100),
        }
    }

    fn two(points: &Arc<Points>) -> BoardMatrix {
        BoardMatrix::new(vec![
            lines(points, "M1_C1", "M1_C1_AUX"),
            lines(points, "M2_C1", "M2_C1_AUX"),
        ])
    }

    #[test]
    fn a_feedback_is_its_level_only_within_its_deadline() {
        let level = |v, at| {
            Some(PointReading {
                value: PointValue::Level(v),
                at: ms(at),
            })
        };
        let d = Duration::from_millis(100);
        assert_eq!(fresh_feedback(level(true, 1000), d, ms(1100)), Some(true));
        assert_eq!(fresh_feedback(level(false, 1000), d, ms(1100)), Some(false));
        assert_eq!(fresh_feedback(level(true, 1000), d, ms(1101)), None);
        assert_eq!(fresh_feedback(None, d, ms(0)), None);
        let analog = Some(PointReading {
            value: PointValue::Analog(1.0),
            at: ms(1000),
        });
        assert_eq!(fresh_feedback(analog, d, ms(1000)), None);
    }

    #[test]
    fn each_coil_command_is_handed_to_its_point_once_per_change() {
        let points = Arc::new(Points::default());
        let mut m = two(&points);
        assert_eq!(m.len(), 2);
        m.set(0, false, ms(0));
        m.set(1, false, ms(0));
        m.set(0, false, ms(10));
        m.set(0, true, ms(20));
        m.set(0, true, ms(30));
        m.set(1, true, ms(30));
        m.set(0, false, ms(40));
        assert_eq!(
            points.commands(),
            [
                ("M1_C1".to_string(), false),
                ("M2_C1".to_string(), false),
                ("M1_C1".to_string(), true),
                ("M2_C1".to_string(), true),
                ("M1_C1".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_refused_coil_command_is_handed_again_until_accepted() {
        let points = Arc::new(Points::default());
        let mut m = two(&points);
        *points.down.lock().unwrap() = true;
        m.set(0, true, ms(0));
        m.set(0, true, ms(10));
        assert!(points.commands().is_empty());
        *points.down.lock().unwrap() = false;
        m.set(0, true, ms(20));
        m.set(0, true, ms(30));
        assert_eq!(points.commands(), [("M1_C1".to_string(), true)]);
    }

    #[test]
    fn feedback_is_known_only_from_a_fresh_reading_at_the_last_step() {
        let points = Arc::new(Points::default());
        let mut m = two(&points);
        // Before any step, and after one without readings: unknown.
        assert_eq!(m.feedback(0), None);
        m.step(ms(0));
        assert_eq!((m.feedback(0), m.feedback(1)), (None, None));
        points.read("M1_C1_AUX", PointValue::Level(true), 10);
        points.read("M2_C1_AUX", PointValue::Level(false), 10);
        // Read before the step that takes it: still what the last step saw.
        assert_eq!(m.feedback(0), None);
        m.step(ms(20));
        assert_eq!((m.feedback(0), m.feedback(1)), (Some(true), Some(false)));
        // Exactly at the deadline still fresh; one millisecond later unknown, not "open".
        m.step(ms(110));
        assert_eq!(m.feedback(0), Some(true));
        points.read("M2_C1_AUX", PointValue::Level(false), 105);
        m.step(ms(111));
        assert_eq!((m.feedback(0), m.feedback(1)), (None, Some(false)));
        // The source answers again.
        points.read("M1_C1_AUX", PointValue::Level(false), 150);
        m.step(ms(160));
        assert_eq!(m.feedback(0), Some(false));
    }

    #[test]
    fn an_unknown_point_or_index_switches_nothing_and_reads_unknown() {
        let points = Arc::new(Points::default());
        let mut m = BoardMatrix::new(vec![lines(&points, "missing", "NO_SUCH_AUX")]);
        m.set(0, true, ms(0));
        m.set(0, true, ms(10));
        // A contactor the matrix does not have.
        m.set(5, true, ms(10));
        assert!(points.commands().is_empty());
        m.step(ms(20));
        assert_eq!(m.feedback(0), None);
        assert_eq!(m.feedback(5), None);
        // An analog reading on a feedback point is no level.
        points.read("NO_SUCH_AUX", PointValue::Analog(24.0), 20);
        m.step(ms(30));
        assert_eq!(m.feedback(0), None);
    }
}
