//! The real `kling` binary, run as a user would: offline against the built-in mock, and
//! against a scripted server for each kind of error.

use assert_cmd::Command;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[test]
fn generate_without_a_key_runs_offline_and_downloads_a_real_mp4() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = run(offline()
        .args([
            "generate",
            "--prompt",
            "A paper boat on a rainy street",
            "--video",
            "https://example.com/source.mp4",
            "--wait",
            "--download",
        ])
        .arg(dir.path()));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "built-in mock server");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let video = std::fs::read(&files[0]).unwrap();
    assert_eq!(&video[4..8], b"ftyp", "not an MP4: {files:?}");
    assert!(text(&output.stdout).contains(&format!("Saved {}", files[0].display())));
}

#[test]
fn the_generate_flags_offer_the_values_limits_and_defaults_of_the_document() {
    // Arrange: the client's rule table, generated from the document.
    use mulerouter_kling::rules::{CREATE_GENERATION, field};
    let rule = |pointer| field(CREATE_GENERATION, pointer).unwrap();
    let (prompt, duration) = (rule("/prompt"), rule("/duration"));

    // Act
    let help = run(offline().args(["generate", "--help"]));
    let refused = run(offline().args([
        "generate",
        "--prompt",
        "p",
        "--video",
        "https://e.com/v.mp4",
        "--mode",
        "unlisted",
    ]));

    // Assert
    // Help is wrapped to the terminal: compare words, not lines.
    let help = text(&help.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let values = |pointer| rule(pointer).enumeration.join(", ");
    assert!(
        help.contains(&format!("[possible values: {}]", values("/mode"))),
        "{help}"
    );
    assert!(help.contains(&values("/aspect_ratio")), "{help}");
    let limits = format!(
        "({}–{} characters)",
        prompt.min_length.unwrap(),
        prompt.max_length.unwrap()
    );
    assert!(help.contains(&limits), "{help}");
    let range = format!(
        "{:.0} to {:.0} [default: {}]",
        duration.minimum.unwrap(),
        duration.maximum.unwrap(),
        duration.default.unwrap()
    );
    assert!(help.contains(&range), "{help}");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains(&values("/mode")),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn invalid_input_is_refused_before_sending_with_the_field_and_exit_code_2() {
    let output = run(offline().args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--duration",
        "99",
    ]));
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(text(&output.stderr).lines().last().unwrap(), @"error: invalid request, nothing was sent: duration: 99 is greater than the maximum of 15 (maximum)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_body_limit_is_refused_before_anything_is_sent_saying_to_use_urls() {
    // Arrange: Base64 images, each within its own 10 MB: an elements file just under the
    // limit, and two more elements on the command line (an argument holds at most 128 KiB)
    // that take the request over it.
    let server = server_answering(ResponseTemplate::new(500)).await;
    let limit = mulerouter_kling::rules::CREATE_GENERATION_MAX_BODY_BYTES;
    let image = "A".repeat((limit - 200_000) / 3);
    let elements = json!([{"type": "image", "reference_images": [image, image, image]}]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elements.json");
    std::fs::write(&file, elements.to_string()).unwrap();
    let small = json!({"type": "image", "reference_images": ["A".repeat(120_000)]}).to_string();

    // Act
    let output = run(against(&server)
        .args([
            "generate",
            "--prompt",
            "x",
            "--video",
            "https://e.com/v.mp4",
        ])
        .args(["--element", &small, "--element", &small, "--elements-file"])
        .arg(&file));

    // Assert
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "over the 32 MiB the API accepts");
    assert_stderr_contains(&output, "pass large images as URLs");
    assert_stderr_contains(&output, "(x-max-body-bytes)");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn an_element_of_an_unknown_type_is_refused_naming_its_field() {
    let output = run(offline().args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--element",
        r#"{"type":"sound"}"#,
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert_stderr_contains(&output, "elements.0.type:");
    assert_stderr_contains(&output, "(enum)");
}

#[test]
fn an_element_that_is_not_json_is_refused_naming_the_flag() {
    let output = run(offline().args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--element",
        "{type: video",
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert_stderr_contains(&output, "--element #1: not JSON");
}

#[test]
fn an_empty_prompt_is_refused_naming_the_field_and_the_rule() {
    let output =
        run(offline().args(["generate", "--prompt", "", "--video", "https://e.com/v.mp4"]));
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(text(&output.stderr).lines().last().unwrap(), @"error: invalid request, nothing was sent: prompt: must not be empty (minLength)");
}

#[test]
fn a_missing_flag_is_a_usage_error_with_exit_code_2() {
    let output = run(offline().args(["generate", "--video", "https://e.com/v.mp4"]));
    assert_eq!(output.status.code(), Some(2));
    assert_stderr_contains(&output, "--prompt");
}

#[test]
fn invalid_input_in_json_mode_lists_each_violation() {
    let output = run(offline().args([
        "--json",
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--duration",
        "1",
        "--element",
        r#"{"type":"video","reference_videos":[]}"#,
    ]));
    assert_eq!(output.status.code(), Some(2));
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    insta::assert_json_snapshot!(body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_in_json_mode_prints_the_task() {
    // Arrange
    let mut body = task("completed");
    body["videos"] = json!(["https://cdn.example.com/result_000.mp4"]);
    let server = server_answering(ResponseTemplate::new(200).set_body_json(body)).await;

    // Act
    let output = run(against(&server).args(["--json", "status", TASK_ID]));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    insta::assert_json_snapshot!(serde_json::from_slice::<Value>(&output.stdout).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_in_text_mode_is_readable() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(task("processing"))).await;
    let output = run(against(&server).args(["status", TASK_ID]));
    assert!(output.status.success());
    insta::assert_snapshot!(text(&output.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_cuts_megabytes_of_a_failed_tasks_texts_in_text_and_keeps_them_in_json() {
    // Arrange
    let mut failed = task("failed");
    failed["task_info"]["error"] =
        json!({"error_code": 3005, "title": "t".repeat(5_000), "detail": "d".repeat(200_000)});
    let server = server_answering(ResponseTemplate::new(200).set_body_json(failed)).await;

    // Act
    let shown = run(against(&server).args(["status", TASK_ID]));
    let json = run(against(&server).args(["--json", "status", TASK_ID]));

    // Assert
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    assert!(shown.len() < 2_000, "{} bytes", shown.len());
    assert!(
        shown.contains("… (200000 characters; --json shows them all)"),
        "{shown}"
    );
    let task: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        task["task_info"]["error"]["detail"].as_str().unwrap().len(),
        200_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_error_prints_status_title_detail_and_traceparent_with_exit_code_3() {
    // Arrange
    let server = server_answering(
        ResponseTemplate::new(401)
            .insert_header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .set_body_json(json!({"task_info": {"status": "failed", "error": {"code": 1001, "title": "Unauthorized", "detail": "Invalid API key"}}})),
    )
    .await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(3));
    insta::assert_snapshot!(text(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_error_in_json_mode_is_a_json_error_object() {
    let server = server_answering(
        ResponseTemplate::new(401)
            .set_body_json(json!({"detail": "Invalid Authorization header format"})),
    )
    .await;
    let output = run(against(&server).args(["--json", "status", TASK_ID]));
    assert_eq!(output.status.code(), Some(3));
    insta::assert_json_snapshot!(serde_json::from_slice::<Value>(&output.stdout).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_has_its_own_exit_code() {
    let cases = [
        (
            ResponseTemplate::new(402).set_body_json(json!({"detail": "Insufficient balance"})),
            4,
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(json!({"detail": "limit"})),
            5,
        ),
        (
            ResponseTemplate::new(404).set_body_json(json!({"detail": "Task not found"})),
            6,
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({"message": "bad"})),
            9,
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"unexpected": true})),
            1,
        ),
    ];
    for (response, expected) in cases {
        // Arrange
        let server = server_answering(response).await;

        // Act
        let output = run(against(&server).args(["status", TASK_ID]));

        // Assert
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{}",
            text(&output.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_not_found_names_the_task_id_and_the_base_url_from_the_environment() {
    // Arrange
    let server = server_answering(
        ResponseTemplate::new(404).set_body_json(json!({"detail": "Task not found"})),
    )
    .await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(6));
    assert_stderr_contains(
        &output,
        &format!(
            "check the task id {TASK_ID}, and that the task was created at {} (MULEROUTER_BASE_URL)",
            server.uri()
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_on_create_exits_9_without_retrying() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
        )
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let output = run(against(&server).args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
    ]));

    // Assert
    assert_eq!(output.status.code(), Some(9));
    assert_stderr_contains(&output, "502 Bad Gateway");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_task_exits_7_with_its_error_code() {
    // Arrange
    let mut failed = task("failed");
    failed["task_info"]["error"] = json!({"error_code": 3005, "title": "External service execution failed", "detail": "prompt violation"});
    let server = server_answering(ResponseTemplate::new(200).set_body_json(failed)).await;

    // Act
    let output = run(against(&server).args(["wait", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(7));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("3005") && stderr.contains("prompt violation"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_past_the_timeout_exits_8() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(task("processing"))).await;
    let output = run(against(&server).args(["wait", TASK_ID, "--timeout", "1"]));
    assert_eq!(output.status.code(), Some(8));
    assert_stderr_contains(&output, "still processing");
}

#[test]
fn a_base_url_without_a_key_is_refused_instead_of_going_offline_unseen() {
    // Arrange: a server of the user's, which a command without a key must not replace with
    // the built-in mock.
    let mut command = offline();
    command.env("MULEROUTER_BASE_URL", "http://127.0.0.1:4010");

    // Act
    let output = run(command.args(["status", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("MULEROUTER_BASE_URL is set but MULEROUTER_API_KEY is not: set a key too"),
        "{stderr}"
    );
    assert!(!stderr.contains("built-in mock server at"), "{stderr}");
}

#[test]
fn an_unreachable_server_exits_10() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run(Command::cargo_bin("kling")
        .unwrap()
        .env("MULEROUTER_API_KEY", "sk-mr-test")
        .env("MULEROUTER_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args([
            "generate",
            "--prompt",
            "x",
            "--video",
            "https://e.com/v.mp4",
        ]));
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
}

#[test]
fn a_plain_progress_line_is_printed_when_not_on_a_terminal() {
    let output = run(offline().args([
        "generate",
        "--prompt",
        "x",
        "--video",
        "https://e.com/v.mp4",
        "--wait",
    ]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("] task ") && l.contains(": pending")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.contains(": completed")),
        "{stderr}"
    );
}

#[test]
fn offline_a_task_not_waited_for_is_not_followed_by_commands_that_cannot_find_it() {
    // Act
    let output = run(offline().args([
        "generate",
        "--prompt",
        "A paper boat",
        "--video",
        "https://example.com/source.mp4",
    ]));

    // Assert
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("add --wait"), "{stdout}");
    assert!(!stdout.contains("kling status"), "{stdout}");
}

#[test]
fn offline_a_task_from_an_earlier_command_is_explained_not_blamed_on_the_id() {
    for command in ["status", "wait"] {
        // Act
        let output = run(offline().args([command, TASK_ID, "--timeout", "5"]));

        // Assert
        assert_eq!(output.status.code(), Some(6), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("lives only as long as the command that created it"),
            "{stderr}"
        );
        assert!(stderr.contains("kling generate … --wait"), "{stderr}");
        assert!(stderr.contains("mulerouter-kling-mock"), "{stderr}");
        assert!(!stderr.contains("check the task id"), "{stderr}");
    }
}

#[test]
fn an_empty_key_is_refused_instead_of_going_offline() {
    // Arrange: a CI secret that did not come through.
    let mut command = offline();
    command.env("MULEROUTER_API_KEY", "");

    // Act
    let output = run(command.args([
        "generate",
        "--prompt",
        "p",
        "--video",
        "https://e.com/v.mp4",
    ]));

    // Assert
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "MULEROUTER_API_KEY is set but empty");
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // Arrange: stdout is a pipe whose reader has gone.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);

    // Act
    let output = offline_process()
        .args([
            "generate",
            "--prompt",
            "p",
            "--video",
            "https://e.com/v.mp4",
        ])
        .stdout(writer)
        .output()
        .unwrap();

    // Assert: no panic (101), no backtrace.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("panicked"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_task_id_that_is_not_one_says_what_to_give() {
    let output = run(offline().args(["status", "foo"]));

    assert_eq!(output.status.code(), Some(2));
    assert_stderr_contains(
        &output,
        "not a task id: give the UUID that `kling generate` printed",
    );
}

#[test]
fn download_limits_without_a_download_are_a_usage_error_not_ignored() {
    let output = run(offline().args([
        "generate",
        "--prompt",
        "p",
        "--video",
        "https://e.com/v.mp4",
        "--max-size",
        "5M",
    ]));

    assert_eq!(output.status.code(), Some(2));
    assert_stderr_contains(&output, "--download <DIR>");
}
