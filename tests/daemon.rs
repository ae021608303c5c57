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
        Self::start_with(dir, &sim_config_text(dir))
    }

    /// Start chargerd on the configuration `text`, and wait for READY=1.
    fn start_with(dir: &Path, text: &str) -> Daemon {
        let config = dir.join("chargerd.toml");
        std::fs::write(&config, text).unwrap();
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

    /// Wait for a notify message that starts with `prefix`; returns it.
    fn wait_notify_starting(&mut self, prefix: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        let mut buf = [0u8; 256];
        while Instant::now() < end {
            if let Some(m) = self.seen.iter().find(|m| m.starts_with(prefix)) {
                return m.clone();
            }
            if let Ok(n) = self.notify.recv(&mut buf) {
                self.seen
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        panic!("chargerd did not send {prefix}…; got {:?}", self.seen);
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
    // The state directory (journal, keys, staged images) is the service's own.
    let mode = std::fs::metadata(dir.path().join("state"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700, "state directory mode {mode:o}");

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

/// Issue 16, point 7, end to end through chargerctl: a welded contactor (connector 1) keeps
/// the connector Faulted across unplug and repair until `availability 1 operative`; a stale
/// board I/O and a jammed lock (connector 2) fault it with their own kinds, outputs safe.
#[test]
fn board_io_faults_from_chargerctl_fault_the_connector_until_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    let fault_kind = |c: &Value| c["status_fault"]["kind"].clone();
    d.ctl_ok(&["sim", "plug", "1"]);
    d.ctl_ok(&["start", "1"]);
    // Current flowing: the contactors are closed, and weld as they are.
    d.wait_for(Duration::from_secs(30), "current flowing", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 10.0
    });
    d.ctl_ok(&["sim", "fault", "1", "contactor-welded"]);
    d.ctl_ok(&["stop", "1"]);
    let c = d.wait_for(Duration::from_secs(30), "welded", |c| {
        c["status"] == "Faulted"
    });
    assert_eq!(fault_kind(&c), "contactor-welded", "{c:#}");
    assert_eq!(c["power_kw"].as_f64().unwrap().round(), 0.0, "{c:#}");
    d.ctl_ok(&["sim", "unplug", "1"]);
    d.ctl_ok(&["sim", "clear", "1"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fault_kind(&d.connector(1)), "contactor-welded");
    d.ctl_ok(&["availability", "1", "operative"]);
    d.wait_for(Duration::from_secs(10), "cleared by the technician", |c| {
        c["status"] == "Available"
    });

    d.ctl_ok(&["sim", "fault", "2", "io-stale"]);
    let c = d.wait_for_on(2, Duration::from_secs(10), "stale I/O", |c| {
        c["status"] == "Faulted"
    });
    assert_eq!(
        fault_kind(&c),
        serde_json::json!({"stale-reading": "digital-io"}),
        "{c:#}"
    );
    d.ctl_ok(&["sim", "clear", "2"]);
    d.wait_for_on(2, Duration::from_secs(10), "fresh I/O", |c| {
        c["status"] == "Available"
    });
    d.ctl_ok(&["sim", "plug", "2"]);
    d.ctl_ok(&["sim", "fault", "2", "lock-jammed"]);
    d.ctl_ok(&["start", "2"]);
    let c = d.wait_for_on(2, Duration::from_secs(30), "lock fault", |c| {
        c["status"] == "Faulted"
    });
    assert_eq!(fault_kind(&c), "lock-not-reached", "{c:#}");
    assert_eq!(c["current"].as_f64().unwrap().round(), 0.0, "{c:#}");
    assert!(d.terminate().success());
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'gremlins'") && err.contains("vehicle-pause"),
        "{err}"
    );
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

/// An account that may reach the read-only socket cannot exhaust the daemon by opening
/// connections: past the cap it is told so, and the admin socket still answers.
#[test]
fn connections_are_capped_per_socket_and_the_admin_socket_stays_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    let cap = chargerd::control::server::MAX_CONNECTIONS;
    let idle: Vec<UnixStream> = (0..cap)
        .map(|_| UnixStream::connect(d.socket()).unwrap())
        .collect();
    // Let the daemon accept them all.
    std::thread::sleep(Duration::from_millis(200));
    let extra = UnixStream::connect(d.socket()).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    BufReader::new(extra).read_line(&mut answer).unwrap();
    let a: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(a["result"], "error", "{a}");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("too many connections"),
        "{a}"
    );
    assert_eq!(
        ask(&d.admin_socket(), r#"{"request":"status"}"#)["result"],
        "status"
    );
    // Once they close, their slots come back (as soon as the daemon has seen them go).
    drop(idle);
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let a = ask(&d.socket(), r#"{"request":"status"}"#);
        if a["result"] == "status" {
            break;
        }
        assert!(Instant::now() < end, "slots not released: {a}");
        std::thread::sleep(Duration::from_millis(50));
    }
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

/// Issue 11: `chargerd.toml.d/*.toml` beside the file is merged over it in lexical order; the
/// running daemon uses the result, and a typo in a drop-in names the drop-in and the key.
#[test]
fn config_drop_ins_apply_in_order_and_a_typo_names_the_drop_in() {
    let dir = tempfile::tempdir().unwrap();
    let drop_ins = dir.path().join("chargerd.toml.d");
    std::fs::create_dir(&drop_ins).unwrap();
    std::fs::write(
        drop_ins.join("10-name.toml"),
        "[station]\nname = \"depot-3\"\n",
    )
    .unwrap();
    std::fs::write(
        drop_ins.join("20-name.toml"),
        "[station]\nname = \"depot-7\"\n",
    )
    .unwrap();
    let d = Daemon::start(dir.path());
    assert_eq!(d.json(&["status"])["name"], "depot-7");
    drop(d);

    let config = dir.path().join("chargerd.toml");
    let check = || {
        Command::new(CHARGERD)
            .arg("--check-config")
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap()
    };
    let out = check();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("10-name.toml") && said.contains("20-name.toml"),
        "--check-config lists the drop-ins it merged: {said}"
    );

    std::fs::write(
        drop_ins.join("30-typo.toml"),
        "[station]\nsite_max_curent = 150\n",
    )
    .unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("30-typo.toml"), "{err}");
    assert!(err.contains("station.site_max_curent"), "{err}");
}

#[test]
fn check_config_refuses_plain_transfers_with_a_tls_security_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile2.toml");
    let section = |insecure: bool| {
        format!(
            "\n[ocpp]\ncsms_url = \"wss://csms.example.com/ocpp\"\ncharge_point_id = \"CP1\"\n\
             security_profile = 2\nauthorization_key_file = \"/etc/chargerd/k\"\n\
             ca_bundle = \"/etc/chargerd/ca.pem\"\n[ocpp.files]\nallow_insecure_transfers = {insecure}\n"
        )
    };
    let check = |insecure: bool| {
        std::fs::write(
            &path,
            format!("{}{}", sim_config_text(dir.path()), section(insecure)),
        )
        .unwrap();
        Command::new(CHARGERD)
            .arg("--check-config")
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap()
    };
    let out = check(true);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profile2.toml"), "{err}");
    assert!(err.contains("ocpp.files.allow_insecure_transfers"), "{err}");
    let out = check(false);
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
    assert!(human.contains("[GB/T 27930, simulated]"), "{human}");
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

/// Issue 11: `STATUS=` says what the station does, and changes with it.
#[test]
fn the_status_line_systemd_shows_follows_the_station() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path());
    let idle = d.wait_notify_starting("STATUS=", Duration::from_secs(5));
    assert_eq!(idle, "STATUS=2 connectors: 0 charging; OCPP not configured");
    d.ctl_ok(&["sim", "plug", "1", "--soc", "50", "--target-soc", "80"]);
    d.ctl_ok(&["start", "1"]);
    let charging =
        d.wait_notify_starting("STATUS=2 connectors: 1 charging ", Duration::from_secs(30));
    assert!(charging.ends_with(" A; OCPP not configured"), "{charging}");
    d.ctl_ok(&["stop", "1"]);
    assert!(d.terminate().success());
}

/// Issue 11: under systemd (`$JOURNAL_STREAM`) every line carries its journald priority, so
/// `journalctl -p warning` works; logs that are not a terminal carry no colour codes.
#[test]
fn logs_carry_journald_priorities_and_no_colour_codes() {
    for journal in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        // An [ocpp] section with a typo: the daemon starts and logs an error about it.
        let text = format!(
            "{}\n[ocpp]\ncsms_url = \"ws://127.0.0.1:9/ocpp\"\ncharge_point_id = \"CP1\"\nsecurity_profle = 1\n",
            sim_config_text(dir.path())
        );
        let config = dir.path().join("chargerd.toml");
        std::fs::write(&config, text).unwrap();
        let log = dir.path().join("out.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(CHARGERD);
        cmd.arg("--config")
            .arg(&config)
            .env_remove("NO_COLOR")
            .env_remove("JOURNAL_STREAM")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        if journal {
            cmd.env("JOURNAL_STREAM", "8:4242");
        }
        let mut child = cmd.spawn().unwrap();
        let socket = dir.path().join("run/control.sock");
        let end = Instant::now() + Duration::from_secs(20);
        while !Command::new(CHARGERCTL)
            .arg("--socket")
            .arg(&socket)
            .arg("status")
            .output()
            .unwrap()
            .status
            .success()
        {
            assert!(Instant::now() < end, "chargerd did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success());
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            !text.contains('\u{1b}'),
            "colour codes in a log file:\n{text}"
        );
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert!(lines.len() >= 3, "{text}");
        if journal {
            for line in &lines {
                let prefixed = line.len() > 3
                    && line.starts_with('<')
                    && line.as_bytes()[1].is_ascii_digit()
                    && line.as_bytes()[2] == b'>';
                assert!(prefixed, "no priority on {line:?}");
            }
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("<3>") && l.contains("OCPP")),
                "the OCPP error at priority 3:\n{text}"
            );
            assert!(lines.iter().any(|l| l.starts_with("<6>")), "{text}");
        } else {
            assert!(!lines.iter().any(|l| l.starts_with("<6>")), "{text}");
        }
    }
}

/// Issue 10: start-up never refuses to charge over its own journal. A journal that is not one
/// (a torn write, a full disk, a file from elsewhere) is moved aside with a timestamp, a fresh
/// one is started, `chargerctl status` says so, and a truck charges.
#[test]
fn an_unusable_journal_is_moved_aside_and_the_station_charges() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(state.join("journal.sqlite"), vec![0x5a; 64 * 1024]).unwrap();
    let d = Daemon::start(dir.path());
    let status = d.json(&["status"]);
    let why = status["journal_recovered"].as_str().unwrap_or_default();
    assert!(why.contains("moved to"), "{status:#}");
    assert!(d.ctl_ok(&["status"]).contains("warning: journal unusable"));
    let moved: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".unusable"))
        .collect();
    assert_eq!(moved.len(), 1, "the old journal kept aside");
    d.ctl_ok(&["sim", "plug", "1", "--soc", "50", "--target-soc", "80"]);
    d.ctl_ok(&["start", "1", "--id-tag", "FLEET-042"]);
    d.wait_for(Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    d.ctl_ok(&["stop", "1"]);
    assert!(d.terminate().success());
}

