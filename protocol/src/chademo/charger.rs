//! The charger side of a CHAdeMO session, as a sans-IO state machine behind [`DcSession`].
//!
//! The sequence follows IEEE 2030.1.1 as implemented by the field code in the reference notes
//! (§1.5): d1 → vehicle frames → 108/109 → compatibility → permission (k + 102.5.0) → lock →
//! EV contactors open? → insulation test → bleed → d2 → EV contactors closed → precharge →
//! output contactors closed → first request → current loop → stop → ramp down to ≤ 5 A →
//! contactors open → welding detection → d2 off, 500 ms, d1 off → unlock at ≤ 10 V.
//!
//! Three rules are enforced here rather than trusted to the station or the vehicle:
//! * the output contactors close onto the vehicle's battery only after a passed insulation test
//!   and a precharge that brought the power supply within [`ChademoChargerConfig::precharge_tolerance`]
//!   of the battery's voltage;
//! * the current asked of the power supply never exceeds the vehicle's request, the station's
//!   available current or the rating;
//! * the output contactors open only once the output current is ≤ 5 A — unless the current
//!   refuses to fall for [`ChademoTimeouts::current_ramp_down`], which raises an
//!   [`SessionEvent::Alarm`] and opens anyway (a supply that will not stop must be cut off).
//!   The connector unlocks only at ≤ 10 V on the cable.

use std::collections::VecDeque;
use std::time::Duration;

use thiserror::Error;

use super::frames::{
    ChademoDecodeError, ChargerCapability, ChargerStatus, ChargerStatusFlags, ChargingTime,
    ProtocolNumber, VehicleChargingTime, VehicleControl, VehicleFrame, VehicleLimits,
    MAX_VOLTAGE_V,
};
use crate::can::CanFrame;
use crate::session::{
    Alarm, AlarmKind, ChargerRating, DcSession, InsulationVerdict, PlantInputs, PlantOutputs,
    PowerCommand, SessionEvent, SessionPhase, StopReason, VehicleStatus,
};
use crate::time::Timestamp;

/// CHAdeMO frames go out every 100 ms (±10 ms).
pub const FRAME_PERIOD: Duration = Duration::from_millis(100);
/// At or below this output current the charge counts as ended: 109.5.0 is cleared and the
/// output contactors may open.
pub const CURRENT_CUTOFF_A: f32 = 5.0;
/// Below this the EV contactors are taken to be open before the insulation test (§1.5 row 6).
pub const EV_CONTACTORS_OPEN_BELOW_V: f32 = 10.0;
/// Below this the insulation test voltage has been bled off and d2 may rise (§1.5 row 8).
pub const INSULATION_BLEED_BELOW_V: f32 = 20.0;
/// Above this (with 102.5.3 = 0) the EV contactors are taken to be closed (§1.5 row 10).
pub const EV_CONTACTORS_CLOSED_ABOVE_V: f32 = 50.0;
/// At or below this 109.5.2 is cleared and the connector may unlock (§1.5 row 16).
pub const UNLOCK_AT_OR_BELOW_V: f32 = 10.0;
/// Welding detection: the cable must fall below this fraction of its voltage at the moment
/// the EV contactors reported open within [`ChademoTimeouts::welding_fall_fraction`] (A.10.2.1).
pub const WELDING_FALL_FRACTION: f32 = 0.25;
/// Welding detection: … and to this within [`ChademoTimeouts::welding_fall_final`].
pub const WELDING_FALL_FINAL_V: f32 = 10.0;
/// Room below the target the cable may stay and still count as "at the insulation test voltage".
pub const TEST_VOLTAGE_TOLERANCE_V: f32 = 10.0;

/// Bound on queued events, so a flood of bad frames cannot grow memory when the station is slow
/// to drain; only `FrameRejected` events are dropped when it is reached.
const EVENT_QUEUE_LIMIT: usize = 256;

/// Every deadline the charger enforces. Defaults come from the reference's §1.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChademoTimeouts {
    /// No 0x102 for this long ⇒ stop with `CommunicationLost` (1 s, OSX/EVTV).
    pub vehicle_can_loss: Duration,
    /// d1 on → vehicle frames + charge permission (k and 102.5.0). The spec's T-time is 8 s;
    /// the default is 10 s because trucks with slow-booting gateways exceed 8 s and waiting
    /// costs nothing (no power is on).
    pub permission: Duration,
    /// Permission → d2 on: locking, insulation test and bleeding together (C-time 20 s).
    pub setup: Duration,
    /// d2 on → EV contactors closed (4 s).
    pub ev_contactors_closed: Duration,
    /// EV contactors closed → power supply matched to the battery and output contactors closed.
    pub precharge: Duration,
    /// EV contactors closed → first current request > 0 (4 s).
    pub first_current_request: Duration,
    /// Stop trigger → output current ≤ 5 A. Past this the contactors open under load and an
    /// `Alarm` is raised: the hard deadline that bounds every stop.
    pub current_ramp_down: Duration,
    /// Output contactors open → vehicle reports its contactors open (102.5.3 = 1). The spec's
    /// T-time is 10 s.
    pub ev_contactors_open: Duration,
    /// Welding detection: cable below 25 % within this (1 s).
    pub welding_fall_fraction: Duration,
    /// Welding detection: cable ≤ 10 V within this (2 s).
    pub welding_fall_final: Duration,
    /// d2 off → d1 off (500 ms).
    pub sequence_release: Duration,
    /// d1 off with the cable still above 10 V for this long ⇒ one `Alarm` (the connector stays
    /// locked until it falls).
    pub cable_discharge: Duration,
}

impl Default for ChademoTimeouts {
    fn default() -> Self {
        ChademoTimeouts {
            vehicle_can_loss: Duration::from_secs(1),
            permission: Duration::from_secs(10),
            setup: Duration::from_secs(20),
            ev_contactors_closed: Duration::from_secs(4),
            precharge: Duration::from_secs(4),
            first_current_request: Duration::from_secs(4),
            current_ramp_down: Duration::from_secs(2),
            ev_contactors_open: Duration::from_secs(10),
            welding_fall_fraction: Duration::from_secs(1),
            welding_fall_final: Duration::from_secs(2),
            sequence_release: Duration::from_millis(500),
            cable_discharge: Duration::from_secs(5),
        }
    }
}

/// How a CHAdeMO charger is set up for one connector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChademoChargerConfig {
    pub rating: ChargerRating,
    /// Protocol number announced in 109.0 (2 = 1.0.x).
    pub protocol: ProtocolNumber,
    /// Announce and perform EV contactor welding detection (108.0 = 1; required for 1.x).
    pub welding_detection: bool,
    pub timeouts: ChademoTimeouts,
    /// Current limit during the insulation test, amperes. Only the cable's capacitance is
    /// charged, so a couple of amperes is plenty and limits harm if something is connected.
    pub insulation_test_current: f32,
    /// Current limit while the supply is brought to the battery's voltage, amperes (contactors
    /// are open; only the supply's own output capacitance is charged).
    pub precharge_current: f32,
    /// Largest |power supply − cable| voltage at which the output contactors may close onto the
    /// battery, volts. 10 V absolute (not 2 %): on a 900 V truck pack 2 % would be 18 V, a
    /// larger inrush than we want to put through the contactors.
    pub precharge_tolerance: f32,
}

impl ChademoChargerConfig {
    /// Defaults for everything but the rating.
    pub fn new(rating: ChargerRating) -> Self {
        ChademoChargerConfig {
            rating,
            protocol: ProtocolNumber::V1_0,
            welding_detection: true,
            timeouts: ChademoTimeouts::default(),
            insulation_test_current: 2.0,
            precharge_current: 2.0,
            precharge_tolerance: 10.0,
        }
    }
}

/// A configuration the charger refuses to run with.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ChademoConfigError {
    #[error("charger rating: {0}")]
    Rating(String),
    #[error("{field} must be a positive, finite number, got {value}")]
    NotPositive { field: &'static str, value: f32 },
}

