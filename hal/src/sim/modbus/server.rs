//! The thin shell: a [`SimDevice`] on a real Modbus TCP socket, its plant stepped in real time,
//! or several behind one simulated gateway, addressed by unit id, or several on one Modbus RTU
//! serial line (a real tty, or one end of a pseudo-terminal pair in tests).

use std::collections::BTreeMap;
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
use tokio_serial::SerialStream;

use super::{PlantModel, SimDevice};

/// A running simulator; dropping it stops the server and the plants.
#[derive(Debug)]
pub struct SimServer<P> {
    units: Arc<Mutex<Units<P>>>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Units<P> {
    devices: BTreeMap<u8, SimDevice<P>>,
    addressing: Addressing,
}

/// Who answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Addressing {
    /// A lone device answers whatever unit id it is addressed with.
    Lone,
    /// A gateway answers only for its units and "gateway path unavailable" for any other.
    Gateway,
    /// On a serial bus only the addressed unit answers; a unit id nobody has is silence.
    Bus,
}

fn lock<P>(units: &Mutex<Units<P>>) -> MutexGuard<'_, Units<P>> {
    // A panic while holding the lock leaves a consistent-enough image for a simulator.
    units.lock().unwrap_or_else(|e| e.into_inner())
}

impl<P: PlantModel> SimServer<P> {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Look at or change the device (plant inputs, injected faults) while it runs; behind a
    /// gateway, the unit with the lowest id.
    pub fn with<R>(&self, f: impl FnOnce(&mut SimDevice<P>) -> R) -> R {
        self.handle().with(f)
    }

    /// The same for one unit behind a gateway; `None` if there is no such unit.
    pub fn with_unit<R>(&self, unit: u8, f: impl FnOnce(&mut SimDevice<P>) -> R) -> Option<R> {
        self.handle().with_unit(unit, f)
    }

    /// A handle to the running devices for other tasks (it does not keep the server alive).
    pub fn handle(&self) -> SimHandle<P> {
        SimHandle(self.units.clone())
    }
}

/// Access to a running simulator's devices from another task.
#[derive(Debug)]
pub struct SimHandle<P>(Arc<Mutex<Units<P>>>);

impl<P> Clone for SimHandle<P> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<P: PlantModel> SimHandle<P> {
    /// See [`SimServer::with`].
    pub fn with<R>(&self, f: impl FnOnce(&mut SimDevice<P>) -> R) -> R {
        let mut units = lock(&self.0);
        match units.devices.values_mut().next() {
            Some(d) => f(d),
            // serve / serve_gateway refuse to start without a device.
            None => unreachable_device(),
        }
    }

    /// See [`SimServer::with_unit`].
    pub fn with_unit<R>(&self, unit: u8, f: impl FnOnce(&mut SimDevice<P>) -> R) -> Option<R> {
        lock(&self.0).devices.get_mut(&unit).map(f)
    }
}

impl<P> Drop for SimServer<P> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[allow(clippy::panic)]
fn unreachable_device() -> ! {
    panic!("a simulator server always has at least one device")
}

struct Shell<P>(Arc<Mutex<Units<P>>>);

impl<P: PlantModel> Service for Shell<P> {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, ExceptionCode>> + Send>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let mut units = lock(&self.0);
        let addressing = units.addressing;
        let device = match addressing {
            Addressing::Lone => units.devices.values_mut().next(),
            Addressing::Gateway | Addressing::Bus => units.devices.get_mut(&req.slave),
        };
        let (answer, delay) = match device {
            Some(d) => (d.handle(&req.request), d.reply_delay()),
            None if addressing == Addressing::Bus => (Ok(None), None),
            None => (Err(ExceptionCode::GatewayPathUnavailable), None),
        };
        match delay {
            // The answer is what the device held when asked; it only leaves later. The
            // server answers one request at a time, as a gateway in front of a slow serial
            // unit does.
            Some(d) => Box::pin(async move {
                tokio::time::sleep(d).await;
                answer
            }),
            None => Box::pin(std::future::ready(answer)),
        }
    }
}

