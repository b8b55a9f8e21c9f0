//! `forward`: copies of messages the caller can read, sent into one conversation as new
//! messages in the order asked. Each copy is a send (the conversation's rules, the group's
//! or the user's actor, the group-commit writer) that names its original (`forwardedFrom`);
//! the request is answered once, with the copies' ids. With a `clientMsgId` the copies carry
//! the keys `<key>:<n>`, so a forward retried after a failure stores each copy once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::{conversation, Draft, Invalid, Origin, ReplyTo};
use crate::actors::user::MyGroups;
use crate::chat::input::{check_send, strip_server_keys, MAX_CLIENT_MSG_ID};
use crate::chat::rules::operations::may_forward;
use crate::protocol::{Code, ServerFrame};
use crate::state::AppState;
use crate::store::{Conversation, StoredMessage};

/// The most messages one forward copies.
pub const MAX_FORWARD: usize = 100;

/// How long a forward waits for its copies' acks.
const COPIES_TIMEOUT: Duration = Duration::from_secs(30);

/// A forward, as every protocol decodes it.
pub struct ForwardRequest {
    pub message_ids: Vec<i64>,
    pub to_user_id: Option<Uuid>,
    pub group_id: Option<i64>,
    pub client_msg_id: Option<String>,
}

impl From<crate::protocol::ForwardFrame> for ForwardRequest {
    /// The native protocol's `forward` frame (also the HTTP route's body).
    fn from(f: crate::protocol::ForwardFrame) -> Self {
        ForwardRequest {
            message_ids: f.message_ids.into_iter().map(|id| id.0).collect(),
            to_user_id: f.target.to_user_id,
            group_id: f.target.group_id.map(|g| g.0),
            client_msg_id: f.client_msg_id,
        }
    }
}

/// Checks `forward` and sets it going; the answer comes through `origin`.
pub fn submit(
    state: &Arc<AppState>,
    origin: Origin,
    forward: ForwardRequest,
) -> Result<(), Invalid> {
    let ids = &forward.message_ids;
    if ids.is_empty() || ids.len() > MAX_FORWARD {
        return Err(Invalid::bad(
            "messageIds",
            format!("`messageIds` must name 1 to {MAX_FORWARD} messages"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(Invalid::bad(
            "messageIds",
            "`messageIds` names a message twice",
        ));
    }
    let key_max = MAX_CLIENT_MSG_ID - 4;
    if forward
        .client_msg_id
        .as_deref()
        .is_some_and(|k| k.is_empty() || k.len() > key_max)
    {
        return Err(Invalid::bad(
            "clientMsgId",
            format!("a forward's `clientMsgId` must have 1 to {key_max} characters"),
        ));
    }
    let to = conversation(forward.to_user_id, forward.group_id, "forward")?;
    actix_rt::spawn(run(state.clone(), origin, forward, to));
    Ok(())
}

/// Reads the originals, checks each, sends the copies and answers with their ids.
async fn run(state: Arc<AppState>, origin: Origin, forward: ForwardRequest, to: Conversation) {
    let drafts = match drafts(&state, &origin, &forward).await {
        Ok(drafts) => drafts,
        Err(code) => return origin.fail(code),
    };
    // One actor takes the copies in the order sent: their ids follow that order.
    let mut answers = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let (reply_to, answer) = ReplyTo::waiter();
        let copy = Origin {
            reply_to,
            request_id: None,
            ..origin.clone()
        };
        state.delivery.supervisor.send(&state, copy, to, draft);
        answers.push(answer);
    }
    let mut ids = Vec::with_capacity(answers.len());
    for answer in answers {
        match tokio::time::timeout(COPIES_TIMEOUT, answer).await {
            Ok(Ok(ServerFrame::Ack {
                message_id: Some(id),
                ..
            })) => ids.push(id),
            Ok(Ok(ServerFrame::Error { code, message, .. })) => {
                return origin.refuse(code, &message)
            }
            _ => return origin.fail(Code::Unavailable),
        }
    }
    origin.reply(ServerFrame::Ack {
        id: origin.request_id.clone(),
        message_id: None,
        send_time: None,
        edit_version: None,
        edited_at: None,
        message_ids: Some(ids),
        expires_in: None,
    });
}

/// The copies to send, in order, or why there are none: an original that does not exist for
/// the caller (`IM:NotFound`), was recalled (`IM:Conflict`) or breaks a send's checks.
async fn drafts(
    state: &Arc<AppState>,
    origin: &Origin,
    forward: &ForwardRequest,
) -> Result<Vec<Draft>, Code> {
    let found = state
        .store
        .find_messages(origin.tenant_id, &forward.message_ids)
        .await
        .map_err(|_| Code::Unavailable)?;
    let mut by_id: HashMap<i64, StoredMessage> =
        found.into_iter().map(|m| (m.message_id, m)).collect();
    let groups = if by_id
        .values()
        .any(|m| matches!(m.to, Conversation::Group(_)))
    {
        let user = (origin.tenant_id, origin.user_id);
        let actor = state.delivery.supervisor.user(state, user);
        match actor.send(MyGroups).await {
            Ok(Some(groups)) => groups,
            _ => return Err(Code::Unavailable),
        }
    } else {
        Vec::new()
    };
    let mut drafts = Vec::with_capacity(forward.message_ids.len());
    for (n, id) in forward.message_ids.iter().enumerate() {
        let original = by_id.remove(id).ok_or(Code::NotFound)?;
        let named = may_forward(origin.user_id, &original, &groups)?;
        let media = original.media();
        let mut extra = original.extra;
        strip_server_keys(&mut extra);
        check_send(&original.content, None, &extra).map_err(|invalid| invalid.code)?;
        drafts.push(Draft {
            content: original.content,
            message_type: original.message_type,
            is_anonymous: false,
            extra,
            client_msg_id: forward.client_msg_id.as_ref().map(|k| format!("{k}:{n}")),
            reply_to: None,
            forwarded_from: Some(named),
            mentions: Default::default(),
            media,
        });
    }
    Ok(drafts)
}
