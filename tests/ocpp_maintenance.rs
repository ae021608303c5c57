//! Firmware Management and the Security Whitepaper (edition 3) end to end: the real `chargerd`
//! against the schema-validating Python CSMS (tests/ocpp/csms.py), with real file peers on
//! loopback — an HTTP server on Python's `http.server` (firmware downloads, multipart uploads)
//! and an FTP server on `pyftpdlib` (diagnostics uploads) — a real install command (a shell
//! script the test writes), and real certificates made here with rcgen and signatures with ring.
//!
//! Each test ends with `csms.assert_clean()`: no schema error and no protocol violation in
//! anything the charger sent or answered.
//!
//! The tests need `python3 -c "import ocpp, websockets, pyftpdlib"` (`.ci/run` installs them);
//! without them they fail, saying how to install them, instead of passing by skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod e2e;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use e2e::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use serde_json::{json, Value};
use x509_parser::prelude::FromDer;

/// A retrieve date in the past: "at once".
const PAST: &str = "2020-01-01T00:00:00Z";
/// Long enough for a busy 2-core machine; nothing here is a timing assertion.
const LONG: Duration = Duration::from_secs(30);

// ----- file peers -------------------------------------------------------------------------------

/// The HTTP peer: `GET /files/NAME` serves `root/files/NAME` (404 if absent); `POST /upload/...`
/// stores the multipart part of field `file` under its filename in `root/uploads`;
/// `POST /status/C` answers C. Every request line goes to `root/requests.log`.
const HTTP_SERVER_PY: &str = r#"
import http.server, os, re, sys, threading, time

root = sys.argv[1]
files = os.path.join(root, "files")
uploads = os.path.join(root, "uploads")
os.makedirs(files, exist_ok=True)
os.makedirs(uploads, exist_ok=True)
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self):
        with lock:
            with open(os.path.join(root, "requests.log"), "a") as f:
                f.write("%s %s\n" % (self.command, self.path))

    def reply(self, code, body=b"", ctype="application/octet-stream"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        self.note()
        parts = self.path.split("/")[1:]
        if len(parts) == 2 and parts[0] == "files":
            try:
                with open(os.path.join(files, os.path.basename(parts[1])), "rb") as f:
                    self.reply(200, f.read())
            except OSError:
                self.reply(404, b"no such file", "text/plain")
        elif len(parts) == 2 and parts[0] == "slow":
            # 64 KiB every 100 ms of the named file: a download that takes a while.
            try:
                with open(os.path.join(files, os.path.basename(parts[1])), "rb") as f:
                    body = f.read()
            except OSError:
                self.reply(404, b"no such file", "text/plain")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])
                    self.wfile.flush()
                    time.sleep(0.1)
                end = "complete"
            except OSError:
                end = "aborted"
            with lock:
                with open(os.path.join(root, "requests.log"), "a") as f:
                    f.write("END %s %s\n" % (self.path, end))
        else:
            self.reply(404, b"unknown", "text/plain")

    def do_POST(self):
        self.note()
        parts = self.path.split("/")[1:]
        if parts[0] == "slowupload":
            # Reads 256 KiB every 100 ms; notes whether the whole body arrived.
            left = int(self.headers.get("Content-Length", "0"))
            try:
                while left > 0:
                    chunk = self.rfile.read(min(left, 262144))
                    if not chunk:
                        break
                    left -= len(chunk)
                    time.sleep(0.1)
            except OSError:
                pass
            end = "complete" if left == 0 else "aborted"
            with lock:
                with open(os.path.join(root, "requests.log"), "a") as f:
                    f.write("END %s %s\n" % (self.path, end))
            if left == 0:
                self.reply(200, b"stored", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if parts[0] == "status":
            self.reply(int(parts[1]), b"status page", "text/plain")
            return
        if parts[0] != "upload":
            self.reply(404, b"unknown", "text/plain")
            return
        m = re.fullmatch(r"multipart/form-data; boundary=([-\w]+)", self.headers["Content-Type"])
        if not m:
            self.reply(400, b"not multipart", "text/plain")
            return
        delim = b"--" + m.group(1).encode()
        if not (body.startswith(delim + b"\r\n") and body.endswith(b"\r\n" + delim + b"--\r\n")):
            self.reply(400, b"bad framing", "text/plain")
            return
        head, data = body[len(delim) + 2:-(len(delim) + 6)].split(b"\r\n\r\n", 1)
        field = re.search(rb'; name="([^"]*)"', head)
        name = re.search(rb'; filename="([^"]*)"', head)
        if not field or field.group(1) != b"file" or not name:
            self.reply(400, b"no file field", "text/plain")
            return
        with open(os.path.join(uploads, os.path.basename(name.group(1).decode())), "wb") as f:
            f.write(data)
        self.reply(200, b"stored", "text/plain")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # Small receive buffers (inherited by accepted sockets): a slow reader really holds
        # the sender back instead of buffering megabytes on loopback.
        import socket
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        super().server_bind()


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// The FTP peer: user `diag` / `s3cret:pw` rooted at argv[1].
const FTP_SERVER_PY: &str = r#"
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.CRITICAL)
auth = DummyAuthorizer()
auth.add_user("diag", "s3cret:pw", sys.argv[1], perm="elradfmwMT")
FTPHandler.authorizer = auth
server = FTPServer(("127.0.0.1", 0), FTPHandler)
print(server.address[1], flush=True)
server.serve_forever()
"#;

/// A Python server printing its port first, killed when dropped.
struct Peer {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Peer {
    fn start(root: &Path, script_name: &str, script: &str) -> Peer {
        std::fs::create_dir_all(root).unwrap();
        let script_path = root.join(script_name);
        std::fs::write(&script_path, script).unwrap();
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(&script_path)
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{script_name} did not print its port: {line:?}"));
        Peer {
            child,
            port,
            root: root.to_path_buf(),
        }
    }

    fn http(root: &Path) -> Peer {
        Peer::start(root, "http_server.py", HTTP_SERVER_PY)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn serve(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.root.join("files").join(name), bytes).unwrap();
    }

    fn uploaded(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.root.join("uploads").join(name))
            .unwrap_or_else(|e| panic!("upload {name} is not on the server: {e}"))
    }

