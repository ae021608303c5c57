//! What a diagnostics archive (GetDiagnostics, GetLog DiagnosticsLog) may say about drivers and
//! secrets: id tags and VINs masked, configuration secrets redacted. Pure: the shell builds the
//! archive ([`super::transfer::build_archive`]) from what these functions return.
//!
//! An archive leaves the board for whoever the CSMS names, so it carries no key material (keys
//! live in files the archive never includes), no raw journal (the SQLite file holds the local
//! authorization list and every driver's id tag), and identities only as salted digests:
//! `id#3fa2c1d0` is the same tag everywhere in one archive, so a support engineer can follow a
//! driver's sessions, but the salt is new for every archive and never written down, so the tag
//! cannot be recovered by trying candidates, nor linked across archives.

use ring::digest;
use serde_json::Value;

/// Masks identities with a salt of its own.
#[derive(Clone)]
pub struct Masker {
    salt: [u8; 16],
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Masker([salt redacted])")
    }
}

/// JSON keys whose string values are identities (OCPP idTag fields, our own columns).
const IDENTITY_KEYS: &[&str] = &["idTag", "parentIdTag", "id_tag", "vin", "VIN"];

impl Masker {
    /// A masker with a fresh random salt.
    pub fn new() -> Masker {
        let mut salt = [0u8; 16];
        salt[..8].copy_from_slice(&super::link::os_random_u64().to_le_bytes());
        salt[8..].copy_from_slice(&super::link::os_random_u64().to_le_bytes());
        Masker { salt }
    }

    /// A masker with a given salt (tests).
    pub fn with_salt(salt: [u8; 16]) -> Masker {
        Masker { salt }
    }

    fn digest(&self, kind: &str, value: &str) -> String {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&self.salt);
        // OCPP compares id tags case-insensitively: so does the mask.
        ctx.update(value.to_ascii_uppercase().as_bytes());
        let d = ctx.finish();
        let hex: String = d.as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{kind}#{hex}")
    }

    /// An id tag (or a VIN used as one).
    pub fn id(&self, tag: &str) -> String {
        if tag.is_empty() {
            return String::new();
        }
        self.digest("id", tag)
    }

    /// Free text with every VIN-shaped word (ISO 3779: 17 of `A-H J-N P R-Z 0-9`, with a
    /// letter and a digit) masked.
    pub fn text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if is_vin(word) {
                out.push_str(&self.digest("vin", word));
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    /// A log line: the values of identity fields (`id_tag=FLEET-042`, `vin="LSV…"`,
    /// `"idTag":"…"` in a logged payload) masked as ids, then VIN-shaped words as in
    /// [`Masker::text`].
    pub fn log_line(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some((start, key_len)) = next_identity_field(rest) {
            let value_start = start + key_len;
            out.push_str(&rest[..value_start]);
            // A Rust `Debug` value (`command=Start { id_tag: Some("…") }`): the option's
            // wrapper stays, the string in it is masked.
            let debug_field =
                rest[start..value_start].ends_with(": ") && !rest[start..].starts_with('"');
            let tail = &rest[value_start..];
            let tail = match tail.strip_prefix("Some(") {
                Some(t) => {
                    out.push_str("Some(");
                    t
                }
                None => tail,
            };
            let (quoted, body) = match tail.strip_prefix('"') {
                Some(b) => (true, b),
                None => (false, tail),
            };
            if debug_field && !quoted {
                // `id_tag: None`: nothing to mask.
                rest = body;
                continue;
            }
            let end = body
                .find(|c: char| {
                    if quoted {
                        c == '"'
                    } else {
                        c.is_whitespace() || matches!(c, ',' | '}' | ']' | ')' | ';')
                    }
                })
                .unwrap_or(body.len());
            if quoted {
                out.push('"');
            }
            out.push_str(&self.id(&body[..end]));
            rest = &body[end..];
        }
        out.push_str(rest);
        self.text(&out)
    }

    /// A JSON document (an OCPP payload): identity fields masked, every other string through
    /// [`Masker::text`].
    pub fn json(&self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match v {
                        Value::String(s) if IDENTITY_KEYS.contains(&key.as_str()) => {
                            *s = self.id(s);
                        }
                        _ => self.json(v),
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// The first identity field in `line`: where it starts and how long its key with `=` or `":`
/// is (the value follows).
fn next_identity_field(line: &str) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for key in IDENTITY_KEYS.iter().chain(&["parent_id_tag"]) {
        for pattern in [
            format!("{key}="),
            format!("\"{key}\":"),
            format!("\"{key}\": "),
            // A field of a Rust value logged with `Debug`.
            format!("{key}: "),
        ] {
            let mut from = 0;
            while let Some(i) = line[from..].find(&pattern) {
                let at = from + i;
                // A whole key: not the end of a longer one (`my_id_tag=`).
                let whole = pattern.starts_with('"')
                    || line[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
                if whole {
                    if best.is_none_or(|(b, _)| at < b) {
                        best = Some((at, pattern.len()));
                    }
                    break;
                }
                from = at + pattern.len();
            }
        }
    }
    best
}

/// The journal's export masks with it (`Store::export_masked`).
impl crate::store::ExportMask for Masker {
    fn id(&self, tag: &str) -> String {
        Masker::id(self, tag)
    }
    fn text(&self, text: &str) -> String {
        Masker::text(self, text)
    }
    fn json(&self, value: &mut Value) {
        Masker::json(self, value)
    }
}

impl Default for Masker {
    fn default() -> Masker {
        Masker::new()
    }
}

fn is_vin(word: &str) -> bool {
    word.len() == 17
        && word
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"IOQ".contains(&b)))
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_uppercase())
}

