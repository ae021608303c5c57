//! OCPP file transfers (src/ocpp/transfer.rs) against real peers on loopback: an HTTP(S) server
//! written here on Python's `http.server` (TLS by Python's `ssl` with a test CA made by rcgen)
//! and an FTP server on `pyftpdlib`. Every peer binds port 0 and prints its port.
//!
//! The FTP tests need `python3 -m pip install --user pyftpdlib==2.2.0` (`.ci/run` installs it);
//! without it they fail, saying so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chargerd::ocpp::transfer::{
    build_archive, capture_journal_to, download, download_with_retries, redact_url, upload,
    upload_with_retries, ArchiveEntry, TransferError, TransferSettings, UploadMethod,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The HTTP peer. `root/files` is served, uploads land in `root/uploads`.
///
/// * `GET /files/N`: N with Content-Length; `/chunked/N`: chunked (with a chunk extension
///   and a trailer); `/close/N`: delimited by the end of the connection.
/// * `GET /redirect/K/N`: K redirects (301, 302, 303, 307, 308 in turn; absolute URLs and
///   absolute paths alternating) before `/files/N`.
/// * `GET /auth/N`: `/files/N` only with Basic `ocpp` / `p@ss:w/rd%`, else 401.
/// * `GET /downgrade/P/N`: 302 to `http://127.0.0.1:P/files/N`; `POST|PUT /downgrade/P/...`:
///   307 to `http://127.0.0.1:P/upload/`.
/// * `GET /status/C`: status C. `GET|PUT|POST /flaky/K/KEY/...`: 503 for the first K requests
///   with that KEY, then as without the prefix.
/// * `GET /slow`: announces 1000 bytes, sends 10, then stalls.
/// * `PUT /upload/N`: stores the body as N. `POST /upload/...`: stores the multipart part
///   whose field is `file` under its filename; `uploads/N.part-head` keeps the part's headers.
const HTTP_SERVER_PY: &str = r#"
import base64, http.server, os, re, ssl, sys, threading, time

root = sys.argv[1]
files = os.path.join(root, "files")
uploads = os.path.join(root, "uploads")
os.makedirs(uploads, exist_ok=True)
counts = {}
lock = threading.Lock()
tls = len(sys.argv) > 3
AUTH = "Basic " + base64.b64encode(b"ocpp:p@ss:w/rd%").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def file(self, name):
        try:
            with open(os.path.join(files, os.path.basename(name)), "rb") as f:
                return f.read()
        except OSError:
            return None

    def flaky(self, parts):
        # /flaky/K/KEY/rest...: 503 for the first K requests with KEY
        k, key = int(parts[1]), parts[2]
        with lock:
            seen = counts.get(key, 0)
            counts[key] = seen + 1
        if seen < k:
            self.reply(503, b"try later", "text/plain")
            return None
        return parts[3:]

    def do_GET(self):
        parts = self.path.split("/")[1:]
        if parts[0] == "flaky":
            parts = self.flaky(parts)
            if parts is None:
                return
        kind = parts[0]
        if kind in ("files", "chunked", "close", "auth"):
            if kind == "auth" and self.headers.get("Authorization") != AUTH:
                self.reply(401, b"who are you", "text/plain", [("WWW-Authenticate", "Basic")])
                return
            data = self.file(parts[1])
            if data is None:
                self.reply(404, b"no such file", "text/plain")
            elif kind == "chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                for i in range(0, len(data), 1000):
                    c = data[i:i + 1000]
                    self.wfile.write(b"%x;part=%d\r\n" % (len(c), i) + c + b"\r\n")
                self.wfile.write(b"0\r\nX-Checksum: none\r\n\r\n")
                self.close_connection = True
            elif kind == "close":
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True
            else:
                self.reply(200, data)
        elif kind == "redirect":
            n, name = int(parts[1]), parts[2]
            if n == 0:
                self.reply(302, headers=[("Location", "/files/" + name)])
            elif n % 2:
                scheme = "https" if tls else "http"
                loc = "%s://%s/redirect/%d/%s" % (scheme, self.headers["Host"], n - 1, name)
                self.reply([301, 302, 303, 307, 308][n % 5], headers=[("Location", loc)])
            else:
                loc = "/redirect/%d/%s" % (n - 1, name)
                self.reply([301, 302, 303, 307, 308][n % 5], headers=[("Location", loc)])
        elif kind == "status":
            self.reply(int(parts[1]), b"status page", "text/plain")
        elif kind == "downgrade":
            loc = "http://127.0.0.1:%s/files/%s" % (parts[1], parts[2])
            self.reply(302, headers=[("Location", loc)])
        elif kind == "slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(30)
        else:
            self.reply(404, b"unknown", "text/plain")

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def upload_parts(self):
        parts = self.path.split("/")[1:]
        if parts[0] == "flaky":
            parts = self.flaky(parts)
            if parts is None:
                self.body()
                return None
        if parts[0] == "status":
            self.body()
            self.reply(int(parts[1]), b"status page", "text/plain")
            return None
        if parts[0] == "downgrade":
            self.body()
            loc = "http://127.0.0.1:%s/upload/" % parts[1]
            self.reply(307, headers=[("Location", loc)])
            return None
        if parts[0] != "upload":
            self.reply(404, b"unknown", "text/plain")
            return None
        return parts

    def do_PUT(self):
        parts = self.upload_parts()
        if parts is None:
            return
        data = self.body()
        with open(os.path.join(uploads, os.path.basename(parts[-1])), "wb") as f:
            f.write(data)
        self.reply(201, b"stored", "text/plain")

    def do_POST(self):
        if self.upload_parts() is None:
            return
        body = self.body()
        m = re.fullmatch(r"multipart/form-data; boundary=([-\w]+)", self.headers["Content-Type"])
        if not m:
            self.reply(400, b"not multipart", "text/plain")
            return
        delim = b"--" + m.group(1).encode()
        if not (body.startswith(delim + b"\r\n") and body.endswith(b"\r\n" + delim + b"--\r\n")):
            self.reply(400, b"bad framing", "text/plain")
            return
        head, data = body[len(delim) + 2:-(len(delim) + 6)].split(b"\r\n\r\n", 1)
        if delim in data:
            self.reply(400, b"more than one part", "text/plain")
            return
        field = re.search(rb'; name="([^"]*)"', head)
        name = re.search(rb'; filename="([^"]*)"', head)
        if not field or field.group(1) != b"file" or not name:
            self.reply(400, b"no file field", "text/plain")
            return
        name = os.path.basename(name.group(1).decode())
        with open(os.path.join(uploads, name), "wb") as f:
            f.write(data)
        with open(os.path.join(uploads, name + ".part-head"), "wb") as f:
            f.write(head)
        self.reply(200, b"stored", "text/plain")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// The FTP peer: users `ocpp` / `p@ss:w/rd%` and `legacy` / `legacy-pw` (which gets 502 for
