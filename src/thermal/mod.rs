//! Thermal derating and cooling control for a liquid-cooled connector (issue 13, points 2–3).
//!
//! Pure and time-injected: [`ThermalController::step`] takes the cooling unit's latest reading,
//! the connector's current and the time, and returns the "thermal" current limit, whether the
//! session must stop, and the cooling unit's command. One controller per connector (the pins
//! are the connector's).
//!
//! Layers, from the last line of defence up:
//! 1. **Hard stop** ([`hard_stop_reading`]): its own check on every reading, before and
//!    independent of the plausibility checks, the loop and its tuning: any pin at or above
//!    `hard_stop_c` stops the session; restart only once every pin is `restart_hysteresis_k`
//!    below it. Stale cooling data (`stale_after_ms`) stops too: a stale value is not a value.
//! 2. **Plausibility** ([`plausibility`]): an implausible sensor leads to `safe_limit_a` or a
//!    stop, as configured; no valid pin left always stops. One pin sensor failed with the
//!    other valid: the loop goes on with the failed pin's estimate (the valid pin's rise
//!    above the coolant × the learned ratio of their rises, else + their last difference) +
//!    `single_pin_margin_k` (no difference seen yet: `safe_limit_a`).
//! 3. **Static curve** ([`static_curve_limit`]): the safety envelope, limit = min(loop, curve).
//! 4. **Closed loop**: PI with anti-windup on the hottest valid pin, extrapolated by its slope
//!    over `lookahead_s` (the sensor lag), holding it at `pin_limit_c − target_margin_k`;
//!    an on-line pin model (corrected for the measured coolant flow, fed forward) gives the
//!    current that holds the target.
//! 5. **Cooling**: pump and fan from load (feed-forward) and coolant/pin temperature
//!    (feedback); the pump runs before current flows (limit 0 until flow is seen) and after it
//!    ends until the pins settle. Cooling-unit alarms derate or stop as configured.

pub mod plausibility;
pub mod scenario;
pub mod settings;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use charger_hal::{CoolingCommand, CoolingReading};
use charger_protocol::Timestamp;
use serde::{Deserialize, Serialize};

pub use plausibility::{Sensor, SensorStatus, Validity};
pub use settings::{default_alarm_actions, SettingsError, ThermalAction, ThermalSettings};

use plausibility::{is_stale, range_check, SensorTracker};

/// What the controller is given each step.
#[derive(Debug, Clone, Copy)]
pub struct ThermalInputs<'a> {
    /// The cooling unit's latest reading; `None`: no cooling unit (no thermal limit at all).
    pub reading: Option<&'a CoolingReading>,
    /// Measured current through the connector now, A.
    pub output_current_a: f32,
    /// The connector's rating, A (the static curve scales it; no limit is ever above it).
    pub rated_current_a: f32,
    /// A session wants current or the output contactors are closed.
    pub energized: bool,
}

/// Why the thermal controller stops a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThermalFault {
    /// A pin at or above `hard_stop_c` (latched until `restart_hysteresis_k` below it).
    PinOverTemperature,
    /// Cooling data older than `stale_after_ms`.
    StaleCoolingData,
    /// A temperature sensor is implausible and configured to stop, or no pin is valid.
    ImplausibleSensor,
    /// A cooling-unit alarm configured to stop, or no coolant flow after the pre-run.
    CoolingAlarm,
}

impl ThermalFault {
    pub fn name(self) -> &'static str {
        match self {
            ThermalFault::PinOverTemperature => "pin over-temperature",
            ThermalFault::StaleCoolingData => "stale cooling data",
            ThermalFault::ImplausibleSensor => "implausible temperature sensor",
            ThermalFault::CoolingAlarm => "cooling alarm",
        }
    }
}

/// What the controller decided in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalDecision {
    /// The "thermal" current limit; `None`: no thermal limit (no cooling unit).
    pub limit_a: Option<f32>,
    /// Stop the session now (and keep the connector from charging) while `Some`.
    pub stop: Option<ThermalFault>,
    /// For people: what caused `stop` (a temperature, an alarm's name).
    pub stop_detail: String,
    /// The cooling unit's command.
    pub cooling: CoolingCommand,
}

/// What the controller is doing, for `chargerctl thermal` and OCPP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerState {
    /// No cooling unit reading.
    NoData,
    /// Nothing energized; cooling off.
    Idle,
    /// Energized, waiting for coolant flow before current may flow.
    PreRun,
    /// No thermal limit below the rating.
    Full,
    /// The closed loop binds.
    Regulating,
    /// The static curve (safety envelope) binds.
    StaticCurve,
    /// Held at `safe_limit_a` (implausible sensor or alarm).
    SafeLimit,
    /// Stopped (see the fault).
    Stopped,
    /// Current has ended; the pump runs until the pins settle.
    PostRun,
}

