//! hal::modbus over real Modbus TCP on loopback, against a small tokio-modbus server whose
//! register bank answers "illegal data address" for anything unmapped — so a read that spans a
//! gap would fail, exactly as on a real device.

// Test helpers outside #[test] functions (the server, the fixtures) unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use charger_hal::modbus::{spawn_tcp, DeviceConfig, Exception, ModbusDevice, ReadError, TcpLink};
use charger_hal::profile::{Point, Profile, Table, Value, WritePayload};
use tokio::net::TcpListener;
use tokio_modbus::server::tcp::{accept_tcp_connection, Server};
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

#[derive(Default)]
struct Bank {
    holding: BTreeMap<u16, u16>,
    input: BTreeMap<u16, u16>,
    coils: BTreeMap<u16, bool>,
    discrete: BTreeMap<u16, bool>,
    /// Answer every request this late.
    delay: Option<Duration>,
    /// Refuse reads starting here with this exception.
    exception_at: Option<(Table, u16, ExceptionCode)>,
    /// Coils that accept a write and keep their old value (a device in the wrong mode).
    stuck_coils: Vec<u16>,
    /// (unit, table, address, count) of every read served.
    reads: Vec<(u8, Table, u16, u16)>,
    /// Every request received, reads and writes.
    received: u64,
}

impl Bank {
    fn words(map: &BTreeMap<u16, u16>, a: u16, n: u16) -> Result<Vec<u16>, ExceptionCode> {
        (0..n)
            .map(|i| {
                a.checked_add(i)
                    .and_then(|k| map.get(&k).copied())
                    .ok_or(ExceptionCode::IllegalDataAddress)
            })
            .collect()
    }
    fn bits(map: &BTreeMap<u16, bool>, a: u16, n: u16) -> Result<Vec<bool>, ExceptionCode> {
        (0..n)
            .map(|i| {
                a.checked_add(i)
                    .and_then(|k| map.get(&k).copied())
                    .ok_or(ExceptionCode::IllegalDataAddress)
            })
            .collect()
    }
    fn put_u32(&mut self, a: u16, words: [u16; 2]) {
        self.input.insert(a, words[0]);
        self.input.insert(a + 1, words[1]);
    }
}

#[derive(Clone)]
struct Device(Arc<Mutex<Bank>>);

impl Service for Device {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Response, ExceptionCode>> + Send>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let bank = self.0.clone();
        Box::pin(async move {
            bank.lock().unwrap().received += 1;
            let delay = bank.lock().unwrap().delay;
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let mut b = bank.lock().unwrap();
            let unit = req.slave;
            let refuse = |b: &Bank, t: Table, a: u16| match b.exception_at {
                Some((et, ea, code)) if et == t && ea == a => Err(code),
                _ => Ok(()),
            };
            match req.request {
                Request::ReadInputRegisters(a, n) => {
                    b.reads.push((unit, Table::Input, a, n));
                    refuse(&b, Table::Input, a)?;
                    Bank::words(&b.input, a, n).map(Response::ReadInputRegisters)
                }
                Request::ReadHoldingRegisters(a, n) => {
                    b.reads.push((unit, Table::Holding, a, n));
                    refuse(&b, Table::Holding, a)?;
                    Bank::words(&b.holding, a, n).map(Response::ReadHoldingRegisters)
                }
                Request::ReadCoils(a, n) => {
                    b.reads.push((unit, Table::Coil, a, n));
                    Bank::bits(&b.coils, a, n).map(Response::ReadCoils)
                }
                Request::ReadDiscreteInputs(a, n) => {
                    b.reads.push((unit, Table::DiscreteInput, a, n));
                    Bank::bits(&b.discrete, a, n).map(Response::ReadDiscreteInputs)
                }
                Request::WriteSingleCoil(a, v) if b.stuck_coils.contains(&a) => {
                    Ok(Response::WriteSingleCoil(a, v))
                }
                Request::WriteSingleCoil(a, v) => match b.coils.get_mut(&a) {
                    Some(c) => {
                        *c = v;
                        Ok(Response::WriteSingleCoil(a, v))
                    }
                    None => Err(ExceptionCode::IllegalDataAddress),
                },
                Request::WriteSingleRegister(a, v) => match b.holding.get_mut(&a) {
                    Some(c) => {
                        *c = v;
                        Ok(Response::WriteSingleRegister(a, v))
                    }
                    None => Err(ExceptionCode::IllegalDataAddress),
                },
                _ => Err(ExceptionCode::IllegalFunction),
            }
        })
    }
}

