//! Text from the server cannot drive the terminal: control characters are shown escaped in
//! human output, and JSON output stays valid JSON.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;

/// Clears the screen, retitles the window, rings the bell, turns text red (C1 CSI), DEL, and
/// a right-to-left override that would show what follows reversed.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;x\u{7}\u{9b}31mgone\u{7f}\u{202e}fdp.exe";

fn assert_no_control_characters(printed: &str) {
    let found: Vec<char> = printed
        .chars()
        .filter(|c| {
            (c.is_control() && *c != '\n' && *c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        found.is_empty(),
        "control characters {found:?} in:\n{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_detail_with_escape_sequences_is_printed_escaped() {
    // Arrange
    let server =
        server_answering(ResponseTemplate::new(400).set_body_json(json!({"detail": HOSTILE})))
            .await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(9));
    let stderr = text(&output.stderr);
    assert_no_control_characters(&stderr);
    assert!(
        stderr.contains(r"\u{1b}[2J\u{1b}]0;x\u{7}\u{9b}31mgone\u{7f}\u{202e}fdp.exe"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_fields_hold_control_characters_is_printed_escaped() {
    // Arrange: an undocumented status and a task error, both hostile.
    let mut body = task(&format!("weird{HOSTILE}"));
    body["task_info"]["status"] = json!(format!("weird{HOSTILE}"));
    body["task_info"]["error"] =
        json!({"code": 3005, "title": "\u{9b}31m", "detail": "a\u{0}b\u{7f}"});
    let server = server_answering(ResponseTemplate::new(200).set_body_json(body)).await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_no_control_characters(&stdout);
    assert!(stdout.contains(r"a\u{0}b\u{7f}"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_page_with_nul_bytes_is_printed_escaped() {
    // Arrange
    let server = server_answering(
        ResponseTemplate::new(404).set_body_raw(b"not\0found\x1b[31m".to_vec(), "text/plain"),
    )
    .await;

    // Act
    let output = run(against(&server).args(["status", TASK_ID]));

    // Assert
    assert_eq!(output.status.code(), Some(6));
    assert_no_control_characters(&text(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_keeps_the_text_exact_and_valid() {
    // Arrange
    let server =
        server_answering(ResponseTemplate::new(400).set_body_json(json!({"detail": HOSTILE})))
            .await;

    // Act
    let output = run(against(&server).args(["--json", "status", TASK_ID]));

    // Assert: escaped by JSON itself, so a parser gets the server's text back unchanged.
    let stdout = text(&output.stdout);
    assert_no_control_characters(&stdout);
    let body: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["error"]["detail"], HOSTILE);
}
