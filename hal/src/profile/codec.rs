//! Register words ⇄ typed, scaled values. Pure: no I/O, no clock.
//!
//! Modbus moves 16-bit words, each sent high byte first. A value wider than one word is spread
//! over several words in a vendor-chosen order. We name the orders by where the bytes of the
//! big-endian value `A B C D` (`A` most significant) end up on the wire:
//!
//! | order | wire bytes (32-bit) | wire bytes (64-bit) | meaning |
//! |---|---|---|---|
//! | `ABCD` | A B C D | A B C D E F G H | high word first, high byte first ("big-endian") |
//! | `CDAB` | C D A B | G H E F C D A B | low word first, high byte first ("word swap") |
//! | `BADC` | B A D C | B A D C F E H G | high word first, low byte first ("byte swap") |
//! | `DCBA` | D C B A | H G F E D C B A | low word first, low byte first ("little-endian") |
//!
//! Each order is two independent swaps (word order, byte order within a word), so the same
//! transformation both decodes and encodes.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The types a register (or a run of registers) can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Bool,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    String,
}

impl ValueType {
    /// Registers taken by a numeric type; `None` for bool (one bit) and string (its `length`).
    pub fn fixed_words(self) -> Option<u16> {
        match self {
            ValueType::U16 | ValueType::I16 => Some(1),
            ValueType::U32 | ValueType::I32 | ValueType::F32 => Some(2),
            ValueType::U64 | ValueType::I64 | ValueType::F64 => Some(4),
            ValueType::Bool | ValueType::String => None,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, ValueType::F32 | ValueType::F64)
    }

    /// Raw integer range of an integer type, as i128 so that u64 and i64 both fit.
    pub fn int_bounds(self) -> Option<(i128, i128)> {
        match self {
            ValueType::U16 => Some((0, i128::from(u16::MAX))),
            ValueType::I16 => Some((i128::from(i16::MIN), i128::from(i16::MAX))),
            ValueType::U32 => Some((0, i128::from(u32::MAX))),
            ValueType::I32 => Some((i128::from(i32::MIN), i128::from(i32::MAX))),
            ValueType::U64 => Some((0, i128::from(u64::MAX))),
            ValueType::I64 => Some((i128::from(i64::MIN), i128::from(i64::MAX))),
            _ => None,
        }
    }
}

/// Word and byte order of a multi-register value (see the module doc). The 64-bit spellings
/// are accepted as aliases of the same transformation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum WordOrder {
    #[default]
    #[serde(rename = "ABCD", alias = "ABCDEFGH", alias = "AB")]
    Abcd,
    #[serde(rename = "CDAB", alias = "GHEFCDAB")]
    Cdab,
    #[serde(rename = "BADC", alias = "BADCFEHG", alias = "BA")]
    Badc,
    #[serde(rename = "DCBA", alias = "HGFEDCBA")]
    Dcba,
}

impl WordOrder {
    pub const ALL: [WordOrder; 4] = [
        WordOrder::Abcd,
        WordOrder::Cdab,
        WordOrder::Badc,
        WordOrder::Dcba,
    ];

    /// Least significant word is sent first.
    pub fn word_swap(self) -> bool {
        matches!(self, WordOrder::Cdab | WordOrder::Dcba)
    }

    /// Within each word the low byte is sent first.
    pub fn byte_swap(self) -> bool {
        matches!(self, WordOrder::Badc | WordOrder::Dcba)
    }
}

/// Turn wire words into the value's big-endian bytes (and, being an involution, back).
fn reorder(words: &[u16], order: WordOrder) -> Vec<u16> {
    let mut out: Vec<u16> = if order.word_swap() {
        words.iter().rev().copied().collect()
    } else {
        words.to_vec()
    };
    if order.byte_swap() {
        for w in &mut out {
            *w = w.swap_bytes();
        }
    }
    out
}

fn words_to_be_bytes(words: &[u16], order: WordOrder) -> Vec<u8> {
    reorder(words, order)
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect()
}

fn be_bytes_to_words(bytes: &[u8], order: WordOrder) -> Vec<u16> {
    let words: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    reorder(&words, order)
}

/// A value as the device holds it, before scaling.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Bool(bool),
    /// Any integer type, widened; its declared type says how it is laid out.
    Int(i128),
    Float(f64),
    Text(String),
}

