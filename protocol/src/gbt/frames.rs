//! Typed codecs for the GB/T 27930-2015 messages (reference §2.2, §2.3).
//!
//! Every message is a plain struct with `encode` and `decode`. Byte numbers in the comments are
//! 1-based, as in the standard. Multi-byte values are little-endian. Fields and bits the standard
//! leaves undefined are sent as 1s, and ignored on receipt.
//!
//! Currents follow the standard's sign convention: on the wire, charging current is negative,
//! `physical = raw × 0.1 A − offset`. The offset is 400 A in the 2015 edition and 800 A in the
//! 2011 edition (field notes §4.1). In this crate every current is a **charging** current in
//! amperes, positive into the battery; [`CurrentCodec`] converts between the two.
//!
//! Decoders check lengths, ranges and encodings. They reject a message whose fields cannot be
//! what they claim, for example a SOC of 130 % or a demand current that would discharge the
//! battery. A rejected message is reported and ignored, so a corrupted frame never becomes a
//! setpoint.

use thiserror::Error;

/// GB/T PGNs (PDU1: PF << 8). Table in reference §2.2.
pub mod pgn {
    pub const CRM: u32 = 0x0100;
    pub const BRM: u32 = 0x0200;
    pub const BCP: u32 = 0x0600;
    pub const CTS: u32 = 0x0700;
    pub const CML: u32 = 0x0800;
    pub const BRO: u32 = 0x0900;
    pub const CRO: u32 = 0x0A00;
    pub const BCL: u32 = 0x1000;
    pub const BCS: u32 = 0x1100;
    pub const CCS: u32 = 0x1200;
    pub const BSM: u32 = 0x1300;
    pub const BMV: u32 = 0x1500;
    pub const BMT: u32 = 0x1600;
    pub const BSP: u32 = 0x1700;
    pub const BST: u32 = 0x1900;
    pub const CST: u32 = 0x1A00;
    pub const BSD: u32 = 0x1C00;
    pub const CSD: u32 = 0x1D00;
    pub const BEM: u32 = 0x1E00;
    pub const CEM: u32 = 0x1F00;
    pub const CHM: u32 = 0x2600;
    pub const BHM: u32 = 0x2700;
}

/// Largest voltage a 16-bit 0.1 V field carries.
pub const MAX_FIELD_VOLTAGE_V: f32 = 6553.5;
/// Longest remaining time BCS may announce, minutes (§2.3).
pub const MAX_REMAINING_MINUTES: u16 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GbtDecodeError {
    #[error("{message}: {got} bytes, at least {expected} expected")]
    TooShort {
        message: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{message}: {field} = {value} is out of range ({range})")]
    OutOfRange {
        message: &'static str,
        field: &'static str,
        value: String,
        range: &'static str,
    },
    #[error("{message}: {field} has an invalid encoding ({why})")]
    Encoding {
        message: &'static str,
        field: &'static str,
        why: String,
    },
    #[error("PGN {0:#06x} is not a GB/T 27930 message from this side")]
    UnknownPgn(u32),
}

fn need(message: &'static str, data: &[u8], expected: usize) -> Result<(), GbtDecodeError> {
    if data.len() < expected {
        Err(GbtDecodeError::TooShort {
            message,
            expected,
            got: data.len(),
        })
    } else {
        Ok(())
    }
}

fn out_of_range(
    message: &'static str,
    field: &'static str,
    value: impl std::fmt::Display,
    range: &'static str,
) -> GbtDecodeError {
    GbtDecodeError::OutOfRange {
        message,
        field,
        value: value.to_string(),
        range,
    }
}

fn u16_at(data: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([data[i], data[i + 1]])
}

fn volts(raw: u16) -> f32 {
    f32::from(raw) / 10.0
}

/// Volts to a 0.1 V field, saturating: a setpoint beyond the field is clamped, never wrapped.
pub fn volts_raw(v: f32) -> u16 {
    if v.is_finite() {
        (v * 10.0).round().clamp(0.0, f32::from(u16::MAX)) as u16
    } else {
        0
    }
}

/// Offset of the current fields, which depends on the battery's edition of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CurrentCodec {
    /// GB/T 27930-2015 (and 2023 category A): −400 A, so at most 400 A of charging current.
    #[default]
    Offset400,
    /// GB/T 27930-2011: −800 A.
    Offset800,
}

impl CurrentCodec {
    fn offset_raw(self) -> i32 {
        match self {
            CurrentCodec::Offset400 => 4000,
            CurrentCodec::Offset800 => 8000,
        }
    }

    /// Largest charging current the field can carry, in amperes.
    pub fn max_charge_current(self) -> f32 {
        self.offset_raw() as f32 / 10.0
    }

    /// Charging current (positive into the battery) from a raw field; negative means discharge.
    pub fn decode(self, raw: u16) -> f32 {
        (self.offset_raw() - i32::from(raw)) as f32 / 10.0
    }

    /// Raw field for a charging current, clamped to what the field can carry.
    pub fn encode(self, charge_amps: f32) -> u16 {
        let amps = if charge_amps.is_finite() {
            charge_amps
        } else {
            0.0
        };
        let raw = self.offset_raw() as f32 - (amps * 10.0).round();
        raw.clamp(0.0, f32::from(u16::MAX)) as u16
    }

    /// A charging current that must not be a discharge (demands, limits).
    fn decode_charge(
        self,
        message: &'static str,
        field: &'static str,
        raw: u16,
    ) -> Result<f32, GbtDecodeError> {
        if i32::from(raw) > self.offset_raw() {
            return Err(out_of_range(
                message,
                field,
                format!("{} A", self.decode(raw)),
                "0 A or more of charging current",
            ));
        }
        Ok(self.decode(raw))
    }
}

/// A 2-bit status field: 00 normal, 01 set, 10 untrusted, 11 not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    #[default]
    Normal,
    Set,
    Untrusted,
    NotAvailable,
}

impl Signal {
    fn from_bits(bits: u8) -> Signal {
        match bits & 0b11 {
            0b00 => Signal::Normal,
            0b01 => Signal::Set,
            0b10 => Signal::Untrusted,
            _ => Signal::NotAvailable,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Signal::Normal => 0b00,
            Signal::Set => 0b01,
            Signal::Untrusted => 0b10,
            Signal::NotAvailable => 0b11,
        }
    }

    /// Set, or a value the sender itself cannot vouch for: treated as set when safety is at stake.
    pub fn is_raised(self) -> bool {
        matches!(self, Signal::Set | Signal::Untrusted)
    }

    pub fn from_bool(set: bool) -> Signal {
        if set {
            Signal::Set
        } else {
            Signal::Normal
        }
    }
}

/// The 2-bit field `index` (0 = bits 1-2) of `byte`.
fn signal(byte: u8, index: u8) -> Signal {
    Signal::from_bits(byte >> (index * 2))
}

/// Packs four 2-bit fields, the first in bits 1-2.
fn pack(signals: [Signal; 4]) -> u8 {
    signals
        .iter()
        .enumerate()
        .fold(0u8, |acc, (i, s)| acc | (s.bits() << (i * 2)))
}

/// Protocol version as in CHM and BRM bytes 1-3 (`01 01 00` = V1.1, the 2015 edition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolVersion(pub [u8; 3]);

impl ProtocolVersion {
    pub const V1_1: ProtocolVersion = ProtocolVersion([0x01, 0x01, 0x00]);
    pub const V1_0: ProtocolVersion = ProtocolVersion([0x01, 0x00, 0x00]);

    /// The 2011 edition (1.0.x), which uses the −800 A current offset.
    pub fn is_2011(self) -> bool {
        self.0[0] == 0x01 && self.0[1] == 0x00
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "V{major}.{minor}.{patch}")
    }
}

/// CHM: charger handshake, the charger's protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chm {
    pub version: ProtocolVersion,
}

impl Chm {
    pub fn encode(&self) -> Vec<u8> {
        self.version.0.to_vec()
    }

    pub fn decode(data: &[u8]) -> Result<Chm, GbtDecodeError> {
        need("CHM", data, 3)?;
        Ok(Chm {
            version: ProtocolVersion([data[0], data[1], data[2]]),
        })
    }
}

/// BHM: the battery's highest allowed total charging voltage, the insulation-test voltage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bhm {
    pub max_charge_voltage: f32,
}

impl Bhm {
    pub fn encode(&self) -> Vec<u8> {
        volts_raw(self.max_charge_voltage).to_le_bytes().to_vec()
    }

    pub fn decode(data: &[u8]) -> Result<Bhm, GbtDecodeError> {
        need("BHM", data, 2)?;
        let raw = u16_at(data, 0);
        if raw == 0 || raw == u16::MAX {
            return Err(out_of_range(
                "BHM",
                "max charging voltage",
                format!("{raw:#06x}"),
                "a voltage above 0 V",
            ));
        }
        Ok(Bhm {
            max_charge_voltage: volts(raw),
        })
    }
}

/// CRM: charger recognition. 0x00 until the BMS is recognised (BRM received), then 0xAA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crm {
    pub recognized: bool,
    /// Charger number (1/bit).
    pub charger_number: u32,
    /// Charger or station region code, three ASCII bytes (optional: all 0xFF when absent).
    pub region: Option<[u8; 3]>,
}

