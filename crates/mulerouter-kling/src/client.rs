//! The client users hold: validated creates, retried reads, waiting for a result.

use std::fmt;
use std::future::Future;

use progenitor_client::{Error as RawError, ResponseValue};
use uuid::Uuid;

use crate::classify::classify;
use crate::observe::observed;
use crate::types::{ApiError, CreateGenerationRequest, TaskResponse};
use crate::{ClientBuilder, Error, RetryPolicy, validate};

/// A MuleRouter client for Kling V3 Omni reference-video-to-video.
///
/// Cheap to clone (the connection pool is shared). See the [crate docs](crate) for a tour.
#[derive(Clone)]
pub struct Client {
    raw: crate::raw::Client,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// A read: retry on 429, 5xx and transport errors.
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

    pub(crate) fn from_parts(raw: crate::raw::Client, retry: RetryPolicy) -> Self {
        Self { raw, retry }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.raw)
    }

    /// The generated client underneath, for calls this layer does not wrap. It sends the same
    /// `Authorization` header but neither validates nor retries.
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
        self.send(Repeat::OnlyIfNotReceived, || {
            self.raw.create_generation().body(request.clone()).send()
        })
        .await
    }

    /// Reads a task's current state. Retried on 429, 5xx and transport errors.
    pub async fn get(&self, task_id: Uuid) -> Result<TaskResponse, Error> {
        self.send(Repeat::Safe, || {
            self.raw.get_generation().task_id(task_id).send()
        })
        .await
    }

    async fn send<F, Fut>(&self, repeat: Repeat, call: F) -> Result<TaskResponse, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<TaskResponse>, RawError<ApiError>>>,
    {
        let mut attempt = 1;
        loop {
            let (result, seen) = observed(call()).await;
            let error = match classify(result, seen).await {
                Ok(task) => return Ok(task),
                Err(error) => error,
            };
            let delay = if may_repeat(repeat, &error) {
                let asked = error.details().and_then(|d| d.retry_after);
                self.retry.delay(attempt, asked)
            } else {
                None
            };
            let Some(delay) = delay else {
                return Err(error);
            };
            tracing::warn!(attempt, ?delay, %error, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
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
        (Repeat::Safe, Error::Transport { .. }) => true,
        (Repeat::Safe, other) => other
            .status()
            .is_some_and(crate::retry::is_retryable_status),
        (Repeat::OnlyIfNotReceived, _) => false,
    }
}
