//! The OCPP 1.6 charge point: the station as the CSMS sees it. Pure and time-injected.
//!
//! [`ChargePoint`] owns the connection's [`RpcEndpoint`] and turns station events into
//! messages (BootNotification, Heartbeat, StatusNotification, Start/StopTransaction,
//! MeterValues), and the CSMS's calls into [`CoreAction`]s for the shell to carry out (station
//! commands, persisting outbox records and configuration, reset). Nothing here touches a socket,
//! a file or a clock: the link feeds text in and takes text out; the daemon feeds station events
//! and applies actions; tests drive it all in simulated time.
//!
//! **Transaction messages never get lost.** StartTransaction, StopTransaction and MeterValues of
//! a transaction go through the outbox: each is handed to the shell to persist
//! ([`CoreAction::OutboxPut`]) before it is sent, sent strictly in order, one at a time, and
//! removed ([`CoreAction::OutboxRemove`]) only when the CSMS has answered it. While the link is
//! down or the registration is not Accepted they wait; after a restart the shell hands them back
//! with [`ChargePoint::restore_outbox`]. Messages of a transaction started offline carry the
//! station's own transaction id until StartTransaction.conf gives the CSMS's, and are patched
//! with it before they go out.
//!
//! Retry policy: no answer (timeout, link lost) retries the same message forever, with
//! `TransactionMessageRetryInterval × attempt` between attempts (at most 1 h). A CALLERROR is
//! the CSMS refusing a message it received: after `TransactionMessageAttempts` refusals the
//! message is moved aside (kept in the outbox marked *refused*, reported by
//! [`CoreAction::OutboxRefused`] and visible to `chargerctl`), so that one poisonous message
//! does not hold back every later transaction. Nothing is ever deleted unanswered.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use charger_protocol::ocpp::{
    MessageId, OcppVersion, RpcConfig, RpcEndpoint, RpcErrorCode, RpcEvent,
};
use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::station::{ConnectorStatus, StationCommand, StationEvent};

/// Longest wait between retries of an unanswered transaction message.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);
/// Registration retry when the CSMS gives an interval of 0.
const DEFAULT_BOOT_RETRY: Duration = Duration::from_secs(60);

/// Who this charge point says it is in BootNotification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub vendor: String,
    pub model: String,
    pub serial_number: Option<String>,
    pub firmware_version: String,
}

/// The configuration keys this charge point implements (1.6 §9.1), with their values.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    pub heartbeat_interval: Duration,
    pub meter_value_sample_interval: Duration,
    pub authorize_remote_tx_requests: bool,
    pub transaction_message_attempts: u32,
    pub transaction_message_retry_interval: Duration,
    pub connection_timeout: Duration,
    pub number_of_connectors: u32,
}

impl Keys {
    pub fn new(number_of_connectors: u32) -> Keys {
        Keys {
            heartbeat_interval: Duration::from_secs(300),
            meter_value_sample_interval: Duration::from_secs(60),
            authorize_remote_tx_requests: false,
            transaction_message_attempts: 3,
            transaction_message_retry_interval: Duration::from_secs(30),
            connection_timeout: Duration::from_secs(60),
            number_of_connectors,
        }
    }

    /// Every key as GetConfiguration reports it: (key, value, readonly).
    pub fn list(&self) -> Vec<(&'static str, String, bool)> {
        vec![
            (
                "HeartbeatInterval",
                self.heartbeat_interval.as_secs().to_string(),
                false,
            ),
            (
                "MeterValueSampleInterval",
                self.meter_value_sample_interval.as_secs().to_string(),
                false,
            ),
            (
                "AuthorizeRemoteTxRequests",
                self.authorize_remote_tx_requests.to_string(),
                false,
            ),
            (
                "TransactionMessageAttempts",
                self.transaction_message_attempts.to_string(),
                false,
            ),
            (
                "TransactionMessageRetryInterval",
                self.transaction_message_retry_interval
                    .as_secs()
                    .to_string(),
                false,
            ),
            (
                "ConnectionTimeOut",
                self.connection_timeout.as_secs().to_string(),
                false,
            ),
            (
                "NumberOfConnectors",
                self.number_of_connectors.to_string(),
                true,
            ),
            ("SupportedFeatureProfiles", "Core".to_string(), true),
            ("MeterValuesSampledData", MEASURANDS.join(","), true),
            (
                "StopTransactionOnEVSideDisconnect",
                "true".to_string(),
                true,
            ),
            (
                "UnlockConnectorOnEVSideDisconnect",
                "true".to_string(),
                true,
            ),
        ]
    }

