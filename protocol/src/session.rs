//! The interface every DC charging protocol offers the station core.
//!
//! CHAdeMO, GB/T 27930 and (later) ISO 15118 / DIN 70121 differ in frames and timings, but each
//! turns the same plant into the same decisions: which lines to raise, when to lock, when to
//! run the insulation test, what voltage and current to ask of the power supply, when the
//! output contactors may close. The station core drives every connector through [`DcSession`]
//! and never names a protocol, so adding one touches `protocol/` and the configuration only.
//!
//! Topology assumed by every session (and by the plant simulator):
//!
//! ```text
//!  power supply ── output contactors ── cable ── connector ── EV contactors ── battery
//!   (psu_voltage)                      (cable_voltage, output_current, IMD)
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::can::CanFrame;
use crate::time::Timestamp;

/// What the plant measures, handed to the session on every step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PlantInputs {
    /// Voltage on the cable side of the output contactors, in volts.
    pub cable_voltage: f32,
    /// Voltage at the power supply's terminals (behind the output contactors), in volts.
    pub psu_voltage: f32,
    /// Current flowing out of the charger, in amperes.
    pub output_current: f32,
    /// The vehicle's charge-permission line (CHAdeMO j/k). Protocols without one ignore it.
    pub vehicle_permission: bool,
    /// Latest insulation-monitor verdict.
    pub insulation: InsulationVerdict,
}

/// What the insulation monitor concluded about the DC output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum InsulationVerdict {
    /// No measurement is running or has completed yet.
    #[default]
    Unknown,
    /// A measurement is running.
    Measuring,
    /// Resistance at or above the pass threshold.
    Ok { ohms: f32 },
    /// Resistance in the warning band: charging may go on, and the warning is reported.
    Warning { ohms: f32 },
    /// Resistance below the fault threshold.
    Fault { ohms: f32 },
}

/// What the power supply should do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerCommand {
    pub enabled: bool,
    /// Target output voltage, in volts.
    pub voltage: f32,
    /// Output current limit, in amperes.
    pub current: f32,
}

impl PowerCommand {
    pub const OFF: PowerCommand = PowerCommand {
        enabled: false,
        voltage: 0.0,
        current: 0.0,
    };

    /// The supply running at `voltage` with `current` as its limit.
    pub const fn on(voltage: f32, current: f32) -> PowerCommand {
        PowerCommand {
            enabled: true,
            voltage,
            current,
        }
    }
}

/// Protocol lines from charger to vehicle. Each protocol uses the ones it has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlLines {
    /// CHAdeMO d1 ("charge sequence signal 1").
    pub sequence_1: bool,
    /// CHAdeMO d2 ("charge sequence signal 2").
    pub sequence_2: bool,
    /// GB/T K3/K4 low-voltage auxiliary supply to the BMS.
    pub aux_power: bool,
}

/// What the session wants the plant to do right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PlantOutputs {
    pub lines: ControlLines,
    pub lock_connector: bool,
    /// Close the charger's output contactors.
    pub contactors_closed: bool,
    /// Ask the insulation monitor to measure.
    pub insulation_test: bool,
    pub power: PowerCommand,
}

/// Where a session stands. Shared by all protocols so that status, logs and OCPP can show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    /// Not started.
    #[default]
    Idle,
    /// Lines raised, waiting for the vehicle to speak and permit charging; parameters exchanged.
    Handshake,
    /// Connector locked, insulation test on the DC output.
    CableCheck,
    /// Power supply brought to the battery's voltage before the contactors close.
    Precharge,
    /// Energy transfer, following the vehicle's requests.
    Charging,
    /// Current ramping down after a stop trigger.
    Stopping,
    /// Checking that the vehicle's contactors opened.
    WeldingDetection,
    /// Lines released, connector unlocked: the session is over.
    Finished,
}

