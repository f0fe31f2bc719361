//! The admin API (`/__admin/…`) over real HTTP against the in-process mock: the same state
//! as the Rust methods, every bad input refused with a reason, access limited.

use std::net::{Ipv4Addr, SocketAddr};

use mulerouter_kling_mock::{Fault, MockMuleRouter, Timing, document};
use serde_json::{Value, json};

use mulerouter_kling_mock_admin::types as admin_types;

use crate::common::{Http, minimal};

/// Raw HTTP to a mock's admin API.
pub struct Admin {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// One admin answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn detail(&self) -> String {
        self.json()["detail"].as_str().unwrap().to_string()
    }
}

/// Every admin answer validates against the admin document (the page and bodiless answers
/// aside).
pub fn check(method: &str, path: &str, status: u16, body: &[u8], content_type: Option<&str>) {
    if method == "HEAD"
        || body.is_empty()
        || content_type.is_some_and(|t| t.starts_with("text/html"))
    {
        return;
    }
    if let Err(violations) = document::validate_admin_response(method, path, status, body) {
        panic!(
            "{method} {path} answered {status} with a body the admin document does not allow: {violations:?}\n{}",
            String::from_utf8_lossy(body)
        );
    }
}

impl Admin {
    pub fn at(base: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.to_string(),
            token: None,
        }
    }

    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.client.request(
            method.parse().unwrap(),
            format!("{}/__admin{path}", self.base),
        );
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let path = response.url().path().to_string();
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        let content_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        check(method, &path, answer.status, &answer.body, content_type);
        answer
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(body)).await
    }
}

async fn manual_mock() -> (MockMuleRouter, Http, Admin) {
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let (http, admin) = (Http::new(&mock), Admin::at(&mock.uri()));
    (mock, http, admin)
}

async fn created(http: &Http) -> String {
    let answer = http.create(&minimal()).await;
    assert_eq!(answer.status, 200);
    answer.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn failing_a_task_through_the_admin_api_makes_reads_answer_failed_with_the_code() {
    // Arrange
    let (_mock, http, admin) = manual_mock().await;
    let id = created(&http).await;

    // Act
    let failed = admin
        .post(&format!("/tasks/{id}/fail"), json!({ "code": 3005 }))
        .await;
    let read = http.get(&id).await;

    // Assert
    assert_eq!(failed.status, 200);
    assert_eq!(failed.json()["task_info"]["status"], "failed");
    assert_eq!(read.json()["task_info"]["status"], "failed");
    assert_eq!(read.json()["task_info"]["error"]["error_code"], 3005);
}

#[tokio::test]
async fn advance_and_complete_move_the_task_the_rust_methods_see() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    let id = created(&http).await;

    // Act
    let advanced = admin
        .post(&format!("/tasks/{id}/advance"), json!(null))
        .await;
    let completed = admin
        .post(&format!("/tasks/{id}/complete"), json!(null))
        .await;

    // Assert
    assert_eq!(advanced.json()["task_info"]["status"], "processing");
    assert_eq!(completed.json()["task_info"]["status"], "completed");
    let task = mock.task(id.parse().unwrap()).unwrap();
    assert_eq!(task.task_info.status.as_str(), "completed");
    assert_eq!(
        admin.get(&format!("/tasks/{id}")).await.json()["videos"][0]
            .as_str()
            .unwrap(),
        task.videos.unwrap()[0].as_str()
    );
}

#[tokio::test]
async fn tasks_are_listed_newest_first_filtered_by_status_and_paged() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    let first = created(&http).await;
    let second = created(&http).await;
    let third = created(&http).await;
    mock.fail(second.parse().unwrap(), 3001).unwrap();

    // Act
    let page = admin.get("/tasks?limit=2").await.json();
    let next = admin.get("/tasks?limit=2&offset=2").await.json();
    let failed = admin.get("/tasks?status=failed").await.json();

    // Assert
    let ids = |page: &Value| -> Vec<String> {
        page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["task_info"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&page), [third, second.clone()]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["next_offset"], 2);
    assert_eq!(ids(&next), [first]);
    assert!(next.get("next_offset").is_none());
    assert_eq!(ids(&failed), [second]);
    assert_eq!(failed["total"], 1);
    let beyond = admin.get("/tasks?offset=10").await.json();
    assert_eq!(beyond["tasks"], json!([]));
    assert_eq!(beyond["total"], 3);
    assert!(beyond.get("next_offset").is_none());
}

