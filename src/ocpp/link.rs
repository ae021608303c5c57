//! The WebSocket link to the CSMS: one tokio task that owns the socket.
//!
//! The task connects (TCP, then TLS for `wss://`, then the HTTP upgrade), forwards every text
//! message as a [`LinkEvent::Text`], sends what it is given in [`LinkCommand::Send`], pings the
//! CSMS, and reconnects with [`Backoff`] after any failure. The rest of the daemon talks to it
//! only through [`LinkHandle`]: commands in (unbounded: the sender never blocks, and the RPC
//! endpoint upstream bounds what it queues), events out (bounded: a slow reader slows the link,
//! and TCP slows the CSMS).
//!
//! # Connections
//!
//! Every successful connection gets a [`ConnectionId`], announced in
//! [`LinkEvent::Connected`]. [`LinkCommand::Send`] names the connection it is meant for; a
//! frame for an older connection is dropped, so an answer prepared for one connection can never
//! reach the CSMS on the next one before BootNotification. Every connection ends with exactly
//! one [`LinkEvent::Disconnected`]; so does every failed attempt to connect (then without a
//! `Connected` before it), each with the wait before the next attempt.
//!
//! # Security
//!
//! * TLS is rustls with the `ring` provider, TLS 1.2 and 1.3. The CSMS's certificate must chain
//!   to the configured `ca_bundle`: no system or built-in roots. Profile 3 presents the client
//!   certificate; profiles 0-2 present none.
//! * The HTTP upgrade is done here rather than by tungstenite, whose client handshake logs the
//!   whole request (with the `Authorization` header) at trace level. Nothing here logs the
//!   request, the key or the frames. (tungstenite still logs frame contents at trace level
//!   through the `log` bridge: keep `tungstenite` at `debug` or below in production filters.)
//! * The security profile may only be raised ([`LinkCommand::SetSecurityProfile`]); a raise
//!   takes effect at once, with a reconnect.
//! * The Basic-auth password is the AuthorizationKey's decoded bytes (whitepaper, edition 3).
//!   After the CSMS rotated the key, the previous one is kept until a connection with the new
//!   one succeeds: if the CSMS answers the upgrade with the new key by HTTP 401, the link falls
//!   back to the previous key once, at once, and says so
//!   ([`LinkEvent::AuthorizationKeyFellBack`]) so that the owner raises a security event and
//!   keeps the previous key. It never swings back and forth.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use charger_protocol::ocpp::OcppVersion;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Bytes, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::backoff::{Backoff, BackoffPolicy};
use super::settings::{
    AuthorizationKey, CsmsUrl, OcppSection, SecurityProfile, SettingsError, SECTION,
};

/// Identifies one WebSocket connection of a link (1, 2, …).
pub type ConnectionId = u64;

/// Bound on the HTTP upgrade response head.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;
/// How long a clean close waits for the CSMS's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What the link tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// A connection is up, with one of the offered subprotocols accepted by the CSMS.
    Connected {
        connection: ConnectionId,
        /// The full URL, identity included (no secret in it).
        url: String,
        version: OcppVersion,
        security_profile: SecurityProfile,
    },
    /// A text message from the CSMS (an OCPP-J frame, unparsed).
    Text(String),
    /// The CSMS refused the new AuthorizationKey (HTTP 401): the link uses the previous key
    /// from now on (the next attempt follows at once).
    AuthorizationKeyFellBack,
    /// The connection, or an attempt to make one, ended. `retry_in`: the wait before the next
    /// attempt (`None` when the link stops).
    Disconnected {
        reason: DisconnectReason,
        retry_in: Option<Duration>,
    },
}

/// What the owner tells the link.
#[derive(Debug)]
pub enum LinkCommand {
    /// Send a text message on connection `connection`; dropped if that connection is gone.
    Send {
        connection: ConnectionId,
        text: String,
    },
    /// Close the connection (if any) and connect again now.
    Reconnect,
    /// Raise the security profile; reconnects with it at once. Lowering is refused, and so is
    /// a profile whose URL, key or certificates are not configured. The same profile is a
    /// no-op. The link keeps the raised profile for its lifetime; keeping it across restarts
    /// (start with the higher of the configured and the persisted profile) is the owner's job.
    SetSecurityProfile {
        profile: SecurityProfile,
        reply: oneshot::Sender<Result<(), LinkError>>,
    },
    /// New credentials (an AuthorizationKey, CA certificates or a client certificate the CSMS
    /// gave at run time), taken from `config`; they apply from the next connection. The
    /// security profile, URL and timing stay as they are.
    UpdateCredentials { config: Box<LinkConfig> },
    /// Offer these versions first from the next connection on (see
    /// [`LinkConfig::prefer_versions`]).
    PreferVersions(Vec<OcppVersion>),
    /// Close the connection cleanly and end the task.
    Shutdown,
}

