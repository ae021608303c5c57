//! `cargo bench --bench ocpp_outbox`: replay of a 10,000-message OCPP outbox backlog (a long
//! CSMS outage) through the charge point core, with every record persisted to, loaded from
//! (the core keeps only a window of the head in memory) and removed from a real SQLite journal
//! (WAL, synchronous=FULL), against an in-process CSMS that answers at once. Prints the replay
//! rate and the resident memory with the backlog waiting and at its peak during the replay;
//! asserts only that every message went out, in order, once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use charger_protocol::ocpp::{OcppVersion, RpcConfig};
use charger_protocol::Timestamp;
use chargerd::ocpp::chargepoint::{ChargePoint, CoreAction, Identity, Keys};
use chargerd::ocpp::meter::{MeterReading, ReadingContext};
use chargerd::station::{StationEvent, TransactionStart};
use chargerd::store::Store;
use serde_json::{json, Value};

/// The CSMS endpoint the tests connect to (a reconnect to it needs no new registration).
fn csms_endpoint() -> chargerd::ocpp::chargepoint::Endpoint {
    chargerd::ocpp::chargepoint::Endpoint {
        url: "ws://csms.test/ocpp/CP-TEST".into(),
        security_profile: 0,
    }
}

const BACKLOG: usize = 10_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn persist(cp: &mut ChargePoint, store: &mut Store) {
    while let Some(a) = cp.poll_action() {
        match a {
            CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                store.outbox_put(&r).unwrap()
            }
            CoreAction::OutboxLoad { after_seq, limit } => cp.outbox_loaded(
                store
                    .outbox_after(OcppVersion::V16, after_seq, limit)
                    .unwrap(),
            ),
            CoreAction::OutboxRemove(seq) => store.outbox_remove(seq).unwrap(),
            CoreAction::TransactionIdAssigned { local, csms } => {
                store.set_csms_transaction_id(local, csms).unwrap()
            }
            _ => {}
        }
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("journal.sqlite")).unwrap();
    let rss_before = rss_kib();
    let identity = Identity {
        vendor: "chargerd".into(),
        model: "bench".into(),
        serial_number: None,
        firmware_version: "0".into(),
    };
    let mut keys = Keys::new(1);
    keys.meter_value_sample_interval = Duration::from_secs(1);
    let mut now = Timestamp::from_secs(1);
    let mut cp = ChargePoint::new(identity, keys, RpcConfig::default(), 1_795_619_373_000, now);

    // The outage: one transaction, then MeterValues every second, all into the outbox.
    let fill = Instant::now();
    cp.on_station_event(
        &StationEvent::TransactionStarted(TransactionStart {
            transaction_id: 1,
            connector: 1,
            id_tag: "FLEET-042".into(),
            meter_start_wh: 0.0,
            at: now,
        }),
        now,
    );
    for i in 1..BACKLOG {
        now += Duration::from_secs(1);
        cp.on_meter_readings(
            vec![MeterReading {
                connector: 1,
                transaction_id: Some(1),
                energy_wh: i as f64 * 50.0,
                voltage: 650.0,
                current: 250.0,
                offered_current: 300.0,
                soc_percent: Some(40.0),
                temperature_c: Some(31.0),
                pin_temperature_c: None,
                coolant_temperature_c: None,
            }],
            ReadingContext::Periodic,
            now,
        );
        persist(&mut cp, &mut store);
    }
    let fill_time = fill.elapsed();
    assert_eq!(cp.outbox_len(), BACKLOG);
    let rss_backlog = rss_kib();

    // The CSMS comes back: answer everything at once.
    cp.on_connected(csms_endpoint(), now);
    let replay = Instant::now();
    let mut sent = 0usize;
    let mut last_meter = -1.0f64;
    let mut rss_peak = 0;
    loop {
        cp.update(now);
        persist(&mut cp, &mut store);
        if sent % 500 == 0 {
            rss_peak = rss_peak.max(rss_kib());
        }
        let Some(text) = cp.poll_text(now) else {
            if cp.outbox_len() == 0 {
                break;
            }
            now += Duration::from_millis(1);
            continue;
        };
        let call: Value = serde_json::from_str(&text).unwrap();
        let answer = match call[2].as_str().unwrap() {
            "BootNotification" => {
                json!({"status": "Accepted", "currentTime": "2026-11-25T15:10:00Z", "interval": 300})
            }
            "StartTransaction" => {
                sent += 1;
                json!({"transactionId": 77, "idTagInfo": {"status": "Accepted"}})
            }
            "MeterValues" => {
                sent += 1;
                assert_eq!(call[3]["transactionId"], 77);
                let wh: f64 = call[3]["meterValue"][0]["sampledValue"][0]["value"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(wh > last_meter, "out of order");
                last_meter = wh;
                json!({})
            }
            _ => json!({}),
        };
        cp.on_text(&json!([3, call[1], answer]).to_string(), now);
    }
    persist(&mut cp, &mut store);
    let replay_time = replay.elapsed();
    assert_eq!(sent, BACKLOG);
    assert!(store.outbox().unwrap().is_empty());
    println!(
        "outbox: {BACKLOG} messages persisted in {:.2} s ({:.0}/s); replayed in order in {:.2} s: {:.0} messages/s (SQLite remove per answer included)",
        fill_time.as_secs_f64(),
        BACKLOG as f64 / fill_time.as_secs_f64(),
        replay_time.as_secs_f64(),
        BACKLOG as f64 / replay_time.as_secs_f64()
    );
    println!(
        "resident memory: {} KiB before, {} KiB with the backlog waiting (+{} KiB; {} records in memory, the rest on disk), {} KiB at the peak of the replay (+{} KiB)",
        rss_before,
        rss_backlog,
        rss_backlog.saturating_sub(rss_before),
        chargerd::ocpp::chargepoint::OUTBOX_WINDOW,
        rss_peak,
        rss_peak.saturating_sub(rss_before)
    );
}
