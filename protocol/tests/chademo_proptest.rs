//! Arbitrary frames never panic a CHAdeMO decoder or state machine, whatever state it is in.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use charger_protocol::chademo::{
    ChademoCharger, ChademoChargerConfig, ChademoVehicle, ChademoVehicleParams, ChargerCapability,
    ChargerFrame, ChargerStatus, ProtocolNumber, VehicleChargingTime, VehicleControl,
    VehicleFaults, VehicleFrame, VehicleLimits, VehicleStatusFlags,
};
use charger_protocol::session::{ChargerRating, InsulationVerdict};
use charger_protocol::{CanFrame, ControlLines, DcSession, PlantInputs, SessionPhase, Timestamp};
use proptest::prelude::*;

/// Any classic CAN frame: 11- or 29-bit, data or remote, 0-8 bytes. Ids are biased toward the
/// CHAdeMO ones so that field decoding (not just the id check) is exercised.
fn any_frame() -> impl Strategy<Value = CanFrame> {
    let id = prop_oneof![
        3 => prop::sample::select(vec![0x100u32, 0x101, 0x102, 0x108, 0x109]),
        1 => 0u32..=0x7FF,
        1 => 0u32..=0x1FFF_FFFF,
    ];
    (
        id,
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..=8),
    )
        .prop_map(|(id, extended, remote, data)| {
            let extended = extended || id > 0x7FF;
            let frame = if remote {
                CanFrame::remote(id, extended, data.len() as u8)
            } else {
                CanFrame::new(id, extended, &data)
            };
            frame.expect("valid by construction")
        })
}

