//! The pod's ears and pulse on Redis: one subscriber connection that re-subscribes after
//! every loss (with backoff) and rebuilds the presence directory each time, and the
//! heartbeat that keeps this pod's keys alive, writes its state again after a failure and
//! notices pods that went silent.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::link::Conn;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use redis::PushKind;
use redis::RedisResult;

use super::inbound;
use super::names::{member, parse_member};
use super::publisher::Op;
use super::redis_bus::Shared;
use super::{Pod, Relay};

/// How long to wait for Redis to answer a connect or a read.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Subscribes, listens, and starts again whenever the connection is lost.
pub async fn run(pod: Arc<dyn Pod>, shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let result = listen(&pod, &shared, first).await;
        let had_connected = shared.connected.swap(false, Ordering::AcqRel);
        shared.link.reset().await;
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

fn lost(why: &'static str) -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        why,
    ))
}

/// What a subscription hears: messages, or the news that it was lost.
type Heard = BoxStream<'static, RedisResult<redis::Msg>>;

/// Subscribes on one server: a classic pub/sub connection.
async fn subscribe_single(client: &redis::Client, channels: &[String]) -> RedisResult<Heard> {
    let mut pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| timed_out())??;
    tokio::time::timeout(TIMEOUT, pubsub.subscribe(channels))
        .await
        .map_err(|_| timed_out())??;
    Ok(pubsub.into_on_message().map(Ok).boxed())
}

/// Subscribes on a Redis Cluster: the pod's own channel through sharded pub/sub (served by
/// the shard that owns its slot), the others classic. The connection carries subscriptions
/// only, so a server's unsolicited `sunsubscribe` (its slot moved, or a failover) is never
/// taken for a reply: it ends the stream, and the pod subscribes again from scratch on the
/// current slot map and tells its clients to sync. So does a lost node connection.
async fn subscribe_cluster(
    link: &super::link::Link,
    classic: &[String],
    own: &str,
) -> RedisResult<Heard> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut conn = tokio::time::timeout(TIMEOUT, async {
        link.subscriber(tx).await.expect("a cluster link")
    })
    .await
    .map_err(|_| timed_out())??;
    tokio::time::timeout(TIMEOUT, conn.subscribe(classic))
        .await
        .map_err(|_| timed_out())??;
    tokio::time::timeout(TIMEOUT, conn.ssubscribe(own))
        .await
        .map_err(|_| timed_out())??;
    let own = own.as_bytes().to_vec();
    // The connection lives as long as the stream.
    let heard = futures_util::stream::unfold((rx, conn), |(mut rx, conn)| async move {
        let push = rx.recv().await?;
        Some((push, (rx, conn)))
    })
    .filter_map(move |push| {
        let heard = match push.kind {
            PushKind::Message | PushKind::SMessage => redis::Msg::from_push_info(push).map(Ok),
            PushKind::Disconnection => Some(Err(lost("a Redis Cluster node connection was lost"))),
            PushKind::SUnsubscribe
                if push.data.first() == Some(&redis::Value::BulkString(own.clone())) =>
            {
                Some(Err(lost(
                    "the pod's shard channel was unsubscribed (slot moved)",
                )))
            }
            PushKind::Unsubscribe => Some(Err(lost("a channel was unsubscribed"))),
            _ => None,
        };
        futures_util::future::ready(heard)
    })
    .boxed();
    Ok(heard)
}

async fn listen(pod: &Arc<dyn Pod>, shared: &Arc<Shared>, first: bool) -> RedisResult<()> {
    let n = &shared.names;
    let own = n.pod(&n.node);
    let classic = [
        n.cluster(),
        n.send_broadcast(),
        n.send_user(),
        n.send_client(),
        n.notifications(),
    ];
    let mut stream = match shared.link.single() {
        Some(client) => {
            let mut all = classic.to_vec();
            all.push(own.clone());
            subscribe_single(client, &all).await?
        }
        None => subscribe_cluster(&shared.link, &classic, &own).await?,
    };
    let mut conn = tokio::time::timeout(TIMEOUT, shared.link.conn())
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
    // Our own heartbeats come back every quarter of the TTL, on the cluster channel and on
    // this pod's own: silence on either means a dead subscription.
    let silence = shared.ttl / 2;
    let cluster = n.cluster();
    let mut heard_cluster = tokio::time::Instant::now();
    let mut heard_own = heard_cluster;
    loop {
        let msg = match tokio::time::timeout(silence, stream.next()).await {
            Ok(Some(msg)) => msg?,
            Ok(None) => return Err(lost("the subscription ended")),
            Err(_) => return Err(timed_out()),
        };
        let now = tokio::time::Instant::now();
        let channel = msg.get_channel_name();
        if channel == own {
            heard_own = now;
        } else if channel == cluster {
            heard_cluster = now;
        }
        if now.duration_since(heard_own.min(heard_cluster)) > silence {
            return Err(timed_out());
        }
        crate::metrics::metrics().bus_received.inc();
        inbound::handle(pod, shared, &mut conn, msg).await?;
    }
}

/// Reads one pod's user set and change number; `None` when the pod is gone.
async fn read_pod(
    shared: &Shared,
    conn: &mut Conn,
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
    conn: &mut Conn,
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
async fn resync_all(pod: &Arc<dyn Pod>, shared: &Shared, conn: &mut Conn) -> RedisResult<()> {
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
