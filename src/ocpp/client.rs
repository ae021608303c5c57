//! The OCPP client as the daemon's main loop owns it: the pure [`ChargePoint`], the command
//! side of the [`Link`](super::link::Link), and the outbox's own journal connection.
//!
//! The main loop feeds it station events and link events and, after every step, lets it
//! [`pump`](OcppClient::pump): frames go to the link, persistence actions to SQLite (before the
//! frames they concern, since the core asks for them first), station commands back to the main
//! loop. Outbox writes are synchronous on this connection (WAL, `synchronous=FULL`): a
//! transaction message is on disk before the text that carries it is handed to the link.

use std::time::Duration;

use charger_protocol::{StopReason, Timestamp};
use tokio::sync::mpsc;

use super::chargepoint::{ChargePoint, CoreAction, Identity, Keys, PendingReply};
use super::link::{ConnectionId, Link, LinkCommand, LinkConfig, LinkEvent};
use super::settings::{OcppSection, SettingsError};
use crate::station::{ConnectorSnapshot, StationCommand, StationEvent, TransactionStop};
use crate::store::{InterruptedTransaction, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OcppClientError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("OCPP outbox: {0}")]
    Store(#[from] StoreError),
}

/// What the main loop must do for the OCPP client.
#[derive(Debug)]
pub enum ClientRequest {
    /// Apply to the station, then report with [`OcppClient::command_done`] if `reply` is set.
    Station {
        command: StationCommand,
        reply: Option<PendingReply>,
    },
    /// The CSMS asked for a reset.
    Reset { hard: bool },
}

/// The daemon's OCPP client. See the module documentation.
#[derive(Debug)]
pub struct OcppClient {
    cp: ChargePoint,
    commands: mpsc::UnboundedSender<LinkCommand>,
    connection: Option<ConnectionId>,
    store: Store,
    link_task: Option<tokio::task::JoinHandle<()>>,
}

impl OcppClient {
    /// Start the link task and restore the outbox. `interrupted`: transactions the last run left
    /// open (closed now with PowerLoss), whose StopTransaction must still reach the CSMS.
    pub fn start(
        section: &OcppSection,
        journal: &std::path::Path,
        connectors: &[ConnectorSnapshot],
        interrupted: &[InterruptedTransaction],
        unix_ms_now: i64,
        now: Timestamp,
    ) -> Result<(OcppClient, mpsc::Receiver<LinkEvent>), OcppClientError> {
        let link_config = LinkConfig::from_section(section)?;
        let store = Store::open(journal)?;
        let mut keys = Keys::new(u32::try_from(connectors.len()).unwrap_or(u32::MAX));
        for (key, value) in store.ocpp_keys()? {
            if let Err(status) = keys.change(&key, &value) {
                tracing::warn!(key, status, "persisted OCPP key not applied");
            }
        }
        let identity = Identity {
            vendor: "chargerd".into(),
            model: "chargerd".into(),
            serial_number: Some(section.charge_point_id.clone()),
            firmware_version: env!("CARGO_PKG_VERSION").into(),
        };
        let mut cp = ChargePoint::new(
            identity,
            keys,
            section.rpc_config(super::link::os_random_u64()),
            unix_ms_now,
            now,
        );
        cp.restore_outbox(store.outbox()?, store.csms_transaction_ids()?);
        for c in connectors {
            cp.on_station_event(
                &StationEvent::StatusChanged {
                    connector: c.id,
                    status: c.status,
                    info: c.status_info.clone(),
                    at: now,
                },
                now,
            );
        }
        for t in interrupted {
            cp.on_station_event(
                &StationEvent::TransactionStopped(TransactionStop {
                    transaction_id: t.transaction_id,
                    connector: t.connector,
                    meter_stop_wh: t.meter_wh,
                    reason: StopReason::PowerLoss,
                    faults: Vec::new(),
                    soc_percent: None,
                    at: now,
                }),
                now,
            );
        }
        let (handle, link_task) = Link::spawn(link_config);
        let (commands, events) = handle.into_parts();
        let mut client = OcppClient {
            cp,
            commands,
            connection: None,
            store,
            link_task: Some(link_task),
        };
        client.persist_actions(&mut Vec::new());
        Ok((client, events))
    }

