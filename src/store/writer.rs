//! Group commit: messages wait in a queue while the previous batch commits, then go to the
//! database together in one transaction. A sender's `ack` waits for its batch; a hot pod
//! commits hundreds of messages per transaction instead of one.
//!
//! The queue is bounded pod-wide: past `limits.max_pending_writes` messages waiting, a send is
//! refused at once with `IM:Unavailable`. Without the bound, a database slower than the
//! offered load let the queue, and the pod's memory, grow without end (the soak's lesson).
//!
//! Conversations are spread over shards (one on SQLite, which writes one transaction at a
//! time anyway; several on PostgreSQL). One conversation always uses the same shard, so its
//! messages commit in the order their ids were given.

use std::sync::Arc;

use actix::Arbiter;
use sea_orm::DbBackend;
use tokio::sync::{mpsc, watch};

use super::batch_queue::BatchQueue;
use super::presence_writer::PresenceWrite;
use super::reactions::{ReactionOutcome, ReactionWrite};
use super::read_positions::ReadMark;
use super::{Conversation, NewMessage, Store, StoreError, Stored};

/// The most messages one transaction takes.
const MAX_BATCH: usize = 512;

struct Job {
    message: NewMessage,
    done: Done,
}

/// What to do with a message's outcome: called once, from the writer's thread, right after
/// its batch commits (no task or channel per message). Dropped unanswered (the writer
/// stopped), it answers `IM:Unavailable`.
struct Done(Option<Box<Then>>);

/// The callback a queued message carries.
type Then = dyn FnOnce(Result<Stored, StoreError>) + Send;

impl Done {
    fn answer(mut self, outcome: Result<Stored, StoreError>) {
        if let Some(then) = self.0.take() {
            then(outcome);
        }
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        if let Some(then) = self.0.take() {
            then(Err(StoreError::Unavailable(
                "the writer has stopped".into(),
            )));
        }
    }
}

/// A handle to the pod's writers: cheap to clone, shared by every actor.
#[derive(Clone)]
pub struct Writer {
    shards: Vec<mpsc::UnboundedSender<Job>>,
    /// Presence changes, written in batches on the same thread (`presence_writer`).
    presence: mpsc::UnboundedSender<PresenceWrite>,
    /// Messages queued and not yet answered; `flush` waits for it to reach zero.
    pending: Arc<watch::Sender<usize>>,
    /// Presence changes queued and not yet written; `flush` waits for these too.
    presence_pending: Arc<watch::Sender<usize>>,
    /// Reactions, written in batches on the same thread.
    reactions: BatchQueue<ReactionWrite, ReactionOutcome>,
    /// Read positions, written in batches on the same thread.
    reads: BatchQueue<ReadMark, ()>,
    /// Sessions whose socket opened (id, address): their "last seen", in batches.
    seen: BatchQueue<(String, String), ()>,
    /// The most messages that may wait at once.
    limit: usize,
}

impl Writer {
    /// Starts the writers on a thread of their own; at most `limit` messages may wait.
    pub fn start(store: Store, limit: usize) -> Writer {
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
        let (presence, changes) = mpsc::unbounded_channel();
        let presence_pending = Arc::new(watch::Sender::new(0));
        arbiter.spawn(super::presence_writer::run(
            store.clone(),
            changes,
            presence_pending.clone(),
        ));
        let reacting = store.clone();
        let (reactions, writer) = BatchQueue::new(limit, "reactions", move |writes| {
            let store = reacting.clone();
            async move { store.apply_reactions(&writes).await }
        });
        arbiter.spawn(writer);
        let reading = store.clone();
        let (reads, writer) = BatchQueue::new(limit, "reads", move |marks| {
            let store = reading.clone();
            async move { store.mark_reads(marks).await }
        });
        arbiter.spawn(writer);
        let seeing = store.clone();
        let (seen, writer) = BatchQueue::new(limit, "session sightings", move |seen| {
            let store = seeing.clone();
            async move { store.touch_sessions(&seen).await }
        });
        arbiter.spawn(writer);
        Writer {
            shards,
            presence,
            pending,
            presence_pending,
            reactions,
            reads,
            seen,
            limit,
        }
    }

    /// Queues `message` for the next batch of its conversation's shard. Queueing is
    /// synchronous, so messages queued in an order commit in that order. `then` gets the
    /// outcome: on the writer's thread once the batch commits, or here and now if refused.
    pub fn queue(
        &self,
        message: NewMessage,
        then: impl FnOnce(Result<Stored, StoreError>) + Send + 'static,
    ) {
        let done = Done(Some(Box::new(then)));
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
        let admitted = self.pending.send_if_modified(|n| {
            let room = *n < self.limit;
            *n += usize::from(room);
            crate::metrics::metrics().writes_pending.set(*n as i64);
            room
        });
        if !admitted {
            crate::metrics::metrics().writes_shed.inc();
            return done.answer(Err(StoreError::Unavailable(
                "too many messages are waiting for the database".into(),
            )));
        }
        if let Err(mpsc::error::SendError(job)) = self.shards[shard].send(Job { message, done }) {
            self.pending.send_modify(|n| *n -= 1);
            job.done.answer(Err(StoreError::Unavailable(
                "the writer has stopped".into(),
            )));
        }
    }

