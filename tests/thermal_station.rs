//! The thermal controller in the station: a fake cooling unit (a first-order pin model or a
//! scripted reading) around the simulated connector. The derating limit binds with reason
//! "thermal" and reaches the truck's frames (CHAdeMO 0x108, GB/T CCS); each stop path ends
//! in the safe state with its fault reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use charger_hal::{
    CanPort, ConnectorHardware, CoolingCommand, CoolingReading, CoolingUnit, DcMeter, DigitalIo,
    InsulationMonitor, PowerSupply, SimulatorControl, TruckSpec,
};
use charger_protocol::gbt::{frames::Ccs, CurrentCodec};
use charger_protocol::{StopReason, Timestamp};
use chargerd::station::{ConnectorSnapshot, ConnectorStatus, FaultKind, LimitSource, StationEvent};
use chargerd::thermal::{ThermalFault, ThermalSettings};
use common::Bench;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// What the fake cooling unit reports and what it was told.
#[derive(Debug)]
struct Script {
    coolant_c: f32,
    /// The true pin temperature (the model's), and what the Pt1000 shows (1 s lag).
    pin_c: f32,
    sensor_c: f32,
    /// Pins as reported instead of the model's (`None` in it: an open sensor).
    pins_override: Option<(Option<f32>, Option<f32>)>,
    /// The DC+ sensor open, DC− still the model's.
    plus_open: bool,
    flow: Option<f32>,
    alarms: Vec<String>,
    /// The device stops answering: its last reading keeps its time stamp.
    frozen: bool,
    polled_at: Timestamp,
    last_step: Option<Timestamp>,
    max_pin_c: f32,
    last_command: Option<CoolingCommand>,
    /// The unit's own measurement of its electrical draw, W (`None`: it has none).
    power_w: Option<f32>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            coolant_c: 30.0,
            pin_c: 30.0,
            sensor_c: 30.0,
            pins_override: None,
            plus_open: false,
            flow: Some(12.0),
            alarms: Vec::new(),
            frozen: false,
            polled_at: Timestamp::ZERO,
            last_step: None,
            max_pin_c: 30.0,
            last_command: None,
            power_w: None,
        }
    }
}

/// Pin: I²·R·R_th = 2e-3 K/A² above the coolant at steady state, τ = 20 s.
const R_RTH: f32 = 2e-3;
const TAU_S: f32 = 20.0;
const SENSOR_LAG_S: f32 = 1.0;
const POLL_MS: u64 = 100;

type Shared = Arc<Mutex<Script>>;

#[derive(Debug)]
struct FakeCooling(Shared);

impl CoolingUnit for FakeCooling {
    fn command(&mut self, cmd: CoolingCommand, _now: Timestamp) {
        self.0.lock().unwrap().last_command = Some(cmd);
    }

    fn reading(&self) -> CoolingReading {
        let s = self.0.lock().unwrap();
        let quantised = (s.sensor_c * 10.0).round() / 10.0;
        let (plus, minus) = s
            .pins_override
            .unwrap_or((Some(quantised), Some(quantised - 0.3)));
        let plus = plus.filter(|_| !s.plus_open);
        CoolingReading {
            pin_dc_plus_c: plus,
            pin_dc_minus_c: minus,
            coolant_inlet_c: Some(s.coolant_c),
            coolant_outlet_c: Some(s.coolant_c + 2.0),
            flow_l_min: s.flow,
            pressure_bar: Some(1.5),
            level: Some(0.9),
            alarms: s.alarms.clone(),
            electrical_power_w: s.power_w,
            stale: false,
            at: s.polled_at,
        }
    }
}

/// The simulated connector with a fake cooling unit.
#[derive(Debug)]
struct Cooled {
    inner: Box<dyn ConnectorHardware>,
    cooling: FakeCooling,
}

