//! Polling a task until it finishes.

use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use crate::error::TaskFailure;
use crate::status::{Phase, TaskStatus};
use crate::types::{TaskInfo, TaskResponse};
use crate::{Client, Error};

/// The shortest pause between two polls of a wait, whatever [`WaitOptions`] say.
///
/// A zero interval would poll in a tight loop, hundreds of reads a second, and run into the
/// service's rate limits (which a 429 then makes everyone pay for); a generation takes
/// minutes, so ten reads a second at most costs nothing in how soon a result is seen.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How [`Client::wait_for_completion_with`] polls.
///
/// Every value is usable: pauses are never shorter than [`MIN_POLL_INTERVAL`] nor longer than
/// `max_interval` (or the floor, if `max_interval` is below it), and no multiplier panics.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long (default 30 minutes; generation usually takes minutes), with
    /// [`Error::Timeout`].
    pub timeout: Duration,
    /// The first pause between two polls (default 2 s; at least [`MIN_POLL_INTERVAL`]).
    pub initial_interval: Duration,
    /// The longest pause between two polls (default 15 s; at least [`MIN_POLL_INTERVAL`]).
    pub max_interval: Duration,
    /// How much each pause grows over the previous one (default 1.5). A pause never shrinks:
    /// a multiplier below 1, negative or NaN keeps it as it is; one so large the product does
    /// not fit a [`Duration`] (`f64::INFINITY`, `1e300`) jumps straight to `max_interval`.
    pub multiplier: f64,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30 * 60),
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(15),
            multiplier: 1.5,
        }
    }
}

/// A task that finished with a result.
#[derive(Debug, Clone)]
pub struct CompletedTask {
    /// The task's final state.
    pub task_info: TaskInfo,
    /// The result videos, at least one.
    pub videos: Vec<url::Url>,
}

/// What happened in one poll of a wait, for [`Client::wait_for_completion_observed`].
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitEvent<'a> {
    /// The task was read: each state, the finished one too.
    Polled(&'a TaskResponse),
    /// The poll failed with a transient error, after the retries of its own call, and the
    /// wait goes on. Without it, a wait through an outage looks like a wait on a slow task
    /// until its deadline.
    PollFailed {
        /// Why the poll failed ([`Error::is_transient`] holds).
        error: &'a Error,
        /// The pause before the next poll: what the service asked for in `Retry-After`, if
        /// longer, up to [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after).
        next_poll_in: Duration,
    },
}

impl Client {
    /// Polls the task with the default [`WaitOptions`] until it completes or fails.
    pub async fn wait_for_completion(&self, task_id: Uuid) -> Result<CompletedTask, Error> {
        self.wait_for_completion_with(task_id, &WaitOptions::default(), |_| {})
            .await
    }

    /// Polls the task until it completes ([`CompletedTask`]), fails ([`Error::TaskFailed`]
    /// with the task's error code, title and detail) or `options.timeout` passes
    /// ([`Error::Timeout`]: the task is still running, or its state could not be read).
    /// `on_poll` sees every state read, e.g. to show progress.
    ///
    /// The deadline holds for the whole wait: a poll still in flight when it passes (a
    /// server that does not answer) is abandoned. Each poll is a [`Client::get`], so
    /// transient errors are retried within the poll; a poll that still fails with a
    /// transient error ([`Error::is_transient`]: 429, 5xx, a call that timed out, a lost
    /// connection) does not end the wait, which polls again after the next pause, until its
    /// deadline: a long wait rides out a service that is briefly unavailable. The pause after
    /// such a poll is what the service asked for in `Retry-After`, when that is longer than
    /// the next interval, but never more than the retry policy's
    /// [`max_retry_after`](crate::RetryPolicy::max_retry_after). Should the
    /// deadline pass then, the [`Error::Timeout`] carries the last failure. Errors that
    /// waiting cannot mend (401/403, 404, an invalid answer, …) end the wait at once, and
    /// so does a connection that cannot be made before any poll was answered: that is more
    /// likely a wrong base URL than a restart.
    pub async fn wait_for_completion_with(
        &self,
        task_id: Uuid,
        options: &WaitOptions,
        mut on_poll: impl FnMut(&TaskResponse),
    ) -> Result<CompletedTask, Error> {
        self.wait_for_completion_observed(task_id, options, |event| {
            if let WaitEvent::Polled(task) = event {
                on_poll(task);
            }
        })
        .await
    }

