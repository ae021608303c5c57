//! The daemon's imperative shell: clock, the station-control loop, control socket, systemd.
//!
//! The control loop is the only owner of the [`Rig`] (station + hardware). It steps it on a
//! fixed period, answers control requests between steps, and hands every station event to the
//! OCPP + persistence actor ([`crate::ocpp_actor`], its own thread and runtime, the only
//! writer of the journal) without ever waiting for it: commands from the CSMS come back as
//! messages applied at the next step, and what the loop shows of OCPP is a `watch` snapshot.
//! A control request whose effect must be journaled is answered only after the actor confirms
//! the write — by a task that waits for that, never by the loop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::{SessionPhase, StopReason, Timestamp};
use tokio::sync::{mpsc, oneshot};

use crate::config::{Config, ConfigError};
use crate::control::server::{self, ControlEnvelope, ControlError};
use crate::control::{Request, Response, SocketRole, StationStatus};
use crate::hardware::{self, HardwareError};
use crate::notify::Notifier;
use crate::ocpp::meter::MeterReading;
use crate::ocpp_actor::{self, Ack, OcppActor, OcppView, ToControl, ToOcpp};
use crate::runtime::Rig;
use crate::station::{CommandError, CommandOutcome, Station, StationCommand, StationEvent};
use crate::steps::{StepLatencies, WatchdogGate};
use crate::store::{Store, StoreError};
use crate::wall_time::rfc3339_utc;

/// How long a shutdown waits for running sessions to reach a safe state.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);
/// After the grace period, how long the supplies get to bring the current down before the
/// contactors open regardless.
const FORCE_SAFE_OPEN_AFTER: Duration = Duration::from_secs(2);
/// After the last commands at exit, how long the I/O sources get to write them: a GPIO
/// source's thread writes at once, a Modbus I/O module's task between two polls (50 ms at
/// the shipped profile's 20 Hz).
const OUTPUTS_SETTLE: Duration = Duration::from_millis(200);
/// How long the shutdown waits for the journal to confirm the last events: with the grace
/// period (8 s), the forced-safe wait (2 s) and the OCPP side's last replay (2 s), the worst
/// case stays within the unit's TimeoutStopSec=15s. Events not confirmed by then are the ones
/// the next start closes as interrupted.
const JOURNAL_FLUSH_WAIT: Duration = Duration::from_secs(3);
/// How long a shutdown waits for the OCPP side to replay and close (it takes up to 2 s + 2 s).
const OCPP_SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Hardware(#[from] HardwareError),
    #[error("signal handling: {0}")]
    Signal(std::io::Error),
    #[error("cannot start the OCPP + journal thread: {0}")]
    Journal(std::io::Error),
    #[error("[[devices]]: {0}")]
    Devices(String),
}

/// Monotonic time for the core, wall time for the journal, from one origin.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: tokio::time::Instant,
    wall_start_ms: i64,
}

impl Clock {
    fn start() -> Clock {
        let wall_start_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Clock {
            start: tokio::time::Instant::now(),
            wall_start_ms,
        }
    }

    fn now(&self) -> Timestamp {
        self.at(tokio::time::Instant::now())
    }

    fn at(&self, instant: tokio::time::Instant) -> Timestamp {
        let elapsed = instant.saturating_duration_since(self.start);
        Timestamp::from_millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }

