//! One error type for everything the client can run into, with a hint on what to do.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::TaskStatus;
use crate::body_limit::human_size;
use crate::config::{API_KEY_ENV, BASE_URL_ENV, Origin};
use crate::validate::InvalidInput;

/// Everything that can go wrong, grouped by what the caller should do about it.
///
/// ```
/// # fn handle(error: mulerouter_kling::Error) {
/// use mulerouter_kling::Error;
/// match error {
///     Error::InvalidInput(input) => eprintln!("fix the request: {input}"),
///     Error::RateLimited(details) => eprintln!("slow down, retry in {:?}", details.retry_after),
///     Error::TaskFailed(failure) => eprintln!("generation failed: {:?}", failure.code),
///     other => eprintln!("{other}"),
/// }
/// # }
/// ```
///
/// The message (`Display`) is complete on one line: the cause, what it means and what to do,
/// a lost connection's underlying errors and a wait's last failure included. So `source()`
/// is `None`, and a report that walks the chain (`anyhow`'s `{:#}` and `{:?}`) prints each
/// cause once; the underlying `reqwest::Error` stays at hand in [`Error::Transport`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks the API's rules; nothing was sent.
    InvalidInput(InvalidInput),

    /// The client could not be set up (missing API key, unusable base URL, …).
    Config(String),

    /// 401 or 403: the token is missing, malformed, invalid, expired or not allowed here. The
    /// message says where the key came from: `MULEROUTER_API_KEY`, or the program.
    Auth(Box<ApiErrorDetails>),

    /// 402: the account's balance does not cover the request.
    InsufficientBalance(Box<ApiErrorDetails>),

    /// 429: rate limit, quota or daily spend limit, still there after the retries allowed.
    RateLimited(Box<ApiErrorDetails>),

    /// 404: no task with this id (or a wrong base URL). The message fits the call: a read
    /// names the task id and the base URL, a create only the base URL, each with where it
    /// came from (`MULEROUTER_BASE_URL`, the program, or the default).
    NotFound(Box<ApiErrorDetails>),

    /// Any other error status from the service (400, 409, 5xx, …) after the retries allowed.
    /// A 5xx other than 503 answering a create says the task may exist: a gateway's 502 or
    /// 504 often comes after the service received the create (see [`Error::task_may_exist`]).
    Api(Box<ApiErrorDetails>),

    /// The task finished with status `failed`.
    TaskFailed(TaskFailure),

    /// **The wait** ([`Client::wait_for_completion`](crate::Client::wait_for_completion))
    /// reached its own deadline ([`WaitOptions::timeout`](crate::WaitOptions::timeout))
    /// before the task finished: the task is **still running** as far as is known, and may
    /// yet finish; wait for it again or read it later. Not to be confused with
    /// [`Error::TimedOut`], one call that got no answer in time.
    Timeout {
        /// The task waited for.
        task_id: Uuid,
        /// Its status at the last poll answered; `None` when no poll was answered.
        last_status: Option<TaskStatus>,
        /// Why the last poll failed, when it did with a transient error (the wait polls
        /// again after those, until its deadline); `None` when the last poll was answered.
        last_failure: Option<Box<Error>>,
        /// How long was waited.
        waited: Duration,
    },

    /// **One call** got no answer in time: its attempts and the waits between them took
    /// longer than its budget ([`ClientBuilder::call_timeout`](crate::ClientBuilder::call_timeout)),
    /// or every attempt ran into the per-request timeout; what was in flight was abandoned.
    /// It says nothing about the task's progress (for a create, the task may exist). A wait
    /// does not end on it: it polls again, and ends with [`Error::Timeout`] at its deadline.
    TimedOut {
        /// What timed out.
        operation: Operation,
        /// How long was waited in all.
        after: Duration,
    },

    /// An answer was larger than the client accepts
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes));
    /// the client stopped reading it.
    ResponseTooLarge {
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The limit in bytes.
        limit: u64,
        /// How many bytes were received before reading stopped (0 when the announced size
        /// alone was over the limit).
        received: u64,
        /// The size announced in `Content-Length`, if any.
        announced: Option<u64>,
    },

    /// The request did not get an answer: connection, TLS, timeout. When the connection could
    /// not be made, the message asks whether a server is running at the base URL; when a
    /// create may have been received, it says to look for the task before creating again.
    Transport {
        /// The underlying error. Its causes are already in this error's message, so
        /// [`std::error::Error::source`] does not return it again (see [`Error`]).
        source: reqwest::Error,
        /// False when the request certainly never left (the connection was not made).
        maybe_sent: bool,
        /// The call that failed (`None` only outside [`Client`](crate::Client)'s calls).
        operation: Option<Operation>,
    },

    /// The service answered something the API document does not allow.
    UnexpectedResponse {
        /// The HTTP status, when there was a response.
        status: Option<StatusCode>,
        /// What was wrong with it.
        reason: String,
        /// The start of the body, for logs.
        body: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(input) => write!(f, "invalid request, nothing was sent: {input}"),
            Self::Config(message) => write!(f, "configuration error: {message}"),
            Self::Auth(d) => write!(
                f,
                "authentication failed ({}): {}; {}",
                d.status,
                d.summary(),
                d.auth_hint()
            ),
            Self::InsufficientBalance(d) => write!(
                f,
                "insufficient balance (402): {}; top up the MuleRouter account",
                d.summary()
            ),
            Self::RateLimited(d) => {
                write!(f, "rate limited (429): {}; retry after ", d.summary())?;
                match d.retry_after {
                    Some(wait) => write!(f, "{}s", wait.as_secs()),
                    None => f.write_str("a while"),
                }
            }
            Self::NotFound(d) => {
                write!(
                    f,
                    "not found (404): {}; {}",
                    d.summary(),
                    d.not_found_hint()
                )
            }
            Self::Api(d) => write!(
                f,
                "the service answered {}: {}{}",
                d.status,
                d.summary(),
                d.status_hint()
            ),
            Self::TaskFailed(failure) => write!(f, "{failure}"),
            Self::Timeout {
                task_id,
                last_status,
                last_failure,
                waited,
            } => f.write_str(&timeout_text(
                *task_id,
                last_status.as_ref(),
                last_failure.as_deref(),
                *waited,
            )),
            Self::TimedOut { operation, after } => write!(
                f,
                "call timed out: {} got no answer within {}{}",
                operation.doing(),
                seconds(*after),
                operation.aftermath()
            ),
            Self::ResponseTooLarge {
                status,
                limit,
                received,
                announced,
            } => write!(
                f,
                "the service answered {status} with a body larger than the limit of {}: {}",
                human_size(*limit),
                overflow_text(*received, *announced)
            ),
            Self::Transport {
                source,
                maybe_sent,
                operation,
            } => write!(
                f,
                "transport error: {}{}{}",
                causes(source),
                connect_hint(source),
                maybe_received(*maybe_sent, *operation)
            ),
            Self::UnexpectedResponse { status, reason, .. } => {
                f.write_str("unexpected response")?;
                if let Some(status) = status {
                    write!(f, " ({status})")?;
                }
                write!(f, ": {reason}")
            }
        }
    }
}

