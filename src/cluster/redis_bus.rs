//! The cluster bus on Redis pub/sub. Each pod listens on the cluster channel (heartbeats,
//! presence, reloads), on its own channel (deliveries to its users and groups) and on the
//! backend push channels; it publishes through one queue that batches into pipelines. Its
//! copy of the presence directory says which pods need a delivery: one publish per pod that
//! holds a recipient, whatever the number of recipients.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytestring::ByteString;
use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

use super::names::{member, Names};
use super::publisher::Op;
use super::{
    Bus, ClientPublish, Directory, GroupFrame, Packet, Pod, PresenceChange, Push, PushTarget, Relay,
};
use crate::config::Config;
use crate::keys::{GroupKey, UserKey};

/// Operations that may wait for the publisher before new ones are dropped.
const QUEUE: usize = 65_536;

/// What the bus, its publisher, subscriber and heartbeat share.
pub struct Shared {
    pub link: super::link::Link,
    pub names: Names,
    pub node_id: u16,
    pub ttl: Duration,
    pub queue: mpsc::Sender<Op>,
    pub directory: Directory,
    /// The number of this pod's last presence change; held while one is queued, so that the
    /// numbers reach Redis in order.
    pub seq: Mutex<u64>,
    /// The subscriber is connected.
    pub connected: AtomicBool,
    /// This pod's state in Redis may be wrong (a write failed): write it again whole.
    pub dirty: AtomicBool,
    /// Something this pod published was lost: the other pods' clients should `sync`.
    pub missed: AtomicBool,
    /// A drill's delay before another pod's presence change is applied (`node.fault_*`).
    pub presence_delay: Duration,
    /// Users whose first session here was announced, until every pod has heard.
    pub arrivals: super::arrivals::Arrivals,
    local_publishes: broadcast::Sender<ClientPublish>,
}

impl Shared {
    /// Queues `op` without waiting; a full queue drops it (live delivery is best effort, and
    /// a lost presence change is repaired by writing the state again).
    pub fn enqueue(&self, op: Op) {
        if self.queue.try_send(op).is_err() {
            crate::metrics::metrics().bus_dropped.inc();
            self.dirty.store(true, Ordering::Release);
            self.missed.store(true, Ordering::Release);
        }
    }

    /// A packet from this pod, serialized.
    pub fn packet(&self, relay: Relay) -> String {
        serde_json::to_string(&Packet {
            from: self.names.node.clone(),
            relay,
        })
        .expect("a relay serializes")
    }

    pub fn publish_to_pods(&self, pods: Vec<Arc<str>>, payload: String) {
        for pod in pods {
            self.enqueue(Op::ToPod {
                channel: self.names.pod(&pod),
                payload: payload.clone(),
            });
        }
    }
}

/// The Redis bus of one pod.
pub struct RedisBus {
    shared: Arc<Shared>,
}

/// The tasks of a Redis bus, started once the node's state exists.
pub struct RedisTasks {
    shared: Arc<Shared>,
    queue: mpsc::Receiver<Op>,
}

impl RedisBus {
    /// The bus for `config` (which names a Redis URL), and its tasks to start.
    pub fn new(config: &Config) -> Result<(RedisBus, RedisTasks), redis::RedisError> {
        let link = super::link::Link::new(&config.redis)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let shared = Arc::new(Shared {
            names: Names::new(
                &config.redis.namespace,
                &config.node_name(),
                link.is_cluster(),
            ),
            link,
            node_id: config.node.id,
            ttl: Duration::from_secs(config.redis.pod_ttl_seconds),
            queue: tx,
            directory: Directory::default(),
            seq: Mutex::new(0),
            connected: AtomicBool::new(false),
            dirty: AtomicBool::new(true),
            missed: AtomicBool::new(false),
            presence_delay: Duration::from_millis(if config.node.fault_injection {
                config.node.fault_presence_delay_ms
            } else {
                0
            }),
            arrivals: Default::default(),
            local_publishes: broadcast::channel(1024).0,
        });
        Ok((
            RedisBus {
                shared: shared.clone(),
            },
            RedisTasks { shared, queue: rx },
        ))
    }
}

impl RedisTasks {
    /// Starts the publisher, the subscriber and the heartbeat on the current runtime.
    pub fn start(self, pod: Arc<dyn Pod>, addr: SocketAddr) {
        actix_rt::spawn(super::publisher::run(self.shared.clone(), self.queue));
        actix_rt::spawn(super::subscriber::run(pod.clone(), self.shared.clone()));
        actix_rt::spawn(super::subscriber::heartbeat(pod, self.shared, addr));
    }

