//! `edit`: the sender replaces a message's text. The new text passes a send's checks; the
//! rule (`operations::may_edit`) is checked on the message as stored, under its lock. Every
//! party's devices (the sender's other ones too) hear `edited`; the edit is never a message
//! of its own.

use std::sync::Arc;

use super::{fetch_message, parties, Invalid, Origin};
use crate::chat::input::check_send;
use crate::chat::rules::operations::may_edit;
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::{now_millis, AppState};
use crate::store::EditOutcome;

/// Checks the new text and sets the edit going; the answer comes through `origin`.
pub fn submit(
    state: &Arc<AppState>,
    origin: Origin,
    message_id: i64,
    content: String,
) -> Result<(), Invalid> {
    check_send(&content, None, &Default::default())?;
    actix_rt::spawn(run(state.clone(), origin, message_id, content));
    Ok(())
}

async fn run(state: Arc<AppState>, origin: Origin, message_id: i64, content: String) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    if !parties::visible(&state, &origin, &message).await {
        return;
    }
    let window = chrono::Duration::seconds(state.config.limits.edit_window_seconds as i64);
    let (me, at) = (origin.user_id, now_millis());
    let outcome = state
        .store
        .edit_message(origin.tenant_id, message_id, me, content, at, |m| {
            may_edit(me, m, at, window)
        })
        .await;
    let edited = match outcome {
        Ok(EditOutcome::Done(edited)) => edited,
        Ok(EditOutcome::NotFound) => return origin.fail(Code::NotFound),
        Ok(EditOutcome::Refused(code)) => return origin.fail(code),
        Err(_) => return origin.fail(Code::Unavailable),
    };
    let version = edited.edit_version();
    origin.reply(ServerFrame::Ack {
        id: origin.request_id.clone(),
        message_id: Some(Id(message_id)),
        send_time: None,
        edit_version: Some(version),
        edited_at: Some(at),
        message_ids: None,
        expires_in: None,
    });
    parties::tell(&state, origin.tenant_id, &edited, |peer| {
        ServerFrame::Edited {
            message_id: Id(message_id),
            group_id: parties::group_of(&edited),
            peer_user_id: peer,
            content: edited.content.clone(),
            edit_version: version,
            edited_at: at,
        }
    });
}
