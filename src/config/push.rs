//! The `[push]` section: backend services pushing through this node, and the hand-off of
//! messages and notifications to mobile push for users with no session in the foreground.

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};

/// Backend pushes, and the offline push hand-off.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// `X-API-Key` accepted by `/api/push/*`; empty = only tokens with role `service`.
    pub api_key: String,
    /// `http://…` that push jobs are POSTed to (signed with `hooks.secrets`); empty = none.
    pub webhook_url: String,
    /// Also XADD every push job to the Redis stream `<redis.namespace>:push` (needs `redis.url`).
    pub redis_stream: bool,
    /// About how many jobs the stream keeps (`MAXLEN ~`).
    pub stream_maxlen: u64,
    /// How long a user's pushes gather before they go out, collapsed per conversation.
    pub debounce_ms: u64,
    /// Whether a job carries the message's first 100 characters (false: no preview).
    pub preview: bool,
    /// How long one webhook call may take, 1–30,000 ms.
    pub timeout_ms: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            api_key: String::new(),
            webhook_url: String::new(),
            redis_stream: false,
            stream_maxlen: 100_000,
            debounce_ms: 1_500,
            preview: true,
            timeout_ms: 5_000,
        }
    }
}

impl PushConfig {
    /// Whether push jobs are made at all.
    pub fn enabled(&self) -> bool {
        !self.webhook_url.is_empty() || self.redis_stream
    }

    pub(super) fn validate(&self, redis: bool) -> Result<(), ConfigError> {
        if !self.webhook_url.is_empty() && !self.webhook_url.starts_with("http://") {
            return bad(
                "push.webhook_url",
                "must be an http:// URL (put TLS in a sidecar or proxy next to the pod)",
            );
        }
        if self.redis_stream && !redis {
            return bad("push.redis_stream", "needs redis.url or redis.cluster_urls");
        }
        if !(1..=30_000).contains(&self.timeout_ms) {
            return bad("push.timeout_ms", "must be between 1 and 30000");
        }
        if self.debounce_ms > 60_000 {
            return bad("push.debounce_ms", "must be at most 60000");
        }
        Ok(())
    }
}
