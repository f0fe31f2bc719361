//! Bounded memory whatever the server sends: no answer is read past the limit.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{DEFAULT_MAX_RESPONSE_BYTES, Error};
use reqwest::StatusCode;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: u64 = 64 * 1024;

#[tokio::test]
async fn an_endless_answer_stops_at_the_limit_with_the_status_and_what_was_read() {
    // Arrange
    let server = RawServer::start(vec![Answer::Endless {
        status: 200,
        content_length: None,
    }])
    .await;
    let client = builder_at(server.uri())
        .max_response_bytes(LIMIT)
        .build()
        .unwrap();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert: one attempt (a 200 is not retried), stopped just past the limit.
    let Error::ResponseTooLarge {
        status,
        limit,
        received,
        announced,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((*status, *limit, *announced), (StatusCode::OK, LIMIT, None));
    assert!(*received > LIMIT && *received <= 2 * LIMIT, "{received}");
    assert_eq!(server.requests(), 1);
    let message = error.to_string();
    assert!(
        message.contains("200 OK")
            && message.contains("64.0 KiB")
            && message.contains("stopped reading"),
        "{message}"
    );
}

#[tokio::test]
async fn an_endless_answer_is_cut_off_instead_of_drained() {
    // Arrange
    let server = RawServer::start(vec![Answer::Endless {
        status: 200,
        content_length: None,
    }])
    .await;
    let client = builder_at(server.uri())
        .max_response_bytes(LIMIT)
        .build()
        .unwrap();
    // Guards only: a client that drains the answer would never finish.
    let guard = Duration::from_secs(30);

    // Act
    let result = tokio::time::timeout(guard, client.get(task_id())).await;

    // Assert: the client hung up, and the server got rid of no more than socket buffers hold.
    assert!(
        matches!(result, Ok(Err(Error::ResponseTooLarge { .. }))),
        "{result:?}"
    );
    tokio::time::timeout(guard, server.hung_up())
        .await
        .expect("the connection stays open");
    let sent = server.body_bytes_sent();
    assert!(sent < 64 * 1024 * 1024, "the server wrote {sent} bytes");
}

#[tokio::test]
async fn a_huge_error_body_announced_by_content_length_is_not_read_at_all() {
    // Arrange: a 500 announcing 300 MB; reads retry 500s, each attempt must stop at once.
    let announced = 300 * 1024 * 1024;
    let server = RawServer::start(vec![Answer::Endless {
        status: 500,
        content_length: Some(announced),
    }])
    .await;

    // Act
    let error = builder_at(server.uri())
        .build()
        .unwrap()
        .get(task_id())
        .await
        .unwrap_err();

    // Assert
    let Error::ResponseTooLarge {
        status,
        limit,
        received,
        announced: said,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(*limit, DEFAULT_MAX_RESPONSE_BYTES);
    assert_eq!((*received, *said), (0, Some(announced)));
    assert_eq!(server.requests(), 4, "a 500 is retried like any other");
    assert!(error.to_string().contains("300.0 MiB"), "{error}");
}

#[tokio::test]
async fn the_generated_client_underneath_is_bounded_too() {
    // Arrange
    let server = RawServer::start(vec![Answer::Endless {
        status: 200,
        content_length: None,
    }])
    .await;
    let client = builder_at(server.uri()).build().unwrap();

    // Act: a direct call, without the layer's retries and classification.
    let result = client
        .raw()
        .get_generation()
        .task_id(task_id())
        .send()
        .await;

    // Assert: it fails to parse the (empty) body instead of reading without end.
    assert!(
        matches!(
            result,
            Err(mulerouter_kling::raw::Error::InvalidResponsePayload(..))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_error_body_is_kept_only_as_a_short_snippet() {
    // Arrange: a 1 MiB proxy page, under the limit.
    let page = format!("<html>{}</html>", "Bad Gateway ".repeat(90_000));
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    let detail = error.details().unwrap().detail.clone().unwrap();
    assert!(detail.starts_with("<html>Bad Gateway"), "{detail}");
    assert!(detail.chars().count() <= 301, "{} characters", detail.len());
}

#[tokio::test]
async fn a_json_error_keeps_short_texts_and_at_most_a_hundred_violations() {
    // Arrange: a documented error body, 3 MiB under the read limit: a long detail and title
    // and ten thousand violations, each with a long message.
    let long = "x".repeat(100_000);
    let violation =
        serde_json::json!({"pointer": "/prompt", "rule": "maxLength", "message": "y".repeat(200)});
    let body = serde_json::json!({
        "task_info": {"status": "failed", "error": {"code": 2001, "title": long, "detail": long}},
        "violations": vec![violation; 10_000],
    });
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server)
        .create(minimal_request())
        .await
        .unwrap_err();

    // Assert
    let details = error.details().unwrap();
    let chars = |text: &Option<String>| text.as_deref().map_or(0, |t| t.chars().count());
    assert!(chars(&details.detail) <= 301 && chars(&details.title) <= 301);
    assert_eq!(details.violations.len(), 100);
    assert_eq!(details.violations[0].pointer, "/prompt");
    assert!(details.violations[0].message.chars().count() <= 301);
}
