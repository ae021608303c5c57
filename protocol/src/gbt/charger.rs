//! The charger side of a GB/T 27930-2015 session, as a sans-IO state machine behind
//! [`DcSession`].
//!
//! The stages follow reference §2.5 (GB/T 27930 with GB/T 18487.1 Annex B, as field code
//! implements it):
//!
//! ```text
//! connect: lock, K3/K4 (auxiliary power) ─▶ handshake: CHM ⇄ BHM (none in 5 s ⇒ 2011 BMS)
//!   ─▶ insulation test at min(BHM, rating) with K1/K2 closed ─▶ bleed below 60 V, K1/K2 open
//!   ─▶ identification: CRM 00 ⇄ BRM (TP) ─▶ CRM AA ⇄ BCP (TP)
//!   ─▶ parameters: CTS + CML ⇄ BRO 00 … AA ─▶ precharge: CRO 00, battery within 5 % of BCP,
//!      supply matched, K1/K2 closed, CRO AA ─▶ charging: CCS every 50 ms ⇄ BCL, BCS, BSM
//!   ─▶ stop: CST every 10 ms, ramp to ≤ 5 A, K1/K2 open ⇄ BST, BSD ─▶ CSD ─▶ K3/K4 off, unlock
//! ```
//!
//! A BMS message that does not come in time is reported with CEM. In the identification,
//! parameter, precharge and charging stages the output is made safe and the handshake is
//! retried from CRM, up to [`GbtChargerConfig::max_handshake_attempts`] in all. After a timeout
//! in the stop stage the session just ends.
//!
//! The rules of the CHAdeMO charger hold here too. K1/K2 close onto the battery only after a
//! passed insulation test and a precharge that matched the battery's voltage. The current never
//! exceeds the battery's demand, BCP's maximum, the station's available current or the rating.
//! K1/K2 open only at ≤ 5 A, unless the current will not fall; then an `Alarm` is raised and
//! they open anyway. The connector unlocks only below 60 V.

use std::collections::VecDeque;
use std::time::Duration;

use thiserror::Error;

use super::frames::pgn;
use super::frames::{
    Bcl, Bcp, Bcs, Bem, BmsMessage, BmsTimeout, Brm, Bsm, Bst, Ccs, Cem, ChargerMessage,
    ChargerTime, Chm, Cml, Crm, Cro, Csd, Cst, Cts, CurrentCodec, GbtDecodeError, ProtocolVersion,
    Signal,
};
use crate::can::CanFrame;
use crate::j1939::{J1939Id, TpEvent, TpTimeouts, Transport, BMS_ADDRESS, CHARGER_ADDRESS};
use crate::session::{
    Alarm, AlarmKind, ChargerRating, DcSession, InsulationVerdict, PlantInputs, PlantOutputs,
    PowerCommand, SessionEvent, SessionPhase, StopReason, VehicleStatus,
};
use crate::time::{CivilTime, Timestamp};

/// At or below this output current K1/K2 may open.
pub const CURRENT_CUTOFF_A: f32 = 5.0;
/// Above this on the output before the insulation test the charger refuses to start: something
/// (the vehicle's contactors, another charger) already drives the cable (field notes §1, §4.6).
pub const IDLE_OUTPUT_LIMIT_V: f32 = 10.0;
/// The output counts as discharged below this: after the insulation test, and before unlocking.
pub const SAFE_OUTPUT_V: f32 = 60.0;
/// Above this with K1/K2 open the battery is taken to be connected (its contactors closed).
pub const BATTERY_PRESENT_ABOVE_V: f32 = 50.0;
/// Room below the target the cable may stay and still count as "at the insulation test voltage".
pub const TEST_VOLTAGE_TOLERANCE_V: f32 = 10.0;
/// How far the output may exceed BCP's maximum total voltage, as a fraction, before the charger
/// stops (reference §2.5: output above demand + 5 % is a fault).
pub const OVERVOLTAGE_FRACTION: f32 = 0.05;
/// How long the output may stay above that before the stop: measurement noise and the supply's
/// own regulation overshoot are not faults.
pub const OVERVOLTAGE_PERSISTENCE: Duration = Duration::from_millis(200);
/// BRO may fall from AA back to 00 this many times before the charger gives up (field notes §4.2).
pub const BRO_DROPS_TOLERATED: u32 = 2;

const EVENT_QUEUE_LIMIT: usize = 256;

/// Message periods (reference §2.2).
const CHM_PERIOD: Duration = Duration::from_millis(250);
const CRM_PERIOD: Duration = Duration::from_millis(250);
const CTS_PERIOD: Duration = Duration::from_millis(500);
const CML_PERIOD: Duration = Duration::from_millis(250);
const CRO_PERIOD: Duration = Duration::from_millis(250);
pub const CCS_PERIOD: Duration = Duration::from_millis(50);
const CST_PERIOD: Duration = Duration::from_millis(10);
const CSD_PERIOD: Duration = Duration::from_millis(250);
const CEM_PERIOD: Duration = Duration::from_millis(250);

/// Every deadline the charger enforces. Defaults from reference §2.5 and field notes §4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GbtTimeouts {
    /// No BHM this long after CHM began ⇒ a 2011-edition BMS; go on without it (5 s).
    pub bhm: Duration,
    /// CRM 00 → BRM (5 s).
    pub brm: Duration,
    /// CRM AA → BCP (5 s).
    pub bcp: Duration,
    /// CTS/CML → first BRO (5 s), and the longest gap between BROs.
    pub bro: Duration,
    /// CTS/CML → BRO AA (60 s).
    pub bro_ready: Duration,
    /// CRO AA → first BCS, and the longest gap between BCSs (5 s).
    pub bcs: Duration,
    /// CRO AA → first BCL, and the longest gap between BCLs (1 s).
    pub bcl: Duration,
    /// Stop → BST (5 s).
    pub bst: Duration,
    /// Stop → BSD (10 s).
    pub bsd: Duration,
    /// Added to the BRM, BCP and BCS deadlines: BMSs in the field are late by up to this much
    /// (field notes §4.2).
    pub slack: Duration,
    /// Insulation stage, from its start to a verdict (including bringing the cable up).
    pub insulation: Duration,
    /// Insulation voltage → below 60 V after the test.
    pub bleed: Duration,
    /// BRO AA → K1/K2 closed (60 s, SDP).
    pub precharge: Duration,
    /// Battery voltage first seen on the output → within 5 % of BCP's.
    pub battery_voltage_match: Duration,
    /// Stop trigger → output ≤ 5 A. Past this K1/K2 open under load and an `Alarm` is raised.
    pub current_ramp_down: Duration,
    /// K1/K2 open → output below 60 V; past this an `Alarm` is raised once (the connector stays
    /// locked until it falls).
    pub discharge: Duration,
    /// The BMS may pause the charge through BSM this long (SDP: 10 min).
    pub pause: Duration,
    /// CEM is sent this long before the handshake is retried or the session ends (field notes
    /// §4.3: about 2 s).
    pub error_report: Duration,
    /// CSD is sent this long at the end (5 frames at 250 ms).
    pub statistics: Duration,
}

impl Default for GbtTimeouts {
    fn default() -> Self {
        GbtTimeouts {
            bhm: Duration::from_secs(5),
            brm: Duration::from_secs(5),
            bcp: Duration::from_secs(5),
            bro: Duration::from_secs(5),
            bro_ready: Duration::from_secs(60),
            bcs: Duration::from_secs(5),
            bcl: Duration::from_secs(1),
            bst: Duration::from_secs(5),
            bsd: Duration::from_secs(10),
            slack: Duration::from_millis(200),
            insulation: Duration::from_secs(20),
            bleed: Duration::from_secs(10),
            precharge: Duration::from_secs(60),
            battery_voltage_match: Duration::from_secs(2),
            current_ramp_down: Duration::from_secs(2),
            discharge: Duration::from_secs(4),
            pause: Duration::from_secs(600),
            error_report: Duration::from_secs(2),
            statistics: Duration::from_millis(1250),
        }
    }
}

