//! The OCPP link against a real WebSocket server on loopback (tokio-tungstenite, with rustls for
//! `wss://`), using certificates made by the test with rcgen. No mocks: every test goes through
//! TCP, TLS and the HTTP upgrade.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chargerd::ocpp::link::{
    ConnectError, DisconnectReason, Link, LinkConfig, LinkError, LinkEvent,
};
use chargerd::ocpp::settings::{OcppSection, OcppVersionSetting, SecurityProfile};
use chargerd::ocpp::{BackoffPolicy, LinkHandle};
use futures_util::{SinkExt, StreamExt};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

const CP: &str = "TRUCK-HUB-7";
/// The AuthorizationKey's bytes (the Basic-auth password); the key file holds them as hex.
const KEY: &[u8] = b"s3cr3t-AuthKey-0001";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
const WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Test PKI

struct Identity {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { params, key, pem }
    }

    fn issue(&self, names: &[&str], cn: &str, usage: ExtendedKeyUsagePurpose) -> Identity {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(certificate(&self.pem)).unwrap();
        roots
    }
}

fn certificate(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

fn private_key(pem: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes()).unwrap())
}

/// The files a charge point is configured with.
struct Pki {
    dir: tempfile::TempDir,
    ca: Ca,
    server: Identity,
    client: Identity,
}

impl Pki {
    fn new() -> Pki {
        let ca = Ca::new("chargerd test CSMS CA");
        let server = ca.issue(
            &["127.0.0.1"],
            "csms.test",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = ca.issue(&[], CP, ExtendedKeyUsagePurpose::ClientAuth);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), &ca.pem).unwrap();
        std::fs::write(dir.path().join("client.pem"), &client.cert_pem).unwrap();
        std::fs::write(dir.path().join("client.key"), &client.key_pem).unwrap();
        std::fs::write(
            dir.path().join("authorization.key"),
            format!("{}\n", hex(KEY)),
        )
        .unwrap();
        Pki {
            dir,
            ca,
            server,
            client,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn section(&self, url: String, profile: u8) -> OcppSection {
        OcppSection {
            csms_url: url,
            charge_point_id: CP.into(),
            version: OcppVersionSetting::V16,
            security_profile: SecurityProfile::try_from(profile).unwrap(),
            authorization_key_file: Some(self.path("authorization.key")),
            ca_bundle: Some(self.path("ca.pem")),
            client_certificate: Some(self.path("client.pem")),
            client_key: Some(self.path("client.key")),
            retry_backoff_min_s: 1,
            retry_backoff_max_s: 1,
            retry_backoff_random_range_s: 0,
            websocket_ping_interval_s: 0,
            call_timeout_s: 5,
            max_frame_bytes: 65536,
            files: Default::default(),
            firmware: Default::default(),
        }
    }
}

fn basic(key: &[u8]) -> String {
    use base64::Engine;
    let raw = [CP.as_bytes(), b":", key].concat();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

enum ClientAuth {
    None,
    Required(RootCertStore),
    Optional(RootCertStore),
}

fn server_tls(id: &Identity, client_auth: ClientAuth) -> Arc<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Required(roots) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap(),
        ),
        ClientAuth::Optional(roots) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .allow_unauthenticated()
                .build()
                .unwrap(),
        ),
    };
    let chain = vec![id.der.clone()];
    Arc::new(
        builder
            .with_single_cert(chain, private_key(&id.key_pem))
            .unwrap(),
    )
}

// ---------------------------------------------------------------------------------------------
// Test CSMS

/// What the server does once the WebSocket is up.
#[derive(Clone, Copy)]
enum Mode {
    /// Read (so pings are answered), report texts.
    Serve,
    /// Never read again: pings go unanswered.
    Mute,
    /// Read; after the first text, close with this code.
    CloseOnText(u16),
}

#[derive(Clone)]
struct Behaviour {
    tls: Option<Arc<ServerConfig>>,
    /// Refuse the upgrade with 401 unless `Authorization` is exactly this (if set).
    require_authorization: Option<String>,
    /// The subprotocol answered; `None`: none.
    subprotocol: Option<&'static str>,
    greeting: Option<String>,
    mode: Mode,
}

