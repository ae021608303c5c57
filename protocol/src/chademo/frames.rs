//! Typed CHAdeMO frames: the vehicle's 0x100/0x101/0x102 and the charger's 0x108/0x109.
//!
//! Every CHAdeMO frame is an 11-bit data frame with exactly 8 bytes, multi-byte fields
//! little-endian, sent every 100 ms. Decoders check all of that before reading a field, and
//! range-check the fields a state machine acts on (voltages, protocol number, 0/1 bytes), so a
//! corrupted or hostile frame becomes a [`ChademoDecodeError`] instead of a wrong setpoint.
//! Informational fields that real vehicles fill loosely (SOC, the charged-rate reference, which a
//! Nissan Leaf sends as 0xF0 before permission) are passed through raw and interpreted by the
//! session.
//!
//! Left out on purpose: 0x110/0x118 (CHAdeMO 2.0 extended functions: high-current and
//! high-voltage control), 0x200/0x201/0x208/0x209 (V2X discharge) and 0x700 (automaker code).
//! chargerd never announces any of those features, so a conforming vehicle does not use them;
//! a session ignores those ids. As a consequence current fields are limited to 255 A (one byte).

use std::time::Duration;

use thiserror::Error;

use crate::can::{CanFrame, CanFrameError};

/// 0x100: vehicle battery limits.
pub const VEHICLE_LIMITS_ID: u16 = 0x100;
/// 0x101: vehicle charging time and battery capacity.
pub const VEHICLE_CHARGING_TIME_ID: u16 = 0x101;
/// 0x102: vehicle control and status.
pub const VEHICLE_CONTROL_ID: u16 = 0x102;
/// 0x108: charger capability.
pub const CHARGER_CAPABILITY_ID: u16 = 0x108;
/// 0x109: charger status.
pub const CHARGER_STATUS_ID: u16 = 0x109;

/// Every CHAdeMO frame carries 8 data bytes.
pub const FRAME_LEN: usize = 8;

/// Highest voltage any CHAdeMO voltage field may carry: CHAdeMO 2.0 raised the ceiling to
/// 1200 V. Anything above is corruption, not a battery.
pub const MAX_VOLTAGE_V: u16 = 1200;

/// Why a frame could not be decoded. The session reports these and carries on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChademoDecodeError {
    #[error("frame id {found:#05x} is not CHAdeMO frame {expected:#05x}")]
    WrongId { expected: u16, found: u32 },
    #[error("frame id {0:#x} is not a CHAdeMO frame")]
    UnknownId(u32),
    #[error("frame id {0:#x} uses a 29-bit identifier; CHAdeMO uses 11-bit identifiers only")]
    ExtendedId(u32),
    #[error("frame {0:#05x} is a remote request; CHAdeMO frames carry data")]
    Remote(u16),
    #[error("frame {id:#05x} has {len} data bytes; CHAdeMO frames have 8")]
    WrongLength { id: u16, len: usize },
    #[error("frame {id:#05x}: {field} = {value} is out of range (at most {max})")]
    OutOfRange {
        id: u16,
        field: &'static str,
        value: u32,
        max: u32,
    },
    #[error("frame {id:#05x}: {field} must be 0 or 1, found {value}")]
    NotBoolean {
        id: u16,
        field: &'static str,
        value: u8,
    },
}

impl ChademoDecodeError {
    /// A voltage beyond what any CHAdeMO vehicle has (above [`MAX_VOLTAGE_V`]) in an otherwise
    /// well-formed frame: not noise (CAN's CRC vouches for the bits) nor a code from a newer
    /// revision, but a vehicle stating a battery no charger can serve.
    pub fn is_impossible_voltage(&self) -> bool {
        matches!(self, ChademoDecodeError::OutOfRange { max, .. } if *max == u32::from(MAX_VOLTAGE_V))
    }
}

/// CHAdeMO control protocol number (102.0 from the vehicle, 109.0 from the charger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ProtocolNumber {
    /// Before 0.9.
    Pre0_9 = 0,
    /// 0.9 / 0.9.1.
    V0_9 = 1,
    /// 1.0.x, also used by 1.1 and 1.2.
    #[default]
    V1_0 = 2,
    /// 2.0.
    V2_0 = 3,
}

