//! Faults a test asks for in code: queued, each used by one request (or one task).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::auth::Caller;
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
    /// front of the service would send (not the documented JSON). `retry_after` (seconds)
    /// sets `Retry-After`, which the document allows on these answers too; a 503 carries
    /// `Retry-After: 1` when it is `None`, as a JSON one does.
    ProxyError {
        /// 500–599: the answers the document lets be an HTML page.
        status: u16,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// The next API request is answered only after this delay (at most 60 s).
    Latency(Duration),
    /// The next task created fails with this error code when it finishes (it still answers
    /// 200 on create, like the real service). Documented codes: 3001–3005 (the model
    /// provider could not finish), 4002 and 4008 (MuleRouter-side failures).
    TaskError(i64),
    /// The next API request is acted on as usual (a create makes its task: the case a client
    /// must survive without creating a second one) but its answer is never sent: the
    /// connection is closed instead (on h2, the stream is reset), as when a server crashes
    /// or a proxy drops the connection. Only a transport that can drop a connection honours
    /// it: the standalone server ([`standalone::serve`](crate::standalone::serve), the
    /// binary). The in-process mock refuses it, as wiremock answers every request.
    HangUp,
}

impl Fault {
    /// Panics on a status outside 400–599 or a latency over 60 s: a mistake in the test.
    pub(crate) fn check(&self) {
        match self {
            Self::Status { status, .. } | Self::ProxyError { status, .. } => assert!(
                (400..=599).contains(status),
                "a fault needs an error status (400-599), got {status}"
            ),
            Self::Latency(latency) => assert_latency(*latency),
            Self::TaskError(_) | Self::HangUp => {}
        }
    }
}

/// Panics on a latency over [`MAX_LATENCY`](crate::MAX_LATENCY): a test mistake, like every
/// other fault the document or the mock cannot give.
pub(crate) fn assert_latency(latency: Duration) {
    assert!(
        latency <= crate::prefer::MAX_LATENCY,
        "a latency is at most 60s, got {latency:?}"
    );
}

/// Which requests a queued fault waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Only requests to this operation id (`None`: any operation).
    pub(crate) operation: Option<String>,
    /// Only requests that send this key (`None`: any caller).
    pub(crate) key: Option<ScopeKey>,
}

/// A key a fault waits for: as the admin caller gave it, to list it back, and as the
/// requests that send it are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeKey {
    pub(crate) text: String,
    pub(crate) caller: Caller,
}

impl ScopeKey {
    pub(crate) fn new(key: &str) -> Self {
        Self {
            text: key.to_string(),
            caller: Caller::of_key(key),
        }
    }
}

impl Scope {
    /// Whether a request to `operation` from `caller` takes a fault of this scope.
    fn takes(&self, operation: &str, caller: Option<Caller>) -> bool {
        self.operation
            .as_deref()
            .is_none_or(|wanted| wanted == operation)
            && self
                .key
                .as_ref()
                .is_none_or(|key| Some(key.caller) == caller)
    }

    fn of(&self, caller: Caller) -> bool {
        self.key.as_ref().is_some_and(|key| key.caller == caller)
    }
}

/// The faults waiting for requests and tasks.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<Queues>,
}

