//! One connector: its session, transaction, limits, faults and status.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use charger_hal::board::OutputLine;
use charger_hal::ImdReading;
use charger_protocol::session::InsulationVerdict;
use charger_protocol::{
    DcSession, PlantInputs, PowerCommand, SessionEvent, SessionPhase, StopReason, Timestamp,
    VehicleStatus,
};
use serde::{Deserialize, Serialize};

use super::allocator::{BudgetKind, ConnectorNeed, Share};
use super::fault::{Fault, FaultKind, Reading};
use super::limits::{protocol_ceiling, CurrentLimit, LimitSet, LimitSource};
use super::metering::{ClosedGap, Metering};
use super::supervision::{session_outputs, FastStop, IoSupervision, ShapeContext, TOUCH_SAFE_V};
use super::{
    CommandError, CommandOutcome, ConnectorStatus, CoreSettings, HardwareInputs, HardwareOutputs,
    MeterGap, Offer, SessionFactory, StationEvent, TransactionStart, TransactionStop,
};
use crate::config::{ConnectorSection, ProtocolKind};
use crate::thermal::{
    ThermalController, ThermalFault, ThermalInputs, ThermalSettings, ThermalStatus,
};

/// A stopping session that still has its contactors closed this long after the stop trigger
/// is forced safe by the station, whatever the protocol state machine thinks.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// A battery's voltage rises by far less than this between two control steps (100 ms): the
/// allocator budgets a charging connector's power at its measured voltage plus this share, or
/// [`BUDGET_VOLTAGE_HEADROOM_MIN_V`] if more, never above the vehicle's target or the setpoint.
const BUDGET_VOLTAGE_HEADROOM: f32 = 0.02;
const BUDGET_VOLTAGE_HEADROOM_MIN_V: f32 = 5.0;
/// Below this voltage the power rating does not limit current (nothing is flowing yet).
const POWER_LIMIT_MIN_VOLTAGE: f32 = 50.0;

#[derive(Debug)]
struct Authorization {
    id_tag: String,
    until: Timestamp,
}

#[derive(Debug)]
struct ActiveSession {
    dc: Box<dyn DcSession>,
    transaction_id: i64,
    id_tag: String,
    started_at: Timestamp,
    meter_start_wh: f64,
    stop_reason: Option<StopReason>,
    stop_triggered_at: Option<Timestamp>,
    energized_at: Option<Timestamp>,
    faults: Vec<String>,
    insulation_warned: bool,
    forced_safe: bool,
    /// Autocharge: the session was started at plug-in to read the vehicle's VIN, and its
    /// transaction has not begun (no authorization yet). Holds when it started waiting.
    identifying_since: Option<Timestamp>,
    /// The VIN was refused; the session is stopping.
    refused: bool,
    /// The VIN went to the OCPP charge point for a decision (authorization mode `ocpp`).
    vin_reported: bool,
    /// Gaps in the DC meter's counting during the transaction, in order.
    gaps: Vec<MeterGap>,
    /// How many of `gaps` went out as events.
    gaps_reported: usize,
}

impl ActiveSession {
    /// The transaction has begun (always, except while autocharge waits for a VIN).
    fn in_transaction(&self) -> bool {
        self.identifying_since.is_none()
    }
}

/// The part of a snapshot about the running transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionSnapshot {
    pub transaction_id: i64,
    pub id_tag: String,
    pub started_at: Timestamp,
    pub energy_wh: f64,
    pub stop_reason: Option<StopReason>,
}

/// Everything `chargerctl status` shows about a connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorSnapshot {
    pub id: u32,
    pub protocol: ProtocolKind,
    pub status: ConnectorStatus,
    pub status_info: Option<String>,
    /// The fault a Faulted status reports, typed (its text is `status_info`).
    #[serde(default)]
    pub status_fault: Option<Fault>,
    pub operative: bool,
    pub availability_scheduled: Option<bool>,
    pub plugged: bool,
    pub phase: SessionPhase,
    pub transaction: Option<TransactionSnapshot>,
    pub authorized_id_tag: Option<String>,
    pub voltage: f32,
    pub current: f32,
    pub power_kw: f32,
    pub meter_wh: f64,
    pub vehicle: VehicleStatus,
    pub limits: Vec<CurrentLimit>,
    /// The smallest limit, the truck's request included.
    pub binding_limit: Option<CurrentLimit>,
    /// What the station offers the truck (all limits but the truck's request).
    pub offered_current: f32,
    pub faults: Vec<String>,
    pub last_stop: Option<StopReason>,
    pub frames_rejected: u64,
    #[serde(default)]
    pub reserved_for: Option<String>,
    /// Outputs a technician drives by hand (`chargerctl hw set`), by line key.
    #[serde(default)]
    pub test_outputs: BTreeMap<String, bool>,
}

#[derive(Debug)]
pub(crate) struct Connector {
    cfg: ConnectorSection,
    operative: bool,
    pending_operative: Option<bool>,
    plugged: bool,
    /// Free-vend auto start has already been used for this plug-in.
    auto_started: bool,
    /// A session ended and the truck is still plugged in.
    finished_while_plugged: bool,
    authorization: Option<Authorization>,
    session: Option<ActiveSession>,
    last_stop: Option<StopReason>,
    faults: BTreeSet<Fault>,
    limits: LimitSet,
    meter_wh: f64,
    last_step: Option<Timestamp>,
    /// Time since the step before, from [`Self::begin_step`] to [`Self::finish_step`].
    step_dt: Duration,
    last_meter_sample: Timestamp,
    commanded: PowerCommand,
    /// The output contactors as last commanded.
    contactors_closed: bool,
    over_current_since: Option<Timestamp>,
    voltage: f32,
    /// The supply's own output voltage (module side of the contactors), this step.
    supply_voltage: f32,
    /// The insulation monitor's reading is stale: its cable voltage proves nothing.
    imd_stale: bool,
    /// Why the connector's hardware cannot be used now (its CAN port cannot be opened):
    /// Unavailable, nothing starts; the other connectors are not concerned.
    hardware_missing: Option<String>,
    current: f32,
    status: ConnectorStatus,
    status_info: Option<String>,
    /// The fault a Faulted status reports (the first one).
    status_fault: Option<Fault>,
    frames_rejected: u64,
    /// Reserved for this id tag (OCPP ReserveNow) until the CSMS or its expiry ends it.
    reserved_for: Option<String>,
    /// The CSMS's charging limit: amperes, watts (converted with the live voltage), detail.
    charging_limit: Option<(Option<f32>, Option<f32>, String)>,
    /// A firmware installation is under way: nothing new starts.
    maintenance: bool,
    /// The DC meter's counter and gaps, from the first step it reported a reading.
    metering: Option<Metering>,
    /// The DC meter cannot be believed ([`FaultKind::MeterStale`]): recorded, reported, but
    /// kept out of `faults`, which stop the output; the session goes on.
    meter_fault: Option<Fault>,
    /// The thermal derating and cooling controller of this connector's pins.
    thermal: ThermalController,
    /// Its "thermal" limit of this step and why (`None`: no cooling unit, no limit).
    thermal_limit: Option<(f32, String)>,
    /// Its cooling command of this step (`None`: no cooling unit).
    cooling: Option<charger_hal::CoolingCommand>,
    /// The thermal limit holds the current back (with hysteresis, for the status `info`).
    thermal_derating: bool,
    /// What the board I/O tells, judged against what was commanded.
    supervision: IoSupervision,
    /// Outputs a technician drives by hand (`chargerctl hw set`), only while the connector
    /// is Inoperative, without a session and de-energized; cleared when it is made Operative.
    test_outputs: BTreeMap<OutputLine, bool>,
}

