//! `cargo xtask python-client`: proves that the document makes a working Python client.
//!
//! 1. A virtualenv under `target/python-client/venv` gets the pinned packages of
//!    `tests/python/requirements.txt` (openapi-python-client, pytest and what they need);
//!    it is reused while that file is unchanged.
//! 2. openapi-python-client generates a client from the document into
//!    `target/python-client/generated/mulerouter_kling_client`. Any line it prints besides
//!    `Generating …` is a warning about the document and fails the command.
//! 3. The standalone mock is built and started on a free port (`--port 0`), its tasks
//!    advancing one step per read (`--timing poll`).
//! 4. pytest runs `tests/python` against it with only the generated client. Its closing line
//!    must report passed tests and nothing else (no failure, error or skip, not zero tests).
//!
//! The mock is stopped (SIGTERM, then killed if it lingers) however the run ends; its log is
//! `target/python-client/mock.log`.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::virtualenv::Virtualenv;
use crate::workspace;

const DOCUMENT: &str = "openapi/kling-v3-omni-reference-video-to-video.yaml";
const REQUIREMENTS: &str = "tests/python/requirements.txt";
const TESTS: &str = "tests/python";
/// The import name of the generated package.
const PACKAGE: &str = "mulerouter_kling_client";
/// What the mock prints once it accepts connections; the URL follows.
const LISTENING: &str = "MuleRouter mock listening on ";

pub fn run(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let work = workspace::target_dir(root).join("python-client");
    // The generated client uses `enum.StrEnum` (Python 3.11).
    let venv = Virtualenv::with_requirements(root, &work.join("venv"), REQUIREMENTS, (3, 11))?;
    generate(root, &venv, &work)?;
    let mock_binary = build_mock(root)?;
    let mock_log = work.join("mock.log");
    let mock = Mock::start(&mock_binary, &mock_log)?;
    let outcome = run_tests(root, &venv, &work.join("generated"), &mock.base_url).map_err(|e| {
        format!(
            "{e}\nthe mock's log (one line per request): {}",
            mock_log.display()
        )
    });
    let stopped = mock.stop();
    let summary = outcome?;
    stopped?;
    println!(
        "python-client: {summary} against the mock, in {:.0?}",
        started.elapsed()
    );
    Ok(())
}

/// Generates the client; fails on any warning.
fn generate(root: &Path, venv: &Virtualenv, work: &Path) -> Result<(), String> {
    let output = work.join("generated").join(PACKAGE);
    let config = work.join("openapi-python-client.yaml");
    // No post hooks: the default ones format the code with ruff, which changes nothing the
    // tests see and would add a tool whose version is not pinned here.
    fs::write(&config, "post_hooks: []\n")
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let result = Command::new(venv.bin("openapi-python-client"))
        .args(["generate", "--meta", "none", "--overwrite", "--path"])
        .arg(root.join(DOCUMENT))
        .arg("--output-path")
        .arg(&output)
        .arg("--config")
        .arg(&config)
        .output()
        .map_err(|e| format!("cannot run openapi-python-client: {e}"))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let warnings = warnings(&printed);
    if !result.status.success() || !warnings.is_empty() {
        return Err(format!(
            "openapi-python-client ({}) did not generate the client cleanly from {DOCUMENT}:\n{printed}",
            result.status
        ));
    }
    println!(
        "python-client: generated {} with no warnings",
        output.display()
    );
    Ok(())
}

/// Every line openapi-python-client printed besides its `Generating <path>` line.
fn warnings(printed: &str) -> Vec<&str> {
    printed
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("Generating "))
        .collect()
}

fn build_mock(root: &Path) -> Result<PathBuf, String> {
    println!("python-client: building the standalone mock");
    workspace::run(
        workspace::cargo(root).args(["build", "--quiet", "-p", "mulerouter-kling-mock"]),
        "building the mock",
    )?;
    Ok(workspace::target_dir(root).join("debug/mulerouter-kling-mock"))
}

/// The standalone mock, stopped when dropped.
struct Mock {
    child: Option<Child>,
    base_url: String,
}

impl Mock {
    /// Starts `binary`; its log (one line per request) goes to `log`.
    fn start(binary: &Path, log: &Path) -> Result<Self, String> {
        let log_file =
            fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let child = Command::new(binary)
            // A task advances one step per read: the tests poll without sleeping.
            .args(["--port", "0", "--timing", "poll"])
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut mock = Self {
            child: Some(child),
            base_url: String::new(),
        };
        let stdout = mock
            .child
            .as_mut()
            .and_then(|child| child.stdout.take())
            .expect("stdout is piped");
        mock.base_url = listening_url(stdout, Duration::from_secs(30))
            .map_err(|e| format!("{e}; its log is {}", log.display()))?;
        println!("python-client: mock listening on {}", mock.base_url);
        Ok(mock)
    }

