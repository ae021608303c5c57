//! Files that decide trust or hold secrets: CA bundles, installed roots, client keys, the
//! AuthorizationKey, staged firmware images, diagnostics archives.
//!
//! The local attacker these helpers stand against is an account that may operate the charger
//! (a technician in the `chargerd` group) and wants to replace what it trusts: plant a root
//! certificate, swap a staged firmware image, or have the daemon write a key through a
//! symbolic link into a file of the attacker's choice. Hence, everywhere in this module:
//!
//! - **No symbolic link is followed** in the last path component (`O_NOFOLLOW`; a new file is
//!   created with `O_CREAT|O_EXCL`, which never follows one either). The directories above are
//!   the service's own, mode 0700, so nobody else can plant anything higher up.
//! - **Modes are set explicitly** (0600 for secrets and images, 0640 at most for
//!   certificates), not left to the umask, and a new file has its mode from the first instant:
//!   a key is never readable by others, not even between `open` and `chmod`.
//! - **Writes are atomic**: a temporary file with an unpredictable name in the same directory,
//!   fsync, rename over the target, fsync of the directory. A crash leaves the old file or the
//!   new one, never half of either.
//!
//! SECURITY.md describes the privilege model these modes belong to.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of secrets (private keys, the AuthorizationKey) and staged firmware images.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of certificates and CA bundles: nothing secret, but only the service writes them.
pub const CERTIFICATE_FILE: u32 = 0o640;
/// Mode of the service's own directories: nobody else may list, read or plant files there.
pub const PRIVATE_DIR: u32 = 0o700;

/// Options that create a new file with `mode` and never follow a symbolic link: `O_EXCL`
/// fails on any existing entry (a planted link included), `O_NOFOLLOW` says so twice.
pub fn create_new_options(mode: u32) -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    options
}

/// Creates `path` anew for writing with `mode` exactly (whatever the umask), replacing a stale
/// file or a planted symbolic link (the link itself is removed, never its target).
pub fn create_replacing(path: &Path, mode: u32) -> io::Result<fs::File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let file = create_new_options(mode).open(path)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(file)
}

/// Writes `path` atomically with `mode`; see the module documentation.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Unpredictable enough that nobody can plant something under it in advance; O_EXCL makes
    // a collision an error instead of a write through someone else's file.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}-{nonce:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = create_new_options(mode).open(&tmp)?;
        // Exactly `mode`: the umask may have taken bits away (harmless) and the file must not
        // depend on it either way.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        // rename(2) replaces a symbolic link at `path` with the file; it never writes through it.
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

/// Opens an existing regular file for reading without following a symbolic link.
pub fn open_nofollow(path: &Path) -> io::Result<fs::File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is a symbolic link: not followed", path.display()),
                )
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

/// Writes a secret (a key, the AuthorizationKey) atomically, mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, bytes, PRIVATE_FILE)
}

