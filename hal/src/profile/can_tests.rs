//! CAN profiles: the shipped one, the byte codec, identifier matching, and each kind of
//! mistake named by file and key.

use super::*;
use crate::profile::Profile;

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices/power-module-infy-can.toml")
}

fn shipped_text() -> String {
    std::fs::read_to_string(shipped_path()).unwrap()
}

fn shipped() -> CanProfile {
    CanProfile::load(&shipped_path()).unwrap_or_else(|e| panic!("{e}"))
}

fn parse(text: &str) -> Result<CanProfile, ProfileError> {
    CanProfile::parse(text, Path::new("configs/devices/test-can.toml"))
}

/// The shipped text with `from` replaced by `to` (which must occur exactly once).
fn mutated(from: &str, to: &str) -> String {
    let text = shipped_text();
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replace(from, to)
}

fn key_of(text: &str) -> (String, Problem) {
    let e = parse(text).expect_err("the profile must be refused");
    assert_eq!(e.file, Path::new("configs/devices/test-can.toml"));
    assert!(
        e.to_string().starts_with("configs/devices/test-can.toml: "),
        "{e}"
    );
    (e.key, e.problem)
}

fn field(ty: FieldType, byte: u8, length: u8) -> Field {
    Field {
        name: "f".into(),
        byte,
        length,
        ty,
        endian: Endian::Big,
        bit: 0,
        invert: false,
        scale: 1.0,
        offset: 0.0,
        unit: None,
        range: None,
        sentinels: Vec::new(),
        enum_names: BTreeMap::new(),
        bit_names: BTreeMap::new(),
        flag_names: BTreeMap::new(),
        point: None,
    }
}

const M3: Addressing = Addressing {
    module: 3,
    group: 0,
};

#[test]
fn the_shipped_profile_loads_with_the_infypower_identifier_layout() {
    let p = shipped();
    assert_eq!(p.role, Role::PowerModule);
    assert_eq!(
        (p.bitrate, p.extended_id, p.controller_address),
        (125_000, true, 0xF0)
    );
    assert_eq!(p.device_timeout, Some(Duration::from_secs(10)));
    let (_, set) = p.message("set_output").unwrap();
    // error 0 | device 0x0A | command 0x1C | destination 3 | source 0xF0
    assert_eq!(p.id(set, M3).unwrap(), 0x029C_03F0);
    let (_, vi) = p.message("vi").unwrap();
    assert_eq!(p.id(vi, M3).unwrap(), 0x0283_F003);
    assert_eq!(
        set.kind,
        MessageKind::Command {
            period: Duration::from_secs(1)
        }
    );
}

#[test]
fn modbus_loading_skips_can_profiles_and_refuses_one_named_directly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices");
    let modbus = Profile::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(modbus
        .iter()
        .all(|p| !p.file.ends_with("power-module-infy-can.toml")));
    let e = Profile::load(&shipped_path()).unwrap_err();
    assert_eq!(e.key, "device.transport");
    assert_eq!(transport_of(&shipped_text()), Transport::Can);
}

#[test]
fn set_output_encodes_millivolts_and_milliamps_big_endian() {
    let p = shipped();
    let (_, set) = p.message("set_output").unwrap();
    let frame = p
        .encode(set, M3, &|pt| match pt {
            Point::VoltageSetpoint => Some(Value::Number(650.5)),
            Point::CurrentLimit => Some(Value::Number(20.25)),
            _ => None,
        })
        .unwrap();
    assert!(frame.is_extended());
    // 650 500 mV = 0x0009_ED04, 20 250 mA = 0x0000_4F1A
    assert_eq!(
        frame.data(),
        [0x00, 0x09, 0xED, 0x04, 0x00, 0x00, 0x4F, 0x1A]
    );
    // Outside the range: refused, naming the field.
    let err = p
        .encode(set, M3, &|pt| match pt {
            Point::VoltageSetpoint => Some(Value::Number(1200.0)),
            _ => Some(Value::Number(1.0)),
        })
        .unwrap_err();
    assert!(
        matches!(err, CanEncodeError::Field { ref field, .. } if field == "voltage"),
        "{err}"
    );
}

