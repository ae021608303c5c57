//! The OCPP + persistence actor: the OCPP client (its link, its file jobs, its outbox) and the
//! journal, on an OS thread of its own with its own tokio runtime. It is the only writer of
//! journal.sqlite: station events, availability, the outbox, OCPP keys and state, the security
//! log all go through its one connection, so SQLite's `synchronous=FULL` writes and a locked
//! file delay this thread, never the station-control loop (src/daemon.rs).
//!
//! The two actors talk by typed messages: [`ToOcpp`] (station events to journal and report,
//! answers to the CSMS's commands, control requests about OCPP and the journal) and
//! [`ToControl`] (commands from the CSMS, to be applied at the control loop's next step). What
//! the control loop shows of OCPP (status, `STATUS=`, watchdog health) comes from an
//! [`OcppView`] on a `watch` channel; reading it never waits.

use std::time::Duration;

use charger_protocol::ocpp::OcppVersion;
use charger_protocol::Timestamp;
use tokio::sync::{mpsc, oneshot, watch};

use crate::control::server::ControlEnvelope;
use crate::control::{Request, Response};
use crate::ocpp::chargepoint::{PendingReply, StartDecision};
use crate::ocpp::client::{ClientRequest, OcppClient, OcppInput};
use crate::ocpp::meter::{MeterReading, ReadingContext};
use crate::ocpp::OcppSection;
use crate::station::{
    CommandError, CommandOutcome, ConnectorSnapshot, StationCommand, StationEvent,
};
use crate::store::{InterruptedTransaction, Store};

/// Answered once the events it came with are written to the journal.
pub type Ack = oneshot::Sender<Result<(), String>>;

/// What the control loop asks of the OCPP + persistence actor. Sending never waits.
#[derive(Debug)]
pub enum ToOcpp {
    /// Station events in order, each with its wall time: journaled, then handed to the OCPP
    /// client; `ack` fires after they are written (and what they queued for the CSMS is in
    /// the outbox).
    Events {
        events: Vec<(StationEvent, String)>,
        now: Timestamp,
        ack: Option<Ack>,
    },
    /// A connector's availability changed: kept across restarts.
    SetOperative { connector: u32, operative: bool },
    /// How the station took a command from the CSMS.
    CommandOutcome {
        reply: PendingReply,
        result: Result<CommandOutcome, CommandError>,
    },
    /// The readings [`ToControl::ReadMeters`] asked for.
    MeterReadings {
        readings: Vec<MeterReading>,
        context: ReadingContext,
        /// The OCPP version whose core asked.
        version: OcppVersion,
        now: Timestamp,
    },
    /// `chargerctl start --id-tag` in authorization mode `ocpp`: the charge point decides
    /// (local list, cache, or Authorize.req); `reply` is answered when the station has started
    /// (after the journal write) or why not.
    AuthorizeStart {
        connector: u32,
        id_tag: String,
        reply: oneshot::Sender<Response>,
    },
    /// A control request about OCPP or the journal (sessions, ocpp, config get/set).
    Control(ControlEnvelope),
    /// Replay what is pending to the CSMS for a moment, close the link; `done` when finished.
    Shutdown { done: oneshot::Sender<()> },
}

/// What the OCPP side asks of the station; applied at the control loop's next step.
#[derive(Debug)]
pub enum ToControl {
    /// Apply to the station; report the outcome with [`ToOcpp::CommandOutcome`] if
    /// `ocpp_reply` is set, and answer `answer` (a technician's `start` the CSMS authorized)
    /// once the effects are journaled.
    Station {
        command: StationCommand,
        ocpp_reply: Option<PendingReply>,
        answer: Option<oneshot::Sender<Response>>,
    },
    /// Read these connectors' meters and send them back with [`ToOcpp::MeterReadings`].
    ReadMeters {
        connectors: Vec<u32>,
        context: ReadingContext,
        /// Handed back with the readings.
        version: OcppVersion,
    },
    /// The CSMS asked for a reset.
    Reset { hard: bool },
}

/// What the control loop shows of the OCPP side, kept up to date by the actor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OcppView {
    /// One line for `chargerctl status` and `STATUS=`: connected, or why not.
    pub summary: Option<String>,
    /// False after repeated link task failures (see [`OcppClient::healthy`]).
    pub healthy: bool,
}

/// How the actor came up.
#[derive(Debug)]
pub struct Started {
    /// Whether the OCPP client runs (it decides authorization and sees station events).
    pub ocpp_running: bool,
    /// Why OCPP is not running although configured.
    pub ocpp_down: Option<String>,
}

