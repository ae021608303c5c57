//! The 2.0.1 core in simulated time: frames in, frames and actions out, no socket, no clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_protocol::ocpp::RpcConfig;
use charger_protocol::{StopReason, Timestamp};
use serde_json::{json, Value};

use super::device_model::Facts;
use super::ChargingStation;
use crate::ocpp::chargepoint::{CoreAction, Endpoint, Identity, OutboxRecord};
use crate::station::{ConnectorStatus, StationEvent, TransactionStart, TransactionStop};

const JAN_2027: i64 = 1_798_761_600_000;

fn station() -> ChargingStation {
    ChargingStation::new(
        Identity {
            vendor: "chargerd".into(),
            model: "chargerd".into(),
            serial_number: Some("CP1".into()),
            firmware_version: "1".into(),
        },
        Facts {
            vendor: "chargerd".into(),
            model: "chargerd".into(),
            firmware_version: "1".into(),
            identity: "CP1".into(),
            security_profile: 0,
            message_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(30),
            evses: 2,
        },
        RpcConfig::default(),
        JAN_2027,
        Timestamp::ZERO,
    )
}

fn at(s: u64) -> Timestamp {
    Timestamp::from_millis(s * 1000)
}

fn endpoint() -> Endpoint {
    Endpoint {
        url: "ws://csms/CP1".into(),
        security_profile: 0,
    }
}

/// Every frame the station sends now, parsed.
fn sent(s: &mut ChargingStation, now: Timestamp) -> Vec<Value> {
    s.update(now);
    std::iter::from_fn(|| s.poll_text(now))
        .map(|t| serde_json::from_str(&t).unwrap())
        .collect()
}

fn actions(s: &mut ChargingStation) -> Vec<CoreAction> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

/// Answer the CALL `frame` with `payload`.
fn answer(s: &mut ChargingStation, frame: &Value, payload: Value, now: Timestamp) {
    s.on_text(&json!([3, frame[1], payload]).to_string(), now);
}

/// Connect and get accepted with this heartbeat interval.
fn registered(s: &mut ChargingStation, interval: i64, now: Timestamp) {
    s.on_connected(endpoint(), now);
    let boot = sent(s, now);
    assert_eq!(boot[0][2], "BootNotification");
    answer(
        s,
        &boot[0],
        json!({"currentTime": "2027-01-01T00:00:00Z", "interval": interval, "status": "Accepted"}),
        now,
    );
}

fn start(tx: i64, connector: u32, s_at: Timestamp) -> StationEvent {
    StationEvent::TransactionStarted(TransactionStart {
        transaction_id: tx,
        connector,
        id_tag: "TAG".into(),
        meter_start_wh: 1000.0,
        at: s_at,
    })
}

fn stop(tx: i64, connector: u32, reason: StopReason, s_at: Timestamp) -> StationEvent {
    StationEvent::TransactionStopped(TransactionStop {
        transaction_id: tx,
        connector,
        meter_stop_wh: 5000.0,
        reason,
        faults: Vec::new(),
        meter_gaps: Vec::new(),
        soc_percent: Some(80.0),
        at: s_at,
    })
}