/// Issue 10: OCPP trouble never stops local charging. A typo in `[ocpp]`, a CSMS URL that is
/// not one, or TLS files that are not there: the daemon starts all the same, `chargerctl status`
/// says why OCPP is down, and the trucks charge by `authorization.id_tags`, the list that
/// decides without OCPP. `--check-config` still refuses what it can see in the file.
#[test]
fn ocpp_trouble_at_start_up_never_stops_local_charging() {
    let cases = [
        (
            "a typo",
            "[ocpp]\ncsms_url = \"ws://127.0.0.1:9/ocpp\"\ncharge_point_id = \"CP1\"\nsecurity_profle = 1\n",
            Some("ocpp.security_profle"),
        ),
        (
            "not a CSMS URL",
            "[ocpp]\ncsms_url = \"http://csms.example\"\ncharge_point_id = \"CP1\"\n",
            Some("ocpp.csms_url"),
        ),
        (
            "missing TLS files",
            "[ocpp]\ncsms_url = \"wss://127.0.0.1:9/ocpp\"\ncharge_point_id = \"CP1\"\n\
             security_profile = 3\nca_bundle = \"/nonexistent/ca.pem\"\n\
             client_certificate = \"/nonexistent/cp.pem\"\nclient_key = \"/nonexistent/cp.key\"\n",
            None,
        ),
    ];
    for (case, ocpp, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        let text = sim_config_text(dir.path()).replace(
            "mode = \"free\"",
            "mode = \"ocpp\"\nid_tags = [\"FLEET-042\"]",
        );
        let text = format!("{text}\n{ocpp}");
        if let Some(key) = key {
            let config = dir.path().join("check.toml");
            std::fs::write(&config, &text).unwrap();
            let out = Command::new(CHARGERD)
                .arg("--config")
                .arg(&config)
                .arg("--check-config")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(78), "{case}: --check-config");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(key),
                "{case}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let d = Daemon::start_with(dir.path(), &text);
        let status = d.json(&["status"]);
        let why = status["ocpp"].as_str().unwrap_or_default();
        assert!(why.starts_with("down"), "{case}: {status:#}");
        if let Some(key) = key {
            assert!(why.contains(key), "{case}: {why}");
        }
        assert!(d.ctl_ok(&["status"]).contains("OCPP"), "{case}");
        let out = d.ctl(&["ocpp"]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("OCPP is down"),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A tag on the configured list charges; any other is refused, saying why.
        d.ctl_ok(&["sim", "plug", "1", "--soc", "50", "--target-soc", "80"]);
        d.ctl_ok(&["start", "1", "--id-tag", "FLEET-042"]);
        d.wait_for(Duration::from_secs(30), "Charging", |c| {
            c["status"] == "Charging"
        });
        d.ctl_ok(&["sim", "plug", "2", "--soc", "50", "--target-soc", "80"]);
        let out = d.ctl(&["start", "2", "--id-tag", "STRANGER"]);
        assert!(!out.status.success(), "{case}: a stranger started");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("authorization.id_tags"),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        d.ctl_ok(&["stop", "1"]);
        assert!(d.terminate().success(), "{case}");
    }
}

// ----- control-socket fuzzing -------------------------------------------------------------------

mod control_fuzz {
    use super::*;
    use chargerd::control::{Access, Request};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use serde_json::json;

    /// Cases per run: 256 in CI; `PROPTEST_CASES=100000` for a long run (SECURITY.md).
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    fn edge_number() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(0)),
            Just(json!(-1)),
            Just(json!(1)),
            Just(json!(2_147_483_648u64)),
            Just(json!(4_294_967_295u64)),
            Just(json!(4_294_967_296u64)),
            Just(json!(2_305_843_009_213_693_952u64)),
            Just(json!(i64::MAX)),
            Just(json!(u64::MAX)),
            Just(json!(i64::MIN)),
            Just(json!(1e308)),
            Just(json!(-1e308)),
            Just(json!(1e-308)),
            Just(json!(0.5)),
            Just(json!(-0.0)),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e6f64..1e6).prop_map(|x| json!(x)),
        ]
    }

    fn edge_string() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("x".repeat(10_000)),
            Just("FLEET-042".to_string()),
            Just("HeartbeatInterval".to_string()),
            Just("\u{0}\u{7f}\u{feff}é漢".to_string()),
            "[ -~]{0,40}",
        ]
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            edge_number(),
            edge_string().prop_map(Value::String),
        ]
    }

    fn any_json() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(edge_string(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A field value: usually an edge value of the right shape, sometimes anything.
    fn field(name: &'static str) -> impl Strategy<Value = (String, Value)> {
        let value = prop_oneof![
            4 => match name {
                "id_tag" | "key" | "value" => edge_string().prop_map(Value::String).boxed(),
                "operative" => any::<bool>().prop_map(Value::Bool).boxed(),
                "keys" => prop::collection::vec(edge_string().prop_map(Value::String), 0..4)
                    .prop_map(Value::Array)
                    .boxed(),
                "command" => sim_command().boxed(),
                "inlet" => inlet().boxed(),
                _ => edge_number().boxed(),
            },
            1 => any_json(),
        ];
        value.prop_map(move |v| (name.to_string(), v))
    }

    fn numbers_for(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
        prop::collection::vec(
            prop_oneof![3 => edge_number(), 1 => (0.0f64..1000.0).prop_map(|x| json!(x))],
            fields.len(),
        )
        .prop_map(move |values| {
            Value::Object(fields.iter().map(|f| f.to_string()).zip(values).collect())
        })
    }

    fn sim_command() -> impl Strategy<Value = Value> {
        const TRUCK: &[&str] = &[
            "soc_percent",
            "target_soc_percent",
            "capacity_kwh",
            "max_voltage",
            "max_current",
        ];
        prop_oneof![
            numbers_for(TRUCK).prop_map(|mut v| {
                v["command"] = json!("plug");
                v
            }),
            Just(json!({"command": "unplug"})),
            Just(json!({"command": "clear_faults"})),
            prop::sample::select(vec![
                "can-silent",
                "emergency-stop",
                "power-supply",
                "vehicle-fault",
                "insulation",
                "implausible-current",
                "vehicle-stop",
                "vehicle-pause",
                "gremlins",
            ])
            .prop_map(|f| json!({"command": "fault", "fault": f})),
        ]
    }

    fn inlet() -> impl Strategy<Value = Value> {
        (
            numbers_for(&["battery_voltage", "battery_resistance", "soc_percent"]),
            any::<[bool; 3]>(),
        )
            .prop_map(|(mut v, [plugged, permission, closed])| {
                v["plugged"] = json!(plugged);
                v["permission"] = json!(permission);
                v["contactors_closed"] = json!(closed);
                v
            })
    }

    /// Something shaped like a request: a known (or unknown) name and known field names with
    /// edge values; fields may be missing or extra.
    fn request_like() -> impl Strategy<Value = Value> {
        let name = prop_oneof![
            prop::sample::select(vec![
                "status",
                "sessions",
                "start",
                "stop",
                "availability",
                "sim",
                "inlet",
                "ocpp",
                "config_get",
                "config_set",
            ])
            .prop_map(String::from),
            edge_string(),
        ];
        let fields = prop::collection::vec(
            prop::sample::select(vec![
                "connector",
                "id_tag",
                "limit",
                "operative",
                "command",
                "inlet",
                "keys",
                "key",
                "value",
            ])
            .prop_flat_map(field),
            0..4,
        );
        (name, fields).prop_map(|(name, fields)| {
            let mut v = json!({ "request": name });
            for (k, f) in fields {
                v[k] = f;
            }
            v
        })
    }

    fn connector() -> impl Strategy<Value = Value> {
        prop_oneof![3 => (0u32..4).prop_map(|c| json!(c)), 1 => edge_number()]
    }

    /// A request with the right fields, mostly of the right types, values at the edges: what
    /// gets past the parser into the station.
    fn shaped_request() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!({"request": "status"})),
            edge_number().prop_map(|n| json!({"request": "sessions", "limit": n})),
            (connector(), proptest::option::of(edge_string()))
                .prop_map(|(c, t)| json!({"request": "start", "connector": c, "id_tag": t})),
            connector().prop_map(|c| json!({"request": "stop", "connector": c})),
            (connector(), any::<bool>()).prop_map(
                |(c, o)| json!({"request": "availability", "connector": c, "operative": o})
            ),
            (connector(), sim_command())
                .prop_map(|(c, cmd)| json!({"request": "sim", "connector": c, "command": cmd})),
            (connector(), inlet())
                .prop_map(|(c, i)| json!({"request": "inlet", "connector": c, "inlet": i})),
            Just(json!({"request": "ocpp"})),
            prop::collection::vec(edge_string(), 0..3)
                .prop_map(|k| json!({"request": "config_get", "keys": k})),
            (ocpp_key(), ocpp_value())
                .prop_map(|(k, v)| json!({"request": "config_set", "key": k, "value": v})),
        ]
    }

    /// Every writable OCPP key, or anything.
    fn ocpp_key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec![
                "AllowOfflineTxForUnknownId",
                "AuthorizationCacheEnabled",
                "AuthorizeRemoteTxRequests",
                "ClockAlignedDataInterval",
                "ConnectionTimeOut",
                "HeartbeatInterval",
                "LocalAuthorizeOffline",
                "LocalPreAuthorize",
                "MeterValuesAlignedData",
                "MeterValuesSampledData",
                "MeterValueSampleInterval",
                "ResetRetries",
                "StopTransactionOnInvalidId",
                "StopTxnAlignedData",
                "StopTxnSampledData",
                "TransactionMessageAttempts",
                "TransactionMessageRetryInterval",
                "LocalAuthListEnabled",
                "CpoName",
                "SecurityProfile",
                "AuthorizationKey",
                "WebSocketPingInterval",
            ])
            .prop_map(String::from),
            1 => edge_string(),
        ]
    }

    fn ocpp_value() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => edge_number().prop_map(|n| n.to_string()),
            1 => prop::sample::select(vec!["true", "false", "Energy.Active.Import.Register", "-0", "1e3"])
                .prop_map(String::from),
            1 => edge_string(),
        ]
    }

    fn any_line() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => shaped_request().prop_map(|v| v.to_string()),
            4 => request_like().prop_map(|v| v.to_string()),
            2 => any_json().prop_map(|v| v.to_string()),
            // Truncated or trailing-garbage JSON.
            1 => (request_like(), 0usize..64).prop_map(|(v, cut)| {
                let s = v.to_string();
                s.chars().take(s.chars().count().saturating_sub(cut + 1)).collect()
            }),
            1 => "[^\n]{0,200}",
        ]
    }

    struct Conn {
        path: PathBuf,
        reader: BufReader<UnixStream>,
        writer: UnixStream,
    }

    impl Conn {
        fn open(path: &Path) -> Conn {
            let stream = UnixStream::connect(path).unwrap();
            // A reply that takes this long is a hang.
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            Conn {
                path: path.to_path_buf(),
                writer: stream.try_clone().unwrap(),
                reader: BufReader::new(stream),
            }
        }

        fn ask(&mut self, line: &str) -> Result<Value, TestCaseError> {
            self.writer
                .write_all(format!("{line}\n").as_bytes())
                .map_err(|e| TestCaseError::fail(format!("write {}: {e}", self.path.display())))?;
            let mut answer = String::new();
            let n = self.reader.read_line(&mut answer).map_err(|e| {
                TestCaseError::fail(format!("no answer (hang?) to {line:.200}: {e}"))
            })?;
            prop_assert!(
                n > 0,
                "connection closed without an answer to {:.200}",
                line
            );
            serde_json::from_str(&answer)
                .map_err(|e| TestCaseError::fail(format!("answer is not JSON ({e}): {answer}")))
        }
    }

    /// Random JSON lines on both sockets: one answer line each, an error for anything that is
    /// not a request, a refusal for a change on the read-only socket; the daemon never panics
    /// or hangs, and answers `status` after all of it.
    #[test]
    fn control_socket_fuzz_every_line_gets_one_answer_and_the_daemon_lives() {
        let dir = tempfile::tempdir().unwrap();
        fuzz(Daemon::start(dir.path()), "stand-alone");
    }

    /// The same with an `[ocpp]` section (its CSMS unreachable), so that `ocpp`,
    /// `config_get` and `config_set` reach the OCPP charge point's keys.
    #[test]
    fn control_socket_fuzz_with_ocpp_every_line_gets_one_answer_and_the_daemon_lives() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{}\n[ocpp]\ncsms_url = \"ws://127.0.0.1:9/ocpp\"\ncharge_point_id = \"CP-FUZZ\"\n\
             security_profile = 0\nretry_backoff_min_s = 1\nretry_backoff_max_s = 2\n",
            sim_config_text(dir.path())
        );
        fuzz(Daemon::start_with(dir.path(), &text), "with OCPP");
    }

    fn fuzz(mut d: Daemon, what: &str) {
        // The runner's closure is `Fn`: the connections live in cells.
        let ro = std::cell::RefCell::new(Conn::open(&d.socket()));
        let admin = std::cell::RefCell::new(Conn::open(&d.admin_socket()));
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = prop::collection::vec((any_line(), any::<bool>()), 1..8);
        let lines_sent = std::cell::Cell::new(0u64);
        let requests = std::cell::Cell::new(0u64);
        let result = runner.run(&strategy, |lines| {
            for (line, on_admin) in lines {
                let conn = if on_admin { &admin } else { &ro };
                let answer = conn.borrow_mut().ask(&line)?;
                lines_sent.set(lines_sent.get() + 1);
                let result = answer["result"].as_str().unwrap_or_default().to_string();
                prop_assert!(!result.is_empty(), "{:.200} → {}", line, answer);
                let parsed = serde_json::from_str::<Request>(&line);
                if parsed.is_ok() {
                    requests.set(requests.get() + 1);
                }
                match parsed {
                    Err(_) => {
                        prop_assert_eq!(&result, "error", "{:.200} → {}", line, answer);
                        let message = answer["message"].as_str().unwrap_or_default();
                        prop_assert!(message.contains("malformed"), "{}", message);
                    }
                    Ok(request) if !on_admin && request.access().1 == Access::Admin => {
                        prop_assert_eq!(&result, "error", "{:.200} → {}", line, answer);
                        let message = answer["message"].as_str().unwrap_or_default();
                        prop_assert!(message.contains("read-only"), "{}", message);
                    }
                    Ok(_) => {}
                }
            }
            Ok(())
        });
        if let Some(status) = d.child.try_wait().unwrap() {
            panic!("chargerd exited with {status} during the fuzzing: {result:?}");
        }
        result.unwrap();
        eprintln!(
            "control socket fuzz ({what}): {} cases, {} lines, {} of them well-formed requests",
            cases(),
            lines_sent.get(),
            requests.get()
        );
        // Still alive and answering, on a fresh connection too.
        assert_eq!(
            ask(&d.socket(), r#"{"request":"status"}"#)["result"],
            "status"
        );
        // A line longer than the limit is answered, then the connection is closed.
        let mut c = Conn::open(&d.socket());
        let long = format!(r#"{{"request":"status","x":"{}"}}"#, "y".repeat(70_000));
        let a = c.ask(&long).unwrap();
        assert_eq!(a["result"], "error", "{a}");
        assert!(
            a["message"].as_str().unwrap().contains("longer than"),
            "{a}"
        );
        assert!(d.terminate().success());
    }
}

/// Issue 11: every chargerctl command and argument says what it is, and fault injection lists
/// every kind (`vehicle-pause` was missing).
#[test]
fn chargerctl_help_documents_every_argument() {
    let commands: [&[&str]; 15] = [
        &[],
        &["status"],
        &["thermal"],
        &["sessions"],
        &["start"],
        &["stop"],
        &["availability"],
        &["ocpp"],
        &["config", "get"],
        &["config", "set"],
        &["sim", "plug"],
        &["sim", "unplug"],
        &["sim", "fault"],
        &["sim", "clear"],
        &["sim"],
    ];
    for args in commands {
        let out = Command::new(CHARGERCTL)
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        for line in help.lines() {
            let item = line.trim_start();
            if !(item.starts_with('<') || item.starts_with('-')) || line.len() == item.len() {
                continue;
            }
            let described = item
                .split("  ")
                .filter(|part| !part.trim().is_empty())
                .count()
                >= 2;
            assert!(described, "chargerctl {args:?}: {line:?} has no help text");
        }
    }
    let help = String::from_utf8(
        Command::new(CHARGERCTL)
            .args(["sim", "fault", "--help"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for kind in charger_hal::SimFault::ALL {
        assert!(
            help.contains(kind.name()),
            "{} not in:\n{help}",
            kind.name()
        );
    }
}

/// `station.site_max_current = 150` used to offer 150 A to each of two trucks. Through the
/// running daemon: a grid budget worth 150 A at the trucks' voltage is shared, and
/// `chargerctl status` names the site as the binding limit on both connectors.
#[test]
fn two_trucks_share_the_site_budget_and_chargerctl_status_names_it() {
    let dir = tempfile::tempdir().unwrap();
    // 150 A at ~720 V target is 108 kW; no losses, so the figure stays plain.
    let text = format!(
        "{}\n[site]\nmax_grid_power_kw = 108.0\nconverter_efficiency = 1.0\npower_factor = 1.0\n",
        sim_config_text(dir.path())
    );
    let d = Daemon::start_with(dir.path(), &text);
    for id in ["1", "2"] {
        d.ctl_ok(&[
            "sim",
            "plug",
            id,
            "--max-voltage",
            "720",
            "--max-current",
            "200",
        ]);
    }
    std::thread::sleep(Duration::from_millis(300));
    for id in ["1", "2"] {
        d.ctl_ok(&["start", id]);
    }
    for id in [1, 2] {
        d.wait_for_on(id, Duration::from_secs(40), "charging at its share", |c| {
            c["status"] == "Charging"
                && c["binding_limit"]["source"] == "site"
                && c["current"].as_f64().unwrap_or(0.0) > 50.0
        });
    }
    let (c1, c2) = (d.connector(1), d.connector(2));
    let offered = |c: &Value| c["offered_current"].as_f64().unwrap();
    assert!(
        offered(&c1) < 100.0 && offered(&c2) < 100.0,
        "offered {} A and {} A",
        offered(&c1),
        offered(&c2)
    );
    let kw = |c: &Value| c["voltage"].as_f64().unwrap() * c["current"].as_f64().unwrap() / 1000.0;
    assert!(
        kw(&c1) + kw(&c2) <= 108.0 * 1.01,
        "{} kW",
        kw(&c1) + kw(&c2)
    );
    let human = d.ctl_ok(&["status"]);
    assert!(human.contains("site share"), "{human}");
    assert!(human.contains("2 connectors sharing"), "{human}");
}

/// The `[pool]` block of configs/sim.toml, uncommented: eight 30 kW modules for both connectors.
fn pool_config_text(dir: &std::path::Path) -> String {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sim.toml")).unwrap();
    let pool: String = shipped
        .lines()
        .skip_while(|l| *l != "# [pool]")
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        pool.starts_with("[pool]"),
        "configs/sim.toml lost its [pool] example"
    );
    format!("{}\n{pool}\n", sim_config_text(dir))
}

#[test]
fn chargerctl_thermal_says_when_no_connector_has_a_cooling_unit() {
    let dir = tempfile::tempdir().unwrap();
    // configs/sim.toml without its liquid-cooled connectors.
    let uncooled: String = sim_config_text(dir.path())
        .lines()
        .filter(|l| {
            !(l.starts_with("[simulator.")
                || l.starts_with("ambient_c")
                || l.starts_with("poll_hz"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!uncooled.contains("[simulator.thermal]"));
    let d = Daemon::start_with(dir.path(), &uncooled);
    let human = d.ctl_ok(&["thermal"]);
    assert!(human.contains("no connector has a cooling unit"), "{human}");
    let json: Value = serde_json::from_str(&d.ctl_ok(&["--json", "thermal"])).unwrap();
    assert_eq!(json, serde_json::json!([]));
    // Nor is there a thermal limit in the status.
    let c1 = d.connector(1);
    assert!(c1.get("thermal").is_none(), "{c1}");
}

/// configs/sim.toml has liquid-cooled connectors: `chargerctl thermal` shows each one's
/// sensors and cooling, the pump runs for a session, and the thermal limit is in the status.
#[test]
fn chargerctl_thermal_shows_the_simulated_cooling_of_configs_sim_toml() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    let json: Value = serde_json::from_str(&d.ctl_ok(&["--json", "thermal"])).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(2), "{json}");
    d.ctl_ok(&["sim", "plug", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "1"]);
    d.wait_for_on(1, Duration::from_secs(40), "charging, cooled", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 50.0
    });
    let human = d.ctl_ok(&["thermal"]);
    assert!(human.contains("connector 1"), "{human}");
    assert!(human.contains("cooling: running"), "{human}");
    assert!(human.contains("(confirmed)"), "flow seen: {human}");
}

#[test]
fn chargerctl_modules_shows_the_pool_feeding_a_truck() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_with(dir.path(), &pool_config_text(dir.path()));
    d.ctl_ok(&["sim", "plug", "2"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "2"]);
    d.wait_for_on(2, Duration::from_secs(40), "charging from the pool", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 50.0
    });
    let json: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
    let on_2 = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "active" && m["output"] == 2)
        .count();
    assert!(on_2 >= 1, "{json}");
    let human = d.ctl_ok(&["modules"]);
    assert!(human.contains("output 2: modules ["), "{human}");
    assert!(human.contains("active 2"), "{human}");
    assert!(human.contains("feedback closed"), "{human}");
    let c2 = d.connector(2);
    assert!(
        c2["limits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["source"] == "pool" && l["amps"].as_f64().unwrap_or(0.0) > 0.0),
        "{c2}"
    );
}

/// Two power modules served over Modbus TCP on loopback (one gateway, units 1 and 2), in a
/// runtime of their own that lives as long as the returned guard.
fn modbus_modules() -> (
    charger_hal::sim::modbus::server::SimServer<charger_hal::sim::modbus::PowerModulePlant>,
    tokio::runtime::Runtime,
) {
    use charger_hal::profile::Profile;
    use charger_hal::sim::modbus::{
        server::serve_gateway, BatteryLoad, ModuleRating, PowerModulePlant, SimDevice,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let profile = std::sync::Arc::new(
        Profile::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/devices/power-module-30kw-modbus.toml"
        )))
        .unwrap(),
    );
    let module = || {
        SimDevice::new(
            profile.clone(),
            PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default()),
        )
        .unwrap()
    };
    let server = runtime
        .block_on(serve_gateway(
            vec![(1, module()), (2, module())],
            "127.0.0.1:0".parse().unwrap(),
            Duration::from_millis(10),
        ))
        .unwrap();
    (server, runtime)
}

