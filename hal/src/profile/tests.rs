//! Profile loading: the shipped profiles, and each kind of mistake named by file and key.

use super::*;
use std::path::Path;

fn devices_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/devices")
}

fn shipped() -> Vec<Profile> {
    Profile::load_dir(&devices_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shipped_profile_loads_and_each_role_has_one() {
    let profiles = shipped();
    for role in [
        Role::PowerModule,
        Role::CoolingUnit,
        Role::DcMeter,
        Role::InsulationMonitor,
        Role::IoModule,
    ] {
        assert!(
            profiles.iter().any(|p| p.role == role),
            "no shipped profile for {role}"
        );
    }
}

fn power_module() -> Profile {
    Profile::load(&devices_dir().join("power-module-30kw-modbus.toml")).unwrap()
}

#[test]
fn power_module_status_is_one_snapshot_and_identity_is_read_past_the_gap() {
    let p = power_module();
    let status = p.group("status").unwrap();
    assert_eq!(status.reads.len(), 1);
    let r = &status.reads[0];
    assert_eq!((r.table, r.address, r.count), (Table::Input, 0, 10));
    assert_eq!(
        status.update_counter.map(|i| p.registers[i].name.as_str()),
        Some("update_counter")
    );
    let identity = p.group("identity").unwrap();
    assert_eq!(identity.reads.len(), 1);
    assert_eq!(
        (identity.reads[0].address, identity.reads[0].count),
        (20, 9)
    );
    assert_eq!(
        p.group("flags").unwrap().reads[0].table,
        Table::DiscreteInput
    );
    let wd = p.watchdog.as_ref().unwrap();
    assert_eq!(p.registers[wd.register].name, "keepalive");
    assert_eq!(
        p.group("setpoints").unwrap().kind,
        GroupKind::Setpoint {
            refresh_ms: Some(2000)
        }
    );
}

#[test]
fn power_module_values_decode_through_the_profile() {
    let p = power_module();
    let v = p.point(Point::OutputVoltage).unwrap();
    // 800.25 V as f32 = 0x44481000, CDAB on the wire.
    assert_eq!(
        codec::decode(&v.encoding, &[0x1000, 0x4448]).unwrap(),
        Value::Number(800.25)
    );
    let t = p.point(Point::ModuleTemperature).unwrap();
    assert_eq!(
        codec::decode(&t.encoding, &[0x7FFF]),
        Err(DecodeError::SensorFault { raw: 32767 })
    );
    let faults = p.point(Point::ModuleFaults).unwrap();
    assert_eq!(
        faults.active_bits(0b1_0000_0001),
        vec!["over_temperature", "power_limiting"]
    );
    let state = p.point(Point::ModuleStatus).unwrap();
    assert_eq!(
        state.enum_names.get(&3).map(String::as_str),
        Some("derating")
    );
    assert!(matches!(
        codec::decode(&state.encoding, &[9]),
        Err(DecodeError::UnknownEnum { raw: 9 })
    ));
}

#[test]
fn writes_are_encoded_and_read_only_points_refused() {
    let p = power_module();
    let w = p
        .encode_write(Point::VoltageSetpoint, &Value::Number(750.5))
        .unwrap();
    // 750500 mV = 0x000B_73A4
    assert_eq!(
        w,
        WriteRequest {
            table: Table::Holding,
            address: 2,
            payload: WritePayload::Words(vec![0x000B, 0x73A4])
        }
    );
    assert!(matches!(
        p.encode_write(Point::VoltageSetpoint, &Value::Number(1000.5)),
        Err(WriteError::Encode(EncodeError::OutOfRange { .. }))
    ));
    assert_eq!(
        p.encode_write(Point::OutputVoltage, &Value::Number(1.0)),
        Err(WriteError::ReadOnly(Point::OutputVoltage))
    );
    assert_eq!(
        p.encode_write(Point::OutputEnable, &Value::Bool(true))
            .unwrap()
            .payload,
        WritePayload::Bit(true)
    );
}

#[test]
fn the_vehicle_and_module_side_voltages_come_from_named_roles() {
    assert_eq!(
        Role::PowerModule.contactor_side(),
        Some(ContactorSide::Module)
    );
    assert_eq!(
        Role::InsulationMonitor.contactor_side(),
        Some(ContactorSide::Vehicle)
    );
}

// --- mistakes ------------------------------------------------------------------------------

/// A small valid insulation-monitor profile that each test breaks in one place.
const BASE: &str = r#"
[device]
name = "test IMD"
role = "insulation_monitor"

[limits]
max_registers_per_read = 20

[groups.m]
kind = "status"
poll_hz = 5

[groups.c]
kind = "setpoint"

[registers.resistance]
table = "input"
address = 0
type = "u32"
unit = "kOhm"
access = "read"
group = "m"
point = "insulation_resistance"

[registers.alarm]
table = "discrete_input"
address = 0
type = "bool"
access = "read"
group = "m"
point = "insulation_alarm"

[registers.enable]
table = "coil"
address = 0
type = "bool"
access = "read_write"
group = "c"
point = "monitor_enable"

[registers.self_test]
table = "coil"
address = 1
type = "bool"
access = "write"
group = "c"
point = "self_test"
momentary = true
"#;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(text, Path::new("configs/devices/test.toml"))
}

fn broken(from: &str, to: &str) -> ProfileError {
    assert!(BASE.contains(from), "test edit {from:?} does not apply");
    parse(&BASE.replacen(from, to, 1)).expect_err("the broken profile must be refused")
}

#[test]
fn the_base_profile_is_valid() {
    let p = parse(BASE).unwrap();
    assert_eq!(p.role, Role::InsulationMonitor);
}

#[test]
fn an_unknown_type_names_the_key() {
    let e = broken("type = \"u32\"", "type = \"u24\"");
    assert_eq!(e.key, "registers.resistance.type");
    assert!(matches!(e.problem, Problem::Syntax(_)));
    let shown = e.to_string();
    assert!(
        shown.starts_with("configs/devices/test.toml: registers.resistance.type: line 19"),
        "{shown}"
    );
}

#[test]
fn an_unknown_field_names_the_key() {
    let e = broken("unit = \"kOhm\"", "unit = \"kOhm\"\nscael = 0.1");
    assert!(e.key.starts_with("registers.resistance"), "{}", e.key);
    assert!(e.to_string().contains("scael"), "{e}");
}

#[test]
fn overlapping_registers_are_refused() {
    let e = broken(
        "[registers.alarm]",
        "[registers.low_word]\ntable = \"input\"\naddress = 1\ntype = \"u16\"\naccess = \"read\"\ngroup = \"m\"\n\n[registers.alarm]",
    );
    assert_eq!(e.key, "registers.low_word.address");
    assert_eq!(
        e.problem,
        Problem::Overlap {
            other: "resistance".into()
        }
    );
}

#[test]
fn bools_on_distinct_bits_of_one_register_do_not_overlap_but_the_same_bit_does() {
    let two_bits = "[registers.a]\ntable = \"holding\"\naddress = 5\ntype = \"bool\"\nbit = 0\naccess = \"read\"\ngroup = \"m\"\n\n[registers.b]\ntable = \"holding\"\naddress = 5\ntype = \"bool\"\nbit = 1\naccess = \"read\"\ngroup = \"m\"\n";
    parse(&format!("{BASE}\n{two_bits}")).unwrap();
    let same = two_bits.replace("bit = 1", "bit = 0");
    let e = parse(&format!("{BASE}\n{same}")).unwrap_err();
    assert_eq!(e.problem, Problem::Overlap { other: "a".into() });
}

#[test]
fn a_missing_role_point_names_the_role_and_point() {
    let e = broken("point = \"self_test\"\n", "");
    assert_eq!(e.key, "registers");
    assert_eq!(
        e.problem,
        Problem::MissingPoint {
            role: Role::InsulationMonitor,
            point: Point::SelfTest
        }
    );
    assert!(e.to_string().contains("needs point self_test"), "{e}");
}

#[test]
fn a_writable_register_in_a_read_only_table_is_refused() {
    // An input register declared writable: "a write to a read-only register".
    let e = broken(
        "access = \"read\"\ngroup = \"m\"\npoint = \"insulation_resistance\"",
        "access = \"read_write\"\ngroup = \"m\"\npoint = \"insulation_resistance\"",
    );
    assert_eq!(e.key, "registers.resistance.access");
    assert_eq!(
        e.problem,
        Problem::WriteToReadOnly {
            table: Table::Input
        }
    );
}

#[test]
fn a_setpoint_the_role_writes_must_be_writable() {
    let e = broken(
        "access = \"read_write\"\ngroup = \"c\"\npoint = \"monitor_enable\"",
        "access = \"read\"\ngroup = \"m\"\npoint = \"monitor_enable\"",
    );
    assert_eq!(e.key, "registers.enable.access");
    assert!(matches!(e.problem, Problem::NotWritable { .. }));
}

#[test]
fn a_read_only_register_in_a_setpoint_group_is_refused() {
    let e = broken(
        "access = \"read\"\ngroup = \"m\"\npoint = \"insulation_alarm\"",
        "access = \"read\"\ngroup = \"c\"\npoint = \"insulation_alarm\"",
    );
    assert_eq!(e.key, "registers.alarm.group");
    assert!(matches!(e.problem, Problem::NotWritable { .. }));
}

#[test]
fn out_of_protocol_request_sizes_are_refused() {
    let e = broken(
        "max_registers_per_read = 20",
        "max_registers_per_read = 126",
    );
    assert_eq!(e.key, "limits.max_registers_per_read");
    assert!(matches!(e.problem, Problem::ProtocolLimit { max, .. } if max == 125.0));
    let e = broken(
        "max_registers_per_read = 20",
        "max_registers_per_read = 20\nmax_bits_per_read = 2001",
    );
    assert_eq!(e.key, "limits.max_bits_per_read");
    let e = broken("max_registers_per_read = 20", "max_registers_per_read = 0");
    assert_eq!(e.key, "limits.max_registers_per_read");
}

#[test]
fn a_string_longer_than_one_read_is_refused() {
    let e = broken(
        "[registers.alarm]",
        "[registers.serial]\ntable = \"input\"\naddress = 10\ntype = \"string\"\nlength = 21\naccess = \"read\"\ngroup = \"m\"\n\n[registers.alarm]",
    );
    assert_eq!(e.key, "registers.serial.length");
}

#[test]
fn a_register_inside_a_declared_gap_is_refused() {
    let e = broken(
        "max_registers_per_read = 20",
        "max_registers_per_read = 20\ngaps = [{ table = \"input\", start = 1, end = 4 }]",
    );
    assert_eq!(e.key, "registers.resistance.address");
    assert!(matches!(e.problem, Problem::Plan(PlanError::InGap { .. })));
}

#[test]
fn a_snapshot_that_needs_two_reads_is_refused() {
    let text = BASE.replacen("poll_hz = 5", "poll_hz = 5\nsnapshot = true", 1);
    // resistance (input) and alarm (discrete input) are in different tables: two reads.
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key, "groups.m.snapshot");
    assert_eq!(e.problem, Problem::SnapshotSplit { requests: 2 });
}

