//! Reactions are written in batches, as messages are: they queue while the previous batch
//! commits, then go to the database in one transaction (`Store::apply_reactions`). A burst of
//! reactions costs a few commits, not one each, and plain sends do not wait behind them
//! (their own writers run beside this one).

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::reactions::{ReactionOutcome, ReactionWrite};
use super::{Store, StoreError};

/// The most reactions one transaction takes.
const MAX_BATCH: usize = 512;

/// What to do with a reaction's outcome, called once from the writer's thread.
pub(super) type Then = Box<dyn FnOnce(Result<ReactionOutcome, StoreError>) + Send>;

/// A queued reaction and who waits for it.
pub(super) struct ReactionJob {
    pub write: ReactionWrite,
    pub then: Then,
}

/// Writes queued reactions, batch after batch, until the queue closes.
pub(super) async fn run(
    store: Store,
    mut jobs: mpsc::UnboundedReceiver<ReactionJob>,
    pending: Arc<watch::Sender<usize>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (writes, waiting): (Vec<ReactionWrite>, Vec<Then>) =
            batch.drain(..).map(|j| (j.write, j.then)).unzip();
        let size = writes.len();
        let outcomes = store.apply_reactions(&writes).await;
        pending.send_modify(|n| *n -= size);
        match outcomes {
            Ok(outcomes) => {
                for (then, outcome) in waiting.into_iter().zip(outcomes) {
                    then(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size, "reactions failed to commit");
                let why = e.to_string();
                for then in waiting {
                    then(Err(StoreError::Unavailable(why.clone())));
                }
            }
        }
    }
}