/// configs/sim.toml with a pool of two real power modules (`profile`, each reached over
/// `transport(unit)`, units 1 and 2) wired to both connectors. Modules on a test bench: the
/// matrix is simulated and feeds nothing real (`bench_without_matrix`).
/// Within 20 s: the pool's second module stale, its first not, and the second device's
/// timeouts counted (unit 2 fell silent, unit 1 answers on).
fn wait_second_module_stale(d: &Daemon) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
        let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
        if modules["modules"][1]["stale"] == true
            && modules["modules"][0]["stale"] == false
            && devices[1]["errors"]["timeouts"].as_u64().unwrap_or(0) > 0
        {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{modules}\n{devices}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn bench_pool_config(dir: &Path, profile: &str, transport: impl Fn(u8) -> String) -> String {
    let mut text = sim_config_text(dir);
    for unit in [1u8, 2] {
        text.push_str(&format!(
            "\n[[devices]]\nname = \"module-{unit}\"\nrole = \"power_module\"\nprofile = \"{profile}\"\ntransport = {}\n",
            transport(unit)
        ));
    }
    text.push_str("\n[pool]\nbench_without_matrix = true\n");
    for unit in [1, 2] {
        text.push_str(&format!(
            "\n[[pool.modules]]\nid = {unit}\nmax_power_kw = 30\nmax_current_a = 100\ndevice = \"module-{unit}\"\n"
        ));
        for connector in [1, 2] {
            text.push_str(&format!(
                "\n[[pool.matrix]]\nmodule = {unit}\nconnector = {connector}\n"
            ));
        }
    }
    text
}

#[test]
fn the_pool_drives_modules_over_modbus_and_chargerctl_devices_shows_their_links() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _runtime) = modbus_modules();
    let port = server.addr().port();
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/devices/power-module-30kw-modbus.toml"
    );
    let text = bench_pool_config(dir.path(), profile, |unit| {
        format!("{{ kind = \"modbus_tcp\", host = \"127.0.0.1\", port = {port}, unit = {unit}, timeout_ms = 200 }}")
    });
    let d = Daemon::start_with(dir.path(), &text);
    let answering = |d: &Daemon| -> Option<Value> {
        let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).ok()?;
        modules["modules"]
            .as_array()?
            .iter()
            .all(|m| m["stale"] == false && m["state"] == "free")
            .then_some(modules)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while answering(&d).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "modules never answered: {}",
            d.ctl_ok(&["modules"])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
    let list = devices.as_array().unwrap();
    assert_eq!(list.len(), 2, "{devices}");
    for dev in list {
        assert_eq!(dev["link"], "connected", "{dev}");
        assert!(dev["last_reading_age_ms"].as_u64().unwrap() < 2000, "{dev}");
    }
    let human = d.ctl_ok(&["devices"]);
    assert!(
        human.contains("module-1") && human.contains("connected"),
        "{human}"
    );
    // Unit 2 stops answering: the pool sees its module stale, the device view its timeouts.
    server.with_unit(2, |u| {
        u.inject(Some(charger_hal::sim::modbus::CommsFault::NoAnswer))
    });
    wait_second_module_stale(&d);
    assert!(d.ctl_ok(&["modules"]).contains("NOT ANSWERING"));
}

