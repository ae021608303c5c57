//! The OCPP 1.6 charge point: the station as the CSMS sees it. Pure and time-injected.
//!
//! [`ChargePoint`] owns the connection's [`RpcEndpoint`] and turns station events into
//! messages (BootNotification, Heartbeat, StatusNotification, Authorize, Start/StopTransaction,
//! MeterValues, security events), and the CSMS's calls into [`CoreAction`]s for the shell to
//! carry out (station commands, persisting outbox records, configuration and lists, meter
//! readings, file transfers, certificate operations, reset). Nothing here touches a socket, a
//! file or a clock: the link feeds text in and takes text out; the daemon feeds station events
//! and applies actions; tests drive it all in simulated time.
//!
//! The feature profiles live in child modules: [`calls`] dispatches the CSMS's calls,
//! `authorize` holds the local list, cache and Authorize flows, `smart` turns charging profiles
//! into station limits, `maintenance` runs firmware, diagnostics, logs, certificates and
//! security events, `reservations` the ReserveNow/CancelReservation bookkeeping.
//!
//! **Transaction messages never get lost.** StartTransaction, StopTransaction and MeterValues of
//! a transaction (and security events, which the whitepaper wants delivered as reliably) go
//! through the outbox: each is handed to the shell to persist ([`CoreAction::OutboxPut`])
//! before it is sent, sent strictly in order, one at a time, and removed
//! ([`CoreAction::OutboxRemove`]) only when the CSMS has answered it. While the link is down or
//! the registration is not Accepted they wait; after a restart the shell hands them back with
//! [`ChargePoint::restore_outbox`]. Messages of a transaction started offline carry the
//! station's own transaction id until StartTransaction.conf gives the CSMS's, and are patched
//! with it before they go out.
//!
//! **One registration per boot.** BootNotification goes out once per run (a CSMS reads it as a
//! reboot); a plain reconnect re-sends every connector's status instead
//! ([`ChargePoint::on_connected`] says when it registers again). A Faulted status carries the
//! error codes of its fault's kind ([`crate::station::fault`]).
//!
//! Retry policy: no answer (timeout, link lost) retries the same message forever, with
//! `TransactionMessageRetryInterval × attempt` between attempts (at most 1 h). A CALLERROR is
//! the CSMS refusing a message it received: after `TransactionMessageAttempts` refusals the
//! message is moved aside (kept in the outbox marked *refused*, reported by
//! [`CoreAction::OutboxRefused`] and visible to `chargerctl`), so that one poisonous message
//! does not hold back every later transaction. Nothing is ever deleted unanswered.

mod authorize;
pub mod calls;
mod maintenance;
mod reservations;
mod smart;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::{v16, MessageId, OcppVersion, RpcConfig, RpcEndpoint};
use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use super::keys::Keys;
use super::local_auth::{AuthCache, LocalList};
use super::meter::{sampled_values, MeterReading, ReadingContext, TransactionData};
use super::smart_charging::ProfileStore;
use crate::station::{ConnectorStatus, Fault, StationCommand, StationEvent};
pub use authorize::{AuthPurpose, StartDecision};
pub use maintenance::{
    FileJob, FirmwarePolicy, FirmwareSignature, FirmwareVersion, JobProgress, SecurityEvent,
    UploadKind, VersionRefusal, MAX_PENDING_SECURITY_EVENTS,
};
use reservations::Reservation;

/// Registration retry when the CSMS gives an interval of 0.
const DEFAULT_BOOT_RETRY: Duration = Duration::from_secs(60);
/// Outbox records that belong to no transaction (security events).
pub const NO_TRANSACTION: i64 = -1;
use super::core::{next_inbound, Inbound, WallClock};
use super::outbox::{Failure, Outbox};
pub use super::outbox::{OUTBOX_WINDOW, REFUSED_IN_MEMORY};

/// The outbox's sequence numbers, shared by the 1.6 and the 2.0.1 core: both write to one
/// journal table keyed by them, so neither may reuse a number the other took.
#[derive(Debug, Clone, Default)]
pub struct OutboxSeq(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl OutboxSeq {
    /// The next number (from 1).
    pub fn take(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    /// Never hand out `used` or anything below it again.
    pub fn past(&self, used: u64) {
        self.0.fetch_max(used, std::sync::atomic::Ordering::Relaxed);
    }

    /// The number [`take`](Self::take) returns next.
    pub fn peek(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed) + 1
    }
}

/// Who this charge point says it is in BootNotification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub vendor: String,
    pub model: String,
    pub serial_number: Option<String>,
    pub firmware_version: String,
}

/// One reliable message in the outbox: the journal's record type (it persists it).
pub use crate::store::OutboxRecord;

/// A secret (an AuthorizationKey) that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
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
    /// Load up to `limit` persisted outbox records with `seq > after_seq`, in order, and hand
    /// them to [`ChargePoint::outbox_loaded`] (the in-memory window is running low).
    OutboxLoad { after_seq: u64, limit: usize },
    /// The CSMS answered the record: delete it.
    OutboxRemove(u64),
    /// The CSMS refused the record `TransactionMessageAttempts` times: it stays, marked.
    OutboxRefused(OutboxRecord),
    /// The CSMS gave its id for the station's transaction: persist the mapping.
    TransactionIdAssigned { local: i64, csms: i64 },
    /// A configuration key changed: persist it (the AuthorizationKey's value is not here:
    /// see [`CoreAction::AuthorizationKeyChanged`]).
    KeyChanged { key: String, value: String },
    /// Persist a named piece of OCPP state (local list, authorization cache, charging
    /// profiles) as JSON, replacing the previous one.
    SaveState { name: &'static str, value: Value },
    /// Reset was accepted: stop sessions (reason Reboot / Shutdown) and restart.
    Reset { hard: bool },
    /// Read the meters of these connectors now and hand them to
    /// [`ChargePoint::on_meter_readings`] with this context.
    ReadMeters {
        connectors: Vec<u32>,
        context: ReadingContext,
    },
    /// A CSMS call only the shell can answer (certificate store, file system): answer it with
    /// [`ChargePoint::shell_reply`].
    ShellCall {
        reply: PendingReply,
        request: v16::Request,
    },
    /// Start a file job (download, install, upload, key generation); report its progress with
    /// [`ChargePoint::job_progress`].
    Job(FileJob),
    /// The CSMS raised the security profile (already checked against what is configured):
    /// persist it and reconnect with it.
    SecurityProfileRaised(u8),
    /// The CSMS set a new AuthorizationKey: persist it and use it from the next connection.
    AuthorizationKeyChanged(Secret),
}

/// A CSMS call waiting for the station's (or the shell's) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingReply {
    pub(crate) id: MessageId,
    pub(crate) kind: ReplyKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReplyKind {
    /// OCPP 2.0.1 calls waiting for the station (see [`crate::ocpp::v201`]).
    V201(crate::ocpp::v201::Waiting),
    RemoteStart,
    RemoteStop,
    ChangeAvailability,
    /// One of `total` connectors of a ChangeAvailability for connector 0.
    ChangeAvailabilityPart {
        total: u32,
    },
    ReserveNow {
        reservation: Reservation,
    },
    CancelReservation,
    Shell,
}

