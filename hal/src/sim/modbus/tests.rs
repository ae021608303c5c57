//! The simulated devices as pure values, against the shipped profiles.

use std::path::Path;

use super::*;
use crate::profile::codec::decode;

fn shipped(name: &str) -> Arc<Profile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/devices")
        .join(name);
    Arc::new(Profile::load(&path).unwrap())
}

fn module() -> SimDevice<PowerModulePlant> {
    SimDevice::new(
        shipped("power-module-30kw-modbus.toml"),
        PowerModulePlant::new(ModuleRating::default(), BatteryLoad::default()),
    )
    .unwrap()
}

fn words(resp: Option<Response>) -> Vec<u16> {
    match resp {
        Some(Response::ReadInputRegisters(w) | Response::ReadHoldingRegisters(w)) => w,
        other => panic!("not a register read: {other:?}"),
    }
}

/// Decode register `name` from a read of its span.
fn read_point(dev: &mut SimDevice<impl PlantModel>, name: &str) -> Value {
    let reg = dev.bank().profile().register(name).unwrap().clone();
    let span = reg.span();
    let req = match reg.table {
        Table::Input => Request::ReadInputRegisters(span.address, span.count),
        Table::Holding => Request::ReadHoldingRegisters(span.address, span.count),
        t => panic!("{t:?}"),
    };
    decode(&reg.encoding, &words(dev.handle(&req).unwrap())).unwrap()
}

#[test]
fn the_map_comes_from_the_profile_with_its_orders_and_gaps() {
    let mut dev = module();
    dev.plant_mut().set_temperature(42.5);
    dev.advance(Duration::from_millis(1));
    // i16 × 0.1 at input 5.
    assert_eq!(read_point(&mut dev, "temperature"), Value::Number(42.5));
    // The profile's hole at input 10..19 is a hole here too.
    assert_eq!(
        dev.handle(&Request::ReadInputRegisters(9, 2)),
        Err(ExceptionCode::IllegalDataAddress)
    );
    // A 32-bit setpoint in mV, ABCD: 700 V is 700 000 = 0x000A_AE60.
    dev.handle(&Request::WriteMultipleRegisters(
        2,
        vec![0x000A, 0xAE60].into(),
    ))
    .unwrap();
    assert_eq!(
        read_point(&mut dev, "voltage_setpoint"),
        Value::Number(700.0)
    );
}

