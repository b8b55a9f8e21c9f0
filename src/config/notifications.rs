//! The `[notifications]` section: how long published notifications are kept.

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};

/// Notifications (ABP's notification system).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// How long a notification stays in inboxes when its publisher gives no expiry (ABP keeps
    /// them 60 days).
    pub expire_days: u32,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig { expire_days: 60 }
    }
}

impl NotificationsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=3650).contains(&self.expire_days) {
            return bad("notifications.expire_days", "must be between 1 and 3650");
        }
        Ok(())
    }
}
