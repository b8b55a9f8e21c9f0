//! The one way in: every request a client makes, whichever protocol carried it. A protocol
//! adapter (the WebSocket session, the SignalR hub, an HTTP route) decodes its wire format
//! into a [`Request`], calls [`submit`], and encodes what comes back in its own form: a
//! refusal at once ([`Invalid`]), or the answer later, through the request's [`Origin`].
//! A request is checked here once (`chat::input`), decided by the rules (`chat::rules`) where
//! the facts are (a user's or a group's actor, or here), and answered with the same code on
//! every protocol.
//!
//! | request | WebSocket | SignalR hub | HTTP |
//! |---|---|---|---|
//! | send | `send` | `send` | `POST /api/im/chat/send-message` |
//! | recall | `recall` | `recall` | `POST /api/im/chat/messages/{id}/recall` |
//! | read | `read` | `read` | `POST /api/im/chat/messages/{id}/read` |
//! | edit | `edit` | `edit` (extension) | `PUT /api/im/chat/messages/{id}` |
//! | react | `react` | `react` (extension) | `POST /api/im/chat/messages/{id}/reactions` |
//! | hide | `hide` | `hide` (extension) | `POST /api/im/chat/messages/{id}/hide` |
//! | forward | `forward` | `forward` (extension) | `POST /api/im/chat/forward` |
//! | sync | `sync` | `sync` (extension) | `GET /api/im/chat/sync` |
//! | typing | `typing` | `typing` (extension) | — |
//! | publish | `publish` | — | — (services use the push API) |

mod edit;
mod forward;
mod hide;
mod media;
mod origin;
mod parties;
mod publish;
mod react;
mod read;
mod recall;
mod send;
mod sync;
mod typing;

use std::sync::Arc;

use uuid::Uuid;

pub use crate::chat::input::Invalid;
pub use forward::{ForwardRequest, MAX_FORWARD};
pub use origin::{Origin, ReplyTo};
pub use parties::may_see_message;
pub use publish::MAX_TOPIC;
pub use recall::announce as announce_recall;
pub use send::{Draft, SendRequest, MAX_MENTIONS};
pub use sync::{DEFAULT_LIMIT as SYNC_DEFAULT_LIMIT, MAX_LIMIT as SYNC_MAX_LIMIT};

use crate::protocol::Code;
use crate::state::AppState;
use crate::store::{Conversation, StoredMessage};

/// A client's request, as every protocol decodes it.
pub enum Request {
    Send(SendRequest),
    Recall {
        message_id: i64,
    },
    Read {
        message_id: i64,
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
    Forward(ForwardRequest),
    Sync {
        after: Option<String>,
        limit: Option<u32>,
    },
    Typing {
        to_user_id: Option<Uuid>,
        group_id: Option<i64>,
    },
    Publish {
        topic: String,
        data: serde_json::Value,
    },
}

impl Request {
    /// The request's name (metrics, logs).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Send(_) => "send",
            Request::Recall { .. } => "recall",
            Request::Read { .. } => "read",
            Request::Edit { .. } => "edit",
            Request::React { .. } => "react",
            Request::Hide { .. } => "hide",
            Request::Forward(_) => "forward",
            Request::Sync { .. } => "sync",
            Request::Typing { .. } => "typing",
            Request::Publish { .. } => "publish",
        }
    }
}

/// Checks `request` and sets it going. `Err` is a refusal before anything happened, for the
/// adapter to answer in its protocol's form; otherwise the answer comes through `origin`.
pub fn submit(state: &Arc<AppState>, origin: Origin, request: Request) -> Result<(), Invalid> {
    match request {
        Request::Send(send) => send::submit(state, origin, send),
        Request::Recall { message_id } => {
            actix_rt::spawn(recall::run(state.clone(), origin, message_id));
            Ok(())
        }
        Request::Read { message_id } => {
            actix_rt::spawn(read::run(state.clone(), origin, message_id));
            Ok(())
        }
        Request::Edit {
            message_id,
            content,
        } => edit::submit(state, origin, message_id, content),
        Request::React {
            message_id,
            emoji,
            add,
        } => react::submit(state, origin, message_id, emoji, add),
        Request::Hide { message_id } => {
            actix_rt::spawn(hide::run(state.clone(), origin, message_id));
            Ok(())
        }
        Request::Forward(forward) => forward::submit(state, origin, forward),
        Request::Sync { after, limit } => {
            let (cursor, limit) = sync::check(after.as_deref(), limit)?;
            actix_rt::spawn(sync::run(state.clone(), origin, cursor, limit));
            Ok(())
        }
        Request::Typing {
            to_user_id,
            group_id,
        } => typing::submit(state, origin, to_user_id, group_id),
        Request::Publish { topic, data } => publish::submit(state, origin, topic, data),
    }
}

/// The one conversation a request names: a user or a group, exactly one of them.
fn conversation(
    to_user_id: Option<Uuid>,
    group_id: Option<i64>,
    request: &str,
) -> Result<Conversation, Invalid> {
    match (to_user_id, group_id) {
        (Some(user), None) => Ok(Conversation::User(user)),
        (None, Some(group)) => Ok(Conversation::Group(group)),
        _ => Err(Invalid::bad(
            "toUserId",
            format!("`{request}` needs `toUserId` or `groupId`, not both"),
        )),
    }
}

/// The message a request names, or the request answered with why there is none.
async fn fetch_message(
    state: &AppState,
    origin: &Origin,
    message_id: i64,
) -> Option<StoredMessage> {
    match state.store.find_message(origin.tenant_id, message_id).await {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            origin.fail(Code::NotFound);
            None
        }
        Err(_) => {
            origin.fail(Code::Unavailable);
            None
        }
    }
}
