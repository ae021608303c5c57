//! Whole GB/T 27930-2015 sessions: `GbtCharger` and `GbtVehicle` wired through a small ideal
//! plant (power supply with slew, the charger's K1/K2, cable, the truck's contactors, battery as
//! OCV + R, insulation monitor), in simulated time with 10 ms steps. Every frame on the bus is
//! recorded with its time, so tests can assert on message content, periods and CEM bytes.
//!
//! Every step checks the safety invariants:
//! * K1/K2 are never closed onto the battery (both K1/K2 and the truck's contactors closed)
//!   before `InsulationPassed` and `EnergyTransferStarted`, and they close onto it only with the
//!   supply within 10 V of the cable; the insulation test runs with the truck's contactors open;
//! * while energy can flow, the current asked of the supply is at most
//!   min(BCL demand, BCP maximum, available current, CML maximum), and its voltage at most
//!   min(BCL demand, BCP maximum);
//! * K1/K2 open only at ≤ 5 A, unless an `Alarm` says why not;
//! * the connector unlocks only below 60 V;
//! * at most one `StopTriggered` and one `Finished` (exactly one of each at the end);
//! * every frame either side sends decodes with our own decoders;
//! * nothing is overdue after a step (`poll_timeout` is in the future).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_protocol::gbt::frames::pgn;
use charger_protocol::gbt::{
    Bcl, BmsMessage, BmsTimeout, Bst, ChargerMessage, Cml, Cst, CurrentCodec, GbtCharger,
    GbtChargerConfig, GbtVehicle, GbtVehicleParams, GbtVehicleState, GbtVehicleStopCause,
    ProtocolVersion, Signal,
};
use charger_protocol::j1939::{J1939Id, BMS_ADDRESS, CHARGER_ADDRESS, PGN_TP_CM, PGN_TP_DT};
use charger_protocol::session::{AlarmKind, ChargerRating, InsulationVerdict};
use charger_protocol::{
    CanFrame, ControlLines, DcSession, PlantInputs, PlantOutputs, SessionEvent, SessionPhase,
    StopReason, Timestamp,
};

const STEP: Duration = Duration::from_millis(10);
/// LFP cells in series: 192 × 3.65 V ≈ 700 V, the pack's BCP maximum.
const CELLS: f32 = 192.0;
const VIN: &str = "LGHC4V1D5PE000123";

