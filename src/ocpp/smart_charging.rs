//! OCPP 1.6 Smart Charging (§3.13; SetChargingProfile §5.16, ClearChargingProfile §5.5,
//! GetCompositeSchedule §5.7) for the charge point. Pure: no I/O, no clock; every time is unix
//! milliseconds given by the caller.
//!
//! * [`ChargingProfile`]: a `csChargingProfiles` object, parsed with the semantic checks the
//!   schema cannot express ([`ProfileError`]), and written back in schema form.
//! * [`ProfileStore`]: the installed profiles per connector (0 = the whole charge point), the
//!   storage rules of §5.16 ([`SetRejected`]), ClearChargingProfile, and the limit in force:
//!   [`ProfileStore::limit_at`], [`ProfileStore::next_change_after`] (so the shell sleeps until
//!   the limit can change instead of polling) and [`ProfileStore::composite_schedule`].
//!
//! Decisions where the 1.6 text leaves room (each has a test):
//! * **Absolute without startSchedule** is accepted (real CSMSs send it meaning "from now"): the
//!   schedule starts at the instant the profile is set ([`SetContext::now_ms`]), and the filled-in
//!   start is what is persisted and echoed.
//! * **Relative** schedules start at the transaction's start. Without a transaction they do not
//!   apply in [`ProfileStore::limit_at`] (there is no start to count from); for
//!   [`ProfileStore::composite_schedule`] without a transaction they are shown as if a
//!   transaction started at the request (what a session starting now would get; EVerest does the
//!   same). A Relative ChargePointMaxProfile belongs to no transaction and is rejected.
//! * **Recurring** schedules repeat every 24 h / 7 d from startSchedule and do not apply before
//!   it; periods at or beyond the recurrence length are never reached; a duration longer than the
//!   recurrence is cut to it.
//! * **Fallback:** a profile is in force while `validFrom ≤ t < validTo`, its schedule has
//!   started and its duration has not passed; otherwise the next lower stack level applies.
//! * **Units stay apart:** [`Limit`] has amps and watts separately; nothing converts except
//!   [`ProfileStore::composite_schedule`], which must answer in one unit.
//! * A TxProfile without transactionId is bound to the transaction running when it is set, so it
//!   can never leak into a later transaction even if [`ProfileStore::transaction_ended`] is
//!   missed. `transactionId` on other purposes is kept (echoed) but ignored.
//! * Profiles that can never apply again (validTo passed; an Absolute schedule whose duration has
//!   ended) are dropped from a connector whenever a profile is set on it, so dead profiles do not
//!   hold places under [`MAX_PROFILES_PER_CONNECTOR`].

use std::collections::BTreeMap;

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::{v16, v201};
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::ocpp::chargepoint::parse_rfc3339_ms;
use crate::wall_time::rfc3339_utc;

/// Installed profiles per connector at most (a CSMS cannot grow memory without bound).
pub const MAX_PROFILES_PER_CONNECTOR: usize = 32;
/// Periods per schedule at most: the value to report as `ChargingScheduleMaxPeriods`.
pub const MAX_SCHEDULE_PERIODS: usize = 128;
/// Periods of a composite schedule at most; a longer answer is cut (its duration shortened).
pub const MAX_COMPOSITE_PERIODS: usize = 1024;
/// Steps (instants where the limit may change) walked for one composite schedule at most, so a
/// request for decades of a daily profile cannot stall the core; the duration is cut there.
const MAX_COMPOSITE_STEPS: usize = 8192;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// A profile that cannot be installed: the payload is malformed, or breaks a rule the schema
/// cannot express. SetChargingProfile answers `Rejected` (or the RPC layer a CALLERROR).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProfileError {
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} has the wrong type or is out of range")]
    Invalid(&'static str),
    #[error("{field} has a value that is not allowed: {value:?}")]
    UnknownValue { field: &'static str, value: String },
    #[error("{0} is not an RFC 3339 time")]
    BadTime(&'static str),
    #[error("chargingSchedulePeriod is empty")]
    NoPeriods,
    #[error("chargingSchedulePeriod has {0} periods, more than {MAX_SCHEDULE_PERIODS}")]
    TooManyPeriods(usize),
    #[error("the first startPeriod is {0}, not 0")]
    FirstPeriodNotZero(u32),
    #[error("startPeriod values are not strictly increasing")]
    PeriodsNotIncreasing,
    #[error("a limit is negative or not a number")]
    BadLimit,
    #[error("a Recurring profile needs recurrencyKind")]
    RecurringWithoutKind,
    #[error("a Recurring profile needs startSchedule")]
    RecurringWithoutStart,
    #[error("validTo is not after validFrom")]
    EmptyValidity,
    #[error("{0:?} is not a connector id")]
    BadConnector(String),
    #[error("{0} charging schedules; one is taken (several are for ISO 15118 only)")]
    SeveralSchedules(usize),
    #[error("ChargingStationExternalConstraints is set by an external system, not the CSMS")]
    ExternalConstraints,
}

/// Why SetChargingProfile is answered `Rejected` for a well-formed profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SetRejected {
    #[error("connector {connector} does not exist (the charge point has {count})")]
    UnknownConnector { connector: u32, count: u32 },
    #[error("a ChargePointMaxProfile can only be set on connector 0")]
    ChargePointMaxNotOnConnector0,
    #[error("a ChargePointMaxProfile cannot be Relative: it belongs to no transaction")]
    RelativeChargePointMax,
    #[error("a TxProfile needs a connector > 0")]
    TxProfileOnConnector0,
    #[error("no transaction runs on connector {0}")]
    NoTransaction(u32),
    #[error("the TxProfile is for transaction {profile}, but transaction {running} runs")]
    WrongTransaction { profile: i64, running: i64 },
    #[error("connector {0} already holds {MAX_PROFILES_PER_CONNECTOR} profiles")]
    TooManyProfiles(u32),
}

macro_rules! ocpp_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            /// The name OCPP uses.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),+ }
            }
            /// From the name OCPP uses.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $(stringify!($variant) => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

ocpp_enum!(
    /// chargingProfilePurpose.
    ProfilePurpose { ChargePointMaxProfile, TxDefaultProfile, TxProfile }
);
ocpp_enum!(
    /// chargingProfileKind.
    ProfileKind { Absolute, Recurring, Relative }
);
ocpp_enum!(
    /// recurrencyKind.
    Recurrency { Daily, Weekly }
);
ocpp_enum!(
    /// chargingRateUnit.
    RateUnit { A, W }
);

/// One chargingSchedulePeriod.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulePeriod {
    /// Seconds from the schedule's start.
    pub start_s: u32,
    /// In the schedule's unit; finite, ≥ 0.
    pub limit: f64,
    pub number_phases: Option<u8>,
}

/// A chargingSchedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingSchedule {
    pub duration_s: Option<u32>,
    pub start_ms: Option<i64>,
    pub unit: RateUnit,
    /// Non-empty, first at 0, strictly increasing.
    pub periods: Vec<SchedulePeriod>,
    pub min_rate: Option<f64>,
}

/// A charging profile (csChargingProfiles).
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingProfile {
    pub id: i32,
    pub stack_level: u32,
    pub purpose: ProfilePurpose,
    pub kind: ProfileKind,
    pub recurrency: Option<Recurrency>,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    pub transaction_id: Option<i64>,
    pub schedule: ChargingSchedule,
}

type Obj = Map<String, Value>;

fn int(o: &Obj, key: &'static str) -> Result<Option<i64>, ProfileError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            // 3.0 is an integer to a JSON schema; serde_json keeps it as a float.
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or(ProfileError::Invalid(key)),
    }
}

fn req_int<T: TryFrom<i64>>(o: &Obj, key: &'static str) -> Result<T, ProfileError> {
    opt_int(o, key)?.ok_or(ProfileError::Missing(key))
}

fn opt_int<T: TryFrom<i64>>(o: &Obj, key: &'static str) -> Result<Option<T>, ProfileError> {
    int(o, key)?
        .map(|i| T::try_from(i).map_err(|_| ProfileError::Invalid(key)))
        .transpose()
}

fn opt_str<'a>(o: &'a Obj, key: &'static str) -> Result<Option<&'a str>, ProfileError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ProfileError::Invalid(key)),
    }
}

fn opt_enum<T>(
    o: &Obj,
    key: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ProfileError> {
    opt_str(o, key)?
        .map(|s| {
            parse(s).ok_or_else(|| ProfileError::UnknownValue {
                field: key,
                value: s.chars().take(40).collect(),
            })
        })
        .transpose()
}

fn opt_time(o: &Obj, key: &'static str) -> Result<Option<i64>, ProfileError> {
    opt_str(o, key)?
        .map(|s| parse_rfc3339_ms(s).ok_or(ProfileError::BadTime(key)))
        .transpose()
}

fn opt_number(o: &Obj, key: &'static str) -> Result<Option<f64>, ProfileError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(ProfileError::Invalid(key)),
    }
}

fn object<'a>(v: &'a Value, key: &'static str) -> Result<&'a Obj, ProfileError> {
    v.as_object().ok_or(ProfileError::Invalid(key))
}

/// A wire schedule's periods (startPeriod, limit, numberPhases), checked to fit: at most
/// [`MAX_SCHEDULE_PERIODS`], every number in range. The same for both OCPP versions.
fn schedule_periods(
    items: impl ExactSizeIterator<Item = (i64, f64, Option<i64>)>,
) -> Result<Vec<SchedulePeriod>, ProfileError> {
    if items.len() > MAX_SCHEDULE_PERIODS {
        return Err(ProfileError::TooManyPeriods(items.len()));
    }
    items
        .map(|(start, limit, phases)| {
            Ok(SchedulePeriod {
                start_s: u32::try_from(start).map_err(|_| ProfileError::Invalid("startPeriod"))?,
                limit,
                number_phases: phases
                    .map(|n| u8::try_from(n).map_err(|_| ProfileError::Invalid("numberPhases")))
                    .transpose()?,
            })
        })
        .collect()
}

