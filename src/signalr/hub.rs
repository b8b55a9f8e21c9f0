//! One actor per SignalR hub connection: the handshake, records split on 0x1E, keep-alive and
//! client timeout, and ABP's `send`/`recall`/`read` methods carried out by the same user and
//! group actors as native sessions. Answers come back through a waiter per invocation;
//! deliveries arrive as native frames and are re-encoded for the hub (`translate`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use serde_json::Value;

use super::chat_message::ChatMessageIn;
use super::decode::{self, unexpected, Method};
use super::reader::RecordReader;
use super::records::{self, kind, Close, Completion, Incoming};
use super::translate::{self, Listener, GET_CHAT_MESSAGE, RECALL_CHAT_MESSAGE};
use super::MAX_MESSAGE_BYTES;
use crate::actors::group::TypingInGroup;
use crate::actors::handle::{CloseWith, HandleSlot, Push};
use crate::actors::rate_limit::RateLimit;
use crate::actors::requests;
use crate::actors::user::{Draft, Origin, TypingPrivate, UserActor};
use crate::actors::{ConnectionInfo, SessionHandle};
use crate::auth::Identity;
use crate::chat::input::{check_send, Invalid};
use crate::protocol::{Code, Id, ServerFrame};
use crate::state::AppState;
use crate::store::Conversation;

/// How long an invocation waits for the actors' answer before failing.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The hub session actor.
pub struct HubSession {
    state: Arc<AppState>,
    identity: Identity,
    connection_id: Arc<str>,
    /// The negotiated connection token, released when the socket closes.
    token: Option<String>,
    /// How other actors reach this session, made once it runs.
    handle: HandleSlot,
    user: Option<Addr<UserActor>>,
    joined: bool,
    /// Bytes of a record not yet ended by its separator.
    reader: RecordReader,
    last_heard: Instant,
    rate: RateLimit,
}

/// How an invocation ended, before it is written as a Completion.
enum Outcome {
    Result(Value),
    Void,
    Error(String),
}

impl HubSession {
    pub fn new(
        state: Arc<AppState>,
        identity: Identity,
        info: ConnectionInfo,
        connection_id: String,
        token: Option<String>,
    ) -> Self {
        let rate = RateLimit::new(&state.config.limits);
        HubSession {
            state,
            identity,
            connection_id: Arc::from(connection_id),
            token,
            handle: HandleSlot::new(info),
            user: None,
            joined: false,
            reader: RecordReader::new(MAX_MESSAGE_BYTES),
            last_heard: Instant::now(),
            rate,
        }
    }

    fn handle_of(&mut self, ctx: &ws::WebsocketContext<Self>) -> SessionHandle {
        self.handle
            .get(|| ctx.address(), &self.connection_id, &self.identity)
    }

    fn listener(&self) -> Listener {
        Listener {
            tenant_id: self.identity.tenant_id,
            user_id: self.identity.user_id,
        }
    }

    /// Ends the connection with a Close record (and its error, if any), then the socket.
    fn close(&self, ctx: &mut ws::WebsocketContext<Self>, error: Option<&str>, reconnect: bool) {
        ctx.text(records::record(&Close {
            kind: kind::CLOSE,
            error,
            allow_reconnect: reconnect,
        }));
        ctx.close(Some(ws::CloseCode::Normal.into()));
        ctx.stop();
    }

    /// `limits.heartbeat_seconds` paces the hub as SignalR's options do, and its default of 15
    /// gives SignalR's defaults: a ping after that long (`KeepAliveInterval`), the handshake
    /// within it (`HandshakeTimeout`), and a client silent for twice as long is gone
    /// (`ClientTimeoutInterval`, 30 s).
    fn keep_alive(&self) -> Duration {
        Duration::from_secs(self.state.config.limits.heartbeat_seconds)
    }

    fn tick(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.last_heard.elapsed() > 2 * self.keep_alive() {
            return self.close(ctx, Some("Client timeout elapsed."), true);
        }
        if self.identity.expires_at <= chrono::Utc::now().timestamp() {
            return self.close(ctx, Some("The token has expired."), false);
        }
        if !self.joined {
            // Nothing may precede the handshake's answer; the handshake timer closes it.
            return;
        }
        if self.user.as_ref().is_none_or(|u| !u.connected()) {
            self.user = Some(self.handle_of(ctx).join(&self.state, false));
        }
        ctx.text(records::PING_RECORD);
    }

