//! Callbacks: requests the service sends to an endpoint of the client user's (the task-event
//! webhook). A callback's request body is read by the receiver, so it is compared the way
//! answers are: widening it breaks receivers that parse it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::change::{Class, DELIVERIES, RECEIVERS, Side};
use super::super::load::escape;
use super::super::schema::{At, Walk};
use super::{METHODS, Operation, resolve_at};

/// One request a callback describes: by callback name, URL expression and method.
type Key = (String, String, &'static str);

/// Every request the callbacks of `operation` describe, with its operation object and pointer.
fn requests<'v>(root: &'v Value, operation: &Operation<'v>) -> BTreeMap<Key, (&'v Value, String)> {
    let mut found = BTreeMap::new();
    let Some(callbacks) = operation.value.get("callbacks").and_then(Value::as_object) else {
        return found;
    };
    for (name, callback) in callbacks {
        let at = format!("{}/callbacks/{}", operation.pointer, escape(name));
        let (callback, at) = resolve_at(root, callback, at);
        let Some(expressions) = callback.as_object() else {
            continue;
        };
        for (expression, item) in expressions {
            let (item, item_at) = resolve_at(root, item, format!("{at}/{}", escape(expression)));
            for method in METHODS {
                if let Some(request) = item.get(*method) {
                    found.insert(
                        (name.clone(), expression.clone(), *method),
                        (request, format!("{item_at}/{method}")),
                    );
                }
            }
        }
    }
    found
}

pub(super) fn callbacks(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
    let (old_root, new_root) = (walk.old, walk.new);
    let before = requests(old_root, old);
    let after = requests(new_root, new);
    let keys: BTreeSet<&Key> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (name, expression, method) = key;
        let place = format!("callback {name} {} {expression}", method.to_uppercase());
        match (before.get(key), after.get(key)) {
            (None, Some((_, pointer))) => walk.push(
                Class::NonBreaking,
                Side::Api,
                pointer,
                place,
                "callback-added".into(),
                None,
                Some(Value::from(name.clone())),
                format!(
                    "{RECEIVERS}: the document now describes requests the service sends; nothing that worked changes"
                ),
            ),
            (Some((_, pointer)), None) => walk.push(
                Class::Behaviour,
                Side::Api,
                pointer,
                place,
                "callback-removed".into(),
                Some(Value::from(name.clone())),
                None,
                format!(
                    "{RECEIVERS}: the document no longer describes these requests; the service may stop sending them"
                ),
            ),
            (Some((old_request, old_at)), Some((new_request, new_at))) => {
                body(
                    walk,
                    &format!("{place} body"),
                    (old_request, old_at),
                    (new_request, new_at),
                );
            }
            (None, None) => {}
        }
    }
}

/// Compares the body schema of each media type both sides of a callback request have.
fn body(walk: &mut Walk<'_>, place: &str, old: (&Value, &str), new: (&Value, &str)) {
    let (old_root, new_root) = (walk.old, walk.new);
    let (Some(old_body), Some(new_body)) = (old.0.get("requestBody"), new.0.get("requestBody"))
    else {
        return;
    };
    let (old_body, old_at) = resolve_at(old_root, old_body, format!("{}/requestBody", old.1));
    let (new_body, new_at) = resolve_at(new_root, new_body, format!("{}/requestBody", new.1));
    let Some(media_types) = old_body.get("content").and_then(Value::as_object) else {
        return;
    };
    let readers = std::mem::replace(&mut walk.readers, DELIVERIES);
    for media_type in media_types.keys() {
        let schema = format!("/content/{}/schema", escape(media_type));
        let (Some(old_schema), Some(new_schema)) =
            (old_body.pointer(&schema), new_body.pointer(&schema))
        else {
            continue;
        };
        let (old_schema_at, new_schema_at) =
            (format!("{old_at}{schema}"), format!("{new_at}{schema}"));
        walk.schema(
            Side::Response,
            place,
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
    walk.readers = readers;
}
