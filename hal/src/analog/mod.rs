//! Analog inputs: ADC channels of the Linux IIO subsystem as the points of a [`LineSource`],
//! and the classifier ([`classify`]) that turns a detection voltage (GB/T CC1, an analog
//! proximity) into a connection state.
//!
//! The ADC is read through sysfs: `<root>/<device>/in_voltageK_raw`, scaled by
//! `in_voltageK_scale` (or the device-wide `in_voltage_scale`) and offset by
//! `in_voltageK_offset` (or `in_voltage_offset`, else 0), which gives millivolts at the ADC
//! pin: `(raw + offset) × scale`, the IIO ABI's rule. A divider ratio from the configuration
//! turns that into volts at the connector (CC1's 12 V is divided down to the ADC's range).
//! `root` is `/sys/bus/iio/devices` on a board; tests lay out a temporary tree like it.
//! The device is named by its directory (`iio:device0`) or by its `name` attribute (the
//! driver's name, e.g. `ads1015`), which survives a probe order change.
//!
//! A thread reads every channel each `poll` period; a channel that cannot be read keeps its
//! last reading (whose age makes the board's inputs stale) and sets the source's error.

pub mod classify;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use thiserror::Error;

use crate::devices::ReadingClock;
use crate::io::{LineError, LineSource, PointReading, PointValue};

/// The sysfs directory of IIO devices on a running system.
pub const IIO_SYSFS_ROOT: &str = "/sys/bus/iio/devices";

/// One ADC channel as a point.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalogChannel {
    /// The `K` of `in_voltageK_raw`.
    pub channel: u32,
    /// Volts at the connector per volt at the ADC pin (a 100k/10k divider: 11).
    pub divider: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnalogSourceConfig {
    pub name: String,
    /// Where the configuration defines it, for the log line of a failure.
    pub origin: String,
    /// `/sys/bus/iio/devices`, or a test's tree laid out like it.
    pub root: PathBuf,
    /// The device's directory under `root` (`iio:device0`) or its `name` attribute.
    pub device: String,
    pub points: Vec<(String, AnalogChannel)>,
    pub poll: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnalogError {
    #[error("{}: no IIO device {device:?} (neither a directory nor a `name`)", root.display())]
    NoDevice { root: PathBuf, device: String },
    #[error("{}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("{}: {text:?} is not a number", path.display())]
    Parse { path: PathBuf, text: String },
}

/// The directory of `device` under `root`: itself, or the one whose `name` file says so.
pub fn find_device(root: &Path, device: &str) -> Result<PathBuf, AnalogError> {
    let direct = root.join(device);
    // A name with a slash or `..` would leave the IIO tree: only plain names.
    let plain = !device.is_empty() && !device.contains('/') && device != "..";
    if plain && direct.join("name").is_file() {
        return Ok(direct);
    }
    let no_device = || AnalogError::NoDevice {
        root: root.to_path_buf(),
        device: device.to_string(),
    };
    let entries = std::fs::read_dir(root).map_err(|_| no_device())?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    dirs.sort();
    dirs.into_iter()
        .find(|d| std::fs::read_to_string(d.join("name")).is_ok_and(|n| n.trim() == device))
        .ok_or_else(no_device)
}

fn read_number(path: &Path) -> Result<Option<f64>, AnalogError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let v: f64 = text.trim().parse().map_err(|_| AnalogError::Parse {
                path: path.to_path_buf(),
                text: text.trim().to_string(),
            })?;
            if v.is_finite() {
                Ok(Some(v))
            } else {
                Err(AnalogError::Parse {
                    path: path.to_path_buf(),
                    text: text.trim().to_string(),
                })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AnalogError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// The channel's voltage at the connector, in volts.
pub fn read_channel(dir: &Path, ch: &AnalogChannel) -> Result<f32, AnalogError> {
    let k = ch.channel;
    let raw_path = dir.join(format!("in_voltage{k}_raw"));
    let raw = read_number(&raw_path)?.ok_or_else(|| AnalogError::Read {
        path: raw_path.clone(),
        reason: "no such channel".into(),
    })?;
    let first = |names: [String; 2]| -> Result<Option<f64>, AnalogError> {
        for n in names {
            if let Some(v) = read_number(&dir.join(n))? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    };
    // Without a scale the raw value's unit is unknown: refuse rather than guess.
    let scale = first([
        format!("in_voltage{k}_scale"),
        "in_voltage_scale".to_string(),
    ])?
    .ok_or_else(|| AnalogError::Read {
        path: dir.join(format!("in_voltage{k}_scale")),
        reason: "no scale for the channel (nor in_voltage_scale)".into(),
    })?;
    let offset = first([
        format!("in_voltage{k}_offset"),
        "in_voltage_offset".to_string(),
    ])?
    .unwrap_or(0.0);
    let millivolts = (raw + offset) * scale;
    let volts = millivolts / 1000.0 * f64::from(ch.divider);
    Ok(volts as f32)
}

/// See the module documentation.
#[derive(Debug)]
pub struct AnalogSource {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: AnalogSourceConfig,
    clock: ReadingClock,
    inputs: Mutex<Vec<Option<PointReading>>>,
    last_error: Mutex<Option<String>>,
    stop: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AnalogSource {
    /// Start the source's thread; returns at once.
    pub fn spawn(config: AnalogSourceConfig, clock: ReadingClock) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            inputs: Mutex::new(vec![None; config.points.len()]),
            last_error: Mutex::new(None),
            stop: AtomicBool::new(false),
            clock,
            config,
        });
        let thread = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("iio-{}", shared.config.name))
            .spawn(move || thread.run())?;
        Ok(AnalogSource { shared })
    }
}

