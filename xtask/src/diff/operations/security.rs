//! Which credentials an operation asks for.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::change::{CALLERS, Class, MOCK_USERS, Side};
use super::super::schema::Walk;
use super::Operation;

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

pub(super) fn security(walk: &mut Walk<'_>, old: &Operation<'_>, new: &Operation<'_>) {
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
        let reason = format!(
            "{CALLERS}: calls without credentials are refused; {MOCK_USERS}: the mock asks for them"
        );
        walk.push(
            Class::Breaking,
            Side::Api,
            &pointer,
            "security".into(),
            "security-added".into(),
            None,
            Some(Value::from(
                after.iter().map(label).collect::<Vec<_>>().join(" or "),
            )),
            reason,
        );
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
