//! The thermal controller in simulated time.

use charger_hal::CoolingReading;
use charger_protocol::Timestamp;

use super::*;

const RATED: f32 = 500.0;

fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A fresh, quiet reading: both pins at `pin`, coolant at 30/32 °C, flowing.
fn reading(pin: f32, at: Timestamp) -> CoolingReading {
    CoolingReading {
        pin_dc_plus_c: Some(pin),
        pin_dc_minus_c: Some(pin),
        coolant_inlet_c: Some(30.0),
        coolant_outlet_c: Some(32.0),
        flow_l_min: Some(10.0),
        pressure_bar: Some(1.5),
        level: Some(0.9),
        alarms: Vec::new(),
        electrical_power_w: None,
        stale: false,
        at,
    }
}

fn inputs(r: &CoolingReading, current: f32, energized: bool) -> ThermalInputs<'_> {
    ThermalInputs {
        reading: Some(r),
        output_current_a: current,
        rated_current_a: RATED,
        energized,
    }
}

/// Steps the controller every 100 ms from `from` to `to` with the reading `f(now)` (stamped
/// `now`); returns the last decision.
fn run(
    c: &mut ThermalController,
    from: u64,
    to: u64,
    current: f32,
    energized: bool,
    f: impl Fn(Timestamp) -> CoolingReading,
) -> ThermalDecision {
    let mut last = None;
    let mut ms = from;
    while ms <= to {
        let r = f(t(ms));
        last = Some(c.step(&inputs(&r, current, energized), t(ms)));
        ms += 100;
    }
    last.unwrap_or(ThermalDecision {
        limit_a: None,
        stop: None,
        stop_detail: String::new(),
        cooling: CoolingCommand::default(),
    })
}

/// A controller that has run 5 s energized at a cool, plausible 40 °C (flow confirmed).
fn warmed_up(settings: ThermalSettings) -> ThermalController {
    warmed_up_at(settings, 40.0)
}

/// The same with the pins at `pin` (a steady value: no rate-of-rise jump afterwards).
fn warmed_up_at(settings: ThermalSettings, pin: f32) -> ThermalController {
    let mut c = ThermalController::new(settings);
    let d = run(&mut c, 0, 5_000, 100.0, true, |now| reading(pin, now));
    assert_eq!(d.stop, None);
    c
}

/// A linear ramp from `from` (at `t0` ms) by `k_per_s`, held at `to`.
fn ramp(now: Timestamp, t0: u64, from: f32, k_per_s: f32, to: f32) -> f32 {
    let v = from + now.as_millis().saturating_sub(t0) as f32 / 1000.0 * k_per_s;
    if k_per_s >= 0.0 {
        v.min(to)
    } else {
        v.max(to)
    }
}

fn validity(c: &ThermalController, sensor: Sensor) -> Validity {
    c.status()
        .sensors
        .iter()
        .find(|s| s.sensor == sensor)
        .map(|s| s.validity)
        .unwrap_or(Validity::Missing)
}

#[test]
fn defaults_are_valid_and_the_static_curve_is_linear() {
    let s = ThermalSettings::default();
    s.validate().unwrap();
    assert!((s.target_c() - 89.5).abs() < 1e-4);
    assert_eq!(static_curve_limit(&s, 50.0, RATED), RATED);
    assert_eq!(static_curve_limit(&s, 90.0, RATED), RATED);
    assert!((static_curve_limit(&s, 92.5, RATED) - 250.0).abs() < 0.01);
    assert_eq!(static_curve_limit(&s, 95.0, RATED), 0.0);
    assert_eq!(static_curve_limit(&s, f32::NAN, RATED), 0.0);
    assert_eq!(static_curve_limit(&s, 50.0, f32::INFINITY), 0.0);
    let base = s.conventional_static_curve();
    assert_eq!(static_curve_limit(&base, 80.0, RATED), 250.0);
    assert_eq!(static_curve_limit(&base, 90.0, RATED), 0.0);
}

#[test]
fn settings_out_of_range_name_their_key() {
    let s = ThermalSettings {
        static_stop_c: 80.0,
        ..ThermalSettings::default()
    };
    assert_eq!(s.validate().unwrap_err().key, "static_stop_c");
    let s = ThermalSettings {
        ki_a_per_k_s: f32::NAN,
        ..ThermalSettings::default()
    };
    assert_eq!(s.validate().unwrap_err().key, "ki_a_per_k_s");
    let s = ThermalSettings {
        sensor_max_c: 90.0,
        ..ThermalSettings::default()
    };
    assert_eq!(s.validate().unwrap_err().key, "sensor_max_c");
}

#[test]
fn no_cooling_unit_means_no_thermal_limit() {
    let mut c = ThermalController::new(ThermalSettings::default());
    let d = c.step(
        &ThermalInputs {
            reading: None,
            output_current_a: 300.0,
            rated_current_a: RATED,
            energized: true,
        },
        t(0),
    );
    assert_eq!(d.limit_a, None);
    assert_eq!(d.stop, None);
    assert_eq!(c.status().state, ControllerState::NoData);
}

// ---- plausibility, each failure handled as configured ----

#[test]
fn an_open_pin_sensor_with_no_difference_seen_derates_to_the_safe_limit() {
    // DC+ open from the start: the single-pin fallback has no DC+/DC− difference to go by.
    let mut c = ThermalController::new(ThermalSettings::default());
    let d = run(&mut c, 0, 6_000, 100.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        ..reading(40.0, now)
    });
    assert_eq!(d.limit_a, Some(125.0));
    assert_eq!(d.stop, None);
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Missing);
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::Valid);
    assert_eq!(c.status().state, ControllerState::SafeLimit);
    assert_eq!(c.status().hottest_pin_c, Some(40.0));
}

