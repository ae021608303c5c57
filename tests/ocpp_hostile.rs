//! A hostile CSMS against the OCPP 1.6 charge-point core, in simulated time (issue 10).
//!
//! The frame-level property tests (protocol/tests/ocpp_rpc.rs) stop at the parser. The crashes
//! a CSMS can cause sit behind it, in what the core does with a well-formed value: 2^61 seconds
//! of clock-aligned interval, a retry interval that overflows when multiplied, a clock set to
//! year 9999. These suites push schema-valid payloads whose numbers, dates, strings and lists
//! sit at the edges through every CSMS→charge-point call and every CSMS answer, then run the
//! core for simulated hours.
//!
//! Properties: no panic; every call is answered exactly once (CALLRESULT or CALLERROR); the
//! core never busy-loops (its next timeout is always ahead of now, and a simulated hour takes
//! a bounded number of steps); memory stays bounded (outbox window, traffic); the keys keep
//! values inside their ranges.
//!
//! CI runs a bounded number of cases; run them long with
//! `PROPTEST_CASES=20000 cargo test --release --test ocpp_hostile`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use charger_protocol::ocpp::RpcConfig;
use charger_protocol::{StopReason, Timestamp};
use chargerd::ocpp::chargepoint::{
    ChargePoint, CoreAction, FileJob, Identity, JobProgress, Keys, OutboxRecord,
    MAX_PENDING_SECURITY_EVENTS, OUTBOX_WINDOW, REFUSED_IN_MEMORY,
};
use chargerd::ocpp::keys::{numeric_range, NUMERIC_KEYS};
use chargerd::ocpp::meter::MeterReading;
use chargerd::station::{ConnectorStatus, StationEvent, TransactionStart, TransactionStop};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The CSMS endpoint the tests connect to (a reconnect to it needs no new registration).
fn csms_endpoint() -> chargerd::ocpp::chargepoint::Endpoint {
    chargerd::ocpp::chargepoint::Endpoint {
        url: "ws://csms.test/ocpp/CP-TEST".into(),
        security_profile: 0,
    }
}

const T0_UNIX_MS: i64 = 1_795_619_373_000; // 2026-11-25T15:09:33Z
const CONNECTORS: u32 = 2;

/// Integers a CSMS may put in any integer field.
const EDGE_INTS: [i128; 16] = [
    0,
    1,
    -1,
    2,
    60,
    86_400,
    i32::MAX as i128,
    1 << 31,
    u32::MAX as i128,
    1 << 53,
    1 << 61,
    i64::MAX as i128,
    i64::MIN as i128,
    u64::MAX as i128,
    -(1 << 31),
    3_600,
];

/// Decimal numbers (limits, SoC, ...).
const EDGE_FLOATS: [f64; 10] = [0.0, -0.0, 1.0, -1.0, 0.1, 1e-300, 32.5, 1e9, 1e308, -1e308];

/// Dates: the epoch, year 0 and 9999, the distant past and future, a leap second, offsets.
const EDGE_DATES: [&str; 10] = [
    "1970-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "2026-11-25T15:10:00Z",
    "2026-11-25T15:10:00.123456789+14:00",
    "2026-11-25T15:10:00-12:00",
    "2026-12-31T23:59:60Z",
    "2100-01-01T00:00:00Z",
    "2026-11-25T15:09:33Z",
    "2027-02-28T00:00:00Z",
];

fn edge_int(pick: u8) -> Value {
    let v = EDGE_INTS[pick as usize % EDGE_INTS.len()];
    if let Ok(i) = i64::try_from(v) {
        json!(i)
    } else {
        json!(u64::try_from(v).unwrap_or(u64::MAX))
    }
}

fn edge_float(pick: u8) -> Value {
    json!(EDGE_FLOATS[pick as usize % EDGE_FLOATS.len()])
}

fn edge_date(pick: u8) -> Value {
    json!(EDGE_DATES[pick as usize % EDGE_DATES.len()])
}

fn edge_str(pick: u8, max: usize) -> Value {
    match pick % 5 {
        0 => json!(""),
        1 => json!("FLEET-042"),
        2 => json!("x".repeat(max)),
        3 => json!("x".repeat(max + 1)),
        _ => json!("Ω\u{0}\"'<>&%s{}"),
    }
}

fn edge_connector(pick: u8) -> Value {
    match pick % 6 {
        0 => json!(0),
        1 => json!(1),
        2 => json!(2),
        3 => json!(3),
        4 => json!(u32::MAX),
        _ => edge_int(pick / 6),
    }
}

