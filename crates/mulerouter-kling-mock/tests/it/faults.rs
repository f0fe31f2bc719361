//! Faults on demand: queued in code, or asked for per request with `Prefer`.

use std::time::{Duration, Instant};

use mulerouter_kling::types::CreateGenerationRequest;
use mulerouter_kling::{Error, TaskStatus};
use mulerouter_kling_mock::{Fault, MockCore, MockMuleRouter, Timing};
use serde_json::json;

use crate::common::{CREATE, Http, client, minimal};

fn request() -> mulerouter_kling::types::builder::CreateGenerationRequest {
    CreateGenerationRequest::builder()
        .prompt("A paper boat")
        .video("https://example.com/source.mp4")
}

#[tokio::test]
async fn a_queued_429_carries_retry_after_and_the_documented_body() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    mock.respond_next_with_status(429, Some(Duration::from_secs(7)));

    // Act
    let answer = Http::new(&mock).create(&minimal()).await;

    // Assert
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("7"));
    assert_eq!(answer.json(), json!({ "detail": "Rate limit exceeded" }));
    assert_eq!(mock.stats().tasks, 0, "a refused create creates nothing");
}

#[tokio::test]
async fn the_client_sees_each_queued_status_as_the_matching_error() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = client(&mock);

    for status in [401, 402, 403, 409, 429, 500, 502, 503, 504] {
        mock.respond_next_with_status(status, None);

        // Act
        let error = client.create(request()).await.unwrap_err();

        // Assert
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{error}");
        let expected = match status {
            401 | 403 => matches!(error, Error::Auth(_)),
            402 => matches!(error, Error::InsufficientBalance(_)),
            429 => matches!(error, Error::RateLimited(_)),
            _ => matches!(error, Error::Api(_)),
        };
        assert!(expected, "{status}: {error:?}");
    }
}

#[tokio::test]
async fn a_503_defaults_to_retry_after_one_second() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    mock.inject(Fault::Status {
        status: 503,
        retry_after: None,
    });

    // Act
    let answer = Http::new(&mock)
        .get(&uuid::Uuid::new_v4().to_string())
        .await;

    // Assert
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.json(), json!({ "error": "Upstream error" }));
}

#[tokio::test]
async fn a_proxy_error_is_an_html_page_the_client_still_classifies() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    mock.respond_next_with_proxy_error(502);
    let http = Http::new(&mock);

    // Act
    let answer = http.create(&minimal()).await;
    mock.respond_next_with_proxy_error(502);
    let error = client(&mock).create(request()).await.unwrap_err();

    // Assert
    assert_eq!(answer.status, 502);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(String::from_utf8_lossy(&answer.body).contains("502 Bad Gateway"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test]
async fn faults_are_used_once_each_in_order() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    mock.respond_next_with_status(500, None);
    mock.respond_next_with_status(402, None);

    // Act
    let statuses = [
        http.create(&minimal()).await.status,
        http.create(&minimal()).await.status,
        http.create(&minimal()).await.status,
    ];

    // Assert
    assert_eq!(statuses, [500, 402, 200]);
}

#[tokio::test]
async fn cleared_faults_are_not_used() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    mock.respond_next_with_status(500, None);
    mock.fail_next_task_with(3001);
    mock.clear_faults();

    // Act
    let answer = Http::new(&mock).create(&minimal()).await;

    // Assert
    assert_eq!(answer.status, 200);
    let id = answer.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        mock.complete(id).unwrap().task_info.status,
        TaskStatus::Completed
    );
}

/// A create answered by `core` alone: the delay it asks the transport for is in the answer,
/// so no clock is needed to see it.
fn create_on(core: &MockCore) -> mulerouter_kling_mock::Answer {
    let request = mulerouter_kling_mock::http::Request::post(CREATE)
        .header("authorization", "Bearer sk-mr-test")
        .header("content-type", "application/json")
        .body(minimal().to_string().into())
        .unwrap();
    core.answer(request)
}