/// Errors turning words into a raw value: the device sent something that is not a value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DecodeError {
    #[error("expected {expected} registers, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("sensor fault: the device reports the sentinel value {raw}")]
    SensorFault { raw: i128 },
    #[error("{value} is outside the valid range {min}..={max}")]
    OutOfRange { value: f64, min: f64, max: f64 },
    #[error("the float is not finite")]
    NotFinite,
    #[error("{raw} is not one of the declared enum values")]
    UnknownEnum { raw: i128 },
    #[error("the text is not printable ASCII")]
    BadText,
    #[error("a {0:?} value cannot be read from registers")]
    Unsupported(ValueType),
}

/// Errors turning a wanted value into words.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EncodeError {
    #[error("{value} is outside the valid range {min}..={max}")]
    OutOfRange { value: f64, min: f64, max: f64 },
    #[error("{value} does not fit the register type {ty:?} after scaling")]
    Overflow { value: f64, ty: ValueType },
    #[error("the value is not finite")]
    NotFinite,
    #[error("a {ty:?} register cannot take this kind of value")]
    WrongKind { ty: ValueType },
    #[error("the text is longer than {max} bytes or not printable ASCII")]
    BadText { max: usize },
}

/// Decode the raw value of a register-table value (not a coil or discrete input).
/// `string_words` is the declared length of a string.
pub fn decode_raw(ty: ValueType, order: WordOrder, words: &[u16]) -> Result<Raw, DecodeError> {
    let expected = match ty {
        ValueType::String => words.len().max(1),
        ValueType::Bool => 1,
        _ => usize::from(ty.fixed_words().unwrap_or(1)),
    };
    if words.len() != expected {
        return Err(DecodeError::WrongLength {
            expected,
            got: words.len(),
        });
    }
    let b = words_to_be_bytes(words, order);
    let arr2 = |b: &[u8]| [b[0], b[1]];
    let arr4 = |b: &[u8]| [b[0], b[1], b[2], b[3]];
    let arr8 = |b: &[u8]| [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
    Ok(match ty {
        ValueType::U16 => Raw::Int(u16::from_be_bytes(arr2(&b)).into()),
        ValueType::I16 => Raw::Int(i16::from_be_bytes(arr2(&b)).into()),
        ValueType::U32 => Raw::Int(u32::from_be_bytes(arr4(&b)).into()),
        ValueType::I32 => Raw::Int(i32::from_be_bytes(arr4(&b)).into()),
        ValueType::U64 => Raw::Int(u64::from_be_bytes(arr8(&b)).into()),
        ValueType::I64 => Raw::Int(i64::from_be_bytes(arr8(&b)).into()),
        ValueType::F32 => Raw::Float(f32::from_be_bytes(arr4(&b)).into()),
        ValueType::F64 => Raw::Float(f64::from_be_bytes(arr8(&b))),
        ValueType::String => {
            // NUL-padded (or space-padded) ASCII, as devices store model and serial numbers.
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            let text = &b[..end];
            if !text.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
                return Err(DecodeError::BadText);
            }
            Raw::Text(String::from_utf8_lossy(text).trim_end().to_string())
        }
        ValueType::Bool => return Err(DecodeError::Unsupported(ty)),
    })
}

/// Encode a raw value into register words. The integer must already fit the type.
pub fn encode_raw(
    ty: ValueType,
    order: WordOrder,
    raw: &Raw,
    string_words: u16,
) -> Result<Vec<u16>, EncodeError> {
    let overflow = |v: i128| EncodeError::Overflow {
        value: v as f64,
        ty,
    };
    let bytes: Vec<u8> = match (ty, raw) {
        (ValueType::U16, Raw::Int(v)) => u16::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::I16, Raw::Int(v)) => i16::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::U32, Raw::Int(v)) => u32::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::I32, Raw::Int(v)) => i32::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::U64, Raw::Int(v)) => u64::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::I64, Raw::Int(v)) => i64::try_from(*v)
            .map_err(|_| overflow(*v))?
            .to_be_bytes()
            .to_vec(),
        (ValueType::F32, Raw::Float(v)) => (*v as f32).to_be_bytes().to_vec(),
        (ValueType::F64, Raw::Float(v)) => v.to_be_bytes().to_vec(),
        (ValueType::String, Raw::Text(s)) => {
            let max = usize::from(string_words) * 2;
            if s.len() > max || !s.bytes().all(|c| c.is_ascii_graphic() || c == b' ') {
                return Err(EncodeError::BadText { max });
            }
            let mut b = s.as_bytes().to_vec();
            b.resize(max, 0);
            b
        }
        _ => return Err(EncodeError::WrongKind { ty }),
    };
    Ok(be_bytes_to_words(&bytes, order))
}

