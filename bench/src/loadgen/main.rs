//! `loadgen`: drives imcluster's native WebSocket protocol with many authenticated connections
//! and reports throughput and latency (HDR histograms) as a table and as JSON.
//!
//! Users are made directly in the server's database (`--db`, the same schema), and tokens are
//! minted with the server's `jwt.secret` (`--secret`), so a run of thousands of users starts in
//! seconds. Connections are spread over `--sources` loopback addresses (127.0.0.1, .2, …) so
//! loopback ports do not run out.
//!
//! Scenarios: `idle` (ramp to N connections: connect rate, server memory per connection with
//! `--server-pid`) and `chat` (pairs of friends sending to each other at a total offered rate:
//! delivered messages/s, send → ack and send → deliver latency) and `fanout` (a group of N
//! online members, one sender: deliveries/s and latency to the last member) and `storm` (N
//! users with K missed messages each reconnect at once: time until all have synced) and
//! `churn` (N connections opened and closed, round after round: server memory per round).

mod churn;
mod flood;
mod frame;
mod report;
mod target;
mod tracker;

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use imcluster::store::{NewAccount, Store};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use frame::Frame;
use target::{Decoded, Dest, Target};
use tracker::{Fanout, Tracker};

/// Drives an imcluster node with many clients.
#[derive(Parser)]
struct Cli {
    /// The server's base URL; several, comma-separated, spread the clients over pods (client
    /// i on pod i mod n, so the two users of a pair are on different pods).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// What is under load: imcluster, or a peer relay measured beside it.
    #[arg(long, value_enum, default_value_t = Target::Imcluster)]
    target: Target,
    /// The node's `jwt.secret`, to mint tokens (imcluster only).
    #[arg(long, env = "IMCLUSTER_JWT__SECRET", default_value = "")]
    secret: String,
    /// The node's database, to make the users (imcluster only).
    #[arg(long, env = "IMCLUSTER_DATABASE__URL", default_value = "")]
    db: String,
    /// The node's PostgreSQL schema, if any.
    #[arg(long, env = "IMCLUSTER_DATABASE__SCHEMA", default_value = "")]
    schema: String,
    /// How many loopback source addresses to spread connections over.
    #[arg(long, default_value_t = 8)]
    sources: u8,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server's process id, to read its memory (RSS) before and after.
    #[arg(long)]
    server_pid: Option<u32>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Ramp to N idle authenticated connections and hold them.
    Idle {
        #[arg(long)]
        connections: usize,
        /// Seconds to hold them once all are open.
        #[arg(long, default_value_t = 5)]
        hold: u64,
    },
    /// One member of a group of N online members sends at an offered rate; every other
    /// member receives each message.
    Fanout {
        #[arg(long)]
        members: usize,
        #[arg(long)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        duration: u64,
    },
    /// N users, each with K messages waiting, reconnect at once and `sync` until done.
    Storm {
        #[arg(long)]
        users: usize,
        #[arg(long)]
        missed: usize,
    },
    /// N connections opened and closed by the same users, round after round; the server's
    /// memory after each round (with `--server-pid`).
    Churn {
        #[arg(long)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Stop after this many seconds even if rounds remain (0 = no limit).
        #[arg(long, default_value_t = 0)]
        seconds: u64,
    },
    /// Pairs of friends chat at a total offered rate of messages per second.
    Chat {
        #[arg(long)]
        pairs: usize,
        #[arg(long)]
        rate: u64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Report every this many seconds (0 = only at the end): deliveries, latency of the
        /// window and server memory, so a soak shows whether they stay flat.
        #[arg(long, default_value_t = 0)]
        every: u64,
        /// Extra connections flooding sends at `--flood-rate` frames/s each, beside the chat.
        #[arg(long, default_value_t = 0)]
        flooders: usize,
        #[arg(long, default_value_t = 10_000)]
        flood_rate: u64,
    },
}

/// One open connection: where to write frames.
type Outbox = tokio::sync::mpsc::UnboundedSender<Message>;