impl ChargingProfile {
    /// Parse a `csChargingProfiles` object (field names as in the 1.6 schema) and check what
    /// the schema cannot (see [`ProfileError`]). Unknown fields are left to the RPC layer's
    /// schema validation.
    pub fn from_json(v: &Value) -> Result<Self, ProfileError> {
        let o = object(v, "csChargingProfiles")?;
        let s = object(
            o.get("chargingSchedule")
                .ok_or(ProfileError::Missing("chargingSchedule"))?,
            "chargingSchedule",
        )?;
        let periods = s
            .get("chargingSchedulePeriod")
            .ok_or(ProfileError::Missing("chargingSchedulePeriod"))?
            .as_array()
            .ok_or(ProfileError::Invalid("chargingSchedulePeriod"))?;
        if periods.len() > MAX_SCHEDULE_PERIODS {
            return Err(ProfileError::TooManyPeriods(periods.len()));
        }
        let periods = periods
            .iter()
            .map(|p| {
                let p = object(p, "chargingSchedulePeriod")?;
                Ok(SchedulePeriod {
                    start_s: req_int(p, "startPeriod")?,
                    limit: opt_number(p, "limit")?.ok_or(ProfileError::Missing("limit"))?,
                    number_phases: opt_int(p, "numberPhases")?,
                })
            })
            .collect::<Result<Vec<_>, ProfileError>>()?;
        let profile = ChargingProfile {
            id: req_int(o, "chargingProfileId")?,
            stack_level: req_int(o, "stackLevel")?,
            purpose: opt_enum(o, "chargingProfilePurpose", ProfilePurpose::parse)?
                .ok_or(ProfileError::Missing("chargingProfilePurpose"))?,
            kind: opt_enum(o, "chargingProfileKind", ProfileKind::parse)?
                .ok_or(ProfileError::Missing("chargingProfileKind"))?,
            recurrency: opt_enum(o, "recurrencyKind", Recurrency::parse)?,
            valid_from: opt_time(o, "validFrom")?,
            valid_to: opt_time(o, "validTo")?,
            transaction_id: opt_int(o, "transactionId")?,
            schedule: ChargingSchedule {
                duration_s: opt_int(s, "duration")?,
                start_ms: opt_time(s, "startSchedule")?,
                unit: opt_enum(s, "chargingRateUnit", RateUnit::parse)?
                    .ok_or(ProfileError::Missing("chargingRateUnit"))?,
                periods,
                min_rate: opt_number(s, "minChargingRate")?,
            },
        };
        profile.validate()?;
        Ok(profile)
    }

    /// A profile the CSMS sent (SetChargingProfile's csChargingProfiles, RemoteStart's
    /// chargingProfile), with what the schema cannot check: the numbers fit, and
    /// [`validate`](Self::validate).
    pub fn from_wire(p: &v16::ChargingProfile) -> Result<Self, ProfileError> {
        fn fit<T: TryFrom<i64>>(v: i64, key: &'static str) -> Result<T, ProfileError> {
            T::try_from(v).map_err(|_| ProfileError::Invalid(key))
        }
        let s = &p.charging_schedule;
        let periods = schedule_periods(
            s.charging_schedule_period
                .iter()
                .map(|x| (x.start_period, x.limit, x.number_phases)),
        )?;
        let enum_value = |field: &'static str, value: &str| ProfileError::UnknownValue {
            field,
            value: value.to_string(),
        };
        let purpose = p.charging_profile_purpose.as_str();
        let kind = p.charging_profile_kind.as_str();
        let unit = s.charging_rate_unit.as_str();
        let profile = ChargingProfile {
            id: fit(p.charging_profile_id, "chargingProfileId")?,
            stack_level: fit(p.stack_level, "stackLevel")?,
            purpose: ProfilePurpose::parse(purpose)
                .ok_or_else(|| enum_value("chargingProfilePurpose", purpose))?,
            kind: ProfileKind::parse(kind)
                .ok_or_else(|| enum_value("chargingProfileKind", kind))?,
            recurrency: p
                .recurrency_kind
                .map(|r| {
                    Recurrency::parse(r.as_str())
                        .ok_or_else(|| enum_value("recurrencyKind", r.as_str()))
                })
                .transpose()?,
            valid_from: p.valid_from.map(DateTime::unix_ms),
            valid_to: p.valid_to.map(DateTime::unix_ms),
            transaction_id: p.transaction_id,
            schedule: ChargingSchedule {
                duration_s: s.duration.map(|d| fit(d, "duration")).transpose()?,
                start_ms: s.start_schedule.map(DateTime::unix_ms),
                unit: RateUnit::parse(unit).ok_or_else(|| enum_value("chargingRateUnit", unit))?,
                periods,
                min_rate: s.min_charging_rate,
            },
        };
        profile.validate()?;
        Ok(profile)
    }

    /// A 2.0.1 profile the CSMS sent (SetChargingProfile, RequestStartTransaction), in the
    /// same terms: ChargingStationMaxProfile is the charge point's (connector 0) budget, a
    /// transactionId is the station's own decimal id, one schedule only.
    pub fn from_v201(p: &v201::ChargingProfile) -> Result<Self, ProfileError> {
        fn fit<T: TryFrom<i64>>(v: i64, key: &'static str) -> Result<T, ProfileError> {
            T::try_from(v).map_err(|_| ProfileError::Invalid(key))
        }
        let [s] = p.charging_schedule.as_slice() else {
            return Err(ProfileError::SeveralSchedules(p.charging_schedule.len()));
        };
        let periods = schedule_periods(
            s.charging_schedule_period
                .iter()
                .map(|x| (x.start_period, x.limit, x.number_phases)),
        )?;
        use v201::ChargingProfilePurposeEnum as P;
        let purpose = match p.charging_profile_purpose {
            P::ChargingStationMaxProfile => ProfilePurpose::ChargePointMaxProfile,
            P::TxDefaultProfile => ProfilePurpose::TxDefaultProfile,
            P::TxProfile => ProfilePurpose::TxProfile,
            P::ChargingStationExternalConstraints => return Err(ProfileError::ExternalConstraints),
        };
        let profile = ChargingProfile {
            id: fit(p.id, "id")?,
            stack_level: fit(p.stack_level, "stackLevel")?,
            purpose,
            kind: match p.charging_profile_kind {
                v201::ChargingProfileKindEnum::Absolute => ProfileKind::Absolute,
                v201::ChargingProfileKindEnum::Recurring => ProfileKind::Recurring,
                v201::ChargingProfileKindEnum::Relative => ProfileKind::Relative,
            },
            recurrency: p.recurrency_kind.map(|r| match r {
                v201::RecurrencyKindEnum::Daily => Recurrency::Daily,
                v201::RecurrencyKindEnum::Weekly => Recurrency::Weekly,
            }),
            valid_from: p.valid_from.map(DateTime::unix_ms),
            valid_to: p.valid_to.map(DateTime::unix_ms),
            transaction_id: p
                .transaction_id
                .as_deref()
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| ProfileError::Invalid("transactionId"))
                })
                .transpose()?,
            schedule: ChargingSchedule {
                duration_s: s.duration.map(|d| fit(d, "duration")).transpose()?,
                start_ms: s.start_schedule.map(DateTime::unix_ms),
                unit: match s.charging_rate_unit {
                    v201::ChargingRateUnitEnum::A => RateUnit::A,
                    v201::ChargingRateUnitEnum::W => RateUnit::W,
                },
                periods,
                min_rate: s.min_charging_rate,
            },
        };
        profile.validate()?;
        Ok(profile)
    }

    /// The 2.0.1 form, for ReportChargingProfiles.
    pub fn to_v201(&self) -> v201::ChargingProfile {
        use v201::ChargingProfilePurposeEnum as P;
        let s = &self.schedule;
        v201::ChargingProfile {
            charging_profile_kind: match self.kind {
                ProfileKind::Absolute => v201::ChargingProfileKindEnum::Absolute,
                ProfileKind::Recurring => v201::ChargingProfileKindEnum::Recurring,
                ProfileKind::Relative => v201::ChargingProfileKindEnum::Relative,
            },
            charging_profile_purpose: match self.purpose {
                ProfilePurpose::ChargePointMaxProfile => P::ChargingStationMaxProfile,
                ProfilePurpose::TxDefaultProfile => P::TxDefaultProfile,
                ProfilePurpose::TxProfile => P::TxProfile,
            },
            charging_schedule: vec![v201::ChargingSchedule {
                charging_rate_unit: match s.unit {
                    RateUnit::A => v201::ChargingRateUnitEnum::A,
                    RateUnit::W => v201::ChargingRateUnitEnum::W,
                },
                charging_schedule_period: s
                    .periods
                    .iter()
                    .map(|p| v201::ChargingSchedulePeriod {
                        custom_data: None,
                        limit: round_down_01(p.limit),
                        number_phases: p.number_phases.map(i64::from),
                        phase_to_use: None,
                        start_period: i64::from(p.start_s),
                    })
                    .collect(),
                custom_data: None,
                duration: s.duration_s.map(i64::from),
                id: i64::from(self.id),
                min_charging_rate: s.min_rate.map(round_down_01),
                sales_tariff: None,
                start_schedule: s.start_ms.map(DateTime::from_unix_ms),
            }],
            custom_data: None,
            id: i64::from(self.id),
            recurrency_kind: self.recurrency.map(|r| match r {
                Recurrency::Daily => v201::RecurrencyKindEnum::Daily,
                Recurrency::Weekly => v201::RecurrencyKindEnum::Weekly,
            }),
            stack_level: i64::from(self.stack_level),
            transaction_id: self.transaction_id.map(|t| t.to_string()),
            valid_from: self.valid_from.map(DateTime::from_unix_ms),
            valid_to: self.valid_to.map(DateTime::from_unix_ms),
        }
    }

    /// The semantic rules a profile must satisfy (also for one built in code).
    pub fn validate(&self) -> Result<(), ProfileError> {
        let periods = &self.schedule.periods;
        let first = periods.first().ok_or(ProfileError::NoPeriods)?;
        if periods.len() > MAX_SCHEDULE_PERIODS {
            return Err(ProfileError::TooManyPeriods(periods.len()));
        }
        if first.start_s != 0 {
            return Err(ProfileError::FirstPeriodNotZero(first.start_s));
        }
        if periods.windows(2).any(|w| w[1].start_s <= w[0].start_s) {
            return Err(ProfileError::PeriodsNotIncreasing);
        }
        let bad = |x: f64| !x.is_finite() || x < 0.0;
        if periods.iter().any(|p| bad(p.limit)) || self.schedule.min_rate.is_some_and(bad) {
            return Err(ProfileError::BadLimit);
        }
        if self.kind == ProfileKind::Recurring {
            if self.recurrency.is_none() {
                return Err(ProfileError::RecurringWithoutKind);
            }
            if self.schedule.start_ms.is_none() {
                return Err(ProfileError::RecurringWithoutStart);
            }
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to) {
            if to <= from {
                return Err(ProfileError::EmptyValidity);
            }
        }
        Ok(())
    }

    /// The schema form (`csChargingProfiles`), for persistence and echoing.
    pub fn to_json(&self) -> Value {
        let mut o = Obj::new();
        o.insert("chargingProfileId".into(), json!(self.id));
        if let Some(tx) = self.transaction_id {
            o.insert("transactionId".into(), json!(tx));
        }
        o.insert("stackLevel".into(), json!(self.stack_level));
        o.insert(
            "chargingProfilePurpose".into(),
            json!(self.purpose.as_str()),
        );
        o.insert("chargingProfileKind".into(), json!(self.kind.as_str()));
        if let Some(r) = self.recurrency {
            o.insert("recurrencyKind".into(), json!(r.as_str()));
        }
        if let Some(t) = self.valid_from {
            o.insert("validFrom".into(), json!(rfc3339_utc(t)));
        }
        if let Some(t) = self.valid_to {
            o.insert("validTo".into(), json!(rfc3339_utc(t)));
        }
        let s = &self.schedule;
        let mut so = Obj::new();
        if let Some(d) = s.duration_s {
            so.insert("duration".into(), json!(d));
        }
        if let Some(t) = s.start_ms {
            so.insert("startSchedule".into(), json!(rfc3339_utc(t)));
        }
        so.insert("chargingRateUnit".into(), json!(s.unit.as_str()));
        let periods: Vec<Value> = s
            .periods
            .iter()
            .map(|p| {
                let mut po = Obj::new();
                po.insert("startPeriod".into(), json!(p.start_s));
                po.insert("limit".into(), json!(p.limit));
                if let Some(n) = p.number_phases {
                    po.insert("numberPhases".into(), json!(n));
                }
                Value::Object(po)
            })
            .collect();
        so.insert("chargingSchedulePeriod".into(), Value::Array(periods));
        if let Some(m) = s.min_rate {
            so.insert("minChargingRate".into(), json!(m));
        }
        o.insert("chargingSchedule".into(), Value::Object(so));
        Value::Object(o)
    }

    /// When the schedule (its first run, for Recurring) starts.
    fn schedule_start(&self, tx_start: Option<i64>) -> Option<i64> {
        match self.kind {
            ProfileKind::Relative => tx_start,
            ProfileKind::Absolute | ProfileKind::Recurring => self.schedule.start_ms,
        }
    }

    fn recurrence_ms(&self) -> Option<i64> {
        if self.kind != ProfileKind::Recurring {
            return None;
        }
        Some(match self.recurrency? {
            Recurrency::Daily => DAY_MS,
            Recurrency::Weekly => WEEK_MS,
        })
    }

    /// How long one run of the schedule lasts (None: open-ended).
    fn run_length_ms(&self) -> Option<i64> {
        let duration = self.schedule.duration_s.map(|d| i64::from(d) * 1000);
        match (duration, self.recurrence_ms()) {
            (Some(d), Some(r)) => Some(d.min(r)),
            (None, Some(r)) => Some(r),
            (d, None) => d,
        }
    }

    /// The limit (in the schedule's unit) this profile sets at `t`, if it is in force then.
    fn value_at(&self, tx_start: Option<i64>, t: i64) -> Option<f64> {
        if self.valid_from.is_some_and(|f| t < f) || self.valid_to.is_some_and(|to| t >= to) {
            return None;
        }
        let start = self.schedule_start(tx_start)?;
        if t < start {
            return None;
        }
        let mut offset = t - start;
        if let Some(r) = self.recurrence_ms() {
            offset %= r;
        }
        if self.run_length_ms().is_some_and(|len| offset >= len) {
            return None;
        }
        self.schedule
            .periods
            .iter()
            .rev()
            .find(|p| i64::from(p.start_s) * 1000 <= offset)
            .map(|p| p.limit)
    }

    /// Offer every instant after `e.after` where [`Self::value_at`] may change.
    fn offer_boundaries(&self, tx_start: Option<i64>, e: &mut Earliest) {
        if let Some(f) = self.valid_from {
            e.offer(f);
        }
        if let Some(t) = self.valid_to {
            e.offer(t);
        }
        let Some(start) = self.schedule_start(tx_start) else {
            return;
        };
        match self.recurrence_ms() {
            None => self.offer_run(start, e),
            Some(r) => {
                // The run containing `after` (or the first one) and the one after it: their
                // boundaries include the earliest one after `after`.
                let base = if e.after < start {
                    start
                } else {
                    start.saturating_add((e.after - start) / r * r)
                };
                self.offer_run(base, e);
                self.offer_run(base.saturating_add(r), e);
            }
        }
    }

    fn offer_run(&self, run_start: i64, e: &mut Earliest) {
        let len = self.run_length_ms();
        e.offer(run_start);
        for p in &self.schedule.periods {
            let at = i64::from(p.start_s) * 1000;
            if len.is_none_or(|l| at < l) {
                e.offer(run_start.saturating_add(at));
            }
        }
        if let Some(l) = len {
            e.offer(run_start.saturating_add(l));
        }
    }

    /// True if the profile can never be in force at or after `now`.
    fn is_dead(&self, now: i64) -> bool {
        self.valid_to.is_some_and(|to| to <= now)
            || (self.kind == ProfileKind::Absolute
                && matches!(
                    (self.schedule.start_ms, self.schedule.duration_s),
                    (Some(s), Some(d)) if s.saturating_add(i64::from(d) * 1000) <= now
                ))
    }
}

