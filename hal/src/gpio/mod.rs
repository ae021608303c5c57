//! Board GPIO: lines of a Linux GPIO chip as the points of a [`LineSource`].
//!
//! Two layers. The seam, [`GpioBackend`] and [`GpioLines`], sits just above the kernel
//! interface: request lines of one chip (by offset or by line name) with their direction,
//! polarity, bias, debounce and edge detection, then get and set their values and wait for
//! edges. [`cdev::CdevBackend`] implements it on the GPIO character device (uAPI v2, through
//! the `gpiocdev` crate); [`fake::FakeBackend`] implements it in memory for tests. Above the
//! seam, [`GpioSource`] is the device the board I/O reads: its threads own the request, so
//! the control loop never waits on the chip.
//!
//! - **Inputs** are read every `poll` period, and at once when an edge arrives (the emergency
//!   stop must not wait for the next poll). Polling still runs with edges: a reading's age is
//!   the proof that the chip answers, which the board's supervision deadline checks.
//! - **Outputs** are requested with their safe level (contactors open, lock released, lines at
//!   rest), so the moment the chip is ours nothing is energized; afterwards a command is
//!   written by the output thread as soon as it changes, and written again after the request
//!   was opened anew (a reopened request starts from the safe levels).
//! - **A chip that cannot be opened** (missing, no permission, line busy) is retried every
//!   `retry` period; until then no input has a reading, so the board's inputs are stale.

pub mod cdev;
pub mod fake;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use thiserror::Error;

use crate::devices::ReadingClock;
use crate::io::{LineError, LineSource, PointReading, PointValue};

/// How a line is found on its chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineAddress {
    Offset(u32),
    /// The line's name as the device tree (`gpio-line-names`) gives it: survives a board
    /// revision that moves the line to another offset.
    Name(String),
}

impl std::fmt::Display for LineAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineAddress::Offset(o) => write!(f, "offset {o}"),
            LineAddress::Name(n) => write!(f, "line {n:?}"),
        }
    }
}

/// The line's bias resistor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Bias {
    /// Leave whatever the chip or device tree set.
    #[default]
    AsIs,
    PullUp,
    PullDown,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineDirection {
    Input {
        /// The kernel's debounce period (contact bounce of relays and switches).
        debounce: Option<Duration>,
        /// Edge detection on both edges: the source's input thread wakes on every change.
        edges: bool,
    },
    Output {
        /// The logical level the line is requested with, before any command.
        safe: bool,
    },
}

/// One line of a request. Levels are logical: with `active_low` the kernel inverts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineConfig {
    pub address: LineAddress,
    pub active_low: bool,
    pub bias: Bias,
    pub direction: LineDirection,
}

impl LineConfig {
    pub fn is_output(&self) -> bool {
        matches!(self.direction, LineDirection::Output { .. })
    }
}

/// An edge on a requested line: the line's index in the request and its new logical level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeEvent {
    pub line: usize,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GpioError {
    #[error("{}: cannot open the GPIO chip: {reason}", chip.display())]
    Open { chip: PathBuf, reason: String },
    #[error("{}: no line named {name:?}", chip.display())]
    NoSuchLine { chip: PathBuf, name: String },
    #[error("{}: cannot request the lines: {reason}", chip.display())]
    Request { chip: PathBuf, reason: String },
    #[error("{}: {reason}", chip.display())]
    Io { chip: PathBuf, reason: String },
}

/// What a chip says about itself (`gpiodetect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipInfo {
    /// The kernel's name, e.g. `gpiochip0`.
    pub name: String,
    /// The driver's label, e.g. `pinctrl-rk3568` or `tca6416`.
    pub label: String,
    pub lines: u32,
}

/// What a chip says about one of its lines, read without requesting it (`gpioinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    pub offset: u32,
    /// The device tree's `gpio-line-names` entry; empty when it has none.
    pub name: String,
    /// Who holds the line (a requester's consumer label, or a kernel driver); `None` when
    /// the line is free.
    pub consumer: Option<String>,
    /// The line is set up as an output (as its holder or the boot firmware left it).
    pub output: bool,
}

/// Opens line requests on GPIO chips: the seam above the kernel interface.
pub trait GpioBackend: Send + Sync + std::fmt::Debug {
    /// The chip's information and each addressed line's, without requesting any line: a
    /// probe that touches nothing. A line that is not on the chip is an error in its slot.
    fn inspect(
        &self,
        chip: &Path,
        lines: &[LineAddress],
    ) -> Result<(ChipInfo, Vec<Result<LineInfo, GpioError>>), GpioError>;

