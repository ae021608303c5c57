//! Certificates of the OCPP 1.6 security whitepaper (edition 3), on the charge point's side.
//!
//! * [`HashData`]: the `CertificateHashDataType` that names an installed certificate
//!   (GetInstalledCertificateIds, DeleteCertificate). It is the OCSP `CertID` of RFC 6960:
//!   hash of the DER-encoded issuer Name, hash of the issuer's public key bits (the value of the
//!   `subjectPublicKey` BIT STRING without tag, length and unused-bits octet), and the serial
//!   number as lowercase hex without leading zeros.
//! * [`CertificateStore`]: the CA certificates installed by the CSMS (InstallCertificate,
//!   DeleteCertificate, GetInstalledCertificateIds), kept as one PEM file per certificate under
//!   `dir/<CertificateUse>/`, plus a concatenated bundle of the CSMS roots for the TLS link,
//!   and the charge point's own client certificate and key (security profile 3).
//! * [`verify_firmware_signature`]: use case L01 (SignedUpdateFirmware): the signing
//!   certificate must chain to one of the trusted manufacturer roots (which ones the shell
//!   decides: the configured file, and CSMS-installed roots only if the operator allows) and
//!   the signature must verify over the whole firmware file, hashed as it streams from disk.
//! * [`PendingKey`] and [`accept_signed_chain`]: use cases A02/A03 (SignCertificate,
//!   CertificateSigned): a fresh key pair, a CSR with CN = charge point identity and
//!   O = CpoName, and the checks on the chain the CSMS sends back.
//!
//! Time is always passed in (`now_unix_s`), as everywhere in chargerd's logic: the checks are
//! deterministic and testable, and the shell decides what "now" is.
//!
//! Crypto is ring (as rustls here) except for firmware signatures: x509-parser reads
//! certificates, rustls-webpki builds chains (the same verifier rustls uses for TLS), ring
//! hashes, rcgen makes keys and CSRs. A firmware image may be hundreds of MiB and ring verifies
//! only a message held whole in memory, so the image is hashed with SHA-256 in chunks and the
//! digest verified with RustCrypto's prehash verifiers (`rsa`, `p256`, `p384`). Private keys are
//! only ever held in types whose `Debug` is redacted, and never logged.

use charger_protocol::ocpp::v16;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// How many certificates of one [`CertificateUse`] the store keeps by default; one more is
/// `Rejected`, as the whitepaper says for a full store. Report it as `CertificateStoreMaxLength`.
pub const MAX_CERTIFICATES_PER_USE: usize = 16;

/// Bytes of the firmware file hashed per read: the memory the check needs, whatever the size
/// of the image.
const FIRMWARE_HASH_CHUNK: usize = 64 * 1024;

/// The sub-directory of the store holding the charge point's own certificates and keys.
const CLIENT_DIR: &str = "ChargePointCertificate";

/// Extended key usage id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER value bytes.
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// Errors of the certificate store, the CSR and the CertificateSigned checks.
#[derive(Debug, Error)]
pub enum CertError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not a usable PEM certificate: {0}")]
    Pem(String),
    #[error("not a valid X.509 certificate: {0}")]
    Parse(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("the certificate has expired")]
    Expired,
    #[error("the certificate is not valid yet")]
    NotYetValid,
    #[error("the certificate's public key is not the key of the pending signing request")]
    KeyMismatch,
    #[error("the certificate's common name is {found:?}, expected {expected:?}")]
    WrongCommonName { expected: String, found: String },
    #[error("the certificate chain does not verify against the trusted roots: {0}")]
    Untrusted(String),
    #[error("key or CSR generation failed: {0}")]
    Crypto(String),
}

/// Why a firmware signature was not accepted. The shell maps the certificate variants to
/// SignedUpdateFirmware.conf `InvalidCertificate` (plus the security event
/// `InvalidFirmwareSigningCertificate`) and the others to the `InvalidSignature` status.
#[derive(Debug, Error)]
pub enum SignatureError {
    #[error("the signing certificate is not valid PEM: {0}")]
    BadPem(String),
    #[error("the signature is not valid base64: {0}")]
    BadBase64(String),
    #[error("the signing certificate is not trusted: {0}")]
    UntrustedCertificate(String),
    #[error("the signing certificate has expired")]
    CertificateExpired,
    #[error("the signing certificate is not valid yet")]
    CertificateNotYetValid,
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("{path}: {source}")]
    UnreadableFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the firmware signature does not verify")]
    BadSignature,
    #[error("the signature check was canceled")]
    Canceled,
}

// ---------------------------------------------------------------------------------------------
// Hash data

/// The hash algorithms of `HashAlgorithmEnumType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashAlgorithm {
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "SHA384")]
    Sha384,
    #[serde(rename = "SHA512")]
    Sha512,
}

impl HashAlgorithm {
    pub const fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA256",
            HashAlgorithm::Sha384 => "SHA384",
            HashAlgorithm::Sha512 => "SHA512",
        }
    }

    fn digest_hex(self, data: &[u8]) -> String {
        let alg = match self {
            HashAlgorithm::Sha256 => &ring::digest::SHA256,
            HashAlgorithm::Sha384 => &ring::digest::SHA384,
            HashAlgorithm::Sha512 => &ring::digest::SHA512,
        };
        hex(ring::digest::digest(alg, data).as_ref())
    }
}

/// `CertificateHashDataType`: how OCPP names a certificate (RFC 6960 `CertID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HashData {
    pub hash_algorithm: HashAlgorithm,
    /// Hex hash of the DER-encoded issuer Name of the certificate.
    pub issuer_name_hash: String,
    /// Hex hash of the issuer's public key bits (its own for a self-signed root).
    pub issuer_key_hash: String,
    /// Serial number in lowercase hex, without leading zeros.
    pub serial_number: String,
}

impl HashData {
    /// The JSON object of the schema (`hashAlgorithm`, `issuerNameHash`, ...).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "hashAlgorithm": self.hash_algorithm.as_str(),
            "issuerNameHash": self.issuer_name_hash,
            "issuerKeyHash": self.issuer_key_hash,
            "serialNumber": self.serial_number,
        })
    }

    /// Reads a `CertificateHashDataType` object, checking the schema's length limits.
    pub fn from_json(value: &serde_json::Value) -> Result<HashData, CertError> {
        let data: HashData = serde_json::from_value(value.clone())
            .map_err(|e| CertError::InvalidInput(format!("certificateHashData: {e}")))?;
        for (name, field, max) in [
            ("issuerNameHash", &data.issuer_name_hash, 128),
            ("issuerKeyHash", &data.issuer_key_hash, 128),
            ("serialNumber", &data.serial_number, 40),
        ] {
            if field.len() > max {
                return Err(CertError::InvalidInput(format!(
                    "certificateHashData.{name} is longer than {max} characters"
                )));
            }
        }
        Ok(data)
    }

    /// The certificateHashData of a CSMS message.
    pub fn from_message(m: &v16::CertificateHashData) -> HashData {
        HashData {
            hash_algorithm: match m.hash_algorithm {
                v16::HashAlgorithmEnum::SHA256 => HashAlgorithm::Sha256,
                v16::HashAlgorithmEnum::SHA384 => HashAlgorithm::Sha384,
                v16::HashAlgorithmEnum::SHA512 => HashAlgorithm::Sha512,
            },
            issuer_name_hash: m.issuer_name_hash.clone(),
            issuer_key_hash: m.issuer_key_hash.clone(),
            serial_number: m.serial_number.clone(),
        }
    }

    /// ... and the other way.
    pub fn to_message(&self) -> v16::CertificateHashData {
        v16::CertificateHashData {
            hash_algorithm: match self.hash_algorithm {
                HashAlgorithm::Sha256 => v16::HashAlgorithmEnum::SHA256,
                HashAlgorithm::Sha384 => v16::HashAlgorithmEnum::SHA384,
                HashAlgorithm::Sha512 => v16::HashAlgorithmEnum::SHA512,
            },
            issuer_name_hash: self.issuer_name_hash.clone(),
            issuer_key_hash: self.issuer_key_hash.clone(),
            serial_number: self.serial_number.clone(),
        }
    }

    /// The hash data of `cert_pem` (its first certificate). `issuer_pem` is the certificate of
    /// its issuer; `None` means the certificate is its own issuer (a self-signed root).
    pub fn of_pem(
        cert_pem: &str,
        issuer_pem: Option<&str>,
        algorithm: HashAlgorithm,
    ) -> Result<HashData, CertError> {
        let cert_der = first_certificate(cert_pem)?;
        let cert = parse_certificate(&cert_der)?;
        let issuer_der = match issuer_pem {
            Some(pem) => Some(first_certificate(pem)?),
            None => None,
        };
        let issuer = match &issuer_der {
            Some(der) => Some(parse_certificate(der)?),
            None => None,
        };
        let key = public_key_bits(issuer.as_ref().unwrap_or(&cert));
        Ok(compute_hash_data(algorithm, &cert, key))
    }

    /// Whether `self` names the same certificate as `other`: same algorithm, hashes equal
    /// ignoring case, serial numbers equal ignoring case and leading zeros (a CSMS may send
    /// either).
    pub fn matches(&self, other: &HashData) -> bool {
        self.hash_algorithm == other.hash_algorithm
            && self
                .issuer_name_hash
                .eq_ignore_ascii_case(&other.issuer_name_hash)
            && self
                .issuer_key_hash
                .eq_ignore_ascii_case(&other.issuer_key_hash)
            && normalize_serial(&self.serial_number) == normalize_serial(&other.serial_number)
    }
}

