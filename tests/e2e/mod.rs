//! The end-to-end harness for chargerd against the Python CSMS (tests/ocpp/csms.py): the
//! CSMS process and its JSON-lines log, the daemon on configs/sim.toml with an `[ocpp]`
//! section, and readers of the log. Shared by the tests/ocpp_*.rs suites.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const CHARGERD: &str = env!("CARGO_BIN_EXE_chargerd");
pub const CHARGERCTL: &str = env!("CARGO_BIN_EXE_chargerctl");
pub const CSMS_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ocpp/csms.py");
pub const SELFTEST_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ocpp/selftest.py");
pub const CP_ID: &str = "CP-E2E";

// ----- is the CSMS runnable here? -------------------------------------------------------------

pub fn python_ocpp() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let ok = Command::new("python3")
            .args(["-c", "import ocpp, websockets"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        // A missing peer fails the test, it never passes by skipping (.ci/run installs it).
        assert!(
            ok,
            "python3 cannot import ocpp and websockets, which this test's CSMS needs: \
             python3 -m pip install --user 'ocpp==2.1.0' 'websockets==17.4' (as .ci/run does)"
        );
        ok
    })
}

/// Fails the test, saying how to install them, if the Python CSMS's packages are missing.
#[macro_export]
macro_rules! require_csms {
    () => {
        // Fails (with the install command) when the CSMS's packages are missing.
        $crate::e2e::python_ocpp();
    };
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ----- the CSMS -------------------------------------------------------------------------------

/// `tests/ocpp/csms.py`, killed on drop.
pub struct Csms {
    pub child: Child,
    pub stdin: ChildStdin,
    pub port: u16,
    pub log: PathBuf,
    pub stderr: PathBuf,
    /// Logs to show when a wait fails (chargerd's).
    pub also_show: Vec<PathBuf>,
    pub next_ref: u32,
}

impl Csms {
    pub fn start(dir: &Path, args: &[&str]) -> Csms {
        let log = dir.join("csms.jsonl");
        let stderr = dir.join("csms.stderr");
        let mut child = Command::new("python3")
            .arg(CSMS_PY)
            .args([
                "--port",
                "0",
                "--ping-interval",
                "5",
                "--call-timeout",
                "10",
            ])
            .arg("--log")
            .arg(&log)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "csms.py did not print its port (got {first:?}): {}",
                    tail(&stderr, 30)
                )
            });
        Csms {
            child,
            stdin,
            port,
            log,
            stderr,
            also_show: Vec::new(),
            next_ref: 0,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ocpp", self.port)
    }

    pub fn records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn diagnostics(&self) -> String {
        let mut out = format!(
            "--- CSMS log (last 80 records) ---\n{}\n--- csms.py stderr ---\n{}",
            tail(&self.log, 80),
            tail(&self.stderr, 30)
        );
        for p in &self.also_show {
            out.push_str(&format!("\n--- {} ---\n{}", p.display(), tail(p, 40)));
        }
        out
    }

    /// Polls the log until `f` finds what it looks for.
    pub fn wait<T>(
        &self,
        limit: Duration,
        what: &str,
        mut f: impl FnMut(&[Value]) -> Option<T>,
    ) -> T {
        let end = Instant::now() + limit;
        loop {
            if let Some(t) = f(&self.records()) {
                return t;
            }
            assert!(
                Instant::now() < end,
                "timed out after {limit:?} waiting for {what}\n{}",
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn send(&mut self, mut cmd: Value) -> String {
        self.next_ref += 1;
        let r = format!("r{}", self.next_ref);
        cmd["ref"] = json!(r);
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
        r
    }

    pub fn answer(&self, r: &str) -> Value {
        self.wait(Duration::from_secs(20), &format!("answer to {r}"), |recs| {
            recs.iter()
                .find(|x| x["kind"] == "answer" && x["ref"] == r)
                .cloned()
        })
    }

    /// Sends a CALL to the charge point and returns its CALLRESULT payload.
    pub fn call(&mut self, action: &str, payload: Value) -> Value {
        let r = self.send(json!({"call": action, "payload": payload}));
        let a = self.answer(&r);
        assert_eq!(
            a["ok"],
            true,
            "{action} {payload}: {a}\n{}",
            self.diagnostics()
        );
        a["payload"].clone()
    }

    pub fn status_of(&mut self, action: &str, payload: Value) -> String {
        let p = self.call(action, payload);
        p["status"].as_str().unwrap().to_string()
    }

    pub fn command(&mut self, cmd: Value) {
        let r = self.send(cmd);
        let a = self.answer(&r);
        assert_eq!(a["ok"], true, "{a}");
    }

    /// Sends `text` through the WebSocket as it is; returns the command's ref.
    pub fn raw(&mut self, text: &str) -> String {
        let r = self.send(json!({ "raw": text }));
        assert_eq!(self.answer(&r)["ok"], true);
        r
    }

    /// No schema error and no protocol violation in the whole log.
    pub fn assert_clean(&self) {
        let recs = self.records();
        let bad: Vec<&Value> = recs
            .iter()
            .filter(|r| {
                r["kind"] == "schema_error"
                    || r["kind"] == "violation"
                    || (r["kind"] == "call_in" && r["valid"] != true)
                    || (r["kind"] == "reply_in" && r["type"] == "result" && r["valid"] != true)
            })
            .collect();
        assert!(
            bad.is_empty(),
            "the CSMS saw invalid messages:\n{}\n{}",
            bad.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            self.diagnostics()
        );
    }
}

impl Drop for Csms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----- reading the log --------------------------------------------------------------------------

/// The CALLs the charge point sent with this action, with their index in the log.
pub fn calls<'a>(recs: &'a [Value], action: &str) -> Vec<(usize, &'a Value)> {
    recs.iter()
        .enumerate()
        .filter(|(_, r)| r["kind"] == "call_in" && r["action"] == action)
        .collect()
}

/// Our answer to the charge point's CALL `id`.
pub fn reply<'a>(recs: &'a [Value], id: &Value) -> Option<&'a Value> {
    recs.iter()
        .find(|r| r["kind"] == "reply_out" && r["id"] == *id)
}

