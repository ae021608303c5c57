//! `cargo bench --bench pool_latency`: how long a truck's new current request takes to reach
//! the power modules — from a GB/T BCL frame with a new current demand handed to the station,
//! to every module feeding that output having its new current-limit setpoint written and
//! acknowledged over Modbus TCP on loopback. p50/p99/max over 10,000 requests
//! (`POOL_BENCH_STEPS` to change it) with 1, 4 and 12 modules, each module on its own TCP
//! connection, and 4 and 12 modules behind one Modbus TCP gateway. Aim: p99 ≤ 2 ms.
//!
//! **The set-up.** The real station core (`Rig`, `Station::step_with_pool`, the module pool)
//! runs one GB/T connector fed by N pooled modules, stepped every 10 ms of simulated time; the
//! simulated truck and the simulated cabinet (`hal::sim::cabinet`) provide the physics, so the
//! session goes through its handshake, cable check and precharge into charging as in
//! tests/pool.rs. Once it charges with all N modules active, every module command the pool
//! gives the cabinet is mirrored to a [`ModbusPowerModule`] built by `hal::devices::spawn_devices`
//! from the shipped profile configs/devices/power-module-30kw-modbus.toml, talking to the
//! profile-driven simulator (`hal::sim::modbus::server::{serve, serve_gateway}`) on loopback.
//! From then on a tap on the connector's CAN port rewrites the truck's BCL frames (every 50 ms)
//! with a new current demand each time (N × 10 A down to N × 6.5 A in 0.5 A·N steps, so every
//! module's share changes); each such frame is one measured request.
//!
//! **Measured** (wall clock, per request): from the moment the tap hands the rewritten BCL frame
//! to the station (its `try_recv` returning it) until the latest of the N modules' Modbus
//! answers to the write of their new current limit arrived at the client (the echo of the write,
//! as seen by the connection task: [`charger_hal::modbus::Acknowledged::answered`]). That
//! includes: the frame decoding by the GB/T session; the rest of the rig step (the simulated
//! cabinet's module physics and matrix step, stepped before the station); the limit composition
//! and the pool's plan and command; the `ModbusPowerModule`s' change detection and profile
//! encoding; the hand-off to the connection task through its queue; tokio waking that task; the
//! Modbus TCP request and the simulator's response on loopback; and any status poll or
//! keep-alive the connection task was in the middle of (polls run at the profile's rates in
//! real time, 10 Hz per status group). Also shown: the station step alone (frame handed →
//! `Rig::step` returned), the time to the first module's answer (the fixed cost: hand-off,
//! wake-up and one round trip), and the time to the read-back that confirms the value
//! ([`charger_hal::modbus::Acknowledged::confirmed`]; the connection task reads back every
//! readable setpoint, and on a gateway the next module's write waits behind it).
//!
//! **Not measured:** the CAN driver (SocketCAN or cannelloni receive: the frame is handed over
//! in process), the 10 ms step period of the daemon's control loop (a request arriving just
//! after a step waits up to 10 ms for the next one: the measurement starts when the step takes
//! the frame), the module's own response (its current slewing), and the bench's own wake-up
//! after the acknowledgement (the time is the connection task's). The client runs on one
//! current-thread tokio runtime, as the daemon does; the simulators run on a runtime of their
//! own in another thread (as they would in another process or device). The setpoint refresh of
//! the profile (every 2 s of the simulated clock) falls into some measured steps, as it would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use charger_hal::devices::power_module::ModbusPowerModule;
use charger_hal::devices::{spawn_devices, DeviceInstance, ModbusTcp, ReadingClock, Transport};
use charger_hal::modbus::ModbusDevice;
use charger_hal::profile::{codec, Point, Profile, Role, Value, WritePayload};
use charger_hal::sim::modbus::server::{serve, serve_gateway};
use charger_hal::sim::modbus::{BatteryLoad, ModuleRating, PowerModulePlant, SimDevice};
use charger_hal::{
    CanError, CanPort, ConnectorHardware, DigitalIo, InsulationMonitor, ModuleCommand,
    ModuleReading, PowerModule, PowerSupply, SimCommand, SimulatorControl, TruckSpec, VoltageRange,
};
use charger_protocol::gbt::frames::{pgn, Bcl, CurrentCodec};
use charger_protocol::j1939::J1939Id;
use charger_protocol::{CanFrame, Timestamp};
use chargerd::config::Config;
use chargerd::hardware;
use chargerd::power::ModuleState;
use chargerd::runtime::Rig;
use chargerd::station::{CommandOutcome, ConnectorStatus, Station, StationCommand};
use chargerd::store::Store;
use tokio::time::Instant;