async fn serve(bank: Arc<Mutex<Bank>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(listener);
    tokio::spawn(async move {
        let new_service = move |_| Ok(Some(Device(bank.clone())));
        let on_connected = |stream, socket_addr| {
            let new_service = new_service.clone();
            async move { accept_tcp_connection(stream, socket_addr, new_service) }
        };
        let _ = server.serve(&on_connected, |_err| {}).await;
    });
    addr
}

/// An insulation monitor whose map exercises every 32-bit order, a float beside scaled
/// integers, coils, discrete inputs and a gap.
const PROFILE: &str = r#"
[device]
name = "loopback test device"
role = "insulation_monitor"

[limits]
max_registers_per_read = 50
gaps = [{ table = "input", start = 10, end = 19 }]

[groups.fast]
kind = "status"
poll_hz = 10

[groups.control]
kind = "setpoint"

[registers.v_cdab]
table = "input"
address = 1
type = "f32"
order = "CDAB"
unit = "V"
access = "read"
group = "fast"
point = "imd_voltage"

[registers.t_scaled]
table = "input"
address = 3
type = "i16"
scale = 0.1
offset = -40
sentinels = [32767]
access = "read"
group = "fast"

[registers.u_badc]
table = "input"
address = 4
type = "u32"
order = "BADC"
access = "read"
group = "fast"

[registers.u_dcba]
table = "input"
address = 6
type = "u32"
order = "DCBA"
access = "read"
group = "fast"

[registers.resistance]
table = "input"
address = 8
type = "u32"
order = "ABCD"
unit = "kOhm"
range = [0, 50000]
access = "read"
group = "fast"
point = "insulation_resistance"

[registers.u_cdab]
table = "input"
address = 20
type = "u32"
order = "CDAB"
access = "read"
group = "fast"

[registers.alarm]
table = "discrete_input"
address = 0
type = "bool"
access = "read"
group = "fast"
point = "insulation_alarm"

[registers.relay]
table = "coil"
address = 3
type = "bool"
access = "read"
group = "fast"

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

fn bank() -> Arc<Mutex<Bank>> {
    let mut b = Bank::default();
    for a in 0..10 {
        b.input.insert(a, 0);
    }
    // 0x12345678 in each order (see hal::profile::codec).
    let f = 812.5f32.to_bits(); // CDAB: low word first
    b.put_u32(1, [f as u16, (f >> 16) as u16]);
    b.input.insert(3, 650); // 650 × 0.1 − 40 = 25.0
    b.put_u32(4, [0x3412, 0x7856]);
    b.put_u32(6, [0x7856, 0x3412]);
    b.put_u32(8, [0x0000, 0x1388]); // 5000 kΩ
    b.put_u32(20, [0x5678, 0x1234]);
    b.discrete.insert(0, true);
    for a in 0..4 {
        b.coils.insert(a, a == 3);
    }
    Arc::new(Mutex::new(b))
}

fn link(addr: SocketAddr, timeout_ms: u64) -> TcpLink {
    TcpLink {
        addr,
        timeout: Duration::from_millis(timeout_ms),
        reconnect_after: 3,
        frozen_after: 1000,
    }
}