/// How one point's raw value maps to engineering units, and what the device may send.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    pub ty: ValueType,
    pub order: WordOrder,
    /// engineering = raw × scale + offset.
    pub scale: f64,
    pub offset: f64,
    /// Valid engineering range; a reading outside it is an error, never a value.
    pub range: Option<(f64, f64)>,
    /// Raw values the device uses for "sensor fault" (open/short circuit, not available).
    pub sentinels: Vec<i128>,
    /// Raw values with a meaning; when present, any other raw value is an error.
    pub enum_values: Vec<i128>,
    /// For `bool` in a register table: which bit (0 = least significant).
    pub bit: Option<u8>,
    /// Registers taken by a string.
    pub string_words: u16,
}

impl Encoding {
    /// A plain encoding of `ty`: scale 1, no range, no sentinels.
    pub fn plain(ty: ValueType) -> Self {
        Encoding {
            ty,
            order: WordOrder::Abcd,
            scale: 1.0,
            offset: 0.0,
            range: None,
            sentinels: Vec::new(),
            enum_values: Vec::new(),
            bit: None,
            string_words: 0,
        }
    }

    /// Registers the value takes (0 for a coil or discrete input bit).
    pub fn words(&self) -> u16 {
        match self.ty {
            ValueType::Bool if self.bit.is_none() => 0,
            ValueType::Bool => 1,
            ValueType::String => self.string_words,
            t => t.fixed_words().unwrap_or(1),
        }
    }
}

/// A decoded, scaled value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    /// In the register's unit, after scale and offset. Enum and bit-field registers keep their
    /// raw integer here (scale 1) and are interpreted through the profile's names.
    Number(f64),
    Text(String),
}

fn check_range(value: f64, range: Option<(f64, f64)>) -> Result<(), (f64, f64)> {
    match range {
        Some((min, max)) if !(min..=max).contains(&value) => Err((min, max)),
        _ => Ok(()),
    }
}

/// Decode a coil or discrete input.
pub fn decode_bit(bit: bool) -> Value {
    Value::Bool(bit)
}

/// Decode a register-table value: order, sentinels, enum membership, scale, range.
pub fn decode(enc: &Encoding, words: &[u16]) -> Result<Value, DecodeError> {
    if enc.ty == ValueType::Bool {
        let [w] = words else {
            return Err(DecodeError::WrongLength {
                expected: 1,
                got: words.len(),
            });
        };
        let w = if enc.order.byte_swap() {
            w.swap_bytes()
        } else {
            *w
        };
        let bit = enc.bit.unwrap_or(0);
        return Ok(Value::Bool(
            w.checked_shr(u32::from(bit)).unwrap_or(0) & 1 == 1,
        ));
    }
    match decode_raw(enc.ty, enc.order, words)? {
        Raw::Text(s) => Ok(Value::Text(s)),
        Raw::Int(raw) => {
            if enc.sentinels.contains(&raw) {
                return Err(DecodeError::SensorFault { raw });
            }
            if !enc.enum_values.is_empty() && !enc.enum_values.contains(&raw) {
                return Err(DecodeError::UnknownEnum { raw });
            }
            let value = raw as f64 * enc.scale + enc.offset;
            check_range(value, enc.range).map_err(|(min, max)| DecodeError::OutOfRange {
                value,
                min,
                max,
            })?;
            Ok(Value::Number(value))
        }
        Raw::Float(f) => {
            // A float sentinel is written as an integer in the profile (e.g. -9999); compare
            // exactly, which is what such devices send.
            if f.fract() == 0.0 && enc.sentinels.iter().any(|s| *s as f64 == f) {
                return Err(DecodeError::SensorFault { raw: f as i128 });
            }
            if !f.is_finite() {
                return Err(DecodeError::NotFinite);
            }
            let value = f * enc.scale + enc.offset;
            check_range(value, enc.range).map_err(|(min, max)| DecodeError::OutOfRange {
                value,
                min,
                max,
            })?;
            Ok(Value::Number(value))
        }
        Raw::Bool(b) => Ok(Value::Bool(b)),
    }
}