/// Resident memory of a process, KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Cli {
    /// The base URLs to spread clients over.
    fn urls(&self) -> Vec<String> {
        self.url.split(',').map(|u| u.trim().to_string()).collect()
    }

    /// The node's database, to make users, groups and messages in.
    async fn store(&self) -> Store {
        let config = imcluster::config::DatabaseConfig {
            url: self.db.clone(),
            schema: self.schema.clone(),
            max_connections: 4,
            ..Default::default()
        };
        Store::open(&config).await.expect("the node's database")
    }

    /// The base URL of client `i`.
    fn url_of(&self, i: usize) -> String {
        let urls = self.urls();
        urls[i % urls.len()].clone()
    }
}

/// Makes `n` users (and, for pairs, friendships) in the node's database; returns their ids
/// and tokens. The relays know no users: their ids are made up and their tokens empty.
async fn users(cli: &Cli, n: usize, befriend_pairs: bool) -> Vec<(Uuid, String)> {
    if cli.target != Target::Imcluster {
        return (0..n).map(|_| (Uuid::new_v4(), String::new())).collect();
    }
    let store = cli.store().await;
    let mut node = imcluster::config::Config::default();
    node.jwt.secret = cli.secret.clone();
    let tokens = imcluster::auth::Tokens::from_config(&node);
    let hash = imcluster::auth::hash_password("loadgen-password");
    let run = &Uuid::new_v4().simple().to_string()[..8];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("lg{run}{i}");
        let id = store
            .create_account(NewAccount {
                tenant_id: None,
                user_name: name.clone(),
                password_hash: hash.clone(),
                roles: vec![],
            })
            .await
            .expect("user made");
        out.push((id, tokens.issue(id, None, &name, &[]).0));
    }
    if befriend_pairs {
        for pair in out.chunks(2) {
            store
                .befriend(None, pair[0].0, pair[1].0)
                .await
                .expect("friends");
        }
    }
    out
}

/// Where and as whom a client connects.
#[derive(Clone)]
struct Login<'a> {
    target: Target,
    url: String,
    user: Uuid,
    token: &'a str,
    /// The group a relay client joins on connecting (imcluster knows its members).
    group: Option<i64>,
}