impl ConnectorHardware for Cooled {
    fn can(&mut self) -> &mut dyn CanPort {
        self.inner.can()
    }
    fn power(&mut self) -> &mut dyn PowerSupply {
        self.inner.power()
    }
    fn io(&mut self) -> &mut dyn DigitalIo {
        self.inner.io()
    }
    fn imd(&mut self) -> &mut dyn InsulationMonitor {
        self.inner.imd()
    }
    fn meter(&mut self) -> Option<&mut dyn DcMeter> {
        self.inner.meter()
    }
    fn cooling(&mut self) -> Option<&mut dyn CoolingUnit> {
        Some(&mut self.cooling)
    }
    fn simulator(&mut self) -> Option<&mut dyn SimulatorControl> {
        self.inner.simulator()
    }
    fn step(&mut self, now: Timestamp) {
        self.inner.step(now);
        let current = self.inner.power().reading().current.abs();
        let mut s = self.cooling.0.lock().unwrap();
        let dt = s
            .last_step
            .map_or(0.0, |t| now.saturating_since(t).as_secs_f32());
        s.last_step = Some(now);
        let target = s.coolant_c + current * current * R_RTH;
        s.pin_c += (target - s.pin_c) * (dt / TAU_S).min(1.0);
        s.sensor_c += (s.pin_c - s.sensor_c) * (dt / SENSOR_LAG_S).min(1.0);
        s.max_pin_c = s.max_pin_c.max(s.pin_c);
        if !s.frozen && now.as_millis() % POLL_MS == 0 {
            s.polled_at = now;
        }
    }
}

const CONFIG: &str = r#"
[station]
name = "thermal"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"
{extra}

[[connectors]]
id = 1
protocol = "{protocol}"
max_voltage = 1000
max_current = 250
max_power_kw = 400
can = { backend = "simulated" }
"#;

fn bench(protocol: &str, extra: &str) -> (Bench, Shared) {
    let script: Shared = Arc::new(Mutex::new(Script::default()));
    let text = CONFIG
        .replace("{protocol}", protocol)
        .replace("{extra}", extra);
    let shared = script.clone();
    let b = Bench::with_config_wrapped(&text, move |_, inner| {
        Box::new(Cooled {
            inner,
            cooling: FakeCooling(shared.clone()),
        })
    });
    (b, script)
}

fn truck() -> TruckSpec {
    TruckSpec {
        soc_percent: 20.0,
        target_soc_percent: 90.0,
        capacity_kwh: 500.0,
        max_voltage: 750.0,
        max_current: 250.0,
    }
}

fn snapshot(b: &Bench) -> ConnectorSnapshot {
    b.rig.station().snapshot().into_iter().next().unwrap()
}

fn charging(protocol: &str, extra: &str) -> (Bench, Shared, i64) {
    let (mut b, script) = bench(protocol, extra);
    b.run_for(secs(1));
    b.plug(1, truck());
    let tx = b.start(1);
    b.charge_until_current(1, 50.0, secs(60));
    (b, script, tx)
}

/// The steady current that holds the model's pin at the default target (89.5 °C) with the
/// coolant at 30 °C.
fn held_current() -> f32 {
    ((89.5 - 30.0) / R_RTH).sqrt()
}

