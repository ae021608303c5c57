//! Schema-level validation of OCPP payloads against the official OCA JSON schemas.
//!
//! # Why our own validator and not the `jsonschema` crate
//!
//! The OCPP schemas (1.6: draft-04, 1.6 security and 2.0.1: draft-06) use a small, fixed subset
//! of JSON Schema: `type` (a single name), `properties`, `required`, `additionalProperties`
//! (a boolean), `items` (a single schema), `minItems`/`maxItems`, `maxLength`, `enum`,
//! `minimum`/`maximum`, `multipleOf`, `format` (`date-time`, and `uri` in two 1.6 schemas) and
//! `$ref` to `#/definitions/…`. That subset is about 300 lines here. The `jsonschema` crate
//! covers every draft with regexes, remote references and an HTTP client: several megabytes of
//! dependencies on an embedded board, for keywords the schemas never use. It also reports
//! errors as keyword names we would have to map back to OCPP codes anyway.
//!
//! What keeps the subset honest: [`Schema::compile`] rejects any keyword it does not implement
//! (other than annotations such as `description` or `javaType`), and a test compiles every
//! embedded schema, so a schema using something new fails loudly instead of being half-checked.
//!
//! # Decisions where the schemas leave room
//!
//! * `integer` means a JSON number written without fraction or exponent (`1`, not `1.0`), as
//!   in draft-04 and in the Python `ocpp` reference (which validates 2.0.1 with a draft-04
//!   validator too). A value that passes is then guaranteed to deserialize into an integer type.
//! * `multipleOf` 0.1 (1.6 charging limits) is checked on the number's shortest decimal form,
//!   not on binary floating point: `31.9` passes and `31.95` fails, where a naive `x % 0.1`
//!   would reject `31.9`.
//! * `format: date-time` is checked as RFC 3339 (`2024-05-01T12:00:00Z`, `…+02:00`, optional
//!   fraction) with real calendar ranges — **except that a missing UTC offset is accepted**:
//!   several CSMSs send 1.6 timestamps without one, the schemas' reference validator (Python
//!   `ocpp`) does not check formats at all, and OCPP says times are UTC. The application reads
//!   such a time as UTC. `format: uri` is not checked (an annotation, as in draft-04).
//! * `maxLength` counts Unicode characters (code points), as JSON Schema says.
//!
//! # Violations → CALLERROR codes
//!
//! | violation | code |
//! |---|---|
//! | payload not an object; property not in the schema (`additionalProperties: false`) | FormatViolation (1.6: FormationViolation) |
//! | wrong JSON type; not a date-time | TypeConstraintViolation |
//! | required property missing; too few / too many array items | OccurrenceConstraintViolation (1.6: OccurenceConstraintViolation) |
//! | too long; not in the enumeration; below minimum / above maximum; not a multiple | PropertyConstraintViolation |
//!
//! When a payload has several violations the first one found is reported; the walk is
//! deterministic (an object's type, then its required properties in schema order, then unknown
//! properties in key order, then each property in schema order).

use std::fmt;

use serde_json::{Map, Number, Value};
use thiserror::Error;

use super::frame::RpcErrorCode;

/// A compiled JSON schema, ready to validate payloads.
#[derive(Debug, Clone)]
pub struct Schema {
    nodes: Vec<Node>,
    root: NodeId,
}

type NodeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    Null,
}

impl JsonType {
    fn name(self) -> &'static str {
        match self {
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Null => "null",
        }
    }

    fn matches(self, value: &Value) -> bool {
        match self {
            JsonType::Object => value.is_object(),
            JsonType::Array => value.is_array(),
            JsonType::String => value.is_string(),
            JsonType::Integer => value.is_i64() || value.is_u64(),
            JsonType::Number => value.is_number(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Null => value.is_null(),
        }
    }
}

/// One schema object, compiled. Absent keywords are `None`/empty.
#[derive(Debug, Clone, Default)]
struct Node {
    /// `$ref`: in draft-04/06 a reference replaces every sibling keyword.
    reference: Option<NodeId>,
    ty: Option<JsonType>,
    properties: Vec<(String, NodeId)>,
    required: Vec<String>,
    closed: bool,
    items: Option<NodeId>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    max_length: Option<u64>,
    min_length: Option<u64>,
    enumeration: Option<Vec<Value>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    multiple_of: Option<f64>,
    date_time: bool,
}

/// Keywords that carry no constraint and are skipped.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "id",
    "title",
    "description",
    "comment",
    "$comment",
    "javaType",
    "default",
];

