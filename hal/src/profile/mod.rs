//! Device profiles: a vendor's register map as data (`configs/devices/*.toml`), so that a new
//! power module, cooling unit, DC meter or insulation monitor is a new file, not new code.
//!
//! Loading a profile parses it, checks every field against the Modbus protocol and the
//! device's own limits, checks that the role's points are all there with the right access and
//! units, and plans the read requests of every poll group. Anything wrong is a
//! [`ProfileError`] naming the file and the TOML key. The format is documented in the README
//! ("Device profiles").
//!
//! [`codec`] turns register words into typed, scaled values and back; [`plan`] groups points
//! into requests. Both are pure.

pub mod can;
pub mod codec;
pub mod plan;
pub mod roles;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use codec::{DecodeError, EncodeError, Encoding, Value, ValueType, WordOrder};
pub use plan::{plan_reads, Gap, PlanError, ReadLimits, ReadRequest, Span};
pub use roles::{ContactorSide, IoKind, Need, Point, PointSpec, Quantity, Role};

/// The Modbus data tables ("reference types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Read/write bits (function codes 1, 5, 15). Vendors' "0xxxx".
    Coil,
    /// Read-only bits (function code 2). Vendors' "1xxxx".
    DiscreteInput,
    /// Read-only registers (function code 4). Vendors' "3xxxx".
    Input,
    /// Read/write registers (function codes 3, 6, 16). Vendors' "4xxxx".
    Holding,
}

impl Table {
    pub fn is_bits(self) -> bool {
        matches!(self, Table::Coil | Table::DiscreteInput)
    }

    pub fn writable(self) -> bool {
        matches!(self, Table::Coil | Table::Holding)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub fn readable(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }
    pub fn writable(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// Engineering units a profile may give a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "V")]
    Volt,
    #[serde(rename = "A")]
    Ampere,
    #[serde(rename = "W")]
    Watt,
    #[serde(rename = "kW")]
    Kilowatt,
    #[serde(rename = "Wh")]
    WattHour,
    #[serde(rename = "kWh")]
    KilowattHour,
    #[serde(rename = "degC", alias = "°C")]
    Celsius,
    #[serde(rename = "Ohm", alias = "Ω")]
    Ohm,
    #[serde(rename = "kOhm", alias = "kΩ")]
    Kiloohm,
    #[serde(rename = "MOhm", alias = "MΩ")]
    Megaohm,
    #[serde(rename = "l/min")]
    LitrePerMinute,
    #[serde(rename = "bar")]
    Bar,
    #[serde(rename = "kPa")]
    Kilopascal,
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "Hz")]
    Hertz,
    #[serde(rename = "s")]
    Second,
}

// ---------------------------------------------------------------------------------------------
// The file as written (serde), before validation.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    device: DeviceSpec,
    #[serde(default)]
    limits: LimitsSpec,
    watchdog: Option<WatchdogSpec>,
    groups: BTreeMap<String, GroupSpec>,
    registers: BTreeMap<String, RegisterSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceSpec {
    name: String,
    vendor: Option<String>,
    model: Option<String>,
    role: Role,
    /// `modbus` (the default); a `can` profile is a [`can::CanProfile`], refused by `parse`
    /// before it gets here.
    #[allow(dead_code)]
    transport: Option<can::Transport>,
    /// Free text: where the map came from, firmware version.
    #[allow(dead_code)]
    source: Option<String>,
}