/// One charging schedule with edge values in every number and list length.
fn schedule(p: &[u8; 8]) -> Value {
    let periods: Vec<Value> = (0..(p[0] as usize % 4) * (1 + p[1] as usize % 3))
        .map(|i| {
            let start = if i == 0 {
                json!(0)
            } else {
                edge_int(p[2].wrapping_add(i as u8))
            };
            let mut period =
                json!({"startPeriod": start, "limit": edge_float(p[3].wrapping_add(i as u8))});
            if p[4] % 2 == 0 {
                period["numberPhases"] = edge_int(p[5]);
            }
            period
        })
        .collect();
    let mut s = json!({
        "chargingRateUnit": if p[6] % 2 == 0 { "A" } else { "W" },
        "chargingSchedulePeriod": periods,
    });
    if p[7] % 3 != 0 {
        s["duration"] = edge_int(p[7]);
    }
    if p[7] % 5 == 0 {
        s["startSchedule"] = edge_date(p[1]);
    }
    if p[7] % 7 == 0 {
        s["minChargingRate"] = edge_float(p[2]);
    }
    s
}

fn profile(p: &[u8; 8]) -> Value {
    let purpose = ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"][p[0] as usize % 3];
    let kind = ["Absolute", "Recurring", "Relative"][p[1] as usize % 3];
    let mut v = json!({
        "chargingProfileId": edge_int(p[2]),
        "stackLevel": edge_int(p[3]),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule(p),
    });
    if kind == "Recurring" || p[4] % 3 == 0 {
        v["recurrencyKind"] = json!(if p[4] % 2 == 0 { "Daily" } else { "Weekly" });
    }
    if p[5] % 2 == 0 {
        v["transactionId"] = edge_int(p[5]);
    }
    if p[6] % 2 == 0 {
        v["validFrom"] = edge_date(p[6]);
        v["validTo"] = edge_date(p[7]);
    }
    v
}

fn id_tag_info(p: &[u8; 8]) -> Value {
    let status = ["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"][p[0] as usize % 5];
    let mut v = json!({"status": status});
    if p[1] % 2 == 0 {
        v["expiryDate"] = edge_date(p[2]);
    }
    if p[3] % 3 == 0 {
        v["parentIdTag"] = edge_str(p[4], 20);
    }
    v
}

/// The writable keys a ChangeConfiguration may name, and some it may not.
fn config_key(pick: u8) -> &'static str {
    const OTHER: [&str; 14] = [
        "MeterValuesSampledData",
        "StopTxnSampledData",
        "LocalAuthListEnabled",
        "CpoName",
        "SecurityProfile",
        "AuthorizationKey",
        "NumberOfConnectors",
        "NoSuchKey",
        "AllowOfflineTxForUnknownId",
        "LocalPreAuthorize",
        "AuthorizeRemoteTxRequests",
        "StopTransactionOnInvalidId",
        "MeterValuesAlignedData",
        "StopTxnAlignedData",
    ];
    let all = NUMERIC_KEYS.len() + OTHER.len();
    let i = pick as usize % all;
    NUMERIC_KEYS
        .get(i)
        .map(|(k, _)| *k)
        .unwrap_or_else(|| OTHER[i - NUMERIC_KEYS.len()])
}

fn config_value(pick: u8) -> Value {
    match pick % 8 {
        0..=3 => json!(edge_int(pick / 8).to_string()),
        4 => json!("1e308"),
        5 => json!(""),
        6 => json!("true"),
        _ => json!("Voltage,SoC"),
    }
}

