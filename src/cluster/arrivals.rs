//! Closing the gap a new session falls into while the other pods learn where it is. A user's
//! first session on this pod is announced to the others; until a pod has applied the
//! announcement it routes nothing to this pod for that user, so a message it delivers in
//! those milliseconds would reach the session only at its next `sync`. Each pod therefore
//! answers an announcement with `Heard`; once every pod that was alive has answered, this pod
//! reads what was committed for the user since the session opened and pushes it (the session
//! drops what it already has). A pod that does not answer in time leaves the catch-up to the
//! heartbeat, which runs it anyway and again when the answer comes; a session is caught up
//! for its first ten seconds (`user::CATCH_UP_WITHIN`), and a pod slower than that to answer
//! leaves what it delivered nowhere to the client's next `sync`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::Pod;
use crate::keys::UserKey;

/// How long the others may take to answer before the catch-up runs without them.
const PATIENCE: Duration = Duration::from_secs(2);

/// How long an arrival is kept for a late answer: as long as its sessions may be caught up.
const KEPT: Duration = Duration::from_secs(10);

/// A user whose first session here was announced, and the pods yet to answer.
struct Arrival {
    user: UserKey,
    seq: u64,
    waiting: Vec<Arc<str>>,
    since: Instant,
    /// The catch-up ran before every pod answered.
    ran_early: bool,
}

/// This pod's announced arrivals.
#[derive(Default)]
pub struct Arrivals {
    pending: Mutex<Vec<Arrival>>,
}

impl Arrivals {
    /// `user`'s first session here was announced as presence change `seq`; `others` are the
    /// pods that must hear of it.
    pub fn announced(&self, user: UserKey, seq: u64, others: Vec<Arc<str>>) {
        if others.is_empty() {
            return;
        }
        self.pending.lock().push(Arrival {
            user,
            seq,
            waiting: others,
            since: Instant::now(),
            ran_early: false,
        });
    }

    /// `node` has applied this pod's presence changes up to `seq`.
    pub fn heard(&self, pod: &Arc<dyn Pod>, node: &str, seq: u64) {
        self.settle(pod, |a| a.seq <= seq, node);
    }

    /// `node` is gone: nobody waits for it.
    pub fn gone(&self, pod: &Arc<dyn Pod>, node: &str) {
        self.settle(pod, |_| true, node);
    }

    /// Takes `node` off the arrivals `which` selects; those nobody else owes an answer are
    /// caught up and forgotten.
    fn settle(&self, pod: &Arc<dyn Pod>, which: impl Fn(&Arrival) -> bool, node: &str) {
        let mut done = Vec::new();
        self.pending.lock().retain_mut(|a| {
            if which(a) {
                a.waiting.retain(|w| &**w != node);
            }
            if a.waiting.is_empty() {
                done.push(a.user);
                return false;
            }
            true
        });
        for user in done {
            pod.catch_up(user);
        }
    }

    /// Every heartbeat: arrivals whose answers are late are caught up now (and again when the
    /// answers come); old ones are forgotten.
    pub fn tick(&self, pod: &Arc<dyn Pod>) {
        let mut late = Vec::new();
        self.pending.lock().retain_mut(|a| {
            if a.since.elapsed() >= KEPT {
                return false;
            }
            if !a.ran_early && a.since.elapsed() >= PATIENCE {
                a.ran_early = true;
                late.push(a.user);
            }
            true
        });
        for user in late {
            pod.catch_up(user);
        }
    }
}
