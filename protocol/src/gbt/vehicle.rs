//! The battery management system's side of a GB/T 27930-2015 session, for the plant simulator,
//! the external EV simulator and tests.
//!
//! The BMS wakes when the charger switches the auxiliary supply (K3/K4) on. Then:
//!
//! ```text
//! CHM ⇒ BHM (not in the 2011 edition) ─▶ CRM 00 ⇒ BRM (TP) ─▶ CRM AA ⇒ BCP (TP)
//!   ─▶ CTS/CML ⇒ BRO 00, contactors closed, BRO AA ─▶ CRO AA ⇒ BCL 50 ms, BCS (TP) and BSM
//!   250 ms ─▶ stop wanted or CST ⇒ BST 10 ms ─▶ CST seen ⇒ BSD until CSD
//! ```
//!
//! It keeps the BMS-side deadlines for the charger's messages (reference §2.5, last line) and
//! reports a missed one with BEM, then waits for the charger to restart at CRM 00. A CEM from
//! the charger likewise sends it back to waiting for CRM 00. Its contactors open when it stops
//! or fails and the current has fallen to ≤ 5 A, or at once when the auxiliary supply goes off.
//!
//! Faults and silences can be injected, and each message can be muted, so that tests can drive
//! every charger-side timeout.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use super::frames::{
    BatteryType, Bcl, Bcp, Bcs, Bem, Bhm, BmsMessage, Brm, Bro, Bsd, Bsm, Bst, ChargeMode,
    ChargerMessage, Cml, CurrentCodec, GbtDecodeError, Level, ProtocolVersion, Signal,
};
use crate::can::CanFrame;
use crate::j1939::{J1939Id, TpEvent, TpTimeouts, Transport, BMS_ADDRESS, CHARGER_ADDRESS};
use crate::session::ControlLines;
use crate::time::Timestamp;

/// The vehicle opens its contactors at or below this current after a stop.
const OPEN_AT_OR_BELOW_A: f32 = 5.0;
/// BST frames sent before the BMS moves on to BSD once CST is seen (field notes §4.2: chargers
/// want at least two).
const MIN_BST_FRAMES: u32 = 3;

/// What the simulated battery is and how its BMS behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct GbtVehicleParams {
    /// `V1_1` for the 2015 edition; `V1_0` for a 2011 BMS, which sends no BHM and encodes
    /// currents with the −800 A offset.
    pub version: ProtocolVersion,
    pub battery_type: BatteryType,
    pub rated_capacity_ah: f32,
    pub rated_voltage: f32,
    /// Highest total charging voltage (BHM and BCP), volts.
    pub max_charge_voltage: f32,
    pub max_cell_voltage: f32,
    /// Highest charging current (BCP), amperes.
    pub max_current: f32,
    pub nominal_energy_kwh: f32,
    pub max_temperature_c: i16,
    pub vin: Option<String>,
    pub manufacturer: Option<String>,
    /// Auxiliary supply on → BMS listening.
    pub boot_time: Duration,
    /// CML received → contactors closed and BRO AA.
    pub ready_delay: Duration,
    pub timeouts: GbtVehicleTimeouts,
}

impl Default for GbtVehicleParams {
    fn default() -> Self {
        GbtVehicleParams {
            version: ProtocolVersion::V1_1,
            battery_type: BatteryType::LithiumIronPhosphate,
            rated_capacity_ah: 540.0,
            rated_voltage: 618.0,
            max_charge_voltage: 700.0,
            max_cell_voltage: 3.65,
            max_current: 250.0,
            nominal_energy_kwh: 350.0,
            max_temperature_c: 55,
            vin: Some("LGHC4V1D5PE000123".to_string()),
            manufacturer: Some("SIMB".to_string()),
            boot_time: Duration::from_millis(200),
            ready_delay: Duration::from_millis(500),
            timeouts: GbtVehicleTimeouts::default(),
        }
    }
}