/// Why a session ended. Protocol-neutral, so the station can journal it and map it to OCPP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum StopReason {
    /// The vehicle ended the charge normally (target reached, driver, BMS decision).
    VehicleRequest,
    /// A local user (chargerctl, a stop button) ended it.
    Local,
    /// The CSMS ended it.
    Remote,
    /// The vehicle signalled a fault (its fault bits named in the text).
    VehicleFault(String),
    /// The vehicle went silent or a protocol deadline passed (which one named in the text).
    CommunicationLost(String),
    /// Vehicle and charger cannot charge together (e.g. target voltage above what we offer).
    Incompatible(String),
    /// Emergency stop pressed.
    EmergencyStop,
    /// The power supply reported a fault.
    PowerSupplyFault(String),
    /// Insulation test failed or insulation fell below the fault threshold.
    InsulationFailure(String),
    /// A measurement disagreed with what the plant should be doing.
    ImplausibleMeasurement(String),
    /// The connector was unplugged during the session.
    Unplugged,
    /// Another charger-side fault.
    ChargerFault(String),
    /// The charger restarted (crash, power loss) while the session ran; found in the journal
    /// at the next start.
    PowerLoss,
    /// The charger is shutting down in an orderly way (service stop, reboot).
    Shutdown,
    /// The vehicle (by its VIN, for autocharge) or its id tag was not authorized.
    DeAuthorized,
    /// The CSMS asked the charger to reset (OCPP Reset); `hard` for a hard reset.
    Reset { hard: bool },
    /// The CSMS asked to unlock the connector (OCPP UnlockConnector) during the session.
    UnlockCommand,
}

impl StopReason {
    /// True when the reason is a fault (the connector reports Faulted while it lasts).
    pub fn is_fault(&self) -> bool {
        !matches!(
            self,
            StopReason::VehicleRequest
                | StopReason::Local
                | StopReason::Remote
                | StopReason::Shutdown
                | StopReason::DeAuthorized
                | StopReason::Reset { .. }
                | StopReason::UnlockCommand
        )
    }

    /// Reasons that cannot wait for a ramp: every protocol switches the supply off at once.
    pub fn is_hard(&self) -> bool {
        matches!(
            self,
            StopReason::EmergencyStop
                | StopReason::PowerSupplyFault(_)
                | StopReason::InsulationFailure(_)
                | StopReason::ImplausibleMeasurement(_)
                | StopReason::Unplugged
        )
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::VehicleRequest => write!(f, "vehicle request"),
            StopReason::Local => write!(f, "local stop"),
            StopReason::Remote => write!(f, "remote stop"),
            StopReason::VehicleFault(s) => write!(f, "vehicle fault: {s}"),
            StopReason::CommunicationLost(s) => write!(f, "communication lost: {s}"),
            StopReason::Incompatible(s) => write!(f, "incompatible: {s}"),
            StopReason::EmergencyStop => write!(f, "emergency stop"),
            StopReason::PowerSupplyFault(s) => write!(f, "power supply fault: {s}"),
            StopReason::InsulationFailure(s) => write!(f, "insulation failure: {s}"),
            StopReason::ImplausibleMeasurement(s) => write!(f, "implausible measurement: {s}"),
            StopReason::Unplugged => write!(f, "unplugged"),
            StopReason::ChargerFault(s) => write!(f, "charger fault: {s}"),
            StopReason::PowerLoss => write!(f, "charger restarted during the session"),
            StopReason::Shutdown => write!(f, "charger shutting down"),
            StopReason::DeAuthorized => write!(f, "not authorized"),
            StopReason::Reset { hard: true } => write!(f, "hard reset"),
            StopReason::Reset { hard: false } => write!(f, "soft reset"),
            StopReason::UnlockCommand => write!(f, "unlock requested by the CSMS"),
        }
    }
}

/// What the session has learned about the vehicle. Fields a protocol does not carry stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VehicleStatus {
    /// Protocol revision the vehicle announced (e.g. "CHAdeMO 1.0").
    pub protocol: Option<String>,
    pub soc_percent: Option<f32>,
    /// Voltage the vehicle asks for, in volts.
    pub target_voltage: Option<f32>,
    /// Current the vehicle asks for, in amperes.
    pub requested_current: Option<f32>,
    /// Highest battery voltage the vehicle tolerates, in volts.
    pub max_voltage: Option<f32>,
    /// Highest current the vehicle accepts, in amperes.
    pub max_current: Option<f32>,
    pub battery_capacity_kwh: Option<f32>,
    pub remaining_time: Option<Duration>,
    /// Vehicle identification number, where the protocol carries one.
    pub vin: Option<String>,
    /// Battery chemistry (GB/T BRM), e.g. "LFP".
    pub battery_type: Option<String>,
    /// Highest cell voltage the BMS reports, in volts.
    pub max_cell_voltage: Option<f32>,
    /// Highest and lowest battery temperatures the BMS reports, in °C.
    pub max_temperature_c: Option<f32>,
    pub min_temperature_c: Option<f32>,
    /// Charging mode the vehicle asks for (GB/T BCL: constant voltage or constant current).
    pub charge_mode: Option<String>,
    /// Fault conditions the vehicle currently signals, human-readable.
    pub faults: Vec<String>,
}

