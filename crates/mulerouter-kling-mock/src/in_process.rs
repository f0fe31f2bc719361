//! [`MockMuleRouter`]: the core served in-process on wiremock, and the settings of both.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::ops::Deref;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::admin::AdminAccess;
use crate::auth::Keys;
use crate::clock::{Clock, ManualClock};
use crate::document::Api;
use crate::faults::Faults;
use crate::journal::Journal;
use crate::mock_core::{MockCore, State};
use crate::tasks::{Limits, Tasks, Timing};

/// A MuleRouter that runs on your machine: a wiremock server answering like the real API,
/// checked against its OpenAPI document.
///
/// Every method of [`MockCore`] (driving tasks, queueing faults, reading what was created)
/// is available on it. Its [`server`](Self::server) is a plain wiremock `MockServer`: mocks
/// you mount there are tried before the mock's own answers.
///
/// wiremock keeps a copy of each request a mounted mock answers (the mock's own answers
/// included), and one more for the server's `received_requests`, for as long as the server
/// runs: fine for a test, growing for a long run. For hours of
/// traffic, run the [standalone binary](crate#standalone-use).
///
/// Stops when dropped. See the [crate docs](crate) for a tour.
pub struct MockMuleRouter {
    core: MockCore,
    server: MockServer,
}

impl fmt::Debug for MockMuleRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockMuleRouter")
            .field("core", &self.core)
            .field("address", self.server.address())
            .finish_non_exhaustive()
    }
}

impl Deref for MockMuleRouter {
    type Target = MockCore;

    fn deref(&self) -> &MockCore {
        &self.core
    }
}

impl MockMuleRouter {
    /// Starts a mock with the defaults: `127.0.0.1` on a free port, [`Timing::PerPoll`], any
    /// bearer token shaped like a MuleRouter key (`sk-mr-…`) accepted.
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

    /// The socket address the mock listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// The wiremock server underneath, to mount mocks of your own on (they take precedence
    /// over the mock's answers) or to read what it received (`received_requests`, every
    /// request, whoever answered it; `None` with
    /// [`record_requests(false)`](MockMuleRouterBuilder::record_requests)).
    ///
    /// Two of wiremock's calls do not fit a server shared with the mock:
    /// - `reset()` removes the mock's own answers too, and every API call is then 404; call
    ///   [`MockCore::reset`] (on the mock: `mock.reset()`) to forget tasks and faults, and
    ///   mount your own mocks with `up_to_n_times` so they stop by themselves.
    /// - `mount_as_scoped` is unreliable here: wiremock 0.6 sorts its mocks by priority on
    ///   every request, and a scoped guard keeps the place its mock had when mounted. The
    ///   mock's own answers sit at the lowest priority, before anything you mount, so after
    ///   the first request a guard points at another mock: its `received_requests` read the
    ///   wrong one, and dropping it switches off the wrong one (possibly the mock itself).
    ///   Use `mount` with `up_to_n_times(n)` and `expect(n)` (checked when the mock drops).
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The core this server serves.
    pub fn core(&self) -> &MockCore {
        &self.core
    }

    /// A client of this mock set up for tests: its [`uri`](MockCore::uri), a key it accepts
    /// ([`suggested_key`](MockCore::suggested_key)), and [`Self::retry_policy`]: retries
    /// after milliseconds, not the production half second. Poll with
    /// [`Self::wait_options`].
    ///
    /// Use it instead of `#[tokio::test(start_paused = true)]`: the mock answers on a real
    /// socket, and paused time jumps ahead while the test waits for it, so the client's
    /// timeouts fire (see [the guide](crate#tests-run-in-real-time)).
    ///
    /// ```
    /// use mulerouter_kling::types::CreateGenerationRequest;
    /// use mulerouter_kling_mock::{Fault, MockMuleRouter, Timing};
    ///
    /// # #[tokio::main]
    /// # async fn main() {
    /// let mock = MockMuleRouter::builder().timing(Timing::PerPoll).start().await;
    /// let client = mock.client();
    /// // The first read gets 502; the client reads again after milliseconds.
    /// mock.inject_for("get_generation", Fault::Status { status: 502, retry_after: None });
    ///
    /// let request = CreateGenerationRequest::builder().prompt("p").video("https://example.com/v.mp4");
    /// let task = client.create(request).await.unwrap();
    /// let done = client
    ///     .wait_for_completion_with(task.task_info.id, &MockMuleRouter::wait_options(), |_| {})
    ///     .await
    ///     .unwrap();
    ///
    /// assert!(done.videos[0].as_str().starts_with(&mock.uri()));
    /// assert!(mock.queued_faults().is_empty());
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the key the mock was started with ([`api_key`](MockMuleRouterBuilder::api_key))
    /// is not one the client can send (empty, or not visible ASCII): build the client
    /// yourself then.
    pub fn client(&self) -> mulerouter_kling::Client {
        let key = mulerouter_kling::ApiKey::new(self.suggested_key()).unwrap_or_else(|error| {
            panic!("the mock's API key cannot be sent by the client ({error}); build a Client with Client::builder() instead")
        });
        mulerouter_kling::Client::builder()
            .api_key(key)
            .base_url(self.uri())
            .retry_policy(Self::retry_policy())
            .build()
            .unwrap_or_else(|error| panic!("a client of the mock at {}: {error}", self.uri()))
    }

