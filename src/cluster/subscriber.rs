//! The pod's ears and pulse on Redis: one subscriber connection that re-subscribes after
//! every loss (with backoff) and rebuilds the presence directory each time, and the
//! heartbeat that keeps this pod's keys alive, writes its state again after a failure and
//! notices pods that went silent.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::RedisResult;

use super::inbound;
use super::names::{member, parse_member};
use super::publisher::Op;
use super::redis_bus::Shared;
use super::{Pod, Relay};

/// How long to wait for Redis to answer a connect or a read.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Subscribes, listens, and starts again whenever the connection is lost.
pub async fn run(pod: Arc<dyn Pod>, shared: Arc<Shared>, client: redis::Client) {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let result = listen(&pod, &shared, &client, first).await;
        let had_connected = shared.connected.swap(false, Ordering::AcqRel);
        if let Err(e) = result {
            if had_connected || first {
                tracing::warn!(error = %e, "no Redis subscription; reconnecting with backoff");
            }
        }
        if had_connected {
            backoff = Duration::from_millis(100);
        }
        // From now on a connection is a reconnection: this pod's clients may have missed
        // deliveries in between.
        first = false;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "Redis did not answer in time",
    ))
}

async fn listen(
    pod: &Arc<dyn Pod>,
    shared: &Arc<Shared>,
    client: &redis::Client,
    first: bool,
) -> RedisResult<()> {
    let n = &shared.names;
    let mut pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| timed_out())??;
    let channels = [
        n.cluster(),
        n.pod(&n.node),
        n.send_broadcast(),
        n.send_user(),
        n.send_client(),
        n.notifications(),
    ];
    tokio::time::timeout(TIMEOUT, pubsub.subscribe(&channels))
        .await
        .map_err(|_| timed_out())??;
    let mut conn = tokio::time::timeout(TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| timed_out())??;
    resync_all(pod, shared, &mut conn).await?;
    shared.connected.store(true, Ordering::Release);
    if !first {
        // Whatever was published while this pod was not listening is lost to its clients;
        // and what it published may be lost to the others'.
        tracing::info!("Redis subscription restored; telling this pod's clients to sync");
        shared.dirty.store(true, Ordering::Release);
        shared.missed.store(true, Ordering::Release);
        pod.tell_sessions_to_sync("bus");
    } else {
        tracing::info!(node = %n.node, "joined the cluster");
    }
    // Our own heartbeats come back every quarter of the TTL: silence means a dead link.
    let silence = shared.ttl / 2;
    let mut stream = pubsub.into_on_message();
    loop {
        let msg = match tokio::time::timeout(silence, stream.next()).await {
            Ok(Some(msg)) => msg,
            Ok(None) => {
                return Err(redis::RedisError::from(std::io::Error::from(
                    std::io::ErrorKind::ConnectionReset,
                )))
            }
            Err(_) => return Err(timed_out()),
        };
        crate::metrics::metrics().bus_received.inc();
        inbound::handle(pod, shared, &mut conn, msg).await?;
    }
}

/// Reads one pod's user set and change number; `None` when the pod is gone.
async fn read_pod(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    node: &str,
) -> RedisResult<Option<(u64, HashSet<crate::keys::UserKey>)>> {
    let n = &shared.names;
    let (alive, seq, members): (bool, Option<u64>, Vec<String>) = redis::pipe()
        .atomic()
        .exists(n.pod_key(node))
        .get(n.seq_key(node))
        .smembers(n.users_key(node))
        .query_async(conn)
        .await?;
    if !alive {
        return Ok(None);
    }
    let users = members.iter().filter_map(|m| parse_member(m)).collect();
    Ok(Some((seq.unwrap_or(0), users)))
}

/// Reads `node`'s state again (a change of it was lost, or it is new).
pub async fn resync_pod(
    pod: &Arc<dyn Pod>,
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    node: &str,
) -> RedisResult<()> {
    match tokio::time::timeout(TIMEOUT, read_pod(shared, conn, node))
        .await
        .map_err(|_| timed_out())??
    {
        Some((seq, users)) => shared.directory.replace(node, seq, users),
        None => pod_gone(pod, shared, node),
    }
    Ok(())
}

/// Rebuilds the whole directory from Redis.
async fn resync_all(
    pod: &Arc<dyn Pod>,
    shared: &Shared,
    conn: &mut MultiplexedConnection,
) -> RedisResult<()> {
    let listed: Vec<String> = tokio::time::timeout(
        TIMEOUT,
        redis::cmd("SMEMBERS")
            .arg(shared.names.pods_key())
            .query_async(conn),
    )
    .await
    .map_err(|_| timed_out())??;
    for (known, _) in shared.directory.pods() {
        if !listed.contains(&known) {
            pod_gone(pod, shared, &known);
        }
    }
    for node in listed.iter().filter(|n| **n != shared.names.node) {
        resync_pod(pod, shared, conn, node).await?;
    }
    Ok(())
}

/// Forgets a pod that left or went silent: its users no other pod holds go offline for
/// their friends here, and the first living pod by name records it once for everyone.
pub fn pod_gone(pod: &Arc<dyn Pod>, shared: &Shared, node: &str) {
    let gone: Vec<_> = shared
        .directory
        .remove(node)
        .into_iter()
        .filter(|u| !pod.has_session(u))
        .collect();
    tracing::info!(pod = node, users = gone.len(), "a pod left the cluster");
    shared.arrivals.gone(pod, node);
    let first_alive = shared
        .directory
        .pods()
        .iter()
        .all(|(other, _)| shared.names.node < *other);
    if first_alive {
        shared.enqueue(Op::Forget {
            node: node.to_string(),
        });
    }
    if gone.is_empty() {
        return;
    }
    pod.friends_gone(
        Arc::new(gone.into_iter().collect::<HashSet<_>>()),
        first_alive,
    );
}

/// Every quarter of the TTL: this pod's keys kept alive (written again whole after a
/// failure), a heartbeat published, and pods silent for the TTL forgotten.
pub async fn heartbeat(pod: Arc<dyn Pod>, shared: Arc<Shared>, addr: SocketAddr) {
    let started = chrono::Utc::now();
    let mut tick = tokio::time::interval(shared.ttl / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let counts = pod.counts();
        let info = serde_json::json!({
            "node": shared.names.node,
            "nodeId": shared.node_id,
            "addr": addr.to_string(),
            "startedAt": started,
            "heartbeatAt": chrono::Utc::now(),
            "connections": counts.connections,
            "onlineUsers": counts.online_users,
            "userActors": counts.user_actors,
            "groupActors": counts.group_actors,
            "actorRestarts": counts.actor_restarts,
            "messagesPerSecond": crate::metrics::metrics().messages_per_second(),
            "history": pod.history(),
        })
        .to_string();
        {
            let mut seq = shared.seq.lock();
            if shared.dirty.swap(false, Ordering::AcqRel) {
                *seq += 1;
                let members = pod.online_users().iter().map(member).collect();
                shared.enqueue(Op::Rewrite { members, seq: *seq });
            }
            let payload = shared.packet(Relay::Heartbeat { seq: *seq });
            shared.enqueue(Op::Heartbeat {
                info,
                node_id: shared.node_id,
                seq: *seq,
                payload,
            });
        }
        if shared.missed.swap(false, Ordering::AcqRel) {
            let payload = shared.packet(Relay::Missed);
            shared.enqueue(Op::Publish {
                channel: shared.names.cluster(),
                payload,
            });
        }
        for node in shared.directory.silent(shared.ttl) {
            pod_gone(&pod, &shared, &node);
        }
        shared.arrivals.tick(&pod);
    }
}