#[test]
fn the_thermal_limit_binds_and_reaches_the_chademo_truck() {
    let (mut b, script, _) = charging("chademo", "");
    // 250 A would take the pin to 155 °C; the loop holds it at 89.5 °C (~172 A).
    let mut offered_108 = Vec::new();
    for _ in 0..(180 * 100) {
        b.step();
        for f in &b.rig.last_outputs(1).unwrap().frames {
            if f.id() == 0x108 && f.data().len() >= 4 {
                offered_108.push(f.data()[3]);
            }
        }
    }
    let c = snapshot(&b);
    let binding = c.binding_limit.clone().unwrap();
    assert_eq!(binding.source, LimitSource::Thermal, "{:?}", c.limits);
    assert!(binding.detail.contains("regulating"), "{binding}");
    assert_eq!(c.status_info.as_deref(), Some("thermal derating"));
    let held = held_current();
    assert!(
        (binding.amps - held).abs() < 0.05 * held,
        "thermal limit {binding}, model holds {held:.0} A"
    );
    assert!(c.current <= binding.amps + 3.0, "{} A flowing", c.current);
    let s = script.lock().unwrap();
    assert!(
        s.max_pin_c <= 90.5,
        "true pin reached {:.2} °C",
        s.max_pin_c
    );
    // The truck was told: 108.3 carries the thermal limit, rounded down.
    let last = *offered_108.last().unwrap();
    assert_eq!(f32::from(last), binding.amps.floor(), "0x108 {last} A");
    // The cooling unit runs hard under load.
    let cmd = s.last_command.unwrap();
    assert!(cmd.run && cmd.pump > 0.5, "{cmd:?}");
    let status = b.rig.station().thermal(1).unwrap();
    assert_eq!(status.limit_a, Some(binding.amps));
    drop(s);
    // The CSMS sees it: the OCPP 1.6 meter values the charge point would send now carry the
    // thermal limit as Current.Offered, and the hottest pin as the Outlet temperature.
    let view = b.rig.status().into_iter().next().unwrap();
    use charger_protocol::ocpp::v16;
    let sampled = chargerd::ocpp::meter::sampled_values(
        &chargerd::ocpp::meter::MeterReading::of(&view),
        &["Current.Offered".to_string(), "Temperature".to_string()],
        v16::ReadingContext::SamplePeriodic,
    );
    let offered = sampled
        .iter()
        .find(|v| v.measurand == Some(v16::Measurand::CurrentOffered))
        .unwrap();
    assert_eq!(offered.value, format!("{:.1}", binding.amps), "{sampled:?}");
    assert!(
        binding.amps < 250.0 - 10.0,
        "derated below the rating: {binding}"
    );
    let pin = sampled
        .iter()
        .find(|v| {
            v.measurand == Some(v16::Measurand::Temperature)
                && v.location == Some(v16::Location::Outlet)
        })
        .unwrap();
    let pin_c: f32 = pin.value.parse().unwrap();
    assert!((85.0..=90.5).contains(&pin_c), "{pin:?}");
    // Derating started with a StatusNotification-worthy status change …
    let derating_info = |e: &StationEvent| matches!(e, StationEvent::StatusChanged { status: ConnectorStatus::Charging, info: Some(i), .. } if i == "thermal derating");
    assert_eq!(b.events.iter().filter(|e| derating_info(e)).count(), 1);
    // … and ends with one when the coolant is cold enough for the full 250 A (pin at 86 °C).
    script.lock().unwrap().coolant_c = -39.0;
    b.run_for(secs(400));
    let c = snapshot(&b);
    assert_eq!(
        c.binding_limit.unwrap().source,
        LimitSource::ConnectorRating,
        "{:?}",
        c.limits
    );
    assert_eq!(c.status, ConnectorStatus::Charging);
    assert_eq!(c.status_info, None);
    assert_eq!(
        b.events.iter().filter(|e| derating_info(e)).count(),
        1,
        "no flapping"
    );
}

