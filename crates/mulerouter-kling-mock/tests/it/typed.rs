//! The generated typed wiremock layer, on a plain wiremock server.

use std::time::Duration;

use mulerouter_kling::types::{ApiError, CreateGenerationRequest, TaskResponse};
use mulerouter_kling::{Error, TaskStatus};
use mulerouter_kling_mock::typed::{create_generation, get_generation};
use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::header;

use crate::common::client_for;

fn task(status: &str) -> TaskResponse {
    serde_json::from_value(json!({
        "task_info": {
            "id": "8e1e315e-b50d-4334-a231-be7d19a372f4",
            "status": status,
            "created_at": "2026-03-03T00:00:00Z",
            "updated_at": "2026-03-03T00:00:00Z"
        }
    }))
    .unwrap()
}

fn request() -> CreateGenerationRequest {
    CreateGenerationRequest::builder()
        .prompt("A paper boat")
        .video("https://example.com/source.mp4")
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn a_typed_body_matcher_matches_what_the_client_sends() {
    // Arrange
    let server = MockServer::start().await;
    create_generation::When::new()
        .body(&request())
        .respond_with(create_generation::Then::ok(&task("pending")))
        .expect(1)
        .named("create")
        .mount(&server)
        .await;

    // Act
    let created = client_for(&server.uri()).create(request()).await.unwrap();

    // Assert
    assert_eq!(created, task("pending"));
}

#[tokio::test]
async fn a_task_id_matcher_only_matches_that_task() {
    // Arrange
    let server = MockServer::start().await;
    let wanted = task("completed");
    get_generation::When::new()
        .task_id(&wanted.task_info.id)
        .respond_with(get_generation::Then::ok(&wanted))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());

    // Act
    let found = client.get(wanted.task_info.id).await.unwrap();
    let other = client.get(uuid::Uuid::new_v4()).await.unwrap_err();

    // Assert
    assert_eq!(found.task_info.status, TaskStatus::Completed);
    assert_eq!(other.status().unwrap(), 404);
}

#[tokio::test]
async fn responders_are_named_after_the_documented_responses() {
    // Arrange
    let server = MockServer::start().await;
    let limited = ApiError {
        detail: Some(json!("Rate limit exceeded")),
        ..ApiError::default()
    };
    let _guard = create_generation::When::new()
        .respond_with(
            create_generation::Then::too_many_requests(&limited).header("retry-after", "3"),
        )
        .up_to_n_times(1)
        .mount_as_scoped(&server)
        .await;
    create_generation::When::new()
        .respond_with(create_generation::Then::server_error(
            503,
            &ApiError::default(),
        ))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());

    // Act
    let first = client.create(request()).await.unwrap_err();
    let second = client.create(request()).await.unwrap_err();

    // Assert
    let Error::RateLimited(details) = first else {
        panic!("{first:?}")
    };
    assert_eq!(details.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(second.status().unwrap(), 503);
}

#[tokio::test]
async fn into_inner_gives_plain_wiremock_types() {
    // Arrange
    let server = MockServer::start().await;
    let builder: wiremock::MockBuilder = get_generation::When::new().into_inner();
    let template: wiremock::ResponseTemplate =
        get_generation::Then::not_found(&ApiError::default()).into_inner();
    builder
        .and(header("authorization", "Bearer sk-mr-test"))
        .respond_with(template)
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server.uri())
        .get(uuid::Uuid::new_v4())
        .await
        .unwrap_err();

    // Assert
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
}

#[test]
#[should_panic(expected = "client_error` takes a status within 400-499")]
fn a_range_responder_refuses_a_status_outside_its_range() {
    let _ = create_generation::Then::client_error(503, &ApiError::default());
}

#[test]
fn the_operations_constants_come_from_the_document() {
    assert_eq!(create_generation::METHOD, "POST");
    assert_eq!(
        get_generation::PATH,
        "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/{task_id}"
    );
}
