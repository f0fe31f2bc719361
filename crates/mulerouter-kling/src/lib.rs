//! A typed client for MuleRouter's Kling V3 Omni **reference-video-to-video** API.
//!
//! Generate a new video from a reference video: create a task, then wait for its result.
//!
//! ```no_run
//! use mulerouter_kling::{Client, types::{CreateGenerationRequest, Mode}};
//!
//! # async fn run() -> Result<(), mulerouter_kling::Error> {
//! // MULEROUTER_API_KEY (and optionally MULEROUTER_BASE_URL) come from the environment.
//! let client = Client::from_env()?;
//!
//! let task = client
//!     .create(
//!         CreateGenerationRequest::builder()
//!             .prompt("Transform the video into an animated painting style")
//!             .video("https://example.com/source-video.mp4")
//!             .mode(Mode::Std)
//!             .duration(5),
//!     )
//!     .await?;
//!
//! let done = client.wait_for_completion(task.task_info.id).await?;
//! for url in &done.videos {
//!     println!("{url}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Building a request
//!
//! Two ways, checked by the same rules before anything is sent:
//!
//! - **From plain values** (recommended as soon as optional fields come in):
//!   [`parse_request`] on a [`serde_json::json!`] value takes every field as the API
//!   document writes it (`"aspect_ratio": "16:9"`, `"mode": "pro"`, strings for text) and
//!   reports **every** broken rule at once, each with its field and a plain message. Its
//!   [`InvalidInput`] turns into [`Error::InvalidInput`] with `?`.
//! - **The generated builder** ([`types::CreateGenerationRequest::builder`]): typed field
//!   names, but optional fields take their own types rather than strings
//!   (`.mode(Mode::Pro)`, `.aspect_ratio(AspectRatio::X169)`; a negative prompt must be
//!   parsed into `CreateGenerationRequestNegativePrompt` first), and it stops at the first
//!   value it refuses, reported in its own words.
//!
//! ```
//! use mulerouter_kling::{Error, parse_request, serde_json::json, types::CreateGenerationRequest};
//!
//! fn request(prompt: &str, video: &str) -> Result<CreateGenerationRequest, Error> {
//!     Ok(parse_request(&json!({
//!         "prompt": prompt,
//!         "video": video,
//!         "negative_prompt": "blurry, low quality",
//!         "aspect_ratio": "16:9",
//!         "mode": "pro",
//!         "duration": 10,
//!     }))?)
//! }
//!
//! assert!(request("A paper boat on a rainy street", "https://example.com/in.mp4").is_ok());
//!
//! // Every problem at once, not only the first.
//! let Err(Error::InvalidInput(input)) = request("", "not a url") else { panic!() };
//! assert_eq!(input.violations().len(), 2);
//! assert_eq!(input.violations()[0].pointer, "/prompt");
//! assert_eq!(input.violations()[1].pointer, "/video");
//! ```
//!
//! What this layer adds to the generated code ([`raw::Client`], [`types`]):
//!
//! - **Checks before sending.** Every rule of the API document is checked on the client; a
//!   request the service would reject returns [`Error::InvalidInput`] naming each field and
//!   rule, and nothing is sent.
//! - **Safe retries.** Reads retry on 429, 500, 502, 503, 504 and transport errors,
//!   honouring `Retry-After`. A create is billed, so it is retried only when nothing can
//!   have been created.
//! - **Bounded time and memory.** Each call has a budget for all its attempts
//!   ([`ClientBuilder::call_timeout`]), a wait has a deadline that cuts a poll in flight, and
//!   no answer is read past [`ClientBuilder::max_response_bytes`] (default 4 MiB).
//! - **Visible.** Each request, retry (with its reason and wait) and poll is logged through
//!   [`tracing`](https://docs.rs/tracing); the key never is.
//! - **Waiting.** [`Client::wait_for_completion`] polls with backoff and a deadline, rides
//!   out transient failures ([`Error::is_transient`]) until that deadline (each one shown to
//!   [`Client::wait_for_completion_observed`] as it happens), accepts every
//!   documented status spelling ([`TaskStatus`]) and returns the video URLs or a
//!   [`TaskFailure`] with the task's error code. [`Error::Timeout`] means the *wait* ran out
//!   while the task was still running; [`Error::TimedOut`], that *one call* got no answer.
//! - **Errors to act on.** One [`Error`] to `match`, each variant saying what to do.
//! - **Secrets stay secret.** The key is sent as `Authorization: Bearer …`, marked sensitive,
//!   and never printed by `Debug`.
//!
//! # Setting up a client
//!
//! [`Client::from_env`] reads the key and base URL from the environment; [`Client::builder`]
//! takes them from the program, with every limit ([`ClientBuilder`] lists the defaults).
//! Building makes no connection. The client is `Clone + Send + Sync` and a clone shares the
//! connection pool, so one client per process serves every task and thread; clone it into
//! each task rather than building more.
//!
//! ```
//! use std::time::Duration;
//! use mulerouter_kling::{ApiKey, Client, RetryPolicy, reqwest};
//!
//! # fn main() -> Result<(), mulerouter_kling::Error> {
//! # let key = "sk-mr-your-key".to_string();
//! let client = Client::builder()
//!     .api_key(ApiKey::new(key)?) // from your secret store
//!     .base_url("https://mulerouter-gateway.internal.example") // a proxy, or the mock
//!     .connect_timeout(Duration::from_secs(5))
//!     .request_timeout(Duration::from_secs(30)) // one attempt
//!     .call_timeout(Duration::from_secs(90)) // one call: every attempt and the waits between
//!     .retry_policy(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() })
//!     // The rest of reqwest's settings: your app's user agent, a proxy, a root certificate.
//!     .http(|http| {
//!         http.user_agent("my-service/1.4")
//!             .proxy(reqwest::Proxy::https("http://proxy.internal:3128").unwrap())
//!     })
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! [`ClientBuilder::http`] gets reqwest's *builder*, not a ready `reqwest::Client`: the
//! client needs its own settings on the one it uses (the key as a sensitive default header,
//! redirects never followed, its timeouts), and a built `reqwest::Client` cannot take them.
//! Its connection pool is the client's own, shared by its clones.
//!
//! # Waiting, cancelling, downloading
//!
//! [`Client::wait_for_completion_with`] waits up to [`WaitOptions::timeout`]; the deadline
//! holds even while the server stalls (a poll in flight is abandoned), and on it the wait
//! ends with [`Error::Timeout`]: the task goes on, so wait again later or give up on it.
//! Dropping a wait (or a [`Client::create`], [`Client::get`]) cancels it at once: the client
//! starts no background task, so nothing keeps polling, and the connection of a request in
//! flight is closed. The API has no call to stop a task on the service: it finishes (and is
//! billed) whether or not anyone waits.
//!
//! ```no_run
//! use std::time::Duration;
//! use mulerouter_kling::{Client, Error, Uuid, WaitOptions};
//!
//! async fn wait(
//!     client: &Client,
//!     task_id: Uuid,
//!     shutdown: impl Future<Output = ()>, // e.g. your service's shutdown signal
//! ) -> Result<Option<mulerouter_kling::CompletedTask>, Error> {
//!     let options = WaitOptions { timeout: Duration::from_secs(20 * 60), ..WaitOptions::default() };
//!     tokio::select! {
//!         done = client.wait_for_completion_with(task_id, &options, |task| {
//!             tracing::info!(%task_id, status = %task.task_info.status, "still generating");
//!         }) => match done {
//!             Ok(done) => Ok(Some(done)),
//!             // Still running at the deadline: keep the id and look again later.
//!             Err(Error::Timeout { .. }) => Ok(None),
//!             Err(error) => Err(error),
//!         },
//!         // The wait is dropped here; the task goes on at the service.
//!         () = shutdown => Ok(None),
//!     }
//! }
//! ```
//!
//! The result videos ([`CompletedTask::videos`]) are links to the files, fetched with any
//! HTTP client. Use one of your own, **not** the API's: the links point at file storage,
//! which has no use for the API key and should never see it (the client's own HTTP client
//! sends the key with every request).
//!
//! ```no_run
//! use std::io::Write;
//! use mulerouter_kling::{CompletedTask, reqwest};
//!
//! async fn download(done: &CompletedTask) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let http = reqwest::Client::builder()
//!         .connect_timeout(std::time::Duration::from_secs(10))
//!         .build()?;
//!     let mut response = http.get(done.videos[0].clone()).send().await?.error_for_status()?;
//!     // Blocking writes for brevity; a service writes with `tokio::fs` instead.
//!     let mut file = std::fs::File::create("result.mp4")?;
//!     while let Some(chunk) = response.chunk().await? {
//!         file.write_all(&chunk)?;
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Errors and retries
//!
//! [`Error`] is `Send + Sync + 'static` (it works with `?` into `anyhow::Error` or
//! `Box<dyn Error + Send + Sync>`), `#[non_exhaustive]`, and says what to do in its
//! `Display`, which never holds the key and holds every cause (so `source()` is `None`, and
//! `anyhow`'s `{:#}` names each cause once). Besides `match`ing its variants, ask it:
//! [`Error::status`], [`Error::details`] (the service's error code, title, detail,
//! `traceparent` and `Retry-After`), [`Error::is_transient`] (worth asking again later) and
//! [`Error::task_may_exist`] (a failed create that may still have made its billed task).
//!
//! Reads are retried by [`RetryPolicy`] (attempts, backoff, the longest `Retry-After` waited
//! out), within [`ClientBuilder::call_timeout`]. A create is billed and has no idempotency
//! key, so it is retried only when the service certainly made nothing: after a 429, or when
//! the connection was never made. Never after a lost connection, a timeout or a 5xx;
//! [`RetryPolicy::none`] turns the retries of both off.
//!
//! # Logs
//!
//! Through [`tracing`](https://docs.rs/tracing), under the `mulerouter_kling` target. Each
//! call runs in a span `call` (fields `operation`, `task_id`, and `traceparent`: that of the
//! service's answer, to find the request in MuleRouter's logs), each wait in a span `wait`
//! (`task_id`) around its polls' spans. At `info`: retries (attempt, reason, wait and
//! whether it came from `Retry-After`), polls and failed polls; at `debug`: each request and
//! answer. The key is never logged.
//!
//! # Types from other crates
//!
//! The API's values are written with a few types from other crates; they are re-exported, so
//! a program needs no dependency of its own to call the API: [`Uuid`] (task ids), [`Url`]
//! (result videos), [`serde_json`] (for [`parse_request`] and its `json!` macro) and
//! [`reqwest`] (to set up the HTTP client with [`ClientBuilder::http`]).
//!
//! ```
//! use mulerouter_kling::{Url, Uuid, parse_request, serde_json};
//!
//! let task_id: Uuid = "8e1e315e-b50d-4334-a231-be7d19a372f4".parse().unwrap();
//! let request = parse_request(&serde_json::json!({
//!     "prompt": "A paper boat on a rainy street",
//!     "video": "https://example.com/source.mp4",
//! }))
//! .unwrap();
//! let video = Url::parse("https://cdn.example.com/result.mp4").unwrap();
//! # let _ = (task_id, request, video);
//! ```
//!
//! The generated code is committed in `src/generated.rs`; `cargo xtask codegen` rewrites it
//! from `openapi/kling-v3-omni-reference-video-to-video.yaml`.

