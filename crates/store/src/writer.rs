//! Group commit (DESIGN.md §3): one writer task runs queued write jobs in one transaction per batch, each job in a
//! savepoint of its own, and answers every job only after its batch has committed.
//!
//! Every write transaction takes the writers' turn, so writes run one at a time whatever their number. Run
//! alone, each also pays its own commit: on SQLite an fsync and a write of every page it touched (the audit head,
//! each index), on PostgreSQL a WAL flush. Queued jobs instead share one lock, one commit and the shared pages.
//! Jobs run in the order they were queued, so a later job sees what an earlier one in the same batch wrote (two
//! bookings of one slot in one batch: the second finds the first and is refused). A job that fails is rolled back
//! to its savepoint and answered with its error; the others are unaffected. If the batch cannot commit, every job
//! in it is answered with that error, and none was written.
//!
//! No job can stop the writer: a job that panics is rolled back to its savepoint and answered with an internal
//! error like any failed job (one booking with an impossible date once killed the task, and every later booking
//! failed until a restart). Should the task end anyway, a supervisor starts it again on the same queue, and
//! `Store::writer_running` (read by `/readyz`) is false until it runs.
//!
//! On PostgreSQL a second lane (`Lane::ReadAudits`) batches reads' audit entries the same way, in transactions that
//! take no writers' turn: a read's entry waits for the heads of the chains it goes to, never for a booking.

use crate::{Store, StoreError, Tx};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// At most this many jobs share one commit, so one batch does not keep the lock from other transactions for long.
const MAX_BATCH: usize = 64;

/// Tells a job's caller the outcome, given whether its batch committed.
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A queued job: runs in a savepoint, and says whether to keep it (its result succeeded) and how to answer.
pub(crate) type Job = Box<dyn for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, (bool, Finish)> + Send>;

/// How a store handle reaches the writer: its queue, and whether the task is running.
#[derive(Clone)]
pub(crate) struct Queue {
    send: mpsc::UnboundedSender<Job>,
    running: Arc<AtomicBool>,
}

impl Queue {
    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst) && !self.send.is_closed()
    }
}

/// How long the supervisor waits before starting a writer that stopped, so a fault that repeats does not spin.
const RESTART_PAUSE: Duration = Duration::from_millis(200);

/// What a lane's batches are: writes (holding the writers' turn) or reads' audit entries (holding none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    Writes,
    ReadAudits,
}

/// Starts the task of `lane` for `store` (a clone without queues of its own, so the task ends when the last store
/// handle that can queue jobs is dropped), under a supervisor that restarts it if it ever stops otherwise.
pub(crate) fn spawn(store: Store, lane: Lane) -> Queue {
    let (send, recv) = mpsc::unbounded_channel();
    // The receiver outlives any one run of the task, so jobs queued while it restarts are kept.
    let recv = Arc::new(Mutex::new(recv));
    let running = Arc::new(AtomicBool::new(true));
    tokio::spawn(supervise(running.clone(), RESTART_PAUSE, move || {
        run(store.clone(), lane, recv.clone())
    }));
    Queue { send, running }
}

/// Runs `body` as a task of its own until it returns (its queue closed); if it panics instead, marks the writer
/// down, waits `pause`, and starts it again.
async fn supervise<F, Fut>(running: Arc<AtomicBool>, pause: Duration, body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        running.store(true, Ordering::SeqCst);
        let ended = tokio::spawn(body()).await;
        running.store(false, Ordering::SeqCst);
        match ended {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(error = %e, "the group-commit writer stopped; starting it again");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

async fn run(store: Store, lane: Lane, queue: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let mut queue = queue.lock().await;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&store, lane, batch).await;
    }
}

/// A failure that every job of the batch is answered with (the error itself cannot be cloned).
fn shared(e: &StoreError) -> StoreError {
    match e {
        // Kept apart so that its caller hears "the disk is full" (507), not a vague failure.
        StoreError::DiskFull(m) => StoreError::DiskFull(format!("the batch of writes failed: {m}")),
        _ => StoreError::Unreachable(format!("the batch of writes failed: {e}")),
    }
}

