//! Flooders beside a chat run: connections that each send as fast as a fixed high rate, far
//! over the pod's per-connection limit, so the chat's latency shows what one abusive client
//! costs everyone else. Each flooder sends to an offline friend; what the pod admits is
//! stored, the rest is refused with `IM:RateLimited`.

use std::cell::RefCell;
use std::rc::Rc;

use super::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::target::Dest;
use super::{clients, connect, users, Cli, Login, Outbox};

/// What the pod answered the flood.
#[derive(Default)]
pub struct Answers {
    pub acked: u64,
    pub rate_limited: u64,
    pub other_errors: u64,
}

/// The flooding connections.
pub struct Flood {
    outboxes: Vec<(Outbox, Uuid)>,
    per_tick: f64,
    owed: f64,
    pub sent: u64,
    pub answers: Rc<RefCell<Answers>>,
}

impl Flood {
    /// Connects `flooders` users, each to send `rate` frames a second.
    pub async fn start(cli: &Cli, flooders: usize, rate: u64) -> Flood {
        let answers = Rc::new(RefCell::new(Answers::default()));
        let on_frame: Rc<dyn Fn(&Frame)> = {
            let answers = answers.clone();
            Rc::new(move |f: &Frame| {
                let mut a = answers.borrow_mut();
                match (&*f.kind, f.code.as_deref()) {
                    ("ack", _) => a.acked += 1,
                    ("error", Some("IM:RateLimited")) => a.rate_limited += 1,
                    ("error", _) => a.other_errors += 1,
                    _ => {}
                }
            })
        };
        let pairs = users(cli, flooders * 2, true).await;
        let sources = clients(cli.sources);
        let mut outboxes = Vec::with_capacity(flooders);
        for (i, pair) in pairs.chunks(2).enumerate() {
            let login = Login {
                target: cli.target,
                url: cli.url_of(i),
                user: pair[0].0,
                token: &pair[0].1,
                group: None,
            };
            let outbox = connect(&sources[i % sources.len()], login, on_frame.clone())
                .await
                .expect("a flooder connects");
            outboxes.push((outbox, pair[1].0));
        }
        Flood {
            outboxes,
            per_tick: rate as f64 / 100.0,
            owed: 0.0,
            sent: 0,
            answers,
        }
    }

    /// One 10 ms tick of flooding.
    pub fn tick(&mut self, cli: &Cli) {
        self.owed += self.per_tick;
        while self.owed >= 1.0 {
            self.owed -= 1.0;
            for (outbox, friend) in &self.outboxes {
                let frame = cli.target.send("f", Dest::User(*friend), "flood");
                let _ = outbox.send(Message::Text(frame.into()));
                self.sent += 1;
            }
        }
    }
}
