//! A push job as the webhook and the stream receive it.

use serde::Serialize;
use uuid::Uuid;

use crate::store::PushToken;

/// What a push is about: a private conversation (the other user), a group, or a
/// notification (its definition's name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "camelCase")]
pub enum JobConversation {
    User(Uuid),
    Group(String),
    Notification(String),
}

/// One push for one user and conversation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub tokens: Vec<PushToken>,
    pub conversation: JobConversation,
    /// The latest message's id (none for a notification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The notification's id (none for a message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    pub sender_name: Option<String>,
    /// The first 100 characters; none when `push.preview` is off.
    pub preview: Option<String>,
    /// How many offers this job collapses (messages in the conversation since the last push).
    pub count: u32,
    /// The user's unread messages in all conversations, as the server counts them.
    pub badge: u64,
}