/// Registration with the CSMS (BootNotification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Registration {
    /// Not yet sent, or no answer yet.
    Unknown,
    Pending,
    Accepted,
    Rejected,
}

/// Where the link connects: the CSMS URL (identity included) and the security profile. A
/// registration holds for the endpoint that accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub security_profile: u8,
}

/// The last known status of a connector (0 = the charge point), and whether it was sent.
#[derive(Debug, Clone, PartialEq)]
struct KnownStatus {
    status: ConnectorStatus,
    info: Option<String>,
    /// The fault (for Faulted; or one the connector charges on with, a stale meter), whose
    /// kind chooses errorCode and vendorErrorCode.
    fault: Option<Fault>,
    at: Timestamp,
    sent: bool,
}

impl KnownStatus {
    fn new(
        status: ConnectorStatus,
        info: Option<String>,
        fault: Option<Fault>,
        at: Timestamp,
    ) -> Self {
        KnownStatus {
            status,
            info,
            fault,
            at,
            sent: false,
        }
    }
}

/// What an outgoing CALL was, to handle its answer.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Boot,
    Heartbeat,
    Status,
    Outbox(u64),
    Authorize {
        id_tag: String,
        purpose: AuthPurpose,
    },
    /// A message whose answer changes nothing (MeterValues outside a transaction,
    /// notifications).
    Plain,
    SignCertificate,
}

/// A transaction as the charge point follows it.
#[derive(Debug, Clone, PartialEq)]
struct RunningTransaction {
    local_id: i64,
    id_tag: String,
    /// Wall time of its start (unix ms), for relative charging profiles.
    started_ms: i64,
    next_sample: Option<Timestamp>,
    data: TransactionData,
}

/// Counters and recent traffic for `chargerctl ocpp`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// The last messages, newest last: (direction "→"/"←", action or kind, wall time).
    pub recent: VecDeque<(String, String, String)>,
}

const RECENT_MESSAGES: usize = 20;

