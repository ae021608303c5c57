//! The CSMS's calls to the charge point: one handler per action, dispatched by
//! [`ChargePoint::on_call`]. Payloads arrive schema-validated by the RPC layer (types, required
//! fields, enums, lengths), so handlers check only what the schema cannot say.

use charger_protocol::ocpp::{v16, MessageId, RpcErrorCode};
use charger_protocol::{StopReason, Timestamp};
use serde_json::Value;

use super::{ChargePoint, CoreAction, PendingReply, Registration, ReplyKind, Secret, Sent};
use crate::ocpp::keys::GET_CONFIGURATION_MAX_KEYS;
use crate::station::{ConnectorStatus, StationCommand};

impl ChargePoint {
    /// Every action this charge point answers is a branch here; anything else gets
    /// NotImplemented (1.6 §4.1.3 / OCPP-J §4.2.3), never a fake Accepted. The payload passed
    /// its schema in the RPC layer; here it becomes its typed message ([`v16::Request`]) and
    /// the handlers see only that.
    pub(super) fn on_call(&mut self, id: MessageId, action: &str, payload: Value, now: Timestamp) {
        if self.registration == Registration::Rejected {
            // 1.6 §4.2.1: while Rejected the charge point does not respond to the CSMS.
            let _ =
                self.rpc
                    .respond_error(&id, RpcErrorCode::SecurityError, "registration rejected");
            return;
        }
        let request =
            match v16::Action::from_name(action).map(|a| v16::Request::from_payload(a, payload)) {
                Some(Ok(request)) => request,
                Some(Err(e)) => {
                    // Fits the schema but not the type: a number no i64 holds, a date-time with
                    // no instant behind it.
                    tracing::warn!(action, error = %e, "CSMS call refused: a value out of range");
                    let detail = super::truncate(&e.to_string(), 200);
                    let _ =
                        self.rpc
                            .respond_error(&id, RpcErrorCode::TypeConstraintViolation, &detail);
                    return;
                }
                None => {
                    let _ = self.rpc.respond_error(
                        &id,
                        RpcErrorCode::NotImplemented,
                        "not implemented by this charge point",
                    );
                    return;
                }
            };
        use v16::Request as R;
        match request {
            R::RemoteStartTransaction(r) => self.remote_start(id, r, now),
            R::RemoteStopTransaction(r) => self.remote_stop(id, &r),
            R::ChangeAvailability(r) => self.change_availability(id, &r),
            R::GetConfiguration(r) => self.get_configuration(id, &r),
            R::ChangeConfiguration(r) => self.change_configuration(id, r, now),
            R::Reset(r) => {
                let hard = r.r#type == v16::ResetType::Hard;
                self.reply(
                    &id,
                    v16::ResetResponse {
                        status: v16::ResetStatus::Accepted,
                    },
                );
                self.security_event(
                    super::SecurityEvent::ResetOrReboot,
                    Some(format!(
                        "{} reset by the CSMS",
                        if hard { "hard" } else { "soft" }
                    )),
                    now,
                );
                self.actions.push_back(CoreAction::Reset { hard });
            }
            R::UnlockConnector(r) => self.unlock_connector(id, &r),
            R::ClearCache(_) => {
                self.cache.clear();
                self.save_cache();
                self.reply(
                    &id,
                    v16::ClearCacheResponse {
                        status: v16::ClearCacheStatus::Accepted,
                    },
                );
            }
            R::DataTransfer(_) => {
                // No vendor extensions: the answer the spec gives for an unknown vendor.
                self.reply(
                    &id,
                    v16::DataTransferResponse {
                        status: v16::DataTransferStatus::UnknownVendorId,
                        data: None,
                    },
                )
            }
            R::TriggerMessage(r) => {
                self.trigger_message(id, r.requested_message.into(), r.connector_id, now, false)
            }
            R::ExtendedTriggerMessage(r) => {
                self.trigger_message(id, r.requested_message.into(), r.connector_id, now, true)
            }
            R::GetLocalListVersion(_) => {
                let version = if self.keys.local_auth_list_enabled {
                    self.local_list.version()
                } else {
                    -1
                };
                self.reply(
                    &id,
                    v16::GetLocalListVersionResponse {
                        list_version: i64::from(version),
                    },
                );
            }
            R::SendLocalList(r) => self.send_local_list(id, &r),
            R::ReserveNow(r) => self.reserve_now(id, &r, now),
            R::CancelReservation(r) => self.cancel_reservation(id, &r),
            R::SetChargingProfile(r) => self.set_charging_profile(id, &r, now),
            R::ClearChargingProfile(r) => self.clear_charging_profile(id, &r, now),
            R::GetCompositeSchedule(r) => self.get_composite_schedule(id, &r, now),
            R::UpdateFirmware(r) => self.update_firmware(id, &r, now),
            R::SignedUpdateFirmware(r) => self.signed_update_firmware(id, &r, now),
            R::GetDiagnostics(r) => self.get_diagnostics(id, &r, now),
            R::GetLog(r) => self.get_log(id, &r, now),
            request @ (R::InstallCertificate(_)
            | R::DeleteCertificate(_)
            | R::GetInstalledCertificateIds(_)
            | R::CertificateSigned(_)) => {
                // The certificate store is the shell's (files); it answers.
                self.actions.push_back(CoreAction::ShellCall {
                    reply: PendingReply {
                        id,
                        kind: ReplyKind::Shell,
                    },
                    request,
                })
            }
            _ => {
                let _ = self.rpc.respond_error(
                    &id,
                    RpcErrorCode::NotImplemented,
                    "not implemented by this charge point",
                );
            }
        }
    }