fn device(unit: u8) -> DeviceConfig {
    DeviceConfig {
        name: format!("imd{unit}"),
        unit,
        profile: Arc::new(Profile::parse(PROFILE, Path::new("test-imd.toml")).unwrap()),
    }
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

fn value(dev: &ModbusDevice, name: &str) -> Option<Result<Value, ReadError>> {
    dev.reading_named(name).map(|r| r.value)
}

#[tokio::test]
async fn every_32_bit_order_float_scaled_coils_and_discretes_over_tcp() {
    let bank = bank();
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(1)]);
    let dev = &mut devs[0];
    until(dev, "the first readings", |d| {
        value(d, "u_cdab").is_some_and(|v| v.is_ok()) && value(d, "relay").is_some()
    })
    .await;
    for name in ["u_badc", "u_dcba", "u_cdab"] {
        assert_eq!(
            value(dev, name),
            Some(Ok(Value::Number(f64::from(0x1234_5678u32)))),
            "{name}"
        );
    }
    assert_eq!(
        dev.reading(Point::InsulationResistance).unwrap().value,
        Ok(Value::Number(5000.0))
    );
    assert_eq!(value(dev, "v_cdab"), Some(Ok(Value::Number(812.5))));
    assert_eq!(value(dev, "t_scaled"), Some(Ok(Value::Number(25.0))));
    assert_eq!(value(dev, "alarm"), Some(Ok(Value::Bool(true))));
    assert_eq!(value(dev, "relay"), Some(Ok(Value::Bool(true))));

    // The gap split the input registers into two reads; none touched 10..=19.
    let reads = bank.lock().unwrap().reads.clone();
    let inputs: Vec<_> = reads
        .iter()
        .filter(|r| r.1 == Table::Input)
        .map(|r| (r.2, r.3))
        .take(2)
        .collect();
    assert_eq!(inputs, vec![(1, 9), (20, 2)]);
    assert!(reads
        .iter()
        .filter(|r| r.1 == Table::Input)
        .all(|r| u32::from(r.2) + u32::from(r.3) <= 10 || r.2 >= 20));

    // A sentinel arrives as a sensor fault, not as 3236.7 °C.
    bank.lock().unwrap().input.insert(3, 32767);
    until(dev, "the sentinel", |d| {
        matches!(value(d, "t_scaled"), Some(Err(ReadError::Decode(_))))
    })
    .await;

    // A write goes to the wire; a write to a read-only point never leaves the process.
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while bank.lock().unwrap().coils.get(&0) != Some(&true) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "coil 0 never written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(dev
        .write(Point::InsulationResistance, &Value::Number(1.0))
        .is_err());
    task.abort();
}

#[tokio::test]
async fn an_exception_is_kept_apart_from_transport_errors_and_keeps_the_link() {
    let bank = bank();
    bank.lock().unwrap().exception_at =
        Some((Table::Input, 20, ExceptionCode::GatewayTargetDevice));
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(7)]);
    let dev = &mut devs[0];
    until(dev, "several polls", |d| d.state().errors.exceptions >= 5).await;
    assert_eq!(
        value(dev, "u_cdab"),
        Some(Err(ReadError::Exception(Exception::GatewayTargetFailed)))
    );
    // The other request of the same group is unaffected, and the link was never rebuilt.
    assert_eq!(value(dev, "resistance"), Some(Ok(Value::Number(5000.0))));
    let st = dev.state();
    assert!(st.connected);
    assert_eq!(
        (
            st.errors.reconnects,
            st.errors.transport,
            st.errors.timeouts
        ),
        (0, 0, 0)
    );
    assert!(
        bank.lock().unwrap().reads.iter().all(|r| r.0 == 7),
        "unit id"
    );
    task.abort();
}

