//! The control socket's server side: accepts connections, parses request lines, hands each
//! request to the main loop (the only owner of the station) and writes back its answer.
//!
//! Each socket holds at most [`MAX_CONNECTIONS`] connections, and a connection holds its slot
//! only while it is used: one that sends no complete request line for [`IDLE_TIMEOUT`] (30 s),
//! or does not take its answer within [`WRITE_TIMEOUT`] (10 s), is closed. So nobody who may
//! reach a socket can lock the others out by opening connections and leaving them open.
//! (`chargerctl status --watch` connects anew for every refresh.)

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::{Request, Response, SocketRole, MAX_REQUEST_BYTES};

/// A request on its way to the main loop, with where to send the answer.
#[derive(Debug)]
pub struct ControlEnvelope {
    pub request: Request,
    pub reply: oneshot::Sender<Response>,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("control socket {path}: another chargerd is already listening there")]
    InUse { path: PathBuf },
    #[error("control socket {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Bind a socket for `role`: the control socket with mode 0660 (the service's group may read,
/// nobody else), the admin socket with 0600 (the service user; root). A stale socket file from
/// a crashed daemon is replaced; a live one is an error. A directory created here is 0750:
/// the group must reach the control socket in it.
pub async fn bind(path: &Path, role: SocketRole) -> Result<UnixListener, ControlError> {
    let io = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::symlink_metadata(path).is_ok() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(ControlError::InUse {
                path: path.to_path_buf(),
            });
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(dir)
            .map_err(io)?;
    }
    let listener = UnixListener::bind(path).map_err(io)?;
    let mode = match role {
        SocketRole::ReadOnly => 0o660,
        SocketRole::Admin => 0o600,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)?;
    Ok(listener)
}

/// Connections open at once on one socket. Each holds a task, a file descriptor and up to
/// [`MAX_REQUEST_BYTES`] of buffer: without a cap, an account that may reach the socket could
/// exhaust the daemon's descriptors (its journal and CAN sockets too). The sockets count
/// separately, so the read-only one filling up never locks the admin out.
pub const MAX_CONNECTIONS: usize = 16;

/// A connection that sends no complete request line for this long is closed, freeing its slot
/// (the time the main loop takes to answer does not count).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest an answer may take to be written (a client that does not read it is closed).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may stay idle and take to read an answer ([`IDLE_TIMEOUT`],
/// [`WRITE_TIMEOUT`]; tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionTimeouts {
    pub idle: Duration,
    pub write: Duration,
}

impl Default for ConnectionTimeouts {
    fn default() -> ConnectionTimeouts {
        ConnectionTimeouts {
            idle: IDLE_TIMEOUT,
            write: WRITE_TIMEOUT,
        }
    }
}

/// Accept connections until the main loop goes away.
pub async fn serve(
    listener: UnixListener,
    role: SocketRole,
    to_main: mpsc::Sender<ControlEnvelope>,
) {
    serve_with(listener, role, to_main, ConnectionTimeouts::default()).await;
}

/// [`serve`] with the given connection timeouts.
pub async fn serve_with(
    listener: UnixListener,
    role: SocketRole,
    to_main: mpsc::Sender<ControlEnvelope>,
    timeouts: ConnectionTimeouts,
) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(role = ?role, max = MAX_CONNECTIONS,
                        "control connection refused: too many open");
                    tokio::spawn(async move {
                        let (_, mut write) = stream.into_split();
                        let r = Response::error(format!(
                            "too many connections ({MAX_CONNECTIONS} open on this socket); \
                             try again when one closes"
                        ));
                        let _ = write_response(&mut write, &r, timeouts.write).await;
                    });
                    continue;
                };
                let to_main = to_main.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, role, to_main, timeouts).await {
                        tracing::debug!(error = %e, "control connection ended");
                    }
                    drop(slot);
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        if to_main.is_closed() {
            return;
        }
    }
}

