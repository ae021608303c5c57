//! chargerd end to end against a real, schema-validating OCPP 2.0.1 central system: the
//! Python `ocpp` library's 2.0.1 side in `tests/ocpp/csms.py --versions ...`.
//!
//! As in tests/ocpp_csms.rs, every CALL the charger sends and every answer it gives is
//! validated against the official 2.0.1 schemas, and the CSMS flags what no schema expresses:
//! a message before the registration is accepted, a TransactionEvent out of sequence (seqNo
//! from 0, one step at a time, per transaction), anything after Ended, a NotifyReport out of
//! sequence, a CALLERROR code 2.0.1 does not define. Each test ends by asserting there were
//! none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod e2e;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use e2e::*;
use serde_json::{json, Value};

/// The `[ocpp]` section of the tests, speaking `version`.
fn section(url: &str, version: &str) -> String {
    Chargerd::ocpp_section(url).replace("version = \"1.6\"", &format!("version = \"{version}\""))
}

/// Registered (the `nth` Accepted) and the status of EVSEs 1 and 2 sent after it.
fn registered_201(recs: &[Value], nth: usize) -> Option<usize> {
    let at = accepted_at(recs, nth)?;
    let seen: BTreeSet<u64> = calls(recs, "StatusNotification")
        .into_iter()
        .filter(|(i, _)| *i > at)
        .filter_map(|(_, r)| r["payload"]["evseId"].as_u64())
        .collect();
    (seen == BTreeSet::from([1, 2])).then_some(at)
}

/// The TransactionEvents of transaction `tx`, in the order the CSMS got them (payloads).
fn events_of(recs: &[Value], tx: &str) -> Vec<Value> {
    calls(recs, "TransactionEvent")
        .into_iter()
        .filter(|(_, r)| r["payload"]["transactionInfo"]["transactionId"] == tx)
        .map(|(_, r)| r["payload"].clone())
        .collect()
}

/// The transaction id of the first Started event.
fn started(recs: &[Value]) -> Option<String> {
    calls(recs, "TransactionEvent")
        .into_iter()
        .find(|(_, r)| r["payload"]["eventType"] == "Started")
        .and_then(|(_, r)| {
            r["payload"]["transactionInfo"]["transactionId"]
                .as_str()
                .map(String::from)
        })
}

fn setup_201(dir: &Path, csms_args: &[&str], version: &str) -> (Csms, Chargerd) {
    let mut args = vec!["--versions", "ocpp2.0.1"];
    args.extend_from_slice(csms_args);
    let mut csms = Csms::start(dir, &args);
    let section = section(&csms.url(), version);
    let d = Chargerd::start_with(dir, &mut csms, &section);
    csms.wait(Duration::from_secs(20), "registration", |r| {
        registered_201(r, 0)
    });
    (csms, d)
}

fn set_variable(csms: &mut Csms, component: &str, variable: &str, value: &str) {
    let answer = csms.call(
        "SetVariables",
        json!({"setVariableData": [{
            "component": {"name": component},
            "variable": {"name": variable},
            "attributeValue": value
        }]}),
    );
    assert_eq!(
        answer["setVariableResult"][0]["attributeStatus"], "Accepted",
        "{answer}"
    );
}

// ----- the tests --------------------------------------------------------------------------------

