//! `chargerd-evsim`'s engine: a CHAdeMO or GB/T truck played in its own process against a
//! running `chargerd`, over a cannelloni UDP CAN link.
//!
//! The truck is the same model the daemon simulates in-process ([`ChademoTruck`],
//! [`GbtTruck`]: protocol stack, battery, BMS). What differs is how it is coupled to the
//! charger: its frames travel over a [`CannelloniPort`] to the connector's cannelloni `bind`,
//! and its side of the inlet (plugged, permission, contactors, battery OCV and resistance, SOC)
//! goes to the daemon through the control API's `inlet` request, whose answer carries what the
//! charger drives (its lines) and the current the daemon's circuit model gave the battery.
//!
//! The loop runs on wall-clock time. Every step (10 ms by default): hand the frames that
//! arrived to the truck, exchange the inlet, step the truck, send its frames and flush. Between
//! steps the socket is polled every `poll` (1 ms by default) so that arrival instants, which
//! the [`jitter`] figures are computed from, are known to that resolution.
//!
//! The session is over when the charger, after having raised the line that powers the
//! vehicle's side (GB/T `aux_power`, CHAdeMO `sequence_1`), drops it; the truck is then
//! unplugged (unless told to stay) and a [`Summary`] returned.

pub mod jitter;

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use charger_hal::can::cannelloni::{CannelloniPort, CannelloniStats};
use charger_hal::sim::gbt_truck::GbtTruck;
use charger_hal::sim::truck::ChademoTruck;
use charger_hal::sim::SimVehicle;
use charger_hal::{CanError, CanPort, InletReport, InletState, SimError, SimFault, TruckSpec};
use charger_protocol::chademo::VehicleState;
use charger_protocol::gbt::GbtVehicleState;
use charger_protocol::{CanFrame, ControlLines, Timestamp};
use serde::Serialize;
use thiserror::Error;

use crate::config::ProtocolKind;
use crate::control::client::{Client, ClientError};
use crate::control::{Request, Response};
use jitter::{JitterReport, JitterTracker, Watched, CHADEMO_WATCHED, GBT_WATCHED};

/// How long a connector left plugged in stays unplugged before the truck plugs in: several
/// daemon steps, so the station sees the unplug.
const REPLUG_PAUSE: Duration = Duration::from_millis(200);

/// Most frames taken from the truck in one step, as the in-process simulator does.
const MAX_TRUCK_FRAMES_PER_STEP: usize = 64;

/// The vehicle protocol the truck speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Chademo,
    Gbt,
}

impl Protocol {
    /// The line whose fall ends the session: GB/T K3/K4 auxiliary power, CHAdeMO d1.
    fn session_line(self, lines: ControlLines) -> bool {
        match self {
            Protocol::Chademo => lines.sequence_1,
            Protocol::Gbt => lines.aux_power,
        }
    }

    fn watched(self) -> &'static [Watched] {
        match self {
            Protocol::Chademo => &CHADEMO_WATCHED,
            Protocol::Gbt => &GBT_WATCHED,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Chademo => "CHAdeMO",
            Protocol::Gbt => "GB/T",
        })
    }
}

/// Which edition of GB/T 27930 the truck's BMS follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Edition {
    /// GB/T 27930-2015 (BHM, −400 A current offset).
    #[default]
    #[serde(rename = "2015")]
    V2015,
    /// GB/T 27930-2011 (no BHM, −800 A current offset).
    #[serde(rename = "2011")]
    V2011,
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Edition::V2015 => "2015",
            Edition::V2011 => "2011",
        })
    }
}

/// What a scheduled `--fault` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// One of the truck's own faults: `can-silent`, `vehicle-fault`, `vehicle-stop`,
    /// `vehicle-pause` (GB/T only).
    Inject(SimFault),
    /// Clear the truck's faults (resumes a paused GB/T charge, ends CAN silence).
    Clear,
    /// Pull the connector out of the inlet.
    Unplug,
}

