//! Smart charging (2.0.1 block K): charging profiles in, the station's "ocpp" limit out, on
//! the same profile store, composite-schedule code and limit planner
//! ([`crate::ocpp::smart_charging::AppliedLimits`]) as 1.6. A ChargingStationMaxProfile is
//! the station's budget, shared by its allocator; TxDefaultProfile and TxProfile limit an
//! EVSE's connector. ChargingStationExternalConstraints is not the CSMS's to set.

use std::collections::BTreeMap;

use charger_protocol::ocpp::{v201, MessageId};
use charger_protocol::Timestamp;
use serde_json::Value;

use super::{ChargingStation, Sent};
use crate::ocpp::chargepoint::CoreAction;
use crate::ocpp::smart_charging::{
    ChargingProfile, ProfilePurpose, ProfileStore, RateUnit, SetContext, TxContext,
};

/// The name the profiles persist under (TxProfiles end with their transaction and are not
/// kept across a restart).
pub const STATE_NAME: &str = "v201_charging_profiles";
/// Nominal DC voltage, only to express a composite schedule in the other unit.
const NOMINAL_VOLTAGE: f64 = 650.0;

fn status_info(reason: &str, detail: String) -> Option<v201::StatusInfo> {
    Some(v201::StatusInfo {
        additional_info: Some(super::truncate(&detail, 512)),
        custom_data: None,
        reason_code: reason.into(),
    })
}

impl ChargingStation {
    pub(super) fn tx_context(&self, connector: u32) -> Option<TxContext> {
        self.running.get(&connector).map(|t| TxContext {
            transaction_id: t.local_id,
            started_ms: t.started_ms,
        })
    }

    fn save_profiles(&mut self) {
        self.actions.push_back(CoreAction::SaveState {
            name: STATE_NAME,
            value: self.profiles.to_json(),
        });
    }

    pub(super) fn restore_profiles(&mut self, value: &Value) -> Option<String> {
        match ProfileStore::from_json(value) {
            Ok(p) => {
                self.profiles = p;
                self.limits_due = Some(self.now);
                None
            }
            Err(e) => Some(e.to_string()),
        }
    }

    fn evse_number(&self, evse_id: i64) -> Option<u32> {
        u32::try_from(evse_id).ok().filter(|e| *e <= self.evses)
    }

