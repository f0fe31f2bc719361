//! What codegen costs: `cargo xtask codegen --check` with everything built (as CI runs it
//! after the first time), the xtask binary alone (rendering every generated file from the
//! document and comparing it with the committed one), and, for scale in the same run, the
//! same two ways of starting xtask with nothing to do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tools;

/// What is timed and the command that does it; `target/debug/xtask` is the xtask binary of
/// the target folder.
const CASES: [(&str, &str); 4] = [
    (
        "`cargo xtask codegen --check`, warm",
        "cargo xtask codegen --check",
    ),
    (
        "generation alone: the xtask binary, `codegen --check`",
        "target/debug/xtask codegen --check",
    ),
    (
        "for scale: `cargo xtask --help` (cargo's up-to-date check + start)",
        "cargo xtask --help",
    ),
    (
        "for scale: the xtask binary, `--help` (process start)",
        "target/debug/xtask --help",
    ),
];

/// One command, timed several times.
#[derive(Debug, Clone)]
pub struct Timing {
    pub what: &'static str,
    pub command: &'static str,
    /// At least one, shortest first.
    pub runs: Vec<Duration>,
}

/// Times each case `runs` times, after one untimed run of `cargo xtask codegen --check` that
/// builds xtask if needed.
pub fn measure(root: &Path, target_dir: &Path, runs: usize) -> Result<Vec<Timing>, String> {
    let timed = |command: &str| -> Result<Duration, String> {
        let mut words = command.split(' ');
        let program = match words.next() {
            Some("cargo") => PathBuf::from(tools::cargo()),
            _ => target_dir.join("debug").join("xtask"),
        };
        let started = Instant::now();
        let mut command = Command::new(program);
        command.args(words).current_dir(root);
        tools::run(&mut command, Duration::from_secs(900), true).map(|_| started.elapsed())
    };
    timed(CASES[0].1)?;
    let timing = |(what, command)| {
        let timings = (0..runs.max(1)).map(|_| timed(command));
        let mut runs = timings.collect::<Result<Vec<_>, _>>()?;
        runs.sort();
        Ok(Timing {
            what,
            command,
            runs,
        })
    };
    CASES.into_iter().map(timing).collect()
}
