//! What a forwarded copy says of the message it copies: the original's id, sender and time
//! (of the first message in a chain of forwards), kept in the copy's `ExtraProperties`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// The message a forward copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    pub message_id: i64,
    /// None when the original's sender was anonymous to the forwarder.
    pub from: Option<Uuid>,
    pub send_time: DateTime<Utc>,
}

impl Forwarded {
    /// Its form in `ExtraProperties`.
    pub(super) fn to_extra(&self) -> Value {
        json!({
            "MessageId": self.message_id,
            "FromUserId": self.from,
            "SendTime": self.send_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }

    /// Reads it back from `ExtraProperties`.
    pub(super) fn from_extra(value: &Value) -> Option<Forwarded> {
        Some(Forwarded {
            message_id: value.get("MessageId")?.as_i64()?,
            from: value
                .get("FromUserId")
                .and_then(Value::as_str)
                .and_then(|u| u.parse().ok()),
            send_time: DateTime::parse_from_rfc3339(value.get("SendTime")?.as_str()?)
                .ok()?
                .with_timezone(&Utc),
        })
    }
}