#[test]
fn an_open_pin_sensor_keeps_the_loop_on_the_other_pin_by_the_ratio_of_their_rises_and_margin() {
    // DC+ ran 5 K hotter than DC− while both were valid, then fails open.
    let hotter_plus = |now| CoolingReading {
        pin_dc_plus_c: Some(85.0),
        ..reading(80.0, now)
    };
    let mut c = ThermalController::new(ThermalSettings::default());
    run(&mut c, 0, 10_000, 400.0, true, hotter_plus);
    let d = run(&mut c, 10_100, 11_000, 400.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        ..reading(80.0, now)
    });
    assert_eq!(d.stop, None);
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Missing);
    // DC+ rose 55 K above the 30 °C coolant where DC− rose 50 K: 80 °C on DC− is 85 °C on
    // DC+, + 0.5 (single_pin_margin_k): the loop regulates on 85.5 °C, not the 125 A safe
    // limit.
    let hottest = c.status().hottest_pin_c.unwrap();
    assert!((hottest - 85.5).abs() < 0.05, "{hottest}");
    assert_ne!(c.status().state, ControllerState::SafeLimit);
    assert!(d.limit_a.unwrap() > 125.0, "{d:?}");
    // The estimate reaching the target makes the loop cut, as a measured pin would.
    // DC− at 85 °C: 30 + 55 × 1.1 + 0.5 = 91 °C estimated, above the 89.5 °C target (the
    // static envelope still gives the full rating there).
    let d = run(&mut c, 11_100, 40_000, 400.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        ..reading(ramp(now, 11_100, 80.0, 1.0, 85.0), now)
    });
    assert_eq!(c.status().state, ControllerState::Regulating);
    assert!(d.limit_a.unwrap() < RATED - 30.0, "{d:?}");
    // DC− failing too: no valid pin, a stop whatever the fallback.
    let d = run(&mut c, 40_100, 41_000, 400.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        pin_dc_minus_c: None,
        ..reading(83.0, now)
    });
    assert_eq!(d.stop, Some(ThermalFault::ImplausibleSensor));
    // A colder failed pin adds nothing but the margin: DC− 3 K colder, then it fails.
    let mut c = ThermalController::new(ThermalSettings::default());
    run(&mut c, 0, 10_000, 400.0, true, |now| CoolingReading {
        pin_dc_minus_c: Some(77.0),
        ..reading(80.0, now)
    });
    run(&mut c, 10_100, 11_000, 400.0, true, |now| CoolingReading {
        pin_dc_minus_c: Some(f32::NAN),
        ..reading(80.0, now)
    });
    let hottest = c.status().hottest_pin_c.unwrap();
    assert!((hottest - 80.5).abs() < 0.05, "{hottest}");
}

#[test]
fn the_failed_pins_estimate_follows_the_current_by_the_ratio_of_the_rises() {
    // DC+ 55 K above the 30 °C coolant, DC− 50 K: ratio 1.1, learned over 10 s.
    let mut c = ThermalController::new(ThermalSettings::default());
    run(&mut c, 0, 10_000, 400.0, true, |now| CoolingReading {
        pin_dc_plus_c: Some(85.0),
        ..reading(80.0, now)
    });
    // DC+ fails and the current falls: DC− comes down to 55 °C (25 K of rise). DC+ is then
    // 30 + 25 × 1.1 = 57.5 °C, not 55 + the 5 K difference seen at the higher current.
    run(&mut c, 10_100, 30_000, 250.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        ..reading(ramp(now, 10_100, 80.0, -2.0, 55.0), now)
    });
    let hottest = c.status().hottest_pin_c.unwrap();
    assert!((hottest - 58.0).abs() < 0.05, "{hottest}");
    // Below 5 K of rise the ratio says too little: the last difference, as before it.
    run(&mut c, 30_100, 45_000, 50.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        ..reading(ramp(now, 30_100, 55.0, -2.0, 33.0), now)
    });
    let hottest = c.status().hottest_pin_c.unwrap();
    assert!((hottest - 38.5).abs() < 0.1, "{hottest}");
}

#[test]
fn an_implausible_sensor_stops_when_configured_to() {
    let mut c = warmed_up(ThermalSettings {
        implausible_action: ThermalAction::Stop,
        ..ThermalSettings::default()
    });
    let d = run(&mut c, 5_100, 6_000, 100.0, true, |now| CoolingReading {
        pin_dc_minus_c: Some(f32::NAN),
        ..reading(40.0, now)
    });
    assert_eq!(d.stop, Some(ThermalFault::ImplausibleSensor));
    assert_eq!(d.limit_a, Some(0.0));
    assert!(d.stop_detail.contains("pin DC-"), "{}", d.stop_detail);
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::NotFinite);
}

#[test]
fn no_valid_pin_stops_whatever_the_action() {
    let mut c = warmed_up(ThermalSettings::default());
    let d = run(&mut c, 5_100, 6_000, 100.0, true, |now| CoolingReading {
        pin_dc_plus_c: None,
        pin_dc_minus_c: Some(-3276.8), // the underrange (short) sentinel, scaled
        ..reading(40.0, now)
    });
    assert_eq!(d.stop, Some(ThermalFault::ImplausibleSensor));
    assert_eq!(d.limit_a, Some(0.0));
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::OutOfRange);
}

#[test]
fn polls_on_each_others_heels_one_step_apart_are_no_jump() {
    // A busy board delays a poll and the next comes 1 ms later, one 0.1 °C register step
    // up: 100 K/s as a quotient, but within the noise allowance.
    let mut c = warmed_up(ThermalSettings::default());
    let bunched = CoolingReading {
        pin_dc_plus_c: Some(40.1),
        pin_dc_minus_c: Some(40.1),
        ..reading(40.0, t(5_001))
    };
    let d = c.step(&inputs(&bunched, 100.0, true), t(5_001));
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Valid);
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::Valid);
    assert_eq!(d.limit_a, Some(RATED));
    // A broken wire's jump 1 ms later still is one.
    let broken = CoolingReading {
        pin_dc_plus_c: Some(48.0),
        ..reading(40.1, t(5_002))
    };
    c.step(&inputs(&broken, 100.0, true), t(5_002));
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::RateOfRise);
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::Valid);
}

