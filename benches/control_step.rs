//! `cargo bench --bench control_step`: how late the daemon's control steps finish while the
//! OCPP side is busy. The real `chargerd` (release build) on configs/sim.toml charges two
//! simulated trucks while its offline outbox replays a backlog of 10,000 messages
//! (`CONTROL_BENCH_BACKLOG` to change it; written into journal.sqlite through the `Store` API
//! before the daemon starts) to the Python CSMS (tests/ocpp/csms.py) and a GetDiagnostics
//! upload runs to an HTTP sink on loopback. After a measuring window the bench reads the
//! daemon's own step-latency figures (`chargerctl --json status`, `control_step`: nearest-rank
//! p50/p99/max over the latest 4096 steps, see src/steps.rs) and prints them as a table.
//!
//! Needs `python3 -c "import ocpp, websockets"` (`.ci/run` installs them). Asserts only that
//! both trucks charged and that the backlog was being replayed during the window.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../tests/e2e/mod.rs"]
mod e2e;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use chargerd::ocpp::chargepoint::{OutboxRecord, NO_TRANSACTION};
use chargerd::store::Store;
use e2e::*;
use serde_json::{json, Value};

/// The measuring window: 41 s of 10 ms steps fill the daemon's 4096-step latency window.
const WINDOW: Duration = Duration::from_secs(42);

/// Answers every HTTP request with 200 after reading its `Content-Length` body; counts the
/// bytes received.
fn upload_sink() -> (u16, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut length = 0u64;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = Vec::new();
                let _ = reader.by_ref().take(length).read_to_end(&mut body);
                counter.fetch_add(body.len() as u64, std::sync::atomic::Ordering::Relaxed);
                let mut stream = reader.into_inner();
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nstored",
                );
            });
        }
    });
    (port, received)
}

/// The backlog, as an earlier run offline would have left it: MeterValues in the outbox.
fn prefill(dir: &std::path::Path, count: u64) {
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut store = Store::open(&dir.join("state/journal.sqlite")).unwrap();
    for seq in 1..=count {
        store
            .outbox_put(&OutboxRecord {
                seq,
                action: "MeterValues".into(),
                payload: json!({
                    "connectorId": 1,
                    "meterValue": [{
                        "timestamp": "2026-12-06T00:00:00Z",
                        "sampledValue": [{"value": format!("{seq}"),
                                          "measurand": "Energy.Active.Import.Register",
                                          "unit": "Wh"}]
                    }]
                }),
                local_transaction_id: NO_TRANSACTION,
                refusals: 0,
                refused: false,
                version: charger_protocol::ocpp::OcppVersion::V16,
            })
            .unwrap();
    }
}

fn status(d: &Chargerd) -> Value {
    serde_json::from_str(&d.ctl_ok(&["--json", "status"])).unwrap()
}

fn outbox_depth(d: &Chargerd) -> u64 {
    let o: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
    o["outbox_depth"].as_u64().unwrap_or(0)
}

fn ms(us: &Value) -> String {
    format!("{:.3}", us.as_f64().unwrap_or(f64::NAN) / 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    python_ocpp();
    let backlog: u64 = std::env::var("CONTROL_BENCH_BACKLOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    prefill(dir.path(), backlog);
    let prefill_s = started.elapsed().as_secs_f64();

    let (sink_port, received) = upload_sink();
    let mut csms = Csms::start(dir.path(), &[]);
    let section = format!(
        "{}\n[ocpp.files]\nwork_dir = \"{}\"\nsystemd_unit = \"\"\nallow_local_transfer_hosts = true\n\
         allow_insecure_transfers = true\n",
        Chargerd::ocpp_section(&csms.url()),
        dir.path().join("work").display(),
    );
    let d = Chargerd::start_with(dir.path(), &mut csms, &section);
    csms.wait(Duration::from_secs(60), "registration", |r| {
        registered(r, 0)
    });
    d.plug("1", "10", "95", "600");
    d.plug("2", "10", "95", "600");
    d.ctl_ok(&["start", "1"]);
    d.ctl_ok(&["start", "2"]);
    for c in [1, 2] {
        d.wait_connector(c, Duration::from_secs(60), "charging", |v| {
            v["current"].as_f64().unwrap_or(0.0) > 10.0
        });
    }
    let depth_before = outbox_depth(&d);
    let window_start = Instant::now();
    let conf = csms.call(
        "GetDiagnostics",
        json!({"location": format!("http://127.0.0.1:{sink_port}/upload/")}),
    );
    assert!(conf["fileName"].is_string(), "GetDiagnostics: {conf}");
    std::thread::sleep(WINDOW.saturating_sub(window_start.elapsed()));
    let s = status(&d);
    let depth_after = outbox_depth(&d);
    let step = &s["control_step"];
    assert!(step.is_object(), "no control_step in the status: {s}");
    for c in s["connectors"].as_array().unwrap() {
        assert!(
            c["current"].as_f64().unwrap_or(0.0) > 10.0,
            "a truck stopped charging: {c}"
        );
    }
    assert!(depth_after < depth_before, "the backlog was not replayed");
    let uploaded = received.load(std::sync::atomic::Ordering::Relaxed);

    let label = std::env::var("CONTROL_BENCH_LABEL").unwrap_or_else(|_| "this build".into());
    println!();
    println!(
        "control-step latency, 2 trucks charging, outbox replay of {backlog} messages, \
         diagnostics upload ({:.1} s window, step 10 ms)",
        WINDOW.as_secs_f64()
    );
    println!(
        "| build | steps | p50 ms | p99 ms | max ms | worst since start ms | work p50 / p99 / max ms | replayed in window | diagnostics bytes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {label} | {} | {} | {} | {} | {} | {} / {} / {} | {} of {} | {uploaded} |",
        step["window"],
        ms(&step["p50_us"]),
        ms(&step["p99_us"]),
        ms(&step["max_us"]),
        ms(&step["max_ever_us"]),
        ms(&step["work_p50_us"]),
        ms(&step["work_p99_us"]),
        ms(&step["work_max_us"]),
        depth_before.saturating_sub(depth_after),
        depth_before,
    );
    println!("(prefill of the backlog through Store::outbox_put: {prefill_s:.1} s)");
    csms.assert_clean();
}
