//! SocketCAN backend: a Linux CAN interface (`can0`, `vcan0`, …) as a [`CanPort`].
//!
//! The socket is non-blocking, so `send` and `try_recv` return at once and the station's main
//! loop never waits on the bus. Only classic CAN 2.0 frames are used: every DC charging
//! protocol we speak (CHAdeMO, GB/T 27930) is classic CAN.
//!
//! The socket also subscribes to the kernel's error frames (bus-off, no-ack, controller
//! problems, …). Those are conditions of the bus, not messages from the vehicle, so they are
//! never handed to a protocol as data: they are logged, counted and kept as
//! [`SocketCanPort::last_bus_error`], and `try_recv` carries on with the next real frame.
//!
//! The conversions between [`charger_protocol::CanFrame`] and the `socketcan` crate's frame are
//! pure functions so that they can be tested on machines without CAN support.

use std::io;
use std::path::Path;

use charger_protocol::CanFrame;
use socketcan::{
    CanDataFrame, CanErrorFrame, CanRemoteFrame, CanSocket, EmbeddedFrame, ExtendedId, Frame, Id,
    Socket, SocketOptions, StandardId,
};

use super::{CanError, CanPort};

/// All error classes of `linux/can/error.h` (`CAN_ERR_MASK`).
const ALL_ERROR_CLASSES: u32 = 0x1FFF_FFFF;

/// Names of the error-class bits in a SocketCAN error frame's identifier
/// (`linux/can/error.h`).
const ERROR_CLASS_NAMES: [(u32, &str); 10] = [
    (0x0001, "TX timeout"),
    (0x0002, "arbitration lost"),
    (0x0004, "controller problem"),
    (0x0008, "protocol violation"),
    (0x0010, "transceiver error"),
    (0x0020, "no ACK"),
    (0x0040, "bus off"),
    (0x0080, "bus error"),
    (0x0100, "controller restarted"),
    (0x0200, "error counters"),
];

/// What the kernel delivered: a frame from the bus, or a report about the bus itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Frame(CanFrame),
    /// An error frame: the bus or the controller has a problem. Never protocol data.
    BusError(BusError),
}

/// A decoded SocketCAN error frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusError {
    /// The error-class bits of the frame's identifier.
    pub class_bits: u32,
    /// The frame's eight detail bytes (controller state, violation location, counters).
    pub detail: [u8; 8],
    /// Human-readable summary, e.g. "bus off" or "controller problem (RX buffer overflow)".
    pub description: String,
}

impl std::fmt::Display for BusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// Our frame as the `socketcan` crate's classic frame (data or remote).
///
/// Cannot fail for a frame that [`CanFrame`]'s constructors accepted; the error is for the
/// contract's sake, should the two crates ever disagree on what is valid.
pub fn to_socketcan(frame: &CanFrame) -> Result<socketcan::CanFrame, CanError> {
    let id = if frame.is_extended() {
        ExtendedId::new(frame.id()).map(Id::Extended)
    } else {
        u16::try_from(frame.id())
            .ok()
            .and_then(StandardId::new)
            .map(Id::Standard)
    }
    .ok_or_else(|| CanError::Unsupported(format!("{frame:?}: identifier out of range")))?;
    let converted = if frame.is_remote() {
        CanRemoteFrame::new_remote(id, frame.len()).map(socketcan::CanFrame::Remote)
    } else {
        CanDataFrame::new(id, frame.data()).map(socketcan::CanFrame::Data)
    };
    converted.ok_or_else(|| CanError::Unsupported(format!("{frame:?}: not a classic CAN frame")))
}

/// A frame the kernel delivered, as our frame or as a bus error.
///
/// Fails only for a frame our type cannot hold (a data length above 8), which a classic CAN
/// socket never delivers.
pub fn from_socketcan(frame: &socketcan::CanFrame) -> Result<Received, CanError> {
    match frame {
        socketcan::CanFrame::Error(error) => Ok(Received::BusError(decode_error_frame(error))),
        socketcan::CanFrame::Remote(remote) => {
            let len = u8::try_from(remote.dlc()).unwrap_or(u8::MAX);
            CanFrame::remote(remote.raw_id(), remote.is_extended(), len)
                .map(Received::Frame)
                .map_err(|e| CanError::Unsupported(format!("received remote frame: {e}")))
        }
        socketcan::CanFrame::Data(data) => {
            CanFrame::new(data.raw_id(), data.is_extended(), data.data())
                .map(Received::Frame)
                .map_err(|e| CanError::Unsupported(format!("received data frame: {e}")))
        }
    }
}