/// No `source`: the message holds every cause already (see [`Error`]).
impl std::error::Error for Error {}

/// So that `parse_request(…)?` works in a function returning this crate's [`Error`].
impl From<InvalidInput> for Error {
    fn from(input: InvalidInput) -> Self {
        Self::InvalidInput(input)
    }
}

/// What a call was doing when it ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Creating a task (billed; it may exist even though no answer came).
    Create,
    /// Reading a task.
    Get,
}

impl Operation {
    fn doing(self) -> &'static str {
        match self {
            Self::Create => "creating the task",
            Self::Get => "reading the task",
        }
    }

    fn aftermath(self) -> &'static str {
        match self {
            Self::Create => {
                "; the task may have been created (check for a new task before retrying)"
            }
            Self::Get => "; read it again",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "create",
            Self::Get => "get",
        })
    }
}

/// A duration as a person reads it in a message: milliseconds below a second, otherwise
/// seconds to a tenth, whole when the tenth is 0 (1.998 s is "2s").
pub(crate) fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{}ms", duration.as_millis());
    }
    let tenths = (duration.as_millis() + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{}s", tenths / 10)
    } else {
        format!("{}.{}s", tenths / 10, tenths % 10)
    }
}

/// An error and its causes on one line: reqwest's own message ("error sending request for
/// url …") hides whether it was a refused connection, a TLS failure or a timeout.
pub fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// What a request that may have arrived means: nothing for a read (reading again is safe),
/// a task that may exist for a create.
fn maybe_received(maybe_sent: bool, operation: Option<Operation>) -> &'static str {
    match (maybe_sent, operation) {
        (false, _) | (true, Some(Operation::Get)) => "",
        (true, Some(Operation::Create)) => {
            "; the create may have reached the service: check for a new task before creating again"
        }
        (true, None) => {
            "; the request may have reached the service (for a create, check for a new task before retrying)"
        }
    }
}