#[test]
fn on_off_is_inverted_and_fault_reset_sends_its_fixed_bytes() {
    let p = shipped();
    let (_, on_off) = p.message("on_off").unwrap();
    let on = p.encode(on_off, M3, &|_| Some(Value::Bool(true))).unwrap();
    let off = p.encode(on_off, M3, &|_| Some(Value::Bool(false))).unwrap();
    assert_eq!(on.data(), [0; 8]);
    assert_eq!(off.data(), [1, 0, 0, 0, 0, 0, 0, 0]);
    let (_, reset) = p.message("fault_reset").unwrap();
    let r = p.encode(reset, M3, &|_| None).unwrap();
    assert_eq!((r.id(), r.data()), (off.id(), off.data()));
}

#[test]
fn replies_decode_floats_signed_temperature_and_named_status_bits() {
    let p = shipped();
    let (_, vi) = p.message("vi").unwrap();
    let mut data = Vec::new();
    data.extend_from_slice(&601.5f32.to_be_bytes());
    data.extend_from_slice(&(-1.25f32).to_be_bytes());
    let d = p.decode(vi, &data).unwrap();
    let by_point = |d: &[Decoded], m: &Message, pt: Point| {
        d.iter()
            .find(|x| m.fields[x.field].point == Some(pt))
            .map(|x| x.value.clone())
            .unwrap()
    };
    assert_eq!(
        by_point(&d, vi, Point::OutputVoltage),
        Ok(Value::Number(601.5))
    );
    assert_eq!(
        by_point(&d, vi, Point::OutputCurrent),
        Ok(Value::Number(-1.25))
    );
    // A frame shorter than the message is not the message.
    assert!(p.decode(vi, &data[..7]).is_err());
    // NaN voltage: not a value.
    let mut nan = data.clone();
    nan[..4].copy_from_slice(&f32::NAN.to_be_bytes());
    let d = p.decode(vi, &nan).unwrap();
    assert_eq!(
        by_point(&d, vi, Point::OutputVoltage),
        Err(DecodeError::NotFinite)
    );

    let (_, status) = p.message("status").unwrap();
    // byte 4 = -5 °C; byte 5 bit 0 power limiting (flag); byte 6 bit 4 over-temperature,
    // bit 0 clear (DC side on); byte 7 bit 0 output short circuit.
    let data = [0, 0, 2, 0, 0xFB, 0x01, 0x10, 0x01];
    let d = p.decode(status, &data).unwrap();
    assert_eq!(
        by_point(&d, status, Point::ModuleTemperature),
        Ok(Value::Number(-5.0))
    );
    assert_eq!(
        by_point(&d, status, Point::ModuleStatus),
        Ok(Value::Bool(true))
    );
    let Ok(Value::Number(raw)) = by_point(&d, status, Point::ModuleFaults) else {
        panic!("faults")
    };
    assert_eq!(raw as u64, 0x01_10_01);
    let (_, f) = p.point(Point::ModuleFaults).unwrap();
    assert_eq!(
        f.active_faults(raw as u64),
        ["output_short_circuit", "over_temperature"]
    );
    assert_eq!(f.active_flags(raw as u64), ["power_limiting"]);
    // DC side off: not running.
    let d = p.decode(status, &[0, 0, 2, 0, 25, 0, 0x01, 0]).unwrap();
    assert_eq!(
        by_point(&d, status, Point::ModuleStatus),
        Ok(Value::Bool(false))
    );
}