#[test]
fn the_pool_drives_modules_on_an_rtu_bus_and_chargerctl_devices_shows_them() {
    use charger_hal::profile::Profile;
    use charger_hal::sim::modbus::server::serve_rtu_bus;
    use charger_hal::sim::modbus::{BatteryLoad, ModuleRating, PowerModulePlant, SimDevice};
    use tokio_serial::SerialPort;
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _in_runtime = runtime.enter();
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/devices/power-module-30kw-modbus.toml"
    );
    // Two modules on one RS-485 bus: the master end of a pseudo-terminal pair served by the
    // simulator, the slave end opened by the daemon by its path.
    let (master, slave) = tokio_serial::SerialStream::pair()
        .expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().unwrap();
    let shipped = std::sync::Arc::new(Profile::load(std::path::Path::new(profile)).unwrap());
    let module = || {
        let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        SimDevice::new(shipped.clone(), plant).unwrap()
    };
    let bus = serve_rtu_bus(
        vec![(1, module()), (2, module())],
        master,
        Duration::from_millis(10),
    )
    .unwrap();
    let text = bench_pool_config(dir.path(), profile, |unit| {
        format!("{{ kind = \"modbus_rtu\", path = \"{path}\", baud = 115200, unit = {unit}, timeout_ms = 100 }}")
    });
    let d = Daemon::start_with(dir.path(), &text);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
        let answering = modules["modules"].as_array().is_some_and(|m| {
            m.len() == 2
                && m.iter()
                    .all(|m| m["stale"] == false && m["state"] == "free")
        });
        if answering {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "modules never answered: {modules}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
    let list = devices.as_array().unwrap();
    assert_eq!(list.len(), 2, "{devices}");
    for (dev, unit) in list.iter().zip([1, 2]) {
        assert_eq!(dev["link"], "connected", "{dev}");
        assert_eq!(
            dev["transport"],
            format!("modbus-rtu {path} unit {unit}"),
            "{dev}"
        );
        assert!(dev["last_reading_age_ms"].as_u64().unwrap() < 2000, "{dev}");
    }
    // Unit 2 falls silent: its module is stale, unit 1 on the same bus goes on answering.
    bus.with_unit(2, |u| {
        u.inject(Some(charger_hal::sim::modbus::CommsFault::NoAnswer))
    });
    wait_second_module_stale(&d);
    drop(slave);
}

/// configs/sim-modbus.toml with its state, socket, profile paths and ports moved for a test.
fn sim_modbus_config_text(dir: &std::path::Path) -> String {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/sim-modbus.toml"
    ))
    .unwrap()
    .replace(
        "state_dir = \"state\"",
        &format!("state_dir = \"{}\"", dir.join("state").display()),
    )
    .replace(
        "control_socket = \"run/control.sock\"",
        &format!(
            "control_socket = \"{}\"",
            dir.join("run/control.sock").display()
        ),
    )
    .replace(
        "profile = \"devices/",
        concat!(
            "profile = \"",
            env!("CARGO_MANIFEST_DIR"),
            "/configs/devices/"
        ),
    );
    // The modules' gateway, and each connector's meter, IMD and cooling unit.
    for port in [15020, 15031, 15032, 15033, 15041, 15042, 15043] {
        text = text.replace(
            &format!("port = {port}"),
            &format!("port = {}", free_port()),
        );
    }
    text
}

/// A truck on connector 2 charges above `amps` from the pool's modules (reached over
/// `transport`): at least two are active on output 2 and what the pool reads of them is,
/// together, the truck's current. Returns `chargerctl --json devices`.
fn charge_on_2_from_pool(d: &Daemon, amps: f64, transport: &str) -> Value {
    d.ctl_ok(&["sim", "plug", "2"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "2"]);
    d.wait_for_on(
        2,
        Duration::from_secs(60),
        &format!("charging from {transport} modules"),
        |c| c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > amps,
    );
    let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
    let on_2: Vec<&Value> = modules["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "active" && m["output"] == 2)
        .collect();
    assert!(on_2.len() >= 2, "{modules}");
    let carried: f64 = on_2.iter().map(|m| m["current"].as_f64().unwrap()).sum();
    let current = d.connector(2)["current"].as_f64().unwrap();
    assert!(
        (carried - current).abs() < 0.2 * current,
        "{carried} A vs {current} A over {transport}"
    );
    serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap()
}

#[test]
fn sim_modbus_charges_a_truck_through_modules_driven_over_modbus_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_with(dir.path(), &sim_modbus_config_text(dir.path()));
    let devices = charge_on_2_from_pool(&d, 150.0, "Modbus");
    let list = devices.as_array().unwrap();
    // Eight modules, and each connector's meter, insulation monitor and cooling unit.
    assert_eq!(list.len(), 14);
    for dev in list {
        assert_eq!(dev["link"], "connected", "{dev}");
        assert_eq!(dev["errors"]["write_failures"], 0, "{dev}");
    }
}

/// The device named `name` in `chargerctl --json devices`.
fn device_health(d: &Daemon, name: &str) -> Value {
    let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|dev| dev["name"] == name)
        .unwrap_or_else(|| panic!("no device {name} in {devices}"))
        .clone()
}

/// A truck charges on connector 2 of configs/sim-modbus.toml with its meter, insulation
/// monitor and cooling unit read over Modbus TCP: the cable check ran on the Modbus IMD, the
/// session's energy is what the Modbus meter counts (silenced, it counts nothing and the
/// station records a gap; back, its register carries the energy across), and the cooling
/// unit answers with the pins warming.
#[test]
fn sim_modbus_charges_with_the_connectors_meter_imd_and_cooling_unit_read_over_modbus_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_with(dir.path(), &sim_modbus_config_text(dir.path()));
    d.ctl_ok(&["sim", "plug", "2"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "2"]);
    d.wait_for_on(
        2,
        Duration::from_secs(60),
        "charging with the connector's devices on Modbus",
        |c| c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 150.0,
    );
    for role in ["meter", "imd", "cooling"] {
        let dev = device_health(&d, &format!("{role}-2"));
        assert_eq!(dev["link"], "connected", "{dev}");
        assert!(dev["last_reading_age_ms"].as_u64().unwrap() < 2000, "{dev}");
        assert_eq!(dev["errors"]["timeouts"], 0, "{dev}");
        assert_eq!(dev["errors"]["write_failures"], 0, "{dev}");
    }
    // The IMD was switched on for the cable check (a write) and the meter counted energy.
    assert!(
        device_health(&d, "imd-2")["requests"].as_u64().unwrap() > 10,
        "IMD polled"
    );
    let energy = |d: &Daemon| d.connector(2)["meter_wh"].as_f64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while energy(&d) < 20.0 {
        assert!(Instant::now() < deadline, "{:#}", d.connector(2));
        std::thread::sleep(Duration::from_millis(100));
    }

    // The meter stops answering: its requests time out, the station records a gap and
    // raises the meter fault, the truck charges on, and no energy is counted meanwhile.
    d.ctl_ok(&["sim", "fault", "2", "meter-silent"]);
    let c = d.wait_for_on(2, Duration::from_secs(20), "the meter fault", |c| {
        c["faults"].as_array().is_some_and(|f| {
            f.iter()
                .any(|f| f.as_str().unwrap_or("").contains("DC meter stale"))
        })
    });
    assert_eq!(c["status"], "Charging", "{c:#}");
    assert!(
        device_health(&d, "meter-2")["errors"]["timeouts"]
            .as_u64()
            .unwrap()
            > 0
    );
    let during = energy(&d);
    std::thread::sleep(Duration::from_secs(2));
    let c = d.connector(2);
    assert_eq!(c["meter_wh"].as_f64().unwrap(), during, "{c:#}");
    assert_eq!(c["status"], "Charging", "{c:#}");
    // Back: the fault clears and the register carries what flowed meanwhile (well above what
    // the station counted before the gap grew).
    d.ctl_ok(&["sim", "clear", "2"]);
    let c = d.wait_for_on(2, Duration::from_secs(20), "the meter back", |c| {
        c["faults"].as_array().is_some_and(|f| f.is_empty())
            && c["meter_wh"].as_f64().unwrap_or(0.0) > during + 50.0
    });
    assert_eq!(c["status"], "Charging", "{c:#}");

    // The cooling unit's readings, as the technician sees them: the pins warm with the current.
    let cooling = device_health(&d, "cooling-2");
    assert_eq!(cooling["link"], "connected", "{cooling}");
    assert_eq!(cooling["errors"]["timeouts"], 0, "{cooling}");
    let pin = cooling["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["register"] == "pin_dc_plus")
        .unwrap_or_else(|| panic!("{cooling}"));
    assert!(pin["value"].as_f64().unwrap() > 25.0, "{pin}");
    assert_eq!(pin["unit"], "degC", "{pin}");
    let human = d.ctl_ok(&["devices"]);
    assert!(human.contains("pin_dc_plus "), "{human}");
}