/// A schema-shaped payload for a CSMS→charge-point call, numbers and lengths at the edges.
fn call_payload(action: &str, p: &[u8; 8]) -> Value {
    match action {
        "CancelReservation" => json!({"reservationId": edge_int(p[0])}),
        "ChangeAvailability" => json!({
            "connectorId": edge_connector(p[0]),
            "type": if p[1] % 2 == 0 { "Inoperative" } else { "Operative" },
        }),
        "ChangeConfiguration" => json!({"key": config_key(p[0]), "value": config_value(p[1])}),
        "ClearCache" | "GetLocalListVersion" => json!({}),
        "ClearChargingProfile" => {
            let mut v = json!({});
            if p[0] % 2 == 0 {
                v["id"] = edge_int(p[1]);
            }
            if p[2] % 2 == 0 {
                v["connectorId"] = edge_connector(p[3]);
            }
            if p[4] % 2 == 0 {
                v["stackLevel"] = edge_int(p[5]);
            }
            v
        }
        "DataTransfer" => json!({"vendorId": edge_str(p[0], 255), "data": edge_str(p[1], 1000)}),
        "GetCompositeSchedule" => json!({
            "connectorId": edge_connector(p[0]),
            "duration": edge_int(p[1]),
            "chargingRateUnit": if p[2] % 2 == 0 { "A" } else { "W" },
        }),
        "GetConfiguration" => {
            let n = [0usize, 1, 64, 65, 500][p[0] as usize % 5];
            json!({"key": (0..n).map(|i| config_key(p[1].wrapping_add(i as u8))).collect::<Vec<_>>()})
        }
        "GetDiagnostics" => json!({
            "location": "https://files.example/upload",
            "retries": edge_int(p[0]),
            "retryInterval": edge_int(p[1]),
            "startTime": edge_date(p[2]),
            "stopTime": edge_date(p[3]),
        }),
        "GetLog" => json!({
            "logType": if p[0] % 2 == 0 { "DiagnosticsLog" } else { "SecurityLog" },
            "requestId": edge_int(p[1]),
            "retries": edge_int(p[2]),
            "retryInterval": edge_int(p[3]),
            "log": {"remoteLocation": "https://files.example/upload", "oldestTimestamp": edge_date(p[4]), "latestTimestamp": edge_date(p[5])},
        }),
        "RemoteStartTransaction" => {
            let mut v = json!({"idTag": edge_str(p[0], 20)});
            if p[1] % 2 == 0 {
                v["connectorId"] = edge_connector(p[2]);
            }
            if p[3] % 3 == 0 {
                v["chargingProfile"] = profile(p);
                v["chargingProfile"]["chargingProfilePurpose"] = json!("TxProfile");
            }
            v
        }
        "RemoteStopTransaction" => json!({"transactionId": edge_int(p[0])}),
        "ReserveNow" => json!({
            "connectorId": edge_connector(p[0]),
            "expiryDate": edge_date(p[1]),
            "idTag": edge_str(p[2], 20),
            "reservationId": edge_int(p[3]),
        }),
        "Reset" => json!({"type": if p[0] % 2 == 0 { "Soft" } else { "Hard" }}),
        "SendLocalList" => {
            let n = [0usize, 1, 3, 1000, 1001][p[0] as usize % 5];
            let list: Vec<Value> = (0..n)
                .map(|i| {
                    json!({"idTag": format!("T{}", i % (1 + p[1] as usize)), "idTagInfo": id_tag_info(p)})
                })
                .collect();
            json!({
                "listVersion": edge_int(p[2]),
                "updateType": if p[3] % 2 == 0 { "Full" } else { "Differential" },
                "localAuthorizationList": list,
            })
        }
        "SetChargingProfile" => json!({
            "connectorId": edge_connector(p[0]),
            "csChargingProfiles": profile(p),
        }),
        "TriggerMessage" | "ExtendedTriggerMessage" => {
            const MESSAGES: [&str; 9] = [
                "BootNotification",
                "Heartbeat",
                "MeterValues",
                "StatusNotification",
                "DiagnosticsStatusNotification",
                "FirmwareStatusNotification",
                "LogStatusNotification",
                "SignChargePointCertificate",
                "BootNotification",
            ];
            let m = MESSAGES[p[0] as usize % MESSAGES.len()];
            let mut v = json!({"requestedMessage": m});
            if p[1] % 2 == 0 {
                v["connectorId"] = edge_connector(p[2]);
            }
            v
        }
        "UnlockConnector" => json!({"connectorId": edge_connector(p[0])}),
        "UpdateFirmware" => json!({
            "location": "https://files.example/fw.img",
            "retrieveDate": edge_date(p[0]),
            "retries": edge_int(p[1]),
            "retryInterval": edge_int(p[2]),
        }),
        "SignedUpdateFirmware" => json!({
            "requestId": edge_int(p[0]),
            "retries": edge_int(p[1]),
            "retryInterval": edge_int(p[2]),
            "firmware": {
                "location": "https://files.example/fw.img",
                "retrieveDateTime": edge_date(p[3]),
                "installDateTime": edge_date(p[4]),
                "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                "signature": "AAAA",
            },
        }),
        "GetInstalledCertificateIds" => json!({"certificateType": "CentralSystemRootCertificate"}),
        "DeleteCertificate" => json!({"certificateHashData": {
            "hashAlgorithm": "SHA256", "issuerNameHash": "00", "issuerKeyHash": "00", "serialNumber": "01",
        }}),
        _ => json!({}),
    }
}

