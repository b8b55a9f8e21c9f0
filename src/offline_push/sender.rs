//! Sends the push jobs whose debounce is up: the users are checked (a foreground session
//! anywhere, push tokens, muted conversations), badges counted, and the jobs handed to the
//! webhook and/or the Redis stream. A failed hand-off is counted and logged, not retried:
//! a push is a nudge, and the messages wait in the database for the app's `sync`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::job::{Job, JobConversation};
use super::queue::Offer;
use crate::keys::UserKey;
use crate::state::AppState;
use crate::store::Conversation;

/// Users handled per round of reads.
const USERS_PER_ROUND: usize = 1000;
/// Jobs per webhook call.
const JOBS_PER_CALL: usize = 500;

/// Starts the sender on this pod (when push is on).
pub fn start(state: Arc<AppState>) {
    if state.push_jobs.enabled() {
        actix_rt::spawn(run(state));
    }
}

/// What a webhook may answer: tokens the push service said are dead.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    dead_tokens: Vec<String>,
}

async fn run(state: Arc<AppState>) {
    let tick = Duration::from_millis((state.config.push.debounce_ms / 5).clamp(10, 100));
    let stream = stream(&state);
    loop {
        tokio::time::sleep(tick).await;
        let due = state.push_jobs.take_due(Instant::now());
        for round in due.chunks(USERS_PER_ROUND) {
            match jobs(&state, round).await {
                Ok(jobs) if !jobs.is_empty() => hand_off(&state, stream.as_ref(), jobs).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, users = round.len(), "push jobs could not be made");
                    state.push_jobs.counts.failed(round.len());
                }
            }
        }
        if state.is_draining() && state.push_jobs.waiting() == 0 {
            return;
        }
    }
}

/// The jobs for users whose offers are due.
async fn jobs(
    state: &AppState,
    round: &[(UserKey, HashMap<JobConversation, Offer>)],
) -> Result<Vec<Job>, crate::store::StoreError> {
    let supervisor = &state.delivery.supervisor;
    let background: Vec<UserKey> = round
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !supervisor.in_foreground(k))
        .collect();
    let elsewhere = state
        .delivery
        .bus
        .foreground_elsewhere(background.clone())
        .await;
    let users: Vec<UserKey> = background
        .into_iter()
        .filter(|k| !elsewhere.contains(k))
        .collect();
    if users.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<uuid::Uuid> = users.iter().map(|k| k.1).collect();
    let mut tokens = state.store.push_tokens(&ids).await?;
    let users: Vec<UserKey> = users
        .into_iter()
        .filter(|k| tokens.contains_key(&k.1))
        .collect();
    if users.is_empty() {
        return Ok(vec![]);
    }
    let wanted: HashSet<UserKey> = users.iter().copied().collect();
    let pairs: Vec<(uuid::Uuid, Conversation)> = round
        .iter()
        .filter(|(k, _)| wanted.contains(k))
        .flat_map(|(k, offers)| {
            offers.keys().filter_map(move |c| match c {
                JobConversation::User(peer) => Some((k.1, Conversation::User(*peer))),
                JobConversation::Group(g) => g.parse().ok().map(|g| (k.1, Conversation::Group(g))),
                JobConversation::Notification(_) => None,
            })
        })
        .collect();
    let ids: Vec<uuid::Uuid> = users.iter().map(|k| k.1).collect();
    let muted = state.store.muted_among(&ids, &pairs).await?;
    let badges = state.store.unread_totals(&users).await?;
    let mut jobs = Vec::new();
    for (user, offers) in round.iter().filter(|(k, _)| wanted.contains(k)) {
        let user_tokens = tokens.remove(&user.1).unwrap_or_default();
        for (conversation, offer) in offers {
            let muted_here = match conversation {
                JobConversation::User(p) => muted.contains(&(user.1, Conversation::User(*p))),
                JobConversation::Group(g) => g
                    .parse()
                    .is_ok_and(|g| muted.contains(&(user.1, Conversation::Group(g)))),
                JobConversation::Notification(_) => false,
            };
            if muted_here {
                continue;
            }
            jobs.push(Job {
                user_id: user.1,
                tenant_id: user.0,
                tokens: user_tokens.clone(),
                conversation: conversation.clone(),
                message_id: offer.message_id.clone(),
                notification_id: offer.notification_id.clone(),
                sender_name: offer.sender_name.clone(),
                preview: offer.preview.clone(),
                count: offer.count,
                badge: badges.get(user).copied().unwrap_or(0),
            });
        }
    }
    Ok(jobs)
}

/// The Redis stream jobs are added to, when configured, and the connection kept to it.
struct Stream {
    link: crate::cluster::Link,
    key: String,
    maxlen: u64,
    conn: tokio::sync::Mutex<Option<crate::cluster::Conn>>,
}

fn stream(state: &AppState) -> Option<Stream> {
    let push = &state.config.push;
    if !push.redis_stream {
        return None;
    }
    let link = crate::cluster::Link::configured(&state.config.redis)?;
    Some(Stream {
        link,
        key: format!("{}:push", state.config.redis.namespace),
        maxlen: push.stream_maxlen,
        conn: tokio::sync::Mutex::new(None),
    })
}

async fn hand_off(state: &AppState, stream: Option<&Stream>, jobs: Vec<Job>) {
    let counts = &state.push_jobs.counts;
    let push = &state.config.push;
    if let Some(stream) = stream {
        let mut kept = stream.conn.lock().await;
        let added = async {
            if kept.is_none() {
                *kept = Some(stream.link.conn().await?);
            }
            let conn = kept.as_mut().expect("just made");
            let mut pipe = redis::pipe();
            for job in &jobs {
                pipe.cmd("XADD")
                    .arg(&stream.key)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(stream.maxlen)
                    .arg("*")
                    .arg("job")
                    .arg(serde_json::to_string(job).unwrap_or_default())
                    .ignore();
            }
            pipe.query_async::<()>(conn).await
        };
        match tokio::time::timeout(Duration::from_secs(5), added).await {
            Ok(Ok(())) => counts.sent(jobs.len()),
            failed => {
                tracing::warn!(
                    ?failed,
                    jobs = jobs.len(),
                    "push jobs not added to the stream"
                );
                counts.failed(jobs.len());
                *kept = None;
            }
        }
    }
    if push.webhook_url.is_empty() {
        return;
    }
    let timeout = Duration::from_millis(push.timeout_ms);
    for batch in jobs.chunks(JOBS_PER_CALL) {
        let body = serde_json::json!({ "jobs": batch }).to_string();
        let call_id = uuid::Uuid::new_v4().simple().to_string();
        let sent = crate::hooks::call::signed_post(
            &push.webhook_url,
            Some(&call_id),
            &state.config.hooks.secrets,
            &body,
        )
        .timeout(timeout)
        .send_body(body.clone())
        .await;
        match sent {
            Ok(mut response) if response.status().is_success() => {
                counts.sent(batch.len());
                let answer: Answer = response.json().limit(1 << 20).await.unwrap_or_default();
                if !answer.dead_tokens.is_empty() {
                    match state
                        .store
                        .remove_dead_push_tokens(&answer.dead_tokens)
                        .await
                    {
                        Ok(n) => counts.dead(n),
                        Err(e) => tracing::warn!(error = %e, "dead push tokens not removed"),
                    }
                }
            }
            other => {
                let why = match other {
                    Ok(r) => format!("status {}", r.status()),
                    Err(e) => e.to_string(),
                };
                tracing::warn!(%why, jobs = batch.len(), "the push webhook did not take the jobs");
                counts.failed(batch.len());
            }
        }
    }
}