impl ControllerState {
    pub fn name(self) -> &'static str {
        match self {
            ControllerState::NoData => "no data",
            ControllerState::Idle => "idle",
            ControllerState::PreRun => "pre-run",
            ControllerState::Full => "full",
            ControllerState::Regulating => "regulating",
            ControllerState::StaticCurve => "static curve",
            ControllerState::SafeLimit => "safe limit",
            ControllerState::Stopped => "stopped",
            ControllerState::PostRun => "post-run",
        }
    }
}

/// The pins' rise above the coolant the single-pin fallback learns their ratio from (and
/// applies it to), K: well above the sensors' noise and steps.
const MIN_RISE_FOR_RATIO_K: f32 = 5.0;

/// The controller's view, as of its last step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalStatus {
    pub sensors: Vec<SensorStatus>,
    /// The hottest usable pin temperature, °C.
    pub hottest_pin_c: Option<f32>,
    pub target_c: f32,
    pub pin_limit_c: f32,
    /// The thermal limit in force, A.
    pub limit_a: Option<f32>,
    /// The loop's and the static curve's own limits, A.
    pub loop_limit_a: Option<f32>,
    pub static_limit_a: Option<f32>,
    /// The on-line model's current that holds the target (`None` before it has seen load).
    pub model_hold_a: Option<f32>,
    pub state: ControllerState,
    /// The thermal limit holds the current below the rating.
    pub derating: bool,
    pub fault: Option<ThermalFault>,
    pub fault_detail: String,
    pub hard_stop_latched: bool,
    pub flow_confirmed: bool,
    pub flow_l_min: Option<f32>,
    /// The active cooling-unit alarms and what each does.
    pub alarms: Vec<(String, ThermalAction)>,
    pub cooling: CoolingCommand,
    /// What the cooling unit draws now, W: part of the site's auxiliary load.
    pub cooling_power_w: f32,
    /// `cooling_power_w` is the unit's own measurement (false: estimated from the speeds).
    pub cooling_power_measured: bool,
    /// What the cooling unit has drawn since chargerd started, Wh.
    pub cooling_energy_wh: f64,
}

/// The cooling unit's electrical draw, W, and whether the unit measured it: its own fresh
/// reading when it has one (0–50 kW; anything else is not a reading), else the estimate from
/// the command in force — the electronics always, pump and fan as speed³ × rating while
/// running (affinity laws).
pub fn cooling_draw_w(
    settings: &ThermalSettings,
    reading: &CoolingReading,
    command: CoolingCommand,
    stale: bool,
) -> (f32, bool) {
    if let Some(w) = reading
        .electrical_power_w
        .filter(|w| !stale && w.is_finite() && (0.0..=50_000.0).contains(w))
    {
        return (w, true);
    }
    let cube = |v: f32| clamp01(v).powi(3);
    let running = if command.run {
        settings.pump_rated_power_w * cube(command.pump)
            + settings.fan_rated_power_w * cube(command.fan)
    } else {
        0.0
    };
    (settings.electronics_power_w + running, false)
}

/// The static derating curve: full current up to `static_start_c`, linearly down to zero at
/// `static_stop_c`. The controller's safety envelope and (with
/// [`ThermalSettings::conventional_static_curve`]) the benchmark's baseline. A temperature that
/// is not a number gives zero.
pub fn static_curve_limit(
    settings: &ThermalSettings,
    hottest_pin_c: f32,
    rated_current_a: f32,
) -> f32 {
    let rated = sane_rating(rated_current_a);
    if !hottest_pin_c.is_finite() {
        return 0.0;
    }
    let (start, stop) = (settings.static_start_c, settings.static_stop_c);
    if hottest_pin_c <= start {
        return rated;
    }
    if hottest_pin_c >= stop || stop <= start {
        return 0.0;
    }
    let fraction = (stop - hottest_pin_c) / (stop - start);
    (rated * fraction).clamp(0.0, rated)
}