fn compute_hash_data(
    algorithm: HashAlgorithm,
    cert: &X509Certificate<'_>,
    issuer_key_bits: &[u8],
) -> HashData {
    HashData {
        hash_algorithm: algorithm,
        issuer_name_hash: algorithm.digest_hex(cert.issuer().as_raw()),
        issuer_key_hash: algorithm.digest_hex(issuer_key_bits),
        serial_number: normalize_serial(&hex(cert.raw_serial())),
    }
}

fn normalize_serial(serial: &str) -> String {
    let trimmed = serial.trim().trim_start_matches('0').to_ascii_lowercase();
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The `subjectPublicKey` bits (without the unused-bits octet), as OCSP hashes them.
fn public_key_bits<'a>(cert: &'a X509Certificate<'_>) -> &'a [u8] {
    &cert.public_key().subject_public_key.data
}

// ---------------------------------------------------------------------------------------------
// PEM and DER helpers

/// All certificates in a PEM text (other PEM sections, such as keys, are skipped).
fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The certificates of a PEM bundle (a configured CA bundle, a roots file), one PEM text each,
/// read by rustls-pki-types' PEM reader: other sections (keys) and text between sections are
/// skipped. A bundle with a section that does not decode yields none of its certificates, with
/// a warning naming `what`: a half-read trust file would be a silent change of trust.
pub fn split_certificates(text: &str, what: &str) -> Vec<String> {
    match certificates(text) {
        Ok(ders) => ders.iter().map(|der| to_pem(der)).collect(),
        Err(e) => {
            tracing::warn!(file = what, error = %e, "not valid PEM: no certificate taken from it");
            Vec::new()
        }
    }
}

fn first_certificate(pem: &str) -> Result<CertificateDer<'static>, CertError> {
    certificates(pem)
        .map_err(CertError::Pem)?
        .into_iter()
        .next()
        .ok_or_else(|| CertError::Pem("no CERTIFICATE section".to_owned()))
}

fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, CertError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(CertError::Parse(
            "trailing data after the certificate".to_owned(),
        )),
        Err(e) => Err(CertError::Parse(e.to_string())),
    }
}

/// PEM text of one certificate: base64 in lines of 64 characters, as RFC 7468 asks.
fn to_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

fn unix_time(now_unix_s: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now_unix_s).unwrap_or(0)))
}

/// The signature algorithms rustls accepts with the ring provider, for chain checks.
fn chain_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all
}

/// Why a chain did not verify, sorted into what the callers tell apart.
enum ChainFailure {
    Expired,
    NotYetValid,
    UnsupportedAlgorithm(String),
    Untrusted(String),
}

/// Verifies `chain[0]` (the end entity) through the intermediates `chain[1..]` up to one of the
/// certificates in `roots` (PEM texts, each may hold several), at `now_unix_s`, with the
/// extended key usage `eku` required if the end entity lists any.
fn verify_chain(
    chain: &[CertificateDer<'static>],
    roots: &[String],
    now_unix_s: i64,
    eku: webpki::KeyUsage,
) -> Result<(), ChainFailure> {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(ChainFailure::Untrusted("no certificate".to_owned()));
    };
    let mut root_ders = Vec::new();
    for root in roots {
        match certificates(root) {
            Ok(ders) => root_ders.extend(ders),
            Err(e) => tracing::warn!(error = %e, "skipping an unreadable trusted root"),
        }
    }
    let anchors: Vec<_> = root_ders
        .iter()
        .filter_map(|der| match webpki::anchor_from_trusted_cert(der) {
            Ok(anchor) => Some(anchor),
            Err(e) => {
                tracing::warn!(error = %e, "skipping an unusable trusted root");
                None
            }
        })
        .collect();
    if anchors.is_empty() {
        return Err(ChainFailure::Untrusted("no usable trusted root".to_owned()));
    }
    let end_entity = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| ChainFailure::Untrusted(format!("unusable certificate: {e}")))?;
    end_entity
        .verify_for_usage(
            chain_algorithms(),
            &anchors,
            intermediates,
            unix_time(now_unix_s),
            eku,
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| match e {
            webpki::Error::CertExpired { .. } => ChainFailure::Expired,
            webpki::Error::CertNotValidYet { .. } => ChainFailure::NotYetValid,
            webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                ChainFailure::UnsupportedAlgorithm(e.to_string())
            }
            other => ChainFailure::Untrusted(other.to_string()),
        })
}

// ---------------------------------------------------------------------------------------------
// The certificate store

/// `CertificateUseEnumType`: what an installed CA certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateUse {
    /// Trust anchors for the CSMS's TLS server certificate.
    CentralSystemRootCertificate,
    /// Trust anchors for firmware signing certificates.
    ManufacturerRootCertificate,
}

impl CertificateUse {
    /// The certificateType of a CSMS message.
    pub const fn from_message(m: v16::CertificateUseEnum) -> CertificateUse {
        match m {
            v16::CertificateUseEnum::CentralSystemRootCertificate => {
                CertificateUse::CentralSystemRootCertificate
            }
            v16::CertificateUseEnum::ManufacturerRootCertificate => {
                CertificateUse::ManufacturerRootCertificate
            }
        }
    }

    pub const ALL: [CertificateUse; 2] = [
        CertificateUse::CentralSystemRootCertificate,
        CertificateUse::ManufacturerRootCertificate,
    ];

    /// The schema's string, also the store's directory name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CertificateUse::CentralSystemRootCertificate => "CentralSystemRootCertificate",
            CertificateUse::ManufacturerRootCertificate => "ManufacturerRootCertificate",
        }
    }
}

impl fmt::Display for CertificateUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CertificateUse {
    type Err = CertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CertificateUse::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| CertError::InvalidInput(format!("unknown certificateType {s:?}")))
    }
}

/// `InstallCertificateStatusEnumType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstallStatus {
    Accepted,
    /// The certificate is invalid (not PEM, not X.509, not a CA, expired, a broken
    /// self-signature) or the store for that use is full.
    Rejected,
    /// The certificate is fine but could not be stored.
    Failed,
}

impl InstallStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            InstallStatus::Accepted => "Accepted",
            InstallStatus::Rejected => "Rejected",
            InstallStatus::Failed => "Failed",
        }
    }
}

/// `DeleteCertificateStatusEnumType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteStatus {
    Accepted,
    /// Refused (the last CentralSystemRootCertificate) or the file could not be removed.
    Failed,
    NotFound,
}

impl DeleteStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeleteStatus::Accepted => "Accepted",
            DeleteStatus::Failed => "Failed",
            DeleteStatus::NotFound => "NotFound",
        }
    }
}

/// One installed certificate as read from the store.
struct Entry {
    usage: CertificateUse,
    path: PathBuf,
    der: CertificateDer<'static>,
}

/// The CA certificates installed by the CSMS and the charge point's own client certificate,
/// on disk under one directory:
///
/// ```text
/// dir/CentralSystemRootCertificate/<sha256 of the DER>.pem
/// dir/ManufacturerRootCertificate/<sha256 of the DER>.pem
/// dir/CentralSystemRootCertificate.bundle.pem       (see ca_bundle_path)
/// dir/ChargePointCertificate/<id>.cert.pem, <id>.key.pem (mode 0600)
/// ```
///
/// Naming files by the certificate's fingerprint makes installing the same certificate twice
/// a no-op. The store keeps no state in memory: every call reads the directory (a few dozen
/// small files at most), so files written by an earlier run are simply there. Writes are
/// atomic (temporary file, fsync, rename).
#[derive(Debug, Clone)]
pub struct CertificateStore {
    dir: PathBuf,
    max_per_use: usize,
}

impl CertificateStore {
    /// Opens (creating if needed) the store under `dir`.
    pub fn open(dir: &Path) -> Result<CertificateStore, CertError> {
        create_private_dir(dir)?;
        for usage in CertificateUse::ALL {
            let sub = dir.join(usage.as_str());
            create_private_dir(&sub)?;
        }
        create_private_dir(&dir.join(CLIENT_DIR))?;
        Ok(CertificateStore {
            dir: dir.to_path_buf(),
            max_per_use: MAX_CERTIFICATES_PER_USE,
        })
    }

    /// Sets how many certificates of one use may be installed (at least 1).
    pub fn with_max_per_use(mut self, max: usize) -> CertificateStore {
        self.max_per_use = max.max(1);
        self
    }

