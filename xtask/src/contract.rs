//! `cargo xtask contract …`: runs the `contract` checker of the `contract-tests` crate.
//!
//! The checks need the client, the mock and an HTTP stack; they live in that crate so that
//! xtask keeps few dependencies and compiles quickly.

use std::path::Path;
use std::process::Command;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let status = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "--package",
            "contract-tests",
            "--bin",
            "contract",
            "--",
        ])
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the contract checks failed ({status})"))
    }
}
