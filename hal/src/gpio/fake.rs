//! An in-memory [`GpioBackend`] for tests: chips with named lines whose physical levels a
//! test sets and reads, with the kernel's rules that matter here — active-low inversion,
//! outputs driven at their requested level, edges only on lines requested with detection,
//! exclusive requests, and a chip that disappears or fails on demand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{
    ChipInfo, EdgeEvent, GpioBackend, GpioError, GpioLines, LineAddress, LineConfig, LineDirection,
    LineInfo,
};

/// See the module documentation. Clones share the same chips.
#[derive(Debug, Default, Clone)]
pub struct FakeBackend {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    chips: Mutex<BTreeMap<PathBuf, FakeChip>>,
    edge: Condvar,
}

#[derive(Debug, Default)]
struct FakeChip {
    names: Vec<String>,
    /// Physical level of each line, by offset.
    levels: Vec<bool>,
    /// The open request: each line's offset and configuration, and a serial number so that a
    /// dropped request's handle cannot act on a newer one.
    request: Option<(u64, Vec<(u32, LineConfig)>)>,
    serial: u64,
    edges: Vec<EdgeEvent>,
    failing: bool,
    /// Reads (values, edges) fail while writes still work: a flaky input expander.
    reads_failing: bool,
    /// Every physical level written to an output, in order: (offset, level).
    writes: Vec<(u32, bool)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeBackend {
    /// A chip at `path` whose lines, offsets 0.., are named `names`; all low.
    pub fn add_chip(&self, path: impl Into<PathBuf>, names: &[&str]) {
        lock(&self.inner.chips).insert(
            path.into(),
            FakeChip {
                names: names.iter().map(|n| n.to_string()).collect(),
                levels: vec![false; names.len()],
                ..FakeChip::default()
            },
        );
    }

    /// The chip goes away (unbound driver, unplugged expander): its request fails from now on.
    pub fn remove_chip(&self, path: &Path) {
        lock(&self.inner.chips).remove(path);
        self.inner.edge.notify_all();
    }

    /// Every call on the chip's request fails while `failing`.
    pub fn set_failing(&self, path: &Path, failing: bool) {
        if let Some(chip) = lock(&self.inner.chips).get_mut(path) {
            chip.failing = failing;
        }
        self.inner.edge.notify_all();
    }

    /// Reads on the chip's request fail while `failing`; writes still work.
    pub fn set_reads_failing(&self, path: &Path, failing: bool) {
        if let Some(chip) = lock(&self.inner.chips).get_mut(path) {
            chip.reads_failing = failing;
        }
        self.inner.edge.notify_all();
    }

    fn offset_of(chip: &FakeChip, line: &str) -> Option<usize> {
        chip.names.iter().position(|n| n == line)
    }

    /// `path`'s chip as opening it finds it (shared or mutable): a missing or failing chip is
    /// the kernel's error.
    fn opened<C: std::ops::Deref<Target = FakeChip>>(
        chip: Option<C>,
        path: &Path,
    ) -> Result<C, GpioError> {
        let chip = chip.ok_or_else(|| GpioError::Open {
            chip: path.to_path_buf(),
            reason: "No such file or directory (os error 2)".into(),
        })?;
        if chip.failing {
            return Err(GpioError::Open {
                chip: path.to_path_buf(),
                reason: "Input/output error (os error 5)".into(),
            });
        }
        Ok(chip)
    }

    /// The offset `address` names on `chip`; `beyond` is the error for an offset past its
    /// lines (the kernel's differs between looking a line up and requesting it).
    fn offset(
        chip: &FakeChip,
        path: &Path,
        address: &LineAddress,
        beyond: impl FnOnce(u32) -> GpioError,
    ) -> Result<u32, GpioError> {
        match address {
            LineAddress::Offset(o) if (*o as usize) < chip.names.len() => Ok(*o),
            LineAddress::Offset(o) => Err(beyond(*o)),
            LineAddress::Name(name) => Self::offset_of(chip, name)
                .and_then(|o| u32::try_from(o).ok())
                .ok_or_else(|| GpioError::NoSuchLine {
                    chip: path.to_path_buf(),
                    name: name.clone(),
                }),
        }
    }

    /// The outside world drives input `line` to physical `level`; an edge is queued when the
    /// line is requested with edge detection and the level changed.
    pub fn drive(&self, path: &Path, line: &str, level: bool) {
        let mut chips = lock(&self.inner.chips);
        let Some(chip) = chips.get_mut(path) else {
            return;
        };
        let Some(offset) = Self::offset_of(chip, line) else {
            return;
        };
        let Some(old) = chip
            .levels
            .get_mut(offset)
            .map(|l| std::mem::replace(l, level))
        else {
            return;
        };
        if old == level {
            return;
        }
        let edge = chip.request.as_ref().and_then(|(_, lines)| {
            lines.iter().enumerate().find_map(|(i, (o, cfg))| {
                let detecting = matches!(cfg.direction, LineDirection::Input { edges: true, .. });
                (*o as usize == offset && detecting).then_some(EdgeEvent {
                    line: i,
                    active: level != cfg.active_low,
                })
            })
        });
        if let Some(edge) = edge {
            chip.edges.push(edge);
            self.inner.edge.notify_all();
        }
    }

    /// `line` goes to physical `level` and back at once, faster than any read: both edges are
    /// queued (where the line has edge detection), the level ends where it was.
    pub fn pulse(&self, path: &Path, line: &str, level: bool) {
        let before = self.level(path, line);
        // The level never changes, so the source's thread cannot read the pulse's level.
        let mut chips = lock(&self.inner.chips);
        let Some(chip) = chips.get_mut(path) else {
            return;
        };
        let Some(offset) = Self::offset_of(chip, line) else {
            return;
        };
        let Some(before) = before else {
            return;
        };
        let detecting = chip.request.as_ref().and_then(|(_, lines)| {
            lines.iter().enumerate().find_map(|(i, (o, cfg))| {
                let edges = matches!(cfg.direction, LineDirection::Input { edges: true, .. });
                (*o as usize == offset && edges).then_some((i, cfg.active_low))
            })
        });
        if before == level {
            return;
        }
        if let Some((i, active_low)) = detecting {
            chip.edges.push(EdgeEvent {
                line: i,
                active: level != active_low,
            });
            chip.edges.push(EdgeEvent {
                line: i,
                active: before != active_low,
            });
            self.inner.edge.notify_all();
        }
    }

    /// The physical level of `line` (an output as driven, an input as driven from outside).
    pub fn level(&self, path: &Path, line: &str) -> Option<bool> {
        let chips = lock(&self.inner.chips);
        let chip = chips.get(path)?;
        chip.levels.get(Self::offset_of(chip, line)?).copied()
    }

    /// Physical levels written to `line` after its request, in order (the request's own
    /// initial level is the first).
    pub fn writes(&self, path: &Path, line: &str) -> Vec<bool> {
        let chips = lock(&self.inner.chips);
        let Some(chip) = chips.get(path) else {
            return Vec::new();
        };
        let Some(offset) = Self::offset_of(chip, line) else {
            return Vec::new();
        };
        chip.writes
            .iter()
            .filter(|(o, _)| *o as usize == offset)
            .map(|(_, l)| *l)
            .collect()
    }

    /// Whether the chip has an open request.
    pub fn requested(&self, path: &Path) -> bool {
        lock(&self.inner.chips)
            .get(path)
            .is_some_and(|c| c.request.is_some())
    }
}

impl GpioBackend for FakeBackend {
    fn inspect(
        &self,
        path: &Path,
        lines: &[LineAddress],
    ) -> Result<(ChipInfo, Vec<Result<LineInfo, GpioError>>), GpioError> {
        let chips = lock(&self.inner.chips);
        let chip = Self::opened(chips.get(path), path)?;
        let held = |offset: u32| {
            chip.request
                .as_ref()
                .and_then(|(_, lines)| lines.iter().find(|(o, _)| *o == offset))
        };
        let infos = lines
            .iter()
            .map(|address| {
                let offset = Self::offset(chip, path, address, |o| GpioError::Io {
                    chip: path.to_path_buf(),
                    reason: format!("offset {o}: Invalid argument (os error 22)"),
                })?;
                Ok(LineInfo {
                    offset,
                    name: chip.names.get(offset as usize).cloned().unwrap_or_default(),
                    consumer: held(offset).map(|_| "chargerd".to_string()),
                    output: held(offset).is_some_and(|(_, cfg)| cfg.is_output()),
                })
            })
            .collect();
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok((
            ChipInfo {
                name,
                label: "fake".into(),
                lines: u32::try_from(chip.names.len()).unwrap_or(u32::MAX),
            },
            infos,
        ))
    }

