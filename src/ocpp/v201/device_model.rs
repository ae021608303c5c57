//! The OCPP 2.0.1 device model: the components and variables this charging station reports
//! and lets the CSMS set (GetVariables, SetVariables, GetBaseReport, GetReport). Pure.
//!
//! Only the `Actual` attribute exists: chargerd has no separate target values, and the limits a
//! CSMS may set between are the `minLimit`/`maxLimit` of each variable's characteristics,
//! checked on every write exactly as the 1.6 keys are. Writable variables persist as one JSON
//! document (`v201_variables`); what a restart finds out of range is dropped and said.

use std::collections::BTreeMap;
use std::time::Duration;

use charger_protocol::ocpp::v201;
use serde_json::Value;

/// The name the writable variables persist under.
pub const STATE_NAME: &str = "v201_variables";
/// Items in one NotifyReport (DeviceDataCtrlr.ItemsPerMessage for GetReport).
pub const ITEMS_PER_REPORT: usize = 20;
/// GetVariables/SetVariables entries taken in one call (DeviceDataCtrlr.ItemsPerMessage).
pub const ITEMS_PER_CALL: usize = 50;

/// What a variable holds, and so how its value is written and checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Whole seconds within the range.
    Seconds {
        min: u64,
        max: u64,
    },
    /// A whole number within the range.
    Integer {
        min: i64,
        max: i64,
    },
    Boolean,
    Text,
    /// A comma-separated list of names (measurands, transaction points).
    MemberList,
    /// A reading, with its unit.
    Decimal {
        unit: &'static str,
    },
}

/// One variable of one component, as the CSMS addresses it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Address {
    pub component: &'static str,
    /// The EVSE (connector = EVSE in chargerd: one connector each) a component belongs to.
    pub evse: Option<u32>,
    /// Connector 1 of the EVSE, for the `Connector` component.
    pub connector: Option<u32>,
    pub variable: &'static str,
    pub instance: Option<&'static str>,
}

/// A variable's description: where it is, what it holds, whether the CSMS may write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub address: Address,
    pub kind: Kind,
    pub writable: bool,
}

/// The writable settings, typed: what the charging station runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub heartbeat_interval: Duration,
    pub tx_updated_interval: Duration,
    pub aligned_interval: Duration,
    pub message_attempts: u32,
    pub message_attempt_interval: Duration,
    pub authorize_remote_start: bool,
    pub offline_tx_for_unknown_id: bool,
    pub local_authorize_offline: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat_interval: Duration::from_secs(300),
            tx_updated_interval: Duration::from_secs(60),
            aligned_interval: Duration::ZERO,
            message_attempts: 5,
            message_attempt_interval: Duration::from_secs(30),
            authorize_remote_start: false,
            offline_tx_for_unknown_id: false,
            local_authorize_offline: true,
        }
    }
}

/// Live values only the station knows, refreshed from its readings and statuses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// Per EVSE: its availability as the device model spells it (Available, Occupied,
    /// Reserved, Unavailable, Faulted).
    pub availability: BTreeMap<u32, &'static str>,
    /// Per EVSE: (hottest valid pin °C, coolant °C, offered current A).
    pub thermal: BTreeMap<u32, (Option<f32>, Option<f32>, f32)>,
    /// Per EVSE: rated (A, W).
    pub ratings: BTreeMap<u32, (f64, f64)>,
    /// Wall time (unix ms) at the core's last step, for ClockCtrlr.DateTime (formatted when
    /// read, not on every step).
    pub unix_ms: i64,
    /// Entries in the local authorization list.
    pub local_list_entries: usize,
}

/// Fixed facts the model reports (read-only).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub vendor: String,
    pub model: String,
    pub firmware_version: String,
    pub identity: String,
    pub security_profile: u8,
    pub message_timeout: Duration,
    pub ping_interval: Duration,
    pub evses: u32,
}

/// Why a SetVariables entry was not taken: the status it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetRefused {
    UnknownComponent,
    UnknownVariable,
    NotSupportedAttributeType,
    Rejected,
}