#[test]
fn a_climb_in_steps_within_the_allowance_is_still_too_fast() {
    // 0.9 K every 50 ms (18 K/s): each step within the 1 K allowance of the last reading,
    // but over the second's baseline far beyond 10 K/s + 1 K.
    let mut c = warmed_up(ThermalSettings::default());
    let mut pin = 40.0;
    let mut ms = 5_050;
    while ms <= 6_200 {
        pin += 0.9;
        let r = CoolingReading {
            pin_dc_plus_c: Some(pin),
            ..reading(40.0, t(ms))
        };
        c.step(&inputs(&r, 100.0, true), t(ms));
        ms += 50;
    }
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::RateOfRise);
    // A real climb at 8 K/s in the same steps is believed.
    let mut c = warmed_up(ThermalSettings::default());
    let mut pin = 40.0;
    let mut ms = 5_100;
    while ms <= 7_000 {
        pin += 0.8;
        let r = CoolingReading {
            pin_dc_plus_c: Some(pin),
            pin_dc_minus_c: Some(pin),
            ..reading(40.0, t(ms))
        };
        c.step(&inputs(&r, 100.0, true), t(ms));
        ms += 100;
    }
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Valid);
}

#[test]
fn a_jump_is_implausible_for_the_hold_time() {
    let mut c = warmed_up(ThermalSettings::default());
    // 40 → 55 °C in 100 ms: 150 K/s.
    let d = run(&mut c, 5_100, 5_100, 100.0, true, |now| CoolingReading {
        pin_dc_plus_c: Some(55.0),
        ..reading(40.0, now)
    });
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::RateOfRise);
    // Not believed: the loop goes by DC− (40 °C: same rise as DC+ so far) + the 0.5 K
    // margin.
    assert_eq!(c.status().hottest_pin_c, Some(40.5));
    assert_eq!(d.limit_a, Some(RATED));
    // Still held 9 s later, although it stays put.
    run(&mut c, 5_200, 14_000, 100.0, true, |now| CoolingReading {
        pin_dc_plus_c: Some(55.0),
        ..reading(40.0, now)
    });
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::RateOfRise);
    // Believed again after the hold (and it is the hotter: the loop sees 55 °C).
    let d = run(&mut c, 14_100, 16_000, 100.0, true, |now| CoolingReading {
        pin_dc_plus_c: Some(55.0),
        ..reading(40.0, now)
    });
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Valid);
    assert_eq!(c.status().hottest_pin_c, Some(55.0));
    assert_eq!(d.limit_a, Some(RATED));
}

#[test]
fn disagreeing_pins_derate_and_the_hotter_one_counts() {
    let mut c = warmed_up(ThermalSettings::default());
    // Both drift apart slowly (no jump): DC+ to 65 °C, DC− stays at 40.
    let d = run(&mut c, 5_100, 10_000, 100.0, true, |now| {
        let plus = 40.0 + (now.as_millis() - 5_000) as f32 * 0.005;
        CoolingReading {
            pin_dc_plus_c: Some(plus),
            ..reading(40.0, now)
        }
    });
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Disagreement);
    assert_eq!(validity(&c, Sensor::PinDcMinus), Validity::Disagreement);
    assert!(c.status().hottest_pin_c.unwrap() > 64.0);
    assert_eq!(d.limit_a, Some(125.0));
}

#[test]
fn a_pin_colder_than_flowing_coolant_is_implausible() {
    let mut c = warmed_up(ThermalSettings::default());
    // The inlet climbs (plausibly, 4 K/s) to 46 °C; the pins stay at 40 °C.
    let d = run(&mut c, 5_100, 12_000, 100.0, true, |now| {
        let inlet = ramp(now, 5_000, 30.0, 4.0, 46.0);
        CoolingReading {
            coolant_inlet_c: Some(inlet),
            coolant_outlet_c: Some(inlet + 2.0),
            ..reading(40.0, now)
        }
    });
    assert_eq!(validity(&c, Sensor::CoolantInlet), Validity::Valid);
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::BelowCoolant);
    assert_eq!(d.limit_a, Some(0.0), "no valid pin left");
    assert_eq!(d.stop, Some(ThermalFault::ImplausibleSensor));
}

#[test]
fn stale_cooling_data_stops_within_the_deadline() {
    let mut c = warmed_up(ThermalSettings::default());
    // The last reading was taken at 5.0 s and is never refreshed.
    let frozen = reading(40.0, t(5_000));
    let d = c.step(&inputs(&frozen, 100.0, true), t(6_000));
    assert_eq!(d.stop, None, "exactly 1000 ms old is still fresh");
    let d = c.step(&inputs(&frozen, 100.0, true), t(6_100));
    assert_eq!(d.stop, Some(ThermalFault::StaleCoolingData));
    assert_eq!(d.limit_a, Some(0.0));
    // The device's own stale flag stops at once.
    let mut c = warmed_up(ThermalSettings::default());
    let flagged = CoolingReading {
        stale: true,
        ..reading(40.0, t(5_100))
    };
    let d = c.step(&inputs(&flagged, 100.0, true), t(5_100));
    assert_eq!(d.stop, Some(ThermalFault::StaleCoolingData));
    assert_eq!(validity(&c, Sensor::PinDcPlus), Validity::Stale);
}

#[test]
fn stale_before_any_fresh_reading_is_not_a_fault_while_idle() {
    let mut c = ThermalController::new(ThermalSettings::default());
    let never = CoolingReading {
        stale: true,
        ..CoolingReading::default()
    };
    let d = c.step(&inputs(&never, 0.0, false), t(10_000));
    assert_eq!(d.stop, None);
    assert_eq!(d.limit_a, Some(0.0));
    let d = c.step(&inputs(&never, 0.0, true), t(10_100));
    assert_eq!(d.stop, Some(ThermalFault::StaleCoolingData));
}

// ---- hard stop ----