/// Describe an error frame. Decoded by hand rather than by `socketcan`'s own conversion, which
/// assumes exactly one class bit and a full 8-byte payload; the kernel often sets several bits
/// at once (e.g. controller problem and bus error).
fn decode_error_frame(frame: &CanErrorFrame) -> BusError {
    let class_bits = frame.error_bits();
    let mut detail = [0u8; 8];
    let payload = frame.data();
    let n = payload.len().min(8);
    detail[..n].copy_from_slice(&payload[..n]);
    let mut parts: Vec<String> = ERROR_CLASS_NAMES
        .iter()
        .filter(|(bit, _)| class_bits & bit != 0)
        .map(|(bit, name)| match *bit {
            0x0004 => format!("{name} ({})", controller_problem(detail[1])),
            _ => (*name).to_string(),
        })
        .collect();
    let known: u32 = ERROR_CLASS_NAMES.iter().map(|(bit, _)| bit).sum();
    if class_bits & !known != 0 {
        parts.push(format!("unknown class bits {:#x}", class_bits & !known));
    }
    if parts.is_empty() {
        parts.push("unspecified error".to_string());
    }
    BusError {
        class_bits,
        detail,
        description: parts.join(", "),
    }
}

/// The controller-problem byte (data\[1\]) of an error frame.
fn controller_problem(byte: u8) -> String {
    const NAMES: [(u8, &str); 8] = [
        (0x01, "RX buffer overflow"),
        (0x02, "TX buffer overflow"),
        (0x04, "RX error warning"),
        (0x08, "TX error warning"),
        (0x10, "RX error passive"),
        (0x20, "TX error passive"),
        (0x40, "back to error active"),
        (0x80, "transceiver problem"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| byte & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "unspecified".to_string()
    } else {
        names.join(", ")
    }
}

/// A non-blocking raw CAN socket bound to one interface.
#[derive(Debug)]
pub struct SocketCanPort {
    socket: CanSocket,
    interface: String,
    bus_errors: u64,
    last_bus_error: Option<BusError>,
}

impl SocketCanPort {
    /// Open `interface` (e.g. `can0`) for classic frames, non-blocking, with bus error reports.
    ///
    /// Errors name the interface: a missing interface, a kernel without CAN support, or a
    /// socket option the driver refuses are all configuration problems the operator must see.
    pub fn open(interface: &str) -> Result<SocketCanPort, CanError> {
        let io_error = |source: io::Error| CanError::Io {
            interface: interface.to_string(),
            source,
        };
        let socket = CanSocket::open(interface).map_err(io_error)?;
        socket.set_nonblocking(true).map_err(io_error)?;
        socket
            .set_error_filter(ALL_ERROR_CLASSES)
            .map_err(io_error)?;
        Ok(SocketCanPort {
            socket,
            interface: interface.to_string(),
            bus_errors: 0,
            last_bus_error: None,
        })
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Open `interface` as [`open`](Self::open) does and say what the kernel reports of it,
    /// sending nothing (`chargerd --probe`): its link state, and an error for an interface that
    /// is missing, not CAN, or down (the bitrate is set when it is brought up, by
    /// systemd-networkd: README, "Commissioning").
    pub fn probe(interface: &str) -> Result<String, CanError> {
        Self::probe_in(Path::new("/sys/class/net"), interface)
    }

    fn probe_in(sys: &Path, interface: &str) -> Result<String, CanError> {
        let config = |reason: String| CanError::Config(format!("{interface}: {reason}"));
        let dir = sys.join(interface);
        if !super::valid_interface_name(interface) || !dir.is_dir() {
            return Err(config("no such network interface (ip link)".into()));
        }
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .map(|t| t.trim().to_string())
                .unwrap_or_default()
        };
        // ARPHRD_CAN (linux/if_arp.h): anything else is not a CAN controller.
        if read("type") != "280" {
            return Err(config(format!(
                "not a CAN interface (link type {})",
                read("type")
            )));
        }
        let flags = u32::from_str_radix(read("flags").trim_start_matches("0x"), 16).unwrap_or(0);
        // IFF_UP: a CAN interface that is down has no bitrate applied and receives nothing.
        if flags & 0x1 == 0 {
            return Err(config(
                "interface is down (systemd-networkd brings it up with its bitrate)".into(),
            ));
        }
        drop(Self::open(interface)?);
        Ok(format!("up, state {}", read("operstate")))
    }

    /// Error frames received since the port was opened.
    pub fn bus_errors(&self) -> u64 {
        self.bus_errors
    }

    /// The most recent error frame, if any.
    pub fn last_bus_error(&self) -> Option<&BusError> {
        self.last_bus_error.as_ref()
    }

    fn io_error(&self, source: io::Error) -> CanError {
        CanError::Io {
            interface: self.interface.clone(),
            source,
        }
    }
}

/// The kernel's "transmit queue full" answers: `EAGAIN` on a non-blocking socket, and
/// `ENOBUFS`, which CAN drivers return when their queue is full whatever the socket mode.
fn is_tx_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(ENOBUFS)
}

