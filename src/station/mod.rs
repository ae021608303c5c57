//! The station core: connectors, sessions, transactions, limits, faults. Pure and time-injected.
//!
//! The core owns every connector's state. Its shells hand it what the hardware measured and the
//! frames that arrived ([`HardwareInputs`]), and it answers with what to drive
//! ([`HardwareOutputs`]) plus [`StationEvent`]s for the journal (and, later, OCPP). It never
//! touches a socket, a file or a clock, so tests drive whole sessions in simulated time.

pub mod allocator;
pub mod auth;
mod connector;
pub mod fault;
pub mod limits;
mod metering;
mod supervision;

use std::collections::VecDeque;

use charger_hal::{
    CoolingCommand, CoolingReading, DigitalInputs, DigitalOutputs, ImdReading, MeterReading,
    PowerReading,
};
use charger_protocol::{CanFrame, DcSession, PowerCommand, StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{Config, ConnectorSection};
pub use allocator::{AllocationPolicy, SiteBudget, StationAllocator, StationLimit};
pub use auth::{AuthError, Authorizer};
use connector::Connector;

use crate::power::{ModulePool, PoolCommands, PoolInputs, PoolSnapshot};
pub use connector::{ConnectorSnapshot, TransactionSnapshot};
pub use fault::{Fault, FaultKind};
pub use limits::{CurrentLimit, LimitSet, LimitSource};

/// Builds the protocol session for a connector (CHAdeMO today; GB/T, ISO 15118 later).
/// A factory error is a configuration problem; `hardware::check` calls it once at start.
pub type SessionFactory =
    Box<dyn Fn(&ConnectorSection) -> Result<Box<dyn DcSession>, String> + Send>;

/// The factory, owned by the station.
struct Sessions(SessionFactory);

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionFactory")
    }
}

/// Connector status, one-to-one with OCPP's `ChargePointStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectorStatus {
    Available,
    Preparing,
    Charging,
    SuspendedEV,
    SuspendedEVSE,
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
}

impl std::fmt::Display for ConnectorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// What the hardware of one connector reported this step.
#[derive(Debug, Clone, Default)]
pub struct HardwareInputs {
    pub io: DigitalInputs,
    pub power: PowerReading,
    pub imd: ImdReading,
    /// The connector's DC meter, when it has one: the source of its energy.
    pub meter: Option<MeterReading>,
    /// Frames received since the last step, oldest first.
    pub frames: Vec<CanFrame>,
    /// The connector's cooling unit, when it has one: pin and coolant temperatures, flow,
    /// alarms (the thermal controller's input).
    pub cooling: Option<CoolingReading>,
    /// Why the connector's hardware cannot be used now (`ConnectorHardware::unavailable`).
    pub unavailable: Option<String>,
}

/// What the hardware of one connector should do now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HardwareOutputs {
    pub io: DigitalOutputs,
    pub power: PowerCommand,
    pub imd_measuring: bool,
    /// Frames to transmit, in order.
    pub frames: Vec<CanFrame>,
    /// The cooling unit's command (pump, fan, run); `None` without a cooling unit.
    pub cooling: Option<CoolingCommand>,
}

/// What a connector offers and what the truck asks, at this instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    pub offered_current: f32,
    pub requested_current: Option<f32>,
    pub phase: charger_protocol::SessionPhase,
    pub status: ConnectorStatus,
}

/// A transaction as the journal records it at its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionStart {
    pub transaction_id: i64,
    pub connector: u32,
    pub id_tag: String,
    pub meter_start_wh: f64,
    pub at: Timestamp,
}

/// A transaction as the journal records it at its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionStop {
    pub transaction_id: i64,
    pub connector: u32,
    pub meter_stop_wh: f64,
    pub reason: StopReason,
    /// Faults seen during the transaction, in order.
    pub faults: Vec<String>,
    /// Where the DC meter could not be believed, in order (empty without a meter).
    #[serde(default)]
    pub meter_gaps: Vec<MeterGap>,
    pub soc_percent: Option<f32>,
    pub at: Timestamp,
}

