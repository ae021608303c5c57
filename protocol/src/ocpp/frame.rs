//! OCPP-J frames: the JSON arrays every OCPP message travels in, and the RPC error codes.
//!
//! ```text
//! CALL        [2, "<MessageId>", "<Action>", {<Payload>}]
//! CALLRESULT  [3, "<MessageId>", {<Payload>}]
//! CALLERROR   [4, "<MessageId>", "<errorCode>", "<errorDescription>", {<errorDetails>}]
//! ```
//!
//! The framing is the same in OCPP-J 1.6 (§4) and OCPP 2.0.1 (Part 4 §4); only the spelling of
//! two error codes differs, and 2.0.1 adds two codes. [`Frame::parse`] is version-agnostic and
//! reads both spellings; [`Frame::to_text`] writes the spelling of the version spoken on the
//! connection. Parsing is strict about the frame (element count and types, message id of at most
//! 36 characters) and leaves the payload to [`super::validate`]: a CALL whose payload is not an
//! object parses, and is answered with a FormatViolation after validation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// Longest message id either version allows ("maximum of 36 characters, to allow for GUIDs").
pub const MAX_MESSAGE_ID_LEN: usize = 36;
/// Longest `errorDescription` 2.0.1 allows; we keep to it in 1.6 too.
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 255;

/// The OCPP version spoken on a connection, chosen by the WebSocket subprotocol (and so
/// spelled when stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OcppVersion {
    /// OCPP 1.6J, subprotocol `ocpp1.6`.
    #[serde(rename = "ocpp1.6")]
    V16,
    /// OCPP 2.0.1, subprotocol `ocpp2.0.1`.
    #[serde(rename = "ocpp2.0.1")]
    V201,
}

impl OcppVersion {
    /// The WebSocket subprotocol name.
    pub const fn subprotocol(self) -> &'static str {
        match self {
            OcppVersion::V16 => "ocpp1.6",
            OcppVersion::V201 => "ocpp2.0.1",
        }
    }

    /// The version a negotiated WebSocket subprotocol stands for.
    pub fn from_subprotocol(name: &str) -> Option<OcppVersion> {
        match name {
            "ocpp1.6" => Some(OcppVersion::V16),
            "ocpp2.0.1" => Some(OcppVersion::V201),
            _ => None,
        }
    }
}

impl fmt::Display for OcppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.subprotocol())
    }
}

/// The `errorCode` of a CALLERROR, independent of spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcErrorCode {
    /// The action is not known by the receiver.
    NotImplemented,
    /// The action is recognised but not supported by the receiver.
    NotSupported,
    /// The receiver failed internally while processing the action.
    InternalError,
    /// 1.6: the payload is incomplete; 2.0.1: the payload does not conform to the PDU structure.
    ProtocolError,
    /// A security issue prevented the receiver from completing the action.
    SecurityError,
    /// The payload is syntactically incorrect. Spelled `FormationViolation` in 1.6 and
    /// `FormatViolation` in 2.0.1.
    FormatViolation,
    /// A field holds an invalid value (length, enumeration, range, multiple).
    PropertyConstraintViolation,
    /// A field occurs too often or too rarely (a required field is missing). Spelled
    /// `OccurenceConstraintViolation` in 1.6 and `OccurrenceConstraintViolation` in 2.0.1.
    OccurrenceConstraintViolation,
    /// A field has the wrong data type (e.g. `"somestring": 12`).
    TypeConstraintViolation,
    /// Anything not covered by the other codes.
    GenericError,
    /// 2.0.1 only: a MessageTypeId this implementation does not support.
    MessageTypeNotSupported,
    /// 2.0.1 only: the frame is not a valid RPC request (e.g. its message id cannot be read).
    RpcFrameworkError,
}

impl RpcErrorCode {
    /// Every code, for exhaustive tests.
    pub const ALL: [RpcErrorCode; 12] = [
        RpcErrorCode::NotImplemented,
        RpcErrorCode::NotSupported,
        RpcErrorCode::InternalError,
        RpcErrorCode::ProtocolError,
        RpcErrorCode::SecurityError,
        RpcErrorCode::FormatViolation,
        RpcErrorCode::PropertyConstraintViolation,
        RpcErrorCode::OccurrenceConstraintViolation,
        RpcErrorCode::TypeConstraintViolation,
        RpcErrorCode::GenericError,
        RpcErrorCode::MessageTypeNotSupported,
        RpcErrorCode::RpcFrameworkError,
    ];