impl ProtocolNumber {
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The human-readable revision, for status views and logs.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolNumber::Pre0_9 => "CHAdeMO before 0.9",
            ProtocolNumber::V0_9 => "CHAdeMO 0.9",
            ProtocolNumber::V1_0 => "CHAdeMO 1.0",
            ProtocolNumber::V2_0 => "CHAdeMO 2.0",
        }
    }

    fn decode(id: u16, value: u8) -> Result<Self, ChademoDecodeError> {
        match value {
            0 => Ok(ProtocolNumber::Pre0_9),
            1 => Ok(ProtocolNumber::V0_9),
            2 => Ok(ProtocolNumber::V1_0),
            3 => Ok(ProtocolNumber::V2_0),
            other => Err(ChademoDecodeError::OutOfRange {
                id,
                field: "control protocol number",
                value: other.into(),
                max: 3,
            }),
        }
    }
}

/// A charging time as CHAdeMO carries it (101.1/101.2 maximum, 109.6/109.7 remaining): a count
/// of 10-second units, or 0xFF there and a count of minutes in the next byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChargingTime {
    /// 10 s per bit; 0xFF means "see `minutes`".
    pub ten_seconds: u8,
    /// 1 min per bit.
    pub minutes: u8,
}

impl ChargingTime {
    /// "Not given": both bytes zero.
    pub const NOT_GIVEN: ChargingTime = ChargingTime {
        ten_seconds: 0,
        minutes: 0,
    };

    /// Encodes `d`, rounding up so that a few seconds left never read as zero. Times longer than
    /// 254 × 10 s use the minute byte, which saturates at 255 minutes.
    pub fn from_duration(d: Duration) -> Self {
        let secs = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
        let minutes = u8::try_from(secs.div_ceil(60)).unwrap_or(u8::MAX);
        let tens = secs.div_ceil(10);
        let ten_seconds = match u8::try_from(tens) {
            Ok(t) if t < 0xFF => t,
            _ => 0xFF,
        };
        ChargingTime {
            ten_seconds,
            minutes,
        }
    }

    /// The time meant, or `None` when both bytes are zero ("not given").
    ///
    /// 0xFF in the 10-second byte selects the minute byte (EVTV, OSX). A vehicle that leaves
    /// the 10-second byte at zero but fills the minute byte is read by minutes too: field
    /// firmware does that, and reading it as "zero seconds" would end the charge at once.
    pub fn duration(self) -> Option<Duration> {
        if self.ten_seconds == 0xFF {
            Some(Duration::from_secs(u64::from(self.minutes) * 60))
        } else if self.ten_seconds != 0 {
            Some(Duration::from_secs(u64::from(self.ten_seconds) * 10))
        } else if self.minutes != 0 {
            Some(Duration::from_secs(u64::from(self.minutes) * 60))
        } else {
            None
        }
    }
}

/// 0x100: what the battery tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VehicleLimits {
    /// 100.0, amperes: the smallest current the vehicle accepts (added in 1.0).
    pub min_charge_current: u8,
    /// 100.1, amperes: a maximum current some vehicles send; not in the IEEE table, 0 when
    /// not given.
    pub max_charge_current: u8,
    /// 100.2-3, volts.
    pub min_battery_voltage: u16,
    /// 100.4-5, volts: "upper limit voltage for backup to stop by a charger"; the charger's
    /// threshold voltage is derived from it.
    pub max_battery_voltage: u16,
    /// 100.6, percent: the reference for 102.6 (fixed 100 after permission; a Leaf sends
    /// 0xF0/0xFF before).
    pub charged_rate_reference: u8,
}

/// 0x101: charging time and capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VehicleChargingTime {
    /// 101.1/101.2: the longest the vehicle lets the charge run.
    pub max_charging_time: ChargingTime,
    /// 101.3, minutes: the vehicle's own estimate (added in 1.0.1; 0 when not given).
    pub estimated_charging_time_min: u8,
    /// 101.5-6, in 0.1 kWh.
    pub rated_capacity_0_1kwh: u16,
}