impl Drop for AnalogSource {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl LineSource for AnalogSource {
    fn name(&self) -> &str {
        &self.shared.config.name
    }

    fn input(&self, point: &str) -> Option<PointReading> {
        let i = self
            .shared
            .config
            .points
            .iter()
            .position(|(p, _)| p == point)?;
        lock(&self.shared.inputs).get(i).copied().flatten()
    }

    fn set_output(&self, point: &str, _level: bool) -> Result<(), LineError> {
        // An ADC has no outputs.
        Err(LineError::UnknownPoint {
            source_name: self.shared.config.name.clone(),
            point: point.to_string(),
        })
    }

    fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }
}

impl Shared {
    fn fail(&self, e: &AnalogError) {
        let text = e.to_string();
        let mut last = lock(&self.last_error);
        if last.as_deref() != Some(text.as_str()) {
            tracing::warn!(source = %self.config.name, origin = %self.config.origin, error = %text,
                "IIO source failed; its inputs go stale and it is retried");
            *last = Some(text);
        }
    }

    fn sleep(&self, d: Duration) {
        let slice = Duration::from_millis(50);
        let mut left = d;
        while !left.is_zero() && !self.stop.load(Ordering::SeqCst) {
            let step = left.min(slice);
            std::thread::sleep(step);
            left = left.saturating_sub(step);
        }
    }

