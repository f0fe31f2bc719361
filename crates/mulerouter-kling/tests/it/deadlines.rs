//! Deadlines that mean it: a call has a budget for all its attempts, a wait a deadline that
//! cuts a poll in flight. Paused time: a silent server lets the clock run to the deadline.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{Error, Operation, WaitOptions};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(start_paused = true)]
async fn a_read_from_a_silent_server_ends_when_the_call_budget_runs_out() {
    // Arrange: each attempt may take 60 s and there are 4; the call may take 5 s in all.
    let server = RawServer::start(vec![Answer::Silence]).await;
    let client = builder_at(server.uri())
        .call_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert
    let Error::TimedOut { operation, after } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*operation, Operation::Get);
    assert_eq!(*after, Duration::from_secs(5));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    insta::assert_snapshot!(error, @"call timed out: reading the task got no answer within 5s; read it again");
}

#[tokio::test(start_paused = true)]
async fn a_per_request_budget_can_be_set_on_an_existing_client() {
    // Arrange
    let server = RawServer::start(vec![Answer::Silence]).await;
    let client = builder_at(server.uri()).build().unwrap();

    // Act
    let error = client
        .with_call_timeout(Duration::from_millis(1500))
        .get(task_id())
        .await
        .unwrap_err();

    // Assert
    assert!(
        matches!(error, Error::TimedOut { after, .. } if after == Duration::from_millis(1500)),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_to_a_silent_server_times_out_warning_that_the_task_may_exist() {
    // Arrange
    let server = RawServer::start(vec![Answer::Silence]).await;
    let client = builder_at(server.uri())
        .call_timeout(Duration::from_secs(3))
        .build()
        .unwrap();

    // Act
    let error = client.create(minimal_request()).await.unwrap_err();

    // Assert: a create is never retried after it may have been received.
    assert!(
        matches!(
            error,
            Error::TimedOut {
                operation: Operation::Create,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.requests(), 1);
    assert!(
        error
            .to_string()
            .contains("check for a new task before retrying"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_ends_at_its_deadline_even_while_a_poll_hangs() {
    // Arrange: the first poll never gets an answer.
    let server = RawServer::start(vec![Answer::Silence]).await;
    let options = WaitOptions {
        timeout: Duration::from_secs(5),
        ..WaitOptions::default()
    };

    // Act
    let error = builder_at(server.uri())
        .build()
        .unwrap()
        .wait_for_completion_with(task_id(), &options, |_| {})
        .await
        .unwrap_err();

    // Assert
    let Error::Timeout {
        last_status,
        waited,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*last_status, None);
    assert_eq!(*waited, Duration::from_secs(5));
    insta::assert_snapshot!(error, @"gave up waiting for task 8e1e315e-b50d-4334-a231-be7d19a372f4 after 5s (the wait's deadline): no poll was answered in time; the task may still finish, wait for it again later");
}

#[tokio::test(start_paused = true)]
async fn a_wait_cut_during_a_later_poll_reports_the_last_status_seen() {
    // Arrange: one answer, then silence.
    let server = RawServer::start(vec![
        Answer::json(200, &task_body("processing")),
        Answer::Silence,
    ])
    .await;
    let options = WaitOptions {
        timeout: Duration::from_secs(30),
        ..WaitOptions::default()
    };

    // Act
    let error = builder_at(server.uri())
        .build()
        .unwrap()
        .wait_for_completion_with(task_id(), &options, |_| {})
        .await
        .unwrap_err();

    // Assert
    let Error::Timeout {
        last_status,
        waited,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(last_status.as_ref().map(|s| s.as_str()), Some("processing"));
    assert_eq!(*waited, Duration::from_secs(30));
}

#[tokio::test]
async fn a_retry_whose_wait_would_outlast_the_budget_is_not_attempted() {
    // Arrange: the service asks for 10 s, the call may take 5 s.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "10")
                .set_body_json(json!({"detail": "busy"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .call_timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert: the service's own answer, at once, rather than a timeout 5 s later.
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn budgets_too_large_to_add_mean_no_limit_instead_of_a_panic() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed_body()))
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .call_timeout(Duration::MAX)
        .build()
        .unwrap();
    let options = WaitOptions {
        timeout: Duration::MAX,
        ..WaitOptions::default()
    };

    // Act
    let done = client
        .wait_for_completion_with(task_id(), &options, |_| {})
        .await;

    // Assert
    assert!(done.is_ok(), "{done:?}");
}