#[test]
fn queued_latency_delays_only_the_next_answer() {
    // Arrange
    let core = MockMuleRouter::builder().build_core("http://127.0.0.1:1");
    core.delay_next_by(Duration::from_millis(300));

    // Act
    let (slow, fast) = (create_on(&core), create_on(&core));

    // Assert
    assert_eq!(slow.response.status(), 200);
    assert_eq!(
        (slow.delay, fast.delay),
        (Duration::from_millis(300), Duration::ZERO)
    );
}

#[test]
fn standing_latency_delays_every_answer_and_a_queued_one_adds_to_it() {
    // Arrange
    let core = MockMuleRouter::builder()
        .latency(Duration::from_millis(100))
        .build_core("http://127.0.0.1:1");
    core.delay_next_by(Duration::from_millis(50));

    // Act
    let delays = [create_on(&core).delay, create_on(&core).delay];

    // Assert
    assert_eq!(
        delays,
        [Duration::from_millis(150), Duration::from_millis(100)]
    );
}

#[tokio::test]
async fn a_planned_task_error_fails_the_task_with_each_documented_code() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = client(&mock);

    for code in [3001, 3002, 3003, 3004, 3005, 4002, 4008] {
        mock.fail_next_task_with(code);

        // Act
        let id = client.create(request()).await.unwrap().task_info.id;
        let error = client
            .wait_for_completion_with(id, &MockMuleRouter::wait_options(), |_| {})
            .await
            .unwrap_err();

        // Assert
        let Error::TaskFailed(failure) = error else {
            panic!("{code}: {error:?}")
        };
        assert_eq!(failure.code, Some(code));
        assert!(failure.title.is_some() && failure.detail.is_some());
    }
}

#[tokio::test]
async fn a_failed_task_answers_200_with_the_error_as_the_service_does() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let http = Http::new(&mock);
    let id = http.create(&minimal()).await.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    mock.fail(id.parse().unwrap(), 3005).unwrap();

    // Act
    let answer = http.get(&id).await;

    // Assert
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json["task_info"]["status"], "failed");
    assert_eq!(
        json["task_info"]["error"],
        json!({ "error_code": 3005, "title": "External service execution failed", "detail": "prompt violation" })
    );
    assert!(json.get("videos").is_none());
}

#[tokio::test]
async fn prefer_code_answers_with_the_documented_example_and_retry_after() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let limited = http.create_preferring("code=429").await;
    let unauthorized = http.create_preferring("code=401").await;
    let balance = http
        .get_preferring(&uuid::Uuid::new_v4().to_string(), "code=402")
        .await;
    let server = http
        .get_preferring(&uuid::Uuid::new_v4().to_string(), "code=500, retry-after=9")
        .await;

    // Assert
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("preference-applied"), Some("code=429"));
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.json()["detail"],
        "Invalid Authorization header format"
    );
    assert_eq!(balance.status, 402);
    assert_eq!(balance.json()["detail"], "Insufficient balance");
    assert_eq!(server.status, 500);
    assert_eq!(server.header("retry-after"), Some("9"));
    assert_eq!(mock.stats().tasks, 0);
}

#[tokio::test]
async fn prefer_code_with_body_html_sends_a_proxy_page() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http.create_preferring("code=503, body=html").await;

    // Assert
    assert_eq!(answer.status, 503);
    assert!(String::from_utf8_lossy(&answer.body).contains("<h1>503 Service Unavailable</h1>"));
}

#[tokio::test]
async fn prefer_code_503_with_body_html_carries_retry_after_as_the_json_answer_does() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let default = http.create_preferring("code=503, body=html").await;
    let asked = http
        .create_preferring("code=502, body=html, retry-after=4")
        .await;

    // Assert
    assert_eq!(default.header("retry-after"), Some("1"));
    assert_eq!(asked.status, 502);
    assert_eq!(asked.header("retry-after"), Some("4"));
    assert!(
        asked
            .header("preference-applied")
            .unwrap()
            .contains("retry-after"),
        "{:?}",
        asked.header("preference-applied")
    );
}