/// How a GB/T charger is set up for one connector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GbtChargerConfig {
    pub rating: ChargerRating,
    pub timeouts: GbtTimeouts,
    /// Charger number sent in CRM and CSD.
    pub charger_number: u32,
    /// Region code sent in CRM, three ASCII bytes (optional).
    pub region: Option<[u8; 3]>,
    /// Insulation-test voltage for a 2011-edition BMS, which sends no BHM (field notes §4.1).
    /// `None` tests at the rating's maximum.
    pub legacy_insulation_voltage: Option<f32>,
    /// Handshakes (the first and its retries) before a session with timeouts is given up.
    pub max_handshake_attempts: u32,
    /// Current limit during the insulation test, amperes (only the cable is charged).
    pub insulation_test_current: f32,
    /// Current limit while the supply is matched to the battery, amperes.
    pub precharge_current: f32,
    /// The supply is set this far below the battery during precharge, volts: it must not push
    /// current into the battery the instant K1/K2 close (field notes: 1-10 V below).
    pub precharge_offset: f32,
    /// Largest |supply − battery| at which K1/K2 may close, volts (reference §2.5: 10 V).
    pub precharge_tolerance: f32,
    /// Largest |measured − BCP present voltage| / BCP voltage before precharge (5 %).
    pub battery_voltage_tolerance: f32,
    /// Wall-clock time at `start`, seconds since the Unix epoch (UTC), for CTS; `None` sends CTS
    /// as "clock not valid" (all 0xFF).
    pub wall_clock_at_start: Option<u64>,
}

impl GbtChargerConfig {
    /// Defaults for everything but the rating.
    pub fn new(rating: ChargerRating) -> Self {
        GbtChargerConfig {
            rating,
            timeouts: GbtTimeouts::default(),
            charger_number: 1,
            region: None,
            legacy_insulation_voltage: None,
            max_handshake_attempts: 3,
            insulation_test_current: 2.0,
            precharge_current: 2.0,
            precharge_offset: 5.0,
            precharge_tolerance: 10.0,
            battery_voltage_tolerance: 0.05,
            wall_clock_at_start: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum GbtConfigError {
    #[error("GB/T charger: {field} = {value} is out of range ({why})")]
    OutOfRange {
        field: &'static str,
        value: f32,
        why: &'static str,
    },
}

/// Where the charger stands. See the module documentation for the order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Idle,
    /// CHM, waiting for BHM.
    Handshake {
        since: Timestamp,
    },
    /// K1/K2 closed, supply at the test voltage, IMD measuring.
    InsulationTest {
        since: Timestamp,
        voltage: f32,
    },
    /// Supply off, K1/K2 open, waiting for the output to fall below 60 V.
    InsulationBleed {
        since: Timestamp,
    },
    /// CRM 00, waiting for BRM.
    Identification {
        since: Timestamp,
    },
    /// CRM AA, waiting for BCP.
    AwaitParameters {
        since: Timestamp,
    },
    /// CTS + CML, waiting for BRO AA.
    AwaitBatteryReady {
        since: Timestamp,
        last_bro: Option<Timestamp>,
    },
    /// CRO 00; the supply is matched to the battery, then K1/K2 close.
    Precharge {
        since: Timestamp,
        battery_seen: Option<Timestamp>,
        last_bro: Timestamp,
    },
    /// CRO AA then CCS; energy flows as BCL asks.
    Charging {
        since: Timestamp,
    },
    /// A BMS message timed out: the output is made safe, CEM is sent, then the handshake is
    /// retried from CRM (or the session ends).
    ErrorRecovery {
        since: Timestamp,
        cem: Option<Cem>,
        /// K1/K2 opened (or were already open) at this instant.
        opened: Option<Timestamp>,
        retry: bool,
    },
    /// Stop triggered: CST, current ramping to ≤ 5 A with K1/K2 still closed.
    RampDown {
        since: Timestamp,
    },
    /// K1/K2 open; CST until BST and BSD arrive and the output falls below 60 V.
    StopExchange {
        since: Timestamp,
        opened: Timestamp,
    },
    /// A BST or BSD timed out in the stop stage: CEM, then the end.
    StopError {
        since: Timestamp,
        cem: Cem,
    },
    /// CSD, then the end.
    Statistics {
        since: Timestamp,
    },
    Finished,
}

/// The charger messages sent periodically; index into the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Periodic {
    Chm,
    Crm,
    Cts,
    Cml,
    Cro,
    Ccs,
    Cst,
    Csd,
    Cem,
}

const PERIODIC_COUNT: usize = 9;

impl Periodic {
    fn index(self) -> usize {
        self as usize
    }

    fn period(self) -> Duration {
        match self {
            Periodic::Chm => CHM_PERIOD,
            Periodic::Crm => CRM_PERIOD,
            Periodic::Cts => CTS_PERIOD,
            Periodic::Cml => CML_PERIOD,
            Periodic::Cro => CRO_PERIOD,
            Periodic::Ccs => CCS_PERIOD,
            Periodic::Cst => CST_PERIOD,
            Periodic::Csd => CSD_PERIOD,
            Periodic::Cem => CEM_PERIOD,
        }
    }
}

/// What the BMS has told us in this session.
#[derive(Debug, Clone, Default)]
struct Bms {
    bhm_voltage: Option<f32>,
    brm: Option<Brm>,
    bcp: Option<Bcp>,
    bcl: Option<Bcl>,
    bcs: Option<Bcs>,
    bsm: Option<Bsm>,
    last_bcl: Option<Timestamp>,
    last_bcs: Option<Timestamp>,
    bst: Option<Bst>,
    bsd_received: bool,
    bro_ready_seen: bool,
    /// A BCL above BCP's maximum voltage has been reported (it is capped, not refused).
    bcl_over_bcp_reported: bool,
    bro_drops: u32,
}

/// The charger side of a GB/T 27930-2015 session. See the module documentation.
#[derive(Debug)]
pub struct GbtCharger {
    config: GbtChargerConfig,
    stage: Stage,
    phase: SessionPhase,
    transport: Transport,
    codec: CurrentCodec,
    bms: Bms,
    vehicle: VehicleStatus,
    plant: PlantInputs,
    out: PlantOutputs,
    available_current: f32,
    events: VecDeque<SessionEvent>,
    /// Next due instant of each periodic message; `None` = not being sent.
    schedule: [Option<Timestamp>; PERIODIC_COUNT],
    started_at: Option<Timestamp>,
    /// Handshakes begun (the first counts).
    attempts: u32,
    insulation_passed: bool,
    stop_reason: Option<StopReason>,
    hard_stop: bool,
    /// A battery no charger can serve (see `on_bad_message`), acted on in the next `update`,
    /// with that step's plant readings: a frame arrives between two readings, and whether
    /// K1/K2 open under load must be judged on the fresh one.
    incompatible: Option<StopReason>,
    /// The stop was the BMS's (BST): CST then says "BMS stopped".
    stopped_by_bms: bool,
    /// When energy transfer began (K1/K2 closed after precharge), for CCS and CSD.
    charging_since: Option<Timestamp>,
    energy_kwh: f64,
    last_update: Option<Timestamp>,
    overvoltage_since: Option<Timestamp>,
    paused_since: Option<Timestamp>,
    discharge_alarmed: bool,
}

impl GbtCharger {
    pub fn new(config: GbtChargerConfig) -> Result<Self, GbtConfigError> {
        let r = config.rating;
        let checks: [(&'static str, f32, bool, &'static str); 8] = [
            (
                "rating.max_voltage",
                r.max_voltage,
                r.max_voltage > 0.0,
                "above 0 V",
            ),
            (
                "rating.min_voltage",
                r.min_voltage,
                r.min_voltage >= 0.0 && r.min_voltage < r.max_voltage,
                "0 V up to below the maximum",
            ),
            (
                "rating.max_current",
                r.max_current,
                r.max_current > 0.0
                    && r.max_current <= CurrentCodec::Offset400.max_charge_current(),
                "above 0 A, at most 400 A (the 2015 current field)",
            ),
            (
                "rating.min_current",
                r.min_current,
                r.min_current >= 0.0 && r.min_current <= r.max_current,
                "0 A up to the maximum",
            ),
            (
                "insulation_test_current",
                config.insulation_test_current,
                config.insulation_test_current > 0.0,
                "above 0 A",
            ),
            (
                "precharge_current",
                config.precharge_current,
                config.precharge_current > 0.0,
                "above 0 A",
            ),
            (
                "precharge_tolerance",
                config.precharge_tolerance,
                config.precharge_tolerance > 0.0
                    && config.precharge_offset >= 0.0
                    && config.precharge_offset < config.precharge_tolerance,
                "above 0 V and above precharge_offset",
            ),
            (
                "battery_voltage_tolerance",
                config.battery_voltage_tolerance,
                config.battery_voltage_tolerance > 0.0 && config.battery_voltage_tolerance < 0.5,
                "a fraction between 0 and 0.5",
            ),
        ];
        for (field, value, ok, why) in checks {
            if !(value.is_finite() && ok) {
                return Err(GbtConfigError::OutOfRange { field, value, why });
            }
        }
        if let Some(v) = config.legacy_insulation_voltage {
            if !(v.is_finite() && v > 0.0 && v <= r.max_voltage) {
                return Err(GbtConfigError::OutOfRange {
                    field: "legacy_insulation_voltage",
                    value: v,
                    why: "above 0 V, at most the rating's maximum",
                });
            }
        }
        if config.max_handshake_attempts == 0 {
            return Err(GbtConfigError::OutOfRange {
                field: "max_handshake_attempts",
                value: 0.0,
                why: "at least 1",
            });
        }
        Ok(GbtCharger {
            config,
            stage: Stage::Idle,
            phase: SessionPhase::Idle,
            transport: Transport::new(CHARGER_ADDRESS, TpTimeouts::default()),
            codec: CurrentCodec::Offset400,
            bms: Bms::default(),
            vehicle: VehicleStatus::default(),
            plant: PlantInputs::default(),
            out: PlantOutputs::default(),
            available_current: 0.0,
            events: VecDeque::new(),
            schedule: [None; PERIODIC_COUNT],
            started_at: None,
            attempts: 0,
            insulation_passed: false,
            stop_reason: None,
            hard_stop: false,
            incompatible: None,
            stopped_by_bms: false,
            charging_since: None,
            energy_kwh: 0.0,
            last_update: None,
            overvoltage_since: None,
            paused_since: None,
            discharge_alarmed: false,
        })
    }

