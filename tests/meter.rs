//! The DC meter as the source of a session's energy, on the plant simulator in simulated time
//! (see `common::Bench`): the energy it counts, a wrapping register, a replaced meter, and a
//! meter that goes silent or freezes mid-session (a gap recorded, nothing invented, a fault
//! raised and cleared, the journal keeping the gap).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use charger_hal::{SimCommand, SimFault};
use charger_protocol::StopReason;
use chargerd::station::fault::FaultKind;
use chargerd::station::{ConnectorSnapshot, ConnectorStatus, StationCommand, StationEvent};
use common::{small_truck, Bench};

const MIN: Duration = Duration::from_secs(60);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// One CHAdeMO connector with a simulated DC meter (`meter` is the TOML inline table's body).
fn config(meter: &str) -> String {
    format!(
        r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 1000
max_current = 250
max_power_kw = 200
can = {{ backend = "simulated" }}
meter = {{ backend = "simulated", {meter} }}
"#
    )
}

fn snapshot(b: &Bench) -> ConnectorSnapshot {
    b.rig
        .station()
        .snapshot()
        .into_iter()
        .find(|c| c.id == 1)
        .unwrap()
}

/// What the truck received at its inlet so far, in Wh: what the meter measures.
fn delivered_wh(b: &mut Bench) -> f64 {
    f64::from(b.probe(1).truck.unwrap().energy_charged_kwh) * 1000.0
}

fn meter_faults(b: &Bench) -> (usize, usize) {
    let count = |raised: bool| {
        b.events
            .iter()
            .filter(|e| match e {
                StationEvent::FaultRaised { fault, .. } if raised => {
                    fault.kind == FaultKind::MeterStale
                }
                StationEvent::FaultCleared { fault, .. } if !raised => {
                    fault.kind == FaultKind::MeterStale
                }
                _ => false,
            })
            .count()
    };
    (count(true), count(false))
}

/// Stop the transaction from the station (the truck stays plugged in, so that what it
/// received can be read) and wait for its end.
fn stop(b: &mut Bench, tx: i64) {
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    assert!(b.run_until(MIN, |b| b.stopped(tx).is_some()));
}

fn clear_faults(b: &mut Bench) {
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
}

/// Plug a truck in, start, and charge until the current reached 150 A; returns the
/// transaction id.
fn charging(b: &mut Bench) -> i64 {
    b.run_for(secs(1));
    b.plug(1, small_truck());
    let tx = b.start(1);
    b.charge_until_current(1, 150.0, MIN);
    tx
}

#[test]
fn the_session_energy_is_what_the_meter_counted() {
    let mut b = Bench::with_config(&config("serial = \"M-1\", start_wh = 5000000"));
    let tx = charging(&mut b);
    b.run_for(2 * MIN);
    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    let start = 5_000_000.0;
    let energy = stop.meter_stop_wh - b.store.transaction(tx).unwrap().unwrap().meter_start_wh;
    let delivered = delivered_wh(&mut b);
    assert!(delivered > 3000.0, "delivered {delivered:.0} Wh");
    // The meter's register counts whole Wh: within 2 Wh of what went through the inlet.
    assert!(
        (energy - delivered).abs() <= 2.0,
        "meter {energy:.1} Wh, delivered {delivered:.1} Wh"
    );
    // The station's register is its own (continuing from the journal), not the meter's raw
    // value: the meter's 5 MWh are not the session's.
    assert!(stop.meter_stop_wh < start);
    assert!(stop.meter_gaps.is_empty());
    assert_eq!(meter_faults(&b), (0, 0));
}

#[test]
fn a_wrapping_register_loses_nothing() {
    // A u32 register 1 kWh short of its top: it wraps within the first minute.
    let mut b = Bench::with_config(&config("start_wh = 4294966296, wrap_wh = 4294967296"));
    let tx = charging(&mut b);
    b.run_for(2 * MIN);
    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    let rec = b.store.transaction(tx).unwrap().unwrap();
    let delivered = delivered_wh(&mut b);
    assert!(
        delivered > 3000.0,
        "the register must have wrapped: {delivered:.0} Wh"
    );
    let energy = rec.energy_wh.unwrap();
    assert!(
        (energy - delivered).abs() <= 2.0,
        "meter {energy:.1} Wh, delivered {delivered:.1} Wh"
    );
    assert!(stop.meter_gaps.is_empty());
}

