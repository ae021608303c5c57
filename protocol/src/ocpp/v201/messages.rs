//! OCPP 2.0.1's messages as types, generated from the official schemas in `protocol/src/ocpp/schemas/v201`
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

/// AC_ Charging_ Parameters
/// urn:x-oca:ocpp:uid:2:233250
/// EV AC charging parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ACChargingParameters {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// AC_ Charging_ Parameters. Energy_ Amount. Energy_ Amount
    /// urn:x-oca:ocpp:uid:1:569211
    /// Amount of energy requested (in Wh). This includes energy required for preconditioning.
    #[serde(rename = "energyAmount", deserialize_with = "crate::ocpp::types::de_integer")]
    pub energy_amount: i64,
    /// AC_ Charging_ Parameters. EV_ Max. Current
    /// urn:x-oca:ocpp:uid:1:569213
    /// Maximum current (amps) supported by the electric vehicle (per phase). Includes cable capacity.
    #[serde(rename = "evMaxCurrent", deserialize_with = "crate::ocpp::types::de_integer")]
    pub ev_max_current: i64,
    /// AC_ Charging_ Parameters. EV_ Max. Voltage
    /// urn:x-oca:ocpp:uid:1:569214
    /// Maximum voltage supported by the electric vehicle
    #[serde(rename = "evMaxVoltage", deserialize_with = "crate::ocpp::types::de_integer")]
    pub ev_max_voltage: i64,
    /// AC_ Charging_ Parameters. EV_ Min. Current
    /// urn:x-oca:ocpp:uid:1:569212
    /// Minimum current (amps) supported by the electric vehicle (per phase).
    #[serde(rename = "evMinCurrent", deserialize_with = "crate::ocpp::types::de_integer")]
    pub ev_min_current: i64,
}

/// APN
/// urn:x-oca:ocpp:uid:2:233134
/// Collection of configuration data needed to make a data-connection over a cellular network.
///
/// NOTE: When asking a GSM modem to dial in, it is possible to specify which mobile operator should be used. This can be done with the mobile country code (MCC) in combination with a mobile network code (MNC). Example: If your preferred network is Vodafone Netherlands, the MCC=204 and the MNC=04 which means the key PreferredNetwork = 20404 Some modems allows to specify a preferred network, which means, if this network is not available, a different network is used. If you specify UseOnlyPreferredNetwork and this network is not available, the modem will not dial in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct APN {
    /// APN. APN. URI
    /// urn:x-oca:ocpp:uid:1:568814
    /// The Access Point Name as an URL.
    #[serde(rename = "apn")]
    pub apn: String,
    #[serde(rename = "apnAuthentication")]
    pub apn_authentication: APNAuthenticationEnum,
    /// APN. APN. Password
    /// urn:x-oca:ocpp:uid:1:568819
    /// APN Password.
    #[serde(rename = "apnPassword", default, skip_serializing_if = "Option::is_none")]
    pub apn_password: Option<String>,
    /// APN. APN. User_ Name
    /// urn:x-oca:ocpp:uid:1:568818
    /// APN username.
    #[serde(rename = "apnUserName", default, skip_serializing_if = "Option::is_none")]
    pub apn_user_name: Option<String>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// APN. Preferred_ Network. Mobile_ Network_ ID
    /// urn:x-oca:ocpp:uid:1:568822
    /// Preferred network, written as MCC and MNC concatenated. See note.
    #[serde(rename = "preferredNetwork", default, skip_serializing_if = "Option::is_none")]
    pub preferred_network: Option<String>,
    /// APN. SIMPIN. PIN_ Code
    /// urn:x-oca:ocpp:uid:1:568821
    /// SIM card pin code.
    #[serde(rename = "simPin", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub sim_pin: Option<i64>,
    /// APN. Use_ Only_ Preferred_ Network. Indicator
    /// urn:x-oca:ocpp:uid:1:568824
    /// Default: false. Use only the preferred Network, do
    /// not dial in when not available. See Note.
    #[serde(rename = "useOnlyPreferredNetwork", default, skip_serializing_if = "Option::is_none")]
    pub use_only_preferred_network: Option<bool>,
}

/// APN. APN_ Authentication. APN_ Authentication_ Code
/// urn:x-oca:ocpp:uid:1:568828
/// Authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum APNAuthenticationEnum {
    #[serde(rename = "CHAP")]
    CHAP,
    #[serde(rename = "NONE")]
    NONE,
    #[serde(rename = "PAP")]
    PAP,
    #[serde(rename = "AUTO")]
    AUTO,
}

impl APNAuthenticationEnum {
    pub const ALL: [APNAuthenticationEnum; 4] = [APNAuthenticationEnum::CHAP, APNAuthenticationEnum::NONE, APNAuthenticationEnum::PAP, APNAuthenticationEnum::AUTO];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            APNAuthenticationEnum::CHAP => "CHAP",
            APNAuthenticationEnum::NONE => "NONE",
            APNAuthenticationEnum::PAP => "PAP",
            APNAuthenticationEnum::AUTO => "AUTO",
        }
    }
}

/// Contains a case insensitive identifier to use for the authorization and the type of authorization to support multiple forms of identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdditionalInfo {
    /// This field specifies the additional IdToken.
    #[serde(rename = "additionalIdToken")]
    pub additional_id_token: String,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This defines the type of the additionalIdToken. This is a custom type, so the implementation needs to be agreed upon by all involved parties.
    #[serde(rename = "type")]
    pub r#type: String,
}

/// Attribute type for which value is requested. When absent, default Actual is assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AttributeEnum {
    #[serde(rename = "Actual")]
    Actual,
    #[serde(rename = "Target")]
    Target,
    #[serde(rename = "MinSet")]
    MinSet,
    #[serde(rename = "MaxSet")]
    MaxSet,
}

impl AttributeEnum {
    pub const ALL: [AttributeEnum; 4] = [AttributeEnum::Actual, AttributeEnum::Target, AttributeEnum::MinSet, AttributeEnum::MaxSet];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AttributeEnum::Actual => "Actual",
            AttributeEnum::Target => "Target",
            AttributeEnum::MinSet => "MinSet",
            AttributeEnum::MaxSet => "MaxSet",
        }
    }
}

/// Contains the identifier to use for authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationData {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "idToken")]
    pub id_token: IdToken,
    #[serde(rename = "idTokenInfo", default, skip_serializing_if = "Option::is_none")]
    pub id_token_info: Option<IdTokenInfo>,
}

/// ID_ Token. Status. Authorization_ Status
/// urn:x-oca:ocpp:uid:1:569372
/// Current status of the ID Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AuthorizationStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Blocked")]
    Blocked,
    #[serde(rename = "ConcurrentTx")]
    ConcurrentTx,
    #[serde(rename = "Expired")]
    Expired,
    #[serde(rename = "Invalid")]
    Invalid,
    #[serde(rename = "NoCredit")]
    NoCredit,
    #[serde(rename = "NotAllowedTypeEVSE")]
    NotAllowedTypeEVSE,
    #[serde(rename = "NotAtThisLocation")]
    NotAtThisLocation,
    #[serde(rename = "NotAtThisTime")]
    NotAtThisTime,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl AuthorizationStatusEnum {
    pub const ALL: [AuthorizationStatusEnum; 10] = [AuthorizationStatusEnum::Accepted, AuthorizationStatusEnum::Blocked, AuthorizationStatusEnum::ConcurrentTx, AuthorizationStatusEnum::Expired, AuthorizationStatusEnum::Invalid, AuthorizationStatusEnum::NoCredit, AuthorizationStatusEnum::NotAllowedTypeEVSE, AuthorizationStatusEnum::NotAtThisLocation, AuthorizationStatusEnum::NotAtThisTime, AuthorizationStatusEnum::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatusEnum::Accepted => "Accepted",
            AuthorizationStatusEnum::Blocked => "Blocked",
            AuthorizationStatusEnum::ConcurrentTx => "ConcurrentTx",
            AuthorizationStatusEnum::Expired => "Expired",
            AuthorizationStatusEnum::Invalid => "Invalid",
            AuthorizationStatusEnum::NoCredit => "NoCredit",
            AuthorizationStatusEnum::NotAllowedTypeEVSE => "NotAllowedTypeEVSE",
            AuthorizationStatusEnum::NotAtThisLocation => "NotAtThisLocation",
            AuthorizationStatusEnum::NotAtThisTime => "NotAtThisTime",
            AuthorizationStatusEnum::Unknown => "Unknown",
        }
    }
}

/// Certificate status information.
/// - if all certificates are valid: return 'Accepted'.
/// - if one of the certificates was revoked, return 'CertificateRevoked'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AuthorizeCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "SignatureError")]
    SignatureError,
    #[serde(rename = "CertificateExpired")]
    CertificateExpired,
    #[serde(rename = "CertificateRevoked")]
    CertificateRevoked,
    #[serde(rename = "NoCertificateAvailable")]
    NoCertificateAvailable,
    #[serde(rename = "CertChainError")]
    CertChainError,
    #[serde(rename = "ContractCancelled")]
    ContractCancelled,
}

impl AuthorizeCertificateStatusEnum {
    pub const ALL: [AuthorizeCertificateStatusEnum; 7] = [AuthorizeCertificateStatusEnum::Accepted, AuthorizeCertificateStatusEnum::SignatureError, AuthorizeCertificateStatusEnum::CertificateExpired, AuthorizeCertificateStatusEnum::CertificateRevoked, AuthorizeCertificateStatusEnum::NoCertificateAvailable, AuthorizeCertificateStatusEnum::CertChainError, AuthorizeCertificateStatusEnum::ContractCancelled];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorizeCertificateStatusEnum::Accepted => "Accepted",
            AuthorizeCertificateStatusEnum::SignatureError => "SignatureError",
            AuthorizeCertificateStatusEnum::CertificateExpired => "CertificateExpired",
            AuthorizeCertificateStatusEnum::CertificateRevoked => "CertificateRevoked",
            AuthorizeCertificateStatusEnum::NoCertificateAvailable => "NoCertificateAvailable",
            AuthorizeCertificateStatusEnum::CertChainError => "CertChainError",
            AuthorizeCertificateStatusEnum::ContractCancelled => "ContractCancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The X.509 certificated presented by EV and encoded in PEM format.
    #[serde(rename = "certificate", default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "idToken")]
    pub id_token: IdToken,
    #[serde(rename = "iso15118CertificateHashData", default, skip_serializing_if = "Option::is_none")]
    pub iso15118_certificate_hash_data: Option<Vec<OCSPRequestData>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeResponse {
    #[serde(rename = "certificateStatus", default, skip_serializing_if = "Option::is_none")]
    pub certificate_status: Option<AuthorizeCertificateStatusEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "idTokenInfo")]
    pub id_token_info: IdTokenInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootNotificationRequest {
    #[serde(rename = "chargingStation")]
    pub charging_station: ChargingStation,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "reason")]
    pub reason: BootReasonEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootNotificationResponse {
    /// This contains the CSMS’s current time.
    #[serde(rename = "currentTime")]
    pub current_time: DateTime,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// When &lt;&lt;cmn_registrationstatusenumtype,Status&gt;&gt; is Accepted, this contains the heartbeat interval in seconds. If the CSMS returns something other than Accepted, the value of the interval field indicates the minimum wait time before sending a next BootNotification request.
    #[serde(rename = "interval", deserialize_with = "crate::ocpp::types::de_integer")]
    pub interval: i64,
    #[serde(rename = "status")]
    pub status: RegistrationStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This contains the reason for sending this message to the CSMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BootReasonEnum {
    #[serde(rename = "ApplicationReset")]
    ApplicationReset,
    #[serde(rename = "FirmwareUpdate")]
    FirmwareUpdate,
    #[serde(rename = "LocalReset")]
    LocalReset,
    #[serde(rename = "PowerUp")]
    PowerUp,
    #[serde(rename = "RemoteReset")]
    RemoteReset,
    #[serde(rename = "ScheduledReset")]
    ScheduledReset,
    #[serde(rename = "Triggered")]
    Triggered,
    #[serde(rename = "Unknown")]
    Unknown,
    #[serde(rename = "Watchdog")]
    Watchdog,
}

impl BootReasonEnum {
    pub const ALL: [BootReasonEnum; 9] = [BootReasonEnum::ApplicationReset, BootReasonEnum::FirmwareUpdate, BootReasonEnum::LocalReset, BootReasonEnum::PowerUp, BootReasonEnum::RemoteReset, BootReasonEnum::ScheduledReset, BootReasonEnum::Triggered, BootReasonEnum::Unknown, BootReasonEnum::Watchdog];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            BootReasonEnum::ApplicationReset => "ApplicationReset",
            BootReasonEnum::FirmwareUpdate => "FirmwareUpdate",
            BootReasonEnum::LocalReset => "LocalReset",
            BootReasonEnum::PowerUp => "PowerUp",
            BootReasonEnum::RemoteReset => "RemoteReset",
            BootReasonEnum::ScheduledReset => "ScheduledReset",
            BootReasonEnum::Triggered => "Triggered",
            BootReasonEnum::Unknown => "Unknown",
            BootReasonEnum::Watchdog => "Watchdog",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelReservationRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Id of the reservation to cancel.
    #[serde(rename = "reservationId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub reservation_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelReservationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: CancelReservationStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates the success or failure of the canceling of a reservation by CSMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CancelReservationStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl CancelReservationStatusEnum {
    pub const ALL: [CancelReservationStatusEnum; 2] = [CancelReservationStatusEnum::Accepted, CancelReservationStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CancelReservationStatusEnum::Accepted => "Accepted",
            CancelReservationStatusEnum::Rejected => "Rejected",
        }
    }
}

/// Defines whether certificate needs to be installed or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CertificateActionEnum {
    #[serde(rename = "Install")]
    Install,
    #[serde(rename = "Update")]
    Update,
}

impl CertificateActionEnum {
    pub const ALL: [CertificateActionEnum; 2] = [CertificateActionEnum::Install, CertificateActionEnum::Update];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateActionEnum::Install => "Install",
            CertificateActionEnum::Update => "Update",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateHashData {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "hashAlgorithm")]
    pub hash_algorithm: HashAlgorithmEnum,
    /// Hashed value of the issuers public key
    #[serde(rename = "issuerKeyHash")]
    pub issuer_key_hash: String,
    /// Hashed value of the Issuer DN (Distinguished Name).
    #[serde(rename = "issuerNameHash")]
    pub issuer_name_hash: String,
    /// The serial number of the certificate.
    #[serde(rename = "serialNumber")]
    pub serial_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateHashDataChain {
    #[serde(rename = "certificateHashData")]
    pub certificate_hash_data: CertificateHashData,
    #[serde(rename = "certificateType")]
    pub certificate_type: GetCertificateIdUseEnum,
    #[serde(rename = "childCertificateHashData", default, skip_serializing_if = "Option::is_none")]
    pub child_certificate_hash_data: Option<Vec<CertificateHashData>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignedRequest {
    /// The signed PEM encoded X.509 certificate. This can also contain the necessary sub CA certificates. In that case, the order of the bundle should follow the certificate chain, starting from the leaf certificate.
    ///
    /// The Configuration Variable &lt;&lt;configkey-max-certificate-chain-size,MaxCertificateChainSize&gt;&gt; can be used to limit the maximum size of this field.
    #[serde(rename = "certificateChain")]
    pub certificate_chain: String,
    #[serde(rename = "certificateType", default, skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<CertificateSigningUseEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSignedResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: CertificateSignedStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Returns whether certificate signing has been accepted, otherwise rejected.
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

/// Indicates the type of the signed certificate that is returned. When omitted the certificate is used for both the 15118 connection (if implemented) and the Charging Station to CSMS connection. This field is required when a typeOfCertificate was included in the &lt;&lt;signcertificaterequest,SignCertificateRequest&gt;&gt; that requested this certificate to be signed AND both the 15118 connection and the Charging Station connection are implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CertificateSigningUseEnum {
    #[serde(rename = "ChargingStationCertificate")]
    ChargingStationCertificate,
    #[serde(rename = "V2GCertificate")]
    V2GCertificate,
}

impl CertificateSigningUseEnum {
    pub const ALL: [CertificateSigningUseEnum; 2] = [CertificateSigningUseEnum::ChargingStationCertificate, CertificateSigningUseEnum::V2GCertificate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateSigningUseEnum::ChargingStationCertificate => "ChargingStationCertificate",
            CertificateSigningUseEnum::V2GCertificate => "V2GCertificate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeAvailabilityRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "evse", default, skip_serializing_if = "Option::is_none")]
    pub evse: Option<EVSE>,
    #[serde(rename = "operationalStatus")]
    pub operational_status: OperationalStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeAvailabilityResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ChangeAvailabilityStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates whether the Charging Station is able to perform the availability change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChangeAvailabilityStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Scheduled")]
    Scheduled,
}

impl ChangeAvailabilityStatusEnum {
    pub const ALL: [ChangeAvailabilityStatusEnum; 3] = [ChangeAvailabilityStatusEnum::Accepted, ChangeAvailabilityStatusEnum::Rejected, ChangeAvailabilityStatusEnum::Scheduled];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeAvailabilityStatusEnum::Accepted => "Accepted",
            ChangeAvailabilityStatusEnum::Rejected => "Rejected",
            ChangeAvailabilityStatusEnum::Scheduled => "Scheduled",
        }
    }
}

/// Charging_ Limit
/// urn:x-enexis:ecdm:uid:2:234489
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingLimit {
    #[serde(rename = "chargingLimitSource")]
    pub charging_limit_source: ChargingLimitSourceEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Charging_ Limit. Is_ Grid_ Critical. Indicator
    /// urn:x-enexis:ecdm:uid:1:570847
    /// Indicates whether the charging limit is critical for the grid.
    #[serde(rename = "isGridCritical", default, skip_serializing_if = "Option::is_none")]
    pub is_grid_critical: Option<bool>,
}

/// Source of the charging limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingLimitSourceEnum {
    #[serde(rename = "EMS")]
    EMS,
    #[serde(rename = "Other")]
    Other,
    #[serde(rename = "SO")]
    SO,
    #[serde(rename = "CSO")]
    CSO,
}

impl ChargingLimitSourceEnum {
    pub const ALL: [ChargingLimitSourceEnum; 4] = [ChargingLimitSourceEnum::EMS, ChargingLimitSourceEnum::Other, ChargingLimitSourceEnum::SO, ChargingLimitSourceEnum::CSO];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingLimitSourceEnum::EMS => "EMS",
            ChargingLimitSourceEnum::Other => "Other",
            ChargingLimitSourceEnum::SO => "SO",
            ChargingLimitSourceEnum::CSO => "CSO",
        }
    }
}

/// Charging_ Needs
/// urn:x-oca:ocpp:uid:2:233249
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingNeeds {
    #[serde(rename = "acChargingParameters", default, skip_serializing_if = "Option::is_none")]
    pub ac_charging_parameters: Option<ACChargingParameters>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "dcChargingParameters", default, skip_serializing_if = "Option::is_none")]
    pub dc_charging_parameters: Option<DCChargingParameters>,
    /// Charging_ Needs. Departure_ Time. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569223
    /// Estimated departure time of the EV.
    #[serde(rename = "departureTime", default, skip_serializing_if = "Option::is_none")]
    pub departure_time: Option<DateTime>,
    #[serde(rename = "requestedEnergyTransfer")]
    pub requested_energy_transfer: EnergyTransferModeEnum,
}

/// Charging_ Profile
/// urn:x-oca:ocpp:uid:2:233255
/// A ChargingProfile consists of ChargingSchedule, describing the amount of power or current that can be delivered per time interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingProfile {
    #[serde(rename = "chargingProfileKind")]
    pub charging_profile_kind: ChargingProfileKindEnum,
    #[serde(rename = "chargingProfilePurpose")]
    pub charging_profile_purpose: ChargingProfilePurposeEnum,
    #[serde(rename = "chargingSchedule")]
    pub charging_schedule: Vec<ChargingSchedule>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identified_ Object. MRID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:569198
    /// Id of ChargingProfile.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    #[serde(rename = "recurrencyKind", default, skip_serializing_if = "Option::is_none")]
    pub recurrency_kind: Option<RecurrencyKindEnum>,
    /// Charging_ Profile. Stack_ Level. Counter
    /// urn:x-oca:ocpp:uid:1:569230
    /// Value determining level in hierarchy stack of profiles. Higher values have precedence over lower values. Lowest level is 0.
    #[serde(rename = "stackLevel", deserialize_with = "crate::ocpp::types::de_integer")]
    pub stack_level: i64,
    /// SHALL only be included if ChargingProfilePurpose is set to TxProfile. The transactionId is used to match the profile to a specific transaction.
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Charging_ Profile. Valid_ From. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569234
    /// Point in time at which the profile starts to be valid. If absent, the profile is valid as soon as it is received by the Charging Station.
    #[serde(rename = "validFrom", default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime>,
    /// Charging_ Profile. Valid_ To. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569235
    /// Point in time at which the profile stops to be valid. If absent, the profile is valid until it is replaced by another profile.
    #[serde(rename = "validTo", default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<DateTime>,
}

/// Charging_ Profile
/// urn:x-oca:ocpp:uid:2:233255
/// A ChargingProfile consists of ChargingSchedule, describing the amount of power or current that can be delivered per time interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingProfileCriterion {
    /// For which charging limit sources, charging profiles SHALL be reported. If omitted, the Charging Station SHALL not filter on chargingLimitSource.
    #[serde(rename = "chargingLimitSource", default, skip_serializing_if = "Option::is_none")]
    pub charging_limit_source: Option<Vec<ChargingLimitSourceEnum>>,
    /// List of all the chargingProfileIds requested. Any ChargingProfile that matches one of these profiles will be reported. If omitted, the Charging Station SHALL not filter on chargingProfileId. This field SHALL NOT contain more ids than set in &lt;&lt;configkey-charging-profile-entries,ChargingProfileEntries.maxLimit&gt;&gt;
    #[serde(rename = "chargingProfileId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integers")]
    pub charging_profile_id: Option<Vec<i64>>,
    #[serde(rename = "chargingProfilePurpose", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile_purpose: Option<ChargingProfilePurposeEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Charging_ Profile. Stack_ Level. Counter
    /// urn:x-oca:ocpp:uid:1:569230
    /// Value determining level in hierarchy stack of profiles. Higher values have precedence over lower values. Lowest level is 0.
    #[serde(rename = "stackLevel", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub stack_level: Option<i64>,
}

/// Charging_ Profile. Charging_ Profile_ Kind. Charging_ Profile_ Kind_ Code
/// urn:x-oca:ocpp:uid:1:569232
/// Indicates the kind of schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfileKindEnum {
    #[serde(rename = "Absolute")]
    Absolute,
    #[serde(rename = "Recurring")]
    Recurring,
    #[serde(rename = "Relative")]
    Relative,
}

impl ChargingProfileKindEnum {
    pub const ALL: [ChargingProfileKindEnum; 3] = [ChargingProfileKindEnum::Absolute, ChargingProfileKindEnum::Recurring, ChargingProfileKindEnum::Relative];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfileKindEnum::Absolute => "Absolute",
            ChargingProfileKindEnum::Recurring => "Recurring",
            ChargingProfileKindEnum::Relative => "Relative",
        }
    }
}

/// Charging_ Profile. Charging_ Profile_ Purpose. Charging_ Profile_ Purpose_ Code
/// urn:x-oca:ocpp:uid:1:569231
/// Specifies to purpose of the charging profiles that will be cleared, if they meet the other criteria in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfilePurposeEnum {
    #[serde(rename = "ChargingStationExternalConstraints")]
    ChargingStationExternalConstraints,
    #[serde(rename = "ChargingStationMaxProfile")]
    ChargingStationMaxProfile,
    #[serde(rename = "TxDefaultProfile")]
    TxDefaultProfile,
    #[serde(rename = "TxProfile")]
    TxProfile,
}

impl ChargingProfilePurposeEnum {
    pub const ALL: [ChargingProfilePurposeEnum; 4] = [ChargingProfilePurposeEnum::ChargingStationExternalConstraints, ChargingProfilePurposeEnum::ChargingStationMaxProfile, ChargingProfilePurposeEnum::TxDefaultProfile, ChargingProfilePurposeEnum::TxProfile];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfilePurposeEnum::ChargingStationExternalConstraints => "ChargingStationExternalConstraints",
            ChargingProfilePurposeEnum::ChargingStationMaxProfile => "ChargingStationMaxProfile",
            ChargingProfilePurposeEnum::TxDefaultProfile => "TxDefaultProfile",
            ChargingProfilePurposeEnum::TxProfile => "TxProfile",
        }
    }
}

/// Returns whether the Charging Station has been able to process the message successfully. This does not guarantee the schedule will be followed to the letter. There might be other constraints the Charging Station may need to take into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingProfileStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl ChargingProfileStatusEnum {
    pub const ALL: [ChargingProfileStatusEnum; 2] = [ChargingProfileStatusEnum::Accepted, ChargingProfileStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingProfileStatusEnum::Accepted => "Accepted",
            ChargingProfileStatusEnum::Rejected => "Rejected",
        }
    }
}

/// Can be used to force a power or current profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingRateUnitEnum {
    #[serde(rename = "W")]
    W,
    #[serde(rename = "A")]
    A,
}

impl ChargingRateUnitEnum {
    pub const ALL: [ChargingRateUnitEnum; 2] = [ChargingRateUnitEnum::W, ChargingRateUnitEnum::A];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingRateUnitEnum::W => "W",
            ChargingRateUnitEnum::A => "A",
        }
    }
}

/// Charging_ Schedule
/// urn:x-oca:ocpp:uid:2:233256
/// Charging schedule structure defines a list of charging periods, as used in: GetCompositeSchedule.conf and ChargingProfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingSchedule {
    #[serde(rename = "chargingRateUnit")]
    pub charging_rate_unit: ChargingRateUnitEnum,
    #[serde(rename = "chargingSchedulePeriod")]
    pub charging_schedule_period: Vec<ChargingSchedulePeriod>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Charging_ Schedule. Duration. Elapsed_ Time
    /// urn:x-oca:ocpp:uid:1:569236
    /// Duration of the charging schedule in seconds. If the duration is left empty, the last period will continue indefinitely or until end of the transaction if chargingProfilePurpose = TxProfile.
    #[serde(rename = "duration", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub duration: Option<i64>,
    /// Identifies the ChargingSchedule.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    /// Charging_ Schedule. Min_ Charging_ Rate. Numeric
    /// urn:x-oca:ocpp:uid:1:569239
    /// Minimum charging rate supported by the EV. The unit of measure is defined by the chargingRateUnit. This parameter is intended to be used by a local smart charging algorithm to optimize the power allocation for in the case a charging process is inefficient at lower charging rates. Accepts at most one digit fraction (e.g. 8.1)
    #[serde(rename = "minChargingRate", default, skip_serializing_if = "Option::is_none")]
    pub min_charging_rate: Option<f64>,
    #[serde(rename = "salesTariff", default, skip_serializing_if = "Option::is_none")]
    pub sales_tariff: Option<SalesTariff>,
    /// Charging_ Schedule. Start_ Schedule. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569237
    /// Starting point of an absolute schedule. If absent the schedule will be relative to start of charging.
    #[serde(rename = "startSchedule", default, skip_serializing_if = "Option::is_none")]
    pub start_schedule: Option<DateTime>,
}