impl Behaviour {
    fn plain() -> Behaviour {
        Behaviour {
            tls: None,
            require_authorization: None,
            subprotocol: Some("ocpp1.6"),
            greeting: None,
            mode: Mode::Serve,
        }
    }
}

#[derive(Debug)]
struct Upgrade {
    at: Instant,
    path: String,
    subprotocol: Option<String>,
    authorization: Option<String>,
    client_certificate: Option<CertificateDer<'static>>,
}

#[derive(Debug)]
enum Seen {
    Upgrade(Upgrade),
    TlsFailed(String),
    Text(String),
    ClientClosed(Option<u16>),
}

struct Csms {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Csms {
    async fn start(behaviour: Behaviour) -> Csms {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(tcp, behaviour.clone(), tx.clone()));
            }
        });
        Csms { addr, seen }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/ocpp", self.addr)
    }

    async fn next(&mut self) -> Seen {
        timeout(WAIT, self.seen.recv())
            .await
            .expect("server saw nothing in time")
            .expect("server gone")
    }

    /// The next upgrade request, past the close frames of earlier connections.
    async fn upgrade(&mut self) -> Upgrade {
        loop {
            match self.next().await {
                Seen::Upgrade(u) => return u,
                Seen::ClientClosed(_) => {}
                other => panic!("expected an upgrade, server saw {other:?}"),
            }
        }
    }

    async fn tls_failure(&mut self) -> String {
        match self.next().await {
            Seen::TlsFailed(why) => why,
            other => panic!("expected a TLS failure, server saw {other:?}"),
        }
    }
}

async fn serve(tcp: tokio::net::TcpStream, b: Behaviour, tx: mpsc::UnboundedSender<Seen>) {
    match b.tls.clone() {
        None => upgrade(tcp, None, b, tx).await,
        Some(config) => match tokio_rustls::TlsAcceptor::from(config).accept(tcp).await {
            Ok(tls) => {
                let cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first().cloned());
                upgrade(tls, cert, b, tx).await;
            }
            Err(e) => {
                let _ = tx.send(Seen::TlsFailed(e.to_string()));
            }
        },
    }
}

