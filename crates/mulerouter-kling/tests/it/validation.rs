//! Input the service would reject is refused before anything is sent.

use crate::common::*;
use mulerouter_kling::types::{CreateGenerationRequest, Element};
use mulerouter_kling::{Client, Error, InvalidInput, parse_request};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn url(text: &str) -> mulerouter_kling::types::HttpUrl {
    text.parse().unwrap()
}

fn image(text: &str) -> mulerouter_kling::types::ImageSource {
    text.parse().unwrap()
}

fn image_element(count: usize) -> Element {
    Element::Image {
        frontal_image: None,
        reference_images: (0..count)
            .map(|i| image(&format!("https://example.com/{i}.png")))
            .collect(),
    }
}

fn with(change: impl FnOnce(&mut CreateGenerationRequest)) -> CreateGenerationRequest {
    let mut request = minimal_request();
    change(&mut request);
    request
}

/// A valid request as JSON, with `change` applied.
fn json_with(change: impl FnOnce(&mut Value)) -> Value {
    let mut request = json!({
        "prompt": "A paper boat on a rainy street",
        "video": "https://example.com/source.mp4",
    });
    change(&mut request);
    request
}

/// A broken request as a user has it: typed (what the types can hold), or JSON read from a
/// file or another program (anything at all).
enum Broken {
    Typed(CreateGenerationRequest),
    Json(Value),
}

/// The document's rule for a request field (the client's table, generated from it): the
/// limits below follow the document instead of copying it.
fn rule(pointer: &str) -> &'static mulerouter_kling::rules::Rule {
    mulerouter_kling::rules::field(mulerouter_kling::rules::CREATE_GENERATION, pointer).unwrap()
}

fn max_length(pointer: &str) -> usize {
    rule(pointer).max_length.unwrap() as usize
}

/// The smallest and largest `duration`.
fn durations() -> (i64, i64) {
    let duration = rule("/duration");
    (
        duration.minimum.unwrap() as i64,
        duration.maximum.unwrap() as i64,
    )
}

/// A value the document does not list for `pointer`, whatever it lists.
fn unlisted(pointer: &str) -> String {
    let mut value = String::from("unlisted");
    while rule(pointer).enumeration.contains(&value.as_str()) {
        value.push('!');
    }
    value
}