    pub fn config(&self) -> &GbtChargerConfig {
        &self.config
    }

    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop_reason.as_ref()
    }

    /// Handshakes begun so far (1 until a timeout forces a retry).
    pub fn handshake_attempts(&self) -> u32 {
        self.attempts
    }

    /// The current codec in use (−800 A for a 2011-edition BMS).
    pub fn current_codec(&self) -> CurrentCodec {
        self.codec
    }

    /// The BMS paused the charge through BSM.
    pub fn is_paused_by_vehicle(&self) -> bool {
        self.paused_since.is_some()
    }

    // ----- bookkeeping ---------------------------------------------------------------------

    fn emit(&mut self, event: SessionEvent) {
        if self.events.len() >= EVENT_QUEUE_LIMIT && matches!(event, SessionEvent::FrameRejected(_))
        {
            return;
        }
        self.events.push_back(event);
    }

    fn reject(&mut self, why: String) {
        self.emit(SessionEvent::FrameRejected(why));
    }

    /// A BMS message that does not decode is reported and ignored, except the battery's
    /// identity and parameters (BHM, BRM, BCP) with a value out of range (a 0 V maximum, a 2,000 V battery): a whole,
    /// well-formed message stating a battery no charger can serve. Waiting for a better one
    /// would only end in three handshake timeouts blamed on the link; stop at the next
    /// `update` (with fresh plant readings), saying why.
    fn on_bad_message(&mut self, message_pgn: u32, e: &GbtDecodeError) {
        self.reject(e.to_string());
        if matches!(e, GbtDecodeError::OutOfRange { .. })
            && [pgn::BHM, pgn::BRM, pgn::BCP].contains(&message_pgn)
        {
            self.incompatible = Some(StopReason::Incompatible(format!(
                "the BMS sent an impossible value: {e}"
            )));
        }
    }

    fn set_phase(&mut self, to: SessionPhase) {
        if self.phase != to {
            let from = self.phase;
            self.phase = to;
            self.emit(SessionEvent::PhaseChanged { from, to });
        }
    }

    /// Enter `stage`, sending exactly `messages` from `now` on.
    fn go(&mut self, stage: Stage, phase: SessionPhase, messages: &[Periodic], now: Timestamp) {
        self.stage = stage;
        self.set_phase(phase);
        for (i, slot) in self.schedule.iter_mut().enumerate() {
            let wanted = messages.iter().any(|m| m.index() == i);
            match (wanted, *slot) {
                (true, None) => *slot = Some(now),
                (false, Some(_)) => *slot = None,
                _ => {}
            }
        }
        self.refresh_outputs();
    }

    /// Sends `message` (already scheduled) at `now` instead of at its next slot, and keeps its
    /// period from there. For CRM AA and CRO AA: the BMS's next deadline starts when it sees
    /// them, and ours when we send them, so they must go out in the same instant.
    fn send_now(&mut self, message: Periodic, now: Timestamp) {
        if let Some(slot) = self.schedule.get_mut(message.index()) {
            if slot.is_some() {
                *slot = Some(now);
            }
        }
    }

    fn past(since: Timestamp, limit: Duration, now: Timestamp) -> bool {
        now.saturating_since(since) > limit
    }

    fn insulation_test_voltage(&self) -> f32 {
        let r = self.config.rating;
        let wanted = self
            .bms
            .bhm_voltage
            .or(self.config.legacy_insulation_voltage)
            .unwrap_or(r.max_voltage);
        wanted.clamp(r.min_voltage.max(1.0), r.max_voltage)
    }

    fn cml(&self) -> Cml {
        let r = self.config.rating;
        Cml {
            max_voltage: r.max_voltage,
            min_voltage: r.min_voltage,
            max_current: r.max_current.min(self.codec.max_charge_current()),
            min_current: r.min_current,
        }
    }

    /// Current the charger may deliver right now, before the BMS's demand.
    fn charger_limit(&self) -> f32 {
        let mut limit = self
            .config
            .rating
            .max_current
            .min(self.available_current.max(0.0))
            .min(self.codec.max_charge_current());
        if let Some(bcp) = &self.bms.bcp {
            limit = limit.min(bcp.max_current);
        }
        limit
    }

    /// The charger pauses (CCS "not permitted") while it cannot deliver even its minimum.
    fn charger_pauses(&self) -> bool {
        self.charger_limit() < self.config.rating.min_current.max(1.0)
    }

    fn refresh_vehicle(&mut self) {
        let v = &mut self.vehicle;
        if let Some(brm) = &self.bms.brm {
            v.protocol = Some(format!("GB/T 27930 {}", brm.version));
            v.battery_type = Some(brm.battery_type.name().to_string());
            v.vin = brm.vin.clone();
        } else if self.bms.bhm_voltage.is_some() {
            v.protocol = Some("GB/T 27930-2015".to_string());
        }
        if let Some(bcp) = &self.bms.bcp {
            v.max_voltage = Some(bcp.max_voltage);
            v.max_current = Some(bcp.max_current);
            v.battery_capacity_kwh = Some(bcp.nominal_energy_kwh);
            v.soc_percent = Some(bcp.soc_percent);
        }
        if let Some(bcl) = &self.bms.bcl {
            v.target_voltage = Some(bcl.voltage);
            v.requested_current = Some(bcl.current);
            v.charge_mode = Some(bcl.mode.name().to_string());
        }
        if let Some(bcs) = &self.bms.bcs {
            v.soc_percent = Some(f32::from(bcs.soc_percent));
            v.remaining_time = Some(Duration::from_secs(u64::from(bcs.remaining_minutes) * 60));
            v.max_cell_voltage = Some(bcs.max_cell_voltage);
        }
        let mut faults = Vec::new();
        if let Some(bsm) = &self.bms.bsm {
            v.max_temperature_c = Some(f32::from(bsm.max_temperature_c));
            v.min_temperature_c = Some(f32::from(bsm.min_temperature_c));
            faults.extend(bsm.faults());
            if !bsm.charging_permitted {
                faults.push("charging paused by the BMS".to_string());
            }
        }
        if let Some(bst) = &self.bms.bst {
            faults.extend(bst.faults().into_iter().map(str::to_string));
        }
        v.faults = faults;
    }

    // ----- stopping --------------------------------------------------------------------------

    fn is_stopping(&self) -> bool {
        self.stop_reason.is_some()
    }

    /// CST for `reason` (reference §2.3; YYX's choice of bits).
    fn cst(&self) -> Cst {
        let mut cst = Cst::default();
        if self.stopped_by_bms {
            cst.bms_stopped = Signal::Set;
            return cst;
        }
        match &self.stop_reason {
            Some(
                StopReason::Local
                | StopReason::Remote
                | StopReason::Shutdown
                | StopReason::Reset { .. }
                | StopReason::UnlockCommand
                | StopReason::DeAuthorized,
            ) => {
                cst.manual = Signal::Set;
            }
            Some(StopReason::EmergencyStop) => {
                cst.fault = Signal::Set;
                cst.emergency_stop = Signal::Set;
            }
            Some(StopReason::Unplugged) => {
                cst.fault = Signal::Set;
                cst.connector_fault = Signal::Set;
            }
            Some(StopReason::PowerSupplyFault(_)) => {
                cst.fault = Signal::Set;
                cst.energy_unavailable = Signal::Set;
            }
            Some(StopReason::ImplausibleMeasurement(_)) => {
                cst.fault = Signal::Set;
                cst.voltage_abnormal = Signal::Set;
            }
            Some(StopReason::VehicleRequest) => cst.condition_reached = Signal::Set,
            _ => {
                cst.fault = Signal::Set;
                cst.other_fault = Signal::Set;
            }
        }
        cst
    }

