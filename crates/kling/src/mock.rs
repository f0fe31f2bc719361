//! `kling mock …`: look at and steer a running MuleRouter mock (`mulerouter-kling-mock` at
//! `MULEROUTER_BASE_URL`) through its admin API, with the generated admin client.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use mulerouter_kling::BASE_URL_ENV;
use mulerouter_kling_mock_admin::types::{FailRequest, Journal, Task, TaskPage, TaskState};
use mulerouter_kling_mock_admin::{Client, Error, connect, types::AdminError};
use serde::Serialize;

use crate::exit;
use crate::output::out;
use crate::output::{Output, print_json};
use crate::terminal::clean;

/// The environment variable holding the mock's admin token, when it was started with one.
pub const ADMIN_TOKEN_ENV: &str = "MULEROUTER_MOCK_ADMIN_TOKEN";

#[derive(Debug, Args)]
pub struct Mock {
    #[command(subcommand)]
    pub command: MockCommand,

    /// Give up after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, global = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// List the mock's tasks, newest first.
    Tasks {
        /// Only tasks in this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// At most this many (1–500).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
    },
    /// Fail a task with a task error code (3001–3005, 4002, 4008 are documented).
    Fail {
        /// The task id.
        task_id: uuid::Uuid,
        /// The task error code, e.g. 3005.
        code: i64,
    },
    /// The last requests the mock answered, newest first, with the rules each broke.
    Journal {
        /// At most this many.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
    },
    /// Back to how the mock started: no tasks, no faults, an empty journal.
    Reset,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl Mock {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

/// Runs a `kling mock` command; the exit code.
pub async fn run(mock: Mock, output: Output) -> u8 {
    let Some(base) = std::env::var(BASE_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        return output.failure(
            "invalid_input",
            &format!("kling mock needs {BASE_URL_ENV}: the URL of a running mock (e.g. http://127.0.0.1:4010)"),
            exit::INVALID_INPUT,
        );
    };
    let token = std::env::var(ADMIN_TOKEN_ENV)
        .ok()
        .filter(|token| !token.is_empty());
    let admin = match connect(&base, token.as_deref()) {
        Ok(admin) => admin,
        Err(error) => {
            return output.failure("invalid_input", &error.to_string(), exit::INVALID_INPUT);
        }
    };
    match mock.command {
        MockCommand::Tasks { status, limit } => tasks(&admin, status, limit, output).await,
        MockCommand::Fail { task_id, code } => {
            let sent = admin
                .fail_task()
                .task_id(task_id)
                .body(FailRequest { code })
                .send()
                .await;
            match sent {
                Ok(task) => {
                    failed(&task, output);
                    exit::OK
                }
                Err(error) => refused(&error, output),
            }
        }
        MockCommand::Journal { limit } => {
            let mut call = admin.journal();
            if let Some(limit) = limit.and_then(std::num::NonZeroU64::new) {
                call = call.limit(limit);
            }
            match call.send().await {
                Ok(journal) => {
                    journal_out(&journal, output);
                    exit::OK
                }
                Err(error) => refused(&error, output),
            }
        }
        MockCommand::Reset => match admin.reset().send().await {
            Ok(_) => {
                if output.json {
                    print_json(&serde_json::json!({ "reset": true }));
                } else {
                    out!("The mock is reset: no tasks, no faults, an empty journal.");
                }
                exit::OK
            }
            Err(error) => refused(&error, output),
        },
    }
}

async fn tasks(admin: &Client, status: Option<StatusArg>, limit: u64, output: Output) -> u8 {
    let mut call = admin.list_tasks();
    if let Some(status) = status {
        call = call.status(match status {
            StatusArg::Pending => TaskState::Pending,
            StatusArg::Processing => TaskState::Processing,
            StatusArg::Completed => TaskState::Completed,
            StatusArg::Failed => TaskState::Failed,
        });
    }
    if let Some(limit) = std::num::NonZeroU64::new(limit) {
        call = call.limit(limit);
    }
    match call.send().await {
        Ok(page) => {
            tasks_out(&page, output);
            exit::OK
        }
        Err(error) => refused(&error, output),
    }
}

fn json_out(value: &impl Serialize) {
    print_json(&serde_json::to_value(value).unwrap_or_default());
}

fn tasks_out(page: &TaskPage, output: Output) {
    if output.json {
        json_out(page);
        return;
    }
    if page.tasks.is_empty() {
        out!("No tasks.");
        return;
    }
    out!("{:<36}  {:<10}  {:<20}  ERROR", "ID", "STATUS", "CREATED");
    for task in &page.tasks {
        let info = &task.task_info;
        out!(
            "{:<36}  {:<10}  {:<20}  {}",
            info.id,
            info.status.to_string(),
            info.created_at.format("%Y-%m-%d %H:%M:%S"),
            clean(&error_text(task))
        );
    }
    out!("{} of {} tasks", page.tasks.len(), page.total);
}

fn error_text(task: &Task) -> String {
    let Some(error) = &task.task_info.error else {
        return String::new();
    };
    let code = error
        .error_code
        .or(error.code)
        .map(|c| c.to_string())
        .unwrap_or_default();
    format!("{code} {}", error.detail.as_deref().unwrap_or_default())
        .trim()
        .to_string()
}

fn failed(task: &Task, output: Output) {
    if output.json {
        json_out(task);
        return;
    }
    let info = &task.task_info;
    match info.status {
        TaskState::Failed => out!("Task {} failed: {}", info.id, clean(&error_text(task))),
        other => out!("Task {} had finished already; it stays {other}.", info.id),
    }
}

fn journal_out(journal: &Journal, output: Output) {
    if output.json {
        json_out(journal);
        return;
    }
    if journal.entries.is_empty() {
        out!(
            "No requests yet (the journal keeps the last {}).",
            journal.capacity
        );
        return;
    }
    for entry in &journal.entries {
        out!(
            "{}  {:<6} {}  {}",
            entry.time.format("%H:%M:%S%.3f"),
            clean(&entry.method),
            entry.status,
            clean(&entry.path)
        );
        for violation in &entry.violations {
            let pointer = if violation.pointer.is_empty() {
                "(body)"
            } else {
                violation.pointer.as_str()
            };
            out!(
                "    {} {}: {}",
                clean(pointer),
                clean(&violation.rule),
                clean(&violation.message)
            );
        }
        let left_out = entry.violations_total - entry.violations.len() as i64;
        if left_out > 0 {
            out!("    … and {left_out} more");
        }
    }
}

/// Prints why the admin call failed; the exit code for it.
fn refused(error: &Error<AdminError>, output: Output) -> u8 {
    let (code, message) = match error {
        Error::ErrorResponse(answer) => {
            let status = answer.status().as_u16();
            let code = match status {
                401 | 403 => exit::AUTH,
                404 => exit::NOT_FOUND,
                _ => exit::API_ERROR,
            };
            (
                code,
                format!("the mock answered {status}: {}", answer.detail),
            )
        }
        Error::CommunicationError(_) | Error::ResponseBodyError(_) => (
            exit::TRANSPORT,
            format!("cannot reach the mock's admin API: {error}"),
        ),
        Error::InvalidResponsePayload(..) | Error::UnexpectedResponse(_) => {
            let status = error
                .status()
                .map(|status| format!(" (status {})", status.as_u16()))
                .unwrap_or_default();
            (
                exit::API_ERROR,
                format!(
                    "the answer{status} is not the mock admin API's: is {BASE_URL_ENV} a MuleRouter mock?"
                ),
            )
        }
        // The admin client's only custom error: an answer too large to be the mock's.
        Error::Custom(message) => (
            exit::UNEXPECTED,
            format!("{message}: is {BASE_URL_ENV} a MuleRouter mock?"),
        ),
        other => (
            exit::UNEXPECTED,
            format!("unexpected answer from the mock: {other}"),
        ),
    };
    output.failure("mock_admin", &message, code)
}