/// BMS-side deadlines for the charger's messages (reference §2.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GbtVehicleTimeouts {
    /// BRM sent → CRM AA.
    pub crm_aa: Duration,
    /// CRM AA → CTS/CML.
    pub cml: Duration,
    /// BRO AA → CRO AA (60 s).
    pub cro_ready: Duration,
    /// Gap between CCSs while charging (1 s).
    pub ccs: Duration,
    /// BST sent → CST (5 s).
    pub cst: Duration,
    /// BSD sent → CSD (10 s).
    pub csd: Duration,
}

impl Default for GbtVehicleTimeouts {
    fn default() -> Self {
        GbtVehicleTimeouts {
            crm_aa: Duration::from_secs(5),
            cml: Duration::from_secs(5),
            cro_ready: Duration::from_secs(60),
            ccs: Duration::from_secs(1),
            cst: Duration::from_secs(5),
            csd: Duration::from_secs(10),
        }
    }
}

/// Where the BMS stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GbtVehicleState {
    /// No auxiliary supply.
    Off,
    /// Supplied, booting or waiting for CHM; after a CEM, waiting for the charger's CRM 00.
    Waiting,
    /// BHM in answer to CHM.
    Handshake,
    /// BRM until CRM AA.
    Identification,
    /// BCP until CTS/CML.
    Parameters,
    /// BRO (00, then AA with contactors closed) until CRO AA.
    Ready,
    /// BCL, BCS, BSM.
    Charging,
    /// BST until CST.
    Stopping,
    /// BSD until CSD.
    Statistics,
    /// BEM after a charger message timed out; waits for CRM 00.
    Error,
    /// Session over (CSD received); silent until the auxiliary supply goes off.
    Done,
}

/// Why the BMS ended its side of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GbtVehicleStopCause {
    /// Target SOC reached (the BMS asked for the stop).
    TargetReached,
    /// CST received.
    ChargerStopped,
    /// An injected fault.
    Fault,
}

/// Faults that can be injected into the simulated BMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GbtVehicleFault {
    /// BSM over-temperature bit.
    OverTemperature,
    /// BSM insulation bit.
    Insulation,
    /// BSM cell voltage "too high".
    CellOvervoltage,
    /// A BST with "battery over-temperature": the BMS stops with a fault.
    StopWithFault,
}

/// The BMS side of a GB/T session. See the module documentation.
#[derive(Debug)]
pub struct GbtVehicle {
    params: GbtVehicleParams,
    codec: CurrentCodec,
    state: GbtVehicleState,
    transport: Transport,
    battery_voltage: f32,
    soc_percent: f32,
    battery_current: f32,
    demand_voltage: f32,
    demand_current: f32,
    max_cell_voltage: f32,
    temperatures: (i16, i16),
    paused: bool,
    contactors_closed: bool,
    stop_requested: bool,
    /// BST to send for a stop asked with [`GbtVehicle::request_stop_with`].
    stop_bst: Option<Bst>,
    stop_cause: Option<GbtVehicleStopCause>,
    faults: HashSet<GbtVehicleFault>,
    can_silent: bool,
    muted: HashSet<u32>,
    /// When the current state's wait began (timeouts are measured from here).
    state_since: Option<Timestamp>,
    /// When the auxiliary supply came on (the BMS boots from here).
    powered_at: Option<Timestamp>,
    ready_at: Option<Timestamp>,
    last_ccs: Option<Timestamp>,
    cst_seen: bool,
    bst_sent: u32,
    bem: Bem,
    next: NextDue,
    tx_queue: VecDeque<CanFrame>,
    charger_limits: Option<Cml>,
    charger_output: Option<(f32, f32)>,
    charger_permits: bool,
    rejected_frames: u32,
    last_rejection: Option<GbtDecodeError>,
    handshakes: u32,
}