impl Crm {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![if self.recognized { 0xAA } else { 0x00 }];
        out.extend_from_slice(&self.charger_number.to_le_bytes());
        out.extend_from_slice(&self.region.unwrap_or([0xFF; 3]));
        out
    }

    pub fn decode(data: &[u8]) -> Result<Crm, GbtDecodeError> {
        need("CRM", data, 5)?;
        let recognized = match data[0] {
            0x00 => false,
            0xAA => true,
            other => {
                return Err(out_of_range(
                    "CRM",
                    "recognition result",
                    format!("{other:#04x}"),
                    "0x00 or 0xAA",
                ))
            }
        };
        let region = match data.get(5..8) {
            Some(r) if r != [0xFF; 3] => Some([r[0], r[1], r[2]]),
            _ => None,
        };
        Ok(Crm {
            recognized,
            charger_number: u32::from_le_bytes([data[1], data[2], data[3], data[4]]),
            region,
        })
    }
}

/// Battery chemistry announced in BRM byte 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatteryType {
    LeadAcid,
    NickelMetalHydride,
    LithiumIronPhosphate,
    LithiumManganeseOxide,
    LithiumCobaltOxide,
    /// Ternary (NCM) lithium.
    Ternary,
    LithiumPolymer,
    LithiumTitanate,
    Other,
}

impl BatteryType {
    fn from_code(code: u8) -> Option<BatteryType> {
        Some(match code {
            0x01 => BatteryType::LeadAcid,
            0x02 => BatteryType::NickelMetalHydride,
            0x03 => BatteryType::LithiumIronPhosphate,
            0x04 => BatteryType::LithiumManganeseOxide,
            0x05 => BatteryType::LithiumCobaltOxide,
            0x06 => BatteryType::Ternary,
            0x07 => BatteryType::LithiumPolymer,
            0x08 => BatteryType::LithiumTitanate,
            0xFF => BatteryType::Other,
            _ => return None,
        })
    }

    fn code(self) -> u8 {
        match self {
            BatteryType::LeadAcid => 0x01,
            BatteryType::NickelMetalHydride => 0x02,
            BatteryType::LithiumIronPhosphate => 0x03,
            BatteryType::LithiumManganeseOxide => 0x04,
            BatteryType::LithiumCobaltOxide => 0x05,
            BatteryType::Ternary => 0x06,
            BatteryType::LithiumPolymer => 0x07,
            BatteryType::LithiumTitanate => 0x08,
            BatteryType::Other => 0xFF,
        }
    }

    /// Short name for status views.
    pub fn name(self) -> &'static str {
        match self {
            BatteryType::LeadAcid => "lead-acid",
            BatteryType::NickelMetalHydride => "NiMH",
            BatteryType::LithiumIronPhosphate => "LFP",
            BatteryType::LithiumManganeseOxide => "LMO",
            BatteryType::LithiumCobaltOxide => "LCO",
            BatteryType::Ternary => "NCM",
            BatteryType::LithiumPolymer => "Li-polymer",
            BatteryType::LithiumTitanate => "LTO",
            BatteryType::Other => "other",
        }
    }
}

/// BRM: BMS and vehicle identification (49 bytes in 2015, 41 in 2011; sent with the transport
/// protocol). Only bytes 1-8 are mandatory; the optional tail is read when present.
#[derive(Debug, Clone, PartialEq)]
pub struct Brm {
    pub version: ProtocolVersion,
    pub battery_type: BatteryType,
    /// Rated capacity, ampere-hours (0-1000).
    pub rated_capacity_ah: f32,
    /// Rated total voltage, volts (0-750).
    pub rated_voltage: f32,
    /// Battery manufacturer, up to 4 ASCII characters.
    pub manufacturer: Option<String>,
    pub pack_serial: Option<u32>,
    /// Production date (year, month, day).
    pub production_date: Option<(u16, u8, u8)>,
    pub charge_count: Option<u32>,
    /// 0 = leased, 1 = owned by the vehicle's owner.
    pub owned: Option<bool>,
    /// Vehicle identification number (17 ASCII characters).
    pub vin: Option<String>,
    /// BMS software version bytes 42-49, raw.
    pub software_version: Option<[u8; 8]>,
}

/// Length of BRM as the 2015 edition sends it.
pub const BRM_LEN: usize = 49;

impl Brm {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BRM_LEN);
        out.extend_from_slice(&self.version.0);
        out.push(self.battery_type.code());
        out.extend_from_slice(&volts_raw(self.rated_capacity_ah).to_le_bytes());
        out.extend_from_slice(&volts_raw(self.rated_voltage).to_le_bytes());
        let mut manufacturer = [0xFF; 4];
        if let Some(m) = &self.manufacturer {
            for (slot, b) in manufacturer.iter_mut().zip(m.bytes()) {
                *slot = b;
            }
        }
        out.extend_from_slice(&manufacturer);
        out.extend_from_slice(&self.pack_serial.unwrap_or(u32::MAX).to_le_bytes());
        match self.production_date {
            Some((y, m, d)) => {
                out.extend_from_slice(&[u8::try_from(y.saturating_sub(1985)).unwrap_or(0xFF), m, d])
            }
            None => out.extend_from_slice(&[0xFF; 3]),
        }
        let count = self.charge_count.unwrap_or(0x00FF_FFFF).min(0x00FF_FFFF);
        out.extend_from_slice(&count.to_le_bytes()[..3]);
        out.push(match self.owned {
            Some(true) => 1,
            Some(false) => 0,
            None => 0xFF,
        });
        out.push(0xFF);
        let mut vin = [0xFF; 17];
        if let Some(v) = &self.vin {
            for (slot, b) in vin.iter_mut().zip(v.bytes()) {
                *slot = b;
            }
        }
        out.extend_from_slice(&vin);
        out.extend_from_slice(&self.software_version.unwrap_or([0xFF; 8]));
        out
    }

    pub fn decode(data: &[u8]) -> Result<Brm, GbtDecodeError> {
        const M: &str = "BRM";
        need(M, data, 8)?;
        let battery_type = BatteryType::from_code(data[3]).ok_or_else(|| {
            out_of_range(
                M,
                "battery type",
                format!("{:#04x}", data[3]),
                "0x01-0x08 or 0xFF",
            )
        })?;
        let capacity = u16_at(data, 4);
        if capacity > 10_000 {
            return Err(out_of_range(
                M,
                "rated capacity",
                format!("{} Ah", volts(capacity)),
                "0-1000 Ah",
            ));
        }
        let voltage = u16_at(data, 6);
        if voltage > 7_500 {
            return Err(out_of_range(
                M,
                "rated total voltage",
                format!("{} V", volts(voltage)),
                "0-750 V",
            ));
        }
        let manufacturer = data.get(8..12).and_then(ascii_field);
        let pack_serial = data
            .get(12..16)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .filter(|s| *s != u32::MAX);
        let production_date = data
            .get(16..19)
            .filter(|b| *b != [0xFF; 3])
            .map(|b| (1985 + u16::from(b[0]), b[1], b[2]));
        let charge_count = data
            .get(19..22)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], 0]))
            .filter(|c| *c != 0x00FF_FFFF);
        let owned = match data.get(22) {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        };
        let vin = match data.get(24..41) {
            Some(b) if b.iter().all(|&c| c == 0xFF || c == 0x00) => None,
            Some(b) => Some(vin_field(b)?),
            None => None,
        };
        // All 1s: not sent (optional items are sent as 1s when absent, and encoded so).
        let software_version = data.get(41..49).filter(|b| *b != [0xFF; 8]).map(|b| {
            let mut v = [0u8; 8];
            v.copy_from_slice(b);
            v
        });
        Ok(Brm {
            version: ProtocolVersion([data[0], data[1], data[2]]),
            battery_type,
            rated_capacity_ah: volts(capacity),
            rated_voltage: volts(voltage),
            manufacturer,
            pack_serial,
            production_date,
            charge_count,
            owned,
            vin,
            software_version,
        })
    }
}

/// Printable ASCII with trailing 0xFF/0x00 padding removed; `None` if empty or not ASCII.
fn ascii_field(bytes: &[u8]) -> Option<String> {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0xFF && b != 0x00)
        .map_or(0, |i| i + 1);
    let text = &bytes[..end];
    if !text.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return None;
    }
    let text = String::from_utf8_lossy(text).trim().to_string();
    // Only blanks: as absent as padding (and encoded as padding).
    (!text.is_empty()).then_some(text)
}

/// A VIN: 17 characters from ISO 3779's alphabet (digits and capitals without I, O, Q).
fn vin_field(bytes: &[u8]) -> Result<String, GbtDecodeError> {
    let valid = bytes
        .iter()
        .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"IOQ".contains(b)));
    if !valid {
        return Err(GbtDecodeError::Encoding {
            message: "BRM",
            field: "VIN",
            why: format!("not 17 ISO 3779 characters: {bytes:02X?}"),
        });
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// BCP: the battery's charging parameters (13 bytes, transport protocol).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bcp {
    /// Highest allowed cell voltage, volts (0-24).
    pub max_cell_voltage: f32,
    /// Highest allowed charging current, amperes.
    pub max_current: f32,
    /// Nominal total energy, kWh.
    pub nominal_energy_kwh: f32,
    /// Highest allowed total charging voltage, volts.
    pub max_voltage: f32,
    /// Highest allowed battery temperature, °C.
    pub max_temperature_c: i16,
    pub soc_percent: f32,
    /// Present battery voltage, volts.
    pub battery_voltage: f32,
}

