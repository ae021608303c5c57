//! CAN power modules over cannelloni on loopback: the station's `CanModuleBus` on one UDP
//! port, the simulated modules (`CanModuleSimServer`, or the `can-module-sim` binary in its own
//! process) on another, both on 127.0.0.1, in real time, from the shipped CAN profile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use charger_hal::can::cannelloni::{CannelloniConfig, CannelloniPort, CannelloniSocket};
use charger_hal::can_module::{CanModuleBus, CanPowerModule};
use charger_hal::profile::can::CanProfile;
use charger_hal::sim::can_module::{CanModuleSim, CanModuleSimServer, CanSimFault};
use charger_hal::sim::modbus::{BatteryLoad, ModuleRating};
use charger_hal::{ModuleCommand, ModuleReading, PowerModule};
use charger_protocol::Timestamp;

fn profile_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices/power-module-infy-can.toml")
}

fn profile() -> Arc<CanProfile> {
    Arc::new(CanProfile::load(&profile_path()).unwrap_or_else(|e| panic!("{e}")))
}

fn lo() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Two cannelloni ports on 127.0.0.1 talking to each other.
fn port_pair() -> (CannelloniPort, CannelloniPort) {
    let a = CannelloniSocket::bind(lo()).unwrap();
    let b = CannelloniSocket::bind(lo()).unwrap();
    let (aa, ba) = (a.local_addr(), b.local_addr());
    (
        a.into_port(ba, CannelloniConfig::default()).unwrap(),
        b.into_port(aa, CannelloniConfig::default()).unwrap(),
    )
}

/// The station side, stepped every 5 ms of wall-clock time.
struct Station {
    bus: CanModuleBus<CannelloniPort>,
    modules: Vec<CanPowerModule>,
    start: Instant,
}

