//! After-event webhooks: one pod at a time (by lease) reads the event outbox in order and
//! POSTs the events to `hooks.events.url`, signed, one per call or `events_per_post` at a time,
//! and/or adds them to the Redis stream `<namespace>:events`. Events go out in lanes side by
//! side (a lane per conversation, or one per conversation hash when calls carry several
//! events), those of one conversation one after another; a failed call's events wait for their
//! retry (exponential backoff with jitter) and hold back the later events of their
//! conversations, until `max_retry_seconds` after each was written, when it becomes a dead
//! letter. A pod killed mid-delivery stops renewing the lease; another takes it and delivers
//! what is left, so an event may arrive twice (receivers de-duplicate by its id), never zero
//! times.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use entity::event_outbox;
use rand::Rng;

use crate::state::AppState;

/// How long a lease lasts without renewal, at least (longer with a long `timeout_ms`: three
/// deliveries' worth and some).
const LEASE_SECONDS: i64 = 15;
/// How often an idle deliverer looks for new events.
const IDLE: Duration = Duration::from_millis(100);
/// How often a pod without the lease asks for it.
const STANDBY: Duration = Duration::from_secs(2);
/// How long a round lasts at least while events trickle in (one that read a full batch is
/// followed by the next at once).
const ROUND: Duration = Duration::from_millis(100);
/// Lanes (calls in flight at once) when a call carries several events.
const BATCH_LANES: usize = 8;

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
    /// XADDs `events` in their order, in one pipeline (MAXLEN ~ keeps the stream bounded).
    async fn add(&self, events: &[event_outbox::Model]) -> Result<(), String> {
        let mut conn = self.conn.lock().await;
        if conn.is_none() {
            *conn = Some(self.link.conn().await.map_err(|e| e.to_string())?);
        }
        let c = conn.as_mut().expect("just made");
        let mut pipe = redis::pipe();
        for event in events {
            pipe.cmd("XADD")
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
                .ignore();
        }
        let added: Result<(), _> = pipe.query_async(c).await;
        added.map_err(|e| {
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
    let mut renewed: Option<std::time::Instant> = None;
    loop {
        if state.is_draining() {
            return;
        }
        // The lease is renewed once a third of it has gone, not every round: each renewal is
        // a commit, and the database's log flushes are shared with the chat's.
        if renewed.is_none_or(|at| at.elapsed() >= lease / 3) {
            let now = std::time::Instant::now();
            match state.store.hold_outbox_lease(&holder, term).await {
                Ok(true) => renewed = Some(now),
                Ok(false) => {
                    renewed = None;
                    tokio::time::sleep(STANDBY).await;
                    continue;
                }
                Err(e) => {
                    renewed = None;
                    tracing::debug!(error = %e, "outbox lease unavailable");
                    tokio::time::sleep(STANDBY).await;
                    continue;
                }
            }
        }
        let Some(held_at) = renewed else { continue };
        if measured.elapsed() >= Duration::from_secs(5) {
            measured = std::time::Instant::now();
            measure(&state).await;
        }
        let batch = state.config.hooks.events.batch as usize;
        let round = tokio::time::Instant::now();
        let events = match state.store.due_events(batch as u64).await {
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
        let full = events.len() >= batch;
        // A batch stops taking new events well before the lease could run out, so no other
        // pod can start on them while this one is still sending.
        let until = held_at + lease.saturating_sub(timeout + Duration::from_secs(2));
        deliver_batch(&state, &sinks, events, until).await;
        if !full {
            // Events trickle in: the next round waits for more of them, so that calls, reads
            // and deletes carry many events each. A full batch (a backlog) goes on at once.
            tokio::time::sleep_until(round + ROUND).await;
        }
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

/// The lanes a batch goes out in, each in commit order: one per conversation when each call
/// carries one event, else `BATCH_LANES` by conversation hash (so a call carries many).
fn lanes(events: Vec<event_outbox::Model>, per_post: usize) -> Vec<Vec<event_outbox::Model>> {
    let mut lanes: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<Vec<event_outbox::Model>> = Vec::new();
    for event in events {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        event.conversation.hash(&mut hasher);
        let key = match per_post {
            1 => hasher.finish(),
            _ => hasher.finish() % BATCH_LANES as u64,
        };
        let lane = *lanes.entry(key).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[lane].push(event);
    }
    out
}

/// Delivers one batch: lanes side by side, each call after the one before it, a lane
/// stopping at its first failure, and every lane at `until` (the lease's safe end). Events
/// the webhook took (or all, without one) then go to the stream in one pipeline.
async fn deliver_batch(
    state: &AppState,
    sinks: &Sinks,
    events: Vec<event_outbox::Model>,
    until: std::time::Instant,
) {
    let config = &state.config.hooks.events;
    let per_post = config.events_per_post.max(1) as usize;
    let mut delivered: Vec<event_outbox::Model> = if config.url.is_empty() {
        events
    } else {
        let chains = lanes(events, per_post).into_iter().map(|lane| async move {
            let mut delivered = Vec::new();
            let mut lane = lane.into_iter().peekable();
            while lane.peek().is_some() {
                if std::time::Instant::now() >= until {
                    // Left for the next round, under a renewed lease.
                    break;
                }
                let call: Vec<event_outbox::Model> = lane.by_ref().take(per_post).collect();
                match post(state, &call, per_post > 1).await {
                    Ok(()) => delivered.extend(call),
                    Err(error) => {
                        failed(state, &call, &error).await;
                        break;
                    }
                }
            }
            delivered
        });
        futures_util::future::join_all(chains)
            .await
            .into_iter()
            .flatten()
            .collect()
    };
    if let (Some(stream), false) = (&sinks.stream, delivered.is_empty()) {
        delivered.sort_unstable_by_key(|e| e.id);
        if let Err(error) = stream.add(&delivered).await {
            failed(state, &delivered, &error).await;
            return;
        }
    }
    let m = crate::metrics::metrics();
    m.events_delivered.inc_by(delivered.len() as u64);
    let ids = delivered.into_iter().map(|e| e.id).collect();
    if let Err(e) = state.store.events_delivered(ids).await {
        // They will be sent again: receivers de-duplicate by event id.
        tracing::warn!(error = %e, "delivered events not marked; they will be sent again");
    }
}

/// Schedules the retry of a failed call's events, or makes dead letters of those past the
/// retry budget.
async fn failed(state: &AppState, events: &[event_outbox::Model], error: &str) {
    let m = crate::metrics::metrics();
    m.events_failed.inc_by(events.len() as u64);
    let now = chrono::Utc::now();
    let budget = chrono::Duration::seconds(state.config.hooks.events.max_retry_seconds as i64);
    let (dead, retry): (Vec<_>, Vec<_>) =
        events.iter().partition(|e| now - e.creation_time >= budget);
    for event in dead {
        m.events_dead.inc();
        tracing::warn!(event = %event.event_id, kind = %event.kind, error, "event undeliverable: dead letter");
        if let Err(e) = state
            .store
            .event_dead(event, event.attempts + 1, error)
            .await
        {
            tracing::warn!(error = %e, event = %event.event_id, "dead letter not recorded");
        }
    }
    let Some(attempts) = retry.iter().map(|e| e.attempts + 1).max() else {
        return;
    };
    let base = 2f64.powi((attempts - 1).min(12)).min(3600.0);
    let jittered = base * rand::thread_rng().gen_range(0.5..1.5);
    let at = now + chrono::Duration::milliseconds((jittered * 1000.0) as i64);
    let ids: Vec<i64> = retry.iter().map(|e| e.id).collect();
    if let Err(e) = state.store.events_retry(ids, at).await {
        tracing::warn!(error = %e, "event failure not recorded");
    }
}

/// One event as a receiver gets it: `{createdAt, data, event, id}`, the stored payload
/// written in as it is (it was serialized once, when the event was written). The keys are in
/// the order the JSON serializer writes them, so the bytes are those of a serialized object.
fn event_json(event: &event_outbox::Model) -> String {
    let created = event
        .creation_time
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    format!(
        r#"{{"createdAt":"{created}","data":{},"event":{},"id":"{}"}}"#,
        event.payload,
        serde_json::Value::from(event.kind.as_str()),
        event.event_id,
    )
}

/// POSTs one call: one event as it is, or (`batched`) `{"events": [...]}`; the error says why
/// it failed.
async fn post(
    state: &AppState,
    events: &[event_outbox::Model],
    batched: bool,
) -> Result<(), String> {
    let config = &state.config.hooks.events;
    let secrets = &state.config.hooks.secrets;
    let attempt = events.iter().map(|e| e.attempts + 1).max().unwrap_or(1);
    let (request, body) = if batched {
        let items: Vec<String> = events.iter().map(event_json).collect();
        let body = format!(r#"{{"events":[{}]}}"#, items.join(","));
        let request = super::call::signed_post(&config.url, None, secrets, &body)
            .insert_header(("X-IM-Event-Count", events.len().to_string()));
        (request, body)
    } else {
        let event = &events[0];
        let body = event_json(event);
        let request = super::call::signed_post(&config.url, Some(&event.event_id), secrets, &body);
        (request, body)
    };
    let request = request.insert_header(("X-IM-Attempt", attempt.to_string()));
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
