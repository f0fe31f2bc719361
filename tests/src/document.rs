//! The OpenAPI document, embedded at compile time so the checks run anywhere.

use std::sync::LazyLock;

use serde_json::Value;

/// The document's path relative to the workspace root.
pub const PATH: &str = "openapi/kling-v3-omni-reference-video-to-video.yaml";

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!(
        "../../openapi/kling-v3-omni-reference-video-to-video.yaml"
    ))
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
