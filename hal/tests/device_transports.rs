//! `[[devices]]` over Modbus RTU and CAN, end to end through `spawn_devices`: instances parsed
//! from the configuration's TOML, the RTU units served by the profile-driven simulator on one
//! end of a pseudo-terminal pair (the other end opened by its path, as a USB RS-485 adapter
//! would be), the CAN power modules by the CAN module simulator over cannelloni on loopback.
//! Each device reads and follows what it is commanded through the role the station uses, and
//! shows its link in the health view of `chargerctl devices`.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use charger_hal::can::cannelloni::{CannelloniConfig, CannelloniSocket};
use charger_hal::devices::{
    check_instances, spawn_devices, BuildProblem, DeviceInstance, LinkState, ReadingClock,
};
use charger_hal::profile::can::CanProfile;
use charger_hal::profile::{Profile, Role};
use charger_hal::sim::can_module::{CanModuleSim, CanModuleSimServer, CanSimFault};
use charger_hal::sim::modbus::server::serve_rtu_bus;
use charger_hal::sim::modbus::{
    BatteryLoad, DcMeterPlant, ModuleRating, PowerModulePlant, SimDevice,
};
use charger_hal::{DcMeter, ModuleCommand};
use charger_protocol::Timestamp;
use tokio::time::Instant;
use tokio_serial::{SerialPort, SerialStream};

const TICK: Duration = Duration::from_millis(10);
const WAIT: Duration = Duration::from_secs(5);

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices")
}

fn shipped(name: &str) -> Arc<Profile> {
    Arc::new(Profile::load(&profiles().join(name)).unwrap())
}