impl Connector {
    pub(crate) fn new(
        cfg: ConnectorSection,
        thermal: ThermalSettings,
        meter_wh: f64,
        operative: bool,
        now: Timestamp,
    ) -> Self {
        let mut limits = LimitSet::default();
        limits.set(LimitSource::ConnectorRating, cfg.max_current, "");
        let (ceiling, why) = protocol_ceiling(cfg.protocol);
        limits.set(LimitSource::ProtocolCeiling, ceiling, why);
        Connector {
            cfg,
            operative,
            pending_operative: None,
            plugged: false,
            auto_started: false,
            finished_while_plugged: false,
            authorization: None,
            session: None,
            last_stop: None,
            faults: BTreeSet::new(),
            limits,
            meter_wh,
            last_step: None,
            step_dt: Duration::ZERO,
            last_meter_sample: now,
            commanded: PowerCommand::OFF,
            contactors_closed: false,
            over_current_since: None,
            voltage: 0.0,
            supply_voltage: 0.0,
            imd_stale: true,
            hardware_missing: None,
            current: 0.0,
            // Reported on the first step, so that the shell sees the initial status as a change.
            status: ConnectorStatus::Unavailable,
            status_info: Some("starting".into()),
            status_fault: None,
            frames_rejected: 0,
            reserved_for: None,
            charging_limit: None,
            maintenance: false,
            metering: None,
            meter_fault: None,
            thermal: ThermalController::new(thermal),
            thermal_limit: None,
            thermal_derating: false,
            cooling: None,
            supervision: IoSupervision::new(now),
            test_outputs: BTreeMap::new(),
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.cfg.id
    }

    pub(crate) fn status(&self) -> ConnectorStatus {
        self.status
    }

    fn first_fault(&self) -> Option<&Fault> {
        self.faults.iter().next()
    }

    pub(crate) fn authorize(
        &mut self,
        id_tag: String,
        transaction_id: i64,
        sessions: &SessionFactory,
        settings: &CoreSettings,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> Result<CommandOutcome, CommandError> {
        if let Some(s) = self.session.as_ref() {
            // A session identifying the vehicle for autocharge can be authorized by hand.
            if !s.in_transaction() && !s.refused {
                let transaction_id = s.transaction_id;
                self.begin_transaction(id_tag, now, events);
                return Ok(CommandOutcome::Started { transaction_id });
            }
            return Err(CommandError::Busy(self.id()));
        }
        if !self.operative || self.maintenance {
            return Err(CommandError::Inoperative(self.id()));
        }
        if let Some(why) = &self.hardware_missing {
            return Err(CommandError::Faulted {
                connector: self.id(),
                fault: why.clone(),
            });
        }
        if let Some(f) = self.first_fault() {
            return Err(CommandError::Faulted {
                connector: self.id(),
                fault: f.to_string(),
            });
        }
        if let Some(reserved) = &self.reserved_for {
            if !reserved.eq_ignore_ascii_case(&id_tag) {
                return Err(CommandError::Reserved(self.id()));
            }
            // The reservation is used up by its holder's start.
            tracing::info!(connector = self.id(), id_tag = %id_tag, "reservation used");
            self.reserved_for = None;
        }
        self.authorization = Some(Authorization {
            id_tag,
            until: now + settings.connection_timeout,
        });
        if self.plugged {
            self.try_start(transaction_id, sessions, now, events);
            Ok(CommandOutcome::Started { transaction_id })
        } else {
            Ok(CommandOutcome::AwaitingPlugIn {
                timeout_s: settings.connection_timeout.as_secs(),
            })
        }
    }

    pub(crate) fn request_stop(
        &mut self,
        reason: StopReason,
        now: Timestamp,
    ) -> Result<CommandOutcome, CommandError> {
        if let Some(s) = self.session.as_mut() {
            s.dc.stop(reason, now);
            return Ok(CommandOutcome::Stopping {
                transaction_id: s.transaction_id,
            });
        }
        if self.authorization.take().is_some() {
            // Nothing was running yet: withdrawing the authorization is the whole stop.
            return Ok(CommandOutcome::AuthorizationWithdrawn);
        }
        Err(CommandError::NoSession(self.id()))
    }

    pub(crate) fn set_availability(
        &mut self,
        operative: bool,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> CommandOutcome {
        if operative {
            self.clear_by_technician(now, events);
            self.release_test_outputs("the connector was made Operative");
        }
        if self.session.is_some() {
            self.pending_operative = Some(operative);
            return CommandOutcome::AvailabilityScheduled;
        }
        self.operative = operative;
        self.pending_operative = None;
        if !operative {
            self.authorization = None;
        }
        CommandOutcome::AvailabilityChanged
    }

    /// A technician drives output `line` by hand (`level`), or hands it back to the station
    /// (`None`). Only on a connector made Inoperative, with no session or authorization
    /// pending and its output below touch-safe voltage; the contactors only with the
    /// emergency-stop chain closed and the inputs fresh. The station's own rules still apply
    /// on top (no contactor closes before the lock reports locked; an emergency stop or a
    /// contactor fault opens them), and the supply stays off: no session, no power.
    pub(crate) fn set_test_output(
        &mut self,
        line: OutputLine,
        level: Option<bool>,
    ) -> Result<CommandOutcome, CommandError> {
        let id = self.id();
        let Some(level) = level else {
            self.test_outputs.remove(&line);
            tracing::info!(
                connector = id,
                line = line.key(),
                "output handed back to the station"
            );
            return Ok(CommandOutcome::TestOutput {
                line: line.key().to_string(),
                level: None,
            });
        };
        // A board connector drives only the lines its `io` table maps (the simulator's I/O has
        // them all).
        if let Some(io) = &self.cfg.io {
            if !io
                .lines()
                .iter()
                .any(|(k, _)| *k == crate::config::io::LineKey::Output(line))
            {
                return Err(CommandError::UnknownLine(format!(
                    "{} (not in connectors[].io of connector {id})",
                    line.key()
                )));
            }
        }
        if let Some(refused) = self.hand_refusal() {
            return Err(refused);
        }
        tracing::warn!(
            connector = id,
            line = line.key(),
            level,
            "output driven by hand"
        );
        self.test_outputs.insert(line, level);
        Ok(CommandOutcome::TestOutput {
            line: line.key().to_string(),
            level: Some(level),
        })
    }

    /// Why no output may be driven by hand now, from this step's readings: the one rule that
    /// refuses a hand ([`set_test_output`](Self::set_test_output)) and takes it back in the
    /// step. `None`: Inoperative, idle, no vehicle, dead, fault-free, e-stop chain closed.
    fn hand_refusal(&self) -> Option<CommandError> {
        let id = self.id();
        if self.operative || self.pending_operative.is_some() {
            return Some(CommandError::NotInoperative(id));
        }
        if self.session.is_some() || self.authorization.is_some() || self.plugged {
            return Some(CommandError::Occupied(id));
        }
        // Both sides of the contactors dead, by readings that mean something: the cable
        // voltage of a stale monitor (a breaker off, a link down) reads 0 V and proves nothing.
        // A reading that is not a number is not touch-safe either.
        let dead = |v: f32| v < TOUCH_SAFE_V;
        if self.imd_stale || !dead(self.voltage) || !dead(self.supply_voltage) {
            return Some(CommandError::Energized {
                connector: id,
                volts: self.voltage.max(self.supply_voltage),
            });
        }
        if let Some(f) = self.first_fault() {
            return Some(CommandError::Faulted {
                connector: id,
                fault: f.to_string(),
            });
        }
        let io = self.supervision.last();
        if io.emergency_stop || io.stale {
            return Some(CommandError::Faulted {
                connector: id,
                fault: "the emergency-stop chain is open or the inputs are stale".into(),
            });
        }
        None
    }

    pub(crate) fn release_test_outputs(&mut self, why: &str) {
        if !self.test_outputs.is_empty() {
            tracing::warn!(
                connector = self.id(),
                why,
                "outputs driven by hand handed back"
            );
            self.test_outputs.clear();
        }
    }

    /// A technician made the connector Operative: the faults only a technician clears
    /// (emergency stop, welded contactor) clear if their condition is gone; the others stay.
    fn clear_by_technician(&mut self, now: Timestamp, events: &mut Vec<StationEvent>) {
        let io = *self.supervision.last();
        let still = |kind: FaultKind| match kind {
            FaultKind::EmergencyStop => io.emergency_stop || io.stale,
            FaultKind::ContactorWelded => io.contactors_closed || io.stale,
            _ => false,
        };
        for f in self.faults.iter().filter(|f| f.kind.needs_technician()) {
            if still(f.kind) {
                tracing::warn!(connector = self.id(), fault = %f, "fault not cleared: its condition is still there");
            }
        }
        self.clear_where(|f| !f.kind.needs_technician() || still(f.kind), now, events);
    }

    /// Reserve for `id_tag`, or end the reservation (`None`).
    pub(crate) fn reserve(
        &mut self,
        id_tag: Option<String>,
    ) -> Result<CommandOutcome, CommandError> {
        let Some(id_tag) = id_tag else {
            self.reserved_for = None;
            return Ok(CommandOutcome::ReservationCancelled);
        };
        if let Some(f) = self.first_fault() {
            return Err(CommandError::Faulted {
                connector: self.id(),
                fault: f.to_string(),
            });
        }
        if !self.operative {
            return Err(CommandError::Inoperative(self.id()));
        }
        // A new reservation for the same tag replaces the old one (ReserveNow with the same id).
        if self.session.is_some()
            || self.plugged
            || self.authorization.is_some()
            || self
                .reserved_for
                .as_ref()
                .is_some_and(|r| !r.eq_ignore_ascii_case(&id_tag))
        {
            return Err(CommandError::Occupied(self.id()));
        }
        self.reserved_for = Some(id_tag);
        Ok(CommandOutcome::Reserved)
    }

    pub(crate) fn set_maintenance(&mut self, blocked: bool) {
        self.maintenance = blocked;
        if blocked {
            self.authorization = None;
        }
    }

    pub(crate) fn set_charging_limit(
        &mut self,
        amps: Option<f32>,
        watts: Option<f32>,
        detail: String,
    ) {
        self.charging_limit = (amps.is_some() || watts.is_some()).then_some((amps, watts, detail));
    }

    /// Start a session if everything allows it. Returns true if one started.
    fn try_start(
        &mut self,
        transaction_id: i64,
        sessions: &SessionFactory,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> bool {
        // Maintenance (a firmware install, or the daemon shutting down) starts nothing, not
        // even an authorization given before it began.
        if self.session.is_some()
            || !self.plugged
            || !self.operative
            || self.maintenance
            || self.hardware_missing.is_some()
            || !self.faults.is_empty()
        {
            return false;
        }
        let Some(auth) = self.authorization.take() else {
            return false;
        };
        self.start_session(transaction_id, Some(auth.id_tag), sessions, now, events)
    }

    /// Start the protocol session; with `id_tag` the transaction begins now, without it the
    /// session only identifies the vehicle (autocharge) until [`begin_transaction`].
    fn start_session(
        &mut self,
        transaction_id: i64,
        id_tag: Option<String>,
        sessions: &SessionFactory,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> bool {
        let mut dc = match sessions(&self.cfg) {
            Ok(dc) => dc,
            Err(e) => {
                self.raise(
                    Fault::with_detail(FaultKind::SessionUnavailable, e),
                    now,
                    events,
                );
                return false;
            }
        };
        dc.start(now);
        match &id_tag {
            Some(tag) => {
                tracing::info!(connector = self.id(), transaction_id, id_tag = %tag, "session started");
                events.push(StationEvent::TransactionStarted(TransactionStart {
                    transaction_id,
                    connector: self.id(),
                    id_tag: tag.clone(),
                    meter_start_wh: self.meter_wh,
                    at: now,
                }));
            }
            None => tracing::info!(
                connector = self.id(),
                "session started to read the vehicle's VIN (autocharge)"
            ),
        }
        let identifying_since = id_tag.is_none().then_some(now);
        self.session = Some(ActiveSession {
            dc,
            transaction_id,
            id_tag: id_tag.unwrap_or_default(),
            started_at: now,
            meter_start_wh: self.meter_wh,
            stop_reason: None,
            stop_triggered_at: None,
            energized_at: None,
            faults: Vec::new(),
            insulation_warned: false,
            forced_safe: false,
            identifying_since,
            refused: false,
            vin_reported: false,
            gaps: Vec::new(),
            gaps_reported: 0,
        });
        self.finished_while_plugged = false;
        self.last_stop = None;
        true
    }

    /// A truck was plugged in and nothing runs or waits: auto-start or autocharge may begin
    /// (once per plug-in).
    fn may_start_unattended(&self) -> bool {
        self.plugged
            && !self.maintenance
            && self.reserved_for.is_none()
            && !self.auto_started
            && self.session.is_none()
            && self.authorization.is_none()
            && self.operative
            && self.hardware_missing.is_none()
            && self.faults.is_empty()
    }

    /// Autocharge: the VIN the identifying session has read, once, for the station to judge.
    pub(crate) fn vin_to_authorize(&self) -> Option<String> {
        let s = self.session.as_ref()?;
        if s.in_transaction() || s.refused || s.vin_reported || s.stop_reason.is_some() {
            return None;
        }
        s.dc.vehicle().vin.clone()
    }

    /// The VIN went to the OCPP charge point; do not ask again for this session.
    pub(crate) fn vin_reported(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.vin_reported = true;
        }
    }

    /// The vehicle is authorized (its VIN, or an id tag given while it was identified): the
    /// transaction begins now, and current may flow.
    pub(crate) fn begin_transaction(
        &mut self,
        id_tag: String,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        let id = self.id();
        let meter = self.meter_wh;
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if s.in_transaction() {
            return;
        }
        tracing::info!(connector = id, transaction_id = s.transaction_id, id_tag = %id_tag, "vehicle authorized: transaction begins");
        s.identifying_since = None;
        s.id_tag = id_tag.clone();
        s.started_at = now;
        s.meter_start_wh = meter;
        events.push(StationEvent::TransactionStarted(TransactionStart {
            transaction_id: s.transaction_id,
            connector: id,
            id_tag,
            meter_start_wh: meter,
            at: now,
        }));
    }

    /// The vehicle's VIN is not authorized: the identifying session stops, no transaction.
    pub(crate) fn refuse_vehicle(&mut self, why: &str, now: Timestamp) {
        let id = self.id();
        if let Some(s) = self.session.as_mut() {
            tracing::info!(
                connector = id,
                reason = why,
                "vehicle not authorized (autocharge)"
            );
            s.refused = true;
            s.dc.stop(StopReason::DeAuthorized, now);
        }
    }

    /// The insulation monitor's reading judged against the thresholds at the rated voltage.
    fn insulation_verdict(
        imd: &ImdReading,
        settings: &CoreSettings,
        rated_v: f32,
    ) -> InsulationVerdict {
        if !imd.measuring {
            return InsulationVerdict::Unknown;
        }
        match imd.resistance_ohms {
            None => InsulationVerdict::Measuring,
            Some(ohms) if ohms < settings.fault_ohm_per_volt * rated_v => {
                InsulationVerdict::Fault { ohms }
            }
            Some(ohms) if ohms < settings.warning_ohm_per_volt * rated_v => {
                InsulationVerdict::Warning { ohms }
            }
            Some(ohms) => InsulationVerdict::Ok { ohms },
        }
    }

    /// Whether a fault of this kind is already held. A connector holds one fault per kind:
    /// the first, with its detail (a measured value that changes every step would otherwise
    /// raise a new fault, and send a new status, on every step).
    fn has_fault(&self, kind: FaultKind) -> bool {
        self.faults.iter().any(|f| f.kind == kind)
    }

    fn raise(&mut self, fault: Fault, now: Timestamp, events: &mut Vec<StationEvent>) {
        if self.has_fault(fault.kind) {
            return;
        }
        tracing::warn!(connector = self.id(), fault = %fault, detail = %fault.detail, "fault raised");
        events.push(StationEvent::FaultRaised {
            connector: self.id(),
            fault: fault.clone(),
            at: now,
        });
        if let Some(s) = self.session.as_mut() {
            s.faults.push(fault.to_string());
            s.dc.stop(fault.stop_reason(), now);
        }
        self.authorization = None;
        self.faults.insert(fault);
    }

    fn clear_where(
        &mut self,
        keep: impl Fn(&Fault) -> bool,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        let id = self.id();
        self.faults.retain(|f| {
            let k = keep(f);
            if !k {
                tracing::info!(connector = id, fault = %f, "fault cleared");
                events.push(StationEvent::FaultCleared {
                    connector: id,
                    fault: f.clone(),
                    at: now,
                });
            }
            k
        });
    }

    /// Raise or clear a live condition.
    fn condition(
        &mut self,
        fault: Fault,
        present: bool,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        if present {
            self.raise(fault, now, events);
        } else if self.faults.contains(&fault) {
            self.clear_where(|f| *f != fault, now, events);
        }
    }

    /// The first half of a control step: readings, faults, plug, start, plausibility, this
    /// step's frames from the vehicle, and the connector's own limits composed (the vehicle's
    /// request of this step included). The station then shares its budgets
    /// ([`Self::need`], [`Self::set_share`]) and finishes with [`Self::finish_step`]. Returns
    /// whether a transaction started.
    pub(crate) fn begin_step(
        &mut self,
        inputs: &HardwareInputs,
        settings: &CoreSettings,
        next_transaction_id: i64,
        sessions: &SessionFactory,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> bool {
        self.step_dt = self.last_step.map_or(Duration::ZERO, |t| now - t);
        self.last_step = Some(now);
        self.voltage = inputs.imd.cable_voltage;
        self.supply_voltage = inputs.power.voltage;
        self.imd_stale = inputs.imd.stale;
        if inputs.unavailable != self.hardware_missing {
            match &inputs.unavailable {
                Some(why) => {
                    tracing::error!(connector = self.id(), why = %why, "connector hardware unavailable")
                }
                None => tracing::info!(connector = self.id(), "connector hardware available again"),
            }
            self.hardware_missing = inputs.unavailable.clone();
        }
        self.current = inputs.power.current;

        // 1. Live conditions from the hardware. The emergency stop latches: it clears only
        // by a technician (see `clear_by_technician`), after the chain is closed again. Only
        // a fresh reading latches it: a stale snapshot's fail-safe "pressed" (inputs not read
        // yet after a start, a chip that cannot be opened) is the stale fault below, which
        // cuts power as well and clears itself once the lines are read.
        if inputs.io.emergency_stop && !inputs.io.stale {
            self.raise(Fault::new(FaultKind::EmergencyStop), now, events);
        }
        self.condition(
            Fault::new(FaultKind::StaleReading(Reading::DigitalIo)),
            inputs.io.stale,
            now,
            events,
        );
        if inputs.io.stale {
            self.supervision
                .fast_stop(FastStop::IoStale, self.cfg.id, now);
        }
        // What the contactors' and the lock's feedback say against their commands.
        for fault in self
            .supervision
            .check(&inputs.io, &settings.supervision, now)
        {
            if fault.kind == FaultKind::LockLost {
                self.supervision
                    .fast_stop(FastStop::LockLost, self.cfg.id, now);
            }
            self.raise(fault, now, events);
        }
        let psu_fault = inputs.power.fault.clone();
        let outdated: Vec<Fault> = self
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::PowerSupply && Some(&f.detail) != psu_fault.as_ref())
            .cloned()
            .collect();
        for f in outdated {
            self.clear_where(|x| *x != f, now, events);
        }
        if let Some(reason) = psu_fault {
            self.raise(
                Fault::with_detail(FaultKind::PowerSupply, reason),
                now,
                events,
            );
        }
        let stale_power = now - inputs.power.at > settings.max_reading_age;
        self.condition(
            Fault::new(FaultKind::StaleReading(Reading::PowerSupply)),
            stale_power,
            now,
            events,
        );
        // Stale by its backend's account (a device that stopped answering) or by its age.
        let stale_imd = inputs.imd.stale || now - inputs.imd.at > settings.max_reading_age;
        self.condition(
            Fault::new(FaultKind::StaleReading(Reading::InsulationMonitor)),
            stale_imd,
            now,
            events,
        );
        self.condition(
            Fault::new(FaultKind::InsulationMonitorDevice),
            inputs.imd.device_fault,
            now,
            events,
        );

        // 2. Plug-in and unplug.
        if inputs.io.plugged != self.plugged {
            self.plugged = inputs.io.plugged;
            if self.plugged {
                tracing::info!(connector = self.id(), "vehicle plugged in");
            } else {
                tracing::info!(connector = self.id(), "vehicle unplugged");
                self.auto_started = false;
                self.finished_while_plugged = false;
                // Energized: supply off in this step, contactors open as soon as the current
                // allows (or at the deadline), not when the session's ramp is done.
                self.supervision
                    .fast_stop(FastStop::PlugLost, self.cfg.id, now);
                if let Some(s) = self.session.as_mut() {
                    s.dc.stop(StopReason::Unplugged, now);
                }
                // Latched faults are about this vehicle and this plug-in.
                self.clear_where(|f| !f.kind.clears_on_unplug(), now, events);
            }
        }

        // 3. Authorization and start.
        if self
            .authorization
            .as_ref()
            .is_some_and(|a| now > a.until && !self.plugged)
        {
            tracing::info!(
                connector = self.id(),
                "authorization expired: no vehicle plugged in"
            );
            self.authorization = None;
        }
        if settings.auto_start && self.may_start_unattended() {
            self.auto_started = true;
            self.authorization = Some(Authorization {
                id_tag: super::auth::FREE_VEND_ID_TAG.into(),
                until: now + settings.connection_timeout,
            });
        }
        let mut started = self.try_start(next_transaction_id, sessions, now, events);
        if settings.autocharge && self.cfg.protocol.carries_vin() && self.may_start_unattended() {
            self.auto_started = true;
            started = self.start_session(next_transaction_id, None, sessions, now, events);
        }
        if let Some(s) = self.session.as_mut() {
            if s.identifying_since
                .is_some_and(|t| now - t > settings.connection_timeout)
                && !s.refused
            {
                tracing::info!(
                    connector = self.cfg.id,
                    "no VIN to authorize in time (autocharge)"
                );
                s.refused = true;
                s.dc.stop(StopReason::DeAuthorized, now);
            }
        }

        // 4. Plausibility of what we measure against what we commanded last step.
        let allowed = if self.commanded.enabled {
            self.commanded.current
        } else {
            0.0
        };
        if inputs.power.current > allowed + settings.current_tolerance {
            let since = *self.over_current_since.get_or_insert(now);
            if now - since > settings.implausible_after {
                let what = format!(
                    "measured {:.1} A with {:.1} A commanded",
                    inputs.power.current, allowed
                );
                self.raise(
                    Fault::with_detail(FaultKind::OverCurrent, what),
                    now,
                    events,
                );
            }
        } else {
            self.over_current_since = None;
        }

        // 4b. The pins' temperature: the thermal limit, its stops, the cooling command.
        self.thermal_step(inputs, now, events);

        // 5. The vehicle's frames, then the limits: its request counts in this very step.
        if let Some(s) = self.session.as_mut() {
            for frame in &inputs.frames {
                s.dc.handle_frame(frame, now);
            }
        }
        self.update_limits();
        started
    }

    /// The thermal controller's step: its stops become live faults (raised while it holds
    /// them, cleared when it releases them), its limit is kept for [`Self::update_limits`], its
    /// cooling command for the outputs.
    fn thermal_step(
        &mut self,
        inputs: &HardwareInputs,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        // A session that wants current (not yet stopping) or closed contactors: the pump
        // runs, and no current flows until the coolant does.
        let energized = self.contactors_closed
            || self
                .session
                .as_ref()
                .is_some_and(|s| s.stop_triggered_at.is_none());
        let decision = self.thermal.step(
            &ThermalInputs {
                reading: inputs.cooling.as_ref(),
                output_current_a: inputs.power.current,
                rated_current_a: self.cfg.max_current,
                energized,
            },
            now,
        );
        for kind in [
            ThermalFault::PinOverTemperature,
            ThermalFault::StaleCoolingData,
            ThermalFault::ImplausibleSensor,
            ThermalFault::CoolingAlarm,
        ] {
            let fault_kind = FaultKind::Thermal(kind);
            if decision.stop == Some(kind) {
                self.raise(
                    Fault::with_detail(fault_kind, decision.stop_detail.clone()),
                    now,
                    events,
                );
            } else if self.has_fault(fault_kind) {
                self.clear_where(|f| f.kind != fault_kind, now, events);
            }
        }
        let status = self.thermal.status();
        self.thermal_limit = decision.limit_a.map(|amps| (amps, thermal_detail(&status)));
        self.cooling = inputs.cooling.as_ref().map(|_| decision.cooling);
    }

    /// The thermal controller's view (for `chargerctl thermal` and OCPP); `None` without a
    /// cooling unit.
    /// What this connector's cooling unit draws now, W (0 without one).
    pub(crate) fn cooling_power_w(&self) -> f32 {
        if self.thermal_limit.is_some() {
            self.thermal.cooling_power_w()
        } else {
            0.0
        }
    }

    pub(crate) fn thermal_status(&self) -> Option<ThermalStatus> {
        self.thermal_limit.as_ref().map(|_| self.thermal.status())
    }

    /// The second half of a control step, after the station set this connector's shares.
    pub(crate) fn finish_step(
        &mut self,
        inputs: &HardwareInputs,
        settings: &CoreSettings,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) -> HardwareOutputs {
        let dt = self.step_dt;
        let available = self.limits.available();

        // 6. The session.
        let mut out = HardwareOutputs::default();
        let mut finished = None;
        let mut insulation_fault = None;
        let id = self.id();
        let rated_v = self.cfg.max_voltage;
        if let Some(s) = self.session.as_mut() {
            s.dc.set_available_current(available, now);
            let verdict = Self::insulation_verdict(&inputs.imd, settings, rated_v);
            let plant = PlantInputs {
                cable_voltage: inputs.imd.cable_voltage,
                psu_voltage: inputs.power.voltage,
                output_current: inputs.power.current,
                vehicle_permission: inputs.io.vehicle_permission,
                insulation: verdict,
            };
            s.dc.update(&plant, now);
            while let Some(ev) = s.dc.poll_event() {
                match ev {
                    SessionEvent::PhaseChanged { to, .. } => {
                        tracing::info!(connector = id, phase = ?to, "session phase");
                        events.push(StationEvent::PhaseChanged {
                            connector: id,
                            phase: to,
                            at: now,
                        });
                    }
                    SessionEvent::InsulationPassed { ohms, warning } => {
                        tracing::info!(connector = id, ohms, warning, "insulation test passed");
                        events.push(StationEvent::InsulationTested {
                            connector: id,
                            ohms,
                            warning,
                            at: now,
                        });
                        if warning {
                            s.faults.push(format!("insulation warning: {ohms:.0} Ω"));
                        }
                    }
                    SessionEvent::EnergyTransferStarted => {
                        tracing::info!(connector = id, "energy transfer started");
                        s.energized_at = Some(now);
                    }
                    SessionEvent::StopTriggered(reason) => {
                        tracing::info!(connector = id, reason = %reason, "stop triggered");
                        s.stop_reason.get_or_insert(reason);
                        s.stop_triggered_at.get_or_insert(now);
                    }
                    SessionEvent::Finished(reason) => finished = Some(reason),
                    SessionEvent::FrameRejected(error) => {
                        tracing::warn!(connector = id, %error, "CAN frame rejected");
                        self.frames_rejected += 1;
                        events.push(StationEvent::FrameRejected {
                            connector: id,
                            error,
                            at: now,
                        });
                    }
                    SessionEvent::Alarm(alarm) => {
                        // The session already stops (or stopped): record it, keep the
                        // connector Faulted until unplug.
                        let fault =
                            Fault::with_detail(FaultKind::of_alarm(alarm.kind), alarm.detail);
                        tracing::warn!(connector = id, fault = %fault, kind = ?fault.kind, "session alarm");
                        s.faults.push(fault.to_string());
                        if !self.faults.iter().any(|f| f.kind == fault.kind) {
                            events.push(StationEvent::FaultRaised {
                                connector: id,
                                fault: fault.clone(),
                                at: now,
                            });
                            self.faults.insert(fault);
                        }
                    }
                }
            }
            // Insulation is watched for the whole energy transfer, not only at cable check.
            if let (InsulationVerdict::Fault { ohms }, Some(t)) = (verdict, s.energized_at) {
                if now - t > settings.imd_grace {
                    insulation_fault = Some(format!("{ohms:.0} Ω during charging"));
                }
            }
            if let (InsulationVerdict::Warning { ohms }, false) = (verdict, s.insulation_warned) {
                s.insulation_warned = true;
                tracing::warn!(connector = id, ohms, "insulation in the warning band");
                s.faults.push(format!("insulation warning: {ohms:.0} Ω"));
            }
            let o = s.dc.outputs();
            out.io = session_outputs(&o);
            out.power = o.power;
            out.power.current = out.power.current.min(available.max(0.0));
            out.imd_measuring =
                o.insulation_test || (o.contactors_closed && s.energized_at.is_some());
            while let Some(f) = s.dc.poll_transmit(now) {
                out.frames.push(f);
            }
            // The station's own deadline on top of the protocol's.
            if let Some(t) = s.stop_triggered_at {
                if o.contactors_closed && now - t > STOP_DEADLINE && !s.forced_safe {
                    s.forced_safe = true;
                    let text = format!(
                        "session still energized {}s after stop: forced safe",
                        STOP_DEADLINE.as_secs()
                    );
                    tracing::error!(connector = id, "{text}");
                    let fault = Fault::with_detail(FaultKind::ForcedSafe, text);
                    events.push(StationEvent::FaultRaised {
                        connector: id,
                        fault: fault.clone(),
                        at: now,
                    });
                    self.faults.insert(fault);
                }
            }
            if s.forced_safe {
                out.io.contactors = false;
                out.power = PowerCommand::OFF;
            }
        }
        if let Some(text) = insulation_fault {
            self.raise(
                Fault::with_detail(FaultKind::InsulationFailure, text),
                now,
                events,
            );
        }
        if self.faults.iter().any(|f| f.kind.cuts_power()) {
            // A live hazard: the supply goes off now; the session opens the contactors once
            // the current has fallen.
            out.power = PowerCommand::OFF;
        }
        // What the board I/O allows: contactors open at once for an emergency stop or a
        // contactor whose feedback disagrees (lines released too for the latter), no close
        // before the lock reports locked, the fast stop; then bleeder, IMD relay, 12/24 V.
        let contactor_fault = self.has_fault(FaultKind::ContactorWelded)
            || self.has_fault(FaultKind::ContactorStuckOpen);
        // Outputs driven by hand stand in for the session's wishes, under the same rules; they
        // end the moment the connector could be energized.
        if !self.test_outputs.is_empty() {
            // Anything that would have refused the hand refuses it now (the readings, the
            // inputs and the faults are this step's): nothing driven by hand comes back by
            // itself afterwards.
            if let Some(why) = self.hand_refusal() {
                self.release_test_outputs(&why.to_string());
            }
            for (line, level) in &self.test_outputs {
                match line {
                    OutputLine::Contactors => out.io.contactors = *level,
                    OutputLine::ConnectorLock => out.io.connector_lock = *level,
                    OutputLine::Sequence1 => out.io.lines.sequence_1 = *level,
                    OutputLine::Sequence2 => out.io.lines.sequence_2 = *level,
                    OutputLine::AuxPower => out.io.lines.aux_power = *level,
                    // The 12/24 V selection goes through the station's rule (below); the bleeder
                    // and the IMD relay are set after it.
                    OutputLine::AuxSupply24v | OutputLine::Bleeder | OutputLine::ImdConnected => {}
                }
            }
        }
        let ctx = ShapeContext {
            open_now: self.has_fault(FaultKind::EmergencyStop) || contactor_fault,
            release_lines: contactor_fault,
            current: inputs.power.current,
            cable_voltage: inputs.imd.cable_voltage,
            session: self.session.is_some(),
            aux_24v: self
                .test_outputs
                .get(&OutputLine::AuxSupply24v)
                .copied()
                .unwrap_or(self.cfg.aux_supply_v == 24),
        };
        self.supervision
            .shape(&mut out, &ctx, &settings.supervision, id, now);
        for (line, level) in &self.test_outputs {
            match line {
                // Never across closed contactors: there the station's rules stand.
                OutputLine::Bleeder if !out.io.contactors => out.io.bleeder = *level,
                OutputLine::ImdConnected if !out.io.contactors => out.io.imd_connected = *level,
                _ => {}
            }
        }
        self.commanded = out.power;
        self.contactors_closed = out.io.contactors;
        out.cooling = self.cooling;

        // 7. Energy register: what the meter counted, or (without a meter) V × I.
        let estimate_wh = if out.io.contactors
            && inputs.power.current > 0.0
            && inputs.imd.cable_voltage > 0.0
        {
            f64::from(inputs.imd.cable_voltage) * f64::from(inputs.power.current) * dt.as_secs_f64()
                / 3600.0
        } else {
            0.0
        };
        match &inputs.meter {
            Some(reading) => self.meter_step(reading, estimate_wh, settings, now, events),
            None => self.meter_wh += estimate_wh,
        }
        if let Some(s) = self.session.as_ref().filter(|s| s.in_transaction()) {
            if now - self.last_meter_sample >= settings.meter_persist_interval {
                self.last_meter_sample = now;
                events.push(self.meter_sample(Some(s.transaction_id), now));
            }
        }

        // 8. A finished session closes its transaction.
        if let Some(reason) = finished {
            self.finish_session(reason, now, events);
        }

        self.update_status(now, events);
        out
    }

    /// Count what the DC meter counted; record a gap (and raise the meter fault) while it
    /// cannot be believed.
    fn meter_step(
        &mut self,
        reading: &charger_hal::MeterReading,
        estimate_wh: f64,
        settings: &CoreSettings,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        let max_power_w = f64::from(self.cfg.max_power_kw) * 1000.0;
        let wrap_wh = self.cfg.meter.as_ref().and_then(|m| m.wrap_wh());
        let metering = self
            .metering
            .get_or_insert_with(|| Metering::new(wrap_wh, max_power_w));
        let step = metering.step(reading, estimate_wh, settings.max_reading_age, now);
        let cause = metering.gap_cause().map(str::to_string);
        self.meter_wh += step.delta_wh;
        if let Some(note) = step.note {
            tracing::warn!(connector = self.id(), "{note}");
            if let Some(s) = self.session.as_mut().filter(|s| s.in_transaction()) {
                s.faults.push(note);
            }
        }
        if let Some(gap) = step.closed {
            self.record_gap(gap);
        }
        self.flush_gaps(events);
        if settings.stop_on_meter_failure {
            // Configured to stop: an ordinary live fault (supply off, session ended,
            // Faulted, nothing starts) that clears when the meter answers.
            match cause {
                Some(cause) => self.raise(
                    Fault::with_detail(FaultKind::MeterStale, cause),
                    now,
                    events,
                ),
                None if self.has_fault(FaultKind::MeterStale) => {
                    self.clear_where(|f| f.kind != FaultKind::MeterStale, now, events)
                }
                None => {}
            }
            return;
        }
        match (cause, &self.meter_fault) {
            (Some(cause), None) => {
                let fault = Fault::with_detail(FaultKind::MeterStale, cause);
                tracing::warn!(connector = self.id(), fault = %fault, "fault raised: energy not counted meanwhile");
                if let Some(s) = self.session.as_mut().filter(|s| s.in_transaction()) {
                    s.faults.push(fault.to_string());
                }
                events.push(StationEvent::FaultRaised {
                    connector: self.id(),
                    fault: fault.clone(),
                    at: now,
                });
                self.meter_fault = Some(fault);
            }
            (None, Some(fault)) => {
                tracing::info!(connector = self.id(), fault = %fault, "fault cleared");
                events.push(StationEvent::FaultCleared {
                    connector: self.id(),
                    fault: fault.clone(),
                    at: now,
                });
                self.meter_fault = None;
            }
            _ => {}
        }
    }

    /// A gap that ended: kept for the running transaction (the part of it inside the
    /// transaction), or only logged outside one.
    fn record_gap(&mut self, gap: ClosedGap) {
        let id = self.id();
        let Some(s) = self.session.as_mut().filter(|s| s.in_transaction()) else {
            tracing::info!(connector = id, cause = %gap.cause, "DC meter answers again (no transaction)");
            return;
        };
        let started_at = gap.started_at.max(s.started_at);
        tracing::warn!(
            connector = id,
            transaction_id = s.transaction_id,
            seconds = gap.ended_at.saturating_since(started_at).as_secs_f64(),
            estimated_wh = gap.estimated_wh,
            counted_wh = ?gap.counted_wh,
            cause = %gap.cause,
            "DC meter gap recorded"
        );
        s.gaps.push(MeterGap {
            transaction_id: s.transaction_id,
            connector: id,
            started_at,
            ended_at: gap.ended_at,
            estimated_wh: gap.estimated_wh,
            counted_wh: gap.counted_wh,
            cause: gap.cause,
        });
    }

    /// Gaps recorded this step become events.
    fn flush_gaps(&mut self, events: &mut Vec<StationEvent>) {
        if let Some(s) = self.session.as_mut() {
            let from = s.gaps_reported;
            events.extend(s.gaps[from..].iter().cloned().map(StationEvent::MeterGap));
            s.gaps_reported = s.gaps.len();
        }
    }

    fn meter_sample(&self, transaction_id: Option<i64>, now: Timestamp) -> StationEvent {
        StationEvent::MeterSample {
            connector: self.id(),
            transaction_id,
            meter_wh: self.meter_wh,
            voltage: self.voltage,
            current: self.current,
            soc_percent: self
                .session
                .as_ref()
                .and_then(|s| s.dc.vehicle().soc_percent),
            at: now,
        }
    }

    fn finish_session(
        &mut self,
        reason: StopReason,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        // A gap still open ends with the transaction: nothing counted for it.
        if self.session.as_ref().is_some_and(|s| s.in_transaction()) {
            if let Some(gap) = self.metering.as_mut().and_then(|m| m.split_gap(now)) {
                self.record_gap(gap);
                self.flush_gaps(events);
            }
        }
        let Some(s) = self.session.take() else {
            return;
        };
        // The first recorded trigger wins over whatever the protocol reports at the end.
        let reason = s.stop_reason.clone().unwrap_or(reason);
        if !s.in_transaction() {
            // Autocharge refused (or never saw) the vehicle: no transaction to close.
            tracing::info!(connector = self.id(), reason = %reason, "identification session ended without a transaction");
            self.last_stop = Some(reason);
            self.finished_while_plugged = self.plugged;
            if let Some(op) = self.pending_operative.take() {
                self.operative = op;
            }
            return;
        }
        tracing::info!(
            connector = self.id(),
            transaction_id = s.transaction_id,
            reason = %reason,
            energy_wh = self.meter_wh - s.meter_start_wh,
            meter_gaps = s.gaps.len(),
            "session finished"
        );
        events.push(self.meter_sample(Some(s.transaction_id), now));
        events.push(StationEvent::TransactionStopped(TransactionStop {
            transaction_id: s.transaction_id,
            connector: self.id(),
            meter_stop_wh: self.meter_wh,
            reason: reason.clone(),
            faults: s.faults.clone(),
            meter_gaps: s.gaps.clone(),
            soc_percent: s.dc.vehicle().soc_percent,
            at: now,
        }));
        self.last_stop = Some(reason);
        self.finished_while_plugged = self.plugged;
        if let Some(op) = self.pending_operative.take() {
            self.operative = op;
        }
    }

    fn update_limits(&mut self) {
        if let Some(f) = self.first_fault() {
            let text = f.to_string();
            self.limits.set(LimitSource::Unavailable, 0.0, text);
        } else {
            self.limits.clear(LimitSource::Unavailable);
        }
        if self.session.as_ref().is_some_and(|s| !s.in_transaction()) {
            self.limits.set(
                LimitSource::Authorization,
                0.0,
                "waiting for the vehicle's VIN to be authorized",
            );
        } else {
            self.limits.clear(LimitSource::Authorization);
        }
        if self.voltage > POWER_LIMIT_MIN_VOLTAGE {
            let amps = self.cfg.max_power_kw * 1000.0 / self.voltage;
            let detail = format!("{:.0} kW at {:.0} V", self.cfg.max_power_kw, self.voltage);
            self.limits.set(LimitSource::PowerRating, amps, detail);
        } else {
            self.limits.clear(LimitSource::PowerRating);
        }
        let vehicle = self.session.as_ref().map(|s| s.dc.vehicle());
        match vehicle.and_then(|v| v.max_current.map(|a| (a, v.max_voltage))) {
            Some((amps, volts)) => {
                let detail = match volts {
                    Some(v) => format!("the vehicle's maximum ({v:.0} V battery maximum)"),
                    None => "the vehicle's maximum".to_string(),
                };
                self.limits.set(LimitSource::VehicleMaximum, amps, detail);
            }
            None => self.limits.clear(LimitSource::VehicleMaximum),
        }
        match &self.charging_limit {
            Some((amps, watts, detail)) => {
                // A power limit means amperes at the voltage on the output now; below the
                // threshold nothing flows yet, except that 0 W is 0 A at any voltage.
                let from_watts = watts.and_then(|w| {
                    if w <= 0.0 {
                        Some(0.0)
                    } else if self.voltage > POWER_LIMIT_MIN_VOLTAGE {
                        Some(w / self.voltage)
                    } else {
                        None
                    }
                });
                match [*amps, from_watts].into_iter().flatten().reduce(f32::min) {
                    Some(a) => self.limits.set(LimitSource::Ocpp, a, detail.clone()),
                    None => self.limits.clear(LimitSource::Ocpp),
                }
            }
            None => self.limits.clear(LimitSource::Ocpp),
        }
        match &self.thermal_limit {
            Some((amps, detail)) => self.limits.set(LimitSource::Thermal, *amps, detail.clone()),
            None => self.limits.clear(LimitSource::Thermal),
        }
        // Derating starts when the thermal limit is clearly the lowest of the station's own
        // limits and ends when it is no longer clearly below the next one: a loop that settles
        // at the rating does not flap the status.
        let others = self
            .limits
            .binding_except(&[LimitSource::VehicleRequest, LimitSource::Thermal])
            .map(|l| l.amps);
        let thermal = self.limits.get(LimitSource::Thermal).map(|l| l.amps);
        self.thermal_derating = match (thermal, others) {
            (Some(t), Some(o)) if self.thermal_derating => t < o - THERMAL_DERATING_END_A,
            (Some(t), Some(o)) => t < o - THERMAL_DERATING_START_A,
            (Some(_), None) => true,
            (None, _) => false,
        };
        match self
            .session
            .as_ref()
            .and_then(|s| s.dc.vehicle().requested_current)
        {
            Some(a) => self.limits.set(LimitSource::VehicleRequest, a, ""),
            None => self.limits.clear(LimitSource::VehicleRequest),
        }
    }

    /// What this connector wants of the station-wide budgets this step (after
    /// [`Self::begin_step`]): the minimum of its own limits and of what the vehicle asks for
    /// plus `request_margin` (a CHAdeMO vehicle never asks above the offer, so an offer that
    /// only matched the request would hold it where it is). Nothing without a session or once
    /// it is stopping; the margin alone before energy transfer (insulation test, precharge).
    pub(crate) fn need(&self, request_margin: f32) -> ConnectorNeed {
        let own = self
            .limits
            .binding_except(&[
                LimitSource::VehicleRequest,
                LimitSource::Site,
                LimitSource::StationProfile,
            ])
            .map_or(0.0, |l| l.amps);
        let vehicle = self.session.as_ref().map(|s| s.dc.vehicle());
        let wish = match self.session.as_ref().map(|s| s.dc.phase()) {
            Some(SessionPhase::Handshake | SessionPhase::CableCheck | SessionPhase::Precharge) => {
                request_margin
            }
            Some(SessionPhase::Charging) => {
                vehicle
                    .and_then(|v| v.requested_current)
                    .filter(|a| a.is_finite())
                    .unwrap_or(0.0)
                    .max(0.0)
                    + request_margin
            }
            _ => 0.0,
        };
        // Power is budgeted at the highest voltage the output may reach before the next step:
        // while charging, the measured voltage plus a headroom a battery does not climb within
        // a step, capped by the vehicle's target and the supply's setpoint (the output never
        // regulates above them). Budgeting at the target itself (a CV ceiling often 100 V above
        // the battery under constant current) would leave a sixth of the site unused. Before
        // that (insulation test, precharge) the rating, which those voltages may reach within
        // a step.
        let charging = self
            .session
            .as_ref()
            .is_some_and(|s| s.dc.phase() == SessionPhase::Charging);
        let target = vehicle
            .and_then(|v| v.target_voltage)
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        let setpoint = if self.commanded.enabled {
            self.commanded.voltage
        } else {
            0.0
        };
        let ceiling = target.max(setpoint);
        // The higher of the two sides' readings: the insulation monitor's may be a step older
        // than the supply's (f32::max ignores a NaN reading).
        let measured = self.voltage.max(self.supply_voltage);
        let headroom = (measured * BUDGET_VOLTAGE_HEADROOM).max(BUDGET_VOLTAGE_HEADROOM_MIN_V);
        let mut volts = if ceiling > measured {
            ceiling.min(measured + headroom)
        } else {
            measured
        };
        if !(charging && volts.is_finite() && volts > POWER_LIMIT_MIN_VOLTAGE) {
            volts = self.cfg.max_voltage;
        }
        ConnectorNeed {
            id: self.id(),
            demand_amps: own.min(wish),
            volts,
            drawn_amps: self.current,
        }
    }

    /// This step's share of the station-wide budgets (`None`: no budget applies).
    pub(crate) fn set_share(&mut self, share: Option<&Share>) {
        self.limits.clear(LimitSource::Site);
        self.limits.clear(LimitSource::StationProfile);
        // Without a session nothing flows, and the share is 0: the limit would only hide the
        // connector's own ones from the status.
        if let (Some(share), Some(_)) = (share, self.session.as_ref()) {
            let source = match share.source {
                BudgetKind::Site => LimitSource::Site,
                BudgetKind::StationProfile => LimitSource::StationProfile,
            };
            self.limits.set(source, share.amps, share.detail.clone());
        }
    }

    /// The module pool's lockout of this output (a welded matrix contactor), as a fault that
    /// lasts while the pool holds it.
    pub(crate) fn pool_lockout(
        &mut self,
        why: Option<&str>,
        now: Timestamp,
        events: &mut Vec<StationEvent>,
    ) {
        match why {
            Some(why) => self.raise(
                Fault::with_detail(FaultKind::MatrixLockedOut, why),
                now,
                events,
            ),
            None if self.has_fault(FaultKind::MatrixLockedOut) => {
                self.clear_where(|f| f.kind != FaultKind::MatrixLockedOut, now, events);
            }
            None => {}
        }
    }

    /// What this output wants of the module pool (after [`Self::begin_step`]): modules while a
    /// session needs voltage or current (handshake to charging), for the power the truck can
    /// take — its own limits without the vehicle's momentary request or any station-wide
    /// share, at the voltage of `need`.
    pub(crate) fn pool_demand(&self, need: &ConnectorNeed) -> crate::power::OutputDemand {
        let wants_power = self.session.as_ref().is_some_and(|s| {
            s.stop_triggered_at.is_none()
                && !self.faults.iter().any(|f| f.kind.cuts_power())
                && matches!(
                    s.dc.phase(),
                    SessionPhase::Handshake
                        | SessionPhase::CableCheck
                        | SessionPhase::Precharge
                        | SessionPhase::Charging
                )
        });
        let own = self
            .limits
            .binding_except(&[
                LimitSource::VehicleRequest,
                LimitSource::Site,
                LimitSource::StationProfile,
                LimitSource::Pool,
            ])
            .map_or(0.0, |l| l.amps)
            .max(0.0);
        crate::power::OutputDemand {
            output: self.id(),
            wants_power,
            demand_w: if wants_power {
                f64::from(own) * f64::from(need.volts)
            } else {
                0.0
            },
            volts: need.volts,
            vehicle_side_voltage: if self.contactors_closed {
                self.voltage
            } else {
                0.0
            },
        }
    }

    /// What the pool's modules on this output can deliver, as the "pool" limit (`None`: the
    /// output has its own supply).
    pub(crate) fn set_pool_limit(&mut self, limit: Option<(f32, String)>) {
        self.limits.clear(LimitSource::Pool);
        if let (Some((amps, detail)), Some(_)) = (limit, self.session.as_ref()) {
            self.limits.set(LimitSource::Pool, amps, detail);
        }
    }

    fn derive_status(&self) -> (ConnectorStatus, Option<String>) {
        if let Some(f) = self.first_fault() {
            return (ConnectorStatus::Faulted, Some(f.to_string()));
        }
        if let Some(s) = &self.session {
            return match s.dc.phase() {
                SessionPhase::Idle
                | SessionPhase::Handshake
                | SessionPhase::CableCheck
                | SessionPhase::Precharge => (ConnectorStatus::Preparing, None),
                SessionPhase::Charging => {
                    if self.limits.available() < 1.0 {
                        let why = self
                            .limits
                            .binding_except(&[LimitSource::VehicleRequest])
                            .map(|l| l.to_string());
                        (ConnectorStatus::SuspendedEVSE, why)
                    } else if s.dc.vehicle().requested_current.is_some_and(|a| a < 1.0)
                        && s.energized_at.is_some_and(|_| self.current < 1.0)
                    {
                        (ConnectorStatus::SuspendedEV, None)
                    } else if self.thermal_derating {
                        (
                            ConnectorStatus::Charging,
                            Some(THERMAL_DERATING_INFO.to_string()),
                        )
                    } else {
                        (ConnectorStatus::Charging, None)
                    }
                }
                SessionPhase::Stopping
                | SessionPhase::WeldingDetection
                | SessionPhase::Finished => (ConnectorStatus::Finishing, None),
            };
        }
        if !self.operative {
            return (ConnectorStatus::Unavailable, None);
        }
        if self.maintenance {
            return (
                ConnectorStatus::Unavailable,
                Some("firmware update being installed".into()),
            );
        }
        if let Some(why) = &self.hardware_missing {
            return (ConnectorStatus::Unavailable, Some(why.clone()));
        }
        if self.plugged {
            if self.finished_while_plugged {
                return (ConnectorStatus::Finishing, None);
            }
            return (ConnectorStatus::Preparing, None);
        }
        if self.authorization.is_some() {
            return (
                ConnectorStatus::Preparing,
                Some("authorized, waiting for a vehicle".into()),
            );
        }
        if self.reserved_for.is_some() {
            return (ConnectorStatus::Reserved, None);
        }
        (ConnectorStatus::Available, None)
    }

    fn update_status(&mut self, now: Timestamp, events: &mut Vec<StationEvent>) {
        let (status, mut info) = self.derive_status();
        // The fault a Faulted status is about, typed, for the OCPP error code; otherwise a
        // fault the connector goes on charging with (OCPP 1.6 lets any status carry an error
        // code).
        let mut fault = self
            .first_fault()
            .filter(|_| status == ConnectorStatus::Faulted)
            .cloned();
        if status != ConnectorStatus::Faulted {
            if let Some(f) = &self.meter_fault {
                info = Some(f.to_string());
                fault = Some(f.clone());
            }
        }
        if status != self.status || info != self.status_info || fault != self.status_fault {
            if status != self.status {
                tracing::info!(connector = self.id(), from = %self.status, to = %status, info = info.as_deref().unwrap_or(""), "status");
            }
            self.status = status;
            self.status_info = info.clone();
            self.status_fault = fault.clone();
            events.push(StationEvent::StatusChanged {
                connector: self.id(),
                status,
                info,
                fault,
                at: now,
            });
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Timestamp> {
        self.session.as_ref().and_then(|s| s.dc.poll_timeout())
    }

    pub(crate) fn offer(&self) -> Offer {
        Offer {
            offered_current: self.limits.available(),
            requested_current: self.limits.get(LimitSource::VehicleRequest).map(|l| l.amps),
            phase: self
                .session
                .as_ref()
                .map_or(SessionPhase::Idle, |s| s.dc.phase()),
            status: self.status,
        }
    }

    pub(crate) fn snapshot(&self) -> ConnectorSnapshot {
        let session = self.session.as_ref();
        ConnectorSnapshot {
            id: self.id(),
            protocol: self.cfg.protocol,
            status: self.status,
            status_info: self.status_info.clone(),
            status_fault: self.status_fault.clone(),
            operative: self.operative,
            availability_scheduled: self.pending_operative,
            plugged: self.plugged,
            phase: session.map_or(SessionPhase::Idle, |s| s.dc.phase()),
            transaction: session
                .filter(|s| s.in_transaction())
                .map(|s| TransactionSnapshot {
                    transaction_id: s.transaction_id,
                    id_tag: s.id_tag.clone(),
                    started_at: s.started_at,
                    energy_wh: self.meter_wh - s.meter_start_wh,
                    stop_reason: s.stop_reason.clone(),
                }),
            authorized_id_tag: self.authorization.as_ref().map(|a| a.id_tag.clone()),
            voltage: self.voltage,
            current: self.current,
            power_kw: self.voltage * self.current / 1000.0,
            meter_wh: self.meter_wh,
            vehicle: session.map(|s| s.dc.vehicle().clone()).unwrap_or_default(),
            limits: self.limits.iter().cloned().collect(),
            binding_limit: self.limits.binding().cloned(),
            offered_current: self.limits.available(),
            faults: self
                .faults
                .iter()
                .chain(self.meter_fault.as_ref())
                .map(|f| f.to_string())
                .collect(),
            last_stop: self.last_stop.clone(),
            frames_rejected: self.frames_rejected,
            reserved_for: self.reserved_for.clone(),
            test_outputs: self
                .test_outputs
                .iter()
                .map(|(l, v)| (l.key().to_string(), *v))
                .collect(),
        }
    }
}

/// The "thermal" limit's detail: what binds it and the target. Stable while the state is (it
/// becomes the OCPP status `info` when the limit suspends charging; the hottest pin, which
/// changes every step, is in `chargerctl thermal`).
fn thermal_detail(status: &ThermalStatus) -> String {
    format!(
        "{}, pins held at {:.1} °C",
        status.state.name(),
        status.target_c
    )
}

/// The status `info` while charging goes on below what the connector could deliver because
/// the pins are hot (a StatusNotification when derating starts and when it ends).
pub(crate) const THERMAL_DERATING_INFO: &str = "thermal derating";
/// How far below the station's other limits the thermal one must be for derating to start,
/// and how close to them it must come back for it to end, A.
const THERMAL_DERATING_START_A: f32 = 5.0;
const THERMAL_DERATING_END_A: f32 = 1.0;
