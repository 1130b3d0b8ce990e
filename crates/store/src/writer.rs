//! Group commit (DESIGN.md §3): one writer task runs queued write jobs in one transaction per batch, each job in a
//! savepoint of its own, and answers every job only after its batch has committed.
//!
//! Every write transaction takes the audit chain's lock, so writes run one at a time whatever their number. Run
//! alone, each also pays its own commit: on SQLite an fsync and a write of every page it touched (the audit head,
//! each index), on PostgreSQL a WAL flush. Queued jobs instead share one lock, one commit and the shared pages.
//! Jobs run in the order they were queued, so a later job sees what an earlier one in the same batch wrote (two
//! bookings of one slot in one batch: the second finds the first and is refused). A job that fails is rolled back
//! to its savepoint and answered with its error; the others are unaffected. If the batch cannot commit, every job
//! in it is answered with that error, and none was written.

use crate::{Store, StoreError, Tx};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// At most this many jobs share one commit, so one batch does not keep the lock from other transactions for long.
const MAX_BATCH: usize = 64;

/// Tells a job's caller the outcome, given whether its batch committed.
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A queued job: runs in a savepoint, and says whether to keep it (its result succeeded) and how to answer.
pub(crate) type Job = Box<dyn for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, (bool, Finish)> + Send>;

pub(crate) type Queue = mpsc::UnboundedSender<Job>;

/// Starts the writer task for `store` (a clone without a queue of its own, so the task ends when the last store
/// handle that can queue jobs is dropped).
pub(crate) fn spawn(store: Store) -> Queue {
    let (send, recv) = mpsc::unbounded_channel();
    tokio::spawn(run(store, recv));
    send
}

async fn run(store: Store, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&store, batch).await;
    }
}

/// A failure that every job of the batch is answered with (the error itself cannot be cloned).
fn shared(e: &StoreError) -> StoreError {
    StoreError::Unreachable(format!("the batch of writes failed: {e}"))
}

async fn run_batch(store: &Store, batch: Vec<Job>) {
    // A job that is dropped unanswered (because the batch failed before it ran) tells its caller so through its
    // closed channel; see `Store::write`.
    let tx = match store.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "a batch of writes could not start");
            return;
        }
    };
    let mut finishes: Vec<Finish> = Vec::with_capacity(batch.len());
    for job in batch {
        let sp = match tx.savepoint().await {
            Ok(sp) => sp,
            Err(e) => return fail(tx, finishes, e).await,
        };
        let (keep, finish) = job(&sp).await;
        let settled = if keep {
            sp.release().await
        } else {
            sp.rollback().await
        };
        match settled {
            Ok(()) if keep => finishes.push(finish),
            Ok(()) => finish(Ok(())),
            Err(e) => {
                finish(Err(shared(&e)));
                return fail(tx, finishes, e).await;
            }
        }
    }
    match tx.commit().await {
        Ok(()) => finishes.into_iter().for_each(|f| f(Ok(()))),
        Err(e) => {
            tracing::error!(error = %e, "a batch of writes could not commit");
            finishes.into_iter().for_each(|f| f(Err(shared(&e))));
        }
    }
}

/// Gives up the whole batch: nothing of it is kept.
async fn fail(tx: Tx<'_>, finishes: Vec<Finish>, e: StoreError) {
    tracing::error!(error = %e, "a batch of writes was rolled back");
    let _ = tx.rollback().await;
    finishes.into_iter().for_each(|f| f(Err(shared(&e))));
}

impl Store {
    /// Runs `f` in the audit chain's locked transaction, batched with other queued writes (group commit), and
    /// returns its result once the batch is durable. An `Err` from `f` undoes everything `f` wrote.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        let Some(queue) = &self.queue else {
            // The writer's own handle (no queue): run alone.
            let tx = self.begin().await?;
            let t = f(&tx).await?;
            tx.commit().await?;
            return Ok(t);
        };
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |tx| {
            Box::pin(async move {
                let result = f(tx).await;
                let keep = result.is_ok();
                let finish: Finish = Box::new(move |committed| {
                    let _ = answer.send(match (result, committed) {
                        (Ok(t), Ok(())) => Ok(t),
                        (Ok(_), Err(e)) => Err(E::from(e)),
                        (Err(e), _) => Err(e),
                    });
                });
                (keep, finish)
            })
        });
        queue
            .send(job)
            .map_err(|_| E::from(StoreError::Unreachable("the writer has stopped".into())))?;
        answered.await.map_err(|_| {
            E::from(StoreError::Unreachable(
                "the batch of writes failed before this one ran".into(),
            ))
        })?
    }
}