/// The hard stop's own check on one reading: the hottest pin value at or above
/// `hard_stop_c`, if any. Independent of plausibility (a rate-of-rise or disagreement flag does
/// not hide a hot pin, and a value beyond the sensor's range, +∞ included, trips too: an open
/// circuit that reads over range stops rather than derates), of the loop and of its tuning.
pub fn hard_stop_reading(settings: &ThermalSettings, reading: &CoolingReading) -> Option<f32> {
    [reading.pin_dc_plus_c, reading.pin_dc_minus_c]
        .into_iter()
        .flatten()
        // NaN compares false: it is no temperature, and the plausibility checks handle it.
        .filter(|v| *v >= settings.hard_stop_c)
        .reduce(f32::max)
}

fn sane_rating(rated: f32) -> f32 {
    if rated.is_finite() {
        rated.max(0.0)
    } else {
        0.0
    }
}

fn clamp01(v: f32) -> f32 {
    if v.is_nan() {
        // A broken computation cools at full speed.
        1.0
    } else {
        v.clamp(0.0, 1.0)
    }
}

/// Forced-convection exponent of the pin → coolant conductance (Dittus–Boelter).
const CONVECTION_FLOW_EXPONENT: f32 = 0.8;

/// The pin → coolant conductance at `flow` as a share of the one at the nominal flow:
/// `still + (1 − still)·(flow / nominal)^0.8`. 1 without a flow reading or with the
/// correction off (`nominal_flow_l_min` 0); never below 0.01 (a model, not a division by 0).
pub fn relative_conductance(settings: &ThermalSettings, flow_l_min: Option<f32>) -> f32 {
    let nominal = settings.nominal_flow_l_min;
    let Some(flow) = flow_l_min.filter(|f| f.is_finite()) else {
        return 1.0;
    };
    if nominal.is_nan() || nominal <= 0.0 {
        return 1.0;
    }
    let still = clamp01(settings.still_coolant_conductance_ratio);
    let ratio = (flow / nominal).max(0.0);
    let g = still + (1.0 - still) * ratio.powf(CONVECTION_FLOW_EXPONENT);
    if g.is_finite() {
        g.max(0.01)
    } else {
        1.0
    }
}

/// The PI loop's state.
#[derive(Debug, Clone, Default)]
struct Loop {
    /// Integral term, A (kept within 0..=rating: conditional integration).
    integral: Option<f32>,
    last_step: Option<Timestamp>,
    /// (reading time, hottest pin) samples for the slope.
    samples: VecDeque<(Timestamp, f32)>,
    output: Option<f32>,
    last_error: Option<f32>,
    /// The identified k of T_pin = T_coolant + k·I² (K/A²) referred to the nominal flow
    /// (k at a flow is this ÷ [`relative_conductance`]), and the holding current it gives.
    k_hat: Option<f32>,
    hold_a: Option<f32>,
    /// The relative pin → coolant conductance at the last step's flow.
    last_conductance: Option<f32>,
}

impl Loop {
    fn slope(&self) -> f32 {
        match (self.samples.front(), self.samples.back()) {
            (Some((t0, v0)), Some((t1, v1))) if t1 > t0 => {
                let dt = t1.saturating_since(*t0).as_secs_f32();
                (v1 - v0) / dt
            }
            _ => 0.0,
        }
    }

    fn reset(&mut self) {
        *self = Loop::default();
    }
}

/// The thermal derating and cooling controller of one connector.
#[derive(Debug, Clone)]
pub struct ThermalController {
    settings: ThermalSettings,
    trackers: [SensorTracker; 4],
    pi: Loop,
    hard_stop_latched: bool,
    hard_stop_value: f32,
    /// A fresh reading was seen once (before it, stale data while idle is start-up, not a
    /// fault).
    had_fresh: bool,
    /// The pump was commanded on at this time (None: off).
    pump_on_since: Option<Timestamp>,
    flow_confirmed: bool,
    last_energized: Option<Timestamp>,
    /// DC+ − DC−, K, filtered, while both pin sensors were valid: what the single-pin
    /// fallback adds when the hotter pin's sensor fails.
    pin_difference_k: Option<f32>,
    /// (DC+ − coolant) ÷ (DC− − coolant), filtered, while both pin sensors were valid and
    /// well above the coolant: the single-pin fallback's estimate follows the current with it.
    pin_rise_ratio: Option<f32>,
    /// The pin sensor the loop regulates without (the single-pin fallback), if any.
    single_pin: Option<Sensor>,
    /// The previous step, for the cooling unit's energy.
    last_step: Option<Timestamp>,
    status: ThermalStatus,
}