    /// Refuses to start a second pod with a Snowflake node id another live pod holds: both
    /// would mint the same message ids. Redis down is not a reason to refuse (checked later).
    pub async fn check_node_id(&self) -> Result<(), String> {
        let names = &self.shared.names;
        let read = async {
            let mut conn = self.shared.link.conn().await?;
            redis::cmd("GET")
                .arg(names.node_id_key(self.shared.node_id))
                .query_async::<Option<String>>(&mut conn)
                .await
        };
        match tokio::time::timeout(Duration::from_secs(2), read).await {
            Ok(Ok(Some(holder))) if holder != names.node => Err(format!(
                "node.id {} is used by the live pod `{holder}`; give every pod its own",
                self.shared.node_id
            )),
            Ok(Ok(_)) => Ok(()),
            _ => {
                tracing::warn!("Redis is not reachable: cannot check that node.id is unique");
                Ok(())
            }
        }
    }
}

impl Bus for RedisBus {
    fn to_users(&self, users: &[UserKey], except: Option<&str>, text: &ByteString) {
        let pods = self.shared.directory.pods_of_any(users.iter().copied());
        if pods.is_empty() {
            return;
        }
        let payload = self.shared.packet(Relay::Users {
            users: users.to_vec(),
            except: except.map(str::to_string),
            text: text.to_string(),
        });
        self.shared.publish_to_pods(pods, payload);
    }

    fn to_group(&self, group: GroupKey, members: &HashSet<Uuid>, frame: &GroupFrame) {
        let pods = self
            .shared
            .directory
            .pods_of_any(members.iter().map(|m| (group.0, *m)));
        if pods.is_empty() {
            return;
        }
        let payload = self.shared.packet(Relay::Group {
            group,
            sender: frame.sender,
            except: frame.except.as_deref().map(str::to_string),
            own: frame.own.as_ref().map(|t| t.to_string()),
            text: frame.text.to_string(),
        });
        self.shared.publish_to_pods(pods, payload);
    }

    fn to_all(&self, relay: Relay) {
        let payload = self.shared.packet(relay);
        self.shared.enqueue(Op::Publish {
            channel: self.shared.names.cluster(),
            payload,
        });
    }

    fn presence(&self, change: PresenceChange) {
        let mut seq = self.shared.seq.lock();
        *seq += 1;
        if change.online {
            let others = self
                .shared
                .directory
                .pods()
                .into_iter()
                .map(|p| Arc::from(p.0))
                .collect();
            self.shared.arrivals.announced(change.user, *seq, others);
        }
        let payload = self.shared.packet(Relay::Presence {
            seq: *seq,
            user: change.user,
            online: change.online,
            announce: change.announce,
            friends: change.friends,
            at: change.at,
        });
        self.shared.enqueue(Op::Presence {
            member: member(&change.user),
            online: change.online,
            seq: *seq,
            payload,
        });
    }

    fn online_elsewhere(&self, user: &UserKey) -> bool {
        self.shared.directory.online(user)
    }

    fn background(&self, user: UserKey, background: bool) {
        self.shared.enqueue(Op::Background {
            member: super::names::member(&user),
            background,
        });
    }

