//! Current limits, composed by minimum, each with its reason (ARCHITECTURE.md principle 4).
//!
//! The current offered to a truck is the smallest of several limits, each owned by a different
//! part of the station. Each is stored under its [`LimitSource`]; the binding one, and why, is
//! what status views and OCPP show. Adding a limit source is one enum variant and one `set`.

use std::collections::BTreeMap;

use charger_protocol::gbt::CurrentCodec;
use serde::{Deserialize, Serialize};

use crate::config::ProtocolKind;

/// Who imposes a limit. Order matters only to break ties: the first listed wins, so a
/// connector's own limits come before the shares of station-wide budgets (a share that merely
/// equals what the connector can take anyway does not bind), and the vehicle's request is last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// The station cannot deliver at all right now (fault, inoperative).
    Unavailable,
    /// The session runs to identify the vehicle (autocharge) and is not authorized yet.
    Authorization,
    /// The connector's (cable's) current rating.
    ConnectorRating,
    /// The most the protocol's current field can carry (CHAdeMO 1.x: 255 A in one byte;
    /// GB/T 27930-2015: 400 A with its −400 A offset).
    ProtocolCeiling,
    /// The connector's power rating at the present voltage.
    PowerRating,
    /// The thermal derating controller (src/thermal): what the connector's pins and their
    /// cooling allow now (zero while the coolant is not yet flowing or a thermal stop holds).
    Thermal,
    /// The vehicle's own maximum current (CHAdeMO 0x100, GB/T BCP).
    VehicleMaximum,
    /// The CSMS's smart-charging schedule for this connector (TxProfile, TxDefaultProfile),
    /// watts converted with the live voltage.
    Ocpp,
    /// This connector's share of the CSMS's charge-point-wide profile (ChargePointMaxProfile),
    /// from the station allocator.
    StationProfile,
    /// This connector's share of the site's grid connection, from the station allocator.
    Site,
    /// What the power modules the pool has connected to this output can deliver.
    Pool,
    /// What the truck asks for.
    VehicleRequest,
}

impl LimitSource {
    pub fn name(self) -> &'static str {
        match self {
            LimitSource::Unavailable => "unavailable",
            LimitSource::Authorization => "authorization",
            LimitSource::ConnectorRating => "connector rating",
            LimitSource::ProtocolCeiling => "protocol ceiling",
            LimitSource::PowerRating => "power rating",
            LimitSource::Thermal => "thermal",
            LimitSource::VehicleMaximum => "vehicle maximum",
            LimitSource::Ocpp => "ocpp",
            LimitSource::StationProfile => "charge point profile share",
            LimitSource::Site => "site share",
            LimitSource::Pool => "module pool",
            LimitSource::VehicleRequest => "vehicle request",
        }
    }
}

/// A vehicle's request binds only when it is at least this far below what the station
/// offers. CHAdeMO vehicles never ask above the offer, which goes out in whole amperes rounded
/// down: one that asks for all it is offered is held back by the station's limit, not by its
/// own wish.
pub const REQUEST_RESOLUTION_A: f32 = 1.0;

/// The most a protocol's current fields can carry, and why, as a [`LimitSource::ProtocolCeiling`].
pub fn protocol_ceiling(protocol: ProtocolKind) -> (f32, &'static str) {
    match protocol {
        // 102.3, 108.3 and 109.3 are one byte of 1 A each.
        ProtocolKind::Chademo => (
            f32::from(u8::MAX),
            "CHAdeMO 1.x carries currents in one byte",
        ),
        ProtocolKind::Gbt => (
            CurrentCodec::Offset400.max_charge_current(),
            "GB/T 27930-2015 carries currents with a -400 A offset",
        ),
    }
}

/// One limit: how many amperes, who says so, and a human detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentLimit {
    pub amps: f32,
    pub source: LimitSource,
    pub detail: String,
}

impl std::fmt::Display for CurrentLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} A ({}", self.amps, self.source.name())?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        write!(f, ")")
    }
}

/// The limits currently in force on one connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LimitSet {
    limits: BTreeMap<LimitSource, CurrentLimit>,
}

