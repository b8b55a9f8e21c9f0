//! `typing`: "typing…" to a user or to a group's other online members. Nothing is stored. To
//! a user it follows the private-send rule (the receiver's actor checks it); to a group, only
//! a member's reaches the others.

use std::sync::Arc;

use uuid::Uuid;

use super::{conversation, Invalid, Origin};
use crate::actors::group::TypingInGroup;
use crate::actors::user::TypingPrivate;
use crate::state::AppState;
use crate::store::Conversation;

/// Hands `typing` to the receiver's actor. A caller that awaits an answer gets one: at once
/// for a group, from the receiver's actor for a user.
pub fn submit(
    state: &Arc<AppState>,
    origin: Origin,
    to_user_id: Option<Uuid>,
    group_id: Option<i64>,
) -> Result<(), Invalid> {
    let tenant = origin.tenant_id;
    match conversation(to_user_id, group_id, "typing")? {
        Conversation::User(to) => state
            .delivery
            .supervisor
            .user(state, (tenant, to))
            .do_send(TypingPrivate { origin }),
        Conversation::Group(group) => {
            state
                .delivery
                .supervisor
                .group(state, (tenant, group))
                .do_send(TypingInGroup(origin.user_id));
            if origin.awaits() {
                origin.done();
            }
        }
    }
    Ok(())
}
