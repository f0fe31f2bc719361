//! Bodies on either side: their media types, schemas and, for answers, the mock's examples.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::change::{Class, MOCK_USERS, READERS, SENDERS, Side};
use super::super::load::escape;
use super::super::schema::{At, Walk};
use super::resolve;

fn content(value: &Value) -> BTreeMap<&str, &Value> {
    value
        .get("content")
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

/// Compares the media types of a body and the schema of each one both sides have.
pub(super) fn media(
    walk: &mut Walk<'_>,
    side: Side,
    place: &str,
    old: (&Value, &str),
    new: (&Value, &str),
) {
    let before = content(old.0);
    let after = content(new.0);
    let types: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for media_type in types {
        // JSON goes unnamed even beside another type, so a change in a schema shared by
        // several statuses folds into one line whether or not one status also has, say, HTML.
        let here = if media_type == "application/json" {
            place.to_string()
        } else {
            format!("{place} ({media_type})")
        };
        let old_pointer = format!("{}/content/{}", old.1, escape(media_type));
        let new_pointer = format!("{}/content/{}", new.1, escape(media_type));
        match (before.get(media_type), after.get(media_type)) {
            (None, Some(_)) => {
                let reason = if side == Side::Request {
                    format!("{SENDERS}: one more body format is accepted")
                } else {
                    format!("{READERS}: answers may come in this format too")
                };
                walk.push(
                    Class::NonBreaking,
                    side,
                    &new_pointer,
                    here,
                    format!("{}-media-type-added", side.as_str()),
                    None,
                    Some(Value::from(media_type)),
                    reason,
                );
            }
            (Some(_), None) => {
                let reason = if side == Side::Request {
                    format!("{SENDERS}: bodies in this format are refused")
                } else {
                    format!("{READERS}: answers no longer come in this format")
                };
                walk.push(
                    Class::Breaking,
                    side,
                    &old_pointer,
                    here,
                    format!("{}-media-type-removed", side.as_str()),
                    Some(Value::from(media_type)),
                    None,
                    reason,
                );
            }
            (Some(old_media), Some(new_media)) => {
                if let (Some(old_schema), Some(new_schema)) =
                    (old_media.get("schema"), new_media.get("schema"))
                {
                    let old_at = format!("{old_pointer}/schema");
                    let new_at = format!("{new_pointer}/schema");
                    walk.schema(
                        side,
                        &here,
                        At {
                            schema: old_schema,
                            pointer: &old_at,
                        },
                        At {
                            schema: new_schema,
                            pointer: &new_at,
                        },
                    );
                }
                if side == Side::Response {
                    examples(
                        walk,
                        &here,
                        (old_media, &old_pointer),
                        (new_media, &new_pointer),
                    );
                }
            }
            (None, None) => {}
        }
    }
}

/// The mock answers with a response's examples, and `Prefer: example=NAME` picks one by name.
fn examples(walk: &mut Walk<'_>, place: &str, old: (&Value, &str), new: (&Value, &str)) {
    let (old_root, new_root) = (walk.old, walk.new);
    let named = |root: &Value, media: &Value| -> BTreeMap<String, Value> {
        let mut map = BTreeMap::new();
        if let Some(example) = media.get("example") {
            map.insert(String::new(), example.clone());
        }
        if let Some(examples) = media.get("examples").and_then(Value::as_object) {
            for (name, example) in examples {
                let example = resolve(root, example);
                map.insert(
                    name.clone(),
                    example.get("value").cloned().unwrap_or(Value::Null),
                );
            }
        }
        map
    };
    let before = named(old_root, old.0);
    let after = named(new_root, new.0);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let (pointer, label) = if name.is_empty() {
            (format!("{}/example", new.1), "example".to_string())
        } else {
            (
                format!("{}/examples/{}", new.1, escape(name)),
                format!("example `{name}`"),
            )
        };
        let here = format!("{place} {label}");
        match (before.get(name), after.get(name)) {
            (None, Some(_)) => {
                let reason = format!("{MOCK_USERS}: one more answer the mock can give");
                walk.push(
                    Class::NonBreaking,
                    Side::Response,
                    &pointer,
                    here,
                    "response-example-added".into(),
                    None,
                    Some(Value::from(label)),
                    reason,
                );
            }
            (Some(_), None) => {
                let (class, reason) = if name.is_empty() {
                    (
                        Class::Behaviour,
                        format!(
                            "{MOCK_USERS}: the mock answers with another example or a generated body"
                        ),
                    )
                } else {
                    (
                        Class::Breaking,
                        format!("{MOCK_USERS}: `Prefer: example={name}` no longer picks an answer"),
                    )
                };
                let pointer = pointer.replacen(new.1, old.1, 1);
                walk.push(
                    class,
                    Side::Response,
                    &pointer,
                    here,
                    "response-example-removed".into(),
                    Some(Value::from(label)),
                    None,
                    reason,
                );
            }
            (Some(a), Some(b)) if a != b => {
                let reason = format!(
                    "{MOCK_USERS}: the mock answers with the new example; tests asserting the old one fail"
                );
                walk.push(
                    Class::Behaviour,
                    Side::Response,
                    &pointer,
                    here,
                    "response-example-changed".into(),
                    Some(a.clone()),
                    Some(b.clone()),
                    reason,
                );
            }
            _ => {}
        }
    }
}
