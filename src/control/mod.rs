//! The local control API: newline-delimited JSON over a Unix socket.
//!
//! One request per line, one response per line, in order. `chargerctl` is the client; anything
//! else that speaks JSON lines (a test, a script with `socat`) may be one too:
//!
//! ```text
//! {"request":"status"}
//! {"request":"start","connector":1,"id_tag":"FLEET-042"}
//! {"request":"sim","connector":1,"command":{"command":"plug","soc_percent":20.0,...}}
//! {"request":"inlet","connector":1,"inlet":{"plugged":true,"contactors_closed":true,"battery_voltage":640.0}}
//! ```

pub mod client;
pub mod server;

use charger_hal::{InletReport, InletState, SimCommand};
use serde::{Deserialize, Serialize};

use crate::runtime::ConnectorView;
use crate::station::CommandOutcome;
use crate::store::SessionRecord;

/// Longest request line the server reads; anything longer is refused.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    Status,
    Sessions {
        #[serde(default = "default_sessions_limit")]
        limit: u32,
    },
    Start {
        connector: u32,
        #[serde(default)]
        id_tag: Option<String>,
    },
    Stop {
        connector: u32,
    },
    Availability {
        connector: u32,
        operative: bool,
    },
    Sim {
        connector: u32,
        command: SimCommand,
    },
    /// An external vehicle simulator sets its side of the inlet and reads the charger's side
    /// (connectors whose CAN is a cannelloni link).
    Inlet {
        connector: u32,
        inlet: InletState,
    },
    /// The OCPP link: state, URL, security profile, registration, outbox, recent messages.
    Ocpp,
    /// OCPP configuration keys: all, or those named.
    ConfigGet {
        #[serde(default)]
        keys: Vec<String>,
    },
    /// Change an OCPP configuration key, as ChangeConfiguration would (persisted).
    ConfigSet {
        key: String,
        value: String,
    },
}

fn default_sessions_limit() -> u32 {
    20
}

/// The station as `chargerctl status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationStatus {
    pub name: String,
    pub version: String,
    pub uptime_s: u64,
    pub journal: String,
    pub connectors: Vec<ConnectorView>,
    /// The OCPP side in one line (connected, or why not); absent without an `[ocpp]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocpp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Status(StationStatus),
    Sessions { sessions: Vec<SessionRecord> },
    Done(CommandOutcome),
    SimDone,
    Inlet(InletReport),
    Ocpp(crate::ocpp::client::OcppStatus),
    Config { keys: Vec<ConfigKey> },
    Error { message: String },
}

/// One OCPP configuration key as `chargerctl config get` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKey {
    pub key: String,
    /// `None` for a write-only key (AuthorizationKey).
    pub value: Option<String>,
    pub readonly: bool,
}

impl Response {
    pub fn error(message: impl Into<String>) -> Response {
        Response::Error {
            message: message.into(),
        }
    }
}