    fn wall(&self, t: Timestamp) -> String {
        rfc3339_utc(
            self.wall_start_ms
                .saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

struct MainLoop {
    cfg: Config,
    clock: Clock,
    rig: Rig,
    /// To the OCPP + persistence actor; sending never waits.
    to_ocpp: tokio::sync::mpsc::UnboundedSender<ToOcpp>,
    /// What the OCPP side shows: read without waiting.
    ocpp_view: tokio::sync::watch::Receiver<OcppView>,
    /// The OCPP + journal thread is gone: nothing is journaled any more, so the sessions were
    /// ended and nothing new starts until systemd restarts the daemon.
    journal_lost: bool,
    notifier: Notifier,
    /// Whether the OCPP client runs (it then decides authorization and sees the events).
    ocpp_running: bool,
    /// The CSMS asked for a reset (`Some(hard)`): leave the loop and restart the process.
    reset_requested: Option<bool>,
    /// The latest time handed to the core: time never goes backwards for it.
    last_now: Timestamp,
    /// Why OCPP is not running although configured (a broken `[ocpp]` section, missing TLS
    /// files, a work directory that cannot be made): the station charges without it.
    ocpp_down: Option<String>,
    /// Vehicles identified by VIN (autocharge) while OCPP is down, to be decided locally.
    vins_without_ocpp: Vec<(u32, String)>,
    /// What start-up did with an unusable journal, shown by `chargerctl status`.
    journal_recovery: Option<String>,
    /// How late the control steps finish, for `chargerctl status`.
    latencies: StepLatencies,
    /// The `[[devices]]`' links and errors, for `chargerctl devices`.
    devices: Option<charger_hal::devices::HealthView>,
}

impl MainLoop {
    /// The time for the core now, never earlier than the last one given.
    fn now(&mut self) -> Timestamp {
        self.time_at(self.clock.now())
    }

    fn time_at(&mut self, t: Timestamp) -> Timestamp {
        self.last_now = self.last_now.max(t);
        self.last_now
    }
    /// Hand every pending station event to the OCPP + persistence actor (journal, then
    /// OCPP); `ack` fires once all are written. Never waits.
    fn flush(&mut self, ack: Option<Ack>) {
        let mut batch = Vec::new();
        let now = self.now();
        while let Some(ev) = self.rig.poll_event() {
            log_event(&ev);
            if let (false, StationEvent::VehicleIdentified { connector, vin, .. }) =
                (self.ocpp_running, &ev)
            {
                self.vins_without_ocpp.push((*connector, vin.clone()));
            }
            let wall = self.clock.wall(ev.at());
            batch.push((ev, wall));
        }
        if batch.is_empty() && ack.is_none() {
            return;
        }
        self.send_ocpp(ToOcpp::Events {
            events: batch,
            now,
            ack,
        });
    }

    /// A message to the OCPP + persistence actor; should it be gone, an acknowledgement
    /// waiting in the message says so.
    fn send_ocpp(&self, msg: ToOcpp) {
        if let Err(tokio::sync::mpsc::error::SendError(msg)) = self.to_ocpp.send(msg) {
            tracing::error!("the OCPP + journal thread is gone");
            match msg {
                ToOcpp::Events { ack: Some(ack), .. } => {
                    let _ = ack.send(Err("the journal thread is gone".into()));
                }
                ToOcpp::AuthorizeStart { reply, .. } => {
                    let _ = reply.send(Response::error("the OCPP + journal thread is gone"));
                }
                ToOcpp::Control(env) => {
                    let _ = env
                        .reply
                        .send(Response::error("the OCPP + journal thread is gone"));
                }
                _ => {}
            }
        }
    }

    fn step(&mut self) {
        let now = self.now();
        self.step_at(now);
    }

    /// A step at `at`: the time the tick was scheduled for, so that the protocols' frame grids
    /// (CCS every 50 ms, CHAdeMO every 100 ms) land on the same step each period instead of
    /// jittering by one step with the wake-up latency.
    fn step_at(&mut self, at: Timestamp) {
        let now = self.time_at(at);
        self.rig.step(now);
        self.flush(None);
        self.authorize_vins_without_ocpp(now);
    }

    /// Without OCPP, `authorization.id_tags` is the list that decides (see
    /// [`offline_authorization`](Self::offline_authorization)).
    fn offline_authorization(&self, id_tag: &str) -> Result<(), String> {
        if crate::station::auth::local_list_match(&self.cfg.authorization.id_tags, id_tag).is_some()
        {
            return Ok(());
        }
        Err(format!(
            "OCPP is not running ({}); id tag {id_tag} is not in authorization.id_tags, the list that decides without OCPP",
            self.ocpp_down.as_deref().unwrap_or("not configured")
        ))
    }

    /// Autocharge while OCPP is down: a VIN in `authorization.id_tags` starts its transaction,
    /// any other ends the identifying session, as the charge point would have decided.
    fn authorize_vins_without_ocpp(&mut self, now: Timestamp) {
        for (connector, vin) in std::mem::take(&mut self.vins_without_ocpp) {
            let command = match self.offline_authorization(&vin) {
                Ok(()) => StationCommand::Start {
                    connector,
                    id_tag: Some(vin),
                },
                Err(why) => {
                    tracing::warn!(connector, %why, "vehicle not authorized");
                    StationCommand::Stop {
                        connector,
                        reason: charger_protocol::StopReason::DeAuthorized,
                    }
                }
            };
            if let Err(e) = self.apply(command, now) {
                tracing::warn!(connector, error = %e, "autocharge without OCPP");
            }
            self.flush(None);
        }
    }

    /// Carry out what the OCPP side asked of the station (a message from the actor).
    fn on_ocpp(&mut self, msg: ToControl) {
        let now = self.now();
        match msg {
            ToControl::Station {
                command,
                ocpp_reply,
                answer,
            } => {
                tracing::info!(command = ?command, "command from the OCPP charge point");
                let result = self.apply(command, now);
                if let Err(e) = &result {
                    tracing::info!(error = %e, "OCPP command refused by the station");
                }
                match (answer, &result) {
                    (Some(answer), Ok(outcome)) => {
                        let (ack_tx, ack_rx) = oneshot::channel();
                        self.flush(Some(ack_tx));
                        answer_after_journal(outcome.clone(), ack_rx, answer);
                    }
                    (Some(answer), Err(e)) => {
                        self.flush(None);
                        let _ = answer.send(Response::error(e.to_string()));
                    }
                    (None, _) => self.flush(None),
                }
                if let Some(reply) = ocpp_reply {
                    self.send_ocpp(ToOcpp::CommandOutcome { reply, result });
                }
            }
            ToControl::ReadMeters {
                connectors,
                context,
                version,
            } => {
                let readings = self
                    .rig
                    .status()
                    .into_iter()
                    .filter(|v| connectors.contains(&v.station.id))
                    .map(|v| MeterReading::of(&v))
                    .collect();
                self.send_ocpp(ToOcpp::MeterReadings {
                    readings,
                    context,
                    version,
                    now,
                });
            }
            ToControl::Reset { hard } => {
                tracing::warn!(hard, "reset requested by the CSMS");
                self.reset_requested = Some(hard);
            }
        }
    }

    fn status(&mut self) -> Response {
        Response::Status(StationStatus {
            name: self.cfg.station.name.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_s: self.clock.now().as_millis() / 1000,
            journal: self.cfg.journal_path().display().to_string(),
            connectors: self.rig.status(),
            ocpp: self.ocpp_summary(),
            journal_recovered: self.journal_recovery.clone(),
            control_step: self.latencies.summary(),
            pool: self.rig.pool(),
            devices: self
                .devices
                .as_ref()
                .map(|h| h.report(tokio::time::Instant::now()))
                .unwrap_or_default(),
        })
    }

    /// `chargerctl hw`: each connector's lines and the devices, now.
    fn hw(&mut self, now: Timestamp) -> Response {
        let views = self.rig.status();
        let connectors = self
            .rig
            .board(now)
            .into_iter()
            .map(|(id, inputs, outputs, lines)| {
                let station = views
                    .iter()
                    .find(|v| v.station.id == id)
                    .map(|v| &v.station);
                crate::control::HwConnector {
                    id,
                    status: station
                        .map_or(crate::station::ConnectorStatus::Unavailable, |s| s.status),
                    operative: station.is_some_and(|s| s.operative),
                    inputs,
                    outputs,
                    test_outputs: station.map(|s| s.test_outputs.clone()).unwrap_or_default(),
                    lines,
                }
            })
            .collect();
        Response::Hw(crate::control::HwReport {
            connectors,
            matrix: self.rig.matrix_lines(now),
            devices: self
                .devices
                .as_ref()
                .map(|h| h.report(tokio::time::Instant::now()))
                .unwrap_or_default(),
        })
    }

    /// The one-line `STATUS=` systemd shows (`systemctl status chargerd`).
    fn status_line(&mut self) -> String {
        let views: Vec<_> = self.rig.status().into_iter().map(|v| v.station).collect();
        status_summary(&views, self.ocpp_summary().as_deref())
    }

    /// One line on the OCPP side for `chargerctl status`: why it is down, if it is. From the
    /// actor's snapshot: never waits for it.
    fn ocpp_summary(&self) -> Option<String> {
        self.ocpp_view.borrow().summary.clone()
    }

    /// Whether the watchdog may be petted as far as OCPP goes: the link task does not keep
    /// failing — or a truck is charging (a restart would end its session: OCPP trouble never
    /// stops charging). A dead OCPP + journal thread is another matter: a transaction that
    /// cannot be journaled must not go on. The sessions are ended (ramped down as for any
    /// stop), nothing new starts, and once they are safe the watchdog stops for a restart.
    fn ocpp_healthy(&mut self) -> bool {
        if self.to_ocpp.is_closed() {
            if !self.journal_lost {
                self.journal_lost = true;
                tracing::error!(
                    "the OCPP + journal thread is gone: ending every session, then restarting"
                );
                self.end_every_session(StopReason::ChargerFault("journal writer gone".into()));
            }
            return self.sessions_active();
        }
        self.ocpp_view.borrow().healthy || self.sessions_active()
    }

    /// Block new sessions (the maintenance block: no CSMS RemoteStart, no authorization
    /// answered late, no auto-start) and stop every running one for `reason`. Shutdown and a
    /// lost journal both end the station's charging this way.
    fn end_every_session(&mut self, reason: StopReason) {
        let now = self.now();
        if let Err(e) = self
            .rig
            .command(StationCommand::SetMaintenance { blocked: true }, now)
        {
            tracing::warn!(error = %e, "new sessions not blocked");
        }
        for id in self.rig.station().connector_ids() {
            self.rig.report_fault(id, reason.clone(), now);
        }
        // Nothing driven by hand outlives the daemon, or a lost journal.
        self.rig.release_test_outputs();
    }

    /// Answer a control request. Requests whose effect is journaled reply after the write.
    fn handle(&mut self, env: ControlEnvelope) {
        let now = self.now();
        let ControlEnvelope { request, reply } = env;
        let command = match request {
            Request::Status => {
                let _ = reply.send(self.status());
                return;
            }
            Request::Hw => {
                let _ = reply.send(self.hw(now));
                return;
            }
            Request::CanDump { connector, from } => {
                let protocol = self
                    .cfg
                    .connectors
                    .iter()
                    .find(|c| c.id == connector)
                    .map(|c| c.protocol);
                let response = match (protocol, self.rig.can_log(connector, from)) {
                    (Some(protocol), Some((frames, next, missed))) => Response::Frames {
                        protocol,
                        frames,
                        next,
                        missed,
                    },
                    _ => Response::error(format!("no connector {connector}")),
                };
                let _ = reply.send(response);
                return;
            }
            Request::HwSet {
                connector,
                line,
                level,
            } => StationCommand::TestOutput {
                connector,
                line,
                level,
            },
            request @ (Request::Sessions { .. }
            | Request::Ocpp
            | Request::ConfigGet { .. }
            | Request::ConfigSet { .. }) => {
                // The OCPP + persistence actor answers these itself.
                self.send_ocpp(ToOcpp::Control(ControlEnvelope { request, reply }));
                return;
            }
            Request::Sim { connector, command } => {
                let response = match self.rig.simulate(connector, command, now) {
                    Ok(()) => {
                        // Let the station see the change (a plug-in, a fault) before answering,
                        // so that a `start` right after a `sim plug` finds the truck there.
                        self.step();
                        Response::SimDone
                    }
                    Err(e) => Response::error(e.to_string()),
                };
                let _ = reply.send(response);
                return;
            }
            Request::Inlet { connector, inlet } => {
                // Called every few milliseconds by an external simulator: applied without an
                // extra step, so the station keeps its own cadence; the next step sees it.
                let response = match self.rig.inlet(connector, &inlet, now) {
                    Ok(report) => Response::Inlet(report),
                    Err(e) => Response::error(e.to_string()),
                };
                let _ = reply.send(response);
                return;
            }
            Request::Start {
                connector,
                id_tag: Some(id_tag),
            } if self.cfg.authorization.mode == crate::config::AuthorizationMode::Ocpp => {
                // The OCPP charge point decides: local list, cache, or Authorize.req; without
                // it, the configured id tags do.
                if self.ocpp_running {
                    self.send_ocpp(ToOcpp::AuthorizeStart {
                        connector,
                        id_tag,
                        reply,
                    });
                    return;
                }
                if let Err(why) = self.offline_authorization(&id_tag) {
                    let _ = reply.send(Response::error(why));
                    return;
                }
                StationCommand::Start {
                    connector,
                    id_tag: Some(id_tag),
                }
            }
            Request::Start { connector, id_tag } => StationCommand::Start { connector, id_tag },
            Request::Stop { connector } => StationCommand::Stop {
                connector,
                reason: charger_protocol::StopReason::Local,
            },
            Request::Availability {
                connector,
                operative,
            } => StationCommand::SetAvailability {
                connector,
                operative,
            },
        };
        self.command_reply(command, reply, now);
    }

    /// Apply a technician's command and answer once its effects are journaled.
    fn command_reply(
        &mut self,
        command: StationCommand,
        reply: oneshot::Sender<Response>,
        now: Timestamp,
    ) {
        tracing::info!(command = ?command, "control command");
        let outcome = match self.apply(command, now) {
            Ok(outcome) => outcome,
            Err(e) => {
                let _ = reply.send(Response::error(e.to_string()));
                return;
            }
        };
        let (ack_tx, ack_rx) = oneshot::channel();
        self.flush(Some(ack_tx));
        answer_after_journal(outcome, ack_rx, reply);
    }

    /// Apply a command to the station, for a technician or the CSMS: persist an availability
    /// change, and run one step at once so that the command's effects (a started transaction)
    /// are events now, to be journaled (and sent to the CSMS) before anyone is answered.
    fn apply(
        &mut self,
        command: StationCommand,
        now: Timestamp,
    ) -> Result<CommandOutcome, CommandError> {
        let persist_availability = match &command {
            StationCommand::SetAvailability {
                connector,
                operative,
            } => Some((*connector, *operative)),
            _ => None,
        };
        let outcome = self.rig.command(command, now)?;
        self.rig.step(now);
        if let (
            Some((connector, operative)),
            CommandOutcome::AvailabilityChanged | CommandOutcome::AvailabilityScheduled,
        ) = (persist_availability, &outcome)
        {
            self.send_ocpp(ToOcpp::SetOperative {
                connector,
                operative,
            });
        }
        Ok(outcome)
    }

    fn sessions_active(&mut self) -> bool {
        self.rig
            .status()
            .iter()
            .any(|c| !matches!(c.station.phase, SessionPhase::Idle))
    }

    /// Sessions, or modules of the pool still switching off (released modules ramp down and
    /// open their matrix contactors after the sessions have ended).
    fn outputs_active(&mut self) -> bool {
        self.sessions_active() || self.rig.station().pool_busy()
    }

    /// Stop every session and keep stepping until they are safe or the grace period ends;
    /// the CSMS's commands (answers to the StopTransactions this sends) are still carried out
    /// meanwhile. Then wait for the journal to have everything.
    async fn shutdown(
        &mut self,
        reason: StopReason,
        to_control: &mut tokio::sync::mpsc::UnboundedReceiver<ToControl>,
    ) {
        self.notifier.stopping();
        self.end_every_session(reason);
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        let mut tick = tokio::time::interval(self.cfg.step_interval());
        while self.outputs_active() && tokio::time::Instant::now() < deadline {
            tokio::select! {
                _ = tick.tick() => {
                    self.step();
                    // systemd's watchdog stays armed while the unit stops: the ramp-down is
                    // the loop doing its work, so each step that ran still pets it.
                    self.notifier.watchdog();
                }
                Some(msg) = to_control.recv() => self.on_ocpp(msg),
            }
        }
        if self.outputs_active() {
            tracing::error!("sessions or pool modules still active at the end of the shutdown grace period: forcing the outputs safe");
            // Supplies off at once; contactors open once the current has fallen, and after
            // FORCE_SAFE_OPEN_AFTER whatever flows: the process must not leave them closed.
            let until = tokio::time::Instant::now() + FORCE_SAFE_OPEN_AFTER;
            loop {
                let late = tokio::time::Instant::now() >= until;
                let now = self.now();
                if self.rig.force_safe(now, late) {
                    if late {
                        tracing::error!("contactors opened with current still flowing");
                    }
                    break;
                }
                tick.tick().await;
                self.notifier.watchdog();
            }
        }
        // Every line at rest whatever was asked (sessions ended above, hands released): the
        // last commands written, then a moment for the sources' threads and tasks to put them
        // on the wire before the process takes them away.
        self.step();
        let now = self.now();
        if !self.rig.force_safe(now, false) {
            tracing::error!("current still flowing at exit: contactors left as they are");
        }
        tokio::time::sleep(OUTPUTS_SETTLE).await;
        let (ack, done) = oneshot::channel();
        self.flush(Some(ack));
        // Bounded: a journal that never answers must not hold the process (and its outputs)
        // until systemd's stop timeout kills it.
        if tokio::time::timeout(JOURNAL_FLUSH_WAIT, done)
            .await
            .is_err()
        {
            tracing::error!("the journal did not confirm the last events in time");
        }
    }
}

/// Answer a technician once the events of the command are journaled: a task of its own, so
/// the control loop goes on stepping while the journal writes.
fn answer_after_journal(
    outcome: CommandOutcome,
    ack: oneshot::Receiver<Result<(), String>>,
    reply: oneshot::Sender<Response>,
) {
    tokio::spawn(async move {
        let response = match ack.await {
            Ok(Ok(())) => Response::Done(outcome),
            Ok(Err(e)) => Response::error(format!("journal write failed: {e}")),
            Err(_) => Response::error("the journal thread is gone"),
        };
        let _ = reply.send(response);
    });
}

fn log_event(ev: &StationEvent) {
    match ev {
        StationEvent::TransactionStopped(t) => tracing::info!(
            transaction_id = t.transaction_id,
            connector = t.connector,
            meter_stop_wh = t.meter_stop_wh,
            reason = %t.reason,
            "transaction stopped"
        ),
        StationEvent::TransactionStarted(t) => tracing::info!(
            transaction_id = t.transaction_id,
            connector = t.connector,
            meter_start_wh = t.meter_start_wh,
            "transaction started"
        ),
        _ => tracing::debug!(event = ?ev, "station event"),
    }
}

/// Validate the configuration against the file system without starting anything.
pub fn check(cfg: &Config, file: &Path) -> Result<(), DaemonError> {
    cfg.check_environment(file)?;
    hardware::check(cfg)?;
    // The `[[devices]]`' profiles, read and checked against their devices (no connection).
    let base = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    charger_hal::devices::check_devices(&cfg.devices, &base)
        .map_err(|e| DaemonError::Devices(device_error(file, &e)))?;
    hardware::check_io_modules(cfg, &base)?;
    Ok(())
}

/// A device that cannot be built, named like a configuration error: file, key, device, problem.
fn device_error(file: &Path, e: &charger_hal::devices::BuildError) -> String {
    format!(
        "{}: devices[{}].{}: device {}: {}",
        file.display(),
        e.index,
        e.key,
        e.device,
        e.problem
    )
}

/// Run the daemon until SIGTERM or SIGINT.
/// Start the `[[devices]]` on their own thread and runtime ("devices"): their connection
/// tasks poll and write there, so a slow bus never delays a control step, which only reads
/// the latest readings. Relative profile paths are taken from the configuration file's
/// directory. `None` without devices.
fn start_devices(
    cfg: &Config,
    config_file: &Path,
    epoch: tokio::time::Instant,
    cabinet: Option<&charger_hal::sim::cabinet::SimCabinet>,
    taps: &BTreeMap<u32, charger_hal::sim::tap::PlantTap>,
) -> Result<Option<charger_hal::devices::Devices>, DaemonError> {
    if cfg.devices.is_empty() {
        return Ok(None);
    }
    let instances = cfg.devices.clone();
    let connector_devices = simulated_connector_devices(cfg, taps);
    let thermal = cfg.simulator.thermal.clone();
    let sensors = cfg.simulator.temperature_sensors.clone();
    // `pool.simulate_devices`: each module's device served from the simulated cabinet.
    let simulated: Vec<(charger_hal::devices::DeviceInstance, usize)> = match (&cfg.pool, cabinet) {
        (Some(pool), Some(_)) if pool.simulate_devices => pool
            .modules
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let name = m.device.as_ref()?;
                let d = cfg.devices.iter().find(|d| &d.name == name)?;
                Some((d.clone(), i))
            })
            .collect(),
        _ => Vec::new(),
    };
    let cabinet = cabinet.cloned();
    let file = config_file.to_path_buf();
    let base = config_file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("devices".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot start the devices' runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                let _servers = match (&cabinet, simulated.is_empty()) {
                    (Some(cabinet), false) => {
                        let served = match serve_simulated_modules(&simulated, &base, cabinet).await
                        {
                            Ok(servers) => serve_simulated_can_modules(&simulated, &base, cabinet)
                                .map(|can| (servers, can)),
                            Err(e) => Err(e),
                        };
                        match served {
                            Ok(servers) => Some(servers),
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                return;
                            }
                        }
                    }
                    _ => None,
                };
                let _connector_servers = match serve_simulated_connector_devices(
                    &connector_devices,
                    &thermal,
                    &sensors,
                    &base,
                )
                .await
                {
                    Ok(servers) => servers,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let clock = charger_hal::devices::ReadingClock::new(epoch);
                let started = charger_hal::devices::spawn_devices(&instances, &base, clock)
                    .await
                    .map_err(|e| device_error(&file, &e));
                let ok = started.is_ok();
                if tx.send(started).is_err() || !ok {
                    return;
                }
                // The connection tasks run on this runtime for the life of the process.
                std::future::pending::<()>().await;
            });
        })
        .map_err(|e| DaemonError::Devices(format!("cannot start the devices' thread: {e}")))?;
    match rx.recv() {
        Ok(Ok(devices)) => {
            tracing::info!(devices = cfg.devices.len(), "devices started");
            Ok(Some(devices))
        }
        Ok(Err(e)) => Err(DaemonError::Devices(e)),
        Err(_) => Err(DaemonError::Devices("the devices' thread ended".into())),
    }
}

