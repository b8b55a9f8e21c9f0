//! What the generator talks to: imcluster's native protocol, the Socket.IO 4 relay (Engine.IO
//! v4 framing over WebSocket), or the bare relay. Each target maps the generator's few
//! actions (connect, send) and the server's answers (welcome, ack, message) to its wire, so
//! every scenario runs unchanged against all three.

use std::borrow::Cow;

use serde_json::json;
use uuid::Uuid;

use super::frame::{Frame, Probe};

/// The server under load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// imcluster: tokens, storage, the native protocol.
    Imcluster,
    /// `bench/peer/socketio-relay.mjs`: Socket.IO 4 with the Redis adapter, no storage.
    Socketio,
    /// `bare-relay`: a WebSocket relay with no auth and no storage (this machine's ceiling).
    Bare,
}

/// Where a send goes.
#[derive(Clone, Copy, Debug)]
pub enum Dest {
    User(Uuid),
    Group(i64),
}

/// What a frame from the server means to the generator.
#[derive(Debug, PartialEq)]
pub enum Decoded<'a> {
    /// Connected and ready to send.
    Welcome,
    /// Answer the server with this text (Engine.IO open and ping).
    Reply(&'static str),
    /// A frame in the native shape (`ack`, `error`, `message`, `sync`).
    Frame(Frame<'a>),
    Ignore,
}

impl Target {
    /// The WebSocket URL for `user` (in `group`, for the relays) at `base`.
    pub fn ws_url(self, base: &str, user: Uuid, token: &str, group: Option<i64>) -> String {
        let ws = base.replacen("http", "ws", 1);
        let groups = group.map(|g| g.to_string()).unwrap_or_default();
        match self {
            Target::Imcluster => format!("{ws}/ws?access_token={token}"),
            Target::Socketio => {
                format!("{ws}/socket.io/?EIO=4&transport=websocket&user={user}&groups={groups}")
            }
            Target::Bare => format!("{ws}/ws?user={user}&groups={groups}"),
        }
    }

    /// A send frame numbered `id`. imcluster's carry the same id as their `clientMsgId`, as
    /// every send of the client library carries one (its idempotency key, stored with it).
    pub fn send(self, id: &str, dest: Dest, content: &str) -> String {
        let mut frame = json!({"type": "send", "id": id, "content": content});
        if self == Target::Imcluster {
            frame["clientMsgId"] = json!(id);
        }
        match dest {
            Dest::User(u) => frame["toUserId"] = json!(u),
            Dest::Group(g) => frame["groupId"] = json!(g.to_string()),
        }
        match self {
            Target::Socketio => format!("42{}", json!(["send", frame])),
            _ => frame.to_string(),
        }
    }

    /// Reads one text frame from the server.
    pub fn decode(self, text: &[u8]) -> Decoded<'_> {
        match self {
            Target::Socketio => decode_socketio(text),
            _ => match serde_json::from_slice::<Frame>(text) {
                Ok(f) if f.kind == "welcome" => Decoded::Welcome,
                Ok(f) => Decoded::Frame(f),
                Err(_) => Decoded::Ignore,
            },
        }
    }
}

/// Engine.IO v4 packets: `0` open, `2` ping; Socket.IO packets inside `4`: `0` connect,
/// `2` event. Events `ack` and `message` become native-shaped frames.
fn decode_socketio(text: &[u8]) -> Decoded<'_> {
    match text {
        [b'0', ..] => Decoded::Reply("40"),
        [b'2'] => Decoded::Reply("3"),
        [b'4', b'0', ..] => Decoded::Welcome,
        [b'4', b'2', rest @ ..] => {
            let Ok((event, data)) = serde_json::from_slice::<(Cow<str>, EventData)>(rest) else {
                return Decoded::Ignore;
            };
            match (&*event, data) {
                ("ack", data) => Decoded::Frame(Frame {
                    kind: "ack".into(),
                    id: data.id,
                    ..Frame::default()
                }),
                (
                    "message",
                    EventData {
                        content: Some(content),
                        ..
                    },
                ) => Decoded::Frame(Frame {
                    kind: "message".into(),
                    message: Some(Probe { content }),
                    ..Frame::default()
                }),
                _ => Decoded::Ignore,
            }
        }
        _ => Decoded::Ignore,
    }
}

/// The data of a relay's event: an ack's id or a message's content.
#[derive(serde::Deserialize)]
struct EventData<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn socketio_framing() {
        let t = Target::Socketio;
        assert_eq!(
            t.decode(b"0{\"sid\":\"x\",\"pingInterval\":25000}"),
            Decoded::Reply("40")
        );
        assert_eq!(t.decode(b"2"), Decoded::Reply("3"));
        assert_eq!(t.decode(b"40{\"sid\":\"y\"}"), Decoded::Welcome);
        assert_eq!(
            t.decode(b"42[\"ack\",{\"id\":\"s1\"}]"),
            Decoded::Frame(Frame {
                kind: "ack".into(),
                id: Some("s1".into()),
                ..Frame::default()
            })
        );
        assert_eq!(
            t.decode(b"42[\"message\",{\"content\":\"c\"}]"),
            Decoded::Frame(Frame {
                kind: "message".into(),
                message: Some(Probe {
                    content: "c".into()
                }),
                ..Frame::default()
            })
        );
        let sent = t.send("s1", Dest::Group(7), "hi");
        assert!(sent.starts_with("42[\"send\","), "{sent}");
        let v: Value = serde_json::from_str(&sent[2..]).unwrap();
        assert_eq!(v[1]["groupId"], "7");
    }

    #[test]
    fn native_framing() {
        let t = Target::Imcluster;
        assert_eq!(t.decode(b"{\"type\":\"welcome\"}"), Decoded::Welcome);
        assert_eq!(t.decode(b"not json"), Decoded::Ignore);
        let u = Uuid::nil();
        let v: Value = serde_json::from_str(&t.send("s2", Dest::User(u), "x")).unwrap();
        assert_eq!(v["toUserId"], u.to_string());
    }
}
