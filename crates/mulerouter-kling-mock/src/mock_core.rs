//! [`MockCore`]: the mock without a transport. It takes a request in the ecosystem's
//! vocabulary (`http::Request` holding the whole body) and gives back an
//! `http::Response`, and it holds the state every way of driving the mock shares: tasks,
//! queued faults, the accepted keys and counters.
//!
//! Two transports serve it: wiremock in-process ([`MockMuleRouter`](crate::MockMuleRouter))
//! and hyper in the standalone binary ([`standalone`](crate::standalone)). The methods that
//! drive tasks and queue faults live here, on the [`State`] both use, so that an HTTP
//! admin API (`/__admin/…`, see [`admin`](crate::admin)) is more routes calling the same
//! methods, not a second copy of the state.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use mulerouter_kling::TaskStatus;
use mulerouter_kling::types::{CreateGenerationRequest, TaskResponse};
use serde_json::Value;
use uuid::Uuid;

use crate::admin::AdminAccess;
use crate::auth::Caller;
use crate::auth::Keys;
use crate::document::Api;
use crate::faults::{self, Fault, Faults, Scope, ScopeKey};
use crate::journal::{Journal, JournalEntry};
use crate::reply::{self, Reply, Trace};
use crate::tasks::{Snapshot, Tasks};
use crate::typed::create_generation;

/// Everything the answers and the driving methods share.
pub(crate) struct State {
    pub(crate) api: &'static Api,
    pub(crate) tasks: Tasks,
    pub(crate) faults: Faults,
    pub(crate) keys: Keys,
    pub(crate) base_url: String,
    pub(crate) requests: AtomicU64,
    pub(crate) journal: Journal,
    pub(crate) admin: AdminAccess,
    /// The standing latency the mock started with, which a reset goes back to.
    pub(crate) initial_latency: Duration,
    /// Whether the transport drops a connection for [`Fault::HangUp`] (not on wiremock).
    pub(crate) can_hang_up: bool,
}

/// The mock's behaviour, transport-free: answers requests and drives tasks and faults.
///
/// Cheap to clone (the clones share one state). Build one with
/// [`MockMuleRouterBuilder::build_core`](crate::MockMuleRouterBuilder::build_core) to serve
/// it on a transport of your own; [`MockMuleRouter`](crate::MockMuleRouter) derefs to the
/// core it serves, so every method here is also a method of the in-process mock.
///
/// ```
/// use mulerouter_kling_mock::bytes::Bytes;
/// use mulerouter_kling_mock::{MockMuleRouter, http};
///
/// let core = MockMuleRouter::builder().build_core("http://mock.test");
/// let request = http::Request::post(
///     "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation",
/// )
/// .header("authorization", "Bearer sk-mr-test")
/// .header("content-type", "application/json")
/// .body(Bytes::from_static(br#"{"prompt": "A paper boat", "video": "https://example.com/v.mp4"}"#))
/// .unwrap();
///
/// let answer = core.answer(request);
///
/// assert_eq!(answer.response.status(), 200);
/// assert!(answer.delay.is_zero());
/// assert_eq!(core.stats().tasks, 1);
/// ```
#[derive(Clone)]
pub struct MockCore {
    pub(crate) state: Arc<State>,
}

impl fmt::Debug for MockCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCore")
            .field("uri", &self.state.base_url)
            .field("keys", &self.state.keys)
            .finish_non_exhaustive()
    }
}

/// What the core answers: the response, and how long the transport holds it back first
/// (the latency a fault, `Prefer: latency=…` or the standing latency asked for).
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The response, body included (empty for `HEAD`).
    pub response: http::Response<Bytes>,
    /// Wait this long before sending it.
    pub delay: Duration,
    /// Do not send it: close the connection (on h2, reset the stream) once `delay` has
    /// passed, as a queued [`Fault::HangUp`] asks. The request was acted on.
    pub hang_up: bool,
}

/// One line per request: method, path, status, time taken, latency added, and the trace id
/// of the answer's `traceparent` (a trace id quoted from an answer finds its line).
/// `started` is `None` when the log does not keep such lines (the clock is not read then).
fn log(
    request: &http::Request<Bytes>,
    reply: &Reply,
    started: Option<std::time::Instant>,
    trace: &Trace,
) {
    let Some(started) = started else {
        return;
    };
    let (method, path) = (
        request.method(),
        crate::text::for_log(request.uri().path(), 200),
    );
    let took = started.elapsed();
    let trace_id = trace.trace_id();
    let (status, delay) = (reply.status, reply.delay);
    let latency = if delay.is_zero() {
        String::new()
    } else {
        format!(" (+{delay:?} latency)")
    };
    let dropped = if reply.hang_up {
        " (not sent: the connection is dropped, as a queued hang-up asked)"
    } else {
        ""
    };
    let broken = broken_rules(&reply.violations);
    tracing::info!(
        trace_id,
        "{method} {path} -> {status} in {took:?}{latency}{dropped}{broken}"
    );
}