const STEP: Duration = Duration::from_millis(10);
const PROFILE: &str = "power-module-30kw-modbus.toml";
/// The connector under test.
const OUTPUT: u32 = 1;

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/devices")
}

/// One GB/T connector and `n` pooled modules of 10 kW, all wired to it: a truck taking
/// 250 A at up to 750 V wants more than all of them give, so the pool puts every one on it.
fn config(n: usize) -> String {
    let mut out = String::from(
        r#"
[station]
name = "bench"
state_dir = "/nonexistent"
control_socket = "/nonexistent/control.sock"

[[connectors]]
id = 1
protocol = "gbt"
max_voltage = 1000
max_current = 400
max_power_kw = 400
can = { backend = "simulated" }

[pool]
release_after_s = 5
"#,
    );
    for id in 1..=n {
        out.push_str(&format!(
            "\n[[pool.modules]]\nid = {id}\nmax_power_kw = 10\nmax_current_a = 25\n\
             \n[[pool.matrix]]\nmodule = {id}\nconnector = {OUTPUT}\n"
        ));
    }
    out
}

fn truck() -> TruckSpec {
    TruckSpec {
        soc_percent: 30.0,
        target_soc_percent: 95.0,
        capacity_kwh: 400.0,
        max_voltage: 750.0,
        max_current: 250.0,
    }
}

/// What the tap and the bench share.
#[derive(Debug, Default)]
struct TapState {
    /// The current demand (A) to put into the truck's BCL frames; `None`: pass them through.
    demand: Option<f32>,
    /// When the tap last handed a rewritten BCL to the station.
    handed: Option<Instant>,
}

/// The connector's hardware with a tap on its CAN port that rewrites the truck's BCL.
#[derive(Debug)]
struct Tap {
    inner: Box<dyn ConnectorHardware>,
    state: Arc<Mutex<TapState>>,
}

impl CanPort for Tap {
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        self.inner.can().send(frame)
    }

    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        let frame = self.inner.can().try_recv()?;
        let Some(frame) = frame else { return Ok(None) };
        if !frame.is_extended() || J1939Id::from_raw(frame.id()).pgn != pgn::BCL {
            return Ok(Some(frame));
        }
        let mut st = self.state.lock().unwrap();
        let Some(demand) = st.demand else {
            return Ok(Some(frame));
        };
        let codec = CurrentCodec::Offset400;
        let mut bcl = Bcl::decode(frame.data(), codec).expect("the simulated truck's BCL");
        bcl.current = demand;
        let out = CanFrame::extended(frame.id(), &bcl.encode(codec)).unwrap();
        st.handed = Some(Instant::now());
        Ok(Some(out))
    }

    fn flush(&mut self) -> Result<(), CanError> {
        self.inner.can().flush()
    }
}

