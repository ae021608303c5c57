//! The real `chargerd` and `chargerctl` binaries, as a technician and systemd use them: a daemon
//! on the built-in simulator, its control socket, its journal, its notify protocol.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use e2e::sim_config_text;
use serde_json::Value;

const CHARGERD: &str = env!("CARGO_BIN_EXE_chargerd");
const CHARGERCTL: &str = env!("CARGO_BIN_EXE_chargerctl");

struct Daemon {
    child: Child,
    dir: PathBuf,
    notify: UnixDatagram,
    seen: Vec<String>,
}

impl Daemon {
    /// Start chargerd on configs/sim.toml with its state under `dir`, and wait for READY=1.
    fn start(dir: &Path) -> Daemon {
        let config = dir.join("chargerd.toml");
        std::fs::write(&config, sim_config_text(dir)).unwrap();
        let notify_path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&notify_path);
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let child = Command::new(CHARGERD)
            .arg("--config")
            .arg(&config)
            .env("NOTIFY_SOCKET", &notify_path)
            .env("WATCHDOG_USEC", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut d = Daemon {
            child,
            dir: dir.to_path_buf(),
            notify,
            seen: Vec::new(),
        };
        d.wait_notify("READY=1", Duration::from_secs(30));
        d
    }

    fn wait_notify(&mut self, what: &str, limit: Duration) {
        let end = Instant::now() + limit;
        let mut buf = [0u8; 256];
        while Instant::now() < end {
            if self.seen.iter().any(|m| m == what) {
                return;
            }
            if let Ok(n) = self.notify.recv(&mut buf) {
                self.seen
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chargerd exited with {status} before sending {what}");
            }
        }
        panic!("chargerd did not send {what}; got {:?}", self.seen);
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("run/control.sock")
    }

    fn admin_socket(&self) -> PathBuf {
        self.dir.join("run/admin.sock")
    }

    fn ctl(&self, args: &[&str]) -> Output {
        Command::new(CHARGERCTL)
            .arg("--socket")
            .arg(self.socket())
            .args(args)
            .output()
            .unwrap()
    }