impl LimitSet {
    /// Set (or replace) the limit from `source`. Negative or NaN values count as zero: a broken
    /// input must never raise the current.
    pub fn set(&mut self, source: LimitSource, amps: f32, detail: impl Into<String>) {
        let amps = if amps.is_finite() { amps.max(0.0) } else { 0.0 };
        self.limits.insert(
            source,
            CurrentLimit {
                amps,
                source,
                detail: detail.into(),
            },
        );
    }

    pub fn clear(&mut self, source: LimitSource) {
        self.limits.remove(&source);
    }

    pub fn get(&self, source: LimitSource) -> Option<&CurrentLimit> {
        self.limits.get(&source)
    }

    /// The smallest limit, excluding `except` (the station offers the truck the minimum of its
    /// own limits; the truck's request is then applied by the protocol).
    pub fn binding_except(&self, except: &[LimitSource]) -> Option<&CurrentLimit> {
        self.limits
            .values()
            .filter(|l| !except.contains(&l.source))
            .fold(None, |best: Option<&CurrentLimit>, l| match best {
                Some(b) if b.amps <= l.amps => Some(b),
                _ => Some(l),
            })
    }

    /// The limit that holds the current back: the smallest of the station's limits, unless
    /// the truck asks for clearly less ([`REQUEST_RESOLUTION_A`]), then its request.
    pub fn binding(&self) -> Option<&CurrentLimit> {
        let station = self.binding_except(&[LimitSource::VehicleRequest]);
        let request = self.get(LimitSource::VehicleRequest);
        match (station, request) {
            (Some(s), Some(r)) if r.amps + REQUEST_RESOLUTION_A > s.amps => Some(s),
            (Some(s), None) => Some(s),
            (_, r) => r,
        }
    }

    /// What the station can offer, before the truck's request: the minimum of everything but
    /// the request.
    pub fn available(&self) -> f32 {
        self.binding_except(&[LimitSource::VehicleRequest])
            .map_or(0.0, |l| l.amps)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CurrentLimit> {
        self.limits.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_wins_with_its_reason() {
        let mut l = LimitSet::default();
        l.set(LimitSource::ConnectorRating, 500.0, "");
        l.set(LimitSource::PowerRating, 400.0, "240 kW at 600 V");
        l.set(LimitSource::VehicleRequest, 300.0, "");
        assert_eq!(l.binding().unwrap().source, LimitSource::VehicleRequest);
        assert_eq!(l.available(), 400.0);
        assert_eq!(
            l.binding_except(&[LimitSource::VehicleRequest])
                .unwrap()
                .to_string(),
            "400.0 A (power rating: 240 kW at 600 V)"
        );
    }

    #[test]
    fn a_request_that_takes_all_it_is_offered_does_not_bind() {
        let mut l = LimitSet::default();
        l.set(LimitSource::ConnectorRating, 200.0, "");
        l.set(LimitSource::Site, 75.4, "site 100 kW grid");
        // CHAdeMO: the offer goes out as 75 A, the truck asks for all of it.
        l.set(LimitSource::VehicleRequest, 75.0, "");
        assert_eq!(l.binding().unwrap().source, LimitSource::Site);
        l.set(LimitSource::VehicleRequest, 60.0, "");
        assert_eq!(l.binding().unwrap().source, LimitSource::VehicleRequest);
        l.clear(LimitSource::ConnectorRating);
        l.clear(LimitSource::Site);
        assert_eq!(l.binding().unwrap().source, LimitSource::VehicleRequest);
    }

    #[test]
    fn ties_go_to_the_first_source_and_bad_values_are_zero() {
        let mut l = LimitSet::default();
        l.set(LimitSource::Site, 100.0, "");
        l.set(LimitSource::ConnectorRating, 100.0, "");
        assert_eq!(l.binding().unwrap().source, LimitSource::ConnectorRating);
        l.set(LimitSource::Site, f32::NAN, "");
        assert_eq!(l.available(), 0.0);
        l.set(LimitSource::Site, -5.0, "");
        assert_eq!(l.available(), 0.0);
        l.clear(LimitSource::Site);
        assert_eq!(l.available(), 100.0);
    }

    #[test]
    fn nothing_set_means_nothing_available() {
        assert_eq!(LimitSet::default().available(), 0.0);
    }
}