/// The fine-grained steps of the session; several map to one [`SessionPhase`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Idle,
    /// d1 on; waiting for 0x100, 0x101 and 0x102.
    AwaitVehicleFrames,
    /// 108/109 going out; waiting for k and 102.5.0.
    AwaitPermission,
    /// Connector locked; waiting for the cable to read < 10 V (EV contactors open).
    CheckEvContactorsOpen,
    /// Output contactors closed, test voltage on the cable, monitor measuring. `reached_at`
    /// is when the cable first read the test voltage.
    InsulationTest {
        reached_at: Option<Timestamp>,
    },
    /// Power off after a passed test; waiting for < 20 V, then the contactors open and d2 rises.
    InsulationBleed,
    /// d2 on; waiting for the EV contactors to close.
    AwaitEvContactorsClosed {
        since: Timestamp,
    },
    /// Supply being brought to the battery's voltage with the contactors open.
    Precharge {
        since: Timestamp,
    },
    /// Contactors closed; following the vehicle's requests.
    Charging,
    /// Current to zero after a stop trigger; contactors open at ≤ 5 A.
    RampDown {
        since: Timestamp,
    },
    /// Waiting for 102.5.3 = 1.
    AwaitEvContactorsOpen {
        since: Timestamp,
    },
    /// Watching the cable voltage fall after the EV contactors opened.
    VoltageFall {
        since: Timestamp,
        reference: f32,
        fraction_reached: bool,
    },
    /// d2 off; d1 off after 500 ms; unlock at ≤ 10 V.
    Release {
        d2_off_at: Timestamp,
        d1_off_at: Option<Timestamp>,
        alarmed: bool,
    },
    Finished,
}

/// What the charger learned from the vehicle's frames.
#[derive(Debug, Clone, Copy, Default)]
struct VehicleFrames {
    limits: Option<VehicleLimits>,
    time: Option<VehicleChargingTime>,
    control: Option<VehicleControl>,
    /// When the last valid 0x102 arrived: the CAN-loss clock.
    control_at: Option<Timestamp>,
}

/// The charger side of one CHAdeMO session. See the module documentation.
#[derive(Debug)]
pub struct ChademoCharger {
    config: ChademoChargerConfig,
    step: Step,
    phase: SessionPhase,
    events: VecDeque<SessionEvent>,
    out: PlantOutputs,
    plant: PlantInputs,
    frames: VehicleFrames,
    vehicle: VehicleStatus,

    /// 108.1-2, volts: the rating clamped to what CHAdeMO can carry; fixed for the session.
    available_voltage: u16,
    /// 108.4-5, volts.
    threshold_voltage: u16,
    /// From the station; starts at the rating.
    available_current: f32,
    /// 109.5 as it goes out.
    flags: ChargerStatusFlags,

    d1_on_at: Option<Timestamp>,
    permitted_at: Option<Timestamp>,
    ev_contactors_closed_at: Option<Timestamp>,
    /// Set once the EV contactors were seen closed: the stop then runs welding detection.
    ev_contactors_were_closed: bool,
    /// A request > 0 arrived after the EV contactors closed.
    first_request_seen: bool,
    /// First instant with 109.5.0 = 1: the maximum-charging-time clock.
    charging_started_at: Option<Timestamp>,
    /// A 109 with 109.5.0 = 1 has gone out: the vehicle can tell our later stop by its edge.
    charging_flag_sent: bool,
    /// The stop came while current was being delivered: ramp down with the supply still on.
    stopped_while_charging: bool,
    stop_reason: Option<StopReason>,
    hard_stop: bool,

    /// When the next 108/109 pair is due; `None` while not transmitting.
    next_cycle: Option<Timestamp>,
    /// 0x109 of the current cycle is still to go (0x108 always goes first).
    status_due: Option<Timestamp>,
    /// The latest instant any input carried, for the frames' remaining-time field.
    now: Timestamp,
}