/// The insulation monitor stops answering while a truck charges over configs/sim-modbus.toml:
/// the station stops the session safely on the stale IMD and says so.
#[test]
fn sim_modbus_a_silent_insulation_monitor_stops_the_session_safely() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_with(dir.path(), &sim_modbus_config_text(dir.path()));
    d.ctl_ok(&["sim", "plug", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "1"]);
    d.wait_for_on(1, Duration::from_secs(60), "charging", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 100.0
    });
    d.ctl_ok(&["sim", "fault", "1", "imd-silent"]);
    let c = d.wait_for_on(1, Duration::from_secs(20), "the stale IMD fault", |c| {
        c["faults"].as_array().is_some_and(|f| {
            f.iter().any(|f| {
                f.as_str()
                    .unwrap_or("")
                    .contains("stale insulation monitor reading")
            })
        })
    });
    assert_ne!(c["status"], "Charging", "{c:#}");
    // The supply is off at once and the current falls; the stale IMD is the first fault and
    // the transaction's stop reason.
    let c = d.wait_for_on(1, Duration::from_secs(10), "the output safe", |c| {
        c["current"].as_f64().unwrap_or(1.0) < 1.0 && c["offered_current"] == 0.0
    });
    assert_eq!(c["status"], "Faulted", "{c:#}");
    assert_eq!(c["faults"][0], "stale insulation monitor reading", "{c:#}");
    assert!(
        c["transaction"]["stop_reason"]
            .to_string()
            .contains("stale insulation monitor reading"),
        "{c:#}"
    );
    let imd = device_health(&d, "imd-1");
    assert!(imd["errors"]["timeouts"].as_u64().unwrap() > 0, "{imd}");
    // The truck takes no current while the monitor is silent.
    std::thread::sleep(Duration::from_secs(2));
    let truck = &d.connector(1)["truck"];
    assert!(truck["battery_current"].as_f64().unwrap() < 1.0, "{truck}");
    // Heard again: the stale-reading fault clears.
    d.ctl_ok(&["sim", "clear", "1"]);
    d.wait_for_on(1, Duration::from_secs(10), "the IMD heard again", |c| {
        c["faults"].as_array().is_some_and(|f| {
            !f.iter()
                .any(|f| f.as_str() == Some("stale insulation monitor reading"))
        })
    });
}

/// A UDP port on loopback that was free a moment ago.
/// Issue 13's end-to-end check: the station's thermal controller, run by the daemon against
/// the cooling unit served over real Modbus TCP on loopback (configs/sim-modbus.toml, polled at
/// its profile's rate), holds the TRUE hottest pin within the overshoot aim (limit 90 °C +
/// 0.5 K) on a hot day (`chargerctl sim ambient 2 45`, which reaches the served plant through
/// the connector's tap; the plant soaks at 40 °C before), while a GB/T truck asks 400 A, more than the connector can carry
/// there. The truth comes from the simulator's view (`plant` in `chargerctl --json status`),
/// sampled every ~100 ms; the controller sees only the Pt1000 chain over Modbus.
///
/// The test's plant is FASTER than the 500 A defaults so that it runs in real time: its pin,
/// cable and coolant heat capacities are 1/3, 1/10 and 1/10 of the defaults (pin time
/// constant ≈ 15 s instead of 45 s, coolant loop ≈ 25 s instead of minutes), and its pin
/// contact resistance is doubled (200 µΩ) so that 400 A, the most GB/T carries, is too much
/// at 45 °C (about 300 A hold the target). The faster plant is the harder case for the loop
/// (less time between polls to react); the defaults are left as they are.
#[test]
fn sim_modbus_thermal_derating_holds_the_true_pin_within_the_aim_on_a_hot_day() {
    const PIN_LIMIT_C: f64 = 90.0;
    const OVERSHOOT_AIM_K: f64 = 0.5;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[simulator.thermal]\nambient_c = 40.0\npin_resistance_ohm = 200e-6\npin_heat_capacity_j_per_k = 10.0\n\
         cable_heat_capacity_j_per_k = 400.0\ncoolant_heat_capacity_j_per_k = 2500.0\n",
        sim_modbus_config_text(dir.path())
    );
    let d = Daemon::start_with(dir.path(), &text);
    // Soaked at its configured 40 °C; the hot day's 45 °C reaches the plant served over
    // Modbus through the tap, not only the in-process one.
    let c = d.wait_for_on(2, Duration::from_secs(5), "the served plant's truth", |c| {
        c["plant"]["ambient_c"].as_f64().is_some()
    });
    assert_eq!(c["plant"]["ambient_c"].as_f64(), Some(40.0), "{c:#}");
    d.ctl_ok(&["sim", "ambient", "2", "45"]);
    let c = d.wait_for_on(
        2,
        Duration::from_secs(5),
        "the served plant at 45 °C",
        |c| c["plant"]["ambient_c"].as_f64() == Some(45.0),
    );
    assert!(c["plant"]["hottest_pin_c"].as_f64().is_some(), "{c:#}");
    d.ctl_ok(&["sim", "plug", "2", "--max-current", "400"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "2"]);

    let started = Instant::now();
    let mut hottest_true = f64::MIN;
    // When the true pin first came within 1.5 K of the limit (the pins reached the target).
    let mut hot_at: Option<Instant> = None;
    // Once settled (5 s after that) and while the thermal limit binds: (true pin, current).
    let mut held: Vec<(f64, f64)> = Vec::new();
    let mut peak_current = 0.0_f64;
    while started.elapsed() < Duration::from_secs(80) {
        let c = d.connector(2);
        let Some(pin) = c["plant"]["hottest_pin_c"].as_f64() else {
            panic!("no plant truth in {c:#}")
        };
        hottest_true = hottest_true.max(pin);
        assert!(
            pin <= PIN_LIMIT_C + OVERSHOOT_AIM_K,
            "true pin {pin:.2} °C above {PIN_LIMIT_C} °C + {OVERSHOOT_AIM_K} K after {:?}: {c:#}",
            started.elapsed()
        );
        assert_ne!(c["status"], "Faulted", "{c:#}");
        let current = c["current"].as_f64().unwrap_or(0.0);
        peak_current = peak_current.max(current);
        if pin >= PIN_LIMIT_C - 1.5 {
            hot_at.get_or_insert_with(Instant::now);
        }
        let settled = hot_at.is_some_and(|t| t.elapsed() > Duration::from_secs(5));
        if settled && c["binding_limit"]["source"] == "thermal" {
            held.push((pin, current));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Some(hot_at) = hot_at else {
        panic!(
            "the pins never reached the target (max {hottest_true:.2} °C); last {:#}",
            d.connector(2)
        )
    };
    assert!(
        peak_current > 350.0,
        "the truck drew {peak_current} A at most"
    );
    assert!(
        held.len() > 80,
        "thermal bound only {} samples after settling (pins hot after {:?})",
        held.len(),
        hot_at.duration_since(started)
    );
    // Held near the target (89.3 °C): the true pin within 3 K below the limit, never above the aim.
    let lowest = held.iter().map(|h| h.0).fold(f64::MAX, f64::min);
    assert!(
        lowest > PIN_LIMIT_C - 3.0,
        "the true pin sank to {lowest:.2} °C while thermal bound"
    );
    // More than a conventional static curve (full current up to 20 K below the limit, zero
    // at it) delivers on this plant at 45 °C: its own equilibrium, computed from the model
    // with the cooling at full pump and fan (generous to the baseline).
    let plant = {
        let mut p = charger_hal::sim::thermal::ThermalPlant::new(
            charger_hal::sim::thermal::ThermalPlantParams {
                ambient_c: 45.0, // as set by `sim ambient`
                pin_resistance_ohm: 200e-6,
                pin_heat_capacity_j_per_k: 10.0,
                cable_heat_capacity_j_per_k: 400.0,
                coolant_heat_capacity_j_per_k: 2500.0,
                ..Default::default()
            },
        );
        p.set_cooling(true, 1.0, 1.0);
        p
    };
    let static_curve = |pin: f64| 400.0 * ((PIN_LIMIT_C - pin) / 20.0).clamp(0.0, 1.0);
    let (mut lo, mut hi) = (0.0_f64, 400.0_f64);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        let pin = plant
            .steady_state(mid)
            .map_or(f64::MAX, |t| t.hottest_pin());
        if static_curve(pin) > mid {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let static_equilibrium = lo;
    let mean_current = held.iter().map(|h| h.1).sum::<f64>() / held.len() as f64;
    assert!(
        mean_current > static_equilibrium + 20.0,
        "held {mean_current:.0} A vs the static curve's {static_equilibrium:.0} A"
    );
    let human = d.ctl_ok(&["status"]);
    assert!(human.contains("thermal"), "{human}");
    eprintln!(
        "hot day over Modbus: true pin max {hottest_true:.2} °C, held {lowest:.2}..; \
         pins at the target after {:?}; held {mean_current:.0} A vs static curve {static_equilibrium:.0} A",
        hot_at.duration_since(started)
    );
}

fn free_udp_addr() -> std::net::SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn a_pool_of_can_modules_over_cannelloni_charges_a_truck() {
    let dir = tempfile::tempdir().unwrap();
    let (station, simulator) = (free_udp_addr(), free_udp_addr());
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/devices/power-module-infy-can.toml"
    );
    let mut text = sim_config_text(dir.path());
    for a in 1..=4 {
        text.push_str(&format!(
            "\n[[devices]]\nname = \"can-module-{a}\"\nrole = \"power_module\"\nprofile = \"{profile}\"\n\
             transport = {{ kind = \"can\", address = {a}, link = {{ backend = \"cannelloni\", bind = \"{station}\", peer = \"{simulator}\" }} }}\n"
        ));
    }
    // The cabinet's simulated modules served over CAN (cannelloni on loopback) by the daemon
    // itself: the pool drives them only through their frames.
    text.push_str("\n[pool]\nsimulate_devices = true\nrelease_after_s = 10\n");
    for a in 1..=4 {
        text.push_str(&format!(
            "\n[[pool.modules]]\nid = {a}\nmax_power_kw = 30\nmax_current_a = 100\ndevice = \"can-module-{a}\"\n"
        ));
        for connector in [1, 2] {
            text.push_str(&format!(
                "\n[[pool.matrix]]\nmodule = {a}\nconnector = {connector}\n"
            ));
        }
    }
    let d = Daemon::start_with(dir.path(), &text);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
        let answering = modules["modules"]
            .as_array()
            .is_some_and(|m| m.len() == 4 && m.iter().all(|m| m["stale"] == false));
        if answering {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "modules never answered: {modules}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let devices = charge_on_2_from_pool(&d, 100.0, "CAN");
    let list = devices.as_array().unwrap();
    assert_eq!(list.len(), 4, "{devices}");
    for dev in list {
        assert_eq!(dev["link"], "connected", "{dev}");
        assert!(
            dev["transport"]
                .as_str()
                .unwrap()
                .starts_with(&format!("can cannelloni {station} peer {simulator}")),
            "{dev}"
        );
        assert!(dev["last_reading_age_ms"].as_u64().unwrap() < 2000, "{dev}");
        assert_eq!(dev["errors"]["write_failures"], 0, "{dev}");
    }
    assert!(d.ctl_ok(&["devices"]).contains("can-module-4"));
}

/// `chargerd --check-config` reads the `[[devices]]`' profiles and checks them against their
/// devices, without connecting: a CAN address outside the profile's, a Modbus profile for a
/// CAN device, each named by file and key.
#[test]
fn check_config_names_device_profile_mistakes_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/devices");
    let check = |device: &str| {
        let config = dir.path().join("chargerd.toml");
        std::fs::write(
            &config,
            format!("{}\n{device}", sim_config_text(dir.path())),
        )
        .unwrap();
        let out = Command::new(CHARGERD)
            .arg("--check-config")
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let can = |profile: &str, address: u32| {
        format!(
            "[[devices]]\nname = \"m1\"\nrole = \"power_module\"\nprofile = \"{profiles}/{profile}\"\n\
             transport = {{ kind = \"can\", address = {address}, link = {{ backend = \"socketcan\", interface = \"can9\" }} }}\n"
        )
    };
    let (ok, err) = check(&can("power-module-infy-can.toml", 3));
    assert!(ok, "{err}");
    let (ok, err) = check(&can("power-module-infy-can.toml", 63));
    assert!(!ok);
    assert!(
        err.contains("chargerd.toml")
            && err.contains("devices[0].transport.address")
            && err.contains("0..=62"),
        "{err}"
    );
    let (ok, err) = check(&can("power-module-30kw-modbus.toml", 3));
    assert!(!ok);
    assert!(
        err.contains("devices[0].profile") && err.contains("power-module-30kw-modbus.toml"),
        "{err}"
    );
}

#[test]
fn the_retired_site_max_current_is_refused_with_its_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let text = sim_config_text(dir.path()).replace(
        "step_interval_ms = 10",
        "step_interval_ms = 10\nsite_max_current = 150.0",
    );
    let config = dir.path().join("chargerd.toml");
    std::fs::write(&config, text).unwrap();
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("station.site_max_current"), "{err}");
    assert!(
        err.contains("[site]") && err.contains("max_grid_power_kw"),
        "{err}"
    );
}

