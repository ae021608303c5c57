//! The OCPP client as the daemon's main loop owns it: the pure [`ChargePoint`], the command
//! side of the [`Link`](super::link::Link), the outbox's own journal connection, the
//! certificate store, and the file jobs (downloads, installs, uploads) it starts.
//!
//! The main loop feeds it station events and [`OcppInput`]s (link events and job progress,
//! one channel) and, after every step, lets it [`pump`](OcppClient::pump): frames go to the
//! link, persistence actions to SQLite (before the frames they concern, since the core asks
//! for them first), station commands and meter reads back to the main loop. Outbox writes are
//! synchronous on this connection (WAL, `synchronous=FULL`): a transaction message is on disk
//! before the text that carries it is handed to the link.
//!
//! Credentials the CSMS changes at run time (AuthorizationKey, CentralSystemRootCertificates,
//! the renewed client certificate, a raised SecurityProfile) are kept in the work directory
//! (and, for the profile and the certificate's file names, the journal), and override the
//! configured files from then on, across restarts too. Key material is only ever in 0600 files
//! written by [`crate::files`]: never in the journal, whose contents travel further
//! (backups, diagnostics exports).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use charger_protocol::ocpp::{v16, OcppVersion};
use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::certs::{self, CertificateStore, CertificateUse, HashData, PendingKey};
use super::chargepoint::{
    ChargePoint, CoreAction, FileJob, FirmwarePolicy, Identity, JobProgress, Keys, PendingReply,
    SecurityEvent, StartDecision, Traffic,
};
use super::link::{ConnectionId, Link, LinkCommand, LinkConfig, LinkEvent};
use super::meter::{MeterReading, ReadingContext};
use super::settings::{
    AuthorizationKey, AuthorizationKeys, OcppSection, SecurityProfile, SettingsError,
    TransferTrust, UploadMethodSetting,
};
use super::transfer::{self, ArchiveEntry, ArchiveLimits, TransferSettings, UploadMethod};
use super::v201::{self, ChargingStation};
use crate::files::{read_private, write_private};
use crate::station::{ConnectorSnapshot, StationCommand, StationEvent, TransactionStop};
use crate::store::{InterruptedTransaction, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OcppClientError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("OCPP outbox: {0}")]
    Store(#[from] StoreError),
    #[error("OCPP work directory {path}: {source}")]
    WorkDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("OCPP certificate store: {0}")]
    Certificates(#[from] certs::CertError),
}

/// What the main loop must do for the OCPP client.
#[derive(Debug)]
pub enum ClientRequest {
    /// Apply to the station, then report with [`OcppClient::command_outcome`] if `reply` is
    /// set.
    Station {
        command: StationCommand,
        reply: Option<PendingReply>,
    },
    /// Read these connectors' meters and hand them to [`OcppClient::meter_readings`].
    ReadMeters {
        connectors: Vec<u32>,
        context: ReadingContext,
        /// The version whose core asked: the readings go back to it.
        version: OcppVersion,
    },
    /// The CSMS asked for a reset.
    Reset { hard: bool },
}

/// Everything the OCPP client waits for, on one channel.
#[derive(Debug)]
pub enum OcppInput {
    Link(LinkEvent),
    Job {
        job: u64,
        progress: JobProgress,
    },
    /// The link task ended without being told to (a panic): the client restarts it.
    LinkTaskFailed {
        why: String,
    },
}

/// Link task failures within [`LINK_FAILURE_WINDOW`] after which the client is unhealthy: the
/// daemon stops petting the watchdog and systemd restarts the whole service.
const LINK_FAILURES_UNHEALTHY: usize = 3;
const LINK_FAILURE_WINDOW: Duration = Duration::from_secs(600);

/// What a finished task's join result says went wrong, `None` if it simply returned.
pub fn task_failure(result: Result<(), tokio::task::JoinError>) -> Option<String> {
    match result {
        Ok(()) => None,
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Some(format!("panicked: {text}"))
        }
        Err(e) => Some(e.to_string()),
    }
}

/// The link as `chargerctl ocpp` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcppStatus {
    pub url: String,
    pub charge_point_id: String,
    pub security_profile: u8,
    pub connected: bool,
    pub last_disconnect: Option<String>,
    pub registration: String,
    pub outbox_depth: usize,
    pub refused_messages: usize,
    /// Security events dropped because too many waited unsent (oldest non-critical first).
    #[serde(default)]
    pub security_events_dropped: u64,
    pub local_list_version: i32,
    pub traffic: Traffic,
    /// The OCPP version spoken: on the last connection, or before one the configured one
    /// (with `auto`, the first offered that has messages waiting, else 2.0.1).
    #[serde(default)]
    pub version: String,
    /// Messages queued in the other version, waiting for a connection that speaks it.
    #[serde(default)]
    pub other_version_waiting: usize,
}

/// Where the client keeps its files.
#[derive(Debug, Clone)]
struct Paths {
    work: PathBuf,
    journal: PathBuf,
}

impl Paths {
    fn firmware(&self, job: u64) -> PathBuf {
        self.work.join(format!("firmware-{job}.img"))
    }
    fn authorization_key(&self) -> PathBuf {
        self.work.join("authorization-key")
    }
    /// The private key of a certificate signing request the CSMS has not answered yet (0600;
    /// never in the journal).
    fn pending_client_key(&self) -> PathBuf {
        self.work.join("pending-client-key.pem")
    }
    fn trust_bundle(&self) -> PathBuf {
        self.work.join("csms-trust.pem")
    }
    fn certificates(&self) -> PathBuf {
        self.work.join("certificates")
    }
}

/// A file job under way: how to stop it and what it leaves on disk.
#[derive(Debug)]
struct RunningJob {
    task: tokio::task::AbortHandle,
    /// Seen by the blocking parts (hashing an image, building an archive), which aborting the
    /// task cannot stop.
    canceled: Arc<AtomicBool>,
    files: Vec<PathBuf>,
}

/// How long `<install command> --image-version <image>` may take.
const IMAGE_VERSION_TIMEOUT: Duration = Duration::from_secs(60);
/// What is kept of a hook's standard output and error; the rest is read and dropped.
const HOOK_OUTPUT_MAX: u64 = 16 * 1024;
/// How long a hook's output is still collected after it exited.
const HOOK_OUTPUT_GRACE: Duration = Duration::from_secs(2);

/// [`OcppClient::start`] failed: why, and the journal it was given, for the daemon to go on
/// journaling without OCPP.
#[derive(Debug)]
pub struct StartFailure {
    pub error: OcppClientError,
    pub store: Store,
}

/// What [`OcppClient::start`] restored before the link runs.
struct Prepared {
    cp: ChargePoint,
    v201: ChargingStation,
    active: OcppVersion,
    client_section: OcppSection,
    paths: Paths,
    certificates: CertificateStore,
    pending_key: Option<PendingKey>,
}

/// The daemon's OCPP client. See the module documentation.
#[derive(Debug)]
pub struct OcppClient {
    /// The OCPP 1.6 core and the 2.0.1 core. Both follow the station; the one of the version
    /// the connection speaks (`active`) talks to the CSMS and starts transactions. A
    /// transaction ends in the version it started in.
    cp: ChargePoint,
    v201: ChargingStation,
    active: OcppVersion,
    /// The versions last asked to be offered first (see [`OcppClient::prefer_versions`]).
    offered_first: Vec<OcppVersion>,
    section: OcppSection,
    paths: Paths,
    certificates: CertificateStore,
    commands: mpsc::UnboundedSender<LinkCommand>,
    inputs: mpsc::Sender<OcppInput>,
    connection: Option<ConnectionId>,
    last_disconnect: Option<String>,
    store: Store,
    link_task: Option<tokio::task::JoinHandle<()>>,
    /// When the link task failed lately (see [`OcppClient::healthy`]).
    link_failures: std::collections::VecDeque<Timestamp>,
    /// The key of a certificate signing request the CSMS has not answered yet.
    pending_key: Option<PendingKey>,
    /// The daemon's whole configuration, for diagnostics archives (redacted when archived).
    diagnostics_config: Option<Value>,
    /// File jobs by job number (finished ones are dropped when the next starts).
    jobs: BTreeMap<u64, RunningJob>,
}

fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl OcppClient {
    /// Start the link task and restore the outbox and the OCPP state. `store`: the journal at
    /// `journal`, whose only writer the client then is (the daemon journals station events
    /// through [`OcppClient::journal`]); handed back in the error should the client not start.
    /// `interrupted`: transactions the last run left open (closed now with PowerLoss), whose
    /// StopTransaction must still reach the CSMS. `ratings`: (connector, A, W).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        section: &OcppSection,
        journal: &Path,
        mut store: Store,
        connectors: &[ConnectorSnapshot],
        interrupted: &[InterruptedTransaction],
        ratings: Vec<(u32, f64, f64)>,
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Result<(OcppClient, mpsc::Receiver<OcppInput>), Box<StartFailure>> {
        let prepared = match Self::prepare(
            section,
            journal,
            &mut store,
            connectors,
            interrupted,
            ratings,
            unix_ms_now,
            now,
        ) {
            Ok(p) => p,
            Err(error) => return Err(Box::new(StartFailure { error, store })),
        };
        let Prepared {
            cp,
            v201,
            active,
            client_section,
            paths,
            certificates,
            pending_key,
        } = prepared;
        let (inputs, inputs_rx) = mpsc::channel(256);
        let mut client = OcppClient {
            cp,
            v201,
            active,
            offered_first: Vec::new(),
            section: client_section,
            paths,
            certificates,
            commands: mpsc::unbounded_channel().0,
            inputs,
            connection: None,
            last_disconnect: None,
            store,
            link_task: None,
            link_failures: std::collections::VecDeque::new(),
            pending_key,
            diagnostics_config: None,
            jobs: BTreeMap::new(),
        };
        if let Err(error) = client.spawn_link() {
            return Err(Box::new(StartFailure {
                error,
                store: client.store,
            }));
        }
        client.persist_actions(&mut Vec::new());
        client.prefer_versions();
        Ok((client, inputs_rx))
    }

    /// The journal (the client's own connection, the file's only writer): the daemon records
    /// station events and reads sessions through it.
    pub fn journal(&mut self) -> &mut Store {
        &mut self.store
    }

    /// What [`start`](Self::start) restores before the link runs.
    #[allow(clippy::too_many_arguments)]
    fn prepare(
        section: &OcppSection,
        journal: &Path,
        store: &mut Store,
        connectors: &[ConnectorSnapshot],
        interrupted: &[InterruptedTransaction],
        ratings: Vec<(u32, f64, f64)>,
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Result<Prepared, OcppClientError> {
        let work = section.files.work_dir.clone().unwrap_or_else(|| {
            journal
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join("ocpp-files")
        });
        // The service's own (0700): staged images, keys and installed roots live below.
        crate::files::create_private_dir(&work, crate::files::PRIVATE_DIR).map_err(|source| {
            OcppClientError::WorkDir {
                path: work.clone(),
                source,
            }
        })?;
        let paths = Paths {
            work,
            journal: journal.to_path_buf(),
        };
        let certificates = CertificateStore::open(&paths.certificates())?;
        let mut keys = Keys::new(u32::try_from(connectors.len()).unwrap_or(u32::MAX));
        keys.security_profile = section.security_profile.as_u8();
        keys.authorization_key_set =
            section.authorization_key_file.is_some() || paths.authorization_key().exists();
        keys.websocket_ping_interval = section.ping_interval().unwrap_or_default();
        // What an earlier run (or an older release, or a hand-edited journal) persisted is
        // checked like a ChangeConfiguration: a value that no longer passes is dropped, said
        // in the log and as a security event, never a reason not to start.
        let mut dropped = Vec::new();
        for (key, value) in store.ocpp_keys()? {
            if let Err(status) = keys.change(&key, &value) {
                tracing::warn!(
                    key,
                    value = %value.chars().take(40).collect::<String>(),
                    status = status.status().as_str(),
                    "persisted OCPP key dropped"
                );
                if let Err(e) = store.delete_ocpp_key(&key) {
                    tracing::warn!(key, error = %e, "could not forget a persisted OCPP key");
                }
                dropped.push(key);
            }
        }
        let mut client_section = section.clone();
        client_section.security_profile = security_profile_from(keys.security_profile);
        let policy = FirmwarePolicy {
            require_signed: section.firmware.require_signed,
            running_version: section
                .firmware
                .running_version
                .clone()
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").into()),
            downgrade_to: section.firmware.downgrade_to.clone(),
        };
        let identity = Identity {
            vendor: "chargerd".into(),
            model: "chargerd".into(),
            serial_number: Some(section.charge_point_id.clone()),
            // The version anti-rollback compares with is the one the CSMS is told.
            firmware_version: policy.running_version.clone(),
        };
        let mut cp = ChargePoint::new(
            identity.clone(),
            keys,
            section.rpc_config(super::link::os_random_u64()),
            unix_ms_now,
            now,
        );
        let facts = v201::device_model::Facts {
            vendor: identity.vendor.clone(),
            model: identity.model.clone(),
            firmware_version: policy.running_version.clone(),
            identity: section.charge_point_id.clone(),
            security_profile: cp.keys().security_profile,
            message_timeout: Duration::from_secs(section.call_timeout_s),
            ping_interval: section.ping_interval().unwrap_or_default(),
            evses: u32::try_from(connectors.len()).unwrap_or(u32::MAX),
        };
        let mut v201 = ChargingStation::new(
            identity,
            facts,
            section.rpc_config(super::link::os_random_u64()),
            unix_ms_now,
            now,
        );
        let window = super::chargepoint::OUTBOX_WINDOW;
        let (count, max_seq) = store.outbox_stats(OcppVersion::V16)?;
        let head = store.outbox_after(OcppVersion::V16, 0, window)?;
        let more = count.saturating_sub(head.len());
        cp.restore_outbox(head, more, max_seq, store.csms_transaction_ids()?);
        let (count, max_seq) = store.outbox_stats(OcppVersion::V201)?;
        let head = store.outbox_after(OcppVersion::V201, 0, window)?;
        let more = count.saturating_sub(head.len());
        v201.restore_outbox(head, more, max_seq);
        v201.share_outbox_seq(cp.outbox_seq());
        v201.set_ratings(ratings.clone());
        cp.set_ratings(ratings);
        // The version spoken until a connection says otherwise: the configured one, or with
        // `auto` the first offered that has messages waiting (else the newest).
        let offered = section.ocpp_versions();
        let waiting = store.outbox_waiting()?;
        for (version, count) in &waiting {
            if *count > 0 && !offered.contains(version) {
                // Kept, never deleted: a configuration that offers the version again sends
                // them.
                tracing::error!(%version, count,
                    "OCPP messages of a version ocpp.version no longer offers wait in the journal; \
                     set ocpp.version = \"auto\" to deliver them");
            }
        }
        let active = offered
            .iter()
            .copied()
            .find(|v| waiting.iter().any(|(w, n)| w == v && *n > 0))
            .or_else(|| offered.first().copied())
            .unwrap_or(OcppVersion::V16);
        cp.set_firmware_policy(policy);
        let pending_key = restore_pending_key(&paths, store);
        for (name, value) in store.ocpp_state()? {
            match name.as_str() {
                "client_certificate" | LEGACY_PENDING_KEY_ROW => {}
                n if n.starts_with("v201_") => v201.restore_state(n, &value),
                _ => cp.restore_state(&name, &value),
            }
        }
        for c in connectors {
            let status = StationEvent::StatusChanged {
                connector: c.id,
                status: c.status,
                info: c.status_info.clone(),
                fault: c.status_fault.clone(),
                at: now,
            };
            cp.on_station_event(&status, now);
            v201.on_station_event(&status, now);
        }
        for t in interrupted {
            // Its end is told in the version its start was.
            let event = StationEvent::TransactionStopped(TransactionStop {
                transaction_id: t.transaction_id,
                connector: t.connector,
                meter_stop_wh: t.meter_wh,
                reason: StopReason::PowerLoss,
                faults: Vec::new(),
                meter_gaps: Vec::new(),
                soc_percent: None,
                at: now,
            });
            if v201.owns_transaction(t.transaction_id) {
                v201.on_station_event(&event, now);
            } else {
                cp.on_station_event(&event, now);
            }
        }
        cp.set_speaking(active == OcppVersion::V16, now);
        v201.set_speaking(active == OcppVersion::V201, now);
        match active {
            OcppVersion::V16 => cp.security_event(SecurityEvent::StartupOfTheDevice, None, now),
            OcppVersion::V201 => v201.security_event("StartupOfTheDevice", None, now),
        }
        for key in dropped {
            let info = format!("configuration key {key} out of range; default kept");
            match active {
                OcppVersion::V16 => {
                    cp.security_event(SecurityEvent::InvalidPersistedSetting, Some(info), now)
                }
                OcppVersion::V201 => {
                    v201.security_event("InvalidPersistedSetting", Some(info), now)
                }
            }
        }
        Ok(Prepared {
            cp,
            v201,
            active,
            client_section,
            paths,
            certificates,
            pending_key,
        })
    }

    /// Start the link task with the effective credentials, and a forwarder that hands its
    /// events to the daemon and reports the task's failure instead of swallowing it.
    fn spawn_link(&mut self) -> Result<(), OcppClientError> {
        let mut link_config = LinkConfig::from_section(&self.effective_section()?)?;
        // The first connection already offers first what waits (a command would come after
        // the link's first attempt).
        self.offered_first = self.version_preference();
        link_config.prefer_versions(&self.offered_first);
        let (handle, link_task) = Link::spawn(link_config);
        let (commands, mut events) = handle.into_parts();
        self.commands = commands;
        let forward = self.inputs.clone();
        let link_task = tokio::spawn(async move {
            let forwarder = async {
                while let Some(ev) = events.recv().await {
                    if forward.send(OcppInput::Link(ev)).await.is_err() {
                        break;
                    }
                }
            };
            let (ended, ()) = tokio::join!(link_task, forwarder);
            if let Some(why) = task_failure(ended) {
                let _ = forward.send(OcppInput::LinkTaskFailed { why }).await;
            }
        });
        self.link_task = Some(link_task);
        Ok(())
    }

    /// False after repeated link task failures: the daemon then stops petting the watchdog,
    /// so that systemd restarts a service whose OCPP side keeps dying.
    pub fn healthy(&self) -> bool {
        self.link_failures.len() < LINK_FAILURES_UNHEALTHY
    }

    fn on_link_task_failed(&mut self, why: &str, now: Timestamp) {
        tracing::error!(%why, "OCPP link task failed; restarting it");
        while self
            .link_failures
            .front()
            .is_some_and(|t| now.saturating_since(*t) > LINK_FAILURE_WINDOW)
        {
            self.link_failures.pop_front();
        }
        self.link_failures.push_back(now);
        if !self.healthy() {
            tracing::error!(
                failures = self.link_failures.len(),
                "OCPP link keeps failing; the watchdog is no longer petted"
            );
        }
        self.last_disconnect = Some(format!("link task {why}"));
        if self.connection.take().is_some() {
            self.on_disconnected(now);
        }
        if let Err(e) = self.spawn_link() {
            tracing::error!(error = %e, "OCPP link could not be restarted");
        }
    }

    /// The daemon's configuration, for diagnostics archives; secrets are redacted
    /// ([`super::diagnostics::redact_config`]) when an archive is built.
    pub fn set_diagnostics_config(&mut self, config: Value) {
        self.diagnostics_config = Some(config);
    }

    /// The configured section with what the CSMS changed since: a raised profile, its
    /// AuthorizationKey, installed CentralSystemRootCertificates, the renewed client
    /// certificate.
    fn effective_section(&self) -> Result<OcppSection, OcppClientError> {
        let mut s = self.section.clone();
        if self.paths.authorization_key().exists() {
            s.authorization_key_file = Some(self.paths.authorization_key());
        }
        let installed = self
            .certificates
            .pems(CertificateUse::CentralSystemRootCertificate)?;
        if !installed.is_empty() {
            let mut bundle = String::new();
            if let Some(configured) = &self.section.ca_bundle {
                bundle.push_str(&std::fs::read_to_string(configured).unwrap_or_default());
                bundle.push('\n');
            }
            for pem in installed {
                bundle.push_str(&pem);
                bundle.push('\n');
            }
            let path = self.paths.trust_bundle();
            crate::files::write_atomic(&path, bundle.as_bytes(), crate::files::CERTIFICATE_FILE)
                .map_err(|source| OcppClientError::WorkDir {
                    path: path.clone(),
                    source,
                })?;
            s.ca_bundle = Some(path);
        }
        if let Ok(Some(state)) = self.store.ocpp_state_of("client_certificate") {
            if let (Some(cert), Some(key)) = (state["certificate"].as_str(), state["key"].as_str())
            {
                let (cert, key) = (PathBuf::from(cert), PathBuf::from(key));
                if cert.exists() && key.exists() {
                    s.client_certificate = Some(cert);
                    s.client_key = Some(key);
                }
            }
        }
        Ok(s)
    }

    /// Rebuild the link's credentials from the effective section; used from the next
    /// connection.
    fn refresh_link_credentials(&mut self) {
        match self
            .effective_section()
            .and_then(|s| LinkConfig::from_section(&s).map_err(Into::into))
        {
            Ok(config) => {
                let _ = self.commands.send(LinkCommand::UpdateCredentials {
                    config: Box::new(config),
                });
            }
            Err(e) => {
                tracing::error!(error = %e, "new OCPP credentials are unusable; keeping the old ones")
            }
        }
    }

    pub fn on_input(&mut self, input: OcppInput, now: Timestamp) {
        match input {
            OcppInput::Link(event) => self.on_link_event(event, now),
            OcppInput::Job { job, progress } => self.cp.job_progress(job, progress, now),
            OcppInput::LinkTaskFailed { why } => self.on_link_task_failed(&why, now),
        }
    }

    pub fn on_link_event(&mut self, event: LinkEvent, now: Timestamp) {
        match event {
            LinkEvent::Connected {
                connection,
                url,
                version,
                security_profile,
            } => {
                tracing::info!(%url, %version, "connected to the CSMS");
                if version != self.active {
                    // What the other version queued stays in the journal, offered first on
                    // later connections until a CSMS speaking it takes it.
                    tracing::warn!(from = %self.active, to = %version,
                        "the CSMS chose another OCPP version; switching");
                    self.active = version;
                    self.cp.set_speaking(version == OcppVersion::V16, now);
                    self.v201.set_speaking(version == OcppVersion::V201, now);
                }
                self.connection = Some(connection);
                if security_profile.uses_basic_auth() {
                    // The CSMS took the current key: the previous one is no longer needed.
                    self.settle_authorization_key(false);
                }
                let endpoint = super::chargepoint::Endpoint {
                    url,
                    security_profile: security_profile.as_u8(),
                };
                match self.active {
                    OcppVersion::V16 => self.cp.on_connected(endpoint, now),
                    OcppVersion::V201 => self.v201.on_connected(endpoint, now),
                }
            }
            LinkEvent::Text(text) => match self.active {
                OcppVersion::V16 => self.cp.on_text(&text, now),
                OcppVersion::V201 => self.v201.on_text(&text, now),
            },
            LinkEvent::AuthorizationKeyFellBack => {
                self.security_event(
                    SecurityEvent::FailedToAuthenticateAtCentralSystem,
                    Some(
                        "the CSMS refused the new AuthorizationKey (HTTP 401); the previous key is used"
                            .into(),
                    ),
                    now,
                );
                self.settle_authorization_key(true);
            }
            LinkEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(%reason, ?retry_in, "CSMS link down");
                let why = reason.to_string();
                // Once per run of the same failure, not once per reconnect attempt: a CSMS with
                // a bad certificate must not fill the outbox with the same event all night.
                if why.contains("certificate") && self.last_disconnect.as_deref() != Some(&why) {
                    self.security_event(
                        SecurityEvent::InvalidCentralSystemCertificate,
                        Some(why.clone()),
                        now,
                    );
                }
                self.last_disconnect = Some(why);
                self.connection = None;
                self.on_disconnected(now);
            }
        }
    }

    fn on_disconnected(&mut self, now: Timestamp) {
        match self.active {
            OcppVersion::V16 => self.cp.on_disconnected(now),
            OcppVersion::V201 => self.v201.on_disconnected(now),
        }
    }

    /// A security event, in the version spoken.
    fn security_event(&mut self, event: SecurityEvent, info: Option<String>, now: Timestamp) {
        match self.active {
            OcppVersion::V16 => self.cp.security_event(event, info, now),
            OcppVersion::V201 => {
                // 2.0.1 renamed the two events that name the central system.
                let name = match event {
                    SecurityEvent::FailedToAuthenticateAtCentralSystem => {
                        "FailedToAuthenticateAtCsms"
                    }
                    SecurityEvent::InvalidCentralSystemCertificate => "InvalidCsmsCertificate",
                    other => other.name(),
                };
                self.v201.security_event(name, info, now)
            }
        }
    }

    /// Statuses go to both cores (each reports them when it speaks); a transaction starts in
    /// the version spoken and ends in the one it started in.
    pub fn on_station_event(&mut self, event: &StationEvent, now: Timestamp) {
        let owner = match event {
            StationEvent::StatusChanged { .. } => {
                self.cp.on_station_event(event, now);
                self.v201.on_station_event(event, now);
                return;
            }
            StationEvent::TransactionStopped(t) if self.v201.owns_transaction(t.transaction_id) => {
                OcppVersion::V201
            }
            StationEvent::TransactionStopped(t) if self.cp.owns_transaction(t.transaction_id) => {
                OcppVersion::V16
            }
            _ => self.active,
        };
        match owner {
            OcppVersion::V16 => self.cp.on_station_event(event, now),
            OcppVersion::V201 => self.v201.on_station_event(event, now),
        }
    }

    pub fn command_outcome(
        &mut self,
        reply: PendingReply,
        result: &Result<crate::station::CommandOutcome, crate::station::CommandError>,
    ) {
        use crate::station::CommandOutcome;
        if matches!(reply.kind, super::chargepoint::ReplyKind::V201(_)) {
            self.v201.command_outcome(reply, result);
            return;
        }
        let (accepted, scheduled, refusal) = match result {
            Ok(CommandOutcome::AvailabilityScheduled) => (true, true, None),
            Ok(_) => (true, false, None),
            Err(e) => (false, false, Some(e)),
        };
        self.cp.command_outcome(reply, accepted, scheduled, refusal);
    }

    /// The readings a core asked for ([`ClientRequest::ReadMeters`]), back to that core.
    pub fn meter_readings(
        &mut self,
        readings: Vec<MeterReading>,
        context: ReadingContext,
        version: OcppVersion,
        now: Timestamp,
    ) {
        match version {
            OcppVersion::V16 => self.cp.on_meter_readings(readings, context, now),
            OcppVersion::V201 => self.v201.on_meter_readings(readings, context, now),
        }
    }

    /// A start with an id tag from the station side, authorized the OCPP way.
    pub fn authorize_start(
        &mut self,
        connector: u32,
        id_tag: &str,
        now: Timestamp,
    ) -> StartDecision {
        match self.active {
            OcppVersion::V16 => self.cp.authorize_start(connector, id_tag, now),
            OcppVersion::V201 => self.v201.authorize_start(connector, id_tag, now),
        }
    }

    /// Local starts the CSMS refused (Authorize): (connector, id tag, why).
    pub fn take_refused_starts(&mut self) -> Vec<(u32, String, String)> {
        let mut refused = self.cp.take_refused_starts();
        refused.extend(self.v201.take_refused_starts());
        refused
    }

    pub fn status(&self) -> OcppStatus {
        OcppStatus {
            url: self.section.csms().map_or_else(
                |_| self.section.csms_url.clone(),
                |u| u.url_for(&self.section.charge_point_id),
            ),
            charge_point_id: self.section.charge_point_id.clone(),
            security_profile: self.cp.keys().security_profile,
            connected: self.connection.is_some(),
            last_disconnect: self.last_disconnect.clone(),
            registration: format!(
                "{:?}",
                match self.active {
                    OcppVersion::V16 => self.cp.registration(),
                    OcppVersion::V201 => self.v201.registration(),
                }
            ),
            outbox_depth: self.outbox_len(),
            refused_messages: self.cp.refused_count() + self.v201.refused_count(),
            security_events_dropped: self.cp.security_events_dropped(),
            local_list_version: self.cp.local_list_version(),
            traffic: match self.active {
                OcppVersion::V16 => self.cp.traffic().clone(),
                OcppVersion::V201 => self.v201.traffic().clone(),
            },
            version: self.active.to_string(),
            other_version_waiting: match self.active {
                OcppVersion::V16 => self.v201.waiting(),
                OcppVersion::V201 => self.cp.waiting(),
            },
        }
    }

    /// Configuration keys for `chargerctl config get`: (key, value, readonly).
    /// With 2.0.1 spoken, the device model's variables, named
    /// `Component[:evse]/Variable[/instance]`.
    pub fn configuration(&self) -> Vec<(String, Option<String>, bool)> {
        if self.active == OcppVersion::V201 {
            return self.v201.variables();
        }
        self.cp
            .keys()
            .list()
            .into_iter()
            .map(|k| (k.key.to_string(), k.value, k.readonly))
            .collect()
    }

    /// `chargerctl config set`: the same checks and persistence as a ChangeConfiguration.
    pub fn change_configuration(
        &mut self,
        key: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        // What the change sets in motion (persisting it first) is carried out by the pump the
        // daemon runs before it answers.
        if self.active == OcppVersion::V201 {
            return self.v201.local_set_variable(key, value, now);
        }
        self.cp.local_change_configuration(key, value, now)
    }

    /// Advance the core, persist what it asks, send what it has; returns what the main loop
    /// must do.
    pub fn pump(&mut self, now: Timestamp) -> Vec<ClientRequest> {
        self.cp.update(now);
        self.v201.update(now);
        let mut requests = Vec::new();
        self.persist_actions(&mut requests);
        loop {
            let text = match self.active {
                OcppVersion::V16 => self.cp.poll_text(now),
                OcppVersion::V201 => self.v201.poll_text(now),
            };
            let Some(text) = text else {
                break;
            };
            match self.connection {
                Some(connection) => {
                    if self
                        .commands
                        .send(LinkCommand::Send { connection, text })
                        .is_err()
                    {
                        tracing::error!("OCPP link task is gone");
                    }
                }
                None => break,
            }
        }
        // Answers to the CSMS may have produced more persistence (e.g. a removed record).
        self.persist_actions(&mut requests);
        self.prefer_versions();
        requests
    }

    /// With `auto`, offer first the version whose messages wait (or whose transaction runs),
    /// so that they reach a CSMS that speaks both; the link keeps to the configured versions.
    fn prefer_versions(&mut self) {
        let first = self.version_preference();
        if first != self.offered_first {
            let _ = self
                .commands
                .send(LinkCommand::PreferVersions(first.clone()));
            self.offered_first = first;
        }
    }

    /// The versions to offer first: those with messages waiting or a transaction running,
    /// the one spoken first.
    fn version_preference(&self) -> Vec<OcppVersion> {
        let mut first = Vec::new();
        if self.cp.waiting() > 0 {
            first.push(OcppVersion::V16);
        }
        if self.v201.waiting() > 0 {
            first.push(OcppVersion::V201);
        }
        first.sort_by_key(|v| *v != self.active);
        first
    }

    /// When the cores next need a pump even without events.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [self.cp.poll_timeout(), self.v201.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// What the connection's version still has to send (refused records and the other
    /// version's aside): what a shutdown waits for.
    pub fn waiting_for_the_link(&self) -> usize {
        match self.active {
            OcppVersion::V16 => self.cp.waiting(),
            OcppVersion::V201 => self.v201.waiting(),
        }
    }

    pub fn outbox_len(&self) -> usize {
        self.cp.outbox_len() + self.v201.outbox_len()
    }

    /// Persist what is pending, then close the WebSocket properly (a Close frame, not a
    /// vanished TCP connection) and wait up to `grace` for the link task to end.
    pub async fn shutdown(&mut self, now: Timestamp, grace: Duration) {
        let _ = self.pump(now);
        let _ = self.commands.send(LinkCommand::Shutdown);
        if let Some(task) = self.link_task.take() {
            if tokio::time::timeout(grace, task).await.is_err() {
                tracing::warn!("OCPP link did not close in time");
            }
        }
    }

    fn persist_actions(&mut self, requests: &mut Vec<ClientRequest>) {
        loop {
            let (action, version) = match self.cp.poll_action() {
                Some(a) => (a, OcppVersion::V16),
                None => match self.v201.poll_action() {
                    Some(a) => (a, OcppVersion::V201),
                    None => break,
                },
            };
            let result = match action {
                CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                    if r.action == "SecurityEventNotification" && r.refusals == 0 && !r.refused {
                        let wall = crate::wall_time::rfc3339_utc(unix_now_ms());
                        let kind = r.payload["type"].as_str().unwrap_or("?");
                        let info = r.payload["techInfo"].as_str().unwrap_or("");
                        if let Err(e) = self.store.log_security_event(kind, info, &wall) {
                            tracing::error!(error = %e, "security log write failed");
                        }
                    }
                    self.store.outbox_put(&r)
                }
                CoreAction::OutboxRemove(seq) => self.store.outbox_remove(seq),
                CoreAction::OutboxLoad { after_seq, limit } => {
                    let loaded = self.store.outbox_after(version, after_seq, limit);
                    match (version, loaded) {
                        (OcppVersion::V16, Ok(records)) => {
                            self.cp.outbox_loaded(records);
                            Ok(())
                        }
                        (OcppVersion::V201, Ok(records)) => {
                            self.v201.outbox_loaded(records);
                            Ok(())
                        }
                        (OcppVersion::V16, Err(e)) => {
                            self.cp.outbox_load_failed();
                            Err(e)
                        }
                        (OcppVersion::V201, Err(e)) => {
                            self.v201.outbox_load_failed();
                            Err(e)
                        }
                    }
                }
                CoreAction::TransactionIdAssigned { local, csms } => {
                    self.store.set_csms_transaction_id(local, csms)
                }
                CoreAction::KeyChanged { key, value } => self.store.set_ocpp_key(&key, &value),
                CoreAction::SaveState { name, value } => self.store.set_ocpp_state(name, &value),
                CoreAction::Station { command, reply } => {
                    requests.push(ClientRequest::Station { command, reply });
                    Ok(())
                }
                CoreAction::ReadMeters {
                    connectors,
                    context,
                } => {
                    requests.push(ClientRequest::ReadMeters {
                        connectors,
                        context,
                        version,
                    });
                    Ok(())
                }
                CoreAction::Reset { hard } => {
                    requests.push(ClientRequest::Reset { hard });
                    Ok(())
                }
                CoreAction::ShellCall { reply, request } => {
                    let answer = self.shell_call(&request);
                    self.cp.shell_reply(reply, answer);
                    Ok(())
                }
                CoreAction::Job(job) => {
                    self.start_job(job);
                    Ok(())
                }
                CoreAction::SecurityProfileRaised(p) => {
                    self.store.set_ocpp_key("SecurityProfile", &p.to_string())
                }
                CoreAction::AuthorizationKeyChanged(secret) => {
                    match self.rotate_authorization_key(&secret.0) {
                        Ok(()) => {
                            self.refresh_link_credentials();
                            Ok(())
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "cannot keep the new AuthorizationKey");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = result {
                // The message stays in memory and is still sent; only its survival across a
                // restart is at risk, which the log says.
                tracing::error!(error = %e, "OCPP journal write failed");
            }
        }
    }

    /// The keys in force: the work directory's key file (the CSMS's), else the configured one.
    fn authorization_keys(&self) -> Option<AuthorizationKeys> {
        let own = self.paths.authorization_key();
        let path = if own.exists() {
            own
        } else {
            self.section.authorization_key_file.clone()?
        };
        match super::settings::read_authorization_key(&path) {
            Ok(keys) => Some(keys),
            Err(e) => {
                tracing::warn!(error = %e, "the AuthorizationKey in force is unreadable");
                None
            }
        }
    }

    /// ChangeConfiguration AuthorizationKey (checked by the core): the new key becomes the
    /// current one, and the last key the CSMS accepted is kept as the previous one until a
    /// connection with the new key succeeds (a second change before that keeps the same
    /// previous key: the one known to work).
    fn rotate_authorization_key(&mut self, hex: &str) -> Result<(), String> {
        let current = AuthorizationKey::from_hex(hex)?;
        let previous = self
            .authorization_keys()
            .and_then(|k| k.previous.or(Some(k.current)))
            .filter(|p| *p != current);
        let keys = AuthorizationKeys { current, previous };
        write_private(
            &self.paths.authorization_key(),
            keys.to_file_text().as_bytes(),
        )
        .map_err(|e| e.to_string())
    }

    /// Drops the previous key from the work directory's key file: after a connection with the
    /// current key (`fell_back` false), or, when the CSMS refused the current key and the link
    /// fell back (`fell_back` true), by making the previous key current again.
    fn settle_authorization_key(&mut self, fell_back: bool) {
        let path = self.paths.authorization_key();
        let Ok(bytes) = read_private(&path, 1024) else {
            return;
        };
        let Ok(keys) = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(AuthorizationKeys::parse)
        else {
            return;
        };
        let Some(previous) = keys.previous else {
            return;
        };
        let settled = AuthorizationKeys {
            current: if fell_back { previous } else { keys.current },
            previous: None,
        };
        match write_private(&path, settled.to_file_text().as_bytes()) {
            Ok(()) if fell_back => {
                tracing::warn!("the refused AuthorizationKey is dropped; the previous one stays")
            }
            Ok(()) => tracing::info!("AuthorizationKey rotation complete"),
            Err(e) => tracing::error!(error = %e, "cannot update the AuthorizationKey file"),
        }
    }

    // ----- calls only the shell can answer ------------------------------------------------------

    /// The calls only the shell can answer (certificate store, link settings), as typed
    /// messages; any other is answered as refused (the core sends only these).
    fn shell_call(&mut self, request: &v16::Request) -> Option<v16::Response> {
        use v16::Request as R;
        let now_s = unix_now_ms() / 1000;
        Some(match request {
            R::InstallCertificate(r) => {
                let answer = |status| v16::InstallCertificateResponse { status }.into();
                let usage = CertificateUse::from_message(r.certificate_type);
                if usage == CertificateUse::ManufacturerRootCertificate
                    && !self.section.firmware.trust_csms_manufacturer_roots
                {
                    // Firmware trust comes from local configuration only: a CSMS that could
                    // install a root could sign its own firmware.
                    let why = "ManufacturerRootCertificate refused: firmware signing roots come \
                               from local configuration (ocpp.firmware.trust_csms_manufacturer_roots)";
                    tracing::warn!("{why}");
                    let now = self.cp_now();
                    self.cp.security_event(
                        SecurityEvent::ManufacturerRootCertificateRefused,
                        Some(why.into()),
                        now,
                    );
                    return Some(answer(v16::InstallCertificateStatusEnum::Rejected));
                }
                let status = self.certificates.install(usage, &r.certificate, now_s);
                tracing::info!(%usage, status = status.as_str(), "InstallCertificate");
                if usage == CertificateUse::CentralSystemRootCertificate
                    && status == certs::InstallStatus::Accepted
                {
                    self.refresh_link_credentials();
                }
                answer(match status {
                    certs::InstallStatus::Accepted => v16::InstallCertificateStatusEnum::Accepted,
                    certs::InstallStatus::Rejected => v16::InstallCertificateStatusEnum::Rejected,
                    certs::InstallStatus::Failed => v16::InstallCertificateStatusEnum::Failed,
                })
            }
            R::DeleteCertificate(r) => {
                let status = self
                    .certificates
                    .delete(&HashData::from_message(&r.certificate_hash_data));
                if status == certs::DeleteStatus::Accepted {
                    self.refresh_link_credentials();
                }
                v16::DeleteCertificateResponse {
                    status: match status {
                        certs::DeleteStatus::Accepted => v16::DeleteCertificateStatusEnum::Accepted,
                        certs::DeleteStatus::Failed => v16::DeleteCertificateStatusEnum::Failed,
                        certs::DeleteStatus::NotFound => v16::DeleteCertificateStatusEnum::NotFound,
                    },
                }
                .into()
            }
            R::GetInstalledCertificateIds(r) => {
                let usage = CertificateUse::from_message(r.certificate_type);
                match self.certificates.installed(Some(usage)) {
                    Ok(list) if !list.is_empty() => v16::GetInstalledCertificateIdsResponse {
                        status: v16::GetInstalledCertificateStatusEnum::Accepted,
                        certificate_hash_data: Some(
                            list.iter().map(HashData::to_message).collect(),
                        ),
                    },
                    _ => v16::GetInstalledCertificateIdsResponse {
                        status: v16::GetInstalledCertificateStatusEnum::NotFound,
                        certificate_hash_data: None,
                    },
                }
                .into()
            }
            R::CertificateSigned(r) => v16::CertificateSignedResponse {
                status: if self.certificate_signed(&r.certificate_chain, now_s) {
                    v16::CertificateSignedStatusEnum::Accepted
                } else {
                    v16::CertificateSignedStatusEnum::Rejected
                },
            }
            .into(),
            R::ChangeConfiguration(r) => v16::ChangeConfigurationResponse {
                status: if self.raise_security_profile(&r.value) {
                    v16::ConfigurationStatus::Accepted
                } else {
                    v16::ConfigurationStatus::Rejected
                },
            }
            .into(),
            other => {
                tracing::error!(action = other.action().as_str(), "not a call for the shell");
                return None;
            }
        })
    }

    fn central_system_roots(&self) -> Vec<String> {
        let mut roots = self
            .certificates
            .pems(CertificateUse::CentralSystemRootCertificate)
            .unwrap_or_default();
        if let Some(configured) = &self.section.ca_bundle {
            if let Ok(text) = std::fs::read_to_string(configured) {
                let name = configured.display().to_string();
                roots.extend(super::certs::split_certificates(&text, &name));
            }
        }
        roots
    }

    /// CertificateSigned: whether the chain answers our pending signing request and is
    /// installed.
    fn certificate_signed(&mut self, chain: &str, now_s: i64) -> bool {
        let now = self.cp_now();
        let Some(key) = self.pending_key.as_ref() else {
            self.cp.security_event(
                SecurityEvent::InvalidChargePointCertificate,
                Some("CertificateSigned without a pending signing request".into()),
                now,
            );
            return false;
        };
        let roots = self.central_system_roots();
        let accepted =
            certs::accept_signed_chain(chain, key, &self.section.charge_point_id, &roots, now_s)
                .and_then(|cert| self.certificates.store_client_certificate(&cert));
        match accepted {
            Ok((cert, key)) => {
                tracing::info!(certificate = %cert.display(), "new client certificate installed");
                let state = json!({"certificate": cert, "key": key});
                let _ = self.store.set_ocpp_state("client_certificate", &state);
                self.pending_key = None;
                if let Err(e) = std::fs::remove_file(self.paths.pending_client_key()) {
                    tracing::warn!(error = %e, "cannot remove the answered signing request's key");
                }
                self.refresh_link_credentials();
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "CertificateSigned rejected");
                self.cp.security_event(
                    SecurityEvent::InvalidChargePointCertificate,
                    Some(e.to_string()),
                    now,
                );
                false
            }
        }
    }

    fn cp_now(&self) -> Timestamp {
        self.cp.now()
    }

    /// ChangeConfiguration SecurityProfile (already checked to be a raise): accepted only if
    /// the link can connect with it (URL scheme, key, CA, client certificate).
    fn raise_security_profile(&mut self, value: &str) -> bool {
        let Some(p) = value.trim().parse::<u8>().ok() else {
            return false;
        };
        let profile = security_profile_from(p);
        let check = self.effective_section().map(|mut s| {
            s.security_profile = profile;
            LinkConfig::from_section(&s)
        });
        match check {
            Ok(Ok(_)) => {
                let now = self.cp_now();
                self.cp.security_profile_raised(p, now);
                self.section.security_profile = profile;
                if let Err(e) = self.store.set_ocpp_key("SecurityProfile", &p.to_string()) {
                    tracing::error!(error = %e, "cannot persist the raised SecurityProfile");
                }
                let (reply, _) = tokio::sync::oneshot::channel();
                // After the answer has gone: the link reconnects with the new profile.
                let commands = self.commands.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let _ = commands.send(LinkCommand::SetSecurityProfile { profile, reply });
                });
                true
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "SecurityProfile not raised: not configured for it");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "SecurityProfile not raised");
                false
            }
        }
    }

    // ----- file jobs ------------------------------------------------------------------------

    /// Transfer settings from `[ocpp.files]` and the security profile in force (which the CSMS
    /// may have raised since start-up: from profile 2 on, uploads are TLS only whatever
    /// `allow_insecure_transfers` says).
    fn transfer_settings(&self) -> TransferSettings {
        let files = &self.section.files;
        let profile = security_profile_from(self.cp.keys().security_profile);
        TransferSettings {
            ca_bundle: match files.transfer_trust {
                TransferTrust::Bundle => files
                    .transfer_ca_bundle
                    .clone()
                    .or_else(|| self.section.ca_bundle.clone()),
                TransferTrust::System => Some(PathBuf::from(transfer::SYSTEM_CA_BUNDLE)),
            },
            upload_method: match files.upload_method {
                UploadMethodSetting::Post => UploadMethod::PostMultipart,
                UploadMethodSetting::Put => UploadMethod::Put,
            },
            allow_insecure_uploads: files.insecure_uploads_allowed(profile),
            allow_local_hosts: files.allow_local_transfer_hosts,
            attempt_timeout: files.transfer_attempt_timeout(),
            ..TransferSettings::default()
        }
    }

    fn start_job(&mut self, job: FileJob) {
        // Jobs that ended on their own need no stopping any more.
        self.jobs.retain(|_, j| !j.task.is_finished());
        let inputs = self.inputs.clone();
        let report = move |job: u64, progress: JobProgress| {
            let inputs = inputs.clone();
            async move {
                let _ = inputs.send(OcppInput::Job { job, progress }).await;
            }
        };
        let settings = self.transfer_settings();
        let canceled = Arc::new(AtomicBool::new(false));
        match job {
            FileJob::DownloadFirmware {
                job,
                location,
                retries,
                retry_interval,
                signature,
            } => {
                let dest = self.paths.firmware(job);
                // Images of updates that were replaced, failed or belong to an earlier run are
                // never installed: they only fill the disk.
                self.remove_stale_images(&dest);
                let roots = self.firmware_roots();
                let settings = TransferSettings {
                    max_download_bytes: self.section.firmware.max_image_bytes,
                    ..settings
                };
                let flag = canceled.clone();
                let image = dest.clone();
                let task = tokio::spawn(async move {
                    report(job, JobProgress::Downloading).await;
                    let result = transfer::download_with_retries(
                        &location,
                        &dest,
                        &settings,
                        retries,
                        retry_interval,
                        |attempt, r| {
                            if let Err(e) = r {
                                tracing::warn!(attempt, error = %e, "firmware download attempt failed");
                            }
                        },
                    )
                    .await;
                    if let Err(e) = result {
                        report(job, JobProgress::DownloadFailed(e.to_string())).await;
                        return;
                    }
                    report(job, JobProgress::Downloaded).await;
                    let Some(sig) = signature else {
                        return;
                    };
                    let now_s = unix_now_ms() / 1000;
                    let image = dest.clone();
                    let verdict = tokio::task::spawn_blocking(move || {
                        certs::verify_firmware_signature_until(
                            &sig.signing_certificate,
                            &sig.signature,
                            &image,
                            &roots,
                            now_s,
                            &flag,
                        )
                    })
                    .await;
                    if !matches!(verdict, Ok(Ok(()))) {
                        // An image that failed its check must never be installed.
                        let _ = tokio::fs::remove_file(&dest).await;
                    }
                    use certs::SignatureError as E;
                    let progress = match verdict {
                        Ok(Ok(())) => JobProgress::SignatureVerified,
                        Ok(Err(
                            e @ (E::BadPem(_)
                            | E::UntrustedCertificate(_)
                            | E::CertificateExpired
                            | E::CertificateNotYetValid),
                        )) => JobProgress::InvalidCertificate(e.to_string()),
                        Ok(Err(e)) => JobProgress::InvalidSignature(e.to_string()),
                        Err(e) => JobProgress::InvalidSignature(e.to_string()),
                    };
                    report(job, progress).await;
                });
                let files = vec![transfer::partial_path(&image), image];
                self.track(job, task, canceled, files, JobProgress::DownloadFailed);
            }
            FileJob::CheckImageVersion { job } => {
                let image = self.paths.firmware(job);
                let command = self.section.files.firmware_install_command.clone();
                let task = tokio::spawn(async move {
                    let progress = match command {
                        None => JobProgress::ImageVersionUnknown(
                            "no ocpp.files.firmware_install_command configured".into(),
                        ),
                        Some(command) => match image_version(&command, &image).await {
                            Ok(version) => JobProgress::ImageVersion(version),
                            Err(why) => JobProgress::ImageVersionUnknown(why),
                        },
                    };
                    report(job, progress).await;
                });
                // The image stays: it is installed next, or deleted by a Cancel.
                self.track(
                    job,
                    task,
                    canceled,
                    Vec::new(),
                    JobProgress::ImageVersionUnknown,
                );
            }
            FileJob::InstallFirmware { job } => {
                let image = self.paths.firmware(job);
                let command = self.section.files.firmware_install_command.clone();
                let limit = self.section.firmware.install_timeout();
                let task = tokio::spawn(async move {
                    report(job, JobProgress::Installing).await;
                    let Some(command) = command else {
                        report(
                            job,
                            JobProgress::InstallationFailed(
                                "no ocpp.files.firmware_install_command configured".into(),
                            ),
                        )
                        .await;
                        return;
                    };
                    let mut cmd = tokio::process::Command::new(&command);
                    cmd.arg(&image);
                    let progress = match run_hook(cmd, limit).await {
                        Ok(o) if o.status.success() => JobProgress::Installed,
                        Ok(o) => JobProgress::InstallationFailed(format!(
                            "{}: {}",
                            o.status,
                            tail(&o.stderr, 200)
                        )),
                        Err(HookError::TimedOut) => {
                            tracing::error!(
                                command = %command.display(),
                                limit_s = limit.as_secs(),
                                "firmware install command timed out; killed"
                            );
                            JobProgress::InstallationFailed(format!(
                                "{} timed out after {} s (ocpp.firmware.install_timeout_s) and was killed",
                                command.display(),
                                limit.as_secs()
                            ))
                        }
                        Err(HookError::Spawn(e)) => {
                            JobProgress::InstallationFailed(format!("{}: {e}", command.display()))
                        }
                    };
                    let _ = tokio::fs::remove_file(&image).await;
                    report(job, progress).await;
                });
                // Never canceled (the core refuses to), but tracked like the others.
                self.track(
                    job,
                    task,
                    canceled,
                    Vec::new(),
                    JobProgress::InstallationFailed,
                );
            }
            FileJob::Upload {
                job,
                kind,
                location,
                file_name,
                retries,
                retry_interval,
                since_ms,
                until_ms,
            } => {
                let archive = self.paths.work.join(&file_name);
                let entries = self.archive_entries(kind);
                let unit = self.section.files.systemd_unit.clone();
                let limits = ArchiveLimits {
                    max_input_bytes: self.section.files.max_archive_input_bytes,
                    canceled: Some(canceled.clone()),
                };
                let journal_file = self.paths.work.join(format!("{file_name}.journal.txt"));
                let security_file = self
                    .paths
                    .work
                    .join(format!("{file_name}.security-log.txt"));
                let export_file = self.paths.work.join(format!("{file_name}.journal.jsonl"));
                let logs_dir = self.paths.work.join(format!("{file_name}.logs"));
                let db = self.paths.journal.clone();
                let files = vec![
                    archive.clone(),
                    transfer::partial_path(&archive),
                    journal_file.clone(),
                    security_file.clone(),
                    export_file.clone(),
                ];
                let task = tokio::spawn(async move {
                    report(job, JobProgress::Uploading).await;
                    let dest = archive.clone();
                    let journal = journal_file.clone();
                    let security = security_file.clone();
                    let export = export_file.clone();
                    // One salt per archive: a driver's digest is the same in the journal
                    // export and in the log lines, and unlinkable across archives.
                    let masker = super::diagnostics::Masker::new();
                    // Streamed to a file with the archive's own bound, never held in memory;
                    // a child process of the runtime, killed when the job is canceled.
                    let journal_captured = kind != super::chargepoint::UploadKind::SecurityLog
                        && !unit.is_empty()
                        && transfer::capture_journal_to(
                            &unit,
                            since_ms.map(|m| m / 1000),
                            until_ms.map(|m| m / 1000),
                            &journal,
                            limits.max_input_bytes,
                            &masker,
                        )
                        .await;
                    let built = tokio::task::spawn_blocking(move || {
                        let mut entries = entries;
                        entries.insert(
                            0,
                            export_security_log(&db, &security, since_ms, until_ms, &limits),
                        );
                        if kind != super::chargepoint::UploadKind::SecurityLog {
                            entries.push(journal_export(
                                &db,
                                &export,
                                limits.max_input_bytes,
                                &masker,
                            ));
                        }
                        if kind != super::chargepoint::UploadKind::SecurityLog {
                            entries.extend(super::diagnostics::own_log_members(
                                &logs_dir,
                                limits.max_input_bytes,
                                &masker,
                            ));
                        }
                        if journal_captured {
                            entries.push(ArchiveEntry::File {
                                path: journal.clone(),
                                name_in_archive: format!("{unit}.journal.txt"),
                            });
                        }
                        let built = transfer::build_archive_limited(&dest, &entries, &limits);
                        let _ = std::fs::remove_file(&journal);
                        let _ = std::fs::remove_file(&security);
                        let _ = std::fs::remove_file(&export);
                        let _ = std::fs::remove_dir_all(&logs_dir);
                        if limits.is_canceled() {
                            // Canceled while it was being built: nothing may be left behind.
                            let _ = std::fs::remove_file(&dest);
                        }
                        built
                    })
                    .await;
                    let _ = tokio::fs::remove_file(&journal_file).await;
                    let _ = tokio::fs::remove_file(&security_file).await;
                    let _ = tokio::fs::remove_file(&export_file).await;
                    let result = match built {
                        Ok(Ok(_)) => transfer::upload_with_retries(
                            &location,
                            &archive,
                            &settings,
                            retries,
                            retry_interval,
                            |attempt, r| {
                                if let Err(e) = r {
                                    tracing::warn!(attempt, error = %e, "upload attempt failed");
                                }
                            },
                        )
                        .await
                        .map_err(|e| e.to_string()),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tokio::fs::remove_file(&archive).await;
                    let progress = match result {
                        Ok(()) => JobProgress::Uploaded,
                        Err(e) => JobProgress::UploadFailed(e),
                    };
                    report(job, progress).await;
                });
                self.track(job, task, canceled, files, JobProgress::UploadFailed);
            }
            FileJob::Cancel { job } => self.cancel_job(job),
            FileJob::GenerateCsr { job } => {
                let csr = PendingKey::generate().and_then(|key| {
                    let org = if self.cp.keys().cpo_name.is_empty() {
                        "chargerd".to_string()
                    } else {
                        self.cp.keys().cpo_name.clone()
                    };
                    let csr = key.csr_pem(&self.section.charge_point_id, &org)?;
                    Ok((key, csr))
                });
                let progress = match csr {
                    Ok((key, csr)) => {
                        if let Err(e) = write_private(
                            &self.paths.pending_client_key(),
                            key.key_pem().as_bytes(),
                        ) {
                            tracing::error!(error = %e, "cannot keep the pending key");
                        }
                        self.pending_key = Some(key);
                        JobProgress::Csr(csr)
                    }
                    Err(e) => JobProgress::CsrFailed(e.to_string()),
                };
                let inputs = self.inputs.clone();
                tokio::spawn(async move {
                    let _ = inputs.send(OcppInput::Job { job, progress }).await;
                });
            }
        }
    }

    /// Keep a running job so that it can be canceled, and watch its task: one that panics is
    /// reported as the job's failure (`failed`), so the CSMS is told instead of waiting forever.
    fn track(
        &mut self,
        job: u64,
        task: tokio::task::JoinHandle<()>,
        canceled: Arc<AtomicBool>,
        files: Vec<PathBuf>,
        failed: fn(String) -> JobProgress,
    ) {
        self.jobs.insert(
            job,
            RunningJob {
                task: task.abort_handle(),
                canceled,
                files,
            },
        );
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            match task.await {
                Err(e) if e.is_panic() => {
                    let why = task_failure(Err(e)).unwrap_or_default();
                    tracing::error!(job, %why, "OCPP file job failed");
                    let progress = failed(format!("internal error: {why}"));
                    let _ = inputs.send(OcppInput::Job { job, progress }).await;
                }
                // Returned, or aborted by a Cancel: nothing to say.
                _ => {}
            }
        });
    }

    /// Stops a job (its task, and the blocking work it started, which watches the flag) and
    /// deletes what it leaves: partial or whole images, archives.
    fn cancel_job(&mut self, job: u64) {
        let mut files = vec![self.paths.firmware(job)];
        files.push(transfer::partial_path(&files[0]));
        if let Some(running) = self.jobs.remove(&job) {
            running.canceled.store(true, Ordering::Relaxed);
            running.task.abort();
            files.extend(running.files);
        }
        for file in files {
            match std::fs::remove_file(&file) {
                Ok(()) => {
                    tracing::info!(job, file = %file.display(), "file of a canceled job removed")
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(job, file = %file.display(), error = %e, "cannot remove a file of a canceled job")
                }
            }
        }
    }

    /// The roots a firmware signing certificate may chain to: the configured file, and the
    /// CSMS-installed ManufacturerRootCertificates only if the operator trusts them.
    fn firmware_roots(&self) -> Vec<String> {
        let mut roots = Vec::new();
        if let Some(file) = &self.section.files.firmware_signing_roots {
            match std::fs::read_to_string(file) {
                Ok(text) => roots.extend(super::certs::split_certificates(
                    &text,
                    &file.display().to_string(),
                )),
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "firmware signing roots unreadable")
                }
            }
        }
        if self.section.firmware.trust_csms_manufacturer_roots {
            roots.extend(
                self.certificates
                    .pems(CertificateUse::ManufacturerRootCertificate)
                    .unwrap_or_default(),
            );
        }
        roots
    }

    /// Removes the firmware images (and partial downloads) in the work directory except
    /// `keep`.
    fn remove_stale_images(&self, keep: &Path) {
        let Ok(dir) = std::fs::read_dir(&self.paths.work) else {
            return;
        };
        for entry in dir.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("firmware-") && name.contains(".img") && path != keep {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        tracing::info!(file = %path.display(), "stale firmware image removed")
                    }
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "cannot remove a stale firmware image")
                    }
                }
            }
        }
    }

    /// The members of an archive besides the security log (which the blocking thread that
    /// builds the archive exports first, see [`export_security_log`]) and the journalctl
    /// excerpt.
    fn archive_entries(&self, kind: super::chargepoint::UploadKind) -> Vec<ArchiveEntry> {
        let mut entries = Vec::new();
        if kind == super::chargepoint::UploadKind::SecurityLog {
            return entries;
        }
        // The configuration the daemon runs with, secrets redacted; without it (a client
        // started outside the daemon) the OCPP section, which holds paths but no secret.
        let mut config = self
            .diagnostics_config
            .clone()
            .unwrap_or_else(|| json!({ "ocpp": self.section }));
        super::diagnostics::redact_config(&mut config);
        entries.push(ArchiveEntry::Bytes {
            name_in_archive: "config.json".into(),
            bytes: pretty(&config),
        });
        let status = json!({
            "generated_at": crate::wall_time::rfc3339_utc(unix_now_ms()),
            "version": env!("CARGO_PKG_VERSION"),
            "ocpp": self.status(),
            "configuration_keys": self
                .configuration()
                .into_iter()
                .map(|(key, value, readonly)| json!({"key": key, "value": value, "readonly": readonly}))
                .collect::<Vec<_>>(),
        });
        entries.push(ArchiveEntry::Bytes {
            name_in_archive: "status.json".into(),
            bytes: pretty(&status),
        });
        for file in &self.section.files.diagnostics_files {
            let name = file
                .file_name()
                .map_or_else(|| "log".to_string(), |n| n.to_string_lossy().into_owned());
            entries.push(ArchiveEntry::File {
                path: file.clone(),
                name_in_archive: format!("logs/{name}"),
            });
        }
        entries
    }
}

