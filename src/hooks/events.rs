//! After-event webhooks: one pod at a time (by lease) reads the event outbox in order and
//! POSTs each event to `hooks.events.url`, signed, and/or adds it to the Redis stream
//! `<namespace>:events`. Events of different conversations go out
//! side by side, those of one conversation one after another; a failed event waits for its
//! retry (exponential backoff with jitter) and holds back the later events of its
//! conversation, until `max_retry_seconds` after it was written, when it becomes a dead letter.
//! A pod killed mid-delivery stops renewing the lease; another takes it and delivers what is
//! left, so an event may arrive twice (receivers de-duplicate by `X-IM-Event-Id`), never zero
//! times.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use entity::event_outbox;
use rand::Rng;
use serde_json::{json, Value};

use crate::state::AppState;

/// How long a lease lasts without renewal, at least (longer with a long `timeout_ms`: three
/// deliveries' worth and some).
const LEASE_SECONDS: i64 = 15;
/// How often an idle deliverer looks for new events.
const IDLE: Duration = Duration::from_millis(100);
/// How often a pod without the lease asks for it.
const STANDBY: Duration = Duration::from_secs(2);

/// Starts delivering on this pod (it stands by while another pod holds the lease).
pub fn start(state: Arc<AppState>) {
    actix_rt::spawn(run(state));
}

/// Where events go: the webhook, the Redis stream, or both.
struct Sinks {
    stream: Option<Stream>,
}

/// The Redis stream events are added to, and a connection to it once made.
struct Stream {
    link: crate::cluster::Link,
    key: String,
    maxlen: usize,
    conn: tokio::sync::Mutex<Option<crate::cluster::Conn>>,
}

impl Stream {
    /// XADDs one event (MAXLEN ~ keeps the stream bounded).
    async fn add(&self, event: &event_outbox::Model) -> Result<(), String> {
        let mut conn = self.conn.lock().await;
        if conn.is_none() {
            *conn = Some(self.link.conn().await.map_err(|e| e.to_string())?);
        }
        let c = conn.as_mut().expect("just made");
        let added: Result<String, _> = redis::cmd("XADD")
            .arg(&self.key)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.maxlen)
            .arg("*")
            .arg("id")
            .arg(&event.event_id)
            .arg("event")
            .arg(&event.kind)
            .arg("createdAt")
            .arg(event.creation_time.to_rfc3339())
            .arg("data")
            .arg(&event.payload)
            .query_async(c)
            .await;
        added.map(|_| ()).map_err(|e| {
            *conn = None;
            e.to_string()
        })
    }
}

async fn run(state: Arc<AppState>) {
    let events = &state.config.hooks.events;
    let stream = events
        .redis_stream
        .then(|| crate::cluster::Link::configured(&state.config.redis))
        .flatten()
        .map(|link| Stream {
            link,
            key: format!("{}:events", state.config.redis.namespace),
            maxlen: events.stream_maxlen as usize,
            conn: tokio::sync::Mutex::new(None),
        });
    let sinks = Sinks { stream };
    let mut measured = std::time::Instant::now() - Duration::from_secs(60);
    let holder = format!(
        "{}:{}",
        state.node_name,
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let timeout = Duration::from_millis(state.config.hooks.events.timeout_ms);
    let lease = Duration::from_secs(LEASE_SECONDS.max(3 * timeout.as_secs() as i64 + 5) as u64);
    let term =
        chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(LEASE_SECONDS));
    loop {
        if state.is_draining() {
            return;
        }
        let held_at = std::time::Instant::now();
        match state.store.hold_outbox_lease(&holder, term).await {
            Ok(true) => {}
            Ok(false) => {
                tokio::time::sleep(STANDBY).await;
                continue;
            }
            Err(e) => {
                tracing::debug!(error = %e, "outbox lease unavailable");
                tokio::time::sleep(STANDBY).await;
                continue;
            }
        }
        if measured.elapsed() >= Duration::from_secs(5) {
            measured = std::time::Instant::now();
            measure(&state).await;
        }
        let batch = state.config.hooks.events.batch as u64;
        let events = match state.store.due_events(batch).await {
            Ok(events) => events,
            Err(e) => {
                tracing::debug!(error = %e, "outbox unreadable");
                tokio::time::sleep(STANDBY).await;
                continue;
            }
        };
        if events.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        // A batch stops taking new events well before the lease could run out, so no other
        // pod can start on them while this one is still sending.
        let until = held_at + lease.saturating_sub(timeout + Duration::from_secs(2));
        deliver_batch(&state, &sinks, events, until).await;
    }
}