    /// Request lines seen for `path`.
    fn requests(&self, method: &str, path: &str) -> usize {
        let want = format!("{method} {path}");
        std::fs::read_to_string(self.root.join("requests.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == want)
            .count()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// A firmware signer and its root written where `firmware_signing_roots` will point:
/// `<dir>/manufacturer-roots.pem`.
fn signer_with_roots(dir: &Path) -> (Signer, PathBuf) {
    let signer = Signer::new();
    let roots = dir.join("manufacturer-roots.pem");
    std::fs::write(&roots, &signer.root_pem).unwrap();
    (signer, roots)
}

/// Deterministic bytes that use every value.
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

// ----- chargerd with [ocpp.files] ---------------------------------------------------------------

/// The test's directory layout: the install command copies the image it is given to
/// `installed.bin` and notes each run in `installs.log`. Asked `--image-version`, it prints
/// the content of `image-version` (99.0.0 without it: newer than anything running). With a
/// file `hang` it starts a `sleep 600`, notes its pid in `hang.pid` and waits for it.
struct Station {
    csms: Csms,
    d: Chargerd,
    dir: PathBuf,
    section: String,
}

impl Station {
    fn installed(&self) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("installed.bin")).ok()
    }

    fn installs(&self) -> usize {
        std::fs::read_to_string(self.dir.join("installs.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn work(&self) -> PathBuf {
        self.dir.join("work")
    }

    /// What chargerd logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(Chargerd::log(&self.dir)).unwrap_or_default()
    }

    /// [`restart`](Self::restart) with a `key = value` line set in `[ocpp.firmware]` (the
    /// section's last table).
    fn restart_with_firmware(&mut self, nth: usize, line: &str) {
        // A key set again replaces its earlier line (TOML refuses duplicates).
        let key = line.split('=').next().unwrap_or("").trim();
        self.section = self
            .section
            .lines()
            .filter(|l| l.split('=').next().unwrap_or("").trim() != key)
            .collect::<Vec<_>>()
            .join("\n");
        self.section.push('\n');
        self.section.push_str(line);
        self.section.push('\n');
        self.restart(nth);
    }

    /// Stops chargerd with SIGTERM and starts it again on the same files; waits for the
    /// `nth` registration.
    fn restart(&mut self, nth: usize) {
        assert!(self.d.terminate().success());
        self.d = Chargerd::start_with(&self.dir, &mut self.csms, &self.section);
        self.csms.wait(LONG, "registration after the restart", |r| {
            registered(r, nth)
        });
    }
}

/// The CSMS and a registered chargerd whose `[ocpp.files]` has an install command, a work
/// directory, one diagnostics log file, no systemd unit, file peers on loopback allowed
/// (`allow_local_transfer_hosts`: the test peers run on 127.0.0.1), and `extra` lines.
fn station(dir: &Path, extra: &str) -> Station {
    station_full(
        dir,
        &format!("allow_local_transfer_hosts = true\n{extra}"),
        "",
    )
}

/// [`station`] with `firmware` lines in `[ocpp.firmware]`.
fn station_with(dir: &Path, extra: &str, firmware: &str) -> Station {
    station_full(
        dir,
        &format!("allow_local_transfer_hosts = true\n{extra}"),
        firmware,
    )
}

/// [`station`] with the transfer policy's defaults (local peers refused) unless `extra` says
/// otherwise.
fn station_with_policy(dir: &Path, extra: &str) -> Station {
    station_full(dir, extra, "")
}

fn station_full(dir: &Path, extra: &str, firmware: &str) -> Station {
    let install = dir.join("install.sh");
    std::fs::write(
        &install,
        format!(
            "#!/bin/sh\nset -e\n\
             if [ \"$1\" = --image-version ]; then cat '{dir}/image-version' 2>/dev/null || echo 99.0.0; exit 0; fi\n\
             if [ -f '{dir}/hang' ]; then sleep 600 & echo $! > '{dir}/hang.pid'; wait; fi\n\
             cp \"$1\" '{dir}/installed.bin'\necho \"$1\" >> '{dir}/installs.log'\n",
            dir = dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&install, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("charger.log"), "a line of the charger's own log\n").unwrap();
    let mut csms = Csms::start(dir, &[]);
    let section = format!(
        "{}\n[ocpp.files]\nwork_dir = \"{}\"\nfirmware_install_command = \"{}\"\n\
         diagnostics_files = [\"{}\"]\nsystemd_unit = \"\"\n{extra}\n[ocpp.firmware]\n{firmware}\n",
        Chargerd::ocpp_section(&csms.url()),
        dir.join("work").display(),
        install.display(),
        dir.join("charger.log").display(),
    );
    let d = Chargerd::start_with(dir, &mut csms, &section);
    csms.wait(LONG, "registration", |r| registered(r, 0));
    Station {
        csms,
        d,
        dir: dir.to_path_buf(),
        section,
    }
}

/// Firmware images (whole or partial) in the work directory.
fn firmware_images(work: &Path) -> Vec<String> {
    std::fs::read_dir(work)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("firmware-"))
        .collect()
}

// ----- reading the CSMS log ---------------------------------------------------------------------

/// Statuses of `action` notifications in order (for signed ones, those of `request_id`).
fn statuses(recs: &[Value], action: &str, request_id: Option<i64>) -> Vec<String> {
    calls(recs, action)
        .into_iter()
        .filter(|(_, c)| request_id.is_none_or(|r| c["payload"]["requestId"] == r))
        .map(|(_, c)| c["payload"]["status"].as_str().unwrap().to_string())
        .collect()
}

fn wait_status(
    csms: &Csms,
    action: &str,
    request_id: Option<i64>,
    last: &str,
    skip: usize,
) -> Vec<String> {
    csms.wait(LONG, &format!("{action} {last}"), |r| {
        let s = statuses(r, action, request_id);
        let s = s[skip.min(s.len())..].to_vec();
        s.iter().any(|x| x == last).then_some(s)
    })
}

fn security_events(recs: &[Value]) -> Vec<String> {
    calls(recs, "SecurityEventNotification")
        .into_iter()
        .map(|(_, c)| c["payload"]["type"].as_str().unwrap().to_string())
        .collect()
}

// ----- certificates -----------------------------------------------------------------------------

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// A manufacturer root and a code-signing certificate under it (ECDSA P-256).
struct Signer {
    root_pem: String,
    cert_pem: String,
    key: KeyPair,
}

impl Signer {
    fn new() -> Signer {
        let root_key = KeyPair::generate().unwrap();
        let root = ca_params("chargerd e2e manufacturer root");
        let root_pem = root.self_signed(&root_key).unwrap().pem();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "chargerd e2e firmware signing");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        let cert_pem = params
            .signed_by(&key, &Issuer::from_params(&root, &root_key))
            .unwrap()
            .pem();
        Signer {
            root_pem,
            cert_pem,
            key,
        }
    }

    /// The whitepaper's signature: over the whole file, SHA-256, base64.
    fn sign(&self, bytes: &[u8]) -> String {
        let rng = ring::rand::SystemRandom::new();
        let key = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &self.key.serialize_der(),
            &rng,
        )
        .unwrap();
        let sig = key.sign(&rng, bytes).unwrap();
        base64::engine::general_purpose::STANDARD.encode(sig.as_ref())
    }
}

fn signed_update(request_id: i64, location: &str, signer: &Signer, signature: &str) -> Value {
    json!({
        "requestId": request_id,
        "retries": 1,
        "retryInterval": 1,
        "firmware": {
            "location": location,
            "retrieveDateTime": PAST,
            "signingCertificate": signer.cert_pem,
            "signature": signature,
        },
    })
}

/// RFC 3339 (UTC) of the wall clock `offset_s` from now.
fn rfc3339_in(offset_s: u64) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + u128::from(offset_s) * 1000;
    chargerd::wall_time::rfc3339_utc(i64::try_from(t).unwrap())
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ----- archives ---------------------------------------------------------------------------------

/// The members of a .tar.gz: (name, bytes).
fn members(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
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

fn member<'a>(members: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &members
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in the archive: {:?}",
                members.iter().map(|m| &m.0).collect::<Vec<_>>()
            )
        })
        .1
}