/// Configuration keys whose values are secrets or identities, wherever they appear. Paths to
/// key files are not secret (the files never go into the archive); the id tags of the
/// `[authorization]` section and anything named like a password are.
const SECRET_CONFIG_KEYS: &[&str] = &["id_tags", "password", "secret", "token", "credentials"];

/// The daemon's configuration (as JSON) with secrets replaced by `"[redacted]"`.
pub fn redact_config(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let lower = key.to_ascii_lowercase();
                if SECRET_CONFIG_KEYS.iter().any(|s| lower.contains(s)) {
                    *v = match v {
                        Value::Array(items) => {
                            Value::String(format!("[redacted: {} entries]", items.len()))
                        }
                        _ => Value::String("[redacted]".into()),
                    };
                } else {
                    redact_config(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_config),
        _ => {}
    }
}

/// The daemon's own log files ([`crate::logging::own_log_files`]), oldest first, each copied
/// into `dir` line by line through `masker` (log lines name id tags and VINs) for an archive,
/// at most `max_bytes` of each (a rotated file is bounded by `[log] max_file_bytes` anyway).
/// Returns the members, named as in the log directory (`chargerd.log`, `chargerd.log.1`, …);
/// a file that cannot be read is left out with a warning. The caller removes `dir`.
pub fn own_log_members(
    dir: &std::path::Path,
    max_bytes: u64,
    masker: &Masker,
) -> Vec<super::transfer::ArchiveEntry> {
    use std::io::{BufRead, Read, Write};
    let files = crate::logging::own_log_files();
    if files.is_empty() {
        return Vec::new();
    }
    if let Err(e) = crate::files::create_private_dir(dir, crate::files::PRIVATE_DIR) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot export the log files");
        return Vec::new();
    }
    crate::logging::flush(std::time::Duration::from_secs(1));
    let mut members = Vec::new();
    for (path, name) in files {
        let out = dir.join(&name);
        let copied = (|| -> std::io::Result<()> {
            let input =
                std::io::BufReader::new(crate::files::open_nofollow(&path)?.take(max_bytes));
            let mut output = std::io::BufWriter::new(crate::files::create_replacing(
                &out,
                crate::files::PRIVATE_FILE,
            )?);
            for line in input.split(b'\n') {
                let line = String::from_utf8_lossy(&line?).into_owned();
                output.write_all(masker.log_line(&line).as_bytes())?;
                output.write_all(b"\n")?;
            }
            output.flush()
        })();
        match copied {
            Ok(()) => members.push(super::transfer::ArchiveEntry::File {
                path: out,
                name_in_archive: name,
            }),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "log file left out of the archive")
            }
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_tags_mask_stably_within_an_archive_and_differently_across() {
        let a = Masker::with_salt([1; 16]);
        let b = Masker::with_salt([2; 16]);
        assert_eq!(a.id("FLEET-042"), a.id("fleet-042"));
        assert!(a.id("FLEET-042").starts_with("id#"));
        assert!(!a.id("FLEET-042").contains("FLEET"));
        assert_ne!(a.id("FLEET-042"), a.id("FLEET-043"));
        assert_ne!(a.id("FLEET-042"), b.id("FLEET-042"));
        assert_eq!(a.id(""), "");
    }

    #[test]
    fn vins_in_text_and_identities_in_payloads_are_masked() {
        let m = Masker::with_salt([7; 16]);
        let text = m.text("vehicle LSVAU2180N2183294 identified; fault X1 on 5 connectors");
        assert!(!text.contains("LSVAU2180N2183294"), "{text}");
        assert!(text.starts_with("vehicle vin#"), "{text}");
        assert!(
            text.ends_with("identified; fault X1 on 5 connectors"),
            "{text}"
        );
        // 17 letters without a digit, or with I/O/Q, are not VINs.
        assert_eq!(m.text("ABCDEFGHJKLMNPRST"), "ABCDEFGHJKLMNPRST");
        let mut payload = json!({"connectorId": 1, "idTag": "FLEET-042",
            "transactionData": [{"idTag": "X"}], "info": "VIN LSVAU2180N2183294"});
        m.json(&mut payload);
        assert_eq!(payload["idTag"], m.id("FLEET-042"));
        assert_eq!(payload["transactionData"][0]["idTag"], m.id("X"));
        assert_eq!(payload["connectorId"], 1);
        assert!(!payload.to_string().contains("LSVAU2180N2183294"));
    }

    #[test]
    fn config_secrets_are_redacted_and_the_rest_kept() {
        let mut cfg = json!({
            "station": {"name": "depot-7"},
            "authorization": {"mode": "local-list", "id_tags": ["FLEET-1", "FLEET-2"]},
            "ocpp": {"authorization_key_file": "/etc/chargerd/ocpp.key", "ftp_password": "pw"},
        });
        redact_config(&mut cfg);
        assert_eq!(cfg["authorization"]["id_tags"], "[redacted: 2 entries]");
        assert_eq!(cfg["ocpp"]["ftp_password"], "[redacted]");
        assert_eq!(cfg["station"]["name"], "depot-7");
        assert_eq!(
            cfg["ocpp"]["authorization_key_file"],
            "/etc/chargerd/ocpp.key"
        );
        assert!(!cfg.to_string().contains("FLEET-1"));
    }

    #[test]
    fn log_lines_lose_their_id_tags_and_vins() {
        let m = Masker::with_salt([9; 16]);
        let line = "2026-12-06T21:00:00 chargerd[1]: INFO id tag authorized connector=1 \
                    id_tag=FLEET-042 purpose=LocalStart vin=\"LSVAU2180N2183294\" \
                    payload={\"idTag\":\"RFID-77\",\"connectorId\":1} my_id_tag=keep\n";
        let masked = m.log_line(line);
        for secret in ["FLEET-042", "LSVAU2180N2183294", "RFID-77"] {
            assert!(!masked.contains(secret), "{secret}: {masked}");
        }
        assert!(
            masked.contains(&format!("id_tag={}", m.id("FLEET-042"))),
            "{masked}"
        );
        assert!(
            masked.contains(&format!("\"idTag\":\"{}\"", m.id("RFID-77"))),
            "{masked}"
        );
        assert!(masked.contains("my_id_tag=keep"), "{masked}");
        assert!(
            masked.contains("connector=1") && masked.ends_with('\n'),
            "{masked}"
        );
        assert_eq!(m.log_line("nothing to hide\n"), "nothing to hide\n");
    }

    #[test]
    fn id_tags_in_logged_rust_values_are_masked_too() {
        let m = Masker::with_salt([9; 16]);
        let line = "INFO command from the OCPP charge point command=Start { connector: 2, \
                    id_tag: Some(\"SECRET-TAG-42\") } other=Start { id_tag: None, vin: \"LSVAU2180N2183294\" } \
                    opt=Some(\"FLEET-1\") id_tag=Some(\"FLEET-1\")";
        let masked = m.log_line(line);
        for secret in ["SECRET-TAG-42", "LSVAU2180N2183294"] {
            assert!(!masked.contains(secret), "{secret}: {masked}");
        }
        assert!(
            masked.contains(&format!("id_tag: Some(\"{}\")", m.id("SECRET-TAG-42"))),
            "{masked}"
        );
        assert!(masked.contains("id_tag: None"), "{masked}");
        // The same tag masks the same with and without the option around it.
        assert!(
            masked.contains(&format!("id_tag=Some(\"{}\")", m.id("FLEET-1"))),
            "{masked}"
        );
    }
}
