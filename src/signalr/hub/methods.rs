//! The hub's methods: ABP's `send`, `recall` and `read`, and this product's `typing`, `sync`,
//! `edit`, `react` and `hide`, each decoded into the request every protocol makes
//! (`requests::submit`) and its answer encoded as ABP's hub gives it: a Completion, and for a
//! refused send or recall ABP's notice.

use actix::prelude::*;
use actix_web_actors::ws;
use serde_json::Value;

use super::HubSession;
use crate::protocol::{Code, Id, ServerFrame};
use crate::requests::{self, Invalid, Origin, Request, SendRequest};
use crate::signalr::chat_message::ChatMessageIn;
use crate::signalr::decode::{self, unexpected, Arguments, Method};
use crate::signalr::records::{self, kind, Completion, Incoming};
use crate::signalr::translate::{self, GET_CHAT_MESSAGE, RECALL_CHAT_MESSAGE};

/// How long an invocation waits for the actors' answer before failing.
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

type Ctx = ws::WebsocketContext<HubSession>;

/// One invocation being answered: its id (none when the client wants no answer) and the
/// method's name as the client spelled it (errors quote it).
pub(super) struct Invocation {
    id: Option<String>,
    target: String,
}

impl Invocation {
    pub(super) fn new(id: Option<String>, target: String) -> Self {
        Invocation { id, target }
    }

    /// Completes with `result` (`None`: a void method).
    pub(super) fn answer(self, ctx: &mut Ctx, result: Option<Value>) {
        self.complete(ctx, result, None);
    }

    /// Completes with an error text.
    pub(super) fn fail(self, ctx: &mut Ctx, error: String) {
        self.complete(ctx, None, Some(error));
    }

    /// Completes with the error of a method that threw, quoting this server's code if any.
    pub(super) fn fail_with(self, ctx: &mut Ctx, reason: Option<(&str, &str)>) {
        let error = unexpected(&self.target, reason);
        self.fail(ctx, error);
    }

    /// Completes with the actors' answer when it is not the one expected.
    fn failed(self, ctx: &mut Ctx, frame: &ServerFrame) {
        match frame {
            ServerFrame::Error { code, message, .. } => {
                self.fail_with(ctx, Some((code.as_str(), message)))
            }
            _ => self.fail_with(ctx, None),
        }
    }

    fn complete(self, ctx: &mut Ctx, result: Option<Value>, error: Option<String>) {
        let Some(id) = self.id else { return };
        ctx.text(records::record(&Completion {
            kind: kind::COMPLETION,
            invocation_id: &id,
            result,
            error,
        }));
    }
}

/// Whom a ChatMessage was for: all a failure notice names of it.
#[derive(Clone, Copy)]
struct Addressed {
    to_user_id: Option<uuid::Uuid>,
    group_id: Option<i64>,
}

impl Addressed {
    fn of(message: &ChatMessageIn) -> Self {
        Addressed {
            to_user_id: message.to_user_id,
            group_id: message.group_id,
        }
    }
}

impl HubSession {
    pub(super) fn on_invocation(&mut self, ctx: &mut Ctx, incoming: Incoming) {
        let id = incoming.invocation_id;
        let call = match decode::invocation(incoming.target, incoming.arguments) {
            Ok(call) => call,
            Err(error) => return Invocation::new(id, String::new()).fail(ctx, error),
        };
        crate::metrics::metrics()
            .frames_received
            .with_label_values(&[call.method.label()])
            .inc();
        let call_of = Invocation::new(id, call.target);
        if !self.rate.admit() {
            let limited = Code::RateLimited;
            return call_of.fail_with(ctx, Some((limited.as_str(), limited.message())));
        }
        match (call.method, call.arguments) {
            (Method::Send, Arguments::Chat(m)) => self.on_send(ctx, call_of, m),
            (Method::Recall, Arguments::Chat(m)) => self.on_recall(ctx, call_of, m),
            (Method::Read, Arguments::Chat(m)) => self.on_read(ctx, call_of, m),
            (Method::Typing, Arguments::Chat(m)) => self.on_typing(ctx, call_of, m),
            (Method::Sync, Arguments::Sync { after, limit }) => {
                self.on_sync(ctx, call_of, after, limit)
            }
            (
                Method::Edit,
                Arguments::Edit {
                    message_id,
                    content,
                },
            ) => self.on_operation(
                ctx,
                call_of,
                Request::Edit {
                    message_id,
                    content,
                },
            ),
            (
                Method::React,
                Arguments::React {
                    message_id,
                    emoji,
                    add,
                },
            ) => self.on_operation(
                ctx,
                call_of,
                Request::React {
                    message_id,
                    emoji,
                    add,
                },
            ),
            (Method::Hide, Arguments::Hide { message_id }) => {
                self.on_operation(ctx, call_of, Request::Hide { message_id })
            }
            (Method::Forward, Arguments::Forward(forward)) => {
                self.on_operation(ctx, call_of, Request::Forward(forward.into()))
            }
            (Method::Refresh, Arguments::Refresh(token)) => self.on_refresh(ctx, call_of, token),
            (_, _) => call_of.fail_with(ctx, None),
        }
    }

