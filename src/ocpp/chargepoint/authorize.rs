//! Who may charge: the local authorization list, the authorization cache and Authorize.req
//! (1.6 §3.5, §4.1, §5.15), for starts from a technician, from the CSMS (with
//! AuthorizeRemoteTxRequests) and from a truck's VIN (autocharge).

use charger_protocol::ocpp::{v16, MessageId};
use charger_protocol::{StopReason, Timestamp};

use super::{ChargePoint, CoreAction, PendingReply, ReplyKind, Sent};
use crate::ocpp::keys::{LOCAL_AUTH_LIST_MAX_LENGTH, SEND_LOCAL_LIST_MAX_LENGTH};
use crate::ocpp::local_auth::{
    self, AuthSettings, AuthorizationStatus, Decision, IdTagInfo, Recorded,
};
use crate::ocpp::smart_charging::{ChargingProfile, ProfilePurpose};
use crate::station::{ConnectorStatus, StationCommand};

/// Why an id tag is being authorized: what to do once it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPurpose {
    /// A technician's start (`chargerctl start --id-tag`) or a card at the connector.
    LocalStart { connector: u32 },
    /// RemoteStartTransaction with AuthorizeRemoteTxRequests = true.
    RemoteStart { connector: u32 },
    /// Autocharge: the VIN the session read on this connector.
    Vehicle { connector: u32 },
}

impl AuthPurpose {
    fn connector(&self) -> u32 {
        match self {
            AuthPurpose::LocalStart { connector }
            | AuthPurpose::RemoteStart { connector }
            | AuthPurpose::Vehicle { connector } => *connector,
        }
    }
}

/// What a local start request becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum StartDecision {
    /// Authorized locally (list or cache): apply this station command now.
    Start(StationCommand),
    /// Authorize.req went to the CSMS; the start follows its answer.
    Asking,
    /// Refused, and why.
    Refused(String),
}

impl ChargePoint {
    fn auth_settings(&self) -> AuthSettings {
        AuthSettings {
            local_auth_list_enabled: self.keys.local_auth_list_enabled,
            local_authorize_offline: self.keys.local_authorize_offline,
            local_pre_authorize: self.keys.local_pre_authorize,
            authorization_cache_enabled: self.keys.authorization_cache_enabled,
            allow_offline_tx_for_unknown_id: self.keys.allow_offline_tx_for_unknown_id,
        }
    }

    fn online(&self) -> bool {
        self.connected && self.registration == super::Registration::Accepted
    }

    /// A start with an id tag from the station side (authorization mode `ocpp`).
    pub fn authorize_start(
        &mut self,
        connector: u32,
        id_tag: &str,
        now: Timestamp,
    ) -> StartDecision {
        self.now = self.now.max(now);
        if connector == 0 || connector > self.keys.number_of_connectors {
            return StartDecision::Refused(format!("no connector {connector}"));
        }
        if self.installing_firmware() {
            return StartDecision::Refused("a firmware update is being installed".into());
        }
        let purpose = AuthPurpose::LocalStart { connector };
        match self.decide(id_tag, now) {
            Decision::Accept { info, .. } => match self.start_command(connector, id_tag, &info) {
                Some(cmd) => StartDecision::Start(cmd),
                None => StartDecision::Refused(format!(
                    "connector {connector} is reserved for another id tag"
                )),
            },
            Decision::Reject { info, .. } => {
                StartDecision::Refused(format!("id tag {id_tag}: {:?}", info.status))
            }
            Decision::AskCsms => {
                self.send_authorize(id_tag, purpose);
                StartDecision::Asking
            }
        }
    }

    /// Autocharge with authorization mode `ocpp`: the station read this VIN.
    pub(super) fn authorize_vehicle(&mut self, connector: u32, vin: &str, now: Timestamp) {
        let purpose = AuthPurpose::Vehicle { connector };
        match self.decide(vin, now) {
            Decision::Accept { info, .. } => self.auth_accepted(vin, purpose, &info),
            Decision::Reject { info, .. } => self.auth_refused(vin, purpose, &info),
            Decision::AskCsms => self.send_authorize(vin, purpose),
        }
    }

