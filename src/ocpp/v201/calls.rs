//! The CSMS's OCPP 2.0.1 calls: one handler per action, dispatched by
//! [`ChargingStation::on_call`]. Payloads arrive schema-validated by the RPC layer; here they
//! become typed messages ([`v201::Request`]) and handlers see only those.

use charger_protocol::ocpp::{v201, MessageId, RpcErrorCode};
use charger_protocol::{StopReason, Timestamp};
use serde_json::Value;

use super::authorization::ListRefused;
use super::device_model::{self, Definition, SetRefused, ITEMS_PER_CALL, ITEMS_PER_REPORT};
use super::{ChargingStation, Purpose, Registration, Sent, Waiting};
use crate::ocpp::chargepoint::{CoreAction, PendingReply, ReplyKind};
use crate::ocpp::meter::ReadingContext;
use crate::ocpp::smart_charging::ChargingProfile;
use crate::station::StationCommand;

impl ChargingStation {
    /// Every action handled is a branch here. An action 2.0.1 defines and this station does
    /// not handle is answered NotSupported; one 2.0.1 does not define was answered
    /// NotImplemented by the RPC layer already.
    pub(super) fn on_call(&mut self, id: MessageId, action: &str, payload: Value, now: Timestamp) {
        if self.registration == Registration::Rejected {
            // B03: while Rejected the station talks to the CSMS only to register.
            let _ =
                self.rpc
                    .respond_error(&id, RpcErrorCode::SecurityError, "registration rejected");
            return;
        }
        let request = match v201::Action::from_name(action)
            .map(|a| v201::Request::from_payload(a, payload))
        {
            Some(Ok(request)) => request,
            Some(Err(e)) => {
                tracing::warn!(action, error = %e, "CSMS call refused: a value out of range");
                let detail = super::truncate(&e.to_string(), 200);
                let _ = self
                    .rpc
                    .respond_error(&id, RpcErrorCode::TypeConstraintViolation, &detail);
                return;
            }
            None => {
                let _ = self.rpc.respond_error(
                    &id,
                    RpcErrorCode::NotImplemented,
                    "not an OCPP 2.0.1 action",
                );
                return;
            }
        };
        use v201::Request as R;
        match request {
            R::GetVariables(r) => self.get_variables(&id, r),
            R::SetVariables(r) => self.set_variables(&id, r),
            R::GetBaseReport(r) => self.get_base_report(&id, &r, now),
            R::GetReport(r) => self.get_report(&id, &r, now),
            R::RequestStartTransaction(r) => self.request_start(id, r),
            R::RequestStopTransaction(r) => self.request_stop(id, &r),
            R::ChangeAvailability(r) => self.change_availability(id, &r),
            R::Reset(r) => self.reset(&id, &r, now),
            R::TriggerMessage(r) => self.trigger_message(&id, &r, now),
            R::UnlockConnector(r) => self.unlock_connector(&id, &r),
            R::SendLocalList(r) => {
                let status = match self.local_list.apply(&r) {
                    Ok(()) => {
                        self.model.live.local_list_entries = self.local_list.len();
                        match serde_json::to_value(&self.local_list) {
                            Ok(value) => self.actions.push_back(CoreAction::SaveState {
                                name: super::authorization::LIST_STATE,
                                value,
                            }),
                            Err(e) => {
                                tracing::error!(error = %e, "local list could not be written")
                            }
                        }
                        v201::SendLocalListStatusEnum::Accepted
                    }
                    Err(ListRefused::VersionMismatch) => {
                        v201::SendLocalListStatusEnum::VersionMismatch
                    }
                    Err(ListRefused::Failed) => v201::SendLocalListStatusEnum::Failed,
                };
                self.reply(
                    &id,
                    v201::SendLocalListResponse {
                        custom_data: None,
                        status,
                        status_info: None,
                    },
                );
            }
            R::GetLocalListVersion(_) => {
                let version_number = self.local_list.version();
                self.reply(
                    &id,
                    v201::GetLocalListVersionResponse {
                        custom_data: None,
                        version_number,
                    },
                );
            }
            R::ClearCache(_) => {
                self.cache.clear();
                self.save_cache();
                self.reply(
                    &id,
                    v201::ClearCacheResponse {
                        custom_data: None,
                        status: v201::ClearCacheStatusEnum::Accepted,
                        status_info: None,
                    },
                );
            }
            R::ReserveNow(r) => self.reserve_now(id, &r, now),
            R::CancelReservation(r) => self.cancel_reservation(&id, &r),
            R::SetChargingProfile(r) => self.set_charging_profile(&id, &r, now),
            R::ClearChargingProfile(r) => self.clear_charging_profile(&id, &r, now),
            R::GetChargingProfiles(r) => self.get_charging_profiles(&id, &r),
            R::GetCompositeSchedule(r) => self.get_composite_schedule(&id, &r, now),
            R::GetTransactionStatus(r) => {
                let (messages_in_queue, ongoing_indicator) = match &r.transaction_id {
                    Some(tx) => {
                        let running = self.running.values().find(|t| t.id == *tx);
                        let local = running.map(|t| t.local_id).or_else(|| tx.parse().ok());
                        let queued = self.outbox.iter().any(|o| {
                            !o.refused
                                && o.action == "TransactionEvent"
                                && Some(o.local_transaction_id) == local
                        }) || (local.is_some() && self.outbox.spilled());
                        (queued, Some(running.is_some()))
                    }
                    None => (self.outbox.waiting() > 0, None),
                };
                self.reply(
                    &id,
                    v201::GetTransactionStatusResponse {
                        custom_data: None,
                        messages_in_queue,
                        ongoing_indicator,
                    },
                );
            }
            R::DataTransfer(_) => self.reply(
                &id,
                v201::DataTransferResponse {
                    custom_data: None,
                    data: None,
                    status: v201::DataTransferStatusEnum::UnknownVendorId,
                    status_info: None,
                },
            ),
            other => {
                let action = other.action().as_str();
                tracing::info!(action, "OCPP 2.0.1 call not supported by this station");
                let _ = self.rpc.respond_error(
                    &id,
                    RpcErrorCode::NotSupported,
                    "not supported by this charging station yet",
                );
            }
        }
    }