    /// Takes bytes from the socket and handles every record they complete.
    fn feed(&mut self, ctx: &mut ws::WebsocketContext<Self>, bytes: &[u8]) {
        self.reader.push(bytes);
        while let Some(next) = self.reader.next_record() {
            let Ok(record) = next else {
                return self.too_large(ctx);
            };
            let record = record.to_vec();
            self.on_record(ctx, &record);
            if !ctx.state().alive() {
                return;
            }
        }
    }

    fn too_large(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        self.reader = RecordReader::new(MAX_MESSAGE_BYTES);
        self.close(
            ctx,
            Some("Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded."),
            false,
        );
    }

    fn on_record(&mut self, ctx: &mut ws::WebsocketContext<Self>, record: &[u8]) {
        if !self.joined {
            return self.on_handshake(ctx, record);
        }
        let Some(incoming) = decode::record(record) else {
            return self.close(ctx, Some("Connection closed with an error."), false);
        };
        match incoming.kind {
            kind::INVOCATION => self.on_invocation(ctx, incoming),
            kind::STREAM_INVOCATION => {
                let target = incoming.target.unwrap_or_default();
                let error =
                    format!("The client attempted to invoke the non-streaming '{target}' method with a streaming invocation.");
                self.complete(ctx, incoming.invocation_id, Outcome::Error(error));
            }
            kind::CLOSE => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
            kind::PING
            | kind::COMPLETION
            | kind::STREAM_ITEM
            | kind::CANCEL_INVOCATION
            | kind::ACK
            | kind::SEQUENCE => {}
            _ => self.close(ctx, Some("Connection closed with an error."), false),
        }
    }