/// Every way to break a rule.
fn broken_requests() -> Vec<(&'static str, Broken)> {
    use Broken::{Json, Typed};
    let (shortest, longest) = durations();
    let remove =
        |key: &'static str| Json(json_with(|r| drop(r.as_object_mut().unwrap().remove(key))));
    let set = |key: &str, value: Value| Json(json_with(|r| r[key] = value));
    let elements = |elements: Value| set("elements", elements);
    vec![
        ("prompt missing", remove("prompt")),
        ("video missing", remove("video")),
        ("prompt empty", set("prompt", json!(""))),
        (
            "prompt too long",
            set("prompt", json!("é".repeat(max_length("/prompt") + 1))),
        ),
        ("prompt null", set("prompt", Value::Null)),
        ("prompt not a string", set("prompt", json!(42))),
        (
            "negative prompt too long",
            set(
                "negative_prompt",
                json!("x".repeat(max_length("/negative_prompt") + 1)),
            ),
        ),
        (
            "video not http",
            set("video", json!("ftp://example.com/v.mp4")),
        ),
        (
            "video with white space",
            set("video", json!("https://example.com/my video.mp4")),
        ),
        (
            "video too long",
            set(
                "video",
                json!(format!(
                    "https://example.com/{}",
                    "a".repeat(max_length("/video"))
                )),
            ),
        ),
        (
            "video host invalid",
            Typed(with(|r| r.video = url("https://[::1/v.mp4"))),
        ),
        (
            "video bad escape",
            Typed(with(|r| r.video = url("https://example.com/a%zzb.mp4"))),
        ),
        ("video host empty", set("video", json!("http://:80/v.mp4"))),
        (
            "video not ASCII",
            set("video", json!("https://例子.测试/v.mp4")),
        ),
        ("keep audio not a boolean", set("keep_audio", json!("yes"))),
        ("mode unknown", set("mode", json!(unlisted("/mode")))),
        (
            "aspect ratio unknown",
            set("aspect_ratio", json!(unlisted("/aspect_ratio"))),
        ),
        (
            "duration too short",
            Typed(with(|r| r.duration = shortest - 1)),
        ),
        (
            "duration too long",
            Typed(with(|r| r.duration = longest + 1)),
        ),
        ("duration negative", Typed(with(|r| r.duration = -5))),
        ("duration not whole", set("duration", json!(5.5))),
        (
            "one element too many",
            Typed(with(|r| {
                let most = rule("/elements").max_items.unwrap() as usize;
                r.elements = (0..=most).map(|_| image_element(1)).collect()
            })),
        ),
        ("elements not a list", elements(json!({"type": "video"}))),
        (
            "element without a type",
            elements(json!([{"reference_videos": ["https://e.com/v.mp4"]}])),
        ),
        (
            "element of an unknown type",
            elements(json!([{"type": "sound", "reference_videos": ["https://e.com/v.mp4"]}])),
        ),
        (
            "element with a field of the other type",
            elements(
                json!([{"type": "video", "reference_videos": ["https://e.com/v.mp4"], "reference_images": ["iVBORw0KGgo="]}]),
            ),
        ),
        (
            "image element without reference images",
            Typed(with(|r| r.elements = vec![image_element(0)])),
        ),
        (
            "image element with four reference images",
            Typed(with(|r| r.elements = vec![image_element(4)])),
        ),
        (
            "image element with an image that is neither a URL nor Base64",
            elements(json!([{"type": "image", "reference_images": ["not an image!"]}])),
        ),
        (
            "image element with a frontal image that is not a string",
            elements(
                json!([{"type": "image", "frontal_image": 7, "reference_images": ["iVBORw0KGgo="]}]),
            ),
        ),
        (
            "video element without reference videos",
            Typed(with(|r| {
                r.elements = vec![Element::Video {
                    reference_videos: vec![],
                }]
            })),
        ),
        (
            "video element with a bad URL",
            Typed(with(|r| {
                r.elements = vec![
                    image_element(1),
                    Element::Video {
                        reference_videos: vec![
                            url("https://ok.example/a.mp4"),
                            url("https://[::1/b.mp4"),
                        ],
                    },
                ]
            })),
        ),
        ("unknown field", set("model_name", json!("kling-v3-omni"))),
        ("body not an object", Json(json!(["a paper boat"]))),
        (
            "several rules at once",
            Typed(with(|r| {
                r.duration = 99;
                r.video = url("https://[::1/v.mp4");
                r.elements = vec![image_element(0); 5];
            })),
        ),
    ]
}

/// A server that fails the test if anything arrives, and a client pointed at it.
async fn server_expecting_nothing() -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server);
    (server, client)
}

