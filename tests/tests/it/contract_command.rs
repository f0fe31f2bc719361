//! The `contract` checker, run as users run it: against the mock, against a server that does
//! not conform, and against servers that stall or never stop answering.

use std::process::Output;

use mulerouter_kling::{ApiKey, Client, types::CreateGenerationRequest};
use mulerouter_kling_mock::MockMuleRouter;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
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

/// How a misbehaving server answers each request.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Reads the request, then says nothing and keeps the connection open.
    Silence,
    /// 200 with a chunked JSON body that never ends.
    Endless,
}

/// A server on 127.0.0.1 that misbehaves as told; its base URL.
async fn misbehaving(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, how));
        }
    });
    url
}

async fn answer(mut socket: TcpStream, how: Misbehaviour) {
    // The request's head (the checker's bodies are small enough to come with it).
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(read @ 1..) => head.extend_from_slice(&buffer[..read]),
            _ => return,
        }
    }
    match how {
        Misbehaviour::Silence => {
            // Held until the client gives up.
            let _ = socket.read(&mut buffer).await;
        }
        Misbehaviour::Endless => {
            let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
            if socket.write_all(start.as_bytes()).await.is_err() {
                return;
            }
            while socket.write_all(chunk.as_bytes()).await.is_ok() {}
        }
    }
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
    let url = misbehaving(Misbehaviour::Endless).await;

    // Act
    let output = contract(&["--base-url", &url], Some(SECRET)).await;

    // Assert: every check that ran failed on the size, not on the (30 s) time limit.
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("0 passed, 5 failed"), "{text}");
    assert_eq!(text.matches("over 4 MiB").count(), 5, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_each_check_at_the_time_limit() {
    // Arrange
    let url = misbehaving(Misbehaviour::Silence).await;

    // Act
    let output = contract(&["--base-url", &url, "--timeout", "300ms"], Some(SECRET)).await;

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
