//! The generator of the typed OCPP messages ([`super::v16`], [`super::v201`]) from the
//! embedded official schemas ([`super::catalog`]).
//!
//! The generated files are checked in (`v16/messages.rs`, `v201/messages.rs`) so that the
//! code is read and reviewed like any other; `cargo run -p charger-protocol --bin
//! ocpp-codegen` rewrites them, and a test fails while a file and its schemas disagree.
//!
//! The schemas' shapes, and what the generator makes of them:
//! * every 2.0.1 file (and each 1.6 security-whitepaper file) redefines the shared types it
//!   uses under `definitions`; they become **one** Rust type each, named by the schema's
//!   `javaType` (else the definition's name without its `Type` suffix): `IdTokenType` →
//!   `IdToken`, `AuthorizationStatusEnumType` → `AuthorizationStatusEnum`. Two files defining
//!   the same name differently stop the generator.
//! * the 1.6 draft-04 files define their enums and objects inline; [`v16_inline_name`] gives
//!   each the name the OCPP 1.6 specification (section 7) uses (`ChargePointStatus`,
//!   `IdTagInfo`, `SampledValue`, …), and an inline type it cannot name stops the generator
//!   (a refreshed schema never gets an invented name silently). Where two places give one
//!   enum different values (StopTransaction's `unit` lacks MeterValues' `Hertz`), the type
//!   has their union and says so; the schema validator, which runs first, still holds each
//!   message to its own list.
//! * `date-time` strings become [`super::types::DateTime`], integers `i64` (read as JSON
//!   Schema draft-06 reads them: `3.0` is one, [`super::types::de_integer`]), numbers `f64`, a
//!   property without a type (2.0.1 DataTransfer's `data`) a `serde_json::Value`;
//!   an object that allows more properties (2.0.1's `CustomDataType`) keeps them in `other`.
//! * each action's payloads become `<Action>Request` and `<Action>Response`, and the
//!   `Action`, `Request` and `Response` enums dispatch on the action's name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};
use thiserror::Error;

use super::catalog::{self, MessageKind, Sender};
use super::frame::OcppVersion;

/// Why the generator stopped: the schemas are not what it can map faithfully.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}{path}: {reason}")]
pub struct CodegenError {
    pub file: String,
    pub path: String,
    pub reason: String,
}

/// The file a version's messages are generated into, relative to the crate.
pub fn target_file(version: OcppVersion) -> &'static str {
    match version {
        OcppVersion::V16 => "src/ocpp/v16/messages.rs",
        OcppVersion::V201 => "src/ocpp/v201/messages.rs",
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    DateTime,
    /// A generated struct or enum.
    Named(String),
    Array(Box<Ty>),
    /// No type at all (2.0.1 DataTransfer's `data`): any JSON value.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    json: String,
    ty: Ty,
    required: bool,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct StructDef {
    doc: Option<String>,
    fields: Vec<Field>,
    /// `additionalProperties` is not false: unknown properties are kept.
    open: bool,
}

#[derive(Debug, Clone)]
struct EnumDef {
    doc: Option<String>,
    values: Vec<String>,
    /// Places whose schema lists fewer values than the union the type has.
    narrower: Vec<String>,
}

#[derive(Debug, Clone)]
enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
}

/// One schema file being read.
struct File<'a> {
    name: String,
    /// Its action's request or response name (`AuthorizeRequest`).
    message: String,
    definitions: Option<&'a Map<String, Value>>,
}

impl File<'_> {
    fn error(&self, path: &str, reason: impl Into<String>) -> CodegenError {
        CodegenError {
            file: self.name.clone(),
            path: if path.is_empty() {
                String::new()
            } else {
                format!(" at {path}")
            },
            reason: reason.into(),
        }
    }
}

struct Generator {
    version: OcppVersion,
    types: BTreeMap<String, TypeDef>,
}