/// The archive holds the journal as masked JSON lines (never the SQLite file), the
/// configuration with secrets redacted, and a status snapshot; no key material anywhere.
fn assert_journal(members: &[(String, Vec<u8>)], _dir: &Path) {
    let names: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".sqlite")),
        "the raw journal is in the archive: {names:?}"
    );
    let journal = String::from_utf8(member(members, "journal.jsonl").to_vec()).unwrap();
    for line in journal.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        assert!(row["table"].is_string(), "{line}");
    }
    assert!(journal.contains("\"table\":\"events\""), "{journal}");
    let config: Value = serde_json::from_slice(member(members, "config.json")).unwrap();
    assert!(config["station"].is_object(), "{config}");
    assert!(config["ocpp"]["csms_url"].is_string(), "{config}");
    let status: Value = serde_json::from_slice(member(members, "status.json")).unwrap();
    assert_eq!(status["ocpp"]["charge_point_id"], CP_ID, "{status}");
    for (name, bytes) in members {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("PRIVATE KEY"),
            "key material in {name} of the archive"
        );
    }
}

// ----- 1. UpdateFirmware --------------------------------------------------------------------------

#[test]
fn a_plain_update_firmware_is_refused_by_default_and_nothing_is_fetched() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    http.serve("fw.bin", &payload(10_000, 9));
    let mut s = station(dir.path(), "");
    s.csms.call(
        "UpdateFirmware",
        json!({"location": http.url("/files/fw.bin"), "retrieveDate": PAST}),
    );
    let seen = wait_status(
        &s.csms,
        "FirmwareStatusNotification",
        None,
        "InstallationFailed",
        0,
    );
    assert_eq!(seen, ["InstallationFailed"], "{}", s.csms.diagnostics());
    s.csms.wait(LONG, "InvalidFirmwareSignature event", |r| {
        security_events(r)
            .iter()
            .any(|e| e == "InvalidFirmwareSignature")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        http.requests("GET", "/files/fw.bin"),
        0,
        "an unsigned image was fetched"
    );
    assert_eq!(s.installs(), 0);
    s.csms.assert_clean();
}

#[test]
fn update_firmware_downloads_and_installs_exactly_the_served_bytes_and_a_404_fails() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(150_000, 1);
    http.serve("fw.bin", &fw);
    // Unsigned firmware only where the operator allows it; images up to 1 MiB.
    let mut s = station_with(
        dir.path(),
        "",
        "require_signed = false\nmax_image_bytes = 1048576",
    );

    s.csms.call(
        "UpdateFirmware",
        json!({"location": http.url("/files/fw.bin"), "retrieveDate": PAST}),
    );
    let seen = wait_status(&s.csms, "FirmwareStatusNotification", None, "Installed", 0);
    assert_eq!(
        seen,
        ["Downloading", "Downloaded", "Installing", "Installed"],
        "{}",
        s.csms.diagnostics()
    );
    assert!(
        s.installed().as_deref() == Some(fw.as_slice()),
        "the install command did not get the served bytes"
    );
    assert_eq!(s.installs(), 1);
    s.csms.wait(LONG, "FirmwareUpdated security event", |r| {
        security_events(r)
            .iter()
            .any(|e| e == "FirmwareUpdated")
            .then_some(())
    });

    // A location that does not exist: 1 + retries attempts, retryInterval apart, then
    // DownloadFailed and no install.
    s.csms.call(
        "UpdateFirmware",
        json!({"location": http.url("/files/missing.bin"), "retrieveDate": PAST,
               "retries": 1, "retryInterval": 1}),
    );
    let seen = wait_status(
        &s.csms,
        "FirmwareStatusNotification",
        None,
        "DownloadFailed",
        4,
    );
    assert_eq!(
        seen,
        ["Downloading", "DownloadFailed"],
        "{}",
        s.csms.diagnostics()
    );
    assert_eq!(http.requests("GET", "/files/missing.bin"), 2);
    assert_eq!(s.installs(), 1);
    // No image, whole or half-downloaded, is left in the work directory.
    assert_eq!(firmware_images(&s.work()), Vec::<String>::new());

    // Larger than max_image_bytes: the download stops at the limit, nothing is left.
    http.serve("big.bin", &payload(2 * 1024 * 1024, 11));
    s.csms.call(
        "UpdateFirmware",
        json!({"location": http.url("/files/big.bin"), "retrieveDate": PAST, "retries": 0}),
    );
    let seen = wait_status(
        &s.csms,
        "FirmwareStatusNotification",
        None,
        "DownloadFailed",
        6,
    );
    assert_eq!(seen, ["Downloading", "DownloadFailed"]);
    assert!(
        s.log().contains("larger than the limit of 1048576 bytes"),
        "no size-limit failure in the log"
    );
    assert_eq!(firmware_images(&s.work()), Vec::<String>::new());
    assert_eq!(s.installs(), 1);
    s.csms.assert_clean();
}

// ----- 2. SignedUpdateFirmware --------------------------------------------------------------------

#[test]
fn signed_firmware_with_a_configured_root_installs_and_a_flipped_byte_is_refused() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (signer, roots) = signer_with_roots(dir.path());
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(120_000, 2);
    http.serve("signed.bin", &fw);
    let mut s = station(
        dir.path(),
        &format!("firmware_signing_roots = \"{}\"", roots.display()),
    );

    let status = s.csms.status_of(
        "SignedUpdateFirmware",
        signed_update(
            7,
            &http.url("/files/signed.bin"),
            &signer,
            &signer.sign(&fw),
        ),
    );
    assert_eq!(status, "Accepted");
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(7),
        "Installed",
        0,
    );
    assert_eq!(
        seen,
        [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "Installed"
        ],
        "{}",
        s.csms.diagnostics()
    );
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    // Signed updates report with SignedFirmwareStatusNotification only.
    assert!(calls(&s.csms.records(), "FirmwareStatusNotification").is_empty());

    // The same signature over a file with one byte flipped on the server.
    let mut tampered = fw.clone();
    tampered[60_000] ^= 0x01;
    http.serve("signed.bin", &tampered);
    let status = s.csms.status_of(
        "SignedUpdateFirmware",
        signed_update(
            8,
            &http.url("/files/signed.bin"),
            &signer,
            &signer.sign(&fw),
        ),
    );
    assert_eq!(status, "Accepted");
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(8),
        "InvalidSignature",
        0,
    );
    assert_eq!(
        seen,
        ["Downloading", "Downloaded", "InvalidSignature"],
        "{}",
        s.csms.diagnostics()
    );
    s.csms
        .wait(LONG, "InvalidFirmwareSignature security event", |r| {
            security_events(r)
                .iter()
                .any(|e| e == "InvalidFirmwareSignature")
                .then_some(())
        });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.installs(), 1, "a badly signed image was installed");
    assert_eq!(firmware_images(&s.work()), Vec::<String>::new());
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    s.csms.assert_clean();
}

