//! The 29-bit J1939 identifier: priority, parameter group number, destination and source.

use super::GLOBAL_ADDRESS;
use crate::can::{CanFrame, CanFrameError, MAX_EXTENDED_ID};

/// Largest parameter group number: 18 bits (R, DP, PF, PS).
pub const MAX_PGN: u32 = 0x3_FFFF;

/// PDU formats from 240 up are PDU2: broadcast only, with PS part of the PGN.
const PDU2_FIRST_PF: u32 = 240;

/// True if `pgn` is a PDU1 (destination-specific) parameter group: PF below 240. Its low byte
/// is then the destination on the wire, not part of the PGN, and is always 0 in the PGN.
pub fn is_pdu1_pgn(pgn: u32) -> bool {
    (pgn >> 8) & 0xFF < PDU2_FIRST_PF
}

/// 29-bit identifier: P(3) R(1) DP(1) PF(8) PS(8) SA(8). PDU1 (PF < 240): PS is the destination,
/// PGN = (R,DP,PF)<<8. PDU2: PS is the group extension, part of the PGN, destination = GLOBAL.
///
/// Every GB/T message is PDU1, e.g. BRM's transport `0x1CEC56F4` = priority 7, PGN 0xEC00
/// (TP.CM), destination 0x56 (charger), source 0xF4 (BMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct J1939Id {
    /// 0 (highest) to 7.
    pub priority: u8,
    pub pgn: u32,
    pub destination: u8,
    pub source: u8,
}

impl J1939Id {
    /// An identifier reduced to what the wire can carry, so that
    /// `J1939Id::from_raw(id.to_raw()) == id`: the priority to 3 bits, the PGN to 18 bits, a
    /// PDU1 PGN's low byte to 0 (that byte is the destination) and a PDU2 message's destination
    /// to [`GLOBAL_ADDRESS`] (PDU2 has no destination field).
    pub fn new(priority: u8, pgn: u32, destination: u8, source: u8) -> J1939Id {
        let pgn = pgn & MAX_PGN;
        if is_pdu1_pgn(pgn) {
            J1939Id {
                priority: priority & 0x7,
                pgn: pgn & !0xFF,
                destination,
                source,
            }
        } else {
            J1939Id {
                priority: priority & 0x7,
                pgn,
                destination: GLOBAL_ADDRESS,
                source,
            }
        }
    }

    /// Splits a raw identifier; bits above the 29th are ignored.
    pub fn from_raw(raw: u32) -> J1939Id {
        let raw = raw & MAX_EXTENDED_ID;
        let priority = ((raw >> 26) & 0x7) as u8;
        // R, DP and PF: the upper 10 bits of the PGN.
        let upper = (raw >> 16) & 0x3FF;
        let ps = (raw >> 8) & 0xFF;
        let source = (raw & 0xFF) as u8;
        if upper & 0xFF < PDU2_FIRST_PF {
            J1939Id {
                priority,
                pgn: upper << 8,
                destination: ps as u8,
                source,
            }
        } else {
            J1939Id {
                priority,
                pgn: (upper << 8) | ps,
                destination: GLOBAL_ADDRESS,
                source,
            }
        }
    }

    /// The raw 29-bit identifier. For a PDU1 PGN the destination goes in PS (any low byte in
    /// `pgn` is ignored); for PDU2 `destination` is ignored.
    pub fn to_raw(&self) -> u32 {
        let pgn = self.pgn & MAX_PGN;
        let ps = if is_pdu1_pgn(pgn) {
            u32::from(self.destination)
        } else {
            pgn & 0xFF
        };
        (u32::from(self.priority & 0x7) << 26)
            | ((pgn >> 8) << 16)
            | (ps << 8)
            | u32::from(self.source)
    }

    /// True if this is a destination-specific (PDU1) identifier.
    pub fn is_pdu1(&self) -> bool {
        is_pdu1_pgn(self.pgn)
    }

    /// The identifier of a J1939 frame; `None` for 11-bit frames (not J1939) and remote frames
    /// (J1939 requests data with the Request PGN, never with RTR).
    pub fn from_frame(frame: &CanFrame) -> Option<J1939Id> {
        if !frame.is_extended() || frame.is_remote() {
            return None;
        }
        Some(J1939Id::from_raw(frame.id()))
    }

    /// An extended data frame with this identifier.
    pub fn frame(&self, data: &[u8]) -> Result<CanFrame, CanFrameError> {
        CanFrame::extended(self.to_raw(), data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::j1939::{BMS_ADDRESS, CHARGER_ADDRESS, PGN_TP_CM, PGN_TP_DT};

    #[test]
    fn gbt_identifiers_split_as_the_reference_says() {
        let rts = J1939Id::from_raw(0x1CEC_56F4);
        assert_eq!(
            rts,
            J1939Id {
                priority: 7,
                pgn: PGN_TP_CM,
                destination: CHARGER_ADDRESS,
                source: BMS_ADDRESS
            }
        );
        assert_eq!(
            J1939Id::new(7, PGN_TP_CM, BMS_ADDRESS, CHARGER_ADDRESS).to_raw(),
            0x1CEC_F456
        );
        assert_eq!(
            J1939Id::new(7, PGN_TP_DT, CHARGER_ADDRESS, BMS_ADDRESS).to_raw(),
            0x1CEB_56F4
        );
        // CHM, BCL, BEM.
        assert_eq!(J1939Id::new(6, 0x2600, 0xF4, 0x56).to_raw(), 0x1826_F456);
        assert_eq!(J1939Id::from_raw(0x1810_56F4).pgn, 0x1000);
        assert_eq!(J1939Id::from_raw(0x081E_56F4).priority, 2);
    }

    #[test]
    fn pdu2_carries_the_group_extension_in_the_pgn() {
        // EEC1 0x0CF00400: PGN 0xF004, broadcast, source 0x00.
        let id = J1939Id::from_raw(0x0CF0_0400);
        assert_eq!(id.pgn, 0xF004);
        assert_eq!(id.destination, GLOBAL_ADDRESS);
        assert_eq!(id.priority, 3);
        assert_eq!(id.to_raw(), 0x0CF0_0400);
        // A destination given for a PDU2 PGN cannot be carried.
        assert_eq!(J1939Id::new(3, 0xF004, 0x56, 0).destination, GLOBAL_ADDRESS);
        // A PDU1 PGN's low byte is the destination, not part of the PGN.
        assert_eq!(J1939Id::new(6, 0x0212, 0x56, 0xF4).pgn, 0x0200);
    }

    #[test]
    fn frames_other_than_extended_data_frames_are_not_j1939() {
        let std = CanFrame::standard(0x100, &[]).unwrap();
        assert_eq!(J1939Id::from_frame(&std), None);
        let rtr = CanFrame::remote(0x1CEC_56F4, true, 8).unwrap();
        assert_eq!(J1939Id::from_frame(&rtr), None);
        let id = J1939Id::from_raw(0x1CEC_56F4);
        let f = id.frame(&[1, 2, 3]).unwrap();
        assert!(f.is_extended());
        assert_eq!(J1939Id::from_frame(&f), Some(id));
    }
}
