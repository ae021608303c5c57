//! Firmware Management (UpdateFirmware, GetDiagnostics), the security whitepaper's signed
//! firmware, GetLog, certificate signing and security events: the decisions and the status
//! notifications. The file work itself (downloads, signature checks, installs, uploads, key
//! generation) is the shell's, started with [`CoreAction::Job`] and reported back with
//! [`ChargePoint::job_progress`].
//!
//! A firmware update waits until no transaction runs before it installs (a truck is never
//! cut off by an update), and until the CSMS's installDateTime if it gave one.
//!
//! **What firmware is installed** is the operator's [`FirmwarePolicy`], never the CSMS's: with
//! `require_signed` (the default) a plain UpdateFirmware is refused before anything is
//! downloaded; a signed image must verify (the shell checks it against the roots the policy
//! trusts); and every image's version, as the install command reports it, must not be older
//! than the running version, unless it is the one `downgrade_to` version the operator allowed.
//!
//! **One transfer of each kind at a time.** A new firmware request (signed or not) cancels the
//! update under way unless it is already installing (then a SignedUpdateFirmware is Rejected and
//! an UpdateFirmware ignored); a SignedUpdateFirmware that canceled one is answered
//! `AcceptedCanceled`. GetDiagnostics and GetLog share one upload: a new one cancels the
//! running one (GetLog then answers `AcceptedCanceled`); a canceled upload of the *other* kind
//! is closed with its failure status (DiagnosticsStatusNotification UploadFailed or
//! LogStatusNotification UploadFailure), since its CSMS would otherwise wait for it forever.
//! Canceling is [`FileJob::Cancel`]: the shell stops the job and deletes its files.

use std::collections::VecDeque;
use std::time::Duration;

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::{v16, MessageId};
use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};

use super::{ChargePoint, CoreAction, Sent, NO_TRANSACTION};

/// Unsent security events kept at most (see [`ChargePoint::security_event`]).
pub const MAX_PENDING_SECURITY_EVENTS: usize = 1000;

/// Security events of the whitepaper (edition 3, appendix 1) this charge point raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecurityEvent {
    StartupOfTheDevice,
    ResetOrReboot,
    FirmwareUpdated,
    InvalidFirmwareSignature,
    InvalidFirmwareSigningCertificate,
    SettingSystemTime,
    ReconfigurationOfSecurityParameters,
    InvalidCentralSystemCertificate,
    InvalidChargePointCertificate,
    /// A setting persisted by an earlier run (a configuration key, the local list, the cache,
    /// charging profiles) failed validation at start-up and was dropped. Not a whitepaper
    /// type: the type is free text, and this one tells the operator a value was lost.
    InvalidPersistedSetting,
    FailedToAuthenticateAtCentralSystem,
    /// Not in the whitepaper's list: an image older than the running firmware was refused.
    FirmwareDowngradeRefused,
    /// Not in the whitepaper's list: InstallCertificate(ManufacturerRootCertificate) refused
    /// because firmware trust comes from local configuration only.
    ManufacturerRootCertificateRefused,
}

impl SecurityEvent {
    /// The whitepaper's "critical" events (appendix 1): the last ones dropped when the queue of
    /// unsent events is full.
    pub fn critical(self) -> bool {
        matches!(
            self,
            SecurityEvent::StartupOfTheDevice
                | SecurityEvent::ResetOrReboot
                | SecurityEvent::FirmwareUpdated
                | SecurityEvent::SettingSystemTime
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            SecurityEvent::StartupOfTheDevice => "StartupOfTheDevice",
            SecurityEvent::ResetOrReboot => "ResetOrReboot",
            SecurityEvent::FirmwareUpdated => "FirmwareUpdated",
            SecurityEvent::InvalidFirmwareSignature => "InvalidFirmwareSignature",
            SecurityEvent::InvalidFirmwareSigningCertificate => "InvalidFirmwareSigningCertificate",
            SecurityEvent::SettingSystemTime => "SettingSystemTime",
            SecurityEvent::ReconfigurationOfSecurityParameters => {
                "ReconfigurationOfSecurityParameters"
            }
            SecurityEvent::InvalidCentralSystemCertificate => "InvalidCentralSystemCertificate",
            SecurityEvent::InvalidChargePointCertificate => "InvalidChargePointCertificate",
            SecurityEvent::InvalidPersistedSetting => "InvalidPersistedSetting",
            SecurityEvent::FailedToAuthenticateAtCentralSystem => {
                "FailedToAuthenticateAtCentralSystem"
            }
            SecurityEvent::FirmwareDowngradeRefused => "FirmwareDowngradeRefused",
            SecurityEvent::ManufacturerRootCertificateRefused => {
                "ManufacturerRootCertificateRefused"
            }
        }
    }
}

/// The signature that comes with SignedUpdateFirmware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareSignature {
    pub signing_certificate: String,
    pub signature: String,
}

/// What to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadKind {
    /// GetDiagnostics: logs, the journal, the configuration.
    Diagnostics,
    /// GetLog DiagnosticsLog: the same archive.
    DiagnosticsLog,
    /// GetLog SecurityLog: the security events.
    SecurityLog,
}

/// A piece of file work for the shell.
#[derive(Debug, Clone, PartialEq)]
pub enum FileJob {
    /// Fetch the firmware (and, with a signature, verify it against the manufacturer roots).
    DownloadFirmware {
        job: u64,
        location: String,
        retries: u32,
        retry_interval: Duration,
        signature: Option<FirmwareSignature>,
    },
    /// Ask the install command which version the downloaded (and verified) image is:
    /// report [`JobProgress::ImageVersion`] or [`JobProgress::ImageVersionUnknown`].
    CheckImageVersion { job: u64 },
    /// Install the firmware the last download fetched.
    InstallFirmware { job: u64 },
    /// Stop the job (a download, a version check, an upload) if it still runs and delete its
    /// files; its later reports are ignored. Also sent for an image the core refused.
    Cancel { job: u64 },
    Upload {
        job: u64,
        kind: UploadKind,
        location: String,
        file_name: String,
        retries: u32,
        retry_interval: Duration,
        /// Only entries from this window (unix ms), when the CSMS gave one.
        since_ms: Option<i64>,
        until_ms: Option<i64>,
    },
    /// Make a new key pair and a CSR for the charge point certificate (whitepaper A02).
    GenerateCsr { job: u64 },
}

/// How a job is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobProgress {
    Downloading,
    Downloaded,
    DownloadFailed(String),
    SignatureVerified,
    /// The image's version as the install command told it.
    ImageVersion(String),
    /// The install command could not tell the image's version (why).
    ImageVersionUnknown(String),
    InvalidSignature(String),
    InvalidCertificate(String),
    Installing,
    Installed,
    InstallationFailed(String),
    Uploading,
    Uploaded,
    UploadFailed(String),
    Csr(String),
    CsrFailed(String),
}

