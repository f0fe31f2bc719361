//! Faults a test asks for in code: queued, each used by one request (or one task).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::tasks::Failure;

/// Something to go wrong on purpose. Queue one with [`MockCore::inject`] or the
/// shorthands next to it.
///
/// [`MockCore::inject`]: crate::MockCore::inject
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The next API request is answered with this 4xx/5xx status and the document's example
    /// body for it; nothing is created or read. `retry_after` (seconds) sets `Retry-After`;
    /// 429 and 503 carry `Retry-After: 1` when it is `None`.
    Status {
        /// 400–599.
        status: u16,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// The next API request is answered with this status and an HTML page, as a proxy in
    /// front of the service would send (not the documented JSON).
    ProxyError {
        /// 400–599.
        status: u16,
    },
    /// The next API request is answered only after this delay (at most 60 s).
    Latency(Duration),
    /// The next task created fails with this error code when it finishes (it still answers
    /// 200 on create, like the real service). Documented codes: 3001–3005 (the model
    /// provider could not finish), 4002 and 4008 (MuleRouter-side failures).
    TaskError(i64),
}

impl Fault {
    /// Panics on a status outside 400–599 or a latency over 60 s: a mistake in the test.
    pub(crate) fn check(&self) {
        match self {
            Self::Status { status, .. } | Self::ProxyError { status } => assert!(
                (400..=599).contains(status),
                "a fault needs an error status (400-599), got {status}"
            ),
            Self::Latency(latency) => assert!(
                *latency <= crate::prefer::MAX_LATENCY,
                "an injected latency is at most 60s, got {latency:?}"
            ),
            Self::TaskError(_) => {}
        }
    }
}

/// The faults waiting for requests and tasks.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<Queues>,
}

#[derive(Debug, Default)]
struct Queues {
    answers: VecDeque<Fault>,
    latencies: VecDeque<Duration>,
    task_errors: VecDeque<i64>,
    /// Added to every API answer.
    latency: Duration,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Queues> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, fault: Fault) {
        fault.check();
        let mut queues = self.lock();
        match fault {
            Fault::Latency(latency) => queues.latencies.push_back(latency),
            Fault::TaskError(code) => queues.task_errors.push_back(code),
            answer => queues.answers.push_back(answer),
        }
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub(crate) fn clear(&self) {
        let mut queues = self.lock();
        let latency = queues.latency;
        *queues = Queues::default();
        queues.latency = latency;
    }

    /// The answer fault for the next API request, if one is queued.
    pub(crate) fn next_answer(&self) -> Option<Fault> {
        self.lock().answers.pop_front()
    }

    /// The delay for the next API request: the standing latency plus a queued one.
    pub(crate) fn next_latency(&self) -> Duration {
        let mut queues = self.lock();
        let queued = queues.latencies.pop_front().unwrap_or_default();
        queues.latency + queued
    }

    /// The failure planned for the next task created, if one is queued.
    pub(crate) fn next_task_error(&self) -> Option<i64> {
        self.lock().task_errors.pop_front()
    }
}

/// The title and detail a failed task carries for an error code. The documented codes get
/// wording in the service's style; any other code gets a generic one.
pub(crate) fn failure(code: i64) -> Failure {
    let (title, detail) = match code {
        3001 => (
            "External service execution failed",
            "the model provider rejected the task",
        ),
        3002 => (
            "External service execution failed",
            "the model provider timed out",
        ),
        3003 => (
            "External service execution failed",
            "the model provider is unavailable",
        ),
        3004 => (
            "External service execution failed",
            "the input media could not be processed",
        ),
        3005 => ("External service execution failed", "prompt violation"),
        4002 => ("Internal error", "MuleRouter could not dispatch the task"),
        4008 => ("Internal error", "MuleRouter lost track of the task"),
        _ => ("Task failed", "the task failed (injected by the mock)"),
    };
    Failure {
        code,
        title: title.into(),
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_is_used_once_in_order() {
        let faults = Faults::default();
        faults.push(Fault::Status {
            status: 429,
            retry_after: None,
        });
        faults.push(Fault::ProxyError { status: 502 });
        faults.push(Fault::TaskError(3005));
        assert!(matches!(
            faults.next_answer(),
            Some(Fault::Status { status: 429, .. })
        ));
        assert!(matches!(
            faults.next_answer(),
            Some(Fault::ProxyError { status: 502 })
        ));
        assert_eq!(faults.next_answer(), None);
        assert_eq!(faults.next_task_error(), Some(3005));
        assert_eq!(faults.next_task_error(), None);
    }

    #[test]
    fn standing_latency_adds_to_a_queued_one_and_survives_clear() {
        let faults = Faults::default();
        faults.set_latency(Duration::from_millis(5));
        faults.push(Fault::Latency(Duration::from_millis(10)));
        assert_eq!(faults.next_latency(), Duration::from_millis(15));
        faults.push(Fault::Latency(Duration::from_millis(10)));
        faults.clear();
        assert_eq!(faults.next_latency(), Duration::from_millis(5));
    }

    #[test]
    #[should_panic(expected = "error status")]
    fn a_success_status_is_not_a_fault() {
        Faults::default().push(Fault::Status {
            status: 200,
            retry_after: None,
        });
    }
}
