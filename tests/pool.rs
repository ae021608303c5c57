//! The module pool through the whole station: simulated trucks on two outputs of a cabinet of
//! eight 30 kW modules, a switching matrix wiring every module to both outputs, and the
//! pool's invariants checked at every 10 ms step against what the simulated cabinet really
//! does (which contactors are really closed, what each module really carries).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use charger_hal::TruckSpec;
use charger_protocol::StopReason;
use chargerd::power::ModuleState;
use chargerd::station::{ConnectorStatus, LimitSource, StationCommand};
use common::Bench;

const MODULES: usize = 8;

fn config(site: &str) -> String {
    let mut out = format!(
        r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[site]
{site}

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 300
can = {{ backend = "simulated" }}

[[connectors]]
id = 2
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 300
can = {{ backend = "simulated" }}

[pool]
release_after_s = 5
stale_open_after_ms = 2000  # the simulated modules' own watchdog is 1 s
"#
    );
    for id in 1..=MODULES {
        out.push_str(&format!(
            "\n[[pool.modules]]\nid = {id}\nmax_power_kw = 30\nmax_current_a = 100\n"
        ));
    }
    for id in 1..=MODULES {
        for connector in [1, 2] {
            out.push_str(&format!(
                "\n[[pool.matrix]]\nmodule = {id}\nconnector = {connector}\n"
            ));
        }
    }
    out
}

/// A truck taking up to 250 A around 600 V (150 kW: five modules).
fn truck() -> TruckSpec {
    TruckSpec {
        soc_percent: 30.0,
        target_soc_percent: 95.0,
        capacity_kwh: 400.0,
        max_voltage: 750.0,
        max_current: 250.0,
    }
}

/// The pool's invariants, checked after every step against the simulated cabinet.
struct PoolWatch {
    /// Each module's real connections and current after the previous step.
    connections: Vec<Vec<u32>>,
    currents: Vec<f32>,
    /// The pool's module states after the previous step.
    states: Vec<ModuleState>,
    /// Per output: when its set of active modules last changed.
    changed: [charger_protocol::Timestamp; 2],
    switches: u32,
    steps: u64,
}

impl PoolWatch {
    fn new() -> Self {
        PoolWatch {
            connections: vec![Vec::new(); MODULES],
            currents: vec![0.0; MODULES],
            states: vec![ModuleState::Free; MODULES],
            changed: [charger_protocol::Timestamp::ZERO; 2],
            switches: 0,
            steps: 0,
        }
    }

    fn check(&mut self, b: &mut Bench) {
        let cabinet = b.cabinet.clone().unwrap();
        let connections = cabinet.connections();
        let currents = cabinet.module_currents();
        let pool = b.rig.pool().unwrap();
        for (i, outputs) in connections.iter().enumerate() {
            // Never one module on two outputs.
            assert!(outputs.len() <= 1, "module {} on {outputs:?}", i + 1);
            // Contactors switch only at zero current: the module carried (almost) nothing in
            // the step before its contactor moved.
            if *outputs != self.connections[i] {
                self.switches += 1;
                assert!(
                    self.currents[i].abs() < 2.0,
                    "module {} switched {:?} -> {outputs:?} carrying {:.1} A (t={})",
                    i + 1,
                    self.connections[i],
                    self.currents[i],
                    b.now
                );
            }
        }
        for id in [1u32, 2] {
            let snap = b.rig.station().snapshot();
            let c = snap.iter().find(|c| c.id == id).unwrap();
            // The offer never exceeds what the connected modules can deliver.
            let view = pool.outputs.iter().find(|o| o.output == id).unwrap();
            if let Some(limit) = c.limits.iter().find(|l| l.source == LimitSource::Pool) {
                assert!(
                    c.offered_current <= limit.amps + 0.01,
                    "connector {id} offered {} A above its pool limit {} A",
                    c.offered_current,
                    limit.amps
                );
                assert!((limit.amps - view.capacity_a).abs() < 0.01);
            }
            // The current really delivered stays within the connected modules' capacity
            // (with the supply's slew as slack: a module that just left ramps down).
            let delivered: f32 = currents
                .iter()
                .zip(&connections)
                .filter(|(_, o)| o.contains(&id))
                .map(|(a, _)| a)
                .sum();
            let rated: f32 = connections.iter().filter(|o| o.contains(&id)).count() as f32 * 100.0;
            assert!(
                delivered <= rated + 1.0,
                "{delivered} A from modules rated {rated} A"
            );
            // The modules delivering on an output at their full rating share its current
            // evenly (one leaving carries nothing, one derated less).
            // (Checked once the same modules have been active for a second: one that just
            // joined ramps up at its own slew.)
            let active = ModuleState::Active { output: id };
            let same = pool
                .modules
                .iter()
                .zip(&self.states)
                .all(|(m, before)| (m.state == active) == (*before == active));
            let k = id as usize - 1;
            if !same {
                self.changed[k] = b.now;
            }
            let settled = b.now - self.changed[k] >= Duration::from_secs(1);
            let on: Vec<f32> = currents
                .iter()
                .zip(&pool.modules)
                .filter(|(_, m)| m.state == active && m.capacity_w >= 30_000.0)
                .map(|(a, _)| *a)
                .collect();
            let delivered_even: f32 = on.iter().sum();
            if settled && on.len() > 1 && delivered_even > 50.0 {
                let mean = delivered_even / on.len() as f32;
                for a in &on {
                    assert!((a - mean).abs() <= 0.1 * mean + 1.0, "uneven share {on:?}");
                }
            }
        }
        self.connections = connections;
        self.currents = currents;
        self.states = pool.modules.iter().map(|m| m.state).collect();
        self.steps += 1;
    }
}