    pub(super) fn remote_start(
        &mut self,
        id: MessageId,
        r: v16::RemoteStartTransactionRequest,
        now: Timestamp,
    ) {
        let answer = |status| v16::RemoteStartTransactionResponse { status };
        let id_tag = r.id_tag;
        let connector = match r.connector_id.map(Self::connector_number) {
            Some(Some(0)) => None,
            Some(Some(c)) if c <= self.keys.number_of_connectors => Some(c),
            Some(_) => None,
            None => self.free_connector(),
        };
        let Some(connector) = connector.filter(|c| self.connector_usable(*c)) else {
            self.reply(&id, answer(v16::RemoteStartStopStatus::Rejected));
            return;
        };
        // A profile of an earlier RemoteStart that never started must not reach this one.
        self.remote_start_profiles.remove(&connector);
        if let Some(profile) = &r.charging_profile {
            // 1.6 §5.11: the profile is a TxProfile for the transaction this call starts.
            let profile = ChargingProfile::from_wire(profile)
                .map_err(|e| e.to_string())
                .and_then(|p| {
                    if p.purpose == ProfilePurpose::TxProfile {
                        Ok(p)
                    } else {
                        Err("not a TxProfile".into())
                    }
                });
            match profile {
                // Kept with the id tag: only the transaction this call starts takes it.
                Ok(p) => {
                    self.remote_start_profiles
                        .insert(connector, (id_tag.clone(), p));
                }
                Err(why) => {
                    tracing::warn!(
                        connector,
                        why,
                        "RemoteStartTransaction's charging profile refused"
                    );
                    self.reply(&id, answer(v16::RemoteStartStopStatus::Rejected));
                    return;
                }
            }
        }
        if !self.keys.authorize_remote_tx_requests {
            let info = IdTagInfo::accepted();
            let Some(command) = self.start_command(connector, &id_tag, &info) else {
                self.remote_start_profiles.remove(&connector);
                self.reply(&id, answer(v16::RemoteStartStopStatus::Rejected));
                return;
            };
            self.actions.push_back(CoreAction::Station {
                command,
                reply: Some(PendingReply {
                    id,
                    kind: ReplyKind::RemoteStart,
                }),
            });
            return;
        }
        // AuthorizeRemoteTxRequests: answer now, then authorize like a local start.
        self.reply(&id, answer(v16::RemoteStartStopStatus::Accepted));
        let purpose = AuthPurpose::RemoteStart { connector };
        match self.decide(&id_tag, now) {
            Decision::Accept { info, .. } => self.auth_accepted(&id_tag, purpose, &info),
            Decision::Reject { info, .. } => self.auth_refused(&id_tag, purpose, &info),
            Decision::AskCsms => self.send_authorize(&id_tag, purpose),
        }
    }

    fn decide(&self, id_tag: &str, now: Timestamp) -> Decision {
        local_auth::decide(
            &self.local_list,
            &self.cache,
            &self.auth_settings(),
            id_tag,
            self.online(),
            self.unix_ms(now),
        )
    }

    fn send_authorize(&mut self, id_tag: &str, purpose: AuthPurpose) {
        if !self.online() {
            self.decide_offline(id_tag, purpose);
            return;
        }
        self.send(
            v16::AuthorizeRequest {
                id_tag: super::truncate(id_tag, 20),
            },
            Sent::Authorize {
                id_tag: id_tag.to_string(),
                purpose,
            },
        );
    }

    /// No answer to Authorize (link lost, timeout, CALLERROR): decide as if offline.
    pub(super) fn decide_offline(&mut self, id_tag: &str, purpose: AuthPurpose) {
        let decision = local_auth::decide(
            &self.local_list,
            &self.cache,
            &self.auth_settings(),
            id_tag,
            false,
            self.unix_ms(self.now),
        );
        match decision {
            Decision::Accept { info, .. } => self.auth_accepted(id_tag, purpose, &info),
            Decision::Reject { info, .. } => self.auth_refused(id_tag, purpose, &info),
            Decision::AskCsms => self.auth_refused(
                id_tag,
                purpose,
                &IdTagInfo::with_status(AuthorizationStatus::Invalid),
            ),
        }
    }

    pub(super) fn on_authorize_result(
        &mut self,
        id_tag: &str,
        purpose: AuthPurpose,
        info: &v16::IdTagInfo,
        now: Timestamp,
    ) {
        let info = IdTagInfo::from_message(info)
            .unwrap_or_else(|_| IdTagInfo::with_status(AuthorizationStatus::Invalid));
        self.remember(id_tag, &info, now);
        if info.status == AuthorizationStatus::Accepted {
            self.auth_accepted(id_tag, purpose, &info);
        } else {
            self.auth_refused(id_tag, purpose, &info);
        }
    }

    fn auth_accepted(&mut self, id_tag: &str, purpose: AuthPurpose, info: &IdTagInfo) {
        let connector = purpose.connector();
        tracing::info!(connector, id_tag, ?purpose, "id tag authorized");
        match self.start_command(connector, id_tag, info) {
            Some(command) => self.actions.push_back(CoreAction::Station {
                command,
                reply: None,
            }),
            None => {
                if let AuthPurpose::LocalStart { connector } = purpose {
                    // Authorized, but the connector cannot take it: say so, not "Invalid".
                    self.refused_starts.push((
                        connector,
                        id_tag.to_string(),
                        format!(
                            "connector {connector} is reserved for another id tag or unavailable"
                        ),
                    ));
                    return;
                }
                self.auth_refused(
                    id_tag,
                    purpose,
                    &IdTagInfo::with_status(AuthorizationStatus::Invalid),
                )
            }
        }
    }

