//! The one task that writes to Redis for this pod. Everything the pod publishes or records
//! goes through its queue in order, and whatever has piled up is sent as one pipeline: a
//! burst of deliveries costs one round trip, not one per message. The connection reconnects
//! by itself; a batch that fails marks the pod's Redis state dirty so the next heartbeat
//! writes it again whole.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use super::redis_bus::Shared;

/// Commands to send at most in one pipeline.
const MAX_BATCH: usize = 512;

/// One thing to write to Redis.
pub enum Op {
    /// PUBLISH.
    Publish { channel: String, payload: String },
    /// A user's first session here opened (or last closed): the pod's user set, its change
    /// number, and the change published to the cluster.
    Presence {
        member: String,
        online: bool,
        seq: u64,
        payload: String,
    },
    /// The pod's state written again whole, after a failure: its user set and change number.
    Rewrite { members: Vec<String>, seq: u64 },
    /// The heartbeat: the pod's description and keys kept alive, and a heartbeat published.
    Heartbeat {
        info: String,
        node_id: u16,
        seq: u64,
        payload: String,
    },
    /// A session opened (`record` given) or closed, in its user's connection hash.
    Connection {
        key: String,
        connection_id: String,
        record: Option<String>,
    },
    /// A user's sessions here went all to the background (or not).
    Background { member: String, background: bool },
    /// A pod found gone is removed from the list of pods.
    Forget { node: String },
    /// The pod leaves cleanly: its keys removed, the others told; `done` when written.
    Leave {
        payload: String,
        done: oneshot::Sender<()>,
    },
}

impl Op {
    fn append(
        self,
        shared: &Shared,
        pipe: &mut redis::Pipeline,
        done: &mut Vec<oneshot::Sender<()>>,
    ) {
        let n = &shared.names;
        let ttl = shared.ttl.as_secs();
        let node = n.node.as_str();
        match self {
            Op::Publish { channel, payload } => {
                pipe.publish(channel, payload).ignore();
            }
            Op::Presence {
                member,
                online,
                seq,
                payload,
            } => {
                if online {
                    pipe.sadd(n.users_key(node), member).ignore();
                } else {
                    pipe.srem(n.users_key(node), member).ignore();
                }
                pipe.expire(n.users_key(node), ttl as i64).ignore();
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
                pipe.publish(n.cluster(), payload).ignore();
            }
            Op::Rewrite { members, seq } => {
                pipe.del(n.users_key(node)).ignore();
                if !members.is_empty() {
                    pipe.sadd(n.users_key(node), members).ignore();
                    pipe.expire(n.users_key(node), ttl as i64).ignore();
                }
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
            }
            Op::Heartbeat {
                info,
                node_id,
                seq,
                payload,
            } => {
                pipe.set_ex(n.pod_key(node), info, ttl).ignore();
                pipe.set_ex(n.node_id_key(node_id), node, ttl).ignore();
                pipe.expire(n.users_key(node), ttl as i64).ignore();
                pipe.expire(n.background_key(node), ttl as i64).ignore();
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
                pipe.sadd(n.pods_key(), node).ignore();
                pipe.publish(n.cluster(), payload).ignore();
            }
            Op::Connection {
                key,
                connection_id,
                record,
            } => match record {
                Some(record) => {
                    pipe.hset(&key, connection_id, record).ignore();
                    pipe.expire(key, 86_400).ignore();
                }
                None => {
                    pipe.hdel(key, connection_id).ignore();
                }
            },
            Op::Background { member, background } => {
                if background {
                    pipe.sadd(n.background_key(node), member).ignore();
                } else {
                    pipe.srem(n.background_key(node), member).ignore();
                }
                pipe.expire(n.background_key(node), ttl as i64).ignore();
            }
            Op::Forget { node } => {
                pipe.srem(n.pods_key(), node).ignore();
            }
            Op::Leave { payload, done: tx } => {
                pipe.del(n.pod_key(node)).ignore();
                pipe.del(n.users_key(node)).ignore();
                pipe.del(n.background_key(node)).ignore();
                pipe.del(n.seq_key(node)).ignore();
                pipe.srem(n.pods_key(), node).ignore();
                pipe.publish(n.cluster(), payload).ignore();
                done.push(tx);
            }
        }
    }
}

/// Connects (retrying with backoff until Redis answers) and keeps the connection.
pub async fn connect(client: &redis::Client) -> ConnectionManager {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    let mut backoff = Duration::from_millis(100);
    loop {
        match client
            .get_connection_manager_with_config(config.clone())
            .await
        {
            Ok(conn) => return conn,
            Err(e) => {
                tracing::warn!(error = %e, "Redis is not reachable yet; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Runs the queue until the pod stops.
pub async fn run(client: redis::Client, shared: Arc<Shared>, mut queue: mpsc::Receiver<Op>) {
    let mut conn = connect(&client).await;
    let mut ops = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut ops, MAX_BATCH).await > 0 {
        let mut pipe = redis::pipe();
        let mut done = Vec::new();
        let count = ops.len();
        for op in ops.drain(..) {
            op.append(&shared, &mut pipe, &mut done);
        }
        let m = crate::metrics::metrics();
        let started = std::time::Instant::now();
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                m.bus_published.inc_by(count as u64);
                m.bus_publish_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
            Err(e) => {
                m.bus_failed.inc_by(count as u64);
                if !shared.dirty.swap(true, Ordering::AcqRel) {
                    tracing::warn!(error = %e, "could not write to Redis; will write the pod's state again");
                }
            }
        }
        for tx in done {
            let _ = tx.send(());
        }
    }
}