fn run(b: &mut Bench, w: &mut PoolWatch, d: Duration) {
    let end = b.now + d;
    while b.now < end {
        b.step();
        w.check(b);
    }
}

fn run_until(
    b: &mut Bench,
    w: &mut PoolWatch,
    limit: Duration,
    mut done: impl FnMut(&mut Bench) -> bool,
) -> bool {
    let end = b.now + limit;
    while b.now < end {
        b.step();
        w.check(b);
        if done(b) {
            return true;
        }
    }
    false
}

/// The indices of the modules active on output `id`.
fn active_on(b: &Bench, id: u32) -> Vec<usize> {
    b.rig
        .pool()
        .unwrap()
        .modules
        .iter()
        .enumerate()
        .filter(|(_, m)| m.state == ModuleState::Active { output: id })
        .map(|(i, _)| i)
        .collect()
}

fn modules_on(b: &Bench, id: u32) -> usize {
    active_on(b, id).len()
}

fn battery_current(b: &mut Bench, id: u32) -> f32 {
    b.probe(id).truck.map_or(0.0, |t| t.battery_current)
}

/// A bench on `cfg` with one truck charging on connector 1 at its full 250 A (245 A or more),
/// watched; with the transaction id.
fn one_truck_charging(cfg: &str) -> (Bench, PoolWatch, i64) {
    let mut b = Bench::with_config(cfg);
    let mut w = PoolWatch::new();
    b.plug(1, truck());
    let tx = b.start(1);
    assert!(
        run_until(&mut b, &mut w, secs(60), |b| battery_current(b, 1) >= 245.0),
        "truck 1 never reached 245 A: {:?}",
        b.rig.pool()
    );
    (b, w, tx)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn two_trucks_share_the_pool_and_modules_move_when_one_leaves() {
    let mut b = Bench::with_config(&config(""));
    let mut w = PoolWatch::new();
    b.plug(1, truck());
    b.start(1);
    // Alone, truck 1 gets what it can take: 250 A.
    assert!(
        run_until(&mut b, &mut w, secs(60), |b| battery_current(b, 1) >= 245.0),
        "truck 1 alone never reached 245 A: {:?}",
        b.rig.pool()
    );
    let alone = modules_on(&b, 1);
    assert!(
        alone >= 5,
        "250 A at ~600 V needs five 30 kW modules, got {alone}"
    );

    // Truck 2 arrives: the eight modules are shared, at least one each at once, and then
    // both trucks take the same power (120 kW each: four modules).
    b.plug(2, truck());
    b.start(2);
    assert!(
        run_until(&mut b, &mut w, secs(60), |b| battery_current(b, 2) >= 150.0),
        "truck 2 never got going: {:?}",
        b.rig.pool()
    );
    run(&mut b, &mut w, secs(10));
    assert_eq!((modules_on(&b, 1), modules_on(&b, 2)), (4, 4));
    let (a1, a2) = (battery_current(&mut b, 1), battery_current(&mut b, 2));
    assert!(a1 > 150.0 && a2 > 150.0, "{a1} A and {a2} A");

    // Truck 1 leaves: its modules move to truck 2, which then takes its full 250 A.
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    assert!(
        run_until(&mut b, &mut w, secs(60), |b| battery_current(b, 2) >= 245.0),
        "truck 2 never got truck 1's modules: {:?}",
        b.rig.pool()
    );
    assert_eq!(modules_on(&b, 1), 0);
    assert!(modules_on(&b, 2) >= 5);
    assert!(w.switches >= 10, "only {} switches", w.switches);
    assert_eq!(b.status(2), ConnectorStatus::Charging);
}

#[test]
fn a_lower_site_budget_mid_session_releases_modules_after_the_current_fell() {
    let (mut b, mut w, _) = one_truck_charging(&config(""));
    assert!(modules_on(&b, 1) >= 5);
    // The CSMS caps the whole station at 60 kW: the current falls at once (the allocator),
    // the surplus modules leave once they have been surplus for release_after (5 s).
    b.command(StationCommand::SetStationLimit {
        amps: None,
        watts: Some(60_000.0),
        detail: "ChargePointMaxProfile 60 kW".into(),
    })
    .unwrap();
    run(&mut b, &mut w, secs(2));
    let v = b.probe(1).power.voltage;
    assert!(battery_current(&mut b, 1) * v <= 61_000.0);
    assert!(modules_on(&b, 1) >= 5, "released before release_after");
    assert!(run_until(&mut b, &mut w, secs(10), |b| modules_on(b, 1) == 2));
    run(&mut b, &mut w, secs(5));
    let p = battery_current(&mut b, 1) * b.probe(1).power.voltage;
    assert!(p > 55_000.0 && p <= 61_000.0, "{p} W on two modules");
}

#[test]
fn a_derating_module_is_backed_up_by_another() {
    let (mut b, mut w, _) = one_truck_charging(&config(""));
    // Before charging the truck's power was budgeted at the connector's highest voltage:
    // the modules it does not need at its battery's leave after release_after.
    run(&mut b, &mut w, secs(8));
    let before = modules_on(&b, 1);
    assert!(before < MODULES, "{before} modules for 250 A at ~640 V");
    let cabinet = b.cabinet.clone().unwrap();
    let on = active_on(&b, 1);
    // Two connected modules overheat and derate to 5 kW each: the pool adds a module.
    cabinet.set_module_derating(on[0], Some(5_000.0));
    cabinet.set_module_derating(on[1], Some(5_000.0));
    assert!(run_until(&mut b, &mut w, secs(10), |b| modules_on(b, 1) > before));
    run(&mut b, &mut w, secs(10));
    assert!(battery_current(&mut b, 1) >= 240.0);
    // Each carries in proportion to what it can deliver: the derated ones far less.
    let currents = cabinet.module_currents();
    let full = b
        .rig
        .pool()
        .unwrap()
        .modules
        .iter()
        .enumerate()
        .filter(|(i, m)| m.state == ModuleState::Active { output: 1 } && !on[..2].contains(i))
        .map(|(i, _)| currents[i])
        .fold(0.0f32, f32::max);
    for &i in &on[..2] {
        assert!(
            currents[i] < full / 3.0,
            "derated {} A, full {full} A",
            currents[i]
        );
    }
}

#[test]
fn priority_serves_the_listed_connector_first() {
    let mut b = Bench::with_config(&config(
        "max_grid_power_kw = 200\npolicy = \"priority\"\npriority = [2, 1]",
    ));
    let mut w = PoolWatch::new();
    b.plug(1, truck());
    b.start(1);
    b.plug(2, truck());
    b.start(2);
    let reached = run_until(&mut b, &mut w, secs(90), |b| battery_current(b, 2) >= 245.0);
    assert!(
        reached,
        "{:?}\n{:?}\n{:?}",
        b.rig.pool(),
        b.rig.station().snapshot(),
        (battery_current(&mut b, 1), battery_current(&mut b, 2))
    );
    run(&mut b, &mut w, secs(10));
    // Connector 2 has all it can take; connector 1 the rest of the site, on at least one
    // module.
    assert!(modules_on(&b, 2) >= 5);
    assert!(modules_on(&b, 1) >= 1);
    assert!(battery_current(&mut b, 2) >= 245.0);
}

#[test]
fn a_module_that_stops_answering_is_switched_out_and_the_session_goes_on() {
    let (mut b, mut w, tx) = one_truck_charging(&config(""));
    let cabinet = b.cabinet.clone().unwrap();
    let victim = active_on(&b, 1)[0];
    cabinet.set_module_silent(victim, true);
    // Its share falls to zero (the others carry the output), its contactor opens once its
    // own watchdog switched it off, and a free module replaces it.
    assert!(run_until(&mut b, &mut w, secs(10), |b| {
        b.cabinet.as_ref().unwrap().connections()[victim].is_empty()
    }));
    assert!(run_until(&mut b, &mut w, secs(30), |b| battery_current(
        b, 1
    ) >= 245.0));
    assert!(b.stopped(tx).is_none(), "the session went on");
    assert_eq!(b.status(1), ConnectorStatus::Charging);
}

#[test]
fn a_welded_matrix_contactor_locks_its_output_out_and_the_other_output_charges_on() {
    let mut b = Bench::with_config(&config(""));
    let mut w = PoolWatch::new();
    b.plug(1, truck());
    let tx1 = b.start(1);
    b.plug(2, truck());
    b.start(2);
    assert!(run_until(&mut b, &mut w, secs(60), |b| {
        battery_current(b, 1) >= 100.0 && battery_current(b, 2) >= 100.0
    }));
    // Weld the contactor of a module on output 1, then free the module by stopping truck 1.
    let cabinet = b.cabinet.clone().unwrap();
    let pool = b.rig.pool().unwrap();
    let victim = active_on(&b, 1)[0];
    let contactor = pool
        .contactors
        .iter()
        .position(|c| c.module == victim as u32 + 1 && c.output == 1)
        .unwrap();
    cabinet.weld_contactor(contactor);
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    assert!(run_until(&mut b, &mut w, secs(30), |b| b
        .rig
        .station()
        .snapshot()
        .iter()
        .any(|c| c.id == 1 && c.status == ConnectorStatus::Faulted)));
    assert!(run_until(&mut b, &mut w, secs(30), |b| b
        .stopped(tx1)
        .is_some()));
    let snap = b.rig.station().snapshot();
    let c1 = snap.iter().find(|c| c.id == 1).unwrap();
    assert!(
        c1.faults.iter().any(|f| f.contains("did not open")),
        "{:?}",
        c1.faults
    );
    // The welded module never goes anywhere else; truck 2 charges on with the rest.
    run(&mut b, &mut w, secs(20));
    assert!(matches!(
        b.rig.pool().unwrap().modules[victim].state,
        ModuleState::LockedOut { output: 1, .. }
    ));
    assert_eq!(cabinet.connections()[victim], vec![1]);
    assert_eq!(b.status(2), ConnectorStatus::Charging);
    assert!(battery_current(&mut b, 2) >= 200.0);
    // A new truck on output 1 cannot start a session there.
    assert_eq!(b.status(1), ConnectorStatus::Faulted);
}

#[test]
fn a_contactor_that_does_not_close_is_not_used_again() {
    let mut b = Bench::with_config(&config(""));
    let mut w = PoolWatch::new();
    let cabinet = b.cabinet.clone().unwrap();
    // Module 1's contactor to output 1 (the first in the matrix) never closes.
    cabinet.stick_open(0);
    b.plug(1, truck());
    b.start(1);
    assert!(run_until(&mut b, &mut w, secs(60), |b| battery_current(
        b, 1
    ) >= 245.0));
    let pool = b.rig.pool().unwrap();
    assert!(pool.contactors[0].failed);
    assert_ne!(pool.modules[0].state, ModuleState::Active { output: 1 });
}

#[test]
fn a_faulted_module_is_reset_once_it_is_out_and_serves_again() {
    let cfg = config("").replace(
        "[pool]\n",
        "[pool]\nfault_reset_after_s = 5\nfault_resets_per_hour = 2\n",
    );
    let (mut b, mut w, tx) = one_truck_charging(&cfg);
    let cabinet = b.cabinet.clone().unwrap();
    let victim = active_on(&b, 1)[0];
    cabinet.set_module_fault(victim, Some("over-temperature"));
    // Switched out at zero current; the truck charges on.
    assert!(run_until(&mut b, &mut w, secs(10), |b| {
        b.rig.pool().unwrap().modules[victim].state == ModuleState::Free
    }));
    let out_at = b.now;
    assert!(b.rig.pool().unwrap().modules[victim].fault.is_some());
    // Not reset before it has been out fault_reset_after_s; reset then, and usable again.
    run(&mut b, &mut w, secs(4));
    assert!(b.rig.pool().unwrap().modules[victim].fault.is_some());
    assert!(run_until(&mut b, &mut w, secs(3), |b| {
        b.rig.pool().unwrap().modules[victim].fault.is_none()
    }));
    let reset_after = b.now - out_at;
    assert!(reset_after >= secs(5), "{reset_after:?}");
    assert!(b.rig.pool().unwrap().modules[victim].capacity_w > 0.0);
    assert!(b.stopped(tx).is_none(), "the session went on");
    assert!(battery_current(&mut b, 1) >= 245.0);
}
