//! `cargo bench -p charger-hal --bench modbus_poll [-- --seconds N --warmup N]`: what polling a
//! station's Modbus devices at their profiles' rates costs the controller.
//!
//! For 1, 6 and 24 connectors, the `modbus-sim` binary (built by cargo for this bench) serves
//! in its own process, per connector, 4 power modules behind one gateway port (unit ids 1..=4),
//! a DC meter, an insulation monitor and a cooling unit, from the shipped profiles in
//! configs/devices/. In this process `spawn_devices` builds every device (one connection per
//! address: the modules behind a gateway share one) on one current-thread tokio runtime, as
//! the daemon's control side runs; a station task reads every device's role reading and
//! re-commands every module and cooling unit at 10 Hz, as the control loop would (setpoints go
//! out only on change and on the profile's refresh period). After a warm-up, over the
//! measured window, the bench takes:
//! - its own CPU time (every thread of this process) as % of one core;
//! - the simulator process's CPU time, for context (it runs the plants every 10 ms);
//! - requests/s and error counts from the devices' health view, and the polls/s the profiles
//!   plan (status reads and keep-alives; the measured requests add setpoint refreshes and
//!   their read-backs).
//!
//! CPU time is the sum of the threads' on-CPU time from /proc/<pid>/task/*/schedstat
//! (nanoseconds), or utime+stime from /proc/<pid>/stat (10 ms ticks) where schedstat is
//! missing. The last row repeats 24 connectors without the station task: the poll loop alone.
//! Asserts that every device kept answering (no errors, every link up, no stale reading).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use charger_hal::devices::{
    spawn_devices, DeviceHealth, DeviceInstance, Devices, LinkState, ModbusTcp, ReadingClock,
    Transport,
};
use charger_hal::profile::{GroupKind, Profile, Role};
use charger_hal::{
    CoolingCommand, CoolingUnit, DcMeter, InsulationMonitor, ModuleCommand, PowerModule,
};
use tokio::time::Instant;

const MODULES_PER_CONNECTOR: u8 = 4;
/// How often the station task reads every device and re-commands the modules.
const STATION_HZ: f64 = 10.0;

const PROFILES: [(Role, &str); 4] = [
    (Role::PowerModule, "power-module-30kw-modbus.toml"),
    (Role::DcMeter, "dc-meter-modbus.toml"),
    (Role::InsulationMonitor, "insulation-monitor-modbus.toml"),
    (Role::CoolingUnit, "cooling-unit-hpc-modbus.toml"),
];

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices")
}

/// The simulator process; killed however the bench ends.
struct Simulator {
    child: Child,
    /// (connector, role) -> address, as the simulator printed them.
    addrs: BTreeMap<(u16, String), SocketAddr>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Simulator {
    fn start(connectors: u16) -> Simulator {
        let child = Command::new(env!("CARGO_BIN_EXE_modbus-sim"))
            .args(["--base-port", "0", "--connectors"])
            .arg(connectors.to_string())
            .arg("--modules")
            .arg(MODULES_PER_CONNECTOR.to_string())
            .arg("--profiles")
            .arg(profiles_dir())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot start modbus-sim");
        let mut sim = Simulator {
            child,
            addrs: BTreeMap::new(),
        };
        let stdout = sim.child.stdout.take().expect("modbus-sim stdout");
        let lines = usize::from(connectors) * if connectors > 1 { 5 } else { 4 };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut addrs = BTreeMap::new();
            let mut connector = 1u16;
            for line in BufReader::new(stdout).lines().take(lines) {
                let Ok(line) = line else { break };
                let mut words = line.split_whitespace();
                let (Some(first), Some(second)) = (words.next(), words.next()) else {
                    continue;
                };
                if first == "connector" {
                    connector = second.parse().expect("connector number");
                } else {
                    let addr: SocketAddr = second.parse().expect("address");
                    addrs.insert((connector, first.to_string()), addr);
                }
            }
            let _ = tx.send(addrs);
        });
        sim.addrs = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("modbus-sim printed no addresses within 60 s");
        assert_eq!(
            sim.addrs.len(),
            usize::from(connectors) * 4,
            "modbus-sim printed {:?}",
            sim.addrs
        );
        sim
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every device of every connector, as the daemon's configuration would list them.
    fn instances(&self, connectors: u16) -> Vec<DeviceInstance> {
        let mut out = Vec::new();
        for c in 1..=connectors {
            for (role, profile) in PROFILES {
                let key = match role {
                    Role::PowerModule => "power_module",
                    Role::DcMeter => "dc_meter",
                    Role::InsulationMonitor => "insulation_monitor",
                    Role::CoolingUnit => "cooling_unit",
                    Role::IoModule => "io_module",
                };
                let addr = self.addrs[&(c, key.to_string())];
                let units = if role == Role::PowerModule {
                    1..=MODULES_PER_CONNECTOR
                } else {
                    1..=1
                };
                for unit in units {
                    out.push(DeviceInstance {
                        name: format!("c{c}-{key}-{unit}"),
                        role,
                        profile: PathBuf::from(profile),
                        transport: Transport::ModbusTcp(ModbusTcp::new(
                            addr.ip().to_string(),
                            addr.port(),
                            unit,
                        )),
                    });
                }
            }
        }
        out
    }
}

