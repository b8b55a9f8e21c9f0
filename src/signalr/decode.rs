//! What a hub record asks for, read without touching a socket: the handshake's verdict and an
//! invocation's method and bound ChatMessage, with the error text SignalR (or ABP) would give.
//! Pure and total, so the fuzzer drives it with any bytes.

use super::chat_message::{BindError, ChatMessageIn};
use super::records::{HandshakeRequest, Incoming};

/// The hub methods ABP's `MessagesHub` has, and `typing`, `sync`, `edit`, `react`, `hide`,
/// `forward` and `refresh`, extensions of this product's (ABP clients never call them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Send,
    Recall,
    Read,
    Typing,
    Sync,
    Edit,
    React,
    Hide,
    Forward,
    Refresh,
}

impl Method {
    /// The metric label of calls to it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Send => "hub_send",
            Method::Recall => "hub_recall",
            Method::Read => "hub_read",
            Method::Typing => "hub_typing",
            Method::Sync => "hub_sync",
            Method::Edit => "hub_edit",
            Method::React => "hub_react",
            Method::Hide => "hub_hide",
            Method::Forward => "hub_forward",
            Method::Refresh => "hub_refresh",
        }
    }
}

/// An invocation of a hub method with its arguments bound.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    /// The name as the client spelled it (errors quote it).
    pub target: String,
    pub arguments: Arguments,
}

/// A call's arguments: ABP's methods take one ChatMessage; `sync` takes a cursor and a limit,
/// both optional (`sync()`, `sync(after)`, `sync(after, limit)`); `edit(messageId, content)`,
/// `react(messageId, emoji)` or `react(messageId, emoji, add)`, and `hide(messageId)` take a
/// message id (text or number) and what they need; `forward` takes the native frame's body.
#[derive(Debug, PartialEq)]
pub enum Arguments {
    Chat(ChatMessageIn),
    Sync {
        after: Option<String>,
        limit: Option<u32>,
    },
    Edit {
        message_id: i64,
        content: String,
    },
    React {
        message_id: i64,
        emoji: String,
        add: bool,
    },
    Hide {
        message_id: i64,
    },
    Forward(crate::protocol::ForwardFrame),
    /// `refresh(accessToken)`.
    Refresh(String),
}

/// Whether the first record is a handshake this hub speaks (JSON, version 1); the error text
/// goes back to the client before the connection closes.
pub fn handshake(record: &[u8]) -> Result<(), String> {
    match serde_json::from_slice::<HandshakeRequest>(record) {
        Ok(h) if h.protocol != "json" => Err(format!(
            "Requested protocol '{}' is not available.",
            h.protocol
        )),
        Ok(h) if h.version != 1 => Err(format!(
            "The server does not support version {} of the 'json' protocol.",
            h.version
        )),
        Ok(_) => Ok(()),
        Err(_) => Err("An unexpected error occurred during connection handshake.".into()),
    }
}

/// A record after the handshake, or `None` if it is not a JSON record of the hub protocol (or
/// holds U+0000, which cannot be stored: `protocol::has_nul_escape`).
pub fn record(record: &[u8]) -> Option<Incoming> {
    if crate::protocol::has_nul_escape(record) {
        return None;
    }
    serde_json::from_slice::<Incoming>(record).ok()
}

/// The call an invocation makes, or the Completion error it gets: an unknown method, a
/// binding failure, or an id ABP could not parse.
pub fn invocation(
    target: Option<String>,
    arguments: Option<Vec<serde_json::Value>>,
) -> Result<Call, String> {
    let target = target.unwrap_or_default();
    let method = match target.to_ascii_lowercase().as_str() {
        "send" => Method::Send,
        "recall" => Method::Recall,
        "read" => Method::Read,
        "typing" => Method::Typing,
        "sync" => Method::Sync,
        "edit" => Method::Edit,
        "react" => Method::React,
        "hide" => Method::Hide,
        "forward" => Method::Forward,
        "refresh" => Method::Refresh,
        _ => return Err(format!("Unknown hub method '{target}'")),
    };
    let arguments = arguments.unwrap_or_default();
    let bound = match (method, arguments.as_slice()) {
        (Method::Sync, args) => sync_arguments(args),
        (Method::Edit | Method::React | Method::Hide, args) => operation_arguments(method, args),
        (Method::Forward, [one]) => serde_json::from_value(one.clone())
            .map(Arguments::Forward)
            .map_err(|_| BindError::Shape),
        (Method::Refresh, [serde_json::Value::String(token)]) => {
            Ok(Arguments::Refresh(token.clone()))
        }
        (Method::Refresh, _) => Err(BindError::Shape),
        (_, [one]) => ChatMessageIn::bind(one).map(Arguments::Chat),
        _ => Err(BindError::Shape),
    };
    match bound {
        Ok(arguments) => Ok(Call {
            method,
            target,
            arguments,
        }),
        Err(BindError::Shape) => Err(format!(
            "Failed to invoke '{target}' due to an error on the server."
        )),
        Err(BindError::BadId) => Err(unexpected(&target, None)),
    }
}

