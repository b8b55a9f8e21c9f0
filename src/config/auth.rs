//! The `[auth]` section: how many sessions a user may hold at once, and the `deletion`
//! setting of `[accounts]`.

use serde::{Deserialize, Serialize};

use super::{bad, ConfigError};
use crate::auth::MultiLogin;

/// Sessions and devices.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Which sessions a new login ends: `unlimited`, `one_per_platform`, `one_per_class` or
    /// `single`.
    pub multi_login: MultiLogin,
    /// Under `unlimited`, how many sessions one platform may hold (the oldest end first).
    pub max_sessions_per_platform: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            multi_login: MultiLogin::Unlimited,
            max_sessions_per_platform: 10,
        }
    }
}

impl AuthConfig {
    /// Checks the `[auth]` section.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=1000).contains(&self.max_sessions_per_platform) {
            return bad(
                "auth.max_sessions_per_platform",
                "must be between 1 and 1000",
            );
        }
        Ok(())
    }
}

/// What `DELETE /api/auth/me` removes besides the account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountDeletion {
    /// The card, settings, friends and memberships go; sent messages stay, shown as sent by a
    /// deleted user.
    #[default]
    Anonymize,
    /// The messages the user sent go too.
    Erase,
}
