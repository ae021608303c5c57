//! The `[thermal]` settings: every parameter with its default and its range.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What the controller does about an implausible temperature sensor or a cooling-unit alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThermalAction {
    /// Hold the current at or below `safe_limit_a` while the condition lasts.
    Derate,
    /// Stop the session (the station's safe state) while the condition lasts.
    Stop,
    /// Show it in the status, change nothing.
    Ignore,
}

impl ThermalAction {
    pub fn name(self) -> &'static str {
        match self {
            ThermalAction::Derate => "derate",
            ThermalAction::Stop => "stop",
            ThermalAction::Ignore => "ignore",
        }
    }
}

/// The thermal derating controller's parameters (the `[thermal]` config section).
///
/// Defaults are for a 500 A liquid-cooled connector with Pt1000 pin sensors, a pin limit of
/// 90 °C (vendor documentation; see README "Thermal derating") and a cooling unit polled at
/// 4–10 Hz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalSettings {
    /// The closed loop runs (false: only the static curve, the hard stop and the checks).
    pub loop_enabled: bool,
    /// The pin temperature that must not be exceeded, °C.
    pub pin_limit_c: f32,
    /// The pin sensors' tolerance the target leaves room for, K: a sensor may read this much
    /// below the truth, and the target sits this far below the limit on top of
    /// `target_margin_k`. Default 0: sensors calibrated in the connector. A Pt1000 of class B
    /// (IEC 60751, ±(0.3 + 0.005·|t|) K) may read 0.75 K low at 90 °C, class A 0.33 K; at the
    /// default the true pin then ends that far above the target (0.25 K above the limit for
    /// class B at its edge: `cargo bench --bench thermal`'s "Pt1000 −0.75 K" row).
    pub sensor_tolerance_k: f32,
    /// The loop holds the hottest valid pin this far below `pin_limit_c − sensor_tolerance_k`,
    /// K: what the control itself needs (lag, noise, slew).
    pub target_margin_k: f32,
    /// Static curve (safety envelope): full current up to this pin temperature, °C …
    pub static_start_c: f32,
    /// … linearly down to zero at this one, °C.
    pub static_stop_c: f32,
    /// Any pin reading at or above this stops the session at once, °C.
    pub hard_stop_c: f32,
    /// After a hard stop, charging may restart only once every pin is this far below
    /// `hard_stop_c`, K.
    pub restart_hysteresis_k: f32,
    /// PI proportional gain, A per K.
    pub kp_a_per_k: f32,
    /// PI integral gain, A per K·s.
    pub ki_a_per_k_s: f32,
    /// The pin's gain (K per A, near the held current) the two gains are tuned for; the loop
    /// scales them by this ÷ the gain it sees (2·(pin − coolant) ÷ current), within 0.1–2×.
    /// 0 turns the scheduling off.
    pub reference_gain_k_per_a: f32,
    /// Identify the pin's model on line and drop the loop to its holding current when the pin
    /// reaches the target (false: the PI alone).
    pub model_enabled: bool,
    /// The pin's thermal time constant the model assumes, s.
    pub pin_time_constant_s: f32,
    /// The model's estimate is filtered over this, s.
    pub model_filter_s: f32,
    /// Coolant flow the pin → coolant conductance is referred to, l/min. The model corrects
    /// its pin gain for the measured flow (forced convection ∝ flow^0.8, Dittus–Boelter, on
    /// top of `still_coolant_conductance_ratio`), so a flow drop lowers the holding current
    /// at the next poll, before the lagging pin sensor shows it. 0 turns the correction off.
    pub nominal_flow_l_min: f32,
    /// Pin → coolant conductance with the coolant standing still, as a share of the one at
    /// `nominal_flow_l_min` (conduction and natural convection), 0–1.
    pub still_coolant_conductance_ratio: f32,
    /// With one pin sensor implausible and the other valid, the loop keeps regulating on the
    /// failed pin's estimate — the valid pin's rise above the coolant times the ratio of their
    /// rises learned while both were valid (else the valid pin plus their last difference) —
    /// plus this margin, K. No difference seen yet: `safe_limit_a`.
    pub single_pin_margin_k: f32,
    /// The loop acts on the hottest pin extrapolated this far ahead along its measured slope
    /// (covers the sensor's lag and the truck's slew), s.
    pub lookahead_s: f32,
    /// Window over which the pin's slope is measured, s.
    pub slope_window_s: f32,
    /// While the measured current is this far from the loop's last limit (above it: the truck
    /// and modules still slewing down; below it with the pins cool: the truck ramping up or
    /// taking less), the integral term is frozen: anti-windup against the actuator, A.
    pub slew_tolerance_a: f32,
    /// Cooling data older than this (or flagged stale by the device) stops the session, ms.
    pub stale_after_ms: u64,
    /// Plausible sensor range: readings outside it are open/short circuits, °C.
    pub sensor_min_c: f32,
    pub sensor_max_c: f32,
    /// Fastest plausible change of a reading, K/s (a Pt1000 in a pin cannot jump).
    pub max_rate_k_per_s: f32,
    /// A change this small is never a jump, however close together the two readings came
    /// (a poll delayed by a busy board and the next one on its heels, the converter's
    /// quantisation step); spent once per second, so a sustained climb stays bounded at
    /// `max_rate_k_per_s` + this per second, K.
    pub rate_noise_k: f32,
    /// A sensor that changed too fast stays implausible this long after its last jump, ms.
    pub implausible_hold_ms: u64,
    /// Largest plausible DC+/DC− pin difference, K.
    pub max_pin_disagreement_k: f32,
    /// A pin may read at most this much below the coolant inlet (heat flows from pin to
    /// coolant), K.
    pub pin_below_coolant_margin_k: f32,
    /// What an implausible temperature sensor does (derate: `safe_limit_a`; with no valid pin
    /// left the session stops whatever this says).
    pub implausible_action: ThermalAction,
    /// The current limit while derating for an implausible sensor or an alarm, A.
    pub safe_limit_a: f32,
    /// What each cooling-unit alarm (by the profile's bit name) does. Configured entries
    /// are merged over [`default_alarm_actions`] (naming one alarm does not drop the others).
    #[serde(deserialize_with = "merge_alarm_actions")]
    pub alarm_actions: BTreeMap<String, ThermalAction>,
    /// What an alarm not named in `alarm_actions` does.
    pub unknown_alarm_action: ThermalAction,
    /// Alarms that also stop the pump when they stop the session (running it would pump
    /// coolant out of a leak or run it dry).
    pub pump_off_alarms: Vec<String>,
    /// Flow at or above this confirms the cooling loop runs, l/min.
    pub min_flow_l_min: f32,
    /// With no flow reading, cooling counts as confirmed this long after the pump started, ms;
    /// with a flow reading, flow must be confirmed within it (else: low flow), ms.
    pub pump_prerun_ms: u64,
    /// After current ends the pump runs at least this long, ms …
    pub postrun_min_ms: u64,
    /// … and until the hottest pin is within `settle_k` of the coolant inlet, at most this
    /// long, ms.
    pub postrun_max_ms: u64,
    pub settle_k: f32,
    /// Pump and fan never run slower than this while running, 0–1.
    pub pump_min: f32,
    pub fan_min: f32,
    /// Feed-forward: pump and fan speed per unit of output current / rating.
    pub pump_ff: f32,
    pub fan_ff: f32,
    /// Feedback: coolant inlet temperature the fan and pump aim for, °C …
    pub coolant_target_c: f32,
    /// … speed added per K above it.
    pub pump_kp_per_k: f32,
    pub fan_kp_per_k: f32,
    /// For a cooling unit that does not measure its own draw: its pump's draw at 100 % speed,
    /// W, the fan's, and the electronics' (always on). The draw is then estimated as the
    /// electronics plus each speed³ × its rating (affinity laws) while the loop runs, and
    /// counted, like a measured one, in the site's auxiliary load.
    pub pump_rated_power_w: f32,
    pub fan_rated_power_w: f32,
    pub electronics_power_w: f32,
}