/// EPSV, so the client must fall back to PASV), both rooted at argv[1].
const FTP_SERVER_PY: &str = r#"
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.CRITICAL)


class Handler(FTPHandler):
    auth_failed_timeout = 0  # pyftpdlib waits 3 s before a 530 by default
    banner = "test FTP server ready"

    def ftp_EPSV(self, line):
        if self.username == "legacy":
            self.respond("502 EPSV not implemented.")
            return
        return super().ftp_EPSV(line)


auth = DummyAuthorizer()
auth.add_user("ocpp", "p@ss:w/rd%", sys.argv[1], perm="elradfmwMT")
auth.add_user("legacy", "legacy-pw", sys.argv[1], perm="elradfmwMT")
Handler.authorizer = auth
server = FTPServer(("127.0.0.1", 0), Handler)
print(server.address[1], flush=True)
server.serve_forever()
"#;

/// `p@ss:w/rd%` percent-encoded for the user info of a URL.
const PASSWORD_IN_URL: &str = "p%40ss%3Aw%2Frd%25";

// ----- peers ----------------------------------------------------------------------------------

/// A Python server, killed when dropped.
struct Peer {
    child: Child,
    port: u16,
}

impl Peer {
    fn start(dir: &Path, script_name: &str, script: &str, args: &[&Path]) -> Peer {
        let script_path = dir.join(script_name);
        std::fs::write(&script_path, script).unwrap();
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(&script_path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{script_name} did not print its port: {line:?}"));
        Peer { child, port }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test CA and a server certificate from it for `localhost` and 127.0.0.1.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn make_ca(name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params, key)
}

fn write_pki(dir: &Path) -> Pki {
    let (ca, ca_key) = make_ca("transfer test CA");
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&pki.ca, ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

/// Deterministic bytes that exercise every value (and CR/LF/boundary-like sequences).
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// A temporary directory with `files/` (fw.bin: 200 kB, big.bin: 5000 B) and an HTTP peer.
struct Http {
    dir: tempfile::TempDir,
    peer: Peer,
    fw: Vec<u8>,
    pki: Option<Pki>,
}

impl Http {
    fn start(tls: bool) -> Http {
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path().join("files");
        std::fs::create_dir(&files).unwrap();
        let fw = payload(200_000, 7);
        std::fs::write(files.join("fw.bin"), &fw).unwrap();
        std::fs::write(files.join("big.bin"), payload(5000, 8)).unwrap();
        std::fs::write(files.join("empty.bin"), b"").unwrap();
        let pki = tls.then(|| write_pki(dir.path()));
        let mut args = vec![dir.path()];
        if let Some(p) = &pki {
            args.push(&p.cert);
            args.push(&p.key);
        }
        let peer = Peer::start(dir.path(), "http_server.py", HTTP_SERVER_PY, &args);
        Http { dir, peer, fw, pki }
    }

    fn url(&self, path: &str) -> String {
        match self.pki {
            Some(_) => format!("https://localhost:{}{path}", self.peer.port),
            None => format!("http://127.0.0.1:{}{path}", self.peer.port),
        }
    }

    /// The peer is on loopback, which the policy refuses unless allowed; plain-http uploads
    /// are allowed explicitly for the plain server only.
    fn settings(&self) -> TransferSettings {
        TransferSettings {
            ca_bundle: self.pki.as_ref().map(|p| p.ca.clone()),
            connect_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(2),
            allow_local_hosts: true,
            allow_insecure_uploads: self.pki.is_none(),
            ..TransferSettings::default()
        }
    }

    fn dest(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn uploaded(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join("uploads").join(name))
            .unwrap_or_else(|e| panic!("upload {name} not on the server: {e}"))
    }
}

fn assert_no_partial(dest: &Path) {
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    assert!(!Path::new(&partial).exists(), "{partial:?} left behind");
}

fn http_code(e: &TransferError) -> u16 {
    match e {
        TransferError::HttpStatus { code, .. } => *code,
        other => panic!("expected an HTTP status error, got {other:?}"),
    }
}

// ----- HTTP downloads -------------------------------------------------------------------------

#[tokio::test]
async fn http_downloads_with_length_chunked_and_close_delimited_bodies() {
    let http = Http::start(false);
    for (i, kind) in ["files", "chunked", "close"].into_iter().enumerate() {
        let dest = http.dest(&format!("fw-{i}.bin"));
        let n = download(
            &http.url(&format!("/{kind}/fw.bin")),
            &dest,
            &http.settings(),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(n, http.fw.len() as u64, "{kind}");
        assert!(
            std::fs::read(&dest).unwrap() == http.fw,
            "{kind}: bytes differ"
        );
        assert_no_partial(&dest);
    }
    let dest = http.dest("empty");
    let n = download(&http.url("/chunked/empty.bin"), &dest, &http.settings())
        .await
        .unwrap();
    assert_eq!((n, std::fs::read(&dest).unwrap().len()), (0, 0));
}

#[tokio::test]
async fn http_redirects_are_followed_up_to_five() {
    let http = Http::start(false);
    let dest = http.dest("fw.bin");
    // 5 redirects: 301/302/303/307/308, absolute URLs and paths, then the file.
    let n = download(&http.url("/redirect/4/fw.bin"), &dest, &http.settings())
        .await
        .unwrap();
    assert_eq!(n, http.fw.len() as u64);
    assert!(std::fs::read(&dest).unwrap() == http.fw);

    let dest = http.dest("too-far.bin");
    let e = download(&http.url("/redirect/5/fw.bin"), &dest, &http.settings())
        .await
        .unwrap_err();
    assert!(
        matches!(e, TransferError::Protocol { ref reason, .. } if reason.contains("more than 5 redirects")),
        "{e:?}"
    );
    assert!(!dest.exists());
    assert_no_partial(&dest);
}

#[tokio::test]
async fn http_basic_credentials_come_from_the_url_percent_decoded() {
    let http = Http::start(false);
    let url = format!(
        "http://ocpp:{PASSWORD_IN_URL}@127.0.0.1:{}/auth/fw.bin",
        http.peer.port
    );
    let n = download(&url, &http.dest("fw.bin"), &http.settings())
        .await
        .unwrap();
    assert_eq!(n, http.fw.len() as u64);

    let wrong = format!(
        "http://ocpp:guess-me@127.0.0.1:{}/auth/fw.bin",
        http.peer.port
    );
    let e = download(&wrong, &http.dest("no.bin"), &http.settings())
        .await
        .unwrap_err();
    assert_eq!(http_code(&e), 401);
    assert!(!e.to_string().contains("guess-me"), "{e}");
    assert!(e.to_string().contains("ocpp:***@"), "{e}");
}

#[tokio::test]
async fn http_error_statuses_fail_with_their_code() {
    let http = Http::start(false);
    for (path, code, reason) in [
        ("/files/missing.bin", 404, "Not Found"),
        ("/status/500", 500, "Internal Server Error"),
    ] {
        let dest = http.dest("x.bin");
        let e = download(&http.url(path), &dest, &http.settings())
            .await
            .unwrap_err();
        assert_eq!(http_code(&e), code);
        assert!(
            e.to_string().contains(&format!("HTTP {code} {reason}")),
            "{e}"
        );
        assert!(!dest.exists());
        assert_no_partial(&dest);
    }
}

#[tokio::test]
async fn a_stalled_download_fails_after_the_idle_timeout() {
    let http = Http::start(false);
    let settings = TransferSettings {
        idle_timeout: Duration::from_millis(300),
        ..http.settings()
    };
    let dest = http.dest("slow.bin");
    let started = Instant::now();
    let e = download(&http.url("/slow"), &dest, &settings)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, TransferError::Timeout { .. }), "{e:?}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_no_partial(&dest);
}

#[tokio::test]
async fn downloads_larger_than_the_limit_fail() {
    let http = Http::start(false);
    let settings = TransferSettings {
        max_download_bytes: 4999,
        ..http.settings()
    };
    // Announced by Content-Length, and found out while counting chunked and close-delimited.
    for kind in ["files", "chunked", "close"] {
        let dest = http.dest("big.bin");
        let e = download(&http.url(&format!("/{kind}/big.bin")), &dest, &settings)
            .await
            .unwrap_err();
        assert!(
            matches!(e, TransferError::TooLarge { limit: 4999, .. }),
            "{kind}: {e:?}"
        );
        assert!(!dest.exists());
        assert_no_partial(&dest);
    }
    // Exactly at the limit is fine.
    let settings = TransferSettings {
        max_download_bytes: 5000,
        ..settings
    };
    let n = download(
        &http.url("/chunked/big.bin"),
        &http.dest("ok.bin"),
        &settings,
    )
    .await
    .unwrap();
    assert_eq!(n, 5000);
}

#[tokio::test]
async fn downloads_are_retried_until_they_succeed() {
    let http = Http::start(false);
    let dest = http.dest("fw.bin");
    let mut attempts = Vec::new();
    let started = Instant::now();
    let n = download_with_retries(
        &http.url("/flaky/2/dl/files/fw.bin"),
        &dest,
        &http.settings(),
        3,
        Duration::from_millis(50),
        |attempt, result| attempts.push((attempt, result.as_ref().map_err(http_code).copied())),
    )
    .await
    .unwrap();
    assert_eq!(n, http.fw.len() as u64);
    assert_eq!(attempts, [(1, Err(503)), (2, Err(503)), (3, Ok(n))]);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(std::fs::read(&dest).unwrap() == http.fw);

    // 1 + 2 attempts, all refused: the last error comes back.
    let mut count = 0;
    let e = download_with_retries(
        &http.url("/flaky/9/dl2/files/fw.bin"),
        &http.dest("never.bin"),
        &http.settings(),
        2,
        Duration::from_millis(10),
        |_, _| count += 1,
    )
    .await
    .unwrap_err();
    assert_eq!((count, http_code(&e)), (3, 503));

    // An unusable URL is not tried again.
    let mut count = 0;
    let e = download_with_retries(
        "gopher://x/y",
        &http.dest("never.bin"),
        &http.settings(),
        5,
        Duration::from_secs(10),
        |_, _| count += 1,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::UnsupportedScheme { .. }),
        "{e:?}"
    );
    assert_eq!(count, 1);
}

// ----- HTTPS ----------------------------------------------------------------------------------

#[tokio::test]
async fn https_downloads_trust_only_the_configured_ca() {
    let https = Http::start(true);
    // localhost: the certificate's DNS name is checked (and sent as SNI).
    let dest = https.dest("fw.bin");
    let n = download(&https.url("/chunked/fw.bin"), &dest, &https.settings())
        .await
        .unwrap();
    assert_eq!(n, https.fw.len() as u64);
    assert!(std::fs::read(&dest).unwrap() == https.fw);
    let n = download(
        &https.url("/redirect/3/fw.bin"),
        &https.dest("r.bin"),
        &https.settings(),
    )
    .await
    .unwrap();
    assert_eq!(n, https.fw.len() as u64);

    // A body delimited by the end of the connection must end with TLS close_notify, or it
    // could have been cut by someone on the path (Python's ssl closes without it).
    let e = download(
        &https.url("/close/fw.bin"),
        &https.dest("c.bin"),
        &https.settings(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::Network { ref reason, .. } if reason.contains("close_notify")),
        "{e:?}"
    );

    // Another CA: refused in the handshake.
    let (other, other_key) = make_ca("some other CA");
    let other_pem = https.dir.path().join("other-ca.pem");
    std::fs::write(&other_pem, other.self_signed(&other_key).unwrap().pem()).unwrap();
    let settings = TransferSettings {
        ca_bundle: Some(other_pem),
        ..https.settings()
    };
    let dest = https.dest("wrong-ca.bin");
    let e = download(&https.url("/files/fw.bin"), &dest, &settings)
        .await
        .unwrap_err();
    assert!(
        matches!(e, TransferError::Tls { ref reason, .. } if reason.contains("UnknownIssuer")),
        "{e:?}"
    );
    assert!(!dest.exists());
    assert_no_partial(&dest);

    // No CA bundle: https is refused outright (system roots are never used).
    let settings = TransferSettings {
        ca_bundle: None,
        ..https.settings()
    };
    let e = download(&https.url("/files/fw.bin"), &dest, &settings)
        .await
        .unwrap_err();
    assert!(
        matches!(e, TransferError::Tls { ref reason, .. } if reason.contains("CA bundle")),
        "{e:?}"
    );
}

// ----- HTTP(S) uploads ------------------------------------------------------------------------

async fn check_uploads(http: &Http) {
    let archive = http.dest("diagnostics-2025.tar.gz");
    let bytes = payload(150_001, 3);
    std::fs::write(&archive, &bytes).unwrap();

    let put = TransferSettings {
        upload_method: UploadMethod::Put,
        ..http.settings()
    };
    upload(&http.url("/upload/put.tar.gz"), &archive, &put)
        .await
        .unwrap();
    assert!(http.uploaded("put.tar.gz") == bytes, "PUT: bytes differ");

    let post = TransferSettings {
        upload_method: UploadMethod::PostMultipart,
        ..http.settings()
    };
    upload(&http.url("/upload/"), &archive, &post)
        .await
        .unwrap();
    assert!(
        http.uploaded("diagnostics-2025.tar.gz") == bytes,
        "POST: bytes differ"
    );
    let head = String::from_utf8(http.uploaded("diagnostics-2025.tar.gz.part-head")).unwrap();
    assert!(
        head.contains(
            "Content-Disposition: form-data; name=\"file\"; filename=\"diagnostics-2025.tar.gz\""
        ),
        "{head}"
    );
    assert!(head.contains("Content-Type: application/gzip"), "{head}");

    // Refusals carry the status, for both methods.
    for settings in [&put, &post] {
        let e = upload(&http.url("/status/413"), &archive, settings)
            .await
            .unwrap_err();
        assert_eq!(http_code(&e), 413);
    }
    // A missing local file is a local error.
    let e = upload(&http.url("/upload/"), &http.dest("nope.tgz"), &post)
        .await
        .unwrap_err();
    assert!(matches!(e, TransferError::LocalIo { .. }), "{e:?}");
}

#[tokio::test]
async fn http_uploads_put_and_multipart_arrive_byte_identical() {
    check_uploads(&Http::start(false)).await;
}

#[tokio::test]
async fn https_uploads_put_and_multipart_arrive_byte_identical() {
    check_uploads(&Http::start(true)).await;
}

#[tokio::test]
async fn uploads_are_retried_until_they_succeed() {
    let http = Http::start(false);
    let file = http.dest("log.tar.gz");
    std::fs::write(&file, payload(3000, 9)).unwrap();
    let mut attempts = Vec::new();
    upload_with_retries(
        &http.url("/flaky/1/up/upload/"),
        &file,
        &http.settings(),
        1,
        Duration::from_millis(20),
        |attempt, result| attempts.push((attempt, result.is_ok())),
    )
    .await
    .unwrap();
    assert_eq!(attempts, [(1, false), (2, true)]);
    assert!(http.uploaded("log.tar.gz") == std::fs::read(&file).unwrap());
}

// ----- FTP ------------------------------------------------------------------------------------

fn pyftpdlib() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let ok = Command::new("python3")
            .args(["-c", "import pyftpdlib"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "python3 cannot import pyftpdlib, the FTP peer of these tests: \
             python3 -m pip install --user pyftpdlib==2.2.0 (as .ci/run does)"
        );
        ok
    })
}

