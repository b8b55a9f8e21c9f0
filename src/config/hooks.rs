//! The `[hooks]` section: the before-send moderation hook (`docs/HOOKS.md`).

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};

/// Hooks for backend services.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HooksConfig {
    /// Secrets hook calls are signed with (`X-IM-Signature`); two during a rotation, each
    /// signature sent. Empty: calls are not signed.
    pub secrets: Vec<String>,
    pub before_send: BeforeSendConfig,
    pub events: EventsConfig,
}

/// After-event webhooks: every event of the outbox, POSTed to `url`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// `http://…` to POST events to; empty = no events are written or sent.
    pub url: String,
    /// How long one delivery may take, 1–30,000 ms.
    pub timeout_ms: u64,
    /// How long an event is retried (from when it was written) before it is a dead letter.
    pub max_retry_seconds: u64,
    /// Events read from the outbox at a time.
    pub batch: u32,
    /// Events one call carries: 1 POSTs each event as it is; more POSTs `{"events": […]}`
    /// with up to this many, in eight lanes side by side.
    pub events_per_post: u32,
    /// Also XADD every event to the Redis stream `<redis.namespace>:events` (needs `redis.url`),
    /// which services read with consumer groups.
    pub redis_stream: bool,
    /// About how many events the stream keeps (`MAXLEN ~`).
    pub stream_maxlen: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            url: String::new(),
            timeout_ms: 5_000,
            max_retry_seconds: 86_400,
            batch: 1_000,
            events_per_post: 1,
            redis_stream: false,
            stream_maxlen: 100_000,
        }
    }
}

impl EventsConfig {
    /// Whether events are written and delivered.
    pub fn enabled(&self) -> bool {
        !self.url.is_empty() || self.redis_stream
    }
}

/// What a hook's failure (timeout, error, nonsense, open breaker) does to the send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The message is stored as sent.
    #[default]
    Allow,
    /// The message is refused (`IM:Unavailable`: nothing stored, try again).
    Reject,
}

/// The before-send hook: asked about every message it covers before it is stored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BeforeSendConfig {
    /// `http://…` to POST to; empty = no hook.
    pub url: String,
    /// How long a call may take, 1–5,000 ms.
    pub timeout_ms: u64,
    pub on_failure: OnFailure,
    /// Only messages of these types are checked; empty = all.
    pub message_types: Vec<i32>,
    /// Only messages to these groups (ids) are checked, and then no private ones; empty =
    /// every conversation.
    pub groups: Vec<String>,
    /// Failures in a row that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker applies `on_failure` without calling.
    pub breaker_seconds: u64,
}

impl Default for BeforeSendConfig {
    fn default() -> Self {
        BeforeSendConfig {
            url: String::new(),
            timeout_ms: 1_500,
            on_failure: OnFailure::Allow,
            message_types: vec![],
            groups: vec![],
            breaker_failures: 20,
            breaker_seconds: 10,
        }
    }
}

impl HooksConfig {
    /// Checks the `[hooks]` section.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.secrets.len() > 2 || self.secrets.iter().any(|s| s.len() < 16) {
            return bad(
                "hooks.secrets",
                "at most two secrets (a rotation), each at least 16 bytes",
            );
        }
        let b = &self.before_send;
        if !b.url.is_empty() && !b.url.starts_with("http://") {
            return bad(
                "hooks.before_send.url",
                "must be an http:// URL (put TLS in a sidecar or proxy next to the pod)",
            );
        }
        if !(1..=5_000).contains(&b.timeout_ms) {
            return bad("hooks.before_send.timeout_ms", "must be between 1 and 5000");
        }
        if b.breaker_failures == 0 || !(1..=3_600).contains(&b.breaker_seconds) {
            return bad(
                "hooks.before_send.breaker_failures",
                "breaker_failures must be at least 1 and breaker_seconds 1 to 3600",
            );
        }
        if b.groups.iter().any(|g| g.parse::<i64>().is_err()) {
            return bad("hooks.before_send.groups", "must be group ids");
        }
        let e = &self.events;
        if !e.url.is_empty() && !e.url.starts_with("http://") {
            return bad(
                "hooks.events.url",
                "must be an http:// URL (put TLS in a sidecar or proxy next to the pod)",
            );
        }
        if !(1..=30_000).contains(&e.timeout_ms) || e.max_retry_seconds == 0 {
            return bad(
                "hooks.events.timeout_ms",
                "timeout_ms must be 1 to 30000 and max_retry_seconds at least 1",
            );
        }
        if !(1..=10_000).contains(&e.batch) {
            return bad("hooks.events.batch", "must be between 1 and 10000");
        }
        if !(1..=1_000).contains(&e.events_per_post) {
            return bad("hooks.events.events_per_post", "must be between 1 and 1000");
        }
        if e.stream_maxlen == 0 {
            return bad("hooks.events.stream_maxlen", "must be at least 1");
        }
        Ok(())
    }
}
