//! An I/O module over real Modbus TCP on loopback: the built-in simulator serving the shipped
//! `io-module-8di8do-modbus.toml`, and chargerd's side built from a `[[devices]]` entry of role
//! `io_module` and used only through `Devices::line_source` (`Arc<dyn LineSource>`), as board
//! I/O uses it. Inputs toggled on the simulated terminals arrive with their read time, a relay
//! commanded arrives on the module, a module that lost its relays (its communication timeout)
//! gets them back, and a module that stops answering leaves its points' `at` where it was, with
//! `last_error` saying why. `chargerctl devices` shows it like any other device.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use charger_hal::devices::{
    spawn_devices, BuildProblem, DeviceInstance, LinkState, ModbusTcp, ReadingClock, ShownValue,
    Transport,
};
use charger_hal::io::{LineError, LineSource, PointValue};
use charger_hal::profile::{Profile, Role};
use charger_hal::sim::modbus::server::serve;
use charger_hal::sim::modbus::{CommsFault, IoModulePlant, PlantModel, SimDevice};
use tokio::time::Instant;

const PROFILE: &str = "io-module-8di8do-modbus.toml";
const TICK: Duration = Duration::from_millis(10);
const WAIT: Duration = Duration::from_secs(3);

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices")
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn instance(port: u16) -> DeviceInstance {
    let mut tcp = ModbusTcp::new("127.0.0.1", port, 1);
    tcp.timeout_ms = Some(200);
    DeviceInstance {
        name: "cabinet-io".into(),
        role: Role::IoModule,
        profile: PROFILE.into(),
        transport: Transport::ModbusTcp(tcp),
    }
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn level(io: &dyn LineSource, point: &str) -> Option<bool> {
    match io.input(point)?.value {
        PointValue::Level(b) => Some(b),
        PointValue::Analog(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_outputs_and_a_silent_module_through_the_line_source() {
    let profile = Arc::new(Profile::load(&profiles().join(PROFILE)).unwrap());
    let plant = IoModulePlant::new(&profile);
    let sim = serve(SimDevice::new(profile, plant).unwrap(), any_port(), TICK)
        .await
        .unwrap();
    let clock = ReadingClock::new(Instant::now());
    let devices = spawn_devices(&[instance(sim.addr().port())], &profiles(), clock)
        .await
        .unwrap();
    let io = devices.line_source("cabinet-io").unwrap();
    assert!(devices.line_source("nothing").is_none());
    assert_eq!(io.name(), "cabinet-io");

    // Inputs: all low at first, then DI3 high and 7.25 V on AI2 at the terminals.
    wait_for("the first read of di3", || level(io.as_ref(), "di3")).await;
    assert_eq!(level(io.as_ref(), "di3"), Some(false));
    sim.with(|d| {
        assert!(d.plant_mut().set_input("di3", true));
        assert!(d.plant_mut().set_analog("ai2", 7.25));
    });
    let toggled = Instant::now();
    wait_for("di3 high", || level(io.as_ref(), "di3").filter(|b| *b)).await;
    // At 20 Hz, an edge reaches the caller within a few poll periods.
    let latency = toggled.elapsed();
    eprintln!("input edge seen through the line source after {latency:?}");
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    let ai2 = wait_for("7.25 V on ai2", || {
        io.input("ai2")
            .filter(|r| r.value == PointValue::Analog(7.25))
    })
    .await;
    let now = clock.at(Instant::now());
    assert!(ai2.at <= now && now.saturating_since(ai2.at) < Duration::from_millis(500));
    assert_eq!(io.last_error(), None);

    // Outputs: relay 2 closes on the module, and the module's own answer is what `input`
    // shows for it; a point that is not an output is refused without touching the wire.
    let commanded = Instant::now();
    io.set_output("do2", true).unwrap();
    wait_for("relay 2 closed", || {
        sim.with(|d| d.plant().output("do2")).filter(|b| *b)
    })
    .await;
    wait_for("the module's acknowledgement", || {
        level(io.as_ref(), "do2").filter(|b| *b)
    })
    .await;
    eprintln!(
        "relay closed and confirmed by read-back {:?} after set_output",
        commanded.elapsed()
    );
    assert!(matches!(
        io.set_output("di1", true),
        Err(LineError::UnknownPoint { .. })
    ));
    assert!(matches!(
        io.set_output("do9", true),
        Err(LineError::UnknownPoint { .. })
    ));
    assert_eq!(io.input("do9"), None);

    // The module drops its relays (as its communication timeout does); a refused write makes
    // chargerd write every output again, so relay 2 comes back without a new command.
    sim.with(|d| {
        d.inject(Some(CommsFault::Exception(
            tokio_modbus::ExceptionCode::ServerDeviceBusy,
        )))
    });
    io.set_output("do5", true).unwrap();
    wait_for("the refused write to be reported", || io.last_error()).await;
    sim.with(|d| {
        d.inject(None);
        d.plant_mut().comms_lost();
    });
    wait_for("relays 2 and 5 closed again", || {
        sim.with(|d| d.plant().output("do2") == Some(true) && d.plant().output("do5") == Some(true))
            .then_some(())
    })
    .await;
    wait_for("no error once the module holds every output", || {
        io.last_error().is_none().then_some(())
    })
    .await;

    // `chargerctl devices`: the module is up, and its points are among the values shown.
    let health = devices.health.report(Instant::now());
    let h = health.iter().find(|h| h.name == "cabinet-io").unwrap();
    assert_eq!(h.role, Role::IoModule);
    assert_eq!(h.link, LinkState::Connected);
    assert!(h
        .values
        .iter()
        .any(|v| v.register == "di3" && v.value == ShownValue::Bool(true)));

    // The module stops answering: its inputs keep their last value and their time, and the
    // error says why.
    let before = io.input("di3").unwrap();
    sim.with(|d| d.inject(Some(CommsFault::NoAnswer)));
    let why = wait_for("the silent module's error", || io.last_error()).await;
    assert!(
        why.contains("no answer") || why.contains("not connected"),
        "{why}"
    );
    let frozen = io.input("di3").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = io.input("di3").unwrap();
    assert_eq!(later, frozen, "a point not refreshed is simply old");
    assert!(later.at >= before.at);
    let now = clock.at(Instant::now());
    assert!(
        now.saturating_since(later.at) >= Duration::from_millis(300),
        "at stopped advancing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_profile_is_for_another_role_is_refused_by_name_and_key() {
    let clock = ReadingClock::new(Instant::now());
    let mut wrong = instance(1502);
    wrong.profile = "dc-meter-modbus.toml".into();
    let e = spawn_devices(&[wrong], &profiles(), clock)
        .await
        .unwrap_err();
    assert_eq!(e.device, "cabinet-io");
    assert_eq!(e.key, "profile");
    assert!(
        matches!(
            e.problem,
            BuildProblem::WrongRole {
                found: Role::DcMeter,
                wanted: Role::IoModule,
                ..
            }
        ),
        "{e}"
    );
}

/// The README's worked example ("I/O modules"), exactly as printed there.
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let from = readme
        .find("**Worked example: a profile from a module's register table.**")
        .expect("the README's I/O-module example");
    let rest = &readme[from..];
    let start = rest.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + rest[start..].find("```").unwrap();
    rest[start..end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_example_loads_and_drives_a_relay_that_is_a_bit_of_a_holding_register() {
    let profile = Arc::new(
        Profile::parse(&readme_example(), Path::new("README.md (I/O modules)"))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(profile.role, Role::IoModule);
    let plant = IoModulePlant::new(&profile);
    let sim = serve(
        SimDevice::new(profile.clone(), plant).unwrap(),
        any_port(),
        TICK,
    )
    .await
    .unwrap();
    // The other bits of the relay word belong to someone else (reserved): they must survive.
    sim.with(|d| {
        d.handle(&tokio_modbus::Request::WriteSingleRegister(0, 0x0F00))
            .unwrap()
    });
    let (mut devs, task) = charger_hal::modbus::spawn_tcp(
        charger_hal::modbus::TcpLink::new(sim.addr()),
        vec![charger_hal::modbus::DeviceConfig {
            name: "ostra".into(),
            unit: 1,
            profile,
        }],
    );
    let clock = ReadingClock::new(Instant::now());
    let io = charger_hal::devices::ModbusIoModule::new("ostra", devs.remove(0), clock).unwrap();
    sim.with(|d| {
        d.plant_mut().set_input("in1", true);
        d.plant_mut().set_analog("ai1", 4.87);
    });
    wait_for("in1 high", || level(&io, "in1").filter(|b| *b)).await;
    // 4.87 V is 1994 counts of 10 V / 4095: read back within one count.
    let ai1 = wait_for("ai1", || match io.input("ai1")?.value {
        PointValue::Analog(v) if v > 1.0 => Some(v),
        _ => None,
    })
    .await;
    assert!((ai1 - 4.87).abs() < 10.0 / 4095.0, "{ai1}");

    io.set_output("rl1", true).unwrap();
    wait_for("relay 1 closed", || {
        sim.with(|d| d.plant().output("rl1")).filter(|b| *b)
    })
    .await;
    let word = sim.with(|d| {
        d.handle(&tokio_modbus::Request::ReadHoldingRegisters(0, 1))
            .unwrap()
    });
    assert_eq!(
        word,
        Some(tokio_modbus::Response::ReadHoldingRegisters(vec![0x0F01])),
        "bit 0 set by a masked write, the reserved bits kept"
    );
    wait_for("the read-back", || level(&io, "rl1").filter(|b| *b)).await;
    assert_eq!(io.last_error(), None);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_commanded_while_the_module_is_away_is_written_once_it_answers() {
    // A port that was free a moment ago: nothing answers there yet.
    let port = {
        let l = std::net::TcpListener::bind(any_port()).unwrap();
        l.local_addr().unwrap().port()
    };
    let clock = ReadingClock::new(Instant::now());
    let devices = spawn_devices(&[instance(port)], &profiles(), clock)
        .await
        .unwrap();
    let io = devices.line_source("cabinet-io").unwrap();
    io.set_output("do7", true).unwrap();
    let why = wait_for("the module's error", || io.last_error()).await;
    assert!(why.starts_with("not connected"), "{why}");
    assert_eq!(io.input("di1"), None, "never read");

    // The module comes up at its address (its relays open after its power-up).
    let profile = Arc::new(Profile::load(&profiles().join(PROFILE)).unwrap());
    let plant = IoModulePlant::new(&profile);
    let sim = serve(
        SimDevice::new(profile, plant).unwrap(),
        SocketAddr::from(([127, 0, 0, 1], port)),
        TICK,
    )
    .await
    .unwrap();
    wait_for("relay 7 closed without a new command", || {
        sim.with(|d| d.plant().output("do7")).filter(|b| *b)
    })
    .await;
    wait_for("the first read", || level(io.as_ref(), "di1")).await;
    wait_for("no error", || io.last_error().is_none().then_some(())).await;
}