#[test]
fn manufacturer_roots_from_the_csms_are_refused_unless_the_operator_trusts_them() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::new();
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(80_000, 3);
    http.serve("fw.bin", &fw);
    let mut s = station(dir.path(), "");
    let update = |id| signed_update(id, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw));
    let install_root = |s: &mut Station| {
        s.csms.status_of(
            "InstallCertificate",
            json!({"certificateType": "ManufacturerRootCertificate", "certificate": signer.root_pem}),
        )
    };

    // By default a CSMS cannot add a firmware trust anchor (it could sign its own images).
    assert_eq!(install_root(&mut s), "Rejected");
    s.csms
        .wait(LONG, "ManufacturerRootCertificateRefused event", |r| {
            security_events(r)
                .iter()
                .any(|e| e == "ManufacturerRootCertificateRefused")
                .then_some(())
        });
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", update(1)),
        "Accepted"
    );
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(1),
        "InvalidSignature",
        0,
    );
    assert_eq!(seen, ["Downloading", "Downloaded", "InvalidSignature"]);
    s.csms
        .wait(LONG, "InvalidFirmwareSigningCertificate event", |r| {
            security_events(r)
                .iter()
                .any(|e| e == "InvalidFirmwareSigningCertificate")
                .then_some(())
        });
    assert_eq!(s.installs(), 0);

    // The operator trusts the CSMS's roots: the same root is installed and used.
    s.restart_with_firmware(1, "trust_csms_manufacturer_roots = true");
    assert_eq!(install_root(&mut s), "Accepted");
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", update(2)),
        "Accepted"
    );
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(2),
        "Installed",
        0,
    );
    assert_eq!(
        seen,
        [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "Installed"
        ]
    );
    assert!(s.installed().as_deref() == Some(fw.as_slice()));

    // Trust withdrawn: the root the CSMS installed earlier is still on disk but not used.
    s.restart_with_firmware(2, "trust_csms_manufacturer_roots = false");
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", update(3)),
        "Accepted"
    );
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(3),
        "InvalidSignature",
        0,
    );
    assert_eq!(seen, ["Downloading", "Downloaded", "InvalidSignature"]);
    assert_eq!(s.installs(), 1);
    s.csms.assert_clean();
}

#[test]
fn an_older_image_is_refused_and_only_the_configured_downgrade_installs() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (signer, roots) = signer_with_roots(dir.path());
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(60_000, 6);
    http.serve("fw.bin", &fw);
    // The image is 1.0.0 (its install command says so); 2.0.0 runs.
    std::fs::write(dir.path().join("image-version"), "1.0.0\n").unwrap();
    let mut s = station_with(
        dir.path(),
        &format!("firmware_signing_roots = \"{}\"", roots.display()),
        "running_version = \"2.0.0\"",
    );
    let update = |id| signed_update(id, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw));
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", update(40)),
        "Accepted"
    );
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(40),
        "InstallVerificationFailed",
        0,
    );
    assert_eq!(
        seen,
        [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "InstallVerificationFailed"
        ],
        "{}",
        s.csms.diagnostics()
    );
    s.csms.wait(LONG, "FirmwareDowngradeRefused event", |r| {
        security_events(r)
            .iter()
            .any(|e| e == "FirmwareDowngradeRefused")
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.installs(), 0, "an older image was installed");
    assert_eq!(firmware_images(&s.work()), Vec::<String>::new());
    // BootNotification tells the CSMS the version that is compared with.
    let recs = s.csms.records();
    let boot = &calls(&recs, "BootNotification")[0].1;
    assert_eq!(boot["payload"]["firmwareVersion"], "2.0.0");

    // The operator allows exactly this downgrade, locally.
    s.restart_with_firmware(1, "downgrade_to = \"1.0.0\"");
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", update(41)),
        "Accepted"
    );
    wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(41),
        "Installed",
        0,
    );
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    s.csms.assert_clean();
}

#[test]
fn an_install_command_that_hangs_is_killed_at_its_timeout() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    http.serve("fw.bin", &payload(20_000, 7));
    std::fs::write(dir.path().join("hang"), "").unwrap();
    let mut s = station_with(
        dir.path(),
        "",
        "require_signed = false\ninstall_timeout_s = 2",
    );
    let started = std::time::Instant::now();
    s.csms.call(
        "UpdateFirmware",
        json!({"location": http.url("/files/fw.bin"), "retrieveDate": PAST}),
    );
    let seen = wait_status(
        &s.csms,
        "FirmwareStatusNotification",
        None,
        "InstallationFailed",
        0,
    );
    assert_eq!(
        seen,
        [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed"
        ],
        "{}",
        s.csms.diagnostics()
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(s.log().contains("timed out after 2 s"));
    // The hook's child went with it: its whole process group was killed.
    let pid = std::fs::read_to_string(dir.path().join("hang.pid")).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    let gone = (0..50).any(|_| {
        let alive = std::fs::read_to_string(&stat).is_ok_and(|st| {
            !st.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        });
        if alive {
            std::thread::sleep(Duration::from_millis(100));
        }
        !alive
    });
    assert!(gone, "the install command's sleep {pid} still runs");
    assert_eq!(s.installs(), 0);
    // The station is not left locked: a remote start works again.
    s.d.plug("1", "20", "80", "200");
    let status = s.csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "AFTER-HANG"}),
    );
    assert_eq!(status, "Accepted");
    s.csms.assert_clean();
}

#[test]
fn a_second_signed_update_cancels_the_running_download() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (signer, roots) = signer_with_roots(dir.path());
    let http = Peer::http(&dir.path().join("http"));
    // 64 KiB per 100 ms: about 5 s for the first image.
    let slow = payload(3 * 1024 * 1024, 12);
    http.serve("slow.bin", &slow);
    let fw = payload(30_000, 13);
    http.serve("fw.bin", &fw);
    let mut s = station(
        dir.path(),
        &format!("firmware_signing_roots = \"{}\"", roots.display()),
    );
    let first = signed_update(
        50,
        &http.url("/slow/slow.bin"),
        &signer,
        &signer.sign(&slow),
    );
    assert_eq!(s.csms.status_of("SignedUpdateFirmware", first), "Accepted");
    wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(50),
        "Downloading",
        0,
    );
    s.csms.wait(LONG, "a partial first image", |_| {
        firmware_images(&s.work())
            .iter()
            .any(|n| n.ends_with(".partial"))
            .then_some(())
    });
    let second = signed_update(51, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw));
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", second),
        "AcceptedCanceled"
    );
    wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(51),
        "Installed",
        0,
    );
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    // The first download stopped (the server saw the connection go before the end), its
    // partial image is gone, and it never completed.
    let ended = s.csms.wait(LONG, "the slow transfer's end", |_| {
        ["complete", "aborted"]
            .into_iter()
            .find(|end| http.requests("END", &format!("/slow/slow.bin {end}")) > 0)
    });
    assert_eq!(ended, "aborted", "the canceled download went on");
    assert_eq!(firmware_images(&s.work()), Vec::<String>::new());
    let recs = s.csms.records();
    assert_eq!(
        statuses(&recs, "SignedFirmwareStatusNotification", Some(50)),
        ["Downloading"]
    );
    assert_eq!(s.installs(), 1);
    s.csms.assert_clean();
}

