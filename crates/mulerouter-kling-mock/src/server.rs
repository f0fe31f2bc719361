//! [`MockMuleRouter`]: starting the mock, driving its tasks, and injecting faults.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mulerouter_kling::types::{CreateGenerationRequest, TaskResponse};
use serde_json::Value;
use uuid::Uuid;
use wiremock::MockServer;

use crate::auth::Keys;
use crate::document::Api;
use crate::faults::{self, Fault, Faults};
use crate::recycle::{self, Recycling};
use crate::reply;
use crate::respond::{Responder, Shared};
use crate::tasks::{Limits, Snapshot, Tasks, Timing};

/// A MuleRouter that runs on your machine: a wiremock server answering like the real API,
/// checked against its OpenAPI document.
///
/// Stops when dropped. See the [crate docs](crate) for a tour.
pub struct MockMuleRouter {
    // Fields drop in order: the recycler's thread holds the server and must stop first.
    recycling: Recycling,
    _server: Arc<MockServer>,
    shared: Arc<Shared>,
    address: SocketAddr,
}

impl fmt::Debug for MockMuleRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockMuleRouter")
            .field("uri", &self.shared.base_url)
            .field("keys", &self.shared.keys)
            .finish_non_exhaustive()
    }
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
    /// Requests wiremock holds a copy of now (bounded by [`MockMuleRouterBuilder::recycle_after`]).
    pub retained_requests: u64,
    /// How many times wiremock's copies were dropped.
    pub recycles: u64,
}