impl Station {
    fn new(port: CannelloniPort, addresses: &[u32]) -> Station {
        let mut bus = CanModuleBus::new(port, profile());
        let modules = addresses
            .iter()
            .map(|&a| bus.attach(a, Timestamp::ZERO).unwrap())
            .collect();
        Station {
            bus,
            modules,
            start: Instant::now(),
        }
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.start.elapsed().as_millis() as u64)
    }

    /// Step for `d`, calling `each` after every step.
    fn run_for(&mut self, d: Duration, mut each: impl FnMut(&Station)) {
        let until = Instant::now() + d;
        while Instant::now() < until {
            let now = self.now();
            self.bus.step(now).unwrap();
            each(self);
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Step until `cond` holds for module `i`, at most `limit`; the time it took.
    fn until(
        &mut self,
        i: usize,
        limit: Duration,
        cond: impl Fn(&ModuleReading) -> bool,
    ) -> Duration {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            let now = self.now();
            self.bus.step(now).unwrap();
            if cond(&self.modules[i].reading()) {
                return t0.elapsed();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "module {i}: condition not met within {limit:?}; last reading {:?}",
            self.modules[i].reading()
        );
    }

    fn command(&mut self, i: usize, cmd: ModuleCommand) {
        let now = self.now();
        self.modules[i].command(cmd, now);
    }
}

const ON_650V_20A: ModuleCommand = ModuleCommand {
    enable: true,
    voltage: 650.0,
    current_limit: 20.0,
};

#[test]
fn two_modules_over_cannelloni_follow_setpoints_and_a_silent_one_goes_stale_alone() {
    let (station_port, sim_port) = port_pair();
    let sim = CanModuleSim::new(
        profile(),
        &[4, 9],
        ModuleRating::default(),
        // Output open (contactor not closed yet): the voltage shows the module's slew.
        BatteryLoad {
            connected: false,
            ..BatteryLoad::default()
        },
        0.05,
    )
    .unwrap();
    let server = CanModuleSimServer::spawn(sim_port, sim, Duration::from_millis(5)).unwrap();
    let mut st = Station::new(station_port, &[4, 9]);

    // Both answer: fresh, off, 0 V.
    for i in 0..2 {
        st.until(i, Duration::from_secs(3), |r| !r.stale);
        let r = st.modules[i].reading();
        assert!(!r.running && r.voltage.abs() < 1.0, "{r:?}");
    }

    // 650 V, 20 A on both: the voltage rises at the module's 500 V/s, seen in the readings.
    st.command(0, ON_650V_20A);
    st.command(1, ON_650V_20A);
    let mut seen: Vec<(Duration, f32)> = Vec::new();
    let t0 = Instant::now();
    st.run_for(Duration::from_millis(2500), |s| {
        seen.push((t0.elapsed(), s.modules[0].reading().voltage));
    });
    let rising: Vec<f32> = seen
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| (50.0..600.0).contains(v))
        .collect();
    assert!(
        rising.len() >= 3,
        "the voltage must pass through intermediate values, not jump: {seen:?}"
    );
    assert!(
        rising.windows(2).all(|w| w[1] >= w[0]),
        "monotonic: {rising:?}"
    );
    let t_half = seen
        .iter()
        .find(|(_, v)| *v >= 325.0)
        .map(|(t, _)| *t)
        .unwrap();
    assert!(
        t_half >= Duration::from_millis(550),
        "half of 650 V at 500 V/s takes 650 ms (minus one poll); got {t_half:?}"
    );
    for m in &st.modules {
        let r = m.reading();
        assert!(
            !r.stale && r.running && (r.voltage - 650.0).abs() < 1.0,
            "{r:?}"
        );
    }

    // Into a 600 V battery: each module delivers its 20 A limit (droop shares evenly).
    server.with_sim(|s| s.bus_mut().load.connected = true);
    for i in 0..2 {
        st.until(i, Duration::from_secs(3), |r| {
            (r.current - 20.0).abs() < 0.5
        });
    }

    // Module 9 stops answering (mute): stale within its reply's max_age (1000 ms) plus one poll
    // period; module 4 keeps working throughout.
    server.with_sim(|s| s.set_fault(9, Some(CanSimFault::Mute)));
    let silenced = Instant::now();
    let mut worst_fresh_age = Duration::ZERO;
    let stale_after = loop {
        let now = st.now();
        st.bus.step(now).unwrap();
        let r4 = st.modules[0].reading();
        assert!(
            !r4.stale && (r4.current - 20.0).abs() < 0.5,
            "module 4: {r4:?}"
        );
        worst_fresh_age = worst_fresh_age.max(now - r4.at);
        if st.modules[1].reading().stale {
            break silenced.elapsed();
        }
        assert!(
            silenced.elapsed() < Duration::from_secs(3),
            "module 9 never went stale"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    eprintln!("module 9 stale {stale_after:?} after it went silent; module 4's reading at most {worst_fresh_age:?} old");
    assert!(
        stale_after >= Duration::from_millis(700) && stale_after <= Duration::from_millis(1300),
        "{stale_after:?}"
    );
    st.run_for(Duration::from_millis(500), |s| {
        let r4 = s.modules[0].reading();
        assert!(
            !r4.stale && (r4.current - 20.0).abs() < 0.5,
            "module 4: {r4:?}"
        );
    });
    // Mute, not deaf: module 9 still obeys and delivers; the station sees only that it is
    // not answering (the pool must ramp it out).
    let i9 = server.with_sim(|s| s.plant(9).unwrap().output_current());
    assert!((i9 - 20.0).abs() < 0.5, "{i9}");
    let stats = st.modules[1].stats();
    assert!(stats.missed_replies >= 3, "{stats:?}");
    // Module 4 answered within its 100 ms deadline (one late answer tolerated on a loaded host).
    assert!(
        st.modules[0].stats().missed_replies <= 1,
        "{:?}",
        st.modules[0].stats()
    );
    assert_eq!(st.bus.port().stats().malformed_datagrams, 0);

    // Back on the bus: fresh again.
    server.with_sim(|s| s.set_fault(9, None));
    st.until(1, Duration::from_secs(2), |r| !r.stale);
}

/// A free UDP port on 127.0.0.1 (bound and released; the binary binds it right after).
fn free_port() -> SocketAddr {
    UdpSocket::bind(lo()).unwrap().local_addr().unwrap()
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_can_module_sim_binary_serves_the_profile_from_its_own_process() {
    let station = CannelloniSocket::bind(lo()).unwrap();
    let sim_addr = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_can-module-sim"))
        .arg("--profile")
        .arg(profile_path())
        .args(["--modules", "2", "--first-address", "1"])
        // Module 2 stops answering 4 s after start.
        .args(["--fault", "4:2:mute"])
        .args(["--bind", &sim_addr.to_string()])
        .args(["--peer", &station.local_addr().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot start can-module-sim (cargo builds it with the tests)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _child = Kill(child);
    assert!(line.starts_with("power_module can 127.0.0.1:"), "{line}");
    assert!(line.trim_end().ends_with("addresses 1..=2"), "{line}");

    let port = station
        .into_port(sim_addr, CannelloniConfig::default())
        .unwrap();
    let mut st = Station::new(port, &[1, 2]);
    for i in 0..2 {
        st.until(i, Duration::from_secs(3), |r| !r.stale);
    }
    // The binary's modules feed a 600 V battery: 650 V / 20 A each → 20 A each.
    st.command(0, ON_650V_20A);
    st.command(1, ON_650V_20A);
    for i in 0..2 {
        st.until(i, Duration::from_secs(5), |r| {
            r.running && (r.current - 20.0).abs() < 0.5 && !r.stale
        });
    }
    // Off: the current drops at once.
    st.command(0, ModuleCommand::OFF);
    st.until(0, Duration::from_secs(2), |r| {
        !r.running && r.current.abs() < 0.1
    });
    // The injected fault: module 2 goes stale, module 1 stays fresh.
    st.until(1, Duration::from_secs(6), |r| r.stale);
    assert!(!st.modules[0].reading().stale);
}

#[test]
fn the_bus_runs_as_its_own_task_and_the_pool_only_holds_handles() {
    let (station_port, sim_port) = port_pair();
    let sim = CanModuleSim::new(
        profile(),
        &[5],
        ModuleRating::default(),
        BatteryLoad::default(),
        0.05,
    )
    .unwrap();
    let _server = CanModuleSimServer::spawn(sim_port, sim, Duration::from_millis(5)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let epoch = tokio::time::Instant::now();
        let mut bus = CanModuleBus::new(station_port, profile());
        let mut module = bus.attach(5, Timestamp::ZERO).unwrap();
        let task = tokio::spawn(bus.run(Duration::from_millis(5), epoch));
        let now = || Timestamp::from_millis(epoch.elapsed().as_millis() as u64);
        module.command(ON_650V_20A, now());
        let t0 = tokio::time::Instant::now();
        loop {
            let r = module.reading();
            if !r.stale && r.running && (r.current - 20.0).abs() < 0.5 {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "{r:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The task gone (the bus dropped): the reading ages into stale.
        task.abort();
        let _ = task.await;
        assert!(
            module.reading().stale,
            "the bus is gone: not a fresh reading"
        );
    });
}
