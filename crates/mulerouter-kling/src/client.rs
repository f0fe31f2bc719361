//! The client users hold: validated creates, retried reads, waiting for a result.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use progenitor_client::{Error as RawError, ResponseValue};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use crate::classify::classify;
use crate::config::Origin;
use crate::error::{CallContext, Operation};
use crate::observe::observed;
use crate::types::{ApiError, CreateGenerationRequest, TaskResponse};
use crate::{ClientBuilder, Error, RetryPolicy, validate};

/// A MuleRouter client for Kling V3 Omni reference-video-to-video.
///
/// `Clone + Send + Sync`, and cheap to clone: clones share the connection pool, so clone one
/// client into every task that needs it. Dropping a call's future cancels it (the client
/// runs no background task). See the [crate docs](crate) for a tour.
#[derive(Clone)]
pub struct Client {
    raw: crate::raw::Client,
    pub(crate) limits: Limits,
    origins: Origins,
}

/// Where the key and the base URL came from, for the hints of errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origins {
    pub api_key: Origin,
    pub base_url: Origin,
}

/// How much time and memory one call may use.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub retry: RetryPolicy,
    pub call_timeout: Duration,
    pub max_response_bytes: u64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("retry", &self.limits.retry)
            .field("call_timeout", &self.limits.call_timeout)
            .field("max_response_bytes", &self.limits.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// A read: retry on 429, 500, 502, 503, 504 and transport errors.
    Safe,
    /// A create: retry only when nothing can have been created.
    OnlyIfNotReceived,
}

