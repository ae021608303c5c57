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
    assert_eq!(
        pool.snapshot().modules[0].state,
        ModuleState::LockedOut { output: 1 }
    );
    assert_eq!(pool.snapshot().modules[1].state, ModuleState::Free);
    // Output 2 can still be fed, by module 2 only.
    for _ in 0..3 {
        now += Duration::from_millis(10);
        step(&mut pool, &mut feedback, now, &[demand(2, 60_000.0)]);
        feedback[3] = Some(true);
    }
    let snap = pool.snapshot();
    assert_eq!(snap.modules[1].state, ModuleState::Active { output: 2 });
    assert_eq!(snap.modules[0].state, ModuleState::LockedOut { output: 1 });
}