#[tokio::test]
async fn a_silent_device_times_out_and_the_link_recovers_after_a_rebuild() {
    let bank = bank();
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 100), vec![device(1)]);
    let dev = &mut devs[0];
    until(dev, "the first readings", |d| {
        value(d, "resistance").is_some_and(|v| v.is_ok())
    })
    .await;
    bank.lock().unwrap().delay = Some(Duration::from_millis(400));
    until(dev, "a timeout", |d| {
        matches!(value(d, "resistance"), Some(Err(ReadError::Timeout(_))))
    })
    .await;
    // The only unit on the link stays silent: three timeouts in a row rebuild the connection.
    until(dev, "the rebuild", |d| d.state().errors.reconnects >= 1).await;
    assert!(dev.state().errors.timeouts >= 3, "{:?}", dev.state().errors);
    bank.lock().unwrap().delay = None;
    until(dev, "recovery", |d| {
        value(d, "resistance").is_some_and(|v| v.is_ok())
    })
    .await;
    task.abort();
}

#[tokio::test]
async fn a_stopped_update_counter_turns_the_group_into_frozen_faults() {
    let text = PROFILE.replacen(
        "poll_hz = 10\n",
        "poll_hz = 10\nupdate_counter = \"counter\"\n",
        1,
    ) + "\n[registers.counter]\ntable = \"input\"\naddress = 0\ntype = \"u16\"\naccess = \"read\"\ngroup = \"fast\"\n";
    let profile = Profile::parse(&text, Path::new("test-imd-counter.toml")).unwrap();
    let bank = bank();
    let addr = serve(bank.clone()).await;
    let mut l = link(addr, 500);
    l.frozen_after = 3;
    let (mut devs, task) = spawn_tcp(
        l,
        vec![DeviceConfig {
            name: "imd".into(),
            unit: 1,
            profile: Arc::new(profile),
        }],
    );
    let dev = &mut devs[0];
    // The counter sits at 0: after three unchanged reads every value is a fault.
    until(dev, "frozen", |d| {
        value(d, "resistance") == Some(Err(ReadError::Frozen))
    })
    .await;
    assert_eq!(value(dev, "alarm"), Some(Err(ReadError::Frozen)));
    // The device comes back to life: values return.
    let ticking = bank.clone();
    let ticker = tokio::spawn(async move {
        loop {
            {
                let mut b = ticking.lock().unwrap();
                let c = b.input.get(&0).copied().unwrap_or(0);
                b.input.insert(0, c.wrapping_add(1));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    until(dev, "fresh values", |d| {
        value(d, "resistance") == Some(Ok(Value::Number(5000.0)))
    })
    .await;
    ticker.abort();
    task.abort();
}

#[tokio::test]
async fn writes_are_read_back_and_momentary_commands_fire_once() {
    let bank = bank();
    bank.lock().unwrap().stuck_coils.push(0);
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(1)]);
    let dev = &mut devs[0];
    // The device acknowledges the enable but keeps the coil off: a write failure.
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    until(dev, "the read-back failure", |d| {
        d.state().errors.write_failures == 1
    })
    .await;
    assert_eq!(
        dev.state().last_write_error.as_deref(),
        Some("enable: read back a different value")
    );
    // A momentary command is written as its command value and not read back.
    dev.trigger(Point::SelfTest).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while bank.lock().unwrap().coils.get(&1) != Some(&true) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "self test never written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!bank
        .lock()
        .unwrap()
        .reads
        .iter()
        .any(|r| r.1 == Table::Coil && r.2 == 1));
    assert!(dev.trigger(Point::MonitorEnable).is_err(), "not momentary");
    assert_eq!(dev.state().errors.write_failures, 1);
    task.abort();
}

#[tokio::test]
async fn every_request_is_counted_reads_writes_and_read_backs() {
    let bank = bank();
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(1)]);
    let dev = &mut devs[0];
    until(dev, "a first poll", |d| {
        d.reading_named("resistance").is_some()
    })
    .await;
    // A write read back (a write and a read) and a momentary command (a write only).
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    dev.trigger(Point::SelfTest).unwrap();
    // Between two publications the counts agree with what the server received.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let counted = dev.state().errors.requests;
        let (received, reads) = {
            let b = bank.lock().unwrap();
            (b.received, b.reads.len() as u64)
        };
        if counted == received && received >= reads + 2 && reads > 0 {
            let health = charger_hal::devices::DeviceHealth::from_state(
                "imd1",
                charger_hal::profile::Role::InsulationMonitor,
                "tcp",
                &dev.state(),
                tokio::time::Instant::now(),
            );
            assert_eq!(health.requests, counted);
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, dev.changed())
                .await
                .is_ok(),
            "counted {counted} requests, the server received {received} ({reads} reads)"
        );
    }
    task.abort();
}

