//! Native frames as a hub client hears them. Deliveries reach every session as the native
//! protocol's bytes (serialized once for all recipients); a hub session re-encodes the kinds
//! ABP has callbacks for, and this product's message operations under callbacks named in
//! ABP's style (extensions ABP's clients never register), and drops the rest (typing, read
//! receipts, notices).

use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::chat_message::{ChatMessage, NOTIFIER, SYSTEM_SOURCE};
use super::records::{self, kind, Invocation};
use crate::protocol::{Id, Message};

/// ABP's callback names (`AbpIMSignalROptions`).
pub const GET_CHAT_MESSAGE: &str = "get-chat-message";
pub const RECALL_CHAT_MESSAGE: &str = "recall-chat-message";
pub const USER_ONLINED: &str = "on-user-onlined";
pub const USER_OFFLINED: &str = "on-user-offlined";
/// This product's: a message edited, a reaction added or taken back, a message hidden by
/// the listener on another device. Each gets the native frame's fields as one object.
pub const EDIT_CHAT_MESSAGE: &str = "edit-chat-message";
pub const REACT_CHAT_MESSAGE: &str = "react-chat-message";
pub const HIDE_CHAT_MESSAGE: &str = "hide-chat-message";
/// This product's notices about the connection itself: its token expires soon (refresh it),
/// and its session was ended by a login elsewhere (the connection closes next).
pub const TOKEN_EXPIRING: &str = "token-expiring";
pub const SESSION_REPLACED: &str = "session-replaced";
/// ABP's notifications hub: a notification for the listener
/// (`AbpNotificationsSignalROptions.MethodName`).
pub const GET_NOTIFICATION: &str = "get-notification";
/// Every callback name above: no backend push may use one.
pub const CALLBACKS: [&str; 10] = [
    GET_NOTIFICATION,
    TOKEN_EXPIRING,
    SESSION_REPLACED,
    GET_CHAT_MESSAGE,
    RECALL_CHAT_MESSAGE,
    USER_ONLINED,
    USER_OFFLINED,
    EDIT_CHAT_MESSAGE,
    REACT_CHAT_MESSAGE,
    HIDE_CHAT_MESSAGE,
];

/// The native frames a hub client has a callback for.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum Native {
    Message {
        message: Box<Message>,
    },
    Recalled {
        message_id: Id,
        group_id: Option<Id>,
        peer_user_id: Option<Uuid>,
        by_user_id: Uuid,
        by_user_name: Option<String>,
    },
    Presence {
        user_id: Uuid,
        online: bool,
    },
    Edited(Map<String, Value>),
    Reaction(Map<String, Value>),
    Hidden(Map<String, Value>),
    Event {
        method: String,
        data: Value,
    },
    Notice {
        kind: String,
        data: Value,
    },
    Notification {
        notification: Value,
    },
    #[serde(other)]
    Other,
}

/// Who is listening: the hub session's user.
#[derive(Clone, Copy, Debug)]
pub struct Listener {
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
}

/// The record a hub client gets for a native frame, if any. `notice_id` numbers a recall
/// notice (upstream stores the notice as a new message with its own id).
pub fn to_hub(listener: Listener, native: &str, notice_id: impl FnOnce() -> i64) -> Option<String> {
    match serde_json::from_str::<Native>(native).ok()? {
        Native::Message { message } => {
            // ABP sends a private message to its receiver only; the sender appends its own.
            if message.to_user_id.is_some() && message.from_user_id == Some(listener.user_id) {
                return None;
            }
            Some(call(GET_CHAT_MESSAGE, [chat_message(*message)]))
        }
        Native::Recalled {
            message_id,
            group_id,
            peer_user_id,
            by_user_id,
            by_user_name,
        } => {
            // Upstream's notice: from the original receiver (or the group) to the sender.
            let (form, to) = match (group_id, peer_user_id) {
                (Some(_), _) => (by_user_id, None),
                (None, Some(peer)) if by_user_id == listener.user_id => (peer, Some(by_user_id)),
                (None, _) => (listener.user_id, Some(by_user_id)),
            };
            let mut extra = Map::new();
            extra.insert("L".into(), Value::Bool(true));
            extra.insert(
                "Content".into(),
                json!({"resourceName": "AbpIM", "name": "Messages:RecallMessage",
                       "values": {"User": by_user_name.unwrap_or_default()}}),
            );
            extra.insert("MessageId".into(), Value::String(message_id.0.to_string()));
            let notice = system(
                listener.tenant_id,
                form,
                to,
                group_id.map(|g| g.0.to_string()),
                String::new(),
                0,
                extra,
                notice_id(),
            );
            Some(call(RECALL_CHAT_MESSAGE, [notice]))
        }
        Native::Presence { user_id, online } => Some(call(
            if online { USER_ONLINED } else { USER_OFFLINED },
            (listener.tenant_id, user_id),
        )),
        Native::Edited(fields) => Some(call(EDIT_CHAT_MESSAGE, [fields])),
        Native::Reaction(fields) => Some(call(REACT_CHAT_MESSAGE, [fields])),
        Native::Hidden(fields) => Some(call(HIDE_CHAT_MESSAGE, [fields])),
        // A push never speaks under a callback's name (the push routes refuse it too).
        Native::Event { method, .. } if CALLBACKS.contains(&method.as_str()) => None,
        Native::Event { method, data } => Some(call(&method, [data])),
        Native::Notice { kind, data } => connection_notice(&kind, data),
        // Notifications go to the notifications hub.
        Native::Notification { .. } | Native::Other => None,
    }
}

