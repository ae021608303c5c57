//! The OCPP-J RPC endpoint: one per WebSocket connection, sans-IO.
//!
//! The shell feeds it every text message ([`RpcEndpoint::handle_text`]) and the clock
//! ([`RpcEndpoint::update`]), sends what [`RpcEndpoint::poll_transmit`] hands out, wakes it at
//! [`RpcEndpoint::poll_timeout`], and passes [`RpcEvent`]s to the OCPP application, which
//! answers incoming CALLs with [`RpcEndpoint::respond`] / [`RpcEndpoint::respond_error`] and
//! sends its own with [`RpcEndpoint::call`].
//!
//! # Rules enforced here
//!
//! * **One outstanding CALL of ours.** Further calls wait in order and go out one at a time,
//!   each when the previous one was answered (CALLRESULT or CALLERROR) or timed out. The call
//!   timeout runs from the moment the frame is handed to the shell.
//! * **Correlation.** A CALLRESULT or CALLERROR concludes our outstanding CALL only if its id
//!   matches. Anything else — a late answer after a timeout, a duplicate, an id we never used —
//!   is reported as [`RpcEvent::Ignored`] and changes nothing: neither version lets us answer a
//!   CALLRESULT or CALLERROR.
//! * **Incoming CALLs are checked before the application sees them**: known action (else
//!   NotImplemented), one the peer may send and we support (else NotSupported), payload valid
//!   against the official schema (else the code of [`super::validate`]). Only valid calls reach
//!   the application as [`RpcEvent::IncomingCall`]; the others are answered here and reported
//!   as [`RpcEvent::Rejected`] for the log.
//! * **Answers to our CALLs are validated too.** An invalid CALLRESULT concludes the call as
//!   [`RpcEvent::InvalidResult`] (with the payload, so the application may still use a result
//!   that is only slightly off, or log it).
//! * **Every incoming frame yields exactly one event and at most one frame in reply.** (If the
//!   application leaves 256 events undrained, further log-only events — `Ignored`, `Rejected` —
//!   are dropped rather than grow memory.)
//!
//! # Bad input, per version
//!
//! | input | 1.6 | 2.0.1 |
//! |---|---|---|
//! | not JSON, not an array, or no readable message id | ignored (nothing to correlate an answer with; the spec defines no answer) | CALLERROR RpcFrameworkError, id `-1` (Part 4) |
//! | MessageTypeId not an integer (id readable) | CALLERROR FormationViolation | CALLERROR RpcFrameworkError |
//! | unknown MessageTypeId (e.g. 5, 6 of OCPP 2.1) | CALLERROR FormationViolation | CALLERROR MessageTypeNotSupported |
//! | CALL with the wrong number of elements, action not a string, id over 36 characters | CALLERROR FormationViolation | CALLERROR RpcFrameworkError |
//! | CALL with an unknown action | NotImplemented | NotImplemented |
//! | CALL with an action the peer may not send, or that we do not support | NotSupported | NotSupported |
//! | CALL whose payload breaks the schema | per [`super::validate`] | per [`super::validate`] |
//! | frame over [`RpcConfig::max_frame_bytes`] (not parsed) | FormationViolation with its id, ignored if the id cannot be read | FormatViolation with its id, or `-1` |
//! | CALLRESULT / CALLERROR, well-formed or not, matching nothing | ignored | ignored |
//! | malformed CALLRESULT / CALLERROR matching our CALL | concludes it (InvalidResult / Error) | same |
//!
//! Replies to unreadable frames carry the id when it can be read (even one over 36 characters:
//! the peer needs it to correlate), else `-1` in 2.0.1. A frame over the size limit is never
//! parsed: its MessageTypeId and id are read from its first bytes only.
//!
//! A second CALL from the peer while one is still being processed is accepted (the sender
//! should not do this, but some CSMSs pipeline ChangeConfiguration or SetVariables, and
//! refusing would lose settings); up to [`RpcConfig::max_pending_incoming`] are tracked and
//! each is answered by its id. A CALL that reuses the id of one still being processed is a
//! retransmission: ignored, the pending answer serves both.
//!
//! # Message ids
//!
//! UUID version 4 strings from a SplitMix64 generator seeded with [`RpcConfig::id_seed`]: no
//! global state, deterministic in tests. The shell seeds it from the operating system's
//! randomness so ids differ across connections and restarts (uniqueness per connection is what
//! the specifications require; across restarts it keeps CSMS logs unambiguous).

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use serde_json::{Map, Value};
use thiserror::Error;