    /// How many certificates of one use may be installed (`CertificateStoreMaxLength`).
    pub fn max_per_use(&self) -> usize {
        self.max_per_use
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// InstallCertificate: installs one PEM-encoded CA certificate for `usage`.
    ///
    /// `Rejected` when the text is not exactly one PEM certificate, is not X.509, is not a CA
    /// (basicConstraints cA), has expired at `now_unix_s`, is self-issued but its signature does
    /// not verify with its own key, or when `max_per_use` certificates of that use are already
    /// installed. A certificate not yet valid is accepted: a charge point without a reliable
    /// clock at boot must not refuse roots. Installing a certificate that is already there is
    /// `Accepted` and changes nothing. `Failed` when it cannot be written.
    pub fn install(&self, usage: CertificateUse, pem: &str, now_unix_s: i64) -> InstallStatus {
        let der = match check_ca_certificate(pem, now_unix_s) {
            Ok(der) => der,
            Err(reason) => {
                tracing::warn!(certificate_use = %usage, %reason, "InstallCertificate rejected");
                return InstallStatus::Rejected;
            }
        };
        let path = self.certificate_path(usage, &der);
        if path.exists() {
            tracing::info!(certificate_use = %usage, file = %path.display(),
                "certificate already installed");
            return InstallStatus::Accepted;
        }
        match self.entries(usage) {
            Ok(entries) if entries.len() >= self.max_per_use => {
                tracing::warn!(certificate_use = %usage, max = self.max_per_use,
                    "InstallCertificate rejected: the store for this use is full");
                return InstallStatus::Rejected;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(certificate_use = %usage, error = %e, "cannot read the store");
                return InstallStatus::Failed;
            }
        }
        if let Err(e) = write_atomic(
            &path,
            to_pem(&der).as_bytes(),
            crate::files::CERTIFICATE_FILE,
        ) {
            tracing::error!(certificate_use = %usage, error = %e, "cannot store a certificate");
            return InstallStatus::Failed;
        }
        tracing::info!(certificate_use = %usage, file = %path.display(), "certificate installed");
        self.refresh_bundle_quietly(usage);
        InstallStatus::Accepted
    }

    /// DeleteCertificate: removes the installed certificate(s) that `hash` names, in any use,
    /// comparing with hash data computed in `hash.hash_algorithm`.
    ///
    /// `Failed` without deleting anything when that would remove the last
    /// CentralSystemRootCertificate: the charge point could then no longer verify the CSMS's
    /// TLS certificate and would be cut off for good (the whitepaper has the charge point refuse
    /// deleting the root in use; the store does not know which root the current connection
    /// used, so it keeps at least one). Also `Failed` when a file cannot be removed.
    pub fn delete(&self, hash: &HashData) -> DeleteStatus {
        let all = match self.all_entries() {
            Ok(all) => all,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the store");
                return DeleteStatus::Failed;
            }
        };
        let matching: Vec<&Entry> = all
            .iter()
            .filter(|entry| {
                self.entry_hash_data(entry, &all, hash.hash_algorithm)
                    .is_some_and(|h| h.matches(hash))
            })
            .collect();
        if matching.is_empty() {
            return DeleteStatus::NotFound;
        }
        let csms = CertificateUse::CentralSystemRootCertificate;
        let csms_total = all.iter().filter(|e| e.usage == csms).count();
        let csms_matching = matching.iter().filter(|e| e.usage == csms).count();
        if csms_matching > 0 && csms_matching == csms_total {
            tracing::warn!(
                "DeleteCertificate refused: it would remove the last CentralSystemRootCertificate"
            );
            return DeleteStatus::Failed;
        }
        let mut status = DeleteStatus::Accepted;
        for entry in &matching {
            match fs::remove_file(&entry.path) {
                Ok(()) => tracing::info!(certificate_use = %entry.usage,
                    file = %entry.path.display(), "certificate deleted"),
                Err(e) => {
                    tracing::error!(file = %entry.path.display(), error = %e,
                        "cannot delete a certificate");
                    status = DeleteStatus::Failed;
                }
            }
        }
        for usage in CertificateUse::ALL {
            if matching.iter().any(|e| e.usage == usage) {
                self.refresh_bundle_quietly(usage);
            }
        }
        status
    }

    /// GetInstalledCertificateIds: SHA-256 hash data of the certificates of `usage` (all uses
    /// for `None`), in a stable order. Empty means the `NotFound` status.
    pub fn installed(&self, usage: Option<CertificateUse>) -> Result<Vec<HashData>, CertError> {
        let all = self.all_entries()?;
        Ok(all
            .iter()
            .filter(|e| usage.is_none_or(|u| e.usage == u))
            .filter_map(|e| self.entry_hash_data(e, &all, HashAlgorithm::Sha256))
            .collect())
    }

    /// The installed certificates of `usage` as PEM texts (e.g. the manufacturer roots for
    /// [`verify_firmware_signature`], the CSMS roots for [`accept_signed_chain`]).
    pub fn pems(&self, usage: CertificateUse) -> Result<Vec<String>, CertError> {
        Ok(self
            .entries(usage)?
            .iter()
            .map(|e| to_pem(&e.der))
            .collect())
    }

    /// Writes (if its content changed) one PEM file with all certificates of `usage` and
    /// returns its path, for the TLS link's CA bundle setting; `None` (and no file) when none
    /// is installed, so the caller keeps its configured bundle. Install and delete refresh it
    /// too; call this before each (re)connection to be sure it is current.
    pub fn ca_bundle_path(&self, usage: CertificateUse) -> Result<Option<PathBuf>, CertError> {
        let path = self.dir.join(format!("{}.bundle.pem", usage.as_str()));
        let content: String = self
            .entries(usage)?
            .iter()
            .map(|e| to_pem(&e.der))
            .collect();
        if content.is_empty() {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(CertError::Io { path, source }),
            }
            return Ok(None);
        }
        if crate::files::read_to_string_nofollow(&path).ok().as_deref() != Some(content.as_str()) {
            write_atomic(&path, content.as_bytes(), crate::files::CERTIFICATE_FILE)?;
        }
        Ok(Some(path))
    }

    /// Stores a client certificate accepted by [`accept_signed_chain`] as two files named
    /// after the leaf's fingerprint: `<id>.cert.pem` (the chain) and `<id>.key.pem` (mode
    /// 0600), each written atomically, the key first. Returns `(certificate, key)` paths.
    /// Distinct names per certificate keep the one in use intact until the shell switches
    /// (at the new certificate's notBefore), and a crash never leaves a mismatched pair under
    /// the names the shell persisted.
    pub fn store_client_certificate(
        &self,
        cert: &ClientCertificate,
    ) -> Result<(PathBuf, PathBuf), CertError> {
        let leaf = first_certificate(&cert.chain_pem)?;
        let id = &HashAlgorithm::Sha256.digest_hex(&leaf)[..16];
        let dir = self.dir.join(CLIENT_DIR);
        create_private_dir(&dir)?;
        let cert_path = dir.join(format!("{id}.cert.pem"));
        let key_path = dir.join(format!("{id}.key.pem"));
        write_atomic(&key_path, cert.key_pem.as_bytes(), 0o600)?;
        write_atomic(
            &cert_path,
            cert.chain_pem.as_bytes(),
            crate::files::CERTIFICATE_FILE,
        )?;
        tracing::info!(file = %cert_path.display(), not_after = cert.not_after_unix_s,
            "client certificate stored");
        Ok((cert_path, key_path))
    }

    fn certificate_path(&self, usage: CertificateUse, der: &[u8]) -> PathBuf {
        self.dir
            .join(usage.as_str())
            .join(format!("{}.pem", HashAlgorithm::Sha256.digest_hex(der)))
    }

    fn refresh_bundle_quietly(&self, usage: CertificateUse) {
        if usage == CertificateUse::CentralSystemRootCertificate {
            if let Err(e) = self.ca_bundle_path(usage) {
                tracing::warn!(error = %e, "cannot refresh the CA bundle");
            }
        }
    }

    /// The certificates of one use, sorted by file name; unreadable files are skipped.
    fn entries(&self, usage: CertificateUse) -> Result<Vec<Entry>, CertError> {
        let dir = self.dir.join(usage.as_str());
        let read = fs::read_dir(&dir).map_err(|source| CertError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut paths = Vec::new();
        for item in read {
            let item = item.map_err(|source| CertError::Io {
                path: dir.clone(),
                source,
            })?;
            let name = item.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('.') && name.ends_with(".pem") {
                paths.push(item.path());
            }
        }
        paths.sort();
        let mut entries = Vec::with_capacity(paths.len());
        for path in paths {
            // A planted link is not a certificate the store installed: skipped, not followed.
            let text = match crate::files::read_to_string_nofollow(&path) {
                Ok(text) => text,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "skipping unreadable file");
                    continue;
                }
            };
            match first_certificate(&text) {
                Ok(der) => entries.push(Entry { usage, path, der }),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "skipping a bad file")
                }
            }
        }
        Ok(entries)
    }

    fn all_entries(&self) -> Result<Vec<Entry>, CertError> {
        let mut all = Vec::new();
        for usage in CertificateUse::ALL {
            all.extend(self.entries(usage)?);
        }
        Ok(all)
    }

    /// Hash data of one installed certificate. The issuer's key is the certificate's own when
    /// it is self-signed, else that of an installed certificate (any use) named as its issuer
    /// whose key verifies its signature. An intermediate whose issuer is not installed falls
    /// back to its own key: the charge point has no other key to hash, and the value still
    /// names the certificate uniquely (a CSMS computing it with the real issuer key would get
    /// NotFound on delete; install the issuer too to avoid that).
    fn entry_hash_data(
        &self,
        entry: &Entry,
        all: &[Entry],
        algorithm: HashAlgorithm,
    ) -> Option<HashData> {
        let cert = parse_certificate(&entry.der).ok()?;
        let self_signed = cert.subject().as_raw() == cert.issuer().as_raw()
            && cert.verify_signature(None).is_ok();
        if !self_signed {
            for candidate in all {
                let Ok(issuer) = parse_certificate(&candidate.der) else {
                    continue;
                };
                if issuer.subject().as_raw() == cert.issuer().as_raw()
                    && cert.verify_signature(Some(issuer.public_key())).is_ok()
                {
                    return Some(compute_hash_data(
                        algorithm,
                        &cert,
                        public_key_bits(&issuer),
                    ));
                }
            }
        }
        Some(compute_hash_data(algorithm, &cert, public_key_bits(&cert)))
    }
}

