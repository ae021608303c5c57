//! Arbitrary input never panics a GB/T 27930 decoder or state machine, whatever stage it is
//! in, and the charger's outputs stay safe; typed messages survive encode → decode.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use charger_protocol::gbt::frames::pgn;
use charger_protocol::gbt::{
    BatteryType, Bcl, Bcp, Bcs, Bem, Bhm, BmsMessage, Brm, Bsd, Bsm, Bst, Ccs, Cem, ChargeMode,
    ChargerMessage, ChargerTime, Chm, Cml, Crm, Cro, Csd, Cst, Cts, CurrentCodec, GbtCharger,
    GbtChargerConfig, GbtVehicle, GbtVehicleParams, GbtVehicleState, Level, ProtocolVersion,
    Signal,
};
use charger_protocol::j1939::{J1939Id, BMS_ADDRESS, CHARGER_ADDRESS, PGN_TP_CM, PGN_TP_DT};
use charger_protocol::session::{ChargerRating, InsulationVerdict};
use charger_protocol::{
    CanFrame, ControlLines, DcSession, PlantInputs, PlantOutputs, SessionEvent, SessionPhase,
    StopReason, Timestamp,
};
use proptest::prelude::*;

const MAX_CURRENT: f32 = 250.0;
const MAX_VOLTAGE: f32 = 1000.0;

fn rating() -> ChargerRating {
    ChargerRating {
        max_voltage: MAX_VOLTAGE,
        min_voltage: 200.0,
        max_current: MAX_CURRENT,
        min_current: 0.0,
    }
}

const BMS_PGNS: [u32; 13] = [
    pgn::BHM,
    pgn::BRM,
    pgn::BCP,
    pgn::BRO,
    pgn::BCL,
    pgn::BCS,
    pgn::BSM,
    pgn::BMV,
    pgn::BMT,
    pgn::BSP,
    pgn::BST,
    pgn::BSD,
    pgn::BEM,
];
const CHARGER_PGNS: [u32; 9] = [
    pgn::CHM,
    pgn::CRM,
    pgn::CTS,
    pgn::CML,
    pgn::CRO,
    pgn::CCS,
    pgn::CST,
    pgn::CSD,
    pgn::CEM,
];

fn any_codec() -> impl Strategy<Value = CurrentCodec> {
    prop_oneof![Just(CurrentCodec::Offset400), Just(CurrentCodec::Offset800)]
}

/// Every GB/T PGN, the transport's, and now and then any PGN at all.
fn any_pgn() -> impl Strategy<Value = u32> {
    let known: Vec<u32> = BMS_PGNS
        .iter()
        .chain(CHARGER_PGNS.iter())
        .copied()
        .chain([PGN_TP_CM, PGN_TP_DT])
        .collect();
    prop_oneof![
        6 => prop::sample::select(known),
        1 => 0u32..=0x3_FFFF,
    ]
}

/// Payloads for the transport: RTS/CTS/EndOfMsgAck/abort/BAM for a GB/T message with small
/// sizes, and data packets with small sequence numbers, so that transfers actually happen.
fn tp_cm_payload() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0x10u8, 0x11, 0x13, 0x20, 0xFF, 0x00, 0x12]),
        0u16..80,
        0u8..12,
        any::<u8>(),
        prop::sample::select(BMS_PGNS.to_vec()),
    )
        .prop_map(|(control, size, packets, byte4, pgn)| {
            let [s0, s1] = size.to_le_bytes();
            let [p0, p1, p2, _] = pgn.to_le_bytes();
            vec![control, s0, s1, packets, byte4, p0, p1, p2]
        })
}

fn tp_dt_payload() -> impl Strategy<Value = Vec<u8>> {
    (0u8..10, prop::collection::vec(any::<u8>(), 7)).prop_map(|(seq, rest)| {
        let mut d = vec![seq];
        d.extend(rest);
        d
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..=8),
        1 => tp_cm_payload(),
        1 => tp_dt_payload(),
    ]
}

/// Any classic CAN frame, mostly extended J1939 frames between the two GB/T addresses (both
/// directions), some between other nodes, some standard or remote frames.
fn any_frame() -> impl Strategy<Value = CanFrame> {
    // (A PDU2 PGN cannot carry a destination: those go to everyone.)
    let to_charger = (0u8..8, any_pgn(), payload()).prop_map(|(p, pgn, data)| {
        J1939Id::new(p, pgn, CHARGER_ADDRESS, BMS_ADDRESS)
            .frame(&data)
            .unwrap()
    });
    let between = (0u8..8, any_pgn(), any::<u8>(), any::<u8>(), payload()).prop_map(
        |(p, pgn, destination, source, data)| {
            J1939Id::new(p, pgn, destination, source)
                .frame(&data)
                .unwrap()
        },
    );
    let raw = (
        0u32..=0x1FFF_FFFF,
        prop::collection::vec(any::<u8>(), 0..=8),
    )
        .prop_map(|(id, data)| CanFrame::extended(id, &data).unwrap());
    let standard = (0u16..=0x7FF, prop::collection::vec(any::<u8>(), 0..=8))
        .prop_map(|(id, data)| CanFrame::standard(id, &data).unwrap());
    let remote = (0u32..=0x1FFF_FFFF, any::<bool>(), 0u8..=8).prop_map(|(id, extended, len)| {
        let id = if extended { id } else { id & 0x7FF };
        CanFrame::remote(id, extended, len).unwrap()
    });
    prop_oneof![
        8 => to_charger,
        2 => between,
        1 => raw,
        1 => standard,
        1 => remote,
    ]
}

