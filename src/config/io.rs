//! The board I/O part of the configuration: `[[io_sources]]` (GPIO chips, IIO ADCs) and each
//! connector's `[connectors.io]` table mapping its lines onto their points.
//!
//! ```toml
//! [[io_sources]]
//! name = "gpio0"
//! kind = "gpio"
//! chip = "/dev/gpiochip0"
//! poll_ms = 10
//!
//! [[io_sources]]
//! name = "adc0"
//! kind = "iio"
//! device = "ads1015"          # iio:deviceN, or the device's `name`
//! poll_ms = 10
//!
//! [[connectors]]
//! # ...
//! [connectors.io]
//! emergency_stop = { source = "gpio0", line = "ESTOP_N", active_low = true, bias = "pull-down", debounce_ms = 5, edges = true, deadline_ms = 100 }
//! plugged = { source = "adc0", channel = 2, divider = 11.0, detection = {}, deadline_ms = 100 }
//! contactors = { source = "gpio0", line = "K1_K2" }
//! ```
//!
//! A `source` may also name a `[[devices]]` entry once Modbus I/O modules (role `io_module`)
//! exist; the assembly resolves every source through one map name → `LineSource`.
//!
//! The pool's matrix contactors take their coil and auxiliary contact from the same sources,
//! described the same way:
//!
//! ```toml
//! [[pool.matrix]]
//! module = 1
//! connector = 1
//! coil = { source = "gpio0", line = "MTX_M1_C1" }
//! feedback = { source = "gpio0", line = "MTX_M1_C1_AUX", deadline_ms = 100 }
//! ```
//! Everything here is static: no chip or ADC is opened (`--check-config`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use charger_hal::analog::classify::{Band, Thresholds};
use charger_hal::board::{InputLine, OutputLine};
use charger_hal::gpio::{Bias, LineAddress, LineConfig, LineDirection};
use serde::{Deserialize, Serialize};

use super::{Config, ProtocolKind};

/// `[[io_sources]]`: a device whose points connectors' lines map to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum IoSourceSection {
    /// A GPIO chip (Linux character device, uAPI v2).
    Gpio {
        name: String,
        /// The chip's device, e.g. "/dev/gpiochip0".
        chip: PathBuf,
        /// How often inputs are read without an edge; below every mapped input's deadline.
        #[serde(default = "default_poll_ms")]
        poll_ms: u64,
        /// How long after a failure the chip is opened again.
        #[serde(default = "default_retry_ms")]
        retry_ms: u64,
    },
    /// An ADC of the IIO subsystem, read through sysfs.
    Iio {
        name: String,
        /// The device's directory (`iio:device0`) or its `name` attribute (`ads1015`).
        device: String,
        /// Where IIO devices are in sysfs.
        #[serde(default = "default_iio_root")]
        root: PathBuf,
        #[serde(default = "default_poll_ms")]
        poll_ms: u64,
    },
}

fn default_poll_ms() -> u64 {
    10
}
fn default_retry_ms() -> u64 {
    1000
}
fn default_iio_root() -> PathBuf {
    PathBuf::from(charger_hal::analog::IIO_SYSFS_ROOT)
}
fn default_deadline_ms() -> u64 {
    100
}

impl IoSourceSection {
    pub fn name(&self) -> &str {
        match self {
            IoSourceSection::Gpio { name, .. } | IoSourceSection::Iio { name, .. } => name,
        }
    }

    pub fn poll(&self) -> Duration {
        match self {
            IoSourceSection::Gpio { poll_ms, .. } | IoSourceSection::Iio { poll_ms, .. } => {
                Duration::from_millis(*poll_ms)
            }
        }
    }
}

/// A connector's `[connectors.io]` table: each line it has, mapped to a source's point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorIoSection {
    // Inputs.
    pub plugged: Option<IoLineSection>,
    pub vehicle_permission: Option<IoLineSection>,
    pub emergency_stop: Option<IoLineSection>,
    pub locked: Option<IoLineSection>,
    pub contactors_closed: Option<IoLineSection>,
    // Outputs.
    pub contactors: Option<IoLineSection>,
    pub connector_lock: Option<IoLineSection>,
    pub d1: Option<IoLineSection>,
    pub d2: Option<IoLineSection>,
    pub aux_power: Option<IoLineSection>,
    pub aux_supply_24v: Option<IoLineSection>,
    pub bleeder: Option<IoLineSection>,
    pub imd_connected: Option<IoLineSection>,
}

/// One line: where it is, and how it is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoLineSection {
    /// An `[[io_sources]]` name.
    pub source: String,
    /// GPIO: the line's name on the chip (device tree `gpio-line-names`)…
    #[serde(default)]
    pub line: Option<String>,
    /// …or its offset.
    #[serde(default)]
    pub offset: Option<u32>,
    /// IIO: the channel K of `in_voltageK_raw`.
    #[serde(default)]
    pub channel: Option<u32>,
    /// IIO: volts at the connector per volt at the ADC pin.
    #[serde(default)]
    pub divider: Option<f32>,
    /// IIO `plugged`: the detection bands; `{}` takes GB/T CC1's.
    #[serde(default)]
    pub detection: Option<DetectionSection>,
    /// GPIO: the line is active low (the kernel inverts it).
    #[serde(default)]
    pub active_low: bool,
    #[serde(default)]
    pub bias: BiasSection,
    /// GPIO inputs: the kernel's debounce period.
    #[serde(default)]
    pub debounce_ms: Option<u64>,
    /// GPIO inputs: wake on every edge (required for the emergency stop).
    #[serde(default)]
    pub edges: bool,
    /// Inputs: the supervision deadline; an older reading makes the inputs stale.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BiasSection {
    #[default]
    AsIs,
    PullUp,
    PullDown,
    Disabled,
}

