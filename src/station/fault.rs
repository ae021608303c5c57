//! Faults as typed values, and the one table that says how each is reported.
//!
//! A [`Fault`] is what keeps a connector Faulted: its [`FaultKind`] (what went wrong) and a
//! detail for people (a measured value, the power supply's own reason). Everything the station
//! and its shells decide about a fault comes from the kind, never from the detail text:
//!
//! * [`FaultKind::source`]: which part of the charger (or the vehicle) it is about;
//! * [`FaultKind::severity`];
//! * [`FaultKind::safe_state`]: what the connector does about it and when the fault clears;
//! * [`FaultKind::report`]: the OCPP 1.6 `ChargePointErrorCode`, our stable
//!   `vendorErrorCode` (`CD-…`, listed in the README) and the shape of the later 2.0.1 event.
//!
//! Every match here is exhaustive, so a new kind cannot be added without its row in the table.

use charger_protocol::{AlarmKind, StopReason};
use serde::{Deserialize, Serialize};

use crate::thermal::ThermalFault;

/// A reading the station needs fresh to control the output safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reading {
    /// Output voltage and current from the power supply.
    PowerSupply,
    /// Insulation resistance and cable voltage from the insulation monitor.
    InsulationMonitor,
    /// The connector's board I/O (plug, lock and contactor feedback, emergency stop): its
    /// backend marked the snapshot stale.
    DigitalIo,
}

impl Reading {
    fn name(self) -> &'static str {
        match self {
            Reading::PowerSupply => "power supply",
            Reading::InsulationMonitor => "insulation monitor",
            Reading::DigitalIo => "board I/O",
        }
    }
}

/// What went wrong. The order is the order of importance: a connector with several faults
/// reports the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The emergency-stop chain opened: latched until the chain is closed again and a
    /// technician clears it.
    EmergencyStop,
    /// The contactors' auxiliary contacts still report closed `contactor_feedback_deadline`
    /// after the open command: welded. Latched until a technician clears it.
    ContactorWelded,
    /// The power supply reports a fault of its own (its reason is the detail).
    PowerSupply,
    /// A reading is older than `station.max_reading_age`: a stale value is not a value.
    StaleReading(Reading),
    /// The insulation monitor reports itself faulty: insulation cannot be checked.
    InsulationMonitorDevice,
    /// Insulation resistance below the fault threshold during energy transfer.
    InsulationFailure,
    /// More current measured than commanded, for longer than `implausible_after`.
    OverCurrent,
    /// A contactor seems welded: the output voltage did not fall after it opened.
    WeldingSuspected,
    /// The current did not fall in time after a stop: the contactors opened under load.
    OpenedUnderLoad,
    /// The cable is still live after the session ended: the connector stays locked.
    CableNotDischarged,
    /// The vehicle never reported its contactors open after the stop.
    EvContactorsNotReported,
    /// The contactors' auxiliary contacts still report open `contactor_feedback_deadline`
    /// after the close command: the contactor (or its coil driver) failed to close.
    ContactorStuckOpen,
    /// The lock's feedback reported unlocked while the output was energized.
    LockLost,
    /// The lock's feedback did not report locked within `lock_feedback_deadline` of the lock
    /// command: nothing is energized.
    LockNotReached,
    /// The session still had its contactors closed 10 s (the station's stop deadline) after
    /// the stop: the station opened them itself.
    ForcedSafe,
    /// The protocol session could not be created (a configuration or internal error).
    SessionUnavailable,
    /// A matrix contactor of the module pool did not open (welded, or its feedback lost):
    /// the output it holds a module on is locked out until a technician clears it (a restart).
    MatrixLockedOut,
    /// The DC energy meter is stale (not answering, frozen) or its reading is implausible:
    /// the session's energy has a gap, recorded with the station's own estimate for it.
    MeterStale,
    /// The thermal controller stops the connector (src/thermal): a pin over its hard-stop
    /// temperature (until it cooled by the restart hysteresis), stale cooling data, an
    /// implausible temperature sensor configured to stop (or no valid pin), a cooling-unit
    /// alarm configured to stop. Present while the controller says so.
    Thermal(ThermalFault),
}