/// For a connection that could not be made (refused, unreachable, a name that does not
/// resolve, a connect timeout): the address tried, since the usual cause is a server that is
/// not running or a base URL that points at the wrong place.
fn connect_hint(source: &reqwest::Error) -> String {
    if !source.is_connect() {
        return String::new();
    }
    match source.url() {
        Some(url) => format!("; is a server running at {}?", base_url_of(url)),
        None => "; is the server running?".to_string(),
    }
}

/// The base URL a request URL was made from: every path of the API starts with the
/// document's [`PATH_PREFIX`](crate::rules::PATH_PREFIX), so what comes before it is the
/// base URL as configured, prefix included.
fn base_url_of(url: &url::Url) -> String {
    let text = url.as_str();
    match text.find(crate::rules::PATH_PREFIX) {
        Some(end) if !crate::rules::PATH_PREFIX.is_empty() => text[..end].to_string(),
        _ => url.origin().ascii_serialization(),
    }
}

fn timeout_text(
    task_id: Uuid,
    last_status: Option<&TaskStatus>,
    last_failure: Option<&Error>,
    waited: Duration,
) -> String {
    let state = match (last_status, last_failure) {
        (Some(status), None) => format!("it is still {status}"),
        (None, None) => "no poll was answered in time".to_string(),
        (Some(status), Some(failure)) => {
            format!("it was last seen {status}, then polls failed, the last with: {failure}")
        }
        (None, Some(failure)) => format!("every poll failed, the last with: {failure}"),
    };
    format!(
        "gave up waiting for task {task_id} after {} (the wait's deadline): {state}; the task may still finish, wait for it again later",
        seconds(waited)
    )
}

fn overflow_text(received: u64, announced: Option<u64>) -> String {
    match announced {
        Some(length) if received == 0 => {
            format!("it announced {} and nothing was read", human_size(length))
        }
        _ => format!("stopped reading after {received} bytes"),
    }
}

/// Whether an error status answering a create may come after the service received it: a
/// 500 can be raised after the task was stored, and a gateway's 502 or 504 means the
/// upstream got the request and its answer was lost or late. A 503 is a refusal to take
/// the request at all (overload, maintenance, no upstream).
fn may_follow_a_create(status: StatusCode) -> bool {
    status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE
}

impl Error {
    /// The error with what the call was, for the hint of its message.
    pub(crate) fn in_context(mut self, context: CallContext) -> Self {
        if let Self::Transport { operation, .. } = &mut self {
            *operation = Some(context.operation);
        }
        if let Self::Auth(details)
        | Self::InsufficientBalance(details)
        | Self::RateLimited(details)
        | Self::NotFound(details)
        | Self::Api(details) = &mut self
        {
            details.context = Some(Box::new(context));
        }
        self
    }

    /// Whether the failure is temporary, so that the same request may well succeed later: a
    /// 429, a 500/502/503/504 (whatever its body: too large or not the documented one, a
    /// 503 is still a 503), a transport error (no connection, a connection lost) or a call
    /// that timed out ([`Error::TimedOut`]). Waiting will not mend the others: a key
    /// refused, a task not found, a request or a success answer that breaks the rules, a
    /// failed task. A read is retried, and a wait polls again, after a transient failure.
    ///
    /// It does not say whether repeating is *safe*: a create that failed in transport, timed
    /// out or got a server error may have created its task ([`Error::task_may_exist`]).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited(_) | Self::Transport { .. } | Self::TimedOut { .. } => true,
            other => other
                .status()
                .is_some_and(crate::retry::is_retryable_status),
        }
    }

    /// Whether this error ended a [`Client::create`](crate::Client::create) that may still
    /// have made its task, which is billed: the request may have reached the service before
    /// the connection was lost ([`Error::Transport`]), before the call's time ran out
    /// ([`Error::TimedOut`]), or before a server error (a 500, or a gateway's 502 or 504;
    /// not a 503, which refuses the request). Creating again then risks a second task; the
    /// message says to check for a new task first. The client itself never repeats a create
    /// in these cases: it retries one only after a 429 or a connection never made.
    ///
    /// False for every error of a read, and for a create the service refused or never
    /// received.
    ///
    /// ```
    /// # async fn run(client: mulerouter_kling::Client, request: mulerouter_kling::types::CreateGenerationRequest) {
    /// match client.create(request).await {
    ///     Ok(task) => println!("created {}", task.task_info.id),
    ///     Err(error) if error.task_may_exist() => {
    ///         eprintln!("{error}"); // do not create again blindly: a task may be billed
    ///     }
    ///     Err(error) if error.is_transient() => eprintln!("nothing was created; try later: {error}"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    pub fn task_may_exist(&self) -> bool {
        match self {
            Self::Transport {
                maybe_sent,
                operation,
                ..
            } => *maybe_sent && *operation == Some(Operation::Create),
            Self::TimedOut { operation, .. } => *operation == Operation::Create,
            other => other.details().is_some_and(|details| {
                details.operation() == Some(Operation::Create)
                    && may_follow_a_create(details.status)
            }),
        }
    }

    /// The HTTP status the service answered with, if any.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Auth(d)
            | Self::InsufficientBalance(d)
            | Self::RateLimited(d)
            | Self::NotFound(d)
            | Self::Api(d) => Some(d.status),
            Self::UnexpectedResponse { status, .. } => *status,
            Self::ResponseTooLarge { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The service's error details, when it answered with an error status.
    pub fn details(&self) -> Option<&ApiErrorDetails> {
        match self {
            Self::Auth(d)
            | Self::InsufficientBalance(d)
            | Self::RateLimited(d)
            | Self::NotFound(d)
            | Self::Api(d) => Some(d),
            _ => None,
        }
    }
}