/// Opens a connection from `source` (TCP_NODELAY, as every real client); frames go to `on_frame`; returns its outbox once the
/// server said it is ready (`welcome`, or Socket.IO's connect).
async fn connect(
    source: &IpAddr,
    login: Login<'_>,
    on_frame: Rc<dyn Fn(&Frame)>,
) -> Result<Outbox, String> {
    let target = login.target;
    let ws = target.ws_url(&login.url, login.user, login.token, login.group);
    let host = login
        .url
        .split("://")
        .nth(1)
        .unwrap_or(&login.url)
        .trim_end_matches('/');
    let server = tokio::net::lookup_host(host)
        .await
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address for the server")?;
    // Small frames must leave at once: without TCP_NODELAY, Nagle's algorithm holds a frame
    // until the previous one is acknowledged, which adds the peer's 40 ms delayed ACK.
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(*source, 0))
        .map_err(|e| e.to_string())?;
    let stream = socket.connect(server).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (socket, _) = tokio_tungstenite::client_async(ws, stream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
    actix_rt::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    let (welcomed, welcome) = tokio::sync::oneshot::channel();
    let pong = tx.clone();
    actix_rt::spawn(async move {
        let mut welcomed = Some(welcomed);
        while let Some(Ok(frame)) = stream.next().await {
            match frame {
                Message::Text(text) => match target.decode(text.as_bytes()) {
                    Decoded::Welcome => {
                        if let Some(w) = welcomed.take() {
                            let _ = w.send(());
                        }
                    }
                    Decoded::Reply(text) => {
                        let _ = pong.send(Message::Text(text.into()));
                    }
                    Decoded::Frame(f) => on_frame(&f),
                    Decoded::Ignore => {}
                },
                Message::Ping(p) => {
                    let _ = pong.send(Message::Pong(p));
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(30), welcome)
        .await
        .map_err(|_| "no welcome in 30 s".to_string())?
        .map_err(|_| "closed before the welcome".to_string())?;
    Ok(tx)
}

/// `connect`, tried up to three times: a server under load may reset a few of a thousand
/// connects made at once (the Socket.IO relay does), and a member that never joins would
/// stop the run.
async fn connect_retrying(
    source: &IpAddr,
    login: Login<'_>,
    on_frame: Rc<dyn Fn(&Frame)>,
) -> Result<Outbox, String> {
    let mut last = String::new();
    for _ in 0..3 {
        match connect(source, login.clone(), on_frame.clone()).await {
            Ok(tx) => return Ok(tx),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(last)
}

/// The loopback source addresses connections are spread over (127.0.0.1, .2, …).
fn clients(sources: u8) -> Vec<IpAddr> {
    (1..=sources.max(1))
        .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i)))
        .collect()
}

async fn idle(cli: &Cli, connections: usize, hold: u64) -> Value {
    let users = users(cli, connections, false).await;
    let clients = clients(cli.sources);
    let before = cli.server_pid.and_then(rss_kib);
    let started = Instant::now();
    let mut open = Vec::with_capacity(connections);
    let mut failed = 0u64;
    let ignore: Rc<dyn Fn(&Frame)> = Rc::new(|_| {});
    for chunk in users.chunks(100) {
        let batch = chunk.iter().enumerate().map(|(i, (user, token))| {
            let login = Login {
                target: cli.target,
                url: cli.url_of(open.len() + i),
                user: *user,
                token,
                group: None,
            };
            connect(&clients[i % clients.len()], login, ignore.clone())
        });
        for result in futures_util::future::join_all(batch).await {
            match result {
                Ok(tx) => open.push(tx),
                Err(e) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("a connection failed: {e}");
                    }
                }
            }
        }
    }
    let ramp = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(hold)).await;
    let after = cli.server_pid.and_then(rss_kib);
    let mut figures = vec![
        ("connections open", open.len() as f64),
        ("connections failed", failed as f64),
        ("ramp seconds", ramp),
        ("connects per second", open.len() as f64 / ramp),
    ];
    if let (Some(b), Some(a)) = (before, after) {
        figures.push(("server RSS before, MiB", b as f64 / 1024.0));
        figures.push(("server RSS after, MiB", a as f64 / 1024.0));
        figures.push((
            "server KiB per connection",
            a.saturating_sub(b) as f64 / open.len().max(1) as f64,
        ));
    }
    report::print("idle connections", &figures, &[])
}

