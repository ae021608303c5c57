//! One connector's board I/O: its logical lines mapped onto the points of [`LineSource`]s
//! (GPIO chips, IIO ADCs, Modbus I/O modules), as the [`DigitalIo`] the station drives; and
//! the pool's matrix contactors on the same sources ([`matrix`]).
//!
//! The station's step reads a snapshot and writes commands; neither waits on a device. Before
//! each step the connector's hardware calls [`BoardIo::refresh`] with the station's `now`,
//! which assembles the snapshot from the sources' cached readings ([`assemble`], pure).
//!
//! **Supervision.** Every mapped input has a deadline: a reading older than it — or none at
//! all, as with a chip that could not be opened — makes the snapshot
//! [`stale`](DigitalInputs::stale), and the station treats that as a fault. So does a CC1 or
//! proximity voltage in no band ([`Connection::Fault`]). A stale input keeps its last known
//! level; an input that never had a reading reads its fail-safe level: the emergency stop
//! open (pressed), no vehicle, no permission, not locked, contactors not closed.
//!
//! **Unmapped inputs.** The emergency stop and the vehicle detection must be mapped (the
//! configuration checks it). A cabinet without contactor auxiliary contacts or lock feedback
//! leaves those unmapped; they then read what was last commanded — there is no sensor whose
//! disagreement could be detected, and the configuration says so explicitly by leaving it out.

use std::sync::Arc;
use std::time::Duration;

pub mod connector;
pub mod matrix;
pub use connector::{BoardConnector, ReopeningCan};
pub use matrix::{BoardMatrix, MatrixContactorLines};

use charger_protocol::Timestamp;

use crate::analog::classify::{Classifier, Connection, Thresholds};
use crate::io::{
    DigitalInputs, DigitalIo, DigitalOutputs, LineSource, LineStatus, PointReading, PointValue,
};

/// An input line of one connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputLine {
    Plugged,
    VehiclePermission,
    EmergencyStop,
    Locked,
    ContactorsClosed,
}

impl InputLine {
    pub const ALL: [InputLine; 5] = [
        InputLine::Plugged,
        InputLine::VehiclePermission,
        InputLine::EmergencyStop,
        InputLine::Locked,
        InputLine::ContactorsClosed,
    ];

    /// The key in a connector's `io` table.
    pub fn key(self) -> &'static str {
        match self {
            InputLine::Plugged => "plugged",
            InputLine::VehiclePermission => "vehicle_permission",
            InputLine::EmergencyStop => "emergency_stop",
            InputLine::Locked => "locked",
            InputLine::ContactorsClosed => "contactors_closed",
        }
    }

    /// The level assumed before any reading: the one that lets nothing be energized.
    fn fail_safe(self) -> bool {
        matches!(self, InputLine::EmergencyStop)
    }

    fn set(self, inputs: &mut DigitalInputs, level: bool) {
        match self {
            InputLine::Plugged => inputs.plugged = level,
            InputLine::VehiclePermission => inputs.vehicle_permission = level,
            InputLine::EmergencyStop => inputs.emergency_stop = level,
            InputLine::Locked => inputs.locked = level,
            InputLine::ContactorsClosed => inputs.contactors_closed = level,
        }
    }
}

/// An output line of one connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutputLine {
    Contactors,
    ConnectorLock,
    /// CHAdeMO d1.
    Sequence1,
    /// CHAdeMO d2.
    Sequence2,
    /// GB/T K3/K4.
    AuxPower,
    AuxSupply24v,
    Bleeder,
    ImdConnected,
}

impl OutputLine {
    pub const ALL: [OutputLine; 8] = [
        OutputLine::Contactors,
        OutputLine::ConnectorLock,
        OutputLine::Sequence1,
        OutputLine::Sequence2,
        OutputLine::AuxPower,
        OutputLine::AuxSupply24v,
        OutputLine::Bleeder,
        OutputLine::ImdConnected,
    ];

