//! Structured logs through `tracing`: readable text on a terminal, JSON lines when
//! `log.format = "json"`. `RUST_LOG` overrides `log.level`.

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// A log filter from `log.level` or `RUST_LOG` text. Field values match as plain text, never
/// as regular expressions: the fuzzer found that a pattern of a few hundred bytes makes the
/// filter's regex engine build an automaton of gigabytes.
///
/// The text must be ASCII (targets are Rust paths): the fuzzer also found that the filter's
/// parser panics on a multi-byte character in some positions (a byte index inside a char).
pub fn filter(text: &str) -> Result<EnvFilter, String> {
    if !text.is_ascii() {
        return Err("a log filter is ASCII".into());
    }
    EnvFilter::builder()
        .with_regex(false)
        .parse(text)
        .map_err(|e| e.to_string())
}

/// Installs the global subscriber once; later calls (tests start many nodes) do nothing.
pub fn init(config: &LogConfig) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| filter(&text).ok())
        .or_else(|| filter(&config.level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if config.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