async fn chat(
    cli: &Cli,
    pairs: usize,
    rate: u64,
    duration: u64,
    every: u64,
    flood: (usize, u64),
) -> Value {
    let users = users(cli, pairs * 2, true).await;
    let clients = clients(cli.sources);
    let tracker = Rc::new(RefCell::new(Tracker::new(
        &Uuid::new_v4().simple().to_string()[..8],
    )));
    let on_frame: Rc<dyn Fn(&Frame)> = {
        let t = tracker.clone();
        Rc::new(move |f: &Frame| match (&*f.kind, f.seq()) {
            ("ack", Some(n)) => t.borrow_mut().on_ack(n),
            ("error", Some(n)) => t.borrow_mut().on_error(n),
            ("message", _) => {
                if let Some(m) = &f.message {
                    t.borrow_mut().on_message(&m.content);
                }
            }
            _ => {}
        })
    };
    let mut outboxes = Vec::with_capacity(users.len());
    for (i, (user, token)) in users.iter().enumerate() {
        let login = Login {
            target: cli.target,
            url: cli.url_of(i),
            user: *user,
            token,
            group: None,
        };
        let tx = connect(&clients[i % clients.len()], login, on_frame.clone())
            .await
            .expect("a chat connection opens");
        outboxes.push(tx);
    }
    let mut flood = match flood {
        (0, _) => None,
        (flooders, rate) => Some(flood::Flood::start(cli, flooders, rate).await),
    };
    // Every 10 ms, rate/100 messages, round-robin over the senders (each to its partner).
    let per_tick = (rate as f64 / 100.0).max(0.0);
    let mut owed = 0.0;
    let mut next = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let mut windows = Vec::new();
    let mut window_start = Instant::now();
    while started.elapsed() < Duration::from_secs(duration) {
        tick.tick().await;
        if every > 0 && window_start.elapsed() >= Duration::from_secs(every) {
            window_start = Instant::now();
            windows.push(window(cli, &mut tracker.borrow_mut(), started));
        }
        if let Some(flood) = &mut flood {
            flood.tick(cli);
        }
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let from = next % outboxes.len();
            let to = from ^ 1;
            next += 1;
            let (n, content) = tracker.borrow_mut().probe();
            let frame = cli
                .target
                .send(&format!("s{n}"), Dest::User(users[to].0), &content);
            let _ = outboxes[from].send(Message::Text(frame.into()));
        }
    }
    let sending = started.elapsed().as_secs_f64();
    let first_send = tracker.borrow().now_micros() as f64 / 1e6 - sending;
    // Let what is in flight arrive (at most 5 s), then count.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let done = {
            let t = tracker.borrow();
            t.delivered + t.errors >= t.sent && t.acked + t.errors >= t.sent
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = tracker.borrow();
    let mut result = report::print(
        "1:1 chat",
        &[
            ("pairs", pairs as f64),
            ("offered messages/s", rate as f64),
            ("sent", t.sent as f64),
            ("acknowledged", t.acked as f64),
            ("delivered", t.delivered as f64),
            ("refused", t.errors as f64),
            (
                "acknowledged, never delivered",
                t.acked.saturating_sub(t.delivered) as f64,
            ),
            // Over the time from the first send to the last delivery: a backlog drained after
            // the sending stopped does not inflate the rate.
            (
                "delivered messages/s",
                t.delivered as f64 / (t.last_delivery as f64 / 1e6 - first_send).max(sending),
            ),
        ],
        &[&t.ack, &t.deliver],
    );
    if !windows.is_empty() {
        result["windows"] = Value::Array(windows);
    }
    if let Some(flood) = flood {
        let answers = flood.answers.borrow();
        let figures = [
            ("flood frames sent", flood.sent as f64),
            ("flood frames acknowledged (stored)", answers.acked as f64),
            (
                "flood frames refused IM:RateLimited",
                answers.rate_limited as f64,
            ),
            (
                "flood frames refused otherwise",
                answers.other_errors as f64,
            ),
        ];
        result["flood"] = report::print("flood beside the chat", &figures, &[]);
    }
    result
}

/// One window of a long chat run: when, how much, how fast, and the server's memory.
fn window(cli: &Cli, tracker: &mut Tracker, started: Instant) -> Value {
    let latency = tracker.take_window();
    let line = json!({
        "seconds": started.elapsed().as_secs(),
        "sent": tracker.sent,
        "delivered": tracker.delivered,
        "refused": tracker.errors,
        "server_rss_mib": cli.server_pid.and_then(rss_kib).map(|k| k as f64 / 1024.0),
        "deliver": latency.json(),
    });
    eprintln!("{line}");
    line
}

/// Makes group `group` in the node's database: the first user owns it, the rest are members.
async fn make_group(cli: &Cli, group: i64, users: &[(Uuid, String)]) {
    let store = cli.store().await;
    store
        .create_group(imcluster::store::NewGroup {
            tenant_id: None,
            group_id: group,
            owner: users[0].0,
            name: "loadgen".into(),
            max_user_count: users.len() as i32 + 1,
            allow_anonymous: false,
            allow_send_message: true,
        })
        .await
        .expect("group made");
    for (user, _) in &users[1..] {
        store
            .add_member(None, group, *user, false, None)
            .await
            .expect("member added");
    }
}

