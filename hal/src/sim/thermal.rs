//! The thermal plant of a liquid-cooled DC connector and the sensor chain that measures it:
//! pure, time-injected models (the functional core of the simulated cooling unit, in-process
//! and behind the Modbus simulator alike, and of the thermal benchmark).
//!
//! # The plant ([`ThermalPlant`])
//!
//! Four thermal nodes, each a lumped capacitance (thermal reference §3, first-order model):
//!
//! * **two contact pins** (DC+, DC−): `C·dT/dt = I²·R(T) − G_pin(flow)·(T − T_coolant)`, with
//!   `R(T) = R₀·(1 + α·(T − T₀))` (copper, α = 0.00393 /K). DC− has a slightly lower contact
//!   resistance than DC+ (two real contacts are never equal), so DC+ is the hottest pin and a
//!   failed DC+ sensor leaves a controller looking at the cooler one;
//! * **the cable** (both conductors as one node): its own `I²·R(T)` heat into the coolant;
//! * **the coolant loop** (one well-mixed node): it takes the pins' and the cable's heat and
//!   gives it through the heat exchanger to the ambient air, plus a little through the pipes.
//!
//! Conductances depend on the cooling unit's state: the pin and cable conductance to the
//! coolant rise with flow as forced convection does (`∝ flow^0.8`, Dittus–Boelter) from a
//! still-coolant value (conduction and natural convection only) to the nominal-flow value; the
//! heat exchanger's air side rises linearly with fan speed from natural convection, and in
//! series with it the coolant can carry at most `ṁ·c_p` watts per kelvin, so with no flow the
//! exchanger removes (almost) nothing. The reported inlet and outlet temperatures are the
//! loop's mean minus and plus half the rise `Q/(ṁ·c_p)` across the connector and cable.
//!
//! Integration: explicit Euler in sub-steps no longer than a quarter of the fastest node's
//! time constant (and at most 0.5 s), so any `dt` a caller gives is stable; temperatures are
//! bounded (a thermal runaway, `I²·R₀·α > G`, saturates instead of overflowing).
//!
//! Disturbances for scenarios and fault injection ([`Disturbance`]): a degraded pump (its
//! flow times a factor), a step in the coolant's inlet temperature (a chiller or an
//! upstream loop running hot: the loop jumps by the step and the exchanger's sink stays that
//! much warmer), and the ambient temperature (−30 to 60 °C).
//!
//! # The sensor chain ([`SensorChain`])
//!
//! The derating limit is on the *true* pin temperature; a controller sees what the chain
//! makes of it: a Pt1000's first-order lag (its time constant in the pin), deterministic
//! seeded noise, quantisation to the converter's resolution, sample-and-hold at the Modbus
//! poll period, and open- or short-circuit sentinels when a sensor fails ([`SensorFault`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Copper's temperature coefficient of resistance near 20 °C, per kelvin.
pub const COPPER_ALPHA_PER_K: f64 = 0.00393;

/// Temperatures are kept inside this range, whatever the inputs (a runaway saturates).
const TEMPERATURE_BOUNDS_C: (f64, f64) = (-80.0, 1500.0);

/// Forced-convection exponent: heat transfer to the coolant ∝ flow^0.8 (Dittus–Boelter).
const CONVECTION_FLOW_EXPONENT: f64 = 0.8;

/// The physical make-up of a liquid-cooled connector, its cable and its cooling unit.
///
/// Defaults describe a 500 A liquid-cooled HPC connector (IEC TS 62196-3-1 covers ≤ 500 A
/// with thermal sensing and transport) chosen so that derating matters: at 25 °C ambient the
/// pins hold 500 A below the 90 °C limit with full cooling; at 45 °C ambient they hold about
/// 435 A, and 500 A would take them to about 105 °C. Where the thermal reference
/// (`thermal-modbus-power.md` §1, §3) gives figures they are used; where it is silent the
/// value is an engineering estimate, explained on the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalPlantParams {
    /// Ambient air temperature, °C (−30 to 60). Default 25.
    pub ambient_c: f64,
    /// DC+ contact-plus-pin resistance at `resistance_reference_c`, Ω. Default 100 µΩ (the
    /// reference's 50–200 µΩ range).
    pub pin_resistance_ohm: f64,
    /// DC−'s contact resistance relative to DC+ (0.5–1.5). Default 0.95: two contacts are
    /// never equal, and DC+ is then the hottest pin.
    pub dc_minus_resistance_ratio: f64,
    /// Temperature at which the resistances are given, °C. Default 20.
    pub resistance_reference_c: f64,
    /// Temperature coefficient of the pins' and cable's resistance, per K. Default 0.00393
    /// (copper, as the reference's model uses).
    pub resistance_temp_coeff_per_k: f64,
    /// Each pin's thermal capacitance, J/K. Default 30 (≈ 75 g of copper; the reference's
    /// 12–40 J/K range).
    pub pin_heat_capacity_j_per_k: f64,
    /// Thermal resistance pin → coolant at nominal flow, K/W. Default 1.5 (the reference's
    /// 0.5–2 K/W range; with 30 J/K a time constant of 45 s, inside its 10–80 s).
    pub pin_to_coolant_k_per_w: f64,
    /// Thermal resistance pin → coolant with the coolant standing still, K/W. Default 4.0
    /// (estimate: conduction through the insulation and still liquid only, about 2.7 times
    /// worse than with flow).
    pub pin_to_coolant_still_k_per_w: f64,
    /// Both cable conductors together at `resistance_reference_c`, Ω. Default 3.44 mΩ: 2 × 5 m
    /// of 50 mm² copper (ρ = 1.72e-8 Ω·m), ≈ 0.9 kW at 500 A, the order the reference's
    /// 1.48 kW/m/pole at 3000 A on 105 mm² scales to.
    pub cable_resistance_ohm: f64,
    /// The cable's thermal capacitance, J/K. Default 4000 (≈ 4.5 kg of copper plus jacket
    /// and the coolant inside it).
    pub cable_heat_capacity_j_per_k: f64,
    /// Thermal conductance cable → coolant at nominal flow, W/K. Default 200 (the conductors
    /// sit in the coolant: ≈ 4.5 K above it at 500 A).
    pub cable_to_coolant_w_per_k: f64,
    /// Thermal conductance cable → coolant with the coolant standing still, W/K. Default 15.
    pub cable_to_coolant_still_w_per_k: f64,
    /// The coolant loop's thermal capacitance (coolant, reservoir, exchanger metal), J/K.
    /// Default 25 000 (≈ 6 l of water-glycol plus metal; a loop time constant of minutes).
    pub coolant_heat_capacity_j_per_k: f64,
    /// Coolant flow with the pump at 100 %, l/min. Default 30 (the cooling-unit simulator's
    /// nominal flow, which its Modbus readings have always reported).
    pub nominal_flow_l_min: f64,
    /// The coolant's volumetric heat capacity, J/(l·K). Default 3600 (50 % water-glycol:
    /// 3.4 kJ/(kg·K) × 1.06 kg/l).
    pub coolant_heat_j_per_l_k: f64,
    /// Heat-exchanger conductance to the air with the fan stopped, W/K. Default 15 (natural
    /// convection through the radiator).
    pub exchanger_fan_off_w_per_k: f64,
    /// Heat-exchanger conductance to the air with the fan at 100 %, W/K. Default 100: the
    /// loop runs ≈ 10 K above ambient at 500 A (about 1 kW of heat).
    pub exchanger_fan_full_w_per_k: f64,
    /// The loop's own loss to ambient through pipes and hoses, W/K. Default 3.
    pub loop_to_ambient_w_per_k: f64,
    /// The cooling unit's pump draw at 100 % speed, W. Default 250 (estimate: 30 l/min at
    /// ≈ 2 bar is 100 W of hydraulic power, at ≈ 40 % pump efficiency). The draw follows the
    /// affinity laws: speed³.
    pub pump_rated_power_w: f64,
    /// The heat-exchanger fan's draw at 100 % speed, W. Default 300 (estimate: axial fans
    /// moving the air that takes ≈ 1 kW at 10 K). Also speed³.
    pub fan_rated_power_w: f64,
    /// The unit's controller and sensors, drawn whether the loop runs or not, W. Default 15.
    pub electronics_power_w: f64,
}

