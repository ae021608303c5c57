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
//! and the journal, and override the configured files from then on, across restarts too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::{StopReason, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::certs::{self, CertificateStore, CertificateUse, HashData, PendingKey};
use super::chargepoint::{
    ChargePoint, CoreAction, FileJob, Identity, JobProgress, Keys, PendingReply, SecurityEvent,
    StartDecision, Traffic,
};
use super::link::{ConnectionId, Link, LinkCommand, LinkConfig, LinkEvent};
use super::meter::{MeterReading, ReadingContext};
use super::settings::{OcppSection, SecurityProfile, SettingsError, UploadMethodSetting};
use super::transfer::{self, ArchiveEntry, TransferSettings, UploadMethod};
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
    },
    /// The CSMS asked for a reset.
    Reset { hard: bool },
}

/// Everything the OCPP client waits for, on one channel.
#[derive(Debug)]
pub enum OcppInput {
    Link(LinkEvent),
    Job { job: u64, progress: JobProgress },
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
    pub local_list_version: i32,
    pub traffic: Traffic,
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
    fn trust_bundle(&self) -> PathBuf {
        self.work.join("csms-trust.pem")
    }
    fn certificates(&self) -> PathBuf {
        self.work.join("certificates")
    }
}

/// The daemon's OCPP client. See the module documentation.
#[derive(Debug)]
pub struct OcppClient {
    cp: ChargePoint,
    section: OcppSection,
    paths: Paths,
    certificates: CertificateStore,
    commands: mpsc::UnboundedSender<LinkCommand>,
    inputs: mpsc::Sender<OcppInput>,
    connection: Option<ConnectionId>,
    last_disconnect: Option<String>,
    store: Store,
    link_task: Option<tokio::task::JoinHandle<()>>,
    /// The key of a certificate signing request the CSMS has not answered yet.
    pending_key: Option<PendingKey>,
}

fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Write a file only the service may read (keys), atomically, never through a planted link.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::files::write_atomic(path, bytes, crate::files::PRIVATE_FILE)
}