/// Detection bands in volts at the connector, `[low, high]`. For GB/T every key defaults to
/// CC1's (12 V unplugged, 6 V inserted, 4 V latched); a CHAdeMO analog proximity gives
/// `unplugged` and `inserted` and has no latch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionSection {
    #[serde(default)]
    pub unplugged: Option<[f32; 2]>,
    #[serde(default)]
    pub inserted: Option<[f32; 2]>,
    #[serde(default)]
    pub latched: Option<[f32; 2]>,
    #[serde(default)]
    pub hysteresis: Option<f32>,
    #[serde(default)]
    pub fault_after_ms: Option<u64>,
}

/// A line's key and whether it is an input or an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKey {
    Input(InputLine),
    Output(OutputLine),
}

impl LineKey {
    pub fn key(self) -> &'static str {
        match self {
            LineKey::Input(l) => l.key(),
            LineKey::Output(l) => l.key(),
        }
    }
}

/// What a line on the board's I/O is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineUse {
    /// A connector's line, on a connector of `protocol` (its detection bands depend on it).
    Connector {
        line: LineKey,
        protocol: ProtocolKind,
    },
    /// A matrix contactor's coil: an output, off (open) at start.
    MatrixCoil,
    /// A matrix contactor's auxiliary contact: a digital input.
    MatrixFeedback,
}

impl LineUse {
    pub fn is_input(self) -> bool {
        matches!(
            self,
            LineUse::Connector {
                line: LineKey::Input(_),
                ..
            } | LineUse::MatrixFeedback
        )
    }

    /// The connector's protocol when this is a connector's `plugged`: the one line that may
    /// be analog (CC1, proximity).
    fn plugged(self) -> Option<ProtocolKind> {
        match self {
            LineUse::Connector {
                line: LineKey::Input(InputLine::Plugged),
                protocol,
            } => Some(protocol),
            _ => None,
        }
    }
}

/// One configured line on the board's I/O with the key it is configured under.
#[derive(Debug, Clone)]
pub struct BoardLine<'a> {
    /// `connectors[0].io.plugged`, `pool.matrix[2].coil`: errors name `{key}.{field}`.
    pub key: String,
    pub usage: LineUse,
    pub line: &'a IoLineSection,
}

impl Config {
    /// Every line on the board's I/O: each connector's (in configuration order, inputs
    /// first), then each matrix contactor's coil and feedback. What the sources start and
    /// what the checks go through, so that no line is started unchecked or used twice.
    pub fn board_lines(&self) -> Vec<BoardLine<'_>> {
        let mut lines = Vec::new();
        for (i, c) in self.connectors.iter().enumerate() {
            let Some(io) = &c.io else {
                continue;
            };
            for (key, line) in io.lines() {
                lines.push(BoardLine {
                    key: format!("connectors[{i}].io.{}", key.key()),
                    usage: LineUse::Connector {
                        line: key,
                        protocol: c.protocol,
                    },
                    line,
                });
            }
        }
        for (i, m) in self.pool.iter().flat_map(|p| p.matrix.iter()).enumerate() {
            for (field, usage, line) in [
                ("coil", LineUse::MatrixCoil, &m.coil),
                ("feedback", LineUse::MatrixFeedback, &m.feedback),
            ] {
                if let Some(line) = line {
                    lines.push(BoardLine {
                        key: format!("pool.matrix[{i}].{field}"),
                        usage,
                        line,
                    });
                }
            }
        }
        lines
    }
}

impl ConnectorIoSection {
    /// Every mapped line with its key, inputs first.
    pub fn lines(&self) -> Vec<(LineKey, &IoLineSection)> {
        let inputs = [
            (InputLine::Plugged, &self.plugged),
            (InputLine::VehiclePermission, &self.vehicle_permission),
            (InputLine::EmergencyStop, &self.emergency_stop),
            (InputLine::Locked, &self.locked),
            (InputLine::ContactorsClosed, &self.contactors_closed),
        ];
        let outputs = [
            (OutputLine::Contactors, &self.contactors),
            (OutputLine::ConnectorLock, &self.connector_lock),
            (OutputLine::Sequence1, &self.d1),
            (OutputLine::Sequence2, &self.d2),
            (OutputLine::AuxPower, &self.aux_power),
            (OutputLine::AuxSupply24v, &self.aux_supply_24v),
            (OutputLine::Bleeder, &self.bleeder),
            (OutputLine::ImdConnected, &self.imd_connected),
        ];
        inputs
            .into_iter()
            .filter_map(|(l, s)| Some((LineKey::Input(l), s.as_ref()?)))
            .chain(
                outputs
                    .into_iter()
                    .filter_map(|(l, s)| Some((LineKey::Output(l), s.as_ref()?))),
            )
            .collect()
    }
}

