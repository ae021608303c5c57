//! Which actions each OCPP version defines, who may send them, and their official schemas.
//!
//! The schemas are the OCA's JSON schemas, embedded verbatim (see `schemas/README.md`) and
//! compiled on first use per connection by [`SchemaSet`]. The table below was generated from
//! the schema file names; the sender of each action is from the specifications (1.6 §3 and the
//! Security Whitepaper; 2.0.1 Part 2's message list).

use std::collections::HashMap;

use super::frame::OcppVersion;
use super::validate::{Schema, SchemaError};

/// Which side of the connection an endpoint plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    /// The charge point (1.6) / charging station (2.0.1): chargerd.
    #[default]
    ChargingStation,
    /// The central system (1.6) / CSMS (2.0.1): used by tests and simulators.
    Csms,
}

impl Role {
    /// The other side.
    pub const fn peer(self) -> Role {
        match self {
            Role::ChargingStation => Role::Csms,
            Role::Csms => Role::ChargingStation,
        }
    }
}

/// Who may send the CALL of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    ChargingStation,
    Csms,
    /// DataTransfer.
    Either,
}

impl Sender {
    /// Whether `role` may send the CALL.
    pub const fn allows(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Sender::Either, _)
                | (Sender::ChargingStation, Role::ChargingStation)
                | (Sender::Csms, Role::Csms)
        )
    }
}

/// The request (CALL payload) or response (CALLRESULT payload) of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Request,
    Response,
}

/// One action of a version: its name, its sender and the text of its two schemas.
#[derive(Debug)]
pub struct ActionSchemas {
    pub action: &'static str,
    pub sender: Sender,
    pub request: &'static str,
    pub response: &'static str,
}

impl ActionSchemas {
    /// The schema text for one direction.
    pub fn schema(&self, kind: MessageKind) -> &'static str {
        match kind {
            MessageKind::Request => self.request,
            MessageKind::Response => self.response,
        }
    }
}

/// Every action `version` defines, sorted by name.
pub fn actions(version: OcppVersion) -> &'static [ActionSchemas] {
    match version {
        OcppVersion::V16 => V16,
        OcppVersion::V201 => V201,
    }
}

/// The action called `name` in `version`, if the version defines it. Case-sensitive, as the
/// specifications are.
pub fn find(version: OcppVersion, name: &str) -> Option<&'static ActionSchemas> {
    let table = actions(version);
    table
        .binary_search_by(|a| a.action.cmp(name))
        .ok()
        .and_then(|i| table.get(i))
}

