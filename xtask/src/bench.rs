//! `cargo xtask bench …`: builds and runs the benchmarks of the `mulerouter-kling-bench`
//! crate in release (the mock under load against a bare hyper server, bare wiremock and
//! Prism, its memory over a million requests, and what codegen costs), which write
//! `BENCHMARKS.md`.
//!
//! The benchmarks need an HTTP stack and drive wrk and Prism; they live in that crate so that
//! xtask keeps few dependencies and compiles quickly.

use std::path::Path;

use crate::workspace;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let shown = std::iter::once("cargo xtask bench".to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = workspace::cargo(root);
    command
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
        .env("MULEROUTER_BENCH_COMMAND", shown);
    workspace::run(&mut command, "the benchmarks")
}
