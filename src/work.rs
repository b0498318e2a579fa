//! CPU- and memory-heavy work (image decoding and resizing, serving image files, password
//! hashing), run off the async workers and at most one task per core at a time: a burst of
//! uploads, renditions or logins queues here instead of holding a decoded picture or an argon2
//! block (19 MiB) for every request at once.

use std::num::NonZero;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

static HEAVY: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(slots()));

/// How many heavy tasks may run at once: one per core.
pub fn slots() -> usize {
    std::thread::available_parallelism().map_or(2, NonZero::get)
}

/// Runs `work` on the blocking pool once a core is free for it.
pub async fn heavy<T, F>(work: F) -> ApiResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _permit = HEAVY.acquire().await.map_err(ApiError::internal)?;
    Ok(actix_web::web::block(work).await?)
}

/// A short queue in front of [`heavy`] for one kind of work that anyone can ask for (password
/// checks): at most `running` at once, so that the other cores stay free for readers, and at
/// most `waiting` in line; beyond that a request is turned away at once (429 with `Retry-After`)
/// rather than piling up behind a flood.
pub struct Gate {
    running: Semaphore,
    /// One more place for priority callers, so that they never wait behind a flood.
    priority_lane: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Gives its place in line back however the wait ends (a client that hangs up included).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    /// A gate for `running` tasks at once and `max_waiting` more in line.
    pub fn new(running: usize, max_waiting: usize) -> Self {
        Self {
            running: Semaphore::new(running.max(1)),
            priority_lane: Semaphore::new(1),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// Half the cores, at least one: password checks never take the whole machine.
    pub fn half_the_cores(max_waiting: usize) -> Self {
        Self::new(slots() / 2, max_waiting)
    }

    /// Runs `work` when its turn comes; a `priority` caller is never turned away, and waits
    /// only for other priority callers (in a lane of its own).
    pub async fn run<T, F>(&self, priority: bool, work: F) -> ApiResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if priority && self.running.available_permits() == 0 {
            let _permit = self
                .priority_lane
                .acquire()
                .await
                .map_err(ApiError::internal)?;
            return heavy(work).await;
        }
        let _permit = match self.running.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
                let in_line = InLine(&self.waiting);
                if ahead >= self.max_waiting {
                    return Err(ApiError::TooManyRequests { retry_after: 1 });
                }
                let permit = self.running.acquire().await.map_err(ApiError::internal)?;
                drop(in_line);
                permit
            }
        };
        heavy(work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_full_line_turns_newcomers_away_but_priority_ones_pass() {
        let gate = std::sync::Arc::new(Gate::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let gate = gate.clone();
            actix_web::rt::spawn(async move { gate.run(false, move || hold.recv().is_ok()).await })
        };
        while gate.running.available_permits() > 0 {
            actix_web::rt::task::yield_now().await;
        }
        let queued = {
            let gate = gate.clone();
            actix_web::rt::spawn(async move { gate.run(false, || true).await })
        };
        while gate.waiting.load(Ordering::Acquire) == 0 {
            actix_web::rt::task::yield_now().await;
        }
        assert!(matches!(
            gate.run(false, || true).await,
            Err(ApiError::TooManyRequests { retry_after: 1 })
        ));
        assert!(
            gate.run(true, || true).await.unwrap(),
            "not behind the line"
        );
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert!(queued.await.unwrap().unwrap());
    }
}