impl SetRefused {
    pub fn status(self) -> v201::SetVariableStatusEnum {
        match self {
            SetRefused::UnknownComponent => v201::SetVariableStatusEnum::UnknownComponent,
            SetRefused::UnknownVariable => v201::SetVariableStatusEnum::UnknownVariable,
            SetRefused::NotSupportedAttributeType => {
                v201::SetVariableStatusEnum::NotSupportedAttributeType
            }
            SetRefused::Rejected => v201::SetVariableStatusEnum::Rejected,
        }
    }
}

/// The measurands sent in transaction events (TxStarted/TxUpdated/TxEnded).
pub const TX_UPDATED_MEASURANDS: &str =
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC";
pub const TX_BOUNDARY_MEASURANDS: &str = "Energy.Active.Import.Register";

fn at(component: &'static str, variable: &'static str) -> Address {
    Address {
        component,
        evse: None,
        connector: None,
        variable,
        instance: None,
    }
}

/// The device model: every variable's definition, the writable settings, the live values.
#[derive(Debug, Clone)]
pub struct DeviceModel {
    pub settings: Settings,
    pub live: Live,
    facts: Facts,
    definitions: Vec<Definition>,
}

impl DeviceModel {
    pub fn new(facts: Facts) -> DeviceModel {
        let mut d = Vec::new();
        let ro = |address: Address, kind: Kind| Definition {
            address,
            kind,
            writable: false,
        };
        let rw = |address: Address, kind: Kind| Definition {
            address,
            kind,
            writable: true,
        };
        let day = 86_400;
        d.push(ro(at("ChargingStation", "AvailabilityState"), Kind::Text));
        d.push(ro(at("ChargingStation", "Available"), Kind::Boolean));
        d.push(ro(at("ChargingStation", "Model"), Kind::Text));
        d.push(ro(at("ChargingStation", "VendorName"), Kind::Text));
        d.push(ro(
            at("ChargingStation", "SupplyPhases"),
            Kind::Integer { min: 0, max: 3 },
        ));
        for evse in 1..=facts.evses {
            let on_evse = |variable| Address {
                evse: Some(evse),
                ..at("EVSE", variable)
            };
            d.push(ro(on_evse("AvailabilityState"), Kind::Text));
            d.push(ro(on_evse("Available"), Kind::Boolean));
            d.push(ro(on_evse("Power"), Kind::Decimal { unit: "W" }));
            d.push(ro(
                on_evse("SupplyPhases"),
                Kind::Integer { min: 0, max: 3 },
            ));
            let on_connector = |variable| Address {
                evse: Some(evse),
                connector: Some(1),
                ..at("Connector", variable)
            };
            d.push(ro(on_connector("AvailabilityState"), Kind::Text));
            d.push(ro(on_connector("Available"), Kind::Boolean));
            // chargerd's own: the liquid-cooled connector's thermal loop.
            let thermal = |variable| Address {
                evse: Some(evse),
                ..at("ConnectorThermalCtrlr", variable)
            };
            d.push(ro(
                thermal("PinTemperature"),
                Kind::Decimal { unit: "Celsius" },
            ));
            d.push(ro(
                thermal("CoolantTemperature"),
                Kind::Decimal { unit: "Celsius" },
            ));
            d.push(ro(thermal("OfferedCurrent"), Kind::Decimal { unit: "A" }));
        }
        let comm = |variable, instance| Address {
            instance,
            ..at("OCPPCommCtrlr", variable)
        };
        d.push(rw(
            comm("HeartbeatInterval", None),
            Kind::Seconds { min: 1, max: day },
        ));
        d.push(ro(
            comm("MessageTimeout", Some("Default")),
            Kind::Seconds { min: 1, max: 3600 },
        ));
        d.push(rw(
            comm("MessageAttempts", Some("TransactionEvent")),
            Kind::Integer { min: 1, max: 100 },
        ));
        d.push(rw(
            comm("MessageAttemptInterval", Some("TransactionEvent")),
            Kind::Seconds { min: 1, max: 3600 },
        ));
        d.push(ro(
            comm("WebSocketPingInterval", None),
            Kind::Seconds { min: 0, max: day },
        ));
        d.push(ro(
            comm("ResetRetries", None),
            Kind::Integer { min: 0, max: 0 },
        ));
        d.push(ro(at("TxCtrlr", "TxStartPoint"), Kind::MemberList));
        d.push(ro(at("TxCtrlr", "TxStopPoint"), Kind::MemberList));
        d.push(ro(at("TxCtrlr", "StopTxOnEVSideDisconnect"), Kind::Boolean));
        d.push(ro(at("TxCtrlr", "StopTxOnInvalidId"), Kind::Boolean));
        d.push(rw(
            at("SampledDataCtrlr", "TxUpdatedInterval"),
            Kind::Seconds { min: 0, max: day },
        ));
        d.push(ro(
            at("SampledDataCtrlr", "TxStartedMeasurands"),
            Kind::MemberList,
        ));
        d.push(ro(
            at("SampledDataCtrlr", "TxUpdatedMeasurands"),
            Kind::MemberList,
        ));
        d.push(ro(
            at("SampledDataCtrlr", "TxEndedMeasurands"),
            Kind::MemberList,
        ));
        d.push(rw(
            at("AlignedDataCtrlr", "Interval"),
            Kind::Seconds { min: 0, max: day },
        ));
        d.push(ro(at("AlignedDataCtrlr", "Measurands"), Kind::MemberList));
        d.push(rw(at("AuthCtrlr", "AuthorizeRemoteStart"), Kind::Boolean));
        d.push(rw(at("AuthCtrlr", "LocalAuthorizeOffline"), Kind::Boolean));
        d.push(ro(at("AuthCtrlr", "LocalPreAuthorize"), Kind::Boolean));
        d.push(rw(
            at("AuthCtrlr", "OfflineTxForUnknownIdEnabled"),
            Kind::Boolean,
        ));
        d.push(ro(at("AuthCacheCtrlr", "Enabled"), Kind::Boolean));
        d.push(ro(at("LocalAuthListCtrlr", "Enabled"), Kind::Boolean));
        for (component, variable, max) in [
            (
                "LocalAuthListCtrlr",
                "ItemsPerMessage",
                super::authorization::MAX_LIST_ENTRIES,
            ),
            (
                "SmartChargingCtrlr",
                "PeriodsPerSchedule",
                crate::ocpp::smart_charging::MAX_SCHEDULE_PERIODS,
            ),
            (
                "SmartChargingCtrlr",
                "ProfileStackLevel",
                crate::ocpp::keys::CHARGE_PROFILE_MAX_STACK_LEVEL as usize,
            ),
        ] {
            d.push(ro(
                at(component, variable),
                Kind::Integer {
                    min: 0,
                    max: max as i64,
                },
            ));
        }
        d.push(ro(at("SmartChargingCtrlr", "RateUnit"), Kind::MemberList));
        d.push(ro(
            at("LocalAuthListCtrlr", "Entries"),
            Kind::Integer {
                min: 0,
                max: super::authorization::MAX_LIST_ENTRIES as i64,
            },
        ));
        d.push(ro(at("SmartChargingCtrlr", "Enabled"), Kind::Boolean));
        d.push(ro(at("ReservationCtrlr", "Enabled"), Kind::Boolean));
        d.push(ro(
            at("SecurityCtrlr", "SecurityProfile"),
            Kind::Integer { min: 0, max: 3 },
        ));
        d.push(ro(at("SecurityCtrlr", "Identity"), Kind::Text));
        let device = |variable, instance| Address {
            instance,
            ..at("DeviceDataCtrlr", variable)
        };
        for instance in ["GetReport", "GetVariables", "SetVariables"] {
            d.push(ro(
                device("ItemsPerMessage", Some(instance)),
                Kind::Integer { min: 1, max: 1000 },
            ));
        }
        d.push(ro(at("ClockCtrlr", "DateTime"), Kind::Text));
        d.push(ro(at("ClockCtrlr", "TimeSource"), Kind::MemberList));
        d.push(ro(at("FirmwareCtrlr", "FirmwareVersion"), Kind::Text));
        DeviceModel {
            settings: Settings::default(),
            live: Live::default(),
            facts,
            definitions: d,
        }
    }

    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }

    /// The definition a CSMS's component/variable pair names, or why none does.
    pub fn find(
        &self,
        component: &v201::Component,
        variable: &v201::Variable,
    ) -> Result<&Definition, SetRefused> {
        let evse = component.evse.as_ref();
        let matches_component = |a: &Address| {
            a.component == component.name
                && component.instance.is_none()
                && a.evse.map(i64::from) == evse.map(|e| e.id)
                && match (a.connector, evse.and_then(|e| e.connector_id)) {
                    (Some(c), Some(asked)) => i64::from(c) == asked,
                    // The EVSE's only connector, addressed without its number.
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => true,
                }
        };
        let mut known_component = false;
        for d in &self.definitions {
            if !matches_component(&d.address) {
                continue;
            }
            known_component = true;
            if d.address.variable == variable.name
                && d.address.instance == variable.instance.as_deref()
            {
                return Ok(d);
            }
        }
        Err(if known_component {
            SetRefused::UnknownVariable
        } else {
            SetRefused::UnknownComponent
        })
    }

    /// The Actual value of a variable, as the wire carries it (`None`: no value known now,
    /// e.g. a sensor not read yet).
    pub fn value(&self, a: &Address) -> Option<String> {
        let s = &self.settings;
        let secs = |d: Duration| Some(d.as_secs().to_string());
        let flag = |b: bool| Some(b.to_string());
        let evse = a.evse.unwrap_or(0);
        let availability = || {
            if a.evse.is_none() {
                let all_down = !self.live.availability.is_empty()
                    && self.live.availability.values().all(|v| *v == "Unavailable");
                if all_down {
                    "Unavailable"
                } else {
                    "Available"
                }
            } else {
                self.live
                    .availability
                    .get(&evse)
                    .copied()
                    .unwrap_or("Unavailable")
            }
        };
        let thermal = self.live.thermal.get(&evse);
        match (a.component, a.variable) {
            (_, "AvailabilityState") => Some(availability().to_string()),
            (_, "Available") => flag(!matches!(availability(), "Unavailable" | "Faulted")),
            ("ChargingStation", "Model") => Some(self.facts.model.clone()),
            ("ChargingStation", "VendorName") => Some(self.facts.vendor.clone()),
            // DC output: no AC phases.
            (_, "SupplyPhases") => Some("0".into()),
            ("EVSE", "Power") => self.live.ratings.get(&evse).map(|(_, w)| format!("{w:.0}")),
            ("ConnectorThermalCtrlr", "PinTemperature") => {
                thermal.and_then(|t| t.0).map(|c| format!("{c:.1}"))
            }
            ("ConnectorThermalCtrlr", "CoolantTemperature") => {
                thermal.and_then(|t| t.1).map(|c| format!("{c:.1}"))
            }
            ("ConnectorThermalCtrlr", "OfferedCurrent") => thermal.map(|t| format!("{:.1}", t.2)),
            ("OCPPCommCtrlr", "HeartbeatInterval") => secs(s.heartbeat_interval),
            ("OCPPCommCtrlr", "MessageTimeout") => secs(self.facts.message_timeout),
            ("OCPPCommCtrlr", "MessageAttempts") => Some(s.message_attempts.to_string()),
            ("OCPPCommCtrlr", "MessageAttemptInterval") => secs(s.message_attempt_interval),
            ("OCPPCommCtrlr", "WebSocketPingInterval") => secs(self.facts.ping_interval),
            ("OCPPCommCtrlr", "ResetRetries") => Some("0".into()),
            // A transaction starts when the truck is plugged in and authorized, and the power
            // path closes; it ends when the session does.
            ("TxCtrlr", "TxStartPoint") | ("TxCtrlr", "TxStopPoint") => {
                Some("PowerPathClosed".into())
            }
            ("TxCtrlr", "StopTxOnEVSideDisconnect") | ("TxCtrlr", "StopTxOnInvalidId") => {
                flag(true)
            }
            ("SampledDataCtrlr", "TxUpdatedInterval") => secs(s.tx_updated_interval),
            ("SampledDataCtrlr", "TxUpdatedMeasurands") => Some(TX_UPDATED_MEASURANDS.into()),
            ("SampledDataCtrlr", "TxStartedMeasurands")
            | ("SampledDataCtrlr", "TxEndedMeasurands") => Some(TX_BOUNDARY_MEASURANDS.into()),
            ("AlignedDataCtrlr", "Interval") => secs(s.aligned_interval),
            ("AlignedDataCtrlr", "Measurands") => Some(TX_UPDATED_MEASURANDS.into()),
            ("AuthCtrlr", "AuthorizeRemoteStart") => flag(s.authorize_remote_start),
            ("AuthCtrlr", "LocalAuthorizeOffline") => flag(s.local_authorize_offline),
            ("LocalAuthListCtrlr", "Entries") => Some(self.live.local_list_entries.to_string()),
            ("LocalAuthListCtrlr", "ItemsPerMessage") => {
                Some(super::authorization::MAX_LIST_ENTRIES.to_string())
            }
            ("SmartChargingCtrlr", "PeriodsPerSchedule") => {
                Some(crate::ocpp::smart_charging::MAX_SCHEDULE_PERIODS.to_string())
            }
            ("SmartChargingCtrlr", "ProfileStackLevel") => {
                Some(crate::ocpp::keys::CHARGE_PROFILE_MAX_STACK_LEVEL.to_string())
            }
            ("SmartChargingCtrlr", "RateUnit") => Some("A,W".into()),
            ("AuthCtrlr", "LocalPreAuthorize") => flag(false),
            ("AuthCtrlr", "OfflineTxForUnknownIdEnabled") => flag(s.offline_tx_for_unknown_id),
            ("AuthCacheCtrlr", "Enabled")
            | ("LocalAuthListCtrlr", "Enabled")
            | ("SmartChargingCtrlr", "Enabled")
            | ("ReservationCtrlr", "Enabled") => flag(true),
            ("SecurityCtrlr", "SecurityProfile") => Some(self.facts.security_profile.to_string()),
            ("SecurityCtrlr", "Identity") => Some(self.facts.identity.clone()),
            ("DeviceDataCtrlr", "ItemsPerMessage") => Some(
                match a.instance {
                    Some("GetReport") => ITEMS_PER_REPORT,
                    _ => ITEMS_PER_CALL,
                }
                .to_string(),
            ),
            ("ClockCtrlr", "DateTime") => Some(crate::wall_time::rfc3339_utc(self.live.unix_ms)),
            ("ClockCtrlr", "TimeSource") => Some("Heartbeat".into()),
            ("FirmwareCtrlr", "FirmwareVersion") => Some(self.facts.firmware_version.clone()),
            _ => None,
        }
    }

    /// Write a variable as SetVariables does: the value is checked against its kind and
    /// range. `Ok(true)` when it changed.
    pub fn set(&mut self, d: &Definition, value: &str) -> Result<bool, SetRefused> {
        if !d.writable {
            return Err(SetRefused::Rejected);
        }
        let value = value.trim();
        let seconds = |min: u64, max: u64| -> Result<Duration, SetRefused> {
            value
                .parse::<u64>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(Duration::from_secs)
                .ok_or(SetRefused::Rejected)
        };
        let boolean = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(SetRefused::Rejected),
        };
        let before = self.settings.clone();
        let s = &mut self.settings;
        match (d.address.component, d.address.variable, d.kind) {
            ("OCPPCommCtrlr", "HeartbeatInterval", Kind::Seconds { min, max }) => {
                s.heartbeat_interval = seconds(min, max)?
            }
            ("OCPPCommCtrlr", "MessageAttemptInterval", Kind::Seconds { min, max }) => {
                s.message_attempt_interval = seconds(min, max)?
            }
            ("OCPPCommCtrlr", "MessageAttempts", Kind::Integer { min, max }) => {
                s.message_attempts = value
                    .parse::<i64>()
                    .ok()
                    .filter(|v| (min..=max).contains(v))
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or(SetRefused::Rejected)?
            }
            ("SampledDataCtrlr", "TxUpdatedInterval", Kind::Seconds { min, max }) => {
                s.tx_updated_interval = seconds(min, max)?
            }
            ("AlignedDataCtrlr", "Interval", Kind::Seconds { min, max }) => {
                s.aligned_interval = seconds(min, max)?
            }
            ("AuthCtrlr", "AuthorizeRemoteStart", _) => s.authorize_remote_start = boolean()?,
            ("AuthCtrlr", "LocalAuthorizeOffline", _) => s.local_authorize_offline = boolean()?,
            ("AuthCtrlr", "OfflineTxForUnknownIdEnabled", _) => {
                s.offline_tx_for_unknown_id = boolean()?
            }
            _ => return Err(SetRefused::Rejected),
        }
        Ok(self.settings != before)
    }

    /// The writable variables as persisted: `"Component/Variable[/instance]" → value`.
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for d in self.definitions.iter().filter(|d| d.writable) {
            if let Some(v) = self.value(&d.address) {
                map.insert(key_of(&d.address), Value::String(v));
            }
        }
        Value::Object(map)
    }

    /// Restore what [`to_json`](Self::to_json) wrote; returns the keys dropped because they
    /// are unknown or out of range now (the defaults stay).
    pub fn restore(&mut self, value: &Value) -> Vec<String> {
        let mut dropped = Vec::new();
        let Some(map) = value.as_object() else {
            return vec!["(not an object)".into()];
        };
        for (key, v) in map {
            let definition = self
                .definitions
                .iter()
                .find(|d| d.writable && key_of(&d.address) == *key)
                .cloned();
            let ok = match (definition, v.as_str()) {
                (Some(d), Some(text)) => self.set(&d, text).is_ok(),
                _ => false,
            };
            if !ok {
                dropped.push(key.clone());
            }
        }
        dropped
    }

    /// A report entry for a variable: its Actual attribute and characteristics.
    pub fn report_data(&self, d: &Definition) -> v201::ReportData {
        let (data_type, min, max, unit) = match d.kind {
            Kind::Seconds { min, max } => (
                v201::DataEnum::Integer,
                Some(min as f64),
                Some(max as f64),
                Some("s".to_string()),
            ),
            Kind::Integer { min, max } => (
                v201::DataEnum::Integer,
                Some(min as f64),
                Some(max as f64),
                None,
            ),
            Kind::Boolean => (v201::DataEnum::Boolean, None, None, None),
            Kind::Text => (v201::DataEnum::String, None, None, None),
            Kind::MemberList => (v201::DataEnum::MemberList, None, None, None),
            Kind::Decimal { unit } => (v201::DataEnum::Decimal, None, None, Some(unit.into())),
        };
        v201::ReportData {
            component: component_of(&d.address),
            custom_data: None,
            variable: variable_of(&d.address),
            variable_attribute: vec![v201::VariableAttribute {
                constant: Some(!d.writable && is_constant(&d.address)),
                custom_data: None,
                mutability: Some(if d.writable {
                    v201::MutabilityEnum::ReadWrite
                } else {
                    v201::MutabilityEnum::ReadOnly
                }),
                persistent: Some(d.writable),
                r#type: Some(v201::AttributeEnum::Actual),
                value: self.value(&d.address).map(|v| truncate(&v, 2500)),
            }],
            variable_characteristics: Some(v201::VariableCharacteristics {
                custom_data: None,
                data_type,
                max_limit: max,
                min_limit: min,
                supports_monitoring: false,
                unit,
                values_list: None,
            }),
        }
    }
}