/// Fails the test, saying how to install it, if pyftpdlib is missing.
macro_rules! require_pyftpdlib {
    () => {
        pyftpdlib();
    };
}

/// An FTP peer rooted at `dir/ftp` with `fw.bin` and an `incoming/` directory.
struct Ftp {
    dir: tempfile::TempDir,
    peer: Peer,
    fw: Vec<u8>,
}

impl Ftp {
    fn start() -> Ftp {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ftp");
        std::fs::create_dir_all(root.join("incoming")).unwrap();
        std::fs::create_dir_all(root.join("firmware")).unwrap();
        let fw = payload(300_000, 11);
        std::fs::write(root.join("firmware/fw v2.bin"), &fw).unwrap();
        let peer = Peer::start(dir.path(), "ftp_server.py", FTP_SERVER_PY, &[&root]);
        Ftp { dir, peer, fw }
    }

    fn url(&self, user: &str, password: &str, path: &str) -> String {
        format!("ftp://{user}:{password}@127.0.0.1:{}{path}", self.peer.port)
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("ftp")
    }
}

/// Plain FTP on loopback: both allowed explicitly.
fn ftp_settings() -> TransferSettings {
    TransferSettings {
        connect_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        allow_local_hosts: true,
        allow_insecure_uploads: true,
        ..TransferSettings::default()
    }
}

