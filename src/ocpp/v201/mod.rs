//! The OCPP 2.0.1 charging station: the station as a 2.0.1 CSMS sees it. Pure and
//! time-injected, like the 1.6 charge point ([`crate::ocpp::chargepoint`]) beside it, whose
//! [`CoreAction`]s, outbox records and pending replies it shares, so one shell
//! ([`crate::ocpp::client`]) runs either.
//!
//! What it does, by functional block:
//! - **B Provisioning:** BootNotification (reason PowerUp, or Triggered), Accepted / Pending /
//!   Rejected with the CSMS's interval (clamped to `HeartbeatInterval`'s 1 s – 24 h), one
//!   registration per run and endpoint; Heartbeat; Reset Immediate / OnIdle (Scheduled while a
//!   transaction runs); GetVariables, SetVariables, GetBaseReport and GetReport (paged
//!   NotifyReport) on the [`device_model`].
//! - **C Authorization, D Local list** ([`authorization`]): Authorize for local starts,
//!   autocharge (a VIN travels as an idToken of type `Local` with additionalInfo type `VIN`:
//!   2.0.1 has no VIN token type) and AuthorizeRemoteStart; the CSMS's answers (Authorize,
//!   TransactionEvent) fill the authorization cache; SendLocalList, GetLocalListVersion,
//!   ClearCache. Offline, the list then the cache decide (`LocalAuthorizeOffline`), then
//!   `OfflineTxForUnknownIdEnabled`; a CALLERROR to Authorize is a refusal, not offline. A
//!   token's `evseId` list and `cacheExpiryDateTime` hold online and offline.
//!
//! Only the core of the version spoken sets the station's smart-charging limits
//! ([`ChargingStation::set_speaking`]); the other's profiles wait with it.
//! - **E Transactions:** TransactionEvent Started / Updated / Ended with `seqNo` counting from 0
//!   per transaction, `triggerReason`, `stoppedReason`, `chargingState`, `offline` when the
//!   event happened without an accepted connection, meter values at the start, periodically
//!   (`TxUpdatedInterval`), clock-aligned (`AlignedDataCtrlr.Interval`) and at the end. Every
//!   TransactionEvent goes through the outbox: persisted before it is sent, sent in order one
//!   at a time, removed only when answered, replayed after a reconnect or restart. The next
//!   `seqNo` of each running transaction is persisted (`v201_transactions`), so that a
//!   transaction the last run left open (kill -9, power loss) ends with the `seqNo` after the
//!   last one the CSMS saw.
//! - **F Remote control:** RequestStartTransaction (with its TxProfile) / RequestStopTransaction
//!   (the station decides: Accepted only when it took the command), UnlockConnector,
//!   TriggerMessage, GetTransactionStatus.
//! - **H Reservation** (`reservations`): ReserveNow, CancelReservation, expiry with
//!   ReservationStatusUpdate.
//! - **K Smart charging** (`smart`): Set/Clear/GetChargingProfiles, GetCompositeSchedule, on
//!   the profile store and limit planner 1.6 uses.
//! - **G Availability:** StatusNotification per EVSE and connector (Available, Occupied,
//!   Reserved, Unavailable, Faulted), ChangeAvailability per EVSE or for the station.
//! - **J Meter values:** MeterValues outside transactions (clock-aligned, triggered).
//! - **N (part):** a station fault raised or cleared is a NotifyEvent (hard-wired, trigger
//!   Alerting) on the component and variable the fault table names, techCode its vendor code.
//! - **P DataTransfer:** UnknownVendorId.
//! - **Security events** (part of A): SecurityEventNotification through the outbox, at most
//!   [`MAX_PENDING_SECURITY_EVENTS`] waiting; InvalidMessages for each malformed call.
//!
//! chargerd has one connector per EVSE: EVSE *n* is the station's connector *n*, its
//! connector 1. Transaction ids are the station's own (its journal's), in decimal.
//!
//! Every action 2.0.1 defines that is not handled here is answered `NotSupported`, never a
//! fake Accepted.

pub mod authorization;
mod calls;
pub mod device_model;
mod reservations;
mod smart;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::{v201, MessageId, OcppVersion, RpcConfig};
use charger_protocol::ocpp::{RpcEndpoint, RpcErrorCode};
use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chargepoint::{
    CoreAction, Endpoint, Identity, OutboxRecord, OutboxSeq, PendingReply, Registration, ReplyKind,
    StartDecision, Traffic, MAX_PENDING_SECURITY_EVENTS, NO_TRANSACTION,
};
use super::core::{next_inbound, Inbound, WallClock};
use super::meter::{MeterReading, ReadingContext};
use super::outbox::{Failure, Outbox};
use super::smart_charging::{AppliedLimits, ChargingProfile, ProfileStore};
use crate::station::{ConnectorStatus, StationCommand, StationEvent};
use device_model::{DeviceModel, Facts};

/// Registration retry when the CSMS gives an interval of 0.
const DEFAULT_BOOT_RETRY: Duration = Duration::from_secs(60);
/// The action of security events, counted apart in the outbox.
const SECURITY_EVENT: &str = "SecurityEventNotification";
/// The name the running transactions persist under.
const TRANSACTIONS_STATE: &str = "v201_transactions";
/// Longest idToken 2.0.1 carries.
const MAX_ID_TOKEN_LEN: usize = 36;

/// A CSMS call waiting for the station's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Waiting {
    RequestStart { connector: u32 },
    RequestStop,
    ChangeAvailability,
    ReserveNow(reservations::Reservation),
}

/// What an outgoing CALL was, to handle its answer.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Boot,
    Heartbeat,
    Outbox(u64),
    Authorize {
        token: v201::IdToken,
        purpose: Purpose,
    },
    /// A message whose answer changes nothing (statuses, reports, meter values).
    Plain,
}

/// Why an idToken is being authorized.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Purpose {
    /// A technician's (or a card reader's) start on this connector.
    LocalStart { connector: u32 },
    /// Autocharge: the truck's VIN on this connector.
    Vehicle { connector: u32 },
    /// RequestStartTransaction with AuthorizeRemoteStart set.
    RemoteStart { connector: u32 },
}

impl Purpose {
    fn connector(self) -> u32 {
        match self {
            Purpose::LocalStart { connector }
            | Purpose::Vehicle { connector }
            | Purpose::RemoteStart { connector } => connector,
        }
    }
}

/// A transaction as the station follows it, and as it is persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Transaction {
    local_id: i64,
    connector: u32,
    /// The id the CSMS knows it by.
    id: String,
    id_token: Option<v201::IdToken>,
    /// The seqNo the next TransactionEvent of this transaction carries.
    next_seq_no: i64,
    remote_start_id: Option<i64>,
    /// Wall time of its start (unix ms), for relative charging profiles.
    #[serde(default)]
    started_ms: i64,
    /// The reservation its start used up.
    #[serde(default)]
    reservation_id: Option<i64>,
    #[serde(skip)]
    charging_state: Option<v201::ChargingStateEnum>,
    #[serde(skip)]
    next_sample: Option<Timestamp>,
}

/// The last status of a connector, and whether the CSMS has it.
#[derive(Debug, Clone, PartialEq)]
struct KnownStatus {
    status: v201::ConnectorStatusEnum,
    at: Timestamp,
    sent: bool,
}