/// The truck faults `--fault` accepts (the others belong to the charger's side of the plant).
const TRUCK_FAULTS: [SimFault; 4] = [
    SimFault::CanSilent,
    SimFault::VehicleFault,
    SimFault::VehicleStop,
    SimFault::VehiclePause,
];

impl FaultAction {
    pub fn name(self) -> &'static str {
        match self {
            FaultAction::Inject(f) => f.name(),
            FaultAction::Clear => "clear",
            FaultAction::Unplug => "unplug",
        }
    }
}

impl FromStr for FaultAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "clear" => Ok(FaultAction::Clear),
            "unplug" => Ok(FaultAction::Unplug),
            _ => TRUCK_FAULTS
                .into_iter()
                .find(|f| f.name() == s)
                .map(FaultAction::Inject)
                .ok_or_else(|| {
                    format!(
                        "unknown fault kind '{s}' (known: can-silent, vehicle-fault, vehicle-stop, \
                         vehicle-pause, clear, unplug)"
                    )
                }),
        }
    }
}

/// A `--fault AT_SECONDS:KIND`: `action` happens `at` after the simulator starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledFault {
    pub at: Duration,
    pub action: FaultAction,
}

impl FromStr for ScheduledFault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (at, kind) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}' is not AT_SECONDS:KIND (e.g. 3:can-silent)"))?;
        let secs: f64 = at
            .trim()
            .parse()
            .map_err(|_| format!("'{at}' in '{s}' is not a number of seconds"))?;
        if !(secs.is_finite() && (0.0..=1e6).contains(&secs)) {
            return Err(format!(
                "'{at}' in '{s}' must be between 0 and 1000000 seconds"
            ));
        }
        Ok(ScheduledFault {
            at: Duration::from_secs_f64(secs),
            action: kind.trim().parse()?,
        })
    }
}

impl fmt::Display for ScheduledFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.at.as_secs_f64(), self.action.name())
    }
}

/// Everything the simulator needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    pub protocol: Protocol,
    /// GB/T only.
    pub edition: Edition,
    pub connector: u32,
    /// The daemon's read-only control socket (the preflight status check).
    pub socket: PathBuf,
    /// The daemon's admin socket: the truck's side of the inlet changes the plant, so it goes
    /// there (see `control`).
    pub admin_socket: PathBuf,
    /// Local UDP address of the simulator's cannelloni port.
    pub bind: SocketAddr,
    /// The daemon's cannelloni `bind` for this connector.
    pub peer: SocketAddr,
    pub spec: TruckSpec,
    pub faults: Vec<ScheduledFault>,
    /// Give up after this long.
    pub timeout: Option<Duration>,
    /// Period of the simulation loop.
    pub step: Duration,
    /// Period of socket polls between steps (arrival-time resolution).
    pub poll: Duration,
    /// Leave the truck plugged in when the session is over.
    pub stay_plugged: bool,
}