#[test]
fn the_cooling_units_draw_is_counted_in_the_site_budget_and_its_energy() {
    // 60 kW at the grid, lossless converters, 1 kW of controls: the truck gets what the grid
    // leaves after the controls and the cooling unit (well below the thermal limit's ~172 A).
    let site = "[site]\nmax_grid_power_kw = 60\nconverter_efficiency = 1.0\nauxiliary_load_kw = 1";
    let (mut b, script, _) = charging("chademo", site);
    let dc_power = |b: &Bench| {
        let c = snapshot(b);
        (c.voltage * c.current, c.binding_limit.unwrap().source)
    };

    // A unit that measures its draw: 5 kW (a chiller running hard).
    script.lock().unwrap().power_w = Some(5_000.0);
    b.run_for(secs(30));
    let e0 = b.rig.station().thermal(1).unwrap().cooling_energy_wh;
    b.run_for(secs(36));
    let t = b.rig.station().thermal(1).unwrap();
    assert!(t.cooling_power_measured);
    assert_eq!(t.cooling_power_w, 5_000.0);
    let site_now = b.rig.station().allocator().site().unwrap().clone();
    assert_eq!(site_now.cooling_load_w, 5_000.0);
    let drawn = t.cooling_energy_wh - e0;
    assert!((drawn - 50.0).abs() < 1.0, "{drawn:.2} Wh in 36 s at 5 kW");
    let (measured_w, source) = dc_power(&b);
    assert_eq!(source, LimitSource::Site);
    assert!(
        (50_000.0..=54_500.0).contains(&measured_w),
        "{measured_w:.0} W delivered, 54 kW left by the grid"
    );

    // A unit without the register: its draw is estimated from the speeds commanded, and the
    // truck gets the grid's power back but for that estimate.
    script.lock().unwrap().power_w = None;
    b.run_for(secs(30));
    let t = b.rig.station().thermal(1).unwrap();
    assert!(!t.cooling_power_measured);
    let s = ThermalSettings::default();
    let cmd = t.cooling;
    let estimate = s.electronics_power_w
        + s.pump_rated_power_w * cmd.pump.powi(3)
        + s.fan_rated_power_w * cmd.fan.powi(3);
    assert!(cmd.run);
    assert!((t.cooling_power_w - estimate).abs() < 0.5, "{t:?}");
    let site_now = b.rig.station().allocator().site().unwrap().clone();
    assert!((site_now.cooling_load_w - f64::from(estimate)).abs() < 0.5);
    let (estimated_w, _) = dc_power(&b);
    let left = 59_000.0 - estimate;
    assert!(
        estimated_w <= left + 500.0 && estimated_w > measured_w + 3_000.0,
        "{estimated_w:.0} W delivered, {left:.0} W left by the grid"
    );
}

#[test]
fn gbt_delivers_less_than_the_bcl_demand_and_reports_it_in_ccs() {
    let (mut b, _script, _) = charging("gbt", "");
    let mut ccs_current = Vec::new();
    for _ in 0..(120 * 100) {
        b.step();
        for f in &b.rig.last_outputs(1).unwrap().frames {
            // J1939 PDU1: the PGN's PF byte is bits 16–23 of the id.
            if f.is_extended() && (f.id() >> 16) & 0xFF == 0x12 {
                if let Ok(ccs) = Ccs::decode(f.data(), CurrentCodec::Offset400) {
                    ccs_current.push(ccs.current);
                }
            }
        }
    }
    let c = snapshot(&b);
    let binding = c.binding_limit.clone().unwrap();
    assert_eq!(binding.source, LimitSource::Thermal, "{:?}", c.limits);
    let demand = c.vehicle.requested_current.unwrap();
    assert!(
        demand > binding.amps + 20.0,
        "BCL {demand} A, thermal {binding}"
    );
    assert!(c.current <= binding.amps + 3.0);
    let reported = *ccs_current.last().unwrap();
    assert!(
        (reported - c.current).abs() < 3.0 && reported < demand - 20.0,
        "CCS {reported} A, delivering {} A, BCL {demand} A",
        c.current
    );
}

fn fault_raised(b: &Bench, kind: FaultKind) -> bool {
    b.events
        .iter()
        .any(|e| matches!(e, StationEvent::FaultRaised { fault, .. } if fault.kind == kind))
}

fn assert_faulted_with(b: &Bench, kind: FaultKind, tx: i64) {
    assert!(fault_raised(b, kind), "{kind:?} not raised");
    let c = snapshot(b);
    assert_eq!(c.status, ConnectorStatus::Faulted, "{:?}", c.status_info);
    assert_eq!(c.status_fault.as_ref().map(|f| f.kind), Some(kind));
    let stop = b.stopped(tx).expect("transaction stopped");
    assert!(
        matches!(
            stop.reason,
            StopReason::ChargerFault(_) | StopReason::ImplausibleMeasurement(_)
        ),
        "{:?}",
        stop.reason
    );
}

