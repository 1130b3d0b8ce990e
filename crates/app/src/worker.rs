//! Background jobs (measure links, escalation, the outbox, sweeps) run so that no single failure or panic stops
//! the loop: a panicking job would otherwise end its task, and with it every reminder and escalation until the
//! server is restarted, while `/healthz` kept answering.

use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs one background job; an error or a panic is logged with the job's name, and the caller's loop goes on.
/// Returns the job's value when it succeeded.
pub async fn guarded<T, F>(what: &'static str, job: F) -> Option<T>
where
    F: Future<Output = crate::Result<T>>,
{
    match AssertUnwindSafe(job).catch_unwind().await {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::warn!(job = what, error = %e, "a background job failed; it runs again at the next tick");
            None
        }
        Err(_) => {
            tracing::error!(job = what, "a background job panicked; the worker goes on");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;

    #[tokio::test]
    async fn a_failing_or_panicking_job_leaves_the_loop_running() {
        let mut ran = Vec::new();
        for round in 0..3 {
            let done = guarded("test", async move {
                match round {
                    0 => panic!("a bug in a job"),
                    1 => Err(rapport_domain::Error::internal("the database went away")),
                    _ => Ok(round),
                }
            })
            .await;
            ran.push(done);
        }
        assert_eq!(ran, [None, None, Some(2)]);
    }
}