    /// A connector number from the CSMS; `None` for one no connector can have (negative, or
    /// beyond u32), which every caller refuses.
    pub(super) fn connector_number(connector_id: i64) -> Option<u32> {
        u32::try_from(connector_id).ok()
    }

    fn remote_stop(&mut self, id: MessageId, r: &v16::RemoteStopTransactionRequest) {
        let csms = Some(r.transaction_id);
        let connector = self
            .running
            .iter()
            .find(|(_, t)| {
                let assigned = self.transaction_ids.get(&t.local_id).copied();
                // Before StartTransaction.conf the CSMS cannot know our id; after, only its own.
                assigned == csms
            })
            .map(|(c, _)| *c);
        match connector {
            Some(connector) => self.actions.push_back(CoreAction::Station {
                command: StationCommand::Stop {
                    connector,
                    reason: StopReason::Remote,
                },
                reply: Some(PendingReply {
                    id,
                    kind: ReplyKind::RemoteStop,
                }),
            }),
            None => self.reply(
                &id,
                v16::RemoteStopTransactionResponse {
                    status: v16::RemoteStartStopStatus::Rejected,
                },
            ),
        }
    }

    fn change_availability(&mut self, id: MessageId, r: &v16::ChangeAvailabilityRequest) {
        let connector = Self::connector_number(r.connector_id).unwrap_or(u32::MAX);
        let operative = r.r#type == v16::AvailabilityType::Operative;
        if connector > self.keys.number_of_connectors {
            self.reply(
                &id,
                v16::ChangeAvailabilityResponse {
                    status: v16::AvailabilityStatus::Rejected,
                },
            );
            return;
        }
        if connector == 0 {
            // The whole charge point: every connector, one answer for all.
            let total = self.keys.number_of_connectors;
            for c in 1..=total {
                self.actions.push_back(CoreAction::Station {
                    command: StationCommand::SetAvailability {
                        connector: c,
                        operative,
                    },
                    reply: Some(PendingReply {
                        id: id.clone(),
                        kind: ReplyKind::ChangeAvailabilityPart { total },
                    }),
                });
            }
            return;
        }
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::SetAvailability {
                connector,
                operative,
            },
            reply: Some(PendingReply {
                id,
                kind: ReplyKind::ChangeAvailability,
            }),
        });
    }

    fn get_configuration(&mut self, id: MessageId, r: &v16::GetConfigurationRequest) {
        let all = self.keys.list();
        let (known, unknown): (Vec<_>, Vec<String>) = match &r.key {
            None => (all.clone(), Vec::new()),
            Some(keys) if keys.is_empty() => (all.clone(), Vec::new()),
            Some(keys) => {
                let known = all
                    .iter()
                    .filter(|k| keys.iter().any(|w| w == k.key))
                    .cloned()
                    .collect();
                let unknown = keys
                    .iter()
                    .filter(|w| !all.iter().any(|k| k.key == w.as_str()))
                    .take(GET_CONFIGURATION_MAX_KEYS)
                    .cloned()
                    .collect();
                (known, unknown)
            }
        };
        let configuration_key: Vec<v16::KeyValue> = known
            .iter()
            .map(|k| v16::KeyValue {
                key: k.key.to_string(),
                readonly: k.readonly,
                value: k.value.clone(),
            })
            .collect();
        self.reply(
            &id,
            v16::GetConfigurationResponse {
                configuration_key: Some(configuration_key),
                unknown_key: (!unknown.is_empty()).then_some(unknown),
            },
        );
    }

    fn change_configuration(
        &mut self,
        id: MessageId,
        r: v16::ChangeConfigurationRequest,
        now: Timestamp,
    ) {
        if r.key == "SecurityProfile" {
            // Raised only if what the new profile needs is configured; the shell checks that
            // (it holds the files) and answers. Lowering is refused here.
            if self.keys.check_security_profile(&r.value).is_err() {
                self.reply(
                    &id,
                    v16::ChangeConfigurationResponse {
                        status: v16::ConfigurationStatus::Rejected,
                    },
                );
                return;
            }
            self.actions.push_back(CoreAction::ShellCall {
                reply: PendingReply {
                    id,
                    kind: ReplyKind::Shell,
                },
                request: r.into(),
            });
            return;
        }
        let v16::ChangeConfigurationRequest { key, value } = r;
        let status = match self.keys.change(&key, &value) {
            Ok(()) => {
                if key == "AuthorizationKey" {
                    self.actions
                        .push_back(CoreAction::AuthorizationKeyChanged(Secret(value)));
                    self.security_event(
                        super::SecurityEvent::ReconfigurationOfSecurityParameters,
                        Some("AuthorizationKey changed".into()),
                        now,
                    );
                } else {
                    self.actions.push_back(CoreAction::KeyChanged {
                        key: key.clone(),
                        value,
                    });
                }
                self.key_changed(&key, now);
                v16::ConfigurationStatus::Accepted
            }
            Err(refused) => refused.status(),
        };
        self.reply(&id, v16::ChangeConfigurationResponse { status });
    }

    /// What a changed key sets in motion.
    pub(super) fn key_changed(&mut self, key: &str, now: Timestamp) {
        match key {
            "HeartbeatInterval" => self.heartbeat_due = Some(now + self.keys.heartbeat_interval),
            "ClockAlignedDataInterval" => self.aligned_due = None,
            "MeterValueSampleInterval" => {
                for t in self.running.values_mut() {
                    t.next_sample = None;
                }
            }
            "AuthorizationCacheEnabled" if !self.keys.authorization_cache_enabled => {
                self.cache.clear();
                self.save_cache();
            }
            _ => {}
        }
    }

    /// The shell checked a SecurityProfile change: apply it.
    pub fn security_profile_raised(&mut self, profile: u8, now: Timestamp) {
        if self.keys.change("SecurityProfile", &profile.to_string()) == Ok(()) {
            self.security_event(
                super::SecurityEvent::ReconfigurationOfSecurityParameters,
                Some(format!("SecurityProfile raised to {profile}")),
                now,
            );
        }
    }

    fn unlock_connector(&mut self, id: MessageId, r: &v16::UnlockConnectorRequest) {
        let connector = Self::connector_number(r.connector_id).unwrap_or(0);
        if connector == 0 || connector > self.keys.number_of_connectors {
            self.reply(
                &id,
                v16::UnlockConnectorResponse {
                    status: v16::UnlockStatus::NotSupported,
                },
            );
            return;
        }
        if self.running.contains_key(&connector) {
            // 1.6 §5.17: a running transaction stops first (reason UnlockCommand); the lock
            // opens once the output is below 60 V, which the session guarantees.
            self.actions.push_back(CoreAction::Station {
                command: StationCommand::Stop {
                    connector,
                    reason: StopReason::UnlockCommand,
                },
                reply: None,
            });
        }
        // Without a session the lock is open: the station holds it only while a session runs.
        self.reply(
            &id,
            v16::UnlockConnectorResponse {
                status: v16::UnlockStatus::Unlocked,
            },
        );
    }

    /// TriggerMessage and ExtendedTriggerMessage (whose answers have the same three values
    /// under two enum names; `extended` says which).
    fn trigger_message(
        &mut self,
        id: MessageId,
        requested: Trigger,
        connector_id: Option<i64>,
        now: Timestamp,
        extended: bool,
    ) {
        let connector = match connector_id.map(Self::connector_number) {
            None => None,
            Some(Some(c)) if c <= self.keys.number_of_connectors => Some(c),
            Some(_) => {
                self.trigger_answer(&id, extended, v16::TriggerMessageStatus::Rejected);
                return;
            }
        };
        // Every message either enum names is implemented. The answer goes before the
        // triggered message (1.6 §5.18).
        self.trigger_answer(&id, extended, v16::TriggerMessageStatus::Accepted);
        match requested {
            Trigger::Boot => {
                self.boot_due = Some(now);
                if self.registration == Registration::Accepted {
                    self.send(self.boot_request(), Sent::Boot);
                }
            }
            Trigger::Heartbeat => self.heartbeat_due = Some(now),
            Trigger::Status => self.resend_statuses(connector),
            Trigger::MeterValues => {
                let connectors = match connector {
                    Some(c) if c > 0 => vec![c],
                    _ => (1..=self.keys.number_of_connectors).collect(),
                };
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors,
                    context: crate::ocpp::meter::ReadingContext::Trigger,
                });
            }
            Trigger::DiagnosticsStatus => self.trigger_diagnostics_status(),
            Trigger::FirmwareStatus => self.trigger_firmware_status(extended),
            Trigger::LogStatus => self.trigger_log_status(),
            Trigger::SignCertificate => self.request_certificate_signing(),
        }
    }

    fn trigger_answer(
        &mut self,
        id: &MessageId,
        extended: bool,
        status: v16::TriggerMessageStatus,
    ) {
        if extended {
            // The same three values under the security whitepaper's enum name.
            let status = match status {
                v16::TriggerMessageStatus::Accepted => v16::TriggerMessageStatusEnum::Accepted,
                v16::TriggerMessageStatus::Rejected => v16::TriggerMessageStatusEnum::Rejected,
                v16::TriggerMessageStatus::NotImplemented => {
                    v16::TriggerMessageStatusEnum::NotImplemented
                }
            };
            self.reply(id, v16::ExtendedTriggerMessageResponse { status });
        } else {
            self.reply(id, v16::TriggerMessageResponse { status });
        }
    }

    /// Whether a connector can take a new session for the CSMS (RemoteStart, ReserveNow).
    pub(super) fn connector_usable(&self, connector: u32) -> bool {
        !self.installing_firmware()
            && !matches!(
                self.status_of(connector),
                Some(ConnectorStatus::Unavailable | ConnectorStatus::Faulted)
            )
    }
}

