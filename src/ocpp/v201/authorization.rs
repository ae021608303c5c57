//! Local authorization (2.0.1 blocks C and D): the local authorization list the CSMS sends
//! (SendLocalList, GetLocalListVersion) and the authorization cache (the CSMS's last word on
//! each idToken, ClearCache). Pure data with the decisions; the core asks them before it asks
//! the CSMS.
//!
//! Both keep the CSMS's IdTokenInfo as it came (every 2.0.1 status), keyed by the idToken's
//! type and value (case-insensitive, as 2.0.1 compares tokens), and persist as JSON
//! (`v201_local_list`, `v201_auth_cache`). A token of type Local (a technician's `chargerctl
//! start --id-tag`, a VIN) also matches an entry of the same value and any type: the station
//! cannot tell what card a typed tag stands for. Offline (`LocalAuthorizeOffline`), the list
//! decides a token it holds, else the cache: Accepted and in date lets it through, anything
//! else (Blocked, past its cacheExpiryDateTime, not for this EVSE) refuses it; a token neither
//! holds is left to `OfflineTxForUnknownIdEnabled`.

use std::collections::BTreeMap;

use charger_protocol::ocpp::v201;
use serde::{Deserialize, Serialize};

/// The names they persist under.
pub const LIST_STATE: &str = "v201_local_list";
pub const CACHE_STATE: &str = "v201_auth_cache";
/// Entries the list holds at most (LocalAuthListCtrlr.Entries' maxLimit).
pub const MAX_LIST_ENTRIES: usize = 10_000;
/// Entries the cache holds at most; the least recently used goes first.
pub const CACHE_CAPACITY: usize = 1_000;

/// The key of both stores: type and value, the value case-insensitive.
fn key(token: &v201::IdToken) -> String {
    format!(
        "{}:{}",
        token.r#type.as_str(),
        token.id_token.to_ascii_lowercase()
    )
}

/// The value part of a key.
fn value_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, v)| v)
}

/// The entry for `token`: its own, or for a Local token one of the same value.
fn find<'a, T>(
    entries: &'a BTreeMap<String, T>,
    token: &v201::IdToken,
) -> Option<(&'a String, &'a T)> {
    entries.get_key_value(&key(token)).or_else(|| {
        if token.r#type != v201::IdTokenEnum::Local {
            return None;
        }
        let value = token.id_token.to_ascii_lowercase();
        entries.iter().find(|(k, _)| value_of(k) == value)
    })
}

/// The CSMS's word on a token, as far as the station may use it now.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    Accepted,
    Refused(v201::AuthorizationStatusEnum),
    /// Accepted, but for other EVSEs only.
    NotForThisEvse,
    Unknown,
}

/// What an IdTokenInfo allows on `evse` at wall time `now_ms`: its status, Expired past its
/// cacheExpiryDateTime, and only on the EVSEs it names.
pub fn judge(info: &v201::IdTokenInfo, evse: u32, now_ms: i64) -> Known {
    let expired = info
        .cache_expiry_date_time
        .is_some_and(|t| t.unix_ms() <= now_ms);
    let elsewhere = info
        .evse_id
        .as_ref()
        .is_some_and(|evses| !evses.contains(&i64::from(evse)));
    match info.status {
        v201::AuthorizationStatusEnum::Accepted if expired => {
            Known::Refused(v201::AuthorizationStatusEnum::Expired)
        }
        v201::AuthorizationStatusEnum::Accepted if elsewhere => Known::NotForThisEvse,
        v201::AuthorizationStatusEnum::Accepted => Known::Accepted,
        other => Known::Refused(other),
    }
}

/// The local authorization list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalList {
    version: i64,
    entries: BTreeMap<String, v201::IdTokenInfo>,
}

/// Why SendLocalList was not applied: the status it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRefused {
    VersionMismatch,
    Failed,
}