    /// Submits `request` for `call`. Refused before it started, the invocation fails with the
    /// refusal's code (an empty message is left to the caller: ABP answers it with a notice);
    /// started, the actors' answer comes back to `then` in this actor.
    fn submit(
        &mut self,
        ctx: &mut Ctx,
        call: Invocation,
        request: Request,
        then: impl FnOnce(&mut Self, &mut Ctx, Invocation, ServerFrame) + Send + 'static,
    ) -> Result<(), Invalid> {
        let (origin, answer) = Origin::awaited(&self.identity);
        if let Err(invalid) = requests::submit(&self.state, origin, request) {
            if invalid.code != Code::MessageIncomplete {
                call.fail_with(ctx, Some((invalid.code.as_str(), &invalid.detail)));
            }
            return Err(invalid);
        }
        // A task of its own per answer, not `ctx.spawn`: actix polls all of an actor's
        // spawned futures on every wake (see `actors::commit`).
        let hub = ctx.address();
        actix_rt::spawn(async move {
            let frame = match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
                Ok(Ok(frame)) => frame,
                _ => ServerFrame::error(None, Code::Unavailable),
            };
            hub.do_send(Answered(Box::new(move |act, ctx| {
                then(act, ctx, call, frame)
            })));
        });
        Ok(())
    }

    fn on_send(&mut self, ctx: &mut Ctx, call: Invocation, mut message: ChatMessageIn) {
        // ABP's ChatMessage names both: a group id makes it a group message, and without
        // either the user is nobody.
        let sent = Addressed::of(&message);
        let (to_user_id, group_id) = match (message.group_id, message.to_user_id) {
            (Some(group), _) => (None, Some(group)),
            (None, Some(to)) => (Some(to), None),
            (None, None) => return self.refuse_send(ctx, call, sent, Code::UserNotFound),
        };
        let request = Request::Send(SendRequest {
            to_user_id,
            group_id,
            content: message.content,
            message_type: message.message_type,
            is_anonymous: message.is_anonymous,
            media: media_of(&mut message.extra_properties),
            extra: message.extra_properties,
            client_msg_id: None,
            reply_to: None,
            mentions: None,
        });
        // The send is answered with its id, or (refused) ABP's notice and an empty id.
        let id = call.id.clone();
        let submitted = self.submit(
            ctx,
            call,
            request,
            move |act, ctx, call, frame| match frame {
                ServerFrame::Ack {
                    message_id: Some(Id(message_id)),
                    ..
                } => call.answer(ctx, Some(message_id.to_string().into())),
                ServerFrame::Error { code, message, .. } if code.is_business() => {
                    act.refuse_send_with(ctx, call, sent, &message)
                }
                other => call.failed(ctx, &other),
            },
        );
        if submitted.is_err_and(|invalid| invalid.code == Code::MessageIncomplete) {
            self.refuse_send(
                ctx,
                Invocation::new(id, String::new()),
                sent,
                Code::MessageIncomplete,
            );
        }
    }

    /// A send refused the way upstream refuses it: a notice, and an empty message id.
    fn refuse_send(&mut self, ctx: &mut Ctx, call: Invocation, to: Addressed, code: Code) {
        self.refuse_send_with(ctx, call, to, code.message());
    }

    fn refuse_send_with(&mut self, ctx: &mut Ctx, call: Invocation, to: Addressed, text: &str) {
        self.notify_failure(ctx, GET_CHAT_MESSAGE, to, text, None);
        call.answer(ctx, Some(String::new().into()));
    }

    fn on_recall(&mut self, ctx: &mut Ctx, call: Invocation, message: ChatMessageIn) {
        let Some(message_id) = message.message_id else {
            return call.fail_with(ctx, None);
        };
        let (request, to) = (Request::Recall { message_id }, Addressed::of(&message));
        let _ = self.submit(
            ctx,
            call,
            request,
            move |act, ctx, call, frame| match frame {
                ServerFrame::Ack { .. } => call.answer(ctx, None),
                ServerFrame::Error {
                    code,
                    message: text,
                    ..
                } if code.is_business() => {
                    act.notify_failure(ctx, RECALL_CHAT_MESSAGE, to, &text, Some(message_id));
                    call.answer(ctx, None);
                }
                other => call.failed(ctx, &other),
            },
        );
    }

    fn on_read(&mut self, ctx: &mut Ctx, call: Invocation, message: ChatMessageIn) {
        // Upstream logs and swallows every failure of `read`.
        let Some(message_id) = message.message_id else {
            return call.answer(ctx, None);
        };
        let request = Request::Read { message_id };
        let _ = self.submit(ctx, call, request, |_, ctx, call, _| call.answer(ctx, None));
    }

    /// `typing` (this product's extension): to a user, under the private-send rule, a refusal
    /// failing the invocation with the code a send gets; to a group, its other online members.
    fn on_typing(&mut self, ctx: &mut Ctx, call: Invocation, message: ChatMessageIn) {
        // As for `send`, a group id makes it the group's.
        let request = Request::Typing {
            to_user_id: message.to_user_id.filter(|_| message.group_id.is_none()),
            group_id: message.group_id,
        };
        let _ = self.submit(ctx, call, request, |_, ctx, call, frame| match frame {
            ServerFrame::Ack { .. } => call.answer(ctx, None),
            other => call.failed(ctx, &other),
        });
    }

    /// `edit`, `react`, `hide` and `forward` (this product's extensions): completed with
    /// nothing, or with the native `ack`'s fields when it has any (an edit's `editVersion`,
    /// `editedAt`; a forward's `messageIds`); a refusal fails the invocation with its code.
    fn on_operation(&mut self, ctx: &mut Ctx, call: Invocation, request: Request) {
        let _ = self.submit(ctx, call, request, |_, ctx, call, frame| match frame {
            ServerFrame::Ack {
                edit_version: None,
                message_ids: None,
                expires_in: None,
                ..
            } => call.answer(ctx, None),
            ServerFrame::Ack { .. } => call.answer(ctx, Some(frame.fields())),
            other => call.failed(ctx, &other),
        });
    }

    /// `sync` (this product's extension): the page after a cursor as the native `sync`
    /// answers it, `{messages, changes, hidden, next, more}`, its messages in the native form.
    fn on_sync(
        &mut self,
        ctx: &mut Ctx,
        call: Invocation,
        after: Option<String>,
        limit: Option<u32>,
    ) {
        let request = Request::Sync { after, limit };
        let _ = self.submit(ctx, call, request, |_, ctx, call, frame| match frame {
            ServerFrame::Sync {
                messages,
                changes,
                hidden,
                next,
                more,
                ..
            } => {
                let page = serde_json::json!({
                    "messages": messages, "changes": changes, "hidden": hidden,
                    "next": next, "more": more,
                });
                call.answer(ctx, Some(page))
            }
            other => call.failed(ctx, &other),
        });
    }

    /// `refresh(accessToken)` (this product's extension): the connection takes a newer token
    /// of the same user and session and carries on; completed with `{expiresIn}`.
    pub(super) fn on_refresh(&mut self, ctx: &mut Ctx, call: Invocation, token: String) {
        let state = self.state.clone();
        let current = self.identity.clone();
        let check =
            async move { crate::http::identity::reauthenticate(&state, &current, token).await };
        ctx.spawn(check.into_actor(self).map(move |checked, act, ctx| {
            if act.socket.is_closing() {
                return;
            }
            match checked {
                Ok(identity) => {
                    let expires_in = identity.expires_at - crate::auth::unix_now();
                    act.identity = identity;
                    act.start_clock(ctx);
                    call.answer(ctx, Some(serde_json::json!({ "expiresIn": expires_in })));
                }
                Err(refused) => {
                    call.fail_with(ctx, Some((refused.code.as_str(), &refused.message)))
                }
            }
        }));
    }

    /// Upstream's system notice of a failed send or recall, to this connection.
    fn notify_failure(
        &mut self,
        ctx: &mut Ctx,
        callback: &str,
        to: Addressed,
        text: &str,
        original: Option<i64>,
    ) {
        let notice =
            translate::notifier(self.listener(), to.to_user_id, to.group_id, text, original);
        ctx.text(translate::call(callback, [notice]));
    }
}

/// A media message's `media`, which ABP's ChatMessage has no field for: its
/// `extraProperties.Media` (any letter case).
fn media_of(extra: &mut serde_json::Map<String, Value>) -> Option<Value> {
    let key = extra
        .keys()
        .find(|k| k.eq_ignore_ascii_case("media"))?
        .clone();
    extra.remove(&key)
}

/// An invocation's answer arrived: what the hub does with it, run in the actor.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Answered(pub(super) Box<Then>);

/// A step to take in the hub actor once an answer is in.
pub(super) type Then = dyn FnOnce(&mut HubSession, &mut Ctx) + Send;

impl Handler<Answered> for HubSession {
    type Result = ();

    fn handle(&mut self, Answered(then): Answered, ctx: &mut Ctx) {
        // A connection that sent its close frame writes nothing more.
        if !self.socket.is_closing() {
            then(self, ctx);
        }
    }
}
