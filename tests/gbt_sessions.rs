//! Whole GB/T 27930 charging sessions on the plant simulator, through the real station core,
//! in simulated time, with the safety invariants checked on every 10 ms step
//! (see `common::Bench`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use charger_hal::{SimFault, TruckSpec};
use charger_protocol::{SessionPhase, StopReason};
use chargerd::station::{ConnectorStatus, StationCommand};
use common::{small_truck, Bench};

const MIN: Duration = Duration::from_secs(60);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// One GB/T connector (400 A, the most the 2015 current field carries) and one CHAdeMO.
const GBT_CONFIG: &str = r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 240
can = { backend = "simulated" }

[[connectors]]
id = 2
protocol = "chademo"
max_voltage = 1000
max_current = 200
max_power_kw = 150
can = { backend = "simulated" }
"#;

fn bench() -> Bench {
    Bench::with_config(GBT_CONFIG)
}

fn snapshot(b: &Bench, id: u32) -> chargerd::station::ConnectorSnapshot {
    b.rig
        .station()
        .snapshot()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
}

#[test]
fn a_gbt_truck_charges_to_its_target_and_shows_what_it_said() {
    let mut b = bench();
    b.plug(1, small_truck());
    let tx = b.start(1);
    b.charge_until_current(1, 150.0, MIN);
    assert_eq!(b.status(1), ConnectorStatus::Charging);
    let snap = snapshot(&b, 1);
    let v = &snap.vehicle;
    assert_eq!(v.vin.as_deref(), Some("LGHC4V1D5PE000123"));
    assert_eq!(v.battery_type.as_deref(), Some("LFP"));
    assert_eq!(v.protocol.as_deref(), Some("GB/T 27930 V1.1.0"));
    assert_eq!(v.charge_mode.as_deref(), Some("constant current"));
    assert!(v.max_cell_voltage.is_some_and(|c| c > 2.5 && c < 3.65));
    assert_eq!(v.max_temperature_c, Some(31.0));
    assert!(v.soc_percent.is_some_and(|s| (69.0..=80.0).contains(&s)));
    let done = b.run_until(30 * MIN, |b| b.stopped(tx).is_some());
    assert!(done, "session did not finish; status {:?}", b.status(1));
    let stop = b.stopped(tx).unwrap();
    assert_eq!(stop.reason, StopReason::VehicleRequest);
    let truck = b.probe(1).truck.unwrap();
    assert!(
        (80.0..81.0).contains(&truck.soc_percent),
        "{}",
        truck.soc_percent
    );
    let delivered_wh = f64::from(truck.energy_charged_kwh) * 1000.0;
    assert!(
        (stop.meter_stop_wh - delivered_wh).abs() < delivered_wh * 0.02,
        "meter {:.0} Wh, truck {delivered_wh:.0} Wh",
        stop.meter_stop_wh
    );
    b.run_for(secs(3));
    assert_eq!(b.phase(1), SessionPhase::Idle);
    let p = b.probe(1);
    assert!(!p.outputs.io.connector_lock, "unlocked at the end");
    assert!(
        !p.outputs.io.lines.aux_power,
        "auxiliary supply off at the end"
    );
    assert_eq!(b.status(1), ConnectorStatus::Finishing);
    b.unplug(1);
    b.run_for(secs(1));
    assert_eq!(b.status(1), ConnectorStatus::Available);
}

#[test]
fn the_bms_pauses_and_resumes_through_bsm() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 200.0, MIN);
    b.fault(1, SimFault::VehiclePause);
    let paused = b.run_until(secs(3), |b| {
        b.probe(1).truck.is_some_and(|t| t.battery_current < 1.0)
    });
    assert!(paused, "current did not fall while the BMS paused");
    b.run_for(secs(5));
    let p = b.probe(1);
    assert!(
        p.outputs.io.contactors,
        "a pause keeps the contactors closed"
    );
    assert_eq!(b.phase(1), SessionPhase::Charging);
    assert!(snapshot(&b, 1)
        .vehicle
        .faults
        .iter()
        .any(|f| f.contains("paused")));
    b.rig
        .simulate(1, charger_hal::SimCommand::ClearFaults, b.now)
        .unwrap();
    b.charge_until_current(1, 200.0, secs(10));
    assert!(
        b.stopped(tx).is_none(),
        "the session went on after the pause"
    );
}

