//! `kling mock …`: look at and steer a running MuleRouter mock (`mulerouter-kling-mock` at
//! `MULEROUTER_BASE_URL`) through its admin API, with the generated admin client.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use mulerouter_kling::BASE_URL_ENV;
use mulerouter_kling_mock_admin::types::{
    BodyKind, FailRequest, FaultList, Journal, QueuedFault, Task, TaskPage, TaskState,
};
use mulerouter_kling_mock_admin::{Client, Error, ResponseValue, connect, types::AdminError};
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

    /// Give up after this long: seconds (`30`) or with a unit (`30s`, `2m`), at most an hour.
    #[arg(long, value_name = "DURATION", default_value = "30", global = true, value_parser = |text: &str| crate::args::time_limit_up_to(text, Duration::from_secs(3600), "an hour"))]
    pub timeout: Duration,
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
        /// Skip this many first (the next page starts at the `next_offset` a page gives).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
        offset: u64,
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
        /// Skip this many newest first (a journal too large for one answer says where the
        /// next one starts).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
        offset: u64,
    },
    /// Queue a fault for the next requests: a status (JSON, or an HTML page with --html), a
    /// latency, a task error, or a dropped connection. Faults act on the whole mock: give
    /// --operation to narrow them to creates or reads.
    Fault(FaultArgs),
    /// List the queued faults, or clear them with --clear.
    Faults {
        /// Drop every queued fault (the standing latency stays).
        #[arg(long)]
        clear: bool,
        /// With --clear: only the faults queued for this API key.
        #[arg(long, value_name = "API_KEY", requires = "clear")]
        key: Option<String>,
    },
    /// Back to how the mock started: no tasks, no faults, an empty journal. With --key, only
    /// the tasks created with that API key and its faults go.
    Reset {
        /// Only what belongs to this API key (its tasks and faults); the journal stays.
        #[arg(long, value_name = "API_KEY")]
        key: Option<String>,
    },
}

/// What `kling mock fault` queues; at least one of --status, --latency-ms, --task-error,
/// --hang-up.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("effect")
    .required(true)
    .multiple(true)
    .args(["status", "latency_ms", "task_error", "hang_up"]))]
pub struct FaultArgs {
    /// How many requests (or tasks) get it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub count: u64,
    /// Answer with this 4xx/5xx status (nothing is created or read).
    #[arg(long, value_parser = clap::value_parser!(i64).range(400..=599))]
    pub status: Option<i64>,
    /// With --status: an HTML page, as a proxy sends (5xx only).
    #[arg(long, requires = "status")]
    pub html: bool,
    /// With --status: the Retry-After seconds.
    #[arg(long, value_name = "SECONDS", requires = "status")]
    pub retry_after: Option<i64>,
    /// Answer this many milliseconds later (at most 60000).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=60_000))]
    pub latency_ms: Option<i64>,
    /// The next task created fails with this error code when it finishes (e.g. 3005).
    #[arg(long)]
    pub task_error: Option<i64>,
    /// Act on the request, then drop the connection without an answer (standalone mock).
    #[arg(long, conflicts_with = "status")]
    pub hang_up: bool,
    /// Only requests to this operation: create_generation or get_generation.
    #[arg(long)]
    pub operation: Option<String>,
    /// Only requests sending this API key (`sk-mr-…`), so that suites sharing one mock keep
    /// their faults to themselves.
    #[arg(long, value_name = "API_KEY")]
    pub key: Option<String>,
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
        self.timeout
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
        MockCommand::Tasks {
            status,
            limit,
            offset,
        } => tasks(&admin, status, limit, offset, output).await,
        MockCommand::Fail { task_id, code } => {
            let sent = admin
                .fail_task()
                .task_id(task_id)
                .body(FailRequest { code })
                .send()
                .await;
            // Only here is a 404 the mock's own answer: the task is unknown.
            match sent {
                Err(Error::ErrorResponse(answer)) if answer.status().as_u16() == 404 => output
                    .failure(
                        "mock_admin",
                        &format!("the mock answered 404: {}", answer.detail),
                        exit::NOT_FOUND,
                    ),
                sent => shown(sent, output, failed),
            }
        }
        MockCommand::Journal { limit, offset } => {
            let mut call = admin.journal().offset(offset);
            if let Some(limit) = limit.and_then(std::num::NonZeroU64::new) {
                call = call.limit(limit);
            }
            shown(call.send().await, output, journal_out)
        }
        MockCommand::Fault(fault) => {
            let request = mulerouter_kling_mock_admin::types::FaultRequest {
                body: fault.html.then_some(BodyKind::Html),
                count: std::num::NonZeroU64::new(fault.count).unwrap_or(std::num::NonZeroU64::MIN),
                hang_up: fault.hang_up,
                latency_ms: fault.latency_ms,
                operation: fault.operation,
                retry_after: fault.retry_after,
                status: fault.status,
                task_error: fault.task_error,
                key: fault.key,
            };
            shown(
                admin.queue_faults().body(request).send().await,
                output,
                faults_out,
            )
        }
        MockCommand::Faults { clear: true, key } => {
            let mut call = admin.clear_faults();
            let text = match key {
                Some(key) => {
                    call = call.key(key);
                    "No faults are queued for that key any more."
                }
                None => "No faults are queued any more.",
            };
            let done = |_: &(), output| confirmed(output, "cleared", text);
            shown(call.send().await, output, done)
        }
        MockCommand::Faults { clear: false, .. } => {
            shown(admin.list_faults().send().await, output, faults_out)
        }
        MockCommand::Reset { key } => {
            let mut call = admin.reset();
            let text = match key {
                Some(key) => {
                    call = call.key(key);
                    "The tasks created with that key and its faults are gone."
                }
                None => "The mock is reset: no tasks, no faults, an empty journal.",
            };
            let done = |_: &(), output| confirmed(output, "reset", text);
            shown(call.send().await, output, done)
        }
    }
}