// The callback's `Result<Response, ErrorResponse>` is tungstenite's signature.
#[allow(clippy::result_large_err)]
async fn upgrade<S>(
    stream: S,
    client_certificate: Option<CertificateDer<'static>>,
    b: Behaviour,
    tx: mpsc::UnboundedSender<Seen>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let report = tx.clone();
    let callback = move |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let seen = Upgrade {
            at: Instant::now(),
            path: req.uri().path().to_string(),
            subprotocol: header("Sec-WebSocket-Protocol"),
            authorization: header("Authorization"),
            client_certificate,
        };
        let authorized = match &b.require_authorization {
            Some(expected) => seen.authorization.as_deref() == Some(expected.as_str()),
            None => true,
        };
        let _ = report.send(Seen::Upgrade(seen));
        if !authorized {
            let mut refuse = ErrorResponse::new(Some("unauthorized".into()));
            *refuse.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(refuse);
        }
        if let Some(p) = b.subprotocol {
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
        }
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    if let Some(greeting) = &b.greeting {
        let _ = ws.send(Message::text(greeting.as_str())).await;
    }
    match b.mode {
        Mode::Mute => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Mode::Serve | Mode::CloseOnText(_) => {
            while let Some(message) = ws.next().await {
                match message {
                    Ok(Message::Text(t)) => {
                        let _ = tx.send(Seen::Text(t.as_str().to_owned()));
                        if let Mode::CloseOnText(code) = b.mode {
                            let frame = CloseFrame {
                                code: CloseCode::from(code),
                                reason: "bye".into(),
                            };
                            let _ = ws.close(Some(frame)).await;
                        }
                    }
                    Ok(Message::Close(frame)) => {
                        let _ = tx.send(Seen::ClientClosed(frame.map(|f| u16::from(f.code))));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Link helpers

fn link_config(section: &OcppSection) -> LinkConfig {
    let mut cfg = LinkConfig::from_section(section).unwrap();
    cfg.backoff = BackoffPolicy {
        minimum: Duration::from_millis(50),
        maximum: Duration::from_millis(200),
        random_range: Duration::ZERO,
        stable_after: Duration::from_secs(60),
    };
    cfg.connect_timeout = Duration::from_secs(3);
    cfg.seed = 1;
    cfg
}

async fn next_event(link: &mut LinkHandle) -> LinkEvent {
    timeout(WAIT, link.next_event())
        .await
        .expect("no link event in time")
        .expect("link stopped")
}

async fn connected(link: &mut LinkHandle) -> (u64, SecurityProfile) {
    match next_event(link).await {
        LinkEvent::Connected {
            connection,
            security_profile,
            ..
        } => (connection, security_profile),
        other => panic!("expected Connected, got {other:?}"),
    }
}

async fn connect_failure(link: &mut LinkHandle) -> (ConnectError, Duration) {
    match next_event(link).await {
        LinkEvent::Disconnected {
            reason: DisconnectReason::ConnectFailed(e),
            retry_in: Some(d),
        } => (e, d),
        other => panic!("expected a failed connection attempt, got {other:?}"),
    }
}

async fn stop(mut link: LinkHandle) {
    link.shutdown().unwrap();
    while timeout(WAIT, link.next_event()).await.unwrap().is_some() {}
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn profile0_path_is_the_identity_and_ocpp16_is_offered() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour::plain()).await;
    let mut section = pki.section(csms.url("ws"), 0);
    section.charge_point_id = "CP|7".into();
    let (mut link, _task) = Link::spawn(link_config(&section));

    match next_event(&mut link).await {
        LinkEvent::Connected {
            connection,
            url,
            version,
            security_profile,
        } => {
            assert_eq!(connection, 1);
            assert_eq!(url, format!("ws://{}/ocpp/CP%7C7", csms.addr));
            assert_eq!(version.subprotocol(), "ocpp1.6");
            assert_eq!(security_profile, SecurityProfile::Unsecured);
        }
        other => panic!("{other:?}"),
    }
    let up = csms.upgrade().await;
    assert_eq!(up.path, "/ocpp/CP%7C7");
    assert_eq!(up.subprotocol.as_deref(), Some("ocpp1.6"));
    assert_eq!(up.authorization, None, "profile 0 sends no credentials");

    // A ws:// link cannot be raised to a TLS profile.
    assert!(matches!(
        link.set_security_profile(SecurityProfile::TlsBasicAuth)
            .await,
        Err(LinkError::ProfileUnavailable { .. })
    ));
    stop(link).await;
    assert!(matches!(csms.next().await, Seen::ClientClosed(Some(1000))));
}

#[tokio::test]
async fn profile1_sends_basic_auth_with_the_authorization_key() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        require_authorization: Some(basic(KEY)),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 1)));
    assert_eq!(connected(&mut link).await, (1, SecurityProfile::BasicAuth));
    let up = csms.upgrade().await;
    assert_eq!(up.authorization, Some(basic(KEY)));
    assert_eq!(up.path, format!("/ocpp/{CP}"));
    stop(link).await;
}

#[tokio::test]
async fn wrong_key_is_refused_and_retried_with_growing_backoff() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        require_authorization: Some(basic(b"the-key-the-csms-expects")),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 1)));

    let mut waits = Vec::new();
    for _ in 0..4 {
        let (error, retry_in) = connect_failure(&mut link).await;
        assert_eq!(error, ConnectError::HttpStatus { status: 401 });
        assert!(error.to_string().contains("AuthorizationKey"), "{error}");
        waits.push(retry_in.as_millis());
    }
    assert_eq!(waits, [50, 100, 200, 200], "doubling from min to max");

    let mut attempts = Vec::new();
    for _ in 0..4 {
        attempts.push(csms.upgrade().await.at);
    }
    for (pair, wait) in attempts.windows(2).zip(&waits) {
        let gap = pair[1] - pair[0];
        assert!(
            gap.as_millis() + 5 >= *wait,
            "attempts {gap:?} apart, backoff was {wait} ms"
        );
    }
    stop(link).await;
}

