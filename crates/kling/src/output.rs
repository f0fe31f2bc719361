//! What the commands print: text for people, `--json` for scripts.

use mulerouter_kling::types::TaskResponse;
use mulerouter_kling::{CompletedTask, Error};
use serde_json::{Value, json};

use crate::download::Saved;
use crate::exit;
use crate::terminal::{clean, clean_json};

/// A line on stdout, with the service's text made safe for a terminal.
macro_rules! out {
    ($($arg:tt)*) => { crate::output::line(&clean(&format!($($arg)*))) };
}
pub(crate) use out;

/// Writes `text` and a newline on stdout. `println!` would panic when stdout is gone: a
/// reader that stopped (`kling … | head -1`) ends the command quietly, as a shell tool does;
/// any other failure (a full disk) ends it with a message and exit 1.
pub fn line(text: &str) {
    use std::io::{ErrorKind, Write};
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => {
            eprintln!("error: cannot write the output: {error}");
            std::process::exit(i32::from(exit::UNEXPECTED));
        }
    }
}

/// A line on stderr, with the service's text made safe for a terminal.
macro_rules! err {
    ($($arg:tt)*) => { eprintln!("{}", clean(&format!($($arg)*))) };
}

/// Prints on stdout in the chosen format.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// A task created and not waited for; `offline`, it ends with this command, so there is
    /// nothing to follow it with.
    pub fn created(&self, task: &TaskResponse, offline: bool) {
        if self.json {
            print_json(&json!(task));
        } else {
            let id = task.task_info.id;
            out!("Task {id} created ({}).", task.task_info.status);
            if offline {
                out!("Offline, the task ends with this command: add --wait to see it finish.");
            } else {
                out!("Follow it with: kling status {id}   or: kling wait {id}");
            }
        }
    }

    pub fn status(&self, task: &TaskResponse) {
        if self.json {
            print_json(&json!(task));
            return;
        }
        let info = &task.task_info;
        out!("Task {}: {}", info.id, info.status);
        out!("  created: {}", info.created_at.to_rfc3339());
        out!("  updated: {}", info.updated_at.to_rfc3339());
        if let Some(error) = &info.error {
            let code = error.task_code().map(|c| c.to_string()).unwrap_or_default();
            out!(
                "  error:   {code} {} {}",
                shortened(error.title.as_deref().unwrap_or("")),
                shortened(error.detail.as_deref().unwrap_or(""))
            );
        }
        for video in task.videos.iter().flatten() {
            out!("  video:   {video}");
        }
    }

    pub fn completed(&self, done: &CompletedTask, saved: &[Saved], waited_secs: u64) {
        if self.json {
            print_json(&json!({
                "task_info": done.task_info,
                "videos": done.videos.iter().map(|url| url.as_str()).collect::<Vec<_>>(),
                "downloads": saved,
            }));
            return;
        }
        // A task found finished at the first read was not waited for.
        let waited = if waited_secs == 0 {
            String::new()
        } else {
            format!(" after {waited_secs}s")
        };
        out!(
            "Task {} {}{waited}.",
            done.task_info.id,
            done.task_info.status
        );
        for video in &done.videos {
            out!("{video}");
        }
        for file in saved {
            out!("Saved {} ({} bytes)", file.path.display(), file.bytes);
        }
    }

    /// Prints an error (JSON on stdout with `--json`, text on stderr) and returns the exit code.
    pub fn error(&self, error: &Error) -> u8 {
        self.error_saying(error, &error.to_string())
    }

    /// Prints an error like [`Output::error`], with `message` in place of the client's own
    /// (when the command knows better what went wrong).
    pub fn error_saying(&self, error: &Error, message: &str) -> u8 {
        let code = exit::for_error(error);
        if self.json {
            print_json(&error_json(error, code, message));
        } else {
            err!("{}", error_text(error, message));
        }
        code
    }

    /// A failure that is not the client's (a download, unreadable input).
    /// A finished task whose videos could not all be saved: with `--json`, what a script
    /// needs to try again (`kling wait ID --download …`): the task, its videos and the files
    /// already saved.
    pub fn download_failed(
        &self,
        done: &CompletedTask,
        saved: &[Saved],
        failure: &crate::download::Failure,
    ) -> u8 {
        let (kind, code) = match failure {
            crate::download::Failure::TimedOut(_) => ("timeout", exit::TIMEOUT),
            crate::download::Failure::Failed(_) => ("download", exit::TRANSPORT),
        };
        let message = failure.to_string();
        if self.json {
            print_json(&json!({"error": {
                "kind": kind,
                "exit_code": code,
                "message": message,
                "task_id": done.task_info.id,
                "videos": done.videos.iter().map(|url| url.as_str()).collect::<Vec<_>>(),
                "downloads": saved,
            }}));
        } else {
            err!("error: {message}");
            err!(
                "The task {} completed; save its videos again with: kling wait {} --download DIR",
                done.task_info.id,
                done.task_info.id
            );
        }
        code
    }

    pub fn failure(&self, kind: &str, message: &str, code: u8) -> u8 {
        if self.json {
            print_json(&json!({"error": {"kind": kind, "exit_code": code, "message": message}}));
        } else {
            err!("error: {message}");
        }
        code
    }
}