#[tokio::test]
async fn ftp_downloads_with_epsv_and_with_pasv() {
    require_pyftpdlib!();
    let ftp = Ftp::start();
    // `ocpp` gets EPSV; `legacy` gets 502 for it, so this goes through PASV.
    for (user, password) in [("ocpp", PASSWORD_IN_URL), ("legacy", "legacy-pw")] {
        let dest = ftp.dir.path().join(format!("{user}.bin"));
        let n = download(
            &ftp.url(user, password, "/firmware/fw%20v2.bin"),
            &dest,
            &ftp_settings(),
        )
        .await
        .unwrap_or_else(|e| panic!("{user}: {e}"));
        assert_eq!(n, ftp.fw.len() as u64, "{user}");
        assert!(
            std::fs::read(&dest).unwrap() == ftp.fw,
            "{user}: bytes differ"
        );
        assert_no_partial(&dest);
    }

    // Too large: SIZE tells before the transfer.
    let settings = TransferSettings {
        max_download_bytes: 1000,
        ..ftp_settings()
    };
    let dest = ftp.dir.path().join("big.bin");
    let e = download(
        &ftp.url("ocpp", PASSWORD_IN_URL, "/firmware/fw%20v2.bin"),
        &dest,
        &settings,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::TooLarge { .. }), "{e:?}");
    assert_no_partial(&dest);

    // A missing file: the server's 550 to RETR.
    let e = download(
        &ftp.url("ocpp", PASSWORD_IN_URL, "/firmware/nope.bin"),
        &dest,
        &ftp_settings(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::FtpReply { code: 550, ref command, .. } if command == "RETR"),
        "{e:?}"
    );
    assert!(!dest.exists());
}