impl VehicleChargingTime {
    /// Rated battery capacity in kWh.
    pub fn rated_capacity_kwh(&self) -> f32 {
        f32::from(self.rated_capacity_0_1kwh) / 10.0
    }
}

/// 102.4: battery fault flags (1 = fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VehicleFaults {
    /// 102.4.0
    pub battery_overvoltage: bool,
    /// 102.4.1
    pub battery_undervoltage: bool,
    /// 102.4.2: the charger delivered ≥ 10 A more than requested for ≥ 5 s.
    pub current_deviation: bool,
    /// 102.4.3
    pub high_battery_temperature: bool,
    /// 102.4.4
    pub voltage_deviation: bool,
}

impl VehicleFaults {
    fn from_byte(b: u8) -> Self {
        VehicleFaults {
            battery_overvoltage: bit(b, 0),
            battery_undervoltage: bit(b, 1),
            current_deviation: bit(b, 2),
            high_battery_temperature: bit(b, 3),
            voltage_deviation: bit(b, 4),
        }
    }

    fn to_byte(self) -> u8 {
        flag(self.battery_overvoltage, 0)
            | flag(self.battery_undervoltage, 1)
            | flag(self.current_deviation, 2)
            | flag(self.high_battery_temperature, 3)
            | flag(self.voltage_deviation, 4)
    }

    pub fn any(&self) -> bool {
        self.to_byte() != 0
    }

    /// Names of the set bits, for stop reasons and status views.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.battery_overvoltage, "battery overvoltage (102.4.0)"),
            (self.battery_undervoltage, "battery undervoltage (102.4.1)"),
            (
                self.current_deviation,
                "battery current deviation (102.4.2)",
            ),
            (
                self.high_battery_temperature,
                "high battery temperature (102.4.3)",
            ),
            (
                self.voltage_deviation,
                "battery voltage deviation (102.4.4)",
            ),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// 102.5: vehicle status flags. Bits 5 and 6 (the latter a legacy flag seen on old Leafs) are
/// ignored on decode and sent as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VehicleStatusFlags {
    /// 102.5.0: the vehicle allows charging.
    pub charging_enabled: bool,
    /// 102.5.1: shift lever not in Park.
    pub not_in_park: bool,
    /// 102.5.2: charging-system fault.
    pub system_fault: bool,
    /// 102.5.3: EV contactors open / welding detection finished (0 = closed or checking).
    pub contactors_open: bool,
    /// 102.5.4: normal stop request before charging.
    pub stop_before_charging: bool,
    /// 102.5.7: V2X discharge compatible.
    pub discharge_compatible: bool,
}

impl VehicleStatusFlags {
    fn from_byte(b: u8) -> Self {
        VehicleStatusFlags {
            charging_enabled: bit(b, 0),
            not_in_park: bit(b, 1),
            system_fault: bit(b, 2),
            contactors_open: bit(b, 3),
            stop_before_charging: bit(b, 4),
            discharge_compatible: bit(b, 7),
        }
    }

    fn to_byte(self) -> u8 {
        flag(self.charging_enabled, 0)
            | flag(self.not_in_park, 1)
            | flag(self.system_fault, 2)
            | flag(self.contactors_open, 3)
            | flag(self.stop_before_charging, 4)
            | flag(self.discharge_compatible, 7)
    }
}

/// 0x102: what the vehicle wants and how it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VehicleControl {
    /// 102.0
    pub protocol: ProtocolNumber,
    /// 102.1-2, volts.
    pub target_voltage: u16,
    /// 102.3, amperes. (0xFF means "see 0x110" only for 2.0 high-current control, which
    /// chargerd does not announce, so it is read as 255 A.)
    pub current_request: u8,
    /// 102.4
    pub faults: VehicleFaults,
    /// 102.5
    pub status: VehicleStatusFlags,
    /// 102.6, percent of 100.6.
    pub charged_rate: u8,
}