    /// The single entry to stopping. Keeps the first reason; later triggers are ignored.
    fn trigger_stop(&mut self, reason: StopReason, now: Timestamp) {
        if self.is_stopping() || matches!(self.stage, Stage::Idle | Stage::Finished) {
            return;
        }
        self.hard_stop = reason.is_hard();
        self.stop_reason = Some(reason.clone());
        self.emit(SessionEvent::StopTriggered(reason));
        self.out.insulation_test = false;
        // No stop exchange with a BMS that has not identified itself (or whose identification
        // a CEM/BEM voided).
        let talking = self.bms.brm.is_some();
        let messages: &[Periodic] = if talking { &[Periodic::Cst] } else { &[] };
        let testing = matches!(self.stage, Stage::InsulationTest { .. });
        if self.out.contactors_closed && !testing {
            // Energy may be flowing (charging, or an error recovery still ramping down): the
            // current goes first, K1/K2 open at ≤ 5 A.
            self.go(
                Stage::RampDown { since: now },
                SessionPhase::Stopping,
                messages,
                now,
            );
            return;
        }
        // K1/K2 open already, or closed only for the insulation test (nothing but the cable
        // behind them): open now.
        if self.out.contactors_closed && self.plant.output_current.abs() > CURRENT_CUTOFF_A {
            self.emit(SessionEvent::Alarm(Alarm::new(
                AlarmKind::OpenedUnderLoad,
                format!(
                    "output current {:.0} A in the insulation test: contactors opened under load",
                    self.plant.output_current
                ),
            )));
        }
        self.out.contactors_closed = false;
        self.go(
            Stage::StopExchange {
                since: now,
                opened: now,
            },
            SessionPhase::Stopping,
            messages,
            now,
        );
    }

    /// A BMS message timed out in `stage`'s handshake: make safe, report, retry if allowed.
    fn timeout(&mut self, timeout: BmsTimeout, now: Timestamp) {
        self.bms_error(Some(Cem::for_timeout(timeout)), timeout.name(), now);
    }

    fn bms_error(&mut self, cem: Option<Cem>, what: &str, now: Timestamp) {
        let retry = self.attempts < self.config.max_handshake_attempts;
        if !retry {
            // Recovery ends the session once the output is safe.
            let reason = StopReason::CommunicationLost(format!(
                "{what} timeout after {} handshake attempts",
                self.attempts
            ));
            self.stop_reason = Some(reason.clone());
            self.emit(SessionEvent::StopTriggered(reason));
        }
        // The identification is void: the BMS was told (CEM) or told us (BEM), and both restart
        // at CRM 00. A stop from here on has no BMS to exchange CST/BST/BSD with.
        self.bms.brm = None;
        let opened = (!self.out.contactors_closed).then_some(now);
        let messages: &[Periodic] = if cem.is_some() { &[Periodic::Cem] } else { &[] };
        self.out.insulation_test = false;
        self.go(
            Stage::ErrorRecovery {
                since: now,
                cem,
                opened,
                retry,
            },
            if retry {
                SessionPhase::Handshake
            } else {
                SessionPhase::Stopping
            },
            messages,
            now,
        );
    }

    fn finish(&mut self, now: Timestamp) {
        let reason = self.stop_reason.clone().unwrap_or(StopReason::ChargerFault(
            "session ended without a reason".into(),
        ));
        self.stop_reason = Some(reason.clone());
        self.go(Stage::Finished, SessionPhase::Finished, &[], now);
        self.transport.reset();
        self.emit(SessionEvent::Finished(reason));
    }

    /// Back to CRM 00 for another handshake: forget what the BMS said after BHM.
    fn restart_identification(&mut self, now: Timestamp) {
        self.attempts += 1;
        let bhm = self.bms.bhm_voltage;
        self.bms = Bms {
            bhm_voltage: bhm,
            ..Bms::default()
        };
        self.transport.reset();
        self.paused_since = None;
        self.overvoltage_since = None;
        self.go(
            Stage::Identification { since: now },
            SessionPhase::Handshake,
            &[Periodic::Crm],
            now,
        );
    }

    // ----- outputs ---------------------------------------------------------------------------

    /// Recomputes lines, lock, contactors' wish and the power command from the stage.
    fn refresh_outputs(&mut self) {
        let r = self.config.rating;
        let finished = matches!(self.stage, Stage::Idle | Stage::Finished);
        self.out.lines.aux_power = !finished;
        self.out.lines.sequence_1 = false;
        self.out.lines.sequence_2 = false;
        // The connector stays locked until the output is safe to touch, even when finished;
        // a reading that is not a number does not show that it is.
        self.out.lock_connector = if finished {
            let safe = self.plant.cable_voltage < SAFE_OUTPUT_V;
            self.started_at.is_some() && !safe
        } else {
            true
        };
        self.out.power = match self.stage {
            Stage::InsulationTest { voltage, .. } => {
                PowerCommand::on(voltage, self.config.insulation_test_current)
            }
            Stage::Precharge {
                battery_seen: Some(_),
                ..
            } if self.plant.cable_voltage.is_finite() => {
                let target = (self.plant.cable_voltage - self.config.precharge_offset)
                    .clamp(r.min_voltage, r.max_voltage);
                PowerCommand::on(target, self.config.precharge_current)
            }
            Stage::Charging { .. } => self.charging_command(),
            Stage::RampDown { .. } | Stage::ErrorRecovery { opened: None, .. } => {
                if self.hard_stop {
                    PowerCommand::OFF
                } else {
                    // Hold the voltage, take the current away: the supply ramps down at its slew.
                    PowerCommand::on(self.out.power.voltage, 0.0)
                }
            }
            _ => PowerCommand::OFF,
        };
    }

    fn charging_command(&self) -> PowerCommand {
        let r = self.config.rating;
        let Some(bcl) = self.bms.bcl else {
            // K1/K2 just closed, no demand yet: hold the battery's voltage, no current.
            return PowerCommand::on(
                finite_or_zero(self.plant.cable_voltage).clamp(r.min_voltage, r.max_voltage),
                0.0,
            );
        };
        let mut voltage = bcl.voltage.min(r.max_voltage);
        if let Some(bcp) = &self.bms.bcp {
            voltage = voltage.min(bcp.max_voltage);
        }
        let current = if self.paused_since.is_some() || self.charger_pauses() {
            0.0
        } else {
            bcl.current.min(self.charger_limit()).max(0.0)
        };
        PowerCommand::on(voltage.max(r.min_voltage), current)
    }

    // ----- frames in ---------------------------------------------------------------------------

    fn on_message(&mut self, message: BmsMessage, now: Timestamp) {
        match message {
            BmsMessage::Bhm(bhm) => {
                if let Stage::Handshake { .. } = self.stage {
                    self.bms.bhm_voltage = Some(bhm.max_charge_voltage);
                    self.refresh_vehicle();
                    self.enter_insulation_test(now);
                }
            }
            BmsMessage::Brm(brm) => self.on_brm(brm, now),
            BmsMessage::Bcp(bcp) => self.on_bcp(bcp, now),
            BmsMessage::Bro(bro) => self.on_bro(bro, now),
            BmsMessage::Bcl(bcl) => {
                if self.accepts_charging_messages() {
                    self.bms.bcl = Some(bcl);
                    self.bms.last_bcl = Some(now);
                    if let Some(bcp) = &self.bms.bcp {
                        // Reported once per session: BCL comes every 50 ms.
                        if bcl.voltage > bcp.max_voltage + 0.05 && !self.bms.bcl_over_bcp_reported {
                            self.bms.bcl_over_bcp_reported = true;
                            self.reject(format!(
                                "BCL asks {:.1} V, above BCP's {:.1} V: capped",
                                bcl.voltage, bcp.max_voltage
                            ));
                        }
                    }
                    if bcl.voltage < self.config.rating.min_voltage
                        && matches!(self.stage, Stage::Charging { .. })
                    {
                        self.trigger_stop(
                            StopReason::Incompatible(format!(
                                "BCL asks {:.1} V, below the charger's minimum {:.1} V",
                                bcl.voltage, self.config.rating.min_voltage
                            )),
                            now,
                        );
                    }
                    self.refresh_vehicle();
                }
            }
            BmsMessage::Bcs(bcs) => {
                if self.accepts_charging_messages() {
                    self.bms.bcs = Some(bcs);
                    self.bms.last_bcs = Some(now);
                    self.refresh_vehicle();
                    if let Some(bcp) = self.bms.bcp {
                        if bcs.max_cell_voltage > bcp.max_cell_voltage + 0.005 {
                            self.trigger_stop(
                                StopReason::VehicleFault(format!(
                                    "highest cell at {:.2} V, above the BMS's limit of {:.2} V",
                                    bcs.max_cell_voltage, bcp.max_cell_voltage
                                )),
                                now,
                            );
                        }
                    }
                }
            }
            BmsMessage::Bsm(bsm) => {
                if self.accepts_charging_messages() {
                    self.bms.bsm = Some(bsm);
                    match (bsm.charging_permitted, self.paused_since) {
                        (false, None) => self.paused_since = Some(now),
                        (true, Some(_)) => self.paused_since = None,
                        _ => {}
                    }
                    self.refresh_vehicle();
                    let faults = bsm.faults();
                    if !faults.is_empty() {
                        self.trigger_stop(StopReason::VehicleFault(faults.join(", ")), now);
                    }
                }
            }
            BmsMessage::Bmv(_) | BmsMessage::Bmt(_) | BmsMessage::Bsp(_) => {}
            BmsMessage::Bst(bst) => self.on_bst(bst, now),
            BmsMessage::Bsd(_) => {
                if self.is_stopping() {
                    self.bms.bsd_received = true;
                }
            }
            BmsMessage::Bem(bem) => self.on_bem(bem, now),
        }
        if matches!(self.stage, Stage::Charging { .. }) {
            self.refresh_outputs();
        }
    }