#[test]
fn a_silent_bms_gets_cem_three_handshakes_then_the_session_ends_safely() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 200.0, MIN);
    b.fault(1, SimFault::CanSilent);
    // BCL is due every 50 ms and missed after 1 s: the output is made safe at once.
    b.assert_safe_within(1, secs(3), secs(4));
    let done = b.run_until(MIN, |b| b.stopped(tx).is_some());
    assert!(done, "session did not end; phase {:?}", b.phase(1));
    match b.stopped(tx).unwrap().reason {
        // The BCL timeout, then two handshakes that got no BRM.
        StopReason::CommunicationLost(why) => {
            assert!(
                why.contains("BRM timeout after 3 handshake attempts"),
                "{why}"
            )
        }
        other => panic!("stopped for {other:?}"),
    }
    let p = b.probe(1);
    assert!(!p.outputs.io.contactors && !p.outputs.power.enabled);
    assert!(!p.outputs.io.connector_lock && !p.outputs.io.lines.aux_power);
}

#[test]
fn a_local_stop_ends_with_cst_bst_bsd_csd() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 200.0, MIN);
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    b.assert_safe_within(1, secs(2), secs(3));
    let done = b.run_until(secs(15), |b| b.stopped(tx).is_some());
    assert!(done);
    assert_eq!(b.stopped(tx).unwrap().reason, StopReason::Local);
    b.run_for(secs(2));
    let p = b.probe(1);
    assert!(!p.outputs.io.connector_lock && !p.outputs.io.lines.aux_power);
    assert_eq!(b.status(1), ConnectorStatus::Finishing);
}

#[test]
fn unplugging_mid_charge_is_safe() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 200.0, MIN);
    b.unplug(1);
    b.run_for(secs(1));
    let p = b.probe(1);
    assert!(!p.outputs.io.contactors);
    let done = b.run_until(secs(10), |b| b.stopped(tx).is_some());
    assert!(done);
    assert_eq!(b.stopped(tx).unwrap().reason, StopReason::Unplugged);
}

#[test]
fn an_insulation_fault_at_the_test_never_closes_onto_the_battery() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    b.fault(1, SimFault::Insulation);
    let tx = b.start(1);
    let done = b.run_until(MIN, |b| b.stopped(tx).is_some());
    assert!(done);
    assert!(matches!(
        b.stopped(tx).unwrap().reason,
        StopReason::InsulationFailure(_)
    ));
    let truck = b.probe(1).truck.unwrap();
    assert!(!truck.ev_contactors_closed);
    assert_eq!(truck.energy_charged_kwh, 0.0);
}