pub const BCP_LEN: usize = 13;

impl Bcp {
    pub fn encode(&self, codec: CurrentCodec) -> Vec<u8> {
        let mut out = Vec::with_capacity(BCP_LEN);
        let cell = (self.max_cell_voltage * 100.0)
            .round()
            .clamp(0.0, f32::from(MAX_CELL_RAW)) as u16;
        out.extend_from_slice(&cell.to_le_bytes());
        out.extend_from_slice(&codec.encode(self.max_current).to_le_bytes());
        out.extend_from_slice(&volts_raw(self.nominal_energy_kwh).to_le_bytes());
        out.extend_from_slice(&volts_raw(self.max_voltage).to_le_bytes());
        out.push(temperature_raw(self.max_temperature_c));
        let soc = (self.soc_percent * 10.0).round().clamp(0.0, 1000.0) as u16;
        out.extend_from_slice(&soc.to_le_bytes());
        out.extend_from_slice(&volts_raw(self.battery_voltage).to_le_bytes());
        out
    }

    pub fn decode(data: &[u8], codec: CurrentCodec) -> Result<Bcp, GbtDecodeError> {
        const M: &str = "BCP";
        need(M, data, BCP_LEN)?;
        let cell = u16_at(data, 0);
        if cell > MAX_CELL_RAW {
            return Err(out_of_range(
                M,
                "max cell voltage",
                format!("{} V", f32::from(cell) / 100.0),
                "0-24 V",
            ));
        }
        let max_current = codec.decode_charge(M, "max charging current", u16_at(data, 2))?;
        let max_voltage = u16_at(data, 6);
        if max_voltage == 0 || max_voltage == u16::MAX {
            return Err(out_of_range(
                M,
                "max total charging voltage",
                format!("{max_voltage:#06x}"),
                "a voltage above 0 V",
            ));
        }
        let soc = u16_at(data, 9);
        if soc > 1000 {
            return Err(out_of_range(
                M,
                "state of charge",
                format!("{} %", f32::from(soc) / 10.0),
                "0-100 %",
            ));
        }
        Ok(Bcp {
            max_cell_voltage: f32::from(cell) / 100.0,
            max_current,
            nominal_energy_kwh: volts(u16_at(data, 4)),
            max_voltage: volts(max_voltage),
            max_temperature_c: temperature(data[8]),
            soc_percent: f32::from(soc) / 10.0,
            battery_voltage: volts(u16_at(data, 11)),
        })
    }
}

/// Largest cell voltage BCP and BSD carry: 24 V in 0.01 V.
const MAX_CELL_RAW: u16 = 2400;

/// Temperatures are 1 °C/bit with a −50 °C offset (−50 to +200 °C).
fn temperature(raw: u8) -> i16 {
    i16::from(raw) - 50
}

fn temperature_raw(c: i16) -> u8 {
    u8::try_from((c + 50).clamp(0, 255)).unwrap_or(0)
}

/// Wall-clock time for CTS, as the charger's real-time clock gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargerTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// CTS: the charger's time, BCD; all 0xFF when the charger's clock is not valid (field notes §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cts {
    pub time: Option<ChargerTime>,
}

fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

fn from_bcd(message: &'static str, field: &'static str, b: u8) -> Result<u8, GbtDecodeError> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    if hi > 9 || lo > 9 {
        return Err(GbtDecodeError::Encoding {
            message,
            field,
            why: format!("{b:#04x} is not BCD"),
        });
    }
    Ok(hi * 10 + lo)
}

impl Cts {
    pub fn encode(&self) -> Vec<u8> {
        match self.time {
            Some(t) => {
                let year = t.year.min(9999);
                vec![
                    bcd(t.second),
                    bcd(t.minute),
                    bcd(t.hour),
                    bcd(t.day),
                    bcd(t.month),
                    bcd((year % 100) as u8),
                    bcd((year / 100) as u8),
                ]
            }
            None => vec![0xFF; 7],
        }
    }

    pub fn decode(data: &[u8]) -> Result<Cts, GbtDecodeError> {
        const M: &str = "CTS";
        need(M, data, 7)?;
        if data[..7] == [0xFF; 7] {
            return Ok(Cts { time: None });
        }
        let second = from_bcd(M, "second", data[0])?;
        let minute = from_bcd(M, "minute", data[1])?;
        let hour = from_bcd(M, "hour", data[2])?;
        let day = from_bcd(M, "day", data[3])?;
        let month = from_bcd(M, "month", data[4])?;
        let year = u16::from(from_bcd(M, "year", data[6])?) * 100
            + u16::from(from_bcd(M, "year", data[5])?);
        if second > 59 || minute > 59 || hour > 23 || !(1..=31).contains(&day) {
            return Err(out_of_range(
                M,
                "time of day",
                format!("{hour:02}:{minute:02}:{second:02} day {day}"),
                "a valid time",
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(out_of_range(M, "month", month, "1-12"));
        }
        Ok(Cts {
            time: Some(ChargerTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
            }),
        })
    }
}

/// CML: the charger's output range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cml {
    pub max_voltage: f32,
    pub min_voltage: f32,
    pub max_current: f32,
    pub min_current: f32,
}

impl Cml {
    pub fn encode(&self, codec: CurrentCodec) -> Vec<u8> {
        let mut out = Vec::with_capacity(8);
        out.extend_from_slice(&volts_raw(self.max_voltage).to_le_bytes());
        out.extend_from_slice(&volts_raw(self.min_voltage).to_le_bytes());
        out.extend_from_slice(&codec.encode(self.max_current).to_le_bytes());
        out.extend_from_slice(&codec.encode(self.min_current).to_le_bytes());
        out
    }

    pub fn decode(data: &[u8], codec: CurrentCodec) -> Result<Cml, GbtDecodeError> {
        const M: &str = "CML";
        need(M, data, 6)?;
        let max_current = codec.decode_charge(M, "max output current", u16_at(data, 4))?;
        // The minimum current was added in 2015; a 2011 charger sends 6 bytes.
        let min_current = match data.get(6..8) {
            Some(b) => {
                codec.decode_charge(M, "min output current", u16::from_le_bytes([b[0], b[1]]))?
            }
            None => 0.0,
        };
        Ok(Cml {
            max_voltage: volts(u16_at(data, 0)),
            min_voltage: volts(u16_at(data, 2)),
            max_current,
            min_current,
        })
    }
}

/// BRO: the battery is ready to charge (its contactors are closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bro {
    NotReady,
    Ready,
}

impl Bro {
    pub fn encode(&self) -> Vec<u8> {
        vec![match self {
            Bro::NotReady => 0x00,
            Bro::Ready => 0xAA,
        }]
    }

    pub fn decode(data: &[u8]) -> Result<Bro, GbtDecodeError> {
        need("BRO", data, 1)?;
        match data[0] {
            0x00 => Ok(Bro::NotReady),
            0xAA => Ok(Bro::Ready),
            other => Err(out_of_range(
                "BRO",
                "readiness",
                format!("{other:#04x}"),
                "0x00 or 0xAA",
            )),
        }
    }
}

/// CRO: the charger is ready (output precharged, contactors closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cro {
    pub ready: bool,
}

impl Cro {
    pub fn encode(&self) -> Vec<u8> {
        vec![if self.ready { 0xAA } else { 0x00 }]
    }

    pub fn decode(data: &[u8]) -> Result<Cro, GbtDecodeError> {
        need("CRO", data, 1)?;
        match data[0] {
            0x00 => Ok(Cro { ready: false }),
            0xAA => Ok(Cro { ready: true }),
            other => Err(out_of_range(
                "CRO",
                "readiness",
                format!("{other:#04x}"),
                "0x00 or 0xAA",
            )),
        }
    }
}

/// Charging mode requested in BCL byte 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeMode {
    ConstantVoltage,
    ConstantCurrent,
}

impl ChargeMode {
    pub fn name(self) -> &'static str {
        match self {
            ChargeMode::ConstantVoltage => "constant voltage",
            ChargeMode::ConstantCurrent => "constant current",
        }
    }
}

/// BCL: the battery's demand, every 50 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bcl {
    pub voltage: f32,
    pub current: f32,
    pub mode: ChargeMode,
}

impl Bcl {
    pub fn encode(&self, codec: CurrentCodec) -> Vec<u8> {
        let mut out = Vec::with_capacity(5);
        out.extend_from_slice(&volts_raw(self.voltage).to_le_bytes());
        out.extend_from_slice(&codec.encode(self.current).to_le_bytes());
        out.push(match self.mode {
            ChargeMode::ConstantVoltage => 0x01,
            ChargeMode::ConstantCurrent => 0x02,
        });
        out
    }

