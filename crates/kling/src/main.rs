//! `kling`: generate a video from a terminal. See `kling --help`.

mod args;
mod backend;
mod download;
mod exit;
mod logging;
mod mock;
mod output;
mod progress;
mod request;
mod terminal;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mulerouter_kling::{API_KEY_ENV, BASE_URL_ENV, Error, WaitOptions};
use tokio::time::Instant;
use uuid::Uuid;

use args::{Cli, Command, Waiting};
use output::Output;
use progress::Progress;

/// How long past `--timeout` the last safety net waits for a command to wrap up by itself
/// (each part already stops at the deadline with its own message).
const GRACE: Duration = Duration::from_millis(500);

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let output = Output { json: cli.json };
    let timeout = cli.command.timeout();
    let name = cli.command.name();
    // Only `generate` creates a task, which may outlive the command.
    let aftermath = if matches!(cli.command, Command::Generate(_)) {
        "; a task it created may still run"
    } else {
        ""
    };
    let deadline = Instant::now() + timeout;
    let bounded = tokio::time::timeout_at(deadline + GRACE, run(cli.command, deadline, output));
    let code = tokio::select! {
        finished = bounded => match finished {
            Ok(code) => code,
            Err(_) => output.failure(
                "timeout",
                &format!(
                    "kling {name} timed out after {} (--timeout)",
                    args::shown(timeout)
                ),
                exit::TIMEOUT,
            ),
        },
        // Dropping the command on the way out removes what it left half done (a partial
        // download), which the default end of the process on a signal would not.
        (signal, code) = interrupted() => output.failure(
            "interrupted",
            &format!("kling {name} interrupted by {signal}{aftermath}"),
            code,
        ),
    };
    ExitCode::from(code)
}

/// Completes on Ctrl-C, SIGTERM or SIGHUP, with the signal's name and the exit code a shell
/// gives a command it ended (128 and the signal's number).
async fn interrupted() -> (&'static str, u8) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hang_up)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            // Without signal handling the command simply runs on, as it did.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => ("Ctrl-C", 130),
            _ = terminate.recv() => ("SIGTERM", 143),
            _ = hang_up.recv() => ("SIGHUP", 129),
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return std::future::pending().await;
        }
        ("Ctrl-C", 130)
    }
}

/// Runs the command; each part stops by itself at `deadline` with its own message.
async fn run(command: Command, deadline: Instant, output: Output) -> u8 {
    // The first call gets all of `--timeout`, so that its message names the figure the user
    // gave; the few milliseconds spent before it fall within the grace.
    let timeout = command.timeout();
    // The mock's admin API is the mock's, never MuleRouter's: no key, no built-in mock.
    let command = match command {
        Command::Mock(mock) => return mock::run(mock, output).await,
        command => command,
    };
    // What can be found wrong here is, before a mock starts or anything is sent (and billed).
    let request = match &command {
        Command::Generate(generate) => match request::build(generate) {
            Ok(request) => Some(request),
            Err(request::Refused::Flag(message)) => {
                return output.failure("invalid_input", &message, exit::INVALID_INPUT);
            }
            Err(request::Refused::Rules(error)) => return output.error(&error),
        },
        _ => None,
    };
    let download = match &command {
        Command::Generate(generate) => generate.waiting.download.as_deref(),
        Command::Wait { waiting, .. } => waiting.download.as_deref(),
        _ => None,
    };
    if let Some(Err(message)) = download.map(download::prepare) {
        return output.failure("invalid_input", &message, exit::INVALID_INPUT);
    }
    let backend = match backend::connect().await {
        Ok(backend) => backend,
        Err(error) => return output.error(&error),
    };
    match command {
        Command::Generate(generate) => {
            let Some(request) = request else {
                return exit::UNEXPECTED;
            };
            let client = backend.client.with_call_timeout(timeout);
            match client.create(request).await {
                Err(error) => output.error(&error),
                Ok(task) if generate.waits() => {
                    if !output.json {
                        eprintln!(
                            "Task {} created; waiting for it to finish…",
                            task.task_info.id
                        );
                    }
                    wait(
                        &backend,
                        task.task_info.id,
                        &generate.waiting,
                        deadline,
                        output,
                        Origin::ThisCommand,
                    )
                    .await
                }
                Ok(task) => {
                    output.created(&task, backend.is_offline());
                    exit::OK
                }
            }
        }
        Command::Status { task_id, .. } => {
            let client = backend.client.with_call_timeout(timeout);
            match client.get(task_id).await {
                Ok(task) => {
                    output.status(&task);
                    exit::OK
                }
                Err(error) => read_failed(&backend, task_id, &error, output),
            }
        }
        Command::Wait { task_id, waiting } => {
            wait(
                &backend,
                task_id,
                &waiting,
                deadline,
                output,
                Origin::EarlierCommand,
            )
            .await
        }
        Command::Mock(_) => exit::UNEXPECTED,
    }
}

/// What is left of the command's time (at least a moment, so a call can fail cleanly).
fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

/// Which command created the task a command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    ThisCommand,
    EarlierCommand,
}

/// Reports a failed read of a task given on the command line. Offline, a task not found is
/// the rule rather than a typo: each command starts a mock of its own, empty.
fn read_failed(backend: &backend::Backend, task_id: Uuid, error: &Error, output: Output) -> u8 {
    if backend.is_offline() && matches!(error, Error::NotFound(_)) {
        return output.error_saying(
            error,
            &format!(
                "not found (404): the built-in mock has no task {task_id}: without {API_KEY_ENV}, \
                 each kling command starts a mock of its own, so an offline task lives only as \
                 long as the command that created it; create and wait in one command with \
                 `kling generate … --wait`, or run `mulerouter-kling-mock` and point \
                 {BASE_URL_ENV} at it (with {API_KEY_ENV} set to a key it accepts, e.g. sk-mr-test)"
            ),
        );
    }
    output.error(error)
}

async fn wait(
    backend: &backend::Backend,
    task_id: Uuid,
    waiting: &Waiting,
    deadline: Instant,
    output: Output,
    origin: Origin,
) -> u8 {
    let options = WaitOptions {
        timeout: left(deadline),
        initial_interval: backend.first_poll_interval(),
        ..WaitOptions::default()
    };
    let mut progress = Progress::new(task_id);
    let result = backend
        .client
        .wait_for_completion_observed(task_id, &options, |event| progress.update(event))
        .await;
    progress.finish();
    let done = match result {
        Ok(done) => done,
        Err(error) if origin == Origin::EarlierCommand => {
            return read_failed(backend, task_id, &error, output);
        }
        Err(error) => return output.error(&error),
    };
    let saved = match &waiting.download {
        Some(dir) => {
            let limits = download::Limits {
                deadline,
                timeout: waiting.timeout(),
                idle: waiting.idle_timeout(),
                max_size: waiting.max_size,
            };
            match download::all(&done.videos, dir, task_id, limits).await {
                Ok(saved) => saved,
                Err((failure, saved)) => return output.download_failed(&done, &saved, &failure),
            }
        }
        None => Vec::new(),
    };
    output.completed(&done, &saved, progress.elapsed().as_secs());
    exit::OK
}
