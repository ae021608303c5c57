//! The profile-driven Modbus simulators (hal::sim::modbus) on real Modbus TCP on loopback,
//! driven by hal::modbus using only the shipped profiles in configs/devices/.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use charger_hal::modbus::{spawn_tcp, DeviceConfig, Exception, ModbusDevice, ReadError, TcpLink};
use charger_hal::profile::{DecodeError, Point, Profile, Value};
use charger_hal::sim::modbus::plant::CoolingTemperatures;
use charger_hal::sim::modbus::server::{serve, serve_gateway, SimServer};
use charger_hal::sim::modbus::{
    BatteryLoad, CommsFault, CoolingPlant, DcMeterPlant, InsulationPlant, ModuleRating,
    ParallelBus, PlantModel, PowerModulePlant, SimDevice, ThermalModel,
};
use tokio_modbus::ExceptionCode;

const TICK: Duration = Duration::from_millis(10);

fn shipped(name: &str) -> Arc<Profile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/devices")
        .join(name);
    Arc::new(Profile::load(&path).unwrap())
}

async fn start<P: PlantModel>(profile: &str, plant: P) -> (SimServer<P>, ModbusDevice) {
    let profile = shipped(profile);
    let sim = serve(
        SimDevice::new(profile.clone(), plant).unwrap(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        TICK,
    )
    .await
    .unwrap();
    let link = TcpLink {
        addr: sim.addr(),
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let (mut devs, _task) = spawn_tcp(
        link,
        vec![DeviceConfig {
            name: "sim".into(),
            unit: 1,
            profile,
        }],
    );
    (sim, devs.remove(0))
}

/// Wait (real time, bounded) until `cond` holds for the device's state.
async fn until(dev: &mut ModbusDevice, what: &str, cond: impl Fn(&ModbusDevice) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond(dev) {
        if tokio::time::timeout_at(deadline, dev.changed())
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}: {:?}", dev.state());
        }
    }
}

fn num(dev: &ModbusDevice, point: Point) -> Option<f64> {
    match dev.reading(point)?.value {
        Ok(Value::Number(n)) => Some(n),
        _ => None,
    }
}

fn flag(dev: &ModbusDevice, point: Point) -> Option<bool> {
    match dev.reading(point)?.value {
        Ok(Value::Bool(b)) => Some(b),
        _ => None,
    }
}

