//! Every kind of failure becomes the `Error` variant a user can act on.

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::Error;
use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Reads a task from a server that always answers with `response`.
async fn get_answered_with(response: ResponseTemplate) -> Error {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(response)
        .mount(&server)
        .await;

    // Act
    client_for(&server).get(task_id()).await.unwrap_err()
}

#[tokio::test]
async fn a_401_for_a_key_given_in_code_says_to_check_that_key_rather_than_a_variable() {
    let error = get_answered_with(
        ResponseTemplate::new(401)
            .set_body_json(json!({"detail": "Invalid Authorization header format"})),
    )
    .await;
    let Error::Auth(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        details.detail.as_deref(),
        Some("Invalid Authorization header format")
    );
    insta::assert_snapshot!(error, @"authentication failed (401 Unauthorized): Invalid Authorization header format; check the API key the program gives the client (a key looks like sk-mr-…)");
}

#[tokio::test]
async fn a_403_is_an_auth_error_too() {
    let error =
        get_answered_with(ResponseTemplate::new(403).set_body_json(json!({"message": "no"}))).await;
    assert!(matches!(error, Error::Auth(d) if d.status == StatusCode::FORBIDDEN));
}

#[tokio::test]
async fn a_402_is_insufficient_balance() {
    let error = get_answered_with(
        ResponseTemplate::new(402).set_body_json(json!({"error": "Insufficient balance"})),
    )
    .await;
    let Error::InsufficientBalance(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(details.detail.as_deref(), Some("Insufficient balance"));
}

#[tokio::test]
async fn a_404_is_not_found() {
    let error = get_answered_with(
        ResponseTemplate::new(404).set_body_json(json!({"detail": "Task not found"})),
    )
    .await;
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn a_404_on_a_read_names_the_task_id_and_the_base_url_set_in_the_program() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Task not found"})))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    assert_eq!(
        error.to_string(),
        format!(
            "not found (404): Task not found; check the task id {TASK_ID}, and that the task was created at {} (the base URL set in the program)",
            server.uri()
        )
    );
}

#[tokio::test]
async fn a_404_on_a_create_names_the_base_url_and_no_task_id() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not Found"})))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server)
        .create(minimal_request())
        .await
        .unwrap_err();

    // Assert
    assert_eq!(
        error.to_string(),
        format!(
            "not found (404): Not Found; there is no create endpoint at {} (the base URL set in the program): check that the base URL is the server's root, without /vendors/…",
            server.uri()
        )
    );
}