/// The document gives a task error's code one of two names, by where the error arose: a
/// failed task's is `error_code`, a rejected request's `code`. Each reader takes the one its
/// context names first and the other when only that came.
impl crate::types::TaskError {
    /// The code of a failed task: `error_code`, else `code`.
    pub fn task_code(&self) -> Option<i64> {
        self.error_code.or(self.code)
    }

    /// The code of a rejected request (an error answer's `task_info.error`): `code`, else
    /// `error_code`.
    pub fn rejection_code(&self) -> Option<i64> {
        self.code.or(self.error_code)
    }
}

/// What an error answer said, normalised over the shapes the service sends.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiErrorDetails {
    /// The HTTP status.
    pub status: StatusCode,
    /// `task_info.error.code` or `error_code`, when present.
    pub code: Option<i64>,
    /// A short summary (`task_info.error.title`), when present.
    pub title: Option<String>,
    /// The explanation: `task_info.error.detail`, `detail`, `error` or `message`, or the
    /// start of a non-JSON body.
    pub detail: Option<String>,
    /// Every rule the request broke, when the server lists them.
    pub violations: Vec<crate::types::Violation>,
    /// The `traceparent` header of the answer: quote it in bug reports.
    pub traceparent: Option<String>,
    /// How long the service asked to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
    /// The call that got this answer, for the hint of the message.
    pub(crate) context: Option<Box<CallContext>>,
}

/// What a call was and where its settings came from, so that a hint names what to fix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallContext {
    pub operation: Operation,
    pub task_id: Option<Uuid>,
    pub base_url: String,
    pub base_url_origin: Origin,
    pub api_key_origin: Origin,
}

impl ApiErrorDetails {
    /// The call that got this answer, when it came through [`Client`](crate::Client)'s calls.
    fn operation(&self) -> Option<Operation> {
        self.context.as_ref().map(|context| context.operation)
    }

    fn status_hint(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "; the service rejected the input",
            409 => "; the task already exists",
            _ if self.operation() == Some(Operation::Create)
                && may_follow_a_create(self.status) =>
            {
                "; the create may have reached the service: check for a new task before creating again"
            }
            500..=599 => "; the service had a problem, try again later",
            _ => "",
        }
    }

    fn auth_hint(&self) -> String {
        let origin = self.context.as_ref().map(|c| c.api_key_origin);
        let whose = match origin {
            Some(Origin::Program) => "the API key the program gives the client".to_string(),
            Some(Origin::Environment) | Some(Origin::Default) | None => API_KEY_ENV.to_string(),
        };
        format!("check {whose} (a key looks like sk-mr-…)")
    }

    fn not_found_hint(&self) -> String {
        let Some(context) = &self.context else {
            return "check the task id and the base URL".to_string();
        };
        let base_url = match context.base_url_origin {
            Origin::Environment => format!("{} ({BASE_URL_ENV})", context.base_url),
            Origin::Program => format!("{} (the base URL set in the program)", context.base_url),
            Origin::Default => format!("{} (the default base URL)", context.base_url),
        };
        match (context.operation, context.task_id) {
            (Operation::Get, Some(task_id)) => {
                format!("check the task id {task_id}, and that the task was created at {base_url}")
            }
            (Operation::Get, None) => {
                format!("check the task id, and that the task was created at {base_url}")
            }
            (Operation::Create, _) => format!(
                "there is no create endpoint at {base_url}: check that the base URL is the server's root, without /vendors/…"
            ),
        }
    }

    /// One line: title and detail, or what is known.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(code) = self.code {
            parts.push(format!("[{code}]"));
        }
        match (&self.title, &self.detail) {
            (Some(title), Some(detail)) => parts.push(format!("{title}: {detail}")),
            (Some(only), None) | (None, Some(only)) => parts.push(only.clone()),
            (None, None) => parts.push(
                self.status
                    .canonical_reason()
                    .unwrap_or("no details")
                    .to_string(),
            ),
        }
        if let Some(traceparent) = &self.traceparent {
            parts.push(format!("(traceparent {traceparent})"));
        }
        parts.join(" ")
    }
}