/// Next due instant of each periodic BMS message.
#[derive(Debug, Clone, Copy, Default)]
struct NextDue {
    bhm: Option<Timestamp>,
    brm: Option<Timestamp>,
    bcp: Option<Timestamp>,
    bro: Option<Timestamp>,
    bcl: Option<Timestamp>,
    bcs: Option<Timestamp>,
    bsm: Option<Timestamp>,
    bst: Option<Timestamp>,
    bsd: Option<Timestamp>,
    bem: Option<Timestamp>,
}

impl GbtVehicle {
    pub fn new(params: GbtVehicleParams) -> Self {
        let codec = if params.version.is_2011() {
            CurrentCodec::Offset800
        } else {
            CurrentCodec::Offset400
        };
        GbtVehicle {
            codec,
            state: GbtVehicleState::Off,
            transport: Transport::new(BMS_ADDRESS, TpTimeouts::default()),
            battery_voltage: 0.0,
            soc_percent: 0.0,
            battery_current: 0.0,
            demand_voltage: params.max_charge_voltage,
            demand_current: 0.0,
            max_cell_voltage: 0.0,
            temperatures: (25, 25),
            paused: false,
            contactors_closed: false,
            stop_requested: false,
            stop_bst: None,
            stop_cause: None,
            faults: HashSet::new(),
            can_silent: false,
            muted: HashSet::new(),
            state_since: None,
            powered_at: None,
            ready_at: None,
            last_ccs: None,
            cst_seen: false,
            bst_sent: 0,
            bem: Bem::default(),
            next: NextDue::default(),
            tx_queue: VecDeque::new(),
            charger_limits: None,
            charger_output: None,
            charger_permits: true,
            rejected_frames: 0,
            last_rejection: None,
            handshakes: 0,
            params,
        }
    }

    pub fn params(&self) -> &GbtVehicleParams {
        &self.params
    }

    pub fn state(&self) -> GbtVehicleState {
        self.state
    }

    pub fn contactors_closed(&self) -> bool {
        self.contactors_closed
    }

    pub fn stop_cause(&self) -> Option<GbtVehicleStopCause> {
        self.stop_cause
    }

    /// CML as last received.
    pub fn charger_limits(&self) -> Option<&Cml> {
        self.charger_limits.as_ref()
    }

    /// (voltage, current) from the last CCS.
    pub fn charger_output(&self) -> Option<(f32, f32)> {
        self.charger_output
    }

    /// The last CCS permitted charging.
    pub fn charger_permits(&self) -> bool {
        self.charger_permits
    }

    /// Identifications begun (the first BRM and every restart after CEM/BEM).
    pub fn handshakes(&self) -> u32 {
        self.handshakes
    }

    /// Malformed charger messages seen, and the last one's error.
    pub fn rejected_frames(&self) -> (u32, Option<&GbtDecodeError>) {
        (self.rejected_frames, self.last_rejection.as_ref())
    }

    /// The demand this BMS sends in BCL (its charge voltage limit and wanted current).
    pub fn set_demand(&mut self, voltage: f32, current: f32) {
        self.demand_voltage = finite_or(voltage, 0.0).max(0.0);
        self.demand_current = finite_or(current, 0.0).max(0.0);
    }

    /// The battery as the BMS measures it.
    pub fn set_battery(&mut self, voltage: f32, soc_percent: f32) {
        self.battery_voltage = finite_or(voltage, 0.0);
        self.soc_percent = finite_or(soc_percent, 0.0).clamp(0.0, 100.0);
    }

    /// Current into the battery, amperes (charging positive).
    pub fn set_battery_current(&mut self, amps: f32) {
        self.battery_current = finite_or(amps, 0.0);
    }

    pub fn set_max_cell_voltage(&mut self, volts: f32) {
        self.max_cell_voltage = finite_or(volts, 0.0).max(0.0);
    }