/// Where releases before 0.x kept the pending CSR key: a row of the journal's `ocpp_state`.
/// Read once to move the key into its file, then deleted.
const LEGACY_PENDING_KEY_ROW: &str = "pending_client_key";
/// A PEM private key is a few hundred bytes; anything much larger is not ours.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The key of an unanswered certificate signing request: from its 0600 file, or (once) from
/// the journal row where earlier releases kept it, which is moved to the file and deleted so
/// that no key stays in the journal (or in a copy of it).
fn restore_pending_key(paths: &Paths, store: &mut Store) -> Option<PendingKey> {
    let file = paths.pending_client_key();
    let mut key = match read_private(&file, MAX_KEY_FILE_BYTES) {
        Ok(bytes) => match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|pem| PendingKey::from_pem(pem).ok())
        {
            Some(key) => Some(key),
            None => {
                tracing::warn!(file = %file.display(), "pending signing key unusable; ignored");
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "pending signing key unreadable; ignored");
            None
        }
    };
    match store.ocpp_state_of(LEGACY_PENDING_KEY_ROW) {
        Ok(Some(row)) => {
            let legacy = row.as_str().and_then(|pem| PendingKey::from_pem(pem).ok());
            let moved = match (&key, legacy) {
                (None, Some(legacy)) => match write_private(&file, legacy.key_pem().as_bytes()) {
                    Ok(()) => {
                        key = Some(legacy);
                        true
                    }
                    Err(e) => {
                        tracing::error!(file = %file.display(), error = %e,
                                "cannot move the pending signing key out of the journal; it stays there");
                        false
                    }
                },
                _ => true,
            };
            if moved {
                match store.remove_ocpp_state(LEGACY_PENDING_KEY_ROW) {
                    Ok(()) => tracing::info!("pending signing key moved out of the journal"),
                    Err(e) => tracing::error!(error = %e, "cannot delete the key from the journal"),
                }
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "journal row of the pending key unreadable"),
    }
    key
}

