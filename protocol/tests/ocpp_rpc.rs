//! The OCPP-J RPC layer: framing, correlation, one outstanding CALL, timeouts, and the answer
//! to every kind of bad input, per version, checked against the official schemas.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use charger_protocol::ocpp::{
    AbortedCall, Frame, FrameErrorKind, IgnoreReason, MessageId, OcppVersion, Role, RpcConfig,
    RpcEndpoint, RpcError, RpcErrorCode, RpcEvent, ViolationKind,
};
use charger_protocol::Timestamp;
use serde_json::{json, Value};

use OcppVersion::{V16, V201};

const BOTH: [OcppVersion; 2] = [V16, V201];

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn endpoint(version: OcppVersion, role: Role) -> RpcEndpoint {
    RpcEndpoint::new(
        version,
        RpcConfig {
            role,
            id_seed: 42,
            ..RpcConfig::default()
        },
    )
}

/// A charging station's endpoint: chargerd's side.
fn station(version: OcppVersion) -> RpcEndpoint {
    endpoint(version, Role::ChargingStation)
}

/// A CSMS's endpoint, to exercise validation of what stations send.
fn csms(version: OcppVersion) -> RpcEndpoint {
    endpoint(version, Role::Csms)
}

fn transmitted(ep: &mut RpcEndpoint, now: Timestamp) -> Vec<String> {
    std::iter::from_fn(|| ep.poll_transmit(now)).collect()
}

fn events(ep: &mut RpcEndpoint) -> Vec<RpcEvent> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// Feeds one frame; returns the one event it yields and the replies (0 or 1) as JSON. Our own
/// CALLs that became due are handed out too, and dropped: see [`feed_with_calls`].
fn feed(ep: &mut RpcEndpoint, text: &str) -> (RpcEvent, Vec<Value>) {
    let (event, replies, _) = feed_with_calls(ep, text);
    (event, replies)
}

/// [`feed`], also returning the CALLs of ours that went out as a consequence.
fn feed_with_calls(ep: &mut RpcEndpoint, text: &str) -> (RpcEvent, Vec<Value>, Vec<Frame>) {
    ep.handle_text(text, at(0));
    let mut evs = events(ep);
    assert_eq!(evs.len(), 1, "one event per frame, got {evs:?}");
    let mut replies = Vec::new();
    let mut calls = Vec::new();
    for sent in transmitted(ep, at(0)) {
        let value: Value = serde_json::from_str(&sent).expect("we send JSON");
        if value[0] == json!(2) {
            calls.push(Frame::parse(&sent).expect("our CALLs parse"));
        } else {
            replies.push(value);
        }
    }
    assert!(
        replies.len() <= 1,
        "at most one reply per frame: {replies:?}"
    );
    (evs.remove(0), replies, calls)
}

/// The CALLERROR we answered `text` with: (id, code as spelled, description).
fn rejection(ep: &mut RpcEndpoint, text: &str) -> (String, String, String) {
    let (event, replies) = feed(ep, text);
    assert!(
        matches!(event, RpcEvent::Rejected { .. }),
        "expected a rejection of {text}, got {event:?}"
    );
    let [reply] = replies.as_slice() else {
        panic!("expected one reply to {text}");
    };
    let arr = reply.as_array().expect("array");
    assert_eq!(arr.len(), 5, "{reply}");
    assert_eq!(arr[0], json!(4));
    assert_eq!(arr[4], json!({}));
    (
        arr[1].as_str().unwrap().to_owned(),
        arr[2].as_str().unwrap().to_owned(),
        arr[3].as_str().unwrap().to_owned(),
    )
}

/// The code (as spelled on the wire) an incoming CALL is answered with.
fn reply_code(ep: &mut RpcEndpoint, action: &str, payload: Value) -> String {
    let text = json!([2, "c-1", action, payload]).to_string();
    let (id, code, _) = rejection(ep, &text);
    assert_eq!(id, "c-1");
    code
}

fn assert_ignored(ep: &mut RpcEndpoint, text: &str) -> IgnoreReason {
    let (event, replies) = feed(ep, text);
    assert!(replies.is_empty(), "no reply to {text}: {replies:?}");
    match event {
        RpcEvent::Ignored { why } => why,
        other => panic!("expected {text} to be ignored, got {other:?}"),
    }
}

/// What bad input must not change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    outstanding: Option<(MessageId, String)>,
    queued: usize,
    pending: Vec<(MessageId, String)>,
    timeout: Option<Timestamp>,
}

fn snapshot(ep: &RpcEndpoint) -> Snapshot {
    Snapshot {
        outstanding: ep.outstanding().map(|(id, a)| (id.clone(), a.to_owned())),
        queued: ep.queued_calls(),
        pending: ep
            .pending_incoming()
            .map(|(id, a)| (id.clone(), a.to_owned()))
            .collect(),
        timeout: ep.poll_timeout(),
    }
}

fn boot_request(version: OcppVersion) -> Value {
    match version {
        V16 => json!({"chargePointVendor": "chargerd", "chargePointModel": "DC-400"}),
        V201 => json!({
            "reason": "PowerUp",
            "chargingStation": {"vendorName": "chargerd", "model": "DC-400"}
        }),
    }
}

fn boot_response() -> Value {
    json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z", "interval": 300})
}

/// Sends a BootNotification and hands its frame out at `now`; returns its id.
fn boot(ep: &mut RpcEndpoint, now: Timestamp) -> MessageId {
    let version = ep.version();
    let id = ep.call("BootNotification", boot_request(version)).unwrap();
    let sent = transmitted(ep, now);
    assert_eq!(sent.len(), 1);
    id
}

fn result_text(id: &MessageId, payload: Value) -> String {
    json!([3, id.as_str(), payload]).to_string()
}