pub fn print_json(value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    line(&clean_json(&text));
}

fn kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput(_) => "invalid_input",
        Error::Config(_) => "config",
        Error::Auth(_) => "auth",
        Error::InsufficientBalance(_) => "insufficient_balance",
        Error::RateLimited(_) => "rate_limited",
        Error::NotFound(_) => "not_found",
        Error::Api(_) => "api",
        Error::TaskFailed(_) => "task_failed",
        Error::Timeout { .. } | Error::TimedOut { .. } => "timeout",
        Error::ResponseTooLarge { .. } => "response_too_large",
        Error::Transport { .. } => "transport",
        _ => "unexpected_response",
    }
}

fn error_json(error: &Error, code: u8, message: &str) -> Value {
    let mut body = json!({"kind": kind(error), "exit_code": code, "message": message});
    if let Some(status) = error.status() {
        body["status"] = json!(status.as_u16());
    }
    if let Some(details) = error.details() {
        body["code"] = json!(details.code);
        body["title"] = json!(details.title);
        body["detail"] = json!(details.detail);
        body["traceparent"] = json!(details.traceparent);
        body["violations"] = json!(details.violations);
    }
    match error {
        Error::InvalidInput(input) => {
            body["violations"] = input
                .violations()
                .iter()
                .map(|v| json!({"pointer": v.pointer, "rule": v.rule, "message": v.message}))
                .collect();
        }
        Error::TaskFailed(failure) => {
            body["task_id"] = json!(failure.task_id);
            body["code"] = json!(failure.code);
            body["title"] = json!(failure.title);
            body["detail"] = json!(failure.detail);
        }
        Error::Timeout {
            task_id,
            last_status,
            last_failure,
            ..
        } => {
            body["task_id"] = json!(task_id);
            body["last_status"] = json!(last_status);
            body["last_failure"] = json!(last_failure.as_ref().map(|e| e.to_string()));
        }
        Error::TimedOut { operation, after } => {
            body["operation"] = json!(operation.to_string());
            body["after_seconds"] = json!(after.as_secs_f64());
        }
        Error::ResponseTooLarge {
            limit,
            received,
            announced,
            ..
        } => {
            body["limit_bytes"] = json!(limit);
            body["received_bytes"] = json!(received);
            body["announced_bytes"] = json!(announced);
        }
        _ => {}
    }
    json!({"error": body})
}

fn error_text(error: &Error, message: &str) -> String {
    let mut lines = vec![format!("error: {message}")];
    let mut field = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            lines.push(format!("  {name:<12} {value}"));
        }
    };
    if let Some(details) = error.details() {
        field("status:", Some(details.status.to_string()));
        field("error code:", details.code.map(|c| c.to_string()));
        field("title:", details.title.clone());
        field("detail:", details.detail.clone());
        field("traceparent:", details.traceparent.clone());
        for violation in &details.violations {
            field(
                "violation:",
                Some(format!(
                    "{} ({}): {}",
                    violation.pointer, violation.rule, violation.message
                )),
            );
        }
    }
    if let Error::TaskFailed(failure) = error {
        field("error code:", failure.code.map(|c| c.to_string()));
        field("title:", failure.title.clone());
        field("detail:", failure.detail.clone());
    }
    lines.join("\n")
}

/// The most characters of a task's title or detail shown as text, as the client keeps of
/// an error's texts: a server can send megabytes of them. `--json` shows them whole.
const SHOWN_CHARS: usize = 300;

/// `text` cut at [`SHOWN_CHARS`] characters, saying how long it was.
fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    let length = text.chars().count();
    if length <= SHOWN_CHARS {
        return text.into();
    }
    let start: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{start}… ({length} characters; --json shows them all)").into()
}