#[test]
fn a_setpoint_out_of_the_profiles_range_is_refused_and_changes_nothing() {
    let mut dev = module();
    // 1200 V (range 0..1000): illegal data value.
    let raw = 1_200_000u32;
    let req = Request::WriteMultipleRegisters(2, vec![(raw >> 16) as u16, raw as u16].into());
    assert_eq!(dev.handle(&req), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(read_point(&mut dev, "voltage_setpoint"), Value::Number(0.0));
    // Read-only input registers and unmapped holding registers cannot be written.
    assert_eq!(
        dev.handle(&Request::WriteSingleRegister(7, 1)),
        Err(ExceptionCode::IllegalDataAddress)
    );
}

#[test]
fn setpoints_drive_the_plant_and_readings_follow() {
    let mut dev = module();
    dev.handle(&Request::WriteSingleCoil(0, true)).unwrap();
    let mv = |v: u32| vec![(v >> 16) as u16, v as u16];
    dev.handle(&Request::WriteMultipleRegisters(2, mv(700_000).into()))
        .unwrap();
    dev.handle(&Request::WriteMultipleRegisters(4, mv(40_000).into()))
        .unwrap();
    for _ in 0..300 {
        dev.advance(Duration::from_millis(10));
    }
    assert_eq!(read_point(&mut dev, "output_current"), Value::Number(40.0));
    let Value::Number(v) = read_point(&mut dev, "output_voltage") else {
        panic!()
    };
    assert!((v - 602.0).abs() < 0.01, "{v}");
    // Status: running (2); available power 30 kW in the profile's 0.01 kW units.
    assert_eq!(read_point(&mut dev, "state"), Value::Number(2.0));
    assert_eq!(read_point(&mut dev, "available_power"), Value::Number(30.0));
}

#[test]
fn the_momentary_fault_reset_reads_back_cleared() {
    let mut dev = module();
    dev.handle(&Request::WriteSingleCoil(1, true)).unwrap();
    // fault_reset is write-only: the coil table answers, the bit is clear.
    assert_eq!(
        dev.bank().read(Table::Coil, 1, 1),
        Ok(Units::Bits(vec![false]))
    );
}

#[test]
fn frozen_stops_the_update_counter_and_garbage_is_never_plausible() {
    let mut dev = module();
    dev.advance(Duration::from_millis(10));
    let c0 = read_point(&mut dev, "update_counter");
    dev.advance(Duration::from_millis(10));
    let c1 = read_point(&mut dev, "update_counter");
    assert_ne!(c0, c1);
    dev.inject(Some(CommsFault::Frozen));
    dev.advance(Duration::from_millis(10));
    assert_eq!(read_point(&mut dev, "update_counter"), c1);

    dev.inject(Some(CommsFault::Garbage));
    let reg = dev
        .bank()
        .profile()
        .register("output_voltage")
        .unwrap()
        .clone();
    let w = words(dev.handle(&Request::ReadInputRegisters(1, 2)).unwrap());
    assert!(decode(&reg.encoding, &w).is_err(), "{w:?}");

    dev.inject(Some(CommsFault::NoAnswer));
    assert_eq!(dev.handle(&Request::ReadInputRegisters(0, 1)), Ok(None));
    dev.inject(Some(CommsFault::Exception(ExceptionCode::ServerDeviceBusy)));
    assert_eq!(
        dev.handle(&Request::ReadInputRegisters(0, 1)),
        Err(ExceptionCode::ServerDeviceBusy)
    );
    assert_eq!(dev.reply_delay(), None);

    // A late device answers correctly; the shell holds the answer back by the delay.
    dev.inject(None);
    let on_time = dev.handle(&Request::ReadInputRegisters(0, 1));
    dev.inject(Some(CommsFault::Late(Duration::from_millis(300))));
    assert_eq!(dev.handle(&Request::ReadInputRegisters(0, 1)), on_time);
    assert_eq!(dev.reply_delay(), Some(Duration::from_millis(300)));
}

#[test]
fn a_plant_refuses_a_profile_of_another_role() {
    let err =
        SimDevice::new(shipped("dc-meter-modbus.toml"), InsulationPlant::default()).unwrap_err();
    assert!(matches!(err, SimError::WrongRole { .. }), "{err}");
}

#[test]
fn every_shipped_profile_has_a_simulator() {
    let cooling = SimDevice::new(
        shipped("cooling-unit-hpc-modbus.toml"),
        CoolingPlant::new(Box::new(ConnectorThermal::default())),
    );
    let meter = SimDevice::new(shipped("dc-meter-modbus.toml"), DcMeterPlant::new(0.0));
    let imd = SimDevice::new(
        shipped("insulation-monitor-modbus.toml"),
        InsulationPlant::default(),
    );
    assert!(cooling.is_ok() && meter.is_ok() && imd.is_ok());
    // The meter's input 1 holds no point but lies inside the planned snapshot read: it
    // answers (zero), as a device's undeclared hole does.
    let mut meter = meter.unwrap();
    let w = words(meter.handle(&Request::ReadInputRegisters(0, 12)).unwrap());
    assert_eq!((w.len(), w[1]), (12, 0));
    // The IMD's resistance register is in kΩ: 10 MΩ reads 10 000.
    let mut imd = imd.unwrap();
    assert_eq!(read_point(&mut imd, "resistance"), Value::Number(10_000.0));
    // The cooling unit's pressure register is in bar × 0.01: 1.5 bar static.
    let mut cooling = cooling.unwrap();
    assert_eq!(read_point(&mut cooling, "pressure"), Value::Number(1.5));
}

#[test]
fn a_module_without_keep_alive_drops_its_output_after_the_profiles_device_timeout() {
    let mut dev = module();
    let mv = |v: u32| vec![(v >> 16) as u16, v as u16];
    dev.handle(&Request::WriteMultipleRegisters(2, mv(700_000).into()))
        .unwrap();
    dev.handle(&Request::WriteMultipleRegisters(4, mv(10_000).into()))
        .unwrap();
    dev.handle(&Request::WriteSingleCoil(0, true)).unwrap();
    // Keep-alive (holding 10) every second for 8 s: still charging.
    for s in 0..8u16 {
        dev.handle(&Request::WriteSingleRegister(10, s)).unwrap();
        for _ in 0..100 {
            dev.advance(Duration::from_millis(10));
        }
    }
    assert_eq!(read_point(&mut dev, "output_current"), Value::Number(10.0));
    // Silence for more than the profile's 5 s: output off, communication-timeout bit set.
    for _ in 0..510 {
        dev.advance(Duration::from_millis(10));
    }
    assert_eq!(read_point(&mut dev, "output_current"), Value::Number(0.0));
    assert_eq!(read_point(&mut dev, "state"), Value::Number(0.0));
    let Value::Number(bits) = read_point(&mut dev, "faults") else {
        panic!()
    };
    assert_eq!(bits as u16 & (1 << 7), 1 << 7);
    // Enabled again (with keep-alive): it runs and the bit clears.
    dev.handle(&Request::WriteSingleRegister(10, 9)).unwrap();
    dev.handle(&Request::WriteSingleCoil(0, true)).unwrap();
    for _ in 0..100 {
        dev.advance(Duration::from_millis(10));
    }
    assert_eq!(read_point(&mut dev, "output_current"), Value::Number(10.0));
    assert_eq!(read_point(&mut dev, "faults"), Value::Number(0.0));
}

#[test]
fn bools_sharing_one_holding_register_are_each_commanded() {
    let text = r#"
[device]
name = "bit-mapped cooling unit"
role = "cooling_unit"

[groups.temps]
kind = "status"
poll_hz = 1

[groups.set]
kind = "setpoint"

[registers.plus]
table = "input"
address = 0
type = "i16"
scale = 0.1
unit = "degC"
access = "read"
group = "temps"
point = "pin_temperature_dc_plus"

[registers.minus]
table = "input"
address = 1
type = "i16"
scale = 0.1
unit = "degC"
access = "read"
group = "temps"
point = "pin_temperature_dc_minus"

[registers.inlet]
table = "input"
address = 2
type = "i16"
scale = 0.1
unit = "degC"
access = "read"
group = "temps"
point = "coolant_inlet_temperature"

[registers.outlet]
table = "input"
address = 3
type = "i16"
scale = 0.1
unit = "degC"
access = "read"
group = "temps"
point = "coolant_outlet_temperature"

[registers.flow]
table = "input"
address = 4
type = "u16"
unit = "l/min"
access = "read"
group = "temps"
point = "coolant_flow"

[registers.pressure]
table = "input"
address = 5
type = "u16"
scale = 0.01
unit = "bar"
access = "read"
group = "temps"
point = "coolant_pressure"

[registers.level]
table = "input"
address = 6
type = "u16"
unit = "%"
access = "read"
group = "temps"
point = "coolant_level"

[registers.alarms]
table = "input"
address = 7
type = "u16"
access = "read"
group = "temps"
point = "cooling_alarms"

[registers.pump]
table = "holding"
address = 0
type = "u16"
unit = "%"
access = "read_write"
group = "set"
point = "pump_setpoint"

[registers.fan]
table = "holding"
address = 1
type = "u16"
unit = "%"
access = "read_write"
group = "set"
point = "fan_setpoint"

[registers.run]
table = "holding"
address = 2
type = "bool"
bit = 3
access = "read_write"
group = "set"
point = "cooling_run"

[registers.aux]
table = "holding"
address = 2
type = "bool"
bit = 0
access = "read_write"
group = "set"
"#;
    let profile = Arc::new(Profile::parse(text, Path::new("bits.toml")).unwrap());
    let mut dev = SimDevice::new(
        profile,
        CoolingPlant::new(Box::new(ConnectorThermal::default())),
    )
    .unwrap();
    dev.handle(&Request::WriteSingleRegister(2, 1 << 3))
        .unwrap();
    assert_eq!(
        dev.plant()
            .readings()
            .iter()
            .find(|(p, _)| *p == Point::CoolingRun),
        Some(&(Point::CoolingRun, Value::Bool(true)))
    );
    assert_eq!(
        dev.handle(&Request::ReadHoldingRegisters(2, 1)),
        Ok(Some(Response::ReadHoldingRegisters(vec![1 << 3])))
    );
}

fn io_module() -> SimDevice<IoModulePlant> {
    let profile = shipped("io-module-8di8do-modbus.toml");
    let plant = IoModulePlant::new(&profile);
    SimDevice::new(profile, plant).unwrap()
}

#[test]
fn an_io_modules_terminals_are_its_profiles_points() {
    let mut dev = io_module();
    assert!(dev.plant_mut().set_input("di3", true));
    assert!(dev.plant_mut().set_analog("ai2", 7.25));
    assert!(
        !dev.plant_mut().set_input("ai2", true),
        "not a digital input"
    );
    assert!(!dev.plant_mut().set_input("do1", true), "not an input");
    dev.advance(Duration::from_millis(10));
    assert_eq!(
        dev.handle(&Request::ReadDiscreteInputs(0, 8)).unwrap(),
        Some(Response::ReadDiscreteInputs(vec![
            false, false, true, false, false, false, false, false
        ]))
    );
    // 7.25 V in millivolts at input register 1.
    assert_eq!(read_point(&mut dev, "ai2"), Value::Number(7.25));
    assert_eq!(
        words(dev.handle(&Request::ReadInputRegisters(0, 4)).unwrap()),
        vec![0, 7250, 0, 0]
    );
    // A coil written is the relay's state; the discrete inputs cannot be written.
    dev.handle(&Request::WriteSingleCoil(1, true)).unwrap();
    assert_eq!(dev.plant().output("do2"), Some(true));
    dev.advance(Duration::from_millis(10));
    assert_eq!(
        dev.handle(&Request::ReadCoils(0, 3)).unwrap(),
        Some(Response::ReadCoils(vec![false, true, false]))
    );
}

#[test]
fn an_io_module_drops_its_relays_when_the_keepalive_stops() {
    let mut dev = io_module();
    dev.handle(&Request::WriteSingleCoil(0, true)).unwrap();
    dev.handle(&Request::WriteSingleRegister(100, 1)).unwrap();
    dev.advance(Duration::from_millis(1_900));
    assert_eq!(
        dev.plant().output("do1"),
        Some(true),
        "within the 2 s timeout"
    );
    dev.handle(&Request::WriteSingleRegister(100, 2)).unwrap();
    dev.advance(Duration::from_millis(1_900));
    assert_eq!(dev.plant().output("do1"), Some(true), "fed again");
    dev.advance(Duration::from_millis(200));
    assert_eq!(
        dev.plant().output("do1"),
        Some(false),
        "2.1 s without a keep-alive"
    );
    assert_eq!(
        dev.handle(&Request::ReadCoils(0, 1)).unwrap(),
        Some(Response::ReadCoils(vec![false]))
    );
}

#[test]
fn an_auxiliary_contact_wired_to_a_relay_follows_it_until_cut() {
    let mut dev = io_module();
    let plant = dev.plant_mut();
    assert!(plant
        .apply_command("wire do9 di3")
        .unwrap_err()
        .contains("not a relay"));
    assert!(plant
        .apply_command("wire do1 ai1")
        .unwrap_err()
        .contains("not a digital input"));
    plant.apply_command("wire do1 di3").unwrap();
    // The coil closes and opens: the contact follows.
    dev.handle(&Request::WriteSingleCoil(0, true)).unwrap();
    dev.advance(Duration::from_millis(10));
    assert_eq!(
        dev.handle(&Request::ReadDiscreteInputs(2, 1)).unwrap(),
        Some(Response::ReadDiscreteInputs(vec![true]))
    );
    // The keep-alive stops: the relay drops, and so does its contact.
    dev.advance(Duration::from_millis(2_100));
    assert_eq!(dev.plant().output("do1"), Some(false));
    assert_eq!(
        dev.handle(&Request::ReadDiscreteInputs(2, 1)).unwrap(),
        Some(Response::ReadDiscreteInputs(vec![false]))
    );
    // Cut and set by hand (a welded contactor): the coil no longer moves it.
    let plant = dev.plant_mut();
    plant.apply_command("unwire di3").unwrap();
    assert!(plant
        .apply_command("unwire di3")
        .unwrap_err()
        .contains("not wired"));
    plant.apply_command("di3 on").unwrap();
    dev.handle(&Request::WriteSingleCoil(0, false)).unwrap();
    dev.advance(Duration::from_millis(10));
    assert_eq!(
        dev.handle(&Request::ReadDiscreteInputs(2, 1)).unwrap(),
        Some(Response::ReadDiscreteInputs(vec![true]))
    );
}

#[test]
fn an_io_modules_inputs_are_set_by_text_commands() {
    let mut dev = io_module();
    let plant = dev.plant_mut();
    plant.apply_command("di8 on").unwrap();
    plant.apply_command(" ai4  3.5 ").unwrap();
    assert!(plant
        .apply_command("do1 on")
        .unwrap_err()
        .contains("not an input"));
    assert!(plant
        .apply_command("di8 maybe")
        .unwrap_err()
        .contains("not a level"));
    assert!(plant
        .apply_command("ai4 NaN")
        .unwrap_err()
        .contains("not a number"));
    assert!(plant.apply_command("di8").is_err());
    dev.advance(Duration::from_millis(10));
    assert_eq!(read_point(&mut dev, "ai4"), Value::Number(3.5));
    assert_eq!(
        dev.handle(&Request::ReadDiscreteInputs(7, 1)).unwrap(),
        Some(Response::ReadDiscreteInputs(vec![true]))
    );
}