/// Facts that never change while the station runs.
fn is_constant(a: &Address) -> bool {
    matches!(
        (a.component, a.variable),
        ("ChargingStation", "Model" | "VendorName" | "SupplyPhases")
            | ("EVSE", "SupplyPhases" | "Power")
            | ("TxCtrlr", _)
            | ("SecurityCtrlr", "Identity")
            | ("DeviceDataCtrlr", _)
            | ("FirmwareCtrlr", _)
    )
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The persisted name of a variable.
pub fn key_of(a: &Address) -> String {
    let mut key = format!("{}/{}", a.component, a.variable);
    if let Some(i) = a.instance {
        key.push('/');
        key.push_str(i);
    }
    key
}

/// How `chargerctl` names a variable: `Component[:evse]/Variable[/instance]`.
pub fn display_name(a: &Address) -> String {
    let mut name = a.component.to_string();
    if let Some(evse) = a.evse {
        name.push_str(&format!(":{evse}"));
    }
    name.push('/');
    name.push_str(a.variable);
    if let Some(i) = a.instance {
        name.push('/');
        name.push_str(i);
    }
    name
}

pub fn component_of(a: &Address) -> v201::Component {
    v201::Component {
        custom_data: None,
        evse: a.evse.map(|id| v201::EVSE {
            connector_id: a.connector.map(i64::from),
            custom_data: None,
            id: i64::from(id),
        }),
        instance: None,
        name: a.component.into(),
    }
}

pub fn variable_of(a: &Address) -> v201::Variable {
    v201::Variable {
        custom_data: None,
        instance: a.instance.map(Into::into),
        name: a.variable.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> DeviceModel {
        DeviceModel::new(Facts {
            vendor: "chargerd".into(),
            model: "m".into(),
            firmware_version: "1".into(),
            identity: "CP1".into(),
            security_profile: 0,
            message_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(30),
            evses: 2,
        })
    }

    fn component(name: &str, evse: Option<i64>) -> v201::Component {
        v201::Component {
            custom_data: None,
            evse: evse.map(|id| v201::EVSE {
                connector_id: None,
                custom_data: None,
                id,
            }),
            instance: None,
            name: name.into(),
        }
    }

    fn variable(name: &str, instance: Option<&str>) -> v201::Variable {
        v201::Variable {
            custom_data: None,
            instance: instance.map(Into::into),
            name: name.into(),
        }
    }

    #[test]
    fn writes_are_range_checked_and_persist_round_trip() {
        let mut m = model();
        let d = m
            .find(
                &component("OCPPCommCtrlr", None),
                &variable("HeartbeatInterval", None),
            )
            .unwrap()
            .clone();
        assert_eq!(m.set(&d, "86400"), Ok(true));
        assert_eq!(m.set(&d, "86401"), Err(SetRefused::Rejected));
        assert_eq!(m.set(&d, "0"), Err(SetRefused::Rejected));
        assert_eq!(m.set(&d, "-5"), Err(SetRefused::Rejected));
        assert_eq!(m.set(&d, "18446744073709551616"), Err(SetRefused::Rejected));
        assert_eq!(m.settings.heartbeat_interval, Duration::from_secs(86_400));
        let saved = m.to_json();
        let mut again = model();
        assert!(again.restore(&saved).is_empty());
        assert_eq!(again.settings, m.settings);
        // A hand-edited value out of range is dropped, the default stays.
        let dropped = again.restore(&serde_json::json!({
            "SampledDataCtrlr/TxUpdatedInterval": "999999999",
            "Nonsense/X": "1"
        }));
        assert_eq!(dropped.len(), 2);
        assert_eq!(again.settings.tx_updated_interval, Duration::from_secs(60));
    }

    #[test]
    fn unknown_components_variables_and_read_only_ones_are_told_apart() {
        let mut m = model();
        assert_eq!(
            m.find(&component("Nope", None), &variable("X", None)).err(),
            Some(SetRefused::UnknownComponent)
        );
        assert_eq!(
            m.find(&component("TxCtrlr", None), &variable("X", None))
                .err(),
            Some(SetRefused::UnknownVariable)
        );
        // An EVSE the station does not have is an unknown component.
        assert_eq!(
            m.find(&component("EVSE", Some(9)), &variable("Power", None))
                .err(),
            Some(SetRefused::UnknownComponent)
        );
        let d = m
            .find(&component("TxCtrlr", None), &variable("TxStartPoint", None))
            .unwrap()
            .clone();
        assert_eq!(m.set(&d, "Authorized"), Err(SetRefused::Rejected));
        // An instance is part of the address.
        assert!(m
            .find(
                &component("OCPPCommCtrlr", None),
                &variable("MessageAttempts", None)
            )
            .is_err());
    }

    #[test]
    fn every_definition_reports_valid_characteristics() {
        let mut m = model();
        m.live.availability.insert(1, "Occupied");
        for d in m.definitions() {
            let r = m.report_data(d);
            let payload = serde_json::to_value(&r).unwrap();
            assert!(payload["variableAttribute"][0]["mutability"].is_string());
        }
        let d = m
            .find(
                &component("EVSE", Some(1)),
                &variable("AvailabilityState", None),
            )
            .unwrap();
        assert_eq!(m.value(&d.address).as_deref(), Some("Occupied"));
    }
}
