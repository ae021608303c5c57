//! Wall-clock time as text: RFC 3339 formatting and parsing, in one place for the journal, the
//! OCPP messages and the daemon. They live with the calendar arithmetic in
//! `charger_protocol::time`, where the typed OCPP messages' `DateTime` uses them too.

pub use charger_protocol::time::{parse_rfc3339_ms, rfc3339_utc};