    pub fn decode(data: &[u8], codec: CurrentCodec) -> Result<Bcl, GbtDecodeError> {
        const M: &str = "BCL";
        need(M, data, 5)?;
        let voltage = u16_at(data, 0);
        if voltage == u16::MAX {
            return Err(out_of_range(M, "voltage demand", "0xffff", "0-6553.4 V"));
        }
        let current = codec.decode_charge(M, "current demand", u16_at(data, 2))?;
        let mode = match data[4] {
            0x01 => ChargeMode::ConstantVoltage,
            0x02 => ChargeMode::ConstantCurrent,
            other => {
                return Err(out_of_range(
                    M,
                    "charging mode",
                    format!("{other:#04x}"),
                    "0x01 (CV) or 0x02 (CC)",
                ))
            }
        };
        Ok(Bcl {
            voltage: volts(voltage),
            current,
            mode,
        })
    }
}

/// BCS: the battery's charging state (9 bytes, transport protocol).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bcs {
    pub measured_voltage: f32,
    /// Measured charging current (negative while discharging).
    pub measured_current: f32,
    /// Highest cell voltage, volts (0-24 in 0.01 V, 12 bits → up to 40.95).
    pub max_cell_voltage: f32,
    /// Group number of that cell (0-15).
    pub max_cell_group: u8,
    pub soc_percent: u8,
    /// Estimated remaining charging time, minutes (0-600).
    pub remaining_minutes: u16,
}

pub const BCS_LEN: usize = 9;

impl Bcs {
    pub fn encode(&self, codec: CurrentCodec) -> Vec<u8> {
        let mut out = Vec::with_capacity(BCS_LEN);
        out.extend_from_slice(&volts_raw(self.measured_voltage).to_le_bytes());
        out.extend_from_slice(&codec.encode(self.measured_current).to_le_bytes());
        let cell = (self.max_cell_voltage * 100.0).round().clamp(0.0, 4095.0) as u16;
        let packed = cell | (u16::from(self.max_cell_group & 0x0F) << 12);
        out.extend_from_slice(&packed.to_le_bytes());
        out.push(self.soc_percent.min(100));
        out.extend_from_slice(
            &self
                .remaining_minutes
                .min(MAX_REMAINING_MINUTES)
                .to_le_bytes(),
        );
        out
    }

    pub fn decode(data: &[u8], codec: CurrentCodec) -> Result<Bcs, GbtDecodeError> {
        const M: &str = "BCS";
        need(M, data, BCS_LEN)?;
        let packed = u16_at(data, 4);
        let soc = data[6];
        if soc > 100 {
            return Err(out_of_range(
                M,
                "state of charge",
                format!("{soc} %"),
                "0-100 %",
            ));
        }
        let remaining = u16_at(data, 7);
        if remaining > MAX_REMAINING_MINUTES {
            return Err(out_of_range(
                M,
                "remaining time",
                format!("{remaining} min"),
                "0-600 min",
            ));
        }
        Ok(Bcs {
            measured_voltage: volts(u16_at(data, 0)),
            measured_current: codec.decode(u16_at(data, 2)),
            max_cell_voltage: f32::from(packed & 0x0FFF) / 100.0,
            max_cell_group: (packed >> 12) as u8,
            soc_percent: soc,
            remaining_minutes: remaining,
        })
    }
}

/// CCS: the charger's output, every 50 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ccs {
    pub voltage: f32,
    pub current: f32,
    /// Cumulative charging time, minutes (0-600).
    pub charging_minutes: u16,
    /// The charger permits charging (00 = paused by the charger, 01 = allowed; 2015 addition).
    pub permitted: bool,
}

impl Ccs {
    pub fn encode(&self, codec: CurrentCodec) -> Vec<u8> {
        let mut out = Vec::with_capacity(8);
        out.extend_from_slice(&volts_raw(self.voltage).to_le_bytes());
        out.extend_from_slice(&codec.encode(self.current).to_le_bytes());
        out.extend_from_slice(
            &self
                .charging_minutes
                .min(MAX_REMAINING_MINUTES)
                .to_le_bytes(),
        );
        out.push(0xFC | u8::from(self.permitted));
        // Sent as DLC 8 (reference §2.2): the last byte is undefined and filled with 1s.
        out.push(0xFF);
        out
    }

    pub fn decode(data: &[u8], codec: CurrentCodec) -> Result<Ccs, GbtDecodeError> {
        const M: &str = "CCS";
        need(M, data, 6)?;
        // The permission bits were added in 2015; a 2011 charger sends 6 bytes and always allows.
        let permitted = match data.get(6).map(|b| b & 0b11) {
            None | Some(0b01) | Some(0b11) => true,
            Some(0b00) => false,
            Some(other) => {
                return Err(out_of_range(
                    M,
                    "charging permitted",
                    format!("{other:#04b}"),
                    "00 (pause) or 01 (allow)",
                ))
            }
        };
        Ok(Ccs {
            voltage: volts(u16_at(data, 0)),
            current: codec.decode(u16_at(data, 2)),
            // A counter past the field's 600 min reads as 600 (as it is sent): refusing CCS
            // for it would make a BMS time out on a charge that simply runs long.
            charging_minutes: u16_at(data, 4).min(MAX_REMAINING_MINUTES),
            permitted,
        })
    }
}

/// A high/low status field of BSM: 00 normal, 01 too high, 10 too low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    Normal,
    TooHigh,
    TooLow,
    NotAvailable,
}

impl Level {
    fn from_bits(bits: u8) -> Level {
        match bits & 0b11 {
            0b00 => Level::Normal,
            0b01 => Level::TooHigh,
            0b10 => Level::TooLow,
            _ => Level::NotAvailable,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Level::Normal => 0b00,
            Level::TooHigh => 0b01,
            Level::TooLow => 0b10,
            Level::NotAvailable => 0b11,
        }
    }
}

/// BSM: battery status, every 250 ms while charging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bsm {
    /// Number of the cell with the highest voltage (1-based; sent with a −1 offset).
    pub max_cell_number: u16,
    pub max_temperature_c: i16,
    pub max_temperature_probe: u16,
    pub min_temperature_c: i16,
    pub min_temperature_probe: u16,
    pub cell_voltage: Level,
    pub soc: Level,
    /// Over-current (01 = too high, 10 = untrusted).
    pub over_current: Signal,
    pub over_temperature: Signal,
    pub insulation: Signal,
    pub output_connector: Signal,
    /// The battery permits charging (false = the BMS pauses the charge).
    pub charging_permitted: bool,
}

impl Default for Bsm {
    fn default() -> Self {
        Bsm {
            max_cell_number: 1,
            max_temperature_c: 25,
            max_temperature_probe: 1,
            min_temperature_c: 25,
            min_temperature_probe: 1,
            cell_voltage: Level::Normal,
            soc: Level::Normal,
            over_current: Signal::Normal,
            over_temperature: Signal::Normal,
            insulation: Signal::Normal,
            output_connector: Signal::Normal,
            charging_permitted: true,
        }
    }
}

impl Bsm {
    pub fn encode(&self) -> Vec<u8> {
        let byte = |n: u16| u8::try_from(n).unwrap_or(0xFE);
        vec![
            byte(self.max_cell_number.saturating_sub(1)),
            temperature_raw(self.max_temperature_c),
            byte(self.max_temperature_probe),
            temperature_raw(self.min_temperature_c),
            byte(self.min_temperature_probe),
            self.cell_voltage.bits()
                | (self.soc.bits() << 2)
                | (self.over_current.bits() << 4)
                | (self.over_temperature.bits() << 6),
            self.insulation.bits()
                | (self.output_connector.bits() << 2)
                | (u8::from(self.charging_permitted) << 4)
                | 0xC0,
        ]
    }

    pub fn decode(data: &[u8]) -> Result<Bsm, GbtDecodeError> {
        const M: &str = "BSM";
        need(M, data, 7)?;
        let permitted = match (data[6] >> 4) & 0b11 {
            0b00 => false,
            0b01 => true,
            other => {
                return Err(out_of_range(
                    M,
                    "charging permitted",
                    format!("{other:#04b}"),
                    "00 (forbid) or 01 (allow)",
                ))
            }
        };
        Ok(Bsm {
            max_cell_number: u16::from(data[0]) + 1,
            max_temperature_c: temperature(data[1]),
            max_temperature_probe: u16::from(data[2]),
            min_temperature_c: temperature(data[3]),
            min_temperature_probe: u16::from(data[4]),
            cell_voltage: Level::from_bits(data[5]),
            soc: Level::from_bits(data[5] >> 2),
            over_current: signal(data[5], 2),
            over_temperature: signal(data[5], 3),
            insulation: signal(data[6], 0),
            output_connector: signal(data[6], 1),
            charging_permitted: permitted,
        })
    }

    /// The battery faults that must end a charge, human-readable; empty when there are none.
    pub fn faults(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.cell_voltage == Level::TooHigh {
            out.push("cell voltage too high".to_string());
        }
        if self.soc == Level::TooHigh {
            out.push("SOC too high".to_string());
        }
        for (s, what) in [
            (self.over_current, "over-current"),
            (self.over_temperature, "over-temperature"),
            (self.insulation, "insulation fault"),
            (self.output_connector, "output connector fault"),
        ] {
            match s {
                Signal::Set => out.push(what.to_string()),
                Signal::Untrusted => out.push(format!("{what} (untrusted)")),
                Signal::Normal | Signal::NotAvailable => {}
            }
        }
        out
    }
}

