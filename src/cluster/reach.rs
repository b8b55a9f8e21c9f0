//! Reaching users wherever they are connected: this pod's actors at once, and the other pods
//! through the bus. Handlers and actors call these instead of the supervisor when what they
//! send must hold cluster-wide.

use std::sync::Arc;

use bytestring::ByteString;

use super::Relay;
use crate::actors::user::CloseSessions;
use crate::actors::{GroupKey, UserKey};
use crate::protocol::ServerFrame;
use crate::state::AppState;

impl AppState {
    /// A frame for every device of `users`, on every pod, but connection `except`.
    pub fn deliver(&self, users: &[UserKey], text: &ByteString, except: Option<&Arc<str>>) {
        for user in users {
            self.supervisor.push_to_user(user, text, except);
        }
        self.bus.to_users(users, except.map(|e| &**e), text);
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

    /// Closes a user's sessions on every pod — all of them, or those opened with one token.
    pub fn close_sessions(&self, user: &UserKey, token_key: Option<&str>, code: u16, reason: &str) {
        if let Some(addr) = self.supervisor.running_user(user) {
            addr.do_send(CloseSessions {
                token_key: token_key.map(str::to_string),
                code,
                reason: reason.to_string(),
            });
        }
        self.bus.to_all(Relay::Close {
            user: *user,
            token_key: token_key.map(str::to_string),
            code,
            reason: reason.to_string(),
        });
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
}
