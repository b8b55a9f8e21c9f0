//! One actor per WebSocket connection: heartbeats, the frame-size limit, a token-bucket rate
//! limit, decoding frames into typed requests, and a bounded outbound queue (its mailbox).
//! Requests go to the user and group actors; answers come back as pushed frames.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use chrono::Utc;

use super::group::TypingInGroup;
use super::handle::{CloseWith, HandleSlot, Push};
use super::requests;
use super::user::{Draft, MyGroups, Origin, ReplyTo, TypingPrivate, UserActor};
use super::SessionHandle;
use crate::auth::Identity;
use crate::chat::input::{check_send, Invalid};
use crate::chat::wire::served;
use crate::protocol::{ClientFrame, Code, Id, SendFrame, ServerFrame, Target};
use crate::state::AppState;
use crate::store::{Conversation, SyncCursor};

/// Bad frames a connection may send before it is closed with 1008.
const MAX_BAD_FRAMES: u32 = 20;

/// The session actor.
pub struct Session {
    state: Arc<AppState>,
    identity: Identity,
    connection_id: Arc<str>,
    /// How other actors reach this session, made once it runs.
    handle: HandleSlot,
    user: Option<Addr<UserActor>>,
    last_heard: Instant,
    rate: super::rate_limit::RateLimit,
    bad_frames: u32,
}

impl Session {
    pub fn new(state: Arc<AppState>, identity: Identity, info: super::ConnectionInfo) -> Self {
        let rate = super::rate_limit::RateLimit::new(&state.config.limits);
        Session {
            connection_id: Arc::from(uuid::Uuid::new_v4().simple().to_string()),
            handle: HandleSlot::new(info),
            state,
            identity,
            user: None,
            last_heard: Instant::now(),
            rate,
            bad_frames: 0,
        }
    }

    fn handle_of(&mut self, ctx: &ws::WebsocketContext<Self>) -> SessionHandle {
        self.handle
            .get(|| ctx.address(), &self.connection_id, &self.identity)
    }

    fn user_key(&self) -> super::UserKey {
        (self.identity.tenant_id, self.identity.user_id)
    }

    /// Joins (or re-joins, after it died) this user's actor.
    fn attach(&mut self, ctx: &mut ws::WebsocketContext<Self>, first: bool) {
        self.user = Some(self.handle_of(ctx).join(&self.state, first));
    }