    fn get_variables(&mut self, id: &MessageId, r: v201::GetVariablesRequest) {
        if r.get_variable_data.len() > ITEMS_PER_CALL {
            let _ = self.rpc.respond_error(
                id,
                RpcErrorCode::OccurrenceConstraintViolation,
                "more entries than DeviceDataCtrlr.ItemsPerMessage",
            );
            return;
        }
        let results = r
            .get_variable_data
            .into_iter()
            .map(|g| {
                let (status, value) = match self.model.find(&g.component, &g.variable) {
                    Err(SetRefused::UnknownComponent) => {
                        (v201::GetVariableStatusEnum::UnknownComponent, None)
                    }
                    Err(_) => (v201::GetVariableStatusEnum::UnknownVariable, None),
                    Ok(_)
                        if g.attribute_type
                            .is_some_and(|a| a != v201::AttributeEnum::Actual) =>
                    {
                        (v201::GetVariableStatusEnum::NotSupportedAttributeType, None)
                    }
                    Ok(d) => match self.model.value(&d.address) {
                        Some(v) => (
                            v201::GetVariableStatusEnum::Accepted,
                            Some(super::truncate(&v, 2500)),
                        ),
                        // Known, but nothing to say now (a sensor not read yet).
                        None => (v201::GetVariableStatusEnum::Rejected, None),
                    },
                };
                v201::GetVariableResult {
                    attribute_status: status,
                    attribute_status_info: None,
                    attribute_type: g.attribute_type,
                    attribute_value: value,
                    component: g.component,
                    custom_data: None,
                    variable: g.variable,
                }
            })
            .collect();
        self.reply(
            id,
            v201::GetVariablesResponse {
                custom_data: None,
                get_variable_result: results,
            },
        );
    }

