//! Group commit: messages wait in a queue while the previous batch commits, then go to the
//! database together in one transaction. A sender's `ack` waits for its batch; a hot pod
//! commits hundreds of messages per transaction instead of one.
//!
//! Conversations are spread over shards (one on SQLite, which writes one transaction at a
//! time anyway; several on PostgreSQL). One conversation always uses the same shard, so its
//! messages commit in the order their ids were given.

use std::sync::Arc;

use actix::Arbiter;
use sea_orm::DbBackend;
use tokio::sync::{mpsc, oneshot, watch};

use super::{Conversation, NewMessage, Store, StoreError, Stored};

/// The most messages one transaction takes.
const MAX_BATCH: usize = 512;

struct Job {
    message: NewMessage,
    done: oneshot::Sender<Result<Stored, StoreError>>,
}

/// A handle to the pod's writers: cheap to clone, shared by every actor.
#[derive(Clone)]
pub struct Writer {
    shards: Vec<mpsc::UnboundedSender<Job>>,
    /// Messages queued and not yet answered; `flush` waits for it to reach zero.
    pending: Arc<watch::Sender<usize>>,
}

impl Writer {
    /// Starts the writers on a thread of their own.
    pub fn start(store: Store) -> Writer {
        let count = if store.backend() == DbBackend::Postgres {
            4
        } else {
            1
        };
        let arbiter = Arbiter::new();
        let pending = Arc::new(watch::Sender::new(0));
        let shards = (0..count)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                arbiter.spawn(run(store.clone(), rx, pending.clone()));
                tx
            })
            .collect();
        Writer { shards, pending }
    }

    /// Queues `message` for the next batch of its conversation's shard. Queueing is
    /// synchronous, so messages queued in an order commit in that order; await the returned
    /// receiver for the outcome.
    pub fn queue(&self, message: NewMessage) -> oneshot::Receiver<Result<Stored, StoreError>> {
        let (done, outcome) = oneshot::channel();
        let shard = match message.to {
            // Both directions of a private conversation share a shard: their counter rows
            // are then only ever locked by one writer (no deadlock between shards).
            Conversation::User(user) => {
                ((user.as_u128() ^ message.from.as_u128()) % self.shards.len() as u128) as usize
            }
            Conversation::Group(group) => {
                (group.unsigned_abs() % self.shards.len() as u64) as usize
            }
        };
        self.pending.send_modify(|n| *n += 1);
        if let Err(mpsc::error::SendError(job)) = self.shards[shard].send(Job { message, done }) {
            self.pending.send_modify(|n| *n -= 1);
            let _ = job.done.send(Err(StoreError::Unavailable(
                "the writer has stopped".into(),
            )));
        }
        outcome
    }

    /// Waits (up to ten seconds) until every queued message is committed or refused: the last
    /// step of a graceful shutdown.
    pub async fn flush(&self) {
        let mut pending = self.pending.subscribe();
        let drained = pending.wait_for(|n| *n == 0);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drained).await;
    }
}

async fn run(
    store: Store,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    pending: Arc<watch::Sender<usize>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (messages, waiting): (Vec<NewMessage>, Vec<_>) =
            batch.drain(..).map(|j| (j.message, j.done)).unzip();
        let size = messages.len();
        let m = crate::metrics::metrics();
        m.batch_size.observe(size as f64);
        let started = std::time::Instant::now();
        match store.insert_messages(&messages).await {
            Ok(outcomes) => {
                m.commit_seconds.observe(started.elapsed().as_secs_f64());
                for (message, outcome) in messages.iter().zip(&outcomes) {
                    if *outcome == Stored::New {
                        m.messages_stored
                            .with_label_values(&[message.to.kind()])
                            .inc();
                    }
                }
                for (done, outcome) in waiting.into_iter().zip(outcomes) {
                    let _ = done.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = messages.len(), "a batch of messages failed to commit");
                for done in waiting {
                    let _ = done.send(Err(StoreError::Unavailable(e.to_string())));
                }
            }
        }
        pending.send_modify(|n| *n -= size);
    }
}