    /// Apply ChangeConfiguration. `Ok(true)` if the value changed, `Err(status)` otherwise.
    pub fn change(&mut self, key: &str, value: &str) -> Result<bool, &'static str> {
        let secs = |v: &str| v.trim().parse::<u64>().map_err(|_| "Rejected");
        let flag = |v: &str| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("Rejected"),
        };
        match key {
            "HeartbeatInterval" => self.heartbeat_interval = Duration::from_secs(secs(value)?),
            "MeterValueSampleInterval" => {
                self.meter_value_sample_interval = Duration::from_secs(secs(value)?)
            }
            "AuthorizeRemoteTxRequests" => self.authorize_remote_tx_requests = flag(value)?,
            "TransactionMessageAttempts" => {
                let n = secs(value)?;
                self.transaction_message_attempts =
                    u32::try_from(n).ok().filter(|n| *n > 0).ok_or("Rejected")?;
            }
            "TransactionMessageRetryInterval" => {
                self.transaction_message_retry_interval = Duration::from_secs(secs(value)?)
            }
            "ConnectionTimeOut" => self.connection_timeout = Duration::from_secs(secs(value)?),
            "NumberOfConnectors"
            | "SupportedFeatureProfiles"
            | "MeterValuesSampledData"
            | "StopTransactionOnEVSideDisconnect"
            | "UnlockConnectorOnEVSideDisconnect" => return Err("Rejected"),
            _ => return Err("NotSupported"),
        }
        Ok(true)
    }
}

/// The measurands each MeterValues carries.
const MEASURANDS: [&str; 5] = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
];

/// One transaction message in the outbox, as the shell persists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// Order of sending; assigned by the core, increasing.
    pub seq: u64,
    pub action: String,
    pub payload: Value,
    /// The station's transaction id this message belongs to.
    pub local_transaction_id: i64,
    /// Attempts refused by the CSMS (CALLERROR) so far.
    pub refusals: u32,
    /// Moved aside after too many refusals; never sent again automatically.
    pub refused: bool,
}

/// What the shell must do for the core.
#[derive(Debug, Clone, PartialEq)]
pub enum CoreAction {
    /// Apply to the station; report the outcome with [`ChargePoint::command_done`] when `reply`
    /// is set (a CSMS call waits for it).
    Station {
        command: StationCommand,
        reply: Option<PendingReply>,
    },
    /// Persist (insert or replace) an outbox record before anything else happens.
    OutboxPut(OutboxRecord),
    /// The CSMS answered the record: delete it.
    OutboxRemove(u64),
    /// The CSMS refused the record `TransactionMessageAttempts` times: it stays, marked.
    OutboxRefused(OutboxRecord),
    /// The CSMS gave its id for the station's transaction: persist the mapping.
    TransactionIdAssigned { local: i64, csms: i64 },
    /// A configuration key changed: persist it.
    KeyChanged { key: String, value: String },
    /// Reset was accepted: stop sessions (reason Reboot / Shutdown) and restart.
    Reset { hard: bool },
}

/// A CSMS call waiting for the station's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingReply {
    id: MessageId,
    kind: ReplyKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ReplyKind {
    RemoteStart,
    RemoteStop,
    ChangeAvailability,
}

/// Registration with the CSMS (BootNotification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Not yet sent, or no answer yet.
    Unknown,
    Pending,
    Accepted,
    Rejected,
}

/// What an outgoing CALL was, to handle its answer.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Boot,
    Heartbeat,
    Status,
    Outbox(u64),
}