/// A schema that uses JSON Schema beyond the subset implemented here, or is malformed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("schema {path}: {problem}")]
pub struct SchemaError {
    /// JSON pointer into the schema.
    pub path: String,
    pub problem: String,
}

impl Schema {
    /// Compiles a schema given as JSON text.
    pub fn from_json(text: &str) -> Result<Schema, SchemaError> {
        let value: Value = serde_json::from_str(text).map_err(|e| SchemaError {
            path: String::new(),
            problem: format!("not valid JSON: {e}"),
        })?;
        Schema::compile(&value)
    }

    /// Compiles a parsed schema. Definitions are compiled once; `$ref`s point at them.
    pub fn compile(schema: &Value) -> Result<Schema, SchemaError> {
        let mut compiler = Compiler {
            nodes: Vec::new(),
            definitions: Vec::new(),
        };
        if let Some(defs) = schema.get("definitions") {
            let Value::Object(defs) = defs else {
                return Err(err("/definitions", "not an object"));
            };
            // First give every definition a slot, so that definitions may refer to each other.
            for name in defs.keys() {
                let id = compiler.nodes.len();
                compiler.nodes.push(Node::default());
                compiler.definitions.push((name.clone(), id));
            }
            for (name, def) in defs {
                let path = format!("/definitions/{name}");
                let node = compiler.node(def, &path)?;
                if let Some(slot) = compiler.slot(name) {
                    compiler.nodes[slot] = node;
                }
            }
        }
        let root = compiler.node(schema, "")?;
        let root_id = compiler.nodes.len();
        compiler.nodes.push(root);
        Ok(Schema {
            nodes: compiler.nodes,
            root: root_id,
        })
    }

    /// Checks `payload`; the first violation found, if any.
    pub fn validate(&self, payload: &Value) -> Result<(), Violation> {
        let mut walk = Walk {
            schema: self,
            path: Vec::new(),
        };
        let root = self.resolve(self.root, 0);
        if root.ty == Some(JsonType::Object) && !payload.is_object() {
            return Err(Violation {
                kind: ViolationKind::NotAnObject,
                path: String::new(),
                detail: format!("the payload is {}, not an object", describe(payload)),
            });
        }
        walk.node(self.root, payload, 0)
    }

    fn resolve(&self, mut id: NodeId, mut depth: usize) -> &Node {
        loop {
            let node = &self.nodes[id];
            match node.reference {
                Some(target) if depth < MAX_DEPTH => {
                    id = target;
                    depth += 1;
                }
                _ => return node,
            }
        }
    }
}

fn err(path: &str, problem: impl Into<String>) -> SchemaError {
    SchemaError {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

struct Compiler {
    nodes: Vec<Node>,
    definitions: Vec<(String, NodeId)>,
}

impl Compiler {
    fn slot(&self, name: &str) -> Option<NodeId> {
        self.definitions
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, id)| id)
    }

    fn child(&mut self, value: &Value, path: &str) -> Result<NodeId, SchemaError> {
        let node = self.node(value, path)?;
        self.nodes.push(node);
        Ok(self.nodes.len() - 1)
    }

    fn node(&mut self, value: &Value, path: &str) -> Result<Node, SchemaError> {
        let Value::Object(map) = value else {
            return Err(err(path, "a schema must be an object"));
        };
        let mut node = Node::default();
        if let Some(reference) = map.get("$ref") {
            let target = reference
                .as_str()
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .and_then(|name| self.slot(name))
                .ok_or_else(|| err(path, format!("unresolvable $ref {reference}")))?;
            node.reference = Some(target);
            return Ok(node);
        }
        for (keyword, arg) in map {
            let at = format!("{path}/{keyword}");
            match keyword.as_str() {
                "type" => {
                    node.ty = Some(match arg.as_str() {
                        Some("object") => JsonType::Object,
                        Some("array") => JsonType::Array,
                        Some("string") => JsonType::String,
                        Some("integer") => JsonType::Integer,
                        Some("number") => JsonType::Number,
                        Some("boolean") => JsonType::Boolean,
                        Some("null") => JsonType::Null,
                        _ => return Err(err(&at, "only a single type name is supported")),
                    })
                }
                "properties" => {
                    let Value::Object(props) = arg else {
                        return Err(err(&at, "not an object"));
                    };
                    for (name, sub) in props {
                        let id = self.child(sub, &format!("{at}/{name}"))?;
                        node.properties.push((name.clone(), id));
                    }
                }
                "required" => {
                    let names = arg.as_array().ok_or_else(|| err(&at, "not an array"))?;
                    for name in names {
                        let name = name.as_str().ok_or_else(|| err(&at, "not a string"))?;
                        node.required.push(name.to_owned());
                    }
                }
                "additionalProperties" => {
                    node.closed = !arg
                        .as_bool()
                        .ok_or_else(|| err(&at, "only true/false is supported"))?;
                }
                "items" => {
                    if !arg.is_object() {
                        return Err(err(&at, "only a single item schema is supported"));
                    }
                    node.items = Some(self.child(arg, &at)?);
                }
                // Only meaningful with an array of item schemas, which `items` refuses.
                "additionalItems" => {}
                "minItems" => node.min_items = Some(count(arg, &at)?),
                "maxItems" => node.max_items = Some(count(arg, &at)?),
                "minLength" => node.min_length = Some(count(arg, &at)?),
                "maxLength" => node.max_length = Some(count(arg, &at)?),
                "enum" => {
                    let values = arg.as_array().ok_or_else(|| err(&at, "not an array"))?;
                    node.enumeration = Some(values.clone());
                }
                "minimum" => node.minimum = Some(number(arg, &at)?),
                "maximum" => node.maximum = Some(number(arg, &at)?),
                "multipleOf" => {
                    let m = number(arg, &at)?;
                    if m <= 0.0 {
                        return Err(err(&at, "must be positive"));
                    }
                    node.multiple_of = Some(m);
                }
                "format" => match arg.as_str() {
                    Some("date-time") => node.date_time = true,
                    Some("uri") => {}
                    _ => return Err(err(&at, format!("unsupported format {arg}"))),
                },
                "definitions" if path.is_empty() => {}
                k if ANNOTATIONS.contains(&k) => {}
                other => return Err(err(&at, format!("unsupported keyword {other:?}"))),
            }
        }
        Ok(node)
    }
}