#[tokio::test]
async fn ftp_uploads_into_a_directory_or_to_a_file_name() {
    require_pyftpdlib!();
    let ftp = Ftp::start();
    let archive = ftp.dir.path().join("diag-7.tar.gz");
    let bytes = payload(123_457, 5);
    std::fs::write(&archive, &bytes).unwrap();

    upload(
        &ftp.url("ocpp", PASSWORD_IN_URL, "/incoming/"),
        &archive,
        &ftp_settings(),
    )
    .await
    .unwrap();
    assert!(std::fs::read(ftp.root().join("incoming/diag-7.tar.gz")).unwrap() == bytes);

    upload(
        &ftp.url("legacy", "legacy-pw", "/incoming/renamed.tgz"),
        &archive,
        &ftp_settings(),
    )
    .await
    .unwrap();
    assert!(std::fs::read(ftp.root().join("incoming/renamed.tgz")).unwrap() == bytes);

    // A directory that does not exist: the server refuses STOR.
    let e = upload(
        &ftp.url("ocpp", PASSWORD_IN_URL, "/missing/"),
        &archive,
        &ftp_settings(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::FtpReply { ref command, .. } if command == "STOR"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_wrong_ftp_password_fails_with_530_and_is_not_shown() {
    require_pyftpdlib!();
    let ftp = Ftp::start();
    let url = ftp.url("ocpp", "wrong-secret", "/firmware/fw%20v2.bin");
    let e = download(&url, &ftp.dir.path().join("x.bin"), &ftp_settings())
        .await
        .unwrap_err();
    match &e {
        TransferError::FtpReply { code, command, .. } => {
            assert_eq!((*code, command.as_str()), (530, "PASS ***"));
        }
        other => panic!("expected a 530, got {other:?}"),
    }
    let text = e.to_string();
    assert!(!text.contains("wrong-secret"), "{text}");
    assert!(text.contains("ocpp:***@"), "{text}");
    assert_eq!(redact_url(&url).matches("***").count(), 1);
}

// ----- archives -------------------------------------------------------------------------------

fn untar(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    let mut tar = tar::Archive::new(gz);
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn archives_hold_files_and_bytes_and_skip_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chargerd.log");
    let log_bytes = payload(70_000, 1);
    std::fs::write(&log, &log_bytes).unwrap();

    let archive = dir.path().join("diagnostics.tar.gz");
    let size = build_archive(
        &archive,
        &[
            ArchiveEntry::File {
                path: log,
                name_in_archive: "logs/chargerd.log".into(),
            },
            ArchiveEntry::File {
                path: dir.path().join("rotated.log.1"),
                name_in_archive: "logs/rotated.log.1".into(),
            },
            ArchiveEntry::Bytes {
                name_in_archive: "journal.txt".into(),
                bytes: b"2025-01-01T00:00:00+0000 host chargerd[1]: started\n".to_vec(),
            },
        ],
    )
    .unwrap();
    assert_eq!(size, std::fs::metadata(&archive).unwrap().len());
    assert_no_partial(&archive);

    let entries = untar(&archive);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["logs/chargerd.log", "journal.txt"]);
    assert!(entries[0].1 == log_bytes);
    assert_eq!(
        entries[1].1,
        b"2025-01-01T00:00:00+0000 host chargerd[1]: started\n"
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("diagnostics"))
        .collect();
    assert_eq!(left, ["diagnostics.tar.gz"]);
}

#[test]
fn archive_names_must_stay_inside_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.tar.gz");
    let e = build_archive(
        &archive,
        &[ArchiveEntry::Bytes {
            name_in_archive: "../escape.txt".into(),
            bytes: b"x".to_vec(),
        }],
    )
    .unwrap_err();
    assert!(matches!(e, TransferError::LocalIo { .. }), "{e:?}");
    assert!(!archive.exists());
    assert_no_partial(&archive);
}

#[tokio::test]
async fn journal_capture_returns_promptly() {
    // Whether this machine has a journal or not, the call returns (None without journalctl).
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("journal.txt");
    let masker = chargerd::ocpp::diagnostics::Masker::new();
    let captured = capture_journal_to(
        "chargerd-transfer-test.service",
        Some(0),
        Some(1),
        &out,
        1 << 20,
        &masker,
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    if captured {
        assert!(std::fs::metadata(&out).unwrap().len() < 2 << 20);
    } else {
        assert!(!out.exists(), "a failed capture leaves no file");
    }
}

// ----- policy: TLS-only uploads, no downgrade, no local peers ------------------------------------

#[tokio::test]
async fn uploads_over_plain_http_and_ftp_are_refused_unless_allowed() {
    let http = Http::start(false);
    let archive = http.dest("diagnostics-1.tar.gz");
    std::fs::write(&archive, payload(1000, 4)).unwrap();
    let strict = TransferSettings {
        allow_insecure_uploads: false,
        ..http.settings()
    };
    for url in [
        http.url("/upload/"),
        "ftp://diag:s3cret@127.0.0.1:1/incoming/".to_string(),
    ] {
        let e = upload(&url, &archive, &strict).await.unwrap_err();
        assert!(
            matches!(e, TransferError::Refused { ref reason, .. } if reason.contains("https:// or ftps://")),
            "{url}: {e:?}"
        );
        assert!(e.is_permanent(), "a refusal is not retried");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
    assert!(
        !http
            .dir
            .path()
            .join("uploads/diagnostics-1.tar.gz")
            .exists(),
        "the archive reached the server"
    );
    // Allowed explicitly: it goes.
    upload(&http.url("/upload/"), &archive, &http.settings())
        .await
        .unwrap();
    assert!(http.uploaded("diagnostics-1.tar.gz") == std::fs::read(&archive).unwrap());
}

#[tokio::test]
async fn a_redirect_from_https_to_plain_http_is_refused_for_downloads_and_uploads() {
    let https = Http::start(true);
    let http = Http::start(false);
    let dest = https.dest("fw.bin");
    let e = download(
        &https.url(&format!("/downgrade/{}/fw.bin", http.peer.port)),
        &dest,
        &https.settings(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, TransferError::Refused { ref reason, .. } if reason.contains("redirect from https to plain")),
        "{e:?}"
    );
    assert!(!dest.exists());
    assert_no_partial(&dest);

    let archive = https.dest("diagnostics-2.tar.gz");
    std::fs::write(&archive, payload(1000, 5)).unwrap();
    // Even with plain uploads allowed: the CSMS asked for TLS, a redirect cannot take it away.
    let lenient = TransferSettings {
        allow_insecure_uploads: true,
        ..https.settings()
    };
    let e = upload(
        &https.url(&format!("/downgrade/{}/upload/", http.peer.port)),
        &archive,
        &lenient,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Refused { .. }), "{e:?}");
    assert!(!http
        .dir
        .path()
        .join("uploads/diagnostics-2.tar.gz")
        .exists());
}

#[tokio::test]
async fn peers_on_loopback_are_refused_by_resolved_address_unless_allowed() {
    let http = Http::start(false);
    let strict = TransferSettings {
        allow_local_hosts: false,
        ..http.settings()
    };
    let port = http.peer.port;
    // An IP literal, and a name that resolves to loopback: the check is on the address the
    // connection would go to, not on how the URL spells the host.
    for url in [
        format!("http://127.0.0.1:{port}/files/fw.bin"),
        format!("http://localhost:{port}/files/fw.bin"),
        format!("http://[::1]:{port}/files/fw.bin"),
        format!("http://127.0.0.2:{port}/files/fw.bin"),
        format!("ftp://u:p@0.0.0.0:{port}/fw.bin"),
    ] {
        let dest = http.dest("refused.bin");
        let e = download(&url, &dest, &strict).await.unwrap_err();
        assert!(
            matches!(e, TransferError::Refused { ref reason, .. }
                if reason.contains("loopback") || reason.contains("unspecified")),
            "{url}: {e:?}"
        );
        assert!(!dest.exists());
        assert_no_partial(&dest);
    }
    // Allowed: the same URL works.
    download(
        &format!("http://localhost:{port}/files/fw.bin"),
        &http.dest("ok.bin"),
        &http.settings(),
    )
    .await
    .unwrap();
}

// ----- FTPS (explicit, RFC 4217) against an in-process server -----------------------------------

/// What the fake FTPS server saw: commands (PASS without its argument) and stored files.
#[derive(Default)]
struct FtpsLog {
    commands: Vec<String>,
    stored: Vec<(String, Vec<u8>)>,
    /// Whether each command arrived over TLS.
    over_tls: Vec<bool>,
}

/// A minimal explicit-FTPS server on 127.0.0.1: `AUTH TLS` first (commands before it other
/// than AUTH are refused with 530), then PBSZ/PROT/USER/PASS/TYPE/EPSV/STOR/RETR/QUIT, every
/// data connection in TLS. `RETR` serves `file`.
async fn fake_ftps(pki: &Pki, file: Vec<u8>) -> (u16, std::sync::Arc<std::sync::Mutex<FtpsLog>>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pki.cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(&pki.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(FtpsLog::default()));
    let shared = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, log, file) = (acceptor.clone(), shared.clone(), file.clone());
            tokio::spawn(async move {
                let mut plain = BufReader::new(tcp);
                plain.write_all(b"220 fake FTPS\r\n").await.unwrap();
                loop {
                    let mut line = String::new();
                    if plain.read_line(&mut line).await.unwrap() == 0 {
                        return;
                    }
                    let line = line.trim_end().to_string();
                    {
                        let mut l = log.lock().unwrap();
                        l.commands.push(line.clone());
                        l.over_tls.push(false);
                    }
                    if line == "AUTH TLS" {
                        plain.write_all(b"234 go ahead\r\n").await.unwrap();
                        break;
                    }
                    plain.write_all(b"530 AUTH TLS first\r\n").await.unwrap();
                }
                let tls = acceptor.accept(plain.into_inner()).await.unwrap();
                let mut ctrl = BufReader::new(tls);
                let mut data_listener: Option<tokio::net::TcpListener> = None;
                loop {
                    let mut line = String::new();
                    if ctrl.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end().to_string();
                    let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
                    {
                        let mut l = log.lock().unwrap();
                        l.commands.push(if verb == "PASS" {
                            "PASS".into()
                        } else {
                            line.clone()
                        });
                        l.over_tls.push(true);
                    }
                    let reply: String = match verb {
                        "PBSZ" | "PROT" | "TYPE" => "200 ok".into(),
                        "USER" => "331 password".into(),
                        "PASS" if arg == "s3cret:pw" => "230 in".into(),
                        "PASS" => "530 no".into(),
                        "EPSV" => {
                            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                            let p = l.local_addr().unwrap().port();
                            data_listener = Some(l);
                            format!("229 Entering Extended Passive Mode (|||{p}|)")
                        }
                        "STOR" | "RETR" => {
                            ctrl.write_all(b"150 data\r\n").await.unwrap();
                            let (data, _) = data_listener.take().unwrap().accept().await.unwrap();
                            let mut data = acceptor.accept(data).await.unwrap();
                            if verb == "STOR" {
                                let mut bytes = Vec::new();
                                data.read_to_end(&mut bytes).await.unwrap();
                                log.lock().unwrap().stored.push((arg.to_string(), bytes));
                            } else {
                                data.write_all(&file).await.unwrap();
                                data.shutdown().await.unwrap();
                            }
                            "226 done".into()
                        }
                        "QUIT" => {
                            let _ = ctrl.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => "502 not here".into(),
                    };
                    ctrl.write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .unwrap();
                }
            });
        }
    });
    (port, log)
}

