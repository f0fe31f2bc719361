//! Input the service would reject is refused before anything is sent.

use crate::common::*;
use mulerouter_kling::types::{CreateGenerationRequest, Element, builder};
use mulerouter_kling::{Error, InvalidInput};
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

fn base() -> builder::CreateGenerationRequest {
    CreateGenerationRequest::builder()
        .prompt("A paper boat on a rainy street")
        .video("https://example.com/source.mp4")
}

/// Every way to break a rule, as a user would write it.
fn broken_requests() -> Vec<(&'static str, Result<CreateGenerationRequest, String>)> {
    let typed = |r: CreateGenerationRequest| Ok(r);
    let built = |b: builder::CreateGenerationRequest| {
        CreateGenerationRequest::try_from(b).map_err(|e| e.to_string())
    };
    vec![
        (
            "prompt missing",
            built(CreateGenerationRequest::builder().video("https://example.com/v.mp4")),
        ),
        (
            "video missing",
            built(CreateGenerationRequest::builder().prompt("a")),
        ),
        ("prompt empty", built(base().prompt(""))),
        ("prompt too long", built(base().prompt("é".repeat(2501)))),
        (
            "video not http",
            built(base().video("ftp://example.com/v.mp4")),
        ),
        (
            "video with white space",
            built(base().video("https://example.com/my video.mp4")),
        ),
        (
            "video too long",
            built(base().video(format!("https://example.com/{}", "a".repeat(2048)))),
        ),
        (
            "video host invalid",
            typed(with(|r| r.video = url("https://[::1/v.mp4"))),
        ),
        (
            "video bad escape",
            typed(with(|r| r.video = url("https://example.com/a%zzb.mp4"))),
        ),
        ("video host empty", built(base().video("http://:80/v.mp4"))),
        (
            "video not ASCII",
            built(base().video("https://例子.测试/v.mp4")),
        ),
        ("duration too short", typed(with(|r| r.duration = 2))),
        ("duration too long", typed(with(|r| r.duration = 16))),
        ("duration negative", typed(with(|r| r.duration = -5))),
        (
            "five elements",
            typed(with(|r| {
                r.elements = (0..5).map(|_| image_element(1)).collect()
            })),
        ),
        (
            "image element without reference images",
            typed(with(|r| r.elements = vec![image_element(0)])),
        ),
        (
            "image element with four reference images",
            typed(with(|r| r.elements = vec![image_element(4)])),
        ),
        (
            "video element without reference videos",
            typed(with(|r| {
                r.elements = vec![Element::Video {
                    reference_videos: vec![],
                }]
            })),
        ),
        (
            "video element with a bad URL",
            typed(with(|r| {
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
        (
            "several rules at once",
            typed(with(|r| {
                r.duration = 99;
                r.video = url("https://[::1/v.mp4");
                r.elements = vec![image_element(0); 5];
            })),
        ),
    ]
}

/// Sends one broken request to a server that fails the test if anything arrives.
async fn refusal(request: Result<CreateGenerationRequest, String>) -> InvalidInput {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server);

    // Act
    let result = match request {
        Ok(request) => client.create(request).await,
        // A builder that failed to convert: hand the failure to `create` as users would.
        Err(message) => client.create(Failing(message)).await,
    };

    // Assert
    match result {
        Err(Error::InvalidInput(input)) => input,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// A request value whose conversion fails with a builder's message.
struct Failing(String);

impl TryFrom<Failing> for CreateGenerationRequest {
    type Error = String;
    fn try_from(value: Failing) -> Result<Self, String> {
        Err(value.0)
    }
}

#[tokio::test]
async fn every_broken_rule_is_refused_with_the_field_and_the_rule_and_nothing_is_sent() {
    let mut report = String::new();
    for (case, request) in broken_requests() {
        let input = refusal(request).await;
        assert!(!input.violations().is_empty(), "{case}");
        for violation in input.violations() {
            assert!(violation.pointer.starts_with('/'), "{case}: {violation:?}");
        }
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

    // Act
    let input = refusal(Ok(request)).await;

    // Assert
    let pointers: Vec<_> = input
        .violations()
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule))
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
    let at_limits = with(|r| {
        r.prompt = "é".repeat(2500).parse().unwrap();
        r.duration = 15;
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
        mulerouter_kling::validate(&with(|r| r.duration = 3)),
        Ok(())
    );
}

#[test]
fn an_optional_text_that_is_too_long_cannot_even_be_constructed() {
    // Optional constrained fields take the checked type, so the length is checked where the
    // value is made, before a request exists.
    let error = "x"
        .repeat(2501)
        .parse::<mulerouter_kling::types::CreateGenerationRequestNegativePrompt>()
        .unwrap_err();
    assert_eq!(error.to_string(), "longer than 2500 characters");
}

#[test]
fn an_image_is_checked_where_it_is_made() {
    for bad in [
        "not base64!",
        "ftp://example.com/a.png",
        "https://:1/a.png",
        "data:image/gif;base64,R0lG",
    ] {
        assert!(
            bad.parse::<mulerouter_kling::types::ImageSource>().is_err(),
            "{bad}"
        );
    }
    for good in [
        "https://example.com/a.png",
        "iVBORw0KGgo=",
        "data:image/jpeg;base64,/9j/4AAQ",
    ] {
        assert!(
            good.parse::<mulerouter_kling::types::ImageSource>().is_ok(),
            "{good}"
        );
    }
}
