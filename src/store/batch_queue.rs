//! A queue of writes committed in batches, as messages are: writes wait while the previous
//! batch commits, then go to the database in one transaction. A burst costs a few commits, not
//! one each, and plain sends do not wait behind it (their own writers run beside it).
//! Reactions and read positions go this way. The queue is bounded like the message queue:
//! past the limit a write is refused at once (`IM:Unavailable`).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::StoreError;

/// The most writes one transaction takes.
const MAX_BATCH: usize = 512;

/// What to do with a write's outcome, called once from the writer's thread.
type Then<O> = Box<dyn FnOnce(Result<O, StoreError>) + Send>;

/// A queued write and who waits for it.
struct Job<W, O> {
    write: W,
    then: Then<O>,
}

/// The sending side: cheap to clone.
pub(super) struct BatchQueue<W, O> {
    jobs: mpsc::UnboundedSender<Job<W, O>>,
    pending: Arc<watch::Sender<usize>>,
    limit: usize,
    /// What the writes are, for a refusal's text.
    what: &'static str,
}

impl<W, O> Clone for BatchQueue<W, O> {
    fn clone(&self) -> Self {
        BatchQueue {
            jobs: self.jobs.clone(),
            pending: self.pending.clone(),
            limit: self.limit,
            what: self.what,
        }
    }
}

impl<W: Send + 'static, O: Send + 'static> BatchQueue<W, O> {
    /// A queue of at most `limit` waiting writes of `what`, and the writer that commits them
    /// with `apply` (one outcome per write, in order), to run on the writers' thread.
    pub(super) fn new<F, Fut>(
        limit: usize,
        what: &'static str,
        apply: F,
    ) -> (Self, impl Future<Output = ()>)
    where
        F: Fn(Vec<W>) -> Fut,
        Fut: Future<Output = Result<Vec<O>, StoreError>>,
    {
        let (jobs, mut queued) = mpsc::unbounded_channel::<Job<W, O>>();
        let pending = Arc::new(watch::Sender::new(0));
        let counter = pending.clone();
        let writer = async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (writes, waiting): (Vec<W>, Vec<Then<O>>) =
                    batch.drain(..).map(|j| (j.write, j.then)).unzip();
                let size = writes.len();
                let outcomes = apply(writes).await;
                counter.send_modify(|n| *n -= size);
                match outcomes {
                    Ok(outcomes) => {
                        for (then, outcome) in waiting.into_iter().zip(outcomes) {
                            then(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, size, what, "a batch failed to commit");
                        let why = e.to_string();
                        for then in waiting {
                            then(Err(StoreError::Unavailable(why.clone())));
                        }
                    }
                }
            }
        };
        let queue = BatchQueue {
            jobs,
            pending,
            limit,
            what,
        };
        (queue, writer)
    }

    /// Queues `write` for the next batch; `then` gets its outcome once the batch commits (or
    /// at once, refused, past the limit).
    pub(super) fn push(&self, write: W, then: impl FnOnce(Result<O, StoreError>) + Send + 'static) {
        let admitted = self.pending.send_if_modified(|n| {
            let room = *n < self.limit;
            *n += usize::from(room);
            room
        });
        if !admitted {
            crate::metrics::metrics().writes_shed.inc();
            return then(Err(StoreError::Unavailable(format!(
                "too many {} are waiting for the database",
                self.what
            ))));
        }
        let job = Job {
            write,
            then: Box::new(then),
        };
        if let Err(mpsc::error::SendError(job)) = self.jobs.send(job) {
            self.pending.send_modify(|n| *n -= 1);
            (job.then)(Err(StoreError::Unavailable(
                "the writer has stopped".into(),
            )));
        }
    }

    /// Waits until nothing queued is left unanswered.
    pub(super) async fn drained(&self) {
        let _ = self.pending.subscribe().wait_for(|n| *n == 0).await;
    }
}
