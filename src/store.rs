//! The session journal: a SQLite file in the state directory.
//!
//! Every transaction start and stop, the energy registers, faults and status changes are written
//! here before anything that depends on them is acknowledged (ARCHITECTURE.md principle 6).
//! Synchronous and single-owner: the daemon gives the [`Store`] to one thread and talks to it by
//! messages; tests use it directly.
//!
//! The schema is versioned with `PRAGMA user_version`; [`MIGRATIONS`] only ever grows, and only
//! adds tables and columns (never drops or renames one), so that what a newer release wrote stays
//! readable, column by column, by the release before it after an A/B rollback.
//!
//! **Start-up never refuses to charge over its journal** ([`Store::open_or_recover`]): a journal
//! that cannot be opened, fails SQLite's integrity check or has a newer schema is moved aside
//! with a timestamp, a fresh one is created, and every table that can still be read is copied
//! over row by row (the columns both schemas share): unsent OCPP messages, transactions (open
//! ones are then closed as interrupted and reported), meters, settings.

use std::path::{Path, PathBuf};

use charger_protocol::ocpp::OcppVersion;
use charger_protocol::StopReason;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::station::{RestoredState, StationEvent};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("journal {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("journal: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("journal: cannot encode: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("journal schema version {found} is newer than this chargerd understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("journal export: {0}")]
    Export(#[from] std::io::Error),
    #[error("journal damaged: {0}")]
    Damaged(String),
    #[error("cannot move the unusable journal {path} aside: {source}")]
    MoveAside {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Schema migrations, applied in order; entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: transactions, energy registers, event log, persisted settings.
    "CREATE TABLE transactions (
        id              INTEGER PRIMARY KEY,
        connector       INTEGER NOT NULL,
        id_tag          TEXT NOT NULL,
        started_at      TEXT NOT NULL,
        meter_start_wh  REAL NOT NULL,
        stopped_at      TEXT,
        meter_stop_wh   REAL,
        stop_reason     TEXT,
        stop_reason_text TEXT,
        faults          TEXT NOT NULL DEFAULT '[]',
        soc_stop        REAL
    );
    CREATE INDEX transactions_connector ON transactions(connector, id);
    CREATE TABLE meters (
        connector       INTEGER PRIMARY KEY,
        meter_wh        REAL NOT NULL,
        transaction_id  INTEGER,
        voltage         REAL,
        current         REAL,
        soc             REAL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        connector INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        detail    TEXT NOT NULL
    );
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 2: the OCPP outbox (transaction messages not yet answered by the CSMS), the CSMS's ids
    // for our transactions, and OCPP configuration keys changed by the CSMS.
    "CREATE TABLE ocpp_outbox (
        seq                  INTEGER PRIMARY KEY,
        action               TEXT NOT NULL,
        payload              TEXT NOT NULL,
        local_transaction_id INTEGER NOT NULL,
        refusals             INTEGER NOT NULL DEFAULT 0,
        refused              INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE ocpp_transaction_ids (
        local_id INTEGER PRIMARY KEY,
        csms_id  INTEGER NOT NULL
    );
    CREATE TABLE ocpp_keys (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 3: OCPP state kept as JSON documents (local authorization list, authorization cache,
    // charging profiles, the pending key of a certificate signing request).
    "CREATE TABLE ocpp_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 4: gaps in a transaction's metering (the DC meter stale, frozen or implausible), each
    // written when it ends: its end (wall clock), its length, the station's own estimate for
    // it and what the meter's register carried across (NULL: nothing, the energy misses it).
    "CREATE TABLE meter_gaps (
        id             INTEGER PRIMARY KEY,
        transaction_id INTEGER NOT NULL,
        connector      INTEGER NOT NULL,
        ended_at       TEXT NOT NULL,
        seconds        REAL NOT NULL,
        estimated_wh   REAL NOT NULL,
        counted_wh     REAL,
        cause          TEXT NOT NULL
    );
    CREATE INDEX meter_gaps_transaction ON meter_gaps(transaction_id, id);",
    // 5: the OCPP version an outbox record is written in (its subprotocol name): a record
    // goes out only on a connection that speaks it.
    "ALTER TABLE ocpp_outbox ADD COLUMN version TEXT NOT NULL DEFAULT 'ocpp1.6';",
];

/// A journal row, as `chargerctl sessions` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub transaction_id: i64,
    pub connector: u32,
    pub id_tag: String,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub meter_start_wh: f64,
    pub meter_stop_wh: Option<f64>,
    pub energy_wh: Option<f64>,
    pub stop_reason: Option<StopReason>,
    pub stop_reason_text: Option<String>,
    pub faults: Vec<String>,
    pub soc_stop: Option<f32>,
    /// Where the DC meter could not be believed, in order.
    #[serde(default)]
    pub meter_gaps: Vec<GapRecord>,
}

/// A gap in a transaction's metering, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapRecord {
    /// When it ended (wall clock); it began `seconds` before.
    pub ended_at: String,
    pub seconds: f64,
    /// The station's own V × I estimate for it, in Wh: never counted.
    pub estimated_wh: f64,
    /// What the meter's register carried across it, in Wh; `None`: the energy misses it.
    pub counted_wh: Option<f64>,
    pub cause: String,
}

/// A transaction a crash or power loss left open, as [`Store::close_interrupted`] closed it.
#[derive(Debug, Clone, PartialEq)]
pub struct InterruptedTransaction {
    pub transaction_id: i64,
    pub connector: u32,
    /// The last persisted energy register, which became the transaction's meter stop.
    pub meter_wh: f64,
}

/// Rows the security log keeps (the oldest go first): months of a normal charger's events,
/// a few MB at most.
pub const SECURITY_LOG_MAX_ROWS: i64 = 10_000;
const SECURITY_LOG_TRIM_EVERY: i64 = 64;

/// One reliable message of the OCPP outbox, as the journal keeps it (the OCPP core makes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// Order of sending; assigned by the core, increasing.
    pub seq: u64,
    pub action: String,
    pub payload: serde_json::Value,
    /// The station's transaction id this message belongs to
    /// (`ocpp::chargepoint::NO_TRANSACTION` for none).
    pub local_transaction_id: i64,
    /// Attempts refused by the CSMS (CALLERROR) so far.
    pub refusals: u32,
    /// Moved aside after too many refusals; never sent again automatically.
    pub refused: bool,
    /// The version the message is written in; it goes out only on a connection speaking it.
    #[serde(default = "version_of_old_records")]
    pub version: OcppVersion,
}

/// Records written before the outbox knew versions are 1.6 ones.
fn version_of_old_records() -> OcppVersion {
    OcppVersion::V16
}

