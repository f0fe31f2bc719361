//! A MuleRouter you run yourself: an offline mock of the Kling V3 Omni
//! **reference-video-to-video** API, driven by its OpenAPI document.
//!
//! Every request is checked against the document (embedded at compile time, the same file the
//! client is generated from), tasks move through `pending` → `processing` → `completed` like
//! the service's, completed tasks link to a small real MP4 served by the mock, and faults come
//! on demand. Rust tests start it in-process; apps in any language start the binary.
//!
//! # Getting started
//!
//! Start a [`MockMuleRouter`] and hand its [`uri`](MockMuleRouter::uri) to the client:
//!
//! ```
//! use std::time::Duration;
//! use mulerouter_kling::{ApiKey, Client, WaitOptions, types::CreateGenerationRequest};
//! use mulerouter_kling_mock::MockMuleRouter;
//!
//! #[tokio::main]
//! async fn main() {
//!     // Arrange
//!     let mock = MockMuleRouter::start().await;
//!     let client = Client::builder()
//!         .api_key(ApiKey::new("sk-mr-test").unwrap())
//!         .base_url(mock.uri())
//!         .build()
//!         .unwrap();
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
//!     let fast = WaitOptions { initial_interval: Duration::from_millis(10), ..WaitOptions::default() };
//!     let done = client
//!         .wait_for_completion_with(task.task_info.id, &fast, |_| {})
//!         .await
//!         .unwrap();
//!
//!     // Assert
//!     assert!(done.videos[0].as_str().starts_with(&mock.uri()));
//!     assert_eq!(mock.created_requests()[0].prompt.as_str(), "A paper boat on a rainy street");
//! }
//! ```
//!
//! A request the document does not allow gets 400 with every broken rule, each with the JSON
//! pointer of the field and the JSON Schema keyword (`maximum`, `required`,
//! `additionalProperties`, …), in the document's `ApiError` shape.
//!
//! # Scenarios and timing
//!
//! [`Timing`] says when tasks move on: [`Timing::PerPoll`] (the default: each read moves a task
//! one step), [`Timing::WallClock`] (like the service, on the clock) or [`Timing::Manual`]
//! (only when the test says so, with [`advance`](MockMuleRouter::advance),
//! [`complete`](MockMuleRouter::complete) and [`fail`](MockMuleRouter::fail)):
//!
//! ```
//! use mulerouter_kling::TaskStatus;
//! use mulerouter_kling_mock::{MockMuleRouter, Timing};
//! # use mulerouter_kling::{ApiKey, Client, types::CreateGenerationRequest};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let mock = MockMuleRouter::builder().timing(Timing::Manual).start().await;
//! # let client = Client::builder().api_key(ApiKey::new("k").unwrap()).base_url(mock.uri()).build().unwrap();
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
//! request with a [`Prefer`](#the-prefer-header) header:
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
//! mock.fail_next_task_with(3001); // accepted now, fails when it finishes
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
//! | `body=html` | with a 4xx/5xx `code`: an HTML page instead of JSON, as a proxy sends. |
//!
//! ```text
//! curl -i "$URL/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/$ID" \
//!   -H 'Authorization: Bearer sk-mr-test' -H 'Prefer: code=200, example=failed'
//! ```
//!
//! # Typed mocks
//!
//! For tests that want plain wiremock with typed requests and answers, [`typed`] has one
//! module per operation, generated from the document by `cargo xtask codegen`:
//!
//! ```
//! use mulerouter_kling::{ApiKey, Client, types::TaskResponse};
//! use mulerouter_kling_mock::typed::get_generation::{Then, When};
//! use wiremock::MockServer;
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
//! let client = Client::builder().api_key(ApiKey::new("k").unwrap()).base_url(server.uri()).build().unwrap();
//! assert_eq!(client.get(task.task_info.id).await.unwrap(), task);
//! # }
//! ```
//!
//! # Standalone use
//!
//! ```text
//! cargo run -p mulerouter-kling-mock -- --port 4010
//! ```
//!
//! listens on `127.0.0.1:4010` (`--port 0` picks a free port; the first line printed says
//! which), prints a `curl` example, logs one line per request (`RUST_LOG` filters) and stops
//! cleanly on Ctrl-C or SIGTERM. `--help` lists the settings (timing, key, TTL, cap, latency).
//! Point any client at it with `MULEROUTER_BASE_URL=http://127.0.0.1:4010`.
//!
//! # Running for days
//!
//! Finished tasks are evicted after [`task_ttl`](MockMuleRouterBuilder::task_ttl) and the
//! number held is capped by [`max_tasks`](MockMuleRouterBuilder::max_tasks). wiremock keeps a
//! copy of every request a mounted mock answers (even with request recording off), so the
//! mock mounts one catch-all responder and drops wiremock's copies every
//! [`recycle_after`](MockMuleRouterBuilder::recycle_after) requests, without a moment in which
//! a request could find nothing mounted ([`Recycling`], which serves any responder the same
//! way). Measured on 2 cores, release
//! build, with finished tasks evicted 2 s after they finish: RSS stays at 36–37 MiB from
//! 860 000 to 3 000 000 requests; with the defaults it levels off at 71 MiB once 100 000 tasks
//! are held (`cargo xtask bench`, see `BENCHMARKS.md`). Without recycling it reaches 2 GiB
//! after 400 000 requests.
//!
//! wiremock 0.6.5 counts these resets in a `u16` and panics on the 65 536th when built with
//! overflow checks, as in the dev profile. A debug build of this crate therefore recycles
//! less and less often (the interval doubles every 8 000 recycles) and stops at 64 000, with
//! a warning: about two billion requests at the default setting. For runs longer than that,
//! build in release (`cargo run --release -p mulerouter-kling-mock`), where the counter
//! wraps harmlessly and recycling goes on for ever.
//!
//! # What is here
//!
//! - [`MockMuleRouter`], [`MockMuleRouterBuilder`]: the mock and its settings.
//! - [`Timing`]: when tasks move on. [`Fault`]: what can go wrong on purpose.
//! - [`typed`]: typed wiremock mocks, one module per operation.
//! - [`document`]: the embedded document and the request/response checks the mock runs.
//! - [`Recycling`]: the bound on wiremock's copies of requests, for any responder.

#![warn(missing_docs)]

mod auth;
pub mod document;
mod faults;
mod prefer;
mod recycle;
mod reply;
mod respond;
mod schema;
mod server;
mod tasks;
mod violations;

#[rustfmt::skip]
#[allow(clippy::all, missing_docs, unused)]
pub mod typed;

pub use faults::Fault;
pub use recycle::Recycling;
pub use server::{MockMuleRouter, MockMuleRouterBuilder, Stats, UnknownTask};
pub use tasks::Timing;

#[doc(hidden)]
pub use prefer::parse_duration;
