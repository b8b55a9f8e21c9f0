//! The node's configuration: `cluster.toml` (or `--config PATH`), then `IMCLUSTER_*` environment
//! variables over it (`IMCLUSTER_NODE__ID=3` sets `node.id`), validated once at start so a bad
//! value stops the process with a message naming the key, never later with a panic.

use std::net::SocketAddr;
use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

mod auth;
mod hooks;
mod media;
mod notifications;
mod push;
mod retention;

pub use auth::{AccountDeletion, AuthConfig};
pub use hooks::{BeforeSendConfig, EventsConfig, HooksConfig, OnFailure};
pub use media::MediaConfig;
pub use notifications::NotificationsConfig;
pub use push::PushConfig;
pub use retention::RetentionConfig;

/// The environment prefix; a double underscore separates a section from its key.
pub const ENV_PREFIX: &str = "IMCLUSTER_";

/// Everything one node needs to know. Each section mirrors a table of `cluster.toml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub node: NodeConfig,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub jwt: JwtConfig,
    pub auth: AuthConfig,
    pub limits: Limits,
    pub push: PushConfig,
    pub notifications: NotificationsConfig,
    pub media: MediaConfig,
    pub retention: RetentionConfig,
    pub admin: AdminConfig,
    pub accounts: AccountsConfig,
    pub http: HttpConfig,
    pub hooks: HooksConfig,
    pub log: LogConfig,
}

/// Who may make an account here by themselves (`POST /api/auth/register`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    /// Whether anyone may register at all (false: accounts come from an external issuer's
    /// tokens or `imcluster admin create`).
    pub open_registration: bool,
    /// Tenants (GUIDs) people may register into besides the host tenant; `["*"]` any. This
    /// product keeps no tenant list of its own, so a tenant id nobody configured is refused
    /// rather than created by whoever names it first.
    pub registration_tenants: Vec<String>,
    /// What deleting one's account removes.
    pub deletion: AccountDeletion,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            open_registration: true,
            registration_tenants: vec![],
            deletion: AccountDeletion::default(),
        }
    }
}

impl AccountsConfig {
    /// Whether a person may register into `tenant` (`None` = the host tenant).
    pub fn may_register(&self, tenant: Option<uuid::Uuid>) -> bool {
        self.open_registration
            && tenant.is_none_or(|t| {
                self.registration_tenants
                    .iter()
                    .any(|l| l == "*" || l.parse::<uuid::Uuid>().is_ok_and(|l| l == t))
            })
    }
}

/// Who this pod is and where it listens.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// 0–1023, unique per pod: it is the machine and node part of every Snowflake id.
    pub id: u16,
    /// A readable name; empty means `node-<id>`.
    pub name: String,
    /// The address HTTP and WebSocket clients connect to.
    pub listen: String,
    /// Seconds a graceful shutdown waits for open requests.
    pub shutdown_timeout_seconds: u64,
    /// For tests and drills only: a message whose content is `imcluster:panic` makes the actor
    /// handling it panic, to show that one actor's failure stays its own.
    pub fault_injection: bool,
    /// For clock-skew drills only (needs `fault_injection`): milliseconds this pod's id clock
    /// runs behind (negative) or ahead of the wall clock.
    pub clock_skew_ms: i64,
    /// For drills only (needs `fault_injection`): milliseconds this pod waits before it
    /// applies another pod's presence change, as a slow or distant pod would.
    pub fault_presence_delay_ms: u64,
    /// The most WebSocket connections (native and hub) this pod holds; past it, an upgrade is
    /// answered 503 `IM:Unavailable` before it happens. 0 = seven eighths of the open-file
    /// limit (raised to its hard limit at start), leaving the rest for the database, Redis
    /// and HTTP requests.
    pub max_connections: u32,
}

/// Where the messages live.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE?mode=rwc` or `postgres://user:pass@host:port/db`.
    pub url: String,
    /// PostgreSQL only: the schema the tables live in (empty = the server's search path).
    pub schema: String,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a connection before answering `IM:Unavailable`.
    pub connect_timeout_seconds: u64,
    /// Run pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// PostgreSQL streaming replicas of `url` (same credentials and schema): history, search
    /// and the conversation list are read there once the replica has replayed everything the
    /// primary had committed when the read began.
    pub replica_urls: Vec<String>,
    /// How long a read waits for a replica to catch up before it goes to the primary.
    pub replica_wait_ms: u64,
}