/// Hands one broken request (`case`) to the client as a user would: typed to `create`, JSON
/// through `parse_request` and then to `create`.
async fn refusal(client: &Client, case: &str, request: Broken) -> InvalidInput {
    let result = match request {
        Broken::Typed(request) => client.create(request).await,
        Broken::Json(json) => match parse_request(&json) {
            Ok(request) => client.create(request).await,
            Err(input) => Err(Error::InvalidInput(input)),
        },
    };
    match result {
        Err(Error::InvalidInput(input)) => input,
        other => panic!("{case}: expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn every_broken_rule_is_refused_with_the_field_and_the_rule_and_nothing_is_sent() {
    // Arrange
    let (server, client) = server_expecting_nothing().await;
    let mut report = String::new();

    for (case, request) in broken_requests() {
        // Act
        let input = refusal(&client, case, request).await;

        // Assert
        assert!(!input.violations().is_empty(), "{case}");
        report.push_str(&format!("{case}:\n"));
        for violation in input.violations() {
            report.push_str(&format!(
                "  {} [{}] {}\n",
                violation.pointer, violation.rule, violation.message
            ));
        }
        report.push_str(&format!("  => {}\n", Error::InvalidInput(input)));
    }
    insta::assert_snapshot!(report);
    server.verify().await;
}

#[tokio::test]
async fn a_value_the_builder_refused_is_reported_at_its_field_and_nothing_is_sent() {
    // Arrange: the builder keeps only its own message for a value it refuses.
    let (server, client) = server_expecting_nothing().await;
    let cases = [
        (
            CreateGenerationRequest::builder()
                .prompt("")
                .video("https://example.com/v.mp4"),
            "/prompt",
        ),
        (
            CreateGenerationRequest::builder()
                .prompt("A paper boat")
                .video("ftp://example.com/v.mp4"),
            "/video",
        ),
        (
            CreateGenerationRequest::builder().video("https://example.com/v.mp4"),
            "/prompt",
        ),
    ];

    for (builder, pointer) in cases {
        // Act
        let error = client.create(builder).await.unwrap_err();

        // Assert
        let Error::InvalidInput(input) = error else {
            panic!("expected InvalidInput, got {error:?}");
        };
        let [violation] = input.violations() else {
            panic!("expected one violation: {input:?}");
        };
        assert_eq!(
            (violation.pointer.as_str(), violation.rule.as_str()),
            (pointer, "builder")
        );
        assert!(!violation.message.is_empty());
    }
    server.verify().await;
}

#[tokio::test]
async fn all_violations_of_one_request_are_reported_together() {
    // Arrange
    let request = with(|r| {
        r.duration = 1;
        r.elements = vec![
            image_element(0),
            Element::Video {
                reference_videos: vec![],
            },
        ];
    });

    let (server, client) = server_expecting_nothing().await;

    // Act
    let input = refusal(&client, "three rules at once", Broken::Typed(request)).await;

    // Assert
    server.verify().await;
    let pointers: Vec<_> = input
        .violations()
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(
        pointers,
        [
            ("/duration", "minimum"),
            ("/elements/0/reference_images", "minItems"),
            ("/elements/1/reference_videos", "minItems"),
        ]
    );
}

#[test]
fn requests_at_the_limits_are_valid() {
    let (shortest, longest) = durations();
    let at_limits = with(|r| {
        r.prompt = "é".repeat(max_length("/prompt")).parse().unwrap();
        r.duration = longest;
        r.elements = vec![
            image_element(3),
            image_element(1),
            Element::Video {
                reference_videos: vec![url("https://example.com/a.mp4")],
            },
            Element::Image {
                frontal_image: Some(image("data:image/png;base64,iVBORw0KGgo=")),
                reference_images: vec![image("iVBORw0KGgo=")],
            },
        ];
    });
    assert_eq!(mulerouter_kling::validate(&at_limits), Ok(()));
    assert_eq!(
        mulerouter_kling::validate(&with(|r| r.duration = shortest)),
        Ok(())
    );
}

#[test]
fn a_request_read_from_json_reports_every_broken_rule_not_only_the_first() {
    // Arrange
    let json = json!({
        "prompt": "",
        "video": "ftp://example.com/v.mp4",
        "mode": unlisted("/mode"),
        "elements": [{"type": "image", "reference_images": []}],
        "model_name": "kling",
    });

    // Act
    let input = parse_request(&json).unwrap_err();

    // Assert
    let found: Vec<_> = input
        .violations()
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("/elements/0/reference_images", "minItems"),
            ("/mode", "enum"),
            ("/model_name", "additionalProperties"),
            ("/prompt", "minLength"),
            ("/video", "pattern"),
        ]
    );
}

#[test]
fn a_request_read_from_json_at_the_limits_is_the_request_it_describes() {
    // Arrange
    let (_, longest) = durations();
    let json = json!({
        "prompt": "é".repeat(max_length("/prompt")),
        "video": "https://example.com/v.mp4",
        "negative_prompt": null,
        "aspect_ratio": null,
        "duration": longest,
        "elements": [
            {"type": "image", "frontal_image": "data:image/png;base64,iVBORw0KGgo=", "reference_images": ["iVBORw0KGgo=", "https://example.com/a.png", "data:image/jpeg;base64,/9j/4AAQ"]},
            {"type": "video", "reference_videos": ["https://example.com/a.mp4"]},
        ],
    });

    // Act
    let request = parse_request(&json).unwrap();

    // Assert
    assert_eq!(request.duration, longest);
    assert_eq!(request.prompt.chars().count(), max_length("/prompt"));
    assert_eq!(request.elements.len(), 2);
    assert_eq!(mulerouter_kling::validate(&request), Ok(()));
}

