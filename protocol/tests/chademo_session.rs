//! Whole CHAdeMO sessions: `ChademoCharger` and `ChademoVehicle` wired through a small ideal
//! plant (power supply with slew, output contactors, cable, EV contactors, battery as OCV + R,
//! insulation monitor), in simulated time with 10 ms steps.
//!
//! Every step checks the safety invariants:
//! * the output contactors are never closed onto the battery (EV contactors closed) before
//!   `InsulationPassed` and `EnergyTransferStarted`, and they close onto it only with the
//!   supply within 10 V of the cable;
//! * the current asked of the supply never exceeds min(vehicle request, available current)
//!   while energy can flow;
//! * the output contactors open only with ≤ 5 A flowing;
//! * the connector unlocks only at ≤ 60 V (in fact ≤ 10 V);
//! * d2 is never up without d1; phases only move forward; one `StopTriggered`, one `Finished`;
//! * nothing is overdue after a step (`poll_timeout` is in the future).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_protocol::chademo::{
    ChademoCharger, ChademoChargerConfig, ChademoVehicle, ChademoVehicleParams, ChargerStatus,
    VehicleControl, VehicleFault, VehicleLimits, VehicleState, VehicleStopCause,
};
use charger_protocol::session::{AlarmKind, ChargerRating, InsulationVerdict};
use charger_protocol::{
    CanFrame, DcSession, PlantInputs, PlantOutputs, SessionEvent, SessionPhase, StopReason,
    Timestamp,
};
use proptest::prelude::*;

const STEP: Duration = Duration::from_millis(10);

fn rating() -> ChargerRating {
    ChargerRating {
        max_voltage: 1000.0,
        min_voltage: 150.0,
        max_current: 200.0,
        min_current: 0.0,
    }
}

/// An ideal plant: everything the charger and the vehicle cannot see directly.
#[derive(Debug)]
struct Plant {
    /// Supply terminal voltage and output current.
    psu_voltage: f32,
    current: f32,
    cable_voltage: f32,
    soc: f32,
    capacity_ah: f32,
    resistance: f32,
    energy_kwh: f32,
    imd_fault: bool,
    imd_since: Option<Timestamp>,
    verdict: InsulationVerdict,
    /// The EV contactors weld shut the moment they are next commanded open.
    weld_on_open: bool,
    welded: bool,
}

impl Plant {
    const V_SLEW: f32 = 2000.0; // V/s
    const I_SLEW: f32 = 1000.0; // A/s
    const PSU_BLEED_TAU: f32 = 0.05; // s
    const CABLE_BLEED_TAU: f32 = 0.2; // s

    fn new(soc: f32, capacity_kwh: f32) -> Self {
        Plant {
            psu_voltage: 0.0,
            current: 0.0,
            cable_voltage: 0.0,
            soc,
            capacity_ah: capacity_kwh * 1000.0 / 680.0,
            resistance: 0.05,
            energy_kwh: 0.0,
            imd_fault: false,
            imd_since: None,
            verdict: InsulationVerdict::Unknown,
            weld_on_open: false,
            welded: false,
        }
    }

    fn ocv(&self) -> f32 {
        600.0 + 1.3 * self.soc
    }

    fn terminal_voltage(&self) -> f32 {
        self.ocv() + self.current * self.resistance
    }