#[test]
fn a_meter_replaced_mid_session_restarts_counting_and_the_transaction_says_so() {
    let mut b = Bench::with_config(&config("serial = \"M-1\", start_wh = 800000"));
    let tx = charging(&mut b);
    b.run_for(MIN);
    b.fault(1, SimFault::MeterReplaced);
    b.run_for(MIN);
    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    let energy = b.store.transaction(tx).unwrap().unwrap().energy_wh.unwrap();
    let delivered = delivered_wh(&mut b);
    // Only the step of the swap is lost (10 ms at most 200 kW: under 1 Wh), plus rounding.
    assert!(
        (energy - delivered).abs() <= 3.0,
        "meter {energy:.1} Wh, delivered {delivered:.1} Wh"
    );
    assert!(
        stop.faults
            .iter()
            .any(|f| f.contains("DC meter replaced (M-1 → M-1-R1)")),
        "{:?}",
        stop.faults
    );
    assert_eq!(
        meter_faults(&b),
        (0, 0),
        "a replaced meter is not a stale one"
    );
}

#[test]
fn a_meter_silent_for_20_s_leaves_a_recorded_gap_and_invents_nothing() {
    let mut b = Bench::with_config(&config("serial = \"M-1\""));
    let tx = charging(&mut b);
    b.run_for(secs(30));
    let before = snapshot(&b).meter_wh;
    let silent_at = b.now;
    b.fault(1, SimFault::MeterSilent);
    b.run_for(secs(1));
    assert_eq!(meter_faults(&b), (1, 0), "the fault is raised");
    let s = snapshot(&b);
    assert_eq!(
        s.status,
        ConnectorStatus::Charging,
        "the session goes on: {:?}",
        s.status_info
    );
    assert_eq!(
        s.status_fault.as_ref().map(|f| f.kind),
        Some(FaultKind::MeterStale)
    );
    assert!(s.faults.iter().any(|f| f.starts_with("DC meter stale")));
    let delivered_before = delivered_wh(&mut b);
    b.run_for(secs(19));
    // Nothing counted while the meter is silent, though ~0.8 kWh flowed.
    let during = snapshot(&b);
    assert_eq!(
        during.meter_wh, before,
        "energy invented while the meter was silent"
    );
    assert!(delivered_wh(&mut b) - delivered_before > 500.0);
    assert_eq!(during.status, ConnectorStatus::Charging);
    let answers_at = b.now;
    clear_faults(&mut b);
    b.run_for(secs(1));
    assert_eq!(
        meter_faults(&b),
        (1, 1),
        "the fault clears when the meter answers"
    );
    let after = snapshot(&b);
    assert!(after.status_fault.is_none() && after.faults.is_empty());
    // The gap, with its times, reached the journal's event stream.
    let gap = b
        .events
        .iter()
        .find_map(|e| match e {
            StationEvent::MeterGap(g) => Some(g.clone()),
            _ => None,
        })
        .expect("a gap event");
    assert_eq!(gap.transaction_id, tx);
    assert!(
        gap.started_at <= silent_at && silent_at - gap.started_at <= Duration::from_millis(20),
        "gap starts at the last good reading: {:?} vs {:?}",
        gap.started_at,
        silent_at
    );
    assert!(
        gap.ended_at >= answers_at && gap.ended_at - answers_at <= Duration::from_millis(20),
        "{:?} vs {:?}",
        gap.ended_at,
        answers_at
    );
    let secs_long = (gap.ended_at - gap.started_at).as_secs_f64();
    assert!((19.9..20.1).contains(&secs_long), "{secs_long}");
    // The station's estimate and what the meter's register carried across agree.
    let counted = gap
        .counted_wh
        .expect("the cumulative register carries the gap");
    assert!(gap.estimated_wh > 500.0, "{}", gap.estimated_wh);
    assert!(
        (counted - gap.estimated_wh).abs() < gap.estimated_wh * 0.05,
        "counted {counted:.1} Wh, estimated {:.1} Wh",
        gap.estimated_wh
    );
    assert_eq!(gap.cause, "not answering");
    eprintln!(
        "gap {secs_long:.2} s: estimated {:.1} Wh, counted by the meter {counted:.1} Wh",
        gap.estimated_wh
    );

    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    assert_eq!(stop.meter_gaps, vec![gap.clone()]);
    // Counted once, by the meter: the estimate was not added on top.
    let rec = b.store.transaction(tx).unwrap().unwrap();
    let delivered = delivered_wh(&mut b);
    let energy = rec.energy_wh.unwrap();
    assert!(
        (energy - delivered).abs() <= 2.0,
        "meter {energy:.1} Wh, delivered {delivered:.1} Wh"
    );
    eprintln!("transaction: meter {energy:.1} Wh, delivered {delivered:.1} Wh");
    // Journal round-trip.
    assert_eq!(rec.meter_gaps.len(), 1);
    let g = &rec.meter_gaps[0];
    assert!((g.seconds - secs_long).abs() < 1e-6);
    assert_eq!(g.estimated_wh, gap.estimated_wh);
    assert_eq!(g.counted_wh, gap.counted_wh);
    assert_eq!(g.cause, "not answering");
    assert_eq!(g.ended_at, format!("t+{}", gap.ended_at));
}

