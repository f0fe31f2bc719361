//! Which answers a read is retried on, status by status, as a server sends them.

use crate::common::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How many requests one read makes when the server answers `status` once, then the task.
async fn requests_for_one_read_after(status: u16) -> usize {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(status).set_body_json(serde_json::json!({"detail": "no"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("processing")))
        .mount(&server)
        .await;

    // Act
    let result = client_for(&server).get(task_id()).await;

    // Assert
    let requests = server.received_requests().await.unwrap().len();
    assert_eq!(result.is_ok(), requests == 2, "{status}: {result:?}");
    requests
}

#[tokio::test]
async fn a_read_is_retried_after_throttling_and_server_errors_and_after_nothing_else() {
    for status in [429, 500, 502, 503, 504] {
        assert_eq!(requests_for_one_read_after(status).await, 2, "{status}");
    }
    for status in [400, 401, 402, 403, 404, 409, 410, 501] {
        assert_eq!(requests_for_one_read_after(status).await, 1, "{status}");
    }
}