/// 109.5: charger status flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChargerStatusFlags {
    /// 109.5.0: charging (0 before, during the insulation test, and once ≤ 5 A at the end).
    pub charging: bool,
    /// 109.5.1: charger malfunction.
    pub charger_malfunction: bool,
    /// 109.5.2: connector locked / energizing.
    pub connector_locked: bool,
    /// 109.5.3: battery incompatible.
    pub battery_incompatible: bool,
    /// 109.5.4: charging-system malfunction.
    pub system_malfunction: bool,
    /// 109.5.5: charging stop control (1 until charging starts and again while stopping).
    pub stop_control: bool,
}

impl ChargerStatusFlags {
    fn from_byte(b: u8) -> Self {
        ChargerStatusFlags {
            charging: bit(b, 0),
            charger_malfunction: bit(b, 1),
            connector_locked: bit(b, 2),
            battery_incompatible: bit(b, 3),
            system_malfunction: bit(b, 4),
            stop_control: bit(b, 5),
        }
    }

    fn to_byte(self) -> u8 {
        flag(self.charging, 0)
            | flag(self.charger_malfunction, 1)
            | flag(self.connector_locked, 2)
            | flag(self.battery_incompatible, 3)
            | flag(self.system_malfunction, 4)
            | flag(self.stop_control, 5)
    }
}

/// 0x108: what the charger can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChargerCapability {
    /// 108.0: the charger supports EV contactor welding detection.
    pub welding_detection: bool,
    /// 108.1-2, volts: fixed from the first frame on.
    pub available_voltage: u16,
    /// 108.3, amperes: may change while charging (dynamic control).
    pub available_current: u8,
    /// 108.4-5, volts: min(100.4-5, 108.1); output stops when reached.
    pub threshold_voltage: u16,
}

/// 0x109: how the charger is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChargerStatus {
    /// 109.0
    pub protocol: ProtocolNumber,
    /// 109.1-2, volts (measured).
    pub output_voltage: u16,
    /// 109.3, amperes (measured).
    pub output_current: u8,
    /// 109.4: V2X discharge compatible.
    pub discharge_compatible: bool,
    /// 109.5
    pub flags: ChargerStatusFlags,
    /// 109.6/109.7
    pub remaining_time: ChargingTime,
}

fn bit(byte: u8, n: u8) -> bool {
    byte & (1 << n) != 0
}

fn flag(set: bool, n: u8) -> u8 {
    u8::from(set) << n
}

/// Checks identifier format, id, RTR and length, and returns the 8 bytes.
fn payload(frame: &CanFrame, id: u16) -> Result<[u8; FRAME_LEN], ChademoDecodeError> {
    if frame.is_extended() {
        return Err(ChademoDecodeError::ExtendedId(frame.id()));
    }
    if frame.id() != u32::from(id) {
        return Err(ChademoDecodeError::WrongId {
            expected: id,
            found: frame.id(),
        });
    }
    if frame.is_remote() {
        return Err(ChademoDecodeError::Remote(id));
    }
    let data = frame.data();
    let mut buf = [0u8; FRAME_LEN];
    if data.len() != FRAME_LEN {
        return Err(ChademoDecodeError::WrongLength {
            id,
            len: data.len(),
        });
    }
    buf.copy_from_slice(data);
    Ok(buf)
}

fn le16(buf: &[u8; FRAME_LEN], at: usize) -> u16 {
    let lo = buf.get(at).copied().unwrap_or(0);
    let hi = buf.get(at + 1).copied().unwrap_or(0);
    u16::from_le_bytes([lo, hi])
}

fn put16(buf: &mut [u8; FRAME_LEN], at: usize, value: u16) {
    let [lo, hi] = value.to_le_bytes();
    if let Some(b) = buf.get_mut(at) {
        *b = lo;
    }
    if let Some(b) = buf.get_mut(at + 1) {
        *b = hi;
    }
}

fn voltage(
    buf: &[u8; FRAME_LEN],
    at: usize,
    id: u16,
    field: &'static str,
) -> Result<u16, ChademoDecodeError> {
    let v = le16(buf, at);
    if v > MAX_VOLTAGE_V {
        return Err(ChademoDecodeError::OutOfRange {
            id,
            field,
            value: v.into(),
            max: MAX_VOLTAGE_V.into(),
        });
    }
    Ok(v)
}