    /// The retry policy of [`Self::client`]: 4 attempts, 5 ms doubling to 50 ms between
    /// them, and a `Retry-After` waited out up to 1 s (the mock's default on 429 and 503):
    /// a test that queues a longer one gets the error at once instead of a slow test.
    pub fn retry_policy() -> mulerouter_kling::RetryPolicy {
        mulerouter_kling::RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
        }
    }

    /// Polling for tests against the mock: every [`mulerouter_kling::MIN_POLL_INTERVAL`]
    /// (the client's shortest pause, 100 ms), giving up after 10 s (a task on
    /// [`Timing::PerPoll`] finishes in two reads; on [`Timing::WallClock`] the polls follow
    /// the clock).
    pub fn wait_options() -> mulerouter_kling::WaitOptions {
        mulerouter_kling::WaitOptions {
            timeout: Duration::from_secs(10),
            initial_interval: mulerouter_kling::MIN_POLL_INTERVAL,
            max_interval: mulerouter_kling::MIN_POLL_INTERVAL,
            multiplier: 1.0,
        }
    }
}

/// The one wiremock responder: hands each request to the core.
struct Responder(MockCore);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = self.0.answer(http_request(request));
        let (parts, body) = answer.response.into_parts();
        let mut template = ResponseTemplate::new(parts.status.as_u16())
            .append_headers(parts.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
        if !body.is_empty() {
            template = template.set_body_bytes(body.to_vec());
        }
        if !answer.delay.is_zero() {
            template = template.set_delay(answer.delay);
        }
        template
    }
}

/// wiremock's request as the core's: method, path and query, headers, body.
fn http_request(request: &Request) -> http::Request<Bytes> {
    let target = match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_string(),
    };
    let mut built = http::Request::new(Bytes::from(request.body.clone()));
    *built.method_mut() = request.method.clone();
    *built.uri_mut() = target
        .parse()
        .unwrap_or_else(|_| http::Uri::from_static("/"));
    *built.headers_mut() = request.headers.clone();
    built
}

/// How many requests the journal keeps unless told otherwise.
pub const DEFAULT_JOURNAL_SIZE: usize = 500;