#[tokio::test]
async fn a_refused_new_key_falls_back_once_to_the_previous_key() {
    let pki = Pki::new();
    // After a rotation the key file holds the new key, then the one it replaced.
    let new_key: &[u8] = b"the-new-key-0000002";
    std::fs::write(
        pki.path("authorization.key"),
        format!("{}\n{}\n", hex(new_key), hex(KEY)),
    )
    .unwrap();
    // The CSMS still wants the previous key.
    let mut csms = Csms::start(Behaviour {
        require_authorization: Some(basic(KEY)),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 1)));
    let (error, retry_in) = connect_failure(&mut link).await;
    assert_eq!(error, ConnectError::HttpStatus { status: 401 });
    assert_eq!(retry_in, Duration::ZERO, "the fallback is tried at once");
    assert_eq!(
        next_event(&mut link).await,
        LinkEvent::AuthorizationKeyFellBack
    );
    assert_eq!(connected(&mut link).await, (1, SecurityProfile::BasicAuth));
    assert_eq!(
        csms.upgrade().await.authorization,
        Some(basic(new_key)),
        "the new key first"
    );
    assert_eq!(csms.upgrade().await.authorization, Some(basic(KEY)));
    stop(link).await;
}

#[tokio::test]
async fn the_fallback_happens_once_and_never_without_a_previous_key() {
    let pki = Pki::new();
    let new_key: &[u8] = b"the-new-key-0000002";
    std::fs::write(
        pki.path("authorization.key"),
        format!("{}\n{}\n", hex(new_key), hex(KEY)),
    )
    .unwrap();
    // The CSMS takes neither key: one fallback, then the ordinary backoff, with no swinging
    // back to the new key.
    let mut csms = Csms::start(Behaviour {
        require_authorization: Some(basic(b"the-key-the-csms-expects")),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 1)));
    let (_, retry_in) = connect_failure(&mut link).await;
    assert_eq!(retry_in, Duration::ZERO);
    assert_eq!(
        next_event(&mut link).await,
        LinkEvent::AuthorizationKeyFellBack
    );
    for want in [50, 100] {
        let (error, retry_in) = connect_failure(&mut link).await;
        assert_eq!(error, ConnectError::HttpStatus { status: 401 });
        assert_eq!(retry_in.as_millis(), want);
    }
    let seen: Vec<Option<String>> = [
        csms.upgrade().await,
        csms.upgrade().await,
        csms.upgrade().await,
    ]
    .into_iter()
    .map(|u| u.authorization)
    .collect();
    assert_eq!(
        seen,
        [Some(basic(new_key)), Some(basic(KEY)), Some(basic(KEY))]
    );
    stop(link).await;
}

#[tokio::test]
async fn profile2_accepts_a_server_certificate_from_the_configured_ca() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        tls: Some(server_tls(&pki.server, ClientAuth::None)),
        require_authorization: Some(basic(KEY)),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("wss"), 2)));
    assert_eq!(
        connected(&mut link).await,
        (1, SecurityProfile::TlsBasicAuth)
    );
    let up = csms.upgrade().await;
    assert_eq!(up.authorization, Some(basic(KEY)));
    assert_eq!(
        up.client_certificate, None,
        "profile 2 presents no certificate"
    );
    stop(link).await;
}

#[tokio::test]
async fn profile2_refuses_a_server_certificate_from_another_ca() {
    let pki = Pki::new();
    let other = Ca::new("someone else's CA");
    let imposter = other.issue(
        &["127.0.0.1"],
        "csms.test",
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let mut csms = Csms::start(Behaviour {
        tls: Some(server_tls(&imposter, ClientAuth::None)),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("wss"), 2)));
    let (error, _) = connect_failure(&mut link).await;
    match &error {
        ConnectError::Tls(why) => assert!(why.contains("UnknownIssuer"), "{why}"),
        other => panic!("{other:?}"),
    }
    let why = csms.tls_failure().await;
    assert!(why.contains("UnknownCA"), "the server hears why: {why}");
    stop(link).await;
}

