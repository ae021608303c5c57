//! The GPIO suite on the kernel's GPIO simulator (gpio-sim, configfs): GpioSource over the
//! real character device (uAPI v2, gpiocdev), lines found by name, outputs requested at their
//! safe level, commands written, an edge seen at once.
//!
//! Behind the `gpio-sim` feature, run by `hal/tests/gpio-sim.sh` (as root, on a kernel with
//! CONFIG_GPIO_SIM). Without gpio-sim this test FAILS and says how to get it: it never
//! passes by skipping.
#![cfg(feature = "gpio-sim")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use charger_hal::devices::ReadingClock;
use charger_hal::gpio::cdev::CdevBackend;
use charger_hal::gpio::{
    Bias, GpioSource, GpioSourceConfig, LineAddress, LineConfig, LineDirection,
};
use charger_hal::{LineSource, PointValue};

const CONFIGFS: &str = "/sys/kernel/config/gpio-sim";
const LINES: [&str; 3] = ["ESTOP_N", "K1_K2", "LOCK_N"];

/// A live gpio-sim chip, torn down at drop.
struct SimChip {
    dir: PathBuf,
    /// /sys/devices/platform/gpio-sim.N/gpiochipM
    sysfs: PathBuf,
    dev: PathBuf,
}

impl SimChip {
    fn create() -> SimChip {
        assert!(
            Path::new(CONFIGFS).is_dir(),
            "{CONFIGFS} is missing: this kernel has no gpio-sim loaded. Run hal/tests/gpio-sim.sh \
             as root on a kernel built with CONFIG_GPIO_SIM (it runs `modprobe gpio-sim` and \
             mounts configfs); a machine without gpio-sim cannot run this suite"
        );
        let dir = Path::new(CONFIGFS).join(format!("chargerd-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        let bank = dir.join("gpio-bank0");
        std::fs::create_dir(&bank).unwrap();
        std::fs::write(bank.join("num_lines"), LINES.len().to_string()).unwrap();
        for (i, name) in LINES.iter().enumerate() {
            let line = bank.join(format!("line{i}"));
            std::fs::create_dir(&line).unwrap();
            std::fs::write(line.join("name"), name).unwrap();
        }
        std::fs::write(dir.join("live"), "1").unwrap();
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap().trim().to_string();
        let dev_name = read(dir.join("dev_name"));
        let chip_name = read(bank.join("chip_name"));
        SimChip {
            sysfs: Path::new("/sys/devices/platform")
                .join(dev_name)
                .join(&chip_name),
            dev: Path::new("/dev").join(chip_name),
            dir,
        }
    }

    /// The physical level of line `i` as the simulator sees it.
    fn value(&self, i: usize) -> bool {
        std::fs::read_to_string(self.sysfs.join(format!("sim_gpio{i}/value")))
            .unwrap()
            .trim()
            == "1"
    }

    /// The outside world pulls input line `i` up or down.
    fn pull(&self, i: usize, up: bool) {
        std::fs::write(
            self.sysfs.join(format!("sim_gpio{i}/pull")),
            if up { "pull-up" } else { "pull-down" },
        )
        .unwrap();
    }
}

impl Drop for SimChip {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("live"), "0");
        for i in 0..LINES.len() {
            let _ = std::fs::remove_dir(self.dir.join(format!("gpio-bank0/line{i}")));
        }
        let _ = std::fs::remove_dir(self.dir.join("gpio-bank0"));
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

#[test]
fn gpio_source_on_gpio_sim_requests_safe_outputs_writes_commands_and_sees_edges_at_once() {
    let chip = SimChip::create();
    chip.pull(0, true); // e-stop chain closed: the active-low line is high
    let line = |name: &str, active_low: bool, direction| LineConfig {
        address: LineAddress::Name(name.into()),
        active_low,
        bias: Bias::AsIs,
        direction,
    };
    let source = GpioSource::spawn(
        GpioSourceConfig {
            name: "gpio-sim".into(),
            origin: "gpio_sim.rs".into(),
            chip: chip.dev.clone(),
            points: vec![
                (
                    "estop".into(),
                    line(
                        "ESTOP_N",
                        true,
                        LineDirection::Input {
                            debounce: None,
                            edges: true,
                        },
                    ),
                ),
                (
                    "contactors".into(),
                    line("K1_K2", false, LineDirection::Output { safe: false }),
                ),
                (
                    "lock".into(),
                    line("LOCK_N", true, LineDirection::Output { safe: false }),
                ),
            ],
            // Far longer than the test: only an edge can bring a new input level.
            poll: Duration::from_secs(30),
            retry: Duration::from_millis(100),
        },
        Arc::new(CdevBackend),
        ReadingClock::new(tokio::time::Instant::now()),
    )
    .unwrap();
    let estop = || match source.input("estop").map(|r| r.value) {
        Some(PointValue::Level(l)) => Some(l),
        _ => None,
    };
    wait_until("the first reading", || estop().is_some());
    assert_eq!(source.last_error(), None);
    assert_eq!(estop(), Some(false));
    // Safe at request: contactor line low, active-low lock line high.
    assert!(!chip.value(1));
    assert!(chip.value(2));

    source.set_output("contactors", true).unwrap();
    source.set_output("lock", true).unwrap();
    wait_until("the commands", || chip.value(1) && !chip.value(2));

    chip.pull(0, false);
    let latency = wait_until("the e-stop edge", || estop() == Some(true));
    println!("e-stop edge to reading: {latency:?}");
    assert!(latency < Duration::from_millis(100), "{latency:?}");
}