/// Plant measurements including absurd ones (NaN, infinities, negatives).
fn any_plant() -> impl Strategy<Value = PlantInputs> {
    let volts = prop_oneof![
        4 => -10.0f32..1300.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
    ];
    let amps = prop_oneof![4 => -10.0f32..400.0, 1 => Just(f32::NAN)];
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

fn charger() -> ChademoCharger {
    ChademoCharger::new(ChademoChargerConfig::new(ChargerRating {
        max_voltage: 1000.0,
        min_voltage: 150.0,
        max_current: 200.0,
        min_current: 0.0,
    }))
    .expect("valid config")
}

fn control(request: u8, charging_enabled: bool, contactors_open: bool) -> CanFrame {
    VehicleControl {
        protocol: ProtocolNumber::V1_0,
        target_voltage: 700,
        current_request: request,
        faults: VehicleFaults::default(),
        status: VehicleStatusFlags {
            charging_enabled,
            contactors_open,
            ..Default::default()
        },
        charged_rate: 40,
    }
    .encode()
    .expect("encodes")
}

/// A charger scripted (with well-formed frames and plausible plant readings) into Charging at
/// 150 A, so that arbitrary input can then hit the deep states.
fn charging_charger() -> (ChademoCharger, Timestamp) {
    let mut c = charger();
    let ms = Timestamp::from_millis;
    c.start(ms(0));
    let limits = VehicleLimits {
        max_battery_voltage: 780,
        charged_rate_reference: 100,
        ..Default::default()
    };
    let time = VehicleChargingTime {
        rated_capacity_0_1kwh: 3500,
        ..Default::default()
    };
    c.handle_frame(&limits.encode().expect("encodes"), ms(100));
    c.handle_frame(&time.encode().expect("encodes"), ms(100));
    c.handle_frame(&control(0, true, true), ms(100));
    let mut plant = PlantInputs {
        vehicle_permission: true,
        ..Default::default()
    };
    c.update(&plant, ms(100));
    plant.cable_voltage = 780.0;
    plant.psu_voltage = 780.0;
    plant.insulation = InsulationVerdict::Ok { ohms: 1e6 };
    c.handle_frame(&control(0, true, true), ms(200));
    c.update(&plant, ms(200));
    c.handle_frame(&control(0, true, true), ms(300));
    c.update(&plant, ms(300));
    plant.cable_voltage = 0.0;
    plant.psu_voltage = 0.0;
    c.handle_frame(&control(0, true, true), ms(400));
    c.update(&plant, ms(400));
    plant.cable_voltage = 650.0;
    c.handle_frame(&control(0, true, false), ms(500));
    c.update(&plant, ms(500));
    plant.psu_voltage = 650.0;
    c.handle_frame(&control(150, true, false), ms(600));
    c.update(&plant, ms(600));
    c.handle_frame(&control(150, true, false), ms(700));
    c.update(&plant, ms(700));
    assert_eq!(c.phase(), SessionPhase::Charging);
    assert_eq!(c.outputs().power.current, 150.0);
    (c, ms(700))
}

proptest! {
    #[test]
    fn decoders_never_panic(frame in any_frame()) {
        let _ = VehicleLimits::decode(&frame);
        let _ = VehicleChargingTime::decode(&frame);
        let _ = VehicleControl::decode(&frame);
        let _ = ChargerCapability::decode(&frame);
        let _ = ChargerStatus::decode(&frame);
        let _ = VehicleFrame::decode(&frame);
        let _ = ChargerFrame::decode(&frame);
    }

    #[test]
    fn decoded_frames_reencode_to_the_same_bytes_modulo_reserved_bits(frame in any_frame()) {
        // Whatever decodes must encode to a frame that decodes to the same value.
        if let Ok(v) = VehicleControl::decode(&frame) {
            prop_assert_eq!(VehicleControl::decode(&v.encode().unwrap()), Ok(v));
        }
        if let Ok(v) = ChargerStatus::decode(&frame) {
            prop_assert_eq!(ChargerStatus::decode(&v.encode().unwrap()), Ok(v));
        }
        if let Ok(v) = ChargerCapability::decode(&frame) {
            prop_assert_eq!(ChargerCapability::decode(&v.encode().unwrap()), Ok(v));
        }
        if let Ok(v) = VehicleLimits::decode(&frame) {
            prop_assert_eq!(VehicleLimits::decode(&v.encode().unwrap()), Ok(v));
        }
        if let Ok(v) = VehicleChargingTime::decode(&frame) {
            prop_assert_eq!(VehicleChargingTime::decode(&v.encode().unwrap()), Ok(v));
        }
    }

    /// Random frames and plant readings, interleaved with time, into a started charger: no
    /// panic, and the safety invariants that do not depend on a well-behaved vehicle hold.
    #[test]
    fn charger_survives_arbitrary_input(
        steps in prop::collection::vec(
            (prop::collection::vec(any_frame(), 0..3), any_plant(), 0u64..400, -50.0f32..400.0),
            1..30,
        ),
        stop_midway in any::<bool>(),
    ) {
        let mut c = charger();
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
                c.stop(charger_protocol::StopReason::Local, now);
            }
            while c.poll_transmit(now).is_some() {}
            while c.poll_event().is_some() {}
            let after = c.outputs();
            prop_assert!(after.power.current <= 200.0);
            prop_assert!(after.power.current >= 0.0);
            prop_assert!(after.power.voltage.is_finite());
            if before.contactors_closed && !after.contactors_closed {
                // Opening under load only after the documented hard deadline; at least the
                // measurement must not have been a plausible ≤ 5 A ignored.
                prop_assert!(plant.output_current <= 5.0 || !plant.output_current.is_finite()
                    || c.stop_reason().is_some());
            }
            if before.lock_connector && !after.lock_connector {
                prop_assert!(plant.cable_voltage <= 10.0);
            }
            let _ = c.poll_timeout();
            let _ = c.vehicle();
        }
    }

    /// The same, starting from Charging: stop triggers, ramp-down, welding detection and
    /// release all see garbage.
    #[test]
    fn charging_charger_survives_arbitrary_input(
        steps in prop::collection::vec(
            (prop::collection::vec(any_frame(), 0..3), any_plant(), 0u64..700, -50.0f32..400.0),
            1..40,
        ),
    ) {
        let (mut c, mut now) = charging_charger();
        for (frames, plant, dt, available) in steps {
            now = Timestamp::from_millis(now.as_millis() + dt);
            for f in &frames {
                c.handle_frame(f, now);
            }
            c.set_available_current(available, now);
            let before = c.outputs();
            c.update(&plant, now);
            while c.poll_transmit(now).is_some() {}
            while c.poll_event().is_some() {}
            let after = c.outputs();
            prop_assert!((0.0..=200.0).contains(&after.power.current));
            prop_assert!(after.power.current <= available.max(0.0) + 1e-3 || !after.contactors_closed);
            if before.lock_connector && !after.lock_connector {
                prop_assert!(plant.cable_voltage <= 10.0);
            }
            // Every deadline that has passed was acted on: nothing is left overdue.
            if let Some(t) = c.poll_timeout() {
                prop_assert!(t > now, "deadline {} overdue at {} in {:?}", t, now, c.phase());
            }
        }
    }

    #[test]
    fn vehicle_survives_arbitrary_input(
        steps in prop::collection::vec(
            (prop::collection::vec(any_frame(), 0..4), any::<bool>(), any::<bool>(), 0u64..400,
             -10.0f32..400.0),
            1..60,
        ),
    ) {
        let mut v = ChademoVehicle::new(ChademoVehicleParams::default());
        let mut now = Timestamp::ZERO;
        for (frames, d1, d2, dt, request) in steps {
            now = Timestamp::from_millis(now.as_millis() + dt);
            v.set_lines(ControlLines { sequence_1: d1, sequence_2: d2, aux_power: false });
            v.set_current_request(request);
            v.set_battery(f32::NAN, request);
            v.set_battery_current(request);
            for f in &frames {
                v.handle_frame(f, now);
            }
            v.update(now);
            while let Some(f) = v.poll_transmit(now) {
                // Whatever the vehicle sends, our own decoders accept.
                prop_assert!(VehicleFrame::decode(&f).is_ok(), "{:?}", f);
            }
            let _ = v.poll_timeout();
        }
    }
}
