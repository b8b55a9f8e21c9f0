//! `read`: mark a conversation read up to a message. The sender of a private message hears
//! `read` on every device, and so do the reader's other devices (their unread badges agree).

use std::sync::Arc;

use super::{fetch_message, Origin};
use crate::actors::user::MyGroups;
use crate::chat::rules::messages::may_read;
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::Conversation;

/// Marks `message_id` (and all before it in its conversation) read for `origin`.
pub async fn run(state: Arc<AppState>, origin: Origin, message_id: i64) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    let me = origin.user_id;
    let groups = match message.to {
        Conversation::Group(_) => {
            let user = state
                .delivery
                .supervisor
                .user(&state, (origin.tenant_id, me));
            match user.send(MyGroups).await {
                Ok(Some(groups)) => groups.into_iter().map(|(g, _)| g).collect(),
                _ => Vec::new(),
            }
        }
        Conversation::User(_) => Vec::new(),
    };
    let scope = match may_read(me, message.from, message.to, &groups) {
        Ok(scope) => scope,
        Err(code) => return origin.fail(code),
    };
    if state
        .store
        .mark_read(origin.tenant_id, me, scope.conversation, message.message_id)
        .await
        .is_err()
    {
        return origin.fail(Code::Unavailable);
    }
    origin.done();
    let (peer_user_id, group_id) = match scope.conversation {
        Conversation::User(peer) => (Some(peer), None),
        Conversation::Group(group) => (None, Some(Id(group))),
    };
    let mine = ServerFrame::Read {
        message_id: Id(message.message_id),
        reader_user_id: me,
        group_id,
        peer_user_id,
    };
    let except = origin.connection_id();
    state
        .delivery
        .deliver(&[(origin.tenant_id, me)], &mine.to_text(), except.as_ref());
    if let Some(sender) = scope.notify {
        let frame = ServerFrame::Read {
            message_id: Id(message.message_id),
            reader_user_id: me,
            group_id: None,
            peer_user_id: Some(me),
        };
        state
            .delivery
            .deliver(&[(origin.tenant_id, sender)], &frame.to_text(), None);
    }
}