    fn step(&mut self, out: &PlantOutputs, ev_commanded_closed: bool, now: Timestamp) {
        let dt = STEP.as_secs_f32();
        if ev_commanded_closed {
            self.welded = false;
        } else if self.weld_on_open && !self.welded {
            // Only weld contactors that were closed.
            self.welded = self.cable_voltage > 50.0 && out.lines.sequence_2;
        }
        let ev_closed = ev_commanded_closed || self.welded;
        let cmd = out.power;
        let slew_psu = |v: f32| {
            if cmd.enabled {
                let d = (cmd.voltage - v).clamp(-Self::V_SLEW * dt, Self::V_SLEW * dt);
                v + d
            } else {
                v * (-dt / Self::PSU_BLEED_TAU).exp()
            }
        };
        match (out.contactors_closed, ev_closed) {
            (true, true) => {
                let wanted = if cmd.enabled {
                    ((cmd.voltage - self.ocv()) / self.resistance).clamp(0.0, cmd.current)
                } else {
                    0.0
                };
                let d = (wanted - self.current).clamp(-Self::I_SLEW * dt, Self::I_SLEW * dt);
                self.current = if cmd.enabled { self.current + d } else { 0.0 };
                self.psu_voltage = self.terminal_voltage();
                self.cable_voltage = self.psu_voltage;
            }
            (true, false) => {
                self.current = 0.0;
                self.psu_voltage = slew_psu(self.psu_voltage);
                self.cable_voltage = self.psu_voltage;
            }
            (false, true) => {
                self.current = 0.0;
                self.psu_voltage = slew_psu(self.psu_voltage);
                self.cable_voltage = self.ocv();
            }
            (false, false) => {
                self.current = 0.0;
                self.psu_voltage = slew_psu(self.psu_voltage);
                self.cable_voltage *= (-dt / Self::CABLE_BLEED_TAU).exp();
            }
        }
        self.soc += self.current * dt / 3600.0 / self.capacity_ah * 100.0;
        self.energy_kwh += self.current * self.terminal_voltage() * dt / 3600.0 / 1000.0;

        if out.insulation_test {
            let since = *self.imd_since.get_or_insert(now);
            self.verdict =
                if now >= since + Duration::from_millis(500) && self.cable_voltage > 100.0 {
                    if self.imd_fault {
                        InsulationVerdict::Fault { ohms: 20_000.0 }
                    } else {
                        InsulationVerdict::Ok { ohms: 2.0e6 }
                    }
                } else {
                    InsulationVerdict::Measuring
                };
        } else {
            self.imd_since = None;
        }
    }
}

/// What the truck's BMS wants: 250 A up to 70 %, tapering to 20 A at 80 %.
fn bms_current(soc: f32) -> f32 {
    if soc < 70.0 {
        250.0
    } else {
        (250.0 - (soc - 70.0) * 23.0).max(20.0)
    }
}

fn rank(p: SessionPhase) -> u8 {
    match p {
        SessionPhase::Idle => 0,
        SessionPhase::Handshake => 1,
        SessionPhase::CableCheck => 2,
        SessionPhase::Precharge => 3,
        SessionPhase::Charging => 4,
        SessionPhase::Stopping => 5,
        SessionPhase::WeldingDetection => 6,
        SessionPhase::Finished => 7,
    }
}

/// Rewrites a frame the vehicle sends before the charger sees it (absurd values, see the
/// `vehicle_values_fuzz` suite).
type Rewrite = Box<dyn FnMut(Timestamp, CanFrame) -> CanFrame>;

struct Rig {
    now: Timestamp,
    rewrite: Option<Rewrite>,
    /// Frame rejections are failures unless the test feeds frames the decoder may refuse.
    rejections_allowed: bool,
    /// 100.1 as last sent: the vehicle's own maximum current (0 = none given).
    vehicle_max_current: f32,
    charger: ChademoCharger,
    vehicle: ChademoVehicle,
    plant: Plant,
    available: f32,
    target_soc: f32,
    /// Forces the k line (a vehicle that drops permission on its own).
    permission_override: Option<bool>,
    events: Vec<(Timestamp, SessionEvent)>,
    /// 102.3 as last sent by the vehicle.
    last_request: f32,
    last_status: Option<ChargerStatus>,
    insulation_passed: bool,
    energy_started: bool,
    peak_current: f32,
    alarms_allowed: bool,
}