impl Default for ThermalPlantParams {
    fn default() -> Self {
        ThermalPlantParams {
            ambient_c: 25.0,
            pin_resistance_ohm: 100e-6,
            dc_minus_resistance_ratio: 0.95,
            resistance_reference_c: 20.0,
            resistance_temp_coeff_per_k: COPPER_ALPHA_PER_K,
            pin_heat_capacity_j_per_k: 30.0,
            pin_to_coolant_k_per_w: 1.5,
            pin_to_coolant_still_k_per_w: 4.0,
            cable_resistance_ohm: 3.44e-3,
            cable_heat_capacity_j_per_k: 4000.0,
            cable_to_coolant_w_per_k: 200.0,
            cable_to_coolant_still_w_per_k: 15.0,
            coolant_heat_capacity_j_per_k: 25_000.0,
            nominal_flow_l_min: 30.0,
            coolant_heat_j_per_l_k: 3600.0,
            exchanger_fan_off_w_per_k: 15.0,
            exchanger_fan_full_w_per_k: 100.0,
            loop_to_ambient_w_per_k: 3.0,
            pump_rated_power_w: 250.0,
            fan_rated_power_w: 300.0,
            electronics_power_w: 15.0,
        }
    }
}

/// Checks one value against its range; the error names the key (relative to the section).
fn check_range(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), (String, String)> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err((
            key.to_string(),
            format!("{value} must be between {lo} and {hi}"),
        ))
    }
}

impl ThermalPlantParams {
    /// Every value in its plausible range; `Err((key, reason))` names the first that is not.
    pub fn validate(&self) -> Result<(), (String, String)> {
        check_range("ambient_c", self.ambient_c, -30.0, 60.0)?;
        check_range("pin_resistance_ohm", self.pin_resistance_ohm, 1e-6, 5e-3)?;
        check_range(
            "dc_minus_resistance_ratio",
            self.dc_minus_resistance_ratio,
            0.5,
            1.5,
        )?;
        check_range(
            "resistance_reference_c",
            self.resistance_reference_c,
            -40.0,
            100.0,
        )?;
        check_range(
            "resistance_temp_coeff_per_k",
            self.resistance_temp_coeff_per_k,
            0.0,
            0.01,
        )?;
        check_range(
            "pin_heat_capacity_j_per_k",
            self.pin_heat_capacity_j_per_k,
            1.0,
            10_000.0,
        )?;
        check_range(
            "pin_to_coolant_k_per_w",
            self.pin_to_coolant_k_per_w,
            0.01,
            100.0,
        )?;
        check_range(
            "pin_to_coolant_still_k_per_w",
            self.pin_to_coolant_still_k_per_w,
            self.pin_to_coolant_k_per_w,
            1000.0,
        )?;
        check_range("cable_resistance_ohm", self.cable_resistance_ohm, 0.0, 0.1)?;
        check_range(
            "cable_heat_capacity_j_per_k",
            self.cable_heat_capacity_j_per_k,
            10.0,
            1e6,
        )?;
        check_range(
            "cable_to_coolant_w_per_k",
            self.cable_to_coolant_w_per_k,
            0.1,
            1e5,
        )?;
        check_range(
            "cable_to_coolant_still_w_per_k",
            self.cable_to_coolant_still_w_per_k,
            0.01,
            self.cable_to_coolant_w_per_k,
        )?;
        check_range(
            "coolant_heat_capacity_j_per_k",
            self.coolant_heat_capacity_j_per_k,
            100.0,
            1e7,
        )?;
        check_range("nominal_flow_l_min", self.nominal_flow_l_min, 0.1, 1000.0)?;
        check_range(
            "coolant_heat_j_per_l_k",
            self.coolant_heat_j_per_l_k,
            500.0,
            10_000.0,
        )?;
        check_range(
            "exchanger_fan_off_w_per_k",
            self.exchanger_fan_off_w_per_k,
            0.0,
            1e5,
        )?;
        check_range(
            "exchanger_fan_full_w_per_k",
            self.exchanger_fan_full_w_per_k,
            self.exchanger_fan_off_w_per_k,
            1e5,
        )?;
        check_range(
            "loop_to_ambient_w_per_k",
            self.loop_to_ambient_w_per_k,
            0.0,
            1e4,
        )?;
        check_range("pump_rated_power_w", self.pump_rated_power_w, 0.0, 20_000.0)?;
        check_range("fan_rated_power_w", self.fan_rated_power_w, 0.0, 20_000.0)?;
        check_range(
            "electronics_power_w",
            self.electronics_power_w,
            0.0,
            1_000.0,
        )?;
        Ok(())
    }

