//! Prometheus metrics of this process (`GET /metrics`): connections, online users, messages
//! received, stored and delivered, commit batches and latency, the bus, errors by code, actor
//! restarts. One registry per process, reached through [`metrics()`].

use std::sync::LazyLock;
use std::time::Instant;

use parking_lot::Mutex;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    pub connections: IntGauge,
    pub online_users: IntGauge,
    pub user_actors: IntGauge,
    pub group_actors: IntGauge,
    pub actor_restarts: IntGauge,
    /// Frames received from clients, by type.
    pub frames_received: IntCounterVec,
    /// Messages committed, by kind (`private`, `group`).
    pub messages_stored: IntCounterVec,
    /// Message frames handed to sessions, by kind.
    pub messages_delivered: IntCounterVec,
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
    /// Messages waiting for the database, and sends refused because too many were.
    pub writes_pending: IntGauge,
    pub writes_shed: IntCounter,
    /// Redis commands written, lost, dropped; messages received from channels.
    pub bus_published: IntCounter,
    pub bus_failed: IntCounter,
    pub bus_dropped: IntCounter,
    pub bus_received: IntCounter,
    pub bus_publish_seconds: Histogram,
    /// Errors answered to clients (frames and HTTP), by code.
    pub errors: IntCounterVec,
    /// Before-send hook calls by outcome (`allow`, `reject`, `modify`, `failed`,
    /// `breaker_open`), their latency, and whether its breaker is open.
    pub hook_calls: IntCounterVec,
    pub hook_seconds: Histogram,
    pub hook_breaker_open: IntGauge,
    /// Outbox events delivered, failed attempts, and events moved to the dead letters.
    pub events_delivered: IntCounter,
    pub events_failed: IntCounter,
    pub events_dead: IntCounter,
    /// Measured by the delivering pod every few seconds: events waiting, the oldest's age,
    /// dead letters kept.
    pub outbox_waiting: IntGauge,
    pub outbox_oldest_seconds: IntGauge,
    pub dead_letters: IntGauge,
    /// Notifications published; push jobs sent (webhook or stream), failed, and tokens the
    /// push service reported dead.
    pub notifications_published: IntCounter,
    pub push_jobs_sent: IntCounter,
    pub push_jobs_failed: IntCounter,
    pub push_tokens_dead: IntCounter,
    /// Reads that may go to a read replica, by where they went (`replica`, `primary`).
    pub db_reads: IntCounterVec,
    rate: Mutex<(Instant, u64, f64)>,
}

fn counter_vec(name: &str, help: &str, label: &str) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid metric")
}

fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("a valid metric")
}