/// The OCPP 2.0.1 charging station. See the module documentation.
#[derive(Debug)]
pub struct ChargingStation {
    identity: Identity,
    model: DeviceModel,
    rpc: RpcEndpoint,
    connected: bool,
    registration: Registration,
    endpoint: Option<Endpoint>,
    registered_at: Option<Endpoint>,
    boot_due: Option<Timestamp>,
    boot_reason: v201::BootReasonEnum,
    heartbeat_due: Option<Timestamp>,
    clock: WallClock,
    now: Timestamp,
    evses: u32,
    statuses: BTreeMap<u32, KnownStatus>,
    /// connector → running transaction.
    running: BTreeMap<u32, Transaction>,
    /// Transactions restored from the last run, by station id, until their end arrives.
    restored: BTreeMap<i64, Transaction>,
    /// A RequestStartTransaction the station took, until its transaction starts: connector →
    /// (remoteStartId, idToken, its TxProfile).
    remote_starts: BTreeMap<u32, (i64, v201::IdToken, Option<ChargingProfile>)>,
    local_list: authorization::LocalList,
    cache: authorization::AuthCache,
    /// Reservations by id.
    reservations: BTreeMap<i64, reservations::Reservation>,
    profiles: ProfileStore,
    applied_limits: AppliedLimits,
    limits_due: Option<Timestamp>,
    /// Whether 2.0.1 is the version spoken: only that core sets the station's limits.
    speaking: bool,
    /// The idToken (with its type) a start on a connector was authorized with.
    start_tokens: BTreeMap<u32, v201::IdToken>,
    outbox: Outbox,
    /// Security events dropped because too many waited unsent (a CSMS flooding malformed
    /// frames must not grow the journal without bound), and how many wait, spilled ones
    /// included: those of the last run in the window when it was restored, and this run's.
    security_events_dropped: u64,
    security_events_waiting: usize,
    /// The last NotifyEvent eventId.
    next_event_id: i64,
    in_flight: BTreeMap<String, Sent>,
    actions: VecDeque<CoreAction>,
    readings: BTreeMap<u32, MeterReading>,
    aligned_due: Option<Timestamp>,
    /// Reset OnIdle accepted: reset when the last transaction ends.
    reset_when_idle: bool,
    refused_starts: Vec<(u32, String, String)>,
    traffic: Traffic,
}

