//! File transfers for OCPP: firmware downloads (UpdateFirmware, SignedUpdateFirmware) and
//! uploads of diagnostics and log archives (GetDiagnostics, GetLog).
//!
//! The CSMS names the location as a URL: `http://`, `https://`, `ftp://` or `ftps://`, with
//! optional `user:password@` (percent-encoded) in it. This module is the imperative shell that moves the
//! bytes; what to transfer, when, and which status notifications to send is decided by the OCPP
//! application.
//!
//! * **HTTP/1.1** is a small client of our own over tokio TCP (and tokio-rustls for `https`):
//!   one request per connection (`Connection: close`), bodies framed by `Content-Length`,
//!   `chunked` or the end of the connection, up to [`MAX_REDIRECTS`] redirects. Credentials in
//!   the URL go out as HTTP Basic, and only to the same origin.
//! * **TLS** trusts only the CA bundle in [`TransferSettings::ca_bundle`] (the configured
//!   `transfer_ca_bundle`, the OCPP link's `ca_bundle`, or the operating system's bundle
//!   [`SYSTEM_CA_BUNDLE`] when the operator chose `transfer_trust = "system"`); `https` without
//!   one fails. The host name is verified and sent as SNI.
//! * **FTP** (RFC 959, RFC 2428) in passive mode: `EPSV`, falling back to `PASV`; binary
//!   `TYPE I`; `RETR`/`STOR`. **`ftps://`** is explicit FTPS (RFC 4217): `AUTH TLS` on the
//!   control connection before the user name and password go out, `PBSZ 0`, `PROT P`, and
//!   every data connection in TLS too (same trust, same server name, the TLS session resumed
//!   as servers that require it expect). The data connection goes to the control connection's peer
//!   address whatever `PASV` announces (servers behind NAT announce private addresses, and a
//!   hostile one could point us elsewhere).
//! * Every read and write has the idle timeout: a peer that sends nothing for that long fails
//!   the transfer instead of hanging it. Every attempt as a whole (connection, redirects,
//!   transfer) has a deadline too, [`TransferSettings::attempt_timeout`]: a peer that sends one
//!   byte just inside the idle timeout cannot hold the single firmware or log transfer slot for
//!   ever. An attempt that misses it fails like any other (retries apply, a partial download
//!   is removed).
//! * At most [`MAX_INTERIM_RESPONSES`] interim (`1xx`) HTTP responses are skipped before the
//!   final one; more fail the attempt.
//! * Passwords never reach a log or an error: both use [`redact_url`].
//!
//! **Policy** (what a CSMS may make the board connect to, [`TransferSettings`]):
//! * uploads (diagnostics, logs: the station's data) need TLS — `https://` or `ftps://` —
//!   unless [`TransferSettings::allow_insecure_uploads`]; downloads may be plain (signed
//!   firmware carries its own integrity);
//! * a redirect from `https` to plain `http` is refused, not followed;
//! * unless [`TransferSettings::allow_local_hosts`], an address that is loopback, link-local,
//!   unspecified, multicast or broadcast, or one of the board's own, is refused. The check is
//!   on the addresses the name resolves to, and the connection goes to exactly the address
//!   checked (no second lookup a rebinding DNS server could answer differently); it applies to
//!   every redirect hop and FTP data connection.
//!
//! Downloads go to `<dest>.partial` and are renamed to `<dest>` only when complete, so a
//! half-downloaded firmware image is never mistaken for a whole one.

use std::fmt;
use std::future::Future;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The operating system's CA bundle (Debian, Ubuntu, Yocto's `ca-certificates`), used with
/// `transfer_trust = "system"`.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Redirects followed before a download or upload fails.
pub const MAX_REDIRECTS: usize = 5;
/// Interim (`1xx`, e.g. `100 Continue`) HTTP responses skipped before the final response; a
/// peer sending more fails the attempt (it would otherwise hold the transfer without end).
pub const MAX_INTERIM_RESPONSES: usize = 10;
/// The multipart/form-data field that carries an uploaded file.
pub const MULTIPART_FIELD: &str = "file";

const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_LINE_BYTES: usize = 8 * 1024;
const MAX_FTP_REPLY_LINES: usize = 200;
const IO_CHUNK: usize = 64 * 1024;
/// How long QUIT may take at the end of an FTP session (its answer changes nothing).
const FTP_QUIT_WAIT: Duration = Duration::from_secs(2);
/// `journalctl` gets this long before it is killed.
const JOURNAL_TIMEOUT: Duration = Duration::from_secs(30);

/// How an HTTP(S) upload sends the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMethod {
    /// `PUT` of the raw bytes to the URL.
    Put,
    /// `POST` of `multipart/form-data` with the file in field [`MULTIPART_FIELD`], under its
    /// file name (what most CSMS diagnostics endpoints expect).
    #[default]
    PostMultipart,
}

/// Settings of every transfer.
#[derive(Debug, Clone)]
pub struct TransferSettings {
    /// CA certificates (PEM) trusted for `https`; without it `https` fails.
    pub ca_bundle: Option<PathBuf>,
    /// Limit for name resolution, the TCP connection and the TLS handshake together.
    pub connect_timeout: Duration,
    /// A transfer fails when no byte moves for this long.
    pub idle_timeout: Duration,
    /// One attempt (connection, redirects and the whole transfer) fails after this long
    /// (`ocpp.files.transfer_attempt_timeout_s`), however steadily bytes trickle.
    pub attempt_timeout: Duration,
    /// A download larger than this fails (announced sizes fail before any byte is written).
    pub max_download_bytes: u64,
    pub upload_method: UploadMethod,
    /// Uploads over plain `http://` and `ftp://` (default: refused; TLS only).
    pub allow_insecure_uploads: bool,
    /// Peers on loopback, link-local, unspecified, multicast or broadcast addresses, or on the
    /// board's own addresses (default: refused).
    pub allow_local_hosts: bool,
}

impl Default for TransferSettings {
    fn default() -> TransferSettings {
        TransferSettings {
            ca_bundle: None,
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30 * 60),
            max_download_bytes: 1 << 30,
            upload_method: UploadMethod::default(),
            allow_insecure_uploads: false,
            allow_local_hosts: false,
        }
    }
}

/// Why a transfer failed. URLs in it are redacted ([`redact_url`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransferError {
    #[error("bad URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "unsupported URL scheme {scheme:?} in {url:?} (http, https, ftp and ftps are supported)"
    )]
    UnsupportedScheme { url: String, scheme: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("TLS with {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("{url}: HTTP {code} {reason}")]
    HttpStatus {
        url: String,
        code: u16,
        reason: String,
    },
    #[error("{url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("{url}: FTP {command} answered {code} {text}")]
    FtpReply {
        url: String,
        command: String,
        code: u16,
        text: String,
    },
    #[error("{url}: timed out {phase}")]
    Timeout { url: String, phase: String },
    #[error("{url}: larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: connection failed: {reason}")]
    Network { url: String, reason: String },
    #[error("{}: {reason}", path.display())]
    LocalIo { path: PathBuf, reason: String },
    /// The transfer policy forbids it (an insecure upload, a local address, a downgrading
    /// redirect).
    #[error("{url}: refused: {reason}")]
    Refused { url: String, reason: String },
}

impl TransferError {
    /// Errors that another attempt cannot cure (the URL itself is unusable).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            TransferError::BadUrl { .. }
                | TransferError::UnsupportedScheme { .. }
                | TransferError::Refused { .. }
        )
    }

    fn local(path: &Path, reason: impl fmt::Display) -> TransferError {
        TransferError::LocalIo {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// `url` with the password in its user info replaced by `***` (`ftp://u:***@host/x`). Works
/// on malformed URLs too, so whatever the CSMS sent can be logged.
pub fn redact_url(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    // Up to the query: a password with a raw '/' (malformed, but a CSMS may send it) would end
    // the authority early and slip through; the last '@' before the query ends any user info.
    // A path holding "x:y@z" is redacted too: harmless in a log line.
    let before_query = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let Some(at) = before_query.rfind('@') else {
        return url.to_string();
    };
    let Some(colon) = before_query[..at].find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}***{}",
        &url[..authority_start],
        &rest[..=colon],
        &rest[at..]
    )
}

// ---------------------------------------------------------------------------------------------
// URLs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
    Ftp,
    /// Explicit FTPS (RFC 4217): port 21, `AUTH TLS`.
    Ftps,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Ftp => "ftp",
            Scheme::Ftps => "ftps",
        }
    }

    /// Whether the whole transfer (credentials and data) runs in TLS.
    fn is_tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Ftps)
    }

    fn is_ftp(self) -> bool {
        matches!(self, Scheme::Ftp | Scheme::Ftps)
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
            Scheme::Ftp | Scheme::Ftps => 21,
        }
    }
}

