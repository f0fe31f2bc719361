//! Where the mock reads the time that moves tasks on ([`Timing::WallClock`]) and expires
//! them (the task TTL): the system's monotonic clock, or a [`ManualClock`] a test advances.
//!
//! [`Timing::WallClock`]: crate::Timing::WallClock

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A clock that moves only when told, so a test of timing never waits on the wall clock.
/// Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use mulerouter_kling_mock::{ManualClock, MockMuleRouter, Timing};
///
/// let clock = ManualClock::new();
/// let core = MockMuleRouter::builder()
///     .timing(Timing::WallClock { pending: Duration::from_secs(60), processing: Duration::from_secs(60) })
///     .clock(clock.clone())
///     .build_core("http://mock.test");
/// // … create a task, then:
/// clock.advance(Duration::from_secs(61)); // the task is `processing` now
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    elapsed: Arc<Mutex<Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock that stands still until [`advance`](Self::advance)d.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Arc::default(),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut elapsed = self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        *elapsed = elapsed.saturating_add(by);
    }

    fn now(&self) -> Instant {
        let elapsed = *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

/// The clock tasks are timed by.
#[derive(Debug, Clone, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Self::System => Instant::now(),
            Self::Manual(clock) => clock.now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let clock = ManualClock::new();
        let shared = Clock::Manual(clock.clone());
        let before = shared.now();

        clock.advance(Duration::from_secs(5));

        assert_eq!(shared.now() - before, Duration::from_secs(5));
    }
}