/// The Rust source of `version`'s typed messages.
pub fn generate(version: OcppVersion) -> Result<String, CodegenError> {
    let mut g = Generator {
        version,
        types: BTreeMap::new(),
    };
    let mut messages = Vec::new();
    for action in catalog::actions(version) {
        for kind in [MessageKind::Request, MessageKind::Response] {
            let name = format!(
                "{}{}",
                action.action,
                match kind {
                    MessageKind::Request => "Request",
                    MessageKind::Response => "Response",
                }
            );
            let file_name = catalog::schema_file(version, action.action, kind);
            let root: Value =
                serde_json::from_str(action.schema(kind)).map_err(|e| CodegenError {
                    file: file_name.clone(),
                    path: String::new(),
                    reason: e.to_string(),
                })?;
            let file = File {
                name: file_name,
                message: name.clone(),
                definitions: root.get("definitions").and_then(Value::as_object),
            };
            let def = g.object(&file, &root, "")?;
            g.define(&file, "", &name, TypeDef::Struct(def))?;
        }
        messages.push((action.action, action.sender));
    }
    g.check_names()?;
    Ok(g.emit(&messages))
}

impl Generator {
    fn ty(&mut self, file: &File<'_>, node: &Value, path: &str) -> Result<Ty, CodegenError> {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let key = reference
                .strip_prefix("#/definitions/")
                .ok_or_else(|| file.error(path, format!("reference {reference:?} not local")))?;
            let def = file
                .definitions
                .and_then(|d| d.get(key))
                .ok_or_else(|| file.error(path, format!("no definition {key:?}")))?;
            let name = match def.get("javaType").and_then(Value::as_str) {
                Some(java) => java.to_string(),
                None => key.strip_suffix("Type").unwrap_or(key).to_string(),
            };
            let def_path = format!("#/definitions/{key}");
            let made = self.type_def(file, def, &def_path)?;
            self.define(file, &def_path, &name, made)?;
            return Ok(Ty::Named(name));
        }
        match node.get("type").and_then(Value::as_str) {
            Some("string") if node.get("enum").is_some() => {
                let name = self.inline_name(file, path)?;
                let made = self.type_def(file, node, path)?;
                self.define(file, path, &name, made)?;
                Ok(Ty::Named(name))
            }
            Some("string") => match node.get("format").and_then(Value::as_str) {
                Some("date-time") => Ok(Ty::DateTime),
                _ => Ok(Ty::String),
            },
            Some("integer") => Ok(Ty::Integer),
            Some("number") => Ok(Ty::Number),
            Some("boolean") => Ok(Ty::Boolean),
            None if node.get("enum").is_none() && node.get("properties").is_none() => Ok(Ty::Any),
            Some("array") => {
                let items = node
                    .get("items")
                    .ok_or_else(|| file.error(path, "an array without items"))?;
                Ok(Ty::Array(Box::new(self.ty(
                    file,
                    items,
                    &format!("{path}[]"),
                )?)))
            }
            Some("object") => {
                let name = self.inline_name(file, path)?;
                let made = self.type_def(file, node, path)?;
                self.define(file, path, &name, made)?;
                Ok(Ty::Named(name))
            }
            other => Err(file.error(path, format!("type {other:?} has no mapping"))),
        }
    }

    fn type_def(
        &mut self,
        file: &File<'_>,
        node: &Value,
        path: &str,
    ) -> Result<TypeDef, CodegenError> {
        if let Some(values) = node.get("enum") {
            let values = values
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|s| s.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                })
                .and_then(|v| v)
                .ok_or_else(|| file.error(path, "an enum of something else than strings"))?;
            return Ok(TypeDef::Enum(EnumDef {
                doc: doc_of(node),
                values,
                narrower: Vec::new(),
            }));
        }
        Ok(TypeDef::Struct(self.object(file, node, path)?))
    }

    fn object(
        &mut self,
        file: &File<'_>,
        node: &Value,
        path: &str,
    ) -> Result<StructDef, CodegenError> {
        if node.get("type").and_then(Value::as_str) != Some("object") {
            return Err(file.error(path, "expected an object"));
        }
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (json, prop) in props {
                let sub = if path.is_empty() {
                    json.clone()
                } else {
                    format!("{path}.{json}")
                };
                fields.push(Field {
                    json: json.clone(),
                    ty: self.ty(file, prop, &sub)?,
                    required: required.contains(&json.as_str()),
                    doc: doc_of(prop),
                });
            }
        }
        for r in &required {
            if !fields.iter().any(|f| f.json == *r) {
                return Err(file.error(path, format!("required {r:?} is no property")));
            }
        }
        Ok(StructDef {
            doc: doc_of(node),
            fields,
            open: node.get("additionalProperties") != Some(&Value::Bool(false)),
        })
    }

    /// The name of an inline enum or object at `path` of `file`.
    fn inline_name(&self, file: &File<'_>, path: &str) -> Result<String, CodegenError> {
        match self.version {
            OcppVersion::V16 => v16_inline_name(&file.message, path)
                .map(str::to_string)
                .ok_or_else(|| {
                    file.error(
                        path,
                        "an inline type without a name: add it to codegen::v16_inline_name",
                    )
                }),
            OcppVersion::V201 => Err(file.error(
                path,
                "an inline type in a 2.0.1 schema (they name theirs in definitions)",
            )),
        }
    }

    fn define(
        &mut self,
        file: &File<'_>,
        path: &str,
        name: &str,
        def: TypeDef,
    ) -> Result<(), CodegenError> {
        let place = format!("{}{}", file.message, if path.is_empty() { "" } else { "." }) + path;
        let Some(existing) = self.types.get_mut(name) else {
            self.types.insert(name.to_string(), def);
            return Ok(());
        };
        match (existing, def) {
            (TypeDef::Struct(a), TypeDef::Struct(b))
                if a.fields == b.fields && a.open == b.open =>
            {
                Ok(())
            }
            (TypeDef::Enum(a), TypeDef::Enum(b)) => {
                let a_in_b = a.values.iter().all(|v| b.values.contains(v));
                let b_in_a = b.values.iter().all(|v| a.values.contains(v));
                match (a_in_b, b_in_a) {
                    (true, true) => Ok(()),
                    (false, true) => {
                        a.narrower.push(place);
                        Ok(())
                    }
                    (true, false) => {
                        // The new place lists more: the type takes its list, and every place
                        // seen so far is narrower.
                        a.narrower.push(format!("the places before {place}"));
                        a.values = b.values;
                        Ok(())
                    }
                    (false, false) => Err(file.error(
                        path,
                        format!("enum {name} is defined elsewhere with other values"),
                    )),
                }
            }
            _ => Err(file.error(
                path,
                format!("{name} is defined elsewhere with another shape"),
            )),
        }
    }

    /// Two wire names that would become one Rust name (fields, variants) stop the generator.
    fn check_names(&self) -> Result<(), CodegenError> {
        for (name, def) in &self.types {
            let rust: Vec<String> = match def {
                TypeDef::Struct(s) => s.fields.iter().map(|f| field_name(&f.json)).collect(),
                TypeDef::Enum(e) => e.values.iter().map(|v| variant_name(v)).collect(),
            };
            let mut seen = std::collections::BTreeSet::new();
            for r in rust {
                if !seen.insert(r.clone()) {
                    return Err(CodegenError {
                        file: name.clone(),
                        path: String::new(),
                        reason: format!("two wire names become {r}"),
                    });
                }
            }
        }
        Ok(())
    }

    fn emit(&self, messages: &[(&str, Sender)]) -> String {
        let mut out = String::new();
        let (folder, title) = match self.version {
            OcppVersion::V16 => ("v16", "OCPP 1.6J"),
            OcppVersion::V201 => ("v201", "OCPP 2.0.1"),
        };
        let _ = writeln!(
            out,
            "//! {title}'s messages as types, generated from the official schemas in \
             `protocol/src/ocpp/schemas/{folder}`\n\
             //! by `cargo run -p charger-protocol --bin ocpp-codegen` (see `ocpp::codegen`). \
             Do not edit: a\n\
             //! test fails while this file and the schemas disagree.\n\
             //!\n\
             //! Payloads are validated against their schema before they become these types; \
             the types\n\
             //! hold what the schemas say (required fields, enums) but not every bound \
             (lengths, ranges).\n\
             \n\
             // The request and response enums hold one message by value: a message is built \
             once and\n\
             // moved, boxing each would only add allocations.\n\
             #![allow(clippy::large_enum_variant)]\n\
             \n\
             use serde::{{Deserialize, Serialize}};\n\
             \n\
             use crate::ocpp::types::DateTime;"
        );
        for (name, def) in &self.types {
            out.push('\n');
            match def {
                TypeDef::Struct(s) => emit_struct(&mut out, name, s),
                TypeDef::Enum(e) => emit_enum(&mut out, name, e),
            }
        }
        emit_dispatch(&mut out, messages);
        out
    }
}

