//! The unit's hardening, as `systemd-analyze security` scores it (offline: PID 1 is not
//! systemd on the build machines), must never get worse than the figure in README and
//! SECURITY.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// The exposure the unit scores today (0-10, lower is better), times ten as
/// `--threshold` takes it: 1.7 "OK".
const THRESHOLD: &str = "17";

#[test]
fn the_unit_scores_no_worse_than_its_documented_exposure() {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/chargerd.service");
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(format!("--threshold={THRESHOLD}"))
        .arg(unit)
        .output()
        .unwrap_or_else(|e| {
            panic!("systemd-analyze not runnable ({e}): install it (apt-get install systemd)")
        });
    let text = String::from_utf8_lossy(&out.stdout);
    let overall = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_default()
        .to_string();
    eprintln!("{overall}");
    assert!(
        out.status.success(),
        "the unit's exposure got worse than the documented 1.7: {overall}\n{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        overall.contains("1.7"),
        "update README and SECURITY.md: {overall}"
    );
}
