//! The in-process bus of a single node: there are no other pods to reach, and client
//! publishes go to in-process subscribers.

use bytestring::ByteString;
use futures_util::future::BoxFuture;
use std::collections::HashSet;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{Bus, ClientPublish, GroupFrame, PresenceChange, Push, Relay};
use crate::keys::{GroupKey, UserKey};

/// The single-node bus.
pub struct LocalBus {
    published: broadcast::Sender<ClientPublish>,
}

impl Default for LocalBus {
    fn default() -> Self {
        LocalBus {
            published: broadcast::channel(1024).0,
        }
    }
}

impl Bus for LocalBus {
    fn to_users(&self, _: &[UserKey], _: Option<&str>, _: &ByteString) {}

    fn to_group(&self, _: GroupKey, _: &HashSet<Uuid>, _: &GroupFrame) {}

    fn to_all(&self, _: Relay) {}

    fn presence(&self, _: PresenceChange) {}

    fn online_elsewhere(&self, _: &UserKey) -> bool {
        false
    }

    fn background(&self, _: UserKey, _: bool) {}

    fn foreground_elsewhere(&self, _: Vec<UserKey>) -> BoxFuture<'static, HashSet<UserKey>> {
        Box::pin(async { HashSet::new() })
    }

    fn push(&self, _: &Push) {}

    fn client_published(&self, message: ClientPublish) {
        let _ = self.published.send(message);
    }

    fn subscribe_client_publishes(&self) -> broadcast::Receiver<ClientPublish> {
        self.published.subscribe()
    }

    fn healthy(&self) -> Option<bool> {
        None
    }

    fn leave(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        None
    }

    fn pods(&self) -> Vec<(String, usize)> {
        Vec::new()
    }

    fn connection(&self, _: UserKey, _: &str, _: Option<serde_json::Value>) {}

    fn remote_connections(&self, _: UserKey) -> BoxFuture<'static, Vec<serde_json::Value>> {
        Box::pin(async { Vec::new() })
    }

    fn pod_infos(&self) -> BoxFuture<'static, Vec<serde_json::Value>> {
        Box::pin(async { Vec::new() })
    }
}
