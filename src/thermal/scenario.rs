//! Controllers for the closed-loop thermal scenarios (`hal::sim::thermal_scenario`): chargerd's
//! controller and the static curve it is measured against, as the benchmark and the scenario
//! tests run them.

use charger_hal::sim::thermal_scenario::{hottest_measured_pin, ControlOutput, ControllerView};

use super::{static_curve_limit, ThermalController, ThermalInputs, ThermalSettings};

/// chargerd's controller with `settings`, in the loop.
pub fn controller(settings: ThermalSettings) -> impl FnMut(&ControllerView<'_>) -> ControlOutput {
    let mut controller = ThermalController::new(settings);
    move |v: &ControllerView<'_>| {
        let d = controller.step(
            &ThermalInputs {
                reading: Some(v.reading),
                output_current_a: v.output_current_a as f32,
                rated_current_a: v.rated_current_a as f32,
                energized: v.energized,
            },
            v.now,
        );
        ControlOutput {
            limit_a: d.limit_a.map(f64::from),
            cooling: d.cooling,
            stop: d.stop.is_some(),
        }
    }
}

/// The static curve of `settings` on the hottest valid measured pin, full cooling.
pub fn static_curve(settings: ThermalSettings) -> impl FnMut(&ControllerView<'_>) -> ControlOutput {
    move |v: &ControllerView<'_>| {
        let limit = hottest_measured_pin(v.reading).map_or(0.0, |t| {
            static_curve_limit(&settings, t as f32, v.rated_current_a as f32)
        });
        ControlOutput::limit(Some(f64::from(limit)))
    }
}