/// The cluster bus. Without a URL the node runs alone with an in-process bus.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://host:port/db`; empty (and no `cluster_urls`) = single node.
    pub url: String,
    /// Seed nodes of a Redis Cluster (`redis://host:port`, a few are enough), instead of `url`:
    /// per-pod channels go through sharded pub/sub, hash-tagged so each pod's channel and keys
    /// live on one shard.
    pub cluster_urls: Vec<String>,
    /// The first part of every channel and key (`im.default.send`, `im:pods`): pods with the
    /// same namespace form one cluster.
    pub namespace: String,
    /// Seconds after its last heartbeat that a silent pod counts as gone (its users offline).
    pub pod_ttl_seconds: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: String::new(),
            cluster_urls: Vec::new(),
            namespace: "im".into(),
            pod_ttl_seconds: 10,
        }
    }
}

/// Tokens: the ones this node issues (HS256) and the ones an external issuer signs (RS256).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// HS256 secret, at least 32 bytes, the same on every pod. Empty = a random one per start
    /// (fine for a laptop; tokens die with the process).
    pub secret: String,
    /// PEM public key (the text, or a path to a file) of an external issuer's RS256 tokens.
    pub rs256_public_key: String,
    /// `iss` of the tokens this node issues and accepts.
    pub issuer: String,
    /// `aud` of the tokens this node issues and accepts.
    pub audience: String,
    /// `iss` expected on external RS256 tokens (empty = not checked).
    pub external_issuer: String,
    /// `aud` expected on external RS256 tokens (empty = not checked).
    pub external_audience: String,
    /// Lifetime of issued access tokens, seconds.
    pub ttl_seconds: u64,
    /// A session's refresh token stops working after this many seconds unused.
    pub refresh_ttl_seconds: u64,
}

/// What one client may do.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest WebSocket frame accepted, bytes.
    pub max_frame_bytes: usize,
    /// Frames per second one connection may send, sustained.
    pub rate_per_second: u32,
    /// Frames one connection may send in a burst.
    pub rate_burst: u32,
    /// Seconds between server pings; silence for twice this closes the connection (4008).
    pub heartbeat_seconds: u64,
    /// Frames waiting to be written to one slow client before it is closed (4008).
    pub outbound_queue: usize,
    /// Messages waiting for the database, pod-wide, before new sends are refused with
    /// `IM:Unavailable` (a slow database then costs retries, not unbounded memory).
    pub max_pending_writes: usize,
    /// `MaxUserCount` of a new group unless it asks otherwise.
    pub default_group_size: u32,
    /// The largest `MaxUserCount` a group may have.
    pub max_group_size: u32,
    /// Seconds after sending during which the sender may recall a message.
    pub recall_window_seconds: u64,
    /// Seconds after sending during which the sender may edit a message; 0 = no limit.
    pub edit_window_seconds: u64,
    /// Groups of at most this many members push read receipts (`read` frames) to members and
    /// list their readers; larger groups answer counts only.
    pub receipt_group_max: usize,
    /// Failed logins a minute per account name before logins for it answer 429 (five times
    /// as many per client address); 0 = no limit.
    pub login_failures_per_minute: u32,
    /// Groups, friend requests and join requests one user may create a minute (each answers
    /// 429 `IM:RateLimited` past it); 0 = no limit.
    pub creations_per_minute: u32,
    /// Accounts one client address may register an hour; 0 = no limit.
    pub registrations_per_hour: u32,
}

/// Operators: the admin API and console.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// `X-API-Key` accepted by `/api/admin/*` (for scripts); empty = only tokens with role
    /// `admin`. Admin accounts are made with `imcluster admin create`.
    pub api_key: String,
}

/// Browsers on other origins (the ABP Vue app, a web client served elsewhere).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Origins allowed to call the API and the hub from a browser, with credentials:
    /// `["*"]` allows any (tokens are bearer tokens, not cookies), `[]` none but same-origin,
    /// or a list like `["https://app.example.com"]`.
    pub cors_origins: Vec<String>,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed; a client's
    /// address is then the nearest one in it that is not a trusted proxy. Empty: the TCP peer
    /// is the client, and the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// A key `/metrics` asks for (`Authorization: Bearer KEY`, as Prometheus's
    /// `authorization` setting sends it); empty = open, for a port only the scraper reaches.
    pub metrics_key: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cors_origins: vec!["*".into()],
            trusted_proxies: vec![],
            metrics_key: String::new(),
        }
    }
}

impl HttpConfig {
    /// The trusted proxies, parsed (a plain address is a range of one).
    pub fn proxies(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_net(p))
            .collect()
    }
}

/// An address or a CIDR range.
fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

