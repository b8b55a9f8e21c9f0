//! Starts real nodes for the scenario tests: each test gets its own database (a SQLite file in
//! a temporary folder, or a PostgreSQL schema of its own) and a server on a random port, and
//! talks to it over real HTTP and WebSocket.

use std::io::Write;
use std::time::Duration;

use awc::Client;
use imcluster::config::Config;
use imcluster::startup::Node;
use serde_json::Value;

/// The PostgreSQL server the tests may use (`postgres://…/db`); unset = those tests skip,
/// except under `CI=true`, where a missing service is a failure.
pub const POSTGRES_ENV: &str = "IM_TEST_POSTGRES_URL";

/// A shared secret for test nodes, so tokens outlive one node (restarts, several pods).
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Which database a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes past libtest's output capture, so a skip is always seen.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A database for one test, and what it takes to remove it.
pub struct TestDb {
    pub url: String,
    pub schema: String,
    _dir: Option<tempfile::TempDir>,
    /// The media store's folder of this test's nodes (every pod of a test shares it).
    pub media: tempfile::TempDir,
}

impl TestDb {
    /// A fresh, empty database on `backend`, or `None` (with a line saying so) when that
    /// backend is not configured here.
    pub async fn new(backend: Backend, test: &str) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("im.db").display());
                Some(TestDb {
                    url,
                    schema: String::new(),
                    _dir: Some(dir),
                    media: tempfile::tempdir().expect("temp dir"),
                })
            }
            Backend::Postgres => {
                let Ok(url) = std::env::var(POSTGRES_ENV) else {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!("{POSTGRES_ENV} is not set, and under CI=true PostgreSQL tests must run");
                    }
                    say(&format!(
                        "SKIPPED {test} on PostgreSQL: set {POSTGRES_ENV} to run it"
                    ));
                    return None;
                };
                let schema = format!("it_{}", uuid::Uuid::new_v4().simple());
                let db = sea_orm::Database::connect(&url)
                    .await
                    .expect("PostgreSQL from IM_TEST_POSTGRES_URL is reachable");
                use sea_orm::ConnectionTrait;
                db.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .expect("create schema");
                db.close().await.ok();
                Some(TestDb {
                    url,
                    schema,
                    _dir: None,
                    media: tempfile::tempdir().expect("temp dir"),
                })
            }
        }
    }

    /// A database on a server the test made itself (its `url` as given), with a media folder.
    pub fn at(url: String) -> TestDb {
        TestDb {
            url,
            schema: String::new(),
            _dir: None,
            media: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A node configuration on this database, listening on a random port.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.node.listen = "127.0.0.1:0".into();
        config.database.url = self.url.clone();
        config.database.schema = self.schema.clone();
        config.database.max_connections = 8;
        config.jwt.secret = TEST_SECRET.into();
        config.log.level = "warn".into();
        // Scenario tests make many users and groups from one address in a second; the
        // creation and registration limits have tests of their own (`security.rs`).
        config.limits.creations_per_minute = 0;
        config.limits.registrations_per_hour = 0;
        // Tenant tests register into tenants of their own making.
        config.accounts.registration_tenants = vec!["*".into()];
        config.media.store = self.media_store();
        config
    }

    /// `media.store` for this test's nodes.
    pub fn media_store(&self) -> String {
        format!("file://{}", self.media.path().display())
    }
}

