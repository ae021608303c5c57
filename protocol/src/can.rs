//! A classic CAN 2.0 frame as plain data, shared by every protocol and every CAN backend.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest 11-bit identifier.
pub const MAX_STANDARD_ID: u32 = 0x7FF;
/// Largest 29-bit identifier.
pub const MAX_EXTENDED_ID: u32 = 0x1FFF_FFFF;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CanFrameError {
    #[error("CAN identifier {id:#x} does not fit in {bits} bits")]
    IdOutOfRange { id: u32, bits: u8 },
    #[error("CAN payload of {0} bytes exceeds 8")]
    TooLong(usize),
}

/// A classic CAN frame: 11- or 29-bit identifier, up to 8 data bytes, optional RTR.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CanFrame {
    id: u32,
    extended: bool,
    rtr: bool,
    len: u8,
    data: [u8; 8],
}

impl CanFrame {
    /// A data frame with an 11-bit identifier.
    pub fn standard(id: u16, data: &[u8]) -> Result<Self, CanFrameError> {
        Self::new(u32::from(id), false, data)
    }

    /// A data frame with a 29-bit identifier.
    pub fn extended(id: u32, data: &[u8]) -> Result<Self, CanFrameError> {
        Self::new(id, true, data)
    }

    /// A data frame; `extended` selects the 29-bit format.
    pub fn new(id: u32, extended: bool, data: &[u8]) -> Result<Self, CanFrameError> {
        let (max, bits) = if extended {
            (MAX_EXTENDED_ID, 29)
        } else {
            (MAX_STANDARD_ID, 11)
        };
        if id > max {
            return Err(CanFrameError::IdOutOfRange { id, bits });
        }
        if data.len() > 8 {
            return Err(CanFrameError::TooLong(data.len()));
        }
        let mut buf = [0u8; 8];
        buf[..data.len()].copy_from_slice(data);
        Ok(CanFrame {
            id,
            extended,
            rtr: false,
            len: data.len() as u8,
            data: buf,
        })
    }

    /// A remote-transmission-request frame: a length but no data.
    pub fn remote(id: u32, extended: bool, len: u8) -> Result<Self, CanFrameError> {
        let mut f = Self::new(id, extended, &[])?;
        if len > 8 {
            return Err(CanFrameError::TooLong(len.into()));
        }
        f.rtr = true;
        f.len = len;
        Ok(f)
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn is_extended(&self) -> bool {
        self.extended
    }

    pub fn is_remote(&self) -> bool {
        self.rtr
    }

    /// The data length code (for an RTR frame, the requested length).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The payload; empty for an RTR frame.
    pub fn data(&self) -> &[u8] {
        if self.rtr {
            &[]
        } else {
            &self.data[..usize::from(self.len)]
        }
    }
}

impl std::fmt::Debug for CanFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.extended {
            write!(f, "{:08X}", self.id)?;
        } else {
            write!(f, "{:03X}", self.id)?;
        }
        if self.rtr {
            return write!(f, "#R{}", self.len);
        }
        write!(f, "#")?;
        for b in self.data() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range() {
        assert!(CanFrame::standard(0x800, &[]).is_err());
        assert!(CanFrame::extended(0x2000_0000, &[]).is_err());
        assert!(CanFrame::standard(0x100, &[0; 9]).is_err());
        let f = CanFrame::standard(0x108, &[1, 2]).unwrap();
        assert_eq!(f.data(), &[1, 2]);
        assert_eq!(format!("{f:?}"), "108#0102");
        let r = CanFrame::remote(0x1826F456, true, 3).unwrap();
        assert!(r.data().is_empty());
        assert_eq!(r.len(), 3);
    }
}
