//! How the daemon logs: to standard output, as systemd collects it.
//!
//! Under systemd (`$JOURNAL_STREAM` set: stdout is the journal), every line starts with the
//! kernel-style priority prefix `<N>` that journald reads (`<3>` error, `<4>` warning, `<6>`
//! info, `<7>` debug), so `journalctl -u chargerd -p warning` shows the warnings; the journal
//! adds its own time stamps, so none are printed. Colour codes only go to a terminal (and never
//! with `$NO_COLOR`): log files and the journal get plain text.

use std::fmt;
use std::io::IsTerminal;

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

/// Install the global subscriber: `RUST_LOG` (default `info`), journald priorities under
/// systemd, colours only on a terminal.
pub fn init() {
    use tracing_subscriber::EnvFilter;
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_target(false)
        .with_ansi(colour);
    if journal {
        let format = tracing_subscriber::fmt::format()
            .without_time()
            .with_target(false)
            .with_ansi(false);
        builder.event_format(JournalPriority(format)).init();
    } else {
        builder.init();
    }
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
}