fn doc_of(node: &Value) -> Option<String> {
    node.get("description")
        .and_then(Value::as_str)
        .map(|d| d.replace("\r\n", "\n").trim().to_string())
        .filter(|d| !d.is_empty())
}

fn emit_doc(out: &mut String, indent: &str, doc: &str) {
    for line in doc.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            // Rustdoc would read brackets and angle brackets in the specification's prose as
            // links and HTML.
            let line = line
                .replace('[', "\\[")
                .replace(']', "\\]")
                .replace('<', "\\<")
                .replace('>', "\\>");
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

fn rust_type(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Integer => "i64".into(),
        Ty::Number => "f64".into(),
        Ty::Boolean => "bool".into(),
        Ty::DateTime => "DateTime".into(),
        Ty::Named(n) => n.clone(),
        Ty::Array(t) => format!("Vec<{}>", rust_type(t)),
        Ty::Any => "serde_json::Value".into(),
    }
}

/// `chargingProfileId` → `charging_profile_id`, `EVSE` → `evse`, `type` → `r#type`.
fn field_name(json: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = json.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(*c);
        } else {
            out.push('_');
        }
    }
    match out.as_str() {
        "type" | "ref" | "use" | "async" | "match" | "mod" | "final" => format!("r#{out}"),
        _ => out,
    }
}

