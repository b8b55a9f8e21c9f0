//! A Jepsen-style chaos run: three pods on a real Redis Cluster and a PostgreSQL of the test's
//! own, clients chatting 1:1 and in groups, and a fault drawn at random every few seconds:
//! SIGKILL a pod and start it again, `kill -9` a Redis primary (its replica takes over; the
//! node comes back as a replica), cut one pod from Redis (its connections reset for a while),
//! restart PostgreSQL. Clients reconnect as the client library does: to another pod, retrying
//! every unanswered send with its `clientMsgId`, then `sync` from their cursor. Afterwards
//! every device retries what is still unanswered; then each syncs from the start, and the
//! checker (`chaos_checker`) gives the verdict.
//!
//! `IM_CHAOS_SECONDS` (default 120: the run CI makes), `IM_CHAOS_CLIENTS` (200),
//! `IM_CHAOS_FAULT_SECONDS` (`10-20` between faults; the long run uses `20-60`) and
//! `IM_CHAOS_SEED` shape it. The long run:
//! `IM_CHAOS_SECONDS=1800 IM_CHAOS_FAULT_SECONDS=20-60 cargo test --test it chaos:: -- --nocapture`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::chaos_checker::{check, Dest, Outcome, Sent};
use crate::helpers::{say, TestDb};
use crate::pg_servers::PgPair;
use crate::pods::{Cluster, Pod};
use crate::redis_cluster_server::{cli, RedisCluster};

/// How long one request may wait for its reply before the connection counts as lost.
const REPLY: Duration = Duration::from_secs(10);

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// What the clients and the faults share.
struct Run {
    /// Each pod's base URL (a restarted pod gets a new port).
    urls: RefCell<Vec<String>>,
    /// Set when the chatting is over.
    stop: Cell<bool>,
    client: awc::Client,
}

impl Run {
    /// The base URL of pod `i` (modulo the number of pods).
    fn url(&self, i: usize) -> String {
        let urls = self.urls.borrow();
        urls[i % urls.len()].clone()
    }
}

/// One device: its user, where it sends, and what it sent.
struct Device {
    index: usize,
    user: String,
    token: String,
    friend: String,
    group: i64,
    sent: Vec<Sent>,
    /// The `clientMsgId` of each send, by its place in `sent`.
    ids: Vec<String>,
    cursor: Option<String>,
    connections: usize,
    live: usize,
}

/// One connection of a device. Every failure is an `Err`, never a panic: the device
/// reconnects.
struct Link {
    framed: Framed<BoxedSocket, Codec>,
    next_id: u64,
    live: usize,
    sync_told: bool,
}