/// A gap in a transaction's metering: from the meter's last good reading to its first good
/// one after (or the end of the transaction). Nothing was invented for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterGap {
    pub transaction_id: i64,
    pub connector: u32,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    /// What the station's own cable voltage × supply current says flowed while the meter was
    /// not believed, in Wh: for the operator, never counted.
    pub estimated_wh: f64,
    /// What the meter's cumulative register carried across the gap when it answered again,
    /// in Wh (counted: measured, not invented). `None` when it could not: a replaced or reset
    /// meter, or the transaction ended first. Then the transaction's energy misses this part.
    pub counted_wh: Option<f64>,
    /// Why the meter was not believed.
    pub cause: String,
}

/// What the station tells its shells. Journal-relevant events must be persisted before any
/// acknowledgement that depends on them is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StationEvent {
    StatusChanged {
        connector: u32,
        status: ConnectorStatus,
        /// Why, for Faulted/SuspendedEVSE (OCPP `info`).
        info: Option<String>,
        /// For Faulted: the fault it reports, whose kind chooses the OCPP error codes.
        #[serde(default)]
        fault: Option<Fault>,
        at: Timestamp,
    },
    TransactionStarted(TransactionStart),
    TransactionStopped(TransactionStop),
    /// The energy register, sampled periodically and at transaction boundaries.
    MeterSample {
        connector: u32,
        transaction_id: Option<i64>,
        meter_wh: f64,
        voltage: f32,
        current: f32,
        soc_percent: Option<f32>,
        at: Timestamp,
    },
    /// A stretch of a transaction in which the DC meter could not be believed (stale,
    /// frozen, implausible), recorded when it ends.
    MeterGap(MeterGap),
    FaultRaised {
        connector: u32,
        fault: Fault,
        at: Timestamp,
    },
    FaultCleared {
        connector: u32,
        fault: Fault,
        at: Timestamp,
    },
    /// A CAN frame from the vehicle was rejected; logged and counted, nothing else changes.
    FrameRejected {
        connector: u32,
        error: String,
        at: Timestamp,
    },
    /// The insulation test before energy transfer passed.
    InsulationTested {
        connector: u32,
        ohms: f32,
        warning: bool,
        at: Timestamp,
    },
    /// Autocharge with `authorization.mode = "ocpp"`: the session read the vehicle's VIN and
    /// waits for the OCPP charge point to authorize it (a `Start` with the VIN as id tag) or
    /// refuse it (a `Stop` with reason DeAuthorized). No current flows meanwhile.
    VehicleIdentified {
        connector: u32,
        vin: String,
        at: Timestamp,
    },
    /// The session moved to another phase (for logs).
    PhaseChanged {
        connector: u32,
        phase: charger_protocol::SessionPhase,
        at: Timestamp,
    },
}

impl StationEvent {
    /// When it happened, on the station's monotonic clock.
    pub fn at(&self) -> Timestamp {
        match self {
            StationEvent::StatusChanged { at, .. }
            | StationEvent::MeterSample { at, .. }
            | StationEvent::FaultRaised { at, .. }
            | StationEvent::FaultCleared { at, .. }
            | StationEvent::FrameRejected { at, .. }
            | StationEvent::InsulationTested { at, .. }
            | StationEvent::VehicleIdentified { at, .. }
            | StationEvent::PhaseChanged { at, .. } => *at,
            StationEvent::TransactionStarted(t) => t.at,
            StationEvent::TransactionStopped(t) => t.at,
            StationEvent::MeterGap(g) => g.ended_at,
        }
    }
}

