//! `-v` and `RUST_LOG` show each request, retry and poll on stderr; the key never shows.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

/// A 503 asking for no wait, then the task.
async fn server_busy_once() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"detail": "busy"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task("processing")))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_each_request_and_each_retry_with_its_reason_and_wait() {
    // Arrange
    let server = server_busy_once().await;

    // Act
    let output = run(against(&server).args(["-v", "status", TASK_ID]));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.matches("sending request").count(), 2, "{stderr}");
    assert!(stderr.contains("retrying"), "{stderr}");
    assert!(
        stderr.contains("wait_from=\"Retry-After\"") || stderr.contains("wait_from=Retry-After"),
        "{stderr}"
    );
    assert!(stderr.contains("503"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked:\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_chooses_what_is_logged_and_never_shows_the_key() {
    // Arrange
    let server = server_busy_once().await;

    // Act: everything, down to the HTTP stack.
    let output = run(against(&server)
        .env("RUST_LOG", "trace")
        .args(["status", TASK_ID]));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("retrying"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked:\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_each_poll_of_a_wait() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task("processing")))
        .mount(&server)
        .await;

    // Act
    let output = run(against(&server).args(["-v", "wait", TASK_ID, "--timeout", "1"]));

    // Assert
    assert_eq!(output.status.code(), Some(8));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("task not finished yet"), "{stderr}");
    assert!(stderr.contains("poll=1"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_verbose_nothing_is_logged() {
    // Arrange
    let server = server_busy_once().await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert!(output.status.success());
    assert_eq!(text(&output.stderr), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_quoting_the_service_show_control_characters_escaped() {
    // Arrange: a retried 503 whose detail would clear the screen and move the cursor back.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"detail": "\u{1b}[2J\u{0}\rfake line\u{9b}"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task("processing")))
        .mount(&server)
        .await;

    // Act
    let output = run(against(&server).args(["-vv", "status", TASK_ID]));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("retrying"), "{stderr}");
    let controls: Vec<char> = stderr
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(controls.is_empty(), "{controls:?} in:\n{stderr}");
}