impl IoLineSection {
    /// The point's name in its source: what the source's points are keyed by.
    pub fn point(&self) -> String {
        match (&self.line, self.offset, self.channel) {
            (Some(name), _, _) => name.clone(),
            (None, Some(o), _) => format!("offset:{o}"),
            (None, None, Some(c)) => format!("in_voltage{c}"),
            _ => String::new(),
        }
    }

    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms.unwrap_or_else(default_deadline_ms))
    }

    /// The GPIO line configuration (validated configurations only).
    pub fn gpio_line(&self, key: LineKey) -> LineConfig {
        self.gpio_config(matches!(key, LineKey::Input(_)))
    }

    /// The GPIO line configuration of an input or an output (validated configurations only).
    pub fn gpio_config(&self, input: bool) -> LineConfig {
        LineConfig {
            address: match (&self.line, self.offset) {
                (Some(name), _) => LineAddress::Name(name.clone()),
                (None, o) => LineAddress::Offset(o.unwrap_or_default()),
            },
            active_low: self.active_low,
            bias: match self.bias {
                BiasSection::AsIs => Bias::AsIs,
                BiasSection::PullUp => Bias::PullUp,
                BiasSection::PullDown => Bias::PullDown,
                BiasSection::Disabled => Bias::Disabled,
            },
            direction: if input {
                LineDirection::Input {
                    debounce: self.debounce_ms.map(Duration::from_millis),
                    edges: self.edges,
                }
            } else {
                // Every output's safe level is its command's off: contactors (the matrix's
                // too) open, lock released, lines at rest, bleeder off, IMD disconnected,
                // 12 V selected.
                LineDirection::Output { safe: false }
            },
        }
    }
}

impl DetectionSection {
    /// The classifier's thresholds for a connector of `protocol`.
    pub fn thresholds(&self, protocol: ProtocolKind) -> Result<Thresholds, String> {
        let band = |b: [f32; 2]| Band::new(b[0], b[1]);
        let t = match protocol {
            ProtocolKind::Gbt => {
                let d = Thresholds::GBT_CC1;
                Thresholds {
                    unplugged: self.unplugged.map_or(d.unplugged, band),
                    inserted: self.inserted.map_or(d.inserted, band),
                    latched: Some(self.latched.map_or(d.latched.unwrap_or(d.inserted), band)),
                    hysteresis: self.hysteresis.unwrap_or(d.hysteresis),
                    fault_after: self
                        .fault_after_ms
                        .map_or(d.fault_after, Duration::from_millis),
                }
            }
            ProtocolKind::Chademo => {
                let (Some(unplugged), Some(inserted)) = (self.unplugged, self.inserted) else {
                    return Err(
                        "a CHAdeMO proximity has no standard bands: give unplugged and inserted"
                            .into(),
                    );
                };
                if self.latched.is_some() {
                    return Err("a CHAdeMO proximity has no latch band".into());
                }
                Thresholds {
                    unplugged: band(unplugged),
                    inserted: band(inserted),
                    latched: None,
                    hysteresis: self.hysteresis.unwrap_or(0.15),
                    fault_after: Duration::from_millis(self.fault_after_ms.unwrap_or(200)),
                }
            }
        };
        t.check()?;
        Ok(t)
    }
}

/// What kind of source a name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    Gpio,
    Iio,
    /// A `[[devices]]` entry of role `io_module`: its points are the profile's I/O
    /// registers, polled at the profile's rates (checked against each deadline when the
    /// profile is read: `hardware::check_io_modules`).
    ModbusIoModule,
}