    /// The code as spelled on the wire in `version`.
    ///
    /// 1.6 has no `MessageTypeNotSupported` nor `RpcFrameworkError`: both are sent as
    /// `FormationViolation` ("syntactically incorrect or not conform the PDU structure"), the
    /// closest 1.6 code, so a 1.6 peer never receives a code it does not know.
    pub const fn as_str(self, version: OcppVersion) -> &'static str {
        use RpcErrorCode::*;
        match (self, version) {
            (NotImplemented, _) => "NotImplemented",
            (NotSupported, _) => "NotSupported",
            (InternalError, _) => "InternalError",
            (ProtocolError, _) => "ProtocolError",
            (SecurityError, _) => "SecurityError",
            (PropertyConstraintViolation, _) => "PropertyConstraintViolation",
            (TypeConstraintViolation, _) => "TypeConstraintViolation",
            (GenericError, _) => "GenericError",
            (OccurrenceConstraintViolation, OcppVersion::V16) => "OccurenceConstraintViolation",
            (OccurrenceConstraintViolation, OcppVersion::V201) => "OccurrenceConstraintViolation",
            (FormatViolation | MessageTypeNotSupported | RpcFrameworkError, OcppVersion::V16) => {
                "FormationViolation"
            }
            (FormatViolation, OcppVersion::V201) => "FormatViolation",
            (MessageTypeNotSupported, OcppVersion::V201) => "MessageTypeNotSupported",
            (RpcFrameworkError, OcppVersion::V201) => "RpcFrameworkError",
        }
    }

    /// Whether `version` defines this code (as opposed to substituting another for it).
    pub const fn is_defined_in(self, version: OcppVersion) -> bool {
        !matches!(
            (self, version),
            (
                RpcErrorCode::MessageTypeNotSupported | RpcErrorCode::RpcFrameworkError,
                OcppVersion::V16
            )
        )
    }

    /// Reads a code in either version's spelling: peers mix them up (the Python `ocpp` library
    /// answers `FormatViolation` on 1.6), and a CALLERROR is worth understanding either way.
    pub fn parse(text: &str) -> Option<RpcErrorCode> {
        use RpcErrorCode::*;
        Some(match text {
            "NotImplemented" => NotImplemented,
            "NotSupported" => NotSupported,
            "InternalError" => InternalError,
            "ProtocolError" => ProtocolError,
            "SecurityError" => SecurityError,
            "FormationViolation" | "FormatViolation" => FormatViolation,
            "PropertyConstraintViolation" => PropertyConstraintViolation,
            "OccurenceConstraintViolation" | "OccurrenceConstraintViolation" => {
                OccurrenceConstraintViolation
            }
            "TypeConstraintViolation" => TypeConstraintViolation,
            "GenericError" => GenericError,
            "MessageTypeNotSupported" => MessageTypeNotSupported,
            "RpcFrameworkError" => RpcFrameworkError,
            _ => return None,
        })
    }
}

impl FromStr for RpcErrorCode {
    type Err = FrameErrorKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RpcErrorCode::parse(s).ok_or_else(|| FrameErrorKind::UnknownErrorCode(s.to_owned()))
    }
}

impl fmt::Display for RpcErrorCode {
    /// The 2.0.1 spelling, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str(OcppVersion::V201))
    }
}

