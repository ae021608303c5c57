//! Meter readings as OCPP 1.6 sampled values: which measurands, in which context, and the
//! transaction data a StopTransaction carries (StopTxnSampledData / StopTxnAlignedData).

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::v16;
use serde::{Deserialize, Serialize};

use super::keys::STOP_TXN_MAX_SAMPLES;

/// What the station measured on one connector at one instant, as the shell reads it for the
/// charge point core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterReading {
    pub connector: u32,
    /// The station's transaction running on the connector, if any.
    pub transaction_id: Option<i64>,
    pub energy_wh: f64,
    pub voltage: f32,
    pub current: f32,
    /// What the station offers the truck now (all limits but the truck's request).
    pub offered_current: f32,
    pub soc_percent: Option<f32>,
    /// The vehicle's hottest battery temperature, as it reports it.
    pub temperature_c: Option<f32>,
    /// The connector's hottest valid pin (the one thermal derating regulates), °C.
    #[serde(default)]
    pub pin_temperature_c: Option<f32>,
    /// The coolant returning from the connector's cable, °C (when its sensor is valid).
    #[serde(default)]
    pub coolant_temperature_c: Option<f32>,
}

impl MeterReading {
    /// What the station shows of a connector now, as its meter values carry it: the offered
    /// current is every limit but the truck's request (thermal derating included), the
    /// temperatures the hottest valid pin and the coolant leaving the cable.
    pub fn of(v: &crate::runtime::ConnectorView) -> MeterReading {
        let c = &v.station;
        let thermal = v.thermal.as_ref();
        MeterReading {
            connector: c.id,
            transaction_id: c.transaction.as_ref().map(|t| t.transaction_id),
            energy_wh: c.meter_wh,
            voltage: c.voltage,
            current: c.current,
            offered_current: c.offered_current,
            soc_percent: c.vehicle.soc_percent,
            temperature_c: c.vehicle.max_temperature_c,
            pin_temperature_c: thermal.and_then(|t| t.hottest_pin_c),
            coolant_temperature_c: thermal.and_then(|t| {
                t.sensors
                    .iter()
                    .find(|s| s.sensor == crate::thermal::Sensor::CoolantOutlet)
                    .filter(|s| s.validity == crate::thermal::Validity::Valid)
                    .and_then(|s| s.value_c)
            }),
        }
    }
}

/// Why a reading is taken (OCPP ReadingContext).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadingContext {
    /// Every MeterValueSampleInterval of a transaction.
    Periodic,
    /// On the ClockAlignedDataInterval grid.
    Clock,
    /// Asked for by TriggerMessage.
    Trigger,
}

impl ReadingContext {
    /// The context on the wire.
    pub fn message(self) -> v16::ReadingContext {
        match self {
            ReadingContext::Periodic => v16::ReadingContext::SamplePeriodic,
            ReadingContext::Clock => v16::ReadingContext::SampleClock,
            ReadingContext::Trigger => v16::ReadingContext::Trigger,
        }
    }
}

/// The measurand a configuration key lists (MeterValuesSampledData and kin hold the wire
/// names); `None` for a name 1.6 does not define.
pub fn measurand(name: &str) -> Option<v16::Measurand> {
    v16::Measurand::ALL.into_iter().find(|m| m.as_str() == name)
}

