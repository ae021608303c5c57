//! The thin shell: a [`SimDevice`] on a real Modbus TCP socket, its plant stepped in real time.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_modbus::server::tcp::{accept_tcp_connection, Server};
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Response, SlaveRequest};

use super::{PlantModel, SimDevice};

/// A running simulator; dropping it stops the server and the plant.
#[derive(Debug)]
pub struct SimServer<P> {
    device: Arc<Mutex<SimDevice<P>>>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

fn lock<P>(device: &Mutex<SimDevice<P>>) -> MutexGuard<'_, SimDevice<P>> {
    // A panic while holding the lock leaves a consistent-enough image for a simulator.
    device.lock().unwrap_or_else(|e| e.into_inner())
}

impl<P: PlantModel> SimServer<P> {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Look at or change the device (plant inputs, injected faults) while it runs.
    pub fn with<R>(&self, f: impl FnOnce(&mut SimDevice<P>) -> R) -> R {
        f(&mut lock(&self.device))
    }
}

impl<P> Drop for SimServer<P> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Shell<P>(Arc<Mutex<SimDevice<P>>>);

impl<P: PlantModel> Service for Shell<P> {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, ExceptionCode>> + Send>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        // The simulator answers whatever unit id it is addressed with.
        let answer = lock(&self.0).handle(&req.request);
        Box::pin(std::future::ready(answer))
    }
}

/// Serve `device` on `bind` (port 0 for any free port), stepping its plant every `tick`.
pub async fn serve<P: PlantModel>(
    device: SimDevice<P>,
    bind: SocketAddr,
    tick: Duration,
) -> std::io::Result<SimServer<P>> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let device = Arc::new(Mutex::new(device));

    let served = device.clone();
    let server = tokio::spawn(async move {
        let server = Server::new(listener);
        let new_service = move |_| Ok(Some(Shell(served.clone())));
        let on_connected = |stream, socket_addr| {
            let new_service = new_service.clone();
            async move { accept_tcp_connection(stream, socket_addr, new_service) }
        };
        if let Err(e) = server
            .serve(&on_connected, |e| {
                tracing::debug!(error = %e, "simulated Modbus device: connection error");
            })
            .await
        {
            tracing::warn!(error = %e, %addr, "simulated Modbus device stopped");
        }
    });

    let stepped = device.clone();
    let tick = tick.max(Duration::from_millis(1));
    let stepper = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        loop {
            interval.tick().await;
            let now = Instant::now();
            let dt = now.saturating_duration_since(last);
            last = now;
            lock(&stepped).advance(dt);
        }
    });

    Ok(SimServer {
        device,
        addr,
        tasks: vec![server, stepper],
    })
}
