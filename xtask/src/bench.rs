//! `cargo xtask bench …`: builds and runs the benchmarks of the `mulerouter-kling-bench`
//! crate in release (the mock under load against a bare hyper server, bare wiremock and
//! Prism, its memory over a million requests, and what codegen costs), which write
//! `BENCHMARKS.md`.
//!
//! The benchmarks need an HTTP stack and drive wrk and Prism; they live in that crate so that
//! xtask keeps few dependencies and compiles quickly.

use std::path::Path;
use std::process::Command;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let shown = std::iter::once("cargo xtask bench".to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let status = Command::new(env!("CARGO"))
        // Not `--quiet`: the first run compiles the mock's dependencies in release, which
        // takes minutes and should show.
        .args([
            "run",
            "--release",
            "--package",
            "mulerouter-kling-bench",
            "--",
            "run",
        ])
        .args(args)
        .env("MULEROUTER_BENCH_COMMAND", shown)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the benchmarks failed ({status})"))
    }
}
