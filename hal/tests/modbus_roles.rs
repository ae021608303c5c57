//! The role backends of hal::devices over real Modbus TCP on loopback, against the
//! profile-driven simulators (hal::sim::modbus) serving the shipped profiles: each role end to
//! end, staleness when a device stops answering, the health view of `chargerctl devices`, and
//! the builder that turns configured device instances into connections and roles.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use charger_hal::devices::power_module::ModuleError;
use charger_hal::devices::{
    spawn_devices, BuildProblem, DeviceInstance, Devices, LinkState, ModbusTcp, ReadingClock,
    Transport,
};
use charger_hal::modbus::CommandError;
use charger_hal::profile::{Point, Profile, Role, Value, WriteError};
use charger_hal::sim::modbus::plant::CoolingTemperatures;
use charger_hal::sim::modbus::server::{serve, serve_gateway};
use charger_hal::sim::modbus::{
    BatteryLoad, CommsFault, CoolingPlant, DcMeterPlant, InsulationPlant, ModuleRating, PlantModel,
    PowerModulePlant, SimDevice, ThermalModel,
};
use charger_hal::{
    CoolingCommand, CoolingUnit, DcMeter, InsulationMonitor, ModuleCommand, PowerModule,
    VoltageRange,
};
use charger_protocol::Timestamp;
use tokio::time::Instant;

const TICK: Duration = Duration::from_millis(10);
/// Every wait is bounded well below the 5 s a test may take.
const WAIT: Duration = Duration::from_secs(3);

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices")
}