impl Config {
    /// `[[io_sources]]`, every `[connectors.io]` and the `[[pool.matrix]]` lines: names, keys
    /// and values, that no line is used twice, and that each input's source polls faster
    /// than the input's deadline. Returns the offending key.
    pub(super) fn check_io(&self) -> Result<(), (String, String)> {
        let mut kinds: BTreeMap<&str, (SourceKind, Duration)> = BTreeMap::new();
        for (i, s) in self.io_sources.iter().enumerate() {
            let key = |field: &str| format!("io_sources[{i}].{field}");
            let name = s.name();
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err((
                    key("name"),
                    "1 to 64 characters: letters, digits, '-', '_'".into(),
                ));
            }
            if self.devices.iter().any(|d| d.name == name) {
                return Err((key("name"), format!("{name:?} is also a [[devices]] name")));
            }
            let poll = s.poll();
            if poll.is_zero() || poll > Duration::from_secs(1) {
                return Err((key("poll_ms"), "must be 1 to 1000 ms".into()));
            }
            let kind = match s {
                IoSourceSection::Gpio { chip, retry_ms, .. } => {
                    if !chip.is_absolute() {
                        return Err((
                            key("chip"),
                            "an absolute path such as \"/dev/gpiochip0\"".into(),
                        ));
                    }
                    if !(10..=60_000).contains(retry_ms) {
                        return Err((key("retry_ms"), "must be 10 to 60000 ms".into()));
                    }
                    SourceKind::Gpio
                }
                IoSourceSection::Iio { device, root, .. } => {
                    if device.is_empty() || device.contains('/') || device == ".." {
                        return Err((
                            key("device"),
                            "a directory name under root (\"iio:device0\") or the device's \
                             name (\"ads1015\")"
                                .into(),
                        ));
                    }
                    if !root.is_absolute() {
                        return Err((key("root"), "must be an absolute path".into()));
                    }
                    SourceKind::Iio
                }
            };
            if kinds.insert(name, (kind, poll)).is_some() {
                return Err((key("name"), format!("{name:?} is used twice")));
            }
        }
        // (source, point) → the key that took it: a line is requested once.
        let mut taken: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut used: BTreeSet<&str> = BTreeSet::new();
        for (i, c) in self.connectors.iter().enumerate() {
            let Some(io) = &c.io else {
                continue;
            };
            for required in [InputLine::EmergencyStop, InputLine::Plugged] {
                if !io
                    .lines()
                    .iter()
                    .any(|(k, _)| *k == LineKey::Input(required))
                {
                    return Err((
                        format!("connectors[{i}].io.{}", required.key()),
                        "is required when a connector has an io table (a station that cannot \
                         see its emergency stop or the vehicle must not energize)"
                            .into(),
                    ));
                }
            }
        }
        self.check_matrix_lines()?;
        for b in self.board_lines() {
            let l = b.line;
            let key = |field: &str| format!("{}.{field}", b.key);
            let device = self.devices.iter().find(|d| d.name == l.source);
            let (kind, poll) = match (kinds.get(l.source.as_str()), device) {
                (Some(&found), _) => found,
                (None, Some(d)) if d.role == charger_hal::profile::Role::IoModule => {
                    // Its poll period is the profile's, known once the profile is read.
                    (SourceKind::ModbusIoModule, Duration::ZERO)
                }
                (None, Some(d)) => {
                    return Err((
                        key("source"),
                        format!(
                            "{:?} is a [[devices]] entry of role {}, not io_module",
                            l.source, d.role
                        ),
                    ))
                }
                (None, None) => {
                    return Err((
                        key("source"),
                        format!(
                            "no [[io_sources]] or io_module [[devices]] entry named {:?}",
                            l.source
                        ),
                    ))
                }
            };
            used.insert(l.source.as_str());
            let is_input = b.usage.is_input();
            let reject = |field: &str, present: bool, why: &str| {
                if present {
                    Err((key(field), why.to_string()))
                } else {
                    Ok(())
                }
            };
            match kind {
                SourceKind::Gpio => {
                    if l.line.is_some() == l.offset.is_some() {
                        return Err((
                            key("line"),
                            "a GPIO line needs exactly one of line (its name) or offset".into(),
                        ));
                    }
                    if l.line.as_deref().is_some_and(str::is_empty) {
                        return Err((key("line"), "must not be empty".into()));
                    }
                    reject("channel", l.channel.is_some(), "is for an IIO source")?;
                    reject("divider", l.divider.is_some(), "is for an IIO source")?;
                    reject(
                        "detection",
                        l.detection.is_some(),
                        "is for an analog (IIO) plugged input; a GPIO plugged is a level",
                    )?;
                    reject(
                        "debounce_ms",
                        !is_input && l.debounce_ms.is_some(),
                        "is for inputs",
                    )?;
                    reject("edges", !is_input && l.edges, "is for inputs")?;
                    if let Some(d) = l.debounce_ms {
                        if d > 1000 {
                            return Err((key("debounce_ms"), "at most 1000 ms".into()));
                        }
                    }
                    let estop = matches!(
                        b.usage,
                        LineUse::Connector {
                            line: LineKey::Input(InputLine::EmergencyStop),
                            ..
                        }
                    );
                    if estop && !l.edges {
                        return Err((
                            key("edges"),
                            "must be true: the emergency stop wakes the source at once, \
                             not at its next poll"
                                .into(),
                        ));
                    }
                }
                SourceKind::ModbusIoModule => {
                    if l.line.as_deref().is_none_or(str::is_empty) {
                        return Err((
                            key("line"),
                            "an I/O module's line is the name of its point in the profile \
                             (the register's key)"
                                .into(),
                        ));
                    }
                    for (field, present) in [
                        // The module's levels pass through as they are: an inverted
                        // line is wired (or set in the module) inverted, never guessed.
                        ("active_low", l.active_low),
                        ("offset", l.offset.is_some()),
                        ("channel", l.channel.is_some()),
                        ("divider", l.divider.is_some()),
                        ("bias", l.bias != BiasSection::AsIs),
                        ("debounce_ms", l.debounce_ms.is_some()),
                        ("edges", l.edges),
                    ] {
                        reject(
                            field,
                            present,
                            "is not for a Modbus I/O module (its profile scales and polls \
                             its points)",
                        )?;
                    }
                    if let Some(detection) = &l.detection {
                        let Some(protocol) = b.usage.plugged() else {
                            return Err((
                                key("detection"),
                                "only `plugged` (CC1, proximity) is an analog line".into(),
                            ));
                        };
                        detection
                            .thresholds(protocol)
                            .map_err(|reason| (key("detection"), reason))?;
                    }
                }
                SourceKind::Iio => {
                    let Some(protocol) = b.usage.plugged() else {
                        return Err((
                            key("source"),
                            format!(
                                "{:?} is an IIO ADC: only `plugged` (CC1, proximity) is an \
                                 analog line",
                                l.source
                            ),
                        ));
                    };
                    if l.channel.is_none() {
                        return Err((key("channel"), "an IIO line needs its channel".into()));
                    }
                    for (field, present) in [
                        ("line", l.line.is_some()),
                        ("offset", l.offset.is_some()),
                        ("active_low", l.active_low),
                        ("bias", l.bias != BiasSection::AsIs),
                        ("debounce_ms", l.debounce_ms.is_some()),
                        ("edges", l.edges),
                    ] {
                        reject(field, present, "is for a GPIO source")?;
                    }
                    match l.divider {
                        Some(d) if d.is_finite() && (1.0..=1000.0).contains(&d) => {}
                        _ => {
                            return Err((
                                key("divider"),
                                "volts at the connector per volt at the ADC, 1 to 1000 \
                                 (e.g. 11 for a 100k/10k divider)"
                                    .into(),
                            ))
                        }
                    }
                    l.detection
                        .clone()
                        .unwrap_or_default()
                        .thresholds(protocol)
                        .map_err(|reason| (key("detection"), reason))?;
                }
            }
            if is_input {
                let deadline = l.deadline();
                if deadline.is_zero() || deadline > Duration::from_secs(10) {
                    return Err((key("deadline_ms"), "must be 1 to 10000 ms".into()));
                }
                if poll >= deadline {
                    return Err((
                        key("deadline_ms"),
                        format!(
                            "{} ms is not above the poll period of {:?} ({} ms): one missed \
                             poll would already be a fault",
                            deadline.as_millis(),
                            l.source,
                            poll.as_millis()
                        ),
                    ));
                }
            } else if l.deadline_ms.is_some() {
                return Err((key("deadline_ms"), "is for inputs".into()));
            }
            if let Some(other) = taken.insert((l.source.clone(), l.point()), key("source")) {
                return Err((
                    key("source"),
                    format!("{} of {:?} is already {other}", l.point(), l.source),
                ));
            }
        }
        for (i, s) in self.io_sources.iter().enumerate() {
            if !used.contains(s.name()) {
                return Err((
                    format!("io_sources[{i}].name"),
                    format!(
                        "{:?} is named by no connector's io table and no [[pool.matrix]] line",
                        s.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `[[pool.matrix]]` lines: every contactor names its coil and its feedback, or none does
    /// (the matrix is then the simulated cabinet's). A feedback must be fresher than the
    /// pool's contactor deadline, or an ordinary operate would read as a failed close.
    fn check_matrix_lines(&self) -> Result<(), (String, String)> {
        let Some(pool) = &self.pool else {
            return Ok(());
        };
        if !pool.board_matrix() {
            return Ok(());
        }
        for (i, m) in pool.matrix.iter().enumerate() {
            let key = |field: &str| format!("pool.matrix[{i}].{field}");
            if m.coil.is_none() {
                return Err((
                    key("coil"),
                    "the matrix is on the board's I/O (another [[pool.matrix]] entry names its \
                     lines): every contactor needs its coil and feedback"
                        .into(),
                ));
            }
            let Some(feedback) = &m.feedback else {
                return Err((
                    key("feedback"),
                    "a contactor on the board's I/O needs its auxiliary contact: without it a \
                     weld or a failed close cannot be seen"
                        .into(),
                ));
            };
            let contactor_deadline = Duration::from_millis(pool.contactor_deadline_ms);
            if feedback.deadline() >= contactor_deadline {
                return Err((
                    key("feedback.deadline_ms"),
                    format!(
                        "{} ms is not below pool.contactor_deadline_ms ({} ms): a feedback that \
                         old could make an ordinary operate look like a failure",
                        feedback.deadline().as_millis(),
                        pool.contactor_deadline_ms
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A GB/T connector (CC1 on an ADC) and a CHAdeMO one (digital proximity), both on one
    /// GPIO chip; each connector's io table as given.
    fn text(gbt_io: &str, chademo_io: &str) -> String {
        format!(
            r#"
[station]
state_dir = "/tmp/x"

[[io_sources]]
name = "gpio0"
kind = "gpio"
chip = "/dev/gpiochip0"
poll_ms = 10

[[io_sources]]
name = "adc0"
kind = "iio"
device = "ads1015"
poll_ms = 20

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 750
max_current = 250
max_power_kw = 150
can = {{ backend = "simulated" }}
[connectors.io]
{gbt_io}

[[connectors]]
id = 2
protocol = "chademo"
max_voltage = 500
max_current = 200
max_power_kw = 62.5
can = {{ backend = "simulated" }}
[connectors.io]
{chademo_io}
"#
        )
    }

    const GBT: &str = r#"
emergency_stop = { source = "gpio0", line = "ESTOP_N", active_low = true, bias = "pull-down", debounce_ms = 5, edges = true, deadline_ms = 100 }
plugged = { source = "adc0", channel = 2, divider = 11.0, detection = {}, deadline_ms = 100 }
contactors = { source = "gpio0", line = "K1_K2_1" }
contactors_closed = { source = "gpio0", offset = 17, deadline_ms = 50 }
aux_power = { source = "gpio0", line = "K3_K4_1" }
"#;

    const CHADEMO: &str = r#"
emergency_stop = { source = "gpio0", line = "ESTOP2_N", active_low = true, edges = true }
plugged = { source = "gpio0", line = "PROX_2", active_low = true, debounce_ms = 10 }
vehicle_permission = { source = "gpio0", line = "J_2" }
d1 = { source = "gpio0", line = "D1_2" }
d2 = { source = "gpio0", line = "D2_2" }
"#;

    fn load(text: &str) -> Result<Config, String> {
        Config::from_toml_str(text, "board.toml").map_err(|e| e.to_string())
    }

    fn refused(gbt: &str, chademo: &str) -> String {
        load(&text(gbt, chademo)).unwrap_err()
    }

    #[test]
    fn a_two_connector_board_maps_every_line_to_its_point() {
        let cfg = load(&text(GBT, CHADEMO)).unwrap();
        let io = cfg.connectors[0].io.as_ref().unwrap();
        let lines = io.lines();
        let keys: Vec<&str> = lines.iter().map(|(k, _)| k.key()).collect();
        assert_eq!(
            keys,
            [
                "plugged",
                "emergency_stop",
                "contactors_closed",
                "contactors",
                "aux_power"
            ]
        );
        let estop = io.emergency_stop.as_ref().unwrap();
        let line = estop.gpio_line(LineKey::Input(InputLine::EmergencyStop));
        assert_eq!(line.address, LineAddress::Name("ESTOP_N".into()));
        assert!(line.active_low);
        assert_eq!(line.bias, Bias::PullDown);
        assert_eq!(
            line.direction,
            LineDirection::Input {
                debounce: Some(Duration::from_millis(5)),
                edges: true
            }
        );
        let k = io.contactors.as_ref().unwrap();
        assert_eq!(
            k.gpio_line(LineKey::Output(OutputLine::Contactors))
                .direction,
            LineDirection::Output { safe: false }
        );
        assert_eq!(io.contactors_closed.as_ref().unwrap().point(), "offset:17");
        let cc1 = io.plugged.as_ref().unwrap();
        assert_eq!(cc1.point(), "in_voltage2");
        assert_eq!(
            cc1.detection
                .clone()
                .unwrap()
                .thresholds(ProtocolKind::Gbt)
                .unwrap(),
            Thresholds::GBT_CC1
        );
        // A deadline left out is 100 ms.
        let chademo = cfg.connectors[1].io.as_ref().unwrap();
        assert_eq!(
            chademo.plugged.as_ref().unwrap().deadline(),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn the_emergency_stop_and_the_vehicle_detection_are_required() {
        let e = refused(&GBT.replace("emergency_stop", "locked"), CHADEMO);
        assert!(
            e.contains("board.toml") && e.contains("connectors[0].io.emergency_stop"),
            "{e}"
        );
        let no_prox: String = CHADEMO
            .lines()
            .filter(|l| !l.starts_with("plugged"))
            .collect::<Vec<_>>()
            .join("\n");
        let e = refused(GBT, &no_prox);
        assert!(e.contains("connectors[1].io.plugged"), "{e}");
    }

    #[test]
    fn an_input_deadline_must_be_above_its_source_poll_period() {
        // adc0 polls every 20 ms.
        let e = refused(
            &GBT.replace(
                "divider = 11.0, detection = {}, deadline_ms = 100",
                "divider = 11.0, deadline_ms = 20",
            ),
            CHADEMO,
        );
        assert!(e.contains("connectors[0].io.plugged.deadline_ms"), "{e}");
        assert!(e.contains("poll period"), "{e}");
        let e = refused(
            GBT,
            &CHADEMO.replace("debounce_ms = 10", "debounce_ms = 10, deadline_ms = 0"),
        );
        assert!(e.contains("connectors[1].io.plugged.deadline_ms"), "{e}");
        // An output has no deadline.
        let e = refused(
            &GBT.replace("line = \"K3_K4_1\"", "line = \"K3_K4_1\", deadline_ms = 50"),
            CHADEMO,
        );
        assert!(e.contains("connectors[0].io.aux_power.deadline_ms"), "{e}");
    }

    #[test]
    fn sources_lines_and_keys_are_checked_by_name() {
        let e = refused(&GBT.replace("\"adc0\"", "\"adc9\""), CHADEMO);
        assert!(
            e.contains("connectors[0].io.plugged.source") && e.contains("adc9"),
            "{e}"
        );
        // The emergency stop must wake its source at once.
        let e = refused(GBT, &CHADEMO.replace("edges = true", "edges = false"));
        assert!(e.contains("connectors[1].io.emergency_stop.edges"), "{e}");
        // A GPIO line is named or numbered, not both.
        let e = refused(
            &GBT.replace("offset = 17", "offset = 17, line = \"AUX\""),
            CHADEMO,
        );
        assert!(e.contains("connectors[0].io.contactors_closed.line"), "{e}");
        // Only plugged is analog.
        let e = refused(
            &GBT.replace(
                "contactors = { source = \"gpio0\", line = \"K1_K2_1\" }",
                "contactors = { source = \"adc0\", channel = 3 }",
            ),
            CHADEMO,
        );
        assert!(e.contains("connectors[0].io.contactors.source"), "{e}");
        // A misspelt line is an unknown key, named.
        let e = refused(
            &format!("{GBT}\nbleder = {{ source = \"gpio0\", line = \"BL\" }}"),
            CHADEMO,
        );
        assert!(e.contains("bleder"), "{e}");
        // One line, two uses.
        let e = refused(GBT, &CHADEMO.replace("\"D2_2\"", "\"D1_2\""));
        assert!(
            e.contains("connectors[1].io.d2.source") && e.contains("io.d1"),
            "{e}"
        );
        // A GPIO chip path is absolute.
        let e = load(&text(GBT, CHADEMO).replace("/dev/gpiochip0", "gpiochip0")).unwrap_err();
        assert!(e.contains("io_sources[0].chip"), "{e}");
    }

    #[test]
    fn analog_detection_bands_are_checked_per_protocol() {
        // A CHAdeMO proximity on an ADC has no standard bands.
        let analog = CHADEMO.replace(
            "plugged = { source = \"gpio0\", line = \"PROX_2\", active_low = true, debounce_ms = 10 }",
            "plugged = { source = \"adc0\", channel = 1, divider = 2.0 }",
        );
        let e = refused(GBT, &analog);
        assert!(e.contains("connectors[1].io.plugged.detection"), "{e}");
        let ok = analog.replace(
            "divider = 2.0",
            "divider = 2.0, detection = { unplugged = [8.0, 10.0], inserted = [1.0, 3.0] }",
        );
        load(&text(GBT, &ok)).unwrap();
        // Overlapping GB/T bands.
        let e = refused(
            &GBT.replace("detection = {}", "detection = { latched = [4.0, 5.5] }"),
            CHADEMO,
        );
        assert!(
            e.contains("connectors[0].io.plugged.detection") && e.contains("overlap"),
            "{e}"
        );
        // A divider is required.
        let e = refused(&GBT.replace("divider = 11.0, ", ""), CHADEMO);
        assert!(e.contains("connectors[0].io.plugged.divider"), "{e}");
    }

    #[test]
    fn a_source_no_connector_uses_is_refused() {
        let cfg = text(GBT, CHADEMO).replace(
            "[[connectors]]\nid = 1",
            "[[io_sources]]\nname = \"gpio9\"\nkind = \"gpio\"\nchip = \"/dev/gpiochip9\"\n\n[[connectors]]\nid = 1",
        );
        let e = load(&cfg).unwrap_err();
        assert!(
            e.contains("io_sources[2].name") && e.contains("gpio9"),
            "{e}"
        );
    }

    /// The two-connector board with a pool of two modules, one per connector, whose matrix
    /// contactors are on gpio0; `matrix` replaces the lines of both entries.
    fn with_matrix(matrix: [&str; 2], extra: &str) -> String {
        format!(
            "{}\n{extra}\n[pool]\n\
             [[pool.modules]]\nid = 1\nmax_power_kw = 30\nmax_current_a = 100\n{}\n\
             [[pool.modules]]\nid = 2\nmax_power_kw = 30\nmax_current_a = 100\n{}\n\
             [[pool.matrix]]\nmodule = 1\nconnector = 1\n{}\n\
             [[pool.matrix]]\nmodule = 2\nconnector = 2\n{}\n",
            text(GBT, CHADEMO),
            if extra.is_empty() {
                ""
            } else {
                "device = \"pm1\""
            },
            if extra.is_empty() {
                ""
            } else {
                "device = \"pm2\""
            },
            matrix[0],
            matrix[1],
        )
    }

    const M1: &str = r#"coil = { source = "gpio0", line = "MTX_M1_C1" }
feedback = { source = "gpio0", line = "MTX_M1_C1_AUX", debounce_ms = 5, deadline_ms = 100 }"#;
    const M2: &str = r#"coil = { source = "gpio0", offset = 40 }
feedback = { source = "gpio0", offset = 41, active_low = true }"#;

    #[test]
    fn matrix_contactors_take_their_coil_and_feedback_on_the_board_lines() {
        let cfg = load(&with_matrix([M1, M2], "")).unwrap();
        assert!(cfg.pool.as_ref().unwrap().board_matrix());
        let lines = cfg.board_lines();
        let matrix: Vec<(&str, bool, String)> = lines
            .iter()
            .filter(|b| b.key.starts_with("pool."))
            .map(|b| (b.key.as_str(), b.usage.is_input(), b.line.point()))
            .collect();
        assert_eq!(
            matrix,
            [
                ("pool.matrix[0].coil", false, "MTX_M1_C1".to_string()),
                ("pool.matrix[0].feedback", true, "MTX_M1_C1_AUX".to_string()),
                ("pool.matrix[1].coil", false, "offset:40".to_string()),
                ("pool.matrix[1].feedback", true, "offset:41".to_string()),
            ]
        );
        // The connectors' lines come first, with their keys as before.
        assert_eq!(lines[0].key, "connectors[0].io.plugged");
        // A coil is an output requested open; a feedback an input with its debounce.
        let m = &cfg.pool.as_ref().unwrap().matrix;
        assert_eq!(
            m[0].coil.as_ref().unwrap().gpio_config(false).direction,
            LineDirection::Output { safe: false }
        );
        assert_eq!(
            m[0].feedback.as_ref().unwrap().gpio_config(true).direction,
            LineDirection::Input {
                debounce: Some(Duration::from_millis(5)),
                edges: false
            }
        );
        assert!(m[1].feedback.as_ref().unwrap().gpio_config(true).active_low);
        // Without lines the matrix is the simulated one, as before.
        let cfg = load(&with_matrix(["", ""], "")).unwrap();
        assert!(!cfg.pool.as_ref().unwrap().board_matrix());
    }

    #[test]
    fn every_matrix_contactor_names_both_lines_or_none_does() {
        let coil_only = r#"coil = { source = "gpio0", offset = 40 }"#;
        let e = load(&with_matrix([M1, coil_only], "")).unwrap_err();
        assert!(
            e.contains("board.toml") && e.contains("pool.matrix[1].feedback"),
            "{e}"
        );
        let e = load(&with_matrix([M1, ""], "")).unwrap_err();
        assert!(e.contains("pool.matrix[1].coil"), "{e}");
        let feedback_only = r#"feedback = { source = "gpio0", offset = 41 }"#;
        let e = load(&with_matrix([feedback_only, ""], "")).unwrap_err();
        assert!(e.contains("pool.matrix[0].coil"), "{e}");
    }

    #[test]
    fn matrix_line_mistakes_are_named_by_key() {
        let e = load(&with_matrix([&M1.replacen("gpio0", "gpio9", 1), M2], "")).unwrap_err();
        assert!(
            e.contains("pool.matrix[0].coil.source") && e.contains("gpio9"),
            "{e}"
        );
        // A feedback is a level, not an ADC channel.
        let e = load(&with_matrix(
            [
                M1,
                r#"coil = { source = "gpio0", offset = 40 }
feedback = { source = "adc0", channel = 3, divider = 2.0 }"#,
            ],
            "",
        ))
        .unwrap_err();
        assert!(e.contains("pool.matrix[1].feedback.source"), "{e}");
        let e = load(&with_matrix(
            [
                &M1.replace("deadline_ms = 100", "deadline_ms = 100, detection = {}"),
                M2,
            ],
            "",
        ))
        .unwrap_err();
        assert!(e.contains("pool.matrix[0].feedback.detection"), "{e}");
        // A coil is an output: no deadline, no debounce.
        let e = load(&with_matrix(
            [
                &M1.replace("\"MTX_M1_C1\" }", "\"MTX_M1_C1\", deadline_ms = 50 }"),
                M2,
            ],
            "",
        ))
        .unwrap_err();
        assert!(e.contains("pool.matrix[0].coil.deadline_ms"), "{e}");
        // gpio0 polls every 10 ms.
        let e = load(&with_matrix(
            [M1, &M2.replace("active_low = true", "deadline_ms = 10")],
            "",
        ))
        .unwrap_err();
        assert!(
            e.contains("pool.matrix[1].feedback.deadline_ms") && e.contains("poll period"),
            "{e}"
        );
        // A feedback as old as the contactor deadline would make an operate look failed.
        let e = load(&with_matrix([M1, M2], "").replacen(
            "[pool]\n",
            "[pool]\ncontactor_deadline_ms = 100\n",
            1,
        ))
        .unwrap_err();
        assert!(
            e.contains("pool.matrix[0].feedback.deadline_ms")
                && e.contains("contactor_deadline_ms"),
            "{e}"
        );
    }

    #[test]
    fn a_line_is_either_a_connectors_or_the_matrixs() {
        // Connector 1's contactor line, taken again as a matrix coil.
        let e = load(&with_matrix(
            [&M1.replace("MTX_M1_C1\"", "K1_K2_1\""), M2],
            "",
        ))
        .unwrap_err();
        assert!(
            e.contains("pool.matrix[0].coil.source")
                && e.contains("connectors[0].io.contactors.source"),
            "{e}"
        );
        // And one matrix line twice (offset 17 is connector 1's contactors_closed).
        let e = load(&with_matrix(
            [M1, &M2.replace("offset = 41", "offset = 40")],
            "",
        ))
        .unwrap_err();
        assert!(
            e.contains("pool.matrix[1].feedback.source") && e.contains("pool.matrix[1].coil"),
            "{e}"
        );
        let e = load(&with_matrix(
            [M1, &M2.replace("offset = 41", "offset = 17")],
            "",
        ))
        .unwrap_err();
        assert!(
            e.contains("pool.matrix[1].feedback.source")
                && e.contains("connectors[0].io.contactors_closed"),
            "{e}"
        );
    }

    #[test]
    fn a_source_only_the_matrix_uses_is_used() {
        let text = with_matrix(
            [
                &M1.replace("gpio0", "gpio1"),
                &M2.replace("gpio0", "gpio1"),
            ],
            "",
        )
        .replacen(
            "[[connectors]]\nid = 1",
            "[[io_sources]]\nname = \"gpio1\"\nkind = \"gpio\"\nchip = \"/dev/gpiochip1\"\n\n[[connectors]]\nid = 1",
            1,
        );
        let cfg = load(&text).unwrap();
        assert!(cfg
            .board_lines()
            .iter()
            .filter(|b| b.line.source == "gpio1")
            .all(|b| b.key.starts_with("pool.matrix")));
    }

    #[test]
    fn real_modules_are_accepted_on_a_board_matrix_and_refused_without_one() {
        let modules = r#"
[[devices]]
name = "pm1"
role = "power_module"
profile = "x.toml"
transport = { kind = "modbus_tcp", host = "10.0.0.21", unit = 1 }

[[devices]]
name = "pm2"
role = "power_module"
profile = "x.toml"
transport = { kind = "modbus_tcp", host = "10.0.0.22", unit = 1 }
"#;
        load(&with_matrix([M1, M2], modules)).unwrap();
        let e = load(&with_matrix(["", ""], modules)).unwrap_err();
        assert!(
            e.contains("pool.modules[0].device") && e.contains("coil and feedback"),
            "{e}"
        );
    }
}