#[test]
fn replies_are_matched_by_identifier_and_address() {
    let p = shipped();
    let (vi_index, vi) = p.message("vi").unwrap();
    let from7 = p
        .id(
            vi,
            Addressing {
                module: 7,
                group: 0,
            },
        )
        .unwrap();
    let got: Vec<_> = p.match_id(from7, true, false).collect();
    assert_eq!(
        got,
        [(
            vi_index,
            Addressing {
                module: 7,
                group: 0
            }
        )]
    );
    // The same id is no controller → module message.
    assert_eq!(p.match_id(from7, true, true).count(), 0);
    // A non-zero error code (command invalid), another destination, an 11-bit frame: no match.
    assert_eq!(p.match_id(from7 | (1 << 26), true, false).count(), 0);
    assert_eq!(
        p.match_id((from7 & !0xFF00) | 0xF100, true, false).count(),
        0
    );
    assert_eq!(p.match_id(from7 & 0x7FF, false, false).count(), 0);
    // The on/off command and the fault reset share an identifier: both match.
    let (_, on_off) = p.message("on_off").unwrap();
    let id = p.id(on_off, M3).unwrap();
    let names: Vec<&str> = p
        .match_id(id, true, true)
        .map(|(i, _)| p.messages[i].name.as_str())
        .collect();
    assert_eq!(names, ["fault_reset", "on_off"]);
}

#[test]
fn the_byte_codec_handles_every_length_endianness_sign_and_scaling() {
    let data = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
    let mut f = field(FieldType::Unsigned, 0, 2);
    assert_eq!(
        decode_field(&f, &data),
        Ok(Value::Number(f64::from(0x1234)))
    );
    f.endian = Endian::Little;
    assert_eq!(
        decode_field(&f, &data),
        Ok(Value::Number(f64::from(0x3412)))
    );
    // Three bytes, big-endian; eight bytes.
    let f = field(FieldType::Unsigned, 1, 3);
    assert_eq!(
        decode_field(&f, &data),
        Ok(Value::Number(f64::from(0x34_5678)))
    );
    let f = field(FieldType::Unsigned, 0, 8);
    assert_eq!(
        decode_field(&f, &data),
        Ok(Value::Number(0x1234_5678_9ABC_DEF0u64 as f64))
    );
    // Signed: 0xFF38 = −200; with scale 0.1 and offset 40 → 20.
    let mut f = field(FieldType::Signed, 0, 2);
    assert_eq!(decode_field(&f, &[0xFF, 0x38]), Ok(Value::Number(-200.0)));
    f.scale = 0.1;
    f.offset = 40.0;
    let Ok(Value::Number(v)) = decode_field(&f, &[0xFF, 0x38]) else {
        panic!()
    };
    assert!((v - 20.0).abs() < 1e-9);
    // Encode rounds to the nearest raw and writes only its own bytes.
    let mut out = [0xAA; 8];
    encode_field(&f, &Value::Number(20.04), &mut out).unwrap();
    assert_eq!(out, [0xFF, 0x38, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA]);
    // Overflow of a signed byte.
    let f1 = field(FieldType::Signed, 0, 1);
    assert!(matches!(
        encode_field(&f1, &Value::Number(128.0), &mut out),
        Err(EncodeError::Overflow { .. })
    ));
    assert_eq!(decode_field(&f1, &[0x80]), Ok(Value::Number(-128.0)));
    // Little-endian float round trip.
    let mut ff = field(FieldType::Float, 4, 4);
    ff.endian = Endian::Little;
    let mut out = [0u8; 8];
    encode_field(&ff, &Value::Number(123.5), &mut out).unwrap();
    assert_eq!(out[4..], 123.5f32.to_le_bytes());
    assert_eq!(decode_field(&ff, &out), Ok(Value::Number(123.5)));
    // Sentinel, range, enum.
    let mut s = field(FieldType::Unsigned, 0, 1);
    s.sentinels = vec![0xFF];
    assert_eq!(
        decode_field(&s, &[0xFF]),
        Err(DecodeError::SensorFault { raw: 255 })
    );
    s.range = Some((0.0, 100.0));
    assert!(matches!(
        decode_field(&s, &[101]),
        Err(DecodeError::OutOfRange { .. })
    ));
    s.enum_names.insert(1, "on".into());
    assert_eq!(
        decode_field(&s, &[2]),
        Err(DecodeError::UnknownEnum { raw: 2 })
    );
    // A bool sets and clears only its bit.
    let mut b = field(FieldType::Bool, 1, 1);
    b.bit = 3;
    let mut out = [0xFF; 8];
    encode_field(&b, &Value::Bool(false), &mut out).unwrap();
    assert_eq!(out[1], 0xF7);
    assert_eq!(decode_field(&b, &out), Ok(Value::Bool(false)));
    // Data too short for the field.
    assert!(matches!(
        decode_field(&field(FieldType::Unsigned, 6, 4), &data),
        Err(DecodeError::WrongLength { .. })
    ));
}

