//! What a service's `tracing` subscriber sees: one span per call and per wait, naming the
//! operation, the task and the trace of the service's answer, and never the key.

use std::cell::RefCell;
use std::sync::OnceLock;

use crate::common::*;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

thread_local! {
    /// What was logged on this thread: each test runs on a current-thread runtime, so every
    /// poll of its client, and so every event of it, happens on the test's thread.
    static LOGGED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Starts capturing what the client logs on this thread, as a service's subscriber would
/// see it. The subscriber is the global one, installed once: a subscriber set per thread
/// races with the other tests of the binary, whose first use of a span or event can record
/// it as unwanted for every thread.
fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| ThreadBuffer)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    LOGGED.with_borrow_mut(Vec::clear);
}

fn captured_lines() -> Vec<String> {
    LOGGED.with_borrow(|bytes| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

struct ThreadBuffer;

impl std::io::Write for ThreadBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGGED.with_borrow_mut(|logged| logged.extend_from_slice(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn line_with<'a>(lines: &'a [String], text: &str) -> &'a str {
    lines
        .iter()
        .find(|line| line.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in {lines:#?}"))
}

#[tokio::test]
async fn each_poll_of_a_wait_logs_in_spans_naming_the_task_and_the_answers_trace() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("traceparent", TRACEPARENT)
                .set_body_json(completed_body()),
        )
        .mount(&server)
        .await;
    capture();

    // Act
    client_for(&server)
        .wait_for_completion(task_id())
        .await
        .unwrap();

    // Assert
    let lines = captured_lines();
    let answer = line_with(&lines, "answer received");
    assert!(
        answer.contains(&format!(
            "wait{{task_id={TASK_ID}}}:call{{operation=get task_id={TASK_ID} traceparent=\"{TRACEPARENT}\"}}"
        )),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("traceparent=\"{TRACEPARENT}\"")),
        "{answer}"
    );
    assert!(lines.iter().all(|line| !line.contains(KEY)), "{lines:#?}");
}

#[tokio::test]
async fn a_retry_is_logged_in_the_span_of_its_call() {
    // Arrange: a 429, then the task.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"detail": "slow down"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("pending")))
        .mount(&server)
        .await;
    capture();

    // Act
    client_for(&server).create(minimal_request()).await.unwrap();

    // Assert
    let lines = captured_lines();
    let retry = line_with(&lines, "retrying");
    assert!(retry.contains("call{operation=create}"), "{retry}");
    assert!(lines.iter().all(|line| !line.contains(KEY)), "{lines:#?}");
}