/// Index of the answer that accepted the registration, the `nth` (0-based) such answer.
pub fn accepted_at(recs: &[Value], nth: usize) -> Option<usize> {
    recs.iter()
        .enumerate()
        .filter(|(_, r)| {
            r["kind"] == "reply_out"
                && r["action"] == "BootNotification"
                && r["payload"]["status"] == "Accepted"
        })
        .map(|(i, _)| i)
        .nth(nth)
}

/// Whether the status of connectors 0, 1 and 2 was sent after record `at`.
fn statuses_sent_after(recs: &[Value], at: usize) -> bool {
    let seen: BTreeSet<u64> = calls(recs, "StatusNotification")
        .into_iter()
        .filter(|(i, _)| *i > at)
        .filter_map(|(_, r)| r["payload"]["connectorId"].as_u64())
        .collect();
    seen == BTreeSet::from([0, 1, 2])
}

/// Registered (the `nth` Accepted) and the status of connectors 0, 1 and 2 sent after it.
pub fn registered(recs: &[Value], nth: usize) -> Option<usize> {
    let at = accepted_at(recs, nth)?;
    statuses_sent_after(recs, at).then_some(at)
}

/// Index of the `nth` (0-based) WebSocket connection the CSMS saw.
pub fn connected_at(recs: &[Value], nth: usize) -> Option<usize> {
    recs.iter()
        .enumerate()
        .filter(|(_, r)| r["kind"] == "connected")
        .map(|(i, _)| i)
        .nth(nth)
}

/// Connected (the `nth` connection) and the status of connectors 0, 1 and 2 sent after it:
/// what a plain reconnect gives, with no new BootNotification (registered once per boot).
pub fn reconnected(recs: &[Value], nth: usize) -> Option<usize> {
    let at = connected_at(recs, nth)?;
    statuses_sent_after(recs, at).then_some(at)
}

/// The transaction id the CSMS gave in answer to the StartTransaction CALL `start`.
pub fn assigned_id(recs: &[Value], start: &Value) -> Option<i64> {
    reply(recs, &start["id"])?["payload"]["transactionId"].as_i64()
}

/// The first StopTransaction for transaction `tx`.
pub fn stop_of(recs: &[Value], tx: i64) -> Option<(usize, Value)> {
    calls(recs, "StopTransaction")
        .into_iter()
        .find(|(_, r)| r["payload"]["transactionId"] == tx)
        .map(|(i, r)| (i, r["payload"].clone()))
}

pub fn energy_wh(meter_values: &Value) -> Vec<f64> {
    meter_values["meterValue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|mv| mv["sampledValue"].as_array().unwrap().iter())
        .filter(|s| s["measurand"] == "Energy.Active.Import.Register")
        .map(|s| s["value"].as_str().unwrap().parse().unwrap())
        .collect()
}

// ----- chargerd ---------------------------------------------------------------------------------

/// configs/sim.toml with its state directory and control socket moved under `dir`.
pub fn sim_config_text(dir: &Path) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sim.toml"))
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
}

/// The real daemon on configs/sim.toml with an `[ocpp]` section, killed on drop.
pub struct Chargerd {
    pub child: Option<Child>,
    pub dir: PathBuf,
}

impl Chargerd {
    pub fn log(dir: &Path) -> PathBuf {
        dir.join("chargerd.log")
    }