#[test]
fn signed_firmware_waits_for_its_retrieve_and_install_times() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (signer, roots) = signer_with_roots(dir.path());
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(40_000, 5);
    http.serve("fw.bin", &fw);
    let mut s = station(
        dir.path(),
        &format!("firmware_signing_roots = \"{}\"", roots.display()),
    );

    // Not even a PEM certificate: refused at once, with the security event.
    let mut bad = signed_update(30, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw));
    bad["firmware"]["signingCertificate"] = json!("not a certificate");
    assert_eq!(
        s.csms.status_of("SignedUpdateFirmware", bad),
        "InvalidCertificate"
    );
    s.csms
        .wait(LONG, "InvalidFirmwareSigningCertificate event", |r| {
            security_events(r)
                .iter()
                .any(|e| e == "InvalidFirmwareSigningCertificate")
                .then_some(())
        });

    let mut update = signed_update(31, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw));
    update["firmware"]["retrieveDateTime"] = json!(rfc3339_in(3));
    update["firmware"]["installDateTime"] = json!(rfc3339_in(6));
    assert_eq!(s.csms.status_of("SignedUpdateFirmware", update), "Accepted");
    // DownloadScheduled and InstallScheduled are only sent while their time is ahead.
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(31),
        "Installed",
        0,
    );
    assert_eq!(
        seen,
        [
            "DownloadScheduled",
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "InstallScheduled",
            "Installing",
            "Installed"
        ]
    );
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    s.csms.assert_clean();
}

// ----- 3. no install during a transaction --------------------------------------------------------

#[test]
fn firmware_waits_for_the_running_transaction_to_end_before_installing() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (signer, roots) = signer_with_roots(dir.path());
    let http = Peer::http(&dir.path().join("http"));
    let fw = payload(50_000, 4);
    http.serve("fw.bin", &fw);
    let mut s = station(
        dir.path(),
        &format!("firmware_signing_roots = \"{}\"", roots.display()),
    );

    // A big GB/T truck on connector 2: it would charge for an hour.
    s.d.plug("2", "20", "80", "350");
    let status = s.csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 2, "idTag": "FW-WAIT"}),
    );
    assert_eq!(status, "Accepted");
    let tx = s.csms.wait(LONG, "StartTransaction answered", |r| {
        calls(r, "StartTransaction")
            .first()
            .and_then(|(_, c)| assigned_id(r, c))
    });
    s.d.wait_connector(2, LONG, "Charging", |c| c["status"] == "Charging");

    let status = s.csms.status_of(
        "SignedUpdateFirmware",
        signed_update(21, &http.url("/files/fw.bin"), &signer, &signer.sign(&fw)),
    );
    assert_eq!(status, "Accepted");
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(21),
        "InstallScheduled",
        0,
    );
    assert_eq!(
        seen,
        [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "InstallScheduled"
        ]
    );
    // The charger keeps charging and does not install while the transaction runs.
    std::thread::sleep(Duration::from_secs(2));
    let recs = s.csms.records();
    assert!(
        !statuses(&recs, "SignedFirmwareStatusNotification", Some(21))
            .iter()
            .any(|x| x == "Installing"),
        "installing during a transaction\n{}",
        s.csms.diagnostics()
    );
    assert_eq!(s.installs(), 0);
    assert_eq!(s.d.connector(2)["status"], "Charging");

    let status = s
        .csms
        .status_of("RemoteStopTransaction", json!({"transactionId": tx}));
    assert_eq!(status, "Accepted");
    let seen = wait_status(
        &s.csms,
        "SignedFirmwareStatusNotification",
        Some(21),
        "Installed",
        4,
    );
    assert_eq!(seen, ["Installing", "Installed"]);
    let recs = s.csms.records();
    assert!(stop_of(&recs, tx).is_some(), "no StopTransaction");
    assert!(s.installed().as_deref() == Some(fw.as_slice()));
    s.csms.assert_clean();
}

// ----- 4. GetDiagnostics ------------------------------------------------------------------------

#[test]
fn get_diagnostics_uploads_a_journal_archive_over_http_and_ftp_and_reports_failures() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    // The peers speak plain HTTP and FTP: allowed explicitly (profile 0).
    let mut s = station(dir.path(), "allow_insecure_transfers = true");

    // HTTP: multipart POST.
    let conf = s.csms.call(
        "GetDiagnostics",
        json!({"location": http.url("/upload/"), "retries": 1, "retryInterval": 1}),
    );
    let name = conf["fileName"].as_str().unwrap().to_string();
    assert!(name.ends_with(".tar.gz"), "{conf}");
    let seen = wait_status(
        &s.csms,
        "DiagnosticsStatusNotification",
        None,
        "Uploaded",
        0,
    );
    assert_eq!(seen, ["Uploading", "Uploaded"], "{}", s.csms.diagnostics());
    let archive = members(&http.uploaded(&name));
    assert_journal(&archive, dir.path());
    let log = String::from_utf8_lossy(member(&archive, "security-log.txt")).into_owned();
    assert!(log.contains("StartupOfTheDevice"), "{log}");
    assert_eq!(
        member(&archive, "logs/charger.log"),
        b"a line of the charger's own log\n"
    );

    // An endpoint that refuses: 1 + retries attempts, then UploadFailed.
    s.csms.call(
        "GetDiagnostics",
        json!({"location": http.url("/status/500"), "retries": 1, "retryInterval": 1}),
    );
    let seen = wait_status(
        &s.csms,
        "DiagnosticsStatusNotification",
        None,
        "UploadFailed",
        2,
    );
    assert_eq!(seen, ["Uploading", "UploadFailed"]);
    assert_eq!(http.requests("POST", "/status/500"), 2);

    // FTP with user and password in the URL, to a directory named without the final slash
    // (1.6: the location is a directory URI): the file lands in it under the announced name.
    pyftpdlib();
    {
        let ftp = Peer::start(&dir.path().join("ftp"), "ftp_server.py", FTP_SERVER_PY);
        std::fs::create_dir(dir.path().join("ftp/incoming")).unwrap();
        let conf = s.csms.call(
            "GetDiagnostics",
            json!({"location":
                format!("ftp://diag:s3cret%3Apw@127.0.0.1:{}/incoming", ftp.port)}),
        );
        let name = conf["fileName"].as_str().unwrap().to_string();
        let seen = wait_status(
            &s.csms,
            "DiagnosticsStatusNotification",
            None,
            "Uploaded",
            4,
        );
        assert_eq!(seen, ["Uploading", "Uploaded"], "{}", s.csms.diagnostics());
        let bytes = std::fs::read(dir.path().join("ftp/incoming").join(&name))
            .unwrap_or_else(|e| panic!("{name} not on the FTP server: {e}"));
        let archive = members(&bytes);
        assert_journal(&archive, dir.path());
        member(&archive, "security-log.txt");
    }
    // Archives are not left behind in the work directory.
    let left: Vec<_> = std::fs::read_dir(s.work())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tar.gz"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    s.csms.assert_clean();
}