use super::catalog::{self, MessageKind, Role, SchemaSet};
use super::frame::{
    encode_call, peek_header, Frame, FrameError, FrameErrorKind, MessageId, OcppVersion,
    RpcErrorCode, CALLERROR, CALLRESULT,
};
use super::validate::{SchemaError, Violation};
use crate::time::Timestamp;

/// Bound on undrained events, so a flood of bad frames cannot grow memory when the application
/// is slow to poll; only `Ignored` and `Rejected` (log-only) events are dropped at the bound.
const EVENT_QUEUE_LIMIT: usize = 256;
/// Bound on undrained replies; at the bound, the CALLERRORs we make ourselves are dropped (and
/// reported as `Ignored`). Answers the application gives are always queued.
const TRANSMIT_QUEUE_LIMIT: usize = 256;

/// How an endpoint behaves. `Default` suits a charging station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Our side of the connection.
    pub role: Role,
    /// How long we wait for the answer to our CALL (2.0.1's `MessageTimeout`; 1.6 leaves it to
    /// the implementation). Default 30 s.
    pub call_timeout: Duration,
    /// Frames longer than this (in bytes) are not parsed (see the module docs). Default
    /// 256 KiB: a 1.6 SendLocalList of a few thousand entries fits.
    pub max_frame_bytes: usize,
    /// Calls waiting behind the outstanding one; [`RpcEndpoint::call`] refuses beyond this.
    /// The durable outbox is the application's; this bounds memory. Default 1000.
    pub max_queued_calls: usize,
    /// Incoming CALLs awaiting the application's answer. Beyond this a CALL is answered with
    /// GenericError. Default 8.
    pub max_pending_incoming: usize,
    /// Incoming actions passed to the application; the others are answered NotSupported.
    /// `None`: every action the version lets the peer send.
    pub supported_actions: Option<BTreeSet<String>>,
    /// Check our own CALL and CALLRESULT payloads against the schemas before sending them, so
    /// that we never send what we would refuse (e.g. a charging limit of 31.900000000000002).
    /// Default on.
    pub validate_outgoing: bool,
    /// Seed of the message-id generator.
    pub id_seed: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            role: Role::ChargingStation,
            call_timeout: Duration::from_secs(30),
            max_frame_bytes: 256 * 1024,
            max_queued_calls: 1000,
            max_pending_incoming: 8,
            supported_actions: None,
            validate_outgoing: true,
            id_seed: 0,
        }
    }
}

/// What happened on the connection, for the application (and its log).
#[derive(Debug, Clone, PartialEq)]
pub enum RpcEvent {
    /// A valid CALL from the peer. Answer it with [`RpcEndpoint::respond`] or
    /// [`RpcEndpoint::respond_error`].
    IncomingCall {
        id: MessageId,
        action: String,
        payload: Value,
    },
    /// The valid CALLRESULT to our CALL.
    Result {
        id: MessageId,
        action: String,
        payload: Value,
    },
    /// The peer answered our CALL with a CALLERROR (or a malformed one: then `GenericError`
    /// and a description saying what was wrong).
    Error {
        id: MessageId,
        action: String,
        code: RpcErrorCode,
        description: String,
        details: Value,
    },
    /// The peer answered our CALL with a CALLRESULT that breaks the response schema, or that
    /// could not be read (then `payload` is null). The call is concluded.
    InvalidResult {
        id: MessageId,
        action: String,
        code: RpcErrorCode,
        description: String,
        payload: Value,
    },
    /// No answer to our CALL within [`RpcConfig::call_timeout`]. The call is concluded; the
    /// next one goes out.
    Timeout { id: MessageId, action: String },
    /// We answered an incoming frame with a CALLERROR ourselves. For the log.
    Rejected {
        id: MessageId,
        action: Option<String>,
        code: RpcErrorCode,
        description: String,
    },
    /// An incoming frame that was dropped without an answer and changed nothing. For the log.
    Ignored { why: IgnoreReason },
}

