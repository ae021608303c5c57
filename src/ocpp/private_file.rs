//! Files that hold secrets or decide trust (private keys, the AuthorizationKey, installed
//! certificates), written and read one way only.
//!
//! A write goes to a fresh temporary file in the same directory, created exclusively
//! (`O_CREAT|O_EXCL`) with `O_NOFOLLOW` and its final mode (so a key is never readable by
//! others, even for a moment, and a symlink planted under the temporary name is refused, not
//! followed), then fsync, rename over the target, and fsync of the directory so the rename
//! survives a power cut. `rename(2)` replaces a symlink at the target itself rather than writing
//! through it, so a link planted where a key belongs cannot redirect the key elsewhere.
//!
//! A read opens with `O_NOFOLLOW`: a symlink where chargerd keeps its own secrets is an attack
//! (another account pointing us at a file of its choosing), so it fails instead of being
//! followed.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of files only the service may read.
pub const PRIVATE_MODE: u32 = 0o600;

/// Writes a secret (`0600`) atomically; see the module documentation.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, bytes, PRIVATE_MODE)
}

/// Writes `path` atomically with `mode`; see the module documentation.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name to write")
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    no_follow(&mut options, mode);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    if let Ok(d) = fs::File::open(dir) {
        // Best effort: some file systems refuse fsync on a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a file chargerd wrote with [`write_private`], refusing a symlink (`ELOOP`) and
/// anything that is not a regular file or larger than `max_bytes`.
pub fn read_private(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    no_follow(&mut options, 0);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    if meta.len() > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max_bytes} bytes"),
        ));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn no_follow(options: &mut fs::OpenOptions, mode: u32) {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if mode != 0 {
        options.mode(mode);
    }
}

#[cfg(not(unix))]
fn no_follow(_options: &mut fs::OpenOptions, _mode: u32) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_are_0600_and_replace_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_private(&path, b"first").unwrap();
        write_private(&path, b"second").unwrap();
        assert_eq!(read_private(&path, 100).unwrap(), b"second");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_planted_symlink_is_replaced_not_written_through_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"do not touch").unwrap();
        let path = dir.path().join("authorization-key");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        // Reading our secret through someone's link: refused.
        let e = read_private(&path, 100).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{e}");
        // Writing: the link itself is replaced; its target is untouched.
        write_private(&path, b"secret").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"do not touch");
        assert!(!fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(read_private(&path, 100).unwrap(), b"secret");
    }

    #[test]
    fn oversized_and_non_regular_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, [0u8; 10]).unwrap();
        assert!(read_private(&path, 9).is_err());
        assert!(read_private(dir.path(), 9).is_err());
    }
}