fn boolean(value: u8, id: u16, field: &'static str) -> Result<bool, ChademoDecodeError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(ChademoDecodeError::NotBoolean {
            id,
            field,
            value: other,
        }),
    }
}

fn frame(id: u16, data: [u8; FRAME_LEN]) -> Result<CanFrame, CanFrameError> {
    CanFrame::standard(id, &data)
}

impl VehicleLimits {
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        let id = VEHICLE_LIMITS_ID;
        let b = payload(frame, id)?;
        Ok(VehicleLimits {
            min_charge_current: b[0],
            max_charge_current: b[1],
            min_battery_voltage: voltage(&b, 2, id, "minimum battery voltage")?,
            max_battery_voltage: voltage(&b, 4, id, "maximum battery voltage")?,
            charged_rate_reference: b[6],
        })
    }

    pub fn to_bytes(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        b[0] = self.min_charge_current;
        b[1] = self.max_charge_current;
        put16(&mut b, 2, self.min_battery_voltage);
        put16(&mut b, 4, self.max_battery_voltage);
        b[6] = self.charged_rate_reference;
        b
    }

    /// The frame to send. Fails only if the identifier constants were broken.
    pub fn encode(&self) -> Result<CanFrame, CanFrameError> {
        frame(VEHICLE_LIMITS_ID, self.to_bytes())
    }
}

impl VehicleChargingTime {
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        let b = payload(frame, VEHICLE_CHARGING_TIME_ID)?;
        Ok(VehicleChargingTime {
            max_charging_time: ChargingTime {
                ten_seconds: b[1],
                minutes: b[2],
            },
            estimated_charging_time_min: b[3],
            rated_capacity_0_1kwh: le16(&b, 5),
        })
    }

    pub fn to_bytes(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        b[1] = self.max_charging_time.ten_seconds;
        b[2] = self.max_charging_time.minutes;
        b[3] = self.estimated_charging_time_min;
        put16(&mut b, 5, self.rated_capacity_0_1kwh);
        b
    }

    pub fn encode(&self) -> Result<CanFrame, CanFrameError> {
        frame(VEHICLE_CHARGING_TIME_ID, self.to_bytes())
    }
}

impl VehicleControl {
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        let id = VEHICLE_CONTROL_ID;
        let b = payload(frame, id)?;
        Ok(VehicleControl {
            protocol: ProtocolNumber::decode(id, b[0])?,
            target_voltage: voltage(&b, 1, id, "target battery voltage")?,
            current_request: b[3],
            faults: VehicleFaults::from_byte(b[4]),
            status: VehicleStatusFlags::from_byte(b[5]),
            charged_rate: b[6],
        })
    }

    pub fn to_bytes(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        b[0] = self.protocol.as_u8();
        put16(&mut b, 1, self.target_voltage);
        b[3] = self.current_request;
        b[4] = self.faults.to_byte();
        b[5] = self.status.to_byte();
        b[6] = self.charged_rate;
        b
    }

    pub fn encode(&self) -> Result<CanFrame, CanFrameError> {
        frame(VEHICLE_CONTROL_ID, self.to_bytes())
    }
}

impl ChargerCapability {
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        let id = CHARGER_CAPABILITY_ID;
        let b = payload(frame, id)?;
        Ok(ChargerCapability {
            welding_detection: boolean(b[0], id, "welding detection support")?,
            available_voltage: voltage(&b, 1, id, "available output voltage")?,
            available_current: b[3],
            threshold_voltage: voltage(&b, 4, id, "threshold voltage")?,
        })
    }

    pub fn to_bytes(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        b[0] = u8::from(self.welding_detection);
        put16(&mut b, 1, self.available_voltage);
        b[3] = self.available_current;
        put16(&mut b, 4, self.threshold_voltage);
        b
    }

    pub fn encode(&self) -> Result<CanFrame, CanFrameError> {
        frame(CHARGER_CAPABILITY_ID, self.to_bytes())
    }
}