    fn close(&self, ctx: &mut ws::WebsocketContext<Self>, code: u16, reason: &str) {
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::from(code),
            description: Some(reason.into()),
        }));
        ctx.stop();
    }

    fn send_frame(&self, ctx: &mut ws::WebsocketContext<Self>, frame: ServerFrame) {
        ctx.text(frame.to_text());
    }

    fn heartbeat(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let period = Duration::from_secs(self.state.config.limits.heartbeat_seconds);
        if self.last_heard.elapsed() > period * 2 {
            return self.close(ctx, 4008, "heartbeat timeout");
        }
        if self.identity.expires_at <= Utc::now().timestamp() {
            return self.close(ctx, 4001, "token expired");
        }
        if self.user.as_ref().is_none_or(|u| !u.connected()) {
            self.attach(ctx, false);
        }
        ctx.ping(b"");
    }

    fn origin(&mut self, ctx: &ws::WebsocketContext<Self>, request_id: Option<String>) -> Origin {
        Origin {
            tenant_id: self.identity.tenant_id,
            user_id: self.identity.user_id,
            user_name: self.identity.user_name.clone(),
            reply_to: ReplyTo::Session(self.handle_of(ctx)),
            request_id,
        }
    }

    fn bad_frame(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        detail: String,
    ) {
        self.bad_frames += 1;
        self.send_frame(
            ctx,
            ServerFrame::Error {
                id,
                code: Code::BadFrame.as_str(),
                message: detail,
            },
        );
        if self.bad_frames >= MAX_BAD_FRAMES {
            self.close(ctx, 1008, "too many bad frames");
        }
    }

    fn on_text(&mut self, ctx: &mut ws::WebsocketContext<Self>, text: &str) {
        if !self.rate.admit() {
            let id = crate::protocol::frame_id(text);
            return self.send_frame(ctx, ServerFrame::error(id, Code::RateLimited));
        }
        let envelope = match crate::protocol::decode(text) {
            Ok(e) => e,
            Err(bad) => return self.bad_frame(ctx, bad.id, bad.detail),
        };
        let id = envelope.id;
        crate::metrics::metrics()
            .frames_received
            .with_label_values(&[frame_kind(&envelope.frame)])
            .inc();
        match envelope.frame {
            ClientFrame::Ping => self.send_frame(ctx, ServerFrame::Pong { id }),
            ClientFrame::Send(send) => self.on_send(ctx, id, send),
            ClientFrame::Sync { after, limit } => self.on_sync(ctx, id, after, limit),
            ClientFrame::Recall { message_id } => self.on_recall(ctx, id, message_id),
            ClientFrame::Read { message_id } => self.on_read(ctx, id, message_id),
            ClientFrame::Typing(target) => self.on_typing(ctx, id, target),
            ClientFrame::Publish { topic, data } => self.on_publish(ctx, id, topic, data),
        }
    }

    fn on_send(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        send: SendFrame,
    ) {
        let extra = send.extra.unwrap_or_default();
        match check_send(&send.content, send.client_msg_id.as_deref(), &extra) {
            Ok(()) => {}
            Err(Invalid {
                code: Code::MessageIncomplete,
                ..
            }) => return self.send_frame(ctx, ServerFrame::error(id, Code::MessageIncomplete)),
            Err(invalid) => return self.bad_frame(ctx, id, invalid.detail),
        }
        let draft = Draft {
            content: send.content,
            message_type: send.message_type,
            is_anonymous: send.is_anonymous,
            extra,
            client_msg_id: send.client_msg_id,
        };
        let origin = self.origin(ctx, id.clone());
        match (send.target.to_user_id, send.target.group_id) {
            (Some(to), None) => {
                self.state
                    .supervisor
                    .send(&self.state, origin, Conversation::User(to), draft)
            }
            (None, Some(Id(group))) => {
                self.state
                    .supervisor
                    .send(&self.state, origin, Conversation::Group(group), draft)
            }
            _ => self.bad_frame(
                ctx,
                id,
                "`send` needs `toUserId` or `groupId`, not both".into(),
            ),
        }
    }

    fn on_sync(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        after: Option<String>,
        limit: Option<u32>,
    ) {
        let cursor = match after.as_deref() {
            None | Some("") => SyncCursor::default(),
            Some(text) => match SyncCursor::decode(text) {
                Some(c) => c,
                None => {
                    return self.bad_frame(
                        ctx,
                        id,
                        "`after` is not a cursor this server gave".into(),
                    )
                }
            },
        };
        let limit = u64::from(limit.unwrap_or(200).clamp(1, 1000));
        let (state, user_addr) = (
            self.state.clone(),
            self.state.supervisor.user(&self.state, self.user_key()),
        );
        let (tenant, user) = self.user_key();
        let handle = self.handle_of(ctx);
        actix::spawn(async move {
            // Wait for a turn (a storm of reconnects queues here), but not forever.
            let gate = tokio::time::timeout(Duration::from_secs(30), state.sync_gate.acquire());
            let Ok(Ok(_turn)) = gate.await else {
                handle.push(ServerFrame::error(id, Code::Unavailable).to_text());
                return;
            };
            let frame = match user_addr.send(MyGroups).await {
                Ok(Some(groups)) => {
                    match state.store.sync(tenant, user, &groups, cursor, limit).await {
                        Ok(page) => ServerFrame::Sync {
                            id,
                            messages: page.messages.iter().map(|m| served(m, user)).collect(),
                            next: page.next.encode(),
                            more: page.more,
                        },
                        Err(_) => ServerFrame::error(id, Code::Unavailable),
                    }
                }
                _ => ServerFrame::error(id, Code::Unavailable),
            };
            handle.push(frame.to_text());
        });
    }

    fn on_recall(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        message_id: Id,
    ) {
        actix::spawn(requests::recall(
            self.state.clone(),
            self.origin(ctx, id),
            message_id,
        ));
    }

    fn on_read(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        message_id: Id,
    ) {
        actix::spawn(requests::read(
            self.state.clone(),
            self.origin(ctx, id),
            self.user.clone(),
            message_id,
        ));
    }

    fn on_typing(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        target: Target,
    ) {
        let tenant = self.identity.tenant_id;
        match (target.to_user_id, target.group_id) {
            (Some(to), None) => {
                let origin = self.origin(ctx, id);
                self.state
                    .supervisor
                    .user(&self.state, (tenant, to))
                    .do_send(TypingPrivate {
                        origin,
                        answer: false,
                    });
            }
            (None, Some(Id(group))) => self
                .state
                .supervisor
                .group(&self.state, (tenant, group))
                .do_send(TypingInGroup(self.identity.user_id)),
            _ => self.bad_frame(
                ctx,
                id,
                "`typing` needs `toUserId` or `groupId`, not both".into(),
            ),
        }
    }

    fn on_publish(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        id: Option<String>,
        topic: String,
        data: serde_json::Value,
    ) {
        let valid = (1..=64).contains(&topic.len())
            && topic.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if !valid {
            return self.bad_frame(ctx, id, "`topic` must match [a-z0-9._-]{1,64}".into());
        }
        self.state
            .bus
            .client_published(crate::cluster::ClientPublish {
                topic,
                data,
                user_id: self.identity.user_id,
                tenant_id: self.identity.tenant_id,
                connection_id: self.connection_id.to_string(),
                node: self.state.node_name.clone(),
            });
        self.send_frame(
            ctx,
            ServerFrame::Ack {
                id,
                message_id: None,
                send_time: None,
            },
        );
    }
}