    /// SIGTERM, which the mock answers by shutting down cleanly; killed if still running
    /// after five seconds.
    fn stop(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        terminate(&mut child);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(format!("the mock exited with {status}")),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the mock did not stop on SIGTERM; killed".to_string());
                }
            }
        }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn terminate(child: &mut Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|status| status.success());
    if !sent {
        let _ = child.kill();
    }
}

/// Reads the mock's stdout until it says where it listens, then keeps draining it in the
/// background so the mock never blocks on a full pipe.
fn listening_url(stdout: impl Read + Send + 'static, wait: Duration) -> Result<String, String> {
    let (found, url) = mpsc::channel();
    thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(LISTENING)
                && let Some(sender) = found.take()
            {
                let url = rest.split_whitespace().next().unwrap_or_default();
                let _ = sender.send(url.to_string());
            }
        }
    });
    match url.recv_timeout(wait) {
        Ok(url) if url.starts_with("http://") => Ok(url),
        Ok(other) => Err(format!("the mock printed an unexpected address: {other:?}")),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "the mock did not print `{LISTENING}http://…` within {wait:?}"
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(format!(
            "the mock's output ended before it printed `{LISTENING}http://…` (did it exit?)"
        )),
    }
}

/// Runs pytest, echoing its output, and returns its closing line when that line reports
/// passed tests and nothing else.
fn run_tests(
    root: &Path,
    venv: &Virtualenv,
    generated: &Path,
    base_url: &str,
) -> Result<String, String> {
    println!("python-client: running pytest on {TESTS}");
    let mut child = Command::new(venv.bin("python"))
        .args(["-m", "pytest", "-v", "-p", "no:cacheprovider", TESTS])
        .current_dir(root)
        .env("PYTHONPATH", generated)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("MULEROUTER_BASE_URL", base_url)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run pytest: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut last = String::new();
    let mut echo = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("cannot read pytest's output: {e}"))?;
        let _ = writeln!(echo, "{line}");
        if !line.trim().is_empty() {
            last = line;
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for pytest: {e}"))?;
    let summary = last.trim_matches(|c: char| c == '=' || c.is_whitespace());
    match passed_only(summary) {
        Some(_) if status.success() => Ok(summary.to_string()),
        _ => Err(format!(
            "the Python tests did not all pass ({status}): {summary}"
        )),
    }
}

/// The number of passed tests when `summary` (pytest's closing line, without its `=`
/// frame) reports passed tests and nothing else: no failure, error, skip or warning.
fn passed_only(summary: &str) -> Option<u32> {
    let counts = summary.split(" in ").next()?;
    let mut passed = None;
    for part in counts.split(", ") {
        let (count, what) = part.trim().split_once(' ')?;
        match what {
            "passed" => passed = count.parse().ok(),
            _ => return None,
        }
    }
    passed.filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_line_with_only_passed_tests_counts_them() {
        assert_eq!(passed_only("12 passed in 1.23s"), Some(12));
    }

    #[test]
    fn a_closing_line_with_no_tests_is_refused() {
        assert_eq!(passed_only("no tests ran in 0.01s"), None);
        assert_eq!(passed_only("0 passed in 0.01s"), None);
    }

    #[test]
    fn a_closing_line_with_a_failure_skip_or_warning_is_refused() {
        assert_eq!(passed_only("1 failed, 11 passed in 1.23s"), None);
        assert_eq!(passed_only("11 passed, 1 skipped in 1.23s"), None);
        assert_eq!(passed_only("12 passed, 1 warning in 1.23s"), None);
        assert_eq!(passed_only("11 passed, 1 error in 1.23s"), None);
    }

    #[test]
    fn only_the_generating_line_is_not_a_warning() {
        assert!(warnings("Generating /x/mulerouter_kling_client\n\n").is_empty());
        assert_eq!(
            warnings("Generating /x\nWarning(s) encountered while generating.\n"),
            ["Warning(s) encountered while generating."]
        );
    }

    #[test]
    fn the_mock_address_is_read_from_its_listening_line() {
        // Arrange
        let stdout = std::io::Cursor::new(
            "MuleRouter mock listening on http://127.0.0.1:4010\nCreate a task:\n",
        );

        // Act
        let url = listening_url(stdout, Duration::from_secs(5));

        // Assert
        assert_eq!(url.unwrap(), "http://127.0.0.1:4010");
    }

    #[test]
    fn a_mock_that_never_says_where_it_listens_is_an_error() {
        // Arrange: its output ends without the line (the reader sees end of file at once).
        let stdout = std::io::Cursor::new("something else\n");

        // Act
        let error = listening_url(stdout, Duration::from_secs(5)).unwrap_err();

        // Assert
        assert!(error.contains("ended before it printed"), "{error}");
    }
}