impl OcppClient {
    /// Start the link task and restore the outbox and the OCPP state. `interrupted`:
    /// transactions the last run left open (closed now with PowerLoss), whose
    /// StopTransaction must still reach the CSMS. `ratings`: (connector, A, W).
    pub fn start(
        section: &OcppSection,
        journal: &Path,
        connectors: &[ConnectorSnapshot],
        interrupted: &[InterruptedTransaction],
        ratings: Vec<(u32, f64, f64)>,
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Result<(OcppClient, mpsc::Receiver<OcppInput>), OcppClientError> {
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
        let store = Store::open(journal)?;
        let mut keys = Keys::new(u32::try_from(connectors.len()).unwrap_or(u32::MAX));
        keys.security_profile = section.security_profile.as_u8();
        keys.authorization_key_set =
            section.authorization_key_file.is_some() || paths.authorization_key().exists();
        keys.websocket_ping_interval = section.ping_interval().unwrap_or_default();
        for (key, value) in store.ocpp_keys()? {
            if let Err(status) = keys.change(&key, &value) {
                tracing::warn!(
                    key,
                    status = status.status(),
                    "persisted OCPP key not applied"
                );
            }
        }
        let mut client_section = section.clone();
        client_section.security_profile = security_profile_from(keys.security_profile);
        let identity = Identity {
            vendor: "chargerd".into(),
            model: "chargerd".into(),
            serial_number: Some(section.charge_point_id.clone()),
            firmware_version: env!("CARGO_PKG_VERSION").into(),
        };
        let mut cp = ChargePoint::new(
            identity,
            keys,
            section.rpc_config(super::link::os_random_u64()),
            unix_ms_now,
            now,
        );
        let (count, max_seq) = store.outbox_stats()?;
        let head = store.outbox_after(0, super::chargepoint::OUTBOX_WINDOW)?;
        let more = count.saturating_sub(head.len());
        cp.restore_outbox(head, more, max_seq, store.csms_transaction_ids()?);
        cp.set_ratings(ratings);
        let mut pending_key = None;
        for (name, value) in store.ocpp_state()? {
            match name.as_str() {
                "pending_client_key" => {
                    pending_key = value
                        .as_str()
                        .and_then(|pem| PendingKey::from_pem(pem).ok());
                }
                "client_certificate" => {}
                _ => cp.restore_state(&name, &value),
            }
        }
        for c in connectors {
            cp.on_station_event(
                &StationEvent::StatusChanged {
                    connector: c.id,
                    status: c.status,
                    info: c.status_info.clone(),
                    at: now,
                },
                now,
            );
        }
        for t in interrupted {
            cp.on_station_event(
                &StationEvent::TransactionStopped(TransactionStop {
                    transaction_id: t.transaction_id,
                    connector: t.connector,
                    meter_stop_wh: t.meter_wh,
                    reason: StopReason::PowerLoss,
                    faults: Vec::new(),
                    soc_percent: None,
                    at: now,
                }),
                now,
            );
        }
        cp.security_event(SecurityEvent::StartupOfTheDevice, None, now);
        let (inputs, inputs_rx) = mpsc::channel(256);
        let mut client = OcppClient {
            cp,
            section: client_section,
            paths,
            certificates,
            commands: mpsc::unbounded_channel().0,
            inputs,
            connection: None,
            last_disconnect: None,
            store,
            link_task: None,
            pending_key,
        };
        let link_config = LinkConfig::from_section(&client.effective_section()?)?;
        let (handle, link_task) = Link::spawn(link_config);
        let (commands, mut events) = handle.into_parts();
        client.commands = commands;
        let forward = client.inputs.clone();
        let link_task = tokio::spawn(async move {
            let forwarder = async {
                while let Some(ev) = events.recv().await {
                    if forward.send(OcppInput::Link(ev)).await.is_err() {
                        break;
                    }
                }
            };
            let (_, _) = tokio::join!(link_task, forwarder);
        });
        client.link_task = Some(link_task);
        client.persist_actions(&mut Vec::new());
        Ok((client, inputs_rx))
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
        }
    }

