//! `cargo bench --bench session`: how fast the core and the simulator run a charging session in
//! simulated time. Prints figures; asserts nothing about time (machines vary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use charger_hal::TruckSpec;

fn main() {
    // A 30-minute session on one connector, invariants checked on every 10 ms step.
    let mut b = common::Bench::new();
    b.plug(
        1,
        TruckSpec {
            soc_percent: 10.0,
            target_soc_percent: 95.0,
            capacity_kwh: 400.0,
            ..TruckSpec::default()
        },
    );
    b.start(1);
    let wall = Instant::now();
    b.run_for(Duration::from_secs(30 * 60));
    let t = wall.elapsed();
    let steps = 30 * 60 * 100;
    println!(
        "30-minute session, 2 connectors, invariants on: {:.3} s wall, {:.2} µs/step, {:.0}x real time",
        t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / steps as f64,
        1800.0 / t.as_secs_f64()
    );

    // The same without the invariant checks: the cost of the rig alone.
    let mut b = common::Bench::new();
    b.plug(1, TruckSpec::default());
    b.start(1);
    let mut now = b.now;
    let wall = Instant::now();
    for _ in 0..steps {
        now += common::STEP;
        b.rig.step(now);
        while b.rig.poll_event().is_some() {}
    }
    let t = wall.elapsed();
    println!(
        "30-minute session, rig only: {:.3} s wall, {:.2} µs/step",
        t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / steps as f64
    );

    // The same on a GB/T connector: J1939 transport for BCS every 250 ms, CCS every 50 ms.
    let mut b = common::Bench::with_config(&common::SIM_CONFIG.replacen(
        "protocol = \"chademo\"\nmax_voltage = 1000\nmax_current = 250",
        "protocol = \"gbt\"\nmax_voltage = 1000\nmax_current = 250",
        1,
    ));
    b.plug(
        1,
        TruckSpec {
            soc_percent: 10.0,
            target_soc_percent: 95.0,
            capacity_kwh: 400.0,
            ..TruckSpec::default()
        },
    );
    b.start(1);
    let wall = Instant::now();
    b.run_for(Duration::from_secs(30 * 60));
    let t = wall.elapsed();
    let charged = b.probe(1).truck.unwrap().energy_charged_kwh;
    assert!(charged > 50.0, "the GB/T truck charged only {charged} kWh");
    println!(
        "30-minute GB/T session, invariants on: {:.3} s wall, {:.2} µs/step, {:.0}x real time",
        t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / steps as f64,
        1800.0 / t.as_secs_f64()
    );
}