impl Rig {
    fn new(vehicle: ChademoVehicleParams, soc: f32) -> Self {
        let mut charger = ChademoCharger::new(ChademoChargerConfig::new(rating())).unwrap();
        let plant = Plant::new(soc, vehicle.capacity_kwh);
        let vehicle = ChademoVehicle::new(vehicle);
        charger.start(Timestamp::ZERO);
        Rig {
            now: Timestamp::ZERO,
            rewrite: None,
            rejections_allowed: false,
            vehicle_max_current: 0.0,
            charger,
            vehicle,
            plant,
            available: 250.0,
            target_soc: 80.0,
            permission_override: None,
            events: Vec::new(),
            last_request: 0.0,
            last_status: None,
            insulation_passed: false,
            energy_started: false,
            peak_current: 0.0,
            alarms_allowed: false,
        }
    }

    /// A small pack (5 kWh) so that a full 20 → 80 % charge takes ~2 simulated minutes.
    fn small_truck() -> ChademoVehicleParams {
        ChademoVehicleParams {
            capacity_kwh: 5.0,
            ..ChademoVehicleParams::default()
        }
    }

    fn step(&mut self) {
        self.now += STEP;
        let now = self.now;
        let before = self.charger.outputs();
        let phase_before = self.charger.phase();

        self.plant
            .step(&before, self.vehicle.contactors_closed(), now);

        self.vehicle.set_lines(before.lines);
        self.vehicle
            .set_battery(self.plant.terminal_voltage(), self.plant.soc);
        self.vehicle.set_battery_current(self.plant.current);
        self.vehicle
            .set_current_request(bms_current(self.plant.soc));
        if self.plant.soc >= self.target_soc {
            self.vehicle.request_stop();
        }
        self.vehicle.update(now);
        while let Some(f) = self.vehicle.poll_transmit(now) {
            let f = match self.rewrite.as_mut() {
                Some(rewrite) => rewrite(now, f),
                None => f,
            };
            if let Ok(c) = VehicleControl::decode(&f) {
                self.last_request = f32::from(c.current_request);
            }
            if let Ok(l) = VehicleLimits::decode(&f) {
                self.vehicle_max_current = f32::from(l.max_charge_current);
            }
            self.charger.handle_frame(&f, now);
        }

        let inputs = PlantInputs {
            cable_voltage: self.plant.cable_voltage,
            psu_voltage: self.plant.psu_voltage,
            output_current: self.plant.current,
            vehicle_permission: self
                .permission_override
                .unwrap_or(self.vehicle.permission()),
            insulation: self.plant.verdict,
        };
        self.charger.set_available_current(self.available, now);
        self.charger.update(&inputs, now);
        let mut order = Vec::new();
        while let Some(f) = self.charger.poll_transmit(now) {
            order.push(f.id());
            if let Ok(s) = ChargerStatus::decode(&f) {
                self.last_status = Some(s);
            }
            self.vehicle.handle_frame(&f, now);
        }
        assert!(
            order.is_empty() || order == [0x108, 0x109],
            "108 then 109 each cycle, got {order:x?}"
        );
        let mut step_events = Vec::new();
        while let Some(e) = self.charger.poll_event() {
            step_events.push(e);
        }
        let after = self.charger.outputs();
        self.check(&inputs, &before, &after, phase_before, &step_events);
        self.peak_current = self.peak_current.max(self.plant.current);
        self.events
            .extend(step_events.into_iter().map(|e| (now, e)));
    }

