//! Issue 16, point 7: the station supervises what the board I/O tells — contactor and lock
//! feedback, the emergency stop, the plug, a stale snapshot — and drives the outputs the
//! protocols know nothing of (bleeder, IMD disconnect relay, 12/24 V auxiliary supply). Real
//! station core, plant simulator with its injected actuator faults, 10 ms steps in simulated
//! time, safety invariants checked on every step (see `common::Bench`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use charger_hal::{SimCommand, SimFault, TruckSpec};
use charger_protocol::{SessionPhase, StopReason, Timestamp};
use chargerd::station::{
    CommandError, ConnectorStatus, Fault, FaultKind, StationCommand, StationEvent,
};
use common::{Bench, STEP};

const MIN: Duration = Duration::from_secs(60);
/// The defaults of `[supervision]` (src/config.rs), which these tests run with.
const CONTACTOR_FEEDBACK_DEADLINE: Duration = Duration::from_millis(200);
const LOCK_FEEDBACK_DEADLINE: Duration = Duration::from_millis(1000);
const OPEN_DEADLINE: Duration = Duration::from_millis(250);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The first fault of `kind` raised on `id` from event `from` on.
fn raised(b: &Bench, id: u32, kind: FaultKind, from: usize) -> Option<(Fault, Timestamp)> {
    b.events[from..].iter().find_map(|e| match e {
        StationEvent::FaultRaised {
            connector,
            fault,
            at,
        } if *connector == id && fault.kind == kind => Some((fault.clone(), *at)),
        _ => None,
    })
}

/// Steps until connector `id` raised `kind` (among the events from index `from`), at most
/// `within`; the fault and when it was raised.
fn wait_raised(
    b: &mut Bench,
    id: u32,
    kind: FaultKind,
    from: usize,
    within: Duration,
) -> (Fault, Timestamp) {
    assert!(
        b.run_until(within, |b| raised(b, id, kind, from).is_some()),
        "{kind:?} not raised within {within:?}"
    );
    raised(b, id, kind, from).expect("raised: run_until saw it")
}

/// The connector is Faulted with `kind` as the fault its status reports (the OCPP error codes
/// come from it), and its outputs are safe: supply off, contactors open.
fn assert_faulted_safe(b: &mut Bench, id: u32, kind: FaultKind) {
    let snap = b
        .rig
        .station()
        .snapshot()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap();
    assert_eq!(snap.status, ConnectorStatus::Faulted, "{snap:?}");
    assert_eq!(snap.status_fault.as_ref().map(|f| f.kind), Some(kind));
    let p = b.probe(id);
    assert!(!p.outputs.io.contactors, "contactors commanded closed");
    assert!(!p.outputs.power.enabled, "supply on");
    assert!(!p.outputs.imd_measuring && !p.outputs.io.imd_connected);
}

/// Charge connector 1 with a heavy truck at 150 A or more; returns the transaction id.
fn charging() -> (Bench, i64) {
    let mut b = Bench::new();
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    b.charge_until_current(1, 150.0, MIN);
    (b, tx)
}

fn operative(b: &mut Bench, id: u32) {
    b.command(StationCommand::SetAvailability {
        connector: id,
        operative: true,
    })
    .unwrap();
}