fn count(arg: &Value, at: &str) -> Result<u64, SchemaError> {
    arg.as_u64()
        .ok_or_else(|| err(at, "not a non-negative integer"))
}

fn number(arg: &Value, at: &str) -> Result<f64, SchemaError> {
    arg.as_f64().ok_or_else(|| err(at, "not a number"))
}

/// Guard against `$ref` cycles: no OCPP schema nests anywhere near this deep.
const MAX_DEPTH: usize = 64;

/// Why a payload does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}: {detail}", if path.is_empty() { "payload" } else { path.as_str() })]
pub struct Violation {
    pub kind: ViolationKind,
    /// JSON pointer to the offending value (`/csChargingProfiles/chargingSchedule/…`), empty
    /// for the payload itself.
    pub path: String,
    /// What is wrong, for the CALLERROR description and the log.
    pub detail: String,
}

impl Violation {
    /// The CALLERROR code this violation is answered with.
    pub fn code(&self) -> RpcErrorCode {
        self.kind.code()
    }
}

/// The kind of schema rule a payload broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// The payload is not a JSON object.
    NotAnObject,
    /// A property the schema does not define (`additionalProperties: false`).
    AdditionalProperty,
    /// A value of the wrong JSON type.
    Type,
    /// A string that is not a date-time.
    DateTime,
    /// A required property is missing.
    Required,
    /// Fewer array items than `minItems`.
    MinItems,
    /// More array items than `maxItems`.
    MaxItems,
    /// A string longer than `maxLength`.
    MaxLength,
    /// A string shorter than `minLength`.
    MinLength,
    /// A value not in the enumeration.
    Enum,
    /// A number below `minimum`.
    Minimum,
    /// A number above `maximum`.
    Maximum,
    /// A number that is not a multiple of `multipleOf`.
    MultipleOf,
    /// Nesting beyond what any OCPP schema uses (a cyclic schema).
    TooDeep,
}

