//! Waiting for a task: every documented ending, unknown states, the deadline.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{Error, MIN_POLL_INTERVAL, Operation, RetryPolicy, WaitEvent, WaitOptions};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn quick() -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(10),
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        multiplier: 2.0,
    }
}

/// Serves `bodies` to consecutive polls; the last one is served from then on.
async fn server_answering(bodies: Vec<Value>) -> MockServer {
    server_busy_then(0, bodies).await
}

/// Answers the first `busy` reads 503, then serves `bodies` like [`server_answering`].
async fn server_busy_then(busy: u64, bodies: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    if busy > 0 {
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"detail": "busy"})))
            .up_to_n_times(busy)
            .mount(&server)
            .await;
    }
    let last = bodies.len() - 1;
    for (index, body) in bodies.into_iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path(task_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body));
        let mock = if index == last {
            mock
        } else {
            mock.up_to_n_times(1)
        };
        mock.mount(&server).await;
    }
    server
}

#[tokio::test]
async fn waiting_follows_the_lifecycle_and_returns_the_videos() {
    // Arrange
    let server = server_answering(vec![
        task_body("pending"),
        task_body("processing"),
        completed_body(),
    ])
    .await;
    let mut seen = Vec::new();

    // Act
    let done = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |task| {
            seen.push(task.task_info.status.to_string())
        })
        .await
        .unwrap();

    // Assert
    assert_eq!(seen, ["pending", "processing", "completed"]);
    assert_eq!(
        done.videos[0].as_str(),
        "https://cdn.example.com/results/result_000.mp4"
    );
}

#[tokio::test]
async fn succeeded_counts_as_success_and_unknown_states_keep_waiting() {
    // Arrange
    let mut succeeded = completed_body();
    succeeded["task_info"]["status"] = json!("succeeded");
    let server = server_answering(vec![
        task_body("queued"),
        task_body("upscaling"),
        task_body("retrying"),
        succeeded,
    ])
    .await;

    // Act
    let done = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap();

    // Assert
    assert_eq!(done.task_info.status.as_str(), "succeeded");
}

#[tokio::test]
async fn a_failed_task_returns_its_error_code_title_and_detail() {
    // Arrange
    let mut failed = task_body("failed");
    failed["task_info"]["error"] = json!({"error_code": 3005, "title": "External service execution failed", "detail": "prompt violation"});
    let server = server_answering(vec![task_body("running"), failed]).await;

    // Act
    let error = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap_err();

    // Assert
    let Error::TaskFailed(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.code, Some(3005));
    assert_eq!(failure.detail.as_deref(), Some("prompt violation"));
    insta::assert_snapshot!(error, @"task 8e1e315e-b50d-4334-a231-be7d19a372f4 failed with code 3005: External service execution failed: prompt violation; the model provider could not finish it (check the prompt and inputs)");
}

#[tokio::test]
async fn a_failed_task_with_megabytes_of_title_and_detail_keeps_them_short() {
    // Arrange
    let mut failed = task_body("failed");
    failed["task_info"]["error"] = json!({"error_code": 3005, "title": "t".repeat(2_000_000), "detail": "d".repeat(1_000_000)});
    let server = server_answering(vec![failed]).await;

    // Act
    let error = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap_err();

    // Assert: cut at 300 characters and marked so, as an error answer's texts are.
    let Error::TaskFailed(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.code, Some(3005));
    assert_eq!(failure.title, Some(format!("{}…", "t".repeat(300))));
    assert_eq!(failure.detail, Some(format!("{}…", "d".repeat(300))));
    assert!(error.to_string().len() < 1000, "{error}");
}