/// Checks a certificate offered by InstallCertificate; returns its DER or why it is rejected.
fn check_ca_certificate(pem: &str, now_unix_s: i64) -> Result<CertificateDer<'static>, String> {
    let ders = certificates(pem)?;
    let der = match <[_; 1]>::try_from(ders) {
        Ok([der]) => der,
        Err(ders) if ders.is_empty() => return Err("no PEM certificate".to_owned()),
        Err(ders) => return Err(format!("{} certificates, expected one", ders.len())),
    };
    let cert = parse_certificate(&der).map_err(|e| e.to_string())?;
    if !cert.is_ca() {
        return Err("not a CA certificate (basicConstraints cA is not set)".to_owned());
    }
    if cert.validity().not_after.timestamp() < now_unix_s {
        return Err("the certificate has expired".to_owned());
    }
    if cert.subject().as_raw() == cert.issuer().as_raw() {
        cert.verify_signature(None)
            .map_err(|e| format!("the self-signature does not verify: {e}"))?;
    }
    Ok(der)
}

/// The store's directories are the service's own (0700): nobody else plants a root there.
fn create_private_dir(dir: &Path) -> Result<(), CertError> {
    crate::files::create_private_dir(dir, crate::files::PRIVATE_DIR).map_err(|source| {
        CertError::Io {
            path: dir.to_path_buf(),
            source,
        }
    })
}

/// Writes `path` atomically with `mode`, never through a symbolic link (see [`crate::files`]).
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CertError> {
    crate::files::write_atomic(path, bytes, mode).map_err(|source| CertError::Io {
        path: path.to_path_buf(),
        source,
    })
}

// ---------------------------------------------------------------------------------------------
// Signed firmware (L01)

/// SignedUpdateFirmware: checks that `signing_certificate_pem` (the end entity first; any
/// further certificates in the text are taken as intermediates) chains to one of
/// `manufacturer_roots` and is valid at `now_unix_s` (with extended key usage codeSigning if
/// it lists any), then that `signature_b64` is its signature over the bytes of `firmware`.
///
/// Signature algorithms, all with SHA-256 as the whitepaper prescribes: RSA (at least 2048
/// bits) with PKCS#1 v1.5 or PSS (salt length 32), and ECDSA on P-256 or P-384 with the
/// DER-encoded signature. (The whitepaper names "RSA-PSS or ECSchnorr"; no common tool makes
/// EC-Schnorr signatures, ECDSA is what signers use in practice.)
///
/// The file is hashed in chunks of 64 KiB as it is read: memory does not grow with the image.
pub fn verify_firmware_signature(
    signing_certificate_pem: &str,
    signature_b64: &str,
    firmware: &Path,
    manufacturer_roots: &[String],
    now_unix_s: i64,
) -> Result<(), SignatureError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    verify_firmware_signature_until(
        signing_certificate_pem,
        signature_b64,
        firmware,
        manufacturer_roots,
        now_unix_s,
        &never,
    )
}

/// [`verify_firmware_signature`] that gives up with [`SignatureError::Canceled`] once
/// `canceled` is set (a newer update replaced this one while its image was being hashed).
pub fn verify_firmware_signature_until(
    signing_certificate_pem: &str,
    signature_b64: &str,
    firmware: &Path,
    manufacturer_roots: &[String],
    now_unix_s: i64,
    canceled: &std::sync::atomic::AtomicBool,
) -> Result<(), SignatureError> {
    let chain = certificates(signing_certificate_pem).map_err(SignatureError::BadPem)?;
    let Some(leaf_der) = chain.first() else {
        return Err(SignatureError::BadPem("no CERTIFICATE section".to_owned()));
    };
    let leaf = parse_certificate(leaf_der).map_err(|e| SignatureError::BadPem(e.to_string()))?;
    verify_chain(
        &chain,
        manufacturer_roots,
        now_unix_s,
        webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
    )
    .map_err(|f| match f {
        ChainFailure::Expired => SignatureError::CertificateExpired,
        ChainFailure::NotYetValid => SignatureError::CertificateNotYetValid,
        ChainFailure::UnsupportedAlgorithm(why) => SignatureError::UnsupportedAlgorithm(why),
        ChainFailure::Untrusted(why) => SignatureError::UntrustedCertificate(why),
    })?;

    let compact: String = signature_b64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| SignatureError::BadBase64(e.to_string()))?;

    let key = FirmwareKey::of(&leaf)?;
    let digest = sha256_of_file(firmware, canceled)?;
    if key.verifies(&digest, &signature) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

/// A firmware signing certificate's public key, ready for prehash verification.
enum FirmwareKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl FirmwareKey {
    /// The key of the certificate, if it is one the whitepaper's algorithms use.
    fn of(cert: &X509Certificate<'_>) -> Result<FirmwareKey, SignatureError> {
        let spki = cert.public_key();
        let key_alg = &spki.algorithm.algorithm;
        let bits = public_key_bits(cert);
        if *key_alg == OID_PKCS1_RSAENCRYPTION {
            let size = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => rsa.key_size(),
                _ => 0,
            };
            if !(2048..=8192).contains(&size) {
                return Err(SignatureError::UnsupportedAlgorithm(format!(
                    "RSA key of {size} bits, 2048 to 8192 are supported"
                )));
            }
            use rsa::pkcs1::DecodeRsaPublicKey;
            return rsa::PublicKey::from_pkcs1_der(bits)
                .map(FirmwareKey::Rsa)
                .map_err(|e| SignatureError::UnsupportedAlgorithm(format!("RSA key: {e}")));
        }
        if *key_alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let bad = |e: ecdsa::Error| {
                SignatureError::UnsupportedAlgorithm(format!("elliptic curve key: {e}"))
            };
            return match curve {
                Some(c) if c == OID_EC_P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(FirmwareKey::P256)
                    .map_err(bad),
                Some(c) if c == OID_NIST_EC_P384 => {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map(FirmwareKey::P384)
                        .map_err(bad)
                }
                Some(c) => Err(SignatureError::UnsupportedAlgorithm(format!(
                    "elliptic curve {c}"
                ))),
                None => Err(SignatureError::UnsupportedAlgorithm(
                    "elliptic curve key without a named curve".to_owned(),
                )),
            };
        }
        Err(SignatureError::UnsupportedAlgorithm(format!(
            "public key algorithm {key_alg}"
        )))
    }

    /// Whether `signature` signs the SHA-256 `digest`: RSA as PKCS#1 v1.5 or PSS (salt length
    /// 32, as ring and `openssl -sigopt rsa_pss_saltlen:digest`), ECDSA as DER.
    fn verifies(&self, digest: &[u8; 32], signature: &[u8]) -> bool {
        use ecdsa::signature::hazmat::PrehashVerifier;
        match self {
            FirmwareKey::Rsa(key) => {
                let pkcs1 = rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| {
                    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone())
                        .verify_prehash(digest, &s)
                        .is_ok()
                });
                pkcs1
                    || rsa::pss::Signature::try_from(signature).is_ok_and(|s| {
                        rsa::pss::VerifyingKey::<sha2::Sha256>::new(key.clone())
                            .verify_prehash(digest, &s)
                            .is_ok()
                    })
            }
            FirmwareKey::P256(key) => p256::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok()),
            FirmwareKey::P384(key) => p384::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok()),
        }
    }
}

/// SHA-256 of a file, read in [`FIRMWARE_HASH_CHUNK`] pieces; stops when `canceled` is set.
fn sha256_of_file(
    path: &Path,
    canceled: &std::sync::atomic::AtomicBool,
) -> Result<[u8; 32], SignatureError> {
    use sha2::Digest as _;
    let unreadable = |source| SignatureError::UnreadableFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(unreadable)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; FIRMWARE_HASH_CHUNK];
    loop {
        if canceled.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(SignatureError::Canceled);
        }
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unreadable(e)),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

// ---------------------------------------------------------------------------------------------
// Client certificate renewal (A02/A03)

/// The key pair generated for a SignCertificate request, kept (e.g. as [`PendingKey::key_pem`]
/// in a 0600 file) until the CSMS answers with CertificateSigned. The whitepaper requires the
/// key never to leave the charge point: it is only ever written to the local store.
pub struct PendingKey {
    key: rcgen::KeyPair,
}

impl fmt::Debug for PendingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingKey")
            .field("key", &"[redacted]")
            .finish()
    }
}

impl PendingKey {
    /// A new ECDSA P-256 key pair.
    pub fn generate() -> Result<PendingKey, CertError> {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map(|key| PendingKey { key })
            .map_err(|e| CertError::Crypto(e.to_string()))
    }

    /// Loads a key saved with [`PendingKey::key_pem`] (PKCS#8 PEM).
    pub fn from_pem(pem: &str) -> Result<PendingKey, CertError> {
        rcgen::KeyPair::from_pem(pem)
            .map(|key| PendingKey { key })
            .map_err(|e| CertError::InvalidInput(format!("not a usable private key: {e}")))
    }