#[tokio::test]
async fn deleting_the_tasks_makes_their_reads_answer_404() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    let id = created(&http).await;

    // Act
    let deleted = admin.send("DELETE", "/tasks", None).await;

    // Assert
    assert_eq!(deleted.json(), json!({ "deleted": 1 }));
    assert_eq!(http.get(&id).await.status, 404);
    assert_eq!(mock.stats().tasks, 0);
}

#[tokio::test]
async fn three_queued_503s_answer_the_next_three_requests_then_the_mock_is_itself_again() {
    // Arrange
    let (_mock, http, admin) = manual_mock().await;

    // Act
    let queued = admin
        .post("/faults", json!({ "count": 3, "status": 503 }))
        .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(http.create(&minimal()).await.status);
    }

    // Assert
    assert_eq!(queued.status, 201);
    assert_eq!(queued.json()["faults"].as_array().unwrap().len(), 3);
    assert_eq!(statuses, [503, 503, 503, 200]);
}

#[tokio::test]
async fn a_fault_for_one_operation_lets_the_others_through() {
    // Arrange
    let (_mock, http, admin) = manual_mock().await;
    let id = created(&http).await;
    admin
        .post(
            "/faults",
            json!({ "status": 502, "body": "html", "operation": "get_generation" }),
        )
        .await;

    // Act
    let create = http.create(&minimal()).await;
    let read = http.get(&id).await;

    // Assert
    assert_eq!(create.status, 200);
    assert_eq!(read.status, 502);
    assert!(String::from_utf8_lossy(&read.body).contains("<html>"));
}

#[tokio::test]
async fn a_queued_task_error_fails_the_next_task_and_shows_in_the_rust_view_of_the_queue() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;

    // Act
    admin.post("/faults", json!({ "task_error": 3002 })).await;
    let queued = mock.queued_faults();
    let id = created(&http).await;
    mock.advance(id.parse().unwrap()).unwrap();
    mock.advance(id.parse().unwrap()).unwrap();

    // Assert
    assert_eq!(queued, [(None, Fault::TaskError(3002))]);
    assert_eq!(
        http.get(&id).await.json()["task_info"]["error"]["error_code"],
        3002
    );
    assert_eq!(admin.get("/faults").await.json()["faults"], json!([]));
}

#[tokio::test]
async fn a_status_and_a_task_error_queue_exactly_those_two_faults() {
    // Arrange
    let (mock, _http, admin) = manual_mock().await;

    // Act: as a client that sends every field it knows, a zero latency included.
    let queued = admin
        .post(
            "/faults",
            json!({ "task_error": 3005, "status": 503, "latency_ms": 0 }),
        )
        .await;

    // Assert
    assert_eq!(queued.status, 201);
    assert_eq!(
        queued.json()["faults"],
        json!([{ "status": 503, "body": "json" }, { "task_error": 3005 }])
    );
    assert_eq!(
        mock.queued_faults(),
        [
            (
                None,
                Fault::Status {
                    status: 503,
                    retry_after: None
                }
            ),
            (None, Fault::TaskError(3005)),
        ]
    );
}

#[tokio::test]
async fn an_html_fault_carries_the_retry_after_asked_for_and_a_503_one_second_by_default() {
    // Arrange
    let (_mock, http, admin) = manual_mock().await;
    let asked = admin
        .post(
            "/faults",
            json!({ "status": 502, "body": "html", "retry_after": 3 }),
        )
        .await;
    admin
        .post("/faults", json!({ "status": 503, "body": "html" }))
        .await;

    // Act
    let bad_gateway = http.create(&minimal()).await;
    let unavailable = http.create(&minimal()).await;

    // Assert
    assert_eq!(asked.status, 201);
    assert_eq!(
        asked.json()["faults"],
        json!([{ "status": 502, "body": "html", "retry_after": 3 }])
    );
    assert_eq!(bad_gateway.status, 502);
    assert!(String::from_utf8_lossy(&bad_gateway.body).contains("<html>"));
    assert_eq!(bad_gateway.header("retry-after"), Some("3"));
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn completing_a_task_that_took_a_planned_failure_completes_it_and_advancing_fails_it() {
    // Arrange: `complete` is an explicit request to complete; the plan is for `advance`.
    let (_mock, http, admin) = manual_mock().await;
    admin
        .post("/faults", json!({ "task_error": 3005, "count": 2 }))
        .await;
    let completed_id = created(&http).await;
    let advanced_id = created(&http).await;

    // Act
    let completed = admin
        .post(&format!("/tasks/{completed_id}/complete"), json!(null))
        .await;
    admin
        .post(&format!("/tasks/{advanced_id}/advance"), json!(null))
        .await;
    let advanced = admin
        .post(&format!("/tasks/{advanced_id}/advance"), json!(null))
        .await;

    // Assert
    assert_eq!(completed.json()["task_info"]["status"], "completed");
    assert_eq!(advanced.json()["task_info"]["status"], "failed");
    assert_eq!(advanced.json()["task_info"]["error"]["error_code"], 3005);
}

#[tokio::test]
async fn faults_queued_in_rust_are_listed_and_cleared_through_the_admin_api() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    mock.respond_next_with_status(429, Some(std::time::Duration::from_secs(7)));

    // Act
    let listed = admin.get("/faults").await.json();
    let cleared = admin.send("DELETE", "/faults", None).await;

    // Assert
    assert_eq!(
        listed["faults"],
        json!([{ "status": 429, "body": "json", "retry_after": 7 }])
    );
    assert_eq!(cleared.status, 204);
    assert_eq!(http.create(&minimal()).await.status, 200);
}