/// BMV: voltage of every cell (2 bytes each: 12 bits of 0.01 V, 4 bits of group number).
#[derive(Debug, Clone, PartialEq)]
pub struct Bmv {
    /// (volts, group) per cell.
    pub cells: Vec<(f32, u8)>,
}

impl Bmv {
    pub fn encode(&self) -> Vec<u8> {
        self.cells
            .iter()
            .flat_map(|&(v, g)| {
                let raw =
                    (v * 100.0).round().clamp(0.0, 4095.0) as u16 | (u16::from(g & 0x0F) << 12);
                raw.to_le_bytes()
            })
            .collect()
    }

    pub fn decode(data: &[u8]) -> Result<Bmv, GbtDecodeError> {
        if data.len() % 2 != 0 || data.len() > 512 {
            return Err(GbtDecodeError::Encoding {
                message: "BMV",
                field: "cells",
                why: format!("{} bytes: not 2 per cell, at most 256 cells", data.len()),
            });
        }
        Ok(Bmv {
            cells: data
                .chunks_exact(2)
                .map(|c| {
                    let raw = u16::from_le_bytes([c[0], c[1]]);
                    (f32::from(raw & 0x0FFF) / 100.0, (raw >> 12) as u8)
                })
                .collect(),
        })
    }
}

/// BMT: temperature of every probe, °C.
#[derive(Debug, Clone, PartialEq)]
pub struct Bmt {
    pub probes: Vec<i16>,
}

impl Bmt {
    pub fn encode(&self) -> Vec<u8> {
        self.probes.iter().map(|&t| temperature_raw(t)).collect()
    }

    pub fn decode(data: &[u8]) -> Result<Bmt, GbtDecodeError> {
        if data.len() > 128 {
            return Err(GbtDecodeError::Encoding {
                message: "BMT",
                field: "probes",
                why: format!("{} probes, at most 128", data.len()),
            });
        }
        Ok(Bmt {
            probes: data.iter().map(|&b| temperature(b)).collect(),
        })
    }
}

/// Why the BMS stops (BST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bst {
    /// Byte 1: normal reasons.
    pub soc_reached: Signal,
    pub total_voltage_reached: Signal,
    pub cell_voltage_reached: Signal,
    /// The BMS stops because the charger did (CST received).
    pub charger_stopped: Signal,
    /// Bytes 2-3: faults.
    pub insulation: Signal,
    pub output_connector_over_temperature: Signal,
    pub bms_component_over_temperature: Signal,
    pub charging_connector: Signal,
    pub battery_over_temperature: Signal,
    pub high_voltage_relay: Signal,
    pub cc2_voltage: Signal,
    pub other_fault: Signal,
    /// Byte 4: errors.
    pub current_too_high: Signal,
    pub voltage_abnormal: Signal,
}

impl Bst {
    pub fn encode(&self) -> Vec<u8> {
        vec![
            pack([
                self.soc_reached,
                self.total_voltage_reached,
                self.cell_voltage_reached,
                self.charger_stopped,
            ]),
            pack([
                self.insulation,
                self.output_connector_over_temperature,
                self.bms_component_over_temperature,
                self.charging_connector,
            ]),
            pack([
                self.battery_over_temperature,
                self.high_voltage_relay,
                self.cc2_voltage,
                self.other_fault,
            ]),
            pack([
                self.current_too_high,
                self.voltage_abnormal,
                Signal::NotAvailable,
                Signal::NotAvailable,
            ]),
        ]
    }

    pub fn decode(data: &[u8]) -> Result<Bst, GbtDecodeError> {
        need("BST", data, 4)?;
        Ok(Bst {
            soc_reached: signal(data[0], 0),
            total_voltage_reached: signal(data[0], 1),
            cell_voltage_reached: signal(data[0], 2),
            charger_stopped: signal(data[0], 3),
            insulation: signal(data[1], 0),
            output_connector_over_temperature: signal(data[1], 1),
            bms_component_over_temperature: signal(data[1], 2),
            charging_connector: signal(data[1], 3),
            battery_over_temperature: signal(data[2], 0),
            high_voltage_relay: signal(data[2], 1),
            cc2_voltage: signal(data[2], 2),
            other_fault: signal(data[2], 3),
            current_too_high: signal(data[3], 0),
            voltage_abnormal: signal(data[3], 1),
        })
    }

    /// Fault and error bits raised, human-readable; empty for a normal stop.
    pub fn faults(&self) -> Vec<&'static str> {
        [
            (self.insulation, "insulation fault"),
            (
                self.output_connector_over_temperature,
                "output connector over-temperature",
            ),
            (
                self.bms_component_over_temperature,
                "BMS component over-temperature",
            ),
            (self.charging_connector, "charging connector fault"),
            (self.battery_over_temperature, "battery over-temperature"),
            (self.high_voltage_relay, "high-voltage relay fault"),
            (self.cc2_voltage, "CC2 voltage fault"),
            (self.other_fault, "other fault"),
            (self.current_too_high, "current too high"),
            (self.voltage_abnormal, "voltage abnormal"),
        ]
        .into_iter()
        .filter(|(s, _)| s.is_raised())
        .map(|(_, what)| what)
        .collect()
    }

    /// The normal reasons raised, human-readable.
    pub fn reasons(&self) -> Vec<&'static str> {
        [
            (self.soc_reached, "target SOC reached"),
            (
                self.total_voltage_reached,
                "total voltage set-point reached",
            ),
            (self.cell_voltage_reached, "cell voltage set-point reached"),
            (self.charger_stopped, "charger stopped"),
        ]
        .into_iter()
        .filter(|(s, _)| *s == Signal::Set)
        .map(|(_, what)| what)
        .collect()
    }
}

/// Why the charger stops (CST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cst {
    /// Byte 1.
    pub condition_reached: Signal,
    pub manual: Signal,
    pub fault: Signal,
    /// The charger stops because the BMS did (BST received).
    pub bms_stopped: Signal,
    /// Bytes 2-3.
    pub over_temperature: Signal,
    pub connector_fault: Signal,
    pub internal_over_temperature: Signal,
    pub energy_unavailable: Signal,
    pub emergency_stop: Signal,
    pub other_fault: Signal,
    /// Byte 4.
    pub current_mismatch: Signal,
    pub voltage_abnormal: Signal,
}

impl Cst {
    pub fn encode(&self) -> Vec<u8> {
        vec![
            pack([
                self.condition_reached,
                self.manual,
                self.fault,
                self.bms_stopped,
            ]),
            pack([
                self.over_temperature,
                self.connector_fault,
                self.internal_over_temperature,
                self.energy_unavailable,
            ]),
            pack([
                self.emergency_stop,
                self.other_fault,
                Signal::NotAvailable,
                Signal::NotAvailable,
            ]),
            pack([
                self.current_mismatch,
                self.voltage_abnormal,
                Signal::NotAvailable,
                Signal::NotAvailable,
            ]),
        ]
    }

    pub fn decode(data: &[u8]) -> Result<Cst, GbtDecodeError> {
        need("CST", data, 4)?;
        Ok(Cst {
            condition_reached: signal(data[0], 0),
            manual: signal(data[0], 1),
            fault: signal(data[0], 2),
            bms_stopped: signal(data[0], 3),
            over_temperature: signal(data[1], 0),
            connector_fault: signal(data[1], 1),
            internal_over_temperature: signal(data[1], 2),
            energy_unavailable: signal(data[1], 3),
            emergency_stop: signal(data[2], 0),
            other_fault: signal(data[2], 1),
            current_mismatch: signal(data[3], 0),
            voltage_abnormal: signal(data[3], 1),
        })
    }
}

/// BSD: the battery's statistics at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bsd {
    pub soc_percent: u8,
    pub min_cell_voltage: f32,
    pub max_cell_voltage: f32,
    pub min_temperature_c: i16,
    pub max_temperature_c: i16,
}

impl Bsd {
    pub fn encode(&self) -> Vec<u8> {
        let cell =
            |v: f32| ((v * 100.0).round().clamp(0.0, f32::from(MAX_CELL_RAW)) as u16).to_le_bytes();
        let mut out = vec![self.soc_percent.min(100)];
        out.extend_from_slice(&cell(self.min_cell_voltage));
        out.extend_from_slice(&cell(self.max_cell_voltage));
        out.push(temperature_raw(self.min_temperature_c));
        out.push(temperature_raw(self.max_temperature_c));
        out
    }