impl ThermalController {
    /// `settings` should have passed [`ThermalSettings::validate`] (the config loader does).
    pub fn new(settings: ThermalSettings) -> Self {
        let status = ThermalStatus {
            sensors: Vec::new(),
            hottest_pin_c: None,
            target_c: settings.target_c(),
            pin_limit_c: settings.pin_limit_c,
            limit_a: None,
            loop_limit_a: None,
            static_limit_a: None,
            model_hold_a: None,
            state: ControllerState::NoData,
            derating: false,
            fault: None,
            fault_detail: String::new(),
            hard_stop_latched: false,
            flow_confirmed: false,
            flow_l_min: None,
            alarms: Vec::new(),
            cooling: CoolingCommand::default(),
            cooling_power_w: 0.0,
            cooling_power_measured: false,
            cooling_energy_wh: 0.0,
        };
        ThermalController {
            settings,
            trackers: [SensorTracker::default(); 4],
            pi: Loop::default(),
            hard_stop_latched: false,
            hard_stop_value: 0.0,
            had_fresh: false,
            pump_on_since: None,
            flow_confirmed: false,
            last_energized: None,
            pin_difference_k: None,
            pin_rise_ratio: None,
            single_pin: None,
            last_step: None,
            status,
        }
    }

    pub fn settings(&self) -> &ThermalSettings {
        &self.settings
    }

    pub fn status(&self) -> ThermalStatus {
        self.status.clone()
    }

    /// The cooling unit's draw as of the last step, W ([`ThermalStatus::cooling_power_w`]).
    pub fn cooling_power_w(&self) -> f32 {
        self.status.cooling_power_w
    }