impl ChargingStation {
    pub fn new(
        identity: Identity,
        facts: Facts,
        rpc_config: RpcConfig,
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Self {
        let evses = facts.evses;
        ChargingStation {
            identity,
            model: DeviceModel::new(facts),
            rpc: RpcEndpoint::new(OcppVersion::V201, rpc_config),
            connected: false,
            registration: Registration::Unknown,
            endpoint: None,
            registered_at: None,
            boot_due: None,
            boot_reason: v201::BootReasonEnum::PowerUp,
            heartbeat_due: None,
            clock: WallClock::new(unix_ms_now, now),
            now,
            evses,
            statuses: BTreeMap::new(),
            running: BTreeMap::new(),
            restored: BTreeMap::new(),
            remote_starts: BTreeMap::new(),
            local_list: authorization::LocalList::default(),
            cache: authorization::AuthCache::default(),
            reservations: BTreeMap::new(),
            profiles: ProfileStore::default(),
            applied_limits: AppliedLimits::default(),
            limits_due: None,
            speaking: false,
            start_tokens: BTreeMap::new(),
            outbox: Outbox::new(OcppVersion::V201),
            security_events_dropped: 0,
            security_events_waiting: 0,
            next_event_id: 0,
            in_flight: BTreeMap::new(),
            actions: VecDeque::new(),
            readings: BTreeMap::new(),
            aligned_due: None,
            reset_when_idle: false,
            refused_starts: Vec::new(),
            traffic: Traffic::default(),
        }
    }

    // ----- what the shell reads -----------------------------------------------------------------

    pub fn registration(&self) -> Registration {
        self.registration
    }

    pub fn connected(&self) -> bool {
        self.connected
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    pub fn model(&self) -> &DeviceModel {
        &self.model
    }

    /// Unanswered records, refused ones included.
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    pub fn refused_count(&self) -> usize {
        self.outbox.refused_count()
    }

    /// Whether 2.0.1 is the version spoken. Becoming it, the core's limits are applied
    /// afresh (the other version's core had the station's limits meanwhile).
    pub fn set_speaking(&mut self, speaking: bool, now: Timestamp) {
        if speaking && !self.speaking {
            self.applied_limits = AppliedLimits::default();
            self.limits_due = Some(now);
        }
        self.speaking = speaking;
    }

    /// Whether the station's transaction `local` is this version's (running, or left open by
    /// the last run).
    pub fn owns_transaction(&self, local: i64) -> bool {
        self.running.values().any(|t| t.local_id == local) || self.restored.contains_key(&local)
    }

    /// What binds the station to 2.0.1 for now: records waiting to be sent (not refused) and
    /// running transactions.
    pub fn waiting(&self) -> usize {
        self.outbox.waiting() + self.running.len()
    }

    /// The device model for `chargerctl config get`: (name, value, read-only), named
    /// `Component[:evse]/Variable[/instance]`.
    pub fn variables(&self) -> Vec<(String, Option<String>, bool)> {
        self.model
            .definitions()
            .iter()
            .map(|d| {
                (
                    device_model::display_name(&d.address),
                    self.model.value(&d.address),
                    !d.writable,
                )
            })
            .collect()
    }

    /// `chargerctl config set` on a variable named as [`variables`](Self::variables) lists
    /// it: the same checks and persistence as SetVariables.
    pub fn local_set_variable(
        &mut self,
        name: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        self.now = self.now.max(now);
        let Some(d) = self
            .model
            .definitions()
            .iter()
            .find(|d| device_model::display_name(&d.address) == name)
            .cloned()
        else {
            return Err(format!(
                "{name}: no such variable (chargerctl config get lists them)"
            ));
        };
        match self.model.set(&d, value) {
            Ok(changed) => {
                if changed {
                    self.actions.push_back(CoreAction::SaveState {
                        name: device_model::STATE_NAME,
                        value: self.model.to_json(),
                    });
                }
                Ok(())
            }
            Err(device_model::SetRefused::Rejected) if !d.writable => {
                Err(format!("{name} is read-only"))
            }
            Err(_) => Err(format!(
                "{name}: {value:?} is out of range or of the wrong type"
            )),
        }
    }

    /// Each connector's rating (A, W), reported as EVSE.Power.
    pub fn set_ratings(&mut self, ratings: Vec<(u32, f64, f64)>) {
        self.model.live.ratings = ratings.into_iter().map(|(c, a, w)| (c, (a, w))).collect();
    }

    /// Local starts the CSMS refused: (connector, id tag, why).
    pub fn take_refused_starts(&mut self) -> Vec<(u32, String, String)> {
        std::mem::take(&mut self.refused_starts)
    }

    pub fn poll_action(&mut self) -> Option<CoreAction> {
        self.actions.pop_front()
    }

    // ----- restore ------------------------------------------------------------------------------

    /// This version's outbox records from the last run (the first ones, up to
    /// [`crate::ocpp::outbox::OUTBOX_WINDOW`]), how many more wait on disk, and the highest
    /// sequence number of any version.
    pub fn restore_outbox(&mut self, records: Vec<OutboxRecord>, more: usize, max_seq: u64) {
        self.security_events_waiting = records
            .iter()
            .filter(|r| !r.refused && r.action == SECURITY_EVENT)
            .count();
        self.outbox.restore(records, more, max_seq);
    }

    /// Take sequence numbers from the counter the 1.6 core uses (see [`OutboxSeq`]).
    pub fn share_outbox_seq(&mut self, seq: OutboxSeq) {
        self.outbox.share_seq(seq);
    }

    /// Records the shell loaded for [`CoreAction::OutboxLoad`], in order.
    pub fn outbox_loaded(&mut self, records: Vec<OutboxRecord>) {
        self.outbox.loaded(records);
    }

    pub fn outbox_load_failed(&mut self) {
        self.outbox.load_failed();
    }

    /// State persisted in the last run: the device model's writable variables, the running
    /// transactions. What does not read back is logged and said as a security event.
    pub fn restore_state(&mut self, name: &str, value: &Value) {
        let problem = match name {
            device_model::STATE_NAME => {
                let dropped = self.model.restore(value);
                (!dropped.is_empty()).then(|| format!("dropped: {}", dropped.join(", ")))
            }
            smart::STATE_NAME => self.restore_profiles(value),
            authorization::LIST_STATE => {
                match serde_json::from_value::<authorization::LocalList>(value.clone()) {
                    Ok(list) if list.within_bounds() => {
                        self.local_list = list;
                        self.model.live.local_list_entries = self.local_list.len();
                        None
                    }
                    Ok(_) => Some("more entries than LocalAuthListCtrlr allows".into()),
                    Err(e) => Some(e.to_string()),
                }
            }
            authorization::CACHE_STATE => {
                match serde_json::from_value::<authorization::AuthCache>(value.clone()) {
                    Ok(mut cache) => {
                        cache.trim();
                        self.cache = cache;
                        None
                    }
                    Err(e) => Some(e.to_string()),
                }
            }
            TRANSACTIONS_STATE => match serde_json::from_value::<Vec<Transaction>>(value.clone()) {
                Ok(list) => {
                    for t in list {
                        self.restored.insert(t.local_id, t);
                    }
                    None
                }
                Err(e) => Some(e.to_string()),
            },
            _ => Some("unknown state".into()),
        };
        if let Some(why) = problem {
            tracing::warn!(name, why, "persisted OCPP 2.0.1 state not (fully) restored");
            let now = self.now;
            self.security_event(
                "InvalidPersistedSetting",
                Some(format!("{name}: {why}")),
                now,
            );
        }
    }

    // ----- time ---------------------------------------------------------------------------------

    fn unix_ms(&self, now: Timestamp) -> i64 {
        self.clock.unix_ms(now)
    }

    fn instant_of(&self, unix_ms: i64, now: Timestamp) -> Timestamp {
        self.clock.instant_of(unix_ms, now)
    }

    fn wall_time(&self, at: Timestamp) -> DateTime {
        self.clock.date_time(at)
    }

    fn note_traffic(&mut self, direction: &str, what: &str) {
        let wall = crate::wall_time::rfc3339_utc(self.unix_ms(self.now));
        let recent = &mut self.traffic.recent;
        if recent.len() >= 20 {
            recent.pop_front();
        }
        recent.push_back((direction.to_string(), what.to_string(), wall));
    }

    /// Take the CSMS's clock; a large step is a security event.
    fn set_clock(&mut self, current_time: DateTime, now: Timestamp) {
        // Profiles are wall-clock schedules: recompute them on the clock taken.
        self.limits_due = Some(now);
        if let Some(step) = self.clock.take_csms_time(current_time, now) {
            self.security_event(
                "SettingSystemTime",
                Some(format!("clock stepped by {} s", step / 1000)),
                now,
            );
            self.aligned_due = None;
        }
    }

    // ----- the link -----------------------------------------------------------------------------

    /// The link is up to `endpoint`, speaking 2.0.1. As in 1.6, one registration per run and
    /// endpoint: a reconnect to the endpoint that accepted us re-sends the statuses instead.
    pub fn on_connected(&mut self, endpoint: Endpoint, now: Timestamp) {
        self.now = self.now.max(now);
        self.connected = true;
        let _ = self.rpc.reset();
        self.in_flight.clear();
        let registered = self.registration == Registration::Accepted
            && self.registered_at.as_ref() == Some(&endpoint);
        if registered {
            self.resend_statuses();
            self.heartbeat_due = Some(now + self.heartbeat_interval());
        } else {
            self.registration = Registration::Unknown;
            self.boot_due = Some(now);
        }
        self.endpoint = Some(endpoint);
        self.outbox.ready_at = Some(now);
    }

    pub fn on_disconnected(&mut self, _now: Timestamp) {
        self.connected = false;
        let _ = self.rpc.reset();
        let in_flight = std::mem::take(&mut self.in_flight);
        for sent in in_flight.into_values() {
            if let Sent::Authorize { token, purpose } = sent {
                self.decide_offline(&token, purpose);
            }
        }
        self.heartbeat_due = None;
    }

    pub fn on_text(&mut self, text: &str, now: Timestamp) {
        self.now = self.now.max(now);
        self.rpc.handle_text(text, now);
        self.pump(now);
    }

    pub fn poll_text(&mut self, now: Timestamp) -> Option<String> {
        if !self.connected {
            return None;
        }
        self.rpc.poll_transmit(now)
    }

    /// Whether a session holds the connector, in either version: its status is Occupied.
    fn busy(&self, connector: u32) -> bool {
        self.running.contains_key(&connector)
            || self
                .statuses
                .get(&connector)
                .is_some_and(|k| k.status == v201::ConnectorStatusEnum::Occupied)
    }

    fn accepted(&self) -> bool {
        self.connected && self.registration == Registration::Accepted
    }

    fn heartbeat_interval(&self) -> Duration {
        self.model
            .settings
            .heartbeat_interval
            .max(Duration::from_secs(1))
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let samples = self.running.values().filter_map(|t| t.next_sample).min();
        let outbox_waiting = self.accepted()
            && !self
                .in_flight
                .values()
                .any(|s| matches!(s, Sent::Outbox(_)))
            && self.outbox.waiting() > 0;
        [
            self.boot_due
                .filter(|_| self.connected && self.registration != Registration::Accepted),
            self.heartbeat_due.filter(|_| self.accepted()),
            self.outbox.ready_at.filter(|_| outbox_waiting),
            self.rpc.poll_timeout(),
            samples,
            self.aligned_due,
            self.limits_due,
            self.next_reservation_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn update(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        self.rpc.update(now);
        self.pump(now);
        self.expire_reservations(now);
        self.update_limits(now);
        self.sample_meters(now);
        self.model.live.unix_ms = self.unix_ms(now);
        if !self.connected {
            return;
        }
        if self.registration != Registration::Accepted {
            if self.boot_due.is_some_and(|t| now >= t)
                && !self.in_flight.values().any(|s| *s == Sent::Boot)
            {
                self.boot_due = None;
                let boot = self.boot_request();
                self.send(boot, Sent::Boot);
            }
            return;
        }
        if self.heartbeat_due.is_some_and(|t| now >= t) {
            self.heartbeat_due = Some(now + self.heartbeat_interval());
            if !self.in_flight.values().any(|s| *s == Sent::Heartbeat) {
                self.send(
                    v201::HeartbeatRequest { custom_data: None },
                    Sent::Heartbeat,
                );
            }
        }
        self.send_statuses();
        self.send_outbox_head(now);
    }

    fn boot_request(&self) -> v201::BootNotificationRequest {
        v201::BootNotificationRequest {
            charging_station: v201::ChargingStation {
                custom_data: None,
                firmware_version: Some(truncate(&self.identity.firmware_version, 50)),
                model: truncate(&self.identity.model, 20),
                modem: None,
                serial_number: self
                    .identity
                    .serial_number
                    .as_deref()
                    .map(|s| truncate(s, 25)),
                vendor_name: truncate(&self.identity.vendor, 50),
            },
            custom_data: None,
            reason: self.boot_reason,
        }
    }

    // ----- sending ------------------------------------------------------------------------------

    fn send(&mut self, request: impl Into<v201::Request>, what: Sent) {
        let request = request.into();
        match request.to_payload() {
            Ok(payload) => {
                let action = request.action().as_str();
                match self.rpc.call(action, payload) {
                    Ok(id) => {
                        self.note_traffic("→", action);
                        self.in_flight.insert(id.as_str().to_string(), what);
                    }
                    Err(e) => {
                        tracing::error!(action, error = %e, "OCPP call refused by the RPC layer")
                    }
                }
            }
            Err(e) => tracing::error!(action = request.action().as_str(), error = %e,
                "OCPP call could not be written"),
        }
    }

    fn send_if_accepted(&mut self, request: impl Into<v201::Request>) {
        if self.accepted() {
            self.send(request, Sent::Plain);
        }
    }

    fn reply(&mut self, id: &MessageId, response: impl Into<v201::Response>) {
        match response.into().to_payload() {
            Ok(payload) => {
                if let Err(e) = self.rpc.respond(id, payload) {
                    tracing::warn!(error = %e, "OCPP reply not sent");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "OCPP reply could not be written");
                let _ = self.rpc.respond_error(
                    id,
                    RpcErrorCode::InternalError,
                    "reply could not be written",
                );
            }
        }
    }

    /// Queue a message in the outbox (persisted first, sent in order).
    fn enqueue(&mut self, request: impl Into<v201::Request>, local_transaction_id: i64) {
        let request = request.into();
        match request.to_payload() {
            Ok(payload) => {
                let record =
                    self.outbox
                        .push(request.action().as_str(), payload, local_transaction_id);
                self.actions.push_back(CoreAction::OutboxPut(record));
            }
            Err(e) => tracing::error!(action = request.action().as_str(), error = %e,
                "transaction message could not be written"),
        }
    }

    fn send_outbox_head(&mut self, now: Timestamp) {
        if self
            .in_flight
            .values()
            .any(|s| matches!(s, Sent::Outbox(_)))
            || self.outbox.ready_at.is_some_and(|t| now < t)
        {
            return;
        }
        if let Some(load) = self.outbox.refill() {
            self.actions.push_back(load);
        }
        let Some(head) = self.outbox.head().cloned() else {
            return;
        };
        match self.rpc.call(&head.action, head.payload.clone()) {
            Ok(id) => {
                self.note_traffic("→", &head.action);
                self.in_flight
                    .insert(id.as_str().to_string(), Sent::Outbox(head.seq));
            }
            Err(e) => tracing::error!(action = %head.action, error = %e,
                "outbox message refused by the RPC layer"),
        }
    }

    /// The outbox record `seq` got no answer (`refused`: a CALLERROR, else a timeout or a
    /// lost link): retried after `MessageAttemptInterval × attempt`; after `MessageAttempts`
    /// refusals it is kept aside, never deleted.
    fn outbox_failed(&mut self, seq: u64, refused: bool, now: Timestamp) {
        let attempts = self.model.settings.message_attempts;
        let retry = self.model.settings.message_attempt_interval;
        match self.outbox.failed(seq, refused, attempts, retry, now) {
            Failure::KeptAside(record) => {
                tracing::error!(seq, action = %record.action, "message kept aside after refusals");
                if record.action == SECURITY_EVENT {
                    self.security_events_waiting = self.security_events_waiting.saturating_sub(1);
                }
                self.actions.push_back(CoreAction::OutboxRefused(record));
            }
            Failure::Refused(record) => self.actions.push_back(CoreAction::OutboxPut(record)),
            Failure::Unanswered | Failure::Unknown => {}
        }
    }

    /// A security event (Security Whitepaper list, as in 1.6), delivered through the outbox.
    pub fn security_event(&mut self, kind: &str, tech_info: Option<String>, now: Timestamp) {
        let waiting = self.security_events_waiting;
        if waiting >= MAX_PENDING_SECURITY_EVENTS {
            self.security_events_dropped = self.security_events_dropped.saturating_add(1);
            tracing::warn!(
                kind,
                waiting,
                "security event dropped: too many wait unsent"
            );
            return;
        }
        let event = v201::SecurityEventNotificationRequest {
            custom_data: None,
            tech_info: tech_info.map(|t| truncate(&t, 255)),
            timestamp: self.wall_time(now),
            r#type: kind.to_string(),
        };
        self.security_events_waiting = self.security_events_waiting.saturating_add(1);
        self.enqueue(event, NO_TRANSACTION);
    }

    // ----- statuses -----------------------------------------------------------------------------

    fn resend_statuses(&mut self) {
        for known in self.statuses.values_mut() {
            known.sent = false;
        }
    }

    fn send_statuses(&mut self) {
        let unsent: Vec<(u32, KnownStatus)> = self
            .statuses
            .iter()
            .filter(|(_, k)| !k.sent)
            .map(|(id, k)| (*id, k.clone()))
            .collect();
        for (evse, known) in unsent {
            if let Some(k) = self.statuses.get_mut(&evse) {
                k.sent = true;
            }
            let status = v201::StatusNotificationRequest {
                connector_id: 1,
                connector_status: known.status,
                custom_data: None,
                evse_id: i64::from(evse),
                timestamp: self.wall_time(known.at),
            };
            self.send(status, Sent::Plain);
        }
    }

    // ----- station events -----------------------------------------------------------------------

    pub fn on_station_event(&mut self, event: &StationEvent, now: Timestamp) {
        self.now = self.now.max(now);
        match event {
            StationEvent::StatusChanged {
                connector,
                status,
                at,
                ..
            } => {
                let wire = connector_status(*status);
                self.model
                    .live
                    .availability
                    .insert(*connector, wire.as_str());
                if self.statuses.get(connector).map(|k| k.status) != Some(wire) {
                    self.statuses.insert(
                        *connector,
                        KnownStatus {
                            status: wire,
                            at: *at,
                            sent: false,
                        },
                    );
                }
                self.charging_state_changed(*connector, *status, *at);
            }
            StationEvent::TransactionStarted(t) => self.transaction_started(t),
            StationEvent::TransactionStopped(t) => self.transaction_stopped(t, now),
            StationEvent::FaultRaised {
                connector,
                fault,
                at,
            } => self.fault_event(*connector, fault, false, *at),
            StationEvent::FaultCleared {
                connector,
                fault,
                at,
            } => self.fault_event(*connector, fault, true, *at),
            StationEvent::VehicleIdentified { connector, vin, .. } => {
                let token = vin_token(vin);
                self.authorize(
                    token,
                    Purpose::Vehicle {
                        connector: *connector,
                    },
                );
            }
            _ => {}
        }
    }

    /// A fault raised or cleared is a NotifyEvent (N, a hard-wired notification: no monitor
    /// needed) on the component and variable the fault table names for it, with its vendor
    /// code as techCode. Sent while the CSMS has us registered; a fault raised offline is
    /// told by the StatusNotification (Faulted) sent on reconnecting.
    fn fault_event(
        &mut self,
        connector: u32,
        fault: &crate::station::Fault,
        cleared: bool,
        at: Timestamp,
    ) {
        let report = fault.report();
        self.next_event_id = self.next_event_id.wrapping_add(1) & i64::MAX;
        let transaction_id = self.running.get(&connector).map(|t| t.id.clone());
        let event = v201::EventData {
            actual_value: (!cleared).to_string(),
            cause: None,
            cleared: Some(cleared),
            component: v201::Component {
                custom_data: None,
                evse: (connector > 0).then(|| v201::EVSE {
                    connector_id: None,
                    custom_data: None,
                    id: i64::from(connector),
                }),
                instance: None,
                name: report.component.into(),
            },
            custom_data: None,
            event_id: self.next_event_id,
            event_notification_type: v201::EventNotificationEnum::HardWiredNotification,
            tech_code: Some(report.vendor_error_code.into()),
            tech_info: Some(truncate(&fault.to_string(), 500)),
            timestamp: self.wall_time(at),
            transaction_id,
            trigger: v201::EventTriggerEnum::Alerting,
            variable: v201::Variable {
                custom_data: None,
                instance: None,
                name: report.variable.into(),
            },
            variable_monitoring_id: None,
        };
        self.send_if_accepted(v201::NotifyEventRequest {
            custom_data: None,
            event_data: vec![event],
            generated_at: self.wall_time(at),
            seq_no: 0,
            tbc: Some(false),
        });
    }

    fn transaction_started(&mut self, t: &crate::station::TransactionStart) {
        let remote = self
            .remote_starts
            .remove(&t.connector)
            .filter(|(_, token, _)| token.id_token == truncate(&t.id_tag, MAX_ID_TOKEN_LEN));
        let token = remote
            .as_ref()
            .map(|(_, token, _)| token.clone())
            .or_else(|| self.start_tokens.remove(&t.connector))
            .filter(|token| token.id_token == truncate(&t.id_tag, MAX_ID_TOKEN_LEN))
            .unwrap_or_else(|| local_token(&t.id_tag));
        let transaction = Transaction {
            local_id: t.transaction_id,
            connector: t.connector,
            id: t.transaction_id.to_string(),
            id_token: Some(token),
            next_seq_no: 0,
            remote_start_id: remote.as_ref().map(|(id, _, _)| *id),
            started_ms: self.unix_ms(t.at),
            reservation_id: self
                .take_reservation_for(t.connector, &truncate(&t.id_tag, MAX_ID_TOKEN_LEN)),
            charging_state: Some(v201::ChargingStateEnum::EVConnected),
            next_sample: None,
        };
        let trigger = if remote.is_some() {
            v201::TriggerReasonEnum::RemoteStart
        } else {
            v201::TriggerReasonEnum::Authorized
        };
        let begin = self.energy_value(
            t.meter_start_wh,
            None,
            v201::ReadingContextEnum::TransactionBegin,
            t.at,
        );
        self.running.insert(t.connector, transaction);
        let profile = remote.and_then(|(_, _, profile)| profile);
        self.transaction_started_profiles(t.connector, profile, t.at);
        self.transaction_event(
            t.connector,
            v201::TransactionEventEnum::Started,
            trigger,
            Some(vec![begin]),
            None,
            t.at,
        );
    }

    fn transaction_stopped(&mut self, t: &crate::station::TransactionStop, now: Timestamp) {
        let known = self
            .running
            .get(&t.connector)
            .is_some_and(|r| r.local_id == t.transaction_id);
        if !known {
            // A transaction the last run left open: it ends with the seqNo after the last one
            // persisted. One the CSMS never heard of (no persisted state) ends unreported.
            match self.restored.remove(&t.transaction_id) {
                Some(r) => {
                    self.running.insert(t.connector, r);
                }
                None => {
                    tracing::warn!(
                        transaction = t.transaction_id,
                        "end of a transaction OCPP 2.0.1 never started; not reported"
                    );
                    return;
                }
            }
        }
        let (trigger, stopped) = stop_reasons(&t.reason);
        let end = self.energy_value(
            t.meter_stop_wh,
            t.soc_percent,
            v201::ReadingContextEnum::TransactionEnd,
            t.at,
        );
        if let Some(r) = self.running.get_mut(&t.connector) {
            r.charging_state = None;
        }
        self.transaction_event(
            t.connector,
            v201::TransactionEventEnum::Ended,
            trigger,
            Some(vec![end]),
            Some(stopped),
            t.at,
        );
        self.running.remove(&t.connector);
        self.transaction_ended_profiles(t.connector, now);
        self.save_transactions();
        if self.reset_when_idle && (1..=self.evses).all(|c| !self.busy(c) || c == t.connector) {
            self.reset_when_idle = false;
            self.actions.push_back(CoreAction::Reset { hard: false });
        }
    }

    /// A change of the connector's status that changes the charging state of its transaction
    /// is an Updated event (ChargingStateChanged).
    fn charging_state_changed(&mut self, connector: u32, status: ConnectorStatus, at: Timestamp) {
        let Some(state) = charging_state(status) else {
            return;
        };
        let Some(t) = self.running.get_mut(&connector) else {
            return;
        };
        if t.charging_state == Some(state) {
            return;
        }
        t.charging_state = Some(state);
        self.transaction_event(
            connector,
            v201::TransactionEventEnum::Updated,
            v201::TriggerReasonEnum::ChargingStateChanged,
            None,
            None,
            at,
        );
    }

    /// Queue the next TransactionEvent of the transaction on `connector` (which must run).
    fn transaction_event(
        &mut self,
        connector: u32,
        event_type: v201::TransactionEventEnum,
        trigger_reason: v201::TriggerReasonEnum,
        meter_value: Option<Vec<v201::MeterValue>>,
        stopped_reason: Option<v201::ReasonEnum>,
        at: Timestamp,
    ) {
        let offline = !self.accepted();
        let timestamp = self.wall_time(at);
        let Some(t) = self.running.get_mut(&connector) else {
            return;
        };
        let started = event_type == v201::TransactionEventEnum::Started;
        let event = v201::TransactionEventRequest {
            cable_max_current: None,
            custom_data: None,
            event_type,
            evse: started.then(|| v201::EVSE {
                connector_id: Some(1),
                custom_data: None,
                id: i64::from(connector),
            }),
            id_token: started.then(|| t.id_token.clone()).flatten(),
            meter_value,
            number_of_phases_used: None,
            offline: offline.then_some(true),
            reservation_id: started.then_some(t.reservation_id).flatten(),
            seq_no: t.next_seq_no,
            timestamp,
            transaction_info: v201::Transaction {
                charging_state: t.charging_state,
                custom_data: None,
                remote_start_id: started.then_some(t.remote_start_id).flatten(),
                stopped_reason,
                time_spent_charging: None,
                transaction_id: t.id.clone(),
            },
            trigger_reason,
        };
        t.next_seq_no = t.next_seq_no.saturating_add(1);
        let local = t.local_id;
        self.enqueue(event, local);
        self.save_transactions();
    }

    /// Persist the running transactions and their next seqNo.
    fn save_transactions(&mut self) {
        let list: Vec<&Transaction> = self.running.values().collect();
        match serde_json::to_value(&list) {
            Ok(value) => self.actions.push_back(CoreAction::SaveState {
                name: TRANSACTIONS_STATE,
                value,
            }),
            Err(e) => tracing::error!(error = %e, "transactions could not be written"),
        }
    }

    // ----- meters -------------------------------------------------------------------------------

    fn energy_value(
        &self,
        wh: f64,
        soc: Option<f32>,
        context: v201::ReadingContextEnum,
        at: Timestamp,
    ) -> v201::MeterValue {
        let mut sampled = vec![sampled(
            wh.max(0.0).round(),
            context,
            v201::MeasurandEnum::EnergyActiveImportRegister,
            "Wh",
        )];
        if let Some(soc) = soc {
            sampled.push(sampled_soc(soc, context));
        }
        v201::MeterValue {
            custom_data: None,
            sampled_value: sampled,
            timestamp: self.wall_time(at),
        }
    }

    fn meter_value(
        &self,
        r: &MeterReading,
        context: v201::ReadingContextEnum,
        at: Timestamp,
    ) -> v201::MeterValue {
        let power = f64::from(r.voltage) * f64::from(r.current);
        let mut values = vec![
            sampled(
                r.energy_wh.max(0.0).round(),
                context,
                v201::MeasurandEnum::EnergyActiveImportRegister,
                "Wh",
            ),
            sampled(
                round1(power),
                context,
                v201::MeasurandEnum::PowerActiveImport,
                "W",
            ),
            sampled(
                round1(f64::from(r.current)),
                context,
                v201::MeasurandEnum::CurrentImport,
                "A",
            ),
            sampled(
                round1(f64::from(r.voltage)),
                context,
                v201::MeasurandEnum::Voltage,
                "V",
            ),
        ];
        if let Some(soc) = r.soc_percent {
            values.push(sampled_soc(soc, context));
        }
        v201::MeterValue {
            custom_data: None,
            sampled_value: values,
            timestamp: self.wall_time(at),
        }
    }

    /// Ask the shell for the readings that are due.
    fn sample_meters(&mut self, now: Timestamp) {
        let interval = self.model.settings.tx_updated_interval;
        let mut periodic = Vec::new();
        for (connector, t) in self.running.iter_mut() {
            if interval.is_zero() {
                t.next_sample = None;
                continue;
            }
            let due = *t.next_sample.get_or_insert(now + interval);
            if now >= due {
                t.next_sample = Some(now + interval);
                periodic.push(*connector);
            }
        }
        if !periodic.is_empty() {
            self.actions.push_back(CoreAction::ReadMeters {
                connectors: periodic,
                context: ReadingContext::Periodic,
            });
        }
        let aligned = self.model.settings.aligned_interval;
        if aligned.is_zero() {
            self.aligned_due = None;
            return;
        }
        let step = i64::try_from(aligned.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let next_grid = |unix: i64| unix.div_euclid(step).saturating_add(1).saturating_mul(step);
        match self.aligned_due {
            None => {
                let at = next_grid(self.unix_ms(now));
                self.aligned_due = Some(self.instant_of(at, now));
            }
            Some(due) if now >= due => {
                let at = next_grid(self.unix_ms(now));
                self.aligned_due = Some(self.instant_of(at, now));
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors: (1..=self.evses).collect(),
                    context: ReadingContext::Clock,
                });
            }
            Some(_) => {}
        }
    }

    /// The readings the shell took for a [`CoreAction::ReadMeters`]: in a transaction an
    /// Updated event, outside one a MeterValues message.
    pub fn on_meter_readings(
        &mut self,
        readings: Vec<MeterReading>,
        context: ReadingContext,
        now: Timestamp,
    ) {
        self.now = self.now.max(now);
        for r in readings {
            self.model.live.thermal.insert(
                r.connector,
                (
                    r.pin_temperature_c,
                    r.coolant_temperature_c,
                    r.offered_current,
                ),
            );
            let (wire_context, trigger) = match context {
                ReadingContext::Periodic => (
                    v201::ReadingContextEnum::SamplePeriodic,
                    v201::TriggerReasonEnum::MeterValuePeriodic,
                ),
                ReadingContext::Clock => (
                    v201::ReadingContextEnum::SampleClock,
                    v201::TriggerReasonEnum::MeterValueClock,
                ),
                ReadingContext::Trigger => (
                    v201::ReadingContextEnum::Trigger,
                    v201::TriggerReasonEnum::Trigger,
                ),
            };
            let value = self.meter_value(&r, wire_context, now);
            let in_transaction = self
                .running
                .get(&r.connector)
                .is_some_and(|t| Some(t.local_id) == r.transaction_id);
            if in_transaction {
                self.transaction_event(
                    r.connector,
                    v201::TransactionEventEnum::Updated,
                    trigger,
                    Some(vec![value]),
                    None,
                    now,
                );
            } else if context != ReadingContext::Periodic {
                self.send_if_accepted(v201::MeterValuesRequest {
                    custom_data: None,
                    evse_id: i64::from(r.connector),
                    meter_value: vec![value],
                });
            }
            self.readings.insert(r.connector, r);
        }
    }

    // ----- authorization ------------------------------------------------------------------------

    /// A start with an id tag from the station side (`chargerctl start --id-tag`).
    pub fn authorize_start(
        &mut self,
        connector: u32,
        id_tag: &str,
        now: Timestamp,
    ) -> StartDecision {
        self.now = self.now.max(now);
        if connector == 0 || connector > self.evses {
            return StartDecision::Refused(format!("no connector {connector}"));
        }
        let token = local_token(id_tag);
        if self.accepted() {
            self.send_authorize(token, Purpose::LocalStart { connector });
            return StartDecision::Asking;
        }
        match self.offline_decision(&token, connector) {
            Ok(()) => {
                self.start_tokens.insert(connector, token.clone());
                StartDecision::Start(StationCommand::Start {
                    connector,
                    id_tag: Some(token.id_token),
                })
            }
            Err(why) => StartDecision::Refused(format!("id tag {id_tag}: {why}")),
        }
    }

    fn authorize(&mut self, token: v201::IdToken, purpose: Purpose) {
        if self.accepted() {
            self.send_authorize(token, purpose);
        } else {
            self.decide_offline(&token, purpose);
        }
    }

    fn send_authorize(&mut self, token: v201::IdToken, purpose: Purpose) {
        let request = v201::AuthorizeRequest {
            certificate: None,
            custom_data: None,
            id_token: token.clone(),
            iso15118_certificate_hash_data: None,
        };
        self.send(request, Sent::Authorize { token, purpose });
    }

    /// No answer from the CSMS: the local list, the cache, then `OfflineTxForUnknownIdEnabled`
    /// decide ([`Self::offline_decision`]).
    fn decide_offline(&mut self, token: &v201::IdToken, purpose: Purpose) {
        match self.offline_decision(token, purpose.connector()) {
            Ok(()) => self.auth_accepted(token, purpose),
            Err(why) => self.auth_refused(token, purpose, &why),
        }
    }

    /// Without the CSMS: the local list, then the cache (`LocalAuthorizeOffline`), then
    /// `OfflineTxForUnknownIdEnabled` for a token neither knows.
    fn offline_decision(&mut self, token: &v201::IdToken, evse: u32) -> Result<(), String> {
        use authorization::Known;
        if self.model.settings.local_authorize_offline {
            let now_ms = self.unix_ms(self.now);
            // The list decides a token it holds; the cache only one the list does not.
            let known = match self.local_list.lookup(token, evse, now_ms) {
                Known::Unknown => self.cache.lookup(token, evse, now_ms),
                known => known,
            };
            match known {
                Known::Accepted => return Ok(()),
                Known::Refused(status) => {
                    return Err(format!("{status:?} (local list or cache, offline)"))
                }
                Known::NotForThisEvse => {
                    return Err(format!("not allowed on EVSE {evse} (local list or cache)"))
                }
                Known::Unknown => {}
            }
        }
        if self.model.settings.offline_tx_for_unknown_id {
            Ok(())
        } else {
            Err(
                "the CSMS is not reachable, the token is in neither the local list nor the \
                 cache, and OfflineTxForUnknownIdEnabled is false"
                    .into(),
            )
        }
    }

    /// Keep the CSMS's word on a token in the cache (persisted).
    fn remember(&mut self, token: &v201::IdToken, info: &v201::IdTokenInfo) {
        self.cache.update(token, info);
        self.save_cache();
    }

    fn save_cache(&mut self) {
        match serde_json::to_value(&self.cache) {
            Ok(value) => self.actions.push_back(CoreAction::SaveState {
                name: authorization::CACHE_STATE,
                value,
            }),
            Err(e) => tracing::error!(error = %e, "authorization cache could not be written"),
        }
    }

    fn auth_accepted(&mut self, token: &v201::IdToken, purpose: Purpose) {
        let connector = purpose.connector();
        tracing::info!(connector, id_token = %token.id_token, ?purpose, "idToken authorized");
        self.start_tokens.insert(connector, token.clone());
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Start {
                connector,
                id_tag: Some(token.id_token.clone()),
            },
            reply: None,
        });
    }

    fn auth_refused(&mut self, token: &v201::IdToken, purpose: Purpose, why: &str) {
        tracing::info!(connector = purpose.connector(), id_token = %token.id_token, why,
            "idToken not authorized");
        match purpose {
            Purpose::LocalStart { connector } => {
                self.refused_starts
                    .push((connector, token.id_token.clone(), why.to_string()));
            }
            Purpose::Vehicle { connector } => self.actions.push_back(CoreAction::Station {
                command: StationCommand::Stop {
                    connector,
                    reason: StopReason::DeAuthorized,
                },
                reply: None,
            }),
            Purpose::RemoteStart { connector } => {
                self.remote_starts.remove(&connector);
            }
        }
    }

    // ----- station outcomes ---------------------------------------------------------------------

    /// How the station took a command asked for by a CSMS call.
    pub fn command_outcome(
        &mut self,
        reply: PendingReply,
        result: &Result<crate::station::CommandOutcome, crate::station::CommandError>,
    ) {
        use crate::station::CommandOutcome;
        let ReplyKind::V201(waiting) = reply.kind else {
            tracing::error!("a 1.6 reply reached the 2.0.1 core; answered InternalError");
            let _ = self.rpc.respond_error(
                &reply.id,
                RpcErrorCode::InternalError,
                "the OCPP version changed while the call waited",
            );
            return;
        };
        let accepted = result.is_ok();
        let start_stop = if accepted {
            v201::RequestStartStopStatusEnum::Accepted
        } else {
            v201::RequestStartStopStatusEnum::Rejected
        };
        match waiting {
            Waiting::RequestStart { connector } => {
                let transaction_id = match result {
                    Ok(CommandOutcome::Started { transaction_id }) => {
                        Some(transaction_id.to_string())
                    }
                    _ => None,
                };
                if !accepted {
                    self.remote_starts.remove(&connector);
                }
                self.reply(
                    &reply.id,
                    v201::RequestStartTransactionResponse {
                        custom_data: None,
                        status: start_stop,
                        status_info: refusal_info(result),
                        transaction_id,
                    },
                );
            }
            Waiting::RequestStop => self.reply(
                &reply.id,
                v201::RequestStopTransactionResponse {
                    custom_data: None,
                    status: start_stop,
                    status_info: refusal_info(result),
                },
            ),
            Waiting::ReserveNow(reservation) => {
                use crate::station::CommandError;
                let status = match result {
                    Ok(_) => {
                        let replaced = self
                            .reservations
                            .insert(reservation.id, reservation.clone());
                        if let Some(old) = replaced.filter(|o| o.connector != reservation.connector)
                        {
                            self.lift(old.connector);
                        }
                        v201::ReserveNowStatusEnum::Accepted
                    }
                    Err(CommandError::Faulted { .. }) => v201::ReserveNowStatusEnum::Faulted,
                    Err(CommandError::Inoperative(_)) => v201::ReserveNowStatusEnum::Unavailable,
                    Err(CommandError::Occupied(_) | CommandError::Busy(_)) => {
                        v201::ReserveNowStatusEnum::Occupied
                    }
                    Err(_) => v201::ReserveNowStatusEnum::Rejected,
                };
                self.reply(
                    &reply.id,
                    v201::ReserveNowResponse {
                        custom_data: None,
                        status,
                        status_info: refusal_info(result),
                    },
                );
            }
            Waiting::ChangeAvailability => {
                let status = match result {
                    Ok(CommandOutcome::AvailabilityScheduled) => {
                        v201::ChangeAvailabilityStatusEnum::Scheduled
                    }
                    Ok(_) => v201::ChangeAvailabilityStatusEnum::Accepted,
                    Err(_) => v201::ChangeAvailabilityStatusEnum::Rejected,
                };
                self.reply(
                    &reply.id,
                    v201::ChangeAvailabilityResponse {
                        custom_data: None,
                        status,
                        status_info: refusal_info(result),
                    },
                );
            }
        }
    }

    // ----- the CSMS's answers -------------------------------------------------------------------

    fn pump(&mut self, now: Timestamp) {
        while let Some(inbound) = next_inbound(&mut self.rpc) {
            match inbound {
                Inbound::Result { id, payload } => self.on_result(id, payload, now),
                Inbound::Failed { id, refused } => self.on_failure(id, refused, now),
                Inbound::Call {
                    id,
                    action,
                    payload,
                } => {
                    self.note_traffic("←", &action);
                    self.on_call(id, &action, payload, now);
                }
                // N: a malformed call is a security event (InvalidMessages).
                Inbound::Malformed { code, detail } => {
                    self.security_event("InvalidMessages", Some(format!("{code}: {detail}")), now)
                }
            }
        }
    }

    fn on_failure(&mut self, id: MessageId, refused: bool, now: Timestamp) {
        let Some(sent) = self.in_flight.remove(id.as_str()) else {
            return;
        };
        match sent {
            Sent::Boot => {
                self.boot_due = Some(now + DEFAULT_BOOT_RETRY);
            }
            Sent::Outbox(seq) => self.outbox_failed(seq, refused, now),
            // A CSMS that answers with an error has not authorized anything; only silence
            // (a timeout) is decided as offline.
            Sent::Authorize { token, purpose } if refused => {
                self.auth_refused(&token, purpose, "the CSMS answered Authorize with an error")
            }
            Sent::Authorize { token, purpose } => self.decide_offline(&token, purpose),
            Sent::Heartbeat | Sent::Plain => {}
        }
    }

    fn on_result(&mut self, id: MessageId, payload: Value, now: Timestamp) {
        let Some(sent) = self.in_flight.remove(id.as_str()) else {
            return;
        };
        match sent {
            Sent::Boot => match serde_json::from_value::<v201::BootNotificationResponse>(payload) {
                Ok(r) => self.on_boot_result(r, now),
                Err(e) => {
                    tracing::warn!(error = %e, "BootNotification answer out of range; retrying");
                    self.boot_due = Some(now + DEFAULT_BOOT_RETRY);
                }
            },
            Sent::Heartbeat => {
                if let Ok(r) = serde_json::from_value::<v201::HeartbeatResponse>(payload) {
                    self.set_clock(r.current_time, now);
                }
            }
            Sent::Outbox(seq) => {
                // Whatever it says (an idTokenInfo for a Started event), the record is
                // delivered: the CSMS has it.
                let record = self.outbox.take(seq);
                let transaction = record
                    .as_ref()
                    .filter(|r| r.action == "TransactionEvent")
                    .map(|r| r.local_transaction_id);
                if record.is_some_and(|r| r.action == SECURITY_EVENT) {
                    self.security_events_waiting = self.security_events_waiting.saturating_sub(1);
                }
                self.actions.push_back(CoreAction::OutboxRemove(seq));
                self.outbox.ready_at = Some(now);
                if let Some(local) = transaction {
                    if let Ok(r) = serde_json::from_value::<v201::TransactionEventResponse>(payload)
                    {
                        self.on_transaction_event_result(local, r);
                    }
                }
            }
            Sent::Authorize { token, purpose } => {
                let answer = serde_json::from_value::<v201::AuthorizeResponse>(payload);
                if let Ok(r) = &answer {
                    self.remember(&token, &r.id_token_info);
                }
                let now_ms = self.unix_ms(now);
                let evse = purpose.connector();
                match answer.map(|r| authorization::judge(&r.id_token_info, evse, now_ms)) {
                    Ok(authorization::Known::Accepted) => self.auth_accepted(&token, purpose),
                    Ok(authorization::Known::NotForThisEvse) => {
                        let why = format!("not allowed on EVSE {evse}");
                        self.auth_refused(&token, purpose, &why)
                    }
                    Ok(authorization::Known::Refused(status)) => {
                        let why = format!("{status:?}");
                        self.auth_refused(&token, purpose, &why)
                    }
                    Ok(authorization::Known::Unknown) | Err(_) => {
                        self.auth_refused(&token, purpose, "Invalid")
                    }
                }
            }
            Sent::Plain => {}
        }
    }

    fn on_boot_result(&mut self, r: v201::BootNotificationResponse, now: Timestamp) {
        self.set_clock(r.current_time, now);
        // HeartbeatInterval's range, whatever the CSMS says (it may say 2^61).
        let interval = u64::try_from(r.interval).unwrap_or(0).min(86_400);
        match r.status {
            v201::RegistrationStatusEnum::Accepted => {
                tracing::info!(interval, "registered with the CSMS (OCPP 2.0.1)");
                self.registration = Registration::Accepted;
                self.registered_at = self.endpoint.clone();
                self.boot_reason = v201::BootReasonEnum::PowerUp;
                if interval > 0 {
                    self.model.settings.heartbeat_interval = Duration::from_secs(interval);
                }
                self.heartbeat_due = Some(now + self.heartbeat_interval());
                self.resend_statuses();
                self.outbox.ready_at = Some(now);
            }
            v201::RegistrationStatusEnum::Pending | v201::RegistrationStatusEnum::Rejected => {
                self.registration = if r.status == v201::RegistrationStatusEnum::Pending {
                    Registration::Pending
                } else {
                    Registration::Rejected
                };
                let wait = if interval == 0 {
                    DEFAULT_BOOT_RETRY
                } else {
                    Duration::from_secs(interval)
                };
                tracing::info!(status = ?r.status, ?wait, "registration not accepted yet");
                self.boot_due = Some(now + wait);
            }
        }
    }

    /// The CSMS's view of a transaction's idToken: a token it refuses (Invalid, Blocked, …)
    /// stops the transaction (StopTxOnInvalidId).
    fn on_transaction_event_result(&mut self, local: i64, r: v201::TransactionEventResponse) {
        let Some(info) = r.id_token_info else {
            return;
        };
        let token = self
            .running
            .values()
            .find(|t| t.local_id == local)
            .and_then(|t| t.id_token.clone());
        if let Some(token) = token {
            self.remember(&token, &info);
        }
        if info.status == v201::AuthorizationStatusEnum::Accepted {
            return;
        }
        let Some(connector) = self
            .running
            .values()
            .find(|t| t.local_id == local)
            .map(|t| t.connector)
        else {
            return;
        };
        tracing::warn!(connector, status = ?info.status, "CSMS refused the transaction's idToken; stopping");
        self.actions.push_back(CoreAction::Station {
            command: StationCommand::Stop {
                connector,
                reason: StopReason::DeAuthorized,
            },
            reply: None,
        });
    }
}

// ----- mappings ---------------------------------------------------------------------------------

/// The 2.0.1 connector status of a station status.
fn connector_status(s: ConnectorStatus) -> v201::ConnectorStatusEnum {
    use v201::ConnectorStatusEnum as W;
    match s {
        ConnectorStatus::Available => W::Available,
        ConnectorStatus::Preparing
        | ConnectorStatus::Charging
        | ConnectorStatus::SuspendedEV
        | ConnectorStatus::SuspendedEVSE
        | ConnectorStatus::Finishing => W::Occupied,
        ConnectorStatus::Reserved => W::Reserved,
        ConnectorStatus::Unavailable => W::Unavailable,
        ConnectorStatus::Faulted => W::Faulted,
    }
}

/// The charging state a station status means during a transaction.
fn charging_state(s: ConnectorStatus) -> Option<v201::ChargingStateEnum> {
    use v201::ChargingStateEnum as C;
    match s {
        ConnectorStatus::Charging => Some(C::Charging),
        ConnectorStatus::SuspendedEV => Some(C::SuspendedEV),
        ConnectorStatus::SuspendedEVSE => Some(C::SuspendedEVSE),
        ConnectorStatus::Preparing | ConnectorStatus::Finishing => Some(C::EVConnected),
        _ => None,
    }
}

/// (triggerReason, stoppedReason) of a transaction's end.
fn stop_reasons(r: &StopReason) -> (v201::TriggerReasonEnum, v201::ReasonEnum) {
    use v201::ReasonEnum as R;
    use v201::TriggerReasonEnum as T;
    match r {
        StopReason::VehicleRequest => (T::ChargingStateChanged, R::StoppedByEV),
        StopReason::Local => (T::StopAuthorized, R::Local),
        StopReason::Remote => (T::RemoteStop, R::Remote),
        StopReason::EmergencyStop => (T::AbnormalCondition, R::EmergencyStop),
        StopReason::Unplugged => (T::EVDeparted, R::EVDisconnected),
        StopReason::PowerLoss => (T::AbnormalCondition, R::PowerLoss),
        StopReason::Shutdown => (T::ResetCommand, R::Reboot),
        StopReason::DeAuthorized => (T::Deauthorized, R::DeAuthorized),
        StopReason::Reset { .. } => (T::ResetCommand, R::ImmediateReset),
        StopReason::UnlockCommand => (T::UnlockCommand, R::Other),
        StopReason::CommunicationLost(_) => (T::EVCommunicationLost, R::Other),
        StopReason::InsulationFailure(_) => (T::AbnormalCondition, R::GroundFault),
        StopReason::VehicleFault(_)
        | StopReason::Incompatible(_)
        | StopReason::PowerSupplyFault(_)
        | StopReason::ImplausibleMeasurement(_)
        | StopReason::ChargerFault(_) => (T::AbnormalCondition, R::Other),
    }
}

fn refusal_info(
    result: &Result<crate::station::CommandOutcome, crate::station::CommandError>,
) -> Option<v201::StatusInfo> {
    result.as_ref().err().map(|e| v201::StatusInfo {
        additional_info: Some(truncate(&e.to_string(), 512)),
        custom_data: None,
        reason_code: "Refused".into(),
    })
}

/// An id tag from the station side (a technician, a card reader): type Local.
fn local_token(id_tag: &str) -> v201::IdToken {
    v201::IdToken {
        additional_info: None,
        custom_data: None,
        id_token: truncate(id_tag, MAX_ID_TOKEN_LEN),
        r#type: v201::IdTokenEnum::Local,
    }
}

/// Autocharge: 2.0.1 has no VIN token type. The VIN travels as a Local token, and says what
/// it is in additionalInfo (type "VIN").
fn vin_token(vin: &str) -> v201::IdToken {
    v201::IdToken {
        additional_info: Some(vec![v201::AdditionalInfo {
            additional_id_token: truncate(vin, MAX_ID_TOKEN_LEN),
            custom_data: None,
            r#type: "VIN".into(),
        }]),
        ..local_token(vin)
    }
}

fn sampled(
    value: f64,
    context: v201::ReadingContextEnum,
    measurand: v201::MeasurandEnum,
    unit: &str,
) -> v201::SampledValue {
    v201::SampledValue {
        context: Some(context),
        custom_data: None,
        location: Some(v201::LocationEnum::Outlet),
        measurand: Some(measurand),
        phase: None,
        signed_meter_value: None,
        unit_of_measure: Some(v201::UnitOfMeasure {
            custom_data: None,
            multiplier: None,
            unit: Some(unit.into()),
        }),
        value,
    }
}

fn sampled_soc(soc: f32, context: v201::ReadingContextEnum) -> v201::SampledValue {
    v201::SampledValue {
        location: Some(v201::LocationEnum::EV),
        ..sampled(
            round1(f64::from(soc.clamp(0.0, 100.0))),
            context,
            v201::MeasurandEnum::SoC,
            "Percent",
        )
    }
}

fn round1(v: f64) -> f64 {
    if v.is_finite() {
        (v * 10.0).round() / 10.0
    } else {
        0.0
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests;
