//! Whatever text arrives, the OCPP-J endpoint does not panic, yields exactly one event per frame
//! and answers with at most one frame; its own CALL goes out only when one is due.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use charger_protocol::ocpp::{Frame, OcppVersion, RpcConfig, RpcEndpoint, RpcEvent};
use charger_protocol::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Placeholder in generated frames for the id of our outstanding CALL.
const OUTSTANDING: &str = "$OUTSTANDING";

fn any_version() -> impl Strategy<Value = OcppVersion> {
    prop_oneof![Just(OcppVersion::V16), Just(OcppVersion::V201)]
}

/// Leaf JSON values, biased toward what OCPP payloads hold.
fn any_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-zA-Z0-9 :.+-]{0,30}".prop_map(Value::from),
        prop::sample::select(vec![
            "Accepted",
            "Rejected",
            "Hard",
            "Soft",
            "Immediate",
            "OnIdle",
            "A",
            "W",
            "2024-05-01T12:00:00Z",
            "ISO14443",
            "TxDefaultProfile",
            "Absolute",
        ])
        .prop_map(Value::from),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    any_leaf().prop_recursive(4, 32, 6, |inner| {
        let key = prop::sample::select(vec![
            "connectorId",
            "idTag",
            "type",
            "status",
            "evseId",
            "idToken",
            "remoteStartId",
            "csChargingProfiles",
            "chargingSchedule",
            "limit",
            "key",
            "value",
            "x",
            "currentTime",
            "interval",
            "vendorId",
            "customData",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key.prop_map(str::to_owned), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Frames that look like OCPP-J, with every element possibly wrong.
fn framish() -> impl Strategy<Value = String> {
    let type_id = prop_oneof![
        4 => (2i64..=4).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any_leaf(),
    ];
    let id = prop_oneof![
        4 => "[a-z0-9-]{0,40}".prop_map(Value::from),
        // Replaced by the id of our outstanding CALL, to exercise correlation.
        3 => Just(Value::from(OUTSTANDING)),
        1 => Just(Value::from("-1")),
        1 => any_leaf(),
    ];
    let action = prop_oneof![
        4 => prop::sample::select(vec![
            "Reset", "ClearCache", "RemoteStartTransaction", "RequestStartTransaction",
            "SetChargingProfile", "ChangeConfiguration", "BootNotification", "DataTransfer",
            "UnlockConnector", "Teleport",
        ]).prop_map(Value::from),
        1 => any_leaf(),
    ];
    (type_id, id, action, any_json(), any_json(), 0usize..=6).prop_map(
        |(t, id, action, a, b, len)| {
            let elements = vec![t, id, action, a, b, json!({})];
            Value::Array(elements.into_iter().take(len).collect()).to_string()
        },
    )
}

/// Well-formed frames (valid in one version or both), so that the happy paths run too.
fn well_formed() -> impl Strategy<Value = String> {
    let id = prop_oneof![Just(OUTSTANDING.to_owned()), "[a-z0-9]{1,8}"];
    let frame = prop::sample::select(vec![
        r#"[2,"ID","ClearCache",{}]"#,
        r#"[2,"ID","Reset",{"type":"Hard"}]"#,
        r#"[2,"ID","Reset",{"type":"Immediate"}]"#,
        r#"[2,"ID","DataTransfer",{"vendorId":"v"}]"#,
        r#"[3,"ID",{"currentTime":"2024-05-01T12:00:00Z"}]"#,
        r#"[3,"ID",{}]"#,
        r#"[4,"ID","NotSupported","",{}]"#,
        r#"[4,"ID","FormationViolation","x",{}]"#,
    ]);
    (frame, id).prop_map(|(frame, id)| frame.replace("ID", &id))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => well_formed(),
        3 => framish(),
        1 => any::<String>(),
        1 => "[\\[\\]{}\",:0-9a-z ]{0,40}",
        1 => framish().prop_flat_map(|s| {
            // Truncated frames.
            let len = s.len();
            (Just(s), 0..=len).prop_map(|(s, cut)| s.get(..cut).unwrap_or("").to_owned())
        }),
    ]
}

fn endpoint(version: OcppVersion, small_frames: bool) -> RpcEndpoint {
    RpcEndpoint::new(
        version,
        RpcConfig {
            max_frame_bytes: if small_frames { 64 } else { 256 * 1024 },
            max_pending_incoming: 3,
            ..RpcConfig::default()
        },
    )
}

/// A frame we sent that is a reply (not our own CALL).
fn is_reply(text: &str) -> bool {
    let value: Value = serde_json::from_str(text).expect("we only send JSON");
    let arr = value.as_array().expect("we only send arrays");
    match arr.first().and_then(Value::as_i64) {
        Some(3) => arr.len() == 3,
        Some(4) => {
            assert_eq!(arr.len(), 5, "{text}");
            assert!(
                arr[2].is_string() && arr[3].is_string() && arr[4].is_object(),
                "{text}"
            );
            assert!(
                arr[3].as_str().unwrap_or("").chars().count() <= 255,
                "{text}"
            );
            true
        }
        Some(2) => {
            assert!(Frame::parse(text).is_ok(), "our CALL parses: {text}");
            false
        }
        _ => panic!("not a frame: {text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_yields_one_event_and_at_most_one_reply(
        version in any_version(),
        small_frames in any::<bool>(),
        with_call in any::<bool>(),
        texts in prop::collection::vec((any_text(), any::<bool>()), 1..12),
    ) {
        let mut ep = endpoint(version, small_frames);
        let mut now = Timestamp::ZERO;
        if with_call {
            for _ in 0..4 {
                ep.call("Heartbeat", json!({})).unwrap();
            }
        }
        let mut calls_out = 0;
        while let Some(text) = ep.poll_transmit(now) {
            prop_assert!(!is_reply(&text));
            calls_out += 1;
        }
        prop_assert_eq!(calls_out, usize::from(with_call));

        for (text, wait_long) in &texts {
            // Sometimes past the call timeout: the clock alone concludes our CALL.
            now += std::time::Duration::from_millis(if *wait_long { 40_000 } else { 10 });
            ep.update(now);
            while let Some(event) = ep.poll_event() {
                prop_assert!(matches!(event, RpcEvent::Timeout { .. }), "{:?}", event);
            }
            let sent: Vec<String> = std::iter::from_fn(|| ep.poll_transmit(now)).collect();
            prop_assert!(sent.iter().all(|s| !is_reply(s)) && sent.len() <= 1, "{:?}", sent);
            let outstanding = ep.outstanding().map(|(id, _)| id.to_string());
            let text = text.replace(OUTSTANDING, outstanding.as_deref().unwrap_or("none"));
            ep.handle_text(&text, now);
            let events: Vec<RpcEvent> = std::iter::from_fn(|| ep.poll_event()).collect();
            prop_assert_eq!(events.len(), 1, "{:?} → {:?}", text, events);
            let sent: Vec<String> = std::iter::from_fn(|| ep.poll_transmit(now)).collect();
            let replies = sent.iter().filter(|s| is_reply(s)).count();
            prop_assert!(replies <= 1, "{:?} → {:?}", text, sent);
            // A CALL of ours goes out only when the previous one was concluded.
            let concluded = matches!(
                events[0],
                RpcEvent::Result { .. } | RpcEvent::Error { .. } | RpcEvent::InvalidResult { .. }
            );
            prop_assert!(sent.len() - replies <= usize::from(concluded));
            if concluded {
                prop_assert!(ep.outstanding().is_none() || sent.len() - replies == 1);
            }
            // Answering whatever was passed on never fails for want of a pending call.
            if let RpcEvent::IncomingCall { id, .. } = &events[0] {
                ep.respond_error(id, charger_protocol::ocpp::RpcErrorCode::NotSupported, "test")
                    .unwrap();
                prop_assert_eq!(ep.poll_transmit(now).map(|s| is_reply(&s)), Some(true));
            }
        }
    }

    #[test]
    fn frame_parse_never_panics_and_round_trips(text in any_text(), version in any_version()) {
        let long_description = |f: &Frame| {
            matches!(f, Frame::CallError { description, .. } if description.chars().count() > 255)
        };
        if let Ok(frame) = Frame::parse(&text).map_err(|_| ()).and_then(|f| {
            if long_description(&f) { Err(()) } else { Ok(f) }
        }) {
            let again = Frame::parse(&frame.to_text(version)).unwrap();
            prop_assert_eq!(again, frame);
        }
    }
}
