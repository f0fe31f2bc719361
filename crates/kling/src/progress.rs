//! Showing a waiting task: a spinner on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mulerouter_kling::{Uuid, WaitEvent};

use crate::terminal::clean;

/// Reports each poll of a task on stderr (stdout stays for results).
pub struct Progress {
    task_id: Uuid,
    spinner: Option<ProgressBar>,
    started: Instant,
    /// What the last line said: a status, or why a poll failed. A line is printed when it
    /// changes, so an outage of the service is told once, not at every poll.
    last_said: Option<String>,
}

impl Progress {
    pub fn new(task_id: Uuid) -> Self {
        let interactive = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let spinner = interactive.then(|| {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("{spinner} task {prefix}: {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.set_prefix(task_id.to_string());
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        });
        Self {
            task_id,
            spinner,
            started: Instant::now(),
            last_said: None,
        }
    }

    /// Shows what one poll of the wait saw.
    pub fn update(&mut self, event: WaitEvent<'_>) {
        let said = match event {
            // The status is the service's text; an unknown one is shown as sent, made safe.
            WaitEvent::Polled(task) => clean(task.task_info.status.as_str()).into_owned(),
            // Without the pause, which grows at every poll: the same failure is one line.
            WaitEvent::PollFailed { error, .. } => format!(
                "could not be read ({}); polling again until the wait's deadline",
                clean(&error.to_string())
            ),
            _ => return,
        };
        match &self.spinner {
            Some(spinner) => spinner.set_message(said.clone()),
            None if self.last_said.as_deref() != Some(&said) => {
                eprintln!(
                    "[{:>4}s] task {}: {said}",
                    self.started.elapsed().as_secs(),
                    self.task_id
                );
            }
            None => {}
        }
        self.last_said = Some(said);
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
