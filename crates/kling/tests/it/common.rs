//! Running the real `kling` binary: against the built-in mock, a scripted wiremock server,
//! or a misbehaving raw server.

use std::process::Output;

use assert_cmd::Command;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TASK_ID: &str = "8e1e315e-b50d-4334-a231-be7d19a372f4";

/// `kling` with no key in its environment: it starts the built-in mock.
pub fn offline() -> Command {
    Command::from_std(offline_process())
}

/// [`offline`] as a plain process, for a test that holds its pipes or signals it.
pub fn offline_process() -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("kling"));
    command
        .env_remove("MULEROUTER_API_KEY")
        .env_remove("MULEROUTER_BASE_URL")
        .env_remove("RUST_LOG");
    command
}

/// The key the commands below are given; it must never appear in their output.
pub const KEY: &str = "sk-mr-test-3f9a0c2e71d84b5e";

/// `kling` pointed at `server` with a key.
pub fn against(server: &MockServer) -> Command {
    against_uri(&server.uri())
}

/// `kling` pointed at the server at `uri` with a key.
pub fn against_uri(uri: &str) -> Command {
    Command::from_std(against_uri_process(uri))
}

/// [`against_uri`] as a plain process, for a test that holds its pipes or signals it.
pub fn against_uri_process(uri: &str) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("kling"));
    command
        .env("MULEROUTER_API_KEY", KEY)
        .env("MULEROUTER_BASE_URL", uri)
        .env_remove("RUST_LOG");
    command
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn assert_stderr_contains(output: &Output, needle: &str) {
    let stderr = text(&output.stderr);
    assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
}

pub fn task(status: &str) -> Value {
    json!({"task_info": {"id": TASK_ID, "status": status, "created_at": "2026-03-03T00:00:00Z", "updated_at": "2026-03-03T00:00:05.000001+00:00"}})
}

/// A server answering every request with one response.
pub async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

pub fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}
