use super::*;

fn module(id: u32) -> ModuleSpec {
    ModuleSpec {
        id,
        max_power_w: 30_000.0,
        max_current_a: 100.0,
        min_voltage: 150.0,
        max_voltage: 1000.0,
        low_range_max_voltage: None,
    }
}

fn demand(output: u32, w: f64) -> OutputDemand {
    OutputDemand {
        output,
        wants_power: w > 0.0,
        demand_w: w,
        volts: 600.0,
        vehicle_side_voltage: 0.0,
    }
}

#[test]
fn topology_mistakes_are_refused() {
    let c = |module, output| ContactorSpec { module, output };
    assert_eq!(
        PoolTopology::new(vec![module(1), module(1)], vec![c(0, 1)], vec![1]),
        Err(TopologyError::DuplicateModule(1))
    );
    assert_eq!(
        PoolTopology::new(vec![module(1)], vec![c(0, 9)], vec![1]),
        Err(TopologyError::UnknownOutput {
            index: 0,
            output: 9
        })
    );
    assert_eq!(
        PoolTopology::new(vec![module(1), module(2)], vec![c(0, 1)], vec![1]),
        Err(TopologyError::UnwiredModule(2))
    );
    assert_eq!(
        PoolTopology::new(vec![module(1)], vec![c(0, 1)], vec![1, 2]),
        Err(TopologyError::UnfedOutput(2))
    );
    assert!(matches!(
        PoolTopology::new(vec![module(1)], vec![c(0, 1), c(0, 1)], vec![1]),
        Err(TopologyError::DuplicateContactor { index: 1, .. })
    ));
}

#[test]
fn the_budget_is_shared_max_min_fair_or_by_priority() {
    let (a, b) = (demand(1, 50_000.0), demand(2, 200_000.0));
    let fair = share(&[&a, &b], 180_000.0, &[]);
    assert_eq!(fair[&1], 50_000.0, "the small demand is met");
    assert_eq!(fair[&2], 130_000.0, "its unused share goes to the other");
    let prio = share(&[&a, &b], 180_000.0, &[2, 1]);
    assert_eq!((prio[&2], prio[&1]), (180_000.0, 0.0));
    // Hostile numbers never give more than the budget.
    let nan = demand(1, f64::NAN);
    let huge = demand(2, f64::INFINITY);
    let s = share(&[&nan, &huge], 90_000.0, &[]);
    assert!(s.values().sum::<f64>() <= 90_000.0);
}

/// Two modules wired to two outputs, stepped by hand: joining, the capacity counted only once
/// the feedback reads closed, never one module with two contactors commanded closed, and a
/// welded contactor locking its output out.
#[test]
fn switching_waits_for_feedback_and_a_weld_locks_the_output_out() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(
        vec![module(1), module(2)],
        vec![c(0, 1), c(0, 2), c(1, 1), c(1, 2)],
        vec![1, 2],
    )
    .unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let fresh = |now| ModuleReading {
        at: now,
        ..ModuleReading::default()
    };
    let mut feedback = vec![Some(false); 4];
    let mut now = Timestamp::ZERO;
    let step = |pool: &mut ModulePool,
                feedback: &mut Vec<Option<bool>>,
                now: Timestamp,
                demands: &[OutputDemand]| {
        pool.observe(
            &PoolInputs {
                modules: vec![fresh(now), fresh(now)],
                feedback: feedback.clone(),
            },
            now,
        );
        let caps = pool.plan(demands, None, &[], now);
        let cmds = pool.command(&[(1, PowerCommand::OFF), (2, PowerCommand::OFF)]);
        for m in 0..2 {
            let closed = [0usize, 1, 2, 3]
                .iter()
                .filter(|&&i| pool.topology().contactors()[i].module == m && cmds.contactors[i])
                .count();
            assert!(closed <= 1, "module {m} commanded onto two outputs");
        }
        caps
    };
    // Output 1 wants power: both modules move onto it (dead bus: closing switched off).
    let caps = step(&mut pool, &mut feedback, now, &[demand(1, 60_000.0)]);
    assert_eq!(caps[&1].0, 0.0, "no capacity before the feedback");
    now += Duration::from_millis(10);
    feedback[0] = Some(true);
    feedback[2] = Some(true);
    step(&mut pool, &mut feedback, now, &[demand(1, 60_000.0)]);
    now += Duration::from_millis(10);
    let caps = step(&mut pool, &mut feedback, now, &[demand(1, 60_000.0)]);
    assert!((caps[&1].0 - 100.0).abs() < 0.1, "{caps:?}");
    // The session ends; module 1's contactor welds: after the deadline output 1 is locked out.
    for _ in 0..60 {
        now += Duration::from_millis(10);
        feedback[2] = Some(false);
        step(&mut pool, &mut feedback, now, &[]);
    }
    assert!(pool.lockout(1).is_some());
    assert!(matches!(
        pool.snapshot().modules[0].state,
        ModuleState::LockedOut { output: 1, .. }
    ));
    assert_eq!(pool.snapshot().modules[1].state, ModuleState::Free);
    // Output 2 can still be fed, by module 2 only.
    for _ in 0..3 {
        now += Duration::from_millis(10);
        step(&mut pool, &mut feedback, now, &[demand(2, 60_000.0)]);
        feedback[3] = Some(true);
    }
    let snap = pool.snapshot();
    assert_eq!(snap.modules[1].state, ModuleState::Active { output: 2 });
    assert!(matches!(
        snap.modules[0].state,
        ModuleState::LockedOut { output: 1, .. }
    ));
}