/// The exit code of an admin call: its answer shown by `show`, or why it was refused.
fn shown<T>(
    sent: Result<ResponseValue<T>, Error<AdminError>>,
    output: Output,
    show: impl FnOnce(&T, Output),
) -> u8 {
    match sent {
        Ok(answer) => {
            show(&answer, output);
            exit::OK
        }
        Err(error) => refused(&error, output),
    }
}

/// An admin call that answers nothing, said done: `{"<key>": true}` or `text`.
fn confirmed(output: Output, key: &str, text: &str) {
    if output.json {
        print_json(&serde_json::json!({ key: true }));
    } else {
        out!("{text}");
    }
}

async fn tasks(
    admin: &Client,
    status: Option<StatusArg>,
    limit: u64,
    offset: u64,
    output: Output,
) -> u8 {
    let mut call = admin.list_tasks().offset(offset);
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
    shown(call.send().await, output, tasks_out)
}

fn faults_out(list: &FaultList, output: Output) {
    if output.json {
        json_out(list);
        return;
    }
    if list.faults.is_empty() {
        out!("No faults queued.");
    }
    for (index, fault) in list.faults.iter().enumerate() {
        let effect = match fault {
            QueuedFault {
                status: Some(status),
                body,
                retry_after,
                ..
            } => {
                let page = if *body == Some(BodyKind::Html) {
                    " (HTML page)"
                } else {
                    ""
                };
                let retry = retry_after
                    .map(|s| format!(", Retry-After {s}s"))
                    .unwrap_or_default();
                format!("answer {status}{page}{retry}")
            }
            QueuedFault {
                latency_ms: Some(latency),
                ..
            } => format!("answer {latency} ms later"),
            QueuedFault {
                task_error: Some(code),
                ..
            } => format!("the next task created fails with {code}"),
            QueuedFault {
                hang_up: Some(true),
                ..
            } => "drop the connection without an answer".to_string(),
            _ => "(a fault this kling does not know)".to_string(),
        };
        // A key is shown by its end, as key listings do: enough to tell suites apart.
        let scope = [
            fault.operation.clone(),
            fault.key.as_ref().map(|key| {
                let end: String = key
                    .chars()
                    .skip(key.chars().count().saturating_sub(4))
                    .collect();
                format!("key …{end}")
            }),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let scope = if scope.is_empty() {
            scope
        } else {
            format!(" [{scope}]")
        };
        out!("{:>3}. {effect}{scope}", index + 1);
    }
    if list.latency_ms > 0 {
        out!(
            "Every answer is also {} ms late (the mock's --latency).",
            list.latency_ms
        );
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
    if let Some(next) = page.next_offset {
        out!("More with --offset {next}");
    }
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
    if let Some(next) = journal.next_offset {
        out!(
            "{} of {} kept; older ones with --offset {next}",
            journal.entries.len(),
            journal.total
        );
    }
}

/// Prints why the admin call failed; the exit code for it.
fn refused(error: &Error<AdminError>, output: Output) -> u8 {
    let (code, message) = match error {
        Error::ErrorResponse(answer) => {
            let status = answer.status().as_u16();
            match status {
                401 | 403 => (
                    exit::AUTH,
                    format!("the mock answered {status}: {}", answer.detail),
                ),
                // The admin API has each of these paths: a server without them is another.
                404 => (
                    exit::API_ERROR,
                    format!(
                        "{status} for an admin path every mock serves ({}): is {BASE_URL_ENV} a MuleRouter mock?",
                        answer.detail
                    ),
                ),
                _ => (
                    exit::API_ERROR,
                    format!("the mock answered {status}: {}", answer.detail),
                ),
            }
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