/// A parsed transfer URL. Holds the password: its `Debug` shows only the redacted form.
#[derive(Clone)]
struct Url {
    scheme: Scheme,
    /// Percent-decoded.
    user: Option<String>,
    /// Percent-decoded.
    password: Option<String>,
    /// Without the brackets of an IPv6 literal.
    host: String,
    port: u16,
    /// Path and query as they go on the request line (starts with `/`, no fragment).
    target: String,
    redacted: String,
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl Url {
    fn parse(raw: &str) -> Result<Url, TransferError> {
        let raw = raw.trim();
        let redacted = redact_url(raw);
        let bad = |reason: &str| TransferError::BadUrl {
            url: redacted.clone(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("no scheme (expected http://, https://, ftp:// or ftps://)"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ftp" => Scheme::Ftp,
            "ftps" => Scheme::Ftps,
            _ => {
                return Err(TransferError::UnsupportedScheme {
                    url: redacted.clone(),
                    scheme: scheme.to_string(),
                })
            }
        };
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_len);
        let tail = tail.split('#').next().unwrap_or("");
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let decode = |s: &str| {
                    let s = String::from_utf8(percent_decode(s))
                        .map_err(|_| bad("user info is not UTF-8 once decoded"))?;
                    if s.chars().any(char::is_control) {
                        return Err(bad("control characters in the user info"));
                    }
                    Ok(s)
                };
                (Some(decode(u)?), p.map(decode).transpose()?)
            }
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed [ in the host"))?;
            if !host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.%".contains(c))
            {
                return Err(bad("not an IPv6 address in [ ]"));
            }
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
            };
            (host, port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if !hostport.starts_with('[')
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        {
            return Err(bad("invalid characters in the host"));
        }
        let port = match port {
            None | Some("") => scheme.default_port(),
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => return Err(bad("invalid port")),
            },
        };
        let mut target = String::with_capacity(tail.len() + 1);
        if !tail.starts_with('/') {
            target.push('/');
        }
        for &b in tail.as_bytes() {
            match b {
                // CR/LF would let the URL inject request lines or FTP commands.
                0..=0x1f | 0x7f => return Err(bad("control characters in the path")),
                b' ' | 0x80..=0xff => target.push_str(&format!("%{b:02X}")),
                _ => target.push(char::from(b)),
            }
        }
        Ok(Url {
            scheme,
            user,
            password,
            host: host.to_string(),
            port,
            target,
            redacted,
        })
    }

    /// `host:port` for messages and `Host:`, with brackets around an IPv6 literal.
    fn host_port(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    fn origin(&self) -> String {
        format!("{}://{}", self.scheme.name(), self.host_port())
    }

    fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
    }

    /// The URL a `Location` header points to. Credentials carry over only to the same origin.
    fn redirect(&self, location: &str) -> Result<Url, TransferError> {
        let location = location.trim();
        let scheme_len = location.find(['/', '?', '#']).unwrap_or(location.len());
        let absolute = if location[..scheme_len].contains(':') {
            location.to_string()
        } else if location.starts_with("//") {
            format!("{}:{location}", self.scheme.name())
        } else if location.starts_with('/') {
            format!("{}{location}", self.origin())
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            if location.starts_with('?') {
                format!("{}{path}{location}", self.origin())
            } else {
                let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                format!("{}{dir}{location}", self.origin())
            }
        };
        let mut next = Url::parse(&absolute)?;
        if next.scheme.is_ftp() {
            return Err(TransferError::Protocol {
                url: self.redacted.clone(),
                reason: format!("redirect to a non-HTTP URL {}", next.redacted),
            });
        }
        if next.user.is_none() && self.same_origin(&next) {
            next.user.clone_from(&self.user);
            next.password.clone_from(&self.password);
        }
        Ok(next)
    }

    /// The FTP path: percent-decoded, relative to the login directory (RFC 1738).
    fn ftp_path(&self) -> Result<String, TransferError> {
        let raw = self.target.strip_prefix('/').unwrap_or(&self.target);
        let path = String::from_utf8(percent_decode(raw)).map_err(|_| TransferError::BadUrl {
            url: self.redacted.clone(),
            reason: "path is not UTF-8 once decoded".into(),
        })?;
        if path.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
            return Err(TransferError::BadUrl {
                url: self.redacted.clone(),
                reason: "control characters in the path".into(),
            });
        }
        Ok(path)
    }
}