    fn set_variables(&mut self, id: &MessageId, r: v201::SetVariablesRequest) {
        if r.set_variable_data.len() > ITEMS_PER_CALL {
            let _ = self.rpc.respond_error(
                id,
                RpcErrorCode::OccurrenceConstraintViolation,
                "more entries than DeviceDataCtrlr.ItemsPerMessage",
            );
            return;
        }
        let mut changed = false;
        let mut results = Vec::with_capacity(r.set_variable_data.len());
        for s in r.set_variable_data {
            let outcome: Result<bool, SetRefused> = self
                .model
                .find(&s.component, &s.variable)
                .cloned()
                .and_then(|d: Definition| {
                    if s.attribute_type
                        .is_some_and(|a| a != v201::AttributeEnum::Actual)
                    {
                        return Err(SetRefused::NotSupportedAttributeType);
                    }
                    self.model.set(&d, &s.attribute_value)
                });
            let status = match outcome {
                Ok(c) => {
                    changed |= c;
                    v201::SetVariableStatusEnum::Accepted
                }
                Err(refused) => refused.status(),
            };
            results.push(v201::SetVariableResult {
                attribute_status: status,
                attribute_status_info: None,
                attribute_type: s.attribute_type,
                component: s.component,
                custom_data: None,
                variable: s.variable,
            });
        }
        if changed {
            self.actions.push_back(CoreAction::SaveState {
                name: device_model::STATE_NAME,
                value: self.model.to_json(),
            });
            // A new HeartbeatInterval counts from now.
            if self.accepted() {
                self.heartbeat_due = Some(self.now + self.heartbeat_interval());
            }
        }
        self.reply(
            id,
            v201::SetVariablesResponse {
                custom_data: None,
                set_variable_result: results,
            },
        );
    }

    fn get_base_report(&mut self, id: &MessageId, r: &v201::GetBaseReportRequest, now: Timestamp) {
        let definitions: Vec<Definition> = self
            .model
            .definitions()
            .iter()
            .filter(|d| match r.report_base {
                v201::ReportBaseEnum::FullInventory => true,
                v201::ReportBaseEnum::ConfigurationInventory => d.writable,
                v201::ReportBaseEnum::SummaryInventory => d.address.variable == "AvailabilityState",
            })
            .cloned()
            .collect();
        self.reply(
            id,
            v201::GetBaseReportResponse {
                custom_data: None,
                status: v201::GenericDeviceModelStatusEnum::Accepted,
                status_info: None,
            },
        );
        self.notify_report(r.request_id, &definitions, now);
    }

    fn get_report(&mut self, id: &MessageId, r: &v201::GetReportRequest, now: Timestamp) {
        if r.component_criteria.as_ref().is_some_and(|c| !c.is_empty()) {
            // Component criteria (Active, Available, Enabled, Problem) are not evaluated yet:
            // say so rather than send a report that ignores them.
            self.reply(
                id,
                v201::GetReportResponse {
                    custom_data: None,
                    status: v201::GenericDeviceModelStatusEnum::NotSupported,
                    status_info: Some(v201::StatusInfo {
                        additional_info: Some("componentCriteria not supported".into()),
                        custom_data: None,
                        reason_code: "NotSupported".into(),
                    }),
                },
            );
            return;
        }
        let wanted = r.component_variable.as_deref().unwrap_or(&[]);
        let definitions: Vec<Definition> = self
            .model
            .definitions()
            .iter()
            .filter(|d| {
                wanted.is_empty()
                    || wanted.iter().any(|cv| {
                        let component = device_model::component_of(&d.address);
                        let same_evse = match (&cv.component.evse, &component.evse) {
                            (None, _) => true,
                            (Some(a), Some(b)) => {
                                a.id == b.id
                                    && (a.connector_id.is_none()
                                        || a.connector_id == b.connector_id)
                            }
                            (Some(_), None) => false,
                        };
                        cv.component.name == component.name
                            && same_evse
                            && cv.variable.as_ref().is_none_or(|v| {
                                v.name == d.address.variable
                                    && (v.instance.is_none()
                                        || v.instance.as_deref() == d.address.instance)
                            })
                    })
            })
            .cloned()
            .collect();
        let status = if definitions.is_empty() {
            v201::GenericDeviceModelStatusEnum::EmptyResultSet
        } else {
            v201::GenericDeviceModelStatusEnum::Accepted
        };
        self.reply(
            id,
            v201::GetReportResponse {
                custom_data: None,
                status,
                status_info: None,
            },
        );
        if !definitions.is_empty() {
            self.notify_report(r.request_id, &definitions, now);
        }
    }