    pub fn write_config(dir: &Path, ocpp: &str) -> PathBuf {
        let text = sim_config_text(dir);
        let path = dir.join("chargerd.toml");
        std::fs::write(&path, format!("{text}\n{ocpp}")).unwrap();
        path
    }

    /// Security profile 0, quick pings and reconnects, as the tests want.
    pub fn ocpp_section(url: &str) -> String {
        format!(
            "[ocpp]\ncsms_url = \"{url}\"\ncharge_point_id = \"{CP_ID}\"\nversion = \"1.6\"\n\
             security_profile = 0\nwebsocket_ping_interval_s = 2\nretry_backoff_min_s = 1\n\
             retry_backoff_max_s = 2\nretry_backoff_random_range_s = 0\ncall_timeout_s = 5\n"
        )
    }

    pub fn start(dir: &Path, csms: &mut Csms) -> Chargerd {
        let section = Self::ocpp_section(&csms.url());
        Self::start_with(dir, csms, &section)
    }

    pub fn start_with(dir: &Path, csms: &mut Csms, ocpp: &str) -> Chargerd {
        Self::start_edited(dir, csms, ocpp, |text| text)
    }

    /// Like [`start_with`](Self::start_with), with `edit` applied to the whole configuration
    /// text (e.g. another authorization mode).
    pub fn start_edited(
        dir: &Path,
        csms: &mut Csms,
        ocpp: &str,
        edit: impl Fn(String) -> String,
    ) -> Chargerd {
        Self::start_edited_env(dir, csms, ocpp, edit, &[])
    }

    /// Like [`start_edited`](Self::start_edited), with these variables in the daemon's
    /// environment (e.g. `INVOCATION_ID`: as if systemd had started it).
    pub fn start_edited_env(
        dir: &Path,
        csms: &mut Csms,
        ocpp: &str,
        edit: impl Fn(String) -> String,
        env: &[(&str, &str)],
    ) -> Chargerd {
        let config = Self::write_config(dir, ocpp);
        let text = edit(std::fs::read_to_string(&config).unwrap());
        std::fs::write(&config, text).unwrap();
        let log = Self::log(dir);
        if !csms.also_show.contains(&log) {
            csms.also_show.push(log.clone());
        }
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(CHARGERD)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            // Not under systemd unless a test says so, even when the test runner is.
            .env_remove("INVOCATION_ID")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("JOURNAL_STREAM")
            .envs(env.iter().copied())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let mut d = Chargerd {
            child: Some(child),
            dir: dir.to_path_buf(),
        };
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if d.ctl(&["status"]).status.success() {
                return d;
            }
            if let Some(status) = d.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("chargerd exited with {status}:\n{}", tail(&log, 40));
            }
            assert!(
                Instant::now() < end,
                "chargerd did not come up:\n{}",
                tail(&log, 40)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(CHARGERCTL)
            .arg("--socket")
            .arg(self.dir.join("run/control.sock"))
            .args(args)
            .output()
            .unwrap()
    }

    pub fn ctl_ok(&self, args: &[&str]) -> String {
        let out = self.ctl(args);
        assert!(
            out.status.success(),
            "chargerctl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            tail(&Self::log(&self.dir), 30)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn connector(&self, id: u64) -> Value {
        let status: Value = serde_json::from_str(&self.ctl_ok(&["--json", "status"])).unwrap();
        status["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    }

    pub fn wait_connector(&self, id: u64, limit: Duration, what: &str, f: impl Fn(&Value) -> bool) {
        let end = Instant::now() + limit;
        loop {
            let c = self.connector(id);
            if f(&c) {
                return;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; connector {id}: {c:#}\n{}",
                tail(&Self::log(&self.dir), 30)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `chargerctl sim plug` with a truck of `capacity` kWh from `soc` to `target` %.
    pub fn plug(&self, connector: &str, soc: &str, target: &str, capacity: &str) {
        self.ctl_ok(&[
            "sim",
            "plug",
            connector,
            "--soc",
            soc,
            "--target-soc",
            target,
            "--capacity-kwh",
            capacity,
        ]);
    }

    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Waits for the daemon to exit on its own within `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let end = Instant::now() + limit;
        let child = self.child.as_mut().unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < end,
                "chargerd did not exit within {limit:?}:\n{}",
                tail(&Self::log(&self.dir), 30)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > end {
                let _ = child.kill();
                panic!("chargerd did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Chargerd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The CSMS and a registered chargerd, connectors 0-2 reported.
pub fn setup(dir: &Path, csms_args: &[&str]) -> (Csms, Chargerd) {
    let mut csms = Csms::start(dir, csms_args);
    let d = Chargerd::start(dir, &mut csms);
    csms.wait(Duration::from_secs(20), "registration", |r| {
        registered(r, 0)
    });
    (csms, d)
}
