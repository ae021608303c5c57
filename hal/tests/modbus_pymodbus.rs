//! hal::modbus against a Modbus peer that is not ours: pymodbus serving the Nordhavn LCU-600,
//! a cooling unit chargerd had never seen. Its profile (tests/data/nordhavn-lcu600.toml) was
//! written from the README alone, from the datasheet in its comment block; the peer
//! (tests/peers/nordhavn_lcu600.py) encodes the datasheet's values itself with struct.pack and
//! never reads the profile. So every value decoded right here is a profile an integrator got
//! right from the documentation, through an independent Modbus implementation.
//!
//! The peer answers "illegal data address" for the unit's reserved block (30013-30020) and
//! "illegal data value" for reads longer than 12 registers, as the datasheet says, and logs every
//! request it receives and every write, decoded by the datasheet.
//!
//! A second peer (tests/peers/kestrel_io16.py) serves the Kestrel KIO-16, an I/O module with
//! its inputs as the bits of one input register and its relays as coils from address 16, from
//! the datasheet in tests/data/kestrel-io16.toml; that profile was written from the README's
//! "I/O modules" section alone, and the module is driven through `Devices::line_source`, as
//! board I/O drives it.
//!
//! Needs `python3 -m pip install --user pymodbus==3.16.1` (`.ci/run` installs it): without it
//! the tests fail with that command, they never skip.

// Test helpers outside #[test] functions (the peer, the fixtures) unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use charger_hal::devices::{spawn_devices, DeviceInstance, ModbusTcp, ReadingClock, Transport};
use charger_hal::io::{LineSource, PointValue};
use charger_hal::modbus::{
    spawn_tcp, CommandError, DeviceConfig, Exception, ModbusDevice, ReadError, TcpLink,
};
use charger_hal::profile::{DecodeError, GroupKind, Point, Profile, Role, Table, Value};
use serde_json::Value as Json;
use tokio_modbus::client::{tcp, Reader};
use tokio_modbus::{ExceptionCode, Slave};

const INSTALL: &str = "python3 -m pip install --user pymodbus==3.16.1 (as .ci/run does)";
const UNIT: u8 = 7;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn profile_path() -> PathBuf {
    here().join("data/nordhavn-lcu600.toml")
}

/// The pymodbus peer: a child process, its log lines collected by a thread. Closing its stdin
/// (on drop) ends it; it also dies with this process.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Json>>>,
}

impl Peer {
    fn start() -> Peer {
        Peer::start_script("nordhavn_lcu600.py")
    }

    /// Start the peer `tests/peers/<script>`.
    fn start_script(script: &str) -> Peer {
        let script = here().join("peers").join(script);
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(&script)
            .args(["--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run python3 ({e}): install Python 3, then {INSTALL}")
            });
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(json) = serde_json::from_str::<Json>(&line) else {
                    continue;
                };
                if let Some(port) = json.get("listening").and_then(Json::as_u64) {
                    let _ = port_tx.send(port);
                } else {
                    sink.lock().unwrap().push(json);
                }
            }
        });
        let port = match port_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(port) => u16::try_from(port).unwrap(),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                if status.code() == Some(3) {
                    panic!(
                        "python3 cannot import pymodbus, the peer of these tests: {INSTALL}\n{err}"
                    );
                }
                panic!("the pymodbus peer did not start ({status}); if pymodbus is missing or another version: {INSTALL}\n{err}");
            }
        };
        Peer {
            child,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    /// One line on the peer's standard input (its commands).
    fn send(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("the peer runs");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Stop the peer as a module that lost its power would: no goodbye, the port closed.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.stdin.take());
    }

    fn events(&self, kind: &str) -> Vec<Json> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == kind)
            .cloned()
            .collect()
    }

    /// (function code, address, count) of every request the peer received.
    fn requests(&self) -> Vec<(u64, u64, u64, u64)> {
        self.events("request")
            .iter()
            .map(|e| {
                let n = |k: &str| e[k].as_u64().unwrap();
                (n("fc"), n("address"), n("count"), n("unit"))
            })
            .collect()
    }

    /// Values the peer decoded from writes to the register `name`, in order.
    fn writes(&self, name: &str) -> Vec<Json> {
        self.events("write")
            .into_iter()
            .filter(|e| e["name"] == name)
            .map(|e| e["value"].clone())
            .collect()
    }

    async fn until(&self, what: &str, cond: impl Fn(&Peer) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !cond(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the peer to see {what}: {:?}",
                self.log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(peer: &Peer, profile: Profile) -> (ModbusDevice, tokio::task::JoinHandle<()>) {
    let link = TcpLink {
        addr: peer.addr,
        timeout: Duration::from_millis(1000),
        reconnect_after: 3,
        frozen_after: 5,
    };
    let (mut devs, task) = spawn_tcp(
        link,
        vec![DeviceConfig {
            name: "lcu600".into(),
            unit: UNIT,
            profile: Arc::new(profile),
        }],
    );
    (devs.remove(0), task)
}

/// Wait (real time, bounded) until `cond` holds for the device's state.
async fn until(dev: &mut ModbusDevice, what: &str, cond: impl Fn(&ModbusDevice) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond(dev) {
        if tokio::time::timeout_at(deadline, dev.changed())
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}: {:?}", dev.state());
        }
    }
}