    /// Request `lines` of the chip at `chip` exclusively for `consumer` (the name other tools
    /// such as `gpioinfo` show). Outputs start at their safe level.
    fn request(
        &self,
        chip: &Path,
        consumer: &str,
        lines: &[LineConfig],
    ) -> Result<Arc<dyn GpioLines>, GpioError>;
}

/// Requested lines, in the order of the request. Shared by the source's input and output
/// threads; the kernel serializes their calls on the request.
pub trait GpioLines: Send + Sync + std::fmt::Debug {
    /// The logical level of every line (outputs: as driven).
    fn values(&self) -> Result<Vec<bool>, GpioError>;
    /// Drive output lines, by index in the request, to logical levels.
    fn set_values(&self, values: &[(usize, bool)]) -> Result<(), GpioError>;
    /// Wait up to `timeout` for edges on lines with edge detection; every edge that arrived,
    /// none on timeout.
    fn wait_edges(&self, timeout: Duration) -> Result<Vec<EdgeEvent>, GpioError>;
}

/// A GPIO chip's lines as the points of a [`LineSource`].
#[derive(Debug, Clone, PartialEq)]
pub struct GpioSourceConfig {
    /// The source's name in the configuration.
    pub name: String,
    /// Where the configuration defines it ("/etc/chargerd/chargerd.toml: io_sources[0]"),
    /// for the log line of a failure.
    pub origin: String,
    /// The chip's character device, e.g. `/dev/gpiochip0`.
    pub chip: PathBuf,
    /// Each point's name (what the board's lines map to) and line.
    pub points: Vec<(String, LineConfig)>,
    /// How often inputs are read when no edge arrives.
    pub poll: Duration,
    /// How long after a failure the chip is opened again.
    pub retry: Duration,
}

/// See the module documentation.
#[derive(Debug)]
pub struct GpioSource {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: GpioSourceConfig,
    clock: ReadingClock,
    backend: Arc<dyn GpioBackend>,
    request: Mutex<Option<Arc<dyn GpioLines>>>,
    inputs: Mutex<Inputs>,
    outputs: Mutex<Outputs>,
    /// Wakes the output thread: a command changed, a request was (re)opened, or stop.
    outputs_changed: Condvar,
    last_error: Mutex<Option<String>>,
    stop: AtomicBool,
}

/// The inputs' latest readings, by line index (`None` for outputs and before a first read).
///
/// **An edge is never lost between two reads.** An e-stop chain that opens for 3 ms and closes
/// again gives two edges in one wake-up; a read after them sees "closed", and a board stepping
/// every 10 ms could miss the opening. So the level an edge brings is held in the reading until
/// the board has read it once ([`LineSource::input`]); what the line did afterwards (the next
/// edges, the polls) queues behind it with fresh times, and is what the read after shows.
#[derive(Debug)]
struct Inputs {
    readings: Vec<Option<PointReading>>,
    /// The reading holds an edge's level the board has not read yet.
    edge_unread: Vec<bool>,
    /// The level that follows the held edge's (a later edge, or the last poll).
    queued: Vec<Option<bool>>,
}

/// Commanded and written levels, by line index (`None` for inputs, and for an output not
/// written on the present request).
#[derive(Debug)]
struct Outputs {
    commanded: Vec<Option<bool>>,
    written: Vec<Option<bool>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicked thread leaves plain data behind; the next writer overwrites it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GpioSource {
    /// Start the source's input and output threads. Returns at once: the chip is opened by
    /// the input thread, and [`last_error`](LineSource::last_error) says if it failed.
    pub fn spawn(
        config: GpioSourceConfig,
        backend: Arc<dyn GpioBackend>,
        clock: ReadingClock,
    ) -> std::io::Result<Self> {
        let n = config.points.len();
        let commanded = config
            .points
            .iter()
            .map(|(_, l)| match l.direction {
                LineDirection::Output { safe } => Some(safe),
                LineDirection::Input { .. } => None,
            })
            .collect();
        let shared = Arc::new(Shared {
            clock,
            backend,
            request: Mutex::new(None),
            inputs: Mutex::new(Inputs {
                readings: vec![None; n],
                edge_unread: vec![false; n],
                queued: vec![None; n],
            }),
            outputs: Mutex::new(Outputs {
                commanded,
                written: vec![None; n],
            }),
            outputs_changed: Condvar::new(),
            last_error: Mutex::new(None),
            stop: AtomicBool::new(false),
            config,
        });
        let name = &shared.config.name;
        let inputs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("gpio-in-{name}"))
            .spawn(move || inputs.run_inputs())?;
        let outputs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("gpio-out-{name}"))
            .spawn(move || outputs.run_outputs())?;
        Ok(GpioSource { shared })
    }

    fn point(&self, point: &str) -> Option<usize> {
        self.shared
            .config
            .points
            .iter()
            .position(|(p, _)| p == point)
    }
}

