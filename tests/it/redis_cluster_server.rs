//! A real Redis Cluster for the cluster tests, started from Debian's `redis-server`: three
//! primaries with a replica each, on free ports of this machine, made one cluster by
//! `redis-cli --cluster create`. Each test starts its own (in about three seconds), may move a
//! slot or `kill -9` a primary, and stops it when done.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{say, unique};

/// How long the cluster may take to agree after a start, a move or a failover.
const SETTLE: Duration = Duration::from_secs(30);

/// One `redis-server` of the cluster.
struct Node {
    port: u16,
    child: Option<Child>,
}

/// A running Redis Cluster.
pub struct RedisCluster {
    nodes: Vec<Node>,
    dir: PathBuf,
}

/// A port that is free, and whose cluster bus port (+10000) is free too.
fn free_port() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// `redis-cli -p port args…`, its output.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl RedisCluster {
    /// Starts one, or `None` (with a line saying so) when `redis-server` is not installed;
    /// under `CI=true` it must be.
    pub async fn start(test: &str) -> Option<RedisCluster> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("redis-server is missing, and under CI=true Redis Cluster tests must run");
            }
            say(&format!("SKIPPED {test}: install redis-server to run it"));
            return None;
        }
        let dir = std::env::temp_dir().join(unique("imcluster-redis-cluster"));
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            dir,
        };
        for _ in 0..6 {
            let port = free_port();
            let child = cluster.spawn(port);
            cluster.nodes.push(Node {
                port,
                child: Some(child),
            });
        }
        for node in &cluster.nodes {
            await_until(
                "a node answers",
                || cli(node.port, &["ping"]) == "PONG",
                String::new,
            )
            .await;
        }
        let addrs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .expect("redis-cli --cluster create runs");
        assert!(
            created.status.success(),
            "the cluster is created: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        cluster.await_ok().await;
        // A replica that has not synced once cannot take over: wait for all three.
        let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
        await_until(
            "every replica is in sync",
            || {
                let infos: Vec<String> = ports
                    .iter()
                    .map(|p| cli(*p, &["info", "replication"]))
                    .collect();
                infos
                    .iter()
                    .filter(|i| i.contains("role:slave"))
                    .filter(|i| i.contains("master_link_status:up"))
                    .count()
                    == 3
            },
            || cluster.describe(),
        )
        .await;
        Some(cluster)
    }

    /// Starts the node of `port` in its folder (kept across a restart: it rejoins the
    /// cluster it knew).
    fn spawn(&self, port: u16) -> Child {
        let node_dir = self.dir.join(port.to_string());
        std::fs::create_dir_all(&node_dir).expect("a node folder");
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
            .args(["--cluster-config-file", "nodes.conf"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--repl-diskless-sync-delay", "0"])
            .args(["--logfile", "redis.log"])
            .arg("--dir")
            .arg(&node_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts")
    }

    /// Starts a killed node again: it rejoins as a replica of whoever took over its slots.
    pub async fn revive(&mut self, port: u16) {
        let child = self.spawn(port);
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.port == port)
            .expect("a node of this cluster");
        node.child = Some(child);
        await_until(
            "a revived node answers",
            || cli(port, &["ping"]) == "PONG",
            String::new,
        )
        .await;
        self.await_ok().await;
    }

    /// The ports of every node, living or not.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// Waits until every living node says the cluster is ok and agrees on who serves every
    /// slot.
    pub async fn await_ok(&self) {
        await_until(
            "the Redis Cluster is ok",
            || {
                let living: Vec<u16> = self.living();
                let infos: Vec<String> = living
                    .iter()
                    .map(|p| cli(*p, &["cluster", "info"]))
                    .collect();
                let views: Vec<String> = living.iter().map(|p| self.slot_view(*p)).collect();
                infos.iter().all(|i| i.contains("cluster_state:ok"))
                    && views.windows(2).all(|w| w[0] == w[1])
            },
            || self.describe(),
        )
        .await;
    }

    /// Who `port` says serves each slot range, as one line per primary.
    fn slot_view(&self, port: u16) -> String {
        let mut lines: Vec<String> = cli(port, &["cluster", "nodes"])
            .lines()
            .filter(|l| l.contains("master") && !l.contains("fail"))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                format!("{} {}", f[1], f[8..].join(" "))
            })
            .collect();
        lines.sort();
        lines.join("\n")
    }

    /// What every living node says of the cluster.
    fn describe(&self) -> String {
        self.living()
            .iter()
            .map(|p| {
                let info = cli(*p, &["cluster", "info"]);
                let state = info.lines().next().unwrap_or_default().to_string();
                format!("{p}: {state}\n{}", cli(*p, &["cluster", "nodes"]))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn living(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .collect()
    }

    /// The seed URLs pods are given (`redis.cluster_urls`).
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .take(3)
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// One node's URL, for a test's own classic publish/subscribe (heard cluster-wide).
    pub fn any_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.living()[0])
    }

    /// The slot of a key or channel.
    pub fn slot(&self, key: &str) -> u16 {
        cli(self.living()[0], &["cluster", "keyslot", key])
            .parse()
            .expect("a slot number")
    }

    /// The node id and port of the primary serving `slot`.
    pub fn primary_of(&self, slot: u16) -> (String, u16) {
        self.primaries_with_slots()
            .into_iter()
            .find(|(_, _, ranges)| ranges.iter().any(|r| r.contains(&slot)))
            .map(|(id, port, _)| (id, port))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}"))
    }

    /// The living primaries: (node id, port).
    pub fn primaries(&self) -> Vec<(String, u16)> {
        self.primaries_with_slots()
            .into_iter()
            .map(|(id, port, _)| (id, port))
            .collect()
    }

    /// The living primaries as a living node sees them: (node id, port, slot ranges).
    fn primaries_with_slots(&self) -> Vec<(String, u16, Vec<std::ops::RangeInclusive<u16>>)> {
        cli(self.living()[0], &["cluster", "nodes"])
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f[2].contains("master") && !f[2].contains("fail"))
            .map(|f| {
                let port = f[1].split([':', '@']).nth(1).unwrap().parse().unwrap();
                // Ranges `lo-hi` or single slots; a slot being moved (`[…]`) is skipped.
                let ranges = f[8..]
                    .iter()
                    .filter_map(|r| {
                        let (lo, hi) = r.split_once('-').unwrap_or((r, r));
                        Some(lo.parse().ok()?..=hi.parse().ok()?)
                    })
                    .collect();
                (f[0].to_string(), port, ranges)
            })
            .collect()
    }

    /// Moves `slot` (with its keys) to another primary, as `redis-cli --cluster reshard`
    /// does: the subscribers of its sharded channels on the old primary are unsubscribed.
    /// Returns the new primary's port.
    pub async fn move_slot(&self, slot: u16) -> u16 {
        let (from_id, from) = self.primary_of(slot);
        let (to_id, to) = self
            .primaries()
            .into_iter()
            .find(|(id, _)| *id != from_id)
            .expect("another primary");
        let s = slot.to_string();
        assert_eq!(
            cli(to, &["cluster", "setslot", &s, "importing", &from_id]),
            "OK"
        );
        assert_eq!(
            cli(from, &["cluster", "setslot", &s, "migrating", &to_id]),
            "OK"
        );
        loop {
            let keys = cli(from, &["cluster", "getkeysinslot", &s, "100"]);
            let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let port = to.to_string();
            let mut args = vec!["migrate", "127.0.0.1", &port, "", "0", "5000", "keys"];
            args.extend(keys);
            assert_eq!(cli(from, &args), "OK");
        }
        for (_, port) in self.primaries() {
            assert_eq!(cli(port, &["cluster", "setslot", &s, "node", &to_id]), "OK");
        }
        self.await_ok().await;
        to
    }

    /// `kill -9` of the primary on `port`; its replica takes over (the cluster is ok again
    /// when this returns).
    pub async fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.port == port)
            .expect("a node of this cluster");
        let mut child = node.child.take().expect("a living node");
        let id = cli(port, &["cluster", "myid"]);
        child.kill().expect("kill -9");
        let _ = child.wait();
        let living = self.living();
        await_until(
            "the killed primary is marked failed",
            || {
                living.iter().all(|p| {
                    cli(*p, &["cluster", "nodes"]).lines().any(|l| {
                        l.starts_with(&id)
                            && l.split_whitespace()
                                .nth(2)
                                .is_some_and(|flags| flags.split(',').any(|f| f == "fail"))
                    })
                })
            },
            || self.describe(),
        )
        .await;
        self.await_ok().await;
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            // The nodes' logs stay for whoever looks into the failure.
            eprintln!("the Redis Cluster's logs: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Polls `done` (a few quick `redis-cli` calls) until it holds.
async fn await_until(what: &str, done: impl Fn() -> bool, describe: impl Fn() -> String) {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        if done() {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("{what} in time; the cluster says:\n{}", describe());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
