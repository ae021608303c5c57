//! OCPP 1.6 local authorization: the Local Authorization List, the Authorization Cache, and
//! the decision taken when a driver presents an id tag (1.6 §3.5 "Local Authorization &
//! Offline Behavior", §3.10 "Parent idTag", §5.10 GetLocalListVersion, §5.15 SendLocalList).
//! Pure: no I/O, no clock; time is given as unix milliseconds.
//!
//! Who owns what: the OCPP application holds one [`LocalList`] and one [`AuthCache`], persists
//! them with their `to_json` after every change, and restores them with `from_json` at start.
//! * The list changes only through SendLocalList ([`LocalList::send_local_list`]); 1.6 §3.5.2:
//!   "The Charge Point SHALL NOT modify the contents of the Authorization List by any other
//!   means".
//! * The cache learns from every idTagInfo the CSMS sends (Authorize.conf,
//!   StartTransaction.conf, StopTransaction.conf) through [`record_id_tag_info`], which applies
//!   §3.5.3: an id tag in the Local Authorization List is never put in the cache.
//! * [`decide`] answers "may this id tag charge?" from both, the settings and whether the link
//!   is up.
//!
//! Id tags are CiString20Type: compared case-insensitively (lower-cased keys), kept in the
//! spelling the CSMS last sent.
//!
//! "Valid" follows §3.5.2: status Accepted **or ConcurrentTx** ("valid, expired, (temporarily)
//! blocked, or blacklisted, corresponding to IdTagInfo status values Accepted/ConcurrentTx,
//! Expired, Blocked, and Invalid"), and an expiryDate not yet reached. A valid entry whose
//! expiryDate has passed reads as Expired (§3.5.1 "When the validity of a Cache entry expires,
//! it SHALL be changed to expired"; §3.5.4 "Identifiers that were valid but are apparently
//! expired due to passage of time MUST also be rejected").

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Value};

use charger_protocol::ocpp::types::DateTime;
use charger_protocol::ocpp::v16;

use crate::ocpp::chargepoint::parse_rfc3339_ms;
use crate::wall_time::rfc3339_utc;

/// Longest id tag (and parent id tag): CiString20Type.
pub const ID_TAG_MAX_LEN: usize = 20;

/// Why a stored list/cache or an idTagInfo could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalAuthError {
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("idTag or parentIdTag longer than {ID_TAG_MAX_LEN} characters")]
    IdTagTooLong,
    #[error("expiryDate is not an RFC 3339 time: {0:?}")]
    BadExpiry(String),
    // The id tag itself is left out: id tags identify drivers and stay out of logs.
    #[error("the same idTag appears twice")]
    DuplicateIdTag,
}

/// IdTagInfo.status: the generated type.
pub use charger_protocol::ocpp::v16::AuthorizationStatus;

/// The statuses 1.6 §3.5.2 calls "valid": Accepted and ConcurrentTx.
pub fn is_valid(status: AuthorizationStatus) -> bool {
    matches!(
        status,
        AuthorizationStatus::Accepted | AuthorizationStatus::ConcurrentTx
    )
}

/// IdTagInfo: what the CSMS (or the local list) says about one id tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTagInfo {
    pub status: AuthorizationStatus,
    /// expiryDate, unix ms.
    pub expiry_ms: Option<i64>,
    pub parent_id_tag: Option<String>,
}

/// The wire shape, in the schema's names.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdTagInfoWire {
    status: AuthorizationStatus,
    expiry_date: Option<String>,
    parent_id_tag: Option<String>,
}

impl IdTagInfo {
    pub fn accepted() -> IdTagInfo {
        IdTagInfo::with_status(AuthorizationStatus::Accepted)
    }

    pub fn with_status(status: AuthorizationStatus) -> IdTagInfo {
        IdTagInfo {
            status,
            expiry_ms: None,
            parent_id_tag: None,
        }
    }

    /// Reads an idTagInfo object (`status`, `expiryDate`, `parentIdTag`).
    pub fn from_json(v: &Value) -> Result<IdTagInfo, LocalAuthError> {
        let w: IdTagInfoWire =
            serde_json::from_value(v.clone()).map_err(|e| LocalAuthError::Malformed {
                what: "idTagInfo",
                reason: e.to_string(),
            })?;
        IdTagInfo::from_wire(w)
    }

    /// An idTagInfo the CSMS sent (SendLocalList's entries, Authorize.conf and the
    /// transactions' answers), checked for what the schema cannot say.
    pub fn from_message(w: &v16::IdTagInfo) -> Result<IdTagInfo, LocalAuthError> {
        if let Some(p) = &w.parent_id_tag {
            check_id_tag(p)?;
        }
        Ok(IdTagInfo {
            status: w.status,
            expiry_ms: w.expiry_date.map(DateTime::unix_ms),
            parent_id_tag: w.parent_id_tag.clone(),
        })
    }

    fn from_wire(w: IdTagInfoWire) -> Result<IdTagInfo, LocalAuthError> {
        let expiry_ms = match w.expiry_date {
            None => None,
            Some(s) => Some(parse_rfc3339_ms(&s).ok_or(LocalAuthError::BadExpiry(s))?),
        };
        if let Some(p) = &w.parent_id_tag {
            check_id_tag(p)?;
        }
        Ok(IdTagInfo {
            status: w.status,
            expiry_ms,
            parent_id_tag: w.parent_id_tag,
        })
    }

    /// The idTagInfo object, absent fields left out.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("status".into(), json!(self.status.as_str()));
        if let Some(ms) = self.expiry_ms {
            m.insert("expiryDate".into(), json!(rfc3339_utc(ms)));
        }
        if let Some(p) = &self.parent_id_tag {
            m.insert("parentIdTag".into(), json!(p));
        }
        Value::Object(m)
    }

    /// True when the expiryDate has been reached at `now_ms`.
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        self.expiry_ms.is_some_and(|e| now_ms >= e)
    }

    /// Valid (Accepted/ConcurrentTx) and not past its expiryDate.
    pub fn is_valid_at(&self, now_ms: i64) -> bool {
        is_valid(self.status) && !self.is_expired_at(now_ms)
    }

    /// This info as it reads at `now_ms`: a valid status past its expiryDate becomes Expired.
    /// Blocked and Invalid stay what they are (they say more than "expired").
    pub fn at(&self, now_ms: i64) -> IdTagInfo {
        let mut i = self.clone();
        if is_valid(i.status) && i.is_expired_at(now_ms) {
            i.status = AuthorizationStatus::Expired;
        }
        i
    }
}

/// The case-insensitive key of an id tag.
fn fold(id_tag: &str) -> String {
    id_tag.to_lowercase()
}

fn check_id_tag(id_tag: &str) -> Result<(), LocalAuthError> {
    if id_tag.chars().count() > ID_TAG_MAX_LEN {
        return Err(LocalAuthError::IdTagTooLong);
    }
    Ok(())
}