#![warn(missing_docs)]

mod body_limit;
mod classify;
mod client;
mod config;
mod error;
mod observe;
mod retry;
mod status;
mod validate;
mod wait;

#[rustfmt::skip]
#[allow(clippy::all, unused, missing_docs, missing_debug_implementations, rust_2018_idioms)]
mod generated;
#[rustfmt::skip]
mod generated_rules;

pub use client::Client;
pub use config::{
    API_KEY_ENV, ApiKey, BASE_URL_ENV, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CALL_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BYTES,
};
pub use error::{ApiErrorDetails, Error, Operation, TaskFailure};
pub use generated::types;
pub use retry::RetryPolicy;
pub use status::{Phase, TaskStatus};
pub use validate::{InvalidInput, Violation, parse_request, validate};
pub use wait::{CompletedTask, MIN_POLL_INTERVAL, WaitEvent, WaitOptions};

/// The `reqwest` crate, for [`ClientBuilder::http`]: a proxy, a root certificate, …
pub use reqwest;
/// The `serde_json` crate, for [`parse_request`]'s argument and its `json!` macro.
pub use serde_json;
/// Result video URLs ([`CompletedTask::videos`]).
pub use url::Url;

/// An error and its causes on one line, as this crate's messages give them: for the
/// workspace's own tools (`kling`'s downloads, the contract checker), which talk HTTP beside
/// the client. Not part of the API.
#[doc(hidden)]
pub use error::causes as error_chain;
/// Task ids ([`Client::get`], [`Client::wait_for_completion`]).
pub use uuid::Uuid;