    fn check(
        &mut self,
        inputs: &PlantInputs,
        before: &PlantOutputs,
        after: &PlantOutputs,
        phase_before: SessionPhase,
        step_events: &[SessionEvent],
    ) {
        let now = self.now;
        for e in step_events {
            match e {
                SessionEvent::InsulationPassed { .. } => self.insulation_passed = true,
                SessionEvent::EnergyTransferStarted => {
                    assert!(self.insulation_passed, "{now}: transfer before insulation");
                    self.energy_started = true;
                }
                SessionEvent::PhaseChanged { from, to } => {
                    assert!(
                        rank(*to) > rank(*from),
                        "{now}: phase went {from:?} → {to:?}"
                    );
                }
                SessionEvent::Alarm(a) => {
                    assert!(self.alarms_allowed, "{now}: unexpected alarm: {a}");
                }
                SessionEvent::FrameRejected(r) => {
                    assert!(self.rejections_allowed, "{now}: frame rejected: {r}");
                }
                _ => {}
            }
        }
        assert!(rank(self.charger.phase()) >= rank(phase_before));

        // Energy path: output contactors closed while the EV contactors are closed.
        let ev_closed = self.vehicle.contactors_closed() || self.plant.welded;
        if after.contactors_closed && ev_closed {
            assert!(
                self.insulation_passed && self.energy_started,
                "{now}: contactors closed onto the battery before insulation test and precharge"
            );
            if self.vehicle_max_current > 0.0 {
                assert!(
                    after.power.current <= self.vehicle_max_current + 1e-3,
                    "{now}: power current {} A > the vehicle's own maximum {} A (100.1)",
                    after.power.current,
                    self.vehicle_max_current
                );
            }
            assert!(
                after.power.current <= self.last_request.min(self.available) + 1e-3,
                "{now}: power current {} A > min(request {} A, available {} A)",
                after.power.current,
                self.last_request,
                self.available
            );
        }
        if after.contactors_closed && !before.contactors_closed && ev_closed {
            assert!(
                (inputs.psu_voltage - inputs.cable_voltage).abs() <= 10.0,
                "{now}: closed onto the battery with supply {} V vs cable {} V",
                inputs.psu_voltage,
                inputs.cable_voltage
            );
        }
        assert!(after.power.current <= rating().max_current);
        if before.contactors_closed && !after.contactors_closed {
            assert!(
                inputs.output_current <= 5.0,
                "{now}: contactors opened at {} A",
                inputs.output_current
            );
        }
        if before.lock_connector && !after.lock_connector {
            assert!(
                inputs.cable_voltage <= 60.0,
                "{now}: unlocked at {} V",
                inputs.cable_voltage
            );
        }
        assert!(
            !after.lines.sequence_2 || after.lines.sequence_1,
            "d2 without d1"
        );
        if let Some(t) = self.charger.poll_timeout() {
            assert!(t > now, "{now}: deadline {t} overdue after a step");
        }
        let stops = self.count(|e| matches!(e, SessionEvent::StopTriggered(_)))
            + step_events
                .iter()
                .filter(|e| matches!(e, SessionEvent::StopTriggered(_)))
                .count();
        assert!(stops <= 1, "more than one StopTriggered");
    }