/// A notice about the connection itself, as every hub's client hears it.
fn connection_notice(kind: &str, data: Value) -> Option<String> {
    match kind {
        "tokenExpiring" => Some(call(TOKEN_EXPIRING, [data])),
        "sessionReplaced" => Some(call(SESSION_REPLACED, [data])),
        _ => None,
    }
}

/// The record a client of the notifications hub gets for a native frame, if any: its
/// notifications (ABP's `NotificationInfo`) and the notices about the connection.
pub fn to_notifications_hub(native: &str) -> Option<String> {
    match serde_json::from_str::<Native>(native).ok()? {
        Native::Notification { notification } => Some(call(GET_NOTIFICATION, [notification])),
        Native::Notice { kind, data } => connection_notice(&kind, data),
        _ => None,
    }
}

/// The Notifier message upstream sends when a send fails for a business reason: from the
/// intended receiver (or the group) to the sender, the error's text as content.
pub fn notifier(
    listener: Listener,
    to_user: Option<Uuid>,
    group_id: Option<i64>,
    text: &str,
    original: Option<i64>,
) -> ChatMessage {
    let mut extra = Map::new();
    extra.insert("L".into(), Value::Bool(false));
    if let Some(id) = original {
        extra.insert("MessageId".into(), Value::String(id.to_string()));
    }
    match group_id {
        Some(group) => system(
            listener.tenant_id,
            listener.user_id,
            None,
            Some(group.to_string()),
            text.into(),
            NOTIFIER,
            extra,
            0,
        ),
        None => system(
            listener.tenant_id,
            to_user.unwrap_or_default(),
            Some(listener.user_id),
            None,
            text.into(),
            NOTIFIER,
            extra,
            0,
        ),
    }
}

/// A server→client invocation record.
pub fn call<A: serde::Serialize>(target: &str, arguments: A) -> String {
    records::record(&Invocation {
        kind: kind::INVOCATION,
        target,
        arguments,
    })
}

fn chat_message(m: Message) -> ChatMessage {
    let mut extra = m.extra;
    extra.insert("IsAnonymous".into(), Value::Bool(m.is_anonymous));
    if let Some(media) = m.media {
        extra.insert("Media".into(), media);
    }
    ChatMessage {
        tenant_id: m.tenant_id,
        group_id: m.group_id.map(|g| g.0.to_string()),
        message_id: m.message_id.0.to_string(),
        form_user_id: m.from_user_id.unwrap_or_default(),
        form_user_name: m.from_user_name.unwrap_or_default(),
        to_user_id: m.to_user_id,
        content: m.content,
        send_time: m.send_time.to_rfc3339_opts(SecondsFormat::Millis, true),
        is_anonymous: m.is_anonymous,
        message_type: m.message_type,
        source: m.source,
        extra_properties: extra,
    }
}

#[allow(clippy::too_many_arguments)]
fn system(
    tenant_id: Option<Uuid>,
    form: Uuid,
    to: Option<Uuid>,
    group_id: Option<String>,
    content: String,
    message_type: i32,
    extra: Map<String, Value>,
    id: i64,
) -> ChatMessage {
    ChatMessage {
        tenant_id,
        group_id,
        message_id: if id == 0 {
            String::new()
        } else {
            id.to_string()
        },
        form_user_id: form,
        form_user_name: "system".into(),
        to_user_id: to,
        content,
        send_time: crate::state::now_millis().to_rfc3339_opts(SecondsFormat::Millis, true),
        is_anonymous: false,
        message_type,
        source: SYSTEM_SOURCE,
        extra_properties: extra,
    }
}
