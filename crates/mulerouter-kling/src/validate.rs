//! Checks of a create request against the API document, before anything is sent.
//!
//! The generated types already refuse some values (string lengths and patterns, enums). The
//! rules they cannot hold — integer ranges, array sizes, `format: uri` — are checked here. Each
//! broken rule is reported with the JSON pointer of the field and the JSON Schema keyword, the
//! same vocabulary the mock server uses in its `violations`.

use std::fmt;

use crate::types::{CreateGenerationRequest, Element, HttpUrl};

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
            // Images have no `format` in the document: their type's pattern is the whole rule.
            Element::Image {
                reference_images, ..
            } => {
                let pointer = format!("{at}/reference_images");
                check_count(
                    violations,
                    &pointer,
                    reference_images.len(),
                    limits::REFERENCE_IMAGES_MIN,
                    Some(limits::REFERENCE_IMAGES_MAX),
                );
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

/// `format: uri`: RFC 3986 syntax, with the parser the mock's JSON Schema validator uses
/// for that format, so that both sides draw the line in the same place. (The type's pattern
/// already guarantees `http(s)://`, printable ASCII and a plausible host start.)
fn check_http_url(violations: &mut Vec<Violation>, pointer: &str, url: &HttpUrl) {
    let text: &str = url;
    if let Err(error) = fluent_uri::Uri::parse(text) {
        violations.push(Violation {
            pointer: pointer.into(),
            rule: "format",
            message: format!("{text:?} is not a valid URI: {error}"),
        });
    }
}

/// Reads a create request from JSON (a file, a config, another program) and checks it, with
/// every problem reported like [`validate`]'s: JSON pointer, JSON Schema keyword, message.
///
/// Type-level problems (a missing or unknown field, a wrong type, a string too long) stop
/// the reading at the first one; the rules checked afterwards are all reported.
///
/// ```
/// let error = mulerouter_kling::parse_request(&serde_json::json!({
///     "prompt": "A paper boat",
///     "video": "https://example.com/in.mp4",
///     "model_name": "kling",
/// }))
/// .unwrap_err();
/// assert_eq!(error.violations()[0].pointer, "/model_name");
/// assert_eq!(error.violations()[0].rule, "additionalProperties");
/// ```
pub fn parse_request(json: &serde_json::Value) -> Result<CreateGenerationRequest, InvalidInput> {
    let request: CreateGenerationRequest =
        serde_path_to_error::deserialize(json).map_err(|error| {
            InvalidInput::single(from_serde_error(
                json,
                error.path(),
                &error.inner().to_string(),
            ))
        })?;
    validate(&request)?;
    Ok(request)
}

/// Names the field and the rule of a serde error, in the vocabulary of JSON Schema.
fn from_serde_error(
    json: &serde_json::Value,
    path: &serde_path_to_error::Path,
    message: &str,
) -> Violation {
    use serde_path_to_error::Segment;

    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    // serde_json appends " at line L column C" to some messages; the pointer says where.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string();
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    // Inside an element (an internally tagged enum) serde loses the path below the element;
    // find the value that the element's checked types refuse.
    let pointer = match json.pointer(&pointer) {
        Some(element @ serde_json::Value::Object(map)) if map.contains_key("type") => {
            refused_in_element(element).map_or(pointer.clone(), |inner| format!("{pointer}{inner}"))
        }
        _ => pointer,
    };
    let (rule, pointer) = if let Some(field) = quoted("missing field `") {
        ("required", format!("{pointer}/{}", escape(&field)))
    } else if let Some(field) = quoted("unknown field `") {
        // serde_path_to_error's path already ends at an unknown field; serde's own at its parent.
        let at = format!("/{}", escape(&field));
        let pointer = if pointer.ends_with(&at) {
            pointer
        } else {
            format!("{pointer}{at}")
        };
        ("additionalProperties", pointer)
    } else if message.starts_with("unknown variant") {
        // An element's `type` tag names the variant; a plain enum is the value itself.
        let tagged = json
            .pointer(&pointer)
            .is_some_and(|v| v.get("type").is_some());
        (
            "enum",
            if tagged {
                format!("{pointer}/type")
            } else {
                pointer
            },
        )
    } else if message.starts_with("longer than") {
        ("maxLength", pointer)
    } else if message.starts_with("shorter than") {
        ("minLength", pointer)
    } else if message.starts_with("doesn't match pattern") {
        ("pattern", pointer)
    } else {
        ("type", pointer)
    };
    Violation {
        pointer,
        rule,
        message,
    }
}

/// The pointer (relative to the element) of the first string an element's checked types
/// refuse: images are [`ImageSource`](crate::types::ImageSource)s, videos
/// [`HttpUrl`]s.
fn refused_in_element(element: &serde_json::Value) -> Option<String> {
    use crate::types::ImageSource;
    use serde_json::Value;
    let image: fn(&Value) -> bool = |value| {
        value
            .as_str()
            .is_some_and(|text| text.parse::<ImageSource>().is_ok())
    };
    let video: fn(&Value) -> bool = |value| {
        value
            .as_str()
            .is_some_and(|text| text.parse::<HttpUrl>().is_ok())
    };
    match element.get("frontal_image") {
        None | Some(Value::Null) => {}
        Some(value) if image(value) => {}
        Some(_) => return Some("/frontal_image".into()),
    }
    for (field, accepts) in [("reference_images", image), ("reference_videos", video)] {
        match element.get(field) {
            None => {}
            Some(Value::Array(items)) => {
                if let Some(index) = items.iter().position(|item| !accepts(item)) {
                    return Some(format!("/{field}/{index}"));
                }
            }
            Some(_) => return Some(format!("/{field}")),
        }
    }
    None
}

/// RFC 6901: `~` and `/` in a key become `~0` and `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
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