// ---------------------------------------------------------------- framing

#[test]
fn frames_round_trip() {
    let frames = [
        Frame::Call {
            id: "19223201".into(),
            action: "BootNotification".into(),
            payload: json!({"chargePointVendor": "VendorX", "chargePointModel": "S"}),
        },
        Frame::CallResult {
            id: "19223201".into(),
            payload: json!({"status": "Accepted", "interval": 300}),
        },
        Frame::CallError {
            id: "x".into(),
            code: RpcErrorCode::OccurrenceConstraintViolation,
            description: "missing \"idTag\"".into(),
            details: json!({"k": [1, 2]}),
        },
    ];
    for version in BOTH {
        for frame in &frames {
            let text = frame.to_text(version);
            assert_eq!(&Frame::parse(&text).unwrap(), frame, "{text}");
        }
    }
    assert_eq!(
        frames[0].to_text(V16),
        r#"[2,"19223201","BootNotification",{"chargePointModel":"S","chargePointVendor":"VendorX"}]"#
    );
    assert_eq!(
        frames[2].to_text(V16),
        r#"[4,"x","OccurenceConstraintViolation","missing \"idTag\"",{"k":[1,2]}]"#
    );
    assert_eq!(
        frames[2].to_text(V201),
        r#"[4,"x","OccurrenceConstraintViolation","missing \"idTag\"",{"k":[1,2]}]"#
    );
}

#[test]
fn frames_accept_whitespace_and_any_payload() {
    let frame = Frame::parse(" [ 2 , \"a\" ,\n \"Heartbeat\" , [] ] ").unwrap();
    assert_eq!(
        frame,
        Frame::Call {
            id: "a".into(),
            action: "Heartbeat".into(),
            payload: json!([]),
        }
    );
}

#[test]
fn error_codes_are_spelled_per_version_and_read_in_both_spellings() {
    let expected = [
        (
            RpcErrorCode::NotImplemented,
            "NotImplemented",
            "NotImplemented",
        ),
        (RpcErrorCode::NotSupported, "NotSupported", "NotSupported"),
        (
            RpcErrorCode::InternalError,
            "InternalError",
            "InternalError",
        ),
        (
            RpcErrorCode::ProtocolError,
            "ProtocolError",
            "ProtocolError",
        ),
        (
            RpcErrorCode::SecurityError,
            "SecurityError",
            "SecurityError",
        ),
        (
            RpcErrorCode::FormatViolation,
            "FormationViolation",
            "FormatViolation",
        ),
        (
            RpcErrorCode::PropertyConstraintViolation,
            "PropertyConstraintViolation",
            "PropertyConstraintViolation",
        ),
        (
            RpcErrorCode::OccurrenceConstraintViolation,
            "OccurenceConstraintViolation",
            "OccurrenceConstraintViolation",
        ),
        (
            RpcErrorCode::TypeConstraintViolation,
            "TypeConstraintViolation",
            "TypeConstraintViolation",
        ),
        (RpcErrorCode::GenericError, "GenericError", "GenericError"),
        (
            RpcErrorCode::MessageTypeNotSupported,
            "FormationViolation",
            "MessageTypeNotSupported",
        ),
        (
            RpcErrorCode::RpcFrameworkError,
            "FormationViolation",
            "RpcFrameworkError",
        ),
    ];
    assert_eq!(expected.len(), RpcErrorCode::ALL.len());
    for (code, v16, v201) in expected {
        assert_eq!(code.as_str(V16), v16);
        assert_eq!(code.as_str(V201), v201);
        assert_eq!(RpcErrorCode::parse(v201), Some(code));
        if code.is_defined_in(V16) {
            assert_eq!(RpcErrorCode::parse(v16), Some(code));
        }
    }
    assert!(!RpcErrorCode::RpcFrameworkError.is_defined_in(V16));
    assert!(RpcErrorCode::RpcFrameworkError.is_defined_in(V201));
    assert_eq!(RpcErrorCode::parse("Nonsense"), None);
}

