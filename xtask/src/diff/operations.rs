//! Comparing two documents operation by operation, then what no operation reaches.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::change::{CALLERS, Change, Class, MOCK_USERS, READERS, SENDERS, Side};
use super::load::{Document, escape};
use super::schema::{At, Walk};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document.
#[derive(Debug)]
struct Operation<'v> {
    method: &'static str,
    path: &'v str,
    pointer: String,
    value: &'v Value,
    /// Parameters declared on the path item, which the operation may override.
    shared_parameters: Option<&'v Value>,
}

impl Operation<'_> {
    fn id(&self) -> Option<&str> {
        self.value.get("operationId").and_then(Value::as_str)
    }

    fn name(&self) -> String {
        self.id()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.path))
    }

    /// The path with its parameter names blanked: `/a/{id}` and `/a/{task_id}` are one URL.
    fn shape(&self) -> (String, &'static str) {
        let mut shape = String::new();
        let mut inside = false;
        for c in self.path.chars() {
            match c {
                '{' => {
                    inside = true;
                    shape.push_str("{}");
                }
                '}' => inside = false,
                _ if !inside => shape.push(c),
                _ => {}
            }
        }
        (shape, self.method)
    }
}

fn operations(document: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let item = resolve(document, item);
        for method in METHODS {
            if let Some(value) = item.get(*method) {
                found.push(Operation {
                    method,
                    path,
                    pointer: format!("/paths/{}/{method}", escape(path)),
                    value,
                    shared_parameters: item.get("parameters"),
                });
            }
        }
    }
    found
}

/// Follows `$ref`s of non-schema objects (responses, parameters, bodies, headers, examples).
fn resolve<'v>(root: &'v Value, mut value: &'v Value) -> &'v Value {
    for _ in 0..32 {
        match value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|t| t.strip_prefix('#'))
            .and_then(|t| root.pointer(t))
        {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// Like `resolve`, also returning the pointer of the object finally reached.
fn resolve_at<'v>(
    root: &'v Value,
    mut value: &'v Value,
    mut pointer: String,
) -> (&'v Value, String) {
    for _ in 0..32 {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|t| t.strip_prefix('#'))
        else {
            break;
        };
        let Some(found) = root.pointer(target) else {
            break;
        };
        value = found;
        pointer = target.to_string();
    }
    (value, pointer)
}

/// Every change between two documents.
pub fn compare(old: &Document, new: &Document, tolerant: &BTreeSet<String>) -> Vec<Change> {
    let (old_root, new_root) = (&old.value, &new.value);
    let name = new.name.as_str();
    let mut changes = Vec::new();
    let mut reached = BTreeSet::new();

    let old_ops = operations(old_root);
    let new_ops = operations(new_root);
    let mut pairs: Vec<(Option<&Operation<'_>>, Option<&Operation<'_>>)> = Vec::new();
    let mut unmatched_new: Vec<&Operation<'_>> = Vec::new();
    let mut unmatched_old: Vec<&Operation<'_>> = old_ops.iter().collect();
    for op in &new_ops {
        if let Some(index) = unmatched_old.iter().position(|o| o.shape() == op.shape()) {
            pairs.push((Some(unmatched_old.remove(index)), Some(op)));
        } else {
            unmatched_new.push(op);
        }
    }
    // An operation that moved keeps its operationId.
    for op in unmatched_new {
        let moved = op
            .id()
            .and_then(|id| unmatched_old.iter().position(|o| o.id() == Some(id)));
        match moved {
            Some(index) => pairs.push((Some(unmatched_old.remove(index)), Some(op))),
            None => pairs.push((None, Some(op))),
        }
    }
    pairs.extend(unmatched_old.into_iter().map(|o| (Some(o), None)));

    for pair in pairs {
        match pair {
            (Some(before), Some(after)) => {
                let mut walk = Walk::new(old_root, new_root, name, Some(after.name()), tolerant);
                operation(&mut walk, before, after);
                reached.append(&mut walk.reached);
                changes.append(&mut walk.changes);
            }
            (None, Some(added)) => changes.push(api_change(
                name,
                Some(added.name()),
                &added.pointer,
                format!("{} {}", added.method.to_uppercase(), added.path),
                "operation-added",
                Class::NonBreaking,
                None,
                Some(Value::from(format!("{} {}", added.method.to_uppercase(), added.path))),
                format!("{CALLERS}: a new method on the client; {MOCK_USERS}: the mock serves it"),
            )),
            (Some(removed), None) => changes.push(api_change(
                name,
                Some(removed.name()),
                &removed.pointer,
                format!("{} {}", removed.method.to_uppercase(), removed.path),
                "operation-removed",
                Class::Breaking,
                Some(Value::from(format!("{} {}", removed.method.to_uppercase(), removed.path))),
                None,
                format!("{CALLERS}: the method is gone from the client; {MOCK_USERS}: the mock answers 404"),
            )),
            (None, None) => {}
        }
    }

    document_wide(old_root, new_root, name, &mut changes);
    unreached_components(old_root, new_root, name, tolerant, &reached, &mut changes);
    changes
}

