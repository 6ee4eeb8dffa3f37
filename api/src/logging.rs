//! The process's log: `tracing` events on standard error, filtered by `RUST_LOG` (default
//! `DEFAULT_LOG_FILTER`: fundledger's own lines at info, the libraries' at warn), as JSON
//! lines or as text. JSON when asked (`--log-format json`, `FUNDLEDGER_LOG_FORMAT=json`) or
//! when standard error is not a terminal (a file, a pipe, a container's log collector);
//! text otherwise. Colour codes only on a terminal, so a log file never holds escapes.
//!
//! What the server logs at info: one access line per request (`fundledger::access`, see
//! `server::http`) and one line per command (`fundledger::command`, see
//! `infrastructure::command_log`). Neither carries a token, a subject or a personal field.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is not set: info for everything but sqlx, whose info lines
/// are per statement (its slow-statement warnings still show).
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line: `timestamp`, `level`, `target`, the event's fields
    /// (`message` among them) and the spans it happened in.
    Json,
    /// Human-readable lines (coloured on a terminal).
    Text,
}

impl LogFormat {
    /// The format asked for, or JSON unless standard error is a terminal.
    pub fn resolve(asked: Option<LogFormat>) -> LogFormat {
        asked.unwrap_or_else(|| {
            if std::io::stderr().is_terminal() {
                LogFormat::Text
            } else {
                LogFormat::Json
            }
        })
    }
}

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(asked: Option<LogFormat>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal);
    match LogFormat::resolve(asked) {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}