#[test]
fn hard_stop_and_its_hysteresis_work_with_the_loop_disabled() {
    let settings = ThermalSettings {
        loop_enabled: false,
        // An envelope that would never cut: the hard stop alone must act.
        static_start_c: 150.0,
        static_stop_c: 160.0,
        sensor_max_c: 200.0,
        ..ThermalSettings::default()
    };
    settings.validate().unwrap();
    let mut c = warmed_up(settings);
    // Rise at 2 K/s (plausible) to 96 °C (at 33 s).
    let d = run(&mut c, 5_100, 33_000, 400.0, true, |now| {
        reading(ramp(now, 5_000, 40.0, 2.0, 96.0), now)
    });
    assert_eq!(d.stop, Some(ThermalFault::PinOverTemperature));
    assert_eq!(d.limit_a, Some(0.0));
    assert!(
        d.cooling.run && d.cooling.pump > 0.5,
        "cools after the trip"
    );
    assert_eq!(c.status().loop_limit_a, None);
    // Cooling down at 1 K/s: still stopped at 85.5 °C (restart below 85 °C) …
    let cooling = |now| reading(ramp(now, 33_000, 96.0, -1.0, 30.0), now);
    let d = run(&mut c, 33_100, 43_500, 0.0, false, cooling);
    assert_eq!(c.status().hottest_pin_c, Some(85.5));
    assert_eq!(d.stop, Some(ThermalFault::PinOverTemperature));
    // … released at 84 °C.
    let d = run(&mut c, 43_600, 45_000, 0.0, false, cooling);
    assert_eq!(d.stop, None);
    assert!(!c.status().hard_stop_latched);
}

#[test]
fn the_hard_stop_does_not_wait_for_plausibility() {
    let mut c = warmed_up(ThermalSettings::default());
    // A jump straight to 120 °C: implausible by its rate, but a hot pin all the same.
    let d = c.step(&inputs(&reading(120.0, t(5_100)), 400.0, true), t(5_100));
    assert_eq!(d.stop, Some(ThermalFault::PinOverTemperature));
    assert_eq!(d.limit_a, Some(0.0));
    // Beyond the sensor's range (an open circuit reading over range, or a pin hotter than
    // the sensor can tell) it stops too, rather than derating as an implausible sensor.
    for hot in [400.0, 1e30, f32::INFINITY] {
        let mut c = warmed_up(ThermalSettings::default());
        let d = c.step(
            &inputs(
                &CoolingReading {
                    pin_dc_minus_c: Some(hot),
                    ..reading(40.0, t(5_100))
                },
                400.0,
                true,
            ),
            t(5_100),
        );
        assert_eq!(d.stop, Some(ThermalFault::PinOverTemperature), "{hot}");
        assert!(!validity(&c, Sensor::PinDcMinus).usable());
    }
}

// ---- cooling ----

#[test]
fn the_pump_runs_before_current_may_flow() {
    let mut c = ThermalController::new(ThermalSettings::default());
    // Idle: cooling off.
    let d = run(&mut c, 0, 1_000, 0.0, false, |now| CoolingReading {
        flow_l_min: Some(0.0),
        ..reading(30.0, now)
    });
    assert!(!d.cooling.run);
    // A session wants current: the pump starts, no current until flow is seen.
    let d = run(&mut c, 1_100, 2_000, 0.0, true, |now| CoolingReading {
        flow_l_min: Some(0.5),
        ..reading(30.0, now)
    });
    assert!(d.cooling.run && d.cooling.pump >= 0.3);
    assert_eq!(d.limit_a, Some(0.0));
    assert_eq!(c.status().state, ControllerState::PreRun);
    let d = run(&mut c, 2_100, 2_100, 0.0, true, |now| reading(30.0, now));
    assert_eq!(d.limit_a, Some(RATED));
    // Without a flow sensor the pre-run time stands in for it.
    let mut c = ThermalController::new(ThermalSettings::default());
    let no_flow_sensor = |now| CoolingReading {
        flow_l_min: None,
        ..reading(30.0, now)
    };
    let d = run(&mut c, 0, 2_900, 0.0, true, no_flow_sensor);
    assert_eq!(d.limit_a, Some(0.0));
    let d = run(&mut c, 3_000, 3_000, 0.0, true, no_flow_sensor);
    assert_eq!(d.limit_a, Some(RATED));
}

#[test]
fn no_flow_after_the_prerun_is_a_cooling_alarm() {
    let mut c = ThermalController::new(ThermalSettings::default());
    let d = run(&mut c, 0, 3_000, 0.0, true, |now| CoolingReading {
        flow_l_min: Some(-3.0), // hostile: negative flow counts as none
        ..reading(30.0, now)
    });
    assert_eq!(d.stop, Some(ThermalFault::CoolingAlarm));
    assert!(d.stop_detail.contains("no coolant flow"));
}

#[test]
fn the_pump_runs_on_after_current_until_the_pins_settle() {
    let mut c = warmed_up_at(ThermalSettings::default(), 60.0);
    // Session over at 5 s; pins still 30 K above the coolant.
    let d = run(&mut c, 5_100, 100_000, 0.0, false, |now| reading(60.0, now));
    assert!(d.cooling.run, "pins not settled");
    assert_eq!(c.status().state, ControllerState::PostRun);
    // Settled (within 5 K of the inlet) and past the minimum post-run: off.
    let d = run(&mut c, 100_100, 130_000, 0.0, false, |now| {
        reading(ramp(now, 100_000, 60.0, -1.0, 33.0), now)
    });
    assert!(!d.cooling.run);
    // Never settling: off after the longest post-run.
    let mut c = warmed_up_at(ThermalSettings::default(), 60.0);
    let d = run(&mut c, 5_100, 604_900, 0.0, false, |now| reading(60.0, now));
    assert!(d.cooling.run);
    let d = run(&mut c, 605_000, 605_200, 0.0, false, |now| {
        reading(60.0, now)
    });
    assert!(!d.cooling.run);
}