/// Compiled schemas of one version, compiled on first use and kept: one per connection.
#[derive(Debug)]
pub struct SchemaSet {
    version: OcppVersion,
    compiled: HashMap<(&'static str, MessageKind), Schema>,
}

impl SchemaSet {
    pub fn new(version: OcppVersion) -> Self {
        SchemaSet {
            version,
            compiled: HashMap::new(),
        }
    }

    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// The compiled schema of `action`'s request or response; `Ok(None)` if the version does
    /// not define the action.
    pub fn get(&mut self, action: &str, kind: MessageKind) -> Result<Option<&Schema>, SchemaError> {
        let Some(entry) = find(self.version, action) else {
            return Ok(None);
        };
        let key = (entry.action, kind);
        if !self.compiled.contains_key(&key) {
            let schema = Schema::from_json(entry.schema(kind)).map_err(|e| SchemaError {
                path: format!(
                    "{}{}",
                    schema_file(self.version, entry.action, kind),
                    e.path
                ),
                problem: e.problem,
            })?;
            self.compiled.insert(key, schema);
        }
        Ok(self.compiled.get(&key))
    }
}

/// The file an action's schema comes from, for error messages.
pub(crate) fn schema_file(version: OcppVersion, action: &str, kind: MessageKind) -> String {
    match (version, kind) {
        (OcppVersion::V16, MessageKind::Request) => format!("v16/{action}.json#"),
        (OcppVersion::V16, MessageKind::Response) => format!("v16/{action}Response.json#"),
        (OcppVersion::V201, MessageKind::Request) => format!("v201/{action}Request.json#"),
        (OcppVersion::V201, MessageKind::Response) => format!("v201/{action}Response.json#"),
    }
}

// Generated from the schema file names; see schemas/README.md. One row per action.

/// OCPP 1.6J: the 28 base actions and the 11 of the Security Whitepaper (edition 2).
static V16: &[ActionSchemas] = &[
    ActionSchemas {
        action: "Authorize",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/Authorize.json"),
        response: include_str!("schemas/v16/AuthorizeResponse.json"),
    },
    ActionSchemas {
        action: "BootNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/BootNotification.json"),
        response: include_str!("schemas/v16/BootNotificationResponse.json"),
    },
    ActionSchemas {
        action: "CancelReservation",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/CancelReservation.json"),
        response: include_str!("schemas/v16/CancelReservationResponse.json"),
    },
    ActionSchemas {
        action: "CertificateSigned",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/CertificateSigned.json"),
        response: include_str!("schemas/v16/CertificateSignedResponse.json"),
    },
    ActionSchemas {
        action: "ChangeAvailability",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ChangeAvailability.json"),
        response: include_str!("schemas/v16/ChangeAvailabilityResponse.json"),
    },
    ActionSchemas {
        action: "ChangeConfiguration",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ChangeConfiguration.json"),
        response: include_str!("schemas/v16/ChangeConfigurationResponse.json"),
    },
    ActionSchemas {
        action: "ClearCache",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ClearCache.json"),
        response: include_str!("schemas/v16/ClearCacheResponse.json"),
    },
    ActionSchemas {
        action: "ClearChargingProfile",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ClearChargingProfile.json"),
        response: include_str!("schemas/v16/ClearChargingProfileResponse.json"),
    },
    ActionSchemas {
        action: "DataTransfer",
        sender: Sender::Either,
        request: include_str!("schemas/v16/DataTransfer.json"),
        response: include_str!("schemas/v16/DataTransferResponse.json"),
    },
    ActionSchemas {
        action: "DeleteCertificate",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/DeleteCertificate.json"),
        response: include_str!("schemas/v16/DeleteCertificateResponse.json"),
    },
    ActionSchemas {
        action: "DiagnosticsStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/DiagnosticsStatusNotification.json"),
        response: include_str!("schemas/v16/DiagnosticsStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "ExtendedTriggerMessage",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ExtendedTriggerMessage.json"),
        response: include_str!("schemas/v16/ExtendedTriggerMessageResponse.json"),
    },
    ActionSchemas {
        action: "FirmwareStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/FirmwareStatusNotification.json"),
        response: include_str!("schemas/v16/FirmwareStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "GetCompositeSchedule",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetCompositeSchedule.json"),
        response: include_str!("schemas/v16/GetCompositeScheduleResponse.json"),
    },
    ActionSchemas {
        action: "GetConfiguration",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetConfiguration.json"),
        response: include_str!("schemas/v16/GetConfigurationResponse.json"),
    },
    ActionSchemas {
        action: "GetDiagnostics",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetDiagnostics.json"),
        response: include_str!("schemas/v16/GetDiagnosticsResponse.json"),
    },
    ActionSchemas {
        action: "GetInstalledCertificateIds",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetInstalledCertificateIds.json"),
        response: include_str!("schemas/v16/GetInstalledCertificateIdsResponse.json"),
    },
    ActionSchemas {
        action: "GetLocalListVersion",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetLocalListVersion.json"),
        response: include_str!("schemas/v16/GetLocalListVersionResponse.json"),
    },
    ActionSchemas {
        action: "GetLog",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/GetLog.json"),
        response: include_str!("schemas/v16/GetLogResponse.json"),
    },
    ActionSchemas {
        action: "Heartbeat",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/Heartbeat.json"),
        response: include_str!("schemas/v16/HeartbeatResponse.json"),
    },
    ActionSchemas {
        action: "InstallCertificate",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/InstallCertificate.json"),
        response: include_str!("schemas/v16/InstallCertificateResponse.json"),
    },
    ActionSchemas {
        action: "LogStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/LogStatusNotification.json"),
        response: include_str!("schemas/v16/LogStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "MeterValues",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/MeterValues.json"),
        response: include_str!("schemas/v16/MeterValuesResponse.json"),
    },
    ActionSchemas {
        action: "RemoteStartTransaction",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/RemoteStartTransaction.json"),
        response: include_str!("schemas/v16/RemoteStartTransactionResponse.json"),
    },
    ActionSchemas {
        action: "RemoteStopTransaction",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/RemoteStopTransaction.json"),
        response: include_str!("schemas/v16/RemoteStopTransactionResponse.json"),
    },
    ActionSchemas {
        action: "ReserveNow",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/ReserveNow.json"),
        response: include_str!("schemas/v16/ReserveNowResponse.json"),
    },
    ActionSchemas {
        action: "Reset",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/Reset.json"),
        response: include_str!("schemas/v16/ResetResponse.json"),
    },
    ActionSchemas {
        action: "SecurityEventNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/SecurityEventNotification.json"),
        response: include_str!("schemas/v16/SecurityEventNotificationResponse.json"),
    },
    ActionSchemas {
        action: "SendLocalList",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/SendLocalList.json"),
        response: include_str!("schemas/v16/SendLocalListResponse.json"),
    },
    ActionSchemas {
        action: "SetChargingProfile",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/SetChargingProfile.json"),
        response: include_str!("schemas/v16/SetChargingProfileResponse.json"),
    },
    ActionSchemas {
        action: "SignCertificate",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/SignCertificate.json"),
        response: include_str!("schemas/v16/SignCertificateResponse.json"),
    },
    ActionSchemas {
        action: "SignedFirmwareStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/SignedFirmwareStatusNotification.json"),
        response: include_str!("schemas/v16/SignedFirmwareStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "SignedUpdateFirmware",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/SignedUpdateFirmware.json"),
        response: include_str!("schemas/v16/SignedUpdateFirmwareResponse.json"),
    },
    ActionSchemas {
        action: "StartTransaction",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/StartTransaction.json"),
        response: include_str!("schemas/v16/StartTransactionResponse.json"),
    },
    ActionSchemas {
        action: "StatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/StatusNotification.json"),
        response: include_str!("schemas/v16/StatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "StopTransaction",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v16/StopTransaction.json"),
        response: include_str!("schemas/v16/StopTransactionResponse.json"),
    },
    ActionSchemas {
        action: "TriggerMessage",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/TriggerMessage.json"),
        response: include_str!("schemas/v16/TriggerMessageResponse.json"),
    },
    ActionSchemas {
        action: "UnlockConnector",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/UnlockConnector.json"),
        response: include_str!("schemas/v16/UnlockConnectorResponse.json"),
    },
    ActionSchemas {
        action: "UpdateFirmware",
        sender: Sender::Csms,
        request: include_str!("schemas/v16/UpdateFirmware.json"),
        response: include_str!("schemas/v16/UpdateFirmwareResponse.json"),
    },
];

