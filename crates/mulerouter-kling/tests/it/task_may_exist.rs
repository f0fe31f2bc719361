//! A create that failed says whether its billed task may exist, in its message and through
//! `Error::task_may_exist`, so that a caller does not create a second one blindly.

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Creates once against a server that always answers `status`, and reads once too.
async fn create_and_read_answered_with(status: u16) -> (Error, Error) {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({"detail": "upstream"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({"detail": "upstream"})))
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    // Act
    let create = client.create(minimal_request()).await.unwrap_err();
    let read = client.get(task_id()).await.unwrap_err();
    (create, read)
}

#[tokio::test]
async fn a_gateway_timeout_answering_a_create_says_the_task_may_exist() {
    // Act
    let (create, read) = create_and_read_answered_with(504).await;

    // Assert
    assert!(create.task_may_exist(), "{create:?}");
    insta::assert_snapshot!(create, @"the service answered 504 Gateway Timeout: upstream; the create may have reached the service: check for a new task before creating again");
    assert!(!read.task_may_exist(), "{read:?}");
    insta::assert_snapshot!(read, @"the service answered 504 Gateway Timeout: upstream; the service had a problem, try again later");
}

#[tokio::test]
async fn a_500_or_502_answering_a_create_says_the_task_may_exist() {
    for status in [500, 502] {
        // Act
        let (create, _) = create_and_read_answered_with(status).await;

        // Assert
        assert!(create.task_may_exist(), "{status}: {create:?}");
        assert!(
            create
                .to_string()
                .ends_with("check for a new task before creating again"),
            "{create}"
        );
    }
}

#[tokio::test]
async fn a_503_or_a_client_error_answering_a_create_made_no_task() {
    for status in [503, 400, 401, 402, 404, 429] {
        // Act
        let (create, _) = create_and_read_answered_with(status).await;

        // Assert
        assert!(!create.task_may_exist(), "{status}: {create:?}");
        assert!(!create.to_string().contains("new task"), "{create}");
    }
}

#[tokio::test]
async fn a_create_cut_off_after_it_was_sent_may_have_made_its_task() {
    // Arrange: a server that reads each request and hangs up.
    let server = RawServer::answering(Answer::HangUp).await;
    let client = builder_at(server.uri()).build().unwrap();

    // Act
    let create = client.create(minimal_request()).await.unwrap_err();
    let read = client
        .with_call_timeout(std::time::Duration::from_secs(5))
        .get(task_id())
        .await
        .unwrap_err();

    // Assert
    assert!(create.task_may_exist(), "{create:?}");
    assert!(!read.task_may_exist(), "{read:?}");
}

#[tokio::test(start_paused = true)]
async fn a_create_that_timed_out_may_have_made_its_task() {
    // Arrange
    let server = RawServer::answering(Answer::Silence).await;
    let client = builder_at(server.uri())
        .call_timeout(std::time::Duration::from_secs(3))
        .build()
        .unwrap();

    // Act
    let error = client.create(minimal_request()).await.unwrap_err();

    // Assert
    assert!(matches!(error, Error::TimedOut { .. }), "{error:?}");
    assert!(error.task_may_exist(), "{error:?}");
}
