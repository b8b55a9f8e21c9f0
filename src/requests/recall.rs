//! `recall`: take a message back. A group message goes to the group's actor, which decides on
//! the facts it holds; a private one is decided here. Every party hears `recalled`.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::{fetch_message, Origin};
use crate::actors::group::RecallInGroup;
use crate::chat::rules::messages::may_recall_private;
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::{Conversation, StoredMessage};

/// Recalls `message_id` for `origin`; the answer comes through `origin`.
pub async fn run(state: Arc<AppState>, origin: Origin, message_id: i64) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    let to = match message.to {
        Conversation::Group(group) => {
            return state
                .delivery
                .supervisor
                .group(&state, (origin.tenant_id, group))
                .do_send(RecallInGroup { origin, message })
        }
        Conversation::User(to) => to,
    };
    let window = chrono::Duration::seconds(state.config.limits.recall_window_seconds as i64);
    let me = origin.user_id;
    if let Err(code) =
        may_recall_private(me, message.from, to, message.send_time, Utc::now(), window)
    {
        return origin.fail(code);
    }
    if state.store.recall_message(&message).await.is_err() {
        return origin.fail(Code::Unavailable);
    }
    origin.done();
    announce(
        &state,
        origin.tenant_id,
        &message,
        me,
        Some(origin.user_name.clone()),
    );
}

/// Tells every party of a recalled message (each device of both users, or the group's
/// members on every pod) that `by` took it back.
pub fn announce(
    state: &Arc<AppState>,
    tenant: Option<Uuid>,
    message: &StoredMessage,
    by: Uuid,
    by_name: Option<String>,
) {
    super::parties::tell(state, tenant, message, |peer| ServerFrame::Recalled {
        message_id: Id(message.message_id),
        group_id: super::parties::group_of(message),
        peer_user_id: peer,
        by_user_id: by,
        by_user_name: by_name.clone(),
    });
}
