//! What applies to the whole document: servers, security schemes, the API version, and the
//! component schemas no operation reaches.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::change::{CALLERS, Change, Class, MOCK_USERS, READERS, Side};
use super::super::load::escape;
use super::super::schema::{At, Walk};
use super::{api_change, resolve};

/// Servers, security schemes and the API version: what applies to every operation.
pub(super) fn document_wide(old: &Value, new: &Value, document: &str, changes: &mut Vec<Change>) {
    let urls = |root: &Value| -> Vec<Value> {
        root.get("servers")
            .and_then(Value::as_array)
            .map(|s| s.iter().filter_map(|s| s.get("url").cloned()).collect())
            .unwrap_or_default()
    };
    if urls(old) != urls(new) {
        let reason = format!(
            "{CALLERS}: the documented server moves; code relying on the default base URL talks to another host"
        );
        changes.push(api_change(
            document,
            None,
            "/servers",
            "servers".into(),
            "servers-changed",
            Class::Behaviour,
            Some(Value::Array(urls(old))),
            Some(Value::Array(urls(new))),
            reason,
        ));
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
        // What decides how credentials are sent; descriptions do not.
        let essence = |root: &Value, scheme: &Value| {
            let scheme = resolve(root, scheme);
            ["type", "scheme", "in", "name", "bearerFormat"]
                .iter()
                .map(|k| scheme.get(*k).cloned())
                .collect::<Vec<_>>()
        };
        match (before.get(name), after.get(name)) {
            (Some(_), None) => {
                let reason = format!("{CALLERS}: credentials of this kind are no longer accepted");
                changes.push(api_change(
                    document,
                    None,
                    &pointer,
                    format!("security scheme {name}"),
                    "security-scheme-removed",
                    Class::Breaking,
                    Some(Value::from(name.clone())),
                    None,
                    reason,
                ));
            }
            (None, Some(_)) => {
                let reason = format!("{CALLERS}: a new kind of credentials is described");
                changes.push(api_change(
                    document,
                    None,
                    &pointer,
                    format!("security scheme {name}"),
                    "security-scheme-added",
                    Class::NonBreaking,
                    None,
                    Some(Value::from(name.clone())),
                    reason,
                ));
            }
            (Some(a), Some(b)) if essence(old, a) != essence(new, b) => {
                let reason = format!(
                    "{CALLERS}: credentials are sent another way; {MOCK_USERS}: the mock checks the new way"
                );
                changes.push(api_change(
                    document,
                    None,
                    &pointer,
                    format!("security scheme {name}"),
                    "security-scheme-changed",
                    Class::Breaking,
                    Some(a.clone()),
                    Some(b.clone()),
                    reason,
                ));
            }
            _ => {}
        }
    }
}

/// Component schemas no operation reaches (a webhook body, say) are still generated as types
/// users read, so they are compared as answers.
pub(super) fn unreached_components(
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
