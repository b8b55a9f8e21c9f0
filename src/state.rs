//! What every request handler and actor shares, as a plain container: configuration, storage,
//! ids, token keys, delivery (the actors and the bus), limits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::auth::Tokens;
use crate::cluster::Bus;
use crate::config::Config;
use crate::delivery::Delivery;
use crate::ids::IdGenerator;
use crate::store::{Store, Writer};

/// The content that makes an actor panic when `node.fault_injection` is on.
pub const PANIC_CONTENT: &str = "imcluster:panic";

/// The node's shared state, built once at start and handed to actix as `web::Data`.
pub struct AppState {
    pub config: Arc<Config>,
    pub node_name: String,
    pub store: Store,
    pub writer: Writer,
    pub ids: Arc<IdGenerator>,
    pub tokens: Tokens,
    /// Reaches users, groups and connections on this pod and the others.
    pub delivery: Delivery,
    /// Admits `sync` requests a few at a time (the pool's size less the writer's share), so a
    /// reconnect storm queues for the database instead of failing on the pool's timeout.
    pub sync_gate: tokio::sync::Semaphore,
    /// SignalR connections negotiated on this pod.
    pub hubs: crate::signalr::HubConnections,
    /// Failed logins per name and address (password guessing).
    pub login_throttle: crate::auth::LoginThrottle,
    /// Creations per user and registrations per address.
    pub quotas: crate::auth::Quotas,
    /// `http.trusted_proxies`, parsed once.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where uploaded files are kept.
    pub media: crate::media::MediaStore,
    /// This pod's figures over the last 15 minutes (the console's charts).
    pub history: crate::history::History,
    /// Push jobs gathering for users with no session in the foreground.
    pub push_jobs: crate::offline_push::PushJobs,
    /// The before-send moderation hook, if one is configured.
    pub before_send: Option<Arc<crate::hooks::BeforeSend>>,
    /// The most WebSocket connections this pod holds (`node.max_connections`, or derived from
    /// the open-file limit).
    pub connection_cap: usize,
    schema_ready: AtomicBool,
    /// Set once the node drains: background work (the outbox's delivery) stops.
    draining: AtomicBool,
}

impl AppState {
    /// The state of a node on `store`, reaching other pods (if any) through `bus`, keeping files
    /// in `media`.
    pub fn new(
        config: Config,
        store: Store,
        bus: Box<dyn Bus>,
        media: crate::media::MediaStore,
    ) -> AppState {
        let sync_turns = (config.database.max_connections as usize)
            .saturating_sub(4)
            .max(1);
        let login_throttle =
            crate::auth::LoginThrottle::new(config.limits.login_failures_per_minute);
        let quotas = crate::auth::Quotas::new(
            config.limits.creations_per_minute,
            config.limits.registrations_per_hour,
            config.limits.rate_per_second,
            config.limits.rate_burst,
        );
        let trusted_proxies = config.http.proxies();
        let store = if config.hooks.events.enabled() {
            store.with_outbox()
        } else {
            store
        };
        let writer = Writer::start(store.clone(), config.limits.max_pending_writes);
        let connection_cap = crate::open_files::connection_cap(
            config.node.max_connections,
            crate::open_files::raise(),
        );
        AppState {
            connection_cap,
            before_send: crate::hooks::BeforeSend::from_config(&config),
            push_jobs: crate::offline_push::PushJobs::new(&config.push),
            media,
            history: Default::default(),
            node_name: config.node_name(),
            ids: Arc::new(IdGenerator::new(config.node.id)),
            tokens: Tokens::from_config(&config),
            config: Arc::new(config),
            writer,
            store,
            delivery: Delivery::new(bus),
            sync_gate: tokio::sync::Semaphore::new(sync_turns),
            hubs: Default::default(),
            login_throttle,
            quotas,
            trusted_proxies,
            schema_ready: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        }
    }

    /// Whether this pod holds as many WebSocket connections as it may.
    pub fn at_connection_cap(&self) -> bool {
        self.delivery.supervisor.connection_count() >= self.connection_cap
    }

    /// Whether the node is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// The node starts draining.
    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether the schema is migrated (or migration is left to the operator).
    pub fn schema_ready(&self) -> bool {
        self.schema_ready.load(Ordering::Acquire)
    }

    pub fn set_schema_ready(&self) {
        self.schema_ready.store(true, Ordering::Release);
    }

    /// `None` on a single node; in a cluster, whether this pod is connected to Redis and its
    /// state there is current.
    pub fn redis_ready(&self) -> Option<bool> {
        self.delivery.bus.healthy()
    }
}

/// Now, to the millisecond: the precision message times are stored and served with.
pub fn now_millis() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}