    /// Highest and lowest battery temperatures, °C.
    pub fn set_temperatures(&mut self, max_c: i16, min_c: i16) {
        self.temperatures = (max_c, min_c);
    }

    /// Pause (true) or resume (false) through BSM's "charging permitted" bits.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// A normal stop (BST "SOC target reached") at the next update.
    pub fn request_stop(&mut self) {
        self.stop_requested = true;
    }

    /// A stop at the next update with exactly this BST (e.g. "total voltage set-point reached",
    /// or any fault bit). A BST with a fault or error bit raised counts as a stop for a fault.
    pub fn request_stop_with(&mut self, bst: Bst) {
        self.stop_bst = Some(bst);
        self.stop_requested = true;
    }

    pub fn inject_fault(&mut self, fault: GbtVehicleFault) {
        self.faults.insert(fault);
    }

    /// Stop (true) or resume (false) transmitting anything.
    pub fn set_can_silent(&mut self, silent: bool) {
        self.can_silent = silent;
    }

    /// Never send the message with this PGN (e.g. [`super::frames::pgn::BCL`]), to make the charger time out.
    pub fn mute(&mut self, message_pgn: u32) {
        self.muted.insert(message_pgn);
    }

    pub fn unmute_all(&mut self) {
        self.muted.clear();
    }