/// Charging_ Schedule_ Period
/// urn:x-oca:ocpp:uid:2:233257
/// Charging schedule period structure defines a time period in a charging schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingSchedulePeriod {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Charging_ Schedule_ Period. Limit. Measure
    /// urn:x-oca:ocpp:uid:1:569241
    /// Charging rate limit during the schedule period, in the applicable chargingRateUnit, for example in Amperes (A) or Watts (W). Accepts at most one digit fraction (e.g. 8.1).
    #[serde(rename = "limit")]
    pub limit: f64,
    /// Charging_ Schedule_ Period. Number_ Phases. Counter
    /// urn:x-oca:ocpp:uid:1:569242
    /// The number of phases that can be used for charging. If a number of phases is needed, numberPhases=3 will be assumed unless another number is given.
    #[serde(rename = "numberPhases", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub number_phases: Option<i64>,
    /// Values: 1..3, Used if numberPhases=1 and if the EVSE is capable of switching the phase connected to the EV, i.e. ACPhaseSwitchingSupported is defined and true. It’s not allowed unless both conditions above are true. If both conditions are true, and phaseToUse is omitted, the Charging Station / EVSE will make the selection on its own.
    #[serde(rename = "phaseToUse", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub phase_to_use: Option<i64>,
    /// Charging_ Schedule_ Period. Start_ Period. Elapsed_ Time
    /// urn:x-oca:ocpp:uid:1:569240
    /// Start of the period, in seconds from the start of schedule. The value of StartPeriod also defines the stop time of the previous period.
    #[serde(rename = "startPeriod", deserialize_with = "crate::ocpp::types::de_integer")]
    pub start_period: i64,
}

/// Transaction. State. Transaction_ State_ Code
/// urn:x-oca:ocpp:uid:1:569419
/// Current charging state, is required when state
/// has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChargingStateEnum {
    #[serde(rename = "Charging")]
    Charging,
    #[serde(rename = "EVConnected")]
    EVConnected,
    #[serde(rename = "SuspendedEV")]
    SuspendedEV,
    #[serde(rename = "SuspendedEVSE")]
    SuspendedEVSE,
    #[serde(rename = "Idle")]
    Idle,
}

impl ChargingStateEnum {
    pub const ALL: [ChargingStateEnum; 5] = [ChargingStateEnum::Charging, ChargingStateEnum::EVConnected, ChargingStateEnum::SuspendedEV, ChargingStateEnum::SuspendedEVSE, ChargingStateEnum::Idle];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargingStateEnum::Charging => "Charging",
            ChargingStateEnum::EVConnected => "EVConnected",
            ChargingStateEnum::SuspendedEV => "SuspendedEV",
            ChargingStateEnum::SuspendedEVSE => "SuspendedEVSE",
            ChargingStateEnum::Idle => "Idle",
        }
    }
}

/// Charge_ Point
/// urn:x-oca:ocpp:uid:2:233122
/// The physical system where an Electrical Vehicle (EV) can be charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargingStation {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains the firmware version of the Charging Station.
    #[serde(rename = "firmwareVersion", default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// Device. Model. CI20_ Text
    /// urn:x-oca:ocpp:uid:1:569325
    /// Defines the model of the device.
    #[serde(rename = "model")]
    pub model: String,
    #[serde(rename = "modem", default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<Modem>,
    /// Device. Serial_ Number. Serial_ Number
    /// urn:x-oca:ocpp:uid:1:569324
    /// Vendor-specific device identifier.
    #[serde(rename = "serialNumber", default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Identifies the vendor (not necessarily in a unique manner).
    #[serde(rename = "vendorName")]
    pub vendor_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearCacheRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearCacheResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ClearCacheStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Accepted if the Charging Station has executed the request, otherwise rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearCacheStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl ClearCacheStatusEnum {
    pub const ALL: [ClearCacheStatusEnum; 2] = [ClearCacheStatusEnum::Accepted, ClearCacheStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearCacheStatusEnum::Accepted => "Accepted",
            ClearCacheStatusEnum::Rejected => "Rejected",
        }
    }
}

/// Charging_ Profile
/// urn:x-oca:ocpp:uid:2:233255
/// A ChargingProfile consists of a ChargingSchedule, describing the amount of power or current that can be delivered per time interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearChargingProfile {
    #[serde(rename = "chargingProfilePurpose", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile_purpose: Option<ChargingProfilePurposeEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identified_ Object. MRID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:569198
    /// Specifies the id of the EVSE for which to clear charging profiles. An evseId of zero (0) specifies the charging profile for the overall Charging Station. Absence of this parameter means the clearing applies to all charging profiles that match the other criteria in the request.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
    /// Charging_ Profile. Stack_ Level. Counter
    /// urn:x-oca:ocpp:uid:1:569230
    /// Specifies the stackLevel for which charging profiles will be cleared, if they meet the other criteria in the request.
    #[serde(rename = "stackLevel", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub stack_level: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearChargingProfileRequest {
    #[serde(rename = "chargingProfileCriteria", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile_criteria: Option<ClearChargingProfile>,
    /// The Id of the charging profile to clear.
    #[serde(rename = "chargingProfileId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub charging_profile_id: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearChargingProfileResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ClearChargingProfileStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Indicates if the Charging Station was able to execute the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearChargingProfileStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl ClearChargingProfileStatusEnum {
    pub const ALL: [ClearChargingProfileStatusEnum; 2] = [ClearChargingProfileStatusEnum::Accepted, ClearChargingProfileStatusEnum::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearChargingProfileStatusEnum::Accepted => "Accepted",
            ClearChargingProfileStatusEnum::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearDisplayMessageRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Id of the message that SHALL be removed from the Charging Station.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearDisplayMessageResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ClearMessageStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Returns whether the Charging Station has been able to remove the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearMessageStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl ClearMessageStatusEnum {
    pub const ALL: [ClearMessageStatusEnum; 2] = [ClearMessageStatusEnum::Accepted, ClearMessageStatusEnum::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearMessageStatusEnum::Accepted => "Accepted",
            ClearMessageStatusEnum::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearMonitoringResult {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Id of the monitor of which a clear was requested.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    #[serde(rename = "status")]
    pub status: ClearMonitoringStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Result of the clear request for this monitor, identified by its Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClearMonitoringStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotFound")]
    NotFound,
}

impl ClearMonitoringStatusEnum {
    pub const ALL: [ClearMonitoringStatusEnum; 3] = [ClearMonitoringStatusEnum::Accepted, ClearMonitoringStatusEnum::Rejected, ClearMonitoringStatusEnum::NotFound];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClearMonitoringStatusEnum::Accepted => "Accepted",
            ClearMonitoringStatusEnum::Rejected => "Rejected",
            ClearMonitoringStatusEnum::NotFound => "NotFound",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearVariableMonitoringRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// List of the monitors to be cleared, identified by there Id.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integers")]
    pub id: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearVariableMonitoringResponse {
    #[serde(rename = "clearMonitoringResult")]
    pub clear_monitoring_result: Vec<ClearMonitoringResult>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearedChargingLimitRequest {
    #[serde(rename = "chargingLimitSource")]
    pub charging_limit_source: ChargingLimitSourceEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// EVSE Identifier.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearedChargingLimitResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// A physical or logical component
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "evse", default, skip_serializing_if = "Option::is_none")]
    pub evse: Option<EVSE>,
    /// Name of instance in case the component exists as multiple instances. Case Insensitive. strongly advised to use Camel Case.
    #[serde(rename = "instance", default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Name of the component. Name should be taken from the list of standardized component names whenever possible. Case Insensitive. strongly advised to use Camel Case.
    #[serde(rename = "name")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ComponentCriterionEnum {
    #[serde(rename = "Active")]
    Active,
    #[serde(rename = "Available")]
    Available,
    #[serde(rename = "Enabled")]
    Enabled,
    #[serde(rename = "Problem")]
    Problem,
}

impl ComponentCriterionEnum {
    pub const ALL: [ComponentCriterionEnum; 4] = [ComponentCriterionEnum::Active, ComponentCriterionEnum::Available, ComponentCriterionEnum::Enabled, ComponentCriterionEnum::Problem];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ComponentCriterionEnum::Active => "Active",
            ComponentCriterionEnum::Available => "Available",
            ComponentCriterionEnum::Enabled => "Enabled",
            ComponentCriterionEnum::Problem => "Problem",
        }
    }
}

/// Class to report components, variables and variable attributes and characteristics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentVariable {
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable", default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<Variable>,
}

/// Composite_ Schedule
/// urn:x-oca:ocpp:uid:2:233362
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeSchedule {
    #[serde(rename = "chargingRateUnit")]
    pub charging_rate_unit: ChargingRateUnitEnum,
    #[serde(rename = "chargingSchedulePeriod")]
    pub charging_schedule_period: Vec<ChargingSchedulePeriod>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Duration of the schedule in seconds.
    #[serde(rename = "duration", deserialize_with = "crate::ocpp::types::de_integer")]
    pub duration: i64,
    /// The ID of the EVSE for which the
    /// schedule is requested. When evseid=0, the
    /// Charging Station calculated the expected
    /// consumption for the grid connection.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    /// Composite_ Schedule. Start. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569456
    /// Date and time at which the schedule becomes active. All time measurements within the schedule are relative to this timestamp.
    #[serde(rename = "scheduleStart")]
    pub schedule_start: DateTime,
}

/// This field specifies the connector type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConnectorEnum {
    #[serde(rename = "cCCS1")]
    CCCS1,
    #[serde(rename = "cCCS2")]
    CCCS2,
    #[serde(rename = "cG105")]
    CG105,
    #[serde(rename = "cTesla")]
    CTesla,
    #[serde(rename = "cType1")]
    CType1,
    #[serde(rename = "cType2")]
    CType2,
    #[serde(rename = "s309-1P-16A")]
    S3091P16A,
    #[serde(rename = "s309-1P-32A")]
    S3091P32A,
    #[serde(rename = "s309-3P-16A")]
    S3093P16A,
    #[serde(rename = "s309-3P-32A")]
    S3093P32A,
    #[serde(rename = "sBS1361")]
    SBS1361,
    #[serde(rename = "sCEE-7-7")]
    SCEE77,
    #[serde(rename = "sType2")]
    SType2,
    #[serde(rename = "sType3")]
    SType3,
    #[serde(rename = "Other1PhMax16A")]
    Other1PhMax16A,
    #[serde(rename = "Other1PhOver16A")]
    Other1PhOver16A,
    #[serde(rename = "Other3Ph")]
    Other3Ph,
    #[serde(rename = "Pan")]
    Pan,
    #[serde(rename = "wInductive")]
    WInductive,
    #[serde(rename = "wResonant")]
    WResonant,
    #[serde(rename = "Undetermined")]
    Undetermined,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl ConnectorEnum {
    pub const ALL: [ConnectorEnum; 22] = [ConnectorEnum::CCCS1, ConnectorEnum::CCCS2, ConnectorEnum::CG105, ConnectorEnum::CTesla, ConnectorEnum::CType1, ConnectorEnum::CType2, ConnectorEnum::S3091P16A, ConnectorEnum::S3091P32A, ConnectorEnum::S3093P16A, ConnectorEnum::S3093P32A, ConnectorEnum::SBS1361, ConnectorEnum::SCEE77, ConnectorEnum::SType2, ConnectorEnum::SType3, ConnectorEnum::Other1PhMax16A, ConnectorEnum::Other1PhOver16A, ConnectorEnum::Other3Ph, ConnectorEnum::Pan, ConnectorEnum::WInductive, ConnectorEnum::WResonant, ConnectorEnum::Undetermined, ConnectorEnum::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnectorEnum::CCCS1 => "cCCS1",
            ConnectorEnum::CCCS2 => "cCCS2",
            ConnectorEnum::CG105 => "cG105",
            ConnectorEnum::CTesla => "cTesla",
            ConnectorEnum::CType1 => "cType1",
            ConnectorEnum::CType2 => "cType2",
            ConnectorEnum::S3091P16A => "s309-1P-16A",
            ConnectorEnum::S3091P32A => "s309-1P-32A",
            ConnectorEnum::S3093P16A => "s309-3P-16A",
            ConnectorEnum::S3093P32A => "s309-3P-32A",
            ConnectorEnum::SBS1361 => "sBS1361",
            ConnectorEnum::SCEE77 => "sCEE-7-7",
            ConnectorEnum::SType2 => "sType2",
            ConnectorEnum::SType3 => "sType3",
            ConnectorEnum::Other1PhMax16A => "Other1PhMax16A",
            ConnectorEnum::Other1PhOver16A => "Other1PhOver16A",
            ConnectorEnum::Other3Ph => "Other3Ph",
            ConnectorEnum::Pan => "Pan",
            ConnectorEnum::WInductive => "wInductive",
            ConnectorEnum::WResonant => "wResonant",
            ConnectorEnum::Undetermined => "Undetermined",
            ConnectorEnum::Unknown => "Unknown",
        }
    }
}

/// This contains the current status of the Connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConnectorStatusEnum {
    #[serde(rename = "Available")]
    Available,
    #[serde(rename = "Occupied")]
    Occupied,
    #[serde(rename = "Reserved")]
    Reserved,
    #[serde(rename = "Unavailable")]
    Unavailable,
    #[serde(rename = "Faulted")]
    Faulted,
}

impl ConnectorStatusEnum {
    pub const ALL: [ConnectorStatusEnum; 5] = [ConnectorStatusEnum::Available, ConnectorStatusEnum::Occupied, ConnectorStatusEnum::Reserved, ConnectorStatusEnum::Unavailable, ConnectorStatusEnum::Faulted];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnectorStatusEnum::Available => "Available",
            ConnectorStatusEnum::Occupied => "Occupied",
            ConnectorStatusEnum::Reserved => "Reserved",
            ConnectorStatusEnum::Unavailable => "Unavailable",
            ConnectorStatusEnum::Faulted => "Faulted",
        }
    }
}

/// Consumption_ Cost
/// urn:x-oca:ocpp:uid:2:233259
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumptionCost {
    #[serde(rename = "cost")]
    pub cost: Vec<Cost>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Consumption_ Cost. Start_ Value. Numeric
    /// urn:x-oca:ocpp:uid:1:569246
    /// The lowest level of consumption that defines the starting point of this consumption block. The block interval extends to the start of the next interval.
    #[serde(rename = "startValue")]
    pub start_value: f64,
}

/// Cost
/// urn:x-oca:ocpp:uid:2:233258
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Cost. Amount. Amount
    /// urn:x-oca:ocpp:uid:1:569244
    /// The estimated or actual cost per kWh
    #[serde(rename = "amount", deserialize_with = "crate::ocpp::types::de_integer")]
    pub amount: i64,
    /// Cost. Amount_ Multiplier. Integer
    /// urn:x-oca:ocpp:uid:1:569245
    /// Values: -3..3, The amountMultiplier defines the exponent to base 10 (dec). The final value is determined by: amount * 10 ^ amountMultiplier
    #[serde(rename = "amountMultiplier", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub amount_multiplier: Option<i64>,
    #[serde(rename = "costKind")]
    pub cost_kind: CostKindEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Cost. Cost_ Kind. Cost_ Kind_ Code
/// urn:x-oca:ocpp:uid:1:569243
/// The kind of cost referred to in the message element amount
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CostKindEnum {
    #[serde(rename = "CarbonDioxideEmission")]
    CarbonDioxideEmission,
    #[serde(rename = "RelativePricePercentage")]
    RelativePricePercentage,
    #[serde(rename = "RenewableGenerationPercentage")]
    RenewableGenerationPercentage,
}

impl CostKindEnum {
    pub const ALL: [CostKindEnum; 3] = [CostKindEnum::CarbonDioxideEmission, CostKindEnum::RelativePricePercentage, CostKindEnum::RenewableGenerationPercentage];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CostKindEnum::CarbonDioxideEmission => "CarbonDioxideEmission",
            CostKindEnum::RelativePricePercentage => "RelativePricePercentage",
            CostKindEnum::RenewableGenerationPercentage => "RenewableGenerationPercentage",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostUpdatedRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Current total cost, based on the information known by the CSMS, of the transaction including taxes. In the currency configured with the configuration Variable: \[&lt;&lt;configkey-currency, Currency&gt;&gt;\]
    #[serde(rename = "totalCost")]
    pub total_cost: f64,
    /// Transaction Id of the transaction the current cost are asked for.
    #[serde(rename = "transactionId")]
    pub transaction_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostUpdatedResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// This class does not get 'AdditionalProperties = false' in the schema generation, so it can be extended with arbitrary JSON properties to allow adding custom data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomData {
    #[serde(rename = "vendorId")]
    pub vendor_id: String,
    /// Properties the schema allows beyond the ones it names.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInformationRequest {
    /// Flag indicating whether the Charging Station should clear all information about the customer referred to.
    #[serde(rename = "clear")]
    pub clear: bool,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "customerCertificate", default, skip_serializing_if = "Option::is_none")]
    pub customer_certificate: Option<CertificateHashData>,
    /// A (e.g. vendor specific) identifier of the customer this request refers to. This field contains a custom identifier other than IdToken and Certificate.
    /// One of the possible identifiers (customerIdentifier, customerIdToken or customerCertificate) should be in the request message.
    #[serde(rename = "customerIdentifier", default, skip_serializing_if = "Option::is_none")]
    pub customer_identifier: Option<String>,
    #[serde(rename = "idToken", default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    /// Flag indicating whether the Charging Station should return NotifyCustomerInformationRequest messages containing information about the customer referred to.
    #[serde(rename = "report")]
    pub report: bool,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInformationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: CustomerInformationStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Indicates whether the request was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CustomerInformationStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Invalid")]
    Invalid,
}

impl CustomerInformationStatusEnum {
    pub const ALL: [CustomerInformationStatusEnum; 3] = [CustomerInformationStatusEnum::Accepted, CustomerInformationStatusEnum::Rejected, CustomerInformationStatusEnum::Invalid];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            CustomerInformationStatusEnum::Accepted => "Accepted",
            CustomerInformationStatusEnum::Rejected => "Rejected",
            CustomerInformationStatusEnum::Invalid => "Invalid",
        }
    }
}

/// DC_ Charging_ Parameters
/// urn:x-oca:ocpp:uid:2:233251
/// EV DC charging parameters
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DCChargingParameters {
    /// DC_ Charging_ Parameters. Bulk_ SOC. Percentage
    /// urn:x-oca:ocpp:uid:1:569222
    /// Percentage of SoC at which the EV considers a fast charging process to end. (possible values: 0 - 100)
    #[serde(rename = "bulkSoC", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub bulk_so_c: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// DC_ Charging_ Parameters. Energy_ Amount. Energy_ Amount
    /// urn:x-oca:ocpp:uid:1:569217
    /// Amount of energy requested (in Wh). This inludes energy required for preconditioning.
    #[serde(rename = "energyAmount", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub energy_amount: Option<i64>,
    /// DC_ Charging_ Parameters. EV_ Energy_ Capacity. Numeric
    /// urn:x-oca:ocpp:uid:1:569220
    /// Capacity of the electric vehicle battery (in Wh)
    #[serde(rename = "evEnergyCapacity", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub ev_energy_capacity: Option<i64>,
    /// DC_ Charging_ Parameters. EV_ Max. Current
    /// urn:x-oca:ocpp:uid:1:569215
    /// Maximum current (amps) supported by the electric vehicle. Includes cable capacity.
    #[serde(rename = "evMaxCurrent", deserialize_with = "crate::ocpp::types::de_integer")]
    pub ev_max_current: i64,
    /// DC_ Charging_ Parameters. EV_ Max. Power
    /// urn:x-oca:ocpp:uid:1:569218
    /// Maximum power (in W) supported by the electric vehicle. Required for DC charging.
    #[serde(rename = "evMaxPower", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub ev_max_power: Option<i64>,
    /// DC_ Charging_ Parameters. EV_ Max. Voltage
    /// urn:x-oca:ocpp:uid:1:569216
    /// Maximum voltage supported by the electric vehicle
    #[serde(rename = "evMaxVoltage", deserialize_with = "crate::ocpp::types::de_integer")]
    pub ev_max_voltage: i64,
    /// DC_ Charging_ Parameters. Full_ SOC. Percentage
    /// urn:x-oca:ocpp:uid:1:569221
    /// Percentage of SoC at which the EV considers the battery fully charged. (possible values: 0 - 100)
    #[serde(rename = "fullSoC", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub full_so_c: Option<i64>,
    /// DC_ Charging_ Parameters. State_ Of_ Charge. Numeric
    /// urn:x-oca:ocpp:uid:1:569219
    /// Energy available in the battery (in percent of the battery capacity)
    #[serde(rename = "stateOfCharge", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub state_of_charge: Option<i64>,
}

/// Data type of this variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DataEnum {
    #[serde(rename = "string")]
    String,
    #[serde(rename = "decimal")]
    Decimal,
    #[serde(rename = "integer")]
    Integer,
    #[serde(rename = "dateTime")]
    DateTime,
    #[serde(rename = "boolean")]
    Boolean,
    #[serde(rename = "OptionList")]
    OptionList,
    #[serde(rename = "SequenceList")]
    SequenceList,
    #[serde(rename = "MemberList")]
    MemberList,
}

impl DataEnum {
    pub const ALL: [DataEnum; 8] = [DataEnum::String, DataEnum::Decimal, DataEnum::Integer, DataEnum::DateTime, DataEnum::Boolean, DataEnum::OptionList, DataEnum::SequenceList, DataEnum::MemberList];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataEnum::String => "string",
            DataEnum::Decimal => "decimal",
            DataEnum::Integer => "integer",
            DataEnum::DateTime => "dateTime",
            DataEnum::Boolean => "boolean",
            DataEnum::OptionList => "OptionList",
            DataEnum::SequenceList => "SequenceList",
            DataEnum::MemberList => "MemberList",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Data without specified length or format. This needs to be decided by both parties (Open to implementation).
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    /// May be used to indicate a specific message or implementation.
    #[serde(rename = "messageId", default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// This identifies the Vendor specific implementation
    #[serde(rename = "vendorId")]
    pub vendor_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Data without specified length or format, in response to request.
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    #[serde(rename = "status")]
    pub status: DataTransferStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates the success or failure of the data transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DataTransferStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "UnknownMessageId")]
    UnknownMessageId,
    #[serde(rename = "UnknownVendorId")]
    UnknownVendorId,
}

impl DataTransferStatusEnum {
    pub const ALL: [DataTransferStatusEnum; 4] = [DataTransferStatusEnum::Accepted, DataTransferStatusEnum::Rejected, DataTransferStatusEnum::UnknownMessageId, DataTransferStatusEnum::UnknownVendorId];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataTransferStatusEnum::Accepted => "Accepted",
            DataTransferStatusEnum::Rejected => "Rejected",
            DataTransferStatusEnum::UnknownMessageId => "UnknownMessageId",
            DataTransferStatusEnum::UnknownVendorId => "UnknownVendorId",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCertificateRequest {
    #[serde(rename = "certificateHashData")]
    pub certificate_hash_data: CertificateHashData,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCertificateResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: DeleteCertificateStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Charging Station indicates if it can process the request.
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

/// This indicates whether the Charging Station is able to display the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DisplayMessageStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "NotSupportedMessageFormat")]
    NotSupportedMessageFormat,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotSupportedPriority")]
    NotSupportedPriority,
    #[serde(rename = "NotSupportedState")]
    NotSupportedState,
    #[serde(rename = "UnknownTransaction")]
    UnknownTransaction,
}

impl DisplayMessageStatusEnum {
    pub const ALL: [DisplayMessageStatusEnum; 6] = [DisplayMessageStatusEnum::Accepted, DisplayMessageStatusEnum::NotSupportedMessageFormat, DisplayMessageStatusEnum::Rejected, DisplayMessageStatusEnum::NotSupportedPriority, DisplayMessageStatusEnum::NotSupportedState, DisplayMessageStatusEnum::UnknownTransaction];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DisplayMessageStatusEnum::Accepted => "Accepted",
            DisplayMessageStatusEnum::NotSupportedMessageFormat => "NotSupportedMessageFormat",
            DisplayMessageStatusEnum::Rejected => "Rejected",
            DisplayMessageStatusEnum::NotSupportedPriority => "NotSupportedPriority",
            DisplayMessageStatusEnum::NotSupportedState => "NotSupportedState",
            DisplayMessageStatusEnum::UnknownTransaction => "UnknownTransaction",
        }
    }
}

/// EVSE
/// urn:x-oca:ocpp:uid:2:233123
/// Electric Vehicle Supply Equipment
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EVSE {
    /// An id to designate a specific connector (on an EVSE) by connector index number.
    #[serde(rename = "connectorId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub connector_id: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identified_ Object. MRID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:569198
    /// EVSE Identifier. This contains a number (&gt; 0) designating an EVSE of the Charging Station.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
}

/// Charging_ Needs. Requested. Energy_ Transfer_ Mode_ Code
/// urn:x-oca:ocpp:uid:1:569209
/// Mode of energy transfer requested by the EV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EnergyTransferModeEnum {
    #[serde(rename = "DC")]
    DC,
    #[serde(rename = "AC_single_phase")]
    ACSinglePhase,
    #[serde(rename = "AC_two_phase")]
    ACTwoPhase,
    #[serde(rename = "AC_three_phase")]
    ACThreePhase,
}

impl EnergyTransferModeEnum {
    pub const ALL: [EnergyTransferModeEnum; 4] = [EnergyTransferModeEnum::DC, EnergyTransferModeEnum::ACSinglePhase, EnergyTransferModeEnum::ACTwoPhase, EnergyTransferModeEnum::ACThreePhase];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            EnergyTransferModeEnum::DC => "DC",
            EnergyTransferModeEnum::ACSinglePhase => "AC_single_phase",
            EnergyTransferModeEnum::ACTwoPhase => "AC_two_phase",
            EnergyTransferModeEnum::ACThreePhase => "AC_three_phase",
        }
    }
}

/// Class to report an event notification for a component-variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventData {
    /// Actual value (_attributeType_ Actual) of the variable.
    ///
    /// The Configuration Variable &lt;&lt;configkey-reporting-value-size,ReportingValueSize&gt;&gt; can be used to limit GetVariableResult.attributeValue, VariableAttribute.value and EventData.actualValue. The max size of these values will always remain equal.
    #[serde(rename = "actualValue")]
    pub actual_value: String,
    /// Refers to the Id of an event that is considered to be the cause for this event.
    #[serde(rename = "cause", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub cause: Option<i64>,
    /// _Cleared_ is set to true to report the clearing of a monitored situation, i.e. a 'return to normal'.
    #[serde(rename = "cleared", default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<bool>,
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identifies the event. This field can be referred to as a cause by other events.
    #[serde(rename = "eventId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub event_id: i64,
    #[serde(rename = "eventNotificationType")]
    pub event_notification_type: EventNotificationEnum,
    /// Technical (error) code as reported by component.
    #[serde(rename = "techCode", default, skip_serializing_if = "Option::is_none")]
    pub tech_code: Option<String>,
    /// Technical detail information as reported by component.
    #[serde(rename = "techInfo", default, skip_serializing_if = "Option::is_none")]
    pub tech_info: Option<String>,
    /// Timestamp of the moment the report was generated.
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
    /// If an event notification is linked to a specific transaction, this field can be used to specify its transactionId.
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(rename = "trigger")]
    pub trigger: EventTriggerEnum,
    #[serde(rename = "variable")]
    pub variable: Variable,
    /// Identifies the VariableMonitoring which triggered the event.
    #[serde(rename = "variableMonitoringId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub variable_monitoring_id: Option<i64>,
}

/// Specifies the event notification type of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventNotificationEnum {
    #[serde(rename = "HardWiredNotification")]
    HardWiredNotification,
    #[serde(rename = "HardWiredMonitor")]
    HardWiredMonitor,
    #[serde(rename = "PreconfiguredMonitor")]
    PreconfiguredMonitor,
    #[serde(rename = "CustomMonitor")]
    CustomMonitor,
}

impl EventNotificationEnum {
    pub const ALL: [EventNotificationEnum; 4] = [EventNotificationEnum::HardWiredNotification, EventNotificationEnum::HardWiredMonitor, EventNotificationEnum::PreconfiguredMonitor, EventNotificationEnum::CustomMonitor];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventNotificationEnum::HardWiredNotification => "HardWiredNotification",
            EventNotificationEnum::HardWiredMonitor => "HardWiredMonitor",
            EventNotificationEnum::PreconfiguredMonitor => "PreconfiguredMonitor",
            EventNotificationEnum::CustomMonitor => "CustomMonitor",
        }
    }
}