/// `Sample.Clock` → `SampleClock`, `L1-N` → `L1N`, `eMAID` → `EMaid`… kept readable: the
/// wire value's alphanumeric runs, each capitalised.
fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for run in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = run.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

fn emit_struct(out: &mut String, name: &str, s: &StructDef) {
    if let Some(doc) = &s.doc {
        emit_doc(out, "", doc);
    }
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]"
    );
    if !s.open {
        let _ = writeln!(out, "#[serde(deny_unknown_fields)]");
    }
    let _ = writeln!(out, "pub struct {name} {{");
    for f in &s.fields {
        if let Some(doc) = &f.doc {
            emit_doc(out, "    ", doc);
        }
        let ty = rust_type(&f.ty);
        // Integers take JSON Schema's view (3.0 is one): types::de_integer and kin.
        let integers = match &f.ty {
            Ty::Integer => Some("integer"),
            Ty::Array(t) if **t == Ty::Integer => Some("integers"),
            _ => None,
        };
        if f.required {
            let with = integers
                .map(|i| format!(", deserialize_with = \"crate::ocpp::types::de_{i}\""))
                .unwrap_or_default();
            let _ = writeln!(out, "    #[serde(rename = \"{}\"{with})]", f.json);
            let _ = writeln!(out, "    pub {}: {ty},", field_name(&f.json));
        } else {
            let with = integers
                .map(|i| format!(", deserialize_with = \"crate::ocpp::types::de_opt_{i}\""))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    #[serde(rename = \"{}\", default, skip_serializing_if = \"Option::is_none\"{with})]",
                f.json
            );
            let _ = writeln!(out, "    pub {}: Option<{ty}>,", field_name(&f.json));
        }
    }
    if s.open {
        let _ = writeln!(
            out,
            "    /// Properties the schema allows beyond the ones it names.\n    \
             #[serde(flatten)]\n    \
             pub other: serde_json::Map<String, serde_json::Value>,"
        );
    }
    let _ = writeln!(out, "}}");
}