    fn foreground_elsewhere(&self, users: Vec<UserKey>) -> BoxFuture<'static, HashSet<UserKey>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            // Only users another pod holds can be in the foreground there; each such pod is
            // asked whether it has them all in the background.
            let asks: Vec<(UserKey, Vec<Arc<str>>)> = users
                .into_iter()
                .map(|u| (u, shared.directory.pods_of_any(std::iter::once(u))))
                .filter(|(_, pods)| !pods.is_empty())
                .collect();
            if asks.is_empty() {
                return HashSet::new();
            }
            let read = async {
                // One command each: on a cluster the pods' sets live in different slots.
                let conn = shared.link.conn().await?;
                let reads = asks.iter().flat_map(|(user, pods)| {
                    pods.iter().map(|pod| {
                        let mut conn = conn.clone();
                        let key = shared.names.background_key(pod);
                        let member = super::names::member(user);
                        async move {
                            redis::cmd("SISMEMBER")
                                .arg(key)
                                .arg(member)
                                .query_async::<bool>(&mut conn)
                                .await
                        }
                    })
                });
                futures_util::future::join_all(reads)
                    .await
                    .into_iter()
                    .collect::<redis::RedisResult<Vec<bool>>>()
            };
            // Not knowing, assume the foreground: a missed push is better than a wrong one.
            let answers = match tokio::time::timeout(Duration::from_secs(2), read).await {
                Ok(Ok(answers)) => answers,
                _ => return asks.into_iter().map(|(u, _)| u).collect(),
            };
            let mut answers = answers.into_iter();
            let mut found = HashSet::new();
            for (user, pods) in asks {
                let mut foreground = false;
                for _ in &pods {
                    foreground |= !answers.next().unwrap_or(false);
                }
                if foreground {
                    found.insert(user);
                }
            }
            found
        })
    }

    fn push(&self, push: &Push) {
        let names = &self.shared.names;
        let mut body = serde_json::json!({
            "method": push.method,
            "data": push.data,
            "origin": names.node,
        });
        let channel = match &push.target {
            PushTarget::Broadcast { tenant_id } => {
                body["tenantId"] = serde_json::json!(tenant_id);
                names.send_broadcast()
            }
            PushTarget::User { tenant_id, user_id } => {
                body["tenantId"] = serde_json::json!(tenant_id);
                body["userId"] = serde_json::json!(user_id);
                names.send_user()
            }
            PushTarget::Connection {
                connection_id,
                only_tenant,
            } => {
                body["connectionId"] = serde_json::json!(connection_id);
                if let Some(scope) = only_tenant {
                    body["onlyTenant"] = serde_json::json!(true);
                    body["tenantId"] = serde_json::json!(scope.0);
                }
                names.send_client()
            }
        };
        self.shared.enqueue(Op::Publish {
            channel,
            payload: body.to_string(),
        });
    }

    fn client_published(&self, message: ClientPublish) {
        let channel = self.shared.names.client_topic(&message.topic);
        let payload = serde_json::to_string(&message).expect("a publish serializes");
        self.shared.enqueue(Op::Publish { channel, payload });
        let _ = self.shared.local_publishes.send(message);
    }

    fn subscribe_client_publishes(&self) -> broadcast::Receiver<ClientPublish> {
        self.shared.local_publishes.subscribe()
    }

    fn healthy(&self) -> Option<bool> {
        Some(
            self.shared.connected.load(Ordering::Acquire)
                && !self.shared.dirty.load(Ordering::Acquire),
        )
    }

    fn leave(&self) -> Option<oneshot::Receiver<()>> {
        let (done, rx) = oneshot::channel();
        let payload = self.shared.packet(Relay::Leaving);
        self.shared.enqueue(Op::Leave { payload, done });
        Some(rx)
    }

    fn pods(&self) -> Vec<(String, usize)> {
        self.shared.directory.pods()
    }

    fn connection(&self, user: UserKey, connection_id: &str, record: Option<serde_json::Value>) {
        self.shared.enqueue(Op::Connection {
            key: self.shared.names.connections_key(&user),
            connection_id: connection_id.to_string(),
            record: record.map(|r| r.to_string()),
        });
    }

    fn remote_connections(&self, user: UserKey) -> BoxFuture<'static, Vec<serde_json::Value>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            let living: HashSet<String> =
                shared.directory.pods().into_iter().map(|p| p.0).collect();
            let read = async {
                let mut conn = shared.link.conn().await?;
                redis::cmd("HVALS")
                    .arg(shared.names.connections_key(&user))
                    .query_async::<Vec<String>>(&mut conn)
                    .await
            };
            let records = match tokio::time::timeout(Duration::from_secs(2), read).await {
                Ok(Ok(records)) => records,
                _ => return Vec::new(),
            };
            records
                .iter()
                .filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                .filter(|r| r["node"].as_str().is_some_and(|n| living.contains(n)))
                .collect()
        })
    }

    fn pod_infos(&self) -> BoxFuture<'static, Vec<serde_json::Value>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            let pods: Vec<String> = shared.directory.pods().into_iter().map(|p| p.0).collect();
            if pods.is_empty() {
                return Vec::new();
            }
            let keys: Vec<String> = pods.iter().map(|p| shared.names.pod_key(p)).collect();
            let read = async {
                let mut conn = shared.link.conn().await?;
                redis::cmd("MGET")
                    .arg(keys)
                    .query_async::<Vec<Option<String>>>(&mut conn)
                    .await
            };
            match tokio::time::timeout(Duration::from_secs(2), read).await {
                Ok(Ok(infos)) => infos
                    .into_iter()
                    .flatten()
                    .filter_map(|i| serde_json::from_str(&i).ok())
                    .collect(),
                _ => Vec::new(),
            }
        })
    }
}