/// Type of monitor that triggered this event, e.g. exceeding a threshold value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventTriggerEnum {
    #[serde(rename = "Alerting")]
    Alerting,
    #[serde(rename = "Delta")]
    Delta,
    #[serde(rename = "Periodic")]
    Periodic,
}

impl EventTriggerEnum {
    pub const ALL: [EventTriggerEnum; 3] = [EventTriggerEnum::Alerting, EventTriggerEnum::Delta, EventTriggerEnum::Periodic];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventTriggerEnum::Alerting => "Alerting",
            EventTriggerEnum::Delta => "Delta",
            EventTriggerEnum::Periodic => "Periodic",
        }
    }
}

/// Firmware
/// urn:x-enexis:ecdm:uid:2:233291
/// Represents a copy of the firmware that can be loaded/updated on the Charging Station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firmware {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Firmware. Install. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569462
    /// Date and time at which the firmware shall be installed.
    #[serde(rename = "installDateTime", default, skip_serializing_if = "Option::is_none")]
    pub install_date_time: Option<DateTime>,
    /// Firmware. Location. URI
    /// urn:x-enexis:ecdm:uid:1:569460
    /// URI defining the origin of the firmware.
    #[serde(rename = "location")]
    pub location: String,
    /// Firmware. Retrieve. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569461
    /// Date and time at which the firmware shall be retrieved.
    #[serde(rename = "retrieveDateTime")]
    pub retrieve_date_time: DateTime,
    /// Firmware. Signature. Signature
    /// urn:x-enexis:ecdm:uid:1:569464
    /// Base64 encoded firmware signature.
    #[serde(rename = "signature", default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Certificate with which the firmware was signed.
    /// PEM encoded X.509 certificate.
    #[serde(rename = "signingCertificate", default, skip_serializing_if = "Option::is_none")]
    pub signing_certificate: Option<String>,
}

/// This contains the progress status of the firmware installation.
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
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The request id that was provided in the
    /// UpdateFirmwareRequest that started this firmware update.
    /// This field is mandatory, unless the message was triggered by a TriggerMessageRequest AND there is no firmware update ongoing.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub request_id: Option<i64>,
    #[serde(rename = "status")]
    pub status: FirmwareStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareStatusNotificationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// This indicates whether the Charging Station is able to accept this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GenericDeviceModelStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "NotSupported")]
    NotSupported,
    #[serde(rename = "EmptyResultSet")]
    EmptyResultSet,
}

impl GenericDeviceModelStatusEnum {
    pub const ALL: [GenericDeviceModelStatusEnum; 4] = [GenericDeviceModelStatusEnum::Accepted, GenericDeviceModelStatusEnum::Rejected, GenericDeviceModelStatusEnum::NotSupported, GenericDeviceModelStatusEnum::EmptyResultSet];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GenericDeviceModelStatusEnum::Accepted => "Accepted",
            GenericDeviceModelStatusEnum::Rejected => "Rejected",
            GenericDeviceModelStatusEnum::NotSupported => "NotSupported",
            GenericDeviceModelStatusEnum::EmptyResultSet => "EmptyResultSet",
        }
    }
}

/// The Charging Station will indicate if it was
/// able to process the request
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
pub struct Get15118EVCertificateRequest {
    #[serde(rename = "action")]
    pub action: CertificateActionEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Raw CertificateInstallationReq request from EV, Base64 encoded.
    #[serde(rename = "exiRequest")]
    pub exi_request: String,
    /// Schema version currently used for the 15118 session between EV and Charging Station. Needed for parsing of the EXI stream by the CSMS.
    #[serde(rename = "iso15118SchemaVersion")]
    pub iso15118_schema_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Get15118EVCertificateResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Raw CertificateInstallationRes response for the EV, Base64 encoded.
    #[serde(rename = "exiResponse")]
    pub exi_response: String,
    #[serde(rename = "status")]
    pub status: Iso15118EVCertificateStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetBaseReportRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "reportBase")]
    pub report_base: ReportBaseEnum,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetBaseReportResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericDeviceModelStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetCertificateIdUseEnum {
    #[serde(rename = "V2GRootCertificate")]
    V2GRootCertificate,
    #[serde(rename = "MORootCertificate")]
    MORootCertificate,
    #[serde(rename = "CSMSRootCertificate")]
    CSMSRootCertificate,
    #[serde(rename = "V2GCertificateChain")]
    V2GCertificateChain,
    #[serde(rename = "ManufacturerRootCertificate")]
    ManufacturerRootCertificate,
}

impl GetCertificateIdUseEnum {
    pub const ALL: [GetCertificateIdUseEnum; 5] = [GetCertificateIdUseEnum::V2GRootCertificate, GetCertificateIdUseEnum::MORootCertificate, GetCertificateIdUseEnum::CSMSRootCertificate, GetCertificateIdUseEnum::V2GCertificateChain, GetCertificateIdUseEnum::ManufacturerRootCertificate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetCertificateIdUseEnum::V2GRootCertificate => "V2GRootCertificate",
            GetCertificateIdUseEnum::MORootCertificate => "MORootCertificate",
            GetCertificateIdUseEnum::CSMSRootCertificate => "CSMSRootCertificate",
            GetCertificateIdUseEnum::V2GCertificateChain => "V2GCertificateChain",
            GetCertificateIdUseEnum::ManufacturerRootCertificate => "ManufacturerRootCertificate",
        }
    }
}

/// This indicates whether the charging station was able to retrieve the OCSP certificate status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
}

impl GetCertificateStatusEnum {
    pub const ALL: [GetCertificateStatusEnum; 2] = [GetCertificateStatusEnum::Accepted, GetCertificateStatusEnum::Failed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetCertificateStatusEnum::Accepted => "Accepted",
            GetCertificateStatusEnum::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCertificateStatusRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "ocspRequestData")]
    pub ocsp_request_data: OCSPRequestData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCertificateStatusResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// OCSPResponse class as defined in &lt;&lt;ref-ocpp_security_24, IETF RFC 6960&gt;&gt;. DER encoded (as defined in &lt;&lt;ref-ocpp_security_24, IETF RFC 6960&gt;&gt;), and then base64 encoded. MAY only be omitted when status is not Accepted.
    #[serde(rename = "ocspResult", default, skip_serializing_if = "Option::is_none")]
    pub ocsp_result: Option<String>,
    #[serde(rename = "status")]
    pub status: GetCertificateStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates whether the Charging Station is able to process this request and will send &lt;&lt;reportchargingprofilesrequest, ReportChargingProfilesRequest&gt;&gt; messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetChargingProfileStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "NoProfiles")]
    NoProfiles,
}

impl GetChargingProfileStatusEnum {
    pub const ALL: [GetChargingProfileStatusEnum; 2] = [GetChargingProfileStatusEnum::Accepted, GetChargingProfileStatusEnum::NoProfiles];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetChargingProfileStatusEnum::Accepted => "Accepted",
            GetChargingProfileStatusEnum::NoProfiles => "NoProfiles",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetChargingProfilesRequest {
    #[serde(rename = "chargingProfile")]
    pub charging_profile: ChargingProfileCriterion,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// For which EVSE installed charging profiles SHALL be reported. If 0, only charging profiles installed on the Charging Station itself (the grid connection) SHALL be reported. If omitted, all installed charging profiles SHALL be reported.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
    /// Reference identification that is to be used by the Charging Station in the &lt;&lt;reportchargingprofilesrequest, ReportChargingProfilesRequest&gt;&gt; when provided.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetChargingProfilesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GetChargingProfileStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCompositeScheduleRequest {
    #[serde(rename = "chargingRateUnit", default, skip_serializing_if = "Option::is_none")]
    pub charging_rate_unit: Option<ChargingRateUnitEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Length of the requested schedule in seconds.
    #[serde(rename = "duration", deserialize_with = "crate::ocpp::types::de_integer")]
    pub duration: i64,
    /// The ID of the EVSE for which the schedule is requested. When evseid=0, the Charging Station will calculate the expected consumption for the grid connection.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCompositeScheduleResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "schedule", default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CompositeSchedule>,
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetDisplayMessagesRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// If provided the Charging Station shall return Display Messages of the given ids. This field SHALL NOT contain more ids than set in &lt;&lt;configkey-number-of-display-messages,NumberOfDisplayMessages.maxLimit&gt;&gt;
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integers")]
    pub id: Option<Vec<i64>>,
    #[serde(rename = "priority", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<MessagePriorityEnum>,
    /// The Id of this request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    #[serde(rename = "state", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<MessageStateEnum>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetDisplayMessagesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GetDisplayMessagesStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Indicates if the Charging Station has Display Messages that match the request criteria in the &lt;&lt;getdisplaymessagesrequest,GetDisplayMessagesRequest&gt;&gt;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetDisplayMessagesStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Unknown")]
    Unknown,
}

impl GetDisplayMessagesStatusEnum {
    pub const ALL: [GetDisplayMessagesStatusEnum; 2] = [GetDisplayMessagesStatusEnum::Accepted, GetDisplayMessagesStatusEnum::Unknown];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetDisplayMessagesStatusEnum::Accepted => "Accepted",
            GetDisplayMessagesStatusEnum::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetInstalledCertificateIdsRequest {
    /// Indicates the type of certificates requested. When omitted, all certificate types are requested.
    #[serde(rename = "certificateType", default, skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<Vec<GetCertificateIdUseEnum>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetInstalledCertificateIdsResponse {
    #[serde(rename = "certificateHashDataChain", default, skip_serializing_if = "Option::is_none")]
    pub certificate_hash_data_chain: Option<Vec<CertificateHashDataChain>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GetInstalledCertificateStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Charging Station indicates if it can process the request.
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
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLocalListVersionResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains the current version number of the local authorization list in the Charging Station.
    #[serde(rename = "versionNumber", deserialize_with = "crate::ocpp::types::de_integer")]
    pub version_number: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLogRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "log")]
    pub log: LogParameters,
    #[serde(rename = "logType")]
    pub log_type: LogEnum,
    /// The Id of this request
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// This specifies how many times the Charging Station must try to upload the log before giving up. If this field is not present, it is left to Charging Station to decide how many times it wants to retry.
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    /// The interval in seconds after which a retry may be attempted. If this field is not present, it is left to Charging Station to decide how long to wait between attempts.
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLogResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains the name of the log file that will be uploaded. This field is not present when no logging information is available.
    #[serde(rename = "filename", default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(rename = "status")]
    pub status: LogStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetMonitoringReportRequest {
    #[serde(rename = "componentVariable", default, skip_serializing_if = "Option::is_none")]
    pub component_variable: Option<Vec<ComponentVariable>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This field contains criteria for components for which a monitoring report is requested
    #[serde(rename = "monitoringCriteria", default, skip_serializing_if = "Option::is_none")]
    pub monitoring_criteria: Option<Vec<MonitoringCriterionEnum>>,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetMonitoringReportResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericDeviceModelStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetReportRequest {
    /// This field contains criteria for components for which a report is requested
    #[serde(rename = "componentCriteria", default, skip_serializing_if = "Option::is_none")]
    pub component_criteria: Option<Vec<ComponentCriterionEnum>>,
    #[serde(rename = "componentVariable", default, skip_serializing_if = "Option::is_none")]
    pub component_variable: Option<Vec<ComponentVariable>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetReportResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericDeviceModelStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetTransactionStatusRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The Id of the transaction for which the status is requested.
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetTransactionStatusResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Whether there are still message to be delivered.
    #[serde(rename = "messagesInQueue")]
    pub messages_in_queue: bool,
    /// Whether the transaction is still ongoing.
    #[serde(rename = "ongoingIndicator", default, skip_serializing_if = "Option::is_none")]
    pub ongoing_indicator: Option<bool>,
}

/// Class to hold parameters for GetVariables request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetVariableData {
    #[serde(rename = "attributeType", default, skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<AttributeEnum>,
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

/// Class to hold results of GetVariables request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetVariableResult {
    #[serde(rename = "attributeStatus")]
    pub attribute_status: GetVariableStatusEnum,
    #[serde(rename = "attributeStatusInfo", default, skip_serializing_if = "Option::is_none")]
    pub attribute_status_info: Option<StatusInfo>,
    #[serde(rename = "attributeType", default, skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<AttributeEnum>,
    /// Value of requested attribute type of component-variable. This field can only be empty when the given status is NOT accepted.
    ///
    /// The Configuration Variable &lt;&lt;configkey-reporting-value-size,ReportingValueSize&gt;&gt; can be used to limit GetVariableResult.attributeValue, VariableAttribute.value and EventData.actualValue. The max size of these values will always remain equal.
    #[serde(rename = "attributeValue", default, skip_serializing_if = "Option::is_none")]
    pub attribute_value: Option<String>,
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

/// Result status of getting the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GetVariableStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "UnknownComponent")]
    UnknownComponent,
    #[serde(rename = "UnknownVariable")]
    UnknownVariable,
    #[serde(rename = "NotSupportedAttributeType")]
    NotSupportedAttributeType,
}

impl GetVariableStatusEnum {
    pub const ALL: [GetVariableStatusEnum; 5] = [GetVariableStatusEnum::Accepted, GetVariableStatusEnum::Rejected, GetVariableStatusEnum::UnknownComponent, GetVariableStatusEnum::UnknownVariable, GetVariableStatusEnum::NotSupportedAttributeType];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            GetVariableStatusEnum::Accepted => "Accepted",
            GetVariableStatusEnum::Rejected => "Rejected",
            GetVariableStatusEnum::UnknownComponent => "UnknownComponent",
            GetVariableStatusEnum::UnknownVariable => "UnknownVariable",
            GetVariableStatusEnum::NotSupportedAttributeType => "NotSupportedAttributeType",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetVariablesRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "getVariableData")]
    pub get_variable_data: Vec<GetVariableData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetVariablesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "getVariableResult")]
    pub get_variable_result: Vec<GetVariableResult>,
}

/// Used algorithms for the hashes provided.
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
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatResponse {
    /// Contains the current time of the CSMS.
    #[serde(rename = "currentTime")]
    pub current_time: DateTime,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Contains a case insensitive identifier to use for the authorization and the type of authorization to support multiple forms of identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdToken {
    #[serde(rename = "additionalInfo", default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Vec<AdditionalInfo>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// IdToken is case insensitive. Might hold the hidden id of an RFID tag, but can for example also contain a UUID.
    #[serde(rename = "idToken")]
    pub id_token: String,
    #[serde(rename = "type")]
    pub r#type: IdTokenEnum,
}

/// Enumeration of possible idToken types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IdTokenEnum {
    #[serde(rename = "Central")]
    Central,
    #[serde(rename = "eMAID")]
    EMAID,
    #[serde(rename = "ISO14443")]
    ISO14443,
    #[serde(rename = "ISO15693")]
    ISO15693,
    #[serde(rename = "KeyCode")]
    KeyCode,
    #[serde(rename = "Local")]
    Local,
    #[serde(rename = "MacAddress")]
    MacAddress,
    #[serde(rename = "NoAuthorization")]
    NoAuthorization,
}

impl IdTokenEnum {
    pub const ALL: [IdTokenEnum; 8] = [IdTokenEnum::Central, IdTokenEnum::EMAID, IdTokenEnum::ISO14443, IdTokenEnum::ISO15693, IdTokenEnum::KeyCode, IdTokenEnum::Local, IdTokenEnum::MacAddress, IdTokenEnum::NoAuthorization];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdTokenEnum::Central => "Central",
            IdTokenEnum::EMAID => "eMAID",
            IdTokenEnum::ISO14443 => "ISO14443",
            IdTokenEnum::ISO15693 => "ISO15693",
            IdTokenEnum::KeyCode => "KeyCode",
            IdTokenEnum::Local => "Local",
            IdTokenEnum::MacAddress => "MacAddress",
            IdTokenEnum::NoAuthorization => "NoAuthorization",
        }
    }
}

/// ID_ Token
/// urn:x-oca:ocpp:uid:2:233247
/// Contains status information about an identifier.
/// It is advised to not stop charging for a token that expires during charging, as ExpiryDate is only used for caching purposes. If ExpiryDate is not given, the status has no end date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenInfo {
    /// ID_ Token. Expiry. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569373
    /// Date and Time after which the token must be considered invalid.
    #[serde(rename = "cacheExpiryDateTime", default, skip_serializing_if = "Option::is_none")]
    pub cache_expiry_date_time: Option<DateTime>,
    /// Priority from a business point of view. Default priority is 0, The range is from -9 to 9. Higher values indicate a higher priority. The chargingPriority in &lt;&lt;transactioneventresponse,TransactionEventResponse&gt;&gt; overrules this one.
    #[serde(rename = "chargingPriority", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub charging_priority: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Only used when the IdToken is only valid for one or more specific EVSEs, not for the entire Charging Station.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integers")]
    pub evse_id: Option<Vec<i64>>,
    #[serde(rename = "groupIdToken", default, skip_serializing_if = "Option::is_none")]
    pub group_id_token: Option<IdToken>,
    /// ID_ Token. Language1. Language_ Code
    /// urn:x-oca:ocpp:uid:1:569374
    /// Preferred user interface language of identifier user. Contains a language code as defined in &lt;&lt;ref-RFC5646,\[RFC5646\]&gt;&gt;.
    #[serde(rename = "language1", default, skip_serializing_if = "Option::is_none")]
    pub language1: Option<String>,
    /// ID_ Token. Language2. Language_ Code
    /// urn:x-oca:ocpp:uid:1:569375
    /// Second preferred user interface language of identifier user. Don’t use when language1 is omitted, has to be different from language1. Contains a language code as defined in &lt;&lt;ref-RFC5646,\[RFC5646\]&gt;&gt;.
    #[serde(rename = "language2", default, skip_serializing_if = "Option::is_none")]
    pub language2: Option<String>,
    #[serde(rename = "personalMessage", default, skip_serializing_if = "Option::is_none")]
    pub personal_message: Option<MessageContent>,
    #[serde(rename = "status")]
    pub status: AuthorizationStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallCertificateRequest {
    /// A PEM encoded X.509 certificate.
    #[serde(rename = "certificate")]
    pub certificate: String,
    #[serde(rename = "certificateType")]
    pub certificate_type: InstallCertificateUseEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallCertificateResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: InstallCertificateStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Charging Station indicates if installation was successful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InstallCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Failed")]
    Failed,
}

impl InstallCertificateStatusEnum {
    pub const ALL: [InstallCertificateStatusEnum; 3] = [InstallCertificateStatusEnum::Accepted, InstallCertificateStatusEnum::Rejected, InstallCertificateStatusEnum::Failed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            InstallCertificateStatusEnum::Accepted => "Accepted",
            InstallCertificateStatusEnum::Rejected => "Rejected",
            InstallCertificateStatusEnum::Failed => "Failed",
        }
    }
}

/// Indicates the certificate type that is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InstallCertificateUseEnum {
    #[serde(rename = "V2GRootCertificate")]
    V2GRootCertificate,
    #[serde(rename = "MORootCertificate")]
    MORootCertificate,
    #[serde(rename = "CSMSRootCertificate")]
    CSMSRootCertificate,
    #[serde(rename = "ManufacturerRootCertificate")]
    ManufacturerRootCertificate,
}

impl InstallCertificateUseEnum {
    pub const ALL: [InstallCertificateUseEnum; 4] = [InstallCertificateUseEnum::V2GRootCertificate, InstallCertificateUseEnum::MORootCertificate, InstallCertificateUseEnum::CSMSRootCertificate, InstallCertificateUseEnum::ManufacturerRootCertificate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            InstallCertificateUseEnum::V2GRootCertificate => "V2GRootCertificate",
            InstallCertificateUseEnum::MORootCertificate => "MORootCertificate",
            InstallCertificateUseEnum::CSMSRootCertificate => "CSMSRootCertificate",
            InstallCertificateUseEnum::ManufacturerRootCertificate => "ManufacturerRootCertificate",
        }
    }
}

/// Indicates whether the message was processed properly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Iso15118EVCertificateStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
}

impl Iso15118EVCertificateStatusEnum {
    pub const ALL: [Iso15118EVCertificateStatusEnum; 2] = [Iso15118EVCertificateStatusEnum::Accepted, Iso15118EVCertificateStatusEnum::Failed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Iso15118EVCertificateStatusEnum::Accepted => "Accepted",
            Iso15118EVCertificateStatusEnum::Failed => "Failed",
        }
    }
}

/// Sampled_ Value. Location. Location_ Code
/// urn:x-oca:ocpp:uid:1:569265
/// Indicates where the measured value has been sampled. Default =  "Outlet"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LocationEnum {
    #[serde(rename = "Body")]
    Body,
    #[serde(rename = "Cable")]
    Cable,
    #[serde(rename = "EV")]
    EV,
    #[serde(rename = "Inlet")]
    Inlet,
    #[serde(rename = "Outlet")]
    Outlet,
}

impl LocationEnum {
    pub const ALL: [LocationEnum; 5] = [LocationEnum::Body, LocationEnum::Cable, LocationEnum::EV, LocationEnum::Inlet, LocationEnum::Outlet];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            LocationEnum::Body => "Body",
            LocationEnum::Cable => "Cable",
            LocationEnum::EV => "EV",
            LocationEnum::Inlet => "Inlet",
            LocationEnum::Outlet => "Outlet",
        }
    }
}

/// This contains the type of log file that the Charging Station
/// should send.
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

/// Log
/// urn:x-enexis:ecdm:uid:2:233373
/// Generic class for the configuration of logging entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogParameters {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Log. Latest_ Timestamp. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569482
    /// This contains the date and time of the latest logging information to include in the diagnostics.
    #[serde(rename = "latestTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub latest_timestamp: Option<DateTime>,
    /// Log. Oldest_ Timestamp. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569477
    /// This contains the date and time of the oldest logging information to include in the diagnostics.
    #[serde(rename = "oldestTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub oldest_timestamp: Option<DateTime>,
    /// Log. Remote_ Location. URI
    /// urn:x-enexis:ecdm:uid:1:569484
    /// The URL of the location at the remote system where the log should be stored.
    #[serde(rename = "remoteLocation")]
    pub remote_location: String,
}

/// This field indicates whether the Charging Station was able to accept the request.
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
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The request id that was provided in GetLogRequest that started this log upload. This field is mandatory,
    /// unless the message was triggered by a TriggerMessageRequest AND there is no log upload ongoing.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub request_id: Option<i64>,
    #[serde(rename = "status")]
    pub status: UploadLogStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogStatusNotificationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Sampled_ Value. Measurand. Measurand_ Code
/// urn:x-oca:ocpp:uid:1:569263
/// Type of measurement. Default = "Energy.Active.Import.Register"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MeasurandEnum {
    #[serde(rename = "Current.Export")]
    CurrentExport,
    #[serde(rename = "Current.Import")]
    CurrentImport,
    #[serde(rename = "Current.Offered")]
    CurrentOffered,
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
    #[serde(rename = "Energy.Active.Net")]
    EnergyActiveNet,
    #[serde(rename = "Energy.Reactive.Export.Interval")]
    EnergyReactiveExportInterval,
    #[serde(rename = "Energy.Reactive.Import.Interval")]
    EnergyReactiveImportInterval,
    #[serde(rename = "Energy.Reactive.Net")]
    EnergyReactiveNet,
    #[serde(rename = "Energy.Apparent.Net")]
    EnergyApparentNet,
    #[serde(rename = "Energy.Apparent.Import")]
    EnergyApparentImport,
    #[serde(rename = "Energy.Apparent.Export")]
    EnergyApparentExport,
    #[serde(rename = "Frequency")]
    Frequency,
    #[serde(rename = "Power.Active.Export")]
    PowerActiveExport,
    #[serde(rename = "Power.Active.Import")]
    PowerActiveImport,
    #[serde(rename = "Power.Factor")]
    PowerFactor,
    #[serde(rename = "Power.Offered")]
    PowerOffered,
    #[serde(rename = "Power.Reactive.Export")]
    PowerReactiveExport,
    #[serde(rename = "Power.Reactive.Import")]
    PowerReactiveImport,
    #[serde(rename = "SoC")]
    SoC,
    #[serde(rename = "Voltage")]
    Voltage,
}

impl MeasurandEnum {
    pub const ALL: [MeasurandEnum; 25] = [MeasurandEnum::CurrentExport, MeasurandEnum::CurrentImport, MeasurandEnum::CurrentOffered, MeasurandEnum::EnergyActiveExportRegister, MeasurandEnum::EnergyActiveImportRegister, MeasurandEnum::EnergyReactiveExportRegister, MeasurandEnum::EnergyReactiveImportRegister, MeasurandEnum::EnergyActiveExportInterval, MeasurandEnum::EnergyActiveImportInterval, MeasurandEnum::EnergyActiveNet, MeasurandEnum::EnergyReactiveExportInterval, MeasurandEnum::EnergyReactiveImportInterval, MeasurandEnum::EnergyReactiveNet, MeasurandEnum::EnergyApparentNet, MeasurandEnum::EnergyApparentImport, MeasurandEnum::EnergyApparentExport, MeasurandEnum::Frequency, MeasurandEnum::PowerActiveExport, MeasurandEnum::PowerActiveImport, MeasurandEnum::PowerFactor, MeasurandEnum::PowerOffered, MeasurandEnum::PowerReactiveExport, MeasurandEnum::PowerReactiveImport, MeasurandEnum::SoC, MeasurandEnum::Voltage];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MeasurandEnum::CurrentExport => "Current.Export",
            MeasurandEnum::CurrentImport => "Current.Import",
            MeasurandEnum::CurrentOffered => "Current.Offered",
            MeasurandEnum::EnergyActiveExportRegister => "Energy.Active.Export.Register",
            MeasurandEnum::EnergyActiveImportRegister => "Energy.Active.Import.Register",
            MeasurandEnum::EnergyReactiveExportRegister => "Energy.Reactive.Export.Register",
            MeasurandEnum::EnergyReactiveImportRegister => "Energy.Reactive.Import.Register",
            MeasurandEnum::EnergyActiveExportInterval => "Energy.Active.Export.Interval",
            MeasurandEnum::EnergyActiveImportInterval => "Energy.Active.Import.Interval",
            MeasurandEnum::EnergyActiveNet => "Energy.Active.Net",
            MeasurandEnum::EnergyReactiveExportInterval => "Energy.Reactive.Export.Interval",
            MeasurandEnum::EnergyReactiveImportInterval => "Energy.Reactive.Import.Interval",
            MeasurandEnum::EnergyReactiveNet => "Energy.Reactive.Net",
            MeasurandEnum::EnergyApparentNet => "Energy.Apparent.Net",
            MeasurandEnum::EnergyApparentImport => "Energy.Apparent.Import",
            MeasurandEnum::EnergyApparentExport => "Energy.Apparent.Export",
            MeasurandEnum::Frequency => "Frequency",
            MeasurandEnum::PowerActiveExport => "Power.Active.Export",
            MeasurandEnum::PowerActiveImport => "Power.Active.Import",
            MeasurandEnum::PowerFactor => "Power.Factor",
            MeasurandEnum::PowerOffered => "Power.Offered",
            MeasurandEnum::PowerReactiveExport => "Power.Reactive.Export",
            MeasurandEnum::PowerReactiveImport => "Power.Reactive.Import",
            MeasurandEnum::SoC => "SoC",
            MeasurandEnum::Voltage => "Voltage",
        }
    }
}

/// Message_ Content
/// urn:x-enexis:ecdm:uid:2:234490
/// Contains message details, for a message to be displayed on a Charging Station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageContent {
    /// Message_ Content. Content. Message
    /// urn:x-enexis:ecdm:uid:1:570852
    /// Message contents.
    #[serde(rename = "content")]
    pub content: String,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "format")]
    pub format: MessageFormatEnum,
    /// Message_ Content. Language. Language_ Code
    /// urn:x-enexis:ecdm:uid:1:570849
    /// Message language identifier. Contains a language code as defined in &lt;&lt;ref-RFC5646,\[RFC5646\]&gt;&gt;.
    #[serde(rename = "language", default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Message_ Content. Format. Message_ Format_ Code
