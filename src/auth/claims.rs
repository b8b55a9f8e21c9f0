//! The JWT claims this product reads and writes (`spec/API.md`, "Conventions").

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The claims of a token, as issued here or by an external issuer (ABP's identity server
/// names the user in `name`, `preferred_username` or `unique_name`; all are accepted).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing)]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing)]
    pub unique_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenantid: Option<String>,
    #[serde(default, skip_serializing_if = "Roles::is_empty")]
    pub role: Roles,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The session (`AppAuthSessions`) a token issued here belongs to; ending the session
    /// ends the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// `role` may be one string or an array of them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Roles {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Roles {
    fn is_empty(&self) -> bool {
        matches!(self, Roles::None)
    }

    /// The roles as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Roles::None => vec![],
            Roles::One(r) => vec![r.clone()],
            Roles::Many(rs) => rs.clone(),
        }
    }
}

/// A verified caller: what every route and actor needs to know about who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub user_name: String,
    pub roles: Vec<String>,
    /// The key that revokes this token (`jti`, or its signature when it has none).
    pub token_key: String,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
    /// The session the token belongs to (`sid`); none for external and older tokens.
    pub session_id: Option<String>,
}

impl Identity {
    /// The key that closes this caller's sockets: the session, or the token without one.
    pub fn close_key(&self) -> &str {
        self.session_id.as_deref().unwrap_or(&self.token_key)
    }
}

impl Identity {
    /// Whether the token carries `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}
