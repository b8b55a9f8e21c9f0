//! How actors reach a session without waiting on it: a bounded mailbox and an overflow flag.
//! A session whose client does not read fills its mailbox; the next push marks it overflowed
//! and the session closes itself with 4008 (its messages wait in the database for `sync`).
//! Any actor that takes [`Push`] and [`CloseWith`] can be a session: the native WebSocket
//! session and the SignalR hub session both are.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;

use super::user::{Attach, Detach, UserActor};
use crate::state::AppState;

/// A frame (already serialized in the native protocol) for a session's client.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Push(pub ByteString);

/// Close a session with a code (1012 draining, 4003 kicked, …).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseWith(pub u16, pub String);

/// Where a connection comes from, kept for operators.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub since: chrono::DateTime<chrono::Utc>,
    pub remote_addr: String,
    pub user_agent: String,
}

/// A session as other actors see it: one shared allocation per session, so the pod's indexes
/// and the user actor hold a pointer each rather than a copy of every field and address.
#[derive(Clone)]
pub struct SessionHandle(Arc<SessionLink>);

/// What a [`SessionHandle`] points to.
pub struct SessionLink {
    pub connection_id: Arc<str>,
    pub tenant_id: Option<uuid::Uuid>,
    pub user_id: uuid::Uuid,
    /// The session (`sid`) the socket was opened in, or the key of its token when it has
    /// none: what logout and ended sessions close it by.
    pub close_key: Box<str>,
    /// The session (`sid`) the socket was opened in, if its token has one.
    pub session_id: Option<Box<str>>,
    /// When and from where the session was opened (the admin console shows it).
    pub info: ConnectionInfo,
    /// Where the commit order stood when the session opened, in a cluster: what was committed
    /// for the user after it and not delivered live is pushed once every pod has heard of the
    /// session (`cluster::arrivals`).
    pub arrived: Option<crate::store::SyncCursor>,
    pub push_to: Recipient<Push>,
    pub close_to: Recipient<CloseWith>,
    /// Set by the first push that finds the session's mailbox full.
    pub overflowed: AtomicBool,
    /// Set while the client says its app is in the background (`state` frame).
    pub background: AtomicBool,
}

impl std::ops::Deref for SessionHandle {
    type Target = SessionLink;
    fn deref(&self) -> &SessionLink {
        &self.0
    }
}

/// A session's handle, made on first use: the session actor's address exists only once it
/// runs, and it keeps where its client came from until then.
pub struct HandleSlot {
    info: Option<(ConnectionInfo, Option<crate::store::SyncCursor>)>,
    handle: Option<SessionHandle>,
}

impl HandleSlot {
    pub fn new(info: ConnectionInfo, arrived: Option<crate::store::SyncCursor>) -> Self {
        HandleSlot {
            info: Some((info, arrived)),
            handle: None,
        }
    }

    /// The session's handle, made from its address the first time.
    pub fn get<A>(
        &mut self,
        addr: impl FnOnce() -> Addr<A>,
        connection_id: &Arc<str>,
        identity: &crate::auth::Identity,
    ) -> SessionHandle
    where
        A: Handler<Push> + Handler<CloseWith>,
        A::Context: actix::dev::ToEnvelope<A, Push> + actix::dev::ToEnvelope<A, CloseWith>,
    {
        let info = &mut self.info;
        self.handle
            .get_or_insert_with(|| {
                let (info, arrived) = info.take().unwrap_or_default();
                SessionHandle::new(addr(), connection_id.clone(), identity, info, arrived)
            })
            .clone()
    }

    /// Whether a push found the session's queue full.
    pub fn is_overflowed(&self) -> bool {
        self.handle
            .as_ref()
            .is_some_and(SessionHandle::is_overflowed)
    }
}

impl SessionHandle {
    /// The handle of a session actor that has just started.
    pub fn new<A>(
        addr: Addr<A>,
        connection_id: Arc<str>,
        identity: &crate::auth::Identity,
        info: ConnectionInfo,
        arrived: Option<crate::store::SyncCursor>,
    ) -> Self
    where
        A: Handler<Push> + Handler<CloseWith>,
        A::Context: actix::dev::ToEnvelope<A, Push> + actix::dev::ToEnvelope<A, CloseWith>,
    {
        SessionHandle(Arc::new(SessionLink {
            connection_id,
            tenant_id: identity.tenant_id,
            user_id: identity.user_id,
            close_key: identity.close_key().into(),
            session_id: identity.session_id.as_deref().map(Into::into),
            info,
            arrived,
            push_to: addr.clone().recipient(),
            close_to: addr.recipient(),
            overflowed: AtomicBool::new(false),
            background: AtomicBool::new(false),
        }))
    }

    /// Queues a frame (already serialized: the same bytes go to every recipient). Returns false
    /// when the session is gone or too slow; a slow one is marked to close.
    pub fn push(&self, text: ByteString) -> bool {
        match self.push_to.try_send(Push(text)) {
            Ok(()) => true,
            Err(SendError::Full(_)) => {
                // Wake it once, past the full mailbox, so it can close; later pushes only fail.
                if !self.overflowed.swap(true, Ordering::AcqRel) {
                    self.push_to.do_send(Push(ByteString::new()));
                }
                false
            }
            Err(SendError::Closed(_)) => false,
        }
    }

