//! The `[ocpp]` configuration section, its validation, and loading the secrets and certificates
//! it names.
//!
//! Secrets never live in the TOML: the AuthorizationKey (HTTP Basic password of security
//! profiles 1 and 2) is read from `authorization_key_file`, the client key of profile 3 from
//! `client_key`. Both are wrapped in types whose `Debug` prints `[redacted]`.
//!
//! The AuthorizationKey is what the 1.6 security whitepaper (edition 3, and OCTT's basic-auth
//! test case) makes it: written as 32 to 40 hexadecimal characters (an even number), in the
//! file as in ChangeConfiguration; the Basic-auth password is the decoded 16 to 20 bytes, not
//! the text.
//!
//! [`OcppSection::validate`] is pure (like `Config::validate`) and names the offending key;
//! [`OcppSection::load_credentials`] reads the files and names the key whose file is wrong.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::ocpp::OcppVersion;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio_tungstenite::tungstenite::http::Uri;

use super::backoff::BackoffPolicy;
use super::chargepoint::FirmwareVersion;

/// The section's name in chargerd's configuration; keys in errors are prefixed with it.
pub const SECTION: &str = "ocpp";

/// OCPP 1.6 limits the charge point identity (chargeBoxIdentity) to 20 characters.
pub const MAX_CHARGE_POINT_ID_LEN: usize = 20;
/// The security whitepaper's bounds on the AuthorizationKey, in bytes once decoded.
pub const AUTHORIZATION_KEY_LEN: std::ops::RangeInclusive<usize> = 16..=20;
/// ...and in hexadecimal characters, as it is written (an even number of them).
pub const AUTHORIZATION_KEY_HEX_LEN: std::ops::RangeInclusive<usize> = 32..=40;

/// A connection up this long resets the reconnect backoff.
pub const BACKOFF_STABLE_AFTER: Duration = Duration::from_secs(60);

/// The security profiles of the OCPP 1.6 Security Whitepaper (and OCPP 2.0.1 Part 2, A00).
/// Ordered: a profile may only ever be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum SecurityProfile {
    /// 0: no authentication; `ws://` allowed. For test benches and closed networks.
    Unsecured,
    /// 1: HTTP Basic authentication with the AuthorizationKey, over `ws://` (or `wss://`).
    BasicAuth,
    /// 2: TLS with server authentication, plus HTTP Basic authentication. `wss://` only.
    TlsBasicAuth,
    /// 3: TLS with client certificate authentication; no password. `wss://` only.
    TlsClientCertificate,
}

impl SecurityProfile {
    pub const fn as_u8(self) -> u8 {
        match self {
            SecurityProfile::Unsecured => 0,
            SecurityProfile::BasicAuth => 1,
            SecurityProfile::TlsBasicAuth => 2,
            SecurityProfile::TlsClientCertificate => 3,
        }
    }

    /// Profiles 2 and 3 run over TLS only.
    pub const fn requires_tls(self) -> bool {
        matches!(
            self,
            SecurityProfile::TlsBasicAuth | SecurityProfile::TlsClientCertificate
        )
    }

    /// Profiles 1 and 2 send `Authorization: Basic`.
    pub const fn uses_basic_auth(self) -> bool {
        matches!(
            self,
            SecurityProfile::BasicAuth | SecurityProfile::TlsBasicAuth
        )
    }

    /// Profile 3 presents a client certificate.
    pub const fn uses_client_certificate(self) -> bool {
        matches!(self, SecurityProfile::TlsClientCertificate)
    }
}

impl TryFrom<u8> for SecurityProfile {
    type Error = String;

    fn try_from(v: u8) -> Result<Self, Self::Error> {
        match v {
            0 => Ok(SecurityProfile::Unsecured),
            1 => Ok(SecurityProfile::BasicAuth),
            2 => Ok(SecurityProfile::TlsBasicAuth),
            3 => Ok(SecurityProfile::TlsClientCertificate),
            _ => Err(format!("security profile {v} does not exist (0 to 3)")),
        }
    }
}

impl From<SecurityProfile> for u8 {
    fn from(p: SecurityProfile) -> u8 {
        p.as_u8()
    }
}

impl fmt::Display for SecurityProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_u8())
    }
}

/// `ocpp.version`: the OCPP version the charge point speaks, or `auto`: offer both
/// (`ocpp2.0.1, ocpp1.6`) and speak whichever the CSMS selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OcppVersionSetting {
    #[serde(rename = "1.6")]
    V16,
    #[serde(rename = "2.0.1")]
    V201,
    #[serde(rename = "auto")]
    Auto,
}

impl OcppVersionSetting {
    /// The subprotocols to offer, newest first.
    pub fn offered(self) -> Vec<OcppVersion> {
        match self {
            OcppVersionSetting::V16 => vec![OcppVersion::V16],
            OcppVersionSetting::V201 => vec![OcppVersion::V201],
            OcppVersionSetting::Auto => vec![OcppVersion::V201, OcppVersion::V16],
        }
    }
}