#[tokio::test]
async fn profile3_client_certificate_is_verified_by_the_server() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        tls: Some(server_tls(
            &pki.server,
            ClientAuth::Required(pki.ca.roots()),
        )),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("wss"), 3)));
    assert_eq!(
        connected(&mut link).await,
        (1, SecurityProfile::TlsClientCertificate)
    );
    let up = csms.upgrade().await;
    assert_eq!(up.client_certificate, Some(pki.client.der.clone()));
    assert_eq!(up.authorization, None, "profile 3 sends no password");
    stop(link).await;
}

#[tokio::test]
async fn server_requiring_a_client_certificate_refuses_a_link_without_one() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        tls: Some(server_tls(
            &pki.server,
            ClientAuth::Required(pki.ca.roots()),
        )),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("wss"), 2)));
    let (error, _) = connect_failure(&mut link).await;
    assert!(matches!(error, ConnectError::Tls(_)), "{error:?}");
    let why = csms.tls_failure().await;
    assert!(why.contains("no certificates"), "{why}");
    stop(link).await;
}

#[tokio::test]
async fn server_not_accepting_ocpp16_is_refused() {
    let pki = Pki::new();
    for answer in [None, Some("ocpp2.0.1")] {
        let csms = Csms::start(Behaviour {
            subprotocol: answer,
            ..Behaviour::plain()
        })
        .await;
        let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 0)));
        let (error, _) = connect_failure(&mut link).await;
        assert_eq!(
            error,
            ConnectError::SubprotocolRefused {
                offered: "ocpp1.6".into(),
                answered: answer.map(String::from),
            }
        );
        assert!(error.to_string().contains("ocpp1.6"), "{error}");
        stop(link).await;
    }
}

#[tokio::test]
async fn unanswered_pings_make_the_link_reconnect() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        mode: Mode::Mute,
        ..Behaviour::plain()
    })
    .await;
    let mut cfg = link_config(&pki.section(csms.url("ws"), 0));
    cfg.ping_interval = Some(Duration::from_millis(150));
    let (mut link, _task) = Link::spawn(cfg);

    let started = Instant::now();
    assert_eq!(connected(&mut link).await.0, 1);
    match next_event(&mut link).await {
        LinkEvent::Disconnected {
            reason: DisconnectReason::PongTimeout(period),
            retry_in: Some(_),
        } => assert_eq!(period, Duration::from_millis(150)),
        other => panic!("{other:?}"),
    }
    // First ping at 150 ms, no pong by 300 ms.
    let lost_after = started.elapsed();
    assert!(lost_after >= Duration::from_millis(290), "{lost_after:?}");
    assert!(lost_after < Duration::from_secs(2), "{lost_after:?}");
    assert_eq!(connected(&mut link).await.0, 2);
    csms.upgrade().await;
    csms.upgrade().await;
    stop(link).await;
}

#[tokio::test]
async fn answered_pings_keep_the_link_up() {
    let pki = Pki::new();
    let csms = Csms::start(Behaviour::plain()).await;
    let mut cfg = link_config(&pki.section(csms.url("ws"), 0));
    cfg.ping_interval = Some(Duration::from_millis(100));
    let (mut link, _task) = Link::spawn(cfg);
    assert_eq!(connected(&mut link).await.0, 1);
    // Six ping periods without a disconnect.
    let quiet = timeout(Duration::from_millis(600), link.next_event()).await;
    assert!(quiet.is_err(), "unexpected event: {quiet:?}");
    stop(link).await;
}