    /// What the cooling unit draws from the station's auxiliary supply, W: its electronics
    /// always, its pump and fan while the loop runs, each as the cube of its speed (0–1).
    pub fn cooling_unit_power_w(&self, run: bool, pump: f64, fan: f64) -> f64 {
        let cube = |v: f64| {
            if v.is_finite() {
                v.clamp(0.0, 1.0).powi(3)
            } else {
                0.0
            }
        };
        let loop_w = if run {
            self.pump_rated_power_w * cube(pump) + self.fan_rated_power_w * cube(fan)
        } else {
            0.0
        };
        self.electronics_power_w + loop_w
    }

    /// Resistance of a conductor whose resistance at the reference temperature is `r0`.
    fn resistance(&self, r0: f64, temp_c: f64) -> f64 {
        r0 * (1.0 + self.resistance_temp_coeff_per_k * (temp_c - self.resistance_reference_c))
            .max(0.0)
    }

    /// The pins' resistances at the reference temperature, DC+ then DC−.
    fn pin_r0(&self) -> [f64; 2] {
        [
            self.pin_resistance_ohm,
            self.pin_resistance_ohm * self.dc_minus_resistance_ratio,
        ]
    }

    /// Conductance rising with flow as forced convection does, from `still` to `nominal`.
    fn convective(still: f64, nominal: f64, flow_ratio: f64) -> f64 {
        still + (nominal - still) * flow_ratio.max(0.0).powf(CONVECTION_FLOW_EXPONENT)
    }

    /// Pin → coolant conductance, W/K, at a flow ratio (1.0 = nominal flow).
    pub fn pin_conductance(&self, flow_ratio: f64) -> f64 {
        Self::convective(
            1.0 / self.pin_to_coolant_still_k_per_w,
            1.0 / self.pin_to_coolant_k_per_w,
            flow_ratio,
        )
    }

    /// Cable → coolant conductance, W/K.
    pub fn cable_conductance(&self, flow_ratio: f64) -> f64 {
        Self::convective(
            self.cable_to_coolant_still_w_per_k,
            self.cable_to_coolant_w_per_k,
            flow_ratio,
        )
    }

    /// The coolant's capacity flow `ṁ·c_p`, W/K.
    pub fn capacity_flow(&self, flow_ratio: f64) -> f64 {
        self.nominal_flow_l_min * flow_ratio.max(0.0) / 60.0 * self.coolant_heat_j_per_l_k
    }

    /// Coolant → sink conductance through the heat exchanger, W/K: the air side (fan) in
    /// series with what the flowing coolant can carry.
    pub fn exchanger_conductance(&self, flow_ratio: f64, fan: f64) -> f64 {
        let air = self.exchanger_fan_off_w_per_k
            + (self.exchanger_fan_full_w_per_k - self.exchanger_fan_off_w_per_k)
                * fan.clamp(0.0, 1.0);
        let carry = self.capacity_flow(flow_ratio);
        if air <= 0.0 || carry <= 0.0 {
            0.0
        } else {
            1.0 / (1.0 / air + 1.0 / carry)
        }
    }
}

/// A disturbance a scenario or a technician applies to the plant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Disturbance {
    /// The pump delivers only this fraction (0–1) of the flow it is commanded.
    PumpDegraded { flow_factor: f64 },
    /// The coolant's inlet temperature steps up by this many kelvin, and stays up.
    CoolantInletStep { kelvin: f64 },
    /// The ambient air temperature, °C (clamped to −30–60).
    Ambient { celsius: f64 },
}

/// The true temperatures of the plant, °C.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlantTemperatures {
    pub pin_dc_plus: f64,
    pub pin_dc_minus: f64,
    pub cable: f64,
    /// The loop's mean coolant temperature.
    pub coolant: f64,
    /// Coolant entering the cable and connector.
    pub coolant_inlet: f64,
    /// Coolant leaving them, back to the unit.
    pub coolant_outlet: f64,
}

impl PlantTemperatures {
    pub fn hottest_pin(&self) -> f64 {
        self.pin_dc_plus.max(self.pin_dc_minus)
    }
}

/// The connector's thermal plant. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalPlant {
    params: ThermalPlantParams,
    /// DC+, DC−.
    pins: [f64; 2],
    cable: f64,
    coolant: f64,
    current_a: f64,
    run: bool,
    pump: f64,
    fan: f64,
    ambient_c: f64,
    pump_factor: f64,
    inlet_offset_k: f64,
}

impl ThermalPlant {
    /// A plant soaked at its ambient temperature, cooling unit stopped, no current.
    pub fn new(params: ThermalPlantParams) -> Self {
        let ambient = params.ambient_c.clamp(-30.0, 60.0);
        ThermalPlant {
            pins: [ambient; 2],
            cable: ambient,
            coolant: ambient,
            current_a: 0.0,
            run: false,
            pump: 0.0,
            fan: 0.0,
            ambient_c: ambient,
            pump_factor: 1.0,
            inlet_offset_k: 0.0,
            params,
        }
    }

