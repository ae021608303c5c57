//! `chargerd-evsim` against the real `chargerd`: trucks in their own processes, frames over
//! cannelloni UDP on 127.0.0.1, the inlet over the control socket, the journal checked after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chargerd::control::client::Client;
use chargerd::control::{Request, Response};
use serde_json::Value;

const CHARGERD: &str = env!("CARGO_BIN_EXE_chargerd");
const EVSIM: &str = env!("CARGO_BIN_EXE_chargerd-evsim");

/// A child process that is killed however the test ends.
struct Proc {
    child: Child,
    what: String,
}

impl Proc {
    /// Wait up to `limit` for the process to exit; its exit status, stdout and stderr.
    fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let end = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < end,
                "{} still running after {limit:?}",
                self.what
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = self.child.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        if let Some(mut s) = self.child.stderr.take() {
            s.read_to_string(&mut err).unwrap();
        }
        (status, out, err)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ports for the two connectors: (daemon's bind, simulator's bind) each.
struct Ports {
    gbt: (u16, u16),
    chademo: (u16, u16),
}

/// Four UDP ports that were free a moment ago (bound together so they differ, then released).
fn free_ports() -> Ports {
    let sockets: Vec<UdpSocket> = (0..4)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let p: Vec<u16> = sockets
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    Ports {
        gbt: (p[0], p[1]),
        chademo: (p[2], p[3]),
    }
}

/// A running chargerd on configs/sim-external.toml, with its state under a temporary
/// directory and its cannelloni ports moved to free ones.
struct Daemon {
    _proc: Proc,
    dir: tempfile::TempDir,
    ports: Ports,
}

/// configs/sim-external.toml with its state under `dir` and its cannelloni ports moved to
/// `ports`; the GB/T connector's link bound to the loopback interface (`can.interface`), so
/// that every session here also runs over a socket bound with SO_BINDTODEVICE.
fn external_config(dir: &Path, ports: &Ports) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/sim-external.toml"
    ))
    .unwrap();
    let gbt_can = "can = { backend = \"cannelloni\", bind = \"127.0.0.1:20001\", peer = \"127.0.0.1:20101\" }";
    assert!(text.contains(gbt_can), "{text}");
    text.replace(gbt_can, &gbt_can.replace(" }", ", interface = \"lo\" }"))
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
        .replace("127.0.0.1:20001", &format!("127.0.0.1:{}", ports.gbt.0))
        .replace("127.0.0.1:20101", &format!("127.0.0.1:{}", ports.gbt.1))
        .replace("127.0.0.1:20002", &format!("127.0.0.1:{}", ports.chademo.0))
        .replace("127.0.0.1:20102", &format!("127.0.0.1:{}", ports.chademo.1))
}

impl Daemon {
    fn start() -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports();
        let text = external_config(dir.path(), &ports);
        let config = dir.path().join("chargerd.toml");
        std::fs::write(&config, text).unwrap();
        let child = Command::new(CHARGERD)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut proc = Proc {
            child,
            what: "chargerd".into(),
        };
        let socket = dir.path().join("run/control.sock");
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Client::connect(&socket)
                .and_then(|mut c| c.call(&Request::Status))
                .is_ok_and(|r| matches!(r, Response::Status(_)));
            if ready {
                break;
            }
            if let Some(status) = proc.child.try_wait().unwrap() {
                panic!("chargerd exited with {status} before it was ready");
            }
            assert!(Instant::now() < end, "chargerd not ready after 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon {
            _proc: proc,
            dir,
            ports,
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("run/control.sock")
    }

    /// chargerd-evsim on connector 1 (GB/T) or 2 (CHAdeMO), with `extra` arguments.
    fn evsim(&self, connector: u32, extra: &[&str]) -> Proc {
        let (protocol, (daemon, sim)) = match connector {
            1 => ("gbt", self.ports.gbt),
            _ => ("chademo", self.ports.chademo),
        };
        evsim(
            &self.socket(),
            &[
                "--protocol",
                protocol,
                "--connector",
                &connector.to_string(),
                "--bind",
                &format!("127.0.0.1:{sim}"),
                "--peer",
                &format!("127.0.0.1:{daemon}"),
            ],
            extra,
        )
    }