/// `[ocpp]`: how to reach the CSMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcppSection {
    /// The CSMS endpoint, `ws://host[:port][/path]` or `wss://…`; the charge point identity is
    /// appended as the last path segment.
    pub csms_url: String,
    /// The charge point identity (1.6 chargeBoxIdentity): 1 to 20 of `A-Z a-z 0-9 * - _ = + | @ .`
    /// (OCPP's identifierString without `:`, which HTTP Basic forbids in a user name).
    /// Percent-encoded in the URL where needed.
    pub charge_point_id: String,
    #[serde(default = "default_version")]
    pub version: OcppVersionSetting,
    /// 0 to 3; see [`SecurityProfile`]. A CSMS may raise it at run time, never lower it.
    #[serde(default = "default_security_profile")]
    pub security_profile: SecurityProfile,
    /// A file holding the AuthorizationKey: 32 to 40 hexadecimal characters (an even number),
    /// the password being the bytes they encode; one trailing newline is ignored. Required for
    /// profiles 1 and 2. Keep it readable by the service only.
    #[serde(default)]
    pub authorization_key_file: Option<PathBuf>,
    /// PEM file of the CA certificates the CSMS's certificate must chain to; the only trust
    /// anchors used (no system or built-in roots). Required for `wss://`.
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
    /// PEM file of the charge point's certificate (leaf first, then intermediates). Profile 3.
    #[serde(default)]
    pub client_certificate: Option<PathBuf>,
    /// PEM file of the client certificate's private key (PKCS#8, SEC1 or PKCS#1). Profile 3.
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Wait before the first reconnect attempt, in seconds (before jitter).
    #[serde(default = "default_backoff_min_s")]
    pub retry_backoff_min_s: u64,
    /// Ceiling of the doubling wait, in seconds (before jitter).
    #[serde(default = "default_backoff_max_s")]
    pub retry_backoff_max_s: u64,
    /// Up to this many seconds of random delay are added to each wait.
    #[serde(default = "default_backoff_random_range_s")]
    pub retry_backoff_random_range_s: u64,
    /// WebSocket ping period in seconds; no pong within one period means reconnect. 0: off.
    #[serde(default = "default_ping_interval_s")]
    pub websocket_ping_interval_s: u64,
    /// How long a CALL of ours waits for its answer, in seconds.
    #[serde(default = "default_call_timeout_s")]
    pub call_timeout_s: u64,
    /// Largest WebSocket message accepted, in bytes.
    #[serde(default = "default_max_frame_bytes")]
    pub max_frame_bytes: usize,
    /// Firmware updates, diagnostics, logs and certificates. Defaults suit the simulator.
    #[serde(default)]
    pub files: FilesSection,
    /// What firmware the charge point accepts and how long an install may take.
    #[serde(default)]
    pub firmware: FirmwareSection,
}

/// `[ocpp.files]`: where the Firmware Management and security features keep and find files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSection {
    /// Working directory for downloads, archives, installed certificates and keys given by
    /// the CSMS. Default: `ocpp-files` next to the journal.
    #[serde(default)]
    pub work_dir: Option<PathBuf>,
    /// Program that installs a firmware image, run as `<program> <image file>`; exit status 0
    /// means installed (killed after `firmware.install_timeout_s`). Asked
    /// `<program> --image-version <image file>`, it prints the image's version (anti-rollback,
    /// see [`FirmwareSection`]). Without it, no firmware is installed.
    #[serde(default)]
    pub firmware_install_command: Option<PathBuf>,
    /// PEM file of manufacturer root certificates that firmware signing certificates must
    /// chain to: the firmware trust anchors (ManufacturerRootCertificates the CSMS installs
    /// count only with `firmware.trust_csms_manufacturer_roots`). Keep it owned by root and
    /// read-only to the service.
    #[serde(default)]
    pub firmware_signing_roots: Option<PathBuf>,
    /// Log files added to diagnostics archives.
    #[serde(default)]
    pub diagnostics_files: Vec<PathBuf>,
    /// Most bytes (before compression) a diagnostics or log archive collects; what does not
    /// fit is cut (log files keep their newest end) with a note in the archive.
    #[serde(default = "default_max_archive_input_bytes")]
    pub max_archive_input_bytes: u64,
    /// systemd unit whose journal (`journalctl -u`) goes into diagnostics archives; empty for
    /// none.
    #[serde(default = "default_systemd_unit")]
    pub systemd_unit: String,
    /// CA certificates (PEM) for HTTPS downloads and uploads. Default: `ocpp.ca_bundle`.
    #[serde(default)]
    pub transfer_ca_bundle: Option<PathBuf>,
    /// How files are uploaded over HTTP(S): `post` (multipart/form-data, field `file`) or
    /// `put` (the raw archive).
    #[serde(default)]
    pub upload_method: UploadMethodSetting,
    /// Which CA certificates TLS transfers trust: `bundle` (`transfer_ca_bundle`, else
    /// `ocpp.ca_bundle`) or `system` (the operating system's bundle,
    /// /etc/ssl/certs/ca-certificates.crt, for file servers with public certificates).
    #[serde(default)]
    pub transfer_trust: TransferTrust,
    /// Uploads (diagnostics, logs) over plain `http://` and `ftp://`. Off: TLS only
    /// (`https://`, `ftps://`). Refused with security profile 2 or 3, from the configuration
    /// and at run time once the CSMS raised the profile.
    #[serde(default)]
    pub allow_insecure_transfers: bool,
    /// Transfers to hosts that resolve to loopback, link-local, unspecified, multicast or
    /// broadcast addresses or to the board's own addresses. Off: refused (a CSMS must not make
    /// the board talk to its own services). Test benches with local file servers turn it on.
    #[serde(default)]
    pub allow_local_transfer_hosts: bool,
    /// Longest one download or upload attempt may take, connection and redirects included
    /// (the next retry, if any, starts after it). Bounds how long a slow or hostile file
    /// server can hold the one firmware or log transfer. 60 s to 24 h; default 30 min (a
    /// 1 GiB image then needs about 600 kB/s: raise it on slow links).
    #[serde(default = "default_transfer_attempt_timeout_s")]
    pub transfer_attempt_timeout_s: u64,
}

/// `ocpp.files.transfer_trust`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferTrust {
    #[default]
    Bundle,
    System,
}

impl FilesSection {
    /// Whether uploads may go over plain http/ftp under `profile` (the profile in force, which
    /// the CSMS may have raised since start-up).
    pub fn insecure_uploads_allowed(&self, profile: SecurityProfile) -> bool {
        self.allow_insecure_transfers && !profile.requires_tls()
    }

    /// `transfer_attempt_timeout_s` (validated to [`TRANSFER_ATTEMPT_TIMEOUT_RANGE_S`]).
    pub fn transfer_attempt_timeout(&self) -> Duration {
        Duration::from_secs(self.transfer_attempt_timeout_s)
    }
}