#[derive(Debug, Default)]
struct Queues {
    /// Each with the requests it waits for.
    answers: VecDeque<(Scope, Fault)>,
    latencies: VecDeque<(Scope, Duration)>,
    /// Each with the creates it waits for (a task error concerns creates whatever the
    /// operation it was queued for).
    task_errors: VecDeque<(Scope, i64)>,
    /// Added to every API answer.
    latency: Duration,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Queues> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, fault: Fault) {
        self.push_for(Scope::default(), fault);
    }

    /// Queues `fault` for the next request `scope` lets take it.
    pub(crate) fn push_for(&self, scope: Scope, fault: Fault) {
        fault.check();
        let mut queues = self.lock();
        match fault {
            Fault::Latency(latency) => queues.latencies.push_back((scope, latency)),
            Fault::TaskError(code) => queues.task_errors.push_back((
                Scope {
                    operation: None,
                    ..scope
                },
                code,
            )),
            answer => queues.answers.push_back((scope, answer)),
        }
    }

    /// Every fault waiting, in the order used: answers, latencies, then task errors.
    pub(crate) fn queued(&self) -> Vec<(Scope, Fault)> {
        let queues = self.lock();
        let answers = queues.answers.iter().cloned();
        let latencies = queues
            .latencies
            .iter()
            .map(|(scope, latency)| (scope.clone(), Fault::Latency(*latency)));
        let task_errors = queues
            .task_errors
            .iter()
            .map(|(scope, code)| (scope.clone(), Fault::TaskError(*code)));
        answers.chain(latencies).chain(task_errors).collect()
    }

    /// How many faults wait.
    pub(crate) fn len(&self) -> usize {
        let queues = self.lock();
        queues.answers.len() + queues.latencies.len() + queues.task_errors.len()
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
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

    /// Drops the faults queued for `caller`'s key; says how many.
    pub(crate) fn clear_for(&self, caller: Caller) -> usize {
        let mut queues = self.lock();
        let before = queues.answers.len() + queues.latencies.len() + queues.task_errors.len();
        queues.answers.retain(|(scope, _)| !scope.of(caller));
        queues.latencies.retain(|(scope, _)| !scope.of(caller));
        queues.task_errors.retain(|(scope, _)| !scope.of(caller));
        let after = queues.answers.len() + queues.latencies.len() + queues.task_errors.len();
        before - after
    }

    /// The answer fault for the next request to `operation` from `caller`, if one is queued.
    pub(crate) fn next_answer(&self, operation: &str, caller: Option<Caller>) -> Option<Fault> {
        take_first(&mut self.lock().answers, operation, caller)
    }

    /// The delay for the next request to `operation` from `caller`: the standing latency
    /// plus a queued one.
    pub(crate) fn next_latency(&self, operation: &str, caller: Option<Caller>) -> Duration {
        let mut queues = self.lock();
        let queued = take_first(&mut queues.latencies, operation, caller).unwrap_or_default();
        // Both are at most a minute each (checked when set).
        queues.latency.saturating_add(queued)
    }

    /// The failure planned for the next task `caller` creates, if one is queued.
    pub(crate) fn next_task_error(&self, caller: Option<Caller>) -> Option<i64> {
        let mut queues = self.lock();
        let index = queues
            .task_errors
            .iter()
            .position(|(scope, _)| scope.takes("", caller))?;
        queues.task_errors.remove(index).map(|(_, code)| code)
    }
}

/// Takes the first entry a request to `operation` from `caller` takes.
fn take_first<T>(
    queue: &mut VecDeque<(Scope, T)>,
    operation: &str,
    caller: Option<Caller>,
) -> Option<T> {
    let index = queue
        .iter()
        .position(|(scope, _)| scope.takes(operation, caller))?;
    queue.remove(index).map(|(_, fault)| fault)
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
        faults.push(Fault::ProxyError {
            status: 502,
            retry_after: None,
        });
        faults.push(Fault::TaskError(3005));
        assert!(matches!(
            faults.next_answer("op", None),
            Some(Fault::Status { status: 429, .. })
        ));
        assert!(matches!(
            faults.next_answer("op", None),
            Some(Fault::ProxyError { status: 502, .. })
        ));
        assert_eq!(faults.next_answer("op", None), None);
        assert_eq!(faults.next_task_error(None), Some(3005));
        assert_eq!(faults.next_task_error(None), None);
    }

    #[test]
    fn standing_latency_adds_to_a_queued_one_and_survives_clear() {
        let faults = Faults::default();
        faults.set_latency(Duration::from_millis(5));
        faults.push(Fault::Latency(Duration::from_millis(10)));
        assert_eq!(faults.next_latency("op", None), Duration::from_millis(15));
        faults.push(Fault::Latency(Duration::from_millis(10)));
        faults.clear();
        assert_eq!(faults.next_latency("op", None), Duration::from_millis(5));
    }

    #[test]
    fn a_fault_for_one_operation_waits_for_that_operation() {
        // Arrange
        let faults = Faults::default();
        faults.push_for(
            Scope {
                operation: Some("getGeneration".into()),
                key: None,
            },
            Fault::ProxyError {
                status: 503,
                retry_after: None,
            },
        );

        // Act
        let on_create = faults.next_answer("createGeneration", None);
        let on_read = faults.next_answer("getGeneration", None);

        // Assert
        assert_eq!(on_create, None);
        assert_eq!(
            on_read,
            Some(Fault::ProxyError {
                status: 503,
                retry_after: None
            })
        );
    }

    #[test]
    fn a_fault_for_one_key_waits_for_a_request_that_sends_it_and_clears_alone() {
        // Arrange
        let faults = Faults::default();
        let mine = Scope {
            operation: None,
            key: Some(ScopeKey::new("sk-mr-mine")),
        };
        faults.push_for(mine.clone(), Fault::TaskError(3005));
        faults.push_for(mine, Fault::Latency(Duration::from_millis(7)));
        faults.push(Fault::TaskError(3001));

        // Act
        let theirs = Some(Caller::of_key("sk-mr-theirs"));
        let for_theirs = faults.next_task_error(theirs);
        let theirs_delayed = faults.next_latency("op", theirs);
        let cleared = faults.clear_for(Caller::of_key("sk-mr-mine"));

        // Assert
        assert_eq!(for_theirs, Some(3001));
        assert_eq!(theirs_delayed, Duration::ZERO);
        assert_eq!((cleared, faults.len()), (2, 0));
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
