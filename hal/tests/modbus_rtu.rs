//! hal::modbus over Modbus RTU on a pseudo-terminal pair: the profile-driven simulator
//! (hal::sim::modbus) serves two power modules on the master end with tokio-modbus's RTU
//! server, and `spawn_rtu` opens the slave end by its path, exactly as it opens a USB RS-485
//! adapter. No socat, no hardware: the pair comes from /dev/ptmx.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use charger_hal::modbus::{spawn_rtu, DeviceConfig, ModbusDevice, ReadError, RtuLink};
use charger_hal::profile::{Point, Profile, Value};
use charger_hal::sim::modbus::server::serve_rtu_bus;
use charger_hal::sim::modbus::{
    BatteryLoad, CommsFault, ModuleRating, PowerModulePlant, SimDevice,
};
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_serial::{SerialPort, SerialStream};

const TICK: Duration = Duration::from_millis(10);

fn shipped(name: &str) -> Arc<Profile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/devices")
        .join(name);
    Arc::new(Profile::load(&path).unwrap())
}

/// Wait (real time, bounded) until `cond` holds for the device's state.
async fn until(dev: &mut ModbusDevice, what: &str, cond: impl Fn(&ModbusDevice) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_modules_share_one_rtu_bus_and_a_silent_unit_does_not_stop_the_other() {
    let (master, slave) =
        SerialStream::pair().expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().expect("the slave end of a pty has a path");
    let profile = shipped("power-module-30kw-modbus.toml");
    let module = || {
        let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
        SimDevice::new(profile.clone(), plant).unwrap()
    };
    let bus = serve_rtu_bus(vec![(1, module()), (2, module())], master, TICK).unwrap();

    let link = RtuLink {
        baud: 115_200,
        timeout: Duration::from_millis(50),
        ..RtuLink::new(&path)
    };
    assert_eq!(link.silence(), Duration::from_micros(1750));
    let config = |unit: u8| DeviceConfig {
        name: format!("module{unit}"),
        unit,
        profile: profile.clone(),
    };
    // Unit 3 is configured but not on the bus: nobody answers it.
    let (mut devs, task) = spawn_rtu(link, vec![config(1), config(2), config(3)]);
    let mut m3 = devs.pop().unwrap();
    let mut m2 = devs.pop().unwrap();
    let mut m1 = devs.pop().unwrap();

    // Registers read from both units over the one line.
    until(&mut m1, "unit 1's readings", |d| {
        num(d, Point::OutputVoltage).is_some() && num(d, Point::ModuleTemperature).is_some()
    })
    .await;
    until(&mut m2, "unit 2's readings", |d| {
        num(d, Point::OutputVoltage).is_some()
    })
    .await;
    until(&mut m3, "the absent unit's timeout", |d| {
        matches!(
            d.reading(Point::OutputVoltage).map(|r| r.value),
            Some(Err(ReadError::Timeout(_)))
        )
    })
    .await;

    // A setpoint written to unit 2 only, read back, and followed by its plant.
    m2.write(Point::VoltageSetpoint, &Value::Number(700.0))
        .unwrap();
    m2.write(Point::CurrentLimit, &Value::Number(30.0)).unwrap();
    m2.write(Point::OutputEnable, &Value::Bool(true)).unwrap();
    until(&mut m2, "unit 2 at 30 A", |d| {
        num(d, Point::OutputCurrent).is_some_and(|i| (i - 30.0).abs() < 0.01)
    })
    .await;
    assert_eq!(bus.with_unit(2, |d| d.plant().output_current()), Some(30.0));
    assert_eq!(bus.with_unit(1, |d| d.plant().output_current()), Some(0.0));
    assert_eq!(num(&m1, Point::OutputCurrent), Some(0.0));
    assert_eq!(m2.state().errors.write_failures, 0, "read back as written");

    // Unit 1 stops answering: unit 2 goes on being polled, fresh at every look (its age
    // limit is three periods of 10 Hz).
    bus.with_unit(1, |d| d.inject(Some(CommsFault::NoAnswer)));
    until(&mut m1, "unit 1's timeout", |d| {
        matches!(
            d.reading(Point::OutputCurrent).map(|r| r.value),
            Some(Err(ReadError::Timeout(_)))
        )
    })
    .await;
    let end = Instant::now() + Duration::from_secs(2);
    let mut looks = 0;
    while Instant::now() < end {
        assert_eq!(
            m2.value(Point::OutputCurrent, Instant::now()),
            Ok(Value::Number(30.0)),
            "unit 2: {:?}",
            m2.state().errors
        );
        looks += 1;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(looks >= 40);
    let (s1, s2, s3) = (m1.state(), m2.state(), m3.state());
    assert!(s1.errors.timeouts >= 1 && s3.errors.timeouts >= 2);
    assert_eq!(
        (
            s2.errors.timeouts,
            s2.errors.transport,
            s2.errors.exceptions
        ),
        (0, 0, 0),
        "{:?}",
        s2.errors
    );
    // Timeouts never reopen a serial bus.
    for s in [&s1, &s2, &s3] {
        assert_eq!(s.errors.reconnects, 0);
        assert!(s.connected);
    }

    // Unit 1 answers again and is back within its backoff (at most 2 s).
    bus.with_unit(1, |d| d.inject(None));
    let back = Instant::now();
    until(&mut m1, "unit 1 back", |d| {
        d.reading(Point::OutputCurrent)
            .is_some_and(|r| r.value == Ok(Value::Number(0.0)) && r.at > back)
    })
    .await;
    assert!(back.elapsed() < Duration::from_millis(2500));
    task.abort();
    drop(slave);
}

/// An insulation monitor whose status group needs two reads of the same shape (function 04,
/// two registers) on either side of a gap: a reply to one fits the other.
const TWIN_READS: &str = r#"
[device]
name = "twin reads"
role = "insulation_monitor"

[limits]
gaps = [{ table = "input", start = 10, end = 19 }]

[groups.status]
kind = "status"
poll_hz = 10

[groups.control]
kind = "setpoint"

[registers.resistance]
table = "input"
address = 0
type = "u16"
unit = "kOhm"
access = "read"
group = "status"
point = "insulation_resistance"

[registers.alarm]
table = "input"
address = 1
type = "bool"
bit = 0
access = "read"
group = "status"
point = "insulation_alarm"

[registers.other]
table = "input"
address = 20
type = "u32"
access = "read"
group = "status"

[registers.enable]
table = "coil"
address = 0
type = "bool"
access = "read_write"
group = "control"
point = "monitor_enable"

[registers.self_test]
table = "coil"
address = 1
type = "bool"
access = "write"
group = "control"
point = "self_test"
momentary = true
"#;

fn crc16(data: &[u8]) -> [u8; 2] {
    let mut crc: u16 = 0xFFFF;
    for b in data {
        crc ^= u16::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc.to_le_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_arriving_after_its_timeout_is_flushed_not_taken_for_the_next_answer() {
    let (mut master, slave) =
        SerialStream::pair().expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().expect("the slave end of a pty has a path");
    // A hand-written RTU device: input 0 holds 111, input 1 0 and inputs 20–21 222. The first request
    // for input 0 is answered 75 ms late: after the client's 50 ms timeout, while the client
    // waits out the unit's backoff (50 ms) with no request outstanding; everything else at
    // once. Taken as the answer to the next request, that reply would shift every answer
    // after it by one: input 20 would read 111.
    let served = Arc::new(Mutex::new(Vec::new()));
    let log = served.clone();
    let device = tokio::spawn(async move {
        let mut late_done = false;
        loop {
            let mut req = [0u8; 8];
            if master.read_exact(&mut req).await.is_err() {
                return;
            }
            assert_eq!(crc16(&req[..6]), [req[6], req[7]], "request CRC");
            let (unit, fc, addr) = (req[0], req[1], u16::from_be_bytes([req[2], req[3]]));
            log.lock().unwrap().push((fc, addr));
            let mut reply = match (fc, addr) {
                (0x04, 0) => vec![unit, 0x04, 4, 0, 111, 0, 0],
                (0x04, 20) => vec![unit, 0x04, 4, 0, 0, 0, 222],
                _ => vec![unit, fc | 0x80, 0x02],
            };
            let crc = crc16(&reply);
            reply.extend_from_slice(&crc);
            if (fc, addr) == (0x04, 0) && !late_done {
                late_done = true;
                tokio::time::sleep(Duration::from_millis(75)).await;
            }
            master.write_all(&reply).await.unwrap();
        }
    });

    let profile = Arc::new(Profile::parse(TWIN_READS, Path::new("twin.toml")).unwrap());
    let link = RtuLink {
        baud: 115_200,
        timeout: Duration::from_millis(50),
        ..RtuLink::new(&path)
    };
    let (mut devs, task) = spawn_rtu(
        link,
        vec![DeviceConfig {
            name: "imd".into(),
            unit: 5,
            profile,
        }],
    );
    let mut dev = devs.pop().unwrap();
    // Every value each register is ever published with.
    let seen: Arc<Mutex<Vec<(f64, f64)>>> = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let mut watcher = dev.clone();
    let watch = tokio::spawn(async move {
        while watcher.changed().await {
            let get = |n: &str| match watcher.reading_named(n).map(|r| r.value) {
                Some(Ok(Value::Number(v))) => v,
                _ => f64::NAN,
            };
            record
                .lock()
                .unwrap()
                .push((get("resistance"), get("other")));
        }
    });
    until(&mut dev, "the first timeout", |d| {
        d.state().errors.timeouts >= 1
    })
    .await;
    until(&mut dev, "both registers read", |d| {
        num(d, Point::InsulationResistance) == Some(111.0)
            && d.reading_named("other").map(|r| r.value) == Some(Ok(Value::Number(222.0)))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    task.abort();
    watch.abort();
    device.abort();

    let seen = seen.lock().unwrap().clone();
    let good = seen
        .iter()
        .filter(|(a, b)| *a == 111.0 && *b == 222.0)
        .count();
    assert!(good >= 5, "{seen:?}");
    for (a, b) in &seen {
        assert!(a.is_nan() || *a == 111.0, "input 0 read as {a}: {seen:?}");
        assert!(b.is_nan() || *b == 222.0, "input 20 read as {b}: {seen:?}");
    }
    let st = dev.state();
    assert_eq!(
        (st.errors.timeouts, st.errors.transport),
        (1, 0),
        "{:?}",
        st.errors
    );
    assert!(served.lock().unwrap().len() >= 15);
    drop(slave);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_fails_is_reopened_and_its_devices_marked_unreachable() {
    let (master, slave) =
        SerialStream::pair().expect("a pseudo-terminal pair: needs /dev/ptmx (devpts mounted)");
    let path = slave.name().expect("the slave end of a pty has a path");
    let profile = shipped("power-module-30kw-modbus.toml");
    let plant = PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default());
    let bus = serve_rtu_bus(
        vec![(1, SimDevice::new(profile.clone(), plant).unwrap())],
        master,
        TICK,
    )
    .unwrap();
    let link = RtuLink {
        baud: 115_200,
        timeout: Duration::from_millis(50),
        ..RtuLink::new(&path)
    };
    let (mut devs, task) = spawn_rtu(
        link,
        vec![DeviceConfig {
            name: "module".into(),
            unit: 1,
            profile,
        }],
    );
    let mut dev = devs.pop().unwrap();
    until(&mut dev, "the first readings", |d| {
        num(d, Point::OutputVoltage).is_some()
    })
    .await;
    // The other end goes away (an adapter unplugged): the port itself fails, which, unlike
    // a unit's silence, does reopen it, and every reading says why.
    drop(bus);
    drop(slave);
    until(&mut dev, "the port reopened", |d| {
        let st = d.state();
        st.errors.reconnects >= 1 && !st.connected
    })
    .await;
    until(&mut dev, "the readings marked", |d| {
        matches!(
            d.reading(Point::OutputVoltage).map(|r| r.value),
            Some(Err(ReadError::Transport(_)))
        )
    })
    .await;
    assert!(dev.value(Point::OutputVoltage, Instant::now()).is_err());
    task.abort();
}