#[allow(clippy::too_many_arguments)]
fn api_change(
    document: &str,
    operation: Option<String>,
    pointer: &str,
    location: String,
    rule: &str,
    class: Class,
    old: Option<Value>,
    new: Option<Value>,
    reason: String,
) -> Change {
    Change {
        class,
        side: Side::Api,
        document: document.to_string(),
        operation,
        pointer: Some(pointer.to_string()),
        location,
        rule: rule.to_string(),
        old,
        new,
        reason,
    }
}

fn operation(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let verb = |op: &Operation<'_>| format!("{} {}", op.method.to_uppercase(), op.path);
    if old.path != new.path {
        walk.push(Class::Breaking, Side::Api, &new.pointer, verb(new), "operation-path-changed".into(),
            Some(Value::from(old.path)), Some(Value::from(new.path)),
            format!("{CALLERS}: the client calls the new path (clients built before call the old one); {MOCK_USERS}: the mock serves only the new path"));
    }
    if old.method != new.method {
        walk.push(Class::Breaking, Side::Api, &new.pointer, verb(new), "operation-method-changed".into(),
            Some(Value::from(old.method.to_uppercase())), Some(Value::from(new.method.to_uppercase())),
            format!("{CALLERS}: the request uses another method; {MOCK_USERS}: the old method is answered 405"));
    }
    if old.id() != new.id() {
        walk.push(Class::Breaking, Side::Api, &format!("{}/operationId", new.pointer), verb(new), "operation-id-changed".into(),
            old.id().map(Value::from), new.id().map(Value::from),
            format!("{CALLERS}: the operationId names the Rust method and its builder, so `Client::{}` is renamed", old.id().unwrap_or("?")));
    }
    let deprecated = |op: &Operation<'_>| {
        op.value
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if !deprecated(old) && deprecated(new) {
        walk.push(
            Class::NonBreaking,
            Side::Api,
            &format!("{}/deprecated", new.pointer),
            verb(new),
            "operation-deprecated".into(),
            None,
            Some(Value::Bool(true)),
            format!("{CALLERS}: nothing changes yet; the operation may be removed later"),
        );
    }
    parameters(walk, old, new);
    request_body(walk, old, new);
    responses(walk, old, new);
    security(walk, old, new);
}

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