/// How an export hides personal data; the diagnostics archive's masker
/// (`ocpp::diagnostics::Masker`) is one.
pub trait ExportMask {
    /// An id tag (or a VIN used as one).
    fn id(&self, tag: &str) -> String;
    /// Free text with every VIN-shaped word masked.
    fn text(&self, text: &str) -> String;
    /// An OCPP payload with its identities masked, in place.
    fn json(&self, value: &mut serde_json::Value);
}

#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

/// What [`Store::open_or_recover`] did with a journal it could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecovery {
    /// Where the old file is now.
    pub moved_to: String,
    /// Why it could not be used.
    pub reason: String,
    /// Rows carried over into the fresh journal, per table; tables that could not be read are
    /// missing.
    pub salvaged: Vec<(String, u64)>,
}

impl std::fmt::Display for JournalRecovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows: u64 = self.salvaged.iter().map(|(_, n)| n).sum();
        write!(
            f,
            "journal unusable ({}), moved to {}; {rows} rows carried over",
            self.reason, self.moved_to
        )
    }
}

/// The tables carried over from an unusable journal, in an order that satisfies references.
const SALVAGED_TABLES: [&str; 9] = [
    "transactions",
    "meter_gaps",
    "meters",
    "settings",
    "ocpp_outbox",
    "ocpp_transaction_ids",
    "ocpp_keys",
    "ocpp_state",
    "events",
];