/// The journal as a diagnostics archive holds it: masked JSON lines (never the SQLite file).
/// The journal, id tags and VINs masked, streamed into the file `out` for an archive, at most
/// `max_bytes` of it; if the journal cannot be read, the member says why instead.
fn journal_export(
    journal: &Path,
    out: &Path,
    max_bytes: u64,
    masker: &super::diagnostics::Masker,
) -> ArchiveEntry {
    exported_member(out, "journal.jsonl", |file| {
        Store::open_read_only(journal)?.export_masked(masker, file, max_bytes)?;
        Ok(())
    })
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, "journal export for the archive failed");
        ArchiveEntry::Bytes {
            name_in_archive: "journal.jsonl".into(),
            bytes: format!("{{\"error\": {}}}\n", json!(e.to_string())).into_bytes(),
        }
    })
}

/// An archive member written by `export` into the file `out` (0600, never through a planted
/// link, buffered), or why it could not be.
fn exported_member(
    out: &Path,
    name_in_archive: &str,
    export: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), StoreError>,
) -> Result<ArchiveEntry, StoreError> {
    let file = crate::files::create_replacing(out, crate::files::PRIVATE_FILE)?;
    let mut writer = std::io::BufWriter::new(file);
    export(&mut writer)?;
    std::io::Write::flush(&mut writer)?;
    Ok(ArchiveEntry::File {
        path: out.to_path_buf(),
        name_in_archive: name_in_archive.into(),
    })
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The profile a (checked, 0 to 3) SecurityProfile key value names.
fn security_profile_from(p: u8) -> SecurityProfile {
    SecurityProfile::try_from(p).unwrap_or(SecurityProfile::TlsClientCertificate)
}

/// The security log (rows in the `since_ms`..`until_ms` window) streamed into the file
/// `out` for an archive, at most `limits.max_input_bytes` of it (the newest rows); if the
/// journal cannot be read, the member says why instead.
fn export_security_log(
    db: &Path,
    out: &Path,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    limits: &ArchiveLimits,
) -> ArchiveEntry {
    let name_in_archive = "security-log.txt".to_string();
    let keep = |at: &str| {
        let ms = super::chargepoint::parse_rfc3339_ms(at);
        since_ms.is_none_or(|s| ms.is_none_or(|m| m >= s))
            && until_ms.is_none_or(|u| ms.is_none_or(|m| m <= u))
    };
    exported_member(out, &name_in_archive, |file| {
        Store::export_security_log(db, file, limits.max_input_bytes, keep)?;
        Ok(())
    })
    .unwrap_or_else(|e| ArchiveEntry::Bytes {
        name_in_archive,
        bytes: format!("security log unreadable: {e}\n").into_bytes(),
    })
}

/// How a hook run ended badly.
#[derive(Debug)]
enum HookError {
    Spawn(std::io::Error),
    TimedOut,
}

/// What a hook said.
#[derive(Debug)]
struct HookOutput {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a hook (the firmware install command) in a process group of its own, its output kept
/// up to [`HOOK_OUTPUT_MAX`] bytes each. After `limit` the whole group is killed (a script's
/// children die with it) and [`HookError::TimedOut`] returned. Once the hook has exited, what
/// it wrote is collected for at most [`HOOK_OUTPUT_GRACE`]: a daemon it left running with the
/// pipes open does not turn a finished install into a timeout.
async fn run_hook(
    mut cmd: tokio::process::Command,
    limit: Duration,
) -> Result<HookOutput, HookError> {
    use std::process::Stdio;
    use tokio::io::AsyncReadExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = cmd.spawn().map_err(HookError::Spawn)?;
    // Armed while the hook runs: a canceled job (the future dropped) kills the whole group.
    let mut group = GroupKill(child.id().and_then(|id| i32::try_from(id).ok()));
    async fn capped(r: Option<impl tokio::io::AsyncRead + Unpin>) -> Vec<u8> {
        let mut kept = Vec::new();
        if let Some(mut r) = r {
            let _ = (&mut r).take(HOOK_OUTPUT_MAX).read_to_end(&mut kept).await;
            // The rest is drained so that the hook never blocks on a full pipe.
            let _ = tokio::io::copy(&mut r, &mut tokio::io::sink()).await;
        }
        kept
    }
    // Read while the hook runs (a full pipe would stall it).
    let stdout = tokio::spawn(capped(child.stdout.take()));
    let stderr = tokio::spawn(capped(child.stderr.take()));
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => {
            // It exited: what it left running on purpose (a reboot) is not ours to kill.
            group.0 = None;
            status
        }
        Ok(Err(e)) => return Err(HookError::Spawn(e)),
        Err(_) => {
            group.kill();
            let _ = child.kill().await;
            stdout.abort();
            stderr.abort();
            return Err(HookError::TimedOut);
        }
    };
    let collect = |task: tokio::task::JoinHandle<Vec<u8>>| async move {
        let abort = task.abort_handle();
        match tokio::time::timeout(HOOK_OUTPUT_GRACE, task).await {
            Ok(Ok(bytes)) => bytes,
            _ => {
                abort.abort();
                Vec::new()
            }
        }
    };
    let (stdout, stderr) = tokio::join!(collect(stdout), collect(stderr));
    Ok(HookOutput {
        status,
        stdout,
        stderr,
    })
}

/// Kills a hook's process group when armed (`Some`) and dropped or told to.
struct GroupKill(Option<i32>);

impl GroupKill {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The version of a firmware image as the install command tells it:
/// `<command> --image-version <image>` exits 0 and prints the version on its first line.
async fn image_version(command: &Path, image: &Path) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(command);
    cmd.arg("--image-version").arg(image);
    let shown = format!("{} --image-version", command.display());
    match run_hook(cmd, IMAGE_VERSION_TIMEOUT).await {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let line = text.lines().next().unwrap_or("").trim().to_string();
            if line.is_empty() {
                Err(format!("{shown} printed no version"))
            } else {
                Ok(line)
            }
        }
        Ok(o) => Err(format!("{shown}: {}: {}", o.status, tail(&o.stderr, 200))),
        Err(HookError::TimedOut) => Err(format!(
            "{shown} took longer than {} s; killed",
            IMAGE_VERSION_TIMEOUT.as_secs()
        )),
        Err(HookError::Spawn(e)) => Err(format!("{shown}: {e}")),
    }
}