/// Everything the actor needs to start, moved to its thread.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub journal: std::path::PathBuf,
    pub section: Option<OcppSection>,
    /// Why the `[ocpp]` section was set aside, if it was.
    pub ocpp_error: Option<String>,
    pub connectors: Vec<ConnectorSnapshot>,
    pub interrupted: Vec<InterruptedTransaction>,
    /// (connector, A, W)
    pub ratings: Vec<(u32, f64, f64)>,
    pub diagnostics_config: serde_json::Value,
    /// Wall time of the control loop's time origin, in Unix ms.
    pub wall_start_ms: i64,
    /// The control loop's time origin: both actors read time from one clock.
    pub clock_start: tokio::time::Instant,
    /// How often the OCPP core is advanced without any input.
    pub pump_interval: Duration,
}

/// The handles the control loop keeps.
#[derive(Debug)]
pub struct OcppActor {
    pub to_ocpp: mpsc::UnboundedSender<ToOcpp>,
    pub to_control: mpsc::UnboundedReceiver<ToControl>,
    pub view: watch::Receiver<OcppView>,
    pub thread: std::thread::JoinHandle<()>,
}

/// Start the actor on its own thread; returns once the journal and the OCPP client are up
/// (or OCPP has failed to start, which never stops the station).
pub async fn spawn(setup: Setup) -> std::io::Result<(OcppActor, Started)> {
    let (to_ocpp, rx) = mpsc::unbounded_channel();
    let (to_control, control_rx) = mpsc::unbounded_channel();
    let (view_tx, view) = watch::channel(OcppView {
        summary: None,
        healthy: true,
    });
    let (started_tx, started_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("ocpp-journal".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "the OCPP + journal runtime cannot start");
                    return;
                }
            };
            runtime.block_on(async move {
                let actor = Actor::start(setup, rx, to_control, view_tx, started_tx);
                actor.run().await;
            });
        })?;
    let started = started_rx
        .await
        .map_err(|_| std::io::Error::other("the OCPP + journal thread ended before it started"))?;
    Ok((
        OcppActor {
            to_ocpp,
            to_control: control_rx,
            view,
            thread,
        },
        started,
    ))
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
/// How long the shutdown lets StopTransactions reach the CSMS, and the link close.
const SHUTDOWN_REPLAY: Duration = Duration::from_secs(2);

/// The journal: through the OCPP client's connection when it runs, else on its own.
enum Journal {
    WithOcpp {
        client: Box<OcppClient>,
        link_events: mpsc::Receiver<OcppInput>,
    },
    Alone(Store),
}

struct Actor {
    journal: Journal,
    ocpp_down: Option<String>,
    rx: mpsc::UnboundedReceiver<ToOcpp>,
    to_control: mpsc::UnboundedSender<ToControl>,
    view: watch::Sender<OcppView>,
    clock_start: tokio::time::Instant,
    last_now: Timestamp,
    pending_starts: Vec<PendingStart>,
    pump_interval: Duration,
}

impl Actor {
    fn start(
        setup: Setup,
        rx: mpsc::UnboundedReceiver<ToOcpp>,
        to_control: mpsc::UnboundedSender<ToControl>,
        view: watch::Sender<OcppView>,
        started: oneshot::Sender<Started>,
    ) -> Actor {
        let mut last_now = Timestamp::ZERO;
        let now = now_since(setup.clock_start, &mut last_now);
        let (journal, ocpp_down) = match &setup.section {
            Some(section) => {
                let unix_ms = setup
                    .wall_start_ms
                    .saturating_add(i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
                match OcppClient::start(
                    section,
                    &setup.journal,
                    setup.store,
                    &setup.connectors,
                    &setup.interrupted,
                    setup.ratings,
                    unix_ms,
                    now,
                ) {
                    Ok((mut client, link_events)) => {
                        client.set_diagnostics_config(setup.diagnostics_config);
                        let client = Box::new(client);
                        (
                            Journal::WithOcpp {
                                client,
                                link_events,
                            },
                            setup.ocpp_error,
                        )
                    }
                    Err(failure) => {
                        // OCPP trouble never stops local charging (issue 10): say why and go
                        // on, journaling without it.
                        tracing::error!(error = %failure.error, "OCPP could not start; the station runs without it");
                        (
                            Journal::Alone(failure.store),
                            Some(failure.error.to_string()),
                        )
                    }
                }
            }
            None => (Journal::Alone(setup.store), setup.ocpp_error),
        };
        let mut actor = Actor {
            journal,
            ocpp_down,
            rx,
            to_control,
            view,
            clock_start: setup.clock_start,
            last_now,
            pending_starts: Vec::new(),
            pump_interval: setup.pump_interval,
        };
        actor.publish();
        let _ = started.send(Started {
            ocpp_running: matches!(actor.journal, Journal::WithOcpp { .. }),
            ocpp_down: actor.ocpp_down.clone(),
        });
        actor
    }

    /// The time on the control loop's clock, never earlier than the last one given.
    fn now(&mut self) -> Timestamp {
        now_since(self.clock_start, &mut self.last_now)
    }

    fn store(&mut self) -> &mut Store {
        match &mut self.journal {
            Journal::WithOcpp { client, .. } => client.journal(),
            Journal::Alone(store) => store,
        }
    }

    fn client(&mut self) -> Option<&mut OcppClient> {
        match &mut self.journal {
            Journal::WithOcpp { client, .. } => Some(client),
            Journal::Alone(_) => None,
        }
    }

    async fn run(mut self) {
        let mut tick = tokio::time::interval(self.pump_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let link_events = match &mut self.journal {
                Journal::WithOcpp { link_events, .. } => Some(link_events),
                Journal::Alone(_) => None,
            };
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(ToOcpp::Shutdown { done }) => {
                        self.shutdown().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(msg) => self.handle(msg),
                    // The control loop is gone: nothing more will come to journal.
                    None => return,
                },
                Some(input) = next_input(link_events) => {
                    let now = self.now();
                    if let Some(client) = self.client() {
                        client.on_input(input, now);
                    }
                }
                _ = tick.tick() => {}
            }
            self.pump();
            self.publish();
        }
    }