const CALLS: [&str; 26] = [
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
    "ExtendedTriggerMessage",
    "GetLog",
    "SignedUpdateFirmware",
    "GetInstalledCertificateIds",
    "DeleteCertificate",
    "ChangeConfiguration",
    "SetChargingProfile",
];

const BOOT_STATUSES: [&str; 4] = ["Accepted", "Pending", "Rejected", "Accepted"];

/// What the CSMS answers to the charge point's own calls: schema-shaped, values at the edges.
fn answer_payload(action: &str, p: &[u8; 8]) -> Value {
    match action {
        "BootNotification" => json!({
            "status": BOOT_STATUSES[p[0] as usize % 4],
            "currentTime": edge_date(p[1]),
            "interval": edge_int(p[2]),
        }),
        "Heartbeat" => json!({"currentTime": edge_date(p[0])}),
        "StartTransaction" => json!({"transactionId": edge_int(p[0]), "idTagInfo": id_tag_info(p)}),
        "Authorize" => json!({"idTagInfo": id_tag_info(p)}),
        "StopTransaction" => {
            if p[0] % 2 == 0 {
                json!({"idTagInfo": id_tag_info(p)})
            } else {
                json!({})
            }
        }
        "DataTransfer" => json!({"status": "Accepted"}),
        "SignCertificate" => json!({"status": if p[0] % 2 == 0 { "Accepted" } else { "Rejected" }}),
        _ => json!({}),
    }
}

/// The charge-point core with a scripted CSMS and shell around it.
struct Harness {
    cp: ChargePoint,
    now: Timestamp,
    disk: BTreeMap<u64, OutboxRecord>,
    /// Station transactions: connector → local id.
    running: BTreeMap<u32, i64>,
    next_tx: i64,
    /// Calls we made that still await their answer.
    unanswered: BTreeSet<String>,
    next_call: u64,
    /// How the CSMS answers its calls: a fixed pick per harness, varied by the proptest.
    answer_picks: [u8; 8],
    answer_errors: bool,
    steps: u64,
}

impl Harness {
    fn new(answer_picks: [u8; 8], answer_errors: bool) -> Harness {
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
        let mut cp = ChargePoint::new(identity, Keys::new(CONNECTORS), cfg, T0_UNIX_MS, now);
        cp.set_ratings(vec![(1, 400.0, 400_000.0), (2, 250.0, 200_000.0)]);
        for connector in 0..=CONNECTORS {
            cp.on_station_event(
                &StationEvent::StatusChanged {
                    connector,
                    status: ConnectorStatus::Available,
                    info: None,
                    fault: None,
                    at: now,
                },
                now,
            );
        }
        let mut h = Harness {
            cp,
            now,
            disk: BTreeMap::new(),
            running: BTreeMap::new(),
            next_tx: 1,
            unanswered: BTreeSet::new(),
            next_call: 1,
            answer_picks,
            answer_errors,
            steps: 0,
        };
        h.cp.on_connected(csms_endpoint(), now);
        // The BootNotification goes out, answered as the picks say.
        h.cp.update(now);
        h.settle();
        h
    }

