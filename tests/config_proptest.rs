//! Configuration fuzzing: every setting given random and edge TOML values (0, -1, 2^31, 2^32-1,
//! 2^61, 2^63-1, 2^64-1, ±1e308, nan, ±inf, "", a 10 kB string, wrong types). A configuration
//! is either refused with one clean error naming the file and the key, or accepted and then
//! builds a station that runs a simulated session: never a panic.
//!
//! 256 cases in CI; `PROPTEST_CASES=100000 cargo test --release --test config_proptest` runs
//! it long (SECURITY.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_hal::{SimCommand, TruckSpec};
use charger_protocol::Timestamp;
use chargerd::config::{Config, ConfigError};
use chargerd::hardware;
use chargerd::runtime::Rig;
use chargerd::station::{Station, StationCommand};
use chargerd::store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

/// Every setting, as (section header, key, a sane value). The second connector is GB/T.
const SETTINGS: &[(&str, &str, &str)] = &[
    ("[station]", "name", "\"fuzz\""),
    ("[station]", "state_dir", "\"/nonexistent/state\""),
    (
        "[station]",
        "control_socket",
        "\"/nonexistent/run/control.sock\"",
    ),
    (
        "[station]",
        "admin_socket",
        "\"/nonexistent/run/admin.sock\"",
    ),
    ("[station]", "step_interval_ms", "10"),
    ("[station]", "meter_persist_interval_s", "30"),
    ("[authorization]", "mode", "\"local-list\""),
    ("[authorization]", "id_tags", "[\"FLEET-042\"]"),
    ("[authorization]", "auto_start", "false"),
    ("[authorization]", "autocharge", "true"),
    ("[authorization]", "connection_timeout_s", "60"),
    ("[insulation]", "warning_ohm_per_volt", "500.0"),
    ("[insulation]", "fault_ohm_per_volt", "100.0"),
    ("[insulation]", "grace_after_close_ms", "500"),
    ("[safety]", "max_reading_age_ms", "1000"),
    ("[safety]", "current_tolerance_a", "10.0"),
    ("[safety]", "implausible_after_ms", "500"),
    ("[supervision]", "contactor_feedback_deadline_ms", "200"),
    ("[supervision]", "lock_feedback_deadline_ms", "1000"),
    ("[supervision]", "open_deadline_ms", "250"),
    ("[supervision]", "bleeder_deadline_ms", "4000"),
    ("[site]", "max_grid_power_kw", "300.0"),
    ("[site]", "max_grid_current_a", "480.0"),
    ("[site]", "grid_voltage_v", "400.0"),
    ("[site]", "power_factor", "0.95"),
    ("[site]", "converter_efficiency", "0.95"),
    ("[site]", "auxiliary_load_kw", "3.0"),
    ("[site]", "policy", "\"priority\""),
    ("[site]", "priority", "[2, 1]"),
    ("[site]", "request_margin_a", "10.0"),
    ("[[connectors]]", "id", "1"),
    ("[[connectors]]", "protocol", "\"chademo\""),
    ("[[connectors]]", "max_voltage", "1000.0"),
    ("[[connectors]]", "min_voltage", "150.0"),
    ("[[connectors]]", "max_current", "250.0"),
    ("[[connectors]]", "min_current", "0.0"),
    ("[[connectors]]", "max_power_kw", "200.0"),
    ("[[connectors]]", "can", "{ backend = \"simulated\" }"),
    ("[[connectors]]", "hardware", "\"simulated\""),
    ("[[connectors]] #2", "id", "2"),
    ("[[connectors]] #2", "protocol", "\"gbt\""),
    ("[[connectors]] #2", "max_voltage", "1000.0"),
    ("[[connectors]] #2", "min_voltage", "200.0"),
    ("[[connectors]] #2", "max_current", "400.0"),
    ("[[connectors]] #2", "min_current", "0.0"),
    ("[[connectors]] #2", "max_power_kw", "240.0"),
    ("[[connectors]] #2", "aux_supply_v", "24"),
    (
        "[[connectors]] #2",
        "can",
        "{ backend = \"cannelloni\", bind = \"127.0.0.1:0\", peer = \"127.0.0.1:9\" }",
    ),
    ("[[connectors]] #2", "hardware", "\"simulated\""),
    ("[ocpp]", "csms_url", "\"ws://127.0.0.1:9/ocpp\""),
    ("[ocpp]", "charge_point_id", "\"CP-FUZZ\""),
    ("[ocpp]", "version", "\"1.6\""),
    ("[ocpp]", "security_profile", "0"),
    ("[ocpp]", "retry_backoff_min_s", "1"),
    ("[ocpp]", "retry_backoff_max_s", "60"),
    ("[ocpp]", "retry_backoff_random_range_s", "5"),
    ("[ocpp]", "websocket_ping_interval_s", "30"),
    ("[ocpp]", "call_timeout_s", "30"),
    ("[ocpp]", "max_frame_bytes", "65536"),
    // Optional settings, absent in the base document (empty): the fuzzer adds them.
    ("[ocpp]", "authorization_key_file", ""),
    ("[ocpp]", "ca_bundle", ""),
    ("[ocpp]", "client_certificate", ""),
    ("[ocpp]", "client_key", ""),
    ("[ocpp.files]", "work_dir", "\"/nonexistent/ocpp-files\""),
    ("[ocpp.files]", "diagnostics_files", "[]"),
    ("[ocpp.files]", "systemd_unit", "\"chargerd.service\""),
    ("[ocpp.files]", "upload_method", "\"post\""),
    ("[ocpp.files]", "firmware_install_command", ""),
    ("[ocpp.files]", "firmware_signing_roots", ""),
    ("[ocpp.files]", "transfer_ca_bundle", ""),
];