/// Sets the outbox's gauges: how many events wait, the oldest's age, the dead letters.
async fn measure(state: &AppState) {
    let m = crate::metrics::metrics();
    if let Ok(depth) = state.store.outbox_depth().await {
        m.outbox_waiting.set(depth.waiting as i64);
        let age = depth
            .oldest
            .map_or(0, |t| (chrono::Utc::now() - t).num_seconds().max(0));
        m.outbox_oldest_seconds.set(age);
        m.dead_letters.set(depth.dead_letters as i64);
    }
}

/// Delivers one batch: conversations side by side, each in order, stopping a conversation
/// at its first failure, and every conversation at `until` (the lease's safe end).
async fn deliver_batch(
    state: &AppState,
    sinks: &Sinks,
    events: Vec<event_outbox::Model>,
    until: std::time::Instant,
) {
    let mut by_conversation: HashMap<String, Vec<event_outbox::Model>> = HashMap::new();
    let mut order = Vec::new();
    for event in events {
        if !by_conversation.contains_key(&event.conversation) {
            order.push(event.conversation.clone());
        }
        by_conversation
            .entry(event.conversation.clone())
            .or_default()
            .push(event);
    }
    let chains = order
        .into_iter()
        .filter_map(|c| by_conversation.remove(&c))
        .map(|chain| async move {
            let mut delivered = Vec::new();
            for event in chain {
                if std::time::Instant::now() >= until {
                    // Left for the next round, under a renewed lease.
                    break;
                }
                match deliver(state, sinks, &event).await {
                    Ok(()) => delivered.push(event.id),
                    Err(error) => {
                        failed(state, &event, &error).await;
                        break;
                    }
                }
            }
            delivered
        });
    let delivered: Vec<i64> = futures_util::future::join_all(chains)
        .await
        .into_iter()
        .flatten()
        .collect();
    let m = crate::metrics::metrics();
    m.events_delivered.inc_by(delivered.len() as u64);
    if let Err(e) = state.store.events_delivered(delivered).await {
        // They will be sent again: receivers de-duplicate by event id.
        tracing::warn!(error = %e, "delivered events not marked; they will be sent again");
    }
}

/// Schedules the retry of a failed event, or makes it a dead letter.
async fn failed(state: &AppState, event: &event_outbox::Model, error: &str) {
    let m = crate::metrics::metrics();
    m.events_failed.inc();
    let attempts = event.attempts + 1;
    let now = chrono::Utc::now();
    let budget = chrono::Duration::seconds(state.config.hooks.events.max_retry_seconds as i64);
    let outcome = if now - event.creation_time >= budget {
        m.events_dead.inc();
        tracing::warn!(event = %event.event_id, kind = %event.kind, error, "event undeliverable: dead letter");
        state.store.event_dead(event, attempts, error).await
    } else {
        let base = 2f64.powi((attempts - 1).min(12)).min(3600.0);
        let jittered = base * rand::thread_rng().gen_range(0.5..1.5);
        let at = now + chrono::Duration::milliseconds((jittered * 1000.0) as i64);
        state.store.event_retry(event.id, attempts, at).await
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, event = %event.event_id, "event failure not recorded");
    }
}

/// Sends one event everywhere it goes; the error says why it failed.
async fn deliver(
    state: &AppState,
    sinks: &Sinks,
    event: &event_outbox::Model,
) -> Result<(), String> {
    if !state.config.hooks.events.url.is_empty() {
        post(state, event).await?;
    }
    if let Some(stream) = &sinks.stream {
        stream.add(event).await?;
    }
    Ok(())
}

/// POSTs one event; the error says why it failed.
async fn post(state: &AppState, event: &event_outbox::Model) -> Result<(), String> {
    let config = &state.config.hooks.events;
    let data: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    let body = json!({
        "id": event.event_id,
        "event": event.kind,
        "createdAt": event.creation_time,
        "data": data,
    })
    .to_string();
    let secrets = &state.config.hooks.secrets;
    let request = super::call::signed_post(&config.url, &event.event_id, secrets, &body)
        .insert_header(("X-IM-Attempt", (event.attempts + 1).to_string()));
    let sent = tokio::time::timeout(
        Duration::from_millis(config.timeout_ms),
        request.send_body(body),
    )
    .await;
    match sent {
        Err(_) => Err(format!("no answer within {} ms", config.timeout_ms)),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(response)) if response.status().is_success() => Ok(()),
        Ok(Ok(response)) => Err(format!("answered {}", response.status())),
    }
}