    pub fn decode(data: &[u8]) -> Result<Bsd, GbtDecodeError> {
        const M: &str = "BSD";
        need(M, data, 7)?;
        if data[0] > 100 {
            return Err(out_of_range(
                M,
                "state of charge",
                format!("{} %", data[0]),
                "0-100 %",
            ));
        }
        // Cell voltages beyond the field's 24 V (e.g. 0xFFFF for "not available") read as 24 V,
        // as they are sent: BSD is statistics, and refusing it would time the stop out.
        let cell = |i: usize| f32::from(u16_at(data, i).min(MAX_CELL_RAW)) / 100.0;
        Ok(Bsd {
            soc_percent: data[0],
            min_cell_voltage: cell(1),
            max_cell_voltage: cell(3),
            min_temperature_c: temperature(data[5]),
            max_temperature_c: temperature(data[6]),
        })
    }
}

/// CSD: the charger's statistics at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Csd {
    pub charging_minutes: u16,
    pub energy_kwh: f32,
    pub charger_number: u32,
}

impl Csd {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8);
        out.extend_from_slice(
            &self
                .charging_minutes
                .min(MAX_REMAINING_MINUTES)
                .to_le_bytes(),
        );
        out.extend_from_slice(&volts_raw(self.energy_kwh).to_le_bytes());
        out.extend_from_slice(&self.charger_number.to_le_bytes());
        out
    }

    pub fn decode(data: &[u8]) -> Result<Csd, GbtDecodeError> {
        need("CSD", data, 8)?;
        Ok(Csd {
            // As in CCS.
            charging_minutes: u16_at(data, 0).min(MAX_REMAINING_MINUTES),
            energy_kwh: volts(u16_at(data, 2)),
            charger_number: u32::from_le_bytes([data[4], data[5], data[6], data[7]]),
        })
    }
}

/// BEM: the BMS reports which charger message it timed out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bem {
    pub crm_00: Signal,
    pub crm_aa: Signal,
    pub cts_cml: Signal,
    pub cro: Signal,
    pub ccs: Signal,
    pub cst: Signal,
    pub csd: Signal,
}

impl Bem {
    pub fn encode(&self) -> Vec<u8> {
        let na = Signal::NotAvailable;
        vec![
            pack([self.crm_00, self.crm_aa, na, na]),
            pack([self.cts_cml, self.cro, na, na]),
            pack([self.ccs, self.cst, na, na]),
            pack([self.csd, na, na, na]),
        ]
    }

    pub fn decode(data: &[u8]) -> Result<Bem, GbtDecodeError> {
        need("BEM", data, 4)?;
        Ok(Bem {
            crm_00: signal(data[0], 0),
            crm_aa: signal(data[0], 1),
            cts_cml: signal(data[1], 0),
            cro: signal(data[1], 1),
            ccs: signal(data[2], 0),
            cst: signal(data[2], 1),
            csd: signal(data[3], 0),
        })
    }

    /// The charger messages the BMS says it missed.
    pub fn timeouts(&self) -> Vec<&'static str> {
        [
            (self.crm_00, "CRM(00)"),
            (self.crm_aa, "CRM(AA)"),
            (self.cts_cml, "CTS/CML"),
            (self.cro, "CRO"),
            (self.ccs, "CCS"),
            (self.cst, "CST"),
            (self.csd, "CSD"),
        ]
        .into_iter()
        .filter(|(s, _)| *s == Signal::Set)
        .map(|(_, what)| what)
        .collect()
    }
}

/// A BMS message the charger timed out on, as CEM reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BmsTimeout {
    Brm,
    Bcp,
    Bro,
    Bcs,
    Bcl,
    Bst,
    Bsd,
}

impl BmsTimeout {
    pub fn name(self) -> &'static str {
        match self {
            BmsTimeout::Brm => "BRM",
            BmsTimeout::Bcp => "BCP",
            BmsTimeout::Bro => "BRO",
            BmsTimeout::Bcs => "BCS",
            BmsTimeout::Bcl => "BCL",
            BmsTimeout::Bst => "BST",
            BmsTimeout::Bsd => "BSD",
        }
    }
}

/// CEM: the charger reports which BMS message it timed out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cem {
    pub brm: Signal,
    pub bcp: Signal,
    pub bro: Signal,
    pub bcs: Signal,
    pub bcl: Signal,
    pub bst: Signal,
    pub bsd: Signal,
}

impl Cem {
    /// A CEM with just `timeout` set.
    pub fn for_timeout(timeout: BmsTimeout) -> Cem {
        let mut cem = Cem::default();
        let slot = match timeout {
            BmsTimeout::Brm => &mut cem.brm,
            BmsTimeout::Bcp => &mut cem.bcp,
            BmsTimeout::Bro => &mut cem.bro,
            BmsTimeout::Bcs => &mut cem.bcs,
            BmsTimeout::Bcl => &mut cem.bcl,
            BmsTimeout::Bst => &mut cem.bst,
            BmsTimeout::Bsd => &mut cem.bsd,
        };
        *slot = Signal::Set;
        cem
    }

    pub fn encode(&self) -> Vec<u8> {
        let na = Signal::NotAvailable;
        vec![
            pack([self.brm, na, na, na]),
            pack([self.bcp, self.bro, na, na]),
            pack([self.bcs, self.bcl, self.bst, na]),
            pack([self.bsd, na, na, na]),
        ]
    }

    pub fn decode(data: &[u8]) -> Result<Cem, GbtDecodeError> {
        need("CEM", data, 4)?;
        Ok(Cem {
            brm: signal(data[0], 0),
            bcp: signal(data[1], 0),
            bro: signal(data[1], 1),
            bcs: signal(data[2], 0),
            bcl: signal(data[2], 1),
            bst: signal(data[2], 2),
            bsd: signal(data[3], 0),
        })
    }

    /// The BMS messages the charger says it missed.
    pub fn timeouts(&self) -> Vec<BmsTimeout> {
        [
            (self.brm, BmsTimeout::Brm),
            (self.bcp, BmsTimeout::Bcp),
            (self.bro, BmsTimeout::Bro),
            (self.bcs, BmsTimeout::Bcs),
            (self.bcl, BmsTimeout::Bcl),
            (self.bst, BmsTimeout::Bst),
            (self.bsd, BmsTimeout::Bsd),
        ]
        .into_iter()
        .filter(|(s, _)| *s == Signal::Set)
        .map(|(_, t)| t)
        .collect()
    }
}

/// Any message the BMS sends, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum BmsMessage {
    Bhm(Bhm),
    Brm(Brm),
    Bcp(Bcp),
    Bro(Bro),
    Bcl(Bcl),
    Bcs(Bcs),
    Bsm(Bsm),
    Bmv(Bmv),
    Bmt(Bmt),
    /// Reserved battery parameters, kept raw.
    Bsp(Vec<u8>),
    Bst(Bst),
    Bsd(Bsd),
    Bem(Bem),
}

impl BmsMessage {
    pub fn decode(
        pgn: u32,
        data: &[u8],
        codec: CurrentCodec,
    ) -> Result<BmsMessage, GbtDecodeError> {
        Ok(match pgn {
            pgn::BHM => BmsMessage::Bhm(Bhm::decode(data)?),
            pgn::BRM => BmsMessage::Brm(Brm::decode(data)?),
            pgn::BCP => BmsMessage::Bcp(Bcp::decode(data, codec)?),
            pgn::BRO => BmsMessage::Bro(Bro::decode(data)?),
            pgn::BCL => BmsMessage::Bcl(Bcl::decode(data, codec)?),
            pgn::BCS => BmsMessage::Bcs(Bcs::decode(data, codec)?),
            pgn::BSM => BmsMessage::Bsm(Bsm::decode(data)?),
            pgn::BMV => BmsMessage::Bmv(Bmv::decode(data)?),
            pgn::BMT => BmsMessage::Bmt(Bmt::decode(data)?),
            pgn::BSP => {
                if data.len() > 16 {
                    return Err(GbtDecodeError::Encoding {
                        message: "BSP",
                        field: "parameters",
                        why: format!("{} bytes, at most 16", data.len()),
                    });
                }
                BmsMessage::Bsp(data.to_vec())
            }
            pgn::BST => BmsMessage::Bst(Bst::decode(data)?),
            pgn::BSD => BmsMessage::Bsd(Bsd::decode(data)?),
            pgn::BEM => BmsMessage::Bem(Bem::decode(data)?),
            other => return Err(GbtDecodeError::UnknownPgn(other)),
        })
    }

    /// PGN, J1939 priority and payload, ready for a frame or the transport protocol.
    pub fn encode(&self, codec: CurrentCodec) -> (u32, u8, Vec<u8>) {
        match self {
            BmsMessage::Bhm(m) => (pgn::BHM, 6, m.encode()),
            BmsMessage::Brm(m) => (pgn::BRM, 7, m.encode()),
            BmsMessage::Bcp(m) => (pgn::BCP, 7, m.encode(codec)),
            BmsMessage::Bro(m) => (pgn::BRO, 4, m.encode()),
            BmsMessage::Bcl(m) => (pgn::BCL, 6, m.encode(codec)),
            BmsMessage::Bcs(m) => (pgn::BCS, 7, m.encode(codec)),
            BmsMessage::Bsm(m) => (pgn::BSM, 6, m.encode()),
            BmsMessage::Bmv(m) => (pgn::BMV, 7, m.encode()),
            BmsMessage::Bmt(m) => (pgn::BMT, 7, m.encode()),
            BmsMessage::Bsp(m) => (pgn::BSP, 7, m.clone()),
            BmsMessage::Bst(m) => (pgn::BST, 4, m.encode()),
            BmsMessage::Bsd(m) => (pgn::BSD, 6, m.encode()),
            BmsMessage::Bem(m) => (pgn::BEM, 2, m.encode()),
        }
    }
}

