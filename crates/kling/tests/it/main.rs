//! The real `kling` binary, run as a user would: offline against the built-in mock, and
//! against scripted and misbehaving servers on 127.0.0.1.
//!
//! One test binary, not one per file: each binary links the whole dependency tree again.

mod bounded;
mod cli;
mod common;
mod downloads;
mod mock;
mod terminal;
mod timeouts;
mod verbose;