#[tokio::test]
async fn the_journal_shows_a_refused_request_with_its_pointers_and_never_the_key() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    let mut body = minimal();
    body["duration"] = json!(99);

    // Act
    let refused = http.create(&body).await;
    created(&http).await;
    let journal = admin.get("/journal").await;

    // Assert
    assert_eq!(refused.status, 400);
    let entries = journal.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "admin requests are not journaled");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[1]["status"], 400);
    assert_eq!(entries[1]["method"], "POST");
    assert_eq!(entries[1]["violations"][0]["pointer"], "/duration");
    assert_eq!(entries[1]["violations"][0]["rule"], "maximum");
    assert!(!String::from_utf8_lossy(&journal.body).contains("sk-mr-test"));
    assert_eq!(mock.journal().len(), 2);
}

#[tokio::test]
async fn the_journal_keeps_the_first_ten_rules_of_a_refused_request_and_how_many_there_were() {
    // Arrange: 25 keys the document does not know, each its own broken rule.
    let (_mock, http, admin) = manual_mock().await;
    let mut body = minimal();
    for index in 0..25 {
        body[format!("unknown_{index:02}")] = json!(index);
    }

    // Act
    let refused = http.create(&body).await;
    let journal = admin.get("/journal").await.json();

    // Assert
    assert_eq!(refused.json()["violations"].as_array().unwrap().len(), 25);
    let entry = &journal["entries"][0];
    assert_eq!(entry["violations_total"], 25);
    let kept = entry["violations"].as_array().unwrap();
    assert_eq!(kept.len(), mulerouter_kling_mock::MAX_VIOLATIONS_KEPT);
    assert_eq!(kept[0], refused.json()["violations"][0]);
}

