//! The bus between pods and to backend services. A single node uses the in-process bus; a
//! cluster (next) uses Redis pub/sub behind the same trait. Local delivery never goes through
//! the bus: each pod delivers to its own sessions and publishes once for the others.

mod local;
mod push;

use serde::Serialize;
use uuid::Uuid;

pub use local::LocalBus;
pub use push::{deliver_locally, Push, PushTarget};

/// A client's `publish` frame, as backend services receive it on `im.client.<topic>`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientPublish {
    pub topic: String,
    pub data: serde_json::Value,
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub connection_id: String,
    pub node: String,
}

/// What crosses from this pod to the others and to backend services.
pub trait Bus: Send + Sync {
    /// A backend push this pod delivered locally; other pods deliver it to theirs.
    fn push(&self, push: &Push);

    /// A client published on a topic: hand it to the services listening.
    fn client_published(&self, message: ClientPublish);

    /// Listens to client publishes (in-process consumers; tests).
    fn subscribe_client_publishes(&self) -> tokio::sync::broadcast::Receiver<ClientPublish>;
}