impl Default for ThermalSettings {
    fn default() -> Self {
        ThermalSettings {
            loop_enabled: true,
            pin_limit_c: 90.0,
            // 0.5 K: the model-based cut (and the flow feed-forward) leaves no overshoot
            // under a 3 s Pt1000 lag, and every margin costs holding current (≈ 0.1 % per
            // 0.1 K at a 45 K rise): 0.5 K delivers ≥ 99 % of what holding the pins at the
            // limit itself would, with the pump at half flow too (README).
            target_margin_k: 0.5,
            sensor_tolerance_k: 0.0,
            // The envelope starts at the limit: it never binds while the loop holds the
            // target, and cuts 20 % per kelvin if the loop (or its tuning) fails.
            static_start_c: 90.0,
            static_stop_c: 95.0,
            hard_stop_c: 95.0,
            restart_hysteresis_k: 10.0,
            // Tuned (SIMC) for a pin of ~30 s time constant, ~0.15 K/A gain near 500 A and a
            // ~3 s sensor lag: Kc = τ/(K·(τc+θ)) ≈ 30 A/K, τI ≈ 20 s.
            kp_a_per_k: 30.0,
            ki_a_per_k_s: 1.5,
            reference_gain_k_per_a: 0.15,
            model_enabled: true,
            pin_time_constant_s: 30.0,
            model_filter_s: 10.0,
            // The cooling unit's nominal flow, and 1.5 K/W flowing against 4 K/W still
            // (../shared/reference/thermal-modbus-power.md; the simulator's defaults).
            nominal_flow_l_min: 30.0,
            still_coolant_conductance_ratio: 0.375,
            // The difference drifts with current and the contacts' wear; 2 K covers it and
            // the noise (README "Thermal derating").
            single_pin_margin_k: 0.5,
            lookahead_s: 4.0,
            slope_window_s: 2.0,
            slew_tolerance_a: 10.0,
            // IEC 61851-25's 1 s for missing data; a 4–10 Hz poll misses 3–9 polls first.
            stale_after_ms: 1_000,
            sensor_min_c: -40.0,
            sensor_max_c: 150.0,
            max_rate_k_per_s: 10.0,
            // Ten 0.1 °C register steps: a broken wire or a loose sensor jumps by far more.
            rate_noise_k: 1.0,
            implausible_hold_ms: 10_000,
            max_pin_disagreement_k: 20.0,
            pin_below_coolant_margin_k: 5.0,
            implausible_action: ThermalAction::Derate,
            safe_limit_a: 125.0,
            alarm_actions: default_alarm_actions(),
            unknown_alarm_action: ThermalAction::Derate,
            pump_off_alarms: ["low_level", "pump_fault", "leak_suspected"]
                .into_iter()
                .map(String::from)
                .collect(),
            min_flow_l_min: 2.0,
            pump_prerun_ms: 3_000,
            postrun_min_ms: 30_000,
            postrun_max_ms: 600_000,
            settle_k: 5.0,
            pump_min: 0.3,
            fan_min: 0.0,
            pump_ff: 0.7,
            fan_ff: 0.5,
            coolant_target_c: 35.0,
            pump_kp_per_k: 0.1,
            fan_kp_per_k: 0.1,
            // The simulated unit's figures (hal ThermalPlantParams): a 30 l/min pump and the
            // fans of a ≈ 1 kW radiator.
            pump_rated_power_w: 250.0,
            fan_rated_power_w: 300.0,
            electronics_power_w: 15.0,
        }
    }
}