impl Options {
    /// Checks the combination of options; the truck's spec is checked by the truck itself.
    pub fn validate(&self) -> Result<(), EvsimError> {
        let usage = |m: String| Err(EvsimError::Usage(m));
        if !(Duration::from_millis(1)..=Duration::from_millis(100)).contains(&self.step) {
            return usage(format!(
                "--step-ms {} must be between 1 and 100 (protocol periods are 10-100 ms)",
                self.step.as_millis()
            ));
        }
        if self.poll < Duration::from_micros(100) || self.poll > self.step {
            return usage(format!(
                "--poll-us {} must be at least 100 and at most the step ({} µs)",
                self.poll.as_micros(),
                self.step.as_micros()
            ));
        }
        if self.bind == self.peer {
            return usage(format!("--bind and --peer are both {}", self.bind));
        }
        if self.protocol == Protocol::Chademo {
            if let Some(f) = self
                .faults
                .iter()
                .find(|f| f.action == FaultAction::Inject(SimFault::VehiclePause))
            {
                return usage(format!(
                    "--fault {f}: CHAdeMO 1.x has no pause (GB/T only); use vehicle-stop"
                ));
            }
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return usage("--timeout must be positive".into());
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum EvsimError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Truck(#[from] SimError),
    #[error("cannot open the cannelloni port on {bind} (peer {peer}): {source}")]
    Can {
        bind: SocketAddr,
        peer: SocketAddr,
        #[source]
        source: CanError,
    },
    #[error(transparent)]
    Control(#[from] ClientError),
    #[error("chargerd refused the inlet of connector {connector}: {message}")]
    Refused { connector: u32, message: String },
    #[error("chargerd answered the inlet request of connector {connector} with {answer}")]
    UnexpectedAnswer { connector: u32, answer: String },
    #[error("{0}")]
    WrongConnector(String),
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The charger powered the session, then dropped its lines (or the truck was unplugged).
    SessionEnded,
    /// `--timeout` passed first.
    Timeout,
    /// SIGINT or SIGTERM.
    Interrupted,
}

/// What happened, for the terminal or for a script (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub protocol: Protocol,
    /// GB/T only.
    pub edition: Option<Edition>,
    pub connector: u32,
    pub outcome: Outcome,
    pub duration_s: f64,
    /// Time the truck spent in its protocol's charging state.
    pub charging_s: f64,
    pub soc_start_percent: f32,
    pub soc_end_percent: f32,
    pub target_soc_percent: f32,
    /// Energy into the truck's battery.
    pub energy_kwh: f32,
    pub peak_current_a: f32,
    /// Why the truck ended its side of the session, if it knows (snake_case of the protocol
    /// stack's cause).
    pub stop_cause: Option<String>,
    /// Where the truck's protocol stack stands at the end.
    pub truck_state: String,
    /// `--fault`s that were applied, as AT_SECONDS:KIND.
    pub faults_applied: Vec<String>,
    /// Frames the truck sent and received.
    pub frames_sent: u64,
    pub frames_received: u64,
    /// The simulator's cannelloni port.
    pub cannelloni: CannelloniStats,
    /// Frame-period jitter of the charger's periodic messages, on arrival, while charging.
    pub jitter: Vec<JitterReport>,
}

impl Summary {
    /// Exit status: 0 when the session ended, 1 on timeout, 130 when interrupted.
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Outcome::SessionEnded => 0,
            Outcome::Timeout => 1,
            Outcome::Interrupted => 130,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = match self.edition {
            Some(e) => format!("{} ({e})", self.protocol),
            None => self.protocol.to_string(),
        };
        let outcome = match self.outcome {
            Outcome::SessionEnded => "session over",
            Outcome::Timeout => "TIMED OUT",
            Outcome::Interrupted => "interrupted",
        };
        writeln!(
            f,
            "{protocol} truck on connector {}: {outcome} after {:.1} s ({:.1} s charging)",
            self.connector, self.duration_s, self.charging_s
        )?;
        writeln!(
            f,
            "  SOC {:.2} % → {:.2} % (target {:.1} %), {:.3} kWh charged, peak {:.0} A",
            self.soc_start_percent,
            self.soc_end_percent,
            self.target_soc_percent,
            self.energy_kwh,
            self.peak_current_a
        )?;
        writeln!(
            f,
            "  truck: {}, stop cause {}",
            self.truck_state,
            self.stop_cause.as_deref().unwrap_or("-")
        )?;
        if !self.faults_applied.is_empty() {
            writeln!(f, "  faults applied: {}", self.faults_applied.join(", "))?;
        }
        let c = &self.cannelloni;
        writeln!(
            f,
            "  frames: sent {}, received {}; cannelloni: datagrams sent {} received {}, lost {}, \
             late {}, malformed {}, foreign {}, send errors {}, recv errors {}",
            self.frames_sent,
            self.frames_received,
            c.datagrams_sent,
            c.datagrams_received,
            c.lost_datagrams,
            c.late_datagrams,
            c.malformed_datagrams,
            c.foreign_datagrams,
            c.send_errors,
            c.recv_errors
        )?;
        writeln!(f, "  frame-period jitter on arrival while charging:")?;
        for j in &self.jitter {
            match (&j.interval_ms, &j.deviation_ms) {
                (Some(i), Some(d)) => writeln!(
                    f,
                    "    {:<5} {:<10} nominal {:>3.0} ms: {:>5} intervals, interval median {:.2} \
                     p99 {:.2} min {:.2} max {:.2} ms, |dev| median {:.2} p99 {:.2} ms, \
                     {} beyond 5 ms",
                    j.name,
                    j.id,
                    j.nominal_ms,
                    j.intervals,
                    i.median,
                    i.p99,
                    i.min,
                    i.max,
                    d.median,
                    d.p99,
                    j.beyond_5ms
                )?,
                _ => writeln!(
                    f,
                    "    {:<5} {:<10} nominal {:>3.0} ms: no intervals measured",
                    j.name, j.id, j.nominal_ms
                )?,
            }
        }
        Ok(())
    }
}

/// The truck, by protocol (the concrete types know their protocol state and stop cause).
#[derive(Debug)]
enum Truck {
    Chademo(Box<ChademoTruck>),
    Gbt(Box<GbtTruck>),
}

impl Truck {
    fn new(opts: &Options) -> Result<Truck, SimError> {
        Ok(match (opts.protocol, opts.edition) {
            (Protocol::Chademo, _) => Truck::Chademo(Box::new(ChademoTruck::new(&opts.spec)?)),
            (Protocol::Gbt, Edition::V2015) => Truck::Gbt(Box::new(GbtTruck::new(&opts.spec)?)),
            (Protocol::Gbt, Edition::V2011) => {
                Truck::Gbt(Box::new(GbtTruck::new_2011(&opts.spec)?))
            }
        })
    }

    fn sim(&mut self) -> &mut dyn SimVehicle {
        match self {
            Truck::Chademo(t) => t.as_mut(),
            Truck::Gbt(t) => t.as_mut(),
        }
    }

    fn sim_ref(&self) -> &dyn SimVehicle {
        match self {
            Truck::Chademo(t) => t.as_ref(),
            Truck::Gbt(t) => t.as_ref(),
        }
    }

    fn charging(&self) -> bool {
        match self {
            Truck::Chademo(t) => t.vehicle().state() == VehicleState::Charging,
            Truck::Gbt(t) => t.state_of_protocol() == GbtVehicleState::Charging,
        }
    }

    fn state_name(&self) -> String {
        let debug = match self {
            Truck::Chademo(t) => format!("{:?}", t.vehicle().state()),
            Truck::Gbt(t) => format!("{:?}", t.state_of_protocol()),
        };
        // Drop the fields of `Stopping { since: .. }` and the like.
        snake_case(debug.split([' ', '{', '(']).next().unwrap_or_default())
    }

    fn stop_cause(&self) -> Option<String> {
        match self {
            Truck::Chademo(t) => t.stop_cause().map(|c| snake_case(&format!("{c:?}"))),
            Truck::Gbt(t) => t.stop_cause().map(|c| snake_case(&format!("{c:?}"))),
        }
    }

    /// The truck's side of the inlet.
    fn inlet(&self, plugged: bool) -> InletState {
        let t = self.sim_ref();
        let soc = t.state().soc_percent;
        InletState {
            plugged,
            permission: plugged && t.permission(),
            contactors_closed: plugged && t.contactors_closed(),
            battery_voltage: t.battery_ocv(),
            battery_resistance: t.battery_resistance(),
            soc_percent: soc.is_finite().then(|| soc.clamp(0.0, 100.0)),
        }
    }
}

/// Checks the connector against the station's status before plugging in: it exists, speaks
/// the truck's protocol (a GB/T truck on a CHAdeMO connector would only time out) and has no
/// session running. True when it already counts as plugged in (a simulator that ran with
/// `--stay-plugged`, or one that died).
fn preflight(client: &mut Client, opts: &Options) -> Result<bool, EvsimError> {
    let status = match client.call(&Request::Status)? {
        Response::Status(status) => status,
        Response::Error { message } => {
            return Err(EvsimError::WrongConnector(format!(
                "chargerd refused its status: {message}"
            )))
        }
        other => {
            return Err(EvsimError::UnexpectedAnswer {
                connector: opts.connector,
                answer: format!("{other:?}"),
            })
        }
    };
    let Some(view) = status
        .connectors
        .iter()
        .find(|c| c.station.id == opts.connector)
    else {
        let ids: Vec<String> = status
            .connectors
            .iter()
            .map(|c| c.station.id.to_string())
            .collect();
        return Err(EvsimError::WrongConnector(format!(
            "station {} has no connector {} (it has {})",
            status.name,
            opts.connector,
            ids.join(", ")
        )));
    };
    let speaks = match view.station.protocol {
        ProtocolKind::Chademo => Protocol::Chademo,
        ProtocolKind::Gbt => Protocol::Gbt,
    };
    if speaks != opts.protocol {
        return Err(EvsimError::WrongConnector(format!(
            "connector {} speaks {speaks}, not {}: choose --protocol to match",
            opts.connector, opts.protocol
        )));
    }
    if let Some(t) = view
        .station
        .transaction
        .as_ref()
        .filter(|t| t.stop_reason.is_none())
    {
        return Err(EvsimError::WrongConnector(format!(
            "connector {} has a session running (transaction {}): another simulator is plugged \
             in there; wait for it to end, or `chargerctl sim unplug {}`",
            opts.connector, t.transaction_id, opts.connector
        )));
    }
    Ok(view.station.plugged)
}

/// `TargetReached` → `target_reached`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The simulator while it runs.
struct Run<'a> {
    opts: &'a Options,
    truck: Truck,
    port: CannelloniPort,
    client: Client,
    start: Instant,
    /// Frames read from the socket, with their arrival, waiting for the next step.
    inbox: VecDeque<(Instant, CanFrame)>,
    trackers: Vec<JitterTracker>,
    plugged: bool,
    /// The charger's session line was seen low since plug-in: a line still up from a session
    /// that was ending when we plugged in does not count as powering ours.
    armed: bool,
    /// The charger raised its session line (after `armed`).
    powered: bool,
    frames_sent: u64,
    frames_received: u64,
    charging_for: Duration,
    charging_since: Option<Instant>,
    peak_current: f32,
    faults_applied: Vec<String>,
    recv_errors_logged: u64,
}

impl fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("truck", &self.truck)
            .field("port", &self.port)
            .field("plugged", &self.plugged)
            .field("powered", &self.powered)
            .finish_non_exhaustive()
    }
}