fn rating() -> ChargerRating {
    ChargerRating {
        max_voltage: 1000.0,
        min_voltage: 200.0,
        max_current: 250.0,
        min_current: 0.0,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// What the insulation monitor will find.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Imd {
    Pass,
    Warn,
    Fail,
}

/// An ideal plant: everything the charger and the BMS cannot see directly.
#[derive(Debug)]
struct Plant {
    psu_voltage: f32,
    current: f32,
    cable_voltage: f32,
    soc: f32,
    capacity_ah: f32,
    resistance: f32,
    /// Open-circuit voltage at 0 % SOC and its rise per % of SOC.
    ocv_base: f32,
    ocv_per_percent: f32,
    energy_kwh: f32,
    imd: Imd,
    imd_since: Option<Timestamp>,
    verdict: InsulationVerdict,
    /// The truck's contactors are stuck closed whatever its BMS commands.
    ev_stuck_closed: bool,
    /// The connector is out of the inlet: no auxiliary power, no CAN, no battery on the cable.
    unplugged: bool,
    /// The supply's current loop is stuck: the current into the battery no longer follows
    /// the command (only opening a contactor stops it).
    supply_stuck: bool,
}

impl Plant {
    const V_SLEW: f32 = 2000.0; // V/s
    const I_SLEW: f32 = 1000.0; // A/s
    const PSU_BLEED_TAU: f32 = 0.05; // s
    const CABLE_BLEED_TAU: f32 = 0.2; // s

    /// A pack of `capacity_kwh` at `soc` %: 610 V at 20 %, 670 V at 80 %, 50 mΩ.
    fn new(soc: f32, capacity_kwh: f32) -> Self {
        Plant {
            psu_voltage: 0.0,
            current: 0.0,
            cable_voltage: 0.0,
            soc,
            capacity_ah: capacity_kwh * 1000.0 / 640.0,
            resistance: 0.05,
            ocv_base: 590.0,
            ocv_per_percent: 1.0,
            energy_kwh: 0.0,
            imd: Imd::Pass,
            imd_since: None,
            verdict: InsulationVerdict::Unknown,
            ev_stuck_closed: false,
            unplugged: false,
            supply_stuck: false,
        }
    }

    fn ocv(&self) -> f32 {
        self.ocv_base + self.ocv_per_percent * self.soc
    }

    fn terminal_voltage(&self) -> f32 {
        self.ocv() + self.current * self.resistance
    }

    /// The battery is on the cable.
    fn ev_closed(&self, commanded: bool) -> bool {
        !self.unplugged && (commanded || self.ev_stuck_closed)
    }

    fn step(&mut self, out: &PlantOutputs, ev_commanded_closed: bool, now: Timestamp) {
        let dt = STEP.as_secs_f32();
        let ev_closed = self.ev_closed(ev_commanded_closed);
        let cmd = out.power;
        let slew_psu = |v: f32| {
            if cmd.enabled {
                v + (cmd.voltage - v).clamp(-Self::V_SLEW * dt, Self::V_SLEW * dt)
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
                if !self.supply_stuck {
                    self.current = if cmd.enabled { self.current + d } else { 0.0 };
                }
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
        // Below the meters' resolution a bled-down output reads 0 V.
        for v in [&mut self.psu_voltage, &mut self.cable_voltage] {
            if v.abs() < 0.1 {
                *v = 0.0;
            }
        }
        self.soc += self.current * dt / 3600.0 / self.capacity_ah * 100.0;
        self.energy_kwh += self.current * self.terminal_voltage() * dt / 3600.0 / 1000.0;

        if out.insulation_test {
            let since = *self.imd_since.get_or_insert(now);
            self.verdict = if now >= since + ms(500) && self.cable_voltage > 100.0 {
                match self.imd {
                    Imd::Pass => InsulationVerdict::Ok { ohms: 2.0e6 },
                    Imd::Warn => InsulationVerdict::Warning { ohms: 250_000.0 },
                    Imd::Fail => InsulationVerdict::Fault { ohms: 20_000.0 },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Charger,
    Bms,
}

#[derive(Debug, Clone)]
struct BusFrame {
    at: Timestamp,
    from: Node,
    frame: CanFrame,
}

impl BusFrame {
    fn pgn(&self) -> u32 {
        J1939Id::from_frame(&self.frame).unwrap().pgn
    }
}

struct Rig {
    now: Timestamp,
    charger: GbtCharger,
    vehicle: GbtVehicle,
    plant: Plant,
    available: f32,
    target_soc: f32,
    /// BCL voltage demand.
    demand_voltage: f32,
    /// Fixed BCL current demand instead of [`bms_current`].
    demand_current: Option<f32>,
    /// The BMS measures the battery this much off (1.0 = right).
    bms_voltage_scale: f32,
    /// Cells in series (the BMS reports the terminal voltage / this as its highest cell).
    cells: f32,
    /// Charger messages lost on the way to the BMS.
    dropped_to_vehicle: Vec<u32>,
    /// The vehicle's current codec, for decoding what is on the bus.
    codec: CurrentCodec,
    bus: Vec<BusFrame>,
    /// Frames the charger sent in the last step, for the BMS to read at the start of the next.
    to_vehicle: Vec<CanFrame>,
    events: Vec<(Timestamp, SessionEvent)>,
    last_bcl: Option<Bcl>,
    last_cml: Option<Cml>,
    insulation_passed: bool,
    energy_started: bool,
    both_closed: bool,
    /// The truck's contactors were closed at some point.
    ev_ever_closed: bool,
    peak_current: f32,
    /// Highest voltage commanded while the insulation test ran.
    insulation_test_voltage: f32,
    alarms_allowed: bool,
    /// Drive the charger like a station that sleeps until `poll_timeout`: `update` only when a
    /// frame came, a measurement changed or a deadline is due.
    lazy: bool,
    last_inputs: Option<PlantInputs>,
    /// The cable voltmeter reads NaN (broken sensor).
    voltmeter_broken: bool,
}

impl Rig {
    fn new(params: GbtVehicleParams, soc: f32) -> Self {
        Self::with_config(GbtChargerConfig::new(rating()), params, soc)
    }

    fn with_config(config: GbtChargerConfig, params: GbtVehicleParams, soc: f32) -> Self {
        let mut charger = GbtCharger::new(config).unwrap();
        let plant = Plant::new(soc, params.nominal_energy_kwh);
        let codec = if params.version.is_2011() {
            CurrentCodec::Offset800
        } else {
            CurrentCodec::Offset400
        };
        let vehicle = GbtVehicle::new(params);
        // Started at the first step's instant, as a station polls right after `start`.
        charger.start(Timestamp::ZERO + STEP);
        Rig {
            now: Timestamp::ZERO,
            charger,
            vehicle,
            plant,
            available: 300.0,
            target_soc: 80.0,
            demand_voltage: 690.0,
            demand_current: None,
            bms_voltage_scale: 1.0,
            cells: CELLS,
            dropped_to_vehicle: Vec::new(),
            codec,
            bus: Vec::new(),
            to_vehicle: Vec::new(),
            events: Vec::new(),
            last_bcl: None,
            last_cml: None,
            insulation_passed: false,
            energy_started: false,
            both_closed: false,
            ev_ever_closed: false,
            peak_current: 0.0,
            insulation_test_voltage: 0.0,
            alarms_allowed: false,
            lazy: false,
            last_inputs: None,
            voltmeter_broken: false,
        }
    }

    /// A small pack (5 kWh) so that a 20 → 80 % charge takes about a simulated minute.
    fn small_truck() -> GbtVehicleParams {
        GbtVehicleParams {
            rated_capacity_ah: 8.0,
            nominal_energy_kwh: 5.0,
            ..GbtVehicleParams::default()
        }
    }

    fn ev_closed(&self) -> bool {
        self.plant.ev_closed(self.vehicle.contactors_closed())
    }

    /// Highest current BCP allows, as the vehicle encodes it.
    fn bcp_max_current(&self) -> f32 {
        self.vehicle
            .params()
            .max_current
            .min(self.codec.max_charge_current())
    }

    fn record(&mut self, from: Node, frame: CanFrame) {
        let id = J1939Id::from_frame(&frame).expect("J1939 frames only");
        let (to, source) = match from {
            Node::Charger => (BMS_ADDRESS, CHARGER_ADDRESS),
            Node::Bms => (CHARGER_ADDRESS, BMS_ADDRESS),
        };
        assert_eq!((id.destination, id.source), (to, source), "{frame:?}");
        if id.pgn != PGN_TP_CM && id.pgn != PGN_TP_DT {
            match from {
                Node::Bms => match BmsMessage::decode(id.pgn, frame.data(), self.codec) {
                    Ok(BmsMessage::Bcl(bcl)) => self.last_bcl = Some(bcl),
                    Ok(_) => {}
                    Err(e) => panic!("{}: the BMS sent {frame:?}: {e}", self.now),
                },
                Node::Charger => match ChargerMessage::decode(id.pgn, frame.data(), self.codec) {
                    Ok(ChargerMessage::Cml(cml)) => self.last_cml = Some(cml),
                    Ok(_) => {}
                    Err(e) => panic!("{}: the charger sent {frame:?}: {e}", self.now),
                },
            }
        }
        self.bus.push(BusFrame {
            at: self.now,
            from,
            frame,
        });
    }

    fn step(&mut self) {
        self.now += STEP;
        let now = self.now;
        let before = self.charger.outputs();

        self.plant
            .step(&before, self.vehicle.contactors_closed(), now);

        let lines = if self.plant.unplugged {
            ControlLines::default()
        } else {
            before.lines
        };
        let terminal = self.plant.terminal_voltage();
        self.vehicle
            .set_battery(terminal * self.bms_voltage_scale, self.plant.soc);
        self.vehicle.set_battery_current(self.plant.current);
        self.vehicle.set_max_cell_voltage(terminal / self.cells);
        self.vehicle.set_temperatures(31, 27);
        let demand = self
            .demand_current
            .unwrap_or_else(|| bms_current(self.plant.soc));
        self.vehicle.set_demand(self.demand_voltage, demand);
        if self.plant.soc >= self.target_soc {
            self.vehicle.request_stop();
        }
        for f in std::mem::take(&mut self.to_vehicle) {
            let pgn = J1939Id::from_frame(&f).unwrap().pgn;
            if !self.plant.unplugged && !self.dropped_to_vehicle.contains(&pgn) {
                self.vehicle.handle_frame(&f, now);
            }
        }
        self.vehicle.update(lines, now);
        let mut to_charger = Vec::new();
        while let Some(f) = self.vehicle.poll_transmit(now) {
            self.record(Node::Bms, f);
            if !self.plant.unplugged {
                to_charger.push(f);
            }
        }

        let inputs = PlantInputs {
            cable_voltage: if self.voltmeter_broken {
                f32::NAN
            } else {
                self.plant.cable_voltage
            },
            psu_voltage: self.plant.psu_voltage,
            output_current: self.plant.current,
            vehicle_permission: false,
            insulation: self.plant.verdict,
        };
        let due = self.charger.poll_timeout().is_some_and(|t| t <= now);
        if self.lazy && to_charger.is_empty() && !due && self.last_inputs == Some(inputs) {
            // Nothing for the charger to see: a station asleep until `poll_timeout`.
            return;
        }
        self.last_inputs = Some(inputs);
        for f in &to_charger {
            self.charger.handle_frame(f, now);
        }
        self.charger.set_available_current(self.available, now);
        self.charger.update(&inputs, now);
        while let Some(f) = self.charger.poll_transmit(now) {
            self.record(Node::Charger, f);
            self.to_vehicle.push(f);
        }
        let mut step_events = Vec::new();
        while let Some(e) = self.charger.poll_event() {
            step_events.push(e);
        }
        let after = self.charger.outputs();
        self.check(&inputs, &before, &after, &step_events);
        self.peak_current = self.peak_current.max(self.plant.current);
        self.events
            .extend(step_events.into_iter().map(|e| (now, e)));
    }

    fn check(
        &mut self,
        inputs: &PlantInputs,
        before: &PlantOutputs,
        after: &PlantOutputs,
        step_events: &[SessionEvent],
    ) {
        let now = self.now;
        let mut alarm = false;
        for e in step_events {
            match e {
                SessionEvent::InsulationPassed { .. } => self.insulation_passed = true,
                SessionEvent::EnergyTransferStarted => {
                    assert!(self.insulation_passed, "{now}: transfer before insulation");
                    self.energy_started = true;
                }
                SessionEvent::Alarm(a) => {
                    assert!(self.alarms_allowed, "{now}: unexpected alarm: {a}");
                    alarm = true;
                }
                SessionEvent::FrameRejected(r) => panic!("{now}: frame rejected: {r}"),
                _ => {}
            }
        }

        let ev_closed = self.ev_closed();
        self.ev_ever_closed |= ev_closed;
        if after.insulation_test {
            assert!(
                after.contactors_closed && !ev_closed,
                "{now}: the insulation test runs on K1/K2 with the truck's contactors open"
            );
            self.insulation_test_voltage = self.insulation_test_voltage.max(after.power.voltage);
        }
        // Energy path: K1/K2 closed while the truck's contactors are closed.
        let both = after.contactors_closed && ev_closed;
        if both {
            assert!(
                self.insulation_passed && self.energy_started,
                "{now}: K1/K2 closed onto the battery before insulation test and precharge"
            );
            if !self.both_closed {
                assert!(
                    (inputs.psu_voltage - inputs.cable_voltage).abs() <= 10.0,
                    "{now}: closed onto the battery with supply {} V vs cable {} V",
                    inputs.psu_voltage,
                    inputs.cable_voltage
                );
            }
            let bcl = self.last_bcl.map_or(0.0, |b| b.current);
            let cml = self
                .last_cml
                .map_or(rating().max_current, |c| c.max_current);
            let limit = bcl.min(self.bcp_max_current()).min(self.available).min(cml);
            assert!(
                after.power.current <= limit + 1e-3,
                "{now}: supply asked for {} A > min(BCL {bcl} A, BCP {} A, available {} A, CML {cml} A)",
                after.power.current,
                self.bcp_max_current(),
                self.available
            );
            if after.power.current > 0.0 {
                let bcl_v = self.last_bcl.map_or(0.0, |b| b.voltage);
                let bcp_v = self.vehicle.params().max_charge_voltage;
                assert!(
                    after.power.voltage <= bcl_v.min(bcp_v) + 0.05,
                    "{now}: supply asked for {} V > min(BCL {bcl_v} V, BCP {bcp_v} V)",
                    after.power.voltage
                );
            }
        }
        self.both_closed = both;
        assert!(
            (0.0..=rating().max_current).contains(&after.power.current),
            "{now}: {:?}",
            after.power
        );
        if before.contactors_closed && !after.contactors_closed {
            assert!(
                inputs.output_current <= 5.0 || alarm,
                "{now}: K1/K2 opened at {} A without an alarm",
                inputs.output_current
            );
        }
        if before.lock_connector && !after.lock_connector {
            assert!(
                inputs.cable_voltage < 60.0 && self.plant.cable_voltage < 60.0,
                "{now}: unlocked at {} V",
                inputs.cable_voltage
            );
        }
        if let Some(t) = self.charger.poll_timeout() {
            assert!(t > now, "{now}: charger deadline {t} overdue after a step");
        }
        if let Some(t) = self.vehicle.poll_timeout() {
            assert!(t > now, "{now}: vehicle deadline {t} overdue after a step");
        }
        let count = |what: fn(&SessionEvent) -> bool| {
            self.events.iter().filter(|(_, e)| what(e)).count()
                + step_events.iter().filter(|e| what(e)).count()
        };
        assert!(
            count(|e| matches!(e, SessionEvent::StopTriggered(_))) <= 1,
            "{now}: more than one StopTriggered: {:?}",
            self.events
        );
        assert!(count(|e| matches!(e, SessionEvent::Finished(_))) <= 1);
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
            self.run_until(secs(30), |r| r.plant.current >= amps),
            "never reached {amps} A; phase {:?}, events {:?}",
            self.charger.phase(),
            self.events
        );
    }

    /// Runs to `Finished`, then a little longer: the BMS loses its auxiliary power and the bus
    /// goes quiet. Checks that everything is released and that the session had exactly one stop
    /// and one end, for the same reason.
    fn run_to_finish(&mut self, limit: Duration) {
        assert!(
            self.run_until(limit, |r| r.charger.phase() == SessionPhase::Finished),
            "not finished; phase {:?}, events {:?}",
            self.charger.phase(),
            self.events
        );
        let finished_at = self.now;
        self.run_for(ms(300));
        assert_eq!(self.vehicle.state(), GbtVehicleState::Off);
        assert!(!self.vehicle.contactors_closed());
        if self.plant.cable_voltage < 60.0 {
            assert_eq!(
                self.charger.outputs(),
                PlantOutputs::default(),
                "everything released"
            );
        }
        assert_eq!(self.charger.poll_timeout(), None);
        assert!(
            self.bus.iter().all(|f| f.at <= finished_at),
            "frames after the end"
        );
        assert_eq!(
            self.count(|e| matches!(e, SessionEvent::StopTriggered(_))),
            1
        );
        assert_eq!(self.count(|e| matches!(e, SessionEvent::Finished(_))), 1);
        let triggered = self.events.iter().find_map(|(_, e)| match e {
            SessionEvent::StopTriggered(r) => Some(r.clone()),
            _ => None,
        });
        assert_eq!(triggered, self.finished_reason());
        assert_eq!(self.charger.stop_reason(), self.finished_reason().as_ref());
    }

    fn finished_reason(&self) -> Option<StopReason> {
        self.events.iter().find_map(|(_, e)| match e {
            SessionEvent::Finished(r) => Some(r.clone()),
            _ => None,
        })
    }

    fn event_at(&self, f: impl Fn(&SessionEvent) -> bool) -> Option<Timestamp> {
        self.events.iter().find_map(|(t, e)| f(e).then_some(*t))
    }

    fn stop_at(&self) -> Option<Timestamp> {
        self.event_at(|e| matches!(e, SessionEvent::StopTriggered(_)))
    }

    fn finished_at(&self) -> Option<Timestamp> {
        self.event_at(|e| matches!(e, SessionEvent::Finished(_)))
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

    /// Frames of `pgn` one node sent, with their times.
    fn sent(&self, from: Node, pgn: u32) -> Vec<(Timestamp, Vec<u8>)> {
        self.bus
            .iter()
            .filter(|f| f.from == from && f.pgn() == pgn)
            .map(|f| (f.at, f.frame.data().to_vec()))
            .collect()
    }

    /// Raw CAN identifiers of the frames of `pgn` one node sent.
    fn ids(&self, from: Node, pgn: u32) -> Vec<u32> {
        self.bus
            .iter()
            .filter(|f| f.from == from && f.pgn() == pgn)
            .map(|f| f.frame.id())
            .collect()
    }

    /// Intervals between successive frames of `pgn` from `from`, in ms.
    fn intervals(&self, from: Node, pgn: u32) -> Vec<u64> {
        self.sent(from, pgn)
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).as_millis() as u64)
            .collect()
    }

    /// The transport's connection-management frames (RTS, CTS, EndOfMsgAck) for `message_pgn`.
    fn tp_cm(&self, from: Node, message_pgn: u32) -> Vec<Vec<u8>> {
        let [lo, mid, hi, _] = message_pgn.to_le_bytes();
        self.sent(from, PGN_TP_CM)
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| d[5..8] == [lo, mid, hi])
            .collect()
    }
}

impl Rig {
    /// Multi-packet messages of `pgn` that `from` sent completely, reassembled from RTS + TP.DT.
    fn tp_messages(&self, from: Node, message_pgn: u32) -> Vec<Vec<u8>> {
        let [lo, mid, hi, _] = message_pgn.to_le_bytes();
        let mut out = Vec::new();
        let mut current: Option<(usize, Vec<u8>)> = None;
        for f in self.bus.iter().filter(|f| f.from == from) {
            let d = f.frame.data();
            if f.pgn() == PGN_TP_CM && d[0] == 0x10 {
                current = (d[5..8] == [lo, mid, hi])
                    .then(|| (usize::from(u16::from_le_bytes([d[1], d[2]])), Vec::new()));
            } else if f.pgn() == PGN_TP_DT {
                if let Some((size, data)) = current.as_mut() {
                    data.extend_from_slice(&d[1..]);
                    if data.len() >= *size {
                        data.truncate(*size);
                        out.push(std::mem::take(data));
                        current = None;
                    }
                }
            }
        }
        out
    }
}

/// Runs of frames separated by more than `gap` ms.
fn bursts(frames: &[(Timestamp, Vec<u8>)], gap: u64) -> Vec<Vec<(Timestamp, Vec<u8>)>> {
    let mut out: Vec<Vec<(Timestamp, Vec<u8>)>> = Vec::new();
    for f in frames {
        match out.last_mut() {
            Some(run) if (f.0 - run.last().unwrap().0).as_millis() as u64 <= gap => {
                run.push(f.clone());
            }
            _ => out.push(vec![f.clone()]),
        }
    }
    out
}

/// Every interval is exactly `period` (a steady grid without drift or bursts).
fn assert_period(rig: &Rig, from: Node, pgn: u32, period: u64, name: &str) {
    let intervals = rig.intervals(from, pgn);
    assert!(
        !intervals.is_empty(),
        "{name}: only {} frames",
        intervals.len() + 1
    );
    assert!(
        intervals.iter().all(|&i| i == period),
        "{name}: intervals {intervals:?}, expected {period} ms"
    );
}

#[test]
fn normal_charge_to_the_bms_target() {
    // The BMS takes 2 s to close its contactors after CML: CTS and CML run long enough to show
    // their periods.
    let params = GbtVehicleParams {
        ready_delay: secs(2),
        ..Rig::small_truck()
    };
    let mut rig = Rig::new(params, 20.0);
    rig.run_to_charging(200.0);
    assert!(rig.insulation_passed && rig.energy_started);
    rig.run_to_finish(secs(200));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
    assert_eq!(
        rig.vehicle.stop_cause(),
        Some(GbtVehicleStopCause::TargetReached)
    );
    assert!(
        rig.plant.soc >= 80.0 && rig.plant.soc < 81.0,
        "{}",
        rig.plant.soc
    );
    assert!(
        rig.peak_current > 249.0 && rig.peak_current <= 250.5,
        "{}",
        rig.peak_current
    );
    assert!(rig.plant.energy_kwh > 1.9, "{}", rig.plant.energy_kwh);
    assert_eq!(
        rig.phases(),
        vec![
            SessionPhase::Handshake,
            SessionPhase::CableCheck,
            // Identification and parameters come after the insulation test in GB/T.
            SessionPhase::Handshake,
            SessionPhase::Precharge,
            SessionPhase::Charging,
            SessionPhase::Stopping,
            SessionPhase::Finished,
        ]
    );
    assert_eq!(rig.charger.handshake_attempts(), 1);
    assert!(
        rig.insulation_test_voltage == 700.0,
        "insulation test at BHM's voltage: {}",
        rig.insulation_test_voltage
    );

    // Handshake: CHM V1.1, BHM 700.0 V, on the identifiers of reference §2.2.
    let chm = rig.sent(Node::Charger, pgn::CHM);
    assert_eq!(chm[0].1, [0x01, 0x01, 0x00]);
    assert!(rig
        .ids(Node::Charger, pgn::CHM)
        .iter()
        .all(|&id| id == 0x1826_F456));
    let bhm = rig.sent(Node::Bms, pgn::BHM);
    assert_eq!(bhm[0].1, [0x58, 0x1B]);
    assert!(rig
        .ids(Node::Bms, pgn::BHM)
        .iter()
        .all(|&id| id == 0x1827_56F4));

    // BRM (49 B, 7 packets), BCP (13 B, 2 packets) and BCS (9 B, 2 packets) go through the
    // transport: RTS from the BMS, CTS and EndOfMsgAck from the charger.
    for (message, size, packets) in [(pgn::BRM, 49u8, 7u8), (pgn::BCP, 13, 2), (pgn::BCS, 9, 2)] {
        let [lo, mid, hi, _] = message.to_le_bytes();
        let rts = rig.tp_cm(Node::Bms, message);
        assert!(!rts.is_empty(), "{message:#x}: no RTS");
        assert_eq!(rts[0], [0x10, size, 0x00, packets, 0xFF, lo, mid, hi]);
        let answers = rig.tp_cm(Node::Charger, message);
        assert_eq!(answers[0], [0x11, packets, 0x01, 0xFF, 0xFF, lo, mid, hi]);
        assert_eq!(answers[1], [0x13, size, 0x00, packets, 0xFF, lo, mid, hi]);
        // Every transfer the BMS began was acknowledged.
        let acks = answers.iter().filter(|a| a[0] == 0x13).count();
        assert_eq!(acks, rts.len(), "{message:#x}");
    }
    assert!(rig
        .ids(Node::Bms, PGN_TP_CM)
        .iter()
        .all(|&id| id == 0x1CEC_56F4));
    assert!(rig
        .ids(Node::Bms, PGN_TP_DT)
        .iter()
        .all(|&id| id == 0x1CEB_56F4));
    assert!(rig
        .ids(Node::Charger, PGN_TP_CM)
        .iter()
        .all(|&id| id == 0x1CEC_F456));
    // Several BCSs per second of charging, each a complete transfer.
    assert!(rig.tp_cm(Node::Bms, pgn::BCS).len() > 100);
    let brm = &rig.tp_messages(Node::Bms, pgn::BRM)[0];
    assert_eq!(brm.len(), 49);
    assert_eq!(brm[0..4], [0x01, 0x01, 0x00, 0x03], "V1.1, LFP");
    assert_eq!(&brm[24..41], VIN.as_bytes());
    let bcp = &rig.tp_messages(Node::Bms, pgn::BCP)[0];
    assert_eq!(bcp.len(), 13);
    assert_eq!(
        bcp[2..4],
        1500u16.to_le_bytes(),
        "250 A with the -400 A offset"
    );
    assert_eq!(bcp[6..8], 7000u16.to_le_bytes(), "700.0 V");
    assert!(rig
        .tp_messages(Node::Bms, pgn::BCS)
        .iter()
        .all(|m| m.len() == 9));

    // Identification: CRM 00 then AA, with the charger number.
    let crm = rig.sent(Node::Charger, pgn::CRM);
    assert_eq!(crm[0].1, [0x00, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF]);
    assert_eq!(crm.last().unwrap().1[0], 0xAA);
    let first_aa = crm.iter().position(|(_, d)| d[0] == 0xAA).unwrap();
    assert!(crm[first_aa..].iter().all(|(_, d)| d[0] == 0xAA));
    // CRM AA goes out as soon as BRM is in (the BCP deadline runs from then), not at the next
    // 250 ms slot; likewise CRO AA as soon as K1/K2 close.
    let brm_acked = rig
        .bus
        .iter()
        .find(|f| f.from == Node::Charger && f.pgn() == PGN_TP_CM && f.frame.data()[0] == 0x13)
        .unwrap()
        .at;
    assert_eq!(crm[first_aa].0, brm_acked);
    let transfer = rig
        .event_at(|e| matches!(e, SessionEvent::EnergyTransferStarted))
        .unwrap();
    assert_eq!(first_sent(&rig, Node::Charger, pgn::CRO, 0xAA), transfer);
    // CTS without a valid clock: all 0xFF. CML: 1000 V, 200 V, 250 A, 0 A.
    assert_eq!(rig.sent(Node::Charger, pgn::CTS)[0].1, [0xFF; 7]);
    assert_eq!(
        rig.sent(Node::Charger, pgn::CML)[0].1,
        [0x10, 0x27, 0xD0, 0x07, 0xDC, 0x05, 0xA0, 0x0F]
    );
    // BRO 00 until the contactors close, then AA; CRO 00 then AA.
    let bro: Vec<u8> = rig
        .sent(Node::Bms, pgn::BRO)
        .into_iter()
        .map(|(_, d)| d[0])
        .collect();
    assert_eq!(bro.first(), Some(&0x00));
    assert_eq!(bro.last(), Some(&0xAA));
    let cro: Vec<u8> = rig
        .sent(Node::Charger, pgn::CRO)
        .into_iter()
        .map(|(_, d)| d[0])
        .collect();
    assert_eq!(cro.first(), Some(&0x00));
    assert_eq!(cro.last(), Some(&0xAA));

    // Periods on the bus (reference §2.2).
    assert_period(&rig, Node::Charger, pgn::CHM, 250, "CHM");
    assert_period(&rig, Node::Charger, pgn::CML, 250, "CML");
    assert_period(&rig, Node::Charger, pgn::CTS, 500, "CTS");
    assert_period(&rig, Node::Charger, pgn::CCS, 50, "CCS");
    assert_period(&rig, Node::Bms, pgn::BCL, 50, "BCL");
    assert_period(&rig, Node::Bms, pgn::BSM, 250, "BSM");
    assert_period(&rig, Node::Charger, pgn::CST, 10, "CST");

    // CCS carries the measured output and "permitted"; with −400 A offset.
    let ccs = rig.sent(Node::Charger, pgn::CCS);
    let peak_raw = ccs
        .iter()
        .map(|(_, d)| u16::from_le_bytes([d[2], d[3]]))
        .min()
        .unwrap();
    assert!(
        (4000 - 2505..=4000 - 2490).contains(&peak_raw),
        "{peak_raw}"
    );
    assert!(ccs.iter().all(|(_, d)| d.len() == 8 && d[6] == 0xFD));

    // The ending: BST (SOC reached) → CST (BMS stopped) → BSD → CSD, then silence.
    let bst = rig.sent(Node::Bms, pgn::BST);
    let cst = rig.sent(Node::Charger, pgn::CST);
    let bsd = rig.sent(Node::Bms, pgn::BSD);
    let csd = rig.sent(Node::Charger, pgn::CSD);
    assert!(bst.len() >= 2 && !cst.is_empty() && !bsd.is_empty() && !csd.is_empty());
    assert_eq!(bst[0].1, [0x01, 0x00, 0x00, 0xF0]);
    assert!(cst.iter().all(|(_, d)| d == &[0x40, 0x00, 0xF0, 0xF0]));
    assert!(bst[0].0 <= cst[0].0 && cst[0].0 <= bsd[0].0 && bsd[0].0 <= csd[0].0);
    let bsd_bytes = &bsd[0].1;
    assert_eq!(bsd_bytes[0], 80, "SOC at the stop");
    assert_eq!(bsd_bytes[5..7], [27 + 50, 31 + 50]);
    let last_csd = &csd.last().unwrap().1;
    let minutes = u16::from_le_bytes([last_csd[0], last_csd[1]]);
    let energy = f32::from(u16::from_le_bytes([last_csd[2], last_csd[3]])) / 10.0;
    assert_eq!(minutes, 1, "charging minutes");
    assert!(
        (energy - rig.plant.energy_kwh).abs() < 0.15,
        "CSD {energy} kWh vs plant {} kWh",
        rig.plant.energy_kwh
    );
    assert_eq!(last_csd[4..8], [1, 0, 0, 0], "charger number");
    assert!((4..=6).contains(&csd.len()), "{} CSDs", csd.len());
    // The charger stopped sending CCS when the stop began.
    let stop = rig.stop_at().unwrap();
    assert!(ccs.last().unwrap().0 <= stop);
    assert!(rig.sent(Node::Charger, pgn::CEM).is_empty());
    assert!(rig.sent(Node::Bms, pgn::BEM).is_empty());

    // What the station learned about the vehicle.
    let v = rig.charger.vehicle();
    assert_eq!(v.protocol.as_deref(), Some("GB/T 27930 V1.1.0"));
    assert_eq!(v.vin.as_deref(), Some(VIN));
    assert_eq!(v.battery_type.as_deref(), Some("LFP"));
    assert_eq!(v.max_voltage, Some(700.0));
    assert_eq!(v.max_current, Some(250.0));
    assert_eq!(v.battery_capacity_kwh, Some(5.0));
    assert_eq!(v.soc_percent, Some(80.0));
    let cell = v.max_cell_voltage.unwrap();
    assert!((3.3..3.65).contains(&cell), "{cell}");
    assert_eq!(v.max_temperature_c, Some(31.0));
    assert_eq!(v.min_temperature_c, Some(27.0));
    assert_eq!(v.charge_mode.as_deref(), Some("constant current"));
    assert_eq!(v.target_voltage, Some(690.0));
    assert!(v.faults.is_empty(), "{:?}", v.faults);
}

#[test]
fn battery_of_the_2011_edition() {
    let params = GbtVehicleParams {
        version: ProtocolVersion::V1_0,
        ..Rig::small_truck()
    };
    let mut rig = Rig::new(params, 20.0);
    rig.run_to_charging(200.0);
    rig.run_for(secs(2));
    let start = Timestamp::ZERO + STEP;

    // No BHM: CHM for 5 s, then the insulation test at the charger's default voltage (its
    // rating's maximum, as no `legacy_insulation_voltage` is configured).
    assert!(rig.sent(Node::Bms, pgn::BHM).is_empty());
    let test_at = rig
        .event_at(|e| {
            matches!(
                e,
                SessionEvent::PhaseChanged {
                    to: SessionPhase::CableCheck,
                    ..
                }
            )
        })
        .unwrap();
    assert!(
        test_at - start > secs(5) && test_at - start <= secs(5) + ms(20),
        "{test_at}"
    );
    assert_eq!(rig.insulation_test_voltage, 1000.0);
    let chm_before_test = rig
        .sent(Node::Charger, pgn::CHM)
        .iter()
        .filter(|(t, _)| *t < test_at)
        .count();
    assert_eq!(chm_before_test, 21, "CHM every 250 ms for 5 s");
    assert!(rig.insulation_passed);

    // The −800 A offset, both ways.
    assert_eq!(rig.charger.current_codec(), CurrentCodec::Offset800);
    let brm = &rig.tp_messages(Node::Bms, pgn::BRM)[0];
    assert_eq!(brm[0..3], [0x01, 0x00, 0x00]);
    let bcp = &rig.tp_messages(Node::Bms, pgn::BCP)[0];
    assert_eq!(bcp[2..4], 5500u16.to_le_bytes(), "BCP 250 A = 8000 - 2500");
    let cml = &rig.sent(Node::Charger, pgn::CML)[0].1;
    assert_eq!(cml[4..6], 5500u16.to_le_bytes(), "CML 250 A");
    assert_eq!(cml[6..8], 8000u16.to_le_bytes(), "CML 0 A");
    let bcl = rig.sent(Node::Bms, pgn::BCL).last().unwrap().1.clone();
    assert_eq!(bcl[2..4], 5500u16.to_le_bytes(), "BCL 250 A");
    let ccs = rig.sent(Node::Charger, pgn::CCS).last().unwrap().1.clone();
    let raw = u16::from_le_bytes([ccs[2], ccs[3]]);
    assert!((8000 - 2505..=8000 - 2490).contains(&raw), "CCS {raw}");
    let bcs = rig.tp_messages(Node::Bms, pgn::BCS);
    let raw = u16::from_le_bytes([bcs.last().unwrap()[2], bcs.last().unwrap()[3]]);
    assert!((8000 - 2505..=8000 - 2490).contains(&raw), "BCS {raw}");
    // Both sides read it right: the vehicle sees the charger's output, the charger the demand.
    let (_, amps) = rig.vehicle.charger_output().unwrap();
    assert!((amps - rig.plant.current).abs() < 1.0, "{amps}");
    assert_eq!(rig.vehicle.charger_limits().unwrap().max_current, 250.0);
    assert_eq!(rig.charger.vehicle().requested_current, Some(250.0));
    assert_eq!(rig.charger.vehicle().max_current, Some(250.0));
    assert_eq!(
        rig.charger.vehicle().protocol.as_deref(),
        Some("GB/T 27930 V1.0.0")
    );

    rig.vehicle.request_stop();
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));

    // A configured default voltage is used instead of the rating's maximum.
    let mut config = GbtChargerConfig::new(rating());
    config.legacy_insulation_voltage = Some(750.0);
    let params = GbtVehicleParams {
        version: ProtocolVersion::V1_0,
        ..Rig::small_truck()
    };
    let mut rig = Rig::with_config(config, params, 20.0);
    rig.run_to_charging(100.0);
    assert_eq!(rig.insulation_test_voltage, 750.0);
}

/// How a handshake-stage timeout must look on the bus.
struct Expected {
    /// The BMS message never sent (and any other muted with it).
    muted: &'static [u32],
    timeout: BmsTimeout,
    cem: [u8; 4],
    /// When the charger starts waiting, in the first attempt.
    waits_from: fn(&Rig) -> Timestamp,
    /// How long it waits.
    deadline: Duration,
}

fn first_sent(rig: &Rig, from: Node, pgn: u32, byte0: u8) -> Timestamp {
    rig.sent(from, pgn)
        .into_iter()
        .find(|(_, d)| d[0] == byte0)
        .unwrap()
        .0
}

/// A BMS that never sends a message of the handshake or charging stages: CEM naming it every
/// 250 ms for 2 s, then a new handshake from CRM 00, at most `max_handshake_attempts` in all,
/// then `CommunicationLost`.
fn times_out_and_retries(e: Expected) -> Rig {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    for &m in e.muted {
        rig.vehicle.mute(m);
    }
    rig.run_to_finish(secs(120));
    let name = e.timeout.name();
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::CommunicationLost(format!(
            "{name} timeout after 3 handshake attempts"
        ))),
        "{:?}",
        rig.events
    );
    assert_eq!(rig.charger.handshake_attempts(), 3);
    assert_eq!(rig.charger.config().max_handshake_attempts, 3);

    let cems = rig.sent(Node::Charger, pgn::CEM);
    assert!(
        cems.iter().all(|(_, d)| d == &e.cem),
        "{name}: CEM {:02X?}",
        cems.first()
    );
    assert!(rig
        .ids(Node::Charger, pgn::CEM)
        .iter()
        .all(|&id| id == 0x081F_F456));
    let runs = bursts(&cems, 250);
    assert_eq!(runs.len(), 3, "{name}: one CEM burst per attempt");
    let crm = rig.sent(Node::Charger, pgn::CRM);
    for (i, run) in runs.iter().enumerate() {
        // About 2 s of CEM every 250 ms.
        let intervals: Vec<u64> = run
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).as_millis() as u64)
            .collect();
        assert!(intervals.iter().all(|&i| i == 250), "{name}: {intervals:?}");
        assert!((8..=10).contains(&run.len()), "{name}: {} CEMs", run.len());
        let end = run.last().unwrap().0;
        let restart = crm.iter().find(|(t, _)| *t > end);
        if i + 1 < runs.len() {
            // The handshake starts again at CRM 00, shortly after the CEMs.
            let (t, d) = restart.unwrap_or_else(|| panic!("{name}: no CRM after CEM {i}"));
            assert_eq!(d[0], 0x00);
            assert!(*t - end <= ms(300), "{name}: CRM {:?} after CEM", *t - end);
            // Nothing else from the charger between the CEMs.
            let first = run[0].0;
            let others: Vec<_> = rig
                .bus
                .iter()
                .filter(|f| f.from == Node::Charger && f.at > first && f.at < end)
                // (A transfer the BMS began before the CEM is still acknowledged.)
                .filter(|f| f.pgn() != pgn::CEM && f.pgn() != PGN_TP_CM)
                .collect();
            assert!(others.is_empty(), "{name}: {others:?}");
        } else {
            assert!(restart.is_none(), "{name}: no fourth handshake");
        }
    }
    // The first timeout came at its deadline.
    let from = (e.waits_from)(&rig);
    let waited = runs[0][0].0 - from;
    assert!(
        waited > e.deadline && waited <= e.deadline + ms(30),
        "{name}: CEM {waited:?} after the wait began, deadline {:?}",
        e.deadline
    );
    assert_eq!(
        rig.vehicle.handshakes(),
        3,
        "{name}: the BMS identified 3 times"
    );
    assert!(rig.sent(Node::Charger, pgn::CST).is_empty());
    rig
}