/// The document's rules, as the client checks them: one [`Rule`](rules::Rule) per field of
/// each request body (limits, allowed values, defaults, what a pattern asks for in words),
/// the most bytes a body may take (`CREATE_GENERATION_MAX_BODY_BYTES`), and the task states
/// the document knows with their [`Phase`]. Generated from the OpenAPI
/// document by `cargo xtask codegen`, so a tool built on them (a form, a command line) follows
/// the document.
///
/// ```
/// use mulerouter_kling::rules::{self, CREATE_GENERATION};
///
/// let duration = rules::field(CREATE_GENERATION, "/duration").unwrap();
/// assert_eq!((duration.minimum, duration.maximum), (Some(3.0), Some(15.0)));
/// assert_eq!(duration.default, Some("5"));
/// let modes = rules::field(CREATE_GENERATION, "/mode").unwrap();
/// assert!(modes.enumeration.contains(&"pro"));
/// assert_eq!(rules::CREATE_GENERATION_MAX_BODY_BYTES, 32 << 20);
/// ```
pub mod rules {
    pub use crate::generated_rules::*;
    pub use crate::validate::{Rule, Tag, Type};

    /// The row of `table` for the field at `pointer` (`*` for any array index, as in
    /// [`Rule::pointer`]).
    pub fn field(table: &'static [Rule], pointer: &str) -> Option<&'static Rule> {
        table.iter().find(|rule| rule.pointer == pointer)
    }
}

/// The generated client, for calls the hand-written layer does not wrap.
pub mod raw {
    pub use crate::generated::{Client, builder};
    pub use progenitor_client::{Error, ResponseValue};
}