fn value(dev: &ModbusDevice, name: &str) -> Result<Value, ReadError> {
    dev.reading_named(name)
        .unwrap_or_else(|| panic!("{name} was never read"))
        .value
}

fn number(dev: &ModbusDevice, name: &str) -> f64 {
    match value(dev, name) {
        Ok(Value::Number(n)) => n,
        other => panic!("{name}: {other:?}"),
    }
}

fn assert_close(dev: &ModbusDevice, name: &str, want: f64) {
    let got = number(dev, name);
    assert!(
        (got - want).abs() <= want.abs() * 1e-12 + 1e-9,
        "{name}: decoded {got}, the datasheet says {want}"
    );
}

/// Every register of every polled group has been read at least once.
fn all_polled(dev: &ModbusDevice) -> bool {
    let p = dev.profile();
    let state = dev.state();
    p.registers.iter().enumerate().all(|(i, r)| {
        let polled = p
            .groups
            .get(r.group)
            .is_some_and(|g| matches!(g.kind, GroupKind::Status { .. }));
        !polled || state.readings.get(i).is_some_and(Option::is_some)
    })
}

#[tokio::test]
async fn a_profile_written_from_the_readme_decodes_what_pymodbus_serves_by_the_datasheet() {
    let peer = Peer::start();
    let profile = Profile::load(&profile_path()).unwrap();
    let (mut dev, task) = connect(&peer, profile);
    until(&mut dev, "every polled register", all_polled).await;
    // Through a wrap of the measurement counter (it starts at 0xFFF0): the measurement
    // snapshot must stay fresh, never frozen.
    until(
        &mut dev,
        "the cycle counter to wrap",
        |d| matches!(value(d, "measurement_counter"), Ok(Value::Number(n)) if n < 100.0),
    )
    .await;

    // The datasheet's values, each through its own type, order, scale and sentinel.
    let now = tokio::time::Instant::now();
    let point = |p: Point| match dev.value(p, now) {
        Ok(Value::Number(n)) => n,
        other => panic!("{p:?}: {other:?}"),
    };
    for (p, want) in [
        (Point::PinTemperatureDcPlus, 47.3),
        (Point::PinTemperatureDcMinus, 45.9),
        (Point::CoolantInletTemperature, 28.4),
        (Point::CoolantOutletTemperature, 33.1),
        (Point::CoolantFlow, 11.75),     // float32, low word first
        (Point::CoolantPressure, 2.375), // float32, low word first
        (Point::CoolantLevel, 87.5),     // 0.5 % per digit
    ] {
        let got = point(p);
        assert!(
            (got - want).abs() < 1e-9,
            "{p:?}: decoded {got}, the datasheet says {want}"
        );
    }
    assert_eq!(
        value(&dev, "aux_probe_t5"),
        Err(ReadError::Decode(DecodeError::SensorFault { raw: 32767 })),
        "a probe that is not fitted is a sensor fault, not 3276.7 degC"
    );
    // Bit field and enum keep their raw value, named through the profile.
    assert_eq!(value(&dev, "alarm_word"), Ok(Value::Number(8.0)));
    let p = dev.profile();
    assert_eq!(
        p.register("alarm_word").unwrap().active_bits(8),
        vec!["level_low"]
    );
    assert_eq!(value(&dev, "operating_state"), Ok(Value::Number(1.0)));
    assert_eq!(
        p.register("operating_state")
            .unwrap()
            .enum_names
            .get(&1)
            .map(String::as_str),
        Some("running")
    );
    assert_close(&dev, "firmware_version", 312.0);
    assert_close(&dev, "pump_operating_time", 27_439_044.0); // u32, least significant byte first
    assert_close(&dev, "fan_operating_time", 195_948_557.0); // u32, bytes swapped per word
    assert_close(&dev, "energy_consumed", 4_886_718.345); // u64, low word first, mWh → Wh
    assert_eq!(
        value(&dev, "serial_number"),
        Ok(Value::Text("LCU600-24090173".into()))
    );
    for (name, want) in [
        ("pump_running", true),
        ("fan_running", true),
        ("common_alarm", true),
        ("level_switch_ok", false),
    ] {
        assert_eq!(value(&dev, name), Ok(Value::Bool(want)), "{name}");
    }

    // What the peer saw: only unit 7, no read longer than the unit's 12 registers, none
    // touching the reserved block, and no value cut in two by a request boundary.
    let state = dev.state();
    let e = state.errors;
    assert_eq!(
        (
            e.timeouts,
            e.exceptions,
            e.transport,
            e.write_failures,
            e.reconnects
        ),
        (0, 0, 0, 0, 0),
        "{e:?}"
    );
    // The only bad values are the missing probe's sentinels.
    for (r, reading) in p.registers.iter().zip(&state.readings) {
        if let Some(reading) = reading {
            assert!(
                reading.value.is_ok() || r.name == "aux_probe_t5",
                "{}: {:?}",
                r.name,
                reading.value
            );
        }
    }
    let requests = peer.requests();
    assert!(
        requests.iter().all(|r| r.3 == u64::from(UNIT)),
        "unit id: {requests:?}"
    );
    let reads: Vec<_> = requests.iter().filter(|r| r.0 == 3 || r.0 == 4).collect();
    assert!(!reads.is_empty());
    for &&(fc, address, count, _) in &reads {
        assert!(count <= 12, "a read of {count} registers: {requests:?}");
        let end = address + count; // exclusive
        assert!(
            fc != 4 || end <= 12 || address >= 20,
            "a read of input {address}..{end} touches the reserved 12..=19"
        );
        let table = if fc == 4 {
            Table::Input
        } else {
            Table::Holding
        };
        for r in p.registers.iter().filter(|r| r.table == table) {
            let span = r.span();
            let first = u64::from(span.address);
            let past = first + u64::from(span.count);
            let overlaps = first < end && address < past;
            assert!(
                !overlaps || (address <= first && past <= end),
                "the read {address}..{end} cuts {} ({first}..{past}) in two",
                r.name
            );
        }
    }
    // The groups straddling the reserved block and the 18-register counters block each took
    // two requests.
    assert!(
        reads.iter().any(|r| r.0 == 4 && r.1 == 11 && r.2 == 1),
        "{reads:?}"
    );
    assert!(
        reads.iter().any(|r| r.0 == 4 && r.1 == 20 && r.2 == 2),
        "{reads:?}"
    );
    task.abort();
}