impl ChargerStatus {
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        let id = CHARGER_STATUS_ID;
        let b = payload(frame, id)?;
        Ok(ChargerStatus {
            protocol: ProtocolNumber::decode(id, b[0])?,
            output_voltage: voltage(&b, 1, id, "present output voltage")?,
            output_current: b[3],
            discharge_compatible: boolean(b[4], id, "discharge compatible")?,
            flags: ChargerStatusFlags::from_byte(b[5]),
            remaining_time: ChargingTime {
                ten_seconds: b[6],
                minutes: b[7],
            },
        })
    }

    pub fn to_bytes(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        b[0] = self.protocol.as_u8();
        put16(&mut b, 1, self.output_voltage);
        b[3] = self.output_current;
        b[4] = u8::from(self.discharge_compatible);
        b[5] = self.flags.to_byte();
        b[6] = self.remaining_time.ten_seconds;
        b[7] = self.remaining_time.minutes;
        b
    }

    pub fn encode(&self) -> Result<CanFrame, CanFrameError> {
        frame(CHARGER_STATUS_ID, self.to_bytes())
    }
}

/// Any frame a vehicle sends that chargerd understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleFrame {
    Limits(VehicleLimits),
    ChargingTime(VehicleChargingTime),
    Control(VehicleControl),
}

impl VehicleFrame {
    /// Decodes by identifier; ids other than 0x100/0x101/0x102 give
    /// [`ChademoDecodeError::UnknownId`] (the session ignores those: 0x110, 0x200 and 0x700 are
    /// legitimate vehicle frames it does not use).
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        if frame.is_extended() {
            return Err(ChademoDecodeError::ExtendedId(frame.id()));
        }
        match frame.id() {
            id if id == u32::from(VEHICLE_LIMITS_ID) => {
                VehicleLimits::decode(frame).map(Self::Limits)
            }
            id if id == u32::from(VEHICLE_CHARGING_TIME_ID) => {
                VehicleChargingTime::decode(frame).map(Self::ChargingTime)
            }
            id if id == u32::from(VEHICLE_CONTROL_ID) => {
                VehicleControl::decode(frame).map(Self::Control)
            }
            other => Err(ChademoDecodeError::UnknownId(other)),
        }
    }
}

/// Any frame a charger sends that the simulated vehicle understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargerFrame {
    Capability(ChargerCapability),
    Status(ChargerStatus),
}

