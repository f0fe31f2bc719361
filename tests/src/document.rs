//! The OpenAPI document as JSON, for the checks: the text the mock embeds (one embedding for
//! the workspace's tests), parsed once, with the `$ref` resolution and example extraction the
//! checks share.

use std::sync::LazyLock;

use serde_json::Value;

/// The document's path relative to the workspace root.
pub const PATH: &str = mulerouter_kling_mock::document::SOURCE_PATH;

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_yaml_ng::from_str(mulerouter_kling_mock::document::SOURCE)
        .expect("the OpenAPI document is valid YAML")
});

/// The admin API's document's path relative to the workspace root.
pub const ADMIN_PATH: &str = mulerouter_kling_mock::document::ADMIN_SOURCE_PATH;

static ADMIN_DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_yaml_ng::from_str(mulerouter_kling_mock::document::ADMIN_SOURCE)
        .expect("the admin OpenAPI document is valid YAML")
});

/// The whole document as JSON.
pub fn document() -> &'static Value {
    &DOCUMENT
}

/// The mock's admin API document as JSON.
pub fn admin_document() -> &'static Value {
    &ADMIN_DOCUMENT
}

/// A component schema by name.
pub fn component(name: &str) -> Option<&'static Value> {
    document().pointer(&format!("/components/schemas/{name}"))
}

/// The names of every component schema.
pub fn component_names() -> Vec<&'static str> {
    document()["components"]["schemas"]
        .as_object()
        .map(|schemas| schemas.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Follows local `$ref`s (`#/components/...`) to their target.
///
/// # Panics
///
/// When a reference does not resolve: the document is broken, and every check would mislead.
pub fn resolve(value: &'static Value) -> &'static Value {
    resolve_in(document(), value)
}

/// [`resolve`] in another document (`in_document`, e.g. [`admin_document`]).
pub fn resolve_in(in_document: &'static Value, value: &'static Value) -> &'static Value {
    let mut value = value;
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        value = reference
            .strip_prefix('#')
            .and_then(|pointer| in_document.pointer(pointer))
            .unwrap_or_else(|| panic!("{reference} does not resolve"));
    }
    value
}

/// The examples of a media type or parameter: its `example` (named `example`) and each entry
/// of its `examples`, references resolved, in document order.
pub fn examples_of(holder: &'static Value) -> Vec<(String, Value)> {
    examples_of_in(document(), holder)
}

/// [`examples_of`] in another document.
pub fn examples_of_in(in_document: &'static Value, holder: &'static Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = holder.get("example") {
        found.push(("example".to_string(), example.clone()));
    }
    for (name, example) in holder
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        found.push((
            name.clone(),
            resolve_in(in_document, example)["value"].clone(),
        ));
    }
    found
}