/// urn:x-enexis:ecdm:uid:1:570848
/// Format of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessageFormatEnum {
    #[serde(rename = "ASCII")]
    ASCII,
    #[serde(rename = "HTML")]
    HTML,
    #[serde(rename = "URI")]
    URI,
    #[serde(rename = "UTF8")]
    UTF8,
}

impl MessageFormatEnum {
    pub const ALL: [MessageFormatEnum; 4] = [MessageFormatEnum::ASCII, MessageFormatEnum::HTML, MessageFormatEnum::URI, MessageFormatEnum::UTF8];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageFormatEnum::ASCII => "ASCII",
            MessageFormatEnum::HTML => "HTML",
            MessageFormatEnum::URI => "URI",
            MessageFormatEnum::UTF8 => "UTF8",
        }
    }
}

/// Message_ Info
/// urn:x-enexis:ecdm:uid:2:233264
/// Contains message details, for a message to be displayed on a Charging Station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageInfo {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "display", default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Component>,
    /// Message_ Info. End. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569257
    /// Until what date-time should this message be shown, after this date/time this message SHALL be removed.
    #[serde(rename = "endDateTime", default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<DateTime>,
    /// Identified_ Object. MRID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:569198
    /// Master resource identifier, unique within an exchange context. It is defined within the OCPP context as a positive Integer value (greater or equal to zero).
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    #[serde(rename = "message")]
    pub message: MessageContent,
    #[serde(rename = "priority")]
    pub priority: MessagePriorityEnum,
    /// Message_ Info. Start. Date_ Time
    /// urn:x-enexis:ecdm:uid:1:569256
    /// From what date-time should this message be shown. If omitted: directly.
    #[serde(rename = "startDateTime", default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<DateTime>,
    #[serde(rename = "state", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<MessageStateEnum>,
    /// During which transaction shall this message be shown.
    /// Message SHALL be removed by the Charging Station after transaction has
    /// ended.
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

/// If provided the Charging Station shall return Display Messages with the given priority only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessagePriorityEnum {
    #[serde(rename = "AlwaysFront")]
    AlwaysFront,
    #[serde(rename = "InFront")]
    InFront,
    #[serde(rename = "NormalCycle")]
    NormalCycle,
}

impl MessagePriorityEnum {
    pub const ALL: [MessagePriorityEnum; 3] = [MessagePriorityEnum::AlwaysFront, MessagePriorityEnum::InFront, MessagePriorityEnum::NormalCycle];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessagePriorityEnum::AlwaysFront => "AlwaysFront",
            MessagePriorityEnum::InFront => "InFront",
            MessagePriorityEnum::NormalCycle => "NormalCycle",
        }
    }
}

/// If provided the Charging Station shall return Display Messages with the given state only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessageStateEnum {
    #[serde(rename = "Charging")]
    Charging,
    #[serde(rename = "Faulted")]
    Faulted,
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "Unavailable")]
    Unavailable,
}

impl MessageStateEnum {
    pub const ALL: [MessageStateEnum; 4] = [MessageStateEnum::Charging, MessageStateEnum::Faulted, MessageStateEnum::Idle, MessageStateEnum::Unavailable];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageStateEnum::Charging => "Charging",
            MessageStateEnum::Faulted => "Faulted",
            MessageStateEnum::Idle => "Idle",
            MessageStateEnum::Unavailable => "Unavailable",
        }
    }
}

/// Type of message to be triggered.
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
    #[serde(rename = "SignChargingStationCertificate")]
    SignChargingStationCertificate,
    #[serde(rename = "SignV2GCertificate")]
    SignV2GCertificate,
    #[serde(rename = "StatusNotification")]
    StatusNotification,
    #[serde(rename = "TransactionEvent")]
    TransactionEvent,
    #[serde(rename = "SignCombinedCertificate")]
    SignCombinedCertificate,
    #[serde(rename = "PublishFirmwareStatusNotification")]
    PublishFirmwareStatusNotification,
}

impl MessageTriggerEnum {
    pub const ALL: [MessageTriggerEnum; 11] = [MessageTriggerEnum::BootNotification, MessageTriggerEnum::LogStatusNotification, MessageTriggerEnum::FirmwareStatusNotification, MessageTriggerEnum::Heartbeat, MessageTriggerEnum::MeterValues, MessageTriggerEnum::SignChargingStationCertificate, MessageTriggerEnum::SignV2GCertificate, MessageTriggerEnum::StatusNotification, MessageTriggerEnum::TransactionEvent, MessageTriggerEnum::SignCombinedCertificate, MessageTriggerEnum::PublishFirmwareStatusNotification];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageTriggerEnum::BootNotification => "BootNotification",
            MessageTriggerEnum::LogStatusNotification => "LogStatusNotification",
            MessageTriggerEnum::FirmwareStatusNotification => "FirmwareStatusNotification",
            MessageTriggerEnum::Heartbeat => "Heartbeat",
            MessageTriggerEnum::MeterValues => "MeterValues",
            MessageTriggerEnum::SignChargingStationCertificate => "SignChargingStationCertificate",
            MessageTriggerEnum::SignV2GCertificate => "SignV2GCertificate",
            MessageTriggerEnum::StatusNotification => "StatusNotification",
            MessageTriggerEnum::TransactionEvent => "TransactionEvent",
            MessageTriggerEnum::SignCombinedCertificate => "SignCombinedCertificate",
            MessageTriggerEnum::PublishFirmwareStatusNotification => "PublishFirmwareStatusNotification",
        }
    }
}

/// Meter_ Value
/// urn:x-oca:ocpp:uid:2:233265
/// Collection of one or more sampled values in MeterValuesRequest and TransactionEvent. All sampled values in a MeterValue are sampled at the same point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValue {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "sampledValue")]
    pub sampled_value: Vec<SampledValue>,
    /// Meter_ Value. Timestamp. Date_ Time
    /// urn:x-oca:ocpp:uid:1:569259
    /// Timestamp for measured value(s).
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
}

/// Request_ Body
/// urn:x-enexis:ecdm:uid:2:234744
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValuesRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Request_ Body. EVSEID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:571101
    /// This contains a number (&gt;0) designating an EVSE of the Charging Station. ‘0’ (zero) is used to designate the main power meter.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    #[serde(rename = "meterValue")]
    pub meter_value: Vec<MeterValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValuesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Wireless_ Communication_ Module
/// urn:x-oca:ocpp:uid:2:233306
/// Defines parameters required for initiating and maintaining wireless communication with other devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modem {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Wireless_ Communication_ Module. ICCID. CI20_ Text
    /// urn:x-oca:ocpp:uid:1:569327
    /// This contains the ICCID of the modem’s SIM card.
    #[serde(rename = "iccid", default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// Wireless_ Communication_ Module. IMSI. CI20_ Text
    /// urn:x-oca:ocpp:uid:1:569328
    /// This contains the IMSI of the modem’s SIM card.
    #[serde(rename = "imsi", default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
}

/// The type of this monitor, e.g. a threshold, delta or periodic monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitorEnum {
    #[serde(rename = "UpperThreshold")]
    UpperThreshold,
    #[serde(rename = "LowerThreshold")]
    LowerThreshold,
    #[serde(rename = "Delta")]
    Delta,
    #[serde(rename = "Periodic")]
    Periodic,
    #[serde(rename = "PeriodicClockAligned")]
    PeriodicClockAligned,
}

impl MonitorEnum {
    pub const ALL: [MonitorEnum; 5] = [MonitorEnum::UpperThreshold, MonitorEnum::LowerThreshold, MonitorEnum::Delta, MonitorEnum::Periodic, MonitorEnum::PeriodicClockAligned];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MonitorEnum::UpperThreshold => "UpperThreshold",
            MonitorEnum::LowerThreshold => "LowerThreshold",
            MonitorEnum::Delta => "Delta",
            MonitorEnum::Periodic => "Periodic",
            MonitorEnum::PeriodicClockAligned => "PeriodicClockAligned",
        }
    }
}

/// Specify which monitoring base will be set
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitoringBaseEnum {
    #[serde(rename = "All")]
    All,
    #[serde(rename = "FactoryDefault")]
    FactoryDefault,
    #[serde(rename = "HardWiredOnly")]
    HardWiredOnly,
}

impl MonitoringBaseEnum {
    pub const ALL: [MonitoringBaseEnum; 3] = [MonitoringBaseEnum::All, MonitoringBaseEnum::FactoryDefault, MonitoringBaseEnum::HardWiredOnly];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MonitoringBaseEnum::All => "All",
            MonitoringBaseEnum::FactoryDefault => "FactoryDefault",
            MonitoringBaseEnum::HardWiredOnly => "HardWiredOnly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitoringCriterionEnum {
    #[serde(rename = "ThresholdMonitoring")]
    ThresholdMonitoring,
    #[serde(rename = "DeltaMonitoring")]
    DeltaMonitoring,
    #[serde(rename = "PeriodicMonitoring")]
    PeriodicMonitoring,
}

impl MonitoringCriterionEnum {
    pub const ALL: [MonitoringCriterionEnum; 3] = [MonitoringCriterionEnum::ThresholdMonitoring, MonitoringCriterionEnum::DeltaMonitoring, MonitoringCriterionEnum::PeriodicMonitoring];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MonitoringCriterionEnum::ThresholdMonitoring => "ThresholdMonitoring",
            MonitoringCriterionEnum::DeltaMonitoring => "DeltaMonitoring",
            MonitoringCriterionEnum::PeriodicMonitoring => "PeriodicMonitoring",
        }
    }
}

/// Class to hold parameters of SetVariableMonitoring request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringData {
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
    #[serde(rename = "variableMonitoring")]
    pub variable_monitoring: Vec<VariableMonitoring>,
}

/// Defines the mutability of this attribute. Default is ReadWrite when omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MutabilityEnum {
    #[serde(rename = "ReadOnly")]
    ReadOnly,
    #[serde(rename = "WriteOnly")]
    WriteOnly,
    #[serde(rename = "ReadWrite")]
    ReadWrite,
}

impl MutabilityEnum {
    pub const ALL: [MutabilityEnum; 3] = [MutabilityEnum::ReadOnly, MutabilityEnum::WriteOnly, MutabilityEnum::ReadWrite];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            MutabilityEnum::ReadOnly => "ReadOnly",
            MutabilityEnum::WriteOnly => "WriteOnly",
            MutabilityEnum::ReadWrite => "ReadWrite",
        }
    }
}

/// Communication_ Function
/// urn:x-oca:ocpp:uid:2:233304
/// The NetworkConnectionProfile defines the functional and technical parameters of a communication link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConnectionProfile {
    #[serde(rename = "apn", default, skip_serializing_if = "Option::is_none")]
    pub apn: Option<APN>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Duration in seconds before a message send by the Charging Station via this network connection times-out.
    /// The best setting depends on the underlying network and response times of the CSMS.
    /// If you are looking for a some guideline: use 30 seconds as a starting point.
    #[serde(rename = "messageTimeout", deserialize_with = "crate::ocpp::types::de_integer")]
    pub message_timeout: i64,
    /// Communication_ Function. OCPP_ Central_ System_ URL. URI
    /// urn:x-oca:ocpp:uid:1:569357
    /// URL of the CSMS(s) that this Charging Station  communicates with.
    #[serde(rename = "ocppCsmsUrl")]
    pub ocpp_csms_url: String,
    #[serde(rename = "ocppInterface")]
    pub ocpp_interface: OCPPInterfaceEnum,
    #[serde(rename = "ocppTransport")]
    pub ocpp_transport: OCPPTransportEnum,
    #[serde(rename = "ocppVersion")]
    pub ocpp_version: OCPPVersionEnum,
    /// This field specifies the security profile used when connecting to the CSMS with this NetworkConnectionProfile.
    #[serde(rename = "securityProfile", deserialize_with = "crate::ocpp::types::de_integer")]
    pub security_profile: i64,
    #[serde(rename = "vpn", default, skip_serializing_if = "Option::is_none")]
    pub vpn: Option<VPN>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyChargingLimitRequest {
    #[serde(rename = "chargingLimit")]
    pub charging_limit: ChargingLimit,
    #[serde(rename = "chargingSchedule", default, skip_serializing_if = "Option::is_none")]
    pub charging_schedule: Option<Vec<ChargingSchedule>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The charging schedule contained in this notification applies to an EVSE. evseId must be &gt; 0.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyChargingLimitResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyCustomerInformationRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// (Part of) the requested data. No format specified in which the data is returned. Should be human readable.
    #[serde(rename = "data")]
    pub data: String,
    /// Timestamp of the moment this message was generated at the Charging Station.
    #[serde(rename = "generatedAt")]
    pub generated_at: DateTime,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// Sequence number of this message. First message starts at 0.
    #[serde(rename = "seqNo", deserialize_with = "crate::ocpp::types::de_integer")]
    pub seq_no: i64,
    /// “to be continued” indicator. Indicates whether another part of the monitoringData follows in an upcoming notifyMonitoringReportRequest message. Default value when omitted is false.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyCustomerInformationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyDisplayMessagesRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "messageInfo", default, skip_serializing_if = "Option::is_none")]
    pub message_info: Option<Vec<MessageInfo>>,
    /// The id of the &lt;&lt;getdisplaymessagesrequest,GetDisplayMessagesRequest&gt;&gt; that requested this message.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// "to be continued" indicator. Indicates whether another part of the report follows in an upcoming NotifyDisplayMessagesRequest message. Default value when omitted is false.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyDisplayMessagesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEVChargingNeedsRequest {
    #[serde(rename = "chargingNeeds")]
    pub charging_needs: ChargingNeeds,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Defines the EVSE and connector to which the EV is connected. EvseId may not be 0.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    /// Contains the maximum schedule tuples the car supports per schedule.
    #[serde(rename = "maxScheduleTuples", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub max_schedule_tuples: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEVChargingNeedsResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: NotifyEVChargingNeedsStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Returns whether the CSMS has been able to process the message successfully. It does not imply that the evChargingNeeds can be met with the current charging profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NotifyEVChargingNeedsStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Processing")]
    Processing,
}

impl NotifyEVChargingNeedsStatusEnum {
    pub const ALL: [NotifyEVChargingNeedsStatusEnum; 3] = [NotifyEVChargingNeedsStatusEnum::Accepted, NotifyEVChargingNeedsStatusEnum::Rejected, NotifyEVChargingNeedsStatusEnum::Processing];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyEVChargingNeedsStatusEnum::Accepted => "Accepted",
            NotifyEVChargingNeedsStatusEnum::Rejected => "Rejected",
            NotifyEVChargingNeedsStatusEnum::Processing => "Processing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEVChargingScheduleRequest {
    #[serde(rename = "chargingSchedule")]
    pub charging_schedule: ChargingSchedule,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The charging schedule contained in this notification applies to an EVSE. EvseId must be &gt; 0.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    /// Periods contained in the charging profile are relative to this point in time.
    #[serde(rename = "timeBase")]
    pub time_base: DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEVChargingScheduleResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEventRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "eventData")]
    pub event_data: Vec<EventData>,
    /// Timestamp of the moment this message was generated at the Charging Station.
    #[serde(rename = "generatedAt")]
    pub generated_at: DateTime,
    /// Sequence number of this message. First message starts at 0.
    #[serde(rename = "seqNo", deserialize_with = "crate::ocpp::types::de_integer")]
    pub seq_no: i64,
    /// “to be continued” indicator. Indicates whether another part of the report follows in an upcoming notifyEventRequest message. Default value when omitted is false.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEventResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyMonitoringReportRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Timestamp of the moment this message was generated at the Charging Station.
    #[serde(rename = "generatedAt")]
    pub generated_at: DateTime,
    #[serde(rename = "monitor", default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Vec<MonitoringData>>,
    /// The id of the GetMonitoringRequest that requested this report.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// Sequence number of this message. First message starts at 0.
    #[serde(rename = "seqNo", deserialize_with = "crate::ocpp::types::de_integer")]
    pub seq_no: i64,
    /// “to be continued” indicator. Indicates whether another part of the monitoringData follows in an upcoming notifyMonitoringReportRequest message. Default value when omitted is false.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyMonitoringReportResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyReportRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Timestamp of the moment this message was generated at the Charging Station.
    #[serde(rename = "generatedAt")]
    pub generated_at: DateTime,
    #[serde(rename = "reportData", default, skip_serializing_if = "Option::is_none")]
    pub report_data: Option<Vec<ReportData>>,
    /// The id of the GetReportRequest  or GetBaseReportRequest that requested this report
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// Sequence number of this message. First message starts at 0.
    #[serde(rename = "seqNo", deserialize_with = "crate::ocpp::types::de_integer")]
    pub seq_no: i64,
    /// “to be continued” indicator. Indicates whether another part of the report follows in an upcoming notifyReportRequest message. Default value when omitted is false.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyReportResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Applicable Network Interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OCPPInterfaceEnum {
    #[serde(rename = "Wired0")]
    Wired0,
    #[serde(rename = "Wired1")]
    Wired1,
    #[serde(rename = "Wired2")]
    Wired2,
    #[serde(rename = "Wired3")]
    Wired3,
    #[serde(rename = "Wireless0")]
    Wireless0,
    #[serde(rename = "Wireless1")]
    Wireless1,
    #[serde(rename = "Wireless2")]
    Wireless2,
    #[serde(rename = "Wireless3")]
    Wireless3,
}

impl OCPPInterfaceEnum {
    pub const ALL: [OCPPInterfaceEnum; 8] = [OCPPInterfaceEnum::Wired0, OCPPInterfaceEnum::Wired1, OCPPInterfaceEnum::Wired2, OCPPInterfaceEnum::Wired3, OCPPInterfaceEnum::Wireless0, OCPPInterfaceEnum::Wireless1, OCPPInterfaceEnum::Wireless2, OCPPInterfaceEnum::Wireless3];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OCPPInterfaceEnum::Wired0 => "Wired0",
            OCPPInterfaceEnum::Wired1 => "Wired1",
            OCPPInterfaceEnum::Wired2 => "Wired2",
            OCPPInterfaceEnum::Wired3 => "Wired3",
            OCPPInterfaceEnum::Wireless0 => "Wireless0",
            OCPPInterfaceEnum::Wireless1 => "Wireless1",
            OCPPInterfaceEnum::Wireless2 => "Wireless2",
            OCPPInterfaceEnum::Wireless3 => "Wireless3",
        }
    }
}

/// Communication_ Function. OCPP_ Transport. OCPP_ Transport_ Code
/// urn:x-oca:ocpp:uid:1:569356
/// Defines the transport protocol (e.g. SOAP or JSON). Note: SOAP is not supported in OCPP 2.0, but is supported by other versions of OCPP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OCPPTransportEnum {
    #[serde(rename = "JSON")]
    JSON,
    #[serde(rename = "SOAP")]
    SOAP,
}

impl OCPPTransportEnum {
    pub const ALL: [OCPPTransportEnum; 2] = [OCPPTransportEnum::JSON, OCPPTransportEnum::SOAP];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OCPPTransportEnum::JSON => "JSON",
            OCPPTransportEnum::SOAP => "SOAP",
        }
    }
}

/// Communication_ Function. OCPP_ Version. OCPP_ Version_ Code
/// urn:x-oca:ocpp:uid:1:569355
/// Defines the OCPP version used for this communication function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OCPPVersionEnum {
    #[serde(rename = "OCPP12")]
    OCPP12,
    #[serde(rename = "OCPP15")]
    OCPP15,
    #[serde(rename = "OCPP16")]
    OCPP16,
    #[serde(rename = "OCPP20")]
    OCPP20,
}

impl OCPPVersionEnum {
    pub const ALL: [OCPPVersionEnum; 4] = [OCPPVersionEnum::OCPP12, OCPPVersionEnum::OCPP15, OCPPVersionEnum::OCPP16, OCPPVersionEnum::OCPP20];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OCPPVersionEnum::OCPP12 => "OCPP12",
            OCPPVersionEnum::OCPP15 => "OCPP15",
            OCPPVersionEnum::OCPP16 => "OCPP16",
            OCPPVersionEnum::OCPP20 => "OCPP20",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OCSPRequestData {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "hashAlgorithm")]
    pub hash_algorithm: HashAlgorithmEnum,
    /// Hashed value of the issuers public key
    #[serde(rename = "issuerKeyHash")]
    pub issuer_key_hash: String,
    /// Hashed value of the Issuer DN (Distinguished Name).
    #[serde(rename = "issuerNameHash")]
    pub issuer_name_hash: String,
    /// This contains the responder URL (Case insensitive).
    #[serde(rename = "responderURL")]
    pub responder_url: String,
    /// The serial number of the certificate.
    #[serde(rename = "serialNumber")]
    pub serial_number: String,
}

/// This contains the type of availability change that the Charging Station should perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OperationalStatusEnum {
    #[serde(rename = "Inoperative")]
    Inoperative,
    #[serde(rename = "Operative")]
    Operative,
}

impl OperationalStatusEnum {
    pub const ALL: [OperationalStatusEnum; 2] = [OperationalStatusEnum::Inoperative, OperationalStatusEnum::Operative];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationalStatusEnum::Inoperative => "Inoperative",
            OperationalStatusEnum::Operative => "Operative",
        }
    }
}

/// Sampled_ Value. Phase. Phase_ Code
/// urn:x-oca:ocpp:uid:1:569264
/// Indicates how the measured value is to be interpreted. For instance between L1 and neutral (L1-N) Please note that not all values of phase are applicable to all Measurands. When phase is absent, the measured value is interpreted as an overall value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PhaseEnum {
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

impl PhaseEnum {
    pub const ALL: [PhaseEnum; 10] = [PhaseEnum::L1, PhaseEnum::L2, PhaseEnum::L3, PhaseEnum::N, PhaseEnum::L1N, PhaseEnum::L2N, PhaseEnum::L3N, PhaseEnum::L1L2, PhaseEnum::L2L3, PhaseEnum::L3L1];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            PhaseEnum::L1 => "L1",
            PhaseEnum::L2 => "L2",
            PhaseEnum::L3 => "L3",
            PhaseEnum::N => "N",
            PhaseEnum::L1N => "L1-N",
            PhaseEnum::L2N => "L2-N",
            PhaseEnum::L3N => "L3-N",
            PhaseEnum::L1L2 => "L1-L2",
            PhaseEnum::L2L3 => "L2-L3",
            PhaseEnum::L3L1 => "L3-L1",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFirmwareRequest {
    /// The MD5 checksum over the entire firmware file as a hexadecimal string of length 32.
    #[serde(rename = "checksum")]
    pub checksum: String,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains a string containing a URI pointing to a
    /// location from which to retrieve the firmware.
    #[serde(rename = "location")]
    pub location: String,
    /// The Id of the request.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// This specifies how many times Charging Station must try
    /// to download the firmware before giving up. If this field is not
    /// present, it is left to Charging Station to decide how many times it wants to retry.
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    /// The interval in seconds
    /// after which a retry may be
    /// attempted. If this field is not
    /// present, it is left to Charging
    /// Station to decide how long to wait
    /// between attempts.
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFirmwareResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This contains the progress status of the publishfirmware
/// installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PublishFirmwareStatusEnum {
    #[serde(rename = "Idle")]
    Idle,
    #[serde(rename = "DownloadScheduled")]
    DownloadScheduled,
    #[serde(rename = "Downloading")]
    Downloading,
    #[serde(rename = "Downloaded")]
    Downloaded,
    #[serde(rename = "Published")]
    Published,
    #[serde(rename = "DownloadFailed")]
    DownloadFailed,
    #[serde(rename = "DownloadPaused")]
    DownloadPaused,
    #[serde(rename = "InvalidChecksum")]
    InvalidChecksum,
    #[serde(rename = "ChecksumVerified")]
    ChecksumVerified,
    #[serde(rename = "PublishFailed")]
    PublishFailed,
}

impl PublishFirmwareStatusEnum {
    pub const ALL: [PublishFirmwareStatusEnum; 10] = [PublishFirmwareStatusEnum::Idle, PublishFirmwareStatusEnum::DownloadScheduled, PublishFirmwareStatusEnum::Downloading, PublishFirmwareStatusEnum::Downloaded, PublishFirmwareStatusEnum::Published, PublishFirmwareStatusEnum::DownloadFailed, PublishFirmwareStatusEnum::DownloadPaused, PublishFirmwareStatusEnum::InvalidChecksum, PublishFirmwareStatusEnum::ChecksumVerified, PublishFirmwareStatusEnum::PublishFailed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            PublishFirmwareStatusEnum::Idle => "Idle",
            PublishFirmwareStatusEnum::DownloadScheduled => "DownloadScheduled",
            PublishFirmwareStatusEnum::Downloading => "Downloading",
            PublishFirmwareStatusEnum::Downloaded => "Downloaded",
            PublishFirmwareStatusEnum::Published => "Published",
            PublishFirmwareStatusEnum::DownloadFailed => "DownloadFailed",
            PublishFirmwareStatusEnum::DownloadPaused => "DownloadPaused",
            PublishFirmwareStatusEnum::InvalidChecksum => "InvalidChecksum",
            PublishFirmwareStatusEnum::ChecksumVerified => "ChecksumVerified",
            PublishFirmwareStatusEnum::PublishFailed => "PublishFailed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFirmwareStatusNotificationRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Required if status is Published. Can be multiple URI’s, if the Local Controller supports e.g. HTTP, HTTPS, and FTP.
    #[serde(rename = "location", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Vec<String>>,
    /// The request id that was
    /// provided in the
    /// PublishFirmwareRequest which
    /// triggered this action.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub request_id: Option<i64>,
    #[serde(rename = "status")]
    pub status: PublishFirmwareStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishFirmwareStatusNotificationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Sampled_ Value. Context. Reading_ Context_ Code
/// urn:x-oca:ocpp:uid:1:569261
/// Type of detail value: start, end or sample. Default = "Sample.Periodic"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReadingContextEnum {
    #[serde(rename = "Interruption.Begin")]
    InterruptionBegin,
    #[serde(rename = "Interruption.End")]
    InterruptionEnd,
    #[serde(rename = "Other")]
    Other,
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
}

impl ReadingContextEnum {
    pub const ALL: [ReadingContextEnum; 8] = [ReadingContextEnum::InterruptionBegin, ReadingContextEnum::InterruptionEnd, ReadingContextEnum::Other, ReadingContextEnum::SampleClock, ReadingContextEnum::SamplePeriodic, ReadingContextEnum::TransactionBegin, ReadingContextEnum::TransactionEnd, ReadingContextEnum::Trigger];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadingContextEnum::InterruptionBegin => "Interruption.Begin",
            ReadingContextEnum::InterruptionEnd => "Interruption.End",
            ReadingContextEnum::Other => "Other",
            ReadingContextEnum::SampleClock => "Sample.Clock",
            ReadingContextEnum::SamplePeriodic => "Sample.Periodic",
            ReadingContextEnum::TransactionBegin => "Transaction.Begin",
            ReadingContextEnum::TransactionEnd => "Transaction.End",
            ReadingContextEnum::Trigger => "Trigger",
        }
    }
}

/// Transaction. Stopped_ Reason. EOT_ Reason_ Code
/// urn:x-oca:ocpp:uid:1:569413
/// This contains the reason why the transaction was stopped. MAY only be omitted when Reason is "Local".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReasonEnum {
    #[serde(rename = "DeAuthorized")]
    DeAuthorized,
    #[serde(rename = "EmergencyStop")]
    EmergencyStop,
    #[serde(rename = "EnergyLimitReached")]
    EnergyLimitReached,
    #[serde(rename = "EVDisconnected")]
    EVDisconnected,
    #[serde(rename = "GroundFault")]
    GroundFault,
    #[serde(rename = "ImmediateReset")]
    ImmediateReset,
    #[serde(rename = "Local")]
    Local,
    #[serde(rename = "LocalOutOfCredit")]
    LocalOutOfCredit,
    #[serde(rename = "MasterPass")]
    MasterPass,
    #[serde(rename = "Other")]
    Other,
    #[serde(rename = "OvercurrentFault")]
    OvercurrentFault,
    #[serde(rename = "PowerLoss")]
    PowerLoss,
    #[serde(rename = "PowerQuality")]
    PowerQuality,
    #[serde(rename = "Reboot")]
    Reboot,
    #[serde(rename = "Remote")]
    Remote,
    #[serde(rename = "SOCLimitReached")]
    SOCLimitReached,
    #[serde(rename = "StoppedByEV")]
    StoppedByEV,
    #[serde(rename = "TimeLimitReached")]
    TimeLimitReached,
    #[serde(rename = "Timeout")]
    Timeout,
}