#[tokio::test]
async fn ftps_uploads_and_downloads_in_tls_and_logs_in_only_after_auth_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path());
    let fw = payload(200_000, 12);
    let (port, log) = fake_ftps(&pki, fw.clone()).await;
    let settings = TransferSettings {
        ca_bundle: Some(pki.ca.clone()),
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        allow_local_hosts: true,
        // Not needed for ftps://: it is TLS.
        allow_insecure_uploads: false,
        ..TransferSettings::default()
    };
    let archive = dir.path().join("diagnostics-3.tar.gz");
    let bytes = payload(150_003, 6);
    std::fs::write(&archive, &bytes).unwrap();
    let url = format!("ftps://diag:s3cret%3Apw@localhost:{port}/incoming/");
    upload(&url, &archive, &settings).await.unwrap();
    {
        let l = log.lock().unwrap();
        assert_eq!(l.stored.len(), 1);
        assert_eq!(l.stored[0].0, "incoming/diagnostics-3.tar.gz");
        assert!(l.stored[0].1 == bytes, "bytes differ");
        assert_eq!(l.commands[0], "AUTH TLS", "{:?}", l.commands);
        assert!(!l.over_tls[0]);
        // Everything after AUTH TLS, the user name and password included, came over TLS.
        assert!(l.over_tls[1..].iter().all(|t| *t), "{:?}", l.commands);
        let pos = |c: &str| l.commands.iter().position(|x| x.starts_with(c)).unwrap();
        assert!(pos("PBSZ 0") < pos("USER diag") && pos("PROT P") < pos("USER diag"));
    }
    let dest = dir.path().join("fw.bin");
    let n = download(
        &format!("ftps://diag:s3cret%3Apw@localhost:{port}/fw.bin"),
        &dest,
        &settings,
    )
    .await
    .unwrap();
    assert_eq!(n, fw.len() as u64);
    assert!(std::fs::read(&dest).unwrap() == fw);

    // The server's certificate is checked as for https.
    let (other, other_key) = make_ca("some other CA");
    let other_pem = dir.path().join("other-ca.pem");
    std::fs::write(&other_pem, other.self_signed(&other_key).unwrap().pem()).unwrap();
    let e = upload(
        &url,
        &archive,
        &TransferSettings {
            ca_bundle: Some(other_pem),
            ..settings.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Tls { .. }), "{e:?}");
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