async fn fanout(cli: &Cli, members: usize, rate: u64, duration: u64) -> Value {
    let users = users(cli, members, false).await;
    let group = imcluster::ids::IdGenerator::new(1023).next_id();
    if cli.target == Target::Imcluster {
        make_group(cli, group, &users).await;
    }
    let clients = clients(cli.sources);
    let tracker = Rc::new(RefCell::new(Fanout::new(
        &Uuid::new_v4().simple().to_string()[..8],
        members as u64 - 1,
    )));
    let on_frame: Rc<dyn Fn(&Frame)> = {
        let t = tracker.clone();
        Rc::new(move |f: &Frame| {
            if f.kind == "message" {
                if let Some(c) = f.message.as_ref().map(|m| &*m.content) {
                    t.borrow_mut().on_message(c);
                }
            }
        })
    };
    let ignore: Rc<dyn Fn(&Frame)> = Rc::new(|_| {});
    let mut sender = None;
    for (i, chunk) in users.chunks(100).enumerate() {
        let batch = chunk.iter().enumerate().map(|(j, (user, token))| {
            let f = if i == 0 && j == 0 {
                ignore.clone()
            } else {
                on_frame.clone()
            };
            let login = Login {
                target: cli.target,
                url: cli.url_of(i * 100 + j),
                user: *user,
                token,
                group: Some(group),
            };
            connect_retrying(&clients[j % clients.len()], login, f)
        });
        for (j, result) in futures_util::future::join_all(batch)
            .await
            .into_iter()
            .enumerate()
        {
            let tx = result.expect("a member connects");
            if i == 0 && j == 0 {
                sender = Some(tx);
            }
        }
    }
    let sender = sender.expect("the sender");
    let per_tick = rate as f64 / 100.0;
    let mut owed = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let first_send = tracker.borrow().now_micros();
    while started.elapsed() < Duration::from_secs(duration) {
        tick.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let (n, content) = tracker.borrow_mut().probe();
            let frame = cli
                .target
                .send(&format!("s{n}"), Dest::Group(group), &content);
            let _ = sender.send(Message::Text(frame.into()));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let done = {
            let t = tracker.borrow();
            t.completed >= t.sent
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = tracker.borrow();
    let span = (t.last_delivery.saturating_sub(first_send)) as f64 / 1e6;
    report::print(
        "group fan-out",
        &[
            ("members online", members as f64),
            ("offered messages/s", rate as f64),
            ("sent", t.sent as f64),
            ("deliveries", t.deliveries as f64),
            (
                "messages complete (every member has it)",
                t.completed as f64,
            ),
            (
                "deliveries/s",
                t.deliveries as f64 / span.max(duration as f64),
            ),
        ],
        &[&t.each, &t.last],
    )
}

/// A `sync` answer as the storm reads it.
enum Page {
    Synced {
        count: u64,
        next: Option<String>,
        more: bool,
    },
    Refused,
}

async fn storm(cli: &Cli, n: usize, missed: usize) -> Value {
    let users = users(cli, n + 1, false).await;
    let (sender, receivers) = users.split_first().expect("users");
    let store = cli.store().await;
    let ids = imcluster::ids::IdGenerator::new(1022);
    let mut batch = Vec::with_capacity(2000);
    for (user, _) in receivers {
        for k in 0..missed {
            batch.push(imcluster::store::NewMessage {
                tenant_id: None,
                message_id: ids.next_id(),
                from: sender.0,
                from_name: "storm".into(),
                to: imcluster::store::Conversation::User(*user),
                content: format!("missed {k}"),
                message_type: 0,
                source: 0,
                is_anonymous: false,
                extra: Default::default(),
                client_msg_id: None,
                send_time: chrono::Utc::now(),
            });
            if batch.len() == 2000 {
                store.insert_messages(&batch).await.expect("stored");
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        store.insert_messages(&batch).await.expect("stored");
    }
    let clients = clients(cli.sources);
    let synced = Rc::new(RefCell::new(0usize));
    let received = Rc::new(RefCell::new(0u64));
    let retries = Rc::new(RefCell::new(0u64));
    let mut each = report::Latency::new("reconnect → synced");
    let mut opened = report::Latency::new("reconnect → connected");
    let started = Instant::now();
    let runs = receivers.iter().enumerate().map(|(i, (_, token))| {
        let client = clients[i % clients.len()];
        let (synced, received, retries) = (synced.clone(), received.clone(), retries.clone());
        let url = cli.url_of(i);
        let token = token.clone();
        async move {
            let (page_tx, mut pages) = tokio::sync::mpsc::unbounded_channel::<Page>();
            let on_frame: Rc<dyn Fn(&Frame)> = Rc::new(move |f: &Frame| {
                let page = match &*f.kind {
                    "error" => Page::Refused,
                    "sync" => Page::Synced {
                        count: f.messages.as_ref().map_or(0, |m| m.len() as u64),
                        next: f.next.as_deref().map(str::to_string),
                        more: f.more == Some(true),
                    },
                    _ => return,
                };
                let _ = page_tx.send(page);
            });
            let login = Login {
                target: Target::Imcluster,
                url,
                user: Uuid::nil(),
                token: &token,
                group: None,
            };
            let out = connect(&client, login, on_frame).await.ok()?;
            let connected = started.elapsed().as_micros() as u64;
            let mut after: Option<String> = None;
            let mut got = 0u64;
            loop {
                let mut frame = json!({"type": "sync", "limit": 1000});
                if let Some(a) = &after {
                    frame["after"] = json!(a);
                }
                out.send(Message::Text(frame.to_string().into())).ok()?;
                let page = tokio::time::timeout(Duration::from_secs(60), pages.recv())
                    .await
                    .ok()??;
                let Page::Synced { count, next, more } = page else {
                    // What a client does with `IM:Unavailable`: wait a little, ask again.
                    *retries.borrow_mut() += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                };
                got += count;
                after = next;
                if !more {
                    break;
                }
            }
            *received.borrow_mut() += got;
            *synced.borrow_mut() += 1;
            Some((connected, started.elapsed().as_micros() as u64, got))
        }
    });
    let results = futures_util::future::join_all(runs).await;
    let total = started.elapsed().as_secs_f64();
    let mut complete = 0;
    for (connected, micros, got) in results.into_iter().flatten() {
        opened.record(connected);
        each.record(micros);
        if got >= missed as u64 {
            complete += 1;
        }
    }
    let received = *received.borrow();
    let synced = *synced.borrow();
    let retried = *retries.borrow();
    report::print(
        "reconnect storm",
        &[
            ("users", n as f64),
            ("missed messages each", missed as f64),
            ("users synced", synced as f64),
            ("users with every missed message", complete as f64),
            ("messages received", received as f64),
            (
                "sync requests answered IM:Unavailable (retried)",
                retried as f64,
            ),
            ("seconds until all synced", total),
            ("messages/s synced", received as f64 / total),
        ],
        &[&opened, &each],
    )
}

fn main() {
    let cli = Cli::parse();
    let result = actix_rt::System::new().block_on(async {
        match cli.scenario {
            Scenario::Idle { connections, hold } => idle(&cli, connections, hold).await,
            Scenario::Chat {
                pairs,
                rate,
                duration,
                every,
                flooders,
                flood_rate,
            } => chat(&cli, pairs, rate, duration, every, (flooders, flood_rate)).await,
            Scenario::Fanout {
                members,
                rate,
                duration,
            } => fanout(&cli, members, rate, duration).await,
            Scenario::Churn {
                connections,
                rounds,
                seconds,
            } => churn::churn(&cli, connections, rounds, seconds).await,
            Scenario::Storm { users, missed } => {
                assert!(
                    cli.target == Target::Imcluster,
                    "the relays store nothing: a storm needs imcluster"
                );
                storm(&cli, users, missed).await
            }
        }
    });
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&result).unwrap()).expect("JSON written");
    }
}
