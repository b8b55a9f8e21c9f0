//! Pushes from backend services (`spec/API.md`, "Push"): to everyone, to every device of a
//! user, or to one connection, delivered as `event` frames.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actors::user::CountedDeliver;
use crate::protocol::ServerFrame;
use crate::state::AppState;

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

/// Delivers `push` to this pod's sessions; returns how many it reached.
pub async fn deliver_locally(state: &AppState, push: &Push) -> usize {
    let text = ServerFrame::Event {
        method: push.method.clone(),
        data: push.data.clone(),
    }
    .to_text();
    match &push.target {
        PushTarget::Broadcast { tenant_id } => state
            .supervisor
            .connections()
            .into_iter()
            .filter(|s| tenant_id.is_none() || s.tenant_id == *tenant_id)
            .filter(|s| s.push(text.clone()))
            .count(),
        PushTarget::User { tenant_id, user_id } => {
            match state.supervisor.running_user(&(*tenant_id, *user_id)) {
                Some(addr) => addr.send(CountedDeliver(text)).await.unwrap_or(0),
                None => 0,
            }
        }
        PushTarget::Connection {
            connection_id,
            only_tenant,
        } => state
            .supervisor
            .connection(connection_id)
            .filter(|s| only_tenant.is_none_or(|t| s.tenant_id == t.0))
            .map(|s| usize::from(s.push(text)))
            .unwrap_or(0),
    }
}