fn is_required(value: &Value) -> bool {
    value
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn parameters(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
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
                walk.push(Class::Breaking, Side::Request, pointer, place, "request-parameter-removed".into(), Some(Value::from(name.clone())), None,
                    format!("{SENDERS}: the builder method `{name}` is gone; {MOCK_USERS}: the mock no longer reads it"));
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
                        walk.push(Class::Breaking, Side::Request, &format!("{new_pointer}/{keyword}"), place.clone(), format!("request-parameter-{keyword}-changed"),
                            old_parameter.get(keyword).cloned(), new_parameter.get(keyword).cloned(),
                            format!("{SENDERS}: the value is written differently on the wire; {MOCK_USERS}: the mock reads the new form"));
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

fn content(value: &Value) -> BTreeMap<&str, &Value> {
    value
        .get("content")
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn request_body(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
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
            media(
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

/// Compares the media types of a body and the schema of each one both sides have.
fn media(walk: &mut Walk<'_>, side: Side, place: &str, old: (&Value, &str), new: (&Value, &str)) {
    let before = content(old.0);
    let after = content(new.0);
    let types: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    let single = types.len() == 1;
    for media_type in types {
        let here = if single && media_type == "application/json" {
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
            (None, Some(_)) => walk.push(Class::NonBreaking, Side::Response, &pointer, here, "response-example-added".into(), None, Some(Value::from(label)),
                format!("{MOCK_USERS}: one more answer the mock can give")),
            (Some(_), None) => {
                let (class, reason) = if name.is_empty() {
                    (Class::Behaviour, format!("{MOCK_USERS}: the mock answers with another example or a generated body"))
                } else {
                    (Class::Breaking, format!("{MOCK_USERS}: `Prefer: example={name}` no longer picks an answer"))
                };
                let pointer = pointer.replacen(new.1, old.1, 1);
                walk.push(class, Side::Response, &pointer, here, "response-example-removed".into(), Some(Value::from(label)), None, reason);
            }
            (Some(a), Some(b)) if a != b => walk.push(Class::Behaviour, Side::Response, &pointer, here, "response-example-changed".into(), Some(a.clone()), Some(b.clone()),
                format!("{MOCK_USERS}: the mock answers with the new example; tests asserting the old one fail")),
            _ => {}
        }
    }
}

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

fn responses(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
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
                media(
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
            (None, Some(key)) => walk.push(Class::NonBreaking, Side::Response, &format!("{}/headers/{}", new.1, escape(key)), here, "response-header-added".into(), None, Some(Value::from(key.clone())),
                format!("{READERS}: a new header to read")),
            (Some(key), None) => walk.push(Class::Breaking, Side::Response, &format!("{}/headers/{}", old.1, escape(key)), here, "response-header-removed".into(), Some(Value::from(key.clone())), None,
                format!("{READERS}: code reading `{key}` finds nothing; {MOCK_USERS}: the mock stops sending it")),
            (Some(old_key), Some(new_key)) => {
                let (old_header, old_at) = resolve_at(old_root, &before[old_key], format!("{}/headers/{}", old.1, escape(old_key)));
                let (new_header, new_at) = resolve_at(new_root, &after[new_key], format!("{}/headers/{}", new.1, escape(new_key)));
                let (was, is) = (is_required(old_header), is_required(new_header));
                if was && !is {
                    walk.push(Class::Breaking, Side::Response, &format!("{new_at}/required"), here.clone(), "response-header-became-optional".into(), Some(Value::Bool(true)), Some(Value::Bool(false)),
                        format!("{READERS}: `{new_key}` may be missing now"));
                } else if !was && is {
                    walk.push(Class::NonBreaking, Side::Response, &format!("{new_at}/required"), here.clone(), "response-header-became-required".into(), Some(Value::Bool(false)), Some(Value::Bool(true)),
                        format!("{READERS}: `{new_key}` is always sent now"));
                }
                if let (Some(old_schema), Some(new_schema)) = (old_header.get("schema"), new_header.get("schema")) {
                    let (old_schema_at, new_schema_at) = (format!("{old_at}/schema"), format!("{new_at}/schema"));
                    walk.schema(Side::Response, &here, At { schema: old_schema, pointer: &old_schema_at }, At { schema: new_schema, pointer: &new_schema_at });
                }
            }
            (None, None) => {}
        }
    }
}

/// The alternatives of the security that applies (the operation's, else the document's), each
/// as the sorted names of the schemes it needs together.
fn security_of(root: &Value, op: &Operation<'_>) -> (BTreeSet<Vec<String>>, String) {
    let (list, pointer) = match op.value.get("security") {
        Some(list) => (list, format!("{}/security", op.pointer)),
        None => match root.get("security") {
            Some(list) => (list, "/security".to_string()),
            None => return (BTreeSet::new(), format!("{}/security", op.pointer)),
        },
    };
    let alternatives = list
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|requirement| {
                    let mut names: Vec<String> = requirement
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    names.sort();
                    names
                })
                .collect()
        })
        .unwrap_or_default();
    (alternatives, pointer)
}

fn security(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let (before, _) = security_of(walk.old, old);
    let (after, pointer) = security_of(walk.new, new);
    let open = |set: &BTreeSet<Vec<String>>| set.is_empty() || set.contains(&Vec::new());
    let label = |names: &Vec<String>| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(" + ")
        }
    };
    if open(&before) && !open(&after) {
        walk.push(Class::Breaking, Side::Api, &pointer, "security".into(), "security-added".into(), None,
            Some(Value::from(after.iter().map(label).collect::<Vec<_>>().join(" or "))),
            format!("{CALLERS}: calls without credentials are refused; {MOCK_USERS}: the mock asks for them"));
        return;
    }
    if !open(&before) && open(&after) {
        walk.push(
            Class::NonBreaking,
            Side::Api,
            &pointer,
            "security".into(),
            "security-removed".into(),
            Some(Value::from(
                before.iter().map(label).collect::<Vec<_>>().join(" or "),
            )),
            None,
            format!("{CALLERS}: credentials are no longer needed"),
        );
        return;
    }
    for gone in before.difference(&after) {
        walk.push(
            Class::Breaking,
            Side::Api,
            &pointer,
            "security".into(),
            "security-requirement-removed".into(),
            Some(Value::from(label(gone))),
            None,
            format!("{CALLERS}: calls authenticated this way are refused"),
        );
    }
    for added in after.difference(&before) {
        walk.push(
            Class::NonBreaking,
            Side::Api,
            &pointer,
            "security".into(),
            "security-requirement-added".into(),
            None,
            Some(Value::from(label(added))),
            format!("{CALLERS}: one more way to authenticate"),
        );
    }
}

