//! The one task that writes to Redis for this pod. Everything the pod publishes or records
//! goes through its queue in order, and whatever has piled up is sent as one pipeline: a
//! burst of deliveries costs one round trip, not one per message. The connection reconnects
//! by itself; a batch that fails marks the pod's Redis state dirty so the next heartbeat
//! writes it again whole.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::link::{Batch, Conn, Link};
use super::redis_bus::Shared;

/// Commands to send at most in one pipeline.
const MAX_BATCH: usize = 512;

/// One thing to write to Redis.
pub enum Op {
    /// PUBLISH.
    Publish { channel: String, payload: String },
    /// A delivery on a pod's own channel: SPUBLISH on a Redis Cluster (the channel's shard
    /// only), PUBLISH on one server.
    ToPod { channel: String, payload: String },
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
    fn append(self, shared: &Shared, batch: &mut Batch, done: &mut Vec<oneshot::Sender<()>>) {
        let n = &shared.names;
        let ttl = shared.ttl.as_secs();
        let node = n.node.as_str();
        match self {
            Op::Publish { channel, payload } => {
                batch.on(&channel).publish(channel, payload).ignore();
            }
            Op::ToPod { channel, payload } => to_pod(shared, batch, channel, payload),
            Op::Presence {
                member,
                online,
                seq,
                payload,
            } => {
                let users = n.users_key(node);
                let pipe = batch.on(&users);
                if online {
                    pipe.sadd(&users, member).ignore();
                } else {
                    pipe.srem(&users, member).ignore();
                }
                pipe.expire(&users, ttl as i64).ignore();
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
                let cluster = n.cluster();
                batch.on(&cluster).publish(cluster, payload).ignore();
            }
            Op::Rewrite { members, seq } => {
                let users = n.users_key(node);
                let pipe = batch.on(&users);
                pipe.del(&users).ignore();
                if !members.is_empty() {
                    pipe.sadd(&users, members).ignore();
                    pipe.expire(&users, ttl as i64).ignore();
                }
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
            }
            Op::Heartbeat {
                info,
                node_id,
                seq,
                payload,
            } => {
                let own = n.pod_key(node);
                let pipe = batch.on(&own);
                pipe.set_ex(&own, info, ttl).ignore();
                pipe.expire(n.users_key(node), ttl as i64).ignore();
                pipe.expire(n.background_key(node), ttl as i64).ignore();
                pipe.set_ex(n.seq_key(node), seq, ttl).ignore();
                let id = n.node_id_key(node_id);
                batch.on(&id).set_ex(&id, node, ttl).ignore();
                let pods = n.pods_key();
                batch.on(&pods).sadd(&pods, node).ignore();
                let cluster = n.cluster();
                batch
                    .on(&cluster)
                    .publish(cluster, payload.as_str())
                    .ignore();
                // Also on this pod's own channel: the subscriber hears both come back, or
                // knows that one of its subscriptions is lost.
                to_pod(shared, batch, n.pod(node), payload);
            }
            Op::Connection {
                key,
                connection_id,
                record,
            } => {
                let pipe = batch.on(&key);
                match record {
                    Some(record) => {
                        pipe.hset(&key, connection_id, record).ignore();
                        pipe.expire(key, 86_400).ignore();
                    }
                    None => {
                        pipe.hdel(key, connection_id).ignore();
                    }
                }
            }
            Op::Background { member, background } => {
                let key = n.background_key(node);
                let pipe = batch.on(&key);
                if background {
                    pipe.sadd(&key, member).ignore();
                } else {
                    pipe.srem(&key, member).ignore();
                }
                pipe.expire(key, ttl as i64).ignore();
            }
            Op::Forget { node } => {
                let pods = n.pods_key();
                batch.on(&pods).srem(&pods, node).ignore();
            }
            Op::Leave { payload, done: tx } => {
                let own = n.pod_key(node);
                let pipe = batch.on(&own);
                pipe.del(&own).ignore();
                pipe.del(n.users_key(node)).ignore();
                pipe.del(n.background_key(node)).ignore();
                pipe.del(n.seq_key(node)).ignore();
                let pods = n.pods_key();
                batch.on(&pods).srem(&pods, node).ignore();
                let cluster = n.cluster();
                batch.on(&cluster).publish(cluster, payload).ignore();
                done.push(tx);
            }
        }
    }
}

/// A publish on a pod's channel: sharded on a Redis Cluster.
fn to_pod(shared: &Shared, batch: &mut Batch, channel: String, payload: String) {
    let pipe = batch.on(&channel);
    if shared.names.cluster {
        pipe.spublish(channel, payload).ignore();
    } else {
        pipe.publish(channel, payload).ignore();
    }
}

/// Connects (retrying with backoff until Redis answers) and keeps the connection.
pub async fn connect(link: &Link) -> Conn {
    let mut backoff = Duration::from_millis(100);
    loop {
        match link.writer().await {
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
pub async fn run(shared: Arc<Shared>, mut queue: mpsc::Receiver<Op>) {
    let mut conn = connect(&shared.link).await;
    let mut ops = Vec::with_capacity(MAX_BATCH);
    let own = shared.names.pod_key(&shared.names.node);
    while queue.recv_many(&mut ops, MAX_BATCH).await > 0 {
        let mut batch = shared.link.batch(&own);
        let mut done = Vec::new();
        let count = ops.len();
        for op in ops.drain(..) {
            op.append(&shared, &mut batch, &mut done);
        }
        let m = crate::metrics::metrics();
        let started = std::time::Instant::now();
        let sent = batch.send(&mut conn).await;
        match sent.error() {
            None => {
                m.bus_published.inc_by(count as u64);
                m.bus_publish_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
            Some(e) => {
                m.bus_failed.inc_by(count as u64);
                // The pod's own state may be wrong: written again whole. What it published
                // to the others may be lost: their clients are told to sync.
                shared.missed.store(true, Ordering::Release);
                if sent.first.is_err() && !shared.dirty.swap(true, Ordering::AcqRel) {
                    tracing::warn!(error = %e, "could not write to Redis; will write the pod's state again");
                } else if sent.first.is_ok() {
                    tracing::warn!(error = %e, "could not publish to Redis; the others' clients will sync");
                }
                if shared.link.is_cluster() {
                    // Start again from the seeds: a slot map learned during a failover may
                    // still name the primary that died.
                    conn = connect(&shared.link).await;
                }
            }
        }
        for tx in done {
            let _ = tx.send(());
        }
    }
}