/// Play the truck until the session is over, the timeout passes or `interrupted` is set.
///
/// Errors (no daemon, a refused inlet, a port that cannot bind, a bad spec) come before or
/// instead of a summary; a timeout or an interruption still gives one (see
/// [`Summary::exit_code`]).
pub fn run(opts: &Options, interrupted: &AtomicBool) -> Result<Summary, EvsimError> {
    opts.validate()?;
    let truck = Truck::new(opts)?;
    let port = CannelloniPort::open(opts.bind, opts.peer).map_err(|source| EvsimError::Can {
        bind: opts.bind,
        peer: opts.peer,
        source,
    })?;
    let already_plugged = preflight(&mut Client::connect(&opts.socket)?, opts)?;
    let client = Client::connect(&opts.admin_socket)?;
    tracing::info!(
        protocol = %opts.protocol,
        connector = opts.connector,
        bind = %port.local_addr(),
        peer = %opts.peer,
        spec = ?opts.spec,
        "plugging the truck in"
    );
    let mut run = Run {
        opts,
        truck,
        port,
        client,
        start: Instant::now(),
        inbox: VecDeque::new(),
        trackers: opts
            .protocol
            .watched()
            .iter()
            .map(|w| JitterTracker::new(*w))
            .collect(),
        plugged: true,
        armed: false,
        powered: false,
        frames_sent: 0,
        frames_received: 0,
        charging_for: Duration::ZERO,
        charging_since: None,
        peak_current: 0.0,
        faults_applied: Vec::new(),
        recv_errors_logged: 0,
    };
    if already_plugged {
        // Unplug what is left there first, so that the station sees a fresh plug-in.
        tracing::warn!(
            connector = opts.connector,
            "the connector already counts as plugged in (a simulator that ran with \
             --stay-plugged, or died): unplugging it first"
        );
        run.exchange(false)?;
        std::thread::sleep(REPLUG_PAUSE);
        run.start = Instant::now();
    }
    let outcome = match run.main_loop(interrupted) {
        Ok(outcome) => outcome,
        Err(e) => {
            // Best effort: do not leave a plugged truck behind whose inlet goes stale.
            if run.plugged && !matches!(e, EvsimError::Control(_)) {
                let _ = run.exchange(false);
            }
            return Err(e);
        }
    };
    run.finish(outcome)
}