#[test]
fn pump_and_fan_follow_load_and_coolant_temperature() {
    let mut c = warmed_up(ThermalSettings::default());
    let light = run(&mut c, 5_100, 5_200, 50.0, true, |now| reading(40.0, now)).cooling;
    let heavy = run(&mut c, 5_300, 5_400, 500.0, true, |now| reading(40.0, now)).cooling;
    assert!(heavy.pump > light.pump && heavy.fan > light.fan);
    // The same light load with the coolant 10 K above its 35 °C target.
    let warm_coolant = |now| CoolingReading {
        coolant_inlet_c: Some(45.0),
        coolant_outlet_c: Some(47.0),
        ..reading(50.0, now)
    };
    let mut w = ThermalController::new(ThermalSettings::default());
    let warm = run(&mut w, 0, 5_000, 50.0, true, warm_coolant).cooling;
    assert_eq!(
        w.status()
            .sensors
            .iter()
            .filter(|s| s.validity == Validity::Valid)
            .count(),
        4
    );
    assert!(
        warm.fan > light.fan + 0.5 && warm.pump > light.pump + 0.5,
        "{warm:?} vs {light:?}"
    );
    // No valid coolant temperature: full speed.
    let blind = run(&mut w, 5_100, 5_200, 50.0, true, |now| CoolingReading {
        coolant_inlet_c: None,
        coolant_outlet_c: Some(f32::NAN),
        ..warm_coolant(now)
    })
    .cooling;
    assert_eq!((blind.pump, blind.fan), (1.0, 1.0));
}

#[test]
fn cooling_alarms_derate_or_stop_as_configured() {
    let with_alarm = |name: &str| {
        let name = name.to_string();
        move |now| CoolingReading {
            alarms: vec![name.clone()],
            ..reading(40.0, now)
        }
    };
    let mut c = warmed_up(ThermalSettings::default());
    let d = run(&mut c, 5_100, 5_500, 100.0, true, with_alarm("low_flow"));
    assert_eq!(d.limit_a, Some(125.0));
    assert_eq!(d.stop, None);
    let mut c = warmed_up(ThermalSettings::default());
    let d = run(
        &mut c,
        5_100,
        5_500,
        100.0,
        true,
        with_alarm("leak_suspected"),
    );
    assert_eq!(d.stop, Some(ThermalFault::CoolingAlarm));
    assert!(
        !d.cooling.run && d.cooling.pump == 0.0,
        "no pumping into a leak"
    );
    let mut c = warmed_up(ThermalSettings::default());
    let d = run(&mut c, 5_100, 5_500, 100.0, true, with_alarm("fan_fault"));
    assert_eq!(d.limit_a, Some(125.0));
    assert!(d.cooling.run);
    // A name the settings do not know: the configured default (derate).
    let mut c = warmed_up(ThermalSettings::default());
    let d = run(&mut c, 5_100, 5_500, 100.0, true, with_alarm("dry_run"));
    assert_eq!(d.limit_a, Some(125.0));
    let mut c = warmed_up(ThermalSettings {
        unknown_alarm_action: ThermalAction::Stop,
        ..ThermalSettings::default()
    });
    let d = run(&mut c, 5_100, 5_500, 100.0, true, with_alarm("dry_run"));
    assert_eq!(d.stop, Some(ThermalFault::CoolingAlarm));
    assert!(d.cooling.run, "not a pump-off alarm");
}

// ---- the loop ----

#[test]
fn anti_windup_at_the_rating_the_limit_falls_before_the_pin_reaches_the_target() {
    let mut c = warmed_up(ThermalSettings::default());
    // Ten minutes cold at full current: the integral must not wind up above the rating.
    run(&mut c, 5_100, 605_000, 500.0, true, |now| {
        reading(40.0, now)
    });
    assert_eq!(c.status().loop_limit_a, Some(RATED));
    // The pin climbs at 2 K/s to 1 K above the target. A wound-up integral would hold the
    // limit at the rating long after; this one cuts before the reading reaches the target
    // (the slope's look-ahead), and keeps cutting while it is above.
    let base = 605_000u64;
    let mut first_cut = None;
    let mut at_target = None;
    let mut ms = base + 100;
    while ms <= base + 40_000 {
        let pin = ramp(t(ms), base, 40.0, 2.0, 90.3);
        let d = c.step(&inputs(&reading(pin, t(ms)), 500.0, true), t(ms));
        if first_cut.is_none() && d.limit_a.unwrap() < RATED {
            first_cut = Some(ms);
        }
        if at_target.is_none() && pin >= 89.5 {
            at_target = Some(ms);
        }
        ms += 100;
    }
    let (cut, target) = (first_cut.unwrap(), at_target.unwrap());
    assert!(
        cut + 2_000 < target,
        "cut at {cut} ms, target reached at {target} ms"
    );
    let limit = c.status().limit_a.unwrap();
    assert!(limit < RATED - 30.0, "limit {limit}");
}

#[test]
fn anti_windup_while_the_truck_slews_down_the_integral_is_frozen() {
    // Fixed gains (no scheduling, no model) to make the arithmetic plain.
    let settings = ThermalSettings {
        reference_gain_k_per_a: 0.0,
        model_enabled: false,
        ..ThermalSettings::default()
    };
    let mut frozen = ThermalController::new(settings.clone());
    let mut free = ThermalController::new(ThermalSettings {
        slew_tolerance_a: 500.0, // never counts as slewing
        ..settings
    });
    // Pins held 2 K above the target; the measured current stays at 500 A (the truck still
    // slewing down): only the proportional part acts for `frozen`.
    let hot = |now| reading(91.5, now);
    run(&mut frozen, 0, 20_000, 500.0, true, hot);
    run(&mut free, 0, 20_000, 500.0, true, hot);
    // The loop's own limit (the static curve, at 91.5 °C, is lower still: 350 A).
    let a = frozen.status().loop_limit_a.unwrap();
    let b = free.status().loop_limit_a.unwrap();
    // P alone: 500 − 30·2 = 440 A; integrating −2 K·1.5 A/(K·s) for 20 s more: 380 A.
    assert!((a - 440.0).abs() < 1.0, "frozen at {a}");
    assert!((b - 380.0).abs() < 5.0, "free-running integral at {b}");
}