#[test]
fn poll_rate_above_the_device_limit_is_refused() {
    let e = broken("poll_hz = 5", "poll_hz = 50");
    assert_eq!(e.key, "groups.m.poll_hz");
}

#[test]
fn unknown_group_foreign_point_wrong_unit_and_word_order_are_refused() {
    let e = broken(
        "group = \"m\"\npoint = \"insulation_resistance\"",
        "group = \"x\"\npoint = \"insulation_resistance\"",
    );
    assert_eq!(e.key, "registers.resistance.group");
    assert_eq!(e.problem, Problem::UnknownGroup("x".into()));

    let e = broken("point = \"insulation_alarm\"", "point = \"output_voltage\"");
    assert_eq!(e.key, "registers.alarm.point");
    assert!(matches!(e.problem, Problem::ForeignPoint { .. }));

    let e = broken("unit = \"kOhm\"", "unit = \"V\"");
    assert_eq!(e.key, "registers.resistance.unit");

    let e = broken(
        "[registers.alarm]",
        "[registers.w]\ntable = \"input\"\naddress = 9\ntype = \"u16\"\norder = \"CDAB\"\naccess = \"read\"\ngroup = \"m\"\n\n[registers.alarm]",
    );
    assert_eq!(e.key, "registers.w.order");
}