/// Why a task failed, as the service reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The task.
    pub task_id: Uuid,
    /// The task error code: 3001–3005 the model provider could not finish, 4002/4008
    /// MuleRouter-side failures.
    pub code: Option<i64>,
    /// A short summary (its white space folded, cut at 300 characters).
    pub title: Option<String>,
    /// What went wrong (its white space folded, cut at 300 characters).
    pub detail: Option<String>,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} failed", self.task_id)?;
        if let Some(code) = self.code {
            write!(f, " with code {code}")?;
        }
        match (&self.title, &self.detail) {
            (Some(title), Some(detail)) => write!(f, ": {title}: {detail}")?,
            (Some(only), None) | (None, Some(only)) => write!(f, ": {only}")?,
            (None, None) => f.write_str(" without a reason")?,
        }
        let hint = match self.code {
            Some(3001..=3005) => {
                "; the model provider could not finish it (check the prompt and inputs)"
            }
            Some(4000..=4999) => "; MuleRouter could not finish it, try again later",
            _ => "",
        };
        f.write_str(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(status: u16, operation: Operation, origin: Origin) -> ApiErrorDetails {
        ApiErrorDetails {
            status: StatusCode::from_u16(status).unwrap(),
            code: None,
            title: None,
            detail: Some("no".to_string()),
            violations: Vec::new(),
            traceparent: None,
            retry_after: None,
            context: Some(Box::new(CallContext {
                operation,
                task_id: Some(Uuid::nil()),
                base_url: "http://127.0.0.1:4010".to_string(),
                base_url_origin: origin,
                api_key_origin: origin,
            })),
        }
    }

    #[test]
    fn settings_from_the_environment_are_named_by_their_variable() {
        // Arrange
        let auth = Error::Auth(Box::new(details(401, Operation::Get, Origin::Environment)));
        let read = Error::NotFound(Box::new(details(404, Operation::Get, Origin::Environment)));
        let create = Error::NotFound(Box::new(details(
            404,
            Operation::Create,
            Origin::Environment,
        )));

        // Act / Assert
        assert_eq!(
            auth.to_string(),
            "authentication failed (401 Unauthorized): no; check MULEROUTER_API_KEY (a key looks like sk-mr-…)"
        );
        assert_eq!(
            read.to_string(),
            "not found (404): no; check the task id 00000000-0000-0000-0000-000000000000, and that the task was created at http://127.0.0.1:4010 (MULEROUTER_BASE_URL)"
        );
        assert_eq!(
            create.to_string(),
            "not found (404): no; there is no create endpoint at http://127.0.0.1:4010 (MULEROUTER_BASE_URL): check that the base URL is the server's root, without /vendors/…"
        );
    }

    #[test]
    fn the_default_base_url_is_called_the_default() {
        let read = Error::NotFound(Box::new(details(404, Operation::Get, Origin::Default)));
        assert!(
            read.to_string()
                .ends_with("created at http://127.0.0.1:4010 (the default base URL)"),
            "{read}"
        );
    }

    #[test]
    fn durations_read_as_milliseconds_or_tenths_of_seconds() {
        assert_eq!(seconds(Duration::from_millis(998)), "998ms");
        assert_eq!(seconds(Duration::from_millis(1998)), "2s");
        assert_eq!(seconds(Duration::from_millis(2340)), "2.3s");
        assert_eq!(seconds(Duration::from_secs(120)), "120s");
    }
}
