//! A server answering without end costs `kling` a few MiB, not the whole answer.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_against_an_endless_error_answer_stops_reading_at_the_limit() {
    // Arrange: a 500 with a body that never ends (and no length announced).
    let server = RawServer::answering(Answer::Endless {
        status: 500,
        content_length: None,
    })
    .await;

    // Act
    let output = run(against_uri(server.uri())
        .args(["status", TASK_ID])
        .timeout(Duration::from_secs(60)));

    // Assert: exit 1 (an oversized answer), saying the status and the limit.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "answered 500 Internal Server Error");
    assert_stderr_contains(&output, "larger than the limit of 4.0 MiB");
}