#[tokio::test]
async fn prefer_body_html_with_a_status_the_document_keeps_json_is_refused_saying_which_may_be_html()
 {
    // Arrange: the document lets only 5XX answers be an HTML page.
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http.create_preferring("code=429, body=html").await;

    // Assert
    assert_eq!(answer.status, 400);
    let body = answer.json();
    let detail = body["task_info"]["error"]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Prefer: body=html goes with")
            && detail.contains("(5XX of create_generation), not 429"),
        "{detail}"
    );
    assert_eq!(mock.stats().tasks, 0);
}

#[test]
#[should_panic(expected = "be an HTML page, not 403")]
fn an_html_fault_with_a_status_the_document_keeps_json_is_a_mistake_in_the_test() {
    let core = MockMuleRouter::builder().build_core("http://127.0.0.1:1");

    core.respond_next_with_proxy_error(403);
}

#[tokio::test]
async fn an_asked_for_405_says_in_allow_what_the_path_takes() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    mock.inject_for(
        "get_generation",
        Fault::Status {
            status: 405,
            retry_after: None,
        },
    );

    // Act
    let preferred = http.create_preferring("code=405").await;
    let injected = http.get("8e1e315e-b50d-4334-a231-be7d19a372f4").await;

    // Assert
    assert_eq!(preferred.status, 405);
    assert_eq!(preferred.header("allow"), Some("POST"));
    assert_eq!(injected.status, 405);
    assert_eq!(injected.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn prefer_code_202_creates_the_task_and_answers_202() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http.create_preferring("code=202").await;

    // Assert
    assert_eq!(answer.status, 202);
    assert_eq!(answer.json()["task_info"]["status"], "pending");
    assert_eq!(mock.stats().tasks, 1);
}

#[tokio::test]
async fn prefer_example_moves_a_task_to_that_documented_state() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let http = Http::new(&mock);
    let create = || async {
        http.create(&minimal()).await.json()["task_info"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b, c) = (create().await, create().await, create().await);
    let read = |id: String, prefer: &'static str| {
        let http = &http;
        async move { http.get_preferring(&id, prefer).await.json() }
    };

    // Act
    let processing = read(a, "example=processing").await;
    let completed = read(b, "code=200, example=completed").await;
    let failed = read(c.clone(), "code=200, example=failed").await;
    let still_failed = read(c, "example=completed").await;

    // Assert
    assert_eq!(processing["task_info"]["status"], "processing");
    assert_eq!(completed["task_info"]["status"], "completed");
    assert!(
        completed["videos"][0]
            .as_str()
            .unwrap()
            .starts_with(&mock.uri())
    );
    assert_eq!(failed["task_info"]["status"], "failed");
    assert_eq!(failed["task_info"]["error"]["error_code"], 3005);
    assert_eq!(failed["task_info"]["error"]["detail"], "prompt violation");
    assert_eq!(
        still_failed["task_info"]["status"], "failed",
        "a finished task stays finished"
    );
}

#[tokio::test]
async fn prefer_task_error_fails_a_new_task_later_or_a_read_task_now() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let http = Http::new(&mock);

    // Act
    let planned = http.create_preferring("task-error=4008").await.json();
    let planned_id = planned["task_info"]["id"].as_str().unwrap().to_string();
    let other = http.create(&minimal()).await.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let now = http.get_preferring(&other, "task-error=3002").await.json();
    mock.advance(planned_id.parse().unwrap()).unwrap();
    let finished = mock.advance(planned_id.parse().unwrap()).unwrap();

    // Assert
    assert_eq!(planned["task_info"]["status"], "pending");
    assert_eq!(now["task_info"]["error"]["error_code"], 3002);
    assert_eq!(finished.task_info.status, TaskStatus::Failed);
    assert_eq!(finished.task_info.error.unwrap().error_code, Some(4008));
}