/// Issue 11 item 3: the control loop never waits on I/O. Another process holds journal.sqlite's
/// write lock for 4.5 s (under SQLite's 5 s busy timeout, so nothing is lost) while a truck
/// charges and a `config set` makes the OCPP side write to it. The control steps go on: the
/// truck keeps charging, `chargerctl status` answers at once, the step latency stays low and
/// the watchdog keeps being pinged — where the old single loop stood still in the OCPP
/// client's SQLite write for the whole 4.5 s. The change is persisted once the lock is gone.
#[test]
fn control_steps_and_watchdog_pings_go_on_while_the_journal_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    // OCPP against a port nobody listens on: the client runs, persists, never connects.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "{}\n[ocpp]\ncsms_url = \"ws://127.0.0.1:{port}/ocpp\"\ncharge_point_id = \"CP-LOCK\"\n\
         version = \"1.6\"\nsecurity_profile = 0\nretry_backoff_min_s = 1\nretry_backoff_max_s = 2\n",
        sim_config_text(dir.path())
    );
    let d = Daemon::start_with(dir.path(), &text);
    d.ctl_ok(&["sim", "plug", "1", "--soc", "20", "--target-soc", "90"]);
    d.ctl_ok(&["start", "1"]);
    d.wait_for(Duration::from_secs(30), "charging", |c| {
        c["current"].as_f64().unwrap_or(0.0) > 10.0
    });

    // Only the pings sent while the lock is held count.
    let mut buf = [0u8; 256];
    d.notify
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    while d.notify.recv(&mut buf).is_ok() {}
    let mut lock = rusqlite::Connection::open(dir.path().join("state/journal.sqlite")).unwrap();
    let held = lock
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let locked_at = Instant::now();
    let admin = d.admin_socket();
    let config_set = std::thread::spawn(move || {
        Command::new(CHARGERCTL)
            .arg("--socket")
            .arg(admin)
            .args(["config", "set", "MeterValueSampleInterval", "17"])
            .output()
            .unwrap()
    });
    let mut slowest_status = Duration::ZERO;
    let mut pings = 0;
    while locked_at.elapsed() < Duration::from_millis(4500) {
        let asked = Instant::now();
        let c = d.connector(1);
        slowest_status = slowest_status.max(asked.elapsed());
        assert!(
            c["current"].as_f64().unwrap_or(0.0) > 10.0,
            "the truck stopped charging while the journal was locked: {c:#}"
        );
        while let Ok(n) = d.notify.recv(&mut buf) {
            if &buf[..n] == b"WATCHDOG=1" {
                pings += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = d.json(&["status"]);
    held.rollback().unwrap();

    // WATCHDOG_USEC=1000000: a ping every 0.5 s, 9 in 4.5 s when the loop runs.
    assert!(
        pings >= 5,
        "{pings} watchdog pings while the journal was locked"
    );
    assert!(
        slowest_status < Duration::from_secs(1),
        "chargerctl status took {slowest_status:?} while the journal was locked"
    );
    let step = &status["control_step"];
    let max_us = step["max_us"].as_u64().unwrap();
    assert!(
        max_us < 500_000,
        "a control step finished {max_us} µs late while the journal was locked: {step}"
    );
    // Once the lock is gone the OCPP side writes what waited, and answers.
    let out = config_set.join().unwrap();
    assert!(
        out.status.success(),
        "config set: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = d.json(&["config", "get", "MeterValueSampleInterval"]);
    assert_eq!(keys["keys"][0]["value"], "17", "{keys}");
    drop(lock);
    d.ctl_ok(&["stop", "1"]);
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let sessions = d.json(&["sessions"]);
        if sessions["sessions"][0]["stopped_at"].is_string() {
            break;
        }
        assert!(
            Instant::now() < end,
            "the stop was not journaled: {sessions}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(d.terminate().success());
}

/// One sample line of the Prometheus text format: name, labels (unescaped), value.
type Sample = (String, Vec<(String, String)>, f64);

/// A strict reader of the text exposition format 0.0.4, as far as chargerctl writes it: every
/// line a `# HELP`, a `# TYPE` or a sample; metric and label names as the format allows them;
/// label values with the three escapes; every sample after its family's HELP and TYPE.
fn parse_exposition(text: &str) -> Vec<Sample> {
    fn valid_name(n: &str) -> bool {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    assert!(text.ends_with('\n'), "the last line ends with a line feed");
    let mut helped = std::collections::HashSet::new();
    let mut typed = std::collections::HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(valid_name(name) && !help.is_empty(), "{line}");
            assert!(helped.insert(name.to_string()), "second HELP: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(valid_name(name), "{line}");
            assert!(
                ["gauge", "counter", "untyped", "summary", "histogram"].contains(&kind),
                "{line}"
            );
            assert!(
                typed.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.trim().is_empty(),
            "{line:?}"
        );
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        assert!(valid_name(name), "{line}");
        assert!(
            helped.contains(name) && typed.contains_key(name),
            "no HELP/TYPE: {line}"
        );
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(mut r) = rest.strip_prefix('{') {
            loop {
                if let Some(after) = r.strip_prefix('}') {
                    r = after;
                    break;
                }
                let (label, after) = r.split_once("=\"").unwrap();
                assert!(valid_name(label), "{line}");
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next().unwrap() {
                        (_, '\\') => match chars.next().unwrap().1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            c => panic!("bad escape \\{c}: {line}"),
                        },
                        (i, '"') => break i,
                        (_, '\n') => panic!("raw line feed: {line}"),
                        (_, c) => value.push(c),
                    }
                };
                labels.push((label.to_string(), value));
                r = &after[end + 1..];
                r = r.strip_prefix(',').unwrap_or(r);
            }
            rest = r;
        }
        let value = rest.strip_prefix(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value {v:?}: {line}")),
        };
        samples.push((name.to_string(), labels, value));
    }
    samples
}

/// Issue 11: `chargerctl metrics` speaks the Prometheus text format (0.0.4) a textfile
/// collector reads, per connector, with the binding limit's source as a label, and writes a
/// file atomically.
#[test]
fn chargerctl_metrics_prints_the_prometheus_text_format_and_writes_a_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    // A station name that needs escaping in a label value.
    let text = sim_config_text(dir.path())
        .replace("name = \"sim-station\"", r#"name = "depot \"north\" \\ 7""#);
    assert!(text.contains("depot"));
    let d = Daemon::start_with(dir.path(), &text);
    d.ctl_ok(&["sim", "plug", "1"]);
    d.ctl_ok(&["start", "1"]);
    d.wait_for(Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap() > 1.0
    });
    let out = d.ctl_ok(&["metrics"]);
    let samples = parse_exposition(&out);
    let find = |name: &str, connector: &str| {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name && l.iter().any(|(k, v)| k == "connector" && v == connector)
            })
            .unwrap_or_else(|| panic!("no {name} for connector {connector}:\n{out}"))
    };
    assert!(
        find("chargerd_connector_current_amperes", "1").2 > 1.0,
        "{out}"
    );
    assert!(
        find("chargerd_connector_voltage_volts", "1").2 > 100.0,
        "{out}"
    );
    assert!(find("chargerd_connector_energy_watt_hours_total", "1").2 >= 0.0);
    assert_eq!(find("chargerd_connector_current_amperes", "2").2, 0.0);
    let limit = find("chargerd_connector_limit_amperes", "1");
    assert!(
        limit.1.iter().any(|(k, v)| k == "source" && !v.is_empty()),
        "{out}"
    );
    let status = find("chargerd_connector_status", "1");
    assert!(
        status.1.contains(&("status".into(), "Charging".into())),
        "{out}"
    );
    let info = samples
        .iter()
        .find(|(n, _, _)| n == "chargerd_info")
        .unwrap();
    assert!(
        info.1
            .contains(&("station".into(), "depot \"north\" \\ 7".into())),
        "{out}"
    );
    // Stand-alone: no OCPP link, so no OCPP metrics (and no error).
    assert!(!out.contains("chargerd_ocpp_"), "{out}");

    // --output: the same format in a file, replaced atomically, no temporary left behind.
    let prom_dir = dir.path().join("textfile");
    std::fs::create_dir(&prom_dir).unwrap();
    let prom = prom_dir.join("chargerd.prom");
    std::fs::write(&prom, "stale\n").unwrap();
    assert_eq!(
        d.ctl_ok(&["metrics", "--output", prom.to_str().unwrap()]),
        ""
    );
    let written = std::fs::read_to_string(&prom).unwrap();
    parse_exposition(&written);
    assert!(written.contains("chargerd_connector_current_amperes{connector=\"1\"}"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    let names: Vec<_> = std::fs::read_dir(&prom_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["chargerd.prom"]);
}

/// Issue 11: `status --watch` clears the screen only on a terminal; piped, it prints plain
/// refreshes one after another (no escape codes), each as soon as it is taken.
#[test]
fn status_watch_piped_prints_plain_refreshes_without_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    let mut watch = Command::new(CHARGERCTL)
        .arg("--socket")
        .arg(d.socket())
        .args(["status", "--watch", "--interval", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut bytes = Vec::new();
        let _ = stdout.take(1 << 20).read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    std::thread::sleep(Duration::from_millis(1500));
    watch.kill().unwrap();
    watch.wait().unwrap();
    let text = String::from_utf8(rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert!(
        !text.contains('\x1b'),
        "escape codes in piped output: {text:?}"
    );
    let refreshes = text.lines().filter(|l| l.starts_with("--- ")).count();
    assert!(
        refreshes >= 3,
        "{refreshes} refreshes in 1.5 s at 0.2 s:\n{text}"
    );
    assert!(
        text.contains("sim-station") || text.contains("connector"),
        "{text}"
    );
}

/// Issue 11: `chargerctl completions <shell>` prints a script the shell accepts, made from the
/// same definition as --help (every command is in it).
#[test]
fn chargerctl_completions_generate_for_bash_and_name_every_command() {
    let out = Command::new(CHARGERCTL)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let script = String::from_utf8(out.stdout).unwrap();
    for command in ["status", "sessions", "metrics", "completions", "man", "sim"] {
        assert!(script.contains(command), "{command} not completed");
    }
    assert!(script.contains("--interval") && script.contains("--output"));
    // bash itself reads it: syntax-checked, then sourced and the function defined.
    let path = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(path.path(), &script).unwrap();
    let check = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -e; bash -n '{p}'; source '{p}'; complete -p chargerctl",
            p = path.path().display()
        ))
        .output()
        .expect("bash is needed to check the completion script");
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("chargerctl"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(CHARGERCTL)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
}

/// Issue 11: `chargerctl man` prints chargerctl(1), and `chargerctl man COMMAND` the
/// chargerctl-COMMAND(1) pages it refers to; groff renders them without a warning.
#[test]
fn chargerctl_man_pages_render_with_groff() {
    let render = |args: &[&str]| {
        let page = Command::new(CHARGERCTL).args(args).output().unwrap();
        assert!(page.status.success(), "{page:?}");
        let mut groff = Command::new("groff")
            // -P-cbou: plain text, no bold or underline by overstrike.
            .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("groff renders man pages: apt-get install groff-base (as .ci/run does)");
        use std::io::Write;
        groff.stdin.take().unwrap().write_all(&page.stdout).unwrap();
        let out = groff.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let warnings = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            warnings.trim().is_empty(),
            "groff warnings for {args:?}: {warnings}"
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let top = render(&["man"]);
    for part in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "chargerctl-metrics(1)",
        "--socket",
    ] {
        assert!(
            top.contains(part) || top.contains(&part.replace('-', "‐")),
            "{part}:\n{top}"
        );
    }
    let metrics = render(&["man", "metrics"]);
    assert!(metrics.contains("chargerctl-metrics"), "{metrics}");
    assert!(metrics.contains("Prometheus"), "{metrics}");
    // Every page chargerctl(1) refers to exists (the Debian package installs them all).
    let list = Command::new(CHARGERCTL)
        .args(["man", "--list-commands"])
        .output()
        .unwrap();
    let names = String::from_utf8(list.stdout).unwrap();
    assert!(names.lines().count() >= 10, "{names}");
    for name in names.lines() {
        assert!(
            top.contains(&format!("chargerctl-{name}(1)"))
                || top.contains(&format!("chargerctl‐{name}(1)")),
            "{name}"
        );
        let page = render(&["man", name]);
        assert!(page.contains("SYNOPSIS"), "{name}: {page}");
    }
    let out = Command::new(CHARGERCTL)
        .args(["man", "no-such-command"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("metrics"));
}

/// configs/board-example.toml passes the static check: no GPIO chip, ADC, serial port or CAN
/// interface is opened (none of them exists here).
#[test]
fn the_board_example_config_passes_the_static_check_without_its_devices() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/board-example.toml"
        ))
        .env("CHARGERD_STATION__STATE_DIR", dir.path())
        .env(
            "CHARGERD_STATION__CONTROL_SOCKET",
            dir.path().join("c.sock"),
        )
        .env("CHARGERD_STATION__ADMIN_SOCKET", dir.path().join("a.sock"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("configuration is valid"),
        "{out:?}"
    );
}

/// `chargerd --probe` on configs/board-example.toml here, where none of its devices exists
/// (no GPIO chip, no ADC, no serial adapter): every one is named by file and key, the lines on
/// the missing chip and ADC are listed as not checked, and it exits 1 (not 78: nothing is
/// wrong with the configuration).
#[test]
fn the_probe_names_every_device_of_the_board_example_this_machine_lacks() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/board-example.toml");
    let out = Command::new(CHARGERD)
        .arg("--probe")
        .arg("--config")
        .arg(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAILED "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    for key in [
        "io_sources[0]",
        "io_sources[1]",
        "devices[0]",
        "devices[1]",
        "devices[2]",
        "devices[3]",
        // The pool's CAN modules on can2, the connectors' vehicle buses can0 and can1.
        "devices[4]",
        "connectors[0].can",
        "connectors[1].can",
    ] {
        assert!(failed.contains(&key), "{key} not named:\n{stdout}");
    }
    assert!(
        stdout.contains("/dev/gpiochip0")
            && stdout.contains("ads1015")
            && stdout.contains("/dev/ttyACM0"),
        "{stdout}"
    );
    // Every line of the board is listed under its key, not checked behind its missing source.
    for key in [
        "connectors[0].io.emergency_stop",
        "connectors[0].io.contactors",
        "connectors[1].io.plugged",
        "connectors[1].io.aux_supply_24v",
        "pool.matrix[0].coil",
        "pool.matrix[7].feedback",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with('-') && l.contains(key)),
            "{key}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("could not be opened (nothing was written)"),
        "{stdout}"
    );
}