#[tokio::test]
async fn text_both_ways_then_server_close_reconnects_with_backoff() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        greeting: Some(r#"[2,"1","TriggerMessage",{"requestedMessage":"Heartbeat"}]"#.into()),
        mode: Mode::CloseOnText(1001),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("ws"), 0)));

    let (first, _) = connected(&mut link).await;
    let first_upgrade = csms.upgrade().await.at;
    assert_eq!(
        next_event(&mut link).await,
        LinkEvent::Text(r#"[2,"1","TriggerMessage",{"requestedMessage":"Heartbeat"}]"#.into())
    );
    link.send(first, r#"[3,"1",{"status":"Accepted"}]"#.into())
        .unwrap();
    match csms.next().await {
        Seen::Text(t) => assert_eq!(t, r#"[3,"1",{"status":"Accepted"}]"#),
        other => panic!("{other:?}"),
    }

    // The server closes with 1001 after that text: the link reports it and comes back.
    match next_event(&mut link).await {
        LinkEvent::Disconnected {
            reason: DisconnectReason::ClosedByPeer { code, reason },
            retry_in,
        } => {
            assert_eq!(code, Some(1001));
            assert_eq!(reason, "bye");
            assert_eq!(retry_in, Some(Duration::from_millis(50)));
        }
        other => panic!("{other:?}"),
    }
    let (second, _) = connected(&mut link).await;
    assert_eq!(second, first + 1);
    assert!(csms.upgrade().await.at - first_upgrade >= Duration::from_millis(50));
    assert!(matches!(next_event(&mut link).await, LinkEvent::Text(_)));

    // A frame meant for the old connection never reaches the new one.
    link.send(first, "stale".into()).unwrap();
    link.send(second, "fresh".into()).unwrap();
    match csms.next().await {
        Seen::Text(t) => assert_eq!(t, "fresh"),
        other => panic!("{other:?}"),
    }
    stop(link).await;
}

#[tokio::test]
async fn security_profile_is_only_ever_raised() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        tls: Some(server_tls(
            &pki.server,
            ClientAuth::Optional(pki.ca.roots()),
        )),
        ..Behaviour::plain()
    })
    .await;
    let (mut link, _task) = Link::spawn(link_config(&pki.section(csms.url("wss"), 1)));
    assert_eq!(connected(&mut link).await, (1, SecurityProfile::BasicAuth));
    let up = csms.upgrade().await;
    assert_eq!(up.authorization, Some(basic(KEY)));
    assert_eq!(up.client_certificate, None);

    assert_eq!(
        link.set_security_profile(SecurityProfile::Unsecured).await,
        Err(LinkError::ProfileLowered {
            current: SecurityProfile::BasicAuth,
            requested: SecurityProfile::Unsecured,
        })
    );

    // Raised to 3: reconnects at once, with the client certificate and without the password.
    link.set_security_profile(SecurityProfile::TlsClientCertificate)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut link).await,
        LinkEvent::Disconnected {
            reason: DisconnectReason::SecurityProfileRaised(SecurityProfile::TlsClientCertificate),
            retry_in: Some(Duration::ZERO),
        }
    );
    assert_eq!(
        connected(&mut link).await,
        (2, SecurityProfile::TlsClientCertificate)
    );
    let up = csms.upgrade().await;
    assert_eq!(up.client_certificate, Some(pki.client.der.clone()));
    assert_eq!(up.authorization, None);

    let err = link
        .set_security_profile(SecurityProfile::TlsBasicAuth)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only ever raised"), "{err}");
    // The same profile again is a no-op: no reconnect.
    link.set_security_profile(SecurityProfile::TlsClientCertificate)
        .await
        .unwrap();
    let quiet = timeout(Duration::from_millis(200), link.next_event()).await;
    assert!(quiet.is_err(), "unexpected event: {quiet:?}");
    stop(link).await;
}

#[tokio::test]
async fn oversized_message_drops_the_connection() {
    let pki = Pki::new();
    let mut csms = Csms::start(Behaviour {
        greeting: Some(format!(
            r#"[2,"1","DataTransfer",{{"vendorId":"{}"}}]"#,
            "x".repeat(5000)
        )),
        ..Behaviour::plain()
    })
    .await;
    let mut cfg = link_config(&pki.section(csms.url("ws"), 0));
    cfg.max_frame_bytes = 4096;
    let (mut link, _task) = Link::spawn(cfg);
    assert_eq!(connected(&mut link).await.0, 1);
    match next_event(&mut link).await {
        LinkEvent::Disconnected {
            reason: DisconnectReason::Transport(why),
            retry_in: Some(_),
        } => assert!(why.contains("too long"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(connected(&mut link).await.0, 2);
    csms.upgrade().await;
    stop(link).await;
}
