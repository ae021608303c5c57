//! A connector of a real cabinet: its vehicle bus on a CAN port of the board, its power from
//! the module pool, its insulation monitor, meter and cooling unit `[[devices]]`, its lines
//! the board's I/O. [`BoardConnector`] is the base those parts are laid over
//! ([`DeviceBackedConnector`](crate::devices::DeviceBackedConnector) for the devices,
//! [`BoardIo`](super::BoardIo) for the lines); what it provides itself is the CAN port, and
//! fail-safe stand-ins for what the configuration must give it (checked before it is built).
//!
//! **A bus that cannot be opened** (the interface missing, down, or not permitted) does not
//! stop the daemon: [`ReopeningCan`] tries again every [`CAN_RETRY`], the connector says why
//! it is unusable ([`ConnectorHardware::unavailable`]) and the station shows it Unavailable,
//! while the other connectors charge.

use std::time::{Duration, Instant};

use charger_protocol::{CanFrame, PowerCommand, Timestamp};

use crate::can::{CanError, CanPort};
use crate::io::{DigitalInputs, DigitalIo, DigitalOutputs};
use crate::{ConnectorHardware, ImdReading, InsulationMonitor, PowerReading, PowerSupply};

/// How often a CAN port that could not be opened is tried again.
pub const CAN_RETRY: Duration = Duration::from_secs(1);

/// Opens the port (again).
pub type CanOpener = Box<dyn FnMut() -> Result<Box<dyn CanPort>, CanError> + Send>;

/// A CAN port opened when it can be: until then (and after an error that closed it) frames
/// sent are dropped and none are received, and [`down`](Self::down) says why.
pub struct ReopeningCan {
    name: String,
    open: CanOpener,
    port: Option<Box<dyn CanPort>>,
    next_try: Instant,
    error: Option<String>,
}

impl std::fmt::Debug for ReopeningCan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReopeningCan")
            .field("name", &self.name)
            .field("open", &self.port.is_some())
            .field("error", &self.error)
            .finish()
    }
}

impl ReopeningCan {
    /// `name` for the log and the reason (`can0`, `cannelloni 0.0.0.0:20001`); tries to open
    /// at once.
    pub fn new(name: impl Into<String>, open: CanOpener) -> Self {
        let mut can = ReopeningCan {
            name: name.into(),
            open,
            port: None,
            next_try: Instant::now(),
            error: None,
        };
        can.try_open();
        can
    }

    fn try_open(&mut self) {
        if self.port.is_some() || Instant::now() < self.next_try {
            return;
        }
        self.next_try = Instant::now() + CAN_RETRY;
        match (self.open)() {
            Ok(port) => {
                if self.error.take().is_some() {
                    tracing::info!(can = %self.name, "CAN port open again");
                } else {
                    tracing::info!(can = %self.name, "CAN port open");
                }
                self.port = Some(port);
            }
            Err(e) => {
                let text = e.to_string();
                if self.error.as_deref() != Some(text.as_str()) {
                    tracing::error!(can = %self.name, error = %text,
                        "CAN port cannot be opened; retried every second");
                    self.error = Some(text);
                }
            }
        }
    }

    /// Why the port is not open, while it is not.
    pub fn down(&self) -> Option<String> {
        match (&self.port, &self.error) {
            (Some(_), _) => None,
            (None, Some(e)) => Some(format!("CAN {}: {e}", self.name)),
            (None, None) => Some(format!("CAN {}: not open yet", self.name)),
        }
    }

    /// An error of the open port itself (the interface went away): closed, reopened later.
    fn failed(&mut self, e: &CanError) {
        if matches!(e, CanError::Io { .. } | CanError::Closed(_)) {
            tracing::error!(can = %self.name, error = %e, "CAN port failed: closed, reopened later");
            self.port = None;
            self.error = Some(e.to_string());
            self.next_try = Instant::now() + CAN_RETRY;
        }
    }
}

impl CanPort for ReopeningCan {
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        self.try_open();
        let Some(port) = self.port.as_mut() else {
            return Ok(());
        };
        let r = port.send(frame);
        if let Err(e) = &r {
            self.failed(e);
        }
        r
    }

    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        self.try_open();
        let Some(port) = self.port.as_mut() else {
            return Ok(None);
        };
        let r = port.try_recv();
        if let Err(e) = &r {
            self.failed(e);
        }
        r
    }

    fn flush(&mut self) -> Result<(), CanError> {
        let Some(port) = self.port.as_mut() else {
            return Ok(());
        };
        let r = port.flush();
        if let Err(e) = &r {
            self.failed(e);
        }
        r
    }
}

