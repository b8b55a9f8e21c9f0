//! This pod's actors and sessions as the bus sees them (`cluster::Pod`): what another pod or
//! a backend service sends here is carried out on them.

use std::collections::HashSet;
use std::sync::Arc;

use bytestring::ByteString;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::actors::user::{CloseSessions, FriendsGone};
use crate::cluster::{GroupFrame, Pod, PodCounts, Push};
use crate::keys::{GroupKey, UserKey};
use crate::protocol::ServerFrame;
use crate::state::AppState;

/// The pod, for the bus: the shared state it acts on (actors start with it).
pub struct ThisPod(pub Arc<AppState>);

impl Pod for ThisPod {
    fn to_users(&self, users: &[UserKey], except: Option<&Arc<str>>, text: &ByteString) {
        self.0.delivery.deliver_here(users, text, except);
    }

    fn to_group(&self, group: GroupKey, frame: GroupFrame) {
        let state = &self.0;
        state.delivery.supervisor.group(state, group).do_send(frame);
    }

    fn to_everyone(&self, tenant: Option<Uuid>, text: &ByteString) -> usize {
        self.0.delivery.push_to_everyone_here(tenant, text)
    }

    fn push(&self, push: Push) {
        let state = self.0.clone();
        actix_rt::spawn(async move {
            state.delivery.push_here(&push).await;
        });
    }

    fn publish_notification(&self, payload: Vec<u8>) {
        let publication = match serde_json::from_slice::<crate::notifications::Publication>(
            &payload,
        ) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "a notification on Redis that is not {{name, data, …}}, dropped");
                return;
            }
        };
        let state = self.0.clone();
        actix_rt::spawn(async move {
            if let Err(e) = crate::notifications::publish(&state, publication).await {
                tracing::warn!(code = e.code.as_str(), message = %e.message, "a notification on Redis was refused");
            }
        });
    }

    fn friend_presence(&self, user: UserKey, online: bool, at: DateTime<Utc>, friends: &[Uuid]) {
        let supervisor = &self.0.delivery.supervisor;
        if supervisor.is_online(&user) {
            return;
        }
        let text = ServerFrame::Presence {
            user_id: user.1,
            online,
            last_online_time: at,
        }
        .to_text();
        for friend in friends {
            supervisor.push_to_user(&(user.0, *friend), &text, None);
        }
    }

    fn friends_gone(&self, gone: Arc<HashSet<UserKey>>, record: bool) {
        for addr in self.0.delivery.supervisor.running_users() {
            addr.do_send(FriendsGone(gone.clone()));
        }
        if record {
            let at = Utc::now();
            for (tenant, user) in gone.iter() {
                self.0.writer.presence(crate::store::PresenceWrite {
                    tenant_id: *tenant,
                    user_id: *user,
                    online: false,
                    at,
                });
            }
        }
    }

    fn reload_user(&self, user: &UserKey) {
        self.0.delivery.supervisor.reload_user(user);
    }

    fn reload_group(&self, group: &GroupKey) {
        self.0.delivery.supervisor.reload_group(group);
    }

    fn close_sessions(&self, user: &UserKey, close: CloseSessions) {
        self.0.delivery.close_sessions_here(user, close);
    }

    fn tell_sessions_to_sync(&self, reason: &str) {
        self.0.delivery.tell_sessions_to_sync(reason);
    }

    fn has_session(&self, user: &UserKey) -> bool {
        self.0.delivery.supervisor.is_online(user)
    }

    fn online_users(&self) -> Vec<UserKey> {
        self.0.delivery.supervisor.online_users()
    }

    fn catch_up(&self, user: UserKey) {
        if let Some(addr) = self.0.delivery.supervisor.running_user(&user) {
            addr.do_send(crate::actors::user::CatchUp);
        }
    }

    fn history(&self) -> Vec<crate::history::Sample> {
        self.0.history.samples()
    }

    fn counts(&self) -> PodCounts {
        let supervisor = &self.0.delivery.supervisor;
        let (connections, user_actors, group_actors, actor_restarts) = supervisor.counts();
        PodCounts {
            connections,
            online_users: supervisor.online_count(),
            user_actors,
            group_actors,
            actor_restarts,
        }
    }
}
