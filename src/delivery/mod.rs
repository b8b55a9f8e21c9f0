//! Delivery: the one service that reaches users wherever they are connected. It owns the
//! supervisor (this pod's actors and sessions) and the bus (the other pods), and answers
//! "reach these users / this group / this connection / everyone, on any pod": this pod's
//! sessions at once, the other pods through one publish each. Handlers and actors call it
//! instead of the supervisor or the bus when what they send must hold cluster-wide. What
//! arrives from other pods comes in through [`ThisPod`].

mod this_pod;

use std::sync::Arc;

use bytestring::ByteString;

pub use this_pod::ThisPod;

use crate::actors::user::{CloseSessions, CountedDeliver};
use crate::actors::Supervisor;
use crate::cluster::{Bus, Push, PushTarget, Relay};
use crate::keys::{GroupKey, UserKey};
use crate::protocol::ServerFrame;

/// The delivery service.
pub struct Delivery {
    /// This pod's actors and sessions.
    pub supervisor: Supervisor,
    /// The other pods and the backend services.
    pub bus: Box<dyn Bus>,
}

impl Delivery {
    pub fn new(bus: Box<dyn Bus>) -> Self {
        Delivery {
            supervisor: Supervisor::default(),
            bus,
        }
    }

    /// A frame for every device of `users`, on every pod, but connection `except`.
    pub fn deliver(&self, users: &[UserKey], text: &ByteString, except: Option<&Arc<str>>) {
        self.deliver_here(users, text, except);
        self.bus.to_users(users, except.map(|e| &**e), text);
    }

    /// A frame for every device of `users` on this pod, but connection `except`.
    pub fn deliver_here(&self, users: &[UserKey], text: &ByteString, except: Option<&Arc<str>>) {
        for user in users {
            self.supervisor.push_to_user(user, text, except);
        }
    }

    /// A `notice` (kind and data) for every device of a user. Notices are rare and `sync`
    /// does not bring them back, so they go to every pod rather than to those the directory
    /// names: a device that connected a moment ago elsewhere does not miss one.
    pub fn notify(&self, user: &UserKey, kind: &str, data: serde_json::Value) {
        let text = ServerFrame::Notice {
            kind: kind.to_string(),
            data,
        }
        .to_text();
        self.supervisor.push_to_user(user, &text, None);
        self.bus.to_all(Relay::Users {
            users: vec![*user],
            except: None,
            text: text.to_string(),
        });
    }

    /// A user's facts changed in the database: every pod's running actor loads them again.
    pub fn reload_user(&self, user: &UserKey) {
        self.supervisor.reload_user(user);
        self.bus.to_all(Relay::ReloadUser { user: *user });
    }

    /// A group's facts changed in the database: every pod's running actor loads them again.
    pub fn reload_group(&self, group: &GroupKey) {
        self.supervisor.reload_group(group);
        self.bus.to_all(Relay::ReloadGroup { group: *group });
    }

    /// Whether the user has a session on any pod.
    pub fn is_online(&self, user: &UserKey) -> bool {
        self.supervisor.is_online(user) || self.bus.online_elsewhere(user)
    }

    /// A session of `user` here opened, closed or said where its app is: the other pods'
    /// push hand-off learns whether all of the user's sessions here are in the background.
    pub fn foreground_changed(&self, state: &crate::state::AppState, user: &UserKey) {
        if state.push_jobs.enabled() {
            let background =
                self.supervisor.has_sessions(user) && !self.supervisor.in_foreground(user);
            self.bus.background(*user, background);
        }
    }

    /// Closes a user's sockets on every pod (which ones: `close`).
    pub fn close_sessions(&self, user: &UserKey, close: CloseSessions) {
        self.close_sessions_here(user, close.clone());
        self.bus.to_all(Relay::Close { user: *user, close });
    }

    /// Closes a user's sockets on this pod.
    pub(crate) fn close_sessions_here(&self, user: &UserKey, close: CloseSessions) {
        if let Some(addr) = self.supervisor.running_user(user) {
            addr.do_send(close);
        }
    }

    /// A frame for every session (of `tenant`) on every pod; returns how many of this pod's
    /// sessions it reached.
    pub fn push_to_everyone(&self, tenant: Option<uuid::Uuid>, text: &ByteString) -> usize {
        self.bus.to_all(Relay::Everyone {
            tenant,
            text: text.to_string(),
        });
        self.push_to_everyone_here(tenant, text)
    }

    /// A frame for every session (of `tenant`) on this pod.
    pub fn push_to_everyone_here(&self, tenant: Option<uuid::Uuid>, text: &ByteString) -> usize {
        self.supervisor
            .connections()
            .into_iter()
            .filter(|s| s.tenant_id == tenant)
            .filter(|s| s.push(text.clone()))
            .count()
    }

    /// Tells every client of this pod that live delivery may have missed messages (the bus
    /// was interrupted): a `notice` of kind `sync`, after which the client syncs.
    pub fn tell_sessions_to_sync(&self, reason: &str) {
        let text = ServerFrame::Notice {
            kind: "sync".into(),
            data: serde_json::json!({ "reason": reason }),
        }
        .to_text();
        for session in self.supervisor.connections() {
            session.push(text.clone());
        }
    }

    /// Where the commit order stands as a session opens, when other pods may not know of it
    /// yet (a cluster): what is committed after it may be pushed to the session later
    /// (`cluster::arrivals`). `None` on a single node, or when the database does not answer
    /// (the session then relies on its `sync`).
    pub async fn arrival_point(
        &self,
        store: &crate::store::Store,
    ) -> Option<crate::store::SyncCursor> {
        self.bus.healthy()?;
        store.commit_point().await.ok()
    }

    /// Delivers a backend push to this pod's sessions; returns how many it reached.
    pub async fn push_here(&self, push: &Push) -> usize {
        let text = ServerFrame::Event {
            method: push.method.clone(),
            data: push.data.clone(),
        }
        .to_text();
        match &push.target {
            PushTarget::Broadcast { tenant_id } => self
                .supervisor
                .connections()
                .into_iter()
                .filter(|s| tenant_id.is_none() || s.tenant_id == *tenant_id)
                .filter(|s| s.push(text.clone()))
                .count(),
            PushTarget::User { tenant_id, user_id } => {
                match self.supervisor.running_user(&(*tenant_id, *user_id)) {
                    Some(addr) => addr.send(CountedDeliver(text)).await.unwrap_or(0),
                    None => 0,
                }
            }
            PushTarget::Connection {
                connection_id,
                only_tenant,
            } => self
                .supervisor
                .connection(connection_id)
                .filter(|s| only_tenant.is_none_or(|t| s.tenant_id == t.0))
                .map(|s| usize::from(s.push(text)))
                .unwrap_or(0),
        }
    }
}
