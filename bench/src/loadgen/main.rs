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
//! Beside a chat, flooders (far over the rate limit) or reactors (reactions at a rate) show
//! what they cost the chat. Every report ends with each process's share of the CPU over the
//! run, the generator's own included.

mod chat;
mod churn;
mod cpu;
mod fanout;
mod flood;
mod frame;
mod idle;
mod notify;
mod reactions;
mod report;
mod storm;
mod target;
mod tracker;
mod upload;

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
    /// A notification published to N subscribers (of `IM.SystemNotice`), M of them online,
    /// `rounds` times: publish → stored, publish → the last online subscriber has it.
    Notify {
        #[arg(long)]
        subscribers: usize,
        #[arg(long)]
        online: usize,
        #[arg(long, default_value_t = 5)]
        rounds: u32,
        /// The node's `push.api_key`.
        #[arg(long)]
        key: String,
    },
    /// N uploads of a picture of `mib` MiB, C at a time, each by a user of its own.
    Upload {
        #[arg(long, default_value_t = 200)]
        count: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 1.0)]
        mib: f64,
    },
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
        /// Extra connections (in pairs) reacting to a message of theirs, beside the chat, at
        /// `--reaction-rate` reactions/s in all.
        #[arg(long, default_value_t = 0)]
        reactors: usize,
        #[arg(long, default_value_t = 5_000)]
        reaction_rate: u64,
        /// Only the senders connect; each receiver stays offline with a push token, so every
        /// message is stored and (with push on) becomes a push job. Throughput is then the
        /// acknowledged messages per second.
        #[arg(long)]
        offline_receivers: bool,
        /// Uploads of a 1 MiB picture beside the chat, this many at a time (each worker a user
        /// of its own, every upload new bytes).
        #[arg(long, default_value_t = 0)]
        uploaders: usize,
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

/// Connects each of `people` (client i to the pod `--url` gives it), all frames to
/// `on_frame`; their outboxes in the same order.
async fn connect_all(
    cli: &Cli,
    people: &[(Uuid, String)],
    on_frame: Rc<dyn Fn(&Frame)>,
) -> Vec<Outbox> {
    let sources = clients(cli.sources);
    let mut outboxes = Vec::with_capacity(people.len());
    for (i, (user, token)) in people.iter().enumerate() {
        let login = Login {
            target: cli.target,
            url: cli.url_of(i),
            user: *user,
            token,
            group: None,
        };
        let tx = connect(&sources[i % sources.len()], login, on_frame.clone())
            .await
            .expect("a client connects");
        outboxes.push(tx);
    }
    outboxes
}

/// The loopback source addresses connections are spread over (127.0.0.1, .2, …).
fn clients(sources: u8) -> Vec<IpAddr> {
    (1..=sources.max(1))
        .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i)))
        .collect()
}

fn main() {
    let cli = Cli::parse();
    let cpu_before = cpu::sample();
    let mut result = actix_rt::System::new().block_on(async {
        match cli.scenario {
            Scenario::Idle { connections, hold } => idle::idle(&cli, connections, hold).await,
            Scenario::Chat {
                pairs,
                rate,
                duration,
                every,
                flooders,
                flood_rate,
                reactors,
                reaction_rate,
                offline_receivers,
                uploaders,
            } => {
                let beside = chat::Beside {
                    flood: (flooders, flood_rate),
                    reactions: (reactors, reaction_rate),
                    offline_receivers,
                    uploaders,
                };
                chat::chat(&cli, pairs, rate, duration, every, beside).await
            }
            Scenario::Fanout {
                members,
                rate,
                duration,
            } => fanout::fanout(&cli, members, rate, duration).await,
            Scenario::Upload {
                count,
                concurrency,
                mib,
            } => upload::upload(&cli, count, concurrency, mib).await,
            Scenario::Notify {
                subscribers,
                online,
                rounds,
                ref key,
            } => notify::notify(&cli, subscribers, online, rounds, key).await,
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
                storm::storm(&cli, users, missed).await
            }
        }
    });
    let cpu = cpu_before.report(&cpu::sample());
    if let Some(result) = result.as_object_mut() {
        result.insert("cpu".into(), cpu);
    }
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&result).unwrap()).expect("JSON written");
    }
}