/// The output of a pooled connector: its modules are driven by the pool, and the station reads
/// the output from them, not from here. What this reports is never believed as a supply: a
/// reading stamped at the epoch is stale at once.
#[derive(Debug, Default)]
struct PooledOutput;

impl PowerSupply for PooledOutput {
    fn command(&mut self, _cmd: PowerCommand, _now: Timestamp) {}

    fn reading(&self) -> PowerReading {
        PowerReading::default()
    }
}

/// Stand-in for lines the configuration must map (a board connector without an `io` table is
/// refused): stale, the emergency stop pressed, so nothing could ever be energized on it.
#[derive(Debug, Default)]
struct NoLines;

impl DigitalIo for NoLines {
    fn write(&mut self, _outputs: &DigitalOutputs) {}

    fn read(&self) -> DigitalInputs {
        DigitalInputs {
            emergency_stop: true,
            stale: true,
            ..DigitalInputs::default()
        }
    }
}

/// Stand-in for an insulation monitor the configuration must name: stale, never a result.
#[derive(Debug, Default)]
struct NoMonitor;

impl InsulationMonitor for NoMonitor {
    fn set_measuring(&mut self, _on: bool, _now: Timestamp) {}

    fn reading(&self) -> ImdReading {
        ImdReading {
            stale: true,
            device_fault: true,
            ..ImdReading::default()
        }
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct BoardConnector {
    can: ReopeningCan,
    power: PooledOutput,
    lines: NoLines,
    imd: NoMonitor,
}

impl BoardConnector {
    pub fn new(can: ReopeningCan) -> Self {
        BoardConnector {
            can,
            power: PooledOutput,
            lines: NoLines,
            imd: NoMonitor,
        }
    }
}

impl ConnectorHardware for BoardConnector {
    fn can(&mut self) -> &mut dyn CanPort {
        &mut self.can
    }

    fn power(&mut self) -> &mut dyn PowerSupply {
        &mut self.power
    }

    fn io(&mut self) -> &mut dyn DigitalIo {
        &mut self.lines
    }

    fn imd(&mut self) -> &mut dyn InsulationMonitor {
        &mut self.imd
    }

    fn unavailable(&self) -> Option<String> {
        self.can.down()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::can::loopback::LoopbackBus;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_port_that_cannot_be_opened_makes_the_connector_unavailable_until_it_can() {
        let tries = Arc::new(AtomicU32::new(0));
        let bus = LoopbackBus::new("can9");
        let mut peer = bus.port();
        let ours = std::sync::Mutex::new(Some(bus.port()));
        let counted = tries.clone();
        let open: CanOpener = Box::new(move || {
            // The interface appears at the third try.
            if counted.fetch_add(1, Ordering::SeqCst) < 2 {
                return Err(CanError::Config("can9: no such network interface".into()));
            }
            ours.lock()
                .unwrap()
                .take()
                .map(|p| Box::new(p) as Box<dyn CanPort>)
                .ok_or_else(|| CanError::Config("opened twice".into()))
        });
        let mut c = BoardConnector::new(ReopeningCan::new("can9", open));
        let why = c.unavailable().unwrap();
        assert!(why.contains("can9") && why.contains("no such"), "{why}");
        // Frames to a closed port are dropped, none received; no error for the station.
        let f = CanFrame::new(0x108, false, &[0; 8]).unwrap();
        c.can().send(&f).unwrap();
        assert_eq!(c.can().try_recv().unwrap(), None);
        // Retried no more than every CAN_RETRY.
        assert_eq!(tries.load(Ordering::SeqCst), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.unavailable().is_some() {
            assert!(Instant::now() < deadline, "never reopened");
            let _ = c.can().try_recv();
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(tries.load(Ordering::SeqCst), 3);
        c.can().send(&f).unwrap();
        c.can().flush().unwrap();
        assert_eq!(peer.try_recv().unwrap(), Some(f));
        // The stand-ins are fail-safe.
        assert!(c.io().read().stale && c.io().read().emergency_stop);
        assert!(c.imd().reading().stale);
    }
}