    /// [`Client::wait_for_completion_with`], also telling `observe` of each poll that failed
    /// and when the next one is due ([`WaitEvent`]), e.g. to show that the service is
    /// unavailable rather than the task slow.
    pub async fn wait_for_completion_observed(
        &self,
        task_id: Uuid,
        options: &WaitOptions,
        observe: impl FnMut(WaitEvent<'_>),
    ) -> Result<CompletedTask, Error> {
        // Each poll's `call` span sits in this one, so a service waiting on many tasks at
        // once sees which task each event is about.
        let span = tracing::info_span!("wait", %task_id);
        self.poll_until_finished(task_id, options, observe)
            .instrument(span)
            .await
    }

    async fn poll_until_finished(
        &self,
        task_id: Uuid,
        options: &WaitOptions,
        mut observe: impl FnMut(WaitEvent<'_>),
    ) -> Result<CompletedTask, Error> {
        let started = Instant::now();
        let deadline = deadline_after(started, options.timeout);
        let mut interval = options.initial_interval.max(MIN_POLL_INTERVAL);
        let mut last_status: Option<TaskStatus> = None;
        let mut last_failure: Option<Error> = None;
        let timed_out = |last_status, last_failure: Option<Error>| Error::Timeout {
            task_id,
            last_status,
            last_failure: last_failure.map(Box::new),
            waited: started.elapsed(),
        };
        for poll in 1u64.. {
            tracing::debug!(%task_id, poll, "polling");
            let mut pause = interval;
            match tokio::time::timeout_at(deadline, self.get(task_id)).await {
                Err(_) => {
                    tracing::info!(%task_id, poll, "the wait's deadline passed during a poll");
                    return Err(timed_out(last_status, last_failure));
                }
                Ok(Err(error)) if rides_out(&error, last_status.is_some()) => {
                    // A service that asked for a longer pause gets it, up to the longest
                    // `Retry-After` the client waits out: one answer saying "retry in a year"
                    // would otherwise stop the polls for the rest of the wait.
                    if let Some(asked) = error.details().and_then(|d| d.retry_after) {
                        pause = pause.max(asked.min(self.limits.retry.max_retry_after));
                    }
                    last_failure = Some(error);
                }
                Ok(Err(error)) => return Err(error),
                Ok(Ok(task)) => {
                    last_failure = None;
                    observe(WaitEvent::Polled(&task));
                    let status = &task.task_info.status;
                    match status.phase() {
                        Phase::Succeeded => return completed(task),
                        Phase::Failed => {
                            return Err(Error::TaskFailed(failure(task_id, &task.task_info)));
                        }
                        Phase::InProgress => {}
                    }
                    last_status = Some(status.clone());
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(timed_out(last_status, last_failure));
            }
            let pause = pause.min(deadline - now);
            match (&last_failure, &last_status) {
                (Some(error), _) => {
                    tracing::warn!(%task_id, poll, %error, next_poll_in = ?pause, "a poll failed; polling again until the wait's deadline");
                    observe(WaitEvent::PollFailed {
                        error,
                        next_poll_in: pause,
                    });
                }
                (None, Some(status)) => {
                    tracing::info!(%task_id, poll, %status, next_poll_in = ?pause, "task not finished yet");
                }
                (None, None) => {}
            }
            tokio::time::sleep(pause).await;
            interval = next_interval(interval, options);
        }
        unreachable!("polls are counted by an unbounded range")
    }
}

/// Whether a wait polls again after this failed poll: a transient failure, except a
/// connection never made before any poll was answered (a wrong address, most likely, which
/// waiting would only hide for the whole wait).
fn rides_out(error: &Error, answered_before: bool) -> bool {
    let never_connected = matches!(
        error,
        Error::Transport {
            maybe_sent: false,
            ..
        }
    );
    error.is_transient() && (answered_before || !never_connected)
}

/// The pause after `interval`: grown by the multiplier, between [`MIN_POLL_INTERVAL`] and
/// `max_interval`, whatever the options hold.
fn next_interval(interval: Duration, options: &WaitOptions) -> Duration {
    let ceiling = options.max_interval.max(MIN_POLL_INTERVAL);
    // `f64::max` ignores NaN, so NaN keeps the pause as it is, like a multiplier below 1.
    let multiplier = options.multiplier.max(1.0);
    // `Duration::mul_f64` panics on a product too large for a `Duration`; past the ceiling
    // anyway, so that is where it goes.
    Duration::try_from_secs_f64(interval.as_secs_f64() * multiplier)
        .unwrap_or(ceiling)
        .clamp(MIN_POLL_INTERVAL, ceiling)
}

/// `start + timeout`, or a moment decades away for a timeout too large to add (`Duration::MAX`
/// meaning "no limit").
pub(crate) fn deadline_after(start: Instant, timeout: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    start.checked_add(timeout).unwrap_or_else(|| start + FAR)
}

fn completed(task: TaskResponse) -> Result<CompletedTask, Error> {
    let raw = task.videos.clone().unwrap_or_default();
    let videos = raw
        .iter()
        .map(|text| url::Url::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::UnexpectedResponse {
            status: None,
            reason: format!("a result video URL does not parse: {e}"),
            body: raw.join(" "),
        })?;
    if videos.is_empty() {
        return Err(Error::UnexpectedResponse {
            status: None,
            reason: format!(
                "task {} is {} but lists no videos",
                task.task_info.id, task.task_info.status
            ),
            body: String::new(),
        });
    }
    Ok(CompletedTask {
        task_info: task.task_info,
        videos,
    })
}

/// The task's error, its texts cut at 300 characters as an error answer's are: a task that
/// failed with megabytes of detail would otherwise make a message of megabytes.
fn failure(task_id: Uuid, info: &TaskInfo) -> TaskFailure {
    let error = info.error.as_ref();
    let short = |text: &String| crate::classify::snippet(text.as_bytes());
    TaskFailure {
        task_id,
        code: error.and_then(crate::types::TaskError::task_code),
        title: error.and_then(|e| e.title.as_ref().map(short)),
        detail: error.and_then(|e| e.detail.as_ref().map(short)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(multiplier: f64) -> WaitOptions {
        WaitOptions {
            max_interval: Duration::from_secs(15),
            multiplier,
            ..WaitOptions::default()
        }
    }

    #[test]
    fn a_multiplier_too_large_for_a_duration_jumps_to_the_longest_pause() {
        for multiplier in [f64::INFINITY, 1e300, f64::MAX] {
            // Act
            let next = next_interval(Duration::from_secs(2), &options(multiplier));

            // Assert
            assert_eq!(next, Duration::from_secs(15), "{multiplier}");
        }
    }

    #[test]
    fn a_multiplier_below_one_negative_or_nan_keeps_the_pause_as_it_is() {
        for multiplier in [0.5, 0.0, -2.0, f64::NEG_INFINITY, f64::NAN] {
            // Act
            let next = next_interval(Duration::from_secs(2), &options(multiplier));

            // Assert
            assert_eq!(next, Duration::from_secs(2), "{multiplier}");
        }
    }

    #[test]
    fn pauses_grow_by_the_multiplier_up_to_the_longest_pause() {
        // Act
        let grown = next_interval(Duration::from_secs(2), &options(1.5));
        let capped = next_interval(Duration::from_secs(12), &options(1.5));

        // Assert
        assert_eq!(grown, Duration::from_secs(3));
        assert_eq!(capped, Duration::from_secs(15));
    }

    #[test]
    fn no_pause_is_shorter_than_the_floor_even_with_a_zero_longest_pause() {
        // Arrange
        let zero = WaitOptions {
            max_interval: Duration::ZERO,
            ..options(2.0)
        };

        // Act
        let next = next_interval(Duration::ZERO, &zero);

        // Assert
        assert_eq!(next, MIN_POLL_INTERVAL);
    }
}
