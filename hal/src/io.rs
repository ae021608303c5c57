//! Digital I/O of one connector: contactors, lock, protocol lines, and the inputs beside them.
//!
//! The control loop sees one cached snapshot ([`DigitalInputs`]) and writes one set of
//! commands ([`DigitalOutputs`]) each step, without waiting: a backend owns the devices
//! (simulator, GPIO chip, IIO channel, Modbus I/O module) and keeps the snapshot fresh. An
//! input that was not refreshed within its supervision deadline makes the snapshot
//! [`stale`](DigitalInputs::stale), and the station treats a stale snapshot as a fault.

use charger_protocol::{ControlLines, Timestamp};
use serde::{Deserialize, Serialize};

/// Everything the station drives on one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalOutputs {
    /// Output contactors (DC+ and DC−, driven together).
    pub contactors: bool,
    pub connector_lock: bool,
    pub lines: ControlLines,
    /// The output's discharge (bleeder) resistor is switched across DC+/DC−: it brings the
    /// cable below touch-safe voltage after a session or a cable check.
    #[serde(default)]
    pub bleeder: bool,
    /// The insulation monitor's disconnect relay is closed: the IMD measures this output.
    /// Open while another IMD measures the same conductors (a matrix joining two outputs),
    /// or while the output is dead, so that two monitors never measure each other.
    #[serde(default)]
    pub imd_connected: bool,
    /// The vehicle's low-voltage auxiliary supply (GB/T A+/A−) is 24 V rather than 12 V.
    /// Selected before [`ControlLines::aux_power`] switches it on; never changed while on.
    #[serde(default)]
    pub aux_supply_24v: bool,
}

/// Everything the station reads on one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalInputs {
    /// A connector is plugged into a vehicle (CHAdeMO proximity, GB/T CC1).
    pub plugged: bool,
    /// CHAdeMO vehicle charge permission (j, through the vehicle's switch k).
    pub vehicle_permission: bool,
    /// The station's emergency-stop chain is open.
    pub emergency_stop: bool,
    /// Lock feedback: the connector is mechanically locked.
    pub locked: bool,
    /// Contactor auxiliary contacts: the output contactors are closed.
    pub contactors_closed: bool,
    /// At least one input missed its supervision deadline (its device stopped answering, or
    /// could not be opened): the values above are the last known, not the present.
    #[serde(default)]
    pub stale: bool,
}

pub trait DigitalIo: Send + std::fmt::Debug {
    fn write(&mut self, outputs: &DigitalOutputs);
    fn read(&self) -> DigitalInputs;

    /// Each configured line with its live state (`chargerctl hw`): the board's lines; none
    /// for I/O without lines of its own (the simulator's).
    fn lines(&self, _now: Timestamp) -> Vec<LineStatus> {
        Vec::new()
    }
}

/// One line of a connector as `chargerd hw` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineStatus {
    /// Its key in the connector's `io` table, e.g. `emergency_stop`.
    pub key: String,
    pub output: bool,
    /// The source (`[[io_sources]]` or I/O module) and its point.
    pub source: String,
    pub point: String,
    /// An input's latest reading; an output's last command. `None`: nothing yet.
    pub value: Option<PointValue>,
    /// An input reading's age, in ms.
    pub age_ms: Option<u64>,
    /// An input older than its deadline (or never read): the connector's inputs are stale.
    pub late: bool,
    /// What the analog detection makes of the voltage (`plugged` on CC1 / proximity).
    pub detection: Option<String>,
    /// The source's last error, while it has one.
    pub error: Option<String>,
}

/// The value of one I/O point as its device reports it: a digital level, or an analog value
/// in the unit its configuration scales it to (volts at the connector for CC1 and proximity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointValue {
    Level(bool),
    Analog(f32),
}

/// A point's latest value and when its device read it, on the daemon's clock (see
/// [`crate::devices::ReadingClock`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointReading {
    pub value: PointValue,
    pub at: charger_protocol::Timestamp,
}

/// Why an output could not be commanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("{source_name}: no output point `{point}`")]
    UnknownPoint { source_name: String, point: String },
    #[error("{source_name}: {reason}")]
    Device { source_name: String, reason: String },
}

/// A device that owns a set of I/O points — a GPIO chip, an IIO device, a Modbus I/O module —
/// and keeps them fresh from a task of its own. Board I/O maps a connector's lines onto the
/// points of one or more sources. No call ever waits on the device.
pub trait LineSource: Send + Sync + std::fmt::Debug {
    /// The device's name, as the configuration gives it (logs, `chargerctl hw`).
    fn name(&self) -> &str;
    /// The latest reading of input `point`; `None` until it was read once. The station's
    /// read: a source that holds an edge until it is read ([`crate::gpio`]) releases it here.
    fn input(&self, point: &str) -> Option<PointReading>;
    /// The latest reading, as [`input`](Self::input), without counting as the station's read
    /// (`chargerctl hw` must never take an emergency-stop edge from the station).
    fn peek(&self, point: &str) -> Option<PointReading> {
        self.input(point)
    }
    /// Drive output `point`. The source's task writes it, and writes it again after its
    /// device came back (a restarted module may have lost it).
    fn set_output(&self, point: &str, level: bool) -> Result<(), LineError>;
    /// The device's latest error, if its last attempt failed (`chargerctl hw`).
    fn last_error(&self) -> Option<String>;
}
