//! How the daemon logs: to standard output, as systemd collects it, and to a size-rotated file
//! of its own.
//!
//! Under systemd (`$JOURNAL_STREAM` set: stdout is the journal), every line starts with the
//! kernel-style priority prefix `<N>` that journald reads (`<3>` error, `<4>` warning, `<6>`
//! info, `<7>` debug), so `journalctl -u chargerd -p warning` shows the warnings; the journal
//! adds its own time stamps, so none are printed. Colour codes only go to a terminal (and never
//! with `$NO_COLOR`): log files and the journal get plain text.
//!
//! The own log file (`chargerd.log` in `[log] dir`, else in systemd's `$LOGS_DIRECTORY`) is what
//! a diagnostics archive carries: reading the journal would need the service user in the
//! `systemd-journal` group, which would expose every system log. It is written by a thread of
//! its own through a bounded queue, so a slow disk never holds up the control loop (a line that
//! finds the queue full is dropped and counted), and rotated by size: `chargerd.log` becomes
//! `chargerd.log.1`, and so on up to `[log] keep_files`.

use std::fmt;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::Duration;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The syslog priority journald files a line of `level` under.
pub fn journal_priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Prefixes each event with its journald priority, then formats it as `F` does.
#[derive(Debug)]
pub struct JournalPriority<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for JournalPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", journal_priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

/// Where and how much the daemon keeps of its own log (`[log]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileSettings {
    pub dir: PathBuf,
    /// A file is rotated before it grows past this.
    pub max_file_bytes: u64,
    /// Rotated files kept besides the current one.
    pub keep_files: u32,
}

/// Install the global subscriber: `RUST_LOG` (default `info`), journald priorities under
/// systemd, colours only on a terminal; and, with `file`, the daemon's own rotated log (plain
/// text with time stamps). A log file that cannot be opened is said on stderr and left out:
/// logging never keeps the station from charging.
pub fn init(file: Option<LogFileSettings>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer, Registry};
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let spec = if spec.contains("tungstenite") {
        spec
    } else {
        format!("{spec},tungstenite=info,tokio_tungstenite=info")
    };
    let filter = EnvFilter::try_new(&spec)
        .unwrap_or_else(|_| EnvFilter::new("info,tungstenite=info,tokio_tungstenite=info"));
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let colour =
        !journal && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = Vec::new();
    let stdout = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stdout)
        .with_target(false)
        .with_ansi(colour);
    if journal {
        let format = tracing_subscriber::fmt::format()
            .without_time()
            .with_target(false)
            .with_ansi(false);
        layers.push(stdout.event_format(JournalPriority(format)).boxed());
    } else {
        layers.push(stdout.boxed());
    }
    if let Some(settings) = file {
        match LogFile::start(settings) {
            Ok(writer) => layers.push(
                tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_target(false)
                    .with_ansi(false)
                    .boxed(),
            ),
            Err(e) => eprintln!("chargerd: own log file disabled: {e}"),
        }
    }
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
}

/// The name of the current log file; rotated ones get `.1` (the newest) to `.N`.
pub const LOG_FILE_NAME: &str = "chargerd.log";
/// Lines queued for the log thread; past that, lines are dropped (and counted).
const QUEUE_LINES: usize = 4096;

/// The running log file, once [`init`] started one.
static LOG_FILE: OnceLock<(LogFileSettings, SyncSender<LogMsg>)> = OnceLock::new();
/// Lines dropped because the queue was full, not yet noted in the file.
static DROPPED: AtomicU64 = AtomicU64::new(0);

enum LogMsg {
    Line(Vec<u8>),
    Flush(std::sync::mpsc::Sender<()>),
}

/// The `MakeWriter` of the file layer: each event is formatted into a buffer that is queued
/// whole when the writer is dropped.
#[derive(Debug, Clone)]
struct LogFile {
    tx: SyncSender<LogMsg>,
}