/// Why a connection (or an attempt to make one) ended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DisconnectReason {
    #[error("cannot connect: {0}")]
    ConnectFailed(ConnectError),
    #[error("closed by the CSMS (code {code:?}, reason {reason:?})")]
    ClosedByPeer { code: Option<u16>, reason: String },
    #[error("no pong within {0:?}")]
    PongTimeout(Duration),
    #[error("connection lost: {0}")]
    Transport(String),
    #[error("reconnect requested")]
    ReconnectRequested,
    #[error("security profile raised to {0}")]
    SecurityProfileRaised(SecurityProfile),
    #[error("link shut down")]
    Shutdown,
}

/// Why an attempt to connect failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectError {
    #[error("TCP connection to {addr}: {reason}")]
    Tcp { addr: String, reason: String },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the CSMS answered the WebSocket upgrade with HTTP {status}{}", status_hint(*.status))]
    HttpStatus { status: u16 },
    #[error("the CSMS did not accept subprotocol {offered} (it answered {answered:?})")]
    SubprotocolRefused {
        offered: String,
        answered: Option<String>,
    },
    #[error("WebSocket upgrade: {0}")]
    Handshake(String),
    #[error("I/O during the WebSocket upgrade: {0}")]
    Io(String),
    #[error("not connected within {0:?}")]
    Timeout(Duration),
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => " (the charge point identity or AuthorizationKey was refused)",
        403 => " (forbidden)",
        404 => " (unknown charge point identity or path)",
        _ => "",
    }
}

/// Errors of the commands.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    #[error("security profile {requested} is below the current {current}: profiles are only ever raised")]
    ProfileLowered {
        current: SecurityProfile,
        requested: SecurityProfile,
    },
    #[error("security profile {requested} cannot be used: {why}")]
    ProfileUnavailable {
        requested: SecurityProfile,
        why: String,
    },
    #[error("the OCPP link has stopped")]
    Stopped,
}

/// Everything the link needs, resolved: secrets loaded, TLS configurations built.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Reconnect backoff.
    pub backoff: BackoffPolicy,
    /// WebSocket ping period; no pong within one period means reconnect. `None`: no pings.
    pub ping_interval: Option<Duration>,
    /// Bound on TCP + TLS + upgrade, and on each write.
    pub connect_timeout: Duration,
    /// Largest WebSocket message (and frame) accepted.
    pub max_frame_bytes: usize,
    /// Capacity of the event channel.
    pub event_capacity: usize,
    /// Seed of the backoff jitter.
    pub seed: u64,
    csms: CsmsUrl,
    charge_point_id: String,
    /// The subprotocols offered, in order of preference (never empty).
    versions: Vec<OcppVersion>,
    security_profile: SecurityProfile,
    authorization_key: Option<AuthorizationKey>,
    /// The key `authorization_key` replaced, until a connection with the new one succeeds.
    previous_authorization_key: Option<AuthorizationKey>,
    /// For `wss://` without client authentication (profiles 0-2).
    tls_server_auth: Option<Arc<ClientConfig>>,
    /// For `wss://` with the client certificate (profile 3).
    tls_client_auth: Option<Arc<ClientConfig>>,
}

impl LinkConfig {
    /// Validates the section, reads the files it names and builds the TLS configurations.
    /// Errors name the key (`ocpp.…`).
    pub fn from_section(section: &OcppSection) -> Result<LinkConfig, SettingsError> {
        section
            .validate()
            .map_err(|(key, reason)| SettingsError { key, reason })?;
        let csms = section.csms()?;
        let creds = section.load_credentials()?;
        let provider = crypto_provider();
        let err = |field: &str, reason: String| SettingsError {
            key: format!("{SECTION}.{field}"),
            reason,
        };
        let (mut tls_server_auth, mut tls_client_auth) = (None, None);
        if !creds.ca_certificates.is_empty() {
            let mut roots = RootCertStore::empty();
            for cert in &creds.ca_certificates {
                roots
                    .add(cert.clone())
                    .map_err(|e| err("ca_bundle", format!("unusable CA certificate: {e}")))?;
            }
            let roots = Arc::new(roots);
            let builder = || {
                ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()
                    .map(|b| b.with_root_certificates(roots.clone()))
                    .map_err(|e| err("ca_bundle", format!("TLS setup: {e}")))
            };
            tls_server_auth = Some(Arc::new(builder()?.with_no_client_auth()));
            if let Some(id) = &creds.client_identity {
                let config = builder()?
                    .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                    .map_err(|e| {
                        err(
                            "client_key",
                            format!("does not fit client_certificate, or is unusable: {e}"),
                        )
                    })?;
                tls_client_auth = Some(Arc::new(config));
            }
        }
        Ok(LinkConfig {
            backoff: section.backoff_policy(),
            ping_interval: section.ping_interval(),
            connect_timeout: Duration::from_secs(30),
            max_frame_bytes: section.max_frame_bytes,
            event_capacity: 256,
            seed: os_random_u64(),
            csms,
            charge_point_id: section.charge_point_id.clone(),
            versions: section.ocpp_versions(),
            security_profile: section.security_profile,
            authorization_key: creds.authorization_key,
            previous_authorization_key: creds.previous_authorization_key,
            tls_server_auth,
            tls_client_auth,
        })
    }