#[tokio::test]
async fn a_status_of_megabytes_ends_the_wait_as_an_answer_that_breaks_the_document() {
    // Arrange: a status that changes at every poll would be printed anew each time.
    let server = server_answering(vec![task_body(&"x".repeat(3_000_000))]).await;

    // Act
    let error = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap_err();

    // Assert: refused at the first poll, in a short message.
    assert!(
        matches!(error, Error::UnexpectedResponse { .. }),
        "{:?}",
        error.to_string().get(..300)
    );
    let message = error.to_string();
    assert!(
        message.contains("a task status of 3000000 bytes"),
        "{message}"
    );
    assert!(message.len() < 1000, "{} bytes", message.len());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failures_code_is_its_error_code_or_its_code_when_only_that_came() {
    for (error, code) in [
        (json!({"code": 4008, "title": "Internal error"}), 4008),
        // `error_code` is where the document puts a failed task's code.
        (json!({"code": 2001, "error_code": 3005}), 3005),
    ] {
        // Arrange
        let mut failed = task_body("failed");
        failed["task_info"]["error"] = error;
        let server = server_answering(vec![failed]).await;

        // Act
        let error = client_for(&server)
            .wait_for_completion_with(task_id(), &quick(), |_| {})
            .await
            .unwrap_err();

        // Assert
        assert!(
            matches!(&error, Error::TaskFailed(f) if f.code == Some(code)),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_completed_task_without_videos_is_an_unexpected_response() {
    // Arrange
    let server = server_answering(vec![task_body("completed")]).await;

    // Act
    let error = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap_err();

    // Assert
    assert!(
        matches!(error, Error::UnexpectedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn transient_errors_while_waiting_are_retried() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw("bad gateway", "text/plain"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed_body()))
        .mount(&server)
        .await;

    // Act
    let done = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
}

#[tokio::test]
async fn a_multiplier_too_large_for_a_duration_waits_at_the_longest_pause_instead_of_panicking() {
    for multiplier in [f64::INFINITY, 1e300, f64::NAN, -1.0] {
        // Arrange
        let server = server_answering(vec![
            task_body("processing"),
            task_body("processing"),
            completed_body(),
        ])
        .await;
        let options = WaitOptions {
            multiplier,
            ..quick()
        };

        // Act
        let done = client_for(&server)
            .wait_for_completion_with(task_id(), &options, |_| {})
            .await;

        // Assert
        assert!(done.is_ok(), "multiplier {multiplier}: {done:?}");
    }
}

#[tokio::test]
async fn a_zero_interval_still_pauses_between_polls_so_the_service_is_not_hammered() {
    // Arrange
    let server = server_answering(vec![task_body("processing")]).await;
    let options = WaitOptions {
        timeout: MIN_POLL_INTERVAL * 4,
        initial_interval: Duration::ZERO,
        max_interval: Duration::ZERO,
        multiplier: 1.0,
    };

    // Act
    let error = client_for(&server)
        .wait_for_completion_with(task_id(), &options, |_| {})
        .await
        .unwrap_err();

    // Assert: one poll at the start and one after each pause of the floor, at most.
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    let polls = server.received_requests().await.unwrap().len();
    assert!(
        (2..=5).contains(&polls),
        "{polls} polls in {:?}",
        options.timeout
    );
}

#[tokio::test]
async fn a_poll_that_still_fails_after_its_retries_does_not_end_the_wait() {
    // Arrange: more 503s in a row than one poll's attempts (4), then the result.
    let server = server_busy_then(6, vec![completed_body()]).await;

    // Act
    let done = client_for(&server)
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 7);
}

#[tokio::test]
async fn an_observer_is_told_of_each_failed_poll_and_each_state_read() {
    // Arrange: one poll's 4 attempts answered 503, then a running task, then the result.
    let server = server_busy_then(4, vec![task_body("processing"), completed_body()]).await;
    let mut events = Vec::new();

    // Act
    let done = client_for(&server)
        .wait_for_completion_observed(task_id(), &quick(), |event| {
            events.push(match event {
                WaitEvent::Polled(task) => task.task_info.status.to_string(),
                WaitEvent::PollFailed {
                    error,
                    next_poll_in,
                } => format!(
                    "failed ({}), next in {next_poll_in:?}",
                    error.status().map_or(0, |status| status.as_u16())
                ),
                other => panic!("{other:?}"),
            })
        })
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
    // The options ask for 5 ms; no pause is shorter than the floor.
    let failed = format!("failed (503), next in {MIN_POLL_INTERVAL:?}");
    assert_eq!(events, [failed.as_str(), "processing", "completed"]);
}

#[tokio::test]
async fn a_503_too_large_to_read_is_ridden_out_like_any_503() {
    // Arrange: a poll's four attempts get a 503 whose page is over the client's limit.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("x".repeat(4096)))
        .up_to_n_times(4)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed_body()))
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let mut failures = Vec::new();

    // Act
    let done = client
        .wait_for_completion_observed(task_id(), &quick(), |event| {
            if let WaitEvent::PollFailed { error, .. } = event {
                failures.push(matches!(error, Error::ResponseTooLarge { .. }));
            }
        })
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(failures, [true]);
}

#[tokio::test]
async fn a_poll_that_runs_out_of_its_call_budget_does_not_end_the_wait() {
    // Arrange: the first read is never answered, the next one is.
    let server =
        RawServer::start(vec![Answer::Silence, Answer::json(200, &completed_body())]).await;
    let client = builder_at(server.uri())
        .call_timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    // Act
    let done = client
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_wait_whose_deadline_passes_after_failed_polls_says_so_with_the_last_failure() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"detail": "down for maintenance"})),
        )
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let options = WaitOptions {
        timeout: Duration::from_millis(500),
        ..quick()
    };

    // Act
    let error = client
        .wait_for_completion_with(task_id(), &options, |_| {})
        .await
        .unwrap_err();

    // Assert
    let Error::Timeout {
        last_status,
        last_failure: Some(failure),
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*last_status, None);
    assert_eq!(failure.status().map(|s| s.as_u16()), Some(503));
    let text = error.to_string();
    assert!(text.starts_with("gave up waiting for task"), "{text}");
    assert!(
        text.contains("every poll failed, the last with: the service answered 503"),
        "{text}"
    );
    assert!(text.contains("down for maintenance"), "{text}");
    assert!(server.received_requests().await.unwrap().len() > 1);
}

