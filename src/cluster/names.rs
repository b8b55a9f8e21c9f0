//! The Redis channels and keys of one cluster, all under its namespace (`redis.namespace`),
//! so that several clusters (and parallel tests) can share one Redis without hearing each other.

use crate::keys::UserKey;

/// Channel and key names for a namespace and this pod.
#[derive(Clone, Debug)]
pub struct Names {
    pub namespace: String,
    pub node: String,
    /// On a Redis Cluster a pod's name is written as a hash tag (`{pod-1}`) in its channel and
    /// keys, so that they all live in one slot: one shard serves its sharded channel, and its
    /// state is read atomically.
    pub cluster: bool,
}

impl Names {
    pub fn new(namespace: &str, node: &str, cluster: bool) -> Names {
        Names {
            namespace: namespace.to_string(),
            node: node.to_string(),
            cluster,
        }
    }

    /// `node` as it appears in its channel and keys.
    fn tagged(&self, node: &str) -> String {
        if self.cluster {
            format!("{{{node}}}")
        } else {
            node.to_string()
        }
    }

    /// Backend pushes to everyone (`API.md`, "Push").
    pub fn send_broadcast(&self) -> String {
        format!("{}.default.send", self.namespace)
    }

    /// Backend pushes to every device of a user.
    pub fn send_user(&self) -> String {
        format!("{}.default.send.user", self.namespace)
    }

    /// Backend pushes to one connection.
    pub fn send_client(&self) -> String {
        format!("{}.default.send.client", self.namespace)
    }

    /// Where a client's `publish` on `topic` goes for backend services.
    pub fn client_topic(&self, topic: &str) -> String {
        format!("{}.client.{topic}", self.namespace)
    }

    /// What every pod hears: heartbeats, presence, reloads, closes.
    pub fn cluster(&self) -> String {
        format!("{}.cluster", self.namespace)
    }

    /// What only `node` hears: deliveries to its users and groups (a sharded channel on a
    /// Redis Cluster).
    pub fn pod(&self, node: &str) -> String {
        format!("{}.pod.{}", self.namespace, self.tagged(node))
    }

    /// The set of pod names that have announced themselves.
    pub fn pods_key(&self) -> String {
        format!("{}:pods", self.namespace)
    }

    /// A pod's description (JSON), alive while it heartbeats.
    pub fn pod_key(&self, node: &str) -> String {
        format!("{}:pod:{}", self.namespace, self.tagged(node))
    }

    /// The set of users with a session on a pod.
    pub fn users_key(&self, node: &str) -> String {
        format!("{}:pod:{}:users", self.namespace, self.tagged(node))
    }

    /// The users whose sessions on a pod all have their app in the background.
    pub fn background_key(&self, node: &str) -> String {
        format!("{}:pod:{}:background", self.namespace, self.tagged(node))
    }

    /// Backend services publish notifications here (`docs/API.md`, "Notifications").
    pub fn notifications(&self) -> String {
        format!("{}.notifications", self.namespace)
    }

    /// A notification published on Redis is claimed by one pod under this key.
    pub fn notification_claim(&self, digest: &str) -> String {
        format!("{}:notification-claim:{digest}", self.namespace)
    }

    /// The number of the last presence change a pod wrote.
    pub fn seq_key(&self, node: &str) -> String {
        format!("{}:pod:{}:seq", self.namespace, self.tagged(node))
    }

    /// A user's sessions on every pod (connection id → JSON record).
    pub fn connections_key(&self, user: &UserKey) -> String {
        format!("{}:user:{}:conns", self.namespace, member(user))
    }

    /// Which pod holds a Snowflake node id (two pods with one id would mint the same ids).
    pub fn node_id_key(&self, id: u16) -> String {
        format!("{}:nodeid:{id}", self.namespace)
    }
}

/// A user as a member of a Redis set: `tenant:user`, the tenant empty for the host.
pub fn member(key: &UserKey) -> String {
    match key.0 {
        Some(tenant) => format!("{tenant}:{}", key.1),
        None => format!(":{}", key.1),
    }
}

/// The user a set member names, if it is well formed.
pub fn parse_member(text: &str) -> Option<UserKey> {
    let (tenant, user) = text.split_once(':')?;
    let tenant = if tenant.is_empty() {
        None
    } else {
        Some(tenant.parse().ok()?)
    };
    Some((tenant, user.parse().ok()?))
}