    /// Drain what the core wants now: frames (answered by the CSMS at once) and actions
    /// (carried out by the shell at once).
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(text) = self.cp.poll_text(self.now) {
                busy = true;
                let frame: Value = serde_json::from_str(&text).expect("the core sends JSON");
                match frame[0].as_u64() {
                    Some(2) => {
                        let action = frame[2].as_str().unwrap_or_default().to_string();
                        let reply = if self.answer_errors && self.answer_picks[7] % 4 == 0 {
                            json!([4, frame[1], "InternalError", "no", {}])
                        } else {
                            json!([3, frame[1], answer_payload(&action, &self.answer_picks)])
                        };
                        // The CSMS answers varied values over the run.
                        self.answer_picks.rotate_left(1);
                        self.cp.on_text(&reply.to_string(), self.now);
                    }
                    Some(3) | Some(4) => {
                        if std::env::var("HOSTILE_TRACE").is_ok() {
                            eprintln!("TRACE {}", &text.chars().take(160).collect::<String>());
                        }
                        let id = frame[1].as_str().unwrap_or_default().to_string();
                        assert!(
                            self.unanswered.remove(&id),
                            "one answer per call, and only to calls: {frame}"
                        );
                    }
                    _ => panic!("unexpected frame {frame}"),
                }
            }
            while let Some(action) = self.cp.poll_action() {
                busy = true;
                self.carry_out(action);
            }
            if !busy {
                return;
            }
        }
        panic!("the core never settles");
    }

    fn carry_out(&mut self, action: CoreAction) {
        match action {
            CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                self.disk.insert(r.seq, r);
            }
            CoreAction::OutboxRemove(seq) => {
                self.disk.remove(&seq);
            }
            CoreAction::OutboxLoad { after_seq, limit } => {
                let records = self
                    .disk
                    .range(after_seq.saturating_add(1)..)
                    .take(limit)
                    .map(|(_, r)| r.clone())
                    .collect();
                self.cp.outbox_loaded(records);
            }
            CoreAction::ReadMeters {
                connectors,
                context,
            } => {
                let readings = connectors
                    .iter()
                    .map(|c| MeterReading {
                        connector: *c,
                        transaction_id: self.running.get(c).copied(),
                        energy_wh: 1000.0,
                        voltage: 650.0,
                        current: 200.0,
                        offered_current: 250.0,
                        soc_percent: Some(50.0),
                        temperature_c: Some(30.0),
                        pin_temperature_c: None,
                        coolant_temperature_c: None,
                    })
                    .collect();
                self.cp.on_meter_readings(readings, context, self.now);
            }
            CoreAction::Station {
                reply: Some(reply), ..
            } => self.cp.command_done(reply, true, false),
            CoreAction::ShellCall { reply, request } => {
                use charger_protocol::ocpp::v16;
                let response: v16::Response = match request {
                    v16::Request::InstallCertificate(_) => v16::InstallCertificateResponse {
                        status: v16::InstallCertificateStatusEnum::Rejected,
                    }
                    .into(),
                    v16::Request::DeleteCertificate(_) => v16::DeleteCertificateResponse {
                        status: v16::DeleteCertificateStatusEnum::NotFound,
                    }
                    .into(),
                    v16::Request::GetInstalledCertificateIds(_) => {
                        v16::GetInstalledCertificateIdsResponse {
                            status: v16::GetInstalledCertificateStatusEnum::NotFound,
                            certificate_hash_data: None,
                        }
                        .into()
                    }
                    v16::Request::CertificateSigned(_) => v16::CertificateSignedResponse {
                        status: v16::CertificateSignedStatusEnum::Rejected,
                    }
                    .into(),
                    _ => v16::ChangeConfigurationResponse {
                        status: v16::ConfigurationStatus::Rejected,
                    }
                    .into(),
                };
                self.cp.shell_reply(reply, Some(response));
            }
            CoreAction::Job(job) => {
                let (id, progress) = match job {
                    FileJob::DownloadFirmware { job, .. } => {
                        (job, JobProgress::DownloadFailed("no server".into()))
                    }
                    FileJob::CheckImageVersion { job } => {
                        (job, JobProgress::ImageVersionUnknown("no hook".into()))
                    }
                    FileJob::InstallFirmware { job } => {
                        (job, JobProgress::InstallationFailed("no hook".into()))
                    }
                    FileJob::Cancel { .. } => return,
                    FileJob::Upload { job, .. } => {
                        (job, JobProgress::UploadFailed("no server".into()))
                    }
                    FileJob::GenerateCsr { job } => {
                        (job, JobProgress::UploadFailed("no key".into()))
                    }
                };
                self.cp.job_progress(id, progress, self.now);
            }
            _ => {}
        }
    }

    fn call(&mut self, action: &str, payload: Value) {
        let id = format!("h{}", self.next_call);
        self.next_call += 1;
        self.unanswered.insert(id.clone());
        let text = json!([2, id, action, payload]).to_string();
        self.cp.on_text(&text, self.now);
        self.settle();
        assert!(
            !self.unanswered.contains(&id),
            "{action} answered at once: {text}"
        );
    }

    /// Run the core for `d` of simulated time, waking only when it asks to.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        // An hour at the tightest settings (1 s sample, 1 s heartbeat) is a few thousand
        // wake-ups; more means the core is spinning.
        let budget = 20_000 * (1 + d.as_secs() / 3600);
        let mut wakeups = 0u64;
        loop {
            self.cp.update(self.now);
            self.settle();
            self.steps += 1;
            assert!(
                self.cp.in_memory_outbox() <= OUTBOX_WINDOW + REFUSED_IN_MEMORY,
                "outbox window bounded"
            );
            if self.now >= end {
                return;
            }
            let next = self.cp.poll_timeout().unwrap_or(end).min(end);
            let next = if next <= self.now {
                self.now + Duration::from_millis(1)
            } else {
                next
            };
            wakeups += 1;
            assert!(
                wakeups <= budget,
                "{wakeups} wake-ups in {d:?}: the core spins (next timeout {next:?}, now {:?})",
                self.now
            );
            self.now = next;
        }
    }

    fn plug_and_start(&mut self, connector: u32) {
        if self.running.contains_key(&connector) {
            return;
        }
        let tx = self.next_tx;
        self.next_tx += 1;
        self.running.insert(connector, tx);
        self.cp.on_station_event(
            &StationEvent::TransactionStarted(TransactionStart {
                transaction_id: tx,
                connector,
                id_tag: "FLEET-042".into(),
                meter_start_wh: 1000.0,
                at: self.now,
            }),
            self.now,
        );
        self.settle();
    }

    fn stop(&mut self, connector: u32) {
        if let Some(tx) = self.running.remove(&connector) {
            self.cp.on_station_event(
                &StationEvent::TransactionStopped(TransactionStop {
                    transaction_id: tx,
                    connector,
                    meter_stop_wh: 51_000.0,
                    reason: StopReason::Local,
                    faults: Vec::new(),
                    meter_gaps: Vec::new(),
                    soc_percent: Some(80.0),
                    at: self.now,
                }),
                self.now,
            );
            self.settle();
        }
    }

    /// Every key the core reports holds a value inside its range.
    fn assert_keys_in_range(&self) {
        let listed = self.cp.keys().list();
        for (key, range) in NUMERIC_KEYS {
            let v = listed.iter().find(|k| k.key == key).unwrap();
            let n: u64 = v.value.as_deref().unwrap().parse().unwrap();
            assert!(
                (range.min..=range.max).contains(&n),
                "{key} = {n} outside its range"
            );
        }
    }
}