/// The first rules a refused request broke, for its log line: whoever reads the log of a
/// shared mock sees why another team's request was refused without its journal.
fn broken_rules(violations: &[mulerouter_kling::Violation]) -> String {
    const SHOWN: usize = 3;
    if violations.is_empty() {
        return String::new();
    }
    let named: Vec<String> = violations
        .iter()
        .take(SHOWN)
        .map(|v| {
            let at = if v.pointer.is_empty() {
                "body"
            } else {
                &v.pointer
            };
            format!("{} {}", crate::text::for_log(at, 60), v.rule)
        })
        .collect();
    let more = violations.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(", {more} more")
    } else {
        String::new()
    };
    format!(" (broke: {}{more})", named.join(", "))
}

/// An admin request: at `info` when it changes something (a fault queued, a task failed, a
/// reset), so that the log says what a test did to the mock between the app's requests; at
/// `debug` when it only reads, as the inspector page does every second.
fn log_admin(request: &http::Request<Bytes>, status: u16, trace: &Trace) {
    let (method, trace_id) = (request.method(), trace.trace_id());
    let reads = matches!(*method, http::Method::GET | http::Method::HEAD);
    let kept = if reads {
        tracing::enabled!(tracing::Level::DEBUG)
    } else {
        tracing::enabled!(tracing::Level::INFO)
    };
    if !kept {
        return;
    }
    let path = crate::text::for_log(request.uri().path(), 200);
    if reads {
        tracing::debug!(trace_id, "{method} {path} -> {status}");
    } else {
        tracing::info!(trace_id, "{method} {path} -> {status}");
    }
}

/// `duration` in whole seconds, rounded up: a `Retry-After` rounded down would ask for a
/// retry sooner than meant (under a second: at once).
fn whole_seconds_up(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// A task id the mock does not know (never created, or evicted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownTask(pub Uuid);

impl fmt::Display for UnknownTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the mock has no task {}", self.0)
    }
}

impl std::error::Error for UnknownTask {}

/// Counters, e.g. to watch a long-running mock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests answered since the start.
    pub requests: u64,
    /// Tasks held now.
    pub tasks: usize,
}

