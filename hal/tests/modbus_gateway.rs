//! Modbus TCP behind a gateway with a slow unit: late replies are dropped by their MBAP
//! transaction id, the connection stays up, and the fast unit stays fresh. Real Modbus TCP on
//! loopback against the profile-driven simulator (hal::sim::modbus) with the shipped profiles.

// Test helpers outside #[test] functions unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use charger_hal::modbus::{spawn_tcp, DeviceConfig, ModbusDevice, ReadError, TcpLink};
use charger_hal::profile::{Point, Profile, Value};
use charger_hal::sim::modbus::server::serve_gateway;
use charger_hal::sim::modbus::{CommsFault, DcMeterPlant, SimDevice};
use tokio::time::Instant;

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

fn volts(dev: &ModbusDevice) -> Option<Result<Value, ReadError>> {
    dev.reading(Point::MeterVoltage).map(|r| r.value)
}

/// Every good voltage reading a device publishes, as it publishes it.
fn record(mut dev: ModbusDevice) -> Arc<Mutex<Vec<f64>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    tokio::spawn(async move {
        let mut last = None;
        while dev.changed().await {
            if let Some(r) = dev.reading(Point::MeterVoltage) {
                if let Ok(Value::Number(v)) = r.value {
                    if last != Some(r.at) {
                        last = Some(r.at);
                        out.lock().unwrap().push(v);
                    }
                }
            }
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_unit_behind_a_gateway_never_answers_for_its_neighbour_nor_drops_it() {
    let profile = shipped("dc-meter-modbus.toml");
    let meter = |v: f64| {
        let mut plant = DcMeterPlant::new(0.0);
        plant.set_measurement(v, 0.0);
        SimDevice::new(profile.clone(), plant).unwrap()
    };
    // Two meters behind one gateway, told apart by their voltage.
    let sim = serve_gateway(
        vec![(1, meter(400.0)), (2, meter(800.0))],
        SocketAddr::from(([127, 0, 0, 1], 0)),
        TICK,
    )
    .await
    .unwrap();
    // Unit 1 answers, but 300 ms late: after the client's 200 ms timeout, while the client
    // is already waiting for unit 2's answer on the same connection.
    sim.with_unit(1, |d| {
        d.inject(Some(CommsFault::Late(Duration::from_millis(300))))
    });
    let link = TcpLink {
        timeout: Duration::from_millis(200),
        ..TcpLink::new(sim.addr())
    };
    assert_eq!(link.reconnect_after, 3, "the default");
    let config = |unit: u8| DeviceConfig {
        name: format!("meter{unit}"),
        unit,
        profile: profile.clone(),
    };
    let (mut devs, task) = spawn_tcp(link, vec![config(1), config(2)]);
    let mut fast = devs.pop().unwrap();
    let mut slow = devs.pop().unwrap();
    let fast_seen = record(fast.clone());
    let slow_seen = record(slow.clone());

    until(&mut fast, "unit 2's first reading", |d| {
        volts(d) == Some(Ok(Value::Number(800.0)))
    })
    .await;
    // For three seconds, unit 2's voltage is a fresh value at every look (its age limit is
    // three poll periods, 750 ms), while unit 1 times out on every request.
    let end = Instant::now() + Duration::from_secs(3);
    let mut looks = 0;
    while Instant::now() < end {
        assert_eq!(
            fast.value(Point::MeterVoltage, Instant::now()),
            Ok(Value::Number(800.0)),
            "unit 2 stale or wrong: {:?}",
            fast.state().errors
        );
        looks += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(looks >= 50);
    until(&mut slow, "unit 1's late replies counted", |d| {
        d.state().errors.late_replies >= 3
    })
    .await;
    assert!(matches!(volts(&slow), Some(Err(ReadError::Timeout(_)))));
    let (s, f) = (slow.state(), fast.state());
    assert!(s.errors.timeouts >= 3, "{:?}", s.errors);
    // Not one late reply was taken as another request's answer: no garbled replies, no
    // transport errors, and the connection was never rebuilt.
    assert_eq!(
        (s.errors.transport, s.errors.reconnects),
        (0, 0),
        "{:?}",
        s.errors
    );
    assert_eq!(
        (
            f.errors.timeouts,
            f.errors.transport,
            f.errors.reconnects,
            f.errors.late_replies
        ),
        (0, 0, 0, 0),
        "{:?}",
        f.errors
    );
    assert!(s.connected && f.connected);

    // Unit 1 answers within the timeout again: its own values come back, on the same link.
    sim.with_unit(1, |d| {
        d.inject(Some(CommsFault::Late(Duration::from_millis(50))))
    });
    until(&mut slow, "unit 1's own voltage", |d| {
        volts(d) == Some(Ok(Value::Number(400.0)))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        slow.value(Point::MeterVoltage, Instant::now()),
        Ok(Value::Number(400.0))
    );
    assert_eq!(slow.state().errors.reconnects, 0);
    task.abort();

    // Every value either unit ever published was its own.
    let (slow_seen, fast_seen) = (
        slow_seen.lock().unwrap().clone(),
        fast_seen.lock().unwrap().clone(),
    );
    assert!(
        !slow_seen.is_empty() && fast_seen.len() >= 8,
        "{fast_seen:?}"
    );
    assert!(slow_seen.iter().all(|v| *v == 400.0), "{slow_seen:?}");
    assert!(fast_seen.iter().all(|v| *v == 800.0), "{fast_seen:?}");
}

/// A setpoint queued while the connection task polls a round of many slow units goes out
/// after the group being read, not after the whole round: twelve modules behind one gateway,
/// every answer 15 ms late, so a round (a keep-alive and the status groups of each unit) takes
/// more than half a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_queued_during_a_round_of_polls_waits_only_for_the_group_being_read() {
    use charger_hal::sim::modbus::{BatteryLoad, ModuleRating, PowerModulePlant, Units};
    let profile = shipped("power-module-30kw-modbus.toml");
    let late = Duration::from_millis(15);
    let units: Vec<(u8, SimDevice<PowerModulePlant>)> = (1..=12)
        .map(|u| {
            let mut d = SimDevice::new(
                profile.clone(),
                PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default()),
            )
            .unwrap();
            d.inject(Some(CommsFault::Late(late)));
            (u, d)
        })
        .collect();
    let sim = serve_gateway(units, SocketAddr::from(([127, 0, 0, 1], 0)), TICK)
        .await
        .unwrap();
    let link = TcpLink {
        addr: sim.addr(),
        timeout: Duration::from_millis(500),
        reconnect_after: 3,
        frozen_after: 1000,
    };
    let devices = (1..=12)
        .map(|unit| DeviceConfig {
            name: format!("m{unit}"),
            unit,
            profile: profile.clone(),
        })
        .collect();
    let (mut devs, task) = spawn_tcp(link, devices);
    // The round has begun: the first unit's status came in, eleven units are still to read.
    until(&mut devs[0], "the first unit read", |d| {
        d.reading(Point::OutputVoltage).is_some()
    })
    .await;
    let request = profile
        .encode_write(Point::CurrentLimit, &Value::Number(42.0))
        .unwrap();
    let charger_hal::profile::WritePayload::Words(words) = request.payload else {
        panic!("the current limit is a holding register")
    };
    let queued = Instant::now();
    devs[11]
        .write(Point::CurrentLimit, &Value::Number(42.0))
        .unwrap();
    let landed = loop {
        let held = sim
            .with_unit(12, |d| {
                d.bank()
                    .read(request.table, request.address, words.len() as u16)
            })
            .unwrap();
        if held == Ok(Units::Words(words.clone())) {
            break queued.elapsed();
        }
        assert!(
            queued.elapsed() < Duration::from_secs(3),
            "the write never landed"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    // The group in flight (up to two reads), then the write: about 45 ms; the rest of the
    // round would be another half second.
    assert!(
        landed < Duration::from_millis(200),
        "the write waited {landed:?} behind the round"
    );
    task.abort();
}