impl Store {
    /// Open the journal at `path` like [`open`](Self::open); if that fails for the file itself
    /// (not a database, damaged, a newer schema after a rollback), move it aside as
    /// `<name>.<stamp>.unusable` (with its WAL), start a fresh journal and carry over what can
    /// still be read. Fails only if the fresh journal cannot be made either (the state
    /// directory is gone or full): that is not the file's fault.
    pub fn open_or_recover(
        path: &Path,
        stamp: &str,
    ) -> Result<(Store, Option<JournalRecovery>), StoreError> {
        let reason = match Store::open(path).and_then(|s| s.integrity().map(|()| s)) {
            Ok(store) => return Ok((store, None)),
            Err(e) => e.to_string(),
        };
        tracing::error!(journal = %path.display(), %reason, "journal unusable; moving it aside");
        let stamp: String = stamp
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let file_name = path
            .file_name()
            .map_or_else(|| "journal".into(), |n| n.to_string_lossy().into_owned());
        let moved = path.with_file_name(format!("{file_name}.{stamp}.unusable"));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", moved.display()));
                std::fs::rename(&from, &to).map_err(|source| StoreError::MoveAside {
                    path: from.display().to_string(),
                    source,
                })?;
            }
        }
        let mut store = Store::open(path)?;
        let salvaged = store.salvage(&moved);
        let recovery = JournalRecovery {
            moved_to: moved.display().to_string(),
            reason,
            salvaged,
        };
        tracing::warn!(%recovery, "fresh journal started");
        Ok((store, Some(recovery)))
    }

    /// Record in the event log what [`open_or_recover`](Self::open_or_recover) did.
    pub fn log_journal_recovery(
        &mut self,
        recovery: &JournalRecovery,
        wall: &str,
    ) -> Result<(), StoreError> {
        self.log(0, "journal-recovered", &recovery.to_string(), wall)
    }

    /// SQLite's own check of the file (`PRAGMA quick_check`).
    fn integrity(&self) -> Result<(), StoreError> {
        let verdict: String = self
            .conn
            .pragma_query_value(None, "quick_check", |r| r.get(0))?;
        if verdict == "ok" {
            Ok(())
        } else {
            Err(StoreError::Damaged(verdict.chars().take(200).collect()))
        }
    }

    /// Copy what can be read of the journal at `old` into this one, table by table, the
    /// columns both have; a table that cannot be read is skipped (logged).
    fn salvage(&mut self, old: &Path) -> Vec<(String, u64)> {
        let uri = format!("file:{}?mode=ro", old.display());
        if let Err(e) = self.conn.execute("ATTACH DATABASE ?1 AS old", params![uri]) {
            tracing::warn!(error = %e, "the old journal cannot be read at all");
            return Vec::new();
        }
        let mut salvaged = Vec::new();
        for table in SALVAGED_TABLES {
            match self.copy_table(table) {
                Ok(rows) => salvaged.push((table.to_string(), rows)),
                Err(e) => tracing::warn!(table, error = %e, "table not carried over"),
            }
        }
        if let Err(e) = self.conn.execute("DETACH DATABASE old", []) {
            tracing::warn!(error = %e, "old journal not detached");
        }
        salvaged
    }

    fn copy_table(&mut self, table: &str) -> Result<u64, StoreError> {
        let columns = |schema: &str| -> Result<Vec<String>, StoreError> {
            let mut stmt = self
                .conn
                .prepare(&format!("PRAGMA {schema}.table_info({table})"))?;
            let names = stmt.query_map([], |r| r.get::<_, String>(1))?;
            Ok(names.collect::<Result<_, _>>()?)
        };
        let ours = columns("main")?;
        let theirs = columns("old")?;
        let shared: Vec<&String> = ours.iter().filter(|c| theirs.contains(c)).collect();
        if shared.is_empty() {
            return Ok(0);
        }
        let list = shared
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = self.conn.execute(
            &format!("INSERT OR IGNORE INTO main.{table} ({list}) SELECT {list} FROM old.{table}"),
            [],
        )?;
        Ok(rows as u64)
    }

    /// Open (creating if needed) and migrate the journal at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // WAL keeps readers off the writer's back; FULL makes a committed row survive power
        // loss, which is the point of a journal.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing journal read-only, for an export while the daemon writes it (WAL:
    /// the export reads one consistent snapshot).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store { conn })
    }

    /// The journal for a diagnostics archive, one JSON object a line (`{"table": …, "row": …}`),
    /// read in one transaction. Id tags are masked, VINs in free text too, OCPP payloads
    /// through [`ExportMask::json`]; the OCPP state (local list, authorization cache, profiles) is
    /// listed by name and size only, since it is mostly id tags. Never key material: keys are
    /// not in the journal.
    pub fn export_masked(
        &mut self,
        masker: &dyn ExportMask,
        out: &mut dyn std::io::Write,
        max_bytes: u64,
    ) -> Result<u64, StoreError> {
        use serde_json::{json, Value};
        let tx = self.conn.transaction()?;
        // Streamed row by row into `out`: memory does not grow with the journal, and the export
        // stops at `max_bytes` (a last line says so).
        let mut written = 0u64;
        let mut full = false;
        let mut failed: Option<std::io::Error> = None;
        let mut line = |table: &str, row: Value| {
            if full || failed.is_some() {
                return;
            }
            let mut text = json!({"table": table, "row": row}).to_string();
            text.push('\n');
            let len = text.len() as u64;
            if written.saturating_add(len) > max_bytes {
                full = true;
                return;
            }
            match out.write_all(text.as_bytes()) {
                Ok(()) => written += len,
                Err(e) => failed = Some(e),
            }
        };
        {
            let mut stmt = tx.prepare(
                "SELECT id, connector, id_tag, started_at, meter_start_wh, stopped_at,
                        meter_stop_wh, stop_reason_text, faults, soc_stop
                 FROM transactions ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id_tag: String = r.get(2)?;
                let faults: String = r.get(8)?;
                line(
                    "transactions",
                    json!({
                        "id": r.get::<_, i64>(0)?,
                        "connector": r.get::<_, i64>(1)?,
                        "id_tag": masker.id(&id_tag),
                        "started_at": r.get::<_, String>(3)?,
                        "meter_start_wh": r.get::<_, f64>(4)?,
                        "stopped_at": r.get::<_, Option<String>>(5)?,
                        "meter_stop_wh": r.get::<_, Option<f64>>(6)?,
                        "stop_reason": r.get::<_, Option<String>>(7)?,
                        "faults": masker.text(&faults),
                        "soc_stop": r.get::<_, Option<f64>>(9)?,
                    }),
                );
            }
        }
        {
            let mut stmt = tx.prepare(
                "SELECT connector, meter_wh, transaction_id, voltage, current, soc, updated_at
                 FROM meters ORDER BY connector",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                line(
                    "meters",
                    json!({
                        "connector": r.get::<_, i64>(0)?,
                        "meter_wh": r.get::<_, f64>(1)?,
                        "transaction_id": r.get::<_, Option<i64>>(2)?,
                        "voltage": r.get::<_, Option<f64>>(3)?,
                        "current": r.get::<_, Option<f64>>(4)?,
                        "soc": r.get::<_, Option<f64>>(5)?,
                        "updated_at": r.get::<_, String>(6)?,
                    }),
                );
            }
        }
        {
            // Times, energies and the cause (no identities): exported as they are.
            let mut stmt = tx.prepare(
                "SELECT transaction_id, connector, ended_at, seconds, estimated_wh, counted_wh,
                        cause
                 FROM meter_gaps ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                line(
                    "meter_gaps",
                    json!({
                        "transaction_id": r.get::<_, i64>(0)?,
                        "connector": r.get::<_, i64>(1)?,
                        "ended_at": r.get::<_, String>(2)?,
                        "seconds": r.get::<_, f64>(3)?,
                        "estimated_wh": r.get::<_, f64>(4)?,
                        "counted_wh": r.get::<_, Option<f64>>(5)?,
                        "cause": r.get::<_, String>(6)?,
                    }),
                );
            }
        }
        {
            let mut stmt =
                tx.prepare("SELECT id, at, connector, kind, detail FROM events ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(3)?;
                let detail: String = r.get(4)?;
                // The VIN a vehicle announced is an identity whatever its shape.
                let detail = if kind == "vehicle-identified" {
                    masker.id(&detail)
                } else {
                    masker.text(&detail)
                };
                line(
                    "events",
                    json!({
                        "id": r.get::<_, i64>(0)?,
                        "at": r.get::<_, String>(1)?,
                        "connector": r.get::<_, i64>(2)?,
                        "kind": kind,
                        "detail": detail,
                    }),
                );
            }
        }
        {
            let mut stmt = tx.prepare(
                "SELECT seq, action, payload, local_transaction_id, refusals, refused
                 FROM ocpp_outbox ORDER BY seq",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let payload: String = r.get(2)?;
                let mut payload: Value =
                    serde_json::from_str(&payload).unwrap_or(Value::String(payload));
                masker.json(&mut payload);
                line(
                    "ocpp_outbox",
                    json!({
                        "seq": r.get::<_, i64>(0)?,
                        "action": r.get::<_, String>(1)?,
                        "payload": payload,
                        "local_transaction_id": r.get::<_, i64>(3)?,
                        "refusals": r.get::<_, i64>(4)?,
                        "refused": r.get::<_, bool>(5)?,
                    }),
                );
            }
        }
        for (table, sql) in [
            (
                "ocpp_transaction_ids",
                "SELECT local_id, csms_id FROM ocpp_transaction_ids ORDER BY local_id",
            ),
            ("ocpp_keys", "SELECT key, value FROM ocpp_keys ORDER BY key"),
            ("settings", "SELECT key, value FROM settings ORDER BY key"),
        ] {
            let mut stmt = tx.prepare(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let a: rusqlite::types::Value = r.get(0)?;
                let b: rusqlite::types::Value = r.get(1)?;
                let plain = |v: rusqlite::types::Value| match v {
                    rusqlite::types::Value::Integer(i) => json!(i),
                    rusqlite::types::Value::Real(f) => json!(f),
                    rusqlite::types::Value::Text(t) => json!(masker.text(&t)),
                    rusqlite::types::Value::Null | rusqlite::types::Value::Blob(_) => Value::Null,
                };
                line(table, json!([plain(a), plain(b)]));
            }
        }
        {
            let mut stmt =
                tx.prepare("SELECT name, length(value) FROM ocpp_state ORDER BY name")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                line(
                    "ocpp_state",
                    json!({"name": r.get::<_, String>(0)?, "bytes": r.get::<_, i64>(1)?}),
                );
            }
        }
        tx.finish()?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if full {
            let note = format!(
                "{}\n",
                json!({"truncated": format!("the export stopped at {max_bytes} bytes")})
            );
            out.write_all(note.as_bytes())?;
            written += note.len() as u64;
        }
        Ok(written)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "journal schema migrated");
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Persist one station event. `wall` is the event's wall-clock time (RFC 3339, UTC).
    pub fn record(&mut self, event: &StationEvent, wall: &str) -> Result<(), StoreError> {
        match event {
            StationEvent::TransactionStarted(t) => {
                self.conn.execute(
                    "INSERT INTO transactions (id, connector, id_tag, started_at, meter_start_wh)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        t.transaction_id,
                        t.connector,
                        t.id_tag,
                        wall,
                        t.meter_start_wh
                    ],
                )?;
                self.put_meter(
                    t.connector,
                    t.meter_start_wh,
                    Some(t.transaction_id),
                    None,
                    wall,
                )?;
            }
            StationEvent::TransactionStopped(t) => {
                self.conn.execute(
                    "UPDATE transactions SET stopped_at = ?2, meter_stop_wh = ?3, stop_reason = ?4,
                        stop_reason_text = ?5, faults = ?6, soc_stop = ?7
                     WHERE id = ?1",
                    params![
                        t.transaction_id,
                        wall,
                        t.meter_stop_wh,
                        serde_json::to_string(&t.reason)?,
                        t.reason.to_string(),
                        serde_json::to_string(&t.faults)?,
                        t.soc_percent,
                    ],
                )?;
                self.put_meter(t.connector, t.meter_stop_wh, None, None, wall)?;
            }
            StationEvent::MeterSample {
                connector,
                transaction_id,
                meter_wh,
                voltage,
                current,
                soc_percent,
                ..
            } => {
                self.put_meter(
                    *connector,
                    *meter_wh,
                    *transaction_id,
                    Some((*voltage, *current, *soc_percent)),
                    wall,
                )?;
            }
            StationEvent::StatusChanged {
                connector,
                status,
                info,
                ..
            } => {
                let detail = match info {
                    Some(i) => format!("{status}: {i}"),
                    None => status.to_string(),
                };
                self.log(*connector, "status", &detail, wall)?;
            }
            // The journal keeps the text people read, as before typed faults (no schema change).
            StationEvent::FaultRaised {
                connector, fault, ..
            } => self.log(*connector, "fault", &fault.to_string(), wall)?,
            StationEvent::FaultCleared {
                connector, fault, ..
            } => self.log(*connector, "fault-cleared", &fault.to_string(), wall)?,
            StationEvent::InsulationTested {
                connector,
                ohms,
                warning,
                ..
            } => {
                let detail = format!(
                    "{ohms:.0} Ω{}",
                    if *warning { " (warning band)" } else { "" }
                );
                self.log(*connector, "insulation-test", &detail, wall)?;
            }
            StationEvent::VehicleIdentified { connector, vin, .. } => {
                self.log(*connector, "vehicle-identified", vin, wall)?
            }
            StationEvent::MeterGap(g) => {
                self.conn.execute(
                    "INSERT INTO meter_gaps (transaction_id, connector, ended_at, seconds,
                        estimated_wh, counted_wh, cause)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        g.transaction_id,
                        g.connector,
                        wall,
                        g.ended_at.saturating_since(g.started_at).as_secs_f64(),
                        g.estimated_wh,
                        g.counted_wh,
                        g.cause,
                    ],
                )?;
            }
            // Too frequent and too cheap to journal: logged by the shell instead.
            StationEvent::FrameRejected { .. } | StationEvent::PhaseChanged { .. } => {}
        }
        Ok(())
    }

    fn put_meter(
        &mut self,
        connector: u32,
        meter_wh: f64,
        transaction_id: Option<i64>,
        sample: Option<(f32, f32, Option<f32>)>,
        wall: &str,
    ) -> Result<(), StoreError> {
        let (v, a, soc) = match sample {
            Some((v, a, soc)) => (Some(v), Some(a), soc),
            None => (None, None, None),
        };
        self.conn.execute(
            "INSERT INTO meters (connector, meter_wh, transaction_id, voltage, current, soc, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(connector) DO UPDATE SET meter_wh = excluded.meter_wh,
                transaction_id = excluded.transaction_id, voltage = excluded.voltage,
                current = excluded.current, soc = excluded.soc, updated_at = excluded.updated_at",
            params![connector, meter_wh, transaction_id, v, a, soc, wall],
        )?;
        Ok(())
    }

    fn log(
        &mut self,
        connector: u32,
        kind: &str,
        detail: &str,
        wall: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO events (at, connector, kind, detail) VALUES (?1, ?2, ?3, ?4)",
            params![wall, connector, kind, detail],
        )?;
        Ok(())
    }

    /// Persist an operator's availability choice so that it survives a restart.
    pub fn set_operative(&mut self, connector: u32, operative: bool) -> Result<(), StoreError> {
        let key = format!("connector.{connector}.operative");
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, operative.to_string()],
        )?;
        Ok(())
    }

    /// Persist (insert or replace) an OCPP outbox record. Called before the record is sent.
    pub fn outbox_put(&mut self, r: &OutboxRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ocpp_outbox (seq, action, payload, local_transaction_id, refusals, refused,
                 version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(seq) DO UPDATE SET payload = excluded.payload,
                 refusals = excluded.refusals, refused = excluded.refused",
            params![
                r.seq as i64,
                r.action,
                serde_json::to_string(&r.payload)?,
                r.local_transaction_id,
                r.refusals,
                r.refused,
                r.version.subprotocol()
            ],
        )?;
        Ok(())
    }

    /// The CSMS answered the record: it leaves the outbox.
    pub fn outbox_remove(&mut self, seq: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM ocpp_outbox WHERE seq = ?1",
            params![seq as i64],
        )?;
        Ok(())
    }

    /// Every record still in the outbox, in sending order, whatever its version.
    pub fn outbox(&self) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut all = self.outbox_after(OcppVersion::V16, 0, usize::MAX)?;
        all.extend(self.outbox_after(OcppVersion::V201, 0, usize::MAX)?);
        all.sort_by_key(|r| r.seq);
        Ok(all)
    }

    /// Up to `limit` records of `version` with `seq > after`, in sending order.
    pub fn outbox_after(
        &self,
        version: OcppVersion,
        after: u64,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, action, payload, local_transaction_id, refusals, refused
             FROM ocpp_outbox WHERE seq > ?1 AND version = ?3 ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after as i64, limit, version.subprotocol()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, action, payload, local_transaction_id, refusals, refused) = row?;
            out.push(OutboxRecord {
                seq: seq as u64,
                action,
                payload: serde_json::from_str(&payload)?,
                local_transaction_id,
                refusals,
                refused,
                version,
            });
        }
        Ok(out)
    }

    /// How many records of `version` the outbox holds, and the highest sequence number of
    /// any version (0 if empty): sequence numbers are shared, so that a core never reuses one
    /// the other version's records hold.
    pub fn outbox_stats(&self, version: OcppVersion) -> Result<(usize, u64), StoreError> {
        let (count, max): (i64, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM ocpp_outbox WHERE version = ?1), MAX(seq) FROM ocpp_outbox",
            params![version.subprotocol()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((
            usize::try_from(count).unwrap_or(0),
            max.map_or(0, |m| u64::try_from(m).unwrap_or(0)),
        ))
    }

    /// Records not refused, by version: what waits for a connection speaking each.
    pub fn outbox_waiting(&self) -> Result<Vec<(OcppVersion, usize)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, COUNT(*) FROM ocpp_outbox WHERE refused = 0 GROUP BY version",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (version, count) = row?;
            // A version this release does not know cannot be sent; it is not waiting for us.
            if let Some(v) = OcppVersion::from_subprotocol(&version) {
                out.push((v, usize::try_from(count).unwrap_or(0)));
            }
        }
        Ok(out)
    }

    pub fn set_csms_transaction_id(&mut self, local: i64, csms: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ocpp_transaction_ids (local_id, csms_id) VALUES (?1, ?2)
             ON CONFLICT(local_id) DO UPDATE SET csms_id = excluded.csms_id",
            params![local, csms],
        )?;
        Ok(())
    }

    /// (station transaction id, CSMS transaction id) pairs.
    pub fn csms_transaction_ids(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT local_id, csms_id FROM ocpp_transaction_ids ORDER BY local_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_ocpp_key(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ocpp_keys (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Forget a persisted key (one that no longer passes validation).
    pub fn delete_ocpp_key(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM ocpp_keys WHERE key = ?1", params![key])?;
        Ok(())
    }

    pub fn ocpp_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM ocpp_keys ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_ocpp_state(
        &mut self,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ocpp_state (name, value) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            params![name, serde_json::to_string(value)?],
        )?;
        Ok(())
    }

    pub fn ocpp_state(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, value FROM ocpp_state ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, value) = row?;
            // One damaged row must not keep the rest (or the charger) from starting: it comes
            // back as null, which its reader refuses and reports.
            let value = serde_json::from_str(&value).unwrap_or_else(|e| {
                tracing::warn!(name, error = %e, "persisted OCPP state is not JSON");
                serde_json::Value::Null
            });
            out.push((name, value));
        }
        Ok(out)
    }

    /// Deletes a named piece of OCPP state, bytes included: `secure_delete` zeroes what the
    /// row occupied, and a truncating checkpoint drops the write-ahead log's older copy of the
    /// page, so a secret once stored here does not linger in the files.
    pub fn remove_ocpp_state(&mut self, name: &str) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "secure_delete", true)?;
        let deleted = self
            .conn
            .execute("DELETE FROM ocpp_state WHERE name = ?1", params![name]);
        self.conn.pragma_update(None, "secure_delete", false)?;
        deleted?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// One named piece of OCPP state, if it was saved.
    pub fn ocpp_state_of(&self, name: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM ocpp_state WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match text {
            Some(t) => Some(serde_json::from_str(&t)?),
            None => None,
        })
    }

    /// Record a security event in the journal's event log (the whitepaper's security log,
    /// which GetLog uploads).
    /// Append to the security log (GetLog SecurityLog), which keeps about its newest
    /// [`SECURITY_LOG_MAX_ROWS`] rows.
    pub fn log_security_event(
        &mut self,
        kind: &str,
        detail: &str,
        wall: &str,
    ) -> Result<(), StoreError> {
        self.log(0, &format!("security:{kind}"), detail, wall)?;
        // A CSMS can make the charger raise events as fast as it likes (refused firmware,
        // refused roots, ...): the log keeps the newest rows only, so it cannot fill the disk.
        // Trimmed every SECURITY_LOG_TRIM_EVERY rows, since the trim scans the events table.
        if self.conn.last_insert_rowid() % SECURITY_LOG_TRIM_EVERY != 0 {
            return Ok(());
        }
        self.conn.execute(
            "DELETE FROM events WHERE kind LIKE 'security:%' AND id <= (
                 SELECT id FROM events WHERE kind LIKE 'security:%'
                 ORDER BY id DESC LIMIT 1 OFFSET ?1)",
            params![SECURITY_LOG_MAX_ROWS],
        )?;
        Ok(())
    }

    /// Writes the security log of the journal at `db` to `out` as lines `<time> <event>
    /// <detail>`, oldest first, for a diagnostics archive: from a read-only connection of its
    /// own (so it can run on a blocking thread while the journal is written), one row at a time
    /// (memory does not grow with the log), only rows whose time `keep` accepts, and, when those
    /// hold more than `max_bytes`, only the newest that fit. Returns the bytes written.
    pub fn export_security_log(
        db: &Path,
        out: &mut impl std::io::Write,
        max_bytes: u64,
        keep: impl Fn(&str) -> bool,
    ) -> std::io::Result<u64> {
        let sql = |e: rusqlite::Error| std::io::Error::other(format!("journal: {e}"));
        let conn = Connection::open_with_flags(
            db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        let line = |at: &str, kind: &str, detail: &str| {
            format!("{at} {} {detail}\n", kind.trim_start_matches("security:"))
        };
        // Newest first, to find the oldest row that still fits.
        let mut first_id = i64::MAX;
        let mut total = 0u64;
        {
            let mut stmt = conn
                .prepare(
                    "SELECT id, at, kind, detail FROM events WHERE kind LIKE 'security:%' \
                     ORDER BY id DESC",
                )
                .map_err(sql)?;
            let mut rows = stmt.query([]).map_err(sql)?;
            while let Some(row) = rows.next().map_err(sql)? {
                let at: String = row.get(1).map_err(sql)?;
                if !keep(&at) {
                    continue;
                }
                let kind: String = row.get(2).map_err(sql)?;
                let detail: String = row.get(3).map_err(sql)?;
                let len = line(&at, &kind, &detail).len() as u64;
                if total.saturating_add(len) > max_bytes {
                    break;
                }
                total += len;
                first_id = row.get(0).map_err(sql)?;
            }
        }
        let mut written = 0u64;
        let mut stmt = conn
            .prepare(
                "SELECT at, kind, detail FROM events WHERE kind LIKE 'security:%' AND id >= ?1 \
                 ORDER BY id",
            )
            .map_err(sql)?;
        let mut rows = stmt.query([first_id]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let at: String = row.get(0).map_err(sql)?;
            if !keep(&at) {
                continue;
            }
            let kind: String = row.get(1).map_err(sql)?;
            let detail: String = row.get(2).map_err(sql)?;
            let text = line(&at, &kind, &detail);
            if written.saturating_add(text.len() as u64) > max_bytes {
                // Rows added since the first pass: the bound holds.
                break;
            }
            out.write_all(text.as_bytes())?;
            written += text.len() as u64;
        }
        Ok(written)
    }

    /// The security log, oldest first: (time, event, detail).
    pub fn security_log(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT at, kind, detail FROM events WHERE kind LIKE 'security:%' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let kind: String = r.get(1)?;
            Ok((
                r.get(0)?,
                kind.trim_start_matches("security:").to_string(),
                r.get(2)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Close transactions a crash or power loss left open, with the last persisted energy
    /// register, and return how many there were. Called once at start, before the station runs.
    pub fn close_interrupted(
        &mut self,
        wall: &str,
    ) -> Result<Vec<InterruptedTransaction>, StoreError> {
        let open: Vec<(i64, u32, f64)> = {
            let mut stmt = self.conn.prepare(
                "SELECT t.id, t.connector, COALESCE(m.meter_wh, t.meter_start_wh)
                 FROM transactions t LEFT JOIN meters m ON m.connector = t.connector
                 WHERE t.stopped_at IS NULL ORDER BY t.id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let reason = StopReason::PowerLoss;
        for (id, connector, meter) in &open {
            tracing::warn!(
                transaction_id = id,
                connector,
                meter_wh = meter,
                "closing a transaction interrupted by a restart"
            );
            self.conn.execute(
                "UPDATE transactions SET stopped_at = ?2, meter_stop_wh = ?3, stop_reason = ?4,
                    stop_reason_text = ?5
                 WHERE id = ?1",
                params![
                    id,
                    wall,
                    meter,
                    serde_json::to_string(&reason)?,
                    reason.to_string()
                ],
            )?;
        }
        Ok(open
            .into_iter()
            .map(
                |(transaction_id, connector, meter_wh)| InterruptedTransaction {
                    transaction_id,
                    connector,
                    meter_wh,
                },
            )
            .collect())
    }

    /// What the station needs to resume: next transaction id, energy registers, availability.
    pub fn restore(&self) -> Result<RestoredState, StoreError> {
        let max_id: Option<i64> =
            self.conn
                .query_row("SELECT MAX(id) FROM transactions", [], |r| r.get(0))?;
        let mut stmt = self
            .conn
            .prepare("SELECT connector, meter_wh FROM meters")?;
        let meter_wh = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<(u32, f64)>, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT key FROM settings WHERE key LIKE 'connector.%.operative' AND value = 'false'",
        )?;
        let inoperative = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|k| {
                k.ok()?
                    .strip_prefix("connector.")?
                    .strip_suffix(".operative")?
                    .parse()
                    .ok()
            })
            .collect();
        Ok(RestoredState {
            next_transaction_id: max_id.unwrap_or(0) + 1,
            meter_wh,
            inoperative,
        })
    }

    /// The most recent sessions, newest first.
    pub fn recent_sessions(&self, limit: u32) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("1 = 1 ORDER BY id DESC LIMIT ?1", i64::from(limit))
    }

    /// One transaction, if the journal has it.
    pub fn transaction(&self, id: i64) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.sessions_where("id = ?1", id)?.into_iter().next())
    }

    fn sessions_where(&self, clause: &str, arg: i64) -> Result<Vec<SessionRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, connector, id_tag, started_at, stopped_at, meter_start_wh, meter_stop_wh,
                    stop_reason, stop_reason_text, faults, soc_stop
             FROM transactions WHERE {clause}"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            let meter_start_wh: f64 = r.get(5)?;
            let meter_stop_wh: Option<f64> = r.get(6)?;
            let reason: Option<String> = r.get(7)?;
            let faults: String = r.get(9)?;
            Ok(SessionRecord {
                transaction_id: r.get(0)?,
                connector: r.get(1)?,
                id_tag: r.get(2)?,
                started_at: r.get(3)?,
                stopped_at: r.get(4)?,
                meter_start_wh,
                meter_stop_wh,
                energy_wh: meter_stop_wh.map(|m| m - meter_start_wh),
                // A row written by a newer chargerd may carry a reason we do not know: show
                // its text rather than fail the whole listing.
                stop_reason: reason.and_then(|r| serde_json::from_str(&r).ok()),
                stop_reason_text: r.get(8)?,
                faults: serde_json::from_str(&faults).unwrap_or_default(),
                soc_stop: r.get(10)?,
                meter_gaps: Vec::new(),
            })
        })?;
        let mut sessions: Vec<SessionRecord> = rows.collect::<Result<_, _>>()?;
        for s in &mut sessions {
            s.meter_gaps = self.meter_gaps(s.transaction_id)?;
        }
        Ok(sessions)
    }

    /// The gaps in a transaction's metering, in order.
    pub fn meter_gaps(&self, transaction_id: i64) -> Result<Vec<GapRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT ended_at, seconds, estimated_wh, counted_wh, cause
             FROM meter_gaps WHERE transaction_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([transaction_id], |r| {
            Ok(GapRecord {
                ended_at: r.get(0)?,
                seconds: r.get(1)?,
                estimated_wh: r.get(2)?,
                counted_wh: r.get(3)?,
                cause: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocpp::diagnostics::Masker;
    use crate::station::{TransactionStart, TransactionStop};
    use charger_protocol::Timestamp;

    #[test]
    fn the_security_log_keeps_its_newest_rows_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("j.sqlite")).unwrap();
        let n = SECURITY_LOG_MAX_ROWS + 3 * SECURITY_LOG_TRIM_EVERY;
        // One transaction around the lot: the test is about the bound, not ten thousand fsyncs.
        s.conn.execute_batch("BEGIN").unwrap();
        for i in 0..n {
            s.log_security_event(
                "InvalidFirmwareSignature",
                &format!("#{i}"),
                "2026-12-06T21:00:00Z",
            )
            .unwrap();
        }
        s.conn.execute_batch("COMMIT").unwrap();
        let log = s.security_log().unwrap();
        assert!(
            (SECURITY_LOG_MAX_ROWS..SECURITY_LOG_MAX_ROWS + SECURITY_LOG_TRIM_EVERY)
                .contains(&(log.len() as i64)),
            "{}",
            log.len()
        );
        assert!(
            log.iter().any(|(_, _, d)| *d == format!("#{}", n - 1)),
            "the newest kept"
        );
        assert!(!log.iter().any(|(_, _, d)| d == "#0"), "the oldest dropped");
    }

    #[test]
    fn the_security_log_export_streams_the_newest_rows_that_fit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("journal.sqlite");
        let mut store = Store::open(&db).unwrap();
        for i in 0..1000 {
            let at = format!("2026-11-26T14:{:02}:{:02}.000Z", i / 60 % 60, i % 60);
            store
                .log_security_event("SettingSystemTime", &format!("step {i:04}"), &at)
                .unwrap();
        }
        let mut all = Vec::new();
        let written = Store::export_security_log(&db, &mut all, u64::MAX, |_| true).unwrap();
        let text = String::from_utf8(all).unwrap();
        assert_eq!(written as usize, text.len());
        assert_eq!(text.lines().count(), 1000);
        let line = text.lines().next().unwrap();
        assert_eq!(line, "2026-11-26T14:00:00.000Z SettingSystemTime step 0000");

        // A bound of 10 lines keeps the newest 10, oldest first.
        let bound = 10 * (line.len() as u64 + 1);
        let mut cut = Vec::new();
        Store::export_security_log(&db, &mut cut, bound, |_| true).unwrap();
        let cut = String::from_utf8(cut).unwrap();
        let steps: Vec<_> = cut.lines().map(|l| &l[l.len() - 4..]).collect();
        assert_eq!(
            steps,
            ["0990", "0991", "0992", "0993", "0994", "0995", "0996", "0997", "0998", "0999"]
        );
        // The filter applies before the bound.
        let mut early = Vec::new();
        Store::export_security_log(&db, &mut early, bound, |at| at < "2026-11-26T14:00:05")
            .unwrap();
        assert_eq!(String::from_utf8(early).unwrap().lines().count(), 5);
    }

    /// A meter sample of a running transaction (600 V, 200 A, 40 %).
    fn meter_sample(connector: u32, transaction_id: i64, meter_wh: f64) -> StationEvent {
        StationEvent::MeterSample {
            connector,
            transaction_id: Some(transaction_id),
            meter_wh,
            voltage: 600.0,
            current: 200.0,
            soc_percent: Some(40.0),
            at: Timestamp::ZERO,
        }
    }

    fn started(id: i64, connector: u32, meter: f64) -> StationEvent {
        StationEvent::TransactionStarted(TransactionStart {
            transaction_id: id,
            connector,
            id_tag: "T1".into(),
            meter_start_wh: meter,
            at: Timestamp::ZERO,
        })
    }

    #[test]
    fn journal_round_trip_and_restore() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        {
            let mut s = Store::open(&path).unwrap();
            s.record(&started(1, 1, 100.0), "t0").unwrap();
            s.record(
                &StationEvent::TransactionStopped(TransactionStop {
                    transaction_id: 1,
                    connector: 1,
                    meter_stop_wh: 5100.0,
                    reason: StopReason::VehicleRequest,
                    faults: vec![],
                    meter_gaps: Vec::new(),
                    soc_percent: Some(80.0),
                    at: Timestamp::ZERO,
                }),
                "t1",
            )
            .unwrap();
            s.set_operative(2, false).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let r = s.restore().unwrap();
        assert_eq!(r.next_transaction_id, 2);
        assert_eq!(r.meter_wh, vec![(1, 5100.0)]);
        assert_eq!(r.inoperative, vec![2]);
        let sessions = s.recent_sessions(10).unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].energy_wh, Some(5000.0));
        assert_eq!(sessions[0].stop_reason, Some(StopReason::VehicleRequest));
    }

    #[test]
    fn a_removed_state_row_leaves_no_bytes_in_the_journal_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let marker = "-----BEGIN PRIVATE KEY-----MARKER-5f3a9c";
        let mut s = Store::open(&path).unwrap();
        s.set_ocpp_state("pending_client_key", &serde_json::json!(marker))
            .unwrap();
        s.set_ocpp_state("local_list", &serde_json::json!({"version": 1}))
            .unwrap();
        s.remove_ocpp_state("pending_client_key").unwrap();
        assert_eq!(s.ocpp_state_of("pending_client_key").unwrap(), None);
        assert!(s.ocpp_state_of("local_list").unwrap().is_some());
        drop(s);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "the key is still in the journal's files"
            );
        }
    }

    #[test]
    fn a_meter_gap_round_trips_with_its_transaction_and_is_exported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut s = Store::open(&path).unwrap();
        s.record(&started(1, 1, 100.0), "t0").unwrap();
        let gap = crate::station::MeterGap {
            transaction_id: 1,
            connector: 1,
            started_at: Timestamp::from_millis(1_000),
            ended_at: Timestamp::from_millis(21_500),
            estimated_wh: 820.5,
            counted_wh: None,
            cause: "not answering".into(),
        };
        s.record(&StationEvent::MeterGap(gap), "t1").unwrap();
        s.record(
            &StationEvent::MeterGap(crate::station::MeterGap {
                transaction_id: 1,
                connector: 1,
                started_at: Timestamp::from_millis(30_000),
                ended_at: Timestamp::from_millis(33_000),
                estimated_wh: 3.5,
                counted_wh: Some(3.0),
                cause: "reading 2.0 s old".into(),
            }),
            "t2",
        )
        .unwrap();
        let rec = s.transaction(1).unwrap().unwrap();
        assert_eq!(
            rec.meter_gaps,
            vec![
                GapRecord {
                    ended_at: "t1".into(),
                    seconds: 20.5,
                    estimated_wh: 820.5,
                    counted_wh: None,
                    cause: "not answering".into(),
                },
                GapRecord {
                    ended_at: "t2".into(),
                    seconds: 3.0,
                    estimated_wh: 3.5,
                    counted_wh: Some(3.0),
                    cause: "reading 2.0 s old".into(),
                },
            ]
        );
        assert_eq!(s.recent_sessions(10).unwrap()[0].meter_gaps.len(), 2);
        let mut bytes = Vec::new();
        s.export_masked(&Masker::with_salt([1; 16]), &mut bytes, u64::MAX)
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text.matches("\"table\":\"meter_gaps\"").count(),
            2,
            "{text}"
        );
    }

    #[test]
    fn the_diagnostics_export_masks_id_tags_and_vins_and_lists_state_by_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut s = Store::open(&path).unwrap();
        s.record(&started(1, 1, 100.0), "t0").unwrap();
        s.record(
            &StationEvent::VehicleIdentified {
                connector: 1,
                vin: "LSVAU2180N2183294".into(),
                at: Timestamp::ZERO,
            },
            "t1",
        )
        .unwrap();
        s.set_ocpp_state(
            "local_list",
            &serde_json::json!({"FLEET-SECRET-1": "Accepted"}),
        )
        .unwrap();
        s.outbox_put(&OutboxRecord {
            seq: 1,
            action: "StartTransaction".into(),
            payload: serde_json::json!({"connectorId": 1, "idTag": "TAG-1"}),
            local_transaction_id: 1,
            refusals: 0,
            refused: false,
            version: OcppVersion::V16,
        })
        .unwrap();
        drop(s);
        let masker = Masker::with_salt([3; 16]);
        let mut bytes = Vec::new();
        Store::open_read_only(&path)
            .unwrap()
            .export_masked(&masker, &mut bytes, u64::MAX)
            .unwrap();
        // A bound cuts it short, and says so.
        let mut cut = Vec::new();
        Store::open_read_only(&path)
            .unwrap()
            .export_masked(&masker, &mut cut, 200)
            .unwrap();
        assert!(cut.len() < 300 && cut.len() < bytes.len(), "{}", cut.len());
        assert!(String::from_utf8_lossy(&cut).contains("truncated"));
        let text = String::from_utf8(bytes).unwrap();
        for secret in ["TAG-1", "LSVAU2180N2183294", "FLEET-SECRET-1"] {
            assert!(!text.contains(secret), "{secret} in the export:\n{text}");
        }
        assert!(text.contains(&masker.id("TAG-1")), "{text}");
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let table = |t: &str| rows.iter().filter(|r| r["table"] == t).count();
        assert_eq!(table("transactions"), 1);
        let tx = rows.iter().find(|r| r["table"] == "transactions").unwrap();
        assert_eq!(tx["row"]["id_tag"], masker.id("T1"));
        assert_eq!(table("ocpp_outbox"), 1);
        assert_eq!(table("ocpp_state"), 1);
        assert!(table("events") >= 1);
    }

    #[test]
    fn ocpp_state_is_replaced_by_name_and_read_back_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("j.sqlite")).unwrap();
        assert_eq!(s.ocpp_state_of("local_list").unwrap(), None);
        s.set_ocpp_state("local_list", &serde_json::json!({"version": 1}))
            .unwrap();
        s.set_ocpp_state("local_list", &serde_json::json!({"version": 2}))
            .unwrap();
        s.set_ocpp_state("auth_cache", &serde_json::json!([]))
            .unwrap();
        assert_eq!(
            s.ocpp_state_of("local_list").unwrap(),
            Some(serde_json::json!({"version": 2}))
        );
        assert_eq!(s.ocpp_state().unwrap().len(), 2);
    }

    fn outbox_record(seq: u64, action: &str) -> OutboxRecord {
        OutboxRecord {
            seq,
            action: action.into(),
            payload: serde_json::json!({"connectorId": 1, "meterStart": 0}),
            local_transaction_id: 3,
            refusals: 0,
            refused: false,
            version: OcppVersion::V16,
        }
    }

    /// A journal that is not one at all: moved aside, a fresh one works.
    #[test]
    fn a_journal_that_is_not_a_database_is_moved_aside_for_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        std::fs::write(&path, b"this is not SQLite, whatever happened to it").unwrap();
        let (mut s, recovery) = Store::open_or_recover(&path, "2026-12-06T21:50:00Z").unwrap();
        let recovery = recovery.expect("recovered");
        assert!(recovery
            .moved_to
            .ends_with("journal.sqlite.2026-12-06T21-50-00Z.unusable"));
        assert_eq!(
            std::fs::read(&recovery.moved_to).unwrap(),
            b"this is not SQLite, whatever happened to it"
        );
        assert!(recovery.to_string().contains("moved to"), "{recovery}");
        s.record(&started(1, 1, 0.0), "t0").unwrap();
        s.log_journal_recovery(&recovery, "t0").unwrap();
        // The next start finds a good journal.
        drop(s);
        let (_, again) = Store::open_or_recover(&path, "later").unwrap();
        assert_eq!(again, None);
    }

    /// After an A/B rollback the journal has a schema newer than this release: moved aside,
    /// and the unsent OCPP messages, the transaction left open, its meter and the settings
    /// carried over column by column, so no billing data is lost.
    #[test]
    fn a_journal_from_a_newer_release_is_carried_over_into_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        {
            let mut s = Store::open(&path).unwrap();
            s.record(&started(7, 1, 1000.0), "t0").unwrap();
            s.record(&meter_sample(1, 7, 4242.0), "t1").unwrap();
            s.outbox_put(&outbox_record(1, "StartTransaction")).unwrap();
            s.outbox_put(&outbox_record(2, "MeterValues")).unwrap();
            s.set_csms_transaction_id(3, 4242).unwrap();
            s.set_ocpp_key("MeterValueSampleInterval", "30").unwrap();
            // What a newer release would have added: a column, a table, a version.
            s.conn
                .execute_batch(
                    "ALTER TABLE ocpp_outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
                     CREATE TABLE modules (id INTEGER PRIMARY KEY);
                     PRAGMA user_version = 99;",
                )
                .unwrap();
        }
        let (mut s, recovery) = Store::open_or_recover(&path, "stamp").unwrap();
        let recovery = recovery.expect("recovered");
        assert!(recovery.reason.contains("newer"), "{}", recovery.reason);
        let rows = |t: &str| {
            recovery
                .salvaged
                .iter()
                .find(|(n, _)| n == t)
                .map_or(0, |(_, r)| *r)
        };
        assert_eq!(rows("ocpp_outbox"), 2, "{recovery:?}");
        assert_eq!(rows("transactions"), 1, "{recovery:?}");
        let out = s.outbox_after(OcppVersion::V16, 0, 10).unwrap();
        assert_eq!(
            out.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            ["StartTransaction", "MeterValues"]
        );
        assert_eq!(s.csms_transaction_ids().unwrap(), [(3, 4242)]);
        assert_eq!(
            s.ocpp_keys().unwrap(),
            [("MeterValueSampleInterval".to_string(), "30".to_string())]
        );
        // The open transaction is closed as interrupted, with its last energy register.
        let interrupted = s.close_interrupted("t2").unwrap();
        assert_eq!(interrupted.len(), 1);
        assert_eq!(interrupted[0].transaction_id, 7);
        assert_eq!(interrupted[0].meter_wh, 4242.0);
    }

    /// A journal damaged in the middle: whatever SQLite can still read is carried over, and
    /// the charger starts.
    #[test]
    fn a_damaged_journal_never_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        {
            let mut s = Store::open(&path).unwrap();
            for i in 0..200 {
                s.outbox_put(&outbox_record(i + 1, "MeterValues")).unwrap();
            }
            s.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let len = bytes.len();
        for b in &mut bytes[len / 3..len / 3 + 4096] {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let (mut s, recovery) = Store::open_or_recover(&path, "stamp").unwrap();
        assert!(recovery.is_some());
        s.outbox_put(&outbox_record(1_000, "StopTransaction"))
            .unwrap();
        assert!(s.outbox_after(OcppVersion::V16, 0, 1_000).unwrap().len() <= 201);
    }

    #[test]
    fn the_ocpp_outbox_survives_reopening_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let record = |seq: u64, action: &str| OutboxRecord {
            seq,
            action: action.into(),
            payload: serde_json::json!({"connectorId": 1, "meterStart": 0}),
            local_transaction_id: 3,
            refusals: 0,
            refused: false,
            version: OcppVersion::V16,
        };
        {
            let mut s = Store::open(&path).unwrap();
            s.outbox_put(&record(2, "MeterValues")).unwrap();
            s.outbox_put(&record(1, "StartTransaction")).unwrap();
            s.outbox_put(&record(3, "StopTransaction")).unwrap();
            s.outbox_remove(1).unwrap();
            let mut refused = record(2, "MeterValues");
            refused.refusals = 3;
            refused.refused = true;
            s.outbox_put(&refused).unwrap();
            s.set_csms_transaction_id(3, 4242).unwrap();
            s.set_ocpp_key("HeartbeatInterval", "60").unwrap();
        }
        let s = Store::open(&path).unwrap();
        let out = s.outbox().unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].seq, out[0].refused, out[0].refusals), (2, true, 3));
        assert_eq!(out[1].action, "StopTransaction");
        assert_eq!(out[1].payload["connectorId"], 1);
        assert_eq!(s.csms_transaction_ids().unwrap(), vec![(3, 4242)]);
        assert_eq!(
            s.ocpp_keys().unwrap(),
            vec![("HeartbeatInterval".to_string(), "60".to_string())]
        );
    }

    #[test]
    fn interrupted_transaction_is_closed_with_last_meter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut s = Store::open(&path).unwrap();
        s.record(&started(7, 2, 10.0), "t0").unwrap();
        s.record(&meter_sample(2, 7, 2500.0), "t1").unwrap();
        drop(s);
        let mut s = Store::open(&path).unwrap();
        let closed = s.close_interrupted("t2").unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].transaction_id, 7);
        let t = s.transaction(7).unwrap().unwrap();
        assert_eq!(t.meter_stop_wh, Some(2500.0));
        assert_eq!(t.stop_reason, Some(StopReason::PowerLoss));
        assert!(s.close_interrupted("t3").unwrap().is_empty());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
