//! Presence is written in batches, as messages are. Every connect and every last disconnect
//! of a user records the card's state and last-online time, and so does a pod that finds
//! another pod gone (for that pod's users). Written one by one, each was a
//! transaction with its own commit, and a reconnect storm of 10,000 users paid 10,000 commits
//! (about 1.3 s of a 12.5 s storm). Changes now queue while the previous batch commits; a
//! batch keeps each user's latest change and commits once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::Store;

/// The most changes one transaction takes.
const MAX_BATCH: usize = 1024;

/// A user's presence changed at `at`.
pub struct PresenceWrite {
    pub tenant_id: Option<Uuid>,
    pub user_id: Uuid,
    pub online: bool,
    pub at: DateTime<Utc>,
}

/// Writes queued presence changes, batch after batch, until the queue closes.
pub(super) async fn run(
    store: Store,
    mut changes: mpsc::UnboundedReceiver<PresenceWrite>,
    pending: std::sync::Arc<tokio::sync::watch::Sender<usize>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while changes.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let received = batch.len();
        // In queue order, so each user's latest change wins.
        let mut latest = HashMap::with_capacity(batch.len());
        for c in batch.drain(..) {
            latest.insert((c.tenant_id, c.user_id), c);
        }
        let rows: Vec<_> = latest.into_values().collect();
        if let Err(e) = store.set_presences(&rows).await {
            tracing::debug!(error = %e, size = rows.len(), "could not record presence");
        }
        pending.send_modify(|n| *n -= received);
    }
}