impl ReasonEnum {
    pub const ALL: [ReasonEnum; 19] = [ReasonEnum::DeAuthorized, ReasonEnum::EmergencyStop, ReasonEnum::EnergyLimitReached, ReasonEnum::EVDisconnected, ReasonEnum::GroundFault, ReasonEnum::ImmediateReset, ReasonEnum::Local, ReasonEnum::LocalOutOfCredit, ReasonEnum::MasterPass, ReasonEnum::Other, ReasonEnum::OvercurrentFault, ReasonEnum::PowerLoss, ReasonEnum::PowerQuality, ReasonEnum::Reboot, ReasonEnum::Remote, ReasonEnum::SOCLimitReached, ReasonEnum::StoppedByEV, ReasonEnum::TimeLimitReached, ReasonEnum::Timeout];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonEnum::DeAuthorized => "DeAuthorized",
            ReasonEnum::EmergencyStop => "EmergencyStop",
            ReasonEnum::EnergyLimitReached => "EnergyLimitReached",
            ReasonEnum::EVDisconnected => "EVDisconnected",
            ReasonEnum::GroundFault => "GroundFault",
            ReasonEnum::ImmediateReset => "ImmediateReset",
            ReasonEnum::Local => "Local",
            ReasonEnum::LocalOutOfCredit => "LocalOutOfCredit",
            ReasonEnum::MasterPass => "MasterPass",
            ReasonEnum::Other => "Other",
            ReasonEnum::OvercurrentFault => "OvercurrentFault",
            ReasonEnum::PowerLoss => "PowerLoss",
            ReasonEnum::PowerQuality => "PowerQuality",
            ReasonEnum::Reboot => "Reboot",
            ReasonEnum::Remote => "Remote",
            ReasonEnum::SOCLimitReached => "SOCLimitReached",
            ReasonEnum::StoppedByEV => "StoppedByEV",
            ReasonEnum::TimeLimitReached => "TimeLimitReached",
            ReasonEnum::Timeout => "Timeout",
        }
    }
}

/// Charging_ Profile. Recurrency_ Kind. Recurrency_ Kind_ Code
/// urn:x-oca:ocpp:uid:1:569233
/// Indicates the start point of a recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecurrencyKindEnum {
    #[serde(rename = "Daily")]
    Daily,
    #[serde(rename = "Weekly")]
    Weekly,
}

impl RecurrencyKindEnum {
    pub const ALL: [RecurrencyKindEnum; 2] = [RecurrencyKindEnum::Daily, RecurrencyKindEnum::Weekly];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecurrencyKindEnum::Daily => "Daily",
            RecurrencyKindEnum::Weekly => "Weekly",
        }
    }
}

/// This contains whether the Charging Station has been registered
/// within the CSMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegistrationStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Pending")]
    Pending,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl RegistrationStatusEnum {
    pub const ALL: [RegistrationStatusEnum; 3] = [RegistrationStatusEnum::Accepted, RegistrationStatusEnum::Pending, RegistrationStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegistrationStatusEnum::Accepted => "Accepted",
            RegistrationStatusEnum::Pending => "Pending",
            RegistrationStatusEnum::Rejected => "Rejected",
        }
    }
}

/// Relative_ Timer_ Interval
/// urn:x-oca:ocpp:uid:2:233270
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelativeTimeInterval {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Relative_ Timer_ Interval. Duration. Elapsed_ Time
    /// urn:x-oca:ocpp:uid:1:569280
    /// Duration of the interval, in seconds.
    #[serde(rename = "duration", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub duration: Option<i64>,
    /// Relative_ Timer_ Interval. Start. Elapsed_ Time
    /// urn:x-oca:ocpp:uid:1:569279
    /// Start of the interval, in seconds from NOW.
    #[serde(rename = "start", deserialize_with = "crate::ocpp::types::de_integer")]
    pub start: i64,
}

/// This field specifies the report base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReportBaseEnum {
    #[serde(rename = "ConfigurationInventory")]
    ConfigurationInventory,
    #[serde(rename = "FullInventory")]
    FullInventory,
    #[serde(rename = "SummaryInventory")]
    SummaryInventory,
}

impl ReportBaseEnum {
    pub const ALL: [ReportBaseEnum; 3] = [ReportBaseEnum::ConfigurationInventory, ReportBaseEnum::FullInventory, ReportBaseEnum::SummaryInventory];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportBaseEnum::ConfigurationInventory => "ConfigurationInventory",
            ReportBaseEnum::FullInventory => "FullInventory",
            ReportBaseEnum::SummaryInventory => "SummaryInventory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportChargingProfilesRequest {
    #[serde(rename = "chargingLimitSource")]
    pub charging_limit_source: ChargingLimitSourceEnum,
    #[serde(rename = "chargingProfile")]
    pub charging_profile: Vec<ChargingProfile>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The evse to which the charging profile applies. If evseId = 0, the message contains an overall limit for the Charging Station.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    /// Id used to match the &lt;&lt;getchargingprofilesrequest, GetChargingProfilesRequest&gt;&gt; message with the resulting ReportChargingProfilesRequest messages. When the CSMS provided a requestId in the &lt;&lt;getchargingprofilesrequest, GetChargingProfilesRequest&gt;&gt;, this field SHALL contain the same value.
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// To Be Continued. Default value when omitted: false. false indicates that there are no further messages as part of this report.
    #[serde(rename = "tbc", default, skip_serializing_if = "Option::is_none")]
    pub tbc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportChargingProfilesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Class to report components, variables and variable attributes and characteristics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportData {
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
    #[serde(rename = "variableAttribute")]
    pub variable_attribute: Vec<VariableAttribute>,
    #[serde(rename = "variableCharacteristics", default, skip_serializing_if = "Option::is_none")]
    pub variable_characteristics: Option<VariableCharacteristics>,
}

/// Status indicating whether the Charging Station accepts the request to start a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RequestStartStopStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
}

impl RequestStartStopStatusEnum {
    pub const ALL: [RequestStartStopStatusEnum; 2] = [RequestStartStopStatusEnum::Accepted, RequestStartStopStatusEnum::Rejected];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestStartStopStatusEnum::Accepted => "Accepted",
            RequestStartStopStatusEnum::Rejected => "Rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStartTransactionRequest {
    #[serde(rename = "chargingProfile", default, skip_serializing_if = "Option::is_none")]
    pub charging_profile: Option<ChargingProfile>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Number of the EVSE on which to start the transaction. EvseId SHALL be &gt; 0
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
    #[serde(rename = "groupIdToken", default, skip_serializing_if = "Option::is_none")]
    pub group_id_token: Option<IdToken>,
    #[serde(rename = "idToken")]
    pub id_token: IdToken,
    /// Id given by the server to this start request. The Charging Station might return this in the &lt;&lt;transactioneventrequest, TransactionEventRequest&gt;&gt;, letting the server know which transaction was started for this request. Use to start a transaction.
    #[serde(rename = "remoteStartId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub remote_start_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStartTransactionResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: RequestStartStopStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
    /// When the transaction was already started by the Charging Station before the RequestStartTransactionRequest was received, for example: cable plugged in first. This contains the transactionId of the already started transaction.
    #[serde(rename = "transactionId", default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStopTransactionRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The identifier of the transaction which the Charging Station is requested to stop.
    #[serde(rename = "transactionId")]
    pub transaction_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStopTransactionResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: RequestStartStopStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationStatusUpdateRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The ID of the reservation.
    #[serde(rename = "reservationId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub reservation_id: i64,
    #[serde(rename = "reservationUpdateStatus")]
    pub reservation_update_status: ReservationUpdateStatusEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationStatusUpdateResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// The updated reservation status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReservationUpdateStatusEnum {
    #[serde(rename = "Expired")]
    Expired,
    #[serde(rename = "Removed")]
    Removed,
}

impl ReservationUpdateStatusEnum {
    pub const ALL: [ReservationUpdateStatusEnum; 2] = [ReservationUpdateStatusEnum::Expired, ReservationUpdateStatusEnum::Removed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReservationUpdateStatusEnum::Expired => "Expired",
            ReservationUpdateStatusEnum::Removed => "Removed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveNowRequest {
    #[serde(rename = "connectorType", default, skip_serializing_if = "Option::is_none")]
    pub connector_type: Option<ConnectorEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains ID of the evse to be reserved.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
    /// Date and time at which the reservation expires.
    #[serde(rename = "expiryDateTime")]
    pub expiry_date_time: DateTime,
    #[serde(rename = "groupIdToken", default, skip_serializing_if = "Option::is_none")]
    pub group_id_token: Option<IdToken>,
    /// Id of reservation.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    #[serde(rename = "idToken")]
    pub id_token: IdToken,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveNowResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ReserveNowStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates the success or failure of the reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReserveNowStatusEnum {
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

impl ReserveNowStatusEnum {
    pub const ALL: [ReserveNowStatusEnum; 5] = [ReserveNowStatusEnum::Accepted, ReserveNowStatusEnum::Faulted, ReserveNowStatusEnum::Occupied, ReserveNowStatusEnum::Rejected, ReserveNowStatusEnum::Unavailable];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReserveNowStatusEnum::Accepted => "Accepted",
            ReserveNowStatusEnum::Faulted => "Faulted",
            ReserveNowStatusEnum::Occupied => "Occupied",
            ReserveNowStatusEnum::Rejected => "Rejected",
            ReserveNowStatusEnum::Unavailable => "Unavailable",
        }
    }
}

/// This contains the type of reset that the Charging Station or EVSE should perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResetEnum {
    #[serde(rename = "Immediate")]
    Immediate,
    #[serde(rename = "OnIdle")]
    OnIdle,
}

impl ResetEnum {
    pub const ALL: [ResetEnum; 2] = [ResetEnum::Immediate, ResetEnum::OnIdle];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResetEnum::Immediate => "Immediate",
            ResetEnum::OnIdle => "OnIdle",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains the ID of a specific EVSE that needs to be reset, instead of the entire Charging Station.
    #[serde(rename = "evseId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub evse_id: Option<i64>,
    #[serde(rename = "type")]
    pub r#type: ResetEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ResetStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates whether the Charging Station is able to perform the reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResetStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Scheduled")]
    Scheduled,
}

impl ResetStatusEnum {
    pub const ALL: [ResetStatusEnum; 3] = [ResetStatusEnum::Accepted, ResetStatusEnum::Rejected, ResetStatusEnum::Scheduled];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResetStatusEnum::Accepted => "Accepted",
            ResetStatusEnum::Rejected => "Rejected",
            ResetStatusEnum::Scheduled => "Scheduled",
        }
    }
}

/// Sales_ Tariff
/// urn:x-oca:ocpp:uid:2:233272
/// NOTE: This dataType is based on dataTypes from &lt;&lt;ref-ISOIEC15118-2,ISO 15118-2&gt;&gt;.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesTariff {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identified_ Object. MRID. Numeric_ Identifier
    /// urn:x-enexis:ecdm:uid:1:569198
    /// SalesTariff identifier used to identify one sales tariff. An SAID remains a unique identifier for one schedule throughout a charging session.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    /// Sales_ Tariff. Num_ E_ Price_ Levels. Counter
    /// urn:x-oca:ocpp:uid:1:569284
    /// Defines the overall number of distinct price levels used across all provided SalesTariff elements.
    #[serde(rename = "numEPriceLevels", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub num_e_price_levels: Option<i64>,
    /// Sales_ Tariff. Sales. Tariff_ Description
    /// urn:x-oca:ocpp:uid:1:569283
    /// A human readable title/short description of the sales tariff e.g. for HMI display purposes.
    #[serde(rename = "salesTariffDescription", default, skip_serializing_if = "Option::is_none")]
    pub sales_tariff_description: Option<String>,
    #[serde(rename = "salesTariffEntry")]
    pub sales_tariff_entry: Vec<SalesTariffEntry>,
}

/// Sales_ Tariff_ Entry
/// urn:x-oca:ocpp:uid:2:233271
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesTariffEntry {
    #[serde(rename = "consumptionCost", default, skip_serializing_if = "Option::is_none")]
    pub consumption_cost: Option<Vec<ConsumptionCost>>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Sales_ Tariff_ Entry. E_ Price_ Level. Unsigned_ Integer
    /// urn:x-oca:ocpp:uid:1:569281
    /// Defines the price level of this SalesTariffEntry (referring to NumEPriceLevels). Small values for the EPriceLevel represent a cheaper TariffEntry. Large values for the EPriceLevel represent a more expensive TariffEntry.
    #[serde(rename = "ePriceLevel", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub e_price_level: Option<i64>,
    #[serde(rename = "relativeTimeInterval")]
    pub relative_time_interval: RelativeTimeInterval,
}

/// Sampled_ Value
/// urn:x-oca:ocpp:uid:2:233266
/// Single sampled value in MeterValues. Each value can be accompanied by optional fields.
///
/// To save on mobile data usage, default values of all of the optional fields are such that. The value without any additional fields will be interpreted, as a register reading of active import energy in Wh (Watt-hour) units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampledValue {
    #[serde(rename = "context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ReadingContextEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "location", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationEnum>,
    #[serde(rename = "measurand", default, skip_serializing_if = "Option::is_none")]
    pub measurand: Option<MeasurandEnum>,
    #[serde(rename = "phase", default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PhaseEnum>,
    #[serde(rename = "signedMeterValue", default, skip_serializing_if = "Option::is_none")]
    pub signed_meter_value: Option<SignedMeterValue>,
    #[serde(rename = "unitOfMeasure", default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<UnitOfMeasure>,
    /// Sampled_ Value. Value. Measure
    /// urn:x-oca:ocpp:uid:1:569260
    /// Indicates the measured value.
    #[serde(rename = "value")]
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEventNotificationRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Additional information about the occurred security event.
    #[serde(rename = "techInfo", default, skip_serializing_if = "Option::is_none")]
    pub tech_info: Option<String>,
    /// Date and time at which the event occurred.
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
    /// Type of the security event. This value should be taken from the Security events list.
    #[serde(rename = "type")]
    pub r#type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEventNotificationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendLocalListRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "localAuthorizationList", default, skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<AuthorizationData>>,
    #[serde(rename = "updateType")]
    pub update_type: UpdateEnum,
    /// In case of a full update this is the version number of the full list. In case of a differential update it is the version number of the list after the update has been applied.
    #[serde(rename = "versionNumber", deserialize_with = "crate::ocpp::types::de_integer")]
    pub version_number: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendLocalListResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: SendLocalListStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates whether the Charging Station has successfully received and applied the update of the Local Authorization List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SendLocalListStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Failed")]
    Failed,
    #[serde(rename = "VersionMismatch")]
    VersionMismatch,
}

impl SendLocalListStatusEnum {
    pub const ALL: [SendLocalListStatusEnum; 3] = [SendLocalListStatusEnum::Accepted, SendLocalListStatusEnum::Failed, SendLocalListStatusEnum::VersionMismatch];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            SendLocalListStatusEnum::Accepted => "Accepted",
            SendLocalListStatusEnum::Failed => "Failed",
            SendLocalListStatusEnum::VersionMismatch => "VersionMismatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetChargingProfileRequest {
    #[serde(rename = "chargingProfile")]
    pub charging_profile: ChargingProfile,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// For TxDefaultProfile an evseId=0 applies the profile to each individual evse. For ChargingStationMaxProfile and ChargingStationExternalConstraints an evseId=0 contains an overal limit for the whole Charging Station.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetChargingProfileResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: ChargingProfileStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDisplayMessageRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "message")]
    pub message: MessageInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDisplayMessageResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: DisplayMessageStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringBaseRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "monitoringBase")]
    pub monitoring_base: MonitoringBaseEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringBaseResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericDeviceModelStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Class to hold parameters of SetVariableMonitoring request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringData {
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// An id SHALL only be given to replace an existing monitor. The Charging Station handles the generation of id's for new monitors.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub id: Option<i64>,
    /// The severity that will be assigned to an event that is triggered by this monitor. The severity range is 0-9, with 0 as the highest and 9 as the lowest severity level.
    ///
    /// The severity levels have the following meaning: +
    /// *0-Danger* +
    /// Indicates lives are potentially in danger. Urgent attention is needed and action should be taken immediately. +
    /// *1-Hardware Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to Hardware issues. Action is required. +
    /// *2-System Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to software or minor hardware issues. Action is required. +
    /// *3-Critical* +
    /// Indicates a critical error. Action is required. +
    /// *4-Error* +
    /// Indicates a non-urgent error. Action is required. +
    /// *5-Alert* +
    /// Indicates an alert event. Default severity for any type of monitoring event.  +
    /// *6-Warning* +
    /// Indicates a warning event. Action may be required. +
    /// *7-Notice* +
    /// Indicates an unusual event. No immediate action is required. +
    /// *8-Informational* +
    /// Indicates a regular operational event. May be used for reporting, measuring throughput, etc. No action is required. +
    /// *9-Debug* +
    /// Indicates information useful to developers for debugging, not useful during operations.
    #[serde(rename = "severity", deserialize_with = "crate::ocpp::types::de_integer")]
    pub severity: i64,
    /// Monitor only active when a transaction is ongoing on a component relevant to this transaction. Default = false.
    #[serde(rename = "transaction", default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<bool>,
    #[serde(rename = "type")]
    pub r#type: MonitorEnum,
    /// Value for threshold or delta monitoring.
    /// For Periodic or PeriodicClockAligned this is the interval in seconds.
    #[serde(rename = "value")]
    pub value: f64,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringLevelRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The Charging Station SHALL only report events with a severity number lower than or equal to this severity.
    /// The severity range is 0-9, with 0 as the highest and 9 as the lowest severity level.
    ///
    /// The severity levels have the following meaning: +
    /// *0-Danger* +
    /// Indicates lives are potentially in danger. Urgent attention is needed and action should be taken immediately. +
    /// *1-Hardware Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to Hardware issues. Action is required. +
    /// *2-System Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to software or minor hardware issues. Action is required. +
    /// *3-Critical* +
    /// Indicates a critical error. Action is required. +
    /// *4-Error* +
    /// Indicates a non-urgent error. Action is required. +
    /// *5-Alert* +
    /// Indicates an alert event. Default severity for any type of monitoring event.  +
    /// *6-Warning* +
    /// Indicates a warning event. Action may be required. +
    /// *7-Notice* +
    /// Indicates an unusual event. No immediate action is required. +
    /// *8-Informational* +
    /// Indicates a regular operational event. May be used for reporting, measuring throughput, etc. No action is required. +
    /// *9-Debug* +
    /// Indicates information useful to developers for debugging, not useful during operations.
    #[serde(rename = "severity", deserialize_with = "crate::ocpp::types::de_integer")]
    pub severity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringLevelResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Class to hold result of SetVariableMonitoring request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMonitoringResult {
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Id given to the VariableMonitor by the Charging Station. The Id is only returned when status is accepted. Installed VariableMonitors should have unique id's but the id's of removed Installed monitors should have unique id's but the id's of removed monitors MAY be reused.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub id: Option<i64>,
    /// The severity that will be assigned to an event that is triggered by this monitor. The severity range is 0-9, with 0 as the highest and 9 as the lowest severity level.
    ///
    /// The severity levels have the following meaning: +
    /// *0-Danger* +
    /// Indicates lives are potentially in danger. Urgent attention is needed and action should be taken immediately. +
    /// *1-Hardware Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to Hardware issues. Action is required. +
    /// *2-System Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to software or minor hardware issues. Action is required. +
    /// *3-Critical* +
    /// Indicates a critical error. Action is required. +
    /// *4-Error* +
    /// Indicates a non-urgent error. Action is required. +
    /// *5-Alert* +
    /// Indicates an alert event. Default severity for any type of monitoring event.  +
    /// *6-Warning* +
    /// Indicates a warning event. Action may be required. +
    /// *7-Notice* +
    /// Indicates an unusual event. No immediate action is required. +
    /// *8-Informational* +
    /// Indicates a regular operational event. May be used for reporting, measuring throughput, etc. No action is required. +
    /// *9-Debug* +
    /// Indicates information useful to developers for debugging, not useful during operations.
    #[serde(rename = "severity", deserialize_with = "crate::ocpp::types::de_integer")]
    pub severity: i64,
    #[serde(rename = "status")]
    pub status: SetMonitoringStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
    #[serde(rename = "type")]
    pub r#type: MonitorEnum,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

/// Status is OK if a value could be returned. Otherwise this will indicate the reason why a value could not be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetMonitoringStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "UnknownComponent")]
    UnknownComponent,
    #[serde(rename = "UnknownVariable")]
    UnknownVariable,
    #[serde(rename = "UnsupportedMonitorType")]
    UnsupportedMonitorType,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Duplicate")]
    Duplicate,
}

impl SetMonitoringStatusEnum {
    pub const ALL: [SetMonitoringStatusEnum; 6] = [SetMonitoringStatusEnum::Accepted, SetMonitoringStatusEnum::UnknownComponent, SetMonitoringStatusEnum::UnknownVariable, SetMonitoringStatusEnum::UnsupportedMonitorType, SetMonitoringStatusEnum::Rejected, SetMonitoringStatusEnum::Duplicate];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            SetMonitoringStatusEnum::Accepted => "Accepted",
            SetMonitoringStatusEnum::UnknownComponent => "UnknownComponent",
            SetMonitoringStatusEnum::UnknownVariable => "UnknownVariable",
            SetMonitoringStatusEnum::UnsupportedMonitorType => "UnsupportedMonitorType",
            SetMonitoringStatusEnum::Rejected => "Rejected",
            SetMonitoringStatusEnum::Duplicate => "Duplicate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNetworkProfileRequest {
    /// Slot in which the configuration should be stored.
    #[serde(rename = "configurationSlot", deserialize_with = "crate::ocpp::types::de_integer")]
    pub configuration_slot: i64,
    #[serde(rename = "connectionData")]
    pub connection_data: NetworkConnectionProfile,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNetworkProfileResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: SetNetworkProfileStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Result of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetNetworkProfileStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "Failed")]
    Failed,
}

impl SetNetworkProfileStatusEnum {
    pub const ALL: [SetNetworkProfileStatusEnum; 3] = [SetNetworkProfileStatusEnum::Accepted, SetNetworkProfileStatusEnum::Rejected, SetNetworkProfileStatusEnum::Failed];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            SetNetworkProfileStatusEnum::Accepted => "Accepted",
            SetNetworkProfileStatusEnum::Rejected => "Rejected",
            SetNetworkProfileStatusEnum::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariableData {
    #[serde(rename = "attributeType", default, skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<AttributeEnum>,
    /// Value to be assigned to attribute of variable.
    ///
    /// The Configuration Variable &lt;&lt;configkey-configuration-value-size,ConfigurationValueSize&gt;&gt; can be used to limit SetVariableData.attributeValue and VariableCharacteristics.valueList. The max size of these values will always remain equal.
    #[serde(rename = "attributeValue")]
    pub attribute_value: String,
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariableMonitoringRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "setMonitoringData")]
    pub set_monitoring_data: Vec<SetMonitoringData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariableMonitoringResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "setMonitoringResult")]
    pub set_monitoring_result: Vec<SetMonitoringResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariableResult {
    #[serde(rename = "attributeStatus")]
    pub attribute_status: SetVariableStatusEnum,
    #[serde(rename = "attributeStatusInfo", default, skip_serializing_if = "Option::is_none")]
    pub attribute_status_info: Option<StatusInfo>,
    #[serde(rename = "attributeType", default, skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<AttributeEnum>,
    #[serde(rename = "component")]
    pub component: Component,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "variable")]
    pub variable: Variable,
}

/// Result status of setting the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetVariableStatusEnum {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Rejected")]
    Rejected,
    #[serde(rename = "UnknownComponent")]
    UnknownComponent,
    #[serde(rename = "UnknownVariable")]
    UnknownVariable,
    #[serde(rename = "NotSupportedAttributeType")]
    NotSupportedAttributeType,
    #[serde(rename = "RebootRequired")]
    RebootRequired,
}

impl SetVariableStatusEnum {
    pub const ALL: [SetVariableStatusEnum; 6] = [SetVariableStatusEnum::Accepted, SetVariableStatusEnum::Rejected, SetVariableStatusEnum::UnknownComponent, SetVariableStatusEnum::UnknownVariable, SetVariableStatusEnum::NotSupportedAttributeType, SetVariableStatusEnum::RebootRequired];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            SetVariableStatusEnum::Accepted => "Accepted",
            SetVariableStatusEnum::Rejected => "Rejected",
            SetVariableStatusEnum::UnknownComponent => "UnknownComponent",
            SetVariableStatusEnum::UnknownVariable => "UnknownVariable",
            SetVariableStatusEnum::NotSupportedAttributeType => "NotSupportedAttributeType",
            SetVariableStatusEnum::RebootRequired => "RebootRequired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariablesRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "setVariableData")]
    pub set_variable_data: Vec<SetVariableData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetVariablesResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "setVariableResult")]
    pub set_variable_result: Vec<SetVariableResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCertificateRequest {
    #[serde(rename = "certificateType", default, skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<CertificateSigningUseEnum>,
    /// The Charging Station SHALL send the public key in form of a Certificate Signing Request (CSR) as described in RFC 2986 \[22\] and then PEM encoded, using the &lt;&lt;signcertificaterequest,SignCertificateRequest&gt;&gt; message.
    #[serde(rename = "csr")]
    pub csr: String,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCertificateResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: GenericStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Represent a signed version of the meter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedMeterValue {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Method used to encode the meter values before applying the digital signature algorithm.
    #[serde(rename = "encodingMethod")]
    pub encoding_method: String,
    /// Base64 encoded, sending depends on configuration variable _PublicKeyWithSignedMeterValue_.
    #[serde(rename = "publicKey")]
    pub public_key: String,
    /// Base64 encoded, contains the signed data which might contain more then just the meter value. It can contain information like timestamps, reference to a customer etc.
    #[serde(rename = "signedMeterData")]
    pub signed_meter_data: String,
    /// Method used to create the digital signature.
    #[serde(rename = "signingMethod")]
    pub signing_method: String,
}

/// Element providing more information about the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInfo {
    /// Additional text to provide detailed information.
    #[serde(rename = "additionalInfo", default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<String>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// A predefined code for the reason why the status is returned in this response. The string is case-insensitive.
    #[serde(rename = "reasonCode")]
    pub reason_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusNotificationRequest {
    /// The id of the connector within the EVSE for which the status is reported.
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "connectorStatus")]
    pub connector_status: ConnectorStatusEnum,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The id of the EVSE to which the connector belongs for which the the status is reported.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
    /// The time for which the status is reported. If absent time of receipt of the message will be assumed.
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusNotificationResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

/// Transaction
/// urn:x-oca:ocpp:uid:2:233318
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    #[serde(rename = "chargingState", default, skip_serializing_if = "Option::is_none")]
    pub charging_state: Option<ChargingStateEnum>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// The ID given to remote start request (&lt;&lt;requeststarttransactionrequest, RequestStartTransactionRequest&gt;&gt;. This enables to CSMS to match the started transaction to the given start request.
    #[serde(rename = "remoteStartId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub remote_start_id: Option<i64>,
    #[serde(rename = "stoppedReason", default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<ReasonEnum>,
    /// Transaction. Time_ Spent_ Charging. Elapsed_ Time
    /// urn:x-oca:ocpp:uid:1:569415
    /// Contains the total time that energy flowed from EVSE to EV during the transaction (in seconds). Note that timeSpentCharging is smaller or equal to the duration of the transaction.
    #[serde(rename = "timeSpentCharging", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub time_spent_charging: Option<i64>,
    /// This contains the Id of the transaction.
    #[serde(rename = "transactionId")]
    pub transaction_id: String,
}