#[test]
fn an_overheated_pin_stops_safe_and_restarts_only_after_the_hysteresis() {
    let (mut b, script, tx) = charging("chademo", "");
    script.lock().unwrap().pins_override = Some((Some(97.0), Some(96.0)));
    b.run_for(Duration::from_millis(200));
    b.assert_safe_within(1, secs(2), secs(3));
    b.run_for(secs(5));
    let kind = FaultKind::Thermal(ThermalFault::PinOverTemperature);
    assert_faulted_with(&b, kind, tx);
    assert_eq!(kind.report().vendor_error_code, "CD-THM-01");
    // The pump keeps cooling after the trip.
    assert!(script.lock().unwrap().last_command.unwrap().run);
    // 86 °C: still above the restart temperature (95 − 10). (The jump makes the pins
    // implausible by their rate for 10 s too: wait that out.)
    let cleared = |b: &Bench| {
        b.events
            .iter()
            .any(|e| matches!(e, StationEvent::FaultCleared { fault, .. } if fault.kind == kind))
    };
    script.lock().unwrap().pins_override = Some((Some(86.0), Some(86.0)));
    b.run_for(secs(12));
    assert!(!cleared(&b));
    assert_eq!(b.status(1), ConnectorStatus::Faulted);
    script.lock().unwrap().pins_override = Some((Some(84.0), Some(84.0)));
    b.run_for(Duration::from_millis(300));
    assert!(cleared(&b));
    b.run_for(secs(12));
    assert_ne!(b.status(1), ConnectorStatus::Faulted);
}

#[test]
fn stale_cooling_data_stops_safe_within_its_deadline() {
    let (mut b, script, tx) = charging("chademo", "");
    script.lock().unwrap().frozen = true;
    let t0 = b.now;
    let kind = FaultKind::Thermal(ThermalFault::StaleCoolingData);
    assert!(b.run_until(secs(2), |b| fault_raised(b, kind)));
    // The last poll was at most 100 ms before t0; stale after 1000 ms, seen within a step.
    assert!(
        b.now - t0 <= Duration::from_millis(1_110),
        "{:?}",
        b.now - t0
    );
    b.assert_safe_within(1, secs(2), secs(3));
    b.run_for(secs(5));
    assert_faulted_with(&b, kind, tx);
}

#[test]
fn an_implausible_pin_sensor_stops_when_configured_to() {
    let (mut b, script, tx) = charging("chademo", "[thermal]\nimplausible_action = \"stop\"");
    script.lock().unwrap().plus_open = true;
    b.run_for(Duration::from_millis(200));
    b.assert_safe_within(1, secs(2), secs(3));
    b.run_for(secs(5));
    assert_faulted_with(&b, FaultKind::Thermal(ThermalFault::ImplausibleSensor), tx);
}

#[test]
fn an_implausible_pin_sensor_derates_by_default() {
    // DC+ open from the start: no DC+/DC− difference seen, so no single-pin fallback.
    let (mut b, script) = bench("chademo", "");
    script.lock().unwrap().plus_open = true;
    b.run_for(secs(1));
    b.plug(1, truck());
    b.start(1);
    b.charge_until_current(1, 50.0, secs(60));
    b.run_for(secs(10));
    let c = snapshot(&b);
    let binding = c.binding_limit.clone().unwrap();
    assert_eq!(binding.source, LimitSource::Thermal, "{:?}", c.limits);
    assert_eq!(binding.amps, 125.0);
    assert_eq!(c.status, ConnectorStatus::Charging);
    assert!(c.current <= 128.0);
}