/// `sync`'s arguments: at most a cursor (text or null) and a limit (a whole number or null).
fn sync_arguments(args: &[serde_json::Value]) -> Result<Arguments, BindError> {
    use serde_json::Value;
    let (after, limit) = match args {
        [] => (&Value::Null, &Value::Null),
        [after] => (after, &Value::Null),
        [after, limit] => (after, limit),
        _ => return Err(BindError::Shape),
    };
    let after = match after {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        _ => return Err(BindError::Shape),
    };
    let limit = match limit {
        Value::Null => None,
        Value::Number(n) => Some(
            n.as_u64()
                .map(|n| n.min(u64::from(u32::MAX)) as u32)
                .ok_or(BindError::Shape)?,
        ),
        _ => return Err(BindError::Shape),
    };
    Ok(Arguments::Sync { after, limit })
}

/// The arguments of `edit`, `react` and `hide`: a message id first (an id that is not one is
/// ABP's bad id), then text, then (`react`) an optional flag.
fn operation_arguments(method: Method, args: &[serde_json::Value]) -> Result<Arguments, BindError> {
    use serde_json::Value;
    let id = |v: &Value| {
        serde_json::from_value::<crate::protocol::Id>(v.clone())
            .map(|id| id.0)
            .map_err(|_| BindError::BadId)
    };
    match (method, args) {
        (Method::Edit, [message_id, Value::String(content)]) => Ok(Arguments::Edit {
            message_id: id(message_id)?,
            content: content.clone(),
        }),
        (Method::React, [message_id, Value::String(emoji), rest @ ..]) => {
            let add = match rest {
                [] | [Value::Null] => true,
                [Value::Bool(add)] => *add,
                _ => return Err(BindError::Shape),
            };
            Ok(Arguments::React {
                message_id: id(message_id)?,
                emoji: emoji.clone(),
                add,
            })
        }
        (Method::Hide, [message_id]) => Ok(Arguments::Hide {
            message_id: id(message_id)?,
        }),
        _ => Err(BindError::Shape),
    }
}

/// SignalR's text for a method that threw, with the reason (code, text) when it is ours to
/// give, as a `HubException` reads.
pub fn unexpected(target: &str, reason: Option<(&str, &str)>) -> String {
    let text = format!("An unexpected error occurred invoking '{target}' on the server.");
    match reason {
        Some((code, message)) => format!("{text} HubException: {code}: {message}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_handshake_wants_json_version_1() {
        assert!(handshake(br#"{"protocol":"json","version":1}"#).is_ok());
        assert_eq!(
            handshake(br#"{"protocol":"messagepack","version":1}"#).unwrap_err(),
            "Requested protocol 'messagepack' is not available."
        );
        assert!(handshake(br#"{"protocol":"json","version":2}"#).is_err());
        assert!(handshake(b"\xff{").is_err());
    }

    #[test]
    fn invocations_bind_one_chat_message_case_insensitively() {
        let call = invocation(Some("SEND".into()), Some(vec![json!({"Content":"hi"})])).unwrap();
        assert_eq!((call.method, call.target.as_str()), (Method::Send, "SEND"));
        let Arguments::Chat(message) = call.arguments else {
            panic!("a ChatMessage")
        };
        assert_eq!(message.content, "hi");
        assert_eq!(
            invocation(Some("Nope".into()), None).unwrap_err(),
            "Unknown hub method 'Nope'"
        );
        assert!(invocation(Some("read".into()), Some(vec![]))
            .unwrap_err()
            .starts_with("Failed to invoke 'read'"));
        assert!(
            invocation(Some("recall".into()), Some(vec![json!({"messageId":"x"})]))
                .unwrap_err()
                .starts_with("An unexpected error occurred invoking 'recall'")
        );
    }

    #[test]
    fn operations_take_a_message_id_and_what_they_need() {
        let call = |name: &str, args: Vec<serde_json::Value>| {
            invocation(Some(name.into()), Some(args)).map(|c| c.arguments)
        };
        assert_eq!(
            call("edit", vec![json!("12"), json!("new")]).unwrap(),
            Arguments::Edit {
                message_id: 12,
                content: "new".into()
            }
        );
        assert_eq!(
            call("React", vec![json!(12), json!("👍")]).unwrap(),
            Arguments::React {
                message_id: 12,
                emoji: "👍".into(),
                add: true
            }
        );
        assert_eq!(
            call("react", vec![json!("12"), json!("👍"), json!(false)]).unwrap(),
            Arguments::React {
                message_id: 12,
                emoji: "👍".into(),
                add: false
            }
        );
        assert_eq!(
            call("hide", vec![json!("12")]).unwrap(),
            Arguments::Hide { message_id: 12 }
        );
        assert!(call("hide", vec![json!("x")])
            .unwrap_err()
            .starts_with("An unexpected error occurred invoking 'hide'"));
        assert!(call("edit", vec![json!("12")])
            .unwrap_err()
            .starts_with("Failed to invoke 'edit'"));
    }

    #[test]
    fn sync_takes_an_optional_cursor_and_limit() {
        let sync = |args: Vec<serde_json::Value>| {
            invocation(Some("sync".into()), Some(args)).map(|c| c.arguments)
        };
        assert_eq!(
            sync(vec![]).unwrap(),
            Arguments::Sync {
                after: None,
                limit: None
            }
        );
        assert_eq!(
            sync(vec![json!("abc"), json!(5)]).unwrap(),
            Arguments::Sync {
                after: Some("abc".into()),
                limit: Some(5)
            }
        );
        assert!(sync(vec![json!(1)]).is_err());
        assert!(sync(vec![json!(null), json!(-1)]).is_err());
        assert!(sync(vec![json!(null), json!(1), json!(2)]).is_err());
    }
}