#[test]
fn brm_timeout() {
    // The BMS's own deadline (CRM AA, 5 s) is shorter than the charger's (5 s + 200 ms slack):
    // its BEM is muted too, or it would end the attempt first.
    let rig = times_out_and_retries(Expected {
        muted: &[pgn::BRM, pgn::BEM],
        timeout: BmsTimeout::Brm,
        cem: [0xFD, 0xF0, 0xC0, 0xFC],
        waits_from: |r| first_sent(r, Node::Charger, pgn::CRM, 0x00),
        deadline: ms(5200),
    });
    // CRM 00 every 250 ms through each attempt, on the identifier of reference §2.2.
    let crm = rig.sent(Node::Charger, pgn::CRM);
    let attempts = bursts(&crm, 250);
    assert_eq!(attempts.len(), 3);
    for attempt in &attempts {
        assert!((21..=22).contains(&attempt.len()), "{}", attempt.len());
        assert!(attempt.iter().all(|(_, d)| d[0] == 0x00));
        assert!(attempt.windows(2).all(|w| (w[1].0 - w[0].0) == ms(250)));
    }
    assert!(rig
        .ids(Node::Charger, pgn::CRM)
        .iter()
        .all(|&id| id == 0x1801_F456));
}

#[test]
fn bcp_timeout() {
    times_out_and_retries(Expected {
        muted: &[pgn::BCP, pgn::BEM],
        timeout: BmsTimeout::Bcp,
        cem: [0xFC, 0xF1, 0xC0, 0xFC],
        // From BRM received (the CRM AA follows at the next CRM slot).
        waits_from: |r| {
            r.bus
                .iter()
                .find(|f| {
                    f.from == Node::Charger && f.pgn() == PGN_TP_CM && f.frame.data()[0] == 0x13
                })
                .unwrap()
                .at
        },
        deadline: ms(5200),
    });
}

