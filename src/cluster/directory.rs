//! This pod's copy of the presence directory: which other pods hold sessions of which users.
//! It is filled from Redis (each pod's user set) and kept current by the presence changes
//! pods publish, numbered per pod so that a lost change is noticed and the pod's set read
//! again. Routing reads it on every delivery, so it is a map in memory, not a Redis query.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::keys::UserKey;

/// Another pod as this one knows it.
struct PodView {
    seq: u64,
    users: HashSet<UserKey>,
    last_seen: Instant,
}

#[derive(Default)]
struct Inner {
    pods: HashMap<Arc<str>, PodView>,
    by_user: HashMap<UserKey, Vec<Arc<str>>>,
}

/// What a numbered presence change did to the copy.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// Applied in order.
    Applied,
    /// Already known (an older number).
    Stale,
    /// A change before it was lost, or the pod is new: read its set again.
    Gap,
}

/// The directory of the other pods' users.
#[derive(Default)]
pub struct Directory {
    inner: RwLock<Inner>,
}

impl Inner {
    fn link(&mut self, node: &Arc<str>, user: UserKey) {
        let pods = self.by_user.entry(user).or_default();
        if !pods.contains(node) {
            pods.push(node.clone());
        }
    }

    fn unlink(&mut self, node: &Arc<str>, user: &UserKey) {
        if let Some(pods) = self.by_user.get_mut(user) {
            pods.retain(|p| p != node);
            if pods.is_empty() {
                self.by_user.remove(user);
            }
        }
    }
}

impl Directory {
    /// The other pods holding a session of any of `users`.
    pub fn pods_of_any(&self, users: impl Iterator<Item = UserKey>) -> Vec<Arc<str>> {
        let inner = self.inner.read();
        if inner.by_user.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Arc<str>> = Vec::new();
        for user in users {
            if let Some(pods) = inner.by_user.get(&user) {
                for pod in pods {
                    if !found.contains(pod) {
                        found.push(pod.clone());
                    }
                }
                if found.len() == inner.pods.len() {
                    break;
                }
            }
        }
        found
    }

    /// Whether another pod holds a session of `user`.
    pub fn online(&self, user: &UserKey) -> bool {
        self.inner.read().by_user.contains_key(user)
    }

    /// Applies presence change `seq` of `node`.
    pub fn apply(&self, node: &str, seq: u64, user: UserKey, online: bool) -> Applied {
        let mut inner = self.inner.write();
        let Some((node, view)) = inner.pods.get_key_value(node) else {
            return Applied::Gap;
        };
        let node = node.clone();
        if seq <= view.seq {
            return Applied::Stale;
        }
        if seq > view.seq + 1 {
            return Applied::Gap;
        }
        let view = inner.pods.get_mut(&node).expect("present");
        view.seq = seq;
        view.last_seen = Instant::now();
        if online {
            view.users.insert(user);
            inner.link(&node, user);
        } else {
            view.users.remove(&user);
            inner.unlink(&node, &user);
        }
        Applied::Applied
    }

    /// Notes a heartbeat of `node`; true when its set must be read again (new pod, or a
    /// change was missed).
    pub fn heartbeat(&self, node: &str, seq: u64) -> bool {
        let mut inner = self.inner.write();
        match inner.pods.get_mut(node) {
            Some(view) => {
                view.last_seen = Instant::now();
                seq != view.seq
            }
            None => true,
        }
    }

    /// Replaces what is known of `node` with its set as read from Redis at change `seq`.
    pub fn replace(&self, node: &str, seq: u64, users: HashSet<UserKey>) {
        let mut inner = self.inner.write();
        let node: Arc<str> = Arc::from(node);
        let old = inner
            .pods
            .remove(&node)
            .map(|v| v.users)
            .unwrap_or_default();
        for user in old.difference(&users) {
            inner.unlink(&node, user);
        }
        for user in users.difference(&old) {
            inner.link(&node, *user);
        }
        inner.pods.insert(
            node,
            PodView {
                seq,
                users,
                last_seen: Instant::now(),
            },
        );
    }

    /// Forgets `node`; returns its users that no other pod holds.
    pub fn remove(&self, node: &str) -> Vec<UserKey> {
        let mut inner = self.inner.write();
        let Some((node, view)) = inner.pods.remove_entry(node) else {
            return Vec::new();
        };
        let mut gone = Vec::new();
        for user in &view.users {
            inner.unlink(&node, user);
            if !inner.by_user.contains_key(user) {
                gone.push(*user);
            }
        }
        gone
    }

    /// The pods not heard from for `ttl`.
    pub fn silent(&self, ttl: Duration) -> Vec<String> {
        self.inner
            .read()
            .pods
            .iter()
            .filter(|(_, v)| v.last_seen.elapsed() > ttl)
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// The other pods known, with how many users each holds.
    pub fn pods(&self) -> Vec<(String, usize)> {
        let mut pods: Vec<_> = self
            .inner
            .read()
            .pods
            .iter()
            .map(|(n, v)| (n.to_string(), v.users.len()))
            .collect();
        pods.sort();
        pods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u128) -> UserKey {
        (None, uuid::Uuid::from_u128(n))
    }

    #[test]
    fn changes_apply_in_order_and_gaps_are_noticed() {
        let d = Directory::default();
        assert_eq!(d.apply("a", 1, user(1), true), Applied::Gap, "unknown pod");
        d.replace("a", 1, HashSet::from([user(1)]));
        assert!(d.online(&user(1)));
        assert_eq!(d.apply("a", 1, user(1), true), Applied::Stale);
        assert_eq!(d.apply("a", 2, user(2), true), Applied::Applied);
        assert_eq!(d.apply("a", 4, user(3), true), Applied::Gap);
        assert!(!d.online(&user(3)));
        assert!(
            d.heartbeat("a", 3),
            "a heartbeat ahead of us means a lost change"
        );
        assert!(!d.heartbeat("a", 2));
    }

    #[test]
    fn a_user_on_two_pods_stays_online_until_both_let_go() {
        let d = Directory::default();
        d.replace("a", 0, HashSet::from([user(1), user(2)]));
        d.replace("b", 0, HashSet::from([user(1)]));
        assert_eq!(d.pods_of_any([user(1)].into_iter()).len(), 2);
        assert_eq!(d.pods_of_any([user(1), user(2)].into_iter()).len(), 2);
        assert_eq!(d.remove("a"), vec![user(2)]);
        assert!(d.online(&user(1)));
        assert_eq!(d.apply("b", 1, user(1), false), Applied::Applied);
        assert!(!d.online(&user(1)));
        d.replace("b", 5, HashSet::new());
        assert!(d.pods_of_any([user(1)].into_iter()).is_empty());
    }
}
