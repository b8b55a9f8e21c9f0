//! Structured logs through `tracing`: readable text on a terminal, JSON lines when
//! `log.format = "json"`. `RUST_LOG` overrides `log.level`.

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// A log filter from `log.level` or `RUST_LOG` text: comma-separated `target=level` directives
/// (`info,imcluster=debug,sqlx=warn`), nothing more. Span and field filters (`[span{f=v}]`) are
/// refused: the fuzzer found three ways their parser in tracing-subscriber fails on bad text
/// (a regex automaton of gigabytes, a slice inside a multi-byte character, an ordering
/// assertion), so only letters, digits and `_ : = , . -` are accepted.
pub fn filter(text: &str) -> Result<EnvFilter, String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_:=,.-".contains(c);
    if !text.chars().all(plain) {
        return Err(
            "a log filter is `target=level` directives: letters, digits and _ : = , . -".into(),
        );
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
