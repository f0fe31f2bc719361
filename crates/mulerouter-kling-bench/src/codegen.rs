//! What codegen costs: `cargo xtask codegen --check` with everything built (as CI runs it
//! after the first time), the xtask binary alone (rendering every generated file from the
//! document and comparing it with the committed one), and, for scale in the same run, the
//! same two ways of starting xtask with nothing to do.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tools;

/// One command, timed several times.
#[derive(Debug, Clone)]
pub struct Timing {
    pub what: &'static str,
    pub command: String,
    pub runs: Vec<Duration>,
}

impl Timing {
    pub fn median(&self) -> Duration {
        let mut runs = self.runs.clone();
        runs.sort();
        runs.get(runs.len() / 2).copied().unwrap_or_default()
    }

    pub fn min(&self) -> Duration {
        self.runs.iter().min().copied().unwrap_or_default()
    }
}

/// Times each command `runs` times, after one untimed run of `cargo xtask codegen --check`
/// that builds xtask if needed.
pub fn measure(root: &Path, target_dir: &Path, runs: usize) -> Result<Vec<Timing>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let xtask = target_dir.join("debug").join("xtask");
    let xtask = xtask.to_string_lossy().into_owned();
    timed(root, &cargo, &["xtask", "codegen", "--check"])?;
    let cases: [(&'static str, &str, &[&str]); 4] = [
        (
            "`cargo xtask codegen --check`, warm",
            &cargo,
            &["xtask", "codegen", "--check"],
        ),
        (
            "generation alone: the xtask binary, `codegen --check`",
            &xtask,
            &["codegen", "--check"],
        ),
        (
            "for scale: `cargo xtask --help` (cargo's up-to-date check + start)",
            &cargo,
            &["xtask", "--help"],
        ),
        (
            "for scale: the xtask binary, `--help` (process start)",
            &xtask,
            &["--help"],
        ),
    ];
    let mut timings = Vec::new();
    for (what, program, args) in cases {
        let mut timing = Timing {
            what,
            command: shown(program, args),
            runs: Vec::new(),
        };
        for _ in 0..runs.max(1) {
            timing.runs.push(timed(root, program, args)?);
        }
        timings.push(timing);
    }
    Ok(timings)
}

fn shown(program: &str, args: &[&str]) -> String {
    let name = Path::new(program)
        .file_name()
        .map_or(program.into(), |n| n.to_string_lossy().into_owned());
    let name = if name == "xtask" {
        "target/debug/xtask".to_string()
    } else {
        name
    };
    format!("{name} {}", args.join(" "))
}

fn timed(root: &Path, program: &str, args: &[&str]) -> Result<Duration, String> {
    let started = Instant::now();
    let output = tools::run_bounded(
        Command::new(program).args(args).current_dir(root),
        Duration::from_secs(900),
    )?;
    let elapsed = started.elapsed();
    if output.status.success() {
        Ok(elapsed)
    } else {
        Err(format!(
            "`{}` failed:\n{}",
            shown(program, args),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
