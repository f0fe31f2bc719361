//! What goes on the wire: the JSON the client sends, and the headers with it.

use crate::common::*;
use mulerouter_kling::reqwest;
use mulerouter_kling::types::{AspectRatio, CreateGenerationRequest, Element, Mode};
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Creates a task against a fresh server and returns the JSON body it received.
async fn sent_body(request: CreateGenerationRequest) -> Value {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("pending")))
        .expect(1)
        .mount(&server)
        .await;

    // Act
    client_for(&server).create(request).await.unwrap();

    // Assert
    let received = server.received_requests().await.unwrap();
    serde_json::from_slice(&received[0].body).unwrap()
}

#[tokio::test]
async fn a_minimal_request_sends_the_required_fields_and_the_documented_defaults() {
    insta::assert_json_snapshot!(sent_body(minimal_request()).await);
}

#[tokio::test]
async fn a_full_request_sends_every_field_and_tagged_elements() {
    let request = CreateGenerationRequest::builder()
        .prompt("The dancer from <<<element_1>>> performs in the street from <<<element_2>>>")
        .video("https://example.com/source-video.mp4")
        .negative_prompt(Some("blurry, low quality".parse().unwrap()))
        .keep_audio(true)
        .mode(Some(Mode::Std))
        .aspect_ratio(Some(AspectRatio::X916))
        .duration(10)
        .elements(vec![
            Element::Image {
                frontal_image: Some("https://example.com/front.png".parse().unwrap()),
                reference_images: vec!["https://example.com/side.png".parse().unwrap()],
            },
            Element::Video {
                reference_videos: vec!["https://example.com/street.mp4".parse().unwrap()],
            },
        ]);
    insta::assert_json_snapshot!(sent_body(request.try_into().unwrap()).await);
}

#[tokio::test]
async fn requests_carry_the_bearer_token_and_json_content_type() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("pending")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(task_path()))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("running")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    // Act
    let created = client.create(minimal_request()).await.unwrap();
    let read = client.get(created.task_info.id).await.unwrap();

    // Assert: the `expect(1)`s are verified when the server drops.
    assert_eq!(read.task_info.status.as_str(), "running");
}

#[tokio::test]
async fn a_202_answer_to_create_is_accepted_like_a_200() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(task_body("pending")))
        .mount(&server)
        .await;

    // Act
    let created = client_for(&server).create(minimal_request()).await.unwrap();

    // Assert
    assert_eq!(created.task_info.id, task_id());
}

#[tokio::test]
async fn responses_with_unknown_fields_and_statuses_still_parse() {
    // Arrange
    let server = MockServer::start().await;
    let mut body = task_body("upscaling");
    body["task_info"]["progress"] = serde_json::json!(0.4);
    body["billing"] = serde_json::json!({"credits": 12});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;

    // Act
    let task = client_for(&server).get(task_id()).await.unwrap();

    // Assert
    assert_eq!(
        task.task_info.status,
        mulerouter_kling::TaskStatus::Unknown("upscaling".into())
    );
    assert!(!task.task_info.status.is_final());
}

#[tokio::test]
async fn the_http_client_can_be_set_up_further_and_the_key_still_holds() {
    // Arrange: a "proxy" on this machine that answers itself; the service's host is one that
    // never resolves, so an answer proves the request went through the proxy. The setup also
    // tries to replace the key.
    let proxy = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-team", "video"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("pending")))
        .expect(1)
        .mount(&proxy)
        .await;
    let proxy_uri = proxy.uri();
    let client = builder_at("http://api.mulerouter.invalid")
        .http(move |http| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("x-team", "video".parse().unwrap());
            headers.insert("authorization", "Bearer someone-else".parse().unwrap());
            http.default_headers(headers)
                .proxy(reqwest::Proxy::http(&proxy_uri).unwrap())
        })
        .build()
        .unwrap();

    // Act
    let created = client.create(minimal_request()).await;

    // Assert: the `expect(1)` is verified when the proxy drops.
    assert!(created.is_ok(), "{created:?}");
}

#[tokio::test]
async fn an_app_may_name_itself_in_the_user_agent() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("user-agent", "my-app/1.2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body("processing")))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder_at(&server.uri())
        .http(|http| http.user_agent("my-app/1.2"))
        .build()
        .unwrap();

    // Act
    let read = client.get(task_id()).await;

    // Assert: the `expect(1)` is verified when the server drops.
    assert!(read.is_ok(), "{read:?}");
}

#[test]
fn an_http_setup_that_cannot_be_built_says_why() {
    // Arrange: a root certificate that is not one.
    let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let certificate = reqwest::Certificate::from_pem(pem).unwrap();

    // Act
    let error = builder_at("http://127.0.0.1:1")
        .http(move |http| http.add_root_certificate(certificate.clone()))
        .build()
        .unwrap_err();

    // Assert: more than reqwest's "builder error".
    let text = error.to_string();
    assert!(
        text.starts_with("configuration error: cannot build the HTTP client: builder error: ")
            && text.contains("certificate"),
        "{text}"
    );
}