    fn handle(&mut self, msg: ToOcpp) {
        match msg {
            ToOcpp::Events { events, now, ack } => {
                let mut result = Ok(());
                for (ev, wall) in &events {
                    if let Err(e) = self.store().record(ev, wall) {
                        tracing::error!(error = %e, event = ?ev, "journal write failed");
                        result = Err(e.to_string());
                    }
                    if let Some(client) = self.client() {
                        client.on_station_event(ev, now);
                    }
                }
                // What the events queued for the CSMS goes to the outbox before the answer.
                self.pump();
                if let Some(ack) = ack {
                    let _ = ack.send(result);
                }
            }
            ToOcpp::SetOperative {
                connector,
                operative,
            } => {
                if let Err(e) = self.store().set_operative(connector, operative) {
                    tracing::error!(error = %e, "journal write failed");
                }
            }
            ToOcpp::CommandOutcome { reply, result } => {
                if let Some(client) = self.client() {
                    client.command_outcome(reply, &result);
                }
            }
            ToOcpp::MeterReadings {
                readings,
                context,
                version,
                now,
            } => {
                if let Some(client) = self.client() {
                    client.meter_readings(readings, context, version, now);
                }
            }
            ToOcpp::AuthorizeStart {
                connector,
                id_tag,
                reply,
            } => self.authorize_start(connector, id_tag, reply),
            ToOcpp::Control(env) => self.control(env),
            // Handled by the loop.
            ToOcpp::Shutdown { done } => {
                let _ = done.send(());
            }
        }
    }

    fn authorize_start(
        &mut self,
        connector: u32,
        id_tag: String,
        reply: oneshot::Sender<Response>,
    ) {
        let now = self.now();
        let Some(client) = self.client() else {
            let _ = reply.send(Response::error(
                "OCPP is not running: the station decides without it",
            ));
            return;
        };
        match client.authorize_start(connector, &id_tag, now) {
            StartDecision::Start(command) => {
                self.send_control(ToControl::Station {
                    command,
                    ocpp_reply: None,
                    answer: Some(reply),
                });
            }
            StartDecision::Asking => {
                // Answered when the CSMS has: started, or refused and why.
                self.pending_starts.push(PendingStart {
                    connector,
                    id_tag,
                    reply,
                    until: tokio::time::Instant::now() + START_ANSWER_WAIT,
                });
            }
            StartDecision::Refused(why) => {
                let _ = reply.send(Response::error(why));
            }
        }
    }