/// The OCPP 1.6 charge point. See the module documentation.
#[derive(Debug)]
pub struct ChargePoint {
    identity: Identity,
    keys: Keys,
    rpc: RpcEndpoint,
    rpc_config: RpcConfig,
    connected: bool,
    registration: Registration,
    /// When to send the next BootNotification (while not Accepted).
    boot_due: Option<Timestamp>,
    heartbeat_due: Option<Timestamp>,
    /// Unix time (ms) at monotonic zero: wall = offset + now.
    clock_offset_ms: i64,
    /// Last known status of each connector (0 = the charge point), and whether it was sent.
    statuses: BTreeMap<u32, (ConnectorStatus, Option<String>, Timestamp, bool)>,
    outbox: VecDeque<OutboxRecord>,
    next_seq: u64,
    /// The outbox head may go out at this instant (retry wait).
    outbox_ready_at: Option<Timestamp>,
    /// Unanswered (timeout) attempts of the head, for the retry wait.
    head_attempts: u32,
    /// station transaction id → CSMS transaction id.
    transaction_ids: BTreeMap<i64, i64>,
    /// connector → running station transaction id.
    running: BTreeMap<u32, i64>,
    last_meter: BTreeMap<u32, Timestamp>,
    in_flight: BTreeMap<String, Sent>,
    actions: VecDeque<CoreAction>,
}

