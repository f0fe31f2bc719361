//! `cargo xtask contract …`: runs the `contract` checker of the `contract-tests` crate.
//!
//! The checks need the client, the mock and an HTTP stack; they live in that crate so that
//! xtask keeps few dependencies and compiles quickly.

use std::path::Path;
use std::process::ExitCode;

use crate::workspace;

/// Runs the checker with `args` (its `--help` included) and exits as it did: 0 passed, 1 a
/// check failed, 2 the command was given wrongly; a CI job can tell the last two apart.
pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut command = workspace::cargo(root);
    command
        .args([
            "run",
            "--quiet",
            "--package",
            "contract-tests",
            "--bin",
            "contract",
            "--",
        ])
        .args(args);
    match command.status() {
        Ok(status) => ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1),
        ),
        Err(error) => {
            eprintln!("error: cannot run cargo: {error}");
            ExitCode::from(2)
        }
    }
}