#[test]
fn a_diagnostics_archive_masks_id_tags_and_holds_no_key_material() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    // The daemon's own log file (as under systemd's LogsDirectory=), which the archive carries.
    let logs = dir.path().join("logs");
    let mut s = station_with(
        dir.path(),
        "allow_insecure_transfers = true",
        &format!("\n[log]\ndir = \"{}\"\n", logs.display()),
    );
    // A driver's session, and a pending certificate signing request (its key on disk).
    s.d.plug("2", "20", "80", "350");
    let tag = "SECRET-TAG-42";
    let status = s.csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 2, "idTag": tag}),
    );
    assert_eq!(status, "Accepted");
    let tx = s.csms.wait(LONG, "StartTransaction answered", |r| {
        calls(r, "StartTransaction")
            .first()
            .and_then(|(_, c)| assigned_id(r, c))
    });
    let status = s
        .csms
        .status_of("RemoteStopTransaction", json!({"transactionId": tx}));
    assert_eq!(status, "Accepted");
    s.csms
        .wait(LONG, "StopTransaction", |r| stop_of(r, tx).map(|_| ()));
    let status = s.csms.status_of(
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(status, "Accepted");
    wait_csr(&s.csms, 0);
    let key_file = s.work().join("pending-client-key.pem");
    assert!(
        std::fs::read_to_string(&key_file)
            .unwrap()
            .contains("PRIVATE KEY"),
        "the pending key is kept in its file"
    );

    let conf = s
        .csms
        .call("GetDiagnostics", json!({"location": http.url("/upload/")}));
    let name = conf["fileName"].as_str().unwrap().to_string();
    wait_status(
        &s.csms,
        "DiagnosticsStatusNotification",
        None,
        "Uploaded",
        0,
    );
    let archive = members(&http.uploaded(&name));
    assert_journal(&archive, dir.path());
    for (member_name, bytes) in &archive {
        let text = String::from_utf8_lossy(bytes);
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(tag)).collect();
        assert!(leaks.is_empty(), "the id tag in {member_name}: {leaks:#?}");
    }
    // The daemon's own log, plain text (no colour codes), id tags masked (checked above).
    let own_log = String::from_utf8(member(&archive, "chargerd.log").to_vec()).unwrap();
    assert!(own_log.contains("transaction started"), "{own_log}");
    assert!(
        own_log.contains("id#"),
        "the id tag was logged, masked: {own_log}"
    );
    assert!(!own_log.contains('\x1b'), "{own_log}");
    let on_disk = std::fs::read_to_string(logs.join("chargerd.log")).unwrap();
    assert!(
        on_disk.contains(tag),
        "the file on the board is the real log"
    );
    let journal = String::from_utf8(member(&archive, "journal.jsonl").to_vec()).unwrap();
    let transaction = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["table"] == "transactions")
        .expect("the transaction is in the export");
    assert!(
        transaction["row"]["id_tag"]
            .as_str()
            .unwrap()
            .starts_with("id#"),
        "{transaction}"
    );
    s.csms.assert_clean();
}

#[test]
fn uploads_need_tls_and_loopback_peers_are_refused_unless_the_configuration_allows_them() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    // Plain uploads allowed, loopback peers not (the default).
    let mut s = station_with_policy(dir.path(), "allow_insecure_transfers = true");
    s.csms.call(
        "GetDiagnostics",
        json!({"location": http.url("/upload/"), "retries": 2, "retryInterval": 1}),
    );
    let seen = wait_status(
        &s.csms,
        "DiagnosticsStatusNotification",
        None,
        "UploadFailed",
        0,
    );
    assert_eq!(seen, ["Uploading", "UploadFailed"]);
    assert_eq!(
        http.requests("POST", "/upload/"),
        0,
        "the loopback peer was contacted"
    );

    // Loopback allowed, plain uploads not (the default): refused before any connection too.
    s.section = s.section.replace(
        "allow_insecure_transfers = true",
        "allow_local_transfer_hosts = true",
    );
    s.restart(1);
    s.csms.call(
        "GetLog",
        json!({"logType": "DiagnosticsLog", "requestId": 77, "retries": 2,
               "log": {"remoteLocation": http.url("/upload/")}}),
    );
    let seen = wait_status(
        &s.csms,
        "LogStatusNotification",
        Some(77),
        "UploadFailure",
        0,
    );
    assert_eq!(seen, ["Uploading", "UploadFailure"]);
    assert_eq!(
        http.requests("POST", "/upload/"),
        0,
        "a plain upload went out"
    );
    s.csms.assert_clean();
}

// ----- 5. GetLog --------------------------------------------------------------------------------

#[test]
fn get_log_uploads_the_security_log_with_its_request_id() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    let mut s = station(dir.path(), "allow_insecure_transfers = true");

    let conf = s.csms.call(
        "GetLog",
        json!({"logType": "SecurityLog", "requestId": 42,
               "log": {"remoteLocation": http.url("/upload/")}}),
    );
    assert_eq!(conf["status"], "Accepted", "{conf}");
    let name = conf["filename"].as_str().unwrap().to_string();
    let seen = wait_status(&s.csms, "LogStatusNotification", Some(42), "Uploaded", 0);
    assert_eq!(seen, ["Uploading", "Uploaded"], "{}", s.csms.diagnostics());
    let archive = members(&http.uploaded(&name));
    assert_eq!(
        archive.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        ["security-log.txt"],
        "a security log holds the security log only"
    );
    let log = String::from_utf8_lossy(member(&archive, "security-log.txt")).into_owned();
    assert!(log.contains("StartupOfTheDevice"), "{log}");

    // A refused upload: UploadFailure with the request id.
    let conf = s.csms.call(
        "GetLog",
        json!({"logType": "SecurityLog", "requestId": 43, "retries": 0,
               "log": {"remoteLocation": http.url("/status/403")}}),
    );
    assert_eq!(conf["status"], "Accepted", "{conf}");
    let seen = wait_status(
        &s.csms,
        "LogStatusNotification",
        Some(43),
        "UploadFailure",
        0,
    );
    assert_eq!(seen, ["Uploading", "UploadFailure"]);
    s.csms.assert_clean();
}

#[test]
fn a_second_get_log_cancels_the_running_upload() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let http = Peer::http(&dir.path().join("http"));
    let mut s = station(dir.path(), "allow_insecure_transfers = true");
    // 16 MiB that do not compress: the slow endpoint takes about 7 s for them, more than the
    // kernel's socket buffers hold.
    std::fs::write(
        dir.path().join("charger.log"),
        payload(16 * 1024 * 1024, 21),
    )
    .unwrap();
    let conf = s.csms.call(
        "GetLog",
        json!({"logType": "DiagnosticsLog", "requestId": 60,
               "log": {"remoteLocation": http.url("/slowupload/")}}),
    );
    assert_eq!(conf["status"], "Accepted", "{conf}");
    wait_status(&s.csms, "LogStatusNotification", Some(60), "Uploading", 0);
    s.csms.wait(LONG, "the slow upload under way", |_| {
        (http.requests("POST", "/slowupload/") > 0).then_some(())
    });
    let conf = s.csms.call(
        "GetLog",
        json!({"logType": "SecurityLog", "requestId": 61,
               "log": {"remoteLocation": http.url("/upload/")}}),
    );
    assert_eq!(conf["status"], "AcceptedCanceled", "{conf}");
    let name = conf["filename"].as_str().unwrap().to_string();
    wait_status(&s.csms, "LogStatusNotification", Some(61), "Uploaded", 0);
    member(&members(&http.uploaded(&name)), "security-log.txt");
    // The first upload stopped: the server saw its connection go before the end.
    let ended = s.csms.wait(LONG, "the slow upload's end", |_| {
        ["complete", "aborted"]
            .into_iter()
            .find(|end| http.requests("END", &format!("/slowupload/ {end}")) > 0)
    });
    assert_eq!(ended, "aborted", "the canceled upload went on");
    let recs = s.csms.records();
    assert_eq!(
        statuses(&recs, "LogStatusNotification", Some(60)),
        ["Uploading"]
    );
    // Nothing of either archive is left in the work directory.
    let left: Vec<_> = std::fs::read_dir(s.work())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tar.gz"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    s.csms.assert_clean();
}

