//! How a pod reaches Redis: one server (`redis.url`) or a Redis Cluster (`redis.cluster_urls`,
//! seed nodes). The bus, the hook stream and the push stream talk through a [`Link`] and its
//! [`Conn`]s and do not care which; only what must differ does: a cluster pipeline may touch
//! one slot only ([`Batch`]), and a cluster subscribes through sharded pub/sub
//! ([`Link::subscriber`]).

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::Slot;
use redis::{Cmd, Pipeline, PushInfo, RedisFuture, RedisResult, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::RedisConfig;

/// How long a connect or a reply may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Where this pod's Redis is, and (on a cluster) the connection its reads share.
pub struct Link {
    kind: Kind,
    shared: tokio::sync::Mutex<Option<ClusterConnection>>,
}

enum Kind {
    Single(redis::Client),
    Cluster(Vec<String>),
}

/// A connection for commands and pipelines, to one server or to a cluster.
#[derive(Clone)]
pub enum Conn {
    Single(MultiplexedConnection),
    Managed(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Link {
    /// The link `config` names: `cluster_urls` when given, else `url`.
    pub fn new(config: &RedisConfig) -> RedisResult<Link> {
        let kind = if config.cluster_urls.is_empty() {
            Kind::Single(redis::Client::open(config.url.as_str())?)
        } else {
            // Fails early on a seed that is not a Redis URL.
            ClusterClient::new(config.cluster_urls.clone())?;
            Kind::Cluster(config.cluster_urls.clone())
        };
        Ok(Link {
            kind,
            shared: Default::default(),
        })
    }

    /// The link of `config`, when it names a Redis at all.
    pub fn configured(config: &RedisConfig) -> Option<Link> {
        config.enabled().then(|| Link::new(config).ok()).flatten()
    }

    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.kind, Kind::Cluster(_))
    }

    fn cluster_client(seeds: &[String], push: Option<UnboundedSender<PushInfo>>) -> ClusterClient {
        let mut builder = ClusterClient::builder(seeds.to_vec())
            .connection_timeout(TIMEOUT)
            .response_timeout(TIMEOUT)
            .retries(2)
            .use_protocol(redis::ProtocolVersion::RESP3);
        if let Some(push) = push {
            builder = builder.push_sender(push);
        }
        builder.build().expect("the seeds were checked")
    }

    /// A connection for a few commands. On a cluster, one connection shared by every caller
    /// (it follows the slots and reconnects by itself).
    pub async fn conn(&self) -> RedisResult<Conn> {
        match &self.kind {
            Kind::Single(client) => Ok(Conn::Single(
                client.get_multiplexed_async_connection().await?,
            )),
            Kind::Cluster(seeds) => {
                let mut shared = self.shared.lock().await;
                if let Some(conn) = shared.as_ref() {
                    return Ok(Conn::Cluster(conn.clone()));
                }
                let conn = Self::cluster_client(seeds, None)
                    .get_async_connection()
                    .await?;
                *shared = Some(conn.clone());
                Ok(Conn::Cluster(conn))
            }
        }
    }

    /// Forgets the shared cluster connection after a failure, so that the next caller starts
    /// from the seeds and the current slot map.
    pub async fn reset(&self) {
        *self.shared.lock().await = None;
    }

    /// A long-lived connection of its own that reconnects by itself (the publisher's).
    pub async fn writer(&self) -> RedisResult<Conn> {
        match &self.kind {
            Kind::Single(client) => {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(2)
                    .set_max_delay(TIMEOUT);
                Ok(Conn::Managed(
                    client.get_connection_manager_with_config(config).await?,
                ))
            }
            Kind::Cluster(seeds) => Ok(Conn::Cluster(
                Self::cluster_client(seeds, None)
                    .get_async_connection()
                    .await?,
            )),
        }
    }

    /// On a cluster: a connection that carries subscriptions only, its messages and
    /// subscription changes sent to `pushes` (RESP3). `None` on a single server, whose
    /// subscriber uses a classic pub/sub connection.
    pub async fn subscriber(
        &self,
        pushes: UnboundedSender<PushInfo>,
    ) -> Option<RedisResult<ClusterConnection>> {
        match &self.kind {
            Kind::Single(_) => None,
            Kind::Cluster(seeds) => Some(
                Self::cluster_client(seeds, Some(pushes))
                    .get_async_connection()
                    .await,
            ),
        }
    }

    /// On a single server, its client (for a classic pub/sub connection).
    pub fn single(&self) -> Option<&redis::Client> {
        match &self.kind {
            Kind::Single(client) => Some(client),
            Kind::Cluster(_) => None,
        }
    }

    /// A batch of commands to send together. The slot of `first` (a key) is sent first.
    pub fn batch(&self, first: &str) -> Batch {
        let mut batch = Batch {
            cluster: self.is_cluster(),
            pipes: Vec::new(),
            slots: HashMap::new(),
        };
        batch.on(first);
        batch
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Managed(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Managed(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Managed(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Commands sent together, replies ignored. On one server, one pipeline (one round trip). On
/// a cluster, where a pipeline may touch one slot only, one pipeline per slot: the first slot
/// used is sent first and alone (the bus puts the pod's own state there, so what it announces
/// is written before the announcement), the others together.
pub struct Batch {
    cluster: bool,
    pipes: Vec<Pipeline>,
    slots: HashMap<Slot, usize>,
}

impl Batch {
    /// The pipeline for commands on `key` (a key, or a channel for a publish).
    pub fn on(&mut self, key: &str) -> &mut Pipeline {
        let index = if self.cluster {
            let next = self.pipes.len();
            *self.slots.entry(Slot::for_key(key)).or_insert(next)
        } else {
            0
        };
        if index == self.pipes.len() {
            self.pipes.push(redis::pipe());
        }
        &mut self.pipes[index]
    }

    /// Sends every pipeline: what became of the first slot's, and of the others'.
    pub async fn send(self, conn: &mut Conn) -> Sent {
        let mut pipes = self.pipes.into_iter();
        let first = match pipes.next() {
            Some(first) if !first.is_empty() => first.query_async::<()>(conn).await,
            _ => Ok(()),
        };
        let rest = pipes.filter(|p| !p.is_empty()).map(|pipe| {
            let mut conn = conn.clone();
            async move { pipe.query_async::<()>(&mut conn).await }
        });
        let rest = join_all(rest).await.into_iter().collect();
        Sent { first, rest }
    }
}

/// What became of a [`Batch`]: its first slot (the pod's own state) and the rest (publishes
/// to others, shared keys). On one server both are the one pipeline's.
pub struct Sent {
    pub first: RedisResult<()>,
    pub rest: RedisResult<()>,
}

impl Sent {
    /// The first error, if any.
    pub fn error(&self) -> Option<&redis::RedisError> {
        self.first.as_ref().err().or(self.rest.as_ref().err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(cluster: bool, first: &str) -> Batch {
        let mut batch = Batch {
            cluster,
            pipes: Vec::new(),
            slots: HashMap::new(),
        };
        batch.on(first);
        batch
    }

    #[test]
    fn a_cluster_batch_has_one_pipeline_per_slot_and_the_first_slot_first() {
        let mut b = batch(true, "im:pod:{pod-1}");
        b.on("im.cluster").publish("im.cluster", "x").ignore();
        b.on("im:pod:{pod-1}:users")
            .sadd("im:pod:{pod-1}:users", "u")
            .ignore();
        b.on("im.pod.{pod-2}")
            .spublish("im.pod.{pod-2}", "y")
            .ignore();
        b.on("im:pod:{pod-1}:seq")
            .set("im:pod:{pod-1}:seq", 1)
            .ignore();
        assert_eq!(
            b.pipes.len(),
            3,
            "the pod's own slot, the cluster channel's, pod-2's"
        );
        assert_eq!(
            b.pipes[0].len(),
            2,
            "both of pod-1's keys in the first pipeline"
        );
        assert_eq!(b.pipes[1].len(), 1);
        assert_eq!(b.pipes[2].len(), 1);
    }

    #[test]
    fn a_single_server_batch_is_one_pipeline() {
        let mut b = batch(false, "im:pod:pod-1");
        b.on("im.cluster").publish("im.cluster", "x").ignore();
        b.on("im.pod.pod-2").publish("im.pod.pod-2", "y").ignore();
        assert_eq!(b.pipes.len(), 1);
        assert_eq!(b.pipes[0].len(), 2);
    }
}