    /// The full URL the link connects to.
    pub fn url(&self) -> String {
        self.csms.url_for(&self.charge_point_id)
    }

    pub fn security_profile(&self) -> SecurityProfile {
        self.security_profile
    }

    /// Offer the configured versions in this order from the next connection on: the owner
    /// puts first the version whose messages wait to be sent. Versions not configured are
    /// left out; ones it does not name keep their place after the ones it does.
    pub fn prefer_versions(&mut self, first: &[OcppVersion]) {
        let mut order: Vec<OcppVersion> = first
            .iter()
            .copied()
            .filter(|v| self.versions.contains(v))
            .collect();
        order.dedup();
        for v in &self.versions {
            if !order.contains(v) {
                order.push(*v);
            }
        }
        self.versions = order;
    }

    /// The subprotocols offered, in order.
    pub fn versions(&self) -> &[OcppVersion] {
        &self.versions
    }
}

fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// 64 random bits from the operating system (for seeds: backoff jitter, RPC message ids).
pub fn os_random_u64() -> u64 {
    let mut buf = [0u8; 8];
    if crypto_provider().secure_random.fill(&mut buf).is_ok() {
        return u64::from_le_bytes(buf);
    }
    // Unreachable on Linux (getrandom); the time is a fallback that still differs per start.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(0)
        })
}

/// The owner's side of a link: commands in, events out.
#[derive(Debug)]
pub struct LinkHandle {
    commands: mpsc::UnboundedSender<LinkCommand>,
    events: mpsc::Receiver<LinkEvent>,
}

impl LinkHandle {
    /// The next event; `None` once the link task has ended.
    pub async fn next_event(&mut self) -> Option<LinkEvent> {
        self.events.recv().await
    }

    pub fn send(&self, connection: ConnectionId, text: String) -> Result<(), LinkError> {
        self.command(LinkCommand::Send { connection, text })
    }

    pub fn reconnect(&self) -> Result<(), LinkError> {
        self.command(LinkCommand::Reconnect)
    }

    pub fn shutdown(&self) -> Result<(), LinkError> {
        self.command(LinkCommand::Shutdown)
    }

    /// Raise the security profile (see [`LinkCommand::SetSecurityProfile`]).
    pub async fn set_security_profile(&self, profile: SecurityProfile) -> Result<(), LinkError> {
        let (reply, answer) = oneshot::channel();
        self.command(LinkCommand::SetSecurityProfile { profile, reply })?;
        answer.await.map_err(|_| LinkError::Stopped)?
    }

    pub fn command(&self, command: LinkCommand) -> Result<(), LinkError> {
        self.commands.send(command).map_err(|_| LinkError::Stopped)
    }

    /// The raw channels, for an owner that selects over them itself.
    pub fn into_parts(
        self,
    ) -> (
        mpsc::UnboundedSender<LinkCommand>,
        mpsc::Receiver<LinkEvent>,
    ) {
        (self.commands, self.events)
    }
}

/// The link task's state. Create with [`Link::new`] and drive with [`Link::run`], or use
/// [`Link::spawn`].
#[derive(Debug)]
pub struct Link {
    cfg: LinkConfig,
    profile: SecurityProfile,
    backoff: Backoff,
    commands: mpsc::UnboundedReceiver<LinkCommand>,
    events: mpsc::Sender<LinkEvent>,
    last_connection: ConnectionId,
}

/// What to do after a command that arrived while not connected.
enum Flow {
    Continue,
    ConnectNow,
    Stop,
}

enum Attempt {
    Connected(Box<Ws>, OcppVersion),
    Failed(ConnectError),
    Restart,
    Stop,
}

enum Next {
    Backoff,
    Immediately,
    Stop,
}