/// Logging.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter: `info`, `imcluster=debug,info`, …
    pub level: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            id: 0,
            name: String::new(),
            listen: "127.0.0.1:8080".into(),
            shutdown_timeout_seconds: 10,
            fault_injection: false,
            clock_skew_ms: 0,
            fault_presence_delay_ms: 0,
            max_connections: 0,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://imcluster.db?mode=rwc".into(),
            schema: String::new(),
            max_connections: 16,
            connect_timeout_seconds: 5,
            migrate_on_start: true,
            replica_urls: Vec::new(),
            replica_wait_ms: 100,
        }
    }
}

impl Default for JwtConfig {
    fn default() -> Self {
        JwtConfig {
            secret: String::new(),
            rs256_public_key: String::new(),
            issuer: "imcluster".into(),
            audience: "imcluster".into(),
            external_issuer: String::new(),
            external_audience: String::new(),
            ttl_seconds: 900,
            refresh_ttl_seconds: 30 * 86_400,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 64 * 1024,
            rate_per_second: 50,
            rate_burst: 100,
            heartbeat_seconds: 15,
            outbound_queue: 1024,
            max_pending_writes: 50_000,
            default_group_size: 200,
            max_group_size: 10_000,
            recall_window_seconds: 120,
            edit_window_seconds: 172_800,
            receipt_group_max: 100,
            login_failures_per_minute: 10,
            creations_per_minute: 30,
            registrations_per_hour: 30,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// A configuration that cannot be used, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    Missing(String),
    #[error("{0}")]
    Parse(String),
    #[error("`{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
}

impl Config {
    /// Reads `path` (if it exists; `required` makes a missing file an error), then the
    /// environment, then validates.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        if required && !path.exists() {
            return Err(ConfigError::Missing(path.display().to_string()));
        }
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if path.exists() {
            figment = figment.merge(Toml::file(path));
        }
        let sections = [
            "node",
            "database",
            "redis",
            "jwt",
            "auth",
            "limits",
            "push",
            "admin",
            "accounts",
            "http",
            "hooks",
            "log",
            "notifications",
            "media",
            "retention",
        ];
        let env = Env::prefixed(ENV_PREFIX).split("__").filter(move |key| {
            sections.iter().any(|s| {
                key.as_str()
                    .to_ascii_lowercase()
                    .starts_with(&format!("{s}."))
            })
        });
        Config::extract(figment.merge(env))
    }

    /// The configuration a TOML text gives over the defaults, validated; the environment is
    /// not read. What the config fuzzer drives.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Config::extract(
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)),
        )
    }

    fn extract(figment: Figment) -> Result<Config, ConfigError> {
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value whose type alone does not make it valid.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.node.validate()?;
        self.database.validate()?;
        self.redis.validate()?;
        self.jwt.validate()?;
        self.auth.validate()?;
        self.limits.validate()?;
        self.accounts.validate()?;
        self.http.validate()?;
        self.hooks.validate()?;
        self.push.validate(self.redis.enabled())?;
        self.notifications.validate()?;
        self.media.validate()?;
        self.retention.validate()?;
        if self.hooks.events.redis_stream && !self.redis.enabled() {
            return bad(
                "hooks.events.redis_stream",
                "needs redis.url or redis.cluster_urls",
            );
        }
        self.log.validate()
    }

    /// The node's display name.
    pub fn node_name(&self) -> String {
        if self.node.name.is_empty() {
            format!("node-{}", self.node.id)
        } else {
            self.node.name.clone()
        }
    }

    /// The external issuer's key as PEM text, read from a file when the setting is a path. A
    /// key file is small: more than 64 KiB (a device, a wrong path) is refused, not read on.
    pub fn rs256_public_key_pem(&self) -> Result<String, String> {
        self.jwt.public_key_pem()
    }
}

impl JwtConfig {
    /// The external issuer's public key as PEM text: the value itself, or the file it names.
    pub fn public_key_pem(&self) -> Result<String, String> {
        use std::io::Read;
        const MAX_PEM_BYTES: u64 = 64 * 1024;
        let value = self.rs256_public_key.trim();
        if value.starts_with("-----BEGIN") {
            return Ok(value.to_string());
        }
        let file = std::fs::File::open(value).map_err(|e| format!("cannot read {value}: {e}"))?;
        let mut pem = String::new();
        file.take(MAX_PEM_BYTES + 1)
            .read_to_string(&mut pem)
            .map_err(|e| format!("cannot read {value}: {e}"))?;
        if pem.len() as u64 > MAX_PEM_BYTES {
            return Err(format!("{value} is larger than 64 KiB: not a PEM key"));
        }
        Ok(pem)
    }
}

