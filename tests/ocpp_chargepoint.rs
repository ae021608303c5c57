//! The OCPP 1.6 charge point core against a scripted CSMS, in simulated time: registration,
//! statuses, the transaction outbox (offline, replay in order, refusals, timeouts, restart),
//! remote start/stop and configuration. Every frame the core sends is checked against the
//! official schemas by the RPC layer (outgoing validation is on).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_protocol::ocpp::RpcConfig;
use charger_protocol::{StopReason, Timestamp};
use chargerd::ocpp::chargepoint::{
    parse_rfc3339_ms, ChargePoint, CoreAction, Identity, Keys, OutboxRecord, Registration,
};
use chargerd::ocpp::meter::MeterReading;
use chargerd::station::{
    ConnectorStatus, StationCommand, StationEvent, TransactionStart, TransactionStop,
};
use serde_json::{json, Value};

/// The CSMS endpoint the tests connect to (a reconnect to it needs no new registration).
fn csms_endpoint() -> chargerd::ocpp::chargepoint::Endpoint {
    chargerd::ocpp::chargepoint::Endpoint {
        url: "ws://csms.test/ocpp/CP-TEST".into(),
        security_profile: 0,
    }
}

const T0_UNIX_MS: i64 = 1_795_619_373_000; // 2026-11-25T15:09:33Z

struct Csms {
    cp: ChargePoint,
    now: Timestamp,
    actions: Vec<CoreAction>,
    /// What the simulated meters read: the station's transaction per connector and the
    /// energy register, answered to every ReadMeters at once.
    running: std::collections::BTreeMap<u32, i64>,
    meter_wh: f64,
    /// The outbox as the shell persists it, answering OutboxLoad like SQLite would.
    disk: std::collections::BTreeMap<u64, OutboxRecord>,
    /// The most records the core held in memory at once.
    max_in_memory: usize,
}

impl Csms {
    fn new() -> Csms {
        let identity = Identity {
            vendor: "chargerd".into(),
            model: "sim".into(),
            serial_number: Some("SN-1".into()),
            firmware_version: "0.1.0".into(),
        };
        let cfg = RpcConfig {
            id_seed: 7,
            call_timeout: Duration::from_secs(10),
            ..RpcConfig::default()
        };
        let now = Timestamp::from_secs(100);
        Csms {
            cp: ChargePoint::new(identity, Keys::new(2), cfg, T0_UNIX_MS, now),
            now,
            actions: Vec::new(),
            running: Default::default(),
            meter_wh: 1000.0,
            disk: Default::default(),
            max_in_memory: 0,
        }
    }

    /// Advance time, collecting actions; returns the frames the charge point sent.
    fn run(&mut self, d: Duration) -> Vec<Value> {
        let end = self.now + d;
        let mut sent = Vec::new();
        loop {
            self.cp.update(self.now);
            self.max_in_memory = self.max_in_memory.max(self.cp.in_memory_outbox());
            while let Some(t) = self.cp.poll_text(self.now) {
                sent.push(serde_json::from_str(&t).unwrap());
            }
            while let Some(a) = self.cp.poll_action() {
                match &a {
                    CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                        self.disk.insert(r.seq, r.clone());
                    }
                    CoreAction::OutboxRemove(seq) => {
                        self.disk.remove(seq);
                    }
                    CoreAction::OutboxLoad { after_seq, limit } => {
                        let records = self
                            .disk
                            .range(after_seq + 1..)
                            .take(*limit)
                            .map(|(_, r)| r.clone())
                            .collect();
                        self.cp.outbox_loaded(records);
                    }
                    _ => {}
                }
                if let CoreAction::ReadMeters {
                    connectors,
                    context,
                } = &a
                {
                    let readings = connectors
                        .iter()
                        .map(|c| MeterReading {
                            connector: *c,
                            transaction_id: self.running.get(c).copied(),
                            energy_wh: self.meter_wh,
                            voltage: 650.0,
                            current: 200.0,
                            offered_current: 250.0,
                            soc_percent: Some(50.0),
                            temperature_c: Some(30.0),
                            pin_temperature_c: None,
                            coolant_temperature_c: None,
                        })
                        .collect();
                    self.cp.on_meter_readings(readings, *context, self.now);
                }
                self.actions.push(a);
            }
            if self.now >= end {
                return sent;
            }
            self.now += Duration::from_millis(100);
        }
    }

    fn answer(&mut self, call: &Value, payload: Value) {
        let text = json!([3, call[1], payload]).to_string();
        self.cp.on_text(&text, self.now);
    }

    fn error(&mut self, call: &Value) {
        let text = json!([4, call[1], "InternalError", "nope", {}]).to_string();
        self.cp.on_text(&text, self.now);
    }

    fn call(&mut self, id: &str, action: &str, payload: Value) -> Vec<Value> {
        let text = json!([2, id, action, payload]).to_string();
        self.cp.on_text(&text, self.now);
        self.run(Duration::ZERO)
    }

    fn connect_and_accept(&mut self) -> Vec<Value> {
        self.cp.on_connected(csms_endpoint(), self.now);
        let sent = self.run(Duration::ZERO);
        let boot = &sent[0];
        assert_eq!(boot[2], "BootNotification");
        assert_eq!(boot[3]["chargePointVendor"], "chargerd");
        self.answer(
            boot,
            json!({"status": "Accepted", "currentTime": "2026-11-25T15:10:00Z", "interval": 300}),
        );
        self.run(Duration::ZERO)
    }

    fn event(&mut self, e: StationEvent) {
        match &e {
            StationEvent::TransactionStarted(t) => {
                self.running.insert(t.connector, t.transaction_id);
            }
            StationEvent::TransactionStopped(t) => {
                self.running.remove(&t.connector);
            }
            _ => {}
        }
        self.cp.on_station_event(&e, self.now);
    }
}

