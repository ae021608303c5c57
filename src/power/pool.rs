//! The module pool and its switching matrix.
//!
//! A cabinet holds power modules; matrix contactors connect each module to one of the
//! connector outputs it is wired to (the topology comes from the configuration: which module
//! reaches which output through which contactor). Once per station step the pool:
//!
//! 1. **observes** ([`ModulePool::observe`]) every module's reading and every contactor's
//!    feedback contact, and sums what the modules on each output deliver into that output's
//!    [`PowerReading`], which the connector sees as its power supply;
//! 2. **plans** ([`ModulePool::plan`]) which modules each output should have, from what each
//!    truck can take ([`OutputDemand`]) and the station-wide power budget, and moves modules
//!    one switching step at a time; it returns each output's capacity, the connector's "pool"
//!    limit;
//! 3. **commands** ([`ModulePool::command`]) every module and contactor from the connectors'
//!    power commands.
//!
//! # Assignment
//!
//! Each output that wants power gets a target in watts: the budget (the sum of the usable
//! modules' capacities, and the site's DC budget when one is given) shared among the outputs'
//! demands, max-min fair or in priority order as the station allocator shares the site. An
//! output then holds modules until their capacity covers its target; every output that wants
//! power gets at least one module while one is free or can be taken from an output holding
//! several. A module's capacity is its rating reduced by its own derating (the available power
//! it reports). A module an output no longer needs is released at once when another output is
//! short of one it can reach, otherwise only after it has been surplus for
//! [`PoolTiming::release_after`] (a truck whose demand dips does not lose its modules).
//!
//! # Switching, and the invariants it keeps
//!
//! * **Never one module on two outputs.** A contactor closes only while every contactor of its
//!   module is commanded open *and* its feedback reads open.
//! * **Switching at zero current.** A module leaving an output first gets a current limit of
//!   zero (the output's capacity falls in the same step, so the connector lowers its current
//!   before the module drops out); its contactor opens once it carries less than
//!   [`SWITCH_CURRENT_A`], or after [`PoolTiming::ramp_deadline`] when it cannot say (not
//!   answering) — with its output off.
//! * **Voltage matched before joining a live bus.** A module joining an output that carries
//!   voltage first regulates to that voltage with no current, and its contactor closes only once
//!   it is within [`PoolTiming::match_tolerance`]; onto a dead bus it closes switched off.
//! * **Capacity only from connected modules.** A module counts for its output's capacity only
//!   once its contactor's feedback reads closed; it stops counting the step it is told to leave.
//! * **Feedback is checked before and after every switch.** A contactor whose feedback still
//!   reads closed [`PoolTiming::contactor_deadline`] after it was told to open is welded: its
//!   module and the output it is welded to are locked out until a technician clears them (a
//!   restart); the module is switched off at once, but a contact of its to another output
//!   that carried its current opens only once that current is gone. One that does not close is
//!   marked failed and never used again; an output left with no working contactor is locked
//!   out.
//! * **Range changes at zero output.** A module with series/parallel ranges gets its range
//!   while it is off and carries no current, before it joins.
//! * **Proportional sharing.** The modules on an output get the connector's voltage setpoint
//!   and a part of its current limit in proportion to what each can deliver.
//! * **Range.** A module in its low range leaves (at zero current) when its output's voltage
//!   rises above that range, and joins again in the high range.
//! * **Faults move the share.** A module that reports a fault or stops answering stops counting
//!   at once and is switched out; its output's capacity falls to what the others give.

use std::collections::BTreeMap;
use std::time::Duration;

use charger_hal::{ModuleCommand, ModuleReading, PowerReading, VoltageRange};
use charger_protocol::{PowerCommand, Timestamp};
use serde::{Deserialize, Serialize};

/// A module's contactor may open, and a module may change range, below this current (A).
pub const SWITCH_CURRENT_A: f32 = 1.0;

/// Below this voltage (V) an output's bus counts as dead: a module joins it switched off.
pub const DEAD_BUS_V: f32 = 30.0;

/// One power module, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleSpec {
    pub id: u32,
    /// Rated output power, in W.
    pub max_power_w: f32,
    /// Rated output current, in A.
    pub max_current_a: f32,
    /// Output voltage range, in V.
    pub min_voltage: f32,
    pub max_voltage: f32,
    /// For a module with series/parallel (Hi/Lo) ranges: the highest voltage of the low range.
    pub low_range_max_voltage: Option<f32>,
}

impl ModuleSpec {
    /// The range a module with two needs for `volts`.
    fn range_for(&self, volts: f32) -> Option<VoltageRange> {
        self.low_range_max_voltage.map(|max| {
            if volts <= max {
                VoltageRange::Low
            } else {
                VoltageRange::High
            }
        })
    }
}

/// One matrix contactor: it connects `module` (an index into the modules) to `output` (a
/// connector id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactorSpec {
    pub module: usize,
    pub output: u32,
}

/// The cabinet as configured: modules, outputs and the contactors between them.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolTopology {
    modules: Vec<ModuleSpec>,
    contactors: Vec<ContactorSpec>,
    outputs: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TopologyError {
    #[error("module {0} is listed twice")]
    DuplicateModule(u32),
    #[error("contactor {index}: no module at index {module}")]
    UnknownModule { index: usize, module: usize },
    #[error("contactor {index}: no connector output {output}")]
    UnknownOutput { index: usize, output: u32 },
    #[error("contactor {index}: module {module} is already wired to output {output}")]
    DuplicateContactor {
        index: usize,
        module: u32,
        output: u32,
    },
    #[error("module {0} is wired to no output")]
    UnwiredModule(u32),
    #[error("connector output {0} has no module wired to it")]
    UnfedOutput(u32),
    #[error("module {id}: {reason}")]
    BadRating { id: u32, reason: String },
}