/// Percent-decoding; a `%` not followed by two hex digits stays as it is (lenient, like curl:
/// operators paste passwords with a bare `%`).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_value(b[i + 1]), hex_value(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Connections

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why `ip` may not be a transfer peer, if it may not (`own`: whether an address is the
/// board's). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
pub fn forbidden_address(ip: IpAddr, own: impl Fn(IpAddr) -> bool) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let why = match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Some("a loopback address"),
        IpAddr::V4(v4) if v4.is_unspecified() => Some("the unspecified address"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("a link-local address"),
        IpAddr::V4(v4) if v4.is_broadcast() || v4.is_multicast() => {
            Some("a broadcast or multicast address")
        }
        IpAddr::V6(v6) if v6.is_loopback() => Some("a loopback address"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => Some("a link-local address"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("a multicast address"),
        _ => None,
    };
    why.or_else(|| own(ip).then_some("one of this board's own addresses"))
}

/// Whether `ip` is assigned to one of the board's interfaces: only then can a socket be bound
/// to it (Linux refuses others with `EADDRNOTAVAIL`; `ip_nonlocal_bind` is off by default).
fn is_own_address(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(std::net::SocketAddr::new(ip, 0)).is_ok()
}

/// Resolves `host`, drops the addresses the policy forbids, and connects to the first of the
/// rest that answers: the address connected to is the address checked.
async fn tcp_connect(
    url: &Url,
    host: &str,
    port: u16,
    settings: &TransferSettings,
) -> Result<TcpStream, TransferError> {
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let connecting = async {
        let resolved =
            tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| TransferError::Connect {
                    addr: addr.clone(),
                    reason: format!("cannot resolve: {e}"),
                })?;
        let mut refused = None;
        let mut failed = None;
        for candidate in resolved {
            if !settings.allow_local_hosts {
                if let Some(why) = forbidden_address(candidate.ip(), is_own_address) {
                    refused = Some(format!(
                        "{addr} resolves to {}, {why} (allow with ocpp.files.allow_local_transfer_hosts)",
                        candidate.ip()
                    ));
                    continue;
                }
            }
            match TcpStream::connect(candidate).await {
                Ok(tcp) => return Ok(tcp),
                Err(e) => failed = Some(format!("{candidate}: {e}")),
            }
        }
        Err(match (failed, refused) {
            (Some(reason), _) => TransferError::Connect { addr, reason },
            (None, Some(reason)) => TransferError::Refused {
                url: url.redacted.clone(),
                reason,
            },
            (None, None) => TransferError::Connect {
                addr,
                reason: "the name resolves to no address".into(),
            },
        })
    };
    let tcp = match timeout(settings.connect_timeout, connecting).await {
        Err(_) => {
            return Err(TransferError::Timeout {
                url: url.redacted.clone(),
                phase: format!(
                    "connecting to {host}:{port} (limit {:?})",
                    settings.connect_timeout
                ),
            })
        }
        Ok(result) => result?,
    };
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// The TLS configuration: the CA bundle's certificates are the only trust anchors.
fn tls_config(url: &Url, settings: &TransferSettings) -> Result<Arc<ClientConfig>, TransferError> {
    let path = settings
        .ca_bundle
        .as_ref()
        .ok_or_else(|| TransferError::Tls {
            host: url.host_port(),
            reason: "TLS needs a CA bundle (ocpp.files.transfer_ca_bundle or ocpp.ca_bundle, or \
                     ocpp.files.transfer_trust = \"system\")"
                .into(),
        })?;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| TransferError::local(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransferError::local(path, format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(TransferError::local(
            path,
            "no CERTIFICATE in the CA bundle",
        ));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| TransferError::local(path, format!("unusable CA certificate: {e}")))?;
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TransferError::Tls {
                host: url.host_port(),
                reason: e.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A byte stream with a read buffer, the idle timeout on every read and write, and the URL
/// (redacted) to name in errors.
struct Conn {
    io: Box<dyn Io>,
    buf: Vec<u8>,
    pos: usize,
    idle: Duration,
    url: String,
}

impl Conn {
    fn new(io: Box<dyn Io>, idle: Duration, url: &Url) -> Conn {
        Conn {
            io,
            buf: Vec::new(),
            pos: 0,
            idle,
            url: url.redacted.clone(),
        }
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    fn idle_timeout(&self) -> TransferError {
        TransferError::Timeout {
            url: self.url.clone(),
            phase: format!("(nothing received or sent for {:?})", self.idle),
        }
    }

    /// Reads more bytes into the buffer; 0 at the end of the stream.
    async fn fill(&mut self) -> Result<usize, TransferError> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        self.buf.resize(start + IO_CHUNK, 0);
        let read = timeout(self.idle, self.io.read(&mut self.buf[start..])).await;
        let n = match read {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                self.buf.truncate(start);
                return Err(net_error(&self.url, &e));
            }
            Err(_) => {
                self.buf.truncate(start);
                return Err(self.idle_timeout());
            }
        };
        self.buf.truncate(start + n);
        Ok(n)
    }

    /// One line without its CR LF.
    async fn read_line(&mut self) -> Result<Vec<u8>, TransferError> {
        loop {
            if let Some(i) = self.buffered().iter().position(|&b| b == b'\n') {
                let mut line = self.buffered()[..i].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.consume(i + 1);
                return Ok(line);
            }
            if self.buffered().len() > MAX_LINE_BYTES {
                return Err(self.protocol(format!("line longer than {MAX_LINE_BYTES} bytes")));
            }
            if self.fill().await? == 0 {
                return Err(self.protocol("connection closed in the middle of a line"));
            }
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> Result<(), TransferError> {
        match timeout(self.idle, self.io.write_all(data)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(net_error(&self.url, &e)),
            Err(_) => Err(self.idle_timeout()),
        }
    }

    async fn flush(&mut self) -> Result<(), TransferError> {
        match timeout(self.idle, self.io.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(net_error(&self.url, &e)),
            Err(_) => Err(self.idle_timeout()),
        }
    }

    fn protocol(&self, reason: impl Into<String>) -> TransferError {
        TransferError::Protocol {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }
}

/// An I/O error on the network; a TLS alert or certificate problem is a TLS error.
fn net_error(url: &str, e: &std::io::Error) -> TransferError {
    let tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if tls {
        TransferError::Tls {
            host: url.to_string(),
            reason: e.to_string(),
        }
    } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
        TransferError::Network {
            url: url.to_string(),
            reason: "connection closed without TLS close_notify (data may be truncated)".into(),
        }
    } else {
        TransferError::Network {
            url: url.to_string(),
            reason: e.to_string(),
        }
    }
}

/// Where a download is written: `<dest>.partial`, renamed when complete; it enforces the limit.
struct Sink {
    file: tokio::io::BufWriter<tokio::fs::File>,
    path: PathBuf,
    written: u64,
    limit: u64,
    url: String,
}

impl Sink {
    async fn create(path: &Path, limit: u64, url: &Url) -> Result<Sink, TransferError> {
        // A staged image decides what the board runs: 0600, and a link planted under its name
        // is replaced, never written through.
        let owned = path.to_path_buf();
        let file = tokio::task::spawn_blocking(move || {
            crate::files::create_replacing(&owned, crate::files::PRIVATE_FILE)
        })
        .await
        .map_err(|e| TransferError::local(path, std::io::Error::other(e)))?
        .map(tokio::fs::File::from_std)
        .map_err(|e| TransferError::local(path, e))?;
        Ok(Sink {
            file: tokio::io::BufWriter::with_capacity(4 * IO_CHUNK, file),
            path: path.to_path_buf(),
            written: 0,
            limit,
            url: url.redacted.clone(),
        })
    }

    fn too_large(&self) -> TransferError {
        TransferError::TooLarge {
            url: self.url.clone(),
            limit: self.limit,
        }
    }

    /// Fails early when the peer announces more than the limit.
    fn check_announced(&self, size: u64) -> Result<(), TransferError> {
        if size > self.limit {
            Err(self.too_large())
        } else {
            Ok(())
        }
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), TransferError> {
        let len = data.len() as u64;
        if self.written.saturating_add(len) > self.limit {
            return Err(self.too_large());
        }
        self.file
            .write_all(data)
            .await
            .map_err(|e| TransferError::local(&self.path, e))?;
        self.written += len;
        Ok(())
    }

    async fn finish(mut self) -> Result<u64, TransferError> {
        self.file
            .flush()
            .await
            .map_err(|e| TransferError::local(&self.path, e))?;
        self.file
            .get_mut()
            .sync_all()
            .await
            .map_err(|e| TransferError::local(&self.path, e))?;
        Ok(self.written)
    }
}

/// Where a download or an archive is written until it is complete: `<dest>.partial`.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

// ---------------------------------------------------------------------------------------------
// Public API: transfers

/// Downloads `url` to `dest` (through `<dest>.partial`); returns the number of bytes.
pub async fn download(
    url: &str,
    dest: &Path,
    settings: &TransferSettings,
) -> Result<u64, TransferError> {
    let url = Url::parse(url)?;
    let partial = partial_path(dest);
    tracing::info!(url = %url.redacted, dest = %dest.display(), "download started");
    let attempt = async {
        let mut sink = Sink::create(&partial, settings.max_download_bytes, &url).await?;
        match url.scheme {
            Scheme::Http | Scheme::Https => http_download(url.clone(), &mut sink, settings).await?,
            Scheme::Ftp | Scheme::Ftps => ftp_download(&url, &mut sink, settings).await?,
        }
        sink.finish().await
    };
    // Dropping the attempt at the deadline closes its connections and the partial file, which
    // the error path below removes.
    let result = within_deadline(&url, settings, attempt).await;
    match result {
        Ok(bytes) => {
            tokio::fs::rename(&partial, dest)
                .await
                .map_err(|e| TransferError::local(dest, e))?;
            tracing::info!(url = %url.redacted, dest = %dest.display(), bytes, "download finished");
            Ok(bytes)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            tracing::warn!(url = %url.redacted, error = %e, "download failed");
            Err(e)
        }
    }
}

/// [`download`] tried up to `1 + retries` times, `retry_interval` apart (OCPP UpdateFirmware
/// `retries` and `retryInterval`). `on_attempt(n, &result)` sees every attempt (n from 1).
/// A URL that cannot be parsed is not tried again.
pub async fn download_with_retries(
    url: &str,
    dest: &Path,
    settings: &TransferSettings,
    retries: u32,
    retry_interval: Duration,
    on_attempt: impl FnMut(u32, &Result<u64, TransferError>),
) -> Result<u64, TransferError> {
    with_retries(
        retries,
        retry_interval,
        || download(url, dest, settings),
        on_attempt,
    )
    .await
}

/// Uploads `file` to `url`: HTTP(S) as [`TransferSettings::upload_method`] says; FTP `STOR`,
/// into the directory under the file's name if the URL path ends with `/`, else to that path.
pub async fn upload(
    url: &str,
    file: &Path,
    settings: &TransferSettings,
) -> Result<(), TransferError> {
    let url = Url::parse(url)?;
    if !url.scheme.is_tls() && !settings.allow_insecure_uploads {
        let e = TransferError::Refused {
            url: url.redacted.clone(),
            reason: format!(
                "uploads go over https:// or ftps:// only, not {}:// (ocpp.files.allow_insecure_transfers \
                 allows it below security profile 2)",
                url.scheme.name()
            ),
        };
        tracing::warn!(error = %e, "upload refused");
        return Err(e);
    }
    let size = tokio::fs::metadata(file)
        .await
        .map_err(|e| TransferError::local(file, e))?
        .len();
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| TransferError::local(file, "no UTF-8 file name"))?
        .to_string();
    tracing::info!(url = %url.redacted, file = %file.display(), bytes = size, "upload started");
    let attempt = async {
        match url.scheme {
            Scheme::Http | Scheme::Https => {
                http_upload(url.clone(), file, size, &name, settings).await
            }
            Scheme::Ftp | Scheme::Ftps => ftp_upload(&url, file, size, &name, settings).await,
        }
    };
    let result = within_deadline(&url, settings, attempt).await;
    match &result {
        Ok(()) => tracing::info!(url = %url.redacted, bytes = size, "upload finished"),
        Err(e) => tracing::warn!(url = %url.redacted, error = %e, "upload failed"),
    }
    result
}

/// [`upload`] tried up to `1 + retries` times, `retry_interval` apart (OCPP GetDiagnostics and
/// GetLog `retries`/`retryInterval`).
pub async fn upload_with_retries(
    url: &str,
    file: &Path,
    settings: &TransferSettings,
    retries: u32,
    retry_interval: Duration,
    on_attempt: impl FnMut(u32, &Result<(), TransferError>),
) -> Result<(), TransferError> {
    with_retries(
        retries,
        retry_interval,
        || upload(url, file, settings),
        on_attempt,
    )
    .await
}

/// Runs one transfer attempt within [`TransferSettings::attempt_timeout`].
async fn within_deadline<T>(
    url: &Url,
    settings: &TransferSettings,
    attempt: impl Future<Output = Result<T, TransferError>>,
) -> Result<T, TransferError> {
    match timeout(settings.attempt_timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(TransferError::Timeout {
            url: url.redacted.clone(),
            phase: format!(
                "(the attempt took longer than its limit of {:?}, \
                 ocpp.files.transfer_attempt_timeout_s)",
                settings.attempt_timeout
            ),
        }),
    }
}

async fn with_retries<T, Fut>(
    retries: u32,
    retry_interval: Duration,
    mut op: impl FnMut() -> Fut,
    mut on_attempt: impl FnMut(u32, &Result<T, TransferError>),
) -> Result<T, TransferError>
where
    Fut: Future<Output = Result<T, TransferError>>,
{
    let attempts = retries.saturating_add(1);
    let mut attempt = 1;
    loop {
        let result = op().await;
        on_attempt(attempt, &result);
        match &result {
            Ok(_) => return result,
            Err(e) if e.is_permanent() || attempt >= attempts => return result,
            Err(e) => {
                tracing::info!(attempt, of = attempts, error = %e, retry_in_ms = u64::try_from(retry_interval.as_millis()).unwrap_or(u64::MAX), "transfer failed; trying again");
            }
        }
        tokio::time::sleep(retry_interval).await;
        attempt += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1

struct Response {
    code: u16,
    reason: String,
    headers: Vec<(String, String)>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn status_error(&self, url: &Url) -> TransferError {
        TransferError::HttpStatus {
            url: url.redacted.clone(),
            code: self.code,
            reason: self.reason.clone(),
        }
    }
}

enum Body {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

async fn http_connect(
    url: &Url,
    settings: &TransferSettings,
    tls: &mut Option<Arc<ClientConfig>>,
) -> Result<Conn, TransferError> {
    let tcp = tcp_connect(url, &url.host, url.port, settings).await?;
    if url.scheme != Scheme::Https {
        return Ok(Conn::new(Box::new(tcp), settings.idle_timeout, url));
    }
    let config = match tls {
        Some(config) => config.clone(),
        None => tls.insert(tls_config(url, settings)?).clone(),
    };
    let name = ServerName::try_from(url.host.clone()).map_err(|e| TransferError::Tls {
        host: url.host_port(),
        reason: format!("not a server name: {e}"),
    })?;
    let handshake = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
    match timeout(settings.connect_timeout, handshake).await {
        Ok(Ok(stream)) => Ok(Conn::new(Box::new(stream), settings.idle_timeout, url)),
        Ok(Err(e)) => Err(TransferError::Tls {
            host: url.host_port(),
            reason: e.to_string(),
        }),
        Err(_) => Err(TransferError::Timeout {
            url: url.redacted.clone(),
            phase: format!(
                "in the TLS handshake (limit {:?})",
                settings.connect_timeout
            ),
        }),
    }
}

/// The request head. Holds the Basic credentials: never log it.
fn request_head(method: &str, url: &Url, extra: &[(&str, String)]) -> String {
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: chargerd/{}\r\nAccept: */*\r\nConnection: close\r\n",
        url.target,
        url.host_port(),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(user) = &url.user {
        let credentials = format!("{user}:{}", url.password.as_deref().unwrap_or(""));
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        head.push_str(&format!("Authorization: Basic {encoded}\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Reads the response head, skipping up to [`MAX_INTERIM_RESPONSES`] interim `1xx` responses.
async fn read_response_head(conn: &mut Conn) -> Result<Response, TransferError> {
    let mut interim = 0usize;
    loop {
        let parsed = {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(conn.buffered()) {
                Ok(httparse::Status::Complete(len)) => Some((
                    len,
                    Response {
                        code: response.code.unwrap_or(0),
                        reason: response.reason.unwrap_or("").to_string(),
                        headers: response
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_string(),
                                    String::from_utf8_lossy(h.value).trim().to_string(),
                                )
                            })
                            .collect(),
                    },
                )),
                Ok(httparse::Status::Partial) => None,
                Err(e) => return Err(conn.protocol(format!("malformed HTTP response: {e}"))),
            }
        };
        if let Some((len, response)) = parsed {
            conn.consume(len);
            if (100..200).contains(&response.code) {
                interim = interim.saturating_add(1);
                if interim > MAX_INTERIM_RESPONSES {
                    return Err(conn.protocol(format!(
                        "more than {MAX_INTERIM_RESPONSES} interim (1xx) responses"
                    )));
                }
                continue;
            }
            return Ok(response);
        }
        if conn.buffered().len() > MAX_HEAD_BYTES {
            return Err(conn.protocol(format!("response head longer than {MAX_HEAD_BYTES} bytes")));
        }
        if conn.fill().await? == 0 {
            return Err(conn.protocol("connection closed before a complete response head"));
        }
    }
}

fn body_framing(conn: &Conn, response: &Response) -> Result<Body, TransferError> {
    if response.code == 204 || response.code == 304 {
        return Ok(Body::Empty);
    }
    if let Some(te) = response.header("transfer-encoding") {
        let last = te.rsplit(',').next().unwrap_or("").trim();
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(Body::Chunked);
        }
        return Ok(Body::UntilClose);
    }
    let lengths: Vec<&str> = response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    match lengths.first() {
        None => Ok(Body::UntilClose),
        Some(first) => {
            if lengths.iter().any(|l| l != first) {
                return Err(conn.protocol("conflicting Content-Length headers"));
            }
            first
                .parse::<u64>()
                .map(Body::Length)
                .map_err(|_| conn.protocol(format!("bad Content-Length {first:?}")))
        }
    }
}

/// Moves exactly `n` body bytes from `conn` to `sink`.
async fn copy_exact(conn: &mut Conn, mut n: u64, sink: &mut Sink) -> Result<(), TransferError> {
    let total = n;
    while n > 0 {
        if conn.buffered().is_empty() && conn.fill().await? == 0 {
            return Err(conn.protocol(format!(
                "connection closed after {} of {total} body bytes",
                total - n
            )));
        }
        let take = conn
            .buffered()
            .len()
            .min(usize::try_from(n).unwrap_or(usize::MAX));
        sink.write(&conn.buffered()[..take]).await?;
        conn.consume(take);
        n -= take as u64;
    }
    Ok(())
}

async fn read_body(conn: &mut Conn, body: Body, sink: &mut Sink) -> Result<(), TransferError> {
    match body {
        Body::Empty => Ok(()),
        Body::Length(n) => {
            sink.check_announced(n)?;
            copy_exact(conn, n, sink).await
        }
        Body::UntilClose => loop {
            if !conn.buffered().is_empty() {
                let len = conn.buffered().len();
                sink.write(conn.buffered()).await?;
                conn.consume(len);
            }
            if conn.fill().await? == 0 {
                return Ok(());
            }
        },
        Body::Chunked => loop {
            let line = conn.read_line().await?;
            let line = String::from_utf8_lossy(&line);
            let size = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| conn.protocol(format!("bad chunk size line {line:?}")))?;
            if size == 0 {
                // Trailer fields, up to the empty line.
                while !conn.read_line().await?.is_empty() {}
                return Ok(());
            }
            sink.check_announced(sink.written.saturating_add(size))?;
            copy_exact(conn, size, sink).await?;
            if !conn.read_line().await?.is_empty() {
                return Err(conn.protocol("chunk not followed by CR LF"));
            }
        },
    }
}

fn is_redirect(code: u16) -> bool {
    matches!(code, 301 | 302 | 303 | 307 | 308)
}

fn follow(url: &Url, response: &Response, hops: &mut usize) -> Result<Url, TransferError> {
    let Some(location) = response.header("location") else {
        return Err(response.status_error(url));
    };
    *hops += 1;
    if *hops > MAX_REDIRECTS {
        return Err(TransferError::Protocol {
            url: url.redacted.clone(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        });
    }
    let next = url.redirect(location)?;
    if url.scheme.is_tls() && !next.scheme.is_tls() {
        // Following it would hand the request (credentials, or the uploaded archive) to
        // whoever sits on the path: the redirect is as good as an attacker's.
        return Err(TransferError::Refused {
            url: url.redacted.clone(),
            reason: format!("redirect from https to plain {}", next.redacted),
        });
    }
    tracing::info!(code = response.code, from = %url.redacted, to = %next.redacted, "following redirect");
    Ok(next)
}

async fn http_download(
    mut url: Url,
    sink: &mut Sink,
    settings: &TransferSettings,
) -> Result<(), TransferError> {
    let mut tls = None;
    let mut hops = 0;
    loop {
        let mut conn = http_connect(&url, settings, &mut tls).await?;
        conn.write_all(request_head("GET", &url, &[]).as_bytes())
            .await?;
        conn.flush().await?;
        let response = read_response_head(&mut conn).await?;
        if is_redirect(response.code) {
            url = follow(&url, &response, &mut hops)?;
            continue;
        }
        if !(200..300).contains(&response.code) {
            return Err(response.status_error(&url));
        }
        let body = body_framing(&conn, &response)?;
        return read_body(&mut conn, body, sink).await;
    }
}

/// Content type by file name (the archives this module makes are `.tar.gz`).
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".gz") || lower.ends_with(".tgz") {
        "application/gzip"
    } else if lower.ends_with(".zip") {
        "application/zip"
    } else if lower.ends_with(".txt") || lower.ends_with(".log") {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// A file name as a quoted-string parameter (HTML's multipart encoding: `"`, CR, LF escaped).
fn quoted_file_name(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

async fn http_upload(
    mut url: Url,
    file: &Path,
    size: u64,
    name: &str,
    settings: &TransferSettings,
) -> Result<(), TransferError> {
    let mime = content_type(name);
    let boundary = format!(
        "chargerd-{:016x}{:016x}",
        super::link::os_random_u64(),
        super::link::os_random_u64()
    );
    let (method, content_type, prefix, suffix) = match settings.upload_method {
        UploadMethod::Put => ("PUT", mime.to_string(), String::new(), String::new()),
        UploadMethod::PostMultipart => (
            "POST",
            format!("multipart/form-data; boundary={boundary}"),
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{MULTIPART_FIELD}\"; filename=\"{}\"\r\nContent-Type: {mime}\r\n\r\n",
                quoted_file_name(name)
            ),
            format!("\r\n--{boundary}--\r\n"),
        ),
    };
    let length = size + prefix.len() as u64 + suffix.len() as u64;
    let mut tls = None;
    let mut hops = 0;
    loop {
        let mut conn = http_connect(&url, settings, &mut tls).await?;
        let head = request_head(
            method,
            &url,
            &[
                ("Content-Type", content_type.clone()),
                ("Content-Length", length.to_string()),
            ],
        );
        let sent = async {
            conn.write_all(head.as_bytes()).await?;
            conn.write_all(prefix.as_bytes()).await?;
            let mut source = FileSource::open(file, size).await?;
            while let Some(chunk) = source.next().await? {
                conn.write_all(chunk).await?;
            }
            conn.write_all(suffix.as_bytes()).await?;
            conn.flush().await
        }
        .await;
        if let Err(e) = sent {
            // The server may have refused the upload early (401, 413, …) and closed: that
            // answer says more than the broken pipe.
            if matches!(e, TransferError::Network { .. }) {
                if let Ok(response) = read_response_head(&mut conn).await {
                    if !(200..300).contains(&response.code) {
                        return Err(response.status_error(&url));
                    }
                }
            }
            return Err(e);
        }
        let response = read_response_head(&mut conn).await?;
        // Only 307 and 308 keep the method and body; after the others a client would GET.
        if matches!(response.code, 307 | 308) {
            url = follow(&url, &response, &mut hops)?;
            continue;
        }
        if !(200..300).contains(&response.code) {
            return Err(response.status_error(&url));
        }
        return Ok(());
    }
}

/// Reads `size` bytes of a file in chunks. A file that shrinks meanwhile fails the transfer
/// (the peer was promised `size` bytes); what it grows by is not sent.
struct FileSource {
    file: tokio::fs::File,
    path: PathBuf,
    size: u64,
    remaining: u64,
    buf: Vec<u8>,
}

impl FileSource {
    async fn open(path: &Path, size: u64) -> Result<FileSource, TransferError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| TransferError::local(path, e))?;
        Ok(FileSource {
            file,
            path: path.to_path_buf(),
            size,
            remaining: size,
            buf: vec![0; IO_CHUNK],
        })
    }

    /// The next chunk; `None` once `size` bytes were read.
    async fn next(&mut self) -> Result<Option<&[u8]>, TransferError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let want = self
            .buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self
            .file
            .read(&mut self.buf[..want])
            .await
            .map_err(|e| TransferError::local(&self.path, e))?;
        if n == 0 {
            return Err(TransferError::local(
                &self.path,
                format!(
                    "shrank while being sent ({} of {} bytes missing)",
                    self.remaining, self.size
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(Some(&self.buf[..n]))
    }
}

// ---------------------------------------------------------------------------------------------
// FTP (RFC 959, passive mode per RFC 2428)

struct Reply {
    code: u16,
    text: String,
}

/// A logged-in FTP control connection in binary mode.
struct Ftp {
    ctrl: Conn,
    /// The control connection's peer: data connections go there.
    peer: IpAddr,
    url: Url,
    connect_timeout: Duration,
    idle: Duration,
    allow_local_hosts: bool,
    /// FTPS: the TLS configuration of the control connection, used for every data connection
    /// too (its session cache resumes the control connection's session).
    tls: Option<Arc<ClientConfig>>,
}

impl Ftp {
    async fn login(url: &Url, settings: &TransferSettings) -> Result<Ftp, TransferError> {
        let tcp = tcp_connect(url, &url.host, url.port, settings).await?;
        let peer = tcp
            .peer_addr()
            .map_err(|e| net_error(&url.redacted, &e))?
            .ip();
        let mut ftp = Ftp {
            ctrl: Conn::new(Box::new(tcp), settings.idle_timeout, url),
            peer,
            url: url.clone(),
            connect_timeout: settings.connect_timeout,
            idle: settings.idle_timeout,
            allow_local_hosts: settings.allow_local_hosts,
            tls: None,
        };
        loop {
            // 120: "ready in a few minutes", then 220.
            let greeting = ftp.reply().await?;
            match greeting.code {
                120 => continue,
                220 => break,
                _ => return Err(ftp.refused("(greeting)", greeting)),
            }
        }
        if url.scheme == Scheme::Ftps {
            ftp.start_tls(settings).await?;
        }
        let user = url.user.as_deref().unwrap_or("anonymous");
        let password = url.password.as_deref().unwrap_or("anonymous@");
        let reply = ftp.command(&format!("USER {user}"), "USER").await?;
        match reply.code {
            230 => {}
            331 => {
                let reply = ftp.command(&format!("PASS {password}"), "PASS ***").await?;
                if !matches!(reply.code, 202 | 230) {
                    return Err(ftp.refused("PASS ***", reply));
                }
            }
            _ => return Err(ftp.refused("USER", reply)),
        }
        ftp.expect("TYPE I", "TYPE I", |c| c == 200).await?;
        Ok(ftp)
    }

    /// RFC 4217: `AUTH TLS`, the handshake on the control connection, then `PBSZ 0` and
    /// `PROT P` (data connections protected). Nothing of the login goes out before.
    async fn start_tls(&mut self, settings: &TransferSettings) -> Result<(), TransferError> {
        self.expect("AUTH TLS", "AUTH TLS", |c| c == 234).await?;
        if !self.ctrl.buffered().is_empty() {
            // Bytes sent in the clear after 234 would be taken as if they came through TLS.
            return Err(self
                .ctrl
                .protocol("plaintext after the AUTH TLS reply (injection attempt?)"));
        }
        let config = tls_config(&self.url, settings)?;
        let placeholder: Box<dyn Io> = Box::new(tokio::io::duplex(1).0);
        let plain = std::mem::replace(&mut self.ctrl.io, placeholder);
        let secured = self.handshake(&config, plain).await?;
        self.ctrl.io = secured;
        self.tls = Some(config);
        self.expect("PBSZ 0", "PBSZ 0", |c| c == 200).await?;
        self.expect("PROT P", "PROT P", |c| c == 200).await?;
        Ok(())
    }

    /// A TLS client handshake with the URL's host name, within the connect timeout.
    async fn handshake(
        &mut self,
        config: &Arc<ClientConfig>,
        io: Box<dyn Io>,
    ) -> Result<Box<dyn Io>, TransferError> {
        let name = ServerName::try_from(self.url.host.clone()).map_err(|e| TransferError::Tls {
            host: self.url.host_port(),
            reason: format!("not a server name: {e}"),
        })?;
        let connecting = tokio_rustls::TlsConnector::from(config.clone()).connect(name, io);
        match timeout(self.connect_timeout, connecting).await {
            Ok(Ok(stream)) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(TransferError::Tls {
                host: self.url.host_port(),
                reason: e.to_string(),
            }),
            Err(_) => Err(TransferError::Timeout {
                url: self.url.redacted.clone(),
                phase: format!("in the TLS handshake (limit {:?})", self.connect_timeout),
            }),
        }
    }

    fn refused(&self, command: &str, reply: Reply) -> TransferError {
        TransferError::FtpReply {
            url: self.url.redacted.clone(),
            command: command.to_string(),
            code: reply.code,
            text: reply.text,
        }
    }

    /// One reply, multi-line ones (`123-` … `123 `) joined.
    async fn reply(&mut self) -> Result<Reply, TransferError> {
        let first = String::from_utf8_lossy(&self.ctrl.read_line().await?).into_owned();
        let code = reply_code(&first)
            .ok_or_else(|| self.ctrl.protocol(format!("not an FTP reply: {first:?}")))?;
        let mut text = first.get(4..).unwrap_or("").trim().to_string();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            for _ in 0..MAX_FTP_REPLY_LINES {
                let line = String::from_utf8_lossy(&self.ctrl.read_line().await?).into_owned();
                if line.starts_with(&end) || line == code.to_string() {
                    text.push(' ');
                    text.push_str(line.get(4..).unwrap_or("").trim());
                    return Ok(Reply { code, text });
                }
                text.push(' ');
                text.push_str(line.trim());
            }
            return Err(self.ctrl.protocol("FTP reply with too many lines"));
        }
        Ok(Reply { code, text })
    }

    /// Sends `line`; `shown` is what errors and logs may say of it (no password).
    async fn command(&mut self, line: &str, shown: &str) -> Result<Reply, TransferError> {
        tracing::debug!(url = %self.url.redacted, command = shown, "FTP command");
        self.ctrl
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        self.ctrl.flush().await?;
        self.reply().await
    }

    async fn expect(
        &mut self,
        line: &str,
        shown: &str,
        ok: impl Fn(u16) -> bool,
    ) -> Result<Reply, TransferError> {
        let reply = self.command(line, shown).await?;
        if ok(reply.code) {
            Ok(reply)
        } else {
            Err(self.refused(shown, reply))
        }
    }

    /// A passive data connection: EPSV, or PASV where the server does not know EPSV. Plain
    /// TCP; [`Ftp::secure_data`] makes it TLS for FTPS once the transfer command is accepted.
    async fn open_data(&mut self) -> Result<TcpStream, TransferError> {
        let reply = self.command("EPSV", "EPSV").await?;
        let port = match reply.code {
            229 => parse_epsv(&reply.text),
            500..=504 | 522 if self.peer.is_ipv4() => {
                let reply = self.expect("PASV", "PASV", |c| c == 227).await?;
                parse_pasv(&reply.text)
            }
            _ => return Err(self.refused("EPSV", reply)),
        };
        let port = port.ok_or_else(|| self.ctrl.protocol("unparsable passive-mode reply"))?;
        let host = self.peer.to_string();
        let url = self.url.clone();
        let settings = TransferSettings {
            connect_timeout: self.connect_timeout,
            allow_local_hosts: self.allow_local_hosts,
            ..TransferSettings::default()
        };
        tcp_connect(&url, &host, port, &settings).await
    }

    /// FTPS: the TLS handshake on a data connection (the server starts its side once it has
    /// answered the transfer command with 1xx). Plain FTP: the connection as it is.
    async fn secure_data(&mut self, data: TcpStream) -> Result<Box<dyn Io>, TransferError> {
        match self.tls.clone() {
            Some(config) => self.handshake(&config, Box::new(data)).await,
            None => Ok(Box::new(data)),
        }
    }

    /// The reply that ends a data transfer (226 or 250).
    async fn transfer_done(&mut self, command: &str) -> Result<(), TransferError> {
        let reply = self.reply().await?;
        if matches!(reply.code, 226 | 250) {
            Ok(())
        } else {
            Err(self.refused(command, reply))
        }
    }

    async fn quit(mut self) {
        let _ = timeout(FTP_QUIT_WAIT, self.command("QUIT", "QUIT")).await;
    }

    fn data_timeout(&self) -> TransferError {
        TransferError::Timeout {
            url: self.url.redacted.clone(),
            phase: format!("(no data for {:?})", self.idle),
        }
    }
}

fn reply_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match line.as_bytes().get(3) {
        None | Some(b' ' | b'-') => digits.parse().ok(),
        _ => None,
    }
}

/// The port of `229 Entering Extended Passive Mode (|||6446|)` (RFC 2428).
fn parse_epsv(text: &str) -> Option<u16> {
    let inner = text.get(text.find('(')? + 1..text.rfind(')')?)?;
    let delim = inner.chars().next()?;
    let fields: Vec<&str> = inner.split(delim).collect();
    match fields.as_slice() {
        ["", "", "", port, ""] => port.parse().ok().filter(|&p| p > 0),
        _ => None,
    }
}

/// The port of `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`; the address is ignored.
fn parse_pasv(text: &str) -> Option<u16> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let numbers: Vec<u8> = text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [_, _, _, _, hi, lo] => Some(u16::from(*hi) << 8 | u16::from(*lo)).filter(|&p| p > 0),
        _ => None,
    }
}

async fn ftp_download(
    url: &Url,
    sink: &mut Sink,
    settings: &TransferSettings,
) -> Result<(), TransferError> {
    let path = url.ftp_path()?;
    if path.is_empty() || path.ends_with('/') {
        return Err(TransferError::BadUrl {
            url: url.redacted.clone(),
            reason: "names a directory, not a file".into(),
        });
    }
    let mut ftp = Ftp::login(url, settings).await?;
    // SIZE is an extension (RFC 3659): when the server knows it, a too-large file fails before
    // any byte moves.
    let size = ftp.command(&format!("SIZE {path}"), "SIZE").await?;
    if size.code == 213 {
        if let Ok(announced) = size.text.trim().parse::<u64>() {
            sink.check_announced(announced)?;
        }
    }
    let data = ftp.open_data().await?;
    ftp.expect(&format!("RETR {path}"), "RETR", |c| (100..200).contains(&c))
        .await?;
    let mut data = ftp.secure_data(data).await?;
    let mut buf = vec![0u8; IO_CHUNK];
    loop {
        let n = match timeout(ftp.idle, data.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(net_error(&url.redacted, &e)),
            Err(_) => return Err(ftp.data_timeout()),
        };
        if n == 0 {
            break;
        }
        sink.write(&buf[..n]).await?;
    }
    drop(data);
    ftp.transfer_done("RETR").await?;
    ftp.quit().await;
    Ok(())
}

/// The FTP target of an upload: the file's name in the URL's directory, or the URL's path.
fn ftp_upload_target(dir_or_path: &str, file_name: &str) -> String {
    if dir_or_path.is_empty() || dir_or_path.ends_with('/') {
        format!("{dir_or_path}{file_name}")
    } else {
        dir_or_path.to_string()
    }
}

async fn ftp_upload(
    url: &Url,
    file: &Path,
    size: u64,
    name: &str,
    settings: &TransferSettings,
) -> Result<(), TransferError> {
    if name.contains(['\r', '\n']) {
        return Err(TransferError::local(file, "file name with a line break"));
    }
    let path = url.ftp_path()?;
    let mut target = ftp_upload_target(&path, name);
    let mut source = FileSource::open(file, size).await?;
    let mut ftp = Ftp::login(url, settings).await?;
    if target == path {
        // OCPP's GetDiagnostics and GetLog locations name a directory, and a CSMS may leave
        // out the final slash: if the path is a directory, the file goes into it under its
        // name (the name the CSMS was told); otherwise the path is the file to write.
        let cwd = ftp.command(&format!("CWD {path}"), "CWD").await?;
        if cwd.code == 250 {
            target = name.to_string();
        }
    }
    let data = ftp.open_data().await?;
    ftp.expect(&format!("STOR {target}"), "STOR", |c| {
        (100..200).contains(&c)
    })
    .await?;
    let mut data = ftp.secure_data(data).await?;
    while let Some(chunk) = source.next().await? {
        match timeout(ftp.idle, data.write_all(chunk)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(net_error(&url.redacted, &e)),
            Err(_) => return Err(ftp.data_timeout()),
        }
    }
    // The end of the file is the end of the data connection: close our side and wait for 226.
    match timeout(ftp.idle, data.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(net_error(&url.redacted, &e)),
        Err(_) => return Err(ftp.data_timeout()),
    }
    // Drain what the server sent on the data connection (with TLS 1.3: its session tickets)
    // until it closes: closing a socket with unread bytes resets it, and a server may take
    // the reset for an aborted upload.
    let _ = timeout(FTP_QUIT_WAIT, async {
        let mut scratch = [0u8; 1024];
        while matches!(data.read(&mut scratch).await, Ok(n) if n > 0) {}
    })
    .await;
    drop(data);
    ftp.transfer_done("STOR").await?;
    ftp.quit().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Archives for GetDiagnostics / GetLog

/// One member of a diagnostics archive.
#[derive(Debug, Clone)]
pub enum ArchiveEntry {
    /// A file on disk; skipped with a warning if it does not exist.
    File {
        path: PathBuf,
        name_in_archive: String,
    },
    /// Bytes made by the caller (a redacted configuration, a status snapshot).
    Bytes {
        name_in_archive: String,
        bytes: Vec<u8>,
    },
}

/// Bounds of an archive being built.
#[derive(Debug, Clone)]
pub struct ArchiveLimits {
    /// Most bytes the members hold together (before compression). Members that do not fit
    /// whole are cut (files keep their newest end: logs grow at the end) or left out, and
    /// `TRUNCATED.txt` in the archive says which.
    pub max_input_bytes: u64,
    /// Set from outside to stop the build (the upload was canceled).
    pub canceled: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl ArchiveLimits {
    /// No bound on the size, never canceled.
    pub fn unlimited() -> ArchiveLimits {
        ArchiveLimits {
            max_input_bytes: u64::MAX,
            canceled: None,
        }
    }

    pub fn is_canceled(&self) -> bool {
        self.canceled
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// Writes `entries` as a `.tar.gz` to `dest` (through `<dest>.partial`); returns its size.
/// Blocking: call it from `spawn_blocking` in async code.
pub fn build_archive(dest: &Path, entries: &[ArchiveEntry]) -> Result<u64, TransferError> {
    build_archive_limited(dest, entries, &ArchiveLimits::unlimited())
}

/// [`build_archive`] within `limits`: every member is streamed (never held whole in memory)
/// and the members together hold at most `limits.max_input_bytes`.
pub fn build_archive_limited(
    dest: &Path,
    entries: &[ArchiveEntry],
    limits: &ArchiveLimits,
) -> Result<u64, TransferError> {
    let partial = partial_path(dest);
    match write_archive(&partial, entries, limits) {
        Ok(()) => {
            std::fs::rename(&partial, dest).map_err(|e| TransferError::local(dest, e))?;
            let size = std::fs::metadata(dest)
                .map_err(|e| TransferError::local(dest, e))?
                .len();
            tracing::info!(archive = %dest.display(), bytes = size, entries = entries.len(), "archive built");
            Ok(size)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_archive(
    partial: &Path,
    entries: &[ArchiveEntry],
    limits: &ArchiveLimits,
) -> Result<(), TransferError> {
    let err = |e: std::io::Error| TransferError::local(partial, e);
    let mut budget = Budget {
        left: limits.max_input_bytes,
        cut: Vec::new(),
    };
    // Diagnostics hold the service's logs and journal: 0600, never through a planted link.
    let file = crate::files::create_replacing(partial, crate::files::PRIVATE_FILE).map_err(err)?;
    let gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for entry in entries {
        if limits.is_canceled() {
            return Err(TransferError::local(partial, "canceled"));
        }
        match entry {
            ArchiveEntry::Bytes {
                name_in_archive,
                bytes,
            } => {
                let keep = budget.take(name_in_archive, bytes.len() as u64);
                let kept = &bytes[bytes.len() - usize::try_from(keep).unwrap_or(bytes.len())..];
                let mut header = file_header(keep, now);
                tar.append_data(&mut header, name_in_archive, kept)
                    .map_err(|e| {
                        TransferError::local(partial, format!("{name_in_archive}: {e}"))
                    })?;
            }
            ArchiveEntry::File {
                path,
                name_in_archive,
            } => append_file(
                &mut tar,
                partial,
                path,
                name_in_archive,
                now,
                &mut budget,
                limits,
            )?,
        }
    }
    if !budget.cut.is_empty() {
        let note = format!(
            "chargerd cut this archive at {} bytes of content (ocpp.files.max_archive_input_bytes):\n{}",
            limits.max_input_bytes,
            budget.cut.join("\n")
        );
        tracing::warn!(
            cut = budget.cut.len(),
            "diagnostics archive cut at its size limit"
        );
        let mut header = file_header(note.len() as u64, now);
        tar.append_data(&mut header, "TRUNCATED.txt", note.as_bytes())
            .map_err(|e| TransferError::local(partial, format!("TRUNCATED.txt: {e}")))?;
    }
    let gz = tar.into_inner().map_err(err)?;
    let buffered = gz.finish().map_err(err)?;
    let file = buffered
        .into_inner()
        .map_err(|e| TransferError::local(partial, e.error()))?;
    file.sync_all().map_err(err)
}

fn file_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header
}

/// What is left of an archive's size bound, and what was cut to keep it.
struct Budget {
    left: u64,
    cut: Vec<String>,
}

impl Budget {
    /// How many of a member's `size` bytes fit; notes a member that was cut.
    fn take(&mut self, name: &str, size: u64) -> u64 {
        let keep = size.min(self.left);
        self.left -= keep;
        if keep < size {
            self.cut.push(format!(
                "{name}: {keep} of {size} bytes kept (the newest end)"
            ));
        }
        keep
    }
}

/// A reader that fails once the build is canceled, so that a long member stops early.
struct Cancelable<'a, R> {
    inner: R,
    limits: &'a ArchiveLimits,
}

impl<R: Read> Read for Cancelable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.limits.is_canceled() {
            return Err(std::io::Error::other("canceled"));
        }
        self.inner.read(buf)
    }
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    archive: &Path,
    path: &Path,
    name: &str,
    now: u64,
    budget: &mut Budget,
    limits: &ArchiveLimits,
) -> Result<(), TransferError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(file = %path.display(), "file for the archive does not exist; skipped");
            return Ok(());
        }
        Err(e) => return Err(TransferError::local(path, e)),
    };
    let meta = file.metadata().map_err(|e| TransferError::local(path, e))?;
    if !meta.is_file() {
        return Err(TransferError::local(path, "not a regular file"));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(now, |d| d.as_secs());
    let whole = meta.len();
    let size = budget.take(name, whole);
    let mut file = file;
    if size < whole {
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(whole - size))
            .map_err(|e| TransferError::local(path, e))?;
    }
    let mut header = file_header(size, mtime);
    let mut reader = Exact {
        inner: Cancelable {
            inner: file.take(size),
            limits,
        },
        remaining: size,
        padded: false,
    };
    tar.append_data(&mut header, name, &mut reader)
        .map_err(|e| TransferError::local(archive, format!("{name}: {e}")))?;
    if reader.padded {
        tracing::warn!(file = %path.display(), "file shrank while archived; padded with zeros");
    }
    Ok(())
}

/// Exactly `remaining` bytes: the tar header already holds the size, so a log file that grows
/// while it is archived is cut, and one that shrinks (rotated) is padded with zeros; either
/// way the archive stays readable.
struct Exact<R> {
    inner: R,
    remaining: u64,
    padded: bool,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let mut n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            buf[..want].fill(0);
            self.padded = true;
            n = want;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// The journal of systemd unit `unit` (`journalctl -u <unit> --no-pager -o short-iso`, with
/// `--since`/`--until` as Unix seconds) streamed into the file `out` (never held in memory), at
/// most `max_bytes` of it (then with a note), every line through `masker` (log lines name id
/// tags and VINs). journalctl is killed after 30 s, or when the job is dropped (canceled).
/// Returns whether there is a journal to archive; `out` is removed when not.
pub async fn capture_journal_to(
    unit: &str,
    since_unix_s: Option<i64>,
    until_unix_s: Option<i64>,
    out: &Path,
    max_bytes: u64,
    masker: &super::diagnostics::Masker,
) -> bool {
    let mut cmd = tokio::process::Command::new("journalctl");
    cmd.args(["-u", unit, "--no-pager", "-o", "short-iso"]);
    if let Some(since) = since_unix_s {
        cmd.arg(format!("--since=@{since}"));
    }
    if let Some(until) = until_unix_s {
        cmd.arg(format!("--until=@{until}"));
    }
    let captured = run_capped_to_file(cmd, JOURNAL_TIMEOUT, max_bytes, out, Some(masker)).await;
    if !captured {
        let _ = tokio::fs::remove_file(out).await;
    }
    captured
}

/// Runs `cmd` with its standard output streamed into `out` line by line (through `masker`
/// when given), at most `max_bytes` of what it said (then cut with a note, whatever the exit
/// status: closing the pipe ends it); killed after `limit`. Returns whether it succeeded (or
/// was cut) in time.
async fn run_capped_to_file(
    mut cmd: tokio::process::Command,
    limit: Duration,
    max_bytes: u64,
    out: &Path,
    masker: Option<&super::diagnostics::Masker>,
) -> bool {
    use tokio::io::AsyncBufReadExt;
    let file = match tokio::fs::File::create(out).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(file = %out.display(), error = %e, "cannot write the command's output");
            return false;
        }
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let program = format!("{:?}", cmd.as_std().get_program());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            tracing::warn!(program, error = %e, "cannot run");
            return false;
        }
    };
    let Some(stdout) = child.stdout.take() else {
        return false;
    };
    let copy = async move {
        let mut writer = tokio::io::BufWriter::new(file);
        // A line is at most the cap anyway: the reader is `take`n.
        let mut reader = tokio::io::BufReader::new(stdout.take(max_bytes.saturating_add(1)));
        let mut line = Vec::new();
        let mut total = 0u64;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).await?;
            if n == 0 {
                break;
            }
            total = total.saturating_add(n as u64);
            match masker {
                None => writer.write_all(&line).await?,
                Some(m) => {
                    writer
                        .write_all(m.log_line(&String::from_utf8_lossy(&line)).as_bytes())
                        .await?
                }
            }
        }
        // The pipe closes here: a command with more to say ends on SIGPIPE.
        drop(reader);
        let cut = total > max_bytes;
        if cut {
            writer
                .write_all(b"\n[cut by chargerd: output too large]\n")
                .await?;
        }
        writer.flush().await?;
        Ok::<bool, std::io::Error>(cut)
    };
    let outcome = timeout(limit, async {
        let cut = copy.await;
        (cut, child.wait().await)
    })
    .await;
    match outcome {
        Ok((Ok(true), _)) => true,
        Ok((Ok(false), Ok(status))) if status.success() => true,
        Ok((Ok(false), Ok(status))) => {
            tracing::warn!(program, %status, "failed");
            false
        }
        Ok((Err(e), _)) => {
            tracing::warn!(program, error = %e, "output not written");
            let _ = child.kill().await;
            false
        }
        Ok((Ok(false), Err(e))) => {
            tracing::warn!(program, error = %e, "cannot wait for it");
            false
        }
        Err(_) => {
            tracing::warn!(program, "took too long; killed");
            let _ = child.kill().await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_only_the_password() {
        assert_eq!(
            redact_url("ftp://user:s3cr%40t@host:21/dir/"),
            "ftp://user:***@host:21/dir/"
        );
        assert_eq!(
            redact_url("https://a:b@c@host/x?y=z:w@v"),
            "https://a:***@host/x?y=z:w@v"
        );
        assert_eq!(redact_url("http://user@host/"), "http://user@host/");
        // A raw '/' in a password must not let it through; a path that looks like user info
        // is redacted as well.
        assert_eq!(redact_url("ftp://u:pa/ss@host/x"), "ftp://u:***@host/x");
        assert_eq!(redact_url("http://host/a:b@c"), "http://host/a:***@c");
        assert_eq!(redact_url("user:pw@host"), "user:***@host");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn urls_parse_with_decoded_user_info() {
        let u = Url::parse("FTP://ocpp:p%40ss%3Aw%2Frd%25@[::1]:2121/logs/a%20b.tgz#frag").unwrap();
        assert_eq!(u.scheme, Scheme::Ftp);
        assert_eq!(u.user.as_deref(), Some("ocpp"));
        assert_eq!(u.password.as_deref(), Some("p@ss:w/rd%"));
        assert_eq!((u.host.as_str(), u.port), ("::1", 2121));
        assert_eq!(u.target, "/logs/a%20b.tgz");
        assert_eq!(u.ftp_path().unwrap(), "logs/a b.tgz");
        assert_eq!(u.host_port(), "[::1]:2121");
        assert!(!format!("{u:?}").contains("p%40ss"));

        let u = Url::parse("https://fw.example.com?v=2").unwrap();
        assert_eq!((u.port, u.target.as_str()), (443, "/?v=2"));
        assert_eq!(u.host_port(), "fw.example.com");
        // A bare % stays (operators paste passwords unencoded); spaces and UTF-8 are encoded.
        let u = Url::parse("http://u:100%@h/ä x").unwrap();
        assert_eq!(u.password.as_deref(), Some("100%"));
        assert_eq!(u.target, "/%C3%A4%20x");
    }

    #[test]
    fn bad_urls_are_refused_without_their_password() {
        for (url, why) in [
            ("ftp://u:pw@/x", "no host"),
            ("http://h:0/", "invalid port"),
            ("http://h:99999/", "invalid port"),
            ("http://h/a\r\nX-Injected: 1", "control characters"),
            ("ftp://u:pw%0d%0aDELE%20x@h/", "control characters"),
            ("http://h st/", "invalid characters"),
            ("fw.example.com/image.bin", "no scheme"),
        ] {
            let e = Url::parse(url).unwrap_err();
            assert!(e.is_permanent());
            let text = e.to_string();
            assert!(text.contains(why), "{url}: {text}");
            assert!(!text.contains("pw"), "{text}");
        }
        let e = Url::parse("sftp://u:pw@h/x").unwrap_err();
        assert!(
            matches!(e, TransferError::UnsupportedScheme { ref scheme, .. } if scheme == "sftp")
        );
        assert!(!e.to_string().contains("pw"));
    }

    #[test]
    fn redirects_resolve_and_keep_credentials_only_on_the_same_origin() {
        let base = Url::parse("http://u:pw@h:8080/a/b/c.bin?x=1").unwrap();
        let r = |loc: &str| base.redirect(loc).unwrap();
        assert_eq!(r("/d/e").target, "/d/e");
        assert_eq!(r("d.bin").target, "/a/b/d.bin");
        assert_eq!(r("?y=2").target, "/a/b/c.bin?y=2");
        let same = r("http://h:8080/z");
        assert_eq!(same.password.as_deref(), Some("pw"));
        let other = r("https://cdn.example/z");
        assert_eq!((other.scheme, other.user.clone()), (Scheme::Https, None));
        let relative_scheme = r("//mirror/f");
        assert_eq!(
            (relative_scheme.host.as_str(), relative_scheme.port),
            ("mirror", 80)
        );
        assert!(base.redirect("ftp://h/x").is_err());
    }

    #[test]
    fn local_and_own_addresses_are_forbidden_transfer_peers() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = |_: IpAddr| false;
        for (addr, why) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("::ffff:169.254.1.1", "link-local"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
        ] {
            let got = forbidden_address(ip(addr), none);
            assert!(got.is_some_and(|g| g.contains(why)), "{addr}: {got:?}");
        }
        // Private networks are where file servers usually are: allowed.
        for addr in [
            "10.1.2.3",
            "192.168.0.10",
            "172.16.0.1",
            "fd00::1",
            "203.0.113.7",
        ] {
            assert_eq!(forbidden_address(ip(addr), none), None, "{addr}");
        }
        // The board's own addresses, whatever they are.
        let own = |a: IpAddr| a == ip("192.168.0.10");
        assert_eq!(
            forbidden_address(ip("192.168.0.10"), own),
            Some("one of this board's own addresses")
        );
        assert!(forbidden_address(ip("::ffff:192.168.0.10"), own).is_some());
        // The real check binds a socket: loopback is ours, a documentation address is not.
        assert!(is_own_address(ip("127.0.0.1")));
        assert!(!is_own_address(ip("203.0.113.7")));
    }

    #[test]
    fn ftps_urls_parse_and_redirects_never_lead_to_ftp() {
        let u = Url::parse("ftps://u:p@files.example:990/in/").unwrap();
        assert_eq!((u.scheme, u.port), (Scheme::Ftps, 990));
        assert!(u.scheme.is_tls() && u.scheme.is_ftp());
        assert_eq!(Url::parse("ftps://h/x").unwrap().port, 21);
        let base = Url::parse("https://h/x").unwrap();
        assert!(base.redirect("ftps://h/y").is_err());
        // https -> http is refused when followed.
        let response = Response {
            code: 302,
            reason: "Found".into(),
            headers: vec![("Location".into(), "http://h/y".into())],
        };
        let e = follow(&base, &response, &mut 0).unwrap_err();
        assert!(matches!(e, TransferError::Refused { .. }), "{e:?}");
        let response = Response {
            headers: vec![("Location".into(), "https://mirror/y".into())],
            ..response
        };
        assert_eq!(follow(&base, &response, &mut 0).unwrap().host, "mirror");
    }

    #[test]
    fn passive_mode_replies() {
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(parse_epsv("ok (!!!21!)"), Some(21));
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|1|::1|6446|)"),
            None
        );
        assert_eq!(parse_epsv("no parens"), None);
        assert_eq!(
            parse_pasv("Entering Passive Mode (192,168,1,2,19,137)."),
            Some(19 * 256 + 137)
        );
        assert_eq!(parse_pasv("Entering Passive Mode 10,0,0,1,0,21"), Some(21));
        assert_eq!(parse_pasv("Entering Passive Mode (10,0,0,1,300,1)"), None);
        assert_eq!(parse_pasv("(1,2,3)"), None);
        assert_eq!(reply_code("226 Transfer complete."), Some(226));
        assert_eq!(reply_code("230-Welcome"), Some(230));
        assert_eq!(reply_code("230"), Some(230));
        assert_eq!(reply_code("2300 x"), None);
        assert_eq!(reply_code("abc x"), None);
    }

    #[test]
    fn ftp_upload_targets() {
        assert_eq!(ftp_upload_target("", "d.tar.gz"), "d.tar.gz");
        assert_eq!(ftp_upload_target("in/", "d.tar.gz"), "in/d.tar.gz");
        assert_eq!(ftp_upload_target("in/x.tgz", "d.tar.gz"), "in/x.tgz");
    }

    #[test]
    fn multipart_file_names_cannot_break_the_header() {
        assert_eq!(quoted_file_name("a\"b\r\n.tgz"), "a%22b%0D%0A.tgz");
    }

    fn read_members(archive: &Path) -> Vec<(String, Vec<u8>)> {
        let file = std::fs::File::open(archive).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        tar.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().display().to_string();
                let mut bytes = Vec::new();
                e.read_to_end(&mut bytes).unwrap();
                (name, bytes)
            })
            .collect()
    }

    #[test]
    fn archives_keep_to_their_size_bound_newest_end_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("big.log");
        let lines: String = (0..40_000).map(|i| format!("line {i:06}\n")).collect();
        std::fs::write(&log, &lines).unwrap();
        let small = dir.path().join("small.log");
        std::fs::write(&small, b"never fits").unwrap();
        let dest = dir.path().join("out.tar.gz");
        let limits = ArchiveLimits {
            max_input_bytes: 100_000,
            canceled: None,
        };
        let entries = [
            ArchiveEntry::Bytes {
                name_in_archive: "security-log.txt".into(),
                bytes: b"events\n".to_vec(),
            },
            ArchiveEntry::File {
                path: log.clone(),
                name_in_archive: "logs/big.log".into(),
            },
            ArchiveEntry::File {
                path: small,
                name_in_archive: "logs/small.log".into(),
            },
        ];
        build_archive_limited(&dest, &entries, &limits).unwrap();
        let members = read_members(&dest);
        let total: usize = members
            .iter()
            .filter(|(n, _)| n != "TRUNCATED.txt")
            .map(|(_, b)| b.len())
            .sum();
        assert_eq!(total, 100_000);
        let big = &members.iter().find(|(n, _)| n == "logs/big.log").unwrap().1;
        assert!(lines.as_bytes().ends_with(big), "the newest end is kept");
        let note = &members
            .iter()
            .find(|(n, _)| n == "TRUNCATED.txt")
            .unwrap()
            .1;
        let note = String::from_utf8_lossy(note);
        assert!(note.contains("logs/big.log") && note.contains("logs/small.log: 0 of 10"));

        // Canceled: an error and nothing left behind.
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let limits = ArchiveLimits {
            max_input_bytes: u64::MAX,
            canceled: Some(flag),
        };
        let dest = dir.path().join("canceled.tar.gz");
        assert!(build_archive_limited(&dest, &entries, &limits).is_err());
        assert!(!dest.exists() && !partial_path(&dest).exists());
    }

    #[tokio::test]
    async fn command_output_streams_to_a_file_with_a_cap() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("journal.txt");
        let sh = |script: &str| {
            let mut cmd = tokio::process::Command::new("sh");
            cmd.args(["-c", script]);
            cmd
        };
        assert!(
            run_capped_to_file(
                sh("yes | head -c 300000"),
                Duration::from_secs(10),
                1000,
                &out,
                None
            )
            .await
        );
        let text = std::fs::read(&out).unwrap();
        assert!(text.starts_with(&[b'y', b'\n'].repeat(500)));
        assert!(text.ends_with(b"output too large]\n"), "{}", text.len());
        // A command that would never stop talking ends once the cap closes its pipe.
        assert!(run_capped_to_file(sh("yes"), Duration::from_secs(10), 1000, &out, None).await);
        assert!(std::fs::read(&out)
            .unwrap()
            .ends_with(b"output too large]\n"));
        assert!(run_capped_to_file(sh("echo hi"), Duration::from_secs(5), 100, &out, None).await);
        assert_eq!(std::fs::read(&out).unwrap(), b"hi\n");
        // Through a masker, the lines lose their identities.
        let masker = super::super::diagnostics::Masker::with_salt([1; 16]);
        assert!(
            run_capped_to_file(
                sh("echo 'INFO id tag authorized id_tag=FLEET-042'; echo 'vin LSVAU2180N2183294'"),
                Duration::from_secs(5),
                1000,
                &out,
                Some(&masker)
            )
            .await
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            !text.contains("FLEET-042") && !text.contains("LSVAU2180N2183294"),
            "{text}"
        );
        assert!(text.contains(&masker.id("FLEET-042")), "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!run_capped_to_file(sh("exit 3"), Duration::from_secs(5), 100, &out, None).await);
        assert!(
            !run_capped_to_file(sh("sleep 5"), Duration::from_millis(200), 100, &out, None).await
        );
    }

    #[test]
    fn short_files_are_padded_to_their_header_size() {
        let mut r = Exact {
            inner: &b"abc"[..],
            remaining: 5,
            padded: false,
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc\0\0");
        assert!(r.padded);
    }
}
