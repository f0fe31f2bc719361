//! A MuleRouter you run yourself: an offline mock of the Kling V3 Omni
//! **reference-video-to-video** API, driven by its OpenAPI document.
//!
//! Every request is checked against the document (embedded at compile time, the same file the
//! client is generated from), tasks move through `pending` → `processing` → `completed` like
//! the service's, completed tasks link to a small real MP4 served by the mock, and faults come
//! on demand. One transport-free core ([`MockCore`]) holds all of that; Rust tests serve it
//! in-process on wiremock ([`MockMuleRouter`]), apps in any language start the binary, which
//! serves it on hyper ([`standalone`]).
//!
//! # Getting started
//!
//! Start a [`MockMuleRouter`] and hand its [`uri`](MockCore::uri) to the client (or take
//! [`mock.client()`](MockMuleRouter::client), set up for tests: a key the mock accepts,
//! retries after milliseconds):
//!
//! ```
//! use mulerouter_kling::types::CreateGenerationRequest;
//! use mulerouter_kling_mock::MockMuleRouter;
//!
//! #[tokio::main]
//! async fn main() {
//!     // Arrange
//!     let mock = MockMuleRouter::start().await;
//!     let client = mock.client();
//!
//!     // Act
//!     let task = client
//!         .create(
//!             CreateGenerationRequest::builder()
//!                 .prompt("A paper boat on a rainy street")
//!                 .video("https://example.com/source.mp4"),
//!         )
//!         .await
//!         .unwrap();
//!     let done = client
//!         .wait_for_completion_with(task.task_info.id, &MockMuleRouter::wait_options(), |_| {})
//!         .await
//!         .unwrap();
//!
//!     // Assert
//!     assert!(done.videos[0].as_str().starts_with(&mock.uri()));
//!     assert_eq!(mock.created_requests()[0].prompt.as_str(), "A paper boat on a rainy street");
//! }
//! ```
//!
//! ## Tests run in real time
//!
//! **Do not use `#[tokio::test(start_paused = true)]` with the in-process mock.** It answers
//! on a real socket; while the test waits for it, tokio's paused clock has nothing to do and
//! jumps ahead to the next timer, which is the client's timeout: the test fails most runs
//! with the client timing out on an answer that was on its way. Keep tests fast instead with
//! [`Timing::Manual`] (tasks move when the test says) or [`Timing::PerPoll`] (one step per
//! read), and short waits: [`MockMuleRouter::client`] retries after milliseconds, and
//! [`MockMuleRouter::wait_options`] polls every 100 ms (the client's floor). For wall-clock timing and the task TTL,
//! advance a [`ManualClock`] rather than tokio's. Paused time suits only [`MockCore`] driven
//! without a socket ([`MockCore::answer`]).
//!
//! A request the document does not allow gets 400 with the broken rules, each with the JSON
//! pointer of the field and the JSON Schema keyword (`maximum`, `required`,
//! `additionalProperties`, …), in the document's `ApiError` shape. One mistake is one
//! violation: a value that breaks a URL's `pattern` and its `format: uri` for the same reason
//! (`"/v.mp4"`) is listed once, as `pattern`, and the URL patterns are said in words ("is not
//! an http or https URL …"), not quoted as regular expressions. Size limits (`maxItems`,
//! `maxLength`, `maxProperties`) are checked while the body is parsed: the items of an array
//! past its `maxItems` are counted, not kept, and not checked. At most [`MAX_VIOLATIONS`] are
//! listed, and finding them stops there, so any body within the 32 MiB limit costs little to
//! refuse.
//!
//! The bearer token must look like a MuleRouter key (`sk-mr-` and more, e.g. `sk-mr-test`),
//! as the service checks; [`api_key`](MockMuleRouterBuilder::api_key) narrows that to one
//! exact key.
//!
//! # Scenarios and timing
//!
//! [`Timing`] says when tasks move on: [`Timing::PerPoll`] (the default: each read moves a task
//! one step), [`Timing::WallClock`] (like the service, on the clock) or [`Timing::Manual`]
//! (only when the test says so, with [`advance`](MockCore::advance),
//! [`complete`](MockCore::complete) and [`fail`](MockCore::fail)). To test wall-clock timing
//! or the task TTL without waiting, hand the builder a [`ManualClock`] and advance it.
//!
//! ```
//! use mulerouter_kling::TaskStatus;
//! use mulerouter_kling_mock::{MockMuleRouter, Timing};
//! # use mulerouter_kling::{ApiKey, Client, types::CreateGenerationRequest};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let mock = MockMuleRouter::builder().timing(Timing::Manual).start().await;
//! # let client = Client::builder().api_key(ApiKey::new("sk-mr-test").unwrap()).base_url(mock.uri()).build().unwrap();
//! # let request = CreateGenerationRequest::builder().prompt("p").video("https://example.com/v.mp4");
//! let id = client.create(request).await.unwrap().task_info.id;
//! assert_eq!(client.get(id).await.unwrap().task_info.status, TaskStatus::Pending);
//!
//! mock.advance(id).unwrap();
//! assert_eq!(client.get(id).await.unwrap().task_info.status, TaskStatus::Processing);
//!
//! mock.fail(id, 3005).unwrap();
//! let failed = client.get(id).await.unwrap();
//! assert_eq!(failed.task_info.error.unwrap().error_code, Some(3005));
//! # }
//! ```
//!
//! # Faults
//!
//! Queue faults in code — each is used by one request (or one task), in order — or ask per
//! request with a [`Prefer`](#the-prefer-header) header. A lost answer ([`Fault::HangUp`]:
//! the request is acted on, the connection dropped) needs the standalone server; wiremock
//! answers every request.
//!
//! ```
//! use std::time::Duration;
//! use mulerouter_kling::{ApiKey, Client, Error, RetryPolicy, TaskStatus};
//! use mulerouter_kling::types::CreateGenerationRequest;
//! use mulerouter_kling_mock::MockMuleRouter;
//!
//! # #[tokio::main]
//! # async fn main() {
//! let mock = MockMuleRouter::start().await;
//! let client = Client::builder()
//!     .api_key(ApiKey::new("sk-mr-test").unwrap())
//!     .base_url(mock.uri())
//!     .retry_policy(RetryPolicy::none())
//!     .build()
//!     .unwrap();
//! let request = || CreateGenerationRequest::builder().prompt("p").video("https://example.com/v.mp4");
//!
//! mock.respond_next_with_status(429, Some(Duration::from_secs(7)));
//! let Err(Error::RateLimited(details)) = client.create(request()).await else { panic!() };
//! assert_eq!(details.retry_after, Some(Duration::from_secs(7)));
//!
//! mock.respond_next_with_proxy_error(502); // an HTML page, as a proxy sends
//! assert_eq!(client.create(request()).await.unwrap_err().status().unwrap(), 502);
//!
//! // Accepted now, fails when it finishes (`advance` finishes it as planned; `complete` is
//! // an explicit request and completes it).
//! mock.fail_next_task_with(3001);
//! let id = client.create(request()).await.unwrap().task_info.id;
//! client.get(id).await.unwrap(); // processing
//! let failed = client.get(id).await.unwrap();
//! assert_eq!(failed.task_info.status, TaskStatus::Failed);
//! # }
//! ```
//!
//! ## The `Prefer` header
//!
//! In the convention Prism users know; preferences are comma-separated, unknown ones are
//! ignored, the answer's `Preference-Applied` lists those honoured:
//!
//! | preference | effect |
//! |---|---|
//! | `code=429` | answer with this status. A 4xx/5xx gets the document's example body for it (`Retry-After: 1` on 429 and 503) and nothing happens; a 2xx must be documented for the operation (`code=202` on create) and only changes the status of a success. |
//! | `example=failed` | on a task read: move the task to the state of that named example of the 200 response (`processing`, `completed`, or `failed` with the example's error), unless it has finished. |
//! | `task-error=3005` | on create: the task fails with this code when it finishes; on a read: it fails now. |
//! | `latency=200ms` | answer after this delay (`ms`, `s`, `m`; a bare number is ms; at most 60 s). |
//! | `retry-after=5` | with a 4xx/5xx `code`: the `Retry-After` seconds. |
//! | `body=html` | with a 5xx `code` (the answers the document lets be HTML): an HTML page instead of JSON, as a proxy sends, with `Retry-After` as the JSON answer would have it; with another `code`, 400. |
//!
//! ```text
//! curl -i "$URL/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/$ID" \
//!   -H 'Authorization: Bearer sk-mr-test' -H 'Prefer: code=200, example=failed'
//! ```
//!
//! # Driving the mock: `Prefer`, the admin API or the Rust methods
//!
//! Three ways reach the same state; pick by who is asking:
//!
//! | use | when |
//! |---|---|
//! | the Rust methods ([`advance`](MockCore::advance), [`fail`](MockCore::fail), [`inject`](MockCore::inject), [`journal`](MockCore::journal), [`reset`](MockCore::reset), …) | a Rust test with the mock in-process: typed, no HTTP in between. |
//! | the admin API (`/__admin/…`, described by `openapi/mock-admin.yaml`; a generated client is the `mulerouter-kling-mock-admin` crate) | a suite in any language against the binary, or a person: fail *that* task, queue the next three 503s, read what the app sent and why it was refused, reset between tests. The in-process mock serves it too. |
//! | a `Prefer` header | one request decides its own answer, with nothing to set up or clean up: the app (or a proxy in the test) can send it, and parallel tests cannot step on each other. |
//!
//! The admin routes call the Rust methods, so they behave the same. Without a token
//! ([`admin_token`](MockMuleRouterBuilder::admin_token), `--admin-token`) the admin API
//! answers loopback callers asking for `localhost`, an IP address or the public URL's host
//! only; with one, every caller must send it as
//! `Authorization: Bearer …`; a browser's request for a page of another origin is refused
//! either way. `GET /__admin/` is a page that shows the tasks and the last
//! requests (with each broken rule's JSON pointer) as they change.
//!
//! ```
//! use mulerouter_kling_mock::{MockMuleRouter, Timing};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let mock = MockMuleRouter::builder().timing(Timing::Manual).start().await;
//! let http = mulerouter_kling::reqwest::Client::new();
//! http.post(format!("{}/__admin/faults", mock.uri()))
//!     .json(&mulerouter_kling::serde_json::json!({ "count": 3, "status": 503 }))
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(mock.queued_faults().len(), 3); // the same queue
//! # }
//! ```
//!
//! # Typed mocks
//!
//! For tests that want plain wiremock with typed requests and answers, [`typed`] has one
//! module per operation, generated from the document by `cargo xtask codegen`:
//!
//! ```
//! use mulerouter_kling::{ApiKey, Client, serde_json, types::TaskResponse};
//! use mulerouter_kling_mock::typed::get_generation::{Then, When};
//! use mulerouter_kling_mock::wiremock::MockServer;
//!
//! # #[tokio::main]
//! # async fn main() {
//! let server = MockServer::start().await;
//! let task: TaskResponse = serde_json::from_value(serde_json::json!({
//!     "task_info": {
//!         "id": "8e1e315e-b50d-4334-a231-be7d19a372f4",
//!         "status": "completed",
//!         "created_at": "2026-03-03T00:00:00Z",
//!         "updated_at": "2026-03-03T00:01:40Z"
//!     },
//!     "videos": ["https://cdn.example/result_000.mp4"]
//! }))
//! .unwrap();
//! When::new()
//!     .task_id(&task.task_info.id)
//!     .respond_with(Then::ok(&task))
//!     .expect(1)
//!     .mount(&server)
//!     .await;
//!
//! let client = Client::builder().api_key(ApiKey::new("sk-mr-test").unwrap()).base_url(server.uri()).build().unwrap();
//! assert_eq!(client.get(task.task_info.id).await.unwrap(), task);
//! # }
//! ```
//!
//! # Your own mocks beside it
//!
//! [`MockMuleRouter::server`] is the wiremock `MockServer` underneath; what you mount there
//! is tried before the mock's own answers. Use the `wiremock` this crate re-exports
//! (`mulerouter_kling_mock::wiremock`), so that your mocks are of the version the server is:
//!
//! ```
//! use mulerouter_kling_mock::MockMuleRouter;
//! use mulerouter_kling_mock::wiremock::{Mock, ResponseTemplate, matchers::path};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let mock = MockMuleRouter::start().await;
//! Mock::given(path("/health")).respond_with(ResponseTemplate::new(204)).mount(mock.server()).await;
//! let answer = mulerouter_kling::reqwest::get(format!("{}/health", mock.uri())).await.unwrap();
//! assert_eq!(answer.status(), 204);
//! # }
//! ```
//!
//! Mount them with `mount` (and `up_to_n_times`, `expect`), not `mount_as_scoped`, and
//! forget the mock's state with `mock.reset()`, not the server's `reset()`: see
//! [`MockMuleRouter::server`] for why.
//!
//! wiremock keeps a copy of each request a mounted mock answers for as long as the server
//! runs, the mock's own answers included, and one more for its `received_requests`
//! ([`record_requests(false)`](MockMuleRouterBuilder::record_requests) turns that one off),
//! so an in-process mock grows
//! by a few kilobytes per request: nothing for a test, too much for days of traffic. It also
//! reads each body whole before the core sees it (a body over 32 MiB gets its 413 after the
//! upload). Both are what the binary is for.
//!
//! # Standalone use
//!
//! ```text
//! cargo run -p mulerouter-kling-mock -- --port 4010
//! ```
//!
//! listens on `127.0.0.1:4010` (`--port 0` picks a free port; the first line printed says
//! which), prints a `curl` example and a key that works, and logs one line per request
//! (`RUST_LOG` filters): every API request and every admin request that changes something
//! (`POST`, `DELETE`), at `info`; admin reads (the inspector page polls every second) at
//! `debug`. Each line carries the `trace_id` of the `traceparent` its answer sent. A request
//! with a valid W3C `traceparent` is answered in the same trace (same trace id, a new span
//! id), as a gateway continues one; an invalid one is ignored. It serves HTTP/1.1 and h2c on hyper with bounded bodies and unread
//! answers, timeouts, a connection cap and a draining shutdown on Ctrl-C or SIGTERM (see
//! [`standalone`] for each limit and its flag). `--api-key` or `MULEROUTER_MOCK_API_KEY`
//! accepts one key only. Point any client at it with `MULEROUTER_BASE_URL=http://127.0.0.1:4010`
//! and a key it accepts, `MULEROUTER_API_KEY=sk-mr-test` (`Client::from_env` needs the key,
//! and `kling` refuses a base URL without one).
//!
//! Its memory stays flat however long it runs: finished tasks are evicted after
//! [`task_ttl`](MockMuleRouterBuilder::task_ttl) (a read of one then gets 404, its `detail`
//! saying that finished tasks expire and after how long), the number held is capped by
//! [`max_tasks`](MockMuleRouterBuilder::max_tasks), and the journal of the last requests is
//! a ring of [`journal_size`](MockMuleRouterBuilder::journal_size) entries (`--journal-size`,
//! default 500); nothing else is kept per request.
//!
//! The library alone (`default-features = false`) leaves out the binary's `clap` and
//! `tracing-subscriber`.
//!
//! # What is here
//!
//! - [`MockMuleRouter`], [`MockMuleRouterBuilder`]: the mock in-process, and the settings.
//! - [`MockCore`]: the mock without a transport: answers an `http::Request`, drives tasks.
//! - [`standalone`]: the core served on hyper, as the binary runs it.
//! - [`admin`]: the admin API under `/__admin/` and its inspector page; [`JournalEntry`]:
//!   one request as the journal keeps it.
//! - [`Timing`]: when tasks move on; [`ManualClock`]: a clock a test advances, so that
//!   wall-clock timing and the task TTL are tested without waiting. [`Fault`]: what can go
//!   wrong on purpose.
//! - [`typed`]: typed wiremock mocks, one module per operation.
//! - [`document`]: the embedded document, the request checks the mock runs and the answer
//!   checks its tests run.

