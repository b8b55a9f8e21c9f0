//! `send`: a message to a user or a group. Checked here (content, idempotency key, `extra`,
//! exactly one target), then handed to the receiver's actor (a user's or the group's), which
//! applies the conversation's rules, stores the message and answers through the origin.

use std::sync::Arc;

use uuid::Uuid;

use super::{conversation, Invalid, Origin};
use crate::chat::input::check_send;
use crate::state::AppState;
use crate::store::{Conversation, NewMessage};

/// A message a client asks to send, as every protocol decodes it.
pub struct SendRequest {
    pub to_user_id: Option<Uuid>,
    pub group_id: Option<i64>,
    pub content: String,
    pub message_type: i32,
    pub is_anonymous: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub client_msg_id: Option<String>,
}

impl From<crate::protocol::SendFrame> for SendRequest {
    /// The native protocol's `send` frame (also the HTTP route's body).
    fn from(send: crate::protocol::SendFrame) -> Self {
        SendRequest {
            to_user_id: send.target.to_user_id,
            group_id: send.target.group_id.map(|g| g.0),
            content: send.content,
            message_type: send.message_type,
            is_anonymous: send.is_anonymous,
            extra: send.extra.unwrap_or_default(),
            client_msg_id: send.client_msg_id,
        }
    }
}

/// Checks `send` and hands it to its receiver's actor; the answer comes through `origin`.
pub fn submit(state: &Arc<AppState>, origin: Origin, send: SendRequest) -> Result<(), Invalid> {
    check_send(&send.content, send.client_msg_id.as_deref(), &send.extra)?;
    let to = conversation(send.to_user_id, send.group_id, "send")?;
    let draft = Draft {
        content: send.content,
        message_type: send.message_type,
        is_anonymous: send.is_anonymous,
        extra: send.extra,
        client_msg_id: send.client_msg_id,
    };
    state.delivery.supervisor.send(state, origin, to, draft);
    Ok(())
}

/// A message to send, before its id is assigned.
pub struct Draft {
    pub content: String,
    pub message_type: i32,
    pub is_anonymous: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub client_msg_id: Option<String>,
}

impl Draft {
    /// The message to store: the sender from `origin`, a fresh id, the time now.
    pub fn stamp(
        self,
        state: &AppState,
        tenant_id: Option<Uuid>,
        origin: &Origin,
        to: Conversation,
    ) -> NewMessage {
        let mut extra = self.extra;
        crate::chat::input::strip_server_keys(&mut extra);
        NewMessage {
            tenant_id,
            message_id: state.ids.next_id(),
            from: origin.user_id,
            from_name: origin.user_name.clone(),
            to,
            content: self.content,
            message_type: self.message_type,
            source: 0,
            is_anonymous: self.is_anonymous,
            extra,
            client_msg_id: self.client_msg_id,
            send_time: crate::state::now_millis(),
        }
    }
}