impl MockMuleRouter {
    /// Starts a mock with the defaults: `127.0.0.1` on a free port, [`Timing::PerPoll`], any
    /// non-empty bearer token accepted.
    ///
    /// # Panics
    ///
    /// When no port can be bound; use [`MockMuleRouterBuilder::try_start`] to handle that.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Settings to start from.
    pub fn builder() -> MockMuleRouterBuilder {
        MockMuleRouterBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:40213`: hand it to
    /// `mulerouter_kling::ClientBuilder::base_url`.
    pub fn uri(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The socket address the mock listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The task as a read would show it, without moving it.
    pub fn task(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.shared.tasks.peek(task_id))
    }

    /// Moves the task one step: `pending` → `processing` → finished (`completed`, or `failed`
    /// when a failure was planned for it).
    pub fn advance(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.shared.tasks.advance(task_id))
    }

    /// Finishes the task with its video, unless it has finished already.
    pub fn complete(&self, task_id: Uuid) -> Result<TaskResponse, UnknownTask> {
        self.shown(task_id, self.shared.tasks.complete(task_id))
    }

    /// Fails the task with this error code (3001–3005, 4002, 4008 are documented), unless it
    /// has finished already. Reads then answer 200 with `status: failed` and
    /// `task_info.error`, like the service.
    pub fn fail(&self, task_id: Uuid, code: i64) -> Result<TaskResponse, UnknownTask> {
        self.shown(
            task_id,
            self.shared.tasks.fail(task_id, faults::failure(code)),
        )
    }

    /// The task as the API shows it, or which id the mock does not know.
    fn shown(&self, task_id: Uuid, task: Option<Snapshot>) -> Result<TaskResponse, UnknownTask> {
        let task = task.ok_or(UnknownTask(task_id))?;
        Ok(reply::task_response(&task, &self.shared.base_url))
    }

    /// Queues a fault; each is used once, in order.
    ///
    /// # Panics
    ///
    /// On a [`Fault::Status`] or [`Fault::ProxyError`] outside 400–599, or a
    /// [`Fault::Latency`] over 60 s.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    /// The next API request is answered with `status` (400–599) and the document's example
    /// body for it; `retry_after` sets `Retry-After` (429 and 503 default to 1 s).
    pub fn respond_next_with_status(&self, status: u16, retry_after: Option<Duration>) {
        self.inject(Fault::Status {
            status,
            retry_after: retry_after.map(|d| d.as_secs()),
        });
    }

    /// The next API request is answered with `status` and an HTML page, as a proxy would.
    pub fn respond_next_with_proxy_error(&self, status: u16) {
        self.inject(Fault::ProxyError { status });
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
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults.set_latency(latency);
    }

    /// Drops every queued fault (the standing latency stays).
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The create requests received (and accepted), oldest first, as the client's type.
    /// Tasks evicted by the TTL or the cap take their request with them.
    pub fn created_requests(&self) -> Vec<CreateGenerationRequest> {
        self.shared
            .tasks
            .created_requests()
            .into_iter()
            .filter_map(|(_, typed)| typed)
            .collect()
    }

    /// The same requests as JSON, exactly as received (before defaults).
    pub fn created_request_bodies(&self) -> Vec<Value> {
        self.shared
            .tasks
            .created_requests()
            .into_iter()
            .map(|(body, _)| body)
            .collect()
    }

    /// A copy-pasteable `curl` command that creates a task on this mock, with the
    /// document's shortest example request.
    pub fn curl_example(&self) -> String {
        let api = Api::get();
        let Some(create) = api.operation(crate::respond::CREATE) else {
            return format!("curl -i {}/", self.shared.base_url);
        };
        let body = create
            .body
            .iter()
            .flat_map(|b| &b.examples)
            .map(|(_, example)| example.to_string())
            .min_by_key(String::len)
            .unwrap_or_else(|| "{}".into());
        let key = match self.shared.keys {
            Keys::Any => "sk-mr-test",
            Keys::Only(_) => "$MULEROUTER_API_KEY",
        };
        format!(
            "curl -sS -X {method} '{base}{path}' \\\n  -H \"Authorization: Bearer {key}\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{body}'",
            method = create.method,
            base = self.shared.base_url,
            path = create.template,
            body = body.replace('\'', "'\\''"),
        )
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.shared.requests.load(Ordering::Relaxed),
            tasks: self.shared.tasks.len(),
            retained_requests: self.recycling.retained(),
            recycles: self.recycling.recycles(),
        }
    }
}

/// Settings for a [`MockMuleRouter`]; start from [`MockMuleRouter::builder`].
pub struct MockMuleRouterBuilder {
    address: SocketAddr,
    listener: Option<TcpListener>,
    timing: Timing,
    keys: Keys,
    task_ttl: Duration,
    max_tasks: usize,
    record_requests: bool,
    recycle_after: u64,
    latency: Duration,
}

impl fmt::Debug for MockMuleRouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockMuleRouterBuilder")
            .field("address", &self.address)
            .field("timing", &self.timing)
            .field("keys", &self.keys)
            .field("task_ttl", &self.task_ttl)
            .field("max_tasks", &self.max_tasks)
            .field("record_requests", &self.record_requests)
            .field("recycle_after", &self.recycle_after)
            .finish_non_exhaustive()
    }
}

impl Default for MockMuleRouterBuilder {
    fn default() -> Self {
        Self {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            listener: None,
            timing: Timing::default(),
            keys: Keys::Any,
            task_ttl: Duration::from_secs(3600),
            max_tasks: 100_000,
            record_requests: true,
            recycle_after: 1_000,
            latency: Duration::ZERO,
        }
    }
}

impl MockMuleRouterBuilder {
    /// Where to listen (default `127.0.0.1:0`, a free port).
    pub fn listen_on(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self.listener = None;
        self
    }

    /// Serve on a listener you bound yourself.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// When tasks move on (default [`Timing::PerPoll`]).
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Accept only this bearer token (default: any non-empty token).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.keys = Keys::Only(key.into());
        self
    }

    /// How long a finished task stays readable (default 1 hour).
    pub fn task_ttl(mut self, ttl: Duration) -> Self {
        self.task_ttl = ttl;
        self
    }

    /// The most tasks held; the oldest go first (default 100 000).
    pub fn max_tasks(mut self, max: usize) -> Self {
        self.max_tasks = max.max(1);
        self
    }

    /// Keep create requests for [`MockMuleRouter::created_requests`] (default true; a
    /// long-running server may turn it off).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// wiremock keeps a copy of every request it answers (about 5 KB each, even with request
    /// recording off); drop the copies after this many requests (or 16 MiB of them), default
    /// 1 000. 0 never drops them: memory then grows with every request. In a debug build the
    /// interval grows over time (see [Running for days](crate#running-for-days)).
    pub fn recycle_after(mut self, requests: u64) -> Self {
        self.recycle_after = requests;
        self
    }

    /// Answer every API request after this delay (default none).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Starts the mock.
    ///
    /// # Panics
    ///
    /// When the address cannot be bound; see [`try_start`](Self::try_start).
    pub async fn start(self) -> MockMuleRouter {
        let address = self.address;
        self.try_start().await.unwrap_or_else(|error| {
            panic!("cannot start the MuleRouter mock on {address}: {error}")
        })
    }

    /// Starts the mock, or says why it cannot listen.
    pub async fn try_start(self) -> std::io::Result<MockMuleRouter> {
        let listener = match self.listener {
            Some(listener) => listener,
            None => TcpListener::bind(self.address)?,
        };
        let address = listener.local_addr()?;
        let reachable = recycle::reachable(address);
        let api = Api::get();
        let faults = Faults::default();
        faults.set_latency(self.latency);
        let shared = Arc::new(Shared {
            api,
            tasks: Tasks::new(Limits {
                timing: self.timing,
                ttl: self.task_ttl,
                max_tasks: self.max_tasks,
                record_requests: self.record_requests,
            }),
            faults,
            keys: self.keys,
            base_url: format!("http://{reachable}"),
            requests: AtomicU64::new(0),
        });
        let server = Arc::new(
            MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await,
        );
        let recycling =
            Recycling::mount(&server, Responder(shared.clone()), self.recycle_after).await?;
        Ok(MockMuleRouter {
            recycling,
            _server: server,
            shared,
            address,
        })
    }
}