impl ConnectorHardware for Tap {
    fn can(&mut self) -> &mut dyn CanPort {
        self
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
    fn step(&mut self, now: Timestamp) {
        self.inner.step(now)
    }
    fn simulator(&mut self) -> Option<&mut dyn SimulatorControl> {
        self.inner.simulator()
    }
}

/// A simulated cabinet module whose commands are mirrored, once `live`, to a Modbus module.
#[derive(Debug)]
struct Mirror {
    sim: Box<dyn PowerModule>,
    modbus: ModbusPowerModule,
    live: Arc<AtomicBool>,
    /// The current limit last commanded, for the bench's checks.
    commanded: Arc<Mutex<f32>>,
}

impl PowerModule for Mirror {
    fn command(&mut self, cmd: ModuleCommand, now: Timestamp) {
        self.sim.command(cmd, now);
        if self.live.load(Ordering::Relaxed) {
            self.modbus.command(cmd, now);
            *self.commanded.lock().unwrap() = cmd.current_limit;
        }
    }
    fn set_range(&mut self, range: VoltageRange, now: Timestamp) {
        self.sim.set_range(range, now);
        if self.live.load(Ordering::Relaxed) {
            self.modbus.set_range(range, now);
        }
    }
    fn reset_fault(&mut self, now: Timestamp) {
        self.sim.reset_fault(now)
    }
    fn reading(&self) -> ModuleReading {
        self.sim.reading()
    }
    fn step(&mut self, now: Timestamp) {
        self.sim.step(now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Links {
    /// Each module its own Modbus TCP server and connection.
    PerModule,
    /// All modules behind one gateway (one connection, unit ids 1..=N).
    Gateway,
}

/// Start the simulators on their own runtime in another thread; their addresses, one per
/// module (the same for all behind a gateway). They stop when `stop` is dropped.
fn simulators(n: usize, links: Links) -> (Vec<SocketAddr>, std::sync::mpsc::Sender<()>) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let profile = Arc::new(Profile::load(&profiles().join(PROFILE)).unwrap());
            let module = || {
                SimDevice::new(
                    profile.clone(),
                    PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default()),
                )
                .unwrap()
            };
            let any = SocketAddr::from(([127, 0, 0, 1], 0));
            let tick = Duration::from_millis(10);
            let mut servers = Vec::new();
            let mut addrs = Vec::new();
            match links {
                Links::PerModule => {
                    for _ in 0..n {
                        let s = serve(module(), any, tick).await.unwrap();
                        addrs.push(s.addr());
                        servers.push(s);
                    }
                }
                Links::Gateway => {
                    let units = (1..=n).map(|u| (u as u8, module())).collect();
                    let s = serve_gateway(units, any, tick).await.unwrap();
                    addrs = vec![s.addr(); n];
                    servers.push(s);
                }
            }
            addr_tx.send(addrs).unwrap();
            // Serve until the bench is done with this set-up.
            tokio::task::spawn_blocking(move || {
                let _ = stop_rx.recv();
            })
            .await
            .unwrap();
            drop(servers);
        });
    });
    (addr_rx.recv().unwrap(), stop_tx)
}