// ----- 6. certificates ---------------------------------------------------------------------------

#[test]
fn install_list_and_delete_ca_certificates() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut s = station_with(dir.path(), "", "trust_csms_manufacturer_roots = true");

    let csms_key = KeyPair::generate().unwrap();
    let csms_root = ca_params("chargerd e2e CSMS root")
        .self_signed(&csms_key)
        .unwrap();
    let mfr_key = KeyPair::generate().unwrap();
    let mut mfr = ca_params("chargerd e2e manufacturer root");
    // A serial with a leading zero octet in hex: OCPP names it without leading zeros.
    mfr.serial_number = Some(SerialNumber::from(vec![0x0f, 0xed, 0x01]));
    let mfr_root = mfr.self_signed(&mfr_key).unwrap();

    for (kind, pem) in [
        ("CentralSystemRootCertificate", csms_root.pem()),
        ("ManufacturerRootCertificate", mfr_root.pem()),
    ] {
        let status = s.csms.status_of(
            "InstallCertificate",
            json!({"certificateType": kind, "certificate": pem}),
        );
        assert_eq!(status, "Accepted", "{kind}");
    }
    // Not a certificate, and a certificate that is no CA: both refused.
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let status = s.csms.status_of(
        "InstallCertificate",
        json!({"certificateType": "ManufacturerRootCertificate", "certificate": garbage}),
    );
    assert_eq!(status, "Rejected");
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["leaf.test".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "leaf.test");
    let leaf = leaf.self_signed(&leaf_key).unwrap();
    let status = s.csms.status_of(
        "InstallCertificate",
        json!({"certificateType": "CentralSystemRootCertificate", "certificate": leaf.pem()}),
    );
    assert_eq!(status, "Rejected");

    // The hash data as the CSMS computes it (RFC 6960 CertID): SHA-256 of the DER issuer
    // Name and of the issuer's public key bits (its own, for a root).
    let expected = |der: &[u8], key: &KeyPair| {
        let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
        json!({
            "hashAlgorithm": "SHA256",
            "issuerNameHash": sha256_hex(cert.issuer().as_raw()),
            "issuerKeyHash": sha256_hex(key.public_key_raw()),
            "serialNumber": cert.raw_serial_as_string().replace(':', "").trim_start_matches('0'),
        })
    };
    let mfr_hash = expected(mfr_root.der(), &mfr_key);
    assert_eq!(mfr_hash["serialNumber"], "fed01");
    for (kind, want) in [
        (
            "CentralSystemRootCertificate",
            expected(csms_root.der(), &csms_key),
        ),
        ("ManufacturerRootCertificate", mfr_hash.clone()),
    ] {
        let conf = s.csms.call(
            "GetInstalledCertificateIds",
            json!({"certificateType": kind}),
        );
        assert_eq!(conf["status"], "Accepted", "{conf}");
        assert_eq!(conf["certificateHashData"], json!([want]), "{kind}");
    }

    let status = s.csms.status_of(
        "DeleteCertificate",
        json!({"certificateHashData": mfr_hash}),
    );
    assert_eq!(status, "Accepted");
    let status = s.csms.status_of(
        "DeleteCertificate",
        json!({"certificateHashData": mfr_hash}),
    );
    assert_eq!(status, "NotFound");
    let conf = s.csms.call(
        "GetInstalledCertificateIds",
        json!({"certificateType": "ManufacturerRootCertificate"}),
    );
    assert_eq!(conf["status"], "NotFound", "{conf}");
    // The CSMS root is still there.
    let conf = s.csms.call(
        "GetInstalledCertificateIds",
        json!({"certificateType": "CentralSystemRootCertificate"}),
    );
    assert_eq!(conf["status"], "Accepted", "{conf}");
    s.csms.assert_clean();
}

// ----- 7. SignCertificate / CertificateSigned ---------------------------------------------------

/// Waits for the `nth` SignCertificate and returns its CSR.
fn wait_csr(csms: &Csms, nth: usize) -> String {
    csms.wait(LONG, "SignCertificate", |r| {
        calls(r, "SignCertificate")
            .get(nth)
            .map(|(_, c)| c["payload"]["csr"].as_str().unwrap().to_string())
    })
}

/// A client certificate for the CSR's key, signed by `issuer`.
fn sign_csr(csr: &str, issuer: &Issuer<'_, &KeyPair>) -> String {
    let mut req = CertificateSigningRequestParams::from_pem(csr).unwrap();
    req.params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    req.params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    req.signed_by(issuer).unwrap().pem()
}

#[test]
fn a_triggered_csr_is_signed_and_only_a_chain_for_its_key_is_accepted() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut s = station(dir.path(), "");

    // The CSMS's CA, installed as CentralSystemRootCertificate: the chain must verify to it.
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params("chargerd e2e CPO CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let status = s.csms.status_of(
        "InstallCertificate",
        json!({"certificateType": "CentralSystemRootCertificate", "certificate": ca_pem}),
    );
    assert_eq!(status, "Accepted");

    let status = s.csms.status_of(
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(status, "Accepted");
    let csr = wait_csr(&s.csms, 0);
    let der =
        rustls::pki_types::CertificateSigningRequestDer::from_pem_slice(csr.as_bytes()).unwrap();
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(der.as_ref())
            .unwrap();
    req.verify_signature().unwrap();
    let cn: Vec<&str> = req
        .certification_request_info
        .subject
        .iter_common_name()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cn, [CP_ID], "the CSR's CN is the charge point identity");

    // A certificate (right CN, right CA) for another key: Rejected, security event.
    let other_key = KeyPair::generate().unwrap();
    let mut other = CertificateParams::new(Vec::<String>::new()).unwrap();
    other.distinguished_name.push(DnType::CommonName, CP_ID);
    other.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let other = other.signed_by(&other_key, &issuer).unwrap().pem();
    let status = s.csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": format!("{other}{ca_pem}")}),
    );
    assert_eq!(status, "Rejected");
    s.csms
        .wait(LONG, "InvalidChargePointCertificate event", |r| {
            security_events(r)
                .iter()
                .any(|e| e == "InvalidChargePointCertificate")
                .then_some(())
        });

    // The right key but from a CA the charger does not trust: Rejected too.
    let rogue_key = KeyPair::generate().unwrap();
    let rogue = ca_params("rogue CA");
    let rogue_issuer = Issuer::from_params(&rogue, &rogue_key);
    let status = s.csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": sign_csr(&csr, &rogue_issuer)}),
    );
    assert_eq!(status, "Rejected");

    // The CSR signed by the trusted CA: Accepted, and kept for security profile 3.
    let cert = sign_csr(&csr, &issuer);
    let status = s.csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": format!("{cert}{ca_pem}")}),
    );
    assert_eq!(status, "Accepted");
    let stored: Vec<PathBuf> =
        std::fs::read_dir(s.work().join("certificates/ChargePointCertificate"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    assert!(
        stored
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".cert.pem")),
        "{stored:?}"
    );
    // Nothing is pending any more: the same chain again is refused.
    let status = s.csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": format!("{cert}{ca_pem}")}),
    );
    assert_eq!(status, "Rejected");
    s.csms.assert_clean();
}

