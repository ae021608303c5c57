//! The station features of OCPP 1.6J end to end: Smart Charging, Local Auth List Management,
//! authorization through the charge point, Reservation, Remote Trigger, configurable meter
//! values, availability and unlock, and the `chargerctl` views of the OCPP side.
//!
//! Each test runs the real `chargerd` (built-in truck simulator, configs/sim.toml plus an
//! `[ocpp]` section) against the schema-validating Python CSMS `tests/ocpp/csms.py`, drives the
//! station with `chargerctl` and the CSMS with commands, and checks what really happens: the
//! current the truck gets (`chargerctl --json status`), and every message in the CSMS's log.
//! Each test ends by asserting that the CSMS saw no schema error and no protocol violation.
//!
//! Waits are generous (the machine may be loaded) and nothing asserts on timing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod e2e;

use std::path::Path;
use std::time::{Duration, Instant};

use e2e::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

// ----- helpers ----------------------------------------------------------------------------------

/// Starts chargerd like [`Chargerd::start`], with `edit` applied to the configuration text
/// (e.g. another authorization mode).
fn start_edited(dir: &Path, csms: &mut Csms, edit: fn(String) -> String) -> Chargerd {
    let section = Chargerd::ocpp_section(&csms.url());
    Chargerd::start_edited(dir, csms, &section, edit)
}

/// `[authorization] mode = "ocpp"`: `chargerctl start --id-tag` goes through the charge point.
fn ocpp_mode(text: String) -> String {
    assert!(text.contains("mode = \"free\""), "configs/sim.toml changed");
    text.replace("mode = \"free\"", "mode = \"ocpp\"")
}

/// The CSMS and a registered chargerd in authorization mode `ocpp`.
fn setup_ocpp_mode(dir: &Path, csms_args: &[&str]) -> (Csms, Chargerd) {
    let mut csms = Csms::start(dir, csms_args);
    let d = start_edited(dir, &mut csms, ocpp_mode);
    csms.wait(WAIT, "registration", |r| registered(r, 0));
    (csms, d)
}

fn change(csms: &mut Csms, key: &str, value: &str) -> String {
    csms.status_of("ChangeConfiguration", json!({"key": key, "value": value}))
}

/// A charging profile with one period from the start.
fn profile(id: i64, purpose: &str, kind: &str, unit: &str, limit: f64) -> Value {
    json!({
        "chargingProfileId": id,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    })
}

fn set_profile(csms: &mut Csms, connector: u32, p: Value) -> String {
    csms.status_of(
        "SetChargingProfile",
        json!({"connectorId": connector, "csChargingProfiles": p}),
    )
}

/// Index of the CSMS's answer record for a command (everything after it came later).
fn answered_at(csms: &Csms) -> usize {
    csms.records().len()
}

/// The id the CSMS gave to the `nth` StartTransaction for `id_tag`.
fn started(csms: &Csms, id_tag: &str) -> (usize, i64) {
    csms.wait(WAIT, &format!("StartTransaction for {id_tag}"), |r| {
        calls(r, "StartTransaction")
            .into_iter()
            .find(|(_, s)| s["payload"]["idTag"] == id_tag)
            .and_then(|(i, s)| Some((i, assigned_id(r, s)?)))
    })
}

