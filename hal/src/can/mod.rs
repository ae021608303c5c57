//! CAN ports: the trait, and its backends.

pub mod cannelloni;
pub mod loopback;
pub mod socketcan;

use charger_protocol::CanFrame;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CanError {
    #[error("CAN I/O error on {interface}: {source}")]
    Io {
        interface: String,
        #[source]
        source: std::io::Error,
    },
    #[error("CAN port {0} is closed (its peer went away)")]
    Closed(String),
    #[error("transmit queue of CAN port {0} is full")]
    TxFull(String),
    #[error("frame not representable on this port: {0}")]
    Unsupported(String),
    #[error("invalid CAN port configuration: {0}")]
    Config(String),
    /// The socket could not be bound to its network interface (`SO_BINDTODEVICE`): no such
    /// interface, or (Linux before 5.7) no `CAP_NET_RAW`.
    #[error(
        "cannot bind to network interface {device:?} (SO_BINDTODEVICE): {source}; the interface \
         must exist (ip link), and kernels before 5.7 also want CAP_NET_RAW"
    )]
    BindDevice {
        device: String,
        #[source]
        source: std::io::Error,
    },
}

/// What Linux accepts as a network interface name (`dev_valid_name`): 1 to 15 bytes, not "."
/// or "..", no '/', no ':', no white space. Also what keeps a name inside `/sys/class/net`.
pub fn valid_interface_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c == '\0')
}

/// A CAN interface as the station sees it: send a frame, take the frames received so far.
pub trait CanPort: Send + std::fmt::Debug {
    /// Queue a frame for transmission without blocking.
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError>;

    /// The next received frame, if any, without blocking.
    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError>;

    /// Send what `send` has queued; called by the station once per control step.
    fn flush(&mut self) -> Result<(), CanError> {
        Ok(())
    }
}

/// A port chosen at run time (SocketCAN or cannelloni, from the configuration).
impl<P: CanPort + ?Sized> CanPort for Box<P> {
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        (**self).send(frame)
    }

    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        (**self).try_recv()
    }

    fn flush(&mut self) -> Result<(), CanError> {
        (**self).flush()
    }
}