#[tokio::test]
async fn prefer_latency_delays_the_answer() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let started = Instant::now();
    let answer = http.create_preferring("latency=250ms").await;

    // Assert
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn unknown_preferences_are_ignored_and_malformed_ones_refused() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    // Act
    let unknown = http.create_preferring("dynamic=true, respond-async").await;
    let bad_code = http.create_preferring("code=abc").await;
    let undocumented_success = http.create_preferring("code=201").await;
    let redirect = http.create_preferring("code=302").await;
    let too_slow = http.create_preferring("latency=5m").await;
    let unknown_example = http.create_preferring("example=nope").await;

    // Assert
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.header("preference-applied"), None);
    for (answer, needle) in [
        (&bad_code, "code=abc"),
        (&undocumented_success, "code=201"),
        (&redirect, "code=302"),
        (&too_slow, "latency=5m"),
        (&unknown_example, "example=nope"),
    ] {
        assert_eq!(answer.status, 400, "{needle}");
        assert_eq!(answer.violations()[0].1, "prefer");
        let detail = answer.json()["task_info"]["error"]["detail"].to_string();
        assert!(detail.contains(needle), "{detail}");
    }
}

#[tokio::test]
async fn auth_is_checked_before_a_preferred_status() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            reqwest::Client::new()
                .post(format!("{}{CREATE}", mock.uri()))
                .header("prefer", "code=503")
                .json(&minimal()),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 401);
}

#[test]
#[should_panic(expected = "error status (400-599)")]
fn a_success_status_cannot_be_injected_as_a_fault() {
    let core = MockMuleRouter::builder().build_core("http://127.0.0.1:1");

    core.respond_next_with_status(200, None);
}

#[test]
#[should_panic(expected = "a latency is at most 60s, got 61s")]
fn a_standing_latency_over_a_minute_is_a_mistake_in_the_test() {
    let core = MockMuleRouter::builder().build_core("http://127.0.0.1:1");

    core.set_latency(Duration::from_secs(61));
}

#[tokio::test]
async fn preference_applied_lists_only_what_shaped_the_answer() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let http = Http::new(&mock);
    let finished = http.create(&minimal()).await.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    mock.complete(finished.parse().unwrap()).unwrap();
    let mut invalid = minimal();
    invalid["duration"] = json!(99);

    // Act
    let on_finished = http
        .get_preferring(&finished, "example=failed, task-error=3005")
        .await;
    let on_unknown = http
        .get_preferring(&uuid::Uuid::new_v4().to_string(), "example=completed")
        .await;
    let on_invalid = http
        .send(
            http.request("POST", CREATE)
                .json(&invalid)
                .header("prefer", "task-error=3005"),
        )
        .await;
    let honoured = http
        .create_preferring("task-error=3005, latency=1ms, retry-after=3")
        .await;

    // Assert
    assert_eq!(on_finished.json()["task_info"]["status"], "completed");
    assert_eq!(on_finished.header("preference-applied"), None);
    assert_eq!(on_unknown.status, 404);
    assert_eq!(on_unknown.header("preference-applied"), None);
    assert_eq!(on_invalid.status, 400);
    assert_eq!(on_invalid.header("preference-applied"), None);
    assert_eq!(honoured.status, 200);
    assert_eq!(
        honoured.header("preference-applied"),
        Some("task-error=3005, latency=1ms"),
        "retry-after only applies to an error status"
    );
}

#[tokio::test]
async fn a_retry_after_with_a_fraction_of_a_second_is_rounded_up_to_whole_seconds() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    mock.respond_next_with_status(503, Some(Duration::from_millis(1500)));
    mock.respond_next_with_status(429, Some(Duration::from_millis(300)));
    mock.respond_next_with_status(503, Some(Duration::from_secs(2)));

    // Act
    let one_and_a_half = http.create(&minimal()).await;
    let under_one = http.create(&minimal()).await;
    let whole = http.create(&minimal()).await;

    // Assert
    assert_eq!(one_and_a_half.header("retry-after"), Some("2"));
    assert_eq!(under_one.header("retry-after"), Some("1"));
    assert_eq!(whole.header("retry-after"), Some("2"));
}