    fn accepts_charging_messages(&self) -> bool {
        matches!(
            self.stage,
            Stage::Precharge { .. } | Stage::Charging { .. } | Stage::RampDown { .. }
        )
    }

    fn on_brm(&mut self, brm: Brm, now: Timestamp) {
        if brm.version.is_2011() {
            self.codec = CurrentCodec::Offset800;
        }
        let first = self.bms.brm.is_none();
        self.bms.brm = Some(brm);
        self.refresh_vehicle();
        if first {
            if let Stage::Identification { .. } = self.stage {
                self.go(
                    Stage::AwaitParameters { since: now },
                    SessionPhase::Handshake,
                    &[Periodic::Crm],
                    now,
                );
                // CRM AA at once: the BCP deadline runs from now.
                self.send_now(Periodic::Crm, now);
            }
        }
    }

    fn on_bcp(&mut self, bcp: Bcp, now: Timestamp) {
        if !matches!(self.stage, Stage::AwaitParameters { .. }) {
            if self.bms.bcp.is_none() {
                self.reject("BCP before BRM was acknowledged: ignored".into());
            }
            return;
        }
        self.bms.bcp = Some(bcp);
        self.refresh_vehicle();
        let r = self.config.rating;
        let incompatible = if bcp.max_voltage < r.min_voltage {
            Some(format!(
                "battery's maximum {:.1} V is below the charger's minimum {:.1} V",
                bcp.max_voltage, r.min_voltage
            ))
        } else if bcp.battery_voltage > r.max_voltage || bcp.battery_voltage < r.min_voltage {
            Some(format!(
                "battery at {:.1} V, outside the charger's {:.0}-{:.0} V",
                bcp.battery_voltage, r.min_voltage, r.max_voltage
            ))
        } else if bcp.max_current < r.min_current {
            Some(format!(
                "battery accepts at most {:.1} A, below the charger's minimum {:.1} A",
                bcp.max_current, r.min_current
            ))
        } else {
            None
        };
        if let Some(why) = incompatible {
            self.trigger_stop(StopReason::Incompatible(why), now);
            return;
        }
        self.go(
            Stage::AwaitBatteryReady {
                since: now,
                last_bro: None,
            },
            SessionPhase::Handshake,
            &[Periodic::Cts, Periodic::Cml],
            now,
        );
    }

    fn on_bro(&mut self, bro: super::frames::Bro, now: Timestamp) {
        use super::frames::Bro;
        match (self.stage, bro) {
            (Stage::AwaitBatteryReady { .. }, Bro::Ready) => {
                self.bms.bro_ready_seen = true;
                self.go(
                    Stage::Precharge {
                        since: now,
                        battery_seen: None,
                        last_bro: now,
                    },
                    SessionPhase::Precharge,
                    &[Periodic::Cro],
                    now,
                );
            }
            (Stage::AwaitBatteryReady { since, .. }, Bro::NotReady) => {
                self.stage = Stage::AwaitBatteryReady {
                    since,
                    last_bro: Some(now),
                };
            }
            (
                Stage::Precharge {
                    since,
                    battery_seen,
                    ..
                },
                bro,
            ) => {
                if bro == Bro::NotReady {
                    self.bms.bro_drops += 1;
                    if self.bms.bro_drops > BRO_DROPS_TOLERATED {
                        self.trigger_stop(
                            StopReason::VehicleFault(format!(
                                "BRO fell back to 00 {} times during precharge",
                                self.bms.bro_drops
                            )),
                            now,
                        );
                        return;
                    }
                }
                self.stage = Stage::Precharge {
                    since,
                    battery_seen,
                    last_bro: now,
                };
            }
            _ => {}
        }
    }

    fn on_bst(&mut self, bst: Bst, now: Timestamp) {
        if self.bms.brm.is_none() {
            return;
        }
        let first = self.bms.bst.is_none();
        self.bms.bst = Some(bst);
        self.refresh_vehicle();
        if !first || self.is_stopping() {
            return;
        }
        let faults = bst.faults();
        self.stopped_by_bms = true;
        let reason = if faults.is_empty() {
            StopReason::VehicleRequest
        } else {
            StopReason::VehicleFault(faults.join(", "))
        };
        self.trigger_stop(reason, now);
    }

    fn on_bem(&mut self, bem: Bem, now: Timestamp) {
        let missed = bem.timeouts().join(", ");
        if self.is_stopping() || matches!(self.stage, Stage::Idle | Stage::Finished) {
            // In the stop stage the BMS ends on its own; nothing to retry.
            return;
        }
        if matches!(
            self.stage,
            Stage::ErrorRecovery { .. }
                | Stage::Handshake { .. }
                | Stage::InsulationTest { .. }
                | Stage::InsulationBleed { .. }
        ) {
            // Before identification the BMS can only have timed out waiting for CRM 00 (a long
            // insulation test): CRM 00 comes next and restarts it. Abandoning the insulation
            // test here would leave a session that can never close K1/K2.
            return;
        }
        let what = format!(
            "BEM (BMS missed {})",
            if missed.is_empty() { "?" } else { &missed }
        );
        self.bms_error(None, &what, now);
    }

    // ----- stage logic -------------------------------------------------------------------------

    fn enter_insulation_test(&mut self, now: Timestamp) {
        // A reading that is not a number cannot show a dead output either.
        let idle = self.plant.cable_voltage <= IDLE_OUTPUT_LIMIT_V;
        if !idle {
            self.trigger_stop(
                StopReason::ImplausibleMeasurement(format!(
                    "{:.0} V on the output before the insulation test: battery contactors closed?",
                    self.plant.cable_voltage
                )),
                now,
            );
            return;
        }
        let voltage = self.insulation_test_voltage();
        self.out.contactors_closed = true;
        self.out.insulation_test = true;
        self.go(
            Stage::InsulationTest {
                since: now,
                voltage,
            },
            SessionPhase::CableCheck,
            &[Periodic::Chm],
            now,
        );
    }