#[test]
fn bro_timeout() {
    times_out_and_retries(Expected {
        muted: &[pgn::BRO],
        timeout: BmsTimeout::Bro,
        cem: [0xFC, 0xF4, 0xC0, 0xFC],
        waits_from: |r| r.sent(Node::Charger, pgn::CML)[0].0,
        deadline: secs(5),
    });
}

#[test]
fn bcl_timeout() {
    times_out_and_retries(Expected {
        muted: &[pgn::BCL],
        timeout: BmsTimeout::Bcl,
        cem: [0xFC, 0xF0, 0xC4, 0xFC],
        waits_from: |r| first_sent(r, Node::Charger, pgn::CRO, 0xAA),
        deadline: secs(1),
    });
}

#[test]
fn bcs_timeout() {
    times_out_and_retries(Expected {
        muted: &[pgn::BCS],
        timeout: BmsTimeout::Bcs,
        cem: [0xFC, 0xF0, 0xC1, 0xFC],
        waits_from: |r| first_sent(r, Node::Charger, pgn::CRO, 0xAA),
        deadline: ms(5200),
    });
}

/// BST or BSD missing in the stop stage: CEM naming it, then the end; no new handshake.
fn stop_stage_timeout(muted: u32, cem: [u8; 4], deadline: Duration, stop_by_bms: bool) {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.vehicle.mute(muted);
    rig.run_to_charging(200.0);
    let now = rig.now;
    let reason = if stop_by_bms {
        rig.vehicle.request_stop();
        StopReason::VehicleRequest
    } else {
        rig.charger.stop(StopReason::Local, now);
        StopReason::Local
    };
    rig.run_to_finish(secs(30));
    assert_eq!(rig.finished_reason(), Some(reason));
    // (A stop from the station is logged at the next step; it happened at `now`.)
    let stop = if stop_by_bms {
        rig.stop_at().unwrap()
    } else {
        now
    };
    let cems = rig.sent(Node::Charger, pgn::CEM);
    assert!(cems.iter().all(|(_, d)| d == &cem), "{:02X?}", cems[0]);
    assert_eq!(bursts(&cems, 250).len(), 1);
    let waited = cems[0].0 - stop;
    assert!(
        waited > deadline && waited <= deadline + ms(30),
        "CEM {waited:?} after the stop"
    );
    // No retry: CRM never comes back after the stop, the session ends after the CEMs.
    assert!(rig
        .sent(Node::Charger, pgn::CRM)
        .iter()
        .all(|(t, _)| *t < stop));
    assert_eq!(rig.charger.handshake_attempts(), 1);
    let end = rig.finished_at().unwrap();
    assert!(end - cems[0].0 >= secs(2) && end - cems[0].0 <= secs(3));
    assert!(rig.sent(Node::Charger, pgn::CSD).is_empty());
}