/// One simulated connector's devices to serve (`connectors[i].simulate_devices`): its tap and
/// the `[[devices]]` entries of its meter, insulation monitor and cooling unit.
struct ConnectorDevicesToServe {
    connector: u32,
    tap: charger_hal::sim::tap::PlantTap,
    meter: Option<charger_hal::devices::DeviceInstance>,
    imd: Option<charger_hal::devices::DeviceInstance>,
    cooling: Option<charger_hal::devices::DeviceInstance>,
}

fn simulated_connector_devices(
    cfg: &Config,
    taps: &BTreeMap<u32, charger_hal::sim::tap::PlantTap>,
) -> Vec<ConnectorDevicesToServe> {
    use charger_hal::profile::roles::Role;
    cfg.connectors
        .iter()
        .filter_map(|c| {
            let tap = taps.get(&c.id)?.clone();
            let instance = |role: Role| {
                let part = c.devices().into_iter().find(|p| p.role == role)?;
                cfg.devices.iter().find(|d| d.name == part.device).cloned()
            };
            Some(ConnectorDevicesToServe {
                connector: c.id,
                tap,
                meter: instance(Role::DcMeter),
                imd: instance(Role::InsulationMonitor),
                cooling: instance(Role::CoolingUnit),
            })
        })
        .collect()
}