/// A pin with I²R(T) heating into coolant through R_th, a Pt1000 with a first-order lag, a
/// 0.1 K quantised 10 Hz poll, and a truck that asks `demand` and follows the limit at `slew`.
struct Plant {
    pin: f32,
    sensor: f32,
    current: f32,
}

fn simulate(settings: ThermalSettings, coolant: f32, demand: f32, secs: u64) -> (f32, f64, f32) {
    simulate_with(settings, |_| coolant, demand, secs)
}

/// [`simulate`] with the coolant temperature a function of the time in seconds.
fn simulate_with(
    settings: ThermalSettings,
    coolant_at: impl Fn(f32) -> f32,
    demand: f32,
    secs: u64,
) -> (f32, f64, f32) {
    const C: f32 = 20.0; // J/K
    const R_TH: f32 = 1.5; // K/W
    const R0: f32 = 100e-6; // Ω at 20 °C
    const LAG: f32 = 3.0; // s
    const SLEW: f32 = 100.0; // A/s
    let coolant0 = coolant_at(0.0);
    let mut p = Plant {
        pin: coolant0,
        sensor: coolant0,
        current: 0.0,
    };
    let mut c = ThermalController::new(settings);
    let dt = 0.01f32;
    let mut max_pin = f32::MIN;
    let mut charge_as = 0.0f64;
    let mut limit = 0.0f32;
    let mut noise = 0x2545_f491_4f6c_dd1du64;
    for k in 0..(secs * 100) {
        let ms = k * 10;
        let coolant = coolant_at(ms as f32 / 1000.0);
        if ms % 100 == 0 {
            // ±0.15 K of deterministic noise, then 0.1 K quantisation.
            noise = noise
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let n = ((noise >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.3;
            let measured = ((p.sensor + n) * 10.0).round() / 10.0;
            let r = CoolingReading {
                pin_dc_plus_c: Some(measured),
                pin_dc_minus_c: Some(measured - 0.5),
                coolant_inlet_c: Some(coolant),
                coolant_outlet_c: Some(coolant + 2.0),
                flow_l_min: Some(10.0),
                at: t(ms),
                ..CoolingReading::default()
            };
            let d = c.step(&inputs(&r, p.current, true), t(ms));
            assert_eq!(d.stop, None, "at {ms} ms: {}", d.stop_detail);
            limit = d.limit_a.unwrap_or(RATED);
        }
        let want = demand.min(limit).min(RATED);
        p.current = if want > p.current {
            (p.current + SLEW * dt).min(want)
        } else {
            (p.current - SLEW * dt).max(want)
        };
        let r = R0 * (1.0 + 0.00393 * (p.pin - 20.0));
        let heat = p.current * p.current * r - (p.pin - coolant) / R_TH;
        p.pin += heat / C * dt;
        p.sensor += (p.pin - p.sensor) / LAG * dt;
        max_pin = max_pin.max(p.pin);
        charge_as += f64::from(p.current * dt);
    }
    (max_pin, charge_as, p.current)
}

#[test]
fn the_loop_holds_the_true_pin_below_its_limit_and_beats_the_static_curve() {
    // Hot day: coolant at 50 °C, the truck asks 600 A of a 500 A connector. At 500 A the pin
    // would settle near 100 °C.
    let settings = ThermalSettings::default();
    let (max_pin, charge, end_current) = simulate(settings.clone(), 50.0, 600.0, 1_800);
    assert!(
        max_pin <= settings.pin_limit_c + 0.5,
        "max true pin {max_pin}"
    );
    // The steady current that holds the pin at 89.5 °C: I²·R(89.5)·R_th = 39.5 K.
    let held = (39.5f32 / (100e-6 * (1.0 + 0.00393 * 69.5) * 1.5)).sqrt();
    assert!(
        (end_current - held).abs() < 0.03 * held,
        "{end_current} vs {held}"
    );
    let baseline = ThermalSettings {
        loop_enabled: false,
        ..settings.conventional_static_curve()
    };
    let (base_max, base_charge, _) = simulate(baseline, 50.0, 600.0, 1_800);
    assert!(base_max <= 90.5);
    assert!(
        charge > base_charge * 1.05,
        "loop {charge} vs static {base_charge}"
    );
}

mod absurd {
    use proptest::prelude::*;

    use super::*;

    fn value() -> impl Strategy<Value = Option<f32>> {
        prop_oneof![
            Just(None),
            Just(Some(f32::NAN)),
            Just(Some(f32::INFINITY)),
            Just(Some(f32::NEG_INFINITY)),
            Just(Some(1e30)),
            Just(Some(-1e30)),
            Just(Some(-0.0)),
            (-100.0f32..300.0).prop_map(Some),
            any::<f32>().prop_map(Some),
        ]
    }

    proptest! {
        #[test]
        fn absurd_readings_never_panic_never_exceed_the_rating_and_nan_is_never_valid(
            steps in proptest::collection::vec(
                (value(), value(), value(), value(), value(), any::<bool>(), any::<bool>(),
                 prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(-1e30f32), -100.0f32..1000.0],
                 0u64..3_000, proptest::option::of("[a-z_]{1,12}")),
                1..60),
            rated in prop_oneof![Just(500.0f32), Just(f32::NAN), Just(-5.0f32), 0.0f32..3000.0],
        ) {
            let mut c = ThermalController::new(ThermalSettings::default());
            let mut now = 0u64;
            for (plus, minus, inlet, outlet, flow, stale, energized, current, dt, alarm) in steps {
                now += dt;
                let r = CoolingReading {
                    pin_dc_plus_c: plus,
                    pin_dc_minus_c: minus,
                    coolant_inlet_c: inlet,
                    coolant_outlet_c: outlet,
                    flow_l_min: flow,
                    alarms: alarm.into_iter().collect(),
                    stale,
                    at: t(now.saturating_sub(dt / 2)),
                    ..CoolingReading::default()
                };
                let d = c.step(&ThermalInputs {
                    reading: Some(&r),
                    output_current_a: current,
                    rated_current_a: rated,
                    energized,
                }, t(now));
                let ceiling = if rated.is_finite() { rated.max(0.0) } else { 0.0 };
                let limit = d.limit_a.unwrap_or(f32::NAN);
                prop_assert!(limit.is_finite() && (0.0..=ceiling).contains(&limit), "limit {limit}");
                prop_assert!((0.0..=1.0).contains(&d.cooling.pump) && (0.0..=1.0).contains(&d.cooling.fan));
                let st = c.status();
                if let Some(h) = st.hottest_pin_c {
                    prop_assert!(h.is_finite());
                }
                for s in &st.sensors {
                    let raw = s.sensor.raw(&r);
                    if raw.is_none_or(|v| !v.is_finite() || v.abs() > 1e3) {
                        prop_assert!(!s.validity.usable(),
                            "{:?} {:?} counted as {:?}", s.sensor, raw, s.validity);
                    }
                }
            }
        }
    }
}

// ---- the [thermal] section ----

const STATION: &str = r#"
[station]
name = "t"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[[connectors]]
id = 1
protocol = "chademo"
max_voltage = 1000
max_current = 250
max_power_kw = 200
can = { backend = "simulated" }
"#;

/// The commented `[thermal]` example of configs/sim.toml parses once uncommented, and says
/// what the defaults are.
#[test]
fn the_shipped_thermal_example_is_the_defaults() {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sim.toml")).unwrap();
    let example: Vec<&str> = shipped
        .lines()
        .skip_while(|l| *l != "# [thermal]")
        .take_while(|l| !l.is_empty())
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    assert!(
        example.len() > 5,
        "configs/sim.toml lost its [thermal] example"
    );
    let text = format!("{STATION}\n{}\n", example.join("\n"));
    let cfg = crate::config::Config::from_toml_str(&text, "sim.toml").unwrap();
    assert_eq!(cfg.thermal, ThermalSettings::default());
}

/// The README's `[thermal]` block lists every key with its default, and parses.
#[test]
fn the_readme_thermal_block_is_the_defaults() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Thermal derating").unwrap()..];
    let block: String = section
        .lines()
        .skip_while(|l| *l != "```toml")
        .skip(1)
        .take_while(|l| *l != "```")
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!("{STATION}\n{block}\n");
    let cfg = crate::config::Config::from_toml_str(&text, "README.md").unwrap();
    assert_eq!(cfg.thermal, ThermalSettings::default());
    // Every key of the section is in the block.
    let keys = serde_json::to_value(ThermalSettings::default()).unwrap();
    for key in keys.as_object().unwrap().keys() {
        assert!(
            block.contains(key.as_str()),
            "README [thermal] misses {key}"
        );
    }
}