    /// Clears injected faults, mutes, silence and a stop request not yet acted on.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
        self.muted.clear();
        self.can_silent = false;
        self.stop_requested = false;
        self.stop_bst = None;
    }

    fn enter(&mut self, state: GbtVehicleState, now: Timestamp) {
        self.state = state;
        self.state_since = Some(now);
        self.next = NextDue::default();
        match state {
            GbtVehicleState::Handshake => self.next.bhm = Some(now),
            GbtVehicleState::Identification => {
                self.handshakes += 1;
                self.next.brm = Some(now);
            }
            GbtVehicleState::Parameters => self.next.bcp = Some(now),
            GbtVehicleState::Ready => self.next.bro = Some(now),
            GbtVehicleState::Charging => {
                self.next.bcl = Some(now);
                self.next.bcs = Some(now);
                self.next.bsm = Some(now);
            }
            GbtVehicleState::Stopping => {
                self.bst_sent = 0;
                self.next.bst = Some(now);
            }
            GbtVehicleState::Statistics => self.next.bsd = Some(now),
            GbtVehicleState::Error => self.next.bem = Some(now),
            GbtVehicleState::Off | GbtVehicleState::Waiting | GbtVehicleState::Done => {}
        }
    }

    fn since(&self, now: Timestamp) -> Duration {
        self.state_since
            .map_or(Duration::ZERO, |s| now.saturating_since(s))
    }

    fn fail(&mut self, bem: Bem, now: Timestamp) {
        self.bem = bem;
        // A transfer in flight is left to finish (or to time out with an abort): dropping it
        // silently would only make the charger's transport time out. The transport is reset
        // when the charger restarts at CRM 00.
        self.enter(GbtVehicleState::Error, now);
    }

    /// Begin the stop: BST until CST.
    fn begin_stop(&mut self, cause: GbtVehicleStopCause, now: Timestamp) {
        self.stop_cause.get_or_insert(cause);
        self.enter(GbtVehicleState::Stopping, now);
    }

    fn bst(&self) -> Bst {
        if let Some(bst) = self.stop_bst {
            return bst;
        }
        let mut bst = Bst::default();
        match self.stop_cause {
            Some(GbtVehicleStopCause::TargetReached) => bst.soc_reached = Signal::Set,
            Some(GbtVehicleStopCause::ChargerStopped) => bst.charger_stopped = Signal::Set,
            Some(GbtVehicleStopCause::Fault) | None => {}
        }
        if self.faults.contains(&GbtVehicleFault::StopWithFault) {
            bst.battery_over_temperature = Signal::Set;
        }
        if self.faults.contains(&GbtVehicleFault::Insulation) {
            bst.insulation = Signal::Set;
        }
        bst
    }

    fn bsm(&self) -> Bsm {
        let raised = |f| Signal::from_bool(self.faults.contains(&f));
        Bsm {
            max_temperature_c: self.temperatures.0,
            min_temperature_c: self.temperatures.1,
            cell_voltage: if self.faults.contains(&GbtVehicleFault::CellOvervoltage) {
                Level::TooHigh
            } else {
                Level::Normal
            },
            over_temperature: raised(GbtVehicleFault::OverTemperature),
            insulation: raised(GbtVehicleFault::Insulation),
            charging_permitted: !self.paused,
            ..Bsm::default()
        }
    }

    fn brm(&self) -> Brm {
        let p = &self.params;
        Brm {
            version: p.version,
            battery_type: p.battery_type,
            rated_capacity_ah: p.rated_capacity_ah,
            rated_voltage: p.rated_voltage,
            manufacturer: p.manufacturer.clone(),
            pack_serial: Some(1),
            production_date: Some((2025, 1, 1)),
            charge_count: Some(100),
            owned: Some(true),
            vin: p.vin.clone(),
            software_version: None,
        }
    }

    fn bcp(&self) -> Bcp {
        let p = &self.params;
        Bcp {
            max_cell_voltage: p.max_cell_voltage,
            max_current: p.max_current.min(self.codec.max_charge_current()),
            nominal_energy_kwh: p.nominal_energy_kwh,
            max_voltage: p.max_charge_voltage,
            max_temperature_c: p.max_temperature_c,
            soc_percent: self.soc_percent,
            battery_voltage: self.battery_voltage,
        }
    }

    /// A frame from the charger.
    pub fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        if matches!(self.state, GbtVehicleState::Off) {
            return;
        }
        if self
            .powered_at
            .is_some_and(|at| now.saturating_since(at) < self.params.boot_time)
        {
            // Still booting: a real BMS misses what the charger says meanwhile.
            return;
        }
        let Some(id) = J1939Id::from_frame(frame) else {
            return;
        };
        if id.destination != BMS_ADDRESS || id.source != CHARGER_ADDRESS {
            return;
        }
        if self.transport.handle_frame(frame, now) {
            self.pump_transport();
            return;
        }
        match ChargerMessage::decode(id.pgn, frame.data(), self.codec) {
            Ok(message) => self.on_message(message, now),
            Err(e) => {
                self.rejected_frames = self.rejected_frames.saturating_add(1);
                self.last_rejection = Some(e);
            }
        }
    }

    fn pump_transport(&mut self) {
        while let Some(event) = self.transport.poll_event() {
            if let TpEvent::Aborted { .. } = event {
                self.rejected_frames = self.rejected_frames.saturating_add(1);
            }
        }
    }

    fn on_message(&mut self, message: ChargerMessage, now: Timestamp) {
        use GbtVehicleState as S;
        match message {
            ChargerMessage::Chm(_) => {
                if self.state == S::Waiting {
                    if self.params.version.is_2011() {
                        // A 2011 BMS ignores CHM and waits for CRM.
                    } else {
                        self.enter(S::Handshake, now);
                    }
                }
            }
            ChargerMessage::Crm(crm) => match (self.state, crm.recognized) {
                (S::Waiting | S::Handshake, false) => {
                    self.contactors_closed = false;
                    self.enter(S::Identification, now);
                }
                (S::Identification, true) => self.enter(S::Parameters, now),
                // The charger restarted the handshake (after CEM or our BEM).
                (S::Parameters | S::Ready | S::Charging | S::Error, false) => {
                    self.contactors_closed = false;
                    self.transport.reset();
                    self.enter(S::Identification, now);
                }
                _ => {}
            },
            ChargerMessage::Cts(_) => {}
            ChargerMessage::Cml(cml) => {
                self.charger_limits = Some(cml);
                if self.state == S::Parameters {
                    self.ready_at = Some(now + self.params.ready_delay);
                    self.enter(S::Ready, now);
                }
            }
            ChargerMessage::Cro(cro) => {
                if self.state == S::Ready && cro.ready && self.contactors_closed {
                    self.last_ccs = Some(now);
                    self.enter(S::Charging, now);
                }
            }
            ChargerMessage::Ccs(ccs) => {
                self.charger_output = Some((ccs.voltage, ccs.current));
                self.charger_permits = ccs.permitted;
                self.last_ccs = Some(now);
            }
            ChargerMessage::Cst(_) => {
                self.cst_seen = true;
                match self.state {
                    S::Parameters | S::Ready | S::Charging => {
                        self.begin_stop(GbtVehicleStopCause::ChargerStopped, now);
                    }
                    _ => {}
                }
            }
            ChargerMessage::Csd(_) => {
                if matches!(self.state, S::Statistics | S::Stopping) {
                    self.enter(S::Done, now);
                }
            }
            ChargerMessage::Cem(_) => match self.state {
                // The charger timed out on us: stop charging and wait for it to restart at
                // CRM 00 (handled above). A transfer in flight is left to finish: abandoning it
                // silently would only make the charger's transport time out.
                S::Identification | S::Parameters | S::Ready | S::Charging => {
                    self.enter(S::Waiting, now);
                }
                S::Stopping | S::Statistics => self.enter(S::Done, now),
                _ => {}
            },
        }
    }

    /// Advance to `now` with the charger's lines as the vehicle sees them.
    pub fn update(&mut self, lines: ControlLines, now: Timestamp) {
        use GbtVehicleState as S;
        if !lines.aux_power {
            if self.state != S::Off {
                // Powered down: the session state goes, but what was injected stays, and so does
                // what the session showed (why it stopped, what the charger offered) until the
                // next power-up, for status views and tests.
                *self = GbtVehicle {
                    faults: std::mem::take(&mut self.faults),
                    muted: std::mem::take(&mut self.muted),
                    can_silent: self.can_silent,
                    battery_voltage: self.battery_voltage,
                    soc_percent: self.soc_percent,
                    stop_cause: self.stop_cause,
                    handshakes: self.handshakes,
                    charger_limits: self.charger_limits,
                    charger_output: self.charger_output,
                    charger_permits: self.charger_permits,
                    rejected_frames: self.rejected_frames,
                    last_rejection: self.last_rejection.take(),
                    ..GbtVehicle::new(self.params.clone())
                };
            }
            return;
        }
        if self.state == S::Off {
            // A new session.
            self.powered_at = Some(now);
            self.stop_cause = None;
            self.handshakes = 0;
            self.charger_limits = None;
            self.charger_output = None;
            self.charger_permits = true;
            self.enter(S::Waiting, now);
        }
        self.transport.update(now);
        self.pump_transport();
        let t = self.params.timeouts;
        // A fault or a reached target stops the charge from any stage that has begun.
        let fault = self.faults.contains(&GbtVehicleFault::StopWithFault);
        if matches!(self.state, S::Parameters | S::Ready | S::Charging)
            && (fault || self.stop_requested)
        {
            let bst_fault = self.stop_bst.is_some_and(|b| !b.faults().is_empty());
            let cause = if fault || bst_fault {
                GbtVehicleStopCause::Fault
            } else {
                GbtVehicleStopCause::TargetReached
            };
            self.stop_requested = false;
            self.begin_stop(cause, now);
        }
        match self.state {
            S::Identification if self.since(now) > t.crm_aa => {
                self.fail(
                    Bem {
                        crm_aa: Signal::Set,
                        ..Bem::default()
                    },
                    now,
                );
            }
            S::Parameters if self.since(now) > t.cml => {
                self.fail(
                    Bem {
                        cts_cml: Signal::Set,
                        ..Bem::default()
                    },
                    now,
                );
            }
            S::Ready => {
                if self.ready_at.is_some_and(|at| now >= at) && !self.contactors_closed {
                    self.contactors_closed = true;
                }
                if self.since(now) > t.cro_ready {
                    self.fail(
                        Bem {
                            cro: Signal::Set,
                            ..Bem::default()
                        },
                        now,
                    );
                }
            }
            S::Charging
                if self
                    .last_ccs
                    .is_some_and(|at| now.saturating_since(at) > t.ccs) =>
            {
                self.fail(
                    Bem {
                        ccs: Signal::Set,
                        ..Bem::default()
                    },
                    now,
                );
            }
            S::Stopping => {
                if self.cst_seen && self.bst_sent >= MIN_BST_FRAMES {
                    self.enter(S::Statistics, now);
                } else if self.since(now) > t.cst {
                    self.fail(
                        Bem {
                            cst: Signal::Set,
                            ..Bem::default()
                        },
                        now,
                    );
                }
            }
            S::Statistics if self.since(now) > t.csd => {
                self.fail(
                    Bem {
                        csd: Signal::Set,
                        ..Bem::default()
                    },
                    now,
                );
            }
            _ => {}
        }
        // Contactors open once the current is low after a stop or an error (ours or the
        // charger's CEM).
        if self.contactors_closed
            && matches!(
                self.state,
                S::Waiting | S::Stopping | S::Statistics | S::Error | S::Done
            )
            && self.battery_current.abs() <= OPEN_AT_OR_BELOW_A
        {
            self.contactors_closed = false;
        }
        self.queue_due(now);
    }

    fn due(slot: &mut Option<Timestamp>, period: Duration, now: Timestamp) -> bool {
        match *slot {
            Some(at) if at <= now => {
                let next = at + period;
                *slot = Some(if next <= now { now + period } else { next });
                true
            }
            _ => false,
        }
    }

    fn queue_due(&mut self, now: Timestamp) {
        let ms = Duration::from_millis;
        let mut out: Vec<BmsMessage> = Vec::new();
        if Self::due(&mut self.next.bhm, ms(250), now) {
            out.push(BmsMessage::Bhm(Bhm {
                max_charge_voltage: self.params.max_charge_voltage,
            }));
        }
        if Self::due(&mut self.next.brm, ms(250), now) && self.transport.is_idle() {
            out.push(BmsMessage::Brm(self.brm()));
        }
        if Self::due(&mut self.next.bcp, ms(500), now) && self.transport.is_idle() {
            out.push(BmsMessage::Bcp(self.bcp()));
        }
        if Self::due(&mut self.next.bro, ms(250), now) {
            out.push(BmsMessage::Bro(if self.contactors_closed {
                Bro::Ready
            } else {
                Bro::NotReady
            }));
        }
        if Self::due(&mut self.next.bcl, ms(50), now) {
            out.push(BmsMessage::Bcl(Bcl {
                voltage: self.demand_voltage,
                current: self.demand_current.min(self.codec.max_charge_current()),
                mode: ChargeMode::ConstantCurrent,
            }));
        }
        if Self::due(&mut self.next.bcs, ms(250), now) && self.transport.is_idle() {
            out.push(BmsMessage::Bcs(Bcs {
                measured_voltage: self.battery_voltage,
                measured_current: self.battery_current,
                max_cell_voltage: self.max_cell_voltage,
                max_cell_group: 1,
                soc_percent: self.soc_percent.round().clamp(0.0, 100.0) as u8,
                remaining_minutes: 0,
            }));
        }
        if Self::due(&mut self.next.bsm, ms(250), now) {
            out.push(BmsMessage::Bsm(self.bsm()));
        }
        if Self::due(&mut self.next.bst, ms(10), now) {
            self.bst_sent += 1;
            out.push(BmsMessage::Bst(self.bst()));
        }
        if Self::due(&mut self.next.bsd, ms(250), now) {
            out.push(BmsMessage::Bsd(Bsd {
                soc_percent: self.soc_percent.round().clamp(0.0, 100.0) as u8,
                min_cell_voltage: self.max_cell_voltage,
                max_cell_voltage: self.max_cell_voltage,
                min_temperature_c: self.temperatures.1,
                max_temperature_c: self.temperatures.0,
            }));
        }
        if Self::due(&mut self.next.bem, ms(250), now) {
            out.push(BmsMessage::Bem(self.bem));
        }
        for message in out {
            self.send(&message, now);
        }
    }

    fn send(&mut self, message: &BmsMessage, now: Timestamp) {
        let (pgn, priority, data) = message.encode(self.codec);
        if self.can_silent || self.muted.contains(&pgn) {
            return;
        }
        if data.len() > 8 {
            // Multi-packet: the transport paces it; a busy transport skips this period.
            let _ = self
                .transport
                .send(CHARGER_ADDRESS, priority, pgn, &data, now);
            return;
        }
        if let Ok(frame) = J1939Id::new(priority, pgn, CHARGER_ADDRESS, BMS_ADDRESS).frame(&data) {
            self.tx_queue.push_back(frame);
        }
    }

    /// The next frame the BMS sends.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        if self.can_silent {
            self.tx_queue.clear();
            while self.transport.poll_transmit(now).is_some() {}
            return None;
        }
        if let Some(frame) = self.transport.poll_transmit(now) {
            return Some(frame);
        }
        self.tx_queue.pop_front()
    }

    /// When the BMS next needs `update`.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let n = self.next;
        [
            n.bhm, n.brm, n.bcp, n.bro, n.bcl, n.bcs, n.bsm, n.bst, n.bsd, n.bem,
        ]
        .into_iter()
        .flatten()
        .chain(self.transport.poll_timeout())
        .min()
    }
}