/// Measurements including absurd ones (NaN, infinities, negatives).
fn any_plant() -> impl Strategy<Value = PlantInputs> {
    let volts = prop_oneof![
        6 => -20.0f32..1300.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
    ];
    let amps = prop_oneof![6 => -20.0f32..500.0, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)];
    let verdict = prop_oneof![
        Just(InsulationVerdict::Unknown),
        Just(InsulationVerdict::Measuring),
        (0.0f32..1e7).prop_map(|ohms| InsulationVerdict::Ok { ohms }),
        (0.0f32..1e7).prop_map(|ohms| InsulationVerdict::Warning { ohms }),
        (0.0f32..1e7).prop_map(|ohms| InsulationVerdict::Fault { ohms }),
    ];
    (volts.clone(), volts, amps, any::<bool>(), verdict).prop_map(
        |(cable_voltage, psu_voltage, output_current, vehicle_permission, insulation)| {
            PlantInputs {
                cable_voltage,
                psu_voltage,
                output_current,
                vehicle_permission,
                insulation,
            }
        },
    )
}

fn any_available() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -50.0f32..500.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(0.0f32),
    ]
}

fn any_stop() -> impl Strategy<Value = Option<StopReason>> {
    prop_oneof![
        12 => Just(None),
        1 => Just(Some(StopReason::Local)),
        1 => Just(Some(StopReason::EmergencyStop)),
        1 => Just(Some(StopReason::Unplugged)),
        1 => Just(Some(StopReason::PowerSupplyFault("fuzz".into()))),
    ]
}

/// What may happen between two steps of a fuzzed session.
#[derive(Debug, Clone)]
struct Disturbance {
    /// Extra frames into the charger, besides what the BMS says.
    frames: Vec<CanFrame>,
    /// Measurements replaced by these for this step (a broken sensor).
    garbage: Option<PlantInputs>,
    /// Extra time before the step, ms (a stalled host).
    stall: u64,
    available: f32,
    stop: Option<StopReason>,
}

fn any_disturbance() -> impl Strategy<Value = Disturbance> {
    (
        prop::collection::vec(any_frame(), 0..4),
        prop_oneof![4 => Just(None), 1 => any_plant().prop_map(Some)],
        prop_oneof![8 => Just(0u64), 1 => 0u64..3000, 1 => 0u64..20_000],
        prop_oneof![3 => Just(300.0f32), 1 => any_available()],
        any_stop(),
    )
        .prop_map(|(frames, garbage, stall, available, stop)| Disturbance {
            frames,
            garbage,
            stall,
            available,
            stop,
        })
}

/// A compact ideal plant and a real BMS: enough to bring a charger to any stage.
struct Sim {
    now: Timestamp,
    charger: GbtCharger,
    vehicle: GbtVehicle,
    psu: f32,
    cable: f32,
    current: f32,
    imd_since: Option<Timestamp>,
    last_inputs: PlantInputs,
    insulation_passed: bool,
    energy_started: bool,
    stops: usize,
    finishes: usize,
    /// What the BMS says each step: battery voltage and SOC (BCP/BCS), demand (BCL).
    bms_battery: (f32, f32),
    demand: (f32, f32),
    /// The BMS's messages must decode (false when it is fed absurd values on purpose).
    bms_decodes: bool,
}

impl Sim {
    const OCV: f32 = 620.0;
    const R: f32 = 0.05;
    const STEP: Duration = Duration::from_millis(10);

    fn new() -> Sim {
        Sim::with_vehicle(GbtVehicleParams::default())
    }

    fn with_vehicle(params: GbtVehicleParams) -> Sim {
        let mut charger = GbtCharger::new(GbtChargerConfig::new(rating())).unwrap();
        let now = Timestamp::from_millis(10);
        charger.start(now);
        Sim {
            bms_battery: (Self::OCV, 40.0),
            bms_decodes: true,
            demand: (690.0, 200.0),
            now,
            charger,
            vehicle: GbtVehicle::new(params),
            psu: 0.0,
            cable: 0.0,
            current: 0.0,
            imd_since: None,
            last_inputs: PlantInputs::default(),
            insulation_passed: false,
            energy_started: false,
            stops: 0,
            finishes: 0,
        }
    }

    fn plant(&mut self, out: &PlantOutputs) {
        let dt = Self::STEP.as_secs_f32();
        let cmd = out.power;
        let ev = self.vehicle.contactors_closed();
        let toward = |v: f32| {
            if cmd.enabled {
                v + (cmd.voltage - v).clamp(-2000.0 * dt, 2000.0 * dt)
            } else {
                v * 0.8
            }
        };
        match (out.contactors_closed, ev) {
            (true, true) => {
                self.current = if cmd.enabled {
                    ((cmd.voltage - Self::OCV) / Self::R).clamp(0.0, cmd.current)
                } else {
                    0.0
                };
                self.psu = Self::OCV + self.current * Self::R;
                self.cable = self.psu;
            }
            (true, false) => {
                self.current = 0.0;
                self.psu = toward(self.psu);
                self.cable = self.psu;
            }
            (false, true) => {
                self.current = 0.0;
                self.psu = toward(self.psu);
                self.cable = Self::OCV;
            }
            (false, false) => {
                self.current = 0.0;
                self.psu = toward(self.psu);
                self.cable *= 0.8;
            }
        }
    }

