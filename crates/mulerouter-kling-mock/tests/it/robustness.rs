//! Bad input of every kind gets a clear 4xx in the documented shape: never a 5xx, a panic or
//! a hang.

use std::time::Duration;

use mulerouter_kling_mock::{MockMuleRouter, document::MAX_BODY_BYTES};
use serde_json::{Value, json};

use crate::common::{CREATE, Http, get_path, minimal};

#[tokio::test]
async fn malformed_json_gets_the_documented_error_body() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "application/json")
                .body(r#"{"prompt": "a", "video": }"#),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["task_info"]["error"]["code"], 2001);
    assert_eq!(answer.violations(), [(String::new(), "json".to_string())]);
    let detail = answer.json()["task_info"]["error"]["detail"].to_string();
    assert!(detail.contains("line 1 column"), "{detail}");
}

#[tokio::test]
async fn an_empty_body_is_a_required_body_missing() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "application/json"),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.violations(),
        [(String::new(), "required".to_string())]
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_gets_415() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "text/plain")
                .body(minimal().to_string()),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["detail"],
        "Content-Type must be application/json, got \"text/plain\""
    );
}

#[tokio::test]
async fn a_body_without_a_content_type_gets_415() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(http.request("POST", CREATE).body(minimal().to_string()))
        .await;

    // Assert
    assert_eq!(answer.status, 415);
}

#[tokio::test]
async fn a_compressed_body_gets_415_naming_its_encoding_not_a_json_error() {
    // Arrange: gzip's magic bytes, as a client that compresses its uploads sends them.
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(vec![0x1f, 0x8b, 0x08, 0x00]),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["detail"],
        "Content-Encoding \"gzip\" is not accepted: send the JSON body uncompressed"
    );
    assert_eq!(answer.header("accept-encoding"), Some("identity"));
    assert_eq!(mock.stats().tasks, 0);
}

#[tokio::test]
async fn a_json_content_type_with_parameters_and_odd_case_is_accepted() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "Application/JSON; charset=utf-8")
                .body(minimal().to_string()),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn a_body_over_the_documented_32_mib_gets_413_and_one_at_the_limit_does_not() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    let at_limit = |size: usize| {
        let prefix =
            r#"{"prompt": "p", "video": "https://example.com/v.mp4", "negative_prompt": ""#;
        let padding = size - prefix.len() - 2;
        format!("{prefix}{}\"}}", "x".repeat(padding))
    };

    // Act
    let over = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "application/json")
                .body(at_limit(MAX_BODY_BYTES + 1)),
        )
        .await;
    let limit = http
        .send(
            http.request("POST", CREATE)
                .header("content-type", "application/json")
                .body(at_limit(MAX_BODY_BYTES)),
        )
        .await;

    // Assert
    assert_eq!(over.status, 413);
    assert!(over.json()["detail"].as_str().unwrap().contains("33554432"));
    assert_eq!(
        limit.status, 400,
        "at the limit: checked, not refused for size"
    );
    assert_eq!(
        limit.violations(),
        [("/negative_prompt".to_string(), "maxLength".to_string())]
    );
    assert!(limit.body.len() < 2048, "a huge value is not echoed back");
}

#[tokio::test]
async fn a_missing_authorization_header_gets_401() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http
        .send(
            reqwest::Client::new()
                .post(format!("{}{CREATE}", mock.uri()))
                .json(&minimal()),
        )
        .await;

    // Assert
    assert_eq!(answer.status, 401);
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("Missing Authorization header")
    );
    assert_eq!(mock.stats().tasks, 0);
}

#[tokio::test]
async fn an_authorization_header_without_the_bearer_scheme_gets_401_invalid_format() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    for value in ["sk-mr-test", "Basic c2stbXI=", "Bearer", "Bearer  "] {
        // Act
        let answer = http
            .send(
                reqwest::Client::new()
                    .get(format!(
                        "{}{}",
                        mock.uri(),
                        get_path(&uuid::Uuid::new_v4().to_string())
                    ))
                    .header("authorization", value),
            )
            .await;

        // Assert
        assert_eq!(answer.status, 401, "{value}");
        let detail = answer.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.starts_with("Invalid Authorization header format"),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_gets_401_when_one_key_is_configured() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .api_key("sk-mr-right")
        .start()
        .await;
    let http = Http::new(&mock);

    // Act
    let wrong = http.create(&minimal()).await;
    let right = http
        .send(
            reqwest::Client::new()
                .post(format!("{}{CREATE}", mock.uri()))
                .bearer_auth("sk-mr-right")
                .json(&minimal()),
        )
        .await;

    // Assert
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json()["detail"],
        "Invalid API key: this is not the key the mock was started with"
    );
    assert_eq!(right.status, 200);
}

