//! The daemon's imperative shell: clock, main loop, control socket, journal thread, systemd.
//!
//! The main loop is the only owner of the [`Rig`] (station + hardware). It steps it on a fixed
//! period, answers control requests between steps, and hands every station event to the
//! journal thread. A control request whose effect must be journaled is answered only after the
//! journal confirms the write.

use std::path::{Path, PathBuf};
use std::time::Duration;

use charger_protocol::{SessionPhase, StopReason, Timestamp};
use tokio::sync::{mpsc, oneshot};

use crate::config::{Config, ConfigError};
use crate::control::server::{self, ControlEnvelope, ControlError};
use crate::control::{Request, Response, SocketRole, StationStatus};
use crate::hardware::{self, HardwareError};
use crate::notify::Notifier;
use crate::ocpp::chargepoint::StartDecision;
use crate::ocpp::client::{ClientRequest, OcppClient, OcppInput};
use crate::ocpp::meter::MeterReading;
use crate::runtime::Rig;
use crate::station::{CommandError, CommandOutcome, Station, StationCommand, StationEvent};
use crate::store::{rfc3339_utc, Store, StoreError};

/// How long a shutdown waits for running sessions to reach a safe state.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

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
    #[error("cannot start the journal thread: {0}")]
    Journal(std::io::Error),
    #[error("ocpp: {0}")]
    Ocpp(#[from] crate::ocpp::client::OcppClientError),
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

type Ack = oneshot::Sender<Result<(), String>>;

enum JournalMsg {
    Record(Vec<(StationEvent, String)>, Option<Ack>),
    SetOperative(u32, bool, Option<Ack>),
    Sessions(u32, oneshot::Sender<Response>),
}

/// The journal's owner: a thread, because SQLite writes with `synchronous=FULL` block.
fn spawn_journal(mut store: Store) -> std::io::Result<std::sync::mpsc::Sender<JournalMsg>> {
    let (tx, rx) = std::sync::mpsc::channel::<JournalMsg>();
    std::thread::Builder::new()
        .name("journal".into())
        .spawn(move || {
            for msg in rx {
                match msg {
                    JournalMsg::Record(events, ack) => {
                        let mut result = Ok(());
                        for (ev, wall) in &events {
                            if let Err(e) = store.record(ev, wall) {
                                tracing::error!(error = %e, event = ?ev, "journal write failed");
                                result = Err(e.to_string());
                            }
                        }
                        if let Some(ack) = ack {
                            let _ = ack.send(result);
                        }
                    }
                    JournalMsg::SetOperative(connector, operative, ack) => {
                        let result = store
                            .set_operative(connector, operative)
                            .map_err(|e| e.to_string());
                        if let Err(e) = &result {
                            tracing::error!(error = %e, "journal write failed");
                        }
                        if let Some(ack) = ack {
                            let _ = ack.send(result);
                        }
                    }
                    JournalMsg::Sessions(limit, reply) => {
                        let response = match store.recent_sessions(limit) {
                            Ok(sessions) => Response::Sessions { sessions },
                            Err(e) => Response::error(e.to_string()),
                        };
                        let _ = reply.send(response);
                    }
                }
            }
        })?;
    Ok(tx)
}

/// A `chargerctl start --id-tag` waiting for the CSMS's Authorize answer (mode `ocpp`).
struct PendingStart {
    connector: u32,
    id_tag: String,
    reply: oneshot::Sender<Response>,
    /// Answered "asking the CSMS" after this, should nothing come back.
    until: tokio::time::Instant,
}

/// How long `chargerctl start` waits for the CSMS to authorize an id tag.
const START_ANSWER_WAIT: Duration = Duration::from_secs(60);

struct MainLoop {
    cfg: Config,
    clock: Clock,
    rig: Rig,
    journal: std::sync::mpsc::Sender<JournalMsg>,
    notifier: Notifier,
    ocpp: Option<OcppClient>,
    /// The CSMS asked for a reset (`Some(hard)`): leave the loop and restart the process.
    reset_requested: Option<bool>,
    /// The latest time handed to the core: time never goes backwards for it.
    last_now: Timestamp,
    pending_starts: Vec<PendingStart>,
    /// Why OCPP is not running although configured (a broken `[ocpp]` section, missing TLS
    /// files, a work directory that cannot be made): the station charges without it.
    ocpp_down: Option<String>,
    /// Vehicles identified by VIN (autocharge) while OCPP is down, to be decided locally.
    vins_without_ocpp: Vec<(u32, String)>,
    /// What start-up did with an unusable journal, shown by `chargerctl status`.
    journal_recovery: Option<String>,
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
    /// Hand every pending station event to the journal; `ack` fires once all are written.
    fn flush(&mut self, ack: Option<Ack>) {
        let mut batch = Vec::new();
        let now = self.now();
        while let Some(ev) = self.rig.poll_event() {
            log_event(&ev);
            match (self.ocpp.as_mut(), &ev) {
                (Some(ocpp), _) => ocpp.on_station_event(&ev, now),
                (None, StationEvent::VehicleIdentified { connector, vin, .. }) => {
                    self.vins_without_ocpp.push((*connector, vin.clone()));
                }
                (None, _) => {}
            }
            let wall = self.clock.wall(ev.at());
            batch.push((ev, wall));
        }
        if batch.is_empty() && ack.is_none() {
            return;
        }
        if let Err(std::sync::mpsc::SendError(JournalMsg::Record(_, Some(ack)))) =
            self.journal.send(JournalMsg::Record(batch, ack))
        {
            let _ = ack.send(Err("journal thread is gone".into()));
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
        self.pump_ocpp();
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

    /// Let the OCPP client send and persist, and carry out what the CSMS asked of the station.
    fn pump_ocpp(&mut self) {
        let now = self.now();
        let Some(ocpp) = self.ocpp.as_mut() else {
            return;
        };
        let mut requests = ocpp.pump(now);
        // What the requests cause (a transaction started by the CSMS installs its charging
        // profile, which sets a station limit) comes back from the next pump: carry that out
        // too instead of dropping it; bounded, should the core keep asking.
        for _ in 0..8 {
            if requests.is_empty() {
                break;
            }
            self.carry_out(requests, now);
            requests = match self.ocpp.as_mut() {
                Some(ocpp) => ocpp.pump(now),
                None => Vec::new(),
            };
        }
        if !requests.is_empty() {
            tracing::warn!(
                left = requests.len(),
                "OCPP requests left for the next pump"
            );
            self.carry_out(requests, now);
        }
        if let Some(ocpp) = self.ocpp.as_mut() {
            for (connector, id_tag, why) in ocpp.take_refused_starts() {
                if let Some(i) = self.pending_starts.iter().position(|p| {
                    p.connector == connector && p.id_tag.eq_ignore_ascii_case(&id_tag)
                }) {
                    let _ = self
                        .pending_starts
                        .remove(i)
                        .reply
                        .send(Response::error(why));
                }
            }
        }
        if !self.pending_starts.is_empty() {
            let late = tokio::time::Instant::now();
            let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_starts)
                .into_iter()
                .partition(|p| p.until <= late);
            self.pending_starts = waiting;
            for p in expired {
                let _ = p
                    .reply
                    .send(Response::Done(CommandOutcome::AuthorizationRequested {
                        id_tag: p.id_tag,
                    }));
            }
        }
    }

    /// Carry out what the OCPP client asked of the main loop.
    fn carry_out(&mut self, requests: Vec<ClientRequest>, now: Timestamp) {
        for request in requests {
            match request {
                ClientRequest::Station { command, reply } => {
                    tracing::info!(command = ?command, "command from the OCPP charge point");
                    let command_start = match &command {
                        StationCommand::Start {
                            connector,
                            id_tag: Some(tag),
                        } => Some((*connector, tag.clone())),
                        _ => None,
                    };
                    let result = self.apply(command, now);
                    if let Err(e) = &result {
                        tracing::info!(error = %e, "OCPP command refused by the station");
                    }
                    let waiting = match (&command_start, &reply) {
                        (Some((c, tag)), None) => self
                            .pending_starts
                            .iter()
                            .position(|p| p.connector == *c && p.id_tag.eq_ignore_ascii_case(tag))
                            .map(|i| self.pending_starts.remove(i)),
                        _ => None,
                    };
                    match (waiting, &result) {
                        (Some(p), Ok(outcome)) => {
                            let (ack_tx, ack_rx) = oneshot::channel();
                            self.flush(Some(ack_tx));
                            let outcome = outcome.clone();
                            tokio::spawn(async move {
                                let response = match ack_rx.await {
                                    Ok(Ok(())) => Response::Done(outcome),
                                    Ok(Err(e)) => {
                                        Response::error(format!("journal write failed: {e}"))
                                    }
                                    Err(_) => Response::error("journal thread is gone"),
                                };
                                let _ = p.reply.send(response);
                            });
                        }
                        (Some(p), Err(e)) => {
                            self.flush(None);
                            let _ = p.reply.send(Response::error(e.to_string()));
                        }
                        (None, _) => self.flush(None),
                    }
                    if let (Some(reply), Some(ocpp)) = (reply, self.ocpp.as_mut()) {
                        ocpp.command_outcome(reply, &result);
                    }
                }
                ClientRequest::ReadMeters {
                    connectors,
                    context,
                } => {
                    let readings = self
                        .rig
                        .status()
                        .into_iter()
                        .map(|v| v.station)
                        .filter(|c| connectors.contains(&c.id))
                        .map(|c| MeterReading {
                            connector: c.id,
                            transaction_id: c.transaction.as_ref().map(|t| t.transaction_id),
                            energy_wh: c.meter_wh,
                            voltage: c.voltage,
                            current: c.current,
                            offered_current: c.offered_current,
                            soc_percent: c.vehicle.soc_percent,
                            temperature_c: c.vehicle.max_temperature_c,
                        })
                        .collect();
                    if let Some(ocpp) = self.ocpp.as_mut() {
                        ocpp.meter_readings(readings, context, now);
                    }
                }
                ClientRequest::Reset { hard } => {
                    tracing::warn!(hard, "reset requested by the CSMS");
                    self.reset_requested = Some(hard);
                }
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
        })
    }

    /// The one-line `STATUS=` systemd shows (`systemctl status chargerd`).
    fn status_line(&mut self) -> String {
        let views: Vec<_> = self.rig.status().into_iter().map(|v| v.station).collect();
        status_summary(&views, self.ocpp_summary().as_deref())
    }

    /// One line on the OCPP side for `chargerctl status`: why it is down, if it is.
    fn ocpp_summary(&self) -> Option<String> {
        match (&self.ocpp, &self.ocpp_down) {
            (Some(ocpp), _) => {
                let s = ocpp.status();
                Some(match (s.connected, &s.last_disconnect) {
                    (true, _) => format!("connected, registration {}", s.registration),
                    (false, Some(why)) => format!("not connected: {why}"),
                    (false, None) => "connecting".to_string(),
                })
            }
            (None, Some(why)) => Some(format!("down: {why}")),
            (None, None) => None,
        }
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
            Request::Sessions { limit } => {
                if self
                    .journal
                    .send(JournalMsg::Sessions(limit, reply))
                    .is_err()
                {
                    tracing::error!("journal thread is gone");
                }
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
            Request::Ocpp => {
                let response = match (self.ocpp.as_ref(), &self.ocpp_down) {
                    (Some(ocpp), _) => Response::Ocpp(ocpp.status()),
                    (None, Some(why)) => Response::error(format!("OCPP is down: {why}")),
                    (None, None) => Response::error("OCPP is not configured (no [ocpp] section)"),
                };
                let _ = reply.send(response);
                return;
            }
            Request::ConfigGet { keys } => {
                let response = match self.ocpp.as_ref() {
                    Some(ocpp) => {
                        let all = ocpp.configuration();
                        let unknown: Vec<&String> = keys
                            .iter()
                            .filter(|k| !all.iter().any(|(n, _, _)| n == *k))
                            .collect();
                        if unknown.is_empty() {
                            Response::Config {
                                keys: all
                                    .into_iter()
                                    .filter(|(n, _, _)| keys.is_empty() || keys.contains(n))
                                    .map(|(key, value, readonly)| crate::control::ConfigKey {
                                        key,
                                        value,
                                        readonly,
                                    })
                                    .collect(),
                            }
                        } else {
                            Response::error(format!(
                                "unknown OCPP configuration key(s): {unknown:?}"
                            ))
                        }
                    }
                    None => Response::error("OCPP is not configured (no [ocpp] section)"),
                };
                let _ = reply.send(response);
                return;
            }
            Request::ConfigSet { key, value } => {
                let response = match self.ocpp.as_mut() {
                    Some(ocpp) => match ocpp.change_configuration(&key, &value, now) {
                        Ok(()) => Response::Config {
                            keys: vec![crate::control::ConfigKey {
                                key,
                                value: Some(value),
                                readonly: false,
                            }],
                        },
                        Err(e) => Response::error(e),
                    },
                    None => Response::error("OCPP is not configured (no [ocpp] section)"),
                };
                self.pump_ocpp();
                let _ = reply.send(response);
                return;
            }
            Request::Start {
                connector,
                id_tag: Some(id_tag),
            } if self.cfg.authorization.mode == crate::config::AuthorizationMode::Ocpp => {
                // The OCPP charge point decides: local list, cache, or Authorize.req; without
                // it, the configured id tags do.
                let Some(ocpp) = self.ocpp.as_mut() else {
                    if let Err(why) = self.offline_authorization(&id_tag) {
                        let _ = reply.send(Response::error(why));
                        return;
                    }
                    self.command_reply(
                        StationCommand::Start {
                            connector,
                            id_tag: Some(id_tag),
                        },
                        reply,
                        now,
                    );
                    return;
                };
                match ocpp.authorize_start(connector, &id_tag, now) {
                    StartDecision::Start(command) => command,
                    StartDecision::Asking => {
                        // Answered when the CSMS has: started, or refused and why.
                        self.pending_starts.push(PendingStart {
                            connector,
                            id_tag,
                            reply,
                            until: tokio::time::Instant::now() + START_ANSWER_WAIT,
                        });
                        self.pump_ocpp();
                        return;
                    }
                    StartDecision::Refused(why) => {
                        let _ = reply.send(Response::error(why));
                        return;
                    }
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
        tokio::spawn(async move {
            let response = match ack_rx.await {
                Ok(Ok(())) => Response::Done(outcome),
                Ok(Err(e)) => Response::error(format!("journal write failed: {e}")),
                Err(_) => Response::error("journal thread is gone"),
            };
            let _ = reply.send(response);
        });
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
            let _ = self
                .journal
                .send(JournalMsg::SetOperative(connector, operative, None));
        }
        Ok(outcome)
    }

    fn sessions_active(&mut self) -> bool {
        self.rig
            .status()
            .iter()
            .any(|c| !matches!(c.station.phase, SessionPhase::Idle))
    }

    /// Stop every session and keep stepping until they are safe or the grace period ends.
    /// `link_events`: the OCPP link's events, still read meanwhile so that the CSMS's answers
    /// (to the StopTransactions this sends) are taken in as they come.
    async fn shutdown(
        &mut self,
        reason: StopReason,
        link_events: &mut Option<mpsc::Receiver<OcppInput>>,
    ) {
        self.notifier.stopping();
        let ids = self.rig.station().connector_ids();
        let now = self.now();
        for id in ids {
            self.rig.report_fault(id, reason.clone(), now);
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        let mut tick = tokio::time::interval(self.cfg.step_interval());
        while self.sessions_active() && tokio::time::Instant::now() < deadline {
            tokio::select! {
                _ = tick.tick() => self.step(),
                Some(input) = next_ocpp_input(link_events) => {
                    let now = self.now();
                    if let Some(ocpp) = self.ocpp.as_mut() {
                        ocpp.on_input(input, now);
                    }
                    self.pump_ocpp();
                }
            }
        }
        if self.sessions_active() {
            tracing::error!("sessions still active at the end of the shutdown grace period");
        }
        let (ack, done) = oneshot::channel();
        self.flush(Some(ack));
        let _ = done.await;
    }
}

/// The OCPP client's next input (link event, job progress); never, when there is no OCPP.
async fn next_ocpp_input(link_events: &mut Option<mpsc::Receiver<OcppInput>>) -> Option<OcppInput> {
    match link_events.as_mut() {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
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
    Ok(())
}

/// Run the daemon until SIGTERM or SIGINT.
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
    let hardware = hardware::build(&cfg)?;
    let station = Station::new(&cfg, hardware::session_factory(), &restored, clock.now());
    let mut rig = Rig::new(station, hardware);
    let mut ocpp_down = cfg.ocpp_error.clone();
    if let Some(why) = &ocpp_down {
        tracing::error!(error = %why, "OCPP section set aside; the station runs without OCPP");
    }
    let (ocpp, mut link_events) = match &cfg.ocpp {
        Some(section) => {
            let now = clock.now();
            let unix_ms = clock
                .wall_start_ms
                .saturating_add(i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
            let snapshot: Vec<_> = rig.status().into_iter().map(|v| v.station).collect();
            let client = OcppClient::start(
                section,
                &cfg.journal_path(),
                &snapshot,
                &interrupted,
                cfg.connectors
                    .iter()
                    .map(|c| {
                        (
                            c.id,
                            f64::from(c.max_current),
                            f64::from(c.max_power_kw) * 1000.0,
                        )
                    })
                    .collect(),
                unix_ms,
                now,
            );
            match client {
                Ok((mut client, events)) => {
                    client.set_diagnostics_config(serde_json::to_value(&cfg).unwrap_or_default());
                    (Some(client), Some(events))
                }
                Err(e) => {
                    // OCPP trouble never stops local charging (issue 10): say why and go on.
                    tracing::error!(error = %e, "OCPP could not start; the station runs without it");
                    ocpp_down = Some(e.to_string());
                    (None, None)
                }
            }
        }
        None => (None, None),
    };
    let journal = spawn_journal(store).map_err(DaemonError::Journal)?;

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
        journal,
        notifier,
        ocpp,
        reset_requested: None,
        last_now: Timestamp::ZERO,
        pending_starts: Vec::new(),
        ocpp_down,
        vins_without_ocpp: Vec::new(),
        journal_recovery: journal_recovery.map(|r| r.to_string()),
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
    let watchdog_every = main.notifier.watchdog_interval();
    let mut last_ping = tokio::time::Instant::now();
    loop {
        tokio::select! {
            scheduled = tick.tick() => {
                let at = main.clock.at(scheduled);
                main.step_at(at);
                // STATUS= follows the station, checked once a second, sent when it changed.
                if status_checked.elapsed() >= STATUS_EVERY {
                    status_checked = tokio::time::Instant::now();
                    let line = main.status_line();
                    if line != status_line {
                        main.notifier.status(&line);
                        status_line = line;
                    }
                }
                // Pinged from the loop itself: if the loop stalls, systemd notices; so it does
                // when the OCPP link task keeps failing, but only once no truck is charging
                // (a restart would end its session: OCPP trouble never stops charging).
                let healthy =
                    main.ocpp.as_ref().is_none_or(|o| o.healthy()) || main.sessions_active();
                if let Some(every) = watchdog_every.filter(|_| healthy) {
                    if last_ping.elapsed() >= every {
                        main.notifier.watchdog();
                        last_ping = tokio::time::Instant::now();
                    }
                }
            }
            Some(env) = ctl_rx.recv() => main.handle(env),
            Some(input) = next_ocpp_input(&mut link_events) => {
                let now = main.now();
                if let Some(ocpp) = main.ocpp.as_mut() {
                    ocpp.on_input(input, now);
                }
                main.pump_ocpp();
            }
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
    main.shutdown(reason, &mut link_events).await;
    if let Some(ocpp) = main.ocpp.as_mut() {
        // Give the StopTransactions of the shutdown a moment to reach the CSMS; whatever does
        // not is in the outbox for the next start.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while ocpp.outbox_len() > 0 && tokio::time::Instant::now() < deadline {
            let _ = ocpp.pump(main.clock.now());
            tokio::select! {
                Some(input) = next_ocpp_input(&mut link_events) => ocpp.on_input(input, main.clock.now()),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        ocpp.shutdown(main.clock.now(), Duration::from_secs(2))
            .await;
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

/// Exit status of a Soft reset under systemd: the unit's `RestartForceExitStatus=` turns it
/// into a restart of the service (systemd/chargerd.service).
pub const EXIT_SOFT_RESET: u8 = 100;
/// Exit status of a Hard reset under systemd: the service restarts as after a Soft one, and the
/// unit's privileged `ExecStopPost=+` hook (systemd/chargerd-reset-hook) reboots the board when
/// it sees this status. The daemon itself never holds the privilege to reboot (SECURITY.md).
pub const EXIT_HARD_RESET: u8 = 101;

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
        // Neither may be a status systemd or the daemon gives another meaning (78: config).
        for s in [EXIT_SOFT_RESET, EXIT_HARD_RESET] {
            assert!(!(64..=78).contains(&s) && s != 1 && s != 0);
        }
        assert_eq!(reset_action(false, false), ResetAction::ReExec);
        assert_eq!(reset_action(true, false), ResetAction::ReExec);
    }
}