    pub fn params(&self) -> &ThermalPlantParams {
        &self.params
    }

    /// The current through the connector (both pins carry it), A; the sign does not matter.
    pub fn set_current(&mut self, amps: f64) {
        self.current_a = if amps.is_finite() { amps.abs() } else { 0.0 };
    }

    pub fn current(&self) -> f64 {
        self.current_a
    }

    /// The cooling unit's state: loop running, pump and fan speed as ratios 0–1.
    pub fn set_cooling(&mut self, run: bool, pump: f64, fan: f64) {
        let ratio = |v: f64| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        self.run = run;
        self.pump = ratio(pump);
        self.fan = ratio(fan);
    }

    /// Whether the loop runs, the pump and the fan ratios as commanded.
    pub fn cooling(&self) -> (bool, f64, f64) {
        (self.run, self.pump, self.fan)
    }

    /// The cooling unit's electrical draw at its present pump and fan speeds, W
    /// ([`ThermalPlantParams::cooling_unit_power_w`]).
    pub fn cooling_unit_power_w(&self) -> f64 {
        self.params
            .cooling_unit_power_w(self.run, self.pump, self.fan)
    }

    pub fn disturb(&mut self, d: Disturbance) {
        match d {
            Disturbance::PumpDegraded { flow_factor } => {
                self.pump_factor = if flow_factor.is_finite() {
                    flow_factor.clamp(0.0, 1.0)
                } else {
                    1.0
                };
            }
            Disturbance::CoolantInletStep { kelvin } if kelvin.is_finite() => {
                let k = kelvin.clamp(-50.0, 50.0);
                self.inlet_offset_k += k;
                self.coolant = clamp_temperature(self.coolant + k);
            }
            Disturbance::CoolantInletStep { .. } => {}
            Disturbance::Ambient { celsius } if celsius.is_finite() => {
                self.ambient_c = celsius.clamp(-30.0, 60.0);
            }
            Disturbance::Ambient { .. } => {}
        }
    }

    /// Undo the pump and coolant disturbances (the ambient stays as set).
    pub fn clear_disturbances(&mut self) {
        self.pump_factor = 1.0;
        self.inlet_offset_k = 0.0;
    }

    pub fn ambient_c(&self) -> f64 {
        self.ambient_c
    }

    /// Flow as a ratio of the nominal flow (what the pump delivers, degraded or not).
    pub fn flow_ratio(&self) -> f64 {
        if self.run {
            self.pump * self.pump_factor
        } else {
            0.0
        }
    }

    /// Coolant flow, l/min.
    pub fn flow_l_min(&self) -> f64 {
        self.params.nominal_flow_l_min * self.flow_ratio()
    }

    /// The exchanger's sink: the ambient air plus the coolant inlet disturbance.
    fn sink_c(&self) -> f64 {
        self.ambient_c + self.inlet_offset_k
    }

    /// Conductances at the present cooling state: pin, cable, exchanger, loop loss.
    fn conductances(&self) -> [f64; 4] {
        let p = &self.params;
        let flow = self.flow_ratio();
        let fan = if self.run { self.fan } else { 0.0 };
        [
            p.pin_conductance(flow),
            p.cable_conductance(flow),
            p.exchanger_conductance(flow, fan),
            p.loop_to_ambient_w_per_k,
        ]
    }

    /// The longest stable explicit-Euler sub-step at the present state, s.
    fn max_sub_step(&self, g: &[f64; 4]) -> f64 {
        let p = &self.params;
        let [g_pin, g_cab, g_hx, g_loss] = *g;
        let taus = [
            p.pin_heat_capacity_j_per_k / g_pin.max(1e-9),
            p.cable_heat_capacity_j_per_k / g_cab.max(1e-9),
            p.coolant_heat_capacity_j_per_k / (2.0 * g_pin + g_cab + g_hx + g_loss).max(1e-9),
        ];
        let tau_min = taus.into_iter().fold(f64::INFINITY, f64::min);
        (0.25 * tau_min).clamp(1e-4, 0.5)
    }

    /// Advance the plant by `dt`.
    pub fn step(&mut self, dt: Duration) {
        let total = dt.as_secs_f64();
        if total <= 0.0 {
            return;
        }
        let g = self.conductances();
        let [g_pin, g_cab, g_hx, g_loss] = g;
        let n = (total / self.max_sub_step(&g)).ceil().clamp(1.0, 100_000.0);
        let h = total / n;
        let p = &self.params;
        let i2 = self.current_a * self.current_a;
        let r0 = p.pin_r0();
        let sink = self.sink_c();
        for _ in 0..(n as u32) {
            let tc = self.coolant;
            let mut into_coolant = 0.0;
            for (t, r0) in self.pins.iter_mut().zip(r0) {
                let out = g_pin * (*t - tc);
                let gen = i2 * p.resistance(r0, *t);
                *t = clamp_temperature(*t + h * (gen - out) / p.pin_heat_capacity_j_per_k);
                into_coolant += out;
            }
            let out = g_cab * (self.cable - tc);
            let gen = i2 * p.resistance(p.cable_resistance_ohm, self.cable);
            self.cable =
                clamp_temperature(self.cable + h * (gen - out) / p.cable_heat_capacity_j_per_k);
            into_coolant += out;
            let rejected = g_hx * (tc - sink) + g_loss * (tc - self.ambient_c);
            self.coolant = clamp_temperature(
                tc + h * (into_coolant - rejected) / p.coolant_heat_capacity_j_per_k,
            );
        }
    }

    /// Heat flowing from the pins and the cable into the coolant now, W.
    fn heat_into_coolant(&self) -> f64 {
        let [g_pin, g_cab, ..] = self.conductances();
        g_pin * (self.pins[0] + self.pins[1] - 2.0 * self.coolant)
            + g_cab * (self.cable - self.coolant)
    }