impl Default for FilesSection {
    fn default() -> FilesSection {
        FilesSection {
            work_dir: None,
            firmware_install_command: None,
            firmware_signing_roots: None,
            diagnostics_files: Vec::new(),
            max_archive_input_bytes: default_max_archive_input_bytes(),
            // Without an [ocpp.files] table no journal is captured (as before this impl).
            systemd_unit: String::new(),
            transfer_ca_bundle: None,
            transfer_trust: TransferTrust::default(),
            upload_method: UploadMethodSetting::default(),
            allow_insecure_transfers: false,
            allow_local_transfer_hosts: false,
            transfer_attempt_timeout_s: default_transfer_attempt_timeout_s(),
        }
    }
}

fn default_systemd_unit() -> String {
    "chargerd".into()
}

fn default_max_archive_input_bytes() -> u64 {
    256 * 1024 * 1024
}

fn default_transfer_attempt_timeout_s() -> u64 {
    30 * 60
}

/// `[ocpp.firmware]`: the firmware trust policy (the install command and the configured roots
/// are in `[ocpp.files]`).
///
/// A firmware image is installed only if (1) it came with a SignedUpdateFirmware whose signing
/// certificate chains to a root from local configuration (`files.firmware_signing_roots`), or
/// to a ManufacturerRootCertificate the CSMS installed when `trust_csms_manufacturer_roots` is
/// set, unless `require_signed` is off; and (2) its version, as the install command tells it
/// (`<command> --image-version <image>`), is not older than `running_version`, unless it is
/// exactly `downgrade_to`. None of this can be changed by the CSMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareSection {
    /// Refuse a plain UpdateFirmware (no signature): it is not downloaded, the CSMS gets
    /// FirmwareStatusNotification InstallationFailed and an InvalidFirmwareSignature event.
    #[serde(default = "default_true")]
    pub require_signed: bool,
    /// Also trust ManufacturerRootCertificates installed with InstallCertificate. Off: such
    /// an InstallCertificate is Rejected (with a security event) and roots the CSMS installed
    /// earlier are ignored for firmware.
    #[serde(default)]
    pub trust_csms_manufacturer_roots: bool,
    /// The version now running, which an image must not be older than. Default: chargerd's
    /// own version (the one BootNotification reports).
    #[serde(default)]
    pub running_version: Option<String>,
    /// The one older version an operator allows on purpose (a deliberate downgrade); remove it
    /// once done. Never settable by the CSMS.
    #[serde(default)]
    pub downgrade_to: Option<String>,
    /// A download larger than this fails while it streams, and the partial file is deleted.
    #[serde(default = "default_max_image_bytes")]
    pub max_image_bytes: u64,
    /// The install command is killed (its whole process group) after this long, and the
    /// update reported InstallationFailed.
    #[serde(default = "default_install_timeout_s")]
    pub install_timeout_s: u64,
}

impl Default for FirmwareSection {
    fn default() -> FirmwareSection {
        FirmwareSection {
            require_signed: true,
            trust_csms_manufacturer_roots: false,
            running_version: None,
            downgrade_to: None,
            max_image_bytes: default_max_image_bytes(),
            install_timeout_s: default_install_timeout_s(),
        }
    }
}

impl FirmwareSection {
    pub fn install_timeout(&self) -> Duration {
        Duration::from_secs(self.install_timeout_s)
    }
}

fn default_true() -> bool {
    true
}
fn default_max_image_bytes() -> u64 {
    1024 * 1024 * 1024
}
fn default_install_timeout_s() -> u64 {
    30 * 60
}

/// Bounds of `firmware.max_image_bytes`: 1 MiB to 4 GiB.
pub const IMAGE_BYTES_RANGE: std::ops::RangeInclusive<u64> = (1 << 20)..=(4 << 30);
/// Bounds of `firmware.install_timeout_s`: 1 s to 6 h.
pub const INSTALL_TIMEOUT_RANGE_S: std::ops::RangeInclusive<u64> = 1..=6 * 3600;
/// Bounds of `files.transfer_attempt_timeout_s`: 60 s (the idle timeout of one read) to 24 h.
pub const TRANSFER_ATTEMPT_TIMEOUT_RANGE_S: std::ops::RangeInclusive<u64> = 60..=24 * 3600;
/// Bounds of `files.max_archive_input_bytes`: 64 KiB to 4 GiB.
pub const ARCHIVE_INPUT_BYTES_RANGE: std::ops::RangeInclusive<u64> = (64 << 10)..=(4 << 30);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadMethodSetting {
    #[default]
    Post,
    Put,
}

fn default_version() -> OcppVersionSetting {
    OcppVersionSetting::V16
}
fn default_security_profile() -> SecurityProfile {
    SecurityProfile::Unsecured
}
fn default_backoff_min_s() -> u64 {
    3
}
fn default_backoff_max_s() -> u64 {
    120
}
fn default_backoff_random_range_s() -> u64 {
    10
}
fn default_ping_interval_s() -> u64 {
    30
}
fn default_call_timeout_s() -> u64 {
    30
}
fn default_max_frame_bytes() -> usize {
    256 * 1024
}

/// Smallest `max_frame_bytes`: a BootNotification with every optional field fits easily.
const MIN_FRAME_BYTES: usize = 4 * 1024;
/// Largest `max_frame_bytes`: a bound on what one peer message may make us allocate.
const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// A setting that is wrong, with its key (`ocpp.…`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("key `{key}`: {reason}")]
pub struct SettingsError {
    pub key: String,
    pub reason: String,
}

impl SettingsError {
    fn new(field: &str, reason: impl Into<String>) -> SettingsError {
        SettingsError {
            key: format!("{SECTION}.{field}"),
            reason: reason.into(),
        }
    }
}

/// The AuthorizationKey: the bytes that are the Basic-auth password. Its `Debug` does not show
/// it, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationKey(Vec<u8>);