#[tokio::test]
async fn a_rejection_with_both_codes_reports_code_the_name_of_a_rejected_requests_code() {
    // Arrange
    let body =
        json!({"task_info": {"status": "failed", "error": {"code": 2001, "error_code": 3005}}});

    // Act
    let error = get_answered_with(ResponseTemplate::new(400).set_body_json(body)).await;

    // Assert
    let Error::Api(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(details.code, Some(2001));
}

#[tokio::test]
async fn a_rejected_request_keeps_code_title_detail_violations_and_traceparent() {
    let body = json!({
        "task_info": {"id": null, "status": "failed", "error": {"code": 2001, "title": "Invalid Request", "detail": "duration too long"}},
        "violations": [{"pointer": "/duration", "rule": "maximum", "message": "99 is greater than the maximum of 15"}]
    });
    let error = get_answered_with(
        ResponseTemplate::new(400)
            .set_body_json(body)
            .insert_header(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
    )
    .await;
    let Error::Api(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(details.code, Some(2001));
    assert_eq!(details.title.as_deref(), Some("Invalid Request"));
    assert_eq!(details.violations[0].pointer, "/duration");
    insta::assert_snapshot!(error, @"the service answered 400 Bad Request: [2001] Invalid Request: duration too long (traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01); the service rejected the input");
}

#[tokio::test]
async fn error_objects_and_lists_are_rendered_readably() {
    let nested = get_answered_with(
        ResponseTemplate::new(409)
            .set_body_json(json!({"error": {"message": "Task already exists"}})),
    )
    .await;
    assert_eq!(
        nested.details().unwrap().detail.as_deref(),
        Some("Task already exists")
    );
    let list =
        get_answered_with(ResponseTemplate::new(422).set_body_json(
            json!({"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]}),
        ))
        .await;
    assert!(
        list.details()
            .unwrap()
            .detail
            .as_deref()
            .unwrap()
            .contains("field required")
    );
}

#[tokio::test]
async fn a_non_json_502_from_a_proxy_keeps_its_status_and_is_said_by_its_title() {
    // Arrange: every attempt gets the proxy's page, so the retries run out.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
            "text/html",
        ))
        .expect(4)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    let Error::Api(details) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(details.status, StatusCode::BAD_GATEWAY);
    insta::assert_snapshot!(error, @"the service answered 502 Bad Gateway: 502 Bad Gateway (an HTML page: a proxy or gateway answered, not the API); the service had a problem, try again later");
}

#[tokio::test]
async fn an_undocumented_success_status_is_an_unexpected_response() {
    let error = get_answered_with(ResponseTemplate::new(204)).await;
    assert!(
        matches!(
            error,
            Error::UnexpectedResponse {
                status: Some(StatusCode::NO_CONTENT),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_200_whose_body_breaks_the_document_is_an_unexpected_response() {
    let error = get_answered_with(
        ResponseTemplate::new(200).set_body_json(json!({"task_info": {"id": "not-a-uuid"}})),
    )
    .await;
    let Error::UnexpectedResponse {
        status,
        reason,
        body,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*status, Some(StatusCode::OK));
    assert!(
        reason.contains("does not match the API document"),
        "{reason}"
    );
    assert!(body.contains("not-a-uuid"));
}

#[tokio::test]
async fn a_body_with_a_huge_value_where_an_object_belongs_gives_a_short_error() {
    // Arrange: serde quotes the string it finds where the task's object belongs.
    let huge = "x".repeat(3_000_000);

    // Act
    let error =
        get_answered_with(ResponseTemplate::new(200).set_body_json(json!({"task_info": huge})))
            .await;

    // Assert: the error says what was expected and where, in a few hundred characters.
    let message = error.to_string();
    assert!(message.len() < 1000, "{} bytes", message.len());
    assert!(
        message.contains("does not match the API document: invalid type: string"),
        "{message}"
    );
    assert!(
        message.contains("expected struct TaskInfo at line 1"),
        "{message}"
    );
}

#[tokio::test]
async fn a_connection_that_cannot_be_made_is_a_transport_error_that_sent_nothing() {
    // Arrange: a port that was free a moment ago has no listener.
    let nothing = nothing_listening();
    let client = builder_at(&nothing).build().unwrap();

    // Act
    let error = client.create(minimal_request()).await.unwrap_err();

    // Assert: the message names the cause, not only "error sending request".
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
    assert!(error.to_string().contains("Connection refused"), "{error}");
    assert!(!error.task_may_exist(), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_asks_whether_a_server_is_running_at_the_base_url() {
    // Arrange: nothing listens there; the base URL has a path prefix, as behind a proxy.
    let nothing = nothing_listening();
    let base_url = format!("{nothing}/api");
    let client = builder_at(&base_url)
        .retry_policy(mulerouter_kling::RetryPolicy::none())
        .build()
        .unwrap();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert
    let text = error.to_string();
    assert!(text.contains("Connection refused"), "{text}");
    assert!(
        text.ends_with(&format!("; is a server running at {base_url}?")),
        "{text}"
    );
}

/// The error and its sources on one line, as `anyhow` prints `{:#}`.
fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

#[tokio::test]
async fn a_report_of_a_transport_errors_chain_names_its_cause_once() {
    // Arrange: nothing listens there.
    let nothing = nothing_listening();
    let client = builder_at(&nothing)
        .retry_policy(mulerouter_kling::RetryPolicy::none())
        .build()
        .unwrap();

    // Act
    let error = client.get(task_id()).await.unwrap_err();

    // Assert: the message is whole, so the chain has nothing to add.
    let report = report(&error);
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(report.matches("Connection refused").count(), 1, "{report}");
}

#[test]
fn a_report_of_a_wait_that_gave_up_names_its_last_failure_once() {
    // Arrange: a wait that gave up while its polls failed.
    let error = Error::Timeout {
        task_id: task_id(),
        last_status: None,
        last_failure: Some(Box::new(Error::Config("down for maintenance".to_string()))),
        waited: std::time::Duration::from_secs(10),
    };

    // Act
    let report = report(&error);

    // Assert
    assert_eq!(
        report.matches("down for maintenance").count(),
        1,
        "{report}"
    );
}

#[tokio::test]
async fn a_connection_dropped_after_the_request_warns_of_a_task_only_for_a_create() {
    // Arrange: a server that reads each request and hangs up.
    let server = RawServer::answering(Answer::HangUp).await;
    let client = builder_at(server.uri())
        .retry_policy(mulerouter_kling::RetryPolicy::none())
        .build()
        .unwrap();

    // Act
    let create = client.create(minimal_request()).await.unwrap_err();
    let read = client.get(task_id()).await.unwrap_err();

    // Assert: both may have arrived; only the create can have made something.
    for error in [&create, &read] {
        assert!(
            matches!(
                error,
                Error::Transport {
                    maybe_sent: true,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert!(
        create.to_string().ends_with(
            "; the create may have reached the service: check for a new task before creating again"
        ),
        "{create}"
    );
    assert!(!read.to_string().contains("create"), "{read}");
}

#[tokio::test]
async fn a_request_timeout_on_create_warns_that_the_task_may_exist() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(task_body("pending"))
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .request_timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();

    // Act
    let error = client.create(minimal_request()).await.unwrap_err();

    // Assert: not retried (expect(1)), and the message says why.
    assert!(
        matches!(
            error,
            Error::TimedOut {
                operation: mulerouter_kling::Operation::Create,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("check for a new task before retrying"),
        "{error}"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_says_where_it_points() {
    // Arrange: the base URL moved (http to https, a new path): a POST followed as a GET
    // would lose its body.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(301).insert_header("location", "https://api.example.com/v2"),
        )
        .expect(1)
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server)
        .create(minimal_request())
        .await
        .unwrap_err();

    // Assert: one request (`expect(1)`, verified when the server drops), not followed.
    insta::assert_snapshot!(error, @"unexpected response (301 Moved Permanently): the server redirects to https://api.example.com/v2; set the base URL to where it points (redirects are not followed: a create would lose its body)");
}

#[tokio::test]
async fn an_answer_about_another_task_is_refused() {
    // Arrange: a server (a caching proxy, say) that answers with some other task.
    let mut other = completed_body();
    other["task_info"]["id"] = json!("11111111-1111-4111-8111-111111111111");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(other))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    insta::assert_snapshot!(error, @"unexpected response: asked for task 8e1e315e-b50d-4334-a231-be7d19a372f4, the answer is about task 11111111-1111-4111-8111-111111111111");
}

#[tokio::test]
async fn an_html_page_answered_with_200_is_named_as_one() {
    // Arrange: a web site (or a captive portal) where the API should be.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!doctype html><html><head><title>Welcome to nginx!</title></head></html>",
            "text/html",
        ))
        .mount(&server)
        .await;

    // Act
    let error = client_for(&server).get(task_id()).await.unwrap_err();

    // Assert
    insta::assert_snapshot!(error, @r#"unexpected response (200 OK): an HTML page answered ("Welcome to nginx!"), not the API: is the base URL the API's?"#);
}