/// The id correlating a CALL with its CALLRESULT or CALLERROR.
///
/// Ids we generate are UUIDs (36 characters). Ids we receive are checked by [`Frame::parse`]
/// to be strings of at most [`MAX_MESSAGE_ID_LEN`] characters; a `MessageId` built with
/// [`MessageId::new`] is not checked, so that a reply can echo whatever id the peer sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// The id 2.0.1 answers with when the offending message's id cannot be read.
    pub const UNKNOWN: &'static str = "-1";

    pub fn new(id: impl Into<String>) -> Self {
        MessageId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for MessageId {
    fn from(id: &str) -> Self {
        MessageId(id.to_owned())
    }
}

impl PartialEq<str> for MessageId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for MessageId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// MessageTypeId of a CALL.
pub const CALL: i64 = 2;
/// MessageTypeId of a CALLRESULT.
pub const CALLRESULT: i64 = 3;
/// MessageTypeId of a CALLERROR.
pub const CALLERROR: i64 = 4;

/// One OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request. The payload is any JSON value here; it is checked against the action's schema
    /// by the endpoint, not by the framing.
    Call {
        id: MessageId,
        action: String,
        payload: Value,
    },
    /// The successful answer to the CALL with the same id.
    CallResult { id: MessageId, payload: Value },
    /// The failed answer to the CALL with the same id.
    CallError {
        id: MessageId,
        code: RpcErrorCode,
        description: String,
        /// Free-form; `{}` when there is nothing to add. Accepted whatever its type.
        details: Value,
    },
}

impl Frame {
    /// Reads one WebSocket text message.
    ///
    /// On failure the error carries whatever could still be read — the MessageTypeId and the
    /// message id — because that decides whether and how the frame is answered.
    pub fn parse(text: &str) -> Result<Frame, FrameError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| FrameError::bare(FrameErrorKind::NotJson(e.to_string())))?;
        let Value::Array(elements) = value else {
            return Err(FrameError::bare(FrameErrorKind::NotArray));
        };

        // Read what identifies the frame before judging it, so that errors can be correlated.
        let message_id = match elements.get(1) {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        };
        let message_type = elements.first().and_then(Value::as_i64);
        let fail = |kind| FrameError {
            kind,
            message_type,
            message_id: message_id.clone(),
        };

        let Some(type_id) = message_type else {
            return Err(fail(FrameErrorKind::MissingMessageType));
        };
        let (what, expected) = match type_id {
            CALL => ("CALL", 4),
            CALLRESULT => ("CALLRESULT", 3),
            CALLERROR => ("CALLERROR", 5),
            other => return Err(fail(FrameErrorKind::UnsupportedMessageType(other))),
        };
        let Some(id) = message_id.as_deref() else {
            return Err(fail(FrameErrorKind::MissingMessageId));
        };
        let id_len = id.chars().count();
        if id_len > MAX_MESSAGE_ID_LEN {
            return Err(fail(FrameErrorKind::MessageIdTooLong(id_len)));
        }
        if elements.len() != expected {
            return Err(fail(FrameErrorKind::WrongLength {
                what,
                expected,
                found: elements.len(),
            }));
        }

        let id = MessageId::new(id);
        let mut rest = elements.into_iter().skip(2);
        let mut next = || rest.next().unwrap_or(Value::Null);
        match type_id {
            CALL => {
                let Value::String(action) = next() else {
                    return Err(fail(FrameErrorKind::NotAString("action")));
                };
                Ok(Frame::Call {
                    id,
                    action,
                    payload: next(),
                })
            }
            CALLRESULT => Ok(Frame::CallResult {
                id,
                payload: next(),
            }),
            _ => {
                let Value::String(code) = next() else {
                    return Err(fail(FrameErrorKind::NotAString("errorCode")));
                };
                let Value::String(description) = next() else {
                    return Err(fail(FrameErrorKind::NotAString("errorDescription")));
                };
                let code = code.parse().map_err(fail)?;
                Ok(Frame::CallError {
                    id,
                    code,
                    description,
                    details: next(),
                })
            }
        }
    }

    /// The frame as a WebSocket text message, with error codes spelled for `version`.
    /// Error descriptions are cut to [`MAX_ERROR_DESCRIPTION_LEN`] characters.
    pub fn to_text(&self, version: OcppVersion) -> String {
        // Serializing strings and `Value`s cannot fail (object keys are always strings), so the
        // empty-string fallback is never taken.
        let text = match self {
            Frame::Call {
                id,
                action,
                payload,
            } => return encode_call(id, action, payload),
            Frame::CallResult { id, payload } => serde_json::to_string(&(CALLRESULT, id, payload)),
            Frame::CallError {
                id,
                code,
                description,
                details,
            } => serde_json::to_string(&(
                CALLERROR,
                id,
                code.as_str(version),
                truncate_chars(description, MAX_ERROR_DESCRIPTION_LEN),
                details,
            )),
        };
        text.unwrap_or_default()
    }

    /// The message id, whatever the frame type.
    pub fn id(&self) -> &MessageId {
        match self {
            Frame::Call { id, .. } | Frame::CallResult { id, .. } | Frame::CallError { id, .. } => {
                id
            }
        }
    }
}

