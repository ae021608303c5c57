//! Current limits, composed by minimum, each with its reason (ARCHITECTURE.md principle 4).
//!
//! The current offered to a truck is the smallest of several limits, each owned by a different
//! part of the station. Each is stored under its [`LimitSource`]; the binding one, and why, is
//! what status views and OCPP show. Adding a limit source is one enum variant and one `set`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who imposes a limit. Order matters only to break ties: the first listed wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// The station cannot deliver at all right now (fault, inoperative).
    Unavailable,
    /// The connector's (cable's) current rating.
    ConnectorRating,
    /// The connector's power rating at the present voltage.
    PowerRating,
    /// The site's grid connection, shared by all connectors.
    Site,
    /// The CSMS's smart-charging schedule (OCPP charging profiles), watts converted with the
    /// live voltage.
    Ocpp,
    /// The session runs to identify the vehicle (autocharge) and is not authorized yet.
    Authorization,
    /// What the truck asks for.
    VehicleRequest,
}

impl LimitSource {
    pub fn name(self) -> &'static str {
        match self {
            LimitSource::Unavailable => "unavailable",
            LimitSource::ConnectorRating => "connector rating",
            LimitSource::PowerRating => "power rating",
            LimitSource::Site => "site limit",
            LimitSource::Ocpp => "ocpp",
            LimitSource::Authorization => "authorization",
            LimitSource::VehicleRequest => "vehicle request",
        }
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

    /// The smallest of all limits, the truck's request included.
    pub fn binding(&self) -> Option<&CurrentLimit> {
        self.binding_except(&[])
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