impl Link {
    pub fn new(cfg: LinkConfig) -> (Link, LinkHandle) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::channel(cfg.event_capacity.max(1));
        let link = Link {
            profile: cfg.security_profile,
            backoff: Backoff::new(cfg.backoff, cfg.seed),
            cfg,
            commands: cmd_rx,
            events: ev_tx,
            last_connection: 0,
        };
        let handle = LinkHandle {
            commands: cmd_tx,
            events: ev_rx,
        };
        (link, handle)
    }

    /// Spawns the task on the current tokio runtime.
    pub fn spawn(cfg: LinkConfig) -> (LinkHandle, tokio::task::JoinHandle<()>) {
        let (link, handle) = Link::new(cfg);
        (handle, tokio::spawn(link.run()))
    }

    /// Runs until [`LinkCommand::Shutdown`], or until the owner drops its handle.
    pub async fn run(mut self) {
        let url = self.cfg.url();
        let mut delay = Duration::ZERO;
        loop {
            if !delay.is_zero() {
                match self.wait(delay).await {
                    Flow::Continue | Flow::ConnectNow => {}
                    Flow::Stop => return,
                }
            }
            delay = Duration::ZERO;
            match self.attempt().await {
                Attempt::Stop => return,
                Attempt::Restart => {}
                Attempt::Failed(error) => {
                    let fell_back = matches!(error, ConnectError::HttpStatus { status: 401 })
                        && self.fall_back_to_previous_key();
                    delay = if fell_back {
                        Duration::ZERO
                    } else {
                        self.backoff.next_delay()
                    };
                    tracing::warn!(
                        url = %url,
                        security_profile = %self.profile,
                        attempt = self.backoff.attempt(),
                        retry_in_ms = duration_ms(delay),
                        error = %error,
                        "cannot connect to the CSMS"
                    );
                    let event = LinkEvent::Disconnected {
                        reason: DisconnectReason::ConnectFailed(error),
                        retry_in: Some(delay),
                    };
                    if !self.emit(event).await {
                        return;
                    }
                    if fell_back && !self.emit(LinkEvent::AuthorizationKeyFellBack).await {
                        return;
                    }
                }
                Attempt::Connected(ws, version) => {
                    self.last_connection += 1;
                    let connection = self.last_connection;
                    if self.profile.uses_basic_auth() {
                        // The CSMS took the current key: the rotation is complete.
                        self.cfg.previous_authorization_key = None;
                    }
                    self.backoff.connected(Instant::now().into_std());
                    tracing::info!(
                        connection,
                        url = %url,
                        %version,
                        security_profile = %self.profile,
                        "connected to the CSMS"
                    );
                    let event = LinkEvent::Connected {
                        connection,
                        url: url.clone(),
                        version,
                        security_profile: self.profile,
                    };
                    if !self.emit(event).await {
                        return;
                    }
                    let (reason, next) = self.session(*ws, connection).await;
                    self.backoff.disconnected(Instant::now().into_std());
                    let retry_in = match next {
                        Next::Backoff => Some(self.backoff.next_delay()),
                        Next::Immediately => Some(Duration::ZERO),
                        Next::Stop => None,
                    };
                    tracing::info!(
                        connection,
                        url = %url,
                        reason = %reason,
                        retry_in_ms = retry_in.map(duration_ms),
                        "disconnected from the CSMS"
                    );
                    let stop = retry_in.is_none();
                    delay = retry_in.unwrap_or_default();
                    if !self
                        .emit(LinkEvent::Disconnected { reason, retry_in })
                        .await
                        || stop
                    {
                        return;
                    }
                }
            }
        }
    }

    /// Hands an event to the owner; `false` if the owner is gone (the link then stops).
    async fn emit(&self, event: LinkEvent) -> bool {
        self.events.send(event).await.is_ok()
    }

    /// Waits out the backoff, serving commands.
    async fn wait(&mut self, delay: Duration) -> Flow {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return Flow::Continue,
                command = self.commands.recv() => match self.offline_command(command) {
                    Flow::Continue => {}
                    other => return other,
                },
            }
        }
    }

    /// One attempt to connect, serving commands meanwhile.
    async fn attempt(&mut self) -> Attempt {
        let params = self.connect_params();
        let limit = self.cfg.connect_timeout;
        let connecting = timeout(limit, connect(params));
        tokio::pin!(connecting);
        loop {
            tokio::select! {
                result = &mut connecting => return match result {
                    Ok(Ok((ws, version))) => Attempt::Connected(Box::new(ws), version),
                    Ok(Err(e)) => Attempt::Failed(e),
                    Err(_) => Attempt::Failed(ConnectError::Timeout(limit)),
                },
                command = self.commands.recv() => match self.offline_command(command) {
                    Flow::Continue => {}
                    Flow::ConnectNow => return Attempt::Restart,
                    Flow::Stop => return Attempt::Stop,
                },
            }
        }
    }

    fn offline_command(&mut self, command: Option<LinkCommand>) -> Flow {
        match command {
            None | Some(LinkCommand::Shutdown) => Flow::Stop,
            Some(LinkCommand::Reconnect) => Flow::ConnectNow,
            Some(LinkCommand::Send { connection, .. }) => {
                tracing::debug!(connection, "not connected; message dropped");
                Flow::Continue
            }
            Some(LinkCommand::SetSecurityProfile { profile, reply }) => {
                let result = self.raise_profile(profile);
                let raised = matches!(result, Ok(true));
                let _ = reply.send(result.map(|_| ()));
                if raised {
                    Flow::ConnectNow
                } else {
                    Flow::Continue
                }
            }
            Some(LinkCommand::UpdateCredentials { config }) => {
                self.update_credentials(*config);
                Flow::Continue
            }
            Some(LinkCommand::PreferVersions(first)) => {
                self.cfg.prefer_versions(&first);
                Flow::Continue
            }
        }
    }

    /// After a 401: use the previous AuthorizationKey, if there is one to fall back to (once:
    /// it is taken). `true` if the link fell back.
    fn fall_back_to_previous_key(&mut self) -> bool {
        if !self.profile.uses_basic_auth() {
            return false;
        }
        match self.cfg.previous_authorization_key.take() {
            Some(previous) => {
                tracing::warn!(
                    "the CSMS refused the new AuthorizationKey (HTTP 401); falling back to the previous one"
                );
                self.cfg.authorization_key = Some(previous);
                true
            }
            None => false,
        }
    }

    fn update_credentials(&mut self, config: LinkConfig) {
        tracing::info!("link credentials updated; used from the next connection");
        self.cfg.authorization_key = config.authorization_key;
        self.cfg.previous_authorization_key = config.previous_authorization_key;
        self.cfg.tls_server_auth = config.tls_server_auth;
        self.cfg.tls_client_auth = config.tls_client_auth;
    }

    /// `Ok(true)` if the profile changed.
    fn raise_profile(&mut self, requested: SecurityProfile) -> Result<bool, LinkError> {
        let current = self.profile;
        if requested < current {
            tracing::warn!(%current, %requested, "refused to lower the security profile");
            return Err(LinkError::ProfileLowered { current, requested });
        }
        if requested == current {
            return Ok(false);
        }
        let unavailable = |why: &str| {
            tracing::warn!(%current, %requested, why, "cannot raise the security profile");
            Err(LinkError::ProfileUnavailable {
                requested,
                why: why.into(),
            })
        };
        if requested.requires_tls() && !self.cfg.csms.tls {
            return unavailable("the CSMS URL is ws://; profiles 2 and 3 need wss://");
        }
        if self.cfg.csms.tls && self.cfg.tls_server_auth.is_none() {
            return unavailable("no CA bundle is configured");
        }
        if requested.uses_basic_auth() && self.cfg.authorization_key.is_none() {
            return unavailable("no AuthorizationKey is configured");
        }
        if requested.uses_client_certificate() && self.cfg.tls_client_auth.is_none() {
            return unavailable("no client certificate is configured");
        }
        tracing::info!(from = %current, to = %requested, "security profile raised");
        self.profile = requested;
        Ok(true)
    }

    fn connect_params(&self) -> ConnectParams {
        let authorization = match (&self.cfg.authorization_key, self.profile.uses_basic_auth()) {
            (Some(key), true) => Some(basic_authorization(&self.cfg.charge_point_id, key)),
            _ => None,
        };
        let tls = if !self.cfg.csms.tls {
            None
        } else if self.profile.uses_client_certificate() {
            self.cfg.tls_client_auth.clone()
        } else {
            self.cfg.tls_server_auth.clone()
        };
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(self.cfg.max_frame_bytes))
            .max_frame_size(Some(self.cfg.max_frame_bytes));
        ConnectParams {
            csms: self.cfg.csms.clone(),
            path: self.cfg.csms.path_for(&self.cfg.charge_point_id),
            versions: self.cfg.versions.clone(),
            authorization: authorization.map(Secret),
            tls,
            ws_config,
            ws_key: websocket_key(),
        }
    }

    /// Serves one connection until it ends; returns why and what to do next.
    async fn session(&mut self, mut ws: Ws, connection: ConnectionId) -> (DisconnectReason, Next) {
        let ping_period = self.cfg.ping_interval;
        let mut ping = ping_period.map(|period| {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        let mut state = SessionState {
            connection,
            awaiting_pong: false,
            peer_close: None,
        };
        let mut pings_sent: u64 = 0;
        let write_limit = self.cfg.connect_timeout;
        loop {
            let tick = async {
                match ping.as_mut() {
                    Some(interval) => {
                        interval.tick().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                message = ws.next() => {
                    if let Some(end) = self.on_message(message, &mut state).await {
                        return end.finish(&mut ws).await;
                    }
                }
                command = self.commands.recv() => match command {
                    None | Some(LinkCommand::Shutdown) => {
                        close(&mut ws, "charge point shutting down").await;
                        return (DisconnectReason::Shutdown, Next::Stop);
                    }
                    Some(LinkCommand::Reconnect) => {
                        close(&mut ws, "reconnecting").await;
                        return (DisconnectReason::ReconnectRequested, Next::Immediately);
                    }
                    Some(LinkCommand::SetSecurityProfile { profile, reply }) => {
                        let result = self.raise_profile(profile);
                        let raised = matches!(result, Ok(true));
                        let _ = reply.send(result.map(|_| ()));
                        if raised {
                            close(&mut ws, "security profile raised").await;
                            return (
                                DisconnectReason::SecurityProfileRaised(profile),
                                Next::Immediately,
                            );
                        }
                    }
                    Some(LinkCommand::UpdateCredentials { config }) => {
                        self.update_credentials(*config);
                    }
                    Some(LinkCommand::PreferVersions(first)) => {
                        self.cfg.prefer_versions(&first);
                    }
                    Some(LinkCommand::Send { connection: target, text }) => {
                        if target != connection {
                            tracing::debug!(connection, target, "message for an earlier connection dropped");
                            continue;
                        }
                        let sent = timeout(write_limit, ws.send(Message::text(text))).await;
                        if let Some(reason) = state.write_failure(sent, write_limit) {
                            return (reason, Next::Backoff);
                        }
                    }
                },
                () = tick => {
                    let period = ping_period.unwrap_or_default();
                    // A pong that arrived while we were busy (e.g. waiting for the owner to
                    // take an event) counts: read what is already there before judging.
                    while state.awaiting_pong {
                        let Some(message) = ws.next().now_or_never() else {
                            break;
                        };
                        if let Some(end) = self.on_message(message, &mut state).await {
                            return end.finish(&mut ws).await;
                        }
                    }
                    if state.awaiting_pong {
                        tracing::warn!(connection, period_ms = duration_ms(period), "no pong from the CSMS");
                        // The CSMS is not answering: no close handshake to wait for.
                        drop(ws);
                        return (DisconnectReason::PongTimeout(period), Next::Backoff);
                    }
                    pings_sent += 1;
                    let payload = Bytes::copy_from_slice(&pings_sent.to_be_bytes());
                    let sent = timeout(write_limit, ws.send(Message::Ping(payload))).await;
                    if let Some(reason) = state.write_failure(sent, write_limit) {
                        return (reason, Next::Backoff);
                    }
                    state.awaiting_pong = true;
                }
            }
        }
    }

    /// Handles what the socket yielded; `Some` when the connection is over.
    async fn on_message(
        &self,
        message: Option<Result<Message, tungstenite::Error>>,
        state: &mut SessionState,
    ) -> Option<SessionEnd> {
        match message {
            Some(Ok(Message::Text(text))) => {
                if !self.emit(LinkEvent::Text(text.as_str().to_owned())).await {
                    return Some(SessionEnd::OwnerGone);
                }
            }
            Some(Ok(Message::Binary(data))) => {
                tracing::warn!(
                    connection = state.connection,
                    bytes = data.len(),
                    "binary message ignored (OCPP-J is text only)"
                );
            }
            Some(Ok(Message::Pong(_))) => state.awaiting_pong = false,
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(frame))) => {
                // tungstenite answers it; the stream ends after that.
                state.peer_close = Some(match frame {
                    Some(f) => (Some(u16::from(f.code)), f.reason.as_str().to_owned()),
                    None => (None, String::new()),
                });
            }
            Some(Err(tungstenite::Error::ConnectionClosed)) | None => {
                let reason = state
                    .closed_by_peer()
                    .unwrap_or(DisconnectReason::ClosedByPeer {
                        code: None,
                        reason: "connection closed without a close frame".into(),
                    });
                return Some(SessionEnd::Lost(reason));
            }
            Some(Err(tungstenite::Error::Capacity(e))) => {
                tracing::warn!(
                    connection = state.connection,
                    limit = self.cfg.max_frame_bytes,
                    error = %e,
                    "frame from the CSMS too big: closing with 1009"
                );
                return Some(SessionEnd::TooBig(DisconnectReason::Transport(format!(
                    "frame from the CSMS too big ({e}; ocpp.max_frame_bytes {})",
                    self.cfg.max_frame_bytes
                ))));
            }
            Some(Err(e)) => {
                let reason = state
                    .closed_by_peer()
                    .unwrap_or(DisconnectReason::Transport(e.to_string()));
                return Some(SessionEnd::Lost(reason));
            }
        }
        None
    }
}

/// Per-connection state of [`Link::session`].
struct SessionState {
    connection: ConnectionId,
    awaiting_pong: bool,
    /// The CSMS's close frame, once received: code and reason.
    peer_close: Option<(Option<u16>, String)>,
}

impl SessionState {
    fn closed_by_peer(&self) -> Option<DisconnectReason> {
        self.peer_close
            .clone()
            .map(|(code, reason)| DisconnectReason::ClosedByPeer { code, reason })
    }

    /// Why a write that ended like `sent` ends the connection, if it does.
    fn write_failure(
        &self,
        sent: Result<Result<(), tungstenite::Error>, tokio::time::error::Elapsed>,
        limit: Duration,
    ) -> Option<DisconnectReason> {
        match sent {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(
                self.closed_by_peer()
                    .unwrap_or(DisconnectReason::Transport(e.to_string())),
            ),
            Err(_) => Some(DisconnectReason::Transport(format!(
                "write blocked for {limit:?}"
            ))),
        }
    }
}

/// How a session ended from the socket's side.
enum SessionEnd {
    /// Closed, reset or broken: reconnect with backoff.
    Lost(DisconnectReason),
    /// The CSMS sent a frame larger than `max_frame_bytes`: say so with close code 1009
    /// (Message Too Big, RFC 6455 §7.4.1) instead of dropping the connection, then reconnect.
    TooBig(DisconnectReason),
    /// The owner dropped its events receiver: close cleanly and stop.
    OwnerGone,
}

impl SessionEnd {
    async fn finish(self, ws: &mut Ws) -> (DisconnectReason, Next) {
        match self {
            SessionEnd::Lost(reason) => (reason, Next::Backoff),
            SessionEnd::TooBig(reason) => {
                close_with(ws, CloseCode::Size, "message too big").await;
                (reason, Next::Backoff)
            }
            SessionEnd::OwnerGone => {
                close(ws, "charge point shutting down").await;
                (DisconnectReason::Shutdown, Next::Stop)
            }
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Best-effort clean close: our close frame, then the CSMS's, within [`CLOSE_GRACE`].
async fn close(ws: &mut Ws, reason: &'static str) {
    close_with(ws, CloseCode::Normal, reason).await;
}

/// [`close`] with another close code.
async fn close_with(ws: &mut Ws, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = timeout(CLOSE_GRACE, async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
}

/// Anything the WebSocket can run over: TCP or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// A value that must not be printed.
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything one connection attempt needs, owned (the attempt runs beside command handling).
#[derive(Debug)]
struct ConnectParams {
    csms: CsmsUrl,
    path: String,
    versions: Vec<OcppVersion>,
    authorization: Option<Secret>,
    tls: Option<Arc<ClientConfig>>,
    ws_config: WebSocketConfig,
    ws_key: String,
}

/// `Basic base64(id:key)` (RFC 7617).
fn basic_authorization(charge_point_id: &str, key: &AuthorizationKey) -> String {
    let mut credentials = Vec::with_capacity(charge_point_id.len() + 1 + key.expose().len());
    credentials.extend_from_slice(charge_point_id.as_bytes());
    credentials.push(b':');
    credentials.extend_from_slice(key.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
fn websocket_key() -> String {
    let mut nonce = [0u8; 16];
    if crypto_provider().secure_random.fill(&mut nonce).is_err() {
        nonce = (u128::from(os_random_u64()) << 64 | u128::from(os_random_u64())).to_le_bytes();
    }
    base64::engine::general_purpose::STANDARD.encode(nonce)
}

async fn connect(p: ConnectParams) -> Result<(Ws, OcppVersion), ConnectError> {
    let addr = if p.csms.host.contains(':') {
        format!("[{}]:{}", p.csms.host, p.csms.port)
    } else {
        format!("{}:{}", p.csms.host, p.csms.port)
    };
    let tcp = TcpStream::connect((p.csms.host.as_str(), p.csms.port))
        .await
        .map_err(|e| ConnectError::Tcp {
            addr: addr.clone(),
            reason: e.to_string(),
        })?;
    let _ = tcp.set_nodelay(true);
    let mut io: Box<dyn Io> = match &p.tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = ServerName::try_from(p.csms.host.clone()).map_err(|e| {
                ConnectError::Tls(format!("{:?} is not a server name: {e}", p.csms.host))
            })?;
            let stream = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| ConnectError::Tls(e.to_string()))?;
            Box::new(stream)
        }
    };
    let request = upgrade_request(&p);
    io.write_all(request.0.as_bytes()).await.map_err(io_error)?;
    io.flush().await.map_err(io_error)?;
    drop(request);

    let mut buf = Vec::with_capacity(1024);
    let head_len = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_RESPONSE_HEAD {
            return Err(ConnectError::Handshake(format!(
                "response head longer than {MAX_RESPONSE_HEAD} bytes"
            )));
        }
        let mut chunk = [0u8; 2048];
        let n = io.read(&mut chunk).await.map_err(io_error)?;
        if n == 0 {
            return Err(ConnectError::Handshake(
                "connection closed before the upgrade response".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let version = check_upgrade_response(&buf[..head_len], &p.ws_key, &p.versions)?;
    let rest = buf.split_off(head_len);
    let ws = WebSocketStream::from_partially_read(io, rest, Role::Client, Some(p.ws_config)).await;
    Ok((ws, version))
}

/// An I/O error during the upgrade; a TLS alert (e.g. the CSMS refusing our client
/// certificate, which TLS 1.3 reports only after the handshake) is a TLS error.
fn io_error(e: std::io::Error) -> ConnectError {
    let tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if tls {
        ConnectError::Tls(e.to_string())
    } else {
        ConnectError::Io(e.to_string())
    }
}

/// The HTTP upgrade request (RFC 6455 §4.1). Holds the password in profiles 1-2: never log it.
fn upgrade_request(p: &ConnectParams) -> Secret {
    let mut r = format!(
        "GET {path} HTTP/1.1\r\n\
         Host: {host}\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\n\
         User-Agent: chargerd/{version}\r\n",
        path = p.path,
        host = p.csms.authority,
        key = p.ws_key,
        protocol = offered(&p.versions),
        version = env!("CARGO_PKG_VERSION"),
    );
    if let Some(Secret(auth)) = &p.authorization {
        r.push_str("Authorization: ");
        r.push_str(auth);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    Secret(r)
}

/// The `Sec-WebSocket-Protocol` value offering `versions`, in order.
fn offered(versions: &[OcppVersion]) -> String {
    versions
        .iter()
        .map(|v| v.subprotocol())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the CSMS's answer to the upgrade: 101, a correct `Sec-WebSocket-Accept`, and one of
/// the subprotocols we offered, which it returns: the version the connection speaks.
fn check_upgrade_response(
    head: &[u8],
    ws_key: &str,
    versions: &[OcppVersion],
) -> Result<OcppVersion, ConnectError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ConnectError::Handshake("incomplete response head".into()))
        }
        Err(e) => {
            return Err(ConnectError::Handshake(format!(
                "not an HTTP response: {e}"
            )))
        }
    }
    let status = response.code.unwrap_or(0);
    if status != 101 {
        return Err(ConnectError::HttpStatus { status });
    }
    let header = |name: &str| -> Option<String> {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
    };
    if !header("Upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err(ConnectError::Handshake("no `Upgrade: websocket`".into()));
    }
    let upgrade_token = header("Connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    });
    if !upgrade_token {
        return Err(ConnectError::Handshake("no `Connection: Upgrade`".into()));
    }
    let expected = tungstenite::handshake::derive_accept_key(ws_key.as_bytes());
    if header("Sec-WebSocket-Accept").as_deref() != Some(expected.as_str()) {
        return Err(ConnectError::Handshake(
            "wrong or missing Sec-WebSocket-Accept".into(),
        ));
    }
    if header("Sec-WebSocket-Extensions").is_some() {
        return Err(ConnectError::Handshake(
            "the CSMS chose an extension we did not offer".into(),
        ));
    }
    let answered = header("Sec-WebSocket-Protocol");
    match answered.as_deref().and_then(OcppVersion::from_subprotocol) {
        Some(version) if versions.contains(&version) => Ok(version),
        _ => Err(ConnectError::SubprotocolRefused {
            offered: offered(versions),
            answered,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    fn head(status: &str, extra: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn accepted_upgrade() {
        let h = head(
            "101 Switching Protocols",
            "Sec-WebSocket-Protocol: ocpp1.6\r\n",
        );
        assert_eq!(
            check_upgrade_response(&h, KEY, &[OcppVersion::V16]),
            Ok(OcppVersion::V16)
        );
        // Offering both, the CSMS's pick is the connection's version.
        let both = [OcppVersion::V201, OcppVersion::V16];
        assert_eq!(check_upgrade_response(&h, KEY, &both), Ok(OcppVersion::V16));
        let h = head("101 OK", "Sec-WebSocket-Protocol: ocpp2.0.1\r\n");
        assert_eq!(
            check_upgrade_response(&h, KEY, &both),
            Ok(OcppVersion::V201)
        );
    }

    #[test]
    fn refused_upgrades() {
        let v = &[OcppVersion::V16];
        assert_eq!(
            check_upgrade_response(&head("401 Unauthorized", ""), KEY, v),
            Err(ConnectError::HttpStatus { status: 401 })
        );
        assert_eq!(
            check_upgrade_response(&head("101 Switching Protocols", ""), KEY, v),
            Err(ConnectError::SubprotocolRefused {
                offered: "ocpp1.6".into(),
                answered: None
            })
        );
        assert!(matches!(
            check_upgrade_response(
                &head("101 OK", "Sec-WebSocket-Protocol: ocpp2.0.1\r\n"),
                KEY,
                v
            ),
            Err(ConnectError::SubprotocolRefused { answered: Some(a), .. }) if a == "ocpp2.0.1"
        ));
        assert!(matches!(
            check_upgrade_response(
                &head("101 OK", "Sec-WebSocket-Protocol: ocpp1.6\r\n"),
                "AAAAAAAAAAAAAAAAAAAAAA==",
                v
            ),
            Err(ConnectError::Handshake(_))
        ));
        assert!(matches!(
            check_upgrade_response(b"SSH-2.0-OpenSSH\r\n\r\n", KEY, v),
            Err(ConnectError::Handshake(_))
        ));
    }

    #[test]
    fn basic_authorization_header_carries_the_decoded_key_bytes() {
        let key = AuthorizationKey::new(b"0123456789abcdef".to_vec()).unwrap();
        assert_eq!(
            basic_authorization("CP1", &key),
            "Basic Q1AxOjAxMjM0NTY3ODlhYmNkZWY="
        );
        // Set as hex, sent as the bytes: `CP1:` followed by 0x00 0x01 … 0x0f, not the text.
        let key = AuthorizationKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let header = basic_authorization("CP1", &key);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        let mut want = b"CP1:".to_vec();
        want.extend(0u8..16);
        assert_eq!(raw, want);
    }

    #[test]
    fn websocket_keys_are_fresh_16_byte_nonces() {
        let (a, b) = (websocket_key(), websocket_key());
        assert_ne!(a, b);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&a)
            .unwrap();
        assert_eq!(raw.len(), 16);
    }
}
