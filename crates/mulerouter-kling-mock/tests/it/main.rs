//! Integration tests of the mock: one server per test, every answer checked against the
//! document; `binary`, `hostile` and `http2` start the standalone binary.

mod abuse;
mod admin;
mod binary;
mod common;
mod concurrency;
mod faults;
mod hostile;
mod http2;
mod lifecycle;
mod robustness;
mod typed;
mod validation;