/// Any message the charger sends, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargerMessage {
    Chm(Chm),
    Crm(Crm),
    Cts(Cts),
    Cml(Cml),
    Cro(Cro),
    Ccs(Ccs),
    Cst(Cst),
    Csd(Csd),
    Cem(Cem),
}

impl ChargerMessage {
    pub fn decode(
        pgn: u32,
        data: &[u8],
        codec: CurrentCodec,
    ) -> Result<ChargerMessage, GbtDecodeError> {
        Ok(match pgn {
            pgn::CHM => ChargerMessage::Chm(Chm::decode(data)?),
            pgn::CRM => ChargerMessage::Crm(Crm::decode(data)?),
            pgn::CTS => ChargerMessage::Cts(Cts::decode(data)?),
            pgn::CML => ChargerMessage::Cml(Cml::decode(data, codec)?),
            pgn::CRO => ChargerMessage::Cro(Cro::decode(data)?),
            pgn::CCS => ChargerMessage::Ccs(Ccs::decode(data, codec)?),
            pgn::CST => ChargerMessage::Cst(Cst::decode(data)?),
            pgn::CSD => ChargerMessage::Csd(Csd::decode(data)?),
            pgn::CEM => ChargerMessage::Cem(Cem::decode(data)?),
            other => return Err(GbtDecodeError::UnknownPgn(other)),
        })
    }

