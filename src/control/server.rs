//! The control socket's server side: accepts connections, parses request lines, hands each
//! request to the main loop (the only owner of the station) and writes back its answer.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

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

/// Accept connections until the main loop goes away.
pub async fn serve(
    listener: UnixListener,
    role: SocketRole,
    to_main: mpsc::Sender<ControlEnvelope>,
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
                        let _ = write_response(&mut write, &r).await;
                    });
                    continue;
                };
                let to_main = to_main.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, role, to_main).await {
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
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut lines)
            .take(MAX_REQUEST_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let response = if line.len() > MAX_REQUEST_BYTES {
            // The rest of an oversized line cannot be resynchronised on: answer and hang up.
            let r = Response::error(format!("request longer than {MAX_REQUEST_BYTES} bytes"));
            write_response(&mut write, &r).await?;
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
        write_response(&mut write, &response).await?;
    }
}

/// The answer to a request that changes the station, sent on the read-only control socket.
pub fn refused_on_read_only(request: &str) -> String {
    format!(
        "permission denied: `{request}` changes the station and the control socket is read-only; \
         use the admin socket (chargerctl --admin-socket, as root or the chargerd service user)"
    )
}

async fn write_response(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    response: &Response,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(response).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await
}
