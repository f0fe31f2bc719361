//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! Commands:
//! - `codegen` writes the code generated from the OpenAPI documents;
//!   `codegen --check` compares it with what is committed and fails with a diff.
//! - `snapshots --references FILE` fails on insta snapshots no test used, or not yet reviewed.
//! - `contract [--base-url URL] [--allow-create] [--task-id ID] [--follow DURATION] [--json]
//!   [--timeout DURATION]` checks a server against the document (the checks live in the
//!   `contract-tests` crate; this only runs them).
//! - `bench [--quick] [--duration S] [--concurrency 1,16,64] …` runs the benchmarks of the
//!   `mulerouter-kling-bench` crate in release and writes `BENCHMARKS.md`.
//! - `diff [--base REV | --old FILE --new FILE] [--json|--markdown|--changelog]` says what a
//!   change of the OpenAPI document breaks, and for whom.
//! - `python-client` generates a Python client from the document (openapi-python-client) and
//!   tests it against the standalone mock; `generators` runs openapi-generator's generators
//!   and fails on any warning about the document.

mod bench;
mod codegen;
mod contract;
mod dependencies;
mod diff;
mod generators;
mod python_client;
mod snapshots;
mod virtualenv;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Project automation for the MuleRouter Kling workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate code from the OpenAPI documents in `openapi/`.
    Codegen {
        /// Write nothing; fail with a diff when the committed code is stale.
        #[arg(long)]
        check: bool,
    },
    /// Fail on unreferenced or pending insta snapshots (run after the tests; see `.ci/run`).
    Snapshots {
        /// The file the test run wrote through `INSTA_SNAPSHOT_REFERENCES_FILE`.
        #[arg(long)]
        references: PathBuf,
    },
    /// Check a server against the document (default: the built-in mock). Arguments go to the
    /// checker: `--base-url URL`, `--allow-create`, `--task-id ID`, `--timeout DURATION`,
    /// `--follow DURATION`, `--json`, `--help`; it exits 0 (passed), 1 (a check failed) or 2
    /// (given wrongly).
    #[command(disable_help_flag = true)]
    Contract {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Benchmark the mock against a bare hyper server, bare wiremock and Prism, its memory,
    /// and codegen; writes BENCHMARKS.md. Arguments go to the benchmark: `--quick`,
    /// `--duration`, `--concurrency`, `--targets`, `--workloads`, `--help`.
    #[command(disable_help_flag = true)]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Classify the changes between two OpenAPI documents (default: `openapi/` at HEAD vs the
    /// working tree) and the generated client's API: breaking, behaviour or non-breaking.
    Diff(diff::Args),
    /// Generate a Python client from the document (openapi-python-client, pinned, in a
    /// virtualenv under target/) with zero warnings and run tests/python with it against the
    /// standalone mock.
    PythonClient,
    /// Generate clients from the document with openapi-generator (python, typescript-fetch,
    /// java, go; pinned, from PyPI, needs Java) and fail on any warning about the document.
    Generators,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => {
            let mode = if check {
                codegen::Mode::Check
            } else {
                codegen::Mode::Write
            };
            codegen::run(&workspace::root(), mode)
        }
        Command::Snapshots { references } => snapshots::check(&workspace::root(), &references),
        Command::Contract { args } => return contract::run(&workspace::root(), &args),
        Command::Bench { args } => bench::run(&workspace::root(), &args),
        Command::Diff(args) => return diff::run(&workspace::root(), args),
        Command::PythonClient => python_client::run(&workspace::root()),
        Command::Generators => generators::run(&workspace::root()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
