//! Where offers gather: per user, per conversation, until the user's debounce is up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::job::JobConversation;
use super::PREVIEW_CHARS;
use crate::actors::Supervisor;
use crate::keys::UserKey;

/// The latest offer of one conversation, and how many it stands for.
#[derive(Clone, Debug)]
pub(super) struct Offer {
    pub message_id: Option<String>,
    pub notification_id: Option<String>,
    pub sender_name: Option<String>,
    pub preview: Option<String>,
    pub count: u32,
}

/// One user's offers, due at `due`.
pub(super) struct Gathered {
    pub due: Instant,
    pub offers: HashMap<JobConversation, Offer>,
}

/// The pod's gathering offers: empty and unused when push is off.
pub struct PushJobs {
    enabled: bool,
    debounce: Duration,
    preview: bool,
    pending: Mutex<HashMap<UserKey, Gathered>>,
    /// What this pod handed off, as the admin console shows it (`/metrics` has the same).
    pub counts: PushCounts,
}

/// Jobs sent and failed, and tokens removed as dead, by this pod since it started.
#[derive(Default)]
pub struct PushCounts {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dead_tokens: AtomicU64,
}

impl PushCounts {
    pub(super) fn sent(&self, n: usize) {
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        crate::metrics::metrics().push_jobs_sent.inc_by(n as u64);
    }

    pub(super) fn failed(&self, n: usize) {
        self.failed.fetch_add(n as u64, Ordering::Relaxed);
        crate::metrics::metrics().push_jobs_failed.inc_by(n as u64);
    }

    pub(super) fn dead(&self, n: u64) {
        self.dead_tokens.fetch_add(n, Ordering::Relaxed);
        crate::metrics::metrics().push_tokens_dead.inc_by(n);
    }
}

impl PushJobs {
    pub fn new(config: &crate::config::PushConfig) -> Self {
        PushJobs {
            enabled: config.enabled(),
            debounce: Duration::from_millis(config.debounce_ms),
            preview: config.preview,
            pending: Mutex::new(HashMap::new()),
            counts: PushCounts::default(),
        }
    }

    /// Whether push jobs are made at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn preview(&self, text: &str) -> Option<String> {
        self.preview
            .then(|| text.chars().take(PREVIEW_CHARS).collect())
    }

    /// Gathers `offer` for the users without a session in the foreground on this pod (those
    /// on other pods are checked when the jobs go out).
    fn offer(
        &self,
        here: &Supervisor,
        users: &[UserKey],
        conversation: JobConversation,
        offer: Offer,
    ) {
        let due = Instant::now() + self.debounce;
        let users: Vec<&UserKey> = users.iter().filter(|u| !here.in_foreground(u)).collect();
        if users.is_empty() {
            return;
        }
        let mut pending = self.pending.lock();
        for user in users {
            let gathered = pending.entry(*user).or_insert_with(|| Gathered {
                due,
                offers: HashMap::new(),
            });
            gathered
                .offers
                .entry(conversation.clone())
                .and_modify(|o| {
                    let count = o.count + 1;
                    *o = Offer {
                        count,
                        ..offer.clone()
                    };
                })
                .or_insert_with(|| offer.clone());
        }
    }

    /// A message for `receivers` (not its sender): `conversation` is each receiver's side of
    /// it (the sender, or the group).
    pub fn offer_message(
        &self,
        here: &Supervisor,
        receivers: &[UserKey],
        conversation: JobConversation,
        message_id: i64,
        sender_name: Option<&str>,
        content: &str,
    ) {
        if !self.enabled || receivers.is_empty() {
            return;
        }
        let offer = Offer {
            message_id: Some(message_id.to_string()),
            notification_id: None,
            sender_name: sender_name.map(str::to_string),
            preview: self.preview(content),
            count: 1,
        };
        self.offer(here, receivers, conversation, offer);
    }

    /// A notification for its recipients: its preview is its data's `title` or `message`.
    pub fn offer_notification(
        &self,
        here: &Supervisor,
        users: &[UserKey],
        n: &crate::protocol::Notification,
    ) {
        if !self.enabled || users.is_empty() {
            return;
        }
        let text = ["title", "message", "content"]
            .iter()
            .find_map(|k| n.data.get(*k).and_then(|v| v.as_str()))
            .unwrap_or("");
        let offer = Offer {
            message_id: None,
            notification_id: Some(n.id.clone()),
            sender_name: n
                .data
                .get("formUser")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            preview: self.preview(text),
            count: 1,
        };
        self.offer(
            here,
            users,
            JobConversation::Notification(n.name.clone()),
            offer,
        );
    }

    /// The users whose debounce is up, with their offers.
    pub(super) fn take_due(&self, now: Instant) -> Vec<(UserKey, HashMap<JobConversation, Offer>)> {
        let mut pending = self.pending.lock();
        let due: Vec<UserKey> = pending
            .iter()
            .filter(|(_, g)| g.due <= now)
            .map(|(k, _)| *k)
            .collect();
        due.into_iter()
            .filter_map(|k| pending.remove(&k).map(|g| (k, g.offers)))
            .collect()
    }

    /// How many users have offers gathering.
    pub fn waiting(&self) -> usize {
        self.pending.lock().len()
    }
}