impl Drop for GpioSource {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.outputs_changed.notify_all();
    }
}

impl LineSource for GpioSource {
    fn name(&self) -> &str {
        &self.shared.config.name
    }

    fn peek(&self, point: &str) -> Option<PointReading> {
        let i = self.point(point)?;
        lock(&self.shared.inputs).readings.get(i).copied().flatten()
    }

    fn input(&self, point: &str) -> Option<PointReading> {
        let i = self.point(point)?;
        let mut inputs = lock(&self.shared.inputs);
        let reading = inputs.readings.get(i).copied().flatten();
        if inputs.edge_unread.get(i).copied().unwrap_or(false) {
            // Read once: what followed the edge is what the next read shows.
            let queued = inputs.queued.get_mut(i).and_then(Option::take);
            if let Some(e) = inputs.edge_unread.get_mut(i) {
                *e = false;
            }
            if let (Some(Some(slot)), Some(level)) = (inputs.readings.get_mut(i), queued) {
                slot.value = PointValue::Level(level);
            }
        }
        reading
    }

    fn set_output(&self, point: &str, level: bool) -> Result<(), LineError> {
        let unknown = || LineError::UnknownPoint {
            source_name: self.shared.config.name.clone(),
            point: point.to_string(),
        };
        let i = self.point(point).ok_or_else(unknown)?;
        let mut outputs = lock(&self.shared.outputs);
        match outputs.commanded.get_mut(i) {
            Some(Some(commanded)) => {
                if *commanded != level {
                    *commanded = level;
                    self.shared.outputs_changed.notify_all();
                }
                Ok(())
            }
            _ => Err(unknown()),
        }
    }

    fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Record a failure; logged when it differs from the last one, so a missing chip retried
    /// every second logs once.
    fn fail(&self, e: &GpioError) {
        let text = e.to_string();
        let mut last = lock(&self.last_error);
        if last.as_deref() != Some(text.as_str()) {
            tracing::warn!(source = %self.config.name, origin = %self.config.origin, error = %text,
                "GPIO source failed; its inputs go stale and it is retried");
            *last = Some(text);
        }
    }

    fn sleep(&self, d: Duration) {
        // In slices, so that a dropped source's thread ends soon.
        let slice = Duration::from_millis(50);
        let mut left = d;
        while !left.is_zero() && !self.stopped() {
            let step = left.min(slice);
            std::thread::sleep(step);
            left = left.saturating_sub(step);
        }
    }

    fn open(&self) -> Option<Arc<dyn GpioLines>> {
        let lines: Vec<LineConfig> = self.config.points.iter().map(|(_, l)| l.clone()).collect();
        match self.backend.request(&self.config.chip, "chargerd", &lines) {
            Ok(req) => {
                if lock(&self.last_error).take().is_some() {
                    tracing::info!(source = %self.config.name, chip = %self.config.chip.display(), "GPIO chip open again");
                } else {
                    tracing::info!(source = %self.config.name, chip = %self.config.chip.display(), lines = lines.len(), "GPIO chip open");
                }
                let mut outputs = lock(&self.outputs);
                // The request drives every output at its safe level.
                outputs.written = self.safe_levels().collect();
                *lock(&self.request) = Some(Arc::clone(&req));
                self.outputs_changed.notify_all();
                Some(req)
            }
            Err(e) => {
                self.fail(&e);
                None
            }
        }
    }