    fn request(
        &self,
        path: &Path,
        _consumer: &str,
        lines: &[LineConfig],
    ) -> Result<Arc<dyn GpioLines>, GpioError> {
        let mut chips = lock(&self.inner.chips);
        let chip = Self::opened(chips.get_mut(path), path)?;
        if chip.request.is_some() {
            return Err(GpioError::Request {
                chip: path.to_path_buf(),
                reason: "Device or resource busy (os error 16)".into(),
            });
        }
        let mut requested = Vec::with_capacity(lines.len());
        for line in lines {
            let offset = Self::offset(chip, path, &line.address, |o| GpioError::Request {
                chip: path.to_path_buf(),
                reason: format!("offset {o} out of range"),
            })?;
            requested.push((offset, line.clone()));
        }
        for (offset, line) in &requested {
            if let LineDirection::Output { safe } = line.direction {
                let physical = safe != line.active_low;
                if let Some(l) = chip.levels.get_mut(*offset as usize) {
                    *l = physical;
                }
                chip.writes.push((*offset, physical));
            }
        }
        chip.serial += 1;
        chip.edges.clear();
        chip.request = Some((chip.serial, requested.clone()));
        Ok(Arc::new(FakeLines {
            backend: self.clone(),
            path: path.to_path_buf(),
            serial: chip.serial,
            lines: requested,
        }))
    }
}

#[derive(Debug)]
struct FakeLines {
    backend: FakeBackend,
    path: PathBuf,
    serial: u64,
    lines: Vec<(u32, LineConfig)>,
}

impl FakeLines {
    /// The chip, if it still exists, works, and this is its open request.
    fn with_chip<T>(
        &self,
        chips: &mut BTreeMap<PathBuf, FakeChip>,
        f: impl FnOnce(&mut FakeChip) -> T,
    ) -> Result<T, GpioError> {
        let io = |reason: &str| GpioError::Io {
            chip: self.path.clone(),
            reason: reason.into(),
        };
        let chip = chips
            .get_mut(&self.path)
            .ok_or_else(|| io("No such device (os error 19)"))?;
        if chip.failing {
            return Err(io("Input/output error (os error 5)"));
        }
        if chip.request.as_ref().map(|(s, _)| *s) != Some(self.serial) {
            return Err(io("request released"));
        }
        Ok(f(chip))
    }
}

impl Drop for FakeLines {
    fn drop(&mut self) {
        let mut chips = lock(&self.backend.inner.chips);
        if let Some(chip) = chips.get_mut(&self.path) {
            if chip.request.as_ref().map(|(s, _)| *s) == Some(self.serial) {
                chip.request = None;
            }
        }
    }
}

impl GpioLines for FakeLines {
    fn values(&self) -> Result<Vec<bool>, GpioError> {
        let mut chips = lock(&self.backend.inner.chips);
        if self.with_chip(&mut chips, |chip| chip.reads_failing)? {
            return Err(GpioError::Io {
                chip: self.path.clone(),
                reason: "Remote I/O error (os error 121)".into(),
            });
        }
        self.with_chip(&mut chips, |chip| {
            self.lines
                .iter()
                .map(|(o, cfg)| {
                    chip.levels.get(*o as usize).copied().unwrap_or(false) != cfg.active_low
                })
                .collect()
        })
    }

    fn set_values(&self, values: &[(usize, bool)]) -> Result<(), GpioError> {
        let mut chips = lock(&self.backend.inner.chips);
        self.with_chip(&mut chips, |chip| {
            for (i, level) in values {
                let Some((offset, cfg)) = self.lines.get(*i) else {
                    continue;
                };
                if !cfg.is_output() {
                    continue;
                }
                let physical = *level != cfg.active_low;
                if let Some(l) = chip.levels.get_mut(*offset as usize) {
                    *l = physical;
                }
                chip.writes.push((*offset, physical));
            }
        })
    }

    fn wait_edges(&self, timeout: Duration) -> Result<Vec<EdgeEvent>, GpioError> {
        let deadline = Instant::now() + timeout;
        let mut chips = lock(&self.backend.inner.chips);
        loop {
            let edges = self.with_chip(&mut chips, |chip| std::mem::take(&mut chip.edges))?;
            let left = deadline.saturating_duration_since(Instant::now());
            if !edges.is_empty() || left.is_zero() {
                return Ok(edges);
            }
            chips = self
                .backend
                .inner
                .edge
                .wait_timeout(chips, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}
