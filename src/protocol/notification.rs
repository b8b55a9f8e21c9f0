//! A notification as clients receive it, live and from their inbox: ABP's `NotificationInfo`
//! (and, with `state`, its `UserNotificationDto`), field for field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::message::rfc3339;

/// One notification.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub tenant_id: Option<Uuid>,
    /// The definition's name.
    pub name: String,
    /// Its Snowflake id, as a string (ABP's clients read it so).
    pub id: String,
    /// Whatever the publisher sent: ABP's `NotificationData`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String)]
    pub creation_time: DateTime<Utc>,
    /// 0 persistent, 1 only once.
    pub lifetime: i32,
    /// 0 application, 10 system, 20 user, 30 service callback.
    #[serde(rename = "type")]
    pub kind: i32,
    /// 0 text, 1 HTML, 2 Markdown, 3 JSON.
    pub content_type: i32,
    /// 0 success, 10 info, 20 warn, 30 error, 40 fatal.
    pub severity: i16,
    /// In an inbox: 0 read, 1 unread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<i32>,
}
