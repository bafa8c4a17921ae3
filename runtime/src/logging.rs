//! Logging set-up: human-readable on a terminal, JSON lines with `--log-format json`.
//! The level comes from `ONCE_LOG` (e.g. `ONCE_LOG=debug` or `ONCE_LOG=once_node=debug,info`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines (colours on a terminal).
    #[default]
    Human,
    /// One JSON object per line, with the span fields (request id, peer member id).
    Json,
}

/// Installs the global subscriber. Logs go to standard error. Safe to call more than once (the
/// first call wins).
pub fn init(format: LogFormat) {
    init_with_default(format, "info");
}

/// Like [`init`], with another level when `ONCE_LOG` is not set.
pub fn init_with_default(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_env("ONCE_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