impl Link {
    async fn open(client: &awc::Client, base: &str, token: &str) -> Result<Link, String> {
        let url = format!(
            "{}/ws?access_token={token}",
            base.replace("http://", "ws://")
        );
        let connect = client.ws(url).max_frame_size(16 * 1024 * 1024).connect();
        let (_, framed) = tokio::time::timeout(REPLY, connect)
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| e.to_string())?;
        let mut link = Link {
            framed,
            next_id: 0,
            live: 0,
            sync_told: false,
        };
        let welcome = link.next(tokio::time::Instant::now() + REPLY).await?;
        if welcome["type"] != "welcome" {
            return Err(format!("not a welcome: {welcome}"));
        }
        Ok(link)
    }

    /// The next frame before `deadline` (answering pings, counting live messages).
    async fn next(&mut self, deadline: tokio::time::Instant) -> Result<Value, String> {
        loop {
            let item = tokio::time::timeout_at(deadline, self.framed.next())
                .await
                .map_err(|_| "timed out".to_string())?;
            match item {
                Some(Ok(Frame::Text(bytes))) => {
                    let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                    if v["type"] == "message" {
                        self.live += 1;
                    }
                    if v["type"] == "notice" && v["kind"] == "sync" {
                        self.sync_told = true;
                    }
                    return Ok(v);
                }
                Some(Ok(Frame::Ping(p))) => {
                    let _ = self.framed.send(Message::Pong(p)).await;
                }
                Some(Ok(Frame::Close(_))) | Some(Err(_)) | None => return Err("closed".into()),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Sends `frame` and returns its reply.
    async fn request(&mut self, mut frame: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = format!("r{}", self.next_id);
        frame["id"] = json!(id);
        self.framed
            .send(Message::Text(frame.to_string().into()))
            .await
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + REPLY;
        loop {
            let v = self.next(deadline).await?;
            if v["id"] == id.as_str() {
                return Ok(v);
            }
        }
    }

    /// Reads (and drops) what arrives for `d`; an error if the connection ends.
    async fn idle(&mut self, d: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            match self.next(deadline).await {
                Ok(_) => {}
                Err(e) if e == "timed out" => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Every page after `cursor` (from the start without one); moves the cursor.
    async fn sync(&mut self, cursor: &mut Option<String>) -> Result<Vec<Value>, String> {
        let mut all = Vec::new();
        loop {
            let mut frame = json!({"type": "sync", "limit": 1000});
            if let Some(after) = cursor.as_deref() {
                frame["after"] = json!(after);
            }
            let reply = self.request(frame).await?;
            if reply["type"] != "sync" {
                return Err(format!("sync answered {reply}"));
            }
            all.extend(reply["messages"].as_array().cloned().unwrap_or_default());
            if let Some(next) = reply["next"].as_str() {
                *cursor = Some(next.to_string());
            }
            if reply["more"] != true {
                return Ok(all);
            }
        }
    }
}

impl Device {
    fn frame(&self, i: usize) -> Value {
        let s = &self.sent[i];
        let mut frame = json!({"type": "send", "content": s.content, "clientMsgId": self.ids[i]});
        match &s.dest {
            Dest::User(u) => frame["toUserId"] = json!(u),
            Dest::Group(g) => frame["groupId"] = json!(g.to_string()),
        }
        frame
    }

    /// Records the answer to send `i`. A first attempt refused is final (nothing may be
    /// stored); a retry refused with `IM:Unavailable` stays unanswered (its first attempt may
    /// have been stored) and is retried again.
    fn answered(&mut self, i: usize, reply: &Value, retry: bool) {
        let outcome = match reply["type"].as_str() {
            Some("ack") => Outcome::Acked(reply["messageId"].as_str().unwrap_or("").to_string()),
            _ if retry && reply["code"] == "IM:Unavailable" => Outcome::Unknown,
            _ => Outcome::Refused(reply["code"].as_str().unwrap_or("?").to_string()),
        };
        self.sent[i].outcome = outcome;
    }

    /// Retries every unanswered send, in order.
    async fn retry(&mut self, link: &mut Link) -> Result<(), String> {
        for i in 0..self.sent.len() {
            if self.sent[i].outcome == Outcome::Unknown {
                self.sent[i].retried = true;
                let reply = link.request(self.frame(i)).await?;
                self.answered(i, &reply, true);
            }
        }
        Ok(())
    }
}

/// A device chats until the run stops, reconnecting to the next pod on any failure; it is
/// handed back for the settling.
async fn chat(run: Rc<Run>, mut d: Device, seed: u64) -> Device {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut pod = d.index;
    'connect: while !run.stop.get() {
        let base = run.url(pod);
        let mut link = match Link::open(&run.client, &base, &d.token).await {
            Ok(link) => link,
            Err(_) => {
                pod += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        d.connections += 1;
        let mut cursor = d.cursor.take();
        let prepared = match d.retry(&mut link).await {
            Ok(()) => link.sync(&mut cursor).await.map(|_| ()),
            Err(e) => Err(e),
        };
        d.cursor = cursor;
        if prepared.is_err() {
            pod += 1;
            continue;
        }
        while !run.stop.get() {
            let pause = Duration::from_millis(rng.gen_range(300..1500));
            let mut step = link.idle(pause).await;
            if step.is_ok() && link.sync_told {
                link.sync_told = false;
                let mut cursor = d.cursor.take();
                step = link.sync(&mut cursor).await.map(|_| ());
                d.cursor = cursor;
            }
            if step.is_ok() && !run.stop.get() {
                let seq = d.sent.len() as u64 + 1;
                let dest = if seq % 2 == 0 {
                    Dest::Group(d.group)
                } else {
                    Dest::User(d.friend.clone())
                };
                d.sent.push(Sent {
                    sender: d.user.clone(),
                    seq,
                    dest,
                    content: format!("{}:{seq}", d.user),
                    outcome: Outcome::Unknown,
                    retried: false,
                });
                d.ids.push(format!("c{}-{seq}", d.index));
                let i = d.sent.len() - 1;
                step = link
                    .request(d.frame(i))
                    .await
                    .map(|reply| d.answered(i, &reply, false));
            }
            d.live += std::mem::take(&mut link.live);
            if step.is_err() {
                pod += 1;
                continue 'connect;
            }
        }
    }
    d
}

/// After the run: a device retries what is unanswered until all is answered.
async fn answer_all(run: &Run, d: &mut Device, deadline: tokio::time::Instant) {
    let mut pod = d.index;
    while d.sent.iter().any(|s| s.outcome == Outcome::Unknown) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "device {} has every send answered in time",
            d.index
        );
        let base = run.url(pod);
        pod += 1;
        match Link::open(&run.client, &base, &d.token).await {
            Ok(mut link) => {
                let _ = d.retry(&mut link).await;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// After every device's sends are answered: the device syncs from the start.
async fn final_sync(run: &Run, d: &Device, deadline: tokio::time::Instant) -> Vec<Value> {
    let mut pod = d.index;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "device {} syncs in time",
            d.index
        );
        let base = run.url(pod);
        pod += 1;
        if let Ok(mut link) = Link::open(&run.client, &base, &d.token).await {
            if let Ok(all) = link.sync(&mut None).await {
                return all;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Cuts a pod from Redis for `d`: every connection the pod holds to a Redis node is killed
/// by the node (`CLIENT KILL ADDR`), again and again, so its reconnections die too.
async fn cut_from_redis(pid: u32, ports: &[u16], d: Duration) {
    let end = tokio::time::Instant::now() + d;
    while tokio::time::Instant::now() < end {
        let out = std::process::Command::new("ss")
            .args(["-tnpH", "state", "established"])
            .output()
            .expect("ss runs");
        let pid_tag = format!("pid={pid},");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if !line.contains(&pid_tag) {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            // Recv-Q Send-Q Local Peer Process
            let (Some(local), Some(peer)) = (f.get(2), f.get(3)) else {
                continue;
            };
            let Some(port) = peer.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()) else {
                continue;
            };
            if ports.contains(&port) {
                cli(port, &["client", "kill", "addr", local]);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn chaos_nothing_acknowledged_is_lost_nothing_refused_is_stored() {
    let test = "chaos";
    let seconds: u64 = env_or("IM_CHAOS_SECONDS", "120").parse().expect("seconds");
    let clients: usize = env_or("IM_CHAOS_CLIENTS", "200").parse().expect("clients");
    let (fault_min, fault_max) = {
        let range = env_or("IM_CHAOS_FAULT_SECONDS", "10-20");
        let (a, b) = range.split_once('-').expect("MIN-MAX");
        (
            a.parse::<u64>().expect("min"),
            b.parse::<u64>().expect("max"),
        )
    };
    let seed: u64 = env_or("IM_CHAOS_SEED", "7").parse().expect("seed");
    let Some(mut redis) = RedisCluster::start(test).await else {
        return;
    };
    let Some(mut pg) = PgPair::start(test).await else {
        return;
    };
    let db = TestDb::at(pg.primary.url());

    // Users, friends (pairs) and groups of 20, made in the database; tokens minted.
    let mut config = db.config();
    config.jwt.ttl_seconds = 86_400;
    let store = imcluster::store::Store::open(&config.database)
        .await
        .expect("the store opens");
    store.migrate_up().await.expect("migrated");
    let tokens = imcluster::auth::Tokens::from_config(&config);
    let hash = imcluster::auth::hash_password("chaos-password");
    let mut users = Vec::new();
    for i in 0..clients {
        let name = format!("chaos{i}");
        let id = store
            .create_account(imcluster::store::NewAccount {
                tenant_id: None,
                user_name: name.clone(),
                password_hash: hash.clone(),
                roles: vec![],
            })
            .await
            .expect("a user");
        users.push((id, tokens.issue(id, None, &name, &[]).0));
    }
    for pair in users.chunks(2).filter(|p| p.len() == 2) {
        store.befriend(None, pair[0].0, pair[1].0).await.unwrap();
    }
    let mut members: HashMap<i64, Vec<String>> = HashMap::new();
    for (g, chunk) in users.chunks(20).enumerate() {
        let group = 1_000 + g as i64;
        store
            .create_group(imcluster::store::NewGroup {
                tenant_id: None,
                group_id: group,
                owner: chunk[0].0,
                name: format!("chaos group {g}"),
                max_user_count: 200,
                allow_anonymous: false,
                allow_send_message: true,
            })
            .await
            .unwrap();
        // The owner is a member already.
        for (user, _) in &chunk[1..] {
            store
                .add_member(None, group, *user, false, None)
                .await
                .unwrap();
        }
        members.insert(group, chunk.iter().map(|u| u.0.to_string()).collect());
    }
    drop(store);

    let cluster = Cluster {
        db,
        redis_url: redis.any_url(),
        cluster_urls: redis.urls(),
        namespace: crate::helpers::unique("chaos"),
        ttl_seconds: 3,
    };
    let env = [("IMCLUSTER_JWT__TTL_SECONDS", "86400")];
    let mut pods: Vec<Pod> = Vec::new();
    for id in 1..=3 {
        pods.push(cluster.pod_with(id, &env).await);
    }
    let run = Rc::new(Run {
        urls: RefCell::new(pods.iter().map(|p| p.base.clone()).collect()),
        stop: Cell::new(false),
        client: awc::Client::builder()
            .timeout(Duration::from_secs(10))
            .finish(),
    });
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, (id, token))| {
            let friend = users.get(i ^ 1).map_or(id, |f| &f.0).to_string();
            let device = Device {
                index: i,
                user: id.to_string(),
                token: token.clone(),
                friend,
                group: 1_000 + (i / 20) as i64,
                sent: Vec::new(),
                ids: Vec::new(),
                cursor: None,
                connections: 0,
                live: 0,
            };
            actix_rt::spawn(chat(run.clone(), device, seed * 1_000 + i as u64))
        })
        .collect();

    // The faults, one at a time, each healed before the next.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let end = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut faults: Vec<String> = Vec::new();
    // The kinds come from a shuffled bag, refilled when empty: at random, and every kind
    // within any four faults in a row (a short run meets them all).
    let mut bag: Vec<u8> = Vec::new();
    loop {
        let wait = Duration::from_secs(rng.gen_range(fault_min..=fault_max));
        if tokio::time::Instant::now() + wait >= end {
            tokio::time::sleep_until(end).await;
            break;
        }
        tokio::time::sleep(wait).await;
        let i = rng.gen_range(0..pods.len());
        if bag.is_empty() {
            bag = vec![0, 1, 2, 3];
            rand::seq::SliceRandom::shuffle(&mut bag[..], &mut rng);
        }
        match bag.pop().expect("a fault kind") {
            0 => {
                faults.push(format!("SIGKILL pod-{}", i + 1));
                pods[i].kill();
                tokio::time::sleep(Duration::from_millis(rng.gen_range(500..3_000))).await;
                pods[i] = cluster.pod_with(i as u16 + 1, &env).await;
                run.urls.borrow_mut()[i] = pods[i].base.clone();
            }
            1 => {
                let primaries = redis.primaries();
                let (_, port) = primaries[rng.gen_range(0..primaries.len())].clone();
                faults.push(format!("kill -9 Redis primary {port}"));
                redis.kill(port).await;
                redis.revive(port).await;
            }
            2 => {
                faults.push(format!("pod-{} cut from Redis for 5 s", i + 1));
                cut_from_redis(pods[i].pid(), &redis.ports(), Duration::from_secs(5)).await;
                pods[i].await_ready().await;
            }
            _ => {
                faults.push("PostgreSQL restarted".into());
                pg.primary.stop();
                tokio::time::sleep(Duration::from_millis(rng.gen_range(500..3_000))).await;
                pg.primary.start();
            }
        }
        say(&format!("chaos: {}", faults.last().unwrap()));
    }
    run.stop.set(true);
    let mut devices = Vec::new();
    for task in tasks {
        devices.push(task.await.expect("a device's run"));
    }
    for pod in &pods {
        pod.await_ready().await;
    }

    // Every device retries what is unanswered; then, with nothing more to come, each syncs
    // from the start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    for d in &mut devices {
        answer_all(&run, d, deadline).await;
    }
    let mut finals = HashMap::new();
    for d in &devices {
        finals.insert(d.user.clone(), final_sync(&run, d, deadline).await);
    }
    let sent: Vec<Sent> = devices.iter().flat_map(|d| d.sent.clone()).collect();
    let verdict = check(&sent, &members, &finals);
    let connections: usize = devices.iter().map(|d| d.connections).sum();
    let live: usize = devices.iter().map(|d| d.live).sum();
    say(&format!(
        "chaos: {seconds} s, {clients} clients, {} faults ({}); {connections} connections, {live} live message frames; {}",
        faults.len(),
        faults.join("; "),
        verdict.summary()
    ));
    assert!(!faults.is_empty(), "at least one fault was injected");
    assert!(verdict.acked > 0, "messages were sent");
    assert!(verdict.passed(), "{}", verdict.summary());
}