/// On-CPU time of every thread of process `pid` ("self" for this one).
fn cpu_time(pid: &str) -> Duration {
    let tasks = format!("/proc/{pid}/task");
    let mut total = Duration::ZERO;
    let mut schedstat = true;
    if let Ok(dir) = std::fs::read_dir(&tasks) {
        for task in dir.flatten() {
            match std::fs::read_to_string(task.path().join("schedstat")) {
                Ok(s) => {
                    let ns: u64 = s
                        .split_whitespace()
                        .next()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    total += Duration::from_nanos(ns);
                }
                Err(_) => schedstat = false,
            }
        }
    } else {
        schedstat = false;
    }
    if schedstat {
        return total;
    }
    // utime and stime, fields 14 and 15, in USER_HZ (100 on Linux) ticks; the process name
    // (field 2) may hold spaces, so count from the ')' that ends it.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Status reads and keep-alives the profiles plan per second, for `instances`.
fn planned_polls(instances: &[DeviceInstance]) -> f64 {
    let mut per_profile: BTreeMap<PathBuf, f64> = BTreeMap::new();
    instances
        .iter()
        .map(|inst| {
            *per_profile.entry(inst.profile.clone()).or_insert_with(|| {
                let p = Profile::load(&profiles_dir().join(&inst.profile)).expect("profile");
                let reads: f64 = p
                    .groups
                    .iter()
                    .map(|g| match g.kind {
                        GroupKind::Status { poll_hz } => g.reads.len() as f64 * poll_hz,
                        GroupKind::Setpoint { .. } => 0.0,
                    })
                    .sum();
                let keepalive = p
                    .watchdog
                    .as_ref()
                    .map_or(0.0, |w| 1000.0 / f64::from(w.period_ms.max(1)));
                reads + keepalive
            })
        })
        .sum()
}

fn errors(h: &DeviceHealth) -> u64 {
    let e = h.errors;
    e.timeouts + e.exceptions + e.transport + e.decode + e.write_failures + e.reconnects
}

/// What the station does at 10 Hz: read every device's role reading, command the modules
/// (a charging setpoint) and the cooling units; counts stale readings seen.
fn station_step(devices: &mut Devices, clock: &ReadingClock, stale: &mut u64) {
    let now = clock.at(Instant::now());
    for m in devices.power_modules.values_mut() {
        m.command(
            ModuleCommand {
                enable: true,
                voltage: 700.0,
                current_limit: 20.0,
            },
            now,
        );
        *stale += u64::from(m.reading().stale);
    }
    for m in devices.dc_meters.values() {
        *stale += u64::from(m.reading().stale);
    }
    for c in devices.cooling_units.values_mut() {
        c.command(
            CoolingCommand {
                run: true,
                pump: 0.6,
                fan: 0.5,
            },
            now,
        );
        *stale += u64::from(c.reading().stale);
    }
    for i in devices.insulation_monitors.values() {
        // ImdReading has no staleness flag; reading it is the station's cost.
        std::hint::black_box(i.reading());
    }
}

/// Let the devices poll until `until`; with `station`, run the station step at its rate.
async fn drive(
    until: Instant,
    station: bool,
    devices: &mut Devices,
    clock: &ReadingClock,
    interval: &mut tokio::time::Interval,
    stale: &mut u64,
) {
    if !station {
        tokio::time::sleep_until(until).await;
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return,
            _ = interval.tick() => station_step(devices, clock, stale),
        }
    }
}

struct Row {
    connectors: u16,
    station: bool,
    devices: usize,
    connections: usize,
    planned: f64,
    requests_per_s: f64,
    own_cpu: f64,
    sim_cpu: f64,
    errors: u64,
    links_down: usize,
    stale: u64,
}