/// The acceptance test: every writable key gets the edge values; out-of-range values
/// are Rejected (or refused by the schema), 0 is Accepted where it means "off", and the core
/// runs for simulated hours with a transaction going, after each key and at the end.
#[test]
fn every_writable_key_survives_edge_values_and_hours_of_running() {
    const VALUES: [&str; 8] = [
        "0",
        "-1",
        "2147483648",
        "4294967295",
        "2305843009213693952",
        "9223372036854775807",
        "18446744073709551615",
        "1e308",
    ];
    let mut h = Harness::new([0, 0, 0, 0, 0, 0, 0, 1], false);
    h.plug_and_start(1);
    let writable: Vec<&'static str> =
        h.cp.keys()
            .list()
            .iter()
            .filter(|k| !k.readonly)
            .map(|k| k.key)
            .collect();
    assert!(writable.len() >= 20, "{writable:?}");
    let long = "9".repeat(10_240);
    for key in &writable {
        for value in VALUES.iter().copied().chain(["", long.as_str()]) {
            let before = h.cp.keys().clone();
            let id = format!("k{}", h.next_call);
            h.next_call += 1;
            let text = json!([2, id, "ChangeConfiguration", {"key": key, "value": value}]);
            h.cp.on_text(&text.to_string(), h.now);
            let mut answer = None;
            while let Some(t) = h.cp.poll_text(h.now) {
                let f: Value = serde_json::from_str(&t).unwrap();
                if f[1] == json!(id) {
                    answer = Some(f);
                }
            }
            h.settle();
            let answer = answer.unwrap_or_else(|| panic!("{key}={value} answered"));
            let status = if answer[0] == 4 {
                // Only the schema refuses: the 500-character limit of `value`.
                assert!(value.len() > 500, "{key}={value}: {answer}");
                "CALLERROR"
            } else {
                answer[2]["status"].as_str().unwrap()
            };
            if let Some(range) = numeric_range(key) {
                let in_range = value
                    .parse::<u64>()
                    .is_ok_and(|n| (range.min..=range.max).contains(&n));
                if in_range {
                    assert_eq!(status, "Accepted", "{key}={value}");
                } else {
                    assert_ne!(status, "Accepted", "{key}={value}");
                    assert_eq!(h.cp.keys(), &before, "{key}={value} changed nothing");
                }
            } else if status != "Accepted" {
                assert_eq!(h.cp.keys(), &before, "{key}={value} changed nothing");
            }
            // The same value through `chargerctl config set`: the same checks.
            let mut local = Harness::new([0; 8], false);
            let r = local.cp.local_change_configuration(key, value, local.now);
            if let Some(range) = numeric_range(key) {
                let in_range = value
                    .parse::<u64>()
                    .is_ok_and(|n| (range.min..=range.max).contains(&n));
                assert_eq!(r.is_ok(), in_range, "config set {key}={value}: {r:?}");
            }
            h.assert_keys_in_range();
        }
        // A few minutes with whatever the key took, at once: the ClockAlignedDataInterval of
        // 2^61 s crashed here.
        h.run(Duration::from_secs(300));
    }
    // 0 means "off" where it has that meaning.
    for key in ["ClockAlignedDataInterval", "MeterValueSampleInterval"] {
        h.call("ChangeConfiguration", json!({"key": key, "value": "0"}));
        let v =
            h.cp.keys()
                .list()
                .into_iter()
                .find(|k| k.key == key)
                .unwrap();
        assert_eq!(v.value.as_deref(), Some("0"), "{key} off");
    }
    h.run(Duration::from_secs(6 * 3600));
    h.stop(1);
    h.run(Duration::from_secs(3600));
    h.assert_keys_in_range();
}