fn d125() -> u16 {
    125
}
fn d2000() -> u16 {
    2000
}
fn d123() -> u16 {
    123
}
fn d1968() -> u16 {
    1968
}
fn d10() -> f64 {
    10.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    #[serde(default = "d125")]
    max_registers_per_read: u16,
    #[serde(default = "d2000")]
    max_bits_per_read: u16,
    #[serde(default = "d123")]
    max_registers_per_write: u16,
    #[serde(default = "d1968")]
    max_bits_per_write: u16,
    #[serde(default = "d10")]
    max_poll_hz: f64,
    #[serde(default)]
    gaps: Vec<GapSpec>,
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            max_registers_per_read: d125(),
            max_bits_per_read: d2000(),
            max_registers_per_write: d123(),
            max_bits_per_write: d1968(),
            max_poll_hz: d10(),
            gaps: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GapSpec {
    table: Table,
    start: u16,
    end: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchdogMode {
    /// Write an incrementing counter (wrapping at the register's range).
    Counter,
    /// Write the same value each period.
    Constant,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchdogSpec {
    register: String,
    period_ms: u32,
    mode: WatchdogMode,
    #[serde(default)]
    value: f64,
    /// The device's own timeout: it drops its output when no keep-alive came for this long.
    device_timeout_ms: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum GroupKindSpec {
    Status,
    Setpoint,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    kind: GroupKindSpec,
    poll_hz: Option<f64>,
    #[serde(default)]
    snapshot: bool,
    update_counter: Option<String>,
    /// Setpoints: rewrite every this many milliseconds even when unchanged (devices that forget).
    refresh_ms: Option<u32>,
    /// A reading older than this is a fault; default three poll periods.
    max_age_ms: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterSpec {
    table: Table,
    address: u16,
    #[serde(rename = "type")]
    ty: ValueType,
    order: Option<WordOrder>,
    length: Option<u16>,
    bit: Option<u8>,
    scale: Option<f64>,
    offset: Option<f64>,
    unit: Option<Unit>,
    access: Access,
    range: Option<[f64; 2]>,
    #[serde(default)]
    sentinels: Vec<i64>,
    #[serde(default, rename = "enum")]
    enum_names: BTreeMap<String, String>,
    #[serde(default)]
    bits: BTreeMap<String, String>,
    group: String,
    point: Option<Point>,
    /// An I/O module's point: what the register is to the station (role `io_module` only).
    io: Option<IoKind>,
    #[serde(default)]
    momentary: bool,
    /// The value written for a momentary command (default 1 / true).
    command_value: Option<f64>,
    #[allow(dead_code)]
    description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The validated profile.

/// A device profile that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub file: PathBuf,
    pub name: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub role: Role,
    pub limits: DeviceLimits,
    pub watchdog: Option<Watchdog>,
    pub groups: Vec<Group>,
    pub registers: Vec<Register>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceLimits {
    pub read: ReadLimits,
    pub max_registers_per_write: u16,
    pub max_bits_per_write: u16,
    pub max_poll_hz: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Watchdog {
    /// Index into [`Profile::registers`].
    pub register: usize,
    pub period_ms: u32,
    pub mode: WatchdogMode,
    pub value: f64,
    pub device_timeout_ms: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GroupKind {
    /// Read periodically.
    Status { poll_hz: f64 },
    /// Written when the wanted value changes (and every `refresh_ms` if set), never polled.
    Setpoint { refresh_ms: Option<u32> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub kind: GroupKind,
    /// All registers of the group are read in one request, so they are one consistent
    /// snapshot of the device.
    pub snapshot: bool,
    /// A register the device increments on every update; a counter that stops moving means
    /// frozen values. Index into [`Profile::registers`].
    pub update_counter: Option<usize>,
    pub max_age_ms: Option<u32>,
    /// Indices into [`Profile::registers`].
    pub registers: Vec<usize>,
    /// The planned reads of a status group ([`ReadRequest::points`] index `registers`).
    pub reads: Vec<ReadRequest>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Register {
    pub name: String,
    pub table: Table,
    /// Zero-based PDU address.
    pub address: u16,
    pub encoding: Encoding,
    pub unit: Option<Unit>,
    pub access: Access,
    pub group: usize,
    pub point: Option<Point>,
    /// An I/O module's point, named by [`Register::name`] (role `io_module` only).
    pub io: Option<IoKind>,
    pub momentary: bool,
    pub command_value: Option<f64>,
    pub enum_names: BTreeMap<i128, String>,
    pub bit_names: BTreeMap<u8, String>,
}

impl Register {
    /// Registers (or, in a bit table, bits) this point occupies.
    pub fn span(&self) -> Span {
        Span {
            table: self.table,
            address: self.address,
            count: if self.table.is_bits() {
                1
            } else {
                self.encoding.words()
            },
        }
    }

    /// Names of the bits set in a bit-field reading.
    pub fn active_bits(&self, raw: u64) -> Vec<&str> {
        self.bit_names
            .iter()
            .filter(|(bit, _)| raw.checked_shr(u32::from(**bit)).unwrap_or(0) & 1 == 1)
            .map(|(_, name)| name.as_str())
            .collect()
    }
}

/// A profile problem: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{}: {key}: {problem}", file.display())]
pub struct ProfileError {
    pub file: PathBuf,
    /// The TOML path, e.g. `registers.output_voltage.access`.
    pub key: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum Problem {
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("{0}")]
    Syntax(String),
    #[error("role {role} needs point {point}, and no register provides it")]
    MissingPoint { role: Role, point: Point },
    #[error("point {point} is not one of role {role}'s points")]
    ForeignPoint { role: Role, point: Point },
    #[error("point {point} is already provided by register {other}")]
    DuplicatePoint { point: Point, other: String },
    #[error("overlaps register {other}")]
    Overlap { other: String },
    #[error("{table:?} is read-only, so this register cannot be written")]
    WriteToReadOnly { table: Table },
    #[error("register {register} is not writable (access = read)")]
    NotWritable { register: String },
    #[error("register {register} is not readable")]
    NotReadable { register: String },
    #[error("{value} is outside what the protocol allows ({min}..={max})")]
    ProtocolLimit { value: f64, min: f64, max: f64 },
    #[error("no group named {0}")]
    UnknownGroup(String),
    #[error("no register named {0}")]
    UnknownRegister(String),
    #[error("unit {unit} does not fit point {point}")]
    WrongUnit { unit: String, point: Point },
    #[error("the group's registers need {requests} reads, a snapshot must be one")]
    SnapshotSplit { requests: usize },
    #[error("{0}")]
    Plan(PlanError),
    #[error("{0}")]
    Invalid(String),
}

/// Line (1-based) of a byte offset, for syntax errors.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|t| t.bytes().filter(|b| *b == b'\n').count() + 1)
        .unwrap_or(0)
}

impl Profile {
    /// Read and validate a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: path.to_path_buf(),
            key: String::new(),
            problem: Problem::Io(e.to_string()),
        })?;
        Profile::parse(&text, path)
    }

    /// Every Modbus `*.toml` in `dir`, in file-name order; CAN profiles (`transport = "can"`)
    /// are skipped (load them with [`can::CanProfile::load`]).
    pub fn load_dir(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
        let io = |e: std::io::Error| ProfileError {
            file: dir.to_path_buf(),
            key: String::new(),
            problem: Problem::Io(e.to_string()),
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths.retain(|p| {
            std::fs::read_to_string(p)
                .map(|text| can::transport_of(&text) == can::Transport::Modbus)
                .unwrap_or(true)
        });
        paths.iter().map(|p| Profile::load(p)).collect()
    }

    /// Parse and validate profile text; `file` only names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Profile, ProfileError> {
        let err = |key: String, problem: Problem| ProfileError {
            file: file.to_path_buf(),
            key,
            problem,
        };
        if can::transport_of(text) == can::Transport::Can {
            return Err(err(
                "device.transport".into(),
                Problem::Invalid("a CAN profile: load it with CanProfile, not as Modbus".into()),
            ));
        }
        let de = toml::de::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            err(
                String::new(),
                Problem::Syntax(format!("line {line}: {}", e.message())),
            )
        })?;
        let spec: FileSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            err(
                key,
                Problem::Syntax(format!("line {line}: {}", inner.message())),
            )
        })?;
        Validator { file, err: &err }.validate(spec)
    }

    pub fn register(&self, name: &str) -> Option<&Register> {
        self.registers.iter().find(|r| r.name == name)
    }

    /// The register providing `point`, if the profile has it.
    pub fn point(&self, point: Point) -> Option<&Register> {
        self.registers.iter().find(|r| r.point == Some(point))
    }

    /// How old a reading of register `index` may be before it is a fault: its group's
    /// `max_age_ms`, or three poll periods. `None` for registers that are not polled.
    pub fn max_age(&self, index: usize) -> Option<std::time::Duration> {
        let reg = self.registers.get(index)?;
        let group = self.groups.get(reg.group)?;
        let GroupKind::Status { poll_hz } = group.kind else {
            return None;
        };
        Some(match group.max_age_ms {
            Some(ms) => std::time::Duration::from_millis(u64::from(ms)),
            None => std::time::Duration::from_secs_f64(3.0 / poll_hz),
        })
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Encode a momentary command (fault reset, self test): the register's `command_value`,
    /// or 1 / true.
    pub fn encode_command(&self, point: Point) -> Result<WriteRequest, WriteError> {
        let reg = self.point(point).ok_or(WriteError::NoSuchPoint(point))?;
        if !reg.momentary {
            return Err(WriteError::NotMomentary(point));
        }
        let value = if reg.encoding.ty == ValueType::Bool {
            Value::Bool(reg.command_value.is_none_or(|v| v != 0.0))
        } else {
            Value::Number(reg.command_value.unwrap_or(1.0))
        };
        self.encode_write(point, &value)
    }

    /// Encode a write to `point`, refusing read-only points and out-of-range values.
    pub fn encode_write(&self, point: Point, value: &Value) -> Result<WriteRequest, WriteError> {
        let reg = self.point(point).ok_or(WriteError::NoSuchPoint(point))?;
        if !reg.access.writable() || !reg.table.writable() {
            return Err(WriteError::ReadOnly(point));
        }
        encode_register_write(reg, value)
    }

    /// Encode a write to the register at `index` of [`Profile::registers`] (an I/O module's
    /// named points), refusing read-only registers and out-of-range values.
    pub fn encode_write_register(
        &self,
        index: usize,
        value: &Value,
    ) -> Result<WriteRequest, WriteError> {
        let reg = self
            .registers
            .get(index)
            .ok_or(WriteError::NoSuchRegister(index))?;
        if !reg.access.writable() || !reg.table.writable() {
            return Err(WriteError::ReadOnlyRegister(reg.name.clone()));
        }
        encode_register_write(reg, value)
    }
}

/// The wire form of a write of `value` to `reg` (already known to be writable).
fn encode_register_write(reg: &Register, value: &Value) -> Result<WriteRequest, WriteError> {
    let payload = if reg.table.is_bits() {
        match value {
            Value::Bool(b) => WritePayload::Bit(*b),
            _ => {
                return Err(WriteError::Encode(EncodeError::WrongKind {
                    ty: ValueType::Bool,
                }))
            }
        }
    } else if let (ValueType::Bool, Some(bit)) = (reg.encoding.ty, reg.encoding.bit) {
        // One bit of a register shared with other flags: a masked write (function 22)
        // changes only that bit, where writing the whole word would clear its neighbours.
        let Value::Bool(on) = value else {
            return Err(WriteError::Encode(EncodeError::WrongKind {
                ty: ValueType::Bool,
            }));
        };
        let mask = 1u16.checked_shl(u32::from(bit)).unwrap_or(0);
        let swap = |w: u16| {
            if reg.encoding.order.byte_swap() {
                w.swap_bytes()
            } else {
                w
            }
        };
        WritePayload::Mask {
            and_mask: swap(!mask),
            or_mask: swap(if *on { mask } else { 0 }),
        }
    } else {
        WritePayload::Words(codec::encode(&reg.encoding, value).map_err(WriteError::Encode)?)
    };
    Ok(WriteRequest {
        table: reg.table,
        address: reg.address,
        payload,
    })
}

/// One write, ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    pub table: Table,
    pub address: u16,
    pub payload: WritePayload,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritePayload {
    /// A coil.
    Bit(bool),
    /// Holding registers.
    Words(Vec<u16>),
    /// One bit of a holding register: (current AND and_mask) OR (or_mask AND NOT and_mask).
    Mask { and_mask: u16, or_mask: u16 },
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum WriteError {
    #[error("the profile has no register for point {0}")]
    NoSuchPoint(Point),
    #[error("point {0} is read-only")]
    ReadOnly(Point),
    #[error("the profile has no register number {0}")]
    NoSuchRegister(usize),
    #[error("register {0} is read-only")]
    ReadOnlyRegister(String),
    #[error("point {0} is not a momentary command")]
    NotMomentary(Point),
    #[error(transparent)]
    Encode(EncodeError),
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Coil => "coil",
            Table::DiscreteInput => "discrete_input",
            Table::Input => "input",
            Table::Holding => "holding",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct Validator<'a, F: Fn(String, Problem) -> ProfileError> {
    #[allow(dead_code)]
    file: &'a Path,
    err: &'a F,
}

fn in_range(value: f64, min: f64, max: f64) -> Result<(), Problem> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Problem::ProtocolLimit { value, min, max })
    }
}

impl<F: Fn(String, Problem) -> ProfileError> Validator<'_, F> {
    fn e(&self, key: impl Into<String>, problem: Problem) -> ProfileError {
        (self.err)(key.into(), problem)
    }

    fn invalid(&self, key: impl Into<String>, msg: impl Into<String>) -> ProfileError {
        self.e(key, Problem::Invalid(msg.into()))
    }

    fn validate(&self, spec: FileSpec) -> Result<Profile, ProfileError> {
        let limits = self.limits(&spec.limits)?;

        // Groups first, so registers can refer to them by index.
        let group_names: Vec<&String> = spec.groups.keys().collect();
        let mut groups = Vec::new();
        for (name, g) in &spec.groups {
            let key = format!("groups.{name}");
            let kind = match g.kind {
                GroupKindSpec::Status => {
                    let hz = g.poll_hz.ok_or_else(|| {
                        self.invalid(format!("{key}.poll_hz"), "a status group needs poll_hz")
                    })?;
                    in_range(hz, 0.01, limits.max_poll_hz)
                        .map_err(|p| self.e(format!("{key}.poll_hz"), p))?;
                    if g.refresh_ms.is_some() {
                        return Err(self.invalid(
                            format!("{key}.refresh_ms"),
                            "refresh_ms is for setpoint groups",
                        ));
                    }
                    GroupKind::Status { poll_hz: hz }
                }
                GroupKindSpec::Setpoint => {
                    if g.poll_hz.is_some() || g.snapshot || g.update_counter.is_some() {
                        return Err(self.invalid(
                            key,
                            "a setpoint group is written on change: no poll_hz, snapshot or update_counter",
                        ));
                    }
                    if let Some(ms) = g.refresh_ms {
                        in_range(f64::from(ms), 50.0, 3_600_000.0)
                            .map_err(|p| self.e(format!("{key}.refresh_ms"), p))?;
                    }
                    GroupKind::Setpoint {
                        refresh_ms: g.refresh_ms,
                    }
                }
            };
            groups.push(Group {
                name: name.clone(),
                kind,
                snapshot: g.snapshot,
                update_counter: None,
                max_age_ms: g.max_age_ms,
                registers: Vec::new(),
                reads: Vec::new(),
            });
        }

        let mut registers = Vec::new();
        for (name, r) in &spec.registers {
            let group = group_names
                .iter()
                .position(|g| *g == &r.group)
                .ok_or_else(|| {
                    self.e(
                        format!("registers.{name}.group"),
                        Problem::UnknownGroup(r.group.clone()),
                    )
                })?;
            let reg = self.register(name, r, group, &limits)?;
            if let Some(g) = groups.get_mut(group) {
                g.registers.push(registers.len());
            }
            registers.push(reg);
        }

        self.overlaps(&registers)?;
        // Before the generic group checks, so that an I/O point's mistake is told in terms
        // of what the point is.
        self.io_points(spec.device.role, &registers, &groups)?;
        self.group_access(&groups, &registers, &limits)?;
        for (gi, (name, g)) in spec.groups.iter().enumerate() {
            if let Some(counter) = &g.update_counter {
                let key = format!("groups.{name}.update_counter");
                let idx = registers
                    .iter()
                    .position(|r| &r.name == counter)
                    .ok_or_else(|| self.e(&key, Problem::UnknownRegister(counter.clone())))?;
                let reg = &registers[idx];
                if reg.group != gi || reg.encoding.ty.int_bounds().is_none() {
                    return Err(self.invalid(
                        key,
                        "the update counter must be an integer register of the same group",
                    ));
                }
                if let Some(group) = groups.get_mut(gi) {
                    group.update_counter = Some(idx);
                }
            }
        }
        self.plan(&mut groups, &registers, &limits)?;
        let role = spec.device.role;
        self.points(role, &registers, &groups)?;
        let watchdog = match &spec.watchdog {
            Some(w) => Some(self.watchdog(w, &registers)?),
            None => None,
        };
        Ok(Profile {
            file: self.file.to_path_buf(),
            name: spec.device.name,
            vendor: spec.device.vendor,
            model: spec.device.model,
            role,
            limits,
            watchdog,
            groups,
            registers,
        })
    }

    fn limits(&self, l: &LimitsSpec) -> Result<DeviceLimits, ProfileError> {
        let checks = [
            ("max_registers_per_read", l.max_registers_per_read, 125),
            ("max_bits_per_read", l.max_bits_per_read, 2000),
            ("max_registers_per_write", l.max_registers_per_write, 123),
            ("max_bits_per_write", l.max_bits_per_write, 1968),
        ];
        for (key, value, max) in checks {
            in_range(f64::from(value), 1.0, f64::from(max))
                .map_err(|p| self.e(format!("limits.{key}"), p))?;
        }
        in_range(l.max_poll_hz, 0.01, 100.0).map_err(|p| self.e("limits.max_poll_hz", p))?;
        let mut gaps = Vec::new();
        for (i, g) in l.gaps.iter().enumerate() {
            if g.start > g.end {
                return Err(self.invalid(format!("limits.gaps[{i}]"), "start is after end"));
            }
            gaps.push(Gap {
                table: g.table,
                start: g.start,
                end: g.end,
            });
        }
        Ok(DeviceLimits {
            read: ReadLimits {
                max_registers: l.max_registers_per_read,
                max_bits: l.max_bits_per_read,
                gaps,
            },
            max_registers_per_write: l.max_registers_per_write,
            max_bits_per_write: l.max_bits_per_write,
            max_poll_hz: l.max_poll_hz,
        })
    }

    fn register(
        &self,
        name: &str,
        r: &RegisterSpec,
        group: usize,
        limits: &DeviceLimits,
    ) -> Result<Register, ProfileError> {
        let key = |field: &str| format!("registers.{name}.{field}");
        if r.access.writable() && !r.table.writable() {
            return Err(self.e(key("access"), Problem::WriteToReadOnly { table: r.table }));
        }
        let ty = r.ty;
        // Table and type.
        if r.table.is_bits() {
            if ty != ValueType::Bool {
                return Err(self.invalid(key("type"), format!("a {} holds only bool", r.table)));
            }
            if r.bit.is_some() || r.order.is_some() {
                return Err(self.invalid(
                    key("bit"),
                    "bit and order are for bools inside a register, not coils or discrete inputs",
                ));
            }
        } else if ty == ValueType::Bool {
            match r.bit {
                Some(b) if b < 16 => {}
                Some(b) => {
                    return Err(self.e(
                        key("bit"),
                        Problem::ProtocolLimit {
                            value: f64::from(b),
                            min: 0.0,
                            max: 15.0,
                        },
                    ))
                }
                None => {
                    return Err(
                        self.invalid(key("bit"), "a bool in a register table needs bit = 0..15")
                    )
                }
            }
        } else if r.bit.is_some() {
            return Err(self.invalid(key("bit"), "bit is only for type = \"bool\""));
        }
        let order = r.order.unwrap_or_default();
        let words = match (ty, r.length) {
            (ValueType::String, Some(n)) => {
                in_range(f64::from(n), 1.0, f64::from(limits.read.max_registers))
                    .map_err(|p| self.e(key("length"), p))?;
                n
            }
            (ValueType::String, None) => {
                return Err(self.invalid(key("length"), "a string needs length (registers)"))
            }
            (_, Some(_)) => return Err(self.invalid(key("length"), "length is for strings")),
            (ValueType::Bool, None) => u16::from(!r.table.is_bits()),
            (t, None) => t.fixed_words().unwrap_or(1),
        };
        if words <= 1 && order.word_swap() {
            return Err(self.invalid(
                key("order"),
                "a one-register value has no word order (use ABCD or BADC)",
            ));
        }
        if u32::from(r.address) + u32::from(words.max(1)) > 0x1_0000 {
            return Err(self.invalid(key("address"), "runs past address 65535"));
        }
        // Scaling and range only mean something for numbers.
        let numeric = ty != ValueType::Bool && ty != ValueType::String;
        if !numeric
            && (r.scale.is_some()
                || r.offset.is_some()
                || r.range.is_some()
                || !r.sentinels.is_empty())
        {
            return Err(self.invalid(
                key("type"),
                "scale, offset, range and sentinels are for numeric types",
            ));
        }
        let scale = r.scale.unwrap_or(1.0);
        if !scale.is_finite() || scale == 0.0 {
            return Err(self.invalid(key("scale"), "must be finite and not zero"));
        }
        let offset = r.offset.unwrap_or(0.0);
        if !offset.is_finite() {
            return Err(self.invalid(key("offset"), "must be finite"));
        }
        let range = match r.range {
            Some([lo, hi]) if lo.is_finite() && hi.is_finite() && lo <= hi => Some((lo, hi)),
            Some(_) => return Err(self.invalid(key("range"), "must be [min, max], finite")),
            None => None,
        };
        // Enum and bit names: integer registers only.
        let is_int = ty.int_bounds().is_some();
        let mut enum_names = BTreeMap::new();
        for (k, v) in &r.enum_names {
            let raw: i128 = k.trim().parse().map_err(|_| {
                self.invalid(
                    format!("registers.{name}.enum.{k}"),
                    "keys are raw integers",
                )
            })?;
            enum_names.insert(raw, v.clone());
        }
        let mut bit_names = BTreeMap::new();
        let width = u32::from(words) * 16;
        for (k, v) in &r.bits {
            let bit: u8 = k
                .trim()
                .parse()
                .ok()
                .filter(|b: &u8| u32::from(*b) < width)
                .ok_or_else(|| {
                    self.invalid(
                        format!("registers.{name}.bits.{k}"),
                        format!("keys are bit numbers 0..{}", width.saturating_sub(1)),
                    )
                })?;
            bit_names.insert(bit, v.clone());
        }
        if (!enum_names.is_empty() || !bit_names.is_empty())
            && (!is_int || scale != 1.0 || offset != 0.0)
        {
            return Err(self.invalid(
                key("type"),
                "enum and bits need an integer type without scale or offset",
            ));
        }
        if !enum_names.is_empty() && !bit_names.is_empty() {
            return Err(self.invalid(key("bits"), "a register has enum or bits, not both"));
        }
        let sentinels: Vec<i128> = r.sentinels.iter().map(|s| i128::from(*s)).collect();
        if let Some((lo, hi)) = ty.int_bounds() {
            if let Some(s) = sentinels.iter().find(|s| !(lo..=hi).contains(*s)) {
                return Err(self.invalid(key("sentinels"), format!("{s} does not fit {ty:?}")));
            }
        }
        if r.momentary && !r.access.writable() {
            return Err(self.e(
                key("momentary"),
                Problem::NotWritable {
                    register: name.to_string(),
                },
            ));
        }
        if r.command_value.is_some() && !r.momentary {
            return Err(self.invalid(key("command_value"), "only for momentary registers"));
        }
        Ok(Register {
            name: name.to_string(),
            table: r.table,
            address: r.address,
            encoding: Encoding {
                ty,
                order,
                scale,
                offset,
                range,
                sentinels,
                enum_values: enum_names.keys().copied().collect(),
                bit: r.bit,
                string_words: if ty == ValueType::String { words } else { 0 },
            },
            unit: r.unit,
            access: r.access,
            group,
            point: r.point,
            io: r.io,
            momentary: r.momentary,
            command_value: r.command_value,
            enum_names,
            bit_names,
        })
    }

    /// No two registers share an address, except bools on distinct bits of one register.
    fn overlaps(&self, registers: &[Register]) -> Result<(), ProfileError> {
        let mut order: Vec<usize> = (0..registers.len()).collect();
        order.sort_by_key(|&i| (registers[i].table, registers[i].address));
        for (n, &i) in order.iter().enumerate() {
            let a = &registers[i];
            for &j in &order[n + 1..] {
                let b = &registers[j];
                if b.table != a.table || u32::from(b.address) >= a.span().end() {
                    break;
                }
                let distinct_bits = matches!((a.encoding.bit, b.encoding.bit),
                    (Some(x), Some(y)) if x != y && a.address == b.address);
                if !distinct_bits {
                    return Err(self.e(
                        format!("registers.{}.address", b.name),
                        Problem::Overlap {
                            other: a.name.clone(),
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    fn group_access(
        &self,
        groups: &[Group],
        registers: &[Register],
        limits: &DeviceLimits,
    ) -> Result<(), ProfileError> {
        for g in groups {
            for &ri in &g.registers {
                let r = &registers[ri];
                let key = format!("registers.{}.group", r.name);
                match g.kind {
                    GroupKind::Status { .. } if !r.access.readable() => {
                        return Err(self.e(
                            key,
                            Problem::NotReadable {
                                register: r.name.clone(),
                            },
                        ))
                    }
                    GroupKind::Setpoint { .. } if !r.access.writable() => {
                        return Err(self.e(
                            key,
                            Problem::NotWritable {
                                register: r.name.clone(),
                            },
                        ))
                    }
                    GroupKind::Status { .. } if r.momentary => return Err(self.invalid(
                        key,
                        "a momentary command is written, never polled: put it in a setpoint group",
                    )),
                    _ => {}
                }
                let per_write = if r.table.is_bits() {
                    1
                } else {
                    r.encoding.words()
                };
                // Setpoints are written in one request each.
                let max = if r.table.is_bits() {
                    limits.max_bits_per_write
                } else {
                    limits.max_registers_per_write
                };
                if per_write > max {
                    return Err(self.e(
                        format!("registers.{}.length", r.name),
                        Problem::ProtocolLimit {
                            value: f64::from(per_write),
                            min: 1.0,
                            max: f64::from(max),
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    fn plan(
        &self,
        groups: &mut [Group],
        registers: &[Register],
        limits: &DeviceLimits,
    ) -> Result<(), ProfileError> {
        for g in groups.iter_mut() {
            if !matches!(g.kind, GroupKind::Status { .. }) {
                continue;
            }
            let spans: Vec<Span> = g.registers.iter().map(|&i| registers[i].span()).collect();
            let reads = plan_reads(&spans, &limits.read).map_err(|e| {
                let index = match &e {
                    PlanError::TooLarge { index, .. }
                    | PlanError::InGap { index, .. }
                    | PlanError::PastEnd { index }
                    | PlanError::Empty { index } => *index,
                };
                let name = g
                    .registers
                    .get(index)
                    .and_then(|&i| registers.get(i))
                    .map(|r| r.name.as_str())
                    .unwrap_or("?");
                self.e(format!("registers.{name}.address"), Problem::Plan(e))
            })?;
            if g.snapshot && reads.len() > 1 {
                return Err(self.e(
                    format!("groups.{}.snapshot", g.name),
                    Problem::SnapshotSplit {
                        requests: reads.len(),
                    },
                ));
            }
            g.reads = reads;
        }
        Ok(())
    }

    fn points(
        &self,
        role: Role,
        registers: &[Register],
        groups: &[Group],
    ) -> Result<(), ProfileError> {
        let mut provided: BTreeMap<Point, &str> = BTreeMap::new();
        for r in registers {
            let Some(point) = r.point else { continue };
            let key = format!("registers.{}.point", r.name);
            let spec = role
                .spec(point)
                .ok_or_else(|| self.e(&key, Problem::ForeignPoint { role, point }))?;
            if let Some(other) = provided.insert(point, &r.name) {
                return Err(self.e(
                    key,
                    Problem::DuplicatePoint {
                        point,
                        other: other.to_string(),
                    },
                ));
            }
            let access_ok = match spec.need {
                Need::Read => r.access.readable(),
                Need::Write => r.access.writable(),
                Need::Momentary => r.momentary,
            };
            if !access_ok {
                let problem = match spec.need {
                    Need::Read => Problem::NotReadable {
                        register: r.name.clone(),
                    },
                    Need::Write => Problem::NotWritable {
                        register: r.name.clone(),
                    },
                    Need::Momentary => Problem::Invalid(format!(
                        "point {point} is a momentary command: set momentary = true"
                    )),
                };
                let field = if spec.need == Need::Momentary {
                    "momentary"
                } else {
                    "access"
                };
                return Err(self.e(format!("registers.{}.{field}", r.name), problem));
            }
            // A point the station reads must be polled, or it never has a value.
            let polled = groups
                .get(r.group)
                .is_some_and(|g| matches!(g.kind, GroupKind::Status { .. }));
            if spec.need == Need::Read && !polled {
                return Err(self.invalid(
                    format!("registers.{}.group", r.name),
                    format!("point {point} is read by the station: put it in a status group"),
                ));
            }
            if !spec.quantity.accepts(r.unit) {
                return Err(self.e(
                    format!("registers.{}.unit", r.name),
                    Problem::WrongUnit {
                        unit: r
                            .unit
                            .map(|u| format!("{u:?}"))
                            .unwrap_or_else(|| "(none)".into()),
                        point,
                    },
                ));
            }
        }
        let seen: BTreeSet<Point> = provided.keys().copied().collect();
        if let Some(missing) = role
            .points()
            .iter()
            .find(|s| s.required && !seen.contains(&s.point))
        {
            return Err(self.e(
                "registers",
                Problem::MissingPoint {
                    role,
                    point: missing.point,
                },
            ));
        }
        Ok(())
    }

    /// The `io` keys: only an I/O module has them, it has at least one, and each fits its
    /// register — an input is read and polled, an output is written on change to a table that
    /// can be written, an analog input is a number in volts or amperes.
    fn io_points(
        &self,
        role: Role,
        registers: &[Register],
        groups: &[Group],
    ) -> Result<(), ProfileError> {
        if role != Role::IoModule {
            if let Some(r) = registers.iter().find(|r| r.io.is_some()) {
                return Err(self.invalid(
                    format!("registers.{}.io", r.name),
                    format!("io is for role io_module; this profile is role {role}"),
                ));
            }
            return Ok(());
        }
        if !registers.iter().any(|r| r.io.is_some()) {
            return Err(self.invalid(
                "registers",
                "an io_module profile names its I/O points: mark at least one register with \
                 io = \"digital_input\", \"digital_output\" or \"analog_input\"",
            ));
        }
        for r in registers {
            let Some(kind) = r.io else { continue };
            let key = |field: &str| format!("registers.{}.{field}", r.name);
            let polled = groups
                .get(r.group)
                .is_some_and(|g| matches!(g.kind, GroupKind::Status { .. }));
            let is_bool = r.encoding.ty == ValueType::Bool;
            match kind {
                IoKind::DigitalInput => {
                    if r.table == Table::Coil {
                        return Err(self.invalid(
                            key("table"),
                            "a digital_input is a discrete_input or one bit of an input or \
                             holding register; a coil is an output (io = \"digital_output\")",
                        ));
                    }
                    if !is_bool {
                        return Err(self.invalid(
                            key("type"),
                            "a digital_input in a register is one bit: type = \"bool\" and \
                             bit = 0..15",
                        ));
                    }
                }
                IoKind::DigitalOutput => {
                    if !r.table.writable() {
                        return Err(self.invalid(
                            key("table"),
                            format!(
                                "a digital_output is driven by the station: a coil, or one bit \
                                 of a holding register; {} is read-only",
                                r.table
                            ),
                        ));
                    }
                    if !is_bool {
                        return Err(self.invalid(
                            key("type"),
                            "a digital_output in a holding register is one bit: type = \
                             \"bool\" and bit = 0..15",
                        ));
                    }
                    if !r.access.writable() {
                        return Err(self.e(
                            key("access"),
                            Problem::NotWritable {
                                register: r.name.clone(),
                            },
                        ));
                    }
                    if r.momentary {
                        return Err(self.invalid(
                            key("momentary"),
                            "a digital_output holds its level: it is not a momentary command",
                        ));
                    }
                    if polled {
                        return Err(self.invalid(
                            key("group"),
                            "a digital_output is written on change: put it in a setpoint group",
                        ));
                    }
                }
                IoKind::AnalogInput => {
                    if r.table.is_bits() {
                        return Err(self.invalid(
                            key("table"),
                            format!(
                                "an analog_input is an input or holding register, not a {}",
                                r.table
                            ),
                        ));
                    }
                    if is_bool || r.encoding.ty == ValueType::String {
                        return Err(self.invalid(
                            key("type"),
                            "an analog_input is a number (u16, i16, f32, ...)",
                        ));
                    }
                    if !matches!(r.unit, Some(Unit::Volt | Unit::Ampere)) {
                        return Err(self.invalid(
                            key("unit"),
                            "an analog_input is scaled to volts (unit = \"V\") or, for a \
                             current loop, amperes (unit = \"A\")",
                        ));
                    }
                }
            }
            if kind != IoKind::DigitalOutput {
                if !r.access.readable() {
                    return Err(self.e(
                        key("access"),
                        Problem::NotReadable {
                            register: r.name.clone(),
                        },
                    ));
                }
                if !polled {
                    return Err(self.invalid(
                        key("group"),
                        format!(
                            "{kind} {} is read by the station: put it in a status group",
                            r.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn watchdog(&self, w: &WatchdogSpec, registers: &[Register]) -> Result<Watchdog, ProfileError> {
        let idx = registers
            .iter()
            .position(|r| r.name == w.register)
            .ok_or_else(|| {
                self.e(
                    "watchdog.register",
                    Problem::UnknownRegister(w.register.clone()),
                )
            })?;
        let reg = &registers[idx];
        if !reg.access.writable() {
            return Err(self.e(
                "watchdog.register",
                Problem::NotWritable {
                    register: reg.name.clone(),
                },
            ));
        }
        in_range(f64::from(w.period_ms), 50.0, 60_000.0)
            .map_err(|p| self.e("watchdog.period_ms", p))?;
        if let Some(t) = w.device_timeout_ms {
            // The keep-alive must arrive at least twice within the device's timeout.
            if u64::from(w.period_ms) * 2 > u64::from(t) {
                return Err(self.invalid(
                    "watchdog.period_ms",
                    format!("must be at most half of device_timeout_ms ({t})"),
                ));
            }
        }
        if w.mode == WatchdogMode::Counter && reg.encoding.ty.int_bounds().is_none() {
            return Err(self.invalid("watchdog.mode", "a counter needs an integer register"));
        }
        Ok(Watchdog {
            register: idx,
            period_ms: w.period_ms,
            mode: w.mode,
            value: w.value,
            device_timeout_ms: w.device_timeout_ms,
        })
    }
}

#[cfg(test)]
mod tests;