    /// The report, in NotifyReport parts of [`ITEMS_PER_REPORT`], `seqNo` from 0, `tbc` on
    /// all but the last. Sent after the answer to the call that asked for it (the RPC layer
    /// sends one CALL at a time, in order).
    fn notify_report(&mut self, request_id: i64, definitions: &[Definition], now: Timestamp) {
        let generated_at = self.wall_time(now);
        let parts: Vec<&[Definition]> = definitions.chunks(ITEMS_PER_REPORT).collect();
        let last = parts.len().saturating_sub(1);
        for (seq_no, part) in parts.into_iter().enumerate() {
            let report = v201::NotifyReportRequest {
                custom_data: None,
                generated_at,
                report_data: Some(part.iter().map(|d| self.model.report_data(d)).collect()),
                request_id,
                seq_no: i64::try_from(seq_no).unwrap_or(i64::MAX),
                tbc: Some(seq_no < last),
            };
            if self.connected {
                self.send(report, Sent::Plain);
            }
        }
    }

    fn request_start(&mut self, id: MessageId, r: v201::RequestStartTransactionRequest) {
        let connector = match r.evse_id {
            Some(evse) => u32::try_from(evse)
                .ok()
                .filter(|c| (1..=self.evses).contains(c)),
            None if self.evses == 1 => Some(1),
            // The station picks a free EVSE.
            None => (1..=self.evses).find(|c| !self.busy(*c)),
        };
        let rejected = |why: &str| v201::RequestStartTransactionResponse {
            custom_data: None,
            status: v201::RequestStartStopStatusEnum::Rejected,
            status_info: Some(v201::StatusInfo {
                additional_info: Some(why.into()),
                custom_data: None,
                reason_code: "Refused".into(),
            }),
            transaction_id: None,
        };
        let Some(connector) = connector else {
            self.reply(&id, rejected("no such EVSE, or none free"));
            return;
        };
        // K05: the profile of a remote start is the transaction's TxProfile, installed when
        // it starts; one that cannot be is refused with the start, never ignored.
        let tx_profile = v201::ChargingProfilePurposeEnum::TxProfile;
        let profile = match &r.charging_profile {
            None => None,
            Some(p) if p.charging_profile_purpose != tx_profile => {
                let why = "the charging profile of a remote start must be a TxProfile";
                self.reply(&id, rejected(why));
                return;
            }
            Some(p) => match ChargingProfile::from_v201(p) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.reply(&id, rejected(&format!("charging profile: {e}")));
                    return;
                }
            },
        };
        if let Some(p) = &profile {
            // Installed when the transaction starts: it must fit then, or the start is refused
            // now rather than charged without it.
            let mut trial = self.profiles.clone();
            let ctx = crate::ocpp::smart_charging::SetContext {
                now_ms: self.unix_ms(self.now),
                number_of_connectors: self.evses,
                active_transaction: Some(i64::MIN),
            };
            let fits = if p.stack_level > crate::ocpp::keys::CHARGE_PROFILE_MAX_STACK_LEVEL {
                Err(format!("stackLevel {} is too high", p.stack_level))
            } else {
                trial
                    .set(connector, p.clone(), &ctx)
                    .map_err(|e| e.to_string())
            };
            if let Err(why) = fits {
                self.reply(&id, rejected(&format!("charging profile: {why}")));
                return;
            }
        }
        if let Some(t) = self.running.get(&connector) {
            let why = format!("transaction {} runs on this EVSE", t.id);
            self.reply(&id, rejected(&why));
            return;
        }
        let token = v201::IdToken {
            id_token: super::truncate(&r.id_token.id_token, super::MAX_ID_TOKEN_LEN),
            ..r.id_token
        };
        self.remote_starts
            .insert(connector, (r.remote_start_id, token.clone(), profile));
        if self.model.settings.authorize_remote_start {
            // F01: answer first, then authorize the token like a local one; but never Accepted
            // for a connector that cannot take a session now.
            let down = self.statuses.get(&connector).is_some_and(|k| {
                matches!(
                    k.status,
                    v201::ConnectorStatusEnum::Unavailable | v201::ConnectorStatusEnum::Faulted
                )
            });
            if down {
                self.remote_starts.remove(&connector);
                self.reply(&id, rejected("the EVSE is unavailable or faulted"));
                return;
            }
            self.reply(
                &id,
                v201::RequestStartTransactionResponse {
                    custom_data: None,
                    status: v201::RequestStartStopStatusEnum::Accepted,
                    status_info: None,
                    transaction_id: None,
                },
            );
            self.authorize(token, Purpose::RemoteStart { connector });
            return;
        }
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Start {
                connector,
                id_tag: Some(token.id_token),
            },
            reply: Some(PendingReply {
                id,
                kind: ReplyKind::V201(Waiting::RequestStart { connector }),
            }),
        });
    }

    fn request_stop(&mut self, id: MessageId, r: &v201::RequestStopTransactionRequest) {
        let Some(connector) = self
            .running
            .values()
            .find(|t| t.id == r.transaction_id)
            .map(|t| t.connector)
        else {
            self.reply(
                &id,
                v201::RequestStopTransactionResponse {
                    custom_data: None,
                    status: v201::RequestStartStopStatusEnum::Rejected,
                    status_info: Some(v201::StatusInfo {
                        additional_info: Some("no such transaction running".into()),
                        custom_data: None,
                        reason_code: "UnknownTransaction".into(),
                    }),
                },
            );
            return;
        };
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Stop {
                connector,
                reason: StopReason::Remote,
            },
            reply: Some(PendingReply {
                id,
                kind: ReplyKind::V201(Waiting::RequestStop),
            }),
        });
    }

    fn change_availability(&mut self, id: MessageId, r: &v201::ChangeAvailabilityRequest) {
        let operative = r.operational_status == v201::OperationalStatusEnum::Operative;
        let connectors: Vec<u32> = match &r.evse {
            None => (1..=self.evses).collect(),
            Some(e) => match u32::try_from(e.id).ok() {
                // EVSE 0 is the whole station.
                Some(0) => (1..=self.evses).collect(),
                Some(c) if c <= self.evses && e.connector_id.is_none_or(|k| k == 1) => {
                    vec![c]
                }
                _ => Vec::new(),
            },
        };
        if connectors.is_empty() {
            self.reply(
                &id,
                v201::ChangeAvailabilityResponse {
                    custom_data: None,
                    status: v201::ChangeAvailabilityStatusEnum::Rejected,
                    status_info: Some(v201::StatusInfo {
                        additional_info: Some("no such EVSE or connector".into()),
                        custom_data: None,
                        reason_code: "UnknownEvse".into(),
                    }),
                },
            );
            return;
        }
        if let [connector] = connectors[..] {
            self.actions.push_back(CoreAction::Station {
                command: StationCommand::SetAvailability {
                    connector,
                    operative,
                },
                reply: Some(PendingReply {
                    id,
                    kind: ReplyKind::V201(Waiting::ChangeAvailability),
                }),
            });
            return;
        }
        // The whole station: each connector now, or when its transaction ends (Scheduled).
        let busy = connectors.iter().any(|c| self.busy(*c));
        for connector in connectors {
            self.actions.push_back(CoreAction::Station {
                command: StationCommand::SetAvailability {
                    connector,
                    operative,
                },
                reply: None,
            });
        }
        self.reply(
            &id,
            v201::ChangeAvailabilityResponse {
                custom_data: None,
                status: if busy && !operative {
                    v201::ChangeAvailabilityStatusEnum::Scheduled
                } else {
                    v201::ChangeAvailabilityStatusEnum::Accepted
                },
                status_info: None,
            },
        );
    }

    fn reset(&mut self, id: &MessageId, r: &v201::ResetRequest, now: Timestamp) {
        let answer = |status| v201::ResetResponse {
            custom_data: None,
            status,
            status_info: None,
        };
        if r.evse_id.is_some() {
            // One EVSE cannot restart apart from the station's one process.
            self.reply(id, answer(v201::ResetStatusEnum::Rejected));
            return;
        }
        let immediate = r.r#type == v201::ResetEnum::Immediate;
        self.security_event(
            "ResetOrReboot",
            Some(format!(
                "{} reset by the CSMS",
                if immediate { "immediate" } else { "on-idle" }
            )),
            now,
        );
        let idle = (1..=self.evses).all(|c| !self.busy(c));
        if immediate || idle {
            self.reply(id, answer(v201::ResetStatusEnum::Accepted));
            self.actions
                .push_back(CoreAction::Reset { hard: immediate });
        } else {
            self.reply(id, answer(v201::ResetStatusEnum::Scheduled));
            self.reset_when_idle = true;
        }
    }

    fn trigger_message(&mut self, id: &MessageId, r: &v201::TriggerMessageRequest, now: Timestamp) {
        use v201::MessageTriggerEnum as M;
        let answer = |status| v201::TriggerMessageResponse {
            custom_data: None,
            status,
            status_info: None,
        };
        let evse = match &r.evse {
            None => None,
            Some(e) => match u32::try_from(e.id)
                .ok()
                .filter(|c| (1..=self.evses).contains(c))
            {
                Some(c) => Some(c),
                None => {
                    self.reply(id, answer(v201::TriggerMessageStatusEnum::Rejected));
                    return;
                }
            },
        };
        let connectors: Vec<u32> = match evse {
            Some(c) => vec![c],
            None => (1..=self.evses).collect(),
        };
        match r.requested_message {
            M::BootNotification => {
                if self.registration == Registration::Accepted {
                    // F06.FR.17: an accepted registration is not repeated on request.
                    self.reply(id, answer(v201::TriggerMessageStatusEnum::Rejected));
                    return;
                }
                self.reply(id, answer(v201::TriggerMessageStatusEnum::Accepted));
                self.boot_reason = v201::BootReasonEnum::Triggered;
                self.boot_due = Some(now);
            }
            M::Heartbeat => {
                self.reply(id, answer(v201::TriggerMessageStatusEnum::Accepted));
                self.send(
                    v201::HeartbeatRequest { custom_data: None },
                    Sent::Heartbeat,
                );
            }
            M::StatusNotification => {
                self.reply(id, answer(v201::TriggerMessageStatusEnum::Accepted));
                for c in connectors {
                    if let Some(k) = self.statuses.get_mut(&c) {
                        k.sent = false;
                    }
                }
                self.send_statuses();
            }
            M::MeterValues => {
                self.reply(id, answer(v201::TriggerMessageStatusEnum::Accepted));
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors,
                    context: ReadingContext::Trigger,
                });
            }
            M::TransactionEvent => {
                let with_transaction: Vec<u32> = connectors
                    .into_iter()
                    .filter(|c| self.running.contains_key(c))
                    .collect();
                if with_transaction.is_empty() {
                    self.reply(id, answer(v201::TriggerMessageStatusEnum::Rejected));
                    return;
                }
                self.reply(id, answer(v201::TriggerMessageStatusEnum::Accepted));
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors: with_transaction,
                    context: ReadingContext::Trigger,
                });
            }
            _ => self.reply(id, answer(v201::TriggerMessageStatusEnum::NotImplemented)),
        }
    }

    fn unlock_connector(&mut self, id: &MessageId, r: &v201::UnlockConnectorRequest) {
        let connector = u32::try_from(r.evse_id)
            .ok()
            .filter(|c| (1..=self.evses).contains(c) && r.connector_id == 1);
        let status = match connector {
            None => v201::UnlockStatusEnum::UnknownConnector,
            // F05.FR.02: a connector of a running, authorized transaction stays locked.
            Some(c) if self.busy(c) => v201::UnlockStatusEnum::OngoingAuthorizedTransaction,
            // Without a session the lock is open: the station holds it only while one runs.
            Some(_) => v201::UnlockStatusEnum::Unlocked,
        };
        self.reply(
            id,
            v201::UnlockConnectorResponse {
                custom_data: None,
                status,
                status_info: None,
            },
        );
    }
}