    /// The private key as PKCS#8 PEM, for the store; never log or send it.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// The PKCS#10 CSR for SignCertificate.req, PEM-encoded, signed with this key: subject
    /// CN = the charge point identity, O = the `CpoName` configuration key, as the whitepaper
    /// requires.
    pub fn csr_pem(&self, charge_point_id: &str, organization: &str) -> Result<String, CertError> {
        for (name, value) in [
            ("charge point id", charge_point_id),
            ("organization", organization),
        ] {
            // 64: the upper bound of X.520 commonName and organizationName.
            if value.is_empty() || value.chars().count() > 64 {
                return Err(CertError::InvalidInput(format!(
                    "the CSR's {name} must have 1 to 64 characters"
                )));
            }
        }
        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::OrganizationName, organization);
        name.push(rcgen::DnType::CommonName, charge_point_id);
        params.distinguished_name = name;
        params
            .serialize_request(&self.key)
            .and_then(|csr| csr.pem())
            .map_err(|e| CertError::Crypto(e.to_string()))
    }

    /// The public key bits, as in a certificate's `subjectPublicKey`.
    fn public_key_raw(&self) -> &[u8] {
        rcgen::PublicKeyData::der_bytes(&self.key)
    }
}

/// A client certificate accepted by [`accept_signed_chain`], ready to be stored with
/// [`CertificateStore::store_client_certificate`] and used from `not_before_unix_s` on.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The chain as received (leaf first), re-encoded as clean PEM.
    pub chain_pem: String,
    /// The private key (PKCS#8 PEM).
    pub key_pem: String,
    /// The leaf's notBefore: the whitepaper has the charge point switch to the new
    /// certificate once it is reached.
    pub not_before_unix_s: i64,
    pub not_after_unix_s: i64,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"[redacted]")
            .field("not_before_unix_s", &self.not_before_unix_s)
            .field("not_after_unix_s", &self.not_after_unix_s)
            .finish()
    }
}