#[test]
fn frame_errors_keep_what_could_be_read() {
    let cases: [(&str, FrameErrorKind, Option<i64>, Option<&str>); 10] = [
        ("{", FrameErrorKind::NotJson(String::new()), None, None),
        ("{}", FrameErrorKind::NotArray, None, None),
        ("[]", FrameErrorKind::MissingMessageType, None, None),
        (
            r#"["2","a","Heartbeat",{}]"#,
            FrameErrorKind::MissingMessageType,
            None,
            Some("a"),
        ),
        (
            r#"[6,"a","Heartbeat",{}]"#,
            FrameErrorKind::UnsupportedMessageType(6),
            Some(6),
            Some("a"),
        ),
        (
            r#"[2,17,"Heartbeat",{}]"#,
            FrameErrorKind::MissingMessageId,
            Some(2),
            None,
        ),
        (
            r#"[2,"a","Heartbeat"]"#,
            FrameErrorKind::WrongLength {
                what: "CALL",
                expected: 4,
                found: 3,
            },
            Some(2),
            Some("a"),
        ),
        (
            r#"[2,"a",7,{}]"#,
            FrameErrorKind::NotAString("action"),
            Some(2),
            Some("a"),
        ),
        (
            r#"[4,"a","Oops","d",{}]"#,
            FrameErrorKind::UnknownErrorCode("Oops".into()),
            Some(4),
            Some("a"),
        ),
        (
            &format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(37)),
            FrameErrorKind::MessageIdTooLong(37),
            Some(2),
            None,
        ),
    ];
    for (text, kind, message_type, message_id) in cases {
        let error = Frame::parse(text).unwrap_err();
        match (&error.kind, &kind) {
            (FrameErrorKind::NotJson(_), FrameErrorKind::NotJson(_)) => {}
            _ => assert_eq!(error.kind, kind, "{text}"),
        }
        assert_eq!(error.message_type, message_type, "{text}");
        if let Some(id) = message_id {
            assert_eq!(error.message_id.as_deref(), Some(id), "{text}");
        }
    }
    // A 36-character id (a UUID) is fine.
    let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assert!(Frame::parse(&format!(r#"[3,"{uuid}",{{}}]"#)).is_ok());
}

// ---------------------------------------------------------------- our calls

#[test]
fn a_result_is_correlated_to_the_outstanding_call() {
    for version in BOTH {
        let mut ep = station(version);
        let id = ep.call("BootNotification", boot_request(version)).unwrap();
        let sent = transmitted(&mut ep, at(0));
        let frame = Frame::parse(&sent[0]).unwrap();
        assert_eq!(
            frame,
            Frame::Call {
                id: id.clone(),
                action: "BootNotification".into(),
                payload: boot_request(version),
            }
        );
        assert_eq!(id.as_str().len(), 36);

        let (event, replies) = feed(&mut ep, &result_text(&id, boot_response()));
        assert!(replies.is_empty());
        assert_eq!(
            event,
            RpcEvent::Result {
                id,
                action: "BootNotification".into(),
                payload: boot_response(),
            }
        );
        assert_eq!(ep.outstanding(), None);
        assert_eq!(ep.poll_timeout(), None);
    }
}

#[test]
fn only_one_call_is_outstanding_and_the_others_wait_in_order() {
    let mut ep = station(V16);
    let a = ep.call("Heartbeat", json!({})).unwrap();
    let b = ep.call("Heartbeat", json!({})).unwrap();
    let c = ep
        .call(
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        )
        .unwrap();
    assert!(a != b && b != c && a != c, "ids are unique");

    let sent = transmitted(&mut ep, at(0));
    assert_eq!(sent.len(), 1, "only the first goes out: {sent:?}");
    assert_eq!(Frame::parse(&sent[0]).unwrap().id(), &a);
    assert_eq!(ep.queued_calls(), 2);

    let (_, _, calls) = feed_with_calls(
        &mut ep,
        &result_text(&a, json!({"currentTime": "2024-05-01T12:00:00Z"})),
    );
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id(), &b);

    // The answer to c before b is answered is not accepted: only b is outstanding.
    let why = assert_ignored(&mut ep, &result_text(&c, json!({})));
    assert_eq!(why, IgnoreReason::UnmatchedResult { id: c.clone() });

    let (_, _, calls) = feed_with_calls(
        &mut ep,
        &result_text(&b, json!({"currentTime": "2024-05-01T12:00:01Z"})),
    );
    assert_eq!(calls[0].id(), &c);
    let (event, _) = feed(&mut ep, &result_text(&c, json!({})));
    assert!(matches!(event, RpcEvent::Result { ref action, .. } if action == "StatusNotification"));
    assert_eq!(ep.outstanding(), None);
    assert_eq!(ep.queued_calls(), 0);
}

#[test]
fn a_timeout_concludes_the_call_and_lets_the_next_one_go() {
    for version in BOTH {
        let mut ep = station(version);
        let first = ep.call("Heartbeat", json!({})).unwrap();
        let second = ep.call("Heartbeat", json!({})).unwrap();
        assert_eq!(
            ep.poll_timeout(),
            None,
            "the timer starts when the frame is handed out"
        );
        assert_eq!(transmitted(&mut ep, at(1_000)).len(), 1);
        assert_eq!(ep.poll_timeout(), Some(at(31_000)));

        ep.update(at(30_999));
        assert!(events(&mut ep).is_empty());
        assert_eq!(transmitted(&mut ep, at(30_999)), Vec::<String>::new());

        ep.update(at(31_000));
        assert_eq!(
            events(&mut ep),
            vec![RpcEvent::Timeout {
                id: first.clone(),
                action: "Heartbeat".into()
            }]
        );
        let sent = transmitted(&mut ep, at(31_000));
        assert_eq!(Frame::parse(&sent[0]).unwrap().id(), &second);
        assert_eq!(ep.poll_timeout(), Some(at(61_000)));

        // The late answer to the first call changes nothing.
        let before = snapshot(&ep);
        let why = assert_ignored(
            &mut ep,
            &result_text(&first, json!({"currentTime": "2024-05-01T12:00:00Z"})),
        );
        assert_eq!(why, IgnoreReason::UnmatchedResult { id: first });
        assert_eq!(snapshot(&ep), before);
    }
}

#[test]
fn the_call_timeout_is_configurable() {
    let mut ep = RpcEndpoint::new(
        V201,
        RpcConfig {
            call_timeout: Duration::from_secs(5),
            ..RpcConfig::default()
        },
    );
    boot(&mut ep, at(100));
    assert_eq!(ep.poll_timeout(), Some(at(5_100)));
}

#[test]
fn a_result_for_no_outstanding_call_is_ignored_without_state_change() {
    for version in BOTH {
        let mut ep = station(version);
        // Nothing outstanding at all.
        let why = assert_ignored(&mut ep, r#"[3,"nobody-asked",{}]"#);
        assert_eq!(
            why,
            IgnoreReason::UnmatchedResult {
                id: "nobody-asked".into()
            }
        );
        let why = assert_ignored(&mut ep, r#"[4,"nobody-asked","GenericError","",{}]"#);
        assert!(matches!(why, IgnoreReason::UnmatchedError { .. }));

        // Something outstanding, queued and pending: a stray answer touches none of it.
        boot(&mut ep, at(0));
        ep.call("Heartbeat", json!({})).unwrap();
        feed(&mut ep, r#"[2,"in-1","ClearCache",{}]"#);
        let before = snapshot(&ep);
        assert_ignored(
            &mut ep,
            &result_text(
                &"00000000-0000-4000-8000-000000000000".into(),
                boot_response(),
            ),
        );
        assert_ignored(&mut ep, r#"[4,"stray","InternalError","x",{}]"#);
        assert_eq!(snapshot(&ep), before);
    }
}

#[test]
fn a_callerror_concludes_our_call() {
    for (version, spelled) in [
        (V16, "OccurenceConstraintViolation"),
        (V201, "OccurrenceConstraintViolation"),
    ] {
        let mut ep = station(version);
        let id = boot(&mut ep, at(0));
        ep.call("Heartbeat", json!({})).unwrap();
        let text = json!([4, id.as_str(), spelled, "missing field", {"field": "x"}]).to_string();
        let (event, replies, calls) = feed_with_calls(&mut ep, &text);
        assert!(replies.is_empty(), "a CALLERROR is never answered");
        assert_eq!(
            event,
            RpcEvent::Error {
                id,
                action: "BootNotification".into(),
                code: RpcErrorCode::OccurrenceConstraintViolation,
                description: "missing field".into(),
                details: json!({"field": "x"}),
            }
        );
        assert_eq!(calls.len(), 1, "the next call goes out");
    }
}

#[test]
fn the_other_spelling_of_a_code_is_understood() {
    // The Python `ocpp` library answers FormatViolation on 1.6.
    let mut ep = station(V16);
    let id = boot(&mut ep, at(0));
    let (event, _) = feed(
        &mut ep,
        &json!([4, id.as_str(), "FormatViolation", "", {}]).to_string(),
    );
    assert!(matches!(
        event,
        RpcEvent::Error {
            code: RpcErrorCode::FormatViolation,
            ..
        }
    ));
}

#[test]
fn a_malformed_answer_to_our_call_concludes_it_without_a_reply() {
    for version in BOTH {
        let mut ep = station(version);
        let id = boot(&mut ep, at(0));
        let (event, replies) = feed(
            &mut ep,
            &json!([4, id.as_str(), "NoSuchCode", "d", {}]).to_string(),
        );
        assert!(replies.is_empty());
        assert!(matches!(
            event,
            RpcEvent::Error { code: RpcErrorCode::GenericError, ref description, .. }
                if description.contains("NoSuchCode")
        ));

        let id = boot(&mut ep, at(0));
        let (event, replies) = feed(&mut ep, &json!([3, id.as_str()]).to_string());
        assert!(replies.is_empty());
        assert!(matches!(
            event,
            RpcEvent::InvalidResult {
                payload: Value::Null,
                ..
            }
        ));
        assert_eq!(ep.outstanding(), None);

        // Malformed and matching nothing: ignored.
        let why = assert_ignored(&mut ep, r#"[3,"zz",{},"extra"]"#);
        assert!(matches!(why, IgnoreReason::MalformedAnswer(_)));
        let why = assert_ignored(&mut ep, r#"[4,"zz"]"#);
        assert!(matches!(why, IgnoreReason::MalformedAnswer(_)));
    }
}

#[test]
fn call_refuses_what_must_not_be_sent() {
    let mut ep = station(V16);
    assert!(matches!(
        ep.call("RequestStartTransaction", json!({})),
        Err(RpcError::UnknownAction { .. })
    ));
    assert!(matches!(
        ep.call("RemoteStartTransaction", json!({"idTag": "A"})),
        Err(RpcError::WrongDirection { .. })
    ));
    let err = ep
        .call(
            "BootNotification",
            json!({"chargePointVendor": "x".repeat(21), "chargePointModel": "m"}),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        RpcError::InvalidPayload { ref violation, .. } if violation.kind == ViolationKind::MaxLength
    ));
    // Float noise in a limit is caught before it reaches the CSMS.
    let mut csms16 = csms(V16);
    let profile = |limit: f64| {
        json!({"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}})
    };
    assert!(matches!(
        csms16.call("SetChargingProfile", profile(31.900000000000002)),
        Err(RpcError::InvalidPayload { ref violation, .. }) if violation.kind == ViolationKind::MultipleOf
    ));
    assert!(csms16.call("SetChargingProfile", profile(31.9)).is_ok());
    // Refusals change nothing.
    assert_eq!(ep.outstanding(), None);
    assert_eq!(transmitted(&mut ep, at(0)), Vec::<String>::new());

    // Without outgoing validation the application is trusted.
    let mut lax = RpcEndpoint::new(
        V16,
        RpcConfig {
            validate_outgoing: false,
            ..RpcConfig::default()
        },
    );
    assert!(lax.call("BootNotification", json!({})).is_ok());
}

#[test]
fn the_call_queue_is_bounded() {
    let mut ep = RpcEndpoint::new(
        V16,
        RpcConfig {
            max_queued_calls: 2,
            ..RpcConfig::default()
        },
    );
    for _ in 0..3 {
        ep.call("Heartbeat", json!({})).unwrap();
    }
    assert_eq!(ep.call("Heartbeat", json!({})), Err(RpcError::QueueFull(2)));
    assert_eq!(ep.queued_calls(), 2);
}

#[test]
fn an_invalid_result_concludes_the_call_with_the_payload_kept() {
    let cases = [
        // (payload, the code describing the violation)
        (
            json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z"}),
            RpcErrorCode::OccurrenceConstraintViolation,
        ),
        (
            json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z", "interval": "300"}),
            RpcErrorCode::TypeConstraintViolation,
        ),
        (
            json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z", "interval": 300.5}),
            RpcErrorCode::TypeConstraintViolation,
        ),
        (
            json!({"status": "Maybe", "currentTime": "2024-05-01T12:00:00Z", "interval": 300}),
            RpcErrorCode::PropertyConstraintViolation,
        ),
        (
            json!({"status": "Accepted", "currentTime": "noon", "interval": 300}),
            RpcErrorCode::TypeConstraintViolation,
        ),
        (
            json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z", "interval": 300, "extra": 1}),
            RpcErrorCode::FormatViolation,
        ),
        (json!([]), RpcErrorCode::FormatViolation),
    ];
    for version in BOTH {
        for (payload, code) in &cases {
            let mut ep = station(version);
            let id = boot(&mut ep, at(0));
            let (event, replies) = feed(&mut ep, &result_text(&id, payload.clone()));
            assert!(replies.is_empty());
            match event {
                RpcEvent::InvalidResult {
                    id: got,
                    action,
                    code: got_code,
                    payload: got_payload,
                    description,
                } => {
                    assert_eq!(got, id);
                    assert_eq!(action, "BootNotification");
                    assert_eq!(got_code, *code, "{version} {payload}: {description}");
                    assert_eq!(&got_payload, payload);
                }
                other => panic!("{version} {payload}: {other:?}"),
            }
            assert_eq!(ep.outstanding(), None);
        }
    }
}

#[test]
fn a_large_heartbeat_interval_is_valid() {
    // rust-ocpp's 2.0.1 type is u16 and would fail on this; the schema says integer.
    let mut ep = station(V201);
    let id = boot(&mut ep, at(0));
    let payload =
        json!({"status": "Accepted", "currentTime": "2024-05-01T12:00:00.000Z", "interval": 86400});
    let (event, _) = feed(&mut ep, &result_text(&id, payload));
    assert!(matches!(event, RpcEvent::Result { .. }), "{event:?}");
}

// ---------------------------------------------------------------- incoming calls

#[test]
fn a_valid_incoming_call_reaches_the_application_and_is_answered() {
    for version in BOTH {
        let mut ep = station(version);
        let (event, replies) = feed(&mut ep, r#"[2,"cs-1","ClearCache",{}]"#);
        assert!(replies.is_empty());
        assert_eq!(
            event,
            RpcEvent::IncomingCall {
                id: "cs-1".into(),
                action: "ClearCache".into(),
                payload: json!({})
            }
        );
        let id = MessageId::from("cs-1");
        ep.respond(&id, json!({"status": "Accepted"})).unwrap();
        assert_eq!(
            transmitted(&mut ep, at(0)),
            vec![r#"[3,"cs-1",{"status":"Accepted"}]"#.to_owned()]
        );
        assert_eq!(
            ep.respond(&id, json!({"status": "Accepted"})),
            Err(RpcError::UnknownIncomingCall(id))
        );
    }
}

#[test]
fn our_answer_is_validated_and_refused_answers_leave_the_call_pending() {
    let mut ep = station(V16);
    feed(&mut ep, r#"[2,"cs-1","ClearCache",{}]"#);
    let id = MessageId::from("cs-1");
    assert!(matches!(
        ep.respond(&id, json!({"status": "Perhaps"})),
        Err(RpcError::InvalidPayload { .. })
    ));
    assert_eq!(ep.pending_incoming().count(), 1);
    let long = "é".repeat(300);
    ep.respond_error(&id, RpcErrorCode::InternalError, &long)
        .unwrap();
    let sent = transmitted(&mut ep, at(0));
    let reply: Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(reply[2], json!("InternalError"));
    assert_eq!(reply[3].as_str().unwrap().chars().count(), 255);
    assert_eq!(ep.pending_incoming().count(), 0);
}

#[test]
fn unknown_and_unsupported_actions() {
    for version in BOTH {
        let mut ep = station(version);
        assert_eq!(
            reply_code(&mut ep, "MakeCoffee", json!({})),
            "NotImplemented"
        );
        // An action of the other version is unknown to this one.
        let other = if version == V16 {
            "RequestStartTransaction"
        } else {
            "RemoteStartTransaction"
        };
        assert_eq!(reply_code(&mut ep, other, json!({})), "NotImplemented");
        // Known, but a station sends it, not the CSMS.
        assert_eq!(
            reply_code(&mut ep, "BootNotification", boot_request(version)),
            "NotSupported"
        );
        // Case matters.
        assert_eq!(
            reply_code(&mut ep, "clearcache", json!({})),
            "NotImplemented"
        );
        assert_eq!(ep.pending_incoming().count(), 0);
    }
    // Known and sendable, but not supported by this configuration.
    let mut ep = RpcEndpoint::new(
        V16,
        RpcConfig {
            supported_actions: Some(BTreeSet::from(["ClearCache".to_owned()])),
            ..RpcConfig::default()
        },
    );
    assert_eq!(reply_code(&mut ep, "GetLog", json!({})), "NotSupported");
    let (event, _) = feed(&mut ep, r#"[2,"ok","ClearCache",{}]"#);
    assert!(matches!(event, RpcEvent::IncomingCall { .. }));
}

#[test]
fn validation_of_incoming_calls_answers_the_right_code_per_version() {
    // (version, action, payload, code on 1.6, code on 2.0.1) for calls a CSMS sends a station.
    let remote_start_16 = json!({"connectorId": "1", "idTag": "TAG"});
    let remote_start_201 =
        json!({"evseId": "1", "remoteStartId": 1, "idToken": {"idToken": "T", "type": "ISO14443"}});
    let profile = |limit: Value| {
        json!({"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}})
    };

    let mut ep = station(V16);
    assert_eq!(
        reply_code(&mut ep, "RemoteStartTransaction", remote_start_16),
        "TypeConstraintViolation"
    );
    assert_eq!(
        reply_code(&mut ep, "RemoteStartTransaction", json!({"connectorId": 1})),
        "OccurenceConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "RemoteStartTransaction",
            json!({"idTag": "x".repeat(21)})
        ),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "RemoteStartTransaction",
            json!({"idTag": "T", "colour": "red"})
        ),
        "FormationViolation"
    );
    assert_eq!(
        reply_code(&mut ep, "RemoteStartTransaction", json!("idTag")),
        "FormationViolation"
    );
    assert_eq!(
        reply_code(&mut ep, "SetChargingProfile", profile(json!(16.05))),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(&mut ep, "Reset", json!({"type": "Warm"})),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "ReserveNow",
            json!({"connectorId": 1, "expiryDate": "tomorrow", "idTag": "T", "reservationId": 1})
        ),
        "TypeConstraintViolation"
    );
    // The code's description says where and why.
    let (_, _, description) = rejection(
        &mut ep,
        &json!([2, "d", "SetChargingProfile", profile(json!(16.05))]).to_string(),
    );
    assert!(
        description.contains("/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit"),
        "{description}"
    );
    assert!(description.contains("16.05"), "{description}");

    // Valid ones pass: one decimal, an integer limit, a time without offset.
    for (i, payload) in [
        profile(json!(16.1)),
        profile(json!(32)),
        profile(json!(31.9)),
    ]
    .into_iter()
    .enumerate()
    {
        let text = json!([2, format!("ok-{i}"), "SetChargingProfile", payload]).to_string();
        let (event, _) = feed(&mut ep, &text);
        assert!(
            matches!(event, RpcEvent::IncomingCall { .. }),
            "{text}: {event:?}"
        );
    }
    let text = json!([2, "ok-r", "ReserveNow", {"connectorId": 1, "expiryDate": "2024-05-01T12:00:00", "idTag": "T", "reservationId": 1}]);
    let (event, _) = feed(&mut ep, &text.to_string());
    assert!(matches!(event, RpcEvent::IncomingCall { .. }), "{event:?}");

    let mut ep = station(V201);
    assert_eq!(
        reply_code(&mut ep, "RequestStartTransaction", remote_start_201),
        "TypeConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "RequestStartTransaction",
            json!({"remoteStartId": 1})
        ),
        "OccurrenceConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "RequestStartTransaction",
            json!({"remoteStartId": 1, "idToken": {"idToken": "T", "type": "Badge"}})
        ),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "RequestStartTransaction",
            json!({"remoteStartId": 1, "idToken": {"idToken": "T", "type": "ISO14443"}, "colour": 1})
        ),
        "FormatViolation"
    );
    assert_eq!(reply_code(&mut ep, "Reset", json!(null)), "FormatViolation");
    assert_eq!(
        reply_code(
            &mut ep,
            "Reset",
            json!({"type": "Immediate", "evseId": 1.5})
        ),
        "TypeConstraintViolation"
    );
    // customData is open: vendor extensions pass.
    let text = json!([2, "ok", "Reset", {"type": "Immediate", "customData": {"vendorId": "x", "anything": [1]}}]);
    let (event, _) = feed(&mut ep, &text.to_string());
    assert!(matches!(event, RpcEvent::IncomingCall { .. }), "{event:?}");
}

#[test]
fn validation_of_what_stations_send_with_a_csms_endpoint() {
    // The station→CSMS schemas, exercised from the CSMS side (for simulators and tests).
    let mut ep = csms(V16);
    assert_eq!(
        reply_code(
            &mut ep,
            "BootNotification",
            json!({"chargePointVendor": "x".repeat(21), "chargePointModel": "m"})
        ),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(
            &mut ep,
            "BootNotification",
            json!({"chargePointModel": "m"})
        ),
        "OccurenceConstraintViolation"
    );
    let (event, _) = feed(&mut ep, &json!([2, "ok", "BootNotification", {"chargePointVendor": "x".repeat(20), "chargePointModel": "m"}]).to_string());
    assert!(matches!(event, RpcEvent::IncomingCall { .. }));

    let mut ep = csms(V201);
    let needs = |soc: i64| {
        json!({"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC",
            "dcChargingParameters": {"evMaxCurrent": 400, "evMaxVoltage": 800, "stateOfCharge": soc}}})
    };
    assert_eq!(
        reply_code(&mut ep, "NotifyEVChargingNeeds", needs(101)),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        reply_code(&mut ep, "NotifyEVChargingNeeds", needs(-1)),
        "PropertyConstraintViolation"
    );
    let (event, _) = feed(
        &mut ep,
        &json!([2, "ok", "NotifyEVChargingNeeds", needs(100)]).to_string(),
    );
    assert!(matches!(event, RpcEvent::IncomingCall { .. }), "{event:?}");
    // minItems: an empty list where at least one element is required.
    assert_eq!(
        reply_code(
            &mut ep,
            "MeterValues",
            json!({"evseId": 1, "meterValue": []})
        ),
        "OccurrenceConstraintViolation"
    );
}

#[test]
fn pipelined_and_duplicate_incoming_calls() {
    let mut ep = RpcEndpoint::new(
        V16,
        RpcConfig {
            max_pending_incoming: 2,
            ..RpcConfig::default()
        },
    );
    let key = |k: &str| json!({"key": k, "value": "1"});
    for (id, k) in [
        ("a", "HeartbeatInterval"),
        ("b", "MeterValueSampleInterval"),
    ] {
        let (event, _) = feed(
            &mut ep,
            &json!([2, id, "ChangeConfiguration", key(k)]).to_string(),
        );
        assert!(matches!(event, RpcEvent::IncomingCall { .. }));
    }
    // A retransmission of "a" is not passed on twice.
    let why = assert_ignored(
        &mut ep,
        &json!([2, "a", "ChangeConfiguration", key("HeartbeatInterval")]).to_string(),
    );
    assert!(matches!(why, IgnoreReason::DuplicateCall { .. }));
    // A third at once is too many.
    let (id, code, _) = rejection(
        &mut ep,
        &json!([2, "c", "ChangeConfiguration", key("X")]).to_string(),
    );
    assert_eq!((id.as_str(), code.as_str()), ("c", "GenericError"));
    // Answers in any order, each by its id.
    ep.respond(&"b".into(), json!({"status": "Accepted"}))
        .unwrap();
    ep.respond(&"a".into(), json!({"status": "Rejected"}))
        .unwrap();
    let sent = transmitted(&mut ep, at(0));
    assert_eq!(
        sent,
        vec![
            r#"[3,"b",{"status":"Accepted"}]"#,
            r#"[3,"a",{"status":"Rejected"}]"#
        ]
    );
}

// ---------------------------------------------------------------- malformed input

/// What a frame must be answered with: nothing, or a CALLERROR with this id and code.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Ignore,
    Reply(&'static str, &'static str),
}

#[test]
fn every_malformed_input_is_answered_as_the_version_says() {
    use Expect::{Ignore, Reply};
    let long_id = "x".repeat(37);
    let long_id_call = format!(r#"[2,"{long_id}","Heartbeat",{{}}]"#);
    let cases: Vec<(&str, &str, Expect, Expect)> = vec![
        // (what, frame, 1.6, 2.0.1)
        (
            "not JSON",
            "[2,\"a\",\"Reset\",{",
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        ("empty text", "", Ignore, Reply("-1", "RpcFrameworkError")),
        (
            "binary junk",
            "\u{0}\u{1}\u{fffd}",
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "not an array",
            r#"{"id":"a"}"#,
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "a bare number",
            "2",
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "empty array",
            "[]",
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "type id a string",
            r#"["2","a","Reset",{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "RpcFrameworkError"),
        ),
        (
            "type id a float",
            r#"[2.0,"a","Reset",{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "RpcFrameworkError"),
        ),
        (
            "unknown type id",
            r#"[5,"a","Reset",{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "MessageTypeNotSupported"),
        ),
        (
            "2.1 SEND",
            r#"[6,"a","NotifyPeriodicEventStream",{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "MessageTypeNotSupported"),
        ),
        (
            "negative type id",
            r#"[-2,"a"]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "MessageTypeNotSupported"),
        ),
        (
            "unknown type, no id",
            "[9]",
            Ignore,
            Reply("-1", "MessageTypeNotSupported"),
        ),
        (
            "id a number",
            r#"[2,17,"Reset",{}]"#,
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "id missing",
            r#"[2]"#,
            Ignore,
            Reply("-1", "RpcFrameworkError"),
        ),
        (
            "id too long",
            long_id_call.as_str(),
            Reply("", "FormationViolation"),
            Reply("", "RpcFrameworkError"),
        ),
        (
            "CALL too short",
            r#"[2,"a","Reset"]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "RpcFrameworkError"),
        ),
        (
            "CALL too long",
            r#"[2,"a","Reset",{},{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "RpcFrameworkError"),
        ),
        (
            "action not a string",
            r#"[2,"a",null,{}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "RpcFrameworkError"),
        ),
        (
            "payload not an object",
            r#"[2,"a","ClearCache","{}"]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "FormatViolation"),
        ),
        (
            "unknown action",
            r#"[2,"a","Teleport",{}]"#,
            Reply("a", "NotImplemented"),
            Reply("a", "NotImplemented"),
        ),
        (
            "wrong type",
            r#"[2,"a","Reset",{"type":1}]"#,
            Reply("a", "TypeConstraintViolation"),
            Reply("a", "TypeConstraintViolation"),
        ),
        (
            "out of enumeration",
            r#"[2,"a","Reset",{"type":"Warm"}]"#,
            Reply("a", "PropertyConstraintViolation"),
            Reply("a", "PropertyConstraintViolation"),
        ),
        (
            "missing field",
            r#"[2,"a","UnlockConnector",{}]"#,
            Reply("a", "OccurenceConstraintViolation"),
            Reply("a", "OccurrenceConstraintViolation"),
        ),
        (
            "unknown property",
            r#"[2,"a","ClearCache",{"x":1}]"#,
            Reply("a", "FormationViolation"),
            Reply("a", "FormatViolation"),
        ),
        ("CALLRESULT for nothing", r#"[3,"a",{}]"#, Ignore, Ignore),
        (
            "CALLERROR for nothing",
            r#"[4,"a","GenericError","",{}]"#,
            Ignore,
            Ignore,
        ),
        ("malformed CALLRESULT", r#"[3,"a"]"#, Ignore, Ignore),
        ("malformed CALLERROR", r#"[4,"a",1,2,3]"#, Ignore, Ignore),
        (
            "CALLERROR with unknown code",
            r#"[4,"a","Oops","",{}]"#,
            Ignore,
            Ignore,
        ),
        ("CALLRESULT without id", r#"[3,null,{}]"#, Ignore, Ignore),
    ];
    for version in BOTH {
        let mut ep = station(version);
        // Something of every kind of state, which none of this may touch.
        boot(&mut ep, at(0));
        ep.call("Heartbeat", json!({})).unwrap();
        feed(&mut ep, r#"[2,"pending","ClearCache",{}]"#);
        let before = snapshot(&ep);

        for (what, text, v16, v201) in &cases {
            let expect = if version == V16 { *v16 } else { *v201 };
            match expect {
                Ignore => {
                    assert_ignored(&mut ep, text);
                }
                Reply(id, code) => {
                    let (got_id, got_code, _) = rejection(&mut ep, text);
                    let id = if id.is_empty() { long_id.as_str() } else { id };
                    assert_eq!(
                        (got_id.as_str(), got_code.as_str()),
                        (id, code),
                        "{version} {what}: {text}"
                    );
                }
            }
            assert_eq!(snapshot(&ep), before, "{version} {what} changed state");
        }
    }
}

#[test]
fn a_frame_over_the_size_limit_is_not_parsed() {
    let config = || RpcConfig {
        max_frame_bytes: 200,
        ..RpcConfig::default()
    };
    let big = "x".repeat(300);
    let big_call = json!([2, "big-1", "DataTransfer", {"vendorId": "v", "data": big}]).to_string();
    let big_junk = format!("[[[{big}");
    for (version, spelled) in [(V16, "FormationViolation"), (V201, "FormatViolation")] {
        let mut ep = RpcEndpoint::new(version, config());
        let (id, code, description) = rejection(&mut ep, &big_call);
        assert_eq!((id.as_str(), code.as_str()), ("big-1", spelled));
        assert!(description.contains("limit of 200"), "{description}");
        assert_eq!(ep.pending_incoming().count(), 0);

        match version {
            V16 => {
                assert_ignored(&mut ep, &big_junk);
            }
            V201 => {
                let (id, code, _) = rejection(&mut ep, &big_junk);
                assert_eq!((id.as_str(), code.as_str()), ("-1", "FormatViolation"));
            }
        }

        // An oversized answer to our call concludes it (it will not come again) …
        let id = boot(&mut ep, at(0));
        ep.call("Heartbeat", json!({})).unwrap();
        let big_result = json!([3, id.as_str(), {"padding": big}]).to_string();
        let (event, replies, calls) = feed_with_calls(&mut ep, &big_result);
        assert!(replies.is_empty());
        assert!(
            matches!(
                event,
                RpcEvent::InvalidResult {
                    code: RpcErrorCode::FormatViolation,
                    ..
                }
            ),
            "{event:?}"
        );
        assert_eq!(calls.len(), 1, "and the next call goes out");
        // … and one matching nothing is ignored.
        let stray = json!([3, "nobody", {"padding": big}]).to_string();
        assert!(matches!(
            assert_ignored(&mut ep, &stray),
            IgnoreReason::MalformedAnswer(_)
        ));
    }
}

// ---------------------------------------------------------------- reconnects

#[test]
fn reset_hands_back_every_unanswered_call() {
    let mut ep = station(V16);
    let boot_id = boot(&mut ep, at(0));
    let hb = ep.call("Heartbeat", json!({})).unwrap();
    feed(&mut ep, r#"[2,"in","ClearCache",{}]"#);

    let aborted = ep.reset();
    assert_eq!(
        aborted,
        vec![
            AbortedCall {
                id: boot_id.clone(),
                action: "BootNotification".into(),
                payload: boot_request(V16),
                maybe_delivered: true,
            },
            AbortedCall {
                id: hb.clone(),
                action: "Heartbeat".into(),
                payload: json!({}),
                maybe_delivered: false
            },
        ]
    );
    assert_eq!(ep.outstanding(), None);
    assert_eq!(ep.queued_calls(), 0);
    assert_eq!(ep.pending_incoming().count(), 0);
    assert_eq!(ep.poll_timeout(), None);
    assert_eq!(transmitted(&mut ep, at(1)), Vec::<String>::new());
    // The old connection's answers mean nothing now.
    assert_ignored(&mut ep, &result_text(&boot_id, boot_response()));
    assert!(matches!(
        ep.respond(&"in".into(), json!({"status": "Accepted"})),
        Err(RpcError::UnknownIncomingCall(_))
    ));

    // Resubmitted calls get fresh ids.
    let again = ep.call("BootNotification", boot_request(V16)).unwrap();
    assert!(again != boot_id && again != hb);
    assert_eq!(transmitted(&mut ep, at(2)).len(), 1);
}

// ---------------------------------------------------------------- end to end

#[test]
fn a_station_and_a_csms_talk() {
    for version in BOTH {
        let mut station = station(version);
        let mut csms = RpcEndpoint::new(
            version,
            RpcConfig {
                role: Role::Csms,
                id_seed: 7,
                ..RpcConfig::default()
            },
        );
        let now = at(0);

        let boot_id = station
            .call("BootNotification", boot_request(version))
            .unwrap();
        for text in transmitted(&mut station, now) {
            csms.handle_text(&text, now);
        }
        let Some(RpcEvent::IncomingCall {
            id,
            action,
            payload,
        }) = csms.poll_event()
        else {
            panic!("the CSMS sees the boot");
        };
        assert_eq!(
            (id.clone(), action.as_str(), payload),
            (boot_id.clone(), "BootNotification", boot_request(version))
        );
        csms.respond(&id, boot_response()).unwrap();
        let reset = match version {
            V16 => json!({"type": "Soft"}),
            V201 => json!({"type": "OnIdle"}),
        };
        let reset_id = csms.call("Reset", reset.clone()).unwrap();
        for text in transmitted(&mut csms, now) {
            station.handle_text(&text, now);
        }
        let got = events(&mut station);
        assert_eq!(
            got,
            vec![
                RpcEvent::Result {
                    id: boot_id,
                    action: "BootNotification".into(),
                    payload: boot_response()
                },
                RpcEvent::IncomingCall {
                    id: reset_id.clone(),
                    action: "Reset".into(),
                    payload: reset
                },
            ]
        );
        station
            .respond(&reset_id, json!({"status": "Accepted"}))
            .unwrap();
        for text in transmitted(&mut station, now) {
            csms.handle_text(&text, now);
        }
        assert!(matches!(csms.poll_event(), Some(RpcEvent::Result { .. })));
    }
}