/// A meter silent when the transaction ends, or replaced while it was silent: the gap is
/// recorded with nothing counted, and the transaction's energy misses it (no estimate added).
#[test]
fn a_gap_the_register_cannot_carry_is_recorded_as_not_counted() {
    let mut b = Bench::with_config(&config("serial = \"M-1\", start_wh = 1000"));
    let tx = charging(&mut b);
    b.run_for(secs(10));
    b.fault(1, SimFault::MeterSilent);
    b.run_for(secs(10));
    let frozen_register = snapshot(&b).meter_wh;
    b.fault(1, SimFault::MeterReplaced);
    clear_faults(&mut b);
    b.run_for(secs(10));
    b.fault(1, SimFault::MeterSilent);
    b.run_for(secs(5));
    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    assert_eq!(stop.meter_gaps.len(), 2, "{:?}", stop.meter_gaps);
    for g in &stop.meter_gaps {
        assert_eq!(g.counted_wh, None, "{g:?}");
        assert!(g.estimated_wh > 200.0, "{g:?}");
    }
    assert!(snapshot(&b).meter_wh > frozen_register);
    let energy = b.store.transaction(tx).unwrap().unwrap().energy_wh.unwrap();
    let missed: f64 = stop.meter_gaps.iter().map(|g| g.estimated_wh).sum();
    let delivered = delivered_wh(&mut b);
    assert!(
        (energy + missed - delivered).abs() < delivered * 0.02,
        "counted {energy:.0} + missed {missed:.0} vs delivered {delivered:.0}"
    );
    assert_eq!(
        b.store.transaction(tx).unwrap().unwrap().meter_gaps.len(),
        2
    );
}

/// With `safety.stop_on_meter_failure`, a silent meter ends the session and keeps the
/// connector Faulted until it answers; the gap up to the stop is recorded.
#[test]
fn configured_to_stop_a_silent_meter_ends_the_session() {
    let text = config("serial = \"M-1\"").replace(
        "[[connectors]]",
        "[safety]\nstop_on_meter_failure = true\n\n[[connectors]]",
    );
    let mut b = Bench::with_config(&text);
    let tx = charging(&mut b);
    b.run_for(secs(5));
    b.fault(1, SimFault::MeterSilent);
    assert!(b.run_until(MIN, |b| b.stopped(tx).is_some()));
    let stop = b.stopped(tx).unwrap();
    assert!(
        matches!(&stop.reason, StopReason::ChargerFault(t) if t.starts_with("DC meter stale")),
        "{:?}",
        stop.reason
    );
    assert_eq!(stop.meter_gaps.len(), 1);
    assert_eq!(stop.meter_gaps[0].counted_wh, None);
    assert_eq!(b.status(1), ConnectorStatus::Faulted);
    let s = snapshot(&b);
    assert_eq!(s.status_fault.map(|f| f.kind), Some(FaultKind::MeterStale));
    clear_faults(&mut b);
    b.run_for(secs(1));
    assert_eq!(meter_faults(&b), (1, 1));
    assert_ne!(b.status(1), ConnectorStatus::Faulted);
}

/// A frozen meter answers with old values: found by the reading's age, a gap like a silent one.
/// A garbage jump in one reading is not counted.
#[test]
fn a_frozen_meter_and_a_jump_count_nothing_false() {
    let mut b = Bench::with_config(&config("serial = \"M-1\""));
    let tx = charging(&mut b);
    b.run_for(secs(5));
    b.fault(1, SimFault::MeterJump);
    b.run_for(secs(5));
    b.fault(1, SimFault::MeterFrozen);
    b.run_for(secs(10));
    // The jump raised and cleared the fault; the frozen meter raised it again.
    assert_eq!(meter_faults(&b), (2, 1));
    assert_eq!(snapshot(&b).status, ConnectorStatus::Charging);
    clear_faults(&mut b);
    b.run_for(secs(5));
    stop(&mut b, tx);
    let stop = b.stopped(tx).unwrap();
    let causes: Vec<&str> = stop.meter_gaps.iter().map(|g| g.cause.as_str()).collect();
    assert_eq!(stop.meter_gaps.len(), 2, "{causes:?}");
    assert!(causes[0].starts_with("implausible jump"), "{causes:?}");
    assert!(causes[1].starts_with("reading"), "{causes:?}");
    assert!(stop.meter_gaps.iter().all(|g| g.counted_wh.is_some()));
    let energy = b.store.transaction(tx).unwrap().unwrap().energy_wh.unwrap();
    let delivered = delivered_wh(&mut b);
    assert!(
        (energy - delivered).abs() <= 2.0,
        "meter {energy:.1} Wh, delivered {delivered:.1} Wh"
    );
}