    fn count(&self, f: impl Fn(&SessionEvent) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| f(e)).count()
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.step();
        }
    }

    /// Steps until `cond` holds or `limit` passes; returns whether it held.
    fn run_until(&mut self, limit: Duration, mut cond: impl FnMut(&Rig) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            self.step();
            if cond(self) {
                return true;
            }
        }
        false
    }

    fn run_to_charging(&mut self, amps: f32) {
        assert!(
            self.run_until(Duration::from_secs(30), |r| r.plant.current >= amps),
            "never reached {amps} A; phase {:?}, events {:?}",
            self.charger.phase(),
            self.events
        );
    }

    fn run_to_finish(&mut self, limit: Duration) {
        assert!(
            self.run_until(limit, |r| r.charger.phase() == SessionPhase::Finished),
            "not finished; phase {:?}, events {:?}",
            self.charger.phase(),
            self.events
        );
        // A little longer: the vehicle sees d1 drop and goes to sleep; nothing else happens.
        self.run_for(Duration::from_millis(200));
        assert_eq!(self.vehicle.state(), VehicleState::Asleep);
        let out = self.charger.outputs();
        assert_eq!(out, PlantOutputs::default(), "everything released");
        assert_eq!(self.charger.poll_timeout(), None);
    }

    fn finished_reason(&self) -> Option<StopReason> {
        self.events.iter().find_map(|(_, e)| match e {
            SessionEvent::Finished(r) => Some(r.clone()),
            _ => None,
        })
    }

    fn stop_at(&self) -> Option<Timestamp> {
        self.events
            .iter()
            .find_map(|(t, e)| matches!(e, SessionEvent::StopTriggered(_)).then_some(*t))
    }

    fn phases(&self) -> Vec<SessionPhase> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SessionEvent::PhaseChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn full_charge_to_the_bms_target() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(150.0);
    assert!(rig.insulation_passed && rig.energy_started);
    let status = rig.last_status.unwrap();
    assert!(status.flags.charging && !status.flags.stop_control && status.flags.connector_locked);

    // Dynamic control: the station's available current drops to 120 A; 108.3 follows and the
    // vehicle lowers its request; then it comes back.
    rig.run_for(Duration::from_secs(5));
    rig.available = 120.0;
    rig.run_for(Duration::from_secs(3));
    assert_eq!(
        rig.vehicle.charger_capability().unwrap().available_current,
        120
    );
    assert!(rig.last_request <= 120.0);
    assert!(rig.plant.current <= 120.5);
    rig.available = 250.0;

    rig.run_to_finish(Duration::from_secs(400));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
    assert_eq!(rig.vehicle.stop_cause(), Some(VehicleStopCause::Requested));
    assert!(
        rig.plant.soc >= 80.0 && rig.plant.soc < 81.0,
        "{}",
        rig.plant.soc
    );
    assert!(rig.peak_current > 199.0 && rig.peak_current <= 200.5);
    assert!(rig.plant.energy_kwh > 2.9, "{}", rig.plant.energy_kwh);
    assert_eq!(
        rig.phases(),
        vec![
            SessionPhase::Handshake,
            SessionPhase::CableCheck,
            SessionPhase::Precharge,
            SessionPhase::Charging,
            SessionPhase::Stopping,
            SessionPhase::WeldingDetection,
            SessionPhase::Finished,
        ]
    );
    let v = rig.charger.vehicle();
    assert_eq!(v.protocol.as_deref(), Some("CHAdeMO 1.0"));
    assert_eq!(v.battery_capacity_kwh, Some(5.0));
    assert_eq!(v.max_voltage, Some(750.0));
    assert_eq!(v.target_voltage, Some(740.0));
    assert!(v.soc_percent.unwrap() >= 79.0);
    assert!(v.faults.is_empty());
}

#[test]
fn stop_from_the_vehicle() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(100.0);
    rig.vehicle.request_stop();
    rig.run_to_finish(Duration::from_secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
    let stop = rig.stop_at().unwrap();
    assert!(rig.phases().contains(&SessionPhase::WeldingDetection));
    // From stop to finished: ramp, EV contactors and welding check, 500 ms d2→d1, bleed.
    let finished = rig
        .events
        .iter()
        .find(|(_, e)| matches!(e, SessionEvent::Finished(_)))
        .unwrap()
        .0;
    assert!(
        finished - stop < Duration::from_secs(4),
        "{:?}",
        finished - stop
    );
}

#[test]
fn stop_from_the_station() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(150.0);
    let now = rig.now;
    rig.charger.stop(StopReason::Remote, now);
    assert_eq!(rig.charger.outputs().power.current, 0.0);
    rig.run_to_finish(Duration::from_secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::Remote));
    assert_eq!(
        rig.vehicle.stop_cause(),
        Some(VehicleStopCause::ChargerStopped)
    );
}

#[test]
fn vehicle_goes_silent_on_can() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(150.0);
    rig.vehicle.set_can_silent(true);
    let silent_from = rig.now;
    rig.run_to_finish(Duration::from_secs(15));
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::CommunicationLost(
            "no 0x102 from the vehicle for 1000 ms".into()
        ))
    );
    let stop = rig.stop_at().unwrap();
    assert!(
        stop - silent_from <= Duration::from_millis(1010),
        "{:?}",
        stop - silent_from
    );
    assert!(rig.last_status.unwrap().flags.system_malfunction);
}