/// Why an incoming frame was ignored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IgnoreReason {
    /// 1.6: not parsable and its id cannot be read, so there is nothing to answer to.
    #[error("unparsable frame: {0}")]
    Unparsable(FrameError),
    /// A CALLRESULT whose id is not that of our outstanding CALL (late, duplicated, bogus).
    #[error("CALLRESULT {id} matches no outstanding CALL")]
    UnmatchedResult { id: MessageId },
    /// A CALLERROR whose id is not that of our outstanding CALL.
    #[error("CALLERROR {id} ({code}: {description}) matches no outstanding CALL")]
    UnmatchedError {
        id: MessageId,
        code: RpcErrorCode,
        description: String,
    },
    /// A malformed CALLRESULT or CALLERROR that matches no outstanding CALL.
    #[error("malformed answer matching no outstanding CALL: {0}")]
    MalformedAnswer(FrameError),
    /// A CALL reusing the id of one still being processed: a retransmission.
    #[error("CALL {id} ({action}) is already being processed")]
    DuplicateCall { id: MessageId, action: String },
    /// The reply to a bad frame could not be queued: the shell is not draining
    /// [`RpcEndpoint::poll_transmit`].
    #[error("transmit queue full; no reply to: {0}")]
    TransmitQueueFull(String),
}

/// Why the endpoint refused a request from the application.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RpcError {
    #[error("{version} defines no action {action:?}")]
    UnknownAction {
        version: OcppVersion,
        action: String,
    },
    #[error("{action} is not sent by the {role:?} side")]
    WrongDirection { action: String, role: Role },
    #[error("invalid {action} payload: {violation}")]
    InvalidPayload {
        action: String,
        violation: Violation,
    },
    #[error("{0} calls already queued")]
    QueueFull(usize),
    #[error("no incoming CALL {0} awaits an answer")]
    UnknownIncomingCall(MessageId),
    #[error("embedded schema does not compile: {0}")]
    Schema(#[from] SchemaError),
}

/// A call that was outstanding or queued when the connection was reset.
#[derive(Debug, Clone, PartialEq)]
pub struct AbortedCall {
    pub id: MessageId,
    pub action: String,
    pub payload: Value,
    /// The frame was handed to the shell: the peer may have received and acted on it.
    pub maybe_delivered: bool,
}

#[derive(Debug, Clone)]
struct Call {
    id: MessageId,
    action: String,
    payload: Value,
}

#[derive(Debug, Clone)]
struct Outstanding {
    call: Call,
    /// Set when the frame is handed to the shell.
    deadline: Option<Timestamp>,
}

#[derive(Debug, Clone)]
enum Outgoing {
    /// A CALLRESULT or CALLERROR.
    Reply(String),
    /// The CALL that is outstanding: its timeout starts when it is handed out.
    Call(String),
}

/// The RPC state of one connection. See the module documentation.
#[derive(Debug)]
pub struct RpcEndpoint {
    version: OcppVersion,
    config: RpcConfig,
    schemas: SchemaSet,
    ids: IdGenerator,
    outstanding: Option<Outstanding>,
    queue: VecDeque<Call>,
    /// Incoming CALLs awaiting the application's answer: (id, action), oldest first.
    pending_incoming: VecDeque<(MessageId, String)>,
    transmit: VecDeque<Outgoing>,
    events: VecDeque<RpcEvent>,
}