impl Metrics {
    fn new() -> Metrics {
        let gauge = |n: &str, h: &str| IntGauge::new(n, h).expect("a valid metric");
        let counter = |n: &str, h: &str| IntCounter::new(n, h).expect("a valid metric");
        let m = Metrics {
            registry: Registry::new(),
            connections: gauge("im_connections", "open WebSocket sessions on this pod"),
            online_users: gauge("im_online_users", "users with a session on this pod"),
            user_actors: gauge("im_user_actors", "running user actors"),
            group_actors: gauge("im_group_actors", "running group actors"),
            actor_restarts: gauge("im_actor_restarts", "actors started again after dying"),
            writes_pending: gauge("im_writes_pending", "messages waiting for the database"),
            writes_shed: counter(
                "im_writes_shed_total",
                "sends refused because limits.max_pending_writes messages were waiting",
            ),
            frames_received: counter_vec(
                "im_frames_received_total",
                "client frames by type",
                "type",
            ),
            messages_stored: counter_vec("im_messages_stored_total", "messages committed", "kind"),
            messages_delivered: counter_vec(
                "im_messages_delivered_total",
                "message frames handed to sessions",
                "kind",
            ),
            batch_size: histogram(
                "im_commit_batch_size",
                "messages per commit",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
            ),
            commit_seconds: histogram(
                "im_commit_seconds",
                "time to commit one batch",
                prometheus::exponential_buckets(0.0005, 2.0, 14).expect("buckets"),
            ),
            bus_published: counter("im_bus_published_total", "Redis commands written"),
            bus_failed: counter("im_bus_failed_total", "Redis commands lost to a failure"),
            bus_dropped: counter("im_bus_dropped_total", "bus items dropped on a full queue"),
            bus_received: counter("im_bus_received_total", "messages received from Redis"),
            bus_publish_seconds: histogram(
                "im_bus_publish_seconds",
                "time to write one pipeline to Redis",
                prometheus::exponential_buckets(0.0001, 2.0, 14).expect("buckets"),
            ),
            errors: counter_vec("im_errors_total", "errors answered to clients", "code"),
            hook_calls: counter_vec(
                "im_hook_calls_total",
                "before-send hook calls by outcome",
                "outcome",
            ),
            hook_seconds: histogram(
                "im_hook_seconds",
                "time a before-send hook call took",
                prometheus::exponential_buckets(0.0005, 2.0, 14).expect("buckets"),
            ),
            events_delivered: counter("im_events_delivered_total", "outbox events delivered"),
            events_failed: counter(
                "im_events_failed_total",
                "failed attempts at delivering an outbox event",
            ),
            events_dead: counter(
                "im_events_dead_total",
                "outbox events moved to the dead letters",
            ),
            outbox_waiting: gauge("im_outbox_waiting", "events waiting in the outbox"),
            outbox_oldest_seconds: gauge(
                "im_outbox_oldest_seconds",
                "age of the oldest event waiting in the outbox",
            ),
            dead_letters: gauge("im_dead_letters", "events kept as dead letters"),
            hook_breaker_open: gauge(
                "im_hook_breaker_open",
                "1 while the before-send hook's breaker is open",
            ),
            notifications_published: counter(
                "im_notifications_published_total",
                "notifications published",
            ),
            push_jobs_sent: counter("im_push_jobs_sent_total", "push jobs handed off"),
            push_jobs_failed: counter(
                "im_push_jobs_failed_total",
                "push jobs the webhook or the stream did not take",
            ),
            push_tokens_dead: counter("im_push_tokens_dead_total", "push tokens removed as dead"),
            db_reads: counter_vec(
                "im_db_reads_total",
                "history, search and conversation reads by where they went",
                "target",
            ),
            rate: Mutex::new((Instant::now(), 0, 0.0)),
        };
        let r = &m.registry;
        for c in [
            &m.connections,
            &m.online_users,
            &m.user_actors,
            &m.group_actors,
            &m.actor_restarts,
            &m.writes_pending,
            &m.hook_breaker_open,
            &m.outbox_waiting,
            &m.outbox_oldest_seconds,
            &m.dead_letters,
        ] {
            r.register(Box::new(c.clone())).expect("registered once");
        }
        for c in [
            &m.frames_received,
            &m.messages_stored,
            &m.messages_delivered,
            &m.errors,
            &m.hook_calls,
            &m.db_reads,
        ] {
            r.register(Box::new(c.clone())).expect("registered once");
        }
        for c in [
            &m.bus_published,
            &m.bus_failed,
            &m.bus_dropped,
            &m.bus_received,
            &m.writes_shed,
            &m.events_delivered,
            &m.events_failed,
            &m.events_dead,
            &m.notifications_published,
            &m.push_jobs_sent,
            &m.push_jobs_failed,
            &m.push_tokens_dead,
        ] {
            r.register(Box::new(c.clone())).expect("registered once");
        }
        for h in [
            &m.batch_size,
            &m.commit_seconds,
            &m.bus_publish_seconds,
            &m.hook_seconds,
        ] {
            r.register(Box::new(h.clone())).expect("registered once");
        }
        m
    }

    /// The registry in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Messages stored per second, over the last five seconds or more.
    pub fn messages_per_second(&self) -> f64 {
        let total: u64 = ["private", "group"]
            .iter()
            .map(|k| self.messages_stored.with_label_values(&[k]).get())
            .sum();
        let mut rate = self.rate.lock();
        let elapsed = rate.0.elapsed().as_secs_f64();
        if elapsed >= 5.0 {
            rate.2 = total.saturating_sub(rate.1) as f64 / elapsed;
            *rate = (Instant::now(), total, rate.2);
        }
        rate.2
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}
