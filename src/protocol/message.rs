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
}

/// Writes a time as RFC 3339 in UTC with milliseconds: `2026-11-25T16:00:00.123Z`.
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
}