impl RpcEndpoint {
    pub fn new(version: OcppVersion, config: RpcConfig) -> Self {
        RpcEndpoint {
            version,
            schemas: SchemaSet::new(version),
            ids: IdGenerator::new(config.id_seed),
            config,
            outstanding: None,
            queue: VecDeque::new(),
            pending_incoming: VecDeque::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn version(&self) -> OcppVersion {
        self.version
    }

    pub fn config(&self) -> &RpcConfig {
        &self.config
    }

    /// Queues a CALL of ours and returns its id. It goes out when no other CALL of ours is
    /// outstanding; its answer comes back as an [`RpcEvent`] with this id.
    ///
    /// Refused if the version does not define the action, if our side does not send it, if the
    /// payload breaks the schema (with [`RpcConfig::validate_outgoing`]) or if the queue is
    /// full. Nothing changes when refused.
    pub fn call(&mut self, action: &str, payload: Value) -> Result<MessageId, RpcError> {
        let entry = catalog::find(self.version, action).ok_or_else(|| RpcError::UnknownAction {
            version: self.version,
            action: action.to_owned(),
        })?;
        if !entry.sender.allows(self.config.role) {
            return Err(RpcError::WrongDirection {
                action: action.to_owned(),
                role: self.config.role,
            });
        }
        if self.config.validate_outgoing {
            self.check_outgoing(action, MessageKind::Request, &payload)?;
        }
        if self.outstanding.is_some() && self.queue.len() >= self.config.max_queued_calls {
            return Err(RpcError::QueueFull(self.queue.len()));
        }
        let id = self.ids.next_id();
        self.queue.push_back(Call {
            id: id.clone(),
            action: entry.action.to_owned(),
            payload,
        });
        self.promote();
        Ok(id)
    }

    /// Answers the incoming CALL `id` with a CALLRESULT.
    ///
    /// With [`RpcConfig::validate_outgoing`], a payload that breaks the response schema is
    /// refused and the call stays pending (answer it with [`Self::respond_error`] instead).
    pub fn respond(&mut self, id: &MessageId, payload: Value) -> Result<(), RpcError> {
        let index = self.pending_index(id)?;
        if self.config.validate_outgoing {
            let action = self.pending_incoming[index].1.clone();
            self.check_outgoing(&action, MessageKind::Response, &payload)?;
        }
        self.pending_incoming.remove(index);
        let frame = Frame::CallResult {
            id: id.clone(),
            payload,
        };
        self.transmit
            .push_back(Outgoing::Reply(frame.to_text(self.version)));
        Ok(())
    }

    /// Answers the incoming CALL `id` with a CALLERROR. The description is cut to 255
    /// characters.
    pub fn respond_error(
        &mut self,
        id: &MessageId,
        code: RpcErrorCode,
        description: &str,
    ) -> Result<(), RpcError> {
        let index = self.pending_index(id)?;
        self.pending_incoming.remove(index);
        self.push_error(id.clone(), code, description);
        Ok(())
    }

    /// Processes one incoming WebSocket text message. See the module documentation for what is
    /// answered how. Always yields exactly one event.
    pub fn handle_text(&mut self, text: &str, now: Timestamp) {
        let _ = now; // Incoming frames need no clock today; kept for symmetry with the shells.
        if text.len() > self.config.max_frame_bytes {
            let (message_type, message_id) = peek_header(text);
            let error = FrameError {
                kind: FrameErrorKind::TooLarge {
                    size: text.len(),
                    limit: self.config.max_frame_bytes,
                },
                message_type,
                message_id,
            };
            self.handle_bad_frame(error);
            return;
        }
        match Frame::parse(text) {
            Ok(Frame::Call {
                id,
                action,
                payload,
            }) => self.handle_call(id, action, payload),
            Ok(Frame::CallResult { id, payload }) => self.handle_result(id, payload),
            Ok(Frame::CallError {
                id,
                code,
                description,
                details,
            }) => self.handle_error(id, code, description, details),
            Err(error) => self.handle_bad_frame(error),
        }
    }

    /// Advances the clock: concludes our outstanding CALL with [`RpcEvent::Timeout`] once its
    /// deadline has passed, and lets the next queued one go out.
    pub fn update(&mut self, now: Timestamp) {
        let expired = self
            .outstanding
            .as_ref()
            .and_then(|o| o.deadline)
            .is_some_and(|deadline| now >= deadline);
        if expired {
            if let Some(Outstanding { call, .. }) = self.outstanding.take() {
                self.push_event(RpcEvent::Timeout {
                    id: call.id,
                    action: call.action,
                });
            }
            self.promote();
        }
    }

    /// The next text message to send, if any. Replies go out in the order they were made;
    /// handing out our CALL starts its timeout at `now`.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<String> {
        match self.transmit.pop_front()? {
            Outgoing::Reply(text) => Some(text),
            Outgoing::Call(text) => {
                if let Some(outstanding) = &mut self.outstanding {
                    outstanding.deadline = Some(now + self.config.call_timeout);
                }
                Some(text)
            }
        }
    }

    /// The next event for the application, if any.
    pub fn poll_event(&mut self) -> Option<RpcEvent> {
        self.events.pop_front()
    }

    /// When [`Self::update`] must next be called: the outstanding CALL's deadline.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.outstanding.as_ref().and_then(|o| o.deadline)
    }

