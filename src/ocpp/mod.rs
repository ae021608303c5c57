//! OCPP client: the connection to the CSMS (Central System).
//!
//! Split like the rest of chargerd (ARCHITECTURE.md, "functional core, imperative shell"):
//!
//! * **Core (no I/O, time and randomness given):** the OCPP-J RPC endpoint
//!   (`charger_protocol::ocpp::RpcEndpoint`: framing, correlation, validation, call timeouts),
//!   [`backoff`] (when to try again), the checks in [`settings`] and in the upgrade-response
//!   parser of [`link`], [`chargepoint`] (the OCPP 1.6 application: messages, outbox) and
//!   [`v201`] (the OCPP 2.0.1 one).
//! * **Shell (this module's async part):** [`link::Link`], one tokio task that owns the
//!   WebSocket: TCP, TLS (rustls; trust only in the configured CA bundle), the HTTP upgrade with
//!   subprotocols of `ocpp.version` (the CSMS picks one) and, for security profiles 1-2, HTTP Basic authentication; pings,
//!   reconnects with backoff, a maximum message size. It decides nothing about OCPP: it moves
//!   text frames between the socket and its owner.
//!
//! The owner (later: the OCPP application task in the daemon) holds a [`link::LinkHandle`]:
//! it reads [`link::LinkEvent`]s (`Connected` → start a fresh `RpcEndpoint` for that
//! connection and feed it every `Text`; `Disconnected` → drop it) and sends
//! [`link::LinkCommand`]s (`Send` what the endpoint transmits, `Reconnect`, `SetSecurityProfile`
//! when the CSMS raises it, `Shutdown`). One owner per state: the link owns the socket and the
//! security profile in force; the application owns the RPC state and what is persisted.
//!
//! Secrets: the AuthorizationKey and private keys are read from files, held in types whose
//! `Debug` is redacted, and never logged.

pub mod backoff;
pub mod certs;
pub mod chargepoint;
pub mod client;
pub mod core;
pub mod diagnostics;
pub mod keys;
pub mod link;
pub mod local_auth;
pub mod meter;
pub mod outbox;
pub mod settings;
pub mod smart_charging;
pub mod transfer;
pub mod v201;

pub use backoff::{Backoff, BackoffPolicy};
pub use link::{
    ConnectError, ConnectionId, DisconnectReason, Link, LinkCommand, LinkConfig, LinkError,
    LinkEvent, LinkHandle,
};
pub use settings::{OcppSection, SecurityProfile, SettingsError};
pub use transfer::redact_url;
