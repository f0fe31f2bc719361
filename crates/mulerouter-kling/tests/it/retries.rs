//! Reads are retried; creates are never silently duplicated.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::Error;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_read_is_retried_through_server_errors_until_it_succeeds() {
    // Arrange: 503, then 500, then the task.
    let server = MockServer::start().await;
    for status in [503, 500] {
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(serde_json::json!({"detail": "busy"})),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("processing")))
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let task = client_for(&server).get(task_id()).await.unwrap();

    // Assert
    assert_eq!(task.task_info.status.as_str(), "processing");
}

#[tokio::test]
async fn a_read_gives_up_after_the_allowed_attempts() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(serde_json::json!({"detail": "down"})),
        )
        .expect(4)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"detail": "Task not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    assert!(matches!(error, Error::NotFound(_)));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_out_before_the_next_attempt() {
    // Arrange: the backoff alone would wait at most 20 ms; Retry-After asks for 7 s. The
    // retry then meets silence, so the call ends at its budget whatever paused time does
    // while the runtime waits on the network.
    let server = RawServer::start(vec![
        Answer::Full {
            status: 429,
            headers: vec![
                ("retry-after", "7".to_string()),
                ("content-type", "application/json".to_string()),
            ],
            body: br#"{"detail": "Rate limit exceeded"}"#.to_vec(),
        },
        Answer::Silence,
    ])
    .await;
    let client = builder_at(server.uri())
        .call_timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert
    assert!(matches!(error, Error::TimedOut { .. }), "{error:?}");
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2, "{arrivals:?}");
    let waited = arrivals[1] - arrivals[0];
    assert!(waited >= Duration::from_secs(7), "retried after {waited:?}");
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_is_returned_instead_of_waited() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(serde_json::json!({"detail": "Daily spend limit reached"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    let Error::RateLimited(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(details.retry_after, Some(Duration::from_secs(3600)));
    assert!(error.to_string().contains("retry after 3600s"), "{error}");
}

#[tokio::test]
async fn a_create_answered_with_a_server_error_is_not_retried() {
    // Arrange: the task may have been created before the 5xx.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(serde_json::json!({"detail": "busy"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server)
        .create(minimal_request())
        .await
        .unwrap_err();

    // Assert
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn a_create_answered_with_429_is_retried_because_nothing_was_created() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(serde_json::json!({"detail": "slow down"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("pending")))
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let created = client_for(&server).create(minimal_request()).await.unwrap();

    // Assert
    assert_eq!(created.task_info.id, task_id());
}