    fn ctl_ok(&self, args: &[&str]) -> String {
        let out = self.ctl(args);
        assert!(
            out.status.success(),
            "chargerctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ctl_ok(&all)).unwrap()
    }

    fn connector(&self, id: u64) -> Value {
        let status = self.json(&["status"]);
        status["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    }

    fn wait_for(&self, limit: Duration, what: &str, done: impl FnMut(&Value) -> bool) -> Value {
        self.wait_for_on(1, limit, what, done)
    }

    fn wait_for_on(
        &self,
        id: u64,
        limit: Duration,
        what: &str,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Value {
        let end = Instant::now() + limit;
        loop {
            let c = self.connector(id);
            if done(&c) {
                return c;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; last status {c:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < end, "chargerd did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_truck_charges_through_chargerctl_on_the_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path());

    let mode = std::fs::metadata(d.socket()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660, "control socket mode {mode:o}");
    let mode = std::fs::metadata(d.admin_socket())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "admin socket mode {mode:o}");

    // A small truck so that the whole session fits in a few seconds of real time.
    d.ctl_ok(&[
        "sim",
        "plug",
        "1",
        "--soc",
        "79",
        "--target-soc",
        "80",
        "--capacity-kwh",
        "3",
    ]);
    let started = d.ctl_ok(&["start", "1", "--id-tag", "FLEET-042"]);
    assert!(started.contains("session started"), "{started}");
    d.wait_for(Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    let human = d.ctl_ok(&["status"]);
    assert!(human.contains("connector 1"), "{human}");
    assert!(human.contains("Charging"), "{human}");
    assert!(human.contains("limit"), "{human}");
    d.wait_notify("WATCHDOG=1", Duration::from_secs(5));

    let done = d.wait_for(Duration::from_secs(60), "the end of the session", |c| {
        c["last_stop"] != Value::Null
    });
    assert_eq!(done["last_stop"]["kind"], "vehicle_request", "{done:#}");
    assert_eq!(done["truck"]["soc_percent"].as_f64().unwrap().round(), 80.0);

    let sessions = d.json(&["sessions"]);
    let s = &sessions["sessions"][0];
    assert_eq!(s["id_tag"], "FLEET-042");
    assert_eq!(s["stop_reason"]["kind"], "vehicle_request");
    assert!(s["energy_wh"].as_f64().unwrap() > 10.0, "{s:#}");
    let table = d.ctl_ok(&["sessions"]);
    assert!(table.contains("vehicle request"), "{table}");

    let status = d.terminate();
    assert!(status.success(), "chargerd exited with {status}");
    assert!(!dir.path().join("run/control.sock").exists());
    assert!(!dir.path().join("run/admin.sock").exists());
}

#[test]
fn a_killed_daemon_closes_the_interrupted_transaction_at_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    d.ctl_ok(&["sim", "plug", "1"]);
    d.ctl_ok(&["start", "1"]);
    d.wait_for(Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    d.kill9();

    let d = Daemon::start(dir.path());
    let sessions = d.json(&["sessions"]);
    let s = &sessions["sessions"][0];
    assert_eq!(s["stop_reason"]["kind"], "power_loss", "{s:#}");
    assert!(s["stopped_at"].is_string());
    // The truck is gone with the old process; the connector is free again.
    assert_eq!(d.connector(1)["status"], "Available");
    assert!(d.terminate().success());
}

#[test]
fn the_control_socket_answers_bad_requests_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    // The admin socket: every request is allowed there, so what is refused is refused for
    // being bad, not for being on the wrong socket.
    let stream = UnixStream::connect(d.admin_socket()).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut ask = |line: &str| -> Value {
        w.write_all(line.as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
        let mut answer = String::new();
        r.read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).unwrap()
    };
    for bad in [
        "not json",
        "{\"request\":\"explode\"}",
        "{\"request\":\"start\",\"connector\":\"one\"}",
        "{\"request\":\"start\",\"connector\":9}",
        "{\"request\":\"sim\",\"connector\":1,\"command\":{\"command\":\"fault\",\"0\":\"x\"}}",
    ] {
        let a = ask(bad);
        assert_eq!(a["result"], "error", "{bad} → {a}");
        assert!(a["message"].as_str().unwrap().len() > 5);
    }
    let a = ask("{\"request\":\"status\"}");
    assert_eq!(a["result"], "status");
    // An unknown fault name from chargerctl is refused before it reaches the daemon.
    let out = d.ctl(&["sim", "fault", "1", "gremlins"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault"));
    assert!(d.terminate().success());
}

/// One request line, one answer, on a fresh connection to `socket`.
fn ask(socket: &Path, line: &str) -> Value {
    let stream = UnixStream::connect(socket).unwrap();
    let mut w = stream.try_clone().unwrap();
    w.write_all(line.as_bytes()).unwrap();
    w.write_all(b"\n").unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    serde_json::from_str(&answer).unwrap()
}

#[test]
fn a_mutating_request_on_the_read_only_control_socket_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    let ro = d.socket();
    for (name, line) in [
        ("start", r#"{"request":"start","connector":1}"#),
        ("stop", r#"{"request":"stop","connector":1}"#),
        (
            "availability",
            r#"{"request":"availability","connector":1,"operative":false}"#,
        ),
        (
            "config_set",
            r#"{"request":"config_set","key":"HeartbeatInterval","value":"1"}"#,
        ),
        (
            "sim",
            r#"{"request":"sim","connector":1,"command":{"command":"unplug"}}"#,
        ),
        (
            "sim",
            r#"{"request":"sim","connector":1,"command":{"command":"clear_faults"}}"#,
        ),
        (
            "inlet",
            r#"{"request":"inlet","connector":1,"inlet":{"plugged":true,"contactors_closed":true,"battery_voltage":640.0}}"#,
        ),
    ] {
        let a = ask(&ro, line);
        assert_eq!(a["result"], "error", "{line} → {a}");
        let message = a["message"].as_str().unwrap();
        assert!(message.contains("permission denied"), "{message}");
        assert!(message.contains(&format!("`{name}`")), "{message}");
        assert!(message.contains("read-only"), "{message}");
        assert!(message.contains("admin socket"), "{message}");
    }
    // Reads are answered there.
    for line in [r#"{"request":"status"}"#, r#"{"request":"sessions"}"#] {
        let a = ask(&ro, line);
        assert_ne!(a["result"], "error", "{line} → {a}");
    }
    // Nothing changed: connector 1 is still operative and nothing was plugged in.
    let c = d.connector(1);
    assert_eq!(c["operative"], true, "{c:#}");
    assert_eq!(c["plugged"], false, "{c:#}");
    // The same availability request on the admin socket is carried out.
    let a = ask(
        &d.admin_socket(),
        r#"{"request":"availability","connector":1,"operative":false}"#,
    );
    assert_eq!(a["result"], "done", "{a}");
    assert_eq!(d.connector(1)["operative"], false);

    // chargerctl picks the socket by command: with the admin socket pointed elsewhere, a read
    // still works and a change fails on the admin socket it was sent to, named.
    let elsewhere = dir.path().join("nowhere/admin.sock");
    let out = Command::new(CHARGERCTL)
        .arg("--socket")
        .arg(d.socket())
        .arg("--admin-socket")
        .arg(&elsewhere)
        .args(["availability", "1", "operative"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&elsewhere.display().to_string()), "{err}");
    let out = Command::new(CHARGERCTL)
        .arg("--socket")
        .arg(d.socket())
        .arg("--admin-socket")
        .arg(&elsewhere)
        .arg("status")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // …and by default (admin.sock beside --socket) the change goes through.
    d.ctl_ok(&["availability", "1", "operative"]);
    assert_eq!(d.connector(1)["operative"], true);
    assert!(d.terminate().success());
}

#[test]
fn chargerctl_says_clearly_when_the_daemon_is_not_running() {
    let out = Command::new(CHARGERCTL)
        .args(["--socket", "/nonexistent/chargerd.sock", "status"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not running"), "{err}");
    assert!(err.contains("/nonexistent/chargerd.sock"), "{err}");
}

#[test]
fn check_config_names_the_file_and_key_of_a_typo() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = sim_config_text(dir.path()).replace("max_current = 400.0", "max_curent = 400.0");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("max_curent"), "{err}");

    let good = dir.path().join("good.toml");
    std::fs::write(&good, sim_config_text(dir.path())).unwrap();
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_gbt_truck_charges_on_connector_2_and_chargerctl_shows_what_it_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    d.ctl_ok(&[
        "sim",
        "plug",
        "2",
        "--soc",
        "79",
        "--target-soc",
        "80",
        "--capacity-kwh",
        "3",
    ]);
    d.ctl_ok(&["start", "2"]);
    d.wait_for_on(2, Duration::from_secs(30), "current flowing", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 10.0
    });
    let human = d.ctl_ok(&["status"]);
    assert!(human.contains("[Gbt, simulated]"), "{human}");
    assert!(human.contains("VIN LGHC4V1D5PE000123"), "{human}");
    assert!(human.contains("battery LFP"), "{human}");
    assert!(human.contains("GB/T 27930 V1.1.0"), "{human}");
    assert!(human.contains("max cell"), "{human}");
    let c = d.connector(2);
    assert_eq!(c["vehicle"]["vin"], "LGHC4V1D5PE000123");
    assert_eq!(c["vehicle"]["charge_mode"], "constant current");
    let done = d.wait_for_on(2, Duration::from_secs(60), "the end of the session", |c| {
        c["last_stop"].is_object()
    });
    assert_eq!(done["last_stop"]["kind"], "vehicle_request", "{done:#}");
    let sessions = d.json(&["sessions"]);
    let s = &sessions["sessions"][0];
    assert_eq!(s["connector"], 2);
    assert!(s["energy_wh"].as_f64().unwrap() > 0.0, "{s:#}");
}

#[test]
fn the_example_config_is_refused_with_the_reason_until_real_backends_exist() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/example.toml"))
        .env("CHARGERD_STATION__STATE_DIR", dir.path())
        .env(
            "CHARGERD_STATION__CONTROL_SOCKET",
            dir.path().join("c.sock"),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can.backend"), "{err}");
}
