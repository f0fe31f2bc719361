//! Other programs, run with a time limit; the ones the benchmark needs, installed when
//! missing (`wrk` from Debian with apt-get, Prism from the npm registry into a cache folder
//! under `target/`); and files written with their folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use process_control::{ChildExt, Control, Output};

/// The Prism release line that runs on Node 20 (newer ones need Node 24).
pub const PRISM_PACKAGE: &str = "@stoplight/prism-cli@5.14";
const PRISM_VERSION_PREFIX: &str = "5.14.";

/// Runs `command` to completion, killing it after `limit`. Both pipes are drained while it
/// runs, so a chatty program cannot block on a full pipe.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let output = child
        .controlled_with_output()
        .time_limit(limit)
        .terminate_for_timeout()
        .wait()
        .map_err(|e| format!("{shown}: {e}"))?;
    output.ok_or_else(|| format!("{shown} did not finish within {limit:?}; stopped it"))
}

/// [`run_bounded`], failing with what the program printed unless it exits with success.
pub fn run_checked(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let output = run_bounded(command, limit)?;
    if output.status.success() {
        return Ok(output);
    }
    let (out, err) = (&output.stdout, &output.stderr);
    Err(format!(
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(out),
        String::from_utf8_lossy(err)
    ))
}

/// Whether `program` starts with `args`, whatever its exit status (`wrk --version` exits 1).
pub fn works(program: &str, args: &[&str]) -> bool {
    run_bounded(Command::new(program).args(args), Duration::from_secs(30)).is_ok()
}

/// Cargo: the one that started this program, else the one on the `PATH`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Writes `contents` to `path`, creating its folder if needed.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    std::fs::create_dir_all(path.parent().unwrap_or(path))
        .and_then(|()| std::fs::write(path, contents))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `wrk` on the `PATH`, installed with apt-get when missing.
pub fn ensure_wrk() -> Result<(), String> {
    if works("wrk", &["--version"]) {
        return Ok(());
    }
    eprintln!("wrk is missing: installing it with apt-get (Debian package `wrk`)");
    // As root, apt-get itself; otherwise through sudo, if it asks for no password.
    let root = first_line("id", &["-u"]) == "0";
    let apt = |args: &[&str]| {
        let mut command = Command::new(if root { "apt-get" } else { "sudo" });
        if !root {
            command.args(["-n", "apt-get"]);
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run_checked(&mut command, Duration::from_secs(600)).is_ok()
    };
    let installed = apt(&["install", "-y", "-q", "wrk"])
        // A fresh machine may have no package lists yet.
        || (apt(&["update", "-q"]) && apt(&["install", "-y", "-q", "wrk"]));
    if installed && works("wrk", &["--version"]) {
        Ok(())
    } else {
        Err(
            "could not install wrk; install it yourself (`apt-get install wrk`, or build it from https://github.com/wg/wrk) and run again"
                .into(),
        )
    }
}

/// The `prism` executable of a Prism 5.14.x installed under `cache`, installed with npm
/// when missing. Returns it with its version.
pub fn ensure_prism(cache: &Path) -> Result<(PathBuf, String), String> {
    let prism = cache.join("node_modules").join(".bin").join("prism");
    if let Some(version) = prism_version(&prism) {
        return Ok((prism, version));
    }
    if !works("node", &["--version"]) || !works("npm", &["--version"]) {
        return Err("Prism needs Node.js and npm on the PATH (Node 20 runs Prism 5.14)".into());
    }
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    eprintln!(
        "installing {PRISM_PACKAGE} into {} with npm",
        cache.display()
    );
    let _installed = run_checked(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(cache)
            .args(["--no-audit", "--no-fund", "--loglevel=error", PRISM_PACKAGE]),
        Duration::from_secs(600),
    )?;
    prism_version(&prism)
        .map(|version| (prism.clone(), version))
        .ok_or_else(|| {
            format!(
                "{} is not a Prism 5.14.x after npm install",
                prism.display()
            )
        })
}

fn prism_version(prism: &Path) -> Option<String> {
    let output = run_checked(
        Command::new(prism).arg("--version"),
        Duration::from_secs(60),
    )
    .ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    version.starts_with(PRISM_VERSION_PREFIX).then_some(version)
}

/// The first line a program prints for `args` (stdout, else stderr), e.g. its version.
pub fn first_line(program: &str, args: &[&str]) -> String {
    run_bounded(Command::new(program).args(args), Duration::from_secs(30))
        .ok()
        .and_then(|output| {
            let text = if output.stdout.is_empty() {
                output.stderr
            } else {
                output.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .map(|line| line.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_program_is_stopped_at_its_limit_and_its_output_kept_otherwise() {
        let started = Instant::now();
        let stopped = run_bounded(Command::new("sleep").arg("10"), Duration::from_millis(200));
        assert!(stopped.is_err() && started.elapsed() < Duration::from_secs(5));

        let echoed = run_checked(Command::new("echo").arg("hi"), Duration::from_secs(10));
        assert_eq!(echoed.map(|output| output.stdout), Ok(b"hi\n".to_vec()));
    }
}
