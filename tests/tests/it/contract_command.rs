//! The `contract` checker, run as users run it: against the mock, against a server that does
//! not conform, and against servers that stall or never stop answering.

use std::process::Output;

use misbehaving_server::{Answer, H2cOnlyServer, RawServer};
use mulerouter_kling::{ApiKey, Client, types::CreateGenerationRequest};
use mulerouter_kling_mock::MockMuleRouter;
use serde_json::json;
use wiremock::matchers::{any, path_regex};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

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
    assert!(text.contains("11 passed, 0 failed, 2 skipped"), "{text}");
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
    assert!(text.contains("5 passed, 0 failed, 8 skipped"), "{text}");
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
    assert!(text.contains("0 passed, 11 failed, 2 skipped"), "{text}");
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

/// The checker's line for `check` against a server answering everything with `answer`.
async fn line_against(answer: ResponseTemplate, check: &str) -> String {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(answer).mount(&server).await;
    let output = contract(
        &["--base-url", &server.uri(), "--allow-create"],
        Some(SECRET),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    text.lines()
        .find(|line| line.starts_with(check))
        .unwrap_or_else(|| panic!("no line for {check}: {text}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_sent_as_another_media_type_fails_naming_the_declared_one() {
    // Arrange: the right status and body, but as text/plain, which a generated client reads
    // as text.
    let answer =
        ResponseTemplate::new(404).set_body_raw(r#"{"detail":"Task not found"}"#, "text/plain");

    // Act
    let line = line_against(answer, "answers 404 for an unknown task").await;

    // Assert
    assert!(line.contains("FAIL"), "{line}");
    assert!(
        line.contains("sent as text/plain; the document declares application/json"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_that_echoes_the_field_but_blames_another_does_not_name_it() {
    // Arrange: the request echoed back, the message about another field.
    let answer = ResponseTemplate::new(400)
        .set_body_json(json!({"detail": "prompt: missing", "input": {"duration": 99}}));

    // Act
    let line = line_against(answer, "rejects a broken rule, naming the field").await;

    // Assert
    assert!(line.contains("FAIL"), "{line}");
    assert!(
        line.contains("no message or violation of the error names `duration`"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_body_that_says_nothing_fails() {
    // Act
    let line = line_against(
        ResponseTemplate::new(404).set_body_json(json!({})),
        "answers 404 for an unknown task",
    )
    .await;

    // Assert
    assert!(
        line.contains("FAIL") && line.contains("the error says nothing"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_said_to_be_the_cause() {
    // Act: a server that refuses every token.
    let line = line_against(
        ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid API key"})),
        "answers 404 for an unknown task",
    )
    .await;

    // Assert
    assert!(line.contains("the server refused the token"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_lists_each_check_with_its_result_and_the_counts() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let output = contract(
        &["--base-url", &mock.uri(), "--allow-create", "--json"],
        Some(SECRET),
    )
    .await;

    // Assert
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (
            report["passed"].as_u64(),
            report["failed"].as_u64(),
            report["skipped"].as_u64()
        ),
        (Some(11), Some(0), Some(2))
    );
    assert_eq!(report["version"], 1);
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 13);
    assert!(
        checks
            .iter()
            .all(|c| c["check"].is_string() && c["detail"].is_string())
    );
    assert_eq!(checks[0]["result"], "pass");
    let first = checks[0]["request"].as_str().unwrap_or_default();
    let sent_to = format!("GET {}{}/", mock.uri(), contract_tests::conformance::CREATE);
    assert!(
        first.starts_with(&sent_to) && first.ends_with(" (no Authorization)"),
        "{first}"
    );
    assert!(
        checks
            .iter()
            .filter(|c| c["result"] == "skip")
            .all(|c| c["request"].is_null())
    );
}

#[tokio::test]
async fn a_base_url_or_time_limit_given_wrongly_exits_2_saying_what_to_give() {
    for (args, expected) in [
        (
            ["--base-url", "notaurl"],
            "give one like https://api.mulerouter.ai",
        ),
        (["--timeout", "0s"], "give one like 10s"),
        // Read as milliseconds, 30 would fail every check; read as seconds (as `kling
        // --timeout` reads it) it would be what was meant. It is refused instead.
        (["--timeout", "30"], "\"30\" has no unit: write 30s, 30ms"),
        (["--follow", "600"], "\"600\" has no unit: write 600s"),
        // The API's paths would follow the query.
        (
            ["--base-url", "http://127.0.0.1:9/proxy?tenant=a"],
            "has a query or fragment",
        ),
    ] {
        let output = contract(&args, Some(SECRET)).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(expected),
            "{args:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_task_is_followed_to_its_end_and_one_that_never_ends_fails_at_the_limit() {
    // Arrange: tasks that finish after two reads, and tasks that never move.
    let finishing = MockMuleRouter::start().await;
    let stuck = MockMuleRouter::builder()
        .timing(mulerouter_kling_mock::Timing::Manual)
        .start()
        .await;
    let line = |output: &Output| {
        stdout(output)
            .lines()
            .find(|l| l.starts_with("follows the created task"))
            .unwrap_or_default()
            .to_string()
    };
    let (finishing_uri, stuck_uri) = (finishing.uri(), stuck.uri());
    let args =
        |uri: &str| ["--base-url", uri, "--allow-create", "--follow", "300ms"].map(String::from);

    // Act
    let finished = contract(
        &args(&finishing_uri).each_ref().map(String::as_str),
        Some(SECRET),
    )
    .await;
    let never = contract(
        &args(&stuck_uri).each_ref().map(String::as_str),
        Some(SECRET),
    )
    .await;

    // Assert
    assert!(finished.status.success(), "{}", stdout(&finished));
    assert!(
        line(&finished).contains("completed with 1 video(s)"),
        "{}",
        line(&finished)
    );
    assert_eq!(never.status.code(), Some(1));
    assert!(
        line(&never).contains("pending after 300ms (--follow, "),
        "{}",
        line(&never)
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
        text.matches("no answer within 300ms (--timeout)").count(),
        5,
        "{text}"
    );
}

/// The checker's output (stdout and stderr) against `uri`, with every check allowed.
async fn run_against(uri: &str, extra: &[&str]) -> (Output, String) {
    let mut args = vec!["--base-url", uri, "--allow-create"];
    args.extend_from_slice(extra);
    let output = contract(&args, Some(SECRET)).await;
    let text = format!(
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

fn line_of<'a>(text: &'a str, check: &str) -> &'a str {
    text.lines()
        .find(|line| line.starts_with(check))
        .unwrap_or_else(|| panic!("no line for {check}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_fails_naming_where_it_points_instead_of_blaming_the_key() {
    // Arrange: a gateway sending every request on to another host, which (the Authorization
    // header dropped on the way) refuses it.
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"detail": "Invalid Authorization header format"})),
        )
        .mount(&elsewhere)
        .await;
    let location = elsewhere.uri().replace("127.0.0.1", "localhost") + "/moved";
    let server = RawServer::answering(Answer::Full {
        status: 307,
        headers: vec![("location", location.clone())],
        body: Vec::new(),
    })
    .await;

    // Act
    let (output, text) = run_against(server.uri(), &[]).await;

    // Assert
    assert_eq!(output.status.code(), Some(1), "{text}");
    let line = line_of(&text, "answers 404 for an unknown task");
    assert!(
        line.contains(&format!("expected 404, got 307 redirecting to {location}")),
        "{line}"
    );
    assert!(!text.contains("refused the token"), "{text}");
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_shows_the_request_it_sent_under_its_line() {
    // Arrange
    let server = RawServer::answering(Answer::json(500, &json!({"error": "KeyError"}))).await;

    // Act
    let (_, text) = run_against(server.uri(), &[]).await;

    // Assert: the line after the failure names the method, the URL and the (hidden) key.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("answers 404 for an unknown task"))
        .unwrap();
    assert!(lines[at].contains("expected 404, got 500"), "{text}");
    let request = lines[at + 1].trim_start();
    let expected_start = format!(
        "request: GET {}{}/",
        server.uri(),
        contract_tests::conformance::CREATE
    );
    assert!(request.starts_with(&expected_start), "{request}");
    assert!(
        request.ends_with("(Authorization: Bearer <MULEROUTER_API_KEY>)"),
        "{request}"
    );
}

/// Answers 400 with the `Authorization` header it got, as a careless gateway's message does.
struct EchoesAuthorization;

impl Respond for EchoesAuthorization {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let sent = request
            .headers
            .get("authorization")
            .map(|value| value.to_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        ResponseTemplate::new(400).set_body_json(json!({"detail": format!("bad header {sent}")}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_never_printed_even_when_the_server_sends_it_back() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(EchoesAuthorization)
        .mount(&server)
        .await;

    // Act
    let (table, table_text) = run_against(&server.uri(), &[]).await;
    let (json, json_text) = run_against(&server.uri(), &["--json"]).await;

    // Assert
    assert_eq!(
        (table.status.code(), json.status.code()),
        (Some(1), Some(1))
    );
    for text in [&table_text, &json_text] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(
            text.contains("bad header Bearer <MULEROUTER_API_KEY>"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_answer_fails_naming_its_content_encoding() {
    // Arrange: gzip sent to a client that did not ask for it (the bytes need not be gzip:
    // the header is what is wrong).
    let server = RawServer::answering(Answer::Full {
        status: 404,
        headers: vec![
            ("content-type", "application/json".into()),
            ("content-encoding", "gzip".into()),
        ],
        body: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0],
    })
    .await;

    // Act
    let (_, text) = run_against(server.uri(), &[]).await;

    // Assert
    let line = line_of(&text, "answers 404 for an unknown task");
    assert!(
        line.contains(
            "404 sent with Content-Encoding: gzip, though the request had no Accept-Encoding"
        ),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_without_a_body_fails_saying_what_body_the_document_wants() {
    // Arrange
    let server = RawServer::answering(Answer::Full {
        status: 401,
        headers: Vec::new(),
        body: Vec::new(),
    })
    .await;

    // Act
    let (_, text) = run_against(server.uri(), &[]).await;

    // Assert
    let line = line_of(&text, "rejects a request without a token");
    assert!(
        line.contains("401 with an empty body; the document declares application/json for it (an ApiError saying why"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_create_is_reported_with_its_retry_after_and_not_retried() {
    // Arrange
    let server = RawServer::answering(Answer::Full {
        status: 429,
        headers: vec![
            ("content-type", "application/json".into()),
            ("retry-after", "30".into()),
        ],
        body: br#"{"detail":"Rate limit exceeded"}"#.to_vec(),
    })
    .await;

    // Act
    let (output, text) = run_against(server.uri(), &[]).await;

    // Assert: one request per check that can run (5 reads, 5 creates), none repeated, and
    // the checks needing the created task skipped, not failed again.
    assert_eq!(output.status.code(), Some(1), "{text}");
    let line = line_of(&text, "creates a task from a valid request");
    assert!(
        line.contains("got 429 (rate limited, with Retry-After: 30; a create is not retried"),
        "{line}"
    );
    assert_eq!(server.requests(), 10, "{text}");
    assert!(
        line_of(&text, "reads the created task back").contains("skip"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_speaking_only_h2c_is_said_to_need_http_1_1() {
    // Arrange
    let server = H2cOnlyServer::answering(404, json!({"detail": "Task not found"})).await;

    // Act
    let (_, text) = run_against(server.uri(), &[]).await;

    // Assert
    let line = line_of(&text, "answers 404 for an unknown task");
    assert!(
        line.contains("the server speaks only HTTP/2 begun without negotiation"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_url_with_a_path_and_a_trailing_slash_is_followed_by_the_api_paths() {
    // Arrange: a gateway serving the API under /proxy only.
    let server = MockServer::start().await;
    Mock::given(path_regex("^/proxy/vendors/"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Task not found"})))
        .mount(&server)
        .await;
    let base = format!("{}/proxy/", server.uri());

    // Act
    let output = contract(&["--base-url", &base], Some(SECRET)).await;

    // Assert
    let text = stdout(&output);
    assert!(
        line_of(&text, "answers 404 for an unknown task").contains("pass"),
        "{text}"
    );
}

/// A task answer of the server under test.
fn task(id: &str, status: &str, videos: bool) -> Answer {
    let mut body = json!({"task_info": {
        "id": id, "status": status,
        "created_at": "2026-03-03T00:00:00Z", "updated_at": "2026-03-03T00:00:00Z"
    }});
    if videos {
        body["videos"] = json!(["https://cdn.example.com/result_000.mp4"]);
    }
    Answer::json(200, &body)
}

/// The answers to the five read-only checks, as a conforming server gives them.
fn read_only_answers() -> Vec<Answer> {
    let refused = Answer::json(401, &json!({"detail": "Invalid API key"}));
    vec![
        refused.clone(),
        refused.clone(),
        refused,
        Answer::json(404, &json!({"detail": "Task not found"})),
        Answer::json(400, &json!({"detail": "task_id is not a uuid"})),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_waits_out_a_documented_503_as_clients_do() {
    // Arrange: create, read back, then one 503 (Retry-After: 0) before the task completes.
    let id = "8e1e315e-b50d-4334-a231-be7d19a372f4";
    let mut answers = read_only_answers();
    answers.extend([
        task(id, "pending", false),
        task(id, "processing", false),
        Answer::Full {
            status: 503,
            headers: vec![
                ("content-type", "application/json".into()),
                ("retry-after", "0".into()),
            ],
            body: br#"{"error":"Upstream busy"}"#.to_vec(),
        },
        task(id, "completed", true),
    ]);
    let server = RawServer::start(answers).await;

    // Act
    let (_, text) = run_against(server.uri(), &["--follow", "30s"]).await;

    // Assert
    let line = line_of(&text, "follows the created task until it finishes");
    assert!(
        line.contains("pass") && line.contains("completed with 1 video(s)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_stuck_in_an_unlisted_status_is_said_to_read_as_unfinished() {
    // Arrange: a server that spells "finished" its own way.
    let id = "8e1e315e-b50d-4334-a231-be7d19a372f4";
    let mut answers = read_only_answers();
    answers.push(task(id, "done", true));
    let server = RawServer::start(answers).await;

    // Act
    let (_, text) = run_against(server.uri(), &["--follow", "300ms"]).await;

    // Assert
    let line = line_of(&text, "follows the created task until it finishes");
    assert!(
        line.contains("FAIL")
            && line
                .contains("`done` is not a status the document lists, so it reads as not finished"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_running_fails_one_check_and_the_rest_are_not_tried() {
    // Arrange: a port that was free a moment ago, nothing listening on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    // Act
    let (output, text) = run_against(&format!("http://127.0.0.1:{port}"), &[]).await;

    // Assert
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("FAIL").count(), 1, "{text}");
    assert!(
        text.contains("is a server listening at that address?"),
        "{text}"
    );
    assert!(text.contains("0 passed, 1 failed, 12 skipped"), "{text}");
    assert!(
        text.contains("nothing accepted a connection at the base URL"),
        "{text}"
    );
}