impl Run<'_> {
    fn now(&self, at: Instant) -> Timestamp {
        Timestamp::from_millis(
            u64::try_from(at.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX),
        )
    }

    fn main_loop(&mut self, interrupted: &AtomicBool) -> Result<Outcome, EvsimError> {
        let mut faults = self.opts.faults.clone();
        faults.sort_by_key(|f| f.at);
        let mut faults: VecDeque<ScheduledFault> = faults.into();
        let mut next_step = self.start;
        loop {
            self.wait_until(next_step);
            let at = Instant::now();
            let elapsed = at.saturating_duration_since(self.start);
            if interrupted.load(Ordering::Relaxed) {
                tracing::info!("interrupted");
                return Ok(Outcome::Interrupted);
            }
            if self.opts.timeout.is_some_and(|t| elapsed >= t) {
                tracing::warn!(
                    after_s = elapsed.as_secs_f64(),
                    "timeout: the session did not end in time"
                );
                return Ok(Outcome::Timeout);
            }
            while faults.front().is_some_and(|f| f.at <= elapsed) {
                if let Some(f) = faults.pop_front() {
                    self.apply(f);
                }
            }
            if self.step(at)? {
                return Ok(Outcome::SessionEnded);
            }
            next_step += self.opts.step;
            if next_step < Instant::now() {
                // Fell behind (a slow answer from the daemon): skip, do not burst.
                next_step = Instant::now() + self.opts.step;
            }
        }
    }

    /// Poll the socket until `deadline`, recording arrivals.
    fn wait_until(&mut self, deadline: Instant) {
        loop {
            self.drain();
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            std::thread::sleep(self.opts.poll.min(deadline - now));
        }
    }

    fn drain(&mut self) {
        loop {
            match self.port.try_recv() {
                Ok(Some(frame)) => {
                    let at = Instant::now();
                    self.frames_received += 1;
                    let charging = self.truck.charging();
                    for t in &mut self.trackers {
                        if t.watched().matches(&frame) {
                            t.arrival(at, charging);
                        }
                    }
                    self.inbox.push_back((at, frame));
                }
                Ok(None) => return,
                Err(e) => {
                    self.recv_errors_logged += 1;
                    if self.recv_errors_logged.is_power_of_two() {
                        tracing::warn!(error = %e, count = self.recv_errors_logged, "cannelloni receive error");
                    }
                    return;
                }
            }
        }
    }

    fn apply(&mut self, f: ScheduledFault) {
        tracing::info!(at_s = f.at.as_secs_f64(), fault = f.action.name(), "fault");
        match f.action {
            FaultAction::Inject(fault) => {
                if !self.truck.sim().inject(fault) {
                    tracing::warn!(
                        fault = fault.name(),
                        "this truck has no such fault; ignored"
                    );
                    return;
                }
            }
            FaultAction::Clear => self.truck.sim().clear_faults(),
            FaultAction::Unplug => self.plugged = false,
        }
        self.faults_applied.push(f.to_string());
    }

    /// One step at `at`; true when the session is over.
    fn step(&mut self, at: Instant) -> Result<bool, EvsimError> {
        let now = self.now(at);
        while let Some((arrived, frame)) = self.inbox.pop_front() {
            if self.plugged {
                let t = self.now(arrived);
                self.truck.sim().handle_frame(&frame, t);
            }
        }
        let report = self.exchange(self.plugged)?;
        let line = self.opts.protocol.session_line(report.lines);
        if !line {
            self.armed = true;
        } else if self.armed && !self.powered {
            tracing::info!("the charger powered the session");
            self.powered = true;
        }
        self.truck
            .sim()
            .step(report.lines, report.battery_current, now);
        let current = self.truck.sim_ref().state().battery_current;
        if current.is_finite() {
            self.peak_current = self.peak_current.max(current);
        }
        for _ in 0..MAX_TRUCK_FRAMES_PER_STEP {
            let Some(frame) = self.truck.sim().poll_transmit(now) else {
                break;
            };
            // An unplugged truck is off the bus.
            if !self.plugged {
                continue;
            }
            match self.port.send(&frame) {
                Ok(()) => self.frames_sent += 1,
                Err(e) => tracing::warn!(error = %e, "cannelloni send"),
            }
        }
        if let Err(e) = self.port.flush() {
            tracing::warn!(error = %e, "cannelloni flush");
        }
        let charging = self.truck.charging();
        match (charging, self.charging_since) {
            (true, None) => {
                tracing::info!(soc = self.truck.sim_ref().state().soc_percent, "charging");
                self.charging_since = Some(at);
            }
            (false, Some(since)) => {
                self.charging_for += at.saturating_duration_since(since);
                self.charging_since = None;
                for t in &mut self.trackers {
                    t.pause();
                }
                tracing::info!(
                    soc = self.truck.sim_ref().state().soc_percent,
                    state = %self.truck.state_name(),
                    "charging ended"
                );
            }
            _ => {}
        }
        let over = if !self.plugged {
            // Unplugged: the lines no longer reach the truck.
            !line
        } else {
            self.powered && !line
        };
        if over {
            tracing::info!("the charger dropped its lines: session over");
        }
        Ok(over)
    }

    /// Send the truck's side of the inlet, read the charger's side.
    fn exchange(&mut self, plugged: bool) -> Result<InletReport, EvsimError> {
        let connector = self.opts.connector;
        let request = Request::Inlet {
            connector,
            inlet: self.truck.inlet(plugged),
        };
        match self.client.call(&request)? {
            Response::Inlet(report) => Ok(report),
            Response::Error { message } => Err(EvsimError::Refused { connector, message }),
            other => Err(EvsimError::UnexpectedAnswer {
                connector,
                answer: format!("{other:?}"),
            }),
        }
    }

    fn finish(mut self, outcome: Outcome) -> Result<Summary, EvsimError> {
        let end = Instant::now();
        if let Some(since) = self.charging_since.take() {
            self.charging_for += end.saturating_duration_since(since);
        }
        if self.plugged && !self.opts.stay_plugged {
            match self.exchange(false) {
                Ok(_) => tracing::info!("truck unplugged"),
                Err(e) => tracing::warn!(error = %e, "could not unplug the truck"),
            }
            self.plugged = false;
        }
        let _ = self.port.flush();
        let state = self.truck.sim_ref().state();
        Ok(Summary {
            protocol: self.opts.protocol,
            edition: (self.opts.protocol == Protocol::Gbt).then_some(self.opts.edition),
            connector: self.opts.connector,
            outcome,
            duration_s: end.saturating_duration_since(self.start).as_secs_f64(),
            charging_s: self.charging_for.as_secs_f64(),
            soc_start_percent: self.opts.spec.soc_percent,
            soc_end_percent: state.soc_percent,
            target_soc_percent: self.opts.spec.target_soc_percent,
            energy_kwh: state.energy_charged_kwh,
            peak_current_a: self.peak_current,
            stop_cause: self.truck.stop_cause(),
            truck_state: self.truck.state_name(),
            faults_applied: self.faults_applied,
            frames_sent: self.frames_sent,
            frames_received: self.frames_received,
            cannelloni: self.port.stats(),
            jitter: self.trackers.iter().map(JitterTracker::report).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_with_their_time() {
        let f: ScheduledFault = "3:can-silent".parse().unwrap();
        assert_eq!(f.at, Duration::from_secs(3));
        assert_eq!(f.action, FaultAction::Inject(SimFault::CanSilent));
        let f: ScheduledFault = "2.5:unplug".parse().unwrap();
        assert_eq!(f.at, Duration::from_millis(2500));
        assert_eq!(f.action, FaultAction::Unplug);
        assert_eq!(f.to_string(), "2.5:unplug");
        assert_eq!(
            "0:clear".parse::<ScheduledFault>().unwrap().action,
            FaultAction::Clear
        );
        for bad in [
            "can-silent",
            "x:can-silent",
            "-1:can-silent",
            "3:emergency-stop",
            "3:",
        ] {
            assert!(bad.parse::<ScheduledFault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_become_snake_case() {
        assert_eq!(snake_case("TargetReached"), "target_reached");
        assert_eq!(snake_case("Charging"), "charging");
    }

    fn options() -> Options {
        Options {
            protocol: Protocol::Chademo,
            edition: Edition::V2015,
            connector: 1,
            socket: PathBuf::from("/nonexistent"),
            admin_socket: PathBuf::from("/nonexistent/admin.sock"),
            bind: "127.0.0.1:0".parse().unwrap(),
            peer: "127.0.0.1:9".parse().unwrap(),
            spec: TruckSpec::default(),
            faults: vec![],
            timeout: None,
            step: Duration::from_millis(10),
            poll: Duration::from_millis(1),
            stay_plugged: false,
        }
    }

    #[test]
    fn options_are_checked() {
        assert!(options().validate().is_ok());
        let pause = Options {
            faults: vec!["1:vehicle-pause".parse().unwrap()],
            ..options()
        };
        assert!(matches!(pause.validate(), Err(EvsimError::Usage(m)) if m.contains("GB/T")));
        assert!(Options {
            protocol: Protocol::Gbt,
            ..pause
        }
        .validate()
        .is_ok());
        assert!(Options {
            step: Duration::ZERO,
            ..options()
        }
        .validate()
        .is_err());
        assert!(Options {
            poll: Duration::from_millis(20),
            ..options()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn a_missing_daemon_is_an_error_not_a_panic() {
        let e = run(&options(), &AtomicBool::new(false)).unwrap_err();
        assert!(e.to_string().contains("not running"), "{e}");
    }

    #[test]
    fn a_bad_truck_is_refused_before_anything_opens() {
        let opts = Options {
            spec: TruckSpec {
                max_current: 400.0,
                ..TruckSpec::default()
            },
            ..options()
        };
        let e = run(&opts, &AtomicBool::new(false)).unwrap_err();
        assert!(e.to_string().contains("max_current"), "{e}");
    }
}
