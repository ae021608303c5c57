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
//!
//! **Two sockets, two roles.** The daemon listens on two sockets that speak the same protocol:
//! the *control* socket (`station.control_socket`, mode 0660, group `chargerd`: the
//! technicians' group) answers only requests that read, and the *admin* socket
//! (`station.admin_socket`, mode 0600: the service user and root) answers everything. Who may
//! do what is decided by which socket accepted the connection, by one table
//! ([`Request::access`]), not by checking users or groups in code: the kernel checks the
//! socket's mode, and a mutating request on the control socket is answered with an error that
//! says so. SECURITY.md has the privilege model.

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
    /// Every connector's lines with their live state, and every device (`chargerctl hw`).
    Hw,
    /// Connector `connector`'s CAN frames logged from sequence number `from` on (all kept
    /// for none): `chargerctl hw can-dump` asks again from the `next` of each answer.
    CanDump {
        connector: u32,
        #[serde(default)]
        from: Option<u64>,
    },
    /// Drive output `line` of `connector` by hand, or hand it back (`level` absent): only on
    /// an Inoperative, de-energized connector (`chargerctl hw set`).
    HwSet {
        connector: u32,
        line: String,
        #[serde(default)]
        level: Option<bool>,
    },
}

/// `chargerctl hw`: what the board's I/O and the devices say now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HwReport {
    pub connectors: Vec<HwConnector>,
    /// The pool's matrix contactors on the board: each coil and feedback line (none: no
    /// pool, or its simulated matrix).
    #[serde(default)]
    pub matrix: Vec<charger_hal::LineStatus>,
    pub devices: Vec<charger_hal::devices::DeviceHealth>,
}

/// One connector's I/O as `chargerctl hw` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HwConnector {
    pub id: u32,
    pub status: crate::station::ConnectorStatus,
    pub operative: bool,
    /// The inputs as the station reads them this step.
    pub inputs: charger_hal::DigitalInputs,
    /// The outputs as last commanded.
    pub outputs: charger_hal::DigitalOutputs,
    /// Outputs driven by hand, by line key.
    pub test_outputs: std::collections::BTreeMap<String, bool>,
    /// Each configured line (none: the simulator's I/O).
    pub lines: Vec<charger_hal::LineStatus>,
}

/// What a request needs of the socket it came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Reads state only: status, sessions, OCPP status, configuration keys.
    Read,
    /// Changes the station: sessions, availability, configuration, simulated faults.
    Admin,
}

/// Which of the daemon's two sockets a connection came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketRole {
    /// `station.control_socket`: the technicians' group, read-only.
    ReadOnly,
    /// `station.admin_socket`: the service user and root, everything.
    Admin,
}

impl SocketRole {
    pub fn permits(self, access: Access) -> bool {
        match self {
            SocketRole::Admin => true,
            SocketRole::ReadOnly => access == Access::Read,
        }
    }
}

impl Request {
    /// The one table of who may do what: the name of each request (as on the wire) and the
    /// access it needs. A new request must be placed here to compile.
    pub fn access(&self) -> (&'static str, Access) {
        match self {
            Request::Status => ("status", Access::Read),
            Request::Sessions { .. } => ("sessions", Access::Read),
            Request::Ocpp => ("ocpp", Access::Read),
            Request::ConfigGet { .. } => ("config_get", Access::Read),
            Request::Hw => ("hw", Access::Read),
            // The vehicle's frames carry its VIN (GB/T BRM): admin, like the journal's export.
            Request::CanDump { .. } => ("can_dump", Access::Admin),
            // Drives a contactor or the lock of a real connector.
            Request::HwSet { .. } => ("hw_set", Access::Admin),
            Request::Start { .. } => ("start", Access::Admin),
            Request::Stop { .. } => ("stop", Access::Admin),
            Request::Availability { .. } => ("availability", Access::Admin),
            Request::ConfigSet { .. } => ("config_set", Access::Admin),
            // The simulator and an external vehicle simulator drive the plant: a fault
            // injected here opens contactors for real on a bench.
            Request::Sim { .. } => ("sim", Access::Admin),
            Request::Inlet { .. } => ("inlet", Access::Admin),
        }
    }
}

/// Where the admin socket is when only the control socket is known: `admin.sock` in the same
/// directory (the daemon's default, and chargerctl's when `--admin-socket` is not given).
pub fn admin_socket_beside(control_socket: &std::path::Path) -> std::path::PathBuf {
    control_socket.with_file_name("admin.sock")
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
    /// Set when start-up found the journal unusable, moved it aside and began a fresh one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_recovered: Option<String>,
    /// How late the control loop's steps finish (see [`crate::steps`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_step: Option<crate::steps::StepLatencySummary>,
    /// The module pool (`chargerctl modules`); absent without a `[pool]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<crate::power::PoolSnapshot>,
    /// Every `[[devices]]` entry: link, last reading's age, errors (`chargerctl devices`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<charger_hal::devices::DeviceHealth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Status(StationStatus),
    Sessions {
        sessions: Vec<SessionRecord>,
    },
    Done(CommandOutcome),
    SimDone,
    Inlet(InletReport),
    Ocpp(crate::ocpp::client::OcppStatus),
    Config {
        keys: Vec<ConfigKey>,
    },
    Hw(HwReport),
    /// Frames of a connector's bus, oldest first; ask from `next` for the following ones;
    /// `missed` were dropped from the log before they were asked for.
    Frames {
        protocol: crate::config::ProtocolKind,
        frames: Vec<crate::runtime::LoggedFrame>,
        next: u64,
        missed: u64,
    },
    Error {
        message: String,
    },
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