/// Reads a file chargerd keeps a secret in: a regular file, not a symbolic link, at most
/// `max_bytes` long.
pub fn read_private(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_nofollow(path)?;
    if file.metadata()?.len() > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {max_bytes} bytes", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a regular file as text without following a symbolic link.
pub fn read_to_string_nofollow(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    open_nofollow(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Creates `dir` (and its parents) if needed and makes it the service's own: a real directory
/// (not a symbolic link to one) with mode `mode`. Parents created here get `mode` too.
pub fn create_private_dir(dir: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)?;
    let meta = fs::symlink_metadata(dir)?;
    if !meta.file_type().is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory (a symbolic link?)", dir.display()),
        ));
    }
    if meta.permissions().mode() & 0o7777 != mode {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_atomic_write_has_its_mode_whatever_the_umask_and_replaces_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let key = dir.path().join("client.key.pem");
        // An attacker plants a link where the key will go.
        symlink(&victim, &key).unwrap();
        write_atomic(&key, b"SECRET", PRIVATE_FILE).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(fs::symlink_metadata(&key).unwrap().file_type().is_file());
        assert_eq!(fs::read(&key).unwrap(), b"SECRET");
        assert_eq!(mode_of(&key), 0o600);
        write_atomic(&key, b"cert", CERTIFICATE_FILE).unwrap();
        assert_eq!(mode_of(&key), 0o640);
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_file_created_anew_replaces_a_planted_link_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let image = dir.path().join("firmware-1.img.partial");
        symlink(&victim, &image).unwrap();
        let mut f = create_replacing(&image, PRIVATE_FILE).unwrap();
        f.write_all(b"image").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(mode_of(&image), 0o600);
        // And create_new_options alone refuses an existing link outright.
        let link = dir.path().join("link");
        symlink(&victim, &link).unwrap();
        assert!(create_new_options(PRIVATE_FILE).open(&link).is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn reading_refuses_a_symbolic_link_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("root.pem");
        fs::write(&real, "x").unwrap();
        let link = dir.path().join("planted.pem");
        symlink(&real, &link).unwrap();
        assert_eq!(read_to_string_nofollow(&real).unwrap(), "x");
        let e = read_to_string_nofollow(&link).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let e = read_to_string_nofollow(dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    /// A self-signed CA certificate valid 2020-2040, as PEM.
    fn ca_pem(cn: &str) -> String {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    /// The certificate store as a technician's account would attack it: its directories were
    /// left group-writable by an older release (UMask=0007), and a link to the attacker's own
    /// root sits among the manufacturer roots. The store tightens the directories, writes
    /// 0640 certificates, and never reads the planted root.
    #[test]
    fn the_certificate_store_is_private_and_ignores_a_planted_root() {
        use crate::ocpp::certs::{CertificateStore, CertificateUse, InstallStatus};
        let now = rcgen::date_time_ymd(2025, 6, 1).unix_timestamp();
        let dir = tempfile::tempdir().unwrap();
        let certs = dir.path().join("certificates");
        let manufacturer = certs.join(CertificateUse::ManufacturerRootCertificate.as_str());
        fs::create_dir_all(&manufacturer).unwrap();
        fs::set_permissions(&certs, fs::Permissions::from_mode(0o770)).unwrap();
        fs::set_permissions(&manufacturer, fs::Permissions::from_mode(0o770)).unwrap();

        let store = CertificateStore::open(&certs).unwrap();
        assert_eq!(mode_of(&certs), 0o700);
        assert_eq!(mode_of(&manufacturer), 0o700);

        let genuine = ca_pem("Genuine Manufacturer Root");
        assert_eq!(
            store.install(CertificateUse::ManufacturerRootCertificate, &genuine, now),
            InstallStatus::Accepted
        );
        let installed: Vec<_> = fs::read_dir(&manufacturer)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(installed.len(), 1);
        assert_eq!(mode_of(&installed[0]), 0o640);

        let evil = dir.path().join("attacker-root.pem");
        fs::write(&evil, ca_pem("Attacker Root")).unwrap();
        symlink(&evil, manufacturer.join("0000-planted.pem")).unwrap();
        let pems = store
            .pems(CertificateUse::ManufacturerRootCertificate)
            .unwrap();
        assert_eq!(pems.len(), 1, "the planted root was read");
        assert_ne!(pems[0], fs::read_to_string(&evil).unwrap());
    }

    /// A firmware download is staged as `<image>.partial`: a link an attacker planted under
    /// that name (or the image's) is replaced, never written through, and the staged image is
    /// 0600.
    #[test]
    fn a_firmware_download_is_staged_0600_and_never_through_a_planted_link() {
        use std::io::{BufRead, BufReader};
        use std::net::TcpListener;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let image = dir.path().join("firmware-1.img");
        symlink(&victim, dir.path().join("firmware-1.img.partial")).unwrap();
        // A one-shot HTTP server with a 5-byte image.
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/fw.img", server.local_addr().unwrap());
        let serving = std::thread::spawn(move || {
            let (stream, _) = server.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let mut w = stream;
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nIMAGE")
                .unwrap();
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let settings = crate::ocpp::transfer::TransferSettings {
            allow_local_hosts: true,
            ..Default::default()
        };
        let bytes = runtime
            .block_on(crate::ocpp::transfer::download(&url, &image, &settings))
            .unwrap();
        serving.join().unwrap();
        assert_eq!(bytes, 5);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(fs::symlink_metadata(&image).unwrap().file_type().is_file());
        assert_eq!(fs::read(&image).unwrap(), b"IMAGE");
        assert_eq!(mode_of(&image), 0o600);
    }

    #[test]
    fn a_private_dir_is_tightened_and_a_link_in_its_place_refused() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("state/ocpp-files");
        create_private_dir(&work, PRIVATE_DIR).unwrap();
        assert_eq!(mode_of(&work), 0o700);
        // Left group-writable by an older release (UMask=0007): tightened.
        fs::set_permissions(&work, fs::Permissions::from_mode(0o770)).unwrap();
        create_private_dir(&work, PRIVATE_DIR).unwrap();
        assert_eq!(mode_of(&work), 0o700);
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        let link = dir.path().join("state/certificates");
        symlink(&elsewhere, &link).unwrap();
        let e = create_private_dir(&link, PRIVATE_DIR).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }

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
        assert!(e.to_string().contains("symbolic link"), "{e}");
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
