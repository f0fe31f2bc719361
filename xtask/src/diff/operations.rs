//! Comparing two documents operation by operation (pairing them by method and path, else by
//! operationId), then what applies to the whole document.

use std::collections::BTreeSet;

use serde_json::Value;

use super::change::{CALLERS, Change, Class, MOCK_USERS, Side};
use super::load::{Document, escape, resolve, resolve_at};
use super::schema::Walk;

mod bodies;
mod callbacks;
mod document;
mod request;
mod responses;
mod security;

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
                Some(Value::from(format!(
                    "{} {}",
                    added.method.to_uppercase(),
                    added.path
                ))),
                format!(
                    "{CALLERS}: a new method on the generated client (`client.raw()`), none on `Client` until one is written; {MOCK_USERS}: the mock validates its request, then answers its documented example without touching a task (and says so when it starts), until its behaviour is written (`crates/mulerouter-kling-mock/src/dispatch.rs`)"
                ),
            )),
            (Some(removed), None) => {
                let reason = format!(
                    "{CALLERS}: the method is gone from the client; {MOCK_USERS}: the mock answers 404"
                );
                changes.push(api_change(
                    name,
                    Some(removed.name()),
                    &removed.pointer,
                    format!("{} {}", removed.method.to_uppercase(), removed.path),
                    "operation-removed",
                    Class::Breaking,
                    Some(Value::from(format!(
                        "{} {}",
                        removed.method.to_uppercase(),
                        removed.path
                    ))),
                    None,
                    reason,
                ));
            }
            (None, None) => {}
        }
    }

    document::document_wide(old_root, new_root, name, &mut changes);
    document::unreached_components(old_root, new_root, name, tolerant, &reached, &mut changes);
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
        let reason = format!(
            "{CALLERS}: the client calls the new path (clients built before call the old one); {MOCK_USERS}: the mock serves only the new path"
        );
        walk.push(
            Class::Breaking,
            Side::Api,
            &new.pointer,
            verb(new),
            "operation-path-changed".into(),
            Some(Value::from(old.path)),
            Some(Value::from(new.path)),
            reason,
        );
    }
    if old.method != new.method {
        let reason = format!(
            "{CALLERS}: the request uses another method; {MOCK_USERS}: the old method is answered 405"
        );
        walk.push(
            Class::Breaking,
            Side::Api,
            &new.pointer,
            verb(new),
            "operation-method-changed".into(),
            Some(Value::from(old.method.to_uppercase())),
            Some(Value::from(new.method.to_uppercase())),
            reason,
        );
    }
    if old.id() != new.id() {
        let reason = format!(
            "{CALLERS}: the operationId names the Rust method and its builder, so `Client::{}` is renamed",
            old.id().unwrap_or("?")
        );
        walk.push(
            Class::Breaking,
            Side::Api,
            &format!("{}/operationId", new.pointer),
            verb(new),
            "operation-id-changed".into(),
            old.id().map(Value::from),
            new.id().map(Value::from),
            reason,
        );
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
    request::parameters(walk, old, new);
    request::request_body(walk, old, new);
    responses::responses(walk, old, new);
    security::security(walk, old, new);
    callbacks::callbacks(walk, old, new);
}

fn is_required(value: &Value) -> bool {
    value
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}