#[test]
fn an_empty_image_source_is_one_violation_too_short_not_also_a_broken_pattern() {
    let json = json_with(|r| {
        r["elements"] = json!([{"type": "image", "reference_images": [""]}]);
    });

    let input = parse_request(&json).unwrap_err();

    let found: Vec<_> = input
        .violations()
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(found, [("/elements/0/reference_images/0", "minLength")]);
}

#[test]
fn a_whole_number_written_as_a_decimal_is_refused_where_the_type_cannot_hold_it() {
    // The document's `integer` admits 5.0; the request's i64 does not, and says where.
    let input = parse_request(&json_with(|r| r["duration"] = json!(5.0))).unwrap_err();
    assert_eq!(input.violations()[0].pointer, "/duration");
    assert_eq!(input.violations()[0].rule, "type");
}

#[test]
fn a_request_from_plain_values_lists_every_broken_rule_and_converts_with_the_question_mark() {
    // Arrange
    fn request(
        prompt: &str,
        video: &str,
        aspect_ratio: &str,
    ) -> Result<CreateGenerationRequest, Error> {
        Ok(parse_request(&json!({
            "prompt": prompt,
            "video": video,
            "negative_prompt": "blurry",
            "aspect_ratio": aspect_ratio,
        }))?)
    }

    // Act
    let error = request("", "not a url", "4:3").unwrap_err();

    // Assert
    insta::assert_snapshot!(error, @r#"invalid request, nothing was sent: aspect_ratio: "4:3" is not one of "16:9", "9:16", "1:1" (enum); prompt: must not be empty (minLength); video: "not a url" is not an http or https URL (printable ASCII, the host starting with a letter, a digit or `[`) (pattern)"#);
}

/// A request with three inlined images of `each` Base64 characters: each within its own
/// 10 MB when `each` is under about 13 MB.
fn with_inlined_images(each: usize) -> CreateGenerationRequest {
    with(|r| {
        r.elements = vec![Element::Image {
            frontal_image: None,
            reference_images: vec![image(&"A".repeat(each)); 3],
        }]
    })
}

/// The JSON size of a request, as it is sent.
fn json_size(request: &CreateGenerationRequest) -> usize {
    serde_json::to_vec(request).unwrap().len()
}

#[tokio::test]
async fn a_body_over_the_documented_size_is_refused_before_the_upload_saying_what_to_do() {
    // Arrange: images each within its own 10 MB, together over the body limit.
    let (server, client) = server_expecting_nothing().await;
    let limit = mulerouter_kling::rules::CREATE_GENERATION_MAX_BODY_BYTES;
    let request = with_inlined_images(limit / 3 + 1);

    // Act
    let result = client.create(request).await;

    // Assert
    let Err(Error::InvalidInput(input)) = result else {
        panic!("expected InvalidInput, got {result:?}");
    };
    let violation = &input.violations()[0];
    assert_eq!(
        (violation.pointer.as_str(), violation.rule.as_str()),
        ("", "x-max-body-bytes")
    );
    assert!(
        violation
            .message
            .contains("over the 32 MiB the API accepts")
            && violation.message.contains("pass large images as URLs"),
        "{violation}"
    );
    server.verify().await;
}

#[test]
fn a_body_of_exactly_the_documented_size_is_valid_and_one_byte_more_is_not() {
    // Arrange: three images of `each` characters, the first one `extra` longer.
    let limit = mulerouter_kling::rules::CREATE_GENERATION_MAX_BODY_BYTES;
    let overhead = json_size(&with_inlined_images(1)) - 3;
    let each = (limit - overhead) / 3;
    let sized = |extra: usize| {
        let mut request = with_inlined_images(each);
        if let Element::Image {
            reference_images, ..
        } = &mut request.elements[0]
        {
            reference_images[0] = image(&"A".repeat(each + extra));
        }
        request
    };
    let at_limit = sized(limit - overhead - 3 * each);
    let over = sized(limit - overhead - 3 * each + 1);

    // Act
    let at = mulerouter_kling::validate(&at_limit);
    let past = mulerouter_kling::validate(&over).unwrap_err();

    // Assert
    assert_eq!(json_size(&at_limit), limit);
    assert_eq!(at, Ok(()));
    let rules: Vec<&str> = past.violations().iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(rules, ["x-max-body-bytes"]);
}