fn actions(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c[2].as_str().unwrap_or("?").to_string())
        .collect()
}

fn started(tx: i64, connector: u32, at: Timestamp) -> StationEvent {
    StationEvent::TransactionStarted(TransactionStart {
        transaction_id: tx,
        connector,
        id_tag: "FLEET-042".into(),
        meter_start_wh: 1000.0,
        at,
    })
}

fn stopped(tx: i64, connector: u32, at: Timestamp) -> StationEvent {
    StationEvent::TransactionStopped(TransactionStop {
        transaction_id: tx,
        connector,
        meter_stop_wh: 51_000.0,
        reason: StopReason::VehicleRequest,
        faults: Vec::new(),
        meter_gaps: Vec::new(),
        soc_percent: Some(80.0),
        at,
    })
}

#[test]
fn boot_pending_then_accepted_then_statuses_and_heartbeats() {
    let mut c = Csms::new();
    c.event(StationEvent::StatusChanged {
        connector: 1,
        status: ConnectorStatus::Available,
        info: None,
        fault: None,
        at: c.now,
    });
    c.cp.on_connected(csms_endpoint(), c.now);
    let sent = c.run(Duration::ZERO);
    assert_eq!(actions(&sent), ["BootNotification"]);
    c.answer(
        &sent[0],
        json!({"status": "Pending", "currentTime": "2026-11-25T15:10:00Z", "interval": 10}),
    );
    assert_eq!(c.cp.registration(), Registration::Pending);
    // Nothing but BootNotification while Pending; the next one after the interval.
    let sent = c.run(Duration::from_secs(9));
    assert!(sent.is_empty(), "{sent:?}");
    let sent = c.run(Duration::from_secs(2));
    assert_eq!(actions(&sent), ["BootNotification"]);
    c.answer(
        &sent[0],
        json!({"status": "Accepted", "currentTime": "2026-11-25T15:10:11Z", "interval": 60}),
    );
    let sent = c.run(Duration::ZERO);
    assert_eq!(actions(&sent), ["StatusNotification"]);
    let mut statuses = Vec::new();
    let mut next = sent;
    while let Some(s) = next.first().cloned() {
        statuses.push(s[3].clone());
        c.answer(&s, json!({}));
        next = c.run(Duration::ZERO);
    }
    assert_eq!(statuses.len(), 2, "connector 0 and connector 1");
    assert_eq!(statuses[0]["connectorId"], 0);
    assert_eq!(statuses[1]["connectorId"], 1);
    assert_eq!(statuses[1]["status"], "Available");
    // The CSMS's clock: 15:10:11 at the answer.
    assert!(statuses[1]["timestamp"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-25T15:10:0"));
    let sent = c.run(Duration::from_secs(61));
    assert_eq!(actions(&sent), ["Heartbeat"]);
}

#[test]
fn a_transaction_with_the_csms_down_is_replayed_in_order_with_its_csms_id() {
    let mut c = Csms::new();
    let t = c.now;
    c.event(started(7, 1, t));
    // Offline all along: the periodic samples (every 60 s) queue in the outbox.
    for _ in 1..=3 {
        c.meter_wh += 10_000.0;
        c.run(Duration::from_secs(60));
    }
    c.run(Duration::from_secs(30));
    c.event(stopped(7, 1, c.now));
    c.run(Duration::from_secs(1));
    let puts = c
        .actions
        .iter()
        .filter(|a| matches!(a, CoreAction::OutboxPut(_)))
        .count();
    assert_eq!(
        puts, 5,
        "every transaction message persisted before anything is sent"
    );
    assert_eq!(c.cp.outbox_len(), 5);

    let mut sent = c.connect_and_accept();
    // Status of connector 0 first, then the outbox in order.
    let mut order = Vec::new();
    while let Some(call) = sent.first().cloned() {
        order.push(call[2].as_str().unwrap().to_string());
        match call[2].as_str().unwrap() {
            "StartTransaction" => {
                assert_eq!(call[3]["meterStart"], 1000);
                c.answer(
                    &call,
                    json!({"transactionId": 4242, "idTagInfo": {"status": "Accepted"}}),
                );
            }
            "MeterValues" => {
                assert_eq!(call[3]["transactionId"], 4242, "patched with the CSMS's id");
                c.answer(&call, json!({}));
            }
            "StopTransaction" => {
                assert_eq!(call[3]["transactionId"], 4242);
                assert_eq!(call[3]["meterStop"], 51_000);
                assert_eq!(call[3]["reason"], "EVDisconnected");
                c.answer(&call, json!({}));
            }
            _ => c.answer(&call, json!({})),
        }
        sent = c.run(Duration::ZERO);
    }
    assert_eq!(
        order,
        [
            "StatusNotification",
            "StartTransaction",
            "MeterValues",
            "MeterValues",
            "MeterValues",
            "StopTransaction",
            // The CSMS's clock is 3 minutes behind ours: a security event, queued last.
            "SecurityEventNotification",
        ]
    );
    assert_eq!(c.cp.outbox_len(), 0);
    let removed = c
        .actions
        .iter()
        .filter(|a| matches!(a, CoreAction::OutboxRemove(_)))
        .count();
    assert_eq!(removed, 6);
    assert!(c.actions.contains(&CoreAction::TransactionIdAssigned {
        local: 7,
        csms: 4242
    }));
}

#[test]
fn a_periodic_sample_taken_after_the_session_ended_is_not_sent_bare() {
    let mut c = Csms::new();
    let answer_all = |c: &mut Csms, frames: Vec<Value>, sent: &mut Vec<Value>| {
        for f in frames.into_iter().filter(|f| f[0] == 2) {
            if f[2] == "StartTransaction" {
                c.answer(
                    &f,
                    json!({"transactionId": 4242, "idTagInfo": {"status": "Accepted"}}),
                );
            } else {
                c.answer(&f, json!({}));
            }
            sent.push(f);
        }
    };
    let mut sent = Vec::new();
    let frames = c.connect_and_accept();
    answer_all(&mut c, frames, &mut sent);
    let frames = c.call(
        "cfg",
        "ChangeConfiguration",
        json!({"key": "MeterValueSampleInterval", "value": "1"}),
    );
    answer_all(&mut c, frames, &mut sent);
    c.event(started(7, 1, c.now));
    for _ in 0..30 {
        let frames = c.run(Duration::from_millis(100));
        answer_all(&mut c, frames, &mut sent);
    }
    // The truck left: the station's session is over, its stop not yet reported to the core,
    // and the core's next periodic sample comes back without a transaction.
    c.running.remove(&1);
    for _ in 0..30 {
        let frames = c.run(Duration::from_millis(100));
        answer_all(&mut c, frames, &mut sent);
    }
    c.event(stopped(7, 1, c.now));
    for _ in 0..10 {
        let frames = c.run(Duration::from_millis(100));
        answer_all(&mut c, frames, &mut sent);
    }
    let meter_values: Vec<&Value> = sent.iter().filter(|f| f[2] == "MeterValues").collect();
    assert!(meter_values.len() >= 2, "samples while it ran: {sent:?}");
    for mv in &meter_values {
        assert_eq!(mv[3]["transactionId"], 4242, "{mv}");
    }
    assert_eq!(
        actions(&sent).last().map(String::as_str),
        Some("StopTransaction")
    );
}

#[test]
fn unanswered_messages_are_retried_forever_and_refused_ones_set_aside() {
    let mut c = Csms::new();
    // Answer the connector-0 status.
    let status = c.connect_and_accept();
    c.answer(&status[0], json!({}));
    // Only the three transaction messages in the outbox: no periodic samples.
    let reply = c.call(
        "cfg",
        "ChangeConfiguration",
        json!({"key": "MeterValueSampleInterval", "value": "0"}),
    );
    assert_eq!(reply[0][2]["status"], "Accepted");
    let t = c.now;
    c.event(started(1, 1, t));
    c.event(stopped(1, 1, t + Duration::from_secs(10)));
    c.event(started(2, 2, t + Duration::from_secs(20)));
    // Timeouts: the start of transaction 1 goes out again and again, never dropped.
    let mut attempts = 0;
    for _ in 0..6 {
        let sent = c.run(Duration::from_secs(400));
        attempts += sent
            .iter()
            .filter(|f| f[2] == "StartTransaction" && f[3]["connectorId"] == 1)
            .count();
    }
    assert!(attempts >= 4, "only {attempts} attempts");
    assert_eq!(c.cp.outbox_len(), 3);
    // Refusals: after TransactionMessageAttempts (3) CALLERRORs the start is set aside; its stop
    // cannot name the transaction and is set aside too; transaction 2 then goes through.
    let mut refusals = 0;
    let mut next_start_2 = None;
    for _ in 0..200 {
        let sent = c.run(Duration::from_secs(5));
        for f in sent {
            if f[2] == "StartTransaction" && f[3]["connectorId"] == 1 {
                refusals += 1;
                c.error(&f);
            } else if f[2] == "StartTransaction" && f[3]["connectorId"] == 2 {
                next_start_2 = Some(f);
            }
        }
        if next_start_2.is_some() {
            break;
        }
    }
    assert_eq!(refusals, 3);
    let start_2 = next_start_2.expect("transaction 2 never went out");
    c.answer(
        &start_2,
        json!({"transactionId": 9, "idTagInfo": {"status": "Accepted"}}),
    );
    c.run(Duration::ZERO);
    let refused: Vec<&OutboxRecord> = c.cp.refused().collect();
    assert_eq!(
        refused.len(),
        2,
        "start and stop of transaction 1 kept, not deleted"
    );
    assert!(refused.iter().all(|r| r.local_transaction_id == 1));
    assert_eq!(c.cp.outbox_len(), 2);
}

/// A registered charge point that has just sent the StartTransaction of transaction 3 on
/// connector 2 (returned, unanswered).
fn registered_with_a_started_transaction() -> (Csms, Value) {
    let mut c = Csms::new();
    let status = c.connect_and_accept();
    c.answer(&status[0], json!({}));
    c.event(started(3, 2, c.now));
    let sent = c.run(Duration::ZERO);
    let start = sent
        .iter()
        .find(|f| f[2] == "StartTransaction")
        .unwrap_or_else(|| panic!("no StartTransaction in {sent:?}"))
        .clone();
    (c, start)
}

#[test]
fn an_id_tag_the_csms_refuses_ends_the_transaction() {
    let (mut c, start) = registered_with_a_started_transaction();
    c.answer(
        &start,
        json!({"transactionId": 11, "idTagInfo": {"status": "Blocked"}}),
    );
    c.run(Duration::ZERO);
    assert!(c.actions.contains(&CoreAction::Station {
        command: StationCommand::Stop {
            connector: 2,
            reason: StopReason::DeAuthorized
        },
        reply: None
    }));
}

/// Issue 14: an answer that passes its schema but not its type (a transactionId beyond i64)
/// still means the CSMS has the message: it leaves the outbox and is not sent twice.
#[test]
fn an_answer_beyond_its_type_still_delivers_the_transaction_message() {
    let (mut c, start) = registered_with_a_started_transaction();
    let text = format!(
        r#"[3,{},{{"transactionId":9223372036854775808,"idTagInfo":{{"status":"Accepted"}}}}]"#,
        start[1]
    );
    c.cp.on_text(&text, c.now);
    let later = c.run(Duration::from_secs(120));
    assert!(
        !later.iter().any(|f| f[2] == "StartTransaction"),
        "sent again: {later:?}"
    );
    assert!(
        !c.disk.values().any(|r| r.action == "StartTransaction"),
        "still in the outbox: {:?}",
        c.disk
    );
}

#[test]
fn outbox_records_survive_a_restart() {
    let mut c = Csms::new();
    c.event(started(5, 1, c.now));
    c.run(Duration::ZERO);
    let records: Vec<OutboxRecord> = c
        .actions
        .iter()
        .filter_map(|a| match a {
            CoreAction::OutboxPut(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    // A new process: the shell hands the persisted records back.
    let mut d = Csms::new();
    let max = records.iter().map(|r| r.seq).max().unwrap_or(0);
    d.cp.restore_outbox(records, 0, max, Vec::new());
    let mut sent = d.connect_and_accept();
    let mut found = false;
    for _ in 0..5 {
        for f in &sent {
            if f[2] == "StartTransaction" {
                found = true;
            }
        }
        if found {
            break;
        }
        if let Some(f) = sent.first().cloned() {
            d.answer(&f, json!({}));
        }
        sent = d.run(Duration::ZERO);
    }
    assert!(found, "the restored StartTransaction was not sent");
}

#[test]
fn remote_start_and_stop_go_through_the_station() {
    let mut c = Csms::new();
    c.connect_and_accept();
    c.call(
        "rs-1",
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "FLEET-042"}),
    );
    let reply = c
        .actions
        .iter()
        .find_map(|a| match a {
            CoreAction::Station {
                command:
                    StationCommand::Start {
                        connector: 1,
                        id_tag,
                    },
                reply: Some(r),
            } => {
                assert_eq!(id_tag.as_deref(), Some("FLEET-042"));
                Some(r.clone())
            }
            _ => None,
        })
        .expect("no station command");
    c.cp.command_done(reply, true, false);
    let sent = c.run(Duration::ZERO);
    let answer = sent.iter().find(|f| f[1] == "rs-1").unwrap();
    assert_eq!(answer[0], 3);
    assert_eq!(answer[2]["status"], "Accepted");

    // Stop of a transaction the CSMS does not know here: Rejected at once.
    let sent = c.call(
        "st-1",
        "RemoteStopTransaction",
        json!({"transactionId": 999}),
    );
    let answer = sent.iter().find(|f| f[1] == "st-1").unwrap();
    assert_eq!(answer[2]["status"], "Rejected");
}

#[test]
fn configuration_is_read_and_changed_with_readonly_keys_refused() {
    let mut c = Csms::new();
    c.connect_and_accept();
    let sent = c.call(
        "g-1",
        "GetConfiguration",
        json!({"key": ["HeartbeatInterval", "NoSuchKey"]}),
    );
    let answer = sent.iter().find(|f| f[1] == "g-1").unwrap();
    assert_eq!(answer[2]["configurationKey"][0]["key"], "HeartbeatInterval");
    assert_eq!(answer[2]["configurationKey"][0]["value"], "300");
    assert_eq!(answer[2]["unknownKey"][0], "NoSuchKey");
    for (key, value, status) in [
        ("MeterValueSampleInterval", "15", "Accepted"),
        ("NumberOfConnectors", "5", "Rejected"),
        ("HeartbeatInterval", "soon", "Rejected"),
        ("Foo", "1", "NotSupported"),
    ] {
        let sent = c.call(
            "c-1",
            "ChangeConfiguration",
            json!({"key": key, "value": value}),
        );
        let answer = sent.iter().find(|f| f[1] == "c-1").unwrap();
        assert_eq!(answer[2]["status"], status, "{key}={value}");
    }
    assert_eq!(
        c.cp.keys().meter_value_sample_interval,
        Duration::from_secs(15)
    );
    assert!(c.actions.contains(&CoreAction::KeyChanged {
        key: "MeterValueSampleInterval".into(),
        value: "15".into()
    }));
}

#[test]
fn malformed_csms_calls_are_answered_and_change_nothing() {
    let mut c = Csms::new();
    c.connect_and_accept();
    let before = c.actions.len();
    let sent = c.call(
        "bad-1",
        "RemoteStartTransaction",
        json!({"connectorId": "one", "idTag": "X"}),
    );
    let answer = sent.iter().find(|f| f[1] == "bad-1").unwrap();
    assert_eq!(answer[0], 4);
    assert_eq!(answer[2], "TypeConstraintViolation");
    let sent = c.call("bad-2", "NoSuchAction", json!({}));
    let answer = sent.iter().find(|f| f[1] == "bad-2").unwrap();
    assert_eq!(answer[2], "NotImplemented");
    assert_eq!(
        c.actions.len(),
        before,
        "no station command from a bad call"
    );
}

#[test]
fn rfc3339_parsing() {
    assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339_ms("2026-11-25T15:09:33Z"), Some(T0_UNIX_MS));
    assert_eq!(
        parse_rfc3339_ms("2026-11-25T16:09:33.5+01:00"),
        Some(T0_UNIX_MS + 500)
    );
    assert_eq!(parse_rfc3339_ms("2026-11-25T15:09:33"), Some(T0_UNIX_MS));
    assert_eq!(parse_rfc3339_ms("yesterday"), None);
    assert_eq!(parse_rfc3339_ms("2026-13-25T15:09:33Z"), None);
}

#[test]
fn a_long_outage_spills_the_outbox_to_disk_and_replays_all_of_it_in_order() {
    let mut c = Csms::new();
    let reply = {
        c.cp.on_connected(csms_endpoint(), c.now);
        let boot = c.run(Duration::ZERO);
        c.answer(
            &boot[0],
            json!({"status": "Accepted", "currentTime": "2026-11-25T15:09:43Z", "interval": 300}),
        );
        let sent = c.run(Duration::ZERO);
        for s in &sent {
            c.answer(s, json!({}));
        }
        c.call(
            "cfg",
            "ChangeConfiguration",
            json!({"key": "MeterValueSampleInterval", "value": "1"}),
        )
    };
    assert_eq!(reply[0][2]["status"], "Accepted");
    c.cp.on_disconnected(c.now);
    // Offline: a transaction with a sample every second for 40 minutes.
    c.event(started(9, 1, c.now));
    for _ in 0..2400 {
        c.meter_wh += 50.0;
        c.run(Duration::from_secs(1));
    }
    c.event(stopped(9, 1, c.now));
    c.run(Duration::ZERO);
    let waiting = c.cp.outbox_len();
    assert!(waiting > 2400, "{waiting}");
    assert_eq!(c.disk.len(), waiting, "every message is on disk");
    // Back online: everything goes out, in order, while memory holds only the window.
    c.cp.on_connected(csms_endpoint(), c.now);
    let mut sent = c.run(Duration::ZERO);
    let mut delivered = 0;
    let mut last_energy = 0.0;
    let mut stopped_seen = false;
    while let Some(call) = sent.first().cloned() {
        match call[2].as_str().unwrap() {
            "BootNotification" => c.answer(
                &call,
                json!({"status": "Accepted", "currentTime": "2026-11-25T15:50:00Z", "interval": 300}),
            ),
            "StartTransaction" => {
                delivered += 1;
                c.answer(
                    &call,
                    json!({"transactionId": 9000, "idTagInfo": {"status": "Accepted"}}),
                )
            }
            "MeterValues" => {
                delivered += 1;
                assert_eq!(call[3]["transactionId"], 9000);
                let e: f64 = call[3]["meterValue"][0]["sampledValue"][0]["value"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(e > last_energy, "in order");
                last_energy = e;
                c.answer(&call, json!({}));
            }
            "StopTransaction" => {
                delivered += 1;
                stopped_seen = true;
                c.answer(&call, json!({}));
            }
            _ => {
                delivered += usize::from(call[2] == "SecurityEventNotification");
                c.answer(&call, json!({}))
            }
        }
        sent = c.run(Duration::ZERO);
    }
    assert!(stopped_seen);
    assert_eq!(delivered, waiting);
    assert_eq!(c.cp.outbox_len(), 0);
    assert!(c.disk.is_empty());
    assert!(
        c.max_in_memory <= chargerd::ocpp::chargepoint::OUTBOX_WINDOW,
        "{} records in memory",
        c.max_in_memory
    );
}

#[test]
fn no_remote_start_while_firmware_installs() {
    use chargerd::ocpp::chargepoint::{FileJob, FirmwarePolicy, JobProgress};
    let mut c = Csms::new();
    // A plain UpdateFirmware installs only where the operator allowed unsigned firmware.
    c.cp.set_firmware_policy(FirmwarePolicy {
        require_signed: false,
        running_version: "0.1.0".into(),
        downgrade_to: None,
    });
    let sent = c.connect_and_accept();
    for s in &sent {
        c.answer(s, json!({}));
    }
    let reply = c.call(
        "fw",
        "UpdateFirmware",
        json!({"location": "http://files.example/fw.img", "retrieveDate": "2020-01-01T00:00:00Z"}),
    );
    assert_eq!(reply[0][2], json!({}));
    let job = c
        .actions
        .iter()
        .find_map(|a| match a {
            CoreAction::Job(FileJob::DownloadFirmware { job, .. }) => Some(*job),
            _ => None,
        })
        .expect("a download job");
    c.cp.job_progress(job, JobProgress::Downloading, c.now);
    c.cp.job_progress(job, JobProgress::Downloaded, c.now);
    c.cp.job_progress(job, JobProgress::ImageVersion("0.2.0".into()), c.now);
    c.run(Duration::ZERO);
    assert!(c
        .actions
        .iter()
        .any(|a| matches!(a, CoreAction::Job(FileJob::InstallFirmware { .. }))));
    c.cp.job_progress(job, JobProgress::Installing, c.now);
    let started = |c: &Csms| {
        c.actions
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    CoreAction::Station {
                        command: StationCommand::Start { .. },
                        ..
                    }
                )
            })
            .count()
    };
    let reply = c.call(
        "rs1",
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "FLEET-042"}),
    );
    let answer = reply.iter().find(|f| f[1] == "rs1").unwrap();
    assert_eq!(answer[2]["status"], "Rejected");
    assert_eq!(started(&c), 0);
    let maintenance = |c: &Csms| -> Vec<bool> {
        c.actions
            .iter()
            .filter_map(|a| match a {
                CoreAction::Station {
                    command: StationCommand::SetMaintenance { blocked },
                    ..
                } => Some(*blocked),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        maintenance(&c),
        [true],
        "the station is locked for the install"
    );
    c.cp.job_progress(job, JobProgress::Installed, c.now);
    c.run(Duration::ZERO);
    assert_eq!(maintenance(&c), [true, false], "and unlocked after it");
    c.call(
        "rs2",
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "FLEET-042"}),
    );
    assert_eq!(started(&c), 1, "starts again once installed");
}