/// Literals no TOML parser accepts (a u64 above i64::MAX): refused as a file error.
const NOT_TOML: &[&str] = &["18446744073709551615", "9223372036854775808"];

fn edge_literal() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = [
        "0",
        "-1",
        "1",
        "2147483648",
        "4294967295",
        "4294967296",
        "2305843009213693952",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "9223372036854775808",
        "1e308",
        "-1e308",
        "1e-308",
        "nan",
        "inf",
        "-inf",
        "-0.0",
        "0.5",
        "\"\"",
        "\"x\"",
        "\"ocpp\"",
        "\"free\"",
        "\"gbt\"",
        "true",
        "[]",
        "[1, 2]",
        "[\"\"]",
        "{}",
        "{ backend = \"socketcan\", interface = \"\" }",
        "{ backend = \"cannelloni\", bind = \"127.0.0.1:9\", peer = \"127.0.0.1:9\" }",
        "{ backend = \"cannelloni\", bind = \"0.0.0.0:0\", peer = \"0.0.0.0:0\" }",
        "\"wss://h/\"",
        "\"ws://\"",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    prop_oneof![
        6 => prop::sample::select(fixed),
        1 => Just(format!("\"{}\"", "k".repeat(10_240))),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| format!("{x:?}")),
        1 => "[a-z0-9:/._-]{0,30}".prop_map(|s| format!("{s:?}")),
    ]
}