/// The earliest instant strictly after `after` among those offered.
struct Earliest {
    after: i64,
    best: Option<i64>,
}

impl Earliest {
    fn offer(&mut self, t: i64) {
        if t > self.after && self.best.is_none_or(|b| t < b) {
            self.best = Some(t);
        }
    }
}

/// What [`ProfileStore::set`] needs to know about the charge point at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetContext {
    pub now_ms: i64,
    pub number_of_connectors: u32,
    /// The transaction running on the target connector (the CSMS's id), None if none.
    pub active_transaction: Option<i64>,
}

/// The transaction running on a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxContext {
    /// The CSMS's transaction id.
    pub transaction_id: i64,
    pub started_ms: i64,
}

/// A limit from one profile level. None = no limit in that unit. Amps and watts are never
/// converted here: for a DC charger the shell divides watts by the live voltage.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limit {
    pub amps: Option<f64>,
    pub watts: Option<f64>,
}

impl Limit {
    fn of(unit: RateUnit, value: f64) -> Limit {
        match unit {
            RateUnit::A => Limit {
                amps: Some(value),
                watts: None,
            },
            RateUnit::W => Limit {
                amps: None,
                watts: Some(value),
            },
        }
    }

    /// True if it limits nothing.
    pub fn is_none(&self) -> bool {
        self.amps.is_none() && self.watts.is_none()
    }

    /// The tighter of its limits in `unit`, converting with `voltage` where needed (a voltage
    /// that is not positive converts to 0: refuse rather than guess).
    fn in_unit(&self, unit: RateUnit, voltage: f64) -> Option<f64> {
        let v = if voltage.is_finite() && voltage > 0.0 {
            Some(voltage)
        } else {
            None
        };
        let a = self.amps.map(|a| match unit {
            RateUnit::A => a,
            RateUnit::W => v.map_or(0.0, |v| a * v),
        });
        let w = self.watts.map(|w| match unit {
            RateUnit::A => v.map_or(0.0, |v| w / v),
            RateUnit::W => w,
        });
        min_opt(a, w)
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The limits in force for a connector at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Composite {
    /// From the ChargePointMaxProfile in force: the whole charge point's budget.
    pub charge_point: Limit,
    /// From the TxProfile in force, else the TxDefaultProfile in force (always none for
    /// connector 0).
    pub connector: Limit,
}

/// One period of a [`CompositeSchedule`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompositePeriod {
    /// Seconds from the schedule's start.
    pub start_s: u32,
    /// In the schedule's unit, rounded down to 0.1; None = no profile limits this period.
    pub limit: Option<f64>,
}

/// The answer to GetCompositeSchedule, before it becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeSchedule {
    pub start_ms: i64,
    /// The requested duration, or less if the answer was cut at [`MAX_COMPOSITE_PERIODS`].
    pub duration_s: u32,
    pub unit: RateUnit,
    /// Empty if no profile applies anywhere in the window: answer `{"status": "Rejected"}`.
    pub periods: Vec<CompositePeriod>,
}

impl CompositeSchedule {
    /// True if no profile applies in the window (answer Rejected).
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }

    /// The GetCompositeSchedule.conf payload. A 1.6 schedule has no gaps, so periods where no
    /// profile limits are reported with `no_limit` (the caller's rated maximum in the
    /// schedule's unit). Call only when not [`Self::is_empty`].
    pub fn to_json(&self, connector_id: u32, no_limit: f64) -> Value {
        let mut periods: Vec<Value> = Vec::with_capacity(self.periods.len());
        let mut last: Option<f64> = None;
        for p in &self.periods {
            let limit = round_down_01(p.limit.unwrap_or(no_limit));
            // Filling gaps can make neighbours equal: merge them here too.
            if last == Some(limit) {
                continue;
            }
            last = Some(limit);
            periods.push(json!({"startPeriod": p.start_s, "limit": limit}));
        }
        let start = rfc3339_utc(self.start_ms);
        json!({
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": start,
            "chargingSchedule": {
                "duration": self.duration_s,
                "startSchedule": start,
                "chargingRateUnit": self.unit.as_str(),
                "chargingSchedulePeriod": periods,
            }
        })
    }
}

/// Round down to the schema's `multipleOf 0.1` (down: it is a limit), without float noise.
fn round_down_01(x: f64) -> f64 {
    if !x.is_finite() || x <= 0.0 {
        return 0.0;
    }
    let tenths = (x * 10.0 + 1e-6).floor() / 10.0;
    // Beyond ~1.8e307 the tenths overflow; such a limit needs no rounding (and never null).
    if tenths.is_finite() {
        tenths
    } else {
        x
    }
}

impl CompositeSchedule {
    /// The 2.0.1 GetCompositeSchedule answer's schedule: periods where no profile limits
    /// carry `no_limit` (the rating in the schedule's unit), as in 1.6.
    pub fn to_v201(&self, evse_id: u32, no_limit: f64) -> v201::CompositeSchedule {
        let mut periods: Vec<v201::ChargingSchedulePeriod> = Vec::new();
        for p in &self.periods {
            let limit = round_down_01(p.limit.unwrap_or(no_limit));
            if periods.last().is_some_and(|last| last.limit == limit) {
                continue;
            }
            periods.push(v201::ChargingSchedulePeriod {
                custom_data: None,
                limit,
                number_phases: None,
                phase_to_use: None,
                start_period: i64::from(p.start_s),
            });
        }
        v201::CompositeSchedule {
            charging_rate_unit: match self.unit {
                RateUnit::A => v201::ChargingRateUnitEnum::A,
                RateUnit::W => v201::ChargingRateUnitEnum::W,
            },
            charging_schedule_period: periods,
            custom_data: None,
            duration: i64::from(self.duration_s),
            evse_id: i64::from(evse_id),
            schedule_start: DateTime::from_unix_ms(self.start_ms),
        }
    }
}

