//! Threads of their own for database work: one per pooled connection, each taking the next job
//! from one queue as soon as it has finished the last.
//!
//! A job handed to the blocking pool behind a semaphore wakes a parked thread for each job: a
//! permit frees only when a job ends, and by the time the async side has queued the next one the
//! thread has gone to sleep. These threads find the next job already waiting while there is a
//! backlog, so a busy server wakes none of them (the cost of the hand-off is in
//! `bench/README.md`). The queue is first come, first served, as the semaphore was, and a job
//! whose request has gone before its turn is not run, as one waiting for a permit was not.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce() + Send>;

/// The queue of jobs and the threads that run them.
#[derive(Clone)]
pub struct Lanes {
    queue: mpsc::Sender<Job>,
    /// Jobs running now, for `/metrics`.
    running: Arc<AtomicUsize>,
}

impl Lanes {
    /// Starts `count` threads named `name-N`. They end when the last handle to the queue is
    /// dropped.
    pub fn start(count: usize, name: &str) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..count.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    loop {
                        // One thread waits in `recv` at a time; the others wait for the lock.
                        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match next {
                            Ok(job) => job(),
                            Err(mpsc::RecvError) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            queue,
            running: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// How many jobs are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs `work` on the next free thread and waits for its result. A job that panics is an
    /// internal error for its request; its thread goes on with the next job. If the request is
    /// dropped (its client hung up) before the job's turn, the job is not run: a write that
    /// never started is not made after its client has gone.
    pub async fn run<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce() -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let running = self.running.clone();
        let job: Job = Box::new(move || {
            if done.is_closed() {
                return;
            }
            running.fetch_add(1, Ordering::Relaxed);
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
            running.fetch_sub(1, Ordering::Relaxed);
            // The request may have gone (its client hung up): then nobody wants the result.
            let _ = done.send(outcome);
        });
        self.queue
            .send(job)
            .map_err(|_| ApiError::internal("the database threads have stopped"))?;
        match result.await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(ApiError::internal("a database job panicked")),
            Err(_) => Err(ApiError::internal("a database job was dropped unfinished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn reads_run_and_a_panic_fails_only_its_own() {
        let lanes = Lanes::start(2, "test").expect("threads start");
        let reads: Vec<_> = (0..50)
            .map(|i| {
                let lanes = lanes.clone();
                actix_web::rt::spawn(async move { lanes.run(move || Ok(i * 2)).await })
            })
            .collect();
        for (i, read) in reads.into_iter().enumerate() {
            assert_eq!(read.await.expect("the task ends").ok(), Some(i * 2));
        }
        let panicked = lanes
            .run(|| -> ApiResult<()> { panic!("a read that panics") })
            .await;
        assert!(matches!(panicked, Err(ApiError::Internal(_))));
        // Both threads are still there to run the next reads.
        for i in 0..4 {
            assert_eq!(lanes.run(move || Ok(i)).await.ok(), Some(i));
        }
        assert_eq!(lanes.running(), 0);
    }

    #[actix_web::test]
    async fn a_job_whose_request_has_gone_is_not_run() {
        let lanes = Lanes::start(1, "test").expect("threads start");
        let (release, held) = std::sync::mpsc::channel::<()>();
        // The one thread is busy until `release` sends.
        let busy = actix_web::rt::spawn({
            let lanes = lanes.clone();
            async move { lanes.run(move || Ok(held.recv().is_ok())).await }
        });
        while lanes.running() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let queued = {
            let ran = ran.clone();
            lanes.run(move || {
                ran.store(true, Ordering::SeqCst);
                Ok(())
            })
        };
        // Queued behind the busy job, then given up by its request.
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), queued).await;
        assert!(gave_up.is_err(), "the queued job cannot have run yet");
        release.send(()).expect("the busy job waits");
        assert_eq!(busy.await.expect("the task ends").ok(), Some(true));
        // A job queued after it runs, so the abandoned one has had its turn.
        assert_eq!(lanes.run(|| Ok(7)).await.ok(), Some(7));
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job ran");
    }
}