impl Config {
    /// This configuration with every secret replaced, for logs and the admin API.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        let hide = |s: &mut String| {
            if !s.is_empty() {
                *s = "<redacted>".into();
            }
        };
        hide(&mut c.jwt.secret);
        hide(&mut c.push.api_key);
        hide(&mut c.admin.api_key);
        hide(&mut c.http.metrics_key);
        c.hooks.secrets.iter_mut().for_each(hide);
        c.database.url = redact_url(&c.database.url);
        c.database.replica_urls = c
            .database
            .replica_urls
            .iter()
            .map(|u| redact_url(u))
            .collect();
        c.redis.url = redact_url(&c.redis.url);
        c.redis.cluster_urls = c.redis.cluster_urls.iter().map(|u| redact_url(u)).collect();
        c
    }
}

/// Hides the password of a `scheme://user:password@host` URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}<redacted>{}", &url[..s + 3 + colon + 1], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

/// Turns figment's error into one line per problem, each naming its key.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let kind = e.kind.to_string();
            match (key.is_empty(), source.is_empty()) {
                (false, false) => format!("`{key}` (from {source}): {kind}"),
                (false, true) => format!("`{key}`: {kind}"),
                _ => kind,
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A configuration error naming `key`.
pub(crate) fn bad(key: &'static str, problem: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        problem: problem.into(),
    })
}

impl NodeConfig {
    /// Checks the `[node]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.id > 1023 {
            return bad(
                "node.id",
                format!("must be between 0 and 1023, got {}", self.id),
            );
        }
        if self.listen.parse::<SocketAddr>().is_err() {
            return bad(
                "node.listen",
                format!("`{}` is not an address like 0.0.0.0:8080", self.listen),
            );
        }
        if self.clock_skew_ms != 0 && !self.fault_injection {
            return bad("node.clock_skew_ms", "needs node.fault_injection = true");
        }
        if self.fault_presence_delay_ms != 0 && !self.fault_injection {
            return bad(
                "node.fault_presence_delay_ms",
                "needs node.fault_injection = true",
            );
        }
        Ok(())
    }
}

impl DatabaseConfig {
    /// Checks the `[database]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        let url = self.url.as_str();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return bad("database.url", "must start with sqlite: or postgres://");
        }
        if self.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if let Some(bad_url) = self
            .replica_urls
            .iter()
            .find(|u| !(u.starts_with("postgres://") || u.starts_with("postgresql://")))
        {
            return bad(
                "database.replica_urls",
                format!("`{}` is not a postgres:// URL", redact_url(bad_url)),
            );
        }
        if !self.replica_urls.is_empty() && url.starts_with("sqlite:") {
            return bad("database.replica_urls", "replicas need PostgreSQL");
        }
        if self.replica_wait_ms > 10_000 {
            return bad("database.replica_wait_ms", "must be at most 10000");
        }
        Ok(())
    }
}

impl RedisConfig {
    /// Whether a Redis (one server or a cluster) is configured: the node is a pod.
    pub fn enabled(&self) -> bool {
        !self.url.is_empty() || !self.cluster_urls.is_empty()
    }

    /// Checks the `[redis]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if !self.url.is_empty() && redis::Client::open(self.url.as_str()).is_err() {
            return bad("redis.url", format!("`{}` is not a Redis URL", self.url));
        }
        if !self.url.is_empty() && !self.cluster_urls.is_empty() {
            return bad(
                "redis.cluster_urls",
                "give either redis.url or redis.cluster_urls",
            );
        }
        if let Some(seed) = self
            .cluster_urls
            .iter()
            .find(|u| redis::Client::open(u.as_str()).is_err())
        {
            return bad("redis.cluster_urls", format!("`{seed}` is not a Redis URL"));
        }
        let namespace = &self.namespace;
        if namespace.is_empty()
            || namespace.len() > 64
            || !namespace
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        {
            return bad("redis.namespace", "must be 1–64 of [A-Za-z0-9_-]");
        }
        if !(3..=3600).contains(&self.pod_ttl_seconds) {
            return bad("redis.pod_ttl_seconds", "must be between 3 and 3600");
        }
        Ok(())
    }
}

