//! Every command against a server that accepts and never answers ends at its `--timeout`,
//! with exit code 8 and a message saying what timed out and after how long.

use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::*;
use misbehaving_server::{Answer, RawServer};

/// A guard far above `--timeout 1`; the figure itself is measured by hand, not here.
const GUARD: Duration = Duration::from_secs(6);

fn run_guarded(command: &mut assert_cmd::Command) -> (Output, Duration) {
    let started = Instant::now();
    let output = command.timeout(Duration::from_secs(60)).output().unwrap();
    (output, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_against_a_silent_server_times_out_with_exit_code_8() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let (output, took) =
        run_guarded(against_uri(server.uri()).args(["status", TASK_ID, "--timeout", "1"]));

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(
        &output,
        "call timed out: reading the task got no answer within 1s",
    );
    assert!(took < GUARD, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_with_a_unit_bounds_the_command() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let (output, took) =
        run_guarded(against_uri(server.uri()).args(["status", TASK_ID, "--timeout", "700ms"]));

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(
        &output,
        "call timed out: reading the task got no answer within",
    );
    assert!(took < GUARD, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_against_a_silent_server_times_out_and_warns_the_task_may_exist() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let (output, took) = run_guarded(against_uri(server.uri()).args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--timeout",
        "1",
    ]));

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(
        &output,
        "call timed out: creating the task got no answer within 1s",
    );
    assert_stderr_contains(&output, "may have been created");
    assert!(took < GUARD, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_against_a_silent_server_ends_at_its_timeout_although_a_poll_is_in_flight() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let (output, took) =
        run_guarded(against_uri(server.uri()).args(["wait", TASK_ID, "--timeout", "2"]));

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "gave up waiting for task");
    assert!(took < GUARD, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_in_json_mode_is_a_json_error_naming_the_operation() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let (output, _) = run_guarded(against_uri(server.uri()).args([
        "--json",
        "status",
        TASK_ID,
        "--timeout",
        "1",
    ]));

    // Assert
    assert_eq!(output.status.code(), Some(8));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["error"]["kind"], "timeout");
    assert_eq!(body["error"]["operation"], "get");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_through_an_outage_says_once_why_polls_fail_and_ends_at_its_timeout() {
    // Arrange: every read answered 503 (asking for no pause, so each poll's retries are quick).
    let server = server_answering(
        wiremock::ResponseTemplate::new(503)
            .insert_header("retry-after", "0")
            .set_body_json(serde_json::json!({"detail": "down for maintenance"})),
    )
    .await;

    // Act: two polls fail (at 0 s and 2 s) before the timeout.
    let (output, took) = run_guarded(against(&server).args(["wait", TASK_ID, "--timeout", "3"]));

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let said =
        "could not be read (the service answered 503 Service Unavailable: down for maintenance";
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
    assert!(
        server.received_requests().await.unwrap().len() >= 8,
        "two polls of 4 attempts"
    );
    assert!(
        stderr.contains("every poll failed, the last with"),
        "{stderr}"
    );
    assert!(took < GUARD, "took {took:?}");
}