#[test]
fn a_pin_sensor_failing_mid_session_leaves_the_loop_on_the_other_pin() {
    // Both pins seen (DC− 0.3 K below DC+), then DC+ opens: the loop goes on with DC−'s rise
    // times the learned ratio of the rises plus `single_pin_margin_k`, not the 125 A safe
    // limit, and regulates once that estimate reaches the target.
    let (mut b, script, _) = charging("chademo", "");
    b.run_for(secs(5));
    script.lock().unwrap().plus_open = true;
    b.run_for(secs(60));
    let c = snapshot(&b);
    // (This fake plant is hot enough at 250 A for the loop to regulate.)
    let thermal = c
        .limits
        .iter()
        .find(|l| l.source == LimitSource::Thermal)
        .unwrap();
    assert!(thermal.amps > 140.0, "{:?}", c.limits);
    assert!(thermal.detail.starts_with("regulating"), "{thermal:?}");
    assert_eq!(c.status, ConnectorStatus::Charging);
    assert!(c.current > 128.0, "{}", c.current);
    // The true DC+ pin, which no sensor shows any more, stays within the aim.
    let max = script.lock().unwrap().max_pin_c;
    assert!(max <= 90.5, "true DC+ pin reached {max:.2} °C");
}

#[test]
fn a_leak_alarm_stops_safe_and_stops_the_pump() {
    let (mut b, script, tx) = charging("chademo", "");
    script.lock().unwrap().alarms = vec!["leak_suspected".into()];
    b.run_for(Duration::from_millis(200));
    b.assert_safe_within(1, secs(2), secs(3));
    b.run_for(secs(5));
    assert_faulted_with(&b, FaultKind::Thermal(ThermalFault::CoolingAlarm), tx);
    let cmd = script.lock().unwrap().last_command.unwrap();
    assert!(!cmd.run && cmd.pump == 0.0, "{cmd:?}");
}

#[test]
fn no_current_flows_before_the_coolant_does() {
    let (mut b, script) = bench("chademo", "");
    script.lock().unwrap().flow = Some(0.0);
    b.run_for(secs(1));
    b.plug(1, truck());
    b.start(1);
    // The pump is told to run; without flow the thermal limit holds the current at zero.
    b.run_for(Duration::from_millis(2_500));
    let c = snapshot(&b);
    assert!(script.lock().unwrap().last_command.unwrap().run);
    assert_eq!(
        c.limits
            .iter()
            .find(|l| l.source == LimitSource::Thermal)
            .map(|l| l.amps),
        Some(0.0)
    );
    assert!(c.current < 1.0);
    script.lock().unwrap().flow = Some(12.0);
    b.charge_until_current(1, 50.0, secs(60));
}

#[test]
fn without_a_cooling_unit_there_is_no_thermal_limit() {
    let text = CONFIG
        .replace("{protocol}", "chademo")
        .replace("{extra}", "");
    let mut b = Bench::with_config(&text);
    b.plug(1, truck());
    b.start(1);
    b.charge_until_current(1, 50.0, secs(60));
    b.run_for(secs(5));
    let c = snapshot(&b);
    assert!(c.limits.iter().all(|l| l.source != LimitSource::Thermal));
    assert!(b.rig.station().thermal(1).is_none());
}

#[test]
fn no_coolant_flow_after_the_prerun_ends_the_session_safe() {
    let (mut b, script) = bench("chademo", "");
    script.lock().unwrap().flow = Some(0.0);
    b.run_for(secs(1));
    b.plug(1, truck());
    let tx = b.start(1);
    let kind = FaultKind::Thermal(ThermalFault::CoolingAlarm);
    assert!(b.run_until(secs(5), |b| fault_raised(b, kind)));
    b.assert_safe_within(1, secs(2), secs(3));
    b.run_for(secs(5));
    assert!(b.probe(1).truck.is_none_or(|t| t.energy_charged_kwh < 0.01));
    // The session ended with the reason; the fault lasts while a session wants current (a
    // new one would pre-run the pump again).
    let stop = b.stopped(tx).expect("transaction stopped");
    assert!(
        matches!(&stop.reason, StopReason::ChargerFault(t) if t.contains("no coolant flow")),
        "{:?}",
        stop.reason
    );
    assert_ne!(snapshot(&b).status, ConnectorStatus::Charging);
}