/// A request from a technician or (later) the CSMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum StationCommand {
    Start {
        connector: u32,
        id_tag: Option<String>,
    },
    /// End the session on `connector` for `reason` (a technician: Local; the CSMS: Remote).
    Stop {
        connector: u32,
        reason: StopReason,
    },
    SetAvailability {
        connector: u32,
        operative: bool,
    },
    /// Reserve the connector for `id_tag` (the CSMS's ReserveNow), or end its reservation
    /// (`None`). A reserved connector shows Reserved and starts only for that id tag.
    Reserve {
        connector: u32,
        id_tag: Option<String>,
    },
    /// A firmware image is being installed (`true`) or done (`false`): every connector without
    /// a session is Unavailable meanwhile and nothing new starts, auto-start included. Not
    /// persisted: the install may restart the charger, which then starts available.
    SetMaintenance {
        blocked: bool,
    },
    /// The CSMS's smart-charging limit on this connector, in amperes and/or watts (watts are
    /// converted with the live output voltage at every step); both `None` lifts it.
    SetChargingLimit {
        connector: u32,
        amps: Option<f32>,
        watts: Option<f32>,
        detail: String,
    },
    /// The CSMS's charge-point-wide limit (ChargePointMaxProfile), a budget the station
    /// allocator shares among the connectors: `amps` bounds the sum of their DC output
    /// currents, `watts` the sum of their DC output powers; both `None` lifts it.
    SetStationLimit {
        amps: Option<f32>,
        watts: Option<f32>,
        detail: String,
    },
    /// A technician drives output `line` (its `io` key) of `connector` by hand, or hands it
    /// back (`level` `None`): commissioning, on an Inoperative, dead connector only.
    TestOutput {
        connector: u32,
        line: String,
        level: Option<bool>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum CommandOutcome {
    /// A session started at once (the truck was plugged in).
    Started {
        transaction_id: i64,
    },
    /// Authorized; the session starts when a truck is plugged in within the timeout.
    AwaitingPlugIn {
        timeout_s: u64,
    },
    /// Stop requested; the session is ramping down.
    Stopping {
        transaction_id: i64,
    },
    /// A pending authorization (no session yet) was withdrawn.
    AuthorizationWithdrawn,
    /// Availability changed now.
    AvailabilityChanged,
    /// Availability changes when the running session ends.
    AvailabilityScheduled,
    Reserved,
    ReservationCancelled,
    LimitSet,
    /// Authorization mode `ocpp`: the id tag went to the CSMS (Authorize); the session starts
    /// if it accepts.
    AuthorizationRequested {
        id_tag: String,
    },
    /// An output is driven by hand (`level`), or handed back to the station (`None`).
    TestOutput {
        line: String,
        level: Option<bool>,
    },
}

#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum CommandError {
    #[error("no connector {0}")]
    UnknownConnector(u32),
    #[error("connector {0} is unavailable (inoperative)")]
    Inoperative(u32),
    #[error("connector {connector} is faulted: {fault}")]
    Faulted { connector: u32, fault: String },
    #[error("connector {0} already has a session")]
    Busy(u32),
    #[error("connector {0} has no session to stop")]
    NoSession(u32),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("connector {0} is reserved for another id tag")]
    Reserved(u32),
    #[error("connector {0} is occupied (a vehicle is plugged in or a start is pending)")]
    Occupied(u32),
    #[error(
        "connector {0} must be made Inoperative first (chargerctl availability {0} inoperative)"
    )]
    NotInoperative(u32),
    #[error("connector {connector} is energized ({volts} V on its output): outputs are not driven by hand")]
    Energized { connector: u32, volts: f32 },
    #[error("no output line {0:?} (contactors, connector_lock, d1, d2, aux_power, aux_supply_24v, bleeder, imd_connected)")]
    UnknownLine(String),
}

/// Tunables the core needs from the configuration, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct CoreSettings {
    pub auto_start: bool,
    pub autocharge: bool,
    pub connection_timeout: std::time::Duration,
    pub warning_ohm_per_volt: f32,
    pub fault_ohm_per_volt: f32,
    pub imd_grace: std::time::Duration,
    pub max_reading_age: std::time::Duration,
    pub current_tolerance: f32,
    pub implausible_after: std::time::Duration,
    /// Added to a vehicle's request to make its demand on station-wide budgets.
    pub request_margin: f32,
    pub meter_persist_interval: std::time::Duration,
    /// A stale DC meter stops the session (a live fault) instead of leaving a gap in it.
    pub stop_on_meter_failure: bool,
    /// `[supervision]`: the deadlines on what the board I/O tells.
    pub supervision: Supervision,
}