#[test]
fn mistakes_are_named_by_file_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        // A required point missing.
        ("point = \"current_limit\"\n", "", "messages"),
        // A field running past the message.
        (
            "byte = 4\nlength = 4\nscale = 0.001                    # mA on the wire",
            "byte = 6\nlength = 4\nscale = 0.001",
            "messages.set_output.fields.current.byte",
        ),
        // Two fields over the same bytes.
        (
            "byte = 4\nlength = 4\nscale = 0.001                    # mA on the wire",
            "byte = 2\nlength = 4\nscale = 0.001",
            "messages.set_output.fields.voltage.byte",
        ),
        // Commands rarer than half the module's own timeout.
        (
            "length = 8\nperiod_ms = 1000\ndescription = \"Set output",
            "length = 8\nperiod_ms = 6000\ndescription = \"Set output",
            "messages.set_output.period_ms",
        ),
        // An unknown placeholder.
        (
            "command = 0x03, destination = \"module\"",
            "command = 0x03, destination = \"modul\"",
            "messages.read_vi.id.destination",
        ),
        // A constant too wide for its identifier field.
        (
            "command = 0x04, destination = \"module\"",
            "command = 0x44, destination = \"module\"",
            "messages.read_status.id.command",
        ),
        // A request naming no reply message.
        ("reply = \"vi\"", "reply = \"vj\"", "messages.read_vi.reply"),
        // A voltage in amperes.
        (
            "scale = 0.001                    # mV on the wire\nunit = \"V\"",
            "scale = 0.001\nunit = \"A\"",
            "messages.set_output.fields.voltage.unit",
        ),
        // A read point in a command.
        (
            "point = \"voltage_setpoint\"",
            "point = \"output_voltage\"",
            "messages.set_output.fields.voltage.point",
        ),
        // The controller address does not fit its 8-bit field.
        (
            "controller_address = 0xF0",
            "controller_address = 0x1F0",
            "can.controller_address",
        ),
        // Identifier fields overlapping.
        (
            "source = { lsb = 0, bits = 8 }",
            "source = { lsb = 0, bits = 9 }",
            "can.id.source",
        ),
        // Beyond 29 bits.
        (
            "error_code = { lsb = 26, bits = 3 }",
            "error_code = { lsb = 26, bits = 4 }",
            "can.id.error_code",
        ),
        // A DLC above 8.
        (
            "length = 8\nperiod_ms = 250",
            "length = 9\nperiod_ms = 250",
            "messages.read_vi.length",
        ),
        // A float of 2 bytes.
        (
            "byte = 4\nlength = 4\ntype = \"float\"",
            "byte = 4\nlength = 2\ntype = \"float\"",
            "messages.vi.fields.current.length",
        ),
        // A bool with no bit.
        (
            "type = \"bool\"\nbit = 0\ninvert = true                    # 1 means off",
            "type = \"bool\"",
            "messages.on_off.fields.enable.bit",
        ),
        // A bit name beyond the field's width.
        (
            "23 = \"pfc_side_off\"",
            "24 = \"pfc_side_off\"",
            "messages.status.fields.state.flags.24",
        ),
        // Not a CAN profile.
        (
            "transport = \"can\"",
            "transport = \"modbus\"",
            "device.transport",
        ),
        // An unknown key.
        (
            "bitrate = 125000",
            "bitrate = 125000\nbaud = 125000",
            "can.baud",
        ),
        // A reply deadline as long as the V/I poll period.
        (
            "reply_timeout_ms = 100 ",
            "reply_timeout_ms = 250 ",
            "messages.read_vi.period_ms",
        ),
        // A reply that would go stale between two answered polls (250 + 100 ms).
        (
            "max_age_ms = 1000",
            "max_age_ms = 300",
            "messages.vi.max_age_ms",
        ),
        // A bitrate no CAN controller runs.
        ("bitrate = 125000", "bitrate = 5000000", "can.bitrate"),
    ];
    for (from, to, key) in cases {
        let (got, problem) = key_of(&mutated(from, to));
        assert_eq!(&got, key, "{from:?} → {to:?}: {problem}");
    }
    // The missing point is named.
    let (_, problem) = key_of(&mutated("point = \"current_limit\"\n", ""));
    assert_eq!(
        problem,
        Problem::MissingPoint {
            role: Role::PowerModule,
            point: Point::CurrentLimit
        }
    );
}