impl MockCore {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: Arc::new(state),
        }
    }

    /// Answers one request. The body is the whole request body; a transport that reads it
    /// enforces [`MAX_BODY_BYTES`](crate::document::MAX_BODY_BYTES) while reading (a larger
    /// body that still arrives here gets 413).
    ///
    /// A panic inside (a bug) is answered 500 rather than taking the transport down.
    pub fn answer(&self, request: http::Request<Bytes>) -> Answer {
        let state = &*self.state;
        state.requests.fetch_add(1, Ordering::Relaxed);
        let started = tracing::enabled!(tracing::Level::INFO).then(std::time::Instant::now);
        let head_only = request.method() == http::Method::HEAD;
        let admin = crate::admin::is_admin(request.uri().path());
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if admin {
                crate::admin::answer(self, &request)
            } else {
                crate::dispatch::answer(state, &request)
            }
        }))
        .unwrap_or_else(|_| {
            tracing::error!("the mock panicked answering a request; this is a bug in the mock");
            Reply::detail(500, "the mock failed unexpectedly; please report this bug")
        });
        let (delay, hang_up) = (reply.delay, reply.hang_up);
        let trace = Trace::for_request(request.headers());
        if admin {
            log_admin(&request, reply.status, &trace);
        } else {
            log(&request, &reply, started, &trace);
        }
        // The admin API's own traffic (a page polling it) would push the app's requests out.
        if !admin {
            state.journal.record(
                request.method(),
                request.uri().path(),
                reply.status,
                &reply.violations,
            );
        }
        Answer {
            response: reply.into_traced_response(head_only, &trace),
            delay,
            hang_up,
        }
    }

    /// The `operationId`s of the document's operations this mock has no behaviour for (one
    /// the document gained since the mock was written): each is routed, its request
    /// validated, and then answered with its documented example; no task is looked up or
    /// changed. Empty while the mock implements every operation.
    pub fn operations_answered_by_example(&self) -> Vec<&'static str> {
        crate::dispatch::answered_by_example(self.state.api)
    }

    /// The base URL the core writes into answers (video links), e.g. `http://127.0.0.1:40213`.
    pub fn uri(&self) -> String {
        self.state.base_url.clone()
    }

    /// The task as a read would show it, without moving it.
    pub fn task(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.state.tasks.peek(task_id))
    }

    /// Moves the task one step: `pending` → `processing` → finished (`completed`, or `failed`
    /// when a failure was planned for it).
    pub fn advance(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.state.tasks.advance(task_id))
    }

    /// Finishes the task with its video, unless it has finished already.
    ///
    /// An explicit request to complete it: a failure planned for the task (a queued
    /// [`Fault::TaskError`] it took when it was created, or `Prefer: task-error=…` on its
    /// create) is dropped. [`advance`](Self::advance) finishes it as planned instead.
    pub fn complete(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.state.tasks.complete(task_id))
    }

    /// Fails the task with this error code (3001–3005, 4002, 4008 are documented), unless it
    /// has finished already. Reads then answer 200 with `status: failed` and
    /// `task_info.error`, like the service.
    pub fn fail(&self, task_id: Uuid, code: i64) -> Result<TaskResponse, UnknownTask> {
        self.shown(
            task_id,
            self.state.tasks.fail(task_id, faults::failure(code)),
        )
    }

    /// Every task held, newest first, as a read would show it (without moving them);
    /// `status` keeps only those in that status.
    pub fn tasks(&self, status: Option<TaskStatus>) -> Vec<TaskResponse> {
        self.tasks_page(status, 0, usize::MAX).1
    }

    /// One page of [`tasks`](Self::tasks): `limit` tasks after skipping `offset`, and how
    /// many match in all.
    pub fn tasks_page(
        &self,
        status: Option<TaskStatus>,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<TaskResponse>) {
        let in_status =
            |task: &Snapshot| status.as_ref().is_some_and(|s| s.as_str() == task.status());
        let keep = status
            .is_some()
            .then_some(&in_status as &dyn Fn(&Snapshot) -> bool);
        let (total, page) = self.state.tasks.page(keep, offset, limit);
        let page = page
            .iter()
            .map(|task| reply::task_response(task, &self.state.base_url))
            .collect();
        (total, page)
    }

    /// Forgets every task (reads of their ids then answer 404); says how many there were.
    pub fn delete_tasks(&self) -> usize {
        self.state.tasks.clear()
    }

    /// The task as the API shows it, or which id the mock does not know.
    fn shown(&self, task_id: Uuid, task: Option<Snapshot>) -> Result<TaskResponse, UnknownTask> {
        let task = task.ok_or(UnknownTask(task_id))?;
        Ok(reply::task_response(&task, &self.state.base_url))
    }

    /// Queues a fault; each is used once, in order.
    ///
    /// # Panics
    ///
    /// On a [`Fault::Status`] or [`Fault::ProxyError`] outside 400–599, a
    /// [`Fault::ProxyError`] whose status the document does not let be an HTML page (only
    /// 5xx), a [`Fault::Latency`] over 60 s, or a [`Fault::HangUp`] on the in-process mock.
    pub fn inject(&self, fault: Fault) {
        self.assert_transport_can(&fault);
        self.assert_html_documented(None, &fault);
        self.state.faults.push(fault);
    }

    /// Queues a fault for the next request to one operation (`operation_id` as in the
    /// document, e.g. `get_generation`); requests to other operations pass it by.
    /// A [`Fault::TaskError`] concerns creates whatever the operation.
    ///
    /// # Panics
    ///
    /// As [`inject`](Self::inject), and on an operation id the document does not have.
    pub fn inject_for(&self, operation_id: &str, fault: Fault) {
        assert!(
            self.state.api.operation(operation_id).is_some(),
            "the document has no operation {operation_id:?}"
        );
        self.assert_transport_can(&fault);
        self.assert_html_documented(Some(operation_id), &fault);
        let scope = Scope {
            operation: Some(operation_id.to_string()),
            key: None,
        };
        self.state.faults.push_for(scope, fault);
    }

    /// Queues a fault for the next request that sends `key` as its bearer key (and, with
    /// `operation_id`, to that operation): test suites that share one mock each send a key
    /// of their own (any `sk-mr-…` key is accepted) and scope their faults to it, so that
    /// none meets another's. A [`Fault::TaskError`] waits for the next create with the key.
    ///
    /// # Panics
    ///
    /// As [`inject_for`](Self::inject_for), and on a key not shaped like a MuleRouter key
    /// or a mock that accepts one key only (every caller sends that one).
    pub fn inject_for_key(&self, key: &str, operation_id: Option<&str>, fault: Fault) {
        if let Some(why) = self.cannot_scope_to(key) {
            panic!("{why}");
        }
        if let Some(operation_id) = operation_id {
            assert!(
                self.state.api.operation(operation_id).is_some(),
                "the document has no operation {operation_id:?}"
            );
        }
        self.assert_transport_can(&fault);
        self.assert_html_documented(operation_id, &fault);
        let scope = Scope {
            operation: operation_id.map(str::to_string),
            key: Some(ScopeKey::new(key)),
        };
        self.state.faults.push_for(scope, fault);
    }

    /// Why faults and resets cannot be scoped to `key`, if they cannot: it is not shaped
    /// like a MuleRouter key (no request could send it), or the mock takes one key only.
    pub(crate) fn cannot_scope_to(&self, key: &str) -> Option<&'static str> {
        if matches!(self.state.keys, crate::auth::Keys::Only(_)) {
            return Some(
                "this mock accepts one key only (--api-key), which every caller sends: nothing can be scoped to a caller; give each suite a mock of its own",
            );
        }
        (!crate::auth::is_key_shaped(key)).then_some(
            "a key is a MuleRouter key, `sk-mr-` and more letters, digits, `-` or `_`: the bearer key the suite's requests send",
        )
    }

    fn assert_transport_can(&self, fault: &Fault) {
        if *fault == Fault::HangUp
            && let Some(why) = self.cannot_hang_up()
        {
            panic!("{why}");
        }
    }

    /// Why this core's transport cannot drop a connection, if it cannot.
    pub(crate) fn cannot_hang_up(&self) -> Option<&'static str> {
        (!self.state.can_hang_up).then_some(
            "the in-process mock cannot drop a connection (wiremock answers every request): queue a hang-up on the standalone server (the binary, or MockCore served by standalone::serve)",
        )
    }

    fn assert_html_documented(&self, operation_id: Option<&str>, fault: &Fault) {
        if let Fault::ProxyError { status, .. } = *fault
            && let Some(why) = self.html_not_documented(operation_id, status)
        {
            panic!("{why}");
        }
    }

    /// Why an HTML page may not answer `status` for `operation_id` (or, without one, for
    /// every operation a fault could meet), if it may not: the document says which answers
    /// may be HTML.
    pub(crate) fn html_not_documented(
        &self,
        operation_id: Option<&str>,
        status: u16,
    ) -> Option<String> {
        let api = &self.state.api;
        let refuses = |operation: &&crate::document::Operation| !operation.allows_html(status);
        let refusing = match operation_id {
            Some(id) => api.operation(id).filter(refuses),
            None => api.operations().find(refuses),
        }?;
        Some(format!(
            "the document lets only {} answers of {} be an HTML page, not {status}",
            refusing.html_statuses(),
            refusing.id
        ))
    }

    /// The faults waiting, in the order they will be used, each with the operation id it
    /// waits for (`None`: the next request to any operation).
    pub fn queued_faults(&self) -> Vec<(Option<String>, Fault)> {
        let queued = self.state.faults.queued().into_iter();
        queued
            .map(|(scope, fault)| (scope.operation, fault))
            .collect()
    }

    /// The next API request is answered with `status` (400–599) and the document's example
    /// body for it; `retry_after` sets `Retry-After` (429 and 503 default to 1 s).
    ///
    /// `Retry-After` is whole seconds: a fraction is rounded up (1.5 s is sent as `2`,
    /// 300 ms as `1`), so a client that honours it never retries sooner than asked.
    pub fn respond_next_with_status(&self, status: u16, retry_after: Option<Duration>) {
        self.inject(Fault::Status {
            status,
            retry_after: retry_after.map(whole_seconds_up),
        });
    }

    /// The next API request is answered with `status` (5xx) and an HTML page, as a proxy
    /// would; a 503 carries `Retry-After: 1` (queue a [`Fault::ProxyError`] to set it).
    pub fn respond_next_with_proxy_error(&self, status: u16) {
        self.inject(Fault::ProxyError {
            status,
            retry_after: None,
        });
    }

    /// The next API request is answered after `latency` more.
    pub fn delay_next_by(&self, latency: Duration) {
        self.inject(Fault::Latency(latency));
    }

    /// The next task created fails with `code` when it finishes.
    pub fn fail_next_task_with(&self, code: i64) {
        self.inject(Fault::TaskError(code));
    }

    /// Every API request is answered after `latency` (until set back to zero).
    ///
    /// # Panics
    ///
    /// Over [`MAX_LATENCY`](crate::MAX_LATENCY) (60 s), like [`delay_next_by`](Self::delay_next_by).
    pub fn set_latency(&self, latency: Duration) {
        crate::faults::assert_latency(latency);
        self.state.faults.set_latency(latency);
    }

    /// Drops every queued fault (the standing latency stays).
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Drops the faults queued for `key` (see [`inject_for_key`](Self::inject_for_key)),
    /// and only those; says how many.
    pub fn clear_faults_for_key(&self, key: &str) -> usize {
        self.state.faults.clear_for(Caller::of_key(key))
    }

    /// The last requests answered, newest first (at most
    /// [`journal_size`](crate::MockMuleRouterBuilder::journal_size)): time, method, path,
    /// status and the rules broken; never a header. Requests to the admin API are not kept,
    /// nor those the standalone server refuses while reading their body (413, 408: logged
    /// only).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal.read(0, usize::MAX, usize::MAX).entries
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.state.journal.clear();
    }

    /// Back to how the mock started: no tasks, no queued faults, the starting latency, an
    /// empty journal. (The request counter of [`stats`](Self::stats) keeps counting.)
    pub fn reset(&self) {
        self.state.tasks.clear();
        self.state.faults.clear();
        self.state.faults.set_latency(self.state.initial_latency);
        self.state.journal.clear();
    }

    /// Back to how the mock started for the suite that sends `key`: the tasks created with
    /// it and the faults queued for it are gone; every other suite's tasks and faults, the
    /// standing latency and the journal stay. Says how many tasks were deleted.
    pub fn reset_key(&self, key: &str) -> usize {
        let caller = Caller::of_key(key);
        self.state.faults.clear_for(caller);
        self.state.tasks.clear_owned_by(caller)
    }

    /// The create requests received (and accepted), oldest first, as the client's type.
    /// Tasks evicted by the TTL or the cap take their request with them.
    pub fn created_requests(&self) -> Vec<CreateGenerationRequest> {
        self.state
            .tasks
            .created_requests()
            .into_iter()
            .filter_map(|(_, typed)| typed)
            .collect()
    }

    /// The same requests as JSON, exactly as received (the mock fills in no defaults). A
    /// request sent by `mulerouter-kling` holds the document's defaults its type always
    /// writes (`"keep_audio": false`, `"duration": 5`, …) even where the app set none: compare
    /// the fields a test cares about rather than whole bodies.
    pub fn created_request_bodies(&self) -> Vec<Value> {
        self.state
            .tasks
            .created_requests()
            .into_iter()
            .map(|(body, _)| body)
            .collect()
    }

    /// The body of the create that made `task_id`, exactly as received: which request made
    /// which task, when a test sent several. `None` for a task this mock does not hold, or
    /// with [`record_requests(false)`](crate::MockMuleRouterBuilder::record_requests).
    pub fn created_request_body(&self, task_id: Uuid) -> Option<Value> {
        self.state.tasks.created_request_body(task_id)
    }

    /// A key this mock accepts: the one it was started with, or a sample shaped like a
    /// MuleRouter key (`sk-mr-test`).
    pub fn suggested_key(&self) -> String {
        self.state.keys.suggestion().to_string()
    }

    /// A copy-pasteable `curl` command that creates a task on this mock, with the
    /// document's shortest example request. With one accepted key, the command reads it from
    /// `$MULEROUTER_API_KEY` rather than showing it.
    pub fn curl_example(&self) -> String {
        let Some(create) = self.state.api.operations().find(|op| {
            op.method == create_generation::METHOD && op.template == create_generation::PATH
        }) else {
            return format!("curl -i {}/", self.state.base_url);
        };
        let body = create
            .body
            .iter()
            .flat_map(|b| &b.examples)
            .map(|(_, example)| example.to_string())
            .min_by_key(String::len)
            .unwrap_or_else(|| "{}".into());
        let key = match self.state.keys {
            Keys::Any => crate::auth::SAMPLE_KEY,
            Keys::Only(_) => "$MULEROUTER_API_KEY",
        };
        format!(
            "curl -sS -X {method} '{base}{path}' \\\n  -H \"Authorization: Bearer {key}\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{body}'",
            method = create.method,
            base = self.state.base_url,
            path = create.template,
            body = body.replace('\'', "'\\''"),
        )
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.state.requests.load(Ordering::Relaxed),
            tasks: self.state.tasks.len(),
        }
    }
}
