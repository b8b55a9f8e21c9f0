//! `bare-relay`: the practical ceiling of this machine for the load generator's scenarios. A
//! WebSocket relay on the same stack as imcluster (actix-web, one actor per connection) with
//! no authentication, no storage, no permission checks and no cluster: a client names itself
//! (`/ws?user=…&groups=…`), a `send` to a user or group is serialized once and pushed to the
//! recipients' connections, and the sender gets an `ack`. The frames are the native protocol's.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;
use bytestring::ByteString;
use parking_lot::RwLock;
use serde_json::{json, Value};

/// A frame to write to a connection.
#[derive(Message, Clone)]
#[rtype(result = "()")]
struct Out(ByteString);

/// Who is connected: connections by user and by group.
#[derive(Default)]
struct Rooms {
    users: RwLock<HashMap<String, Vec<Addr<Conn>>>>,
    groups: RwLock<HashMap<String, Vec<Addr<Conn>>>>,
}

fn leave(map: &RwLock<HashMap<String, Vec<Addr<Conn>>>>, key: &str, addr: &Addr<Conn>) {
    let mut map = map.write();
    if let Some(list) = map.get_mut(key) {
        list.retain(|a| a != addr);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// One connection.
struct Conn {
    rooms: Arc<Rooms>,
    user: String,
    groups: Vec<String>,
}

impl Actor for Conn {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let addr = ctx.address();
        self.rooms
            .users
            .write()
            .entry(self.user.clone())
            .or_default()
            .push(addr.clone());
        for g in &self.groups {
            self.rooms
                .groups
                .write()
                .entry(g.clone())
                .or_default()
                .push(addr.clone());
        }
        ctx.text(r#"{"type":"welcome"}"#);
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        let addr = ctx.address();
        leave(&self.rooms.users, &self.user, &addr);
        for g in &self.groups {
            leave(&self.rooms.groups, g, &addr);
        }
    }
}

impl Handler<Out> for Conn {
    type Result = ();
    fn handle(&mut self, Out(text): Out, ctx: &mut Self::Context) {
        ctx.text(text);
    }
}

impl Conn {
    fn on_send(&mut self, frame: Value, ctx: &mut ws::WebsocketContext<Self>) {
        let message = json!({"type": "message", "message": {
            "fromUserId": self.user, "content": frame["content"],
            "toUserId": frame["toUserId"], "groupId": frame["groupId"]}});
        let text = Out(ByteString::from(message.to_string()));
        let me = ctx.address();
        if let Some(user) = frame["toUserId"].as_str() {
            if let Some(list) = self.rooms.users.read().get(user) {
                list.iter().for_each(|a| a.do_send(text.clone()));
            }
        } else if let Some(group) = frame["groupId"].as_str() {
            if let Some(list) = self.rooms.groups.read().get(group) {
                list.iter()
                    .filter(|a| **a != me)
                    .for_each(|a| a.do_send(text.clone()));
            }
        }
        ctx.text(json!({"type": "ack", "id": frame["id"]}).to_string());
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Conn {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match item {
            Ok(ws::Message::Text(text)) => {
                if let Ok(frame) = serde_json::from_str::<Value>(&text) {
                    if frame["type"] == "send" {
                        self.on_send(frame, ctx);
                    }
                }
            }
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(_)) | Err(_) => ctx.stop(),
            _ => {}
        }
    }
}

async fn connect(
    req: HttpRequest,
    stream: web::Payload,
    rooms: web::Data<Rooms>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, actix_web::Error> {
    let conn = Conn {
        rooms: rooms.into_inner(),
        user: query.get("user").cloned().unwrap_or_default(),
        groups: query
            .get("groups")
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
    };
    ws::start(conn, &req, stream)
}

fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    let rooms = web::Data::new(Rooms::default());
    actix_web::rt::System::new().block_on(async move {
        println!("bare relay on http://{listen}");
        HttpServer::new(move || {
            App::new()
                .app_data(rooms.clone())
                .route("/ws", web::get().to(connect))
        })
        .tcp_nodelay(true)
        .backlog(4096)
        .max_connections(100_000)
        .bind(listen)?
        .run()
        .await
    })
}