/// Case-insensitive id tag comparison (1.6: IdToken is a CiString).
pub fn same_id_tag(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// 1.6 §3.10: may `b_tag` act for `a_tag` (stop its transaction, use its reservation)? Yes if
/// it is the same tag, or if both have a parentIdTag and the two match ("two idTags are
/// considered to be in the same group if their ParentId Tags match"). The parent is not compared
/// with the other tag itself: §3.10 says a ParentId "SHOULD NOT be used for comparison against a
/// presented Token value". `a_parent` is the parentIdTag known for the tag that started (from
/// the start's idTagInfo), `b_parent` that of the presented tag (from [`decide`] or an
/// Authorize.conf).
pub fn same_group(
    a_tag: &str,
    a_parent: Option<&str>,
    b_tag: &str,
    b_parent: Option<&str>,
) -> bool {
    if same_id_tag(a_tag, b_tag) {
        return true;
    }
    match (a_parent, b_parent) {
        (Some(a), Some(b)) => same_id_tag(a, b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Local Authorization List
// ---------------------------------------------------------------------------------------------

/// SendLocalList.conf status: the generated type.
pub use charger_protocol::ocpp::v16::UpdateStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
struct ListEntry {
    /// As the CSMS spelled it.
    id_tag: String,
    info: IdTagInfo,
}

/// The Local Authorization List, with its version.
///
/// `version()` is what GetLocalListVersion.conf reports when the list is supported and
/// enabled: 0 while the list is empty (§5.10: "A version number of 0 (zero) SHALL be used to
/// indicate that the local authorization list is empty"), so an update that leaves the list
/// empty also sets the version to 0. The -1 of "not supported" is the caller's to answer
/// ([`LocalList::get_local_list_version`] does it from `enabled`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalList {
    version: i32,
    /// Folded id tag → entry.
    entries: BTreeMap<String, ListEntry>,
}

/// Why an update was refused, for the log (never the id tags).
type Refusal = (UpdateStatus, &'static str);

impl LocalList {
    /// An empty list, version 0.
    pub fn new() -> LocalList {
        LocalList::default()
    }

    /// The list version; 0 when the list is empty.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// GetLocalListVersion.conf listVersion: the version, or -1 when the Local Authorization
    /// List is not available on this station (`enabled` = LocalAuthListEnabled).
    pub fn get_local_list_version(&self, enabled: bool) -> i32 {
        if enabled {
            self.version
        } else {
            -1
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `id_tag` (case-insensitive), as stored: expiry is not applied here, see
    /// [`IdTagInfo::at`].
    pub fn get(&self, id_tag: &str) -> Option<&IdTagInfo> {
        self.entries.get(&fold(id_tag)).map(|e| &e.info)
    }

    /// The entries, (id tag, info), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &IdTagInfo)> {
        self.entries.values().map(|e| (e.id_tag.as_str(), &e.info))
    }

    /// SendLocalList.req as the station answers it: NotSupported when the list is disabled
    /// (LocalAuthListEnabled false; OCTT TC_043_1 accepts this answer), else
    /// [`LocalList::apply_update`].
    pub fn send_local_list(
        &mut self,
        enabled: bool,
        req: &v16::SendLocalListRequest,
        max_send: usize,
        max_len: usize,
    ) -> UpdateStatus {
        if !enabled {
            return UpdateStatus::NotSupported;
        }
        self.apply_update(req, max_send, max_len)
    }

    /// Applies a SendLocalList.req, all or nothing: unless the answer is Accepted the list and
    /// its version are exactly what they were.
    ///
    /// * What the schema and the typed message let through but the list cannot hold (an idTag
    ///   over 20 characters, a listVersion beyond i32): Failed. This is the third line, after
    ///   the RPC layer's schema and the typed message.
    /// * Differential with listVersion not greater than the current version: VersionMismatch
    ///   (the enum's definition: "Version number in the request for a differential update is
    ///   less or equal then version number of current list").
    /// * More than `max_send` (SendLocalListMaxLength) entries in the request: Failed.
    /// * The same idTag twice in the request (case-insensitively): Failed (§5.15 "All idTags in
    ///   the localAuthorizationList MUST be unique").
    /// * Full: the entries replace the list; an entry without idTagInfo is Failed (1.6 §7,
    ///   AuthorizationData: idTagInfo "Required when UpdateType is Full"). A non-empty Full
    ///   list with listVersion ≤ 0 is Failed: 0 and -1 mean "empty" and "not supported" in
    ///   GetLocalListVersion, so such a list could not be reported truthfully.
    /// * Differential: an entry with idTagInfo adds or replaces, one without deletes (deleting
    ///   an absent tag is no error).
    /// * A resulting list longer than `max_len` (LocalAuthListMaxLength): Failed.
    ///
    /// Accepted sets the version to listVersion, or to 0 if the list is now empty.
    pub fn apply_update(
        &mut self,
        req: &v16::SendLocalListRequest,
        max_send: usize,
        max_len: usize,
    ) -> UpdateStatus {
        match self.updated(req, max_send, max_len) {
            Ok(next) => {
                *self = next;
                tracing::info!(
                    list_version = self.version,
                    entries = self.entries.len(),
                    "local authorization list updated"
                );
                UpdateStatus::Accepted
            }
            Err((status, why)) => {
                tracing::warn!(
                    status = status.as_str(),
                    why,
                    list_version = self.version,
                    "SendLocalList refused; local authorization list unchanged"
                );
                status
            }
        }
    }

    /// The list after `req`, built beside the current one so a refusal changes nothing.
    fn updated(
        &self,
        req: &v16::SendLocalListRequest,
        max_send: usize,
        max_len: usize,
    ) -> Result<LocalList, Refusal> {
        let list_version = i32::try_from(req.list_version)
            .map_err(|_| (UpdateStatus::Failed, "listVersion out of range"))?;
        let differential = req.update_type == v16::UpdateType::Differential;
        if differential && list_version <= self.version {
            return Err((
                UpdateStatus::VersionMismatch,
                "listVersion not above the current one",
            ));
        }
        let list = req.local_authorization_list.as_deref().unwrap_or_default();
        if list.len() > max_send {
            return Err((
                UpdateStatus::Failed,
                "more entries than SendLocalListMaxLength",
            ));
        }
        let mut seen = BTreeSet::new();
        let mut changes = Vec::with_capacity(list.len());
        for d in list {
            check_id_tag(&d.id_tag).map_err(|_| (UpdateStatus::Failed, "idTag too long"))?;
            if !seen.insert(fold(&d.id_tag)) {
                return Err((UpdateStatus::Failed, "duplicate idTag"));
            }
            let info = match &d.id_tag_info {
                None => None,
                Some(w) => Some(
                    IdTagInfo::from_message(w)
                        .map_err(|_| (UpdateStatus::Failed, "unreadable idTagInfo"))?,
                ),
            };
            changes.push((d.id_tag.clone(), info));
        }

        let mut entries = if differential {
            self.entries.clone()
        } else {
            BTreeMap::new()
        };
        for (id_tag, info) in changes {
            let key = fold(&id_tag);
            match info {
                Some(info) => {
                    entries.insert(key, ListEntry { id_tag, info });
                }
                None if differential => {
                    entries.remove(&key);
                }
                None => return Err((UpdateStatus::Failed, "Full update entry without idTagInfo")),
            }
        }
        if entries.len() > max_len {
            return Err((
                UpdateStatus::Failed,
                "list would exceed LocalAuthListMaxLength",
            ));
        }
        if !entries.is_empty() && list_version <= 0 {
            return Err((UpdateStatus::Failed, "non-empty list with listVersion <= 0"));
        }
        let version = if entries.is_empty() { 0 } else { list_version };
        Ok(LocalList { version, entries })
    }

    /// For persistence: `{"listVersion": n, "localAuthorizationList": [{"idTag", "idTagInfo"}]}`
    /// (the SendLocalList.req shape without updateType).
    pub fn to_json(&self) -> Value {
        let list: Vec<Value> = self
            .entries
            .values()
            .map(|e| json!({ "idTag": e.id_tag, "idTagInfo": e.info.to_json() }))
            .collect();
        json!({ "listVersion": self.version, "localAuthorizationList": list })
    }

    /// Reads what [`LocalList::to_json`] wrote. No length bound is applied: a lowered
    /// LocalAuthListMaxLength does not entitle the station to drop entries (§3.5.2: the list
    /// changes only through SendLocalList).
    pub fn from_json(v: &Value) -> Result<LocalList, LocalAuthError> {
        let version = v
            .get("listVersion")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| malformed("local list", "listVersion missing or out of range"))?;
        let mut entries = BTreeMap::new();
        for e in v
            .get("localAuthorizationList")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("local list", "localAuthorizationList missing"))?
        {
            let (id_tag, info) = read_entry(e, "local list entry")?;
            if entries
                .insert(fold(&id_tag), ListEntry { id_tag, info })
                .is_some()
            {
                return Err(LocalAuthError::DuplicateIdTag);
            }
        }
        let version = if entries.is_empty() { 0 } else { version };
        Ok(LocalList { version, entries })
    }
}

fn malformed(what: &'static str, reason: &str) -> LocalAuthError {
    LocalAuthError::Malformed {
        what,
        reason: reason.to_string(),
    }
}

/// One persisted `{"idTag", "idTagInfo"}`.
fn read_entry(e: &Value, what: &'static str) -> Result<(String, IdTagInfo), LocalAuthError> {
    let id_tag = e
        .get("idTag")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(what, "idTag missing"))?;
    check_id_tag(id_tag)?;
    let info = IdTagInfo::from_json(
        e.get("idTagInfo")
            .ok_or_else(|| malformed(what, "idTagInfo missing"))?,
    )?;
    Ok((id_tag.to_string(), info))
}

// ---------------------------------------------------------------------------------------------
// Authorization Cache
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheEntry {
    id_tag: String,
    info: IdTagInfo,
    /// Recency: larger is more recent. A counter, not a time, so that order is exact even when
    /// several updates share a millisecond or the clock steps back.
    used: u64,
}

/// The Authorization Cache (1.6 §3.5.1): the latest idTagInfo the CSMS gave for each id tag,
/// valid or not, bounded to `capacity` entries.
///
/// When full, a new id tag makes room by evicting first a NOT-valid entry (Blocked, Invalid,
/// Expired, or valid but past its expiryDate), then the least recently used valid one (§3.5.1:
/// "remove any NOT-valid entries, and then, if necessary, the oldest valid entries"). Among
/// NOT-valid entries the least recently used goes first too. "Used" means updated, or
/// [`AuthCache::touch`]ed by the caller when an entry authorized a start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCache {
    capacity: usize,
    entries: BTreeMap<String, CacheEntry>,
    next_use: u64,
}

impl AuthCache {
    pub fn new(capacity: usize) -> AuthCache {
        AuthCache {
            capacity,
            entries: BTreeMap::new(),
            next_use: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ClearCache.req.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn remove(&mut self, id_tag: &str) -> bool {
        self.entries.remove(&fold(id_tag)).is_some()
    }

    /// Stores the idTagInfo the CSMS gave for `id_tag` (replacing an older one). Does not know
    /// the local list: use [`record_id_tag_info`], which keeps listed tags out.
    pub fn update(&mut self, id_tag: &str, info: IdTagInfo, now_ms: i64) {
        if self.capacity == 0 {
            return;
        }
        let key = fold(id_tag);
        if !self.entries.contains_key(&key) {
            while self.entries.len() >= self.capacity {
                self.evict_one(now_ms);
            }
        }
        let used = self.bump();
        self.entries.insert(
            key,
            CacheEntry {
                id_tag: id_tag.to_string(),
                info,
                used,
            },
        );
    }

    /// Marks `id_tag` as just used (it authorized a start), so it is evicted later.
    pub fn touch(&mut self, id_tag: &str) {
        let used = self.next_use;
        if let Some(e) = self.entries.get_mut(&fold(id_tag)) {
            e.used = used;
            self.next_use += 1;
        }
    }

    /// The entry for `id_tag` as it reads at `now_ms` (a valid one past its expiryDate reads
    /// Expired).
    pub fn get(&self, id_tag: &str, now_ms: i64) -> Option<IdTagInfo> {
        self.entries.get(&fold(id_tag)).map(|e| e.info.at(now_ms))
    }

    fn bump(&mut self) -> u64 {
        let u = self.next_use;
        self.next_use += 1;
        u
    }

    fn evict_one(&mut self, now_ms: i64) {
        // Key of min by (valid?, recency): NOT-valid (false) sorts before valid (true).
        let victim = self
            .entries
            .iter()
            .min_by_key(|(_, e)| (e.info.is_valid_at(now_ms), e.used))
            .map(|(k, _)| k.clone());
        if let Some(k) = victim {
            self.entries.remove(&k);
        }
    }

    /// For persistence: `{"entries": [{"idTag", "idTagInfo"}]}`, least recently used first.
    pub fn to_json(&self) -> Value {
        let mut es: Vec<&CacheEntry> = self.entries.values().collect();
        es.sort_by_key(|e| e.used);
        let list: Vec<Value> = es
            .into_iter()
            .map(|e| json!({ "idTag": e.id_tag, "idTagInfo": e.info.to_json() }))
            .collect();
        json!({ "entries": list })
    }

    /// Reads what [`AuthCache::to_json`] wrote, keeping its recency order. If there are more
    /// entries than `capacity` (it was lowered), the most recently used ones are kept.
    pub fn from_json(v: &Value, capacity: usize) -> Result<AuthCache, LocalAuthError> {
        let list = v
            .get("entries")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("authorization cache", "entries missing"))?;
        let mut cache = AuthCache::new(capacity);
        let skip = list.len().saturating_sub(capacity);
        for e in list.iter().skip(skip) {
            let (id_tag, info) = read_entry(e, "authorization cache entry")?;
            let used = cache.bump();
            cache
                .entries
                .insert(fold(&id_tag), CacheEntry { id_tag, info, used });
        }
        Ok(cache)
    }
}

// ---------------------------------------------------------------------------------------------
// Settings, recording CSMS answers, the decision
// ---------------------------------------------------------------------------------------------

/// The configuration keys of 1.6 §3.5 (all booleans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// LocalAuthListEnabled: consult the Local Authorization List. When false the list is
    /// ignored entirely (not looked up, and it does not keep tags out of the cache).
    pub local_auth_list_enabled: bool,
    /// LocalAuthorizeOffline: offline, a valid list/cache entry authorizes.
    pub local_authorize_offline: bool,
    /// LocalPreAuthorize: online, a valid list/cache entry starts at once, without waiting for
    /// the CSMS.
    pub local_pre_authorize: bool,
    /// AuthorizationCacheEnabled: keep and consult the cache.
    pub authorization_cache_enabled: bool,
    /// AllowOfflineTxForUnknownId: offline, a tag nothing local can authorize may charge.
    pub allow_offline_tx_for_unknown_id: bool,
}

/// What [`record_id_tag_info`] did with an idTagInfo from the CSMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored in the cache.
    Cached,
    /// Not stored: the cache is disabled.
    CacheDisabled,
    /// Not stored: the tag is in the (enabled) Local Authorization List, and the list agrees.
    InLocalList,
    /// Not stored, and the CSMS contradicts the list (one says valid, the other not). 1.6
    /// §3.5.2: the station "SHALL inform the Central System by sending a StatusNotification
    /// with ConnectorId set to 0, and ErrorCode set to 'LocalListConflict'" — the caller does.
    LocalListConflict,
}