#[test]
fn a_group_placeholder_carries_the_modules_group_both_ways() {
    // A profile addressing groups in (say) the device-number field.
    let text = mutated(
        "id = { error_code = 0, device = 0x0A, command = 0x03, destination = \"controller\"",
        "id = { error_code = 0, device = \"group\", command = 0x03, destination = \"controller\"",
    );
    let p = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let (vi_index, vi) = p.message("vi").unwrap();
    let to = Addressing {
        module: 7,
        group: 0x0B,
    };
    let id = p.id(vi, to).unwrap();
    assert_eq!((id >> 22) & 0xF, 0x0B);
    assert_eq!(
        p.match_id(id, true, false).collect::<Vec<_>>(),
        [(vi_index, to)]
    );
    // A group number too wide for its field is refused when encoding.
    let too_wide = Addressing {
        module: 7,
        group: 0x10,
    };
    assert_eq!(p.id(vi, too_wide), Err(CanEncodeError::Address(0x10)));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn any_field() -> impl Strategy<Value = Field> {
        (
            0u8..8,
            prop_oneof![
                Just(FieldType::Unsigned),
                Just(FieldType::Signed),
                Just(FieldType::Float)
            ],
            prop_oneof![Just(Endian::Big), Just(Endian::Little)],
            1u8..=8,
        )
            .prop_map(|(byte, ty, endian, len)| {
                let length = if ty == FieldType::Float {
                    if len > 4 {
                        8
                    } else {
                        4
                    }
                } else {
                    len
                };
                let mut f = field(ty, byte.min(8 - length), length);
                f.endian = endian;
                f
            })
    }

    proptest! {
        /// Any raw value the field can hold decodes and encodes back to the same bytes.
        #[test]
        fn integer_fields_round_trip(f in any_field(), bytes in proptest::array::uniform8(any::<u8>())) {
            prop_assume!(f.ty != FieldType::Float && f.length <= 6); // exact in f64
            let Ok(Value::Number(v)) = decode_field(&f, &bytes) else {
                return Err(TestCaseError::fail("an integer field always decodes"));
            };
            let mut out = bytes;
            // Clear the field's bytes, then encode the decoded value into them.
            for b in &mut out[f.bytes()] { *b = 0; }
            encode_field(&f, &Value::Number(v), &mut out).unwrap();
            prop_assert_eq!(out, bytes);
        }

        /// Hostile bytes never panic a decode, whatever the layout.
        #[test]
        fn any_bytes_decode_without_panicking(f in any_field(), data in proptest::collection::vec(any::<u8>(), 0..=8)) {
            let _ = decode_field(&f, &data);
        }

        /// Any identifier is matched or not, never a panic, and a match gives back that id.
        #[test]
        fn any_identifier_matches_consistently(id in 0u32..(1 << 29), ext in any::<bool>(), dir in any::<bool>()) {
            let p = shipped();
            for (i, a) in p.match_id(id, ext, dir) {
                prop_assert_eq!(p.id(&p.messages[i], a).unwrap(), id);
            }
        }
    }
}