    /// Forgets the connection (call on disconnect, before reconnecting). Returns every call of
    /// ours that was outstanding or queued, in order, so the application can resubmit them —
    /// nothing is dropped silently. Incoming CALLs still pending are forgotten (their answers
    /// could not be delivered on a new connection; the peer times them out) and so are unsent
    /// replies. Undrained events are kept. Ids keep counting: a new connection never reuses
    /// an id of this one.
    #[must_use = "the aborted calls must be resubmitted or reported"]
    pub fn reset(&mut self) -> Vec<AbortedCall> {
        let mut aborted = Vec::with_capacity(self.queue.len() + 1);
        if let Some(Outstanding { call, deadline }) = self.outstanding.take() {
            aborted.push(AbortedCall {
                id: call.id,
                action: call.action,
                payload: call.payload,
                maybe_delivered: deadline.is_some(),
            });
        }
        aborted.extend(self.queue.drain(..).map(|call| AbortedCall {
            id: call.id,
            action: call.action,
            payload: call.payload,
            maybe_delivered: false,
        }));
        self.pending_incoming.clear();
        self.transmit.clear();
        aborted
    }

    /// Our outstanding CALL: (id, action).
    pub fn outstanding(&self) -> Option<(&MessageId, &str)> {
        self.outstanding
            .as_ref()
            .map(|o| (&o.call.id, o.call.action.as_str()))
    }

    /// Calls of ours waiting behind the outstanding one.
    pub fn queued_calls(&self) -> usize {
        self.queue.len()
    }

    /// Incoming CALLs awaiting the application's answer: (id, action), oldest first.
    pub fn pending_incoming(&self) -> impl Iterator<Item = (&MessageId, &str)> {
        self.pending_incoming.iter().map(|(id, a)| (id, a.as_str()))
    }

    // ---- incoming frames ----

