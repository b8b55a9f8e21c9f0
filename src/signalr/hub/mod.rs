//! One actor per SignalR hub connection: the handshake, records split on 0x1E, keep-alive and
//! client timeout, and ABP's `send`/`recall`/`read` methods (with this product's `typing` and
//! `sync`) decoded into the requests every protocol makes (`requests::submit`). Answers come
//! back through a waiter per invocation; deliveries arrive as native frames and are re-encoded
//! for the hub (`translate`).

mod methods;
mod notification_methods;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;

use crate::actors::handle::{CloseWith, FreshIds, HandleSlot, Push};
use crate::actors::rate_limit::RateLimit;
use crate::actors::token_clock::{expiring_notice, TokenClock};
use crate::actors::user::UserActor;
use crate::actors::{ConnectionInfo, SessionHandle};
use crate::auth::Identity;
use crate::http::socket_end::SocketEnd;
use crate::signalr::decode;
use crate::signalr::reader::RecordReader;
use crate::signalr::records::{self, kind, Close};
use crate::signalr::translate::{self, Listener};
use crate::signalr::MAX_MESSAGE_BYTES;
use crate::state::AppState;

/// Which of ABP's two hubs a connection is to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubKind {
    /// `MessagesHub` (`/signalr-hubs/messages`): chat.
    Messages,
    /// `NotificationsHub` (`/signalr-hubs/notifications`): notifications.
    Notifications,
}

/// The hub session actor.
pub struct HubSession {
    kind: HubKind,
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
    /// The connection's socket, ended by the server once the session closes.
    socket: SocketEnd,
    /// The messages sent while the session may be caught up.
    fresh: FreshIds,
    /// When the token runs out (a `refresh` moves it).
    clock: TokenClock,
}

impl HubSession {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: HubKind,
        state: Arc<AppState>,
        identity: Identity,
        info: ConnectionInfo,
        connection_id: String,
        token: Option<String>,
        arrived: Option<crate::store::SyncCursor>,
        socket: SocketEnd,
    ) -> Self {
        let rate = RateLimit::new(&state.config.limits);
        HubSession {
            kind,
            state,
            identity,
            connection_id: Arc::from(connection_id),
            token,
            handle: HandleSlot::new(info, arrived),
            fresh: FreshIds::new(arrived.is_some()),
            user: None,
            joined: false,
            reader: RecordReader::new(MAX_MESSAGE_BYTES),
            last_heard: Instant::now(),
            rate,
            socket,
            clock: TokenClock::default(),
        }
    }

    /// (Re)starts the token's timers: `token-expiring` before it runs out, the close after
    /// the grace period.
    fn start_clock(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        self.clock.set(
            ctx,
            self.identity.expires_at,
            |act: &mut Self, ctx| {
                if act.joined && !act.socket.is_closing() {
                    let notice = expiring_notice(act.identity.expires_at).to_text();
                    if let Some(record) = act.translate(&notice) {
                        ctx.text(record);
                    }
                }
            },
            |act: &mut Self, ctx| act.close(ctx, Some("The token has expired."), false),
        );
    }

    fn handle_of(&mut self, ctx: &ws::WebsocketContext<Self>) -> SessionHandle {
        self.handle
            .get(|| ctx.address(), &self.connection_id, &self.identity)
    }

    /// The record this hub's client gets for a native frame, if any.
    fn translate(&self, native: &str) -> Option<String> {
        match self.kind {
            HubKind::Messages => {
                let ids = &self.state.ids;
                translate::to_hub(self.listener(), native, || ids.next_id())
            }
            HubKind::Notifications => translate::to_notifications_hub(native),
        }
    }

    fn listener(&self) -> Listener {
        Listener {
            tenant_id: self.identity.tenant_id,
            user_id: self.identity.user_id,
        }
    }

    /// Ends the connection with a Close record (and its error, if any), then the socket.
    fn close(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        error: Option<&str>,
        reconnect: bool,
    ) {
        if self.socket.is_closing() {
            return;
        }
        ctx.text(records::record(&Close {
            kind: kind::CLOSE,
            error,
            allow_reconnect: reconnect,
        }));
        self.end(ctx, ws::CloseCode::Normal);
    }

    /// Sends the WebSocket's close frame, then ends the connection (once).
    fn end(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: ws::CloseCode) {
        if self.socket.close(ctx, |act: &mut Self| &mut act.socket) {
            ctx.close(Some(code.into()));
        }
    }

    /// `limits.heartbeat_seconds` paces the hub as SignalR's options do, and its default of 15
    /// gives SignalR's defaults: a ping after that long (`KeepAliveInterval`), the handshake
    /// within it (`HandshakeTimeout`), and a client silent for twice as long is gone
    /// (`ClientTimeoutInterval`, 30 s).
    fn keep_alive(&self) -> Duration {
        Duration::from_secs(self.state.config.limits.heartbeat_seconds)
    }

    fn tick(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.socket.is_closing() {
            return;
        }
        if self.last_heard.elapsed() > 2 * self.keep_alive() {
            return self.close(ctx, Some("Client timeout elapsed."), true);
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
            if self.socket.is_closing() || !ctx.state().alive() {
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
            kind::INVOCATION if self.kind == HubKind::Notifications => {
                let target = incoming.target.unwrap_or_default();
                let arguments = incoming.arguments.unwrap_or_default();
                if !self.rate.admit() {
                    let limited = crate::protocol::Code::RateLimited;
                    return methods::Invocation::new(incoming.invocation_id, target)
                        .fail_with(ctx, Some((limited.as_str(), limited.message())));
                }
                self.on_notifications_invocation(ctx, incoming.invocation_id, target, arguments)
            }
            kind::INVOCATION => self.on_invocation(ctx, incoming),
            kind::STREAM_INVOCATION => {
                let target = incoming.target.unwrap_or_default();
                let error =
                    format!("The client attempted to invoke the non-streaming '{target}' method with a streaming invocation.");
                methods::Invocation::new(incoming.invocation_id, target).fail(ctx, error);
            }
            kind::CLOSE => {
                self.end(ctx, ws::CloseCode::Normal);
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
                self.end(ctx, ws::CloseCode::Normal);
            }
        }
    }
}

impl Actor for HubSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.state.config.limits.outbound_queue);
        ctx.run_later(self.keep_alive(), |act, ctx| {
            if !act.joined {
                act.end(ctx, ws::CloseCode::Policy);
            }
        });
        ctx.run_interval(self.keep_alive(), |act, ctx| act.tick(ctx));
        self.start_clock(ctx);
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
        if self.socket.is_closing() {
            return;
        }
        if self.handle.is_overflowed() {
            return self.close(ctx, Some("The client is too slow to read."), true);
        }
        if !self.fresh.admit(&text) {
            return;
        }
        if let Some(record) = self.translate(&text) {
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

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for HubSession {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        if self.socket.is_closing() {
            return;
        }
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
                self.end(ctx, ws::CloseCode::Normal);
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