fn err(dev: &ModbusDevice, point: Point) -> Option<ReadError> {
    dev.reading(point)?.value.err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_module_follows_enable_and_setpoints_with_slew_and_rating() {
    let rating = ModuleRating {
        voltage_slew: 250.0,
        ..ModuleRating::default()
    };
    let load = BatteryLoad {
        connected: false,
        ..BatteryLoad::default()
    };
    let (sim, mut dev) = start(
        "power-module-30kw-modbus.toml",
        PowerModulePlant::new(rating, load),
    )
    .await;
    until(&mut dev, "first reading", |d| {
        num(d, Point::OutputVoltage).is_some()
    })
    .await;
    assert_eq!(num(&dev, Point::ModuleStatus), Some(0.0), "off");

    dev.write(Point::VoltageSetpoint, &Value::Number(500.0))
        .unwrap();
    dev.write(Point::CurrentLimit, &Value::Number(40.0))
        .unwrap();
    dev.write(Point::OutputEnable, &Value::Bool(true)).unwrap();

    // Open output: the voltage slews at 250 V/s to 500 V; sample every reading on the way.
    let mut samples: Vec<(tokio::time::Instant, f64)> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(r) = dev.reading(Point::OutputVoltage) {
            if let Ok(Value::Number(v)) = r.value {
                if samples.last().is_none_or(|(at, _)| *at != r.at) {
                    samples.push((r.at, v));
                }
                if v >= 499.9 {
                    break;
                }
            }
        }
        tokio::time::timeout_at(deadline, dev.changed())
            .await
            .expect("the output voltage never reached 500 V");
    }
    let ramp: Vec<_> = samples.iter().filter(|(_, v)| *v > 1.0).collect();
    assert!(
        ramp.iter().filter(|(_, v)| *v < 450.0).count() >= 5,
        "the ramp was seen in several steps at 10 Hz: {samples:?}"
    );
    for w in ramp.windows(2) {
        let dt = w[1].0.duration_since(w[0].0).as_secs_f64();
        let dv = w[1].1 - w[0].1;
        // 250 V/s, with one poll period of timestamp jitter.
        assert!(
            dv <= 250.0 * (dt + 0.1),
            "slewed {dv} V in {dt} s: {samples:?}"
        );
    }

    // Into a 600 V battery at 700 V: constant current at the 40 A limit.
    sim.with(|d| d.plant_mut().load.connected = true);
    dev.write(Point::VoltageSetpoint, &Value::Number(700.0))
        .unwrap();
    until(&mut dev, "40 A into the battery", |d| {
        num(d, Point::OutputCurrent).is_some_and(|i| (i - 40.0).abs() < 0.01)
    })
    .await;
    let v = num(&dev, Point::OutputVoltage).unwrap();
    assert!((v - 602.0).abs() < 0.5, "{v} V");
    assert_eq!(num(&dev, Point::ModuleStatus), Some(2.0), "running");

    // Asking for 100 A: the 30 kW rating caps the current at about 49.8 A.
    dev.write(Point::CurrentLimit, &Value::Number(100.0))
        .unwrap();
    until(&mut dev, "the power limit", |d| {
        num(d, Point::OutputCurrent).is_some_and(|i| i > 45.0)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (v, i) = (
        num(&dev, Point::OutputVoltage).unwrap(),
        num(&dev, Point::OutputCurrent).unwrap(),
    );
    assert!(
        v * i <= 30_000.0 * 1.002 && v * i > 29_500.0,
        "{v} V × {i} A"
    );

    // Disable: current to zero at once.
    dev.write(Point::OutputEnable, &Value::Bool(false)).unwrap();
    until(&mut dev, "output off", |d| {
        num(d, Point::OutputCurrent) == Some(0.0) && num(d, Point::ModuleStatus) == Some(0.0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dc_meter_integrates_the_energy_it_is_given() {
    let (sim, mut dev) = start("dc-meter-modbus.toml", DcMeterPlant::new(5_000.0)).await;
    sim.with(|d| d.plant_mut().set_measurement(800.0, 450.0)); // 360 kW = 100 Wh/s
    until(&mut dev, "the measurement", |d| {
        num(d, Point::MeterPower) == Some(360_000.0)
    })
    .await;
    let e0 = num(&dev, Point::Energy).unwrap();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    until(&mut dev, "energy rising", |d| {
        num(d, Point::Energy).is_some_and(|e| e > e0 + 50.0)
    })
    .await;
    let e1 = num(&dev, Point::Energy).unwrap();
    let expected = 100.0 * t0.elapsed().as_secs_f64();
    assert!(
        e1 - e0 > 0.6 * expected && e1 - e0 < 1.4 * expected,
        "{e0} → {e1} Wh, expected about +{expected}"
    );
    assert_eq!(num(&dev, Point::MeterVoltage), Some(800.0));
    assert_eq!(num(&dev, Point::MeterCurrent), Some(450.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insulation_monitor_reports_an_injected_fault_and_its_self_test() {
    let (sim, mut dev) = start("insulation-monitor-modbus.toml", InsulationPlant::default()).await;
    until(&mut dev, "healthy insulation", |d| {
        num(d, Point::InsulationResistance) == Some(10_000.0)
            && flag(d, Point::InsulationAlarm) == Some(false)
    })
    .await;

    // 50 kΩ to PE on a 1000 V system: below 100 Ω/V.
    sim.with(|d| d.plant_mut().inject_fault(Some(50_000.0)));
    until(&mut dev, "the insulation alarm", |d| {
        flag(d, Point::InsulationAlarm) == Some(true)
            && num(d, Point::InsulationResistance).is_some_and(|r| r <= 50.0)
    })
    .await;

    sim.with(|d| d.plant_mut().inject_fault(None));
    until(&mut dev, "the alarm clearing", |d| {
        flag(d, Point::InsulationAlarm) == Some(false)
    })
    .await;
    dev.trigger(Point::SelfTest).unwrap();
    until(&mut dev, "the self test alarm", |d| {
        flag(d, Point::InsulationAlarm) == Some(true)
    })
    .await;
    until(&mut dev, "the self test ending", |d| {
        flag(d, Point::InsulationAlarm) == Some(false)
    })
    .await;
}

/// A stand-in for the thermal issue's model: records the current it is driven with.
struct Recording(Arc<Mutex<Vec<f64>>>);

impl ThermalModel for Recording {
    fn step(&mut self, _dt: Duration, current: f64, run: bool, _pump: f64) -> CoolingTemperatures {
        self.0.lock().unwrap().push(current);
        let coolant = if run { 25.0 } else { 30.0 };
        CoolingTemperatures {
            pin_dc_plus: coolant + current / 10.0,
            pin_dc_minus: coolant + current / 20.0,
            coolant_inlet: coolant,
            coolant_outlet: coolant + 2.0,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooling_unit_reports_the_thermal_hooks_temperatures() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let plant = CoolingPlant::new(Box::new(Recording(seen.clone())));
    let (sim, mut dev) = start("cooling-unit-hpc-modbus.toml", plant).await;
    dev.write(Point::CoolingRun, &Value::Bool(true)).unwrap();
    dev.write(Point::PumpSetpoint, &Value::Number(50.0))
        .unwrap();
    sim.with(|d| d.plant_mut().set_current(300.0));
    until(&mut dev, "hot pins", |d| {
        num(d, Point::PinTemperatureDcPlus) == Some(55.0)
            && num(d, Point::PinTemperatureDcMinus) == Some(40.0)
            && num(d, Point::CoolantOutletTemperature) == Some(27.0)
            && num(d, Point::CoolantFlow) == Some(15.0)
    })
    .await;
    assert!(seen.lock().unwrap().contains(&300.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_comms_faults_are_seen_as_timeout_exception_frozen_and_bad_values() {
    let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let (sim, mut dev) = start("power-module-30kw-modbus.toml", plant).await;
    let good = |d: &ModbusDevice| num(d, Point::OutputVoltage).is_some();
    until(&mut dev, "first reading", good).await;

    sim.with(|d| d.inject(Some(CommsFault::NoAnswer)));
    until(&mut dev, "a timeout", |d| {
        matches!(err(d, Point::OutputVoltage), Some(ReadError::Timeout(_)))
    })
    .await;
    sim.with(|d| d.inject(None));
    until(&mut dev, "recovery after the timeouts", good).await;

    sim.with(|d| {
        d.inject(Some(CommsFault::Exception(
            ExceptionCode::GatewayTargetDevice,
        )))
    });
    until(&mut dev, "an exception", |d| {
        err(d, Point::OutputVoltage) == Some(ReadError::Exception(Exception::GatewayTargetFailed))
    })
    .await;
    sim.with(|d| d.inject(None));
    until(&mut dev, "recovery after the exception", good).await;

    sim.with(|d| d.inject(Some(CommsFault::Frozen)));
    until(&mut dev, "frozen values", |d| {
        err(d, Point::OutputVoltage) == Some(ReadError::Frozen)
    })
    .await;
    sim.with(|d| d.inject(None));
    until(&mut dev, "recovery after freezing", good).await;

    sim.with(|d| d.inject(Some(CommsFault::Garbage)));
    until(&mut dev, "garbage rejected", |d| {
        matches!(
            err(d, Point::OutputCurrent),
            Some(ReadError::Decode(DecodeError::OutOfRange { .. }))
        )
    })
    .await;
    assert!(matches!(
        err(&dev, Point::OutputVoltage),
        Some(ReadError::Decode(DecodeError::NotFinite))
    ));
    assert!(matches!(
        err(&dev, Point::ModuleTemperature),
        Some(ReadError::Decode(DecodeError::SensorFault { .. }))
    ));
    sim.with(|d| d.inject(None));
    until(&mut dev, "recovery after garbage", good).await;
    assert!(dev.state().errors.timeouts > 0 && dev.state().errors.exceptions > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modules_behind_one_gateway_share_a_connection_and_answer_by_unit_id() {
    let profile = shipped("power-module-30kw-modbus.toml");
    let module = || {
        let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        SimDevice::new(profile.clone(), plant).unwrap()
    };
    let sim = serve_gateway(
        vec![(1, module()), (2, module())],
        SocketAddr::from(([127, 0, 0, 1], 0)),
        TICK,
    )
    .await
    .unwrap();
    let link = TcpLink {
        addr: sim.addr(),
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let config = |unit: u8| DeviceConfig {
        name: format!("module{unit}"),
        unit,
        profile: profile.clone(),
    };
    let (mut devs, _task) = spawn_tcp(link, vec![config(1), config(2), config(3)]);
    let mut m3 = devs.pop().unwrap();
    let mut m2 = devs.pop().unwrap();
    let m1 = devs.pop().unwrap();

    // Only unit 2 is told to charge; unit 1 stays off.
    m2.write(Point::VoltageSetpoint, &Value::Number(700.0))
        .unwrap();
    m2.write(Point::CurrentLimit, &Value::Number(30.0)).unwrap();
    m2.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    until(&mut m2, "unit 2 at 30 A", |d| {
        num(d, Point::OutputCurrent).is_some_and(|i| (i - 30.0).abs() < 0.01)
    })
    .await;
    assert_eq!(num(&m1, Point::OutputCurrent), Some(0.0));
    assert_eq!(num(&m1, Point::ModuleStatus), Some(0.0));
    assert_eq!(sim.with_unit(1, |d| d.plant().output_current()), Some(0.0));

    // A unit the gateway does not have: "gateway path unavailable", the others unaffected.
    until(&mut m3, "unit 3 refused by the gateway", |d| {
        err(d, Point::OutputVoltage)
            == Some(ReadError::Exception(Exception::GatewayPathUnavailable))
    })
    .await;
    // One unit failing (exceptions) leaves its neighbour's readings fresh.
    sim.with_unit(1, |d| {
        d.inject(Some(CommsFault::Exception(
            ExceptionCode::ServerDeviceFailure,
        )))
    });
    let before = m2.reading(Point::OutputCurrent).unwrap().at;
    until(&mut m2, "unit 2 still polled", |d| {
        d.reading(Point::OutputCurrent)
            .is_some_and(|r| r.at > before && r.value.is_ok())
    })
    .await;
    assert_eq!(m2.state().errors.reconnects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_modules_behind_a_gateway_share_the_current_by_droop() {
    let profile = shipped("power-module-30kw-modbus.toml");
    let module = || PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let bus = ParallelBus::new(vec![module(), module()], BatteryLoad::default(), 0.5);
    let units = bus
        .into_units()
        .into_iter()
        .zip(1u8..)
        .map(|(plant, unit)| (unit, SimDevice::new(profile.clone(), plant).unwrap()))
        .collect();
    let sim = serve_gateway(units, SocketAddr::from(([127, 0, 0, 1], 0)), TICK)
        .await
        .unwrap();
    let link = TcpLink {
        addr: sim.addr(),
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let config = |unit: u8| DeviceConfig {
        name: format!("module{unit}"),
        unit,
        profile: profile.clone(),
    };
    let (mut devs, _task) = spawn_tcp(link, vec![config(1), config(2)]);
    for (dev, volts) in devs.iter().zip([605.0, 604.0]) {
        dev.write(Point::VoltageSetpoint, &Value::Number(volts))
            .unwrap();
        dev.write(Point::CurrentLimit, &Value::Number(100.0))
            .unwrap();
        dev.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    }
    // 605 V and 604 V behind 0.5 Ω droop into 600 V / 50 mΩ: 8.5 A and 6.5 A on one bus.
    let mut m2 = devs.pop().unwrap();
    let m1 = devs.pop().unwrap();
    until(&mut m2, "the shared current", |d| {
        num(d, Point::OutputCurrent).is_some_and(|i| (i - 6.5).abs() < 0.05)
            && num(&m1, Point::OutputCurrent).is_some_and(|i| (i - 8.5).abs() < 0.05)
    })
    .await;
    let (v1, v2) = (
        num(&m1, Point::OutputVoltage).unwrap(),
        num(&m2, Point::OutputVoltage).unwrap(),
    );
    assert!(
        (v1 - 600.75).abs() < 0.05 && (v2 - 600.75).abs() < 0.05,
        "{v1} {v2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_keep_alive_holds_the_module_on_past_its_device_timeout() {
    let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let (sim, mut dev) = start("power-module-30kw-modbus.toml", plant).await;
    dev.write(Point::VoltageSetpoint, &Value::Number(700.0))
        .unwrap();
    dev.write(Point::CurrentLimit, &Value::Number(20.0))
        .unwrap();
    dev.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    until(&mut dev, "20 A", |d| {
        num(d, Point::OutputCurrent) == Some(20.0)
    })
    .await;
    // The profile's device timeout is 5 s; hal::modbus writes the keep-alive every second.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    assert_eq!(sim.with(|d| d.plant().output_current()), 20.0);
    assert_eq!(num(&dev, Point::ModuleFaults), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_connector_couples_modules_meter_imd_and_cooling() {
    use charger_hal::sim::modbus::connector::{serve_connector, ConnectorSpec};
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = serve_connector(ConnectorSpec {
        module_profile: shipped("power-module-30kw-modbus.toml"),
        modules: 2,
        meter_profile: shipped("dc-meter-modbus.toml"),
        imd_profile: shipped("insulation-monitor-modbus.toml"),
        cooling_profile: shipped("cooling-unit-hpc-modbus.toml"),
        modules_addr: any,
        meter_addr: any,
        imd_addr: any,
        cooling_addr: any,
        battery: BatteryLoad::default(),
        droop_ohm: 0.05,
        tick: TICK,
    })
    .await
    .unwrap();
    let link = |addr| TcpLink {
        addr,
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let config = |unit: u8, name: &str| DeviceConfig {
        name: format!("{name}{unit}"),
        unit,
        profile: shipped(name),
    };
    let (modules, _m) = spawn_tcp(
        link(sim.modules.addr()),
        vec![
            config(1, "power-module-30kw-modbus.toml"),
            config(2, "power-module-30kw-modbus.toml"),
        ],
    );
    let (mut meters, _t1) = spawn_tcp(
        link(sim.meter.addr()),
        vec![config(1, "dc-meter-modbus.toml")],
    );
    let (mut imds, _t2) = spawn_tcp(
        link(sim.imd.addr()),
        vec![config(1, "insulation-monitor-modbus.toml")],
    );
    let (mut coolings, _t3) = spawn_tcp(
        link(sim.cooling.addr()),
        vec![config(1, "cooling-unit-hpc-modbus.toml")],
    );
    let (meter, imd, cooling) = (&mut meters[0], &mut imds[0], &mut coolings[0]);
    for m in &modules {
        m.write(Point::VoltageSetpoint, &Value::Number(700.0))
            .unwrap();
        m.write(Point::CurrentLimit, &Value::Number(40.0)).unwrap();
        m.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    }
    // Two modules at their 40 A limits: 80 A into the 600 V battery at 604 V.
    until(meter, "80 A through the meter", |d| {
        num(d, Point::MeterCurrent).is_some_and(|i| (i - 80.0).abs() < 0.01)
    })
    .await;
    let v = num(meter, Point::MeterVoltage).unwrap();
    assert!((v - 604.0).abs() < 0.1, "{v} V");
    until(imd, "the bus voltage at the IMD", |d| {
        num(d, Point::ImdVoltage).is_some_and(|u| (u - 604.0).abs() <= 1.0)
    })
    .await;
    until(meter, "energy", |d| {
        num(d, Point::Energy).is_some_and(|e| e >= 1.0)
    })
    .await;
    // 80 A through 100 µΩ heats the pins above the 25 °C coolant.
    until(cooling, "warming pins", |d| {
        num(d, Point::PinTemperatureDcPlus).is_some_and(|t| t > 25.0)
    })
    .await;
}

/// The devices beside a simulated connector (the daemon's `simulate_devices`): fed from its
/// tap, an injected insulation fault reaching the IMD, and a silenced IMD answering nothing
/// until the fault is cleared, while the meter goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_connectors_devices_follow_its_tap_and_its_injected_faults() {
    use charger_hal::sim::modbus::connector::{
        serve_connector_devices, ConnectorDevicesSpec, DeviceSpec,
    };
    use charger_hal::sim::tap::{PlantTap, TapDevice, TapFault};
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let spec = ConnectorDevicesSpec {
        meter: Some(DeviceSpec {
            profile: shipped("dc-meter-modbus.toml"),
            addr: any,
        }),
        imd: Some(DeviceSpec {
            profile: shipped("insulation-monitor-modbus.toml"),
            addr: any,
        }),
        cooling: Some(DeviceSpec {
            profile: shipped("cooling-unit-hpc-modbus.toml"),
            addr: any,
        }),
        thermal: None,
        sensors: charger_hal::sim::thermal::SensorChainParams::default(),
        tick: TICK,
    };
    let tap = PlantTap::new(&spec.tap_devices());
    let sim = serve_connector_devices(spec, tap.clone()).await.unwrap();
    let link = |addr| TcpLink {
        addr,
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let config = |name: &str| DeviceConfig {
        name: name.into(),
        unit: 1,
        profile: shipped(name),
    };
    let (mut meters, _t1) = spawn_tcp(
        link(sim.meter.as_ref().unwrap().addr()),
        vec![config("dc-meter-modbus.toml")],
    );
    let (mut imds, _t2) = spawn_tcp(
        link(sim.imd.as_ref().unwrap().addr()),
        vec![config("insulation-monitor-modbus.toml")],
    );
    let (mut coolings, _t3) = spawn_tcp(
        link(sim.cooling.as_ref().unwrap().addr()),
        vec![config("cooling-unit-hpc-modbus.toml")],
    );
    let (meter, imd, cooling) = (&mut meters[0], &mut imds[0], &mut coolings[0]);
    tap.publish(640.0, 300.0, None);
    until(meter, "the tapped current and voltage", |d| {
        num(d, Point::MeterCurrent) == Some(300.0) && num(d, Point::MeterVoltage) == Some(640.0)
    })
    .await;
    until(meter, "energy counted", |d| {
        num(d, Point::Energy).is_some_and(|e| e >= 1.0)
    })
    .await;
    until(imd, "the cable voltage at the IMD", |d| {
        num(d, Point::ImdVoltage) == Some(640.0) && flag(d, Point::InsulationAlarm) == Some(false)
    })
    .await;
    until(cooling, "pins warming with 300 A", |d| {
        num(d, Point::PinTemperatureDcPlus).is_some_and(|t| t > 25.0)
    })
    .await;
    // The simulated connector's insulation fault: the IMD measures it and raises its alarm.
    tap.publish(640.0, 300.0, Some(20_000.0));
    until(imd, "the injected insulation fault", |d| {
        flag(d, Point::InsulationAlarm) == Some(true)
            && num(d, Point::InsulationResistance).is_some_and(|r| r < 20.5)
    })
    .await;
    // The IMD goes silent: its requests time out while the meter still answers.
    tap.set_fault(TapDevice::InsulationMonitor, Some(TapFault::Silent));
    until(imd, "the IMD timing out", |d| {
        d.state().errors.timeouts >= 2
    })
    .await;
    assert_eq!(
        sim.imd.as_ref().unwrap().with(|d| d.fault()),
        Some(CommsFault::NoAnswer)
    );
    let before = meter.state().errors.requests;
    until(meter, "the meter still answering", |d| {
        d.state().errors.requests > before + 2 && d.state().errors.timeouts == 0
    })
    .await;
    tap.clear_faults();
    tap.publish(640.0, 300.0, None);
    until(imd, "the IMD answering again without its alarm", |d| {
        flag(d, Point::InsulationAlarm) == Some(false)
    })
    .await;
    assert_eq!(sim.imd.as_ref().unwrap().with(|d| d.fault()), None);
}

/// The `modbus-sim` binary in its own process: the shipped profiles on free ports, and
/// hal::modbus reads its meter and drives its modules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_modbus_sim_binary_serves_a_connector_in_its_own_process() {
    use std::io::{BufRead, BufReader};
    /// Kills the simulator process however the test ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(
        std::process::Command::new(env!("CARGO_BIN_EXE_modbus-sim"))
            .args(["--base-port", "0", "--modules", "3", "--profiles"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let read = tokio::task::spawn_blocking(move || {
        let mut addrs = std::collections::BTreeMap::new();
        for line in BufReader::new(stdout).lines().take(4) {
            let line = line.unwrap();
            let mut words = line.split_whitespace();
            let role = words.next().unwrap().to_string();
            let addr: SocketAddr = words.next().unwrap().parse().unwrap();
            addrs.insert(role, addr);
        }
        addrs
    });
    let addrs = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("modbus-sim printed no addresses")
        .unwrap();
    assert_eq!(addrs.len(), 4, "{addrs:?}");
    let link = |addr| TcpLink {
        addr,
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let module = shipped("power-module-30kw-modbus.toml");
    let (modules, _m) = spawn_tcp(
        link(addrs["power_module"]),
        (1..=3)
            .map(|unit| DeviceConfig {
                name: format!("module{unit}"),
                unit,
                profile: module.clone(),
            })
            .collect(),
    );
    let (mut meters, _t) = spawn_tcp(
        link(addrs["dc_meter"]),
        vec![DeviceConfig {
            name: "meter".into(),
            unit: 1,
            profile: shipped("dc-meter-modbus.toml"),
        }],
    );
    for m in &modules {
        m.write(Point::VoltageSetpoint, &Value::Number(700.0))
            .unwrap();
        m.write(Point::CurrentLimit, &Value::Number(10.0)).unwrap();
        m.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    }
    until(&mut meters[0], "30 A from three modules", |d| {
        num(d, Point::MeterCurrent).is_some_and(|i| (i - 30.0).abs() < 0.01)
    })
    .await;
    drop(child);
}

/// `modbus-sim --connectors 2`: two connectors in one process, each its own plant on its own
/// four ports; and flags that cannot fit are refused before anything listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_modbus_sim_binary_serves_several_connectors_each_its_own_plant() {
    use std::io::{BufRead, BufReader};
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let sim = || std::process::Command::new(env!("CARGO_BIN_EXE_modbus-sim"));
    for bad in [
        &["--connectors", "0"][..],
        &["--connectors", "2", "--base-port", "65530"][..],
    ] {
        let out = sim().args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
    }
    let mut child = Kill(
        sim()
            .args(["--connectors", "2", "--base-port", "0", "--modules", "1"])
            .arg("--profiles")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // (connector, role) -> address, from the `connector <k>` headers and the role lines.
    let read = tokio::task::spawn_blocking(move || {
        let mut addrs = std::collections::BTreeMap::new();
        let mut connector = 0u16;
        for line in BufReader::new(stdout).lines().take(10) {
            let line = line.unwrap();
            let mut words = line.split_whitespace();
            let first = words.next().unwrap().to_string();
            let second = words.next().unwrap();
            if first == "connector" {
                connector = second.parse().unwrap();
            } else {
                addrs.insert((connector, first), second.parse::<SocketAddr>().unwrap());
            }
        }
        addrs
    });
    let addrs = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("modbus-sim printed no addresses")
        .unwrap();
    assert_eq!(addrs.len(), 8, "{addrs:?}");
    let link = |addr| TcpLink {
        addr,
        timeout: Duration::from_millis(200),
        reconnect_after: 3,
        frozen_after: 3,
    };
    let device = |name: &str, profile: &str| DeviceConfig {
        name: name.into(),
        unit: 1,
        profile: shipped(profile),
    };
    let (module, _m) = spawn_tcp(
        link(addrs[&(2, "power_module".to_string())]),
        vec![device("module", "power-module-30kw-modbus.toml")],
    );
    let (mut meter1, _t1) = spawn_tcp(
        link(addrs[&(1, "dc_meter".to_string())]),
        vec![device("meter1", "dc-meter-modbus.toml")],
    );
    let (mut meter2, _t2) = spawn_tcp(
        link(addrs[&(2, "dc_meter".to_string())]),
        vec![device("meter2", "dc-meter-modbus.toml")],
    );
    module[0]
        .write(Point::VoltageSetpoint, &Value::Number(700.0))
        .unwrap();
    module[0]
        .write(Point::CurrentLimit, &Value::Number(10.0))
        .unwrap();
    module[0]
        .write(Point::OutputEnable, &Value::Bool(true))
        .unwrap();
    until(&mut meter2[0], "10 A on connector 2", |d| {
        num(d, Point::MeterCurrent).is_some_and(|i| (i - 10.0).abs() < 0.01)
    })
    .await;
    until(&mut meter1[0], "connector 1's meter read", |d| {
        num(d, Point::MeterCurrent).is_some()
    })
    .await;
    assert_eq!(
        num(&meter1[0], Point::MeterCurrent),
        Some(0.0),
        "connector 1 is its own plant"
    );
    drop(child);
}