/// A module active on output 2 whose old contact to output 1 turns out welded ties the two
/// outputs: both are locked out and the module is switched off, but its contact to output 2,
/// which carries its current, opens only once that current is gone.
#[test]
fn a_weld_elsewhere_opens_the_live_contact_only_at_zero_current() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(vec![module(1)], vec![c(0, 1), c(0, 2)], vec![1, 2]).unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let mut now = Timestamp::ZERO;
    let mut step =
        |pool: &mut ModulePool, feedback: [bool; 2], amps: f32, demands: &[OutputDemand]| {
            now += Duration::from_millis(10);
            pool.observe(
                &PoolInputs {
                    modules: vec![ModuleReading {
                        current: amps,
                        voltage: 600.0,
                        running: amps > 0.0,
                        at: now,
                        ..ModuleReading::default()
                    }],
                    feedback: feedback.iter().map(|&f| Some(f)).collect(),
                },
                now,
            );
            pool.plan(demands, None, &[], now);
            let on = PowerCommand {
                enabled: true,
                voltage: 600.0,
                current: 50.0,
            };
            pool.command(&[(1, on), (2, on)])
        };
    // The module joins output 2 (dead bus) and carries 50 A.
    step(&mut pool, [false, false], 0.0, &[demand(2, 30_000.0)]);
    let cmds = step(&mut pool, [false, true], 0.0, &[demand(2, 30_000.0)]);
    assert_eq!(cmds.contactors, [false, true]);
    assert_eq!(
        pool.snapshot().modules[0].state,
        ModuleState::Active { output: 2 }
    );
    // Its contact to output 1 reads closed though commanded open: welded, after the deadline.
    let mut cmds = step(&mut pool, [true, true], 50.0, &[demand(2, 30_000.0)]);
    while pool.lockout(1).is_none() {
        cmds = step(&mut pool, [true, true], 50.0, &[demand(2, 30_000.0)]);
    }
    assert!(
        pool.lockout(2).is_some(),
        "the module ties output 2 to the welded one"
    );
    assert!(!cmds.modules[0].enable, "{:?}", cmds.modules[0]);
    assert!(cmds.contactors[1], "opened under 50 A");
    for _ in 0..20 {
        let cmds = step(&mut pool, [true, true], 50.0, &[demand(2, 30_000.0)]);
        assert!(cmds.contactors[1], "opened under 50 A");
        assert!(pool.busy(), "a shutdown must wait for the live contact");
    }
    // The current is gone: now it opens.
    let cmds = step(&mut pool, [true, true], 0.2, &[]);
    assert_eq!(cmds.contactors, [false, false]);
    assert!(!pool.busy());
}

mod randomized {
    use super::*;
    use proptest::prelude::*;