/// The metric label of a client frame.
fn frame_kind(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Send(_) => "send",
        ClientFrame::Recall { .. } => "recall",
        ClientFrame::Read { .. } => "read",
        ClientFrame::Sync { .. } => "sync",
        ClientFrame::Typing(_) => "typing",
        ClientFrame::Publish { .. } => "publish",
        ClientFrame::Ping => "ping",
    }
}

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.state.config.limits.outbound_queue);
        self.attach(ctx, true);
        let limits = &self.state.config.limits;
        self.send_frame(
            ctx,
            ServerFrame::Welcome {
                connection_id: self.connection_id.to_string(),
                user_id: self.identity.user_id,
                tenant_id: self.identity.tenant_id,
                node: self.state.node_name.clone(),
                server_time: Utc::now(),
                heartbeat_seconds: limits.heartbeat_seconds,
            },
        );
        ctx.run_interval(Duration::from_secs(limits.heartbeat_seconds), |act, ctx| {
            act.heartbeat(ctx)
        });
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        self.handle_of(ctx).leave(&self.state);
    }
}

impl Handler<Push> for Session {
    type Result = ();

    fn handle(&mut self, Push(text): Push, ctx: &mut Self::Context) {
        if self.handle.is_overflowed() {
            return self.close(ctx, 4008, "too slow to read");
        }
        if !text.is_empty() {
            ctx.text(text);
        }
    }
}

impl Handler<CloseWith> for Session {
    type Result = ();

    fn handle(&mut self, CloseWith(code, reason): CloseWith, ctx: &mut Self::Context) {
        self.close(ctx, code, &reason);
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match item {
            Ok(ws::Message::Text(text)) => self.on_text(ctx, &text),
            Ok(ws::Message::Binary(_)) => {
                self.bad_frame(ctx, None, "frames must be text (JSON)".into())
            }
            Ok(ws::Message::Ping(bytes)) => ctx.pong(&bytes),
            Ok(ws::Message::Pong(_)) => {}
            Ok(ws::Message::Close(_)) => self.close(ctx, 1000, "bye"),
            Ok(ws::Message::Continuation(_)) | Ok(ws::Message::Nop) => {}
            Err(ws::ProtocolError::Overflow) => {
                self.send_frame(ctx, ServerFrame::error(None, Code::FrameTooLarge));
                self.close(ctx, 1009, "frame too large");
            }
            Err(e) => {
                tracing::debug!(error = %e, "websocket protocol error");
                self.close(ctx, 1002, "protocol error");
            }
        }
    }
}
