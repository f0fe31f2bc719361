//! Other programs, run with a time limit; the ones the benchmark needs, installed when
//! missing (`wrk` from Debian with apt-get, Prism from the npm registry into a cache folder
//! under `target/`); and files written with their folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use process_control::{ChildExt, Control, Output};

/// The Prism release line that runs on Node 20 (newer ones need Node 24).
const PRISM_PACKAGE: &str = "@stoplight/prism-cli@5.14";

/// Runs `command` to completion, killing it after `limit`, with both pipes drained while it
/// runs (a chatty program cannot block on a full pipe); fails unless it exits with success
/// when `checked`.
pub fn run(command: &mut Command, limit: Duration, checked: bool) -> Result<Output, String> {
    let shown = format!("{command:?}");
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    let child = command.stderr(Stdio::piped()).spawn();
    let child = child.map_err(|e| format!("cannot run {shown}: {e}"))?;
    let control = child.controlled_with_output().time_limit(limit);
    let output = control.terminate_for_timeout().wait();
    let output = output.map_err(|e| format!("{shown}: {e}"))?;
    let output = output.ok_or_else(|| format!("{shown} did not finish within {limit:?}"))?;
    if output.status.success() || !checked {
        return Ok(output);
    }
    let (out, err) = (&output.stdout, &output.stderr);
    let (out, err) = (String::from_utf8_lossy(out), String::from_utf8_lossy(err));
    Err(format!("{shown} failed ({}):\n{out}{err}", output.status))
}

/// The first line a program prints for `args` (stdout, else stderr), e.g. its version, if it
/// starts at all (`wrk --version` exits 1).
pub fn try_first_line(program: &str, args: &[&str]) -> Option<String> {
    let limit = Duration::from_secs(30);
    let Output { stdout, stderr, .. } = run(Command::new(program).args(args), limit, false).ok()?;
    let text = if stdout.is_empty() { stderr } else { stdout };
    let text = String::from_utf8_lossy(&text);
    Some(text.lines().next()?.trim().to_string())
}

/// [`try_first_line`], or `unknown`.
pub fn first_line(program: &str, args: &[&str]) -> String {
    try_first_line(program, args).unwrap_or_else(|| "unknown".into())
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

/// `wrk` on the `PATH`, installed with apt-get when missing: as root apt-get itself,
/// otherwise through sudo if it asks for no password.
pub fn ensure_wrk() -> Result<(), String> {
    let works = || try_first_line("wrk", &["--version"]).is_some();
    if works() {
        return Ok(());
    }
    eprintln!("wrk is missing: installing it with apt-get (Debian package `wrk`)");
    let sudo = first_line("id", &["-u"]) != "0";
    let apt = |args: &str| {
        let mut command = Command::new(if sudo { "sudo" } else { "apt-get" });
        command.args(sudo.then_some(["-n", "apt-get"]).into_iter().flatten());
        command.env("DEBIAN_FRONTEND", "noninteractive");
        command.args(args.split(' '));
        run(&mut command, Duration::from_secs(600), true).is_ok()
    };
    // A fresh machine may have no package lists yet.
    let install = "install -y -q wrk";
    if (apt(install) || (apt("update -q") && apt(install))) && works() {
        return Ok(());
    }
    Err("could not install wrk; install it yourself (`apt-get install wrk`, or build it from https://github.com/wg/wrk) and run again".into())
}

/// The `prism` executable of a Prism 5.14.x installed under `cache`, installed with npm
/// when missing. Returns it with its version.
pub fn ensure_prism(cache: &Path) -> Result<(PathBuf, String), String> {
    let prism = cache.join("node_modules/.bin/prism");
    let version = || {
        let limit = Duration::from_secs(60);
        let output = run(Command::new(&prism).arg("--version"), limit, true).ok()?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        version.starts_with("5.14.").then_some(version)
    };
    if let Some(version) = version() {
        return Ok((prism, version));
    }
    let tools = ["node", "npm"].map(|tool| try_first_line(tool, &["--version"]));
    if tools.iter().any(Option::is_none) {
        return Err("Prism needs Node.js and npm on the PATH (Node 20 runs Prism 5.14)".into());
    }
    let (shown, shown_prism) = (cache.display(), prism.display());
    std::fs::create_dir_all(cache).map_err(|e| format!("cannot create {shown}: {e}"))?;
    eprintln!("installing {PRISM_PACKAGE} into {shown} with npm");
    let mut npm = Command::new("npm");
    npm.arg("install").arg("--prefix").arg(cache);
    npm.args(["--no-audit", "--no-fund", "--loglevel=error", PRISM_PACKAGE]);
    let _installed = run(&mut npm, Duration::from_secs(600), true)?;
    let failed = || format!("{shown_prism} is not a Prism 5.14.x after npm install");
    Ok((prism.clone(), version().ok_or_else(failed)?))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_program_is_stopped_at_its_limit_and_its_output_kept_otherwise() {
        let (short, long) = (Duration::from_millis(200), Duration::from_secs(10));
        let started = Instant::now();
        let stopped = run(Command::new("sleep").arg("10"), short, false);
        assert!(stopped.is_err() && started.elapsed() < Duration::from_secs(5));

        let echoed = run(Command::new("echo").arg("hi"), long, true);
        assert_eq!(echoed.map(|output| output.stdout), Ok(b"hi\n".to_vec()));
        assert!(run(&mut Command::new("false"), long, true).is_err());
        assert!(run(&mut Command::new("false"), long, false).is_ok());
    }
}