#[tokio::test]
async fn the_journal_keeps_only_as_many_entries_as_its_size() {
    // Arrange
    let mock = MockMuleRouter::builder().journal_size(2).start().await;
    let (http, admin) = (Http::new(&mock), Admin::at(&mock.uri()));

    // Act
    for _ in 0..5 {
        http.get("8e1e315e-b50d-4334-a231-be7d19a372f4").await;
    }
    let journal = admin.get("/journal").await.json();
    let limited = admin.get("/journal?limit=1").await.json();
    let older = admin.get("/journal?limit=1&offset=1").await.json();
    let beyond = admin.get("/journal?limit=100").await;

    // Assert
    assert_eq!(journal["capacity"], 2);
    assert_eq!(
        (&journal["total"], &journal["next_offset"]),
        (&json!(2), &Value::Null)
    );
    assert_eq!(journal["entries"].as_array().unwrap().len(), 2);
    assert_eq!(limited["entries"].as_array().unwrap().len(), 1);
    assert_eq!(limited["next_offset"], 1, "an older entry is kept");
    assert_eq!(older["entries"], json!([journal["entries"][1]]));
    assert_eq!(older["next_offset"], Value::Null);
    assert_eq!(beyond.status, 200, "a limit is at most, not exactly");
    assert_eq!(beyond.json()["entries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_task_from_the_admin_api_is_written_as_a_read_of_the_api_writes_it() {
    // Arrange
    let (_mock, http, admin) = manual_mock().await;
    let id = created(&http).await;

    // Act
    let read = http.get(&id).await.json();
    let one = admin.get(&format!("/tasks/{id}")).await.json();
    let listed = admin.get("/tasks").await.json();

    // Assert: the same text, timestamps included (`…+00:00`).
    assert!(
        read["task_info"]["created_at"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    assert_eq!(one, read);
    assert_eq!(listed["tasks"][0], read);
}

#[tokio::test]
async fn the_inspector_page_and_health_open_without_the_admin_token_and_the_rest_still_needs_it() {
    // Arrange: a browser opening the page cannot send a token (the page asks for it), and a
    // container's health probe should not hold the secret.
    let mock = MockMuleRouter::builder()
        .admin_token("admin-secret")
        .start()
        .await;
    let anyone = Admin::at(&mock.uri());

    // Act
    let page = anyone.get("/").await;
    let health = anyone.get("/health").await;
    let tasks = anyone.get("/tasks?limit=100").await;
    let journal = anyone.get("/journal?limit=100").await;
    let version = anyone.get("/version").await;

    // Assert
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("id=\"token\""));
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(
        (tasks.status, journal.status, version.status),
        (401, 401, 401)
    );
}

#[tokio::test]
async fn reset_forgets_tasks_faults_and_the_journal() {
    // Arrange
    let (mock, http, admin) = manual_mock().await;
    created(&http).await;
    admin.post("/faults", json!({ "status": 500 })).await;

    // Act
    let reset = admin.post("/reset", json!(null)).await;

    // Assert
    assert_eq!(reset.status, 204);
    assert_eq!(mock.stats().tasks, 0);
    assert!(mock.queued_faults().is_empty());
    assert!(mock.journal().is_empty());
}

#[tokio::test]
async fn health_and_version_say_who_answers() {
    // Arrange
    let (_mock, _http, admin) = manual_mock().await;

    // Act
    let health = admin.get("/health").await.json();
    let version = admin.get("/version").await.json();

    // Assert
    assert_eq!(health["status"], "ok");
    assert_eq!(version["name"], "mulerouter-kling-mock");
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn each_bad_admin_request_is_refused_with_its_reason() {
    // Arrange
    let (_mock, _http, admin) = manual_mock().await;
    let unknown = "8e1e315e-b50d-4334-a231-be7d19a372f4";
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        ("GET", format!("/tasks/{unknown}"), None, 404, "no task"),
        (
            "POST",
            format!("/tasks/{unknown}/advance"),
            None,
            404,
            "no task",
        ),
        (
            "GET",
            "/tasks/not-a-uuid".into(),
            None,
            400,
            "not a task id",
        ),
        (
            "GET",
            "/tasks?status=done".into(),
            None,
            400,
            "`status` must be",
        ),
        ("GET", "/tasks?limit=0".into(), None, 400, "`limit` must be"),
        (
            "GET",
            "/tasks?limit=501".into(),
            None,
            400,
            "`limit` must be",
        ),
        (
            "GET",
            "/tasks?offset=-1".into(),
            None,
            400,
            "`offset` must be",
        ),
        (
            "GET",
            "/journal?limit=x".into(),
            None,
            400,
            "`limit` must be",
        ),
        (
            "GET",
            "/journal?limit=0".into(),
            None,
            400,
            "`limit` must be a whole number of at least 1, got \"0\"",
        ),
        (
            "GET",
            "/journal?offset=-1".into(),
            None,
            400,
            "`offset` must be a whole number of at least 0, got \"-1\"",
        ),
        (
            "POST",
            format!("/tasks/{unknown}/fail"),
            Some(json!({})),
            400,
            "missing field `code`",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "count": 2 })),
            400,
            "at least one of",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 200 })),
            400,
            "from 400 to 599",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 503, "count": 0 })),
            400,
            "`count` must be",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 503, "count": 1001 })),
            400,
            "`count` must be",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "latency_ms": 60001 })),
            400,
            "at most 60000",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "body": "html" })),
            400,
            "give a `status`",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 503, "operation": "nope" })),
            400,
            "no operation \"nope\"",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "task_error": 3005, "operation": "get_generation" })),
            400,
            "cannot wait for get_generation",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 429, "body": "html" })),
            400,
            "`body: html`: the document lets only 5XX answers of create_generation be an HTML page, not 429",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 503, "colour": "red" })),
            400,
            "unknown field `colour`",
        ),
        (
            "POST",
            "/faults".into(),
            Some(json!({ "status": 503, "body": "xml" })),
            400,
            "unknown variant `xml`",
        ),
        (
            "PUT",
            "/faults".into(),
            None,
            405,
            "accepts GET, HEAD, POST, DELETE",
        ),
        ("GET", "/reset".into(), None, 405, "accepts POST"),
        ("GET", "/nothing-here".into(), None, 404, "no admin path"),
    ];

    for (method, path, body, status, reason) in cases {
        // Act
        let answer = admin.send(method, &path, body).await;

        // Assert
        assert_eq!(answer.status, status, "{method} {path}");
        assert!(
            answer.detail().contains(reason),
            "{method} {path}: {:?} does not say {reason:?}",
            answer.detail()
        );
    }
}