/// What the station was last told of each connector's profile limit (amperes, watts), and of
/// the charge point's budget (under 0): the one place both OCPP versions turn the profiles in
/// force into station commands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppliedLimits {
    applied: BTreeMap<u32, (Option<f32>, Option<f32>)>,
}

impl AppliedLimits {
    /// The station commands for what differs from what the station has at wall time `at_ms`
    /// (connectors 1 to `connectors`, `tx` giving each one's running transaction), and the
    /// wall time the profiles next change.
    pub fn update(
        &mut self,
        profiles: &ProfileStore,
        connectors: u32,
        tx: impl Fn(u32) -> Option<TxContext>,
        at_ms: i64,
    ) -> (Vec<crate::station::StationCommand>, Option<i64>) {
        use crate::station::StationCommand;
        let describe = |limit: (Option<f32>, Option<f32>), what: &str| match limit {
            (Some(a), Some(w)) => format!("{what}: {a:.0} A, {:.0} kW", w / 1000.0),
            (Some(a), None) => format!("{what}: {a:.0} A"),
            (None, Some(w)) => format!("{what}: {:.0} kW", w / 1000.0),
            (None, None) => String::new(),
        };
        let mut commands = Vec::new();
        // The charge point's profile belongs to no connector and no transaction: one budget
        // for the station, which its allocator shares.
        let station = profiles.limit_at(0, None, at_ms).charge_point;
        let station = (
            station.amps.map(profile_limit),
            station.watts.map(profile_limit),
        );
        if self.applied.get(&0) != Some(&station) {
            tracing::info!(amps = ?station.0, watts = ?station.1, "charge-point-wide smart-charging limit");
            self.applied.insert(0, station);
            commands.push(StationCommand::SetStationLimit {
                amps: station.0,
                watts: station.1,
                detail: describe(station, "charge point profile"),
            });
        }
        let mut next = profiles.next_change_after(0, None, at_ms);
        for connector in 1..=connectors {
            let tx = tx(connector);
            let composite = profiles.limit_at(connector, tx, at_ms);
            let limit = (
                composite.connector.amps.map(profile_limit),
                composite.connector.watts.map(profile_limit),
            );
            if self.applied.get(&connector) != Some(&limit) {
                tracing::info!(connector, amps = ?limit.0, watts = ?limit.1, "smart-charging limit");
                self.applied.insert(connector, limit);
                commands.push(StationCommand::SetChargingLimit {
                    connector,
                    amps: limit.0,
                    watts: limit.1,
                    detail: describe(limit, "charging profile"),
                });
            }
            if let Some(t) = profiles.next_change_after(connector, tx, at_ms) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        (commands, next)
    }
}

/// A profile's limit for the station (f32). A huge number (1e39, a CSMS's way of saying "no
/// limit") saturates instead of becoming infinity, which the station would read as a broken
/// input and so as 0 A: every truck stopped by a limit meant to lift them all.
pub fn profile_limit(v: f64) -> f32 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(0.0, f64::from(f32::MAX)) as f32
    }
}

/// The installed profiles, per connector (0 = the whole charge point).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileStore {
    by_connector: BTreeMap<u32, Vec<ChargingProfile>>,
}

impl ProfileStore {
    /// The profiles installed on `connector` (in the order they were set).
    pub fn profiles(&self, connector: u32) -> &[ChargingProfile] {
        self.by_connector.get(&connector).map_or(&[], Vec::as_slice)
    }

    /// How many profiles are installed in all.
    pub fn len(&self) -> usize {
        self.by_connector.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SetChargingProfile (§5.16). On `Err` nothing changed.
    pub fn set(
        &mut self,
        connector: u32,
        mut profile: ChargingProfile,
        ctx: &SetContext,
    ) -> Result<(), SetRejected> {
        if connector > ctx.number_of_connectors {
            return Err(SetRejected::UnknownConnector {
                connector,
                count: ctx.number_of_connectors,
            });
        }
        match profile.purpose {
            ProfilePurpose::ChargePointMaxProfile => {
                if connector != 0 {
                    return Err(SetRejected::ChargePointMaxNotOnConnector0);
                }
                if profile.kind == ProfileKind::Relative {
                    return Err(SetRejected::RelativeChargePointMax);
                }
            }
            ProfilePurpose::TxProfile => {
                if connector == 0 {
                    return Err(SetRejected::TxProfileOnConnector0);
                }
                let running = ctx
                    .active_transaction
                    .ok_or(SetRejected::NoTransaction(connector))?;
                if let Some(id) = profile.transaction_id {
                    if id != running {
                        return Err(SetRejected::WrongTransaction {
                            profile: id,
                            running,
                        });
                    }
                }
                profile.transaction_id = Some(running);
            }
            ProfilePurpose::TxDefaultProfile => {}
        }
        if profile.kind == ProfileKind::Absolute && profile.schedule.start_ms.is_none() {
            profile.schedule.start_ms = Some(ctx.now_ms);
        }
        let replaced = |p: &ChargingProfile| {
            p.id == profile.id
                || (p.stack_level == profile.stack_level && p.purpose == profile.purpose)
        };
        let kept = self
            .profiles(connector)
            .iter()
            .filter(|p| !replaced(p) && !p.is_dead(ctx.now_ms))
            .count();
        if kept >= MAX_PROFILES_PER_CONNECTOR {
            return Err(SetRejected::TooManyProfiles(connector));
        }
        for list in self.by_connector.values_mut() {
            list.retain(|p| p.id != profile.id);
        }
        let list = self.by_connector.entry(connector).or_default();
        list.retain(|p| !replaced(p) && !p.is_dead(ctx.now_ms));
        list.push(profile);
        self.by_connector.retain(|_, l| !l.is_empty());
        Ok(())
    }

    /// ClearChargingProfile (§5.5): with `id`, remove that profile whatever the other fields
    /// say; otherwise remove every profile matching all criteria given (none given: all).
    /// True if anything was removed (Accepted), false if not (Unknown).
    pub fn clear(
        &mut self,
        id: Option<i32>,
        connector: Option<u32>,
        purpose: Option<ProfilePurpose>,
        stack_level: Option<u32>,
    ) -> bool {
        let before = self.len();
        for (&c, list) in self.by_connector.iter_mut() {
            list.retain(|p| {
                let hit = match id {
                    Some(id) => p.id == id,
                    None => {
                        connector.is_none_or(|x| x == c)
                            && purpose.is_none_or(|x| x == p.purpose)
                            && stack_level.is_none_or(|x| x == p.stack_level)
                    }
                };
                !hit
            });
        }
        self.by_connector.retain(|_, l| !l.is_empty());
        self.len() != before
    }

    /// The transaction on `connector` got a new id (the CSMS's, replacing the station's own):
    /// its TxProfiles follow. True if any did.
    pub fn rebind_transaction(&mut self, connector: u32, from: i64, to: i64) -> bool {
        let mut changed = false;
        if let Some(list) = self.by_connector.get_mut(&connector) {
            for p in list.iter_mut() {
                if p.purpose == ProfilePurpose::TxProfile && p.transaction_id == Some(from) {
                    p.transaction_id = Some(to);
                    changed = true;
                }
            }
        }
        changed
    }

    /// The transaction on `connector` ended: its TxProfiles go (§3.13.1).
    pub fn transaction_ended(&mut self, connector: u32) {
        if let Some(list) = self.by_connector.get_mut(&connector) {
            list.retain(|p| p.purpose != ProfilePurpose::TxProfile);
        }
        self.by_connector.retain(|_, l| !l.is_empty());
    }

    /// The limits in force on `connector` at `at_ms`, `tx` being the transaction running there.
    pub fn limit_at(&self, connector: u32, tx: Option<TxContext>, at_ms: i64) -> Composite {
        self.composite_at(connector, Scope::of(tx), at_ms)
    }

    /// The earliest instant after `at_ms` at which [`Self::limit_at`] may change (it may also
    /// stay the same there); None if it never changes again.
    pub fn next_change_after(
        &self,
        connector: u32,
        tx: Option<TxContext>,
        at_ms: i64,
    ) -> Option<i64> {
        self.next_change(connector, Scope::of(tx), at_ms)
    }

    /// GetCompositeSchedule (§5.7) over `[now_ms, now_ms + duration_s)`: for connector 0 the
    /// ChargePointMaxProfile alone, for a connector the minimum of it and the connector's
    /// profile. In `unit` (default A), converting with `nominal_voltage` where units mix;
    /// limits rounded down to 0.1; equal neighbours merged. Without a transaction, Relative
    /// profiles are shown as if one started at `now_ms`.
    pub fn composite_schedule(
        &self,
        connector: u32,
        tx: Option<TxContext>,
        now_ms: i64,
        duration_s: u32,
        unit: Option<RateUnit>,
        nominal_voltage: f64,
    ) -> CompositeSchedule {
        let unit = unit.unwrap_or(RateUnit::A);
        let scope = match tx {
            Some(_) => Scope::of(tx),
            None => Scope {
                tx_start: Some(now_ms),
                tx_id: None,
            },
        };
        let end = now_ms.saturating_add(i64::from(duration_s) * 1000);
        let mut out = CompositeSchedule {
            start_ms: now_ms,
            duration_s,
            unit,
            periods: Vec::new(),
        };
        let mut t = now_ms;
        let mut steps = 0;
        while t < end {
            steps += 1;
            let start_s = u32::try_from((t - now_ms) / 1000).unwrap_or(u32::MAX);
            if steps > MAX_COMPOSITE_STEPS
                || (out.periods.len() >= MAX_COMPOSITE_PERIODS
                    && out.periods.last().is_some_and(|p| p.start_s != start_s))
            {
                out.duration_s = start_s;
                break;
            }
            let c = self.composite_at(connector, scope, t);
            let limit = min_opt(
                c.charge_point.in_unit(unit, nominal_voltage),
                c.connector.in_unit(unit, nominal_voltage),
            )
            .map(round_down_01);
            push_period(&mut out.periods, start_s, limit);
            t = self
                .next_change(connector, scope, t)
                .map_or(end, |n| n.min(end));
        }
        if out.periods.iter().all(|p| p.limit.is_none()) {
            out.periods.clear();
        }
        out
    }

    fn composite_at(&self, connector: u32, scope: Scope, t: i64) -> Composite {
        // A ChargePointMaxProfile belongs to no transaction: Relative ones never apply.
        let cp = best(self.charge_point_profiles(), None, t);
        let conn = best(self.tx_profiles(connector, scope.tx_id), scope.tx_start, t)
            .or_else(|| best(self.default_profiles(connector), scope.tx_start, t));
        Composite {
            charge_point: cp.unwrap_or_default(),
            connector: conn.unwrap_or_default(),
        }
    }

    fn next_change(&self, connector: u32, scope: Scope, at: i64) -> Option<i64> {
        let mut e = Earliest {
            after: at,
            best: None,
        };
        for (p, _) in self.charge_point_profiles() {
            p.offer_boundaries(None, &mut e);
        }
        for (p, _) in self
            .tx_profiles(connector, scope.tx_id)
            .chain(self.default_profiles(connector))
        {
            p.offer_boundaries(scope.tx_start, &mut e);
        }
        e.best
    }

    fn charge_point_profiles(&self) -> impl Iterator<Item = (&ChargingProfile, bool)> {
        self.profiles(0)
            .iter()
            .filter(|p| p.purpose == ProfilePurpose::ChargePointMaxProfile)
            .map(|p| (p, true))
    }

    fn tx_profiles(
        &self,
        connector: u32,
        tx_id: Option<i64>,
    ) -> impl Iterator<Item = (&ChargingProfile, bool)> {
        let list = match (connector, tx_id) {
            (0, _) | (_, None) => &[][..],
            _ => self.profiles(connector),
        };
        list.iter()
            .filter(move |p| {
                p.purpose == ProfilePurpose::TxProfile
                    && p.transaction_id.is_none_or(|id| Some(id) == tx_id)
            })
            .map(|p| (p, true))
    }

    /// TxDefaultProfiles for `connector`: its own (true) and those on connector 0 (false).
    fn default_profiles(&self, connector: u32) -> impl Iterator<Item = (&ChargingProfile, bool)> {
        let (own, all) = if connector == 0 {
            (&[][..], &[][..])
        } else {
            (self.profiles(connector), self.profiles(0))
        };
        own.iter()
            .map(|p| (p, true))
            .chain(all.iter().map(|p| (p, false)))
            .filter(|(p, _)| p.purpose == ProfilePurpose::TxDefaultProfile)
    }

    /// The whole store for persistence: `{"connectors": {"0": [profile, ...], ...}}`.
    /// TxProfiles are left out: they die with their transaction, which a restart ends.
    pub fn to_json(&self) -> Value {
        let mut connectors = Obj::new();
        for (c, list) in &self.by_connector {
            let profiles: Vec<Value> = list
                .iter()
                .filter(|p| p.purpose != ProfilePurpose::TxProfile)
                .map(ChargingProfile::to_json)
                .collect();
            if !profiles.is_empty() {
                connectors.insert(c.to_string(), Value::Array(profiles));
            }
        }
        json!({ "connectors": connectors })
    }

    /// Read what [`Self::to_json`] wrote.
    pub fn from_json(v: &Value) -> Result<Self, ProfileError> {
        let connectors = object(
            v.get("connectors")
                .ok_or(ProfileError::Missing("connectors"))?,
            "connectors",
        )?;
        let mut store = ProfileStore::default();
        for (key, list) in connectors {
            let c: u32 = key
                .parse()
                .map_err(|_| ProfileError::BadConnector(key.chars().take(20).collect()))?;
            let list = list.as_array().ok_or(ProfileError::Invalid("connectors"))?;
            if list.len() > MAX_PROFILES_PER_CONNECTOR {
                return Err(ProfileError::Invalid("connectors"));
            }
            let profiles = list
                .iter()
                .map(ChargingProfile::from_json)
                .collect::<Result<Vec<_>, _>>()?;
            if !profiles.is_empty() {
                store.by_connector.insert(c, profiles);
            }
        }
        Ok(store)
    }
}

/// The transaction a computation is for.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// Where Relative schedules start.
    tx_start: Option<i64>,
    /// TxProfiles apply only with a transaction.
    tx_id: Option<i64>,
}