    /// What happens to the plant in one step.
    #[derive(Debug, Clone)]
    struct Step {
        /// Per output: demand in W (NaN, infinite and negative included), or none.
        demands: Vec<Option<f64>>,
        /// Per module: (stale, fault, current, voltage, available power).
        modules: Vec<(bool, bool, f32, f32, Option<f32>)>,
        /// Per contactor: weld it, stick it open, lose its feedback this step.
        contactors: Vec<(bool, bool, bool)>,
        /// The connectors' commands (hostile numbers too: the pool must not pass them on).
        command: (bool, f32, f32),
    }

    fn hostile_f32() -> impl Strategy<Value = f32> {
        prop_oneof![
            8 => -50.0f32..1200.0,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
            1 => Just(f32::MAX),
        ]
    }

    fn step(outputs: usize, modules: usize, contactors: usize) -> impl Strategy<Value = Step> {
        (
            proptest::collection::vec(
                proptest::option::of(prop_oneof![
                    8 => 0.0f64..400_000.0,
                    1 => Just(f64::NAN),
                    1 => Just(f64::INFINITY),
                    1 => Just(-1e9f64),
                ]),
                outputs,
            ),
            proptest::collection::vec(
                (
                    proptest::bool::weighted(0.05),
                    proptest::bool::weighted(0.03),
                    prop_oneof![4 => 0.0f32..0.5, 1 => hostile_f32()],
                    hostile_f32(),
                    proptest::option::of(hostile_f32().prop_map(|w| w * 40.0)),
                ),
                modules,
            ),
            proptest::collection::vec(
                (
                    proptest::bool::weighted(0.005),
                    proptest::bool::weighted(0.005),
                    proptest::bool::weighted(0.02),
                ),
                contactors,
            ),
            (any::<bool>(), hostile_f32(), hostile_f32()),
        )
            .prop_map(|(demands, modules, contactors, command)| Step {
                demands,
                modules,
                contactors,
                command,
            })
    }