/// Feeds an idTagInfo from Authorize.conf, StartTransaction.conf or StopTransaction.conf to the
/// cache, following §3.5.3 ("Identifiers known in the Local Authorization List SHALL NOT be
/// added to the Authorization Cache"); a stale cache entry for a listed tag is dropped.
pub fn record_id_tag_info(
    list: &LocalList,
    cache: &mut AuthCache,
    settings: &AuthSettings,
    id_tag: &str,
    info: IdTagInfo,
    now_ms: i64,
) -> Recorded {
    if settings.local_auth_list_enabled {
        if let Some(listed) = list.get(id_tag) {
            cache.remove(id_tag);
            return if listed.is_valid_at(now_ms) == info.is_valid_at(now_ms) {
                Recorded::InLocalList
            } else {
                Recorded::LocalListConflict
            };
        }
    }
    if !settings.authorization_cache_enabled {
        return Recorded::CacheDisabled;
    }
    cache.update(id_tag, info, now_ms);
    Recorded::Cached
}

/// Where a decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    LocalList,
    Cache,
    /// Offline, no local entry could authorize, AllowOfflineTxForUnknownId allowed it.
    OfflineUnknownAllowed,
    /// Offline, no local entry could authorize and unknown tags are not allowed.
    NoLocalAuthorization,
}

