//! `read`: mark a conversation read up to a message. The reader's other devices hear `read`
//! (their unread badges agree); so does the sender of a private message, and, in a group of
//! at most `limits.receipt_group_max` members, every other member (paced by the group's
//! actor) — unless the reader turned `shareReadReceipts` off.

use std::sync::Arc;

use super::{fetch_message, Origin};
use crate::actors::group::ReadBy;
use crate::actors::user::{MyGroups, SharesReceipts};
use crate::chat::rules::messages::may_read;
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::{Conversation, ReadMark};

/// Marks `message_id` (and all before it in its conversation) read for `origin`.
pub async fn run(state: Arc<AppState>, origin: Origin, message_id: i64) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    let me = origin.user_id;
    let user = state
        .delivery
        .supervisor
        .user(&state, (origin.tenant_id, me));
    let groups = match message.to {
        Conversation::Group(_) => match user.send(MyGroups).await {
            Ok(Some(groups)) => groups.into_iter().map(|(g, _)| g).collect(),
            _ => Vec::new(),
        },
        Conversation::User(_) => Vec::new(),
    };
    let scope = match may_read(me, message.from, message.to, &groups) {
        Ok(scope) => scope,
        Err(code) => return origin.fail(code),
    };
    let mark = ReadMark {
        tenant_id: origin.tenant_id,
        user: me,
        with: scope.conversation,
        message_id: message.message_id,
    };
    let (done, written) = tokio::sync::oneshot::channel();
    state.writer.read(mark, move |outcome| {
        let _ = done.send(outcome);
    });
    if !matches!(written.await, Ok(Ok(()))) {
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
    // Unknown (the facts are loading): shown, as by default.
    if user.send(SharesReceipts).await.ok().flatten() == Some(false) {
        return;
    }
    if let Conversation::Group(group) = scope.conversation {
        state
            .delivery
            .supervisor
            .group(&state, (origin.tenant_id, group))
            .do_send(ReadBy {
                reader: me,
                message_id: message.message_id,
            });
    }
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