impl Client {
    /// Settings to start from; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `MULEROUTER_API_KEY` and, when set, `MULEROUTER_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// A client for the production API with this key.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder()
            .api_key(crate::ApiKey::new(api_key)?)
            .build()
    }

    pub(crate) fn from_parts(raw: crate::raw::Client, limits: Limits, origins: Origins) -> Self {
        Self {
            raw,
            limits,
            origins,
        }
    }

    /// The same client (sharing its connections) with another budget for each call; see
    /// [`ClientBuilder::call_timeout`].
    #[must_use = "the client itself keeps its budget; use the one returned"]
    pub fn with_call_timeout(&self, timeout: Duration) -> Self {
        let mut client = self.clone();
        client.limits.call_timeout = timeout;
        client
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.raw)
    }

    /// The generated client underneath, for calls this layer does not wrap. It sends the same
    /// `Authorization` header and reads at most
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES) of an answer (a
    /// larger one fails to parse), but neither validates nor retries.
    pub fn raw(&self) -> &crate::raw::Client {
        &self.raw
    }

    /// Creates a generation task and returns it (status `pending`).
    ///
    /// Takes a [`CreateGenerationRequest`] or its builder. Every rule of the API document is
    /// checked first; a request that breaks one is refused with [`Error::InvalidInput`] and
    /// nothing is sent. A create is billed and not idempotent, so it is retried only when the
    /// service certainly created nothing (429, or a connection that was never made).
    pub async fn create<R>(&self, request: R) -> Result<TaskResponse, Error>
    where
        R: TryInto<CreateGenerationRequest>,
        R::Error: fmt::Display,
    {
        let request = request.try_into().map_err(|e| {
            Error::InvalidInput(validate::InvalidInput::single(
                validate::refused_by_builder(&e.to_string()),
            ))
        })?;
        validate::validate(&request).map_err(Error::InvalidInput)?;
        self.send(Operation::Create, None, Repeat::OnlyIfNotReceived, || {
            self.raw.create_generation().body(request.clone()).send()
        })
        .await
    }

    /// Reads a task's current state. Retried on 429, 500, 502, 503, 504 and transport
    /// errors, within the call's budget ([`ClientBuilder::call_timeout`]).
    ///
    /// An answer about another task (a caching proxy, a server that mixes its tasks up) is an
    /// [`Error::UnexpectedResponse`]: its videos are not the ones asked for.
    pub async fn get(&self, task_id: Uuid) -> Result<TaskResponse, Error> {
        let task = self
            .send(Operation::Get, Some(task_id), Repeat::Safe, || {
                self.raw.get_generation().task_id(task_id).send()
            })
            .await?;
        if task.task_info.id != task_id {
            return Err(Error::UnexpectedResponse {
                status: None,
                reason: format!(
                    "asked for task {task_id}, the answer is about task {}",
                    task.task_info.id
                ),
                body: String::new(),
            });
        }
        Ok(task)
    }

    /// Runs `call` until it succeeds, fails for good, or the call's budget runs out; the
    /// budget cuts whatever is in flight, a read or a wait between attempts. An error the
    /// service answered with learns what the call was, for its hint.
    async fn send<F, Fut>(
        &self,
        operation: Operation,
        task_id: Option<Uuid>,
        repeat: Repeat,
        call: F,
    ) -> Result<TaskResponse, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<TaskResponse>, RawError<ApiError>>>,
    {
        // One span per call, its retries included, so that a service running many calls at
        // once can tell their events apart and find each in the service's logs.
        let span = tracing::info_span!(
            "call",
            %operation,
            task_id = task_id.map(tracing::field::display),
            traceparent = tracing::field::Empty,
        );
        let result = self
            .send_within_budget(operation, repeat, call)
            .instrument(span.clone())
            .await;
        if let Ok(task) = &result {
            // A create learns its task's id only now.
            span.record("task_id", tracing::field::display(task.task_info.id));
        }
        result.map_err(|error| {
            error.in_context(CallContext {
                operation,
                task_id,
                base_url: self.base_url().to_string(),
                base_url_origin: self.origins.base_url,
                api_key_origin: self.origins.api_key,
            })
        })
    }

    async fn send_within_budget<F, Fut>(
        &self,
        operation: Operation,
        repeat: Repeat,
        call: F,
    ) -> Result<TaskResponse, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<TaskResponse>, RawError<ApiError>>>,
    {
        let started = Instant::now();
        let deadline = crate::wait::deadline_after(started, self.limits.call_timeout);
        let attempts = self.attempts(operation, repeat, deadline, call);
        match tokio::time::timeout_at(deadline, attempts).await {
            Ok(Err(error)) if is_timeout(&error) => Err(Error::TimedOut {
                operation,
                after: started.elapsed(),
            }),
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(%operation, budget = ?self.limits.call_timeout, "call timed out");
                Err(Error::TimedOut {
                    operation,
                    after: started.elapsed(),
                })
            }
        }
    }

    async fn attempts<F, Fut>(
        &self,
        operation: Operation,
        repeat: Repeat,
        deadline: Instant,
        call: F,
    ) -> Result<TaskResponse, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<TaskResponse>, RawError<ApiError>>>,
    {
        let mut attempt = 1;
        loop {
            let (result, seen) = observed(self.limits.max_response_bytes, call()).await;
            let error = match classify(result, seen).await {
                Ok(task) => return Ok(task),
                Err(error) => error,
            };
            if !may_repeat(repeat, &error) {
                return Err(error);
            }
            let asked = error.details().and_then(|d| d.retry_after);
            let Some(wait) = self.limits.retry.delay(attempt, asked) else {
                return Err(error);
            };
            // Waiting past the budget only to be cut off would hide the real error.
            if Instant::now()
                .checked_add(wait)
                .is_none_or(|end| end >= deadline)
            {
                tracing::info!(%operation, attempt, wait = ?wait, %error, "not retrying: the wait would outlast the call's budget");
                return Err(error);
            }
            let reason = if asked.is_some() {
                "Retry-After"
            } else {
                "backoff"
            };
            tracing::info!(%operation, attempt, wait = ?wait, wait_from = reason, %error, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// A per-attempt timeout (reqwest's) that survived the retries, once the request may have
/// been sent (a connection that timed out is a plain transport error: nothing was sent).
fn is_timeout(error: &Error) -> bool {
    matches!(error, Error::Transport { source, maybe_sent: true, .. } if source.is_timeout())
}
fn may_repeat(repeat: Repeat, error: &Error) -> bool {
    match (repeat, error) {
        (_, Error::RateLimited(_)) => true,
        (
            _,
            Error::Transport {
                maybe_sent: false, ..
            },
        ) => true,
        // One rule for reads and waits: what is transient is worth asking again.
        (Repeat::Safe, other) => other.is_transient(),
        (Repeat::OnlyIfNotReceived, _) => false,
    }
}