    fn sessions(&self) -> Vec<Value> {
        let mut client = Client::connect(&self.socket()).unwrap();
        let response = client.call(&Request::Sessions { limit: 20 }).unwrap();
        let json = serde_json::to_value(&response).unwrap();
        json["sessions"].as_array().unwrap().clone()
    }
}

fn evsim(socket: &Path, args: &[&str], extra: &[&str]) -> Proc {
    let child = Command::new(EVSIM)
        .arg("--socket")
        .arg(socket)
        .args(args)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Proc {
        child,
        what: format!("chargerd-evsim {args:?} {extra:?}"),
    }
}

#[test]
fn a_cannelloni_interface_that_does_not_exist_stops_the_daemon_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = external_config(dir.path(), &free_ports())
        .replace("interface = \"lo\"", "interface = \"nosuchif0\"");
    assert!(text.contains("nosuchif0"));
    let config = dir.path().join("chargerd.toml");
    std::fs::write(&config, text).unwrap();
    // --check-config (ExecStartPre) says so first…
    let out = Command::new(CHARGERD)
        .arg("--check-config")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("can.interface") && err.contains("nosuchif0"),
        "{err}"
    );
    // …and a daemon started anyway fails on SO_BINDTODEVICE, naming the key, instead of
    // listening on every interface.
    let out = Command::new(CHARGERD)
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can.interface"), "{err}");
    assert!(err.contains("nosuchif0"), "{err}");
}

/// A small truck: 0.1 kWh to charge, done in seconds of real time.
const SMALL_TRUCK: [&str; 6] = [
    "--soc",
    "50",
    "--target-soc",
    "50.5",
    "--capacity-kwh",
    "20",
];