#[test]
fn vehicle_fault_bit() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(150.0);
    rig.vehicle.inject_fault(VehicleFault::BatteryOvervoltage);
    rig.run_to_finish(Duration::from_secs(15));
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::VehicleFault(
            "battery overvoltage (102.4.0)".into()
        ))
    );
    assert_eq!(rig.vehicle.stop_cause(), Some(VehicleStopCause::Fault));
}

#[test]
fn vehicle_drops_permission() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(150.0);
    rig.permission_override = Some(false);
    rig.step();
    assert_eq!(rig.charger.stop_reason(), Some(&StopReason::VehicleRequest));
    rig.run_to_finish(Duration::from_secs(15));
}

#[test]
fn incompatible_target_voltage() {
    let params = ChademoVehicleParams {
        max_battery_voltage: 1150.0,
        target_voltage: 1100.0,
        ..Rig::small_truck()
    };
    let mut rig = Rig::new(params, 20.0);
    rig.run_to_finish(Duration::from_secs(5));
    let Some(StopReason::Incompatible(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(why.contains("1100 V"), "{why}");
    assert!(rig.last_status.unwrap().flags.battery_incompatible);
    assert!(!rig.insulation_passed);
    assert!(!rig.vehicle.permission());
    assert_eq!(
        rig.phases(),
        vec![
            SessionPhase::Handshake,
            SessionPhase::Stopping,
            SessionPhase::Finished
        ]
    );
    assert!(rig.now < Timestamp::from_secs(2));
}

#[test]
fn insulation_failure() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.plant.imd_fault = true;
    let mut saw_locked_test = false;
    let mut max_cable = 0.0f32;
    assert!(rig.run_until(Duration::from_secs(20), |r| {
        let o = r.charger.outputs();
        saw_locked_test |= o.insulation_test && o.lock_connector && o.contactors_closed;
        max_cable = max_cable.max(r.plant.cable_voltage);
        r.charger.phase() == SessionPhase::Finished
    }));
    assert!(saw_locked_test);
    assert!(max_cable > 700.0, "test voltage reached: {max_cable}");
    let Some(StopReason::InsulationFailure(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(why.contains("20000 Ω"), "{why}");
    assert!(!rig.insulation_passed);
    assert!(!rig.phases().contains(&SessionPhase::Precharge));
    assert!(!rig.vehicle.contactors_closed());
    assert!(rig.last_status.unwrap().flags.charger_malfunction);
    rig.run_for(Duration::from_millis(200));
    assert_eq!(rig.vehicle.state(), VehicleState::Asleep);
}

#[test]
fn welded_ev_contactors_raise_an_alarm_and_keep_the_connector_locked() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.alarms_allowed = true;
    rig.run_to_charging(150.0);
    rig.plant.weld_on_open = true;
    rig.vehicle.request_stop();
    rig.run_for(Duration::from_secs(15));
    assert!(rig.plant.welded);
    assert!(
        rig.count(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::WeldingSuspected))
            == 1
    );
    assert!(
        rig.count(
            |e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::CableNotDischarged)
        ) == 1
    );
    assert_ne!(rig.charger.phase(), SessionPhase::Finished);
    let out = rig.charger.outputs();
    assert!(
        out.lock_connector,
        "never unlock with the battery on the cable"
    );
    assert!(!out.contactors_closed && !out.lines.sequence_1 && !out.lines.sequence_2);
}