    /// One pass over every channel; the first error, if any.
    fn poll_once(&self, dir: &Path) -> Result<(), AnalogError> {
        let mut first_error = None;
        for (i, (_, ch)) in self.config.points.iter().enumerate() {
            match read_channel(dir, ch) {
                Ok(volts) => {
                    let at = self.clock.at(tokio::time::Instant::now());
                    if let Some(slot) = lock(&self.inputs).get_mut(i) {
                        *slot = Some(PointReading {
                            value: PointValue::Analog(volts),
                            at,
                        });
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn run(&self) {
        let mut dir: Option<PathBuf> = None;
        while !self.stop.load(Ordering::SeqCst) {
            let found = match dir.clone() {
                Some(d) => Ok(d),
                None => find_device(&self.config.root, &self.config.device),
            };
            match found {
                Ok(d) => {
                    match self.poll_once(&d) {
                        Ok(()) => {
                            if lock(&self.last_error).take().is_some() {
                                tracing::info!(source = %self.config.name, "IIO source reads again");
                            }
                            dir = Some(d);
                        }
                        Err(e) => {
                            self.fail(&e);
                            // The device may have been re-probed under another number.
                            dir = None;
                        }
                    }
                }
                Err(e) => self.fail(&e),
            }
            self.sleep(self.config.poll);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A tree like `/sys/bus/iio/devices` with one ADS1015-like device: channel 0 is CC1
    /// behind a 100k/10k divider, channel 1 reads with its own scale and an offset.
    fn tree(dir: &Path) {
        let dev = dir.join("iio:device3");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("name"), "ads1015\n").unwrap();
        // 12-bit ADC, 2 mV per count (a 4.096 V range at 2048 counts).
        std::fs::write(dev.join("in_voltage_scale"), "2.000000000\n").unwrap();
        // 4.0 V at the connector / 11 = 0.3636 V at the pin = 181.8 counts.
        std::fs::write(dev.join("in_voltage0_raw"), "182\n").unwrap();
        std::fs::write(dev.join("in_voltage1_raw"), "1000\n").unwrap();
        std::fs::write(dev.join("in_voltage1_scale"), "0.5\n").unwrap();
        std::fs::write(dev.join("in_voltage1_offset"), "-200\n").unwrap();
        std::fs::create_dir_all(dir.join("iio:device0")).unwrap();
        std::fs::write(dir.join("iio:device0/name"), "cpu-temp\n").unwrap();
    }

    fn cc1() -> AnalogChannel {
        AnalogChannel {
            channel: 0,
            divider: 11.0,
        }
    }

    #[test]
    fn a_channel_is_raw_plus_offset_times_scale_times_the_divider() {
        let tmp = tempdir();
        tree(tmp.path());
        let dev = find_device(tmp.path(), "ads1015").unwrap();
        assert_eq!(dev, tmp.path().join("iio:device3"));
        assert_eq!(find_device(tmp.path(), "iio:device3").unwrap(), dev);
        // 182 × 2 mV × 11 = 4.004 V.
        let v = read_channel(&dev, &cc1()).unwrap();
        assert!((v - 4.004).abs() < 1e-4, "{v}");
        // (1000 − 200) × 0.5 mV = 0.4 V, the channel's own scale over the device's.
        let v = read_channel(
            &dev,
            &AnalogChannel {
                channel: 1,
                divider: 1.0,
            },
        )
        .unwrap();
        assert!((v - 0.4).abs() < 1e-6, "{v}");
    }

    #[test]
    fn a_missing_device_channel_or_scale_and_garbage_are_errors_naming_the_file() {
        let tmp = tempdir();
        tree(tmp.path());
        assert!(matches!(
            find_device(tmp.path(), "ads7828"),
            Err(AnalogError::NoDevice { .. })
        ));
        assert!(find_device(tmp.path(), "../iio:device3").is_err());
        let dev = tmp.path().join("iio:device3");
        let e = read_channel(
            &dev,
            &AnalogChannel {
                channel: 7,
                divider: 1.0,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("in_voltage7_raw"), "{e}");
        std::fs::write(dev.join("in_voltage0_raw"), "busy\n").unwrap();
        let e = read_channel(&dev, &cc1()).unwrap_err();
        assert!(matches!(e, AnalogError::Parse { .. }), "{e}");
        std::fs::write(dev.join("in_voltage0_raw"), "182\n").unwrap();
        std::fs::remove_file(dev.join("in_voltage_scale")).unwrap();
        let e = read_channel(&dev, &cc1()).unwrap_err();
        assert!(e.to_string().contains("no scale"), "{e}");
    }

    #[test]
    fn the_source_publishes_volts_and_keeps_the_old_time_when_a_read_fails() {
        let tmp = tempdir();
        tree(tmp.path());
        let source = AnalogSource::spawn(
            AnalogSourceConfig {
                name: "adc0".into(),
                origin: "test.toml: io_sources[1]".into(),
                root: tmp.path().to_path_buf(),
                device: "ads1015".into(),
                points: vec![("cc1".into(), cc1())],
                poll: Duration::from_millis(10),
            },
            ReadingClock::new(tokio::time::Instant::now()),
        )
        .unwrap();
        let wait = |what: &str, f: &dyn Fn() -> bool| {
            let start = std::time::Instant::now();
            while !f() {
                assert!(start.elapsed() < Duration::from_secs(5), "{what}");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let volts = || match source.input("cc1").map(|r| r.value) {
            Some(PointValue::Analog(v)) => Some(v),
            _ => None,
        };
        wait("a reading", &|| volts().is_some());
        assert!((volts().unwrap() - 4.004).abs() < 1e-4);
        // The truck unplugs: 12 V at the connector.
        std::fs::write(tmp.path().join("iio:device3/in_voltage0_raw"), "545\n").unwrap();
        wait("12 V", &|| {
            volts().is_some_and(|v| (v - 11.99).abs() < 0.01)
        });
        assert!(source.set_output("cc1", true).is_err());

        std::fs::remove_dir_all(tmp.path().join("iio:device3")).unwrap();
        wait("the error", &|| source.last_error().is_some());
        let at = source.input("cc1").unwrap().at;
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(source.input("cc1").unwrap().at, at);
        assert!(source.last_error().unwrap().contains("ads1015"));
    }

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }
}