    /// Each point's safe level, in point order: `Some` for an output, `None` for an input.
    fn safe_levels(&self) -> impl Iterator<Item = Option<bool>> + '_ {
        self.config.points.iter().map(|(_, l)| match l.direction {
            LineDirection::Output { safe } => Some(safe),
            LineDirection::Input { .. } => None,
        })
    }

    /// Every output at its safe level, as writes by line index.
    fn safe_writes(&self) -> Vec<(usize, bool)> {
        self.safe_levels()
            .enumerate()
            .filter_map(|(i, level)| level.map(|l| (i, l)))
            .collect()
    }

    fn close(&self, e: &GpioError) {
        self.fail(e);
        // The request is about to go, and with it the lines, at whatever level they hold
        // until the chip is open again (`retry`). A failed read may leave writes working: set
        // every output to its safe level first (contactors open, lock released), best effort.
        if let Some(req) = lock(&self.request).take() {
            let safe = self.safe_writes();
            if !safe.is_empty() {
                if let Err(e) = req.set_values(&safe) {
                    tracing::error!(
                        source = %self.config.name,
                        error = %e,
                        "outputs not set to their safe levels before the chip was closed"
                    );
                }
            }
        }
    }

    fn publish(&self, values: &[bool]) {
        let at = self.clock.at(tokio::time::Instant::now());
        let inputs = &mut *lock(&self.inputs);
        for (i, (_, line)) in self.config.points.iter().enumerate() {
            if line.is_output() {
                continue;
            }
            let Some(&level) = values.get(i) else {
                continue;
            };
            let unread = inputs.edge_unread.get(i).copied().unwrap_or(false);
            let Some(slot) = inputs.readings.get_mut(i) else {
                continue;
            };
            match slot {
                // An edge's level not read yet stays; the poll queues behind it, fresh.
                Some(held) if unread => {
                    held.at = at;
                    if let Some(q) = inputs.queued.get_mut(i) {
                        *q = Some(level);
                    }
                }
                _ => {
                    *slot = Some(PointReading {
                        value: PointValue::Level(level),
                        at,
                    });
                }
            }
        }
    }

    /// Edges as they arrived: the first one not yet read is held, later ones queue behind it
    /// (see [`Inputs`]).
    fn record_edges(&self, edges: &[EdgeEvent]) {
        if edges.is_empty() {
            return;
        }
        let at = self.clock.at(tokio::time::Instant::now());
        let inputs = &mut *lock(&self.inputs);
        for e in edges {
            let i = e.line;
            if self.config.points.get(i).is_none_or(|(_, l)| l.is_output()) {
                continue;
            }
            let unread = inputs.edge_unread.get(i).copied().unwrap_or(false);
            if unread {
                if let Some(q) = inputs.queued.get_mut(i) {
                    *q = Some(e.active);
                }
                continue;
            }
            let changed = inputs
                .readings
                .get(i)
                .copied()
                .flatten()
                .is_none_or(|r| r.value != PointValue::Level(e.active));
            if !changed {
                continue;
            }
            if let Some(slot) = inputs.readings.get_mut(i) {
                *slot = Some(PointReading {
                    value: PointValue::Level(e.active),
                    at,
                });
            }
            if let Some(u) = inputs.edge_unread.get_mut(i) {
                *u = true;
            }
            if let Some(q) = inputs.queued.get_mut(i) {
                *q = None;
            }
        }
    }

    fn run_inputs(&self) {
        let mut request: Option<Arc<dyn GpioLines>> = None;
        while !self.stopped() {
            let Some(req) = request.clone().or_else(|| self.open()) else {
                self.sleep(self.config.retry);
                continue;
            };
            request = Some(Arc::clone(&req));
            match req.values() {
                Ok(values) => self.publish(&values),
                Err(e) => {
                    self.close(&e);
                    request = None;
                    self.sleep(self.config.retry);
                    continue;
                }
            }
            // Back at the top at once on an edge, else after the poll period.
            match req.wait_edges(self.config.poll) {
                Ok(edges) => self.record_edges(&edges),
                Err(e) => {
                    self.close(&e);
                    request = None;
                    self.sleep(self.config.retry);
                }
            }
        }
        *lock(&self.request) = None;
    }

    fn run_outputs(&self) {
        let mut outputs = lock(&self.outputs);
        loop {
            if self.stopped() {
                // The source is going (the daemon stops): its lines at their safe levels while
                // the request is still ours, rather than whatever they were last driven to.
                if let Some(req) = lock(&self.request).clone() {
                    let safe = self.safe_writes();
                    if let Err(e) = req.set_values(&safe) {
                        tracing::error!(source = %self.config.name, error = %e,
                            "outputs not set to their safe levels at stop");
                    }
                }
                return;
            }
            let request = lock(&self.request).clone();
            let changes: Vec<(usize, bool)> = outputs
                .commanded
                .iter()
                .zip(&outputs.written)
                .enumerate()
                .filter_map(|(i, (c, w))| match (c, w) {
                    (Some(c), w) if Some(*c) != *w => Some((i, *c)),
                    _ => None,
                })
                .collect();
            let (Some(req), false) = (request, changes.is_empty()) else {
                // Nothing to write, or no request yet: wait for a command or a (re)open.
                // The timeout only bounds how late a stop is seen.
                outputs = self
                    .outputs_changed
                    .wait_timeout(outputs, Duration::from_millis(500))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
                continue;
            };
            drop(outputs);
            let result = req.set_values(&changes);
            outputs = lock(&self.outputs);
            match result {
                Ok(()) => {
                    for (i, level) in changes {
                        if let Some(w) = outputs.written.get_mut(i) {
                            *w = Some(level);
                        }
                    }
                }
                Err(e) => {
                    // The input thread notices too and reopens; until then, do not spin.
                    self.fail(&e);
                    drop(outputs);
                    self.sleep(self.config.retry);
                    outputs = lock(&self.outputs);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