/// Issue 11 (5c): a TriggerMessage(Heartbeat) that arrives right after a reconnect, while the
/// BootNotification is still unanswered, is answered Accepted and the Heartbeat really goes out
/// once the boot is accepted (it used to be replaced by the periodic one, minutes later).
#[test]
fn a_heartbeat_triggered_before_the_boot_is_answered_is_sent_after_it() {
    let mut c = Csms::new();
    c.cp.on_connected(csms_endpoint(), c.now);
    let sent = c.run(Duration::ZERO);
    assert_eq!(actions(&sent), ["BootNotification"]);
    let boot = sent[0].clone();
    let answer = c.call(
        "trigger-1",
        "TriggerMessage",
        json!({"requestedMessage": "Heartbeat"}),
    );
    assert!(
        answer.is_empty() || !actions(&answer).contains(&"Heartbeat".to_string()),
        "nothing before the boot is accepted: {answer:?}"
    );
    c.answer(
        &boot,
        json!({"status": "Accepted", "currentTime": "2026-11-25T15:10:00Z", "interval": 300}),
    );
    let mut sent = c.run(Duration::ZERO);
    // Statuses go one at a time: answer them until the Heartbeat shows.
    for _ in 0..10 {
        if actions(&sent).contains(&"Heartbeat".to_string()) {
            return;
        }
        let Some(first) = sent.first().cloned() else {
            break;
        };
        c.answer(&first, json!({"currentTime": "2026-11-25T15:10:01Z"}));
        sent = c.run(Duration::from_secs(1));
    }
    panic!("the triggered Heartbeat never went out: {sent:?}");
}