#[derive(Debug, Clone, PartialEq)]
enum FirmwareStage {
    Scheduled,
    Downloading,
    /// Downloaded and verified: the image's version is being asked for.
    CheckingVersion,
    /// Downloaded (and verified): waiting for installDateTime and for no transaction.
    ReadyToInstall,
    Installing,
}

#[derive(Debug, Clone, PartialEq)]
struct FirmwareUpdate {
    job: u64,
    /// SignedUpdateFirmware's requestId (signed updates report with
    /// SignedFirmwareStatusNotification).
    request_id: Option<i64>,
    location: String,
    retrieve_at: Timestamp,
    install_at: Option<Timestamp>,
    retries: u32,
    retry_interval: Duration,
    signature: Option<FirmwareSignature>,
    stage: FirmwareStage,
}

/// A firmware version as anti-rollback compares it: dot-separated numbers (`2.10.3`, an
/// optional leading `v`; missing trailing numbers count as 0), optionally a `-` pre-release tag
/// that sorts before the release as in SemVer (`2.0.0-rc.1 < 2.0.0`); `+` build metadata is
/// ignored.
#[derive(Debug, Clone)]
pub struct FirmwareVersion {
    numbers: Vec<u64>,
    pre: Option<String>,
    text: String,
}

/// Longest version text accepted (what the install command prints is hostile too).
const MAX_VERSION_LEN: usize = 64;
/// Most numeric components of a version.
const MAX_VERSION_PARTS: usize = 8;

