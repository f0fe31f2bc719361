//! Integration tests of the client against wiremock servers: one server per test.
//!
//! One test binary, not one per file: each binary links the whole dependency tree again,
//! which costs link time and disk on every clean build.

mod bounded;
mod common;
mod deadlines;
mod errors;
mod logs;
mod retries;
mod retryable_statuses;
mod sends;
mod sharing;
mod task_may_exist;
mod validation;
mod wait;