/// The deadlines of `[supervision]` (see [`crate::config::SupervisionSection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Supervision {
    pub contactor_feedback_deadline: std::time::Duration,
    pub lock_feedback_deadline: std::time::Duration,
    pub open_deadline: std::time::Duration,
    pub bleeder_deadline: std::time::Duration,
}

impl Supervision {
    fn from_config(s: &crate::config::SupervisionSection) -> Self {
        use std::time::Duration;
        Supervision {
            contactor_feedback_deadline: Duration::from_millis(s.contactor_feedback_deadline_ms),
            lock_feedback_deadline: Duration::from_millis(s.lock_feedback_deadline_ms),
            open_deadline: Duration::from_millis(s.open_deadline_ms),
            bleeder_deadline: Duration::from_millis(s.bleeder_deadline_ms),
        }
    }
}

impl CoreSettings {
    fn from_config(cfg: &Config) -> Self {
        CoreSettings {
            auto_start: cfg.authorization.auto_start,
            autocharge: cfg.authorization.autocharge,
            connection_timeout: std::time::Duration::from_secs(
                cfg.authorization.connection_timeout_s,
            ),
            warning_ohm_per_volt: cfg.insulation.warning_ohm_per_volt,
            fault_ohm_per_volt: cfg.insulation.fault_ohm_per_volt,
            imd_grace: std::time::Duration::from_millis(cfg.insulation.grace_after_close_ms),
            max_reading_age: std::time::Duration::from_millis(cfg.safety.max_reading_age_ms),
            current_tolerance: cfg.safety.current_tolerance_a,
            implausible_after: std::time::Duration::from_millis(cfg.safety.implausible_after_ms),
            request_margin: cfg.site.request_margin_a,
            stop_on_meter_failure: cfg.safety.stop_on_meter_failure,
            meter_persist_interval: std::time::Duration::from_secs(
                cfg.station.meter_persist_interval_s,
            ),
            supervision: Supervision::from_config(&cfg.supervision),
        }
    }
}

/// Where the station resumes after a restart: the journal's energy registers and ids.
#[derive(Debug, Clone, Default)]
pub struct RestoredState {
    pub next_transaction_id: i64,
    /// Energy register per connector id, in Wh.
    pub meter_wh: Vec<(u32, f64)>,
    /// Connectors an operator set inoperative.
    pub inoperative: Vec<u32>,
}

/// The station core. See the module documentation.
#[derive(Debug)]
pub struct Station {
    connectors: Vec<Connector>,
    authorizer: Authorizer,
    settings: CoreSettings,
    next_transaction_id: i64,
    events: VecDeque<StationEvent>,
    sessions: Sessions,
    allocator: StationAllocator,
    /// The cabinet's shared modules, when the connectors draw from a pool.
    pool: Option<ModulePool>,
}

impl Station {
    pub fn new(
        cfg: &Config,
        sessions: SessionFactory,
        restored: &RestoredState,
        now: Timestamp,
    ) -> Station {
        let settings = CoreSettings::from_config(cfg);
        let connectors = cfg
            .connectors
            .iter()
            .map(|c| {
                let meter = restored
                    .meter_wh
                    .iter()
                    .find(|(id, _)| *id == c.id)
                    .map_or(0.0, |(_, wh)| *wh);
                let operative = !restored.inoperative.contains(&c.id);
                Connector::new(c.clone(), cfg.thermal.clone(), meter, operative, now)
            })
            .collect();
        Station {
            connectors,
            authorizer: Authorizer::new(&cfg.authorization),
            settings,
            next_transaction_id: restored.next_transaction_id.max(1),
            events: VecDeque::new(),
            sessions: Sessions(sessions),
            allocator: allocator_from_config(cfg),
            pool: pool_from_config(cfg),
        }
    }

    pub fn connector_ids(&self) -> Vec<u32> {
        self.connectors.iter().map(|c| c.id()).collect()
    }

    fn connector_mut(&mut self, id: u32) -> Result<&mut Connector, CommandError> {
        self.connectors
            .iter_mut()
            .find(|c| c.id() == id)
            .ok_or(CommandError::UnknownConnector(id))
    }