    /// The line whose key is `key`.
    pub fn from_key(key: &str) -> Option<OutputLine> {
        Self::ALL.into_iter().find(|l| l.key() == key)
    }

    pub fn key(self) -> &'static str {
        match self {
            OutputLine::Contactors => "contactors",
            OutputLine::ConnectorLock => "connector_lock",
            OutputLine::Sequence1 => "d1",
            OutputLine::Sequence2 => "d2",
            OutputLine::AuxPower => "aux_power",
            OutputLine::AuxSupply24v => "aux_supply_24v",
            OutputLine::Bleeder => "bleeder",
            OutputLine::ImdConnected => "imd_connected",
        }
    }

    fn set(self, o: &mut DigitalOutputs, level: bool) {
        match self {
            OutputLine::Contactors => o.contactors = level,
            OutputLine::ConnectorLock => o.connector_lock = level,
            OutputLine::Sequence1 => o.lines.sequence_1 = level,
            OutputLine::Sequence2 => o.lines.sequence_2 = level,
            OutputLine::AuxPower => o.lines.aux_power = level,
            OutputLine::AuxSupply24v => o.aux_supply_24v = level,
            OutputLine::Bleeder => o.bleeder = level,
            OutputLine::ImdConnected => o.imd_connected = level,
        }
    }

    pub fn level(self, o: &DigitalOutputs) -> bool {
        match self {
            OutputLine::Contactors => o.contactors,
            OutputLine::ConnectorLock => o.connector_lock,
            OutputLine::Sequence1 => o.lines.sequence_1,
            OutputLine::Sequence2 => o.lines.sequence_2,
            OutputLine::AuxPower => o.lines.aux_power,
            OutputLine::AuxSupply24v => o.aux_supply_24v,
            OutputLine::Bleeder => o.bleeder,
            OutputLine::ImdConnected => o.imd_connected,
        }
    }
}

/// How an input's reading becomes a level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputKind {
    /// A digital point.
    Level,
    /// An analog detection voltage (CC1, proximity), classified; only for `plugged`.
    Detection(Thresholds),
}

/// One mapped input.
#[derive(Debug, Clone)]
pub struct InputMapping {
    pub line: InputLine,
    pub source: Arc<dyn LineSource>,
    pub point: String,
    pub kind: InputKind,
    /// The supervision deadline: older readings make the snapshot stale.
    pub deadline: Duration,
}

/// One mapped output.
#[derive(Debug, Clone)]
pub struct OutputMapping {
    pub line: OutputLine,
    pub source: Arc<dyn LineSource>,
    pub point: String,
}

/// One input's reading as [`assemble`] sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputSample {
    pub line: InputLine,
    pub kind: InputKind,
    pub deadline: Duration,
    pub reading: Option<PointReading>,
}

/// An input line as `chargerctl hw` shows it: its latest reading (peeked, never taken from the
/// station), its age and whether it missed `deadline` at `now`, and its source's last error.
pub fn input_status(
    key: String,
    source: &dyn LineSource,
    point: &str,
    deadline: Duration,
    now: Timestamp,
) -> LineStatus {
    let reading = source.peek(point);
    LineStatus {
        key,
        output: false,
        source: source.name().to_string(),
        point: point.to_string(),
        value: reading.map(|r| r.value),
        age_ms: reading.map(|r| u64::try_from((now - r.at).as_millis()).unwrap_or(u64::MAX)),
        late: missed_deadline(reading.as_ref(), deadline, now),
        detection: None,
        error: source.last_error(),
    }
}

/// An output line as `chargerctl hw` shows it: its last command (`None` before the first) and
/// its source's last error.
pub fn output_status(
    key: String,
    source: &dyn LineSource,
    point: &str,
    commanded: Option<bool>,
) -> LineStatus {
    LineStatus {
        key,
        output: true,
        source: source.name().to_string(),
        point: point.to_string(),
        value: commanded.map(PointValue::Level),
        age_ms: None,
        late: false,
        detection: None,
        error: source.last_error(),
    }
}

