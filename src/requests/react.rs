//! `react`: add or take back an emoji on a message the caller can see. Reactions go through
//! the reaction writer in batches; the limits (`operations::react`) are checked on the counts
//! inside the writing transaction. Every party hears `reaction` with the emoji's new count.

use std::sync::Arc;

use super::{fetch_message, parties, Invalid, Origin};
use crate::chat::rules::operations::{is_emoji, react};
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::{ReactionOutcome, ReactionWrite, STATE_RECALLED};

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
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    if !parties::visible(&state, &origin, &message).await {
        return;
    }
    if message.state == STATE_RECALLED {
        return origin.refuse(Code::Conflict, "a recalled message takes no reactions");
    }
    let write = ReactionWrite {
        tenant_id: origin.tenant_id,
        message_id,
        from: message.from,
        to: message.to,
        user: origin.user_id,
        emoji: emoji.clone(),
        add,
        rule: react,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.writer.react(write, move |outcome| {
        let _ = tx.send(outcome);
    });
    match rx.await {
        Ok(Ok(ReactionOutcome::Applied { count })) => {
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
        _ => origin.fail(Code::Unavailable),
    }
}