/// Which part of the charge point (or the vehicle) a fault is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultSource {
    EmergencyStopChain,
    PowerSupply,
    InsulationMonitor,
    /// The DC output: insulation, current, voltage on the cable.
    Output,
    Contactors,
    ConnectorLock,
    Vehicle,
    /// The station's own control software.
    Controller,
    /// The DC energy meter.
    Meter,
    /// The connector's contact pins and their temperature sensors.
    ConnectorPins,
    /// The liquid-cooled cable's cooling unit.
    CoolingUnit,
}

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The connector cannot charge, nothing is known to be dangerous.
    Error,
    /// A hazard to people or equipment: a technician should look.
    Critical,
}

/// What the connector does about a fault, and when the fault ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SafeState {
    /// Supply off in this step (the session opens the contactors once the current has fallen),
    /// the session ends; the fault clears by itself when the condition is gone.
    CutPowerWhilePresent,
    /// The session ends; no new session starts until the vehicle is unplugged (the fault is
    /// about this vehicle and this plug-in).
    EndSessionUntilUnplugged,
    /// Supply off and contactors open in this step, the session ends; the fault outlasts the
    /// condition and the vehicle: it clears only once the condition is gone and a technician
    /// makes the connector Operative (`chargerctl availability N operative`, OCPP
    /// ChangeAvailability Operative). A restart also clears it, and raises it again if the
    /// condition is still there.
    CutPowerUntilCleared,
    /// Nothing about the output is unsafe: it stays as it is and the session goes on, with the
    /// fault recorded in the transaction; the fault clears by itself when the condition is
    /// gone. (A metering failure: the output is controlled from the supply's and the
    /// insulation monitor's readings, which have their own faults.)
    RecordWhilePresent,
}

/// OCPP 1.6 `ChargePointErrorCode` (the values a StatusNotification for a fault may carry;
/// `NoError` is for every other status and never a fault's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargePointErrorCode {
    ConnectorLockFailure,
    EVCommunicationError,
    GroundFailure,
    HighTemperature,
    InternalError,
    OtherError,
    OverCurrentFailure,
    OverVoltage,
    PowerMeterFailure,
    PowerSwitchFailure,
    UnderVoltage,
}

impl ChargePointErrorCode {
    /// The value as 1.6 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargePointErrorCode::ConnectorLockFailure => "ConnectorLockFailure",
            ChargePointErrorCode::EVCommunicationError => "EVCommunicationError",
            ChargePointErrorCode::GroundFailure => "GroundFailure",
            ChargePointErrorCode::HighTemperature => "HighTemperature",
            ChargePointErrorCode::InternalError => "InternalError",
            ChargePointErrorCode::OtherError => "OtherError",
            ChargePointErrorCode::OverCurrentFailure => "OverCurrentFailure",
            ChargePointErrorCode::OverVoltage => "OverVoltage",
            ChargePointErrorCode::PowerMeterFailure => "PowerMeterFailure",
            ChargePointErrorCode::PowerSwitchFailure => "PowerSwitchFailure",
            ChargePointErrorCode::UnderVoltage => "UnderVoltage",
        }
    }
}

/// How a fault is reported to a CSMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultReport {
    /// 1.6 StatusNotification `errorCode`.
    pub error_code: ChargePointErrorCode,
    /// 1.6 StatusNotification `vendorErrorCode` (at most 50 characters), stable per kind;
    /// the 2.0.1 NotifyEvent's `techCode`.
    pub vendor_error_code: &'static str,
    /// The device-model component and variable a 2.0.1 NotifyEvent (trigger Alerting) names.
    /// Our own names: not yet checked against the standardized component list.
    pub component: &'static str,
    pub variable: &'static str,
}

