//! Checks of a create request against the API document, before anything is sent.
//!
//! The generated types already refuse some values (string lengths and patterns, enums). The
//! rules they cannot hold — integer ranges, array sizes, URL syntax — are checked here. Each
//! broken rule is reported with the JSON pointer of the field and the JSON Schema keyword, the
//! same vocabulary the mock server uses in its `violations`.

use std::fmt;

use crate::types::{CreateGenerationRequest, Element, HttpUrl, ImageSource};

/// Bounds from the API document.
pub mod limits {
    /// `duration` minimum, seconds.
    pub const DURATION_MIN: i64 = 3;
    /// `duration` maximum, seconds.
    pub const DURATION_MAX: i64 = 15;
    /// `elements` maxItems.
    pub const ELEMENTS_MAX: usize = 4;
    /// `reference_images` minItems.
    pub const REFERENCE_IMAGES_MIN: usize = 1;
    /// `reference_images` maxItems.
    pub const REFERENCE_IMAGES_MAX: usize = 3;
    /// `reference_videos` minItems.
    pub const REFERENCE_VIDEOS_MIN: usize = 1;
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value in the request body, e.g. `/elements/0/type`.
    pub pointer: String,
    /// The JSON Schema keyword of the rule, e.g. `maximum`.
    pub rule: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.pointer.trim_start_matches('/').replace('/', ".");
        let field = if field.is_empty() {
            "body"
        } else {
            field.as_str()
        };
        write!(f, "{field}: {} ({})", self.message, self.rule)
    }
}

/// A request that breaks one or more rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    violations: Vec<Violation>,
}

impl InvalidInput {
    /// Every rule broken, in field order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// A single violation, e.g. from a failed conversion.
    pub(crate) fn single(violation: Violation) -> Self {
        Self {
            violations: vec![violation],
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidInput {}

/// Checks every rule of the document that the generated type does not enforce by itself.
///
/// ```
/// use mulerouter_kling::{types::CreateGenerationRequest, validate};
///
/// let request: CreateGenerationRequest = CreateGenerationRequest::builder()
///     .prompt("A paper boat on a rainy street")
///     .video("https://example.com/source.mp4")
///     .duration(99)
///     .try_into()
///     .unwrap();
/// let error = validate(&request).unwrap_err();
/// assert_eq!(error.to_string(), "duration: 99 is greater than the maximum of 15 (maximum)");
/// ```
pub fn validate(request: &CreateGenerationRequest) -> Result<(), InvalidInput> {
    let mut violations = Vec::new();
    check_http_url(&mut violations, "/video", &request.video);
    check_duration(&mut violations, request.duration);
    check_elements(&mut violations, &request.elements);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(InvalidInput { violations })
    }
}

fn check_duration(violations: &mut Vec<Violation>, duration: i64) {
    use limits::{DURATION_MAX, DURATION_MIN};
    if duration < DURATION_MIN {
        violations.push(Violation {
            pointer: "/duration".into(),
            rule: "minimum",
            message: format!("{duration} is less than the minimum of {DURATION_MIN}"),
        });
    } else if duration > DURATION_MAX {
        violations.push(Violation {
            pointer: "/duration".into(),
            rule: "maximum",
            message: format!("{duration} is greater than the maximum of {DURATION_MAX}"),
        });
    }
}

fn check_elements(violations: &mut Vec<Violation>, elements: &[Element]) {
    check_count(
        violations,
        "/elements",
        elements.len(),
        0,
        Some(limits::ELEMENTS_MAX),
    );
    for (index, element) in elements.iter().enumerate() {
        let at = format!("/elements/{index}");
        match element {
            Element::Image {
                frontal_image,
                reference_images,
            } => {
                if let Some(image) = frontal_image {
                    check_image(violations, &format!("{at}/frontal_image"), image);
                }
                let pointer = format!("{at}/reference_images");
                check_count(
                    violations,
                    &pointer,
                    reference_images.len(),
                    limits::REFERENCE_IMAGES_MIN,
                    Some(limits::REFERENCE_IMAGES_MAX),
                );
                for (i, image) in reference_images.iter().enumerate() {
                    check_image(violations, &format!("{pointer}/{i}"), image);
                }
            }
            Element::Video { reference_videos } => {
                let pointer = format!("{at}/reference_videos");
                check_count(
                    violations,
                    &pointer,
                    reference_videos.len(),
                    limits::REFERENCE_VIDEOS_MIN,
                    None,
                );
                for (i, video) in reference_videos.iter().enumerate() {
                    check_http_url(violations, &format!("{pointer}/{i}"), video);
                }
            }
        }
    }
}

fn check_count(
    violations: &mut Vec<Violation>,
    pointer: &str,
    count: usize,
    min: usize,
    max: Option<usize>,
) {
    let plural = |n: usize| if n == 1 { "item" } else { "items" };
    if count < min {
        violations.push(Violation {
            pointer: pointer.into(),
            rule: "minItems",
            message: format!("has {count} {}, at least {min} required", plural(count)),
        });
    }
    if let Some(max) = max.filter(|max| count > *max) {
        violations.push(Violation {
            pointer: pointer.into(),
            rule: "maxItems",
            message: format!("has {count} {}, at most {max} allowed", plural(count)),
        });
    }
}

fn check_http_url(violations: &mut Vec<Violation>, pointer: &str, url: &HttpUrl) {
    if let Err(reason) = parse_http_url(url) {
        violations.push(Violation {
            pointer: pointer.into(),
            rule: "format",
            message: reason,
        });
    }
}

/// An image may be Base64 (the type's pattern covers it) or a URL, which must then parse.
fn check_image(violations: &mut Vec<Violation>, pointer: &str, image: &ImageSource) {
    let text: &str = image;
    if (text.starts_with("http://") || text.starts_with("https://"))
        && let Err(reason) = parse_http_url(text)
    {
        violations.push(Violation {
            pointer: pointer.into(),
            rule: "format",
            message: reason,
        });
    }
}

/// The type's pattern guarantees an `http(s)://` prefix without white space; this adds what
/// a URL parser knows (a valid host, port and escapes).
fn parse_http_url(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(url) if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(()),
        Ok(_) => Err(format!("{text:?} is not a URL with a host")),
        Err(error) => Err(format!("{text:?} is not a valid URL: {error}")),
    }
}

/// Turns a conversion error of a generated builder ("error converting supplied value for
/// prompt: longer than 2500 characters") into a violation naming the field and the rule.
pub(crate) fn from_conversion_error(message: &str) -> Violation {
    let (field, reason) = if let Some(field) = message.strip_prefix("no value supplied for ") {
        (field.to_string(), "missing".to_string())
    } else if let Some(rest) = message.strip_prefix("error converting supplied value for ") {
        let (field, reason) = rest.split_once(": ").unwrap_or((rest, "is invalid"));
        (field.to_string(), reason.to_string())
    } else {
        (String::new(), message.to_string())
    };
    let reason = if reason == "shorter than 1 characters" {
        "must not be empty".to_string()
    } else {
        reason
    };
    let rule = if reason == "missing" {
        "required"
    } else if reason.starts_with("longer than") {
        "maxLength"
    } else if reason.starts_with("shorter than") || reason == "must not be empty" {
        "minLength"
    } else if reason.starts_with("doesn't match pattern") {
        "pattern"
    } else if reason.starts_with("invalid value") {
        "enum"
    } else {
        "type"
    };
    let pointer = if field.is_empty() {
        String::new()
    } else {
        format!("/{field}")
    };
    Violation {
        pointer,
        rule,
        message: reason,
    }
}