/// Something the session wants the station to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SessionEvent {
    PhaseChanged {
        from: SessionPhase,
        to: SessionPhase,
    },
    /// The insulation test passed (or passed with a warning); contactors may close after precharge.
    InsulationPassed { ohms: f32, warning: bool },
    /// The output contactors closed and energy transfer may begin.
    EnergyTransferStarted,
    /// A stop was triggered (by the vehicle, the session's own timeouts, or the station).
    StopTriggered(StopReason),
    /// Lines released, connector unlocked; carries the reason decided at the stop trigger.
    Finished(StopReason),
    /// A received frame was rejected; the session carries on (the station logs and counts it).
    FrameRejected(String),
    /// A condition the station must record as a fault even though the session already stopped
    /// (e.g. suspected contactor welding, cable voltage not falling after the stop).
    Alarm(Alarm),
}

/// What a session's alarm is about: the station turns it into a typed fault without reading
/// the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmKind {
    /// The current did not fall to the cut-off in time after a stop: the contactors were opened
    /// under load (the supply did not follow, or the current reading is wrong).
    OpenedUnderLoad,
    /// The vehicle never reported its own contactors open after the stop (CHAdeMO 102.5.3).
    EvContactorsNotReported,
    /// The output voltage did not fall after the contactors opened: a contactor may be welded.
    WeldingSuspected,
    /// The cable is still live after the session ended: the connector stays locked.
    CableNotDischarged,
}

/// A session alarm: its kind and the measured detail (for people; nothing decides on it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub kind: AlarmKind,
    pub detail: String,
}

impl Alarm {
    pub fn new(kind: AlarmKind, detail: impl Into<String>) -> Alarm {
        Alarm {
            kind,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Alarm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// Charger-side capability the station hands a session at start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChargerRating {
    pub max_voltage: f32,
    pub min_voltage: f32,
    pub max_current: f32,
    pub min_current: f32,
}

/// A charger-side DC charging session, sans IO.
///
/// The station calls, on every step and in this order: [`handle_frame`](Self::handle_frame)
/// for each received CAN frame, [`set_available_current`](Self::set_available_current),
/// [`update`](Self::update) with the plant's measurements; then drains
/// [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event) and drives the
/// plant from [`outputs`](Self::outputs). [`poll_timeout`](Self::poll_timeout) says when the
/// session next needs `update` even if nothing arrives.
pub trait DcSession: Send + std::fmt::Debug {
    /// Begin a session: raise the first sequence line and wait for the vehicle.
    fn start(&mut self, now: Timestamp);

    /// Ask the session to stop for `reason`: ramp down, open contactors, release lines.
    /// A session already stopping keeps its first reason.
    fn stop(&mut self, reason: StopReason, now: Timestamp);

    /// A frame from the vehicle. Errors are reported as [`SessionEvent::FrameRejected`] too.
    fn handle_frame(&mut self, frame: &CanFrame, now: Timestamp);

    /// The current the station can deliver right now (minimum of all its limits), in amperes.
    fn set_available_current(&mut self, amps: f32, now: Timestamp);

    /// Advance timers and react to the plant's measurements.
    fn update(&mut self, plant: &PlantInputs, now: Timestamp);

    /// The next frame to send, if one is due at `now`.
    fn poll_transmit(&mut self, now: Timestamp) -> Option<CanFrame>;

    /// The next thing the station should know.
    fn poll_event(&mut self) -> Option<SessionEvent>;

    /// When `update` must next run, even if no frame arrives.
    fn poll_timeout(&self) -> Option<Timestamp>;

    /// What to drive right now.
    fn outputs(&self) -> PlantOutputs;

    fn phase(&self) -> SessionPhase;

    fn vehicle(&self) -> &VehicleStatus;
}
