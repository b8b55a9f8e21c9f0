//! `write-floor DATABASE_URL BATCH SECONDS`: PostgreSQL alone writing what a pod's writer
//! writes for private messages, with no pod in front: four writers (the writer's four shards),
//! each with 50 conversations of its own, store batches of BATCH messages with their
//! idempotency keys through the same `Store::insert_messages` the pod uses, for SECONDS.
//! Prints the messages stored per second. `bench/pg-floor.sh` runs it on schemas with parts
//! taken away and reads PostgreSQL's CPU around it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use imcluster::config::DatabaseConfig;
use imcluster::ids::IdGenerator;
use imcluster::store::{Conversation, NewMessage, Store};
use uuid::Uuid;

const SHARDS: usize = 4;
const PAIRS_PER_SHARD: usize = 50;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: write-floor DATABASE_URL BATCH SECONDS";
    let url = args.next().expect(usage);
    let batch: usize = args.next().expect(usage).parse().expect(usage);
    let seconds: u64 = args.next().expect(usage).parse().expect(usage);
    actix_rt::System::new().block_on(async move {
        let config = DatabaseConfig {
            url,
            max_connections: SHARDS as u32,
            ..Default::default()
        };
        let store = Store::open(&config).await.expect("database");
        let ids = Rc::new(IdGenerator::new(1));
        let stored = Rc::new(Cell::new(0usize));
        let until = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let writers = (0..SHARDS).map(|_| {
            let (store, ids, stored) = (store.clone(), ids.clone(), stored.clone());
            async move {
                let pairs: Vec<(Uuid, Uuid)> = (0..PAIRS_PER_SHARD)
                    .map(|_| (Uuid::new_v4(), Uuid::new_v4()))
                    .collect();
                let mut n = 0usize;
                while Instant::now() < until {
                    let messages: Vec<NewMessage> = (0..batch)
                        .map(|_| {
                            n += 1;
                            let (from, to) = pairs[n % PAIRS_PER_SHARD];
                            let (from, to) = if n.is_multiple_of(2) {
                                (from, to)
                            } else {
                                (to, from)
                            };
                            message(ids.next_id(), from, to, n)
                        })
                        .collect();
                    store.insert_messages(&messages).await.expect("stored");
                    stored.set(stored.get() + batch);
                }
            }
        });
        futures_util::future::join_all(writers).await;
        let rate = stored.get() as f64 / started.elapsed().as_secs_f64();
        println!("{rate:.0}");
    });
}

/// A message as the load generator sends it: a short tagged content and a `clientMsgId`.
fn message(message_id: i64, from: Uuid, to: Uuid, n: usize) -> NewMessage {
    NewMessage {
        client_msg_id: Some(format!("s{n}")),
        ..NewMessage::text(
            message_id,
            from,
            "user-0001",
            Conversation::User(to),
            format!("lg:0123abcd:{n}"),
        )
    }
}