#[test]
fn a_bms_fault_bit_stops_the_charge() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 200.0, MIN);
    b.fault(1, SimFault::VehicleFault);
    b.assert_safe_within(1, secs(2), secs(3));
    let done = b.run_until(secs(15), |b| b.stopped(tx).is_some());
    assert!(done);
    match b.stopped(tx).unwrap().reason {
        StopReason::VehicleFault(why) => assert!(why.contains("over-temperature"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn both_protocols_charge_side_by_side() {
    let mut b = bench();
    b.plug(1, TruckSpec::default());
    b.plug(2, TruckSpec::default());
    b.start(1);
    b.start(2);
    b.charge_until_current(1, 200.0, MIN);
    b.charge_until_current(2, 150.0, MIN);
    assert_eq!(b.status(1), ConnectorStatus::Charging);
    assert_eq!(b.status(2), ConnectorStatus::Charging);
}

fn autocharge_bench(allowed: &str) -> Bench {
    let cfg = GBT_CONFIG.replace(
        "[[connectors]]\nid = 1",
        &format!(
            "[authorization]\nmode = \"local-list\"\nid_tags = [\"{allowed}\"]\nautocharge = true\n\n[[connectors]]\nid = 1"
        ),
    );
    Bench::with_config(&cfg)
}

fn transactions_started(b: &Bench) -> Vec<chargerd::station::TransactionStart> {
    b.events
        .iter()
        .filter_map(|e| match e {
            chargerd::station::StationEvent::TransactionStarted(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn autocharge_starts_a_transaction_for_a_known_vin() {
    let mut b = autocharge_bench("LGHC4V1D5PE000123");
    b.plug(1, small_truck());
    // No start command: the VIN from BRM authorizes the session.
    let started = b.run_until(MIN, |b| !transactions_started(b).is_empty());
    assert!(started, "no transaction; status {:?}", b.status(1));
    let tx = transactions_started(&b)[0].clone();
    assert_eq!(tx.id_tag, "LGHC4V1D5PE000123");
    assert_eq!(tx.connector, 1);
    b.charge_until_current(1, 150.0, MIN);
    let done = b.run_until(30 * MIN, |b| b.stopped(tx.transaction_id).is_some());
    assert!(done);
    let rec = b.store.transaction(tx.transaction_id).unwrap().unwrap();
    assert_eq!(rec.id_tag, "LGHC4V1D5PE000123");
    assert!(rec.energy_wh.unwrap() > 1000.0);
    // The CHAdeMO connector carries no VIN: autocharge leaves it alone.
    b.plug(2, small_truck());
    b.run_for(secs(20));
    assert_eq!(b.phase(2), SessionPhase::Idle);
}

#[test]
fn autocharge_refuses_an_unknown_vin_without_delivering_energy() {
    let mut b = autocharge_bench("LFV00000000000000");
    b.plug(1, small_truck());
    let ended = b.run_until(MIN, |b| {
        snapshot(b, 1).last_stop == Some(StopReason::DeAuthorized)
    });
    assert!(ended, "session not refused; status {:?}", b.status(1));
    assert!(
        transactions_started(&b).is_empty(),
        "no transaction for an unknown VIN"
    );
    let truck = b.probe(1).truck.unwrap();
    assert!(
        truck.energy_charged_kwh < 0.001,
        "{} kWh",
        truck.energy_charged_kwh
    );
    b.run_for(secs(5));
    let p = b.probe(1);
    assert!(!p.outputs.io.contactors && !p.outputs.power.enabled);
    assert!(!p.outputs.io.lines.aux_power && !p.outputs.io.connector_lock);
    assert_eq!(b.status(1), ConnectorStatus::Finishing);
    // A technician may still start it by hand with a known tag after a replug... the local list
    // decides: an unknown tag is refused.
    assert!(b
        .command(StationCommand::Start {
            connector: 1,
            id_tag: Some("NOBODY".into())
        })
        .is_err());
}

// ----- the vehicle on the bus, through the station core ----------------------------------------

mod vehicle_values_fuzz {
    use super::*;
    use charger_hal::SimCommand;
    use proptest::prelude::*;

    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32)
    }

    fn edge(values: &[f32]) -> impl Strategy<Value = f32> {
        prop::sample::select(values.to_vec())
    }

    /// Trucks described with edge values (0 V or 2,000 V batteries, requests above any rating,
    /// SOC above 100 %, NaN, infinities, a 0 kWh pack) plugged into both connectors of the
    /// station core on the simulated plant, with a fault thrown in mid-session: the plant
    /// simulator refuses what it cannot model, and whatever it accepts charges within
    /// `Bench`'s invariants (insulation test and precharge before the path closes, current
    /// ramped down before it opens, …), never offered above the connector's rating or the
    /// truck's maximum, and every session that ends says why.
    /// A plausible small truck with up to two of its values replaced by edge ones.
    fn any_truck() -> impl Strategy<Value = TruckSpec> {
        let edges = [
            0.0f32,
            1.0,
            99.9,
            100.0,
            150.0,
            2000.0,
            -1.0,
            -5.0,
            1e9,
            f32::NAN,
            f32::INFINITY,
        ];
        (
            20.0f32..79.0,
            0.5f32..5.0,
            300.0f32..900.0,
            50.0f32..400.0,
            prop::collection::vec((0usize..5, edge(&edges)), 0..3),
        )
            .prop_map(|(soc, capacity, volts, amps, overrides)| {
                let mut t = TruckSpec {
                    soc_percent: soc,
                    target_soc_percent: 80.0,
                    capacity_kwh: capacity,
                    max_voltage: volts,
                    max_current: amps,
                };
                for (field, v) in overrides {
                    match field {
                        0 => t.soc_percent = v,
                        1 => t.target_soc_percent = v,
                        2 => t.capacity_kwh = v,
                        3 => t.max_voltage = v,
                        _ => t.max_current = v,
                    }
                }
                t
            })
    }

    #[test]
    fn vehicle_values_fuzz_station_core_with_absurd_trucks() {
        let fault = proptest::option::of(prop::sample::select(SimFault::ALL.to_vec()));
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        runner
            .run(
                &(any_truck(), any_truck(), fault, 0u64..40),
                |(t1, t2, fault, fault_at_s)| {
                    let mut b = bench();
                    let mut accepted = Vec::new();
                    for (id, t) in [(1u32, &t1), (2u32, &t2)] {
                        if b.rig
                            .simulate(id, SimCommand::Plug(t.clone()), b.now)
                            .is_ok()
                        {
                            accepted.push((id, t.clone()));
                        }
                    }
                    b.run_for(Duration::from_millis(200));
                    for (id, _) in &accepted {
                        let _ = b.command(StationCommand::Start {
                            connector: *id,
                            id_tag: Some("FLEET-042".into()),
                        });
                    }
                    for s in 0..60u64 {
                        if s == fault_at_s {
                            if let Some(f) = fault {
                                for (id, _) in &accepted {
                                    let _ = b.rig.simulate(*id, SimCommand::Fault(f), b.now);
                                }
                            }
                        }
                        for _ in 0..100 {
                            b.step();
                            for (id, t) in &accepted {
                                let p = b.probe(*id);
                                let rating = if *id == 1 { 400.0 } else { 200.0 };
                                prop_assert!(
                                    p.outputs.power.current.is_finite()
                                        && p.outputs.power.current <= rating + 1e-3,
                                    "connector {id}: {:?}",
                                    p.outputs.power
                                );
                                // The truck's maximum as its protocol carries it: GB/T in
                                // 0.1 A steps, CHAdeMO in whole amperes (rounded).
                                let resolution = if *id == 1 { 0.1 } else { 1.0 };
                                // The energy path: our contactors and the truck's closed.
                                let path_closed = p.outputs.io.contactors
                                    && p.truck.as_ref().is_some_and(|t| t.ev_contactors_closed);
                                if t.max_current.is_finite() && path_closed {
                                    prop_assert!(
                                        p.outputs.power.current
                                            <= t.max_current.max(0.0) + resolution / 2.0 + 1e-3,
                                        "connector {id}: {} A offered to a truck of at most {} A \
                                         ({:?}, {:?} A measured)",
                                        p.outputs.power.current,
                                        t.max_current,
                                        p.offer.phase,
                                        p.power.current
                                    );
                                }
                            }
                        }
                    }
                    for e in &b.events {
                        if let chargerd::station::StationEvent::TransactionStopped(t) = e {
                            prop_assert!(!t.reason.to_string().is_empty());
                        }
                    }
                    Ok(())
                },
            )
            .unwrap();
    }
}