/// Servers, security schemes and the API version: what applies to every operation.
fn document_wide(old: &Value, new: &Value, document: &str, changes: &mut Vec<Change>) {
    let urls = |root: &Value| -> Vec<Value> {
        root.get("servers")
            .and_then(Value::as_array)
            .map(|s| s.iter().filter_map(|s| s.get("url").cloned()).collect())
            .unwrap_or_default()
    };
    if urls(old) != urls(new) {
        changes.push(api_change(document, None, "/servers", "servers".into(), "servers-changed", Class::Behaviour,
            Some(Value::Array(urls(old))), Some(Value::Array(urls(new))),
            format!("{CALLERS}: the documented server moves; code relying on the default base URL talks to another host")));
    }
    let version = |root: &Value| root.pointer("/info/version").cloned();
    if version(old) != version(new) {
        changes.push(api_change(
            document,
            None,
            "/info/version",
            "info".into(),
            "api-version-changed",
            Class::NonBreaking,
            version(old),
            version(new),
            format!("{CALLERS}: `ClientInfo::api_version` reports the new version"),
        ));
    }
    let empty = serde_json::Map::new();
    let schemes = |root: &Value| {
        root.pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (before, after) = (schemes(old), schemes(new));
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let pointer = format!("/components/securitySchemes/{}", escape(name));
        let essence = |scheme: &Value| {
            let scheme = resolve(scheme, scheme);
            ["type", "scheme", "in", "name", "bearerFormat"]
                .iter()
                .map(|k| scheme.get(*k).cloned())
                .collect::<Vec<_>>()
        };
        match (before.get(name), after.get(name)) {
            (Some(_), None) => changes.push(api_change(document, None, &pointer, format!("security scheme {name}"), "security-scheme-removed", Class::Breaking,
                Some(Value::from(name.clone())), None, format!("{CALLERS}: credentials of this kind are no longer accepted"))),
            (None, Some(_)) => changes.push(api_change(document, None, &pointer, format!("security scheme {name}"), "security-scheme-added", Class::NonBreaking,
                None, Some(Value::from(name.clone())), format!("{CALLERS}: a new kind of credentials is described"))),
            (Some(a), Some(b)) if essence(a) != essence(b) => changes.push(api_change(document, None, &pointer, format!("security scheme {name}"), "security-scheme-changed", Class::Breaking,
                Some(a.clone()), Some(b.clone()), format!("{CALLERS}: credentials are sent another way; {MOCK_USERS}: the mock checks the new way"))),
            _ => {}
        }
    }
}

/// Component schemas no operation reaches (a webhook body, say) are still generated as types
/// users read, so they are compared as answers.
fn unreached_components(
    old: &Value,
    new: &Value,
    document: &str,
    tolerant: &BTreeSet<String>,
    reached: &BTreeSet<String>,
    changes: &mut Vec<Change>,
) {
    let names = |root: &Value| -> BTreeSet<String> {
        root.pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (before, after) = (names(old), names(new));
    for name in before.union(&after) {
        let pointer = format!("/components/schemas/{}", escape(name));
        if reached.contains(&pointer) {
            continue;
        }
        let place = format!("schema {name}");
        match (old.pointer(&pointer), new.pointer(&pointer)) {
            (Some(_), None) => changes.push(api_change(
                document,
                None,
                &pointer,
                place,
                "component-schema-removed",
                Class::Breaking,
                Some(Value::from(name.clone())),
                None,
                format!("{READERS}: the type `types::{name}` is gone"),
            )),
            (None, Some(_)) => changes.push(api_change(
                document,
                None,
                &pointer,
                place,
                "component-schema-added",
                Class::NonBreaking,
                None,
                Some(Value::from(name.clone())),
                format!("{READERS}: a new type `types::{name}`"),
            )),
            (Some(old_schema), Some(new_schema)) => {
                let mut walk = Walk::new(old, new, document, None, tolerant);
                walk.schema(
                    Side::Response,
                    &place,
                    At {
                        schema: old_schema,
                        pointer: &pointer,
                    },
                    At {
                        schema: new_schema,
                        pointer: &pointer,
                    },
                );
                // What lies inside a component an operation reaches is reported there already.
                let inside_reached = |change: &Change| {
                    change.pointer.as_deref().is_some_and(|p| {
                        reached
                            .iter()
                            .any(|r| p == r || p.starts_with(&format!("{r}/")))
                    })
                };
                changes.extend(walk.changes.into_iter().filter(|c| !inside_reached(c)));
            }
            (None, None) => {}
        }
    }
}
