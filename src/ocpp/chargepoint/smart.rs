//! Smart Charging (1.6 §3.13, §5.16, §5.5, §5.7): charging profiles in, the station's "ocpp"
//! current limit out.
//!
//! The composite of the profiles in force is recomputed whenever profiles, transactions or the
//! schedule's own boundaries change, and handed to the station as amperes and/or watts per
//! connector; the station converts watts with the live output voltage on every control step,
//! so a power limit holds as the battery voltage rises. A ChargePointMaxProfile limits the
//! whole charge point: it goes to the station as one budget (`SetStationLimit`: its amperes
//! bound the sum of the connectors' DC output currents, its watts the sum of their DC output
//! powers), which the station allocator shares among the connectors that draw, passing on what
//! one does not use.

use charger_protocol::ocpp::{v16, MessageId};
use charger_protocol::Timestamp;

use super::{ChargePoint, CoreAction};
use crate::ocpp::smart_charging::{
    ChargingProfile, ProfilePurpose, RateUnit, SetContext, TxContext,
};

/// Nominal DC voltage used only to express a composite schedule in the other unit when
/// profiles mix amperes and watts (GetCompositeSchedule); live limits use the live voltage.
const NOMINAL_VOLTAGE: f64 = 650.0;

impl ChargePoint {
    fn tx_context(&self, connector: u32) -> Option<TxContext> {
        let t = self.running.get(&connector)?;
        Some(TxContext {
            transaction_id: self
                .transaction_ids
                .get(&t.local_id)
                .copied()
                .unwrap_or(t.local_id),
            started_ms: t.started_ms,
        })
    }

    fn save_profiles(&mut self) {
        self.actions.push_back(CoreAction::SaveState {
            name: "charging_profiles",
            value: self.profiles.to_json(),
        });
    }