fn emit_enum(out: &mut String, name: &str, e: &EnumDef) {
    if let Some(doc) = &e.doc {
        emit_doc(out, "", doc);
    }
    if !e.narrower.is_empty() {
        if e.doc.is_some() {
            let _ = writeln!(out, "///");
        }
        let _ = writeln!(
            out,
            "/// The union of its schemas' lists: narrower at {} (the validator holds each \
             message to its own).",
            e.narrower.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, \
         Deserialize)]\npub enum {name} {{"
    );
    for v in &e.values {
        let _ = writeln!(
            out,
            "    #[serde(rename = \"{v}\")]\n    {},",
            variant_name(v)
        );
    }
    let _ = writeln!(out, "}}\n\nimpl {name} {{");
    let _ = writeln!(
        out,
        "    pub const ALL: [{name}; {}] = [{}];",
        e.values.len(),
        e.values
            .iter()
            .map(|v| format!("{name}::{}", variant_name(v)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "\n    /// The value on the wire.\n    pub const fn as_str(self) -> &'static str {{\n        \
         match self {{"
    );
    for v in &e.values {
        let _ = writeln!(out, "            {name}::{} => \"{v}\",", variant_name(v));
    }
    let _ = writeln!(out, "        }}\n    }}\n}}");
}

fn emit_dispatch(out: &mut String, messages: &[(&str, Sender)]) {
    let _ = writeln!(
        out,
        "\n/// The actions of this version.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum Action {{"
    );
    for (a, _) in messages {
        let _ = writeln!(out, "    {a},");
    }
    let _ = writeln!(
        out,
        "}}\n\nimpl Action {{\n    pub const ALL: [Action; {}] = [{}];\n",
        messages.len(),
        messages
            .iter()
            .map(|(a, _)| format!("Action::{a}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "    /// The action's name on the wire.\n    pub const fn as_str(self) -> &'static str {{\n        \
         match self {{"
    );
    for (a, _) in messages {
        let _ = writeln!(out, "            Action::{a} => \"{a}\",");
    }
    let _ = writeln!(
        out,
        "        }}\n    }}\n\n    /// The action called `name` (case-sensitive, as the \
         specification is).\n    pub fn from_name(name: &str) -> Option<Action> {{\n        \
         match name {{"
    );
    for (a, _) in messages {
        let _ = writeln!(out, "            \"{a}\" => Some(Action::{a}),");
    }
    let _ = writeln!(
        out,
        "            _ => None,\n        }}\n    }}\n\n    /// Who sends its CALL.\n    \
         pub const fn sender(self) -> crate::ocpp::Sender {{\n        match self {{"
    );
    for (a, sender) in messages {
        let s = match sender {
            Sender::ChargingStation => "ChargingStation",
            Sender::Csms => "Csms",
            Sender::Either => "Either",
        };
        let _ = writeln!(out, "            Action::{a} => crate::ocpp::Sender::{s},");
    }
    let _ = writeln!(out, "        }}\n    }}\n}}");
    for (kind, doc) in [
        ("Request", "A CALL's payload, by action."),
        ("Response", "A CALLRESULT's payload, by action."),
    ] {
        let _ = writeln!(
            out,
            "\n/// {doc}\n#[derive(Debug, Clone, PartialEq)]\npub enum {kind} {{"
        );
        for (a, _) in messages {
            let _ = writeln!(out, "    {a}({a}{kind}),");
        }
        let _ = writeln!(
            out,
            "}}\n\nimpl {kind} {{\n    pub const fn action(&self) -> Action {{\n        match self {{"
        );
        for (a, _) in messages {
            let _ = writeln!(out, "            {kind}::{a}(_) => Action::{a},");
        }
        let _ = writeln!(
            out,
            "        }}\n    }}\n\n    /// `payload` as `action`'s {}: call it on a payload its \
             schema accepted.\n    pub fn from_payload(action: Action, payload: serde_json::Value) \
             -> Result<{kind}, serde_json::Error> {{\n        Ok(match action {{",
            kind.to_lowercase()
        );
        for (a, _) in messages {
            let _ = writeln!(
                out,
                "            Action::{a} => {kind}::{a}(serde_json::from_value(payload)?),"
            );
        }
        let _ = writeln!(
            out,
            "        }})\n    }}\n\n    /// The payload on the wire.\n    pub fn to_payload(&self) \
             -> Result<serde_json::Value, serde_json::Error> {{\n        match self {{"
        );
        for (a, _) in messages {
            let _ = writeln!(
                out,
                "            {kind}::{a}(m) => serde_json::to_value(m),"
            );
        }
        let _ = writeln!(out, "        }}\n    }}\n}}");
        for (a, _) in messages {
            let _ = writeln!(
                out,
                "\nimpl From<{a}{kind}> for {kind} {{\n    fn from(m: {a}{kind}) -> {kind} {{\n        \
                 {kind}::{a}(m)\n    }}\n}}"
            );
        }
    }
}

/// The OCPP 1.6 specification's name (section 7, "Types") of the inline enum or object at
/// `path` of message `message`, where the draft-04 schemas leave it unnamed.
pub fn v16_inline_name(message: &str, path: &str) -> Option<&'static str> {
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]");
    let by_place = match (message, last) {
        ("BootNotificationResponse", "status") => Some("RegistrationStatus"),
        ("CancelReservationResponse", "status") => Some("CancelReservationStatus"),
        ("ChangeAvailabilityRequest", "type") => Some("AvailabilityType"),
        ("ChangeAvailabilityResponse", "status") => Some("AvailabilityStatus"),
        ("ChangeConfigurationResponse", "status") => Some("ConfigurationStatus"),
        ("ClearCacheResponse", "status") => Some("ClearCacheStatus"),
        ("ClearChargingProfileResponse", "status") => Some("ClearChargingProfileStatus"),
        ("DataTransferResponse", "status") => Some("DataTransferStatus"),
        ("DiagnosticsStatusNotificationRequest", "status") => Some("DiagnosticsStatus"),
        ("FirmwareStatusNotificationRequest", "status") => Some("FirmwareStatus"),
        ("GetCompositeScheduleResponse", "status") => Some("GetCompositeScheduleStatus"),
        ("RemoteStartTransactionResponse" | "RemoteStopTransactionResponse", "status") => {
            Some("RemoteStartStopStatus")
        }
        ("ReserveNowResponse", "status") => Some("ReservationStatus"),
        ("ResetRequest", "type") => Some("ResetType"),
        ("ResetResponse", "status") => Some("ResetStatus"),
        ("SendLocalListResponse", "status") => Some("UpdateStatus"),
        ("SetChargingProfileResponse", "status") => Some("ChargingProfileStatus"),
        ("StatusNotificationRequest", "status") => Some("ChargePointStatus"),
        ("TriggerMessageResponse", "status") => Some("TriggerMessageStatus"),
        ("UnlockConnectorResponse", "status") => Some("UnlockStatus"),
        _ => None,
    };
    by_place.or(match last {
        "idTagInfo" => Some("IdTagInfo"),
        // Inside an IdTagInfo, wherever it is.
        "status" if path.ends_with("idTagInfo.status") => Some("AuthorizationStatus"),
        "chargingProfile" | "csChargingProfiles" => Some("ChargingProfile"),
        "chargingProfilePurpose" => Some("ChargingProfilePurposeType"),
        "chargingProfileKind" => Some("ChargingProfileKindType"),
        "recurrencyKind" => Some("RecurrencyKindType"),
        "chargingSchedule" => Some("ChargingSchedule"),
        "chargingSchedulePeriod" => Some("ChargingSchedulePeriod"),
        "chargingRateUnit" => Some("ChargingRateUnitType"),
        "configurationKey" => Some("KeyValue"),
        "meterValue" | "transactionData" => Some("MeterValue"),
        "sampledValue" => Some("SampledValue"),
        "context" => Some("ReadingContext"),
        "format" => Some("ValueFormat"),
        "measurand" => Some("Measurand"),
        "phase" => Some("Phase"),
        "location" => Some("Location"),
        "unit" => Some("UnitOfMeasure"),
        "localAuthorizationList" => Some("AuthorizationData"),
        "updateType" => Some("UpdateType"),
        "errorCode" => Some("ChargePointErrorCode"),
        "reason" if message == "StopTransactionRequest" => Some("Reason"),
        "requestedMessage" if message == "TriggerMessageRequest" => Some("MessageTrigger"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        assert_eq!(field_name("chargingProfileId"), "charging_profile_id");
        assert_eq!(field_name("evseId"), "evse_id");
        assert_eq!(field_name("EVSE"), "evse");
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("idTag"), "id_tag");
        assert_eq!(
            field_name("chargeBoxSerialNumber"),
            "charge_box_serial_number"
        );
        assert_eq!(field_name("iccid"), "iccid");
        assert_eq!(field_name("maxIdTagLength"), "max_id_tag_length");
        assert_eq!(variant_name("Sample.Clock"), "SampleClock");
        assert_eq!(variant_name("L1-N"), "L1N");
        assert_eq!(variant_name("eMAID"), "EMAID");
        assert_eq!(variant_name("kWh"), "KWh");
    }
}
