//! Integration tests of the mock: one server per test, every answer checked against the
//! document. `memory` is a benchmark, run by hand (see its docs).

mod binary;
mod common;
mod concurrency;
mod faults;
mod lifecycle;
mod memory;
mod robustness;
mod typed;
mod validation;