impl LogFile {
    fn start(settings: LogFileSettings) -> Result<LogFile, String> {
        let mut file = RotatingFile::open(&settings)
            .map_err(|e| format!("{}: {e}", settings.dir.join(LOG_FILE_NAME).display()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE_LINES);
        std::thread::Builder::new()
            .name("log-file".into())
            .spawn(move || file.run(rx))
            .map_err(|e| format!("cannot start the log thread: {e}"))?;
        let _ = LOG_FILE.set((settings, tx.clone()));
        Ok(LogFile { tx })
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = QueuedLine;
    fn make_writer(&'a self) -> QueuedLine {
        QueuedLine {
            buf: Vec::with_capacity(256),
            tx: self.tx.clone(),
        }
    }
}

/// One event's text, queued on drop.
#[derive(Debug)]
struct QueuedLine {
    buf: Vec<u8>,
    tx: SyncSender<LogMsg>,
}

impl Write for QueuedLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for QueuedLine {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.buf);
        if let Err(TrySendError::Full(_)) = self.tx.try_send(LogMsg::Line(line)) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Waits (at most `limit`) until every line logged so far is in the file: before the process
/// exits or replaces itself, which would lose the queue.
pub fn flush(limit: Duration) {
    if let Some((_, tx)) = LOG_FILE.get() {
        let (ack, done) = std::sync::mpsc::channel();
        if tx.send(LogMsg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(limit);
        }
    }
}

/// The daemon's own log files, oldest first (`chargerd.log.N` … `chargerd.log`), with the
/// name each has in the directory; none when no log file is written.
pub fn own_log_files() -> Vec<(PathBuf, String)> {
    match LOG_FILE.get() {
        Some((settings, _)) => log_files_in(&settings.dir, settings.keep_files),
        None => Vec::new(),
    }
}

/// The log files in `dir` that exist, oldest first.
pub fn log_files_in(dir: &Path, keep_files: u32) -> Vec<(PathBuf, String)> {
    (0..=keep_files)
        .rev()
        .map(rotated_name)
        .map(|name| (dir.join(&name), name))
        .filter(|(path, _)| path.is_file())
        .collect()
}

/// `chargerd.log` for 0, `chargerd.log.N` for the N-th newest rotated file.
fn rotated_name(n: u32) -> String {
    if n == 0 {
        LOG_FILE_NAME.to_string()
    } else {
        format!("{LOG_FILE_NAME}.{n}")
    }
}

/// The current log file and its rotation by size.
#[derive(Debug)]
struct RotatingFile {
    settings: LogFileSettings,
    file: File,
    written: u64,
}

impl RotatingFile {
    fn open(settings: &LogFileSettings) -> std::io::Result<RotatingFile> {
        crate::files::create_private_dir(&settings.dir, crate::files::PRIVATE_DIR)?;
        let file = open_append(&settings.dir.join(LOG_FILE_NAME))?;
        let written = file.metadata()?.len();
        Ok(RotatingFile {
            settings: settings.clone(),
            file,
            written,
        })
    }

    fn run(&mut self, rx: Receiver<LogMsg>) {
        let mut failing = false;
        for msg in rx {
            match msg {
                LogMsg::Line(line) => {
                    let dropped = DROPPED.swap(0, Ordering::Relaxed);
                    let mut result = Ok(());
                    if dropped > 0 {
                        let note =
                            format!("[{dropped} log lines dropped: the log file fell behind]\n");
                        result = self.write_line(note.as_bytes());
                    }
                    let result = result.and_then(|()| self.write_line(&line));
                    // Said once per run of failures, on stderr (the journal): logging it would
                    // queue more lines for the same file.
                    match (result, failing) {
                        (Err(e), false) => {
                            eprintln!("chargerd: cannot write the log file: {e}");
                            failing = true;
                        }
                        (Ok(()), true) => failing = false,
                        _ => {}
                    }
                }
                LogMsg::Flush(ack) => {
                    let _ = self.file.flush();
                    let _ = ack.send(());
                }
            }
        }
    }

    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let len = line.len() as u64;
        if self.written > 0 && self.written.saturating_add(len) > self.settings.max_file_bytes {
            self.rotate()?;
        }
        self.file.write_all(line)?;
        self.written = self.written.saturating_add(len);
        Ok(())
    }

    /// `chargerd.log.(N-1)` → `.N` (the oldest is overwritten), …, `chargerd.log` → `.1`, and a
    /// new `chargerd.log`.
    fn rotate(&mut self) -> std::io::Result<()> {
        let dir = &self.settings.dir;
        for n in (1..self.settings.keep_files).rev() {
            match std::fs::rename(dir.join(rotated_name(n)), dir.join(rotated_name(n + 1))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        let current = dir.join(LOG_FILE_NAME);
        if self.settings.keep_files == 0 {
            std::fs::remove_file(&current)?;
        } else {
            std::fs::rename(&current, dir.join(rotated_name(1)))?;
        }
        self.file = open_append(&current)?;
        self.written = 0;
        Ok(())
    }
}

/// Opens a log file for appending: created 0600 (it names id tags), never through a link.
fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(crate::files::PRIVATE_FILE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(journal_priority(&Level::ERROR), 3);
        assert_eq!(journal_priority(&Level::WARN), 4);
        assert_eq!(journal_priority(&Level::INFO), 6);
        assert_eq!(journal_priority(&Level::DEBUG), 7);
        assert_eq!(journal_priority(&Level::TRACE), 7);
    }

    fn settings(dir: &Path, max_file_bytes: u64, keep_files: u32) -> LogFileSettings {
        LogFileSettings {
            dir: dir.to_path_buf(),
            max_file_bytes,
            keep_files,
        }
    }

    #[test]
    fn the_log_file_rotates_by_size_and_keeps_only_its_number_of_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("logs");
        let mut f = RotatingFile::open(&settings(&dir, 100, 2)).unwrap();
        // 40 lines of 30 bytes: a file takes three (90 bytes), the fourth rotates it.
        for i in 0..40 {
            f.write_line(format!("line {i:02} {}\n", "x".repeat(21)).as_bytes())
                .unwrap();
        }
        let files = log_files_in(&dir, 2);
        let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["chargerd.log.2", "chargerd.log.1", "chargerd.log"]);
        let text = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        for (_, name) in &files {
            assert!(std::fs::metadata(dir.join(name)).unwrap().len() <= 100);
        }
        // Newest last, oldest lines gone.
        assert!(text("chargerd.log").ends_with(&format!("line 39 {}\n", "x".repeat(21))));
        assert!(text("chargerd.log.1").starts_with("line 36"));
        assert!(text("chargerd.log.2").starts_with("line 33"));
        assert!(!dir.join("chargerd.log.3").exists());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("chargerd.log"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_written_whole_and_a_reopened_file_keeps_its_size() {
        let tmp = tempfile::tempdir().unwrap();
        let mut f = RotatingFile::open(&settings(tmp.path(), 10, 1)).unwrap();
        f.write_line(b"a long line of the log\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("chargerd.log")).unwrap(),
            "a long line of the log\n"
        );
        drop(f);
        // After a restart, appended to and rotated by the size already there.
        let mut f = RotatingFile::open(&settings(tmp.path(), 10, 1)).unwrap();
        f.write_line(b"next\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("chargerd.log.1")).unwrap(),
            "a long line of the log\n"
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("chargerd.log")).unwrap(),
            "next\n"
        );
    }

    #[test]
    fn the_log_file_is_never_opened_through_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join("chargerd.log")).unwrap();
        assert!(RotatingFile::open(&settings(tmp.path(), 1000, 1)).is_err());
    }
}
