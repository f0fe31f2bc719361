//! Helpers: raw HTTP against a mock, with every API answer checked against the document.

use std::time::Duration;

use mulerouter_kling::{ApiKey, Client, RetryPolicy};
use mulerouter_kling_mock::{MockMuleRouter, document};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const CREATE: &str = mulerouter_kling_mock::typed::create_generation::PATH;

pub fn get_path(id: &str) -> String {
    format!("{CREATE}/{id}")
}

/// The smallest valid create body.
pub fn minimal() -> Value {
    json!({ "prompt": "A paper boat on a rainy street", "video": "https://example.com/source.mp4" })
}

/// A client of the mock that does not retry.
pub fn client(mock: &MockMuleRouter) -> Client {
    client_for(&mock.uri())
}

/// A client of any server that does not retry.
pub fn client_for(base_url: &str) -> Client {
    Client::builder()
        .api_key(ApiKey::new("sk-mr-test").unwrap())
        .base_url(base_url)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `(pointer, rule)` of every violation listed.
    pub fn violations(&self) -> Vec<(String, String)> {
        self.json()["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("no violations in {}", self.json()))
            .iter()
            .map(|v| {
                (
                    v["pointer"].as_str().unwrap().to_string(),
                    v["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// Raw HTTP to one mock.
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(mock: &MockMuleRouter) -> Self {
        Self::at(&mock.uri())
    }

    /// To a mock at `base`, e.g. the standalone binary.
    pub fn at(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    /// A request with a valid key; adjust it, then [`Http::send`].
    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth("sk-mr-test")
    }

    /// A request that sends `key` as its bearer key (a suite's own key on a shared mock).
    pub fn request_with_key(&self, method: &str, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(key)
    }

    /// POST a JSON body to the create path.
    pub async fn create(&self, body: &Value) -> Answer {
        self.send(self.request("POST", CREATE).json(body)).await
    }

    pub async fn get(&self, id: &str) -> Answer {
        self.send(self.request("GET", &get_path(id))).await
    }

    /// POST the minimal valid body to the create path with a `Prefer` header.
    pub async fn create_preferring(&self, prefer: &str) -> Answer {
        let request = self.request("POST", CREATE).json(&minimal());
        self.send(request.header("prefer", prefer)).await
    }

    /// GET a task with a `Prefer` header.
    pub async fn get_preferring(&self, id: &str, prefer: &str) -> Answer {
        let request = self.request("GET", &get_path(id));
        self.send(request.header("prefer", prefer)).await
    }

    /// Sends, reads the answer, and checks it against the document: never a 5xx unless a
    /// fault asked for it (checked by the callers), always a documented status and body.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = request.build().unwrap();
        let method = request.method().to_string();
        let path = request.url().path().to_string();
        let response = self.client.execute(request).await.unwrap();
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        check(&method, &path, &answer);
        answer
    }
}

/// Every answer of the API validates against the document; files are MP4 or a JSON 404.
pub fn check(method: &str, path: &str, answer: &Answer) {
    assert!(
        answer
            .header("traceparent")
            .is_some_and(|t| t.starts_with("00-")),
        "{method} {path}: no traceparent"
    );
    // A file is not an API answer; a HEAD answer has no body to check.
    if path.starts_with("/files/") || method == "HEAD" {
        return;
    }
    if path.starts_with("/__admin") {
        crate::admin::check(
            method,
            path,
            answer.status,
            &answer.body,
            answer.header("content-type"),
        );
        return;
    }
    let html = answer
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    let body = if html {
        b"{}".to_vec()
    } else {
        answer.body.clone()
    };
    if let Err(violations) = document::validate_response(method, path, answer.status, &body) {
        panic!(
            "{method} {path} answered {} with a body the document does not allow: {violations:?}\n{}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
}
