//! When and how long to wait before trying a request again.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How the client retries failed requests.
///
/// Reads (`get`) are retried on 429, 500, 502, 503, 504 and transport errors. A create is
/// retried only when it certainly created nothing: a 429, or a connection that was never
/// made. Waits grow exponentially with *equal jitter*: the wait before retry `n` is drawn
/// uniformly from `[c/2, c]`, where `c = min(initial_backoff × 2^(n-1), max_backoff)`. Half
/// the window spreads clients that failed together; the other half guarantees a pause, so a
/// struggling server is never hit again at once. A `Retry-After` header wins when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The wait before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited out: the error is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1` (`attempt` counts from 1), or `None` to give up.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(asked) = retry_after {
            return (asked <= self.max_retry_after).then_some(asked);
        }
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // Equal jitter (see the type's docs): at least half the ceiling, at most all of it.
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(rand::random_range(
            nanos / 2..=nanos.max(1),
        )))
    }
}

/// Statuses worth retrying for a request that is safe to repeat.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` as seconds or as an HTTP date; a date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    #[test]
    fn retry_after_accepts_seconds() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_accepts_an_http_date() {
        let later = SystemTime::now() + Duration::from_secs(120);
        let parsed = retry_after(&headers(&httpdate::fmt_http_date(later))).unwrap();
        assert!(
            parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120),
            "{parsed:?}"
        );
    }

    #[test]
    fn retry_after_in_the_past_means_now_and_garbage_means_absent() {
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_is_equal_jitter_spread_over_the_upper_half_of_its_window() {
        // Arrange
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(1000),
            max_backoff: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(5),
        };

        // Act
        let draws: Vec<Duration> = (0..2000).map(|_| policy.delay(1, None).unwrap()).collect();

        // Assert: never below half the window, never above it, and both ends are reached.
        let (low, high) = (Duration::from_millis(500), Duration::from_millis(1000));
        assert!(draws.iter().all(|d| (low..=high).contains(d)), "{draws:?}");
        let min = draws.iter().min().unwrap();
        let max = draws.iter().max().unwrap();
        assert!(*min < Duration::from_millis(550), "lowest draw {min:?}");
        assert!(*max > Duration::from_millis(950), "highest draw {max:?}");
    }

    #[test]
    fn backoff_grows_and_stays_within_the_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(800),
            max_retry_after: Duration::from_secs(5),
        };
        for (attempt, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 800), (9, 800)] {
            let delay = policy.delay(attempt, None).unwrap();
            let ceiling = Duration::from_millis(ceiling);
            assert!(
                delay <= ceiling && delay >= ceiling / 2,
                "attempt {attempt}: {delay:?}"
            );
        }
        assert_eq!(policy.delay(10, None), None);
    }

    #[test]
    fn retry_after_wins_unless_it_is_too_long() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3600))), None);
        assert_eq!(RetryPolicy::none().delay(1, Some(Duration::ZERO)), None);
    }
}