#[test]
fn bst_timeout() {
    stop_stage_timeout(pgn::BST, [0xFC, 0xF0, 0xD0, 0xFC], secs(5), false);
}

#[test]
fn bsd_timeout() {
    stop_stage_timeout(pgn::BSD, [0xFC, 0xF0, 0xC0, 0xFD], secs(10), true);
}

#[test]
fn insulation_warning_still_charges() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.plant.imd = Imd::Warn;
    rig.run_to_charging(200.0);
    assert_eq!(
        rig.count(|e| {
            *e == SessionEvent::InsulationPassed {
                ohms: 250_000.0,
                warning: true,
            }
        }),
        1
    );
    rig.vehicle.request_stop();
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
}

#[test]
fn insulation_failure_never_connects_the_battery() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.plant.imd = Imd::Fail;
    let mut max_cable = 0.0f32;
    assert!(rig.run_until(secs(20), |r| {
        max_cable = max_cable.max(r.plant.cable_voltage);
        r.charger.phase() == SessionPhase::Finished
    }));
    rig.run_to_finish(secs(1));
    assert!(max_cable >= 690.0, "test voltage reached: {max_cable}");
    let Some(StopReason::InsulationFailure(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(why.contains("20000 Ω") && why.contains("700 V"), "{why}");
    assert!(!rig.insulation_passed && !rig.energy_started);
    assert!(!rig.ev_ever_closed, "the truck never closed its contactors");
    assert_eq!(
        rig.phases(),
        vec![
            SessionPhase::Handshake,
            SessionPhase::CableCheck,
            SessionPhase::Stopping,
            SessionPhase::Finished
        ]
    );
    // The BMS was never identified: no CRM, no CST to a BMS that does not know us yet.
    assert!(rig.sent(Node::Charger, pgn::CRM).is_empty());
    assert!(rig.sent(Node::Charger, pgn::CST).is_empty());
}

/// Charges to 200 A, then the BMS stops with `bst`.
fn bms_stops_with(bst: Bst) -> Rig {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.vehicle.request_stop_with(bst);
    rig.run_to_finish(secs(15));
    assert_eq!(rig.sent(Node::Bms, pgn::BST)[0].1, bst.encode());
    // CST answers with "BMS stopped" and nothing else.
    let cst = rig.sent(Node::Charger, pgn::CST);
    assert!(!cst.is_empty());
    assert!(cst.iter().all(|(_, d)| d == &[0x40, 0x00, 0xF0, 0xF0]));
    assert_eq!(
        Cst::decode(&cst[0].1).unwrap().bms_stopped,
        Signal::Set,
        "CST byte 1 bits 7-8"
    );
    // Current down before K1/K2 opened; the exchange completed.
    assert!(!rig.sent(Node::Bms, pgn::BSD).is_empty());
    assert!(!rig.sent(Node::Charger, pgn::CSD).is_empty());
    rig
}

#[test]
fn bst_normal_reasons_are_a_vehicle_request() {
    let reasons = [
        Bst {
            soc_reached: Signal::Set,
            ..Bst::default()
        },
        Bst {
            total_voltage_reached: Signal::Set,
            ..Bst::default()
        },
        Bst {
            cell_voltage_reached: Signal::Set,
            ..Bst::default()
        },
    ];
    for bst in reasons {
        let rig = bms_stops_with(bst);
        assert_eq!(
            rig.finished_reason(),
            Some(StopReason::VehicleRequest),
            "{bst:?}"
        );
        assert_eq!(
            rig.vehicle.stop_cause(),
            Some(GbtVehicleStopCause::TargetReached)
        );
        assert!(rig.charger.vehicle().faults.is_empty());
    }
}

#[test]
fn bst_fault_bits_are_named_vehicle_faults() {
    type Set = fn(&mut Bst);
    let bits: [(Set, &str); 10] = [
        (|b| b.insulation = Signal::Set, "insulation fault"),
        (
            |b| b.output_connector_over_temperature = Signal::Set,
            "output connector over-temperature",
        ),
        (
            |b| b.bms_component_over_temperature = Signal::Set,
            "BMS component over-temperature",
        ),
        (
            |b| b.charging_connector = Signal::Set,
            "charging connector fault",
        ),
        (
            |b| b.battery_over_temperature = Signal::Set,
            "battery over-temperature",
        ),
        (
            |b| b.high_voltage_relay = Signal::Set,
            "high-voltage relay fault",
        ),
        (|b| b.cc2_voltage = Signal::Set, "CC2 voltage fault"),
        (|b| b.other_fault = Signal::Set, "other fault"),
        (|b| b.current_too_high = Signal::Set, "current too high"),
        (|b| b.voltage_abnormal = Signal::Set, "voltage abnormal"),
    ];
    for (set, name) in bits {
        let mut bst = Bst::default();
        set(&mut bst);
        let rig = bms_stops_with(bst);
        assert_eq!(
            rig.finished_reason(),
            Some(StopReason::VehicleFault(name.to_string())),
            "{name}"
        );
        assert_eq!(rig.vehicle.stop_cause(), Some(GbtVehicleStopCause::Fault));
        assert_eq!(rig.charger.vehicle().faults, [name.to_string()]);
    }
    // A bit the BMS marks untrusted (10) counts as raised.
    let rig = bms_stops_with(Bst {
        insulation: Signal::Untrusted,
        ..Bst::default()
    });
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::VehicleFault("insulation fault".into()))
    );
}