impl FirmwareVersion {
    pub fn parse(text: &str) -> Result<FirmwareVersion, String> {
        let t = text.trim();
        if t.is_empty() || t.len() > MAX_VERSION_LEN {
            return Err(format!(
                "a version has 1 to {MAX_VERSION_LEN} characters, not {}",
                t.len()
            ));
        }
        let bare = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let bare = bare.split('+').next().unwrap_or(bare);
        let (core, pre) = match bare.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (bare, None),
        };
        let bad = || format!("{t:?} is not a version like 1.4.2 or 1.5.0-rc.1");
        if pre.is_some_and(|p| {
            p.is_empty()
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }) {
            return Err(bad());
        }
        let numbers = core
            .split('.')
            .map(|n| {
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                n.parse::<u64>().map_err(|_| bad())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if numbers.len() > MAX_VERSION_PARTS {
            return Err(bad());
        }
        Ok(FirmwareVersion {
            numbers,
            pre: pre.map(str::to_string),
            text: t.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for FirmwareVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let len = self.numbers.len().max(other.numbers.len());
        for i in 0..len {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => {
                // SemVer: identifiers compared in turn, numeric ones numerically and below
                // alphanumeric ones; more identifiers sort after a shared prefix.
                let mut x = a.split('.');
                let mut y = b.split('.');
                loop {
                    match (x.next(), y.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(p), Some(q)) => {
                            let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                                (Ok(m), Ok(n)) => m.cmp(&n),
                                (Ok(_), Err(_)) => Ordering::Less,
                                (Err(_), Ok(_)) => Ordering::Greater,
                                (Err(_), Err(_)) => p.cmp(q),
                            };
                            if o != Ordering::Equal {
                                return o;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl PartialOrd for FirmwareVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for FirmwareVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for FirmwareVersion {}

/// What firmware this charge point installs: from local configuration (`[ocpp.firmware]`),
/// never from the CSMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwarePolicy {
    /// A plain UpdateFirmware (no signature) is refused before any download.
    pub require_signed: bool,
    /// The version running now; an image older than it is refused.
    pub running_version: String,
    /// The one older version the operator allows (a deliberate downgrade).
    pub downgrade_to: Option<String>,
}

impl Default for FirmwarePolicy {
    fn default() -> FirmwarePolicy {
        FirmwarePolicy {
            require_signed: true,
            running_version: env!("CARGO_PKG_VERSION").to_string(),
            downgrade_to: None,
        }
    }
}

/// Why an image's version is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRefusal {
    /// The version text (of the image, or the configured one) is not a version.
    Unreadable(String),
    /// Older than the running version and not the allowed downgrade: an attempted rollback.
    Older { image: String, running: String },
}

impl FirmwarePolicy {
    /// Anti-rollback: may an image of version `image` be installed?
    pub fn check_image_version(&self, image: &str) -> Result<(), VersionRefusal> {
        let image = FirmwareVersion::parse(image)
            .map_err(|e| VersionRefusal::Unreadable(format!("image version: {e}")))?;
        let running = FirmwareVersion::parse(&self.running_version)
            .map_err(|e| VersionRefusal::Unreadable(format!("running version: {e}")))?;
        if image >= running {
            return Ok(());
        }
        let allowed = self
            .downgrade_to
            .as_deref()
            .and_then(|d| FirmwareVersion::parse(d).ok());
        if allowed.is_some_and(|d| d == image) {
            tracing::warn!(
                image = image.as_str(),
                running = running.as_str(),
                "deliberate firmware downgrade allowed by ocpp.firmware.downgrade_to"
            );
            return Ok(());
        }
        Err(VersionRefusal::Older {
            image: image.as_str().to_string(),
            running: running.as_str().to_string(),
        })
    }
}

/// A firmware update's status: the security whitepaper's states, of which 1.6's
/// FirmwareStatus is a subset.
type FirmwareStatus = v16::FirmwareStatusEnum;

/// `status` as 1.6's FirmwareStatusNotification tells it. The whitepaper's states 1.6 lacks
/// are not told as they happen (`None`); a triggered notification (`triggered`) must say
/// something, so they are told as the 1.6 state the update is in.
fn legacy_firmware_status(status: FirmwareStatus, triggered: bool) -> Option<v16::FirmwareStatus> {
    use v16::FirmwareStatus as L;
    use FirmwareStatus as F;
    Some(match status {
        F::Downloaded => L::Downloaded,
        F::DownloadFailed => L::DownloadFailed,
        F::Downloading => L::Downloading,
        F::Idle => L::Idle,
        F::InstallationFailed => L::InstallationFailed,
        F::Installing => L::Installing,
        F::Installed => L::Installed,
        F::InvalidSignature | F::InstallVerificationFailed => L::InstallationFailed,
        F::InstallRebooting => L::Installing,
        F::DownloadScheduled | F::DownloadPaused if triggered => L::Idle,
        F::SignatureVerified | F::InstallScheduled if triggered => L::Downloaded,
        F::DownloadScheduled | F::DownloadPaused | F::SignatureVerified | F::InstallScheduled => {
            return None
        }
    })
}

#[derive(Debug, Default)]
pub(super) struct Maintenance {
    policy: FirmwarePolicy,
    next_job: u64,
    firmware: Option<FirmwareUpdate>,
    /// Last firmware status (the whitepaper's states, a superset of 1.6's) and the request
    /// id it was for (None: unsigned / none).
    firmware_status: Option<(FirmwareStatus, Option<i64>)>,
    diagnostics: Option<u64>,
    /// Running GetLog: job, requestId.
    log: Option<(u64, i64)>,
    csr_job: Option<u64>,
    /// Status notifications waiting for the CSMS, oldest first.
    notifications: VecDeque<v16::Request>,
}

/// Longest a notification queue grows while offline; older ones are dropped first (the
/// latest status is what matters, and TriggerMessage can always ask for it).
const MAX_NOTIFICATIONS: usize = 64;

impl Maintenance {
    pub(super) fn poll_timeout(&self) -> Option<Timestamp> {
        let f = self.firmware.as_ref()?;
        match f.stage {
            FirmwareStage::Scheduled => Some(f.retrieve_at),
            FirmwareStage::ReadyToInstall => f.install_at,
            _ => None,
        }
    }

    fn job(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }
}

/// The retries and the interval between them a CSMS asked for (GetDiagnostics, GetLog,
/// UpdateFirmware, SignedUpdateFirmware): absent or negative is the default (3, 60 s).
fn retries_of(retries: Option<i64>, retry_interval: Option<i64>) -> (u32, Duration) {
    let retries = retries
        .and_then(|r| u64::try_from(r).ok())
        .map_or(3, |r| u32::try_from(r).unwrap_or(u32::MAX).min(10));
    // A day between attempts is already "never" for a technician waiting on a log; a larger
    // CSMS value is taken as that, not trusted into timer arithmetic.
    let interval = retry_interval
        .and_then(|s| u64::try_from(s).ok())
        .map_or(Duration::from_secs(60), |s| {
            Duration::from_secs(s.min(super::super::keys::MAX_RETRY_INTERVAL_S))
        });
    (retries, interval)
}

impl ChargePoint {
    fn notify(&mut self, request: impl Into<v16::Request>) {
        let q = &mut self.maintenance.notifications;
        if q.len() >= MAX_NOTIFICATIONS {
            q.pop_front();
        }
        q.push_back(request.into());
    }

    pub(super) fn send_maintenance_notifications(&mut self) {
        while let Some(request) = self.maintenance.notifications.pop_front() {
            self.send(request, Sent::Plain);
        }
    }

    /// Raise a security event: it goes through the outbox (persisted, never dropped).
    pub fn security_event(
        &mut self,
        event: SecurityEvent,
        tech_info: Option<String>,
        now: Timestamp,
    ) {
        tracing::warn!(
            event = event.name(),
            tech_info = tech_info.as_deref().unwrap_or(""),
            "security event"
        );
        let event_message = v16::SecurityEventNotificationRequest {
            r#type: event.name().to_string(),
            timestamp: self.wall_time(now),
            tech_info: tech_info.map(|info| super::truncate(&info, 255)),
        };
        let seq = self.outbox.next_seq();
        self.enqueue_message(event_message, NO_TRANSACTION);
        self.security_events.push_back((seq, event));
        self.bound_security_events();
    }

    /// At most [`MAX_PENDING_SECURITY_EVENTS`] unsent security events: beyond, the oldest
    /// non-critical one is dropped (from memory and SQLite) and counted; when all are critical,
    /// the oldest of the newest event's type (a CSMS stepping the clock back and forth makes
    /// the same event again and again). Transaction messages are never dropped.
    fn bound_security_events(&mut self) {
        while self.security_events.len() > MAX_PENDING_SECURITY_EVENTS {
            let newest = self.security_events.back().map(|(_, e)| *e);
            let sending: Vec<u64> = self
                .in_flight
                .values()
                .filter_map(|s| match s {
                    Sent::Outbox(seq) => Some(*seq),
                    _ => None,
                })
                .collect();
            let droppable = |(seq, _): &(u64, SecurityEvent)| !sending.contains(seq);
            let pick = self
                .security_events
                .iter()
                .position(|e| droppable(e) && !e.1.critical())
                .or_else(|| {
                    self.security_events
                        .iter()
                        .position(|e| droppable(e) && Some(e.1) == newest)
                });
            let Some((seq, event)) = pick.and_then(|i| self.security_events.remove(i)) else {
                return;
            };
            self.drop_outbox_record(seq);
            self.security_events_dropped = self.security_events_dropped.saturating_add(1);
            tracing::warn!(
                seq,
                event = event.name(),
                dropped = self.security_events_dropped,
                "too many unsent security events: the oldest dropped"
            );
        }
    }

    /// A security event the CSMS took (or refused for good) is no longer queued.
    pub(super) fn security_event_done(&mut self, seq: u64) {
        self.security_events.retain(|(s, _)| *s != seq);
    }

    fn firmware_status(&mut self, status: FirmwareStatus) {
        let request_id = self
            .maintenance
            .firmware
            .as_ref()
            .and_then(|f| f.request_id);
        self.maintenance.firmware_status = Some((status, request_id));
        self.send_firmware_status(status, request_id);
    }

    fn send_firmware_status(&mut self, status: FirmwareStatus, request_id: Option<i64>) {
        match request_id {
            Some(r) => self.notify(v16::SignedFirmwareStatusNotificationRequest {
                status,
                request_id: Some(r),
            }),
            // 1.6's FirmwareStatus has fewer states than the whitepaper's: the ones it lacks
            // are not told.
            None => {
                if let Some(status) = legacy_firmware_status(status, false) {
                    self.notify(v16::FirmwareStatusNotificationRequest { status });
                }
            }
        }
    }

    /// The operator's firmware policy (from `[ocpp.firmware]`); the default requires signed
    /// firmware and compares with chargerd's own version.
    pub fn set_firmware_policy(&mut self, policy: FirmwarePolicy) {
        self.maintenance.policy = policy;
    }

    pub(super) fn update_firmware(
        &mut self,
        id: MessageId,
        r: &v16::UpdateFirmwareRequest,
        now: Timestamp,
    ) {
        if self.maintenance.policy.require_signed {
            // 1.6's answer has no status: the refusal is told by the notification and the
            // event. Nothing is downloaded and an update under way goes on.
            self.reply(&id, v16::UpdateFirmwareResponse {});
            tracing::warn!(
                location = %crate::ocpp::redact_url(&r.location),
                "unsigned UpdateFirmware refused (ocpp.firmware.require_signed)"
            );
            self.notify(v16::FirmwareStatusNotificationRequest {
                status: v16::FirmwareStatus::InstallationFailed,
            });
            self.security_event(
                SecurityEvent::InvalidFirmwareSignature,
                Some(
                    "UpdateFirmware without a signature refused: signed firmware is required"
                        .into(),
                ),
                now,
            );
            return;
        }
        let (retries, retry_interval) = retries_of(r.retries, r.retry_interval);
        let retrieve_at = self.instant_of(r.retrieve_date.unix_ms(), now);
        self.reply(&id, v16::UpdateFirmwareResponse {});
        self.schedule_firmware(
            FirmwareUpdate {
                job: 0,
                request_id: None,
                location: r.location.clone(),
                retrieve_at,
                install_at: None,
                retries,
                retry_interval,
                signature: None,
                stage: FirmwareStage::Scheduled,
            },
            now,
        );
    }

    pub(super) fn signed_update_firmware(
        &mut self,
        id: MessageId,
        r: &v16::SignedUpdateFirmwareRequest,
        now: Timestamp,
    ) {
        let answer = |status| v16::SignedUpdateFirmwareResponse { status };
        let (retries, retry_interval) = retries_of(r.retries, r.retry_interval);
        let fw = &r.firmware;
        let retrieve_at = self.instant_of(fw.retrieve_date_time.unix_ms(), now);
        let install_at = fw
            .install_date_time
            .map(|t| self.instant_of(t.unix_ms(), now));
        let certificate = &fw.signing_certificate;
        if !certificate.contains("-----BEGIN CERTIFICATE-----") {
            // Not even a PEM certificate: refused at once (whitepaper L01.FR.02).
            self.reply(
                &id,
                answer(v16::UpdateFirmwareStatusEnum::InvalidCertificate),
            );
            self.security_event(
                SecurityEvent::InvalidFirmwareSigningCertificate,
                Some("signing certificate is not a PEM certificate".into()),
                now,
            );
            return;
        }
        let busy = self
            .maintenance
            .firmware
            .as_ref()
            .is_some_and(|f| f.stage != FirmwareStage::Installing);
        if self
            .maintenance
            .firmware
            .as_ref()
            .is_some_and(|f| f.stage == FirmwareStage::Installing)
        {
            self.reply(&id, answer(v16::UpdateFirmwareStatusEnum::Rejected));
            return;
        }
        self.reply(
            &id,
            answer(if busy {
                v16::UpdateFirmwareStatusEnum::AcceptedCanceled
            } else {
                v16::UpdateFirmwareStatusEnum::Accepted
            }),
        );
        self.schedule_firmware(
            FirmwareUpdate {
                job: 0,
                request_id: Some(r.request_id),
                location: fw.location.clone(),
                retrieve_at,
                install_at,
                retries,
                retry_interval,
                signature: Some(FirmwareSignature {
                    signing_certificate: certificate.clone(),
                    signature: fw.signature.clone(),
                }),
                stage: FirmwareStage::Scheduled,
            },
            now,
        );
    }

    fn schedule_firmware(&mut self, mut update: FirmwareUpdate, now: Timestamp) {
        if self
            .maintenance
            .firmware
            .as_ref()
            .is_some_and(|f| f.stage == FirmwareStage::Installing)
        {
            tracing::warn!("firmware update refused: an installation is running");
            return;
        }
        if let Some(old) = self.maintenance.firmware.take() {
            // One firmware transfer at a time: the newest request wins.
            tracing::info!(job = old.job, "firmware update canceled by a newer request");
            self.actions
                .push_back(CoreAction::Job(FileJob::Cancel { job: old.job }));
        }
        update.job = self.maintenance.job();
        tracing::info!(location = %crate::ocpp::redact_url(&update.location), signed = update.signature.is_some(), "firmware update scheduled");
        let later = update.retrieve_at > now;
        self.maintenance.firmware = Some(update);
        if later {
            self.firmware_status(FirmwareStatus::DownloadScheduled);
        }
        self.maintenance_update(now);
    }

    pub(super) fn maintenance_update(&mut self, now: Timestamp) {
        let idle = self.running.is_empty();
        let Some(f) = self.maintenance.firmware.as_mut() else {
            return;
        };
        match f.stage {
            FirmwareStage::Scheduled if now >= f.retrieve_at => {
                f.stage = FirmwareStage::Downloading;
                let job = FileJob::DownloadFirmware {
                    job: f.job,
                    location: f.location.clone(),
                    retries: f.retries,
                    retry_interval: f.retry_interval,
                    signature: f.signature.clone(),
                };
                self.actions.push_back(CoreAction::Job(job));
            }
            FirmwareStage::ReadyToInstall if idle && f.install_at.is_none_or(|t| now >= t) => {
                f.stage = FirmwareStage::Installing;
                let job = f.job;
                // Nothing new starts while the image installs (the install may restart us).
                self.actions.push_back(CoreAction::Station {
                    command: crate::station::StationCommand::SetMaintenance { blocked: true },
                    reply: None,
                });
                self.actions
                    .push_back(CoreAction::Job(FileJob::InstallFirmware { job }));
            }
            _ => {}
        }
    }

    /// A firmware image is being installed: no new transaction starts until it is done (the
    /// install may restart the charger).
    pub(super) fn installing_firmware(&self) -> bool {
        self.maintenance
            .firmware
            .as_ref()
            .is_some_and(|f| f.stage == FirmwareStage::Installing)
    }

    /// Progress of a [`FileJob`]. Reports of a job that was replaced are ignored.
    pub fn job_progress(&mut self, job: u64, progress: JobProgress, now: Timestamp) {
        self.now = self.now.max(now);
        let firmware_job = self.maintenance.firmware.as_ref().map(|f| f.job);
        if firmware_job == Some(job) {
            self.firmware_progress(progress, now);
        } else if self.maintenance.diagnostics == Some(job) {
            let status = match progress {
                JobProgress::Uploading => v16::DiagnosticsStatus::Uploading,
                JobProgress::Uploaded => v16::DiagnosticsStatus::Uploaded,
                _ => v16::DiagnosticsStatus::UploadFailed,
            };
            if status != v16::DiagnosticsStatus::Uploading {
                self.maintenance.diagnostics = None;
            }
            self.notify(v16::DiagnosticsStatusNotificationRequest { status });
        } else if let Some((log_job, request_id)) = self.maintenance.log.filter(|l| l.0 == job) {
            let status = match progress {
                JobProgress::Uploading => v16::UploadLogStatusEnum::Uploading,
                JobProgress::Uploaded => v16::UploadLogStatusEnum::Uploaded,
                _ => v16::UploadLogStatusEnum::UploadFailure,
            };
            if status != v16::UploadLogStatusEnum::Uploading {
                self.maintenance.log = None;
            }
            let _ = log_job;
            self.notify(v16::LogStatusNotificationRequest {
                status,
                request_id: Some(request_id),
            });
        } else if self.maintenance.csr_job == Some(job) {
            self.maintenance.csr_job = None;
            match progress {
                JobProgress::Csr(csr) => self
                    .send_if_accepted(v16::SignCertificateRequest { csr }, Sent::SignCertificate),
                other => tracing::error!(?other, "no certificate signing request"),
            }
        } else {
            tracing::debug!(job, ?progress, "progress of a replaced job ignored");
        }
    }

    fn firmware_progress(&mut self, progress: JobProgress, now: Timestamp) {
        let signed = self
            .maintenance
            .firmware
            .as_ref()
            .is_some_and(|f| f.signature.is_some());
        match progress {
            JobProgress::Downloading => self.firmware_status(FirmwareStatus::Downloading),
            JobProgress::Downloaded => {
                self.firmware_status(FirmwareStatus::Downloaded);
                if !signed {
                    self.check_image_version();
                }
            }
            JobProgress::SignatureVerified => {
                self.firmware_status(FirmwareStatus::SignatureVerified);
                self.check_image_version();
            }
            JobProgress::ImageVersion(version) => {
                let verdict = self.maintenance.policy.check_image_version(&version);
                match verdict {
                    Ok(()) => {
                        tracing::info!(version, "firmware image version accepted");
                        self.firmware_ready(now);
                    }
                    Err(VersionRefusal::Older { image, running }) => {
                        let why = format!(
                            "image version {image} is older than the running {running} \
                             (a deliberate downgrade needs ocpp.firmware.downgrade_to)"
                        );
                        tracing::warn!(why, "firmware refused");
                        self.firmware_status(FirmwareStatus::InstallVerificationFailed);
                        self.security_event(
                            SecurityEvent::FirmwareDowngradeRefused,
                            Some(why),
                            now,
                        );
                        self.discard_firmware();
                    }
                    Err(VersionRefusal::Unreadable(why)) => {
                        tracing::warn!(why, "firmware refused: its version is unknown");
                        self.firmware_status(FirmwareStatus::InstallVerificationFailed);
                        self.discard_firmware();
                    }
                }
            }
            JobProgress::ImageVersionUnknown(why) => {
                tracing::warn!(why, "firmware refused: its version is unknown");
                self.firmware_status(FirmwareStatus::InstallVerificationFailed);
                self.discard_firmware();
            }
            JobProgress::DownloadFailed(why) => {
                tracing::warn!(why, "firmware download failed");
                self.firmware_status(FirmwareStatus::DownloadFailed);
                self.maintenance.firmware = None;
            }
            JobProgress::InvalidSignature(why) => {
                self.firmware_status(FirmwareStatus::InvalidSignature);
                self.security_event(SecurityEvent::InvalidFirmwareSignature, Some(why), now);
                self.maintenance.firmware = None;
            }
            JobProgress::InvalidCertificate(why) => {
                self.firmware_status(FirmwareStatus::InvalidSignature);
                self.security_event(
                    SecurityEvent::InvalidFirmwareSigningCertificate,
                    Some(why),
                    now,
                );
                self.maintenance.firmware = None;
            }
            JobProgress::Installing => self.firmware_status(FirmwareStatus::Installing),
            JobProgress::Installed => {
                self.end_maintenance();
                self.firmware_status(FirmwareStatus::Installed);
                self.security_event(SecurityEvent::FirmwareUpdated, None, now);
                self.maintenance.firmware = None;
            }
            JobProgress::InstallationFailed(why) => {
                self.end_maintenance();
                tracing::warn!(why, "firmware installation failed");
                self.firmware_status(FirmwareStatus::InstallationFailed);
                self.maintenance.firmware = None;
            }
            other => tracing::debug!(?other, "unexpected firmware progress"),
        }
    }

    /// Downloaded and verified: ask the image's version (anti-rollback) before it may install.
    fn check_image_version(&mut self) {
        if let Some(f) = self.maintenance.firmware.as_mut() {
            f.stage = FirmwareStage::CheckingVersion;
            let job = f.job;
            self.actions
                .push_back(CoreAction::Job(FileJob::CheckImageVersion { job }));
        }
    }

    /// Drop the update under way and have the shell delete its image.
    fn discard_firmware(&mut self) {
        if let Some(f) = self.maintenance.firmware.take() {
            self.actions
                .push_back(CoreAction::Job(FileJob::Cancel { job: f.job }));
        }
    }

    fn end_maintenance(&mut self) {
        if self.installing_firmware() {
            self.actions.push_back(CoreAction::Station {
                command: crate::station::StationCommand::SetMaintenance { blocked: false },
                reply: None,
            });
        }
    }

    fn firmware_ready(&mut self, now: Timestamp) {
        let waiting = !self.running.is_empty()
            || self
                .maintenance
                .firmware
                .as_ref()
                .and_then(|f| f.install_at)
                .is_some_and(|t| t > now);
        if let Some(f) = self.maintenance.firmware.as_mut() {
            f.stage = FirmwareStage::ReadyToInstall;
        }
        if waiting {
            tracing::info!("firmware downloaded; installing once no transaction runs and its install time has come");
            self.firmware_status(FirmwareStatus::InstallScheduled);
        }
        self.maintenance_update(now);
    }

    fn upload_file_name(&self, prefix: &str, now: Timestamp) -> String {
        let stamp: String = self
            .wall(now)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(15)
            .collect();
        format!("{prefix}-{stamp}.tar.gz")
    }

    /// One log transfer at a time, GetDiagnostics and GetLog alike: cancel the running one.
    /// One of the other kind is closed with its failure status (its CSMS request would
    /// otherwise never end); one of the same kind is followed by the new one's statuses.
    /// Returns whether an upload was canceled.
    fn cancel_upload(&mut self, by: UploadKind) -> bool {
        let by_log = by != UploadKind::Diagnostics;
        let mut canceled = false;
        if let Some(job) = self.maintenance.diagnostics.take() {
            self.actions
                .push_back(CoreAction::Job(FileJob::Cancel { job }));
            if by_log {
                self.notify(v16::DiagnosticsStatusNotificationRequest {
                    status: v16::DiagnosticsStatus::UploadFailed,
                });
            }
            canceled = true;
        }
        if let Some((job, request_id)) = self.maintenance.log.take() {
            self.actions
                .push_back(CoreAction::Job(FileJob::Cancel { job }));
            if !by_log {
                self.notify(v16::LogStatusNotificationRequest {
                    status: v16::UploadLogStatusEnum::UploadFailure,
                    request_id: Some(request_id),
                });
            }
            canceled = true;
        }
        if canceled {
            tracing::info!(by = ?by, "running upload canceled by a newer request");
        }
        canceled
    }

    pub(super) fn get_diagnostics(
        &mut self,
        id: MessageId,
        r: &v16::GetDiagnosticsRequest,
        now: Timestamp,
    ) {
        let (retries, retry_interval) = retries_of(r.retries, r.retry_interval);
        let file_name = self.upload_file_name("diagnostics", now);
        self.reply(
            &id,
            v16::GetDiagnosticsResponse {
                file_name: Some(file_name.clone()),
            },
        );
        self.cancel_upload(UploadKind::Diagnostics);
        let job = self.maintenance.job();
        self.maintenance.diagnostics = Some(job);
        self.actions.push_back(CoreAction::Job(FileJob::Upload {
            job,
            kind: UploadKind::Diagnostics,
            location: r.location.clone(),
            file_name,
            retries,
            retry_interval,
            since_ms: r.start_time.map(DateTime::unix_ms),
            until_ms: r.stop_time.map(DateTime::unix_ms),
        }));
    }

    pub(super) fn get_log(&mut self, id: MessageId, r: &v16::GetLogRequest, now: Timestamp) {
        let (retries, retry_interval) = retries_of(r.retries, r.retry_interval);
        let kind = match r.log_type {
            v16::LogEnum::SecurityLog => UploadKind::SecurityLog,
            v16::LogEnum::DiagnosticsLog => UploadKind::DiagnosticsLog,
        };
        let prefix = match kind {
            UploadKind::SecurityLog => "security-log",
            _ => "diagnostics-log",
        };
        let file_name = self.upload_file_name(prefix, now);
        let canceled = self.cancel_upload(kind);
        self.reply(
            &id,
            v16::GetLogResponse {
                status: if canceled {
                    v16::LogStatusEnum::AcceptedCanceled
                } else {
                    v16::LogStatusEnum::Accepted
                },
                filename: Some(file_name.clone()),
            },
        );
        let job = self.maintenance.job();
        self.maintenance.log = Some((job, r.request_id));
        self.actions.push_back(CoreAction::Job(FileJob::Upload {
            job,
            kind,
            location: r.log.remote_location.clone(),
            file_name,
            retries,
            retry_interval,
            since_ms: r.log.oldest_timestamp.map(DateTime::unix_ms),
            until_ms: r.log.latest_timestamp.map(DateTime::unix_ms),
        }));
    }

    pub(super) fn trigger_diagnostics_status(&mut self) {
        let status = if self.maintenance.diagnostics.is_some() {
            v16::DiagnosticsStatus::Uploading
        } else {
            v16::DiagnosticsStatus::Idle
        };
        self.notify(v16::DiagnosticsStatusNotificationRequest { status });
    }

    pub(super) fn trigger_firmware_status(&mut self, extended: bool) {
        let (status, request_id) =
            match (&self.maintenance.firmware, self.maintenance.firmware_status) {
                // Nothing under way: Idle (1.6 §5.18 / whitepaper L01).
                (None, _) | (_, None) => (FirmwareStatus::Idle, None),
                (Some(_), Some(s)) => s,
            };
        if extended {
            self.notify(v16::SignedFirmwareStatusNotificationRequest { status, request_id });
        } else if let Some(status) = legacy_firmware_status(status, true) {
            // A triggered notification is always sent (exactly one).
            self.notify(v16::FirmwareStatusNotificationRequest { status });
        }
    }

    pub(super) fn trigger_log_status(&mut self) {
        let (status, request_id) = match self.maintenance.log {
            Some((_, request_id)) => (v16::UploadLogStatusEnum::Uploading, Some(request_id)),
            None => (v16::UploadLogStatusEnum::Idle, None),
        };
        self.notify(v16::LogStatusNotificationRequest { status, request_id });
    }

    pub(super) fn request_certificate_signing(&mut self) {
        let job = self.maintenance.job();
        self.maintenance.csr_job = Some(job);
        self.actions
            .push_back(CoreAction::Job(FileJob::GenerateCsr { job }));
    }

    /// After (re)registration or a reconnect: nothing is lost by a reconnect, notifications
    /// wait in their queue; the firmware status of an update under way is sent again so the
    /// CSMS knows.
    pub(super) fn on_accepted(&mut self, _now: Timestamp) {
        if let (Some(_), Some((status, request_id))) =
            (&self.maintenance.firmware, self.maintenance.firmware_status)
        {
            if !self.maintenance.notifications.iter().any(|r| {
                matches!(
                    r,
                    v16::Request::FirmwareStatusNotification(_)
                        | v16::Request::SignedFirmwareStatusNotification(_)
                )
            }) {
                self.send_firmware_status(status, request_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use charger_protocol::ocpp::RpcConfig;
    use charger_protocol::Timestamp;
    use serde_json::{json, Value};

    use super::*;
    use crate::ocpp::chargepoint::{Identity, Keys};

    /// The core against a CSMS that answers every call at once, with the file jobs the core
    /// starts collected instead of run.
    struct Bench {
        cp: ChargePoint,
        now: Timestamp,
        jobs: Vec<FileJob>,
        /// Every frame the charge point sent.
        sent: Vec<Value>,
        next_id: u32,
    }

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    impl Bench {
        fn new(policy: FirmwarePolicy) -> Bench {
            let identity = Identity {
                vendor: "chargerd".into(),
                model: "test".into(),
                serial_number: None,
                firmware_version: policy.running_version.clone(),
            };
            let now = Timestamp::from_secs(10);
            let rpc = RpcConfig {
                id_seed: 1,
                ..RpcConfig::default()
            };
            let mut cp = ChargePoint::new(identity, Keys::new(1), rpc, 1_795_619_373_000, now);
            cp.set_firmware_policy(policy);
            cp.on_connected(
                crate::ocpp::chargepoint::Endpoint {
                    url: "ws://csms.test/ocpp/CP1".into(),
                    security_profile: 0,
                },
                now,
            );
            let mut bench = Bench {
                cp,
                now,
                jobs: Vec::new(),
                sent: Vec::new(),
                next_id: 0,
            };
            bench.step();
            bench
        }

        fn policy(running: &str) -> FirmwarePolicy {
            FirmwarePolicy {
                running_version: running.into(),
                ..FirmwarePolicy::default()
            }
        }

        /// Runs until the charge point has nothing more to say; answers its calls.
        fn step(&mut self) {
            for _ in 0..1000 {
                self.now += Duration::from_millis(10);
                self.cp.update(self.now);
                while let Some(action) = self.cp.poll_action() {
                    if let CoreAction::Job(job) = action {
                        self.jobs.push(job);
                    }
                }
                let mut quiet = true;
                while let Some(text) = self.cp.poll_text(self.now) {
                    quiet = false;
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if frame[0] == 2 {
                        let answer = match frame[2].as_str().unwrap() {
                            "BootNotification" => json!({"status": "Accepted",
                                "currentTime": "2026-11-25T15:09:33Z", "interval": 300}),
                            "Heartbeat" => json!({"currentTime": "2026-11-25T15:09:33Z"}),
                            _ => json!({}),
                        };
                        let reply = json!([3, frame[1], answer]).to_string();
                        self.cp.on_text(&reply, self.now);
                    }
                    self.sent.push(frame);
                }
                if quiet {
                    return;
                }
            }
            panic!("the charge point never went quiet");
        }

        /// A CSMS call; returns the charge point's answer.
        fn call(&mut self, action: &str, payload: Value) -> Value {
            self.next_id += 1;
            let id = format!("csms-{}", self.next_id);
            self.cp
                .on_text(&json!([2, id, action, payload]).to_string(), self.now);
            self.step();
            self.sent
                .iter()
                .find(|f| f[0] == 3 && f[1] == id.as_str())
                .map(|f| f[2].clone())
                .unwrap_or_else(|| panic!("{action} not answered: {:?}", self.sent))
        }

        fn progress(&mut self, job: u64, progress: JobProgress) {
            self.cp.job_progress(job, progress, self.now);
            self.step();
        }

        fn statuses(&self, action: &str) -> Vec<String> {
            self.sent
                .iter()
                .filter(|f| f[0] == 2 && f[2] == action)
                .map(|f| f[3]["status"].as_str().unwrap().to_string())
                .collect()
        }

        fn events(&self) -> Vec<String> {
            self.sent
                .iter()
                .filter(|f| f[0] == 2 && f[2] == "SecurityEventNotification")
                .map(|f| f[3]["type"].as_str().unwrap().to_string())
                .collect()
        }

        fn take_jobs(&mut self) -> Vec<FileJob> {
            std::mem::take(&mut self.jobs)
        }
    }

    /// Issue 14: every CSMS call becomes its typed message before a handler runs. A value
    /// the schema lets through but the type cannot hold (an integer beyond i64) is answered
    /// TypeConstraintViolation and changes nothing, and the next call is served; a value beyond
    /// what the domain holds never widens what a call does (a profile id beyond i32 clears
    /// nothing, not everything).
    #[test]
    fn calls_become_typed_messages_and_values_beyond_the_type_are_refused() {
        let mut b = Bench::new(Bench::policy("1.0.0"));
        b.next_id += 1;
        let id = format!("csms-{}", b.next_id);
        let frame =
            format!(r#"[2,"{id}","UnlockConnector",{{"connectorId":9223372036854775808}}]"#);
        b.cp.on_text(&frame, b.now);
        b.step();
        let error = b
            .sent
            .iter()
            .find(|f| f[0] == 4 && f[1] == id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no CALLERROR: {:?}", b.sent));
        assert_eq!(error[2], "TypeConstraintViolation", "{error}");
        assert!(b.events().is_empty(), "nothing happened");

        let answer = b.call(
            "GetDiagnostics",
            json!({"location": "ftp://csms.test/up", "retries": 3, "retryInterval": 60}),
        );
        assert!(answer["fileName"].is_string(), "{answer}");
        let jobs = b.take_jobs();
        assert!(
            jobs.iter()
                .any(|j| matches!(j, FileJob::Upload { retries: 3, .. })),
            "{jobs:?}"
        );

        let answer = b.call(
            "SetChargingProfile",
            json!({"connectorId": 0, "csChargingProfiles": {
                "chargingProfileId": 7, "stackLevel": 0,
                "chargingProfilePurpose": "ChargePointMaxProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {"chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 100.0}]}}}),
        );
        assert_eq!(answer["status"], "Accepted", "{answer}");
        let answer = b.call("ClearChargingProfile", json!({"id": 1_099_511_627_776_i64}));
        assert_eq!(
            answer["status"], "Unknown",
            "an id beyond i32 matches no profile"
        );
        let answer = b.call("ClearChargingProfile", json!({"id": 7}));
        assert_eq!(answer["status"], "Accepted", "the profile was still there");
    }

    fn download_job(jobs: &[FileJob]) -> u64 {
        jobs.iter()
            .find_map(|j| match j {
                FileJob::DownloadFirmware { job, .. } => Some(*job),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no download in {jobs:?}"))
    }

    fn upload_job(jobs: &[FileJob]) -> u64 {
        jobs.iter()
            .find_map(|j| match j {
                FileJob::Upload { job, .. } => Some(*job),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no upload in {jobs:?}"))
    }

    fn signed(request_id: i64) -> Value {
        json!({"requestId": request_id, "firmware": {
            "location": "http://fw.example/image.bin",
            "retrieveDateTime": "2020-01-01T00:00:00Z",
            "signingCertificate": PEM,
            "signature": "AAAA"}})
    }

    fn unsigned() -> Value {
        json!({"location": "http://fw.example/image.bin", "retrieveDate": "2020-01-01T00:00:00Z"})
    }

    #[test]
    fn versions_compare_numerically_with_prereleases_first() {
        let v = |s: &str| FirmwareVersion::parse(s).unwrap();
        assert!(v("1.10.0") > v("1.9.7"));
        assert!(v("v2.0") == v("2.0.0"));
        assert!(v("2.0.0-rc.1") < v("2.0.0"));
        assert!(v("2.0.0-rc.2") < v("2.0.0-rc.10"));
        assert!(v("2.0.0-alpha") < v("2.0.0-beta"));
        assert!(v("2.0.0+build.7") == v("2.0.0"));
        for bad in [
            "",
            "abc",
            "1..2",
            "1.2.x",
            "1.2-",
            "-1",
            &"9".repeat(70),
            "1.2 3",
        ] {
            assert!(FirmwareVersion::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FirmwareVersion::parse("1.2.3.4.5.6.7.8.9").is_err());
        assert!(FirmwareVersion::parse("99999999999999999999999").is_err());
    }

    #[test]
    fn anti_rollback_refuses_older_images_unless_that_downgrade_is_allowed() {
        let mut policy = Bench::policy("1.4.2");
        assert_eq!(policy.check_image_version("1.4.2"), Ok(()));
        assert_eq!(policy.check_image_version("1.5.0-rc.1"), Ok(()));
        assert_eq!(
            policy.check_image_version("1.4.1"),
            Err(VersionRefusal::Older {
                image: "1.4.1".into(),
                running: "1.4.2".into()
            })
        );
        assert!(matches!(
            policy.check_image_version("latest"),
            Err(VersionRefusal::Unreadable(_))
        ));
        policy.downgrade_to = Some("1.3.0".into());
        assert_eq!(policy.check_image_version("1.3.0"), Ok(()));
        assert!(policy.check_image_version("1.2.0").is_err());
    }

    #[test]
    fn a_plain_update_firmware_is_refused_without_a_download_by_default() {
        let mut b = Bench::new(FirmwarePolicy::default());
        b.take_jobs();
        assert_eq!(b.call("UpdateFirmware", unsigned()), json!({}));
        assert!(
            b.jobs.is_empty(),
            "an unsigned image is fetched: {:?}",
            b.jobs
        );
        assert_eq!(
            b.statuses("FirmwareStatusNotification"),
            ["InstallationFailed"]
        );
        assert!(b.events().contains(&"InvalidFirmwareSignature".to_string()));
    }

    #[test]
    fn an_unsigned_update_when_allowed_is_version_checked_before_it_installs() {
        let mut b = Bench::new(FirmwarePolicy {
            require_signed: false,
            ..Bench::policy("1.0.0")
        });
        b.call("UpdateFirmware", unsigned());
        let job = download_job(&b.take_jobs());
        b.progress(job, JobProgress::Downloading);
        b.progress(job, JobProgress::Downloaded);
        assert_eq!(b.take_jobs(), [FileJob::CheckImageVersion { job }]);
        b.progress(job, JobProgress::ImageVersion("1.1.0".into()));
        assert_eq!(b.take_jobs(), [FileJob::InstallFirmware { job }]);
    }

    #[test]
    fn an_older_signed_image_is_refused_with_an_event_and_discarded() {
        let mut b = Bench::new(Bench::policy("2.0.0"));
        assert_eq!(
            b.call("SignedUpdateFirmware", signed(5))["status"],
            "Accepted"
        );
        let job = download_job(&b.take_jobs());
        b.progress(job, JobProgress::Downloaded);
        assert!(b.take_jobs().is_empty(), "checked before its signature");
        b.progress(job, JobProgress::SignatureVerified);
        assert_eq!(b.take_jobs(), [FileJob::CheckImageVersion { job }]);
        b.progress(job, JobProgress::ImageVersion("1.9.9".into()));
        assert_eq!(b.take_jobs(), [FileJob::Cancel { job }]);
        assert_eq!(
            b.statuses("SignedFirmwareStatusNotification"),
            [
                "Downloaded",
                "SignatureVerified",
                "InstallVerificationFailed"
            ]
        );
        assert!(b.events().contains(&"FirmwareDowngradeRefused".to_string()));

        // A hook that cannot tell the version: refused as well (fail closed), no event.
        assert_eq!(
            b.call("SignedUpdateFirmware", signed(6))["status"],
            "Accepted"
        );
        let job = download_job(&b.take_jobs());
        b.progress(job, JobProgress::SignatureVerified);
        b.take_jobs();
        b.progress(job, JobProgress::ImageVersionUnknown("exit 2".into()));
        assert_eq!(b.take_jobs(), [FileJob::Cancel { job }]);
        assert_eq!(
            b.statuses("SignedFirmwareStatusNotification")
                .last()
                .unwrap(),
            "InstallVerificationFailed"
        );
    }

    #[test]
    fn the_allowed_downgrade_installs() {
        let mut b = Bench::new(FirmwarePolicy {
            downgrade_to: Some("1.9.9".into()),
            ..Bench::policy("2.0.0")
        });
        b.call("SignedUpdateFirmware", signed(5));
        let job = download_job(&b.take_jobs());
        b.progress(job, JobProgress::SignatureVerified);
        b.take_jobs();
        b.progress(job, JobProgress::ImageVersion("1.9.9".into()));
        assert_eq!(b.take_jobs(), [FileJob::InstallFirmware { job }]);
    }

    #[test]
    fn a_second_firmware_request_cancels_the_first() {
        let mut b = Bench::new(FirmwarePolicy {
            require_signed: false,
            ..Bench::policy("1.0.0")
        });
        assert_eq!(
            b.call("SignedUpdateFirmware", signed(1))["status"],
            "Accepted"
        );
        let first = download_job(&b.take_jobs());
        b.progress(first, JobProgress::Downloading);
        assert_eq!(
            b.call("SignedUpdateFirmware", signed(2))["status"],
            "AcceptedCanceled"
        );
        let jobs = b.take_jobs();
        assert_eq!(jobs[0], FileJob::Cancel { job: first });
        let second = download_job(&jobs);
        // Reports of the canceled job change nothing.
        b.progress(first, JobProgress::SignatureVerified);
        assert!(b.take_jobs().is_empty());
        // A core UpdateFirmware (no status in its answer) follows the same rule.
        b.call("UpdateFirmware", unsigned());
        let jobs = b.take_jobs();
        assert_eq!(jobs[0], FileJob::Cancel { job: second });
        let third = download_job(&jobs);
        // While an image installs, nothing replaces it.
        b.progress(third, JobProgress::Downloaded);
        assert_eq!(b.take_jobs(), [FileJob::CheckImageVersion { job: third }]);
        b.progress(third, JobProgress::ImageVersion("1.0.1".into()));
        assert_eq!(b.take_jobs(), [FileJob::InstallFirmware { job: third }]);
        assert_eq!(
            b.call("SignedUpdateFirmware", signed(3))["status"],
            "Rejected"
        );
        b.call("UpdateFirmware", unsigned());
        assert!(b.take_jobs().is_empty());
    }

    #[test]
    fn one_log_upload_at_a_time_the_newest_wins() {
        let mut b = Bench::new(FirmwarePolicy::default());
        let get_log = |id: i64| {
            json!({"logType": "SecurityLog", "requestId": id,
                   "log": {"remoteLocation": "https://logs.example/up/"}})
        };
        assert_eq!(b.call("GetLog", get_log(1))["status"], "Accepted");
        let first = upload_job(&b.take_jobs());
        assert_eq!(b.call("GetLog", get_log(2))["status"], "AcceptedCanceled");
        let jobs = b.take_jobs();
        assert_eq!(jobs[0], FileJob::Cancel { job: first });
        let second = upload_job(&jobs);

        // GetDiagnostics shares the slot: the running GetLog ends as UploadFailure.
        b.call(
            "GetDiagnostics",
            json!({"location": "https://logs.example/up/"}),
        );
        let jobs = b.take_jobs();
        assert_eq!(jobs[0], FileJob::Cancel { job: second });
        let diagnostics = upload_job(&jobs);
        let failures: Vec<_> = b
            .sent
            .iter()
            .filter(|f| f[2] == "LogStatusNotification")
            .map(|f| (f[3]["status"].clone(), f[3]["requestId"].clone()))
            .collect();
        assert_eq!(failures, [(json!("UploadFailure"), json!(2))]);

        // And a GetLog cancels a running GetDiagnostics, which ends as UploadFailed.
        assert_eq!(b.call("GetLog", get_log(3))["status"], "AcceptedCanceled");
        assert_eq!(b.take_jobs()[0], FileJob::Cancel { job: diagnostics });
        assert_eq!(
            b.statuses("DiagnosticsStatusNotification"),
            ["UploadFailed"]
        );
        // A second GetDiagnostics replaces the first without a failure of its own.
        b.call(
            "GetDiagnostics",
            json!({"location": "https://logs.example/up/"}),
        );
        let d1 = upload_job(&b.take_jobs()[1..]);
        b.call(
            "GetDiagnostics",
            json!({"location": "https://logs.example/up/"}),
        );
        assert_eq!(b.take_jobs()[0], FileJob::Cancel { job: d1 });
        assert_eq!(
            b.statuses("DiagnosticsStatusNotification"),
            ["UploadFailed"]
        );
    }
}