/// Case 1, welded: the contactors' feedback still closed after the open command → fault
/// within the deadline, supply off, lines released, Faulted — across unplug and the repair,
/// until a technician makes the connector Operative.
#[test]
fn a_welded_contactor_faults_the_connector_until_a_technician_clears_it() {
    let (mut b, tx) = charging();
    b.fault(1, SimFault::ContactorWelded);
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    let before = b.events.len();
    // The instant the station commanded them open.
    assert!(b.run_until(secs(10), |b| !b.probe(1).outputs.io.contactors));
    let opened_at = b.now;
    let (fault, at) = wait_raised(&mut b, 1, FaultKind::ContactorWelded, before, secs(2));
    let took = at - opened_at;
    eprintln!("welded contactor: fault {took:?} after the open command");
    assert!(
        took >= CONTACTOR_FEEDBACK_DEADLINE && took <= CONTACTOR_FEEDBACK_DEADLINE + 2 * STEP,
        "welded after {took:?}"
    );
    assert!(fault.detail.contains("after the open command"), "{fault}");
    assert_eq!(fault.report().vendor_error_code, "CD-CTR-04");
    b.step();
    assert_faulted_safe(&mut b, 1, FaultKind::ContactorWelded);
    assert_eq!(
        b.probe(1).outputs.io.lines,
        Default::default(),
        "lines released"
    );
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
    // Unplugged, then repaired: still Faulted until a technician says so.
    b.unplug(1);
    b.run_for(secs(2));
    assert_faulted_safe(&mut b, 1, FaultKind::ContactorWelded);
    // Made Operative while still welded: nothing clears.
    operative(&mut b, 1);
    b.run_for(secs(1));
    assert_faulted_safe(&mut b, 1, FaultKind::ContactorWelded);
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    b.run_for(secs(1));
    assert_faulted_safe(&mut b, 1, FaultKind::ContactorWelded);
    let refused = b.command(StationCommand::Start {
        connector: 1,
        id_tag: None,
    });
    assert!(matches!(refused, Err(CommandError::Faulted { .. })));
    operative(&mut b, 1);
    b.run_for(secs(1));
    assert_eq!(b.status(1), ConnectorStatus::Available);
}

/// Case 1: Failed to close: the feedback still open after the close command (at cable check) →
/// fault, nothing energized, session ended; the fault is about this plug-in.
#[test]
fn a_contactor_that_fails_to_close_ends_the_session() {
    let mut b = Bench::new();
    b.plug(1, TruckSpec::default());
    b.fault(1, SimFault::ContactorStuckOpen);
    let before = b.events.len();
    let tx = b.start(1);
    assert!(b.run_until(secs(30), |b| b.probe(1).outputs.io.contactors));
    let closed_at = b.now;
    let (fault, at) = wait_raised(&mut b, 1, FaultKind::ContactorStuckOpen, before, secs(2));
    let took = at - closed_at;
    eprintln!("stuck-open contactor: fault {took:?} after the close command");
    assert!(
        took >= CONTACTOR_FEEDBACK_DEADLINE && took <= CONTACTOR_FEEDBACK_DEADLINE + 2 * STEP,
        "failed to close after {took:?}"
    );
    assert_eq!(fault.report().vendor_error_code, "CD-CTR-03");
    b.step();
    assert_faulted_safe(&mut b, 1, FaultKind::ContactorStuckOpen);
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
    assert!(matches!(
        b.stopped(tx).unwrap().reason,
        StopReason::ChargerFault(_)
    ));
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    b.unplug(1);
    b.run_for(secs(1));
    assert_eq!(b.status(1), ConnectorStatus::Available);
}

/// Case 2: Emergency stop: the contactors are commanded open in the very step the station sees it
/// (the chain has cut them; the software does not wait for the ramp and never closes them
/// again), and the connector stays Faulted after the chain is closed, after unplug, until a
/// technician clears it.
#[test]
fn an_emergency_stop_opens_the_contactors_in_the_same_step_and_latches() {
    let (mut b, tx) = charging();
    let before = b.events.len();
    b.fault(1, SimFault::EmergencyStop);
    b.step();
    let (_, at) = raised(&b, 1, FaultKind::EmergencyStop, before).expect("seen in one step");
    assert_eq!(at, b.now);
    let p = b.probe(1);
    assert!(
        !p.outputs.io.contactors && !p.outputs.power.enabled,
        "{p:?}"
    );
    eprintln!(
        "emergency stop: contactors commanded open at {:.0} A",
        p.power.current
    );
    assert!(
        p.power.current > 100.0,
        "opened without waiting for the current ({:.0} A)",
        p.power.current
    );
    // Never closed again, whatever the session does meanwhile.
    let reclosed = b.run_until(secs(20), |b| b.probe(1).outputs.io.contactors);
    assert!(!reclosed);
    assert_eq!(b.stopped(tx).unwrap().reason, StopReason::EmergencyStop);
    // A technician's clear while the chain is open does nothing.
    operative(&mut b, 1);
    b.run_for(secs(1));
    assert_faulted_safe(&mut b, 1, FaultKind::EmergencyStop);
    // Chain closed again, truck gone: still latched.
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    b.unplug(1);
    b.run_for(secs(2));
    assert_faulted_safe(&mut b, 1, FaultKind::EmergencyStop);
    operative(&mut b, 1);
    b.run_for(secs(1));
    assert_eq!(b.status(1), ConnectorStatus::Available);
    let cleared = |e: &StationEvent| match e {
        StationEvent::FaultCleared {
            connector: 1,
            fault,
            ..
        } => fault.kind == FaultKind::EmergencyStop,
        _ => false,
    };
    assert!(b.events[before..].iter().any(cleared));
}

