//! CAN device profiles: a power module's CAN protocol as data, so the power-module role runs
//! over CAN as over Modbus, and a new vendor's CAN module is a new file, not new code.
//!
//! A CAN profile (`[device] transport = "can"`) says how the 29-bit (or 11-bit) identifier is
//! cut into fields (command number, destination and source address, …), which messages the
//! controller sends and the module answers, where each value lies in the 8 data bytes (start
//! byte, length, endianness, signedness, scale, offset, unit) and which role point it is, how
//! often commands are repeated and requests polled, and how old an answer may get. Loading
//! checks all of it and the role's points, and reports a [`ProfileError`] naming the file and
//! the TOML key, like a Modbus profile. The README ("CAN power-module profiles") documents the
//! format with the shipped `power-module-infy-can.toml` as worked example.
//!
//! Encoding and decoding frames ([`CanProfile::encode`], [`CanProfile::match_id`],
//! [`CanProfile::decode`]) are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::CanFrame;
use serde::Deserialize;
use thiserror::Error;

use super::roles::{Need, Point, Role};
use super::{DecodeError, EncodeError, Problem, ProfileError, Unit, Value};

/// Which transport a profile file describes, from its `[device] transport` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Modbus,
    Can,
}

/// The transport a profile text declares (`[device] transport`, default Modbus), without
/// validating anything else: so that a directory of profiles can be split by transport.
pub fn transport_of(text: &str) -> Transport {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Transport::Modbus;
    };
    match table
        .get("device")
        .and_then(|d| d.get("transport"))
        .and_then(|t| t.as_str())
    {
        Some("can") => Transport::Can,
        _ => Transport::Modbus,
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    device: DeviceSpec,
    can: CanSpec,
    messages: BTreeMap<String, MessageSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceSpec {
    name: String,
    vendor: Option<String>,
    model: Option<String>,
    role: Role,
    transport: Transport,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CanSpec {
    bitrate: u32,
    #[serde(default = "yes")]
    extended_id: bool,
    controller_address: u32,
    /// `[first, last]` module addresses the module's address switch can take.
    addresses: [u32; 2],
    /// The module drops its output when no frame came from the controller for this long.
    device_timeout_ms: Option<u32>,
    /// The module answers a poll within this; a poll unanswered by then is missed.
    reply_timeout_ms: u32,
    id: BTreeMap<String, IdFieldSpec>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdFieldSpec {
    lsb: u8,
    bits: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum IdValueSpec {
    Const(u32),
    Placeholder(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindSpec {
    Command,
    Request,
    Reply,
    Momentary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageSpec {
    kind: KindSpec,
    id: BTreeMap<String, IdValueSpec>,
    length: u8,
    #[serde(default)]
    data: Vec<u8>,
    period_ms: Option<u32>,
    reply: Option<String>,
    max_age_ms: Option<u32>,
    point: Option<Point>,
    #[serde(default)]
    fields: BTreeMap<String, FieldSpec>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    #[default]
    Unsigned,
    Signed,
    Float,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endian {
    /// Most significant byte first (the usual CAN module layout).
    #[default]
    Big,
    Little,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    byte: u8,
    length: Option<u8>,
    #[serde(rename = "type", default)]
    ty: FieldType,
    #[serde(default)]
    endian: Endian,
    bit: Option<u8>,
    #[serde(default)]
    invert: bool,
    scale: Option<f64>,
    offset: Option<f64>,
    unit: Option<Unit>,
    range: Option<[f64; 2]>,
    #[serde(default)]
    sentinels: Vec<i64>,
    #[serde(default, rename = "enum")]
    enum_names: BTreeMap<String, String>,
    #[serde(default)]
    bits: BTreeMap<String, String>,
    #[serde(default)]
    flags: BTreeMap<String, String>,
    point: Option<Point>,
    #[allow(dead_code)]
    description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The validated profile.

/// A CAN device profile that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct CanProfile {
    pub file: PathBuf,
    pub name: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub role: Role,
    pub bitrate: u32,
    pub extended_id: bool,
    pub controller_address: u32,
    /// Module addresses the profile allows, inclusive.
    pub addresses: (u32, u32),
    pub device_timeout: Option<Duration>,
    /// The module's reply deadline: a poll unanswered within it is a missed reply.
    pub reply_timeout: Duration,
    /// The identifier's fields, in the file's order (by name).
    pub id_fields: Vec<IdField>,
    pub messages: Vec<Message>,
}

/// A named run of bits of the identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdField {
    pub name: String,
    pub lsb: u8,
    pub bits: u8,
}

impl IdField {
    fn mask(&self) -> u32 {
        let ones = 1u32
            .checked_shl(u32::from(self.bits))
            .unwrap_or(0)
            .wrapping_sub(1);
        ones.checked_shl(u32::from(self.lsb)).unwrap_or(0)
    }
    fn put(&self, value: u32) -> u32 {
        value.checked_shl(u32::from(self.lsb)).unwrap_or(0) & self.mask()
    }
    fn get(&self, id: u32) -> u32 {
        (id & self.mask())
            .checked_shr(u32::from(self.lsb))
            .unwrap_or(0)
    }
    fn max(&self) -> u32 {
        1u32.checked_shl(u32::from(self.bits))
            .map(|v| v - 1)
            .unwrap_or(u32::MAX)
    }
}

/// What one identifier field holds in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdValue {
    Const(u32),
    /// The module's address (its switch setting).
    Module,
    /// The controller's address, `[can] controller_address`.
    Controller,
    /// The module's group number, where modules are addressed by group.
    Group,
}

/// Who sends a message and what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Controller → module, carrying written points; sent when a value changes and every
    /// `period` even when unchanged (modules drop their output without it).
    Command { period: Duration },
    /// Controller → module, a poll every `period`, answered by message `reply`.
    Request { period: Duration, reply: usize },
    /// Module → controller, carrying read points; older than `max_age` it is stale.
    Reply { max_age: Duration },
    /// Controller → module, sent once when the station asks for `point` (fault reset).
    Momentary { point: Point },
}

impl MessageKind {
    /// Sent by the controller (the station), as opposed to by the module.
    pub fn from_controller(&self) -> bool {
        !matches!(self, MessageKind::Reply { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub name: String,
    pub kind: MessageKind,
    /// One value per [`CanProfile::id_fields`] entry.
    pub id: Vec<IdValue>,
    /// Data length (DLC); a reply shorter than this is rejected.
    pub length: u8,
    /// The bytes before any field is written (zero unless the profile says `data`).
    pub data: [u8; 8],
    pub fields: Vec<Field>,
}

/// One value in a message's data bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    /// First byte (0-based).
    pub byte: u8,
    /// Bytes taken (1 for a bool).
    pub length: u8,
    pub ty: FieldType,
    pub endian: Endian,
    /// For a bool: which bit of `byte` (0 = least significant), and whether 1 means false.
    pub bit: u8,
    pub invert: bool,
    /// engineering = raw × scale + offset.
    pub scale: f64,
    pub offset: f64,
    pub unit: Option<Unit>,
    pub range: Option<(f64, f64)>,
    pub sentinels: Vec<i128>,
    pub enum_names: BTreeMap<i128, String>,
    /// Fault bits: an active one is a module fault.
    pub bit_names: BTreeMap<u8, String>,
    /// State bits that are not faults (power limiting, sleeping).
    pub flag_names: BTreeMap<u8, String>,
    pub point: Option<Point>,
}

impl Field {
    /// The bits of the 64-bit frame this field occupies (bit 8·byte + b).
    fn footprint(&self) -> u64 {
        if self.ty == FieldType::Bool {
            1u64 << (u32::from(self.byte) * 8 + u32::from(self.bit))
        } else {
            let ones = 1u64
                .checked_shl(u32::from(self.length) * 8)
                .map(|v| v - 1)
                .unwrap_or(u64::MAX);
            ones.checked_shl(u32::from(self.byte) * 8).unwrap_or(0)
        }
    }

    /// Names of the fault bits set in a raw bit-field value.
    pub fn active_faults(&self, raw: u64) -> Vec<&str> {
        active(&self.bit_names, raw)
    }

    /// Names of the state flags set in a raw bit-field value.
    pub fn active_flags(&self, raw: u64) -> Vec<&str> {
        active(&self.flag_names, raw)
    }

    fn bytes(&self) -> std::ops::Range<usize> {
        usize::from(self.byte)..usize::from(self.byte) + usize::from(self.length)
    }
}

fn active(names: &BTreeMap<u8, String>, raw: u64) -> Vec<&str> {
    names
        .iter()
        .filter(|(bit, _)| raw.checked_shr(u32::from(**bit)).unwrap_or(0) & 1 == 1)
        .map(|(_, n)| n.as_str())
        .collect()
}

/// A decoded field: its engineering value, or why the module's bytes are not one.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub field: usize,
    pub value: Result<Value, DecodeError>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CanEncodeError {
    #[error("field {field}: {source}")]
    Field {
        field: String,
        #[source]
        source: EncodeError,
    },
    #[error("address {0} does not fit the identifier")]
    Address(u32),
    #[error("{0}")]
    Frame(String),
}

// ---------------------------------------------------------------------------------------------
// Raw byte codec (pure).

/// The raw integer of `bytes` as laid out.
fn raw_int(bytes: &[u8], endian: Endian, signed: bool) -> i128 {
    let mut v: u128 = 0;
    let ordered: Vec<u8> = match endian {
        Endian::Big => bytes.to_vec(),
        Endian::Little => bytes.iter().rev().copied().collect(),
    };
    for b in &ordered {
        v = (v << 8) | u128::from(*b);
    }
    let bits = bytes.len() * 8;
    if signed && bits > 0 && bits < 128 && (v >> (bits - 1)) & 1 == 1 {
        // Sign-extend.
        (v as i128) - (1i128 << bits)
    } else {
        v as i128
    }
}

/// Lay `raw` (already checked to fit) into `len` bytes.
fn int_bytes(raw: i128, len: usize, endian: Endian) -> Vec<u8> {
    let be: Vec<u8> = (0..len)
        .rev()
        .map(|i| ((raw >> (8 * i)) & 0xFF) as u8)
        .collect();
    match endian {
        Endian::Big => be,
        Endian::Little => be.into_iter().rev().collect(),
    }
}

fn int_bounds(len: u8, signed: bool) -> (i128, i128) {
    let bits = u32::from(len) * 8;
    if signed {
        let half = 1i128 << (bits - 1);
        (-half, half - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Decode one field from a frame's data (which must cover it).
pub fn decode_field(f: &Field, data: &[u8]) -> Result<Value, DecodeError> {
    let Some(bytes) = data.get(f.bytes()) else {
        return Err(DecodeError::WrongLength {
            expected: usize::from(f.byte) + usize::from(f.length),
            got: data.len(),
        });
    };
    match f.ty {
        FieldType::Bool => {
            let set = bytes.first().is_some_and(|b| (b >> f.bit) & 1 == 1);
            Ok(Value::Bool(set != f.invert))
        }
        FieldType::Float => {
            let mut be = bytes.to_vec();
            if f.endian == Endian::Little {
                be.reverse();
            }
            let v = match be.as_slice() {
                [a, b, c, d] => f64::from(f32::from_be_bytes([*a, *b, *c, *d])),
                [a, b, c, d, e, g, h, i] => f64::from_be_bytes([*a, *b, *c, *d, *e, *g, *h, *i]),
                _ => return Err(DecodeError::Unsupported(super::ValueType::F32)),
            };
            if v.fract() == 0.0 && f.sentinels.iter().any(|s| *s as f64 == v) {
                return Err(DecodeError::SensorFault { raw: v as i128 });
            }
            if !v.is_finite() {
                return Err(DecodeError::NotFinite);
            }
            scaled(f, v)
        }
        FieldType::Unsigned | FieldType::Signed => {
            let raw = raw_int(bytes, f.endian, f.ty == FieldType::Signed);
            if f.sentinels.contains(&raw) {
                return Err(DecodeError::SensorFault { raw });
            }
            if !f.enum_names.is_empty() && !f.enum_names.contains_key(&raw) {
                return Err(DecodeError::UnknownEnum { raw });
            }
            scaled(f, raw as f64)
        }
    }
}

fn scaled(f: &Field, raw: f64) -> Result<Value, DecodeError> {
    let value = raw * f.scale + f.offset;
    if let Some((min, max)) = f.range {
        if !(min..=max).contains(&value) {
            return Err(DecodeError::OutOfRange { value, min, max });
        }
    }
    Ok(Value::Number(value))
}

/// Write one field's value into `data` (8 bytes).
pub fn encode_field(f: &Field, value: &Value, data: &mut [u8; 8]) -> Result<(), EncodeError> {
    let range = f.bytes();
    match (f.ty, value) {
        (FieldType::Bool, Value::Bool(b)) => {
            let set = *b != f.invert;
            let byte = data
                .get_mut(usize::from(f.byte))
                .ok_or(EncodeError::WrongKind {
                    ty: super::ValueType::Bool,
                })?;
            if set {
                *byte |= 1 << f.bit;
            } else {
                *byte &= !(1 << f.bit);
            }
            Ok(())
        }
        (FieldType::Bool, _) => Err(EncodeError::WrongKind {
            ty: super::ValueType::Bool,
        }),
        (_, Value::Number(v)) => {
            if !v.is_finite() {
                return Err(EncodeError::NotFinite);
            }
            if let Some((min, max)) = f.range {
                if !(min..=max).contains(v) {
                    return Err(EncodeError::OutOfRange {
                        value: *v,
                        min,
                        max,
                    });
                }
            }
            let raw = (*v - f.offset) / f.scale;
            let bytes = if f.ty == FieldType::Float {
                let be = if f.length == 4 {
                    (raw as f32).to_be_bytes().to_vec()
                } else {
                    raw.to_be_bytes().to_vec()
                };
                match f.endian {
                    Endian::Big => be,
                    Endian::Little => be.into_iter().rev().collect(),
                }
            } else {
                let rounded = raw.round();
                let (lo, hi) = int_bounds(f.length, f.ty == FieldType::Signed);
                if !rounded.is_finite() || rounded < lo as f64 || rounded > hi as f64 {
                    return Err(EncodeError::Overflow {
                        value: *v,
                        ty: if f.ty == FieldType::Signed {
                            super::ValueType::I64
                        } else {
                            super::ValueType::U64
                        },
                    });
                }
                int_bytes(
                    (rounded as i128).clamp(lo, hi),
                    usize::from(f.length),
                    f.endian,
                )
            };
            if let Some(dst) = data.get_mut(range) {
                dst.copy_from_slice(&bytes);
            }
            Ok(())
        }
        (_, _) => Err(EncodeError::WrongKind {
            ty: super::ValueType::F64,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Frames.

/// Who a frame is for or from: the placeholders of an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Addressing {
    pub module: u32,
    pub group: u32,
}

impl CanProfile {
    /// Read and validate a CAN profile file.
    pub fn load(path: &Path) -> Result<CanProfile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: path.to_path_buf(),
            key: String::new(),
            problem: Problem::Io(e.to_string()),
        })?;
        CanProfile::parse(&text, path)
    }

    /// Parse and validate profile text; `file` only names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<CanProfile, ProfileError> {
        let err = |key: String, problem: Problem| ProfileError {
            file: file.to_path_buf(),
            key,
            problem,
        };
        let de = toml::de::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map(|s| super::line_of(text, s.start)).unwrap_or(0);
            err(
                String::new(),
                Problem::Syntax(format!("line {line}: {}", e.message())),
            )
        })?;
        let spec: FileSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let line = inner
                .span()
                .map(|s| super::line_of(text, s.start))
                .unwrap_or(0);
            err(
                key,
                Problem::Syntax(format!("line {line}: {}", inner.message())),
            )
        })?;
        Validator { file, err: &err }.validate(spec)
    }

    pub fn message(&self, name: &str) -> Option<(usize, &Message)> {
        self.messages
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
    }

    /// The field providing `point`, with its message index.
    pub fn point(&self, point: Point) -> Option<(usize, &Field)> {
        self.messages.iter().enumerate().find_map(|(i, m)| {
            m.fields
                .iter()
                .find(|f| f.point == Some(point))
                .map(|f| (i, f))
        })
    }

    /// The identifier of message `msg` for `to` (or from it, for a reply).
    pub fn id(&self, msg: &Message, to: Addressing) -> Result<u32, CanEncodeError> {
        let mut id = 0u32;
        for (field, value) in self.id_fields.iter().zip(&msg.id) {
            let v = match value {
                IdValue::Const(c) => *c,
                IdValue::Module => to.module,
                IdValue::Controller => self.controller_address,
                IdValue::Group => to.group,
            };
            if v > field.max() {
                return Err(CanEncodeError::Address(v));
            }
            id |= field.put(v);
        }
        Ok(id)
    }

    /// Build message `msg`'s frame for module `to`, with `values` for its point fields
    /// (in each field's unit). A point field without a value is an error: a command is
    /// either whole or not sent.
    pub fn encode(
        &self,
        msg: &Message,
        to: Addressing,
        values: &dyn Fn(Point) -> Option<Value>,
    ) -> Result<CanFrame, CanEncodeError> {
        let id = self.id(msg, to)?;
        let mut data = msg.data;
        // Numeric fields first, then bools, so a bool inside a status word wins.
        let mut order: Vec<&Field> = msg.fields.iter().collect();
        order.sort_by_key(|f| f.ty == FieldType::Bool);
        for f in order {
            let Some(point) = f.point else { continue };
            let value = values(point).ok_or_else(|| CanEncodeError::Field {
                field: f.name.clone(),
                source: EncodeError::WrongKind {
                    ty: super::ValueType::F64,
                },
            })?;
            encode_field(f, &value, &mut data).map_err(|source| CanEncodeError::Field {
                field: f.name.clone(),
                source,
            })?;
        }
        let len = usize::from(msg.length);
        CanFrame::new(id, self.extended_id, &data[..len])
            .map_err(|e| CanEncodeError::Frame(e.to_string()))
    }

    /// Which message of the given direction `id` is, and for/from which module.
    /// `from_controller` selects controller → module messages (what a module receives);
    /// otherwise replies (what the controller receives). The first match in file order.
    pub fn match_id(
        &self,
        id: u32,
        extended: bool,
        from_controller: bool,
    ) -> impl Iterator<Item = (usize, Addressing)> + '_ {
        self.messages
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.kind.from_controller() == from_controller)
            .filter(move |_| extended == self.extended_id)
            .filter_map(move |(i, m)| self.match_message(m, id).map(|a| (i, a)))
    }

    fn match_message(&self, msg: &Message, id: u32) -> Option<Addressing> {
        let mut a = Addressing::default();
        let mut module_seen = false;
        for (field, value) in self.id_fields.iter().zip(&msg.id) {
            let got = field.get(id);
            match value {
                IdValue::Const(c) if got != *c => return None,
                IdValue::Controller if got != self.controller_address => return None,
                IdValue::Module => {
                    a.module = got;
                    module_seen = true;
                }
                IdValue::Group => a.group = got,
                _ => {}
            }
        }
        // Bits outside every field must be zero.
        let covered: u32 = self
            .id_fields
            .iter()
            .map(IdField::mask)
            .fold(0, |a, m| a | m);
        if id & !covered != 0 || !module_seen {
            return None;
        }
        Some(a)
    }

    /// Decode every point field of message `msg` from a received frame's data. A frame shorter
    /// than the message's length is not the message.
    pub fn decode(&self, msg: &Message, data: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
        if data.len() < usize::from(msg.length) {
            return Err(DecodeError::WrongLength {
                expected: usize::from(msg.length),
                got: data.len(),
            });
        }
        Ok(msg
            .fields
            .iter()
            .enumerate()
            .map(|(field, f)| Decoded {
                field,
                value: decode_field(f, data),
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct Validator<'a, F: Fn(String, Problem) -> ProfileError> {
    file: &'a Path,
    err: &'a F,
}

impl<F: Fn(String, Problem) -> ProfileError> Validator<'_, F> {
    fn e(&self, key: impl Into<String>, problem: Problem) -> ProfileError {
        (self.err)(key.into(), problem)
    }

    fn invalid(&self, key: impl Into<String>, msg: impl Into<String>) -> ProfileError {
        self.e(key, Problem::Invalid(msg.into()))
    }

    fn limit(&self, key: impl Into<String>, value: f64, min: f64, max: f64) -> ProfileError {
        self.e(key, Problem::ProtocolLimit { value, min, max })
    }

    fn validate(&self, spec: FileSpec) -> Result<CanProfile, ProfileError> {
        if spec.device.transport != Transport::Can {
            return Err(self.invalid("device.transport", "a CAN profile says transport = \"can\""));
        }
        let c = &spec.can;
        if !(10_000..=1_000_000).contains(&c.bitrate) {
            return Err(self.limit("can.bitrate", f64::from(c.bitrate), 10_000.0, 1_000_000.0));
        }
        let id_bits: u8 = if c.extended_id { 29 } else { 11 };
        let mut id_fields = Vec::new();
        let mut used = 0u32;
        for (name, f) in &c.id {
            let key = format!("can.id.{name}");
            if f.bits == 0 || u16::from(f.lsb) + u16::from(f.bits) > u16::from(id_bits) {
                return Err(self.invalid(
                    key,
                    format!("lsb + bits must stay within the {id_bits}-bit identifier"),
                ));
            }
            let field = IdField {
                name: name.clone(),
                lsb: f.lsb,
                bits: f.bits,
            };
            if used & field.mask() != 0 {
                return Err(self.invalid(key, "overlaps another identifier field"));
            }
            used |= field.mask();
            id_fields.push(field);
        }
        if id_fields.is_empty() {
            return Err(self.invalid("can.id", "the identifier needs at least one field"));
        }
        let [first, last] = c.addresses;
        if first > last {
            return Err(self.invalid("can.addresses", "[first, last] with first <= last"));
        }
        let device_timeout = match c.device_timeout_ms {
            Some(0) => return Err(self.invalid("can.device_timeout_ms", "must be positive")),
            Some(ms) => Some(Duration::from_millis(u64::from(ms))),
            None => None,
        };

        if !(1..=10_000).contains(&c.reply_timeout_ms) {
            return Err(self.limit(
                "can.reply_timeout_ms",
                f64::from(c.reply_timeout_ms),
                1.0,
                10_000.0,
            ));
        }
        let reply_timeout = Duration::from_millis(u64::from(c.reply_timeout_ms));
        let names: Vec<&String> = spec.messages.keys().collect();
        let mut messages = Vec::new();
        for (name, m) in &spec.messages {
            messages.push(self.message(name, m, &names, &spec.messages, &id_fields, c)?);
        }
        for (i, m) in messages.iter().enumerate() {
            if m.kind.from_controller() {
                if let (MessageKind::Command { period }, Some(t)) = (m.kind, device_timeout) {
                    // The module must hear from us at least twice within its own timeout.
                    if period * 2 > t {
                        return Err(self.invalid(
                            format!("messages.{}.period_ms", m.name),
                            format!(
                                "must be at most half of can.device_timeout_ms ({})",
                                t.as_millis()
                            ),
                        ));
                    }
                }
                if let MessageKind::Request { period, reply } = m.kind {
                    if reply_timeout >= period {
                        return Err(self.invalid(
                            format!("messages.{}.period_ms", m.name),
                            "must be longer than can.reply_timeout_ms: one poll at a time",
                        ));
                    }
                    // A healthy module must never look stale between two answered polls.
                    if let Some(MessageKind::Reply { max_age }) =
                        messages.get(reply).map(|r| r.kind)
                    {
                        if max_age < period + reply_timeout {
                            return Err(self.invalid(
                                format!("messages.{}.max_age_ms", messages[reply].name),
                                format!(
                                    "must be at least the poll period plus the reply deadline ({} ms)",
                                    (period + reply_timeout).as_millis()
                                ),
                            ));
                        }
                    }
                }
                continue;
            }
            // Two replies with the same identifier pattern could not be told apart.
            if let Some(other) = messages[..i]
                .iter()
                .find(|o| !o.kind.from_controller() && o.id == m.id)
            {
                return Err(self.invalid(
                    format!("messages.{}.id", m.name),
                    format!("same identifier as reply {}", other.name),
                ));
            }
        }
        self.points(spec.device.role, &messages)?;
        Ok(CanProfile {
            file: self.file.to_path_buf(),
            name: spec.device.name,
            vendor: spec.device.vendor,
            model: spec.device.model,
            role: spec.device.role,
            bitrate: c.bitrate,
            extended_id: c.extended_id,
            controller_address: c.controller_address,
            addresses: (first, last),
            device_timeout,
            reply_timeout,
            id_fields,
            messages,
        })
    }

    fn message(
        &self,
        name: &str,
        m: &MessageSpec,
        names: &[&String],
        all: &BTreeMap<String, MessageSpec>,
        id_fields: &[IdField],
        c: &CanSpec,
    ) -> Result<Message, ProfileError> {
        let key = |k: &str| format!("messages.{name}.{k}");
        // Identifier: every field given, constants fit, placeholders known.
        for k in m.id.keys() {
            if !id_fields.iter().any(|f| &f.name == k) {
                return Err(self.invalid(
                    key(&format!("id.{k}")),
                    "no such identifier field in [can.id]",
                ));
            }
        }
        let mut id = Vec::new();
        for f in id_fields {
            let k = key(&format!("id.{}", f.name));
            let v =
                m.id.get(&f.name)
                    .ok_or_else(|| self.invalid(&k, "every identifier field needs a value"))?;
            let v = match v {
                IdValueSpec::Const(n) => {
                    if *n > f.max() {
                        return Err(self.limit(k, f64::from(*n), 0.0, f64::from(f.max())));
                    }
                    IdValue::Const(*n)
                }
                IdValueSpec::Placeholder(p) => match p.as_str() {
                    "module" => {
                        if c.addresses[1] > f.max() {
                            return Err(self.invalid(
                                "can.addresses",
                                format!(
                                    "address {} does not fit identifier field {}",
                                    c.addresses[1], f.name
                                ),
                            ));
                        }
                        IdValue::Module
                    }
                    "controller" => {
                        if c.controller_address > f.max() {
                            return Err(self.limit(
                                "can.controller_address",
                                f64::from(c.controller_address),
                                0.0,
                                f64::from(f.max()),
                            ));
                        }
                        IdValue::Controller
                    }
                    "group" => IdValue::Group,
                    other => {
                        return Err(self.invalid(
                            k,
                            format!("{other:?}: a number, \"module\", \"controller\" or \"group\""),
                        ))
                    }
                },
            };
            id.push(v);
        }
        if !id.contains(&IdValue::Module) {
            return Err(self.invalid(
                key("id"),
                "the identifier must carry the module's address (\"module\")",
            ));
        }
        if !(1..=8).contains(&m.length) {
            return Err(self.limit(key("length"), f64::from(m.length), 1.0, 8.0));
        }
        if m.data.len() > usize::from(m.length) {
            return Err(self.invalid(key("data"), "longer than the message's length"));
        }
        let mut data = [0u8; 8];
        data[..m.data.len()].copy_from_slice(&m.data);
        let period = |what: &str| -> Result<Duration, ProfileError> {
            let ms = m.period_ms.ok_or_else(|| {
                self.invalid(key("period_ms"), format!("a {what} needs period_ms"))
            })?;
            if !(10..=60_000).contains(&ms) {
                return Err(self.limit(key("period_ms"), f64::from(ms), 10.0, 60_000.0));
            }
            Ok(Duration::from_millis(u64::from(ms)))
        };
        let not = |k: &str, present: bool, what: &str| {
            if present {
                Err(self.invalid(key(k), format!("not for a {what}")))
            } else {
                Ok(())
            }
        };
        let kind = match m.kind {
            KindSpec::Command => {
                not("reply", m.reply.is_some(), "command")?;
                not("max_age_ms", m.max_age_ms.is_some(), "command")?;
                not("point", m.point.is_some(), "command (points go on fields)")?;
                MessageKind::Command {
                    period: period("command")?,
                }
            }
            KindSpec::Request => {
                not(
                    "max_age_ms",
                    m.max_age_ms.is_some(),
                    "request (it goes on the reply)",
                )?;
                not("point", m.point.is_some(), "request")?;
                if !m.fields.is_empty() {
                    return Err(
                        self.invalid(key("fields"), "a request carries no points; use data")
                    );
                }
                let period = period("request")?;
                let r = m
                    .reply
                    .as_ref()
                    .ok_or_else(|| self.invalid(key("reply"), "a request names its reply"))?;
                let reply = names
                    .iter()
                    .position(|n| *n == r)
                    .filter(|_| all.get(r).is_some_and(|s| s.kind == KindSpec::Reply))
                    .ok_or_else(|| {
                        self.invalid(key("reply"), format!("no reply message named {r}"))
                    })?;
                MessageKind::Request { period, reply }
            }
            KindSpec::Reply => {
                not(
                    "period_ms",
                    m.period_ms.is_some(),
                    "reply (the request has it)",
                )?;
                not("reply", m.reply.is_some(), "reply")?;
                not("point", m.point.is_some(), "reply (points go on fields)")?;
                let ms = m
                    .max_age_ms
                    .ok_or_else(|| self.invalid(key("max_age_ms"), "a reply needs max_age_ms"))?;
                if !(10..=600_000).contains(&ms) {
                    return Err(self.limit(key("max_age_ms"), f64::from(ms), 10.0, 600_000.0));
                }
                // It must be asked for, or it is never fresh.
                if !all
                    .values()
                    .any(|s| s.kind == KindSpec::Request && s.reply.as_deref() == Some(name))
                {
                    return Err(self.invalid(key("kind"), "no request names this reply"));
                }
                MessageKind::Reply {
                    max_age: Duration::from_millis(u64::from(ms)),
                }
            }
            KindSpec::Momentary => {
                not("period_ms", m.period_ms.is_some(), "momentary command")?;
                not("reply", m.reply.is_some(), "momentary command")?;
                not("max_age_ms", m.max_age_ms.is_some(), "momentary command")?;
                if !m.fields.is_empty() {
                    return Err(self.invalid(
                        key("fields"),
                        "a momentary command is fixed bytes: use data",
                    ));
                }
                let point = m.point.ok_or_else(|| {
                    self.invalid(key("point"), "a momentary command names its point")
                })?;
                MessageKind::Momentary { point }
            }
        };
        let mut fields = Vec::new();
        for (fname, f) in &m.fields {
            fields.push(self.field(name, fname, f, m.length)?);
        }
        // Overlaps: a bool may sit inside a status word it also reports (replies only);
        // otherwise every bit belongs to one field.
        for (i, a) in fields.iter().enumerate() {
            for b in &fields[..i] {
                if a.footprint() & b.footprint() == 0 {
                    continue;
                }
                let bool_in_word = !kind.from_controller()
                    && (a.ty == FieldType::Bool) != (b.ty == FieldType::Bool);
                if !bool_in_word {
                    return Err(self.e(
                        format!("messages.{name}.fields.{}.byte", a.name),
                        Problem::Overlap {
                            other: b.name.clone(),
                        },
                    ));
                }
            }
        }
        Ok(Message {
            name: name.to_string(),
            kind,
            id,
            length: m.length,
            data,
            fields,
        })
    }

    fn field(
        &self,
        msg: &str,
        name: &str,
        f: &FieldSpec,
        msg_len: u8,
    ) -> Result<Field, ProfileError> {
        let key = |k: &str| format!("messages.{msg}.fields.{name}.{k}");
        let length = match (f.ty, f.length) {
            (FieldType::Bool, None | Some(1)) => 1,
            (FieldType::Bool, Some(_)) => {
                return Err(self.invalid(key("length"), "a bool is one bit of one byte"))
            }
            (FieldType::Float, Some(n @ (4 | 8))) => n,
            (FieldType::Float, _) => {
                return Err(self.invalid(key("length"), "a float is 4 or 8 bytes"))
            }
            (_, Some(n @ 1..=8)) => n,
            (_, Some(n)) => return Err(self.limit(key("length"), f64::from(n), 1.0, 8.0)),
            (_, None) => return Err(self.invalid(key("length"), "give the length in bytes")),
        };
        if u16::from(f.byte) + u16::from(length) > u16::from(msg_len) {
            return Err(self.invalid(
                key("byte"),
                format!("byte + length runs past the message's {msg_len} bytes"),
            ));
        }
        let bit = match (f.ty, f.bit) {
            (FieldType::Bool, Some(b)) if b < 8 => b,
            (FieldType::Bool, Some(b)) => {
                return Err(self.limit(key("bit"), f64::from(b), 0.0, 7.0))
            }
            (FieldType::Bool, None) => {
                return Err(self.invalid(key("bit"), "a bool names its bit (0..=7) of byte"))
            }
            (_, Some(_)) => return Err(self.invalid(key("bit"), "bit is for type = \"bool\"")),
            (_, None) => 0,
        };
        if f.invert && f.ty != FieldType::Bool {
            return Err(self.invalid(key("invert"), "invert is for type = \"bool\""));
        }
        let numeric = f.ty != FieldType::Bool;
        if !numeric
            && (f.scale.is_some() || f.offset.is_some() || f.range.is_some() || f.unit.is_some())
        {
            return Err(self.invalid(key("type"), "scale, offset, range and unit are for numbers"));
        }
        let scale = f.scale.unwrap_or(1.0);
        if !scale.is_finite() || scale == 0.0 {
            return Err(self.invalid(key("scale"), "must be finite and not zero"));
        }
        let offset = f.offset.unwrap_or(0.0);
        if !offset.is_finite() {
            return Err(self.invalid(key("offset"), "must be finite"));
        }
        let range = match f.range {
            Some([lo, hi]) if lo.is_finite() && hi.is_finite() && lo <= hi => Some((lo, hi)),
            Some(_) => return Err(self.invalid(key("range"), "must be [min, max], finite")),
            None => None,
        };
        let is_int = matches!(f.ty, FieldType::Unsigned | FieldType::Signed);
        let (lo, hi) = if is_int {
            int_bounds(length, f.ty == FieldType::Signed)
        } else {
            (0, 0)
        };
        let sentinels: Vec<i128> = f.sentinels.iter().map(|s| i128::from(*s)).collect();
        if is_int {
            if let Some(s) = sentinels.iter().find(|s| !(lo..=hi).contains(*s)) {
                return Err(self.invalid(key("sentinels"), format!("{s} does not fit the field")));
            }
        }
        let mut enum_names = BTreeMap::new();
        for (k, v) in &f.enum_names {
            let raw: i128 = k
                .trim()
                .parse()
                .ok()
                .filter(|r| (lo..=hi).contains(r))
                .ok_or_else(|| {
                    self.invalid(
                        format!("{}.{k}", key("enum")),
                        "keys are raw integers the field holds",
                    )
                })?;
            enum_names.insert(raw, v.clone());
        }
        let width = u32::from(length) * 8;
        let bit_map = |map: &BTreeMap<String, String>, which: &str| {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                let b: u8 = k
                    .trim()
                    .parse()
                    .ok()
                    .filter(|b: &u8| u32::from(*b) < width)
                    .ok_or_else(|| {
                        self.invalid(
                            format!("{}.{k}", key(which)),
                            format!("keys are bit numbers 0..={}", width - 1),
                        )
                    })?;
                out.insert(b, v.clone());
            }
            Ok::<_, ProfileError>(out)
        };
        let bit_names = bit_map(&f.bits, "bits")?;
        let flag_names = bit_map(&f.flags, "flags")?;
        if let Some(b) = bit_names.keys().find(|b| flag_names.contains_key(b)) {
            return Err(self.invalid(key("flags"), format!("bit {b} is also a fault bit")));
        }
        let has_names = !enum_names.is_empty() || !bit_names.is_empty() || !flag_names.is_empty();
        if has_names && (f.ty != FieldType::Unsigned || scale != 1.0 || offset != 0.0) {
            return Err(self.invalid(
                key("type"),
                "enum, bits and flags need an unsigned field without scale or offset",
            ));
        }
        let named_bits = !bit_names.is_empty() || !flag_names.is_empty();
        if !enum_names.is_empty() && named_bits {
            return Err(self.invalid(key("bits"), "a field has enum or bits, not both"));
        }
        Ok(Field {
            name: name.to_string(),
            byte: f.byte,
            length,
            ty: f.ty,
            endian: f.endian,
            bit,
            invert: f.invert,
            scale,
            offset,
            unit: f.unit,
            range,
            sentinels,
            enum_names,
            bit_names,
            flag_names,
            point: f.point,
        })
    }

    fn points(&self, role: Role, messages: &[Message]) -> Result<(), ProfileError> {
        let mut provided: BTreeMap<Point, String> = BTreeMap::new();
        for m in messages {
            let mut own: Vec<(Point, String)> = m
                .fields
                .iter()
                .filter_map(|f| {
                    f.point
                        .map(|p| (p, format!("messages.{}.fields.{}.point", m.name, f.name)))
                })
                .collect();
            if let MessageKind::Momentary { point } = m.kind {
                own.push((point, format!("messages.{}.point", m.name)));
            }
            for (point, key) in own {
                let spec = role
                    .spec(point)
                    .ok_or_else(|| self.e(&key, Problem::ForeignPoint { role, point }))?;
                if point == Point::VoltageRangeMode {
                    return Err(
                        self.invalid(key, "voltage_range_mode is not supported over CAN yet")
                    );
                }
                if let Some(other) = provided.insert(point, key.clone()) {
                    return Err(self.e(key, Problem::DuplicatePoint { point, other }));
                }
                let fits = match spec.need {
                    Need::Write => matches!(m.kind, MessageKind::Command { .. }),
                    Need::Read => matches!(m.kind, MessageKind::Reply { .. }),
                    Need::Momentary => matches!(m.kind, MessageKind::Momentary { .. }),
                };
                if !fits {
                    let want = match spec.need {
                        Need::Write => "a command",
                        Need::Read => "a reply",
                        Need::Momentary => "a momentary command",
                    };
                    return Err(
                        self.invalid(key, format!("point {point} belongs in {want} message"))
                    );
                }
                if let Some(f) = m.fields.iter().find(|f| f.point == Some(point)) {
                    // Flags (enable, status) are bools or enums; quantities have their unit.
                    if !spec.quantity.accepts(f.unit) {
                        return Err(self.e(
                            format!("messages.{}.fields.{}.unit", m.name, f.name),
                            Problem::WrongUnit {
                                unit: f
                                    .unit
                                    .map(|u| format!("{u:?}"))
                                    .unwrap_or_else(|| "(none)".into()),
                                point,
                            },
                        ));
                    }
                    if point == Point::OutputEnable && f.ty != FieldType::Bool {
                        return Err(self.invalid(
                            format!("messages.{}.fields.{}.type", m.name, f.name),
                            "output_enable is a bool (use invert when 1 means off)",
                        ));
                    }
                }
            }
        }
        let seen: BTreeSet<Point> = provided.keys().copied().collect();
        if let Some(missing) = role
            .points()
            .iter()
            .find(|s| s.required && !seen.contains(&s.point))
        {
            return Err(self.e(
                "messages",
                Problem::MissingPoint {
                    role,
                    point: missing.point,
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "can_tests.rs"]
mod tests;