impl FaultKind {
    /// Every kind, in order (the table's rows; used by tests and documentation).
    pub const ALL: [FaultKind; 24] = [
        FaultKind::EmergencyStop,
        FaultKind::ContactorWelded,
        FaultKind::PowerSupply,
        FaultKind::StaleReading(Reading::PowerSupply),
        FaultKind::StaleReading(Reading::InsulationMonitor),
        FaultKind::StaleReading(Reading::DigitalIo),
        FaultKind::InsulationMonitorDevice,
        FaultKind::InsulationFailure,
        FaultKind::OverCurrent,
        FaultKind::WeldingSuspected,
        FaultKind::OpenedUnderLoad,
        FaultKind::CableNotDischarged,
        FaultKind::EvContactorsNotReported,
        FaultKind::ContactorStuckOpen,
        FaultKind::LockLost,
        FaultKind::LockNotReached,
        FaultKind::ForcedSafe,
        FaultKind::SessionUnavailable,
        FaultKind::MatrixLockedOut,
        FaultKind::MeterStale,
        FaultKind::Thermal(ThermalFault::PinOverTemperature),
        FaultKind::Thermal(ThermalFault::StaleCoolingData),
        FaultKind::Thermal(ThermalFault::ImplausibleSensor),
        FaultKind::Thermal(ThermalFault::CoolingAlarm),
    ];