/// A station stop at every early stage ends cleanly: no alarms, contactors open at ≤ 5 A,
/// unlock at ≤ 10 V, the vehicle back asleep.
#[test]
fn station_stop_at_each_early_stage() {
    type Stage = fn(&Rig) -> bool;
    let stages: [(&str, Stage); 5] = [
        ("handshake", |r| r.last_status.is_some()),
        ("locked, before the test", |r| {
            r.charger.outputs().lock_connector
        }),
        ("insulation test at voltage", |r| {
            r.charger.outputs().insulation_test && r.plant.cable_voltage > 700.0
        }),
        ("d2 up, EV contactors open", |r| {
            r.charger.outputs().lines.sequence_2
        }),
        ("precharge running, EV contactors closed", |r| {
            r.charger.outputs().power.enabled && r.charger.phase() == SessionPhase::Precharge
        }),
    ];
    for (name, reached) in stages {
        let mut rig = Rig::new(Rig::small_truck(), 20.0);
        assert!(
            rig.run_until(Duration::from_secs(10), reached),
            "{name}: never reached"
        );
        let now = rig.now;
        rig.charger.stop(StopReason::Local, now);
        rig.run_to_finish(Duration::from_secs(15));
        assert_eq!(rig.finished_reason(), Some(StopReason::Local), "{name}");
        assert!(!rig.energy_started, "{name}");
        let finished = rig
            .events
            .iter()
            .find(|(_, e)| matches!(e, SessionEvent::Finished(_)))
            .unwrap()
            .0;
        assert!(
            finished - now < Duration::from_secs(4),
            "{name}: took {:?}",
            finished - now
        );
    }
}

// ----- the vehicle on the bus, well-formed but absurd -------------------------------------------

/// Values a vehicle may put in its well-formed frames; `None` keeps what it would send.
#[derive(Debug, Clone, Copy, Default)]
struct Says {
    /// 100.4-5, volts.
    max_battery_voltage: Option<u16>,
    /// 100.1, amperes.
    max_current: Option<u8>,
    /// 102.1-2, volts.
    target_voltage: Option<u16>,
    /// 102.3, amperes; applied only while the vehicle asks for something (a request before its
    /// contactors close is a different fault).
    request: Option<u8>,
    /// 102.6, % (SOC).
    charged_rate: Option<u8>,
}

fn any_says() -> impl Strategy<Value = Says> {
    (
        proptest::option::of(prop::sample::select(vec![
            0u16, 1, 149, 150, 400, 700, 780, 1000, 1001, 2000, 65535,
        ])),
        proptest::option::of(prop::sample::select(vec![0u8, 1, 50, 120, 200, 255])),
        proptest::option::of(prop::sample::select(vec![
            0u16, 100, 500, 700, 780, 1000, 1001, 2000, 65535,
        ])),
        proptest::option::of(prop::sample::select(vec![1u8, 100, 200, 254, 255])),
        proptest::option::of(prop::sample::select(vec![0u8, 50, 100, 101, 150, 255])),
    )
        .prop_map(
            |(max_battery_voltage, max_current, target_voltage, request, charged_rate)| Says {
                max_battery_voltage,
                max_current,
                target_voltage,
                request,
                charged_rate,
            },
        )
}

fn rewrite_with(says: Says, f: CanFrame) -> CanFrame {
    if let Ok(mut l) = VehicleLimits::decode(&f) {
        l.max_battery_voltage = says.max_battery_voltage.unwrap_or(l.max_battery_voltage);
        l.max_charge_current = says.max_current.unwrap_or(l.max_charge_current);
        return l.encode().expect("limits encode");
    }
    if let Ok(mut c) = VehicleControl::decode(&f) {
        c.target_voltage = says.target_voltage.unwrap_or(c.target_voltage);
        if c.current_request > 0 {
            c.current_request = says.request.unwrap_or(c.current_request);
        }
        c.charged_rate = says.charged_rate.unwrap_or(c.charged_rate);
        return c.encode().expect("control encode");
    }
    f
}

