//! `cargo xtask contract …`: runs the `contract` checker of the `contract-tests` crate.
//!
//! The checks need the client, the mock and an HTTP stack; they live in that crate so that
//! xtask keeps few dependencies and compiles quickly.

use std::path::Path;

use crate::workspace;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
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
    workspace::run(&mut command, "the contract checks")
}