/// The base document with `mutations` (index into SETTINGS → literal) applied.
fn document(mutations: &[(usize, String)]) -> String {
    let mut out = String::new();
    let mut header = "";
    for (i, (section, key, sane)) in SETTINGS.iter().enumerate() {
        let value = mutations
            .iter()
            .rev()
            .find(|(m, _)| *m == i)
            .map(|(_, v)| v.as_str())
            .unwrap_or(sane);
        if value.is_empty() {
            continue;
        }
        if *section != header {
            header = section;
            out.push('\n');
            out.push_str(section.trim_end_matches(" #2"));
            out.push('\n');
        }
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}

/// The key paths a clean error may name: the settings, with connector indices.
fn known_key(key: &str) -> bool {
    let bare = key
        .replace("connectors[0].", "connectors.")
        .replace("connectors[1].", "connectors.");
    let bare = bare.split('[').next().unwrap_or_default();
    [
        "station",
        "authorization",
        "insulation",
        "safety",
        "site",
        "connectors",
        "ocpp",
    ]
    .contains(&bare)
        || SETTINGS.iter().any(|(section, name, _)| {
            let section =
                section.trim_matches(|c| c == '[' || c == ']' || c == ' ' || c == '#' || c == '2');
            let full = format!("{section}.{name}");
            bare == full || bare.starts_with(&format!("{full}."))
        })
}

/// An accepted configuration builds the station, which runs and charges for a while.
fn run_station(cfg: &Config) -> Result<(), TestCaseError> {
    if hardware::check(cfg).is_err() {
        return Ok(());
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("journal.sqlite")).unwrap();
    let restored = store.restore().unwrap();
    let Ok(hw) = hardware::build(cfg) else {
        return Ok(());
    };
    let mut now = Timestamp::ZERO;
    let mut rig = Rig::new(
        Station::new(cfg, hardware::session_factory(), &restored, now),
        hw,
    );
    let step = Duration::from_millis(cfg.station.step_interval_ms);
    let ids: Vec<u32> = cfg.connectors.iter().map(|c| c.id).collect();
    for &id in &ids {
        let _ = rig.simulate(id, SimCommand::Plug(TruckSpec::default()), now);
    }
    for i in 0..1500u32 {
        now += step;
        if i == 50 {
            for &id in &ids {
                let _ = rig.command(
                    StationCommand::Start {
                        connector: id,
                        id_tag: Some("FLEET-042".into()),
                    },
                    now,
                );
            }
        }
        rig.step(now);
        while rig.poll_event().is_some() {}
        for view in rig.status() {
            let c = view.station;
            let rating = cfg
                .connectors
                .iter()
                .find(|k| k.id == c.id)
                .map_or(0.0, |k| k.max_current);
            prop_assert!(
                c.offered_current.is_finite() && c.offered_current <= rating + 1e-3,
                "connector {}: {} A offered, rated {} A",
                c.id,
                c.offered_current,
                rating
            );
        }
    }
    Ok(())
}

#[test]
fn config_fuzz_every_setting_is_refused_by_name_or_runs() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let strategy = prop::collection::vec((0..SETTINGS.len(), edge_literal()), 1..4);
    let accepted = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |mutations| {
            let text = document(&mutations);
            match Config::from_toml_str(&text, "fuzz.toml") {
                Ok(cfg) => {
                    accepted.set(accepted.get() + 1);
                    run_station(&cfg)?;
                }
                Err(ConfigError::Invalid { file, key, reason }) => {
                    prop_assert_eq!(file, "fuzz.toml");
                    prop_assert!(!reason.is_empty());
                    if key == "(file)" {
                        prop_assert!(
                            mutations
                                .iter()
                                .any(|(_, v)| NOT_TOML.contains(&v.as_str())),
                            "a TOML document refused as a whole: {}\n{}",
                            reason,
                            text
                        );
                    } else {
                        prop_assert!(
                            known_key(&key),
                            "error names no setting: `{}`: {}",
                            key,
                            reason
                        );
                    }
                }
                Err(e @ ConfigError::Read { .. }) => {
                    prop_assert!(false, "{e}");
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "config fuzz: {cases} cases, {} accepted and run",
        accepted.get()
    );
    // The base document itself is valid, so the fuzzer starts from something that runs.
    assert!(Config::from_toml_str(&document(&[]), "fuzz.toml").is_ok());
}

#[test]
fn every_numeric_setting_given_every_edge_value_is_refused_by_name_or_runs() {
    for (i, (_, key, sane)) in SETTINGS.iter().enumerate() {
        if sane.starts_with('"') || sane.starts_with('[') || sane.starts_with('{') {
            continue;
        }
        for v in [
            "0",
            "-1",
            "2147483648",
            "4294967295",
            "2305843009213693952",
            "9223372036854775807",
            "1e308",
            "\"\"",
        ] {
            let text = document(&[(i, v.to_string())]);
            match Config::from_toml_str(&text, "edge.toml") {
                Ok(cfg) => run_station(&cfg).unwrap(),
                Err(ConfigError::Invalid { key: k, reason, .. }) => {
                    assert!(known_key(&k), "{key} = {v}: error names `{k}`: {reason}");
                }
                Err(e) => panic!("{key} = {v}: {e}"),
            }
        }
    }
}
