//! OCPP 1.6J's messages as types, generated from the official schemas in `protocol/src/ocpp/schemas/v16`
//! by `cargo run -p charger-protocol --bin ocpp-codegen` (see `ocpp::codegen`). Do not edit: a
//! test fails while this file and the schemas disagree.
//!
//! Payloads are validated against their schema before they become these types; the types
//! hold what the schemas say (required fields, enums) but not every bound (lengths, ranges).

// The request and response enums hold one message by value: a message is built once and
// moved, boxing each would only add allocations.
#![allow(clippy::large_enum_variant)]

use serde::{Deserialize, Serialize};

use crate::ocpp::types::DateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationData {
    #[serde(rename = "idTag")]
    pub id_tag: String,
    #[serde(rename = "idTagInfo", default, skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AuthorizationStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Blocked")]
    Blocked,
    #[serde(rename = "Expired")]
    Expired,
    #[serde(rename = "Invalid")]
    Invalid,
    #[serde(rename = "ConcurrentTx")]
    ConcurrentTx,
}

impl AuthorizationStatus {
    pub const ALL: [AuthorizationStatus; 5] = [AuthorizationStatus::Accepted, AuthorizationStatus::Blocked, AuthorizationStatus::Expired, AuthorizationStatus::Invalid, AuthorizationStatus::ConcurrentTx];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Accepted => "Accepted",
            AuthorizationStatus::Blocked => "Blocked",
            AuthorizationStatus::Expired => "Expired",
            AuthorizationStatus::Invalid => "Invalid",
            AuthorizationStatus::ConcurrentTx => "ConcurrentTx",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    #[serde(rename = "idTag")]
    pub id_tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeResponse {
    #[serde(rename = "idTagInfo")]
    pub id_tag_info: IdTagInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AvailabilityStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Scheduled")]
    Scheduled,
}

impl AvailabilityStatus {
    pub const ALL: [AvailabilityStatus; 3] = [AvailabilityStatus::Accepted, AvailabilityStatus::Rejected, AvailabilityStatus::Scheduled];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AvailabilityStatus::Accepted => "Accepted",
            AvailabilityStatus::Rejected => "Rejected",
            AvailabilityStatus::Scheduled => "Scheduled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AvailabilityType {
    #[serde(rename = "Inoperative")]
    Inoperative,
    #[serde(rename = "Operative")]
    Operative,
}

impl AvailabilityType {
    pub const ALL: [AvailabilityType; 2] = [AvailabilityType::Inoperative, AvailabilityType::Operative];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AvailabilityType::Inoperative => "Inoperative",
            AvailabilityType::Operative => "Operative",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootNotificationRequest {
    #[serde(rename = "chargeBoxSerialNumber", default, skip_serializing_if = "Option::is_none")]
    pub charge_box_serial_number: Option<String>,
    #[serde(rename = "chargePointModel")]
    pub charge_point_model: String,
    #[serde(rename = "chargePointSerialNumber", default, skip_serializing_if = "Option::is_none")]
    pub charge_point_serial_number: Option<String>,
    #[serde(rename = "chargePointVendor")]
    pub charge_point_vendor: String,
    #[serde(rename = "firmwareVersion", default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    #[serde(rename = "iccid", default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    #[serde(rename = "imsi", default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    #[serde(rename = "meterSerialNumber", default, skip_serializing_if = "Option::is_none")]
    pub meter_serial_number: Option<String>,
    #[serde(rename = "meterType", default, skip_serializing_if = "Option::is_none")]
    pub meter_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootNotificationResponse {
    #[serde(rename = "currentTime")]
    pub current_time: DateTime,
    #[serde(rename = "interval", deserialize_with = "crate::ocpp::types::de_integer")]
    pub interval: i64,
    #[serde(rename = "status")]
    pub status: RegistrationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelReservationRequest {
    #[serde(rename = "reservationId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub reservation_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelReservationResponse {
    #[serde(rename = "status")]
    pub status: CancelReservationStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CancelReservationStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl CancelReservationStatus {
    pub const ALL: [CancelReservationStatus; 2] = [CancelReservationStatus::Accepted, CancelReservationStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CancelReservationStatus::Accepted => "Accepted",
            CancelReservationStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateHashData {
    #[serde(rename = "hashAlgorithm")]
    pub hash_algorithm: HashAlgorithmEnum,
    #[serde(rename = "issuerKeyHash")]
    pub issuer_key_hash: String,
    #[serde(rename = "issuerNameHash")]
    pub issuer_name_hash: String,
    #[serde(rename = "serialNumber")]
    pub serial_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignedRequest {
    #[serde(rename = "certificateChain")]
    pub certificate_chain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignedResponse {
    #[serde(rename = "status")]
    pub status: CertificateSignedStatusEnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CertificateSignedStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl CertificateSignedStatusEnum {
    pub const ALL: [CertificateSignedStatusEnum; 2] = [CertificateSignedStatusEnum::Accepted, CertificateSignedStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateSignedStatusEnum::Accepted => "Accepted",
            CertificateSignedStatusEnum::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CertificateUseEnum {
    #[serde(rename = "CentralSystemRootCertificate")]
    CentralSystemRootCertificate,
    #[serde(rename = "ManufacturerRootCertificate")]
    ManufacturerRootCertificate,
}

impl CertificateUseEnum {
    pub const ALL: [CertificateUseEnum; 2] = [CertificateUseEnum::CentralSystemRootCertificate, CertificateUseEnum::ManufacturerRootCertificate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateUseEnum::CentralSystemRootCertificate => "CentralSystemRootCertificate",
            CertificateUseEnum::ManufacturerRootCertificate => "ManufacturerRootCertificate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeAvailabilityRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "type")]
    pub r#type: AvailabilityType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeAvailabilityResponse {
    #[serde(rename = "status")]
    pub status: AvailabilityStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeConfigurationRequest {
    #[serde(rename = "key")]
    pub key: String,
    #[serde(rename = "value")]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeConfigurationResponse {
    #[serde(rename = "status")]
    pub status: ConfigurationStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargePointErrorCode {
    #[serde(rename = "ConnectorLockFailure")]
    ConnectorLockFailure,
    #[serde(rename = "EVCommunicationError")]
    EVCommunicationError,
    #[serde(rename = "GroundFailure")]
    GroundFailure,
    #[serde(rename = "HighTemperature")]
    HighTemperature,
    #[serde(rename = "InternalError")]
    InternalError,
    #[serde(rename = "LocalListConflict")]
    LocalListConflict,
    #[serde(rename = "NoError")]
    NoError,
    #[serde(rename = "OtherError")]
    OtherError,
    #[serde(rename = "OverCurrentFailure")]
    OverCurrentFailure,
    #[serde(rename = "PowerMeterFailure")]
    PowerMeterFailure,
    #[serde(rename = "PowerSwitchFailure")]
    PowerSwitchFailure,
    #[serde(rename = "ReaderFailure")]
    ReaderFailure,
    #[serde(rename = "ResetFailure")]
    ResetFailure,
    #[serde(rename = "UnderVoltage")]
    UnderVoltage,
    #[serde(rename = "OverVoltage")]
    OverVoltage,
    #[serde(rename = "WeakSignal")]
    WeakSignal,
}

impl ChargePointErrorCode {
    pub const ALL: [ChargePointErrorCode; 16] = [ChargePointErrorCode::ConnectorLockFailure, ChargePointErrorCode::EVCommunicationError, ChargePointErrorCode::GroundFailure, ChargePointErrorCode::HighTemperature, ChargePointErrorCode::InternalError, ChargePointErrorCode::LocalListConflict, ChargePointErrorCode::NoError, ChargePointErrorCode::OtherError, ChargePointErrorCode::OverCurrentFailure, ChargePointErrorCode::PowerMeterFailure, ChargePointErrorCode::PowerSwitchFailure, ChargePointErrorCode::ReaderFailure, ChargePointErrorCode::ResetFailure, ChargePointErrorCode::UnderVoltage, ChargePointErrorCode::OverVoltage, ChargePointErrorCode::WeakSignal];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargePointErrorCode::ConnectorLockFailure => "ConnectorLockFailure",
            ChargePointErrorCode::EVCommunicationError => "EVCommunicationError",
            ChargePointErrorCode::GroundFailure => "GroundFailure",
            ChargePointErrorCode::HighTemperature => "HighTemperature",
            ChargePointErrorCode::InternalError => "InternalError",
            ChargePointErrorCode::LocalListConflict => "LocalListConflict",
            ChargePointErrorCode::NoError => "NoError",
            ChargePointErrorCode::OtherError => "OtherError",
            ChargePointErrorCode::OverCurrentFailure => "OverCurrentFailure",
            ChargePointErrorCode::PowerMeterFailure => "PowerMeterFailure",
            ChargePointErrorCode::PowerSwitchFailure => "PowerSwitchFailure",
            ChargePointErrorCode::ReaderFailure => "ReaderFailure",
            ChargePointErrorCode::ResetFailure => "ResetFailure",
            ChargePointErrorCode::UnderVoltage => "UnderVoltage",
            ChargePointErrorCode::OverVoltage => "OverVoltage",
            ChargePointErrorCode::WeakSignal => "WeakSignal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargePointStatus {
    #[serde(rename = "Available")]
    Available,
    #[serde(rename = "Preparing")]
    Preparing,
    #[serde(rename = "Charging")]
    Charging,
    #[serde(rename = "SuspendedEVSE")]
    SuspendedEVSE,
    #[serde(rename = "SuspendedEV")]
    SuspendedEV,
    #[serde(rename = "Finishing")]
    Finishing,
    #[serde(rename = "Reserved")]
    Reserved,
    #[serde(rename = "Unavailable")]
    Unavailable,
    #[serde(rename = "Faulted")]
    Faulted,
}

impl ChargePointStatus {
    pub const ALL: [ChargePointStatus; 9] = [ChargePointStatus::Available, ChargePointStatus::Preparing, ChargePointStatus::Charging, ChargePointStatus::SuspendedEVSE, ChargePointStatus::SuspendedEV, ChargePointStatus::Finishing, ChargePointStatus::Reserved, ChargePointStatus::Unavailable, ChargePointStatus::Faulted];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargePointStatus::Available => "Available",
            ChargePointStatus::Preparing => "Preparing",
            ChargePointStatus::Charging => "Charging",
            ChargePointStatus::SuspendedEVSE => "SuspendedEVSE",
            ChargePointStatus::SuspendedEV => "SuspendedEV",
            ChargePointStatus::Finishing => "Finishing",
            ChargePointStatus::Reserved => "Reserved",
            ChargePointStatus::Unavailable => "Unavailable",
            ChargePointStatus::Faulted => "Faulted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingProfile {
    #[serde(rename = "chargingProfileId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub charging_profile_id: i64,
    #[serde(rename = "chargingProfileKind")]
    pub charging_profile_kind: ChargingProfileKindType,
    #[serde(rename = "chargingProfilePurpose")]
    pub charging_profile_purpose: ChargingProfilePurposeType,
    #[serde(rename = "chargingSchedule")]
    pub charging_schedule: ChargingSchedule,
    #[serde(rename = "recurrencyKind", default, skip_serializing_if = "Option::is_none")]
    pub recurrency_kind: Option<RecurrencyKindType>,
    #[serde(rename = "stackLevel", deserialize_with = "crate::ocpp::types::de_integer")]
    pub stack_level: i64,
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub transaction_id: Option<i64>,
    #[serde(rename = "validFrom", default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime>,
    #[serde(rename = "validTo", default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<DateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfileKindType {
    #[serde(rename = "Absolute")]
    Absolute,
    #[serde(rename = "Recurring")]
    Recurring,
    #[serde(rename = "Relative")]
    Relative,
}

impl ChargingProfileKindType {
    pub const ALL: [ChargingProfileKindType; 3] = [ChargingProfileKindType::Absolute, ChargingProfileKindType::Recurring, ChargingProfileKindType::Relative];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfileKindType::Absolute => "Absolute",
            ChargingProfileKindType::Recurring => "Recurring",
            ChargingProfileKindType::Relative => "Relative",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfilePurposeType {
    #[serde(rename = "ChargePointMaxProfile")]
    ChargePointMaxProfile,
    #[serde(rename = "TxDefaultProfile")]
    TxDefaultProfile,
    #[serde(rename = "TxProfile")]
    TxProfile,
}

impl ChargingProfilePurposeType {
    pub const ALL: [ChargingProfilePurposeType; 3] = [ChargingProfilePurposeType::ChargePointMaxProfile, ChargingProfilePurposeType::TxDefaultProfile, ChargingProfilePurposeType::TxProfile];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfilePurposeType::ChargePointMaxProfile => "ChargePointMaxProfile",
            ChargingProfilePurposeType::TxDefaultProfile => "TxDefaultProfile",
            ChargingProfilePurposeType::TxProfile => "TxProfile",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfileStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotSupported")]
    NotSupported,
}

impl ChargingProfileStatus {
    pub const ALL: [ChargingProfileStatus; 3] = [ChargingProfileStatus::Accepted, ChargingProfileStatus::Rejected, ChargingProfileStatus::NotSupported];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfileStatus::Accepted => "Accepted",
            ChargingProfileStatus::Rejected => "Rejected",
            ChargingProfileStatus::NotSupported => "NotSupported",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingRateUnitType {
    #[serde(rename = "A")]
    A,
    #[serde(rename = "W")]
    W,
}

impl ChargingRateUnitType {
    pub const ALL: [ChargingRateUnitType; 2] = [ChargingRateUnitType::A, ChargingRateUnitType::W];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingRateUnitType::A => "A",
            ChargingRateUnitType::W => "W",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingSchedule {
    #[serde(rename = "chargingRateUnit")]
    pub charging_rate_unit: ChargingRateUnitType,
    #[serde(rename = "chargingSchedulePeriod")]
    pub charging_schedule_period: Vec<ChargingSchedulePeriod>,
    #[serde(rename = "duration", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub duration: Option<i64>,
    #[serde(rename = "minChargingRate", default, skip_serializing_if = "Option::is_none")]
    pub min_charging_rate: Option<f64>,
    #[serde(rename = "startSchedule", default, skip_serializing_if = "Option::is_none")]
    pub start_schedule: Option<DateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingSchedulePeriod {
    #[serde(rename = "limit")]
    pub limit: f64,
    #[serde(rename = "numberPhases", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub number_phases: Option<i64>,
    #[serde(rename = "startPeriod", deserialize_with = "crate::ocpp::types::de_integer")]
    pub start_period: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearCacheRequest {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearCacheResponse {
    #[serde(rename = "status")]
    pub status: ClearCacheStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearCacheStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl ClearCacheStatus {
    pub const ALL: [ClearCacheStatus; 2] = [ClearCacheStatus::Accepted, ClearCacheStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearCacheStatus::Accepted => "Accepted",
            ClearCacheStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearChargingProfileRequest {
    #[serde(rename = "chargingProfilePurpose", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile_purpose: Option<ChargingProfilePurposeType>,
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub id: Option<i64>,
    #[serde(rename = "stackLevel", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub stack_level: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearChargingProfileResponse {
    #[serde(rename = "status")]
    pub status: ClearChargingProfileStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearChargingProfileStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl ClearChargingProfileStatus {
    pub const ALL: [ClearChargingProfileStatus; 2] = [ClearChargingProfileStatus::Accepted, ClearChargingProfileStatus::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearChargingProfileStatus::Accepted => "Accepted",
            ClearChargingProfileStatus::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConfigurationStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "RebootRequired")]
    RebootRequired,
    #[serde(rename = "NotSupported")]
    NotSupported,
}

impl ConfigurationStatus {
    pub const ALL: [ConfigurationStatus; 4] = [ConfigurationStatus::Accepted, ConfigurationStatus::Rejected, ConfigurationStatus::RebootRequired, ConfigurationStatus::NotSupported];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfigurationStatus::Accepted => "Accepted",
            ConfigurationStatus::Rejected => "Rejected",
            ConfigurationStatus::RebootRequired => "RebootRequired",
            ConfigurationStatus::NotSupported => "NotSupported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferRequest {
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(rename = "messageId", default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(rename = "vendorId")]
    pub vendor_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferResponse {
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(rename = "status")]
    pub status: DataTransferStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DataTransferStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "UnknownMessageId")]
    UnknownMessageId,
    #[serde(rename = "UnknownVendorId")]
    UnknownVendorId,
}

impl DataTransferStatus {
    pub const ALL: [DataTransferStatus; 4] = [DataTransferStatus::Accepted, DataTransferStatus::Rejected, DataTransferStatus::UnknownMessageId, DataTransferStatus::UnknownVendorId];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataTransferStatus::Accepted => "Accepted",
            DataTransferStatus::Rejected => "Rejected",
            DataTransferStatus::UnknownMessageId => "UnknownMessageId",
            DataTransferStatus::UnknownVendorId => "UnknownVendorId",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCertificateRequest {
    #[serde(rename = "certificateHashData")]
    pub certificate_hash_data: CertificateHashData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCertificateResponse {
    #[serde(rename = "status")]
    pub status: DeleteCertificateStatusEnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DeleteCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
    #[serde(rename = "NotFound")]
    NotFound,
}

impl DeleteCertificateStatusEnum {
    pub const ALL: [DeleteCertificateStatusEnum; 3] = [DeleteCertificateStatusEnum::Accepted, DeleteCertificateStatusEnum::Failed, DeleteCertificateStatusEnum::NotFound];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeleteCertificateStatusEnum::Accepted => "Accepted",
            DeleteCertificateStatusEnum::Failed => "Failed",
            DeleteCertificateStatusEnum::NotFound => "NotFound",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DiagnosticsStatus {
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "Uploaded")]
    Uploaded,
    #[serde(rename = "UploadFailed")]
    UploadFailed,
    #[serde(rename = "Uploading")]
    Uploading,
}

impl DiagnosticsStatus {
    pub const ALL: [DiagnosticsStatus; 4] = [DiagnosticsStatus::Idle, DiagnosticsStatus::Uploaded, DiagnosticsStatus::UploadFailed, DiagnosticsStatus::Uploading];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DiagnosticsStatus::Idle => "Idle",
            DiagnosticsStatus::Uploaded => "Uploaded",
            DiagnosticsStatus::UploadFailed => "UploadFailed",
            DiagnosticsStatus::Uploading => "Uploading",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationRequest {
    #[serde(rename = "status")]
    pub status: DiagnosticsStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationResponse {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendedTriggerMessageRequest {
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "requestedMessage")]
    pub requested_message: MessageTriggerEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendedTriggerMessageResponse {
    #[serde(rename = "status")]
    pub status: TriggerMessageStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firmware {
    #[serde(rename = "installDateTime", default, skip_serializing_if = "Option::is_none")]
    pub install_date_time: Option<DateTime>,
    #[serde(rename = "location")]
    pub location: String,
    #[serde(rename = "retrieveDateTime")]
    pub retrieve_date_time: DateTime,
    #[serde(rename = "signature")]
    pub signature: String,
    #[serde(rename = "signingCertificate")]
    pub signing_certificate: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FirmwareStatus {
    #[serde(rename = "Downloaded")]
    Downloaded,
    #[serde(rename = "DownloadFailed")]
    DownloadFailed,
    #[serde(rename = "Downloading")]
    Downloading,
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "InstallationFailed")]
    InstallationFailed,
    #[serde(rename = "Installing")]
    Installing,
    #[serde(rename = "Installed")]
    Installed,
}

impl FirmwareStatus {
    pub const ALL: [FirmwareStatus; 7] = [FirmwareStatus::Downloaded, FirmwareStatus::DownloadFailed, FirmwareStatus::Downloading, FirmwareStatus::Idle, FirmwareStatus::InstallationFailed, FirmwareStatus::Installing, FirmwareStatus::Installed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            FirmwareStatus::Downloaded => "Downloaded",
            FirmwareStatus::DownloadFailed => "DownloadFailed",
            FirmwareStatus::Downloading => "Downloading",
            FirmwareStatus::Idle => "Idle",
            FirmwareStatus::InstallationFailed => "InstallationFailed",
            FirmwareStatus::Installing => "Installing",
            FirmwareStatus::Installed => "Installed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FirmwareStatusEnum {
    #[serde(rename = "Downloaded")]
    Downloaded,
    #[serde(rename = "DownloadFailed")]
    DownloadFailed,
    #[serde(rename = "Downloading")]
    Downloading,
    #[serde(rename = "DownloadScheduled")]
    DownloadScheduled,
    #[serde(rename = "DownloadPaused")]
    DownloadPaused,
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "InstallationFailed")]
    InstallationFailed,
    #[serde(rename = "Installing")]
    Installing,
    #[serde(rename = "Installed")]
    Installed,
    #[serde(rename = "InstallRebooting")]
    InstallRebooting,
    #[serde(rename = "InstallScheduled")]
    InstallScheduled,
    #[serde(rename = "InstallVerificationFailed")]
    InstallVerificationFailed,
    #[serde(rename = "InvalidSignature")]
    InvalidSignature,
    #[serde(rename = "SignatureVerified")]
    SignatureVerified,
}

impl FirmwareStatusEnum {
    pub const ALL: [FirmwareStatusEnum; 14] = [FirmwareStatusEnum::Downloaded, FirmwareStatusEnum::DownloadFailed, FirmwareStatusEnum::Downloading, FirmwareStatusEnum::DownloadScheduled, FirmwareStatusEnum::DownloadPaused, FirmwareStatusEnum::Idle, FirmwareStatusEnum::InstallationFailed, FirmwareStatusEnum::Installing, FirmwareStatusEnum::Installed, FirmwareStatusEnum::InstallRebooting, FirmwareStatusEnum::InstallScheduled, FirmwareStatusEnum::InstallVerificationFailed, FirmwareStatusEnum::InvalidSignature, FirmwareStatusEnum::SignatureVerified];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            FirmwareStatusEnum::Downloaded => "Downloaded",
            FirmwareStatusEnum::DownloadFailed => "DownloadFailed",
            FirmwareStatusEnum::Downloading => "Downloading",
            FirmwareStatusEnum::DownloadScheduled => "DownloadScheduled",
            FirmwareStatusEnum::DownloadPaused => "DownloadPaused",
            FirmwareStatusEnum::Idle => "Idle",
            FirmwareStatusEnum::InstallationFailed => "InstallationFailed",
            FirmwareStatusEnum::Installing => "Installing",
            FirmwareStatusEnum::Installed => "Installed",
            FirmwareStatusEnum::InstallRebooting => "InstallRebooting",
            FirmwareStatusEnum::InstallScheduled => "InstallScheduled",
            FirmwareStatusEnum::InstallVerificationFailed => "InstallVerificationFailed",
            FirmwareStatusEnum::InvalidSignature => "InvalidSignature",
            FirmwareStatusEnum::SignatureVerified => "SignatureVerified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareStatusNotificationRequest {
    #[serde(rename = "status")]
    pub status: FirmwareStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareStatusNotificationResponse {
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GenericStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl GenericStatusEnum {
    pub const ALL: [GenericStatusEnum; 2] = [GenericStatusEnum::Accepted, GenericStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GenericStatusEnum::Accepted => "Accepted",
            GenericStatusEnum::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCompositeScheduleRequest {
    #[serde(rename = "chargingRateUnit", default, skip_serializing_if = "Option::is_none")]
    pub charging_rate_unit: Option<ChargingRateUnitType>,
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "duration", deserialize_with = "crate::ocpp::types::de_integer")]
    pub duration: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCompositeScheduleResponse {
    #[serde(rename = "chargingSchedule", default, skip_serializing_if = "Option::is_none")]
    pub charging_schedule: Option<ChargingSchedule>,
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "scheduleStart", default, skip_serializing_if = "Option::is_none")]
    pub schedule_start: Option<DateTime>,
    #[serde(rename = "status")]
    pub status: GetCompositeScheduleStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetCompositeScheduleStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl GetCompositeScheduleStatus {
    pub const ALL: [GetCompositeScheduleStatus; 2] = [GetCompositeScheduleStatus::Accepted, GetCompositeScheduleStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetCompositeScheduleStatus::Accepted => "Accepted",
            GetCompositeScheduleStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetConfigurationRequest {
    #[serde(rename = "key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetConfigurationResponse {
    #[serde(rename = "configurationKey", default, skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<Vec<KeyValue>>,
    #[serde(rename = "unknownKey", default, skip_serializing_if = "Option::is_none")]
    pub unknown_key: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetDiagnosticsRequest {
    #[serde(rename = "location")]
    pub location: String,
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
    #[serde(rename = "startTime", default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime>,
    #[serde(rename = "stopTime", default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<DateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetDiagnosticsResponse {
    #[serde(rename = "fileName", default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetInstalledCertificateIdsRequest {
    #[serde(rename = "certificateType")]
    pub certificate_type: CertificateUseEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetInstalledCertificateIdsResponse {
    #[serde(rename = "certificateHashData", default, skip_serializing_if = "Option::is_none")]
    pub certificate_hash_data: Option<Vec<CertificateHashData>>,
    #[serde(rename = "status")]
    pub status: GetInstalledCertificateStatusEnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetInstalledCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "NotFound")]
    NotFound,
}

impl GetInstalledCertificateStatusEnum {
    pub const ALL: [GetInstalledCertificateStatusEnum; 2] = [GetInstalledCertificateStatusEnum::Accepted, GetInstalledCertificateStatusEnum::NotFound];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetInstalledCertificateStatusEnum::Accepted => "Accepted",
            GetInstalledCertificateStatusEnum::NotFound => "NotFound",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLocalListVersionRequest {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLocalListVersionResponse {
    #[serde(rename = "listVersion", deserialize_with = "crate::ocpp::types::de_integer")]
    pub list_version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLogRequest {
    #[serde(rename = "log")]
    pub log: LogParameters,
    #[serde(rename = "logType")]
    pub log_type: LogEnum,
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLogResponse {
    #[serde(rename = "filename", default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(rename = "status")]
    pub status: LogStatusEnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HashAlgorithmEnum {
    #[serde(rename = "SHA256")]
    SHA256,
    #[serde(rename = "SHA384")]
    SHA384,
    #[serde(rename = "SHA512")]
    SHA512,
}

impl HashAlgorithmEnum {
    pub const ALL: [HashAlgorithmEnum; 3] = [HashAlgorithmEnum::SHA256, HashAlgorithmEnum::SHA384, HashAlgorithmEnum::SHA512];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            HashAlgorithmEnum::SHA256 => "SHA256",
            HashAlgorithmEnum::SHA384 => "SHA384",
            HashAlgorithmEnum::SHA512 => "SHA512",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatResponse {
    #[serde(rename = "currentTime")]
    pub current_time: DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTagInfo {
    #[serde(rename = "expiryDate", default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<DateTime>,
    #[serde(rename = "parentIdTag", default, skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
    #[serde(rename = "status")]
    pub status: AuthorizationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallCertificateRequest {
    #[serde(rename = "certificate")]
    pub certificate: String,
    #[serde(rename = "certificateType")]
    pub certificate_type: CertificateUseEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallCertificateResponse {
    #[serde(rename = "status")]
    pub status: InstallCertificateStatusEnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InstallCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl InstallCertificateStatusEnum {
    pub const ALL: [InstallCertificateStatusEnum; 3] = [InstallCertificateStatusEnum::Accepted, InstallCertificateStatusEnum::Failed, InstallCertificateStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            InstallCertificateStatusEnum::Accepted => "Accepted",
            InstallCertificateStatusEnum::Failed => "Failed",
            InstallCertificateStatusEnum::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    #[serde(rename = "key")]
    pub key: String,
    #[serde(rename = "readonly")]
    pub readonly: bool,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Location {
    #[serde(rename = "Cable")]
    Cable,
    #[serde(rename = "EV")]
    EV,
    #[serde(rename = "Inlet")]
    Inlet,
    #[serde(rename = "Outlet")]
    Outlet,
    #[serde(rename = "Body")]
    Body,
}

impl Location {
    pub const ALL: [Location; 5] = [Location::Cable, Location::EV, Location::Inlet, Location::Outlet, Location::Body];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Location::Cable => "Cable",
            Location::EV => "EV",
            Location::Inlet => "Inlet",
            Location::Outlet => "Outlet",
            Location::Body => "Body",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LogEnum {
    #[serde(rename = "DiagnosticsLog")]
    DiagnosticsLog,
    #[serde(rename = "SecurityLog")]
    SecurityLog,
}

impl LogEnum {
    pub const ALL: [LogEnum; 2] = [LogEnum::DiagnosticsLog, LogEnum::SecurityLog];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogEnum::DiagnosticsLog => "DiagnosticsLog",
            LogEnum::SecurityLog => "SecurityLog",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogParameters {
    #[serde(rename = "latestTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub latest_timestamp: Option<DateTime>,
    #[serde(rename = "oldestTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub oldest_timestamp: Option<DateTime>,
    #[serde(rename = "remoteLocation")]
    pub remote_location: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LogStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "AcceptedCanceled")]
    AcceptedCanceled,
}

impl LogStatusEnum {
    pub const ALL: [LogStatusEnum; 3] = [LogStatusEnum::Accepted, LogStatusEnum::Rejected, LogStatusEnum::AcceptedCanceled];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogStatusEnum::Accepted => "Accepted",
            LogStatusEnum::Rejected => "Rejected",
            LogStatusEnum::AcceptedCanceled => "AcceptedCanceled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogStatusNotificationRequest {
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub request_id: Option<i64>,
    #[serde(rename = "status")]
    pub status: UploadLogStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogStatusNotificationResponse {
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Measurand {
    #[serde(rename = "Energy.Active.Export.Register")]
    EnergyActiveExportRegister,
    #[serde(rename = "Energy.Active.Import.Register")]
    EnergyActiveImportRegister,
    #[serde(rename = "Energy.Reactive.Export.Register")]
    EnergyReactiveExportRegister,
    #[serde(rename = "Energy.Reactive.Import.Register")]
    EnergyReactiveImportRegister,
    #[serde(rename = "Energy.Active.Export.Interval")]
    EnergyActiveExportInterval,
    #[serde(rename = "Energy.Active.Import.Interval")]
    EnergyActiveImportInterval,
    #[serde(rename = "Energy.Reactive.Export.Interval")]
    EnergyReactiveExportInterval,
    #[serde(rename = "Energy.Reactive.Import.Interval")]
    EnergyReactiveImportInterval,
    #[serde(rename = "Power.Active.Export")]
    PowerActiveExport,
    #[serde(rename = "Power.Active.Import")]
    PowerActiveImport,
    #[serde(rename = "Power.Offered")]
    PowerOffered,
    #[serde(rename = "Power.Reactive.Export")]
    PowerReactiveExport,
    #[serde(rename = "Power.Reactive.Import")]
    PowerReactiveImport,
    #[serde(rename = "Power.Factor")]
    PowerFactor,
    #[serde(rename = "Current.Import")]
    CurrentImport,
    #[serde(rename = "Current.Export")]
    CurrentExport,
    #[serde(rename = "Current.Offered")]
    CurrentOffered,
    #[serde(rename = "Voltage")]
    Voltage,
    #[serde(rename = "Frequency")]
    Frequency,
    #[serde(rename = "Temperature")]
    Temperature,
    #[serde(rename = "SoC")]
    SoC,
    #[serde(rename = "RPM")]
    RPM,
}

impl Measurand {
    pub const ALL: [Measurand; 22] = [Measurand::EnergyActiveExportRegister, Measurand::EnergyActiveImportRegister, Measurand::EnergyReactiveExportRegister, Measurand::EnergyReactiveImportRegister, Measurand::EnergyActiveExportInterval, Measurand::EnergyActiveImportInterval, Measurand::EnergyReactiveExportInterval, Measurand::EnergyReactiveImportInterval, Measurand::PowerActiveExport, Measurand::PowerActiveImport, Measurand::PowerOffered, Measurand::PowerReactiveExport, Measurand::PowerReactiveImport, Measurand::PowerFactor, Measurand::CurrentImport, Measurand::CurrentExport, Measurand::CurrentOffered, Measurand::Voltage, Measurand::Frequency, Measurand::Temperature, Measurand::SoC, Measurand::RPM];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Measurand::EnergyActiveExportRegister => "Energy.Active.Export.Register",
            Measurand::EnergyActiveImportRegister => "Energy.Active.Import.Register",
            Measurand::EnergyReactiveExportRegister => "Energy.Reactive.Export.Register",
            Measurand::EnergyReactiveImportRegister => "Energy.Reactive.Import.Register",
            Measurand::EnergyActiveExportInterval => "Energy.Active.Export.Interval",
            Measurand::EnergyActiveImportInterval => "Energy.Active.Import.Interval",
            Measurand::EnergyReactiveExportInterval => "Energy.Reactive.Export.Interval",
            Measurand::EnergyReactiveImportInterval => "Energy.Reactive.Import.Interval",
            Measurand::PowerActiveExport => "Power.Active.Export",
            Measurand::PowerActiveImport => "Power.Active.Import",
            Measurand::PowerOffered => "Power.Offered",
            Measurand::PowerReactiveExport => "Power.Reactive.Export",
            Measurand::PowerReactiveImport => "Power.Reactive.Import",
            Measurand::PowerFactor => "Power.Factor",
            Measurand::CurrentImport => "Current.Import",
            Measurand::CurrentExport => "Current.Export",
            Measurand::CurrentOffered => "Current.Offered",
            Measurand::Voltage => "Voltage",
            Measurand::Frequency => "Frequency",
            Measurand::Temperature => "Temperature",
            Measurand::SoC => "SoC",
            Measurand::RPM => "RPM",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessageTrigger {
    #[serde(rename = "BootNotification")]
    BootNotification,
    #[serde(rename = "DiagnosticsStatusNotification")]
    DiagnosticsStatusNotification,
    #[serde(rename = "FirmwareStatusNotification")]
    FirmwareStatusNotification,
    #[serde(rename = "Heartbeat")]
    Heartbeat,
    #[serde(rename = "MeterValues")]
    MeterValues,
    #[serde(rename = "StatusNotification")]
    StatusNotification,
}

impl MessageTrigger {
    pub const ALL: [MessageTrigger; 6] = [MessageTrigger::BootNotification, MessageTrigger::DiagnosticsStatusNotification, MessageTrigger::FirmwareStatusNotification, MessageTrigger::Heartbeat, MessageTrigger::MeterValues, MessageTrigger::StatusNotification];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageTrigger::BootNotification => "BootNotification",
            MessageTrigger::DiagnosticsStatusNotification => "DiagnosticsStatusNotification",
            MessageTrigger::FirmwareStatusNotification => "FirmwareStatusNotification",
            MessageTrigger::Heartbeat => "Heartbeat",
            MessageTrigger::MeterValues => "MeterValues",
            MessageTrigger::StatusNotification => "StatusNotification",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessageTriggerEnum {
    #[serde(rename = "BootNotification")]
    BootNotification,
    #[serde(rename = "LogStatusNotification")]
    LogStatusNotification,
    #[serde(rename = "FirmwareStatusNotification")]
    FirmwareStatusNotification,
    #[serde(rename = "Heartbeat")]
    Heartbeat,
    #[serde(rename = "MeterValues")]
    MeterValues,
    #[serde(rename = "SignChargePointCertificate")]
    SignChargePointCertificate,
    #[serde(rename = "StatusNotification")]
    StatusNotification,
}

impl MessageTriggerEnum {
    pub const ALL: [MessageTriggerEnum; 7] = [MessageTriggerEnum::BootNotification, MessageTriggerEnum::LogStatusNotification, MessageTriggerEnum::FirmwareStatusNotification, MessageTriggerEnum::Heartbeat, MessageTriggerEnum::MeterValues, MessageTriggerEnum::SignChargePointCertificate, MessageTriggerEnum::StatusNotification];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageTriggerEnum::BootNotification => "BootNotification",
            MessageTriggerEnum::LogStatusNotification => "LogStatusNotification",
            MessageTriggerEnum::FirmwareStatusNotification => "FirmwareStatusNotification",
            MessageTriggerEnum::Heartbeat => "Heartbeat",
            MessageTriggerEnum::MeterValues => "MeterValues",
            MessageTriggerEnum::SignChargePointCertificate => "SignChargePointCertificate",
            MessageTriggerEnum::StatusNotification => "StatusNotification",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValue {
    #[serde(rename = "sampledValue")]
    pub sampled_value: Vec<SampledValue>,
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValuesRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "meterValue")]
    pub meter_value: Vec<MeterValue>,
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub transaction_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValuesResponse {
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    #[serde(rename = "L1")]
    L1,
    #[serde(rename = "L2")]
    L2,
    #[serde(rename = "L3")]
    L3,
    #[serde(rename = "N")]
    N,
    #[serde(rename = "L1-N")]
    L1N,
    #[serde(rename = "L2-N")]
    L2N,
    #[serde(rename = "L3-N")]
    L3N,
    #[serde(rename = "L1-L2")]
    L1L2,
    #[serde(rename = "L2-L3")]
    L2L3,
    #[serde(rename = "L3-L1")]
    L3L1,
}

impl Phase {
    pub const ALL: [Phase; 10] = [Phase::L1, Phase::L2, Phase::L3, Phase::N, Phase::L1N, Phase::L2N, Phase::L3N, Phase::L1L2, Phase::L2L3, Phase::L3L1];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::L1 => "L1",
            Phase::L2 => "L2",
            Phase::L3 => "L3",
            Phase::N => "N",
            Phase::L1N => "L1-N",
            Phase::L2N => "L2-N",
            Phase::L3N => "L3-N",
            Phase::L1L2 => "L1-L2",
            Phase::L2L3 => "L2-L3",
            Phase::L3L1 => "L3-L1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReadingContext {
    #[serde(rename = "Interruption.Begin")]
    InterruptionBegin,
    #[serde(rename = "Interruption.End")]
    InterruptionEnd,
    #[serde(rename = "Sample.Clock")]
    SampleClock,
    #[serde(rename = "Sample.Periodic")]
    SamplePeriodic,
    #[serde(rename = "Transaction.Begin")]
    TransactionBegin,
    #[serde(rename = "Transaction.End")]
    TransactionEnd,
    #[serde(rename = "Trigger")]
    Trigger,
    #[serde(rename = "Other")]
    Other,
}

impl ReadingContext {
    pub const ALL: [ReadingContext; 8] = [ReadingContext::InterruptionBegin, ReadingContext::InterruptionEnd, ReadingContext::SampleClock, ReadingContext::SamplePeriodic, ReadingContext::TransactionBegin, ReadingContext::TransactionEnd, ReadingContext::Trigger, ReadingContext::Other];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadingContext::InterruptionBegin => "Interruption.Begin",
            ReadingContext::InterruptionEnd => "Interruption.End",
            ReadingContext::SampleClock => "Sample.Clock",
            ReadingContext::SamplePeriodic => "Sample.Periodic",
            ReadingContext::TransactionBegin => "Transaction.Begin",
            ReadingContext::TransactionEnd => "Transaction.End",
            ReadingContext::Trigger => "Trigger",
            ReadingContext::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Reason {
    #[serde(rename = "EmergencyStop")]
    EmergencyStop,
    #[serde(rename = "EVDisconnected")]
    EVDisconnected,
    #[serde(rename = "HardReset")]
    HardReset,
    #[serde(rename = "Local")]
    Local,
    #[serde(rename = "Other")]
    Other,
    #[serde(rename = "PowerLoss")]
    PowerLoss,
    #[serde(rename = "Reboot")]
    Reboot,
    #[serde(rename = "Remote")]
    Remote,
    #[serde(rename = "SoftReset")]
    SoftReset,
    #[serde(rename = "UnlockCommand")]
    UnlockCommand,
    #[serde(rename = "DeAuthorized")]
    DeAuthorized,
}

impl Reason {
    pub const ALL: [Reason; 11] = [Reason::EmergencyStop, Reason::EVDisconnected, Reason::HardReset, Reason::Local, Reason::Other, Reason::PowerLoss, Reason::Reboot, Reason::Remote, Reason::SoftReset, Reason::UnlockCommand, Reason::DeAuthorized];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::EmergencyStop => "EmergencyStop",
            Reason::EVDisconnected => "EVDisconnected",
            Reason::HardReset => "HardReset",
            Reason::Local => "Local",
            Reason::Other => "Other",
            Reason::PowerLoss => "PowerLoss",
            Reason::Reboot => "Reboot",
            Reason::Remote => "Remote",
            Reason::SoftReset => "SoftReset",
            Reason::UnlockCommand => "UnlockCommand",
            Reason::DeAuthorized => "DeAuthorized",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecurrencyKindType {
    #[serde(rename = "Daily")]
    Daily,
    #[serde(rename = "Weekly")]
    Weekly,
}

impl RecurrencyKindType {
    pub const ALL: [RecurrencyKindType; 2] = [RecurrencyKindType::Daily, RecurrencyKindType::Weekly];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecurrencyKindType::Daily => "Daily",
            RecurrencyKindType::Weekly => "Weekly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegistrationStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Pending")]
    Pending,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 3] = [RegistrationStatus::Accepted, RegistrationStatus::Pending, RegistrationStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Accepted => "Accepted",
            RegistrationStatus::Pending => "Pending",
            RegistrationStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RemoteStartStopStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl RemoteStartStopStatus {
    pub const ALL: [RemoteStartStopStatus; 2] = [RemoteStartStopStatus::Accepted, RemoteStartStopStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RemoteStartStopStatus::Accepted => "Accepted",
            RemoteStartStopStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteStartTransactionRequest {
    #[serde(rename = "chargingProfile", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile: Option<ChargingProfile>,
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "idTag")]
    pub id_tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteStartTransactionResponse {
    #[serde(rename = "status")]
    pub status: RemoteStartStopStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteStopTransactionRequest {
    #[serde(rename = "transactionId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub transaction_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteStopTransactionResponse {
    #[serde(rename = "status")]
    pub status: RemoteStartStopStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReservationStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Faulted")]
    Faulted,
    #[serde(rename = "Occupied")]
    Occupied,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Unavailable")]
    Unavailable,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 5] = [ReservationStatus::Accepted, ReservationStatus::Faulted, ReservationStatus::Occupied, ReservationStatus::Rejected, ReservationStatus::Unavailable];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Accepted => "Accepted",
            ReservationStatus::Faulted => "Faulted",
            ReservationStatus::Occupied => "Occupied",
            ReservationStatus::Rejected => "Rejected",
            ReservationStatus::Unavailable => "Unavailable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveNowRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "expiryDate")]
    pub expiry_date: DateTime,
    #[serde(rename = "idTag")]
    pub id_tag: String,
    #[serde(rename = "parentIdTag", default, skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
    #[serde(rename = "reservationId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub reservation_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveNowResponse {
    #[serde(rename = "status")]
    pub status: ReservationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[serde(rename = "type")]
    pub r#type: ResetType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetResponse {
    #[serde(rename = "status")]
    pub status: ResetStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResetStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl ResetStatus {
    pub const ALL: [ResetStatus; 2] = [ResetStatus::Accepted, ResetStatus::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResetStatus::Accepted => "Accepted",
            ResetStatus::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResetType {
    #[serde(rename = "Hard")]
    Hard,
    #[serde(rename = "Soft")]
    Soft,
}

impl ResetType {
    pub const ALL: [ResetType; 2] = [ResetType::Hard, ResetType::Soft];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResetType::Hard => "Hard",
            ResetType::Soft => "Soft",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampledValue {
    #[serde(rename = "context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ReadingContext>,
    #[serde(rename = "format", default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ValueFormat>,
    #[serde(rename = "location", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(rename = "measurand", default, skip_serializing_if = "Option::is_none")]
    pub measurand: Option<Measurand>,
    #[serde(rename = "phase", default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(rename = "unit", default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitOfMeasure>,
    #[serde(rename = "value")]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEventNotificationRequest {
    #[serde(rename = "techInfo", default, skip_serializing_if = "Option::is_none")]
    pub tech_info: Option<String>,
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
    #[serde(rename = "type")]
    pub r#type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEventNotificationResponse {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendLocalListRequest {
    #[serde(rename = "listVersion", deserialize_with = "crate::ocpp::types::de_integer")]
    pub list_version: i64,
    #[serde(rename = "localAuthorizationList", default, skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<AuthorizationData>>,
    #[serde(rename = "updateType")]
    pub update_type: UpdateType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendLocalListResponse {
    #[serde(rename = "status")]
    pub status: UpdateStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetChargingProfileRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "csChargingProfiles")]
    pub cs_charging_profiles: ChargingProfile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetChargingProfileResponse {
    #[serde(rename = "status")]
    pub status: ChargingProfileStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCertificateRequest {
    #[serde(rename = "csr")]
    pub csr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCertificateResponse {
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedFirmwareStatusNotificationRequest {
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub request_id: Option<i64>,
    #[serde(rename = "status")]
    pub status: FirmwareStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedFirmwareStatusNotificationResponse {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedUpdateFirmwareRequest {
    #[serde(rename = "firmware")]
    pub firmware: Firmware,
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedUpdateFirmwareResponse {
    #[serde(rename = "status")]
    pub status: UpdateFirmwareStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartTransactionRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "idTag")]
    pub id_tag: String,
    #[serde(rename = "meterStart", deserialize_with = "crate::ocpp::types::de_integer")]
    pub meter_start: i64,
    #[serde(rename = "reservationId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub reservation_id: Option<i64>,
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartTransactionResponse {
    #[serde(rename = "idTagInfo")]
    pub id_tag_info: IdTagInfo,
    #[serde(rename = "transactionId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub transaction_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusNotificationRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "errorCode")]
    pub error_code: ChargePointErrorCode,
    #[serde(rename = "info", default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    #[serde(rename = "status")]
    pub status: ChargePointStatus,
    #[serde(rename = "timestamp", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime>,
    #[serde(rename = "vendorErrorCode", default, skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<String>,
    #[serde(rename = "vendorId", default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusNotificationResponse {
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopTransactionRequest {
    #[serde(rename = "idTag", default, skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<String>,
    #[serde(rename = "meterStop", deserialize_with = "crate::ocpp::types::de_integer")]
    pub meter_stop: i64,
    #[serde(rename = "reason", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
    #[serde(rename = "transactionData", default, skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<MeterValue>>,
    #[serde(rename = "transactionId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub transaction_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopTransactionResponse {
    #[serde(rename = "idTagInfo", default, skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerMessageRequest {
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "requestedMessage")]
    pub requested_message: MessageTrigger,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerMessageResponse {
    #[serde(rename = "status")]
    pub status: TriggerMessageStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TriggerMessageStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotImplemented")]
    NotImplemented,
}

impl TriggerMessageStatus {
    pub const ALL: [TriggerMessageStatus; 3] = [TriggerMessageStatus::Accepted, TriggerMessageStatus::Rejected, TriggerMessageStatus::NotImplemented];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            TriggerMessageStatus::Accepted => "Accepted",
            TriggerMessageStatus::Rejected => "Rejected",
            TriggerMessageStatus::NotImplemented => "NotImplemented",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TriggerMessageStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotImplemented")]
    NotImplemented,
}

impl TriggerMessageStatusEnum {
    pub const ALL: [TriggerMessageStatusEnum; 3] = [TriggerMessageStatusEnum::Accepted, TriggerMessageStatusEnum::Rejected, TriggerMessageStatusEnum::NotImplemented];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            TriggerMessageStatusEnum::Accepted => "Accepted",
            TriggerMessageStatusEnum::Rejected => "Rejected",
            TriggerMessageStatusEnum::NotImplemented => "NotImplemented",
        }
    }
}

/// The union of its schemas' lists: narrower at StopTransactionRequest.transactionData[].sampledValue[].unit (the validator holds each message to its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UnitOfMeasure {
    #[serde(rename = "Wh")]
    Wh,
    #[serde(rename = "kWh")]
    KWh,
    #[serde(rename = "varh")]
    Varh,
    #[serde(rename = "kvarh")]
    Kvarh,
    #[serde(rename = "W")]
    W,
    #[serde(rename = "kW")]
    KW,
    #[serde(rename = "VA")]
    VA,
    #[serde(rename = "kVA")]
    KVA,
    #[serde(rename = "var")]
    Var,
    #[serde(rename = "kvar")]
    Kvar,
    #[serde(rename = "A")]
    A,
    #[serde(rename = "V")]
    V,
    #[serde(rename = "K")]
    K,
    #[serde(rename = "Celcius")]
    Celcius,
    #[serde(rename = "Celsius")]
    Celsius,
    #[serde(rename = "Fahrenheit")]
    Fahrenheit,
    #[serde(rename = "Percent")]
    Percent,
    #[serde(rename = "Hertz")]
    Hertz,
}

impl UnitOfMeasure {
    pub const ALL: [UnitOfMeasure; 18] = [UnitOfMeasure::Wh, UnitOfMeasure::KWh, UnitOfMeasure::Varh, UnitOfMeasure::Kvarh, UnitOfMeasure::W, UnitOfMeasure::KW, UnitOfMeasure::VA, UnitOfMeasure::KVA, UnitOfMeasure::Var, UnitOfMeasure::Kvar, UnitOfMeasure::A, UnitOfMeasure::V, UnitOfMeasure::K, UnitOfMeasure::Celcius, UnitOfMeasure::Celsius, UnitOfMeasure::Fahrenheit, UnitOfMeasure::Percent, UnitOfMeasure::Hertz];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnitOfMeasure::Wh => "Wh",
            UnitOfMeasure::KWh => "kWh",
            UnitOfMeasure::Varh => "varh",
            UnitOfMeasure::Kvarh => "kvarh",
            UnitOfMeasure::W => "W",
            UnitOfMeasure::KW => "kW",
            UnitOfMeasure::VA => "VA",
            UnitOfMeasure::KVA => "kVA",
            UnitOfMeasure::Var => "var",
            UnitOfMeasure::Kvar => "kvar",
            UnitOfMeasure::A => "A",
            UnitOfMeasure::V => "V",
            UnitOfMeasure::K => "K",
            UnitOfMeasure::Celcius => "Celcius",
            UnitOfMeasure::Celsius => "Celsius",
            UnitOfMeasure::Fahrenheit => "Fahrenheit",
            UnitOfMeasure::Percent => "Percent",
            UnitOfMeasure::Hertz => "Hertz",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockConnectorRequest {
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockConnectorResponse {
    #[serde(rename = "status")]
    pub status: UnlockStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UnlockStatus {
    #[serde(rename = "Unlocked")]
    Unlocked,
    #[serde(rename = "UnlockFailed")]
    UnlockFailed,
    #[serde(rename = "NotSupported")]
    NotSupported,
}

impl UnlockStatus {
    pub const ALL: [UnlockStatus; 3] = [UnlockStatus::Unlocked, UnlockStatus::UnlockFailed, UnlockStatus::NotSupported];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnlockStatus::Unlocked => "Unlocked",
            UnlockStatus::UnlockFailed => "UnlockFailed",
            UnlockStatus::NotSupported => "NotSupported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirmwareRequest {
    #[serde(rename = "location")]
    pub location: String,
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    #[serde(rename = "retrieveDate")]
    pub retrieve_date: DateTime,
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirmwareResponse {
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UpdateFirmwareStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "AcceptedCanceled")]
    AcceptedCanceled,
    #[serde(rename = "InvalidCertificate")]
    InvalidCertificate,
    #[serde(rename = "RevokedCertificate")]
    RevokedCertificate,
}

impl UpdateFirmwareStatusEnum {
    pub const ALL: [UpdateFirmwareStatusEnum; 5] = [UpdateFirmwareStatusEnum::Accepted, UpdateFirmwareStatusEnum::Rejected, UpdateFirmwareStatusEnum::AcceptedCanceled, UpdateFirmwareStatusEnum::InvalidCertificate, UpdateFirmwareStatusEnum::RevokedCertificate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateFirmwareStatusEnum::Accepted => "Accepted",
            UpdateFirmwareStatusEnum::Rejected => "Rejected",
            UpdateFirmwareStatusEnum::AcceptedCanceled => "AcceptedCanceled",
            UpdateFirmwareStatusEnum::InvalidCertificate => "InvalidCertificate",
            UpdateFirmwareStatusEnum::RevokedCertificate => "RevokedCertificate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UpdateStatus {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
    #[serde(rename = "NotSupported")]
    NotSupported,
    #[serde(rename = "VersionMismatch")]
    VersionMismatch,
}

impl UpdateStatus {
    pub const ALL: [UpdateStatus; 4] = [UpdateStatus::Accepted, UpdateStatus::Failed, UpdateStatus::NotSupported, UpdateStatus::VersionMismatch];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Accepted => "Accepted",
            UpdateStatus::Failed => "Failed",
            UpdateStatus::NotSupported => "NotSupported",
            UpdateStatus::VersionMismatch => "VersionMismatch",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UpdateType {
    #[serde(rename = "Differential")]
    Differential,
    #[serde(rename = "Full")]
    Full,
}

impl UpdateType {
    pub const ALL: [UpdateType; 2] = [UpdateType::Differential, UpdateType::Full];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateType::Differential => "Differential",
            UpdateType::Full => "Full",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UploadLogStatusEnum {
    #[serde(rename = "BadMessage")]
    BadMessage,
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "NotSupportedOperation")]
    NotSupportedOperation,
    #[serde(rename = "PermissionDenied")]
    PermissionDenied,
    #[serde(rename = "Uploaded")]
    Uploaded,
    #[serde(rename = "UploadFailure")]
    UploadFailure,
    #[serde(rename = "Uploading")]
    Uploading,
}

impl UploadLogStatusEnum {
    pub const ALL: [UploadLogStatusEnum; 7] = [UploadLogStatusEnum::BadMessage, UploadLogStatusEnum::Idle, UploadLogStatusEnum::NotSupportedOperation, UploadLogStatusEnum::PermissionDenied, UploadLogStatusEnum::Uploaded, UploadLogStatusEnum::UploadFailure, UploadLogStatusEnum::Uploading];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UploadLogStatusEnum::BadMessage => "BadMessage",
            UploadLogStatusEnum::Idle => "Idle",
            UploadLogStatusEnum::NotSupportedOperation => "NotSupportedOperation",
            UploadLogStatusEnum::PermissionDenied => "PermissionDenied",
            UploadLogStatusEnum::Uploaded => "Uploaded",
            UploadLogStatusEnum::UploadFailure => "UploadFailure",
            UploadLogStatusEnum::Uploading => "Uploading",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValueFormat {
    #[serde(rename = "Raw")]
    Raw,
    #[serde(rename = "SignedData")]
    SignedData,
}

impl ValueFormat {
    pub const ALL: [ValueFormat; 2] = [ValueFormat::Raw, ValueFormat::SignedData];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ValueFormat::Raw => "Raw",
            ValueFormat::SignedData => "SignedData",
        }
    }
}

/// The actions of this version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Authorize,
    BootNotification,
    CancelReservation,
    CertificateSigned,
    ChangeAvailability,
    ChangeConfiguration,
    ClearCache,
    ClearChargingProfile,
    DataTransfer,
    DeleteCertificate,
    DiagnosticsStatusNotification,
    ExtendedTriggerMessage,
    FirmwareStatusNotification,
    GetCompositeSchedule,
    GetConfiguration,
    GetDiagnostics,
    GetInstalledCertificateIds,
    GetLocalListVersion,
    GetLog,
    Heartbeat,
    InstallCertificate,
    LogStatusNotification,
    MeterValues,
    RemoteStartTransaction,
    RemoteStopTransaction,
    ReserveNow,
    Reset,
    SecurityEventNotification,
    SendLocalList,
    SetChargingProfile,
    SignCertificate,
    SignedFirmwareStatusNotification,
    SignedUpdateFirmware,
    StartTransaction,
    StatusNotification,
    StopTransaction,
    TriggerMessage,
    UnlockConnector,
    UpdateFirmware,
}

impl Action {
    pub const ALL: [Action; 39] = [Action::Authorize, Action::BootNotification, Action::CancelReservation, Action::CertificateSigned, Action::ChangeAvailability, Action::ChangeConfiguration, Action::ClearCache, Action::ClearChargingProfile, Action::DataTransfer, Action::DeleteCertificate, Action::DiagnosticsStatusNotification, Action::ExtendedTriggerMessage, Action::FirmwareStatusNotification, Action::GetCompositeSchedule, Action::GetConfiguration, Action::GetDiagnostics, Action::GetInstalledCertificateIds, Action::GetLocalListVersion, Action::GetLog, Action::Heartbeat, Action::InstallCertificate, Action::LogStatusNotification, Action::MeterValues, Action::RemoteStartTransaction, Action::RemoteStopTransaction, Action::ReserveNow, Action::Reset, Action::SecurityEventNotification, Action::SendLocalList, Action::SetChargingProfile, Action::SignCertificate, Action::SignedFirmwareStatusNotification, Action::SignedUpdateFirmware, Action::StartTransaction, Action::StatusNotification, Action::StopTransaction, Action::TriggerMessage, Action::UnlockConnector, Action::UpdateFirmware];

    /// The action's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Authorize => "Authorize",
            Action::BootNotification => "BootNotification",
            Action::CancelReservation => "CancelReservation",
            Action::CertificateSigned => "CertificateSigned",
            Action::ChangeAvailability => "ChangeAvailability",
            Action::ChangeConfiguration => "ChangeConfiguration",
            Action::ClearCache => "ClearCache",
            Action::ClearChargingProfile => "ClearChargingProfile",
            Action::DataTransfer => "DataTransfer",
            Action::DeleteCertificate => "DeleteCertificate",
            Action::DiagnosticsStatusNotification => "DiagnosticsStatusNotification",
            Action::ExtendedTriggerMessage => "ExtendedTriggerMessage",
            Action::FirmwareStatusNotification => "FirmwareStatusNotification",
            Action::GetCompositeSchedule => "GetCompositeSchedule",
            Action::GetConfiguration => "GetConfiguration",
            Action::GetDiagnostics => "GetDiagnostics",
            Action::GetInstalledCertificateIds => "GetInstalledCertificateIds",
            Action::GetLocalListVersion => "GetLocalListVersion",
            Action::GetLog => "GetLog",
            Action::Heartbeat => "Heartbeat",
            Action::InstallCertificate => "InstallCertificate",
            Action::LogStatusNotification => "LogStatusNotification",
            Action::MeterValues => "MeterValues",
            Action::RemoteStartTransaction => "RemoteStartTransaction",
            Action::RemoteStopTransaction => "RemoteStopTransaction",
            Action::ReserveNow => "ReserveNow",
            Action::Reset => "Reset",
            Action::SecurityEventNotification => "SecurityEventNotification",
            Action::SendLocalList => "SendLocalList",
            Action::SetChargingProfile => "SetChargingProfile",
            Action::SignCertificate => "SignCertificate",
            Action::SignedFirmwareStatusNotification => "SignedFirmwareStatusNotification",
            Action::SignedUpdateFirmware => "SignedUpdateFirmware",
            Action::StartTransaction => "StartTransaction",
            Action::StatusNotification => "StatusNotification",
            Action::StopTransaction => "StopTransaction",
            Action::TriggerMessage => "TriggerMessage",
            Action::UnlockConnector => "UnlockConnector",
            Action::UpdateFirmware => "UpdateFirmware",
        }
    }

    /// The action called `name` (case-sensitive, as the specification is).
    pub fn from_name(name: &str) -> Option<Action> {
        match name {
            "Authorize" => Some(Action::Authorize),
            "BootNotification" => Some(Action::BootNotification),
            "CancelReservation" => Some(Action::CancelReservation),
            "CertificateSigned" => Some(Action::CertificateSigned),
            "ChangeAvailability" => Some(Action::ChangeAvailability),
            "ChangeConfiguration" => Some(Action::ChangeConfiguration),
            "ClearCache" => Some(Action::ClearCache),
            "ClearChargingProfile" => Some(Action::ClearChargingProfile),
            "DataTransfer" => Some(Action::DataTransfer),
            "DeleteCertificate" => Some(Action::DeleteCertificate),
            "DiagnosticsStatusNotification" => Some(Action::DiagnosticsStatusNotification),
            "ExtendedTriggerMessage" => Some(Action::ExtendedTriggerMessage),
            "FirmwareStatusNotification" => Some(Action::FirmwareStatusNotification),
            "GetCompositeSchedule" => Some(Action::GetCompositeSchedule),
            "GetConfiguration" => Some(Action::GetConfiguration),
            "GetDiagnostics" => Some(Action::GetDiagnostics),
            "GetInstalledCertificateIds" => Some(Action::GetInstalledCertificateIds),
            "GetLocalListVersion" => Some(Action::GetLocalListVersion),
            "GetLog" => Some(Action::GetLog),
            "Heartbeat" => Some(Action::Heartbeat),
            "InstallCertificate" => Some(Action::InstallCertificate),
            "LogStatusNotification" => Some(Action::LogStatusNotification),
            "MeterValues" => Some(Action::MeterValues),
            "RemoteStartTransaction" => Some(Action::RemoteStartTransaction),
            "RemoteStopTransaction" => Some(Action::RemoteStopTransaction),
            "ReserveNow" => Some(Action::ReserveNow),
            "Reset" => Some(Action::Reset),
            "SecurityEventNotification" => Some(Action::SecurityEventNotification),
            "SendLocalList" => Some(Action::SendLocalList),
            "SetChargingProfile" => Some(Action::SetChargingProfile),
            "SignCertificate" => Some(Action::SignCertificate),
            "SignedFirmwareStatusNotification" => Some(Action::SignedFirmwareStatusNotification),
            "SignedUpdateFirmware" => Some(Action::SignedUpdateFirmware),
            "StartTransaction" => Some(Action::StartTransaction),
            "StatusNotification" => Some(Action::StatusNotification),
            "StopTransaction" => Some(Action::StopTransaction),
            "TriggerMessage" => Some(Action::TriggerMessage),
            "UnlockConnector" => Some(Action::UnlockConnector),
            "UpdateFirmware" => Some(Action::UpdateFirmware),
            _ => None,
        }
    }

    /// Who sends its CALL.
    pub const fn sender(self) -> crate::ocpp::Sender {
        match self {
            Action::Authorize => crate::ocpp::Sender::ChargingStation,
            Action::BootNotification => crate::ocpp::Sender::ChargingStation,
            Action::CancelReservation => crate::ocpp::Sender::Csms,
            Action::CertificateSigned => crate::ocpp::Sender::Csms,
            Action::ChangeAvailability => crate::ocpp::Sender::Csms,
            Action::ChangeConfiguration => crate::ocpp::Sender::Csms,
            Action::ClearCache => crate::ocpp::Sender::Csms,
            Action::ClearChargingProfile => crate::ocpp::Sender::Csms,
            Action::DataTransfer => crate::ocpp::Sender::Either,
            Action::DeleteCertificate => crate::ocpp::Sender::Csms,
            Action::DiagnosticsStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::ExtendedTriggerMessage => crate::ocpp::Sender::Csms,
            Action::FirmwareStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::GetCompositeSchedule => crate::ocpp::Sender::Csms,
            Action::GetConfiguration => crate::ocpp::Sender::Csms,
            Action::GetDiagnostics => crate::ocpp::Sender::Csms,
            Action::GetInstalledCertificateIds => crate::ocpp::Sender::Csms,
            Action::GetLocalListVersion => crate::ocpp::Sender::Csms,
            Action::GetLog => crate::ocpp::Sender::Csms,
            Action::Heartbeat => crate::ocpp::Sender::ChargingStation,
            Action::InstallCertificate => crate::ocpp::Sender::Csms,
            Action::LogStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::MeterValues => crate::ocpp::Sender::ChargingStation,
            Action::RemoteStartTransaction => crate::ocpp::Sender::Csms,
            Action::RemoteStopTransaction => crate::ocpp::Sender::Csms,
            Action::ReserveNow => crate::ocpp::Sender::Csms,
            Action::Reset => crate::ocpp::Sender::Csms,
            Action::SecurityEventNotification => crate::ocpp::Sender::ChargingStation,
            Action::SendLocalList => crate::ocpp::Sender::Csms,
            Action::SetChargingProfile => crate::ocpp::Sender::Csms,
            Action::SignCertificate => crate::ocpp::Sender::ChargingStation,
            Action::SignedFirmwareStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::SignedUpdateFirmware => crate::ocpp::Sender::Csms,
            Action::StartTransaction => crate::ocpp::Sender::ChargingStation,
            Action::StatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::StopTransaction => crate::ocpp::Sender::ChargingStation,
            Action::TriggerMessage => crate::ocpp::Sender::Csms,
            Action::UnlockConnector => crate::ocpp::Sender::Csms,
            Action::UpdateFirmware => crate::ocpp::Sender::Csms,
        }
    }
}

/// A CALL's payload, by action.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Authorize(AuthorizeRequest),
    BootNotification(BootNotificationRequest),
    CancelReservation(CancelReservationRequest),
    CertificateSigned(CertificateSignedRequest),
    ChangeAvailability(ChangeAvailabilityRequest),
    ChangeConfiguration(ChangeConfigurationRequest),
    ClearCache(ClearCacheRequest),
    ClearChargingProfile(ClearChargingProfileRequest),
    DataTransfer(DataTransferRequest),
    DeleteCertificate(DeleteCertificateRequest),
    DiagnosticsStatusNotification(DiagnosticsStatusNotificationRequest),
    ExtendedTriggerMessage(ExtendedTriggerMessageRequest),
    FirmwareStatusNotification(FirmwareStatusNotificationRequest),
    GetCompositeSchedule(GetCompositeScheduleRequest),
    GetConfiguration(GetConfigurationRequest),
    GetDiagnostics(GetDiagnosticsRequest),
    GetInstalledCertificateIds(GetInstalledCertificateIdsRequest),
    GetLocalListVersion(GetLocalListVersionRequest),
    GetLog(GetLogRequest),
    Heartbeat(HeartbeatRequest),
    InstallCertificate(InstallCertificateRequest),
    LogStatusNotification(LogStatusNotificationRequest),
    MeterValues(MeterValuesRequest),
    RemoteStartTransaction(RemoteStartTransactionRequest),
    RemoteStopTransaction(RemoteStopTransactionRequest),
    ReserveNow(ReserveNowRequest),
    Reset(ResetRequest),
    SecurityEventNotification(SecurityEventNotificationRequest),
    SendLocalList(SendLocalListRequest),
    SetChargingProfile(SetChargingProfileRequest),
    SignCertificate(SignCertificateRequest),
    SignedFirmwareStatusNotification(SignedFirmwareStatusNotificationRequest),
    SignedUpdateFirmware(SignedUpdateFirmwareRequest),
    StartTransaction(StartTransactionRequest),
    StatusNotification(StatusNotificationRequest),
    StopTransaction(StopTransactionRequest),
    TriggerMessage(TriggerMessageRequest),
    UnlockConnector(UnlockConnectorRequest),
    UpdateFirmware(UpdateFirmwareRequest),
}

impl Request {
    pub const fn action(&self) -> Action {
        match self {
            Request::Authorize(_) => Action::Authorize,
            Request::BootNotification(_) => Action::BootNotification,
            Request::CancelReservation(_) => Action::CancelReservation,
            Request::CertificateSigned(_) => Action::CertificateSigned,
            Request::ChangeAvailability(_) => Action::ChangeAvailability,
            Request::ChangeConfiguration(_) => Action::ChangeConfiguration,
            Request::ClearCache(_) => Action::ClearCache,
            Request::ClearChargingProfile(_) => Action::ClearChargingProfile,
            Request::DataTransfer(_) => Action::DataTransfer,
            Request::DeleteCertificate(_) => Action::DeleteCertificate,
            Request::DiagnosticsStatusNotification(_) => Action::DiagnosticsStatusNotification,
            Request::ExtendedTriggerMessage(_) => Action::ExtendedTriggerMessage,
            Request::FirmwareStatusNotification(_) => Action::FirmwareStatusNotification,
            Request::GetCompositeSchedule(_) => Action::GetCompositeSchedule,
            Request::GetConfiguration(_) => Action::GetConfiguration,
            Request::GetDiagnostics(_) => Action::GetDiagnostics,
            Request::GetInstalledCertificateIds(_) => Action::GetInstalledCertificateIds,
            Request::GetLocalListVersion(_) => Action::GetLocalListVersion,
            Request::GetLog(_) => Action::GetLog,
            Request::Heartbeat(_) => Action::Heartbeat,
            Request::InstallCertificate(_) => Action::InstallCertificate,
            Request::LogStatusNotification(_) => Action::LogStatusNotification,
            Request::MeterValues(_) => Action::MeterValues,
            Request::RemoteStartTransaction(_) => Action::RemoteStartTransaction,
            Request::RemoteStopTransaction(_) => Action::RemoteStopTransaction,
            Request::ReserveNow(_) => Action::ReserveNow,
            Request::Reset(_) => Action::Reset,
            Request::SecurityEventNotification(_) => Action::SecurityEventNotification,
            Request::SendLocalList(_) => Action::SendLocalList,
            Request::SetChargingProfile(_) => Action::SetChargingProfile,
            Request::SignCertificate(_) => Action::SignCertificate,
            Request::SignedFirmwareStatusNotification(_) => Action::SignedFirmwareStatusNotification,
            Request::SignedUpdateFirmware(_) => Action::SignedUpdateFirmware,
            Request::StartTransaction(_) => Action::StartTransaction,
            Request::StatusNotification(_) => Action::StatusNotification,
            Request::StopTransaction(_) => Action::StopTransaction,
            Request::TriggerMessage(_) => Action::TriggerMessage,
            Request::UnlockConnector(_) => Action::UnlockConnector,
            Request::UpdateFirmware(_) => Action::UpdateFirmware,
        }
    }

    /// `payload` as `action`'s request: call it on a payload its schema accepted.
    pub fn from_payload(action: Action, payload: serde_json::Value) -> Result<Request, serde_json::Error> {
        Ok(match action {
            Action::Authorize => Request::Authorize(serde_json::from_value(payload)?),
            Action::BootNotification => Request::BootNotification(serde_json::from_value(payload)?),
            Action::CancelReservation => Request::CancelReservation(serde_json::from_value(payload)?),
            Action::CertificateSigned => Request::CertificateSigned(serde_json::from_value(payload)?),
            Action::ChangeAvailability => Request::ChangeAvailability(serde_json::from_value(payload)?),
            Action::ChangeConfiguration => Request::ChangeConfiguration(serde_json::from_value(payload)?),
            Action::ClearCache => Request::ClearCache(serde_json::from_value(payload)?),
            Action::ClearChargingProfile => Request::ClearChargingProfile(serde_json::from_value(payload)?),
            Action::DataTransfer => Request::DataTransfer(serde_json::from_value(payload)?),
            Action::DeleteCertificate => Request::DeleteCertificate(serde_json::from_value(payload)?),
            Action::DiagnosticsStatusNotification => Request::DiagnosticsStatusNotification(serde_json::from_value(payload)?),
            Action::ExtendedTriggerMessage => Request::ExtendedTriggerMessage(serde_json::from_value(payload)?),
            Action::FirmwareStatusNotification => Request::FirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::GetCompositeSchedule => Request::GetCompositeSchedule(serde_json::from_value(payload)?),
            Action::GetConfiguration => Request::GetConfiguration(serde_json::from_value(payload)?),
            Action::GetDiagnostics => Request::GetDiagnostics(serde_json::from_value(payload)?),
            Action::GetInstalledCertificateIds => Request::GetInstalledCertificateIds(serde_json::from_value(payload)?),
            Action::GetLocalListVersion => Request::GetLocalListVersion(serde_json::from_value(payload)?),
            Action::GetLog => Request::GetLog(serde_json::from_value(payload)?),
            Action::Heartbeat => Request::Heartbeat(serde_json::from_value(payload)?),
            Action::InstallCertificate => Request::InstallCertificate(serde_json::from_value(payload)?),
            Action::LogStatusNotification => Request::LogStatusNotification(serde_json::from_value(payload)?),
            Action::MeterValues => Request::MeterValues(serde_json::from_value(payload)?),
            Action::RemoteStartTransaction => Request::RemoteStartTransaction(serde_json::from_value(payload)?),
            Action::RemoteStopTransaction => Request::RemoteStopTransaction(serde_json::from_value(payload)?),
            Action::ReserveNow => Request::ReserveNow(serde_json::from_value(payload)?),
            Action::Reset => Request::Reset(serde_json::from_value(payload)?),
            Action::SecurityEventNotification => Request::SecurityEventNotification(serde_json::from_value(payload)?),
            Action::SendLocalList => Request::SendLocalList(serde_json::from_value(payload)?),
            Action::SetChargingProfile => Request::SetChargingProfile(serde_json::from_value(payload)?),
            Action::SignCertificate => Request::SignCertificate(serde_json::from_value(payload)?),
            Action::SignedFirmwareStatusNotification => Request::SignedFirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::SignedUpdateFirmware => Request::SignedUpdateFirmware(serde_json::from_value(payload)?),
            Action::StartTransaction => Request::StartTransaction(serde_json::from_value(payload)?),
            Action::StatusNotification => Request::StatusNotification(serde_json::from_value(payload)?),
            Action::StopTransaction => Request::StopTransaction(serde_json::from_value(payload)?),
            Action::TriggerMessage => Request::TriggerMessage(serde_json::from_value(payload)?),
            Action::UnlockConnector => Request::UnlockConnector(serde_json::from_value(payload)?),
            Action::UpdateFirmware => Request::UpdateFirmware(serde_json::from_value(payload)?),
        })
    }

    /// The payload on the wire.
    pub fn to_payload(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Request::Authorize(m) => serde_json::to_value(m),
            Request::BootNotification(m) => serde_json::to_value(m),
            Request::CancelReservation(m) => serde_json::to_value(m),
            Request::CertificateSigned(m) => serde_json::to_value(m),
            Request::ChangeAvailability(m) => serde_json::to_value(m),
            Request::ChangeConfiguration(m) => serde_json::to_value(m),
            Request::ClearCache(m) => serde_json::to_value(m),
            Request::ClearChargingProfile(m) => serde_json::to_value(m),
            Request::DataTransfer(m) => serde_json::to_value(m),
            Request::DeleteCertificate(m) => serde_json::to_value(m),
            Request::DiagnosticsStatusNotification(m) => serde_json::to_value(m),
            Request::ExtendedTriggerMessage(m) => serde_json::to_value(m),
            Request::FirmwareStatusNotification(m) => serde_json::to_value(m),
            Request::GetCompositeSchedule(m) => serde_json::to_value(m),
            Request::GetConfiguration(m) => serde_json::to_value(m),
            Request::GetDiagnostics(m) => serde_json::to_value(m),
            Request::GetInstalledCertificateIds(m) => serde_json::to_value(m),
            Request::GetLocalListVersion(m) => serde_json::to_value(m),
            Request::GetLog(m) => serde_json::to_value(m),
            Request::Heartbeat(m) => serde_json::to_value(m),
            Request::InstallCertificate(m) => serde_json::to_value(m),
            Request::LogStatusNotification(m) => serde_json::to_value(m),
            Request::MeterValues(m) => serde_json::to_value(m),
            Request::RemoteStartTransaction(m) => serde_json::to_value(m),
            Request::RemoteStopTransaction(m) => serde_json::to_value(m),
            Request::ReserveNow(m) => serde_json::to_value(m),
            Request::Reset(m) => serde_json::to_value(m),
            Request::SecurityEventNotification(m) => serde_json::to_value(m),
            Request::SendLocalList(m) => serde_json::to_value(m),
            Request::SetChargingProfile(m) => serde_json::to_value(m),
            Request::SignCertificate(m) => serde_json::to_value(m),
            Request::SignedFirmwareStatusNotification(m) => serde_json::to_value(m),
            Request::SignedUpdateFirmware(m) => serde_json::to_value(m),
            Request::StartTransaction(m) => serde_json::to_value(m),
            Request::StatusNotification(m) => serde_json::to_value(m),
            Request::StopTransaction(m) => serde_json::to_value(m),
            Request::TriggerMessage(m) => serde_json::to_value(m),
            Request::UnlockConnector(m) => serde_json::to_value(m),
            Request::UpdateFirmware(m) => serde_json::to_value(m),
        }
    }
}

impl From<AuthorizeRequest> for Request {
    fn from(m: AuthorizeRequest) -> Request {
        Request::Authorize(m)
    }
}

impl From<BootNotificationRequest> for Request {
    fn from(m: BootNotificationRequest) -> Request {
        Request::BootNotification(m)
    }
}

impl From<CancelReservationRequest> for Request {
    fn from(m: CancelReservationRequest) -> Request {
        Request::CancelReservation(m)
    }
}

impl From<CertificateSignedRequest> for Request {
    fn from(m: CertificateSignedRequest) -> Request {
        Request::CertificateSigned(m)
    }
}

impl From<ChangeAvailabilityRequest> for Request {
    fn from(m: ChangeAvailabilityRequest) -> Request {
        Request::ChangeAvailability(m)
    }
}

impl From<ChangeConfigurationRequest> for Request {
    fn from(m: ChangeConfigurationRequest) -> Request {
        Request::ChangeConfiguration(m)
    }
}

impl From<ClearCacheRequest> for Request {
    fn from(m: ClearCacheRequest) -> Request {
        Request::ClearCache(m)
    }
}

impl From<ClearChargingProfileRequest> for Request {
    fn from(m: ClearChargingProfileRequest) -> Request {
        Request::ClearChargingProfile(m)
    }
}

impl From<DataTransferRequest> for Request {
    fn from(m: DataTransferRequest) -> Request {
        Request::DataTransfer(m)
    }
}

impl From<DeleteCertificateRequest> for Request {
    fn from(m: DeleteCertificateRequest) -> Request {
        Request::DeleteCertificate(m)
    }
}

impl From<DiagnosticsStatusNotificationRequest> for Request {
    fn from(m: DiagnosticsStatusNotificationRequest) -> Request {
        Request::DiagnosticsStatusNotification(m)
    }
}

impl From<ExtendedTriggerMessageRequest> for Request {
    fn from(m: ExtendedTriggerMessageRequest) -> Request {
        Request::ExtendedTriggerMessage(m)
    }
}

impl From<FirmwareStatusNotificationRequest> for Request {
    fn from(m: FirmwareStatusNotificationRequest) -> Request {
        Request::FirmwareStatusNotification(m)
    }
}

impl From<GetCompositeScheduleRequest> for Request {
    fn from(m: GetCompositeScheduleRequest) -> Request {
        Request::GetCompositeSchedule(m)
    }
}

impl From<GetConfigurationRequest> for Request {
    fn from(m: GetConfigurationRequest) -> Request {
        Request::GetConfiguration(m)
    }
}

impl From<GetDiagnosticsRequest> for Request {
    fn from(m: GetDiagnosticsRequest) -> Request {
        Request::GetDiagnostics(m)
    }
}

impl From<GetInstalledCertificateIdsRequest> for Request {
    fn from(m: GetInstalledCertificateIdsRequest) -> Request {
        Request::GetInstalledCertificateIds(m)
    }
}

impl From<GetLocalListVersionRequest> for Request {
    fn from(m: GetLocalListVersionRequest) -> Request {
        Request::GetLocalListVersion(m)
    }
}

impl From<GetLogRequest> for Request {
    fn from(m: GetLogRequest) -> Request {
        Request::GetLog(m)
    }
}

impl From<HeartbeatRequest> for Request {
    fn from(m: HeartbeatRequest) -> Request {
        Request::Heartbeat(m)
    }
}

impl From<InstallCertificateRequest> for Request {
    fn from(m: InstallCertificateRequest) -> Request {
        Request::InstallCertificate(m)
    }
}

impl From<LogStatusNotificationRequest> for Request {
    fn from(m: LogStatusNotificationRequest) -> Request {
        Request::LogStatusNotification(m)
    }
}

impl From<MeterValuesRequest> for Request {
    fn from(m: MeterValuesRequest) -> Request {
        Request::MeterValues(m)
    }
}

impl From<RemoteStartTransactionRequest> for Request {
    fn from(m: RemoteStartTransactionRequest) -> Request {
        Request::RemoteStartTransaction(m)
    }
}

impl From<RemoteStopTransactionRequest> for Request {
    fn from(m: RemoteStopTransactionRequest) -> Request {
        Request::RemoteStopTransaction(m)
    }
}

impl From<ReserveNowRequest> for Request {
    fn from(m: ReserveNowRequest) -> Request {
        Request::ReserveNow(m)
    }
}

impl From<ResetRequest> for Request {
    fn from(m: ResetRequest) -> Request {
        Request::Reset(m)
    }
}

impl From<SecurityEventNotificationRequest> for Request {
    fn from(m: SecurityEventNotificationRequest) -> Request {
        Request::SecurityEventNotification(m)
    }
}

impl From<SendLocalListRequest> for Request {
    fn from(m: SendLocalListRequest) -> Request {
        Request::SendLocalList(m)
    }
}

impl From<SetChargingProfileRequest> for Request {
    fn from(m: SetChargingProfileRequest) -> Request {
        Request::SetChargingProfile(m)
    }
}

impl From<SignCertificateRequest> for Request {
    fn from(m: SignCertificateRequest) -> Request {
        Request::SignCertificate(m)
    }
}

impl From<SignedFirmwareStatusNotificationRequest> for Request {
    fn from(m: SignedFirmwareStatusNotificationRequest) -> Request {
        Request::SignedFirmwareStatusNotification(m)
    }
}

impl From<SignedUpdateFirmwareRequest> for Request {
    fn from(m: SignedUpdateFirmwareRequest) -> Request {
        Request::SignedUpdateFirmware(m)
    }
}

impl From<StartTransactionRequest> for Request {
    fn from(m: StartTransactionRequest) -> Request {
        Request::StartTransaction(m)
    }
}

impl From<StatusNotificationRequest> for Request {
    fn from(m: StatusNotificationRequest) -> Request {
        Request::StatusNotification(m)
    }
}

impl From<StopTransactionRequest> for Request {
    fn from(m: StopTransactionRequest) -> Request {
        Request::StopTransaction(m)
    }
}

impl From<TriggerMessageRequest> for Request {
    fn from(m: TriggerMessageRequest) -> Request {
        Request::TriggerMessage(m)
    }
}

impl From<UnlockConnectorRequest> for Request {
    fn from(m: UnlockConnectorRequest) -> Request {
        Request::UnlockConnector(m)
    }
}

impl From<UpdateFirmwareRequest> for Request {
    fn from(m: UpdateFirmwareRequest) -> Request {
        Request::UpdateFirmware(m)
    }
}

/// A CALLRESULT's payload, by action.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Authorize(AuthorizeResponse),
    BootNotification(BootNotificationResponse),
    CancelReservation(CancelReservationResponse),
    CertificateSigned(CertificateSignedResponse),
    ChangeAvailability(ChangeAvailabilityResponse),
    ChangeConfiguration(ChangeConfigurationResponse),
    ClearCache(ClearCacheResponse),
    ClearChargingProfile(ClearChargingProfileResponse),
    DataTransfer(DataTransferResponse),
    DeleteCertificate(DeleteCertificateResponse),
    DiagnosticsStatusNotification(DiagnosticsStatusNotificationResponse),
    ExtendedTriggerMessage(ExtendedTriggerMessageResponse),
    FirmwareStatusNotification(FirmwareStatusNotificationResponse),
    GetCompositeSchedule(GetCompositeScheduleResponse),
    GetConfiguration(GetConfigurationResponse),
    GetDiagnostics(GetDiagnosticsResponse),
    GetInstalledCertificateIds(GetInstalledCertificateIdsResponse),
    GetLocalListVersion(GetLocalListVersionResponse),
    GetLog(GetLogResponse),
    Heartbeat(HeartbeatResponse),
    InstallCertificate(InstallCertificateResponse),
    LogStatusNotification(LogStatusNotificationResponse),
    MeterValues(MeterValuesResponse),
    RemoteStartTransaction(RemoteStartTransactionResponse),
    RemoteStopTransaction(RemoteStopTransactionResponse),
    ReserveNow(ReserveNowResponse),
    Reset(ResetResponse),
    SecurityEventNotification(SecurityEventNotificationResponse),
    SendLocalList(SendLocalListResponse),
    SetChargingProfile(SetChargingProfileResponse),
    SignCertificate(SignCertificateResponse),
    SignedFirmwareStatusNotification(SignedFirmwareStatusNotificationResponse),
    SignedUpdateFirmware(SignedUpdateFirmwareResponse),
    StartTransaction(StartTransactionResponse),
    StatusNotification(StatusNotificationResponse),
    StopTransaction(StopTransactionResponse),
    TriggerMessage(TriggerMessageResponse),
    UnlockConnector(UnlockConnectorResponse),
    UpdateFirmware(UpdateFirmwareResponse),
}

impl Response {
    pub const fn action(&self) -> Action {
        match self {
            Response::Authorize(_) => Action::Authorize,
            Response::BootNotification(_) => Action::BootNotification,
            Response::CancelReservation(_) => Action::CancelReservation,
            Response::CertificateSigned(_) => Action::CertificateSigned,
            Response::ChangeAvailability(_) => Action::ChangeAvailability,
            Response::ChangeConfiguration(_) => Action::ChangeConfiguration,
            Response::ClearCache(_) => Action::ClearCache,
            Response::ClearChargingProfile(_) => Action::ClearChargingProfile,
            Response::DataTransfer(_) => Action::DataTransfer,
            Response::DeleteCertificate(_) => Action::DeleteCertificate,
            Response::DiagnosticsStatusNotification(_) => Action::DiagnosticsStatusNotification,
            Response::ExtendedTriggerMessage(_) => Action::ExtendedTriggerMessage,
            Response::FirmwareStatusNotification(_) => Action::FirmwareStatusNotification,
            Response::GetCompositeSchedule(_) => Action::GetCompositeSchedule,
            Response::GetConfiguration(_) => Action::GetConfiguration,
            Response::GetDiagnostics(_) => Action::GetDiagnostics,
            Response::GetInstalledCertificateIds(_) => Action::GetInstalledCertificateIds,
            Response::GetLocalListVersion(_) => Action::GetLocalListVersion,
            Response::GetLog(_) => Action::GetLog,
            Response::Heartbeat(_) => Action::Heartbeat,
            Response::InstallCertificate(_) => Action::InstallCertificate,
            Response::LogStatusNotification(_) => Action::LogStatusNotification,
            Response::MeterValues(_) => Action::MeterValues,
            Response::RemoteStartTransaction(_) => Action::RemoteStartTransaction,
            Response::RemoteStopTransaction(_) => Action::RemoteStopTransaction,
            Response::ReserveNow(_) => Action::ReserveNow,
            Response::Reset(_) => Action::Reset,
            Response::SecurityEventNotification(_) => Action::SecurityEventNotification,
            Response::SendLocalList(_) => Action::SendLocalList,
            Response::SetChargingProfile(_) => Action::SetChargingProfile,
            Response::SignCertificate(_) => Action::SignCertificate,
            Response::SignedFirmwareStatusNotification(_) => Action::SignedFirmwareStatusNotification,
            Response::SignedUpdateFirmware(_) => Action::SignedUpdateFirmware,
            Response::StartTransaction(_) => Action::StartTransaction,
            Response::StatusNotification(_) => Action::StatusNotification,
            Response::StopTransaction(_) => Action::StopTransaction,
            Response::TriggerMessage(_) => Action::TriggerMessage,
            Response::UnlockConnector(_) => Action::UnlockConnector,
            Response::UpdateFirmware(_) => Action::UpdateFirmware,
        }
    }

    /// `payload` as `action`'s response: call it on a payload its schema accepted.
    pub fn from_payload(action: Action, payload: serde_json::Value) -> Result<Response, serde_json::Error> {
        Ok(match action {
            Action::Authorize => Response::Authorize(serde_json::from_value(payload)?),
            Action::BootNotification => Response::BootNotification(serde_json::from_value(payload)?),
            Action::CancelReservation => Response::CancelReservation(serde_json::from_value(payload)?),
            Action::CertificateSigned => Response::CertificateSigned(serde_json::from_value(payload)?),
            Action::ChangeAvailability => Response::ChangeAvailability(serde_json::from_value(payload)?),
            Action::ChangeConfiguration => Response::ChangeConfiguration(serde_json::from_value(payload)?),
            Action::ClearCache => Response::ClearCache(serde_json::from_value(payload)?),
            Action::ClearChargingProfile => Response::ClearChargingProfile(serde_json::from_value(payload)?),
            Action::DataTransfer => Response::DataTransfer(serde_json::from_value(payload)?),
            Action::DeleteCertificate => Response::DeleteCertificate(serde_json::from_value(payload)?),
            Action::DiagnosticsStatusNotification => Response::DiagnosticsStatusNotification(serde_json::from_value(payload)?),
            Action::ExtendedTriggerMessage => Response::ExtendedTriggerMessage(serde_json::from_value(payload)?),
            Action::FirmwareStatusNotification => Response::FirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::GetCompositeSchedule => Response::GetCompositeSchedule(serde_json::from_value(payload)?),
            Action::GetConfiguration => Response::GetConfiguration(serde_json::from_value(payload)?),
            Action::GetDiagnostics => Response::GetDiagnostics(serde_json::from_value(payload)?),
            Action::GetInstalledCertificateIds => Response::GetInstalledCertificateIds(serde_json::from_value(payload)?),
            Action::GetLocalListVersion => Response::GetLocalListVersion(serde_json::from_value(payload)?),
            Action::GetLog => Response::GetLog(serde_json::from_value(payload)?),
            Action::Heartbeat => Response::Heartbeat(serde_json::from_value(payload)?),
            Action::InstallCertificate => Response::InstallCertificate(serde_json::from_value(payload)?),
            Action::LogStatusNotification => Response::LogStatusNotification(serde_json::from_value(payload)?),
            Action::MeterValues => Response::MeterValues(serde_json::from_value(payload)?),
            Action::RemoteStartTransaction => Response::RemoteStartTransaction(serde_json::from_value(payload)?),
            Action::RemoteStopTransaction => Response::RemoteStopTransaction(serde_json::from_value(payload)?),
            Action::ReserveNow => Response::ReserveNow(serde_json::from_value(payload)?),
            Action::Reset => Response::Reset(serde_json::from_value(payload)?),
            Action::SecurityEventNotification => Response::SecurityEventNotification(serde_json::from_value(payload)?),
            Action::SendLocalList => Response::SendLocalList(serde_json::from_value(payload)?),
            Action::SetChargingProfile => Response::SetChargingProfile(serde_json::from_value(payload)?),
            Action::SignCertificate => Response::SignCertificate(serde_json::from_value(payload)?),
            Action::SignedFirmwareStatusNotification => Response::SignedFirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::SignedUpdateFirmware => Response::SignedUpdateFirmware(serde_json::from_value(payload)?),
            Action::StartTransaction => Response::StartTransaction(serde_json::from_value(payload)?),
            Action::StatusNotification => Response::StatusNotification(serde_json::from_value(payload)?),
            Action::StopTransaction => Response::StopTransaction(serde_json::from_value(payload)?),
            Action::TriggerMessage => Response::TriggerMessage(serde_json::from_value(payload)?),
            Action::UnlockConnector => Response::UnlockConnector(serde_json::from_value(payload)?),
            Action::UpdateFirmware => Response::UpdateFirmware(serde_json::from_value(payload)?),
        })
    }

    /// The payload on the wire.
    pub fn to_payload(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Response::Authorize(m) => serde_json::to_value(m),
            Response::BootNotification(m) => serde_json::to_value(m),
            Response::CancelReservation(m) => serde_json::to_value(m),
            Response::CertificateSigned(m) => serde_json::to_value(m),
            Response::ChangeAvailability(m) => serde_json::to_value(m),
            Response::ChangeConfiguration(m) => serde_json::to_value(m),
            Response::ClearCache(m) => serde_json::to_value(m),
            Response::ClearChargingProfile(m) => serde_json::to_value(m),
            Response::DataTransfer(m) => serde_json::to_value(m),
            Response::DeleteCertificate(m) => serde_json::to_value(m),
            Response::DiagnosticsStatusNotification(m) => serde_json::to_value(m),
            Response::ExtendedTriggerMessage(m) => serde_json::to_value(m),
            Response::FirmwareStatusNotification(m) => serde_json::to_value(m),
            Response::GetCompositeSchedule(m) => serde_json::to_value(m),
            Response::GetConfiguration(m) => serde_json::to_value(m),
            Response::GetDiagnostics(m) => serde_json::to_value(m),
            Response::GetInstalledCertificateIds(m) => serde_json::to_value(m),
            Response::GetLocalListVersion(m) => serde_json::to_value(m),
            Response::GetLog(m) => serde_json::to_value(m),
            Response::Heartbeat(m) => serde_json::to_value(m),
            Response::InstallCertificate(m) => serde_json::to_value(m),
            Response::LogStatusNotification(m) => serde_json::to_value(m),
            Response::MeterValues(m) => serde_json::to_value(m),
            Response::RemoteStartTransaction(m) => serde_json::to_value(m),
            Response::RemoteStopTransaction(m) => serde_json::to_value(m),
            Response::ReserveNow(m) => serde_json::to_value(m),
            Response::Reset(m) => serde_json::to_value(m),
            Response::SecurityEventNotification(m) => serde_json::to_value(m),
            Response::SendLocalList(m) => serde_json::to_value(m),
            Response::SetChargingProfile(m) => serde_json::to_value(m),
            Response::SignCertificate(m) => serde_json::to_value(m),
            Response::SignedFirmwareStatusNotification(m) => serde_json::to_value(m),
            Response::SignedUpdateFirmware(m) => serde_json::to_value(m),
            Response::StartTransaction(m) => serde_json::to_value(m),
            Response::StatusNotification(m) => serde_json::to_value(m),
            Response::StopTransaction(m) => serde_json::to_value(m),
            Response::TriggerMessage(m) => serde_json::to_value(m),
            Response::UnlockConnector(m) => serde_json::to_value(m),
            Response::UpdateFirmware(m) => serde_json::to_value(m),
        }
    }
}

impl From<AuthorizeResponse> for Response {
    fn from(m: AuthorizeResponse) -> Response {
        Response::Authorize(m)
    }
}

impl From<BootNotificationResponse> for Response {
    fn from(m: BootNotificationResponse) -> Response {
        Response::BootNotification(m)
    }
}

impl From<CancelReservationResponse> for Response {
    fn from(m: CancelReservationResponse) -> Response {
        Response::CancelReservation(m)
    }
}

impl From<CertificateSignedResponse> for Response {
    fn from(m: CertificateSignedResponse) -> Response {
        Response::CertificateSigned(m)
    }
}

impl From<ChangeAvailabilityResponse> for Response {
    fn from(m: ChangeAvailabilityResponse) -> Response {
        Response::ChangeAvailability(m)
    }
}

impl From<ChangeConfigurationResponse> for Response {
    fn from(m: ChangeConfigurationResponse) -> Response {
        Response::ChangeConfiguration(m)
    }
}

impl From<ClearCacheResponse> for Response {
    fn from(m: ClearCacheResponse) -> Response {
        Response::ClearCache(m)
    }
}

impl From<ClearChargingProfileResponse> for Response {
    fn from(m: ClearChargingProfileResponse) -> Response {
        Response::ClearChargingProfile(m)
    }
}

impl From<DataTransferResponse> for Response {
    fn from(m: DataTransferResponse) -> Response {
        Response::DataTransfer(m)
    }
}

impl From<DeleteCertificateResponse> for Response {
    fn from(m: DeleteCertificateResponse) -> Response {
        Response::DeleteCertificate(m)
    }
}

impl From<DiagnosticsStatusNotificationResponse> for Response {
    fn from(m: DiagnosticsStatusNotificationResponse) -> Response {
        Response::DiagnosticsStatusNotification(m)
    }
}

impl From<ExtendedTriggerMessageResponse> for Response {
    fn from(m: ExtendedTriggerMessageResponse) -> Response {
        Response::ExtendedTriggerMessage(m)
    }
}

impl From<FirmwareStatusNotificationResponse> for Response {
    fn from(m: FirmwareStatusNotificationResponse) -> Response {
        Response::FirmwareStatusNotification(m)
    }
}

impl From<GetCompositeScheduleResponse> for Response {
    fn from(m: GetCompositeScheduleResponse) -> Response {
        Response::GetCompositeSchedule(m)
    }
}

impl From<GetConfigurationResponse> for Response {
    fn from(m: GetConfigurationResponse) -> Response {
        Response::GetConfiguration(m)
    }
}

impl From<GetDiagnosticsResponse> for Response {
    fn from(m: GetDiagnosticsResponse) -> Response {
        Response::GetDiagnostics(m)
    }
}

impl From<GetInstalledCertificateIdsResponse> for Response {
    fn from(m: GetInstalledCertificateIdsResponse) -> Response {
        Response::GetInstalledCertificateIds(m)
    }
}

impl From<GetLocalListVersionResponse> for Response {
    fn from(m: GetLocalListVersionResponse) -> Response {
        Response::GetLocalListVersion(m)
    }
}

impl From<GetLogResponse> for Response {
    fn from(m: GetLogResponse) -> Response {
        Response::GetLog(m)
    }
}

impl From<HeartbeatResponse> for Response {
    fn from(m: HeartbeatResponse) -> Response {
        Response::Heartbeat(m)
    }
}

impl From<InstallCertificateResponse> for Response {
    fn from(m: InstallCertificateResponse) -> Response {
        Response::InstallCertificate(m)
    }
}

impl From<LogStatusNotificationResponse> for Response {
    fn from(m: LogStatusNotificationResponse) -> Response {
        Response::LogStatusNotification(m)
    }
}

impl From<MeterValuesResponse> for Response {
    fn from(m: MeterValuesResponse) -> Response {
        Response::MeterValues(m)
    }
}

impl From<RemoteStartTransactionResponse> for Response {
    fn from(m: RemoteStartTransactionResponse) -> Response {
        Response::RemoteStartTransaction(m)
    }
}

impl From<RemoteStopTransactionResponse> for Response {
    fn from(m: RemoteStopTransactionResponse) -> Response {
        Response::RemoteStopTransaction(m)
    }
}

impl From<ReserveNowResponse> for Response {
    fn from(m: ReserveNowResponse) -> Response {
        Response::ReserveNow(m)
    }
}

impl From<ResetResponse> for Response {
    fn from(m: ResetResponse) -> Response {
        Response::Reset(m)
    }
}

impl From<SecurityEventNotificationResponse> for Response {
    fn from(m: SecurityEventNotificationResponse) -> Response {
        Response::SecurityEventNotification(m)
    }
}

impl From<SendLocalListResponse> for Response {
    fn from(m: SendLocalListResponse) -> Response {
        Response::SendLocalList(m)
    }
}

impl From<SetChargingProfileResponse> for Response {
    fn from(m: SetChargingProfileResponse) -> Response {
        Response::SetChargingProfile(m)
    }
}

impl From<SignCertificateResponse> for Response {
    fn from(m: SignCertificateResponse) -> Response {
        Response::SignCertificate(m)
    }
}

impl From<SignedFirmwareStatusNotificationResponse> for Response {
    fn from(m: SignedFirmwareStatusNotificationResponse) -> Response {
        Response::SignedFirmwareStatusNotification(m)
    }
}

impl From<SignedUpdateFirmwareResponse> for Response {
    fn from(m: SignedUpdateFirmwareResponse) -> Response {
        Response::SignedUpdateFirmware(m)
    }
}

impl From<StartTransactionResponse> for Response {
    fn from(m: StartTransactionResponse) -> Response {
        Response::StartTransaction(m)
    }
}

impl From<StatusNotificationResponse> for Response {
    fn from(m: StatusNotificationResponse) -> Response {
        Response::StatusNotification(m)
    }
}

impl From<StopTransactionResponse> for Response {
    fn from(m: StopTransactionResponse) -> Response {
        Response::StopTransaction(m)
    }
}

impl From<TriggerMessageResponse> for Response {
    fn from(m: TriggerMessageResponse) -> Response {
        Response::TriggerMessage(m)
    }
}

impl From<UnlockConnectorResponse> for Response {
    fn from(m: UnlockConnectorResponse) -> Response {
        Response::UnlockConnector(m)
    }
}

impl From<UpdateFirmwareResponse> for Response {
    fn from(m: UpdateFirmwareResponse) -> Response {
        Response::UpdateFirmware(m)
    }
}