    fn auth_refused(&mut self, id_tag: &str, purpose: AuthPurpose, info: &IdTagInfo) {
        tracing::info!(
            connector = purpose.connector(),
            id_tag,
            status = ?info.status,
            "id tag not authorized"
        );
        match purpose {
            AuthPurpose::Vehicle { connector } => {
                // The identifying session ends without a transaction.
                self.actions.push_back(CoreAction::Station {
                    command: StationCommand::Stop {
                        connector,
                        reason: StopReason::DeAuthorized,
                    },
                    reply: None,
                });
            }
            AuthPurpose::RemoteStart { connector } => {
                self.remote_start_profiles.remove(&connector);
            }
            AuthPurpose::LocalStart { connector } => {
                // The technician who asked waits for this answer (`chargerctl start`).
                self.refused_starts.push((
                    connector,
                    id_tag.to_string(),
                    format!(
                        "id tag {id_tag} is not authorized: {}",
                        info.status.as_str()
                    ),
                ));
            }
        }
    }

    /// Local starts that went to the CSMS (Authorize) and were refused since the last call:
    /// (connector, id tag, why). Accepted ones become a [`StationCommand::Start`].
    pub fn take_refused_starts(&mut self) -> Vec<(u32, String, String)> {
        std::mem::take(&mut self.refused_starts)
    }

    /// The station command that starts `id_tag` on `connector`, honouring a reservation: the
    /// reservation's holder (or a tag of the same parent) takes it; anyone else is refused.
    fn start_command(
        &mut self,
        connector: u32,
        id_tag: &str,
        info: &IdTagInfo,
    ) -> Option<StationCommand> {
        let reserved = self
            .reservations
            .values()
            .find(|r| r.station_connector == connector)
            .cloned();
        if let Some(r) = reserved {
            let same_tag = r.id_tag.eq_ignore_ascii_case(id_tag);
            let same_parent = r.parent_id_tag.as_deref().is_some_and(|p| {
                info.parent_id_tag
                    .as_deref()
                    .is_some_and(|q| q.eq_ignore_ascii_case(p))
            });
            if !same_tag && !same_parent {
                return None;
            }
            if !same_tag {
                // The station only knows the holder's tag: lift its reservation so the
                // sibling tag can start; StartTransaction still names the reservation.
                self.actions.push_back(CoreAction::Station {
                    command: StationCommand::Reserve {
                        connector,
                        id_tag: None,
                    },
                    reply: None,
                });
                self.reservation_used_by_parent(r.id, id_tag);
            }
        }
        if self.status_of(connector) == Some(ConnectorStatus::Unavailable) {
            return None;
        }
        Some(StationCommand::Start {
            connector,
            id_tag: Some(id_tag.to_string()),
        })
    }

    /// Keep what the CSMS said about an id tag (Authorize, Start/StopTransaction answers).
    pub(super) fn remember_id_tag_info(
        &mut self,
        id_tag: &str,
        info: &v16::IdTagInfo,
        now: Timestamp,
    ) {
        if let Ok(info) = IdTagInfo::from_message(info) {
            self.remember(id_tag, &info, now);
        }
    }

    fn remember(&mut self, id_tag: &str, info: &IdTagInfo, now: Timestamp) {
        let now_ms = self.unix_ms(now);
        let settings = self.auth_settings();
        match local_auth::record_id_tag_info(
            &self.local_list,
            &mut self.cache,
            &settings,
            id_tag,
            info.clone(),
            now_ms,
        ) {
            Recorded::Cached => self.save_cache(),
            Recorded::LocalListConflict => {
                // 1.6 §3.5.2: the CSMS and the local list disagree about this tag.
                tracing::warn!(id_tag, "local authorization list conflicts with the CSMS");
                let status = self.status_of(0).unwrap_or(ConnectorStatus::Available);
                let conflict = v16::StatusNotificationRequest {
                    connector_id: 0,
                    status: super::status_message(status),
                    error_code: v16::ChargePointErrorCode::LocalListConflict,
                    timestamp: Some(self.wall_time(now)),
                    info: None,
                    vendor_id: None,
                    vendor_error_code: None,
                };
                self.send_if_accepted(conflict, Sent::Status);
            }
            Recorded::InLocalList | Recorded::CacheDisabled => {}
        }
    }

    pub(super) fn save_cache(&mut self) {
        self.actions.push_back(CoreAction::SaveState {
            name: "auth_cache",
            value: self.cache.to_json(),
        });
    }

    pub(super) fn send_local_list(&mut self, id: MessageId, r: &v16::SendLocalListRequest) {
        let status = self.local_list.send_local_list(
            self.keys.local_auth_list_enabled,
            r,
            SEND_LOCAL_LIST_MAX_LENGTH,
            LOCAL_AUTH_LIST_MAX_LENGTH,
        );
        if status == v16::UpdateStatus::Accepted {
            // Cached entries of tags now in the list are superseded by it.
            self.actions.push_back(CoreAction::SaveState {
                name: "local_list",
                value: self.local_list.to_json(),
            });
        }
        self.reply(&id, v16::SendLocalListResponse { status });
    }
}
