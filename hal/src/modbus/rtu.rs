//! Modbus RTU: the serial line's settings, its inter-frame silence, and keeping the line in
//! step after a timeout or a garbled reply.
//!
//! RTU frames carry no length and no transaction id: a frame ends where the line falls silent
//! for 3.5 character times, and a reply is matched to its request only by coming next. So a
//! reply that arrives late, or a burst of noise, would be read as the next unit's answer
//! unless the master lets the line settle: after a timeout or a garbled reply it flushes its
//! input until no byte has arrived for the silence, and every request waits the silence after
//! the last frame on the line (the Modbus over serial line specification, §2.5.1.1: 3.5
//! character times, a fixed 1.75 ms above 19200 baud, where the character time would make
//! the gap too short for the UARTs' timers).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio_modbus::client::Context;
use tokio_serial::{ClearBuffer, FlowControl, SerialPort, SerialStream};

use super::{DEFAULT_FROZEN_AFTER, DEFAULT_REBUILD_AFTER};

/// Parity of each character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    None,
    /// The Modbus default.
    Even,
    Odd,
}

/// Data bits per character. Modbus RTU sends 8-bit bytes; 7 exists on the wire (Modbus
/// ASCII) and is refused by [`RtuLink::check`] with a message saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u8")]
pub enum DataBits {
    Seven,
    Eight,
}

impl TryFrom<u8> for DataBits {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        match n {
            7 => Ok(DataBits::Seven),
            8 => Ok(DataBits::Eight),
            other => Err(format!("{other} data bits: Modbus RTU uses 8")),
        }
    }
}

/// Stop bits per character. The specification asks for 2 without parity, 1 with; many
/// devices use 1 without parity, so both are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u8")]
pub enum StopBits {
    One,
    Two,
}

impl TryFrom<u8> for StopBits {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        match n {
            1 => Ok(StopBits::One),
            2 => Ok(StopBits::Two),
            other => Err(format!("{other} stop bits: 1 or 2")),
        }
    }
}

/// A Modbus RTU bus: one serial line, every unit on it polled in turn by one task.
#[derive(Debug, Clone)]
pub struct RtuLink {
    /// The serial device, e.g. `/dev/ttyUSB0` or a stable `/dev/serial/by-path/…` name.
    pub path: PathBuf,
    pub baud: u32,
    pub parity: Parity,
    pub data_bits: DataBits,
    pub stop_bits: StopBits,
    /// Bound on every call: long enough for the request, the device's turnaround and the
    /// longest reply at this baud rate (a 125-register read is 255 bytes: 292 ms at 9600 8E1).
    pub timeout: Duration,
    /// The silence between frames; `None` for the specification's: 3.5 character times,
    /// 1.75 ms above 19200 baud. Longer for devices (or RS-485 converters) that need it.
    pub silence: Option<Duration>,
    /// Errors of the port itself (not timeouts, not garbled replies) in a row before it is
    /// closed and opened again.
    pub reopen_after: u32,
    /// Reads in a row with an unchanged update counter before a group counts as frozen.
    pub frozen_after: u32,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RtuLinkError {
    #[error("the serial device path is empty")]
    NoPath,
    #[error("baud rate {0} is outside 300..=4000000")]
    Baud(u32),
    #[error("7 data bits is Modbus ASCII framing; Modbus RTU sends 8-bit bytes")]
    SevenDataBits,
    #[error("the call timeout must be longer than zero")]
    NoTimeout,
}

impl RtuLink {
    /// A bus on `path` at the Modbus defaults: 19200 baud, 8 data bits, even parity, 1 stop
    /// bit; 500 ms per call; the specification's silence.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            baud: 19_200,
            parity: Parity::Even,
            data_bits: DataBits::Eight,
            stop_bits: StopBits::One,
            timeout: Duration::from_millis(500),
            silence: None,
            reopen_after: DEFAULT_REBUILD_AFTER,
            frozen_after: DEFAULT_FROZEN_AFTER,
        }
    }

    /// Settings that cannot work, named.
    pub fn check(&self) -> Result<(), RtuLinkError> {
        if self.path.as_os_str().is_empty() {
            return Err(RtuLinkError::NoPath);
        }
        if !(300..=4_000_000).contains(&self.baud) {
            return Err(RtuLinkError::Baud(self.baud));
        }
        if self.data_bits == DataBits::Seven {
            return Err(RtuLinkError::SevenDataBits);
        }
        if self.timeout.is_zero() {
            return Err(RtuLinkError::NoTimeout);
        }
        Ok(())
    }

    /// Bits on the line per character: start, data, parity, stop.
    pub fn character_bits(&self) -> u32 {
        let data = match self.data_bits {
            DataBits::Seven => 7,
            DataBits::Eight => 8,
        };
        let parity = u32::from(self.parity != Parity::None);
        let stop = match self.stop_bits {
            StopBits::One => 1,
            StopBits::Two => 2,
        };
        1 + data + parity + stop
    }

    /// The silence each request waits after the last frame on the line.
    pub fn silence(&self) -> Duration {
        self.silence
            .unwrap_or_else(|| inter_frame_silence(self.baud, self.character_bits()))
    }
}