    pub fn temperatures(&self) -> PlantTemperatures {
        let (inlet, outlet) = inlet_outlet(
            self.coolant,
            self.heat_into_coolant(),
            self.params.capacity_flow(self.flow_ratio()),
        );
        PlantTemperatures {
            pin_dc_plus: self.pins[0],
            pin_dc_minus: self.pins[1],
            cable: self.cable,
            coolant: self.coolant,
            coolant_inlet: inlet,
            coolant_outlet: outlet,
        }
    }

    /// The current that holds the hottest pin exactly at `limit_c` given the coolant as it is
    /// now (each pin's `dT/dt = 0` at the limit), A; 0 when the coolant is at or above the
    /// limit. The perfect-knowledge controller of the benchmark's optimum uses it.
    pub fn holding_current(&self, limit_c: f64) -> f64 {
        let p = &self.params;
        let [g_pin, ..] = self.conductances();
        let headroom = limit_c - self.coolant;
        if headroom <= 0.0 {
            return 0.0;
        }
        p.pin_r0()
            .into_iter()
            .map(|r0| {
                let r = p.resistance(r0, limit_c);
                if r > 0.0 {
                    (g_pin * headroom / r).sqrt()
                } else {
                    f64::INFINITY
                }
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// The analytic equilibrium of this plant at a constant `current` with its present
    /// cooling state, ambient and disturbances; `None` past thermal runaway (the heat grows
    /// faster with temperature than the conductances carry it away).
    ///
    /// Each conductor's heat `I²·R₀·(1 + α·(T − T₀))` is linear in its temperature, so the
    /// steady state is a linear system: each conductor's temperature follows from the
    /// coolant's, and the coolant's from the balance of heat generated and rejected.
    pub fn steady_state(&self, current: f64) -> Option<PlantTemperatures> {
        let p = &self.params;
        let [g_pin, g_cab, g_hx, g_loss] = self.conductances();
        let i2 = current * current;
        // A conductor of resistance r0 at T₀: heat a + b·T, and in steady state
        // T = (a + G·Tc)/(G − b); its heat into the coolant G·(T − Tc) = G·(a + b·Tc)/(G − b).
        let conductor = |r0: f64, g: f64| -> Option<(f64, f64, f64)> {
            let b = i2 * r0 * p.resistance_temp_coeff_per_k;
            let a = i2 * r0 * (1.0 - p.resistance_temp_coeff_per_k * p.resistance_reference_c);
            (g - b > 1e-12).then_some((a, b, g))
        };
        let [rp, rm] = p.pin_r0();
        let parts = [
            conductor(rp, g_pin)?,
            conductor(rm, g_pin)?,
            conductor(p.cable_resistance_ohm, g_cab)?,
        ];
        // Heat into the coolant = A + B·Tc.
        let (big_a, big_b) = parts.iter().fold((0.0, 0.0), |(sa, sb), (a, b, g)| {
            (sa + g * a / (g - b), sb + g * b / (g - b))
        });
        let denom = g_hx + g_loss - big_b;
        if denom <= 1e-12 {
            return None;
        }
        let tc = (big_a + g_hx * self.sink_c() + g_loss * self.ambient_c) / denom;
        let at = |(a, b, g): (f64, f64, f64)| (a + g * tc) / (g - b);
        let [plus, minus, cable] = parts.map(at);
        let heat = big_a + big_b * tc;
        let (inlet, outlet) = inlet_outlet(tc, heat, p.capacity_flow(self.flow_ratio()));
        Some(PlantTemperatures {
            pin_dc_plus: plus,
            pin_dc_minus: minus,
            cable,
            coolant: tc,
            coolant_inlet: inlet,
            coolant_outlet: outlet,
        })
    }
}

fn clamp_temperature(t: f64) -> f64 {
    if t.is_nan() {
        TEMPERATURE_BOUNDS_C.1
    } else {
        t.clamp(TEMPERATURE_BOUNDS_C.0, TEMPERATURE_BOUNDS_C.1)
    }
}

/// Inlet and outlet around the loop's mean: half the rise `Q/(ṁ·c_p)` each way (bounded).
fn inlet_outlet(mean: f64, heat_w: f64, capacity_flow: f64) -> (f64, f64) {
    if capacity_flow > 1e-9 {
        let half = (heat_w / capacity_flow / 2.0).clamp(-50.0, 50.0);
        (mean - half, mean + half)
    } else {
        (mean, mean)
    }
}

// ---------------------------------------------------------------------------------------------
// Sensor chain

/// How the cooling unit's temperature sensors and their converter behave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensorChainParams {
    /// The Pt1000's first-order time constant in its pin or pipe, s (0 = no lag). Default
    /// 3 s (a sheathed element pressed into a contact: a few seconds).
    pub time_constant_s: f64,
    /// The converter's resolution, K. Default 0.1 (the shipped profile's 0.1 °C register).
    pub resolution_k: f64,
    /// Standard deviation of the measurement noise, K. Default 0.05.
    pub noise_k: f64,
    /// Poll rate of the temperatures, Hz: the value is sampled and held between polls (0 =
    /// every step, where a real Modbus poll does the holding). Default 10 (the shipped
    /// profile's temperature group).
    pub poll_hz: f64,
    /// Seed of the noise (deterministic runs). Default 1.
    pub seed: u64,
    /// The pin sensors' systematic error, K (what they read minus the truth; −5 to 5).
    /// Default 0. A Pt1000 of tolerance class B (IEC 60751) may be off by
    /// ±(0.3 + 0.005·|t|) K: ±0.75 K at 90 °C, and −0.75 K (reading low) is the case that
    /// endangers the limit.
    pub pin_offset_k: f64,
}

impl Default for SensorChainParams {
    fn default() -> Self {
        SensorChainParams {
            time_constant_s: 3.0,
            resolution_k: 0.1,
            noise_k: 0.05,
            poll_hz: 10.0,
            seed: 1,
            pin_offset_k: 0.0,
        }
    }
}

impl SensorChainParams {
    /// Every value in its range; `Err((key, reason))` names the first that is not.
    pub fn validate(&self) -> Result<(), (String, String)> {
        check_range("time_constant_s", self.time_constant_s, 0.0, 120.0)?;
        check_range("resolution_k", self.resolution_k, 0.0, 5.0)?;
        check_range("noise_k", self.noise_k, 0.0, 5.0)?;
        check_range("pin_offset_k", self.pin_offset_k, -5.0, 5.0)?;
        if self.poll_hz != 0.0 {
            check_range("poll_hz", self.poll_hz, 0.5, 100.0)
                .map_err(|(k, r)| (k, format!("{r} (or 0: sampled every step)")))?;
        }
        Ok(())
    }
}

/// One sensor's measurement as the converter reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Measured {
    Value(f64),
    /// Open circuit: the converter's overrange sentinel.
    Open,
    /// Short circuit: the converter's underrange sentinel.
    Short,
}

impl Measured {
    /// The value, `None` for a sentinel.
    pub fn value(self) -> Option<f64> {
        match self {
            Measured::Value(v) => Some(v),
            Measured::Open | Measured::Short => None,
        }
    }
}

/// A failed sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensorFault {
    Open,
    Short,
}