    /// Apply a command. Events it causes are queued; persist them before acknowledging.
    pub fn command(
        &mut self,
        cmd: StationCommand,
        now: Timestamp,
    ) -> Result<CommandOutcome, CommandError> {
        match cmd {
            StationCommand::Start { connector, id_tag } => {
                let id_tag = self
                    .authorizer
                    .authorize(id_tag.as_deref())
                    .map_err(|e| CommandError::NotAuthorized(e.to_string()))?;
                let next_id = self.next_transaction_id;
                let settings = self.settings.clone();
                let mut events = Vec::new();
                let Station {
                    connectors,
                    sessions,
                    ..
                } = self;
                let c = connectors
                    .iter_mut()
                    .find(|c| c.id() == connector)
                    .ok_or(CommandError::UnknownConnector(connector))?;
                let outcome =
                    c.authorize(id_tag, next_id, &sessions.0, &settings, now, &mut events)?;
                // A session already identifying the vehicle keeps the id it reserved.
                if outcome
                    == (CommandOutcome::Started {
                        transaction_id: next_id,
                    })
                {
                    self.next_transaction_id += 1;
                }
                self.events.extend(events);
                Ok(outcome)
            }
            StationCommand::Stop { connector, reason } => {
                let c = self.connector_mut(connector)?;
                c.request_stop(reason, now)
            }
            StationCommand::SetAvailability {
                connector,
                operative,
            } => {
                let mut events = Vec::new();
                let c = self.connector_mut(connector)?;
                let outcome = c.set_availability(operative, now, &mut events);
                self.events.extend(events);
                Ok(outcome)
            }
            StationCommand::SetMaintenance { blocked } => {
                for c in &mut self.connectors {
                    c.set_maintenance(blocked);
                }
                Ok(CommandOutcome::AvailabilityChanged)
            }
            StationCommand::Reserve { connector, id_tag } => {
                let c = self.connector_mut(connector)?;
                c.reserve(id_tag)
            }
            StationCommand::SetChargingLimit {
                connector,
                amps,
                watts,
                detail,
            } => {
                let c = self.connector_mut(connector)?;
                c.set_charging_limit(amps, watts, detail);
                Ok(CommandOutcome::LimitSet)
            }
            StationCommand::TestOutput {
                connector,
                line,
                level,
            } => {
                let line = charger_hal::board::OutputLine::from_key(&line)
                    .ok_or(CommandError::UnknownLine(line))?;
                self.connector_mut(connector)?.set_test_output(line, level)
            }
            StationCommand::SetStationLimit {
                amps,
                watts,
                detail,
            } => {
                // Takes effect at the next step, lowering before raising like any budget.
                self.allocator.set_station_limit(Some(StationLimit {
                    amps,
                    watts,
                    detail,
                }));
                Ok(CommandOutcome::LimitSet)
            }
        }
    }

    /// One control step for the whole station: every connector takes what its hardware
    /// reported (`inputs`, by connector id) and the vehicle's frames; the allocator shares the
    /// station-wide budgets among their demands; then each connector decides what to drive.
    /// Returns the outputs in the order of `inputs`; unknown ids get safe (all-off) outputs.
    pub fn step(
        &mut self,
        inputs: &[(u32, HardwareInputs)],
        now: Timestamp,
    ) -> Vec<(u32, HardwareOutputs)> {
        self.step_with_pool(inputs, None, now).0
    }