/// `ENOBUFS` in Linux's generic errno table (x86, ARM, RISC-V: every target we ship on).
/// Spelled out because std has no `ErrorKind` for it and `libc` is not a direct dependency.
const ENOBUFS: i32 = 105;

impl CanPort for SocketCanPort {
    fn send(&mut self, frame: &CanFrame) -> Result<(), CanError> {
        let raw = to_socketcan(frame)?;
        match self.socket.write_frame(&raw) {
            Ok(()) => Ok(()),
            Err(e) if is_tx_full(&e) => Err(CanError::TxFull(self.interface.clone())),
            Err(e) => Err(self.io_error(e)),
        }
    }

    fn try_recv(&mut self) -> Result<Option<CanFrame>, CanError> {
        loop {
            let raw = match self.socket.read_frame() {
                Ok(raw) => raw,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            };
            match from_socketcan(&raw)? {
                Received::Frame(frame) => return Ok(Some(frame)),
                Received::BusError(error) => {
                    self.bus_errors += 1;
                    tracing::warn!(interface = %self.interface, error = %error, "CAN bus error");
                    self.last_bus_error = Some(error);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(frame: CanFrame) {
        let raw = to_socketcan(&frame).unwrap();
        assert_eq!(from_socketcan(&raw).unwrap(), Received::Frame(frame));
    }

    #[test]
    fn standard_data_frames_convert_both_ways() {
        let f = CanFrame::standard(0x108, &[0, 0xF4, 0x01, 0x7D, 0x00, 0, 0, 0]).unwrap();
        let raw = to_socketcan(&f).unwrap();
        assert!(!raw.is_extended());
        assert_eq!(raw.raw_id(), 0x108);
        assert_eq!(raw.data(), f.data());
        round_trip(f);
        round_trip(CanFrame::standard(0x7FF, &[]).unwrap());
        round_trip(CanFrame::standard(0x000, &[0xAA]).unwrap());
    }

    #[test]
    fn extended_frames_keep_their_format_even_for_small_ids() {
        let f = CanFrame::extended(0x1826_F456, &[1, 2, 3]).unwrap();
        let raw = to_socketcan(&f).unwrap();
        assert!(raw.is_extended());
        assert_eq!(raw.id_word() & 0x8000_0000, 0x8000_0000);
        round_trip(f);
        // An extended id that would also fit in 11 bits must stay extended.
        let small = CanFrame::extended(0x100, &[9]).unwrap();
        assert!(to_socketcan(&small).unwrap().is_extended());
        round_trip(small);
        round_trip(CanFrame::extended(0x1FFF_FFFF, &[0; 8]).unwrap());
    }

    #[test]
    fn remote_frames_keep_their_length_and_no_data() {
        let r = CanFrame::remote(0x1CEC_56F4, true, 8).unwrap();
        let raw = to_socketcan(&r).unwrap();
        assert!(raw.is_remote_frame());
        assert_eq!(raw.dlc(), 8);
        round_trip(r);
        round_trip(CanFrame::remote(0x123, false, 0).unwrap());
    }

    #[test]
    fn error_frames_become_bus_errors_not_data() {
        let bus_off = CanErrorFrame::new_error(0x0040, &[0; 8]).unwrap();
        match from_socketcan(&socketcan::CanFrame::Error(bus_off)).unwrap() {
            Received::BusError(e) => {
                assert_eq!(e.class_bits, 0x40);
                assert_eq!(e.description, "bus off");
            }
            other => panic!("expected a bus error, got {other:?}"),
        }
        // Several classes at once, with controller detail.
        let mixed = CanErrorFrame::new_error(0x0084, &[0, 0x10, 0, 0, 0, 0, 0, 0]).unwrap();
        match from_socketcan(&socketcan::CanFrame::Error(mixed)).unwrap() {
            Received::BusError(e) => {
                assert_eq!(
                    e.description,
                    "controller problem (RX error passive), bus error"
                );
                assert_eq!(e.detail[1], 0x10);
            }
            other => panic!("expected a bus error, got {other:?}"),
        }
        let odd = CanErrorFrame::new_error(0x1000, &[]).unwrap();
        match from_socketcan(&socketcan::CanFrame::Error(odd)).unwrap() {
            Received::BusError(e) => assert!(e.description.contains("unknown")),
            other => panic!("expected a bus error, got {other:?}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn every_classic_frame_round_trips(
            extended: bool,
            raw_id: u32,
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..=8),
            remote: bool,
        ) {
            let id = if extended { raw_id & 0x1FFF_FFFF } else { raw_id & 0x7FF };
            let frame = if remote {
                CanFrame::remote(id, extended, data.len() as u8).unwrap()
            } else {
                CanFrame::new(id, extended, &data).unwrap()
            };
            let raw = to_socketcan(&frame).unwrap();
            proptest::prop_assert_eq!(raw.is_extended(), extended);
            proptest::prop_assert_eq!(raw.raw_id(), id);
            proptest::prop_assert_eq!(from_socketcan(&raw).unwrap(), Received::Frame(frame));
        }
    }

    #[test]
    fn opening_a_missing_interface_names_it() {
        let err = SocketCanPort::open("nosuchcan7").unwrap_err();
        match &err {
            CanError::Io { interface, .. } => assert_eq!(interface, "nosuchcan7"),
            other => panic!("expected an I/O error, got {other:?}"),
        }
        assert!(err.to_string().contains("nosuchcan7"), "{err}");
    }

    #[test]
    fn a_probe_names_a_missing_a_non_can_and_a_down_interface() {
        let sys = tempfile::tempdir().unwrap();
        let iface = |name: &str, kind: &str, flags: &str| {
            let d = sys.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
            std::fs::write(d.join("flags"), format!("{flags}\n")).unwrap();
            std::fs::write(d.join("operstate"), "up\n").unwrap();
        };
        iface("eth0", "1", "0x1003");
        iface("can1", "280", "0x80");
        let probe = |name: &str| {
            SocketCanPort::probe_in(sys.path(), name)
                .unwrap_err()
                .to_string()
        };
        assert!(probe("can0").contains("no such network interface"));
        assert!(probe("../x").contains("no such network interface"));
        assert!(probe("eth0").contains("not a CAN interface"));
        assert!(probe("can1").contains("down"));
        // Up and CAN in sysfs, but no such interface for the socket: the socket's error.
        iface("can7", "280", "0xc1");
        let e = SocketCanPort::probe_in(sys.path(), "can7").unwrap_err();
        assert!(matches!(e, CanError::Io { .. }), "{e}");
    }

    #[test]
    fn opening_an_invalid_name_is_an_error_not_a_panic() {
        for name in ["", "a-name-far-too-long-for-linux", "bad\0name"] {
            let err = SocketCanPort::open(name).unwrap_err();
            assert!(matches!(err, CanError::Io { .. }), "{name:?}: {err}");
        }
    }
}