#[tokio::test]
async fn more_than_ten_thousand_waiting_faults_are_refused() {
    // Arrange
    let (mock, _http, admin) = manual_mock().await;
    for _ in 0..10 {
        admin
            .post("/faults", json!({ "count": 1000, "status": 503 }))
            .await;
    }

    // Act
    let over = admin.post("/faults", json!({ "status": 503 })).await;

    // Assert
    assert_eq!(over.status, 409);
    assert_eq!(mock.queued_faults().len(), 10_000);
}

#[tokio::test]
async fn a_scope_to_a_key_is_refused_400_when_no_request_could_be_told_apart_by_it() {
    // Arrange: a mock that takes one key only, which every caller then sends.
    let one_key = MockMuleRouter::builder()
        .api_key("sk-mr-only")
        .start()
        .await;
    let (open, _http, admin) = manual_mock().await;
    let one_key_admin = Admin::at(&one_key.uri());

    // Act
    let on_one_key = one_key_admin
        .post("/faults", json!({ "status": 503, "key": "sk-mr-only" }))
        .await;
    let reset_on_one_key = one_key_admin.post("/reset?key=sk-mr-only", json!({})).await;
    let not_a_key = admin
        .post("/faults", json!({ "status": 503, "key": "suite-a" }))
        .await;
    let clear_not_a_key = admin.send("DELETE", "/faults?key=suite-a", None).await;

    // Assert
    assert_eq!((on_one_key.status, reset_on_one_key.status), (400, 400));
    assert!(
        on_one_key.detail().contains("one key only"),
        "{}",
        on_one_key.detail()
    );
    assert_eq!((not_a_key.status, clear_not_a_key.status), (400, 400));
    assert!(
        not_a_key.detail().contains("`sk-mr-`"),
        "{}",
        not_a_key.detail()
    );
    assert!(one_key.queued_faults().is_empty() && open.queued_faults().is_empty());
}

#[tokio::test]
async fn faults_cleared_for_one_key_leave_the_others_queued() {
    // Arrange
    let (mock, _http, admin) = manual_mock().await;
    for key in ["sk-mr-suite-a", "sk-mr-suite-b"] {
        let queued = admin
            .post("/faults", json!({ "status": 503, "key": key }))
            .await;
        assert_eq!(queued.status, 201);
    }
    admin.post("/faults", json!({ "status": 502 })).await;

    // Act
    let cleared = admin
        .send("DELETE", "/faults?key=sk-mr-suite-a", None)
        .await;
    let listed = admin.get("/faults").await.json();

    // Assert
    assert_eq!(cleared.status, 204);
    assert_eq!(
        listed["faults"],
        json!([
            { "status": 503, "body": "json", "key": "sk-mr-suite-b" },
            { "status": 502, "body": "json" },
        ])
    );
    assert_eq!(mock.queued_faults().len(), 2);
}

#[tokio::test]
async fn with_an_admin_token_only_callers_sending_it_get_in() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .admin_token("admin-secret")
        .start()
        .await;

    // Act
    let without = Admin::at(&mock.uri()).get("/version").await;
    let wrong = Admin::at(&mock.uri())
        .with_token("admin-secreT")
        .get("/version")
        .await;
    let right = Admin::at(&mock.uri())
        .with_token("admin-secret")
        .get("/version")
        .await;

    // Assert
    assert_eq!(without.status, 401);
    assert!(without.headers.contains_key("www-authenticate"));
    assert_eq!(wrong.status, 401);
    assert_eq!(right.status, 200);
}