#[test]
fn pause_and_resume_through_bsm() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.vehicle.set_paused(true);
    assert!(rig.run_until(secs(1), |r| r.plant.current <= 0.5));
    assert!(rig.charger.is_paused_by_vehicle());
    let bsm = rig.sent(Node::Bms, pgn::BSM).last().unwrap().1.clone();
    assert_eq!((bsm[6] >> 4) & 0b11, 0b00, "BSM: charging not permitted");
    for _ in 0..1000 {
        rig.step();
        let out = rig.charger.outputs();
        assert!(out.contactors_closed && rig.vehicle.contactors_closed());
        assert_eq!(out.power.current, 0.0);
        assert!(rig.plant.current <= 0.5);
    }
    assert_eq!(rig.charger.phase(), SessionPhase::Charging);
    assert!(rig
        .charger
        .vehicle()
        .faults
        .contains(&"charging paused by the BMS".to_string()));
    // CCS keeps coming: it is the BMS that pauses, not the charger.
    let ccs = rig.sent(Node::Charger, pgn::CCS);
    assert!(rig.now - ccs.last().unwrap().0 <= ms(50));
    assert_eq!(ccs.last().unwrap().1[6], 0xFD);

    rig.vehicle.set_paused(false);
    assert!(rig.run_until(secs(2), |r| r.plant.current >= 249.0));
    assert!(!rig.charger.is_paused_by_vehicle());
    assert!(rig.charger.vehicle().faults.is_empty());
    rig.vehicle.request_stop();
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
}

#[test]
fn pause_longer_than_the_limit_stops() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    assert_eq!(rig.charger.config().timeouts.pause, secs(600));
    rig.run_to_charging(200.0);
    rig.vehicle.set_paused(true);
    let paused = rig.now;
    rig.run_to_finish(secs(620));
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::VehicleFault(
            "charging paused by the BMS for more than 600 s".into()
        ))
    );
    let waited = rig.stop_at().unwrap() - paused;
    assert!(
        waited > secs(600) && waited <= secs(600) + ms(300),
        "{waited:?}"
    );
    assert_eq!(
        rig.vehicle.stop_cause(),
        Some(GbtVehicleStopCause::ChargerStopped)
    );
}

#[test]
fn truck_asking_more_than_the_charger_allows() {
    let params = GbtVehicleParams {
        max_current: 400.0,
        nominal_energy_kwh: 20.0,
        ..Rig::small_truck()
    };
    let mut rig = Rig::new(params, 20.0);
    rig.demand_current = Some(400.0);
    rig.available = 180.0;
    rig.run_to_charging(175.0);
    rig.run_for(secs(5));
    assert!(
        rig.peak_current <= 180.5 && rig.plant.current >= 179.0,
        "{} / {}",
        rig.peak_current,
        rig.plant.current
    );
    // The truck asks for 400 A (raw 0) in BCL and accepts 400 A in BCP; CML offers 250 A.
    assert_eq!(
        rig.sent(Node::Bms, pgn::BCL).last().unwrap().1[2..4],
        [0, 0]
    );
    assert_eq!(rig.tp_messages(Node::Bms, pgn::BCP)[0][2..4], [0, 0]);
    assert_eq!(rig.last_cml.unwrap().max_current, 250.0);
    assert_eq!(rig.vehicle.charger_limits().unwrap().max_current, 250.0);
    // More becomes available: the rating (CML) is the limit now.
    rig.available = 400.0;
    rig.run_for(secs(3));
    assert!(
        rig.peak_current <= 250.5 && rig.plant.current >= 249.0,
        "{} / {}",
        rig.peak_current,
        rig.plant.current
    );
    // And less again: the current follows down at once.
    rig.available = 100.0;
    rig.step();
    assert!(rig.charger.outputs().power.current <= 100.0);
    rig.run_for(secs(1));
    assert!(rig.plant.current <= 100.5);
    let now = rig.now;
    rig.charger.stop(StopReason::Remote, now);
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::Remote));
}