    /// [`Self::step`] for a station whose connectors draw from a module pool: `pool` is what
    /// its modules and matrix contactors reported (`None` when it has no pool, or as "nothing
    /// answered"). A pooled connector's power reading is the sum of its connected modules';
    /// the pool plans its switching with the allocator's budget and sets each output's "pool"
    /// limit before the connectors decide. Returns the connectors' outputs and, with a pool,
    /// every module's and contactor's command.
    pub fn step_with_pool(
        &mut self,
        inputs: &[(u32, HardwareInputs)],
        pool: Option<&PoolInputs>,
        now: Timestamp,
    ) -> (Vec<(u32, HardwareOutputs)>, Option<PoolCommands>) {
        let settings = self.settings.clone();
        let mut events: Vec<Vec<StationEvent>> = vec![Vec::new(); inputs.len()];
        let pooled_inputs: Vec<(u32, HardwareInputs)>;
        let inputs = match self.pool.as_mut() {
            Some(p) => {
                p.observe(pool.unwrap_or(&PoolInputs::default()), now);
                pooled_inputs = inputs
                    .iter()
                    .map(|(id, input)| {
                        let mut input = input.clone();
                        if p.feeds(*id) {
                            input.power = p.output_reading(*id, now);
                        }
                        (*id, input)
                    })
                    .collect();
                &pooled_inputs[..]
            }
            None => inputs,
        };
        for ((id, input), ev) in inputs.iter().zip(events.iter_mut()) {
            let next_id = self.next_transaction_id;
            let Some(c) = self.connectors.iter_mut().find(|c| c.id() == *id) else {
                continue;
            };
            if let Some(p) = &self.pool {
                c.pool_lockout(p.lockout(*id), now, ev);
            }
            if c.begin_step(input, &settings, next_id, &self.sessions.0, now, ev) {
                self.next_transaction_id += 1;
            }
        }
        // The cooling units' draw as of their last step is part of the auxiliary load.
        let cooling_w: f64 = self
            .connectors
            .iter()
            .map(|c| f64::from(c.cooling_power_w()))
            .sum();
        self.allocator.set_cooling_load_w(cooling_w);
        // Every connector is in the allocation (one not stepped this time wants nothing it
        // has not got already: it keeps its previous share by drawing it).
        let needs: Vec<_> = self
            .connectors
            .iter()
            .map(|c| c.need(settings.request_margin))
            .collect();
        let active = self.allocator.is_active();
        let shares = self.allocator.allocate(&needs);
        for c in &mut self.connectors {
            let share = shares.iter().find(|s| s.id == c.id()).filter(|_| active);
            c.set_share(share);
        }
        if let Some(pool) = self.pool.as_mut() {
            let demands: Vec<_> = self
                .connectors
                .iter()
                .zip(&needs)
                .map(|(c, need)| c.pool_demand(need))
                .collect();
            let budget = self.allocator.dc_budget_w();
            let priority = match self.allocator.policy() {
                AllocationPolicy::Priority(order) => order.clone(),
                AllocationPolicy::EqualShare => Vec::new(),
            };
            let capacities = pool.plan(&demands, budget, &priority, now);
            for c in &mut self.connectors {
                c.set_pool_limit(capacities.get(&c.id()).cloned());
            }
        }
        let mut outputs = Vec::with_capacity(inputs.len());
        for ((id, input), mut ev) in inputs.iter().zip(events) {
            let id = *id;
            let Some(c) = self.connectors.iter_mut().find(|c| c.id() == id) else {
                outputs.push((id, HardwareOutputs::default()));
                continue;
            };
            let out = c.finish_step(input, &settings, now, &mut ev);
            // Autocharge: the VIN the session read decides whether the transaction begins.
            if let Some(vin) = c.vin_to_authorize() {
                if self.authorizer.mode() == crate::config::AuthorizationMode::Ocpp {
                    // Asked once; the OCPP charge point answers with a Start or a Stop.
                    c.vin_reported();
                    ev.push(StationEvent::VehicleIdentified {
                        connector: id,
                        vin,
                        at: now,
                    });
                } else {
                    match self.authorizer.authorize(Some(&vin)) {
                        Ok(id_tag) => c.begin_transaction(id_tag, now, &mut ev),
                        Err(e) => c.refuse_vehicle(&e.to_string(), now),
                    }
                }
            }
            self.events.extend(ev);
            outputs.push((id, out));
        }
        let commands = self.pool.as_mut().map(|p| {
            let powers: Vec<(u32, PowerCommand)> =
                outputs.iter().map(|(id, out)| (*id, out.power)).collect();
            p.command(&powers)
        });
        (outputs, commands)
    }