#[test]
fn boot_pending_then_accepted_with_a_day_long_heartbeat_interval_and_every_evse_reports() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(
        dir.path(),
        &[
            "--boot",
            "Pending,Accepted",
            "--pending-interval",
            "1",
            "--heartbeat-interval",
            "86400",
        ],
        "2.0.1",
    );
    let recs = csms.records();
    let connected = recs.iter().find(|r| r["kind"] == "connected").unwrap();
    assert_eq!(connected["subprotocol"], "ocpp2.0.1");
    let boots = calls(&recs, "BootNotification");
    assert_eq!(boots.len(), 2, "Pending, then Accepted");
    assert_eq!(boots[0].1["payload"]["reason"], "PowerUp");
    assert!(boots[0].1["payload"]["chargingStation"]["vendorName"].is_string());
    for (_, s) in calls(&recs, "StatusNotification") {
        assert_eq!(s["payload"]["connectorStatus"], "Available", "{s}");
        assert_eq!(s["payload"]["connectorId"], 1, "{s}");
    }
    // The interval of the Accepted answer, all of it (rust-ocpp's u16 would fail here).
    let answer = csms.call(
        "GetVariables",
        json!({"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "AvailabilityState"}},
            {"component": {"name": "Nope"}, "variable": {"name": "X"}},
            {"component": {"name": "TxCtrlr"}, "variable": {"name": "Nope"}}
        ]}),
    );
    let results = answer["getVariableResult"].as_array().unwrap();
    assert_eq!(results[0]["attributeValue"], "86400", "{answer}");
    assert_eq!(results[1]["attributeValue"], "Available", "{answer}");
    assert_eq!(results[2]["attributeStatus"], "UnknownComponent");
    assert_eq!(results[3]["attributeStatus"], "UnknownVariable");
    // A value out of range is refused; a read-only variable too.
    let answer = csms.call(
        "SetVariables",
        json!({"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "attributeValue": "2305843009213693952"},
            {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStartPoint"},
             "attributeValue": "Authorized"}
        ]}),
    );
    assert_eq!(
        answer["setVariableResult"][0]["attributeStatus"],
        "Rejected"
    );
    assert_eq!(
        answer["setVariableResult"][1]["attributeStatus"],
        "Rejected"
    );
    // chargerctl shows the version and the variables.
    let ocpp: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
    assert_eq!(ocpp["version"], "ocpp2.0.1", "{ocpp}");
    let config = d.ctl_ok(&["config", "get"]);
    assert!(
        config.contains("OCPPCommCtrlr/HeartbeatInterval"),
        "{config}"
    );
    d.ctl_ok(&["config", "set", "SampledDataCtrlr/TxUpdatedInterval", "5"]);
    let answer = csms.call(
        "GetVariables",
        json!({"getVariableData": [
            {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}}
        ]}),
    );
    assert_eq!(answer["getVariableResult"][0]["attributeValue"], "5");
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn get_base_report_full_inventory_arrives_as_a_paged_notify_report() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    let answer = csms.call(
        "GetBaseReport",
        json!({"requestId": 42, "reportBase": "FullInventory"}),
    );
    assert_eq!(answer["status"], "Accepted");
    let done = csms.wait(Duration::from_secs(20), "the whole report", |r| {
        r.iter()
            .find(|x| x["kind"] == "report_done" && x["requestId"] == 42)
            .cloned()
    });
    assert!(done["parts"].as_u64().unwrap() >= 2, "{done}");
    let recs = csms.records();
    let items: Vec<&Value> = calls(&recs, "NotifyReport")
        .into_iter()
        .flat_map(|(_, r)| r["payload"]["reportData"].as_array().unwrap())
        .collect();
    assert_eq!(items.len() as u64, done["items"].as_u64().unwrap());
    let has = |component: &str, variable: &str| {
        items
            .iter()
            .any(|i| i["component"]["name"] == component && i["variable"]["name"] == variable)
    };
    for (c, v) in [
        ("ChargingStation", "AvailabilityState"),
        ("EVSE", "Power"),
        ("Connector", "AvailabilityState"),
        ("OCPPCommCtrlr", "HeartbeatInterval"),
        ("TxCtrlr", "TxStartPoint"),
        ("SampledDataCtrlr", "TxUpdatedInterval"),
        ("AuthCtrlr", "AuthorizeRemoteStart"),
        ("SecurityCtrlr", "SecurityProfile"),
        ("ConnectorThermalCtrlr", "PinTemperature"),
    ] {
        assert!(has(c, v), "{c}.{v} missing from the report");
    }
    // A criterion the station does not evaluate is said, not ignored.
    let answer = csms.call(
        "GetReport",
        json!({"requestId": 43, "componentCriteria": ["Problem"]}),
    );
    assert_eq!(answer["status"], "NotSupported");
    let answer = csms.call(
        "GetReport",
        json!({"requestId": 44, "componentVariable": [{"component": {"name": "AuthCtrlr"}}]}),
    );
    assert_eq!(answer["status"], "Accepted");
    csms.wait(Duration::from_secs(10), "the AuthCtrlr report", |r| {
        r.iter()
            .find(|x| x["kind"] == "report_done" && x["requestId"] == 44)
            .cloned()
    });
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn a_remote_start_charges_a_truck_with_transaction_events_in_sequence_until_a_remote_stop() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    set_variable(&mut csms, "SampledDataCtrlr", "TxUpdatedInterval", "1");
    d.plug("1", "20", "80", "350");
    let answer = csms.call(
        "RequestStartTransaction",
        json!({"evseId": 1, "remoteStartId": 7,
               "idToken": {"idToken": "TRUCK-7", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let tx = csms.wait(Duration::from_secs(20), "Started", started);
    d.wait_connector(1, Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    // Periodic samples while energy flows (two with energy on the register).
    csms.wait(Duration::from_secs(20), "periodic meter values", |r| {
        let n = events_of(r, &tx)
            .iter()
            .filter(|e| e["triggerReason"] == "MeterValuePeriodic")
            .filter(|e| {
                e["meterValue"][0]["sampledValue"]
                    .as_array()
                    .is_some_and(|v| {
                        v.iter().any(|s| {
                            s["measurand"] == "Energy.Active.Import.Register"
                                && s["value"].as_f64().unwrap_or(0.0) > 0.0
                        })
                    })
            })
            .count();
        (n >= 2).then_some(())
    });
    let status = csms.call("GetTransactionStatus", json!({"transactionId": tx}));
    assert_eq!(status["ongoingIndicator"], true, "{status}");
    let answer = csms.call("RequestStopTransaction", json!({"transactionId": tx}));
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let ended = csms.wait(Duration::from_secs(30), "Ended", |r| {
        events_of(r, &tx)
            .into_iter()
            .find(|e| e["eventType"] == "Ended")
    });
    assert_eq!(ended["triggerReason"], "RemoteStop", "{ended}");
    assert_eq!(
        ended["transactionInfo"]["stoppedReason"], "Remote",
        "{ended}"
    );

    let recs = csms.records();
    let events = events_of(&recs, &tx);
    let first = &events[0];
    assert_eq!(first["eventType"], "Started");
    assert_eq!(first["triggerReason"], "RemoteStart");
    assert_eq!(first["transactionInfo"]["remoteStartId"], 7);
    assert_eq!(first["idToken"]["idToken"], "TRUCK-7");
    assert_eq!(first["evse"]["id"], 1);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e["seqNo"], n as u64, "seqNo of event {n}: {e}");
        assert!(e.get("offline").is_none(), "online events: {e}");
    }
    // Energy climbs across the periodic samples, and the truck's state of charge is there.
    let energy: Vec<f64> = events
        .iter()
        .flat_map(|e| e["meterValue"].as_array().cloned().unwrap_or_default())
        .flat_map(|mv| mv["sampledValue"].as_array().cloned().unwrap())
        .filter(|s| s["measurand"] == "Energy.Active.Import.Register")
        .map(|s| s["value"].as_f64().unwrap())
        .collect();
    assert!(energy.windows(2).all(|w| w[1] >= w[0]), "{energy:?}");
    assert!(
        energy.last().unwrap() > energy.first().unwrap(),
        "{energy:?}"
    );
    assert!(events
        .iter()
        .any(|e| e["transactionInfo"]["chargingState"] == "Charging"));
    // Occupied while the truck was there.
    assert!(calls(&recs, "StatusNotification")
        .iter()
        .any(|(_, s)| s["payload"]["connectorStatus"] == "Occupied"));
    csms.assert_clean();
    assert!(d.terminate().success());
}

/// A one-period 2.0.1 profile.
fn profile_201(id: i64, purpose: &str, kind: &str, limit_a: f64, tx: Option<&str>) -> Value {
    let mut p = json!({
        "id": id,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": [{
            "id": id,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit_a}]
        }]
    });
    if let Some(tx) = tx {
        p["transactionId"] = json!(tx);
    }
    p
}