impl ChargerFrame {
    /// Decodes by identifier; ids other than 0x108/0x109 give [`ChademoDecodeError::UnknownId`].
    pub fn decode(frame: &CanFrame) -> Result<Self, ChademoDecodeError> {
        if frame.is_extended() {
            return Err(ChademoDecodeError::ExtendedId(frame.id()));
        }
        match frame.id() {
            id if id == u32::from(CHARGER_CAPABILITY_ID) => {
                ChargerCapability::decode(frame).map(Self::Capability)
            }
            id if id == u32::from(CHARGER_STATUS_ID) => {
                ChargerStatus::decode(frame).map(Self::Status)
            }
            other => Err(ChademoDecodeError::UnknownId(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_frame(id: u16, data: &[u8]) -> CanFrame {
        CanFrame::standard(id, data).unwrap()
    }

    /// The first exchange of a real Leaf ZE1 session (osexpert/chademo_research start.candump).
    #[test]
    fn decodes_leaf_trace() {
        let limits =
            VehicleLimits::decode(&std_frame(0x100, &[0x06, 0, 0, 0, 0xB3, 0x01, 0xF0, 0]))
                .unwrap();
        assert_eq!(limits.min_charge_current, 6);
        assert_eq!(limits.max_battery_voltage, 435);
        assert_eq!(limits.charged_rate_reference, 0xF0);

        let control =
            VehicleControl::decode(&std_frame(0x102, &[0x02, 0x9A, 0x01, 0, 0, 0x80, 0x03, 0]))
                .unwrap();
        assert_eq!(control.protocol, ProtocolNumber::V1_0);
        assert_eq!(control.target_voltage, 410);
        assert_eq!(control.current_request, 0);
        assert!(control.status.discharge_compatible);
        assert!(!control.status.charging_enabled);
        assert_eq!(control.charged_rate, 3);

        let cap = ChargerCapability::decode(&std_frame(
            0x108,
            &[0x01, 0xF4, 0x01, 0x1F, 0xB3, 0x01, 0, 0],
        ))
        .unwrap();
        assert!(cap.welding_detection);
        assert_eq!(cap.available_voltage, 500);
        assert_eq!(cap.available_current, 31);
        assert_eq!(cap.threshold_voltage, 435);

        let status =
            ChargerStatus::decode(&std_frame(0x109, &[0x02, 0, 0, 0, 0, 0x20, 0, 0])).unwrap();
        assert_eq!(status.protocol, ProtocolNumber::V1_0);
        assert!(status.flags.stop_control);
        assert!(!status.flags.charging);
        assert_eq!(status.to_bytes(), [0x02, 0, 0, 0, 0, 0x20, 0, 0]);
    }

    #[test]
    fn round_trips() {
        let limits = VehicleLimits {
            min_charge_current: 6,
            max_charge_current: 200,
            min_battery_voltage: 500,
            max_battery_voltage: 780,
            charged_rate_reference: 100,
        };
        assert_eq!(VehicleLimits::decode(&limits.encode().unwrap()), Ok(limits));

        let time = VehicleChargingTime {
            max_charging_time: ChargingTime {
                ten_seconds: 0xFF,
                minutes: 90,
            },
            estimated_charging_time_min: 42,
            rated_capacity_0_1kwh: 3500,
        };
        assert_eq!(
            VehicleChargingTime::decode(&time.encode().unwrap()),
            Ok(time)
        );
        assert_eq!(time.rated_capacity_kwh(), 350.0);

        let control = VehicleControl {
            protocol: ProtocolNumber::V2_0,
            target_voltage: 760,
            current_request: 250,
            faults: VehicleFaults {
                current_deviation: true,
                voltage_deviation: true,
                ..Default::default()
            },
            status: VehicleStatusFlags {
                charging_enabled: true,
                contactors_open: true,
                ..Default::default()
            },
            charged_rate: 55,
        };
        let f = control.encode().unwrap();
        assert_eq!(f.data()[4], 0b1_0100);
        assert_eq!(f.data()[5], 0b1001);
        assert_eq!(VehicleControl::decode(&f), Ok(control));

        let cap = ChargerCapability {
            welding_detection: true,
            available_voltage: 1000,
            available_current: 255,
            threshold_voltage: 780,
        };
        assert_eq!(ChargerCapability::decode(&cap.encode().unwrap()), Ok(cap));

        let status = ChargerStatus {
            protocol: ProtocolNumber::V1_0,
            output_voltage: 702,
            output_current: 199,
            discharge_compatible: false,
            flags: ChargerStatusFlags {
                charging: true,
                connector_locked: true,
                ..Default::default()
            },
            remaining_time: ChargingTime::from_duration(Duration::from_secs(600)),
        };
        let f = status.encode().unwrap();
        assert_eq!(f.data()[5], 0x05, "the Leaf trace's 'charging' status byte");
        assert_eq!(ChargerStatus::decode(&f), Ok(status));
    }

    #[test]
    fn rejects_malformed_frames() {
        // Wrong id.
        assert_eq!(
            VehicleLimits::decode(&std_frame(0x101, &[0; 8])),
            Err(ChademoDecodeError::WrongId {
                expected: 0x100,
                found: 0x101
            })
        );
        // Wrong length.
        assert_eq!(
            VehicleControl::decode(&std_frame(0x102, &[2, 0, 0])),
            Err(ChademoDecodeError::WrongLength { id: 0x102, len: 3 })
        );
        // 29-bit id.
        let ext = CanFrame::extended(0x102, &[0; 8]).unwrap();
        assert_eq!(
            VehicleControl::decode(&ext),
            Err(ChademoDecodeError::ExtendedId(0x102))
        );
        // RTR.
        let rtr = CanFrame::remote(0x109, false, 8).unwrap();
        assert_eq!(
            ChargerStatus::decode(&rtr),
            Err(ChademoDecodeError::Remote(0x109))
        );
        // Protocol number 4.
        assert!(matches!(
            VehicleControl::decode(&std_frame(0x102, &[4, 0, 0, 0, 0, 0, 0, 0])),
            Err(ChademoDecodeError::OutOfRange { value: 4, .. })
        ));
        // 0xFFFF V target.
        assert!(matches!(
            VehicleControl::decode(&std_frame(0x102, &[2, 0xFF, 0xFF, 0, 0, 0, 0, 0])),
            Err(ChademoDecodeError::OutOfRange { value: 0xFFFF, .. })
        ));
        // 1201 V maximum battery voltage.
        assert!(matches!(
            VehicleLimits::decode(&std_frame(0x100, &[0, 0, 0, 0, 0xB1, 0x04, 100, 0])),
            Err(ChademoDecodeError::OutOfRange { value: 1201, .. })
        ));
        // 108.0 must be 0/1.
        assert!(matches!(
            ChargerCapability::decode(&std_frame(0x108, &[2, 0, 0, 0, 0, 0, 0, 0])),
            Err(ChademoDecodeError::NotBoolean { value: 2, .. })
        ));
        assert!(matches!(
            ChargerStatus::decode(&std_frame(0x109, &[2, 0, 0, 0, 7, 0, 0, 0])),
            Err(ChademoDecodeError::NotBoolean { value: 7, .. })
        ));
        assert_eq!(
            VehicleFrame::decode(&std_frame(0x700, &[0; 8])),
            Err(ChademoDecodeError::UnknownId(0x700))
        );
        assert!(matches!(
            ChargerFrame::decode(&std_frame(0x109, &[0; 8])),
            Ok(ChargerFrame::Status(_))
        ));
    }

    #[test]
    fn charging_time_encoding() {
        let t = ChargingTime::from_duration(Duration::from_secs(95));
        assert_eq!(
            t,
            ChargingTime {
                ten_seconds: 10,
                minutes: 2
            }
        );
        assert_eq!(t.duration(), Some(Duration::from_secs(100)));
        let long = ChargingTime::from_duration(Duration::from_secs(3 * 3600));
        assert_eq!(long.ten_seconds, 0xFF);
        assert_eq!(long.minutes, 180);
        assert_eq!(long.duration(), Some(Duration::from_secs(3 * 3600)));
        let huge = ChargingTime::from_duration(Duration::from_secs(100 * 3600));
        assert_eq!(huge.minutes, 255);
        assert_eq!(ChargingTime::NOT_GIVEN.duration(), None);
        let minutes_only = ChargingTime {
            ten_seconds: 0,
            minutes: 90,
        };
        assert_eq!(minutes_only.duration(), Some(Duration::from_secs(5400)));
        assert_eq!(
            ChargingTime::from_duration(Duration::from_millis(1)),
            ChargingTime {
                ten_seconds: 1,
                minutes: 1
            }
        );
    }

    #[test]
    fn fault_names() {
        let f = VehicleFaults::from_byte(0b1_0001);
        assert_eq!(
            f.names(),
            vec![
                "battery overvoltage (102.4.0)",
                "battery voltage deviation (102.4.4)"
            ]
        );
        assert!(f.any());
        assert!(
            !VehicleFaults::from_byte(0xE0).any(),
            "reserved bits are ignored"
        );
    }
}

/// One frame as `chargerctl hw can-dump` shows it: the vehicle's or the charger's frame
/// decoded, or why it does not decode.
pub fn describe(frame: &CanFrame) -> String {
    match VehicleFrame::decode(frame) {
        Ok(v) => format!("{v:?}"),
        Err(_) => match ChargerFrame::decode(frame) {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("not a CHAdeMO frame: {e}"),
        },
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn a_frame_is_described_decoded_or_with_why_not() {
        let text =
            describe(&CanFrame::new(0x7FF, false, &[1, 2]).unwrap_or_else(|_| unreachable!()));
        assert!(text.starts_with("not a CHAdeMO frame"), "{text}");
    }
}