/// The sampled values of `measurands` in `reading` (measurands the reading cannot give, e.g.
/// SoC without a vehicle that reports it, are left out).
///
/// `Temperature` is one value per location that has one (1.6 has no locations or phases for
/// a DC connector's poles, README "Thermal derating"): `Outlet` = the connector's hottest
/// valid pin, `Cable` = the coolant returning from the cable, `EV` = the vehicle's hottest
/// battery temperature.
pub fn sampled_values(
    reading: &MeterReading,
    measurands: &[String],
    context: v16::ReadingContext,
) -> Vec<v16::SampledValue> {
    use v16::{Location, Measurand, UnitOfMeasure};
    let value =
        |m: Measurand, value: String, unit: UnitOfMeasure, location: Location| v16::SampledValue {
            value,
            context: Some(context),
            measurand: Some(m),
            location: Some(location),
            unit: Some(unit),
            format: None,
            phase: None,
        };
    measurands
        .iter()
        .filter_map(|m| measurand(m))
        .flat_map(|m| {
            if m == Measurand::Temperature {
                return [
                    (reading.pin_temperature_c, Location::Outlet),
                    (reading.coolant_temperature_c, Location::Cable),
                    (reading.temperature_c, Location::EV),
                ]
                .into_iter()
                .filter_map(|(t, location)| {
                    let t = t.filter(|t| t.is_finite())?;
                    Some(value(
                        m,
                        format!("{t:.1}"),
                        UnitOfMeasure::Celsius,
                        location,
                    ))
                })
                .collect::<Vec<_>>();
            }
            let (v, unit, location) = match m {
                Measurand::EnergyActiveImportRegister => (
                    format!("{:.0}", reading.energy_wh),
                    UnitOfMeasure::Wh,
                    Location::Outlet,
                ),
                Measurand::PowerActiveImport => (
                    format!(
                        "{:.0}",
                        f64::from(reading.voltage) * f64::from(reading.current)
                    ),
                    UnitOfMeasure::W,
                    Location::Outlet,
                ),
                Measurand::CurrentImport => (
                    format!("{:.1}", reading.current),
                    UnitOfMeasure::A,
                    Location::Outlet,
                ),
                Measurand::CurrentOffered => (
                    format!("{:.1}", reading.offered_current),
                    UnitOfMeasure::A,
                    Location::Outlet,
                ),
                Measurand::Voltage => (
                    format!("{:.1}", reading.voltage),
                    UnitOfMeasure::V,
                    Location::Outlet,
                ),
                Measurand::SoC => match reading.soc_percent {
                    Some(soc) => (format!("{soc:.0}"), UnitOfMeasure::Percent, Location::EV),
                    None => return Vec::new(),
                },
                _ => return Vec::new(),
            };
            vec![value(m, v, unit, location)]
        })
        .collect()
}

/// The meter values one transaction collects for its StopTransaction, bounded: when full,
/// every other entry after the first is dropped, so a long session keeps an even sketch of
/// itself instead of only its beginning or its end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactionData {
    entries: Vec<v16::MeterValue>,
}

impl TransactionData {
    pub fn push(&mut self, timestamp: DateTime, sampled: Vec<v16::SampledValue>) {
        if sampled.is_empty() {
            return;
        }
        if self.entries.len() >= STOP_TXN_MAX_SAMPLES {
            let mut i = 0;
            self.entries.retain(|_| {
                i += 1;
                i == 1 || i % 2 == 0
            });
        }
        self.entries.push(v16::MeterValue {
            timestamp,
            sampled_value: sampled,
        });
    }

    pub fn into_meter_values(self) -> Vec<v16::MeterValue> {
        self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading() -> MeterReading {
        MeterReading {
            connector: 1,
            transaction_id: Some(3),
            energy_wh: 12_345.4,
            voltage: 650.0,
            current: 200.0,
            offered_current: 250.0,
            soc_percent: None,
            temperature_c: Some(31.5),
            pin_temperature_c: None,
            coolant_temperature_c: None,
        }
    }

    #[test]
    fn temperature_is_one_value_per_location_with_a_sensor() {
        let r = MeterReading {
            pin_temperature_c: Some(87.04),
            coolant_temperature_c: Some(f32::NAN),
            ..reading()
        };
        let periodic = v16::ReadingContext::SamplePeriodic;
        let v = sampled_values(&r, &["Temperature".to_string()], periodic);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].location, Some(v16::Location::Outlet));
        assert_eq!(v[0].value, "87.0");
        assert_eq!(v[1].location, Some(v16::Location::EV));
        let r = MeterReading {
            coolant_temperature_c: Some(41.0),
            temperature_c: None,
            ..r
        };
        let v = sampled_values(&r, &["Temperature".to_string()], periodic);
        assert_eq!(v[1].location, Some(v16::Location::Cable));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn only_measurands_the_reading_has_are_sampled() {
        let m: Vec<String> = [
            "Energy.Active.Import.Register",
            "SoC",
            "Temperature",
            "Current.Offered",
            "Not.A.Measurand",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let v = sampled_values(&reading(), &m, v16::ReadingContext::SamplePeriodic);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].value, "12345");
        assert_eq!(v[1].measurand, Some(v16::Measurand::Temperature));
        assert_eq!(v[1].unit, Some(v16::UnitOfMeasure::Celsius));
        assert_eq!(v[2].value, "250.0");
    }

    #[test]
    fn transaction_data_stays_bounded_and_keeps_its_first_entry() {
        let mut d = TransactionData::default();
        let m = vec!["Voltage".to_string()];
        let at = |i: i64| DateTime::from_unix_ms(1_795_619_373_000 + i * 1000);
        for i in 0..1000 {
            d.push(
                at(i),
                sampled_values(&reading(), &m, v16::ReadingContext::SamplePeriodic),
            );
            assert!(d.len() <= STOP_TXN_MAX_SAMPLES);
        }
        let v = d.into_meter_values();
        assert_eq!(v[0].timestamp, at(0));
        assert_eq!(v.last().unwrap().timestamp, at(999));
    }
}