impl LocalList {
    pub fn version(&self) -> i64 {
        self.version
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// SendLocalList (D01, D02). Full replaces the list; Differential adds or updates the
    /// entries with an idTokenInfo and removes those without, and needs a newer version. On
    /// `Err` nothing changed.
    pub fn apply(&mut self, r: &v201::SendLocalListRequest) -> Result<(), ListRefused> {
        if r.version_number <= 0 {
            return Err(ListRefused::Failed);
        }
        let items = r.local_authorization_list.as_deref().unwrap_or(&[]);
        let mut next = match r.update_type {
            v201::UpdateEnum::Full => BTreeMap::new(),
            v201::UpdateEnum::Differential => {
                if r.version_number <= self.version {
                    return Err(ListRefused::VersionMismatch);
                }
                self.entries.clone()
            }
        };
        for item in items {
            match (&item.id_token_info, r.update_type) {
                (Some(info), _) => {
                    next.insert(key(&item.id_token), info.clone());
                }
                // A Full list names every token with its info.
                (None, v201::UpdateEnum::Full) => return Err(ListRefused::Failed),
                (None, v201::UpdateEnum::Differential) => {
                    next.remove(&key(&item.id_token));
                }
            }
        }
        if next.len() > MAX_LIST_ENTRIES {
            return Err(ListRefused::Failed);
        }
        self.entries = next;
        self.version = r.version_number;
        Ok(())
    }

    /// What the list says of `token` on `evse` (Unknown: not in the list).
    pub fn lookup(&self, token: &v201::IdToken, evse: u32, now_ms: i64) -> Known {
        find(&self.entries, token).map_or(Known::Unknown, |(_, info)| judge(info, evse, now_ms))
    }

    /// A list read back from the journal that breaks the bound is not used.
    pub fn within_bounds(&self) -> bool {
        self.entries.len() <= MAX_LIST_ENTRIES && self.version >= 0
    }
}

/// The authorization cache: the CSMS's last answer per token, least recently used first out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthCache {
    /// token → (info, last use: a counter, for LRU).
    entries: BTreeMap<String, (v201::IdTokenInfo, u64)>,
    uses: u64,
}

impl AuthCache {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Remember the CSMS's answer for `token`.
    pub fn update(&mut self, token: &v201::IdToken, info: &v201::IdTokenInfo) {
        self.uses = self.uses.saturating_add(1);
        self.entries.insert(key(token), (info.clone(), self.uses));
        self.trim();
    }

    /// What the cache says of `token` on `evse` (Unknown: not cached).
    pub fn lookup(&mut self, token: &v201::IdToken, evse: u32, now_ms: i64) -> Known {
        self.uses = self.uses.saturating_add(1);
        let uses = self.uses;
        let Some(k) = find(&self.entries, token).map(|(k, _)| k.clone()) else {
            return Known::Unknown;
        };
        match self.entries.get_mut(&k) {
            Some((info, used)) => {
                *used = uses;
                judge(info, evse, now_ms)
            }
            None => Known::Unknown,
        }
    }