#[tokio::test]
async fn a_mock_listening_beyond_loopback_without_a_token_refuses_the_admin_api() {
    // Arrange: wiremock does not say who the peer is, so the listener decides.
    let mock = MockMuleRouter::builder()
        .listen_on(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
        .start()
        .await;

    // Act
    let answer = Admin::at(&mock.uri()).get("/version").await;

    // Assert
    assert_eq!(answer.status, 403);
    assert!(answer.detail().contains("--admin-token"));
}

#[tokio::test]
async fn the_binary_serves_the_admin_api_to_loopback_callers() {
    // Arrange
    let (mut child, url) = crate::binary::spawn(&["--port", "0", "--timing", "manual"], None).await;
    let (http, admin) = (Http::at(&url), Admin::at(&url));
    let id = created(&http).await;

    // Act
    let completed = admin
        .post(&format!("/tasks/{id}/complete"), json!(null))
        .await;
    let read = http.get(&id).await;
    let journal = admin.get("/journal").await.json();

    // Assert
    assert_eq!(completed.status, 200);
    assert_eq!(read.json()["task_info"]["status"], "completed");
    assert_eq!(journal["entries"][0]["status"], 200);
    assert_eq!(journal["entries"].as_array().unwrap().len(), 2);
    assert!(crate::binary::terminate(&mut child).await.success());
}

#[tokio::test]
async fn a_queued_hang_up_on_the_binary_drops_the_connection_after_acting_on_the_request() {
    // Arrange: the next create's answer is lost; the task it makes is not.
    let (mut child, url) =
        crate::binary::spawn(&["--port", "0", "--timing", "manual"], Some("info")).await;
    let admin = Admin::at(&url);
    let queued = admin
        .post(
            "/faults",
            json!({ "hang_up": true, "operation": "create_generation" }),
        )
        .await;
    let raw = reqwest::Client::new();
    let create = || {
        raw.post(format!("{url}{}", crate::common::CREATE))
            .bearer_auth("sk-mr-test")
            .json(&minimal())
            .send()
    };

    // Act
    let dropped = create().await;
    let tasks = admin.get("/tasks").await.json();
    let answered = create().await.map(|answer| answer.status().as_u16());
    let (exit, logs) = crate::binary::terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(queued.status, 201);
    assert_eq!(queued.json()["faults"][0]["hang_up"], true);
    let error = dropped.expect_err("no answer");
    assert!(!error.is_timeout() && !error.is_connect(), "{error:?}");
    assert_eq!(tasks["total"], 1, "{tasks}");
    assert_eq!(answered.unwrap(), 200);
    assert!(exit.success());
    assert!(
        logs.contains("-> 200")
            && logs.contains("(not sent: the connection is dropped, as a queued hang-up asked)"),
        "{logs}"
    );
}

#[tokio::test]
async fn the_in_process_mock_refuses_a_hang_up_it_could_not_give() {
    // Arrange
    let (mock, _http, admin) = manual_mock().await;

    // Act
    let alone = admin.post("/faults", json!({ "hang_up": true })).await;
    let with_status = admin
        .post("/faults", json!({ "hang_up": true, "status": 503 }))
        .await;
    let injected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        mock.inject(mulerouter_kling_mock::Fault::HangUp);
    }));

    // Assert
    assert_eq!(alone.status, 400);
    assert!(
        alone
            .detail()
            .contains("the in-process mock cannot drop a connection"),
        "{}",
        alone.detail()
    );
    assert_eq!(with_status.status, 400);
    assert!(with_status.detail().contains("queue them as two faults"));
    assert!(injected.is_err());
    assert!(mock.queued_faults().is_empty());
}

#[tokio::test]
async fn the_binary_keeps_as_many_journal_entries_as_its_flag_says() {
    // Arrange
    let (mut child, url) =
        crate::binary::spawn(&["--port", "0", "--journal-size", "1"], None).await;
    let http = Http::at(&url);
    created(&http).await;
    created(&http).await;

    // Act
    let journal = Admin::at(&url).get("/journal").await.json();

    // Assert
    assert_eq!(journal["capacity"], 1);
    assert_eq!(journal["entries"].as_array().unwrap().len(), 1);
    assert!(crate::binary::terminate(&mut child).await.success());
}

#[tokio::test]
async fn the_binary_on_every_address_with_a_token_from_the_environment_requires_it_even_on_loopback()
 {
    // Arrange
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mulerouter-kling-mock"));
    command
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env("MULEROUTER_MOCK_ADMIN_TOKEN", "admin-secret")
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(child.stdout.take().unwrap()));
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    let mut banner = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        banner.push_str(&line);
        if line.starts_with("Stop with") {
            break;
        }
    }

    // Act
    let without = Admin::at(&url).get("/version").await;
    let with = Admin::at(&url)
        .with_token("admin-secret")
        .get("/version")
        .await;

    // Assert
    assert_eq!(without.status, 401);
    assert_eq!(with.status, 200);
    assert!(banner.contains("/__admin/"), "{banner}");
    assert!(!banner.contains("admin-secret"), "{banner}");
    assert!(crate::binary::terminate(&mut child).await.success());
}