/// Case 3: No contactor close and no cable check without the lock's feedback; a jammed lock is a
/// fault after the deadline, and the session stops without anything energized.
#[test]
fn a_jammed_lock_is_a_fault_and_nothing_is_energized() {
    let mut b = Bench::new();
    b.plug(1, TruckSpec::default());
    b.fault(1, SimFault::LockJammed);
    let before = b.events.len();
    let tx = b.start(1);
    let mut lock_commanded = None;
    let found = b.run_until(secs(30), |b| {
        let p = b.probe(1);
        assert!(
            !p.outputs.io.contactors && !p.outputs.imd_measuring && !p.outputs.io.imd_connected,
            "energized without lock feedback at {}",
            b.now
        );
        if p.outputs.io.connector_lock && lock_commanded.is_none() {
            lock_commanded = Some(b.now);
        }
        raised(b, 1, FaultKind::LockNotReached, before).is_some()
    });
    assert!(found, "no lock fault");
    let (fault, at) = raised(&b, 1, FaultKind::LockNotReached, before).unwrap();
    let took = at - lock_commanded.unwrap();
    eprintln!("jammed lock: fault {took:?} after the lock command");
    assert!(
        took >= LOCK_FEEDBACK_DEADLINE && took <= LOCK_FEEDBACK_DEADLINE + 2 * STEP,
        "lock fault after {took:?}"
    );
    assert_eq!(fault.report().vendor_error_code, "CD-LCK-02");
    b.step();
    assert_faulted_safe(&mut b, 1, FaultKind::LockNotReached);
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
    assert!(!b
        .events
        .iter()
        .any(|e| matches!(e, StationEvent::InsulationTested { connector: 1, .. })));
}

/// Case 3: The contactors wait for the lock's feedback: closed only after the simulated lock motor
/// (200 ms) reported locked.
#[test]
fn the_contactors_close_only_after_the_lock_reports_locked() {
    let mut b = Bench::new();
    b.plug(1, TruckSpec::default());
    b.start(1);
    let mut lock_commanded = None;
    assert!(b.run_until(secs(30), |b| {
        let p = b.probe(1);
        if p.outputs.io.connector_lock && lock_commanded.is_none() {
            lock_commanded = Some(b.now);
        }
        p.outputs.io.contactors
    }));
    let waited = b.now - lock_commanded.unwrap();
    eprintln!("contactors closed {waited:?} after the lock command");
    assert!(
        waited >= Duration::from_millis(200),
        "contactors closed {waited:?} after the lock command, before its feedback"
    );
}

/// Case 3: Lock feedback lost while energized: supply off in the same step, contactors open below
/// 5 A or at the open deadline, fault.
#[test]
fn losing_the_lock_feedback_while_charging_stops_at_once() {
    let (mut b, tx) = charging();
    let before = b.events.len();
    b.fault(1, SimFault::LockFeedbackLost);
    b.step();
    let (fault, at) = raised(&b, 1, FaultKind::LockLost, before).expect("seen in one step");
    assert_eq!(at, b.now);
    assert!(!b.probe(1).outputs.power.enabled, "supply still on");
    assert_eq!(fault.report().vendor_error_code, "CD-LCK-03");
    let t0 = b.now;
    assert!(b.run_until(secs(1), |b| !b.probe(1).outputs.io.contactors));
    eprintln!(
        "lock feedback lost: contactors open {:?} after the supply went off",
        b.now - t0
    );
    assert!(b.now - t0 <= OPEN_DEADLINE, "opened after {:?}", b.now - t0);
    assert_faulted_safe(&mut b, 1, FaultKind::LockLost);
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
}