impl JwtConfig {
    /// Checks the `[jwt]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if !self.secret.is_empty() && self.secret.len() < 32 {
            return bad(
                "jwt.secret",
                "must be at least 32 bytes (or empty for a random one)",
            );
        }
        if self.ttl_seconds == 0 {
            return bad("jwt.ttl_seconds", "must be at least 1");
        }
        if self.refresh_ttl_seconds < self.ttl_seconds {
            return bad(
                "jwt.refresh_ttl_seconds",
                "must be at least jwt.ttl_seconds",
            );
        }
        if !self.rs256_public_key.is_empty() {
            let pem = self.public_key_pem().map_err(|e| ConfigError::Invalid {
                key: "jwt.rs256_public_key",
                problem: e,
            })?;
            if jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).is_err() {
                return bad(
                    "jwt.rs256_public_key",
                    "is not an RSA public key in PEM form",
                );
            }
        }
        Ok(())
    }
}

impl Limits {
    /// Checks the `[limits]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if !(256..=16 * 1024 * 1024).contains(&self.max_frame_bytes) {
            return bad("limits.max_frame_bytes", "must be between 256 and 16777216");
        }
        if self.rate_per_second == 0 || self.rate_burst == 0 {
            return bad(
                "limits.rate_per_second",
                "rate_per_second and rate_burst must be at least 1",
            );
        }
        if self.heartbeat_seconds == 0 {
            return bad("limits.heartbeat_seconds", "must be at least 1");
        }
        if self.outbound_queue == 0 {
            return bad("limits.outbound_queue", "must be at least 1");
        }
        if self.max_pending_writes == 0 {
            return bad("limits.max_pending_writes", "must be at least 1");
        }
        if self.max_group_size < 2
            || self.default_group_size < 2
            || self.default_group_size > self.max_group_size
        {
            return bad(
                "limits.default_group_size",
                "group sizes must be at least 2, and the default no more than max_group_size",
            );
        }
        Ok(())
    }
}

impl AccountsConfig {
    /// Checks the `[accounts]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(tenant) = self
            .registration_tenants
            .iter()
            .find(|t| *t != "*" && t.parse::<uuid::Uuid>().is_err())
        {
            return bad(
                "accounts.registration_tenants",
                format!("`{tenant}` is not \"*\" or a tenant GUID"),
            );
        }
        Ok(())
    }
}

impl HttpConfig {
    /// Checks the `[http]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(origin) = self.cors_origins.iter().find(|o| {
            *o != "*" && !(o.starts_with("http://") || o.starts_with("https://"))
                || o.ends_with('/')
        }) {
            return bad(
                "http.cors_origins",
                format!("`{origin}` is not \"*\" or an origin like https://app.example.com"),
            );
        }
        if let Some(proxy) = self.trusted_proxies.iter().find(|p| parse_net(p).is_none()) {
            return bad(
                "http.trusted_proxies",
                format!("`{proxy}` is not an address or a range like 10.0.0.0/8"),
            );
        }
        Ok(())
    }
}

impl LogConfig {
    /// Checks the `[log]` section.
    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.format.as_str(), "text" | "json") {
            return bad(
                "log.format",
                format!("must be `text` or `json`, got `{}`", self.format),
            );
        }
        if crate::telemetry::filter(&self.level).is_err() {
            return bad("log.level", format!("`{}` is not a log filter", self.level));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:<redacted>@h:5432/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    /// Found by the config fuzzer: these `log.level`s made tracing's filter allocate past
    /// 2 GiB, or panic. Only plain `target=level` directives are accepted now.
    #[test]
    fn log_levels_the_fuzzer_found_are_refused_at_once() {
        for text in [
            include_str!("../../tests/fuzz-regressions/config-log-level-regex-oom.toml"),
            include_str!("../../tests/fuzz-regressions/config-log-level-ordering-panic.toml"),
        ] {
            let refused = Config::from_toml(text).unwrap_err().to_string();
            assert!(refused.contains("log.level"), "{refused}");
        }
        let plain = Config::from_toml("[log]\nlevel = \"info,imcluster::http=debug,sqlx=warn\"\n");
        assert!(plain.is_ok(), "{plain:?}");
        assert!(Config::from_toml("[log]\nlevel = \"info,x[span{f=1}]=debug\"\n").is_err());
    }

    /// Found by the config fuzzer: tracing's filter parser panicked on this `log.level`.
    #[test]
    fn a_log_level_with_a_multibyte_character_is_refused_not_a_panic() {
        let text =
            include_str!("../../tests/fuzz-regressions/config-log-level-non-ascii-panic.toml");
        let refused = Config::from_toml(text).unwrap_err().to_string();
        assert!(refused.contains("log.level"), "{refused}");
    }

    #[test]
    fn a_key_path_that_never_ends_is_refused() {
        let mut config = Config::default();
        config.jwt.rs256_public_key = "/dev/zero".into();
        let refused = config.validate().unwrap_err().to_string();
        assert!(refused.contains("larger than 64 KiB"), "{refused}");
    }
}