    /// Asks the session to close with `code`.
    pub fn close(&self, code: u16, reason: String) {
        self.close_to.do_send(CloseWith(code, reason));
    }

    /// Whether a push found this session's queue full.
    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    /// Whether the client's app is in the foreground (as it last said; yes until it says).
    pub fn is_foreground(&self) -> bool {
        !self.background.load(Ordering::Acquire)
    }

    /// Records what the client said of its app: in the foreground or not.
    pub fn set_foreground(&self, foreground: bool) {
        self.background.store(!foreground, Ordering::Release);
    }

    /// Makes the new session known (to the pod's index, the cluster and its user's actor) and
    /// returns the user's actor. A session calls it when it starts, and again to re-join an
    /// actor that died.
    pub fn join(&self, state: &Arc<AppState>, first: bool) -> Addr<UserActor> {
        let key = (self.tenant_id, self.user_id);
        if first {
            let record = Some(self.record(&state.node_name));
            state
                .delivery
                .bus
                .connection(key, &self.connection_id, record);
            state.delivery.supervisor.add_connection(self.clone());
            // Online from the first frame on; the user actor keeps the flag from here.
            state.delivery.supervisor.set_online(key, true);
            state.delivery.foreground_changed(state, &key);
            if let Some(session) = &self.session_id {
                state
                    .writer
                    .seen(session.to_string(), self.info.remote_addr.clone());
            }
        }
        let addr = state.delivery.supervisor.user(state, key);
        addr.do_send(Attach(self.clone()));
        addr
    }

    /// The session's record for the admin console: where and since when it is connected.
    pub fn record(&self, node: &str) -> serde_json::Value {
        serde_json::json!({
            "node": node,
            "connectionId": &*self.connection_id,
            "userId": self.user_id,
            "tenantId": self.tenant_id,
            "since": self.info.since,
            "remoteAddr": self.info.remote_addr,
            "userAgent": self.info.user_agent,
            "sessionId": self.session_id.as_deref(),
        })
    }

    /// Forgets a closed session everywhere `join` made it known.
    pub fn leave(&self, state: &AppState) {
        state
            .delivery
            .supervisor
            .remove_connection(&self.connection_id);
        let key = (self.tenant_id, self.user_id);
        state
            .delivery
            .bus
            .connection(key, &self.connection_id, None);
        // The user's actor now: the one this session joined may have died and been replaced.
        if let Some(user) = state.delivery.supervisor.running_user(&key) {
            user.do_send(Detach(self.connection_id.clone()));
        }
        state.delivery.foreground_changed(state, &key);
    }

    /// The client says its app went to the background (or came back).
    pub fn app_state(&self, state: &AppState, foreground: bool) {
        self.set_foreground(foreground);
        state
            .delivery
            .foreground_changed(state, &(self.tenant_id, self.user_id));
    }
}

/// The ids of the messages a new session was sent, kept while it may be caught up
/// (`cluster::arrivals`), so that a message it has is not sent again.
pub struct FreshIds {
    until: std::time::Instant,
    ids: Option<std::collections::HashSet<i64>>,
}

/// How long a session keeps the ids: a little longer than it may be caught up
/// (`user::CATCH_UP_WITHIN`).
const FRESH: std::time::Duration = std::time::Duration::from_secs(12);

impl FreshIds {
    /// The record of a new session; `None` for one that will never be caught up (a single
    /// node has no other pods to hear of it), which keeps nothing.
    pub fn new(catch_up: bool) -> Self {
        FreshIds {
            until: std::time::Instant::now() + FRESH,
            ids: catch_up.then(Default::default),
        }
    }

    /// Whether the session should get `text`: false for a `message` frame it already got.
    pub fn admit(&mut self, text: &str) -> bool {
        let Some(ids) = &mut self.ids else {
            return true;
        };
        if std::time::Instant::now() > self.until {
            self.ids = None;
            return true;
        }
        match message_id(text) {
            Some(id) => ids.insert(id),
            None => true,
        }
    }
}

/// The id of a serialized `message` frame.
fn message_id(text: &str) -> Option<i64> {
    let rest = text.strip_prefix("{\"type\":\"message\"")?;
    let at = rest.find("\"messageId\":\"")? + "\"messageId\":\"".len();
    let digits = &rest[at..];
    let end = digits.find('"')?;
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_session_gets_each_message_once() {
        let mut fresh = FreshIds::new(true);
        let m = r#"{"type":"message","message":{"messageId":"42","content":"x"}}"#;
        assert!(fresh.admit(m));
        assert!(!fresh.admit(m), "the same message again");
        assert!(fresh.admit(r#"{"type":"typing","userId":"u"}"#));
        assert!(fresh.admit(&m.replace("42", "43")));
        fresh.until = std::time::Instant::now() - std::time::Duration::from_secs(1);
        assert!(fresh.admit(m), "after the window, nothing is held back");
    }
}