    /// The module pool's state (for `chargerctl modules` and tests); `None` without a pool.
    pub fn pool(&self) -> Option<PoolSnapshot> {
        self.pool.as_ref().map(ModulePool::snapshot)
    }

    /// Whether the module pool still has a module on, moving onto or off an output.
    pub fn pool_busy(&self) -> bool {
        self.pool.as_ref().is_some_and(ModulePool::busy)
    }

    /// Whether connector `id` draws from the module pool (its own supply is not commanded).
    /// Every output driven by hand goes back to the station (the daemon stops).
    pub fn release_test_outputs(&mut self) {
        for c in &mut self.connectors {
            c.release_test_outputs("the station stops");
        }
    }

    pub fn pooled(&self, id: u32) -> bool {
        self.pool.as_ref().is_some_and(|p| p.feeds(id))
    }

    /// The station-wide budgets and how they are shared (for status views and tests).
    pub fn allocator(&self) -> &StationAllocator {
        &self.allocator
    }

    /// Tell the station an operator-visible fault it cannot measure itself (e.g. a CAN port
    /// error in the shell). It ends any session on that connector.
    pub fn report_fault(&mut self, id: u32, reason: StopReason, now: Timestamp) {
        if let Some(c) = self.connectors.iter_mut().find(|c| c.id() == id) {
            let _ = c.request_stop(reason, now);
        }
    }

    pub fn poll_event(&mut self) -> Option<StationEvent> {
        self.events.pop_front()
    }

    /// The earliest instant any session needs a step, for shells that sleep between steps.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.connectors
            .iter()
            .filter_map(|c| c.poll_timeout())
            .min()
    }

    pub fn snapshot(&self) -> Vec<ConnectorSnapshot> {
        self.connectors.iter().map(|c| c.snapshot()).collect()
    }

    /// What connector `id` offers the truck right now and what the truck asks for, without
    /// building a whole snapshot (invariant checks call this on every step).
    pub fn offer(&self, id: u32) -> Option<Offer> {
        self.connectors
            .iter()
            .find(|c| c.id() == id)
            .map(|c| c.offer())
    }

    /// The thermal controller's view of connector `id`; `None` for an unknown id or a
    /// connector without a cooling unit.
    pub fn thermal(&self, id: u32) -> Option<crate::thermal::ThermalStatus> {
        self.connectors
            .iter()
            .find(|c| c.id() == id)
            .and_then(|c| c.thermal_status())
    }

    pub fn status(&self, id: u32) -> Option<ConnectorStatus> {
        self.connectors
            .iter()
            .find(|c| c.id() == id)
            .map(|c| c.status())
    }
}

/// The allocator for `[site]`: the grid budget (when a limit is set) and the policy.
fn pool_from_config(cfg: &Config) -> Option<ModulePool> {
    let section = cfg.pool.as_ref()?;
    let ids = cfg.connectors.iter().map(|c| c.id).collect();
    // The configuration was validated with this very call; a failure here is a bug, and the
    // station then runs without a pool rather than with a wrong one (every output unfed).
    match section.topology(&ids) {
        Ok(topology) => Some(ModulePool::new(topology, section.timing())),
        Err((key, reason)) => {
            tracing::error!(key, reason, "module pool configuration rejected");
            None
        }
    }
}

fn allocator_from_config(cfg: &Config) -> StationAllocator {
    let site = &cfg.site;
    let budget = (site.max_grid_power_kw.is_some() || site.max_grid_current_a.is_some()).then_some(
        SiteBudget {
            max_grid_power_kw: site.max_grid_power_kw,
            max_grid_current_a: site.max_grid_current_a,
            grid_voltage_v: site.grid_voltage_v,
            power_factor: site.power_factor,
            converter_efficiency: site.converter_efficiency,
            auxiliary_load_kw: site.auxiliary_load_kw,
            cooling_load_w: 0.0,
        },
    );
    let policy = match site.policy {
        crate::config::AllocationPolicyKind::EqualShare => AllocationPolicy::EqualShare,
        crate::config::AllocationPolicyKind::Priority => {
            AllocationPolicy::Priority(site.priority.clone())
        }
    };
    StationAllocator::new(budget, policy)
}