#[test]
fn a_certificate_from_certificate_signed_raises_the_link_to_security_profile_3() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    // The CSMS's CA: it signs the CSMS's server certificate and the charger's CSR.
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params("chargerd e2e CSMS CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    std::fs::write(file("ca.pem"), &ca_pem).unwrap();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "csms.test");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server.signed_by(&server_key, &issuer).unwrap();
    std::fs::write(file("server.pem"), server.pem()).unwrap();
    std::fs::write(file("server.key"), server_key.serialize_pem()).unwrap();
    let key = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    std::fs::write(file("authorization.key"), key).unwrap();

    // Profile 2 first: TLS and the AuthorizationKey; a client certificate is verified when
    // one is sent, and then no password is needed.
    let mut csms = Csms::start(
        dir.path(),
        &[
            "--tls-cert",
            &file("server.pem"),
            "--tls-key",
            &file("server.key"),
            "--tls-client-ca",
            &file("ca.pem"),
            "--tls-client-optional",
            "--auth-key",
            key,
        ],
    );
    let section = format!(
        "[ocpp]\ncsms_url = \"wss://127.0.0.1:{}/ocpp\"\ncharge_point_id = \"{CP_ID}\"\n\
         security_profile = 2\nauthorization_key_file = \"{}\"\nca_bundle = \"{}\"\n\
         retry_backoff_min_s = 1\nretry_backoff_max_s = 2\nretry_backoff_random_range_s = 0\n\
         [ocpp.files]\nwork_dir = \"{}\"\nsystemd_unit = \"\"\n",
        csms.port,
        file("authorization.key"),
        file("ca.pem"),
        file("work"),
    );
    let mut d = Chargerd::start_with(dir.path(), &mut csms, &section);
    csms.wait(LONG, "registration with profile 2", |r| registered(r, 0));

    let status = csms.status_of(
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(status, "Accepted");
    let csr = wait_csr(&csms, 0);
    let cert = sign_csr(&csr, &issuer);
    let status = csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": format!("{cert}{ca_pem}")}),
    );
    assert_eq!(status, "Accepted");

    let status = csms.status_of(
        "ChangeConfiguration",
        json!({"key": "SecurityProfile", "value": "3"}),
    );
    assert_eq!(status, "Accepted");
    let conn = csms.wait(LONG, "a connection with the new certificate", |r| {
        r.iter()
            .filter(|x| x["kind"] == "connected")
            .nth(1)
            .cloned()
    });
    assert_eq!(conn["tls"]["client_cn"], CP_ID, "{conn}");
    assert!(
        conn["authorization"].is_null(),
        "profile 3 sends no password: {conn}"
    );
    csms.wait(LONG, "registration with profile 3", |r| registered(r, 1));
    let conf = csms.call("GetConfiguration", json!({"key": ["SecurityProfile"]}));
    assert_eq!(conf["configurationKey"][0]["value"], "3", "{conf}");

    // And after a restart the raised profile and the certificate are still used.
    assert!(d.terminate().success());
    d = Chargerd::start_with(dir.path(), &mut csms, &section);
    let conn = csms.wait(LONG, "a connection after the restart", |r| {
        r.iter()
            .filter(|x| x["kind"] == "connected")
            .nth(2)
            .cloned()
    });
    assert_eq!(conn["tls"]["client_cn"], CP_ID, "{conn}");
    csms.wait(LONG, "registration after the restart", |r| registered(r, 2));
    assert!(d.alive());
    csms.assert_clean();
}

#[test]
fn a_pending_csr_key_survives_a_restart() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut s = station(dir.path(), "");
    let status = s.csms.status_of(
        "ExtendedTriggerMessage",
        json!({"requestedMessage": "SignChargePointCertificate"}),
    );
    assert_eq!(status, "Accepted");
    let csr = wait_csr(&s.csms, 0);
    // Kept in a 0600 file of its own, never in the journal (whose copies travel further).
    use std::os::unix::fs::PermissionsExt;
    let key_file = s.work().join("pending-client-key.pem");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    for entry in std::fs::read_dir(dir.path().join("state")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
                "key material in {}",
                path.display()
            );
        }
    }

    // The CSMS answers after the charger restarted: the key the CSR was made with is kept.
    s.restart(1);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params("chargerd e2e CPO CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let cert = sign_csr(&csr, &Issuer::from_params(&ca, &ca_key));
    let status = s.csms.status_of(
        "CertificateSigned",
        json!({"certificateChain": format!("{cert}{ca_pem}")}),
    );
    assert_eq!(status, "Accepted", "{}", s.csms.diagnostics());
    s.csms.assert_clean();
}

// ----- 8. triggered status while idle ----------------------------------------------------------

#[test]
fn triggered_status_notifications_while_idle_say_idle_once() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut s = station(dir.path(), "");

    for (action, requested) in [
        ("TriggerMessage", "FirmwareStatusNotification"),
        ("TriggerMessage", "DiagnosticsStatusNotification"),
        ("ExtendedTriggerMessage", "FirmwareStatusNotification"),
        ("ExtendedTriggerMessage", "LogStatusNotification"),
    ] {
        let status = s
            .csms
            .status_of(action, json!({"requestedMessage": requested}));
        assert_eq!(status, "Accepted", "{action} {requested}");
    }
    s.csms.wait(LONG, "the triggered notifications", |r| {
        (!calls(r, "FirmwareStatusNotification").is_empty()
            && !calls(r, "DiagnosticsStatusNotification").is_empty()
            && !calls(r, "SignedFirmwareStatusNotification").is_empty()
            && !calls(r, "LogStatusNotification").is_empty())
        .then_some(())
    });
    // A moment for duplicates to show up.
    std::thread::sleep(Duration::from_secs(1));
    let recs = &s.csms.records();
    for action in [
        "FirmwareStatusNotification",
        "DiagnosticsStatusNotification",
        "SignedFirmwareStatusNotification",
        "LogStatusNotification",
    ] {
        let sent = calls(recs, action);
        assert_eq!(sent.len(), 1, "{action}: {sent:?}");
        assert_eq!(sent[0].1["payload"], json!({"status": "Idle"}), "{action}");
    }
    s.csms.assert_clean();
}