    /// A cache read back from the journal beyond its capacity keeps its newest entries.
    pub fn trim(&mut self) {
        while self.entries.len() > CACHE_CAPACITY {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.entries.remove(&k),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn token(t: &str) -> v201::IdToken {
        v201::IdToken {
            additional_info: None,
            custom_data: None,
            id_token: t.into(),
            r#type: v201::IdTokenEnum::ISO14443,
        }
    }

    fn info(status: v201::AuthorizationStatusEnum) -> v201::IdTokenInfo {
        v201::IdTokenInfo {
            cache_expiry_date_time: None,
            charging_priority: None,
            custom_data: None,
            evse_id: None,
            group_id_token: None,
            language1: None,
            language2: None,
            personal_message: None,
            status,
        }
    }

    fn send(
        version: i64,
        update: v201::UpdateEnum,
        items: Vec<(&str, Option<v201::AuthorizationStatusEnum>)>,
    ) -> v201::SendLocalListRequest {
        v201::SendLocalListRequest {
            custom_data: None,
            local_authorization_list: Some(
                items
                    .into_iter()
                    .map(|(t, s)| v201::AuthorizationData {
                        custom_data: None,
                        id_token: token(t),
                        id_token_info: s.map(info),
                    })
                    .collect(),
            ),
            update_type: update,
            version_number: version,
        }
    }

    #[test]
    fn full_and_differential_updates_follow_d01_and_d02() {
        use v201::AuthorizationStatusEnum as S;
        let mut l = LocalList::default();
        l.apply(&send(
            3,
            v201::UpdateEnum::Full,
            vec![("A", Some(S::Accepted)), ("B", Some(S::Blocked))],
        ))
        .unwrap();
        assert_eq!(l.lookup(&token("A"), 1, 0), Known::Accepted);
        assert_eq!(
            l.lookup(&token("a"), 1, 0),
            Known::Accepted,
            "case-insensitive"
        );
        assert_eq!(l.lookup(&token("B"), 1, 0), Known::Refused(S::Blocked));
        // Another type is another token; a Local (typed-in) tag matches the value.
        let mut central = token("A");
        central.r#type = v201::IdTokenEnum::Central;
        assert_eq!(l.lookup(&central, 1, 0), Known::Unknown);
        central.r#type = v201::IdTokenEnum::Local;
        assert_eq!(l.lookup(&central, 1, 0), Known::Accepted);
        // Not newer: VersionMismatch, nothing changes.
        assert_eq!(
            l.apply(&send(3, v201::UpdateEnum::Differential, vec![("A", None)])),
            Err(ListRefused::VersionMismatch)
        );
        l.apply(&send(
            4,
            v201::UpdateEnum::Differential,
            vec![("A", None), ("C", Some(S::Accepted))],
        ))
        .unwrap();
        assert_eq!(l.lookup(&token("A"), 1, 0), Known::Unknown);
        assert_eq!((l.len(), l.version()), (2, 4));
        // A version of 0 or less is no version; a Full list without info is malformed.
        assert_eq!(
            l.apply(&send(0, v201::UpdateEnum::Full, vec![])),
            Err(ListRefused::Failed)
        );
        assert_eq!(
            l.apply(&send(9, v201::UpdateEnum::Full, vec![("A", None)])),
            Err(ListRefused::Failed)
        );
        assert_eq!(l.version(), 4);
    }

    #[test]
    fn the_cache_forgets_the_least_recently_used_and_expired_entries_count_as_unknown() {
        let mut c = AuthCache::default();
        for i in 0..(CACHE_CAPACITY + 1) {
            c.update(
                &token(&format!("T{i}")),
                &info(v201::AuthorizationStatusEnum::Accepted),
            );
        }
        assert_eq!(c.len(), CACHE_CAPACITY);
        assert_eq!(
            c.lookup(&token("T0"), 1, 0),
            Known::Unknown,
            "the oldest went"
        );
        let mut expiring = info(v201::AuthorizationStatusEnum::Accepted);
        expiring.cache_expiry_date_time =
            Some(charger_protocol::ocpp::types::DateTime::from_unix_ms(1000));
        c.update(&token("X"), &expiring);
        assert_eq!(c.lookup(&token("X"), 1, 999), Known::Accepted);
        assert_eq!(
            c.lookup(&token("X"), 1, 1000),
            Known::Refused(v201::AuthorizationStatusEnum::Expired),
            "past its expiry an Accepted token is Expired, never let through"
        );
        let mut one_evse = info(v201::AuthorizationStatusEnum::Accepted);
        one_evse.evse_id = Some(vec![2]);
        c.update(&token("Y"), &one_evse);
        assert_eq!(c.lookup(&token("Y"), 1, 0), Known::NotForThisEvse);
        assert_eq!(c.lookup(&token("Y"), 2, 0), Known::Accepted);
    }
}
