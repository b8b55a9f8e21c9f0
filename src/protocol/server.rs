//! Frames the server sends.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::message::{opt_rfc3339, rfc3339};
use super::{Id, Message};

/// What the server tells a client.
#[derive(Debug, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerFrame {
    Welcome {
        connection_id: String,
        user_id: Uuid,
        tenant_id: Option<Uuid>,
        node: String,
        #[serde(serialize_with = "rfc3339")]
        server_time: DateTime<Utc>,
        heartbeat_seconds: u64,
    },
    Ack {
        id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message_id: Option<Id>,
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "opt_rfc3339"
        )]
        send_time: Option<DateTime<Utc>>,
        /// An edit's new version and time.
        #[serde(skip_serializing_if = "Option::is_none")]
        edit_version: Option<i32>,
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "opt_rfc3339"
        )]
        edited_at: Option<DateTime<Utc>>,
        /// A forward's copies, in order.
        #[serde(skip_serializing_if = "Option::is_none")]
        message_ids: Option<Vec<Id>>,
        /// A refresh's new token: seconds until it expires.
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_in: Option<i64>,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        code: super::Code,
        message: String,
    },
    Message {
        message: Message,
    },
    Recalled {
        message_id: Id,
        #[serde(skip_serializing_if = "Option::is_none")]
        group_id: Option<Id>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer_user_id: Option<Uuid>,
        by_user_id: Uuid,
        /// The recaller's name, for "alice recalled a message" (absent for an administrator).
        #[serde(skip_serializing_if = "Option::is_none")]
        by_user_name: Option<String>,
    },
    /// A message's text was edited by its sender.
    Edited {
        message_id: Id,
        #[serde(skip_serializing_if = "Option::is_none")]
        group_id: Option<Id>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer_user_id: Option<Uuid>,
        content: String,
        edit_version: i32,
        #[serde(serialize_with = "rfc3339")]
        edited_at: DateTime<Utc>,
    },
    /// Someone added or took back a reaction; `count` is how many react with the emoji now.
    Reaction {
        message_id: Id,
        #[serde(skip_serializing_if = "Option::is_none")]
        group_id: Option<Id>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer_user_id: Option<Uuid>,
        emoji: String,
        user_id: Uuid,
        added: bool,
        count: u32,
    },
    /// The reader deleted a message for themself (on another of their devices, or this one).
    Hidden {
        message_id: Id,
    },
    Read {
        message_id: Id,
        reader_user_id: Uuid,
        #[serde(skip_serializing_if = "Option::is_none")]
        group_id: Option<Id>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer_user_id: Option<Uuid>,
    },
    Typing {
        user_id: Uuid,
        #[serde(skip_serializing_if = "Option::is_none")]
        group_id: Option<Id>,
    },
    Presence {
        user_id: Uuid,
        online: bool,
        #[serde(serialize_with = "rfc3339")]
        last_online_time: DateTime<Utc>,
    },
    Notice {
        kind: String,
        data: serde_json::Value,
    },
    Event {
        method: String,
        data: serde_json::Value,
    },
    Notification {
        notification: super::Notification,
    },
    Sync {
        id: Option<String>,
        messages: Vec<Message>,
        /// Messages changed since the cursor (edited, recalled, reacted to), as they are now.
        changes: Vec<Message>,
        /// Messages the reader hid since the cursor.
        hidden: Vec<Id>,
        next: String,
        more: bool,
    },
    Pong {
        id: Option<String>,
    },
}

impl ServerFrame {
    /// The frame as the JSON text sent on the socket, serialized once however many sessions
    /// receive it.
    pub fn to_text(&self) -> bytestring::ByteString {
        serde_json::to_string(self).unwrap_or_default().into()
    }

    /// The frame's fields without `type` and the request's `id`: the body of an answer that a
    /// hub invocation or an HTTP route gives instead of the frame.
    pub fn fields(&self) -> serde_json::Value {
        let mut fields = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = fields.as_object_mut() {
            map.remove("type");
            map.remove("id");
        }
        fields
    }

    /// A bare `ack` of request `id`.
    pub fn ack(id: Option<String>) -> ServerFrame {
        ServerFrame::Ack {
            id,
            message_id: None,
            send_time: None,
            edit_version: None,
            edited_at: None,
            message_ids: None,
            expires_in: None,
        }
    }

    /// An `error` frame for `code`, echoing the request's `id`.
    pub fn error(id: Option<String>, code: super::Code) -> ServerFrame {
        ServerFrame::Error {
            id,
            code,
            message: code.message().to_string(),
        }
    }
}