/// Whether a reading misses its deadline at `now`: none yet, or older than the deadline.
pub fn missed_deadline(reading: Option<&PointReading>, deadline: Duration, now: Timestamp) -> bool {
    reading.is_none_or(|r| now - r.at > deadline)
}

/// The snapshot at `now` from each mapped input's latest reading (a stale one is the last
/// known); `commanded` is the outputs last written (what unmapped feedback inputs read),
/// `detection` the classifier's state. Unmapped inputs other than the feedback read false.
pub fn assemble(
    samples: &[InputSample],
    commanded: &DigitalOutputs,
    detection: Classifier,
    now: Timestamp,
) -> (DigitalInputs, Classifier) {
    let mut inputs = DigitalInputs {
        locked: commanded.connector_lock,
        contactors_closed: commanded.contactors,
        ..DigitalInputs::default()
    };
    let mut classifier = detection;
    for s in samples {
        if missed_deadline(s.reading.as_ref(), s.deadline, now) {
            inputs.stale = true;
        }
        let Some(reading) = s.reading else {
            s.line.set(&mut inputs, s.line.fail_safe());
            continue;
        };
        match (s.kind, reading.value) {
            (InputKind::Level, PointValue::Level(level)) => s.line.set(&mut inputs, level),
            (InputKind::Detection(t), PointValue::Analog(volts)) => {
                // The same reading twice is the same evidence, not a longer excursion.
                classifier = classifier.next(volts, reading.at, &t);
                // A detection fault is stale inputs (below), not an unplug: the vehicle is
                // where it was last seen, so a broken wire never clears what a re-plug must.
                s.line.set(&mut inputs, t.plugged(classifier.last_known()));
                if classifier.state == Connection::Fault {
                    inputs.stale = true;
                }
            }
            // A point of the wrong kind (a configuration the checks should have refused):
            // no value can be believed.
            _ => {
                inputs.stale = true;
                s.line.set(&mut inputs, s.line.fail_safe());
            }
        }
    }
    (inputs, classifier)
}

/// See the module documentation.
#[derive(Debug)]
pub struct BoardIo {
    connector: u32,
    inputs: Vec<InputMapping>,
    outputs: Vec<OutputMapping>,
    snapshot: DigitalInputs,
    detection: Classifier,
    /// The last commands handed to the sources; `None` before the first write.
    written: Option<DigitalOutputs>,
    /// The outputs whose last command a source refused (logged once until it accepts).
    refused: Vec<OutputLine>,
}

impl BoardIo {
    /// The board I/O of connector `connector`. Until the first [`refresh`](Self::refresh)
    /// the snapshot is stale with every input at its fail-safe level.
    pub fn new(connector: u32, inputs: Vec<InputMapping>, outputs: Vec<OutputMapping>) -> Self {
        let mut io = BoardIo {
            connector,
            inputs,
            outputs,
            snapshot: DigitalInputs::default(),
            detection: Classifier::default(),
            written: None,
            refused: Vec::new(),
        };
        io.snapshot.stale = true;
        io.snapshot.emergency_stop = true;
        io
    }

    /// The snapshot at `now` from the sources' latest readings (once per station step).
    pub fn refresh(&mut self, now: Timestamp) {
        let samples: Vec<InputSample> = self
            .inputs
            .iter()
            .map(|m| InputSample {
                line: m.line,
                kind: m.kind,
                deadline: m.deadline,
                reading: m.source.input(&m.point),
            })
            .collect();
        let commanded = self.written.unwrap_or_default();
        let (snapshot, detection) = assemble(&samples, &commanded, self.detection, now);
        if snapshot.stale && !self.snapshot.stale {
            let late: Vec<&str> = samples
                .iter()
                .filter(|s| missed_deadline(s.reading.as_ref(), s.deadline, now))
                .map(|s| s.line.key())
                .collect();
            tracing::warn!(connector = self.connector, late = ?late, detection = ?detection.state,
                "board inputs stale");
        } else if !snapshot.stale && self.snapshot.stale {
            tracing::info!(connector = self.connector, "board inputs fresh");
        }
        self.snapshot = snapshot;
        self.detection = detection;
    }