/// Serve each simulated connector's meter, insulation monitor and cooling unit as Modbus TCP
/// devices on their loopback addresses, laid out by their profiles and fed from the
/// connector's tap (`hal::sim::modbus::connector::serve_connector_devices`).
async fn serve_simulated_connector_devices(
    connectors: &[ConnectorDevicesToServe],
    thermal: &Option<charger_hal::sim::thermal::ThermalPlantParams>,
    sensors: &charger_hal::sim::thermal::SensorChainParams,
    base: &Path,
) -> Result<Vec<charger_hal::sim::modbus::connector::SimConnectorDevices>, String> {
    use charger_hal::devices::{DeviceInstance, Transport};
    use charger_hal::sim::modbus::connector::{
        serve_connector_devices, ConnectorDevicesSpec, DeviceSpec,
    };
    let spec_of = |d: &Option<DeviceInstance>| -> Result<Option<DeviceSpec>, String> {
        let Some(d) = d else { return Ok(None) };
        // (Checked at load: only Modbus TCP devices are simulated for a connector.)
        let Transport::ModbusTcp(t) = &d.transport else {
            return Err(format!("{}: simulated over Modbus TCP only", d.name));
        };
        let profile = charger_hal::profile::Profile::load(&base.join(&d.profile))
            .map_err(|e| format!("{}: {e}", d.name))?;
        let ip = if t.host == "localhost" {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            t.host
                .parse()
                .map_err(|e| format!("{}: simulated at {}: {e}", d.name, t.host))?
        };
        Ok(Some(DeviceSpec {
            profile: std::sync::Arc::new(profile),
            addr: std::net::SocketAddr::new(ip, t.port),
        }))
    };
    let mut served = Vec::with_capacity(connectors.len());
    for c in connectors {
        let spec = ConnectorDevicesSpec {
            meter: spec_of(&c.meter)?,
            imd: spec_of(&c.imd)?,
            cooling: spec_of(&c.cooling)?,
            // `[simulator.thermal]` (absent: the defaults) is the served plant too.
            thermal: thermal.clone(),
            sensors: sensors.clone(),
            tick: std::time::Duration::from_millis(10),
        };
        let devices = serve_connector_devices(spec, c.tap.clone())
            .await
            .map_err(|e| {
                format!(
                    "cannot serve connector {}'s simulated devices: {e}",
                    c.connector
                )
            })?;
        tracing::info!(
            connector = c.connector,
            "simulated connector's meter, IMD and cooling unit served over Modbus TCP"
        );
        served.push(devices);
    }
    Ok(served)
}

