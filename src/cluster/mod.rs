//! The bus between pods and to backend services. A single node uses the in-process bus; a
//! cluster uses Redis pub/sub behind the same trait. Local delivery never goes through the
//! bus: each pod delivers to its own sessions and publishes once per other pod that holds a
//! recipient (found in its copy of the presence directory), never once per recipient.
//!
//! The bus knows nothing of actors: what reaches this pod from the others is handed to a
//! [`Pod`] (`delivery::ThisPod` over the pod's actors), and what it carries is plain data.

mod arrivals;
mod directory;
mod inbound;
mod link;
mod local;
mod names;
mod pod;
mod publisher;
mod push;
mod redis_bus;
mod relay;
mod subscriber;

use bytestring::ByteString;
use futures_util::future::BoxFuture;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

use crate::keys::{GroupKey, UserKey};

pub use directory::{Applied, Directory};
pub use link::{Conn, Link};
pub use local::LocalBus;
pub use names::Names;
pub use pod::{Pod, PodCounts};
pub use push::{is_reserved_method, Push, PushTarget, TenantScope};
pub use redis_bus::RedisBus;
pub use relay::{Packet, Relay};

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

/// A frame for a group's members on one pod: the sender's devices get `own` (when given; but
/// connection `except`), every other member `text`. The same bytes go to every member.
#[derive(Clone)]
pub struct GroupFrame {
    pub sender: Option<Uuid>,
    pub except: Option<Arc<str>>,
    pub own: Option<ByteString>,
    pub text: ByteString,
}

/// A presence change of a user on this pod, for the other pods.
pub struct PresenceChange {
    pub user: UserKey,
    pub online: bool,
    /// The user came online or went offline for the whole cluster: friends are told.
    pub announce: bool,
    pub friends: Vec<Uuid>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What crosses from this pod to the others and to backend services.
pub trait Bus: Send + Sync {
    /// A frame for every device of `users` on the other pods, but connection `except`.
    fn to_users(&self, users: &[UserKey], except: Option<&str>, text: &ByteString);

    /// A group frame for the group's members on the other pods.
    fn to_group(&self, group: GroupKey, members: &HashSet<Uuid>, frame: &GroupFrame);

    /// Something every other pod must do (reload an actor, close sessions).
    fn to_all(&self, relay: Relay);

    /// A user's first session on this pod opened, or its last one closed.
    fn presence(&self, change: PresenceChange);

    /// Whether another pod holds a session of `user`.
    fn online_elsewhere(&self, user: &UserKey) -> bool;

    /// Whether all of `user`'s sessions on this pod have their app in the background (the
    /// push hand-off asks other pods this).
    fn background(&self, user: UserKey, background: bool);

    /// Which of `users` have a session whose app is in the foreground on another pod.
    fn foreground_elsewhere(&self, users: Vec<UserKey>) -> BoxFuture<'static, HashSet<UserKey>>;

    /// A backend push this pod delivered locally; other pods deliver it to theirs.
    fn push(&self, push: &Push);

    /// A client published on a topic: hand it to the services listening.
    fn client_published(&self, message: ClientPublish);

    /// Listens to client publishes (in-process consumers; tests).
    fn subscribe_client_publishes(&self) -> tokio::sync::broadcast::Receiver<ClientPublish>;

    /// `None` on a single node; in a cluster, whether this pod is connected to the bus.
    fn healthy(&self) -> Option<bool>;

    /// Leaves the cluster cleanly (drain); resolves once the others were told.
    fn leave(&self) -> Option<tokio::sync::oneshot::Receiver<()>>;

    /// The other pods this one knows, with how many users each holds.
    fn pods(&self) -> Vec<(String, usize)>;

    /// A session of this pod opened (with its record for the admin console) or closed
    /// (`None`).
    fn connection(&self, user: UserKey, connection_id: &str, record: Option<serde_json::Value>);

    /// The sessions of `user` on the other living pods, as they recorded them.
    fn remote_connections(&self, user: UserKey) -> BoxFuture<'static, Vec<serde_json::Value>>;

    /// The other living pods' descriptions, as their last heartbeat wrote them.
    fn pod_infos(&self) -> BoxFuture<'static, Vec<serde_json::Value>>;
}