    /// Advances the stage on time and the plant. Returns true if the stage changed.
    fn advance(&mut self, now: Timestamp) -> bool {
        let t = self.config.timeouts;
        let p = self.plant;
        let before = self.stage;
        match self.stage {
            Stage::Idle | Stage::Finished => {}
            Stage::Handshake { since } => {
                if Self::past(since, t.bhm, now) {
                    // A 2011-edition BMS sends no BHM: test at the default voltage.
                    self.enter_insulation_test(now);
                }
            }
            Stage::InsulationTest { since, voltage } => {
                let at_voltage = p.cable_voltage >= voltage - TEST_VOLTAGE_TOLERANCE_V;
                // Only the cable is behind K1/K2 and the supply is held to the test current:
                // more than the cut-off means something is connected, whatever the monitor says.
                let loaded = p.output_current.abs() > CURRENT_CUTOFF_A;
                match p.insulation {
                    _ if loaded => self.trigger_stop(
                        StopReason::ImplausibleMeasurement(format!(
                            "{:.0} A out of the output in the insulation test (limit {:.0} A): \
                             something is connected",
                            p.output_current, self.config.insulation_test_current
                        )),
                        now,
                    ),
                    InsulationVerdict::Fault { ohms } if at_voltage => self.trigger_stop(
                        StopReason::InsulationFailure(format!(
                            "{ohms:.0} Ω at {voltage:.0} V in the insulation test"
                        )),
                        now,
                    ),
                    InsulationVerdict::Ok { ohms } | InsulationVerdict::Warning { ohms }
                        if at_voltage =>
                    {
                        let warning = matches!(p.insulation, InsulationVerdict::Warning { .. });
                        self.insulation_passed = true;
                        self.emit(SessionEvent::InsulationPassed { ohms, warning });
                        self.out.insulation_test = false;
                        self.out.contactors_closed = false;
                        self.go(
                            Stage::InsulationBleed { since: now },
                            SessionPhase::CableCheck,
                            &[Periodic::Chm],
                            now,
                        );
                    }
                    _ if Self::past(since, t.insulation, now) => self.trigger_stop(
                        StopReason::ChargerFault(if at_voltage {
                            "the insulation monitor gave no verdict".into()
                        } else {
                            format!(
                                "output reached only {:.0} V of the {voltage:.0} V insulation test",
                                p.cable_voltage
                            )
                        }),
                        now,
                    ),
                    _ => {}
                }
            }
            Stage::InsulationBleed { since } => {
                if p.cable_voltage < SAFE_OUTPUT_V {
                    self.restart_identification(now);
                } else if Self::past(since, t.bleed, now) {
                    self.trigger_stop(
                        StopReason::ChargerFault(format!(
                            "output still at {:.0} V after the insulation test",
                            p.cable_voltage
                        )),
                        now,
                    );
                }
            }
            Stage::Identification { since } => {
                if Self::past(since, t.brm + t.slack, now) && self.transport.is_idle() {
                    self.timeout(BmsTimeout::Brm, now);
                }
            }
            Stage::AwaitParameters { since } => {
                if Self::past(since, t.bcp + t.slack, now) && self.transport.is_idle() {
                    self.timeout(BmsTimeout::Bcp, now);
                }
            }
            Stage::AwaitBatteryReady { since, last_bro } => {
                let silent = Self::past(last_bro.unwrap_or(since), t.bro, now);
                if silent || Self::past(since, t.bro_ready, now) {
                    self.timeout(BmsTimeout::Bro, now);
                }
            }
            Stage::Precharge {
                since,
                battery_seen,
                last_bro,
            } => self.precharge(since, battery_seen, last_bro, now),
            Stage::Charging { since } => self.charging(since, now),
            Stage::ErrorRecovery {
                since,
                cem,
                opened,
                retry,
            } => self.recover(since, cem, opened, retry, now),
            Stage::RampDown { since } => {
                if p.output_current.abs() <= CURRENT_CUTOFF_A {
                    self.open_for_stop(now);
                } else if Self::past(since, t.current_ramp_down, now) {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::OpenedUnderLoad, format!(
                        "output current still {:.0} A {} ms after the stop: contactors opened under load",
                        p.output_current,
                        t.current_ramp_down.as_millis()
                    ))));
                    self.open_for_stop(now);
                }
            }
            Stage::StopExchange { since, opened } => self.stop_exchange(since, opened, now),
            Stage::StopError { since, .. } => {
                if Self::past(since, t.error_report, now) && p.cable_voltage < SAFE_OUTPUT_V {
                    self.finish(now);
                } else if Self::past(since, t.error_report + t.discharge, now) {
                    self.discharge_alarm(now);
                    self.finish(now);
                }
            }
            Stage::Statistics { since } => {
                if Self::past(since, t.statistics, now) {
                    self.finish(now);
                }
            }
        }
        self.stage != before
    }

    fn precharge(
        &mut self,
        since: Timestamp,
        battery_seen: Option<Timestamp>,
        last_bro: Timestamp,
        now: Timestamp,
    ) {
        let t = self.config.timeouts;
        let p = self.plant;
        if Self::past(last_bro, t.bro, now) {
            self.timeout(BmsTimeout::Bro, now);
            return;
        }
        if p.cable_voltage < -IDLE_OUTPUT_LIMIT_V {
            self.trigger_stop(
                StopReason::Incompatible(format!(
                    "{:.0} V on the output: battery connected with reverse polarity",
                    p.cable_voltage
                )),
                now,
            );
            return;
        }
        let Some(bcp) = self.bms.bcp else {
            return;
        };
        let Some(seen) = battery_seen else {
            if p.cable_voltage > BATTERY_PRESENT_ABOVE_V {
                self.stage = Stage::Precharge {
                    since,
                    battery_seen: Some(now),
                    last_bro,
                };
            } else if Self::past(since, t.precharge, now) {
                self.trigger_stop(
                    StopReason::VehicleFault(
                        "battery voltage never appeared on the output after BRO AA".into(),
                    ),
                    now,
                );
            }
            return;
        };
        let r = self.config.rating;
        let deviation = (p.cable_voltage - bcp.battery_voltage).abs();
        let matches_bcp = deviation <= self.config.battery_voltage_tolerance * bcp.battery_voltage;
        let in_range = p.cable_voltage >= r.min_voltage && p.cable_voltage <= r.max_voltage;
        if !(matches_bcp && in_range) {
            if Self::past(seen, t.battery_voltage_match, now) {
                let why = if !in_range {
                    StopReason::Incompatible(format!(
                        "battery at {:.1} V, outside the charger's {:.0}-{:.0} V",
                        p.cable_voltage, r.min_voltage, r.max_voltage
                    ))
                } else {
                    StopReason::ImplausibleMeasurement(format!(
                        "battery measured at {:.1} V, BCP says {:.1} V (more than {:.0} % apart)",
                        p.cable_voltage,
                        bcp.battery_voltage,
                        self.config.battery_voltage_tolerance * 100.0
                    ))
                };
                self.trigger_stop(why, now);
            }
            return;
        }
        self.refresh_outputs();
        let gap = p.psu_voltage - p.cable_voltage;
        if self.out.power.enabled
            && gap.abs() <= self.config.precharge_tolerance
            && gap <= 0.0
            && self.insulation_passed
        {
            self.out.contactors_closed = true;
            self.charging_since = Some(now);
            self.emit(SessionEvent::EnergyTransferStarted);
            self.go(
                Stage::Charging { since: now },
                SessionPhase::Charging,
                &[Periodic::Cro],
                now,
            );
            // CRO AA at once: the BCL and BCS deadlines run from now.
            self.send_now(Periodic::Cro, now);
        } else if Self::past(since, t.precharge, now) {
            self.trigger_stop(
                StopReason::PowerSupplyFault(format!(
                    "supply at {:.0} V could not be matched to the battery's {:.0} V",
                    p.psu_voltage, p.cable_voltage
                )),
                now,
            );
        }
    }

    fn charging(&mut self, since: Timestamp, now: Timestamp) {
        let t = self.config.timeouts;
        let p = self.plant;
        // First BCL/BCS are due within their timeouts of CRO AA, and then keep coming.
        let bcl_from = self.bms.last_bcl.unwrap_or(since);
        if Self::past(bcl_from, t.bcl, now) {
            self.timeout(BmsTimeout::Bcl, now);
            return;
        }
        let bcs_from = self.bms.last_bcs.unwrap_or(since);
        if Self::past(bcs_from, t.bcs + t.slack, now) {
            self.timeout(BmsTimeout::Bcs, now);
            return;
        }
        // CRO AA until the first demand, then CCS.
        if self.bms.bcl.is_some() && self.schedule[Periodic::Ccs.index()].is_none() {
            self.go(
                Stage::Charging { since },
                SessionPhase::Charging,
                &[Periodic::Ccs],
                now,
            );
        }
        if let Some(paused) = self.paused_since {
            if Self::past(paused, t.pause, now) {
                self.trigger_stop(
                    StopReason::VehicleFault(format!(
                        "charging paused by the BMS for more than {} s",
                        t.pause.as_secs()
                    )),
                    now,
                );
                return;
            }
        }
        if let Some(bcp) = self.bms.bcp {
            let limit = bcp.max_voltage * (1.0 + OVERVOLTAGE_FRACTION);
            if p.cable_voltage > limit {
                let since_over = *self.overvoltage_since.get_or_insert(now);
                if Self::past(since_over, OVERVOLTAGE_PERSISTENCE, now) {
                    self.trigger_stop(
                        StopReason::ImplausibleMeasurement(format!(
                            "output at {:.1} V, above the battery's maximum {:.1} V + 5 %",
                            p.cable_voltage, bcp.max_voltage
                        )),
                        now,
                    );
                    return;
                }
            } else {
                self.overvoltage_since = None;
            }
        }
        self.refresh_outputs();
    }

    fn recover(
        &mut self,
        since: Timestamp,
        cem: Option<Cem>,
        opened: Option<Timestamp>,
        retry: bool,
        now: Timestamp,
    ) {
        let t = self.config.timeouts;
        let p = self.plant;
        let Some(opened_at) = opened else {
            // Ramp the current down before opening, as for a stop.
            if p.output_current.abs() <= CURRENT_CUTOFF_A
                || Self::past(since, t.current_ramp_down, now)
            {
                if p.output_current.abs() > CURRENT_CUTOFF_A {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::OpenedUnderLoad, format!(
                        "output current still {:.0} A after a BMS timeout: contactors opened under load",
                        p.output_current
                    ))));
                }
                self.out.contactors_closed = false;
                self.stage = Stage::ErrorRecovery {
                    since,
                    cem,
                    opened: Some(now),
                    retry,
                };
                self.refresh_outputs();
            }
            return;
        };
        let reported = Self::past(since, t.error_report, now);
        let discharged = p.cable_voltage < SAFE_OUTPUT_V;
        if reported && (discharged || Self::past(opened_at, t.discharge, now)) {
            if !discharged {
                self.discharge_alarm(now);
            }
            if retry {
                self.restart_identification(now);
            } else {
                self.finish(now);
            }
        }
    }

    fn open_for_stop(&mut self, now: Timestamp) {
        self.out.contactors_closed = false;
        let messages: &[Periodic] = if self.bms.brm.is_some() {
            &[Periodic::Cst]
        } else {
            &[]
        };
        let since = match self.stage {
            Stage::RampDown { since } => since,
            _ => now,
        };
        self.go(
            Stage::StopExchange { since, opened: now },
            SessionPhase::Stopping,
            messages,
            now,
        );
    }

    fn stop_exchange(&mut self, since: Timestamp, opened: Timestamp, now: Timestamp) {
        let t = self.config.timeouts;
        let discharged = self.plant.cable_voltage < SAFE_OUTPUT_V;
        if !discharged && Self::past(opened, t.discharge, now) {
            self.discharge_alarm(now);
        }
        // Without an identified BMS (or without a BMS: unplugged) there is nothing to exchange.
        let exchange =
            self.bms.brm.is_some() && !matches!(self.stop_reason, Some(StopReason::Unplugged));
        if !exchange {
            if discharged || Self::past(opened, t.discharge, now) {
                self.finish(now);
            }
            return;
        }
        if self.bms.bst.is_none() && Self::past(since, t.bst, now) {
            self.go(
                Stage::StopError {
                    since: now,
                    cem: Cem::for_timeout(BmsTimeout::Bst),
                },
                SessionPhase::Stopping,
                &[Periodic::Cem],
                now,
            );
            return;
        }
        if !self.bms.bsd_received && Self::past(since, t.bsd, now) {
            self.go(
                Stage::StopError {
                    since: now,
                    cem: Cem::for_timeout(BmsTimeout::Bsd),
                },
                SessionPhase::Stopping,
                &[Periodic::Cem],
                now,
            );
            return;
        }
        // The end goes on once the output is safe, or (after the alarm above) once it should
        // have been: the connector stays locked after the end until the output reads safe.
        if self.bms.bst.is_some()
            && self.bms.bsd_received
            && (discharged || Self::past(opened, t.discharge, now))
        {
            self.go(
                Stage::Statistics { since: now },
                SessionPhase::Stopping,
                &[Periodic::Csd],
                now,
            );
        }
    }

    /// The next instant at which a deadline of the current stage passes, so that `update` runs
    /// then even if no frame arrives and no periodic message is due. Deadlines already passed
    /// at the last update are left out: what they wait for now depends on the plant.
    fn stage_deadline(&self) -> Option<Timestamp> {
        let t = self.config.timeouts;
        // `past` is strict: a limit is exceeded one millisecond after it ends.
        let at = |since: Timestamp, limit: Duration| Some(since + limit + Duration::from_millis(1));
        let deadlines: [Option<Timestamp>; 4] = match self.stage {
            Stage::Idle | Stage::Finished => [None; 4],
            Stage::Handshake { since } => [at(since, t.bhm), None, None, None],
            Stage::InsulationTest { since, .. } => [at(since, t.insulation), None, None, None],
            Stage::InsulationBleed { since } => [at(since, t.bleed), None, None, None],
            Stage::Identification { since } => [at(since, t.brm + t.slack), None, None, None],
            Stage::AwaitParameters { since } => [at(since, t.bcp + t.slack), None, None, None],
            Stage::AwaitBatteryReady { since, last_bro } => [
                at(last_bro.unwrap_or(since), t.bro),
                at(since, t.bro_ready),
                None,
                None,
            ],
            Stage::Precharge {
                since,
                battery_seen,
                last_bro,
            } => [
                at(last_bro, t.bro),
                at(since, t.precharge),
                battery_seen.and_then(|seen| at(seen, t.battery_voltage_match)),
                None,
            ],
            Stage::Charging { since } => [
                at(self.bms.last_bcl.unwrap_or(since), t.bcl),
                at(self.bms.last_bcs.unwrap_or(since), t.bcs + t.slack),
                self.paused_since.and_then(|p| at(p, t.pause)),
                self.overvoltage_since
                    .and_then(|o| at(o, OVERVOLTAGE_PERSISTENCE)),
            ],
            Stage::ErrorRecovery {
                since,
                opened: None,
                ..
            }
            | Stage::RampDown { since } => [at(since, t.current_ramp_down), None, None, None],
            Stage::ErrorRecovery {
                since,
                opened: Some(opened),
                ..
            } => [
                at(since, t.error_report),
                at(opened, t.discharge),
                None,
                None,
            ],
            Stage::StopExchange { since, opened } => [
                at(opened, t.discharge),
                self.bms.bst.is_none().then(|| at(since, t.bst)).flatten(),
                (!self.bms.bsd_received).then(|| at(since, t.bsd)).flatten(),
                None,
            ],
            Stage::StopError { since, .. } => [
                at(since, t.error_report),
                at(since, t.error_report + t.discharge),
                None,
                None,
            ],
            Stage::Statistics { since } => [at(since, t.statistics), None, None, None],
        };
        deadlines
            .into_iter()
            .flatten()
            .filter(|d| self.last_update.is_none_or(|last| *d > last))
            .min()
    }

    fn discharge_alarm(&mut self, _now: Timestamp) {
        if !self.discharge_alarmed {
            self.discharge_alarmed = true;
            self.emit(SessionEvent::Alarm(Alarm::new(
                AlarmKind::WeldingSuspected,
                format!(
                    "output still at {:.0} V {} s after the contactors opened: contactor welded?",
                    self.plant.cable_voltage,
                    self.config.timeouts.discharge.as_secs()
                ),
            )));
        }
    }

    // ----- frames out --------------------------------------------------------------------------

    fn build(&self, message: Periodic, now: Timestamp) -> ChargerMessage {
        let r = self.config.rating;
        match message {
            Periodic::Chm => ChargerMessage::Chm(Chm {
                version: ProtocolVersion::V1_1,
            }),
            Periodic::Crm => ChargerMessage::Crm(Crm {
                recognized: !matches!(self.stage, Stage::Identification { .. }),
                charger_number: self.config.charger_number,
                region: self.config.region,
            }),
            Periodic::Cts => ChargerMessage::Cts(Cts {
                time: self.wall_clock(now),
            }),
            Periodic::Cml => ChargerMessage::Cml(self.cml()),
            Periodic::Cro => ChargerMessage::Cro(Cro {
                ready: matches!(self.stage, Stage::Charging { .. }),
            }),
            Periodic::Ccs => ChargerMessage::Ccs(Ccs {
                voltage: finite_or_zero(self.plant.cable_voltage).clamp(0.0, r.max_voltage * 1.5),
                current: finite_or_zero(self.plant.output_current).max(0.0),
                charging_minutes: self.charging_minutes(now),
                permitted: !self.charger_pauses(),
            }),
            Periodic::Cst => ChargerMessage::Cst(self.cst()),
            Periodic::Csd => ChargerMessage::Csd(Csd {
                charging_minutes: self.charging_minutes(now),
                energy_kwh: self.energy_kwh as f32,
                charger_number: self.config.charger_number,
            }),
            Periodic::Cem => ChargerMessage::Cem(match self.stage {
                Stage::ErrorRecovery { cem: Some(c), .. } | Stage::StopError { cem: c, .. } => c,
                _ => Cem::default(),
            }),
        }
    }

    fn charging_minutes(&self, now: Timestamp) -> u16 {
        self.charging_since.map_or(0, |s| {
            u16::try_from(now.saturating_since(s).as_secs() / 60).unwrap_or(u16::MAX)
        })
    }

    fn wall_clock(&self, now: Timestamp) -> Option<ChargerTime> {
        let start = self.started_at?;
        let secs = self.config.wall_clock_at_start? + now.saturating_since(start).as_secs();
        Some(civil_time(secs))
    }

    fn frame(&self, pgn: u32, priority: u8, data: &[u8]) -> Option<CanFrame> {
        J1939Id::new(priority, pgn, BMS_ADDRESS, CHARGER_ADDRESS)
            .frame(data)
            .ok()
    }

    fn pump_transport(&mut self, now: Timestamp) {
        while let Some(event) = self.transport.poll_event() {
            match event {
                TpEvent::Received { source, pgn, data } => {
                    if source != BMS_ADDRESS {
                        continue;
                    }
                    match BmsMessage::decode(pgn, &data, self.codec) {
                        Ok(message) => self.on_message(message, now),
                        Err(e) => self.on_bad_message(pgn, &e),
                    }
                }
                TpEvent::Aborted {
                    pgn,
                    reason,
                    by_peer,
                    ..
                } => self.reject(format!(
                    "transport of PGN {pgn:#06x} aborted ({reason:?}{})",
                    if by_peer { ", by the BMS" } else { "" }
                )),
                TpEvent::Ignored(why) => self.reject(format!("transport: {why}")),
                TpEvent::Sent { .. } => {}
            }
        }
    }

    fn integrate_energy(&mut self, now: Timestamp) {
        if let Some(last) = self.last_update {
            if self.out.contactors_closed && self.charging_since.is_some() {
                let hours = now.saturating_since(last).as_secs_f64() / 3600.0;
                let kw = f64::from(finite_or_zero(self.plant.cable_voltage))
                    * f64::from(finite_or_zero(self.plant.output_current).max(0.0))
                    / 1000.0;
                self.energy_kwh += kw * hours;
            }
        }
        self.last_update = Some(now);
    }
}

