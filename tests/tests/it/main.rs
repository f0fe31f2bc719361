//! The contract tests: client, mock and document held to each other.
//!
//! One test binary, not one per file: each binary links the whole dependency tree again,
//! which costs link time and disk on every clean build.

mod admin_coverage;
mod contract_command;
mod coverage;
mod examples_validate;
mod round_trips;
mod types_match_document;