/// The OCPP 1.6 charge point. See the module documentation.
#[derive(Debug)]
pub struct ChargePoint {
    identity: Identity,
    keys: Keys,
    rpc: RpcEndpoint,
    connected: bool,
    registration: Registration,
    /// The endpoint the link is (or was last) connected to, and the one that accepted our
    /// BootNotification in this run: a reconnect to it needs no new registration.
    endpoint: Option<Endpoint>,
    registered_at: Option<Endpoint>,
    /// When to send the next BootNotification (while not Accepted).
    boot_due: Option<Timestamp>,
    heartbeat_due: Option<Timestamp>,
    /// Wall time, as the CSMS last set it.
    clock: WallClock,
    /// The latest time the core was given.
    now: Timestamp,
    /// Last known status of each connector (0 = the charge point), and whether it was sent.
    statuses: BTreeMap<u32, KnownStatus>,
    /// The outbox (its head in memory).
    outbox: Outbox,
    /// Security events queued in this run and not yet taken by the CSMS, oldest first, and
    /// how many were dropped because too many waited (see `bound_security_events`).
    security_events: VecDeque<(u64, SecurityEvent)>,
    security_events_dropped: u64,
    /// station transaction id → CSMS transaction id.
    transaction_ids: BTreeMap<i64, i64>,
    /// connector → running transaction.
    running: BTreeMap<u32, RunningTransaction>,
    /// Latest reading per connector (for triggered MeterValues and the composite schedule).
    readings: BTreeMap<u32, MeterReading>,
    /// Next clock-aligned reading.
    aligned_due: Option<Timestamp>,
    in_flight: BTreeMap<String, Sent>,
    actions: VecDeque<CoreAction>,
    // Local authorization.
    local_list: LocalList,
    cache: AuthCache,
    // Reservations by id.
    reservations: BTreeMap<i32, Reservation>,
    // Smart charging.
    profiles: ProfileStore,
    /// What each connector's station limit was last set to (amps, watts).
    applied_limits: crate::ocpp::smart_charging::AppliedLimits,
    /// Whether this core's version is the one spoken: only that core sets the station's
    /// smart-charging limits (the other's profiles wait with it).
    speaking: bool,
    limits_due: Option<Timestamp>,
    /// A TxProfile that came with RemoteStartTransaction, installed when the transaction starts.
    remote_start_profiles: BTreeMap<u32, (String, crate::ocpp::smart_charging::ChargingProfile)>,
    /// Local starts the CSMS refused, for the shell to tell whoever asked.
    refused_starts: Vec<(u32, String, String)>,
    /// ChangeAvailability for connector 0 collecting its parts: id → (answered, scheduled,
    /// refused).
    availability_parts: BTreeMap<String, (u32, bool, bool)>,
    maintenance: maintenance::Maintenance,
    traffic: Traffic,
    /// connector → (rated amperes, rated watts).
    ratings: BTreeMap<u32, (f64, f64)>,
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
        statuses.insert(
            0,
            KnownStatus::new(ConnectorStatus::Available, None, None, now),
        );
        ChargePoint {
            identity,
            keys,
            rpc: RpcEndpoint::new(OcppVersion::V16, rpc_config),
            connected: false,
            registration: Registration::Unknown,
            endpoint: None,
            registered_at: None,
            boot_due: None,
            heartbeat_due: None,
            clock: WallClock::new(unix_ms_now, now),
            now,
            statuses,
            outbox: Outbox::new(OcppVersion::V16),
            security_events: VecDeque::new(),
            security_events_dropped: 0,
            transaction_ids: BTreeMap::new(),
            running: BTreeMap::new(),
            readings: BTreeMap::new(),
            aligned_due: None,
            in_flight: BTreeMap::new(),
            actions: VecDeque::new(),
            local_list: LocalList::default(),
            cache: AuthCache::new(super::keys::AUTH_CACHE_CAPACITY),
            reservations: BTreeMap::new(),
            profiles: ProfileStore::default(),
            applied_limits: Default::default(),
            speaking: true,
            limits_due: None,
            remote_start_profiles: BTreeMap::new(),
            refused_starts: Vec::new(),
            availability_parts: BTreeMap::new(),
            maintenance: maintenance::Maintenance::default(),
            traffic: Traffic::default(),
            ratings: BTreeMap::new(),
        }
    }

    /// The latest time the core was given.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Each connector's rating (amperes, watts), for composite schedules (the "no limit"
    /// value of a period no profile covers).
    pub fn set_ratings(&mut self, ratings: Vec<(u32, f64, f64)>) {
        self.ratings = ratings.into_iter().map(|(c, a, w)| (c, (a, w))).collect();
    }

    /// A configuration change from the station side (`chargerctl config set`): the same checks
    /// and persistence as ChangeConfiguration. SecurityProfile and AuthorizationKey are the
    /// CSMS's to change.
    pub fn local_change_configuration(
        &mut self,
        key: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        if matches!(key, "SecurityProfile" | "AuthorizationKey") {
            return Err(format!(
                "{key} is changed by the CSMS (or in the configuration file)"
            ));
        }
        self.keys
            .change(key, value)
            .map_err(|r| format!("{key}: {}", r.status().as_str()))?;
        self.actions.push_back(CoreAction::KeyChanged {
            key: key.to_string(),
            value: value.to_string(),
        });
        self.key_changed(key, now);
        Ok(())
    }

    pub fn registration(&self) -> Registration {
        self.registration
    }

    pub fn connected(&self) -> bool {
        self.connected
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Outbox records held in memory (the window).
    pub fn in_memory_outbox(&self) -> usize {
        self.outbox.in_memory()
    }

    /// Messages waiting, in memory and in SQLite.
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    pub fn local_list_version(&self) -> i32 {
        self.local_list.version()
    }

    /// Records kept after repeated refusals.
    pub fn refused(&self) -> impl Iterator<Item = &OutboxRecord> {
        self.outbox.refused()
    }

    /// How many records the CSMS refused for good, those only in SQLite included (as far as
    /// this run has read the outbox).
    pub fn refused_count(&self) -> usize {
        self.outbox.refused_count()
    }

    /// The outbox's sequence numbers, to share with the other version's core.
    pub fn outbox_seq(&self) -> OutboxSeq {
        self.outbox.seq()
    }

    /// Whether 1.6 is the version spoken. Becoming it, the core's limits are applied afresh
    /// (the other version's core had the station's limits meanwhile).
    pub fn set_speaking(&mut self, speaking: bool, now: Timestamp) {
        if speaking && !self.speaking {
            self.applied_limits = Default::default();
            self.limits_due = Some(now);
        }
        self.speaking = speaking;
    }

    /// Whether the station's transaction `local` runs here (its end is told in 1.6).
    pub fn owns_transaction(&self, local: i64) -> bool {
        self.running.values().any(|t| t.local_id == local)
    }

    /// What binds the station to 1.6 for now: records waiting to be sent (not refused) and
    /// running transactions.
    pub fn waiting(&self) -> usize {
        self.outbox.waiting() + self.running.len()
    }

    /// Security events dropped because too many waited unsent.
    pub fn security_events_dropped(&self) -> u64 {
        self.security_events_dropped
    }

    /// Remove an outbox record the core gave up on (memory and, by the shell, SQLite).
    fn drop_outbox_record(&mut self, seq: u64) {
        self.outbox.forget(seq);
        self.actions.push_back(CoreAction::OutboxRemove(seq));
    }

    /// Outbox records and transaction ids from the previous run: the first records (oldest
    /// first, up to [`OUTBOX_WINDOW`]), how many more are persisted after them, and the highest
    /// sequence number in use.
    pub fn restore_outbox(
        &mut self,
        records: Vec<OutboxRecord>,
        more: usize,
        max_seq: u64,
        ids: Vec<(i64, i64)>,
    ) {
        self.outbox.restore(records, more, max_seq);
        self.transaction_ids.extend(ids);
    }

    /// Records the shell loaded for [`CoreAction::OutboxLoad`], in order.
    pub fn outbox_loaded(&mut self, records: Vec<OutboxRecord>) {
        self.outbox.loaded(records);
    }

    /// The shell could not read the outbox: ask again later (the records stay on disk).
    pub fn outbox_load_failed(&mut self) {
        self.outbox.load_failed();
    }

    /// State persisted by [`CoreAction::SaveState`] in the previous run. Unknown names and
    /// unreadable values are logged, raised as a security event and skipped: a damaged list
    /// must not stop the charger.
    pub fn restore_state(&mut self, name: &str, value: &Value) {
        let result = match name {
            "local_list" => LocalList::from_json(value)
                .map(|l| self.local_list = l)
                .map_err(|e| e.to_string()),
            "auth_cache" => AuthCache::from_json(value, super::keys::AUTH_CACHE_CAPACITY)
                .map(|c| self.cache = c)
                .map_err(|e| e.to_string()),
            "charging_profiles" => ProfileStore::from_json(value)
                .map(|p| self.profiles = p)
                .map_err(|e| e.to_string()),
            _ => Err("unknown state".to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(name, error = %e, "persisted OCPP state not restored");
            let now = self.now;
            self.security_event(
                SecurityEvent::InvalidPersistedSetting,
                Some(format!("{name}: {e}")),
                now,
            );
        }
    }

    /// Wall-clock unix milliseconds at `now`.
    fn unix_ms(&self, now: Timestamp) -> i64 {
        self.clock.unix_ms(now)
    }

    /// The monotonic instant of a wall-clock time (the past maps to now).
    fn instant_of(&self, unix_ms: i64, now: Timestamp) -> Timestamp {
        self.clock.instant_of(unix_ms, now)
    }

    fn wall(&self, now: Timestamp) -> String {
        crate::wall_time::rfc3339_utc(self.unix_ms(now))
    }

    fn note_traffic(&mut self, direction: &str, what: &str) {
        let wall = self.wall(self.now);
        let recent = &mut self.traffic.recent;
        if recent.len() >= RECENT_MESSAGES {
            recent.pop_front();
        }
        recent.push_back((direction.to_string(), what.to_string(), wall));
    }

    // ----- the link ----------------------------------------------------------------------------

    /// The link is up to `endpoint`. The charge point registers once per boot: a CSMS reads a
    /// BootNotification as a reboot, so a plain reconnect to the endpoint that accepted it
    /// does not register again; it re-sends every connector's status (0 included) and goes on.
    /// It registers (again) when the boot was not accepted yet (never answered, Pending,
    /// Rejected), when the endpoint changed (another URL, a raised security profile), or
    /// when the CSMS asks (TriggerMessage BootNotification).
    pub fn on_connected(&mut self, endpoint: Endpoint, now: Timestamp) {
        self.now = self.now.max(now);
        self.connected = true;
        // The same endpoint, reset: its compiled schemas are kept across reconnects, and its
        // message ids keep counting.
        let _ = self.rpc.reset();
        self.in_flight.clear();
        let registered = self.registration == Registration::Accepted
            && self.registered_at.as_ref() == Some(&endpoint);
        if registered {
            tracing::info!(url = %endpoint.url, "reconnected; already registered, statuses follow");
            self.resend_statuses(None);
            self.heartbeat_due =
                Some(now + self.keys.heartbeat_interval.max(Duration::from_secs(1)));
            self.on_accepted(now);
        } else {
            if self.registration == Registration::Accepted {
                tracing::info!(url = %endpoint.url, "another CSMS endpoint; registering there");
            }
            self.registration = Registration::Unknown;
            self.boot_due = Some(now);
        }
        self.endpoint = Some(endpoint);
        self.outbox.ready_at = Some(now);
    }

    pub fn on_disconnected(&mut self, _now: Timestamp) {
        self.connected = false;
        // Whatever was outstanding goes again after the reconnect: outbox records are still
        // at the head, statuses are re-sent once the link is up and registered. An Authorize
        // in flight is decided offline now.
        let _ = self.rpc.reset();
        let in_flight = std::mem::take(&mut self.in_flight);
        for sent in in_flight.into_values() {
            if let Sent::Authorize { id_tag, purpose } = sent {
                self.decide_offline(&id_tag, purpose);
            }
        }
        self.heartbeat_due = None;
    }

    pub fn on_text(&mut self, text: &str, now: Timestamp) {
        self.now = self.now.max(now);
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
        let samples = self.running.values().filter_map(|t| t.next_sample).min();
        // Only the timers that can do something in the present state: a past timer that
        // `update` cannot act on (an outbox head waiting for the link, the boot of an
        // accepted registration) would make the shell spin.
        let registered = self.connected && self.registration == Registration::Accepted;
        let outbox_waiting = registered
            && !self
                .in_flight
                .values()
                .any(|s| matches!(s, Sent::Outbox(_)))
            && self.outbox.waiting() > 0;
        [
            self.boot_due
                .filter(|_| self.connected && self.registration != Registration::Accepted),
            self.heartbeat_due.filter(|_| registered),
            self.outbox.ready_at.filter(|_| outbox_waiting),
            self.rpc.poll_timeout(),
            samples,
            self.aligned_due,
            self.limits_due,
            self.next_reservation_expiry(),
            self.maintenance.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- time -------------------------------------------------------------------------------

    pub fn update(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        self.rpc.update(now);
        self.pump(now);
        // What runs whether or not the CSMS is there: reservations expire, charging profiles
        // move on, meters are read (their values queue in the outbox), jobs wait for idle.
        self.expire_reservations(now);
        self.update_limits(now);
        self.sample_meters(now);
        self.maintenance_update(now);
        if !self.connected {
            return;
        }
        if self.registration != Registration::Accepted {
            if self.boot_due.is_some_and(|t| now >= t)
                && !self.in_flight.values().any(|s| *s == Sent::Boot)
            {
                self.boot_due = None;
                self.send(self.boot_request(), Sent::Boot);
            }
            return;
        }
        if self.heartbeat_due.is_some_and(|t| now >= t) {
            self.heartbeat_due =
                Some(now + self.keys.heartbeat_interval.max(Duration::from_secs(1)));
            // One at a time: behind a call the CSMS does not answer, heartbeats would pile up
            // in the RPC queue (one a second at the shortest interval) and crowd out the rest.
            if !self.in_flight.values().any(|s| *s == Sent::Heartbeat) {
                self.send(v16::HeartbeatRequest {}, Sent::Heartbeat);
            }
        }
        self.send_statuses();
        self.send_maintenance_notifications();
        self.send_outbox_head(now);
    }

    fn boot_request(&self) -> v16::BootNotificationRequest {
        v16::BootNotificationRequest {
            charge_point_vendor: self.identity.vendor.clone(),
            charge_point_model: self.identity.model.clone(),
            firmware_version: Some(self.identity.firmware_version.clone()),
            charge_point_serial_number: self.identity.serial_number.clone(),
            charge_box_serial_number: None,
            iccid: None,
            imsi: None,
            meter_serial_number: None,
            meter_type: None,
        }
    }

    /// Send a typed CALL.
    fn send(&mut self, request: impl Into<v16::Request>, what: Sent) {
        let request = request.into();
        match request.to_payload() {
            Ok(payload) => self.call(request.action().as_str(), payload, what),
            Err(e) => tracing::error!(action = request.action().as_str(), error = %e,
                "OCPP call could not be written"),
        }
    }

    /// A message that may go now if the CSMS is reachable and has accepted us, and is
    /// otherwise not worth keeping (a triggered or status message).
    fn send_if_accepted(&mut self, request: impl Into<v16::Request>, what: Sent) {
        if self.connected && self.registration == Registration::Accepted {
            self.send(request, what);
        }
    }

    /// The wall-clock time of `at` as a message carries it.
    fn wall_time(&self, at: Timestamp) -> DateTime {
        self.clock.date_time(at)
    }

    fn call(&mut self, action: &str, payload: Value, what: Sent) {
        match self.rpc.call(action, payload) {
            Ok(id) => {
                self.note_traffic("→", action);
                self.in_flight.insert(id.as_str().to_string(), what);
            }
            Err(e) => tracing::error!(action, error = %e, "OCPP call refused by the RPC layer"),
        }
    }

    fn send_statuses(&mut self) {
        let unsent: Vec<u32> = self
            .statuses
            .iter()
            .filter(|(_, k)| !k.sent)
            .map(|(id, _)| *id)
            .collect();
        for id in unsent {
            let Some(known) = self.statuses.get_mut(&id) else {
                continue;
            };
            known.sent = true;
            let known = known.clone();
            let p = status_notification(id, &known, self.wall_time(known.at));
            self.send(p, Sent::Status);
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
        if self.outbox.ready_at.is_some_and(|t| now < t) {
            return;
        }
        if let Some(load) = self.outbox.refill() {
            self.actions.push_back(load);
        }
        let Some(head) = self.outbox.head().cloned() else {
            return;
        };
        let mut payload = head.payload.clone();
        if matches!(head.action.as_str(), "StopTransaction" | "MeterValues")
            && head.local_transaction_id != NO_TRANSACTION
        {
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
        if let Some(record) = self.outbox.refuse(seq) {
            self.kept_aside(record, why);
        }
    }

    fn kept_aside(&mut self, record: OutboxRecord, why: &str) {
        tracing::error!(seq = record.seq, action = %record.action, why, "message kept aside after refusals");
        self.security_event_done(record.seq);
        self.actions.push_back(CoreAction::OutboxRefused(record));
    }

    /// Queue a transaction message in the outbox (persisted as its payload).
    fn enqueue_message(&mut self, request: impl Into<v16::Request>, local_transaction_id: i64) {
        let request = request.into();
        match request.to_payload() {
            Ok(payload) => self.enqueue(request.action().as_str(), payload, local_transaction_id),
            Err(e) => tracing::error!(action = request.action().as_str(), error = %e,
                "transaction message could not be written"),
        }
    }

    fn enqueue(&mut self, action: &str, payload: Value, local_transaction_id: i64) {
        let record = self.outbox.push(action, payload, local_transaction_id);
        self.actions.push_back(CoreAction::OutboxPut(record));
    }

    // ----- station events ----------------------------------------------------------------------

    pub fn on_station_event(&mut self, event: &StationEvent, now: Timestamp) {
        self.now = self.now.max(now);
        match event {
            StationEvent::StatusChanged {
                connector,
                status,
                info,
                fault,
                at,
            } => {
                self.statuses.insert(
                    *connector,
                    KnownStatus::new(*status, info.clone(), fault.clone(), *at),
                );
                self.derive_charge_point_status(*at);
            }
            StationEvent::TransactionStarted(t) => {
                let start = v16::StartTransactionRequest {
                    connector_id: i64::from(t.connector),
                    id_tag: truncate(&t.id_tag, 20),
                    meter_start: t.meter_start_wh.round() as i64,
                    timestamp: self.wall_time(t.at),
                    reservation_id: self
                        .take_reservation_for(t.connector, &t.id_tag)
                        .map(i64::from),
                };
                let mut data = TransactionData::default();
                let begin = MeterReading {
                    connector: t.connector,
                    transaction_id: Some(t.transaction_id),
                    energy_wh: t.meter_start_wh,
                    voltage: 0.0,
                    current: 0.0,
                    offered_current: 0.0,
                    soc_percent: None,
                    temperature_c: None,
                    pin_temperature_c: None,
                    coolant_temperature_c: None,
                };
                data.push(
                    self.wall_time(t.at),
                    sampled_values(
                        &begin,
                        &["Energy.Active.Import.Register".to_string()],
                        v16::ReadingContext::TransactionBegin,
                    ),
                );
                let interval = self.keys.meter_value_sample_interval;
                self.running.insert(
                    t.connector,
                    RunningTransaction {
                        local_id: t.transaction_id,
                        id_tag: t.id_tag.clone(),
                        started_ms: self.unix_ms(t.at),
                        next_sample: (!interval.is_zero()).then(|| t.at + interval),
                        data,
                    },
                );
                self.enqueue_message(start, t.transaction_id);
                self.transaction_started_profiles(t.connector, &t.id_tag, now);
            }
            StationEvent::TransactionStopped(t) => {
                let running = self.running.remove(&t.connector);
                let mut data = running.as_ref().map(|r| r.data.clone()).unwrap_or_default();
                let end = MeterReading {
                    connector: t.connector,
                    transaction_id: Some(t.transaction_id),
                    energy_wh: t.meter_stop_wh,
                    voltage: 0.0,
                    current: 0.0,
                    offered_current: 0.0,
                    soc_percent: t.soc_percent,
                    temperature_c: None,
                    pin_temperature_c: None,
                    coolant_temperature_c: None,
                };
                data.push(
                    self.wall_time(t.at),
                    sampled_values(
                        &end,
                        &[
                            "Energy.Active.Import.Register".to_string(),
                            "SoC".to_string(),
                        ],
                        v16::ReadingContext::TransactionEnd,
                    ),
                );
                let stop = v16::StopTransactionRequest {
                    // Patched with the CSMS's id when it goes out.
                    transaction_id: t.transaction_id,
                    meter_stop: t.meter_stop_wh.round() as i64,
                    timestamp: self.wall_time(t.at),
                    reason: Some(stop_reason(&t.reason)),
                    id_tag: running.as_ref().map(|r| truncate(&r.id_tag, 20)),
                    transaction_data: Some(data.into_meter_values()),
                };
                self.enqueue_message(stop, t.transaction_id);
                self.transaction_ended_profiles(t.connector, now);
            }
            StationEvent::VehicleIdentified { connector, vin, .. } => {
                self.authorize_vehicle(*connector, vin, now);
            }
            _ => {}
        }
    }

    /// Connector 0 is Unavailable when every connector is (ChangeAvailability for the whole
    /// charge point), Available otherwise.
    fn derive_charge_point_status(&mut self, at: Timestamp) {
        let connectors: Vec<ConnectorStatus> = self
            .statuses
            .iter()
            .filter(|(id, _)| **id > 0)
            .map(|(_, v)| v.status)
            .collect();
        let status = if !connectors.is_empty()
            && connectors
                .iter()
                .all(|s| *s == ConnectorStatus::Unavailable)
        {
            ConnectorStatus::Unavailable
        } else {
            ConnectorStatus::Available
        };
        if self.statuses.get(&0).map(|v| v.status) != Some(status) {
            self.statuses
                .insert(0, KnownStatus::new(status, None, None, at));
        }
    }

    // ----- meters -----------------------------------------------------------------------------

    /// Ask the shell for the readings that are due: each transaction's periodic sample, and
    /// the clock-aligned readings of every connector.
    fn sample_meters(&mut self, now: Timestamp) {
        let interval = self.keys.meter_value_sample_interval;
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
        let aligned = self.keys.clock_aligned_data_interval;
        if aligned.is_zero() {
            self.aligned_due = None;
            return;
        }
        // Keys bound the interval to a day; the grid arithmetic saturates all the same.
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
                let connectors = (1..=self.keys.number_of_connectors).collect();
                self.actions.push_back(CoreAction::ReadMeters {
                    connectors,
                    context: ReadingContext::Clock,
                });
            }
            Some(_) => {}
        }
    }

    /// The readings the shell took for a [`CoreAction::ReadMeters`].
    pub fn on_meter_readings(
        &mut self,
        readings: Vec<MeterReading>,
        context: ReadingContext,
        now: Timestamp,
    ) {
        self.now = self.now.max(now);
        for r in readings {
            self.readings.insert(r.connector, r.clone());
            let measurands = match context {
                ReadingContext::Periodic | ReadingContext::Trigger => {
                    self.keys.meter_values_sampled_data.clone()
                }
                ReadingContext::Clock => self.keys.meter_values_aligned_data.clone(),
            };
            let running = self
                .running
                .get(&r.connector)
                .filter(|t| Some(t.local_id) == r.transaction_id)
                .map(|t| t.local_id);
            // A periodic sample belongs to its transaction (MeterValueSampleInterval counts
            // from the start of one). When the station's session ended between the request
            // and the reading, the reading has no transaction: it is nobody's sample, and sent
            // bare it would reach the CSMS in the middle of the transaction it outlived.
            if running.is_none() && context == ReadingContext::Periodic {
                tracing::debug!(
                    connector = r.connector,
                    "periodic sample taken after its transaction ended: dropped"
                );
                continue;
            }
            let sampled = sampled_values(&r, &measurands, context.message());
            let wall = self.wall_time(now);
            if let Some(t) = running.and_then(|_| self.running.get_mut(&r.connector)) {
                let stop_measurands = match context {
                    ReadingContext::Periodic => &self.keys.stop_txn_sampled_data,
                    ReadingContext::Clock => &self.keys.stop_txn_aligned_data,
                    ReadingContext::Trigger => &Vec::new(),
                };
                let stop_sampled = sampled_values(&r, stop_measurands, context.message());
                t.data.push(wall, stop_sampled);
            }
            if sampled.is_empty() {
                continue;
            }
            let mut message = v16::MeterValuesRequest {
                connector_id: i64::from(r.connector),
                meter_value: vec![v16::MeterValue {
                    timestamp: wall,
                    sampled_value: sampled,
                }],
                transaction_id: None,
            };
            match (running, context) {
                // A transaction's meter values are part of its record: through the outbox.
                (Some(tx), ReadingContext::Periodic | ReadingContext::Clock) => {
                    message.transaction_id = Some(tx);
                    self.enqueue_message(message, tx);
                }
                (Some(tx), ReadingContext::Trigger) => {
                    message.transaction_id = self.transaction_ids.get(&tx).copied();
                    self.send_if_accepted(message, Sent::Plain);
                }
                (None, _) => self.send_if_accepted(message, Sent::Plain),
            }
        }
    }

    /// The station's outcome of a command the core asked for on behalf of a CSMS call.
    pub fn command_done(&mut self, reply: PendingReply, accepted: bool, scheduled: bool) {
        self.command_outcome(reply, accepted, scheduled, None);
    }

    /// Like [`command_done`](Self::command_done), with the station's refusal when there was
    /// one (ReserveNow answers Occupied, Faulted or Unavailable from it).
    pub fn command_outcome(
        &mut self,
        reply: PendingReply,
        accepted: bool,
        scheduled: bool,
        refusal: Option<&crate::station::CommandError>,
    ) {
        use crate::station::CommandError;
        let status = match (&reply.kind, accepted, scheduled) {
            (ReplyKind::ChangeAvailabilityPart { total }, _, _) => {
                let total = *total;
                let key = reply.id.as_str().to_string();
                let entry = self.availability_parts.entry(key.clone()).or_default();
                entry.0 += 1;
                entry.1 |= scheduled;
                entry.2 |= !accepted;
                if entry.0 < total {
                    return;
                }
                let (_, scheduled, refused) = *entry;
                self.availability_parts.remove(&key);
                match (refused, scheduled) {
                    (true, _) => "Rejected",
                    (false, true) => "Scheduled",
                    (false, false) => "Accepted",
                }
            }
            (ReplyKind::ReserveNow { reservation }, true, _) => {
                self.reservations
                    .insert(reservation.id, reservation.clone());
                "Accepted"
            }
            (ReplyKind::ReserveNow { .. }, false, _) => match refusal {
                Some(CommandError::Faulted { .. }) => "Faulted",
                Some(CommandError::Inoperative(_)) => "Unavailable",
                Some(CommandError::Occupied(_) | CommandError::Busy(_)) => "Occupied",
                _ => "Rejected",
            },
            (ReplyKind::ChangeAvailability, true, true) => "Scheduled",
            (_, true, _) => "Accepted",
            (_, false, _) => "Rejected",
        };
        self.respond(&reply.id, json!({ "status": status }));
    }

    /// The shell's answer to a [`CoreAction::ShellCall`].
    /// `None`: the shell has no answer to it (never for the calls the core hands over), and
    /// the CSMS hears InternalError.
    pub fn shell_reply(&mut self, reply: PendingReply, response: Option<v16::Response>) {
        match response {
            Some(response) => self.reply(&reply.id, response),
            None => {
                let _ = self.rpc.respond_error(
                    &reply.id,
                    charger_protocol::ocpp::RpcErrorCode::InternalError,
                    "no answer for this call",
                );
            }
        }
    }

    // ----- the CSMS's answers and calls ------------------------------------------------------

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
                    self.on_call(id, &action, payload, now)
                }
                Inbound::Malformed { .. } => {}
            }
        }
    }

    /// Take the CSMS's clock (BootNotification.conf, Heartbeat.conf); a large step is a
    /// security event.
    fn set_clock(&mut self, current_time: DateTime, now: Timestamp) {
        // Profiles are wall-clock schedules: recompute them on the clock taken.
        self.limits_due = Some(now);
        if let Some(step) = self.clock.take_csms_time(current_time, now) {
            self.security_event(
                SecurityEvent::SettingSystemTime,
                Some(format!("clock stepped by {} s", step / 1000)),
                now,
            );
            // The aligned grid moved with the clock.
            self.aligned_due = None;
        }
    }

    /// A CALLRESULT to what we sent. Its payload passed the schema in the RPC layer; here it
    /// becomes the typed answer to the action sent, and one that does not fit its type (a
    /// number beyond i64) counts as no answer.
    fn on_result(&mut self, id: MessageId, payload: Value, now: Timestamp) {
        let Some(sent) = self.in_flight.get(id.as_str()).cloned() else {
            return;
        };
        let action = match &sent {
            Sent::Boot => v16::Action::BootNotification,
            Sent::Heartbeat => v16::Action::Heartbeat,
            Sent::SignCertificate => v16::Action::SignCertificate,
            Sent::Authorize { .. } => v16::Action::Authorize,
            Sent::Outbox(seq) => match self
                .outbox
                .iter()
                .find(|r| r.seq == *seq)
                .and_then(|r| v16::Action::from_name(&r.action))
            {
                Some(action) => action,
                None => {
                    self.in_flight.remove(id.as_str());
                    return;
                }
            },
            // Nothing is read from these answers.
            Sent::Status | Sent::Plain => {
                self.in_flight.remove(id.as_str());
                return;
            }
        };
        let response = match v16::Response::from_payload(action, payload) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(action = action.as_str(), error = %e,
                    "CSMS answer fits its schema but not its type");
                self.in_flight.remove(id.as_str());
                match sent {
                    // Delivered all the same: sending it again would count it twice. What
                    // the answer said (the CSMS's transaction id) is lost, as for an answer
                    // without it.
                    Sent::Outbox(seq) => {
                        if self.outbox_take(seq).is_some() {
                            self.outbox_done(seq, now);
                        }
                    }
                    // An answer that cannot be read accepts nobody.
                    Sent::Authorize { id_tag, purpose } => {
                        let invalid = v16::IdTagInfo {
                            status: v16::AuthorizationStatus::Invalid,
                            expiry_date: None,
                            parent_id_tag: None,
                        };
                        self.on_authorize_result(&id_tag, purpose, &invalid, now);
                    }
                    Sent::Boot => self.boot_due = Some(now + DEFAULT_BOOT_RETRY),
                    Sent::Heartbeat | Sent::SignCertificate | Sent::Status | Sent::Plain => {}
                }
                return;
            }
        };
        self.in_flight.remove(id.as_str());
        match (sent, response) {
            (Sent::Boot, v16::Response::BootNotification(r)) => self.on_boot_result(r, now),
            (Sent::Heartbeat, v16::Response::Heartbeat(r)) => self.set_clock(r.current_time, now),
            (Sent::SignCertificate, v16::Response::SignCertificate(r))
                if r.status != v16::GenericStatusEnum::Accepted =>
            {
                tracing::warn!("the CSMS rejected our certificate signing request");
            }
            (Sent::Authorize { id_tag, purpose }, v16::Response::Authorize(r)) => {
                self.on_authorize_result(&id_tag, purpose, &r.id_tag_info, now)
            }
            (Sent::Outbox(seq), response) => {
                let Some(record) = self.outbox_take(seq) else {
                    return;
                };
                match response {
                    v16::Response::StartTransaction(r) => {
                        self.on_start_transaction_result(&record, &r, now)
                    }
                    v16::Response::StopTransaction(r) => {
                        if let (Some(tag), Some(info)) =
                            (record.payload["idTag"].as_str(), &r.id_tag_info)
                        {
                            self.remember_id_tag_info(tag, info, now);
                        }
                    }
                    _ => {}
                }
                self.outbox_done(seq, now);
            }
            _ => {}
        }
    }

    /// The CSMS answered outbox record `seq`: out of the memory window, for what its answer
    /// sets in motion (journaled before the record leaves the journal, [`outbox_done`]).
    fn outbox_take(&mut self, seq: u64) -> Option<OutboxRecord> {
        let record = self.outbox.take(seq)?;
        self.security_event_done(seq);
        Some(record)
    }

    /// ... then out of the journal, and the next record may go.
    fn outbox_done(&mut self, seq: u64, now: Timestamp) {
        self.actions.push_back(CoreAction::OutboxRemove(seq));
        self.outbox.ready_at = Some(now);
        self.send_outbox_head(now);
    }

    fn on_boot_result(&mut self, r: v16::BootNotificationResponse, now: Timestamp) {
        // The CSMS's interval is hostile like any value: beyond a week it is a week, and a
        // negative one counts as 0 (our own choice, 1.6 §4.2).
        let interval = u64::try_from(r.interval)
            .unwrap_or(0)
            .min(super::keys::MAX_INTERVAL_S);
        self.set_clock(r.current_time, now);
        let wait = if interval == 0 {
            DEFAULT_BOOT_RETRY
        } else {
            Duration::from_secs(interval)
        };
        match r.status {
            v16::RegistrationStatus::Accepted => {
                let first = self.registration == Registration::Unknown;
                self.registration = Registration::Accepted;
                self.registered_at = self.endpoint.clone();
                if interval > 0 {
                    self.keys.heartbeat_interval = Duration::from_secs(interval);
                }
                // A Heartbeat the CSMS triggered while the boot was in flight is still due
                // now; otherwise the next one after the interval.
                let periodic = now + self.keys.heartbeat_interval;
                self.heartbeat_due =
                    Some(self.heartbeat_due.filter(|t| *t <= now).unwrap_or(periodic));
                // Every connector's status, connector 0 included, after acceptance.
                for v in self.statuses.values_mut() {
                    v.sent = false;
                }
                if first {
                    self.on_accepted(now);
                }
                self.update(now);
            }
            v16::RegistrationStatus::Pending => {
                self.registration = Registration::Pending;
                self.boot_due = Some(now + wait);
            }
            v16::RegistrationStatus::Rejected => {
                self.registration = Registration::Rejected;
                self.boot_due = Some(now + wait);
            }
        }
    }

    fn on_start_transaction_result(
        &mut self,
        record: &OutboxRecord,
        r: &v16::StartTransactionResponse,
        now: Timestamp,
    ) {
        let csms = r.transaction_id;
        self.transaction_ids
            .insert(record.local_transaction_id, csms);
        self.actions.push_back(CoreAction::TransactionIdAssigned {
            local: record.local_transaction_id,
            csms,
        });
        self.transaction_id_assigned_profiles(record.local_transaction_id, csms, now);
        if let Some(tag) = record.payload["idTag"].as_str() {
            self.remember_id_tag_info(tag, &r.id_tag_info, now);
        }
        if r.id_tag_info.status != v16::AuthorizationStatus::Accepted
            && self.keys.stop_transaction_on_invalid_id
        {
            // StopTransactionOnInvalidId: end a transaction the CSMS does not accept.
            if let Some((&connector, _)) = self
                .running
                .iter()
                .find(|(_, t)| t.local_id == record.local_transaction_id)
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

    fn on_failure(&mut self, id: MessageId, refused: bool, now: Timestamp) {
        let Some(sent) = self.in_flight.remove(id.as_str()) else {
            return;
        };
        match sent {
            Sent::Boot => self.boot_due = Some(now + DEFAULT_BOOT_RETRY),
            Sent::Heartbeat | Sent::Status | Sent::Plain | Sent::SignCertificate => {}
            Sent::Authorize { id_tag, purpose } => self.decide_offline(&id_tag, purpose),
            Sent::Outbox(seq) => {
                let attempts = self.keys.transaction_message_attempts.max(1);
                let retry = self.keys.transaction_message_retry_interval;
                match self.outbox.failed(seq, refused, attempts, retry, now) {
                    Failure::KeptAside(record) => self.kept_aside(
                        record,
                        "refused by the CSMS TransactionMessageAttempts times",
                    ),
                    Failure::Refused(record) => {
                        self.actions.push_back(CoreAction::OutboxPut(record))
                    }
                    Failure::Unanswered | Failure::Unknown => {}
                }
            }
        }
    }

    fn respond(&mut self, id: &MessageId, payload: Value) {
        if let Err(e) = self.rpc.respond(id, payload) {
            tracing::error!(error = %e, "OCPP reply refused by the RPC layer");
        }
    }

    /// Answer a CALL with its typed response.
    fn reply(&mut self, id: &MessageId, response: impl Into<v16::Response>) {
        match response.into().to_payload() {
            Ok(payload) => self.respond(id, payload),
            Err(e) => self.reply_failed(id, &e),
        }
    }

    /// A typed message that could not be written (it cannot happen with the generated types,
    /// which hold nothing serde cannot write): the CSMS hears InternalError, never silence.
    fn reply_failed(&mut self, id: &MessageId, e: &serde_json::Error) {
        tracing::error!(error = %e, "OCPP reply could not be written");
        let _ = self.rpc.respond_error(
            id,
            charger_protocol::ocpp::RpcErrorCode::InternalError,
            "reply could not be written",
        );
    }

    fn free_connector(&self) -> Option<u32> {
        (1..=self.keys.number_of_connectors).find(|c| {
            !self.running.contains_key(c)
                && self.statuses.get(c).is_none_or(|v| {
                    matches!(
                        v.status,
                        ConnectorStatus::Available | ConnectorStatus::Preparing
                    )
                })
        })
    }

    fn status_of(&self, connector: u32) -> Option<ConnectorStatus> {
        self.statuses.get(&connector).map(|v| v.status)
    }

    /// Mark every status unsent (TriggerMessage StatusNotification without a connector).
    fn resend_statuses(&mut self, only: Option<u32>) {
        for (c, v) in self.statuses.iter_mut() {
            if only.is_none_or(|o| o == *c) {
                v.sent = false;
            }
        }
    }
}

/// A StatusNotification for `connector`. A Faulted status carries the error code, vendor error
/// code and info from the fault table ([`crate::station::fault`]); the kind decides, not the
/// text. A Faulted status without a known fault (none should exist) is an OtherError.
fn status_notification(
    connector: u32,
    known: &KnownStatus,
    timestamp: DateTime,
) -> v16::StatusNotificationRequest {
    let (error_code, vendor_error_code) = match (&known.fault, known.status) {
        // Any status may carry a fault: a connector charges on with a stale meter (1.6 lets a
        // non-Faulted status have an errorCode).
        (Some(fault), _) => {
            let report = fault.report();
            (
                error_code(report.error_code),
                Some(report.vendor_error_code.to_string()),
            )
        }
        (None, ConnectorStatus::Faulted) => (v16::ChargePointErrorCode::OtherError, None),
        (None, _) => (v16::ChargePointErrorCode::NoError, None),
    };
    v16::StatusNotificationRequest {
        connector_id: i64::from(connector),
        status: status_message(known.status),
        error_code,
        vendor_error_code,
        info: known.info.as_deref().map(|i| truncate(i, 50)),
        timestamp: Some(timestamp),
        vendor_id: None,
    }
}

/// The fault table's error code as 1.6 carries it.
fn error_code(code: crate::station::fault::ChargePointErrorCode) -> v16::ChargePointErrorCode {
    use crate::station::fault::ChargePointErrorCode as C;
    use v16::ChargePointErrorCode as W;
    match code {
        C::ConnectorLockFailure => W::ConnectorLockFailure,
        C::EVCommunicationError => W::EVCommunicationError,
        C::GroundFailure => W::GroundFailure,
        C::HighTemperature => W::HighTemperature,
        C::InternalError => W::InternalError,
        C::OtherError => W::OtherError,
        C::OverCurrentFailure => W::OverCurrentFailure,
        C::OverVoltage => W::OverVoltage,
        C::PowerMeterFailure => W::PowerMeterFailure,
        C::PowerSwitchFailure => W::PowerSwitchFailure,
        C::UnderVoltage => W::UnderVoltage,
    }
}

/// A connector status as 1.6 carries it.
pub(super) fn status_message(status: ConnectorStatus) -> v16::ChargePointStatus {
    use v16::ChargePointStatus as W;
    match status {
        ConnectorStatus::Available => W::Available,
        ConnectorStatus::Preparing => W::Preparing,
        ConnectorStatus::Charging => W::Charging,
        ConnectorStatus::SuspendedEVSE => W::SuspendedEVSE,
        ConnectorStatus::SuspendedEV => W::SuspendedEV,
        ConnectorStatus::Finishing => W::Finishing,
        ConnectorStatus::Reserved => W::Reserved,
        ConnectorStatus::Unavailable => W::Unavailable,
        ConnectorStatus::Faulted => W::Faulted,
    }
}

/// The station's stop reason as 1.6's StopTransaction.reason.
fn stop_reason(r: &StopReason) -> v16::Reason {
    use v16::Reason as W;
    match r {
        StopReason::VehicleRequest => W::EVDisconnected,
        StopReason::Local => W::Local,
        StopReason::Remote => W::Remote,
        StopReason::EmergencyStop => W::EmergencyStop,
        StopReason::Unplugged => W::EVDisconnected,
        StopReason::PowerLoss => W::PowerLoss,
        StopReason::Shutdown => W::Reboot,
        StopReason::DeAuthorized => W::DeAuthorized,
        StopReason::Reset { hard: true } => W::HardReset,
        StopReason::Reset { hard: false } => W::SoftReset,
        StopReason::UnlockCommand => W::UnlockCommand,
        StopReason::VehicleFault(_)
        | StopReason::CommunicationLost(_)
        | StopReason::Incompatible(_)
        | StopReason::PowerSupplyFault(_)
        | StopReason::InsulationFailure(_)
        | StopReason::ImplausibleMeasurement(_)
        | StopReason::ChargerFault(_) => W::Other,
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub use crate::wall_time::parse_rfc3339_ms;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faulted_status_carries_the_codes_of_its_fault_kind() {
        use crate::station::fault::{Fault, FaultKind, Reading};
        for (fault, code, vendor) in [
            (
                Fault::with_detail(FaultKind::InsulationFailure, "40000 Ω during charging"),
                "GroundFailure",
                "CD-INS-01",
            ),
            (
                Fault::with_detail(FaultKind::WeldingSuspected, "cable at 400 V"),
                "PowerSwitchFailure",
                "CD-CTR-01",
            ),
            (
                Fault::with_detail(
                    FaultKind::OverCurrent,
                    "measured 120.0 A with 100.0 A commanded",
                ),
                "OverCurrentFailure",
                "CD-OCP-01",
            ),
            (
                Fault::new(FaultKind::StaleReading(Reading::PowerSupply)),
                "PowerMeterFailure",
                "CD-PSU-02",
            ),
            (
                Fault::new(FaultKind::EmergencyStop),
                "OtherError",
                "CD-EMS-01",
            ),
            // Text that once chose the code by its words: the kind decides now.
            (
                Fault::with_detail(FaultKind::PowerSupply, "insulation of module 3 too warm"),
                "InternalError",
                "CD-PSU-01",
            ),
        ] {
            let known = KnownStatus::new(
                ConnectorStatus::Faulted,
                Some(fault.to_string()),
                Some(fault.clone()),
                Timestamp::ZERO,
            );
            let at = DateTime::from_unix_ms(1_796_598_000_000);
            let p = v16::Request::from(status_notification(1, &known, at))
                .to_payload()
                .unwrap();
            assert_eq!(p["status"], "Faulted");
            assert_eq!(p["errorCode"], code, "{fault:?}");
            assert_eq!(p["vendorErrorCode"], vendor, "{fault:?}");
            assert_eq!(p["info"], truncate(&fault.to_string(), 50));
        }
        let available = KnownStatus::new(ConnectorStatus::Available, None, None, Timestamp::ZERO);
        let at = DateTime::from_unix_ms(1_796_598_000_000);
        let p = status_notification(0, &available, at);
        assert_eq!(p.error_code, v16::ChargePointErrorCode::NoError);
        assert!(p.vendor_error_code.is_none());
    }

    /// A stale DC meter does not stop the session: the Charging status carries its code.
    #[test]
    fn a_connector_charging_with_a_stale_meter_reports_the_meter_failure() {
        let fault = Fault::with_detail(crate::station::FaultKind::MeterStale, "not answering");
        let known = KnownStatus::new(
            ConnectorStatus::Charging,
            Some(fault.to_string()),
            Some(fault),
            Timestamp::ZERO,
        );
        let p = status_notification(1, &known, DateTime::from_unix_ms(1_796_598_000_000));
        assert_eq!(p.status, v16::ChargePointStatus::Charging);
        assert_eq!(p.error_code, v16::ChargePointErrorCode::PowerMeterFailure);
        assert_eq!(p.vendor_error_code.as_deref(), Some("CD-MTR-01"));
        assert_eq!(p.info.as_deref(), Some("DC meter stale: not answering"));
    }
}