/// Serve `device` on `bind` (port 0 for any free port), stepping its plant every `tick`. It
/// answers any unit id.
pub async fn serve<P: PlantModel>(
    device: SimDevice<P>,
    bind: SocketAddr,
    tick: Duration,
) -> std::io::Result<SimServer<P>> {
    let devices = BTreeMap::from([(0, device)]);
    start(
        Units {
            devices,
            addressing: Addressing::Lone,
        },
        bind,
        tick,
    )
    .await
}

/// Serve several devices behind one simulated gateway, each at its unit id (a cabinet's
/// modules behind one Modbus TCP gateway). Refuses duplicate or no unit ids.
pub async fn serve_gateway<P: PlantModel>(
    units: Vec<(u8, SimDevice<P>)>,
    bind: SocketAddr,
    tick: Duration,
) -> std::io::Result<SimServer<P>> {
    start(
        Units {
            devices: by_unit(units)?,
            addressing: Addressing::Gateway,
        },
        bind,
        tick,
    )
    .await
}

fn by_unit<P>(units: Vec<(u8, SimDevice<P>)>) -> std::io::Result<BTreeMap<u8, SimDevice<P>>> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let mut devices = BTreeMap::new();
    for (unit, device) in units {
        if devices.insert(unit, device).is_some() {
            return Err(invalid(format!("unit id {unit} is used twice")));
        }
    }
    if devices.is_empty() {
        return Err(invalid("at least one unit is needed".into()));
    }
    Ok(devices)
}

/// Several devices on one Modbus RTU serial line, each at its unit id; a unit id nobody has
/// gets no answer, as on a real bus. `serial` is the line (a tty, or the master end of a
/// pseudo-terminal pair whose other end the client opens).
pub fn serve_rtu_bus<P: PlantModel>(
    units: Vec<(u8, SimDevice<P>)>,
    serial: SerialStream,
    tick: Duration,
) -> std::io::Result<SimRtuBus<P>> {
    let units = Arc::new(Mutex::new(Units {
        devices: by_unit(units)?,
        addressing: Addressing::Bus,
    }));
    let served = units.clone();
    let server = tokio::spawn(async move {
        let server = tokio_modbus::server::rtu::Server::new(serial);
        if let Err(e) = server.serve_forever(Shell(served)).await {
            tracing::warn!(error = %e, "simulated Modbus RTU bus stopped");
        }
    });
    let stepper = step(units.clone(), tick);
    Ok(SimRtuBus {
        units,
        tasks: vec![server, stepper],
    })
}

/// A running simulated RTU bus; dropping it stops the server and the plants.
#[derive(Debug)]
pub struct SimRtuBus<P> {
    units: Arc<Mutex<Units<P>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl<P: PlantModel> SimRtuBus<P> {
    /// Look at or change one unit on the bus; `None` if there is no such unit.
    pub fn with_unit<R>(&self, unit: u8, f: impl FnOnce(&mut SimDevice<P>) -> R) -> Option<R> {
        self.handle().with_unit(unit, f)
    }

    /// A handle to the running devices for other tasks.
    pub fn handle(&self) -> SimHandle<P> {
        SimHandle(self.units.clone())
    }
}

impl<P> Drop for SimRtuBus<P> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn start<P: PlantModel>(
    units: Units<P>,
    bind: SocketAddr,
    tick: Duration,
) -> std::io::Result<SimServer<P>> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let device = Arc::new(Mutex::new(units));

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

    let stepper = step(device.clone(), tick);

    Ok(SimServer {
        units: device,
        addr,
        tasks: vec![server, stepper],
    })
}

/// The task stepping every plant in real time.
fn step<P: PlantModel>(units: Arc<Mutex<Units<P>>>, tick: Duration) -> JoinHandle<()> {
    let tick = tick.max(Duration::from_millis(1));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        loop {
            interval.tick().await;
            let now = Instant::now();
            let dt = now.saturating_duration_since(last);
            last = now;
            for d in lock(&units).devices.values_mut() {
                d.advance(dt);
            }
        }
    })
}
