//! Ending a WebSocket's TCP connection from the server's side once its close handshake is
//! done. RFC 6455 has the server close TCP first and the client wait for it; actix-http,
//! though, keeps reading a connection whose request (here the client's WebSocket stream) is
//! unfinished until the client closes or `client_disconnect_timeout` passes, so every close
//! took a second. The session therefore half-closes the socket (a FIN after its close frame)
//! itself: the client sees the end at once and closes, and actix-http sees that.

#[cfg(unix)]
use std::os::fd::RawFd;

use std::time::Duration;

use actix::{Actor, ActorContext, AsyncContext};
use actix_web::dev::Extensions;
use actix_web::HttpRequest;
use actix_web_actors::ws;

/// The socket under a connection, kept by `on_connect` for the WebSocket routes.
#[derive(Clone, Copy)]
struct Socket(#[cfg(unix)] RawFd);

/// Remembers the connection's socket (`HttpServer::on_connect`).
pub fn remember(connection: &dyn std::any::Any, data: &mut Extensions) {
    #[cfg(unix)]
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        use std::os::fd::AsRawFd;
        data.insert(Socket(tcp.as_raw_fd()));
    }
    #[cfg(not(unix))]
    let _ = (connection, data);
}

/// A WebSocket session's hold on its connection's socket, and whether it is closing.
#[derive(Default)]
pub struct SocketEnd {
    socket: Option<Socket>,
    closing: bool,
}

impl SocketEnd {
    /// The socket of the connection `req` came on.
    pub fn of(req: &HttpRequest) -> SocketEnd {
        SocketEnd {
            socket: req.conn_data::<Socket>().copied(),
            closing: false,
        }
    }

    /// Whether the session has sent its close frame: it reads and writes nothing more.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Ends `A`'s session, whose close frame was just queued (once: false if it was already
    /// closing). On its next turn, once actix-http has written the frame, the socket is
    /// half-closed and the actor stops.
    pub fn close<A>(
        &mut self,
        ctx: &mut ws::WebsocketContext<A>,
        end: fn(&mut A) -> &mut SocketEnd,
    ) -> bool
    where
        A: Actor<Context = ws::WebsocketContext<A>>,
    {
        if std::mem::replace(&mut self.closing, true) {
            return false;
        }
        ctx.run_later(Duration::ZERO, move |act, ctx| {
            end(act).end_writes();
            ctx.stop();
        });
        true
    }

    /// Ends the server's side of the connection: what was written leaves, then a FIN. Called
    /// by the session from within its own poll (its actor runs inside the response that
    /// actix-http is still writing), so the connection, and with it the descriptor, is open.
    fn end_writes(&mut self) {
        #[cfg(unix)]
        if let Some(Socket(fd)) = self.socket.take() {
            // SAFETY: the descriptor belongs to the connection this session's response is
            // being written to; actix-http closes it only after that response has ended,
            // which is after this call returns.
            let socket = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            let _ = socket2::SockRef::from(&socket).shutdown(std::net::Shutdown::Write);
        }
    }
}