impl ViolationKind {
    /// The CALLERROR code (see the table in the module documentation).
    pub fn code(self) -> RpcErrorCode {
        use ViolationKind::*;
        match self {
            NotAnObject | AdditionalProperty | TooDeep => RpcErrorCode::FormatViolation,
            Type | DateTime => RpcErrorCode::TypeConstraintViolation,
            Required | MinItems | MaxItems => RpcErrorCode::OccurrenceConstraintViolation,
            MaxLength | MinLength | Enum | Minimum | Maximum | MultipleOf => {
                RpcErrorCode::PropertyConstraintViolation
            }
        }
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

struct Walk<'s, 'v> {
    schema: &'s Schema,
    path: Vec<Segment<'v>>,
}

impl<'v> Walk<'_, 'v> {
    fn fail(&self, kind: ViolationKind, detail: String) -> Result<(), Violation> {
        let mut path = String::new();
        for segment in &self.path {
            path.push('/');
            match segment {
                // JSON pointer escaping (RFC 6901).
                Segment::Key(k) => path.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => path.push_str(&i.to_string()),
            }
        }
        Err(Violation { kind, path, detail })
    }

    fn node(&mut self, id: NodeId, value: &'v Value, depth: usize) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return self.fail(ViolationKind::TooDeep, "nested too deeply".to_owned());
        }
        let node = self.schema.resolve(id, depth);
        if let Some(ty) = node.ty {
            if !ty.matches(value) {
                let detail = format!("expected {}, found {}", ty.name(), describe(value));
                return self.fail(ViolationKind::Type, detail);
            }
        }
        match value {
            Value::Object(map) => self.object(node, map, depth)?,
            Value::Array(items) => self.array(node, items, depth)?,
            Value::String(s) => self.string(node, s)?,
            Value::Number(n) => self.number(node, n)?,
            Value::Bool(_) | Value::Null => {}
        }
        if let Some(allowed) = &node.enumeration {
            if !allowed.contains(value) {
                let detail = format!("{} is not one of the allowed values", short(value));
                return self.fail(ViolationKind::Enum, detail);
            }
        }
        Ok(())
    }

    fn object(
        &mut self,
        node: &Node,
        map: &'v Map<String, Value>,
        depth: usize,
    ) -> Result<(), Violation> {
        for name in &node.required {
            if !map.contains_key(name) {
                let detail = format!("required property {name:?} is missing");
                return self.fail(ViolationKind::Required, detail);
            }
        }
        if node.closed {
            if let Some(key) = map
                .keys()
                .find(|k| !node.properties.iter().any(|(name, _)| name == *k))
            {
                let detail = format!("property {key:?} is not allowed");
                return self.fail(ViolationKind::AdditionalProperty, detail);
            }
        }
        for (name, child) in &node.properties {
            if let Some((key, value)) = map.get_key_value(name) {
                self.path.push(Segment::Key(key));
                self.node(*child, value, depth + 1)?;
                self.path.pop();
            }
        }
        Ok(())
    }

    fn array(&mut self, node: &Node, items: &'v [Value], depth: usize) -> Result<(), Violation> {
        let len = items.len() as u64;
        if let Some(min) = node.min_items.filter(|&min| len < min) {
            let detail = format!("{len} items, at least {min} required");
            return self.fail(ViolationKind::MinItems, detail);
        }
        if let Some(max) = node.max_items.filter(|&max| len > max) {
            let detail = format!("{len} items, at most {max} allowed");
            return self.fail(ViolationKind::MaxItems, detail);
        }
        if let Some(child) = node.items {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Segment::Index(i));
                self.node(child, item, depth + 1)?;
                self.path.pop();
            }
        }
        Ok(())
    }

    fn string(&mut self, node: &Node, s: &str) -> Result<(), Violation> {
        if node.max_length.is_some() || node.min_length.is_some() {
            let len = s.chars().count() as u64;
            if let Some(max) = node.max_length.filter(|&max| len > max) {
                let detail = format!("{len} characters, at most {max} allowed");
                return self.fail(ViolationKind::MaxLength, detail);
            }
            if let Some(min) = node.min_length.filter(|&min| len < min) {
                let detail = format!("{len} characters, at least {min} required");
                return self.fail(ViolationKind::MinLength, detail);
            }
        }
        if node.date_time && !is_date_time(s) {
            let detail = format!("{} is not an RFC 3339 date-time", short_str(s));
            return self.fail(ViolationKind::DateTime, detail);
        }
        Ok(())
    }

    fn number(&mut self, node: &Node, n: &Number) -> Result<(), Violation> {
        let Some(x) = n.as_f64() else {
            return Ok(());
        };
        if let Some(min) = node.minimum.filter(|&min| x < min) {
            return self.fail(ViolationKind::Minimum, format!("{n} is below {min}"));
        }
        if let Some(max) = node.maximum.filter(|&max| x > max) {
            return self.fail(ViolationKind::Maximum, format!("{n} is above {max}"));
        }
        if let Some(m) = node.multiple_of.filter(|&m| !is_multiple_of(n, m)) {
            return self.fail(
                ViolationKind::MultipleOf,
                format!("{n} is not a multiple of {m}"),
            );
        }
        Ok(())
    }
}