/// BootNotification and Heartbeat answers are as hostile as calls: an interval of 2^64-1
/// seconds and a clock in year 9999 or 0 leave the heartbeat inside its range and the wall
/// clock plausible.
#[test]
fn hostile_boot_answers_are_bounded() {
    for interval in [
        json!(u64::MAX),
        json!(i64::MAX),
        json!(1u64 << 61),
        json!(-1),
    ] {
        for time in [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
        ] {
            let mut h = Harness::new([0; 8], false);
            // The harness answered the first boot with a sane interval; reconnect to another
            // endpoint (which registers again) and answer that boot with the hostile values.
            h.cp.on_disconnected(h.now);
            let other = chargerd::ocpp::chargepoint::Endpoint {
                url: "ws://other-csms.test/ocpp/CP-TEST".into(),
                ..csms_endpoint()
            };
            h.cp.on_connected(other, h.now);
            h.cp.update(h.now);
            let boot: Value = serde_json::from_str(&h.cp.poll_text(h.now).unwrap()).unwrap();
            assert_eq!(boot[2], "BootNotification");
            let answer = json!([3, boot[1], {"status": "Accepted", "currentTime": time, "interval": interval}]);
            h.cp.on_text(&answer.to_string(), h.now);
            h.settle();
            h.assert_keys_in_range();
            // Wall-clock timestamps the core writes stay in the CSMS-independent present.
            h.plug_and_start(1);
            h.run(Duration::from_secs(120));
            let start = h
                .disk
                .values()
                .chain(std::iter::empty())
                .find(|r| r.action == "StartTransaction");
            if let Some(r) = start {
                let ts = r.payload["timestamp"].as_str().unwrap();
                assert!(ts.starts_with("2026-11-25"), "{time}: {ts}");
            }
            h.run(Duration::from_secs(3 * 3600));
        }
    }
}

/// A CSMS that steps the clock by a year at every heartbeat and never answers a
/// SecurityEventNotification: each answer raises SettingSystemTime (a critical event), which
/// would queue without end. The queue stays bounded (the oldest of the same type dropped and
/// counted), and no transaction message is ever dropped.
#[test]
fn a_csms_stepping_the_clock_forever_cannot_grow_the_security_event_queue() {
    let mut h = Harness::new([0; 8], false);
    h.call(
        "ChangeConfiguration",
        json!({"key": "HeartbeatInterval", "value": "1"}),
    );
    h.plug_and_start(1);
    let mut flip = false;
    let end = h.now + Duration::from_secs(3 * 3600);
    while h.now < end {
        h.cp.update(h.now);
        while let Some(text) = h.cp.poll_text(h.now) {
            let f: Value = serde_json::from_str(&text).unwrap();
            if f[0] == 2 && f[2] == "Heartbeat" {
                flip = !flip;
                let time = if flip {
                    "2027-11-25T15:10:00Z"
                } else {
                    "2026-11-25T15:10:00Z"
                };
                let answer = json!([3, f[1], {"currentTime": time}]);
                h.cp.on_text(&answer.to_string(), h.now);
            }
            // Anything else is never answered: it times out and is sent again.
        }
        while let Some(a) = h.cp.poll_action() {
            h.carry_out(a);
        }
        h.now += Duration::from_secs(1);
    }
    assert!(
        h.cp.security_events_dropped() > 5_000,
        "{}",
        h.cp.security_events_dropped()
    );
    let events = h
        .disk
        .values()
        .filter(|r| r.action == "SecurityEventNotification")
        .count();
    assert!(
        events <= MAX_PENDING_SECURITY_EVENTS,
        "{events} events queued"
    );
    // Every periodic sample of the transaction is still there (MeterValueSampleInterval 60 s).
    let samples = h
        .disk
        .values()
        .filter(|r| r.action == "MeterValues")
        .count();
    assert!(samples >= 3 * 60 - 1, "{samples} samples kept");
    assert!(h.disk.values().any(|r| r.action == "StartTransaction"));
}