/// CertificateSigned: checks the chain the CSMS sent for the pending key.
///
/// The leaf (first certificate) must carry the pending key's public key and CN =
/// `charge_point_id`, must not have expired at `now_unix_s`, and the chain must verify
/// (webpki, extended key usage clientAuth if any is listed) up to one of
/// `central_system_roots`. A leaf whose notBefore is still ahead is accepted, checked as of
/// its notBefore: the whitepaper has the charge point switch once it is reached, and a CA's
/// clock a little ahead of the charge point's must not make the renewal fail.
///
/// With `central_system_roots` empty the chain check is skipped (with a warning): the client
/// certificate may be issued by a CPO CA the charge point was never given, and refusing then
/// would make renewal impossible. Whenever roots are installed, a chain that does not verify
/// against them is rejected.
pub fn accept_signed_chain(
    chain_pem: &str,
    key: &PendingKey,
    charge_point_id: &str,
    central_system_roots: &[String],
    now_unix_s: i64,
) -> Result<ClientCertificate, CertError> {
    let chain = certificates(chain_pem).map_err(CertError::Pem)?;
    let Some(leaf_der) = chain.first() else {
        return Err(CertError::Pem("no CERTIFICATE section".to_owned()));
    };
    let leaf = parse_certificate(leaf_der)?;
    if public_key_bits(&leaf) != key.public_key_raw() {
        return Err(CertError::KeyMismatch);
    }
    let cn = common_name(&leaf).unwrap_or_default();
    if cn != charge_point_id {
        return Err(CertError::WrongCommonName {
            expected: charge_point_id.to_owned(),
            found: cn,
        });
    }
    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    if not_after < now_unix_s {
        return Err(CertError::Expired);
    }
    if central_system_roots.is_empty() {
        tracing::warn!(
            "no CentralSystemRootCertificate installed: the client certificate chain is not verified"
        );
    } else {
        verify_chain(
            &chain,
            central_system_roots,
            now_unix_s.max(not_before),
            webpki::KeyUsage::client_auth(),
        )
        .map_err(|f| match f {
            ChainFailure::Expired => CertError::Expired,
            ChainFailure::NotYetValid => CertError::NotYetValid,
            ChainFailure::UnsupportedAlgorithm(why) | ChainFailure::Untrusted(why) => {
                CertError::Untrusted(why)
            }
        })?;
    }
    Ok(ClientCertificate {
        chain_pem: chain.iter().map(|der| to_pem(der)).collect(),
        key_pem: key.key_pem(),
        not_before_unix_s: not_before,
        not_after_unix_s: not_after,
    })
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
        Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SerialNumber, SigningKey,
        PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
    };
    use x509_parser::certification_request::X509CertificationRequest;

    use super::*;

    const CSMS: CertificateUse = CertificateUse::CentralSystemRootCertificate;
    const MANUFACTURER: CertificateUse = CertificateUse::ManufacturerRootCertificate;

    fn now() -> i64 {
        date_time_ymd(2025, 6, 1).unix_timestamp()
    }

    fn p256() -> KeyPair {
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
    }

    /// A CA made at test time: its parameters and key sign what it issues.
    struct Ca {
        params: CertificateParams,
        key: KeyPair,
        pem: String,
    }

    fn ca_params(cn: &str, years: (i32, i32)) -> CertificateParams {
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Test PKI");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(years.0, 1, 1);
        params.not_after = date_time_ymd(years.1, 1, 1);
        params
    }

    impl Ca {
        fn root(cn: &str) -> Ca {
            Ca::root_with(cn, p256(), (2020, 2040))
        }

        fn root_with(cn: &str, key: KeyPair, years: (i32, i32)) -> Ca {
            let params = ca_params(cn, years);
            let pem = params.self_signed(&key).unwrap().pem();
            Ca { params, key, pem }
        }

        fn intermediate(&self, cn: &str) -> Ca {
            let params = ca_params(cn, (2021, 2039));
            let key = p256();
            let pem = params.signed_by(&key, &self.issuer()).unwrap().pem();
            Ca { params, key, pem }
        }

        fn issuer(&self) -> Issuer<'_, &KeyPair> {
            Issuer::from_params(&self.params, &self.key)
        }

        /// An end-entity certificate for `key` with the given CN, EKU and validity years.
        fn leaf(
            &self,
            cn: &str,
            key: &impl PublicKeyData,
            eku: ExtendedKeyUsagePurpose,
            years: (i32, i32),
        ) -> String {
            let mut params = CertificateParams::default();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, cn);
            params.extended_key_usages = vec![eku];
            params.not_before = date_time_ymd(years.0, 1, 1);
            params.not_after = date_time_ymd(years.1, 1, 1);
            params.signed_by(key, &self.issuer()).unwrap().pem()
        }
    }

    #[test]
    fn a_bundle_is_split_by_the_pem_reader_keys_and_comments_skipped() {
        let (a, b) = (Ca::root("Root A"), Ca::root("Root B"));
        let bundle = format!(
            "# roots of the depot\n{}\nsome note\n{}{}",
            a.pem,
            p256().serialize_pem(),
            b.pem.replace('\n', "\r\n")
        );
        let split = split_certificates(&bundle, "bundle.pem");
        assert_eq!(split.len(), 2, "{split:?}");
        let der = |pem: &str| certificates(pem).unwrap();
        assert_eq!(der(&split[0]), der(&a.pem));
        assert_eq!(der(&split[1]), der(&b.pem));
        // A section that does not decode: nothing taken from the file, rather than a part.
        let broken = format!(
            "{}-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
            a.pem
        );
        assert!(split_certificates(&broken, "broken.pem").is_empty());
        assert!(split_certificates("", "empty.pem").is_empty());
    }

    fn store() -> (tempfile::TempDir, CertificateStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = CertificateStore::open(&dir.path().join("certs")).unwrap();
        (dir, store)
    }

    fn has_openssl() -> bool {
        let found = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("openssl CLI not found: skipping the cross-check");
        }
        found
    }

    fn openssl(args: &[&str]) -> String {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(dir: &Path, name: &str, content: &[u8]) -> String {
        let path = dir.join(name);
        fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// The CertID OpenSSL computes for an OCSP request: (name hash, key hash, serial).
    fn openssl_cert_id(dir: &Path, cert_pem: &str, issuer_pem: &str) -> (String, String, String) {
        let cert = write(dir, "cert.pem", cert_pem.as_bytes());
        let issuer = write(dir, "issuer.pem", issuer_pem.as_bytes());
        let text = openssl(&[
            "ocsp",
            "-sha256",
            "-issuer",
            &issuer,
            "-cert",
            &cert,
            "-no_nonce",
            "-req_text",
            "-reqout",
            "/dev/null",
        ]);
        let field = |label: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .unwrap()
                .trim()
                .to_owned()
        };
        (
            field("Issuer Name Hash:"),
            field("Issuer Key Hash:"),
            field("Serial Number:"),
        )
    }

    fn sha256_hex(data: &[u8]) -> String {
        hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
    }

    // --- hash data -----------------------------------------------------------------------

    #[test]
    fn hash_data_is_the_ocsp_cert_id() {
        let mut params = ca_params("Hash Root", (2020, 2040));
        // High bit set: DER prepends a 0x00 octet that must not show in the serial number.
        params.serial_number = Some(SerialNumber::from_slice(&[0x80, 0x00, 0x0a]));
        let key = p256();
        let root_pem = params.self_signed(&key).unwrap().pem();
        let root = Ca {
            params,
            key,
            pem: root_pem,
        };
        let mut leaf_params = ca_params("Hash Sub", (2021, 2039));
        leaf_params.serial_number = Some(SerialNumber::from_slice(&[0x01, 0xff]));
        let leaf_pem = leaf_params
            .signed_by(&p256(), &root.issuer())
            .unwrap()
            .pem();

        let own = HashData::of_pem(&root.pem, None, HashAlgorithm::Sha256).unwrap();
        let sub = HashData::of_pem(&leaf_pem, Some(&root.pem), HashAlgorithm::Sha256).unwrap();

        // Independent values: the issuer Name as rcgen encodes it inside the root's DER,
        // the root's raw public key from the key pair itself, the serials we chose.
        let root_der = first_certificate(&root.pem).unwrap();
        let root_name = parse_certificate(&root_der)
            .unwrap()
            .subject()
            .as_raw()
            .to_vec();
        assert_eq!(own.hash_algorithm, HashAlgorithm::Sha256);
        assert_eq!(own.issuer_name_hash, sha256_hex(&root_name));
        assert_eq!(own.issuer_key_hash, sha256_hex(root.key.der_bytes()));
        assert_eq!(own.serial_number, "80000a");
        assert_eq!(sub.issuer_name_hash, own.issuer_name_hash);
        assert_eq!(sub.issuer_key_hash, own.issuer_key_hash);
        assert_eq!(sub.serial_number, "1ff");
        assert_eq!(own.issuer_name_hash.len(), 64);

        if has_openssl() {
            let dir = tempfile::tempdir().unwrap();
            for (data, cert, issuer) in [(&own, &root.pem, &root.pem), (&sub, &leaf_pem, &root.pem)]
            {
                let (name, key, serial) = openssl_cert_id(dir.path(), cert, issuer);
                assert_eq!(data.issuer_name_hash, name.to_ascii_lowercase());
                assert_eq!(data.issuer_key_hash, key.to_ascii_lowercase());
                assert_eq!(data.serial_number, normalize_serial(&serial));
            }
        }
    }

    #[test]
    fn hash_data_json_uses_the_schema_names_and_round_trips() {
        let data = HashData::of_pem(&Ca::root("J").pem, None, HashAlgorithm::Sha256).unwrap();
        let json = data.to_json();
        assert_eq!(json["hashAlgorithm"], "SHA256");
        assert_eq!(json["issuerNameHash"], data.issuer_name_hash.as_str());
        assert_eq!(json["issuerKeyHash"], data.issuer_key_hash.as_str());
        assert_eq!(json["serialNumber"], data.serial_number.as_str());
        assert_eq!(json.as_object().unwrap().len(), 4);
        assert_eq!(HashData::from_json(&json).unwrap(), data);

        let mut bad = json.clone();
        bad["hashAlgorithm"] = "MD5".into();
        assert!(HashData::from_json(&bad).is_err());
        let mut missing = json.clone();
        missing.as_object_mut().unwrap().remove("serialNumber");
        assert!(HashData::from_json(&missing).is_err());
        let mut long = json;
        long["serialNumber"] = "1".repeat(41).into();
        assert!(HashData::from_json(&long).is_err());
    }

    #[test]
    fn hash_data_match_ignores_case_and_leading_zeros() {
        let data = HashData::of_pem(&Ca::root("M").pem, None, HashAlgorithm::Sha256).unwrap();
        let mut other = data.clone();
        other.issuer_key_hash = other.issuer_key_hash.to_ascii_uppercase();
        other.serial_number = format!("00{}", other.serial_number.to_ascii_uppercase());
        assert!(data.matches(&other));
        other.hash_algorithm = HashAlgorithm::Sha384;
        assert!(!data.matches(&other));
    }

    #[test]
    fn certificate_use_parses_the_schema_strings() {
        for usage in CertificateUse::ALL {
            assert_eq!(usage.as_str().parse::<CertificateUse>().unwrap(), usage);
            assert_eq!(
                serde_json::to_value(usage).unwrap(),
                serde_json::Value::from(usage.as_str())
            );
        }
        assert!("V2GRootCertificate".parse::<CertificateUse>().is_err());
        assert_eq!(InstallStatus::Rejected.as_str(), "Rejected");
        assert_eq!(DeleteStatus::NotFound.as_str(), "NotFound");
    }

    // --- the store -----------------------------------------------------------------------

    #[test]
    fn install_lists_and_is_idempotent() {
        let (_tmp, store) = store();
        let a = Ca::root("A");
        let b = Ca::root("B");
        assert!(store.installed(None).unwrap().is_empty());
        assert_eq!(store.install(CSMS, &a.pem, now()), InstallStatus::Accepted);
        assert_eq!(store.install(CSMS, &a.pem, now()), InstallStatus::Accepted);
        assert_eq!(
            store.install(MANUFACTURER, &b.pem, now()),
            InstallStatus::Accepted
        );

        let a_hash = HashData::of_pem(&a.pem, None, HashAlgorithm::Sha256).unwrap();
        let b_hash = HashData::of_pem(&b.pem, None, HashAlgorithm::Sha256).unwrap();
        assert_eq!(store.installed(Some(CSMS)).unwrap(), vec![a_hash.clone()]);
        assert_eq!(
            store.installed(Some(MANUFACTURER)).unwrap(),
            vec![b_hash.clone()]
        );
        assert_eq!(store.installed(None).unwrap(), vec![a_hash, b_hash]);
        assert_eq!(store.pems(CSMS).unwrap(), vec![a.pem.clone()]);

        // A new run over the same directory sees the same certificates.
        let reopened = CertificateStore::open(store.dir()).unwrap();
        assert_eq!(reopened.pems(MANUFACTURER).unwrap(), vec![b.pem]);
    }

    #[test]
    fn install_rejects_garbage_leaf_expired_and_broken_certificates() {
        let (_tmp, store) = store();
        let root = Ca::root("R");
        assert_eq!(store.install(CSMS, "hello", now()), InstallStatus::Rejected);
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(store.install(CSMS, garbage, now()), InstallStatus::Rejected);

        let leaf = root.leaf(
            "cp",
            &p256(),
            ExtendedKeyUsagePurpose::ClientAuth,
            (2021, 2030),
        );
        assert_eq!(store.install(CSMS, &leaf, now()), InstallStatus::Rejected);

        let expired = Ca::root_with("Old", p256(), (2010, 2020));
        assert_eq!(
            store.install(CSMS, &expired.pem, now()),
            InstallStatus::Rejected
        );

        let two = format!("{}{}", root.pem, Ca::root("S").pem);
        assert_eq!(store.install(CSMS, &two, now()), InstallStatus::Rejected);

        // A self-signed root whose signature was tampered with.
        let mut der = first_certificate(&root.pem).unwrap().to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        assert_eq!(
            store.install(CSMS, &to_pem(&der), now()),
            InstallStatus::Rejected
        );

        assert!(store.installed(None).unwrap().is_empty());
        // Not yet valid is fine (clock may be behind at boot).
        let future = Ca::root_with("Future", p256(), (2030, 2040));
        assert_eq!(
            store.install(CSMS, &future.pem, now()),
            InstallStatus::Accepted
        );
    }

    #[test]
    fn install_rejects_beyond_the_limit_per_use() {
        let (_tmp, store) = store();
        let store = store.with_max_per_use(2);
        assert_eq!(store.max_per_use(), 2);
        let (a, b, c) = (Ca::root("A"), Ca::root("B"), Ca::root("C"));
        assert_eq!(
            store.install(MANUFACTURER, &a.pem, now()),
            InstallStatus::Accepted
        );
        assert_eq!(
            store.install(MANUFACTURER, &b.pem, now()),
            InstallStatus::Accepted
        );
        assert_eq!(
            store.install(MANUFACTURER, &c.pem, now()),
            InstallStatus::Rejected
        );
        // Re-installing one already there is still Accepted; the other use has its own room.
        assert_eq!(
            store.install(MANUFACTURER, &a.pem, now()),
            InstallStatus::Accepted
        );
        assert_eq!(store.install(CSMS, &c.pem, now()), InstallStatus::Accepted);
        assert_eq!(store.installed(Some(MANUFACTURER)).unwrap().len(), 2);
    }

    #[test]
    fn delete_by_hash_data_and_not_found() {
        let (_tmp, store) = store();
        let (a, b, m) = (Ca::root("A"), Ca::root("B"), Ca::root("M"));
        for (usage, ca) in [(CSMS, &a), (CSMS, &b), (MANUFACTURER, &m)] {
            assert_eq!(
                store.install(usage, &ca.pem, now()),
                InstallStatus::Accepted
            );
        }
        let a_hash = HashData::of_pem(&a.pem, None, HashAlgorithm::Sha256).unwrap();
        // As a CSMS might send it: upper case, serial with a leading zero.
        let mut sent = a_hash.clone();
        sent.issuer_name_hash = sent.issuer_name_hash.to_ascii_uppercase();
        sent.serial_number = format!("0{}", sent.serial_number);
        assert_eq!(store.delete(&sent), DeleteStatus::Accepted);
        assert_eq!(store.delete(&a_hash), DeleteStatus::NotFound);
        assert_eq!(store.pems(CSMS).unwrap(), vec![b.pem.clone()]);

        // The whitepaper lets a CSMS use SHA-384/512 if it installed with them.
        let m_384 = HashData::of_pem(&m.pem, None, HashAlgorithm::Sha384).unwrap();
        assert_eq!(m_384.issuer_key_hash.len(), 96);
        assert_eq!(store.delete(&m_384), DeleteStatus::Accepted);
        // Deleting the last manufacturer root is allowed.
        assert!(store.installed(Some(MANUFACTURER)).unwrap().is_empty());
    }

    #[test]
    fn delete_refuses_the_last_central_system_root() {
        let (_tmp, store) = store();
        let (a, b) = (Ca::root("A"), Ca::root("B"));
        store.install(CSMS, &a.pem, now());
        store.install(CSMS, &b.pem, now());
        let a_hash = HashData::of_pem(&a.pem, None, HashAlgorithm::Sha256).unwrap();
        let b_hash = HashData::of_pem(&b.pem, None, HashAlgorithm::Sha256).unwrap();
        assert_eq!(store.delete(&a_hash), DeleteStatus::Accepted);
        assert_eq!(store.delete(&b_hash), DeleteStatus::Failed);
        assert_eq!(store.installed(Some(CSMS)).unwrap(), vec![b_hash]);
    }

    #[test]
    fn intermediate_hash_data_uses_the_installed_issuer_key() {
        let (_tmp, store) = store();
        let root = Ca::root("Root");
        let sub = root.intermediate("Sub");
        store.install(CSMS, &root.pem, now());
        assert_eq!(
            store.install(CSMS, &sub.pem, now()),
            InstallStatus::Accepted
        );
        let expected = HashData::of_pem(&sub.pem, Some(&root.pem), HashAlgorithm::Sha256).unwrap();
        assert_eq!(expected.issuer_key_hash, sha256_hex(root.key.der_bytes()));
        assert!(store.installed(Some(CSMS)).unwrap().contains(&expected));
        assert_eq!(store.delete(&expected), DeleteStatus::Accepted);
        assert_eq!(store.pems(CSMS).unwrap(), vec![root.pem]);
    }

    #[test]
    fn ca_bundle_holds_the_installed_roots() {
        let (_tmp, store) = store();
        assert_eq!(store.ca_bundle_path(CSMS).unwrap(), None);
        let (a, b) = (Ca::root("A"), Ca::root("B"));
        store.install(CSMS, &a.pem, now());
        store.install(CSMS, &b.pem, now());
        let path = store.ca_bundle_path(CSMS).unwrap().unwrap();
        let bundle = fs::read_to_string(&path).unwrap();
        let ders = certificates(&bundle).unwrap();
        assert_eq!(ders.len(), 2);
        for ca in [&a, &b] {
            assert!(ders.contains(&first_certificate(&ca.pem).unwrap()));
        }
        // The bundle is loadable as rustls trust anchors, as the TLS link does.
        let mut roots = rustls::RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(ders);
        assert_eq!((added, ignored), (2, 0));

        // Deleting refreshes it.
        store.delete(&HashData::of_pem(&a.pem, None, HashAlgorithm::Sha256).unwrap());
        let bundle = fs::read_to_string(&path).unwrap();
        assert_eq!(bundle, b.pem);
        // Manufacturer roots have their own (absent) bundle.
        assert_eq!(store.ca_bundle_path(MANUFACTURER).unwrap(), None);
    }

    // --- signed firmware -----------------------------------------------------------------

    /// A manufacturer root, a firmware file and the signing certificate for `key`.
    struct Firmware {
        _tmp: tempfile::TempDir,
        root: Ca,
        path: PathBuf,
        bytes: Vec<u8>,
    }

    fn firmware() -> Firmware {
        let tmp = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let path = tmp.path().join("firmware.bin");
        fs::write(&path, &bytes).unwrap();
        Firmware {
            _tmp: tmp,
            root: Ca::root("Manufacturer Root"),
            path,
            bytes,
        }
    }

    impl Firmware {
        fn signing_cert(&self, key: &impl PublicKeyData) -> String {
            self.root.leaf(
                "Firmware Signing",
                key,
                ExtendedKeyUsagePurpose::CodeSigning,
                (2022, 2030),
            )
        }

        fn verify(&self, cert: &str, signature: &[u8]) -> Result<(), SignatureError> {
            let b64 = base64::engine::general_purpose::STANDARD.encode(signature);
            verify_firmware_signature(
                cert,
                &b64,
                &self.path,
                std::slice::from_ref(&self.root.pem),
                now(),
            )
        }

        /// Signs the firmware with the openssl CLI (for algorithms ring cannot sign with).
        fn openssl_sign(&self, key_pem: &str, extra: &[&str]) -> Vec<u8> {
            let dir = self.path.parent().unwrap();
            let key = write(dir, "signing.key", key_pem.as_bytes());
            let sig = dir.join("sig.bin");
            let fw = self.path.to_string_lossy().into_owned();
            let sig_arg = sig.to_string_lossy().into_owned();
            let mut args = vec!["dgst", "-sha256", "-sign", &key];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["-out", &sig_arg, &fw]);
            openssl(&args);
            fs::read(sig).unwrap()
        }
    }

    #[test]
    fn firmware_signed_with_ecdsa_p256_verifies() {
        let fw = firmware();
        let key = p256();
        let cert = fw.signing_cert(&key);
        let signature = key.sign(&fw.bytes).unwrap();
        fw.verify(&cert, &signature).unwrap();
        // Base64 wrapped over lines, as some tools write it, is fine too.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
        let wrapped = format!("{}\n{}\n", &b64[..20], &b64[20..]);
        verify_firmware_signature(
            &cert,
            &wrapped,
            &fw.path,
            std::slice::from_ref(&fw.root.pem),
            now(),
        )
        .unwrap();
    }

    #[test]
    fn a_multi_mib_image_is_hashed_in_chunks_and_verifies() {
        // 9 MiB and a bit: many hash chunks, the last one short.
        let fw = firmware();
        let bytes: Vec<u8> = (0..9 * 1024 * 1024 + 12_345u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        fs::write(&fw.path, &bytes).unwrap();
        let key = p256();
        let cert = fw.signing_cert(&key);
        let signature = key.sign(&bytes).unwrap();
        fw.verify(&cert, &signature).unwrap();
        // A flipped bit in the last chunk is seen.
        let mut tampered = bytes;
        let last = tampered.len() - 1;
        tampered[last] ^= 0x80;
        fs::write(&fw.path, &tampered).unwrap();
        assert!(matches!(
            fw.verify(&cert, &signature),
            Err(SignatureError::BadSignature)
        ));
        // A canceled check stops.
        let canceled = std::sync::atomic::AtomicBool::new(true);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
        assert!(matches!(
            verify_firmware_signature_until(
                &cert,
                &b64,
                &fw.path,
                std::slice::from_ref(&fw.root.pem),
                now(),
                &canceled
            ),
            Err(SignatureError::Canceled)
        ));
    }

    #[test]
    fn firmware_with_one_flipped_byte_fails() {
        let fw = firmware();
        let key = p256();
        let cert = fw.signing_cert(&key);
        let signature = key.sign(&fw.bytes).unwrap();
        let mut bytes = fw.bytes.clone();
        bytes[123_456] ^= 0x20;
        fs::write(&fw.path, &bytes).unwrap();
        assert!(matches!(
            fw.verify(&cert, &signature),
            Err(SignatureError::BadSignature)
        ));
    }

    #[test]
    fn firmware_signed_with_p384_and_rsa_verifies() {
        if !has_openssl() {
            return;
        }
        let fw = firmware();
        // ECDSA P-384 with SHA-256 (ring cannot sign that combination; openssl can).
        let p384 = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = fw.signing_cert(&p384);
        let signature = fw.openssl_sign(&p384.serialize_pem(), &[]);
        fw.verify(&cert, &signature).unwrap();

        // RSA 2048, PKCS#1 v1.5 and PSS (salt length = digest length), both SHA-256.
        let dir = tempfile::tempdir().unwrap();
        let rsa_path = dir.path().join("rsa.pem").to_string_lossy().into_owned();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &rsa_path,
        ]);
        let rsa_pem = fs::read_to_string(&rsa_path).unwrap();
        let rsa = KeyPair::from_pem(&rsa_pem).unwrap();
        let cert = fw.signing_cert(&rsa);
        let pkcs1 = fw.openssl_sign(&rsa_pem, &[]);
        fw.verify(&cert, &pkcs1).unwrap();
        let pss = fw.openssl_sign(
            &rsa_pem,
            &[
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ],
        );
        assert_ne!(pss, pkcs1);
        fw.verify(&cert, &pss).unwrap();
        // One flipped bit in the signature and it no longer verifies.
        let mut broken = pss;
        broken[10] ^= 1;
        assert!(matches!(
            fw.verify(&cert, &broken),
            Err(SignatureError::BadSignature)
        ));
    }

    #[test]
    fn firmware_signer_must_chain_to_a_manufacturer_root() {
        let fw = firmware();
        let key = p256();
        let stranger = Ca::root("Stranger");
        let cert = stranger.leaf(
            "Firmware",
            &key,
            ExtendedKeyUsagePurpose::CodeSigning,
            (2022, 2030),
        );
        let signature = key.sign(&fw.bytes).unwrap();
        assert!(matches!(
            fw.verify(&cert, &signature),
            Err(SignatureError::UntrustedCertificate(_))
        ));
        // No manufacturer root installed at all.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&signature);
        let good = fw.signing_cert(&key);
        assert!(matches!(
            verify_firmware_signature(&good, &b64, &fw.path, &[], now()),
            Err(SignatureError::UntrustedCertificate(_))
        ));
        // A certificate for TLS clients is not one for code signing.
        let tls = fw.root.leaf(
            "Firmware",
            &key,
            ExtendedKeyUsagePurpose::ClientAuth,
            (2022, 2030),
        );
        assert!(matches!(
            fw.verify(&tls, &signature),
            Err(SignatureError::UntrustedCertificate(_))
        ));
        // Signed with an intermediate the signing certificate text carries along.
        let sub = fw.root.intermediate("Firmware CA");
        let leaf = sub.leaf(
            "Firmware",
            &key,
            ExtendedKeyUsagePurpose::CodeSigning,
            (2022, 2030),
        );
        fw.verify(&format!("{leaf}{}", sub.pem), &signature)
            .unwrap();
    }

    #[test]
    fn firmware_signer_must_be_within_its_validity() {
        let fw = firmware();
        let key = p256();
        let signature = key.sign(&fw.bytes).unwrap();
        let expired = fw.root.leaf(
            "Firmware",
            &key,
            ExtendedKeyUsagePurpose::CodeSigning,
            (2021, 2024),
        );
        assert!(matches!(
            fw.verify(&expired, &signature),
            Err(SignatureError::CertificateExpired)
        ));
        let future = fw.root.leaf(
            "Firmware",
            &key,
            ExtendedKeyUsagePurpose::CodeSigning,
            (2026, 2030),
        );
        assert!(matches!(
            fw.verify(&future, &signature),
            Err(SignatureError::CertificateNotYetValid)
        ));
    }

    #[test]
    fn firmware_input_errors_are_distinct() {
        let fw = firmware();
        let key = p256();
        let cert = fw.signing_cert(&key);
        let roots = [fw.root.pem.clone()];
        assert!(matches!(
            verify_firmware_signature("nope", "AAAA", &fw.path, &roots, now()),
            Err(SignatureError::BadPem(_))
        ));
        assert!(matches!(
            verify_firmware_signature(&cert, "not base64!", &fw.path, &roots, now()),
            Err(SignatureError::BadBase64(_))
        ));
        let missing = fw.path.with_file_name("missing.bin");
        assert!(matches!(
            verify_firmware_signature(&cert, "AAAA", &missing, &roots, now()),
            Err(SignatureError::UnreadableFile { .. })
        ));
        // An Ed25519 signing key is not among the whitepaper's algorithms.
        let ed = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let ed_cert = fw.signing_cert(&ed);
        let sig = ed.sign(&fw.bytes).unwrap();
        assert!(matches!(
            fw.verify(&ed_cert, &sig),
            Err(SignatureError::UnsupportedAlgorithm(_))
        ));
    }

    // --- CSR and CertificateSigned -------------------------------------------------------

    #[test]
    fn csr_carries_cn_and_o_and_verifies() {
        let key = PendingKey::generate().unwrap();
        let pem = key.csr_pem("CP-0042", "Truck Charging BV").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        let der = rustls::pki_types::CertificateSigningRequestDer::from_pem_slice(pem.as_bytes())
            .unwrap();
        let (_, csr) = X509CertificationRequest::from_der(der.as_ref()).unwrap();
        csr.verify_signature().unwrap();
        let subject = &csr.certification_request_info.subject;
        let cn: Vec<_> = subject
            .iter_common_name()
            .map(|a| a.as_str().unwrap())
            .collect();
        let o: Vec<_> = subject
            .iter_organization()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(cn, ["CP-0042"]);
        assert_eq!(o, ["Truck Charging BV"]);
        assert_eq!(
            &csr.certification_request_info
                .subject_pki
                .subject_public_key
                .data[..],
            key.public_key_raw()
        );
        assert!(key.csr_pem("", "X").is_err());
        assert!(key.csr_pem("CP", "").is_err());

        if has_openssl() {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "req.pem", pem.as_bytes());
            let out = Command::new("openssl")
                .args(["req", "-in", &path, "-noout", "-verify", "-subject"])
                .output()
                .unwrap();
            assert!(out.status.success());
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("verify OK"), "{text}");
            assert!(
                text.contains("CN = CP-0042") || text.contains("CN=CP-0042"),
                "{text}"
            );
        }
    }

    #[test]
    fn pending_key_round_trips_and_is_redacted() {
        let key = PendingKey::generate().unwrap();
        let pem = key.key_pem();
        assert!(pem.contains("PRIVATE KEY"));
        let again = PendingKey::from_pem(&pem).unwrap();
        assert_eq!(again.public_key_raw(), key.public_key_raw());
        assert!(PendingKey::from_pem("garbage").is_err());
        let debug = format!("{key:?}");
        assert!(debug.contains("redacted"));
        assert!(!debug.contains("PRIVATE"));

        let cert = ClientCertificate {
            chain_pem: "chain".into(),
            key_pem: pem.clone(),
            not_before_unix_s: 0,
            not_after_unix_s: 1,
        };
        let debug = format!("{cert:?}");
        assert!(debug.contains("redacted") && !debug.contains(&pem));
    }

    /// A CSMS-side CPO CA with an intermediate that signs the charge point's CSR.
    fn signed_chain(key: &PendingKey, cn: &str, years: (i32, i32)) -> (Ca, String) {
        let root = Ca::root("CPO Root");
        let sub = root.intermediate("CPO Sub CA");
        let leaf = sub.leaf(cn, &key.key, ExtendedKeyUsagePurpose::ClientAuth, years);
        (root, format!("{leaf}{}", sub.pem))
    }

    #[test]
    fn accept_signed_chain_and_store_it() {
        let key = PendingKey::generate().unwrap();
        let (root, chain) = signed_chain(&key, "CP-0042", (2025, 2027));
        let cert = accept_signed_chain(
            &chain,
            &key,
            "CP-0042",
            std::slice::from_ref(&root.pem),
            now(),
        )
        .unwrap();
        assert_eq!(
            cert.not_before_unix_s,
            date_time_ymd(2025, 1, 1).unix_timestamp()
        );
        assert_eq!(
            cert.not_after_unix_s,
            date_time_ymd(2027, 1, 1).unix_timestamp()
        );
        assert_eq!(certificates(&cert.chain_pem).unwrap().len(), 2);
        assert_eq!(cert.key_pem, key.key_pem());

        let (_tmp, store) = store();
        let (cert_path, key_path) = store.store_client_certificate(&cert).unwrap();
        assert_eq!(fs::read_to_string(&cert_path).unwrap(), cert.chain_pem);
        assert_eq!(fs::read_to_string(&key_path).unwrap(), cert.key_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file mode {mode:o}");
        }
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(cert_path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        // The stored pair loads as a rustls client identity.
        let chain = CertificateDer::pem_file_iter(&cert_path)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let private = rustls::pki_types::PrivateKeyDer::from_pem_file(&key_path).unwrap();
        rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_client_auth_cert(chain, private)
        .unwrap();
    }

    #[test]
    fn accept_signed_chain_rejects_wrong_key_cn_and_expiry() {
        let key = PendingKey::generate().unwrap();
        let other = PendingKey::generate().unwrap();
        let (root, chain) = signed_chain(&other, "CP-0042", (2025, 2027));
        let roots = [root.pem];
        assert!(matches!(
            accept_signed_chain(&chain, &key, "CP-0042", &roots, now()),
            Err(CertError::KeyMismatch)
        ));
        let (root, chain) = signed_chain(&key, "CP-0043", (2025, 2027));
        assert!(matches!(
            accept_signed_chain(&chain, &key, "CP-0042", &[root.pem], now()),
            Err(CertError::WrongCommonName { found, .. }) if found == "CP-0043"
        ));
        let (root, chain) = signed_chain(&key, "CP-0042", (2022, 2024));
        assert!(matches!(
            accept_signed_chain(&chain, &key, "CP-0042", &[root.pem], now()),
            Err(CertError::Expired)
        ));
        assert!(matches!(
            accept_signed_chain("junk", &key, "CP-0042", &[], now()),
            Err(CertError::Pem(_))
        ));
    }

    #[test]
    fn accept_signed_chain_rejects_an_untrusted_chain() {
        let key = PendingKey::generate().unwrap();
        let (_root, chain) = signed_chain(&key, "CP-0042", (2025, 2027));
        let other_root = Ca::root("Other Root");
        assert!(matches!(
            accept_signed_chain(&chain, &key, "CP-0042", &[other_root.pem], now()),
            Err(CertError::Untrusted(_))
        ));
        // Without its intermediate the leaf does not reach the root either.
        let (root, chain) = signed_chain(&key, "CP-0042", (2025, 2027));
        let leaf_only = to_pem(&certificates(&chain).unwrap()[0]);
        assert!(matches!(
            accept_signed_chain(
                &leaf_only,
                &key,
                "CP-0042",
                std::slice::from_ref(&root.pem),
                now()
            ),
            Err(CertError::Untrusted(_))
        ));
        // With no roots installed the chain check is skipped (documented).
        accept_signed_chain(&leaf_only, &key, "CP-0042", &[], now()).unwrap();
    }

    #[test]
    fn accept_signed_chain_takes_a_certificate_valid_from_tomorrow() {
        let key = PendingKey::generate().unwrap();
        let (root, chain) = signed_chain(&key, "CP-0042", (2025, 2027));
        let a_day_early = date_time_ymd(2025, 1, 1).unix_timestamp() - 86_400;
        let cert = accept_signed_chain(&chain, &key, "CP-0042", &[root.pem], a_day_early).unwrap();
        assert!(cert.not_before_unix_s > a_day_early);
    }
}
