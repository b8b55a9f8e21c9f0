//! The Message shape every frame and history page carries.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::Id;

/// A stored message as clients see it (`spec/PROTOCOL.md`, "Message"). It is read back by
/// adapters that re-encode native frames (the SignalR hub).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub message_id: Id,
    pub tenant_id: Option<Uuid>,
    pub from_user_id: Option<Uuid>,
    pub from_user_name: Option<String>,
    pub to_user_id: Option<Uuid>,
    pub group_id: Option<Id>,
    pub content: String,
    pub message_type: i32,
    pub source: i32,
    pub state: i16,
    pub is_anonymous: bool,
    #[serde(serialize_with = "rfc3339")]
    pub send_time: DateTime<Utc>,
    pub extra: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// How many times the sender edited it (absent: never), and when last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_version: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_rfc3339"
    )]
    pub edited_at: Option<DateTime<Utc>>,
    /// The message this one answers, and a preview of it as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_preview: Option<Box<ReplyPreview>>,
    /// Each emoji on the message, in the order first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The message this one copies, when it is a forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<Box<ForwardedFrom>>,
    /// Whom a group message mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Box<MentionList>>,
    /// A media message's media (`docs/PROTOCOL.md`, "Media messages").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<serde_json::Value>,
}

/// What a forwarded copy says of the original: its id, sender (absent when anonymous to the
/// forwarder) and time.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardedFrom {
    pub message_id: Id,
    pub from_user_id: Option<Uuid>,
    #[serde(serialize_with = "rfc3339")]
    pub send_time: DateTime<Utc>,
}

/// Whom a group message mentions: members by id, and everyone (`all`). A send names them;
/// the stored message carries the members among them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentionList {
    /// At most 100.
    #[serde(default)]
    pub user_ids: Vec<Uuid>,
    #[serde(default)]
    pub all: bool,
}

/// What a reply shows of the message it answers: who wrote it and its first words, or
/// (recalled) its state and no text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyPreview {
    pub message_id: Id,
    pub from_user_id: Option<Uuid>,
    pub from_user_name: Option<String>,
    #[serde(rename = "type")]
    pub message_type: i32,
    /// At most 100 characters of its text.
    pub snippet: String,
    pub state: i16,
}

/// An emoji on a message: how many reacted with it, and whether the reader did.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub emoji: String,
    pub count: u32,
    pub me: bool,
}

/// Writes a time as RFC 3339 in UTC with milliseconds: `2026-11-25T16:00:00.123Z`.
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// [`rfc3339`] for a time that may be absent.
pub fn opt_rfc3339<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