/// Serve the simulated cabinet's modules as Modbus TCP devices: one gateway per address,
/// each unit the module whose device it is, laid out by the device's profile.
async fn serve_simulated_modules(
    modules: &[(charger_hal::devices::DeviceInstance, usize)],
    base: &Path,
    cabinet: &charger_hal::sim::cabinet::SimCabinet,
) -> Result<
    Vec<charger_hal::sim::modbus::server::SimServer<charger_hal::sim::cabinet::CabinetModulePlant>>,
    String,
> {
    use charger_hal::devices::Transport;
    use charger_hal::sim::modbus::{server::serve_gateway, SimDevice};
    use std::collections::BTreeMap;
    let mut by_address: BTreeMap<(String, u16), Vec<(u8, SimDevice<_>)>> = BTreeMap::new();
    for (device, index) in modules {
        // Modules on CAN: serve_simulated_can_modules.
        let Transport::ModbusTcp(t) = &device.transport else {
            continue;
        };
        let path = base.join(&device.profile);
        let profile = charger_hal::profile::Profile::load(&path)
            .map_err(|e| format!("{}: {e}", device.name))?;
        let unit = SimDevice::new(std::sync::Arc::new(profile), cabinet.module_plant(*index))
            .map_err(|e| format!("{}: {e}", device.name))?;
        by_address
            .entry((t.host.clone(), t.port))
            .or_default()
            .push((t.unit, unit));
    }
    let mut servers = Vec::new();
    for ((host, port), units) in by_address {
        let ip = if host == "localhost" {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            host.parse()
                .map_err(|e| format!("simulated modules at {host}: {e}"))?
        };
        let server = serve_gateway(
            units,
            std::net::SocketAddr::new(ip, port),
            std::time::Duration::from_millis(10),
        )
        .await
        .map_err(|e| format!("cannot serve the simulated modules at {host}:{port}: {e}"))?;
        tracing::info!(%host, port, "simulated cabinet served over Modbus TCP");
        servers.push(server);
    }
    Ok(servers)
}