#[tokio::test]
async fn the_binary_refuses_a_journal_size_beyond_its_bound() {
    // Arrange
    let binary = env!("CARGO_BIN_EXE_mulerouter-kling-mock");

    // Act
    let output = tokio::process::Command::new(binary)
        .args(["--port", "0", "--journal-size", "100001"])
        .output()
        .await
        .unwrap();

    // Assert
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("journal size from 0 to 100000"));
}

#[tokio::test]
async fn the_generated_admin_client_drives_a_scenario_on_the_binary() {
    // Arrange
    let (mut child, url) = crate::binary::spawn(&["--port", "0", "--timing", "manual"], None).await;
    let api = crate::common::client_for(&url);
    let admin = mulerouter_kling_mock_admin::connect(&url, None).unwrap();
    let created = api
        .create(
            mulerouter_kling::types::CreateGenerationRequest::builder()
                .prompt("A paper boat")
                .video("https://example.com/v.mp4"),
        )
        .await
        .unwrap();
    let id = created.task_info.id;

    // Act
    let failed = admin
        .fail_task()
        .task_id(id)
        .body(admin_types::FailRequest { code: 3005 })
        .send()
        .await
        .unwrap()
        .into_inner();
    let read = api.get(id).await.unwrap();
    let listed = admin
        .list_tasks()
        .status(admin_types::TaskState::Failed)
        .send()
        .await
        .unwrap()
        .into_inner();
    let journal = admin.journal().send().await.unwrap().into_inner();
    let unknown = admin
        .get_task()
        .task_id(uuid::Uuid::new_v4())
        .send()
        .await
        .unwrap_err();

    // Assert
    assert_eq!(failed.task_info.status, admin_types::TaskState::Failed);
    assert_eq!(read.task_info.error.and_then(|e| e.error_code), Some(3005));
    assert_eq!(listed.total, 1);
    assert_eq!(listed.tasks[0].task_info.id, id);
    let methods: Vec<_> = journal.entries.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(methods, ["GET", "POST"]);
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(404));
    assert!(crate::binary::terminate(&mut child).await.success());
}