/// The alarm bits of `configs/devices/cooling-unit-hpc-modbus.toml` and what they do by
/// default: coolant lost or the pump failing stops (running on would overheat the pins or
/// pump coolant out of a leak); degraded cooling or a sensor of the unit derates.
pub fn default_alarm_actions() -> BTreeMap<String, ThermalAction> {
    use ThermalAction::{Derate, Stop};
    [
        ("low_flow", Derate),
        ("high_supply_temperature", Derate),
        ("supply_sensor_fault", Derate),
        ("return_sensor_fault", Derate),
        ("low_level", Stop),
        ("pump_fault", Stop),
        ("fan_fault", Derate),
        ("leak_suspected", Stop),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn merge_alarm_actions<'de, D>(d: D) -> Result<BTreeMap<String, ThermalAction>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let configured = BTreeMap::<String, ThermalAction>::deserialize(d)?;
    let mut actions = default_alarm_actions();
    actions.extend(configured);
    Ok(actions)
}

/// A setting out of its range: the key (within `[thermal]`) and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("thermal.{key}: {reason}")]
pub struct SettingsError {
    pub key: &'static str,
    pub reason: String,
}

impl ThermalSettings {
    /// The temperature the loop holds the hottest pin at, °C.
    pub fn target_c(&self) -> f32 {
        self.pin_limit_c - self.sensor_tolerance_k - self.target_margin_k
    }

    /// The temperature every pin must be below before a hard-stopped connector may restart.
    pub fn restart_below_c(&self) -> f32 {
        self.hard_stop_c - self.restart_hysteresis_k
    }

    /// A conventional static curve for comparison (the benchmark's baseline): full current up
    /// to 20 K below the pin limit, zero at the limit. Everything else as `self`.
    pub fn conventional_static_curve(&self) -> ThermalSettings {
        ThermalSettings {
            static_start_c: self.pin_limit_c - 20.0,
            static_stop_c: self.pin_limit_c,
            ..self.clone()
        }
    }

    /// Every value in its range, and the temperatures in their order.
    pub fn validate(&self) -> Result<(), SettingsError> {
        fn range(key: &'static str, v: f32, lo: f32, hi: f32) -> Result<(), SettingsError> {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(SettingsError {
                    key,
                    reason: format!("{v} is outside {lo}..={hi}"),
                })
            }
        }
        fn range_ms(key: &'static str, v: u64, lo: u64, hi: u64) -> Result<(), SettingsError> {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(SettingsError {
                    key,
                    reason: format!("{v} ms is outside {lo}..={hi}"),
                })
            }
        }
        fn order(key: &'static str, ok: bool, why: &str) -> Result<(), SettingsError> {
            if ok {
                Ok(())
            } else {
                Err(SettingsError {
                    key,
                    reason: why.to_string(),
                })
            }
        }
        range("pin_limit_c", self.pin_limit_c, 40.0, 150.0)?;
        range("target_margin_k", self.target_margin_k, 0.5, 30.0)?;
        range("sensor_tolerance_k", self.sensor_tolerance_k, 0.0, 5.0)?;
        range("static_start_c", self.static_start_c, 20.0, 150.0)?;
        range("static_stop_c", self.static_stop_c, 20.0, 160.0)?;
        order(
            "static_stop_c",
            self.static_stop_c > self.static_start_c,
            "must be above static_start_c",
        )?;
        range("hard_stop_c", self.hard_stop_c, 40.0, 180.0)?;
        order(
            "hard_stop_c",
            self.hard_stop_c >= self.pin_limit_c,
            "must be at or above pin_limit_c",
        )?;
        range("restart_hysteresis_k", self.restart_hysteresis_k, 1.0, 60.0)?;
        range("kp_a_per_k", self.kp_a_per_k, 0.0, 1_000.0)?;
        range("ki_a_per_k_s", self.ki_a_per_k_s, 0.0, 100.0)?;
        range(
            "reference_gain_k_per_a",
            self.reference_gain_k_per_a,
            0.0,
            10.0,
        )?;
        range("lookahead_s", self.lookahead_s, 0.0, 60.0)?;
        range("pin_time_constant_s", self.pin_time_constant_s, 1.0, 600.0)?;
        range("model_filter_s", self.model_filter_s, 0.5, 600.0)?;
        range("slope_window_s", self.slope_window_s, 0.2, 30.0)?;
        range("nominal_flow_l_min", self.nominal_flow_l_min, 0.0, 1_000.0)?;
        range(
            "still_coolant_conductance_ratio",
            self.still_coolant_conductance_ratio,
            0.0,
            1.0,
        )?;
        range("single_pin_margin_k", self.single_pin_margin_k, 0.0, 30.0)?;
        range("slew_tolerance_a", self.slew_tolerance_a, 0.0, 500.0)?;
        range_ms("stale_after_ms", self.stale_after_ms, 100, 10_000)?;
        range("sensor_min_c", self.sensor_min_c, -60.0, 20.0)?;
        range("sensor_max_c", self.sensor_max_c, 60.0, 250.0)?;
        order(
            "sensor_max_c",
            self.sensor_max_c > self.hard_stop_c,
            "must be above hard_stop_c (a real over-temperature must not look like an open sensor)",
        )?;
        range("max_rate_k_per_s", self.max_rate_k_per_s, 0.5, 100.0)?;
        range("rate_noise_k", self.rate_noise_k, 0.0, 2.0)?;
        range_ms("implausible_hold_ms", self.implausible_hold_ms, 0, 600_000)?;
        range(
            "max_pin_disagreement_k",
            self.max_pin_disagreement_k,
            1.0,
            100.0,
        )?;
        range(
            "pin_below_coolant_margin_k",
            self.pin_below_coolant_margin_k,
            0.5,
            50.0,
        )?;
        range("safe_limit_a", self.safe_limit_a, 0.0, 5_000.0)?;
        range("min_flow_l_min", self.min_flow_l_min, 0.0, 100.0)?;
        range_ms("pump_prerun_ms", self.pump_prerun_ms, 0, 120_000)?;
        range_ms("postrun_min_ms", self.postrun_min_ms, 0, 3_600_000)?;
        range_ms("postrun_max_ms", self.postrun_max_ms, 0, 3_600_000)?;
        order(
            "postrun_max_ms",
            self.postrun_max_ms >= self.postrun_min_ms,
            "must be at or above postrun_min_ms",
        )?;
        range("settle_k", self.settle_k, 0.5, 50.0)?;
        range("pump_min", self.pump_min, 0.0, 1.0)?;
        range("fan_min", self.fan_min, 0.0, 1.0)?;
        range("pump_ff", self.pump_ff, 0.0, 2.0)?;
        range("fan_ff", self.fan_ff, 0.0, 2.0)?;
        range("coolant_target_c", self.coolant_target_c, 0.0, 80.0)?;
        range("pump_kp_per_k", self.pump_kp_per_k, 0.0, 10.0)?;
        range("fan_kp_per_k", self.fan_kp_per_k, 0.0, 10.0)?;
        range("pump_rated_power_w", self.pump_rated_power_w, 0.0, 20_000.0)?;
        range("fan_rated_power_w", self.fan_rated_power_w, 0.0, 20_000.0)?;
        range(
            "electronics_power_w",
            self.electronics_power_w,
            0.0,
            1_000.0,
        )?;
        for name in self.alarm_actions.keys().chain(self.pump_off_alarms.iter()) {
            if name.is_empty() || name.len() > 64 {
                return Err(SettingsError {
                    key: "alarm_actions",
                    reason: format!("alarm name {name:?} must be 1–64 characters"),
                });
            }
        }
        Ok(())
    }
}
