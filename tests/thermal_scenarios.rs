//! Issue 13's thermal scenarios (`charger_hal::sim::thermal_scenario`) with chargerd's own
//! controllers in the loop, behind the sensor chain: the static curve (the baseline) never
//! lets the true pin temperature exceed the limit by more than the 0.5 K aim, and the loop
//! delivers more than it on a hot day, without exceeding what physics allows; and chargerd's
//! loop meets issue 13's aims in every scenario of the benchmark (`cargo bench --bench
//! thermal` prints the figures, and which of the loop's aims each scenario meets).

use charger_hal::sim::thermal_scenario::{run_optimum, run_scenario, Scenario};
use chargerd::thermal::{scenario, ThermalSettings};

/// The overshoot aim of issue 13, K.
const OVERSHOOT_AIM_K: f64 = 0.5;

#[test]
fn the_conventional_static_curve_never_exceeds_the_limit_and_the_loop_beats_it_on_a_hot_day() {
    let settings = ThermalSettings::default().conventional_static_curve();
    for s in Scenario::issue_13() {
        let mut curve = scenario::static_curve(settings.clone());
        let o = run_scenario(&s, &mut curve);
        assert!(o.overshoot_k <= OVERSHOOT_AIM_K, "{}: {o:?}", s.name);
        if s.name.starts_with("hot") {
            let chargerd = run_scenario(&s, &mut scenario::controller(ThermalSettings::default()));
            assert!(
                chargerd.energy_kwh > o.energy_kwh,
                "{chargerd:?} vs static {o:?}"
            );
            let best = run_optimum(&s);
            assert!(
                chargerd.energy_kwh <= best.energy_kwh + 1e-6,
                "{chargerd:?} {best:?}"
            );
        }
    }
}

/// The energy aim of issue 13: this share of the physical optimum, %.
const ENERGY_AIM_PCT: f64 = 99.0;

/// chargerd's controller, with its default settings, through every scenario of the benchmark
/// (`cargo bench --bench thermal`): the true pin never more than the 0.5 K aim above the
/// limit, anywhere, and energy ≥ 99 % of the optimum in every scenario: the hot day, the pump
/// losing half its flow (the measured flow feeds the pin model forward), the coolant inlet
/// step, the DC+ sensor failing open (the loop goes on with DC−'s rise times the learned ratio
/// of the pins' rises, + `single_pin_margin_k`), the cold start, and the pin sensors reading
/// 0.75 K low (class B's tolerance at 90 °C, with the default `sensor_tolerance_k` of 0: the
/// true pin ends 0.2 K above the limit, inside the aim — and only there may the energy exceed
/// the optimum, which is computed for the limit itself). On the hot day and with the sensor
/// failed strictly more than the static curve.
#[test]
fn chargerd_holds_every_benchmark_scenario_within_the_overshoot_aim_and_near_the_optimum() {
    let curve_settings = ThermalSettings::default().conventional_static_curve();
    let mut failures = Vec::new();
    for s in Scenario::issue_13() {
        let best = run_optimum(&s);
        let o = run_scenario(&s, &mut scenario::controller(ThermalSettings::default()));
        let mut curve = scenario::static_curve(curve_settings.clone());
        let baseline = run_scenario(&s, &mut curve);
        let pct = 100.0 * o.energy_kwh / best.energy_kwh;
        eprintln!(
            "{}: max pin {:.2} °C, overshoot {:.2} K, {:.1} kWh = {pct:.2} % of the optimum \
             (static curve {:.1} kWh)",
            s.name, o.max_pin_c, o.overshoot_k, o.energy_kwh, baseline.energy_kwh
        );
        if o.overshoot_k > OVERSHOOT_AIM_K {
            failures.push(format!("{}: overshoot {:.2} K", s.name, o.overshoot_k));
        }
        if o.stopped_after.is_some() {
            failures.push(format!("{}: stopped {:?}", s.name, o.stopped_after));
        }
        if o.overshoot_k == 0.0 && o.energy_kwh > best.energy_kwh + 1e-6 {
            failures.push(format!("{}: more than physics allows", s.name));
        }
        let sensor_failed = s.name.starts_with("DC+");
        if pct < ENERGY_AIM_PCT {
            failures.push(format!("{}: {pct:.2} % of the optimum", s.name));
        }
        if (sensor_failed || s.name.starts_with("hot")) && o.energy_kwh <= baseline.energy_kwh {
            failures.push(format!(
                "{}: {:.1} kWh, not more than the static curve's {:.1}",
                s.name, o.energy_kwh, baseline.energy_kwh
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