fn finite_or(x: f32, default: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        default
    }
}

#[cfg(test)]
mod tests {
    use super::super::frames::pgn;
    use super::*;

    fn lines(aux: bool) -> ControlLines {
        ControlLines {
            aux_power: aux,
            ..ControlLines::default()
        }
    }

    #[test]
    fn wakes_on_aux_power_and_answers_chm_with_bhm() {
        let mut v = GbtVehicle::new(GbtVehicleParams::default());
        let t0 = Timestamp::from_millis(0);
        v.update(lines(false), t0);
        assert_eq!(v.state(), GbtVehicleState::Off);
        v.update(lines(true), t0);
        let t0 = Timestamp::from_millis(300);
        let chm = J1939Id::new(6, pgn::CHM, BMS_ADDRESS, CHARGER_ADDRESS)
            .frame(&[1, 1, 0])
            .unwrap();
        v.handle_frame(&chm, t0);
        v.update(lines(true), t0);
        let f = v.poll_transmit(t0).unwrap();
        assert_eq!(f.id(), 0x182756F4);
        assert_eq!(f.data(), &[0x58, 0x1B]); // 700.0 V
        v.update(lines(false), Timestamp::from_millis(10));
        assert_eq!(v.state(), GbtVehicleState::Off);
    }

    #[test]
    fn a_2011_bms_ignores_chm() {
        let mut v = GbtVehicle::new(GbtVehicleParams {
            version: ProtocolVersion::V1_0,
            ..GbtVehicleParams::default()
        });
        v.update(lines(true), Timestamp::from_millis(0));
        let t0 = Timestamp::from_millis(300);
        let chm = J1939Id::new(6, pgn::CHM, BMS_ADDRESS, CHARGER_ADDRESS)
            .frame(&[1, 1, 0])
            .unwrap();
        v.handle_frame(&chm, t0);
        v.update(lines(true), t0);
        assert_eq!(v.poll_transmit(t0), None);
        assert_eq!(v.state(), GbtVehicleState::Waiting);
    }
}