#[tokio::test]
async fn a_write_the_device_took_is_acknowledged_with_its_number_and_times() {
    let bank = bank();
    bank.lock().unwrap().stuck_coils.push(0);
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(1)]);
    let dev = &mut devs[0];
    assert_eq!(dev.queued(), 0);
    assert_eq!(dev.acknowledged(Point::MonitorEnable), None);
    // Echoed but read back different: a failure, not an acknowledgement.
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    assert_eq!(dev.queued(), 1);
    until(dev, "the read-back failure", |d| {
        d.state().errors.write_failures == 1
    })
    .await;
    assert_eq!(dev.acknowledged(Point::MonitorEnable), None);

    // The device takes the next two: each acknowledgement names its write by number, so the
    // second write of the same value is told apart from the first.
    bank.lock().unwrap().stuck_coils.clear();
    let queued_at = tokio::time::Instant::now();
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    dev.write(Point::MonitorEnable, &Value::Bool(true)).unwrap();
    let last = dev.queued();
    assert_eq!(last, 3);
    until(dev, "the second write acknowledged", |d| {
        d.acknowledged(Point::MonitorEnable)
            .is_some_and(|a| a.seq == last)
    })
    .await;
    let ack = dev.acknowledged(Point::MonitorEnable).unwrap();
    assert_eq!(ack.payload, WritePayload::Bit(true));
    assert!(ack.answered >= queued_at);
    let confirmed = ack.confirmed.expect("a read-write coil is read back");
    assert!(confirmed >= ack.answered);
    assert_eq!(bank.lock().unwrap().coils.get(&0), Some(&true));
    assert_eq!(dev.state().errors.write_failures, 1);

    // A write the device refuses is not acknowledged: the last one taken stays.
    bank.lock().unwrap().coils.remove(&0);
    dev.write(Point::MonitorEnable, &Value::Bool(false))
        .unwrap();
    until(dev, "the refused write", |d| {
        d.state().errors.write_failures == 2
    })
    .await;
    assert_eq!(dev.acknowledged(Point::MonitorEnable), Some(ack));
    // A momentary command is acknowledged without a read-back.
    dev.trigger(Point::SelfTest).unwrap();
    let n = dev.queued();
    until(dev, "the self test acknowledged", |d| {
        d.acknowledged(Point::SelfTest).is_some_and(|a| a.seq == n)
    })
    .await;
    assert_eq!(dev.acknowledged(Point::SelfTest).unwrap().confirmed, None);
    task.abort();
}

#[tokio::test]
async fn a_reading_older_than_its_age_limit_is_a_fault_not_a_value() {
    let bank = bank();
    let addr = serve(bank.clone()).await;
    let (mut devs, task) = spawn_tcp(link(addr, 500), vec![device(1)]);
    let dev = &mut devs[0];
    until(dev, "the first readings", |d| {
        value(d, "resistance").is_some_and(|v| v.is_ok())
    })
    .await;
    let now = tokio::time::Instant::now();
    assert_eq!(
        dev.value(Point::InsulationResistance, now),
        Ok(Value::Number(5000.0))
    );
    // The task stops (it would, stuck on a hung call): the cache keeps the last value, but
    // after three poll periods (10 Hz → 300 ms) it is no longer a value.
    task.abort();
    let later = now + Duration::from_millis(301);
    assert!(matches!(
        dev.value(Point::InsulationResistance, later + Duration::from_millis(100)),
        Err(ReadError::Stale { max_age, .. }) if max_age == Duration::from_millis(300)
    ));
}
