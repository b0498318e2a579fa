//! Background upkeep on threads of its own (the cache's version watcher, the search index's
//! merges, the summaries' refresh). A job holds weak references to what it uses, so that it
//! keeps nothing alive between ticks and ends once the server that owns those things is gone.

use std::sync::{Arc, Weak};
use std::time::Duration;

/// What a job holds between ticks: a [`Weak`], or a pair of them.
pub trait Held: Send + 'static {
    /// What a tick is given.
    type Strong;
    /// What a tick is given, or `None` once any of it is gone.
    fn upgrade(&self) -> Option<Self::Strong>;
}

impl<T: ?Sized + Send + Sync + 'static> Held for Weak<T> {
    type Strong = Arc<T>;

    fn upgrade(&self) -> Option<Arc<T>> {
        Weak::upgrade(self)
    }
}

impl<A: Held, B: Held> Held for (A, B) {
    type Strong = (A::Strong, B::Strong);

    fn upgrade(&self) -> Option<Self::Strong> {
        Some((self.0.upgrade()?, self.1.upgrade()?))
    }
}

/// Runs `tick` on a thread of its own every `interval`, for as long as what it holds lives.
pub fn every<H: Held>(
    name: &str,
    held: H,
    interval: Duration,
    tick: impl FnMut(&H::Strong) + Send + 'static,
) {
    repeat(name, held, interval, interval, tick);
}

/// As [`every`], with the first tick straight away (on the thread, not holding up the caller).
pub fn now_and_every<H: Held>(
    name: &str,
    held: H,
    interval: Duration,
    tick: impl FnMut(&H::Strong) + Send + 'static,
) {
    repeat(name, held, Duration::ZERO, interval, tick);
}

fn repeat<H: Held>(
    name: &str,
    held: H,
    first: Duration,
    interval: Duration,
    mut tick: impl FnMut(&H::Strong) + Send + 'static,
) {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut wait = first;
            loop {
                std::thread::sleep(wait);
                wait = interval;
                let Some(strong) = held.upgrade() else {
                    return;
                };
                tick(&strong);
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!(error = %e, thread = name, "cannot start"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_held_only_while_both_live() {
        let (db, cache) = (Arc::new(1), Arc::new("cache"));
        let held = (Arc::downgrade(&db), Arc::downgrade(&cache));
        assert!(matches!(held.upgrade(), Some((d, c)) if *d == 1 && *c == "cache"));
        drop(cache);
        assert!(held.upgrade().is_none(), "a job ends once either is gone");
        assert!(Held::upgrade(&held.0).is_some());
    }
}
