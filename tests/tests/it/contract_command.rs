//! The `contract` checker, run as users run it: against the mock, against a server that does
//! not conform, and against servers that stall or never stop answering.

use std::process::Output;

use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{ApiKey, Client, types::CreateGenerationRequest};
use mulerouter_kling_mock::MockMuleRouter;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk-mr-do-not-print-this-0123456789abcdef";

async fn contract(args: &[&str], key: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_contract"));
    command.args(args).env_remove("MULEROUTER_API_KEY");
    if let Some(key) = key {
        command.env("MULEROUTER_API_KEY", key);
    }
    command.output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_passes_every_check_including_creates() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let output = contract(&["--base-url", &mock.uri(), "--allow-create"], Some(SECRET)).await;

    // Assert
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("11 passed, 0 failed, 1 skipped"), "{text}");
    assert!(!text.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_allow_create_nothing_is_created() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let output = contract(&["--base-url", &mock.uri()], Some(SECRET)).await;

    // Assert
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("5 passed, 0 failed, 7 skipped"), "{text}");
    assert_eq!(mock.stats().tasks, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_task_is_read_and_checked() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = Client::builder()
        .api_key(ApiKey::new(SECRET).unwrap())
        .base_url(mock.uri())
        .build()
        .unwrap();
    let task = client
        .create(
            CreateGenerationRequest::builder()
                .prompt("A paper boat")
                .video("https://example.com/in.mp4"),
        )
        .await
        .unwrap();

    // Act
    let output = contract(
        &[
            "--base-url",
            &mock.uri(),
            "--task-id",
            &task.task_info.id.to_string(),
        ],
        Some(SECRET),
    )
    .await;

    // Assert
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("reads the given task") && l.contains("pass")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_the_wrong_shape_fails_the_checks() {
    // Arrange: 200 with a body the document does not allow, whatever is asked.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_info": {"id": 5}})))
        .mount(&server)
        .await;

    // Act
    let output = contract(
        &[
            "--base-url",
            &server.uri(),
            "--allow-create",
            "--task-id",
            "8e1e315e-b50d-4334-a231-be7d19a372f4",
        ],
        Some(SECRET),
    )
    .await;

    // Assert
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("0 passed, 12 failed, 0 skipped"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("reads the given task") && l.contains("does not conform")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_wrong_error_shape_is_caught() {
    // Arrange: the right statuses, but a 404 whose `violations` is not a list.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"violations": "none"})))
        .mount(&server)
        .await;

    // Act
    let output = contract(&["--base-url", &server.uri()], Some(SECRET)).await;

    // Assert
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("answers 404 for an unknown task")
                && l.contains("FAIL")
                && l.contains("/violations")),
        "{text}"
    );
}

#[tokio::test]
async fn a_base_url_without_a_key_is_refused() {
    let output = contract(&["--base-url", "http://127.0.0.1:9"], None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("MULEROUTER_API_KEY"));
}

#[tokio::test]
async fn without_a_base_url_the_built_in_mock_is_checked() {
    let output = contract(&["--allow-create"], None).await;
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("checking the built-in mock"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_stops_answering_fails_each_check_once_past_4_mib() {
    // Arrange
    let server = RawServer::answering(Answer::Endless {
        status: 200,
        content_length: None,
    })
    .await;

    // Act
    let output = contract(&["--base-url", server.uri()], Some(SECRET)).await;

    // Assert: every check that ran failed on the size, not on the (30 s) time limit.
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("0 passed, 5 failed"), "{text}");
    assert_eq!(text.matches("over 4 MiB").count(), 5, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_each_check_at_the_time_limit() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;

    // Act
    let args = ["--base-url", server.uri(), "--timeout", "300ms"];
    let output = contract(&args, Some(SECRET)).await;

    // Assert
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("0 passed, 5 failed"), "{text}");
    assert_eq!(
        text.matches("no answer within the time limit (--timeout)")
            .count(),
        5,
        "{text}"
    );
}