fn measure(connectors: u16, station: bool, warmup: Duration, window: Duration) -> Row {
    let sim = Simulator::start(connectors);
    let instances = sim.instances(connectors);
    let planned = planned_polls(&instances);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let sim_pid = sim.pid().to_string();
    runtime.block_on(async {
        let clock = ReadingClock::new(Instant::now());
        let mut devices = spawn_devices(&instances, &profiles_dir(), clock)
            .await
            .expect("spawn_devices");
        let connections = devices.connections.len();
        let health = devices.health.clone();
        let report = || health.report(Instant::now());
        let total = |r: &[DeviceHealth], f: fn(&DeviceHealth) -> u64| r.iter().map(f).sum::<u64>();

        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / STATION_HZ));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut stale = 0u64;
        let warmed = Instant::now() + warmup;
        drive(
            warmed,
            station,
            &mut devices,
            &clock,
            &mut interval,
            &mut stale,
        )
        .await;
        stale = 0;

        let before = report();
        let (own0, sim0, t0) = (cpu_time("self"), cpu_time(&sim_pid), Instant::now());
        drive(
            t0 + window,
            station,
            &mut devices,
            &clock,
            &mut interval,
            &mut stale,
        )
        .await;
        let (own1, sim1, t1) = (cpu_time("self"), cpu_time(&sim_pid), Instant::now());
        let after = report();

        let seconds = (t1 - t0).as_secs_f64();
        let pct = |a: Duration, b: Duration| b.saturating_sub(a).as_secs_f64() / seconds * 100.0;
        let stale_now = after
            .iter()
            .filter(|h| h.last_reading_age_ms.is_none_or(|ms| ms > 1_000))
            .count() as u64;
        Row {
            connectors,
            station,
            devices: after.len(),
            connections,
            planned,
            requests_per_s: (total(&after, |h| h.requests) - total(&before, |h| h.requests)) as f64
                / seconds,
            own_cpu: pct(own0, own1),
            sim_cpu: pct(sim0, sim1),
            errors: total(&after, errors) - total(&before, errors),
            links_down: after
                .iter()
                .filter(|h| h.link != LinkState::Connected)
                .count(),
            stale: stale + stale_now,
        }
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut window = Duration::from_secs(10);
    let mut warmup = Duration::from_secs(3);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--list" => return,
            // cargo bench passes --bench to a harness-less bench.
            "--bench" => {}
            "--seconds" | "--warmup" => {
                let v: f64 = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &f64| *v > 0.0 && *v <= 3600.0)
                    .unwrap_or_else(|| panic!("{a} needs a number of seconds (0-3600]"));
                let d = Duration::from_secs_f64(v);
                if a == "--seconds" {
                    window = d;
                } else {
                    warmup = d;
                }
            }
            other => {
                panic!("unknown argument {other}; usage: modbus_poll [--seconds N] [--warmup N]")
            }
        }
    }
    let label = std::env::var("MODBUS_BENCH_LABEL").unwrap_or_else(|_| "this machine".into());
    let mut rows = Vec::new();
    for (connectors, station) in [(1, true), (6, true), (24, true), (24, false)] {
        let row = measure(connectors, station, warmup, window);
        eprintln!(
            "{connectors} connectors{}: {:.1} % of one core",
            if station { "" } else { ", polling only" },
            row.own_cpu
        );
        rows.push(row);
    }
    println!();
    println!(
        "Modbus polling cost at the profiles' rates ({label}; {:.0} s window after {:.0} s \
         warm-up; {MODULES_PER_CONNECTOR} modules per connector behind one gateway port; \
         simulators in their own process)",
        window.as_secs_f64(),
        warmup.as_secs_f64()
    );
    println!(
        "| connectors | modules | devices | connections | station reads {STATION_HZ:.0} Hz | \
         polls/s planned | requests/s | chargerd-side CPU % of one core | simulator CPU % | \
         errors | links down | stale readings |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.1} | {} | {} | {} |",
            r.connectors,
            u32::from(r.connectors) * u32::from(MODULES_PER_CONNECTOR),
            r.devices,
            r.connections,
            if r.station { "yes" } else { "no" },
            r.planned,
            r.requests_per_s,
            r.own_cpu,
            r.sim_cpu,
            r.errors,
            r.links_down,
            r.stale,
        );
    }
    for r in &rows {
        assert!(
            r.errors == 0 && r.links_down == 0 && r.stale == 0,
            "{} connectors: {} errors, {} links down, {} stale readings in the window",
            r.connectors,
            r.errors,
            r.links_down,
            r.stale
        );
    }
}