    /// One control step. Call it at every reading (4–10 Hz) and at least as often as the
    /// station's own step; `now` is the daemon's clock, on which `reading.at` is stamped.
    pub fn step(&mut self, inputs: &ThermalInputs<'_>, now: Timestamp) -> ThermalDecision {
        // The draw of the interval that ends now, at the rate last seen (a step after a long
        // gap counts a minute at most: the unit's draw over a gap is unknown).
        let dt_s = self
            .last_step
            .map_or(0.0, |t| now.saturating_since(t).as_secs_f64().min(60.0));
        self.last_step = Some(now);
        self.status.cooling_energy_wh += f64::from(self.status.cooling_power_w) * dt_s / 3600.0;
        let Some(reading) = inputs.reading else {
            self.status.state = ControllerState::NoData;
            self.status.limit_a = None;
            self.status.fault = None;
            self.status.cooling = CoolingCommand::default();
            self.status.cooling_power_w = 0.0;
            self.status.cooling_power_measured = false;
            return ThermalDecision {
                limit_a: None,
                stop: None,
                stop_detail: String::new(),
                cooling: CoolingCommand::default(),
            };
        };
        let s = &self.settings;
        let rated = sane_rating(inputs.rated_current_a);
        let current = if inputs.output_current_a.is_finite() {
            inputs.output_current_a.abs()
        } else {
            // Unknown current: assume the rating (feed-forward cools at full load).
            rated
        };
        if inputs.energized {
            self.last_energized = Some(now);
        }

        let stale = is_stale(s, reading, now);
        if !stale {
            self.had_fresh = true;
        }

        // 1. The hard stop, first and on its own.
        if !stale {
            if let Some(hot) = hard_stop_reading(s, reading) {
                self.hard_stop_latched = true;
                self.hard_stop_value = hot;
            } else if self.hard_stop_latched {
                let pins: Vec<f32> = [reading.pin_dc_plus_c, reading.pin_dc_minus_c]
                    .into_iter()
                    .filter_map(|raw| range_check(s, raw).ok())
                    .collect();
                if !pins.is_empty() && pins.iter().all(|v| *v < s.restart_below_c()) {
                    self.hard_stop_latched = false;
                }
            }
        }

        // 2. Plausibility of each sensor.
        let mut checked: [Result<f32, Validity>; 4] = [Err(Validity::Stale); 4];
        if !stale {
            for sensor in Sensor::ALL {
                let i = sensor.index();
                checked[i] = self.trackers[i].check(s, sensor.raw(reading), reading.at, now);
            }
            // DC+/DC− disagreement: both suspicious, the hotter one used (worst case).
            if let (Ok(p), Ok(m)) = (checked[0], checked[1]) {
                if (p - m).abs() > s.max_pin_disagreement_k {
                    checked[0] = Err(Validity::Disagreement);
                    checked[1] = Err(Validity::Disagreement);
                }
            }
            // A pin colder than the flowing coolant: heat flows from the pins into the
            // coolant. Checked only with flow confirmed (stagnant coolant in a unit in the
            // sun may be warmer than the pins).
            if self.flow_confirmed {
                if let Ok(inlet) = checked[2] {
                    for pin in checked.iter_mut().take(2) {
                        if matches!(*pin, Ok(v) if v < inlet - s.pin_below_coolant_margin_k) {
                            *pin = Err(Validity::BelowCoolant);
                        }
                    }
                }
            }
        }
        let usable = |i: usize| -> Option<f32> {
            match checked[i] {
                Ok(v) => Some(v),
                Err(Validity::Disagreement) => Sensor::ALL[i].raw(reading),
                Err(_) => None,
            }
        };
        let coolant = usable(2).or(usable(3)).filter(|c| c.is_finite());
        // The pins' difference and the ratio of their rises above the coolant while both are
        // valid, for the single-pin fallback.
        if let (Ok(p), Ok(m)) = (checked[0], checked[1]) {
            let d = p - m;
            if d.is_finite() {
                let prev = self.pin_difference_k.unwrap_or(d);
                // About 1 s at 100 steps a second: smooths the sensors' noise.
                self.pin_difference_k = Some(prev + 0.01 * (d - prev));
            }
            // Both pins carry the same current and sit on the same coolant: their rises are
            // in the ratio of their contact resistances, whatever the current. Learned only
            // with rises well above the sensors' noise.
            if let Some(c) = coolant {
                let (rise_p, rise_m) = (p - c, m - c);
                if rise_p >= MIN_RISE_FOR_RATIO_K && rise_m >= MIN_RISE_FOR_RATIO_K {
                    let r = (rise_p / rise_m).clamp(0.2, 5.0);
                    let prev = self.pin_rise_ratio.unwrap_or(r);
                    self.pin_rise_ratio = Some(prev + 0.01 * (r - prev));
                }
            }
        }
        // Single-pin fallback: one pin sensor implausible (not merely disagreeing), the
        // other valid, and their difference known: the failed pin is estimated from the
        // valid one, with `single_pin_margin_k` on top, instead of the safe limit.
        let single_pin = match (checked[0], checked[1], self.pin_difference_k) {
            (Ok(_), Err(v), Some(d)) if !stale && v != Validity::Disagreement => {
                Some((Sensor::PinDcMinus, (-d).max(0.0)))
            }
            (Err(v), Ok(_), Some(d)) if !stale && v != Validity::Disagreement => {
                Some((Sensor::PinDcPlus, d.max(0.0)))
            }
            _ => None,
        };
        let failed_pin = single_pin.map(|(sn, _)| sn);
        if failed_pin != self.single_pin {
            // The measured pin jumps by the offset: not a slope.
            self.pi.samples.clear();
            self.single_pin = failed_pin;
        }
        let hottest = match single_pin {
            Some((failed, offset)) => {
                let valid = if failed == Sensor::PinDcPlus { 1 } else { 0 };
                usable(valid).filter(|v| v.is_finite()).map(|v| {
                    // The failed pin's rise from the valid one's by their learned ratio: it
                    // follows the current and the coolant. Without a ratio (never enough
                    // rise), the last difference, which only holds at the same current.
                    let by_ratio = match (coolant, self.pin_rise_ratio) {
                        (Some(c), Some(r)) if v - c >= MIN_RISE_FOR_RATIO_K => {
                            let ratio = if failed == Sensor::PinDcPlus {
                                r
                            } else {
                                1.0 / r
                            };
                            Some(c + (v - c) * ratio.max(1.0))
                        }
                        _ => None,
                    };
                    by_ratio.unwrap_or(v + offset) + s.single_pin_margin_k
                })
            }
            None => [usable(0), usable(1)]
                .into_iter()
                .flatten()
                .filter(|v| v.is_finite())
                .reduce(f32::max),
        };
        let implausible: Vec<Sensor> = Sensor::ALL
            .into_iter()
            .filter(|sn| !matches!(checked[sn.index()], Ok(_) | Err(Validity::Stale)))
            .collect();

        // Flow.
        let flow = reading
            .flow_l_min
            .map(|f| if f.is_finite() { f.max(0.0) } else { 0.0 });

        // Alarms, by the profile's names.
        let alarms: Vec<(String, ThermalAction)> = if stale {
            Vec::new()
        } else {
            reading
                .alarms
                .iter()
                .take(32)
                .map(|name| {
                    let action = s
                        .alarm_actions
                        .get(name)
                        .copied()
                        .unwrap_or(s.unknown_alarm_action);
                    (name.clone(), action)
                })
                .collect()
        };

        // 5. Cooling command (the pump runs before current and after it).
        let postrun = self.last_energized.is_some_and(|t| {
            let since = now.saturating_since(t).as_millis();
            let unsettled = match (hottest, coolant) {
                (Some(h), Some(c)) => h - c > s.settle_k,
                // Cannot tell whether the pins settled: run for the longest post-run.
                _ => true,
            };
            since < u128::from(s.postrun_min_ms)
                || (unsettled && since < u128::from(s.postrun_max_ms))
        });
        let pump_off_alarm = alarms
            .iter()
            .any(|(n, a)| *a == ThermalAction::Stop && s.pump_off_alarms.iter().any(|p| p == n));
        let run = (inputs.energized || postrun || self.hard_stop_latched) && !pump_off_alarm;
        let cooling = if run {
            let load = if rated > 0.0 {
                (current / rated).clamp(0.0, 1.5)
            } else {
                1.0
            };
            match coolant {
                Some(c) => {
                    let over = (c - s.coolant_target_c).max(0.0);
                    let pin_near = hottest.map_or(1.0, |h| (h - (s.target_c() - 10.0)).max(0.0));
                    CoolingCommand {
                        run: true,
                        pump: clamp01(
                            (s.pump_ff * load + s.pump_kp_per_k * (over + pin_near))
                                .max(s.pump_min),
                        ),
                        fan: clamp01((s.fan_ff * load + s.fan_kp_per_k * over).max(s.fan_min)),
                    }
                }
                // No coolant temperature: cool at full speed.
                None => CoolingCommand {
                    run: true,
                    pump: 1.0,
                    fan: 1.0,
                },
            }
        } else {
            CoolingCommand::default()
        };
        if run {
            if self.pump_on_since.is_none() {
                self.pump_on_since = Some(now);
            }
        } else {
            self.pump_on_since = None;
            self.flow_confirmed = false;
        }
        let pump_for = self
            .pump_on_since
            .map_or(0, |t| now.saturating_since(t).as_millis());
        let prerun_done = pump_for >= u128::from(s.pump_prerun_ms);
        let mut no_flow = false;
        let mut low_flow = false;
        if run && !stale {
            match flow {
                Some(f) if f >= s.min_flow_l_min => self.flow_confirmed = true,
                Some(_) if self.flow_confirmed => low_flow = true,
                Some(_) => no_flow = prerun_done && inputs.energized,
                // No flow sensor: the pre-run time stands in for it.
                None => self.flow_confirmed = self.flow_confirmed || prerun_done,
            }
        }

        // 4. The loop.
        let mut loop_limit = None;
        if let (Some(h), true) = (hottest, s.loop_enabled) {
            loop_limit = Some(run_loop(
                &mut self.pi,
                s,
                h,
                coolant,
                flow,
                reading.at,
                current,
                rated,
                now,
            ));
        } else {
            self.pi.reset();
        }
        let static_limit = hottest.map(|h| static_curve_limit(s, h, rated));

        // Compose: stops first, then each limit by minimum, with the state that binds.
        let mut stop: Option<(ThermalFault, String)> = None;
        let mut set_stop = |f: ThermalFault, d: String| {
            if stop.as_ref().is_none_or(|(g, _)| f < *g) {
                stop = Some((f, d));
            }
        };
        if self.hard_stop_latched {
            set_stop(
                ThermalFault::PinOverTemperature,
                format!(
                    "pin reached {:.1} °C (hard stop {:.1} °C, restart below {:.1} °C)",
                    self.hard_stop_value,
                    s.hard_stop_c,
                    s.restart_below_c()
                ),
            );
        }
        if stale && (inputs.energized || self.had_fresh) {
            set_stop(
                ThermalFault::StaleCoolingData,
                format!("no fresh cooling data for over {} ms", s.stale_after_ms),
            );
        }
        if !stale {
            if hottest.is_none() {
                set_stop(
                    ThermalFault::ImplausibleSensor,
                    "no valid pin temperature".to_string(),
                );
            } else if !implausible.is_empty() && s.implausible_action == ThermalAction::Stop {
                set_stop(
                    ThermalFault::ImplausibleSensor,
                    self.describe(&implausible, &checked),
                );
            }
            for (name, action) in &alarms {
                if *action == ThermalAction::Stop {
                    set_stop(
                        ThermalFault::CoolingAlarm,
                        format!("cooling unit alarm {name}"),
                    );
                }
            }
            if no_flow {
                set_stop(
                    ThermalFault::CoolingAlarm,
                    format!(
                        "no coolant flow {} ms after the pump started",
                        s.pump_prerun_ms
                    ),
                );
            }
        }

        let mut limit = rated;
        let mut state = ControllerState::Full;
        let mut take = |l: f32, st: ControllerState| {
            if l < limit {
                limit = l;
                state = st;
            }
        };
        if let Some(l) = loop_limit {
            take(l, ControllerState::Regulating);
        }
        if let Some(l) = static_limit {
            take(l, ControllerState::StaticCurve);
        }
        let derate_alarm = alarms.iter().any(|(_, a)| *a == ThermalAction::Derate)
            || (low_flow
                && s.alarm_actions
                    .get("low_flow")
                    .copied()
                    .unwrap_or(ThermalAction::Derate)
                    == ThermalAction::Derate);
        // A failed pin the single-pin fallback covers does not derate (the loop does).
        let derate_sensor = implausible
            .iter()
            .any(|sn| Some(*sn) != failed_pin || !s.loop_enabled)
            && s.implausible_action == ThermalAction::Derate;
        if derate_alarm || derate_sensor {
            take(s.safe_limit_a.min(rated), ControllerState::SafeLimit);
        }
        if inputs.energized && !self.flow_confirmed {
            limit = 0.0;
            state = ControllerState::PreRun;
        }
        if stale || stop.is_some() {
            limit = 0.0;
            state = if stop.is_some() {
                ControllerState::Stopped
            } else {
                ControllerState::NoData
            };
        } else if !inputs.energized && state == ControllerState::Full {
            state = if run {
                ControllerState::PostRun
            } else {
                ControllerState::Idle
            };
        }
        let limit = limit.clamp(0.0, rated);
        let (cooling_power_w, cooling_power_measured) = cooling_draw_w(s, reading, cooling, stale);

        self.status = ThermalStatus {
            sensors: Sensor::ALL
                .into_iter()
                .map(|sn| SensorStatus {
                    sensor: sn,
                    value_c: sn.raw(reading).filter(|v| v.is_finite()),
                    validity: match checked[sn.index()] {
                        Ok(_) => Validity::Valid,
                        Err(v) => v,
                    },
                })
                .collect(),
            hottest_pin_c: hottest,
            target_c: s.target_c(),
            pin_limit_c: s.pin_limit_c,
            limit_a: Some(limit),
            loop_limit_a: loop_limit,
            static_limit_a: static_limit,
            model_hold_a: self.pi.hold_a,
            state,
            derating: limit < rated,
            fault: stop.as_ref().map(|(f, _)| *f),
            fault_detail: stop.as_ref().map(|(_, d)| d.clone()).unwrap_or_default(),
            hard_stop_latched: self.hard_stop_latched,
            flow_confirmed: self.flow_confirmed,
            flow_l_min: flow,
            alarms,
            cooling,
            cooling_power_w,
            cooling_power_measured,
            cooling_energy_wh: self.status.cooling_energy_wh,
        };
        let (stop, stop_detail) = match stop {
            Some((f, d)) => (Some(f), d),
            None => (None, String::new()),
        };
        ThermalDecision {
            limit_a: Some(limit),
            stop,
            stop_detail,
            cooling,
        }
    }

