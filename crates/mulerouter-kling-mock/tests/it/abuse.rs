//! The standalone binary against clients that try to reach past the API: text built to forge
//! log lines.

use serde_json::json;

use crate::binary::{spawn, terminate_with_logs};
use crate::common::{Http, minimal};

#[tokio::test]
async fn a_property_name_with_newlines_and_escape_codes_cannot_forge_a_log_line() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let http = Http::at(&url);
    let mut body = minimal();
    body["\nFORGED 2026 INFO all is well\u{1b}[2J\u{9b}31m"] = json!(1);

    // Act
    let refused = http.create(&body).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(refused.status, 400);
    assert!(exit.success());
    assert!(
        !logs.lines().any(|line| line.starts_with("FORGED")),
        "{logs}"
    );
    assert!(!logs.contains(['\u{1b}', '\u{9b}']), "{logs:?}");
    assert!(
        logs.contains(
            r"(broke: /\nFORGED 2026 INFO all is well\u{1b}[2J\u{9b}31m additionalProperties)"
        ),
        "{logs}"
    );
}