    fn on_handshake(&mut self, ctx: &mut ws::WebsocketContext<Self>, record: &[u8]) {
        match decode::handshake(record) {
            Ok(()) => {
                ctx.text(records::HANDSHAKE_OK);
                self.joined = true;
                self.user = Some(self.handle_of(ctx).join(&self.state, true));
            }
            Err(error) => {
                ctx.text(records::record(&serde_json::json!({ "error": error })));
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
        }
    }

    fn on_invocation(&mut self, ctx: &mut ws::WebsocketContext<Self>, call: Incoming) {
        let id = call.invocation_id;
        let call = match decode::invocation(call.target, call.arguments) {
            Ok(call) => call,
            Err(error) => return self.complete(ctx, id, Outcome::Error(error)),
        };
        crate::metrics::metrics()
            .frames_received
            .with_label_values(&[call.method.label()])
            .inc();
        if !self.rate.admit() {
            let limited = Code::RateLimited;
            let error = unexpected(&call.target, Some((limited.as_str(), limited.message())));
            return self.complete(ctx, id, Outcome::Error(error));
        }
        match call.method {
            Method::Send => self.on_send(ctx, id, call.target, call.message),
            Method::Recall => self.on_recall(ctx, id, call.target, call.message),
            Method::Read => self.on_read(ctx, id, call.message),
            Method::Typing => self.on_typing(ctx, id, call.target, call.message),
        }
    }

    fn on_send(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        target: String,
        message: ChatMessageIn,
    ) {
        let conversation = match (message.group_id, message.to_user_id) {
            (Some(group), _) => Conversation::Group(group),
            (None, Some(to)) => Conversation::User(to),
            (None, None) => return self.refuse_send(ctx, id, &message, Code::UserNotFound),
        };
        match check_send(&message.content, None, &message.extra_properties) {
            Ok(()) => {}
            Err(Invalid {
                code: Code::MessageIncomplete,
                ..
            }) => return self.refuse_send(ctx, id, &message, Code::MessageIncomplete),
            Err(invalid) => {
                let error = unexpected(&target, Some((invalid.code.as_str(), &invalid.detail)));
                return self.complete(ctx, id, Outcome::Error(error));
            }
        }
        let draft = Draft {
            content: message.content.clone(),
            message_type: message.message_type,
            is_anonymous: message.is_anonymous,
            extra: message.extra_properties.clone(),
            client_msg_id: None,
        };
        let (origin, answer) = self.origin();
        self.state
            .supervisor
            .send(&self.state, origin, conversation, draft);
        self.await_answer(ctx, answer, move |act, ctx, frame| match frame {
            ServerFrame::Ack {
                message_id: Some(Id(message_id)),
                ..
            } => act.complete(ctx, id, Outcome::Result(message_id.to_string().into())),
            ServerFrame::Error {
                code,
                message: text,
                ..
            } if is_business(code) => {
                act.notify_failure(ctx, GET_CHAT_MESSAGE, &message, &text, None);
                act.complete(ctx, id, Outcome::Result(String::new().into()));
            }
            other => act.complete(ctx, id, Outcome::Error(failed(&target, &other))),
        });
    }

    /// A send refused before it reached an actor, the way upstream refuses it.
    fn refuse_send(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        message: &ChatMessageIn,
        code: Code,
    ) {
        self.notify_failure(ctx, GET_CHAT_MESSAGE, message, code.message(), None);
        self.complete(ctx, id, Outcome::Result(String::new().into()));
    }

    fn on_recall(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        target: String,
        message: ChatMessageIn,
    ) {
        let Some(message_id) = message.message_id else {
            return self.complete(ctx, id, Outcome::Error(unexpected(&target, None)));
        };
        let (origin, answer) = self.origin();
        actix::spawn(requests::recall(self.state.clone(), origin, Id(message_id)));
        self.await_answer(ctx, answer, move |act, ctx, frame| match frame {
            ServerFrame::Ack { .. } => act.complete(ctx, id, Outcome::Void),
            ServerFrame::Error {
                code,
                message: text,
                ..
            } if is_business(code) => {
                act.notify_failure(ctx, RECALL_CHAT_MESSAGE, &message, &text, Some(message_id));
                act.complete(ctx, id, Outcome::Void);
            }
            other => act.complete(ctx, id, Outcome::Error(failed(&target, &other))),
        });
    }

    fn on_read(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        message: ChatMessageIn,
    ) {
        // Upstream logs and swallows every failure of `read`.
        let Some(message_id) = message.message_id else {
            return self.complete(ctx, id, Outcome::Void);
        };
        let (origin, answer) = self.origin();
        let user = self.user.clone();
        actix::spawn(requests::read(
            self.state.clone(),
            origin,
            user,
            Id(message_id),
        ));
        self.await_answer(ctx, answer, move |act, ctx, _| {
            act.complete(ctx, id, Outcome::Void)
        });
    }

    /// `typing` (this product's extension): to a user, under the private-send rule, a refusal
    /// failing the invocation with the code a send gets; to a group, its other online members.
    fn on_typing(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        target: String,
        message: ChatMessageIn,
    ) {
        let tenant = self.identity.tenant_id;
        match (message.group_id, message.to_user_id) {
            (Some(group), _) => {
                self.state
                    .supervisor
                    .group(&self.state, (tenant, group))
                    .do_send(TypingInGroup(self.identity.user_id));
                self.complete(ctx, id, Outcome::Void);
            }
            (None, Some(to)) => {
                let (origin, answer) = self.origin();
                self.state
                    .supervisor
                    .user(&self.state, (tenant, to))
                    .do_send(TypingPrivate {
                        origin,
                        answer: true,
                    });
                self.await_answer(ctx, answer, move |act, ctx, frame| match frame {
                    ServerFrame::Ack { .. } => act.complete(ctx, id, Outcome::Void),
                    other => act.complete(ctx, id, Outcome::Error(failed(&target, &other))),
                });
            }
            (None, None) => {
                let error = format!("Failed to invoke '{target}' due to an error on the server.");
                self.complete(ctx, id, Outcome::Error(error));
            }
        }
    }

    /// An origin whose answer comes back to this actor as a typed frame.
    fn origin(&self) -> (Origin, tokio::sync::oneshot::Receiver<ServerFrame>) {
        Origin::awaited(&self.identity)
    }

    /// Runs `then` with the actors' answer (or `IM:Unavailable` when none comes).
    fn await_answer(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        answer: tokio::sync::oneshot::Receiver<ServerFrame>,
        then: impl FnOnce(&mut Self, &mut ws::WebsocketContext<Self>, ServerFrame) + Send + 'static,
    ) {
        // A task of its own per answer, not `ctx.spawn`: actix polls all of an actor's
        // spawned futures on every wake (see `actors::commit`).
        let hub = ctx.address();
        actix_rt::spawn(async move {
            let frame = match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
                Ok(Ok(frame)) => frame,
                _ => ServerFrame::error(None, Code::Unavailable),
            };
            hub.do_send(Answered(Box::new(move |act, ctx| then(act, ctx, frame))));
        });
    }