    pub fn on_link_event(&mut self, event: LinkEvent, now: Timestamp) {
        match event {
            LinkEvent::Connected {
                connection, url, ..
            } => {
                tracing::info!(%url, "connected to the CSMS");
                self.connection = Some(connection);
                self.cp.on_connected(now);
            }
            LinkEvent::Text(text) => self.cp.on_text(&text, now),
            LinkEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(%reason, ?retry_in, "CSMS link down");
                let why = reason.to_string();
                // Once per run of the same failure, not once per reconnect attempt: a CSMS with
                // a bad certificate must not fill the outbox with the same event all night.
                if why.contains("certificate") && self.last_disconnect.as_deref() != Some(&why) {
                    self.cp.security_event(
                        SecurityEvent::InvalidCentralSystemCertificate,
                        Some(why.clone()),
                        now,
                    );
                }
                self.last_disconnect = Some(why);
                self.connection = None;
                self.cp.on_disconnected(now);
            }
        }
    }

    pub fn on_station_event(&mut self, event: &StationEvent, now: Timestamp) {
        self.cp.on_station_event(event, now);
    }

    pub fn command_outcome(
        &mut self,
        reply: PendingReply,
        result: &Result<crate::station::CommandOutcome, crate::station::CommandError>,
    ) {
        use crate::station::CommandOutcome;
        let (accepted, scheduled, refusal) = match result {
            Ok(CommandOutcome::AvailabilityScheduled) => (true, true, None),
            Ok(_) => (true, false, None),
            Err(e) => (false, false, Some(e)),
        };
        self.cp.command_outcome(reply, accepted, scheduled, refusal);
    }

    pub fn meter_readings(
        &mut self,
        readings: Vec<MeterReading>,
        context: ReadingContext,
        now: Timestamp,
    ) {
        self.cp.on_meter_readings(readings, context, now);
    }

    /// A start with an id tag from the station side, authorized the OCPP way.
    pub fn authorize_start(
        &mut self,
        connector: u32,
        id_tag: &str,
        now: Timestamp,
    ) -> StartDecision {
        self.cp.authorize_start(connector, id_tag, now)
    }

    /// Local starts the CSMS refused (Authorize): (connector, id tag, why).
    pub fn take_refused_starts(&mut self) -> Vec<(u32, String, String)> {
        self.cp.take_refused_starts()
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
            registration: format!("{:?}", self.cp.registration()),
            outbox_depth: self.cp.outbox_len(),
            refused_messages: self.cp.refused().count(),
            local_list_version: self.cp.local_list_version(),
            traffic: self.cp.traffic().clone(),
        }
    }

    /// Configuration keys for `chargerctl config get`: (key, value, readonly).
    pub fn configuration(&self) -> Vec<(String, Option<String>, bool)> {
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
        self.cp.local_change_configuration(key, value, now)
    }

    /// Advance the core, persist what it asks, send what it has; returns what the main loop
    /// must do.
    pub fn pump(&mut self, now: Timestamp) -> Vec<ClientRequest> {
        self.cp.update(now);
        let mut requests = Vec::new();
        self.persist_actions(&mut requests);
        while let Some(text) = self.cp.poll_text(now) {
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
        requests
    }

    /// When the core next needs a pump even without events.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.cp.poll_timeout()
    }

    pub fn outbox_len(&self) -> usize {
        self.cp.outbox_len()
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
        while let Some(action) = self.cp.poll_action() {
            let result = match action {
                CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                    if r.action == "SecurityEventNotification" && r.refusals == 0 && !r.refused {
                        let wall = crate::store::rfc3339_utc(unix_now_ms());
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
                    match self.store.outbox_after(after_seq, limit) {
                        Ok(records) => {
                            self.cp.outbox_loaded(records);
                            Ok(())
                        }
                        Err(e) => {
                            self.cp.outbox_load_failed();
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
                    });
                    Ok(())
                }
                CoreAction::Reset { hard } => {
                    requests.push(ClientRequest::Reset { hard });
                    Ok(())
                }
                CoreAction::ShellCall {
                    reply,
                    action,
                    payload,
                } => {
                    let answer = self.shell_call(&action, &payload);
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
                    match write_private(&self.paths.authorization_key(), secret.0.as_bytes()) {
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

    // ----- calls only the shell can answer ------------------------------------------------------

    fn shell_call(&mut self, action: &str, payload: &Value) -> Value {
        let now_s = unix_now_ms() / 1000;
        match action {
            "InstallCertificate" => {
                let usage = payload["certificateType"]
                    .as_str()
                    .and_then(|t| t.parse::<CertificateUse>().ok());
                let Some(usage) = usage else {
                    return json!({"status": "Rejected"});
                };
                let pem = payload["certificate"].as_str().unwrap_or_default();
                let status = self.certificates.install(usage, pem, now_s);
                tracing::info!(%usage, status = status.as_str(), "InstallCertificate");
                if usage == CertificateUse::CentralSystemRootCertificate
                    && status == certs::InstallStatus::Accepted
                {
                    self.refresh_link_credentials();
                }
                json!({"status": status.as_str()})
            }
            "DeleteCertificate" => {
                let status = match HashData::from_json(&payload["certificateHashData"]) {
                    Ok(hash) => self.certificates.delete(&hash),
                    Err(_) => certs::DeleteStatus::NotFound,
                };
                if status == certs::DeleteStatus::Accepted {
                    self.refresh_link_credentials();
                }
                json!({"status": status.as_str()})
            }
            "GetInstalledCertificateIds" => {
                let usage = payload["certificateType"]
                    .as_str()
                    .and_then(|t| t.parse::<CertificateUse>().ok());
                match self.certificates.installed(usage) {
                    Ok(list) if !list.is_empty() => json!({
                        "status": "Accepted",
                        "certificateHashData": list.iter().map(HashData::to_json).collect::<Vec<_>>(),
                    }),
                    _ => json!({"status": "NotFound"}),
                }
            }
            "CertificateSigned" => self.certificate_signed(payload, now_s),
            "ChangeConfiguration" => self.raise_security_profile(payload),
            _ => json!({"status": "Rejected"}),
        }
    }

    fn central_system_roots(&self) -> Vec<String> {
        let mut roots = self
            .certificates
            .pems(CertificateUse::CentralSystemRootCertificate)
            .unwrap_or_default();
        if let Some(configured) = &self.section.ca_bundle {
            if let Ok(text) = std::fs::read_to_string(configured) {
                roots.extend(split_pem(&text));
            }
        }
        roots
    }

    fn certificate_signed(&mut self, payload: &Value, now_s: i64) -> Value {
        let chain = payload["certificateChain"].as_str().unwrap_or_default();
        let now = self.cp_now();
        let Some(key) = self.pending_key.as_ref() else {
            self.cp.security_event(
                SecurityEvent::InvalidChargePointCertificate,
                Some("CertificateSigned without a pending signing request".into()),
                now,
            );
            return json!({"status": "Rejected"});
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
                let _ = self
                    .store
                    .set_ocpp_state("pending_client_key", &Value::Null);
                self.pending_key = None;
                self.refresh_link_credentials();
                json!({"status": "Accepted"})
            }
            Err(e) => {
                tracing::warn!(error = %e, "CertificateSigned rejected");
                self.cp.security_event(
                    SecurityEvent::InvalidChargePointCertificate,
                    Some(e.to_string()),
                    now,
                );
                json!({"status": "Rejected"})
            }
        }
    }

    fn cp_now(&self) -> Timestamp {
        self.cp.now()
    }

    /// ChangeConfiguration SecurityProfile (already checked to be a raise): accepted only if
    /// the link can connect with it (URL scheme, key, CA, client certificate).
    fn raise_security_profile(&mut self, payload: &Value) -> Value {
        let Some(p) = payload["value"]
            .as_str()
            .and_then(|v| v.trim().parse::<u8>().ok())
        else {
            return json!({"status": "Rejected"});
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
                json!({"status": "Accepted"})
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "SecurityProfile not raised: not configured for it");
                json!({"status": "Rejected"})
            }
            Err(e) => {
                tracing::warn!(error = %e, "SecurityProfile not raised");
                json!({"status": "Rejected"})
            }
        }
    }

    // ----- file jobs ------------------------------------------------------------------------

    fn transfer_settings(&self) -> TransferSettings {
        TransferSettings {
            ca_bundle: self
                .section
                .files
                .transfer_ca_bundle
                .clone()
                .or_else(|| self.section.ca_bundle.clone()),
            upload_method: match self.section.files.upload_method {
                UploadMethodSetting::Post => UploadMethod::PostMultipart,
                UploadMethodSetting::Put => UploadMethod::Put,
            },
            ..TransferSettings::default()
        }
    }

    fn start_job(&mut self, job: FileJob) {
        let inputs = self.inputs.clone();
        let report = move |job: u64, progress: JobProgress| {
            let inputs = inputs.clone();
            async move {
                let _ = inputs.send(OcppInput::Job { job, progress }).await;
            }
        };
        let settings = self.transfer_settings();
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
                let mut roots = self
                    .certificates
                    .pems(CertificateUse::ManufacturerRootCertificate)
                    .unwrap_or_default();
                if let Some(file) = &self.section.files.firmware_signing_roots {
                    match std::fs::read_to_string(file) {
                        Ok(text) => roots.extend(split_pem(&text)),
                        Err(e) => {
                            tracing::warn!(file = %file.display(), error = %e, "firmware signing roots unreadable")
                        }
                    }
                }
                tokio::spawn(async move {
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
                        certs::verify_firmware_signature(
                            &sig.signing_certificate,
                            &sig.signature,
                            &image,
                            &roots,
                            now_s,
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
            }
            FileJob::InstallFirmware { job } => {
                let image = self.paths.firmware(job);
                let command = self.section.files.firmware_install_command.clone();
                tokio::spawn(async move {
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
                    let output = tokio::process::Command::new(&command)
                        .arg(&image)
                        .kill_on_drop(true)
                        .output()
                        .await;
                    let progress = match output {
                        Ok(o) if o.status.success() => JobProgress::Installed,
                        Ok(o) => {
                            let stderr = String::from_utf8_lossy(&o.stderr);
                            let tail: String = stderr
                                .chars()
                                .rev()
                                .take(200)
                                .collect::<Vec<_>>()
                                .into_iter()
                                .rev()
                                .collect();
                            JobProgress::InstallationFailed(format!(
                                "{}: {}",
                                o.status,
                                tail.trim()
                            ))
                        }
                        Err(e) => {
                            JobProgress::InstallationFailed(format!("{}: {e}", command.display()))
                        }
                    };
                    let _ = tokio::fs::remove_file(&image).await;
                    report(job, progress).await;
                });
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
                let entries = self.archive_entries(kind, since_ms, until_ms);
                let unit = self.section.files.systemd_unit.clone();
                tokio::spawn(async move {
                    report(job, JobProgress::Uploading).await;
                    let dest = archive.clone();
                    let built = tokio::task::spawn_blocking(move || {
                        let mut entries = entries;
                        if kind != super::chargepoint::UploadKind::SecurityLog && !unit.is_empty() {
                            if let Some(bytes) = transfer::capture_journal(
                                &unit,
                                since_ms.map(|m| m / 1000),
                                until_ms.map(|m| m / 1000),
                            ) {
                                entries.push(ArchiveEntry::Bytes {
                                    name_in_archive: format!("{unit}.journal.txt"),
                                    bytes,
                                });
                            }
                        }
                        transfer::build_archive(&dest, &entries)
                    })
                    .await;
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
            }
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
                        if let Err(e) = self
                            .store
                            .set_ocpp_state("pending_client_key", &json!(key.key_pem()))
                        {
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

    fn archive_entries(
        &self,
        kind: super::chargepoint::UploadKind,
        since_ms: Option<i64>,
        until_ms: Option<i64>,
    ) -> Vec<ArchiveEntry> {
        let security_log = match self.store.security_log() {
            Ok(rows) => rows
                .into_iter()
                .filter(|(at, _, _)| {
                    let ms = super::chargepoint::parse_rfc3339_ms(at);
                    since_ms.is_none_or(|s| ms.is_none_or(|m| m >= s))
                        && until_ms.is_none_or(|u| ms.is_none_or(|m| m <= u))
                })
                .map(|(at, kind, detail)| format!("{at} {kind} {detail}\n"))
                .collect::<String>(),
            Err(e) => format!("security log unreadable: {e}\n"),
        };
        let mut entries = vec![ArchiveEntry::Bytes {
            name_in_archive: "security-log.txt".into(),
            bytes: security_log.into_bytes(),
        }];
        if kind == super::chargepoint::UploadKind::SecurityLog {
            return entries;
        }
        entries.push(ArchiveEntry::SqliteSnapshot {
            db_path: self.paths.journal.clone(),
            name_in_archive: "journal.sqlite".into(),
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

/// The profile a (checked, 0 to 3) SecurityProfile key value names.
fn security_profile_from(p: u8) -> SecurityProfile {
    SecurityProfile::try_from(p).unwrap_or(SecurityProfile::TlsClientCertificate)
}

/// The PEM certificates in a bundle, one string each.
fn split_pem(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            current.clear();
        }
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END CERTIFICATE-----") {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

/// Longest the main loop sleeps between OCPP pumps when nothing happens.
pub const PUMP_INTERVAL: Duration = Duration::from_millis(100);