impl ChargePoint {
    pub fn new(
        identity: Identity,
        keys: Keys,
        rpc_config: RpcConfig,
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Self {
        let mut statuses = BTreeMap::new();
        statuses.insert(0, (ConnectorStatus::Available, None, now, false));
        ChargePoint {
            identity,
            keys,
            rpc: RpcEndpoint::new(OcppVersion::V16, rpc_config.clone()),
            rpc_config,
            connected: false,
            registration: Registration::Unknown,
            boot_due: None,
            heartbeat_due: None,
            clock_offset_ms: unix_ms_now - now.as_millis() as i64,
            statuses,
            outbox: VecDeque::new(),
            next_seq: 1,
            outbox_ready_at: None,
            head_attempts: 0,
            transaction_ids: BTreeMap::new(),
            running: BTreeMap::new(),
            last_meter: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            actions: VecDeque::new(),
        }
    }

    pub fn registration(&self) -> Registration {
        self.registration
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Records kept after repeated refusals.
    pub fn refused(&self) -> impl Iterator<Item = &OutboxRecord> {
        self.outbox.iter().filter(|r| r.refused)
    }

    /// Outbox records and transaction ids from the previous run, oldest first.
    pub fn restore_outbox(&mut self, records: Vec<OutboxRecord>, ids: Vec<(i64, i64)>) {
        for r in records {
            self.next_seq = self.next_seq.max(r.seq + 1);
            self.outbox.push_back(r);
        }
        self.transaction_ids.extend(ids);
    }

    fn wall(&self, now: Timestamp) -> String {
        crate::store::rfc3339_utc(self.clock_offset_ms + now.as_millis() as i64)
    }

    // ----- the link ----------------------------------------------------------------------------

    pub fn on_connected(&mut self, now: Timestamp) {
        self.connected = true;
        self.rpc = RpcEndpoint::new(OcppVersion::V16, self.rpc_config.clone());
        self.in_flight.clear();
        // Every connection begins with a BootNotification (1.6 §4.2).
        self.registration = Registration::Unknown;
        self.boot_due = Some(now);
        self.outbox_ready_at = Some(now);
    }

    pub fn on_disconnected(&mut self, _now: Timestamp) {
        self.connected = false;
        // Whatever was outstanding goes again after the reconnect: outbox records are still
        // at the head, statuses are re-sent after the next Accepted.
        let _ = self.rpc.reset();
        self.in_flight.clear();
        self.heartbeat_due = None;
    }

    pub fn on_text(&mut self, text: &str, now: Timestamp) {
        self.rpc.handle_text(text, now);
        self.pump(now);
    }

    /// The next frame to send.
    pub fn poll_text(&mut self, now: Timestamp) -> Option<String> {
        if !self.connected {
            return None;
        }
        self.rpc.poll_transmit(now)
    }

    pub fn poll_action(&mut self) -> Option<CoreAction> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.boot_due,
            self.heartbeat_due,
            self.outbox_ready_at,
            self.rpc.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- time -------------------------------------------------------------------------------

    pub fn update(&mut self, now: Timestamp) {
        self.rpc.update(now);
        self.pump(now);
        if !self.connected {
            return;
        }
        if self.registration != Registration::Accepted {
            if self.boot_due.is_some_and(|t| now >= t)
                && !self.in_flight.values().any(|s| *s == Sent::Boot)
            {
                self.boot_due = None;
                let payload = self.boot_payload();
                self.call("BootNotification", payload, Sent::Boot);
            }
            return;
        }
        if self.heartbeat_due.is_some_and(|t| now >= t) {
            self.heartbeat_due =
                Some(now + self.keys.heartbeat_interval.max(Duration::from_secs(1)));
            self.call("Heartbeat", json!({}), Sent::Heartbeat);
        }
        self.send_statuses();
        self.send_outbox_head(now);
    }

    fn boot_payload(&self) -> Value {
        let mut p = json!({
            "chargePointVendor": self.identity.vendor,
            "chargePointModel": self.identity.model,
            "firmwareVersion": self.identity.firmware_version,
        });
        if let Some(s) = &self.identity.serial_number {
            p["chargePointSerialNumber"] = json!(s);
        }
        p
    }

    fn call(&mut self, action: &str, payload: Value, what: Sent) {
        match self.rpc.call(action, payload) {
            Ok(id) => {
                self.in_flight.insert(id.as_str().to_string(), what);
            }
            Err(e) => tracing::error!(action, error = %e, "OCPP call refused by the RPC layer"),
        }
    }

    fn send_statuses(&mut self) {
        let unsent: Vec<u32> = self
            .statuses
            .iter()
            .filter(|(_, (_, _, _, sent))| !sent)
            .map(|(id, _)| *id)
            .collect();
        for id in unsent {
            let Some((status, info, at, sent)) = self.statuses.get_mut(&id) else {
                continue;
            };
            *sent = true;
            let (status, info, at) = (*status, info.clone(), *at);
            let mut p = json!({
                "connectorId": id,
                "status": status_name(status),
                "errorCode": if status == ConnectorStatus::Faulted { "OtherError" } else { "NoError" },
                "timestamp": self.wall(at),
            });
            if let Some(info) = info {
                p["info"] = json!(truncate(&info, 50));
            }
            self.call("StatusNotification", p, Sent::Status);
        }
    }

    fn send_outbox_head(&mut self, now: Timestamp) {
        if self
            .in_flight
            .values()
            .any(|s| matches!(s, Sent::Outbox(_)))
        {
            return;
        }
        if self.outbox_ready_at.is_some_and(|t| now < t) {
            return;
        }
        let Some(head) = self.outbox.iter().find(|r| !r.refused).cloned() else {
            return;
        };
        let mut payload = head.payload.clone();
        if head.action != "StartTransaction" {
            // Patch the CSMS's id in; without one yet the start was not answered: wait.
            match self.transaction_ids.get(&head.local_transaction_id) {
                Some(csms) => payload["transactionId"] = json!(csms),
                None => {
                    if self.outbox.iter().any(|r| {
                        r.action == "StartTransaction"
                            && r.local_transaction_id == head.local_transaction_id
                            && !r.refused
                    }) {
                        return;
                    }
                    // Its start was refused for good: this message cannot name the transaction.
                    self.refuse(head.seq, "its StartTransaction was refused by the CSMS");
                    return;
                }
            }
        }
        self.call(&head.action, payload, Sent::Outbox(head.seq));
    }

    fn refuse(&mut self, seq: u64, why: &str) {
        if let Some(r) = self.outbox.iter_mut().find(|r| r.seq == seq) {
            r.refused = true;
            tracing::error!(seq, action = %r.action, why, "transaction message kept aside after refusals");
            let record = r.clone();
            self.actions.push_back(CoreAction::OutboxRefused(record));
        }
    }

    fn enqueue(&mut self, action: &str, payload: Value, local_transaction_id: i64) {
        let record = OutboxRecord {
            seq: self.next_seq,
            action: action.to_string(),
            payload,
            local_transaction_id,
            refusals: 0,
            refused: false,
        };
        self.next_seq += 1;
        self.actions
            .push_back(CoreAction::OutboxPut(record.clone()));
        self.outbox.push_back(record);
    }

    // ----- station events ----------------------------------------------------------------------

    /// `_now` is unused today: each event carries its own time.
    pub fn on_station_event(&mut self, event: &StationEvent, _now: Timestamp) {
        match event {
            StationEvent::StatusChanged {
                connector,
                status,
                info,
                at,
            } => {
                self.statuses
                    .insert(*connector, (*status, info.clone(), *at, false));
            }
            StationEvent::TransactionStarted(t) => {
                self.running.insert(t.connector, t.transaction_id);
                self.last_meter.insert(t.connector, t.at);
                let payload = json!({
                    "connectorId": t.connector,
                    "idTag": truncate(&t.id_tag, 20),
                    "meterStart": t.meter_start_wh.round() as i64,
                    "timestamp": self.wall(t.at),
                });
                self.enqueue("StartTransaction", payload, t.transaction_id);
            }
            StationEvent::TransactionStopped(t) => {
                self.running.remove(&t.connector);
                let mut payload = json!({
                    // Patched with the CSMS's id when it goes out.
                    "transactionId": t.transaction_id,
                    "meterStop": t.meter_stop_wh.round() as i64,
                    "timestamp": self.wall(t.at),
                    "reason": stop_reason(&t.reason),
                });
                if let Some(soc) = t.soc_percent {
                    payload["transactionData"] = json!([{
                        "timestamp": self.wall(t.at),
                        "sampledValue": [{
                            "value": format!("{soc:.0}"),
                            "context": "Transaction.End",
                            "measurand": "SoC",
                            "unit": "Percent",
                        }],
                    }]);
                }
                self.enqueue("StopTransaction", payload, t.transaction_id);
            }
            StationEvent::MeterSample {
                connector,
                transaction_id: Some(tx),
                meter_wh,
                voltage,
                current,
                soc_percent,
                at,
            } => {
                let due = self
                    .last_meter
                    .get(connector)
                    .is_none_or(|last| *at - *last >= self.keys.meter_value_sample_interval);
                if !due || self.keys.meter_value_sample_interval.is_zero() {
                    return;
                }
                self.last_meter.insert(*connector, *at);
                let mut sampled = vec![
                    json!({"value": format!("{:.0}", meter_wh), "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}),
                    json!({"value": format!("{:.0}", voltage * current), "context": "Sample.Periodic", "measurand": "Power.Active.Import", "unit": "W"}),
                    json!({"value": format!("{:.1}", current), "context": "Sample.Periodic", "measurand": "Current.Import", "unit": "A"}),
                    json!({"value": format!("{:.1}", voltage), "context": "Sample.Periodic", "measurand": "Voltage", "unit": "V"}),
                ];
                if let Some(soc) = soc_percent {
                    sampled.push(json!({"value": format!("{soc:.0}"), "context": "Sample.Periodic", "measurand": "SoC", "unit": "Percent"}));
                }
                let payload = json!({
                    "connectorId": connector,
                    "transactionId": tx,
                    "meterValue": [{"timestamp": self.wall(*at), "sampledValue": sampled}],
                });
                self.enqueue("MeterValues", payload, *tx);
            }
            _ => {}
        }
    }

    /// The station's outcome of a command the core asked for on behalf of a CSMS call.
    pub fn command_done(&mut self, reply: PendingReply, accepted: bool, scheduled: bool) {
        let status = match (reply.kind, accepted, scheduled) {
            (ReplyKind::ChangeAvailability, true, true) => "Scheduled",
            (_, true, _) => "Accepted",
            (_, false, _) => "Rejected",
        };
        if let Err(e) = self.rpc.respond(&reply.id, json!({ "status": status })) {
            tracing::error!(error = %e, "OCPP reply refused by the RPC layer");
        }
    }

    // ----- the CSMS's answers and calls ------------------------------------------------------

    fn pump(&mut self, now: Timestamp) {
        while let Some(event) = self.rpc.poll_event() {
            match event {
                RpcEvent::Result { id, payload, .. } => self.on_result(id, payload, now),
                RpcEvent::Error {
                    id,
                    code,
                    description,
                    action,
                    ..
                } => {
                    tracing::warn!(action, %code, description, "CSMS answered with CALLERROR");
                    self.on_failure(id, true, now);
                }
                RpcEvent::InvalidResult {
                    id,
                    action,
                    description,
                    ..
                } => {
                    tracing::warn!(action, description, "CSMS answer breaks the schema");
                    self.on_failure(id, true, now);
                }
                RpcEvent::Timeout { id, action } => {
                    tracing::warn!(action, "no answer from the CSMS");
                    self.on_failure(id, false, now);
                }
                RpcEvent::IncomingCall {
                    id,
                    action,
                    payload,
                } => self.on_call(id, &action, payload, now),
                RpcEvent::Rejected {
                    action,
                    code,
                    description,
                    ..
                } => {
                    tracing::warn!(?action, %code, description, "malformed CSMS call answered with CALLERROR")
                }
                RpcEvent::Ignored { why } => tracing::warn!(%why, "CSMS frame ignored"),
            }
        }
    }

    fn on_result(&mut self, id: MessageId, payload: Value, now: Timestamp) {
        let Some(sent) = self.in_flight.remove(id.as_str()) else {
            return;
        };
        match sent {
            Sent::Boot => {
                let interval = payload["interval"].as_u64().unwrap_or(0);
                if let Some(ms) = payload["currentTime"].as_str().and_then(parse_rfc3339_ms) {
                    self.clock_offset_ms = ms - now.as_millis() as i64;
                }
                let wait = if interval == 0 {
                    DEFAULT_BOOT_RETRY
                } else {
                    Duration::from_secs(interval)
                };
                match payload["status"].as_str() {
                    Some("Accepted") => {
                        self.registration = Registration::Accepted;
                        if interval > 0 {
                            self.keys.heartbeat_interval = Duration::from_secs(interval);
                        }
                        self.heartbeat_due = Some(now + self.keys.heartbeat_interval);
                        // Every connector's status, connector 0 included, after acceptance.
                        for v in self.statuses.values_mut() {
                            v.3 = false;
                        }
                        self.update(now);
                    }
                    Some("Pending") => {
                        self.registration = Registration::Pending;
                        self.boot_due = Some(now + wait);
                    }
                    _ => {
                        self.registration = Registration::Rejected;
                        self.boot_due = Some(now + wait);
                    }
                }
            }
            Sent::Heartbeat => {
                if let Some(ms) = payload["currentTime"].as_str().and_then(parse_rfc3339_ms) {
                    self.clock_offset_ms = ms - now.as_millis() as i64;
                }
            }
            Sent::Status => {}
            Sent::Outbox(seq) => {
                let Some(pos) = self.outbox.iter().position(|r| r.seq == seq) else {
                    return;
                };
                let Some(record) = self.outbox.remove(pos) else {
                    return;
                };
                self.head_attempts = 0;
                if record.action == "StartTransaction" {
                    if let Some(csms) = payload["transactionId"].as_i64() {
                        self.transaction_ids
                            .insert(record.local_transaction_id, csms);
                        self.actions.push_back(CoreAction::TransactionIdAssigned {
                            local: record.local_transaction_id,
                            csms,
                        });
                    }
                    let status = payload["idTagInfo"]["status"].as_str().unwrap_or("Invalid");
                    if status != "Accepted" {
                        // StopTransactionOnInvalidId: end a transaction the CSMS does not accept.
                        if let Some((&connector, _)) = self
                            .running
                            .iter()
                            .find(|(_, tx)| **tx == record.local_transaction_id)
                        {
                            self.actions.push_back(CoreAction::Station {
                                command: StationCommand::Stop {
                                    connector,
                                    reason: StopReason::DeAuthorized,
                                },
                                reply: None,
                            });
                        }
                    }
                }
                self.actions.push_back(CoreAction::OutboxRemove(seq));
                self.outbox_ready_at = Some(now);
                self.send_outbox_head(now);
            }
        }
    }

    fn on_failure(&mut self, id: MessageId, refused: bool, now: Timestamp) {
        let Some(sent) = self.in_flight.remove(id.as_str()) else {
            return;
        };
        match sent {
            Sent::Boot => self.boot_due = Some(now + DEFAULT_BOOT_RETRY),
            Sent::Heartbeat | Sent::Status => {}
            Sent::Outbox(seq) => {
                let attempts = self.keys.transaction_message_attempts.max(1);
                let retry = self.keys.transaction_message_retry_interval;
                if refused {
                    let refusals = match self.outbox.iter_mut().find(|r| r.seq == seq) {
                        Some(r) => {
                            r.refusals += 1;
                            r.refusals
                        }
                        None => return,
                    };
                    if refusals >= attempts {
                        self.refuse(seq, "refused by the CSMS TransactionMessageAttempts times");
                        self.outbox_ready_at = Some(now);
                    } else {
                        self.outbox_ready_at = Some(now + (retry * refusals).min(MAX_RETRY_WAIT));
                        if let Some(r) = self.outbox.iter().find(|r| r.seq == seq).cloned() {
                            self.actions.push_back(CoreAction::OutboxPut(r));
                        }
                    }
                } else {
                    self.head_attempts += 1;
                    self.outbox_ready_at =
                        Some(now + (retry * self.head_attempts).min(MAX_RETRY_WAIT));
                }
            }
        }
    }

    fn respond(&mut self, id: &MessageId, payload: Value) {
        if let Err(e) = self.rpc.respond(id, payload) {
            tracing::error!(error = %e, "OCPP reply refused by the RPC layer");
        }
    }

    fn on_call(&mut self, id: MessageId, action: &str, payload: Value, now: Timestamp) {
        if self.registration == Registration::Rejected {
            // 1.6 §4.2.1: while Rejected the charge point does not respond to the CSMS.
            let _ =
                self.rpc
                    .respond_error(&id, RpcErrorCode::SecurityError, "registration rejected");
            return;
        }
        match action {
            "RemoteStartTransaction" => {
                let connector = payload["connectorId"]
                    .as_u64()
                    .and_then(|c| u32::try_from(c).ok());
                let id_tag = payload["idTag"].as_str().unwrap_or_default().to_string();
                let Some(connector) = connector.or_else(|| self.free_connector()) else {
                    self.respond(&id, json!({"status": "Rejected"}));
                    return;
                };
                self.actions.push_back(CoreAction::Station {
                    command: StationCommand::Start {
                        connector,
                        id_tag: Some(id_tag),
                    },
                    reply: Some(PendingReply {
                        id,
                        kind: ReplyKind::RemoteStart,
                    }),
                });
            }
            "RemoteStopTransaction" => {
                let csms = payload["transactionId"].as_i64();
                let local = self
                    .transaction_ids
                    .iter()
                    .find(|(_, c)| Some(**c) == csms)
                    .map(|(l, _)| *l);
                let connector = self
                    .running
                    .iter()
                    .find(|(_, tx)| Some(**tx) == local)
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
            "ChangeAvailability" => {
                let connector = payload["connectorId"].as_u64().unwrap_or(0) as u32;
                let operative = payload["type"].as_str() == Some("Operative");
                if connector == 0 || connector > self.keys.number_of_connectors {
                    // Connector 0 (the whole charge point) is not modelled yet.
                    self.respond(&id, json!({"status": "Rejected"}));
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
            "GetConfiguration" => {
                let wanted: Option<Vec<String>> = payload["key"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|k| k.as_str().map(str::to_string))
                        .collect()
                });
                let all = self.keys.list();
                let (known, unknown): (Vec<_>, Vec<String>) = match &wanted {
                    None => (all.clone(), Vec::new()),
                    Some(keys) => {
                        let known = all
                            .iter()
                            .filter(|(k, _, _)| keys.iter().any(|w| w == k))
                            .cloned()
                            .collect();
                        let unknown = keys
                            .iter()
                            .filter(|w| !all.iter().any(|(k, _, _)| k == w))
                            .cloned()
                            .collect();
                        (known, unknown)
                    }
                };
                let mut p = json!({
                    "configurationKey": known
                        .iter()
                        .map(|(k, v, ro)| json!({"key": k, "readonly": ro, "value": v}))
                        .collect::<Vec<_>>(),
                });
                if !unknown.is_empty() {
                    p["unknownKey"] = json!(unknown);
                }
                self.respond(&id, p);
            }
            "ChangeConfiguration" => {
                let key = payload["key"].as_str().unwrap_or_default().to_string();
                let value = payload["value"].as_str().unwrap_or_default().to_string();
                let status = match self.keys.change(&key, &value) {
                    Ok(_) => {
                        self.actions.push_back(CoreAction::KeyChanged {
                            key: key.clone(),
                            value,
                        });
                        if key == "HeartbeatInterval" {
                            self.heartbeat_due = Some(now + self.keys.heartbeat_interval);
                        }
                        "Accepted"
                    }
                    Err(status) => status,
                };
                self.respond(&id, json!({ "status": status }));
            }
            "Reset" => {
                let hard = payload["type"].as_str() == Some("Hard");
                self.respond(&id, json!({"status": "Accepted"}));
                self.actions.push_back(CoreAction::Reset { hard });
            }
            "UnlockConnector" => {
                // The lock follows the session: it opens when the output is safe.
                self.respond(&id, json!({"status": "NotSupported"}));
            }
            "ClearCache" => {
                // No authorization cache yet: nothing to clear, and saying Accepted would lie.
                self.respond(&id, json!({"status": "Rejected"}));
            }
            "DataTransfer" => self.respond(&id, json!({"status": "UnknownVendorId"})),
            "TriggerMessage" => {
                let requested = payload["requestedMessage"].as_str().unwrap_or_default();
                let status = match requested {
                    "BootNotification" => {
                        self.boot_due = Some(now);
                        if self.registration == Registration::Accepted {
                            let p = self.boot_payload();
                            self.call("BootNotification", p, Sent::Boot);
                        }
                        "Accepted"
                    }
                    "Heartbeat" => {
                        self.heartbeat_due = Some(now);
                        "Accepted"
                    }
                    "StatusNotification" => {
                        let only = payload["connectorId"].as_u64().map(|c| c as u32);
                        for (c, v) in self.statuses.iter_mut() {
                            if only.is_none_or(|o| o == *c) {
                                v.3 = false;
                            }
                        }
                        "Accepted"
                    }
                    _ => "NotImplemented",
                };
                self.respond(&id, json!({ "status": status }));
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

    fn free_connector(&self) -> Option<u32> {
        (1..=self.keys.number_of_connectors).find(|c| !self.running.contains_key(c))
    }
}

fn status_name(s: ConnectorStatus) -> &'static str {
    match s {
        ConnectorStatus::Available => "Available",
        ConnectorStatus::Preparing => "Preparing",
        ConnectorStatus::Charging => "Charging",
        ConnectorStatus::SuspendedEVSE => "SuspendedEVSE",
        ConnectorStatus::SuspendedEV => "SuspendedEV",
        ConnectorStatus::Finishing => "Finishing",
        ConnectorStatus::Reserved => "Reserved",
        ConnectorStatus::Unavailable => "Unavailable",
        ConnectorStatus::Faulted => "Faulted",
    }
}

/// The station's stop reason as 1.6's StopTransaction.reason.
fn stop_reason(r: &StopReason) -> &'static str {
    match r {
        StopReason::VehicleRequest => "EVDisconnected",
        StopReason::Local => "Local",
        StopReason::Remote => "Remote",
        StopReason::EmergencyStop => "EmergencyStop",
        StopReason::Unplugged => "EVDisconnected",
        StopReason::PowerLoss => "PowerLoss",
        StopReason::Shutdown => "Reboot",
        StopReason::DeAuthorized => "DeAuthorized",
        StopReason::Reset { hard: true } => "HardReset",
        StopReason::Reset { hard: false } => "SoftReset",
        StopReason::VehicleFault(_)
        | StopReason::CommunicationLost(_)
        | StopReason::Incompatible(_)
        | StopReason::PowerSupplyFault(_)
        | StopReason::InsulationFailure(_)
        | StopReason::ImplausibleMeasurement(_)
        | StopReason::ChargerFault(_) => "Other",
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Unix milliseconds from an RFC 3339 time ("2026-11-25T15:09:33.123Z", an offset, or none =
/// UTC). `None` if it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut ms = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let scaled: String = digits
            .chars()
            .chain(std::iter::repeat('0'))
            .take(3)
            .collect();
        ms = scaled.parse().ok()?;
        rest = &frac[digits.len()..];
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    let civil = charger_protocol::time::CivilTime {
        year: y,
        month: u8::try_from(mo).ok()?,
        day: u8::try_from(d).ok()?,
        hour: u8::try_from(h).ok()?,
        minute: u8::try_from(mi).ok()?,
        second: u8::try_from(se).ok()?,
    };
    Some((civil.to_unix_secs() - offset_min * 60) * 1000 + ms)
}