    fn inputs(&mut self, out: &PlantOutputs) -> PlantInputs {
        let insulation = if out.insulation_test {
            let since = *self.imd_since.get_or_insert(self.now);
            if self.now >= since + Duration::from_millis(300) && self.cable > 100.0 {
                InsulationVerdict::Ok { ohms: 1.0e6 }
            } else {
                InsulationVerdict::Measuring
            }
        } else {
            self.imd_since = None;
            InsulationVerdict::Unknown
        };
        PlantInputs {
            cable_voltage: self.cable,
            psu_voltage: self.psu,
            output_current: self.current,
            vehicle_permission: false,
            insulation,
        }
    }

    /// One 10 ms step (after `d.stall` more), with the disturbance applied. Checks the safety
    /// invariants; returns an error naming the one broken.
    fn step(&mut self, d: &Disturbance) -> Result<(), TestCaseError> {
        self.now += Self::STEP + Duration::from_millis(d.stall);
        let now = self.now;
        let before = self.charger.outputs();
        self.plant(&before);
        self.vehicle
            .set_battery(self.bms_battery.0, self.bms_battery.1);
        self.vehicle.set_battery_current(self.current);
        self.vehicle.set_max_cell_voltage(3.3);
        self.vehicle.set_demand(self.demand.0, self.demand.1);
        self.vehicle.update(before.lines, now);
        let mut to_charger = Vec::new();
        while let Some(f) = self.vehicle.poll_transmit(now) {
            // Whatever the BMS sends, our own decoders accept.
            if let Some(id) = J1939Id::from_frame(&f) {
                if self.bms_decodes && id.pgn != PGN_TP_CM && id.pgn != PGN_TP_DT {
                    let codec = self.charger.current_codec();
                    prop_assert!(
                        BmsMessage::decode(id.pgn, f.data(), codec).is_ok(),
                        "BMS sent {:?}",
                        f
                    );
                }
            }
            to_charger.push(f);
        }
        to_charger.extend(d.frames.iter().copied());
        for f in &to_charger {
            self.charger.handle_frame(f, now);
        }
        let inputs = match d.garbage {
            Some(g) => g,
            None => self.inputs(&before),
        };
        self.charger.set_available_current(d.available, now);
        self.charger.update(&inputs, now);
        if let Some(reason) = &d.stop {
            self.charger.stop(reason.clone(), now);
        }
        while let Some(f) = self.charger.poll_transmit(now) {
            self.vehicle.handle_frame(&f, now);
        }
        self.check(&inputs, &before, d)?;
        self.last_inputs = inputs;
        Ok(())
    }

    fn check(
        &mut self,
        inputs: &PlantInputs,
        before: &PlantOutputs,
        d: &Disturbance,
    ) -> Result<(), TestCaseError> {
        let now = self.now;
        let mut alarm = false;
        while let Some(e) = self.charger.poll_event() {
            match e {
                SessionEvent::InsulationPassed { .. } => self.insulation_passed = true,
                SessionEvent::EnergyTransferStarted => {
                    prop_assert!(self.insulation_passed, "transfer before insulation");
                    self.energy_started = true;
                }
                SessionEvent::StopTriggered(_) => self.stops += 1,
                SessionEvent::Finished(_) => self.finishes += 1,
                SessionEvent::Alarm(_) => alarm = true,
                _ => {}
            }
        }
        prop_assert!(self.stops <= 1 && self.finishes <= 1);
        let out = self.charger.outputs();
        let power = out.power;
        prop_assert!(
            power.current.is_finite() && (0.0..=MAX_CURRENT).contains(&power.current),
            "{now}: {power:?}"
        );
        prop_assert!(
            power.voltage.is_finite() && (0.0..=MAX_VOLTAGE).contains(&power.voltage),
            "{now}: {power:?}"
        );
        if out.contactors_closed && !out.insulation_test {
            // Outside the insulation test K1/K2 close only onto a tested output…
            prop_assert!(
                self.insulation_passed,
                "{now}: K1/K2 closed before InsulationPassed"
            );
            // …and then the supply never gives more than the station has.
            let available = if d.available.is_finite() {
                d.available.max(0.0)
            } else {
                0.0
            };
            prop_assert!(
                power.current <= available + 1e-3,
                "{now}: {} A asked, {} A available",
                power.current,
                d.available
            );
        }
        if out.contactors_closed && self.vehicle.contactors_closed() {
            prop_assert!(
                self.insulation_passed && self.energy_started,
                "{now}: K1/K2 closed onto the battery before insulation test and precharge"
            );
        }
        if out.insulation_test {
            prop_assert!(out.contactors_closed);
        }
        if before.contactors_closed && !out.contactors_closed {
            // Opening under load only with an alarm (or on a reading that is not a number).
            prop_assert!(
                inputs.output_current.abs() <= 5.0 || !inputs.output_current.is_finite() || alarm,
                "{now}: opened at {} A without an alarm",
                inputs.output_current
            );
        }
        if before.lock_connector && !out.lock_connector {
            prop_assert!(
                inputs.cable_voltage < 60.0,
                "{now}: unlocked at {} V",
                inputs.cable_voltage
            );
        }
        if let Some(t) = self.charger.poll_timeout() {
            prop_assert!(
                t > now,
                "{now}: deadline {t} overdue in {:?}",
                self.charger.phase()
            );
        }
        let _ = self.charger.vehicle();
        Ok(())
    }