/// Whether the charger must refuse to charge what the vehicle says from the start.
fn incompatible_from_the_start(says: &Says, params: &ChademoVehicleParams) -> bool {
    let rating = rating();
    // Above 1,200 V the frame itself is refused (out of the protocol's range).
    let impossible = |v: Option<u16>| v.is_some_and(|v| v > 1200);
    if impossible(says.max_battery_voltage) || impossible(says.target_voltage) {
        return true;
    }
    let max_v = says
        .max_battery_voltage
        .map_or(params.max_battery_voltage, f32::from);
    let target = says.target_voltage.map_or(params.target_voltage, f32::from);
    let threshold = max_v.min(rating.max_voltage);
    target > rating.max_voltage || threshold < rating.min_voltage || target > threshold
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// A vehicle whose well-formed frames carry absurd values (0 V or 2,000 V batteries,
    /// requests above its own maximum, SOC above 100 %), changing them suddenly mid-session:
    /// every step keeps the invariants of `Rig::check` (current never above the request, the
    /// vehicle's maximum or the rating; contactors open only without current; …), a vehicle
    /// incompatible from the start never gets energy, and every session that ends says why.
    #[test]
    fn vehicle_values_fuzz_chademo_absurd_frames_stay_safe(
        first in any_says(),
        then in any_says(),
        change_after_ms in prop::sample::select(vec![0u64, 100, 1_000, 5_000, 20_000]),
    ) {
        let params = Rig::small_truck();
        let refuse = incompatible_from_the_start(&first, &params);
        let mut rig = Rig::new(params, 30.0);
        rig.rejections_allowed = true;
        rig.alarms_allowed = true;
        // The change comes `change_after_ms` into the session's energy transfer.
        let charging_since = std::rc::Rc::new(std::cell::Cell::new(None::<Timestamp>));
        let seen = charging_since.clone();
        // The maximum battery voltage the vehicle declared last (100.4-5).
        let declared_max_v = std::rc::Rc::new(std::cell::Cell::new(f32::INFINITY));
        let declared = declared_max_v.clone();
        rig.rewrite = Some(Box::new(move |now, f| {
            let late = seen
                .get()
                .is_some_and(|t: Timestamp| now.saturating_since(t) >= Duration::from_millis(change_after_ms));
            let f = rewrite_with(if late { then } else { first }, f);
            if let Ok(l) = VehicleLimits::decode(&f) {
                declared.set(f32::from(l.max_battery_voltage));
            }
            f
        }));
        let end = rig.now + Duration::from_secs(60);
        while rig.now < end && rig.charger.phase() != SessionPhase::Finished {
            rig.step();
            if rig.energy_started && charging_since.get().is_none() {
                charging_since.set(Some(rig.now));
            }
            let out = rig.charger.outputs();
            if out.power.enabled && rig.energy_started {
                // Never above what the vehicle says its battery takes, as it says it now.
                prop_assert!(
                    out.power.voltage <= declared_max_v.get() + 1e-3,
                    "{}: supply limit {} V above the vehicle's maximum {} V",
                    rig.now, out.power.voltage, declared_max_v.get()
                );
            }
            let soc = rig.charger.vehicle().soc_percent;
            prop_assert!(soc.is_none_or(|s| (0.0..=100.0).contains(&s)), "SOC {:?}", soc);
        }
        if refuse {
            prop_assert!(!rig.energy_started, "energy to an incompatible vehicle: {:?}", first);
            prop_assert_eq!(rig.charger.phase(), SessionPhase::Finished);
            prop_assert!(
                matches!(rig.finished_reason(), Some(StopReason::Incompatible(_))),
                "{:?}", rig.finished_reason()
            );
        }
        if rig.charger.phase() == SessionPhase::Finished {
            prop_assert!(rig.finished_reason().is_some());
            prop_assert!(rig.charger.stop_reason().is_some());
        }
    }
}

/// A well-formed frame with a value no vehicle can mean (a 2,000 V battery) ends the session
/// at once as incompatible, saying so, instead of timing out as a lost link 10 s later.
#[test]
fn an_impossible_value_in_a_vehicle_frame_stops_the_session_as_incompatible() {
    let mut rig = Rig::new(Rig::small_truck(), 30.0);
    rig.rejections_allowed = true;
    let says = Says {
        target_voltage: Some(2000),
        ..Says::default()
    };
    rig.rewrite = Some(Box::new(move |_, f| rewrite_with(says, f)));
    assert!(rig.run_until(Duration::from_secs(2), |r| r.charger.phase()
        == SessionPhase::Finished));
    match rig.finished_reason() {
        Some(StopReason::Incompatible(why)) => assert!(why.contains("2000"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(!rig.energy_started);
}