    /// THE table: kind → source, severity, safe state, OCPP report. One row per kind.
    fn row(self) -> (FaultSource, Severity, SafeState, FaultReport) {
        use ChargePointErrorCode as E;
        use FaultSource as S;
        use SafeState::{
            CutPowerUntilCleared as Technician, CutPowerWhilePresent as Live,
            EndSessionUntilUnplugged as Latched, RecordWhilePresent as Record,
        };
        use Severity::{Critical, Error};
        let r = |error_code, vendor_error_code, component, variable| FaultReport {
            error_code,
            vendor_error_code,
            component,
            variable,
        };
        match self {
            // Someone pressed it for a reason: the connector waits for a technician even after
            // the chain is closed again.
            FaultKind::EmergencyStop => (
                S::EmergencyStopChain,
                Critical,
                Technician,
                // 1.6 has no code for it; the vendor code says what it is.
                r(E::OtherError, "CD-EMS-01", "EmergencyStopSensor", "Tripped"),
            ),
            // A welded contactor leaves the output connected whatever is commanded: nobody
            // may plug in until a technician has replaced it.
            FaultKind::ContactorWelded => (
                S::Contactors,
                Critical,
                Technician,
                r(
                    E::PowerSwitchFailure,
                    "CD-CTR-04",
                    "PowerContactor",
                    "WeldedFeedback",
                ),
            ),
            FaultKind::PowerSupply => (
                S::PowerSupply,
                Error,
                Live,
                r(E::InternalError, "CD-PSU-01", "PowerSupply", "Fault"),
            ),
            FaultKind::StaleReading(Reading::PowerSupply) => (
                S::PowerSupply,
                Error,
                Live,
                // Output voltage and current are the power supply's readings.
                r(E::PowerMeterFailure, "CD-PSU-02", "PowerSupply", "Stale"),
            ),
            FaultKind::StaleReading(Reading::InsulationMonitor) => (
                S::InsulationMonitor,
                Error,
                Live,
                r(E::InternalError, "CD-IMD-02", "InsulationMonitor", "Stale"),
            ),
            // Faulted rather than Unavailable: Unavailable is what an operator chose
            // (ChangeAvailability), and a CSMS would not tell a dead I/O module from it.
            FaultKind::StaleReading(Reading::DigitalIo) => (
                S::Controller,
                Error,
                Live,
                r(E::InternalError, "CD-IO-01", "ControllerIo", "Stale"),
            ),
            FaultKind::InsulationMonitorDevice => (
                S::InsulationMonitor,
                Error,
                Live,
                // The monitor failed, not the insulation: not a GroundFailure.
                r(E::InternalError, "CD-IMD-01", "InsulationMonitor", "Fault"),
            ),
            FaultKind::InsulationFailure => (
                S::Output,
                Critical,
                Latched,
                r(
                    E::GroundFailure,
                    "CD-INS-01",
                    "InsulationMonitor",
                    "Insulation",
                ),
            ),
            FaultKind::OverCurrent => (
                S::Output,
                Critical,
                Latched,
                r(E::OverCurrentFailure, "CD-OCP-01", "Output", "OverCurrent"),
            ),
            FaultKind::WeldingSuspected => (
                S::Contactors,
                Critical,
                Latched,
                r(
                    E::PowerSwitchFailure,
                    "CD-CTR-01",
                    "PowerContactor",
                    "Welded",
                ),
            ),
            FaultKind::OpenedUnderLoad => (
                S::Contactors,
                Critical,
                Latched,
                r(
                    E::PowerSwitchFailure,
                    "CD-CTR-02",
                    "PowerContactor",
                    "OpenedUnderLoad",
                ),
            ),
            FaultKind::CableNotDischarged => (
                S::ConnectorLock,
                Critical,
                Latched,
                r(
                    E::ConnectorLockFailure,
                    "CD-LCK-01",
                    "ConnectorPlugRetentionLock",
                    "CableLive",
                ),
            ),
            FaultKind::EvContactorsNotReported => (
                S::Vehicle,
                Error,
                Latched,
                r(
                    E::EVCommunicationError,
                    "CD-EV-01",
                    "Vehicle",
                    "ContactorsNotReported",
                ),
            ),
            FaultKind::ContactorStuckOpen => (
                S::Contactors,
                Error,
                Latched,
                r(
                    E::PowerSwitchFailure,
                    "CD-CTR-03",
                    "PowerContactor",
                    "FailedToClose",
                ),
            ),
            FaultKind::LockNotReached => (
                S::ConnectorLock,
                Error,
                Latched,
                r(
                    E::ConnectorLockFailure,
                    "CD-LCK-02",
                    "ConnectorPlugRetentionLock",
                    "NotLocked",
                ),
            ),
            FaultKind::LockLost => (
                S::ConnectorLock,
                Critical,
                Latched,
                r(
                    E::ConnectorLockFailure,
                    "CD-LCK-03",
                    "ConnectorPlugRetentionLock",
                    "LostWhileEnergized",
                ),
            ),
            FaultKind::ForcedSafe => (
                S::Controller,
                Critical,
                Latched,
                r(E::InternalError, "CD-CTL-01", "Controller", "ForcedSafe"),
            ),
            FaultKind::SessionUnavailable => (
                S::Controller,
                Error,
                Latched,
                r(
                    E::InternalError,
                    "CD-CTL-02",
                    "Controller",
                    "SessionUnavailable",
                ),
            ),
            // Present while the pool holds the lockout (until a restart): a welded matrix
            // contactor ties a module to this output whatever the station commands.
            FaultKind::MatrixLockedOut => (
                S::Contactors,
                Critical,
                Live,
                r(
                    E::PowerSwitchFailure,
                    "CD-MTX-01",
                    "PowerModuleMatrix",
                    "Welded",
                ),
            ),
            // The session goes on: stopping a truck mid-charge protects nothing, since the
            // output's control does not use the meter. The energy has a gap, recorded.
            FaultKind::MeterStale => (
                S::Meter,
                Error,
                Record,
                r(E::PowerMeterFailure, "CD-MTR-01", "PowerMeter", "Stale"),
            ),
            // The thermal stops: the supply goes off while the controller holds them (a hot
            // pin until it cooled by the restart hysteresis); the connector is Faulted.
            FaultKind::Thermal(ThermalFault::PinOverTemperature) => (
                S::ConnectorPins,
                Critical,
                Live,
                r(
                    E::HighTemperature,
                    "CD-THM-01",
                    "Connector",
                    "PinOverTemperature",
                ),
            ),
            FaultKind::Thermal(ThermalFault::StaleCoolingData) => (
                S::CoolingUnit,
                Error,
                Live,
                r(E::InternalError, "CD-THM-02", "CoolingUnit", "Stale"),
            ),
            FaultKind::Thermal(ThermalFault::ImplausibleSensor) => (
                S::ConnectorPins,
                Error,
                Live,
                r(
                    E::InternalError,
                    "CD-THM-03",
                    "TemperatureSensor",
                    "Implausible",
                ),
            ),
            FaultKind::Thermal(ThermalFault::CoolingAlarm) => (
                S::CoolingUnit,
                Error,
                Live,
                r(E::InternalError, "CD-THM-04", "CoolingUnit", "Alarm"),
            ),
        }
    }