/// Numeric values of `measurand` in a MeterValues payload.
fn values(mv: &Value, measurand: &str) -> Vec<f64> {
    mv["meterValue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["sampledValue"].as_array().unwrap().iter())
        .filter(|s| s["measurand"] == measurand)
        .map(|s| s["value"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn measurands(sampled: &Value) -> Vec<String> {
    let mut m: Vec<String> = sampled
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["measurand"].as_str().unwrap().to_string())
        .collect();
    m.sort();
    m
}

fn contexts(mv: &Value) -> Vec<String> {
    mv["meterValue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["sampledValue"].as_array().unwrap().iter())
        .map(|s| s["context"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Statuses reported for `connector` after log index `after`.
fn statuses_after(recs: &[Value], connector: u64, after: usize) -> Vec<String> {
    calls(recs, "StatusNotification")
        .into_iter()
        .filter(|(i, s)| *i > after && s["payload"]["connectorId"] == connector)
        .map(|(_, s)| s["payload"]["status"].as_str().unwrap().to_string())
        .collect()
}

/// A number from the CSMS's answer record (its Decimals are written as strings).
fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str()?.parse().ok())
}

fn binding_source(c: &Value) -> String {
    c["binding_limit"]["source"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The "ocpp" limit among the connector's limits, in amperes.
fn ocpp_limit(c: &Value) -> Option<f64> {
    c["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "ocpp")
        .and_then(|l| l["amps"].as_f64())
}

fn current(c: &Value) -> f64 {
    c["current"].as_f64().unwrap()
}

/// An RFC 3339 time `secs` from now.
fn in_secs(secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    chargerd::wall_time::rfc3339_utc(now + secs * 1000)
}

fn wait_disconnected(d: &Chargerd) {
    let end = Instant::now() + WAIT;
    loop {
        let o: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
        if o["connected"] == false {
            return;
        }
        assert!(Instant::now() < end, "chargerd still connected: {o}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ----- Smart Charging ---------------------------------------------------------------------------

#[test]
fn charging_profiles_change_the_current_the_truck_really_gets() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup(dir.path(), &[]);
    assert_eq!(
        change(&mut csms, "MeterValueSampleInterval", "1"),
        "Accepted"
    );

    // Profiles that cannot be installed.
    let tx_100a = |tx: Option<i64>| {
        let mut p = profile(1, "TxProfile", "Relative", "A", 100.0);
        if let Some(tx) = tx {
            p["transactionId"] = json!(tx);
        }
        p
    };
    assert_eq!(
        set_profile(&mut csms, 1, tx_100a(None)),
        "Rejected",
        "a TxProfile without a transaction"
    );
    let cp_max = profile(3, "ChargePointMaxProfile", "Absolute", "A", 120.0);
    assert_eq!(
        set_profile(&mut csms, 1, cp_max.clone()),
        "Rejected",
        "a ChargePointMaxProfile on connector 1"
    );

    // A big truck on connector 1 (CHAdeMO, 250 A rating): it would charge for an hour.
    d.plug("1", "20", "80", "350");
    let s = csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "SMART-1"}),
    );
    assert_eq!(s, "Accepted");
    let (_, tx) = started(&csms, "SMART-1");
    d.wait_connector(1, WAIT, "full current", |c| {
        c["status"] == "Charging" && current(c) > 150.0
    });

    // TxProfile 100 A: the truck gets at most 100 A, and the station says why.
    assert_eq!(set_profile(&mut csms, 1, tx_100a(Some(tx))), "Accepted");
    let set_at = answered_at(&csms);
    d.wait_connector(1, WAIT, "100 A from the TxProfile", |c| {
        binding_source(c) == "ocpp"
            && c["binding_limit"]["amps"].as_f64() == Some(100.0)
            && current(c) <= 102.0
            && current(c) > 90.0
    });
    csms.wait(WAIT, "MeterValues at 100 A", |r| {
        calls(r, "MeterValues")
            .into_iter()
            .find(|(i, mv)| {
                let p = &mv["payload"];
                *i > set_at
                    && p["transactionId"] == tx
                    && values(p, "Current.Offered") == vec![100.0]
                    && values(p, "Current.Import")
                        .first()
                        .is_some_and(|a| *a <= 102.0)
            })
            .map(|_| ())
    });

    // The same profile id in watts replaces it: 40 kW at the live voltage.
    let mut tx_40kw = profile(1, "TxProfile", "Relative", "W", 40000.0);
    tx_40kw["transactionId"] = json!(tx);
    assert_eq!(set_profile(&mut csms, 1, tx_40kw), "Accepted");
    d.wait_connector(1, WAIT, "40 kW at the live voltage", |c| {
        let want = 40000.0 / c["voltage"].as_f64().unwrap();
        binding_source(c) == "ocpp"
            && (c["binding_limit"]["amps"].as_f64().unwrap() - want).abs() < 2.0
            && (current(c) - want).abs() < 3.0
    });
    let schedule = csms.call(
        "GetCompositeSchedule",
        json!({"connectorId": 1, "duration": 600, "chargingRateUnit": "W"}),
    );
    assert_eq!(schedule["status"], "Accepted", "{schedule}");
    assert_eq!(schedule["connectorId"], 1);
    let cs = &schedule["chargingSchedule"];
    assert_eq!(cs["chargingRateUnit"], "W", "{schedule}");
    assert_eq!(cs["duration"], 600, "{schedule}");
    let periods = cs["chargingSchedulePeriod"].as_array().unwrap();
    assert_eq!(
        periods.len(),
        1,
        "one period for the whole window: {schedule}"
    );
    assert_eq!(periods[0]["startPeriod"], 0);
    assert_eq!(num(&periods[0]["limit"]), Some(40000.0), "{schedule}");

    // Cleared: the current goes back up.
    assert_eq!(
        csms.status_of("ClearChargingProfile", json!({"id": 1})),
        "Accepted"
    );
    d.wait_connector(1, WAIT, "full current again", |c| {
        binding_source(c) != "ocpp" && current(c) > 150.0
    });
    assert_eq!(
        csms.status_of("ClearChargingProfile", json!({"id": 1})),
        "Unknown",
        "nothing left to clear"
    );

    // A ChargePointMaxProfile on connector 0 is a budget for the whole charge point: the one
    // truck charging gets all of it, as its share.
    assert_eq!(set_profile(&mut csms, 0, cp_max), "Accepted");
    d.wait_connector(1, WAIT, "120 A from the ChargePointMaxProfile", |c| {
        binding_source(c) == "station-profile" && current(c) <= 122.0 && current(c) > 100.0
    });
    let schedule = csms.call(
        "GetCompositeSchedule",
        json!({"connectorId": 0, "duration": 60, "chargingRateUnit": "A"}),
    );
    assert_eq!(schedule["status"], "Accepted", "{schedule}");
    assert_eq!(
        num(&schedule["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]),
        Some(120.0),
        "{schedule}"
    );
    assert_eq!(
        csms.status_of(
            "ClearChargingProfile",
            json!({"chargingProfilePurpose": "ChargePointMaxProfile"})
        ),
        "Accepted"
    );

    // A TxDefaultProfile on connector 0 is for the transactions to come, and survives a
    // restart of the daemon.
    let s = csms.status_of("RemoteStopTransaction", json!({"transactionId": tx}));
    assert_eq!(s, "Accepted");
    csms.wait(WAIT, "StopTransaction", |r| stop_of(r, tx));
    assert_eq!(
        set_profile(
            &mut csms,
            0,
            profile(4, "TxDefaultProfile", "Relative", "A", 80.0)
        ),
        "Accepted"
    );
    assert!(d.terminate().success());
    let d = Chargerd::start(dir.path(), &mut csms);
    csms.wait(WAIT, "the second registration", |r| registered(r, 1));
    d.plug("1", "20", "80", "350");
    let s = csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 1, "idTag": "SMART-2"}),
    );
    assert_eq!(s, "Accepted");
    let (_, tx2) = started(&csms, "SMART-2");
    assert_ne!(tx2, tx);
    d.wait_connector(1, WAIT, "80 A from the TxDefaultProfile", |c| {
        c["status"] == "Charging"
            && binding_source(c) == "ocpp"
            && current(c) <= 82.0
            && current(c) > 70.0
    });
    let schedule = csms.call(
        "GetCompositeSchedule",
        json!({"connectorId": 1, "duration": 60}),
    );
    assert_eq!(schedule["status"], "Accepted", "{schedule}");
    assert_eq!(
        num(&schedule["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]),
        Some(80.0),
        "{schedule}"
    );
    csms.assert_clean();
}

#[test]
fn a_remote_start_with_a_charging_profile_is_limited_from_its_start() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup(dir.path(), &[]);
    assert_eq!(
        change(&mut csms, "MeterValueSampleInterval", "1"),
        "Accepted"
    );
    d.plug("1", "20", "80", "350");
    let s = csms.status_of(
        "RemoteStartTransaction",
        json!({
            "connectorId": 1,
            "idTag": "PROFILED",
            "chargingProfile": profile(7, "TxProfile", "Relative", "A", 60.0),
        }),
    );
    assert_eq!(s, "Accepted");
    let (_, tx) = started(&csms, "PROFILED");
    d.wait_connector(1, WAIT, "charging at the profile's 60 A", |c| {
        c["status"] == "Charging" && current(c) > 55.0
    });
    // Long after StartTransaction.conf gave the CSMS's id: still the profile's 60 A.
    let end = Instant::now() + Duration::from_secs(4);
    while Instant::now() < end {
        let c = d.connector(1);
        assert!(
            ocpp_limit(&c) == Some(60.0) && current(&c) <= 62.0,
            "the RemoteStart profile does not hold: {c:#}\n{}",
            tail(&Chargerd::log(dir.path()), 40)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let recs = csms.wait(WAIT, "three MeterValues", |r| {
        let mvs: Vec<Value> = calls(r, "MeterValues")
            .into_iter()
            .map(|(_, mv)| mv["payload"].clone())
            .collect();
        (mvs.len() >= 3).then_some(mvs)
    });
    for mv in &recs {
        assert_eq!(mv["transactionId"], tx, "{mv}");
        for a in values(mv, "Current.Offered") {
            assert!(
                a <= 60.0,
                "offered more than the profile from the start: {mv}"
            );
        }
        for a in values(mv, "Current.Import") {
            assert!(a <= 62.0, "{mv}");
        }
    }
    let schedule = csms.call(
        "GetCompositeSchedule",
        json!({"connectorId": 1, "duration": 60, "chargingRateUnit": "A"}),
    );
    assert_eq!(
        num(&schedule["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]),
        Some(60.0),
        "{schedule}"
    );
    // A RemoteStart profile that is not a TxProfile is refused.
    let s = csms.status_of(
        "RemoteStartTransaction",
        json!({
            "connectorId": 2,
            "idTag": "PROFILED-2",
            "chargingProfile": profile(8, "TxDefaultProfile", "Relative", "A", 60.0),
        }),
    );
    assert_eq!(s, "Rejected");
    csms.assert_clean();
}

// ----- Local Auth List Management and authorization --------------------------------------------

#[test]
fn the_local_list_has_versions_survives_a_restart_and_authorizes_offline() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, mut d) = setup_ocpp_mode(dir.path(), &[]);
    let version =
        |csms: &mut Csms| csms.call("GetLocalListVersion", json!({}))["listVersion"].clone();
    assert_eq!(version(&mut csms), 0, "an empty list");
    let s = csms.status_of(
        "SendLocalList",
        json!({
            "listVersion": 5,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idTag": "LIST-A", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "LIST-B", "idTagInfo": {"status": "Blocked"}},
            ],
        }),
    );
    assert_eq!(s, "Accepted");
    assert_eq!(version(&mut csms), 5);
    let s = csms.status_of(
        "SendLocalList",
        json!({
            "listVersion": 6,
            "updateType": "Differential",
            "localAuthorizationList": [
                {"idTag": "LIST-C", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "LIST-A"},
            ],
        }),
    );
    assert_eq!(s, "Accepted");
    assert_eq!(version(&mut csms), 6);
    let s = csms.status_of(
        "SendLocalList",
        json!({
            "listVersion": 4,
            "updateType": "Differential",
            "localAuthorizationList": [{"idTag": "LIST-D", "idTagInfo": {"status": "Accepted"}}],
        }),
    );
    assert_eq!(s, "VersionMismatch");
    assert_eq!(version(&mut csms), 6, "a refused update changes nothing");

    assert!(d.terminate().success());
    let d = start_edited(dir.path(), &mut csms, ocpp_mode);
    csms.wait(WAIT, "the second registration", |r| registered(r, 1));
    assert_eq!(version(&mut csms), 6, "the list survives a restart");
    let o: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
    assert_eq!(o["local_list_version"], 6, "{o}");

    // Offline, the list decides: LIST-C (added) charges, LIST-A (removed) and LIST-B
    // (Blocked) do not.
    d.plug("1", "20", "80", "350");
    d.plug("2", "20", "80", "350");
    csms.command(json!({"down": true}));
    wait_disconnected(&d);
    for tag in ["LIST-A", "LIST-B"] {
        let out = d.ctl(&["start", "2", "--id-tag", tag]);
        assert!(
            !out.status.success(),
            "{tag} started offline: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    d.ctl_ok(&["start", "1", "--id-tag", "LIST-C"]);
    d.wait_connector(1, WAIT, "LIST-C charging offline", |c| {
        c["transaction"]["id_tag"] == "LIST-C"
    });
    assert!(d.connector(2)["transaction"].is_null());
    let before_up = answered_at(&csms);
    csms.command(json!({"up": true}));
    let (at, _) = started(&csms, "LIST-C");
    let recs = csms.records();
    // Registered at the restart; the reconnect needs no new registration.
    let reconnect = recs[before_up..]
        .iter()
        .position(|r| r["kind"] == "connected")
        .map(|i| before_up + i)
        .unwrap();
    assert!(
        reconnect < at,
        "StartTransaction replayed after the reconnect"
    );
    assert_eq!(calls(&recs, "BootNotification").len(), 2, "one per boot");
    assert!(
        calls(&recs, "Authorize").is_empty(),
        "nothing asked offline"
    );
    assert_eq!(calls(&recs, "StartTransaction").len(), 1);
    csms.assert_clean();
}

#[test]
fn authorization_mode_ocpp_asks_the_csms_online_and_decides_locally_offline() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup_ocpp_mode(dir.path(), &["--tag-status", "BAD=Blocked"]);
    d.plug("1", "20", "80", "350");
    d.plug("2", "20", "80", "350");

    // Online: Authorize first, the transaction when the CSMS accepts.
    let out = d.ctl_ok(&["start", "1", "--id-tag", "GOOD"]);
    assert!(out.contains("started"), "{out}");
    let (start_at, _) = started(&csms, "GOOD");
    let recs = csms.records();
    let auth = calls(&recs, "Authorize");
    assert_eq!(auth.len(), 1, "{auth:?}");
    assert_eq!(auth[0].1["payload"]["idTag"], "GOOD");
    assert!(auth[0].0 < start_at);

    // A tag the CSMS blocks: no transaction, and chargerctl says so.
    let out = d.ctl(&["start", "2", "--id-tag", "BAD"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "a Blocked tag started");
    assert!(err.contains("Blocked"), "chargerctl: {err}");
    csms.wait(WAIT, "Authorize BAD", |r| {
        calls(r, "Authorize")
            .into_iter()
            .find(|(_, a)| a["payload"]["idTag"] == "BAD")
            .map(|_| ())
    });
    assert!(d.connector(2)["transaction"].is_null());
    assert!(d.connector(2)["authorized_id_tag"].is_null());

    // Offline, a tag nothing local knows is refused...
    csms.command(json!({"down": true}));
    wait_disconnected(&d);
    let out = d.ctl(&["start", "2", "--id-tag", "STRANGER"]);
    assert!(!out.status.success(), "an unknown tag started offline");
    csms.command(json!({"up": true}));
    csms.wait(WAIT, "the reconnect", |r| reconnected(r, 1));
    // ...unless AllowOfflineTxForUnknownId says otherwise.
    assert_eq!(
        change(&mut csms, "AllowOfflineTxForUnknownId", "true"),
        "Accepted"
    );
    csms.command(json!({"down": true}));
    wait_disconnected(&d);
    let out = d.ctl_ok(&["start", "2", "--id-tag", "STRANGER"]);
    assert!(out.contains("started"), "{out}");
    let before_up = answered_at(&csms);
    csms.command(json!({"up": true}));
    let (at, stranger) = started(&csms, "STRANGER");
    assert!(
        at > before_up,
        "StartTransaction replayed after the reconnect"
    );
    let s = csms.status_of("RemoteStopTransaction", json!({"transactionId": stranger}));
    assert_eq!(s, "Accepted");
    csms.wait(WAIT, "StopTransaction", |r| stop_of(r, stranger));
    d.wait_connector(2, WAIT, "the end of the session", |c| {
        c["transaction"].is_null()
    });

    // AuthorizeRemoteTxRequests: RemoteStartTransaction sends Authorize first.
    assert_eq!(
        change(&mut csms, "AuthorizeRemoteTxRequests", "true"),
        "Accepted"
    );
    let s = csms.status_of(
        "RemoteStartTransaction",
        json!({"connectorId": 2, "idTag": "REMOTE-OK"}),
    );
    assert_eq!(s, "Accepted");
    let (start_at, _) = started(&csms, "REMOTE-OK");
    let recs = csms.records();
    let auth = calls(&recs, "Authorize")
        .into_iter()
        .find(|(_, a)| a["payload"]["idTag"] == "REMOTE-OK")
        .expect("Authorize before a remote start");
    assert!(auth.0 < start_at);
    let tags: Vec<&Value> = calls(&recs, "StartTransaction")
        .into_iter()
        .map(|(_, s)| &s["payload"]["idTag"])
        .collect();
    assert!(!tags.contains(&&json!("BAD")), "{tags:?}");
    csms.assert_clean();
}

// ----- Reservation -----------------------------------------------------------------------------

#[test]
fn reservations_hold_a_connector_for_their_holder_until_used_cancelled_or_expired() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup(dir.path(), &[]);
    let reserve = |csms: &mut Csms, connector: u32, id: i64, tag: &str, secs: i64| {
        csms.status_of(
            "ReserveNow",
            json!({"connectorId": connector, "expiryDate": in_secs(secs), "idTag": tag,
                   "reservationId": id}),
        )
    };

    let before = answered_at(&csms);
    assert_eq!(reserve(&mut csms, 1, 1, "HOLDER", 120), "Accepted");
    csms.wait(WAIT, "connector 1 Reserved", |r| {
        statuses_after(r, 1, before)
            .contains(&"Reserved".to_string())
            .then_some(())
    });
    assert_eq!(d.connector(1)["status"], "Reserved");
    let out = d.ctl(&["start", "1", "--id-tag", "OTHER"]);
    assert!(!out.status.success(), "another tag used the reservation");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reserved"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.plug("1", "20", "80", "350");
    d.ctl_ok(&["start", "1", "--id-tag", "HOLDER"]);
    let (start_at, _) = started(&csms, "HOLDER");
    let recs = csms.records();
    let start = &recs[start_at]["payload"];
    assert_eq!(start["reservationId"], 1, "{start}");
    assert_eq!(start["connectorId"], 1);

    // Cancelled: unknown ids are Rejected, a known one frees the connector.
    assert_eq!(
        csms.status_of("CancelReservation", json!({"reservationId": 99})),
        "Rejected"
    );
    assert_eq!(
        csms.status_of("CancelReservation", json!({"reservationId": 1})),
        "Rejected",
        "used up by its start"
    );
    let before = answered_at(&csms);
    assert_eq!(reserve(&mut csms, 2, 2, "HOLDER-2", 120), "Accepted");
    assert_eq!(
        csms.status_of("CancelReservation", json!({"reservationId": 2})),
        "Accepted"
    );
    csms.wait(WAIT, "connector 2 Reserved, then Available", |r| {
        let s = statuses_after(r, 2, before);
        let reserved = s.iter().position(|x| x == "Reserved")?;
        s[reserved..]
            .contains(&"Available".to_string())
            .then_some(())
    });

    // Expired: a few seconds ahead.
    let before = answered_at(&csms);
    assert_eq!(reserve(&mut csms, 2, 3, "HOLDER-3", 3), "Accepted");
    csms.wait(
        WAIT,
        "connector 2 Reserved, then Available at expiry",
        |r| {
            let s = statuses_after(r, 2, before);
            let reserved = s.iter().position(|x| x == "Reserved")?;
            s[reserved..]
                .contains(&"Available".to_string())
                .then_some(())
        },
    );
    assert_eq!(
        csms.status_of("CancelReservation", json!({"reservationId": 3})),
        "Rejected",
        "expired"
    );

    // Connector 0: any connector; connector 1 is charging, so connector 2 holds it.
    let before = answered_at(&csms);
    assert_eq!(reserve(&mut csms, 0, 4, "ANYONE", 120), "Accepted");
    csms.wait(WAIT, "one connector Reserved", |r| {
        statuses_after(r, 2, before)
            .contains(&"Reserved".to_string())
            .then_some(())
    });
    assert_eq!(d.connector(2)["status"], "Reserved");
    assert_eq!(
        csms.status_of("CancelReservation", json!({"reservationId": 4})),
        "Accepted"
    );
    d.wait_connector(2, WAIT, "Available", |c| c["status"] == "Available");

    // Connectors that cannot take a reservation say why.
    let s = csms.status_of(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Inoperative"}),
    );
    assert_eq!(s, "Accepted");
    d.wait_connector(2, WAIT, "Unavailable", |c| c["status"] == "Unavailable");
    assert_eq!(reserve(&mut csms, 2, 5, "HOLDER-5", 120), "Unavailable");
    let s = csms.status_of(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Operative"}),
    );
    assert_eq!(s, "Accepted");
    d.ctl_ok(&["sim", "fault", "2", "emergency-stop"]);
    d.wait_connector(2, WAIT, "Faulted", |c| c["status"] == "Faulted");
    assert_eq!(reserve(&mut csms, 2, 6, "HOLDER-6", 120), "Faulted");
    assert_eq!(
        reserve(&mut csms, 1, 7, "HOLDER-7", 120),
        "Occupied",
        "connector 1 is charging"
    );
    // The emergency stop is latched (issue 16): the chain closed again, the CSMS makes the
    // connector Operative, which clears it.
    d.ctl_ok(&["sim", "clear", "2"]);
    let s = csms.status_of(
        "ChangeAvailability",
        json!({"connectorId": 2, "type": "Operative"}),
    );
    assert_eq!(s, "Accepted");
    d.wait_connector(2, WAIT, "Available", |c| c["status"] == "Available");
    csms.assert_clean();
}

// ----- Remote Trigger and meter values ---------------------------------------------------------

#[test]
fn trigger_message_and_configurable_meter_values() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup(dir.path(), &[]);
    // GB/T on connector 2: its truck reports battery temperatures.
    d.plug("2", "20", "80", "350");
    d.ctl_ok(&["start", "2", "--id-tag", "METER"]);
    let (_, tx) = started(&csms, "METER");
    d.wait_connector(2, WAIT, "Charging", |c| c["status"] == "Charging");

    let before = answered_at(&csms);
    let s = csms.status_of(
        "TriggerMessage",
        json!({"requestedMessage": "MeterValues", "connectorId": 2}),
    );
    assert_eq!(s, "Accepted");
    let mv = csms.wait(WAIT, "the triggered MeterValues", |r| {
        calls(r, "MeterValues")
            .into_iter()
            .find(|(i, mv)| *i > before && contexts(&mv["payload"]).contains(&"Trigger".into()))
            .map(|(_, mv)| mv["payload"].clone())
    });
    assert_eq!(mv["connectorId"], 2, "{mv}");
    assert_eq!(mv["transactionId"], tx, "{mv}");
    assert!(!values(&mv, "Energy.Active.Import.Register").is_empty());

    let before = answered_at(&csms);
    let s = csms.status_of(
        "TriggerMessage",
        json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
    );
    assert_eq!(s, "Accepted");
    csms.wait(WAIT, "the triggered StatusNotification", |r| {
        (statuses_after(r, 1, before) == ["Available"]).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    let recs = csms.records();
    assert!(
        statuses_after(&recs, 2, before).is_empty(),
        "only the connector asked for"
    );

    // Which measurands, how often.
    let wanted = "Energy.Active.Import.Register,Current.Offered,Temperature";
    assert_eq!(
        change(&mut csms, "MeterValuesSampledData", wanted),
        "Accepted"
    );
    assert_eq!(
        change(&mut csms, "MeterValueSampleInterval", "2"),
        "Accepted"
    );
    let before = answered_at(&csms);
    let periodic = csms.wait(WAIT, "two periodic MeterValues", |r| {
        let mvs: Vec<Value> = calls(r, "MeterValues")
            .into_iter()
            .filter(|(i, mv)| {
                *i > before && contexts(&mv["payload"]).contains(&"Sample.Periodic".into())
            })
            .map(|(_, mv)| mv["payload"].clone())
            .collect();
        (mvs.len() >= 2).then_some(mvs)
    });
    let mut want: Vec<String> = wanted.split(',').map(str::to_string).collect();
    want.sort();
    for mv in &periodic {
        assert_eq!(mv["transactionId"], tx);
        // Temperature comes once per location (configs/sim.toml's connectors are
        // liquid-cooled): Outlet = the hottest pin, Cable = the coolant, EV = the battery.
        let mut got = measurands(&mv["meterValue"][0]["sampledValue"]);
        got.dedup();
        assert_eq!(got, want, "{mv}");
        let pin = mv["meterValue"][0]["sampledValue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["measurand"] == "Temperature" && s["location"] == "Outlet");
        assert!(pin, "no pin temperature: {mv}");
    }

    // Clock-aligned readings.
    assert_eq!(
        change(&mut csms, "ClockAlignedDataInterval", "2"),
        "Accepted"
    );
    let before = answered_at(&csms);
    let clock = csms.wait(WAIT, "clock-aligned MeterValues", |r| {
        calls(r, "MeterValues")
            .into_iter()
            .find(|(i, mv)| {
                *i > before
                    && mv["payload"]["connectorId"] == 2
                    && contexts(&mv["payload"]).contains(&"Sample.Clock".into())
            })
            .map(|(_, mv)| mv["payload"].clone())
    });
    assert_eq!(clock["transactionId"], tx, "{clock}");
    assert_eq!(
        measurands(&clock["meterValue"][0]["sampledValue"]),
        ["Energy.Active.Import.Register"],
        "MeterValuesAlignedData: {clock}"
    );
    let ts = clock["meterValue"][0]["timestamp"].as_str().unwrap();
    let secs: u32 = ts[17..19].parse().unwrap();
    assert_eq!(secs % 2, 0, "on the 2 s grid: {ts}");
    assert_eq!(
        change(&mut csms, "ClockAlignedDataInterval", "0"),
        "Accepted"
    );

    // StopTransaction carries the transaction's data.
    d.ctl_ok(&["stop", "2"]);
    let (_, stop) = csms.wait(WAIT, "StopTransaction", |r| stop_of(r, tx));
    let data = stop["transactionData"].as_array().unwrap();
    let ctx = |e: &Value| {
        e["sampledValue"][0]["context"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(ctx(&data[0]), "Transaction.Begin", "{stop}");
    assert_eq!(ctx(data.last().unwrap()), "Transaction.End", "{stop}");
    let periodic: Vec<&Value> = data
        .iter()
        .filter(|e| ctx(e) == "Sample.Periodic")
        .collect();
    assert!(!periodic.is_empty(), "StopTxnSampledData samples: {stop}");
    for e in periodic {
        for m in measurands(&e["sampledValue"]) {
            assert!(
                m == "Energy.Active.Import.Register" || m == "SoC",
                "StopTxnSampledData is Energy.Active.Import.Register,SoC: {e}"
            );
        }
    }
    csms.assert_clean();
}

// ----- availability, unlock -------------------------------------------------------------------

#[test]
fn change_availability_of_the_charge_point_and_unlock_during_a_transaction() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup(dir.path(), &[]);
    let before = answered_at(&csms);
    let s = csms.status_of(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Inoperative"}),
    );
    assert_eq!(s, "Accepted");
    csms.wait(WAIT, "every connector Unavailable", |r| {
        [0, 1, 2]
            .iter()
            .all(|c| {
                statuses_after(r, *c, before).last().map(String::as_str) == Some("Unavailable")
            })
            .then_some(())
    });
    for c in [1, 2] {
        assert_eq!(d.connector(c)["status"], "Unavailable");
    }
    let out = d.ctl(&["start", "1", "--id-tag", "NOPE"]);
    assert!(!out.status.success(), "started on an inoperative connector");
    let before = answered_at(&csms);
    let s = csms.status_of(
        "ChangeAvailability",
        json!({"connectorId": 0, "type": "Operative"}),
    );
    assert_eq!(s, "Accepted");
    csms.wait(WAIT, "every connector Available", |r| {
        [0, 1, 2]
            .iter()
            .all(|c| statuses_after(r, *c, before).last().map(String::as_str) == Some("Available"))
            .then_some(())
    });

    d.plug("1", "20", "80", "350");
    d.ctl_ok(&["start", "1", "--id-tag", "UNLOCK"]);
    let (_, tx) = started(&csms, "UNLOCK");
    d.wait_connector(1, WAIT, "Charging", |c| c["status"] == "Charging");
    assert_eq!(
        csms.status_of("UnlockConnector", json!({"connectorId": 1})),
        "Unlocked"
    );
    let (_, stop) = csms.wait(WAIT, "StopTransaction", |r| stop_of(r, tx));
    assert_eq!(stop["reason"], "UnlockCommand", "{stop}");
    d.wait_connector(1, WAIT, "the session's end", |c| c["transaction"].is_null());
    assert_eq!(
        csms.status_of("UnlockConnector", json!({"connectorId": 3})),
        "NotSupported"
    );
    csms.assert_clean();
}

// ----- chargerctl -----------------------------------------------------------------------------

#[test]
fn chargerctl_shows_the_ocpp_link_and_reads_and_changes_configuration_keys() {
    require_csms!();
    let dir = tempfile::tempdir().unwrap();
    let (mut csms, d) = setup(dir.path(), &[]);
    let text = d.ctl_ok(&["ocpp"]);
    assert!(text.contains("connected"), "{text}");
    assert!(text.contains(&csms.url()), "{text}");
    assert!(text.contains(&format!("{}/{CP_ID}", csms.url())), "{text}");
    assert!(text.contains("registration Accepted"), "{text}");
    assert!(text.contains("outbox"), "{text}");
    let o: Value = serde_json::from_str(&d.ctl_ok(&["--json", "ocpp"])).unwrap();
    assert_eq!(o["connected"], true, "{o}");
    assert_eq!(o["security_profile"], 0, "{o}");
    assert_eq!(o["registration"], "Accepted", "{o}");
    assert_eq!(o["outbox_depth"], 0, "{o}");
    assert_eq!(o["url"], format!("{}/{CP_ID}", csms.url()), "{o}");

    let out = d.ctl_ok(&["config", "get", "HeartbeatInterval"]);
    assert!(
        out.contains("HeartbeatInterval") && out.contains("300"),
        "{out}"
    );
    let keys: Value =
        serde_json::from_str(&d.ctl_ok(&["--json", "config", "get", "HeartbeatInterval"])).unwrap();
    assert_eq!(keys["keys"][0]["value"], "300", "{keys}");
    d.ctl_ok(&["config", "set", "MeterValueSampleInterval", "15"]);
    let conf = csms.call(
        "GetConfiguration",
        json!({"key": ["MeterValueSampleInterval"]}),
    );
    assert_eq!(conf["configurationKey"][0]["value"], "15", "{conf}");
    let out = d.ctl(&["config", "set", "NumberOfConnectors", "3"]);
    assert!(!out.status.success(), "a read-only key changed");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Rejected"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = d.ctl(&["config", "get", "NoSuchKey"]);
    assert!(!out.status.success());
    let conf = csms.call("GetConfiguration", json!({"key": ["NumberOfConnectors"]}));
    assert_eq!(conf["configurationKey"][0]["value"], "2", "{conf}");
    csms.assert_clean();
}
