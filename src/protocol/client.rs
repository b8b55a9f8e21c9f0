//! Frames a client sends.

use serde::Deserialize;
use uuid::Uuid;

use super::Id;

/// Any client frame with the optional `id` the server echoes in its reply.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub frame: ClientFrame,
}

/// What a client asks for.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ClientFrame {
    Send(SendFrame),
    Recall {
        message_id: Id,
    },
    Read {
        message_id: Id,
    },
    Edit {
        message_id: Id,
        content: String,
    },
    React {
        message_id: Id,
        emoji: String,
        #[serde(default = "yes")]
        add: bool,
    },
    Hide {
        message_id: Id,
    },
    Forward(ForwardFrame),
    Sync {
        after: Option<String>,
        limit: Option<u32>,
    },
    Typing(Target),
    Publish {
        topic: String,
        data: serde_json::Value,
    },
    /// A new access token for this socket (same user and session), before the old expires.
    Refresh {
        access_token: String,
    },
    /// Where the client's app is: in the foreground or not. A user with no session in the
    /// foreground gets pushes (`docs/PUSH.md`).
    State {
        foreground: bool,
    },
    Ping,
}

fn yes() -> bool {
    true
}

/// A message to send: to a user or to a group.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendFrame {
    #[serde(flatten)]
    pub target: Target,
    /// May be empty for a media message: its display text is made then.
    #[schema(max_length = 1048576, pattern = "^[^\\u0000]*$")]
    pub content: String,
    #[serde(default)]
    pub message_type: i32,
    #[serde(default)]
    pub is_anonymous: bool,
    /// At most 16 levels deep and 16 KiB as JSON.
    #[serde(default)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
    /// The sender's idempotency key: a second send with it answers the first's ack.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\u0000]*$")]
    pub client_msg_id: Option<String>,
    /// The message this one answers: of the same conversation, one the sender can see.
    #[serde(default)]
    pub reply_to: Option<Id>,
    /// Group members to notify, and everyone (`all`, as the group's `mentionAll` allows).
    #[serde(default)]
    pub mentions: Option<super::MentionList>,
    /// What a media message (types 10, 20, 30, 40, 50, 60) carries (`docs/PROTOCOL.md`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub media: Option<serde_json::Value>,
}

/// Messages to copy into one conversation (`POST /api/im/chat/forward` too).
#[derive(Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForwardFrame {
    /// 1 to 100 messages the caller can read, each once; copied in this order.
    pub message_ids: Vec<Id>,
    #[serde(flatten)]
    pub target: Target,
    /// Makes the forward safe to retry: the copies are sends with the keys `<key>:<n>`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 60, pattern = "^[^\\u0000]*$")]
    pub client_msg_id: Option<String>,
}

/// A new text for a message (`PUT /api/im/chat/messages/{id}`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditBody {
    #[schema(min_length = 1, max_length = 1048576, pattern = "^[^\\u0000]*$")]
    pub content: String,
}

/// A reaction to add or take back (`POST /api/im/chat/messages/{id}/reactions`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactBody {
    /// One emoji, or a `:name:` of letters, digits and `_` (at most 64 bytes).
    #[schema(min_length = 1, max_length = 64)]
    pub emoji: String,
    /// False takes the reaction back; true when absent.
    #[serde(default = "yes")]
    pub add: bool,
}

/// A conversation: a peer user or a group (exactly one).
#[derive(Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default)]
    pub to_user_id: Option<Uuid>,
    #[serde(default)]
    pub group_id: Option<Id>,
}