/// Issue 16: a connector whose board I/O is on a GPIO chip that does not exist cannot be
/// used — its inputs never arrive, so they are stale and its emergency stop reads pressed —
/// while the daemon runs and the other connector charges.
#[test]
fn a_connector_on_a_missing_gpio_chip_is_faulted_and_the_other_one_charges() {
    let dir = tempfile::tempdir().unwrap();
    let chip = dir.path().join("gpiochip-absent");
    let io = format!(
        r#"hardware = "simulated"

[connectors.io]
emergency_stop = {{ source = "board", line = "ESTOP_N", active_low = true, edges = true, deadline_ms = 100 }}
plugged = {{ source = "board", line = "PROX_N", active_low = true, deadline_ms = 100 }}
contactors = {{ source = "board", line = "K1_K2" }}
d1 = {{ source = "board", line = "D1" }}

[[io_sources]]
name = "board"
kind = "gpio"
chip = "{}"
poll_ms = 10
retry_ms = 200
"#,
        chip.display()
    );
    let text = sim_config_text(dir.path()).replacen("hardware = \"simulated\"", &io, 1);
    assert!(
        text.contains("[connectors.io]"),
        "configs/sim.toml changed shape"
    );
    let d = Daemon::start_with(dir.path(), &text);

    let c1 = d.wait_for_on(1, Duration::from_secs(10), "connector 1 faulted", |c| {
        c["status"] == "Faulted"
    });
    assert_eq!(
        c1["status_info"], "stale board I/O reading",
        "lines never read are a stale-I/O fault (not a latched emergency stop): {c1:#}"
    );
    let refused = d.ctl(&["start", "1"]);
    assert!(!refused.status.success(), "connector 1 must not start");

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
    d.wait_for_on(2, Duration::from_secs(30), "connector 2 charging", |c| {
        c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 10.0
    });
    assert_eq!(d.connector(1)["status"], "Faulted");
    assert!(d.terminate().success());
}

/// The 8DI/8DO I/O module's shipped profile.
const IO_MODULE_PROFILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/configs/devices/io-module-8di8do-modbus.toml"
);

/// An I/O module of [`IO_MODULE_PROFILE`] served over Modbus TCP on a free loopback port, on
/// a runtime of its own (kept alive by the caller).
fn served_io_module() -> (
    tokio::runtime::Runtime,
    charger_hal::sim::modbus::server::SimServer<charger_hal::sim::modbus::IoModulePlant>,
) {
    use charger_hal::profile::Profile;
    use charger_hal::sim::modbus::server::serve;
    use charger_hal::sim::modbus::{IoModulePlant, SimDevice};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let profile = std::sync::Arc::new(Profile::load(Path::new(IO_MODULE_PROFILE)).unwrap());
    let device = SimDevice::new(profile.clone(), IoModulePlant::new(&profile)).unwrap();
    let server = runtime
        .block_on(serve(
            device,
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            Duration::from_millis(10),
        ))
        .unwrap();
    (runtime, server)
}

/// A station in `dir` with the served I/O module at `port` as device `cabinet-io`, and
/// `connectors` (their tables, whose lines name it).
fn io_module_station(dir: &Path, port: u16, connectors: &str) -> String {
    format!(
        r#"
[station]
name = "bench"
state_dir = "{state}"
control_socket = "{control}"

[authorization]
mode = "free"

[[devices]]
name = "cabinet-io"
role = "io_module"
profile = "{IO_MODULE_PROFILE}"
transport = {{ kind = "modbus_tcp", host = "127.0.0.1", port = {port}, unit = 1, timeout_ms = 200 }}
{connectors}"#,
        state = dir.join("state").display(),
        control = dir.join("run/control.sock").display(),
    )
}

