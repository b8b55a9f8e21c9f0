//! Maps user and group ids to their actors' addresses and owns the actors' lifecycle: starts
//! them on demand, forgets them when they stop (idle), and starts a fresh one when an actor
//! died (a panic ends only that actor's task). Look-ups go through sharded maps, never
//! through one mailbox every message would wait in.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use parking_lot::Mutex;

use super::group::GroupActor;
use super::user::UserActor;
use super::{GroupKey, SessionHandle, UserKey};
use crate::state::AppState;

const SHARDS: usize = 32;

/// A map split over several locks, so that concurrent look-ups rarely wait on each other.
struct ShardedMap<K, V> {
    shards: Vec<Mutex<HashMap<K, V>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl<K: Hash + Eq + Clone, V: Clone> ShardedMap<K, V> {
    fn new() -> Self {
        ShardedMap {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
        }
    }

    fn shard(&self, key: &K) -> &Mutex<HashMap<K, V>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    fn get(&self, key: &K) -> Option<V> {
        self.shard(key).lock().get(key).cloned()
    }

    fn values(&self) -> Vec<V> {
        self.shards
            .iter()
            .flat_map(|s| s.lock().values().cloned().collect::<Vec<_>>())
            .collect()
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

/// The pod's registry of actors.
pub struct Supervisor {
    users: ShardedMap<UserKey, Addr<UserActor>>,
    groups: ShardedMap<GroupKey, Addr<GroupActor>>,
    connections: ShardedMap<Arc<str>, SessionHandle>,
    /// Each user's sessions on this pod, so that a fan-out pushes to them in one hop.
    sessions: ShardedMap<UserKey, Vec<SessionHandle>>,
    online: ShardedMap<UserKey, ()>,
    restarts: AtomicU64,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor {
            users: ShardedMap::new(),
            groups: ShardedMap::new(),
            connections: ShardedMap::new(),
            sessions: ShardedMap::new(),
            online: ShardedMap::new(),
            restarts: AtomicU64::new(0),
        }
    }
}

impl Supervisor {
    /// The user's actor, started if it is not running (or was running and died).
    pub fn user(&self, state: &Arc<AppState>, key: UserKey) -> Addr<UserActor> {
        let mut shard = self.users.shard(&key).lock();
        let died = match shard.get(&key) {
            Some(addr) if addr.connected() => return addr.clone(),
            Some(_) => true,
            None => false,
        };
        let addr = UserActor::new(state.clone(), key).start();
        shard.insert(key, addr.clone());
        drop(shard);
        if died {
            // The user's sessions outlived their actor: hand them to the new one at once.
            self.restarts.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(user = %key.1, "a user actor had died; started a new one");
            for session in self
                .connections()
                .into_iter()
                .filter(|s| (s.tenant_id, s.user_id) == key)
            {
                addr.do_send(super::user::Attach(session));
            }
        }
        addr
    }

    /// The user's actor if it is running: used to reach online users without waking others.
    pub fn running_user(&self, key: &UserKey) -> Option<Addr<UserActor>> {
        self.users.get(key).filter(|a| a.connected())
    }

    /// Forgets a user actor that is stopping, unless another has taken its place.
    pub fn forget_user(&self, key: &UserKey, addr: &Addr<UserActor>) {
        let mut shard = self.users.shard(key).lock();
        if shard.get(key) == Some(addr) {
            shard.remove(key);
        }
    }

    /// The group's actor, started if needed.
    pub fn group(&self, state: &Arc<AppState>, key: GroupKey) -> Addr<GroupActor> {
        let mut shard = self.groups.shard(&key).lock();
        if let Some(addr) = shard.get(&key) {
            if addr.connected() {
                return addr.clone();
            }
            self.restarts.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(group = key.1, "a group actor had died; starting a new one");
        }
        let addr = GroupActor::new(state.clone(), key).start();
        shard.insert(key, addr.clone());
        addr
    }

    /// The group's actor if it is running.
    pub fn running_group(&self, key: &GroupKey) -> Option<Addr<GroupActor>> {
        self.groups.get(key).filter(|a| a.connected())
    }

    /// Forgets a group actor that is stopping, unless another has taken its place.
    pub fn forget_group(&self, key: &GroupKey, addr: &Addr<GroupActor>) {
        let mut shard = self.groups.shard(key).lock();
        if shard.get(key) == Some(addr) {
            shard.remove(key);
        }
    }

    /// Records whether a user has a session on this pod (kept by the user actor).
    pub fn set_online(&self, key: UserKey, online: bool) {
        let mut shard = self.online.shard(&key).lock();
        if online {
            shard.insert(key, ());
        } else {
            shard.remove(&key);
        }
    }

    /// Whether a user has a session on this pod.
    pub fn is_online(&self, key: &UserKey) -> bool {
        self.online.get(key).is_some()
    }

    /// The users with a session on this pod.
    pub fn online_users(&self) -> Vec<UserKey> {
        self.online
            .shards
            .iter()
            .flat_map(|s| s.lock().keys().copied().collect::<Vec<_>>())
            .collect()
    }

    /// How many sessions (connections) this pod holds.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// How many users have a session on this pod.
    pub fn online_count(&self) -> usize {
        self.online.len()
    }

    /// Every running user actor of this pod.
    pub fn running_users(&self) -> Vec<Addr<UserActor>> {
        self.users.values()
    }

    /// Tells a running user actor that its facts changed (friends, settings, groups).
    pub fn reload_user(&self, key: &UserKey) {
        if let Some(addr) = self.running_user(key) {
            addr.do_send(super::user::Reload);
        }
    }

    /// Tells a running group actor that its facts changed (members, admins, flags).
    pub fn reload_group(&self, key: &GroupKey) {
        if let Some(addr) = self.running_group(key) {
            addr.do_send(super::group::Reload);
        }
    }

    /// Hands a message to the actor that checks and stores it: the receiver's user actor, or
    /// the group's actor. The answer goes to `origin`.
    pub fn send(
        &self,
        state: &Arc<AppState>,
        origin: crate::requests::Origin,
        to: crate::store::Conversation,
        draft: crate::requests::Draft,
    ) {
        match to {
            crate::store::Conversation::User(user) => self
                .user(state, (origin.tenant_id, user))
                .do_send(super::user::SendPrivate { origin, draft }),
            crate::store::Conversation::Group(group) => self
                .group(state, (origin.tenant_id, group))
                .do_send(super::group::SendGroup { origin, draft }),
        }
    }

    /// Registers an open connection (for pushes to one connection and for shutdown).
    pub fn add_connection(&self, handle: SessionHandle) {
        let user = (handle.tenant_id, handle.user_id);
        self.sessions
            .shard(&user)
            .lock()
            .entry(user)
            .or_default()
            .push(handle.clone());
        self.connections
            .shard(&handle.connection_id)
            .lock()
            .insert(handle.connection_id.clone(), handle);
    }

    /// Forgets a closed connection.
    pub fn remove_connection(&self, connection_id: &Arc<str>) {
        let removed = self
            .connections
            .shard(connection_id)
            .lock()
            .remove(connection_id);
        if let Some(handle) = removed {
            let user = (handle.tenant_id, handle.user_id);
            let mut shard = self.sessions.shard(&user).lock();
            if let Some(list) = shard.get_mut(&user) {
                list.retain(|s| s.connection_id != *connection_id);
                if list.is_empty() {
                    shard.remove(&user);
                }
            }
        }
    }

    /// Pushes `text` to every session of `user` on this pod but connection `except`, straight
    /// into their mailboxes (no hop through the user's actor); returns how many took it.
    pub fn push_to_user(
        &self,
        user: &UserKey,
        text: &bytestring::ByteString,
        except: Option<&Arc<str>>,
    ) -> usize {
        let shard = self.sessions.shard(user).lock();
        let Some(list) = shard.get(user) else {
            return 0;
        };
        list.iter()
            .filter(|s| Some(&s.connection_id) != except)
            .filter(|s| s.push(text.clone()))
            .count()
    }

    /// Whether `user` has a session on this pod.
    pub fn has_sessions(&self, user: &UserKey) -> bool {
        self.sessions.shard(user).lock().contains_key(user)
    }

    /// Whether `user` has a session on this pod whose app is in the foreground (one that did
    /// not say `{"type":"state","foreground":false}`): the push hand-off leaves such users be.
    pub fn in_foreground(&self, user: &UserKey) -> bool {
        let shard = self.sessions.shard(user).lock();
        shard
            .get(user)
            .is_some_and(|list| list.iter().any(|s| s.is_foreground()))
    }

    /// An open connection of this pod.
    pub fn connection(&self, connection_id: &str) -> Option<SessionHandle> {
        let key: Arc<str> = Arc::from(connection_id);
        self.connections.get(&key)
    }

    /// Every open connection of this pod.
    pub fn connections(&self) -> Vec<SessionHandle> {
        self.connections.values()
    }

    /// How many connections, user actors and group actors this pod holds, and how many actors
    /// were restarted after dying.
    pub fn counts(&self) -> (usize, usize, usize, u64) {
        (
            self.connections.len(),
            self.users.len(),
            self.groups.len(),
            self.restarts.load(Ordering::Relaxed),
        )
    }
}