/// Serve the simulated cabinet's modules whose devices are on CAN: one simulator per
/// cannelloni link, bound to the link's `peer` and talking to its `bind`, each module at its
/// device's address, laid out by the device's CAN profile.
fn serve_simulated_can_modules(
    modules: &[(charger_hal::devices::DeviceInstance, usize)],
    base: &Path,
    cabinet: &charger_hal::sim::cabinet::SimCabinet,
) -> Result<Vec<charger_hal::sim::can_module::CanModuleSimServer>, String> {
    use charger_hal::can::cannelloni::CannelloniPort;
    use charger_hal::devices::{CanLink, Transport};
    use charger_hal::sim::can_module::{CanModuleSim, CanModuleSimServer};
    use std::collections::BTreeMap;
    type Link = (std::net::SocketAddr, std::net::SocketAddr, PathBuf);
    let mut by_link: BTreeMap<Link, Vec<(u32, charger_hal::sim::cabinet::CabinetModulePlant)>> =
        BTreeMap::new();
    for (device, index) in modules {
        let Transport::Can(can) = &device.transport else {
            continue;
        };
        // Config::validate allows simulate_devices on cannelloni links only.
        let CanLink::Cannelloni { bind, peer, .. } = &can.link else {
            return Err(format!(
                "{}: pool.simulate_devices serves CAN modules over cannelloni only",
                device.name
            ));
        };
        by_link
            .entry((*bind, *peer, base.join(&device.profile)))
            .or_default()
            .push((can.address, cabinet.module_plant(*index)));
    }
    let mut servers = Vec::new();
    for ((bind, peer, profile), plants) in by_link {
        let profile = charger_hal::profile::can::CanProfile::load(&profile)
            .map_err(|e| format!("simulated CAN modules: {e}"))?;
        let sim = CanModuleSim::cabinet(std::sync::Arc::new(profile), plants)
            .map_err(|e| format!("simulated CAN modules on {peer}: {e}"))?;
        let port = CannelloniPort::open(peer, bind)
            .map_err(|e| format!("cannot serve the simulated CAN modules at {peer}: {e}"))?;
        let server = CanModuleSimServer::spawn(port, sim, std::time::Duration::from_millis(5))
            .map_err(|e| format!("cannot start the simulated CAN modules at {peer}: {e}"))?;
        tracing::info!(%peer, %bind, "simulated cabinet served over CAN (cannelloni)");
        servers.push(server);
    }
    Ok(servers)
}

