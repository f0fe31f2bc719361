//! Checks of a create request against the API document, before anything is sent.
//!
//! The rules come from the document through codegen: `src/generated_rules.rs` holds each
//! request field's JSON pointer and its constraints (`cargo xtask codegen` writes it, and
//! `--check` fails when it is stale), and [`rules`] checks the request, as JSON, against that
//! table. Each broken rule is reported with the JSON pointer of the field and the JSON Schema
//! keyword, the same vocabulary the mock server uses in its `violations`.

mod rules;

use std::fmt;

use crate::generated_rules::{CREATE_GENERATION, CREATE_GENERATION_MAX_BODY_BYTES};
use crate::types::CreateGenerationRequest;

pub use rules::{Rule, Tag, Type};

/// Every generated table, so that each pattern in them is compiled once.
const TABLES: &[&[Rule]] = &[CREATE_GENERATION];

/// One broken rule: the document's `Violation`, the type the service lists in a 400's
/// `violations`, so that a rule the client finds and one the service (or the mock) reports
/// are one type: for the same body the client and the mock name the same `pointer` and
/// `rule` (a test holds them to it), though their messages may be worded apart. `pointer`
/// is the JSON pointer of the offending value in the request body
/// (e.g. `/elements/0/type`, empty for the whole body); `rule` the JSON Schema keyword (e.g.
/// `maximum`), or `builder` when a generated builder refused a value before the client could
/// see it (the message is the builder's); `message` what is wrong, in words.
pub use crate::types::Violation;

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
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidInput {
    violations: Vec<Violation>,
}

impl InvalidInput {
    /// Every rule broken, in field order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// A single violation.
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

/// Checks every rule of the document: the request, as the JSON it is sent as, against the
/// table generated from the document.
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
    let json = serde_json::to_value(request).map_err(|error| {
        InvalidInput::single(Violation {
            pointer: String::new(),
            rule: "type".into(),
            message: format!("the request cannot be written as JSON: {error}"),
        })
    })?;
    check(&json)
}

/// Every violation of a request body, as JSON, against the document's rules, its size
/// included.
fn check(json: &serde_json::Value) -> Result<(), InvalidInput> {
    let mut violations = rules::check(CREATE_GENERATION, json);
    if let Some(too_large) = over_size_limit(json, CREATE_GENERATION_MAX_BODY_BYTES) {
        // The whole body, so before any field's violation.
        violations.insert(0, too_large);
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(InvalidInput { violations })
    }
}

/// A body larger as JSON than the document's `x-max-body-bytes`, which the service answers
/// with 413 only after the whole upload: named before anything is sent, with the way out
/// (Base64 images are what make a body this large).
fn over_size_limit(json: &serde_json::Value, limit: usize) -> Option<Violation> {
    /// Counts what would be sent, without keeping it.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut size = Counter(0);
    // Writing a `Value` into a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut size, json);
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    (size.0 > limit).then(|| Violation {
        pointer: String::new(),
        rule: "x-max-body-bytes".into(),
        message: format!(
            "the request is {:.1} MiB as JSON, over the {:.0} MiB the API accepts (it answers 413); pass large images as URLs rather than inline Base64",
            mib(size.0),
            mib(limit)
        ),
    })
}

/// Reads a create request from JSON (a file, a config, another program) and checks it, with
/// every problem reported like [`validate`]'s: JSON pointer, JSON Schema keyword, message.
/// Every broken rule is reported, not only the first.
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
    check(json)?;
    // What the document allows but a Rust type cannot hold (`5.0` for an integer, say).
    serde_path_to_error::deserialize(json).map_err(|error| {
        InvalidInput::single(Violation {
            pointer: pointer_of(error.path()),
            rule: "type".into(),
            message: error.inner().to_string(),
        })
    })
}

/// The JSON pointer of a deserialisation path.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", rules::escape(key))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// A value a generated builder refused, e.g. `CreateGenerationRequest::builder().prompt("")`:
/// the builder kept only its message, so the message is reported as it is, at the field of
/// the request it names (or at the whole body when it names none or several).
pub(crate) fn refused_by_builder(message: &str) -> Violation {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let named: Vec<&str> = rules::top_level_fields(CREATE_GENERATION)
        .iter()
        .copied()
        .filter(|field| words.contains(field))
        .collect();
    let pointer = match named.as_slice() {
        [field] => format!("/{}", rules::escape(field)),
        _ => String::new(),
    };
    Violation {
        pointer,
        rule: "builder".into(),
        message: message.to_string(),
    }
}