    pub fn source(self) -> FaultSource {
        self.row().0
    }

    pub fn severity(self) -> Severity {
        self.row().1
    }

    pub fn safe_state(self) -> SafeState {
        self.row().2
    }

    pub fn report(self) -> FaultReport {
        self.row().3
    }

    /// Present while the hardware says so (rather than latched until unplug).
    pub fn is_live(self) -> bool {
        self.safe_state() == SafeState::CutPowerWhilePresent
    }

    /// The supply goes off at once while it is held (a live hazard, or one a technician
    /// clears), rather than the session ramping down on its own.
    pub fn cuts_power(self) -> bool {
        matches!(
            self.safe_state(),
            SafeState::CutPowerWhilePresent | SafeState::CutPowerUntilCleared
        )
    }

    /// Unplugging the vehicle clears it (it was about this vehicle and this plug-in).
    pub fn clears_on_unplug(self) -> bool {
        self.safe_state() == SafeState::EndSessionUntilUnplugged
    }

    /// Only a technician clears it (see [`SafeState::CutPowerUntilCleared`]).
    pub fn needs_technician(self) -> bool {
        self.safe_state() == SafeState::CutPowerUntilCleared
    }

    /// The connector can go on charging while it is present (it is recorded, not obeyed).
    pub fn keeps_charging(self) -> bool {
        self.safe_state() == SafeState::RecordWhilePresent
    }

    /// The station fault a session alarm is.
    pub fn of_alarm(kind: AlarmKind) -> FaultKind {
        match kind {
            AlarmKind::OpenedUnderLoad => FaultKind::OpenedUnderLoad,
            AlarmKind::EvContactorsNotReported => FaultKind::EvContactorsNotReported,
            AlarmKind::WeldingSuspected => FaultKind::WeldingSuspected,
            AlarmKind::CableNotDischarged => FaultKind::CableNotDischarged,
        }
    }
}

/// A fault that keeps a connector Faulted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// For people: a measured value, the device's own reason. Empty when the kind says it all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            detail: String::new(),
        }
    }

    pub fn with_detail(kind: FaultKind, detail: impl Into<String>) -> Fault {
        Fault {
            kind,
            detail: detail.into(),
        }
    }

    pub fn report(&self) -> FaultReport {
        self.kind.report()
    }

    /// What a session stopped by this fault records as its reason.
    pub fn stop_reason(&self) -> StopReason {
        let text = self.to_string();
        match self.kind {
            FaultKind::EmergencyStop => StopReason::EmergencyStop,
            FaultKind::PowerSupply => StopReason::PowerSupplyFault(self.detail.clone()),
            FaultKind::StaleReading(_)
            | FaultKind::OverCurrent
            | FaultKind::Thermal(
                ThermalFault::StaleCoolingData | ThermalFault::ImplausibleSensor,
            ) => StopReason::ImplausibleMeasurement(self.detail_or(text)),
            FaultKind::Thermal(ThermalFault::PinOverTemperature | ThermalFault::CoolingAlarm) => {
                StopReason::ChargerFault(text)
            }
            FaultKind::InsulationMonitorDevice | FaultKind::InsulationFailure => {
                StopReason::InsulationFailure(self.detail_or(text))
            }
            FaultKind::WeldingSuspected
            | FaultKind::OpenedUnderLoad
            | FaultKind::CableNotDischarged
            | FaultKind::EvContactorsNotReported
            | FaultKind::ForcedSafe
            | FaultKind::SessionUnavailable
            | FaultKind::MatrixLockedOut
            | FaultKind::MeterStale
            | FaultKind::ContactorWelded
            | FaultKind::ContactorStuckOpen
            | FaultKind::LockNotReached
            | FaultKind::LockLost => StopReason::ChargerFault(text),
        }
    }

    fn detail_or(&self, text: String) -> String {
        if self.detail.is_empty() {
            text
        } else {
            self.detail.clone()
        }
    }
}