pub async fn run(cfg: Config, config_file: PathBuf) -> Result<(), DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};

    let notifier = Notifier::from_env();
    cfg.check_environment(&config_file)?;
    let clock = Clock::start();
    // Start-up never refuses to charge over its own journal (issue 10): an unusable one is
    // moved aside and what can be read of it carried over.
    let (mut store, journal_recovery) =
        Store::open_or_recover(&cfg.journal_path(), &clock.wall(clock.now()))?;
    if let Some(r) = &journal_recovery {
        if let Err(e) = store.log_journal_recovery(r, &clock.wall(clock.now())) {
            tracing::warn!(error = %e, "journal recovery not recorded");
        }
    }
    let interrupted = store.close_interrupted(&clock.wall(clock.now()))?;
    if !interrupted.is_empty() {
        let ids: Vec<i64> = interrupted.iter().map(|t| t.transaction_id).collect();
        tracing::warn!(transactions = ?ids, "closed transactions interrupted by the last stop");
    }
    let restored = store.restore()?;
    let cabinet = hardware::sim_cabinet(&cfg);
    let taps = hardware::sim_taps(&cfg);
    let devices = start_devices(&cfg, &config_file, clock.start, cabinet.as_ref(), &taps)?;
    // The connector lines on I/O modules against their profiles, as --check-config does: a
    // line on the wrong kind of point (feedback read from an output's own echo) never runs.
    {
        let base = config_file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        hardware::check_io_modules(&cfg, &base)?;
    }
    let mut io = hardware::start_io_sources(
        &cfg,
        &config_file,
        charger_hal::devices::ReadingClock::new(clock.start),
    )?;
    hardware::add_io_modules(&mut io, devices.as_ref());
    let mut hardware = hardware::build_with_devices(&cfg, devices, cabinet, &taps, &io)?;
    let device_health = hardware.devices.take();
    let station = Station::new(&cfg, hardware::session_factory(), &restored, clock.now());
    let mut rig = hardware.into_rig(station);
    if let Some(why) = &cfg.ocpp_error {
        tracing::error!(error = %why, "OCPP section set aside; the station runs without OCPP");
    }
    // The OCPP client and the journal on their own thread: the control loop below never
    // waits for SQLite or the network. Start-up waits for it (READY=1 comes after the store
    // is up); OCPP failing to start never stops the station.
    let (actor, started) = ocpp_actor::spawn(ocpp_actor::Setup {
        store,
        journal: cfg.journal_path(),
        section: cfg.ocpp.clone(),
        ocpp_error: cfg.ocpp_error.clone(),
        connectors: rig.status().into_iter().map(|v| v.station).collect(),
        interrupted,
        ratings: cfg
            .connectors
            .iter()
            .map(|c| {
                (
                    c.id,
                    f64::from(c.max_current),
                    f64::from(c.max_power_kw) * 1000.0,
                )
            })
            .collect(),
        diagnostics_config: serde_json::to_value(&cfg).unwrap_or_default(),
        wall_start_ms: clock.wall_start_ms,
        clock_start: clock.start,
        pump_interval: cfg.step_interval(),
    })
    .await
    .map_err(DaemonError::Journal)?;
    let OcppActor {
        to_ocpp,
        mut to_control,
        view: ocpp_view,
        thread: ocpp_thread,
    } = actor;

    // Two sockets, one main loop: what each may ask is decided by the socket (control/mod.rs).
    let admin_path = cfg.admin_socket();
    let listener = server::bind(&cfg.station.control_socket, SocketRole::ReadOnly).await?;
    let admin_listener = server::bind(&admin_path, SocketRole::Admin).await?;
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<ControlEnvelope>(64);
    let server_task = tokio::spawn(server::serve(
        listener,
        SocketRole::ReadOnly,
        ctl_tx.clone(),
    ));
    let admin_task = tokio::spawn(server::serve(admin_listener, SocketRole::Admin, ctl_tx));

    let mut sigterm = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;

    let socket_path = cfg.station.control_socket.clone();
    let step = cfg.step_interval();
    let mut main = MainLoop {
        cfg,
        clock,
        rig,
        to_ocpp,
        ocpp_view,
        journal_lost: false,
        notifier,
        ocpp_running: started.ocpp_running,
        reset_requested: None,
        last_now: Timestamp::ZERO,
        ocpp_down: started.ocpp_down,
        vins_without_ocpp: Vec::new(),
        journal_recovery: journal_recovery.map(|r| r.to_string()),
        latencies: StepLatencies::new(),
        devices: device_health,
    };
    tracing::info!(
        station = %main.cfg.station.name,
        connectors = main.cfg.connectors.len(),
        socket = %socket_path.display(),
        admin_socket = %admin_path.display(),
        journal = %main.cfg.journal_path().display(),
        "chargerd ready"
    );
    main.notifier.ready();
    let mut status_line = main.status_line();
    main.notifier.status(&status_line);
    let mut status_checked = tokio::time::Instant::now();

    let mut tick = tokio::time::interval(step);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut watchdog = main
        .notifier
        .watchdog_interval()
        .map(|every| WatchdogGate::new(every, step));
    let mut last_step_done = tokio::time::Instant::now();
    loop {
        tokio::select! {
            scheduled = tick.tick() => {
                let at = main.clock.at(scheduled);
                let began = tokio::time::Instant::now();
                main.step_at(at);
                let done = tokio::time::Instant::now();
                main.latencies.record(
                    done.saturating_duration_since(scheduled),
                    done.saturating_duration_since(began),
                );
                // STATUS= follows the station, checked once a second, sent when it changed.
                if status_checked.elapsed() >= STATUS_EVERY {
                    status_checked = tokio::time::Instant::now();
                    let line = main.status_line();
                    if line != status_line {
                        main.notifier.status(&line);
                        status_line = line;
                    }
                }
                // Pinged from the step path, after a step ran, and only while the steps keep
                // their schedule: if the loop stalls, systemd notices; so it does when the
                // OCPP link task keeps failing, but only once no truck is charging (a restart
                // would end its session: OCPP trouble never stops charging).
                let since_last = done.saturating_duration_since(last_step_done);
                last_step_done = done;
                let on_schedule = watchdog.as_mut().is_some_and(|g| g.step_completed(since_last));
                if on_schedule && main.ocpp_healthy() {
                    main.notifier.watchdog();
                }
            }
            Some(env) = ctl_rx.recv() => main.handle(env),
            Some(msg) = to_control.recv() => main.on_ocpp(msg),
            _ = sigterm.recv() => { tracing::info!("SIGTERM: stopping"); break; }
            _ = sigint.recv() => { tracing::info!("SIGINT: stopping"); break; }
        }
        if main.reset_requested.is_some() {
            break;
        }
    }
    let reason = match main.reset_requested {
        Some(hard) => StopReason::Reset { hard },
        None => StopReason::Shutdown,
    };
    main.shutdown(reason, &mut to_control).await;
    // The OCPP side replays the shutdown's StopTransactions for a moment (whatever does not
    // reach the CSMS is in the outbox for the next start) and closes the link.
    let (done_tx, done_rx) = oneshot::channel();
    main.send_ocpp(ToOcpp::Shutdown { done: done_tx });
    if tokio::time::timeout(OCPP_SHUTDOWN_WAIT, done_rx)
        .await
        .is_err()
    {
        tracing::warn!("the OCPP + journal thread did not finish in time");
    } else if ocpp_thread.join().is_err() {
        tracing::error!("the OCPP + journal thread panicked");
    }
    server_task.abort();
    admin_task.abort();
    let _ = std::fs::remove_file(&socket_path);
    let _ = std::fs::remove_file(&admin_path);
    tracing::info!("chargerd stopped");
    if let Some(hard) = main.reset_requested {
        restart_process(hard);
    }
    Ok(())
}