    /// Queues a reaction for the next reaction batch; `then` gets its outcome once the batch
    /// commits (or at once, refused, past the pod's limit of waiting writes).
    pub fn react(
        &self,
        write: ReactionWrite,
        then: impl FnOnce(Result<ReactionOutcome, StoreError>) + Send + 'static,
    ) {
        self.reactions.push(write, then);
    }

    /// Notes that a socket of session `id` opened from `ip` (best effort: its "last seen").
    pub fn seen(&self, id: String, ip: String) {
        self.seen.push((id, ip), |_| {});
    }

    /// Queues a read for the next batch of reads; `then` hears once it is committed (or at
    /// once, refused, past the pod's limit of waiting writes).
    pub fn read(&self, mark: ReadMark, then: impl FnOnce(Result<(), StoreError>) + Send + 'static) {
        self.reads.push(mark, then);
    }

    /// Queues a presence change for the next presence batch.
    pub fn presence(&self, change: PresenceWrite) {
        self.presence_pending.send_modify(|n| *n += 1);
        if self.presence.send(change).is_err() {
            self.presence_pending.send_modify(|n| *n -= 1);
        }
    }

    /// Waits (up to ten seconds) until every queued message, reaction and read is committed
    /// or refused and every queued presence change is written: the last step of a graceful
    /// shutdown.
    pub async fn flush(&self) {
        let (mut messages, mut presence) =
            (self.pending.subscribe(), self.presence_pending.subscribe());
        let drained = async {
            let _ = messages.wait_for(|n| *n == 0).await;
            let _ = presence.wait_for(|n| *n == 0).await;
            self.reactions.drained().await;
            self.reads.drained().await;
        };
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
        let outcomes = commit(&store, &messages).await;
        // Room first: a sender told of its commit may send again at once.
        pending.send_modify(|n| {
            *n -= size;
            m.writes_pending.set(*n as i64);
        });
        m.commit_seconds.observe(started.elapsed().as_secs_f64());
        for (message, outcome) in messages.iter().zip(&outcomes) {
            if matches!(outcome, Ok(Stored::New)) {
                m.messages_stored
                    .with_label_values(&[message.to.kind()])
                    .inc();
            }
        }
        for (done, outcome) in waiting.into_iter().zip(outcomes) {
            done.answer(outcome);
        }
    }
}

/// Commits `messages` in one transaction and gives each its outcome. When the database refuses
/// a value (one row's fault, not the connection's), the batch is split in halves and each
/// committed again, in order, until the rows at fault stand alone: only their senders get the
/// error. A connection failure fails the whole batch at once, with no retries.
async fn commit(store: &Store, messages: &[NewMessage]) -> Vec<Result<Stored, StoreError>> {
    let mut outcomes = Vec::with_capacity(messages.len());
    let mut parts = vec![messages];
    while let Some(part) = parts.pop() {
        match store.insert_messages(part).await {
            Ok(stored) => outcomes.extend(stored.into_iter().map(Ok)),
            Err(StoreError::Refused(why)) if part.len() > 1 => {
                tracing::warn!(%why, size = part.len(), "a batch holds a refused row; splitting it");
                let (first, second) = part.split_at(part.len() / 2);
                parts.push(second);
                parts.push(first);
            }
            Err(e) => {
                tracing::warn!(error = %e, size = part.len(), "messages failed to commit");
                let why = e.to_string();
                outcomes.extend(
                    part.iter()
                        .map(|_| Err(StoreError::Unavailable(why.clone()))),
                );
            }
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;

    fn message(id: i64) -> NewMessage {
        NewMessage::text(
            id,
            uuid::Uuid::new_v4(),
            "a",
            Conversation::User(uuid::Uuid::new_v4()),
            "x".into(),
        )
    }

    fn shed(outcome: &Result<Stored, StoreError>) -> bool {
        matches!(outcome, Err(StoreError::Unavailable(why)) if why.contains("too many"))
    }

    #[actix_rt::test]
    async fn past_the_limit_a_send_is_refused_at_once_and_room_comes_back() {
        let config = DatabaseConfig {
            url: "sqlite::memory:".into(),
            ..Default::default()
        };
        let writer = Writer::start(Store::open(&config).await.unwrap(), 2);
        let queue = |id| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            writer.queue(message(id), move |outcome| {
                let _ = tx.send(outcome);
            });
            rx
        };
        let first = queue(1);
        let second = queue(2);
        let mut third = queue(3);
        // Answered before the writer ran at all: nothing waits for the database.
        let refused = third.try_recv().expect("answered at once");
        assert!(shed(&refused), "{refused:?}");
        // The admitted ones get the database's own answer (this one has no tables).
        for admitted in [first, second] {
            assert!(!shed(&admitted.await.unwrap()));
        }
        let fourth = queue(4).await.unwrap();
        assert!(!shed(&fourth), "{fourth:?}");
    }
}
