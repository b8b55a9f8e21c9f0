//! The `[retention]` section: how long messages are kept.

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};

/// Retention of messages.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Messages older than this many days are deleted, with what hangs on them; 0 keeps them
    /// forever.
    pub message_days: u32,
    /// How many messages one transaction deletes: small batches never hold sends up long.
    pub batch_size: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            message_days: 0,
            batch_size: 500,
        }
    }
}

impl RetentionConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        // A batch's counter update binds five values per conversation it touches (two per
        // message at most): 2,000 stays within SQLite's 32,766 bound values.
        if !(1..=2_000).contains(&self.batch_size) {
            return bad("retention.batch_size", "must be between 1 and 2000");
        }
        Ok(())
    }
}