/// How often the `STATUS=` line is brought up to date.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// `2 connectors: 1 charging 114 A, 1 faulted; OCPP connected`: what an operator wants from
/// `systemctl status` at a glance.
pub fn status_summary(
    connectors: &[crate::station::ConnectorSnapshot],
    ocpp: Option<&str>,
) -> String {
    use crate::station::ConnectorStatus;
    let n = connectors.len();
    let charging: Vec<String> = connectors
        .iter()
        .filter(|c| c.status == ConnectorStatus::Charging)
        .map(|c| format!("{:.0} A", c.current.max(0.0)))
        .collect();
    let faulted = connectors
        .iter()
        .filter(|c| c.status == ConnectorStatus::Faulted)
        .count();
    let mut line = format!(
        "{n} connector{}: {} charging",
        if n == 1 { "" } else { "s" },
        charging.len()
    );
    if !charging.is_empty() {
        line.push(' ');
        line.push_str(&charging.join(", "));
    }
    if faulted > 0 {
        line.push_str(&format!(", {faulted} faulted"));
    }
    let ocpp = match ocpp {
        None => "not configured".to_string(),
        Some(s) if s.starts_with("connected") => "connected".to_string(),
        Some(s) => s.chars().take(80).collect(),
    };
    line.push_str(&format!("; OCPP {ocpp}"));
    line
}

/// Exit status of a Soft reset under systemd. Not 101: that is how a Rust program exits when
/// its main thread panics, and a crash must never read as "reboot the board" (a panic at
/// every start would reboot for ever).
/// the unit's `RestartForceExitStatus=` turns it
/// into a restart of the service (systemd/chargerd.service).
pub const EXIT_SOFT_RESET: u8 = 120;
/// Exit status of a Hard reset under systemd: the service restarts as after a Soft one, and the
/// unit's privileged `ExecStopPost=+` hook (systemd/chargerd-reset-hook) reboots the board when
/// it sees this status. The daemon itself never holds the privilege to reboot (SECURITY.md).
pub const EXIT_HARD_RESET: u8 = 121;

/// What a Reset from the CSMS does once the sessions are stopped and the journal flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetAction {
    /// Exit with this status; the service manager restarts (and on a Hard reset reboots).
    Exit(u8),
    /// No service manager to restart us (a development or simulator run): replace this
    /// process with a fresh one with the same arguments. A Hard reset cannot reboot then.
    ReExec,
}

/// Soft and Hard differ only under a service manager; without one both re-exec in place.
pub fn reset_action(hard: bool, supervised: bool) -> ResetAction {
    match (supervised, hard) {
        (true, false) => ResetAction::Exit(EXIT_SOFT_RESET),
        (true, true) => ResetAction::Exit(EXIT_HARD_RESET),
        (false, _) => ResetAction::ReExec,
    }
}

/// Started by systemd: it sets `$INVOCATION_ID` for every service (and `$NOTIFY_SOCKET` for
/// `Type=notify` ones).
fn supervised_by_systemd() -> bool {
    ["INVOCATION_ID", "NOTIFY_SOCKET"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Reset from the CSMS: sessions are already stopped and the journal flushed. Under systemd the
/// process exits with the reset's status (the unit restarts it, or reboots); otherwise it
/// replaces itself with a fresh process with the same arguments (the same PID).
fn restart_process(hard: bool) {
    use std::os::unix::process::CommandExt;
    match reset_action(hard, supervised_by_systemd()) {
        ResetAction::Exit(status) => {
            tracing::info!(
                hard,
                status,
                "reset: exiting for the service manager to restart"
            );
            crate::logging::flush(Duration::from_secs(2));
            std::process::exit(i32::from(status));
        }
        ResetAction::ReExec => {
            if hard {
                tracing::warn!(
                    "hard reset without systemd: no reboot (nothing may reboot the board), \
                     restarting the process instead"
                );
            }
        }
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let Some((program, rest)) = args.split_first() else {
        return;
    };
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(program));
    crate::logging::flush(Duration::from_secs(2));
    let err = std::process::Command::new(exe).args(rest).exec();
    tracing::error!(error = %err, "restart after reset failed; exiting");
}

#[cfg(test)]
mod reset_tests {
    use super::*;

    #[test]
    fn a_reset_exits_with_its_own_status_under_systemd_and_re_execs_without() {
        assert_eq!(
            reset_action(false, true),
            ResetAction::Exit(EXIT_SOFT_RESET)
        );
        assert_eq!(reset_action(true, true), ResetAction::Exit(EXIT_HARD_RESET));
        assert_ne!(EXIT_SOFT_RESET, EXIT_HARD_RESET);
        // 101 is what a panicking Rust main thread exits with.
        assert!(![EXIT_SOFT_RESET, EXIT_HARD_RESET].contains(&101));
        // Neither may be a status systemd or the daemon gives another meaning (78: config).
        for s in [EXIT_SOFT_RESET, EXIT_HARD_RESET] {
            assert!(!(64..=78).contains(&s) && s != 1 && s != 0);
        }
        assert_eq!(reset_action(false, false), ResetAction::ReExec);
        assert_eq!(reset_action(true, false), ResetAction::ReExec);
    }
}