#[tokio::test]
async fn the_generated_admin_client_sends_the_token_and_queues_faults_per_operation() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .admin_token("admin-secret")
        .start()
        .await;
    let admin = mulerouter_kling_mock_admin::connect(&mock.uri(), Some("admin-secret")).unwrap();
    let anonymous = mulerouter_kling_mock_admin::connect(&mock.uri(), None).unwrap();

    // Act
    let queued = admin
        .queue_faults()
        .body(admin_types::FaultRequest {
            count: std::num::NonZeroU64::new(2).unwrap(),
            status: Some(503),
            body: Some(admin_types::BodyKind::Html),
            retry_after: None,
            latency_ms: None,
            task_error: None,
            hang_up: false,
            operation: Some("get_generation".into()),
            key: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let refused = anonymous.version().send().await.unwrap_err();

    // Assert
    assert_eq!(queued.faults.len(), 2);
    assert_eq!(
        queued.faults[0].operation.as_deref(),
        Some("get_generation")
    );
    assert_eq!(mock.queued_faults().len(), 2);
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn the_inspector_page_is_one_self_contained_html_file() {
    // Arrange
    let (_mock, _http, admin) = manual_mock().await;

    // Act
    let page = admin.get("/").await;
    let without_slash = admin.get("").await;

    // Assert
    assert_eq!(page.status, 200);
    assert_eq!(without_slash.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    let html = String::from_utf8(page.body).unwrap();
    for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(external), "the page loads {external}…");
    }
    for markup in [
        "<table",
        "<caption",
        "<th scope=\"col\"",
        "<label for=\"filter\"",
        "name=\"viewport\"",
    ] {
        assert!(html.contains(markup), "no {markup} in the page");
    }
    assert!(
        !html.contains("innerHTML"),
        "values are set as text, never as HTML"
    );
}

#[tokio::test]
async fn an_admin_body_over_16_kib_is_refused_413_and_queues_nothing() {
    // Arrange
    let (mock, _http, admin) = manual_mock().await;
    let padding = "x".repeat(20 * 1024);

    // Act
    let answer = admin
        .post("/faults", json!({ "status": 503, "operation": padding }))
        .await;

    // Assert
    assert_eq!(answer.status, 413);
    assert!(answer.detail().contains("at most 16384 bytes"));
    assert!(mock.queued_faults().is_empty());
}

#[tokio::test]
async fn an_admin_body_with_a_wrong_type_is_refused_400_naming_the_field() {
    // Arrange
    let (mock, _http, _admin) = manual_mock().await;

    // Act
    let answer = reqwest::Client::new()
        .post(format!("{}/__admin/faults", mock.uri()))
        .body(r#"{"count": "three", "status": 503}"#)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap();

    // Assert
    assert_eq!(status, 400);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("`count`"), "{detail}");
    assert!(mock.queued_faults().is_empty(), "nothing was queued");
}

#[tokio::test]
async fn an_admin_body_of_the_wrong_shape_says_what_is_wrong_and_what_to_send() {
    // Arrange
    let (_mock, _http, admin) = manual_mock().await;
    let raw = |body: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/__admin/faults", admin.base))
            .header("content-type", "application/json")
            .body(body)
    };
    let cases = [
        (
            "{a",
            "the body is not JSON (line 1 column 2): send a JSON object like {\"status\": 503}",
        ),
        (
            "[2,503]",
            "the body must be a JSON object, not an array: send a JSON object like {\"status\": 503}",
        ),
        (
            r#"{"status": "x"}"#,
            "the body is not what this admin route takes: `status`: invalid type: string \"x\", expected a whole number; send a JSON object like {\"status\": 503}",
        ),
    ];

    for (body, expected) in cases {
        // Act
        let answer = raw(body).send().await.unwrap();
        let status = answer.status().as_u16();
        let detail: Value = answer.json().await.unwrap();

        // Assert
        assert_eq!(status, 400, "{body}");
        assert_eq!(detail["detail"], expected, "{body}");
    }
}

#[tokio::test]
async fn an_admin_body_that_is_not_json_is_refused_400_with_the_parser_s_reason() {
    // Arrange
    let (mock, http, _admin) = manual_mock().await;
    let id = created(&http).await;

    // Act
    let answer = reqwest::Client::new()
        .post(format!("{}/__admin/tasks/{id}/fail", mock.uri()))
        .body("code=3005")
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap();

    // Assert
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().starts_with(
        "the body is not JSON (line 1 column 1): send a JSON object like {\"code\": 3005}"
    ));
}

#[tokio::test]
async fn a_journal_larger_than_one_answer_is_read_whole_through_the_admin_client_page_by_page() {
    // Arrange: refused creates, each kept with ten long rules whose text JSON escapes (a
    // control character takes six bytes): a journal of about 20 MB, more than the admin
    // client reads in one answer.
    let mock = MockMuleRouter::builder().journal_size(1500).start().await;
    let mut body = minimal();
    for index in 0..12 {
        body[format!("{index:02}{}", "\u{1}".repeat(300))] = json!(index);
    }
    let body = mulerouter_kling_mock::bytes::Bytes::from(body.to_string());
    for _ in 0..1500 {
        let request = mulerouter_kling_mock::http::Request::post(crate::common::CREATE)
            .header("authorization", "Bearer sk-mr-test")
            .header("content-type", "application/json")
            .body(body.clone())
            .unwrap();
        assert_eq!(mock.core().answer(request).response.status(), 400);
    }
    let admin = mulerouter_kling_mock_admin::connect(&mock.uri(), None).unwrap();
    let whole = serde_json::to_vec(&mock.core().journal()).unwrap().len();
    assert!(
        whole > mulerouter_kling_mock_admin::MAX_ANSWER_BYTES,
        "{whole} bytes"
    );

    // Act
    let mut pages = Vec::new();
    let mut offset = Some(0);
    while let Some(from) = offset {
        let page = admin
            .journal()
            .offset(from)
            .send()
            .await
            .unwrap()
            .into_inner();
        offset = page.next_offset;
        pages.push(page);
    }

    // Assert
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let read: usize = pages.iter().map(|page| page.entries.len()).sum();
    assert_eq!(read, 1500);
    assert!(pages.iter().all(|page| page.total == 1500));
    assert_eq!(
        pages[0].entries[0].violations.len(),
        mulerouter_kling_mock::MAX_VIOLATIONS_KEPT
    );
}