fn picks() -> impl Strategy<Value = [u8; 8]> {
    proptest::array::uniform8(any::<u8>())
}

#[derive(Debug, Clone)]
enum Step {
    Call(usize, [u8; 8]),
    Advance(u8),
    Start(u32),
    Stop(u32),
    Reconnect,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..CALLS.len(), picks()).prop_map(|(c, p)| Step::Call(c, p)),
        2 => any::<u8>().prop_map(Step::Advance),
        1 => (1..=CONNECTORS).prop_map(Step::Start),
        1 => (1..=CONNECTORS).prop_map(Step::Stop),
        1 => Just(Step::Reconnect),
    ]
}

fn advance_of(pick: u8) -> Duration {
    match pick % 6 {
        0 => Duration::from_millis(u64::from(pick)),
        1 => Duration::from_secs(u64::from(pick)),
        2 => Duration::from_secs(60),
        3 => Duration::from_secs(900),
        4 => Duration::from_secs(3600),
        _ => Duration::from_secs(86_400),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    /// Each CSMS call on its own, edge values everywhere, then hours of running.
    #[test]
    fn every_csms_call_with_edge_values(call in 0..CALLS.len(), p in picks(), answers in picks()) {
        let mut h = Harness::new(answers, false);
        h.plug_and_start(1);
        h.call(CALLS[call], call_payload(CALLS[call], &p));
        h.run(Duration::from_secs(4 * 3600));
        h.stop(1);
        h.run(Duration::from_secs(3600));
        h.assert_keys_in_range();
    }

    /// Every CSMS answer to the charge point's own calls, edge values everywhere, refusals
    /// mixed in, while transactions come and go.
    #[test]
    fn every_csms_answer_with_edge_values(answers in picks(), errors in any::<bool>()) {
        let mut h = Harness::new(answers, errors);
        h.call("ChangeConfiguration", json!({"key": "MeterValueSampleInterval", "value": "30"}));
        h.call("ChangeConfiguration", json!({"key": "ClockAlignedDataInterval", "value": "900"}));
        h.call("ChangeConfiguration", json!({"key": "HeartbeatInterval", "value": "60"}));
        for round in 0..3 {
            h.plug_and_start(1 + round % CONNECTORS);
            h.run(Duration::from_secs(1800));
            h.stop(1 + round % CONNECTORS);
            h.cp.on_disconnected(h.now);
            h.run(Duration::from_secs(60));
            h.cp.on_connected(csms_endpoint(), h.now);
            h.settle();
        }
        h.run(Duration::from_secs(3 * 3600));
        h.assert_keys_in_range();
    }

    /// Random sequences of CSMS calls interleaved with trucks starting and stopping, the
    /// link dropping, and time passing in jumps up to a day.
    #[test]
    fn random_csms_sessions(steps in proptest::collection::vec(step(), 1..40), answers in picks()) {
        let mut h = Harness::new(answers, false);
        for s in steps {
            match s {
                Step::Call(c, p) => h.call(CALLS[c], call_payload(CALLS[c], &p)),
                Step::Advance(p) => h.run(advance_of(p)),
                Step::Start(c) => h.plug_and_start(c),
                Step::Stop(c) => h.stop(c),
                Step::Reconnect => {
                    h.cp.on_disconnected(h.now);
                    h.unanswered.clear();
                    h.cp.on_connected(csms_endpoint(), h.now);
                    h.settle();
                }
            }
            h.assert_keys_in_range();
        }
        for c in 1..=CONNECTORS {
            h.stop(c);
        }
        // Hours on, with every bound checked at each wake-up (see `run`).
        h.run(Duration::from_secs(2 * 3600));
        h.assert_keys_in_range();
    }
}