/// OCPP 2.0.1: all 64 actions.
static V201: &[ActionSchemas] = &[
    ActionSchemas {
        action: "Authorize",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/AuthorizeRequest.json"),
        response: include_str!("schemas/v201/AuthorizeResponse.json"),
    },
    ActionSchemas {
        action: "BootNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/BootNotificationRequest.json"),
        response: include_str!("schemas/v201/BootNotificationResponse.json"),
    },
    ActionSchemas {
        action: "CancelReservation",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/CancelReservationRequest.json"),
        response: include_str!("schemas/v201/CancelReservationResponse.json"),
    },
    ActionSchemas {
        action: "CertificateSigned",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/CertificateSignedRequest.json"),
        response: include_str!("schemas/v201/CertificateSignedResponse.json"),
    },
    ActionSchemas {
        action: "ChangeAvailability",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ChangeAvailabilityRequest.json"),
        response: include_str!("schemas/v201/ChangeAvailabilityResponse.json"),
    },
    ActionSchemas {
        action: "ClearCache",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ClearCacheRequest.json"),
        response: include_str!("schemas/v201/ClearCacheResponse.json"),
    },
    ActionSchemas {
        action: "ClearChargingProfile",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ClearChargingProfileRequest.json"),
        response: include_str!("schemas/v201/ClearChargingProfileResponse.json"),
    },
    ActionSchemas {
        action: "ClearDisplayMessage",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ClearDisplayMessageRequest.json"),
        response: include_str!("schemas/v201/ClearDisplayMessageResponse.json"),
    },
    ActionSchemas {
        action: "ClearVariableMonitoring",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ClearVariableMonitoringRequest.json"),
        response: include_str!("schemas/v201/ClearVariableMonitoringResponse.json"),
    },
    ActionSchemas {
        action: "ClearedChargingLimit",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/ClearedChargingLimitRequest.json"),
        response: include_str!("schemas/v201/ClearedChargingLimitResponse.json"),
    },
    ActionSchemas {
        action: "CostUpdated",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/CostUpdatedRequest.json"),
        response: include_str!("schemas/v201/CostUpdatedResponse.json"),
    },
    ActionSchemas {
        action: "CustomerInformation",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/CustomerInformationRequest.json"),
        response: include_str!("schemas/v201/CustomerInformationResponse.json"),
    },
    ActionSchemas {
        action: "DataTransfer",
        sender: Sender::Either,
        request: include_str!("schemas/v201/DataTransferRequest.json"),
        response: include_str!("schemas/v201/DataTransferResponse.json"),
    },
    ActionSchemas {
        action: "DeleteCertificate",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/DeleteCertificateRequest.json"),
        response: include_str!("schemas/v201/DeleteCertificateResponse.json"),
    },
    ActionSchemas {
        action: "FirmwareStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/FirmwareStatusNotificationRequest.json"),
        response: include_str!("schemas/v201/FirmwareStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "Get15118EVCertificate",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/Get15118EVCertificateRequest.json"),
        response: include_str!("schemas/v201/Get15118EVCertificateResponse.json"),
    },
    ActionSchemas {
        action: "GetBaseReport",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetBaseReportRequest.json"),
        response: include_str!("schemas/v201/GetBaseReportResponse.json"),
    },
    ActionSchemas {
        action: "GetCertificateStatus",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/GetCertificateStatusRequest.json"),
        response: include_str!("schemas/v201/GetCertificateStatusResponse.json"),
    },
    ActionSchemas {
        action: "GetChargingProfiles",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetChargingProfilesRequest.json"),
        response: include_str!("schemas/v201/GetChargingProfilesResponse.json"),
    },
    ActionSchemas {
        action: "GetCompositeSchedule",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetCompositeScheduleRequest.json"),
        response: include_str!("schemas/v201/GetCompositeScheduleResponse.json"),
    },
    ActionSchemas {
        action: "GetDisplayMessages",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetDisplayMessagesRequest.json"),
        response: include_str!("schemas/v201/GetDisplayMessagesResponse.json"),
    },
    ActionSchemas {
        action: "GetInstalledCertificateIds",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetInstalledCertificateIdsRequest.json"),
        response: include_str!("schemas/v201/GetInstalledCertificateIdsResponse.json"),
    },
    ActionSchemas {
        action: "GetLocalListVersion",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetLocalListVersionRequest.json"),
        response: include_str!("schemas/v201/GetLocalListVersionResponse.json"),
    },
    ActionSchemas {
        action: "GetLog",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetLogRequest.json"),
        response: include_str!("schemas/v201/GetLogResponse.json"),
    },
    ActionSchemas {
        action: "GetMonitoringReport",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetMonitoringReportRequest.json"),
        response: include_str!("schemas/v201/GetMonitoringReportResponse.json"),
    },
    ActionSchemas {
        action: "GetReport",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetReportRequest.json"),
        response: include_str!("schemas/v201/GetReportResponse.json"),
    },
    ActionSchemas {
        action: "GetTransactionStatus",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetTransactionStatusRequest.json"),
        response: include_str!("schemas/v201/GetTransactionStatusResponse.json"),
    },
    ActionSchemas {
        action: "GetVariables",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/GetVariablesRequest.json"),
        response: include_str!("schemas/v201/GetVariablesResponse.json"),
    },
    ActionSchemas {
        action: "Heartbeat",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/HeartbeatRequest.json"),
        response: include_str!("schemas/v201/HeartbeatResponse.json"),
    },
    ActionSchemas {
        action: "InstallCertificate",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/InstallCertificateRequest.json"),
        response: include_str!("schemas/v201/InstallCertificateResponse.json"),
    },
    ActionSchemas {
        action: "LogStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/LogStatusNotificationRequest.json"),
        response: include_str!("schemas/v201/LogStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "MeterValues",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/MeterValuesRequest.json"),
        response: include_str!("schemas/v201/MeterValuesResponse.json"),
    },
    ActionSchemas {
        action: "NotifyChargingLimit",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyChargingLimitRequest.json"),
        response: include_str!("schemas/v201/NotifyChargingLimitResponse.json"),
    },
    ActionSchemas {
        action: "NotifyCustomerInformation",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyCustomerInformationRequest.json"),
        response: include_str!("schemas/v201/NotifyCustomerInformationResponse.json"),
    },
    ActionSchemas {
        action: "NotifyDisplayMessages",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyDisplayMessagesRequest.json"),
        response: include_str!("schemas/v201/NotifyDisplayMessagesResponse.json"),
    },
    ActionSchemas {
        action: "NotifyEVChargingNeeds",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyEVChargingNeedsRequest.json"),
        response: include_str!("schemas/v201/NotifyEVChargingNeedsResponse.json"),
    },
    ActionSchemas {
        action: "NotifyEVChargingSchedule",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyEVChargingScheduleRequest.json"),
        response: include_str!("schemas/v201/NotifyEVChargingScheduleResponse.json"),
    },
    ActionSchemas {
        action: "NotifyEvent",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyEventRequest.json"),
        response: include_str!("schemas/v201/NotifyEventResponse.json"),
    },
    ActionSchemas {
        action: "NotifyMonitoringReport",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyMonitoringReportRequest.json"),
        response: include_str!("schemas/v201/NotifyMonitoringReportResponse.json"),
    },
    ActionSchemas {
        action: "NotifyReport",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/NotifyReportRequest.json"),
        response: include_str!("schemas/v201/NotifyReportResponse.json"),
    },
    ActionSchemas {
        action: "PublishFirmware",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/PublishFirmwareRequest.json"),
        response: include_str!("schemas/v201/PublishFirmwareResponse.json"),
    },
    ActionSchemas {
        action: "PublishFirmwareStatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/PublishFirmwareStatusNotificationRequest.json"),
        response: include_str!("schemas/v201/PublishFirmwareStatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "ReportChargingProfiles",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/ReportChargingProfilesRequest.json"),
        response: include_str!("schemas/v201/ReportChargingProfilesResponse.json"),
    },
    ActionSchemas {
        action: "RequestStartTransaction",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/RequestStartTransactionRequest.json"),
        response: include_str!("schemas/v201/RequestStartTransactionResponse.json"),
    },
    ActionSchemas {
        action: "RequestStopTransaction",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/RequestStopTransactionRequest.json"),
        response: include_str!("schemas/v201/RequestStopTransactionResponse.json"),
    },
    ActionSchemas {
        action: "ReservationStatusUpdate",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/ReservationStatusUpdateRequest.json"),
        response: include_str!("schemas/v201/ReservationStatusUpdateResponse.json"),
    },
    ActionSchemas {
        action: "ReserveNow",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ReserveNowRequest.json"),
        response: include_str!("schemas/v201/ReserveNowResponse.json"),
    },
    ActionSchemas {
        action: "Reset",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/ResetRequest.json"),
        response: include_str!("schemas/v201/ResetResponse.json"),
    },
    ActionSchemas {
        action: "SecurityEventNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/SecurityEventNotificationRequest.json"),
        response: include_str!("schemas/v201/SecurityEventNotificationResponse.json"),
    },
    ActionSchemas {
        action: "SendLocalList",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SendLocalListRequest.json"),
        response: include_str!("schemas/v201/SendLocalListResponse.json"),
    },
    ActionSchemas {
        action: "SetChargingProfile",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetChargingProfileRequest.json"),
        response: include_str!("schemas/v201/SetChargingProfileResponse.json"),
    },
    ActionSchemas {
        action: "SetDisplayMessage",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetDisplayMessageRequest.json"),
        response: include_str!("schemas/v201/SetDisplayMessageResponse.json"),
    },
    ActionSchemas {
        action: "SetMonitoringBase",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetMonitoringBaseRequest.json"),
        response: include_str!("schemas/v201/SetMonitoringBaseResponse.json"),
    },
    ActionSchemas {
        action: "SetMonitoringLevel",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetMonitoringLevelRequest.json"),
        response: include_str!("schemas/v201/SetMonitoringLevelResponse.json"),
    },
    ActionSchemas {
        action: "SetNetworkProfile",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetNetworkProfileRequest.json"),
        response: include_str!("schemas/v201/SetNetworkProfileResponse.json"),
    },
    ActionSchemas {
        action: "SetVariableMonitoring",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetVariableMonitoringRequest.json"),
        response: include_str!("schemas/v201/SetVariableMonitoringResponse.json"),
    },
    ActionSchemas {
        action: "SetVariables",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/SetVariablesRequest.json"),
        response: include_str!("schemas/v201/SetVariablesResponse.json"),
    },
    ActionSchemas {
        action: "SignCertificate",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/SignCertificateRequest.json"),
        response: include_str!("schemas/v201/SignCertificateResponse.json"),
    },
    ActionSchemas {
        action: "StatusNotification",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/StatusNotificationRequest.json"),
        response: include_str!("schemas/v201/StatusNotificationResponse.json"),
    },
    ActionSchemas {
        action: "TransactionEvent",
        sender: Sender::ChargingStation,
        request: include_str!("schemas/v201/TransactionEventRequest.json"),
        response: include_str!("schemas/v201/TransactionEventResponse.json"),
    },
    ActionSchemas {
        action: "TriggerMessage",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/TriggerMessageRequest.json"),
        response: include_str!("schemas/v201/TriggerMessageResponse.json"),
    },
    ActionSchemas {
        action: "UnlockConnector",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/UnlockConnectorRequest.json"),
        response: include_str!("schemas/v201/UnlockConnectorResponse.json"),
    },
    ActionSchemas {
        action: "UnpublishFirmware",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/UnpublishFirmwareRequest.json"),
        response: include_str!("schemas/v201/UnpublishFirmwareResponse.json"),
    },
    ActionSchemas {
        action: "UpdateFirmware",
        sender: Sender::Csms,
        request: include_str!("schemas/v201/UpdateFirmwareRequest.json"),
        response: include_str!("schemas/v201/UpdateFirmwareResponse.json"),
    },
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_embedded_schema_compiles() {
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let mut set = SchemaSet::new(version);
            for entry in actions(version) {
                for kind in [MessageKind::Request, MessageKind::Response] {
                    let schema = set.get(entry.action, kind);
                    assert!(
                        matches!(schema, Ok(Some(_))),
                        "{version} {} {kind:?}: {schema:?}",
                        entry.action
                    );
                }
            }
        }
    }

    #[test]
    fn tables_are_sorted_and_complete() {
        assert_eq!(actions(OcppVersion::V16).len(), 39);
        assert_eq!(actions(OcppVersion::V201).len(), 64);
        for version in [OcppVersion::V16, OcppVersion::V201] {
            let names: Vec<_> = actions(version).iter().map(|a| a.action).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted);
        }
        assert!(find(OcppVersion::V16, "RemoteStartTransaction").is_some());
        assert!(find(OcppVersion::V201, "RemoteStartTransaction").is_none());
        assert!(find(OcppVersion::V201, "RequestStartTransaction").is_some());
        assert_eq!(
            find(OcppVersion::V16, "DataTransfer").unwrap().sender,
            Sender::Either
        );
    }
}
