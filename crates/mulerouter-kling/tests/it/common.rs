//! Shared test fixtures: a client pointed at a wiremock server, with quick retries.

use std::time::Duration;

use mulerouter_kling::{
    ApiKey, Client, ClientBuilder, RetryPolicy, types::CreateGenerationRequest,
};
use serde_json::{Value, json};
use wiremock::MockServer;

pub const TASK_ID: &str = "8e1e315e-b50d-4334-a231-be7d19a372f4";
pub const CREATE_PATH: &str =
    "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation";
pub const KEY: &str = "sk-mr-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn task_path() -> String {
    format!("{CREATE_PATH}/{TASK_ID}")
}

pub fn task_id() -> uuid::Uuid {
    TASK_ID.parse().unwrap()
}

/// Retries quick enough for tests, with the default number of attempts.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

pub fn client_for(server: &MockServer) -> Client {
    builder_at(&server.uri()).build().unwrap()
}

/// Settings for a client at `base_url`, with quick retries; tests adjust them further.
/// The base URL of a port on 127.0.0.1 that was free a moment ago: nothing listens there.
pub fn nothing_listening() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

pub fn builder_at(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(ApiKey::new(KEY).unwrap())
        .base_url(base_url)
        .retry_policy(quick_retries())
}

pub fn minimal_request() -> CreateGenerationRequest {
    CreateGenerationRequest::builder()
        .prompt("Transform the video into an animated painting style with vibrant colors")
        .video("https://example.com/source-video.mp4")
        .try_into()
        .unwrap()
}

pub fn task_body(status: &str) -> Value {
    json!({
        "task_info": {
            "id": TASK_ID,
            "status": status,
            "created_at": "2026-03-03T00:00:00Z",
            "updated_at": "2026-09-21T08:23:12.657134+00:00"
        }
    })
}

pub fn completed_body() -> Value {
    let mut body = task_body("completed");
    body["videos"] = json!(["https://cdn.example.com/results/result_000.mp4"]);
    body
}