    /// Runs undisturbed until `reached` or 30 simulated seconds.
    fn run_until(&mut self, reached: impl Fn(&Sim) -> bool) -> bool {
        let calm = Disturbance {
            frames: Vec::new(),
            garbage: None,
            stall: 0,
            available: 300.0,
            stop: None,
        };
        for _ in 0..3000 {
            if reached(self) {
                return true;
            }
            self.step(&calm).unwrap();
        }
        reached(self)
    }
}

/// Stages a charger can be brought to with a well-behaved BMS, from idle to finished.
const STAGES: usize = 12;

fn bring_to(stage: usize) -> Sim {
    let mut s = Sim::new();
    let reached = match stage {
        0 => true,
        1 => s.run_until(|s| s.vehicle.state() == GbtVehicleState::Handshake),
        2 => s.run_until(|s| s.charger.outputs().insulation_test && s.cable > 500.0),
        3 => s.run_until(|s| s.insulation_passed && s.charger.phase() == SessionPhase::CableCheck),
        4 => s.run_until(|s| s.vehicle.state() == GbtVehicleState::Identification),
        5 => s.run_until(|s| s.vehicle.state() == GbtVehicleState::Parameters),
        6 => s.run_until(|s| s.vehicle.state() == GbtVehicleState::Ready),
        7 => s.run_until(|s| s.charger.phase() == SessionPhase::Precharge && s.psu > 300.0),
        8 => s.run_until(|s| s.current >= 150.0),
        9 | 10 => {
            let charging = s.run_until(|s| s.current >= 150.0);
            let now = s.now;
            s.charger.stop(StopReason::Local, now);
            charging && (stage == 9 || s.run_until(|s| !s.charger.outputs().contactors_closed))
        }
        _ => {
            let charging = s.run_until(|s| s.current >= 150.0);
            s.vehicle.request_stop();
            charging && s.run_until(|s| s.charger.phase() == SessionPhase::Finished)
        }
    };
    assert!(
        reached,
        "stage {stage} not reached: {:?}",
        s.charger.phase()
    );
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_never_panic(
        p in any_pgn(),
        data in prop::collection::vec(any::<u8>(), 0..64),
        codec in any_codec(),
    ) {
        let _ = BmsMessage::decode(p, &data, codec);
        let _ = ChargerMessage::decode(p, &data, codec);
    }

    #[test]
    fn every_decoder_never_panics_on_short_and_long_input(
        data in prop::collection::vec(any::<u8>(), 0..=80),
        codec in any_codec(),
    ) {
        for p in BMS_PGNS {
            let _ = BmsMessage::decode(p, &data, codec);
        }
        for p in CHARGER_PGNS {
            let _ = ChargerMessage::decode(p, &data, codec);
        }
    }

    /// Whatever decodes encodes back to bytes that decode to the same value.
    #[test]
    fn decoded_messages_survive_a_round_trip(
        data in prop::collection::vec(any::<u8>(), 0..=60),
        codec in any_codec(),
    ) {
        for p in BMS_PGNS {
            if let Ok(m) = BmsMessage::decode(p, &data, codec) {
                let (back_pgn, _, bytes) = m.encode(codec);
                prop_assert_eq!(back_pgn, p);
                prop_assert_eq!(BmsMessage::decode(p, &bytes, codec), Ok(m));
            }
        }
        for p in CHARGER_PGNS {
            if let Ok(m) = ChargerMessage::decode(p, &data, codec) {
                let (back_pgn, _, bytes) = m.encode(codec);
                prop_assert_eq!(back_pgn, p);
                prop_assert_eq!(ChargerMessage::decode(p, &bytes, codec), Ok(m));
            }
        }
    }

    /// A charger at any stage of a real session, then arbitrary frames (from the BMS's address
    /// and others), broken measurements, stalls, swings of the available current and station
    /// stops, alongside the real BMS: no panic, and the outputs stay safe.
    #[test]
    fn charger_at_any_stage_survives_arbitrary_input(
        stage in 0..STAGES,
        disturbances in prop::collection::vec(any_disturbance(), 1..80),
    ) {
        let mut s = bring_to(stage);
        for d in &disturbances {
            s.step(d)?;
        }
    }

    /// Garbage only, from the start: a charger fed nothing but arbitrary frames and readings.
    #[test]
    fn charger_survives_garbage_from_the_start(
        steps in prop::collection::vec(
            (prop::collection::vec(any_frame(), 0..4), any_plant(), 0u64..3000, any_available()),
            1..60,
        ),
        stop_midway in any::<bool>(),
    ) {
        let mut c = GbtCharger::new(GbtChargerConfig::new(rating())).unwrap();
        let mut now = Timestamp::ZERO;
        c.start(now);
        let n = steps.len();
        for (i, (frames, plant, dt, available)) in steps.into_iter().enumerate() {
            now = Timestamp::from_millis(now.as_millis() + dt);
            for f in &frames {
                c.handle_frame(f, now);
            }
            c.set_available_current(available, now);
            let before = c.outputs();
            c.update(&plant, now);
            if stop_midway && i == n / 2 {
                c.stop(StopReason::Local, now);
            }
            while c.poll_transmit(now).is_some() {}
            let mut passed = false;
            while let Some(e) = c.poll_event() {
                passed |= matches!(e, SessionEvent::InsulationPassed { .. });
            }
            let after = c.outputs();
            prop_assert!((0.0..=MAX_CURRENT).contains(&after.power.current));
            prop_assert!(after.power.voltage.is_finite());
            prop_assert!(!after.contactors_closed || after.insulation_test || passed
                || before.contactors_closed);
            if before.lock_connector && !after.lock_connector {
                prop_assert!(plant.cable_voltage < 60.0);
            }
            if let Some(t) = c.poll_timeout() {
                prop_assert!(t > now, "deadline {} overdue at {} in {:?}", t, now, c.phase());
            }
            let _ = c.vehicle();
        }
    }

    /// A BMS fed arbitrary frames, auxiliary power flickering and absurd measurements: no
    /// panic, and everything it sends decodes with our decoders.
    #[test]
    fn vehicle_survives_arbitrary_input(
        steps in prop::collection::vec(
            (prop::collection::vec(any_frame(), 0..4), prop::bool::weighted(0.9), 0u64..700,
             -10.0f32..500.0, any::<bool>()),
            1..80,
        ),
        version_2011 in any::<bool>(),
    ) {
        let version = if version_2011 { ProtocolVersion::V1_0 } else { ProtocolVersion::V1_1 };
        let codec = if version_2011 { CurrentCodec::Offset800 } else { CurrentCodec::Offset400 };
        let mut v = GbtVehicle::new(GbtVehicleParams { version, ..GbtVehicleParams::default() });
        let mut now = Timestamp::ZERO;
        for (frames, aux, dt, x, flag) in steps {
            now = Timestamp::from_millis(now.as_millis() + dt);
            // Charger frames are what the BMS listens to: re-address them so they get through.
            for f in &frames {
                v.handle_frame(f, now);
                if let Some(id) = J1939Id::from_frame(f) {
                    let to_bms = J1939Id::new(id.priority, id.pgn, BMS_ADDRESS, CHARGER_ADDRESS);
                    v.handle_frame(&to_bms.frame(f.data()).unwrap(), now);
                }
            }
            v.set_demand(x, if flag { f32::NAN } else { x });
            v.set_battery(if flag { f32::INFINITY } else { x }, x);
            v.set_battery_current(x);
            v.set_max_cell_voltage(x / 100.0);
            v.set_paused(flag && x > 250.0);
            v.update(ControlLines { aux_power: aux, ..ControlLines::default() }, now);
            while let Some(f) = v.poll_transmit(now) {
                let id = J1939Id::from_frame(&f).unwrap();
                prop_assert_eq!((id.destination, id.source), (CHARGER_ADDRESS, BMS_ADDRESS));
                if id.pgn != PGN_TP_CM && id.pgn != PGN_TP_DT {
                    prop_assert!(
                        BmsMessage::decode(id.pgn, f.data(), codec).is_ok(),
                        "{:?}", f
                    );
                }
            }
            if let Some(t) = v.poll_timeout() {
                prop_assert!(t >= now, "deadline {} in the past at {}", t, now);
            }
        }
    }
}