    fn handle_call(&mut self, id: MessageId, action: String, payload: Value) {
        if self.pending_incoming.iter().any(|(p, _)| *p == id) {
            self.push_event(RpcEvent::Ignored {
                why: IgnoreReason::DuplicateCall { id, action },
            });
            return;
        }
        let Some(entry) = catalog::find(self.version, &action) else {
            let description = format!("{} defines no action {action:?}", self.version);
            self.reject(id, Some(action), RpcErrorCode::NotImplemented, description);
            return;
        };
        let peer = self.config.role.peer();
        if !entry.sender.allows(peer) {
            let description = format!("{action} is not sent by the {peer:?}");
            self.reject(id, Some(action), RpcErrorCode::NotSupported, description);
            return;
        }
        let supported = self
            .config
            .supported_actions
            .as_ref()
            .is_none_or(|set| set.contains(&action));
        if !supported {
            let description = format!("{action} is not supported");
            self.reject(id, Some(action), RpcErrorCode::NotSupported, description);
            return;
        }
        match self.schemas.get(&action, MessageKind::Request) {
            Ok(Some(schema)) => {
                if let Err(violation) = schema.validate(&payload) {
                    let code = violation.code();
                    self.reject(id, Some(action), code, violation.to_string());
                    return;
                }
            }
            // Unreachable with the embedded schemas (a unit test compiles them all); answered
            // rather than trusted if it ever happens.
            Ok(None) | Err(_) => {
                let description = format!("no usable schema for {action}");
                self.reject(id, Some(action), RpcErrorCode::InternalError, description);
                return;
            }
        }
        if self.pending_incoming.len() >= self.config.max_pending_incoming {
            let description = format!(
                "{} CALLs are already being processed",
                self.pending_incoming.len()
            );
            self.reject(id, Some(action), RpcErrorCode::GenericError, description);
            return;
        }
        self.pending_incoming
            .push_back((id.clone(), action.clone()));
        self.push_event(RpcEvent::IncomingCall {
            id,
            action,
            payload,
        });
    }

    fn handle_result(&mut self, id: MessageId, payload: Value) {
        let Some(call) = self.take_outstanding(&id) else {
            self.push_event(RpcEvent::Ignored {
                why: IgnoreReason::UnmatchedResult { id },
            });
            return;
        };
        let checked = match self.schemas.get(&call.action, MessageKind::Response) {
            Ok(Some(schema)) => schema
                .validate(&payload)
                .map_err(|v| (v.code(), v.to_string())),
            Ok(None) | Err(_) => Err((
                RpcErrorCode::InternalError,
                format!("no usable schema for {}", call.action),
            )),
        };
        let event = match checked {
            Ok(()) => RpcEvent::Result {
                id,
                action: call.action,
                payload,
            },
            Err((code, description)) => RpcEvent::InvalidResult {
                id,
                action: call.action,
                code,
                description,
                payload,
            },
        };
        self.push_event(event);
        self.promote();
    }

    fn handle_error(
        &mut self,
        id: MessageId,
        code: RpcErrorCode,
        description: String,
        details: Value,
    ) {
        let Some(call) = self.take_outstanding(&id) else {
            self.push_event(RpcEvent::Ignored {
                why: IgnoreReason::UnmatchedError {
                    id,
                    code,
                    description,
                },
            });
            return;
        };
        self.push_event(RpcEvent::Error {
            id,
            action: call.action,
            code,
            description,
            details,
        });
        self.promote();
    }

    fn handle_bad_frame(&mut self, error: FrameError) {
        // Answers are never answered: a bad CALLRESULT/CALLERROR either concludes our call or
        // is dropped.
        if matches!(error.message_type, Some(CALLRESULT | CALLERROR)) {
            let matched = error
                .message_id
                .as_deref()
                .and_then(|id| self.take_outstanding(&MessageId::new(id)));
            match matched {
                Some(call) => {
                    let event = if error.message_type == Some(CALLRESULT) {
                        RpcEvent::InvalidResult {
                            id: call.id,
                            action: call.action,
                            code: RpcErrorCode::FormatViolation,
                            description: error.to_string(),
                            payload: Value::Null,
                        }
                    } else {
                        RpcEvent::Error {
                            id: call.id,
                            action: call.action,
                            code: RpcErrorCode::GenericError,
                            description: format!("malformed CALLERROR: {error}"),
                            details: Value::Object(Map::new()),
                        }
                    };
                    self.push_event(event);
                    self.promote();
                }
                None => self.push_event(RpcEvent::Ignored {
                    why: IgnoreReason::MalformedAnswer(error),
                }),
            }
            return;
        }

        let code = match error.kind {
            FrameErrorKind::UnsupportedMessageType(_) => RpcErrorCode::MessageTypeNotSupported,
            FrameErrorKind::TooLarge { .. } => RpcErrorCode::FormatViolation,
            _ => RpcErrorCode::RpcFrameworkError,
        };
        let id = match (&error.message_id, self.version) {
            (Some(id), _) => MessageId::new(id.as_str()),
            (None, OcppVersion::V201) => MessageId::new(MessageId::UNKNOWN),
            (None, OcppVersion::V16) => {
                self.push_event(RpcEvent::Ignored {
                    why: IgnoreReason::Unparsable(error),
                });
                return;
            }
        };
        self.reject(id, None, code, error.to_string());
    }