#[tokio::test]
async fn setpoints_written_through_the_profile_arrive_as_the_datasheet_encodes_them() {
    let peer = Peer::start();
    let (mut dev, task) = connect(&peer, Profile::load(&profile_path()).unwrap());
    until(&mut dev, "every polled register", all_polled).await;

    // 62.5 % → 625 in 0.1 % digits, decoded by the peer from the datasheet; the client reads
    // it back (a mismatch would count as a write failure) and so does an independent read.
    dev.write(Point::PumpSetpoint, &Value::Number(62.5))
        .unwrap();
    peer.until("the pump setpoint", |p| {
        !p.writes("pump_setpoint").is_empty()
    })
    .await;
    assert_eq!(peer.writes("pump_setpoint"), vec![Json::from(62.5)]);
    peer.until("the read-back", |p| {
        p.requests().iter().any(|r| (r.0, r.1, r.2) == (3, 0, 1))
    })
    .await;
    let mut ctx = tcp::connect_slave(peer.addr, Slave(UNIT)).await.unwrap();
    assert_eq!(
        ctx.read_holding_registers(0, 2).await.unwrap(),
        Ok(vec![625, 250]),
        "pump 62.5 %, fan untouched at 25.0 %"
    );

    // The coil: cooling off, the peer sees it, reads it back, and it stays off.
    dev.write(Point::CoolingRun, &Value::Bool(false)).unwrap();
    peer.until("cooling run", |p| !p.writes("cooling_run").is_empty())
        .await;
    assert_eq!(peer.writes("cooling_run"), vec![Json::from(false)]);
    peer.until("the coil read-back", |p| {
        p.requests().iter().any(|r| (r.0, r.1) == (1, 0))
    })
    .await;
    assert_eq!(ctx.read_coils(0, 1).await.unwrap(), Ok(vec![false]));

    // Outside the datasheet's 0..100 % the write is refused before the wire.
    assert!(matches!(
        dev.write(Point::FanSetpoint, &Value::Number(120.0)),
        Err(CommandError::Profile(_))
    ));
    // The keep-alive: the peer sees a changing value, at least twice, a second apart.
    peer.until("two keep-alive writes", |p| {
        p.writes("comm_watchdog").len() >= 2
    })
    .await;
    let keepalive = peer.writes("comm_watchdog");
    assert_ne!(
        keepalive[0], keepalive[1],
        "a counter keep-alive must change"
    );
    assert!(
        peer.writes("fan_setpoint").is_empty(),
        "the refused write reached the wire"
    );
    // Let the read-backs finish: a mismatch or a refused write would count here.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let st = dev.state();
    assert_eq!(st.errors.write_failures, 0, "{:?}", st.last_write_error);
    assert_eq!(st.errors.exceptions, 0);
    task.abort();
}