    pub(super) fn set_charging_profile(
        &mut self,
        id: &MessageId,
        r: &v201::SetChargingProfileRequest,
        now: Timestamp,
    ) {
        let answer = |status, info| v201::SetChargingProfileResponse {
            custom_data: None,
            status,
            status_info: info,
        };
        let Some(connector) = self.evse_number(r.evse_id) else {
            let info = status_info("UnknownEvse", format!("no EVSE {}", r.evse_id));
            self.reply(id, answer(v201::ChargingProfileStatusEnum::Rejected, info));
            return;
        };
        let profile = match ChargingProfile::from_v201(&r.charging_profile) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "charging profile refused");
                let info = status_info("InvalidProfile", e.to_string());
                self.reply(id, answer(v201::ChargingProfileStatusEnum::Rejected, info));
                return;
            }
        };
        if profile.stack_level > crate::ocpp::keys::CHARGE_PROFILE_MAX_STACK_LEVEL {
            let info = status_info("InvalidStackLevel", format!("{}", profile.stack_level));
            self.reply(id, answer(v201::ChargingProfileStatusEnum::Rejected, info));
            return;
        }
        let ctx = SetContext {
            now_ms: self.unix_ms(now),
            number_of_connectors: self.evses,
            active_transaction: self.tx_context(connector).map(|t| t.transaction_id),
        };
        match self.profiles.set(connector, profile, &ctx) {
            Ok(()) => {
                // Always: a new profile may have replaced a persisted one of the same id (the
                // persisted form leaves TxProfiles out).
                self.save_profiles();
                self.reply(id, answer(v201::ChargingProfileStatusEnum::Accepted, None));
                self.limits_due = Some(now);
                self.update_limits(now);
            }
            Err(e) => {
                tracing::warn!(connector, error = %e, "charging profile rejected");
                let info = status_info("Refused", e.to_string());
                self.reply(id, answer(v201::ChargingProfileStatusEnum::Rejected, info));
            }
        }
    }

    pub(super) fn clear_charging_profile(
        &mut self,
        id: &MessageId,
        r: &v201::ClearChargingProfileRequest,
        now: Timestamp,
    ) {
        let answer = |status| v201::ClearChargingProfileResponse {
            custom_data: None,
            status,
            status_info: None,
        };
        let criteria = r.charging_profile_criteria.as_ref();
        let purpose = criteria.and_then(|c| c.charging_profile_purpose);
        let purpose = match purpose {
            None => None,
            Some(v201::ChargingProfilePurposeEnum::ChargingStationMaxProfile) => {
                Some(ProfilePurpose::ChargePointMaxProfile)
            }
            Some(v201::ChargingProfilePurposeEnum::TxDefaultProfile) => {
                Some(ProfilePurpose::TxDefaultProfile)
            }
            Some(v201::ChargingProfilePurposeEnum::TxProfile) => Some(ProfilePurpose::TxProfile),
            // No such profile is ever installed.
            Some(v201::ChargingProfilePurposeEnum::ChargingStationExternalConstraints) => {
                self.reply(id, answer(v201::ClearChargingProfileStatusEnum::Unknown));
                return;
            }
        };
        // Ids and levels no profile can have match none (never read as "any").
        let profile_id = r
            .charging_profile_id
            .map(|i| i32::try_from(i).unwrap_or(i32::MIN));
        let connector = criteria
            .and_then(|c| c.evse_id)
            .map(|e| u32::try_from(e).unwrap_or(u32::MAX));
        let stack_level = criteria
            .and_then(|c| c.stack_level)
            .map(|s| u32::try_from(s).unwrap_or(u32::MAX));
        if self
            .profiles
            .clear(profile_id, connector, purpose, stack_level)
        {
            self.save_profiles();
            self.limits_due = Some(now);
            self.update_limits(now);
            self.reply(id, answer(v201::ClearChargingProfileStatusEnum::Accepted));
        } else {
            self.reply(id, answer(v201::ClearChargingProfileStatusEnum::Unknown));
        }
    }

    pub(super) fn get_charging_profiles(
        &mut self,
        id: &MessageId,
        r: &v201::GetChargingProfilesRequest,
    ) {
        let c = &r.charging_profile;
        // Every profile here came from the CSMS (source CSO).
        let from_csms = c
            .charging_limit_source
            .as_ref()
            .is_none_or(|s| s.contains(&v201::ChargingLimitSourceEnum::CSO));
        let evses: Vec<u32> = match r.evse_id {
            None => (0..=self.evses).collect(),
            Some(e) => self.evse_number(e).into_iter().collect(),
        };
        let mut reports: BTreeMap<u32, Vec<v201::ChargingProfile>> = BTreeMap::new();
        for evse in evses {
            for p in self.profiles.profiles(evse) {
                let wire = p.to_v201();
                let matches = from_csms
                    && c.charging_profile_purpose
                        .is_none_or(|x| x == wire.charging_profile_purpose)
                    && c.stack_level.is_none_or(|x| x == wire.stack_level)
                    && c.charging_profile_id
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&wire.id));
                if matches {
                    reports.entry(evse).or_default().push(wire);
                }
            }
        }
        let status = if reports.is_empty() {
            v201::GetChargingProfileStatusEnum::NoProfiles
        } else {
            v201::GetChargingProfileStatusEnum::Accepted
        };
        self.reply(
            id,
            v201::GetChargingProfilesResponse {
                custom_data: None,
                status,
                status_info: None,
            },
        );
        let last = reports.len().saturating_sub(1);
        for (n, (evse, profiles)) in reports.into_iter().enumerate() {
            let report = v201::ReportChargingProfilesRequest {
                charging_limit_source: v201::ChargingLimitSourceEnum::CSO,
                charging_profile: profiles,
                custom_data: None,
                evse_id: i64::from(evse),
                request_id: r.request_id,
                tbc: Some(n < last),
            };
            if self.connected {
                self.send(report, Sent::Plain);
            }
        }
    }

    pub(super) fn get_composite_schedule(
        &mut self,
        id: &MessageId,
        r: &v201::GetCompositeScheduleRequest,
        now: Timestamp,
    ) {
        let rejected = |why: &str| v201::GetCompositeScheduleResponse {
            custom_data: None,
            schedule: None,
            status: v201::GenericStatusEnum::Rejected,
            status_info: status_info("NoSchedule", why.into()),
        };
        let Some(connector) = self.evse_number(r.evse_id) else {
            self.reply(id, rejected("no such EVSE"));
            return;
        };
        // A negative duration, or one beyond u32 seconds, asks for nothing.
        let duration = u32::try_from(r.duration).unwrap_or(0);
        let unit = r.charging_rate_unit.map(|u| match u {
            v201::ChargingRateUnitEnum::A => RateUnit::A,
            v201::ChargingRateUnitEnum::W => RateUnit::W,
        });
        let schedule = self.profiles.composite_schedule(
            connector,
            self.tx_context(connector),
            self.unix_ms(now),
            duration,
            unit,
            NOMINAL_VOLTAGE,
        );
        if schedule.is_empty() {
            self.reply(id, rejected("no profile limits this EVSE in the window"));
            return;
        }
        let ratings = &self.model.live.ratings;
        let (amps, watts) = if connector == 0 {
            ratings
                .values()
                .fold((0.0, 0.0), |(a, w), (ra, rw)| (a + ra, w + rw))
        } else {
            ratings.get(&connector).copied().unwrap_or((0.0, 0.0))
        };
        let no_limit = match schedule.unit {
            RateUnit::W => watts,
            RateUnit::A => amps,
        };
        self.reply(
            id,
            v201::GetCompositeScheduleResponse {
                custom_data: None,
                schedule: Some(schedule.to_v201(connector, no_limit)),
                status: v201::GenericStatusEnum::Accepted,
                status_info: None,
            },
        );
    }

    /// A transaction started: the TxProfile of the RequestStartTransaction that asked for it
    /// is installed for it.
    pub(super) fn transaction_started_profiles(
        &mut self,
        connector: u32,
        profile: Option<ChargingProfile>,
        now: Timestamp,
    ) {
        if let Some(mut p) = profile {
            p.transaction_id = None;
            let ctx = SetContext {
                now_ms: self.unix_ms(now),
                number_of_connectors: self.evses,
                active_transaction: self.tx_context(connector).map(|t| t.transaction_id),
            };
            if let Err(e) = self.profiles.set(connector, p, &ctx) {
                tracing::warn!(connector, error = %e, "RequestStartTransaction profile not installed");
            }
        }
        self.limits_due = Some(now);
    }

    pub(super) fn transaction_ended_profiles(&mut self, connector: u32, now: Timestamp) {
        self.profiles.transaction_ended(connector);
        self.limits_due = Some(now);
    }

    /// Recompute the limits when something may have changed, and tell the station what
    /// differs from what it has.
    pub(super) fn update_limits(&mut self, now: Timestamp) {
        if !self.speaking || self.limits_due.is_none_or(|t| now < t) {
            return;
        }
        let at = self.unix_ms(now);
        let txs: BTreeMap<u32, TxContext> = (1..=self.evses)
            .filter_map(|c| self.tx_context(c).map(|t| (c, t)))
            .collect();
        let (commands, next) =
            self.applied_limits
                .update(&self.profiles, self.evses, |c| txs.get(&c).copied(), at);
        for command in commands {
            self.actions.push_back(CoreAction::Station {
                command,
                reply: None,
            });
        }
        self.limits_due = next.map(|ms| self.instant_of(ms, now));
    }
}