/// The `[[devices]]` of a configuration text.
fn devices(text: &str) -> Vec<DeviceInstance> {
    #[derive(serde::Deserialize)]
    struct Config {
        devices: Vec<DeviceInstance>,
    }
    toml::from_str::<Config>(text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .devices
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtu_devices_on_one_pty_bus_read_and_follow_their_commands() {
    let (master, slave) =
        SerialStream::pair().expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().expect("the slave end of a pty has a path");
    // Units 1 and 2: power modules; unit 3 a DC meter, on the same line.
    let module = || {
        let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        SimDevice::new(shipped("power-module-30kw-modbus.toml"), plant).unwrap()
    };
    let bus = serve_rtu_bus(vec![(1, module()), (2, module())], master, TICK).unwrap();
    // The builder opens the slave end by its path; this handle only keeps the pair alive.
    let _slave = slave;

    let text = format!(
        r#"
        [[devices]]
        name = "module-1"
        role = "power_module"
        profile = "power-module-30kw-modbus.toml"
        transport = {{ kind = "modbus_rtu", path = "{path}", baud = 115200, parity = "even", unit = 1, timeout_ms = 100 }}

        [[devices]]
        name = "module-2"
        role = "power_module"
        profile = "power-module-30kw-modbus.toml"
        transport = {{ kind = "modbus_rtu", path = "{path}", baud = 115200, unit = 2, timeout_ms = 100 }}
        "#
    );
    let instances = devices(&text);
    let clock = ReadingClock::new(Instant::now());
    let mut devs = spawn_devices(&instances, &profiles(), clock).await.unwrap();
    assert_eq!(devs.connections.len(), 1, "two units on one bus: one task");
    let mut m1 = devs.take_power_module("module-1").unwrap();
    let mut m2 = devs.take_power_module("module-2").unwrap();

    // Both read over the one line.
    for (m, what) in [(&m1, "module-1 read"), (&m2, "module-2 read")] {
        wait_for(what, || Some(m.reading()).filter(|r| !r.stale)).await;
    }
    // Each follows its own command: 700 V into the 600 V battery, 30 A and 12 A limits.
    let on = |current_limit| ModuleCommand {
        enable: true,
        voltage: 700.0,
        current_limit,
    };
    m1.command(on(30.0), now(&clock));
    m2.command(on(12.0), now(&clock));
    for (m, unit, amps) in [(&mut m1, 1u8, 30.0f32), (&mut m2, 2, 12.0)] {
        let r = wait_for("the module at its current limit", || {
            m.step(now(&clock));
            let r = m.reading();
            ((r.current - amps).abs() < 0.05 && r.running && !r.stale).then_some(r)
        })
        .await;
        let plant = bus.with_unit(unit, |d| d.plant().output_current()).unwrap();
        assert!(
            (plant - f64::from(amps)).abs() < 0.05,
            "unit {unit}: {plant} A, {r:?}"
        );
    }
    // Off again: the write reaches the plant.
    m1.command(ModuleCommand::OFF, now(&clock));
    wait_for("unit 1 off", || {
        bus.with_unit(1, |d| d.plant().output_current())
            .filter(|i| *i == 0.0)
    })
    .await;

    let health = devs.health.report(Instant::now());
    assert_eq!(health.len(), 2);
    for (h, unit) in health.iter().zip([1, 2]) {
        assert_eq!(h.link, LinkState::Connected, "{h:?}");
        assert_eq!(h.transport, format!("modbus-rtu {path} unit {unit}"));
        assert!(h.last_reading_age_ms.is_some_and(|a| a < 1000), "{h:?}");
        assert!(h.requests > 0 && h.errors.write_failures == 0, "{h:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rtu_meter_shares_the_bus_with_a_unit_that_does_not_answer() {
    let (master, slave) =
        SerialStream::pair().expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().expect("the slave end of a pty has a path");
    let _slave = slave;
    let meter =
        SimDevice::new(shipped("dc-meter-modbus.toml"), DcMeterPlant::new(5_000.0)).unwrap();
    let bus = serve_rtu_bus(vec![(7, meter)], master, TICK).unwrap();
    // 800 V × 450 A = 360 kW = 100 Wh/s.
    bus.with_unit(7, |d| d.plant_mut().set_measurement(800.0, 450.0))
        .unwrap();
    let text = format!(
        r#"
        [[devices]]
        name = "meter"
        role = "dc_meter"
        profile = "dc-meter-modbus.toml"
        transport = {{ kind = "modbus_rtu", path = "{path}", baud = 57600, parity = "none", stop_bits = 2, unit = 7, timeout_ms = 50 }}

        [[devices]]
        name = "absent"
        role = "dc_meter"
        profile = "dc-meter-modbus.toml"
        transport = {{ kind = "modbus_rtu", path = "{path}", baud = 57600, parity = "none", stop_bits = 2, unit = 8, timeout_ms = 50 }}
        "#
    );
    let clock = ReadingClock::new(Instant::now());
    let mut devs = spawn_devices(&devices(&text), &profiles(), clock)
        .await
        .unwrap();
    let meter = devs.dc_meters.remove("meter").unwrap();
    let first = wait_for("the meter's energy", || {
        let r = meter.reading();
        r.energy_wh.filter(|_| !r.stale)
    })
    .await;
    wait_for("the energy rising", || {
        meter.reading().energy_wh.filter(|e| *e > first + 1.0)
    })
    .await;
    let health = wait_for("the absent unit's timeouts", || {
        let h = devs.health.report(Instant::now());
        (h[1].errors.timeouts > 0).then_some(h)
    })
    .await;
    assert_eq!(health[0].link, LinkState::Connected, "{health:?}");
    assert!(health[0].last_reading_age_ms.is_some_and(|a| a < 1000));
    assert_eq!(health[1].last_reading_age_ms, None, "{health:?}");
}

fn can_profile_path() -> PathBuf {
    profiles().join("power-module-infy-can.toml")
}

/// A UDP port on loopback that was free a moment ago.
fn free_udp() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Simulated CAN modules at `addresses` on a cannelloni socket, talking to `station`; returns
/// the server and its address.
fn can_sim(addresses: &[u32], station: SocketAddr) -> (CanModuleSimServer, SocketAddr) {
    let profile = Arc::new(CanProfile::load(&can_profile_path()).unwrap());
    let sim = CanModuleSim::new(
        profile,
        addresses,
        ModuleRating::default(),
        BatteryLoad::default(),
        0.05,
    )
    .unwrap();
    let socket = CannelloniSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr();
    let port = socket
        .into_port(station, CannelloniConfig::default())
        .unwrap();
    (
        CanModuleSimServer::spawn(port, sim, Duration::from_millis(5)).unwrap(),
        addr,
    )
}

fn can_devices(station: SocketAddr, sim: SocketAddr, addresses: &[u32]) -> String {
    addresses
        .iter()
        .map(|a| {
            format!(
                r#"
                [[devices]]
                name = "can-module-{a}"
                role = "power_module"
                profile = "power-module-infy-can.toml"
                transport = {{ kind = "can", address = {a}, link = {{ backend = "cannelloni", bind = "{station}", peer = "{sim}" }} }}
                "#
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_modules_over_cannelloni_follow_their_setpoints_and_show_their_links() {
    let station = free_udp();
    let (server, sim) = can_sim(&[4, 9], station);
    let instances = devices(&can_devices(station, sim, &[4, 9]));
    let clock = ReadingClock::new(Instant::now());
    let mut devs = spawn_devices(&instances, &profiles(), clock).await.unwrap();
    assert_eq!(
        devs.connections.len(),
        1,
        "two modules on one bus: one port"
    );
    let mut m4 = devs.take_power_module("can-module-4").unwrap();
    let mut m9 = devs.take_power_module("can-module-9").unwrap();
    for m in [&mut m4, &mut m9] {
        wait_for("the module answering", || {
            m.step(now(&clock));
            Some(m.reading()).filter(|r| !r.stale && !r.running)
        })
        .await;
    }

    // The pool's setpoints: 700 V into the battery, 20 A and 8 A limits.
    let on = |current_limit| ModuleCommand {
        enable: true,
        voltage: 700.0,
        current_limit,
    };
    m4.command(on(20.0), now(&clock));
    m9.command(on(8.0), now(&clock));
    for (m, address, amps) in [(&mut m4, 4u32, 20.0f32), (&mut m9, 9, 8.0)] {
        let r = wait_for("the module at its limit", || {
            m.step(now(&clock));
            let r = m.reading();
            ((r.current - amps).abs() < 0.5 && r.running && !r.stale).then_some(r)
        })
        .await;
        let plant = server.with_sim(|s| s.plant(address).unwrap().output_current());
        assert!(
            (plant - f64::from(amps)).abs() < 0.5,
            "{address}: {plant} A, {r:?}"
        );
    }
    // A new limit is followed.
    m4.command(on(5.0), now(&clock));
    wait_for("module 4 at 5 A", || {
        let i = server.with_sim(|s| s.plant(4).unwrap().output_current());
        ((i - 5.0).abs() < 0.5).then_some(i)
    })
    .await;

    let health = devs.health.report(Instant::now());
    assert_eq!(health.len(), 2);
    for (h, address) in health.iter().zip([4, 9]) {
        assert_eq!(h.link, LinkState::Connected, "{h:?}");
        assert_eq!(
            h.transport,
            format!("can cannelloni {station} peer {sim} address {address}")
        );
        assert!(h.last_reading_age_ms.is_some_and(|a| a < 1000), "{h:?}");
        assert!(h.requests > 0, "{h:?}");
    }

    // Module 9 falls silent: its reading goes stale and its link shows it, module 4 stays.
    server.with_sim(|s| s.set_fault(9, Some(CanSimFault::Mute)));
    let health = wait_for("module 9 silent", || {
        m9.step(now(&clock));
        m4.step(now(&clock));
        let h = devs.health.report(Instant::now());
        (m9.reading().stale && h[1].link == LinkState::Reconnecting && h[1].errors.timeouts > 0)
            .then_some(h)
    })
    .await;
    assert_eq!(health[0].link, LinkState::Connected, "{health:?}");
    assert!(!m4.reading().stale);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_mistakes_are_named_by_device_and_key() {
    let key_of = |text: &str| {
        let e = check_instances(&devices(text)).unwrap_err();
        (e.index, e.key, e.problem, e.device)
    };
    let rtu = |name: &str, extra: &str| {
        format!(
            "[[devices]]\nname = \"{name}\"\nrole = \"dc_meter\"\nprofile = \"dc-meter-modbus.toml\"\n\
             transport = {{ kind = \"modbus_rtu\", path = \"/dev/ttyUSB0\", {extra} }}\n"
        )
    };
    for (extra, key, problem) in [
        ("unit = 248", "transport.unit", BuildProblem::RtuUnit(248)),
        ("unit = 0", "transport.unit", BuildProblem::RtuUnit(0)),
        (
            "unit = 1, baud = 9800",
            "transport.baud",
            BuildProblem::Baud(9800),
        ),
        (
            "unit = 1, data_bits = 7",
            "transport.data_bits",
            BuildProblem::DataBits(7),
        ),
        (
            "unit = 1, stop_bits = 3",
            "transport.stop_bits",
            BuildProblem::StopBits(3),
        ),
        (
            "unit = 1, timeout_ms = 5",
            "transport.timeout_ms",
            BuildProblem::Setting {
                key: "timeout_ms",
                value: 5,
                min: 10,
                max: 10_000,
            },
        ),
        (
            "unit = 1, silence_us = 10",
            "transport.silence_us",
            BuildProblem::Setting {
                key: "silence_us",
                value: 10,
                min: 100,
                max: 1_000_000,
            },
        ),
    ] {
        let (index, k, p, device) = key_of(&rtu("meter", extra));
        assert_eq!(
            (index, k, &p, device.as_str()),
            (0, key, &problem, "meter"),
            "{extra}"
        );
    }
    let ok = rtu("a", "unit = 1, baud = 9600, parity = \"odd\"");
    assert!(check_instances(&devices(&ok)).is_ok());
    // Two devices on one bus: the second's differing setting is named.
    let (index, key, problem, device) = key_of(&format!(
        "{ok}{}",
        rtu("b", "unit = 2, baud = 19200, parity = \"odd\"")
    ));
    assert_eq!((index, key, device.as_str()), (1, "transport.baud", "b"));
    assert!(
        matches!(&problem, BuildProblem::LinkConflict { other, link } if other == "a" && link.contains("/dev/ttyUSB0")),
        "{problem}"
    );
    let (_, key, ..) = key_of(&format!("{ok}{}", rtu("b", "unit = 2, baud = 9600")));
    assert_eq!(key, "transport.parity");
    let (_, key, problem, _) = key_of(&format!(
        "{ok}{}",
        rtu("b", "unit = 1, baud = 9600, parity = \"odd\"")
    ));
    assert_eq!(key, "transport.unit");
    assert!(
        matches!(problem, BuildProblem::DuplicateUnit { unit: 1, .. }),
        "{problem}"
    );
    // Another bus may differ.
    let other_bus = rtu("b", "unit = 1, baud = 19200").replace("ttyUSB0", "ttyUSB1");
    assert!(check_instances(&devices(&format!("{ok}{other_bus}"))).is_ok());

    let can = |name: &str, role: &str, address: u32, link: &str| {
        format!(
            "[[devices]]\nname = \"{name}\"\nrole = \"{role}\"\nprofile = \"power-module-infy-can.toml\"\n\
             transport = {{ kind = \"can\", address = {address}, link = {link} }}\n"
        )
    };
    let can0 = "{ backend = \"socketcan\", interface = \"can0\" }";
    let (_, key, problem, _) = key_of(&can("imd", "insulation_monitor", 1, can0));
    assert_eq!(key, "role");
    assert_eq!(problem, BuildProblem::CanRole(Role::InsulationMonitor));
    let (_, key, ..) = key_of(&can(
        "m",
        "power_module",
        1,
        "{ backend = \"socketcan\", interface = \"can/0\" }",
    ));
    assert_eq!(key, "transport.link.interface");
    let (_, key, ..) = key_of(&can(
        "m",
        "power_module",
        1,
        "{ backend = \"cannelloni\", bind = \"127.0.0.1:20000\", peer = \"0.0.0.0:20001\" }",
    ));
    assert_eq!(key, "transport.link.peer");
    let (_, key, problem, _) = key_of(&format!(
        "{}{}",
        can("m1", "power_module", 1, can0),
        can("m2", "power_module", 1, can0)
    ));
    assert_eq!(key, "transport.address");
    assert!(
        matches!(&problem, BuildProblem::DuplicateAddress { address: 1, other, .. } if other == "m1"),
        "{problem}"
    );
    let cannelloni = |peer: &str| {
        format!("{{ backend = \"cannelloni\", bind = \"127.0.0.1:20000\", peer = \"{peer}\" }}")
    };
    let (_, key, ..) = key_of(&format!(
        "{}{}",
        can("m1", "power_module", 1, &cannelloni("127.0.0.1:20001")),
        can("m2", "power_module", 2, &cannelloni("127.0.0.1:20002"))
    ));
    assert_eq!(key, "transport.link.peer");
    let (_, key, problem, _) = key_of(&format!(
        "{}{}",
        can("m1", "power_module", 1, can0),
        can("m2", "power_module", 2, can0).replace("infy-can", "other-can")
    ));
    assert_eq!(key, "profile");
    assert!(
        matches!(problem, BuildProblem::BusProfile { .. }),
        "{problem}"
    );

    // What only the profile can tell: checked by spawn_devices before anything is opened.
    let clock = ReadingClock::new(Instant::now());
    let far = can("m1", "power_module", 63, can0);
    let e = spawn_devices(&devices(&far), &profiles(), clock)
        .await
        .unwrap_err();
    assert_eq!(e.key, "transport.address");
    assert!(
        matches!(
            e.problem,
            BuildProblem::Address {
                address: 63,
                first: 0,
                last: 62
            }
        ),
        "{e}"
    );
    // The shipped profile's identifiers carry no group.
    let grouped =
        can("m1", "power_module", 1, can0).replace("address = 1,", "address = 1, group = 2,");
    let e = spawn_devices(&devices(&grouped), &profiles(), clock)
        .await
        .unwrap_err();
    assert_eq!(e.key, "transport.group");
    assert_eq!(e.problem, BuildProblem::Group { group: 2, max: 0 });
    // A Modbus profile named by a CAN device is a profile error naming its file.
    let modbus = can("m1", "power_module", 1, can0).replace(
        "power-module-infy-can.toml",
        "power-module-30kw-modbus.toml",
    );
    let e = spawn_devices(&devices(&modbus), &profiles(), clock)
        .await
        .unwrap_err();
    assert_eq!(e.key, "profile");
    assert!(
        e.to_string().contains("power-module-30kw-modbus.toml"),
        "{e}"
    );
    // A bind address that cannot be bound (another program has it): the module is started
    // all the same, silent (stale) while its bus is retried every second; the rest of the
    // station runs.
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let busy = can(
        "m1",
        "power_module",
        1,
        &format!(
            "{{ backend = \"cannelloni\", bind = \"{}\", peer = \"127.0.0.1:9\" }}",
            taken.local_addr().unwrap()
        ),
    );
    let mut started = spawn_devices(&devices(&busy), &profiles(), clock)
        .await
        .unwrap();
    let module = started
        .take_power_module("m1")
        .expect("started without its bus");
    assert!(module.reading().stale);
}