// ----- issue 11 (5b): one registration per boot --------------------------------------------

/// Answer every CALL the charge point sends (`{}`; a BootNotification Accepted) until it goes
/// quiet; returns them all, in order.
fn answer_all(c: &mut Csms, mut sent: Vec<Value>) -> Vec<Value> {
    let mut all = Vec::new();
    for _ in 0..100 {
        let Some(call) = sent.first().cloned() else {
            return all;
        };
        let payload = match call[2].as_str() {
            Some("BootNotification") => {
                json!({"status": "Accepted", "currentTime": "2026-11-25T15:10:00Z", "interval": 300})
            }
            _ => json!({}),
        };
        c.answer(&call, payload);
        all.push(call);
        sent = c.run(Duration::ZERO);
    }
    panic!("the charge point never went quiet: {all:?}");
}

/// A charge point with connectors 1 and 2 Available, registered at [`csms_endpoint`], every
/// status sent.
fn registered() -> Csms {
    let mut c = Csms::new();
    for connector in [1, 2] {
        c.event(StationEvent::StatusChanged {
            connector,
            status: ConnectorStatus::Available,
            info: None,
            fault: None,
            at: c.now,
        });
    }
    c.cp.on_connected(csms_endpoint(), c.now);
    let sent = c.run(Duration::ZERO);
    let all = answer_all(&mut c, sent);
    assert_eq!(actions(&all)[0], "BootNotification");
    assert_eq!(c.cp.registration(), Registration::Accepted);
    c
}