#[test]
fn a_momentary_command_in_a_polled_group_is_refused() {
    let e = broken(
        "group = \"c\"\npoint = \"self_test\"",
        "group = \"m\"\npoint = \"self_test\"",
    );
    assert_eq!(e.key, "registers.self_test.group");
}

#[test]
fn a_watchdog_on_a_read_only_register_is_refused() {
    let e = broken(
        "[groups.m]",
        "[watchdog]\nregister = \"resistance\"\nperiod_ms = 1000\nmode = \"counter\"\n\n[groups.m]",
    );
    assert_eq!(e.key, "watchdog.register");
    assert!(matches!(e.problem, Problem::NotWritable { .. }));
}

#[test]
fn a_syntax_error_gives_the_line() {
    let e = parse("[device\nname = 1").unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn momentary_commands_and_single_bits_encode_as_such() {
    let p = power_module();
    assert_eq!(
        p.encode_command(Point::FaultReset).unwrap().payload,
        WritePayload::Bit(true)
    );
    assert_eq!(
        p.encode_command(Point::VoltageSetpoint),
        Err(WriteError::NotMomentary(Point::VoltageSetpoint))
    );
    // A writable flag that shares holding register 9 with others: only its bit may change.
    let text = BASE.replacen(
        "[registers.enable]\ntable = \"coil\"\naddress = 0\ntype = \"bool\"",
        "[registers.enable]\ntable = \"holding\"\naddress = 9\ntype = \"bool\"\nbit = 2",
        1,
    );
    assert_ne!(text, BASE);
    let p = parse(&text).unwrap();
    assert_eq!(
        p.encode_write(Point::MonitorEnable, &Value::Bool(true))
            .unwrap()
            .payload,
        WritePayload::Mask {
            and_mask: !0b100,
            or_mask: 0b100
        }
    );
    assert_eq!(
        p.encode_write(Point::MonitorEnable, &Value::Bool(false))
            .unwrap()
            .payload,
        WritePayload::Mask {
            and_mask: !0b100,
            or_mask: 0
        }
    );
}

#[test]
fn age_limits_default_to_three_poll_periods() {
    let p = power_module();
    let idx = |name: &str| p.registers.iter().position(|r| r.name == name).unwrap();
    assert_eq!(
        p.max_age(idx("output_voltage")),
        Some(std::time::Duration::from_millis(300))
    );
    assert_eq!(
        p.max_age(idx("voltage_setpoint")),
        None,
        "setpoints are not polled"
    );
}

#[test]
fn a_point_the_station_reads_must_be_polled() {
    // A read_write coil as the alarm, but in the setpoint group: it would never be read.
    let e = broken(
        "table = \"discrete_input\"\naddress = 0\ntype = \"bool\"\naccess = \"read\"\ngroup = \"m\"",
        "table = \"coil\"\naddress = 5\ntype = \"bool\"\naccess = \"read_write\"\ngroup = \"c\"",
    );
    assert_eq!(e.key, "registers.alarm.group");
    assert!(e.to_string().contains("status group"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The I/O-module role: named points, each with its `io` kind.

const IO_BASE: &str = r#"
[device]
name = "test I/O"
role = "io_module"

[groups.inputs]
kind = "status"
poll_hz = 10

[groups.outputs]
kind = "setpoint"

[registers.estop]
table = "discrete_input"
address = 0
type = "bool"
access = "read"
group = "inputs"
io = "digital_input"

[registers.lock_feedback]
table = "input"
address = 4
type = "bool"
bit = 3
access = "read"
group = "inputs"
io = "digital_input"

[registers.cc1]
table = "input"
address = 0
type = "i16"
scale = 0.01
unit = "V"
access = "read"
group = "inputs"
io = "analog_input"

[registers.contactor]
table = "coil"
address = 16
type = "bool"
access = "read_write"
group = "outputs"
io = "digital_output"

[registers.bleeder]
table = "holding"
address = 2
type = "bool"
bit = 0
access = "read_write"
group = "outputs"
io = "digital_output"
"#;

fn io_broken(from: &str, to: &str) -> ProfileError {
    assert!(IO_BASE.contains(from), "test edit {from:?} does not apply");
    parse(&IO_BASE.replacen(from, to, 1)).expect_err("the broken profile must be refused")
}

#[test]
fn an_io_module_names_its_points_by_register_with_their_kind() {
    let p = parse(IO_BASE).unwrap();
    assert_eq!(p.role, Role::IoModule);
    let kinds: Vec<(&str, Option<IoKind>)> = p
        .registers
        .iter()
        .map(|r| (r.name.as_str(), r.io))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("bleeder", Some(IoKind::DigitalOutput)),
            ("cc1", Some(IoKind::AnalogInput)),
            ("contactor", Some(IoKind::DigitalOutput)),
            ("estop", Some(IoKind::DigitalInput)),
            ("lock_feedback", Some(IoKind::DigitalInput)),
        ]
    );
    // An output on a coil is a single-coil write; on a bit of a holding register a masked
    // write that leaves the other bits alone.
    let contactor = p
        .registers
        .iter()
        .position(|r| r.name == "contactor")
        .unwrap();
    assert_eq!(
        p.encode_write_register(contactor, &Value::Bool(true))
            .unwrap(),
        WriteRequest {
            table: Table::Coil,
            address: 16,
            payload: WritePayload::Bit(true)
        }
    );
    let bleeder = p
        .registers
        .iter()
        .position(|r| r.name == "bleeder")
        .unwrap();
    assert_eq!(
        p.encode_write_register(bleeder, &Value::Bool(true))
            .unwrap()
            .payload,
        WritePayload::Mask {
            and_mask: 0xFFFE,
            or_mask: 0x0001
        }
    );
    let estop = p.registers.iter().position(|r| r.name == "estop").unwrap();
    assert_eq!(
        p.encode_write_register(estop, &Value::Bool(true)),
        Err(WriteError::ReadOnlyRegister("estop".into()))
    );
}

#[test]
fn an_output_on_a_read_only_table_is_refused_by_file_and_key() {
    // "An output on a discrete input."
    let e = io_broken(
        "table = \"coil\"\naddress = 16\ntype = \"bool\"\naccess = \"read_write\"",
        "table = \"discrete_input\"\naddress = 16\ntype = \"bool\"\naccess = \"read\"",
    );
    assert_eq!(e.key, "registers.contactor.table");
    let shown = e.to_string();
    assert!(
        shown.starts_with("configs/devices/test.toml: registers.contactor.table: a digital_output"),
        "{shown}"
    );
    assert!(shown.contains("discrete_input is read-only"), "{shown}");
    // An output on a bit of an input register.
    let e = io_broken(
        "table = \"holding\"\naddress = 2\ntype = \"bool\"\nbit = 0\naccess = \"read_write\"",
        "table = \"input\"\naddress = 2\ntype = \"bool\"\nbit = 0\naccess = \"read\"",
    );
    assert_eq!(e.key, "registers.bleeder.table");
    // Left writable, the table's own check names the access.
    let e = io_broken(
        "table = \"coil\"\naddress = 16",
        "table = \"discrete_input\"\naddress = 16",
    );
    assert_eq!(e.key, "registers.contactor.access");
    assert_eq!(
        e.problem,
        Problem::WriteToReadOnly {
            table: Table::DiscreteInput
        }
    );
}

#[test]
fn a_write_to_a_read_only_point_is_refused_by_file_and_key() {
    // A digital input declared writable: the table cannot be written.
    let e = io_broken(
        "address = 0\ntype = \"bool\"\naccess = \"read\"",
        "address = 0\ntype = \"bool\"\naccess = \"read_write\"",
    );
    assert_eq!(e.key, "registers.estop.access");
    assert_eq!(
        e.problem,
        Problem::WriteToReadOnly {
            table: Table::DiscreteInput
        }
    );
    // An output on a coil the profile says is read-only.
    let e = io_broken(
        "address = 16\ntype = \"bool\"\naccess = \"read_write\"\ngroup = \"outputs\"",
        "address = 16\ntype = \"bool\"\naccess = \"read\"\ngroup = \"outputs\"",
    );
    assert_eq!(e.key, "registers.contactor.access");
    assert!(matches!(e.problem, Problem::NotWritable { .. }), "{e}");
}

#[test]
fn inputs_are_polled_and_outputs_written_on_change() {
    let e = io_broken(
        "access = \"read\"\ngroup = \"inputs\"\nio = \"digital_input\"\n\n[registers.lock",
        "access = \"read\"\ngroup = \"outputs\"\nio = \"digital_input\"\n\n[registers.lock",
    );
    assert_eq!(e.key, "registers.estop.group");
    assert!(e.to_string().contains("status group"), "{e}");
    let e = io_broken(
        "[groups.outputs]\nkind = \"setpoint\"",
        "[groups.outputs]\nkind = \"status\"\npoll_hz = 5",
    );
    assert_eq!(e.key, "registers.bleeder.group");
    assert!(e.to_string().contains("written on change"), "{e}");
}

#[test]
fn a_coil_is_not_an_input_and_a_digital_point_in_a_register_is_one_bit() {
    let e = io_broken(
        "access = \"read_write\"\ngroup = \"outputs\"\nio = \"digital_output\"\n\n[registers.bleeder]",
        "access = \"read_write\"\ngroup = \"outputs\"\nio = \"digital_input\"\n\n[registers.bleeder]",
    );
    assert_eq!(e.key, "registers.contactor.table");
    let e = io_broken("type = \"bool\"\nbit = 3", "type = \"u16\"");
    assert_eq!(e.key, "registers.lock_feedback.type");
}

#[test]
fn an_analog_input_is_a_number_in_volts_or_amperes() {
    let e = io_broken("unit = \"V\"", "unit = \"degC\"");
    assert_eq!(e.key, "registers.cc1.unit");
    assert!(e.to_string().contains("volts"), "{e}");
    let e = io_broken("scale = 0.01\nunit = \"V\"\n", "");
    assert_eq!(e.key, "registers.cc1.unit", "a unit is required");
    parse(&IO_BASE.replacen("unit = \"V\"", "unit = \"A\"", 1)).unwrap();
    let e = io_broken(
        "table = \"input\"\naddress = 0\ntype = \"i16\"\nscale = 0.01\nunit = \"V\"\n",
        "table = \"discrete_input\"\naddress = 9\ntype = \"bool\"\n",
    );
    assert_eq!(e.key, "registers.cc1.table");
}

#[test]
fn io_points_belong_to_the_io_module_role_and_role_points_do_not() {
    // `io` on another role's register.
    let e = broken(
        "point = \"self_test\"\n",
        "point = \"self_test\"\nio = \"digital_output\"\n",
    );
    assert!(e.key.ends_with(".io"), "{}", e.key);
    assert!(e.to_string().contains("role io_module"), "{e}");
    // A role point in an I/O module.
    let e = io_broken("io = \"analog_input\"", "point = \"meter_voltage\"");
    assert_eq!(e.key, "registers.cc1.point");
    assert!(matches!(e.problem, Problem::ForeignPoint { .. }), "{e}");
    // An I/O module without a single I/O point.
    let none: String = IO_BASE
        .lines()
        .filter(|l| !l.starts_with("io = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = parse(&none).unwrap_err();
    assert_eq!(e.key, "registers");
}

#[test]
fn the_shipped_io_module_has_eight_inputs_eight_relays_four_analog_inputs_and_a_keepalive() {
    let p = Profile::load(&devices_dir().join("io-module-8di8do-modbus.toml")).unwrap();
    let count = |k: IoKind| p.registers.iter().filter(|r| r.io == Some(k)).count();
    assert_eq!(count(IoKind::DigitalInput), 8);
    assert_eq!(count(IoKind::DigitalOutput), 8);
    assert_eq!(count(IoKind::AnalogInput), 4);
    let wd = p.watchdog.as_ref().unwrap();
    assert_eq!(p.registers[wd.register].name, "comm_watchdog");
    // The eight inputs are one read, the four analog inputs another.
    assert_eq!(p.group("digital_inputs").unwrap().reads.len(), 1);
    assert_eq!(p.group("analog_inputs").unwrap().reads.len(), 1);
}