    pub fn on_link_event(&mut self, event: LinkEvent, now: Timestamp) {
        match event {
            LinkEvent::Connected {
                connection, url, ..
            } => {
                tracing::info!(%url, "connected to the CSMS");
                self.connection = Some(connection);
                self.cp.on_connected(now);
            }
            LinkEvent::Text(text) => self.cp.on_text(&text, now),
            LinkEvent::Disconnected { reason, retry_in } => {
                tracing::warn!(%reason, ?retry_in, "CSMS link down");
                self.connection = None;
                self.cp.on_disconnected(now);
            }
        }
    }

    pub fn on_station_event(&mut self, event: &StationEvent, now: Timestamp) {
        self.cp.on_station_event(event, now);
    }

    pub fn command_done(&mut self, reply: PendingReply, accepted: bool, scheduled: bool) {
        self.cp.command_done(reply, accepted, scheduled);
    }

    /// Advance the core, persist what it asks, send what it has; returns what the main loop
    /// must do.
    pub fn pump(&mut self, now: Timestamp) -> Vec<ClientRequest> {
        self.cp.update(now);
        let mut requests = Vec::new();
        self.persist_actions(&mut requests);
        while let Some(text) = self.cp.poll_text(now) {
            match self.connection {
                Some(connection) => {
                    if self
                        .commands
                        .send(LinkCommand::Send { connection, text })
                        .is_err()
                    {
                        tracing::error!("OCPP link task is gone");
                    }
                }
                None => break,
            }
        }
        // Answers to the CSMS may have produced more persistence (e.g. a removed record).
        self.persist_actions(&mut requests);
        requests
    }

    /// When the core next needs a pump even without events.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.cp.poll_timeout()
    }

    pub fn outbox_len(&self) -> usize {
        self.cp.outbox_len()
    }

    /// Persist what is pending, then close the WebSocket properly (a Close frame, not a
    /// vanished TCP connection) and wait up to `grace` for the link task to end.
    pub async fn shutdown(&mut self, now: Timestamp, grace: Duration) {
        let _ = self.pump(now);
        let _ = self.commands.send(LinkCommand::Shutdown);
        if let Some(task) = self.link_task.take() {
            if tokio::time::timeout(grace, task).await.is_err() {
                tracing::warn!("OCPP link did not close in time");
            }
        }
    }

    fn persist_actions(&mut self, requests: &mut Vec<ClientRequest>) {
        while let Some(action) = self.cp.poll_action() {
            let result = match action {
                CoreAction::OutboxPut(r) | CoreAction::OutboxRefused(r) => {
                    self.store.outbox_put(&r)
                }
                CoreAction::OutboxRemove(seq) => self.store.outbox_remove(seq),
                CoreAction::TransactionIdAssigned { local, csms } => {
                    self.store.set_csms_transaction_id(local, csms)
                }
                CoreAction::KeyChanged { key, value } => self.store.set_ocpp_key(&key, &value),
                CoreAction::Station { command, reply } => {
                    requests.push(ClientRequest::Station { command, reply });
                    Ok(())
                }
                CoreAction::Reset { hard } => {
                    requests.push(ClientRequest::Reset { hard });
                    Ok(())
                }
            };
            if let Err(e) = result {
                // The message stays in memory and is still sent; only its survival across a
                // restart is at risk, which the log says.
                tracing::error!(error = %e, "OCPP outbox write failed");
            }
        }
    }
}

/// Longest the main loop sleeps between OCPP pumps when nothing happens.
pub const PUMP_INTERVAL: Duration = Duration::from_millis(100);
