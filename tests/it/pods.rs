//! Real cluster pods for the cluster tests: separate processes of the built `imcluster`
//! binary sharing one PostgreSQL schema and one Redis namespace of their own, each on a
//! random port. A pod can be stopped cleanly (SIGTERM) or killed (SIGKILL).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{say, unique, Backend, TestApp, TestDb, TEST_SECRET};

/// The Redis the cluster tests use; unset = they skip, except under `CI=true`.
pub const REDIS_ENV: &str = "IM_TEST_REDIS_URL";

/// How long a pod may take to start.
const START: Duration = Duration::from_secs(60);

/// A cluster of this test's own: a database schema, a Redis namespace, the pods' settings.
pub struct Cluster {
    pub db: TestDb,
    /// The Redis the pods use; on a Redis Cluster, one of its nodes (for the test's own
    /// classic publishes and subscriptions, heard cluster-wide).
    pub redis_url: String,
    /// A Redis Cluster's seed nodes: the pods use it instead of `redis_url`.
    pub cluster_urls: Vec<String>,
    pub namespace: String,
    /// `redis.pod_ttl_seconds` of every pod: short, so a killed pod is noticed soon.
    pub ttl_seconds: u64,
}

/// One pod: its process, and a client for it.
pub struct Pod {
    pub app: TestApp,
    pub id: u16,
    child: Child,
    /// Every line the pod has logged so far.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Cluster {
    /// A cluster on PostgreSQL and Redis, or `None` (with a line saying so) when either is
    /// not configured here. Under `CI=true` both must be.
    pub async fn new(test: &str) -> Option<Cluster> {
        let db = TestDb::new(Backend::Postgres, test).await?;
        let Ok(redis_url) = std::env::var(REDIS_ENV) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{REDIS_ENV} is not set, and under CI=true cluster tests must run");
            }
            say(&format!("SKIPPED {test}: set {REDIS_ENV} to run it"));
            return None;
        };
        Some(Cluster {
            db,
            redis_url,
            cluster_urls: Vec::new(),
            namespace: unique("it"),
            ttl_seconds: 3,
        })
    }

    /// A cluster whose pods use the Redis Cluster `redis` (and PostgreSQL), or `None` when
    /// PostgreSQL is not configured here.
    pub async fn on_redis_cluster(
        test: &str,
        redis: &crate::redis_cluster_server::RedisCluster,
    ) -> Option<Cluster> {
        let db = TestDb::new(Backend::Postgres, test).await?;
        Some(Cluster {
            db,
            redis_url: redis.any_url(),
            cluster_urls: redis.urls(),
            namespace: unique("it"),
            ttl_seconds: 3,
        })
    }

    /// Pods of their own on `db` and the in-process bus (no Redis).
    pub fn on_database(db: TestDb) -> Cluster {
        Cluster {
            db,
            redis_url: String::new(),
            cluster_urls: Vec::new(),
            namespace: unique("it"),
            ttl_seconds: 3,
        }
    }

    /// One pod of its own on SQLite and the in-process bus, for tests that need a real
    /// process (its log, its exit) but no cluster: it runs wherever the tests run.
    pub async fn single(test: &str) -> Cluster {
        Cluster {
            db: TestDb::new(Backend::Sqlite, test).await.expect("SQLite"),
            redis_url: String::new(),
            cluster_urls: Vec::new(),
            namespace: unique("it"),
            ttl_seconds: 3,
        }
    }

    /// Starts pod `id` (its node id; also its name `pod-<id>`).
    pub async fn pod(&self, id: u16) -> Pod {
        self.pod_with(id, &[]).await
    }

    /// Starts pod `id` with extra `IMCLUSTER_*` settings.
    pub async fn pod_with(&self, id: u16, env: &[(&str, &str)]) -> Pod {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imcluster"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("IMCLUSTER_NODE__ID", id.to_string())
            .env("IMCLUSTER_NODE__NAME", format!("pod-{id}"))
            .env("IMCLUSTER_NODE__LISTEN", "127.0.0.1:0")
            .env("IMCLUSTER_DATABASE__URL", &self.db.url)
            .env("IMCLUSTER_DATABASE__SCHEMA", &self.db.schema)
            .env("IMCLUSTER_DATABASE__MAX_CONNECTIONS", "4")
            .env("IMCLUSTER_REDIS__NAMESPACE", &self.namespace)
            .env(
                "IMCLUSTER_REDIS__POD_TTL_SECONDS",
                self.ttl_seconds.to_string(),
            )
            .env("IMCLUSTER_JWT__SECRET", TEST_SECRET)
            .env("IMCLUSTER_MEDIA__STORE", self.db.media_store())
            .env("IMCLUSTER_LOG__LEVEL", "info")
            .env("IMCLUSTER_LOG__FORMAT", "json");
        if self.cluster_urls.is_empty() {
            cmd.env("IMCLUSTER_REDIS__URL", &self.redis_url);
        } else {
            let seeds: Vec<String> = self.cluster_urls.iter().map(|u| format!("{u:?}")).collect();
            cmd.env(
                "IMCLUSTER_REDIS__CLUSTER_URLS",
                format!("[{}]", seeds.join(",")),
            );
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the imcluster binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                lines.lock().unwrap().push(line.clone());
                if let Some(at) = line.find("serving on http://") {
                    let rest = &line[at + "serving on ".len()..];
                    let end = rest.find(['"', ' ']).unwrap_or(rest.len());
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest[..end].to_string());
                    }
                }
            }
        });
        let base = tokio::time::timeout(START, rx)
            .await
            .expect("the pod starts serving in time")
            .expect("the pod logs its address");
        let pod = Pod {
            app: TestApp::remote(base),
            id,
            child,
            log,
        };
        pod.await_ready().await;
        pod
    }
}