impl Scope {
    fn of(tx: Option<TxContext>) -> Scope {
        Scope {
            tx_start: tx.map(|t| t.started_ms),
            tx_id: tx.map(|t| t.transaction_id),
        }
    }
}

/// The limit of the profile in force with the highest stack level; on a tie the
/// connector-specific one (flag true) wins.
fn best<'a>(
    profiles: impl Iterator<Item = (&'a ChargingProfile, bool)>,
    tx_start: Option<i64>,
    t: i64,
) -> Option<Limit> {
    profiles
        .filter_map(|(p, specific)| {
            p.value_at(tx_start, t)
                .map(|v| ((p.stack_level, specific), Limit::of(p.schedule.unit, v)))
        })
        .max_by_key(|(key, _)| *key)
        .map(|(_, l)| l)
}

/// Append a period, merging with an equal neighbour, and letting a later value at the same
/// whole second replace an earlier one (changes less than a second apart).
fn push_period(periods: &mut Vec<CompositePeriod>, start_s: u32, limit: Option<f64>) {
    if let Some(last) = periods.last_mut() {
        if last.start_s == start_s {
            last.limit = limit;
            let n = periods.len();
            if n >= 2 && periods[n - 2].limit == limit {
                periods.pop();
            }
            return;
        }
        if last.limit == limit {
            return;
        }
    }
    periods.push(CompositePeriod { start_s, limit });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ProfileKind::{Absolute, Recurring, Relative};
    use ProfilePurpose::{
        ChargePointMaxProfile as CpMax, TxDefaultProfile as TxDefault, TxProfile,
    };

    fn t(s: &str) -> i64 {
        parse_rfc3339_ms(s).unwrap()
    }

    /// Monday 2026-03-02 00:00 UTC.
    fn t0() -> i64 {
        t("2026-03-02T00:00:00Z")
    }

    const H: i64 = 3_600_000;
    const M: i64 = 60_000;

    fn mk(id: i32, purpose: ProfilePurpose, stack: u32, periods: &[(u32, f64)]) -> ChargingProfile {
        ChargingProfile {
            id,
            stack_level: stack,
            purpose,
            kind: Absolute,
            recurrency: None,
            valid_from: None,
            valid_to: None,
            transaction_id: None,
            schedule: ChargingSchedule {
                duration_s: None,
                start_ms: Some(t0()),
                unit: RateUnit::A,
                periods: periods
                    .iter()
                    .map(|&(start_s, limit)| SchedulePeriod {
                        start_s,
                        limit,
                        number_phases: None,
                    })
                    .collect(),
                min_rate: None,
            },
        }
    }

    fn ctx(now_ms: i64, tx: Option<i64>) -> SetContext {
        SetContext {
            now_ms,
            number_of_connectors: 2,
            active_transaction: tx,
        }
    }

    fn tx(id: i64, started_ms: i64) -> Option<TxContext> {
        Some(TxContext {
            transaction_id: id,
            started_ms,
        })
    }

    fn conn_amps(s: &ProfileStore, c: u32, tx: Option<TxContext>, at: i64) -> Option<f64> {
        s.limit_at(c, tx, at).connector.amps
    }

    fn cp_amps(s: &ProfileStore, at: i64) -> Option<f64> {
        s.limit_at(1, None, at).charge_point.amps
    }

    fn sample_json() -> Value {
        json!({
            "chargingProfileId": 7,
            "transactionId": 42,
            "stackLevel": 3,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "validFrom": "2026-03-01T00:00:00.000Z",
            "validTo": "2026-04-01T00:00:00.000Z",
            "chargingSchedule": {
                "duration": 7200,
                "startSchedule": "2026-03-01T22:00:00.000Z",
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3},
                    {"startPeriod": 1800, "limit": 7400.5}
                ],
                "minChargingRate": 1000.0
            }
        })
    }

    #[test]
    fn parses_every_field_and_writes_the_schema_form_back() {
        let p = ChargingProfile::from_json(&sample_json()).unwrap();
        assert_eq!(p.id, 7);
        assert_eq!(p.stack_level, 3);
        assert_eq!(p.purpose, TxProfile);
        assert_eq!(p.kind, Recurring);
        assert_eq!(p.recurrency, Some(Recurrency::Daily));
        assert_eq!(p.valid_from, Some(t("2026-03-01T00:00:00Z")));
        assert_eq!(p.transaction_id, Some(42));
        assert_eq!(p.schedule.duration_s, Some(7200));
        assert_eq!(p.schedule.start_ms, Some(t("2026-03-01T22:00:00Z")));
        assert_eq!(p.schedule.unit, RateUnit::W);
        assert_eq!(p.schedule.periods[0].number_phases, Some(3));
        assert_eq!(p.schedule.periods[1].limit, 7400.5);
        assert_eq!(p.schedule.min_rate, Some(1000.0));
        assert_eq!(p.to_json(), sample_json());
    }

    #[test]
    fn rejects_semantic_errors_the_schema_cannot_catch() {
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = sample_json();
            f(&mut v);
            ChargingProfile::from_json(&v).unwrap_err()
        };
        let periods = |v: &mut Value| v["chargingSchedule"]["chargingSchedulePeriod"].clone();
        assert_eq!(
            with(&|v| v["chargingSchedule"]["chargingSchedulePeriod"] = json!([])),
            ProfileError::NoPeriods
        );
        assert_eq!(
            with(&|v| v["chargingSchedule"]["chargingSchedulePeriod"][0]["startPeriod"] = json!(5)),
            ProfileError::FirstPeriodNotZero(5)
        );
        assert_eq!(
            with(&|v| v["chargingSchedule"]["chargingSchedulePeriod"][1]["startPeriod"] = json!(0)),
            ProfileError::PeriodsNotIncreasing
        );
        assert_eq!(
            with(&|v| v["chargingSchedule"]["chargingSchedulePeriod"][1]["limit"] = json!(-0.1)),
            ProfileError::BadLimit
        );
        assert_eq!(
            with(&|v| v["chargingSchedule"]["minChargingRate"] = json!(-1)),
            ProfileError::BadLimit
        );
        assert_eq!(
            with(&|v| {
                v.as_object_mut().unwrap().remove("recurrencyKind");
            }),
            ProfileError::RecurringWithoutKind
        );
        assert_eq!(
            with(&|v| {
                v["chargingSchedule"]
                    .as_object_mut()
                    .unwrap()
                    .remove("startSchedule");
            }),
            ProfileError::RecurringWithoutStart
        );
        assert_eq!(
            with(&|v| v["validTo"] = json!("2026-03-01T00:00:00Z")),
            ProfileError::EmptyValidity
        );
        assert_eq!(
            with(&|v| v["validFrom"] = json!("yesterday")),
            ProfileError::BadTime("validFrom")
        );
        assert_eq!(
            with(&|v| v["chargingProfileKind"] = json!("Sometimes")),
            ProfileError::UnknownValue {
                field: "chargingProfileKind",
                value: "Sometimes".into()
            }
        );
        assert_eq!(
            with(&|v| v["stackLevel"] = json!(-1)),
            ProfileError::Invalid("stackLevel")
        );
        assert_eq!(
            with(&|v| {
                v.as_object_mut().unwrap().remove("chargingProfileId");
            }),
            ProfileError::Missing("chargingProfileId")
        );
        assert_eq!(
            with(&|v| {
                let one = periods(v)[0].clone();
                let many: Vec<Value> = (0..=MAX_SCHEDULE_PERIODS)
                    .map(|i| {
                        let mut p = one.clone();
                        p["startPeriod"] = json!(i * 60);
                        p
                    })
                    .collect();
                v["chargingSchedule"]["chargingSchedulePeriod"] = json!(many);
            }),
            ProfileError::TooManyPeriods(MAX_SCHEDULE_PERIODS + 1)
        );
        // An integer the CSMS wrote as 3.0 is still an integer.
        let mut v = sample_json();
        v["stackLevel"] = json!(3.0);
        assert_eq!(ChargingProfile::from_json(&v).unwrap().stack_level, 3);
    }

    #[test]
    fn absolute_without_start_schedule_starts_when_set() {
        let v = json!({
            "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"duration": 600, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}
        });
        let p = ChargingProfile::from_json(&v).unwrap();
        assert_eq!(p.schedule.start_ms, None);
        let mut s = ProfileStore::default();
        let now = t0() + 5 * H;
        s.set(1, p, &ctx(now, None)).unwrap();
        assert_eq!(s.profiles(1)[0].schedule.start_ms, Some(now));
        assert_eq!(conn_amps(&s, 1, None, now - 1), None);
        assert_eq!(conn_amps(&s, 1, None, now), Some(16.0));
        assert_eq!(conn_amps(&s, 1, None, now + 600_000), None);
    }

    #[test]
    fn charge_point_max_only_on_connector_0_and_never_relative() {
        let mut s = ProfileStore::default();
        let p = mk(1, CpMax, 0, &[(0, 100.0)]);
        assert_eq!(
            s.set(1, p.clone(), &ctx(t0(), None)),
            Err(SetRejected::ChargePointMaxNotOnConnector0)
        );
        let mut rel = p.clone();
        rel.kind = Relative;
        assert_eq!(
            s.set(0, rel, &ctx(t0(), None)),
            Err(SetRejected::RelativeChargePointMax)
        );
        assert!(s.is_empty());
        s.set(0, p, &ctx(t0(), None)).unwrap();
        assert_eq!(cp_amps(&s, t0()), Some(100.0));
        // Connector 0 itself has no connector-level limit.
        assert!(s.limit_at(0, None, t0()).connector.is_none());
    }

    #[test]
    fn tx_profile_needs_a_connector_and_its_running_transaction() {
        let mut s = ProfileStore::default();
        let p = mk(1, TxProfile, 0, &[(0, 50.0)]);
        assert_eq!(
            s.set(0, p.clone(), &ctx(t0(), Some(9))),
            Err(SetRejected::TxProfileOnConnector0)
        );
        assert_eq!(
            s.set(1, p.clone(), &ctx(t0(), None)),
            Err(SetRejected::NoTransaction(1))
        );
        let mut other = p.clone();
        other.transaction_id = Some(8);
        assert_eq!(
            s.set(1, other, &ctx(t0(), Some(9))),
            Err(SetRejected::WrongTransaction {
                profile: 8,
                running: 9
            })
        );
        assert!(s.is_empty());
        // Without transactionId it is bound to the running transaction.
        s.set(1, p, &ctx(t0(), Some(9))).unwrap();
        assert_eq!(s.profiles(1)[0].transaction_id, Some(9));
        assert_eq!(conn_amps(&s, 1, tx(9, t0()), t0()), Some(50.0));
        assert_eq!(conn_amps(&s, 1, tx(10, t0()), t0()), None);
    }

    #[test]
    fn tx_profile_follows_its_transaction_to_the_csms_id() {
        // Installed under the station's own id before StartTransaction.conf (a RemoteStart
        // profile): it must keep applying once the CSMS's id replaces it.
        let mut s = ProfileStore::default();
        s.set(1, mk(1, TxProfile, 0, &[(0, 60.0)]), &ctx(t0(), Some(1)))
            .unwrap();
        s.set(2, mk(2, TxProfile, 0, &[(0, 70.0)]), &ctx(t0(), Some(1)))
            .unwrap();
        assert!(s.rebind_transaction(1, 1, 1000));
        assert_eq!(conn_amps(&s, 1, tx(1000, t0()), t0()), Some(60.0));
        assert_eq!(conn_amps(&s, 1, tx(1, t0()), t0()), None);
        // Only that connector's.
        assert_eq!(s.profiles(2)[0].transaction_id, Some(1));
        assert!(!s.rebind_transaction(1, 1, 1000), "nothing left to rebind");
    }

    #[test]
    fn unknown_connector_is_rejected() {
        let mut s = ProfileStore::default();
        assert_eq!(
            s.set(3, mk(1, TxDefault, 0, &[(0, 1.0)]), &ctx(t0(), None)),
            Err(SetRejected::UnknownConnector {
                connector: 3,
                count: 2
            })
        );
        s.set(2, mk(1, TxDefault, 0, &[(0, 1.0)]), &ctx(t0(), None))
            .unwrap();
    }

    #[test]
    fn same_id_replaces_wherever_it_is() {
        let mut s = ProfileStore::default();
        s.set(1, mk(5, TxDefault, 1, &[(0, 10.0)]), &ctx(t0(), None))
            .unwrap();
        s.set(2, mk(5, TxDefault, 4, &[(0, 20.0)]), &ctx(t0(), None))
            .unwrap();
        assert!(s.profiles(1).is_empty());
        assert_eq!(s.profiles(2).len(), 1);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn same_stack_level_and_purpose_replaces_on_the_same_connector_only() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), Some(1));
        s.set(1, mk(1, TxDefault, 2, &[(0, 10.0)]), &c).unwrap();
        s.set(1, mk(2, TxProfile, 2, &[(0, 11.0)]), &c).unwrap(); // other purpose: kept
        s.set(2, mk(3, TxDefault, 2, &[(0, 12.0)]), &c).unwrap(); // other connector: kept
        s.set(1, mk(4, TxDefault, 3, &[(0, 13.0)]), &c).unwrap(); // other level: kept
        assert_eq!(s.len(), 4);
        s.set(1, mk(9, TxDefault, 2, &[(0, 14.0)]), &c).unwrap();
        let ids: Vec<i32> = s.profiles(1).iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![2, 4, 9]);
        assert_eq!(s.profiles(2)[0].id, 3);
    }

    #[test]
    fn installed_profiles_per_connector_are_bounded() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), None);
        for i in 0..MAX_PROFILES_PER_CONNECTOR {
            let n = u32::try_from(i).unwrap();
            s.set(1, mk(n as i32, TxDefault, n, &[(0, 1.0)]), &c)
                .unwrap();
        }
        assert_eq!(
            s.set(1, mk(100, TxDefault, 100, &[(0, 1.0)]), &c),
            Err(SetRejected::TooManyProfiles(1))
        );
        // Replacing one is fine at the cap, and another connector has its own budget.
        s.set(1, mk(100, TxDefault, 5, &[(0, 2.0)]), &c).unwrap();
        s.set(2, mk(101, TxDefault, 0, &[(0, 2.0)]), &c).unwrap();
        // Expired profiles free their place when a profile is set.
        let later = t0() + H;
        let mut dead = mk(200, TxDefault, 1, &[(0, 1.0)]);
        dead.valid_to = Some(later);
        s.set(2, dead, &c).unwrap();
        assert_eq!(s.profiles(2).len(), 2);
        s.set(2, mk(201, TxDefault, 7, &[(0, 1.0)]), &ctx(later, None))
            .unwrap();
        let ids: Vec<i32> = s.profiles(2).iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![101, 201]);
    }

    fn clear_fixture() -> ProfileStore {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), Some(1));
        s.set(0, mk(1, CpMax, 0, &[(0, 100.0)]), &c).unwrap();
        s.set(0, mk(2, TxDefault, 1, &[(0, 32.0)]), &c).unwrap();
        s.set(1, mk(3, TxDefault, 1, &[(0, 16.0)]), &c).unwrap();
        s.set(1, mk(4, TxProfile, 2, &[(0, 8.0)]), &c).unwrap();
        s.set(2, mk(5, TxDefault, 2, &[(0, 4.0)]), &c).unwrap();
        s
    }

    fn ids(s: &ProfileStore) -> Vec<i32> {
        let mut v: Vec<i32> = (0..=2)
            .flat_map(|c| s.profiles(c).iter().map(|p| p.id))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn clear_by_each_criterion() {
        let mut s = clear_fixture();
        // By id, whatever the other fields say.
        assert!(s.clear(Some(3), Some(2), Some(CpMax), Some(9)));
        assert_eq!(ids(&s), vec![1, 2, 4, 5]);
        assert!(!s.clear(Some(3), None, None, None));

        let mut s = clear_fixture();
        assert!(s.clear(None, Some(0), None, None));
        assert_eq!(ids(&s), vec![3, 4, 5]);

        let mut s = clear_fixture();
        assert!(s.clear(None, None, Some(TxDefault), None));
        assert_eq!(ids(&s), vec![1, 4]);

        let mut s = clear_fixture();
        assert!(s.clear(None, None, None, Some(2)));
        assert_eq!(ids(&s), vec![1, 2, 3]);

        let mut s = clear_fixture();
        assert!(s.clear(None, Some(1), Some(TxDefault), Some(1)));
        assert_eq!(ids(&s), vec![1, 2, 4, 5]);
        assert!(!s.clear(None, Some(2), Some(CpMax), None));

        let mut s = clear_fixture();
        assert!(s.clear(None, None, None, None));
        assert!(s.is_empty());
        assert!(!s.clear(None, None, None, None));
    }

    #[test]
    fn transaction_end_removes_only_that_connectors_tx_profiles() {
        let mut s = clear_fixture();
        s.set(2, mk(6, TxProfile, 0, &[(0, 1.0)]), &ctx(t0(), Some(2)))
            .unwrap();
        s.transaction_ended(1);
        assert_eq!(ids(&s), vec![1, 2, 3, 5, 6]);
    }

    #[test]
    fn higher_stack_level_wins_and_falls_back_outside_its_time() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), None);
        s.set(0, mk(1, CpMax, 0, &[(0, 200.0)]), &c).unwrap();
        let mut high = mk(2, CpMax, 5, &[(0, 100.0)]);
        high.valid_from = Some(t0() + H);
        high.valid_to = Some(t0() + 4 * H);
        high.schedule.duration_s = Some(2 * 3600); // ends at t0 + 2 h
        s.set(0, high, &c).unwrap();
        assert_eq!(cp_amps(&s, t0() + H - 1), Some(200.0)); // before validFrom
        assert_eq!(cp_amps(&s, t0() + H), Some(100.0));
        assert_eq!(cp_amps(&s, t0() + 2 * H - 1), Some(100.0));
        assert_eq!(cp_amps(&s, t0() + 2 * H), Some(200.0)); // duration over
        let mut higher = mk(3, CpMax, 9, &[(0, 50.0)]);
        higher.schedule.start_ms = Some(t0() + 3 * H);
        higher.valid_to = Some(t0() + 5 * H);
        s.set(0, higher, &c).unwrap();
        assert_eq!(cp_amps(&s, t0() + 3 * H - 1), Some(200.0)); // not started
        assert_eq!(cp_amps(&s, t0() + 3 * H), Some(50.0));
        assert_eq!(cp_amps(&s, t0() + 5 * H), Some(200.0)); // validTo passed
    }

    #[test]
    fn tx_profile_overrides_tx_default_until_its_schedule_ends() {
        let mut s = ProfileStore::default();
        s.set(1, mk(1, TxDefault, 9, &[(0, 32.0)]), &ctx(t0(), None))
            .unwrap();
        let mut txp = mk(2, TxProfile, 0, &[(0, 64.0), (600, 10.0)]);
        txp.schedule.duration_s = Some(1200);
        s.set(1, txp, &ctx(t0(), Some(7))).unwrap();
        let run = tx(7, t0());
        // A TxProfile of a lower stack level still beats every TxDefault: even when higher.
        assert_eq!(conn_amps(&s, 1, run, t0()), Some(64.0));
        assert_eq!(conn_amps(&s, 1, run, t0() + 10 * M), Some(10.0));
        assert_eq!(conn_amps(&s, 1, run, t0() + 20 * M), Some(32.0));
        // Without the transaction only the default applies.
        assert_eq!(conn_amps(&s, 1, None, t0()), Some(32.0));
    }

    #[test]
    fn connector_0_tx_default_applies_to_every_connector() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), None);
        s.set(0, mk(1, TxDefault, 1, &[(0, 40.0)]), &c).unwrap();
        assert_eq!(conn_amps(&s, 2, None, t0()), Some(40.0));
        assert_eq!(conn_amps(&s, 1, None, t0()), Some(40.0));
        // Same level on connector 2: the specific one wins the tie.
        s.set(2, mk(2, TxDefault, 1, &[(0, 20.0)]), &c).unwrap();
        assert_eq!(conn_amps(&s, 2, None, t0()), Some(20.0));
        assert_eq!(conn_amps(&s, 1, None, t0()), Some(40.0));
        // A higher level on connector 0 beats the specific one.
        s.set(0, mk(3, TxDefault, 2, &[(0, 30.0)]), &c).unwrap();
        assert_eq!(conn_amps(&s, 2, None, t0()), Some(30.0));
    }

    #[test]
    fn daily_recurrence_crosses_midnight() {
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxDefault, 0, &[(0, 10.0), (7200, 20.0)]);
        p.kind = Recurring;
        p.recurrency = Some(Recurrency::Daily);
        p.schedule.start_ms = Some(t("2026-03-01T22:00:00Z"));
        p.schedule.duration_s = Some(8 * 3600); // 22:00 .. 06:00
        s.set(1, p, &ctx(t0(), None)).unwrap();
        let at = |s: &ProfileStore, x: &str| conn_amps(s, 1, None, t(x));
        assert_eq!(at(&s, "2026-03-01T21:59:59Z"), None); // before the first run
        assert_eq!(at(&s, "2026-03-05T22:00:00Z"), Some(10.0));
        assert_eq!(at(&s, "2026-03-05T23:59:59Z"), Some(10.0));
        assert_eq!(at(&s, "2026-03-06T00:00:00Z"), Some(20.0));
        assert_eq!(at(&s, "2026-03-06T05:59:59Z"), Some(20.0));
        assert_eq!(at(&s, "2026-03-06T06:00:00Z"), None);
        assert_eq!(at(&s, "2026-03-06T21:59:59Z"), None);
        assert_eq!(at(&s, "2026-03-06T22:00:00Z"), Some(10.0));
    }

    #[test]
    fn weekly_recurrence_cuts_periods_beyond_the_week() {
        let mut s = ProfileStore::default();
        let week = 7 * 86_400;
        // Monday 08:00-18:00 at 50 A, else 125 A; a period after a week is never reached.
        let mut p = mk(
            1,
            CpMax,
            0,
            &[
                (0, 125.0),
                (8 * 3600, 50.0),
                (18 * 3600, 125.0),
                (week, 1.0),
            ],
        );
        p.kind = Recurring;
        p.recurrency = Some(Recurrency::Weekly);
        p.schedule.duration_s = Some(2 * week); // cut to one week
        s.set(0, p, &ctx(t0(), None)).unwrap();
        let at = |x: &str| cp_amps(&s, t(x));
        assert_eq!(at("2026-03-02T09:00:00Z"), Some(50.0)); // Monday
        assert_eq!(at("2026-03-03T09:00:00Z"), Some(125.0)); // Tuesday
        assert_eq!(at("2026-03-09T00:00:00Z"), Some(125.0)); // next Monday, not 1.0
        assert_eq!(at("2026-03-09T08:00:00Z"), Some(50.0));
        assert_eq!(at("2026-03-30T17:59:59Z"), Some(50.0));
        assert_eq!(at("2026-03-30T18:00:00Z"), Some(125.0));
    }

    #[test]
    fn relative_profiles_start_with_the_transaction() {
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxDefault, 0, &[(0, 100.0), (1800, 60.0)]);
        p.kind = Relative;
        p.schedule.start_ms = None;
        p.schedule.duration_s = Some(3600);
        s.set(1, p, &ctx(t0(), None)).unwrap();
        let start = t0() + 5 * H + 123;
        assert_eq!(conn_amps(&s, 1, None, start), None); // no transaction, no start
        let run = tx(3, start);
        assert_eq!(conn_amps(&s, 1, run, start - 1), None);
        assert_eq!(conn_amps(&s, 1, run, start), Some(100.0));
        assert_eq!(conn_amps(&s, 1, run, start + 30 * M), Some(60.0));
        assert_eq!(conn_amps(&s, 1, run, start + 60 * M), None);
    }

    #[test]
    fn watts_and_amps_stay_apart() {
        let mut s = ProfileStore::default();
        let mut w = mk(1, CpMax, 0, &[(0, 150_000.0)]);
        w.schedule.unit = RateUnit::W;
        s.set(0, w, &ctx(t0(), None)).unwrap();
        s.set(1, mk(2, TxDefault, 0, &[(0, 200.0)]), &ctx(t0(), None))
            .unwrap();
        let c = s.limit_at(1, None, t0());
        assert_eq!(
            c.charge_point,
            Limit {
                amps: None,
                watts: Some(150_000.0)
            }
        );
        assert_eq!(
            c.connector,
            Limit {
                amps: Some(200.0),
                watts: None
            }
        );
    }

    #[test]
    fn next_change_finds_every_kind_of_boundary() {
        let c = ctx(t0(), Some(4));
        // Period starts and the end of the duration.
        let mut s = ProfileStore::default();
        let mut p = mk(1, CpMax, 0, &[(0, 10.0), (600, 20.0)]);
        p.schedule.duration_s = Some(1800);
        s.set(0, p, &c).unwrap();
        assert_eq!(s.next_change_after(1, None, t0() - 5), Some(t0())); // schedule start
        assert_eq!(s.next_change_after(1, None, t0()), Some(t0() + 10 * M));
        assert_eq!(
            s.next_change_after(1, None, t0() + 10 * M),
            Some(t0() + 30 * M)
        );
        assert_eq!(s.next_change_after(1, None, t0() + 30 * M), None);

        // validFrom and validTo.
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxDefault, 0, &[(0, 10.0)]);
        p.valid_from = Some(t0() + H);
        p.valid_to = Some(t0() + 2 * H);
        s.set(0, p, &c).unwrap();
        assert_eq!(s.next_change_after(2, None, t0()), Some(t0() + H));
        assert_eq!(s.next_change_after(2, None, t0() + H), Some(t0() + 2 * H));
        assert_eq!(s.next_change_after(2, None, t0() + 2 * H), None);

        // Recurrence: the next run, again and again.
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxDefault, 0, &[(0, 10.0), (3600, 20.0)]);
        p.kind = Recurring;
        p.recurrency = Some(Recurrency::Daily);
        s.set(1, p, &c).unwrap();
        let day = 24 * H;
        assert_eq!(
            s.next_change_after(1, None, t0() + 3 * day + 2 * H),
            Some(t0() + 4 * day)
        );
        assert_eq!(
            s.next_change_after(1, None, t0() + 4 * day),
            Some(t0() + 4 * day + H)
        );

        // Relative: counted from the transaction's start; TxProfile boundaries count too.
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxProfile, 0, &[(0, 10.0), (60, 20.0)]);
        p.kind = Relative;
        s.set(1, p, &c).unwrap();
        let run = tx(4, t0() + 500);
        assert_eq!(s.next_change_after(1, run, t0()), Some(t0() + 500));
        assert_eq!(s.next_change_after(1, run, t0() + 500), Some(t0() + 60_500));
        assert_eq!(s.next_change_after(1, None, t0()), None);
        assert_eq!(s.next_change_after(2, run, t0()), None); // other connector
    }

    #[test]
    fn composite_schedule_takes_the_minimum_and_merges_equal_periods() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), None);
        // Charge point: 100 A, then 50 A after 30 min. Connector: 80 A, 50 A after 30 min,
        // 70 A after 45 min.
        s.set(0, mk(1, CpMax, 0, &[(0, 100.0), (1800, 50.0)]), &c)
            .unwrap();
        s.set(
            1,
            mk(2, TxDefault, 0, &[(0, 80.0), (1800, 50.0), (2700, 70.0)]),
            &c,
        )
        .unwrap();
        let cs = s.composite_schedule(1, None, t0(), 3600, None, 400.0);
        assert_eq!(cs.unit, RateUnit::A);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(80.0)), (1800, Some(50.0))]);
        // Connector 0: the charge point's profile alone.
        let cs0 = s.composite_schedule(0, None, t0(), 3600, None, 400.0);
        let got: Vec<(u32, Option<f64>)> =
            cs0.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(100.0)), (1800, Some(50.0))]);
        // Periods count from the request, not from the profiles' start.
        let cs = s.composite_schedule(1, None, t0() + 20 * M, 1800, None, 400.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(80.0)), (600, Some(50.0))]);
        assert_eq!(
            cs.to_json(1, 500.0),
            json!({
                "status": "Accepted",
                "connectorId": 1,
                "scheduleStart": "2026-03-02T00:20:00.000Z",
                "chargingSchedule": {
                    "duration": 1800,
                    "startSchedule": "2026-03-02T00:20:00.000Z",
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 80.0},
                        {"startPeriod": 600, "limit": 50.0}
                    ]
                }
            })
        );
    }

    #[test]
    fn composite_schedule_converts_units_only_where_they_mix() {
        let mut s = ProfileStore::default();
        let c = ctx(t0(), None);
        let mut w = mk(1, CpMax, 0, &[(0, 10_000.0)]);
        w.schedule.unit = RateUnit::W;
        s.set(0, w, &c).unwrap();
        s.set(1, mk(2, TxDefault, 0, &[(0, 40.0), (600, 20.0)]), &c)
            .unwrap();
        // In A: 10 kW / 230 V = 43.47.. → 43.4 (rounded down: it is a limit).
        let cs = s.composite_schedule(1, None, t0(), 1200, Some(RateUnit::A), 230.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(40.0)), (600, Some(20.0))]);
        let cs = s.composite_schedule(1, None, t0(), 1200, Some(RateUnit::W), 230.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(9200.0)), (600, Some(4600.0))]);
        let cs0 = s.composite_schedule(0, None, t0(), 1200, Some(RateUnit::A), 230.0);
        assert_eq!(cs0.periods[0].limit, Some(43.4));
        // Same unit: no conversion, no rounding noise.
        let cs0 = s.composite_schedule(0, None, t0(), 1200, Some(RateUnit::W), 230.0);
        assert_eq!(cs0.periods[0].limit, Some(10_000.0));
    }

    #[test]
    fn composite_schedule_reports_gaps_and_nothing() {
        let mut s = ProfileStore::default();
        assert!(s
            .composite_schedule(1, None, t0(), 3600, None, 400.0)
            .is_empty());
        let mut p = mk(1, TxDefault, 0, &[(0, 30.0)]);
        p.schedule.start_ms = Some(t0() + 10 * M);
        p.schedule.duration_s = Some(600);
        s.set(1, p, &ctx(t0(), None)).unwrap();
        let cs = s.composite_schedule(1, None, t0(), 3600, None, 400.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, None), (600, Some(30.0)), (1200, None)]);
        let j = cs.to_json(1, 125.0);
        assert_eq!(
            j["chargingSchedule"]["chargingSchedulePeriod"],
            json!([
                {"startPeriod": 0, "limit": 125.0},
                {"startPeriod": 600, "limit": 30.0},
                {"startPeriod": 1200, "limit": 125.0}
            ])
        );
        // Outside the window: nothing applies, Rejected.
        assert!(s
            .composite_schedule(1, None, t0() + 20 * M, 3600, None, 400.0)
            .is_empty());
        // Connector 0 ignores TxDefault profiles.
        assert!(s
            .composite_schedule(0, None, t0(), 3600, None, 400.0)
            .is_empty());
    }

    #[test]
    fn composite_schedule_shows_relative_profiles_from_now_without_a_transaction() {
        let mut s = ProfileStore::default();
        let mut p = mk(1, TxDefault, 0, &[(0, 60.0), (900, 30.0)]);
        p.kind = Relative;
        p.schedule.start_ms = None;
        s.set(1, p, &ctx(t0(), None)).unwrap();
        let now = t0() + 3 * H;
        let cs = s.composite_schedule(1, None, now, 1800, None, 400.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(60.0)), (900, Some(30.0))]);
        // With a transaction: from its start.
        let cs = s.composite_schedule(1, tx(1, now - 10 * M), now, 1800, None, 400.0);
        let got: Vec<(u32, Option<f64>)> =
            cs.periods.iter().map(|p| (p.start_s, p.limit)).collect();
        assert_eq!(got, vec![(0, Some(60.0)), (300, Some(30.0))]);
    }

    #[test]
    fn composite_schedule_of_a_long_window_is_bounded() {
        let mut s = ProfileStore::default();
        let mut p = mk(1, CpMax, 0, &[(0, 10.0), (60, 20.0)]);
        p.kind = Recurring;
        p.recurrency = Some(Recurrency::Daily);
        s.set(0, p, &ctx(t0(), None)).unwrap();
        let cs = s.composite_schedule(0, None, t0(), u32::MAX, None, 400.0);
        assert_eq!(cs.periods.len(), MAX_COMPOSITE_PERIODS);
        assert!(cs.duration_s < u32::MAX);
        assert!(cs.periods.iter().all(|p| p.start_s < cs.duration_s));
    }

    #[test]
    fn store_survives_a_restart_without_tx_profiles() {
        let mut s = clear_fixture();
        let mut r = mk(10, TxDefault, 7, &[(0, 12.3), (60, 4.5)]);
        r.kind = Recurring;
        r.recurrency = Some(Recurrency::Weekly);
        r.valid_from = Some(t0() - 1);
        r.valid_to = Some(t0() + 9 * H + 1);
        r.schedule.start_ms = Some(t0() + 7);
        r.schedule.min_rate = Some(1.5);
        s.set(2, r, &ctx(t0(), None)).unwrap();
        let text = serde_json::to_string(&s.to_json()).unwrap();
        let back = ProfileStore::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        let mut expected = s.clone();
        expected.transaction_ended(1);
        assert_eq!(back, expected);
        assert_eq!(ids(&back), vec![1, 2, 3, 5, 10]);

        assert_eq!(
            ProfileStore::from_json(&json!({"connectors": {"x": []}})),
            Err(ProfileError::BadConnector("x".into()))
        );
        assert_eq!(
            ProfileStore::from_json(&json!({})),
            Err(ProfileError::Missing("connectors"))
        );
        assert_eq!(
            ProfileStore::from_json(&json!({"connectors": {"1": [{"chargingProfileId": 1}]}})),
            Err(ProfileError::Missing("chargingSchedule"))
        );
    }

    fn arb_profile() -> impl Strategy<Value = (u32, ChargingProfile)> {
        let periods = prop::collection::btree_map(1u32..20_000, 0u32..5000, 0..5);
        (
            (
                0i32..12,
                0u32..4,
                0usize..3,
                0usize..3,
                any::<bool>(),
                any::<bool>(),
            ),
            (
                prop::option::of(-50_000i64..50_000),
                prop::option::of(1i64..100_000),
                prop::option::of(1u32..30_000),
                -100_000i64..100_000,
                0u32..5000,
                periods,
                0u32..3,
            ),
        )
            .prop_map(
                |(
                    (id, stack, purpose, kind, weekly, watts),
                    (from, span, dur, start, first, rest, conn),
                )| {
                    let purpose = [CpMax, TxDefault, TxProfile][purpose];
                    let kind = [Absolute, Recurring, Relative][kind];
                    let mut p = mk(id, purpose, stack, &[(0, f64::from(first) / 10.0)]);
                    for (s, l) in rest {
                        p.schedule.periods.push(SchedulePeriod {
                            start_s: s,
                            limit: f64::from(l) / 10.0,
                            number_phases: None,
                        });
                    }
                    p.kind = kind;
                    if kind == Recurring {
                        p.recurrency = Some(if weekly {
                            Recurrency::Weekly
                        } else {
                            Recurrency::Daily
                        });
                    }
                    if watts {
                        p.schedule.unit = RateUnit::W;
                    }
                    p.valid_from = from.map(|f| t0() + f * 1000);
                    p.valid_to = span.map(|s| p.valid_from.unwrap_or(t0()) + s * 1000);
                    p.schedule.duration_s = dur;
                    p.schedule.start_ms = Some(t0() + start * 1000);
                    let conn = if purpose == CpMax { 0 } else { conn };
                    (conn, p)
                },
            )
    }

    proptest! {
        #[test]
        fn limit_is_sane_and_constant_until_the_next_change(
            profiles in prop::collection::vec(arb_profile(), 0..8),
            connector in 0u32..3,
            has_tx in any::<bool>(),
            tx_start in -100_000i64..100_000,
            at in -200_000i64..400_000,
            probes in prop::collection::vec(0.0f64..1.0, 4),
        ) {
            let mut s = ProfileStore::default();
            for (c, p) in profiles {
                prop_assert!(p.validate().is_ok());
                let _ = s.set(c, p, &ctx(t0(), Some(77)));
            }
            let run = if has_tx { tx(77, t0() + tx_start * 1000) } else { None };
            let at = t0() + at * 1000 + 500;
            let sane = |l: Limit| [l.amps, l.watts].iter().flatten().all(|x| x.is_finite() && *x >= 0.0);
            let here = s.limit_at(connector, run, at);
            prop_assert!(sane(here.charge_point) && sane(here.connector));
            let next = s.next_change_after(connector, run, at);
            if let Some(n) = next {
                prop_assert!(n > at);
            }
            let end = next.unwrap_or(at + 30 * 24 * H);
            let mut points = vec![at, end - 1];
            points.extend(probes.iter().map(|f| at + ((end - 1 - at) as f64 * f) as i64));
            for x in points {
                prop_assert_eq!(s.limit_at(connector, run, x), here, "at {} (next {:?})", x, next);
            }
        }
    }
}

#[cfg(test)]
mod profile_limit_tests {
    use super::profile_limit;

    #[test]
    fn a_huge_limit_saturates_and_never_reads_as_zero() {
        assert_eq!(profile_limit(1e39), f32::MAX);
        assert_eq!(profile_limit(f64::INFINITY), f32::MAX);
        assert_eq!(profile_limit(150.0), 150.0);
        assert_eq!(profile_limit(-1.0), 0.0);
        assert_eq!(profile_limit(f64::NAN), 0.0);
    }
}