// ----- encode → decode ---------------------------------------------------------------------------

/// A value on a 0.1 grid between 0 and `max`.
fn tenths(max: f32) -> impl Strategy<Value = f32> {
    (0u32..=(max * 10.0) as u32).prop_map(|raw| raw as f32 / 10.0)
}

fn hundredths(max: f32) -> impl Strategy<Value = f32> {
    (0u32..=(max * 100.0) as u32).prop_map(|raw| raw as f32 / 100.0)
}

fn any_signal() -> impl Strategy<Value = Signal> {
    prop_oneof![
        Just(Signal::Normal),
        Just(Signal::Set),
        Just(Signal::Untrusted),
        Just(Signal::NotAvailable)
    ]
}

fn any_level() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::Normal),
        Just(Level::TooHigh),
        Just(Level::TooLow),
        Just(Level::NotAvailable)
    ]
}

fn any_vin() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ".to_vec()),
        17,
    )
    .prop_map(|b| String::from_utf8(b).unwrap())
}

fn any_battery_type() -> impl Strategy<Value = BatteryType> {
    prop::sample::select(vec![
        BatteryType::LeadAcid,
        BatteryType::NickelMetalHydride,
        BatteryType::LithiumIronPhosphate,
        BatteryType::LithiumManganeseOxide,
        BatteryType::LithiumCobaltOxide,
        BatteryType::Ternary,
        BatteryType::LithiumPolymer,
        BatteryType::LithiumTitanate,
        BatteryType::Other,
    ])
}

fn any_brm() -> impl Strategy<Value = Brm> {
    (
        (
            prop::sample::select(vec![ProtocolVersion::V1_1, ProtocolVersion::V1_0]),
            any_battery_type(),
            tenths(1000.0),
            tenths(750.0),
            prop::option::of("[A-Z]{4}"),
        ),
        (
            prop::option::of(0u32..u32::MAX),
            prop::option::of((1985u16..=2239, 1u8..=12, 1u8..=31)),
            prop::option::of(0u32..0x00FF_FFFF),
            prop::option::of(any::<bool>()),
            prop::option::of(any_vin()),
            prop::option::of(
                any::<[u8; 8]>().prop_filter("all 0xFF is absent", |b| *b != [0xFF; 8]),
            ),
        ),
    )
        .prop_map(
            |(
                (version, battery_type, rated_capacity_ah, rated_voltage, manufacturer),
                (pack_serial, production_date, charge_count, owned, vin, software_version),
            )| Brm {
                version,
                battery_type,
                rated_capacity_ah,
                rated_voltage,
                manufacturer,
                pack_serial,
                production_date,
                charge_count,
                owned,
                vin,
                software_version,
            },
        )
}