/// Issue 16: a GB/T session charged through the board's lines on an I/O module served over
/// Modbus TCP. The station closes the contactors by writing the module's relay, sees them
/// closed on the auxiliary contact wired back to an input, holds the lock by its feedback,
/// and stops at once, opening the relay, when the emergency-stop input opens mid-session.
#[test]
fn a_truck_charges_through_board_lines_on_a_modbus_io_module_and_the_e_stop_input_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, server) = served_io_module();
    server.with(|dev| {
        let plant = dev.plant_mut();
        // The contactors' and the lock's feedback contacts, wired to their relays.
        plant.wire("do1", "di3").unwrap();
        plant.wire("do2", "di4").unwrap();
    });
    let text = io_module_station(
        dir.path(),
        server.addr().port(),
        r#"
[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 1000
max_current = 250
max_power_kw = 150
can = { backend = "simulated" }
[connectors.io]
emergency_stop = { source = "cabinet-io", line = "di1", deadline_ms = 500 }
plugged = { source = "cabinet-io", line = "di2", deadline_ms = 500 }
contactors_closed = { source = "cabinet-io", line = "di3", deadline_ms = 500 }
locked = { source = "cabinet-io", line = "di4", deadline_ms = 500 }
contactors = { source = "cabinet-io", line = "do1" }
connector_lock = { source = "cabinet-io", line = "do2" }
aux_power = { source = "cabinet-io", line = "do3" }
"#,
    );
    let d = Daemon::start_with(dir.path(), &text);
    let relay = |name: &str| server.with(|dev| dev.plant().output(name));
    let set = |name: &str, level: bool| {
        server.with(|dev| assert!(dev.plant_mut().set_input(name, level)));
    };
    // The truck arrives: CC1 on the board, the simulated truck on the bus.
    set("di2", true);
    d.ctl_ok(&["sim", "plug", "1"]);
    d.wait_for_on(1, Duration::from_secs(10), "plugged, fresh lines", |c| {
        c["plugged"] == true && c["status"] == "Preparing"
    });
    d.ctl_ok(&["start", "1"]);
    let c = d.wait_for_on(
        1,
        Duration::from_secs(30),
        "charging through the board",
        |c| c["current"].as_f64().unwrap_or(0.0) > 20.0,
    );
    assert_eq!(c["status"], "Charging", "{c:#}");
    assert_eq!(
        relay("do1"),
        Some(true),
        "contactors closed by the module's relay"
    );
    assert_eq!(relay("do2"), Some(true), "lock held by the module's relay");
    assert_eq!(relay("do3"), Some(true), "auxiliary power on");
    let hw: Value = serde_json::from_str(&d.ctl_ok(&["--json", "hw"])).unwrap();
    let line = |key: &str| {
        hw["connectors"][0]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no line {key} in {hw:#}"))
    };
    assert_eq!(line("contactors_closed")["value"]["level"], true, "{hw:#}");
    assert_eq!(line("contactors")["value"]["level"], true, "{hw:#}");

    // The emergency-stop chain opens (its input reads pressed): the session stops, the
    // relay opens, and the connector stays Faulted until a technician clears it.
    set("di1", true);
    let c = d.wait_for_on(1, Duration::from_secs(5), "stopped by the e-stop", |c| {
        c["status"] == "Faulted" && c["current"].as_f64() == Some(0.0)
    });
    assert!(
        c["faults"].to_string().to_lowercase().contains("emergency"),
        "{c:#}"
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    while relay("do1") != Some(false) {
        assert!(Instant::now() < deadline, "contactor relay still closed");
        std::thread::sleep(Duration::from_millis(20));
    }
    set("di1", false);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.connector(1)["status"], "Faulted", "latched until cleared");
    drop(d);
    drop(server);
}

/// Issue 16, bring-up: a connector whose lines are on a Modbus I/O module (the shipped 8 DI /
/// 8 DO profile, served on loopback). `chargerctl hw` lists every line with its source, point,
/// live value and age, and the module as a device; `hw set` is refused while the connector is
/// operative, drives the lock relay by hand once it is inoperative, and making it operative
/// again hands the relay back (open).
#[test]
fn chargerctl_hw_shows_the_board_lines_and_drives_an_output_only_on_an_inoperative_connector() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, server) = served_io_module();
    let port = server.addr().port();
    let text = io_module_station(
        dir.path(),
        port,
        r#"
[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 500
max_current = 125
max_power_kw = 62.5
can = { backend = "simulated" }
[connectors.io]
emergency_stop = { source = "cabinet-io", line = "di1", deadline_ms = 500 }
plugged = { source = "cabinet-io", line = "di2", deadline_ms = 500 }
contactors = { source = "cabinet-io", line = "do1" }
connector_lock = { source = "cabinet-io", line = "do2" }
"#,
    );
    let d = Daemon::start_with(dir.path(), &text);
    let fresh = |d: &Daemon| -> Option<Value> {
        let hw: Value = serde_json::from_str(&d.ctl_ok(&["--json", "hw"])).ok()?;
        let c = hw["connectors"].get(0)?.clone();
        let lines = c["lines"].as_array()?;
        (lines.len() == 4
            && lines
                .iter()
                .all(|l| l["output"] == true || (l["late"] == false && l["value"].is_object())))
        .then_some(hw)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let hw = loop {
        if let Some(hw) = fresh(&d) {
            break hw;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "lines never fresh: {}",
            d.ctl_ok(&["hw"])
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let c = &hw["connectors"][0];
    assert_eq!(c["inputs"]["emergency_stop"], false, "{hw}");
    assert_eq!(c["inputs"]["stale"], false, "{hw}");
    let estop = c["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "emergency_stop")
        .unwrap();
    assert_eq!(estop["source"], "cabinet-io", "{hw}");
    assert_eq!(estop["point"], "di1", "{hw}");
    assert_eq!(hw["devices"][0]["name"], "cabinet-io", "{hw}");
    let human = d.ctl_ok(&["hw"]);
    assert!(
        human.contains("emergency_stop") && human.contains("di1") && human.contains("ms ago"),
        "{human}"
    );

    // The probe does not run beside the daemon unless forced; forced, it reads the module.
    let probe = |force: bool| {
        let mut cmd = Command::new(CHARGERD);
        cmd.arg("--probe")
            .arg("--config")
            .arg(dir.path().join("chargerd.toml"));
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let out = probe(false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a chargerd is running"),
        "{out:?}"
    );
    let out = probe(true);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.lines().any(|l| l.starts_with("ok")
            && l.contains("devices[0]")
            && l.contains("unit 1 answered")),
        "{report}"
    );

    // Operative: refused, nothing driven.
    let refused = d.ctl(&["hw", "set", "1", "connector_lock", "on", "--yes"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Inoperative first"),
        "{refused:?}"
    );
    // Without a terminal and without --yes: not confirmed, nothing sent.
    d.ctl_ok(&["availability", "1", "inoperative"]);
    let unconfirmed = d.ctl(&["hw", "set", "1", "connector_lock", "on"]);
    assert!(!unconfirmed.status.success());
    assert!(
        String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"),
        "{unconfirmed:?}"
    );
    let relay = |name: &str| server.with(|dev| dev.plant().output(name));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(relay("do2"), Some(false));

    // Inoperative and dead: the lock relay closes by hand, and `hw` says so.
    let done = d.ctl_ok(&["hw", "set", "1", "connector_lock", "on", "--yes"]);
    assert!(done.contains("by hand"), "{done}");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while relay("do2") != Some(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "lock relay never closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(d.ctl_ok(&["hw"]).contains("BY HAND  connector_lock on"));
    // An unknown line is named.
    let unknown = d.ctl(&["hw", "set", "1", "k9", "on", "--yes"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no output line \"k9\""));

    // Operative again: the station takes the relay back and opens it.
    d.ctl_ok(&["availability", "1", "operative"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while relay("do2") != Some(false) {
        assert!(
            std::time::Instant::now() < deadline,
            "lock relay not handed back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!d.ctl_ok(&["hw"]).contains("BY HAND"));
    drop(d);
    drop(server);
}

/// `chargerctl hw can-dump`: a GB/T truck plugged into the simulator; the dump shows both
/// directions, decoded (the charger's CHM, the truck's BHM), and ends after --count frames.
#[test]
fn chargerctl_hw_can_dump_shows_the_frames_of_a_connector_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path());
    d.ctl_ok(&["sim", "plug", "2"]);
    d.ctl_ok(&["start", "2", "--id-tag", "FLEET-0001"]);
    let dump = d.ctl_ok(&["hw", "can-dump", "2", "--count", "60"]);
    let lines: Vec<&str> = dump.lines().filter(|l| !l.starts_with("...")).collect();
    assert_eq!(lines.len(), 60, "{dump}");
    assert!(dump.contains(" tx ") && dump.contains(" rx "), "{dump}");
    assert!(
        dump.contains("56->F4 CHM") || dump.contains("56->F4 CRM"),
        "{dump}"
    );
    assert!(dump.contains("F4->56 "), "{dump}");
    // JSON: one frame a line, with its sequence number.
    let json = d.ctl_ok(&["--json", "hw", "can-dump", "2", "--count", "3"]);
    for line in json.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v["seq"].is_u64() && v["id"].is_u64(), "{line}");
    }
    // An unknown connector is named.
    let e = d.ctl(&["hw", "can-dump", "9", "--count", "1"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("no connector 9"));
}

/// Issue 16, point 6: the daemon runs on configs/board-example.toml on this machine, which has
/// none of its devices (no GPIO chip, ADC, serial adapter or CAN interface): it starts, each
/// connector is unusable and says why, `chargerctl hw` names the missing chip, and nothing
/// takes the station down.
#[test]
fn the_daemon_runs_on_the_board_example_without_its_devices_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let control = dir.path().join("c.sock");
    let mut child = Command::new(CHARGERD)
        .arg("--config")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/board-example.toml"
        ))
        .env("CHARGERD_STATION__STATE_DIR", dir.path().join("state"))
        .env("CHARGERD_STATION__CONTROL_SOCKET", &control)
        .env("CHARGERD_STATION__ADMIN_SOCKET", dir.path().join("a.sock"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ctl = |args: &[&str]| {
        Command::new(CHARGERCTL)
            .arg("--socket")
            .arg(&control)
            .args(args)
            .output()
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status: Value = loop {
        let out = ctl(&["--json", "status"]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let faulted = v["connectors"]
                .as_array()
                .is_some_and(|cs| cs.len() == 2 && cs.iter().all(|c| c["status"] == "Faulted"));
            if faulted {
                break v;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon exited: {:?}",
            child.wait_with_output()
        );
        assert!(std::time::Instant::now() < deadline, "never faulted");
        std::thread::sleep(Duration::from_millis(100));
    };
    for c in status["connectors"].as_array().unwrap() {
        let faults = c["faults"].to_string();
        assert!(faults.contains("stale board I/O"), "{faults}");
    }
    let hw = ctl(&["hw"]);
    let hw = String::from_utf8_lossy(&hw.stdout);
    assert!(hw.contains("cannot open the GPIO chip"), "{hw}");
    assert!(
        hw.contains("pool matrix") && hw.contains("MTX_M1_C1"),
        "{hw}"
    );
    // Still up a while later.
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none());
    terminate(&mut child);
    let out = child.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        log.contains("connector hardware unavailable") && log.contains("can0"),
        "{log}"
    );
}

/// SIGTERM by `kill`, as systemd stops the unit.
fn terminate(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
}