impl Pod {
    /// The pod's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/ready` answers 200 (database and Redis reachable, pod state written).
    pub async fn await_ready(&self) {
        self.await_ready_status(200).await;
    }

    /// Waits until `/ready` answers `status`.
    pub async fn await_ready_status(&self, status: u16) {
        let deadline = tokio::time::Instant::now() + START;
        loop {
            let (got, _) = self.app.call("GET", "/ready", None, None).await;
            if got == status {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "/ready of pod {} stayed {got}, not {status}",
                self.id
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the pod the hard way: no drain, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        self.kill();
    }
}

impl std::ops::Deref for Pod {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Waits until every pod of `pods` sees `user` online (the presence directory reached them),
/// asking with `token`.
pub async fn await_online(pods: &[&TestApp], user: &str, token: &str) {
    await_presence(pods, user, token, true).await
}

/// Waits until every pod of `pods` sees `user` online or offline, asking with `token`.
pub async fn await_presence(pods: &[&TestApp], user: &str, token: &str, online: bool) {
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    for pod in pods {
        loop {
            let (_, card) = pod
                .call(
                    "GET",
                    &format!("/api/im/users/{user}/card"),
                    Some(token),
                    None,
                )
                .await;
            if card["online"] == online {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{user} is seen {} by {}",
                if online { "online" } else { "offline" },
                pod.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Makes users `a` and `b` (id, token) friends through the HTTP API of two pods: the request
/// on `a`'s, the accept on `b`'s.
pub async fn befriend(pa: &TestApp, a: (&str, &str), pb: &TestApp, b: (&str, &str)) {
    let (status, body) = pa
        .call(
            "POST",
            "/api/im/my-friends/add-request",
            Some(a.1),
            Some(json!({"friendId": b.0})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    if body["status"] != 1 {
        let (status, body) = pb
            .call(
                "PUT",
                &format!("/api/im/my-friends/requests/{}/accept", a.0),
                Some(b.1),
                None,
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
}

/// Creates a group owned by `owner` (through `p`) and lets `members` in: each asks on its own
/// pod, the owner accepts. Returns the group id.
pub async fn group(p: &TestApp, owner: &str, members: &[(&TestApp, &str, &str)]) -> i64 {
    let (status, g) = p
        .call(
            "POST",
            "/api/im/groups",
            Some(owner),
            Some(json!({"name": "cluster group"})),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    let gid: i64 = g["id"].as_str().unwrap().parse().unwrap();
    for (pod, user, token) in members {
        let (status, body) = pod
            .call(
                "POST",
                "/api/im/user-groups/join",
                Some(token),
                Some(json!({"groupId": gid.to_string()})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = p
            .call(
                "PUT",
                "/api/im/user-groups/accept",
                Some(owner),
                Some(json!({"userId": user, "groupId": gid.to_string(), "allowAccept": true})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
    gid
}

/// Every message `sync` returns from the beginning, following `next` to the end.
pub async fn sync_all(c: &mut crate::ws::WsClient) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut frame = json!({"type": "sync", "limit": 1000});
        if let Some(a) = &after {
            frame["after"] = json!(a);
        }
        let reply = c.request(frame).await;
        assert_eq!(reply["type"], "sync", "{reply}");
        all.extend(reply["messages"].as_array().unwrap().iter().cloned());
        after = reply["next"].as_str().map(str::to_string);
        if reply["more"] != true {
            return all;
        }
    }
}