    pub(super) fn set_charging_profile(
        &mut self,
        id: MessageId,
        r: &v16::SetChargingProfileRequest,
        now: Timestamp,
    ) {
        let answer = |status| v16::SetChargingProfileResponse { status };
        let connector = Self::connector_number(r.connector_id).unwrap_or(u32::MAX);
        let profile = match ChargingProfile::from_wire(&r.cs_charging_profiles) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "charging profile refused");
                self.reply(&id, answer(v16::ChargingProfileStatus::Rejected));
                return;
            }
        };
        // The number of periods is bounded by `from_wire` (ChargingScheduleMaxPeriods).
        if profile.stack_level > crate::ocpp::keys::CHARGE_PROFILE_MAX_STACK_LEVEL {
            self.reply(&id, answer(v16::ChargingProfileStatus::Rejected));
            return;
        }
        let ctx = SetContext {
            now_ms: self.unix_ms(now),
            number_of_connectors: self.keys.number_of_connectors,
            active_transaction: self.tx_context(connector).map(|t| t.transaction_id),
        };
        match self.profiles.set(connector, profile, &ctx) {
            Ok(()) => {
                // Always: a new profile may have replaced a persisted one of the same id (the
                // persisted form leaves TxProfiles out).
                self.save_profiles();
                self.reply(&id, answer(v16::ChargingProfileStatus::Accepted));
                self.limits_due = Some(now);
                self.update_limits(now);
            }
            Err(e) => {
                tracing::warn!(connector, error = %e, "charging profile rejected");
                self.reply(&id, answer(v16::ChargingProfileStatus::Rejected));
            }
        }
    }

    pub(super) fn clear_charging_profile(
        &mut self,
        id: MessageId,
        r: &v16::ClearChargingProfileRequest,
        now: Timestamp,
    ) {
        let unknown = v16::ClearChargingProfileResponse {
            status: v16::ClearChargingProfileStatus::Unknown,
        };
        // An id no profile can have matches none (never read as "any").
        let profile_id = match r.id.map(i32::try_from) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                self.reply(&id, unknown);
                return;
            }
        };
        let connector = r
            .connector_id
            .map(|c| Self::connector_number(c).unwrap_or(u32::MAX));
        let purpose = r
            .charging_profile_purpose
            .and_then(|p| ProfilePurpose::parse(p.as_str()));
        let stack_level = r.stack_level.map(|s| u32::try_from(s).unwrap_or(u32::MAX));
        let removed = self
            .profiles
            .clear(profile_id, connector, purpose, stack_level);
        if removed {
            self.save_profiles();
            self.limits_due = Some(now);
            self.update_limits(now);
        }
        self.reply(
            &id,
            v16::ClearChargingProfileResponse {
                status: if removed {
                    v16::ClearChargingProfileStatus::Accepted
                } else {
                    v16::ClearChargingProfileStatus::Unknown
                },
            },
        );
    }

    pub(super) fn get_composite_schedule(
        &mut self,
        id: MessageId,
        r: &v16::GetCompositeScheduleRequest,
        now: Timestamp,
    ) {
        let rejected = v16::GetCompositeScheduleResponse {
            status: v16::GetCompositeScheduleStatus::Rejected,
            connector_id: None,
            schedule_start: None,
            charging_schedule: None,
        };
        let connector = Self::connector_number(r.connector_id).unwrap_or(u32::MAX);
        if connector > self.keys.number_of_connectors {
            self.reply(&id, rejected);
            return;
        }
        // A negative duration, or one beyond u32 seconds (136 years), asks for nothing.
        let duration = u32::try_from(r.duration).unwrap_or(0);
        let unit = r
            .charging_rate_unit
            .and_then(|u| RateUnit::parse(u.as_str()));
        let schedule = self.profiles.composite_schedule(
            connector,
            self.tx_context(connector),
            self.unix_ms(now),
            duration,
            unit,
            NOMINAL_VOLTAGE,
        );
        if schedule.is_empty() {
            self.reply(&id, rejected);
        } else {
            // Where no profile limits, the connector's (or the charge point's) rating does.
            let (amps, watts) = if connector == 0 {
                self.ratings
                    .values()
                    .fold((0.0, 0.0), |(a, w), (ra, rw)| (a + ra, w + rw))
            } else {
                self.ratings.get(&connector).copied().unwrap_or((0.0, 0.0))
            };
            let no_limit = match schedule.unit {
                RateUnit::W => watts,
                RateUnit::A => amps,
            };
            self.respond(&id, schedule.to_json(connector, no_limit));
        }
    }

    pub(super) fn transaction_started_profiles(
        &mut self,
        connector: u32,
        id_tag: &str,
        now: Timestamp,
    ) {
        // Only the transaction the RemoteStart asked for takes its profile.
        let stashed = self
            .remote_start_profiles
            .remove(&connector)
            .filter(|(tag, _)| tag.eq_ignore_ascii_case(id_tag));
        if let Some((_, mut p)) = stashed {
            // The CSMS could not know the transaction's id when it sent the profile: it is
            // for the transaction starting now (a transactionId in it is meaningless and
            // dropped).
            p.transaction_id = None;
            let ctx = SetContext {
                now_ms: self.unix_ms(now),
                number_of_connectors: self.keys.number_of_connectors,
                active_transaction: self.tx_context(connector).map(|t| t.transaction_id),
            };
            if let Err(e) = self.profiles.set(connector, p, &ctx) {
                tracing::warn!(connector, error = %e, "RemoteStart charging profile not installed");
            }
        }
        self.limits_due = Some(now);
    }

    /// StartTransaction.conf gave the CSMS's id for a transaction: TxProfiles bound to the
    /// station's own id (a RemoteStart profile, or one set before the answer) follow it, or
    /// they would stop applying the moment the id changes.
    pub(super) fn transaction_id_assigned_profiles(
        &mut self,
        local: i64,
        csms: i64,
        now: Timestamp,
    ) {
        let Some(connector) = self
            .running
            .iter()
            .find(|(_, t)| t.local_id == local)
            .map(|(c, _)| *c)
        else {
            return;
        };
        if local != csms && self.profiles.rebind_transaction(connector, local, csms) {
            self.limits_due = Some(now);
            self.update_limits(now);
        }
    }

    pub(super) fn transaction_ended_profiles(&mut self, connector: u32, now: Timestamp) {
        self.profiles.transaction_ended(connector);
        self.limits_due = Some(now);
    }

    /// Recompute every connector's limit if something may have changed, and tell the station
    /// what differs from what it has.
    pub(super) fn update_limits(&mut self, now: Timestamp) {
        if !self.speaking || self.limits_due.is_none_or(|t| now < t) {
            return;
        }
        let at = self.unix_ms(now);
        let n = self.keys.number_of_connectors;
        let txs: std::collections::BTreeMap<u32, TxContext> = (1..=n)
            .filter_map(|c| self.tx_context(c).map(|t| (c, t)))
            .collect();
        let (commands, next) =
            self.applied_limits
                .update(&self.profiles, n, |c| txs.get(&c).copied(), at);
        for command in commands {
            self.actions.push_back(CoreAction::Station {
                command,
                reply: None,
            });
        }
        self.limits_due = next.map(|ms| self.instant_of(ms, now));
    }
}