/// This contains the type of this event.
/// The first TransactionEvent of a transaction SHALL contain: "Started" The last TransactionEvent of a transaction SHALL contain: "Ended" All others SHALL contain: "Updated"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TransactionEventEnum {
    #[serde(rename = "Ended")]
    Ended,
    #[serde(rename = "Started")]
    Started,
    #[serde(rename = "Updated")]
    Updated,
}

impl TransactionEventEnum {
    pub const ALL: [TransactionEventEnum; 3] = [TransactionEventEnum::Ended, TransactionEventEnum::Started, TransactionEventEnum::Updated];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransactionEventEnum::Ended => "Ended",
            TransactionEventEnum::Started => "Started",
            TransactionEventEnum::Updated => "Updated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionEventRequest {
    /// The maximum current of the connected cable in Ampere (A).
    #[serde(rename = "cableMaxCurrent", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub cable_max_current: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "eventType")]
    pub event_type: TransactionEventEnum,
    #[serde(rename = "evse", default, skip_serializing_if = "Option::is_none")]
    pub evse: Option<EVSE>,
    #[serde(rename = "idToken", default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    #[serde(rename = "meterValue", default, skip_serializing_if = "Option::is_none")]
    pub meter_value: Option<Vec<MeterValue>>,
    /// If the Charging Station is able to report the number of phases used, then it SHALL provide it. When omitted the CSMS may be able to determine the number of phases used via device management.
    #[serde(rename = "numberOfPhasesUsed", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub number_of_phases_used: Option<i64>,
    /// Indication that this transaction event happened when the Charging Station was offline. Default = false, meaning: the event occurred when the Charging Station was online.
    #[serde(rename = "offline", default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    /// This contains the Id of the reservation that terminates as a result of this transaction.
    #[serde(rename = "reservationId", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub reservation_id: Option<i64>,
    /// Incremental sequence number, helps with determining if all messages of a transaction have been received.
    #[serde(rename = "seqNo", deserialize_with = "crate::ocpp::types::de_integer")]
    pub seq_no: i64,
    /// The date and time at which this transaction event occurred.
    #[serde(rename = "timestamp")]
    pub timestamp: DateTime,
    #[serde(rename = "transactionInfo")]
    pub transaction_info: Transaction,
    #[serde(rename = "triggerReason")]
    pub trigger_reason: TriggerReasonEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionEventResponse {
    /// Priority from a business point of view. Default priority is 0, The range is from -9 to 9. Higher values indicate a higher priority. The chargingPriority in &lt;&lt;transactioneventresponse,TransactionEventResponse&gt;&gt; is temporarily, so it may not be set in the &lt;&lt;cmn_idtokeninfotype,IdTokenInfoType&gt;&gt; afterwards. Also the chargingPriority in &lt;&lt;transactioneventresponse,TransactionEventResponse&gt;&gt; overrules the one in &lt;&lt;cmn_idtokeninfotype,IdTokenInfoType&gt;&gt;.
    #[serde(rename = "chargingPriority", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub charging_priority: Option<i64>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "idTokenInfo", default, skip_serializing_if = "Option::is_none")]
    pub id_token_info: Option<IdTokenInfo>,
    /// SHALL only be sent when charging has ended. Final total cost of this transaction, including taxes. In the currency configured with the Configuration Variable: &lt;&lt;configkey-currency,`Currency`&gt;&gt;. When omitted, the transaction was NOT free. To indicate a free transaction, the CSMS SHALL send 0.00.
    #[serde(rename = "totalCost", default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<f64>,
    #[serde(rename = "updatedPersonalMessage", default, skip_serializing_if = "Option::is_none")]
    pub updated_personal_message: Option<MessageContent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerMessageRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "evse", default, skip_serializing_if = "Option::is_none")]
    pub evse: Option<EVSE>,
    #[serde(rename = "requestedMessage")]
    pub requested_message: MessageTriggerEnum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerMessageResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: TriggerMessageStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// Indicates whether the Charging Station will send the requested notification or not.
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

/// Reason the Charging Station sends this message to the CSMS
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TriggerReasonEnum {
    #[serde(rename = "Authorized")]
    Authorized,
    #[serde(rename = "CablePluggedIn")]
    CablePluggedIn,
    #[serde(rename = "ChargingRateChanged")]
    ChargingRateChanged,
    #[serde(rename = "ChargingStateChanged")]
    ChargingStateChanged,
    #[serde(rename = "Deauthorized")]
    Deauthorized,
    #[serde(rename = "EnergyLimitReached")]
    EnergyLimitReached,
    #[serde(rename = "EVCommunicationLost")]
    EVCommunicationLost,
    #[serde(rename = "EVConnectTimeout")]
    EVConnectTimeout,
    #[serde(rename = "MeterValueClock")]
    MeterValueClock,
    #[serde(rename = "MeterValuePeriodic")]
    MeterValuePeriodic,
    #[serde(rename = "TimeLimitReached")]
    TimeLimitReached,
    #[serde(rename = "Trigger")]
    Trigger,
    #[serde(rename = "UnlockCommand")]
    UnlockCommand,
    #[serde(rename = "StopAuthorized")]
    StopAuthorized,
    #[serde(rename = "EVDeparted")]
    EVDeparted,
    #[serde(rename = "EVDetected")]
    EVDetected,
    #[serde(rename = "RemoteStop")]
    RemoteStop,
    #[serde(rename = "RemoteStart")]
    RemoteStart,
    #[serde(rename = "AbnormalCondition")]
    AbnormalCondition,
    #[serde(rename = "SignedDataReceived")]
    SignedDataReceived,
    #[serde(rename = "ResetCommand")]
    ResetCommand,
}

impl TriggerReasonEnum {
    pub const ALL: [TriggerReasonEnum; 21] = [TriggerReasonEnum::Authorized, TriggerReasonEnum::CablePluggedIn, TriggerReasonEnum::ChargingRateChanged, TriggerReasonEnum::ChargingStateChanged, TriggerReasonEnum::Deauthorized, TriggerReasonEnum::EnergyLimitReached, TriggerReasonEnum::EVCommunicationLost, TriggerReasonEnum::EVConnectTimeout, TriggerReasonEnum::MeterValueClock, TriggerReasonEnum::MeterValuePeriodic, TriggerReasonEnum::TimeLimitReached, TriggerReasonEnum::Trigger, TriggerReasonEnum::UnlockCommand, TriggerReasonEnum::StopAuthorized, TriggerReasonEnum::EVDeparted, TriggerReasonEnum::EVDetected, TriggerReasonEnum::RemoteStop, TriggerReasonEnum::RemoteStart, TriggerReasonEnum::AbnormalCondition, TriggerReasonEnum::SignedDataReceived, TriggerReasonEnum::ResetCommand];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            TriggerReasonEnum::Authorized => "Authorized",
            TriggerReasonEnum::CablePluggedIn => "CablePluggedIn",
            TriggerReasonEnum::ChargingRateChanged => "ChargingRateChanged",
            TriggerReasonEnum::ChargingStateChanged => "ChargingStateChanged",
            TriggerReasonEnum::Deauthorized => "Deauthorized",
            TriggerReasonEnum::EnergyLimitReached => "EnergyLimitReached",
            TriggerReasonEnum::EVCommunicationLost => "EVCommunicationLost",
            TriggerReasonEnum::EVConnectTimeout => "EVConnectTimeout",
            TriggerReasonEnum::MeterValueClock => "MeterValueClock",
            TriggerReasonEnum::MeterValuePeriodic => "MeterValuePeriodic",
            TriggerReasonEnum::TimeLimitReached => "TimeLimitReached",
            TriggerReasonEnum::Trigger => "Trigger",
            TriggerReasonEnum::UnlockCommand => "UnlockCommand",
            TriggerReasonEnum::StopAuthorized => "StopAuthorized",
            TriggerReasonEnum::EVDeparted => "EVDeparted",
            TriggerReasonEnum::EVDetected => "EVDetected",
            TriggerReasonEnum::RemoteStop => "RemoteStop",
            TriggerReasonEnum::RemoteStart => "RemoteStart",
            TriggerReasonEnum::AbnormalCondition => "AbnormalCondition",
            TriggerReasonEnum::SignedDataReceived => "SignedDataReceived",
            TriggerReasonEnum::ResetCommand => "ResetCommand",
        }
    }
}

/// Represents a UnitOfMeasure with a multiplier
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitOfMeasure {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Multiplier, this value represents the exponent to base 10. I.e. multiplier 3 means 10 raised to the 3rd power. Default is 0.
    #[serde(rename = "multiplier", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub multiplier: Option<i64>,
    /// Unit of the value. Default = "Wh" if the (default) measurand is an "Energy" type.
    /// This field SHALL use a value from the list Standardized Units of Measurements in Part 2 Appendices.
    /// If an applicable unit is available in that list, otherwise a "custom" unit might be used.
    #[serde(rename = "unit", default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockConnectorRequest {
    /// This contains the identifier of the connector that needs to be unlocked.
    #[serde(rename = "connectorId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub connector_id: i64,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// This contains the identifier of the EVSE for which a connector needs to be unlocked.
    #[serde(rename = "evseId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub evse_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockConnectorResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: UnlockStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This indicates whether the Charging Station has unlocked the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UnlockStatusEnum {
    #[serde(rename = "Unlocked")]
    Unlocked,
    #[serde(rename = "UnlockFailed")]
    UnlockFailed,
    #[serde(rename = "OngoingAuthorizedTransaction")]
    OngoingAuthorizedTransaction,
    #[serde(rename = "UnknownConnector")]
    UnknownConnector,
}

impl UnlockStatusEnum {
    pub const ALL: [UnlockStatusEnum; 4] = [UnlockStatusEnum::Unlocked, UnlockStatusEnum::UnlockFailed, UnlockStatusEnum::OngoingAuthorizedTransaction, UnlockStatusEnum::UnknownConnector];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnlockStatusEnum::Unlocked => "Unlocked",
            UnlockStatusEnum::UnlockFailed => "UnlockFailed",
            UnlockStatusEnum::OngoingAuthorizedTransaction => "OngoingAuthorizedTransaction",
            UnlockStatusEnum::UnknownConnector => "UnknownConnector",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnpublishFirmwareRequest {
    /// The MD5 checksum over the entire firmware file as a hexadecimal string of length 32.
    #[serde(rename = "checksum")]
    pub checksum: String,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnpublishFirmwareResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: UnpublishFirmwareStatusEnum,
}

/// Indicates whether the Local Controller succeeded in unpublishing the firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UnpublishFirmwareStatusEnum {
    #[serde(rename = "DownloadOngoing")]
    DownloadOngoing,
    #[serde(rename = "NoFirmware")]
    NoFirmware,
    #[serde(rename = "Unpublished")]
    Unpublished,
}

impl UnpublishFirmwareStatusEnum {
    pub const ALL: [UnpublishFirmwareStatusEnum; 3] = [UnpublishFirmwareStatusEnum::DownloadOngoing, UnpublishFirmwareStatusEnum::NoFirmware, UnpublishFirmwareStatusEnum::Unpublished];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnpublishFirmwareStatusEnum::DownloadOngoing => "DownloadOngoing",
            UnpublishFirmwareStatusEnum::NoFirmware => "NoFirmware",
            UnpublishFirmwareStatusEnum::Unpublished => "Unpublished",
        }
    }
}

/// This contains the type of update (full or differential) of this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UpdateEnum {
    #[serde(rename = "Differential")]
    Differential,
    #[serde(rename = "Full")]
    Full,
}

impl UpdateEnum {
    pub const ALL: [UpdateEnum; 2] = [UpdateEnum::Differential, UpdateEnum::Full];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateEnum::Differential => "Differential",
            UpdateEnum::Full => "Full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirmwareRequest {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "firmware")]
    pub firmware: Firmware,
    /// The Id of this request
    #[serde(rename = "requestId", deserialize_with = "crate::ocpp::types::de_integer")]
    pub request_id: i64,
    /// This specifies how many times Charging Station must try to download the firmware before giving up. If this field is not present, it is left to Charging Station to decide how many times it wants to retry.
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retries: Option<i64>,
    /// The interval in seconds after which a retry may be attempted. If this field is not present, it is left to Charging Station to decide how long to wait between attempts.
    #[serde(rename = "retryInterval", default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::ocpp::types::de_opt_integer")]
    pub retry_interval: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirmwareResponse {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "status")]
    pub status: UpdateFirmwareStatusEnum,
    #[serde(rename = "statusInfo", default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusInfo>,
}

/// This field indicates whether the Charging Station was able to accept the request.
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

/// This contains the status of the log upload.
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
    #[serde(rename = "AcceptedCanceled")]
    AcceptedCanceled,
}

impl UploadLogStatusEnum {
    pub const ALL: [UploadLogStatusEnum; 8] = [UploadLogStatusEnum::BadMessage, UploadLogStatusEnum::Idle, UploadLogStatusEnum::NotSupportedOperation, UploadLogStatusEnum::PermissionDenied, UploadLogStatusEnum::Uploaded, UploadLogStatusEnum::UploadFailure, UploadLogStatusEnum::Uploading, UploadLogStatusEnum::AcceptedCanceled];

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
            UploadLogStatusEnum::AcceptedCanceled => "AcceptedCanceled",
        }
    }
}

/// VPN
/// urn:x-oca:ocpp:uid:2:233268
/// VPN Configuration settings
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VPN {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// VPN. Group. Group_ Name
    /// urn:x-oca:ocpp:uid:1:569274
    /// VPN group.
    #[serde(rename = "group", default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// VPN. Key. VPN_ Key
    /// urn:x-oca:ocpp:uid:1:569276
    /// VPN shared secret.
    #[serde(rename = "key")]
    pub key: String,
    /// VPN. Password. Password
    /// urn:x-oca:ocpp:uid:1:569275
    /// VPN Password.
    #[serde(rename = "password")]
    pub password: String,
    /// VPN. Server. URI
    /// urn:x-oca:ocpp:uid:1:569272
    /// VPN Server Address
    #[serde(rename = "server")]
    pub server: String,
    #[serde(rename = "type")]
    pub r#type: VPNEnum,
    /// VPN. User. User_ Name
    /// urn:x-oca:ocpp:uid:1:569273
    /// VPN User
    #[serde(rename = "user")]
    pub user: String,
}

/// VPN. Type. VPN_ Code
/// urn:x-oca:ocpp:uid:1:569277
/// Type of VPN
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum VPNEnum {
    #[serde(rename = "IKEv2")]
    IKEv2,
    #[serde(rename = "IPSec")]
    IPSec,
    #[serde(rename = "L2TP")]
    L2TP,
    #[serde(rename = "PPTP")]
    PPTP,
}

impl VPNEnum {
    pub const ALL: [VPNEnum; 4] = [VPNEnum::IKEv2, VPNEnum::IPSec, VPNEnum::L2TP, VPNEnum::PPTP];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            VPNEnum::IKEv2 => "IKEv2",
            VPNEnum::IPSec => "IPSec",
            VPNEnum::L2TP => "L2TP",
            VPNEnum::PPTP => "PPTP",
        }
    }
}

/// Reference key to a component-variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Name of instance in case the variable exists as multiple instances. Case Insensitive. strongly advised to use Camel Case.
    #[serde(rename = "instance", default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Name of the variable. Name should be taken from the list of standardized variable names whenever possible. Case Insensitive. strongly advised to use Camel Case.
    #[serde(rename = "name")]
    pub name: String,
}

/// Attribute data of a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableAttribute {
    /// If true, value that will never be changed by the Charging Station at runtime. Default when omitted is false.
    #[serde(rename = "constant", default, skip_serializing_if = "Option::is_none")]
    pub constant: Option<bool>,
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "mutability", default, skip_serializing_if = "Option::is_none")]
    pub mutability: Option<MutabilityEnum>,
    /// If true, value will be persistent across system reboots or power down. Default when omitted is false.
    #[serde(rename = "persistent", default, skip_serializing_if = "Option::is_none")]
    pub persistent: Option<bool>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<AttributeEnum>,
    /// Value of the attribute. May only be omitted when mutability is set to 'WriteOnly'.
    ///
    /// The Configuration Variable &lt;&lt;configkey-reporting-value-size,ReportingValueSize&gt;&gt; can be used to limit GetVariableResult.attributeValue, VariableAttribute.value and EventData.actualValue. The max size of these values will always remain equal.
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Fixed read-only parameters of a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableCharacteristics {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    #[serde(rename = "dataType")]
    pub data_type: DataEnum,
    /// Maximum possible value of this variable. When the datatype of this Variable is String, OptionList, SequenceList or MemberList, this field defines the maximum length of the (CSV) string.
    #[serde(rename = "maxLimit", default, skip_serializing_if = "Option::is_none")]
    pub max_limit: Option<f64>,
    /// Minimum possible value of this variable.
    #[serde(rename = "minLimit", default, skip_serializing_if = "Option::is_none")]
    pub min_limit: Option<f64>,
    /// Flag indicating if this variable supports monitoring.
    #[serde(rename = "supportsMonitoring")]
    pub supports_monitoring: bool,
    /// Unit of the variable. When the transmitted value has a unit, this field SHALL be included.
    #[serde(rename = "unit", default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Allowed values when variable is Option/Member/SequenceList.
    ///
    /// * OptionList: The (Actual) Variable value must be a single value from the reported (CSV) enumeration list.
    ///
    /// * MemberList: The (Actual) Variable value  may be an (unordered) (sub-)set of the reported (CSV) valid values list.
    ///
    /// * SequenceList: The (Actual) Variable value  may be an ordered (priority, etc)  (sub-)set of the reported (CSV) valid values.
    ///
    /// This is a comma separated list.
    ///
    /// The Configuration Variable &lt;&lt;configkey-configuration-value-size,ConfigurationValueSize&gt;&gt; can be used to limit SetVariableData.attributeValue and VariableCharacteristics.valueList. The max size of these values will always remain equal.
    #[serde(rename = "valuesList", default, skip_serializing_if = "Option::is_none")]
    pub values_list: Option<String>,
}

/// A monitoring setting for a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableMonitoring {
    #[serde(rename = "customData", default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<CustomData>,
    /// Identifies the monitor.
    #[serde(rename = "id", deserialize_with = "crate::ocpp::types::de_integer")]
    pub id: i64,
    /// The severity that will be assigned to an event that is triggered by this monitor. The severity range is 0-9, with 0 as the highest and 9 as the lowest severity level.
    ///
    /// The severity levels have the following meaning: +
    /// *0-Danger* +
    /// Indicates lives are potentially in danger. Urgent attention is needed and action should be taken immediately. +
    /// *1-Hardware Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to Hardware issues. Action is required. +
    /// *2-System Failure* +
    /// Indicates that the Charging Station is unable to continue regular operations due to software or minor hardware issues. Action is required. +
    /// *3-Critical* +
    /// Indicates a critical error. Action is required. +
    /// *4-Error* +
    /// Indicates a non-urgent error. Action is required. +
    /// *5-Alert* +
    /// Indicates an alert event. Default severity for any type of monitoring event.  +
    /// *6-Warning* +
    /// Indicates a warning event. Action may be required. +
    /// *7-Notice* +
    /// Indicates an unusual event. No immediate action is required. +
    /// *8-Informational* +
    /// Indicates a regular operational event. May be used for reporting, measuring throughput, etc. No action is required. +
    /// *9-Debug* +
    /// Indicates information useful to developers for debugging, not useful during operations.
    #[serde(rename = "severity", deserialize_with = "crate::ocpp::types::de_integer")]
    pub severity: i64,
    /// Monitor only active when a transaction is ongoing on a component relevant to this transaction.
    #[serde(rename = "transaction")]
    pub transaction: bool,
    #[serde(rename = "type")]
    pub r#type: MonitorEnum,
    /// Value for threshold or delta monitoring.
    /// For Periodic or PeriodicClockAligned this is the interval in seconds.
    #[serde(rename = "value")]
    pub value: f64,
}

/// The actions of this version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Authorize,
    BootNotification,
    CancelReservation,
    CertificateSigned,
    ChangeAvailability,
    ClearCache,
    ClearChargingProfile,
    ClearDisplayMessage,
    ClearVariableMonitoring,
    ClearedChargingLimit,
    CostUpdated,
    CustomerInformation,
    DataTransfer,
    DeleteCertificate,
    FirmwareStatusNotification,
    Get15118EVCertificate,
    GetBaseReport,
    GetCertificateStatus,
    GetChargingProfiles,
    GetCompositeSchedule,
    GetDisplayMessages,
    GetInstalledCertificateIds,
    GetLocalListVersion,
    GetLog,
    GetMonitoringReport,
    GetReport,
    GetTransactionStatus,
    GetVariables,
    Heartbeat,
    InstallCertificate,
    LogStatusNotification,
    MeterValues,
    NotifyChargingLimit,
    NotifyCustomerInformation,
    NotifyDisplayMessages,
    NotifyEVChargingNeeds,
    NotifyEVChargingSchedule,
    NotifyEvent,
    NotifyMonitoringReport,
    NotifyReport,
    PublishFirmware,
    PublishFirmwareStatusNotification,
    ReportChargingProfiles,
    RequestStartTransaction,
    RequestStopTransaction,
    ReservationStatusUpdate,
    ReserveNow,
    Reset,
    SecurityEventNotification,
    SendLocalList,
    SetChargingProfile,
    SetDisplayMessage,
    SetMonitoringBase,
    SetMonitoringLevel,
    SetNetworkProfile,
    SetVariableMonitoring,
    SetVariables,
    SignCertificate,
    StatusNotification,
    TransactionEvent,
    TriggerMessage,
    UnlockConnector,
    UnpublishFirmware,
    UpdateFirmware,
}

impl Action {
    pub const ALL: [Action; 64] = [Action::Authorize, Action::BootNotification, Action::CancelReservation, Action::CertificateSigned, Action::ChangeAvailability, Action::ClearCache, Action::ClearChargingProfile, Action::ClearDisplayMessage, Action::ClearVariableMonitoring, Action::ClearedChargingLimit, Action::CostUpdated, Action::CustomerInformation, Action::DataTransfer, Action::DeleteCertificate, Action::FirmwareStatusNotification, Action::Get15118EVCertificate, Action::GetBaseReport, Action::GetCertificateStatus, Action::GetChargingProfiles, Action::GetCompositeSchedule, Action::GetDisplayMessages, Action::GetInstalledCertificateIds, Action::GetLocalListVersion, Action::GetLog, Action::GetMonitoringReport, Action::GetReport, Action::GetTransactionStatus, Action::GetVariables, Action::Heartbeat, Action::InstallCertificate, Action::LogStatusNotification, Action::MeterValues, Action::NotifyChargingLimit, Action::NotifyCustomerInformation, Action::NotifyDisplayMessages, Action::NotifyEVChargingNeeds, Action::NotifyEVChargingSchedule, Action::NotifyEvent, Action::NotifyMonitoringReport, Action::NotifyReport, Action::PublishFirmware, Action::PublishFirmwareStatusNotification, Action::ReportChargingProfiles, Action::RequestStartTransaction, Action::RequestStopTransaction, Action::ReservationStatusUpdate, Action::ReserveNow, Action::Reset, Action::SecurityEventNotification, Action::SendLocalList, Action::SetChargingProfile, Action::SetDisplayMessage, Action::SetMonitoringBase, Action::SetMonitoringLevel, Action::SetNetworkProfile, Action::SetVariableMonitoring, Action::SetVariables, Action::SignCertificate, Action::StatusNotification, Action::TransactionEvent, Action::TriggerMessage, Action::UnlockConnector, Action::UnpublishFirmware, Action::UpdateFirmware];

