//! One actor per WebSocket connection: heartbeats, the frame-size limit, a token-bucket rate
//! limit, decoding frames into requests (`requests::submit` carries them out, as for every
//! protocol), and a bounded outbound queue (its mailbox). Answers come back as pushed frames.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use chrono::Utc;

use super::handle::{CloseWith, FreshIds, HandleSlot, Push};
use super::token_clock::{expiring_notice, TokenClock};
use super::user::UserActor;
use super::SessionHandle;
use crate::auth::Identity;
use crate::http::socket_end::SocketEnd;
use crate::protocol::{ClientFrame, Code, ServerFrame};
use crate::requests::{self, Invalid, Origin, ReplyTo, Request};
use crate::state::AppState;

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
    /// The connection's socket, ended by the server once the session closes.
    socket: SocketEnd,
    /// The messages sent while the session may be caught up.
    fresh: FreshIds,
    /// When the token runs out (a `refresh` moves it).
    clock: TokenClock,
}

impl Session {
    pub fn new(
        state: Arc<AppState>,
        identity: Identity,
        info: super::ConnectionInfo,
        arrived: Option<crate::store::SyncCursor>,
        socket: SocketEnd,
    ) -> Self {
        let rate = super::rate_limit::RateLimit::new(&state.config.limits);
        Session {
            connection_id: Arc::from(uuid::Uuid::new_v4().simple().to_string()),
            handle: HandleSlot::new(info, arrived),
            fresh: FreshIds::new(arrived.is_some()),
            state,
            identity,
            user: None,
            last_heard: Instant::now(),
            rate,
            bad_frames: 0,
            socket,
            clock: TokenClock::default(),
        }
    }

    fn handle_of(&mut self, ctx: &ws::WebsocketContext<Self>) -> SessionHandle {
        self.handle
            .get(|| ctx.address(), &self.connection_id, &self.identity)
    }

    /// Joins (or re-joins, after it died) this user's actor.
    fn attach(&mut self, ctx: &mut ws::WebsocketContext<Self>, first: bool) {
        self.user = Some(self.handle_of(ctx).join(&self.state, first));
    }

    /// Sends a close frame with `code`, then ends the connection (once).
    fn close(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: u16, reason: &str) {
        if self.socket.close(ctx, |act: &mut Self| &mut act.socket) {
            ctx.close(Some(ws::CloseReason {
                code: ws::CloseCode::from(code),
                description: Some(reason.into()),
            }));
        }
    }

    fn send_frame(&self, ctx: &mut ws::WebsocketContext<Self>, frame: ServerFrame) {
        ctx.text(frame.to_text());
    }

    fn heartbeat(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.socket.is_closing() {
            return;
        }
        let period = Duration::from_secs(self.state.config.limits.heartbeat_seconds);
        if self.last_heard.elapsed() > period * 2 {
            return self.close(ctx, 4008, "heartbeat timeout");
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
                code: Code::BadFrame,
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
        let request = match envelope.frame {
            ClientFrame::Ping => {
                count_frame("ping");
                return self.send_frame(ctx, ServerFrame::Pong { id });
            }
            ClientFrame::Send(send) => Request::Send(send.into()),
            ClientFrame::Sync { after, limit } => Request::Sync { after, limit },
            ClientFrame::Recall { message_id } => Request::Recall {
                message_id: message_id.0,
            },
            ClientFrame::Read { message_id } => Request::Read {
                message_id: message_id.0,
            },
            ClientFrame::Edit {
                message_id,
                content,
            } => Request::Edit {
                message_id: message_id.0,
                content,
            },
            ClientFrame::React {
                message_id,
                emoji,
                add,
            } => Request::React {
                message_id: message_id.0,
                emoji,
                add,
            },
            ClientFrame::Hide { message_id } => Request::Hide {
                message_id: message_id.0,
            },
            ClientFrame::Forward(forward) => Request::Forward(forward.into()),
            ClientFrame::Typing(target) => Request::Typing {
                to_user_id: target.to_user_id,
                group_id: target.group_id.map(|g| g.0),
            },
            ClientFrame::Publish { topic, data } => Request::Publish { topic, data },
            ClientFrame::Refresh { access_token } => {
                count_frame("refresh");
                return self.refresh(ctx, id, access_token);
            }
            ClientFrame::State { foreground } => {
                count_frame("state");
                let state = self.state.clone();
                self.handle_of(ctx).app_state(&state, foreground);
                return self.send_frame(ctx, ServerFrame::ack(id));
            }
        };
        count_frame(request.name());
        let origin = self.origin(ctx, id.clone());
        match requests::submit(&self.state, origin, request) {
            Ok(()) => {}
            // An empty message is a business error (ABP's), not a broken frame.
            Err(Invalid {
                code: Code::MessageIncomplete,
                ..
            }) => self.send_frame(ctx, ServerFrame::error(id, Code::MessageIncomplete)),
            Err(invalid) => self.bad_frame(ctx, id, invalid.detail),
        }
    }
}

impl Session {
    /// Swaps the socket's token for a newer one of the same user and session, once it checks
    /// out: the session carries on past the old token's expiry.
    fn refresh(&mut self, ctx: &mut ws::WebsocketContext<Self>, id: Option<String>, token: String) {
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
                    let expires_at = identity.expires_at;
                    act.identity = identity;
                    act.start_clock(ctx);
                    let frame = ServerFrame::Ack {
                        id,
                        message_id: None,
                        send_time: None,
                        edit_version: None,
                        edited_at: None,
                        message_ids: None,
                        expires_in: Some(expires_at - Utc::now().timestamp()),
                    };
                    act.send_frame(ctx, frame);
                }
                Err(refused) => act.send_frame(
                    ctx,
                    ServerFrame::Error {
                        id,
                        code: refused.code,
                        message: refused.message,
                    },
                ),
            }
        }));
    }

    fn start_clock(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        self.clock.set(
            ctx,
            self.identity.expires_at,
            |act: &mut Self, ctx| {
                let notice = expiring_notice(act.identity.expires_at);
                act.send_frame(ctx, notice);
            },
            |act: &mut Self, ctx| act.close(ctx, 4001, "token expired"),
        );
    }
}

/// Counts a client frame by kind.
fn count_frame(kind: &str) {
    crate::metrics::metrics()
        .frames_received
        .with_label_values(&[kind])
        .inc();
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
        self.start_clock(ctx);
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        self.handle_of(ctx).leave(&self.state);
    }
}

impl Handler<Push> for Session {
    type Result = ();

    fn handle(&mut self, Push(text): Push, ctx: &mut Self::Context) {
        if self.socket.is_closing() {
            return;
        }
        if self.handle.is_overflowed() {
            return self.close(ctx, 4008, "too slow to read");
        }
        if !text.is_empty() && self.fresh.admit(&text) {
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
        if self.socket.is_closing() {
            return;
        }
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