#[tokio::test]
async fn a_retry_after_of_years_pauses_a_wait_no_longer_than_the_longest_retry_after_allowed() {
    // Arrange: one 429 asking for 10^12 s (and an HTTP date decades away would read the
    // same), then the result.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1000000000000")
                .set_body_json(json!({"detail": "slow down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed_body()))
        .mount(&server)
        .await;
    let longest = Duration::from_millis(200);
    let client = builder_at(&server.uri())
        .retry_policy(RetryPolicy {
            max_retry_after: longest,
            ..quick_retries()
        })
        .build()
        .unwrap();
    let options = WaitOptions {
        timeout: Duration::from_secs(10),
        ..quick()
    };
    let mut pauses = Vec::new();

    // Act
    let done = client
        .wait_for_completion_observed(task_id(), &options, |event| {
            if let WaitEvent::PollFailed { next_poll_in, .. } = event {
                pauses.push(next_poll_in);
            }
        })
        .await;

    // Assert: the wait polled again after the longest Retry-After it waits out, instead of
    // sleeping until its deadline.
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(pauses, [longest]);
}

#[tokio::test]
async fn errors_that_waiting_cannot_mend_end_the_wait_at_once() {
    for status in [401, 403, 404, 400] {
        // Arrange
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"detail": "no"})))
            .expect(1)
            .mount(&server)
            .await;

        // Act
        let error = client_for(&server)
            .wait_for_completion_with(task_id(), &quick(), |_| {})
            .await
            .unwrap_err();

        // Assert
        assert!(!error.is_transient(), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
    }
}

#[tokio::test]
async fn a_connection_refused_before_any_answer_ends_the_wait_at_once() {
    // Arrange: a port nothing listens on any more.
    let nothing = nothing_listening();
    let client = builder_at(&nothing).build().unwrap();

    // Act
    let error = client
        .wait_for_completion_with(task_id(), &quick(), |_| {})
        .await
        .unwrap_err();

    // Assert: the refusal itself, not a Timeout ten seconds later.
    assert!(
        matches!(
            error,
            Error::Transport {
                maybe_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn transient_errors_are_the_ones_worth_waiting_out() {
    // Arrange
    let timed_out = Error::TimedOut {
        operation: Operation::Get,
        after: Duration::from_secs(1),
    };
    let config = Error::Config("no key".to_string());

    // Act / Assert
    assert!(timed_out.is_transient());
    assert!(!config.is_transient());
}
