//! `cargo xtask bench …`: builds and runs the benchmarks of the `mulerouter-kling-bench`
//! crate in release (the standalone mock on hyper and the in-process mock on wiremock under
//! load against a bare hyper server, bare wiremock and Prism, hostile bodies, what a Rust test
//! pays in-process, the mock's memory over two million requests, and what codegen costs),
//! which write `BENCHMARKS.md` and its plot.
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
