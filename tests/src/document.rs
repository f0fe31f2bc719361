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

/// The whole document as JSON.
pub fn document() -> &'static Value {
    &DOCUMENT
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
    let mut value = value;
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        value = reference
            .strip_prefix('#')
            .and_then(|pointer| document().pointer(pointer))
            .unwrap_or_else(|| panic!("{PATH}: {reference} does not resolve"));
    }
    value
}

/// The examples of a media type or parameter: its `example` (named `example`) and each entry
/// of its `examples`, references resolved, in document order.
pub fn examples_of(holder: &'static Value) -> Vec<(String, Value)> {
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
        found.push((name.clone(), resolve(example)["value"].clone()));
    }
    found
}
