//! The CSMS's calls to the charge point: one handler per action, dispatched by
//! [`ChargePoint::on_call`]. Payloads arrive schema-validated by the RPC layer (types, required
//! fields, enums, lengths), so handlers check only what the schema cannot say.

use charger_protocol::ocpp::{MessageId, RpcErrorCode};
use charger_protocol::{StopReason, Timestamp};
use serde_json::{json, Value};

use super::{ChargePoint, CoreAction, PendingReply, Registration, ReplyKind, Secret, Sent};
use crate::ocpp::keys::GET_CONFIGURATION_MAX_KEYS;
use crate::station::{ConnectorStatus, StationCommand};

impl ChargePoint {
    /// Every action this charge point answers is a branch here; anything else gets
    /// NotImplemented (1.6 §4.1.3 / OCPP-J §4.2.3), never a fake Accepted.
    pub(super) fn on_call(&mut self, id: MessageId, action: &str, payload: Value, now: Timestamp) {
        if self.registration == Registration::Rejected {
            // 1.6 §4.2.1: while Rejected the charge point does not respond to the CSMS.
            let _ =
                self.rpc
                    .respond_error(&id, RpcErrorCode::SecurityError, "registration rejected");
            return;
        }
        match action {
            "RemoteStartTransaction" => self.remote_start(id, &payload, now),
            "RemoteStopTransaction" => self.remote_stop(id, &payload),
            "ChangeAvailability" => self.change_availability(id, &payload),
            "GetConfiguration" => self.get_configuration(id, &payload),
            "ChangeConfiguration" => self.change_configuration(id, &payload, now),
            "Reset" => {
                let hard = payload["type"].as_str() == Some("Hard");
                self.respond(&id, json!({"status": "Accepted"}));
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
            "UnlockConnector" => self.unlock_connector(id, &payload),
            "ClearCache" => {
                self.cache.clear();
                self.save_cache();
                self.respond(&id, json!({"status": "Accepted"}));
            }
            "DataTransfer" => {
                // No vendor extensions: the answer the spec gives for an unknown vendor.
                self.respond(&id, json!({"status": "UnknownVendorId"}))
            }
            "TriggerMessage" => self.trigger_message(id, &payload, now, false),
            "ExtendedTriggerMessage" => self.trigger_message(id, &payload, now, true),
            "GetLocalListVersion" => {
                let version = if self.keys.local_auth_list_enabled {
                    self.local_list.version()
                } else {
                    -1
                };
                self.respond(&id, json!({ "listVersion": version }));
            }
            "SendLocalList" => self.send_local_list(id, &payload),
            "ReserveNow" => self.reserve_now(id, &payload, now),
            "CancelReservation" => self.cancel_reservation(id, &payload),
            "SetChargingProfile" => self.set_charging_profile(id, &payload, now),
            "ClearChargingProfile" => self.clear_charging_profile(id, &payload, now),
            "GetCompositeSchedule" => self.get_composite_schedule(id, &payload, now),
            "UpdateFirmware" => self.update_firmware(id, &payload, now),
            "SignedUpdateFirmware" => self.signed_update_firmware(id, &payload, now),
            "GetDiagnostics" => self.get_diagnostics(id, &payload, now),
            "GetLog" => self.get_log(id, &payload, now),
            "InstallCertificate"
            | "DeleteCertificate"
            | "GetInstalledCertificateIds"
            | "CertificateSigned" => {
                // The certificate store is the shell's (files); it answers.
                self.actions.push_back(CoreAction::ShellCall {
                    reply: PendingReply {
                        id,
                        kind: ReplyKind::Shell,
                    },
                    action: action.to_string(),
                    payload,
                });
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

    /// The payload's `connectorId`, if it is there and fits a connector number.
    pub(super) fn connector_arg(payload: &Value) -> Option<u32> {
        payload["connectorId"]
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
    }

    fn remote_stop(&mut self, id: MessageId, payload: &Value) {
        let csms = payload["transactionId"].as_i64();
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
            None => self.respond(&id, json!({"status": "Rejected"})),
        }
    }

    fn change_availability(&mut self, id: MessageId, payload: &Value) {
        let connector = Self::connector_arg(payload).unwrap_or(u32::MAX);
        let operative = payload["type"].as_str() == Some("Operative");
        if connector > self.keys.number_of_connectors {
            self.respond(&id, json!({"status": "Rejected"}));
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

    fn get_configuration(&mut self, id: MessageId, payload: &Value) {
        let wanted: Option<Vec<String>> = payload["key"].as_array().map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        });
        let all = self.keys.list();
        let (known, unknown): (Vec<_>, Vec<String>) = match &wanted {
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
        let mut p = json!({
            "configurationKey": known
                .iter()
                .map(|k| {
                    let mut v = json!({"key": k.key, "readonly": k.readonly});
                    if let Some(value) = &k.value {
                        v["value"] = json!(value);
                    }
                    v
                })
                .collect::<Vec<_>>(),
        });
        if !unknown.is_empty() {
            p["unknownKey"] = json!(unknown);
        }
        self.respond(&id, p);
    }

    fn change_configuration(&mut self, id: MessageId, payload: &Value, now: Timestamp) {
        let key = payload["key"].as_str().unwrap_or_default().to_string();
        let value = payload["value"].as_str().unwrap_or_default().to_string();
        if key == "SecurityProfile" {
            // Raised only if what the new profile needs is configured; the shell checks that
            // (it holds the files) and answers. Lowering is refused here.
            if self.keys.check_security_profile(&value).is_err() {
                self.respond(&id, json!({"status": "Rejected"}));
                return;
            }
            self.actions.push_back(CoreAction::ShellCall {
                reply: PendingReply {
                    id,
                    kind: ReplyKind::Shell,
                },
                action: "ChangeConfiguration".into(),
                payload: payload.clone(),
            });
            return;
        }
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
                "Accepted"
            }
            Err(refused) => refused.status(),
        };
        self.respond(&id, json!({ "status": status }));
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

    fn unlock_connector(&mut self, id: MessageId, payload: &Value) {
        let connector = Self::connector_arg(payload).unwrap_or(0);
        if connector == 0 || connector > self.keys.number_of_connectors {
            self.respond(&id, json!({"status": "NotSupported"}));
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
        self.respond(&id, json!({"status": "Unlocked"}));
    }

    fn trigger_message(&mut self, id: MessageId, payload: &Value, now: Timestamp, extended: bool) {
        let requested = payload["requestedMessage"].as_str().unwrap_or_default();
        let connector = Self::connector_arg(payload);
        if connector.is_some_and(|c| c > self.keys.number_of_connectors) {
            self.respond(&id, json!({"status": "Rejected"}));
            return;
        }
        let accepted = matches!(
            (requested, extended),
            (
                "BootNotification" | "Heartbeat" | "StatusNotification" | "MeterValues",
                _
            ) | ("FirmwareStatusNotification", _)
                | ("DiagnosticsStatusNotification", false)
                | ("LogStatusNotification" | "SignChargePointCertificate", true)
        );
        if !accepted {
            self.respond(&id, json!({"status": "NotImplemented"}));
            return;
        }
        // The answer goes before the triggered message (1.6 §5.18).
        self.respond(&id, json!({"status": "Accepted"}));
        match requested {
            "BootNotification" => {
                self.boot_due = Some(now);
                if self.registration == Registration::Accepted {
                    let p = self.boot_payload();
                    self.call("BootNotification", p, Sent::Boot);
                }
            }
            "Heartbeat" => self.heartbeat_due = Some(now),
            "StatusNotification" => self.resend_statuses(connector),
            "MeterValues" => {
                let connectors = match connector {
                    Some(c) if c > 0 => vec![c],
                    _ => (1..=self.keys.number_of_connectors).collect(),
                };
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors,
                    context: crate::ocpp::meter::ReadingContext::Trigger,
                });
            }
            "DiagnosticsStatusNotification" => self.trigger_diagnostics_status(),
            "FirmwareStatusNotification" => self.trigger_firmware_status(extended),
            "LogStatusNotification" => self.trigger_log_status(),
            "SignChargePointCertificate" => self.request_certificate_signing(),
            _ => {}
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