impl AuthorizationKey {
    /// Checks the whitepaper's length bounds (16 to 20 bytes).
    pub fn new(bytes: Vec<u8>) -> Result<AuthorizationKey, String> {
        if !AUTHORIZATION_KEY_LEN.contains(&bytes.len()) {
            return Err(format!(
                "the AuthorizationKey must be {} to {} bytes, this one has {}",
                AUTHORIZATION_KEY_LEN.start(),
                AUTHORIZATION_KEY_LEN.end(),
                bytes.len()
            ));
        }
        Ok(AuthorizationKey(bytes))
    }

    /// The key as written (ChangeConfiguration, the key file): 32 to 40 hexadecimal
    /// characters, an even number. Errors never repeat the text.
    pub fn from_hex(text: &str) -> Result<AuthorizationKey, String> {
        let len = text.len();
        if !AUTHORIZATION_KEY_HEX_LEN.contains(&len) || len % 2 != 0 {
            return Err(format!(
                "the AuthorizationKey must be {} to {} hexadecimal characters, an even number; \
                 this one has {len} characters",
                AUTHORIZATION_KEY_HEX_LEN.start(),
                AUTHORIZATION_KEY_HEX_LEN.end(),
            ));
        }
        let digit = |c: u8| char::from(c).to_digit(16);
        let bytes = text
            .as_bytes()
            .chunks(2)
            .map(|pair| match pair {
                [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
                _ => None,
            })
            .map(|b| b.and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| "the AuthorizationKey must be hexadecimal (0-9, a-f)".to_string())?;
        AuthorizationKey::new(bytes)
    }

    /// The written form (lowercase hexadecimal), for the key file.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AuthorizationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationKey([redacted])")
    }
}

/// The charge point's certificate chain and private key (profile 3).
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        ClientIdentity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

/// What the files named by the section hold.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub authorization_key: Option<AuthorizationKey>,
    /// The key the current one replaced, kept (second line of the key file) until a
    /// connection with the new one succeeds: the link falls back to it once if the CSMS
    /// refuses the new key.
    pub previous_authorization_key: Option<AuthorizationKey>,
    /// Trust anchors for the CSMS's certificate; empty without `ca_bundle`.
    pub ca_certificates: Vec<CertificateDer<'static>>,
    pub client_identity: Option<ClientIdentity>,
}

/// The parts of a `ws://` / `wss://` URL the link needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsmsUrl {
    pub tls: bool,
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// `host[:port]` as written, for the `Host` header.
    pub authority: String,
    /// The base path without a trailing `/` (possibly empty).
    pub base_path: String,
}

impl CsmsUrl {
    pub fn parse(url: &str) -> Result<CsmsUrl, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("not a valid URL ({e}): {url}"))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err("must start with ws:// or wss://".into()),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| "has no host".to_string())?
            .as_str()
            .to_string();
        if authority.contains('@') {
            return Err(
                "must not contain credentials (the key belongs in authorization_key_file)".into(),
            );
        }
        if uri.query().is_some() {
            return Err(
                "must not have a query: the charge point identity is appended to the path".into(),
            );
        }
        let host = uri
            .host()
            .ok_or_else(|| "has no host".to_string())?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err("has no host".into());
        }
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let base_path = uri.path().trim_end_matches('/').to_string();
        Ok(CsmsUrl {
            tls,
            host,
            port,
            authority,
            base_path,
        })
    }

    /// The request target for `charge_point_id`: `<base path>/<percent-encoded id>`.
    pub fn path_for(&self, charge_point_id: &str) -> String {
        format!("{}/{}", self.base_path, percent_encode(charge_point_id))
    }

    /// The full URL for `charge_point_id`, for logs and events (no secret in it).
    pub fn url_for(&self, charge_point_id: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!(
            "{scheme}://{}{}",
            self.authority,
            self.path_for(charge_point_id)
        )
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Characters allowed in the identity: OCPP identifierString minus `:`.
fn identity_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '=' | '+' | '|' | '@' | '.')
}