    // ---- helpers ----

    /// Answers an incoming frame with a CALLERROR and reports it.
    fn reject(
        &mut self,
        id: MessageId,
        action: Option<String>,
        code: RpcErrorCode,
        description: String,
    ) {
        if self.transmit.len() >= TRANSMIT_QUEUE_LIMIT {
            self.push_event(RpcEvent::Ignored {
                why: IgnoreReason::TransmitQueueFull(description),
            });
            return;
        }
        self.push_error(id.clone(), code, &description);
        self.push_event(RpcEvent::Rejected {
            id,
            action,
            code,
            description,
        });
    }

    fn push_error(&mut self, id: MessageId, code: RpcErrorCode, description: &str) {
        let frame = Frame::CallError {
            id,
            code,
            description: description.to_owned(),
            details: Value::Object(Map::new()),
        };
        self.transmit
            .push_back(Outgoing::Reply(frame.to_text(self.version)));
    }

    fn push_event(&mut self, event: RpcEvent) {
        let log_only = matches!(event, RpcEvent::Ignored { .. } | RpcEvent::Rejected { .. });
        if log_only && self.events.len() >= EVENT_QUEUE_LIMIT {
            return;
        }
        self.events.push_back(event);
    }

    fn take_outstanding(&mut self, id: &MessageId) -> Option<Call> {
        if self.outstanding.as_ref().is_some_and(|o| o.call.id == *id) {
            self.outstanding.take().map(|o| o.call)
        } else {
            None
        }
    }

    /// Makes the next queued call outstanding when none is.
    fn promote(&mut self) {
        if self.outstanding.is_some() {
            return;
        }
        let Some(call) = self.queue.pop_front() else {
            return;
        };
        let text = encode_call(&call.id, &call.action, &call.payload);
        self.transmit.push_back(Outgoing::Call(text));
        self.outstanding = Some(Outstanding {
            call,
            deadline: None,
        });
    }

    fn pending_index(&self, id: &MessageId) -> Result<usize, RpcError> {
        self.pending_incoming
            .iter()
            .position(|(p, _)| p == id)
            .ok_or_else(|| RpcError::UnknownIncomingCall(id.clone()))
    }

    fn check_outgoing(
        &mut self,
        action: &str,
        kind: MessageKind,
        payload: &Value,
    ) -> Result<(), RpcError> {
        let schema = self
            .schemas
            .get(action, kind)?
            .ok_or_else(|| RpcError::UnknownAction {
                version: self.version,
                action: action.to_owned(),
            })?;
        schema
            .validate(payload)
            .map_err(|violation| RpcError::InvalidPayload {
                action: action.to_owned(),
                violation,
            })
    }
}

/// UUID v4 message ids from a SplitMix64 stream (period 2^64; two draws per id).
#[derive(Debug, Clone)]
struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    fn new(seed: u64) -> Self {
        IdGenerator { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn next_id(&mut self) -> MessageId {
        let hi = self.next_u64();
        let lo = self.next_u64();
        // Version 4 in the high nibble of octet 6, variant 0b10 in the top bits of octet 8.
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        MessageId::new(format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_v4_and_differ() {
        let mut ids = IdGenerator::new(7);
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 36);
        let bytes = a.as_str().as_bytes();
        assert_eq!(bytes[14], b'4');
        assert!(matches!(bytes[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(IdGenerator::new(7).next_id(), a);
        assert_ne!(IdGenerator::new(8).next_id(), a);
    }
}