fn connectors_of(calls: &[Value]) -> Vec<u64> {
    calls
        .iter()
        .filter(|c| c[2] == "StatusNotification")
        .map(|c| c[3]["connectorId"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_plain_reconnect_sends_statuses_again_but_no_boot_notification() {
    let mut c = registered();
    c.run(Duration::from_secs(30));
    c.cp.on_disconnected(c.now);
    c.run(Duration::from_secs(20));
    c.cp.on_connected(csms_endpoint(), c.now);
    let sent = c.run(Duration::ZERO);
    let all = answer_all(&mut c, sent);
    assert!(
        !actions(&all).contains(&"BootNotification".to_string()),
        "{all:?}"
    );
    assert_eq!(connectors_of(&all), [0, 1, 2], "{all:?}");
    assert_eq!(c.cp.registration(), Registration::Accepted);
    // Heartbeats go on at the interval the boot gave (300 s).
    let later = c.run(Duration::from_secs(301));
    assert_eq!(actions(&later), ["Heartbeat"]);
}

#[test]
fn a_status_that_changed_while_offline_is_sent_after_the_reconnect() {
    let mut c = registered();
    c.cp.on_disconnected(c.now);
    c.event(StationEvent::StatusChanged {
        connector: 2,
        status: ConnectorStatus::Faulted,
        info: Some("emergency stop pressed".into()),
        fault: Some(chargerd::station::Fault::new(
            chargerd::station::FaultKind::EmergencyStop,
        )),
        at: c.now,
    });
    c.run(Duration::from_secs(5));
    c.cp.on_connected(csms_endpoint(), c.now);
    let sent = c.run(Duration::ZERO);
    let all = answer_all(&mut c, sent);
    assert_eq!(connectors_of(&all), [0, 1, 2]);
    let faulted = all.iter().find(|s| s[3]["connectorId"] == 2).unwrap();
    assert_eq!(faulted[3]["status"], "Faulted");
    assert_eq!(faulted[3]["errorCode"], "OtherError");
    assert_eq!(faulted[3]["vendorErrorCode"], "CD-EMS-01");
}

#[test]
fn a_boot_not_yet_accepted_is_sent_again_after_a_reconnect() {
    // Never answered: the link dropped with the boot in flight.
    let mut c = Csms::new();
    c.cp.on_connected(csms_endpoint(), c.now);
    assert_eq!(actions(&c.run(Duration::ZERO)), ["BootNotification"]);
    c.cp.on_disconnected(c.now);
    c.run(Duration::from_secs(5));
    c.cp.on_connected(csms_endpoint(), c.now);
    assert_eq!(actions(&c.run(Duration::ZERO)), ["BootNotification"]);
    // Pending, then Rejected: each reconnect registers again at once.
    for status in ["Pending", "Rejected"] {
        let mut c = Csms::new();
        c.cp.on_connected(csms_endpoint(), c.now);
        let sent = c.run(Duration::ZERO);
        c.answer(
            &sent[0],
            json!({"status": status, "currentTime": "2026-11-25T15:10:00Z", "interval": 600}),
        );
        c.run(Duration::from_secs(5));
        c.cp.on_disconnected(c.now);
        c.run(Duration::from_secs(5));
        c.cp.on_connected(csms_endpoint(), c.now);
        assert_eq!(
            actions(&c.run(Duration::ZERO)),
            ["BootNotification"],
            "after {status}"
        );
    }
}

#[test]
fn another_endpoint_is_registered_with_again() {
    use chargerd::ocpp::chargepoint::Endpoint;
    let other_url = Endpoint {
        url: "ws://fallback.test/ocpp/CP-TEST".into(),
        ..csms_endpoint()
    };
    let raised_profile = Endpoint {
        security_profile: 2,
        ..csms_endpoint()
    };
    for endpoint in [other_url, raised_profile] {
        let mut c = registered();
        c.cp.on_disconnected(c.now);
        c.cp.on_connected(endpoint.clone(), c.now);
        let sent = c.run(Duration::ZERO);
        assert_eq!(actions(&sent), ["BootNotification"], "{endpoint:?}");
        let all = answer_all(&mut c, sent);
        assert_eq!(connectors_of(&all), [0, 1, 2]);
        // And a plain reconnect to that endpoint then needs none.
        c.cp.on_disconnected(c.now);
        c.cp.on_connected(endpoint.clone(), c.now);
        let all = {
            let sent = c.run(Duration::ZERO);
            answer_all(&mut c, sent)
        };
        assert!(!actions(&all).contains(&"BootNotification".to_string()));
    }
}

#[test]
fn a_triggered_boot_notification_is_sent_while_registered() {
    let mut c = registered();
    let answer = c.call(
        "trigger-boot",
        "TriggerMessage",
        json!({"requestedMessage": "BootNotification"}),
    );
    assert_eq!(answer[0][2]["status"], "Accepted");
    assert!(
        answer.iter().any(|f| f[2] == "BootNotification"),
        "{answer:?}"
    );
}

/// A ChargePointMaxProfile used to be divided evenly among running transactions (75 A each of
/// 150 A for two, nothing passed on when one took less). It now goes to the station whole, as
/// the budget its allocator shares, and the connectors' own limits carry only their own
/// profiles.
#[test]
fn a_charge_point_max_profile_is_one_station_budget_not_an_equal_split() {
    let mut c = Csms::new();
    c.connect_and_accept();
    let t = c.now;
    c.event(started(1, 1, t));
    c.event(started(2, 2, t));
    c.run(Duration::from_secs(1));
    c.actions.clear();
    let sent = c.call(
        "cp-max",
        "SetChargingProfile",
        json!({"connectorId": 0, "csChargingProfiles": {
            "chargingProfileId": 9, "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": "2026-11-25T15:00:00Z",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 150}]}}}),
    );
    let answer = sent.iter().find(|f| f[1] == "cp-max").unwrap();
    assert_eq!(answer[2]["status"], "Accepted");
    c.run(Duration::from_secs(1));
    let station: Vec<_> = c
        .actions
        .iter()
        .filter_map(|a| match a {
            CoreAction::Station {
                command: StationCommand::SetStationLimit { amps, watts, .. },
                ..
            } => Some((*amps, *watts)),
            _ => None,
        })
        .collect();
    assert_eq!(station, vec![(Some(150.0), None)]);
    let per_connector: Vec<_> = c
        .actions
        .iter()
        .filter_map(|a| match a {
            CoreAction::Station {
                command:
                    StationCommand::SetChargingLimit {
                        connector, amps, ..
                    },
                ..
            } => Some((*connector, *amps)),
            _ => None,
        })
        .collect();
    assert!(
        per_connector.iter().all(|(_, a)| a.is_none()),
        "no share decided by the OCPP core: {per_connector:?}"
    );
}