impl OcppSection {
    /// Checks serde cannot express. Returns the offending key (`ocpp.…`) and why.
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.check().map_err(|e| (e.key, e.reason))
    }

    fn check(&self) -> Result<(), SettingsError> {
        let bad = |field: &str, reason: &str| Err(SettingsError::new(field, reason));
        let url = CsmsUrl::parse(&self.csms_url).map_err(|r| SettingsError::new("csms_url", r))?;
        let id = &self.charge_point_id;
        if id.is_empty() || id.chars().count() > MAX_CHARGE_POINT_ID_LEN {
            return bad(
                "charge_point_id",
                "must have 1 to 20 characters (OCPP 1.6 chargeBoxIdentity)",
            );
        }
        if let Some(c) = id.chars().find(|c| !identity_char_ok(*c)) {
            return bad(
                "charge_point_id",
                &format!("character {c:?} is not allowed (use A-Z a-z 0-9 * - _ = + | @ .)"),
            );
        }
        let profile = self.security_profile;
        if profile.requires_tls() && !url.tls {
            return bad(
                "csms_url",
                &format!("security profile {profile} needs a wss:// URL"),
            );
        }
        if profile.uses_basic_auth() && self.authorization_key_file.is_none() {
            return bad(
                "authorization_key_file",
                &format!(
                    "security profile {profile} needs the AuthorizationKey (HTTP Basic password)"
                ),
            );
        }
        if url.tls && self.ca_bundle.is_none() {
            return bad(
                "ca_bundle",
                "a wss:// URL needs the CA certificates the CSMS's certificate is checked against",
            );
        }
        match (&self.client_certificate, &self.client_key) {
            (Some(_), None) => {
                return bad("client_key", "client_certificate is set without its key")
            }
            (None, Some(_)) => {
                return bad(
                    "client_certificate",
                    "client_key is set without its certificate",
                )
            }
            (None, None) if profile.uses_client_certificate() => {
                return bad(
                    "client_certificate",
                    "security profile 3 needs client_certificate and client_key",
                )
            }
            _ => {}
        }
        if self.retry_backoff_min_s == 0 {
            return bad("retry_backoff_min_s", "must be at least 1 s");
        }
        if self.retry_backoff_max_s < self.retry_backoff_min_s {
            return bad("retry_backoff_max_s", "must be ≥ retry_backoff_min_s");
        }
        if self.retry_backoff_max_s > 86_400 || self.retry_backoff_random_range_s > 86_400 {
            return bad(
                "retry_backoff_max_s",
                "retry_backoff_max_s and retry_backoff_random_range_s must be at most a day",
            );
        }
        if self.websocket_ping_interval_s > 86_400 {
            return bad(
                "websocket_ping_interval_s",
                "must be at most a day (0 turns pings off)",
            );
        }
        if self.call_timeout_s == 0 || self.call_timeout_s > 3600 {
            return bad("call_timeout_s", "must be between 1 and 3600 s");
        }
        if self.files.allow_insecure_transfers && profile.requires_tls() {
            return bad(
                "files.allow_insecure_transfers",
                &format!(
                    "security profile {profile} runs over TLS only: uploads over plain http/ftp \
                     are not allowed with it"
                ),
            );
        }
        if self.files.transfer_trust == TransferTrust::System
            && self.files.transfer_ca_bundle.is_some()
        {
            return bad(
                "files.transfer_trust",
                "\"system\" trusts the operating system's roots: remove transfer_ca_bundle, or \
                 use \"bundle\"",
            );
        }
        if !(MIN_FRAME_BYTES..=MAX_FRAME_BYTES).contains(&self.max_frame_bytes) {
            return bad(
                "max_frame_bytes",
                &format!("must be between {MIN_FRAME_BYTES} and {MAX_FRAME_BYTES} bytes"),
            );
        }
        let range = |r: &std::ops::RangeInclusive<u64>| format!("{} to {}", r.start(), r.end());
        if !ARCHIVE_INPUT_BYTES_RANGE.contains(&self.files.max_archive_input_bytes) {
            return bad(
                "files.max_archive_input_bytes",
                &format!("must be {} bytes", range(&ARCHIVE_INPUT_BYTES_RANGE)),
            );
        }
        if !TRANSFER_ATTEMPT_TIMEOUT_RANGE_S.contains(&self.files.transfer_attempt_timeout_s) {
            return bad(
                "files.transfer_attempt_timeout_s",
                &format!("must be {} s", range(&TRANSFER_ATTEMPT_TIMEOUT_RANGE_S)),
            );
        }
        let fw = &self.firmware;
        if !IMAGE_BYTES_RANGE.contains(&fw.max_image_bytes) {
            return bad(
                "firmware.max_image_bytes",
                &format!("must be {} bytes", range(&IMAGE_BYTES_RANGE)),
            );
        }
        if !INSTALL_TIMEOUT_RANGE_S.contains(&fw.install_timeout_s) {
            return bad(
                "firmware.install_timeout_s",
                &format!("must be {} s", range(&INSTALL_TIMEOUT_RANGE_S)),
            );
        }
        for (key, version) in [
            ("firmware.running_version", &fw.running_version),
            ("firmware.downgrade_to", &fw.downgrade_to),
        ] {
            if let Some(v) = version {
                if let Err(why) = FirmwareVersion::parse(v) {
                    return bad(key, &why);
                }
            }
        }
        Ok(())
    }

    /// The parsed CSMS URL (validated by [`validate`](Self::validate)).
    pub fn csms(&self) -> Result<CsmsUrl, SettingsError> {
        CsmsUrl::parse(&self.csms_url).map_err(|r| SettingsError::new("csms_url", r))
    }

    /// The subprotocols the link offers, in order of preference.
    pub fn ocpp_versions(&self) -> Vec<OcppVersion> {
        self.version.offered()
    }

    pub fn backoff_policy(&self) -> BackoffPolicy {
        BackoffPolicy {
            minimum: Duration::from_secs(self.retry_backoff_min_s),
            maximum: Duration::from_secs(self.retry_backoff_max_s),
            random_range: Duration::from_secs(self.retry_backoff_random_range_s),
            stable_after: BACKOFF_STABLE_AFTER,
        }
    }

    /// `None` when pings are off.
    pub fn ping_interval(&self) -> Option<Duration> {
        (self.websocket_ping_interval_s > 0)
            .then(|| Duration::from_secs(self.websocket_ping_interval_s))
    }

    /// The RPC endpoint's settings for a connection of this link, with a fresh id seed.
    pub fn rpc_config(&self, id_seed: u64) -> charger_protocol::ocpp::RpcConfig {
        charger_protocol::ocpp::RpcConfig {
            call_timeout: Duration::from_secs(self.call_timeout_s),
            max_frame_bytes: self.max_frame_bytes,
            id_seed,
            ..charger_protocol::ocpp::RpcConfig::default()
        }
    }

    /// Reads the key, the CA bundle and the client identity the section names. Every file that
    /// is named is read (so a profile can be raised later); errors name the key.
    pub fn load_credentials(&self) -> Result<Credentials, SettingsError> {
        let mut creds = Credentials::default();
        if let Some(path) = &self.authorization_key_file {
            let keys = read_authorization_key(path)
                .map_err(|r| SettingsError::new("authorization_key_file", r))?;
            creds.authorization_key = Some(keys.current);
            creds.previous_authorization_key = keys.previous;
        }
        if let Some(path) = &self.ca_bundle {
            creds.ca_certificates =
                read_certificates(path).map_err(|r| SettingsError::new("ca_bundle", r))?;
        }
        if let (Some(cert), Some(key)) = (&self.client_certificate, &self.client_key) {
            let chain =
                read_certificates(cert).map_err(|r| SettingsError::new("client_certificate", r))?;
            warn_if_readable_by_others(key);
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                SettingsError::new(
                    "client_key",
                    format!("{}: no usable private key: {e}", key.display()),
                )
            })?;
            creds.client_identity = Some(ClientIdentity { chain, key });
        }
        Ok(creds)
    }
}

/// What a key file holds: the key, and after a rotation the key it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationKeys {
    pub current: AuthorizationKey,
    pub previous: Option<AuthorizationKey>,
}