/// A CALL as text, without building a [`Frame`] (and cloning the payload) first.
pub(crate) fn encode_call(id: &MessageId, action: &str, payload: &Value) -> String {
    // Cannot fail: see `Frame::to_text`.
    serde_json::to_string(&(CALL, id, action, payload)).unwrap_or_default()
}

/// At most `max` characters of `text`, cut at a character boundary.
pub(crate) fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// A text message that is not a valid OCPP-J frame, with what could be read of it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind}")]
pub struct FrameError {
    pub kind: FrameErrorKind,
    /// The MessageTypeId, if the first element is an integer.
    pub message_type: Option<i64>,
    /// The message id, if the second element is a string (of any length).
    pub message_id: Option<String>,
}

impl FrameError {
    fn bare(kind: FrameErrorKind) -> Self {
        FrameError {
            kind,
            message_type: None,
            message_id: None,
        }
    }
}

/// What is wrong with a frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameErrorKind {
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("not a JSON array")]
    NotArray,
    #[error("the first element is not an integer MessageTypeId")]
    MissingMessageType,
    #[error("MessageTypeId {0} is not supported")]
    UnsupportedMessageType(i64),
    #[error("the message id is missing or not a string")]
    MissingMessageId,
    #[error("the message id has {0} characters, more than 36")]
    MessageIdTooLong(usize),
    #[error("a {what} has {expected} elements, this one has {found}")]
    WrongLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("the {0} is not a string")]
    NotAString(&'static str),
    #[error("unknown error code {0:?}")]
    UnknownErrorCode(String),
    #[error("the frame has {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
}

/// Reads the MessageTypeId and message id from the start of a frame without parsing the rest:
/// used for frames over the size limit, which are not parsed at all. Only plain ids (no escape
/// sequences) are read; anything unusual reads as `None`.
pub(crate) fn peek_header(text: &str) -> (Option<i64>, Option<String>) {
    const WINDOW: usize = 128;
    let head = truncate_chars(text, WINDOW);
    let rest = head.trim_start();
    let Some(rest) = rest.strip_prefix('[') else {
        return (None, None);
    };
    let rest = rest.trim_start();
    let digits = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    let Ok(type_id) = rest[..digits].parse::<i64>() else {
        return (None, None);
    };
    // "[2.5, …" or "[2]" is not a readable header.
    let Some(after) = rest[digits..].trim_start().strip_prefix(',') else {
        return (None, None);
    };
    let id = Some(after.trim_start())
        .and_then(|s| s.strip_prefix('"'))
        .and_then(|s| s.find(['"', '\\']).map(|end| (s, end)))
        .and_then(|(s, end)| (s.as_bytes().get(end) == Some(&b'"')).then(|| s[..end].to_owned()));
    (Some(type_id), id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peeks_type_and_id() {
        assert_eq!(
            peek_header(r#" [ 2 , "abc", "Heartbeat", {}]"#),
            (Some(2), Some("abc".to_owned()))
        );
        assert_eq!(peek_header(r#"[3,"a\"b",{}]"#), (Some(3), None));
        assert_eq!(peek_header(r#"[3,17,{}]"#), (Some(3), None));
        assert_eq!(peek_header(r#"{"a":1}"#), (None, None));
        assert_eq!(peek_header("[x"), (None, None));
        assert_eq!(peek_header(r#"[-5,"q"]"#), (Some(-5), Some("q".to_owned())));
    }

    #[test]
    fn truncates_at_char_boundary() {
        assert_eq!(truncate_chars("äöü", 2), "äö");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