impl ChademoCharger {
    pub fn new(config: ChademoChargerConfig) -> Result<Self, ChademoConfigError> {
        let r = config.rating;
        for (field, value) in [
            ("rating.max_voltage", r.max_voltage),
            ("rating.max_current", r.max_current),
            ("insulation_test_current", config.insulation_test_current),
            ("precharge_current", config.precharge_current),
            ("precharge_tolerance", config.precharge_tolerance),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ChademoConfigError::NotPositive { field, value });
            }
        }
        if !(r.min_voltage.is_finite() && r.min_voltage >= 0.0 && r.min_voltage < r.max_voltage) {
            return Err(ChademoConfigError::Rating(format!(
                "min_voltage {} must be in [0, max_voltage {})",
                r.min_voltage, r.max_voltage
            )));
        }
        if !(r.min_current.is_finite() && r.min_current >= 0.0 && r.min_current <= r.max_current) {
            return Err(ChademoConfigError::Rating(format!(
                "min_current {} must be in [0, max_current {}]",
                r.min_current, r.max_current
            )));
        }
        let available_voltage = volts_u16(r.max_voltage.min(f32::from(MAX_VOLTAGE_V)));
        Ok(ChademoCharger {
            config,
            step: Step::Idle,
            phase: SessionPhase::Idle,
            events: VecDeque::new(),
            out: PlantOutputs::default(),
            plant: PlantInputs::default(),
            frames: VehicleFrames::default(),
            vehicle: VehicleStatus::default(),
            available_voltage,
            threshold_voltage: available_voltage,
            available_current: r.max_current,
            flags: ChargerStatusFlags {
                stop_control: true,
                ..Default::default()
            },
            d1_on_at: None,
            permitted_at: None,
            ev_contactors_closed_at: None,
            ev_contactors_were_closed: false,
            first_request_seen: false,
            charging_started_at: None,
            charging_flag_sent: false,
            stopped_while_charging: false,
            stop_reason: None,
            hard_stop: false,
            next_cycle: None,
            status_due: None,
            now: Timestamp::ZERO,
        })
    }

    pub fn config(&self) -> &ChademoChargerConfig {
        &self.config
    }

    /// The reason decided at the stop trigger, once there is one.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop_reason.as_ref()
    }

    /// The threshold voltage announced in 108.4-5 (and used as the charging voltage limit).
    pub fn threshold_voltage(&self) -> f32 {
        f32::from(self.threshold_voltage)
    }

    /// The 0x108 that goes out next.
    pub fn capability_frame(&self) -> ChargerCapability {
        ChargerCapability {
            welding_detection: self.config.welding_detection,
            available_voltage: self.available_voltage,
            available_current: amps_u8(self.offered_current()),
            threshold_voltage: self.threshold_voltage,
        }
    }

    /// The 0x109 that goes out next.
    pub fn status_frame(&self) -> ChargerStatus {
        ChargerStatus {
            protocol: self.config.protocol,
            output_voltage: volts_u16(self.plant.cable_voltage),
            output_current: measured_amps_u8(self.plant.output_current),
            discharge_compatible: false,
            flags: self.flags,
            remaining_time: self.remaining_time(self.now),
        }
    }

    // ----- limits -------------------------------------------------------------------------

    /// What 108.3 offers: the station's available current capped by the rating.
    fn offered_current(&self) -> f32 {
        self.available_current
            .min(self.config.rating.max_current)
            .max(0.0)
    }

    /// The vehicle's own maximum (100.1), amperes; unbounded when it gives none (0). A request
    /// above it is the vehicle contradicting itself: the lower figure wins (ARCHITECTURE.md
    /// principle 4, the truck's maximum is one of the limits).
    fn vehicle_max_current(&self) -> f32 {
        self.frames
            .limits
            .filter(|l| l.max_charge_current != 0)
            .map_or(f32::INFINITY, |l| f32::from(l.max_charge_current))
    }

    /// The vehicle's latest request, amperes.
    fn requested_current(&self) -> f32 {
        self.frames
            .control
            .map_or(0.0, |c| f32::from(c.current_request))
    }

    fn max_charging_time(&self) -> Option<Duration> {
        self.frames
            .time
            .and_then(|t| t.max_charging_time.duration())
    }

    /// 109.6/7: the maximum charging time less the time charged so far; "not given" when the
    /// vehicle set no maximum.
    fn remaining_time(&self, now: Timestamp) -> ChargingTime {
        match (self.max_charging_time(), self.charging_started_at) {
            (None, _) => ChargingTime::NOT_GIVEN,
            (Some(max), None) => ChargingTime::from_duration(max),
            (Some(max), Some(start)) => {
                let elapsed = now.saturating_since(start);
                ChargingTime::from_duration(max.saturating_sub(elapsed))
            }
        }
    }

    // ----- events and phases ---------------------------------------------------------------

    fn emit(&mut self, event: SessionEvent) {
        if self.events.len() >= EVENT_QUEUE_LIMIT && matches!(event, SessionEvent::FrameRejected(_))
        {
            return;
        }
        self.events.push_back(event);
    }

    fn set_phase(&mut self, to: SessionPhase) {
        if self.phase != to {
            let from = self.phase;
            self.phase = to;
            self.emit(SessionEvent::PhaseChanged { from, to });
        }
    }

    fn go(&mut self, step: Step, phase: SessionPhase) {
        self.step = step;
        self.set_phase(phase);
    }

    fn is_stopping(&self) -> bool {
        self.stop_reason.is_some()
    }

    /// The single entry to stopping. Keeps the first reason; later triggers are ignored.
    fn trigger_stop(&mut self, reason: StopReason, now: Timestamp) {
        if self.is_stopping() || matches!(self.step, Step::Idle | Step::Finished) {
            return;
        }
        self.hard_stop = reason.is_hard();
        match &reason {
            StopReason::Incompatible(_) => self.flags.battery_incompatible = true,
            StopReason::CommunicationLost(_) => self.flags.system_malfunction = true,
            StopReason::EmergencyStop
            | StopReason::PowerSupplyFault(_)
            | StopReason::InsulationFailure(_)
            | StopReason::ImplausibleMeasurement(_)
            | StopReason::ChargerFault(_) => self.flags.charger_malfunction = true,
            _ => {}
        }
        self.flags.stop_control = true;
        self.stopped_while_charging = self.step == Step::Charging;
        self.stop_reason = Some(reason.clone());
        self.emit(SessionEvent::StopTriggered(reason));
        self.out.insulation_test = false;
        self.go(Step::RampDown { since: now }, SessionPhase::Stopping);
        self.refresh_power();
    }

    // ----- the power command ---------------------------------------------------------------

    /// Recomputes the supply setpoint from the step; called after every input.
    fn refresh_power(&mut self) {
        let rating = self.config.rating;
        self.out.power = match self.step {
            Step::InsulationTest { .. } => PowerCommand::on(
                self.insulation_test_voltage(),
                self.config.insulation_test_current,
            ),
            Step::Precharge { .. } => PowerCommand::on(
                finite_or_zero(self.plant.cable_voltage).clamp(0.0, rating.max_voltage),
                self.config.precharge_current,
            ),
            Step::Charging => PowerCommand::on(
                self.threshold_voltage(),
                if self.flags.charging {
                    self.requested_current()
                        .min(self.vehicle_max_current())
                        .min(self.available_current)
                        .min(rating.max_current)
                        .max(0.0)
                } else {
                    0.0
                },
            ),
            // A normal stop keeps the supply regulating at zero current, so the current falls
            // smoothly; a hard stop, or any stop outside energy transfer, switches it off.
            Step::RampDown { .. } if self.stopped_while_charging && !self.hard_stop => {
                PowerCommand::on(self.threshold_voltage(), 0.0)
            }
            _ => PowerCommand::OFF,
        };
    }

    fn insulation_test_voltage(&self) -> f32 {
        self.threshold_voltage().min(self.config.rating.max_voltage)
    }

    // ----- vehicle frames -----------------------------------------------------------------

    fn on_limits(&mut self, limits: VehicleLimits, now: Timestamp) {
        self.frames.limits = Some(limits);
        self.vehicle.max_voltage = Some(f32::from(limits.max_battery_voltage));
        self.vehicle.max_current =
            (limits.max_charge_current != 0).then(|| f32::from(limits.max_charge_current));
        // The threshold follows 0x100 until permission, when the vehicle's values are stable
        // and the compatibility check signs them off; then it is frozen (the spec allows
        // changes until the first current request, but nothing after the check needs one, and
        // a later change would bypass the check).
        if self.permitted_at.is_none() {
            self.threshold_voltage = limits.max_battery_voltage.min(self.available_voltage);
        } else if limits.max_battery_voltage < self.threshold_voltage {
            // After the check the threshold is frozen against *raising* it; a vehicle that
            // lowers its maximum mid-session is obeyed at once (limits compose by minimum), and
            // one that lowers it below anything we can charge at is stopped, saying why.
            let from = self.threshold_voltage;
            self.threshold_voltage = limits.max_battery_voltage;
            if f32::from(self.threshold_voltage) < self.config.rating.min_voltage {
                self.trigger_stop(
                    StopReason::Incompatible(format!(
                        "the vehicle lowered its maximum battery voltage from {from} V to {} V \
                         during the session, below the charger's minimum {} V",
                        limits.max_battery_voltage, self.config.rating.min_voltage
                    )),
                    now,
                );
            }
        }
        self.refresh_soc();
    }

    fn on_time(&mut self, time: VehicleChargingTime) {
        self.frames.time = Some(time);
        self.vehicle.battery_capacity_kwh = Some(time.rated_capacity_kwh());
        self.vehicle.remaining_time = (time.estimated_charging_time_min != 0)
            .then(|| Duration::from_secs(u64::from(time.estimated_charging_time_min) * 60));
    }

    fn on_control(&mut self, control: VehicleControl, now: Timestamp) {
        self.frames.control = Some(control);
        self.frames.control_at = Some(now);
        self.vehicle.protocol = Some(control.protocol.name().to_string());
        self.vehicle.target_voltage = Some(f32::from(control.target_voltage));
        self.vehicle.requested_current = Some(f32::from(control.current_request));
        let mut faults: Vec<String> = control
            .faults
            .names()
            .into_iter()
            .map(String::from)
            .collect();
        if control.status.not_in_park {
            faults.push("shift lever not in park (102.5.1)".into());
        }
        if control.status.system_fault {
            faults.push("charging system fault (102.5.2)".into());
        }
        self.vehicle.faults = faults;
        self.refresh_soc();

        if self.ev_contactors_were_closed && control.current_request > 0 {
            self.first_request_seen = true;
        }
        self.check_control_triggers(control, now);
    }

    /// SOC = 102.6 relative to 100.6 (normally 100). Before permission a Leaf sends 0xF0 as the
    /// reference; then 102.6 is taken as percent when it is plausible.
    fn refresh_soc(&mut self) {
        let Some(control) = self.frames.control else {
            return;
        };
        let raw = f32::from(control.charged_rate);
        let reference = self.frames.limits.map_or(100, |l| l.charged_rate_reference);
        self.vehicle.soc_percent = if (1..=100).contains(&reference) {
            Some((raw * 100.0 / f32::from(reference)).min(100.0))
        } else if raw <= 100.0 {
            Some(raw)
        } else {
            None
        };
    }

    /// Stop triggers carried by 0x102 (§1.5 row 13). Faults outrank normal stop requests, so a
    /// vehicle that raises a fault bit and clears 102.5.0 in one frame is recorded as faulted.
    fn check_control_triggers(&mut self, c: VehicleControl, now: Timestamp) {
        if self.is_stopping() || matches!(self.step, Step::Idle | Step::Finished) {
            return;
        }
        let mut faults: Vec<&str> = c.faults.names();
        if c.status.system_fault {
            faults.push("charging system fault (102.5.2)");
        }
        let past_permission = self.permitted_at.is_some();
        if c.status.not_in_park && past_permission {
            faults.push("shift lever not in park (102.5.1)");
        }
        if !faults.is_empty() {
            self.trigger_stop(StopReason::VehicleFault(faults.join(", ")), now);
        } else if c.status.stop_before_charging || (past_permission && !c.status.charging_enabled) {
            self.trigger_stop(StopReason::VehicleRequest, now);
        }
    }

    // ----- the sequence -------------------------------------------------------------------

    /// Stop triggers carried by time and the plant rather than by a frame.
    fn check_plant_triggers(&mut self, now: Timestamp) {
        if self.is_stopping() || matches!(self.step, Step::Idle | Step::Finished) {
            return;
        }
        let p = self.plant;
        if !(p.cable_voltage.is_finite()
            && p.psu_voltage.is_finite()
            && p.output_current.is_finite())
        {
            self.trigger_stop(
                StopReason::ImplausibleMeasurement(format!(
                    "non-finite measurement: cable {} V, supply {} V, output {} A",
                    p.cable_voltage, p.psu_voltage, p.output_current
                )),
                now,
            );
            return;
        }
        if let Some(at) = self.frames.control_at {
            if now >= at + self.config.timeouts.vehicle_can_loss {
                let ms = self.config.timeouts.vehicle_can_loss.as_millis();
                self.trigger_stop(
                    StopReason::CommunicationLost(format!("no 0x102 from the vehicle for {ms} ms")),
                    now,
                );
                return;
            }
        }
        if self.permitted_at.is_some() && !p.vehicle_permission {
            // Switch k opened: the vehicle withdrew its permission.
            self.trigger_stop(StopReason::VehicleRequest, now);
            return;
        }
        if let (Some(max), Some(start)) = (self.max_charging_time(), self.charging_started_at) {
            if now >= start + max {
                // The vehicle's own maximum charging time (101.1/2) ran out: its limit, its stop.
                self.trigger_stop(StopReason::VehicleRequest, now);
                return;
            }
        }
        let past_test = matches!(self.step, Step::Precharge { .. } | Step::Charging);
        if let (true, InsulationVerdict::Fault { ohms }) = (past_test, p.insulation) {
            self.trigger_stop(
                StopReason::InsulationFailure(format!(
                    "insulation resistance fell to {ohms:.0} Ω during the session"
                )),
                now,
            );
        }
    }

    /// Compatibility (§1.5 row 3): what 108 offers must cover what the vehicle asks.
    fn incompatibility(&self, full: bool) -> Option<String> {
        let control = self.frames.control?;
        if control.target_voltage > self.available_voltage {
            return Some(format!(
                "vehicle target voltage {} V exceeds the charger's available {} V",
                control.target_voltage, self.available_voltage
            ));
        }
        if full {
            // After permission the vehicle's values are stable; check they leave room to charge.
            let threshold = f32::from(self.threshold_voltage);
            if threshold < self.config.rating.min_voltage || self.threshold_voltage == 0 {
                return Some(format!(
                    "threshold voltage {} V (vehicle maximum {} V) is below the charger's minimum {} V",
                    self.threshold_voltage,
                    self.frames.limits.map_or(0, |l| l.max_battery_voltage),
                    self.config.rating.min_voltage
                ));
            }
            if control.target_voltage > self.threshold_voltage {
                return Some(format!(
                    "vehicle target voltage {} V exceeds its own maximum battery voltage {} V",
                    control.target_voltage, self.threshold_voltage
                ));
            }
        }
        None
    }

    /// Runs one step of the sequence; returns true if the step changed (run again).
    fn advance(&mut self, now: Timestamp) -> bool {
        let t = self.config.timeouts;
        let p = self.plant;
        match self.step {
            Step::Idle | Step::Finished => false,

            Step::AwaitVehicleFrames => {
                let f = self.frames;
                if f.limits.is_some() && f.time.is_some() && f.control.is_some() {
                    // Start 108/109 now; 108 goes first in every cycle.
                    self.next_cycle = Some(now);
                    self.go(Step::AwaitPermission, SessionPhase::Handshake);
                    if let Some(why) = self.incompatibility(false) {
                        self.trigger_stop(StopReason::Incompatible(why), now);
                    }
                    true
                } else if self.past(self.d1_on_at, t.permission, now) {
                    self.trigger_stop(
                        StopReason::CommunicationLost(format!(
                            "vehicle frames 0x100/0x101/0x102 not all received within {} s of d1",
                            t.permission.as_secs_f32()
                        )),
                        now,
                    );
                    true
                } else {
                    false
                }
            }

            Step::AwaitPermission => {
                let enabled = self
                    .frames
                    .control
                    .is_some_and(|c| c.status.charging_enabled && !c.status.not_in_park);
                if p.vehicle_permission && enabled {
                    if let Some(why) = self.incompatibility(true) {
                        self.trigger_stop(StopReason::Incompatible(why), now);
                        return true;
                    }
                    self.permitted_at = Some(now);
                    self.out.lock_connector = true;
                    self.flags.connector_locked = true;
                    self.go(Step::CheckEvContactorsOpen, SessionPhase::CableCheck);
                    true
                } else if self.past(self.d1_on_at, t.permission, now) {
                    self.trigger_stop(
                        StopReason::CommunicationLost(format!(
                            "no charge permission (k and 102.5.0) within {} s of d1",
                            t.permission.as_secs_f32()
                        )),
                        now,
                    );
                    true
                } else {
                    false
                }
            }

            Step::CheckEvContactorsOpen => {
                if p.cable_voltage < EV_CONTACTORS_OPEN_BELOW_V {
                    self.out.contactors_closed = true;
                    self.out.insulation_test = true;
                    self.step = Step::InsulationTest { reached_at: None };
                    true
                } else if self.past(self.permitted_at, t.setup, now) {
                    self.trigger_stop(
                        StopReason::ImplausibleMeasurement(format!(
                            "cable at {:.0} V before the insulation test: EV contactors not open",
                            p.cable_voltage
                        )),
                        now,
                    );
                    true
                } else {
                    false
                }
            }

            Step::InsulationTest { reached_at } => {
                let test_voltage = self.insulation_test_voltage();
                if let InsulationVerdict::Fault { ohms } = p.insulation {
                    self.trigger_stop(
                        StopReason::InsulationFailure(format!(
                            "{ohms:.0} Ω at {test_voltage:.0} V"
                        )),
                        now,
                    );
                    return true;
                }
                match reached_at {
                    None if p.cable_voltage >= test_voltage - TEST_VOLTAGE_TOLERANCE_V => {
                        self.step = Step::InsulationTest {
                            reached_at: Some(now),
                        };
                        false
                    }
                    // A verdict counts only if given after the voltage was reached: one left
                    // over from before the test must not pass it.
                    Some(at) if now > at => {
                        let passed = match p.insulation {
                            InsulationVerdict::Ok { ohms } => Some((ohms, false)),
                            InsulationVerdict::Warning { ohms } => Some((ohms, true)),
                            _ => None,
                        };
                        if let Some((ohms, warning)) = passed {
                            self.emit(SessionEvent::InsulationPassed { ohms, warning });
                            self.out.insulation_test = false;
                            self.step = Step::InsulationBleed;
                            return true;
                        }
                        self.setup_overrun(now, "insulation monitor gave no verdict")
                    }
                    _ => self.setup_overrun(
                        now,
                        &format!(
                            "cable at {:.0} V did not reach the {test_voltage:.0} V test voltage",
                            p.cable_voltage
                        ),
                    ),
                }
            }

            Step::InsulationBleed => {
                if p.cable_voltage < INSULATION_BLEED_BELOW_V
                    && p.output_current <= CURRENT_CUTOFF_A
                {
                    self.out.contactors_closed = false;
                    self.out.lines.sequence_2 = true;
                    self.go(
                        Step::AwaitEvContactorsClosed { since: now },
                        SessionPhase::Precharge,
                    );
                    true
                } else {
                    self.setup_overrun(
                        now,
                        &format!(
                            "cable still at {:.0} V after the insulation test",
                            p.cable_voltage
                        ),
                    )
                }
            }

            Step::AwaitEvContactorsClosed { since } => {
                let ev_closed = self
                    .frames
                    .control
                    .is_some_and(|c| !c.status.contactors_open);
                if ev_closed && p.cable_voltage > EV_CONTACTORS_CLOSED_ABOVE_V {
                    self.ev_contactors_were_closed = true;
                    self.ev_contactors_closed_at = Some(now);
                    self.first_request_seen =
                        self.frames.control.is_some_and(|c| c.current_request > 0);
                    self.step = Step::Precharge { since: now };
                    true
                } else if now >= since + t.ev_contactors_closed {
                    self.trigger_stop(
                        StopReason::CommunicationLost(format!(
                            "EV contactors not closed within {} s of d2",
                            t.ev_contactors_closed.as_secs_f32()
                        )),
                        now,
                    );
                    true
                } else {
                    false
                }
            }

            Step::Precharge { since } => {
                if self.first_request_overdue(now) {
                    return true;
                }
                let matched =
                    (p.psu_voltage - p.cable_voltage).abs() <= self.config.precharge_tolerance;
                // The match only counts once the precharge setpoint has been applied for a step.
                if self.out.power.enabled && now > since && matched {
                    self.out.contactors_closed = true;
                    self.emit(SessionEvent::EnergyTransferStarted);
                    self.go(Step::Charging, SessionPhase::Charging);
                    true
                } else if now >= since + t.precharge {
                    self.trigger_stop(
                        StopReason::PowerSupplyFault(format!(
                            "precharge: supply at {:.0} V did not reach the battery's {:.0} V within {} s",
                            p.psu_voltage,
                            p.cable_voltage,
                            t.precharge.as_secs_f32()
                        )),
                        now,
                    );
                    true
                } else {
                    false
                }
            }

            Step::Charging => {
                if self.flags.charging {
                    return false;
                }
                if self.first_request_seen {
                    // 109.5.0 → 1 and 109.5.5 → 0 together ("exclusive" transitions).
                    self.flags.charging = true;
                    self.flags.stop_control = false;
                    self.charging_started_at = Some(now);
                    false
                } else {
                    self.first_request_overdue(now)
                }
            }

            Step::RampDown { since } => {
                let low = p.output_current <= CURRENT_CUTOFF_A;
                let overdue = now >= since + t.current_ramp_down;
                if !(low || overdue || !self.out.contactors_closed) {
                    return false;
                }
                if !low && self.out.contactors_closed {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::OpenedUnderLoad, format!(
                        "output current {:.0} A did not fall to {CURRENT_CUTOFF_A} A within {} s of the stop; contactors opened under load",
                        p.output_current,
                        t.current_ramp_down.as_secs_f32()
                    ))));
                }
                self.flags.charging = false;
                self.out.contactors_closed = false;
                self.out.insulation_test = false;
                self.stopped_while_charging = false;
                if self.ev_contactors_were_closed {
                    if !self.charging_flag_sent {
                        // The vehicle never saw 109.5.0 = 1 (a stop before the first request, or
                        // within the 100 ms before the next 109 went out), so no 109.5.0 → 0 edge
                        // tells it to open. d2 feeds its contactor relay: dropping it is the signal (IEEE
                        // A.4.4 h: stop current, then cut the EV contactor supply).
                        self.out.lines.sequence_2 = false;
                    }
                    self.go(
                        Step::AwaitEvContactorsOpen { since: now },
                        SessionPhase::WeldingDetection,
                    );
                } else {
                    self.enter_release(now);
                }
                true
            }

            Step::AwaitEvContactorsOpen { since } => {
                let reported_open = self
                    .frames
                    .control
                    .is_some_and(|c| c.status.contactors_open);
                let silent = self
                    .frames
                    .control_at
                    .is_none_or(|at| now >= at + t.vehicle_can_loss);
                if reported_open || silent {
                    // A silent vehicle will never report; go by the cable voltage alone.
                    self.enter_voltage_fall(now);
                    true
                } else if now >= since + t.ev_contactors_open {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::EvContactorsNotReported, format!(
                        "vehicle did not report its contactors open (102.5.3) within {} s of the stop",
                        t.ev_contactors_open.as_secs_f32()
                    ))));
                    self.enter_voltage_fall(now);
                    true
                } else {
                    false
                }
            }

            Step::VoltageFall {
                since,
                reference,
                fraction_reached,
            } => {
                let v = p.cable_voltage;
                if v <= WELDING_FALL_FINAL_V {
                    self.enter_release(now);
                    return true;
                }
                let fraction_reached = fraction_reached || v < WELDING_FALL_FRACTION * reference;
                if !fraction_reached && now >= since + t.welding_fall_fraction {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::WeldingSuspected, format!(
                        "contactor welding suspected: cable at {v:.0} V {} s after the EV contactors opened (from {reference:.0} V, must fall below 25 %)",
                        t.welding_fall_fraction.as_secs_f32()
                    ))));
                    self.enter_release(now);
                    return true;
                }
                if now >= since + t.welding_fall_final {
                    self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::WeldingSuspected, format!(
                        "contactor welding suspected: cable at {v:.0} V {} s after the EV contactors opened (must be ≤ {WELDING_FALL_FINAL_V} V)",
                        t.welding_fall_final.as_secs_f32()
                    ))));
                    self.enter_release(now);
                    return true;
                }
                self.step = Step::VoltageFall {
                    since,
                    reference,
                    fraction_reached,
                };
                false
            }

            Step::Release {
                d2_off_at,
                d1_off_at,
                alarmed,
            } => {
                if p.cable_voltage <= UNLOCK_AT_OR_BELOW_V {
                    self.flags.connector_locked = false;
                }
                match d1_off_at {
                    None if now >= d2_off_at + t.sequence_release => {
                        self.out.lines.sequence_1 = false;
                        // The vehicle stops talking when d1 drops; so do we.
                        self.next_cycle = None;
                        self.status_due = None;
                        self.step = Step::Release {
                            d2_off_at,
                            d1_off_at: Some(now),
                            alarmed,
                        };
                        true
                    }
                    Some(_) if p.cable_voltage <= UNLOCK_AT_OR_BELOW_V => {
                        self.finish();
                        true
                    }
                    Some(off) if !alarmed && now >= off + t.cable_discharge => {
                        self.emit(SessionEvent::Alarm(Alarm::new(AlarmKind::CableNotDischarged, format!(
                            "cable still at {:.0} V {} s after the session ended; connector stays locked",
                            p.cable_voltage,
                            t.cable_discharge.as_secs_f32()
                        ))));
                        self.step = Step::Release {
                            d2_off_at,
                            d1_off_at,
                            alarmed: true,
                        };
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    fn past(&self, start: Option<Timestamp>, limit: Duration, now: Timestamp) -> bool {
        start.is_some_and(|s| now >= s + limit)
    }

    /// The k → d2 budget covers locking, the insulation test and bleeding.
    fn setup_overrun(&mut self, now: Timestamp, what: &str) -> bool {
        if !self.past(self.permitted_at, self.config.timeouts.setup, now) {
            return false;
        }
        let secs = self.config.timeouts.setup.as_secs_f32();
        self.trigger_stop(
            StopReason::ChargerFault(format!(
                "charger setup not complete within {secs} s of permission: {what}"
            )),
            now,
        );
        true
    }

    fn first_request_overdue(&mut self, now: Timestamp) -> bool {
        let limit = self.config.timeouts.first_current_request;
        if self.first_request_seen || !self.past(self.ev_contactors_closed_at, limit, now) {
            return false;
        }
        self.trigger_stop(
            StopReason::CommunicationLost(format!(
                "no current request within {} s of the EV contactors closing",
                limit.as_secs_f32()
            )),
            now,
        );
        true
    }

    fn enter_voltage_fall(&mut self, now: Timestamp) {
        if self.config.welding_detection {
            self.step = Step::VoltageFall {
                since: now,
                reference: finite_or_zero(self.plant.cable_voltage).max(0.0),
                fraction_reached: false,
            };
        } else {
            self.enter_release(now);
        }
    }

    /// d2 off now; the rest follows in [`Step::Release`]. Keeps the phase (Stopping or
    /// WeldingDetection): the release steps are the tail of whichever came last.
    fn enter_release(&mut self, now: Timestamp) {
        self.out.lines.sequence_2 = false;
        self.out.contactors_closed = false;
        self.step = Step::Release {
            d2_off_at: now,
            d1_off_at: None,
            alarmed: false,
        };
    }

    fn finish(&mut self) {
        self.out = PlantOutputs::default();
        self.flags.connector_locked = false;
        self.next_cycle = None;
        self.status_due = None;
        let reason = self.stop_reason.clone().unwrap_or(StopReason::Local);
        self.go(Step::Finished, SessionPhase::Finished);
        self.emit(SessionEvent::Finished(reason));
    }

    fn step_deadline(&self) -> Option<Timestamp> {
        let t = self.config.timeouts;
        let after = |s: Option<Timestamp>, d: Duration| s.map(|s| s + d);
        match self.step {
            Step::Idle | Step::Finished => None,
            Step::AwaitVehicleFrames | Step::AwaitPermission => after(self.d1_on_at, t.permission),
            Step::CheckEvContactorsOpen | Step::InsulationTest { .. } | Step::InsulationBleed => {
                after(self.permitted_at, t.setup)
            }
            Step::AwaitEvContactorsClosed { since } => Some(since + t.ev_contactors_closed),
            Step::Precharge { since } => {
                let first = after(self.ev_contactors_closed_at, t.first_current_request)
                    .filter(|_| !self.first_request_seen);
                min_opt(Some(since + t.precharge), first)
            }
            Step::Charging => after(self.ev_contactors_closed_at, t.first_current_request)
                .filter(|_| !self.first_request_seen && !self.flags.charging),
            Step::RampDown { since } => Some(since + t.current_ramp_down),
            Step::AwaitEvContactorsOpen { since } => min_opt(
                Some(since + t.ev_contactors_open),
                after(self.frames.control_at, t.vehicle_can_loss),
            ),
            Step::VoltageFall {
                since,
                fraction_reached,
                ..
            } => Some(if fraction_reached {
                since + t.welding_fall_final
            } else {
                since + t.welding_fall_fraction
            }),
            Step::Release {
                d2_off_at,
                d1_off_at,
                alarmed,
            } => match d1_off_at {
                None => Some(d2_off_at + t.sequence_release),
                Some(off) if !alarmed => Some(off + t.cable_discharge),
                Some(_) => None,
            },
        }
    }
}

impl DcSession for ChademoCharger {
    fn start(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if self.step != Step::Idle {
            return;
        }
        self.d1_on_at = Some(now);
        self.out.lines.sequence_1 = true;
        self.go(Step::AwaitVehicleFrames, SessionPhase::Handshake);
    }

    fn stop(&mut self, reason: StopReason, now: Timestamp) {
        self.now = self.now.max(now);
        match self.step {
            Step::Finished => {}
            Step::Idle => {
                // Nothing raised yet: record the reason and end at once.
                self.stop_reason = Some(reason.clone());
                self.emit(SessionEvent::StopTriggered(reason));
                self.finish();
            }
            _ => self.trigger_stop(reason, now),
        }
    }

    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp) {
        self.now = self.now.max(now);
        if matches!(self.step, Step::Idle | Step::Finished) || frame.is_extended() {
            // Not in a session, or not a CHAdeMO frame (CHAdeMO is 11-bit only).
            return;
        }
        match VehicleFrame::decode(frame) {
            Ok(VehicleFrame::Limits(l)) => self.on_limits(l, now),
            Ok(VehicleFrame::ChargingTime(t)) => self.on_time(t),
            Ok(VehicleFrame::Control(c)) => self.on_control(c, now),
            Err(ChademoDecodeError::UnknownId(_)) => {}
            Err(e) if e.is_impossible_voltage() => {
                // A well-formed frame with a voltage no vehicle has (a 2,000 V battery): the
                // vehicle is not one we can charge. Stop now with that reason, instead of
                // waiting for a frame that never comes and blaming the link. (Other bad
                // frames, e.g. an unknown protocol number, are reported and ignored.)
                self.emit(SessionEvent::FrameRejected(format!("{frame:?}: {e}")));
                self.trigger_stop(
                    StopReason::Incompatible(format!("the vehicle sent an impossible value: {e}")),
                    now,
                );
            }
            Err(e) => self.emit(SessionEvent::FrameRejected(format!("{frame:?}: {e}"))),
        }
        self.refresh_power();
    }

    fn set_available_current(&mut self, amps: f32, _now: Timestamp) {
        // NaN or negative means "nothing available", never "unlimited".
        self.available_current = if amps.is_finite() { amps.max(0.0) } else { 0.0 };
        self.refresh_power();
    }

    fn update(&mut self, plant: &PlantInputs, now: Timestamp) {
        self.now = self.now.max(now);
        self.plant = *plant;
        if matches!(self.step, Step::Idle | Step::Finished) {
            return;
        }
        self.check_plant_triggers(now);
        // A handful of transitions can legitimately chain in one instant (e.g. a stop at zero
        // current goes straight to the release steps); the bound keeps this loop finite.
        for _ in 0..8 {
            if !self.advance(now) {
                break;
            }
        }
        self.refresh_power();
    }

    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame> {
        if let Some(at) = self.status_due {
            if now >= at {
                self.status_due = None;
                let status = self.status_frame();
                if status.flags.charging {
                    self.charging_flag_sent = true;
                }
                return status.encode().ok();
            }
        }
        let due = self.next_cycle?;
        if now < due {
            return None;
        }
        // Next cycle one period on; if we fell far behind, restart from now instead of bursting.
        let next = due + FRAME_PERIOD;
        self.next_cycle = Some(if next <= now {
            now + FRAME_PERIOD
        } else {
            next
        });
        self.status_due = Some(now);
        self.capability_frame().encode().ok()
    }

    fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let can_loss = if self.is_stopping() || matches!(self.step, Step::Idle | Step::Finished) {
            None
        } else {
            self.frames
                .control_at
                .map(|at| at + self.config.timeouts.vehicle_can_loss)
        };
        let max_time = match (self.max_charging_time(), self.charging_started_at) {
            (Some(max), Some(start)) if !self.is_stopping() => Some(start + max),
            _ => None,
        };
        [
            self.status_due,
            self.next_cycle,
            can_loss,
            max_time,
            self.step_deadline(),
        ]
        .into_iter()
        .flatten()
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

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// A measured or configured voltage as a CHAdeMO field: rounded, clamped to 0..=1200 V.
fn volts_u16(v: f32) -> u16 {
    // `as` saturates and maps NaN to 0; the clamp keeps our own frames decodable.
    (finite_or_zero(v)
        .round()
        .clamp(0.0, f32::from(MAX_VOLTAGE_V))) as u16
}

/// A measured current as a CHAdeMO byte: rounded, 0..=255 A.
fn measured_amps_u8(a: f32) -> u8 {
    finite_or_zero(a).round().clamp(0.0, 255.0) as u8
}

/// An offered current as a CHAdeMO byte: rounded down (never offer more than we have), 0..=255 A.
fn amps_u8(a: f32) -> u8 {
    finite_or_zero(a).floor().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chademo::frames::{VehicleFaults, VehicleStatusFlags};

    fn rating() -> ChargerRating {
        ChargerRating {
            max_voltage: 1000.0,
            min_voltage: 150.0,
            max_current: 200.0,
            min_current: 0.0,
        }
    }

    fn charger() -> ChademoCharger {
        ChademoCharger::new(ChademoChargerConfig::new(rating())).unwrap()
    }

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    fn limits(max_v: u16) -> CanFrame {
        VehicleLimits {
            min_charge_current: 0,
            max_charge_current: 0,
            min_battery_voltage: 400,
            max_battery_voltage: max_v,
            charged_rate_reference: 100,
        }
        .encode()
        .unwrap()
    }

    fn time() -> CanFrame {
        VehicleChargingTime {
            max_charging_time: ChargingTime {
                ten_seconds: 0xFF,
                minutes: 90,
            },
            estimated_charging_time_min: 30,
            rated_capacity_0_1kwh: 3500,
        }
        .encode()
        .unwrap()
    }

    fn control(target_v: u16, request: u8, status: VehicleStatusFlags) -> CanFrame {
        VehicleControl {
            protocol: ProtocolNumber::V1_0,
            target_voltage: target_v,
            current_request: request,
            faults: VehicleFaults::default(),
            status,
            charged_rate: 40,
        }
        .encode()
        .unwrap()
    }

    fn waiting() -> VehicleStatusFlags {
        VehicleStatusFlags {
            contactors_open: true,
            ..Default::default()
        }
    }

    fn events(c: &mut ChademoCharger) -> Vec<SessionEvent> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    fn sent(c: &mut ChademoCharger, now: Timestamp) -> Vec<CanFrame> {
        std::iter::from_fn(|| c.poll_transmit(now)).collect()
    }

    /// Start, and feed the three vehicle frames at t = 100 ms.
    fn handshake(c: &mut ChademoCharger, max_v: u16, target_v: u16) {
        c.start(ms(0));
        c.update(&PlantInputs::default(), ms(0));
        c.handle_frame(&limits(max_v), ms(100));
        c.handle_frame(&time(), ms(100));
        c.handle_frame(&control(target_v, 0, waiting()), ms(100));
        c.update(&PlantInputs::default(), ms(100));
    }

    #[test]
    fn rejects_bad_configuration() {
        let mut r = rating();
        r.max_current = f32::NAN;
        assert!(ChademoCharger::new(ChademoChargerConfig::new(r)).is_err());
        let mut r = rating();
        r.min_voltage = 2000.0;
        assert!(ChademoCharger::new(ChademoChargerConfig::new(r)).is_err());
    }

    #[test]
    fn sends_108_then_109_every_100ms_after_all_three_vehicle_frames() {
        let mut c = charger();
        c.start(ms(0));
        assert!(c.outputs().lines.sequence_1);
        assert_eq!(c.phase(), SessionPhase::Handshake);
        assert_eq!(
            c.poll_timeout(),
            Some(ms(10_000)),
            "only the permission deadline"
        );
        c.handle_frame(&limits(780), ms(50));
        c.handle_frame(&control(700, 0, waiting()), ms(50));
        c.update(&PlantInputs::default(), ms(50));
        assert!(sent(&mut c, ms(50)).is_empty(), "0x101 still missing");
        c.handle_frame(&time(), ms(100));
        c.update(&PlantInputs::default(), ms(100));
        let first = sent(&mut c, ms(100));
        let ids: Vec<u32> = first.iter().map(|f| f.id()).collect();
        assert_eq!(ids, vec![0x108, 0x109]);
        let cap = ChargerCapability::decode(&first[0]).unwrap();
        assert_eq!(cap.available_voltage, 1000);
        assert_eq!(cap.threshold_voltage, 780, "min(vehicle max, ours)");
        assert_eq!(cap.available_current, 200);
        assert!(cap.welding_detection);
        let status = ChargerStatus::decode(&first[1]).unwrap();
        assert!(status.flags.stop_control);
        assert!(!status.flags.charging);
        assert_eq!(
            status.remaining_time.duration(),
            Some(Duration::from_secs(5400))
        );
        // Next cycle 100 ms later; poll_timeout says so (CAN-loss deadline is at 1050).
        assert_eq!(c.poll_timeout(), Some(ms(200)));
        assert!(sent(&mut c, ms(150)).is_empty());
        assert_eq!(sent(&mut c, ms(200)).len(), 2);

        // Vehicle status learned from the frames.
        let v = c.vehicle();
        assert_eq!(v.protocol.as_deref(), Some("CHAdeMO 1.0"));
        assert_eq!(v.target_voltage, Some(700.0));
        assert_eq!(v.max_voltage, Some(780.0));
        assert_eq!(v.battery_capacity_kwh, Some(350.0));
        assert_eq!(v.soc_percent, Some(40.0));
        assert_eq!(v.remaining_time, Some(Duration::from_secs(1800)));

        // Dynamic control: 108.3 follows the station's available current.
        c.set_available_current(120.7, ms(210));
        let cap = ChargerCapability::decode(&sent(&mut c, ms(300))[0]).unwrap();
        assert_eq!(cap.available_current, 120);
        c.set_available_current(f32::NAN, ms(310));
        let cap = ChargerCapability::decode(&sent(&mut c, ms(400))[0]).unwrap();
        assert_eq!(cap.available_current, 0);
    }

    #[test]
    fn incompatible_target_voltage_stops_with_109_5_3() {
        let mut c = charger();
        handshake(&mut c, 1100, 1050);
        let ev = events(&mut c);
        assert!(
            ev.contains(&SessionEvent::StopTriggered(StopReason::Incompatible(
                "vehicle target voltage 1050 V exceeds the charger's available 1000 V".into()
            )))
        );
        let frames = sent(&mut c, ms(100));
        let status = ChargerStatus::decode(&frames[1]).unwrap();
        assert!(status.flags.battery_incompatible);
        assert!(status.flags.stop_control);
        assert_eq!(c.phase(), SessionPhase::Stopping);
        assert!(!c.outputs().lock_connector);
        assert_eq!(c.poll_timeout(), Some(ms(200)));
        for t in (110..=600).step_by(10) {
            c.update(&PlantInputs::default(), ms(t));
        }
        assert_eq!(c.phase(), SessionPhase::Finished);
        assert!(!c.outputs().lines.sequence_1);
        assert!(
            events(&mut c).contains(&SessionEvent::Finished(StopReason::Incompatible(
                "vehicle target voltage 1050 V exceeds the charger's available 1000 V".into()
            )))
        );
        assert_eq!(c.poll_timeout(), None);
        assert!(sent(&mut c, ms(700)).is_empty());
    }

    #[test]
    fn bad_frames_are_reported_and_ignored() {
        let mut c = charger();
        handshake(&mut c, 780, 700);
        events(&mut c);
        c.handle_frame(&CanFrame::standard(0x102, &[2, 0, 0]).unwrap(), ms(150));
        c.handle_frame(&CanFrame::standard(0x102, &[9; 8]).unwrap(), ms(150));
        c.handle_frame(&CanFrame::standard(0x700, &[1; 8]).unwrap(), ms(150));
        c.handle_frame(&CanFrame::extended(0x1826F456, &[1; 8]).unwrap(), ms(150));
        let ev = events(&mut c);
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(ev
            .iter()
            .all(|e| matches!(e, SessionEvent::FrameRejected(_))));
        assert_eq!(c.phase(), SessionPhase::Handshake);
        // Bad frames do not feed the CAN-loss clock: the last good 0x102 was at 100 ms.
        c.update(&PlantInputs::default(), ms(1099));
        assert_eq!(c.phase(), SessionPhase::Handshake);
        c.update(&PlantInputs::default(), ms(1100));
        assert!(events(&mut c).contains(&SessionEvent::StopTriggered(
            StopReason::CommunicationLost("no 0x102 from the vehicle for 1000 ms".into())
        )));
    }

    #[test]
    fn no_permission_times_out() {
        let mut c = charger();
        handshake(&mut c, 780, 700);
        for t in (200..10_000).step_by(100) {
            c.handle_frame(&control(700, 0, waiting()), ms(t));
            c.update(&PlantInputs::default(), ms(t));
        }
        assert_eq!(c.phase(), SessionPhase::Handshake);
        c.update(&PlantInputs::default(), ms(10_000));
        assert_eq!(c.phase(), SessionPhase::Stopping);
        assert!(matches!(
            c.stop_reason(),
            Some(StopReason::CommunicationLost(s)) if s.contains("permission")
        ));
    }

    #[test]
    fn stop_before_start_finishes_at_once() {
        let mut c = charger();
        c.stop(StopReason::Remote, ms(5));
        assert_eq!(c.phase(), SessionPhase::Finished);
        let ev = events(&mut c);
        assert_eq!(ev.last(), Some(&SessionEvent::Finished(StopReason::Remote)));
        c.start(ms(10));
        assert_eq!(c.phase(), SessionPhase::Finished, "a session runs once");
    }

    #[test]
    fn fault_bits_outrank_a_normal_stop() {
        let mut c = charger();
        handshake(&mut c, 780, 700);
        let frame = VehicleControl {
            protocol: ProtocolNumber::V1_0,
            target_voltage: 700,
            current_request: 0,
            faults: VehicleFaults {
                battery_overvoltage: true,
                high_battery_temperature: true,
                ..Default::default()
            },
            status: VehicleStatusFlags {
                system_fault: true,
                stop_before_charging: true,
                ..waiting()
            },
            charged_rate: 40,
        }
        .encode()
        .unwrap();
        c.handle_frame(&frame, ms(200));
        assert_eq!(
            c.stop_reason(),
            Some(&StopReason::VehicleFault(
                "battery overvoltage (102.4.0), high battery temperature (102.4.3), charging system fault (102.5.2)".into()
            ))
        );
        assert_eq!(c.vehicle().faults.len(), 3);
    }

    /// Drives the charger by hand through cable check and precharge into charging, with the
    /// plant values a real plant would show; returns the time reached.
    fn into_charging(c: &mut ChademoCharger) -> u64 {
        handshake(c, 780, 700);
        let enabled = VehicleStatusFlags {
            charging_enabled: true,
            contactors_open: true,
            ..Default::default()
        };
        let permitted = PlantInputs {
            vehicle_permission: true,
            ..Default::default()
        };
        c.handle_frame(&control(700, 0, enabled), ms(1000));
        c.update(&permitted, ms(1000));
        assert_eq!(c.phase(), SessionPhase::CableCheck);
        let o = c.outputs();
        assert!(o.lock_connector && o.contactors_closed && o.insulation_test);
        assert_eq!(o.power.voltage, 780.0);
        assert_eq!(o.power.current, 2.0);
        let testing = PlantInputs {
            cable_voltage: 780.0,
            psu_voltage: 780.0,
            insulation: InsulationVerdict::Ok { ohms: 5e6 },
            ..permitted
        };
        c.handle_frame(&control(700, 0, enabled), ms(1500));
        c.update(&testing, ms(1500));
        assert!(
            c.outputs().insulation_test,
            "a verdict counts only after the voltage"
        );
        c.update(&testing, ms(1510));
        assert!(events(c).contains(&SessionEvent::InsulationPassed {
            ohms: 5e6,
            warning: false
        }));
        assert!(!c.outputs().power.enabled);
        assert!(c.outputs().contactors_closed, "still bleeding");
        c.update(
            &PlantInputs {
                cable_voltage: 15.0,
                psu_voltage: 15.0,
                ..testing
            },
            ms(1600),
        );
        assert!(!c.outputs().contactors_closed);
        assert!(c.outputs().lines.sequence_2);
        assert_eq!(c.phase(), SessionPhase::Precharge);
        let closed = VehicleStatusFlags {
            charging_enabled: true,
            ..Default::default()
        };
        c.handle_frame(&control(700, 0, closed), ms(2600));
        let battery = PlantInputs {
            cable_voltage: 650.0,
            psu_voltage: 0.0,
            ..testing
        };
        c.update(&battery, ms(2600));
        let o = c.outputs();
        assert!(!o.contactors_closed);
        assert_eq!(o.power.voltage, 650.0);
        assert_eq!(o.power.current, 2.0);
        c.update(
            &PlantInputs {
                psu_voltage: 639.0,
                ..battery
            },
            ms(2700),
        );
        assert!(!c.outputs().contactors_closed, "11 V apart");
        c.update(
            &PlantInputs {
                psu_voltage: 641.0,
                ..battery
            },
            ms(2800),
        );
        assert!(c.outputs().contactors_closed);
        assert_eq!(c.phase(), SessionPhase::Charging);
        assert!(events(c).contains(&SessionEvent::EnergyTransferStarted));
        assert_eq!(c.outputs().power.current, 0.0);
        c.handle_frame(&control(700, 150, closed), ms(2900));
        c.update(
            &PlantInputs {
                psu_voltage: 650.0,
                ..battery
            },
            ms(2900),
        );
        assert!(c.status_frame().flags.charging);
        assert!(!c.status_frame().flags.stop_control);
        assert_eq!(c.outputs().power.current, 150.0);
        assert_eq!(c.outputs().power.voltage, 780.0);
        c.set_available_current(90.0, ms(2950));
        assert_eq!(c.outputs().power.current, 90.0);
        c.set_available_current(500.0, ms(2950));
        assert_eq!(c.outputs().power.current, 150.0);
        2900
    }

    /// A request above the vehicle's own maximum (100.1) gets the maximum: the truck's
    /// maximum is one of the limits (it was min(request, available, rating) only).
    #[test]
    fn a_request_above_the_vehicles_own_maximum_gets_the_maximum() {
        let mut c = charger();
        let t = into_charging(&mut c);
        let capped = VehicleLimits {
            min_charge_current: 0,
            max_charge_current: 120,
            min_battery_voltage: 400,
            max_battery_voltage: 780,
            charged_rate_reference: 100,
        };
        c.handle_frame(&capped.encode().unwrap(), ms(t + 10));
        let closed = VehicleStatusFlags {
            charging_enabled: true,
            ..Default::default()
        };
        c.handle_frame(&control(700, 200, closed), ms(t + 10));
        assert_eq!(c.outputs().power.current, 120.0);
        // 0 means "not given": the request (within the rating) again.
        c.handle_frame(&limits(780), ms(t + 20));
        assert_eq!(c.outputs().power.current, 200.0);
    }

    /// A maximum battery voltage lowered mid-session is obeyed at once (the supply's voltage
    /// limit follows it down, never up); lowered below the charger's minimum, it stops the
    /// session as incompatible. (It was ignored once the compatibility check had passed.)
    #[test]
    fn a_maximum_battery_voltage_lowered_mid_session_is_obeyed_or_stops() {
        let mut c = charger();
        let t = into_charging(&mut c);
        assert_eq!(c.outputs().power.voltage, 780.0);
        c.handle_frame(&limits(700), ms(t + 10));
        assert_eq!(c.outputs().power.voltage, 700.0);
        c.handle_frame(&limits(900), ms(t + 20));
        assert_eq!(
            c.outputs().power.voltage,
            700.0,
            "never raised after the check"
        );
        events(&mut c);
        c.handle_frame(&limits(100), ms(t + 30));
        let ev = events(&mut c);
        assert!(
            ev.iter().any(
                |e| matches!(e, SessionEvent::StopTriggered(StopReason::Incompatible(why))
                if why.contains("lowered its maximum battery voltage"))
            ),
            "{ev:?}"
        );
        assert_eq!(c.outputs().power.current, 0.0);
    }

    #[test]
    fn contactors_stay_closed_until_5a_then_hard_deadline_alarm() {
        let mut c = charger();
        let t = into_charging(&mut c);
        events(&mut c);
        let loaded = PlantInputs {
            cable_voltage: 660.0,
            psu_voltage: 660.0,
            output_current: 150.0,
            vehicle_permission: true,
            insulation: InsulationVerdict::Ok { ohms: 5e6 },
        };
        c.stop(StopReason::Local, ms(t + 10));
        assert_eq!(c.outputs().power.current, 0.0);
        assert!(
            c.outputs().power.enabled,
            "a normal stop ramps with the supply on"
        );
        c.update(&loaded, ms(t + 20));
        assert!(c.outputs().contactors_closed);
        assert!(c.status_frame().flags.charging, "109.5.0 stays until ≤ 5 A");
        assert!(c.status_frame().flags.stop_control);
        sent(&mut c, ms(t + 20));
        let next = c.poll_timeout().unwrap();
        assert!(
            next > ms(t + 20) && next <= ms(t + 120),
            "next frame before the 2 s deadline"
        );
        c.update(&loaded, ms(t + 2009));
        assert!(c.outputs().contactors_closed);
        c.update(&loaded, ms(t + 2010));
        assert!(!c.outputs().contactors_closed);
        assert!(!c.status_frame().flags.charging);
        assert!(events(&mut c)
            .iter()
            .any(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::OpenedUnderLoad)));
        assert_eq!(c.phase(), SessionPhase::WeldingDetection);
    }

    #[test]
    fn hard_stop_switches_power_off_at_once() {
        let mut c = charger();
        let t = into_charging(&mut c);
        c.stop(StopReason::EmergencyStop, ms(t + 10));
        assert_eq!(c.outputs().power, PowerCommand::OFF);
        assert!(
            c.outputs().contactors_closed,
            "still 150 A measured until the next update"
        );
        assert!(c.status_frame().flags.charger_malfunction);
        // A second stop keeps the first reason.
        c.stop(StopReason::Remote, ms(t + 20));
        assert_eq!(c.stop_reason(), Some(&StopReason::EmergencyStop));
    }

    #[test]
    fn welding_detection_and_release() {
        let mut c = charger();
        let t = into_charging(&mut c);
        // The vehicle has seen 109.5.0 = 1, so the stop is its 1 → 0 edge, not d2.
        assert!(sent(&mut c, ms(t + 100))
            .iter()
            .any(|f| f.id() == 0x109 && f.data()[5] & 0x01 == 1));
        let mut plant = PlantInputs {
            cable_voltage: 660.0,
            psu_voltage: 660.0,
            output_current: 3.0,
            vehicle_permission: true,
            insulation: InsulationVerdict::Ok { ohms: 5e6 },
        };
        let closed = VehicleStatusFlags {
            charging_enabled: false,
            ..Default::default()
        };
        c.handle_frame(&control(700, 0, closed), ms(t + 100));
        assert_eq!(c.stop_reason(), Some(&StopReason::VehicleRequest));
        c.update(&plant, ms(t + 100));
        assert!(!c.outputs().contactors_closed);
        assert_eq!(c.phase(), SessionPhase::WeldingDetection);
        assert!(
            c.outputs().lines.sequence_2,
            "d2 stays up until the EV contactors are open"
        );
        // EV reports its contactors open at 400 V; the cable then stays at 300 V: welded.
        c.handle_frame(&control(700, 0, waiting()), ms(t + 500));
        plant.cable_voltage = 400.0;
        plant.output_current = 0.0;
        c.update(&plant, ms(t + 500));
        assert_eq!(c.poll_timeout().map(|d| d <= ms(t + 1500)), Some(true));
        plant.cable_voltage = 300.0;
        c.handle_frame(&control(700, 0, waiting()), ms(t + 1500));
        c.update(&plant, ms(t + 1500));
        assert!(events(&mut c)
            .iter()
            .any(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::WeldingSuspected)));
        assert!(!c.outputs().lines.sequence_2);
        assert!(c.outputs().lines.sequence_1);
        c.handle_frame(&control(700, 0, waiting()), ms(t + 2000));
        c.update(&plant, ms(t + 2000));
        assert!(!c.outputs().lines.sequence_1);
        // Never unlocks above 10 V; one alarm after 5 s, still locked.
        for dt in (2100..9000).step_by(100) {
            c.update(&plant, ms(t + dt));
            assert!(c.outputs().lock_connector);
        }
        assert!(events(&mut c).iter().any(
            |e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::CableNotDischarged)
        ));
        plant.cable_voltage = 9.0;
        c.update(&plant, ms(t + 9100));
        assert!(!c.outputs().lock_connector);
        assert_eq!(c.phase(), SessionPhase::Finished);
        assert_eq!(
            events(&mut c).last(),
            Some(&SessionEvent::Finished(StopReason::VehicleRequest))
        );
    }

    #[test]
    fn non_finite_measurements_stop_the_session() {
        let mut c = charger();
        let t = into_charging(&mut c);
        let plant = PlantInputs {
            cable_voltage: f32::NAN,
            vehicle_permission: true,
            ..Default::default()
        };
        c.update(&plant, ms(t + 10));
        assert!(matches!(
            c.stop_reason(),
            Some(StopReason::ImplausibleMeasurement(_))
        ));
        assert_eq!(c.outputs().power, PowerCommand::OFF);
    }
}