    /// The CC1 / proximity classifier's state (`chargerctl hw`).
    pub fn detection(&self) -> Connection {
        self.detection.state
    }

    /// What the board's terminals carry: the last command of each mapped output that its
    /// source took and is serving; at rest a line the configuration does not map (nothing
    /// drives it), one whose command the source refused, and one whose source reports an
    /// error now (a module whose link is down drops its relays on its own timeout). `None`
    /// before the first write.
    pub fn on_the_terminals(&self) -> Option<DigitalOutputs> {
        let written = self.written?;
        let mut terminals = DigitalOutputs::default();
        for m in &self.outputs {
            let driven = !self.refused.contains(&m.line) && m.source.last_error().is_none();
            m.line.set(&mut terminals, driven && m.line.level(&written));
        }
        Some(terminals)
    }
}

impl DigitalIo for BoardIo {
    fn write(&mut self, outputs: &DigitalOutputs) {
        let previous = self.written;
        for m in &self.outputs {
            let level = m.line.level(outputs);
            if previous.is_some_and(|p| m.line.level(&p) == level)
                && !self.refused.contains(&m.line)
            {
                continue;
            }
            match m.source.set_output(&m.point, level) {
                Ok(()) => self.refused.retain(|l| *l != m.line),
                Err(e) => {
                    if !self.refused.contains(&m.line) {
                        tracing::error!(connector = self.connector, line = m.line.key(),
                            error = %e, "output command refused");
                        self.refused.push(m.line);
                    }
                }
            }
        }
        self.written = Some(*outputs);
    }

    fn read(&self) -> DigitalInputs {
        self.snapshot
    }

    fn lines(&self, now: Timestamp) -> Vec<LineStatus> {
        let inputs = self.inputs.iter().map(|m| LineStatus {
            detection: matches!(m.kind, InputKind::Detection(_))
                .then(|| format!("{:?}", self.detection.state)),
            ..input_status(
                m.line.key().to_string(),
                m.source.as_ref(),
                &m.point,
                m.deadline,
                now,
            )
        });
        let outputs = self.outputs.iter().map(|m| {
            output_status(
                m.line.key().to_string(),
                m.source.as_ref(),
                &m.point,
                self.written.map(|w| m.line.level(&w)),
            )
        });
        inputs.chain(outputs).collect()
    }
}

/// A [`LineSource`] for the tests of the board's I/O and matrix.
#[cfg(test)]
pub(crate) mod test_source {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use charger_protocol::Timestamp;

    use crate::io::{LineError, LineSource, PointReading, PointValue};

    /// A LineSource whose inputs the test sets and whose output commands it records; a point
    /// named "missing" does not exist, and `down` refuses every command.
    #[derive(Debug, Default)]
    pub(crate) struct Points {
        inputs: Mutex<BTreeMap<String, PointReading>>,
        commands: Mutex<Vec<(String, bool)>>,
        pub(crate) down: Mutex<bool>,
    }

    impl Points {
        pub(crate) fn read(&self, point: &str, value: PointValue, at: u64) {
            self.inputs.lock().unwrap().insert(
                point.into(),
                PointReading {
                    value,
                    at: Timestamp::from_millis(at),
                },
            );
        }
        pub(crate) fn commands(&self) -> Vec<(String, bool)> {
            self.commands.lock().unwrap().clone()
        }
    }