fn outbox_puts(actions: &[CoreAction]) -> Vec<OutboxRecord> {
    actions
        .iter()
        .filter_map(|a| match a {
            CoreAction::OutboxPut(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_hostile_boot_interval_is_held_to_the_heartbeat_range() {
    let mut s = station();
    registered(&mut s, 2_305_843_009_213_693_952, at(0));
    assert_eq!(
        s.model().settings.heartbeat_interval,
        Duration::from_secs(86_400)
    );
    // Statuses follow the acceptance; nothing panics on the way.
    s.on_station_event(
        &StationEvent::StatusChanged {
            connector: 1,
            status: ConnectorStatus::Available,
            info: None,
            fault: None,
            at: at(0),
        },
        at(0),
    );
    let frames = sent(&mut s, at(1));
    assert!(frames
        .iter()
        .any(|f| f[2] == "StatusNotification" && f[3]["evseId"] == 1));
}

#[test]
fn an_offline_transaction_queues_in_sequence_and_goes_out_one_at_a_time_in_order() {
    let mut s = station();
    s.on_station_event(&start(7, 1, at(1)), at(1));
    s.on_meter_readings(
        vec![crate::ocpp::meter::MeterReading {
            connector: 1,
            transaction_id: Some(7),
            energy_wh: 2000.0,
            voltage: 700.0,
            current: 300.0,
            offered_current: 400.0,
            soc_percent: Some(30.0),
            temperature_c: None,
            pin_temperature_c: Some(60.0),
            coolant_temperature_c: Some(35.0),
        }],
        crate::ocpp::meter::ReadingContext::Periodic,
        at(2),
    );
    s.on_station_event(&stop(7, 1, StopReason::Local, at(3)), at(3));
    let records = outbox_puts(&actions(&mut s));
    let seq: Vec<i64> = records
        .iter()
        .map(|r| r.payload["seqNo"].as_i64().unwrap())
        .collect();
    assert_eq!(seq, vec![0, 1, 2]);
    assert!(records.iter().all(|r| r.payload["offline"] == true));
    assert_eq!(
        records[2].payload["transactionInfo"]["stoppedReason"],
        "Local"
    );
    assert_eq!(records[2].payload["triggerReason"], "StopAuthorized");
    // Online: boot first, then the records one at a time, the next only after an answer.
    registered(&mut s, 300, at(10));
    let frames = sent(&mut s, at(10));
    let events: Vec<&Value> = frames
        .iter()
        .filter(|f| f[2] == "TransactionEvent")
        .collect();
    assert_eq!(events.len(), 1, "one at a time");
    assert_eq!(events[0][3]["seqNo"], 0);
    answer(&mut s, events[0], json!({}), at(10));
    let next: Vec<Value> = sent(&mut s, at(10))
        .into_iter()
        .filter(|f| f[2] == "TransactionEvent")
        .collect();
    assert_eq!(next[0][3]["seqNo"], 1);
    // The answered record leaves the journal.
    assert!(actions(&mut s)
        .iter()
        .any(|a| matches!(a, CoreAction::OutboxRemove(_))));
}

#[test]
fn a_transaction_left_open_ends_after_a_restart_with_the_next_seq_no() {
    let mut s = station();
    s.on_station_event(&start(9, 2, at(1)), at(1));
    s.on_station_event(
        &StationEvent::StatusChanged {
            connector: 2,
            status: ConnectorStatus::Charging,
            info: None,
            fault: None,
            at: at(2),
        },
        at(2),
    );
    // What the journal kept: the last saved transactions.
    let saved = actions(&mut s)
        .into_iter()
        .filter_map(|a| match a {
            CoreAction::SaveState {
                name: "v201_transactions",
                value,
            } => Some(value),
            _ => None,
        })
        .next_back()
        .unwrap();
    // kill -9; the next run restores it and the journal closes it with PowerLoss.
    let mut again = station();
    again.restore_state("v201_transactions", &saved);
    assert!(again.owns_transaction(9));
    again.on_station_event(&stop(9, 2, StopReason::PowerLoss, at(0)), at(0));
    let ended = outbox_puts(&actions(&mut again));
    assert_eq!(ended.len(), 1);
    assert_eq!(
        ended[0].payload["seqNo"], 2,
        "Started 0, ChargingStateChanged 1"
    );
    assert_eq!(ended[0].payload["eventType"], "Ended");
    assert_eq!(
        ended[0].payload["transactionInfo"]["stoppedReason"],
        "PowerLoss"
    );
    assert_eq!(ended[0].payload["transactionInfo"]["transactionId"], "9");
}

#[test]
fn a_refused_event_is_retried_then_kept_aside_never_dropped() {
    let mut s = station();
    registered(&mut s, 86_400, at(0));
    s.on_station_event(&start(3, 1, at(1)), at(1));
    let mut now = at(1);
    for attempt in 1..=5u64 {
        let frames = sent(&mut s, now);
        let event = frames
            .iter()
            .find(|f| f[2] == "TransactionEvent")
            .unwrap_or_else(|| panic!("attempt {attempt}: {frames:?}"));
        s.on_text(
            &json!([4, event[1], "InternalError", "no", {}]).to_string(),
            now,
        );
        // MessageAttemptInterval × attempt, 30 s by default.
        now += Duration::from_secs(30 * attempt);
    }
    let all = actions(&mut s);
    let kept = all
        .iter()
        .filter(|a| matches!(a, CoreAction::OutboxRefused(_)))
        .count();
    assert_eq!(kept, 1, "after MessageAttempts (5) refusals");
    assert_eq!(s.refused_count(), 1);
    assert!(!all.iter().any(|a| matches!(a, CoreAction::OutboxRemove(_))));
    // Nothing more goes out for it.
    assert!(!sent(&mut s, now + Duration::from_secs(3600))
        .iter()
        .any(|f| f[2] == "TransactionEvent"));
}

#[test]
fn only_the_core_of_the_version_spoken_sets_the_station_limits() {
    let mut s = station();
    registered(&mut s, 86_400, at(0));
    let profile = json!([2, "p1", "SetChargingProfile", {"evseId": 0, "chargingProfile": {
        "id": 1, "stackLevel": 0, "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 40.0}]}]}}]);
    s.on_text(&profile.to_string(), at(1));
    let answer = sent(&mut s, at(1));
    assert!(
        answer
            .iter()
            .any(|f| f[0] == 3 && f[2]["status"] == "Accepted"),
        "{answer:?}"
    );
    let limits = |a: &[CoreAction]| {
        a.iter()
            .filter(|x| {
                matches!(
                    x,
                    CoreAction::Station {
                        command: crate::station::StationCommand::SetStationLimit { .. },
                        ..
                    }
                )
            })
            .count()
    };
    // 1.6 is spoken: the profile is kept (and persisted), the station's limit is not touched.
    assert_eq!(limits(&actions(&mut s)), 0);
    s.set_speaking(true, at(2));
    s.update(at(2));
    assert_eq!(limits(&actions(&mut s)), 1, "applied once 2.0.1 is spoken");
}