// ----- Deadlines: a peer that trickles or stalls in interim responses -------------------------

/// A loopback peer (in-process) that hands every connection to `serve`; returns its port.
async fn loopback_peer<F, Fut>(serve: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    port
}

/// Writes `head` and then one byte of `drip` every 100 ms until the client goes away: always
/// well inside any idle timeout, never done.
async fn trickle(mut stream: tokio::net::TcpStream, head: &'static [u8], drip: u8) {
    use tokio::io::AsyncWriteExt;
    if stream.write_all(head).await.is_err() {
        return;
    }
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(&[drip]).await.is_err() {
            return;
        }
    }
}

/// Short deadlines for a loopback peer: the idle timeout never fires on a trickle, only the
/// attempt deadline can end it.
fn deadline_settings(attempt: Duration) -> TransferSettings {
    TransferSettings {
        connect_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        attempt_timeout: attempt,
        allow_local_hosts: true,
        allow_insecure_uploads: true,
        ..TransferSettings::default()
    }
}

/// The transfer must end by itself well before this (the code before the attempt deadline
/// hung here for ever).
const GENEROUS: Duration = Duration::from_secs(20);

fn assert_attempt_deadline(e: &TransferError) {
    assert!(
        matches!(e, TransferError::Timeout { phase, .. }
            if phase.contains("transfer_attempt_timeout_s")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_trickling_http_peer_fails_each_attempt_at_its_deadline() {
    // Announces a megabyte, sends a byte every 100 ms: 28 hours of transfer.
    let port = loopback_peer(|s| {
        trickle(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n",
            b'x',
        )
    })
    .await;
    let settings = deadline_settings(Duration::from_millis(500));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("fw.bin");
    let url = format!("http://127.0.0.1:{port}/fw.bin");

    // Retries apply: each attempt gets its own deadline, and each fails at it.
    let mut attempts = Vec::new();
    let e = tokio::time::timeout(
        GENEROUS,
        download_with_retries(
            &url,
            &dest,
            &settings,
            1,
            Duration::from_millis(10),
            |attempt, result| attempts.push((attempt, result.clone().err())),
        ),
    )
    .await
    .expect("a trickling download never ended")
    .unwrap_err();
    assert_attempt_deadline(&e);
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for (_, error) in &attempts {
        assert_attempt_deadline(error.as_ref().unwrap());
    }
    assert!(!dest.exists());
    assert_no_partial(&dest);

    // An upload whose answer trickles in (a response head that never ends) fails the same way.
    let upload_port = loopback_peer(|s| trickle(s, b"HTTP/1.1 200 OK\r\nX-Slow: ", b'a')).await;
    let file = dir.path().join("log.tar.gz");
    std::fs::write(&file, payload(3000, 11)).unwrap();
    let e = tokio::time::timeout(
        GENEROUS,
        upload(
            &format!("http://127.0.0.1:{upload_port}/upload/"),
            &file,
            &settings,
        ),
    )
    .await
    .expect("an upload to a trickling peer never ended")
    .unwrap_err();
    assert_attempt_deadline(&e);
}

#[tokio::test]
async fn a_trickling_ftp_peer_fails_downloads_and_uploads_at_the_deadline() {
    // A greeting line that grows by one byte every 100 ms (8 KiB lines: 13 minutes).
    let port = loopback_peer(|s| trickle(s, b"220-welcome", b'.')).await;
    let settings = deadline_settings(Duration::from_millis(500));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("fw.bin");
    let e = tokio::time::timeout(
        GENEROUS,
        download(
            &format!("ftp://u:p@127.0.0.1:{port}/fw.bin"),
            &dest,
            &settings,
        ),
    )
    .await
    .expect("a trickling FTP download never ended")
    .unwrap_err();
    assert_attempt_deadline(&e);
    assert!(!dest.exists());
    assert_no_partial(&dest);

    let file = dir.path().join("log.tar.gz");
    std::fs::write(&file, payload(3000, 12)).unwrap();
    let e = tokio::time::timeout(
        GENEROUS,
        upload(
            &format!("ftp://u:p@127.0.0.1:{port}/logs/"),
            &file,
            &settings,
        ),
    )
    .await
    .expect("a trickling FTP upload never ended")
    .unwrap_err();
    assert_attempt_deadline(&e);
}

#[tokio::test]
async fn endless_interim_responses_fail_the_attempt() {
    // `100 Continue` every 20 ms, for ever: never idle, never a final response.
    let port = loopback_peer(|mut stream| async move {
        use tokio::io::AsyncWriteExt;
        loop {
            if stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // A deadline far beyond the test's bound: the cap on interim responses must end it.
    let settings = deadline_settings(Duration::from_secs(600));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("fw.bin");
    let file = dir.path().join("log.tar.gz");
    std::fs::write(&file, payload(3000, 13)).unwrap();
    let url = format!("http://127.0.0.1:{port}/x");
    let interim = |e: &TransferError| {
        assert!(
            matches!(e, TransferError::Protocol { reason, .. } if reason.contains("interim")),
            "{e:?}"
        );
    };
    let e = tokio::time::timeout(GENEROUS, download(&url, &dest, &settings))
        .await
        .expect("a download answered by endless 100 Continue never ended")
        .unwrap_err();
    interim(&e);
    assert_no_partial(&dest);
    let e = tokio::time::timeout(GENEROUS, upload(&url, &file, &settings))
        .await
        .expect("an upload answered by endless 100 Continue never ended")
        .unwrap_err();
    interim(&e);
}
