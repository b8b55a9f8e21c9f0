//! `store-bench DATABASE_URL [MESSAGES]`: fills a fresh database with one conversation of
//! MESSAGES private messages (default 1,000,000), a user with 1,000 conversations and a group
//! of MESSAGES/2 messages, then times what the HTTP API runs: a history page of 50 (first page
//! and a deep `before` page), the conversation list, and full-text search. Prints a Markdown
//! table of the median and p99 of 200 runs each.

use std::time::{Duration, Instant};

use imcluster::config::DatabaseConfig;
use imcluster::ids::IdGenerator;
use imcluster::store::{Conversation, HistoryFilter, NewGroup, NewMessage, SearchScope, Store};
use uuid::Uuid;

const WORDS: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima",
];

fn message(ids: &IdGenerator, from: Uuid, to: Conversation, n: usize) -> NewMessage {
    let content = format!(
        "{} {} {} message number {n}",
        WORDS[n % 12],
        WORDS[(n / 12) % 12],
        WORDS[(n / 144) % 12]
    );
    NewMessage::text(ids.next_id(), from, "bench", to, content)
}

async fn fill(store: &Store, batch: Vec<NewMessage>) {
    for chunk in batch.chunks(2000) {
        store.insert_messages(chunk).await.expect("insert");
    }
}

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "| {name} | {:.2} ms | {:.2} ms |",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

async fn time<F, Fut>(name: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f().await;
        samples.push(start.elapsed());
    }
    stats(name, samples);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: store-bench DATABASE_URL [MESSAGES]");
    let total: usize = args
        .next()
        .map(|n| n.parse().expect("a number"))
        .unwrap_or(1_000_000);
    actix_rt::System::new().block_on(async move {
        let config = DatabaseConfig {
            url: url.clone(),
            max_connections: 4,
            ..Default::default()
        };
        let store = Store::open(&config).await.expect("database");
        store.migrate_fresh().await.expect("migrate");
        let ids = IdGenerator::new(1);
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let started = Instant::now();
        let conversation: Vec<NewMessage> = (0..total)
            .map(|n| {
                if n % 2 == 0 {
                    message(&ids, alice, Conversation::User(bob), n)
                } else {
                    message(&ids, bob, Conversation::User(alice), n)
                }
            })
            .collect();
        let middle = conversation[total / 2].message_id;
        fill(&store, conversation).await;
        let peers: Vec<NewMessage> = (0..1000)
            .map(|n| message(&ids, Uuid::new_v4(), Conversation::User(alice), n))
            .collect();
        fill(&store, peers).await;
        let group = ids.next_id();
        let g = NewGroup {
            tenant_id: None,
            group_id: group,
            owner: alice,
            name: "bench".into(),
            max_user_count: 10,
            allow_anonymous: false,
            allow_send_message: true,
        };
        store.create_group(g).await.expect("group");
        let group_messages: Vec<NewMessage> = (0..total / 2)
            .map(|n| message(&ids, bob, Conversation::Group(group), n))
            .collect();
        fill(&store, group_messages).await;
        eprintln!(
            "filled {} messages in {:?}",
            total + 1000 + total / 2,
            started.elapsed()
        );
        if url.starts_with("postgres") {
            // What autovacuum would have done by now: statistics and the visibility map.
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(url.as_str())
                .await
                .expect("database");
            db.execute_unprepared("VACUUM ANALYZE")
                .await
                .expect("vacuum");
        }

        println!("| query ({url}, {total} messages in the conversation) | median | p99 |");
        println!("|---|---|---|");
        let first = HistoryFilter::default();
        time("history page of 50, newest", 200, || async {
            store
                .private_history(None, alice, bob, &first, 0, 50)
                .await
                .unwrap();
        })
        .await;
        let deep = HistoryFilter {
            before: Some(middle),
            ..Default::default()
        };
        time("history page of 50, deep `before`", 200, || async {
            store
                .private_history(None, alice, bob, &deep, 0, 50)
                .await
                .unwrap();
        })
        .await;
        time("group history page of 50", 200, || async {
            store
                .group_history(None, group, &first, 0, 50)
                .await
                .unwrap();
        })
        .await;
        time(
            "conversation list, 1,001 conversations + 1 group",
            50,
            || async {
                store
                    .conversations(None, alice, &[group], 1000)
                    .await
                    .unwrap();
            },
        )
        .await;
        let scope = SearchScope {
            peer: None,
            groups: vec![group],
            private: true,
        };
        time("search `juliet kilo` (top 50)", 100, || async {
            store
                .search_messages(None, alice, "juliet kilo", &scope, 0, 50)
                .await
                .unwrap();
        })
        .await;
        time("search rare `number 777777` (top 50)", 100, || async {
            store
                .search_messages(None, alice, "number 777777", &scope, 0, 50)
                .await
                .unwrap();
        })
        .await;
    });
}