/// Case 3 at a GB/T truck's 400 A: the fast stop still opens below 5 A, before its deadline
/// (the bench's invariant checks the current at the opening on every step).
#[test]
fn losing_the_lock_feedback_at_400_a_opens_below_5_a() {
    const CONFIG: &str = r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 400
can = { backend = "simulated" }
"#;
    let mut b = Bench::with_config(CONFIG);
    b.plug(
        1,
        TruckSpec {
            max_current: 400.0,
            ..TruckSpec::default()
        },
    );
    let tx = b.start(1);
    b.charge_until_current(1, 380.0, MIN);
    let before = b.events.len();
    b.fault(1, SimFault::LockFeedbackLost);
    b.step();
    let at_fault = b.probe(1).power.current;
    assert!(raised(&b, 1, FaultKind::LockLost, before).is_some());
    let t0 = b.now;
    assert!(b.run_until(secs(1), |b| !b.probe(1).outputs.io.contactors));
    let took = b.now - t0;
    let at_open = b.probe(1).power.current;
    eprintln!("lock lost at {at_fault:.0} A: open {took:?} later at {at_open:.1} A");
    assert!(
        took < OPEN_DEADLINE,
        "opened by the deadline after {took:?}"
    );
    assert!(at_open <= 5.0);
    b.step();
    assert_faulted_safe(&mut b, 1, FaultKind::LockLost);
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
}

/// Case 4: Proximity/CC1 lost while charging: supply off in the same step, contactors open as soon
/// as the current is below 5 A or at the open deadline. (Before issue 16 the contactors
/// stayed closed until the session's own stop sequence opened them.)
#[test]
fn unplugging_under_load_cuts_the_supply_at_once_and_opens_within_the_deadline() {
    let (mut b, tx) = charging();
    b.unplug(1);
    b.step();
    let p = b.probe(1);
    assert!(!p.outputs.power.enabled, "supply still on after the unplug");
    let t0 = b.now;
    assert!(b.run_until(secs(1), |b| !b.probe(1).outputs.io.contactors));
    let took = b.now - t0;
    eprintln!(
        "unplugged at {:.0} A: contactors open {took:?} after the supply went off, at {:.1} A",
        p.power.current,
        b.probe(1).power.current
    );
    assert!(
        took <= OPEN_DEADLINE,
        "contactors opened {took:?} after the unplug"
    );
    assert!(b.run_until(secs(20), |b| b.stopped(tx).is_some()));
    assert_eq!(b.stopped(tx).unwrap().reason, StopReason::Unplugged);
}

/// Case 5: A stale I/O snapshot while energized stops the session in the same step (supply off)
/// and faults the connector; fresh again, the fault clears by itself.
#[test]
fn a_stale_io_snapshot_while_charging_stops_the_session() {
    let (mut b, tx) = charging();
    let before = b.events.len();
    b.fault(1, SimFault::IoStale);
    b.step();
    let kind = FaultKind::StaleReading(chargerd::station::fault::Reading::DigitalIo);
    let (fault, at) = raised(&b, 1, kind, before).expect("seen in one step");
    assert_eq!(at, b.now);
    assert_eq!(fault.report().vendor_error_code, "CD-IO-01");
    assert!(!b.probe(1).outputs.power.enabled);
    let t0 = b.now;
    assert!(b.run_until(secs(1), |b| !b.probe(1).outputs.io.contactors));
    eprintln!(
        "stale I/O: contactors open {:?} after the supply went off",
        b.now - t0
    );
    assert!(b.now - t0 <= OPEN_DEADLINE);
    assert_faulted_safe(&mut b, 1, kind);
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    b.run_for(secs(1));
    assert_ne!(b.status(1), ConnectorStatus::Faulted);
}

/// Case 5: Stale while idle: Faulted (the OCPP status follows the fault table: InternalError,
/// CD-IO-01) and nothing starts; fresh again, Available.
#[test]
fn a_stale_io_snapshot_while_idle_faults_until_fresh() {
    let mut b = Bench::new();
    b.run_for(secs(1));
    b.fault(1, SimFault::IoStale);
    b.step();
    let kind = FaultKind::StaleReading(chargerd::station::fault::Reading::DigitalIo);
    assert_faulted_safe(&mut b, 1, kind);
    b.plug(1, TruckSpec::default());
    let refused = b.command(StationCommand::Start {
        connector: 1,
        id_tag: None,
    });
    assert!(matches!(refused, Err(CommandError::Faulted { .. })));
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    b.step();
    assert_eq!(b.status(1), ConnectorStatus::Preparing);
    assert_eq!(
        b.status(2),
        ConnectorStatus::Available,
        "the other never noticed"
    );
}

