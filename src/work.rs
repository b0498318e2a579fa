//! CPU- and memory-heavy work (image decoding and resizing, serving image files, password
//! hashing), run off the async workers and at most one task per core at a time: a burst of
//! uploads, renditions or logins queues here instead of holding a decoded picture or an argon2
//! block (19 MiB) for every request at once.

use std::num::NonZero;
use std::sync::LazyLock;

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
