//! `react`: add or take back an emoji on a message the caller can see. Reactions go through
//! the reaction writer in batches, which read their messages themselves (one query a batch, not
//! one a reaction); whether the caller sees the message (`operations::may_see`, on the groups
//! the user's actor holds), whether it was recalled and the limits (`operations::react`) are
//! checked inside the writing transaction. Every party hears `reaction` with the emoji's new
//! count.

use std::sync::Arc;

use super::{parties, Invalid, Origin};
use crate::actors::user::MyGroups;
use crate::chat::rules::operations::{is_emoji, may_see, react};
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::{ReactionOutcome, ReactionWrite};

/// Checks the emoji and sets the reaction going; the answer comes through `origin`.
pub fn submit(
    state: &Arc<AppState>,
    origin: Origin,
    message_id: i64,
    emoji: String,
    add: bool,
) -> Result<(), Invalid> {
    if !is_emoji(&emoji) {
        return Err(Invalid::bad(
            "emoji",
            "`emoji` must be one emoji or a `:name:` of letters, digits and `_`",
        ));
    }
    actix_rt::spawn(run(state.clone(), origin, message_id, emoji, add));
    Ok(())
}

async fn run(state: Arc<AppState>, origin: Origin, message_id: i64, emoji: String, add: bool) {
    let user = (origin.tenant_id, origin.user_id);
    let actor = state.delivery.supervisor.user(&state, user);
    let Ok(Some(groups)) = actor.send(MyGroups).await else {
        return origin.fail(Code::Unavailable);
    };
    let write = ReactionWrite {
        tenant_id: origin.tenant_id,
        message_id,
        user: origin.user_id,
        groups: groups.into(),
        see: |user, message, groups| may_see(user, message, groups).is_ok(),
        emoji: emoji.clone(),
        add,
        rule: react,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.writer.react(write, move |outcome| {
        let _ = tx.send(outcome);
    });
    match rx.await {
        Ok(Ok(ReactionOutcome::Applied { count, message })) => {
            origin.done();
            parties::tell(&state, origin.tenant_id, &message, |peer| {
                ServerFrame::Reaction {
                    message_id: Id(message_id),
                    group_id: parties::group_of(&message),
                    peer_user_id: peer,
                    emoji: emoji.clone(),
                    user_id: origin.user_id,
                    added: add,
                    count,
                }
            });
        }
        Ok(Ok(ReactionOutcome::Unchanged { .. })) => origin.done(),
        Ok(Ok(ReactionOutcome::Refused(reason))) => origin.refuse(Code::Conflict, reason),
        Ok(Ok(ReactionOutcome::Unseen)) => origin.fail(Code::NotFound),
        Ok(Ok(ReactionOutcome::Recalled)) => {
            origin.refuse(Code::Conflict, "a recalled message takes no reactions")
        }
        _ => origin.fail(Code::Unavailable),
    }
}