/// What TriggerMessage (1.6) and ExtendedTriggerMessage (security whitepaper) ask for: their
/// two enums overlap and each names messages the other lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Boot,
    Heartbeat,
    Status,
    MeterValues,
    DiagnosticsStatus,
    FirmwareStatus,
    LogStatus,
    SignCertificate,
}

impl From<v16::MessageTrigger> for Trigger {
    fn from(m: v16::MessageTrigger) -> Trigger {
        use v16::MessageTrigger as M;
        match m {
            M::BootNotification => Trigger::Boot,
            M::DiagnosticsStatusNotification => Trigger::DiagnosticsStatus,
            M::FirmwareStatusNotification => Trigger::FirmwareStatus,
            M::Heartbeat => Trigger::Heartbeat,
            M::MeterValues => Trigger::MeterValues,
            M::StatusNotification => Trigger::Status,
        }
    }
}

impl From<v16::MessageTriggerEnum> for Trigger {
    fn from(m: v16::MessageTriggerEnum) -> Trigger {
        use v16::MessageTriggerEnum as M;
        match m {
            M::BootNotification => Trigger::Boot,
            M::LogStatusNotification => Trigger::LogStatus,
            M::FirmwareStatusNotification => Trigger::FirmwareStatus,
            M::Heartbeat => Trigger::Heartbeat,
            M::MeterValues => Trigger::MeterValues,
            M::SignChargePointCertificate => Trigger::SignCertificate,
            M::StatusNotification => Trigger::Status,
        }
    }
}
