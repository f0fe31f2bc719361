//! `kling`: generate a video from a terminal. See `kling --help`.

mod args;
mod backend;
mod download;
mod exit;
mod output;
mod progress;
mod request;

use std::process::ExitCode;

use clap::Parser;
use mulerouter_kling::WaitOptions;
use uuid::Uuid;

use args::{Cli, Command, Waiting};
use output::Output;
use progress::Progress;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output { json: cli.json };
    let backend = match backend::connect().await {
        Ok(backend) => backend,
        Err(error) => return ExitCode::from(output.error(&error)),
    };
    let code = match cli.command {
        Command::Generate(generate) => {
            let request = match request::build(&generate) {
                Ok(request) => request,
                Err(message) => {
                    return ExitCode::from(output.failure(
                        "invalid_input",
                        &message,
                        exit::INVALID_INPUT,
                    ));
                }
            };
            match backend.client.create(request).await {
                Err(error) => output.error(&error),
                Ok(task) if generate.wait || generate.waiting.download.is_some() => {
                    if !output.json {
                        eprintln!(
                            "Task {} created; waiting for it to finish…",
                            task.task_info.id
                        );
                    }
                    wait(&backend, task.task_info.id, &generate.waiting, output).await
                }
                Ok(task) => {
                    output.created(&task);
                    exit::OK
                }
            }
        }
        Command::Status { task_id } => match backend.client.get(task_id).await {
            Ok(task) => {
                output.status(&task);
                exit::OK
            }
            Err(error) => output.error(&error),
        },
        Command::Wait { task_id, waiting } => wait(&backend, task_id, &waiting, output).await,
    };
    ExitCode::from(code)
}

async fn wait(backend: &backend::Backend, task_id: Uuid, waiting: &Waiting, output: Output) -> u8 {
    let options = WaitOptions {
        timeout: waiting.timeout(),
        initial_interval: backend.first_poll_interval(),
        ..WaitOptions::default()
    };
    let mut progress = Progress::new();
    let result = backend
        .client
        .wait_for_completion_with(task_id, &options, |task| progress.update(task))
        .await;
    progress.finish();
    let done = match result {
        Ok(done) => done,
        Err(error) => return output.error(&error),
    };
    let saved = match &waiting.download {
        Some(dir) => match download::all(&done.videos, dir, task_id).await {
            Ok(saved) => saved,
            Err(message) => return output.failure("download", &message, exit::TRANSPORT),
        },
        None => Vec::new(),
    };
    output.completed(&done, &saved, progress.elapsed().as_secs());
    exit::OK
}