#[test]
fn the_thermal_section_defaults_merges_alarms_and_names_file_and_key() {
    let cfg = crate::config::Config::from_toml_str(STATION, "a.toml").unwrap();
    assert_eq!(cfg.thermal, ThermalSettings::default());
    let text = format!(
        "{STATION}\n[thermal]\nhard_stop_c = 100.0\n[thermal.alarm_actions]\nlow_flow = \"stop\"\ndry_run = \"stop\"\n"
    );
    let cfg = crate::config::Config::from_toml_str(&text, "a.toml").unwrap();
    assert_eq!(cfg.thermal.hard_stop_c, 100.0);
    let actions = &cfg.thermal.alarm_actions;
    assert_eq!(actions.get("low_flow"), Some(&ThermalAction::Stop));
    assert_eq!(actions.get("dry_run"), Some(&ThermalAction::Stop));
    // The defaults not named stay.
    assert_eq!(actions.get("leak_suspected"), Some(&ThermalAction::Stop));
    assert_eq!(actions.get("fan_fault"), Some(&ThermalAction::Derate));
    let text = format!("{STATION}\n[thermal]\nhard_stop_c = 80.0\n");
    let err = crate::config::Config::from_toml_str(&text, "a.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a.toml") && err.contains("thermal.hard_stop_c"),
        "{err}"
    );
    let text = format!("{STATION}\n[thermal]\nhard_stop = 80.0\n");
    let err = crate::config::Config::from_toml_str(&text, "a.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("thermal"), "{err}");
    let text = format!("{STATION}\n[thermal]\nimplausible_action = \"explode\"\n");
    assert!(crate::config::Config::from_toml_str(&text, "a.toml").is_err());
}

/// The most charge any controller could deliver in the same plant: full current (at the
/// truck's slew) until the true pin reaches `limit`, then the current that holds it there.
fn optimum(coolant: f32, demand: f32, secs: u64, limit: f32) -> f64 {
    let (c, r_th, r0, slew) = (20.0f32, 1.5f32, 100e-6f32, 100.0f32);
    let hold = ((limit - coolant) / (r0 * (1.0 + 0.00393 * (limit - 20.0)) * r_th)).sqrt();
    let (mut pin, mut current, mut charge) = (coolant, 0.0f32, 0.0f64);
    let dt = 0.01f32;
    for _ in 0..(secs * 100) {
        let want = if pin < limit {
            demand.min(RATED)
        } else {
            hold.min(demand).min(RATED)
        };
        current = if want > current {
            (current + slew * dt).min(want)
        } else {
            want
        };
        let r = r0 * (1.0 + 0.00393 * (pin - 20.0));
        pin += (current * current * r - (pin - coolant) / r_th) / c * dt;
        charge += f64::from(current * dt);
    }
    charge
}

