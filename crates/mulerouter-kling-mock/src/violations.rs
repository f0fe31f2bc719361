//! Validator errors as [`Violation`]s: the JSON pointer of the field, the JSON Schema keyword
//! broken, and a short message that is safe to send back whatever the input was.
//!
//! Pointers follow the client's convention (`mulerouter_kling::validate`): a missing or
//! unknown property is reported at the property itself (`/prompt`, `/model_name`), not at
//! the object holding it. Values quoted in messages are cut short, so a 30 MB string in a
//! request cannot make a 30 MB error.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use mulerouter_kling::types::Violation;
use serde_json::Value;

/// At most this many characters of a value are quoted in a message.
const QUOTE_CHARS: usize = 40;
/// A pointer longer than this (a property name of megabytes) is cut with `…`.
const POINTER_CHARS: usize = 256;

/// Every violation of `instance` against `validator`, ordered by pointer (array indices
/// numerically), so the same input always gives the same list.
pub(crate) fn collect(validator: &Validator, instance: &Value) -> Vec<Violation> {
    // The same validation without building errors, which are only needed when there are some.
    if validator.is_valid(instance) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for error in validator.iter_errors(instance) {
        convert(&error, &mut found);
    }
    found.sort_by_cached_key(|v| (order_key(&v.pointer), v.rule.clone()));
    found.dedup();
    found
}

/// Pointer segments, numbers compared as numbers: `/elements/2` before `/elements/10`.
fn order_key(pointer: &str) -> Vec<(u64, String)> {
    pointer
        .split('/')
        .map(|segment| match segment.parse::<u64>() {
            Ok(index) => (index, String::new()),
            Err(_) => (u64::MAX, segment.to_string()),
        })
        .collect()
}

fn convert(error: &ValidationError<'_>, found: &mut Vec<Violation>) {
    let at = error.instance_path().as_str();
    let instance = error.instance();
    let kind = error.kind();
    let rule = kind.keyword().to_string();
    let violation = |pointer: String, message: String| Violation {
        pointer: bound_pointer(pointer),
        rule: rule.clone(),
        message,
    };
    match kind {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            found.push(violation(
                format!("{at}/{}", escape(&name)),
                "missing".into(),
            ));
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                found.push(violation(
                    format!("{at}/{}", escape(name)),
                    "unknown property".into(),
                ));
            }
        }
        _ => found.push(violation(at.to_string(), message(kind, instance))),
    }
}

fn message(kind: &ValidationErrorKind, instance: &Value) -> String {
    let value = quote(instance);
    match kind {
        ValidationErrorKind::Maximum { limit } => {
            format!("{value} is greater than the maximum of {limit}")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{value} is less than the minimum of {limit}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{value} is greater than or equal to the maximum of {limit}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{value} is less than or equal to the minimum of {limit}")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("longer than {limit} characters ({})", chars(instance))
        }
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".into(),
        ValidationErrorKind::MinLength { limit } => {
            format!("shorter than {limit} characters ({})", chars(instance))
        }
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} {}, at most {limit} allowed",
            items(instance),
            plural(items(instance) as u64, "item")
        ),
        ValidationErrorKind::MinItems { limit } => format!(
            "has {} {}, at least {limit} required",
            items(instance),
            plural(items(instance) as u64, "item")
        ),
        ValidationErrorKind::Enum { options } => {
            format!("{value} is not one of {}", quote(options))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{value} is not {}", quote(expected_value))
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(single) => format!("{single}"),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("{value} is not of type {expected}")
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{value} does not match the pattern {}", cut(pattern, 80))
        }
        ValidationErrorKind::Format { format } => format!("{value} is not a valid {format:?}"),
        ValidationErrorKind::OneOfNotValid { .. } => {
            format!("{value} matches none of the allowed shapes")
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            format!("{value} matches more than one allowed shape")
        }
        ValidationErrorKind::AnyOf { .. } => format!("{value} matches none of the allowed shapes"),
        ValidationErrorKind::FalseSchema => "is not allowed".into(),
        other => cut(
            &format!("{value} breaks the {:?} rule", other.keyword()),
            200,
        ),
    }
}

/// RFC 6901 escaping of one pointer segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn bound_pointer(pointer: String) -> String {
    if pointer.chars().count() <= POINTER_CHARS {
        pointer
    } else {
        cut(&pointer, POINTER_CHARS)
    }
}

/// A value as JSON, cut to [`QUOTE_CHARS`] characters.
fn quote(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() > QUOTE_CHARS => {
            let start: String = text.chars().take(QUOTE_CHARS).collect();
            format!(
                "{}…\"",
                Value::String(start).to_string().trim_end_matches('"')
            )
        }
        Value::Array(items) if items.len() > 8 => format!("an array of {} items", items.len()),
        Value::Object(map) if map.len() > 8 => format!("an object of {} properties", map.len()),
        _ => cut(&value.to_string(), QUOTE_CHARS * 2),
    }
}

fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit).collect();
    short.push('…');
    short
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn items(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_quoted_short() {
        let quoted = quote(&Value::String("x".repeat(10_000)));
        assert!(quoted.chars().count() < 50, "{quoted}");
        assert!(
            quoted.starts_with("\"xxx") && quoted.ends_with("…\""),
            "{quoted}"
        );
        assert_eq!(quote(&json!(99)), "99");
        assert_eq!(
            quote(&json!([1, 2, 3, 4, 5, 6, 7, 8, 9])),
            "an array of 9 items"
        );
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
