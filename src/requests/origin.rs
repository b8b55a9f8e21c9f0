//! Who made a request and where its answer goes: the WebSocket session that asked (the answer
//! is pushed to it as a frame), or a caller awaiting it (an HTTP handler, a hub invocation).
//! Every request carries one, so the actors that carry a request out answer it the same way
//! whichever protocol it came in on.

use std::sync::Arc;

use uuid::Uuid;

use crate::actors::SessionHandle;
use crate::protocol::{Code, Id, ServerFrame};
use crate::store::{NewMessage, Stored};

/// Where the answer to a request goes: the WebSocket session that asked, or an HTTP handler
/// waiting for it.
#[derive(Clone)]
pub enum ReplyTo {
    Session(SessionHandle),
    Waiter(Arc<parking_lot::Mutex<Option<tokio::sync::oneshot::Sender<ServerFrame>>>>),
}

impl ReplyTo {
    /// A reply channel for an HTTP request, and the receiver its handler awaits.
    pub fn waiter() -> (ReplyTo, tokio::sync::oneshot::Receiver<ServerFrame>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            ReplyTo::Waiter(Arc::new(parking_lot::Mutex::new(Some(tx)))),
            rx,
        )
    }
}

/// Who sent a request, and where its answer goes.
#[derive(Clone)]
pub struct Origin {
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub user_name: String,
    pub reply_to: ReplyTo,
    pub request_id: Option<String>,
}

impl Origin {
    /// An origin for `who` whose answer is awaited by the caller (an HTTP request, a hub
    /// invocation), and where it arrives.
    pub fn awaited(
        who: &crate::auth::Identity,
    ) -> (Origin, tokio::sync::oneshot::Receiver<ServerFrame>) {
        let (reply_to, answer) = ReplyTo::waiter();
        let origin = Origin {
            tenant_id: who.tenant_id,
            user_id: who.user_id,
            user_name: who.user_name.clone(),
            reply_to,
            request_id: None,
        };
        (origin, answer)
    }

    /// Sends the answer to the request.
    pub fn reply(&self, frame: ServerFrame) {
        match &self.reply_to {
            ReplyTo::Session(session) => {
                session.push(frame.to_text());
            }
            ReplyTo::Waiter(waiter) => {
                if let Some(tx) = waiter.lock().take() {
                    let _ = tx.send(frame);
                }
            }
        }
    }

    /// Whether the caller waits for an answer whatever it is (an HTTP request, a hub
    /// invocation); a native frame hears of some outcomes only (a refused `typing`).
    pub fn awaits(&self) -> bool {
        matches!(self.reply_to, ReplyTo::Waiter(_))
    }

    /// The connection that asked, if a WebSocket did: it has the answer, not a copy.
    pub fn connection_id(&self) -> Option<Arc<str>> {
        match &self.reply_to {
            ReplyTo::Session(session) => Some(session.connection_id.clone()),
            ReplyTo::Waiter(_) => None,
        }
    }

    /// Answers a request that has nothing to return but its success.
    pub fn done(&self) {
        self.reply(ServerFrame::Ack {
            id: self.request_id.clone(),
            message_id: None,
            send_time: None,
            edit_version: None,
            edited_at: None,
            message_ids: None,
            expires_in: None,
        });
    }

    /// Answers the request with an error.
    pub fn fail(&self, code: Code) {
        self.refuse(code, code.message());
    }

    /// Answers the request with an error and a reason of its own.
    pub fn refuse(&self, code: Code, reason: &str) {
        crate::metrics::metrics()
            .errors
            .with_label_values(&[code.as_str()])
            .inc();
        self.reply(ServerFrame::Error {
            id: self.request_id.clone(),
            code,
            message: reason.to_string(),
        });
    }
}

impl Origin {
    /// Answers a send with the outcome of its commit; true when the message is newly stored
    /// (and so must be delivered), false for a duplicate or a failure.
    pub fn acknowledge(
        &self,
        message: &NewMessage,
        outcome: Result<Stored, crate::store::StoreError>,
    ) -> bool {
        let (message_id, send_time, new) = match outcome {
            Ok(Stored::New) => (message.message_id, message.send_time, true),
            Ok(Stored::Duplicate {
                message_id,
                send_time,
            }) => (message_id, send_time, false),
            Err(_) => {
                self.fail(Code::Unavailable);
                return false;
            }
        };
        self.reply(ServerFrame::Ack {
            id: self.request_id.clone(),
            message_id: Some(Id(message_id)),
            send_time: Some(send_time),
            edit_version: None,
            edited_at: None,
            message_ids: None,
            expires_in: None,
        });
        new
    }
}