/// The figures of the README: the hot-day scenario (coolant at 50 °C, a truck asking 600 A
/// of a 500 A connector, 30 minutes) and a +10 K coolant step, with a 3 s Pt1000 lag, ±0.15 K
/// noise, 0.1 K quantisation, a 10 Hz poll and a truck slewing 100 A/s; the optimum holds the
/// true pin exactly at the limit; the baseline is the conventional static curve (70→90 °C).
#[test]
fn hot_day_figures_meet_the_aims() {
    let s = ThermalSettings::default();
    let opt = optimum(50.0, 600.0, 1_800, s.pin_limit_c);
    let (max_pin, charge, _) = simulate(s.clone(), 50.0, 600.0, 1_800);
    let baseline = ThermalSettings {
        loop_enabled: false,
        ..s.conventional_static_curve()
    };
    let (base_max, base_charge, _) = simulate(baseline, 50.0, 600.0, 1_800);
    let (step_max, step_charge, _) = simulate_with(
        s.clone(),
        |t| if t < 900.0 { 40.0 } else { 50.0 },
        600.0,
        1_800,
    );
    eprintln!(
        "hot day: max true pin {max_pin:.2} °C, {:.1} % of optimum ({:.0} Ah), static curve {:.1} % (max {base_max:.2} °C); coolant step: max {step_max:.2} °C, {:.0} Ah",
        100.0 * charge / opt,
        opt / 3600.0,
        100.0 * base_charge / opt,
        step_charge / 3600.0,
    );
    assert!(max_pin <= s.pin_limit_c + 0.5, "overshoot: {max_pin}");
    assert!(
        step_max <= s.pin_limit_c + 0.5,
        "overshoot after the step: {step_max}"
    );
    assert!(charge >= 0.99 * opt, "{:.4} of optimum", charge / opt);
    assert!(charge > base_charge);
}

#[test]
fn a_flow_drop_lowers_the_loop_limit_at_the_next_poll() {
    // Pins rising to the target at 400 A with the nominal 30 l/min, then held there; then
    // the pump delivers half its flow. Flow feed-forward (the default) against none.
    let hold_then_halve = |settings: ThermalSettings| {
        let mut c = ThermalController::new(settings);
        let pins = |now: Timestamp| ramp(now, 0, 80.0, 0.5, 89.5);
        let at_flow = |flow: f32| {
            move |now: Timestamp| CoolingReading {
                flow_l_min: Some(flow),
                ..reading(pins(now), now)
            }
        };
        run(&mut c, 0, 60_000, 400.0, true, at_flow(30.0));
        let before = c.status().loop_limit_a.unwrap();
        run(&mut c, 60_100, 60_100, 400.0, true, at_flow(15.0));
        let after = c.status().loop_limit_a.unwrap();
        (before, after)
    };
    let (before, after) = hold_then_halve(ThermalSettings::default());
    assert!(before < RATED, "regulating before the drop: {before}");
    // g(15 l/min) = 0.375 + 0.625·0.5^0.8 = 0.734: the holding current goes with √g.
    let expected = before * (0.375f32 + 0.625 * 0.5f32.powf(0.8)).sqrt();
    assert!(
        (after - expected).abs() < 3.0,
        "{before} → {after}, not {expected}"
    );
    let (before, after) = hold_then_halve(ThermalSettings {
        nominal_flow_l_min: 0.0,
        ..ThermalSettings::default()
    });
    assert!(
        (after - before).abs() < 3.0,
        "{before} → {after} without feed-forward"
    );
    assert_eq!(relative_conductance(&ThermalSettings::default(), None), 1.0);
    assert_eq!(
        relative_conductance(&ThermalSettings::default(), Some(f32::NAN)),
        1.0
    );
}

#[test]
fn the_cooling_draw_is_the_units_measurement_when_fresh_else_the_speed_cubed_estimate() {
    let s = ThermalSettings::default();
    let cmd = CoolingCommand {
        run: true,
        pump: 0.8,
        fan: 0.5,
    };
    let estimate = 15.0 + 250.0 * 0.512 + 300.0 * 0.125;
    let mut r = reading(40.0, t(1_000));
    assert_eq!(cooling_draw_w(&s, &r, cmd, false), (estimate, false));
    r.electrical_power_w = Some(1_234.0);
    assert_eq!(cooling_draw_w(&s, &r, cmd, false), (1_234.0, true));
    // A stale or absurd measurement is no measurement.
    assert_eq!(cooling_draw_w(&s, &r, cmd, true), (estimate, false));
    for bad in [f32::NAN, -5.0, 1e9, f32::INFINITY] {
        r.electrical_power_w = Some(bad);
        assert_eq!(
            cooling_draw_w(&s, &r, cmd, false),
            (estimate, false),
            "{bad}"
        );
    }
    // Stopped: the electronics only.
    let off = CoolingCommand::default();
    assert_eq!(cooling_draw_w(&s, &r, off, false), (15.0, false));
}

#[test]
fn the_cooling_units_energy_is_its_draw_integrated_over_the_steps() {
    let mut c = ThermalController::new(ThermalSettings::default());
    // One hour at 10 Hz, the unit measuring 600 W throughout.
    let mut energy_at_1s = 0.0;
    for ms in (0..=3_601_000).step_by(100) {
        let mut r = reading(40.0, t(ms));
        r.electrical_power_w = Some(600.0);
        c.step(&inputs(&r, 100.0, true), t(ms));
        if ms == 1_000 {
            energy_at_1s = c.status().cooling_energy_wh;
        }
    }
    let drawn = c.status().cooling_energy_wh - energy_at_1s;
    assert!(
        (drawn - 600.0).abs() < 0.01,
        "{drawn} Wh in one hour at 600 W"
    );
    // A gap counts at most a minute at the last rate.
    let before = c.status().cooling_energy_wh;
    let mut r = reading(40.0, t(7_200_000));
    r.electrical_power_w = Some(600.0);
    c.step(&inputs(&r, 100.0, true), t(7_200_000));
    let gap = c.status().cooling_energy_wh - before;
    assert!((gap - 10.0).abs() < 0.01, "{gap} Wh for a gap");
}