#[tokio::test]
async fn without_the_declared_gap_the_plan_would_span_the_reserved_block_and_the_unit_refuses_it() {
    let peer = Peer::start();
    // The peer enforces the datasheet: a read across 30013-30020 is refused as a whole.
    let mut ctx = tcp::connect_slave(peer.addr, Slave(UNIT)).await.unwrap();
    assert_eq!(
        ctx.read_input_registers(11, 11).await.unwrap(),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        ctx.read_input_registers(20, 13).await.unwrap(),
        Err(ExceptionCode::IllegalDataValue),
        "reads longer than 12 registers"
    );
    assert!(ctx.read_input_registers(20, 12).await.unwrap().is_ok());

    // The same profile without its `gaps` line: the state group's plan spans the block and
    // the alarm word is lost to "illegal data address", which the profile's gap prevents.
    let text = std::fs::read_to_string(profile_path()).unwrap();
    let without_gap: String = text
        .lines()
        .filter(|l| !l.starts_with("gaps = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without_gap.len(), text.len());
    let profile = Profile::parse(&without_gap, Path::new("lcu600-without-gap.toml")).unwrap();
    let (mut dev, task) = connect(&peer, profile);
    until(&mut dev, "the state group's read", |d| {
        d.reading_named("alarm_word").is_some()
    })
    .await;
    assert_eq!(
        value(&dev, "alarm_word"),
        Err(ReadError::Exception(Exception::IllegalDataAddress))
    );
    assert!(peer
        .requests()
        .iter()
        .any(|r| r.0 == 4 && r.1 == 11 && r.1 + r.2 > 20));
    task.abort();
}

/// Two mistakes the datasheet invites, each refused with the file and the key: its `0x8000`
/// sentinel written as is into an `i16`, and a reserved block whose end is taken as exclusive
/// (a gap's `end` is included, so the register right after it would be inside).
#[test]
fn datasheet_mistakes_are_named_by_file_and_key() {
    let text = std::fs::read_to_string(profile_path()).unwrap();
    let file = Path::new("configs/devices/lcu600.toml");

    let hex_sentinel = text.replacen(
        "sentinels = [32767, -32768]",
        "sentinels = [0x7FFF, 0x8000]",
        1,
    );
    let err = Profile::parse(&hex_sentinel, file).unwrap_err().to_string();
    assert!(
        err.starts_with("configs/devices/lcu600.toml: registers.pin_dc_plus.sentinels: 32768"),
        "{err}"
    );

    let exclusive_end = text.replacen("start = 12, end = 19", "start = 12, end = 20", 1);
    assert_ne!(exclusive_end, text);
    let err = Profile::parse(&exclusive_end, file)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("configs/devices/lcu600.toml: ") && err.contains("operating_state"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// An I/O module: the Kestrel KIO-16.

fn level(io: &dyn LineSource, point: &str) -> Option<bool> {
    match io.input(point)?.value {
        PointValue::Level(b) => Some(b),
        PointValue::Analog(_) => None,
    }
}

fn volts(io: &dyn LineSource, point: &str) -> Option<f32> {
    match io.input(point)?.value {
        PointValue::Analog(v) => Some(v),
        PointValue::Level(_) => None,
    }
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_io_module_profile_written_from_the_readme_reads_inputs_drives_relays_and_goes_old_when_the_module_stops(
) {
    let mut peer = Peer::start_script("kestrel_io16.py");
    let clock = ReadingClock::new(tokio::time::Instant::now());
    let mut tcp = ModbusTcp::new("127.0.0.1", peer.addr.port(), 5);
    tcp.timeout_ms = Some(300);
    let instance = DeviceInstance {
        name: "kio16".into(),
        role: Role::IoModule,
        profile: PathBuf::from("kestrel-io16.toml"),
        transport: Transport::ModbusTcp(tcp),
    };
    let devices = spawn_devices(&[instance], &here().join("data"), clock)
        .await
        .unwrap();
    let io = devices.line_source("kio16").unwrap();

    // The datasheet's start: X1 and X3 high, 4.2 V on AIN1, -2.5 V on AIN2.
    wait_for("the first read", || level(io.as_ref(), "x1")).await;
    let levels = |io: &dyn LineSource| -> Vec<bool> {
        (1..=8)
            .map(|n| level(io, &format!("x{n}")).unwrap())
            .collect()
    };
    assert_eq!(
        levels(io.as_ref()),
        vec![true, false, true, false, false, false, false, false]
    );
    assert_eq!(volts(io.as_ref(), "ain1"), Some(4.2));
    assert_eq!(volts(io.as_ref(), "ain2"), Some(-2.5), "two's complement");

    // The terminals change on the module: only X8, and 9.99 V on AIN2.
    peer.send(r#"{"din": 128, "ain": [2, 9.99]}"#);
    wait_for("X8 high and X1 low", || {
        (level(io.as_ref(), "x8") == Some(true) && level(io.as_ref(), "x1") == Some(false))
            .then_some(())
    })
    .await;
    assert_eq!(
        levels(io.as_ref()),
        vec![false, false, false, false, false, false, false, true]
    );
    wait_for("9.99 V on AIN2", || {
        volts(io.as_ref(), "ain2").filter(|v| (*v - 9.99).abs() < 1e-4)
    })
    .await;

    // K3 closes: the peer decodes the write to coil 00019 as K3, and holds it.
    io.set_output("k3", true).unwrap();
    peer.until("K3 written", |p| !p.writes("k3").is_empty())
        .await;
    assert_eq!(peer.writes("k3"), vec![Json::from(true)]);
    for other in ["k1", "k2", "k4"] {
        assert!(peer.writes(other).is_empty(), "{other} was written");
    }
    let mut ctx = tcp::connect_slave(peer.addr, Slave(5)).await.unwrap();
    assert_eq!(
        ctx.read_coils(16, 4).await.unwrap(),
        Ok(vec![false, false, true, false])
    );
    // chargerd read it back, and reports the module's own answer as the output's level.
    wait_for("K3 acknowledged", || {
        level(io.as_ref(), "k3").filter(|b| *b)
    })
    .await;
    // Unchanged: not written again.
    io.set_output("k3", true).unwrap();
    // The keep-alive: a changing LIFE counter, as the datasheet asks.
    peer.until("two LIFE writes", |p| p.writes("life").len() >= 2)
        .await;
    let life = peer.writes("life");
    assert_ne!(life[0], life[1]);
    assert_eq!(
        peer.writes("k3").len(),
        1,
        "an unchanged output is not written again"
    );
    assert_eq!(io.last_error(), None);

    // The module stops (power lost): its points keep their last values, `at` stops advancing,
    // and last_error says why.
    let before = io.input("x8").unwrap();
    drop(ctx);
    peer.stop();
    let stopped = clock.at(tokio::time::Instant::now());
    let why = wait_for("the error of the stopped module", || io.last_error()).await;
    let x8 = io.input("x8").unwrap();
    assert!(x8.at <= stopped && x8.at >= before.at, "{x8:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(io.input("x8"), Some(x8), "the last value, with its time");
    assert_eq!(x8.value, PointValue::Level(true));
    let now = clock.at(tokio::time::Instant::now());
    assert!(now.saturating_since(x8.at) >= Duration::from_millis(500));
    let why_later = wait_for("the link to be given up", || {
        io.last_error().filter(|e| e.starts_with("not connected"))
    })
    .await;
    eprintln!("last_error right after the stop: {why}; once the link is down: {why_later}");
    // Right after the stop, the failed read (its OS error varies with the moment the socket
    // died); once the link is given up, the refused connection.
    assert!(
        why.contains("transport error") || why.starts_with("not connected"),
        "{why}"
    );
    assert!(
        why_later.contains("refused")
            || why_later.contains("reset")
            || why_later.contains("no answer"),
        "{why_later}"
    );
    // The relay the module lost is written again once a module answers at the address: not
    // here (the port is gone), so K3 is still wanted and not confirmed.
    assert!(io.set_output("k3", false).is_ok(), "queued, never waits");
}