/// Exit 0 and the JSON summary.
fn summary_of(proc: Proc, limit: Duration) -> Value {
    let what = proc.what.clone();
    let (status, out, err) = proc.finish(limit);
    assert!(
        status.success(),
        "{what} exited with {status}\nstdout: {out}\nstderr: {err}"
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn session_on(sessions: &[Value], connector: u64) -> Value {
    let on: Vec<&Value> = sessions
        .iter()
        .filter(|s| s["connector"] == connector)
        .collect();
    assert_eq!(on.len(), 1, "{sessions:#?}");
    on[0].clone()
}

#[test]
fn gbt_and_chademo_trucks_charge_to_their_target_at_once() {
    let d = Daemon::start();
    let mut args: Vec<&str> = vec!["--json", "--timeout", "50"];
    args.extend_from_slice(&SMALL_TRUCK);
    let gbt = d.evsim(1, &args);
    let chademo = d.evsim(2, &args);
    let gbt = summary_of(gbt, Duration::from_secs(55));
    let chademo = summary_of(chademo, Duration::from_secs(55));

    for (s, protocol, watched) in [
        (&gbt, "gbt", &["CCS"][..]),
        (&chademo, "chademo", &["0x108", "0x109"][..]),
    ] {
        assert_eq!(s["protocol"], protocol, "{s:#}");
        assert_eq!(s["outcome"], "session_ended", "{s:#}");
        assert!(s["energy_kwh"].as_f64().unwrap() > 0.05, "{s:#}");
        assert!(s["soc_end_percent"].as_f64().unwrap() >= 50.5, "{s:#}");
        assert!(s["charging_s"].as_f64().unwrap() > 0.5, "{s:#}");
        assert_eq!(s["cannelloni"]["malformed_datagrams"], 0, "{s:#}");
        assert!(s["frames_received"].as_u64().unwrap() > 20, "{s:#}");
        let jitter = s["jitter"].as_array().unwrap();
        let names: Vec<&str> = jitter.iter().map(|j| j["name"].as_str().unwrap()).collect();
        assert_eq!(names, watched);
        for j in jitter {
            assert!(j["intervals"].as_u64().unwrap() > 5, "{j:#}");
            let median = j["interval_ms"]["median"].as_f64().unwrap();
            let nominal = j["nominal_ms"].as_f64().unwrap();
            // Loose: a loaded test machine is not a measurement bench.
            assert!((median - nominal).abs() < 15.0, "{j:#}");
        }
    }
    assert_eq!(gbt["edition"], "2015");
    assert_eq!(gbt["stop_cause"], "target_reached");
    assert_eq!(chademo["stop_cause"], "requested");

    let sessions = d.sessions();
    for connector in [1, 2] {
        let s = session_on(&sessions, connector);
        assert_eq!(s["stop_reason"]["kind"], "vehicle_request", "{s:#}");
        assert!(s["energy_wh"].as_f64().unwrap() > 0.0, "{s:#}");
        assert!(s["stopped_at"].is_string(), "{s:#}");
    }
}

#[test]
fn a_truck_gone_silent_ends_the_session_as_a_communication_loss() {
    let d = Daemon::start();
    // The default truck would charge for an hour; it goes silent once charging (about 4.5 s
    // after plug-in on an idle machine; a fault before that ends the session the same way).
    let silent = d.evsim(2, &["--json", "--timeout", "40", "--fault", "7:can-silent"]);
    let s = summary_of(silent, Duration::from_secs(45));
    assert_eq!(s["outcome"], "session_ended", "{s:#}");
    assert_eq!(s["faults_applied"][0], "7:can-silent", "{s:#}");
    // The charger noticed within seconds and dropped d1.
    assert!(s["duration_s"].as_f64().unwrap() < 15.0, "{s:#}");

    let sessions = d.sessions();
    let session = session_on(&sessions, 2);
    assert_eq!(
        session["stop_reason"]["kind"], "communication_lost",
        "{session:#}"
    );
    assert!(session["stopped_at"].is_string(), "{session:#}");

    // The connector is free again: no current, nothing plugged. The simulator's last inlet
    // update (the unplug) may still be on its way to the main loop: wait for it, briefly.
    let mut client = Client::connect(&d.socket()).unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    let c2 = loop {
        let status = serde_json::to_value(client.call(&Request::Status).unwrap()).unwrap();
        let c2 = status["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == 2)
            .unwrap()
            .clone();
        if c2["plugged"] == false || Instant::now() > end {
            break c2;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(c2["plugged"], false, "{c2:#}");
    assert!(c2["current"].as_f64().unwrap().abs() < 1.0, "{c2:#}");

    // A connector the station does not have, and a protocol that does not match, are refused
    // with the reason before anything is plugged in.
    for (connector, protocol, why) in [
        ("9", "gbt", "no connector 9"),
        ("1", "chademo", "speaks GB/T"),
    ] {
        let p = evsim(
            &d.socket(),
            &[
                "--protocol",
                protocol,
                "--connector",
                connector,
                "--bind",
                "127.0.0.1:0",
                "--peer",
                &format!("127.0.0.1:{}", d.ports.gbt.0),
            ],
            &[],
        );
        let (status, _, err) = p.finish(Duration::from_secs(10));
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains(why), "{err}");
    }
}

#[test]
fn evsim_says_clearly_what_is_wrong_without_panicking() {
    let args = |bind: &str| {
        vec![
            "--protocol".to_string(),
            "gbt".into(),
            "--connector".into(),
            "1".into(),
            "--bind".into(),
            bind.to_string(),
            "--peer".into(),
            "127.0.0.1:9".into(),
        ]
    };
    let run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        evsim(Path::new("/nonexistent/chargerd.sock"), &a, &[]).finish(Duration::from_secs(10))
    };

    // No daemon.
    let (status, _, err) = run(args("127.0.0.1:0"));
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("not running"), "{err}");
    assert!(err.contains("/nonexistent/chargerd.sock"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // A port someone else holds.
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, _, err) = run(args(&addr));
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("cannot open the cannelloni port"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // A truck no GB/T vehicle can be, and an option for the other protocol.
    let mut bad = args("127.0.0.1:0");
    bad.extend(["--max-current".into(), "500".into()]);
    let (status, _, err) = run(bad);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("max_current"), "{err}");
    let mut bad = args("127.0.0.1:0");
    bad[1] = "chademo".into();
    bad.extend(["--fault".into(), "3:vehicle-pause".into()]);
    let (status, _, err) = run(bad);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("no pause"), "{err}");
}