#[test]
fn local_stop_sends_cst_manual() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    let now = rig.now;
    rig.charger.stop(StopReason::Local, now);
    let out = rig.charger.outputs();
    assert_eq!(out.power.current, 0.0, "current taken away at once");
    assert!(
        out.power.enabled && out.contactors_closed,
        "a soft stop: ramp, then open"
    );
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::Local));
    let cst = rig.sent(Node::Charger, pgn::CST);
    assert!(cst.iter().all(|(_, d)| d == &[0x04, 0x00, 0xF0, 0xF0]));
    // The BMS answers with BST "charger stopped", then BSD; the charger ends with CSD.
    assert_eq!(rig.sent(Node::Bms, pgn::BST)[0].1, [0x40, 0x00, 0x00, 0xF0]);
    assert!(!rig.sent(Node::Bms, pgn::BSD).is_empty());
    assert!(!rig.sent(Node::Charger, pgn::CSD).is_empty());
    assert_eq!(
        rig.vehicle.stop_cause(),
        Some(GbtVehicleStopCause::ChargerStopped)
    );
    let took = rig.finished_at().unwrap() - rig.stop_at().unwrap();
    assert!(took < secs(3), "{took:?}");
}

#[test]
fn emergency_stop_switches_the_supply_off_at_once() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    let now = rig.now;
    rig.charger.stop(StopReason::EmergencyStop, now);
    assert!(!rig.charger.outputs().power.enabled, "supply off at once");
    rig.step();
    assert!(!rig.charger.outputs().contactors_closed);
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::EmergencyStop));
    // CST: fault stop, emergency stop.
    let cst = rig.sent(Node::Charger, pgn::CST);
    assert!(cst.iter().all(|(_, d)| d == &[0x10, 0x00, 0xF1, 0xF0]));
    let decoded = Cst::decode(&cst[0].1).unwrap();
    assert_eq!(
        (decoded.fault, decoded.emergency_stop),
        (Signal::Set, Signal::Set)
    );
}

#[test]
fn unplugged_finishes_without_the_stop_exchange() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.plant.unplugged = true;
    let now = rig.now;
    rig.charger.stop(StopReason::Unplugged, now);
    assert!(!rig.charger.outputs().power.enabled, "supply off at once");
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::Unplugged));
    // No BST or BSD came (nobody is there) and none was waited for: over once the cable is
    // discharged.
    let stop = rig.stop_at().unwrap();
    assert!(rig.sent(Node::Bms, pgn::BST).is_empty());
    let took = rig.finished_at().unwrap() - stop;
    assert!(took < secs(1), "{took:?}");
    assert!(rig.sent(Node::Charger, pgn::CEM).is_empty());
}

#[test]
fn voltage_on_the_output_before_the_insulation_test() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    // The truck's contactors are stuck closed: the battery is on the cable from the start.
    rig.plant.ev_stuck_closed = true;
    rig.alarms_allowed = true;
    assert!(rig.run_until(secs(10), |r| r.charger.phase() == SessionPhase::Finished));
    let Some(StopReason::ImplausibleMeasurement(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(
        why.contains("610 V on the output before the insulation test"),
        "{why}"
    );
    assert!(!rig.insulation_passed);
    assert!(!rig.bus.is_empty());
    assert_eq!(
        rig.phases(),
        vec![
            SessionPhase::Handshake,
            SessionPhase::Stopping,
            SessionPhase::Finished
        ]
    );
    // Refused at BHM, before any test or identification.
    assert!(rig.stop_at().unwrap() <= rig.sent(Node::Bms, pgn::BHM)[0].0 + ms(10));
    assert!(rig.sent(Node::Charger, pgn::CRM).is_empty());
    // The battery stays on the cable: an alarm, and the connector stays locked.
    assert_eq!(
        rig.count(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::WeldingSuspected && a.detail.contains("610 V"))),
        1
    );
    rig.run_for(secs(2));
    let out = rig.charger.outputs();
    assert!(out.lock_connector && !out.contactors_closed && !out.power.enabled);
    // The contactors come free, but the voltmeter breaks: nothing shows the output is safe, so
    // the connector stays locked.
    rig.voltmeter_broken = true;
    rig.plant.ev_stuck_closed = false;
    rig.run_for(secs(2));
    assert!(rig.plant.cable_voltage < 1.0);
    assert!(rig.charger.outputs().lock_connector);
    // With a reading again, it unlocks.
    rig.voltmeter_broken = false;
    rig.run_for(ms(20));
    assert_eq!(rig.charger.outputs(), PlantOutputs::default());
}

#[test]
fn battery_voltage_not_matching_bcp() {
    // 4 % off is within tolerance.
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.bms_voltage_scale = 0.96;
    rig.run_to_charging(200.0);

    // 10 % off is not: the charger stops in precharge, never closing K1/K2 onto the battery.
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.bms_voltage_scale = 0.9;
    rig.run_to_finish(secs(30));
    let Some(StopReason::ImplausibleMeasurement(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(
        why.contains("battery measured at 610.0 V, BCP says 549.0 V"),
        "{why}"
    );
    assert!(!rig.energy_started);
    assert!(rig.phases().contains(&SessionPhase::Precharge));
    // After 2 s of disagreement.
    let precharge = rig
        .event_at(|e| {
            matches!(
                e,
                SessionEvent::PhaseChanged {
                    to: SessionPhase::Precharge,
                    ..
                }
            )
        })
        .unwrap();
    let waited = rig.stop_at().unwrap() - precharge;
    assert!(waited > secs(2) && waited < secs(3), "{waited:?}");
    // CST: fault stop, voltage abnormal.
    let cst = rig.sent(Node::Charger, pgn::CST);
    assert!(cst.iter().all(|(_, d)| d == &[0x10, 0x00, 0xF0, 0xF4]));
}

#[test]
fn output_above_bcp_maximum() {
    // The BMS says 640 V at most, but its battery is at 690 V: once K1/K2 close, the output is
    // above 640 V + 5 %.
    let params = GbtVehicleParams {
        max_charge_voltage: 640.0,
        ..Rig::small_truck()
    };
    let mut rig = Rig::new(params, 20.0);
    rig.demand_voltage = 640.0;
    rig.plant.ocv_base = 670.0;
    rig.run_to_finish(secs(30));
    let Some(StopReason::ImplausibleMeasurement(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(
        why.contains("output at 690.0 V, above the battery's maximum 640.0 V + 5 %"),
        "{why}"
    );
    assert!(rig.energy_started);
    assert!(rig.peak_current < 1.0, "no current pushed into it");
    let started = rig
        .event_at(|e| matches!(e, SessionEvent::EnergyTransferStarted))
        .unwrap();
    let waited = rig.stop_at().unwrap() - started;
    assert!(waited > ms(200) && waited <= ms(260), "{waited:?}");
}

/// A station stop at every stage before charging ends cleanly: no alarms, K1/K2 open at
/// ≤ 5 A, unlock below 60 V, the BMS powered down.
#[test]
fn station_stop_at_each_early_stage() {
    type Stage = fn(&Rig) -> bool;
    let stages: [(&str, Stage); 6] = [
        ("handshake", |r| !r.sent(Node::Bms, pgn::BHM).is_empty()),
        ("insulation test at voltage", |r| {
            r.charger.outputs().insulation_test && r.plant.cable_voltage > 650.0
        }),
        ("identification", |r| {
            !r.sent(Node::Charger, pgn::CRM).is_empty()
        }),
        ("parameters", |r| {
            !r.sent(Node::Charger, pgn::CML).is_empty()
        }),
        ("BMS ready, contactors closed", |r| {
            r.charger.phase() == SessionPhase::Precharge
        }),
        ("precharge running", |r| {
            r.charger.phase() == SessionPhase::Precharge && r.plant.psu_voltage > 300.0
        }),
    ];
    for (name, reached) in stages {
        let mut rig = Rig::new(Rig::small_truck(), 20.0);
        assert!(rig.run_until(secs(10), reached), "{name}: never reached");
        let now = rig.now;
        rig.charger.stop(StopReason::Local, now);
        rig.run_to_finish(secs(15));
        assert_eq!(rig.finished_reason(), Some(StopReason::Local), "{name}");
        assert!(!rig.energy_started, "{name}");
        let took = rig.finished_at().unwrap() - now;
        assert!(took < secs(4), "{name}: took {took:?}");
    }
}

/// A station that runs the session only when a frame arrives, a measurement changes or
/// `poll_timeout` says so still sees every deadline on time: `poll_timeout` covers the stage
/// deadlines, not only the next periodic frame.
#[test]
fn deadlines_are_met_by_a_station_that_sleeps_until_poll_timeout() {
    // The BRM deadline (5.2 s) falls between two CRM slots (every 250 ms).
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.vehicle.mute(pgn::BRM);
    rig.vehicle.mute(pgn::BEM);
    assert!(rig.run_until(secs(10), |r| !r.sent(Node::Charger, pgn::CRM).is_empty()));
    // The output has bled down to nothing: from here only time passes.
    assert!(rig.run_until(secs(5), |r| r.plant.cable_voltage == 0.0
        && r.plant.psu_voltage == 0.0));
    rig.lazy = true;
    assert!(rig.run_until(secs(10), |r| !r.sent(Node::Charger, pgn::CEM).is_empty()));
    let crm = first_sent(&rig, Node::Charger, pgn::CRM, 0x00);
    let cem = rig.sent(Node::Charger, pgn::CEM)[0].0;
    assert_eq!(cem - crm, ms(5210), "CEM at the first step past 5.2 s");

    // The same for a stop before BRM, when no periodic message runs at all: the connector is
    // released after the discharge deadline even though nothing else happens.
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.plant.ev_stuck_closed = true;
    rig.alarms_allowed = true;
    rig.lazy = true;
    assert!(rig.run_until(secs(10), |r| r.charger.phase() == SessionPhase::Finished));
    let took = rig.finished_at().unwrap() - rig.stop_at().unwrap();
    assert!(took > secs(4) && took <= secs(4) + ms(20), "{took:?}");
}

#[test]
fn bsm_fault_stops_the_charge() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.vehicle
        .inject_fault(charger_protocol::gbt::GbtVehicleFault::OverTemperature);
    rig.run_to_finish(secs(15));
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::VehicleFault("over-temperature".into()))
    );
    // BSM byte 6 bits 7-8 = 01; CST: fault stop, other fault.
    let bsm = rig.sent(Node::Bms, pgn::BSM).last().unwrap().1.clone();
    assert_eq!(bsm[5] >> 6, 0b01);
    let cst = rig.sent(Node::Charger, pgn::CST);
    assert!(cst.iter().all(|(_, d)| d == &[0x10, 0x00, 0xF4, 0xF0]));
    assert!(rig
        .charger
        .vehicle()
        .faults
        .contains(&"over-temperature".to_string()));
}

#[test]
fn cell_above_the_bcp_limit_stops_the_charge() {
    // 165 cells: at 610 V the highest cell is already above BCP's 3.65 V.
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.cells = 165.0;
    rig.run_to_finish(secs(30));
    let Some(StopReason::VehicleFault(why)) = rig.finished_reason() else {
        panic!("{:?}", rig.events);
    };
    assert!(why.contains("above the BMS's limit of 3.65 V"), "{why}");
    assert!(rig.energy_started);
    // Stopped at the first BCS, before the current had risen far.
    let started = rig
        .event_at(|e| matches!(e, SessionEvent::EnergyTransferStarted))
        .unwrap();
    assert!(rig.stop_at().unwrap() - started <= ms(100));
}

#[test]
fn contactors_open_under_load_only_with_an_alarm() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.plant.supply_stuck = true;
    rig.alarms_allowed = true;
    let now = rig.now;
    rig.charger.stop(StopReason::Local, now);
    // The current does not fall: K1/K2 stay closed for the ramp-down time, then open with an
    // alarm (the invariant checks every step that opening above 5 A comes with one).
    assert!(rig.run_until(secs(5), |r| !r.charger.outputs().contactors_closed));
    let opened = rig.now - now;
    assert!(opened > secs(2) && opened <= secs(2) + ms(20), "{opened:?}");
    let alarm = rig
        .event_at(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::OpenedUnderLoad))
        .unwrap();
    assert_eq!(alarm, rig.now);
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::Local));
    assert_eq!(rig.count(|e| matches!(e, SessionEvent::Alarm(_))), 1);
}