/// Issue 13: thermal derating is told to the CSMS as the station reports it — a
/// StatusNotification `Charging` with info "thermal derating" when the thermal limit starts to
/// hold the current back, and one without the info when it lets go (the station's events, as
/// `tests/thermal_station.rs` sees them raised once each).
#[test]
fn thermal_derating_reaches_the_csms_as_status_notification_info() {
    let mut c = registered();
    let status = |c: &mut Csms, info: Option<&str>| {
        c.event(StationEvent::StatusChanged {
            connector: 1,
            status: ConnectorStatus::Charging,
            info: info.map(str::to_string),
            fault: None,
            at: c.now,
        });
        let sent = c.run(Duration::from_secs(1));
        let all = answer_all(c, sent);
        all.into_iter()
            .find(|s| s[2] == "StatusNotification" && s[3]["connectorId"] == 1)
            .unwrap_or_else(|| panic!("no StatusNotification"))
    };
    let plain = status(&mut c, None);
    assert_eq!(plain[3]["status"], "Charging");
    let derating = status(&mut c, Some("thermal derating"));
    assert_eq!(derating[3]["status"], "Charging", "{derating}");
    assert_eq!(derating[3]["info"], "thermal derating", "{derating}");
    assert_eq!(derating[3]["errorCode"], "NoError", "{derating}");
    let ended = status(&mut c, None);
    assert_eq!(ended[3]["status"], "Charging");
    assert!(ended[3].get("info").is_none(), "{ended}");
}