    fn scenario() -> impl Strategy<Value = (usize, Vec<(usize, u32)>, Vec<Step>)> {
        (2usize..4)
            .prop_flat_map(|outputs| (Just(outputs), outputs..7))
            .prop_flat_map(|(outputs, modules)| {
                // Every module wired to output 1 + (i mod outputs), and randomly to others.
                proptest::collection::vec(
                    proptest::collection::vec(any::<bool>(), outputs),
                    modules,
                )
                .prop_flat_map(move |extra| {
                    let mut wiring = Vec::new();
                    for (m, row) in extra.iter().enumerate() {
                        for (o, more) in row.iter().enumerate() {
                            if o == m % outputs || *more {
                                wiring.push((m, o as u32 + 1));
                            }
                        }
                    }
                    let n = wiring.len();
                    (
                        Just(outputs),
                        Just(wiring),
                        proptest::collection::vec(step(outputs, modules, n), 1..300),
                    )
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever the readings, demands and contactors do: never a module commanded onto two
        /// outputs; a contactor told to close only while its module's others read open;
        /// capacity only from modules whose contactor reads closed; a locked output gets
        /// nothing; every module command finite and within the module's rating.
        #[test]
        fn the_pool_keeps_its_invariants((outputs, wiring, steps) in scenario()) {
            let modules = wiring.iter().map(|(m, _)| *m).max().unwrap_or(0) + 1;
            let topology = PoolTopology::new(
                (1..=modules as u32).map(module).collect(),
                wiring.iter().map(|&(module, output)| ContactorSpec { module, output }).collect(),
                (1..=outputs as u32).collect(),
            ).unwrap();
            let mut pool = ModulePool::new(topology, PoolTiming::default());
            // The plant's contactors: closed state, welded, stuck open.
            let mut closed = vec![false; wiring.len()];
            let mut welded = vec![false; wiring.len()];
            let mut stuck = vec![false; wiring.len()];
            let mut commanded = vec![false; wiring.len()];
            let mut now = Timestamp::ZERO;
            for s in steps {
                now += Duration::from_millis(50);
                for (i, &(weld, stick, _)) in s.contactors.iter().enumerate() {
                    welded[i] |= weld;
                    stuck[i] |= stick;
                    // The contacts follow last step's command (50 ms operate time).
                    closed[i] = if commanded[i] { !stuck[i] } else { closed[i] && welded[i] };
                }
                let feedback: Vec<Option<bool>> = closed
                    .iter()
                    .zip(&s.contactors)
                    .map(|(c, (_, _, lost))| if *lost { None } else { Some(*c) })
                    .collect();
                let readings = s.modules.iter().map(|&(stale, fault, current, voltage, avail)| {
                    ModuleReading {
                        voltage,
                        current,
                        running: true,
                        available_power_w: avail,
                        fault: fault.then(|| "injected".to_string()),
                        stale,
                        at: now,
                        ..ModuleReading::default()
                    }
                }).collect();
                pool.observe(&PoolInputs { modules: readings, feedback: feedback.clone() }, now);
                let demands: Vec<OutputDemand> = s.demands.iter().enumerate().map(|(o, d)| {
                    OutputDemand {
                        output: o as u32 + 1,
                        wants_power: d.is_some(),
                        demand_w: d.unwrap_or(0.0),
                        volts: 600.0,
                        vehicle_side_voltage: 0.0,
                    }
                }).collect();
                let caps = pool.plan(&demands, Some(150_000.0), &[], now);
                let (enabled, voltage, current) = s.command;
                let cmds = pool.command(
                    &(1..=outputs as u32)
                        .map(|o| (o, PowerCommand { enabled, voltage, current }))
                        .collect::<Vec<_>>(),
                );
                let snap = pool.snapshot();
                for m in 0..modules {
                    let mine: Vec<usize> = (0..wiring.len()).filter(|&i| wiring[i].0 == m).collect();
                    let told = mine.iter().filter(|&&i| cmds.contactors[i]).count();
                    prop_assert!(told <= 1, "module {m} commanded onto {told} outputs");
                    for &i in &mine {
                        if cmds.contactors[i] && !commanded[i] {
                            for &j in mine.iter().filter(|&&j| j != i) {
                                prop_assert_eq!(feedback[j], Some(false));
                                prop_assert!(!commanded[j]);
                            }
                        }
                    }
                    let c = cmds.modules[m];
                    prop_assert!(c.voltage.is_finite() && c.voltage >= 0.0 && c.voltage <= 1000.0, "{c:?}");
                    prop_assert!(c.current_limit.is_finite() && c.current_limit >= 0.0 && c.current_limit <= 100.0, "{c:?}");
                }
                for o in 1..=outputs as u32 {
                    let (amps, _) = caps[&o].clone();
                    prop_assert!(amps.is_finite() && amps >= 0.0);
                    let connected = (0..wiring.len())
                        .filter(|&i| wiring[i].1 == o && feedback[i] == Some(true))
                        .count() as f32;
                    prop_assert!(amps <= connected * 100.0 + 0.01, "{amps} A from {connected} modules");
                    if pool.lockout(o).is_some() {
                        prop_assert_eq!(amps, 0.0);
                    }
                }
                // A contact opens only at zero current: the module read below 1 A, or it does
                // not answer (after stale_open_after) — a weld locking outputs out included.
                for i in 0..wiring.len() {
                    if commanded[i] && !cmds.contactors[i] {
                        let (stale, _, current, _, _) = s.modules[wiring[i].0];
                        prop_assert!(
                            stale || current.abs() < SWITCH_CURRENT_A,
                            "contactor {i} opened with module {} reading {current} A",
                            wiring[i].0
                        );
                    }
                }
                prop_assert_eq!(snap.modules.len(), modules);
                commanded = cmds.contactors.clone();
            }
        }
    }
}

/// A module whose reading is not a number is no answer: it is not given work.
#[test]
fn a_module_reading_nan_is_not_used() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(vec![module(1)], vec![c(0, 1)], vec![1]).unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let mut now = Timestamp::ZERO;
    for current in [f32::NAN, f32::INFINITY] {
        for _ in 0..5 {
            now += Duration::from_millis(10);
            pool.observe(
                &PoolInputs {
                    modules: vec![ModuleReading {
                        current,
                        voltage: 0.0,
                        at: now,
                        ..ModuleReading::default()
                    }],
                    feedback: vec![Some(false)],
                },
                now,
            );
            let caps = pool.plan(&[demand(1, 30_000.0)], None, &[], now);
            assert_eq!(caps[&1].0, 0.0);
            assert_eq!(pool.snapshot().modules[0].state, ModuleState::Free);
            assert_eq!(pool.snapshot().modules[0].capacity_w, 0.0);
        }
    }
}

/// A module in its low range leaves when the output's voltage rises above that range, and
/// joins again in the high range; a range request lapses once no output wants the module.
#[test]
fn a_module_changes_range_through_zero_current_and_a_request_lapses() {
    let c = |module, output| ContactorSpec { module, output };
    let spec = ModuleSpec {
        low_range_max_voltage: Some(500.0),
        ..module(1)
    };
    let topology = PoolTopology::new(vec![spec.clone()], vec![c(0, 1)], vec![1]).unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let mut now = Timestamp::ZERO;
    // The plant: the module's range follows the last request; the contact the last command.
    let (mut range, mut closed) = (Some(VoltageRange::Low), false);
    let mut step = |pool: &mut ModulePool, volts: f32, amps: f32, wants: bool| {
        now += Duration::from_millis(10);
        pool.observe(
            &PoolInputs {
                modules: vec![ModuleReading {
                    current: amps,
                    voltage: volts,
                    range,
                    at: now,
                    ..ModuleReading::default()
                }],
                feedback: vec![Some(closed)],
            },
            now,
        );
        let d = OutputDemand {
            volts,
            wants_power: wants,
            ..demand(1, if wants { 30_000.0 } else { 0.0 })
        };
        let caps = pool.plan(&[d], None, &[], now);
        let on = PowerCommand {
            enabled: true,
            voltage: volts,
            current: 40.0,
        };
        let cmds = pool.command(&[(1, on)]);
        if let Some(r) = cmds.ranges[0] {
            range = Some(r);
        }
        closed = cmds.contactors[0];
        (caps[&1].0, cmds, pool.snapshot().modules[0].state)
    };
    // At 450 V the module joins in its low range and carries.
    for _ in 0..3 {
        step(&mut pool, 450.0, 0.0, true);
    }
    let (amps, _, state) = step(&mut pool, 450.0, 40.0, true);
    assert_eq!(state, ModuleState::Active { output: 1 });
    assert!(amps > 60.0, "{amps}");
    // The truck's voltage rises to 600 V: no capacity in the low range; it leaves at zero
    // current and comes back in the high range.
    let (amps, cmds, state) = step(&mut pool, 600.0, 40.0, true);
    assert_eq!(amps, 0.0);
    assert!(matches!(state, ModuleState::Leaving { .. }), "{state:?}");
    assert_eq!(cmds.modules[0].current_limit, 0.0);
    assert!(cmds.contactors[0], "opened under current");
    let mut back = false;
    for _ in 0..10 {
        let (amps, _, state) = step(&mut pool, 600.0, 0.0, true);
        if state == (ModuleState::Active { output: 1 }) && amps > 0.0 {
            back = true;
            break;
        }
    }
    assert!(back, "the module did not come back");
    assert_eq!(range, Some(VoltageRange::High));
    // A request for a free module lapses once nothing wants it.
    let mut pool2 = ModulePool::new(
        PoolTopology::new(vec![spec], vec![c(0, 1)], vec![1]).unwrap(),
        PoolTiming::default(),
    );
    let t = Timestamp::from_millis(10);
    let reading = ModuleReading {
        range: Some(VoltageRange::Low),
        at: t,
        ..ModuleReading::default()
    };
    let inputs = PoolInputs {
        modules: vec![reading],
        feedback: vec![Some(false)],
    };
    pool2.observe(&inputs, t);
    pool2.plan(&[demand(1, 30_000.0)], None, &[], t);
    assert_eq!(
        pool2.command(&[]).ranges[0],
        Some(VoltageRange::High),
        "600 V needs the high range"
    );
    pool2.observe(&inputs, t);
    pool2.plan(&[demand(1, 0.0)], None, &[], t);
    assert_eq!(pool2.command(&[]).ranges[0], None);
}

/// An output whose every matrix contactor fails to close can never be fed: it is locked out
/// with the reason, instead of its truck waiting for a module; an output whose modules are
/// all faulted says that no usable module can reach it.
#[test]
fn an_output_nothing_can_reach_is_reported() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(
        vec![module(1), module(2)],
        vec![c(0, 1), c(1, 2)],
        vec![1, 2],
    )
    .unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let mut now = Timestamp::ZERO;
    let mut detail = String::new();
    for _ in 0..100 {
        now += Duration::from_millis(10);
        let reading = |fault: Option<&str>| ModuleReading {
            fault: fault.map(str::to_string),
            at: now,
            ..ModuleReading::default()
        };
        pool.observe(
            &PoolInputs {
                modules: vec![reading(None), reading(Some("over-temperature"))],
                // Contactor 0 never closes.
                feedback: vec![Some(false), Some(false)],
            },
            now,
        );
        let caps = pool.plan(&[demand(1, 30_000.0), demand(2, 30_000.0)], None, &[], now);
        detail = caps[&2].1.clone();
        pool.command(&[]);
    }
    let why = pool.lockout(1).expect("output 1 locked out");
    assert!(why.contains("no matrix contactor to output 1"), "{why}");
    assert_eq!(pool.lockout(2), None, "a faulted module may recover");
    assert_eq!(detail, "no usable power module can reach this output");
}

/// An output with no module takes one from an output holding several, one at a time: not a
/// second while the first is still ramping off.
#[test]
fn a_donor_gives_one_module_at_a_time() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(
        vec![module(1), module(2), module(3)],
        vec![c(0, 1), c(0, 2), c(1, 1), c(1, 2), c(2, 1), c(2, 2)],
        vec![1, 2],
    )
    .unwrap();
    let mut pool = ModulePool::new(topology, PoolTiming::default());
    let mut now = Timestamp::ZERO;
    let mut closed = vec![false; 6];
    let mut step = |pool: &mut ModulePool, amps: f32, demands: &[OutputDemand]| {
        now += Duration::from_millis(10);
        let reading = ModuleReading {
            current: amps,
            voltage: 600.0,
            at: now,
            ..ModuleReading::default()
        };
        pool.observe(
            &PoolInputs {
                modules: vec![reading.clone(), reading.clone(), reading],
                feedback: closed.iter().map(|&c| Some(c)).collect(),
            },
            now,
        );
        pool.plan(demands, None, &[], now);
        let on = PowerCommand {
            enabled: true,
            voltage: 600.0,
            current: 200.0,
        };
        closed = pool.command(&[(1, on), (2, on)]).contactors;
        pool.snapshot().modules
    };
    // Output 1 takes all three modules.
    for _ in 0..5 {
        step(&mut pool, 0.0, &[demand(1, 200_000.0)]);
    }
    let m = step(&mut pool, 50.0, &[demand(1, 200_000.0)]);
    assert!(m
        .iter()
        .all(|m| m.state == ModuleState::Active { output: 1 }));
    // A truck on output 2: one module leaves output 1 — and only one while it ramps off
    // (the modules still read 50 A).
    for _ in 0..20 {
        let m = step(
            &mut pool,
            50.0,
            &[demand(1, 200_000.0), demand(2, 200_000.0)],
        );
        let leaving = m
            .iter()
            .filter(|m| matches!(m.state, ModuleState::Leaving { .. }))
            .count();
        assert_eq!(leaving, 1, "{m:?}");
    }
}

/// The fault-reset policy: only a free module, only after fault_reset_after, at most
/// fault_resets_per_hour times an hour.
#[test]
fn a_faulted_module_is_reset_when_idle_a_limited_number_of_times() {
    let c = |module, output| ContactorSpec { module, output };
    let topology = PoolTopology::new(vec![module(1)], vec![c(0, 1)], vec![1]).unwrap();
    let timing = PoolTiming {
        fault_reset_after: Duration::from_secs(60),
        fault_resets_per_hour: 2,
        ..PoolTiming::default()
    };
    let mut pool = ModulePool::new(topology, timing);
    let mut resets = Vec::new();
    for s in 0..=3_700u64 {
        let now = Timestamp::from_millis(s * 1000);
        pool.observe(
            &PoolInputs {
                modules: vec![ModuleReading {
                    fault: Some("over-temperature".into()),
                    at: now,
                    ..ModuleReading::default()
                }],
                feedback: vec![Some(false)],
            },
            now,
        );
        pool.plan(&[], None, &[], now);
        if pool.command(&[]).fault_resets[0] {
            resets.push(s);
        }
    }
    // At 60 s and 120 s; then none until the first has left the hour (3660 s).
    assert_eq!(resets, [60, 120, 3660]);
}