    impl LineSource for Points {
        fn name(&self) -> &str {
            "points"
        }
        fn input(&self, point: &str) -> Option<PointReading> {
            self.inputs.lock().unwrap().get(point).copied()
        }
        fn set_output(&self, point: &str, level: bool) -> Result<(), LineError> {
            if point == "missing" {
                return Err(LineError::UnknownPoint {
                    source_name: "points".into(),
                    point: point.into(),
                });
            }
            if *self.down.lock().unwrap() {
                return Err(LineError::Device {
                    source_name: "points".into(),
                    reason: "not answering".into(),
                });
            }
            self.commands.lock().unwrap().push((point.into(), level));
            Ok(())
        }
        fn last_error(&self) -> Option<String> {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::test_source::Points;
    use super::*;

    fn ms(v: u64) -> Timestamp {
        Timestamp::from_millis(v)
    }

    fn level(v: bool, at: u64) -> Option<PointReading> {
        Some(PointReading {
            value: PointValue::Level(v),
            at: ms(at),
        })
    }

    fn volts(v: f32, at: u64) -> Option<PointReading> {
        Some(PointReading {
            value: PointValue::Analog(v),
            at: ms(at),
        })
    }

    fn sample(line: InputLine, reading: Option<PointReading>) -> InputSample {
        InputSample {
            line,
            kind: InputKind::Level,
            deadline: Duration::from_millis(100),
            reading,
        }
    }

    fn cc1(reading: Option<PointReading>) -> InputSample {
        InputSample {
            line: InputLine::Plugged,
            kind: InputKind::Detection(Thresholds::GBT_CC1),
            deadline: Duration::from_millis(100),
            reading,
        }
    }

    fn at(samples: &[InputSample], now: u64) -> DigitalInputs {
        assemble(
            samples,
            &DigitalOutputs::default(),
            Classifier::default(),
            ms(now),
        )
        .0
    }

    #[test]
    fn an_input_older_than_its_deadline_makes_the_snapshot_stale_with_its_last_level() {
        let samples = [
            sample(InputLine::EmergencyStop, level(false, 1000)),
            sample(InputLine::Plugged, level(true, 1050)),
        ];
        // The e-stop read 100 ms ago: exactly at its deadline, still fresh.
        let fresh = at(&samples, 1100);
        assert!(!fresh.stale && fresh.plugged && !fresh.emergency_stop);
        // One millisecond later it missed it; the levels are the last known.
        let stale = at(&samples, 1101);
        assert!(stale.stale && stale.plugged && !stale.emergency_stop);
        assert!(missed_deadline(
            samples[0].reading.as_ref(),
            Duration::from_millis(100),
            ms(1101)
        ));
        assert!(!missed_deadline(
            samples[1].reading.as_ref(),
            Duration::from_millis(100),
            ms(1101)
        ));
    }

    #[test]
    fn an_input_never_read_is_stale_and_reads_its_fail_safe_level() {
        let s = at(
            &[
                sample(InputLine::EmergencyStop, None),
                sample(InputLine::Plugged, None),
                sample(InputLine::VehiclePermission, None),
            ],
            0,
        );
        assert!(s.stale);
        assert!(s.emergency_stop, "an e-stop never read counts as pressed");
        assert!(!s.plugged && !s.vehicle_permission);
    }

    #[test]
    fn cc1_is_plugged_only_latched_and_a_voltage_in_no_band_is_stale() {
        let mut c = Classifier::default();
        let mut step = |reading, now| {
            let (s, next) = assemble(&[cc1(reading)], &DigitalOutputs::default(), c, ms(now));
            c = next;
            s
        };
        let s = step(volts(12.0, 0), 10);
        assert!(!s.plugged && !s.stale);
        let s = step(volts(6.0, 100), 110);
        assert!(!s.plugged && !s.stale, "inserted, not latched");
        let s = step(volts(4.0, 200), 210);
        assert!(s.plugged && !s.stale);
        // The wire breaks: 0 V. Latched holds for the transit time, then a fault: stale (the
        // station stops on it), and the truck still counts as plugged: a broken wire is not an
        // unplug, which would clear what only a real re-plug may.
        let s = step(volts(0.0, 300), 310);
        assert!(s.plugged && !s.stale);
        let s = step(volts(0.0, 500), 510);
        assert!(s.plugged && s.stale);
        // Repaired, and the truck really leaves.
        let s = step(volts(12.0, 600), 610);
        assert!(!s.plugged && !s.stale);
    }

    #[test]
    fn unmapped_feedback_reads_the_command_and_mapped_feedback_its_sensor() {
        let commanded = DigitalOutputs {
            contactors: true,
            connector_lock: true,
            ..DigitalOutputs::default()
        };
        let base = [sample(InputLine::EmergencyStop, level(false, 0))];
        let (s, _) = assemble(&base, &commanded, Classifier::default(), ms(10));
        assert!(s.contactors_closed && s.locked && !s.stale);
        let mut mapped = base.to_vec();
        mapped.push(sample(InputLine::ContactorsClosed, level(false, 5)));
        let (s, _) = assemble(&mapped, &commanded, Classifier::default(), ms(10));
        assert!(
            !s.contactors_closed,
            "the auxiliary contact says open: a failed close"
        );
        assert!(s.locked);
    }

    #[test]
    fn a_point_of_the_wrong_kind_is_stale_not_a_value() {
        let s = at(&[sample(InputLine::EmergencyStop, volts(0.0, 0))], 0);
        assert!(s.stale && s.emergency_stop);
    }

    #[test]
    fn board_io_refreshes_from_its_sources_and_writes_outputs_on_change() {
        let points = Arc::new(Points::default());
        let source: Arc<dyn LineSource> = points.clone();
        let mut io = BoardIo::new(
            1,
            vec![InputMapping {
                line: InputLine::EmergencyStop,
                source: Arc::clone(&source),
                point: "estop".into(),
                kind: InputKind::Level,
                deadline: Duration::from_millis(100),
            }],
            vec![
                OutputMapping {
                    line: OutputLine::Contactors,
                    source: Arc::clone(&source),
                    point: "k1k2".into(),
                },
                OutputMapping {
                    line: OutputLine::Sequence1,
                    source: Arc::clone(&source),
                    point: "d1".into(),
                },
            ],
        );
        // Before any refresh: stale, e-stop pressed.
        assert!(io.read().stale && io.read().emergency_stop);
        io.refresh(ms(0));
        assert!(io.read().stale, "no reading yet");
        points.read("estop", PointValue::Level(false), 10);
        io.refresh(ms(20));
        assert!(!io.read().stale && !io.read().emergency_stop);
        io.refresh(ms(111));
        assert!(io.read().stale, "the source stopped refreshing");

        assert!(io.on_the_terminals().is_none(), "nothing driven yet");
        let mut out = DigitalOutputs::default();
        io.write(&out);
        io.write(&out);
        out.contactors = true;
        io.write(&out);
        io.write(&out);
        assert_eq!(
            points.commands(),
            vec![
                ("k1k2".to_string(), false),
                ("d1".to_string(), false),
                ("k1k2".to_string(), true)
            ]
        );
        // The terminals carry the mapped lines' commands; an unmapped one (the lock) rests.
        out.connector_lock = true;
        out.lines.sequence_1 = true;
        io.write(&out);
        let terminals = io.on_the_terminals().unwrap();
        assert!(terminals.contactors && terminals.lines.sequence_1);
        assert!(!terminals.connector_lock);
    }

    #[test]
    fn a_refused_output_rests_on_the_terminals() {
        let points = Arc::new(Points::default());
        let source: Arc<dyn LineSource> = points.clone();
        let mut io = BoardIo::new(
            1,
            Vec::new(),
            vec![
                OutputMapping {
                    line: OutputLine::Contactors,
                    source: Arc::clone(&source),
                    point: "missing".into(),
                },
                OutputMapping {
                    line: OutputLine::ConnectorLock,
                    source: Arc::clone(&source),
                    point: "lock".into(),
                },
            ],
        );
        io.write(&DigitalOutputs {
            contactors: true,
            connector_lock: true,
            ..DigitalOutputs::default()
        });
        let terminals = io.on_the_terminals().unwrap();
        assert!(!terminals.contactors, "the source refused it");
        assert!(terminals.connector_lock);
    }
}
