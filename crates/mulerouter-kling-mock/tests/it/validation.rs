//! Every rule of the document's create body and path parameter, each broken on its own.

use mulerouter_kling::types::{CreateGenerationRequest, Element};
use mulerouter_kling_mock::{MockMuleRouter, document};
use serde_json::{Value, json};

use crate::common::{CREATE, Http, minimal};

/// `minimal()` with `changes` merged in (a `null` removes the key).
fn body_with(changes: Value) -> Value {
    let mut body = minimal();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

/// Sends `body` and asserts a 400 listing exactly these `(pointer, rule)` violations.
async fn assert_rejected(body: Value, expected: &[(&str, &str)]) {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let answer = http.create(&body).await;

    // Assert
    assert_eq!(answer.status, 400, "{}", answer.json());
    let error = &answer.json()["task_info"]["error"];
    assert_eq!(error["code"], 2001);
    assert_eq!(error["title"], "Invalid Request");
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect();
    assert_eq!(answer.violations(), expected, "{}", answer.json());
    assert_eq!(mock.stats().tasks, 0, "a rejected request creates nothing");
}

fn image(extra: Value) -> Value {
    let mut element =
        json!({ "type": "image", "reference_images": ["https://example.com/side.png"] });
    for (key, value) in extra.as_object().unwrap() {
        element[key] = value.clone();
    }
    element
}

#[tokio::test]
async fn a_missing_prompt_is_required() {
    assert_rejected(
        body_with(json!({ "prompt": null })),
        &[("/prompt", "required")],
    )
    .await;
}

#[tokio::test]
async fn a_missing_video_is_required() {
    assert_rejected(
        body_with(json!({ "video": null })),
        &[("/video", "required")],
    )
    .await;
}

#[tokio::test]
async fn an_empty_prompt_breaks_min_length() {
    assert_rejected(
        body_with(json!({ "prompt": "" })),
        &[("/prompt", "minLength")],
    )
    .await;
}

/// The document's rule for a request field, through the client's table: the limits here
/// follow the document instead of copying it.
fn rule(pointer: &str) -> &'static mulerouter_kling::rules::Rule {
    mulerouter_kling::rules::field(mulerouter_kling::rules::CREATE_GENERATION, pointer).unwrap()
}

fn max_length(pointer: &str) -> usize {
    rule(pointer).max_length.unwrap() as usize
}

/// A value the document does not list for `pointer`, whatever it lists.
fn unlisted(pointer: &str) -> String {
    let mut value = String::from("unlisted");
    while rule(pointer).enumeration.contains(&value.as_str()) {
        value.push('!');
    }
    value
}

#[tokio::test]
async fn a_prompt_one_character_over_its_max_length_breaks_it_counted_in_code_points() {
    assert_rejected(
        body_with(json!({ "prompt": "é".repeat(max_length("/prompt") + 1) })),
        &[("/prompt", "maxLength")],
    )
    .await;
}

#[tokio::test]
async fn a_prompt_of_max_length_multibyte_characters_is_accepted() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let prompt = "雨".repeat(max_length("/prompt"));

    // Act
    let answer = Http::new(&mock)
        .create(&body_with(json!({ "prompt": prompt })))
        .await;

    // Assert
    assert_eq!(answer.status, 200, "{}", answer.json());
}

#[tokio::test]
async fn a_prompt_that_is_not_a_string_breaks_type() {
    assert_rejected(body_with(json!({ "prompt": 42 })), &[("/prompt", "type")]).await;
}

#[tokio::test]
async fn a_video_that_is_not_http_breaks_pattern() {
    assert_rejected(
        body_with(json!({ "video": "ftp://example.com/a.mp4" })),
        &[("/video", "pattern")],
    )
    .await;
}

#[tokio::test]
async fn a_video_url_that_does_not_parse_breaks_format() {
    assert_rejected(
        body_with(json!({ "video": "https://[::1/a.mp4" })),
        &[("/video", "format")],
    )
    .await;
}

#[tokio::test]
async fn a_video_url_over_2048_characters_breaks_max_length() {
    let long = format!("https://example.com/{}", "a".repeat(2048));
    assert_rejected(
        body_with(json!({ "video": long })),
        &[("/video", "maxLength")],
    )
    .await;
}

#[tokio::test]
async fn a_negative_prompt_over_its_max_length_breaks_it() {
    let long = "x".repeat(max_length("/negative_prompt") + 1);
    assert_rejected(
        body_with(json!({ "negative_prompt": long })),
        &[("/negative_prompt", "maxLength")],
    )
    .await;
}

