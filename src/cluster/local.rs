//! The in-process bus of a single node: there are no other pods to reach, and client
//! publishes go to in-process subscribers.

use tokio::sync::broadcast;

use super::{Bus, ClientPublish, Push};

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
    fn push(&self, _: &Push) {}

    fn client_published(&self, message: ClientPublish) {
        let _ = self.published.send(message);
    }

    fn subscribe_client_publishes(&self) -> broadcast::Receiver<ClientPublish> {
        self.published.subscribe()
    }
}