fn current(c: &Value) -> f64 {
    c["current"].as_f64().unwrap()
}

#[test]
fn charging_profiles_change_the_current_the_truck_really_gets() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    // Refused: a TxProfile without a transaction, a station profile on an EVSE, the external
    // constraints that are not the CSMS's to set.
    for (evse, p) in [
        (1, profile_201(1, "TxProfile", "Relative", 100.0, None)),
        (
            1,
            profile_201(2, "ChargingStationMaxProfile", "Absolute", 120.0, None),
        ),
        (
            0,
            profile_201(
                3,
                "ChargingStationExternalConstraints",
                "Absolute",
                120.0,
                None,
            ),
        ),
    ] {
        let answer = csms.call(
            "SetChargingProfile",
            json!({"evseId": evse, "chargingProfile": p}),
        );
        assert_eq!(answer["status"], "Rejected", "{answer}");
    }
    // A remote start whose TxProfile holds the truck to 120 A from its first ampere.
    d.plug("1", "20", "80", "350");
    let answer = csms.call(
        "RequestStartTransaction",
        json!({"evseId": 1, "remoteStartId": 1,
               "idToken": {"idToken": "SMART-1", "type": "Central"},
               "chargingProfile": profile_201(10, "TxProfile", "Relative", 120.0, None)}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let tx = csms.wait(Duration::from_secs(20), "Started", started);
    d.wait_connector(
        1,
        Duration::from_secs(30),
        "120 A from the start's profile",
        |c| c["status"] == "Charging" && current(c) > 100.0 && current(c) <= 122.0,
    );
    // A TxProfile of 60 A on the transaction replaces it (same stack level and purpose).
    let answer = csms.call(
        "SetChargingProfile",
        json!({"evseId": 1,
               "chargingProfile": profile_201(11, "TxProfile", "Relative", 60.0, Some(&tx))}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    d.wait_connector(1, Duration::from_secs(30), "60 A", |c| {
        current(c) > 50.0 && current(c) <= 62.0
    });
    let composite = csms.call(
        "GetCompositeSchedule",
        json!({"evseId": 1, "duration": 600, "chargingRateUnit": "A"}),
    );
    assert_eq!(composite["status"], "Accepted", "{composite}");
    assert_eq!(
        composite["schedule"]["chargingSchedulePeriod"][0]["limit"], 60.0,
        "{composite}"
    );
    let answer = csms.call(
        "GetChargingProfiles",
        json!({"requestId": 5, "chargingProfile": {"chargingProfilePurpose": "TxProfile"}}),
    );
    assert_eq!(answer["status"], "Accepted");
    let report = csms.wait(Duration::from_secs(10), "ReportChargingProfiles", |r| {
        calls(r, "ReportChargingProfiles")
            .first()
            .map(|(_, x)| x["payload"].clone())
    });
    assert_eq!(report["requestId"], 5);
    assert_eq!(report["chargingProfile"][0]["id"], 11, "{report}");
    assert_eq!(report["chargingProfile"][0]["transactionId"], tx.as_str());
    // A station-wide budget of 40 A binds tighter; clearing both gives the truck its rating.
    let answer = csms.call(
        "SetChargingProfile",
        json!({"evseId": 0,
               "chargingProfile": profile_201(12, "ChargingStationMaxProfile", "Absolute", 40.0, None)}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    d.wait_connector(1, Duration::from_secs(30), "40 A", |c| {
        current(c) > 30.0 && current(c) <= 42.0
    });
    for id in [11, 12] {
        let answer = csms.call("ClearChargingProfile", json!({"chargingProfileId": id}));
        assert_eq!(answer["status"], "Accepted", "{answer}");
    }
    d.wait_connector(1, Duration::from_secs(30), "the full current again", |c| {
        current(c) > 150.0
    });
    let answer = csms.call("ClearChargingProfile", json!({"chargingProfileId": 11}));
    assert_eq!(answer["status"], "Unknown");
    csms.assert_clean();
    assert!(d.terminate().success());
}

/// An RFC 3339 time `secs` from now.
fn in_secs(secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    chargerd::wall_time::rfc3339_utc(now + secs * 1000)
}

#[test]
fn a_reservation_holds_an_evse_for_its_token_and_one_that_expires_is_said() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    let answer = csms.call(
        "ReserveNow",
        json!({"id": 5, "evseId": 2, "expiryDateTime": in_secs(600),
               "idToken": {"idToken": "RES-5", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    csms.wait(Duration::from_secs(10), "EVSE 2 Reserved", |r| {
        calls(r, "StatusNotification")
            .iter()
            .any(|(_, s)| {
                s["payload"]["evseId"] == 2 && s["payload"]["connectorStatus"] == "Reserved"
            })
            .then_some(())
    });
    // The same EVSE again: Occupied; an unknown id cannot be cancelled.
    let answer = csms.call(
        "ReserveNow",
        json!({"id": 6, "evseId": 2, "expiryDateTime": in_secs(600),
               "idToken": {"idToken": "RES-6", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Occupied", "{answer}");
    let answer = csms.call("CancelReservation", json!({"reservationId": 99}));
    assert_eq!(answer["status"], "Rejected");
    // Another token cannot start there; the holder can, and its start names the reservation.
    d.plug("2", "20", "80", "350");
    let answer = csms.call(
        "RequestStartTransaction",
        json!({"evseId": 2, "remoteStartId": 1, "idToken": {"idToken": "OTHER", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Rejected", "{answer}");
    let answer = csms.call(
        "RequestStartTransaction",
        json!({"evseId": 2, "remoteStartId": 2, "idToken": {"idToken": "RES-5", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let tx = csms.wait(Duration::from_secs(20), "Started", started);
    let first = &events_of(&csms.records(), &tx)[0];
    assert_eq!(first["reservationId"], 5, "{first}");
    // A reservation that runs out is lifted and said.
    let answer = csms.call(
        "ReserveNow",
        json!({"id": 7, "evseId": 1, "expiryDateTime": in_secs(2),
               "idToken": {"idToken": "RES-7", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let update = csms.wait(Duration::from_secs(20), "ReservationStatusUpdate", |r| {
        calls(r, "ReservationStatusUpdate")
            .first()
            .map(|(_, x)| x["payload"].clone())
    });
    assert_eq!(update["reservationId"], 7);
    assert_eq!(update["reservationUpdateStatus"], "Expired");
    d.wait_connector(1, Duration::from_secs(10), "EVSE 1 free again", |c| {
        c["status"] == "Available"
    });
    csms.assert_clean();
    assert!(d.terminate().success());
}

/// `[authorization] mode = "ocpp"`: `chargerctl start --id-tag` goes through the charge point.
fn ocpp_mode(text: String) -> String {
    assert!(text.contains("mode = \"free\""), "configs/sim.toml changed");
    text.replace("mode = \"free\"", "mode = \"ocpp\"")
}

#[test]
fn offline_the_local_list_and_the_cache_decide_and_unknown_tokens_wait_for_the_csms() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut csms = Csms::start(
        dir.path(),
        &[
            "--versions",
            "ocpp2.0.1",
            "--tag-status",
            "BLOCKED-1=Blocked",
        ],
    );
    let section = section(&csms.url(), "2.0.1");
    let mut d = Chargerd::start_edited(dir.path(), &mut csms, &section, ocpp_mode);
    csms.wait(Duration::from_secs(20), "registration", |r| {
        registered_201(r, 0)
    });
    let answer = csms.call(
        "SendLocalList",
        json!({"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [
            {"idToken": {"idToken": "LIST-OK", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}},
            {"idToken": {"idToken": "LIST-BAD", "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}}
        ]}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let answer = csms.call(
        "SendLocalList",
        json!({"versionNumber": 1, "updateType": "Differential"}),
    );
    assert_eq!(answer["status"], "VersionMismatch");
    assert_eq!(
        csms.call("GetLocalListVersion", json!({}))["versionNumber"],
        1
    );
    // Online, the CSMS decides (Authorize), and its answer goes into the cache.
    d.plug("2", "20", "80", "350");
    let refused = d.ctl(&["start", "2", "--id-tag", "BLOCKED-1"]);
    assert!(!refused.status.success(), "a Blocked token started");
    d.ctl_ok(&["start", "2", "--id-tag", "CACHED-1"]);
    d.wait_connector(2, Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    d.ctl_ok(&["stop", "2"]);
    d.wait_connector(2, Duration::from_secs(30), "the session over", |c| {
        c["status"] != "Charging"
    });
    // Offline: the list and the cache decide; an unknown token is refused
    // (OfflineTxForUnknownIdEnabled is false).
    csms.command(json!({"down": true}));
    csms.wait(Duration::from_secs(10), "the link down", |r| {
        r.iter().find(|x| x["kind"] == "disconnected").cloned()
    });
    d.plug("1", "20", "80", "350");
    let refused = d.ctl(&["start", "1", "--id-tag", "NOBODY"]);
    assert!(
        !refused.status.success(),
        "an unknown token started offline"
    );
    let refused = d.ctl(&["start", "1", "--id-tag", "LIST-BAD"]);
    assert!(
        !refused.status.success(),
        "a token the list blocks started offline"
    );
    d.ctl_ok(&["start", "1", "--id-tag", "LIST-OK"]);
    d.wait_connector(1, Duration::from_secs(30), "Charging on the list", |c| {
        c["status"] == "Charging"
    });
    d.ctl_ok(&["stop", "1"]);
    d.wait_connector(1, Duration::from_secs(30), "the session over", |c| {
        c["status"] != "Charging"
    });
    d.ctl_ok(&["sim", "unplug", "2"]);
    d.wait_connector(2, Duration::from_secs(30), "EVSE 2 free", |c| {
        c["status"] == "Available"
    });
    d.plug("2", "20", "80", "350");
    d.ctl_ok(&["start", "2", "--id-tag", "CACHED-1"]);
    d.wait_connector(2, Duration::from_secs(30), "Charging from the cache", |c| {
        c["status"] == "Charging"
    });
    csms.command(json!({"up": true}));
    csms.wait(
        Duration::from_secs(30),
        "the offline transactions replayed",
        |r| {
            let ended = calls(r, "TransactionEvent")
                .iter()
                .filter(|(_, e)| e["payload"]["eventType"] == "Started")
                .count();
            (ended >= 3).then_some(())
        },
    );
    let answer = csms.call("ClearCache", json!({}));
    assert_eq!(answer["status"], "Accepted");
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn an_offline_transaction_is_replayed_in_sequence_and_kill_9_ends_it_after_the_restart() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut csms = Csms::start(dir.path(), &["--versions", "ocpp2.0.1"]);
    let ocpp = section(&csms.url(), "2.0.1");
    let d = Chargerd::start_edited(dir.path(), &mut csms, &ocpp, ocpp_mode);
    csms.wait(Duration::from_secs(20), "registration", |r| {
        registered_201(r, 0)
    });
    let mut d = d;
    set_variable(&mut csms, "SampledDataCtrlr", "TxUpdatedInterval", "1");
    set_variable(
        &mut csms,
        "AuthCtrlr",
        "OfflineTxForUnknownIdEnabled",
        "true",
    );
    d.plug("1", "20", "80", "350");
    csms.command(json!({"down": true}));
    csms.wait(Duration::from_secs(10), "the link down", |r| {
        r.iter().find(|x| x["kind"] == "disconnected").cloned()
    });
    // Offline: the id tag is let through (OfflineTxForUnknownIdEnabled) and events queue.
    d.ctl_ok(&["start", "1", "--id-tag", "OFFLINE-1"]);
    d.wait_connector(1, Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    std::thread::sleep(Duration::from_secs(3));
    csms.command(json!({"up": true}));
    let tx = csms.wait(Duration::from_secs(30), "the replayed Started", |r| {
        started(r)
    });
    csms.wait(
        Duration::from_secs(20),
        "the replay and a live event",
        |r| {
            let events = events_of(r, &tx);
            let replayed = events.iter().filter(|e| e["offline"] == true).count();
            let live = events.iter().filter(|e| e.get("offline").is_none()).count();
            (replayed >= 3 && live >= 1).then_some(())
        },
    );
    // kill -9 mid-transaction; after the restart the transaction ends (PowerLoss) with the
    // seqNo after the last one the CSMS saw.
    d.kill9();
    let again = section(&csms.url(), "2.0.1");
    let mut d = Chargerd::start_edited(dir.path(), &mut csms, &again, ocpp_mode);
    let ended = csms.wait(Duration::from_secs(30), "Ended", |r| {
        events_of(r, &tx)
            .into_iter()
            .find(|e| e["eventType"] == "Ended")
    });
    assert_eq!(
        ended["transactionInfo"]["stoppedReason"], "PowerLoss",
        "{ended}"
    );
    let recs = csms.records();
    let events = events_of(&recs, &tx);
    let seq: Vec<u64> = events
        .iter()
        .map(|e| e["seqNo"].as_u64().unwrap())
        .collect();
    let mut unique = seq.clone();
    unique.dedup();
    assert_eq!(
        unique,
        (0..unique.len() as u64).collect::<Vec<_>>(),
        "seqNo continuous across the outage and the restart (retransmits aside): {seq:?}"
    );
    assert_eq!(events[0]["offline"], true, "started offline");
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn security_profile_1_registers_over_2_0_1_with_basic_authentication() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let key = "0123456789abcdef0123456789abcdef";
    let mut csms = Csms::start(dir.path(), &["--versions", "ocpp2.0.1", "--auth-key", key]);
    let key_file = dir.path().join("authorization.key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    let ocpp = section(&csms.url(), "2.0.1").replace(
        "security_profile = 0\n",
        &format!(
            "security_profile = 1\nauthorization_key_file = \"{}\"\n",
            key_file.display()
        ),
    );
    let mut d = Chargerd::start_with(dir.path(), &mut csms, &ocpp);
    csms.wait(Duration::from_secs(20), "registration", |r| {
        registered_201(r, 0)
    });
    let recs = csms.records();
    let connected = recs.iter().find(|x| x["kind"] == "connected").unwrap();
    assert_eq!(connected["authorization"], "Basic", "{connected}");
    assert_eq!(connected["version"], "2.0.1", "{connected}");
    let answer = csms.call(
        "GetVariables",
        json!({"getVariableData": [
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}}
        ]}),
    );
    assert_eq!(answer["getVariableResult"][0]["attributeValue"], "1");
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn a_fault_during_a_transaction_is_a_notify_event_and_ends_it_with_its_reason() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    d.plug("1", "20", "80", "350");
    let answer = csms.call(
        "RequestStartTransaction",
        json!({"evseId": 1, "remoteStartId": 3, "idToken": {"idToken": "FAULT-1", "type": "Central"}}),
    );
    assert_eq!(answer["status"], "Accepted", "{answer}");
    let tx = csms.wait(Duration::from_secs(20), "Started", started);
    d.wait_connector(1, Duration::from_secs(60), "Charging", |c| {
        c["status"] == "Charging" && current(c) > 10.0
    });
    d.ctl_ok(&["sim", "fault", "1", "insulation"]);
    let event = csms.wait(Duration::from_secs(20), "NotifyEvent", |r| {
        calls(r, "NotifyEvent")
            .first()
            .map(|(_, x)| x["payload"]["eventData"][0].clone())
    });
    assert_eq!(event["techCode"], "CD-INS-01", "{event}");
    assert_eq!(event["cleared"], false, "{event}");
    assert_eq!(event["actualValue"], "true", "{event}");
    assert_eq!(event["component"]["evse"]["id"], 1, "{event}");
    assert_eq!(event["transactionId"], tx.as_str(), "{event}");
    assert_eq!(event["eventNotificationType"], "HardWiredNotification");
    let ended = csms.wait(Duration::from_secs(30), "Ended", |r| {
        events_of(r, &tx)
            .into_iter()
            .find(|e| e["eventType"] == "Ended")
    });
    assert_eq!(
        ended["transactionInfo"]["stoppedReason"], "GroundFault",
        "{ended}"
    );
    assert_eq!(ended["triggerReason"], "AbnormalCondition", "{ended}");
    csms.wait(Duration::from_secs(20), "EVSE 1 Faulted", |r| {
        calls(r, "StatusNotification")
            .iter()
            .any(|(_, s)| {
                s["payload"]["evseId"] == 1 && s["payload"]["connectorStatus"] == "Faulted"
            })
            .then_some(())
    });
    // Latched until the truck leaves: then the fault clears, and so does the event.
    d.ctl_ok(&["sim", "clear", "1"]);
    d.ctl_ok(&["sim", "unplug", "1"]);
    let cleared = csms.wait(Duration::from_secs(30), "the cleared NotifyEvent", |r| {
        calls(r, "NotifyEvent")
            .iter()
            .map(|(_, x)| x["payload"]["eventData"][0].clone())
            .find(|e| e["cleared"] == true)
    });
    assert_eq!(cleared["techCode"], "CD-INS-01", "{cleared}");
    assert!(cleared["eventId"].as_i64().unwrap() > event["eventId"].as_i64().unwrap());
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn auto_speaks_whichever_version_the_csms_selects() {
    require_csms!();
    // A 1.6-only CSMS: chargerd offers both and speaks 1.6.
    let dir = tempfile::tempdir().unwrap();
    let mut csms = Csms::start(dir.path(), &[]);
    let auto = section(&csms.url(), "auto");
    let mut d = Chargerd::start_with(dir.path(), &mut csms, &auto);
    csms.wait(Duration::from_secs(20), "1.6 registration", |r| {
        registered(r, 0)
    });
    let recs = csms.records();
    let connected = recs.iter().find(|r| r["kind"] == "connected").unwrap();
    assert_eq!(connected["version"], "1.6", "{connected}");
    assert!(calls(&recs, "BootNotification")[0].1["payload"]["chargePointVendor"].is_string());
    csms.assert_clean();
    assert!(d.terminate().success());
    drop(csms);

    // A 2.0.1-only CSMS: the same configuration speaks 2.0.1.
    let dir = tempfile::tempdir().unwrap();
    let (csms, mut d) = setup_201(dir.path(), &[], "auto");
    let recs = csms.records();
    let connected = recs.iter().find(|r| r["kind"] == "connected").unwrap();
    assert_eq!(connected["version"], "2.0.1", "{connected}");
    csms.assert_clean();
    assert!(d.terminate().success());
}

#[test]
fn a_version_switch_keeps_what_the_other_version_queued_until_a_csms_speaking_it_takes_it() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let mut csms = Csms::start(dir.path(), &["--versions", "ocpp2.0.1,ocpp1.6"]);
    let auto = section(&csms.url(), "auto");
    let mut d = Chargerd::start_edited(dir.path(), &mut csms, &auto, ocpp_mode);
    csms.wait(Duration::from_secs(20), "2.0.1 registration", |r| {
        registered_201(r, 0)
    });
    // A 2.0.1 transaction runs while the CSMS is away; the CSMS comes back speaking 1.6 only.
    d.plug("1", "20", "80", "350");
    csms.command(json!({"down": true}));
    csms.wait(Duration::from_secs(10), "the link down", |r| {
        r.iter().find(|x| x["kind"] == "disconnected").cloned()
    });
    d.ctl_ok(&[
        "config",
        "set",
        "AuthCtrlr/OfflineTxForUnknownIdEnabled",
        "true",
    ]);
    d.ctl_ok(&["start", "1", "--id-tag", "SWITCH-1"]);
    d.wait_connector(1, Duration::from_secs(30), "Charging", |c| {
        c["status"] == "Charging"
    });
    d.ctl_ok(&["stop", "1"]);
    d.wait_connector(1, Duration::from_secs(30), "the session over", |c| {
        c["status"] != "Charging"
    });
    csms.command(json!({"versions": ["ocpp1.6"]}));
    csms.command(json!({"up": true}));
    csms.wait(Duration::from_secs(30), "a 1.6 connection", |r| {
        r.iter()
            .find(|x| x["kind"] == "connected" && x["version"] == "1.6")
            .cloned()
    });
    csms.wait(Duration::from_secs(20), "1.6 registration", |r| {
        registered(r, 0)
    });
    // The 2.0.1 events wait, said by chargerctl; none went out as 1.6.
    let ocpp: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
    assert_eq!(ocpp["version"], "ocpp1.6", "{ocpp}");
    assert!(
        ocpp["other_version_waiting"].as_u64().unwrap() >= 2,
        "{ocpp}"
    );
    assert!(calls(&csms.records(), "StartTransaction").is_empty());
    // Back to a CSMS that speaks 2.0.1: chargerd offers 2.0.1 first (its messages wait) and
    // they are delivered, in sequence.
    csms.command(json!({"versions": ["ocpp2.0.1", "ocpp1.6"]}));
    csms.command(json!({"close": true}));
    let tx = csms.wait(Duration::from_secs(30), "the 2.0.1 events", started);
    let ended = csms.wait(Duration::from_secs(30), "Ended", |r| {
        events_of(r, &tx)
            .into_iter()
            .find(|e| e["eventType"] == "Ended")
    });
    assert_eq!(
        ended["transactionInfo"]["stoppedReason"], "Local",
        "{ended}"
    );
    csms.wait(Duration::from_secs(10), "nothing waiting", |_| {
        let ocpp: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
        (ocpp["outbox_depth"] == 0).then_some(())
    });
    csms.assert_clean();
    assert!(d.terminate().success());
}

/// The error code of the charge point's answer to the raw frame sent with command `r`.
fn raw_code(csms: &Csms, r: &str) -> String {
    csms.wait(
        Duration::from_secs(10),
        "the answer to a raw frame",
        |recs| {
            recs.iter()
                .find(|x| x["kind"] == "raw_reply" && x["ref"] == r)
                .map(|x| x["frame"][2].as_str().unwrap_or("(a result)").to_string())
        },
    )
}

#[test]
fn malformed_and_unsupported_calls_get_2_0_1_error_codes() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_201(dir.path(), &[], "2.0.1");
    // Unparsable: RpcFrameworkError with message id "-1" (it matches nothing we sent).
    csms.raw("[2, \"g1\", \"Heartbeat\"");
    let garbage = csms.wait(Duration::from_secs(10), "the answer to garbage", |recs| {
        recs.iter()
            .find(|x| x["kind"] == "unmatched_in")
            .map(|x| x["text"].as_str().unwrap().to_string())
    });
    assert!(
        garbage.contains("RpcFrameworkError") && garbage.contains("\"-1\""),
        "{garbage}"
    );
    let r = csms.raw("[2,\"u1\",\"Nonsense\",{}]");
    assert_eq!(raw_code(&csms, &r), "NotImplemented");
    let r = csms.raw("[2,\"b1\",\"GetVariables\",{\"getVariableData\":\"x\"}]");
    assert_eq!(raw_code(&csms, &r), "TypeConstraintViolation");
    let r = csms.raw("[2,\"b2\",\"Reset\",{\"type\":\"Bogus\"}]");
    assert_eq!(raw_code(&csms, &r), "PropertyConstraintViolation");
    // A number no i64 holds passes the schema; the typed message refuses it.
    let r = csms.raw(
        "[2,\"b3\",\"RequestStartTransaction\",{\"remoteStartId\":1e30,\
         \"idToken\":{\"idToken\":\"X\",\"type\":\"Central\"}}]",
    );
    assert_eq!(raw_code(&csms, &r), "TypeConstraintViolation");
    // A 2.0.1 action this station does not handle yet: NotSupported, never a fake Accepted.
    let r = csms.raw(
        "[2,\"n1\",\"GetLog\",{\"logType\":\"DiagnosticsLog\",\"requestId\":1,\
         \"log\":{\"remoteLocation\":\"ftp://csms.example/logs\"}}]",
    );
    assert_eq!(raw_code(&csms, &r), "NotSupported");
    // Still registered and answering on the same connection.
    let answer = csms.call("TriggerMessage", json!({"requestedMessage": "Heartbeat"}));
    assert_eq!(answer["status"], "Accepted");
    let recs = csms.records();
    assert_eq!(recs.iter().filter(|x| x["kind"] == "connected").count(), 1);
    // The malformed calls are security events (InvalidMessages), delivered like the rest.
    csms.wait(Duration::from_secs(10), "InvalidMessages events", |recs| {
        calls(recs, "SecurityEventNotification")
            .iter()
            .any(|(_, e)| e["payload"]["type"] == "InvalidMessages")
            .then_some(())
    });
    csms.assert_clean();
    assert!(d.terminate().success());
}
