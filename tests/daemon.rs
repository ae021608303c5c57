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
    let commands: [&[&str]; 14] = [
        &[],
        &["status"],
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

#[test]
fn the_pool_drives_modules_over_modbus_and_chargerctl_devices_shows_their_links() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _runtime) = modbus_modules();
    let port = server.addr().port();
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/devices/power-module-30kw-modbus.toml"
    );
    let mut text = sim_config_text(dir.path());
    for unit in [1, 2] {
        text.push_str(&format!(
            "\n[[devices]]\nname = \"module-{unit}\"\nrole = \"power_module\"\nprofile = \"{profile}\"\n\
             transport = {{ kind = \"modbus_tcp\", host = \"127.0.0.1\", port = {port}, unit = {unit}, timeout_ms = 200 }}\n"
        ));
    }
    // Modules on a test bench: the matrix is simulated and feeds nothing real.
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
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
        let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
        if modules["modules"][1]["stale"] == true
            && modules["modules"][0]["stale"] == false
            && devices[1]["errors"]["timeouts"].as_u64().unwrap_or(0) > 0
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{modules}\n{devices}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(d.ctl_ok(&["modules"]).contains("NOT ANSWERING"));
}

/// configs/sim-modbus.toml with its state, socket, profile paths and port moved for a test.
fn sim_modbus_config_text(dir: &std::path::Path) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::read_to_string(concat!(
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
    )
    .replace("port = 15020", &format!("port = {port}"))
}

#[test]
fn sim_modbus_charges_a_truck_through_modules_driven_over_modbus_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start_with(dir.path(), &sim_modbus_config_text(dir.path()));
    d.ctl_ok(&["sim", "plug", "2"]);
    std::thread::sleep(Duration::from_millis(300));
    d.ctl_ok(&["start", "2"]);
    d.wait_for_on(
        2,
        Duration::from_secs(60),
        "charging from Modbus modules",
        |c| c["status"] == "Charging" && c["current"].as_f64().unwrap_or(0.0) > 150.0,
    );
    let modules: Value = serde_json::from_str(&d.ctl_ok(&["--json", "modules"])).unwrap();
    let on_2: Vec<&Value> = modules["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "active" && m["output"] == 2)
        .collect();
    assert!(on_2.len() >= 2, "{modules}");
    // What the pool reads over Modbus is what the modules carry: together the truck's current.
    let carried: f64 = on_2.iter().map(|m| m["current"].as_f64().unwrap()).sum();
    let current = d.connector(2)["current"].as_f64().unwrap();
    assert!(
        (carried - current).abs() < 0.2 * current,
        "{carried} A vs {current} A"
    );
    let devices: Value = serde_json::from_str(&d.ctl_ok(&["--json", "devices"])).unwrap();
    let list = devices.as_array().unwrap();
    assert_eq!(list.len(), 8);
    for dev in list {
        assert_eq!(dev["link"], "connected", "{dev}");
        assert_eq!(dev["errors"]["write_failures"], 0, "{dev}");
    }
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
