//! How many connections the server holds: within the files the process may open, with room kept
//! for its own.
//!
//! A connection is an open file. When accepting one fails for want of descriptors, actix stops
//! accepting for half a second at a time, and every client waits, `/healthz` too; the database
//! and the media store cannot open files either. So the listeners stop accepting a little before
//! the limit instead (they take connections again as others close), and the limit itself is
//! raised as far as the system allows at start.

/// Connections a worker holds at most by default (actix's own default).
const DEFAULT_PER_WORKER: usize = 25_000;

/// Raises the soft limit on open files to the hard limit; returns the limit now in force, or
/// `None` where it cannot be read.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
        if soft >= hard {
            return Some(soft);
        }
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => Some(hard),
            Err(e) => {
                tracing::warn!(soft, hard, error = %e, "cannot raise the open-files limit");
                Some(soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Descriptors kept for everything but client connections: database connections, image files
/// being read and written, the listener, logs.
fn reserve(open_files: u64) -> u64 {
    (open_files / 4).min(1024)
}

/// The connections each of `workers` may hold: `configured` (all workers together) or, unset,
/// actix's default; either way no more than the open-files limit leaves after the reserve.
pub fn per_worker(configured: Option<usize>, open_files: Option<u64>, workers: usize) -> usize {
    let workers = workers.max(1);
    let wanted = configured.unwrap_or(DEFAULT_PER_WORKER.saturating_mul(workers));
    let room = open_files.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(reserve(n))).unwrap_or(usize::MAX)
    });
    if configured.is_some_and(|n| n > room) {
        tracing::warn!(
            configured = wanted,
            room,
            "MASTHEAD_MAX_CONNECTIONS is more than the open-files limit allows; using {room}"
        );
    }
    (wanted.min(room) / workers).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_within_the_open_files_limit() {
        // Unset: actix's default, unless the descriptors run out first.
        assert_eq!(per_worker(None, Some(1_048_576), 2), 25_000);
        assert_eq!(per_worker(None, Some(20_000), 2), (20_000 - 1024) / 2);
        assert_eq!(per_worker(None, Some(1024), 4), 768 / 4);
        assert_eq!(per_worker(None, None, 2), 25_000);
        // Set: split between the workers, and still within the limit.
        assert_eq!(per_worker(Some(10_000), Some(1_048_576), 4), 2_500);
        assert_eq!(
            per_worker(Some(100_000), Some(20_000), 2),
            (20_000 - 1024) / 2
        );
        assert_eq!(per_worker(Some(1), Some(20_000), 8), 1);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        let Some(now) = raise_open_files_limit() else {
            return;
        };
        #[cfg(unix)]
        {
            let (soft, hard) =
                nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                    .expect("readable");
            assert_eq!(now, soft);
            assert_eq!(soft, hard);
        }
    }
}