/// The cooling unit's temperature sensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensorId {
    PinDcPlus,
    PinDcMinus,
    CoolantInlet,
    CoolantOutlet,
}

impl SensorId {
    pub const ALL: [SensorId; 4] = [
        SensorId::PinDcPlus,
        SensorId::PinDcMinus,
        SensorId::CoolantInlet,
        SensorId::CoolantOutlet,
    ];

    fn index(self) -> usize {
        match self {
            SensorId::PinDcPlus => 0,
            SensorId::PinDcMinus => 1,
            SensorId::CoolantInlet => 2,
            SensorId::CoolantOutlet => 3,
        }
    }

    fn truth(self, t: &PlantTemperatures) -> f64 {
        match self {
            SensorId::PinDcPlus => t.pin_dc_plus,
            SensorId::PinDcMinus => t.pin_dc_minus,
            SensorId::CoolantInlet => t.coolant_inlet,
            SensorId::CoolantOutlet => t.coolant_outlet,
        }
    }
}

/// What the converter reports for the four sensors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeasuredTemperatures {
    pub pin_dc_plus: Measured,
    pub pin_dc_minus: Measured,
    pub coolant_inlet: Measured,
    pub coolant_outlet: Measured,
}

impl MeasuredTemperatures {
    pub fn get(&self, id: SensorId) -> Measured {
        match id {
            SensorId::PinDcPlus => self.pin_dc_plus,
            SensorId::PinDcMinus => self.pin_dc_minus,
            SensorId::CoolantInlet => self.coolant_inlet,
            SensorId::CoolantOutlet => self.coolant_outlet,
        }
    }
}

/// xorshift64* (Vigna): small, fast, deterministic; plenty for measurement noise.
#[derive(Debug, Clone, PartialEq)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // A zero state would stay zero.
        XorShift((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately standard normal: the sum of four uniforms, centred and scaled to unit
    /// variance (bounded at ±3.46, which a measurement's noise should be anyway).
    fn normal(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.uniform()).sum();
        (sum - 2.0) * 3.0f64.sqrt()
    }
}

/// The sensor chain. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorChain {
    params: SensorChainParams,
    /// Each sensor's element temperature (the lagged truth), once initialised.
    element: Option<[f64; 4]>,
    faults: [Option<SensorFault>; 4],
    held: Option<MeasuredTemperatures>,
    since_sample: f64,
    rng: XorShift,
}

impl SensorChain {
    pub fn new(params: SensorChainParams) -> Self {
        SensorChain {
            rng: XorShift::new(params.seed),
            params,
            element: None,
            faults: [None; 4],
            held: None,
            since_sample: 0.0,
        }
    }

    pub fn params(&self) -> &SensorChainParams {
        &self.params
    }

    /// Fail a sensor (`Some`) or repair it (`None`).
    pub fn set_fault(&mut self, id: SensorId, fault: Option<SensorFault>) {
        self.faults[id.index()] = fault;
    }

    pub fn clear_faults(&mut self) {
        self.faults = [None; 4];
    }

    /// Advance the sensors by `dt` towards the plant's true temperatures; true when a new
    /// sample was taken (a poll).
    pub fn step(&mut self, dt: Duration, truth: &PlantTemperatures) -> bool {
        let dt = dt.as_secs_f64().max(0.0);
        let target = SensorId::ALL.map(|id| id.truth(truth));
        let element = match self.element.as_mut() {
            None => {
                // Sensors start at the temperature of what they sit in.
                self.element = Some(target);
                self.since_sample = f64::INFINITY;
                self.element.as_mut()
            }
            Some(e) => {
                let k = if self.params.time_constant_s > 0.0 {
                    1.0 - (-dt / self.params.time_constant_s).exp()
                } else {
                    1.0
                };
                for (e, t) in e.iter_mut().zip(target) {
                    *e += (t - *e) * k;
                }
                self.since_sample += dt;
                Some(e)
            }
        };
        let Some(element) = element.copied() else {
            return false;
        };
        let period = if self.params.poll_hz > 0.0 {
            1.0 / self.params.poll_hz
        } else {
            0.0
        };
        // A little tolerance: a poll period that is a whole number of steps in exact
        // arithmetic must not slip by one step to float rounding.
        if self.held.is_some() && self.since_sample + 1e-9 < period {
            return false;
        }
        self.since_sample = if self.since_sample.is_finite() && period > 0.0 {
            (self.since_sample - period).clamp(0.0, period)
        } else {
            0.0
        };
        let sample = SensorId::ALL.map(|id| self.convert(id, element[id.index()]));
        self.held = Some(MeasuredTemperatures {
            pin_dc_plus: sample[0],
            pin_dc_minus: sample[1],
            coolant_inlet: sample[2],
            coolant_outlet: sample[3],
        });
        true
    }