fn shipped(name: &str) -> Arc<Profile> {
    Arc::new(Profile::load(&profiles().join(name)).unwrap())
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn instance(name: &str, role: Role, profile: &str, port: u16, unit: u8) -> DeviceInstance {
    let mut tcp = ModbusTcp::new("127.0.0.1", port, unit);
    tcp.timeout_ms = Some(200);
    tcp.frozen_after = Some(3);
    DeviceInstance {
        name: name.into(),
        role,
        profile: profile.into(),
        transport: Transport::ModbusTcp(tcp),
    }
}

async fn build(instances: &[DeviceInstance], clock: ReadingClock) -> Devices {
    spawn_devices(instances, &profiles(), clock).await.unwrap()
}

/// Poll `f` every 20 ms until it gives a value; panic with `what` after [`WAIT`].
async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn now(clock: &ReadingClock) -> Timestamp {
    clock.at(Instant::now())
}

fn plant_value<P: PlantModel>(d: &SimDevice<P>, point: Point) -> Option<Value> {
    d.plant()
        .readings()
        .into_iter()
        .find(|(p, _)| *p == point)
        .map(|(_, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_module_follows_its_commands_and_reports_range_and_faults() {
    let profile = shipped("power-module-30kw-modbus.toml");
    let module = || {
        let rating = ModuleRating {
            voltage_slew: 5_000.0,
            current_slew: 2_000.0,
            ..ModuleRating::default()
        };
        SimDevice::new(
            profile.clone(),
            PowerModulePlant::new(rating, BatteryLoad::default()),
        )
        .unwrap()
    };
    let sim = serve_gateway(vec![(1, module()), (2, module())], any_port(), TICK)
        .await
        .unwrap();
    let clock = ReadingClock::new(Instant::now());
    let file = "power-module-30kw-modbus.toml";
    let port = sim.addr().port();
    let mut devices = build(
        &[
            instance("m1", Role::PowerModule, file, port, 1),
            instance("m2", Role::PowerModule, file, port, 2),
        ],
        clock,
    )
    .await;
    assert_eq!(
        devices.connections.len(),
        1,
        "two units at one address share a connection"
    );
    let mut m1 = devices.power_modules.remove("m1").unwrap();
    let m2 = devices.power_modules.remove("m2").unwrap();
    assert_eq!(m1.limits().voltage, Some((0.0, 1000.0)));
    assert_eq!(m1.limits().current, Some((0.0, 100.0)));

    // Into the 600 V battery at 700 V: constant current at the 40 A limit.
    let cmd = ModuleCommand {
        enable: true,
        voltage: 700.0,
        current_limit: 40.0,
    };
    m1.command(cmd, now(&clock));
    let r = wait_for("m1 at 40 A", || {
        let r = m1.reading();
        ((r.current - 40.0).abs() < 0.01 && r.running && !r.stale).then_some(r)
    })
    .await;
    assert!((r.voltage - 602.0).abs() < 0.5, "{r:?}");
    assert_eq!(r.fault, None);
    assert!(
        r.temperature_c.is_some_and(|t| (20.0..60.0).contains(&t)),
        "{r:?}"
    );
    assert_eq!(
        r.available_power_w,
        Some(30_000.0),
        "kW in the profile, W in the role"
    );
    let age = now(&clock).saturating_since(r.at);
    assert!(
        age < Duration::from_millis(500),
        "the reading is {age:?} old"
    );
    // The other unit on the same connection was not touched.
    let r2 = wait_for("m2 read", || Some(m2.reading()).filter(|r| !r.stale)).await;
    assert!(!r2.running && r2.current == 0.0, "{r2:?}");

    // A NaN is refused as a whole: nothing changes.
    m1.command(
        ModuleCommand {
            voltage: f32::NAN,
            ..cmd
        },
        now(&clock),
    );
    assert!(
        matches!(
            m1.last_error(),
            Some(ModuleError::Command(CommandError::Profile(
                WriteError::Encode(_)
            )))
        ),
        "{:?}",
        m1.last_error()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sim.with_unit(1, |d| plant_value(d, Point::VoltageSetpoint))
            .flatten(),
        Some(Value::Number(700.0))
    );
    assert!((m1.reading().current - 40.0).abs() < 0.01);
    // A voltage beyond the profile's range is fitted into it (a refused write would leave
    // the previous setpoint in force): written as the range's top.
    m1.command(
        ModuleCommand {
            voltage: 1_200.0,
            ..cmd
        },
        now(&clock),
    );
    assert_eq!(m1.last_error(), None);
    wait_for("the voltage setpoint at the range's top", || {
        sim.with_unit(1, |d| plant_value(d, Point::VoltageSetpoint))
            .flatten()
            .filter(|v| *v == Value::Number(1000.0))
    })
    .await;
    m1.command(cmd, now(&clock));

    // Only the current limit changes: the module follows.
    m1.command(
        ModuleCommand {
            current_limit: 20.0,
            ..cmd
        },
        now(&clock),
    );
    assert_eq!(m1.last_error(), None);
    wait_for("m1 at 20 A", || {
        Some(()).filter(|_| (m1.reading().current - 20.0).abs() < 0.01)
    })
    .await;

    // The range changes only while commanded off.
    m1.set_range(VoltageRange::High, now(&clock));
    assert_eq!(m1.last_error(), Some(&ModuleError::RangeWhileOn));
    m1.command(ModuleCommand::OFF, now(&clock));
    wait_for("m1 off", || {
        let r = m1.reading();
        (!r.running && r.current == 0.0).then_some(())
    })
    .await;
    m1.set_range(VoltageRange::High, now(&clock));
    assert_eq!(m1.last_error(), None);
    wait_for("series range on the module", || {
        sim.with_unit(1, |d| plant_value(d, Point::VoltageRangeMode))
            .flatten()
            .filter(|v| *v == Value::Number(1.0))
    })
    .await;
    assert_eq!(m1.reading().range, Some(VoltageRange::High));
    // A range write the device refuses leaves the range unknown, not the one asked for.
    sim.with_unit(1, |d| {
        d.inject(Some(CommsFault::Exception(
            tokio_modbus::ExceptionCode::ServerDeviceFailure,
        )))
    });
    m1.set_range(VoltageRange::Low, now(&clock));
    wait_for("the range unknown", || {
        Some(()).filter(|_| m1.reading().range.is_none())
    })
    .await;
    sim.with_unit(1, |d| d.inject(None));
    assert_eq!(
        sim.with_unit(1, |d| plant_value(d, Point::VoltageRangeMode))
            .flatten(),
        Some(Value::Number(1.0))
    );
    // Asked again (the pool asks every step until the module reports the range), the
    // refused write is tried again; a write that went through is not repeated.
    m1.set_range(VoltageRange::Low, now(&clock));
    wait_for("parallel range after the retry", || {
        sim.with_unit(1, |d| plant_value(d, Point::VoltageRangeMode))
            .flatten()
            .filter(|v| *v == Value::Number(0.0))
    })
    .await;
    assert_eq!(m1.last_error(), None);

    // Over-temperature latches a fault, named by the profile's bit; a reset clears it once
    // the heat sink has cooled.
    sim.with_unit(1, |d| d.plant_mut().set_temperature(80.0));
    let r = wait_for("the over-temperature fault", || {
        Some(m1.reading()).filter(|r| r.fault.is_some())
    })
    .await;
    assert_eq!(r.fault.as_deref(), Some("over_temperature"), "{r:?}");
    assert!(!r.running);
    sim.with_unit(1, |d| d.plant_mut().set_temperature(30.0));
    m1.reset_fault(now(&clock));
    wait_for("the fault cleared", || {
        Some(()).filter(|_| m1.reading().fault.is_none())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_module_that_stops_answering_is_stale_with_its_last_values() {
    let profile = shipped("power-module-30kw-modbus.toml");
    let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let sim = serve(SimDevice::new(profile, plant).unwrap(), any_port(), TICK)
        .await
        .unwrap();
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "m1",
            Role::PowerModule,
            "power-module-30kw-modbus.toml",
            sim.addr().port(),
            1,
        )],
        clock,
    )
    .await;
    let m1 = devices.power_modules.remove("m1").unwrap();
    // The open output is held at the battery's 600 V.
    wait_for("a fresh reading", || {
        Some(m1.reading()).filter(|r| !r.stale && (r.voltage - 600.0).abs() < 0.5)
    })
    .await;

    sim.with(|d| d.inject(Some(CommsFault::NoAnswer)));
    let stale = wait_for("stale", || Some(m1.reading()).filter(|r| r.stale)).await;
    assert!(
        (stale.voltage - 600.0).abs() < 0.5,
        "last known values: {stale:?}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later = m1.reading();
    assert!(later.stale);
    assert!(
        now(&clock).saturating_since(later.at) >= Duration::from_millis(400),
        "a stale reading keeps the time of its last good values: {later:?}"
    );

    // The health view counts the timeouts and shows the reading's age.
    let health = devices.health.report(Instant::now());
    assert_eq!(health.len(), 1);
    let h = &health[0];
    assert_eq!((h.name.as_str(), h.role), ("m1", Role::PowerModule));
    assert!(h.errors.timeouts > 0, "{h:?}");
    assert!(h.last_reading_age_ms.is_none_or(|ms| ms >= 400), "{h:?}");
    assert_eq!(h.transport, format!("modbus-tcp {} unit 1", sim.addr()));
    let json = serde_json::to_value(&health).unwrap();
    assert!(
        json[0]["errors"]["timeouts"].as_u64().unwrap() > 0,
        "{json}"
    );
    assert!(json[0]["link"].is_string(), "{json}");

    sim.with(|d| d.inject(None));
    wait_for("fresh again", || Some(()).filter(|_| !m1.reading().stale)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_command_is_not_written_again() {
    let profile = shipped("power-module-30kw-modbus.toml");
    let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let sim = serve(SimDevice::new(profile, plant).unwrap(), any_port(), TICK)
        .await
        .unwrap();
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "m1",
            Role::PowerModule,
            "power-module-30kw-modbus.toml",
            sim.addr().port(),
            1,
        )],
        clock,
    )
    .await;
    let mut m1 = devices.power_modules.remove("m1").unwrap();
    let cmd = ModuleCommand {
        enable: true,
        voltage: 700.0,
        current_limit: 10.0,
    };
    m1.command(cmd, now(&clock));
    wait_for("10 A", || {
        Some(()).filter(|_| (m1.reading().current - 10.0).abs() < 0.01)
    })
    .await;
    // The station commands every step; the wire sees only the polls (10 Hz, two groups)
    // and the keep-alive, not three writes and their read-backs per step. The profile's
    // 2 s refresh would add at most three writes with their read-backs.
    let before = sim.with(|d| d.requests());
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        m1.command(cmd, now(&clock));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let requests = sim.with(|d| d.requests()) - before;
    assert!(requests <= 20, "{requests} requests in 500 ms");
    assert!(m1.last_error().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dc_meters_energy_rises_and_freezes_when_it_goes_quiet() {
    let sim = serve(
        SimDevice::new(shipped("dc-meter-modbus.toml"), DcMeterPlant::new(5_000.0)).unwrap(),
        any_port(),
        TICK,
    )
    .await
    .unwrap();
    sim.with(|d| d.plant_mut().set_measurement(800.0, 450.0)); // 360 kW = 100 Wh/s
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "meter",
            Role::DcMeter,
            "dc-meter-modbus.toml",
            sim.addr().port(),
            1,
        )],
        clock,
    )
    .await;
    let meter = devices.dc_meters.remove("meter").unwrap();
    let r0 = wait_for("the measurement", || {
        Some(meter.reading()).filter(|r| !r.stale && r.power_w == Some(360_000.0))
    })
    .await;
    assert_eq!((r0.voltage, r0.current), (Some(800.0), Some(450.0)));
    assert_eq!(r0.serial.as_deref(), Some("SIM-M1"));
    let e0 = r0.energy_wh.unwrap();
    assert!(e0 >= 5_000.0);
    let r1 = wait_for("energy rising", || {
        Some(meter.reading()).filter(|r| r.energy_wh.is_some_and(|e| e >= e0 + 40.0))
    })
    .await;
    assert!(r1.at > r0.at && !r1.stale);

    // Frozen values (the update counter stops) are stale, never fresh energy.
    sim.with(|d| d.inject(Some(CommsFault::Frozen)));
    let frozen = wait_for("frozen is stale", || {
        Some(meter.reading()).filter(|r| r.stale)
    })
    .await;
    assert!(
        frozen.energy_wh.is_some_and(|e| e >= e0 + 40.0),
        "last known: {frozen:?}"
    );
}

/// The thermal hook's stand-in: the DC+ pin sensor is open (its converter's 32767 sentinel).
struct OpenPlusSensor;

impl ThermalModel for OpenPlusSensor {
    fn step(&mut self, _dt: Duration, current: f64, _run: bool, _pump: f64) -> CoolingTemperatures {
        CoolingTemperatures {
            pin_dc_plus: 3276.7,
            pin_dc_minus: 25.0 + current / 20.0,
            coolant_inlet: 25.0,
            coolant_outlet: 27.0,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooling_unit_runs_its_pump_and_reports_temperatures_sensor_faults_and_alarms() {
    let sim = serve(
        SimDevice::new(
            shipped("cooling-unit-hpc-modbus.toml"),
            CoolingPlant::new(Box::new(OpenPlusSensor)),
        )
        .unwrap(),
        any_port(),
        TICK,
    )
    .await
    .unwrap();
    sim.with(|d| d.plant_mut().set_current(300.0));
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "cooling",
            Role::CoolingUnit,
            "cooling-unit-hpc-modbus.toml",
            sim.addr().port(),
            1,
        )],
        clock,
    )
    .await;
    let mut cooling = devices.cooling_units.remove("cooling").unwrap();
    cooling.command(
        CoolingCommand {
            run: true,
            pump: 0.5,
            fan: 0.3,
        },
        now(&clock),
    );
    assert!(cooling.last_error().is_none());
    let r = wait_for("the pump running", || {
        Some(cooling.reading()).filter(|r| !r.stale && r.flow_l_min == Some(15.0))
    })
    .await;
    assert_eq!(
        r.pin_dc_plus_c, None,
        "the open sensor's sentinel is no temperature"
    );
    assert_eq!(r.pin_dc_minus_c, Some(40.0));
    assert_eq!(
        (r.coolant_inlet_c, r.coolant_outlet_c),
        (Some(25.0), Some(27.0))
    );
    assert!(
        r.pressure_bar.is_some_and(|p| (p - 1.8).abs() < 0.011),
        "{r:?}"
    );
    assert!(
        r.level.is_some_and(|l| (l - 0.95).abs() < 1e-3),
        "% in the profile, ratio in the role: {r:?}"
    );
    assert!(r.alarms.is_empty(), "{r:?}");
    // Its own draw, in whole watts: 15 W of electronics, pump and fan by the cube of their
    // speed (250 W × 0.5³ + 300 W × 0.3³ = 39.35 W).
    assert!(
        r.electrical_power_w
            .is_some_and(|w| (w - 54.35).abs() <= 1.0),
        "{r:?}"
    );
    assert_eq!(
        sim.with(|d| plant_value(d, Point::FanSetpoint)),
        Some(Value::Number(30.0))
    );

    // Too little flow: the unit's low-flow alarm bit, by its profile name.
    cooling.command(
        CoolingCommand {
            run: true,
            pump: 0.05,
            fan: 0.3,
        },
        now(&clock),
    );
    let r = wait_for("the low-flow alarm", || {
        Some(cooling.reading()).filter(|r| !r.alarms.is_empty())
    })
    .await;
    assert_eq!(r.alarms, vec!["low_flow".to_string()]);

    // A pump speed beyond 100 % is refused, and the unit keeps what it had.
    cooling.command(
        CoolingCommand {
            run: true,
            pump: 1.5,
            fan: 0.3,
        },
        now(&clock),
    );
    assert!(cooling.last_error().is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sim.with(|d| plant_value(d, Point::PumpSetpoint)),
        Some(Value::Number(5.0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insulation_monitor_measures_and_reports_an_injected_fault() {
    let sim = serve(
        SimDevice::new(
            shipped("insulation-monitor-modbus.toml"),
            InsulationPlant::default(),
        )
        .unwrap(),
        any_port(),
        TICK,
    )
    .await
    .unwrap();
    sim.with(|d| d.plant_mut().set_voltage(600.0));
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "imd",
            Role::InsulationMonitor,
            "insulation-monitor-modbus.toml",
            sim.addr().port(),
            1,
        )],
        clock,
    )
    .await;
    let mut imd = devices.insulation_monitors.remove("imd").unwrap();
    assert!(!imd.reading().measuring);
    assert_eq!(imd.reading().resistance_ohms, None);

    imd.set_measuring(true, now(&clock));
    let r = wait_for("a healthy measurement", || {
        Some(imd.reading()).filter(|r| r.resistance_ohms.is_some())
    })
    .await;
    assert!(r.measuring && !r.device_fault, "{r:?}");
    assert_eq!(
        r.resistance_ohms,
        Some(10_000_000.0),
        "kOhm in the profile, Ω in the role"
    );
    assert_eq!(r.cable_voltage, 600.0, "{r:?} {:?}", imd.device().state());

    // 50 kΩ to PE: the resistance falls and the device raises its alarm.
    sim.with(|d| d.plant_mut().inject_fault(Some(50_000.0)));
    let r = wait_for("the insulation fault", || {
        Some(imd.reading()).filter(|r| r.resistance_ohms.is_some_and(|o| o < 100_000.0))
    })
    .await;
    assert_eq!(r.resistance_ohms, Some(50_000.0));
    wait_for("the alarm", || {
        Some(()).filter(|_| imd.reading().device_fault)
    })
    .await;

    // "No valid measurement" (the profile's sentinel) is no resistance, and no fault.
    sim.with(|d| {
        d.plant_mut().inject_fault(None);
        d.plant_mut().healthy_ohm = 4_294_967_295e3;
    });
    let r = wait_for("no valid measurement", || {
        Some(imd.reading()).filter(|r| r.resistance_ohms.is_none() && !r.device_fault)
    })
    .await;
    assert!(r.measuring);

    // The self test raises the device's alarm: a device fault while it lasts.
    imd.self_test();
    assert!(imd.last_error().is_none());
    wait_for("the self test's alarm", || {
        Some(()).filter(|_| imd.reading().device_fault)
    })
    .await;

    imd.set_measuring(false, now(&clock));
    wait_for("the monitor switched off", || {
        sim.with(|d| plant_value(d, Point::MonitorEnable))
            .filter(|v| *v == Value::Bool(false))
    })
    .await;
    assert!(!imd.reading().measuring);

    // A monitor that cannot be heard is stale, never a passed check.
    sim.with(|d| d.inject(Some(CommsFault::NoAnswer)));
    wait_for("the stale reading", || {
        Some(imd.reading()).filter(|r| r.stale && r.resistance_ohms.is_none())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_nobody_answers_for_is_down() {
    // A port that was free a moment ago: connecting is refused.
    let port = {
        let l = std::net::TcpListener::bind(any_port()).unwrap();
        l.local_addr().unwrap().port()
    };
    let clock = ReadingClock::new(Instant::now());
    let mut devices = build(
        &[instance(
            "meter",
            Role::DcMeter,
            "dc-meter-modbus.toml",
            port,
            1,
        )],
        clock,
    )
    .await;
    let meter = devices.dc_meters.remove("meter").unwrap();
    let h = wait_for("the link down", || {
        let report = devices.health.report(Instant::now());
        report
            .into_iter()
            .next()
            .filter(|h| h.link == LinkState::Down && meter.device().state().readings[0].is_some())
    })
    .await;
    assert_eq!(h.last_reading_age_ms, None);
    let r = meter.reading();
    assert!(r.stale && r.energy_wh.is_none(), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_errors_name_the_device_and_what_is_wrong() {
    let clock = ReadingClock::new(Instant::now());
    let module = "power-module-30kw-modbus.toml";
    let err = |list: Vec<DeviceInstance>| async move {
        spawn_devices(&list, &profiles(), clock).await.unwrap_err()
    };

    let e = err(vec![
        instance("m1", Role::PowerModule, module, 5020, 1),
        instance("m1", Role::PowerModule, module, 5020, 2),
    ])
    .await;
    assert_eq!(
        (e.device.as_str(), &e.problem),
        ("m1", &BuildProblem::DuplicateName)
    );

    let e = err(vec![
        instance("m1", Role::PowerModule, module, 5020, 1),
        instance("m2", Role::PowerModule, module, 5020, 1),
    ])
    .await;
    assert_eq!(e.device, "m2");
    assert!(
        matches!(&e.problem, BuildProblem::DuplicateUnit { unit: 1, other, .. } if other == "m1"),
        "{e}"
    );

    let e = err(vec![instance("meter", Role::DcMeter, module, 5020, 1)]).await;
    assert!(
        matches!(
            e.problem,
            BuildProblem::WrongRole {
                found: Role::PowerModule,
                wanted: Role::DcMeter,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("device meter: "), "{e}");

    let e = err(vec![instance(
        "m1",
        Role::PowerModule,
        "no-such.toml",
        5020,
        1,
    )])
    .await;
    assert!(matches!(e.problem, BuildProblem::Profile(_)), "{e}");
    assert!(e.to_string().contains("no-such.toml"), "{e}");

    let e = err(vec![instance("m1", Role::PowerModule, module, 5020, 0)]).await;
    assert_eq!(e.problem, BuildProblem::BroadcastUnit);

    let mut slow = instance("m2", Role::PowerModule, module, 5020, 2);
    let Transport::ModbusTcp(tcp) = &mut slow.transport else {
        unreachable!()
    };
    tcp.timeout_ms = Some(1_000);
    let e = err(vec![
        instance("m1", Role::PowerModule, module, 5020, 1),
        slow,
    ])
    .await;
    assert!(
        matches!(&e.problem, BuildProblem::LinkConflict { other, .. } if other == "m1"),
        "{e}"
    );

    // The backends' constructors check the role too.
    let (mut devs, _task) = charger_hal::modbus::spawn_tcp(
        charger_hal::modbus::TcpLink {
            addr: SocketAddr::from(([127, 0, 0, 1], 9)),
            timeout: Duration::from_millis(100),
            reconnect_after: 3,
            frozen_after: 3,
        },
        vec![charger_hal::modbus::DeviceConfig {
            name: "meter".into(),
            unit: 1,
            profile: shipped("dc-meter-modbus.toml"),
        }],
    );
    let e =
        charger_hal::devices::ModbusPowerModule::new("meter", devs.remove(0), clock).unwrap_err();
    assert!(
        matches!(
            e,
            charger_hal::devices::RoleError::WrongRole {
                found: Role::DcMeter,
                wanted: Role::PowerModule,
                ..
            }
        ),
        "{e}"
    );

    let mut fast = instance("m1", Role::PowerModule, module, 5020, 1);
    let Transport::ModbusTcp(tcp) = &mut fast.transport else {
        unreachable!()
    };
    tcp.timeout_ms = Some(1);
    let e = err(vec![fast]).await;
    assert!(
        matches!(
            e.problem,
            BuildProblem::Setting {
                key: "timeout_ms",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn device_instances_deserialize_from_the_configuration() {
    #[derive(serde::Deserialize)]
    struct Config {
        devices: Vec<DeviceInstance>,
    }
    let text = r#"
        [[devices]]
        name = "module1"
        role = "power_module"
        profile = "devices/power-module-30kw-modbus.toml"
        transport = { kind = "modbus_tcp", host = "10.0.0.5", unit = 1 }

        [[devices]]
        name = "meter"
        role = "dc_meter"
        profile = "devices/dc-meter-modbus.toml"
        transport = { kind = "modbus_tcp", host = "10.0.0.6", port = 5020, unit = 3, timeout_ms = 300 }
    "#;
    let cfg: Config = toml::from_str(text).unwrap();
    assert_eq!(cfg.devices.len(), 2);
    assert_eq!(
        cfg.devices[0].transport,
        Transport::ModbusTcp(ModbusTcp::new("10.0.0.5", 502, 1))
    );
    let Transport::ModbusTcp(tcp) = &cfg.devices[1].transport else {
        unreachable!()
    };
    assert_eq!((tcp.port, tcp.unit, tcp.timeout_ms), (5020, 3, Some(300)));

    let typo = text.replace("timeout_ms = 300", "timeout_ms = 300, timeuot = 1");
    assert!(
        toml::from_str::<Config>(&typo).is_err(),
        "an unknown key is an error"
    );
    let unknown = text.replace(
        "modbus_tcp\", host = \"10.0.0.6\"",
        "modbus_udp\", host = \"10.0.0.6\"",
    );
    assert!(toml::from_str::<Config>(&unknown).is_err());
}