/// Encode a wanted value for a write: range check in engineering units, then scale, round to
/// the nearest raw integer and check it fits the type.
pub fn encode(enc: &Encoding, value: &Value) -> Result<Vec<u16>, EncodeError> {
    match (enc.ty, value) {
        (ValueType::Bool, Value::Bool(b)) => {
            let bit = enc.bit.unwrap_or(0);
            let w: u16 = if *b {
                1u16.checked_shl(u32::from(bit)).unwrap_or(0)
            } else {
                0
            };
            Ok(vec![if enc.order.byte_swap() {
                w.swap_bytes()
            } else {
                w
            }])
        }
        (ValueType::String, Value::Text(s)) => {
            encode_raw(enc.ty, enc.order, &Raw::Text(s.clone()), enc.string_words)
        }
        (ty, Value::Number(v)) if ty != ValueType::Bool && ty != ValueType::String => {
            if !v.is_finite() {
                return Err(EncodeError::NotFinite);
            }
            check_range(*v, enc.range).map_err(|(min, max)| EncodeError::OutOfRange {
                value: *v,
                min,
                max,
            })?;
            let raw = (*v - enc.offset) / enc.scale;
            if ty.is_float() {
                return encode_raw(ty, enc.order, &Raw::Float(raw), 0);
            }
            let rounded = raw.round();
            let (lo, hi) = ty.int_bounds().unwrap_or((0, 0));
            // Compare in f64 before converting, so that huge values never wrap.
            if !rounded.is_finite() || rounded < lo as f64 || rounded > hi as f64 {
                return Err(EncodeError::Overflow { value: *v, ty });
            }
            let int = (rounded as i128).clamp(lo, hi);
            encode_raw(ty, enc.order, &Raw::Int(int), 0)
        }
        (ty, _) => Err(EncodeError::WrongKind { ty }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_four_32_bit_orders_lay_out_0x12345678_as_named() {
        let raw = Raw::Int(0x1234_5678);
        let cases = [
            (WordOrder::Abcd, [0x1234, 0x5678]),
            (WordOrder::Cdab, [0x5678, 0x1234]),
            (WordOrder::Badc, [0x3412, 0x7856]),
            (WordOrder::Dcba, [0x7856, 0x3412]),
        ];
        for (order, words) in cases {
            assert_eq!(
                encode_raw(ValueType::U32, order, &raw, 0).unwrap(),
                words,
                "{order:?}"
            );
            assert_eq!(
                decode_raw(ValueType::U32, order, &words).unwrap(),
                raw,
                "{order:?}"
            );
        }
    }

    #[test]
    fn the_four_64_bit_orders_lay_out_bytes_as_named() {
        // A..H = 0x01..0x08
        let raw = Raw::Int(0x0102_0304_0506_0708);
        let cases = [
            (WordOrder::Abcd, [0x0102, 0x0304, 0x0506, 0x0708]), // ABCDEFGH
            (WordOrder::Cdab, [0x0708, 0x0506, 0x0304, 0x0102]), // GHEFCDAB
            (WordOrder::Badc, [0x0201, 0x0403, 0x0605, 0x0807]), // BADCFEHG
            (WordOrder::Dcba, [0x0807, 0x0605, 0x0403, 0x0201]), // HGFEDCBA
        ];
        for (order, words) in cases {
            assert_eq!(
                encode_raw(ValueType::U64, order, &raw, 0).unwrap(),
                words,
                "{order:?}"
            );
            assert_eq!(decode_raw(ValueType::U64, order, &words).unwrap(), raw);
        }
    }

    #[test]
    fn float32_known_value_in_cdab() {
        // 230.5f32 = 0x43668000
        let enc = Encoding {
            order: WordOrder::Cdab,
            ..Encoding::plain(ValueType::F32)
        };
        assert_eq!(
            decode(&enc, &[0x8000, 0x4366]).unwrap(),
            Value::Number(230.5)
        );
    }

    #[test]
    fn scaled_signed_value_with_offset() {
        // Temperature in 0.1 °C with a -40 °C offset: raw 650 → 25.0 °C.
        let enc = Encoding {
            scale: 0.1,
            offset: -40.0,
            range: Some((-40.0, 150.0)),
            ..Encoding::plain(ValueType::I16)
        };
        assert_eq!(decode(&enc, &[650]).unwrap(), Value::Number(25.0));
        assert_eq!(encode(&enc, &Value::Number(25.0)).unwrap(), vec![650]);
    }

    #[test]
    fn sentinel_is_a_sensor_fault_not_a_value() {
        let enc = Encoding {
            scale: 0.1,
            sentinels: vec![32767, -32768],
            ..Encoding::plain(ValueType::I16)
        };
        assert_eq!(
            decode(&enc, &[0x7FFF]),
            Err(DecodeError::SensorFault { raw: 32767 })
        );
        assert_eq!(
            decode(&enc, &[0x8000]),
            Err(DecodeError::SensorFault { raw: -32768 })
        );
        let f = Encoding {
            sentinels: vec![-9999],
            ..Encoding::plain(ValueType::F32)
        };
        let words = encode_raw(ValueType::F32, WordOrder::Abcd, &Raw::Float(-9999.0), 0).unwrap();
        assert_eq!(
            decode(&f, &words),
            Err(DecodeError::SensorFault { raw: -9999 })
        );
    }

    #[test]
    fn out_of_range_reading_and_setpoint_are_errors() {
        let enc = Encoding {
            scale: 0.1,
            range: Some((0.0, 1000.0)),
            ..Encoding::plain(ValueType::U16)
        };
        assert!(matches!(
            decode(&enc, &[10001]),
            Err(DecodeError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(&enc, &Value::Number(1000.1)),
            Err(EncodeError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(&enc, &Value::Number(f64::NAN)),
            Err(EncodeError::NotFinite)
        ));
        // Without a range, scaling past the type is an overflow, never a wrap.
        let open = Encoding {
            scale: 0.1,
            ..Encoding::plain(ValueType::U16)
        };
        assert!(matches!(
            encode(&open, &Value::Number(6553.6)),
            Err(EncodeError::Overflow { .. })
        ));
        assert!(matches!(
            encode(&open, &Value::Number(-0.1)),
            Err(EncodeError::Overflow { .. })
        ));
    }

    #[test]
    fn nan_and_infinite_floats_from_a_device_are_errors() {
        let enc = Encoding::plain(ValueType::F32);
        let nan = f32::NAN.to_bits();
        assert_eq!(
            decode(&enc, &[(nan >> 16) as u16, nan as u16]),
            Err(DecodeError::NotFinite)
        );
    }

    #[test]
    fn unknown_enum_value_is_an_error() {
        let enc = Encoding {
            enum_values: vec![0, 1, 2],
            ..Encoding::plain(ValueType::U16)
        };
        assert_eq!(decode(&enc, &[2]).unwrap(), Value::Number(2.0));
        assert_eq!(decode(&enc, &[7]), Err(DecodeError::UnknownEnum { raw: 7 }));
    }

    #[test]
    fn strings_are_nul_padded_ascii_and_garbage_is_rejected() {
        let enc = Encoding {
            string_words: 4,
            ..Encoding::plain(ValueType::String)
        };
        let words = encode(&enc, &Value::Text("DPM30".into())).unwrap();
        assert_eq!(words, vec![0x4450, 0x4d33, 0x3000, 0x0000]);
        assert_eq!(decode(&enc, &words).unwrap(), Value::Text("DPM30".into()));
        assert_eq!(decode(&enc, &[0x4401, 0, 0, 0]), Err(DecodeError::BadText));
        assert!(encode(&enc, &Value::Text("123456789".into())).is_err());
    }

    #[test]
    fn bool_in_a_holding_register_is_one_bit() {
        let enc = Encoding {
            bit: Some(3),
            ..Encoding::plain(ValueType::Bool)
        };
        assert_eq!(decode(&enc, &[0b1000]).unwrap(), Value::Bool(true));
        assert_eq!(decode(&enc, &[0b0111]).unwrap(), Value::Bool(false));
        assert_eq!(encode(&enc, &Value::Bool(true)).unwrap(), vec![0b1000]);
    }

    #[test]
    fn wrong_word_count_is_an_error() {
        let enc = Encoding::plain(ValueType::U32);
        assert_eq!(
            decode(&enc, &[1]),
            Err(DecodeError::WrongLength {
                expected: 2,
                got: 1
            })
        );
    }

    fn order() -> impl Strategy<Value = WordOrder> {
        prop::sample::select(WordOrder::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn raw_integers_round_trip_in_every_order(
            o in order(),
            v16 in any::<u16>(), s16 in any::<i16>(),
            v32 in any::<u32>(), s32 in any::<i32>(),
            v64 in any::<u64>(), s64 in any::<i64>(),
        ) {
            let cases = [
                (ValueType::U16, i128::from(v16)),
                (ValueType::I16, i128::from(s16)),
                (ValueType::U32, i128::from(v32)),
                (ValueType::I32, i128::from(s32)),
                (ValueType::U64, i128::from(v64)),
                (ValueType::I64, i128::from(s64)),
            ];
            for (ty, v) in cases {
                let words = encode_raw(ty, o, &Raw::Int(v), 0).unwrap();
                prop_assert_eq!(words.len(), usize::from(ty.fixed_words().unwrap()));
                prop_assert_eq!(decode_raw(ty, o, &words).unwrap(), Raw::Int(v));
            }
        }

        #[test]
        fn raw_floats_round_trip_bit_exact_in_every_order(
            o in order(), b32 in any::<u32>(), b64 in any::<u64>()
        ) {
            let f = f32::from_bits(b32);
            let words = encode_raw(ValueType::F32, o, &Raw::Float(f.into()), 0).unwrap();
            match decode_raw(ValueType::F32, o, &words).unwrap() {
                // A NaN may come back with its payload quieted by the f32 → f64 widening.
                Raw::Float(back) if f.is_nan() => prop_assert!(back.is_nan()),
                Raw::Float(back) => prop_assert_eq!((back as f32).to_bits(), f.to_bits()),
                other => prop_assert!(false, "{:?}", other),
            }
            let d = f64::from_bits(b64);
            let words = encode_raw(ValueType::F64, o, &Raw::Float(d), 0).unwrap();
            match decode_raw(ValueType::F64, o, &words).unwrap() {
                Raw::Float(back) => prop_assert_eq!(back.to_bits(), d.to_bits()),
                other => prop_assert!(false, "{:?}", other),
            }
        }

        /// A wanted setpoint on the register's grid comes back as the same value.
        #[test]
        fn scaled_values_round_trip_in_every_order(
            o in order(),
            raw in -2_000_000i64..2_000_000,
            scale_idx in 0usize..4,
            offset in prop::sample::select(vec![0.0, -40.0, 273.15]),
            ty in prop::sample::select(vec![ValueType::I32, ValueType::I64, ValueType::F64]),
        ) {
            let scale = [1.0, 0.1, 0.01, 0.001][scale_idx];
            let enc = Encoding { order: o, scale, offset, ..Encoding::plain(ty) };
            let value = raw as f64 * scale + offset;
            let words = encode(&enc, &Value::Number(value)).unwrap();
            match decode(&enc, &words).unwrap() {
                Value::Number(back) => prop_assert!((back - value).abs() <= scale * 1e-6 + 1e-9,
                    "{} vs {}", back, value),
                other => prop_assert!(false, "{:?}", other),
            }
        }

        /// Whatever a device sends, decoding returns a value or a typed error, and a value it
        /// returns is finite and in range.
        #[test]
        fn hostile_words_never_panic_and_values_respect_range(
            o in order(), words in prop::collection::vec(any::<u16>(), 4),
            ty in prop::sample::select(vec![ValueType::U16, ValueType::I16, ValueType::U32,
                ValueType::I32, ValueType::U64, ValueType::I64, ValueType::F32, ValueType::F64]),
        ) {
            let enc = Encoding { order: o, scale: 0.1, range: Some((-500.0, 500.0)),
                ..Encoding::plain(ty) };
            let n = usize::from(ty.fixed_words().unwrap());
            if let Ok(Value::Number(v)) = decode(&enc, &words[..n]) {
                prop_assert!(v.is_finite() && (-500.0..=500.0).contains(&v));
            }
        }
    }
}