async fn connection(
    stream: UnixStream,
    role: SocketRole,
    to_main: mpsc::Sender<ControlEnvelope>,
    timeouts: ConnectionTimeouts,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut request_line = (&mut lines).take(MAX_REQUEST_BYTES as u64 + 1);
        let reading = request_line.read_until(b'\n', &mut line);
        let Ok(n) = tokio::time::timeout(timeouts.idle, reading).await else {
            tracing::debug!(role = ?role, idle_ms = u64::try_from(timeouts.idle.as_millis()).unwrap_or(u64::MAX),
                "control connection closed: no request");
            return Ok(());
        };
        let n = n?;
        if n == 0 {
            return Ok(());
        }
        let response = if line.len() > MAX_REQUEST_BYTES {
            // The rest of an oversized line cannot be resynchronised on: answer and hang up.
            let r = Response::error(format!("request longer than {MAX_REQUEST_BYTES} bytes"));
            write_response(&mut write, &r, timeouts.write).await?;
            return Ok(());
        } else {
            match serde_json::from_slice::<Request>(&line) {
                Ok(request) if !role.permits(request.access().1) => {
                    let name = request.access().0;
                    tracing::info!(
                        request = name,
                        "mutating request refused on the read-only socket"
                    );
                    Response::error(refused_on_read_only(name))
                }
                Ok(request) => {
                    let (reply, answer) = oneshot::channel();
                    if to_main
                        .send(ControlEnvelope { request, reply })
                        .await
                        .is_err()
                    {
                        Response::error("chargerd is shutting down")
                    } else {
                        answer
                            .await
                            .unwrap_or_else(|_| Response::error("chargerd dropped the request"))
                    }
                }
                Err(e) => Response::error(format!("malformed request: {e}")),
            }
        };
        write_response(&mut write, &response, timeouts.write).await?;
    }
}

/// The answer to a request that changes the station, sent on the read-only control socket.
pub fn refused_on_read_only(request: &str) -> String {
    format!(
        "permission denied: `{request}` changes the station and the control socket is read-only; \
         use the admin socket (chargerctl --admin-socket, as root or the chargerd service user)"
    )
}

/// Writes one answer line within `limit`.
async fn write_response(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    response: &Response,
    limit: Duration,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(response).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    match tokio::time::timeout(limit, write.write_all(&bytes)).await {
        Ok(written) => written,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the client did not take its answer within {limit:?}"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Far beyond the 200 ms timeouts of the test: only a server that never closes misses it.
    const GENEROUS: Duration = Duration::from_secs(5);

    async fn answer(stream: &mut UnixStream) -> String {
        let mut line = Vec::new();
        let mut reader = BufReader::new(stream);
        tokio::time::timeout(GENEROUS, reader.read_until(b'\n', &mut line))
            .await
            .expect("no answer")
            .unwrap();
        String::from_utf8(line).unwrap()
    }

    #[tokio::test]
    async fn idle_connections_are_closed_and_their_slots_freed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let listener = bind(&path, SocketRole::ReadOnly).await.unwrap();
        let (to_main, mut main) = mpsc::channel::<ControlEnvelope>(8);
        // The main loop: answers every request.
        tokio::spawn(async move {
            while let Some(envelope) = main.recv().await {
                let _ = envelope.reply.send(Response::SimDone);
            }
        });
        let timeouts = ConnectionTimeouts {
            idle: Duration::from_millis(200),
            write: Duration::from_millis(200),
        };
        tokio::spawn(serve_with(
            listener,
            SocketRole::ReadOnly,
            to_main,
            timeouts,
        ));

        // Every slot taken: half by connections that send nothing, half by ones that send
        // the start of a request and never end the line.
        let mut held = Vec::new();
        for i in 0..MAX_CONNECTIONS {
            let mut stream = UnixStream::connect(&path).await.unwrap();
            if i % 2 == 1 {
                stream.write_all(br#"{"request":"#).await.unwrap();
            }
            held.push(stream);
        }
        let mut refused = UnixStream::connect(&path).await.unwrap();
        assert!(
            answer(&mut refused).await.contains("too many connections"),
            "the slots were not all taken"
        );

        // A client that keeps asking, each request within the idle timeout, is not idle.
        // (It is admitted once the idle ones are gone.)
        let mut started = std::time::Instant::now();
        // Each held connection is closed by the server (EOF), no request having come.
        for stream in &mut held {
            let mut rest = Vec::new();
            let read = tokio::time::timeout(GENEROUS, stream.read_to_end(&mut rest))
                .await
                .expect("an idle control connection was never closed");
            assert!(read.is_ok(), "{read:?}");
        }
        let closed_after = started.elapsed();
        assert!(closed_after < GENEROUS, "{closed_after:?}");

        // Their slots are free again: a new client is served, and stays served as long as it
        // keeps sending requests more often than the idle timeout.
        let mut busy = UnixStream::connect(&path).await.unwrap();
        started = std::time::Instant::now();
        for _ in 0..4 {
            busy.write_all(b"{\"request\":\"status\"}\n").await.unwrap();
            assert!(answer(&mut busy).await.contains("sim_done"));
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        assert!(started.elapsed() > timeouts.idle);
        busy.write_all(b"{\"request\":\"status\"}\n").await.unwrap();
        assert!(answer(&mut busy).await.contains("sim_done"));
    }
}
