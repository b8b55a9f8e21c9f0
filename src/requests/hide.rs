//! `hide` ("delete for me"): a message the caller can see leaves their history, sync and
//! conversation list on every device; nobody else is affected. The caller's other devices
//! hear `hidden`.

use std::sync::Arc;

use super::{fetch_message, parties, Origin};
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;

/// Hides `message_id` from `origin`'s user.
pub async fn run(state: Arc<AppState>, origin: Origin, message_id: i64) {
    let Some(message) = fetch_message(&state, &origin, message_id).await else {
        return;
    };
    if !parties::visible(&state, &origin, &message).await {
        return;
    }
    let me = (origin.tenant_id, origin.user_id);
    match state.store.hide_message(me.0, me.1, &message).await {
        Ok(newly) => {
            origin.done();
            if newly {
                let text = ServerFrame::Hidden {
                    message_id: Id(message_id),
                }
                .to_text();
                let except = origin.connection_id();
                state.delivery.deliver(&[me], &text, except.as_ref());
            }
        }
        Err(_) => origin.fail(Code::Unavailable),
    }
}
