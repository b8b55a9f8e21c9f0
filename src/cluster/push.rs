//! Pushes from backend services (`spec/API.md`, "Push"): to everyone, to every device of a
//! user, or to one connection, delivered as `event` frames.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who a push is for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PushTarget {
    Broadcast {
        tenant_id: Option<Uuid>,
    },
    User {
        tenant_id: Option<Uuid>,
        user_id: Uuid,
    },
    Connection {
        connection_id: String,
        /// Set when the pusher may reach one tenant only (a tenant's token): the connection
        /// must belong to `Some(tenant)`; `None` = any connection.
        #[serde(default)]
        only_tenant: Option<TenantScope>,
    },
}

/// The one tenant a scoped push may reach (`None` inside = the host tenant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantScope(pub Option<Uuid>);

/// The callback names the SignalR hubs use for their own frames (chat messages, recalls,
/// presence). A backend push under one of them would reach hub clients as a forged chat
/// message or presence change, so pushes may not use them.
pub fn is_reserved_method(method: &str) -> bool {
    crate::signalr::translate::CALLBACKS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(method))
}

/// A backend push: a method name and its data, for a target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Push {
    pub target: PushTarget,
    pub method: String,
    pub data: serde_json::Value,
}