/// The text people read (logs, `chargerctl status`, the journal, OCPP `info`).
impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.detail;
        match self.kind {
            FaultKind::EmergencyStop => write!(f, "emergency stop pressed"),
            // Short enough for OCPP's 50-character `info`; the detail (a measured delay) is logged.
            FaultKind::ContactorWelded => {
                write!(f, "contactor welded (feedback closed after open)")
            }
            FaultKind::ContactorStuckOpen => write!(f, "contactor failed to close (feedback open)"),
            FaultKind::LockNotReached => write!(f, "connector lock did not report locked"),
            FaultKind::LockLost => write!(f, "lock feedback lost while energized"),
            FaultKind::PowerSupply => write!(f, "power supply fault: {d}"),
            FaultKind::StaleReading(r) => write!(f, "stale {} reading", r.name()),
            FaultKind::InsulationMonitorDevice => write!(f, "insulation monitor device fault"),
            FaultKind::InsulationFailure => write!(f, "insulation failure: {d}"),
            FaultKind::OverCurrent => write!(f, "implausible measurement: {d}"),
            FaultKind::SessionUnavailable => write!(f, "cannot create session: {d}"),
            FaultKind::MeterStale if d.is_empty() => write!(f, "DC meter stale"),
            FaultKind::MeterStale => write!(f, "DC meter stale: {d}"),
            FaultKind::Thermal(t) if d.is_empty() => f.write_str(t.name()),
            FaultKind::Thermal(t) => write!(f, "{}: {d}", t.name()),
            // Session alarms and the forced-safe stop: the detail is the whole sentence.
            FaultKind::WeldingSuspected
            | FaultKind::OpenedUnderLoad
            | FaultKind::CableNotDischarged
            | FaultKind::EvContactorsNotReported
            | FaultKind::ForcedSafe
            | FaultKind::MatrixLockedOut => f.write_str(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The table is total: every kind has a row, and no two kinds share a vendor code.
    #[test]
    fn every_kind_has_its_own_vendor_code() {
        let mut codes = BTreeSet::new();
        for kind in FaultKind::ALL {
            let r = kind.report();
            assert!(
                r.vendor_error_code.starts_with("CD-") && r.vendor_error_code.len() <= 50,
                "{kind:?}: {}",
                r.vendor_error_code
            );
            assert!(
                codes.insert(r.vendor_error_code),
                "{kind:?} shares {}",
                r.vendor_error_code
            );
            assert!(!r.component.is_empty() && !r.variable.is_empty());
        }
        // ALL lists every kind: each one maps back to its own row (the match in `row` has no
        // wildcard, so a kind missing from ALL shows up here as a count mismatch).
        assert_eq!(codes.len(), FaultKind::ALL.len());
    }

    /// ALL cannot miss a kind: this match has no wildcard arm, so a new kind does not compile
    /// until it is added here, and the count (one per kind) is checked against ALL.
    #[test]
    fn all_lists_every_kind() {
        let kinds = |k: FaultKind| match k {
            FaultKind::StaleReading(
                Reading::PowerSupply | Reading::InsulationMonitor | Reading::DigitalIo,
            ) => 3,
            FaultKind::EmergencyStop
            | FaultKind::ContactorWelded
            | FaultKind::ContactorStuckOpen
            | FaultKind::LockNotReached
            | FaultKind::LockLost
            | FaultKind::PowerSupply
            | FaultKind::InsulationMonitorDevice
            | FaultKind::InsulationFailure
            | FaultKind::OverCurrent
            | FaultKind::WeldingSuspected
            | FaultKind::OpenedUnderLoad
            | FaultKind::CableNotDischarged
            | FaultKind::EvContactorsNotReported
            | FaultKind::ForcedSafe
            | FaultKind::SessionUnavailable
            | FaultKind::MatrixLockedOut
            | FaultKind::MeterStale => 1,
            FaultKind::Thermal(
                ThermalFault::PinOverTemperature
                | ThermalFault::StaleCoolingData
                | ThermalFault::ImplausibleSensor
                | ThermalFault::CoolingAlarm,
            ) => 4,
        };
        let distinct: BTreeSet<FaultKind> = FaultKind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), FaultKind::ALL.len());
        let variants: usize = distinct
            .iter()
            .filter(|k| {
                !matches!(
                    k,
                    FaultKind::StaleReading(Reading::InsulationMonitor | Reading::DigitalIo)
                        | FaultKind::Thermal(
                            ThermalFault::StaleCoolingData
                                | ThermalFault::ImplausibleSensor
                                | ThermalFault::CoolingAlarm
                        )
                )
            })
            .map(|k| kinds(*k))
            .sum();
        assert_eq!(variants, FaultKind::ALL.len());
    }

    #[test]
    fn each_kind_reports_its_error_code() {
        use ChargePointErrorCode as E;
        let expected = [
            (FaultKind::EmergencyStop, E::OtherError, "CD-EMS-01"),
            (
                FaultKind::ContactorWelded,
                E::PowerSwitchFailure,
                "CD-CTR-04",
            ),
            (
                FaultKind::StaleReading(Reading::DigitalIo),
                E::InternalError,
                "CD-IO-01",
            ),
            (
                FaultKind::ContactorStuckOpen,
                E::PowerSwitchFailure,
                "CD-CTR-03",
            ),
            (
                FaultKind::LockNotReached,
                E::ConnectorLockFailure,
                "CD-LCK-02",
            ),
            (FaultKind::LockLost, E::ConnectorLockFailure, "CD-LCK-03"),
            (FaultKind::PowerSupply, E::InternalError, "CD-PSU-01"),
            (
                FaultKind::StaleReading(Reading::PowerSupply),
                E::PowerMeterFailure,
                "CD-PSU-02",
            ),
            (
                FaultKind::StaleReading(Reading::InsulationMonitor),
                E::InternalError,
                "CD-IMD-02",
            ),
            (
                FaultKind::InsulationMonitorDevice,
                E::InternalError,
                "CD-IMD-01",
            ),
            (FaultKind::InsulationFailure, E::GroundFailure, "CD-INS-01"),
            (FaultKind::OverCurrent, E::OverCurrentFailure, "CD-OCP-01"),
            (
                FaultKind::WeldingSuspected,
                E::PowerSwitchFailure,
                "CD-CTR-01",
            ),
            (
                FaultKind::OpenedUnderLoad,
                E::PowerSwitchFailure,
                "CD-CTR-02",
            ),
            (
                FaultKind::CableNotDischarged,
                E::ConnectorLockFailure,
                "CD-LCK-01",
            ),
            (
                FaultKind::EvContactorsNotReported,
                E::EVCommunicationError,
                "CD-EV-01",
            ),
            (FaultKind::ForcedSafe, E::InternalError, "CD-CTL-01"),
            (FaultKind::SessionUnavailable, E::InternalError, "CD-CTL-02"),
            (
                FaultKind::MatrixLockedOut,
                E::PowerSwitchFailure,
                "CD-MTX-01",
            ),
            (FaultKind::MeterStale, E::PowerMeterFailure, "CD-MTR-01"),
            (
                FaultKind::Thermal(ThermalFault::PinOverTemperature),
                E::HighTemperature,
                "CD-THM-01",
            ),
            (
                FaultKind::Thermal(ThermalFault::StaleCoolingData),
                E::InternalError,
                "CD-THM-02",
            ),
            (
                FaultKind::Thermal(ThermalFault::ImplausibleSensor),
                E::InternalError,
                "CD-THM-03",
            ),
            (
                FaultKind::Thermal(ThermalFault::CoolingAlarm),
                E::InternalError,
                "CD-THM-04",
            ),
        ];
        assert_eq!(expected.len(), FaultKind::ALL.len());
        for (kind, code, vendor) in expected {
            let r = kind.report();
            assert_eq!(
                (r.error_code, r.vendor_error_code),
                (code, vendor),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn hardware_conditions_are_live_and_vehicle_faults_latch_until_unplug() {
        for kind in FaultKind::ALL {
            let live = matches!(
                kind,
                FaultKind::PowerSupply
                    | FaultKind::StaleReading(_)
                    | FaultKind::InsulationMonitorDevice
                    | FaultKind::MatrixLockedOut
                    | FaultKind::Thermal(_)
            );
            assert_eq!(kind.is_live(), live, "{kind:?}");
            // What a technician must clear: what was pressed, or what is welded.
            let technician = matches!(kind, FaultKind::EmergencyStop | FaultKind::ContactorWelded);
            assert_eq!(kind.needs_technician(), technician, "{kind:?}");
            assert_eq!(kind.cuts_power(), live || technician, "{kind:?}");
            assert_eq!(
                kind.clears_on_unplug(),
                !(live || technician || kind.keeps_charging()),
                "{kind:?}"
            );
        }
        assert_eq!(FaultKind::InsulationFailure.severity(), Severity::Critical);
        // Only a metering failure lets the session go on.
        for kind in FaultKind::ALL {
            assert_eq!(
                kind.keeps_charging(),
                kind == FaultKind::MeterStale,
                "{kind:?}"
            );
        }
        assert_eq!(
            FaultKind::WeldingSuspected.source(),
            FaultSource::Contactors
        );
    }

    /// The supervision's faults say what they are within OCPP 1.6's 50-character `info`.
    #[test]
    fn supervision_faults_fit_the_status_info() {
        for kind in [
            FaultKind::ContactorWelded,
            FaultKind::ContactorStuckOpen,
            FaultKind::LockNotReached,
            FaultKind::LockLost,
            FaultKind::StaleReading(Reading::DigitalIo),
        ] {
            let text = Fault::with_detail(kind, "feedback still closed 210 ms after").to_string();
            assert!(text.chars().count() <= 50, "{kind:?}: {text}");
            assert!(
                !text.contains("210 ms"),
                "{kind:?}: the detail is logged, not shown"
            );
        }
    }

    #[test]
    fn every_alarm_is_a_latched_fault() {
        for (alarm, kind) in [
            (AlarmKind::OpenedUnderLoad, FaultKind::OpenedUnderLoad),
            (
                AlarmKind::EvContactorsNotReported,
                FaultKind::EvContactorsNotReported,
            ),
            (AlarmKind::WeldingSuspected, FaultKind::WeldingSuspected),
            (AlarmKind::CableNotDischarged, FaultKind::CableNotDischarged),
        ] {
            assert_eq!(FaultKind::of_alarm(alarm), kind);
            assert!(!kind.is_live());
        }
    }

    #[test]
    fn text_and_stop_reason_come_from_the_kind_and_detail() {
        let f = Fault::with_detail(FaultKind::InsulationFailure, "40000 Ω during charging");
        assert_eq!(f.to_string(), "insulation failure: 40000 Ω during charging");
        assert_eq!(
            f.stop_reason(),
            StopReason::InsulationFailure("40000 Ω during charging".into())
        );
        let stale = Fault::new(FaultKind::StaleReading(Reading::PowerSupply));
        assert_eq!(stale.to_string(), "stale power supply reading");
        assert_eq!(
            stale.stop_reason(),
            StopReason::ImplausibleMeasurement("stale power supply reading".into())
        );
        assert_eq!(
            Fault::new(FaultKind::EmergencyStop).stop_reason(),
            StopReason::EmergencyStop
        );
        // The journal's and the wire's serde form: kind in kebab-case, detail when there is one.
        assert_eq!(
            serde_json::to_value(&stale).unwrap(),
            serde_json::json!({"kind": {"stale-reading": "power-supply"}})
        );
    }
}