/// Case 6: The bleeder: engaged when the cable check ends and when the contactors open at the end
/// of the session, released once the cable is below 60 V; never with the supply on. The IMD
/// relay: closed while measuring or energized, open otherwise.
#[test]
fn the_bleeder_and_the_imd_relay_follow_the_session() {
    let mut b = Bench::new();
    b.run_for(secs(1));
    let idle = b.probe(1).outputs.io;
    assert!(!idle.bleeder && !idle.imd_connected);
    b.plug(1, TruckSpec::default());
    let tx = b.start(1);
    let mut bleeds = Vec::new();
    let mut was_measuring = false;
    let mut was_closed = false;
    let mut after_test = None;
    let done = b.run_until(2 * MIN, |b| {
        let p = b.probe(1);
        let io = p.outputs.io;
        assert_eq!(
            io.imd_connected,
            p.outputs.imd_measuring || io.contactors,
            "IMD relay at {}",
            b.now
        );
        assert!(
            !(io.bleeder && (p.outputs.power.enabled || p.outputs.imd_measuring)),
            "bleeder against the supply or the measurement at {}",
            b.now
        );
        if was_measuring && !p.outputs.imd_measuring {
            after_test = Some(io.bleeder);
        }
        if io.bleeder {
            bleeds.push((b.now, p.power.voltage));
        }
        was_measuring = p.outputs.imd_measuring;
        was_closed = io.contactors;
        p.offer.phase == SessionPhase::Charging
    });
    assert!(done);
    assert_eq!(after_test, Some(true), "no bleeder after the cable check");
    let _ = was_closed;
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    assert!(b.run_until(secs(10), |b| !b.probe(1).outputs.io.contactors));
    let p = b.probe(1);
    assert!(
        p.outputs.io.bleeder,
        "no bleeder when the contactors opened"
    );
    assert!(!p.outputs.io.imd_connected);
    let t0 = b.now;
    let v0 = p.power.voltage;
    assert!(b.run_until(secs(10), |b| !b.probe(1).outputs.io.bleeder));
    eprintln!(
        "bleeder engaged {:?} after the contactors opened (from {v0:.0} V)",
        b.now - t0
    );
    assert!(
        b.now - t0 < Duration::from_millis(4000),
        "bleeder held to its deadline"
    );
    assert!(b.run_until(secs(30), |b| b.stopped(tx).is_some()));
    assert!(!bleeds.is_empty());
}

/// Case 6: A GB/T connector configured for a 24 V BMS supply selects 24 V before the auxiliary
/// supply switches on and keeps it while it is on; the default is 12 V.
#[test]
fn the_24_v_auxiliary_supply_is_selected_before_it_switches_on() {
    const CONFIG: &str = r#"
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
aux_supply_v = 24
can = { backend = "simulated" }

[[connectors]]
id = 2
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 240
can = { backend = "simulated" }
"#;
    let mut b = Bench::with_config(CONFIG);
    b.step();
    assert!(
        b.probe(1).outputs.io.aux_supply_24v,
        "selected from the start"
    );
    assert!(!b.probe(2).outputs.io.aux_supply_24v, "12 V by default");
    b.plug(1, common::small_truck());
    b.plug(2, common::small_truck());
    b.start(1);
    b.start(2);
    let mut aux_seen = [false, false];
    let charged = b.run_until(MIN, |b| {
        for (i, id) in [1u32, 2].into_iter().enumerate() {
            let io = b.probe(id).outputs.io;
            aux_seen[i] |= io.lines.aux_power;
            assert_eq!(io.aux_supply_24v, id == 1, "connector {id} at {}", b.now);
        }
        b.status(1) == ConnectorStatus::Charging && b.status(2) == ConnectorStatus::Charging
    });
    assert!(charged, "GB/T trucks did not charge");
    assert_eq!(aux_seen, [true, true]);
}