    /// The action's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Authorize => "Authorize",
            Action::BootNotification => "BootNotification",
            Action::CancelReservation => "CancelReservation",
            Action::CertificateSigned => "CertificateSigned",
            Action::ChangeAvailability => "ChangeAvailability",
            Action::ClearCache => "ClearCache",
            Action::ClearChargingProfile => "ClearChargingProfile",
            Action::ClearDisplayMessage => "ClearDisplayMessage",
            Action::ClearVariableMonitoring => "ClearVariableMonitoring",
            Action::ClearedChargingLimit => "ClearedChargingLimit",
            Action::CostUpdated => "CostUpdated",
            Action::CustomerInformation => "CustomerInformation",
            Action::DataTransfer => "DataTransfer",
            Action::DeleteCertificate => "DeleteCertificate",
            Action::FirmwareStatusNotification => "FirmwareStatusNotification",
            Action::Get15118EVCertificate => "Get15118EVCertificate",
            Action::GetBaseReport => "GetBaseReport",
            Action::GetCertificateStatus => "GetCertificateStatus",
            Action::GetChargingProfiles => "GetChargingProfiles",
            Action::GetCompositeSchedule => "GetCompositeSchedule",
            Action::GetDisplayMessages => "GetDisplayMessages",
            Action::GetInstalledCertificateIds => "GetInstalledCertificateIds",
            Action::GetLocalListVersion => "GetLocalListVersion",
            Action::GetLog => "GetLog",
            Action::GetMonitoringReport => "GetMonitoringReport",
            Action::GetReport => "GetReport",
            Action::GetTransactionStatus => "GetTransactionStatus",
            Action::GetVariables => "GetVariables",
            Action::Heartbeat => "Heartbeat",
            Action::InstallCertificate => "InstallCertificate",
            Action::LogStatusNotification => "LogStatusNotification",
            Action::MeterValues => "MeterValues",
            Action::NotifyChargingLimit => "NotifyChargingLimit",
            Action::NotifyCustomerInformation => "NotifyCustomerInformation",
            Action::NotifyDisplayMessages => "NotifyDisplayMessages",
            Action::NotifyEVChargingNeeds => "NotifyEVChargingNeeds",
            Action::NotifyEVChargingSchedule => "NotifyEVChargingSchedule",
            Action::NotifyEvent => "NotifyEvent",
            Action::NotifyMonitoringReport => "NotifyMonitoringReport",
            Action::NotifyReport => "NotifyReport",
            Action::PublishFirmware => "PublishFirmware",
            Action::PublishFirmwareStatusNotification => "PublishFirmwareStatusNotification",
            Action::ReportChargingProfiles => "ReportChargingProfiles",
            Action::RequestStartTransaction => "RequestStartTransaction",
            Action::RequestStopTransaction => "RequestStopTransaction",
            Action::ReservationStatusUpdate => "ReservationStatusUpdate",
            Action::ReserveNow => "ReserveNow",
            Action::Reset => "Reset",
            Action::SecurityEventNotification => "SecurityEventNotification",
            Action::SendLocalList => "SendLocalList",
            Action::SetChargingProfile => "SetChargingProfile",
            Action::SetDisplayMessage => "SetDisplayMessage",
            Action::SetMonitoringBase => "SetMonitoringBase",
            Action::SetMonitoringLevel => "SetMonitoringLevel",
            Action::SetNetworkProfile => "SetNetworkProfile",
            Action::SetVariableMonitoring => "SetVariableMonitoring",
            Action::SetVariables => "SetVariables",
            Action::SignCertificate => "SignCertificate",
            Action::StatusNotification => "StatusNotification",
            Action::TransactionEvent => "TransactionEvent",
            Action::TriggerMessage => "TriggerMessage",
            Action::UnlockConnector => "UnlockConnector",
            Action::UnpublishFirmware => "UnpublishFirmware",
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
            "ClearCache" => Some(Action::ClearCache),
            "ClearChargingProfile" => Some(Action::ClearChargingProfile),
            "ClearDisplayMessage" => Some(Action::ClearDisplayMessage),
            "ClearVariableMonitoring" => Some(Action::ClearVariableMonitoring),
            "ClearedChargingLimit" => Some(Action::ClearedChargingLimit),
            "CostUpdated" => Some(Action::CostUpdated),
            "CustomerInformation" => Some(Action::CustomerInformation),
            "DataTransfer" => Some(Action::DataTransfer),
            "DeleteCertificate" => Some(Action::DeleteCertificate),
            "FirmwareStatusNotification" => Some(Action::FirmwareStatusNotification),
            "Get15118EVCertificate" => Some(Action::Get15118EVCertificate),
            "GetBaseReport" => Some(Action::GetBaseReport),
            "GetCertificateStatus" => Some(Action::GetCertificateStatus),
            "GetChargingProfiles" => Some(Action::GetChargingProfiles),
            "GetCompositeSchedule" => Some(Action::GetCompositeSchedule),
            "GetDisplayMessages" => Some(Action::GetDisplayMessages),
            "GetInstalledCertificateIds" => Some(Action::GetInstalledCertificateIds),
            "GetLocalListVersion" => Some(Action::GetLocalListVersion),
            "GetLog" => Some(Action::GetLog),
            "GetMonitoringReport" => Some(Action::GetMonitoringReport),
            "GetReport" => Some(Action::GetReport),
            "GetTransactionStatus" => Some(Action::GetTransactionStatus),
            "GetVariables" => Some(Action::GetVariables),
            "Heartbeat" => Some(Action::Heartbeat),
            "InstallCertificate" => Some(Action::InstallCertificate),
            "LogStatusNotification" => Some(Action::LogStatusNotification),
            "MeterValues" => Some(Action::MeterValues),
            "NotifyChargingLimit" => Some(Action::NotifyChargingLimit),
            "NotifyCustomerInformation" => Some(Action::NotifyCustomerInformation),
            "NotifyDisplayMessages" => Some(Action::NotifyDisplayMessages),
            "NotifyEVChargingNeeds" => Some(Action::NotifyEVChargingNeeds),
            "NotifyEVChargingSchedule" => Some(Action::NotifyEVChargingSchedule),
            "NotifyEvent" => Some(Action::NotifyEvent),
            "NotifyMonitoringReport" => Some(Action::NotifyMonitoringReport),
            "NotifyReport" => Some(Action::NotifyReport),
            "PublishFirmware" => Some(Action::PublishFirmware),
            "PublishFirmwareStatusNotification" => Some(Action::PublishFirmwareStatusNotification),
            "ReportChargingProfiles" => Some(Action::ReportChargingProfiles),
            "RequestStartTransaction" => Some(Action::RequestStartTransaction),
            "RequestStopTransaction" => Some(Action::RequestStopTransaction),
            "ReservationStatusUpdate" => Some(Action::ReservationStatusUpdate),
            "ReserveNow" => Some(Action::ReserveNow),
            "Reset" => Some(Action::Reset),
            "SecurityEventNotification" => Some(Action::SecurityEventNotification),
            "SendLocalList" => Some(Action::SendLocalList),
            "SetChargingProfile" => Some(Action::SetChargingProfile),
            "SetDisplayMessage" => Some(Action::SetDisplayMessage),
            "SetMonitoringBase" => Some(Action::SetMonitoringBase),
            "SetMonitoringLevel" => Some(Action::SetMonitoringLevel),
            "SetNetworkProfile" => Some(Action::SetNetworkProfile),
            "SetVariableMonitoring" => Some(Action::SetVariableMonitoring),
            "SetVariables" => Some(Action::SetVariables),
            "SignCertificate" => Some(Action::SignCertificate),
            "StatusNotification" => Some(Action::StatusNotification),
            "TransactionEvent" => Some(Action::TransactionEvent),
            "TriggerMessage" => Some(Action::TriggerMessage),
            "UnlockConnector" => Some(Action::UnlockConnector),
            "UnpublishFirmware" => Some(Action::UnpublishFirmware),
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
            Action::ClearCache => crate::ocpp::Sender::Csms,
            Action::ClearChargingProfile => crate::ocpp::Sender::Csms,
            Action::ClearDisplayMessage => crate::ocpp::Sender::Csms,
            Action::ClearVariableMonitoring => crate::ocpp::Sender::Csms,
            Action::ClearedChargingLimit => crate::ocpp::Sender::ChargingStation,
            Action::CostUpdated => crate::ocpp::Sender::Csms,
            Action::CustomerInformation => crate::ocpp::Sender::Csms,
            Action::DataTransfer => crate::ocpp::Sender::Either,
            Action::DeleteCertificate => crate::ocpp::Sender::Csms,
            Action::FirmwareStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::Get15118EVCertificate => crate::ocpp::Sender::ChargingStation,
            Action::GetBaseReport => crate::ocpp::Sender::Csms,
            Action::GetCertificateStatus => crate::ocpp::Sender::ChargingStation,
            Action::GetChargingProfiles => crate::ocpp::Sender::Csms,
            Action::GetCompositeSchedule => crate::ocpp::Sender::Csms,
            Action::GetDisplayMessages => crate::ocpp::Sender::Csms,
            Action::GetInstalledCertificateIds => crate::ocpp::Sender::Csms,
            Action::GetLocalListVersion => crate::ocpp::Sender::Csms,
            Action::GetLog => crate::ocpp::Sender::Csms,
            Action::GetMonitoringReport => crate::ocpp::Sender::Csms,
            Action::GetReport => crate::ocpp::Sender::Csms,
            Action::GetTransactionStatus => crate::ocpp::Sender::Csms,
            Action::GetVariables => crate::ocpp::Sender::Csms,
            Action::Heartbeat => crate::ocpp::Sender::ChargingStation,
            Action::InstallCertificate => crate::ocpp::Sender::Csms,
            Action::LogStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::MeterValues => crate::ocpp::Sender::ChargingStation,
            Action::NotifyChargingLimit => crate::ocpp::Sender::ChargingStation,
            Action::NotifyCustomerInformation => crate::ocpp::Sender::ChargingStation,
            Action::NotifyDisplayMessages => crate::ocpp::Sender::ChargingStation,
            Action::NotifyEVChargingNeeds => crate::ocpp::Sender::ChargingStation,
            Action::NotifyEVChargingSchedule => crate::ocpp::Sender::ChargingStation,
            Action::NotifyEvent => crate::ocpp::Sender::ChargingStation,
            Action::NotifyMonitoringReport => crate::ocpp::Sender::ChargingStation,
            Action::NotifyReport => crate::ocpp::Sender::ChargingStation,
            Action::PublishFirmware => crate::ocpp::Sender::Csms,
            Action::PublishFirmwareStatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::ReportChargingProfiles => crate::ocpp::Sender::ChargingStation,
            Action::RequestStartTransaction => crate::ocpp::Sender::Csms,
            Action::RequestStopTransaction => crate::ocpp::Sender::Csms,
            Action::ReservationStatusUpdate => crate::ocpp::Sender::ChargingStation,
            Action::ReserveNow => crate::ocpp::Sender::Csms,
            Action::Reset => crate::ocpp::Sender::Csms,
            Action::SecurityEventNotification => crate::ocpp::Sender::ChargingStation,
            Action::SendLocalList => crate::ocpp::Sender::Csms,
            Action::SetChargingProfile => crate::ocpp::Sender::Csms,
            Action::SetDisplayMessage => crate::ocpp::Sender::Csms,
            Action::SetMonitoringBase => crate::ocpp::Sender::Csms,
            Action::SetMonitoringLevel => crate::ocpp::Sender::Csms,
            Action::SetNetworkProfile => crate::ocpp::Sender::Csms,
            Action::SetVariableMonitoring => crate::ocpp::Sender::Csms,
            Action::SetVariables => crate::ocpp::Sender::Csms,
            Action::SignCertificate => crate::ocpp::Sender::ChargingStation,
            Action::StatusNotification => crate::ocpp::Sender::ChargingStation,
            Action::TransactionEvent => crate::ocpp::Sender::ChargingStation,
            Action::TriggerMessage => crate::ocpp::Sender::Csms,
            Action::UnlockConnector => crate::ocpp::Sender::Csms,
            Action::UnpublishFirmware => crate::ocpp::Sender::Csms,
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
    ClearCache(ClearCacheRequest),
    ClearChargingProfile(ClearChargingProfileRequest),
    ClearDisplayMessage(ClearDisplayMessageRequest),
    ClearVariableMonitoring(ClearVariableMonitoringRequest),
    ClearedChargingLimit(ClearedChargingLimitRequest),
    CostUpdated(CostUpdatedRequest),
    CustomerInformation(CustomerInformationRequest),
    DataTransfer(DataTransferRequest),
    DeleteCertificate(DeleteCertificateRequest),
    FirmwareStatusNotification(FirmwareStatusNotificationRequest),
    Get15118EVCertificate(Get15118EVCertificateRequest),
    GetBaseReport(GetBaseReportRequest),
    GetCertificateStatus(GetCertificateStatusRequest),
    GetChargingProfiles(GetChargingProfilesRequest),
    GetCompositeSchedule(GetCompositeScheduleRequest),
    GetDisplayMessages(GetDisplayMessagesRequest),
    GetInstalledCertificateIds(GetInstalledCertificateIdsRequest),
    GetLocalListVersion(GetLocalListVersionRequest),
    GetLog(GetLogRequest),
    GetMonitoringReport(GetMonitoringReportRequest),
    GetReport(GetReportRequest),
    GetTransactionStatus(GetTransactionStatusRequest),
    GetVariables(GetVariablesRequest),
    Heartbeat(HeartbeatRequest),
    InstallCertificate(InstallCertificateRequest),
    LogStatusNotification(LogStatusNotificationRequest),
    MeterValues(MeterValuesRequest),
    NotifyChargingLimit(NotifyChargingLimitRequest),
    NotifyCustomerInformation(NotifyCustomerInformationRequest),
    NotifyDisplayMessages(NotifyDisplayMessagesRequest),
    NotifyEVChargingNeeds(NotifyEVChargingNeedsRequest),
    NotifyEVChargingSchedule(NotifyEVChargingScheduleRequest),
    NotifyEvent(NotifyEventRequest),
    NotifyMonitoringReport(NotifyMonitoringReportRequest),
    NotifyReport(NotifyReportRequest),
    PublishFirmware(PublishFirmwareRequest),
    PublishFirmwareStatusNotification(PublishFirmwareStatusNotificationRequest),
    ReportChargingProfiles(ReportChargingProfilesRequest),
    RequestStartTransaction(RequestStartTransactionRequest),
    RequestStopTransaction(RequestStopTransactionRequest),
    ReservationStatusUpdate(ReservationStatusUpdateRequest),
    ReserveNow(ReserveNowRequest),
    Reset(ResetRequest),
    SecurityEventNotification(SecurityEventNotificationRequest),
    SendLocalList(SendLocalListRequest),
    SetChargingProfile(SetChargingProfileRequest),
    SetDisplayMessage(SetDisplayMessageRequest),
    SetMonitoringBase(SetMonitoringBaseRequest),
    SetMonitoringLevel(SetMonitoringLevelRequest),
    SetNetworkProfile(SetNetworkProfileRequest),
    SetVariableMonitoring(SetVariableMonitoringRequest),
    SetVariables(SetVariablesRequest),
    SignCertificate(SignCertificateRequest),
    StatusNotification(StatusNotificationRequest),
    TransactionEvent(TransactionEventRequest),
    TriggerMessage(TriggerMessageRequest),
    UnlockConnector(UnlockConnectorRequest),
    UnpublishFirmware(UnpublishFirmwareRequest),
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
            Request::ClearCache(_) => Action::ClearCache,
            Request::ClearChargingProfile(_) => Action::ClearChargingProfile,
            Request::ClearDisplayMessage(_) => Action::ClearDisplayMessage,
            Request::ClearVariableMonitoring(_) => Action::ClearVariableMonitoring,
            Request::ClearedChargingLimit(_) => Action::ClearedChargingLimit,
            Request::CostUpdated(_) => Action::CostUpdated,
            Request::CustomerInformation(_) => Action::CustomerInformation,
            Request::DataTransfer(_) => Action::DataTransfer,
            Request::DeleteCertificate(_) => Action::DeleteCertificate,
            Request::FirmwareStatusNotification(_) => Action::FirmwareStatusNotification,
            Request::Get15118EVCertificate(_) => Action::Get15118EVCertificate,
            Request::GetBaseReport(_) => Action::GetBaseReport,
            Request::GetCertificateStatus(_) => Action::GetCertificateStatus,
            Request::GetChargingProfiles(_) => Action::GetChargingProfiles,
            Request::GetCompositeSchedule(_) => Action::GetCompositeSchedule,
            Request::GetDisplayMessages(_) => Action::GetDisplayMessages,
            Request::GetInstalledCertificateIds(_) => Action::GetInstalledCertificateIds,
            Request::GetLocalListVersion(_) => Action::GetLocalListVersion,
            Request::GetLog(_) => Action::GetLog,
            Request::GetMonitoringReport(_) => Action::GetMonitoringReport,
            Request::GetReport(_) => Action::GetReport,
            Request::GetTransactionStatus(_) => Action::GetTransactionStatus,
            Request::GetVariables(_) => Action::GetVariables,
            Request::Heartbeat(_) => Action::Heartbeat,
            Request::InstallCertificate(_) => Action::InstallCertificate,
            Request::LogStatusNotification(_) => Action::LogStatusNotification,
            Request::MeterValues(_) => Action::MeterValues,
            Request::NotifyChargingLimit(_) => Action::NotifyChargingLimit,
            Request::NotifyCustomerInformation(_) => Action::NotifyCustomerInformation,
            Request::NotifyDisplayMessages(_) => Action::NotifyDisplayMessages,
            Request::NotifyEVChargingNeeds(_) => Action::NotifyEVChargingNeeds,
            Request::NotifyEVChargingSchedule(_) => Action::NotifyEVChargingSchedule,
            Request::NotifyEvent(_) => Action::NotifyEvent,
            Request::NotifyMonitoringReport(_) => Action::NotifyMonitoringReport,
            Request::NotifyReport(_) => Action::NotifyReport,
            Request::PublishFirmware(_) => Action::PublishFirmware,
            Request::PublishFirmwareStatusNotification(_) => Action::PublishFirmwareStatusNotification,
            Request::ReportChargingProfiles(_) => Action::ReportChargingProfiles,
            Request::RequestStartTransaction(_) => Action::RequestStartTransaction,
            Request::RequestStopTransaction(_) => Action::RequestStopTransaction,
            Request::ReservationStatusUpdate(_) => Action::ReservationStatusUpdate,
            Request::ReserveNow(_) => Action::ReserveNow,
            Request::Reset(_) => Action::Reset,
            Request::SecurityEventNotification(_) => Action::SecurityEventNotification,
            Request::SendLocalList(_) => Action::SendLocalList,
            Request::SetChargingProfile(_) => Action::SetChargingProfile,
            Request::SetDisplayMessage(_) => Action::SetDisplayMessage,
            Request::SetMonitoringBase(_) => Action::SetMonitoringBase,
            Request::SetMonitoringLevel(_) => Action::SetMonitoringLevel,
            Request::SetNetworkProfile(_) => Action::SetNetworkProfile,
            Request::SetVariableMonitoring(_) => Action::SetVariableMonitoring,
            Request::SetVariables(_) => Action::SetVariables,
            Request::SignCertificate(_) => Action::SignCertificate,
            Request::StatusNotification(_) => Action::StatusNotification,
            Request::TransactionEvent(_) => Action::TransactionEvent,
            Request::TriggerMessage(_) => Action::TriggerMessage,
            Request::UnlockConnector(_) => Action::UnlockConnector,
            Request::UnpublishFirmware(_) => Action::UnpublishFirmware,
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
            Action::ClearCache => Request::ClearCache(serde_json::from_value(payload)?),
            Action::ClearChargingProfile => Request::ClearChargingProfile(serde_json::from_value(payload)?),
            Action::ClearDisplayMessage => Request::ClearDisplayMessage(serde_json::from_value(payload)?),
            Action::ClearVariableMonitoring => Request::ClearVariableMonitoring(serde_json::from_value(payload)?),
            Action::ClearedChargingLimit => Request::ClearedChargingLimit(serde_json::from_value(payload)?),
            Action::CostUpdated => Request::CostUpdated(serde_json::from_value(payload)?),
            Action::CustomerInformation => Request::CustomerInformation(serde_json::from_value(payload)?),
            Action::DataTransfer => Request::DataTransfer(serde_json::from_value(payload)?),
            Action::DeleteCertificate => Request::DeleteCertificate(serde_json::from_value(payload)?),
            Action::FirmwareStatusNotification => Request::FirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::Get15118EVCertificate => Request::Get15118EVCertificate(serde_json::from_value(payload)?),
            Action::GetBaseReport => Request::GetBaseReport(serde_json::from_value(payload)?),
            Action::GetCertificateStatus => Request::GetCertificateStatus(serde_json::from_value(payload)?),
            Action::GetChargingProfiles => Request::GetChargingProfiles(serde_json::from_value(payload)?),
            Action::GetCompositeSchedule => Request::GetCompositeSchedule(serde_json::from_value(payload)?),
            Action::GetDisplayMessages => Request::GetDisplayMessages(serde_json::from_value(payload)?),
            Action::GetInstalledCertificateIds => Request::GetInstalledCertificateIds(serde_json::from_value(payload)?),
            Action::GetLocalListVersion => Request::GetLocalListVersion(serde_json::from_value(payload)?),
            Action::GetLog => Request::GetLog(serde_json::from_value(payload)?),
            Action::GetMonitoringReport => Request::GetMonitoringReport(serde_json::from_value(payload)?),
            Action::GetReport => Request::GetReport(serde_json::from_value(payload)?),
            Action::GetTransactionStatus => Request::GetTransactionStatus(serde_json::from_value(payload)?),
            Action::GetVariables => Request::GetVariables(serde_json::from_value(payload)?),
            Action::Heartbeat => Request::Heartbeat(serde_json::from_value(payload)?),
            Action::InstallCertificate => Request::InstallCertificate(serde_json::from_value(payload)?),
            Action::LogStatusNotification => Request::LogStatusNotification(serde_json::from_value(payload)?),
            Action::MeterValues => Request::MeterValues(serde_json::from_value(payload)?),
            Action::NotifyChargingLimit => Request::NotifyChargingLimit(serde_json::from_value(payload)?),
            Action::NotifyCustomerInformation => Request::NotifyCustomerInformation(serde_json::from_value(payload)?),
            Action::NotifyDisplayMessages => Request::NotifyDisplayMessages(serde_json::from_value(payload)?),
            Action::NotifyEVChargingNeeds => Request::NotifyEVChargingNeeds(serde_json::from_value(payload)?),
            Action::NotifyEVChargingSchedule => Request::NotifyEVChargingSchedule(serde_json::from_value(payload)?),
            Action::NotifyEvent => Request::NotifyEvent(serde_json::from_value(payload)?),
            Action::NotifyMonitoringReport => Request::NotifyMonitoringReport(serde_json::from_value(payload)?),
            Action::NotifyReport => Request::NotifyReport(serde_json::from_value(payload)?),
            Action::PublishFirmware => Request::PublishFirmware(serde_json::from_value(payload)?),
            Action::PublishFirmwareStatusNotification => Request::PublishFirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::ReportChargingProfiles => Request::ReportChargingProfiles(serde_json::from_value(payload)?),
            Action::RequestStartTransaction => Request::RequestStartTransaction(serde_json::from_value(payload)?),
            Action::RequestStopTransaction => Request::RequestStopTransaction(serde_json::from_value(payload)?),
            Action::ReservationStatusUpdate => Request::ReservationStatusUpdate(serde_json::from_value(payload)?),
            Action::ReserveNow => Request::ReserveNow(serde_json::from_value(payload)?),
            Action::Reset => Request::Reset(serde_json::from_value(payload)?),
            Action::SecurityEventNotification => Request::SecurityEventNotification(serde_json::from_value(payload)?),
            Action::SendLocalList => Request::SendLocalList(serde_json::from_value(payload)?),
            Action::SetChargingProfile => Request::SetChargingProfile(serde_json::from_value(payload)?),
            Action::SetDisplayMessage => Request::SetDisplayMessage(serde_json::from_value(payload)?),
            Action::SetMonitoringBase => Request::SetMonitoringBase(serde_json::from_value(payload)?),
            Action::SetMonitoringLevel => Request::SetMonitoringLevel(serde_json::from_value(payload)?),
            Action::SetNetworkProfile => Request::SetNetworkProfile(serde_json::from_value(payload)?),
            Action::SetVariableMonitoring => Request::SetVariableMonitoring(serde_json::from_value(payload)?),
            Action::SetVariables => Request::SetVariables(serde_json::from_value(payload)?),
            Action::SignCertificate => Request::SignCertificate(serde_json::from_value(payload)?),
            Action::StatusNotification => Request::StatusNotification(serde_json::from_value(payload)?),
            Action::TransactionEvent => Request::TransactionEvent(serde_json::from_value(payload)?),
            Action::TriggerMessage => Request::TriggerMessage(serde_json::from_value(payload)?),
            Action::UnlockConnector => Request::UnlockConnector(serde_json::from_value(payload)?),
            Action::UnpublishFirmware => Request::UnpublishFirmware(serde_json::from_value(payload)?),
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
            Request::ClearCache(m) => serde_json::to_value(m),
            Request::ClearChargingProfile(m) => serde_json::to_value(m),
            Request::ClearDisplayMessage(m) => serde_json::to_value(m),
            Request::ClearVariableMonitoring(m) => serde_json::to_value(m),
            Request::ClearedChargingLimit(m) => serde_json::to_value(m),
            Request::CostUpdated(m) => serde_json::to_value(m),
            Request::CustomerInformation(m) => serde_json::to_value(m),
            Request::DataTransfer(m) => serde_json::to_value(m),
            Request::DeleteCertificate(m) => serde_json::to_value(m),
            Request::FirmwareStatusNotification(m) => serde_json::to_value(m),
            Request::Get15118EVCertificate(m) => serde_json::to_value(m),
            Request::GetBaseReport(m) => serde_json::to_value(m),
            Request::GetCertificateStatus(m) => serde_json::to_value(m),
            Request::GetChargingProfiles(m) => serde_json::to_value(m),
            Request::GetCompositeSchedule(m) => serde_json::to_value(m),
            Request::GetDisplayMessages(m) => serde_json::to_value(m),
            Request::GetInstalledCertificateIds(m) => serde_json::to_value(m),
            Request::GetLocalListVersion(m) => serde_json::to_value(m),
            Request::GetLog(m) => serde_json::to_value(m),
            Request::GetMonitoringReport(m) => serde_json::to_value(m),
            Request::GetReport(m) => serde_json::to_value(m),
            Request::GetTransactionStatus(m) => serde_json::to_value(m),
            Request::GetVariables(m) => serde_json::to_value(m),
            Request::Heartbeat(m) => serde_json::to_value(m),
            Request::InstallCertificate(m) => serde_json::to_value(m),
            Request::LogStatusNotification(m) => serde_json::to_value(m),
            Request::MeterValues(m) => serde_json::to_value(m),
            Request::NotifyChargingLimit(m) => serde_json::to_value(m),
            Request::NotifyCustomerInformation(m) => serde_json::to_value(m),
            Request::NotifyDisplayMessages(m) => serde_json::to_value(m),
            Request::NotifyEVChargingNeeds(m) => serde_json::to_value(m),
            Request::NotifyEVChargingSchedule(m) => serde_json::to_value(m),
            Request::NotifyEvent(m) => serde_json::to_value(m),
            Request::NotifyMonitoringReport(m) => serde_json::to_value(m),
            Request::NotifyReport(m) => serde_json::to_value(m),
            Request::PublishFirmware(m) => serde_json::to_value(m),
            Request::PublishFirmwareStatusNotification(m) => serde_json::to_value(m),
            Request::ReportChargingProfiles(m) => serde_json::to_value(m),
            Request::RequestStartTransaction(m) => serde_json::to_value(m),
            Request::RequestStopTransaction(m) => serde_json::to_value(m),
            Request::ReservationStatusUpdate(m) => serde_json::to_value(m),
            Request::ReserveNow(m) => serde_json::to_value(m),
            Request::Reset(m) => serde_json::to_value(m),
            Request::SecurityEventNotification(m) => serde_json::to_value(m),
            Request::SendLocalList(m) => serde_json::to_value(m),
            Request::SetChargingProfile(m) => serde_json::to_value(m),
            Request::SetDisplayMessage(m) => serde_json::to_value(m),
            Request::SetMonitoringBase(m) => serde_json::to_value(m),
            Request::SetMonitoringLevel(m) => serde_json::to_value(m),
            Request::SetNetworkProfile(m) => serde_json::to_value(m),
            Request::SetVariableMonitoring(m) => serde_json::to_value(m),
            Request::SetVariables(m) => serde_json::to_value(m),
            Request::SignCertificate(m) => serde_json::to_value(m),
            Request::StatusNotification(m) => serde_json::to_value(m),
            Request::TransactionEvent(m) => serde_json::to_value(m),
            Request::TriggerMessage(m) => serde_json::to_value(m),
            Request::UnlockConnector(m) => serde_json::to_value(m),
            Request::UnpublishFirmware(m) => serde_json::to_value(m),
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

impl From<ClearDisplayMessageRequest> for Request {
    fn from(m: ClearDisplayMessageRequest) -> Request {
        Request::ClearDisplayMessage(m)
    }
}

impl From<ClearVariableMonitoringRequest> for Request {
    fn from(m: ClearVariableMonitoringRequest) -> Request {
        Request::ClearVariableMonitoring(m)
    }
}

impl From<ClearedChargingLimitRequest> for Request {
    fn from(m: ClearedChargingLimitRequest) -> Request {
        Request::ClearedChargingLimit(m)
    }
}

impl From<CostUpdatedRequest> for Request {
    fn from(m: CostUpdatedRequest) -> Request {
        Request::CostUpdated(m)
    }
}

impl From<CustomerInformationRequest> for Request {
    fn from(m: CustomerInformationRequest) -> Request {
        Request::CustomerInformation(m)
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

impl From<FirmwareStatusNotificationRequest> for Request {
    fn from(m: FirmwareStatusNotificationRequest) -> Request {
        Request::FirmwareStatusNotification(m)
    }
}

impl From<Get15118EVCertificateRequest> for Request {
    fn from(m: Get15118EVCertificateRequest) -> Request {
        Request::Get15118EVCertificate(m)
    }
}

impl From<GetBaseReportRequest> for Request {
    fn from(m: GetBaseReportRequest) -> Request {
        Request::GetBaseReport(m)
    }
}

impl From<GetCertificateStatusRequest> for Request {
    fn from(m: GetCertificateStatusRequest) -> Request {
        Request::GetCertificateStatus(m)
    }
}

impl From<GetChargingProfilesRequest> for Request {
    fn from(m: GetChargingProfilesRequest) -> Request {
        Request::GetChargingProfiles(m)
    }
}

impl From<GetCompositeScheduleRequest> for Request {
    fn from(m: GetCompositeScheduleRequest) -> Request {
        Request::GetCompositeSchedule(m)
    }
}

impl From<GetDisplayMessagesRequest> for Request {
    fn from(m: GetDisplayMessagesRequest) -> Request {
        Request::GetDisplayMessages(m)
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

impl From<GetMonitoringReportRequest> for Request {
    fn from(m: GetMonitoringReportRequest) -> Request {
        Request::GetMonitoringReport(m)
    }
}

impl From<GetReportRequest> for Request {
    fn from(m: GetReportRequest) -> Request {
        Request::GetReport(m)
    }
}

impl From<GetTransactionStatusRequest> for Request {
    fn from(m: GetTransactionStatusRequest) -> Request {
        Request::GetTransactionStatus(m)
    }
}

impl From<GetVariablesRequest> for Request {
    fn from(m: GetVariablesRequest) -> Request {
        Request::GetVariables(m)
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

impl From<NotifyChargingLimitRequest> for Request {
    fn from(m: NotifyChargingLimitRequest) -> Request {
        Request::NotifyChargingLimit(m)
    }
}

impl From<NotifyCustomerInformationRequest> for Request {
    fn from(m: NotifyCustomerInformationRequest) -> Request {
        Request::NotifyCustomerInformation(m)
    }
}

impl From<NotifyDisplayMessagesRequest> for Request {
    fn from(m: NotifyDisplayMessagesRequest) -> Request {
        Request::NotifyDisplayMessages(m)
    }
}

impl From<NotifyEVChargingNeedsRequest> for Request {
    fn from(m: NotifyEVChargingNeedsRequest) -> Request {
        Request::NotifyEVChargingNeeds(m)
    }
}

impl From<NotifyEVChargingScheduleRequest> for Request {
    fn from(m: NotifyEVChargingScheduleRequest) -> Request {
        Request::NotifyEVChargingSchedule(m)
    }
}

impl From<NotifyEventRequest> for Request {
    fn from(m: NotifyEventRequest) -> Request {
        Request::NotifyEvent(m)
    }
}

impl From<NotifyMonitoringReportRequest> for Request {
    fn from(m: NotifyMonitoringReportRequest) -> Request {
        Request::NotifyMonitoringReport(m)
    }
}

impl From<NotifyReportRequest> for Request {
    fn from(m: NotifyReportRequest) -> Request {
        Request::NotifyReport(m)
    }
}

impl From<PublishFirmwareRequest> for Request {
    fn from(m: PublishFirmwareRequest) -> Request {
        Request::PublishFirmware(m)
    }
}

impl From<PublishFirmwareStatusNotificationRequest> for Request {
    fn from(m: PublishFirmwareStatusNotificationRequest) -> Request {
        Request::PublishFirmwareStatusNotification(m)
    }
}

impl From<ReportChargingProfilesRequest> for Request {
    fn from(m: ReportChargingProfilesRequest) -> Request {
        Request::ReportChargingProfiles(m)
    }
}

impl From<RequestStartTransactionRequest> for Request {
    fn from(m: RequestStartTransactionRequest) -> Request {
        Request::RequestStartTransaction(m)
    }
}

impl From<RequestStopTransactionRequest> for Request {
    fn from(m: RequestStopTransactionRequest) -> Request {
        Request::RequestStopTransaction(m)
    }
}

impl From<ReservationStatusUpdateRequest> for Request {
    fn from(m: ReservationStatusUpdateRequest) -> Request {
        Request::ReservationStatusUpdate(m)
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

impl From<SetDisplayMessageRequest> for Request {
    fn from(m: SetDisplayMessageRequest) -> Request {
        Request::SetDisplayMessage(m)
    }
}

impl From<SetMonitoringBaseRequest> for Request {
    fn from(m: SetMonitoringBaseRequest) -> Request {
        Request::SetMonitoringBase(m)
    }
}

impl From<SetMonitoringLevelRequest> for Request {
    fn from(m: SetMonitoringLevelRequest) -> Request {
        Request::SetMonitoringLevel(m)
    }
}

impl From<SetNetworkProfileRequest> for Request {
    fn from(m: SetNetworkProfileRequest) -> Request {
        Request::SetNetworkProfile(m)
    }
}

impl From<SetVariableMonitoringRequest> for Request {
    fn from(m: SetVariableMonitoringRequest) -> Request {
        Request::SetVariableMonitoring(m)
    }
}

impl From<SetVariablesRequest> for Request {
    fn from(m: SetVariablesRequest) -> Request {
        Request::SetVariables(m)
    }
}

impl From<SignCertificateRequest> for Request {
    fn from(m: SignCertificateRequest) -> Request {
        Request::SignCertificate(m)
    }
}

impl From<StatusNotificationRequest> for Request {
    fn from(m: StatusNotificationRequest) -> Request {
        Request::StatusNotification(m)
    }
}

impl From<TransactionEventRequest> for Request {
    fn from(m: TransactionEventRequest) -> Request {
        Request::TransactionEvent(m)
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

impl From<UnpublishFirmwareRequest> for Request {
    fn from(m: UnpublishFirmwareRequest) -> Request {
        Request::UnpublishFirmware(m)
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
    ClearCache(ClearCacheResponse),
    ClearChargingProfile(ClearChargingProfileResponse),
    ClearDisplayMessage(ClearDisplayMessageResponse),
    ClearVariableMonitoring(ClearVariableMonitoringResponse),
    ClearedChargingLimit(ClearedChargingLimitResponse),
    CostUpdated(CostUpdatedResponse),
    CustomerInformation(CustomerInformationResponse),
    DataTransfer(DataTransferResponse),
    DeleteCertificate(DeleteCertificateResponse),
    FirmwareStatusNotification(FirmwareStatusNotificationResponse),
    Get15118EVCertificate(Get15118EVCertificateResponse),
    GetBaseReport(GetBaseReportResponse),
    GetCertificateStatus(GetCertificateStatusResponse),
    GetChargingProfiles(GetChargingProfilesResponse),
    GetCompositeSchedule(GetCompositeScheduleResponse),
    GetDisplayMessages(GetDisplayMessagesResponse),
    GetInstalledCertificateIds(GetInstalledCertificateIdsResponse),
    GetLocalListVersion(GetLocalListVersionResponse),
    GetLog(GetLogResponse),
    GetMonitoringReport(GetMonitoringReportResponse),
    GetReport(GetReportResponse),
    GetTransactionStatus(GetTransactionStatusResponse),
    GetVariables(GetVariablesResponse),
    Heartbeat(HeartbeatResponse),
    InstallCertificate(InstallCertificateResponse),
    LogStatusNotification(LogStatusNotificationResponse),
    MeterValues(MeterValuesResponse),
    NotifyChargingLimit(NotifyChargingLimitResponse),
    NotifyCustomerInformation(NotifyCustomerInformationResponse),
    NotifyDisplayMessages(NotifyDisplayMessagesResponse),
    NotifyEVChargingNeeds(NotifyEVChargingNeedsResponse),
    NotifyEVChargingSchedule(NotifyEVChargingScheduleResponse),
    NotifyEvent(NotifyEventResponse),
    NotifyMonitoringReport(NotifyMonitoringReportResponse),
    NotifyReport(NotifyReportResponse),
    PublishFirmware(PublishFirmwareResponse),
    PublishFirmwareStatusNotification(PublishFirmwareStatusNotificationResponse),
    ReportChargingProfiles(ReportChargingProfilesResponse),
    RequestStartTransaction(RequestStartTransactionResponse),
    RequestStopTransaction(RequestStopTransactionResponse),
    ReservationStatusUpdate(ReservationStatusUpdateResponse),
    ReserveNow(ReserveNowResponse),
    Reset(ResetResponse),
    SecurityEventNotification(SecurityEventNotificationResponse),
    SendLocalList(SendLocalListResponse),
    SetChargingProfile(SetChargingProfileResponse),
    SetDisplayMessage(SetDisplayMessageResponse),
    SetMonitoringBase(SetMonitoringBaseResponse),
    SetMonitoringLevel(SetMonitoringLevelResponse),
    SetNetworkProfile(SetNetworkProfileResponse),
    SetVariableMonitoring(SetVariableMonitoringResponse),
    SetVariables(SetVariablesResponse),
    SignCertificate(SignCertificateResponse),
    StatusNotification(StatusNotificationResponse),
    TransactionEvent(TransactionEventResponse),
    TriggerMessage(TriggerMessageResponse),
    UnlockConnector(UnlockConnectorResponse),
    UnpublishFirmware(UnpublishFirmwareResponse),
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
            Response::ClearCache(_) => Action::ClearCache,
            Response::ClearChargingProfile(_) => Action::ClearChargingProfile,
            Response::ClearDisplayMessage(_) => Action::ClearDisplayMessage,
            Response::ClearVariableMonitoring(_) => Action::ClearVariableMonitoring,
            Response::ClearedChargingLimit(_) => Action::ClearedChargingLimit,
            Response::CostUpdated(_) => Action::CostUpdated,
            Response::CustomerInformation(_) => Action::CustomerInformation,
            Response::DataTransfer(_) => Action::DataTransfer,
            Response::DeleteCertificate(_) => Action::DeleteCertificate,
            Response::FirmwareStatusNotification(_) => Action::FirmwareStatusNotification,
            Response::Get15118EVCertificate(_) => Action::Get15118EVCertificate,
            Response::GetBaseReport(_) => Action::GetBaseReport,
            Response::GetCertificateStatus(_) => Action::GetCertificateStatus,
            Response::GetChargingProfiles(_) => Action::GetChargingProfiles,
            Response::GetCompositeSchedule(_) => Action::GetCompositeSchedule,
            Response::GetDisplayMessages(_) => Action::GetDisplayMessages,
            Response::GetInstalledCertificateIds(_) => Action::GetInstalledCertificateIds,
            Response::GetLocalListVersion(_) => Action::GetLocalListVersion,
            Response::GetLog(_) => Action::GetLog,
            Response::GetMonitoringReport(_) => Action::GetMonitoringReport,
            Response::GetReport(_) => Action::GetReport,
            Response::GetTransactionStatus(_) => Action::GetTransactionStatus,
            Response::GetVariables(_) => Action::GetVariables,
            Response::Heartbeat(_) => Action::Heartbeat,
            Response::InstallCertificate(_) => Action::InstallCertificate,
            Response::LogStatusNotification(_) => Action::LogStatusNotification,
            Response::MeterValues(_) => Action::MeterValues,
            Response::NotifyChargingLimit(_) => Action::NotifyChargingLimit,
            Response::NotifyCustomerInformation(_) => Action::NotifyCustomerInformation,
            Response::NotifyDisplayMessages(_) => Action::NotifyDisplayMessages,
            Response::NotifyEVChargingNeeds(_) => Action::NotifyEVChargingNeeds,
            Response::NotifyEVChargingSchedule(_) => Action::NotifyEVChargingSchedule,
            Response::NotifyEvent(_) => Action::NotifyEvent,
            Response::NotifyMonitoringReport(_) => Action::NotifyMonitoringReport,
            Response::NotifyReport(_) => Action::NotifyReport,
            Response::PublishFirmware(_) => Action::PublishFirmware,
            Response::PublishFirmwareStatusNotification(_) => Action::PublishFirmwareStatusNotification,
            Response::ReportChargingProfiles(_) => Action::ReportChargingProfiles,
            Response::RequestStartTransaction(_) => Action::RequestStartTransaction,
            Response::RequestStopTransaction(_) => Action::RequestStopTransaction,
            Response::ReservationStatusUpdate(_) => Action::ReservationStatusUpdate,
            Response::ReserveNow(_) => Action::ReserveNow,
            Response::Reset(_) => Action::Reset,
            Response::SecurityEventNotification(_) => Action::SecurityEventNotification,
            Response::SendLocalList(_) => Action::SendLocalList,
            Response::SetChargingProfile(_) => Action::SetChargingProfile,
            Response::SetDisplayMessage(_) => Action::SetDisplayMessage,
            Response::SetMonitoringBase(_) => Action::SetMonitoringBase,
            Response::SetMonitoringLevel(_) => Action::SetMonitoringLevel,
            Response::SetNetworkProfile(_) => Action::SetNetworkProfile,
            Response::SetVariableMonitoring(_) => Action::SetVariableMonitoring,
            Response::SetVariables(_) => Action::SetVariables,
            Response::SignCertificate(_) => Action::SignCertificate,
            Response::StatusNotification(_) => Action::StatusNotification,
            Response::TransactionEvent(_) => Action::TransactionEvent,
            Response::TriggerMessage(_) => Action::TriggerMessage,
            Response::UnlockConnector(_) => Action::UnlockConnector,
            Response::UnpublishFirmware(_) => Action::UnpublishFirmware,
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
            Action::ClearCache => Response::ClearCache(serde_json::from_value(payload)?),
            Action::ClearChargingProfile => Response::ClearChargingProfile(serde_json::from_value(payload)?),
            Action::ClearDisplayMessage => Response::ClearDisplayMessage(serde_json::from_value(payload)?),
            Action::ClearVariableMonitoring => Response::ClearVariableMonitoring(serde_json::from_value(payload)?),
            Action::ClearedChargingLimit => Response::ClearedChargingLimit(serde_json::from_value(payload)?),
            Action::CostUpdated => Response::CostUpdated(serde_json::from_value(payload)?),
            Action::CustomerInformation => Response::CustomerInformation(serde_json::from_value(payload)?),
            Action::DataTransfer => Response::DataTransfer(serde_json::from_value(payload)?),
            Action::DeleteCertificate => Response::DeleteCertificate(serde_json::from_value(payload)?),
            Action::FirmwareStatusNotification => Response::FirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::Get15118EVCertificate => Response::Get15118EVCertificate(serde_json::from_value(payload)?),
            Action::GetBaseReport => Response::GetBaseReport(serde_json::from_value(payload)?),
            Action::GetCertificateStatus => Response::GetCertificateStatus(serde_json::from_value(payload)?),
            Action::GetChargingProfiles => Response::GetChargingProfiles(serde_json::from_value(payload)?),
            Action::GetCompositeSchedule => Response::GetCompositeSchedule(serde_json::from_value(payload)?),
            Action::GetDisplayMessages => Response::GetDisplayMessages(serde_json::from_value(payload)?),
            Action::GetInstalledCertificateIds => Response::GetInstalledCertificateIds(serde_json::from_value(payload)?),
            Action::GetLocalListVersion => Response::GetLocalListVersion(serde_json::from_value(payload)?),
            Action::GetLog => Response::GetLog(serde_json::from_value(payload)?),
            Action::GetMonitoringReport => Response::GetMonitoringReport(serde_json::from_value(payload)?),
            Action::GetReport => Response::GetReport(serde_json::from_value(payload)?),
            Action::GetTransactionStatus => Response::GetTransactionStatus(serde_json::from_value(payload)?),
            Action::GetVariables => Response::GetVariables(serde_json::from_value(payload)?),
            Action::Heartbeat => Response::Heartbeat(serde_json::from_value(payload)?),
            Action::InstallCertificate => Response::InstallCertificate(serde_json::from_value(payload)?),
            Action::LogStatusNotification => Response::LogStatusNotification(serde_json::from_value(payload)?),
            Action::MeterValues => Response::MeterValues(serde_json::from_value(payload)?),
            Action::NotifyChargingLimit => Response::NotifyChargingLimit(serde_json::from_value(payload)?),
            Action::NotifyCustomerInformation => Response::NotifyCustomerInformation(serde_json::from_value(payload)?),
            Action::NotifyDisplayMessages => Response::NotifyDisplayMessages(serde_json::from_value(payload)?),
            Action::NotifyEVChargingNeeds => Response::NotifyEVChargingNeeds(serde_json::from_value(payload)?),
            Action::NotifyEVChargingSchedule => Response::NotifyEVChargingSchedule(serde_json::from_value(payload)?),
            Action::NotifyEvent => Response::NotifyEvent(serde_json::from_value(payload)?),
            Action::NotifyMonitoringReport => Response::NotifyMonitoringReport(serde_json::from_value(payload)?),
            Action::NotifyReport => Response::NotifyReport(serde_json::from_value(payload)?),
            Action::PublishFirmware => Response::PublishFirmware(serde_json::from_value(payload)?),
            Action::PublishFirmwareStatusNotification => Response::PublishFirmwareStatusNotification(serde_json::from_value(payload)?),
            Action::ReportChargingProfiles => Response::ReportChargingProfiles(serde_json::from_value(payload)?),
            Action::RequestStartTransaction => Response::RequestStartTransaction(serde_json::from_value(payload)?),
            Action::RequestStopTransaction => Response::RequestStopTransaction(serde_json::from_value(payload)?),
            Action::ReservationStatusUpdate => Response::ReservationStatusUpdate(serde_json::from_value(payload)?),
            Action::ReserveNow => Response::ReserveNow(serde_json::from_value(payload)?),
            Action::Reset => Response::Reset(serde_json::from_value(payload)?),
            Action::SecurityEventNotification => Response::SecurityEventNotification(serde_json::from_value(payload)?),
            Action::SendLocalList => Response::SendLocalList(serde_json::from_value(payload)?),
            Action::SetChargingProfile => Response::SetChargingProfile(serde_json::from_value(payload)?),
            Action::SetDisplayMessage => Response::SetDisplayMessage(serde_json::from_value(payload)?),
            Action::SetMonitoringBase => Response::SetMonitoringBase(serde_json::from_value(payload)?),
            Action::SetMonitoringLevel => Response::SetMonitoringLevel(serde_json::from_value(payload)?),
            Action::SetNetworkProfile => Response::SetNetworkProfile(serde_json::from_value(payload)?),
            Action::SetVariableMonitoring => Response::SetVariableMonitoring(serde_json::from_value(payload)?),
            Action::SetVariables => Response::SetVariables(serde_json::from_value(payload)?),
            Action::SignCertificate => Response::SignCertificate(serde_json::from_value(payload)?),
            Action::StatusNotification => Response::StatusNotification(serde_json::from_value(payload)?),
            Action::TransactionEvent => Response::TransactionEvent(serde_json::from_value(payload)?),
            Action::TriggerMessage => Response::TriggerMessage(serde_json::from_value(payload)?),
            Action::UnlockConnector => Response::UnlockConnector(serde_json::from_value(payload)?),
            Action::UnpublishFirmware => Response::UnpublishFirmware(serde_json::from_value(payload)?),
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
            Response::ClearCache(m) => serde_json::to_value(m),
            Response::ClearChargingProfile(m) => serde_json::to_value(m),
            Response::ClearDisplayMessage(m) => serde_json::to_value(m),
            Response::ClearVariableMonitoring(m) => serde_json::to_value(m),
            Response::ClearedChargingLimit(m) => serde_json::to_value(m),
            Response::CostUpdated(m) => serde_json::to_value(m),
            Response::CustomerInformation(m) => serde_json::to_value(m),
            Response::DataTransfer(m) => serde_json::to_value(m),
            Response::DeleteCertificate(m) => serde_json::to_value(m),
            Response::FirmwareStatusNotification(m) => serde_json::to_value(m),
            Response::Get15118EVCertificate(m) => serde_json::to_value(m),
            Response::GetBaseReport(m) => serde_json::to_value(m),
            Response::GetCertificateStatus(m) => serde_json::to_value(m),
            Response::GetChargingProfiles(m) => serde_json::to_value(m),
            Response::GetCompositeSchedule(m) => serde_json::to_value(m),
            Response::GetDisplayMessages(m) => serde_json::to_value(m),
            Response::GetInstalledCertificateIds(m) => serde_json::to_value(m),
            Response::GetLocalListVersion(m) => serde_json::to_value(m),
            Response::GetLog(m) => serde_json::to_value(m),
            Response::GetMonitoringReport(m) => serde_json::to_value(m),
            Response::GetReport(m) => serde_json::to_value(m),
            Response::GetTransactionStatus(m) => serde_json::to_value(m),
            Response::GetVariables(m) => serde_json::to_value(m),
            Response::Heartbeat(m) => serde_json::to_value(m),
            Response::InstallCertificate(m) => serde_json::to_value(m),
            Response::LogStatusNotification(m) => serde_json::to_value(m),
            Response::MeterValues(m) => serde_json::to_value(m),
            Response::NotifyChargingLimit(m) => serde_json::to_value(m),
            Response::NotifyCustomerInformation(m) => serde_json::to_value(m),
            Response::NotifyDisplayMessages(m) => serde_json::to_value(m),
            Response::NotifyEVChargingNeeds(m) => serde_json::to_value(m),
            Response::NotifyEVChargingSchedule(m) => serde_json::to_value(m),
            Response::NotifyEvent(m) => serde_json::to_value(m),
            Response::NotifyMonitoringReport(m) => serde_json::to_value(m),
            Response::NotifyReport(m) => serde_json::to_value(m),
            Response::PublishFirmware(m) => serde_json::to_value(m),
            Response::PublishFirmwareStatusNotification(m) => serde_json::to_value(m),
            Response::ReportChargingProfiles(m) => serde_json::to_value(m),
            Response::RequestStartTransaction(m) => serde_json::to_value(m),
            Response::RequestStopTransaction(m) => serde_json::to_value(m),
            Response::ReservationStatusUpdate(m) => serde_json::to_value(m),
            Response::ReserveNow(m) => serde_json::to_value(m),
            Response::Reset(m) => serde_json::to_value(m),
            Response::SecurityEventNotification(m) => serde_json::to_value(m),
            Response::SendLocalList(m) => serde_json::to_value(m),
            Response::SetChargingProfile(m) => serde_json::to_value(m),
            Response::SetDisplayMessage(m) => serde_json::to_value(m),
            Response::SetMonitoringBase(m) => serde_json::to_value(m),
            Response::SetMonitoringLevel(m) => serde_json::to_value(m),
            Response::SetNetworkProfile(m) => serde_json::to_value(m),
            Response::SetVariableMonitoring(m) => serde_json::to_value(m),
            Response::SetVariables(m) => serde_json::to_value(m),
            Response::SignCertificate(m) => serde_json::to_value(m),
            Response::StatusNotification(m) => serde_json::to_value(m),
            Response::TransactionEvent(m) => serde_json::to_value(m),
            Response::TriggerMessage(m) => serde_json::to_value(m),
            Response::UnlockConnector(m) => serde_json::to_value(m),
            Response::UnpublishFirmware(m) => serde_json::to_value(m),
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

impl From<ClearDisplayMessageResponse> for Response {
    fn from(m: ClearDisplayMessageResponse) -> Response {
        Response::ClearDisplayMessage(m)
    }
}

impl From<ClearVariableMonitoringResponse> for Response {
    fn from(m: ClearVariableMonitoringResponse) -> Response {
        Response::ClearVariableMonitoring(m)
    }
}

impl From<ClearedChargingLimitResponse> for Response {
    fn from(m: ClearedChargingLimitResponse) -> Response {
        Response::ClearedChargingLimit(m)
    }
}

impl From<CostUpdatedResponse> for Response {
    fn from(m: CostUpdatedResponse) -> Response {
        Response::CostUpdated(m)
    }
}

impl From<CustomerInformationResponse> for Response {
    fn from(m: CustomerInformationResponse) -> Response {
        Response::CustomerInformation(m)
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

impl From<FirmwareStatusNotificationResponse> for Response {
    fn from(m: FirmwareStatusNotificationResponse) -> Response {
        Response::FirmwareStatusNotification(m)
    }
}

impl From<Get15118EVCertificateResponse> for Response {
    fn from(m: Get15118EVCertificateResponse) -> Response {
        Response::Get15118EVCertificate(m)
    }
}

impl From<GetBaseReportResponse> for Response {
    fn from(m: GetBaseReportResponse) -> Response {
        Response::GetBaseReport(m)
    }
}

impl From<GetCertificateStatusResponse> for Response {
    fn from(m: GetCertificateStatusResponse) -> Response {
        Response::GetCertificateStatus(m)
    }
}

impl From<GetChargingProfilesResponse> for Response {
    fn from(m: GetChargingProfilesResponse) -> Response {
        Response::GetChargingProfiles(m)
    }
}

impl From<GetCompositeScheduleResponse> for Response {
    fn from(m: GetCompositeScheduleResponse) -> Response {
        Response::GetCompositeSchedule(m)
    }
}

impl From<GetDisplayMessagesResponse> for Response {
    fn from(m: GetDisplayMessagesResponse) -> Response {
        Response::GetDisplayMessages(m)
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

impl From<GetMonitoringReportResponse> for Response {
    fn from(m: GetMonitoringReportResponse) -> Response {
        Response::GetMonitoringReport(m)
    }
}

impl From<GetReportResponse> for Response {
    fn from(m: GetReportResponse) -> Response {
        Response::GetReport(m)
    }
}

impl From<GetTransactionStatusResponse> for Response {
    fn from(m: GetTransactionStatusResponse) -> Response {
        Response::GetTransactionStatus(m)
    }
}

impl From<GetVariablesResponse> for Response {
    fn from(m: GetVariablesResponse) -> Response {
        Response::GetVariables(m)
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

impl From<NotifyChargingLimitResponse> for Response {
    fn from(m: NotifyChargingLimitResponse) -> Response {
        Response::NotifyChargingLimit(m)
    }
}

impl From<NotifyCustomerInformationResponse> for Response {
    fn from(m: NotifyCustomerInformationResponse) -> Response {
        Response::NotifyCustomerInformation(m)
    }
}

impl From<NotifyDisplayMessagesResponse> for Response {
    fn from(m: NotifyDisplayMessagesResponse) -> Response {
        Response::NotifyDisplayMessages(m)
    }
}

impl From<NotifyEVChargingNeedsResponse> for Response {
    fn from(m: NotifyEVChargingNeedsResponse) -> Response {
        Response::NotifyEVChargingNeeds(m)
    }
}

impl From<NotifyEVChargingScheduleResponse> for Response {
    fn from(m: NotifyEVChargingScheduleResponse) -> Response {
        Response::NotifyEVChargingSchedule(m)
    }
}

impl From<NotifyEventResponse> for Response {
    fn from(m: NotifyEventResponse) -> Response {
        Response::NotifyEvent(m)
    }
}

impl From<NotifyMonitoringReportResponse> for Response {
    fn from(m: NotifyMonitoringReportResponse) -> Response {
        Response::NotifyMonitoringReport(m)
    }
}

impl From<NotifyReportResponse> for Response {
    fn from(m: NotifyReportResponse) -> Response {
        Response::NotifyReport(m)
    }
}

impl From<PublishFirmwareResponse> for Response {
    fn from(m: PublishFirmwareResponse) -> Response {
        Response::PublishFirmware(m)
    }
}

impl From<PublishFirmwareStatusNotificationResponse> for Response {
    fn from(m: PublishFirmwareStatusNotificationResponse) -> Response {
        Response::PublishFirmwareStatusNotification(m)
    }
}

impl From<ReportChargingProfilesResponse> for Response {
    fn from(m: ReportChargingProfilesResponse) -> Response {
        Response::ReportChargingProfiles(m)
    }
}

impl From<RequestStartTransactionResponse> for Response {
    fn from(m: RequestStartTransactionResponse) -> Response {
        Response::RequestStartTransaction(m)
    }
}

impl From<RequestStopTransactionResponse> for Response {
    fn from(m: RequestStopTransactionResponse) -> Response {
        Response::RequestStopTransaction(m)
    }
}

impl From<ReservationStatusUpdateResponse> for Response {
    fn from(m: ReservationStatusUpdateResponse) -> Response {
        Response::ReservationStatusUpdate(m)
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

impl From<SetDisplayMessageResponse> for Response {
    fn from(m: SetDisplayMessageResponse) -> Response {
        Response::SetDisplayMessage(m)
    }
}

impl From<SetMonitoringBaseResponse> for Response {
    fn from(m: SetMonitoringBaseResponse) -> Response {
        Response::SetMonitoringBase(m)
    }
}

impl From<SetMonitoringLevelResponse> for Response {
    fn from(m: SetMonitoringLevelResponse) -> Response {
        Response::SetMonitoringLevel(m)
    }
}

impl From<SetNetworkProfileResponse> for Response {
    fn from(m: SetNetworkProfileResponse) -> Response {
        Response::SetNetworkProfile(m)
    }
}

impl From<SetVariableMonitoringResponse> for Response {
    fn from(m: SetVariableMonitoringResponse) -> Response {
        Response::SetVariableMonitoring(m)
    }
}

impl From<SetVariablesResponse> for Response {
    fn from(m: SetVariablesResponse) -> Response {
        Response::SetVariables(m)
    }
}

impl From<SignCertificateResponse> for Response {
    fn from(m: SignCertificateResponse) -> Response {
        Response::SignCertificate(m)
    }
}

impl From<StatusNotificationResponse> for Response {
    fn from(m: StatusNotificationResponse) -> Response {
        Response::StatusNotification(m)
    }
}

impl From<TransactionEventResponse> for Response {
    fn from(m: TransactionEventResponse) -> Response {
        Response::TransactionEvent(m)
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

impl From<UnpublishFirmwareResponse> for Response {
    fn from(m: UnpublishFirmwareResponse) -> Response {
        Response::UnpublishFirmware(m)
    }
}

impl From<UpdateFirmwareResponse> for Response {
    fn from(m: UpdateFirmwareResponse) -> Response {
        Response::UpdateFirmware(m)
    }
}
