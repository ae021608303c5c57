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

/// `systemd-analyze verify` on the unit, with the programs it names (not installed on a build
/// machine) replaced by stubs in a temporary directory: no error and no warning (an unknown or
/// misspelt setting is only a warning there, and would silently do nothing on the board).
#[test]
fn the_unit_verifies_without_errors_or_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let unit_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/chargerd.service"
    ))
    .unwrap();
    let mut text = unit_text.clone();
    for program in ["/usr/lib/chargerd/chargerd-reset-hook", "/usr/bin/chargerd"] {
        let stub = dir.path().join(program.rsplit('/').next().unwrap());
        std::fs::write(&stub, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(text.contains(program), "the unit no longer names {program}");
        text = text.replace(program, stub.to_str().unwrap());
    }
    let unit = dir.path().join("chargerd.service");
    std::fs::write(&unit, text).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap_or_else(|e| {
            panic!("systemd-analyze not runnable ({e}): install it (apt-get install systemd)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "warnings: {stderr}");
    // The reset's exit statuses in the unit are the daemon's.
    let force = unit_text
        .lines()
        .find_map(|l| l.strip_prefix("RestartForceExitStatus="))
        .expect("RestartForceExitStatus= in the unit");
    let statuses: Vec<u8> = force
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            chargerd::daemon::EXIT_SOFT_RESET,
            chargerd::daemon::EXIT_HARD_RESET
        ]
    );
}

/// The hook the unit runs as root after every stop reboots only when the daemon exited with
/// the Hard reset status, and never waits for the reboot job (which stops this very unit).
#[test]
fn the_reset_hook_reboots_only_after_a_hard_reset() {
    let dir = tempfile::tempdir().unwrap();
    let called = dir.path().join("called");
    let fake = dir.path().join("systemctl");
    // Written by a shell, not by this process: a file this process holds open for writing
    // is inherited by the children other tests fork meanwhile, and executing it then fails
    // with ETXTBSY ("Text file busy") until they exec.
    let written = Command::new("sh")
        .arg("-c")
        .arg(r#"printf '#!/bin/sh\necho "$@" >> %s\n' "$2" > "$1" && chmod 755 "$1""#)
        .arg("sh")
        .arg(&fake)
        .arg(&called)
        .status()
        .unwrap();
    assert!(written.success());
    let hook = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/chargerd-reset-hook");
    let hard = chargerd::daemon::EXIT_HARD_RESET.to_string();
    let soft = chargerd::daemon::EXIT_SOFT_RESET.to_string();
    for (result, code, status, reboots) in [
        ("exit-code", "exited", hard.as_str(), true),
        ("exit-code", "exited", soft.as_str(), false),
        ("exit-code", "exited", "1", false),
        ("exit-code", "exited", "78", false),
        // A Rust panic in the main thread exits 101: a crash must never reboot the board.
        ("exit-code", "exited", "101", false),
        ("success", "exited", "0", false),
        ("success", "killed", "TERM", false),
        ("signal", "killed", "KILL", false),
        ("watchdog", "killed", "ABRT", false),
    ] {
        let _ = std::fs::remove_file(&called);
        let out = Command::new("sh")
            .arg(hook)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("CHARGERD_SYSTEMCTL", &fake)
            .env("SERVICE_RESULT", result)
            .env("EXIT_CODE", code)
            .env("EXIT_STATUS", status)
            .output()
            .unwrap();
        assert!(out.status.success(), "{result}/{code}/{status}: {out:?}");
        let args = std::fs::read_to_string(&called).unwrap_or_default();
        if reboots {
            assert_eq!(args.trim(), "--no-block reboot", "{result}/{code}/{status}");
        } else {
            assert!(args.is_empty(), "{result}/{code}/{status} rebooted: {args}");
        }
    }
    // Run without the variables (an older systemd, a manual start): nothing happens.
    let _ = std::fs::remove_file(&called);
    let out = Command::new("sh")
        .arg(hook)
        .env_clear()
        .env("CHARGERD_SYSTEMCTL", &fake)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!called.exists());
}