fn nearest_rank(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Row {
    n: usize,
    links: Links,
    /// Frame handed → the last module's write answered.
    total: Vec<Duration>,
    /// Frame handed → `Rig::step` returned.
    station: Vec<Duration>,
    /// Frame handed → the first module's write answered.
    first: Vec<Duration>,
    /// Frame handed → the last module's read-back confirmed.
    confirmed: Vec<Duration>,
}

/// The current limit a write put into a module, in A.
fn written_amps(profile: &Profile, payload: &WritePayload) -> f64 {
    let reg = profile.point(Point::CurrentLimit).unwrap();
    let WritePayload::Words(words) = payload else {
        panic!("the current limit is a holding register")
    };
    match codec::decode(&reg.encoding, words).unwrap() {
        Value::Number(n) => n,
        other => panic!("current limit decoded as {other:?}"),
    }
}

async fn run(n: usize, links: Links, steps: usize) -> Row {
    let (addrs, stop) = simulators(n, links);

    // The station on the simulated truck and cabinet.
    let cfg = Config::from_toml_str(&config(n), "bench.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("journal.sqlite")).unwrap();
    let restored = store.restore().unwrap();
    let mut hw = hardware::build_all(&cfg).unwrap();
    let mut now = Timestamp::ZERO;
    let station = Station::new(&cfg, hardware::session_factory(), &restored, now);

    // The Modbus modules, as the daemon builds them from device instances.
    let instances: Vec<DeviceInstance> = addrs
        .iter()
        .enumerate()
        .map(|(i, addr)| {
            let unit = match links {
                Links::PerModule => 1,
                Links::Gateway => (i + 1) as u8,
            };
            DeviceInstance {
                name: format!("m{}", i + 1),
                role: Role::PowerModule,
                profile: PROFILE.into(),
                transport: Transport::ModbusTcp(ModbusTcp::new(
                    addr.ip().to_string(),
                    addr.port(),
                    unit,
                )),
            }
        })
        .collect();
    let mut devices = spawn_devices(&instances, &profiles(), ReadingClock::new(Instant::now()))
        .await
        .unwrap();
    let live = Arc::new(AtomicBool::new(false));
    let pool = hw.pool.as_mut().unwrap();
    let sims = std::mem::take(&mut pool.modules);
    let mut devs: Vec<ModbusDevice> = Vec::new();
    let mut commanded = Vec::new();
    for (i, sim) in sims.into_iter().enumerate() {
        let modbus = devices
            .power_modules
            .remove(&format!("m{}", i + 1))
            .unwrap();
        devs.push(modbus.device().clone());
        let c = Arc::new(Mutex::new(0.0));
        commanded.push(c.clone());
        pool.modules.push(Box::new(Mirror {
            sim,
            modbus,
            live: live.clone(),
            commanded: c,
        }));
    }
    let tap = Arc::new(Mutex::new(TapState::default()));
    hw.connectors = std::mem::take(&mut hw.connectors)
        .into_iter()
        .map(|(id, inner)| {
            let hw: Box<dyn ConnectorHardware> = if id == OUTPUT {
                Box::new(Tap {
                    inner,
                    state: tap.clone(),
                })
            } else {
                inner
            };
            (id, hw)
        })
        .collect();
    let mut rig: Rig = hw.into_rig(station);

    // Into charging with every module active on the output.
    rig.simulate(OUTPUT, SimCommand::Plug(truck()), now)
        .unwrap();
    for _ in 0..10 {
        step(&mut rig, &mut now);
    }
    match rig
        .command(
            StationCommand::Start {
                connector: OUTPUT,
                id_tag: Some("FLEET-042".into()),
            },
            now,
        )
        .unwrap()
    {
        CommandOutcome::Started { .. } => {}
        other => panic!("expected a start, got {other:?}"),
    }
    let all_active = |rig: &Rig| {
        let pool = rig.pool().unwrap();
        pool.modules
            .iter()
            .all(|m| m.state == ModuleState::Active { output: OUTPUT })
    };
    let mut waited = Duration::ZERO;
    while !(rig.station().status(OUTPUT) == Some(ConnectorStatus::Charging) && all_active(&rig)) {
        step(&mut rig, &mut now);
        waited += STEP;
        assert!(
            waited < Duration::from_secs(120),
            "no charging with {n} active modules: {:?} {:?}",
            rig.station().status(OUTPUT),
            rig.pool()
        );
    }

    // Mirror to the Modbus modules from here on, and let their first writes go out.
    live.store(true, Ordering::Relaxed);
    tap.lock().unwrap().demand = Some(n as f32 * 10.0);
    for _ in 0..20 {
        step(&mut rig, &mut now);
        settle(&mut devs).await;
    }

    let mut row = Row {
        n,
        links,
        total: Vec::with_capacity(steps),
        station: Vec::with_capacity(steps),
        first: Vec::with_capacity(steps),
        confirmed: Vec::with_capacity(steps),
    };
    // The set-up asked for N × 10 A (k = 0): the first measured request differs.
    let mut k = 1u32;
    let mut previous: Vec<f32> = commanded.iter().map(|c| *c.lock().unwrap()).collect();
    while row.total.len() < steps {
        let demand = n as f32 * (10.0 - 0.5 * (k % 8) as f32);
        tap.lock().unwrap().demand = Some(demand);
        let before: Vec<u64> = devs.iter().map(|d| d.queued()).collect();
        step(&mut rig, &mut now);
        let stepped = Instant::now();
        let handed = tap.lock().unwrap().handed.take();
        let Some(handed) = handed else {
            // No BCL in this step (the truck sends one every 50 ms): whatever the step wrote
            // (a setpoint refresh) goes out before the next one.
            settle(&mut devs).await;
            continue;
        };
        k += 1;
        let mut last_answer = handed;
        let mut first_answer: Option<Instant> = None;
        let mut last_confirmed = handed;
        for (i, d) in devs.iter_mut().enumerate() {
            let share = *commanded[i].lock().unwrap();
            assert!(
                (share - previous[i]).abs() > 0.01,
                "module {} kept {share} A for a BCL of {demand} A",
                i + 1
            );
            previous[i] = share;
            assert!(d.queued() > before[i], "module {}: nothing written", i + 1);
            let ack = loop {
                match d.acknowledged(Point::CurrentLimit) {
                    Some(a) if a.seq > before[i] => break a,
                    _ => {
                        assert_eq!(d.state().errors.write_failures, 0, "{:?}", d.state());
                        tokio::time::timeout(Duration::from_secs(2), d.changed())
                            .await
                            .expect("the current limit acknowledged within 2 s");
                    }
                }
            };
            let written = written_amps(d.profile(), &ack.payload);
            assert!(
                (written - f64::from(share)).abs() < 0.06,
                "module {} acknowledged {written} A, commanded {share} A",
                i + 1
            );
            last_answer = last_answer.max(ack.answered);
            first_answer = Some(first_answer.map_or(ack.answered, |f| f.min(ack.answered)));
            last_confirmed = last_confirmed.max(ack.confirmed.unwrap_or(ack.answered));
        }
        row.total.push(last_answer.duration_since(handed));
        row.station.push(stepped.duration_since(handed));
        row.first
            .push(first_answer.unwrap_or(handed).duration_since(handed));
        row.confirmed.push(last_confirmed.duration_since(handed));
        // Anything else this step queued (a refresh of the other setpoints) before the next.
        settle(&mut devs).await;
    }
    assert_eq!(
        rig.station().status(OUTPUT),
        Some(ConnectorStatus::Charging),
        "the session stopped while measuring"
    );
    drop(stop);
    for c in devices.connections {
        c.abort();
    }
    row
}

/// One control step of simulated time, events drained.
fn step(rig: &mut Rig, now: &mut Timestamp) {
    *now += STEP;
    rig.step(*now);
    while rig.poll_event().is_some() {}
}

/// Wait until every write queued so far on each device was answered (a device's writes are
/// sent in the order queued, so its latest acknowledgement covers the ones before).
async fn settle(devs: &mut [ModbusDevice]) {
    for d in devs.iter_mut() {
        let last = d.queued();
        loop {
            let st = d.state();
            assert_eq!(st.errors.write_failures, 0, "{st:?}");
            let acked = st.acknowledged.iter().flatten().map(|a| a.seq).max();
            if acked.unwrap_or(0) >= last {
                break;
            }
            tokio::time::timeout(Duration::from_secs(2), d.changed())
                .await
                .expect("a write answered within 2 s");
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let steps: usize = std::env::var("POOL_BENCH_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // One current-thread runtime for the station and the Modbus connection tasks, as in the
    // daemon (src/bin/chargerd.rs).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let setups = [
        (1, Links::PerModule),
        (4, Links::PerModule),
        (12, Links::PerModule),
        (4, Links::Gateway),
        (12, Links::Gateway),
    ];
    let mut rows = Vec::new();
    for (n, links) in setups {
        rows.push(rt.block_on(run(n, links, steps)));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "pool latency: GB/T BCL with a new current demand handed to the station → every module's \
         new current limit acknowledged over Modbus TCP on loopback ({steps} requests each)"
    );
    println!(
        "| modules | Modbus TCP links | p50 ms | p99 ms | max ms | station step p50 / p99 / max ms | first module answered p50 / p99 ms | to read-back confirmed p50 / p99 / max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for mut r in rows {
        r.total.sort();
        r.station.sort();
        r.first.sort();
        r.confirmed.sort();
        let links = match r.links {
            Links::PerModule => format!("{} (one per module)", r.n),
            Links::Gateway => "1 (gateway, unit ids)".to_string(),
        };
        println!(
            "| {} | {links} | {} | {} | {} | {} / {} / {} | {} / {} | {} / {} / {} |",
            r.n,
            ms(nearest_rank(&r.total, 50.0)),
            ms(nearest_rank(&r.total, 99.0)),
            ms(*r.total.last().unwrap()),
            ms(nearest_rank(&r.station, 50.0)),
            ms(nearest_rank(&r.station, 99.0)),
            ms(*r.station.last().unwrap()),
            ms(nearest_rank(&r.first, 50.0)),
            ms(nearest_rank(&r.first, 99.0)),
            ms(nearest_rank(&r.confirmed, 50.0)),
            ms(nearest_rank(&r.confirmed, 99.0)),
            ms(*r.confirmed.last().unwrap()),
        );
    }
    println!("(load average at the end: {})", load.trim());
}
