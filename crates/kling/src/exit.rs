//! Exit codes: one per kind of failure, so scripts can react without parsing text.

use mulerouter_kling::Error;

/// Success.
pub const OK: u8 = 0;
/// Anything not listed below (an unexpected or oversized answer from the service).
pub const UNEXPECTED: u8 = 1;
/// Invalid input or usage; nothing was sent (clap uses 2 for usage errors too).
pub const INVALID_INPUT: u8 = 2;
/// 401/403: the key is missing, wrong or not allowed.
pub const AUTH: u8 = 3;
/// 402: insufficient balance.
pub const BALANCE: u8 = 4;
/// 429: rate limited, after retries.
pub const RATE_LIMITED: u8 = 5;
/// 404: no such task (for `generate`, no create endpoint: a wrong base URL).
pub const NOT_FOUND: u8 = 6;
/// The task finished with status `failed`.
pub const TASK_FAILED: u8 = 7;
/// Out of time (`--timeout`, or the service did not answer); the task may still finish.
pub const TIMEOUT: u8 = 8;
/// Another error status from the service (400, 409, 5xx, …).
pub const API_ERROR: u8 = 9;
/// No answer: connection, TLS, timeout; or a download failed.
pub const TRANSPORT: u8 = 10;

/// The exit code for an error.
pub fn for_error(error: &Error) -> u8 {
    match error {
        Error::InvalidInput(_) | Error::Config(_) => INVALID_INPUT,
        Error::Auth(_) => AUTH,
        Error::InsufficientBalance(_) => BALANCE,
        Error::RateLimited(_) => RATE_LIMITED,
        Error::NotFound(_) => NOT_FOUND,
        Error::TaskFailed(_) => TASK_FAILED,
        Error::Timeout { .. } | Error::TimedOut { .. } => TIMEOUT,
        Error::Api(_) => API_ERROR,
        Error::Transport { .. } => TRANSPORT,
        _ => UNEXPECTED,
    }
}

/// The table printed at the end of `--help`.
pub const HELP: &str = "\
Exit codes:
  0  success
  1  unexpected or oversized answer from the service
  2  invalid input or usage (nothing was sent)
  3  authentication failed (401/403)
  4  insufficient balance (402)
  5  rate limited (429)
  6  not found (404): the task; for generate, the endpoint (a wrong base URL)
  7  the task failed
  8  timed out: --timeout passed, or the service or a download stalled
     (the task may still finish)
  9  other error from the service (400, 409, 5xx)
  10 network error, or a download failed
  130, 143, 129  interrupted by Ctrl-C, SIGTERM, SIGHUP (partial files removed)";
