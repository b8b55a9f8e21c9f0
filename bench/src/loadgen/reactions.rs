//! Reactions beside a chat run: pairs of friends that each react to one message of theirs,
//! adding and taking back their emoji in turn, so every reaction is a write (and a `reaction`
//! frame to both parties). The chat's figures with and without them show what reactions cost
//! plain sends.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::frame::Frame;
use super::report::Latency;
use super::{connect_all, users, Cli, Outbox};

/// What the pod answered the reactions.
pub struct Answers {
    pub acked: u64,
    pub errors: u64,
    /// Reactions sent and not yet answered: number → when.
    sent_at: HashMap<u64, Instant>,
    pub ack: Latency,
    /// The seed message's id, from each reactor pair's first send.
    seeds: HashMap<u64, String>,
}

/// The reacting connections.
pub struct Reactors {
    /// Each connection, its seed's pair and whether its next reaction adds.
    outboxes: Vec<(Outbox, usize, bool)>,
    per_tick: f64,
    owed: f64,
    next: usize,
    pub sent: u64,
    pub answers: Rc<RefCell<Answers>>,
}

/// The emoji of connection `i`: each one its own, so no message nears its 20.
const EMOJI: [&str; 2] = ["👍", "🎉"];

impl Reactors {
    /// Connects `reactors` users in pairs, each pair with one message to react to, together
    /// to react `rate` times a second.
    pub async fn start(cli: &Cli, reactors: usize, rate: u64) -> Reactors {
        let answers = Rc::new(RefCell::new(Answers {
            acked: 0,
            errors: 0,
            sent_at: HashMap::new(),
            ack: Latency::new("react → ack"),
            seeds: HashMap::new(),
        }));
        let on_frame: Rc<dyn Fn(&Frame)> = {
            let answers = answers.clone();
            Rc::new(move |f: &Frame| {
                let mut a = answers.borrow_mut();
                let Some(id) = f.id.as_deref() else { return };
                if let Some(pair) = id.strip_prefix("seed").and_then(|n| n.parse().ok()) {
                    if let Some(m) = f.message_id.as_deref() {
                        a.seeds.insert(pair, m.to_string());
                    }
                    return;
                }
                let Some(n) = id.strip_prefix('r').and_then(|n| n.parse().ok()) else {
                    return;
                };
                let Some(at) = a.sent_at.remove(&n) else {
                    return;
                };
                match &*f.kind {
                    "ack" => {
                        a.acked += 1;
                        a.ack.record(at.elapsed().as_micros() as u64);
                    }
                    _ => a.errors += 1,
                }
            })
        };
        let people = users(cli, reactors.max(2) / 2 * 2, true).await;
        let connected = connect_all(cli, &people, on_frame).await;
        let mut outboxes = Vec::with_capacity(people.len());
        for (i, outbox) in connected.into_iter().enumerate() {
            if i % 2 == 0 {
                let seed = json!({"type": "send", "id": format!("seed{}", i / 2),
                                  "toUserId": people[i + 1].0, "content": "react to me"});
                let _ = outbox.send(Message::Text(seed.to_string().into()));
            }
            outboxes.push((outbox, i / 2, true));
        }
        let pairs = people.len() / 2;
        while answers.borrow().seeds.len() < pairs {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Reactors {
            outboxes,
            per_tick: rate as f64 / 100.0,
            owed: 0.0,
            next: 0,
            sent: 0,
            answers,
        }
    }

    /// One 10 ms tick of reactions, round-robin over the connections.
    pub fn tick(&mut self) {
        self.owed += self.per_tick;
        while self.owed >= 1.0 {
            self.owed -= 1.0;
            let i = self.next % self.outboxes.len();
            self.next += 1;
            let (outbox, pair, add) = &mut self.outboxes[i];
            let mut answers = self.answers.borrow_mut();
            let message = answers.seeds[&(*pair as u64)].clone();
            let n = self.sent;
            let frame = json!({"type": "react", "id": format!("r{n}"), "messageId": message,
                               "emoji": EMOJI[i % 2], "add": *add});
            answers.sent_at.insert(n, Instant::now());
            *add = !*add;
            let _ = outbox.send(Message::Text(frame.to_string().into()));
            self.sent += 1;
        }
    }
}