async fn run_batch(store: &Store, lane: Lane, batch: Vec<Job>) {
    // A job that is dropped unanswered (because the batch failed before it ran) tells its caller so through its
    // closed channel; see `Store::write`.
    let began = match lane {
        Lane::Writes => store.begin().await,
        Lane::ReadAudits => store.begin_append().await,
    };
    let tx = match began {
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
        // A panic is caught here as well as in `Store::write`: if it escapes a job's own guard, the job's answer
        // is dropped unanswered (its caller hears so) and only its savepoint is undone.
        let (keep, finish) = match AssertUnwindSafe(async { job(&sp).await })
            .catch_unwind()
            .await
        {
            Ok((keep, finish)) => (keep, Some(finish)),
            Err(_) => {
                tracing::error!("a queued write panicked; it was undone and the others go on");
                (false, None)
            }
        };
        let settled = if keep {
            sp.release(&tx).await
        } else {
            sp.rollback().await
        };
        match (settled, finish) {
            (Ok(()), Some(finish)) if keep => finishes.push(finish),
            (Ok(()), Some(finish)) => finish(Ok(())),
            (Ok(()), None) => {}
            (Err(e), finish) => {
                if let Some(finish) = finish {
                    finish(Err(shared(&e)));
                }
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
    // A rollback that fails leaves the connection counting itself inside a transaction; the pool never hands
    // it out again (`full_disk::reusable`), so nothing later can be written into a transaction that never ends.
    if let Err(rollback) = tx.rollback().await {
        tracing::error!(error = %rollback, "the failed batch could not be rolled back; its connection is dropped");
    }
    finishes.into_iter().for_each(|f| f(Err(shared(&e))));
}

impl Store {
    /// Runs `f` in a transaction holding the writers' turn, batched with other queued writes (group commit), and
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
        queue_on(queue, f).await
    }
}

/// Queues `f` on `queue` and waits for its answer, given once its batch is durable.
pub(crate) async fn queue_on<T, E, F>(queue: &Queue, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'t> FnOnce(&'t Tx<'t>) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
{
    let (answer, answered) = oneshot::channel::<Result<T, E>>();
    let job: Job = Box::new(move |tx| {
        Box::pin(async move {
            // A panic in `f` (a bug, an overflow) fails this job alone, with an internal error.
            let result = match AssertUnwindSafe(async move { f(tx).await })
                .catch_unwind()
                .await
            {
                Ok(result) => result,
                Err(_) => Err(E::from(StoreError::Panicked)),
            };
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
        .send
        .send(job)
        .map_err(|_| E::from(StoreError::Unreachable("the writer has stopped".into())))?;
    answered.await.map_err(|_| {
        E::from(StoreError::Unreachable(
            "the write was dropped before it could be answered".into(),
        ))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn a_writer_that_panics_is_started_again_and_is_down_meanwhile() {
        let running = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicUsize::new(0));
        let (ended, mut ended_rx) = mpsc::unbounded_channel::<usize>();
        let body = {
            let runs = runs.clone();
            move || {
                let (runs, ended) = (runs.clone(), ended.clone());
                async move {
                    let n = runs.fetch_add(1, Ordering::SeqCst);
                    let _ = ended.send(n);
                    // The first two runs die; the third returns normally, as when the queue closes.
                    assert!(n >= 2, "run {n} dies");
                }
            }
        };
        let supervisor = tokio::spawn(supervise(running.clone(), Duration::from_millis(300), body));
        assert_eq!(ended_rx.recv().await, Some(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !running.load(Ordering::SeqCst),
            "down while waiting to restart"
        );
        assert_eq!(ended_rx.recv().await, Some(1));
        assert_eq!(ended_rx.recv().await, Some(2));
        supervisor.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3, "restarted after each panic");
    }

    async fn note(store: &Store, what: &'static str) -> Result<(), StoreError> {
        store
            .write(move |tx| {
                Box::pin(async move {
                    tx.audit(crate::audit::AuditEvent::anonymous(what, "test"))
                        .await
                })
            })
            .await
    }

    /// Panicking jobs queued among good ones: each is answered with an internal error, the good ones of the same
    /// batch commit, and the writer keeps serving.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_that_panics_fails_alone_and_the_writer_goes_on() {
        let dir = std::env::temp_dir().join(format!("rapport-writer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let keyring = crate::Keyring::create(&dir.join("keyring.json")).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("w.db").display());
        let store = Store::open(&url, &keyring).await.unwrap();
        let boom = || {
            let store = store.clone();
            async move {
                store
                    .write(|_tx| -> BoxFuture<'_, Result<(), StoreError>> {
                        Box::pin(async move {
                            let t = chrono::DateTime::<chrono::Utc>::MAX_UTC;
                            // The overflow that once killed the writer.
                            let _ = t + chrono::Duration::hours(4);
                            Ok(())
                        })
                    })
                    .await
            }
        };
        let (a, b, c, d) = tokio::join!(
            note(&store, "before"),
            boom(),
            note(&store, "after"),
            boom()
        );
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        assert!(matches!(b, Err(StoreError::Panicked)), "{b:?}");
        assert!(matches!(d, Err(StoreError::Panicked)), "{d:?}");
        assert!(note(&store, "later").await.is_ok());
        assert!(store.writer_running());
        let report = store.verify_audit().await.unwrap();
        assert!(report.first_broken.is_none(), "{report:?}");
        assert_eq!(
            report.entries, 3,
            "before, after, later: nothing of the panicking jobs"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