#[tokio::test]
async fn an_unknown_task_id_gets_404_saying_finished_tasks_expire_after_the_mocks_ttl() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .task_ttl(Duration::from_secs(90))
        .start()
        .await;

    // Act
    let answer = Http::new(&mock)
        .get(&uuid::Uuid::new_v4().to_string())
        .await;

    // Assert
    assert_eq!(answer.status, 404);
    let body = answer.json();
    let detail = body["detail"].as_str().unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(detail.starts_with("Task not found: "), "{detail}");
    assert!(
        detail.contains("finished more than 90s ago") && detail.contains("--task-ttl"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_unknown_task_is_404_also_when_finished_tasks_never_expire() {
    // Arrange: the longest TTL there is, as a test that wants tasks kept for good gives it.
    let mock = MockMuleRouter::builder()
        .task_ttl(Duration::MAX)
        .start()
        .await;

    // Act
    let answer = Http::new(&mock)
        .get(&uuid::Uuid::new_v4().to_string())
        .await;

    // Assert: not a 500 from writing the TTL in its message.
    assert_eq!(answer.status, 404, "{}", answer.json());
}

#[tokio::test]
async fn an_unknown_path_gets_404_in_the_documented_shape() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    for path in [
        "/",
        "/vendors/klingai/v1/kling-v3-omni/text-to-video/generation",
        &format!("{CREATE}/"),
        &format!("{CREATE}/{}/extra", uuid::Uuid::new_v4()),
    ] {
        // Act
        let answer = http.send(http.request("GET", path)).await;

        // Assert
        assert_eq!(answer.status, 404, "{path}");
        assert!(
            answer.json()["detail"]
                .as_str()
                .unwrap()
                .starts_with("Not Found")
        );
    }
}

#[tokio::test]
async fn a_wrong_method_gets_405_with_allow() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let on_create = http.send(http.request("GET", CREATE)).await;
    let on_task = http
        .send(http.request("DELETE", &get_path(&uuid::Uuid::new_v4().to_string())))
        .await;
    let put = http
        .send(http.request("PUT", CREATE).json(&minimal()))
        .await;

    // Assert
    assert_eq!(on_create.status, 405);
    assert_eq!(on_create.header("allow"), Some("POST"));
    assert_eq!(on_task.status, 405);
    assert_eq!(on_task.header("allow"), Some("GET, HEAD"));
    assert_eq!(put.header("allow"), Some("POST"));
}

#[tokio::test]
async fn non_ascii_property_names_are_reported_in_the_body_not_in_headers() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let mut body = minimal();
    body["prömpt"] = json!("a");
    body["动画"] = json!(1);
    body["emoji 🎬/~"] = json!(true);

    // Act
    let answer = Http::new(&mock).create(&body).await;

    // Assert
    assert_eq!(answer.status, 400);
    let mut pointers: Vec<String> = answer.violations().into_iter().map(|(p, _)| p).collect();
    pointers.sort();
    assert_eq!(pointers, ["/emoji 🎬~1~0", "/prömpt", "/动画"]);
    for (name, value) in &answer.headers {
        assert!(value.to_str().is_ok(), "header {name} is not plain ASCII");
    }
}

#[tokio::test]
async fn a_megabyte_long_property_name_yields_a_small_answer() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let mut body = minimal();
    body["k".repeat(1 << 20)] = json!(1);
    body["prompt"] = json!("p".repeat(1 << 20));

    // Act
    let answer = Http::new(&mock).create(&body).await;

    // Assert
    assert_eq!(answer.status, 400);
    assert_eq!(answer.violations().len(), 2);
    assert!(answer.body.len() < 4096, "{} bytes", answer.body.len());
}

#[tokio::test]
async fn thousands_of_violations_are_listed_up_to_a_bound() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let mut body = minimal();
    for i in 0..5000 {
        body[format!("unknown_{i}")] = json!(i);
    }

    // Act
    let answer = Http::new(&mock).create(&body).await;

    // Assert
    assert_eq!(answer.status, 400);
    assert_eq!(answer.violations().len(), 100);
    let detail = answer.json()["task_info"]["error"]["detail"].to_string();
    assert!(detail.contains("more than 100 violations"), "{detail}");
}

#[tokio::test]
async fn odd_bodies_never_get_a_server_error() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"null".to_vec(),
        b"\"text\"".to_vec(),
        b"12".to_vec(),
        b"{}".to_vec(),
        b"{\"prompt\": \"\xff\xfe\"}".to_vec(),
        vec![0xff; 64],
        b"\xef\xbb\xbf{}".to_vec(),
        deep.into_bytes(),
        br#"{"prompt": "a", "prompt": "b", "video": "https://e.com/v.mp4"}"#.to_vec(),
        br#"{"prompt": "p", "video": "https://e.com/v.mp4", "duration": 1e400}"#.to_vec(),
        br#"{"prompt": "p", "video": "https://e.com/v.mp4", "duration": 99999999999999999999999}"#
            .to_vec(),
        br#"{"prompt": "p\u0000", "video": "https://e.com/\u2028"}"#.to_vec(),
    ];

    for body in bodies {
        // Act
        let answer = http
            .send(
                http.request("POST", CREATE)
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
            .await;

        // Assert
        assert!(
            (200..500).contains(&answer.status),
            "{} for {}",
            answer.status,
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn odd_paths_and_methods_never_get_a_server_error() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    let long = "a".repeat(8000);
    let paths = [
        format!("{CREATE}/%ff%fe"),
        format!("{CREATE}/%"),
        format!("{CREATE}/{long}"),
        format!("{CREATE}/..%2F..%2Fetc"),
        "/files/x/result_000.mp4".to_string(),
        format!("/files/{}/result_000.mp4", uuid::Uuid::new_v4()),
        "/__admin/tasks".to_string(),
    ];

    for path in &paths {
        for method in ["GET", "POST", "HEAD", "OPTIONS", "PATCH"] {
            // Act
            let answer = http.send(http.request(method, path)).await;

            // Assert
            assert!(
                (200..500).contains(&answer.status),
                "{method} {path}: {}",
                answer.status
            );
        }
    }
}

#[tokio::test]
async fn the_error_body_of_a_bad_task_id_names_the_parameter() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let answer = Http::new(&mock).get("12345").await;

    // Assert
    let json: Value = answer.json();
    assert_eq!(
        json["task_info"]["error"]["detail"],
        "task_id: \"12345\" is not a valid \"uuid\" (path parameter)"
    );
}