/// The specification's inter-frame silence: 3.5 character times of `bits_per_character` at
/// `baud`, and 1.75 ms above 19200 baud.
pub fn inter_frame_silence(baud: u32, bits_per_character: u32) -> Duration {
    const FAST: Duration = Duration::from_micros(1750);
    // 3.5 characters = 7 half characters, in whole nanoseconds (rounded up).
    let half_bits = 7 * u64::from(bits_per_character);
    let per_second = 2 * u64::from(baud.max(1));
    let nanos = (half_bits * 1_000_000_000).div_ceil(per_second);
    let chars = Duration::from_nanos(nanos);
    if baud > 19_200 {
        chars.max(FAST)
    } else {
        chars
    }
}

/// Open the port: a tokio-modbus RTU context on it, and a second handle for flushing.
pub(super) fn open(link: &RtuLink) -> Result<(Context, Box<dyn SerialPort>), String> {
    let path = link.path.display().to_string();
    link.check().map_err(|e| format!("{path}: {e}"))?;
    let builder = tokio_serial::new(path.clone(), link.baud)
        .parity(match link.parity {
            Parity::None => tokio_serial::Parity::None,
            Parity::Even => tokio_serial::Parity::Even,
            Parity::Odd => tokio_serial::Parity::Odd,
        })
        .data_bits(match link.data_bits {
            DataBits::Seven => tokio_serial::DataBits::Seven,
            DataBits::Eight => tokio_serial::DataBits::Eight,
        })
        .stop_bits(match link.stop_bits {
            StopBits::One => tokio_serial::StopBits::One,
            StopBits::Two => tokio_serial::StopBits::Two,
        })
        .flow_control(FlowControl::None)
        .timeout(link.timeout);
    // Opened exclusively (TIOCEXCL and a lock): one task owns the bus. The second handle is
    // a duplicate of the same descriptor (a tokio stream cannot be cloned), used only for
    // tcflush and the count of waiting bytes.
    let native = builder.open_native().map_err(|e| format!("{path}: {e}"))?;
    let port = native
        .try_clone_native()
        .map_err(|e| format!("{path}: {e}"))?;
    let stream = SerialStream::try_from(native).map_err(|e| format!("{path}: {e}"))?;
    // Whatever the line carried before we owned it is nobody's answer.
    let _ = port.clear(ClearBuffer::All);
    Ok((tokio_modbus::client::rtu::attach(stream), Box::new(port)))
}

/// Bring the line back in step: flush the input until nothing has arrived for `silence`,
/// giving up on a line that never falls silent after `limit` (the next call then fails on
/// its own and is counted).
pub(super) async fn resync(port: &mut dyn SerialPort, silence: Duration, limit: Duration) {
    let give_up = tokio::time::Instant::now() + limit;
    loop {
        let _ = port.clear(ClearBuffer::Input);
        tokio::time::sleep(silence).await;
        match port.bytes_to_read() {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tracing::debug!(bytes = n, "serial line still busy after a failed call");
                if tokio::time::Instant::now() >= give_up {
                    break;
                }
            }
        }
    }
    let _ = port.clear(ClearBuffer::Input);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_silence_is_three_and_a_half_characters_and_1_75_ms_above_19200_baud() {
        // 8E1: 11 bits a character.
        let link = |baud| RtuLink {
            baud,
            ..RtuLink::new("/dev/null")
        };
        assert_eq!(link(9600).character_bits(), 11);
        // 3.5 × 11 / 9600 s = 4.0104… ms
        assert_eq!(link(9600).silence(), Duration::from_nanos(4_010_417));
        // 3.5 × 11 / 19200 s = 2.005 ms: still the character time.
        assert_eq!(link(19_200).silence(), Duration::from_nanos(2_005_209));
        // Above 19200 the fixed 1.75 ms, not 3.5 × 11 / 38400 = 1.0 ms.
        assert_eq!(link(38_400).silence(), Duration::from_micros(1750));
        assert_eq!(link(115_200).silence(), Duration::from_micros(1750));
        // 8N2 is 11 bits as well; 8N1 is 10.
        let n1 = RtuLink {
            parity: Parity::None,
            ..link(9600)
        };
        assert_eq!(n1.character_bits(), 10);
        assert_eq!(n1.silence(), Duration::from_nanos(3_645_834));
        // A configured silence wins.
        let slow = RtuLink {
            silence: Some(Duration::from_millis(10)),
            ..link(115_200)
        };
        assert_eq!(slow.silence(), Duration::from_millis(10));
    }

    #[test]
    fn settings_that_cannot_work_are_named() {
        let ok = RtuLink::new("/dev/ttyUSB0");
        assert_eq!(ok.check(), Ok(()));
        let bad = |f: fn(&mut RtuLink)| {
            let mut l = ok.clone();
            f(&mut l);
            l.check()
        };
        assert_eq!(bad(|l| l.baud = 0), Err(RtuLinkError::Baud(0)));
        assert_eq!(
            bad(|l| l.data_bits = DataBits::Seven),
            Err(RtuLinkError::SevenDataBits)
        );
        assert_eq!(bad(|l| l.path = PathBuf::new()), Err(RtuLinkError::NoPath));
        assert_eq!(
            bad(|l| l.timeout = Duration::ZERO),
            Err(RtuLinkError::NoTimeout)
        );
        assert_eq!(
            DataBits::try_from(5),
            Err("5 data bits: Modbus RTU uses 8".into())
        );
        assert_eq!(StopBits::try_from(2), Ok(StopBits::Two));
    }
}