    fn describe(&self, sensors: &[Sensor], checked: &[Result<f32, Validity>; 4]) -> String {
        sensors
            .iter()
            .map(|sn| {
                let why = match checked[sn.index()] {
                    Ok(_) => Validity::Valid,
                    Err(v) => v,
                };
                format!("{}: {}", sn.name(), why.name())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The PI loop on the hottest pin `h` (from a reading taken at `at`): its current limit.
#[allow(clippy::too_many_arguments)]
fn run_loop(
    pi: &mut Loop,
    s: &ThermalSettings,
    h: f32,
    coolant: Option<f32>,
    flow: Option<f32>,
    at: Timestamp,
    current: f32,
    rated: f32,
    now: Timestamp,
) -> f32 {
    // Slope over the window, from distinct readings only.
    let fresh = pi.samples.back().is_none_or(|(t, _)| at > *t);
    let since_last_sample = pi
        .samples
        .back()
        .map_or(0.0, |(t, _)| at.saturating_since(*t).as_secs_f32());
    if fresh {
        pi.samples.push_back((at, h));
    }
    let window_ms = (s.slope_window_s * 1000.0) as u64;
    while let Some((t, _)) = pi.samples.front() {
        if at.saturating_since(*t).as_millis() > u128::from(window_ms) && pi.samples.len() > 2 {
            pi.samples.pop_front();
        } else {
            break;
        }
    }
    let max_rate = s.max_rate_k_per_s;
    let slope = pi.slope().clamp(-max_rate, max_rate);
    let predicted = h + slope * s.lookahead_s;
    let error = s.target_c() - predicted;

    // On-line model: τ·dT/dt = T_coolant + k·I² − T, so k = (T + τ·dT/dt − T_coolant)/I²,
    // estimated (filtered over `model_filter_s`) while a fair current flows; the current
    // that holds the target is then √((target − T_coolant)/k).
    // k is referred to the nominal flow: identified as k(flow)·g(flow), used as k_hat ÷ g.
    let g = relative_conductance(s, flow);
    if let (Some(c), true) = (coolant, fresh && current >= 0.2 * rated && current > 1.0) {
        let k = g * (h + s.pin_time_constant_s * slope - c) / (current * current);
        if k.is_finite() && k > 0.0 {
            let alpha = (since_last_sample / s.model_filter_s).clamp(0.0, 1.0);
            let prev = pi.k_hat.unwrap_or(k);
            pi.k_hat = Some(prev + alpha * (k - prev));
        }
    }
    let hold = match (coolant, pi.k_hat) {
        (Some(c), Some(k)) if k > 0.0 => {
            let i = ((s.target_c() - c).max(0.0) * g / k).sqrt();
            i.is_finite().then_some(i)
        }
        _ => None,
    };
    pi.hold_a = hold;

    let dt = pi
        .last_step
        .map_or(0.0, |t| now.saturating_since(t).as_secs_f32())
        // A gap (a paused loop) must not integrate a whole minute at once.
        .min(1.0);
    pi.last_step = Some(now);
    // Gain scheduling: the pin's steady rise above the coolant is k·I², so its gain is
    // dT/dI = 2·k·I = 2·(T − T_coolant)/I. The gains are tuned for
    // `reference_gain_k_per_a`; a stiffer plant (a smaller connector, a hotter coolant)
    // gets proportionally less, so the loop stays as damped as it was tuned.
    let scale = match coolant {
        Some(c) if s.reference_gain_k_per_a > 0.0 => {
            let rise = (h - c).max(1.0);
            let at_current = current.max(0.25 * rated).max(1.0);
            let gain = 2.0 * rise / at_current;
            (s.reference_gain_k_per_a / gain).clamp(0.1, 2.0)
        }
        _ => 1.0,
    };
    let scale = if scale.is_finite() { scale } else { 1.0 };
    let p = s.kp_a_per_k * scale * error;
    // Start at the ceiling: the loop only takes current away.
    let mut integral = pi.integral.unwrap_or(rated);
    // Flow feed-forward: the holding current goes with √g, so a flow change (seen at the
    // next poll) moves the integral by the same factor at once, long before the pin
    // sensor (τ ≈ 3 s behind a pin of τ ≈ 30 s) shows the changed cooling.
    // Only while the loop binds (at the ceiling there is nothing to move).
    if let (Some(prev), true) = (pi.last_conductance, s.model_enabled && integral < rated) {
        let factor = (g / prev).sqrt();
        if factor.is_finite() && (factor - 1.0).abs() > 1e-4 {
            integral *= factor;
        }
    }
    pi.last_conductance = Some(g);
    // The moment the (predicted) pin reaches the target, the integral drops to the
    // model's holding current at once instead of integrating down to it: the pin stops
    // rising there, which the PI alone (tuned to be gentle) would do only after an
    // overshoot.
    let crossed = error <= 0.0 && pi.last_error.is_some_and(|e| e > 0.0);
    if let (true, Some(hold)) = (crossed && s.model_enabled, hold) {
        integral = integral.min(hold);
    }
    pi.last_error = Some(error);
    let previous = pi.output.unwrap_or(rated);
    let unclamped = p + integral;
    // Conditional integration (anti-windup): not further up at the rating, not further
    // down at zero, and not further in either direction while the current has not
    // followed the last limit (the truck and modules still slewing down to a cut, or a
    // truck that ramps up slowly or takes less): the actuator lags, and the pin has not
    // seen the change yet.
    let saturated_high = unclamped >= rated && error > 0.0;
    let saturated_low = unclamped <= 0.0 && error < 0.0;
    let slewing_down = error < 0.0 && current > previous + s.slew_tolerance_a;
    let not_taken = error > 0.0 && current < previous - s.slew_tolerance_a;
    if !(saturated_high || saturated_low || slewing_down || not_taken) {
        integral += s.ki_a_per_k_s * scale * error * dt;
    }
    integral = integral.clamp(0.0, rated);
    pi.integral = Some(integral);
    let out = (p + integral).clamp(0.0, rated);
    let out = if out.is_finite() { out } else { 0.0 };
    pi.output = Some(out);
    out
}