/// The last `max` characters of a hook's output, trimmed.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let count = text.chars().count();
    text.chars()
        .skip(count.saturating_sub(max))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Longest the main loop sleeps between OCPP pumps when nothing happens.
pub const PUMP_INTERVAL: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A client whose journal is under `dir` and whose CSMS is nobody (the discard port: the
    /// link keeps retrying, which is all these tests need).
    fn client_without_csms(dir: &Path) -> (OcppClient, mpsc::Receiver<OcppInput>) {
        let section: OcppSection = serde_json::from_value(
            json!({"csms_url": "ws://127.0.0.1:9/ocpp", "charge_point_id": "CP1"}),
        )
        .unwrap();
        let journal = dir.join("journal.sqlite");
        OcppClient::start(
            &section,
            &journal,
            Store::open(&journal).unwrap(),
            &[],
            &[],
            Vec::new(),
            1_795_619_373_000,
            Timestamp::from_secs(1),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_failed_link_task_is_reported_restarted_and_counted() {
        let panicked = tokio::spawn(async { panic!("boom") }).await;
        assert_eq!(task_failure(panicked).as_deref(), Some("panicked: boom"));
        assert_eq!(task_failure(tokio::spawn(async {}).await), None);

        let dir = tempfile::tempdir().unwrap();
        let (mut client, _inputs) = client_without_csms(dir.path());
        for i in 0..LINK_FAILURES_UNHEALTHY as u64 {
            assert!(client.healthy(), "healthy after {i} failures");
            let before = client.link_task.as_ref().map(|t| t.id());
            client.on_input(
                OcppInput::LinkTaskFailed {
                    why: "panicked: boom".into(),
                },
                Timestamp::from_secs(10 + i),
            );
            let task = client.link_task.as_ref().unwrap();
            assert_ne!(Some(task.id()), before, "a new link task");
            assert!(!task.is_finished());
        }
        assert!(!client.healthy(), "three failures in ten minutes");
        assert!(client
            .status()
            .last_disconnect
            .is_some_and(|d| d.contains("boom")));
    }

    #[tokio::test]
    async fn a_file_job_that_panics_is_reported_as_its_failure() {
        let dir = tempfile::tempdir().unwrap();
        let (mut client, mut inputs) = client_without_csms(dir.path());
        let task = tokio::spawn(async { panic!("archive bug") });
        client.track(
            7,
            task,
            Arc::new(AtomicBool::new(false)),
            Vec::new(),
            JobProgress::UploadFailed,
        );
        let reported = loop {
            match tokio::time::timeout(Duration::from_secs(5), inputs.recv()).await {
                Ok(Some(OcppInput::Job { job, progress })) => break (job, progress),
                Ok(Some(_)) => continue,
                other => panic!("no report: {other:?}"),
            }
        };
        assert_eq!(
            reported,
            (
                7,
                JobProgress::UploadFailed("internal error: panicked: archive bug".into())
            )
        );
        // A canceled job says nothing.
        let task = tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        client.track(
            8,
            task,
            Arc::new(AtomicBool::new(false)),
            Vec::new(),
            JobProgress::UploadFailed,
        );
        client.cancel_job(8);
        let quiet = tokio::time::timeout(Duration::from_millis(300), async {
            loop {
                if let Some(OcppInput::Job { job: 8, .. }) = inputs.recv().await {
                    return;
                }
            }
        })
        .await;
        assert!(quiet.is_err(), "a canceled job reported");
    }

    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_pending_key_in_the_journal_moves_to_a_0600_file_and_leaves_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            work: dir.path().join("work"),
            journal: dir.path().join("journal.sqlite"),
        };
        std::fs::create_dir_all(&paths.work).unwrap();
        let mut store = Store::open(&paths.journal).unwrap();
        let key = PendingKey::generate().unwrap();
        let pem = key.key_pem();
        // What releases up to ef98d60 wrote.
        store
            .set_ocpp_state(LEGACY_PENDING_KEY_ROW, &json!(pem))
            .unwrap();

        let restored = restore_pending_key(&paths, &mut store).unwrap();
        assert_eq!(restored.key_pem(), pem);
        assert_eq!(store.ocpp_state_of(LEGACY_PENDING_KEY_ROW).unwrap(), None);
        let file = paths.pending_client_key();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), pem);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // The next start reads the file.
        let again = restore_pending_key(&paths, &mut store).unwrap();
        assert_eq!(again.key_pem(), pem);

        // A symlink where the key belongs is not followed.
        std::fs::remove_file(&file).unwrap();
        let elsewhere = dir.path().join("elsewhere.pem");
        std::fs::write(&elsewhere, &pem).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
        assert!(restore_pending_key(&paths, &mut store).is_none());
    }

    fn sh(script: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[tokio::test]
    async fn a_hook_is_bounded_in_time_and_output() {
        let out = run_hook(
            sh("echo 2.0.1; echo oops >&2; exit 3"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"2.0.1\n");
        assert_eq!(tail(&out.stderr, 200), "oops");

        // Much more output than is kept: the hook is not blocked by a full pipe.
        let out = run_hook(sh("yes | head -c 1000000"), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len() as u64, HOOK_OUTPUT_MAX);

        // A hook that leaves a child holding its output open has still finished.
        let started = std::time::Instant::now();
        let out = run_hook(sh("sleep 20 & echo done"), Duration::from_secs(30))
            .await
            .unwrap();
        assert!(out.status.success());
        assert!(started.elapsed() < Duration::from_secs(10));

        // Too slow: killed, with its whole group.
        let started = std::time::Instant::now();
        assert!(matches!(
            run_hook(sh("sleep 30; echo never"), Duration::from_millis(300)).await,
            Err(HookError::TimedOut)
        ));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_canceled_hook_dies_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("child.pid");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
        let task = tokio::spawn(run_hook(sh(&script), Duration::from_secs(60)));
        let mut pid = String::new();
        for _ in 0..100 {
            pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
            if pid.ends_with('\n') {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stat = format!("/proc/{}/stat", pid.trim());
        assert!(std::path::Path::new(&stat).exists(), "no child {pid:?}");
        task.abort();
        let _ = task.await;
        let mut gone = false;
        for _ in 0..100 {
            let state = std::fs::read_to_string(&stat).unwrap_or_default();
            // Gone, or a zombie waiting for its (killed) parent's reaper.
            if state.is_empty()
                || state
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "the canceled hook's child {pid} still runs");
    }
}