impl PoolTopology {
    pub fn new(
        modules: Vec<ModuleSpec>,
        contactors: Vec<ContactorSpec>,
        outputs: Vec<u32>,
    ) -> Result<PoolTopology, TopologyError> {
        let mut ids = std::collections::BTreeSet::new();
        for m in &modules {
            if !ids.insert(m.id) {
                return Err(TopologyError::DuplicateModule(m.id));
            }
            let bad = |reason: &str| {
                Err(TopologyError::BadRating {
                    id: m.id,
                    reason: reason.into(),
                })
            };
            let positive = |v: f32| v.is_finite() && v > 0.0;
            if !positive(m.max_power_w) || !positive(m.max_current_a) {
                return bad("power and current ratings must be above 0");
            }
            if !(m.min_voltage.is_finite()
                && m.min_voltage >= 0.0
                && positive(m.max_voltage)
                && m.min_voltage < m.max_voltage)
            {
                return bad("min_voltage must be below max_voltage");
            }
            if let Some(low) = m.low_range_max_voltage {
                if !(low.is_finite() && low > m.min_voltage && low < m.max_voltage) {
                    return bad("low_range_max_voltage must lie between min and max voltage");
                }
            }
        }
        for (index, c) in contactors.iter().enumerate() {
            let Some(m) = modules.get(c.module) else {
                return Err(TopologyError::UnknownModule {
                    index,
                    module: c.module,
                });
            };
            if !outputs.contains(&c.output) {
                return Err(TopologyError::UnknownOutput {
                    index,
                    output: c.output,
                });
            }
            if contactors[..index].contains(c) {
                return Err(TopologyError::DuplicateContactor {
                    index,
                    module: m.id,
                    output: c.output,
                });
            }
        }
        for (i, m) in modules.iter().enumerate() {
            if !contactors.iter().any(|c| c.module == i) {
                return Err(TopologyError::UnwiredModule(m.id));
            }
        }
        for o in &outputs {
            if !contactors.iter().any(|c| c.output == *o) {
                return Err(TopologyError::UnfedOutput(*o));
            }
        }
        Ok(PoolTopology {
            modules,
            contactors,
            outputs,
        })
    }

    pub fn modules(&self) -> &[ModuleSpec] {
        &self.modules
    }

    pub fn contactors(&self) -> &[ContactorSpec] {
        &self.contactors
    }

    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    fn contactor(&self, module: usize, output: u32) -> Option<usize> {
        self.contactors
            .iter()
            .position(|c| c.module == module && c.output == output)
    }
}

/// How long switching may take, and when a surplus module is released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolTiming {
    /// A contactor's feedback must follow its command within this.
    pub contactor_deadline: Duration,
    /// A leaving module must fall below [`SWITCH_CURRENT_A`] within this (or a joining module
    /// match the bus voltage); after it the module is switched off and out regardless.
    pub ramp_deadline: Duration,
    /// A module an output does not need is kept this long unless another output needs it.
    pub release_after: Duration,
    /// A module that stopped answering may deliver its last setpoint until its own
    /// communication watchdog switches it off: its contactor opens only after this, which must
    /// exceed the modules' watchdog (the shipped profiles': 5 s and 10 s).
    pub stale_open_after: Duration,
    /// A joining module's voltage must be within this fraction of a live bus's (at least
    /// [`MATCH_TOLERANCE_MIN_V`]).
    pub match_tolerance: f32,
    /// A module that reports a fault is sent a fault reset once it has been off and out of
    /// every output this long (a latched over-temperature needs the heat sink to cool first),
    /// and again this long after each attempt...
    pub fault_reset_after: Duration,
    /// ... at most this many times in an hour; 0: never (a technician resets it).
    pub fault_resets_per_hour: u32,
}

/// The least voltage difference accepted when matching a live bus, in V.
pub const MATCH_TOLERANCE_MIN_V: f32 = 5.0;

impl Default for PoolTiming {
    fn default() -> Self {
        PoolTiming {
            contactor_deadline: Duration::from_millis(500),
            ramp_deadline: Duration::from_secs(2),
            release_after: Duration::from_secs(10),
            stale_open_after: Duration::from_secs(12),
            match_tolerance: 0.02,
            fault_reset_after: Duration::from_secs(60),
            fault_resets_per_hour: 3,
        }
    }
}

/// What an output wants of the pool this step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputDemand {
    pub output: u32,
    /// A session runs that needs voltage or current on the output (handshake to charging).
    pub wants_power: bool,
    /// The power the truck can take, in W (0 when it wants none).
    pub demand_w: f64,
    /// The voltage its current is drawn at, in V (for capacities in amperes).
    pub volts: f32,
    /// The voltage on the output's vehicle side (0 when its contactors are open), in V.
    pub vehicle_side_voltage: f32,
}

/// What the pool's hardware reported this step.
#[derive(Debug, Clone, Default)]
pub struct PoolInputs {
    /// One reading per configured module, in order.
    pub modules: Vec<ModuleReading>,
    /// One feedback per configured contactor, in order.
    pub feedback: Vec<Option<bool>>,
}

/// What the pool's hardware should do now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolCommands {
    /// One command per module, in order.
    pub modules: Vec<ModuleCommand>,
    /// A range to select, where a module must change it (only while off and without current).
    pub ranges: Vec<Option<VoltageRange>>,
    /// One command per contactor (closed = true), in order.
    pub contactors: Vec<bool>,
    /// Per module: send it a fault reset now (a momentary command; only while it is free,
    /// off and reports a fault).
    pub fault_resets: Vec<bool>,
}

/// Where a module is in its switching.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ModuleState {
    /// On no output, contactors open.
    Free,
    /// Regulating to a live bus's voltage before its contactor closes.
    Matching { output: u32, since: Timestamp },
    /// Its contactor told to close; waiting for the feedback.
    Closing { output: u32, since: Timestamp },
    /// Delivering on `output`.
    Active { output: u32 },
    /// Current limit zero, waiting for the current to fall before opening.
    Leaving { output: u32, since: Timestamp },
    /// Its contactor told to open; waiting for the feedback.
    Opening { output: u32, since: Timestamp },
    /// A contactor of this module (to `output`) is welded: off, never used again until a
    /// restart. A contact of its to another output that it carried current through opens only
    /// once that current is gone.
    LockedOut { output: u32, since: Timestamp },
}

impl ModuleState {
    /// The output a module is on or moving onto or off.
    fn output(&self) -> Option<u32> {
        match *self {
            ModuleState::Free => None,
            ModuleState::Matching { output, .. }
            | ModuleState::Closing { output, .. }
            | ModuleState::Active { output }
            | ModuleState::Leaving { output, .. }
            | ModuleState::Opening { output, .. }
            | ModuleState::LockedOut { output, .. } => Some(output),
        }
    }
}