fn any_bst() -> impl Strategy<Value = Bst> {
    prop::collection::vec(any_signal(), 14).prop_map(|s| Bst {
        soc_reached: s[0],
        total_voltage_reached: s[1],
        cell_voltage_reached: s[2],
        charger_stopped: s[3],
        insulation: s[4],
        output_connector_over_temperature: s[5],
        bms_component_over_temperature: s[6],
        charging_connector: s[7],
        battery_over_temperature: s[8],
        high_voltage_relay: s[9],
        cc2_voltage: s[10],
        other_fault: s[11],
        current_too_high: s[12],
        voltage_abnormal: s[13],
    })
}

fn any_cst() -> impl Strategy<Value = Cst> {
    prop::collection::vec(any_signal(), 12).prop_map(|s| Cst {
        condition_reached: s[0],
        manual: s[1],
        fault: s[2],
        bms_stopped: s[3],
        over_temperature: s[4],
        connector_fault: s[5],
        internal_over_temperature: s[6],
        energy_unavailable: s[7],
        emergency_stop: s[8],
        other_fault: s[9],
        current_mismatch: s[10],
        voltage_abnormal: s[11],
    })
}

fn any_time() -> impl Strategy<Value = ChargerTime> {
    (
        0u16..=9999,
        1u8..=12,
        1u8..=31,
        0u8..=23,
        0u8..=59,
        0u8..=59,
    )
        .prop_map(|(year, month, day, hour, minute, second)| ChargerTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
}

fn bms_round_trip(m: BmsMessage, codec: CurrentCodec) -> Result<(), TestCaseError> {
    let (p, priority, bytes) = m.encode(codec);
    prop_assert!(priority <= 7);
    prop_assert_eq!(BmsMessage::decode(p, &bytes, codec), Ok(m));
    Ok(())
}

fn charger_round_trip(m: ChargerMessage, codec: CurrentCodec) -> Result<(), TestCaseError> {
    let (p, priority, bytes) = m.encode(codec);
    prop_assert!(priority <= 7 && bytes.len() <= 8, "{:?}", bytes);
    prop_assert_eq!(ChargerMessage::decode(p, &bytes, codec), Ok(m));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bms_messages_round_trip(
        codec in any_codec(),
        brm in any_brm(),
        bhm in tenths(6553.4).prop_filter("0 V is refused", |v| *v > 0.0),
        bcp in (hundredths(24.0), tenths(400.0), tenths(6553.5), tenths(6553.4),
                -50i16..=205, tenths(100.0), tenths(6553.5)),
        bcl in (tenths(6553.4), tenths(400.0), any::<bool>()),
        bcs in (tenths(6553.5), -400.0f32..400.0, hundredths(40.95), 0u8..16, 0u8..=100,
                0u16..=600),
        bsm in (1u16..=256, -50i16..=205, 0u16..=255, -50i16..=205, 0u16..=255,
                any_level(), any_level(), prop::collection::vec(any_signal(), 4), any::<bool>()),
        bst in any_bst(),
        bsd in (0u8..=100, hundredths(24.0), hundredths(24.0), -50i16..=205, -50i16..=205),
        bem in prop::collection::vec(any_signal(), 7),
    ) {
        bms_round_trip(BmsMessage::Brm(brm), codec)?;
        bms_round_trip(BmsMessage::Bhm(Bhm { max_charge_voltage: bhm }), codec)?;
        let (cell, current, energy, max_v, temp, soc, battery_v) = bcp;
        let current = current.min(codec.max_charge_current());
        bms_round_trip(BmsMessage::Bcp(Bcp {
            max_cell_voltage: cell,
            max_current: current,
            nominal_energy_kwh: energy,
            max_voltage: max_v.max(0.1),
            max_temperature_c: temp,
            soc_percent: soc,
            battery_voltage: battery_v,
        }), codec)?;
        let (voltage, current, cv) = bcl;
        bms_round_trip(BmsMessage::Bcl(Bcl {
            voltage,
            current,
            mode: if cv { ChargeMode::ConstantVoltage } else { ChargeMode::ConstantCurrent },
        }), codec)?;
        let (voltage, current, cell, group, soc, minutes) = bcs;
        bms_round_trip(BmsMessage::Bcs(Bcs {
            measured_voltage: voltage,
            // On the 0.1 A grid.
            measured_current: (current * 10.0).round() / 10.0,
            max_cell_voltage: cell,
            max_cell_group: group,
            soc_percent: soc,
            remaining_minutes: minutes,
        }), codec)?;
        let (cell_no, t_max, probe_max, t_min, probe_min, cell_v, soc, s, permitted) = bsm;
        bms_round_trip(BmsMessage::Bsm(Bsm {
            max_cell_number: cell_no,
            max_temperature_c: t_max,
            max_temperature_probe: probe_max,
            min_temperature_c: t_min,
            min_temperature_probe: probe_min,
            cell_voltage: cell_v,
            soc,
            over_current: s[0],
            over_temperature: s[1],
            insulation: s[2],
            output_connector: s[3],
            charging_permitted: permitted,
        }), codec)?;
        bms_round_trip(BmsMessage::Bst(bst), codec)?;
        let (soc, min_cell, max_cell, t_min, t_max) = bsd;
        bms_round_trip(BmsMessage::Bsd(Bsd {
            soc_percent: soc,
            min_cell_voltage: min_cell,
            max_cell_voltage: max_cell,
            min_temperature_c: t_min,
            max_temperature_c: t_max,
        }), codec)?;
        bms_round_trip(BmsMessage::Bem(Bem {
            crm_00: bem[0],
            crm_aa: bem[1],
            cts_cml: bem[2],
            cro: bem[3],
            ccs: bem[4],
            cst: bem[5],
            csd: bem[6],
        }), codec)?;
    }

    #[test]
    fn charger_messages_round_trip(
        codec in any_codec(),
        version in any::<[u8; 3]>(),
        crm in (any::<bool>(), any::<u32>(), prop::option::of("[A-Z0-9]{3}")),
        cts in prop::option::of(any_time()),
        cml in (tenths(6553.5), tenths(6553.5), tenths(400.0), tenths(400.0)),
        ready in any::<bool>(),
        ccs in (tenths(6553.5), tenths(400.0), 0u16..=600, any::<bool>()),
        cst in any_cst(),
        csd in (0u16..=600, tenths(6553.5), any::<u32>()),
        cem in prop::collection::vec(any_signal(), 7),
    ) {
        charger_round_trip(ChargerMessage::Chm(Chm {
            version: ProtocolVersion(version),
        }), codec)?;
        let (recognized, charger_number, region) = crm;
        charger_round_trip(ChargerMessage::Crm(Crm {
            recognized,
            charger_number,
            region: region.map(|r| {
                let b = r.as_bytes();
                [b[0], b[1], b[2]]
            }),
        }), codec)?;
        charger_round_trip(ChargerMessage::Cts(Cts { time: cts }), codec)?;
        let (max_v, min_v, max_i, min_i) = cml;
        charger_round_trip(ChargerMessage::Cml(Cml {
            max_voltage: max_v,
            min_voltage: min_v,
            max_current: max_i,
            min_current: min_i,
        }), codec)?;
        charger_round_trip(ChargerMessage::Cro(Cro { ready }), codec)?;
        let (voltage, current, charging_minutes, permitted) = ccs;
        charger_round_trip(ChargerMessage::Ccs(Ccs {
            voltage,
            current,
            charging_minutes,
            permitted,
        }), codec)?;
        charger_round_trip(ChargerMessage::Cst(cst), codec)?;
        let (charging_minutes, energy_kwh, charger_number) = csd;
        charger_round_trip(ChargerMessage::Csd(Csd {
            charging_minutes,
            energy_kwh,
            charger_number,
        }), codec)?;
        charger_round_trip(ChargerMessage::Cem(Cem {
            brm: cem[0],
            bcp: cem[1],
            bro: cem[2],
            bcs: cem[3],
            bcl: cem[4],
            bst: cem[5],
            bsd: cem[6],
        }), codec)?;
    }

    /// The current codecs: every charging current on the 0.1 A grid within a codec's range
    /// survives, and out-of-range values clamp rather than wrap.
    #[test]
    fn current_codecs_round_trip(raw in 0u32..=8000, codec in any_codec(), wild in any::<f32>()) {
        let amps = raw as f32 / 10.0;
        if amps <= codec.max_charge_current() {
            prop_assert_eq!(codec.decode(codec.encode(amps)), amps);
        }
        let clamped = codec.decode(codec.encode(wild));
        prop_assert!(clamped <= codec.max_charge_current());
        prop_assert!(clamped >= codec.max_charge_current() - 6553.5);
        prop_assert!(clamped.is_finite());
    }
}

// ----- regressions the properties found ----------------------------------------------------------

/// Current through the output during the insulation test (only the cable is there, the supply
/// is held to 2 A): something is connected. The test must not pass; K1/K2 open with an alarm.
#[test]
fn a_loaded_output_fails_the_insulation_test() {
    let mut s = bring_to(2);
    let d = Disturbance {
        frames: Vec::new(),
        garbage: Some(PlantInputs {
            cable_voltage: 700.0,
            psu_voltage: 700.0,
            output_current: 300.0,
            vehicle_permission: false,
            insulation: InsulationVerdict::Ok { ohms: 1.0e6 },
        }),
        stall: 0,
        available: 300.0,
        stop: None,
    };
    s.step(&d).unwrap();
    assert!(!s.insulation_passed);
    assert!(!s.charger.outputs().contactors_closed);
    assert!(matches!(
        s.charger.stop_reason(),
        Some(StopReason::ImplausibleMeasurement(why)) if why.contains("300 A")
    ));
}

/// A reading that is not a number never becomes a setpoint, nor lets the connector unlock.
#[test]
fn a_broken_voltmeter_in_precharge_and_after_the_end() {
    let mut s = bring_to(7);
    let nan = Disturbance {
        frames: Vec::new(),
        garbage: Some(PlantInputs {
            cable_voltage: f32::NAN,
            psu_voltage: f32::NAN,
            output_current: 0.0,
            vehicle_permission: false,
            insulation: InsulationVerdict::Unknown,
        }),
        stall: 0,
        available: 300.0,
        stop: None,
    };
    s.step(&nan).unwrap();
    let out = s.charger.outputs();
    assert!(out.power.voltage.is_finite() && !out.contactors_closed);
    let stop = Disturbance {
        stop: Some(StopReason::EmergencyStop),
        ..nan.clone()
    };
    s.step(&stop).unwrap();
    for _ in 0..1000 {
        s.step(&nan).unwrap();
    }
    assert_eq!(s.charger.phase(), SessionPhase::Finished);
    assert!(s.charger.outputs().lock_connector);
}

// ----- the vehicle on the bus, well-formed but absurd -------------------------------------------

/// What a BMS may say, in well-formed messages: its parameters (BHM/BCP), its battery (BCP,
/// BCS) and its demand (BCL).
#[derive(Debug, Clone, Copy)]
struct BmsSays {
    battery_voltage: f32,
    soc: f32,
    demand_voltage: f32,
    demand_current: f32,
}

impl BmsSays {
    /// What `Sim` says by default: a battery at its OCV, 40 %, asking 200 A up to 690 V.
    const SANE: BmsSays = BmsSays {
        battery_voltage: Sim::OCV,
        soc: 40.0,
        demand_voltage: 690.0,
        demand_current: 200.0,
    };
}

fn any_bms_says() -> impl Strategy<Value = BmsSays> {
    let volts = prop::sample::select(vec![0.0f32, 150.0, 300.0, 620.0, 690.0, 1000.0, 2000.0]);
    (
        volts.clone(),
        prop::sample::select(vec![0.0f32, 40.0, 100.0, 150.0, 255.0]),
        volts,
        prop::sample::select(vec![0.0f32, 1.0, 100.0, 200.0, 400.0, 1000.0, 5000.0]),
    )
        .prop_map(
            |(battery_voltage, soc, demand_voltage, demand_current)| BmsSays {
                battery_voltage,
                soc,
                demand_voltage,
                demand_current,
            },
        )
}

fn any_bms_params() -> impl Strategy<Value = GbtVehicleParams> {
    (
        prop::sample::select(vec![0.0f32, 150.0, 199.0, 650.0, 700.0, 1000.0, 2000.0]),
        prop::sample::select(vec![0.0f32, 1.0, 100.0, 250.0, 400.0, 2000.0]),
        prop::sample::select(vec![0.0f32, 618.0, 2000.0]),
    )
        .prop_map(
            |(max_charge_voltage, max_current, rated_voltage)| GbtVehicleParams {
                max_charge_voltage,
                max_current,
                rated_voltage,
                ..GbtVehicleParams::default()
            },
        )
}

fn vehicle_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: vehicle_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// A BMS whose well-formed messages carry absurd values (0 V or 2,000 V batteries, demands
    /// above its own maximum, SOC above 100 %), changing them suddenly mid-session: every step
    /// keeps `Sim::check`'s invariants, the current never exceeds the BMS's maximum (BCP) or
    /// demand (BCL) nor the voltage its maximum, and a session that ends says why.
    #[test]
    fn vehicle_values_fuzz_gbt_absurd_messages_stay_safe(
        params in prop_oneof![1 => Just(GbtVehicleParams::default()), 2 => any_bms_params()],
        first in prop_oneof![1 => Just(BmsSays::SANE), 1 => any_bms_says()],
        then in any_bms_says(),
        change_after_ms in prop::sample::select(vec![0u64, 100, 1_000, 5_000, 20_000]),
    ) {
        let mut s = Sim::with_vehicle(params.clone());
        s.bms_decodes = false;
        let apply = |s: &mut Sim, says: BmsSays| {
            s.bms_battery = (says.battery_voltage, says.soc);
            s.demand = (says.demand_voltage, says.demand_current);
        };
        apply(&mut s, first);
        let calm = Disturbance {
            frames: Vec::new(),
            garbage: None,
            stall: 0,
            available: 300.0,
            stop: None,
        };
        let mut charging_since = None;
        let end = s.now + Duration::from_secs(60);
        while s.now < end && s.charger.phase() != SessionPhase::Finished {
            s.step(&calm)?;
            if s.energy_started && charging_since.is_none() {
                charging_since = Some(s.now);
            }
            if charging_since.is_some_and(|t| s.now.saturating_since(t) >= Duration::from_millis(change_after_ms)) {
                apply(&mut s, then);
            }
            let out = s.charger.outputs();
            let v = s.charger.vehicle().clone();
            if out.contactors_closed && s.vehicle.contactors_closed() && out.power.enabled {
                if let Some(max) = v.max_current {
                    prop_assert!(out.power.current <= max.max(0.0) + 1e-3,
                        "{}: {} A above the BMS's maximum {} A", s.now, out.power.current, max);
                }
                if let Some(demand) = v.requested_current {
                    prop_assert!(out.power.current <= demand.max(0.0) + 1e-3,
                        "{}: {} A above the demand {} A", s.now, out.power.current, demand);
                }
                if let (Some(max), Some(_)) = (v.max_voltage, v.target_voltage) {
                    prop_assert!(
                        out.power.voltage <= max.max(rating().min_voltage) + 1e-3,
                        "{}: {} V above the BMS's maximum {} V", s.now, out.power.voltage, max
                    );
                }
            }
            if let Some(soc) = v.soc_percent {
                prop_assert!((0.0..=100.0).contains(&soc), "SOC {}", soc);
            }
        }
        if s.charger.phase() == SessionPhase::Finished {
            prop_assert!(s.charger.stop_reason().is_some(), "finished without a reason");
        }
        let r = rating();
        if params.max_charge_voltage < r.min_voltage || !(r.min_voltage..=r.max_voltage).contains(&first.battery_voltage) {
            prop_assert!(!s.energy_started, "energy to a BMS that cannot be charged: {:?} {:?}", params.max_charge_voltage, first);
            // …and it is told why, not left to time out as a lost link.
            prop_assert!(
                matches!(s.charger.stop_reason(), Some(StopReason::Incompatible(_))),
                "{:?}", s.charger.stop_reason()
            );
        }
    }
}