impl DcSession for GbtCharger {
    fn start(&mut self, now: Timestamp) {
        if self.stage != Stage::Idle {
            return;
        }
        self.started_at = Some(now);
        self.attempts = 0;
        self.go(
            Stage::Handshake { since: now },
            SessionPhase::Handshake,
            &[Periodic::Chm],
            now,
        );
    }

    fn stop(&mut self, reason: StopReason, now: Timestamp) {
        match self.stage {
            Stage::Idle => {
                self.stop_reason = Some(reason.clone());
                self.emit(SessionEvent::StopTriggered(reason));
                self.finish(now);
            }
            Stage::Finished => {}
            _ => self.trigger_stop(reason, now),
        }
    }

    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        if matches!(self.stage, Stage::Idle | Stage::Finished) {
            return;
        }
        let Some(id) = J1939Id::from_frame(frame) else {
            self.reject(format!(
                "frame {:#x} is not a J1939 data frame: ignored",
                frame.id()
            ));
            return;
        };
        if id.destination != CHARGER_ADDRESS {
            // Another node's traffic (e.g. our own frames echoed): not ours to judge.
            return;
        }
        if id.source != BMS_ADDRESS {
            self.reject(format!(
                "frame {:#010x} from address {:#04x}, not the BMS (0xF4): ignored",
                id.to_raw(),
                id.source
            ));
            return;
        }
        if self.transport.handle_frame(frame, now) {
            self.pump_transport(now);
            return;
        }
        match BmsMessage::decode(id.pgn, frame.data(), self.codec) {
            Ok(message) => self.on_message(message, now),
            Err(e) => self.on_bad_message(id.pgn, &e),
        }
    }

    fn set_available_current(&mut self, amps: f32, _now: Timestamp) {
        self.available_current = finite_or_zero(amps).max(0.0);
        if matches!(self.stage, Stage::Charging { .. }) {
            self.refresh_outputs();
        }
    }

    fn update(&mut self, plant: &PlantInputs, now: Timestamp) {
        self.plant = *plant;
        self.integrate_energy(now);
        self.transport.update(now);
        self.pump_transport(now);
        if let Some(reason) = self.incompatible.take() {
            self.trigger_stop(reason, now);
        }
        // A stage change can make the next one due at once (e.g. a bled output): a few passes.
        for _ in 0..4 {
            if !self.advance(now) {
                break;
            }
        }
        self.refresh_outputs();
    }

    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        if let Some(frame) = self.transport.poll_transmit(now) {
            return Some(frame);
        }
        let due = (0..PERIODIC_COUNT)
            .filter_map(|i| self.schedule[i].filter(|t| *t <= now).map(|t| (t, i)))
            .min()?;
        let (at, index) = due;
        let message = ALL_PERIODIC[index];
        let period = message.period();
        // Keep the grid (no drift); if far behind, start a new one from now.
        let next = at + period;
        self.schedule[index] = Some(if next <= now { now + period } else { next });
        let (pgn, priority, data) = self.build(message, now).encode(self.codec);
        self.frame(pgn, priority, &data)
    }

    fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.schedule
            .iter()
            .flatten()
            .copied()
            .chain(self.transport.poll_timeout())
            .chain(self.stage_deadline())
            .min()
    }

    fn outputs(&self) -> PlantOutputs {
        self.out
    }

    fn phase(&self) -> SessionPhase {
        self.phase
    }

    fn vehicle(&self) -> &VehicleStatus {
        &self.vehicle
    }
}