/// The answer to "a driver presented this id tag".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start (or stop) now, without an Authorize.req. `info` carries the parentIdTag for
    /// [`same_group`] checks.
    Accept { info: IdTagInfo, source: Source },
    /// Refuse; `info.status` says why (for the display).
    Reject { info: IdTagInfo, source: Source },
    /// Send Authorize.req and act on Authorize.conf.
    AskCsms,
}

/// The local entry for `id_tag` as it reads at `now_ms`: the list first when enabled (§3.5.3:
/// list entries "having priority over Authorization Cache entries"), then the cache when
/// enabled. A listed tag never falls through to the cache, whatever its status.
pub fn lookup(
    list: &LocalList,
    cache: &AuthCache,
    settings: &AuthSettings,
    id_tag: &str,
    now_ms: i64,
) -> Option<(IdTagInfo, Source)> {
    if settings.local_auth_list_enabled {
        if let Some(i) = list.get(id_tag) {
            return Some((i.at(now_ms), Source::LocalList));
        }
    }
    if settings.authorization_cache_enabled {
        if let Some(i) = cache.get(id_tag, now_ms) {
            return Some((i, Source::Cache));
        }
    }
    None
}

/// The charge point's decision when a driver presents `id_tag` (1.6 §3.5).
///
/// **Online** (`online`: the link is up and the registration Accepted):
/// * LocalPreAuthorize and a valid local entry → Accept at once. §3.5: LocalPreAuthorize
///   "controls whether a Charge Point will use the Authorization Cache and/or the Local
///   Authorization List to start a transaction without waiting for an authorization response".
///   No Authorize.req is sent then; StartTransaction.conf carries the CSMS's verdict, and
///   StopTransactionOnInvalidId applies if it disagrees.
/// * Anything else → AskCsms, including a local entry that is Blocked, Invalid or Expired:
///   online the CSMS is the authority. LocalPreAuthorize only licenses *starting* early, and
///   §3.5.1 says of a NOT-valid cache entry "and the Charge Point is online: an Authorize.req
///   SHOULD be sent to the central System to check the current state"; we treat NOT-valid list
///   entries alike, since the CSMS may have unblocked a tag before updating the list.
///
/// **Offline:**
/// * A local entry that is not valid (including valid-but-expired) → Reject with it (§3.5.4
///   "MUST be rejected"), whatever the other settings say.
/// * A valid entry and LocalAuthorizeOffline → Accept from it.
/// * Otherwise — no entry, or a valid one LocalAuthorizeOffline forbids using, so the tag
///   "cannot be explicitly authorized by Local Authorization List or Authorization Cache
///   entries" (§3.5.4) — AllowOfflineTxForUnknownId → Accept (OfflineUnknownAllowed; the info
///   is Accepted, with the known entry's parentIdTag if there is one), else Reject with
///   Invalid.
pub fn decide(
    list: &LocalList,
    cache: &AuthCache,
    settings: &AuthSettings,
    id_tag: &str,
    online: bool,
    now_ms: i64,
) -> Decision {
    let known = lookup(list, cache, settings, id_tag, now_ms);
    if online {
        return match known {
            Some((info, source)) if settings.local_pre_authorize && is_valid(info.status) => {
                Decision::Accept { info, source }
            }
            _ => Decision::AskCsms,
        };
    }
    match known {
        Some((info, source)) if !is_valid(info.status) => Decision::Reject { info, source },
        Some((info, source)) if settings.local_authorize_offline => {
            Decision::Accept { info, source }
        }
        known if settings.allow_offline_tx_for_unknown_id => Decision::Accept {
            info: IdTagInfo {
                parent_id_tag: known.and_then(|(i, _)| i.parent_id_tag),
                ..IdTagInfo::accepted()
            },
            source: Source::OfflineUnknownAllowed,
        },
        _ => Decision::Reject {
            info: IdTagInfo::with_status(AuthorizationStatus::Invalid),
            source: Source::NoLocalAuthorization,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_700_000_000_000;

    /// `update` through the typed message, as the charge point sees it: what does not fit the
    /// type is refused before the list (answered Failed here, a CALLERROR on the wire).
    fn apply(l: &mut LocalList, update: &Value, max_send: usize, max_len: usize) -> UpdateStatus {
        match serde_json::from_value::<v16::SendLocalListRequest>(update.clone()) {
            Ok(req) => l.apply_update(&req, max_send, max_len),
            Err(_) => UpdateStatus::Failed,
        }
    }

    fn typed(update: &Value) -> v16::SendLocalListRequest {
        serde_json::from_value(update.clone()).unwrap()
    }

    fn full(version: i32, entries: Value) -> Value {
        json!({ "listVersion": version, "updateType": "Full", "localAuthorizationList": entries })
    }

    fn diff(version: i32, entries: Value) -> Value {
        json!({ "listVersion": version, "updateType": "Differential", "localAuthorizationList": entries })
    }

    fn e(tag: &str, status: &str) -> Value {
        json!({ "idTag": tag, "idTagInfo": { "status": status } })
    }

    fn del(tag: &str) -> Value {
        json!({ "idTag": tag })
    }

    fn list_of(version: i32, entries: Value) -> LocalList {
        let mut l = LocalList::new();
        assert_eq!(
            apply(&mut l, &full(version, entries), 100, 100),
            UpdateStatus::Accepted
        );
        l
    }

    fn settings() -> AuthSettings {
        AuthSettings {
            local_auth_list_enabled: true,
            local_authorize_offline: true,
            local_pre_authorize: true,
            authorization_cache_enabled: true,
            allow_offline_tx_for_unknown_id: false,
        }
    }

    fn info(status: AuthorizationStatus, expiry_ms: Option<i64>) -> IdTagInfo {
        IdTagInfo {
            status,
            expiry_ms,
            parent_id_tag: None,
        }
    }

    use AuthorizationStatus::*;

    #[test]
    fn id_tag_info_json_uses_schema_names_and_round_trips() {
        let v = json!({ "status": "Accepted", "expiryDate": "2024-01-02T03:04:05Z", "parentIdTag": "FLEET" });
        let i = IdTagInfo::from_json(&v).unwrap();
        assert_eq!(i.status, Accepted);
        assert_eq!(i.expiry_ms, parse_rfc3339_ms("2024-01-02T03:04:05Z"));
        assert_eq!(i.parent_id_tag.as_deref(), Some("FLEET"));
        let out = i.to_json();
        assert_eq!(out["expiryDate"], "2024-01-02T03:04:05.000Z");
        assert_eq!(IdTagInfo::from_json(&out).unwrap(), i);
        // Absent fields stay absent.
        assert_eq!(
            IdTagInfo::with_status(Blocked).to_json(),
            json!({ "status": "Blocked" })
        );
    }

    #[test]
    fn id_tag_info_rejects_bad_status_expiry_and_long_parent() {
        assert!(matches!(
            IdTagInfo::from_json(&json!({ "status": "Maybe" })),
            Err(LocalAuthError::Malformed { .. })
        ));
        assert!(matches!(
            IdTagInfo::from_json(&json!({ "status": "Accepted", "expiryDate": "tomorrow" })),
            Err(LocalAuthError::BadExpiry(_))
        ));
        assert_eq!(
            IdTagInfo::from_json(&json!({ "status": "Accepted", "parentIdTag": "X".repeat(21) })),
            Err(LocalAuthError::IdTagTooLong)
        );
    }

    #[test]
    fn full_update_replaces_the_whole_list() {
        let mut l = list_of(3, json!([e("A", "Accepted"), e("B", "Blocked")]));
        assert_eq!(l.version(), 3);
        let s = apply(&mut l, &full(2, json!([e("C", "Accepted")])), 10, 10);
        // A Full update may lower the version: it is a fresh list.
        assert_eq!(s, UpdateStatus::Accepted);
        assert_eq!(l.version(), 2);
        assert_eq!(l.len(), 1);
        assert!(l.get("A").is_none());
        assert_eq!(l.get("C").map(|i| i.status), Some(Accepted));
    }

    #[test]
    fn full_update_without_id_tag_info_fails_and_changes_nothing() {
        let mut l = list_of(3, json!([e("A", "Accepted")]));
        let before = l.clone();
        let s = apply(
            &mut l,
            &full(4, json!([e("B", "Accepted"), del("C")])),
            10,
            10,
        );
        assert_eq!(s, UpdateStatus::Failed);
        assert_eq!(l, before);
    }

    #[test]
    fn empty_full_update_clears_the_list_and_reports_version_zero() {
        let mut l = list_of(3, json!([e("A", "Accepted")]));
        let s = apply(
            &mut l,
            &json!({ "listVersion": 7, "updateType": "Full" }),
            10,
            10,
        );
        assert_eq!(s, UpdateStatus::Accepted);
        assert!(l.is_empty());
        assert_eq!(l.version(), 0);
        assert_eq!(l.get_local_list_version(true), 0);
    }

    #[test]
    fn full_update_with_non_positive_version_and_entries_fails() {
        let mut l = list_of(3, json!([e("A", "Accepted")]));
        let before = l.clone();
        assert_eq!(
            apply(&mut l, &full(0, json!([e("B", "Accepted")])), 10, 10),
            UpdateStatus::Failed
        );
        assert_eq!(
            apply(&mut l, &full(-1, json!([e("B", "Accepted")])), 10, 10),
            UpdateStatus::Failed
        );
        assert_eq!(l, before);
    }

    #[test]
    fn differential_adds_replaces_and_deletes() {
        let mut l = list_of(
            1,
            json!([e("A", "Accepted"), e("B", "Accepted"), e("C", "Accepted")]),
        );
        let s = apply(
            &mut l,
            &diff(
                2,
                json!([
                    e("b", "Blocked"),
                    del("C"),
                    e("D", "Accepted"),
                    del("nobody")
                ]),
            ),
            10,
            10,
        );
        assert_eq!(s, UpdateStatus::Accepted);
        assert_eq!(l.version(), 2);
        assert_eq!(l.len(), 3);
        assert_eq!(l.get("A").map(|i| i.status), Some(Accepted));
        assert_eq!(l.get("B").map(|i| i.status), Some(Blocked));
        assert!(l.get("C").is_none());
        assert_eq!(l.get("d").map(|i| i.status), Some(Accepted));
        // The newest spelling is kept.
        assert!(l.iter().any(|(t, _)| t == "b"));
    }

    #[test]
    fn differential_needs_a_greater_version() {
        let mut l = list_of(5, json!([e("A", "Accepted")]));
        let before = l.clone();
        assert_eq!(
            apply(&mut l, &diff(5, json!([e("B", "Accepted")])), 10, 10),
            UpdateStatus::VersionMismatch
        );
        assert_eq!(
            apply(&mut l, &diff(4, json!([e("B", "Accepted")])), 10, 10),
            UpdateStatus::VersionMismatch
        );
        assert_eq!(l, before);
        // Without entries it only moves the version (§5.15: "no effect on the list").
        assert_eq!(
            apply(
                &mut l,
                &json!({ "listVersion": 6, "updateType": "Differential" }),
                10,
                10
            ),
            UpdateStatus::Accepted
        );
        assert_eq!(l.version(), 6);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn differential_that_empties_the_list_reports_version_zero() {
        let mut l = list_of(5, json!([e("A", "Accepted")]));
        assert_eq!(
            apply(&mut l, &diff(6, json!([del("a")])), 10, 10),
            UpdateStatus::Accepted
        );
        assert_eq!(l.version(), 0);
        // From 0, any positive differential version is greater.
        assert_eq!(
            apply(&mut l, &diff(1, json!([e("B", "Accepted")])), 10, 10),
            UpdateStatus::Accepted
        );
        assert_eq!(l.version(), 1);
    }

    #[test]
    fn too_many_entries_in_the_request_fails_atomically() {
        let mut l = list_of(1, json!([e("A", "Accepted")]));
        let before = l.clone();
        let three = json!([e("B", "Accepted"), e("C", "Accepted"), e("D", "Accepted")]);
        assert_eq!(
            apply(&mut l, &diff(2, three.clone()), 2, 100),
            UpdateStatus::Failed
        );
        assert_eq!(
            apply(&mut l, &full(2, three.clone()), 2, 100),
            UpdateStatus::Failed
        );
        assert_eq!(l, before);
        assert_eq!(
            apply(&mut l, &diff(2, three), 3, 100),
            UpdateStatus::Accepted
        );
    }

    #[test]
    fn a_list_over_max_len_fails_atomically() {
        let mut l = list_of(1, json!([e("A", "Accepted"), e("B", "Accepted")]));
        let before = l.clone();
        // 2 + 2 new = 4 > 3, even though the request itself is small.
        assert_eq!(
            apply(
                &mut l,
                &diff(2, json!([e("C", "Accepted"), e("D", "Accepted")])),
                10,
                3
            ),
            UpdateStatus::Failed
        );
        assert_eq!(
            apply(
                &mut l,
                &full(
                    2,
                    json!([
                        e("C", "Accepted"),
                        e("D", "Accepted"),
                        e("E", "Accepted"),
                        e("F", "Accepted")
                    ])
                ),
                10,
                3
            ),
            UpdateStatus::Failed
        );
        assert_eq!(l, before);
        // A delete in the same request makes room: the bound is on the result.
        assert_eq!(
            apply(
                &mut l,
                &diff(2, json!([del("A"), e("C", "Accepted"), e("D", "Accepted")])),
                10,
                3
            ),
            UpdateStatus::Accepted
        );
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn duplicate_id_tags_in_a_request_fail_case_insensitively() {
        let mut l = list_of(1, json!([e("A", "Accepted")]));
        let before = l.clone();
        assert_eq!(
            apply(
                &mut l,
                &full(2, json!([e("X", "Accepted"), e("x", "Blocked")])),
                10,
                10
            ),
            UpdateStatus::Failed
        );
        assert_eq!(
            apply(
                &mut l,
                &diff(2, json!([e("A", "Blocked"), del("a")])),
                10,
                10
            ),
            UpdateStatus::Failed
        );
        assert_eq!(l, before);
    }

    #[test]
    fn malformed_requests_fail_and_change_nothing() {
        let mut l = list_of(1, json!([e("A", "Accepted")]));
        let before = l.clone();
        for bad in [
            json!({ "listVersion": 2, "updateType": "Partial" }),
            json!({ "updateType": "Full" }),
            json!({ "listVersion": 2, "updateType": "Full", "localAuthorizationList": [ { "idTagInfo": { "status": "Accepted" } } ] }),
            diff(
                2,
                json!([{ "idTag": "B", "idTagInfo": { "status": "Accepted", "expiryDate": "soon" } }]),
            ),
            diff(2, json!([e(&"L".repeat(21), "Accepted")])),
            json!({ "listVersion": 3_000_000_000_i64, "updateType": "Full" }),
        ] {
            assert_eq!(apply(&mut l, &bad, 10, 10), UpdateStatus::Failed, "{bad}");
            assert_eq!(l, before);
        }
    }

    #[test]
    fn disabled_list_answers_not_supported_and_version_minus_one() {
        let mut l = list_of(4, json!([e("A", "Accepted")]));
        let before = l.clone();
        assert_eq!(
            l.send_local_list(false, &typed(&full(5, json!([]))), 10, 10),
            UpdateStatus::NotSupported
        );
        assert_eq!(l, before);
        assert_eq!(l.get_local_list_version(false), -1);
        assert_eq!(l.get_local_list_version(true), 4);
        assert_eq!(
            l.send_local_list(true, &typed(&diff(5, json!([]))), 10, 10),
            UpdateStatus::Accepted
        );
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let l = list_of(1, json!([e("04A1b2C3", "Accepted")]));
        assert!(l.get("04a1B2c3").is_some());
        assert!(l.get("04A1B2C3").is_some());
        let mut c = AuthCache::new(4);
        c.update("DeadBeef", IdTagInfo::accepted(), T0);
        assert!(c.get("deadbeef", T0).is_some());
        c.update("DEADBEEF", IdTagInfo::with_status(Blocked), T0);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("DeadBeef", T0).map(|i| i.status), Some(Blocked));
        assert!(same_id_tag("abc", "ABC"));
    }

    #[test]
    fn local_list_persistence_round_trips() {
        let l = list_of(
            9,
            json!([
                { "idTag": "A", "idTagInfo": { "status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z", "parentIdTag": "P" } },
                e("b", "Invalid"),
            ]),
        );
        let back = LocalList::from_json(&l.to_json()).unwrap();
        assert_eq!(back, l);
        assert_eq!(back.version(), 9);
        let dup = json!({ "listVersion": 1, "localAuthorizationList": [e("A", "Accepted"), e("a", "Accepted")] });
        assert_eq!(
            LocalList::from_json(&dup),
            Err(LocalAuthError::DuplicateIdTag)
        );
        assert!(LocalList::from_json(&json!({ "localAuthorizationList": [] })).is_err());
    }

    #[test]
    fn cache_reads_expired_past_expiry_but_keeps_other_statuses() {
        let mut c = AuthCache::new(4);
        c.update("A", info(Accepted, Some(T0 + 1000)), T0);
        c.update("B", info(Blocked, Some(T0 + 1000)), T0);
        assert_eq!(c.get("A", T0 + 999).map(|i| i.status), Some(Accepted));
        assert_eq!(c.get("A", T0 + 1000).map(|i| i.status), Some(Expired));
        assert_eq!(c.get("B", T0 + 5000).map(|i| i.status), Some(Blocked));
        assert_eq!(c.get("nobody", T0), None);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn cache_evicts_not_valid_entries_first_then_least_recently_used() {
        let mut c = AuthCache::new(3);
        c.update("old-valid", IdTagInfo::accepted(), T0);
        c.update("expiring", info(Accepted, Some(T0 + 10)), T0 + 1);
        c.update("newer-valid", IdTagInfo::accepted(), T0 + 2);
        // "expiring" has expired by now: it goes first although "old-valid" is older.
        c.update("x1", IdTagInfo::accepted(), T0 + 100);
        assert_eq!(c.len(), 3);
        assert!(c.get("expiring", T0 + 100).is_none());
        // Now all valid: the least recently used goes.
        c.update("x2", IdTagInfo::accepted(), T0 + 200);
        assert!(c.get("old-valid", T0 + 200).is_none());
        // A blocked entry goes before any valid one, even the oldest.
        c.update("blocked", info(Blocked, None), T0 + 300); // evicts newer-valid (LRU valid)
        c.touch("x1"); // x1 used: now x2 is the least recently used valid entry
        c.update("x3", IdTagInfo::accepted(), T0 + 400);
        assert!(c.get("blocked", T0 + 400).is_none());
        assert!(c.get("x1", T0 + 400).is_some());
        c.update("x4", IdTagInfo::accepted(), T0 + 500);
        assert!(
            c.get("x2", T0 + 500).is_none(),
            "x2 was least recently used"
        );
        assert!(c.get("x1", T0 + 500).is_some());
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn cache_update_of_a_known_tag_evicts_nothing_and_capacity_zero_stores_nothing() {
        let mut c = AuthCache::new(2);
        c.update("A", IdTagInfo::accepted(), T0);
        c.update("B", IdTagInfo::accepted(), T0);
        c.update("a", IdTagInfo::with_status(Invalid), T0);
        assert_eq!(c.len(), 2);
        assert!(c.get("B", T0).is_some());
        let mut z = AuthCache::new(0);
        z.update("A", IdTagInfo::accepted(), T0);
        assert!(z.is_empty());
        for i in 0..50 {
            c.update(&format!("t{i}"), IdTagInfo::accepted(), T0 + i);
            assert!(c.len() <= c.capacity());
        }
    }

    #[test]
    fn cache_persistence_keeps_entries_and_recency() {
        let mut c = AuthCache::new(3);
        c.update("A", info(Accepted, Some(T0 + 60_000)), T0);
        c.update("B", IdTagInfo::accepted(), T0);
        c.update("C", IdTagInfo::accepted(), T0);
        c.touch("A"); // order now B, C, A
        let mut back = AuthCache::from_json(&c.to_json(), 3).unwrap();
        assert_eq!(back.get("A", T0), c.get("A", T0));
        back.update("D", IdTagInfo::accepted(), T0);
        assert!(
            back.get("B", T0).is_none(),
            "B was least recently used before the restart"
        );
        // A lowered capacity keeps the most recently used.
        let small = AuthCache::from_json(&c.to_json(), 1).unwrap();
        assert_eq!(small.len(), 1);
        assert!(small.get("A", T0).is_some());
        assert!(AuthCache::from_json(&json!({}), 3).is_err());
    }

    #[test]
    fn listed_tags_are_not_cached_and_conflicts_are_reported() {
        let l = list_of(1, json!([e("A", "Accepted")]));
        let mut c = AuthCache::new(4);
        let s = settings();
        assert_eq!(
            record_id_tag_info(&l, &mut c, &s, "a", IdTagInfo::accepted(), T0),
            Recorded::InLocalList
        );
        assert_eq!(
            record_id_tag_info(&l, &mut c, &s, "A", info(Blocked, None), T0),
            Recorded::LocalListConflict
        );
        assert!(c.is_empty());
        assert_eq!(
            record_id_tag_info(&l, &mut c, &s, "B", IdTagInfo::accepted(), T0),
            Recorded::Cached
        );
        assert_eq!(c.len(), 1);
        let off = AuthSettings {
            authorization_cache_enabled: false,
            ..s
        };
        assert_eq!(
            record_id_tag_info(&l, &mut c, &off, "C", IdTagInfo::accepted(), T0),
            Recorded::CacheDisabled
        );
        // With the list disabled, the list does not shadow anything.
        let no_list = AuthSettings {
            local_auth_list_enabled: false,
            ..s
        };
        assert_eq!(
            record_id_tag_info(&l, &mut c, &no_list, "A", IdTagInfo::accepted(), T0),
            Recorded::Cached
        );
        // Once the list is back on, recording the listed tag drops the stale cache entry.
        assert_eq!(
            record_id_tag_info(&l, &mut c, &s, "A", IdTagInfo::accepted(), T0),
            Recorded::InLocalList
        );
        assert!(c.get("A", T0).is_none());
    }

    #[test]
    fn online_decisions() {
        let l = list_of(1, json!([e("LISTED", "Accepted"), e("BLOCKED", "Blocked")]));
        let mut c = AuthCache::new(4);
        c.update("CACHED", IdTagInfo::accepted(), T0);
        c.update("OLD", info(Accepted, Some(T0)), T0 - 10);
        let s = settings();
        let d = |s: &AuthSettings, t: &str| decide(&l, &c, s, t, true, T0);
        assert!(matches!(
            d(&s, "listed"),
            Decision::Accept {
                source: Source::LocalList,
                ..
            }
        ));
        assert!(matches!(
            d(&s, "cached"),
            Decision::Accept {
                source: Source::Cache,
                ..
            }
        ));
        // NOT-valid locally: online the CSMS decides.
        assert_eq!(d(&s, "BLOCKED"), Decision::AskCsms);
        assert_eq!(d(&s, "OLD"), Decision::AskCsms);
        assert_eq!(d(&s, "unknown"), Decision::AskCsms);
        // Without LocalPreAuthorize even a valid entry waits for the CSMS.
        let no_pre = AuthSettings {
            local_pre_authorize: false,
            ..s
        };
        assert_eq!(d(&no_pre, "LISTED"), Decision::AskCsms);
        // AllowOfflineTxForUnknownId does nothing online.
        let allow = AuthSettings {
            allow_offline_tx_for_unknown_id: true,
            ..s
        };
        assert_eq!(d(&allow, "unknown"), Decision::AskCsms);
    }

    #[test]
    fn offline_decisions() {
        let l = list_of(
            1,
            json!([
                e("LISTED", "Accepted"),
                e("BLOCKED", "Blocked"),
                { "idTag": "LAPSED", "idTagInfo": { "status": "Accepted", "expiryDate": rfc3339_utc(T0 - 1) } },
            ]),
        );
        let mut c = AuthCache::new(4);
        c.update("CACHED", IdTagInfo::accepted(), T0);
        c.update("BANNED", info(Invalid, None), T0);
        let s = settings();
        let d = |s: &AuthSettings, t: &str| decide(&l, &c, s, t, false, T0);
        assert!(matches!(
            d(&s, "LISTED"),
            Decision::Accept {
                source: Source::LocalList,
                ..
            }
        ));
        assert!(matches!(
            d(&s, "CACHED"),
            Decision::Accept {
                source: Source::Cache,
                ..
            }
        ));
        assert_eq!(
            d(&s, "BLOCKED"),
            Decision::Reject {
                info: info(Blocked, None),
                source: Source::LocalList
            }
        );
        assert!(matches!(
            d(&s, "BANNED"),
            Decision::Reject {
                info: IdTagInfo {
                    status: Invalid,
                    ..
                },
                source: Source::Cache
            }
        ));
        assert!(matches!(
            d(&s, "LAPSED"),
            Decision::Reject {
                info: IdTagInfo {
                    status: Expired,
                    ..
                },
                source: Source::LocalList
            }
        ));
        assert_eq!(
            d(&s, "unknown"),
            Decision::Reject {
                info: info(Invalid, None),
                source: Source::NoLocalAuthorization
            }
        );
        let allow = AuthSettings {
            allow_offline_tx_for_unknown_id: true,
            ..s
        };
        assert_eq!(
            d(&allow, "unknown"),
            Decision::Accept {
                info: IdTagInfo::accepted(),
                source: Source::OfflineUnknownAllowed
            }
        );
        // Known bad stays rejected even when unknown tags are allowed (§3.5.4).
        assert!(matches!(d(&allow, "BLOCKED"), Decision::Reject { .. }));
        assert!(matches!(d(&allow, "LAPSED"), Decision::Reject { .. }));
        // LocalAuthorizeOffline off: a valid entry cannot authorize; the tag counts as unknown.
        let no_local = AuthSettings {
            local_authorize_offline: false,
            ..s
        };
        assert_eq!(
            d(&no_local, "LISTED"),
            Decision::Reject {
                info: info(Invalid, None),
                source: Source::NoLocalAuthorization
            }
        );
        let no_local_allow = AuthSettings {
            allow_offline_tx_for_unknown_id: true,
            ..no_local
        };
        assert!(matches!(
            d(&no_local_allow, "LISTED"),
            Decision::Accept {
                source: Source::OfflineUnknownAllowed,
                ..
            }
        ));
        assert!(matches!(
            d(&no_local_allow, "BLOCKED"),
            Decision::Reject { .. }
        ));
    }

    #[test]
    fn the_list_wins_over_the_cache_and_disabled_stores_are_ignored() {
        let l = list_of(1, json!([e("TAG", "Blocked")]));
        let mut c = AuthCache::new(4);
        c.update("tag", IdTagInfo::accepted(), T0); // e.g. cached before the list named it
        let s = settings();
        assert!(matches!(
            decide(&l, &c, &s, "TAG", false, T0),
            Decision::Reject {
                source: Source::LocalList,
                ..
            }
        ));
        assert_eq!(decide(&l, &c, &s, "TAG", true, T0), Decision::AskCsms);
        let no_list = AuthSettings {
            local_auth_list_enabled: false,
            ..s
        };
        assert!(matches!(
            decide(&l, &c, &no_list, "TAG", false, T0),
            Decision::Accept {
                source: Source::Cache,
                ..
            }
        ));
        let nothing = AuthSettings {
            authorization_cache_enabled: false,
            ..no_list
        };
        assert!(matches!(
            decide(&l, &c, &nothing, "TAG", false, T0),
            Decision::Reject {
                source: Source::NoLocalAuthorization,
                ..
            }
        ));
    }

    #[test]
    fn concurrent_tx_in_the_list_counts_as_valid() {
        // §3.5.2: "valid ... corresponding to IdTagInfo status values Accepted/ConcurrentTx".
        let l = list_of(1, json!([e("C", "ConcurrentTx")]));
        let c = AuthCache::new(1);
        assert!(matches!(
            decide(&l, &c, &settings(), "C", false, T0),
            Decision::Accept {
                info: IdTagInfo {
                    status: ConcurrentTx,
                    ..
                },
                source: Source::LocalList
            }
        ));
    }

    #[test]
    fn parent_groups() {
        assert!(
            same_group("A", None, "a", None),
            "the same tag is always its own group"
        );
        assert!(same_group("A", Some("FLEET-1"), "B", Some("fleet-1")));
        assert!(!same_group("A", Some("FLEET-1"), "B", Some("FLEET-2")));
        assert!(!same_group("A", Some("FLEET-1"), "B", None));
        assert!(!same_group("A", None, "B", None));
        // The parent is not compared with the presented tag itself (§3.10).
        assert!(!same_group("A", Some("B"), "B", None));
        // Accept carries the parent from the list for this check.
        let l = list_of(
            1,
            json!([{ "idTag": "DRIVER2", "idTagInfo": { "status": "Accepted", "parentIdTag": "FLEET-1" } }]),
        );
        let Decision::Accept { info, .. } =
            decide(&l, &AuthCache::new(1), &settings(), "driver2", false, T0)
        else {
            panic!("expected Accept");
        };
        assert!(same_group(
            "DRIVER1",
            Some("FLEET-1"),
            "driver2",
            info.parent_id_tag.as_deref()
        ));
    }

    // Random update sequences over a small tag alphabet (so duplicates, deletes and
    // replacements are frequent) and small bounds (so the bounds are hit often).
    fn arb_update() -> impl Strategy<Value = Value> {
        let entry = (0u8..6, prop::option::of(0u8..5)).prop_map(|(t, s)| {
            let tag = ["a", "B", "c", "D", "e", "A"][usize::from(t)];
            match s {
                None => json!({ "idTag": tag }),
                Some(s) => {
                    let st = ["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]
                        [usize::from(s)];
                    json!({ "idTag": tag, "idTagInfo": { "status": st } })
                }
            }
        });
        (any::<bool>(), -2i32..12, prop::collection::vec(entry, 0..6)).prop_map(
            |(is_full, v, es)| {
                json!({
                    "listVersion": v,
                    "updateType": if is_full { "Full" } else { "Differential" },
                    "localAuthorizationList": es,
                })
            },
        )
    }

    proptest! {
        #[test]
        fn updates_keep_bounds_and_refusals_change_nothing(
            updates in prop::collection::vec(arb_update(), 1..25),
            max_send in 0usize..6,
            max_len in 0usize..5,
        ) {
            let mut l = LocalList::new();
            for u in &updates {
                let before = l.clone();
                let status = apply(&mut l, u, max_send, max_len);
                prop_assert!(l.len() <= max_len);
                match status {
                    UpdateStatus::Accepted => {
                        let want = if l.is_empty() { 0 } else { u["listVersion"].as_i64().unwrap_or(-99) };
                        prop_assert_eq!(i64::from(l.version()), want);
                        prop_assert!(l.is_empty() || l.version() > 0);
                    }
                    UpdateStatus::Failed | UpdateStatus::VersionMismatch => prop_assert_eq!(&l, &before),
                    UpdateStatus::NotSupported => prop_assert!(false, "apply_update never answers NotSupported"),
                }
                prop_assert_eq!(&LocalList::from_json(&l.to_json()).unwrap(), &l);
            }
        }
    }
}
