//! What client users send: parameters and the request body.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::change::{Class, MOCK_USERS, SENDERS, Side};
use super::super::schema::{At, Walk};
use super::{Operation, is_required, resolve_at};

/// The effective parameters: the path item's, overridden by the operation's, by (in, name).
fn parameter_map<'v>(
    root: &'v Value,
    op: &Operation<'v>,
) -> BTreeMap<(String, String), (&'v Value, String)> {
    let mut map = BTreeMap::new();
    let item_pointer = op
        .pointer
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    for (list, base) in [
        (op.shared_parameters, format!("{item_pointer}/parameters")),
        (
            op.value.get("parameters"),
            format!("{}/parameters", op.pointer),
        ),
    ] {
        let Some(list) = list.and_then(Value::as_array) else {
            continue;
        };
        for (index, parameter) in list.iter().enumerate() {
            let (parameter, pointer) = resolve_at(root, parameter, format!("{base}/{index}"));
            let key = (
                parameter
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            );
            map.insert(key, (parameter, pointer));
        }
    }
    map
}

pub(super) fn parameters(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let (old_root, new_root) = (walk.old, walk.new);
    let before = parameter_map(old_root, old);
    let after = parameter_map(new_root, new);
    let keys: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let place = format!("parameter {} {}", key.0, key.1);
        let name = &key.1;
        match (before.get(key), after.get(key)) {
            (None, Some((parameter, pointer))) => {
                let required = is_required(parameter);
                let (rule, class, reason) = if required {
                    (
                        "request-required-parameter-added",
                        Class::Breaking,
                        format!(
                            "{SENDERS}: calls without `{name}` fail; the builder needs `.{name}(…)`"
                        ),
                    )
                } else {
                    (
                        "request-optional-parameter-added",
                        Class::NonBreaking,
                        format!("{SENDERS}: may set `{name}`; calls without it stay valid"),
                    )
                };
                walk.push(
                    class,
                    Side::Request,
                    pointer,
                    place,
                    rule.into(),
                    None,
                    Some(Value::from(if required { "required" } else { "optional" })),
                    reason,
                );
            }
            (Some((_, pointer)), None) => {
                let reason = format!(
                    "{SENDERS}: the builder method `{name}` is gone; {MOCK_USERS}: the mock no longer reads it"
                );
                walk.push(
                    Class::Breaking,
                    Side::Request,
                    pointer,
                    place,
                    "request-parameter-removed".into(),
                    Some(Value::from(name.clone())),
                    None,
                    reason,
                );
            }
            (Some((old_parameter, old_pointer)), Some((new_parameter, new_pointer))) => {
                let (was, is) = (is_required(old_parameter), is_required(new_parameter));
                if was != is {
                    let shown = |r: bool| Value::from(if r { "required" } else { "optional" });
                    let (rule, class, reason) = if is {
                        (
                            "request-parameter-became-required",
                            Class::Breaking,
                            format!("{SENDERS}: calls without `{name}` fail now"),
                        )
                    } else {
                        (
                            "request-parameter-became-optional",
                            Class::NonBreaking,
                            format!("{SENDERS}: `{name}` may be left out now"),
                        )
                    };
                    walk.push(
                        class,
                        Side::Request,
                        &format!("{new_pointer}/required"),
                        place.clone(),
                        rule.into(),
                        Some(shown(was)),
                        Some(shown(is)),
                        reason,
                    );
                }
                for keyword in ["style", "explode"] {
                    if old_parameter.get(keyword) != new_parameter.get(keyword) {
                        let reason = format!(
                            "{SENDERS}: the value is written differently on the wire; {MOCK_USERS}: the mock reads the new form"
                        );
                        walk.push(
                            Class::Breaking,
                            Side::Request,
                            &format!("{new_pointer}/{keyword}"),
                            place.clone(),
                            format!("request-parameter-{keyword}-changed"),
                            old_parameter.get(keyword).cloned(),
                            new_parameter.get(keyword).cloned(),
                            reason,
                        );
                    }
                }
                if let (Some(old_schema), Some(new_schema)) =
                    (old_parameter.get("schema"), new_parameter.get("schema"))
                {
                    let old_at = format!("{old_pointer}/schema");
                    let new_at = format!("{new_pointer}/schema");
                    walk.schema(
                        Side::Request,
                        &place,
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
            }
            (None, None) => {}
        }
    }
}

pub(super) fn request_body(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let (old_root, new_root) = (walk.old, walk.new);
    let before = old
        .value
        .get("requestBody")
        .map(|b| resolve_at(old_root, b, format!("{}/requestBody", old.pointer)));
    let after = new
        .value
        .get("requestBody")
        .map(|b| resolve_at(new_root, b, format!("{}/requestBody", new.pointer)));
    let place = "request body".to_string();
    match (before, after) {
        (None, Some((body, pointer))) => {
            let (rule, class) = if is_required(body) {
                ("request-body-added-required", Class::Breaking)
            } else {
                ("request-body-added-optional", Class::NonBreaking)
            };
            walk.push(
                class,
                Side::Request,
                &pointer,
                place,
                rule.into(),
                None,
                Some(Value::from("body")),
                format!("{SENDERS}: the call takes a body now"),
            );
        }
        (Some((_, pointer)), None) => {
            walk.push(
                Class::Breaking,
                Side::Request,
                &pointer,
                place,
                "request-body-removed".into(),
                Some(Value::from("body")),
                None,
                format!("{SENDERS}: the builder's `body` is gone"),
            );
        }
        (Some((old_body, old_pointer)), Some((new_body, new_pointer))) => {
            let (was, is) = (is_required(old_body), is_required(new_body));
            if was != is {
                let (rule, class) = if is {
                    ("request-body-became-required", Class::Breaking)
                } else {
                    ("request-body-became-optional", Class::NonBreaking)
                };
                walk.push(
                    class,
                    Side::Request,
                    &format!("{new_pointer}/required"),
                    place.clone(),
                    rule.into(),
                    Some(Value::Bool(was)),
                    Some(Value::Bool(is)),
                    format!(
                        "{SENDERS}: calls {} a body now",
                        if is { "without" } else { "may leave out" }
                    ),
                );
            }
            size_limit(walk, (old_body, &old_pointer), (new_body, &new_pointer));
            super::bodies::media(
                walk,
                Side::Request,
                &place,
                (old_body, &old_pointer),
                (new_body, &new_pointer),
            );
        }
        (None, None) => {}
    }
}

/// A change of the body's `x-max-body-bytes`: a lower limit (or a new one) refuses bodies
/// that were accepted, with 413 from the service and before sending from the client.
fn size_limit(walk: &mut Walk<'_>, old: (&Value, &str), new: (&Value, &str)) {
    const KEY: &str = "x-max-body-bytes";
    let limit = |body: &Value| body.get(KEY).and_then(Value::as_u64);
    let (was, is) = (limit(old.0), limit(new.0));
    if was == is {
        return;
    }
    let (rule, class, reason) = match (was, is) {
        (Some(was), Some(is)) if is < was => (
            "request-body-max-bytes-decreased",
            Class::Breaking,
            format!(
                "{SENDERS}: a body over {is} bytes (up to {was} was accepted) is refused now (413), by the client before it is sent"
            ),
        ),
        (Some(_), Some(_)) | (Some(_), None) => (
            if is.is_some() {
                "request-body-max-bytes-increased"
            } else {
                "request-body-max-bytes-removed"
            },
            Class::NonBreaking,
            format!("{SENDERS}, {MOCK_USERS}: larger bodies are accepted"),
        ),
        (None, Some(is)) => (
            "request-body-max-bytes-added",
            Class::Breaking,
            format!(
                "{SENDERS}: a body over {is} bytes is refused now (413), by the client before it is sent"
            ),
        ),
        (None, None) => return,
    };
    let pointer = if is.is_some() { new.1 } else { old.1 };
    walk.push(
        class,
        Side::Request,
        &format!("{pointer}/{KEY}"),
        "request body".to_string(),
        rule.into(),
        was.map(Value::from),
        is.map(Value::from),
        reason,
    );
}
