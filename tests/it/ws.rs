//! A real WebSocket client for the scenario tests: connects with a token, sends JSON frames,
//! and waits (with a timeout, never a sleep) for the frames it expects.

use std::collections::VecDeque;
use std::time::Duration;

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

use crate::helpers::TestApp;

/// How long a test waits for a frame before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// One connection.
pub struct WsClient {
    framed: Framed<BoxedSocket, Codec>,
    buffered: VecDeque<Value>,
    pub welcome: Value,
    next_id: u64,
    /// Answer server pings (a real client does; a silent one does not).
    pub answer_pings: bool,
}

/// What a read returned.
#[derive(Debug)]
pub enum Event {
    Frame(Value),
    Closed(Option<u16>),
}

impl WsClient {
    /// Connects with `token` and reads the `welcome` frame.
    pub async fn connect(app: &TestApp, token: &str) -> WsClient {
        let url = format!(
            "{}/ws?access_token={token}",
            app.base.replace("http://", "ws://")
        );
        let (_, framed) = app
            .client
            .ws(url)
            .max_frame_size(16 * 1024 * 1024)
            .connect()
            .await
            .expect("websocket connects");
        let mut client = WsClient {
            framed,
            buffered: VecDeque::new(),
            welcome: Value::Null,
            next_id: 0,
            answer_pings: true,
        };
        client.welcome = client.next_frame().await;
        assert_eq!(client.welcome["type"], "welcome", "{}", client.welcome);
        client
    }

    /// Sends a frame as JSON text.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(frame.to_string()).await;
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: String) {
        self.framed
            .send(Message::Text(text.into()))
            .await
            .expect("frame sent");
    }

    /// The next event from the socket (frames first from the buffer).
    pub async fn read(&mut self) -> Event {
        if let Some(v) = self.buffered.pop_front() {
            return Event::Frame(v);
        }
        self.read_socket().await
    }

    async fn read_socket(&mut self) -> Event {
        self.read_socket_until(tokio::time::Instant::now() + WAIT)
            .await
    }

    /// Reads the socket until a text frame or a close, failing the test at `deadline` (server
    /// pings do not extend it).
    async fn read_socket_until(&mut self, deadline: tokio::time::Instant) -> Event {
        loop {
            let item = tokio::time::timeout_at(deadline, self.framed.next())
                .await
                .expect("a frame arrives in time");
            match item {
                Some(Ok(Frame::Text(bytes))) => {
                    return Event::Frame(
                        serde_json::from_slice(&bytes).expect("server frames are JSON"),
                    )
                }
                Some(Ok(Frame::Ping(p))) => {
                    if self.answer_pings {
                        let _ = self.framed.send(Message::Pong(p)).await;
                    }
                }
                Some(Ok(Frame::Close(reason))) => {
                    return Event::Closed(reason.map(|r| u16::from(r.code)))
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Event::Closed(None),
            }
        }
    }

    /// The next frame; fails if the connection closes.
    pub async fn next_frame(&mut self) -> Value {
        match self.read().await {
            Event::Frame(v) => v,
            Event::Closed(code) => {
                panic!("the connection closed ({code:?}) while a frame was expected")
            }
        }
    }

    /// The next frame of `kind`, keeping the others for later reads.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        self.next_matching(|v| v["type"] == kind, kind).await
    }

    /// The next `notice` of `kind`, keeping the others for later reads.
    pub async fn next_notice(&mut self, kind: &str) -> Value {
        self.next_matching(|v| v["type"] == "notice" && v["kind"] == kind, kind)
            .await
    }

    async fn next_matching(&mut self, wanted: impl Fn(&Value) -> bool, kind: &str) -> Value {
        if let Some(pos) = self.buffered.iter().position(&wanted) {
            return self.buffered.remove(pos).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.read_socket_until(deadline).await {
                Event::Frame(v) if wanted(&v) => return v,
                Event::Frame(v) => self.buffered.push_back(v),
                Event::Closed(code) => panic!("closed ({code:?}) while waiting for `{kind}`"),
            }
        }
    }

    /// Sends `frame` with a fresh `id` and returns the reply carrying that id.
    pub async fn request(&mut self, mut frame: Value) -> Value {
        self.next_id += 1;
        let id = format!("r{}", self.next_id);
        frame["id"] = Value::String(id.clone());
        self.send(frame).await;
        if let Some(pos) = self.buffered.iter().position(|v| v["id"] == id.as_str()) {
            return self.buffered.remove(pos).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.read_socket_until(deadline).await {
                Event::Frame(v) if v["id"] == id.as_str() => return v,
                Event::Frame(v) => self.buffered.push_back(v),
                Event::Closed(code) => {
                    panic!("closed ({code:?}) while waiting for the reply to {id}")
                }
            }
        }
    }

    /// Reads until the server closes the connection; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        self.closed_within(WAIT * 3).await
    }

    /// Reads until the server closes the connection, failing the test after `within`.
    pub async fn closed_within(&mut self, within: Duration) -> Option<u16> {
        self.buffered.clear();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Event::Closed(code) = self.read_socket_until(deadline).await {
                return code;
            }
        }
    }

    /// Closes as an RFC 6455 client does: sends a close frame, reads until the server's, then
    /// waits for the server to end the TCP connection (the server closes it first). Whether
    /// the connection ended within `within`.
    pub async fn close_and_await_end(mut self, within: Duration) -> bool {
        let close = Message::Close(Some(awc::ws::CloseCode::Normal.into()));
        self.framed.send(close).await.unwrap();
        tokio::time::timeout(within, async {
            loop {
                match self.framed.next().await {
                    None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    /// Frames received but not yet read.
    pub fn pending(&self) -> &VecDeque<Value> {
        &self.buffered
    }
}

/// A private text message frame.
pub fn to_user(user: &str, content: &str) -> Value {
    serde_json::json!({"type": "send", "toUserId": user, "content": content})
}

/// A group text message frame.
pub fn to_group(group: i64, content: &str) -> Value {
    serde_json::json!({"type": "send", "groupId": group.to_string(), "content": content})
}