impl AuthorizationKeys {
    /// The file's text: the key on the first line, the previous one (if kept) on the second.
    pub fn to_file_text(&self) -> String {
        match &self.previous {
            Some(previous) => format!("{}\n{}\n", self.current.to_hex(), previous.to_hex()),
            None => format!("{}\n", self.current.to_hex()),
        }
    }

    /// Parses a key file's text (see [`AuthorizationKeys::to_file_text`]; `\r\n` and a missing
    /// final newline are fine).
    pub fn parse(text: &str) -> Result<AuthorizationKeys, String> {
        let mut lines = text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l));
        let current = AuthorizationKey::from_hex(lines.next().unwrap_or(""))?;
        let previous = match lines.next() {
            None | Some("") => None,
            Some(line) => {
                Some(AuthorizationKey::from_hex(line).map_err(|r| format!("second line: {r}"))?)
            }
        };
        if lines.any(|l| !l.is_empty()) {
            return Err("more than two lines".into());
        }
        Ok(AuthorizationKeys { current, previous })
    }
}

/// Largest key file read (two keys and their newlines, with room to spare).
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// Reads a key file (see [`AuthorizationKeys::to_file_text`]); errors name the file, never its
/// content.
///
/// Opened with `O_NOFOLLOW` ([`crate::files::read_private`]): a secret is never read
/// through a symlink someone planted (point the setting at the file itself, e.g. systemd's
/// `$CREDENTIALS_DIRECTORY/…`).
pub fn read_authorization_key(path: &Path) -> Result<AuthorizationKeys, String> {
    let bytes = crate::files::read_private(path, MAX_KEY_FILE_BYTES).map_err(|e| {
        // The refusals of crate::files name the path already; the system's errors do not.
        let text = e.to_string();
        if text.contains(&path.display().to_string()) {
            text
        } else {
            format!("{}: {text}", path.display())
        }
    })?;
    warn_if_readable_by_others(path);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        format!(
            "{}: the AuthorizationKey must be hexadecimal",
            path.display()
        )
    })?;
    AuthorizationKeys::parse(text).map_err(|r| format!("{}: {r}", path.display()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        // Group too: technicians are in the service's group (SECURITY.md), and with the key
        // they could pose as the charger to the CSMS.
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "a secret key file is readable by its group or others; make it 0600, owned by the service"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no CERTIFICATE in it", path.display()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> OcppSection {
        OcppSection {
            csms_url: "ws://csms.example.com:9000/ocpp".into(),
            charge_point_id: "TRUCK-HUB-7".into(),
            version: OcppVersionSetting::V16,
            security_profile: SecurityProfile::Unsecured,
            authorization_key_file: None,
            ca_bundle: None,
            client_certificate: None,
            client_key: None,
            retry_backoff_min_s: 3,
            retry_backoff_max_s: 120,
            retry_backoff_random_range_s: 10,
            websocket_ping_interval_s: 30,
            call_timeout_s: 30,
            max_frame_bytes: 65536,
            files: FilesSection::default(),
            firmware: FirmwareSection::default(),
        }
    }

    fn key_of(s: &OcppSection) -> String {
        s.validate().unwrap_err().0
    }

    #[test]
    fn toml_with_defaults() {
        #[derive(Deserialize)]
        struct Doc {
            ocpp: OcppSection,
        }
        let doc: Doc = toml_de(
            "[ocpp]\ncsms_url = \"wss://csms/ocpp\"\ncharge_point_id = \"CP1\"\nsecurity_profile = 2\n\
             authorization_key_file = \"/etc/chargerd/ocpp.key\"\nca_bundle = \"/etc/chargerd/ca.pem\"\n",
        );
        let s = doc.ocpp;
        assert_eq!(s.security_profile, SecurityProfile::TlsBasicAuth);
        assert_eq!(s.version, OcppVersionSetting::V16);
        assert_eq!(s.websocket_ping_interval_s, 30);
        s.validate().unwrap();
    }

    fn toml_de<T: serde::de::DeserializeOwned>(text: &str) -> T {
        config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap()
    }

    #[test]
    fn unknown_keys_and_bad_profiles_are_refused_by_serde() {
        let r: Result<OcppSection, _> = serde_json::from_str(
            r#"{"csms_url":"ws://x","charge_point_id":"a","authorization_key":"secret"}"#,
        );
        assert!(r.unwrap_err().to_string().contains("authorization_key"));
        let r: Result<OcppSection, _> = serde_json::from_str(
            r#"{"csms_url":"ws://x","charge_point_id":"a","security_profile":4}"#,
        );
        assert!(r.unwrap_err().to_string().contains("0 to 3"));
        let r: Result<OcppSection, _> =
            serde_json::from_str(r#"{"csms_url":"ws://x","charge_point_id":"a","version":"2.0"}"#);
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("1.6") && e.contains("2.0.1") && e.contains("auto"),
            "{e}"
        );
        for (text, offered) in [
            ("1.6", vec![OcppVersion::V16]),
            ("2.0.1", vec![OcppVersion::V201]),
            ("auto", vec![OcppVersion::V201, OcppVersion::V16]),
        ] {
            let s: OcppSection = serde_json::from_str(&format!(
                r#"{{"csms_url":"ws://x","charge_point_id":"a","version":"{text}"}}"#
            ))
            .unwrap();
            assert_eq!(s.ocpp_versions(), offered, "{text}");
        }
    }

    #[test]
    fn url_must_be_websocket_without_credentials_or_query() {
        for url in [
            "http://csms/ocpp",
            "csms/ocpp",
            "ws://user:pw@csms/ocpp",
            "ws://csms/ocpp?x=1",
        ] {
            let s = OcppSection {
                csms_url: url.into(),
                ..section()
            };
            assert_eq!(key_of(&s), "ocpp.csms_url", "{url}");
        }
    }

    #[test]
    fn identity_length_and_characters() {
        let with_id = |id: &str| OcppSection {
            charge_point_id: id.into(),
            ..section()
        };
        assert_eq!(key_of(&with_id("")), "ocpp.charge_point_id");
        assert_eq!(
            key_of(&with_id("ABCDEFGHIJKLMNOPQRSTU")),
            "ocpp.charge_point_id"
        );
        with_id("ABCDEFGHIJKLMNOPQRST").validate().unwrap();
        assert_eq!(key_of(&with_id("CP:1")), "ocpp.charge_point_id");
        assert_eq!(key_of(&with_id("CP 1")), "ocpp.charge_point_id");
        assert_eq!(key_of(&with_id("CP/1")), "ocpp.charge_point_id");
        with_id("cp.1_a-b*c=d+e|f@g").validate().unwrap();
    }

    #[test]
    fn profiles_need_their_transport_and_secrets() {
        let p = |n: u8| SecurityProfile::try_from(n).unwrap();
        let s = OcppSection {
            security_profile: p(1),
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.authorization_key_file");
        let s = OcppSection {
            security_profile: p(2),
            authorization_key_file: Some("/k".into()),
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.csms_url");
        let s = OcppSection {
            csms_url: "wss://csms/ocpp".into(),
            security_profile: p(2),
            authorization_key_file: Some("/k".into()),
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.ca_bundle");
        let s = OcppSection {
            csms_url: "wss://csms/ocpp".into(),
            security_profile: p(3),
            ca_bundle: Some("/ca".into()),
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.client_certificate");
        let s = OcppSection {
            client_key: Some("/key".into()),
            ..s
        };
        assert_eq!(key_of(&s), "ocpp.client_certificate");
        let s = OcppSection {
            client_certificate: Some("/cert".into()),
            ..s
        };
        s.validate().unwrap();
    }

    #[test]
    fn numbers_are_bounded() {
        let s = OcppSection {
            retry_backoff_min_s: 0,
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.retry_backoff_min_s");
        let s = OcppSection {
            retry_backoff_max_s: 2,
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.retry_backoff_max_s");
        let s = OcppSection {
            call_timeout_s: 0,
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.call_timeout_s");
        let s = OcppSection {
            max_frame_bytes: 100,
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.max_frame_bytes");
        let s = OcppSection {
            websocket_ping_interval_s: 0,
            ..section()
        };
        s.validate().unwrap();
        assert_eq!(s.ping_interval(), None);
    }

    #[test]
    fn firmware_policy_defaults_to_signed_only_and_is_bounded() {
        #[derive(Deserialize)]
        struct Doc {
            ocpp: OcppSection,
        }
        let doc: Doc =
            toml_de("[ocpp]\ncsms_url = \"ws://csms/ocpp\"\ncharge_point_id = \"CP1\"\n");
        let fw = &doc.ocpp.firmware;
        assert!(fw.require_signed);
        assert!(!fw.trust_csms_manufacturer_roots);
        assert_eq!(fw.install_timeout(), Duration::from_secs(1800));
        assert_eq!(fw.max_image_bytes, 1 << 30);
        assert_eq!(doc.ocpp.files.max_archive_input_bytes, 256 << 20);
        assert_eq!(
            doc.ocpp.files.transfer_attempt_timeout(),
            Duration::from_secs(1800)
        );
        let doc: Doc = toml_de(
            "[ocpp]\ncsms_url = \"ws://csms/ocpp\"\ncharge_point_id = \"CP1\"\n\
             [ocpp.firmware]\nrequire_signed = false\ntrust_csms_manufacturer_roots = true\n\
             running_version = \"2.3.1\"\ndowngrade_to = \"2.2.0\"\ninstall_timeout_s = 5\n",
        );
        assert!(!doc.ocpp.firmware.require_signed);
        doc.ocpp.validate().unwrap();

        let with = |f: FirmwareSection| OcppSection {
            firmware: f,
            ..section()
        };
        let fw = FirmwareSection::default();
        for (bad, key) in [
            (
                FirmwareSection {
                    install_timeout_s: 0,
                    ..fw.clone()
                },
                "ocpp.firmware.install_timeout_s",
            ),
            (
                FirmwareSection {
                    install_timeout_s: 7 * 3600,
                    ..fw.clone()
                },
                "ocpp.firmware.install_timeout_s",
            ),
            (
                FirmwareSection {
                    max_image_bytes: 1000,
                    ..fw.clone()
                },
                "ocpp.firmware.max_image_bytes",
            ),
            (
                FirmwareSection {
                    downgrade_to: Some("yesterday".into()),
                    ..fw.clone()
                },
                "ocpp.firmware.downgrade_to",
            ),
            (
                FirmwareSection {
                    running_version: Some("".into()),
                    ..fw.clone()
                },
                "ocpp.firmware.running_version",
            ),
        ] {
            assert_eq!(key_of(&with(bad)), key);
        }
        let s = OcppSection {
            files: FilesSection {
                max_archive_input_bytes: 10,
                ..FilesSection::default()
            },
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.files.max_archive_input_bytes");
        for bad in [0, 59, 24 * 3600 + 1, u64::MAX] {
            let s = OcppSection {
                files: FilesSection {
                    transfer_attempt_timeout_s: bad,
                    ..FilesSection::default()
                },
                ..section()
            };
            assert_eq!(key_of(&s), "ocpp.files.transfer_attempt_timeout_s", "{bad}");
        }
        let doc: Doc = toml_de(
            "[ocpp]\ncsms_url = \"ws://csms/ocpp\"\ncharge_point_id = \"CP1\"\n\
             [ocpp.files]\ntransfer_attempt_timeout_s = 7200\n",
        );
        doc.ocpp.validate().unwrap();
        assert_eq!(
            doc.ocpp.files.transfer_attempt_timeout(),
            Duration::from_secs(7200)
        );
    }

    #[test]
    fn url_gets_the_encoded_identity_appended() {
        let u = CsmsUrl::parse("wss://csms.example.com/ocpp/v16/").unwrap();
        assert_eq!((u.tls, u.port), (true, 443));
        assert_eq!(u.path_for("CP|1@x"), "/ocpp/v16/CP%7C1%40x");
        assert_eq!(u.url_for("CP-1"), "wss://csms.example.com/ocpp/v16/CP-1");
        let u = CsmsUrl::parse("ws://127.0.0.1:9000").unwrap();
        assert_eq!(u.path_for("CP1"), "/CP1");
        assert_eq!(u.authority, "127.0.0.1:9000");
        let u = CsmsUrl::parse("ws://[::1]:9000/x").unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.url_for("A"), "ws://[::1]:9000/x/A");
    }

    #[test]
    fn authorization_key_file_is_hex_decoded_bounded_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, b"00112233445566778899aabbccddeeff\n").unwrap();
        let s = OcppSection {
            security_profile: SecurityProfile::BasicAuth,
            authorization_key_file: Some(path.clone()),
            ..section()
        };
        let creds = s.load_credentials().unwrap();
        let key = creds.authorization_key.unwrap();
        // The password is the 16 decoded bytes, not the 32 characters.
        assert_eq!(
            key.expose(),
            [
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        assert_eq!(key.to_hex(), "00112233445566778899aabbccddeeff");
        assert!(creds.previous_authorization_key.is_none());
        assert!(!format!("{key:?}").contains("0011"));
        // Printable text that is not hex (the old format), odd lengths, and lengths outside
        // 32-40 are refused, without repeating the file's content.
        for bad in [
            "0123456789abcdef-not-hex-at-all!".to_string(),
            "0".repeat(33),
            "0".repeat(30),
            "0".repeat(42),
        ] {
            std::fs::write(&path, format!("{bad}\n")).unwrap();
            let e = s.load_credentials().unwrap_err();
            assert_eq!(e.key, "ocpp.authorization_key_file");
            assert!(!e.reason.contains(&bad), "{e}");
        }
        // Never read through a symlink.
        let link = dir.path().join("link");
        std::fs::write(&path, "00112233445566778899aabbccddeeff\n").unwrap();
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let linked = OcppSection {
            authorization_key_file: Some(link),
            ..s.clone()
        };
        let e = linked.load_credentials().unwrap_err();
        assert!(e.reason.contains("symbolic link"), "{e}");
        // 40 characters (20 bytes), uppercase, and a previous key on the second line.
        let current = "A".repeat(40);
        std::fs::write(&path, format!("{current}\r\n{}\n", "01".repeat(16))).unwrap();
        let creds = s.load_credentials().unwrap();
        assert_eq!(creds.authorization_key.unwrap().expose(), [0xaa; 20]);
        assert_eq!(
            creds.previous_authorization_key.unwrap().expose(),
            [0x01; 16]
        );
    }

    #[test]
    fn key_files_round_trip_with_and_without_the_previous_key() {
        let keys = AuthorizationKeys {
            current: AuthorizationKey::from_hex(&"ab".repeat(20)).unwrap(),
            previous: Some(AuthorizationKey::from_hex(&"cd".repeat(16)).unwrap()),
        };
        assert_eq!(
            AuthorizationKeys::parse(&keys.to_file_text()).unwrap(),
            keys
        );
        let single = AuthorizationKeys {
            previous: None,
            ..keys.clone()
        };
        assert_eq!(single.to_file_text().lines().count(), 1);
        assert_eq!(
            AuthorizationKeys::parse(&single.to_file_text()).unwrap(),
            single
        );
        assert!(AuthorizationKeys::parse("").is_err());
        assert!(AuthorizationKeys::parse(&format!("{}\nxyz\n", "ab".repeat(16))).is_err());
    }

    #[test]
    fn insecure_transfers_are_refused_with_tls_profiles_and_system_trust_excludes_a_bundle() {
        let files = FilesSection {
            allow_insecure_transfers: true,
            ..FilesSection::default()
        };
        let s = OcppSection {
            csms_url: "wss://csms/ocpp".into(),
            security_profile: SecurityProfile::TlsBasicAuth,
            authorization_key_file: Some("/k".into()),
            ca_bundle: Some("/ca".into()),
            files: files.clone(),
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.files.allow_insecure_transfers");
        let s = OcppSection {
            security_profile: SecurityProfile::BasicAuth,
            ..s
        };
        s.validate().unwrap();
        // At run time, the profile in force decides (the CSMS may have raised it).
        assert!(files.insecure_uploads_allowed(SecurityProfile::BasicAuth));
        assert!(!files.insecure_uploads_allowed(SecurityProfile::TlsBasicAuth));
        assert!(!files.insecure_uploads_allowed(SecurityProfile::TlsClientCertificate));
        assert!(!FilesSection::default().insecure_uploads_allowed(SecurityProfile::Unsecured));
        let s = OcppSection {
            files: FilesSection {
                transfer_trust: TransferTrust::System,
                transfer_ca_bundle: Some("/files-ca.pem".into()),
                ..FilesSection::default()
            },
            ..section()
        };
        assert_eq!(key_of(&s), "ocpp.files.transfer_trust");
    }

    #[test]
    fn the_deployed_unit_example_uses_a_tls_profile_and_tls_only_transfers() {
        #[derive(Deserialize)]
        struct Doc {
            ocpp: OcppSection,
        }
        let doc: Doc = toml_de(include_str!("../../configs/example.toml"));
        assert!(doc.ocpp.security_profile >= SecurityProfile::TlsBasicAuth);
        assert!(!doc.ocpp.files.allow_insecure_transfers);
        assert!(!doc.ocpp.files.allow_local_transfer_hosts);
        doc.ocpp.validate().unwrap();
    }

    #[test]
    fn bad_pem_files_name_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let s = OcppSection {
            ca_bundle: Some(path),
            ..section()
        };
        assert_eq!(s.load_credentials().unwrap_err().key, "ocpp.ca_bundle");
        let s = OcppSection {
            ca_bundle: Some(dir.path().join("missing.pem")),
            ..section()
        };
        assert_eq!(s.load_credentials().unwrap_err().key, "ocpp.ca_bundle");
    }
}
