//! The per-module schedule (pure, simulated time), and the bus against the simulated modules
//! on an in-process CAN bus.

use std::path::Path;

use super::*;
use crate::can::loopback::{LoopbackBus, LoopbackPort};
use crate::sim::can_module::{CanModuleSim, CanSimFault};
use crate::sim::modbus::{BatteryLoad, ModuleRating};

fn profile() -> Arc<CanProfile> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices/power-module-infy-can.toml");
    Arc::new(CanProfile::load(&path).unwrap_or_else(|e| panic!("{e}")))
}

fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// The InfyPower command number of a frame (identifier bits 21..16).
fn cmd(f: &CanFrame) -> u32 {
    (f.id() >> 16) & 0x3F
}

fn link(address: u32) -> ModuleLink {
    ModuleLink::new(
        profile(),
        Addressing {
            module: address,
            group: 0,
        },
        t(0),
    )
}

const ON: ModuleCommand = ModuleCommand {
    enable: true,
    voltage: 650.0,
    current_limit: 20.0,
};

#[test]
fn commands_go_out_on_change_and_every_period_polls_at_theirs() {
    let mut l = link(3);
    let first: Vec<u32> = l.poll(t(0)).iter().map(cmd).collect();
    // Off and 0 V / 0 A straight away (the module must hear us), and both polls.
    assert_eq!(first, [0x1A, 0x04, 0x03, 0x1C]);
    assert!(l.poll(t(100)).is_empty());
    l.command(ON);
    let changed = l.poll(t(150));
    assert_eq!(changed.iter().map(cmd).collect::<Vec<_>>(), [0x1A, 0x1C]);
    assert_eq!(changed[0].data()[0], 0, "on");
    assert_eq!(&changed[1].data()[..4], &650_000u32.to_be_bytes());
    // The same command again: nothing new until the period.
    l.command(ON);
    let mut sent: Vec<(u64, u32)> = Vec::new();
    for ms in (160..=2200).step_by(10) {
        sent.extend(l.poll(t(ms)).iter().map(|f| (ms, cmd(f))));
    }
    let at = |c: u32| -> Vec<u64> {
        sent.iter()
            .filter(|(_, x)| *x == c)
            .map(|(ms, _)| *ms)
            .collect()
    };
    assert_eq!(at(0x1C), [1150, 2150]);
    assert_eq!(at(0x1A), [1150, 2150]);
    assert_eq!(at(0x03), [250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    assert_eq!(at(0x04), [500, 1000, 1500, 2000]);
    // No module answered: every poll is missed 100 ms after it (the reply deadline), the
    // 9 V/I polls (0..=2000) and 5 status polls.
    assert_eq!(l.stats.missed_replies, 9 + 5);
}

#[test]
fn a_poll_is_missed_only_when_its_reply_misses_the_deadline() {
    let p = profile();
    let (vi, _) = p.message("vi").unwrap();
    let (status, _) = p.message("status").unwrap();
    let mut l = link(3);
    l.poll(t(0));
    // V/I answered within 100 ms, status 1 ms late (still taken as data).
    l.on_reply(vi, &vi_reply(600.0, 0.0), t(100));
    l.poll(t(100));
    assert_eq!(l.stats.missed_replies, 0);
    l.poll(t(101));
    assert_eq!(l.stats.missed_replies, 1);
    l.on_reply(status, &[0, 0, 1, 0, 30, 0, 1, 0], t(101));
    l.poll(t(102));
    assert_eq!(l.stats.replies, 2);
    assert!(!l.reading().stale);
    // The next V/I poll (250) unanswered: missed at 351, not before.
    l.poll(t(250));
    l.poll(t(350));
    assert_eq!(l.stats.missed_replies, 1);
    l.poll(t(351));
    assert_eq!(l.stats.missed_replies, 2);
}

fn vi_reply(v: f32, i: f32) -> Vec<u8> {
    let mut d = v.to_be_bytes().to_vec();
    d.extend_from_slice(&i.to_be_bytes());
    d
}

#[test]
fn the_reading_is_stale_until_answered_and_again_when_answers_stop() {
    let p = profile();
    let (vi, _) = p.message("vi").unwrap();
    let (status, _) = p.message("status").unwrap();
    let mut l = link(3);
    l.poll(t(0));
    assert!(l.reading().stale, "nothing heard yet");
    l.on_reply(vi, &vi_reply(601.0, 12.5), t(10));
    l.poll(t(20));
    assert!(l.reading().stale, "status not heard yet");
    l.on_reply(status, &[0, 0, 1, 0, 41, 0, 0, 0], t(30));
    l.poll(t(40));
    let r = l.reading().clone();
    assert!(!r.stale);
    assert_eq!((r.voltage, r.current, r.running), (601.0, 12.5, true));
    assert_eq!((r.temperature_c, r.fault.as_deref()), (Some(41.0), None));
    assert_eq!(r.at, t(10), "as old as its oldest part");
    // vi's max_age is 1000 ms.
    l.poll(t(1010));
    assert!(!l.reading().stale);
    l.poll(t(1011));
    assert!(l.reading().stale);
    assert_eq!(
        l.reading().voltage,
        601.0,
        "last known value kept, marked stale"
    );
    l.on_reply(vi, &vi_reply(602.0, 13.0), t(1020));
    l.poll(t(1030));
    assert!(!l.reading().stale);
    // A fault bit and DC side off; an out-of-range voltage does not refresh vi.
    l.on_reply(status, &[0, 0, 1, 0, 41, 0, 0x11, 0], t(1040));
    l.on_reply(vi, &vi_reply(5000.0, 13.0), t(1050));
    l.poll(t(1060));
    let r = l.reading();
    assert_eq!(
        (r.running, r.fault.as_deref()),
        (false, Some("over_temperature"))
    );
    assert_eq!(r.voltage, 602.0);
    assert_eq!(l.stats.decode_errors, 1);
    // A temperature outside its range is no temperature, not a stale module.
    l.on_reply(status, &[0, 0, 1, 0, 0xB0, 0, 0, 0], t(1070));
    l.poll(t(1080));
    let r = l.reading();
    assert_eq!((r.temperature_c, r.stale), (None, false));
}

#[test]
fn a_fault_reset_sends_off_once_then_every_command_again() {
    let mut l = link(3);
    l.command(ON);
    l.poll(t(0));
    assert!(l.momentary(Point::FaultReset));
    let frames = l.poll(t(100));
    let summary: Vec<(u32, u8)> = frames.iter().map(|f| (cmd(f), f.data()[0])).collect();
    // off (the reset), then on and the setpoint again, unchanged as they are.
    assert_eq!(summary, [(0x1A, 1), (0x1A, 0), (0x1C, 0)]);
    assert!(l.poll(t(110)).is_empty());
}

#[test]
fn a_setpoint_outside_the_profile_is_fitted_into_its_range_never_dropped() {
    // What each command puts on the bus at its first poll.
    let frames = |c: ModuleCommand| {
        let mut l = link(3);
        l.poll(t(0));
        l.command(c);
        let f = l.poll(t(100));
        assert_eq!(l.stats.encode_errors, 0);
        f.iter().map(|f| f.data().to_vec()).collect::<Vec<_>>()
    };
    let on = |voltage, current_limit| ModuleCommand {
        enable: true,
        voltage,
        current_limit,
    };
    // Above the profile's 0..1000 V: sent as 1000 V (before, the frame was not sent at all and
    // the module kept its previous setpoint until its watchdog).
    assert_eq!(frames(on(2000.0, 20.0)), frames(on(1000.0, 20.0)));
    assert_ne!(frames(on(2000.0, 20.0)), frames(on(650.0, 20.0)));
    // Below the range: switched off.
    assert_eq!(
        frames(on(-10.0, 20.0)),
        frames(ModuleCommand {
            enable: false,
            voltage: 0.0,
            current_limit: 20.0,
        })
    );
}

// ---------------------------------------------------------------------------------------------
// The bus against simulated modules, in simulated time.

struct Rig {
    bus: CanModuleBus<LoopbackPort>,
    sim: CanModuleSim,
    sim_port: LoopbackPort,
    modules: Vec<CanPowerModule>,
    now: u64,
}

impl Rig {
    fn new(addresses: &[u32], load: BatteryLoad) -> Rig {
        let (a, b) = LoopbackBus::pair("modules");
        let p = profile();
        let mut bus = CanModuleBus::new(a, Arc::clone(&p));
        let modules = addresses
            .iter()
            .map(|&x| bus.attach(x, t(0)).unwrap())
            .collect();
        let sim = CanModuleSim::new(p, addresses, ModuleRating::default(), load, 0.05).unwrap();
        Rig {
            bus,
            sim,
            sim_port: b,
            modules,
            now: 0,
        }
    }

    fn run(&mut self, ms: u64) {
        for _ in 0..ms / 10 {
            self.now += 10;
            let now = t(self.now);
            self.bus.step(now).unwrap();
            while let Some(f) = self.sim_port.try_recv().unwrap() {
                for r in self.sim.receive(&f, now) {
                    self.sim_port.send(&r).unwrap();
                }
            }
            self.sim.step(now);
        }
    }

    fn command(&mut self, i: usize, cmd: ModuleCommand) {
        let now = t(self.now);
        self.modules[i].command(cmd, now);
    }
}

#[test]
fn two_modules_on_one_bus_follow_their_setpoints_and_a_silent_one_goes_stale() {
    let mut rig = Rig::new(
        &[3, 7],
        BatteryLoad {
            connected: false,
            ..BatteryLoad::default()
        },
    );
    assert!(matches!(
        rig.bus.attach(7, t(0)),
        Err(AttachError::Duplicate(7))
    ));
    assert!(matches!(
        rig.bus.attach(63, t(0)),
        Err(AttachError::Address { .. })
    ));
    rig.run(600);
    for m in &rig.modules {
        let r = m.reading();
        assert!(!r.stale && !r.running && r.voltage == 0.0, "{r:?}");
    }
    rig.command(0, ON);
    rig.command(1, ON);
    // Open output: the voltage slews at 500 V/s.
    rig.run(600);
    let v = rig.modules[0].reading().voltage;
    assert!((150.0..=300.0).contains(&v), "slewing, not there yet: {v}");
    rig.run(1400);
    for m in &rig.modules {
        let r = m.reading();
        assert!(r.running && (r.voltage - 650.0).abs() < 1.0, "{r:?}");
    }
    // Into a 600 V battery: each module delivers its 20 A limit.
    rig.sim.bus_mut().load.connected = true;
    rig.run(1000);
    for m in &rig.modules {
        let r = m.reading();
        assert!((r.current - 20.0).abs() < 0.5, "{r:?}");
    }
    // Module 7 stops answering: stale within its reply's max_age (1 s), module 3 goes on.
    rig.sim.set_fault(7, Some(CanSimFault::Deaf));
    let silenced = rig.now;
    let mut stale_after = None;
    while rig.now < silenced + 2000 {
        rig.run(10);
        if stale_after.is_none() && rig.modules[1].reading().stale {
            stale_after = Some(rig.now - silenced);
        }
        let r3 = rig.modules[0].reading();
        assert!(!r3.stale && (r3.current - 20.0).abs() < 0.5, "{r3:?}");
    }
    let after = stale_after.expect("module 7 never went stale");
    assert!(
        (750..=1100).contains(&after),
        "stale {after} ms after it went silent"
    );
    assert!(rig.bus.link_stats(7).unwrap().missed_replies >= 3);
    assert_eq!(rig.bus.link_stats(3).unwrap().missed_replies, 0);
    // It answers again: fresh again.
    rig.sim.set_fault(7, None);
    rig.run(600);
    assert!(!rig.modules[1].reading().stale);
}

#[test]
fn an_over_temperature_trip_is_reported_and_cleared_by_fault_reset() {
    let mut rig = Rig::new(&[3], BatteryLoad::default());
    rig.command(0, ON);
    rig.run(3000);
    assert!(rig.modules[0].reading().running);
    rig.sim.bus_mut().modules[0].set_temperature(80.0);
    rig.run(1000);
    let r = rig.modules[0].reading();
    assert!(
        !r.running && r.fault.as_deref() == Some("over_temperature"),
        "{r:?}"
    );
    assert_eq!(r.temperature_c, Some(80.0));
    rig.sim.bus_mut().modules[0].set_temperature(40.0);
    rig.modules[0].reset_fault(t(rig.now));
    rig.run(3000);
    let r = rig.modules[0].reading();
    assert!(r.running && r.fault.is_none() && r.current > 15.0, "{r:?}");
}

#[test]
fn a_module_that_hears_nothing_for_its_timeout_drops_its_output() {
    let mut rig = Rig::new(&[3], BatteryLoad::default());
    rig.command(0, ON);
    rig.run(3000);
    assert!(rig.sim.plant(3).unwrap().output_current() > 15.0);
    // The controller goes quiet (the bus is no longer stepped); the module runs on its own.
    // It last heard a poll at most 250 ms before.
    let quiet = rig.now;
    let mut now = quiet;
    while now < quiet + 9_700 {
        now += 100;
        rig.sim.step(t(now));
    }
    assert!(
        rig.sim.plant(3).unwrap().output_current() > 15.0,
        "still inside its 10 s"
    );
    now += 400;
    rig.sim.step(t(now));
    assert_eq!(rig.sim.plant(3).unwrap().output_current(), 0.0);
    // Once the controller is back its periodic on command restarts the module.
    rig.now = now;
    rig.run(3000);
    let r = rig.modules[0].reading();
    assert!(r.running && r.current > 15.0 && r.fault.is_none(), "{r:?}");
}

#[test]
fn a_bus_that_stops_stepping_or_is_dropped_leaves_its_modules_stale() {
    let mut rig = Rig::new(&[3], BatteryLoad::default());
    rig.run(600);
    assert!(!rig.modules[0].reading().stale);
    // The bus is stuck: the pool's own step ages the reading past vi's max_age (1 s).
    let later = rig.now;
    let module = &mut rig.modules[0];
    module.step(t(later + 900));
    assert!(!module.reading().stale);
    module.step(t(later + 1100));
    assert!(module.reading().stale);
    // The bus is dropped: stale at once.
    let mut rig = Rig::new(&[3], BatteryLoad::default());
    rig.run(600);
    assert!(!rig.modules[0].reading().stale);
    let Rig { bus, modules, .. } = rig;
    drop(bus);
    assert!(modules[0].reading().stale);
}

#[test]
fn garbage_replies_are_counted_never_taken_as_values_and_go_stale() {
    let mut rig = Rig::new(&[3], BatteryLoad::default());
    rig.command(0, ON);
    rig.run(3000);
    let before = rig.modules[0].reading();
    assert!(!before.stale && before.current > 15.0, "{before:?}");
    rig.sim.set_fault(3, Some(CanSimFault::Garbage));
    rig.run(1200);
    let r = rig.modules[0].reading();
    // 0xFF…: the V/I floats are NaN, never values, so that reply stops refreshing and the
    // module goes stale; the status reply decodes (−1 °C, every status bit set), which reads
    // as "faulted, output off": either way the pool takes the module out.
    assert!(r.stale && !r.running && r.fault.is_some(), "{r:?}");
    assert_eq!((r.voltage, r.current), (before.voltage, before.current));
    assert!(rig.modules[0].stats().decode_errors >= 4);
    rig.sim.set_fault(3, None);
    rig.run(600);
    let r = rig.modules[0].reading();
    assert!(!r.stale && r.fault.is_none(), "{r:?}");
}

/// Bits of an extended data frame with 8 data bytes before bit stuffing: SOF 1, identifier
/// 11 + SRR 1 + IDE 1 + 18, RTR 1, r1 r0 2, DLC 4, data 64, CRC 15 + delimiter 1, ACK 2,
/// EOF 7, interframe space 3.
const EXTENDED_FRAME_BITS: u64 = 1 + 11 + 1 + 1 + 18 + 1 + 2 + 4 + 64 + 15 + 1 + 2 + 7 + 3;

#[test]
fn twelve_modules_on_the_shipped_profile_load_a_125k_bus_by_about_a_fifth() {
    let addresses: Vec<u32> = (1..=12).collect();
    let mut rig = Rig::new(&addresses, BatteryLoad::default());
    for i in 0..12 {
        rig.command(i, ON);
    }
    rig.run(10_000);
    let sent: u64 = rig.modules.iter().map(|m| m.stats().frames_sent).sum();
    let replies: u64 = rig.modules.iter().map(|m| m.stats().replies).sum();
    assert!(rig.modules.iter().all(|m| m.stats().missed_replies == 0));
    let frames_per_s = (sent + replies) as f64 / 10.0;
    // Per module: V/I 4 + status 2 polls and as many replies, set_output and on_off 1 each.
    assert!((frames_per_s - 12.0 * 14.0).abs() <= 12.0, "{frames_per_s}");
    let load = frames_per_s * EXTENDED_FRAME_BITS as f64 / 125_000.0;
    eprintln!(
        "12 modules: {frames_per_s:.0} frames/s, {:.0} % of 125 kbit/s before stuffing",
        load * 100.0
    );
    // Worst-case stuffing adds up to a fifth: still well under half the bus.
    assert!(load * 1.2 < 0.35, "{load}");
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Frames from anyone on the bus, of any identifier and length, with the shipped
        /// profile's reply identifiers over-represented: the bus takes them all and never
        /// panics.
        #[test]
        fn hostile_frames_never_panic_the_bus(
            frames in proptest::collection::vec(
                (prop_oneof![0u32..(1 << 29), (0u32..64).prop_map(|a| 0x0283_F000 | a), (0u32..64).prop_map(|a| 0x0284_F000 | a)],
                 any::<bool>(),
                 proptest::collection::vec(any::<u8>(), 0..=8)),
                0..64)
        ) {
            let (a, mut b) = LoopbackBus::pair("hostile");
            let mut bus = CanModuleBus::new(a, profile());
            let m = bus.attach(3, t(0)).unwrap();
            for (id, ext, data) in &frames {
                let id = if *ext { *id } else { id & 0x7FF };
                if let Ok(f) = CanFrame::new(id, *ext, data) {
                    b.send(&f).unwrap();
                }
            }
            bus.step(t(10)).unwrap();
            let _ = m.reading();
            prop_assert_eq!(bus.stats.frames_received as usize, frames.len());
        }
    }
}

#[test]
fn a_reply_with_one_bad_field_is_not_taken_at_all() {
    let p = profile();
    let (vi, _) = p.message("vi").unwrap();
    let mut l = link(3);
    l.on_reply(vi, &vi_reply(600.0, 10.0), t(10));
    // A good current beside a NaN voltage: neither is taken.
    l.on_reply(vi, &vi_reply(f32::NAN, 30.0), t(20));
    l.poll(t(30));
    assert_eq!((l.reading().voltage, l.reading().current), (600.0, 10.0));
    assert_eq!(l.stats.decode_errors, 1);
}
