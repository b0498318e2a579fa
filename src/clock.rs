//! The time the server's timers read (the login throttle's backoff, the rate limits shared
//! through PostgreSQL): the system's, or in a test one it can move forward, so that a test of a
//! wait does not have to wait.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// A source of [`Instant`]s: the system clock, unless made by a [`ClockControl`].
#[derive(Clone, Default)]
pub struct Clock {
    /// How far its control has moved this clock ahead of the system's, in nanoseconds.
    ahead: Option<Arc<AtomicU64>>,
    /// Set when its control froze it: the instant and the wall time it stands at, before
    /// `ahead`.
    frozen: Option<Arc<OnceLock<(Instant, SystemTime)>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The time now.
    pub fn now(&self) -> Instant {
        let now = self
            .frozen
            .as_ref()
            .and_then(|frozen| frozen.get().map(|(at, _)| *at))
            .unwrap_or_else(Instant::now);
        now.checked_add(self.ahead()).unwrap_or(now)
    }

    /// The wall time now, in microseconds since the Unix epoch: what instances sharing limits
    /// through the database compare (an [`Instant`] means nothing to another process).
    pub fn unix_micros(&self) -> i64 {
        let now = self
            .frozen
            .as_ref()
            .and_then(|frozen| frozen.get().map(|(_, wall)| *wall))
            .unwrap_or_else(SystemTime::now);
        let now = now.checked_add(self.ahead()).unwrap_or(now);
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }

    /// How far its control has moved it.
    fn ahead(&self) -> Duration {
        self.ahead.as_ref().map_or(Duration::ZERO, |ahead| {
            Duration::from_nanos(ahead.load(Ordering::Acquire))
        })
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ahead {
            None => f.write_str("Clock::system()"),
            Some(ahead) => write!(
                f,
                "Clock(system + {:?})",
                Duration::from_nanos(ahead.load(Ordering::Acquire))
            ),
        }
    }
}

/// Moves a [`Clock`] forward: the clock runs with the system's, plus every `advance` so far.
/// Only code that holds the control (a test harness) can move it; the server only reads.
#[derive(Debug, Clone, Default)]
pub struct ClockControl {
    ahead: Arc<AtomicU64>,
    frozen: Arc<OnceLock<(Instant, SystemTime)>>,
}

impl ClockControl {
    /// A control whose clock starts at the system's time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock it moves, to hand to the server.
    pub fn clock(&self) -> Clock {
        Clock {
            ahead: Some(Arc::clone(&self.ahead)),
            frozen: Some(Arc::clone(&self.frozen)),
        }
    }

    /// Stops its clock where it is: from now on it moves only by `advance`, so a test's
    /// assertions about a wait hold however slowly a loaded machine runs the test.
    pub fn freeze(&self) {
        let _ = self.frozen.set((Instant::now(), SystemTime::now()));
    }

    /// Moves its clock forward by `by` (saturating at about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .ahead
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_is_not_moved_and_a_controlled_one_is() {
        let control = ClockControl::new();
        let (system, moved) = (Clock::system(), control.clock());
        let before = moved.now();
        control.advance(Duration::from_secs(60));
        assert!(moved.now() >= before + Duration::from_secs(60));
        assert!(system.now() < before + Duration::from_secs(60));
        assert!(
            control.clock().now() >= before + Duration::from_secs(60),
            "one clock"
        );
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let control = ClockControl::new();
        control.freeze();
        let clock = control.clock();
        let (at, wall) = (clock.now(), clock.unix_micros());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!((clock.now(), clock.unix_micros()), (at, wall));
        control.advance(Duration::from_secs(2));
        assert_eq!(clock.now(), at + Duration::from_secs(2));
        assert_eq!(clock.unix_micros(), wall + 2_000_000);
    }
}
