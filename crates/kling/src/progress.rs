//! Showing a waiting task: a spinner on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mulerouter_kling::types::TaskResponse;

/// Reports each poll of a task on stderr (stdout stays for results).
pub struct Progress {
    spinner: Option<ProgressBar>,
    started: Instant,
    last_status: Option<String>,
}

impl Progress {
    pub fn new() -> Self {
        let interactive = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let spinner = interactive.then(|| {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("{spinner} task {prefix}: {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        });
        Self {
            spinner,
            started: Instant::now(),
            last_status: None,
        }
    }

    pub fn update(&mut self, task: &TaskResponse) {
        // The status is the service's text; an unknown one is shown as sent, made safe.
        let status = crate::terminal::clean(task.task_info.status.as_str()).into_owned();
        match &self.spinner {
            Some(spinner) => {
                spinner.set_prefix(task.task_info.id.to_string());
                spinner.set_message(status.clone());
            }
            None if self.last_status.as_deref() != Some(&status) => {
                eprintln!(
                    "[{:>4}s] task {}: {status}",
                    self.started.elapsed().as_secs(),
                    task.task_info.id
                );
            }
            None => {}
        }
        self.last_status = Some(status);
    }

    pub fn finish(&self) {
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