    /// Upstream's system notice of a failed send or recall, to this connection.
    fn notify_failure(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        callback: &str,
        message: &ChatMessageIn,
        text: &str,
        original: Option<i64>,
    ) {
        let notice = translate::notifier(
            self.listener(),
            message.to_user_id,
            message.group_id,
            text,
            original,
        );
        ctx.text(translate::call(callback, [notice]));
    }

    fn complete(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        outcome: Outcome,
    ) {
        // Without an id the client asked for no answer.
        let Some(id) = id else { return };
        let (result, error) = match outcome {
            Outcome::Result(value) => (Some(value), None),
            Outcome::Void => (None, None),
            Outcome::Error(error) => (None, Some(error)),
        };
        ctx.text(records::record(&Completion {
            kind: kind::COMPLETION,
            invocation_id: &id,
            result,
            error,
        }));
    }
}

/// ABP's numbered error codes are business errors: upstream answers them with a notice, not
/// a failed invocation.
fn is_business(code: &str) -> bool {
    code.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// The error text of an invocation that failed on this server's own terms.
fn failed(target: &str, frame: &ServerFrame) -> String {
    match frame {
        ServerFrame::Error { code, message, .. } => unexpected(target, Some((code, message))),
        _ => unexpected(target, None),
    }
}

impl Actor for HubSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.state.config.limits.outbound_queue);
        ctx.run_later(self.keep_alive(), |act, ctx| {
            if !act.joined {
                ctx.close(Some(ws::CloseCode::Policy.into()));
                ctx.stop();
            }
        });
        ctx.run_interval(self.keep_alive(), |act, ctx| act.tick(ctx));
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        if self.joined {
            self.handle_of(ctx).leave(&self.state);
        }
        if let Some(token) = &self.token {
            self.state.hubs.release(token);
        }
    }
}

impl Handler<Push> for HubSession {
    type Result = ();

    fn handle(&mut self, Push(text): Push, ctx: &mut Self::Context) {
        if self.handle.is_overflowed() {
            return self.close(ctx, Some("The client is too slow to read."), true);
        }
        let ids = &self.state.ids;
        if let Some(record) = translate::to_hub(self.listener(), &text, || ids.next_id()) {
            ctx.text(record);
        }
    }
}

impl Handler<CloseWith> for HubSession {
    type Result = ();

    fn handle(&mut self, CloseWith(code, reason): CloseWith, ctx: &mut Self::Context) {
        // A draining pod lets the client reconnect (to another pod); a kick or logout does not.
        self.close(ctx, Some(&reason), code == 1012);
    }
}

/// An invocation's answer arrived: what the hub does with it, run in the actor.
#[derive(Message)]
#[rtype(result = "()")]
struct Answered(Box<Then>);

/// A step to take in the hub actor once an answer is in.
type Then = dyn FnOnce(&mut HubSession, &mut ws::WebsocketContext<HubSession>) + Send;

impl Handler<Answered> for HubSession {
    type Result = ();

    fn handle(&mut self, Answered(then): Answered, ctx: &mut Self::Context) {
        then(self, ctx);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for HubSession {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match item {
            Ok(ws::Message::Text(text)) => self.feed(ctx, text.as_bytes()),
            Ok(ws::Message::Binary(bytes)) => self.feed(ctx, &bytes),
            Ok(ws::Message::Continuation(item)) => match item {
                actix_http::ws::Item::FirstText(b)
                | actix_http::ws::Item::FirstBinary(b)
                | actix_http::ws::Item::Continue(b)
                | actix_http::ws::Item::Last(b) => self.feed(ctx, &b),
            },
            Ok(ws::Message::Ping(bytes)) => ctx.pong(&bytes),
            Ok(ws::Message::Close(_)) => {
                ctx.close(Some(ws::CloseCode::Normal.into()));
                ctx.stop();
            }
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
            Err(ws::ProtocolError::Overflow) => self.too_large(ctx),
            Err(e) => {
                tracing::debug!(error = %e, "hub websocket protocol error");
                ctx.stop();
            }
        }
    }
}