    /// Answer a control request about OCPP or the journal.
    fn control(&mut self, env: ControlEnvelope) {
        let ControlEnvelope { request, reply } = env;
        let now = self.now();
        let not_configured = || Response::error("OCPP is not configured (no [ocpp] section)");
        let response = match request {
            Request::Sessions { limit } => match self.store().recent_sessions(limit) {
                Ok(sessions) => Response::Sessions { sessions },
                Err(e) => Response::error(e.to_string()),
            },
            Request::Ocpp => match (&self.journal, &self.ocpp_down) {
                (Journal::WithOcpp { client, .. }, _) => Response::Ocpp(client.status()),
                (Journal::Alone(_), Some(why)) => Response::error(format!("OCPP is down: {why}")),
                (Journal::Alone(_), None) => not_configured(),
            },
            Request::ConfigGet { keys } => match self.client() {
                Some(client) => {
                    let all = client.configuration();
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
                        Response::error(format!("unknown OCPP configuration key(s): {unknown:?}"))
                    }
                }
                None => not_configured(),
            },
            Request::ConfigSet { key, value } => {
                let response = match self.client() {
                    Some(client) => match client.change_configuration(&key, &value, now) {
                        Ok(()) => Response::Config {
                            keys: vec![crate::control::ConfigKey {
                                key,
                                value: Some(value),
                                readonly: false,
                            }],
                        },
                        Err(e) => Response::error(e),
                    },
                    None => not_configured(),
                };
                // The change is persisted (and set in motion) before the answer.
                self.pump();
                response
            }
            other => Response::error(format!(
                "request {other:?} is not for the OCPP side (a bug in the daemon's routing)"
            )),
        };
        let _ = reply.send(response);
    }

    fn send_control(&mut self, msg: ToControl) {
        if self.to_control.send(msg).is_err() {
            tracing::warn!("the control loop is gone; an OCPP command is dropped");
        }
    }

    /// Let the OCPP client persist and send; hand what the CSMS asked of the station to the
    /// control loop.
    fn pump(&mut self) {
        let now = self.now();
        let Some(client) = self.client() else {
            return;
        };
        let requests = client.pump(now);
        let refused = client.take_refused_starts();
        for request in requests {
            let msg = match request {
                ClientRequest::Station { command, reply } => {
                    // A technician's start the CSMS has now authorized: answered by the
                    // control loop once the transaction is journaled.
                    let answer = match (&command, &reply) {
                        (
                            StationCommand::Start {
                                connector,
                                id_tag: Some(tag),
                            },
                            None,
                        ) => self
                            .pending_starts
                            .iter()
                            .position(|p| {
                                p.connector == *connector && p.id_tag.eq_ignore_ascii_case(tag)
                            })
                            .map(|i| self.pending_starts.remove(i).reply),
                        _ => None,
                    };
                    ToControl::Station {
                        command,
                        ocpp_reply: reply,
                        answer,
                    }
                }
                ClientRequest::ReadMeters {
                    connectors,
                    context,
                    version,
                } => ToControl::ReadMeters {
                    connectors,
                    context,
                    version,
                },
                ClientRequest::Reset { hard } => ToControl::Reset { hard },
            };
            self.send_control(msg);
        }
        for (connector, id_tag, why) in refused {
            if let Some(i) = self
                .pending_starts
                .iter()
                .position(|p| p.connector == connector && p.id_tag.eq_ignore_ascii_case(&id_tag))
            {
                let _ = self
                    .pending_starts
                    .remove(i)
                    .reply
                    .send(Response::error(why));
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

    /// Bring the control loop's [`OcppView`] up to date (only when it changed).
    fn publish(&mut self) {
        let view = match (&self.journal, &self.ocpp_down) {
            (Journal::WithOcpp { client, .. }, _) => {
                let s = client.status();
                OcppView {
                    summary: Some(match (s.connected, &s.last_disconnect) {
                        (true, _) => format!("connected, registration {}", s.registration),
                        (false, Some(why)) => format!("not connected: {why}"),
                        (false, None) => "connecting".to_string(),
                    }),
                    healthy: client.healthy(),
                }
            }
            (Journal::Alone(_), Some(why)) => OcppView {
                summary: Some(format!("down: {why}")),
                healthy: true,
            },
            (Journal::Alone(_), None) => OcppView {
                summary: None,
                healthy: true,
            },
        };
        self.view.send_if_modified(|v| {
            if *v == view {
                false
            } else {
                *v = view;
                true
            }
        });
    }

    /// Give the shutdown's StopTransactions a moment to reach the CSMS (whatever does not is
    /// in the outbox for the next start), then close the link properly.
    async fn shutdown(&mut self) {
        // Whatever the control loop sent before asking to shut down is journaled first.
        while let Ok(msg) = self.rx.try_recv() {
            self.handle(msg);
        }
        let Journal::WithOcpp {
            client,
            link_events,
        } = &mut self.journal
        else {
            return;
        };
        let deadline = tokio::time::Instant::now() + SHUTDOWN_REPLAY;
        while client.waiting_for_the_link() > 0 && tokio::time::Instant::now() < deadline {
            let now = now_since(self.clock_start, &mut self.last_now);
            let _ = client.pump(now);
            tokio::select! {
                Some(input) = link_events.recv() => client.on_input(input, now),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        let now = now_since(self.clock_start, &mut self.last_now);
        client.shutdown(now, SHUTDOWN_REPLAY).await;
    }
}

fn now_since(start: tokio::time::Instant, last: &mut Timestamp) -> Timestamp {
    let elapsed = tokio::time::Instant::now().saturating_duration_since(start);
    let t = Timestamp::from_millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    *last = (*last).max(t);
    *last
}

/// The OCPP client's next input; never, when there is no OCPP.
async fn next_input(link_events: Option<&mut mpsc::Receiver<OcppInput>>) -> Option<OcppInput> {
    match link_events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