#[test]
fn bms_silent_while_charging() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    rig.vehicle.set_can_silent(true);
    let silent = rig.now;
    rig.run_to_finish(secs(60));
    // BCL is missed first (1 s); the retries find no BRM.
    let cems = rig.sent(Node::Charger, pgn::CEM);
    let runs = bursts(&cems, 250);
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0][0].1, [0xFC, 0xF0, 0xC4, 0xFC], "BCL");
    assert!(runs[0][0].0 - silent <= secs(1) + ms(60));
    assert_eq!(runs[1][0].1, [0xFD, 0xF0, 0xC0, 0xFC], "BRM");
    assert_eq!(runs[2][0].1, [0xFD, 0xF0, 0xC0, 0xFC], "BRM");
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::CommunicationLost(
            "BRM timeout after 3 handshake attempts".into()
        ))
    );
    // The silent BMS still listened: it opened its contactors on the first CEM.
    assert!(!rig.vehicle.contactors_closed());
}

#[test]
fn bms_reports_a_charger_timeout_with_bem() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(200.0);
    // CCS no longer reaches the BMS: it sends BEM "CCS timeout" after 1 s.
    rig.dropped_to_vehicle.push(pgn::CCS);
    let lost = rig.now;
    rig.run_to_finish(secs(60));
    let bem = rig.sent(Node::Bms, pgn::BEM);
    assert_eq!(
        bem[0].1,
        [0xF0, 0xF0, 0xF1, 0xFC],
        "reference §2.6 trace bytes"
    );
    // 1 s after the last CCS it received (sent just before the loss, read one step later).
    let last_ccs = rig
        .sent(Node::Charger, pgn::CCS)
        .into_iter()
        .rfind(|(t, _)| *t < lost)
        .unwrap()
        .0;
    let waited = bem[0].0 - last_ccs;
    assert!(waited > secs(1) && waited <= secs(1) + ms(30), "{waited:?}");
    // The charger makes the output safe and retries without CEM (it missed nothing).
    assert!(rig.sent(Node::Charger, pgn::CEM).is_empty());
    assert_eq!(rig.charger.handshake_attempts(), 3);
    assert_eq!(rig.vehicle.handshakes(), 3);
    assert_eq!(
        rig.finished_reason(),
        Some(StopReason::CommunicationLost(
            "BEM (BMS missed CCS) timeout after 3 handshake attempts".into()
        ))
    );
}

/// A station stop in the very step a BCL timeout begins the recovery, with 250 A still flowing:
/// the current is ramped down before K1/K2 open, as for any stop.
#[test]
fn station_stop_while_the_recovery_ramps_down() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.run_to_charging(249.0);
    rig.vehicle.mute(pgn::BCL);
    assert!(rig.run_until(secs(3), |r| !r.sent(Node::Charger, pgn::CEM).is_empty()));
    assert!(rig.charger.outputs().contactors_closed && rig.plant.current > 200.0);
    let now = rig.now;
    rig.charger.stop(StopReason::Local, now);
    assert!(
        rig.charger.outputs().contactors_closed,
        "not opened under load"
    );
    assert_eq!(rig.charger.outputs().power.current, 0.0);
    // (The invariant checks every step that K1/K2 open at ≤ 5 A; no alarm is allowed.)
    rig.run_to_finish(secs(10));
    assert_eq!(rig.finished_reason(), Some(StopReason::Local));
    assert!(rig.sent(Node::Charger, pgn::CST).is_empty());
}

#[test]
fn station_stop_during_error_recovery() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.vehicle.mute(pgn::BCL);
    assert!(rig.run_until(secs(20), |r| !r.sent(Node::Charger, pgn::CEM).is_empty()));
    rig.run_for(ms(500));
    let now = rig.now;
    rig.charger.stop(StopReason::Local, now);
    rig.run_to_finish(secs(20));
    assert_eq!(rig.finished_reason(), Some(StopReason::Local));
    // The BMS was told (CEM) the session failed and waits for CRM 00: there is no stop to
    // exchange with it. The session ends once the output is safe, without CST, CEM(BST) or a
    // new handshake.
    let took = rig.finished_at().unwrap() - now;
    assert!(took < secs(1), "{took:?}");
    assert!(rig.sent(Node::Charger, pgn::CST).is_empty());
    assert!(rig
        .sent(Node::Charger, pgn::CEM)
        .iter()
        .all(|(_, d)| d == &[0xFC, 0xF0, 0xC4, 0xFC]));
    assert!(rig
        .sent(Node::Charger, pgn::CRM)
        .iter()
        .all(|(t, _)| *t < now));
    assert_eq!(rig.charger.handshake_attempts(), 1);
}

#[test]
fn bem_during_the_insulation_test() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    assert!(rig.run_until(secs(10), |r| r.charger.outputs().insulation_test));
    // A BMS that timed out waiting for CRM 00 while the charger was still testing.
    let bem = charger_protocol::gbt::Bem {
        crm_00: Signal::Set,
        ..Default::default()
    };
    let (p, prio, data) = BmsMessage::Bem(bem).encode(CurrentCodec::Offset400);
    let frame = J1939Id::new(prio, p, CHARGER_ADDRESS, BMS_ADDRESS)
        .frame(&data)
        .unwrap();
    let now = rig.now;
    rig.charger.handle_frame(&frame, now);
    // The test goes on, identification follows, and the session charges.
    rig.run_to_charging(200.0);
    assert!(rig.insulation_passed);
    assert_eq!(rig.charger.handshake_attempts(), 1);
    assert!(rig.sent(Node::Charger, pgn::CEM).is_empty());
    rig.vehicle.request_stop();
    rig.run_to_finish(secs(15));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
}

/// The truck's contactors weld at the stop: the battery stays on the cable. One alarm; the
/// session still ends (CSD, auxiliary power off), but the connector stays locked until the
/// output is safe.
#[test]
fn welded_truck_contactors_keep_the_connector_locked() {
    let mut rig = Rig::new(Rig::small_truck(), 20.0);
    rig.alarms_allowed = true;
    rig.run_to_charging(200.0);
    rig.plant.ev_stuck_closed = true;
    rig.vehicle.request_stop();
    assert!(rig.run_until(secs(15), |r| r.charger.phase() == SessionPhase::Finished));
    assert_eq!(rig.finished_reason(), Some(StopReason::VehicleRequest));
    assert_eq!(
        rig.count(|e| matches!(e, SessionEvent::Alarm(a) if a.kind == AlarmKind::WeldingSuspected)),
        1
    );
    let opened_to_end = rig.finished_at().unwrap() - rig.stop_at().unwrap();
    assert!(
        opened_to_end > secs(4) && opened_to_end < secs(6),
        "{opened_to_end:?}"
    );
    assert!(!rig.sent(Node::Charger, pgn::CSD).is_empty());
    rig.run_for(secs(2));
    let out = rig.charger.outputs();
    assert!(
        out.lock_connector,
        "never unlock with the battery on the cable"
    );
    assert!(!out.contactors_closed && !out.lines.aux_power && !out.power.enabled);
    rig.plant.ev_stuck_closed = false;
    rig.run_for(secs(2));
    assert_eq!(rig.charger.outputs(), PlantOutputs::default());
}