/// `n` is a multiple of `m`, judged on decimals when `m` is a power of ten (0.1, 1, 10…), which
/// is the only kind OCPP uses; within a relative 1e-9 otherwise.
fn is_multiple_of(n: &Number, m: f64) -> bool {
    if let (Some(i), true) = (n.as_i64(), m.fract() == 0.0 && m <= i64::MAX as f64) {
        // Integers: exact. `m` is a positive whole number here.
        return (i % (m as i64).max(1)) == 0;
    }
    let Some(x) = n.as_f64() else {
        return false;
    };
    if let Some(decimals) = negative_power_of_ten(m) {
        // `{}` on an f64 prints the shortest decimal that reads back as the same f64, i.e. the
        // number as the peer wrote it (for up to 17 significant digits), never in exponent form.
        let text = x.to_string();
        let written = text
            .split_once('.')
            .map_or(0, |(_, frac)| frac.trim_end_matches('0').len());
        return written <= decimals;
    }
    let q = x / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// `Some(k)` when `m` is 10^-k for k in 0..=9.
fn negative_power_of_ten(m: f64) -> Option<usize> {
    (0..=9).find(|&k| {
        let p = 10f64.powi(-(k as i32));
        (m - p).abs() <= p * 1e-12
    })
}

/// RFC 3339 `date-time`, except that the UTC offset may be missing (see the module docs).
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
        } else {
            None
        }
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let (Some(hour), Some(minute), Some(second)) = (digits(11..13), digits(14..16), digits(17..19))
    else {
        return false;
    };
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return false;
    }
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if sep(i, b".") {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let (Some(oh), Some(om)) = (digits(i + 1..i + 3), digits(i + 4..i + 6)) else {
                return false;
            };
            sep(i + 3, b":") && oh <= 23 && om <= 59 && i + 6 == b.len()
        }
        Some(_) => false,
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "an integer",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// A value for an error description, kept short (descriptions are capped at 255 characters).
fn short(value: &Value) -> String {
    match value {
        Value::String(s) => short_str(s),
        Value::Object(_) | Value::Array(_) => describe(value).to_owned(),
        other => other.to_string(),
    }
}

fn short_str(s: &str) -> String {
    const MAX: usize = 40;
    let cut = super::frame::truncate_chars(s, MAX);
    if cut.len() < s.len() {
        format!("{:?}…", cut)
    } else {
        format!("{s:?}")
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn date_times() {
        for ok in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.123Z",
            "2024-05-01T12:00:00+02:00",
            "2024-02-29T23:59:60-05:30",
            "2024-05-01T12:00:00",
            "2024-05-01t12:00:00z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "",
            "tomorrow",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01 12:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+0200",
            "2024-05-01T12:00:00Zjunk",
            "2024-05-01",
            "２024-05-01T12:00:00Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn multiples_of_a_tenth_are_judged_on_decimals() {
        let n = |v: Value| v.as_number().cloned().unwrap();
        assert!(is_multiple_of(&n(json!(31.9)), 0.1));
        assert!(is_multiple_of(&n(json!(0.3)), 0.1));
        assert!(is_multiple_of(&n(json!(32)), 0.1));
        assert!(is_multiple_of(&n(json!(-7.5)), 0.1));
        assert!(!is_multiple_of(&n(json!(31.95)), 0.1));
        assert!(!is_multiple_of(&n(json!(31.900000000000002)), 0.1));
        assert!(is_multiple_of(&n(json!(12)), 3.0));
        assert!(!is_multiple_of(&n(json!(13)), 3.0));
        assert!(is_multiple_of(&n(json!(0.75)), 0.25));
        assert!(!is_multiple_of(&n(json!(0.8)), 0.25));
    }

    #[test]
    fn unknown_keywords_are_refused() {
        let e = Schema::compile(&json!({"type": "string", "pattern": "^a"})).unwrap_err();
        assert!(e.problem.contains("pattern"), "{e}");
        assert!(Schema::compile(&json!({"$ref": "#/definitions/Nope"})).is_err());
        assert!(Schema::compile(&json!({"type": ["string", "null"]})).is_err());
    }

    #[test]
    fn reference_cycles_do_not_hang() {
        let schema = Schema::compile(&json!({
            "definitions": {"A": {"$ref": "#/definitions/B"}, "B": {"$ref": "#/definitions/A"}},
            "type": "object",
            "properties": {"a": {"$ref": "#/definitions/A"}}
        }))
        .unwrap();
        // Either answer will do; what matters is that there is one.
        let _ = schema.validate(&json!({"a": 1}));
    }

    #[test]
    fn paths_are_json_pointers() {
        let schema = Schema::compile(&json!({
            "type": "object",
            "properties": {"a/b": {"type": "array", "items": {"type": "integer"}}}
        }))
        .unwrap();
        let v = schema.validate(&json!({"a/b": [1, "x"]})).unwrap_err();
        assert_eq!(v.path, "/a~1b/1");
        assert_eq!(v.kind, ViolationKind::Type);
    }
}