#![warn(missing_docs)]

pub mod admin;
mod auth;
mod bounded;
mod clock;
mod dispatch;
pub mod document;
mod faults;
mod in_process;
mod journal;
mod mock_core;
mod prefer;
mod reply;
mod schema;
pub mod standalone;
mod tasks;
mod text;
mod violations;

#[rustfmt::skip]
#[allow(clippy::all, missing_docs, unused)]
pub mod typed;

pub use admin::PeerAddr;
/// The `bytes` crate, for the body of a request to [`MockCore::answer`].
pub use bytes;
pub use clock::ManualClock;
pub use faults::Fault;
/// The `http` crate, for the requests and answers of [`MockCore::answer`].
pub use http;
pub use in_process::{DEFAULT_JOURNAL_SIZE, MockMuleRouter, MockMuleRouterBuilder, reachable};
pub use journal::{JournalEntry, MAX_JOURNAL_ANSWER_BYTES, MAX_VIOLATIONS_KEPT};
pub use mock_core::{Answer, MockCore, Stats, UnknownTask};
pub use prefer::MAX_LATENCY;
pub use tasks::Timing;
pub use violations::MAX_VIOLATIONS;
/// The wiremock this crate serves on, for mocks mounted on [`MockMuleRouter::server`]: a
/// `wiremock` of another version in your `Cargo.toml` has types that do not fit it.
pub use wiremock;

#[doc(hidden)]
pub use prefer::{format_duration_flag, parse_duration_flag};
