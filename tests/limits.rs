//! One place where limits meet: for each source, a session in which it binds, and the status
//! (the snapshot `chargerctl status` shows) naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use charger_hal::TruckSpec;
use chargerd::station::{ConnectorSnapshot, LimitSource, StationCommand};
use common::Bench;

const MIN: Duration = Duration::from_secs(60);

/// One connector of `protocol` with the given ratings, and `extra` TOML (a `[site]` section).
fn bench(protocol: &str, max_current: f32, max_power_kw: f32, extra: &str) -> Bench {
    Bench::with_config(&format!(
        r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"
{extra}

[[connectors]]
id = 1
protocol = "{protocol}"
max_voltage = 1000
max_current = {max_current}
max_power_kw = {max_power_kw}
can = {{ backend = "simulated" }}
"#
    ))
}

fn truck(max_voltage: f32, max_current: f32) -> TruckSpec {
    TruckSpec {
        soc_percent: 30.0,
        target_soc_percent: 90.0,
        capacity_kwh: 400.0,
        max_voltage,
        max_current,
    }
}

fn snapshot(b: &Bench) -> ConnectorSnapshot {
    b.rig.station().snapshot().into_iter().next().unwrap()
}

/// Charge for `secs` seconds of simulated time, then the binding limit.
fn binding_after(b: &mut Bench, t: TruckSpec, secs: u64) -> ConnectorSnapshot {
    b.plug(1, t);
    b.start(1);
    b.charge_until_current(1, 10.0, MIN);
    b.run_for(Duration::from_secs(secs));
    snapshot(b)
}

fn assert_binds(c: &ConnectorSnapshot, source: LimitSource, amps: f32) {
    let binding = c.binding_limit.clone().expect("a binding limit");
    assert_eq!(
        binding.source, source,
        "binding {binding}; limits {:?}",
        c.limits
    );
    assert!(
        (binding.amps - amps).abs() < 1.0,
        "binding {binding}, expected about {amps} A"
    );
    assert!(
        c.current <= amps + 3.0 && c.current > amps - 15.0,
        "{} A flowing under a {amps} A limit",
        c.current
    );
}

#[test]
fn the_connector_rating_binds() {
    let mut b = bench("chademo", 120.0, 250.0, "");
    let c = binding_after(&mut b, truck(750.0, 200.0), 20);
    assert_binds(&c, LimitSource::ConnectorRating, 120.0);
}

#[test]
fn the_power_rating_binds() {
    // 50 kW at ~700 V: ~70 A.
    let mut b = bench("chademo", 250.0, 50.0, "");
    let c = binding_after(&mut b, truck(750.0, 200.0), 20);
    let amps = 50_000.0 / c.voltage;
    assert_binds(&c, LimitSource::PowerRating, amps);
    assert!(c.binding_limit.unwrap().detail.contains("50 kW"));
}

#[test]
fn the_vehicle_maximum_binds() {
    // CHAdeMO 0x100 carries the truck's 90 A maximum; it asks for all of it.
    let mut b = bench("chademo", 250.0, 250.0, "");
    let c = binding_after(&mut b, truck(750.0, 90.0), 20);
    assert_binds(&c, LimitSource::VehicleMaximum, 90.0);
    let detail = c.binding_limit.unwrap().detail;
    assert!(detail.contains("750 V"), "{detail}");
    // GB/T BCP.
    let mut b = bench("gbt", 250.0, 250.0, "");
    let c = binding_after(&mut b, truck(750.0, 90.0), 20);
    assert_eq!(
        c.limits
            .iter()
            .find(|l| l.source == LimitSource::VehicleMaximum)
            .map(|l| l.amps),
        Some(90.0),
        "{:?}",
        c.limits
    );
}

#[test]
fn the_chademo_ceiling_binds() {
    // A 300 A connector speaking CHAdeMO 1.x can still carry only 255 A in one byte (and so
    // can the truck's 0x100: its maximum ties, and the ceiling, listed first, is shown).
    let mut b = bench("chademo", 300.0, 400.0, "");
    let c = binding_after(&mut b, truck(750.0, 255.0), 30);
    assert_binds(&c, LimitSource::ProtocolCeiling, 255.0);
    // GB/T's is on every GB/T connector (the configuration refuses a rating above it).
    let b = bench("gbt", 400.0, 400.0, "");
    let l = snapshot(&b)
        .limits
        .into_iter()
        .find(|l| l.source == LimitSource::ProtocolCeiling)
        .unwrap();
    assert_eq!(l.amps, 400.0);
}

#[test]
fn the_ocpp_connector_profile_binds() {
    let mut b = bench("chademo", 250.0, 250.0, "");
    b.command(StationCommand::SetChargingLimit {
        connector: 1,
        amps: Some(60.0),
        watts: None,
        detail: "charging profile: 60 A".into(),
    })
    .unwrap();
    let c = binding_after(&mut b, truck(750.0, 200.0), 20);
    assert_binds(&c, LimitSource::Ocpp, 60.0);
}

#[test]
fn the_charge_point_profile_share_binds() {
    let mut b = bench("chademo", 250.0, 250.0, "");
    b.command(StationCommand::SetStationLimit {
        amps: Some(80.0),
        watts: None,
        detail: "charge point profile: 80 A".into(),
    })
    .unwrap();
    let c = binding_after(&mut b, truck(750.0, 200.0), 20);
    assert_binds(&c, LimitSource::StationProfile, 80.0);
    assert!(c.binding_limit.unwrap().detail.contains("80 A"));
}

#[test]
fn the_site_share_binds() {
    // 60 kW at the grid, 95 % efficient, 2 kW auxiliary load: 55.1 kW of DC for the truck.
    let mut b = bench(
        "gbt",
        250.0,
        250.0,
        "[site]\nmax_grid_power_kw = 60.0\nconverter_efficiency = 0.95\nauxiliary_load_kw = 2.0",
    );
    let c = binding_after(&mut b, truck(750.0, 200.0), 20);
    let binding = c.binding_limit.clone().unwrap();
    assert_eq!(binding.source, LimitSource::Site, "{binding}");
    assert!(binding.detail.contains("site 60 kW grid"), "{binding}");
    let dc_kw = c.voltage * c.current / 1000.0;
    assert!(dc_kw <= 55.1 + 0.5 && dc_kw > 45.0, "{dc_kw} kW");
}

#[test]
fn the_vehicle_request_binds_and_is_this_steps() {
    // Nearly full: the BMS tapers its request below everything the station offers.
    let mut b = bench("gbt", 250.0, 250.0, "");
    let t = TruckSpec {
        soc_percent: 96.0,
        target_soc_percent: 100.0,
        ..truck(750.0, 200.0)
    };
    b.plug(1, t);
    b.start(1);
    b.charge_until_current(1, 5.0, MIN);
    // The limit shown is the request the session holds now, not the step before's.
    let mut changes = 0;
    let mut last = None;
    let ok = b.run_until(Duration::from_secs(20), |b| {
        let c = snapshot(b);
        let shown = c
            .limits
            .iter()
            .find(|l| l.source == LimitSource::VehicleRequest)
            .map(|l| l.amps);
        assert_eq!(shown, c.vehicle.requested_current, "at {}", b.now);
        if shown != last {
            changes += 1;
            last = shown;
        }
        false
    });
    assert!(!ok);
    assert!(changes > 1, "the request never changed");
    let c = snapshot(&b);
    let request = c.vehicle.requested_current.unwrap();
    assert_binds(&c, LimitSource::VehicleRequest, request);
}
