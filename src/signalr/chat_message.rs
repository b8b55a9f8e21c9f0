//! ABP's `ChatMessage` as its hub serializes it (camelCase, nulls written, enums as numbers,
//! `extraProperties` keys verbatim, `formUserId` sic), and the part of a client's ChatMessage
//! this server reads. The sender, tenant, time and id a client sends are never trusted: they
//! come from the token and the server.

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// ABP's `MessageType.Notifier`: an error notice the Vue client shows as a toast.
pub const NOTIFIER: i32 = 100;
/// ABP's `MessageSourceType.System`.
pub const SYSTEM_SOURCE: i32 = 10;

/// A ChatMessage sent to a hub client, fields in ABP's declaration order.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub tenant_id: Option<Uuid>,
    pub group_id: Option<String>,
    pub message_id: String,
    pub form_user_id: Uuid,
    pub form_user_name: String,
    pub to_user_id: Option<Uuid>,
    pub content: String,
    pub send_time: String,
    pub is_anonymous: bool,
    pub message_type: i32,
    pub source: i32,
    pub extra_properties: Map<String, Value>,
}

/// What a hub client's ChatMessage asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatMessageIn {
    pub group_id: Option<i64>,
    pub to_user_id: Option<Uuid>,
    pub message_id: Option<i64>,
    pub content: String,
    pub message_type: i32,
    pub is_anonymous: bool,
    pub extra_properties: Map<String, Value>,
}

/// Why an argument could not be bound: SignalR answers a binding error, and ABP's own
/// parsing (`long.Parse` of an id) fails as an unexpected error.
#[derive(Debug, PartialEq, Eq)]
pub enum BindError {
    /// Not the shape of a ChatMessage (the .NET binder would refuse it).
    Shape,
    /// A ChatMessage whose id text is not a number.
    BadId,
}

impl ChatMessageIn {
    /// Reads a ChatMessage argument. Property names match case-insensitively, as .NET's
    /// binder does; unknown properties are ignored.
    pub fn bind(value: &Value) -> Result<ChatMessageIn, BindError> {
        let Value::Object(fields) = value else {
            return Err(BindError::Shape);
        };
        let mut message = ChatMessageIn::default();
        for (key, value) in fields {
            match key.to_ascii_lowercase().as_str() {
                "groupid" => message.group_id = id_text(value)?,
                "messageid" => message.message_id = id_text(value)?,
                "touserid" => message.to_user_id = guid(value)?,
                "content" => message.content = text(value)?,
                "messagetype" => message.message_type = int(value)?,
                "isanonymous" => message.is_anonymous = boolean(value)?,
                "extraproperties" => {
                    message.extra_properties = match value {
                        Value::Null => Map::new(),
                        Value::Object(map) => map.clone(),
                        _ => return Err(BindError::Shape),
                    }
                }
                // Guids, times and numbers the binder would check even though they are not
                // used: a wrong type there is a binding error upstream too.
                "tenantid" | "formuserid" => {
                    guid(value)?;
                }
                "source" => {
                    int(value)?;
                }
                "formusername" | "sendtime" => {
                    text(value)?;
                }
                _ => {}
            }
        }
        Ok(message)
    }
}

fn id_text(value: &Value) -> Result<Option<i64>, BindError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| BindError::BadId),
        _ => Err(BindError::Shape),
    }
}

fn guid(value: &Value) -> Result<Option<Uuid>, BindError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| BindError::Shape),
        _ => Err(BindError::Shape),
    }
}

fn text(value: &Value) -> Result<String, BindError> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(BindError::Shape),
    }
}

fn int(value: &Value) -> Result<i32, BindError> {
    value
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(BindError::Shape)
}

fn boolean(value: &Value) -> Result<bool, BindError> {
    value.as_bool().ok_or(BindError::Shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn binds_the_vue_clients_message_in_any_case() {
        let to = Uuid::new_v4();
        let bound = ChatMessageIn::bind(&json!({
            "messageId": "", "sendTime": "2025-01-01T08:00:00.000Z", "ToUserId": to.to_string(),
            "formUserId": Uuid::new_v4().to_string(), "formUserName": "admin", "CONTENT": "hi",
            "messageType": 10, "extraProperties": {"k": 1}, "source": 0, "isAnonymous": false,
            "groupId": null, "tenantId": null
        }))
        .unwrap();
        assert_eq!(bound.to_user_id, Some(to));
        assert_eq!(bound.content, "hi");
        assert_eq!(bound.message_type, 10);
        assert_eq!(bound.group_id, None);
        assert_eq!(bound.message_id, None);
        assert_eq!(bound.extra_properties.get("k"), Some(&json!(1)));
    }

    #[test]
    fn refuses_what_the_dotnet_binder_refuses() {
        assert_eq!(ChatMessageIn::bind(&json!("hi")), Err(BindError::Shape));
        assert_eq!(
            ChatMessageIn::bind(&json!({"toUserId": "not-a-guid"})),
            Err(BindError::Shape)
        );
        assert_eq!(
            ChatMessageIn::bind(&json!({"messageType": "x"})),
            Err(BindError::Shape)
        );
        assert_eq!(
            ChatMessageIn::bind(&json!({"groupId": "g1"})),
            Err(BindError::BadId)
        );
        assert_eq!(
            ChatMessageIn::bind(&json!({"groupId": "42"}))
                .unwrap()
                .group_id,
            Some(42)
        );
    }
}
