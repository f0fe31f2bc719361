//! What client users read: statuses, headers and bodies of the answers.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::change::{Class, MOCK_USERS, READERS, Side};
use super::super::load::escape;
use super::super::schema::{At, Walk};
use super::{Operation, is_required, resolve_at};

fn is_success(code: &str) -> bool {
    code.starts_with('2')
}

/// Whether `code` falls under another entry of `responses` (`4XX`, `default`).
fn covered(responses: &serde_json::Map<String, Value>, code: &str) -> Option<String> {
    let range = format!("{}XX", code.chars().next().unwrap_or('?'));
    if code.len() == 3 && responses.contains_key(&range) {
        return Some(range);
    }
    if code != "default" && responses.contains_key("default") {
        return Some("default".to_string());
    }
    None
}

pub(super) fn responses(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let (old_root, new_root) = (walk.old, walk.new);
    let empty = serde_json::Map::new();
    let before = old
        .value
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = new
        .value
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let codes: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for code in codes {
        let place = format!("response {code}");
        let old_pointer = format!("{}/responses/{}", old.pointer, escape(code));
        let new_pointer = format!("{}/responses/{}", new.pointer, escape(code));
        match (before.get(code), after.get(code)) {
            (None, Some(_)) => {
                let (rule, reason) = if is_success(code) {
                    (
                        "response-success-status-added",
                        format!(
                            "{READERS}: a new success status may arrive; {MOCK_USERS}: the mock may answer it"
                        ),
                    )
                } else {
                    (
                        "response-error-status-added",
                        format!(
                            "{READERS}: a new error status to handle (classification, retries); {MOCK_USERS}: `Prefer: code={code}` answers it"
                        ),
                    )
                };
                walk.push(
                    Class::Behaviour,
                    Side::Response,
                    &new_pointer,
                    place,
                    rule.into(),
                    None,
                    Some(Value::from(code.clone())),
                    reason,
                );
            }
            (Some(_), None) => {
                let (rule, class, reason) = if is_success(code) {
                    (
                        "response-success-status-removed",
                        Class::Breaking,
                        format!(
                            "{READERS}: the client treats {code} as unexpected; {MOCK_USERS}: the mock no longer answers it"
                        ),
                    )
                } else if let Some(range) = covered(after, code) {
                    (
                        "response-error-status-removed",
                        Class::Behaviour,
                        format!(
                            "{READERS}: {code} is now described by `{range}`; {MOCK_USERS}: `Prefer: code={code}` gets that answer"
                        ),
                    )
                } else {
                    (
                        "response-error-status-removed",
                        Class::Breaking,
                        format!(
                            "{READERS}: {code} becomes an unexpected answer; {MOCK_USERS}: `Prefer: code={code}` no longer works"
                        ),
                    )
                };
                walk.push(
                    class,
                    Side::Response,
                    &old_pointer,
                    place,
                    rule.into(),
                    Some(Value::from(code.clone())),
                    None,
                    reason,
                );
            }
            (Some(old_response), Some(new_response)) => {
                let (old_response, old_at) = resolve_at(old_root, old_response, old_pointer);
                let (new_response, new_at) = resolve_at(new_root, new_response, new_pointer);
                headers(
                    walk,
                    &place,
                    (old_response, &old_at),
                    (new_response, &new_at),
                );
                super::bodies::media(
                    walk,
                    Side::Response,
                    &format!("{place} body"),
                    (old_response, &old_at),
                    (new_response, &new_at),
                );
            }
            (None, None) => {}
        }
    }
}

fn headers(walk: &mut Walk<'_>, place: &str, old: (&Value, &str), new: (&Value, &str)) {
    let (old_root, new_root) = (walk.old, walk.new);
    let empty = serde_json::Map::new();
    let before = old
        .0
        .get("headers")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = new
        .0
        .get("headers")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Header names are case-insensitive.
    let lower = |map: &'_ serde_json::Map<String, Value>| -> BTreeMap<String, String> {
        map.keys()
            .map(|k| (k.to_ascii_lowercase(), k.clone()))
            .collect()
    };
    let (before_names, after_names) = (lower(before), lower(after));
    let names: BTreeSet<&String> = before_names.keys().chain(after_names.keys()).collect();
    for name in names {
        let shown = after_names
            .get(name)
            .or(before_names.get(name))
            .unwrap_or(name);
        let here = format!("{place} header {shown}");
        match (before_names.get(name), after_names.get(name)) {
            (None, Some(key)) => {
                let reason = format!(
                    "{READERS}: a new header to read; {MOCK_USERS}: the mock does not send it (its headers are its own, not the document's)"
                );
                walk.push(
                    Class::NonBreaking,
                    Side::Response,
                    &format!("{}/headers/{}", new.1, escape(key)),
                    here,
                    "response-header-added".into(),
                    None,
                    Some(Value::from(key.clone())),
                    reason,
                );
            }
            (Some(key), None) => {
                let reason = format!(
                    "{READERS}: code reading `{key}` finds nothing; {MOCK_USERS}: the mock sends what it sent before (its headers are its own, not the document's)"
                );
                walk.push(
                    Class::Breaking,
                    Side::Response,
                    &format!("{}/headers/{}", old.1, escape(key)),
                    here,
                    "response-header-removed".into(),
                    Some(Value::from(key.clone())),
                    None,
                    reason,
                );
            }
            (Some(old_key), Some(new_key)) => {
                let (old_header, old_at) = resolve_at(
                    old_root,
                    &before[old_key],
                    format!("{}/headers/{}", old.1, escape(old_key)),
                );
                let (new_header, new_at) = resolve_at(
                    new_root,
                    &after[new_key],
                    format!("{}/headers/{}", new.1, escape(new_key)),
                );
                let (was, is) = (is_required(old_header), is_required(new_header));
                if was && !is {
                    let reason = format!("{READERS}: `{new_key}` may be missing now");
                    walk.push(
                        Class::Breaking,
                        Side::Response,
                        &format!("{new_at}/required"),
                        here.clone(),
                        "response-header-became-optional".into(),
                        Some(Value::Bool(true)),
                        Some(Value::Bool(false)),
                        reason,
                    );
                } else if !was && is {
                    let reason = format!("{READERS}: `{new_key}` is always sent now");
                    walk.push(
                        Class::NonBreaking,
                        Side::Response,
                        &format!("{new_at}/required"),
                        here.clone(),
                        "response-header-became-required".into(),
                        Some(Value::Bool(false)),
                        Some(Value::Bool(true)),
                        reason,
                    );
                }
                if let (Some(old_schema), Some(new_schema)) =
                    (old_header.get("schema"), new_header.get("schema"))
                {
                    let (old_schema_at, new_schema_at) =
                        (format!("{old_at}/schema"), format!("{new_at}/schema"));
                    walk.schema(
                        Side::Response,
                        &here,
                        At {
                            schema: old_schema,
                            pointer: &old_schema_at,
                        },
                        At {
                            schema: new_schema,
                            pointer: &new_schema_at,
                        },
                    );
                }
            }
            (None, None) => {}
        }
    }
}