#[tokio::test]
async fn null_is_accepted_where_the_document_says_nullable() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let body = body_with(json!({
        "elements": [image(json!({ "frontal_image": null }))]
    }));
    let mut body = body;
    body["negative_prompt"] = Value::Null;
    body["aspect_ratio"] = Value::Null;

    // Act
    let answer = Http::new(&mock).create(&body).await;

    // Assert
    assert_eq!(answer.status, 200, "{}", answer.json());
}

#[tokio::test]
async fn keep_audio_that_is_not_a_boolean_breaks_type() {
    assert_rejected(
        body_with(json!({ "keep_audio": "yes" })),
        &[("/keep_audio", "type")],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_mode_breaks_enum() {
    let mode = unlisted("/mode");
    assert_rejected(body_with(json!({ "mode": mode })), &[("/mode", "enum")]).await;
}

#[tokio::test]
async fn an_unknown_aspect_ratio_breaks_enum() {
    assert_rejected(
        body_with(json!({ "aspect_ratio": unlisted("/aspect_ratio") })),
        &[("/aspect_ratio", "enum")],
    )
    .await;
}

#[tokio::test]
async fn a_duration_over_15_breaks_maximum() {
    assert_rejected(
        body_with(json!({ "duration": 16 })),
        &[("/duration", "maximum")],
    )
    .await;
}

#[tokio::test]
async fn a_duration_under_3_breaks_minimum() {
    assert_rejected(
        body_with(json!({ "duration": 2 })),
        &[("/duration", "minimum")],
    )
    .await;
}

#[tokio::test]
async fn a_fractional_duration_breaks_type() {
    assert_rejected(
        body_with(json!({ "duration": 5.5 })),
        &[("/duration", "type")],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_property_is_reported_at_the_property() {
    assert_rejected(
        body_with(json!({ "model_name": "kling-v3-omni" })),
        &[("/model_name", "additionalProperties")],
    )
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_breaks_type() {
    assert_rejected(json!(["prompt"]), &[("", "type")]).await;
}

#[tokio::test]
async fn five_elements_break_max_items() {
    let elements: Vec<Value> = (0..5).map(|_| image(json!({}))).collect();
    assert_rejected(
        body_with(json!({ "elements": elements })),
        &[("/elements", "maxItems")],
    )
    .await;
}

#[tokio::test]
async fn elements_that_are_not_an_array_break_type() {
    assert_rejected(
        body_with(json!({ "elements": {} })),
        &[("/elements", "type")],
    )
    .await;
}

#[tokio::test]
async fn an_element_without_a_type_is_told_so_at_the_type() {
    assert_rejected(
        body_with(json!({ "elements": [{ "reference_images": ["https://example.com/a.png"] }] })),
        &[("/elements/0/type", "required")],
    )
    .await;
}

#[tokio::test]
async fn an_element_of_an_unknown_type_breaks_enum() {
    assert_rejected(
        body_with(json!({ "elements": [{ "type": "audio" }] })),
        &[("/elements/0/type", "enum")],
    )
    .await;
}

#[tokio::test]
async fn an_element_that_is_not_an_object_breaks_type() {
    assert_rejected(
        body_with(json!({ "elements": ["image"] })),
        &[("/elements/0", "type")],
    )
    .await;
}

#[tokio::test]
async fn an_image_element_is_checked_against_the_image_branch_only() {
    assert_rejected(
        body_with(json!({ "elements": [{ "type": "image", "reference_videos": ["https://example.com/v.mp4"] }] })),
        &[
            ("/elements/0/reference_images", "required"),
            ("/elements/0/reference_videos", "additionalProperties"),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_image_element_without_reference_images_breaks_min_items() {
    assert_rejected(
        body_with(json!({ "elements": [image(json!({ "reference_images": [] }))] })),
        &[("/elements/0/reference_images", "minItems")],
    )
    .await;
}

#[tokio::test]
async fn an_image_element_with_four_reference_images_breaks_max_items() {
    let four = vec!["https://example.com/a.png"; 4];
    assert_rejected(
        body_with(json!({ "elements": [image(json!({ "reference_images": four }))] })),
        &[("/elements/0/reference_images", "maxItems")],
    )
    .await;
}

#[tokio::test]
async fn a_reference_image_that_is_neither_url_nor_base64_breaks_pattern() {
    assert_rejected(
        body_with(json!({ "elements": [image(json!({ "reference_images": ["not an image!"] }))] })),
        &[("/elements/0/reference_images/0", "pattern")],
    )
    .await;
}

#[tokio::test]
async fn an_empty_reference_image_is_one_violation_too_short_not_also_a_broken_pattern() {
    assert_rejected(
        body_with(json!({ "elements": [image(json!({ "reference_images": [""] }))] })),
        &[("/elements/0/reference_images/0", "minLength")],
    )
    .await;
}

#[tokio::test]
async fn a_frontal_image_that_is_not_an_image_source_breaks_pattern() {
    assert_rejected(
        body_with(json!({ "elements": [image(json!({ "frontal_image": "file:///etc/passwd" }))] })),
        &[("/elements/0/frontal_image", "pattern")],
    )
    .await;
}

#[tokio::test]
async fn base64_and_data_urls_are_image_sources() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let element = image(json!({
        "frontal_image": "data:image/png;base64,iVBORw0KGgo=",
        "reference_images": ["iVBORw0KGgo=", "https://example.com/b.jpg"]
    }));

    // Act
    let answer = Http::new(&mock)
        .create(&body_with(json!({ "elements": [element] })))
        .await;

    // Assert
    assert_eq!(answer.status, 200, "{}", answer.json());
}

#[tokio::test]
async fn a_video_element_without_reference_videos_breaks_min_items() {
    assert_rejected(
        body_with(json!({ "elements": [{ "type": "video", "reference_videos": [] }] })),
        &[("/elements/0/reference_videos", "minItems")],
    )
    .await;
}

#[tokio::test]
async fn a_video_element_is_checked_against_the_video_branch_only() {
    assert_rejected(
        body_with(json!({ "elements": [{ "type": "video", "reference_images": ["https://example.com/a.png"] }] })),
        &[
            ("/elements/0/reference_images", "additionalProperties"),
            ("/elements/0/reference_videos", "required"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_reference_video_that_is_not_a_url_is_one_pattern_violation_not_a_format_one_too() {
    assert_rejected(
        body_with(json!({ "elements": [{ "type": "video", "reference_videos": ["street.mp4"] }] })),
        &[("/elements/0/reference_videos/0", "pattern")],
    )
    .await;
}

#[tokio::test]
async fn a_relative_video_url_gets_one_violation_saying_an_http_url_is_wanted() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let answer = Http::new(&mock)
        .create(&body_with(json!({ "video": "/v.mp4" })))
        .await;

    // Assert
    assert_eq!(answer.violations(), [("/video".into(), "pattern".into())]);
    let message = answer.json()["violations"][0]["message"].clone();
    assert_eq!(
        message,
        "\"/v.mp4\" is not an http or https URL (printable ASCII, the host starting with a letter, a digit or `[`)"
    );
}

#[tokio::test]
async fn a_task_id_that_is_not_a_uuid_breaks_format() {
    // Arrange
    let mock = MockMuleRouter::start().await;

    // Act
    let answer = Http::new(&mock).get("not-a-uuid").await;

    // Assert
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.violations(),
        [("/task_id".to_string(), "format".to_string())]
    );
}

#[tokio::test]
async fn every_violation_of_a_bad_request_is_listed_in_the_documented_shape() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let body = json!({
        "prompt": "",
        "video": "ftp://example.com/a.mp4",
        "duration": 99,
        "mode": "ultra",
        "model_name": "kling-v3-omni",
        "elements": [
            { "type": "image", "reference_images": [] },
            { "type": "video", "reference_videos": ["https://example.com/ok.mp4"], "extra": true }
        ]
    });

    // Act
    let answer = Http::new(&mock).create(&body).await;

    // Assert
    assert_eq!(answer.status, 400);
    insta::assert_json_snapshot!(answer.json());
}

#[test]
fn the_mock_and_the_client_name_the_same_field_and_rule() {
    // Arrange: requests the client's types can hold but its checks refuse.
    let base = || {
        CreateGenerationRequest::builder()
            .prompt("p")
            .video("https://example.com/v.mp4")
    };
    let image = |n: usize| Element::Image {
        frontal_image: None,
        reference_images: vec!["https://example.com/a.png".try_into().unwrap(); n],
    };
    let cases: Vec<CreateGenerationRequest> = vec![
        base().duration(99).try_into().unwrap(),
        base().duration(1).try_into().unwrap(),
        base().elements(vec![image(1); 5]).try_into().unwrap(),
        base().elements(vec![image(0)]).try_into().unwrap(),
        base().elements(vec![image(4)]).try_into().unwrap(),
        base()
            .elements(vec![Element::Video {
                reference_videos: vec![],
            }])
            .try_into()
            .unwrap(),
    ];
    for request in cases {
        // Act
        let client: Vec<(String, String)> = mulerouter_kling::validate(&request)
            .unwrap_err()
            .violations()
            .iter()
            .map(|v| (v.pointer.clone(), v.rule.to_string()))
            .collect();
        let mock: Vec<(String, String)> = document::validate_request_body(
            "POST",
            CREATE,
            &serde_json::to_value(&request).unwrap(),
        )
        .unwrap_err()
        .into_iter()
        .map(|v| (v.pointer, v.rule.to_string()))
        .collect();

        // Assert
        assert_eq!(mock, client, "{request:?}");
    }
}