#[derive(Debug, Clone)]
struct Module {
    state: ModuleState,
    reading: ModuleReading,
    /// The range the module was told to select, until it reports it.
    range_request: Option<VoltageRange>,
    /// Since when it has been free and faulted (the reset policy's clock).
    idle_faulted_since: Option<Timestamp>,
    /// Its fault resets within the last hour.
    resets: Vec<Timestamp>,
    /// The reset limit was reached and logged.
    resets_exhausted: bool,
}

#[derive(Debug, Clone)]
struct Contactor {
    commanded: bool,
    /// The feedback last read.
    feedback: Option<bool>,
    /// Since when the feedback has disagreed with the command.
    mismatch_since: Option<Timestamp>,
    /// It did not close when told: never used again.
    failed: bool,
}

/// The pool's view for `chargerctl modules` and tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolSnapshot {
    pub modules: Vec<ModuleView>,
    pub contactors: Vec<ContactorView>,
    pub outputs: Vec<OutputView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleView {
    pub id: u32,
    #[serde(flatten)]
    pub state: ModuleState,
    pub voltage: f32,
    pub current: f32,
    /// What it can deliver now (its rating less its own derating), in W; 0 when unusable.
    pub capacity_w: f32,
    pub temperature_c: Option<f32>,
    pub fault: Option<String>,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactorView {
    pub module: u32,
    pub output: u32,
    pub commanded: bool,
    pub feedback: Option<bool>,
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputView {
    pub output: u32,
    /// The power this output should get, in W.
    pub target_w: f64,
    /// What its connected modules can deliver, in A at the demand's voltage.
    pub capacity_a: f32,
    pub modules: Vec<u32>,
    /// Why the output is locked out, when it is.
    pub locked_out: Option<String>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ModulePool {
    topology: PoolTopology,
    timing: PoolTiming,
    modules: Vec<Module>,
    contactors: Vec<Contactor>,
    /// Outputs locked out by a welded contactor, and why.
    locked: BTreeMap<u32, String>,
    /// Per output: since when it has held more than its target.
    surplus_since: BTreeMap<u32, Timestamp>,
    /// Per output: the last plan's target (W) and capacity (A).
    last_plan: BTreeMap<u32, (f64, f32)>,
    /// The last plan's demands (for the voltage a joining module matches).
    last_demands: Vec<OutputDemand>,
    /// The time of the last observation.
    last_now: Timestamp,
}

impl ModulePool {
    pub fn new(topology: PoolTopology, timing: PoolTiming) -> ModulePool {
        let modules = topology
            .modules
            .iter()
            .map(|_| Module {
                state: ModuleState::Free,
                reading: ModuleReading {
                    stale: true,
                    ..ModuleReading::default()
                },
                range_request: None,
                idle_faulted_since: None,
                resets: Vec::new(),
                resets_exhausted: false,
            })
            .collect();
        let contactors = topology
            .contactors
            .iter()
            .map(|_| Contactor {
                commanded: false,
                feedback: None,
                mismatch_since: None,
                failed: false,
            })
            .collect();
        ModulePool {
            topology,
            timing,
            modules,
            contactors,
            locked: BTreeMap::new(),
            surplus_since: BTreeMap::new(),
            last_plan: BTreeMap::new(),
            last_demands: Vec::new(),
            last_now: Timestamp::ZERO,
        }
    }

    pub fn topology(&self) -> &PoolTopology {
        &self.topology
    }

    /// Whether `output` is fed by the pool.
    pub fn feeds(&self, output: u32) -> bool {
        self.topology.outputs.contains(&output)
    }

    /// Why `output` is locked out, when it is.
    pub fn lockout(&self, output: u32) -> Option<&str> {
        self.locked.get(&output).map(String::as_str)
    }

    /// Take this step's readings and feedback; check every contactor against its command.
    pub fn observe(&mut self, inputs: &PoolInputs, now: Timestamp) {
        self.last_now = now;
        for (i, m) in self.modules.iter_mut().enumerate() {
            m.reading = inputs.modules.get(i).cloned().unwrap_or(ModuleReading {
                stale: true,
                ..ModuleReading::default()
            });
            if m.range_request.is_some() && m.reading.range == m.range_request {
                m.range_request = None;
            }
            let idle_faulted =
                m.state == ModuleState::Free && !m.reading.stale && m.reading.fault.is_some();
            if idle_faulted {
                m.idle_faulted_since.get_or_insert(now);
            } else {
                m.idle_faulted_since = None;
            }
            if m.reading.fault.is_none() && !m.reading.stale {
                m.resets_exhausted = false;
            }
        }
        for (i, c) in self.contactors.iter_mut().enumerate() {
            c.feedback = inputs.feedback.get(i).copied().flatten();
            if c.feedback == Some(c.commanded) {
                c.mismatch_since = None;
            } else {
                c.mismatch_since.get_or_insert(now);
            }
        }
        let deadline = self.timing.contactor_deadline;
        for index in 0..self.contactors.len() {
            let c = &self.contactors[index];
            let overdue = c.mismatch_since.is_some_and(|t| now - t > deadline);
            if !overdue {
                continue;
            }
            let spec = self.topology.contactors[index];
            let feedback = c.feedback;
            if c.commanded {
                // Only a contact confirmed open failed to close; an unreadable one may be
                // closed and carrying current.
                if feedback == Some(false) && !c.failed {
                    tracing::error!(
                        module = self.topology.modules[spec.module].id,
                        output = spec.output,
                        contactor = index,
                        "matrix contactor did not close: not used again"
                    );
                    self.contactors[index].failed = true;
                    // No contactor left to this output: nothing can ever feed it (until a
                    // restart, as for a weld): say so instead of waiting for a module.
                    let output = spec.output;
                    let dead = self
                        .topology
                        .contactors
                        .iter()
                        .zip(&self.contactors)
                        .filter(|(s, _)| s.output == output)
                        .all(|(_, c)| c.failed);
                    if dead {
                        let why = format!("no matrix contactor to output {output} closes");
                        tracing::error!(output, "{why}: output locked out");
                        self.locked.entry(output).or_insert(why);
                    }
                }
                let next = self.off_closing(spec.module, spec.output, now);
                let m = &mut self.modules[spec.module];
                match m.state {
                    ModuleState::Closing { .. } => m.state = next,
                    // It may be carrying current: ramp it to zero before opening.
                    ModuleState::Active { output } => {
                        m.state = ModuleState::Leaving { output, since: now };
                    }
                    _ => {}
                }
            } else if feedback == Some(true) {
                // Confirmed closed though told to open: welded. (An unreadable contact only
                // keeps its module from joining anywhere until it reads open again.)
                self.weld(index, now);
            }
        }
    }

    /// Contactor `index` reads closed (or unreadable) though told to open: its module and the
    /// output it is welded to are locked out.
    fn weld(&mut self, index: usize, now: Timestamp) {
        let spec = self.topology.contactors[index];
        let module_id = self.topology.modules[spec.module].id;
        let m = &mut self.modules[spec.module];
        if matches!(m.state, ModuleState::LockedOut { .. }) {
            return;
        }
        let why = format!(
            "matrix contactor of module {module_id} on output {} did not open (welded or feedback lost)",
            spec.output
        );
        // A module on another output is now tied to both: that output is locked out too.
        if let Some(other) = m.state.output().filter(|o| *o != spec.output) {
            self.locked.entry(other).or_insert_with(|| why.clone());
        }
        tracing::error!(
            module = module_id,
            output = spec.output,
            contactor = index,
            "{why}: module and output locked out"
        );
        m.state = ModuleState::LockedOut {
            output: spec.output,
            since: now,
        };
        self.locked.entry(spec.output).or_insert(why);
    }

    /// Whether module `i` can be given work: answering with numbers, no fault, not locked
    /// out.
    fn usable(&self, i: usize) -> bool {
        let m = &self.modules[i];
        !m.reading.stale
            && m.reading.current.is_finite()
            && m.reading.voltage.is_finite()
            && m.reading.fault.is_none()
            && !matches!(m.state, ModuleState::LockedOut { .. })
    }

    /// What module `i` can deliver now, in W: its rating less its own derating.
    fn capacity_w(&self, i: usize) -> f32 {
        if !self.usable(i) {
            return 0.0;
        }
        let spec = &self.topology.modules[i];
        self.modules[i]
            .reading
            .available_power_w
            .filter(|w| w.is_finite())
            .map_or(spec.max_power_w, |w| w.clamp(0.0, spec.max_power_w))
    }

    /// Module `i` reports its low range, and `volts` is above it.
    fn out_of_range(&self, i: usize, volts: f32) -> bool {
        let low_max = self.topology.modules[i].low_range_max_voltage;
        self.modules[i].reading.range == Some(VoltageRange::Low)
            && low_max.is_some_and(|max| volts > max)
    }

    /// What module `i` can deliver at `volts`, in A.
    fn capacity_a(&self, i: usize, volts: f32) -> f32 {
        let spec = &self.topology.modules[i];
        let w = self.capacity_w(i);
        if w <= 0.0 || !volts.is_finite() || volts > spec.max_voltage || self.out_of_range(i, volts)
        {
            return 0.0;
        }
        (w / volts.max(spec.min_voltage).max(1.0)).min(spec.max_current_a)
    }

    /// The sum of what the modules connected to `output` deliver, as the connector's supply.
    pub fn output_reading(&self, output: u32, now: Timestamp) -> PowerReading {
        let mut reading = PowerReading {
            at: now,
            ..PowerReading::default()
        };
        let (mut on, mut answering, mut stale_since) = (0u32, 0u32, None);
        for (i, m) in self.modules.iter().enumerate() {
            let Some(c) = self.topology.contactor(i, output) else {
                continue;
            };
            // On the output: its contactor commanded or reading closed.
            let c = &self.contactors[c];
            if !(c.commanded || c.feedback != Some(false)) {
                continue;
            }
            if m.reading.current.is_finite() {
                reading.current += m.reading.current;
            }
            if !m.reading.stale && m.reading.voltage.is_finite() {
                reading.voltage = reading.voltage.max(m.reading.voltage);
            }
            reading.enabled |= m.reading.running;
            on += 1;
            if m.reading.stale {
                stale_since =
                    Some(stale_since.map_or(m.reading.at, |t: Timestamp| t.min(m.reading.at)));
            } else {
                answering += 1;
            }
        }
        // No module on the output answers: the supply's reading is as old as their last one,
        // and the connector treats it as stale (its supply off, its session stopped).
        if on > 0 && answering == 0 {
            if let Some(t) = stale_since {
                reading.at = t;
            }
        }
        reading
    }

    /// The modules moving onto, on or off `output`.
    fn on(&self, output: u32) -> impl Iterator<Item = usize> + '_ {
        self.modules
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.state.output() == Some(output))
            .map(|(i, _)| i)
    }

    /// Decide this step's switching from what the outputs want, within `budget_w` (the site's
    /// DC budget, when one applies). `priority` lists outputs first served (priority policy),
    /// empty for max-min fair shares. Returns each pooled output's capacity in amperes, with
    /// a detail for the limit's reason.
    pub fn plan(
        &mut self,
        demands: &[OutputDemand],
        budget_w: Option<f64>,
        priority: &[u32],
        now: Timestamp,
    ) -> BTreeMap<u32, (f32, String)> {
        self.last_demands = demands.to_vec();
        // 1. Modules that stopped being usable leave wherever they are.
        for i in 0..self.modules.len() {
            if self.usable(i) {
                continue;
            }
            match self.modules[i].state {
                // Never connected: its contactor only has to stay open.
                ModuleState::Matching { output, .. } => {
                    self.modules[i].state = ModuleState::Opening { output, since: now };
                }
                ModuleState::Closing { output, .. } => {
                    self.modules[i].state = self.off_closing(i, output, now);
                }
                ModuleState::Active { output } => {
                    tracing::warn!(
                        module = self.topology.modules[i].id,
                        output,
                        fault = self.modules[i].reading.fault.as_deref().unwrap_or(""),
                        stale = self.modules[i].reading.stale,
                        "module unusable: switched out"
                    );
                    self.modules[i].state = ModuleState::Leaving { output, since: now };
                }
                _ => {}
            }
        }
        // A module in its low (parallel) range cannot reach an output voltage above that
        // range: it leaves at zero current and joins again in the high range.
        for i in 0..self.modules.len() {
            let ModuleState::Active { output } = self.modules[i].state else {
                continue;
            };
            let volts = demands
                .iter()
                .find(|d| d.output == output)
                .map_or(0.0, |d| d.volts);
            if self.out_of_range(i, volts) {
                tracing::info!(
                    module = self.topology.modules[i].id,
                    output,
                    volts,
                    "module leaves to change to its high range"
                );
                self.modules[i].state = ModuleState::Leaving { output, since: now };
            }
        }
        // A range asked of a free module stands only while it is about to join (join()
        // asks again each step): a request must not outlive its reason.
        for m in &mut self.modules {
            if m.state == ModuleState::Free {
                m.range_request = None;
            }
        }
        // 2. Targets: the budget shared among the outputs that want power.
        let wanting: Vec<&OutputDemand> = demands
            .iter()
            .filter(|d| {
                d.wants_power && self.feeds(d.output) && !self.locked.contains_key(&d.output)
            })
            .collect();
        let pool_w: f64 = (0..self.modules.len())
            .map(|i| f64::from(self.capacity_w(i)))
            .sum();
        let budget = budget_w.map_or(pool_w, |b| b.min(pool_w)).max(0.0);
        let targets = share(&wanting, budget, priority);

        // 3. Advance switching already under way.
        self.advance(demands, now);

        // 4. Release what an output does not need; acquire what it lacks.
        let mut order: Vec<u32> = wanting.iter().map(|d| d.output).collect();
        order.sort_by_key(|o| {
            (
                priority.iter().position(|p| p == o).unwrap_or(usize::MAX),
                *o,
            )
        });
        for o in self.topology.outputs.clone() {
            let target = targets.get(&o).copied().unwrap_or(0.0);
            let wants = wanting.iter().any(|d| d.output == o);
            if !wants {
                self.surplus_since.remove(&o);
                for i in self.on(o).collect::<Vec<_>>() {
                    self.release(i, now);
                }
                continue;
            }
            // Surplus: the held capacity without its smallest module still covers the target.
            let held = self.held(o);
            let held_w: f64 = held.iter().map(|&i| f64::from(self.capacity_w(i))).sum();
            // The surplus: the smallest modules whose capacity the target does without.
            let mut by_size = held.clone();
            by_size.sort_by(|&a, &b| self.capacity_w(a).total_cmp(&self.capacity_w(b)));
            let mut surplus = Vec::new();
            let mut left = held_w;
            for &i in &by_size {
                let w = f64::from(self.capacity_w(i));
                if held.len() - surplus.len() > 1 && left - w >= target {
                    left -= w;
                    surplus.push(i);
                }
            }
            if surplus.is_empty() {
                self.surplus_since.remove(&o);
                continue;
            }
            let since = *self.surplus_since.entry(o).or_insert(now);
            let expired = now - since >= self.timing.release_after;
            for i in surplus {
                let needed_elsewhere = order.iter().any(|&other| {
                    other != o
                        && self.reaches(i, other)
                        && self.short(other, targets.get(&other).copied().unwrap_or(0.0))
                        && !self.free_module_for(other)
                });
                if expired || needed_elsewhere {
                    self.release(i, now);
                }
            }
            if expired {
                self.surplus_since.remove(&o);
            }
        }
        for &o in &order {
            let target = targets.get(&o).copied().unwrap_or(0.0);
            let demand = wanting.iter().find(|d| d.output == o).map(|d| **d);
            while self.short(o, target) {
                let Some(i) = self.free_module_reaching(o) else {
                    break;
                };
                if !self.join(i, o, demand, now) {
                    break;
                }
            }
            // An output with no module at all takes one from an output holding several — one
            // at a time: not while a module that can reach it is already on its way off.
            let coming = (0..self.modules.len()).any(|i| {
                matches!(
                    self.modules[i].state,
                    ModuleState::Leaving { .. } | ModuleState::Opening { .. }
                ) && self.usable(i)
                    && self.reaches(i, o)
            });
            if self.on(o).next().is_none() && !coming {
                if let Some(i) = self.donor_for(o) {
                    self.release(i, now);
                }
            }
        }

        // 5. Capacities: connected modules only, whose contactor reads closed this step (a
        //    feedback lost for a moment takes the module's capacity away until it is back).
        let mut out = BTreeMap::new();
        self.last_plan.clear();
        for &o in &self.topology.outputs {
            let volts = demands
                .iter()
                .find(|d| d.output == o)
                .map_or(0.0, |d| d.volts);
            let active: Vec<usize> = self
                .on(o)
                .filter(|&i| self.modules[i].state == ModuleState::Active { output: o })
                .filter(|&i| {
                    self.topology
                        .contactor(i, o)
                        .is_some_and(|c| self.contactors[c].feedback == Some(true))
                })
                .collect();
            let amps: f32 = active.iter().map(|&i| self.capacity_a(i, volts)).sum();
            let watts: f32 = active.iter().map(|&i| self.capacity_w(i)).sum();
            let detail = match self.locked.get(&o) {
                Some(why) => format!("locked out: {why}"),
                None if active.is_empty() && !self.can_feed(o) => {
                    "no usable power module can reach this output".to_string()
                }
                None if active.is_empty() => "no power module connected yet".to_string(),
                None => format!(
                    "{} module{}, {:.0} kW",
                    active.len(),
                    if active.len() == 1 { "" } else { "s" },
                    watts / 1000.0
                ),
            };
            // (+ 0.0: an empty float sum is -0.0, shown as "-0 A".)
            let amps = if self.locked.contains_key(&o) {
                0.0
            } else {
                amps + 0.0
            };
            self.last_plan
                .insert(o, (targets.get(&o).copied().unwrap_or(0.0), amps));
            out.insert(o, (amps, detail));
        }
        out
    }

    /// Whether `output` holds less than `target_w` (or nothing at all while it wants power).
    fn short(&self, output: u32, target_w: f64) -> bool {
        let held = self.held(output);
        if held.is_empty() {
            return target_w > 0.0 || !self.locked.contains_key(&output);
        }
        let w: f64 = held.iter().map(|&i| f64::from(self.capacity_w(i))).sum();
        w < target_w
    }

    /// How a module still closing onto `output` gets off it: straight to opening when it
    /// says it carries nothing, else through the zero-current ramp like a connected one (its
    /// contacts may already be closed, and a module that cannot say is not trusted).
    fn off_closing(&self, i: usize, output: u32, now: Timestamp) -> ModuleState {
        let r = &self.modules[i].reading;
        if !r.stale && r.current.abs() < SWITCH_CURRENT_A {
            ModuleState::Opening { output, since: now }
        } else {
            ModuleState::Leaving { output, since: now }
        }
    }

    /// Module `i` is active on `output` with its contact read closed: it carries a share.
    fn connected(&self, i: usize, output: u32) -> bool {
        self.modules[i].state == ModuleState::Active { output }
            && self
                .topology
                .contactor(i, output)
                .is_some_and(|c| self.contactors[c].feedback == Some(true))
    }

    /// Some module is still on, moving onto or off an output: the pool is not at rest (a
    /// shutdown waits for it, then switches it off).
    pub fn busy(&self) -> bool {
        (0..self.modules.len()).any(|i| match self.modules[i].state {
            ModuleState::Free => false,
            ModuleState::LockedOut { .. } => self.live_contacts(i).next().is_some(),
            _ => true,
        })
    }

    /// The contactors a locked-out module `i` must keep closed for now: those to an output
    /// other than the welded one that are commanded closed while the module may still carry
    /// current through them (it reads 1 A or more, or it does not answer and its own watchdog
    /// has not switched it off for sure yet).
    fn live_contacts(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let m = &self.modules[i];
        let carrying = match m.state {
            ModuleState::LockedOut { since, .. } if m.reading.stale => {
                self.last_now - since <= self.timing.stale_open_after
            }
            ModuleState::LockedOut { .. } => {
                !m.reading.current.is_finite() || m.reading.current.abs() >= SWITCH_CURRENT_A
            }
            _ => false,
        };
        let welded = m.state.output();
        self.topology
            .contactors
            .iter()
            .enumerate()
            .filter(move |(k, spec)| {
                carrying
                    && spec.module == i
                    && Some(spec.output) != welded
                    && self.contactors[*k].commanded
            })
            .map(|(k, _)| k)
    }

    /// Module `i`'s contactors, with the output each leads to.
    fn contacts(&self, i: usize) -> impl Iterator<Item = (u32, &Contactor)> + '_ {
        self.topology
            .contactors
            .iter()
            .zip(&self.contactors)
            .filter(move |(spec, _)| spec.module == i)
            .map(|(spec, c)| (spec.output, c))
    }

    /// Every contactor of module `i` other than its one to `output` is commanded open and
    /// reads open: closing that one cannot put the module on two outputs.
    fn others_open(&self, i: usize, output: u32) -> bool {
        self.contacts(i)
            .filter(|(o, _)| *o != output)
            .all(|(_, c)| !c.commanded && c.feedback == Some(false))
    }

    /// The modules moving onto or on `output` (matching, closing, active): what it holds.
    fn held(&self, output: u32) -> Vec<usize> {
        self.on(output)
            .filter(|&i| {
                matches!(
                    self.modules[i].state,
                    ModuleState::Active { .. }
                        | ModuleState::Closing { .. }
                        | ModuleState::Matching { .. }
                )
            })
            .collect()
    }

    /// Some usable module can reach `output` (whether it is free now or not).
    fn can_feed(&self, output: u32) -> bool {
        (0..self.modules.len()).any(|i| self.usable(i) && self.reaches(i, output))
    }

    fn reaches(&self, i: usize, output: u32) -> bool {
        self.topology
            .contactor(i, output)
            .is_some_and(|c| !self.contactors[c].failed)
    }

    /// A free module that can reach `output` and deliver something (a module derated to
    /// nothing would only take a switching cycle).
    fn free_module_reaching(&self, output: u32) -> Option<usize> {
        (0..self.modules.len()).find(|&i| {
            self.modules[i].state == ModuleState::Free
                && self.usable(i)
                && self.capacity_w(i) > 0.0
                && self.reaches(i, output)
        })
    }

    fn free_module_for(&self, output: u32) -> bool {
        self.free_module_reaching(output).is_some()
    }

    /// A module another output can give up to `output`: from the output holding the most.
    fn donor_for(&self, output: u32) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for &o in &self.topology.outputs {
            if o == output {
                continue;
            }
            let held: Vec<usize> = self
                .on(o)
                .filter(|&i| matches!(self.modules[i].state, ModuleState::Active { .. }))
                .collect();
            if held.len() < 2 {
                continue;
            }
            if let Some(&i) = held.iter().rev().find(|&&i| self.reaches(i, output)) {
                if best.is_none_or(|(n, _)| held.len() > n) {
                    best = Some((held.len(), i));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// Start taking module `i` off its output.
    fn release(&mut self, i: usize, now: Timestamp) {
        self.modules[i].state = match self.modules[i].state {
            ModuleState::Active { output } => ModuleState::Leaving { output, since: now },
            // Not connected yet: keep its contactor open.
            ModuleState::Matching { output, .. } => ModuleState::Opening { output, since: now },
            ModuleState::Closing { output, .. } => self.off_closing(i, output, now),
            other => other,
        };
    }

    /// Start moving free module `i` onto `output`. Returns false when it cannot now.
    fn join(
        &mut self,
        i: usize,
        output: u32,
        demand: Option<OutputDemand>,
        now: Timestamp,
    ) -> bool {
        // Never one module on two outputs: every contactor of the module open, by command
        // and by feedback.
        let all_open = self
            .contacts(i)
            .all(|(_, c)| !c.commanded && c.feedback == Some(false));
        if !all_open || self.modules[i].reading.current.abs() >= SWITCH_CURRENT_A {
            return false;
        }
        let spec = &self.topology.modules[i];
        let volts = demand.map_or(0.0, |d| d.volts.max(self.bus_voltage(output, demand)));
        if let Some(range) = spec.range_for(volts) {
            if self.modules[i].reading.range != Some(range) {
                // Changed while the module is off; it joins once it reports the new range.
                self.modules[i].range_request = Some(range);
                return false;
            }
        }
        let live = self.bus_voltage(output, demand) >= DEAD_BUS_V;
        self.modules[i].state = if live {
            ModuleState::Matching { output, since: now }
        } else {
            ModuleState::Closing { output, since: now }
        };
        true
    }

    /// The voltage on `output`'s bus: its connected modules', else the vehicle side's.
    fn bus_voltage(&self, output: u32, demand: Option<OutputDemand>) -> f32 {
        let modules = self
            .on(output)
            .filter(|&i| self.modules[i].state == ModuleState::Active { output })
            .filter(|&i| !self.modules[i].reading.stale)
            .map(|i| self.modules[i].reading.voltage)
            .filter(|v| v.is_finite())
            .fold(0.0f32, f32::max);
        let vehicle = demand
            .map(|d| d.vehicle_side_voltage)
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        modules.max(vehicle)
    }

    /// Advance every module's switching by what the readings and feedback say.
    fn advance(&mut self, demands: &[OutputDemand], now: Timestamp) {
        let t = self.timing.clone();
        for i in 0..self.modules.len() {
            let state = self.modules[i].state;
            let demand = |o: u32| demands.iter().find(|d| d.output == o).copied();
            self.modules[i].state = match state {
                ModuleState::Matching { output, since } => {
                    let bus = self.bus_voltage(output, demand(output));
                    let v = self.modules[i].reading.voltage;
                    let tol = (bus * t.match_tolerance).max(MATCH_TOLERANCE_MIN_V);
                    if (bus < DEAD_BUS_V || (v - bus).abs() <= tol) && self.others_open(i, output) {
                        ModuleState::Closing { output, since: now }
                    } else if now - since > t.ramp_deadline {
                        tracing::warn!(
                            module = self.topology.modules[i].id,
                            output,
                            module_v = v,
                            bus_v = bus,
                            "module did not match the bus voltage in time: not joined"
                        );
                        ModuleState::Opening { output, since: now }
                    } else {
                        state
                    }
                }
                ModuleState::Closing { output, .. } => {
                    let c = self.topology.contactor(i, output);
                    if c.is_some_and(|c| self.contactors[c].feedback == Some(true)) {
                        tracing::info!(
                            module = self.topology.modules[i].id,
                            output,
                            "module joined"
                        );
                        ModuleState::Active { output }
                    } else {
                        // The contactor deadline in observe() handles one that never closes.
                        state
                    }
                }
                ModuleState::Leaving { output, since } => {
                    let r = &self.modules[i].reading;
                    // Open only at zero current: measured by the module, or, for one that
                    // does not answer, once its own watchdog has switched it off for sure.
                    // (A current that is not a number is no answer.)
                    let quiet = !r.stale && r.current.abs() < SWITCH_CURRENT_A;
                    let silent = r.stale || !r.current.is_finite();
                    if quiet || (silent && now - since > t.stale_open_after) {
                        ModuleState::Opening { output, since: now }
                    } else {
                        state
                    }
                }
                ModuleState::Opening { output, .. } => {
                    let open = self.contacts(i).all(|(_, c)| c.feedback == Some(false));
                    if open {
                        tracing::info!(module = self.topology.modules[i].id, output, "module left");
                        ModuleState::Free
                    } else {
                        // A contactor that never opens is welded (observe()).
                        state
                    }
                }
                other => other,
            };
        }
    }

    /// Every module's and contactor's command, from the connectors' power commands.
    pub fn command(&mut self, outputs: &[(u32, PowerCommand)]) -> PoolCommands {
        let mut cmds = PoolCommands {
            modules: vec![ModuleCommand::OFF; self.modules.len()],
            ranges: self.modules.iter().map(|m| m.range_request).collect(),
            contactors: vec![false; self.contactors.len()],
            fault_resets: self.fault_resets(),
        };
        for (i, m) in self.modules.iter().enumerate() {
            let Some(output) = m.state.output() else {
                continue;
            };
            let cmd = outputs
                .iter()
                .find(|(o, _)| *o == output)
                .map_or(PowerCommand::OFF, |(_, c)| *c);
            // Never pass on a non-finite setpoint (NaN survives `clamp`).
            let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
            let cmd = PowerCommand {
                voltage: finite(cmd.voltage),
                current: finite(cmd.current),
                ..cmd
            };
            let locked = self.locked.contains_key(&output);
            // The modules sharing the output's current: active with their contact read closed,
            // each in proportion to what it can deliver at the output's voltage (equal for
            // equal modules; a derated one takes less). Equal parts when none can say.
            let volts = self
                .last_demands
                .iter()
                .find(|d| d.output == output)
                .map_or(0.0, |d| d.volts);
            let sharing: Vec<usize> = (0..self.modules.len())
                .filter(|&j| self.connected(j, output))
                .collect();
            let total_capacity: f32 = sharing.iter().map(|&j| self.capacity_a(j, volts)).sum();
            let part = |j: usize| -> f32 {
                if total_capacity > 0.0 {
                    self.capacity_a(j, volts) / total_capacity
                } else {
                    1.0 / sharing.len().max(1) as f32
                }
            };
            // A leaving module still delivers while it ramps down (a faulted one at its own
            // pace; one that stopped answering its last command until its own watchdog stops
            // it): the others give that much less, so that the output's total stays at what
            // the connector commanded.
            let uncontrolled: f32 = self
                .modules
                .iter()
                .filter(
                    |m| matches!(m.state, ModuleState::Leaving { output: o, .. } if o == output),
                )
                .map(|m| m.reading.current.max(0.0))
                .filter(|a| a.is_finite())
                .sum();
            let contactor = self.topology.contactor(i, output);
            match m.state {
                ModuleState::Active { .. } if !locked => {
                    // Its contact stays commanded closed (a feedback glitch must not open it
                    // under load); it gets a share only while the contact reads closed.
                    let spec = &self.topology.modules[i];
                    let share = if cmd.enabled && self.connected(i, output) {
                        ((cmd.current - uncontrolled) * part(i)).clamp(0.0, spec.max_current_a)
                    } else {
                        0.0
                    };
                    cmds.modules[i] = ModuleCommand {
                        enable: cmd.enabled,
                        voltage: cmd.voltage.clamp(0.0, spec.max_voltage),
                        current_limit: share,
                    };
                    if let Some(c) = contactor {
                        cmds.contactors[c] = true;
                    }
                }
                ModuleState::Matching { .. } => {
                    // Regulate to the live bus (its modules', else the vehicle side's voltage),
                    // with no current; were the bus dead by now, to the connector's setpoint.
                    let demand = self
                        .last_demands
                        .iter()
                        .find(|d| d.output == output)
                        .copied();
                    let live = self.bus_voltage(output, demand);
                    let target = if live >= DEAD_BUS_V {
                        live
                    } else {
                        cmd.voltage
                    };
                    cmds.modules[i] = ModuleCommand {
                        enable: true,
                        voltage: target.clamp(0.0, self.topology.modules[i].max_voltage),
                        current_limit: 0.0,
                    };
                }
                ModuleState::Closing { .. } => {
                    // Onto a live bus it keeps regulating to the bus voltage with no current
                    // until its contacts are closed.
                    let demand = self
                        .last_demands
                        .iter()
                        .find(|d| d.output == output)
                        .copied();
                    let live = self.bus_voltage(output, demand);
                    if live >= DEAD_BUS_V {
                        cmds.modules[i] = ModuleCommand {
                            enable: true,
                            voltage: live.clamp(0.0, self.topology.modules[i].max_voltage),
                            current_limit: 0.0,
                        };
                    }
                    // Checked again until it is commanded: a contactor of this module to another
                    // output that no longer reads open (welded, feedback lost) keeps it open.
                    // (Once commanded it stays so: dropping it could open it under load.)
                    if let Some(c) = contactor
                        .filter(|&c| self.contactors[c].commanded || self.others_open(i, output))
                    {
                        cmds.contactors[c] = true;
                    }
                }
                ModuleState::Leaving { since, .. } => {
                    // Regulating on, current limit zero: it hands its current to the others;
                    // one still carrying current after the ramp deadline is switched off.
                    let ok = !m.reading.stale
                        && m.reading.fault.is_none()
                        && self.last_now - since <= self.timing.ramp_deadline;
                    cmds.modules[i] = ModuleCommand {
                        enable: ok && cmd.enabled,
                        voltage: cmd.voltage.clamp(0.0, self.topology.modules[i].max_voltage),
                        current_limit: 0.0,
                    };
                    if let Some(c) = contactor {
                        cmds.contactors[c] = true;
                    }
                }
                // Locked out: off at once; a contact to another output that carried its
                // current opens once the current is gone (the other output is locked out too,
                // so its connector is ramping down). The welded one stays closed whatever we
                // say.
                ModuleState::LockedOut { .. } => {
                    for k in self.live_contacts(i) {
                        cmds.contactors[k] = true;
                    }
                }
                // Opening: off, contactor open.
                _ => {}
            }
        }
        for (c, want) in self.contactors.iter_mut().zip(&cmds.contactors) {
            if c.commanded != *want {
                c.mismatch_since = None;
            }
            c.commanded = *want;
        }
        cmds
    }

    /// The fault-reset policy: a module free (off, contacts open) and faulted for
    /// [`PoolTiming::fault_reset_after`], since it became so or since its last reset, gets a
    /// reset, at most [`PoolTiming::fault_resets_per_hour`] times in an hour; after that it stays
    /// out until its fault clears or a technician resets it.
    fn fault_resets(&mut self) -> Vec<bool> {
        let now = self.last_now;
        let t = &self.timing;
        let hour = Duration::from_secs(3600);
        self.modules
            .iter_mut()
            .zip(&self.topology.modules)
            .map(|(m, spec)| {
                m.resets.retain(|&at| now - at < hour);
                let Some(since) = m.idle_faulted_since else {
                    return false;
                };
                let last = m.resets.last().copied().map_or(since, |r| r.max(since));
                if now - last < t.fault_reset_after {
                    return false;
                }
                if m.resets.len() >= t.fault_resets_per_hour as usize {
                    if !m.resets_exhausted && t.fault_resets_per_hour > 0 {
                        tracing::error!(
                            module = spec.id,
                            fault = m.reading.fault.as_deref().unwrap_or(""),
                            resets = m.resets.len(),
                            "module fault persists after its resets: left out"
                        );
                    }
                    m.resets_exhausted = true;
                    return false;
                }
                m.resets.push(now);
                tracing::info!(
                    module = spec.id,
                    fault = m.reading.fault.as_deref().unwrap_or(""),
                    attempt = m.resets.len(),
                    "module fault reset"
                );
                true
            })
            .collect()
    }

    pub fn snapshot(&self) -> PoolSnapshot {
        let modules = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| ModuleView {
                id: self.topology.modules[i].id,
                state: m.state,
                voltage: m.reading.voltage,
                current: m.reading.current,
                capacity_w: self.capacity_w(i),
                temperature_c: m.reading.temperature_c,
                fault: m.reading.fault.clone(),
                stale: m.reading.stale,
            })
            .collect();
        let contactors = self
            .topology
            .contactors
            .iter()
            .zip(&self.contactors)
            .map(|(spec, c)| ContactorView {
                module: self.topology.modules[spec.module].id,
                output: spec.output,
                commanded: c.commanded,
                feedback: c.feedback,
                failed: c.failed,
            })
            .collect();
        let outputs = self
            .topology
            .outputs
            .iter()
            .map(|&o| {
                let (target_w, capacity_a) = self.last_plan.get(&o).copied().unwrap_or((0.0, 0.0));
                OutputView {
                    output: o,
                    target_w,
                    capacity_a,
                    modules: self.on(o).map(|i| self.topology.modules[i].id).collect(),
                    locked_out: self.locked.get(&o).cloned(),
                }
            })
            .collect();
        PoolSnapshot {
            modules,
            contactors,
            outputs,
        }
    }
}

/// `budget` W shared among `wanting`: in `priority` order when one is given (each gets all it
/// wants that fits), else max-min fair (water-filling).
fn share(wanting: &[&OutputDemand], budget: f64, priority: &[u32]) -> BTreeMap<u32, f64> {
    let mut out: BTreeMap<u32, f64> = BTreeMap::new();
    let wants = |d: &OutputDemand| {
        if d.demand_w.is_finite() {
            d.demand_w.max(0.0)
        } else {
            0.0
        }
    };
    if !priority.is_empty() {
        let mut order: Vec<&&OutputDemand> = wanting.iter().collect();
        order.sort_by_key(|d| {
            (
                priority
                    .iter()
                    .position(|p| *p == d.output)
                    .unwrap_or(usize::MAX),
                d.output,
            )
        });
        let mut left = budget;
        for d in order {
            let give = wants(d).min(left);
            left -= give;
            out.insert(d.output, give);
        }
        return out;
    }
    let mut rest: Vec<&&OutputDemand> = wanting.iter().collect();
    rest.sort_by(|a, b| wants(a).total_cmp(&wants(b)));
    let mut left = budget;
    let mut n = rest.len();
    for d in rest {
        let fair = if n > 0 { left / n as f64 } else { 0.0 };
        let give = wants(d).min(fair);
        left -= give;
        n -= 1;
        out.insert(d.output, give);
    }
    out
}

#[cfg(test)]
mod tests;