/// Settings for a [`MockMuleRouter`] or a [`MockCore`]; start from [`MockMuleRouter::builder`].
#[must_use = "a builder starts nothing until `start` (or `build_core`) is called"]
pub struct MockMuleRouterBuilder {
    address: SocketAddr,
    listener: Option<TcpListener>,
    timing: Timing,
    clock: Clock,
    keys: Keys,
    task_ttl: Duration,
    max_tasks: usize,
    record_requests: bool,
    latency: Duration,
    journal_size: usize,
    admin_token: Option<String>,
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
            .field("latency", &self.latency)
            .field("journal_size", &self.journal_size)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl Default for MockMuleRouterBuilder {
    fn default() -> Self {
        Self {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            listener: None,
            timing: Timing::default(),
            clock: Clock::System,
            keys: Keys::Any,
            task_ttl: Duration::from_secs(3600),
            max_tasks: 100_000,
            record_requests: true,
            latency: Duration::ZERO,
            journal_size: DEFAULT_JOURNAL_SIZE,
            admin_token: None,
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

    /// Time tasks by `clock` instead of the system's: they move on ([`Timing::WallClock`])
    /// and expire ([`task_ttl`](Self::task_ttl)) when the test advances it.
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Clock::Manual(clock);
        self
    }

    /// Accept only this bearer token, compared in constant time (default: any token shaped
    /// like a MuleRouter key, `sk-mr-` and more).
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

    /// Keep create requests for [`MockCore::created_requests`], and let the wiremock server
    /// keep a copy of every request for its `received_requests` (default true; a
    /// long-running server may turn both off).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Answer every API request after this delay (default none).
    ///
    /// # Panics
    ///
    /// Over [`MAX_LATENCY`](crate::MAX_LATENCY) (60 s), like every latency the mock is asked
    /// for: a typo would otherwise hang the test.
    pub fn latency(mut self, latency: Duration) -> Self {
        crate::faults::assert_latency(latency);
        self.latency = latency;
        self
    }

    /// How many requests the journal keeps (default 500; 0 keeps none). See
    /// [`MockCore::journal`].
    pub fn journal_size(mut self, size: usize) -> Self {
        self.journal_size = size;
        self
    }

    /// Require this token (`Authorization: Bearer …`, compared in constant time) on the
    /// admin API (`/__admin/…`) from every peer. Without one, the admin API answers loopback
    /// peers only.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// The core with these settings, to serve on a transport of your own; `base_url` is
    /// where clients reach it (video links point there). A transport that knows each
    /// request's peer inserts a [`PeerAddr`](crate::PeerAddr) in the request's extensions;
    /// without one, the admin API takes the peer for loopback when the
    /// [`listen_on`](Self::listen_on) address is. The transport drops the connection
    /// instead of answering when an [`Answer`](crate::Answer) says
    /// [`hang_up`](crate::Answer::hang_up).
    pub fn build_core(self, base_url: impl Into<String>) -> MockCore {
        self.build_core_on(base_url, true)
    }

    /// [`build_core`](Self::build_core) for a transport that can (or, on wiremock, cannot)
    /// drop a connection for [`Fault::HangUp`](crate::Fault::HangUp).
    fn build_core_on(self, base_url: impl Into<String>, can_hang_up: bool) -> MockCore {
        self.build_core_serving(Api::get(), base_url.into(), can_hang_up)
    }

    /// The core serving `api` (the embedded document, or in tests another one).
    pub(crate) fn build_core_serving(
        self,
        api: &'static Api,
        base_url: String,
        can_hang_up: bool,
    ) -> MockCore {
        let faults = Faults::default();
        faults.set_latency(self.latency);
        MockCore::new(State {
            api,
            tasks: Tasks::new(Limits {
                clock: self.clock,
                timing: self.timing,
                ttl: self.task_ttl,
                max_tasks: self.max_tasks,
                record_requests: self.record_requests,
            }),
            faults,
            keys: self.keys,
            admin: AdminAccess {
                token: self.admin_token,
                listener_is_loopback: self.address.ip().is_loopback(),
                public_host: crate::admin::host_name(&base_url),
            },
            base_url,
            requests: AtomicU64::new(0),
            journal: Journal::new(self.journal_size),
            initial_latency: self.latency,
            can_hang_up,
        })
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
    pub async fn try_start(mut self) -> std::io::Result<MockMuleRouter> {
        let listener = match self.listener.take() {
            Some(listener) => listener,
            None => TcpListener::bind(self.address)?,
        };
        let address = listener.local_addr()?;
        self.address = address;
        let recording = self.record_requests;
        let core = self.build_core_on(format!("http://{}", reachable(address)), false);
        let mut server = MockServer::builder().listener(listener);
        if !recording {
            server = server.disable_request_recording();
        }
        let server = server.start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(core.clone()))
            // The lowest priority: mocks a test mounts on the same server come first.
            .with_priority(u8::MAX)
            .named("MuleRouter mock")
            .mount(&server)
            .await;
        Ok(MockMuleRouter { core, server })
    }
}

/// Where a client reaches a listener: an unspecified address (`0.0.0.0`, `::`) is reached
/// on loopback.
pub fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, address.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, address.port()))
        }
        _ => address,
    }
}