const ALL_PERIODIC: [Periodic; PERIODIC_COUNT] = [
    Periodic::Chm,
    Periodic::Crm,
    Periodic::Cts,
    Periodic::Cml,
    Periodic::Cro,
    Periodic::Ccs,
    Periodic::Cst,
    Periodic::Csd,
    Periodic::Cem,
];

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// CTS carries UTC: the charger's clock as the shell gives it.
fn civil_time(secs: u64) -> ChargerTime {
    let c = CivilTime::from_unix_secs(i64::try_from(secs).unwrap_or(i64::MAX));
    ChargerTime {
        year: u16::try_from(c.year).unwrap_or(u16::MAX),
        month: c.month,
        day: c.day,
        hour: c.hour,
        minute: c.minute,
        second: c.second,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_matches_known_dates() {
        assert_eq!(
            civil_time(0),
            ChargerTime {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
        // 2026-11-25T15:09:33Z
        assert_eq!(
            civil_time(1_795_619_373),
            ChargerTime {
                year: 2026,
                month: 11,
                day: 25,
                hour: 15,
                minute: 9,
                second: 33
            }
        );
        // 2024-02-29T23:59:59Z (leap day)
        let leap = civil_time(1_709_251_199);
        assert_eq!((leap.year, leap.month, leap.day), (2024, 2, 29));
    }

    /// A BHM saying the battery's maximum is 0 V (or any impossible value in BHM, BRM, BCP)
    /// stops the session as incompatible at once, saying so; it used to be ignored until three
    /// handshake timeouts ended the session as a lost link.
    #[test]
    fn an_impossible_battery_parameter_stops_the_session_as_incompatible() {
        let rating = ChargerRating {
            max_voltage: 1000.0,
            min_voltage: 200.0,
            max_current: 250.0,
            min_current: 0.0,
        };
        let mut c = GbtCharger::new(GbtChargerConfig::new(rating)).unwrap();
        let ms = Timestamp::from_millis;
        c.start(ms(0));
        c.update(&PlantInputs::default(), ms(10));
        // BHM (PGN 0x2700), BMS 0xF4 → charger 0x56, max charging voltage 0.
        let bhm = CanFrame::extended(0x1827_56F4, &[0, 0]).unwrap();
        c.handle_frame(&bhm, ms(20));
        c.update(&PlantInputs::default(), ms(30));
        let mut stop = None;
        while let Some(e) = c.poll_event() {
            if let SessionEvent::StopTriggered(r) = e {
                stop = Some(r);
            }
        }
        match stop {
            Some(StopReason::Incompatible(why)) => assert!(why.contains("BHM"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_configuration() {
        let rating = ChargerRating {
            max_voltage: 1000.0,
            min_voltage: 200.0,
            max_current: 250.0,
            min_current: 0.0,
        };
        assert!(GbtCharger::new(GbtChargerConfig::new(rating)).is_ok());
        let too_much = ChargerRating {
            max_current: 500.0,
            ..rating
        };
        assert!(GbtCharger::new(GbtChargerConfig::new(too_much)).is_err());
        let mut cfg = GbtChargerConfig::new(rating);
        cfg.max_handshake_attempts = 0;
        assert!(GbtCharger::new(cfg).is_err());
    }
}
