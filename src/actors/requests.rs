//! The requests a client makes about a stored message — recall and read — carried out the
//! same way whichever protocol adapter (native WebSocket, SignalR hub) received them. The
//! answer goes back through the request's [`Origin`].

use std::sync::Arc;

use actix::prelude::*;
use chrono::Utc;

use super::group::RecallInGroup;
use super::user::{MyGroups, Origin, UserActor};
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::{Conversation, StoredMessage};

/// Recalls `message_id` for `origin`: a group's actor checks group messages; a private one
/// may be recalled by its sender within the recall window. Both parties hear of it.
pub async fn recall(state: Arc<AppState>, origin: Origin, message_id: Id) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    match message.to {
        Conversation::Group(group) => state
            .supervisor
            .group(&state, (origin.tenant_id, group))
            .do_send(RecallInGroup { origin, message }),
        Conversation::User(to) => recall_private(&state, origin, message, to).await,
    }
}

/// Marks `message_id` (and all before it in its conversation) read for `origin`; the sender
/// of a private message hears of it.
pub async fn read(
    state: Arc<AppState>,
    origin: Origin,
    user_addr: Option<Addr<UserActor>>,
    message_id: Id,
) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    let me = origin.user_id;
    let (conversation, notify) = match message.to {
        Conversation::User(to) if to == me => (
            Conversation::User(message.from.unwrap_or_default()),
            message.from,
        ),
        Conversation::User(to) if message.from == Some(me) => (Conversation::User(to), None),
        Conversation::User(_) => return origin.fail(Code::NotFound),
        Conversation::Group(group) => {
            let member = match &user_addr {
                Some(addr) => addr
                    .send(MyGroups)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|g| g.iter().any(|(id, _)| *id == group)),
                None => false,
            };
            if !member {
                return origin.fail(Code::NotGroupMember);
            }
            (Conversation::Group(group), None)
        }
    };
    if state
        .store
        .mark_read(origin.tenant_id, me, conversation, message.message_id)
        .await
        .is_err()
    {
        return origin.fail(Code::Unavailable);
    }
    origin.done();
    if let Some(sender) = notify.filter(|s| *s != me) {
        let frame = ServerFrame::Read {
            message_id: Id(message.message_id),
            reader_user_id: me,
            group_id: None,
            peer_user_id: Some(me),
        };
        state.deliver(&[(origin.tenant_id, sender)], &frame.to_text(), None);
    }
}

/// The message a request names, or the request answered with why there is none.
async fn fetch_message(state: &AppState, origin: &Origin, message_id: Id) -> Option<StoredMessage> {
    match state
        .store
        .find_message(origin.tenant_id, message_id.0)
        .await
    {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            origin.fail(Code::NotFound);
            None
        }
        Err(_) => {
            origin.fail(Code::Unavailable);
            None
        }
    }
}

async fn recall_private(
    state: &Arc<AppState>,
    origin: Origin,
    message: StoredMessage,
    to: uuid::Uuid,
) {
    let me = origin.user_id;
    if message.from != Some(me) {
        return origin.fail(if to == me {
            Code::Forbidden
        } else {
            Code::NotFound
        });
    }
    let window = chrono::Duration::seconds(state.config.limits.recall_window_seconds as i64);
    if Utc::now() - message.send_time > window {
        return origin.fail(Code::RecallWindowPassed);
    }
    if state
        .store
        .recall_message(message.message_id, message.to)
        .await
        .is_err()
    {
        return origin.fail(Code::Unavailable);
    }
    origin.done();
    for (user, peer) in [(to, me), (me, to)] {
        let frame = ServerFrame::Recalled {
            message_id: Id(message.message_id),
            group_id: None,
            peer_user_id: Some(peer),
            by_user_id: me,
            by_user_name: Some(origin.user_name.clone()),
        };
        state.deliver(&[(origin.tenant_id, user)], &frame.to_text(), None);
    }
}