/// `chargerctl hw set`: an output driven by hand only on a connector made Inoperative, never
/// with a session; the station's rules still hold (the contactors close only once the lock
/// reports locked, and the supply stays off); making the connector Operative hands every
/// output back.
#[test]
fn outputs_driven_by_hand_only_on_an_inoperative_connector_under_the_station_rules() {
    let by_hand = |line: &str, level: Option<bool>| StationCommand::TestOutput {
        connector: 1,
        line: line.into(),
        level,
    };
    let (mut b, _) = charging();
    // Charging: refused, and an inoperative change only scheduled is not enough.
    assert!(matches!(
        b.command(by_hand("contactors", Some(false))),
        Err(CommandError::NotInoperative(1))
    ));
    b.command(StationCommand::SetAvailability {
        connector: 1,
        operative: false,
    })
    .unwrap();
    assert!(matches!(
        b.command(by_hand("connector_lock", Some(false))),
        Err(CommandError::NotInoperative(1))
    ));
    b.command(StationCommand::Stop {
        connector: 1,
        reason: StopReason::Local,
    })
    .unwrap();
    assert!(b.run_until(MIN, |b| !b.probe(1).outputs.io.contactors
        && b.rig.station().snapshot()[0].transaction.is_none()));
    b.unplug(1);
    b.run_for(secs(2));
    assert!(matches!(
        b.command(by_hand("k9", Some(true))),
        Err(CommandError::UnknownLine(_))
    ));

    // Inoperative and dead: the contactors asked closed stay open until the lock, asked
    // locked by hand too, reports locked; the supply never comes on.
    b.command(by_hand("contactors", Some(true))).unwrap();
    b.run_for(secs(1));
    assert!(!b.probe(1).outputs.io.contactors, "closed before the lock");
    b.command(by_hand("connector_lock", Some(true))).unwrap();
    assert!(b.run_until(secs(5), |b| b.probe(1).outputs.io.contactors));
    b.run_for(secs(1));
    let p = b.probe(1);
    assert!(p.outputs.io.contactors && !p.outputs.power.enabled, "{p:?}");
    // The feedback follows the command: no contactor fault.
    assert!(raised(&b, 1, FaultKind::ContactorStuckOpen, 0).is_none());
    let snap = &b.rig.station().snapshot()[0];
    assert_eq!(snap.test_outputs.get("contactors"), Some(&true), "{snap:?}");

    // Handed back one by one, or all at once by making the connector Operative.
    b.command(by_hand("contactors", None)).unwrap();
    b.step();
    assert!(!b.probe(1).outputs.io.contactors);
    assert!(b.probe(1).outputs.io.connector_lock);
    operative(&mut b, 1);
    b.step();
    let p = b.probe(1);
    assert!(
        !p.outputs.io.contactors && !p.outputs.io.connector_lock,
        "{p:?}"
    );
    assert!(b.rig.station().snapshot()[0].test_outputs.is_empty());

    // An emergency stop takes the hand away for good: the contactors open in that step and
    // do not close again once the chain is closed and the fault cleared.
    b.command(StationCommand::SetAvailability {
        connector: 1,
        operative: false,
    })
    .unwrap();
    b.command(by_hand("connector_lock", Some(true))).unwrap();
    b.command(by_hand("contactors", Some(true))).unwrap();
    assert!(b.run_until(secs(5), |b| b.probe(1).outputs.io.contactors));
    b.fault(1, SimFault::EmergencyStop);
    b.step();
    b.step();
    assert!(
        !b.probe(1).outputs.io.contactors,
        "contactors closed through an e-stop"
    );
    assert!(b.rig.station().snapshot()[0].test_outputs.is_empty());
    // While the fault stands the hand is refused, with the fault named.
    assert!(matches!(
        b.command(by_hand("contactors", Some(true))),
        Err(CommandError::Faulted { .. })
    ));
    b.rig.simulate(1, SimCommand::ClearFaults, b.now).unwrap();
    operative(&mut b, 1);
    b.run_for(secs(2));
    assert!(!b.probe(1).outputs.io.contactors && !b.probe(1).outputs.io.connector_lock);

    // A vehicle on the cable: refused.
    b.command(StationCommand::SetAvailability {
        connector: 1,
        operative: false,
    })
    .unwrap();
    b.plug(1, TruckSpec::default());
    b.run_for(secs(1));
    assert!(matches!(
        b.command(by_hand("aux_power", Some(true))),
        Err(CommandError::Occupied(1))
    ));
}