    /// PGN, J1939 priority and payload.
    pub fn encode(&self, codec: CurrentCodec) -> (u32, u8, Vec<u8>) {
        match self {
            ChargerMessage::Chm(m) => (pgn::CHM, 6, m.encode()),
            ChargerMessage::Crm(m) => (pgn::CRM, 6, m.encode()),
            ChargerMessage::Cts(m) => (pgn::CTS, 6, m.encode()),
            ChargerMessage::Cml(m) => (pgn::CML, 6, m.encode(codec)),
            ChargerMessage::Cro(m) => (pgn::CRO, 4, m.encode()),
            ChargerMessage::Ccs(m) => (pgn::CCS, 6, m.encode(codec)),
            ChargerMessage::Cst(m) => (pgn::CST, 4, m.encode()),
            ChargerMessage::Csd(m) => (pgn::CSD, 6, m.encode()),
            ChargerMessage::Cem(m) => (pgn::CEM, 2, m.encode()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Payloads from the TYU trace (reference §2.6).
    const BRM_TRACE: [u8; 49] = [
        0x01, 0x01, 0x00, 0x06, 0xB4, 0x00, 0x39, 0x13, 0x4B, 0x4C, 0x49, 0x45, 0x01, 0x00, 0x00,
        0x00, 0x1E, 0x01, 0x01, 0x01, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF,
    ];

    #[test]
    fn trace_brm_decodes() {
        let brm = Brm::decode(&BRM_TRACE).unwrap();
        assert_eq!(brm.version, ProtocolVersion::V1_1);
        assert_eq!(brm.battery_type, BatteryType::Ternary);
        assert!((brm.rated_capacity_ah - 18.0).abs() < 1e-3);
        assert!((brm.rated_voltage - 492.1).abs() < 1e-3);
        assert_eq!(brm.manufacturer.as_deref(), Some("KLIE"));
        assert_eq!(brm.production_date, Some((2015, 1, 1)));
        assert_eq!(brm.vin, None, "an all-zero VIN is absent");
    }

    #[test]
    fn trace_bcp_cml_bcl_ccs_decode() {
        let bcp = Bcp::decode(
            &[
                0x9E, 0x01, 0xB8, 0x0B, 0x4E, 0x00, 0x8E, 0x17, 0x6E, 0xCA, 0x03, 0x24, 0x13,
            ],
            CurrentCodec::Offset400,
        )
        .unwrap();
        assert!((bcp.max_cell_voltage - 4.14).abs() < 1e-4);
        assert!((bcp.max_current - 100.0).abs() < 1e-3);
        assert!((bcp.nominal_energy_kwh - 7.8).abs() < 1e-3);
        assert!((bcp.max_voltage - 603.0).abs() < 1e-3);
        assert_eq!(bcp.max_temperature_c, 60);
        assert!((bcp.soc_percent - 97.0).abs() < 1e-3);
        assert!((bcp.battery_voltage - 490.0).abs() < 1e-3);
        assert_eq!(
            bcp.encode(CurrentCodec::Offset400),
            [0x9E, 0x01, 0xB8, 0x0B, 0x4E, 0x00, 0x8E, 0x17, 0x6E, 0xCA, 0x03, 0x24, 0x13]
        );

        let cml_bytes = [0x58, 0x1B, 0xD0, 0x07, 0xD8, 0x0E, 0xA0, 0x0F];
        let cml = Cml::decode(&cml_bytes, CurrentCodec::Offset400).unwrap();
        assert_eq!(
            cml,
            Cml {
                max_voltage: 700.0,
                min_voltage: 200.0,
                max_current: 20.0,
                min_current: 0.0
            }
        );
        assert_eq!(cml.encode(CurrentCodec::Offset400), cml_bytes);

        let bcl = Bcl::decode(&[0x52, 0x17, 0x82, 0x0F, 0x02], CurrentCodec::Offset400).unwrap();
        assert!((bcl.voltage - 597.0).abs() < 1e-3);
        assert!((bcl.current - 3.0).abs() < 1e-3);
        assert_eq!(bcl.mode, ChargeMode::ConstantCurrent);

        let ccs_bytes = [0x2A, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0xFD, 0xFF];
        let ccs = Ccs::decode(&ccs_bytes, CurrentCodec::Offset400).unwrap();
        assert!((ccs.voltage - 4.2).abs() < 1e-3);
        assert_eq!(ccs.current, 0.0);
        assert!(ccs.permitted);
        assert_eq!(ccs.encode(CurrentCodec::Offset400), ccs_bytes);
    }

    #[test]
    fn trace_cts_bem_and_bsm() {
        let cts = Cts::decode(&[0x36, 0x24, 0x08, 0x16, 0x05, 0x15, 0x20]).unwrap();
        assert_eq!(
            cts.time,
            Some(ChargerTime {
                year: 2015,
                month: 5,
                day: 16,
                hour: 8,
                minute: 24,
                second: 36
            })
        );
        assert_eq!(cts.encode(), [0x36, 0x24, 0x08, 0x16, 0x05, 0x15, 0x20]);
        assert_eq!(Cts { time: None }.encode(), [0xFF; 7]);

        let bem = Bem::decode(&[0xF0, 0xF0, 0xF1, 0xFC]).unwrap();
        assert_eq!(bem.timeouts(), ["CCS"]);
        assert_eq!(
            Bem {
                ccs: Signal::Set,
                ..Bem::default()
            }
            .encode(),
            [0xF0, 0xF0, 0xF1, 0xFC]
        );

        let bsm = Bsm::decode(&[0x42, 0x4B, 0x01, 0x4A, 0x1B, 0x00, 0xD0]).unwrap();
        assert_eq!(bsm.max_cell_number, 0x43);
        assert_eq!(bsm.max_temperature_c, 25);
        assert_eq!(bsm.min_temperature_c, 24);
        assert!(bsm.charging_permitted);
        assert!(bsm.faults().is_empty());
        assert_eq!(Bsm::decode(&bsm.encode()).unwrap(), bsm);
    }

    #[test]
    fn cem_bits_match_the_field_code_bases() {
        // YYX bases FC F0 C0 FC, OR 0x01 / 0x04 / 0x10 per timeout (reference §2.3).
        let cases = [
            (BmsTimeout::Brm, [0xFD, 0xF0, 0xC0, 0xFC]),
            (BmsTimeout::Bcp, [0xFC, 0xF1, 0xC0, 0xFC]),
            (BmsTimeout::Bro, [0xFC, 0xF4, 0xC0, 0xFC]),
            (BmsTimeout::Bcs, [0xFC, 0xF0, 0xC1, 0xFC]),
            (BmsTimeout::Bcl, [0xFC, 0xF0, 0xC4, 0xFC]),
            (BmsTimeout::Bst, [0xFC, 0xF0, 0xD0, 0xFC]),
            (BmsTimeout::Bsd, [0xFC, 0xF0, 0xC0, 0xFD]),
        ];
        for (timeout, bytes) in cases {
            let cem = Cem::for_timeout(timeout);
            assert_eq!(cem.encode(), bytes, "{timeout:?}");
            assert_eq!(Cem::decode(&bytes).unwrap().timeouts(), [timeout]);
        }
    }

    #[test]
    fn cst_matches_field_code_examples() {
        // YYX: BMS-initiated → byte1 |= 0x40; manual → |= 0x04; connector fault → byte1 |= 0x10,
        // byte2 |= 0x04; bytes 3 and 4 base 0xF0.
        let by_bms = Cst {
            bms_stopped: Signal::Set,
            ..Cst::default()
        };
        assert_eq!(by_bms.encode(), [0x40, 0x00, 0xF0, 0xF0]);
        let manual = Cst {
            manual: Signal::Set,
            ..Cst::default()
        };
        assert_eq!(manual.encode()[0], 0x04);
        let connector = Cst {
            fault: Signal::Set,
            connector_fault: Signal::Set,
            ..Cst::default()
        };
        assert_eq!(connector.encode(), [0x10, 0x04, 0xF0, 0xF0]);
        assert_eq!(Cst::decode(&connector.encode()).unwrap(), connector);
    }

    #[test]
    fn current_codecs_and_ranges() {
        assert_eq!(CurrentCodec::Offset400.encode(20.0), 0x0ED8);
        assert_eq!(CurrentCodec::Offset400.decode(0x0ED8), 20.0);
        assert_eq!(CurrentCodec::Offset800.encode(20.0), 8000 - 200);
        assert_eq!(
            CurrentCodec::Offset400.encode(1000.0),
            0,
            "clamped, not wrapped"
        );
        // A demand that would discharge the battery is refused.
        let bad = Bcl {
            voltage: 600.0,
            current: -5.0,
            mode: ChargeMode::ConstantCurrent,
        }
        .encode(CurrentCodec::Offset400);
        assert!(matches!(
            Bcl::decode(&bad, CurrentCodec::Offset400),
            Err(GbtDecodeError::OutOfRange { .. })
        ));
        assert!(Bcs::decode(&[0; 9], CurrentCodec::Offset400).is_ok());
        let mut soc = [0u8; 9];
        soc[6] = 101;
        assert!(Bcs::decode(&soc, CurrentCodec::Offset400).is_err());
        assert!(Bcl::decode(&[0, 0, 0, 0, 3], CurrentCodec::Offset400).is_err());
        assert!(matches!(
            Bhm::decode(&[1]),
            Err(GbtDecodeError::TooShort { .. })
        ));
    }

    #[test]
    fn round_trips() {
        let brm = Brm {
            version: ProtocolVersion::V1_1,
            battery_type: BatteryType::LithiumIronPhosphate,
            rated_capacity_ah: 540.0,
            rated_voltage: 618.2,
            manufacturer: Some("CATL".into()),
            pack_serial: Some(42),
            production_date: Some((2025, 6, 30)),
            charge_count: Some(1234),
            owned: Some(true),
            vin: Some("LGHC4V1D5PE000123".into()),
            software_version: None,
        };
        let bytes = brm.encode();
        assert_eq!(bytes.len(), BRM_LEN);
        let back = Brm::decode(&bytes).unwrap();
        assert_eq!(back.vin, brm.vin);
        assert_eq!(back.manufacturer, brm.manufacturer);
        assert_eq!(back.production_date, brm.production_date);
        assert_eq!(back.charge_count, brm.charge_count);
        let mut bad_vin = bytes.clone();
        bad_vin[30] = b'o';
        assert!(matches!(
            Brm::decode(&bad_vin),
            Err(GbtDecodeError::Encoding { .. })
        ));

        let bst = Bst {
            soc_reached: Signal::Set,
            battery_over_temperature: Signal::Set,
            ..Bst::default()
        };
        let back = Bst::decode(&bst.encode()).unwrap();
        assert_eq!(back, bst);
        assert_eq!(back.faults(), ["battery over-temperature"]);
        assert_eq!(back.reasons(), ["target SOC reached"]);

        let bsd = Bsd {
            soc_percent: 80,
            min_cell_voltage: 3.91,
            max_cell_voltage: 3.95,
            min_temperature_c: 28,
            max_temperature_c: 34,
        };
        assert_eq!(Bsd::decode(&bsd.encode()).unwrap(), bsd);
        let csd = Csd {
            charging_minutes: 95,
            energy_kwh: 210.4,
            charger_number: 7,
        };
        assert_eq!(Csd::decode(&csd.encode()).unwrap(), csd);
        let bmv = Bmv {
            cells: vec![(3.9, 1), (3.91, 2)],
        };
        assert_eq!(Bmv::decode(&bmv.encode()).unwrap(), bmv);
    }
}

/// The message name of a GB/T PGN (`None`: not one of GB/T 27930's).
pub fn pgn_name(pgn: u32) -> Option<&'static str> {
    Some(match pgn {
        pgn::CRM => "CRM",
        pgn::BRM => "BRM",
        pgn::BCP => "BCP",
        pgn::CTS => "CTS",
        pgn::CML => "CML",
        pgn::BRO => "BRO",
        pgn::CRO => "CRO",
        pgn::BCL => "BCL",
        pgn::BCS => "BCS",
        pgn::CCS => "CCS",
        pgn::BSM => "BSM",
        pgn::BMV => "BMV",
        pgn::BMT => "BMT",
        pgn::BSP => "BSP",
        pgn::BST => "BST",
        pgn::CST => "CST",
        pgn::BSD => "BSD",
        pgn::CSD => "CSD",
        pgn::BEM => "BEM",
        pgn::CEM => "CEM",
        pgn::CHM => "CHM",
        pgn::BHM => "BHM",
        _ => return None,
    })
}

/// One frame as `chargerctl hw can-dump` shows it: source and destination, the message name,
/// and its fields where the frame carries the whole message (a multi-packet message shows as
/// its transport frames, with the PGN they carry). Currents with `codec`.
pub fn describe(frame: &crate::CanFrame, codec: CurrentCodec) -> String {
    use crate::j1939::{J1939Id, PGN_TP_CM, PGN_TP_DT};
    let Some(id) = J1939Id::from_frame(frame) else {
        return "not a J1939 frame (standard identifier)".into();
    };
    let data = frame.data();
    let head = format!("{:02X}->{:02X}", id.source, id.destination);
    let fields = match id.pgn {
        pgn::CHM => Chm::decode(data).map(|m| format!("{m:?}")),
        pgn::BHM => Bhm::decode(data).map(|m| format!("{m:?}")),
        pgn::CRM => Crm::decode(data).map(|m| format!("{m:?}")),
        pgn::CTS => Cts::decode(data).map(|m| format!("{m:?}")),
        pgn::CML => Cml::decode(data, codec).map(|m| format!("{m:?}")),
        pgn::BRO => Bro::decode(data).map(|m| format!("{m:?}")),
        pgn::CRO => Cro::decode(data).map(|m| format!("{m:?}")),
        pgn::BCL => Bcl::decode(data, codec).map(|m| format!("{m:?}")),
        pgn::CCS => Ccs::decode(data, codec).map(|m| format!("{m:?}")),
        pgn::BSM => Bsm::decode(data).map(|m| format!("{m:?}")),
        pgn::BST => Bst::decode(data).map(|m| format!("{m:?}")),
        pgn::CST => Cst::decode(data).map(|m| format!("{m:?}")),
        pgn::BSD => Bsd::decode(data).map(|m| format!("{m:?}")),
        pgn::CSD => Csd::decode(data).map(|m| format!("{m:?}")),
        PGN_TP_CM | PGN_TP_DT => {
            let kind = if id.pgn == PGN_TP_CM {
                "TP.CM"
            } else {
                "TP.DT"
            };
            // TP.CM carries the PGN of the message it announces in bytes 5..8.
            let carried = match (id.pgn == PGN_TP_CM, data.get(5..8)) {
                (true, Some(b)) => {
                    let p = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
                    format!(" of {}", pgn_name(p).unwrap_or("an unknown PGN"))
                }
                _ => String::new(),
            };
            return format!("{head} {kind}{carried} {data:02X?}");
        }
        other => {
            return format!(
                "{head} {} {data:02X?}",
                pgn_name(other).map_or_else(|| format!("PGN {other:#06X}"), str::to_string)
            )
        }
    };
    let name = pgn_name(id.pgn).unwrap_or("?");
    match fields {
        Ok(text) => format!("{head} {name} {text}"),
        Err(e) => format!("{head} {name} {data:02X?} (does not decode: {e})"),
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;
    use crate::j1939::{J1939Id, PGN_TP_CM};

    fn frame(pgn: u32, data: &[u8]) -> crate::CanFrame {
        J1939Id::new(6, pgn, 0xF4, 0x56)
            .frame(data)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn frames_are_named_and_decoded_where_whole() {
        let text = describe(&frame(pgn::CHM, &[1, 1, 0]), CurrentCodec::Offset400);
        assert!(text.starts_with("56->F4 CHM "), "{text}");
        // A TP.CM RTS announcing BCP (PGN 0x000600).
        let text = describe(
            &frame(PGN_TP_CM, &[0x10, 13, 0, 2, 0xFF, 0x00, 0x06, 0x00]),
            CurrentCodec::Offset400,
        );
        assert!(text.contains("TP.CM of BCP"), "{text}");
        // A short CML does not decode: said, with its bytes.
        let text = describe(&frame(pgn::CML, &[1]), CurrentCodec::Offset400);
        assert!(text.contains("does not decode"), "{text}");
        let text = describe(&frame(0x3300, &[1]), CurrentCodec::Offset400);
        assert!(text.contains("PGN 0x3300"), "{text}");
    }
}