impl Drop for TestDb {
    /// Removes a PostgreSQL test schema, even when the test failed.
    fn drop(&mut self) {
        if self.schema.is_empty() {
            return;
        }
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                if let Ok(db) = sea_orm::Database::connect(&url).await {
                    // This drop blocks the test's thread, which may be the one that drives a
                    // node's database connections: a node transaction still open would wait
                    // for it forever, and the DROP for the transaction. A bounded wait leaves
                    // the schema behind instead of hanging the suite.
                    let drop = format!(
                        "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                    );
                    let _ = db.execute_unprepared(&drop).await;
                    db.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// A running node and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    /// The node's shared state, for tests that reach inside (clock steps, actor counts);
    /// `None` for a node in another process.
    pub node_state: Option<actix_web::web::Data<imcluster::state::AppState>>,
    handle: Option<actix_web::dev::ServerHandle>,
}

impl TestApp {
    /// Starts a node with `config` in this test's runtime.
    pub async fn start(config: Config) -> TestApp {
        imcluster::telemetry::init(&config.log);
        let node = Node::build(config).await.expect("node starts");
        let base = format!("http://{}", node.addr);
        let handle = node.handle();
        let node_state = node.state.clone();
        actix_rt::spawn(node.run());
        TestApp {
            node_state: Some(node_state),
            handle: Some(handle),
            ..TestApp::remote(base)
        }
    }

    /// A client for a node running elsewhere (another process) at `base`.
    pub fn remote(base: String) -> TestApp {
        let connector = awc::Connector::new().limit(0);
        let client = Client::builder()
            .connector(connector)
            .timeout(Duration::from_secs(30))
            .finish();
        TestApp {
            base,
            client,
            node_state: None,
            handle: None,
        }
    }

    /// `METHOD path` with an optional JSON body and bearer token: the status and the JSON body
    /// (`Value::Null` when there is none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{}", self.base, path);
        let mut req = self.client.request(method.parse().expect("method"), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("request reaches the node");
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        (res.status().as_u16(), json)
    }

    /// Registers `name` and logs in: (user id, token).
    pub async fn user(&self, name: &str) -> (String, String) {
        let body = serde_json::json!({"userName": name, "password": "password-123"});
        let (status, reg) = self
            .call("POST", "/api/auth/register", None, Some(body.clone()))
            .await;
        assert_eq!(status, 201, "{reg}");
        let (status, login) = self.call("POST", "/api/auth/login", None, Some(body)).await;
        assert_eq!(status, 200, "{login}");
        (
            reg["userId"].as_str().unwrap().to_string(),
            login["accessToken"].as_str().unwrap().to_string(),
        )
    }

    /// The node's shared state.
    pub fn state(&self) -> std::sync::Arc<imcluster::state::AppState> {
        self.node_state
            .clone()
            .expect("an in-process node")
            .into_inner()
    }

    /// Makes two users friends (as the friends API will), and tells their actors.
    pub async fn befriend(&self, a: &str, b: &str) {
        let (a, b) = (a.parse().unwrap(), b.parse().unwrap());
        let state = self.state();
        state.store.befriend(None, a, b).await.expect("befriend");
        state.delivery.reload_user(&(None, a));
        state.delivery.reload_user(&(None, b));
    }

    /// Creates a group owned by `owner` with `members`, and returns its id.
    pub async fn group(&self, owner: &str, members: &[&str]) -> i64 {
        let state = self.state();
        let group_id = state.ids.next_id();
        let new = imcluster::store::NewGroup {
            tenant_id: None,
            group_id,
            owner: owner.parse().unwrap(),
            name: "test group".into(),
            max_user_count: 10_000,
            allow_anonymous: false,
            allow_send_message: true,
        };
        state.store.create_group(new).await.expect("group");
        for m in members {
            state
                .store
                .add_member(None, group_id, m.parse().unwrap(), false, None)
                .await
                .expect("member");
            state.delivery.reload_user(&(None, m.parse().unwrap()));
        }
        state
            .delivery
            .supervisor
            .reload_user(&(None, owner.parse().unwrap()));
        group_id
    }

    /// Stops the node.
    pub async fn stop(&self) {
        if let (Some(state), Some(handle)) = (&self.node_state, &self.handle) {
            imcluster::startup::drain(state, handle).await;
            // Nothing of the node's may still be writing when the test drops its database.
            state.writer.flush().await;
        }
    }
}

/// A unique user name for a test.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// Defines one async test body run twice: `<name>_sqlite` always, `<name>_postgres` when
/// PostgreSQL is configured.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_rt::test]
            async fn sqlite() {
                if let Some(db) = $crate::helpers::TestDb::new(
                    $crate::helpers::Backend::Sqlite,
                    stringify!($name),
                )
                .await
                {
                    ($body)(db).await;
                }
            }

            #[actix_rt::test]
            async fn postgres() {
                if let Some(db) = $crate::helpers::TestDb::new(
                    $crate::helpers::Backend::Postgres,
                    stringify!($name),
                )
                .await
                {
                    ($body)(db).await;
                }
            }
        }
    };
}