    fn convert(&mut self, id: SensorId, element: f64) -> Measured {
        // Draw noise for every sensor every sample, failed or not, so one sensor's failure
        // does not change the others' noise sequence.
        let noise = self.rng.normal() * self.params.noise_k;
        match self.faults[id.index()] {
            Some(SensorFault::Open) => Measured::Open,
            Some(SensorFault::Short) => Measured::Short,
            None => {
                let offset = match id {
                    SensorId::PinDcPlus | SensorId::PinDcMinus => self.params.pin_offset_k,
                    SensorId::CoolantInlet | SensorId::CoolantOutlet => 0.0,
                };
                let v = element + offset + noise;
                let res = self.params.resolution_k;
                Measured::Value(if res > 0.0 {
                    (v / res).round() * res
                } else {
                    v
                })
            }
        }
    }

    /// The latest sample (held between polls); `None` before the first step.
    pub fn measured(&self) -> Option<MeasuredTemperatures> {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: (bool, f64, f64) = (true, 1.0, 1.0);

    fn plant(ambient: f64) -> ThermalPlant {
        let mut p = ThermalPlant::new(ThermalPlantParams {
            ambient_c: ambient,
            ..ThermalPlantParams::default()
        });
        p.set_cooling(FULL.0, FULL.1, FULL.2);
        p
    }

    /// Run `p` at `current` for `secs` in steps of `step`.
    fn run(p: &mut ThermalPlant, current: f64, secs: u64, step: Duration) {
        p.set_current(current);
        let n = Duration::from_secs(secs).as_nanos() / step.as_nanos();
        for _ in 0..n {
            p.step(step);
        }
    }

    #[test]
    fn defaults_are_valid_and_ranges_name_the_key() {
        assert_eq!(ThermalPlantParams::default().validate(), Ok(()));
        assert_eq!(SensorChainParams::default().validate(), Ok(()));
        let bad = ThermalPlantParams {
            ambient_c: 70.0,
            ..ThermalPlantParams::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "ambient_c");
        let bad = ThermalPlantParams {
            pin_to_coolant_still_k_per_w: 1.0, // better than with flow
            ..ThermalPlantParams::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().0,
            "pin_to_coolant_still_k_per_w"
        );
        let bad = ThermalPlantParams {
            nominal_flow_l_min: f64::NAN,
            ..ThermalPlantParams::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "nominal_flow_l_min");
        let bad = SensorChainParams {
            poll_hz: 0.1,
            ..SensorChainParams::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "poll_hz");
    }

    /// The integration settles on the analytic equilibrium, whatever step the caller takes.
    #[test]
    fn steady_state_matches_the_analytic_equilibrium() {
        for step in [
            Duration::from_millis(10),
            Duration::from_secs(1),
            Duration::from_secs(7),
        ] {
            let mut p = plant(35.0);
            run(&mut p, 420.0, 4 * 3600, step);
            let want = p.steady_state(420.0).unwrap();
            let got = p.temperatures();
            for (g, w) in [
                (got.pin_dc_plus, want.pin_dc_plus),
                (got.pin_dc_minus, want.pin_dc_minus),
                (got.cable, want.cable),
                (got.coolant, want.coolant),
                (got.coolant_inlet, want.coolant_inlet),
                (got.coolant_outlet, want.coolant_outlet),
            ] {
                assert!((g - w).abs() < 0.01, "{step:?}: {got:?} vs {want:?}");
            }
            // DC+ has the higher contact resistance: it is the hotter pin.
            assert!(got.pin_dc_plus > got.pin_dc_minus + 0.5, "{got:?}");
            assert!(got.coolant_outlet > got.coolant_inlet, "{got:?}");
        }
    }

    /// The defaults make derating matter: 500 A (a 600 A request capped at the rating) is
    /// too much at 45 °C and fine at 25 °C; 350–430 A is sustainable at 45 °C.
    #[test]
    fn defaults_overheat_at_500_a_on_a_hot_day_but_hold_430_a() {
        let hot = plant(45.0);
        let at = |p: &ThermalPlant, i: f64| p.steady_state(i).unwrap().hottest_pin();
        assert!(at(&hot, 500.0) > 100.0, "{}", at(&hot, 500.0));
        assert!(at(&hot, 430.0) < 90.0, "{}", at(&hot, 430.0));
        assert!(at(&hot, 440.0) > 90.0, "{}", at(&hot, 440.0));
        assert!(at(&hot, 350.0) < 80.0, "{}", at(&hot, 350.0));
        assert!(at(&plant(25.0), 500.0) < 85.0);
    }

    #[test]
    fn no_flow_and_higher_ambient_are_hotter() {
        let flowing = plant(25.0).steady_state(300.0).unwrap();
        let mut still = plant(25.0);
        still.set_cooling(true, 0.0, 1.0);
        let still_ss = still.steady_state(300.0);
        // With no flow the exchanger carries nothing away: the loop only loses through its
        // pipes, so it is far hotter (or runs away).
        assert!(still_ss.is_none_or(|s| s.hottest_pin() > flowing.hottest_pin() + 50.0));
        // The same in the time domain, 10 minutes after the pump stops.
        let mut a = plant(25.0);
        let mut b = plant(25.0);
        b.set_cooling(true, 0.0, 1.0);
        run(&mut a, 300.0, 600, Duration::from_millis(100));
        run(&mut b, 300.0, 600, Duration::from_millis(100));
        assert!(
            b.temperatures().hottest_pin() > a.temperatures().hottest_pin() + 10.0,
            "{:?} {:?}",
            a.temperatures(),
            b.temperatures()
        );
        // Half the flow: hotter than full flow, cooler than none.
        let mut half = plant(25.0);
        half.disturb(Disturbance::PumpDegraded { flow_factor: 0.5 });
        let h = half.steady_state(300.0).unwrap().hottest_pin();
        assert!(h > flowing.hottest_pin() + 2.0, "{h}");

        let cold = plant(-20.0).steady_state(300.0).unwrap().hottest_pin();
        let warm = plant(45.0).steady_state(300.0).unwrap().hottest_pin();
        assert!(warm > cold + 60.0, "{cold} {warm}");
    }

    #[test]
    fn an_inlet_step_raises_the_loop_at_once_and_for_good() {
        let mut p = plant(30.0);
        run(&mut p, 400.0, 3600, Duration::from_secs(1));
        let before = p.temperatures();
        p.disturb(Disturbance::CoolantInletStep { kelvin: 10.0 });
        assert!((p.temperatures().coolant - before.coolant - 10.0).abs() < 1e-9);
        run(&mut p, 400.0, 4 * 3600, Duration::from_secs(1));
        let after = p.temperatures();
        assert!(after.coolant > before.coolant + 9.0, "{before:?} {after:?}");
        assert!(after.hottest_pin() > before.hottest_pin() + 9.0);
        p.clear_disturbances();
        run(&mut p, 400.0, 4 * 3600, Duration::from_secs(1));
        assert!((p.temperatures().coolant - before.coolant).abs() < 0.1);
    }

    /// The holding current keeps the hottest pin where it is.
    #[test]
    fn the_holding_current_holds_the_pin_at_the_limit() {
        let mut p = plant(45.0);
        run(&mut p, 500.0, 3600, Duration::from_millis(50));
        assert!(p.temperatures().hottest_pin() > 95.0);
        // Let it cool to below the limit, then hold at the limit by its holding current.
        let limit = 90.0;
        let mut held = 0.0;
        p.set_current(0.0);
        while p.temperatures().hottest_pin() > limit {
            p.step(Duration::from_millis(50));
        }
        for _ in 0..(30 * 60 * 20) {
            let i = p.holding_current(limit);
            p.set_current(i);
            p.step(Duration::from_millis(50));
            held = i;
            let t = p.temperatures().hottest_pin();
            assert!(t < limit + 0.05, "{t}");
        }
        assert!((p.temperatures().hottest_pin() - limit).abs() < 0.2);
        assert!(held > 380.0 && held < 470.0, "{held}");
        // Steady state at that current is (about) the limit.
        let ss = p.steady_state(held).unwrap().hottest_pin();
        assert!((ss - limit).abs() < 0.5, "{ss}");
    }

    #[test]
    fn a_runaway_saturates_instead_of_overflowing() {
        let mut p = plant(60.0);
        p.set_cooling(false, 0.0, 0.0);
        assert_eq!(p.steady_state(1e6), None);
        run(&mut p, 1e6, 600, Duration::from_secs(10));
        let t = p.temperatures();
        assert!(
            t.hottest_pin().is_finite() && t.hottest_pin() <= 1500.0,
            "{t:?}"
        );
        p.set_current(f64::NAN);
        assert_eq!(p.current(), 0.0);
    }

    fn truth(pin: f64) -> PlantTemperatures {
        PlantTemperatures {
            pin_dc_plus: pin,
            pin_dc_minus: pin - 2.0,
            cable: 40.0,
            coolant: 35.0,
            coolant_inlet: 34.0,
            coolant_outlet: 36.0,
        }
    }

    #[test]
    fn sensors_lag_quantise_hold_and_fail() {
        let params = SensorChainParams {
            noise_k: 0.0,
            ..SensorChainParams::default()
        };
        let mut s = SensorChain::new(params);
        let step = Duration::from_millis(10);
        assert!(s.step(step, &truth(40.0)));
        assert_eq!(s.measured().unwrap().pin_dc_plus, Measured::Value(40.0));
        // A step of +30 K: after one time constant the sensor shows ≈ 63 % of it.
        let mut polls = 0;
        for _ in 0..300 {
            if s.step(step, &truth(70.0)) {
                polls += 1;
            }
        }
        assert_eq!(polls, 30, "10 Hz for 3 s");
        let v = s.measured().unwrap().pin_dc_plus.value().unwrap();
        assert!((v - (40.0 + 30.0 * 0.632)).abs() < 0.3, "{v}");
        // Quantised to 0.1 K.
        assert!(((v * 10.0).round() - v * 10.0).abs() < 1e-6, "{v}");
        // Held between polls: a step inside a poll period does not change the value.
        let held = s.measured();
        assert!(!s.step(Duration::from_millis(1), &truth(70.0)));
        assert_eq!(s.measured(), held);
        // An open DC+ sensor reads its sentinel at the next poll; the others go on.
        s.set_fault(SensorId::PinDcPlus, Some(SensorFault::Open));
        s.set_fault(SensorId::CoolantInlet, Some(SensorFault::Short));
        s.step(Duration::from_millis(100), &truth(70.0));
        let m = s.measured().unwrap();
        assert_eq!(m.pin_dc_plus, Measured::Open);
        assert_eq!(m.coolant_inlet, Measured::Short);
        assert!(m.pin_dc_minus.value().is_some());
        s.clear_faults();
        s.step(Duration::from_millis(100), &truth(70.0));
        assert!(s.measured().unwrap().pin_dc_plus.value().is_some());
    }

    #[test]
    fn noise_is_seeded_small_and_centred() {
        let run = |seed| {
            let mut s = SensorChain::new(SensorChainParams {
                seed,
                time_constant_s: 0.0,
                ..SensorChainParams::default()
            });
            (0..2000)
                .map(|_| {
                    s.step(Duration::from_millis(100), &truth(60.0));
                    s.measured()
                        .and_then(|m| m.pin_dc_plus.value())
                        .unwrap_or(0.0)
                })
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7), "deterministic");
        assert_ne!(a, run(8));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let max_dev = a.iter().map(|v| (v - 60.0).abs()).fold(0.0, f64::max);
        assert!((mean - 60.0).abs() < 0.01, "{mean}");
        assert!(max_dev > 0.05 && max_dev < 0.3, "{max_dev}");
    }
}
