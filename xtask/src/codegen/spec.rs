//! Reading an OpenAPI document (YAML or JSON) and fingerprinting it: one read serves every
//! generator, as typed OpenAPI for progenitor and the wiremock layer and as plain JSON for the
//! client's rules table.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

/// A document as read from disk.
#[derive(Debug)]
pub struct Source {
    /// Path relative to the workspace root, with `/` separators (it is printed in headers).
    pub path: String,
    /// Hex sha256 of the file's bytes.
    pub sha256: String,
    pub document: openapiv3::OpenAPI,
    /// The same document as plain JSON, for walks that follow the schemas' own keywords.
    pub json: serde_json::Value,
}

impl Source {
    pub fn read(root: &Path, relative: &str) -> Result<Self, String> {
        let bytes =
            fs::read(root.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"))?;
        Self::from_bytes(relative, &bytes)
    }

    /// A document from its bytes; `relative` is where it is said to come from. Read and
    /// checked as `cargo xtask diff` reads it (YAML or JSON, OpenAPI 3.0.x, every `$ref`
    /// resolving), so that a broken reference is reported with where it is before a
    /// generator trips over it.
    pub fn from_bytes(relative: &str, bytes: &[u8]) -> Result<Self, String> {
        let loaded = crate::diff::load::parse(relative, bytes)?;
        Ok(Self {
            path: relative.to_string(),
            sha256: format!("{:x}", Sha256::digest(bytes)),
            document: loaded.api,
            json: loaded.value,
        })
    }
}

pub use crate::diff::load::resolve;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dangling_reference_is_reported_with_where_it_is_before_any_generator_runs() {
        // Arrange: a property refers to a schema that is not there (a typo, say).
        let yaml = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: object, properties: {mode: {$ref: '#/components/schemas/Modes'}}}\n";

        // Act
        let error = Source::from_bytes("openapi/t.yaml", yaml.as_bytes()).unwrap_err();

        // Assert
        assert!(
            error.contains(
                "the $ref `#/components/schemas/Modes` at /components/schemas/A/properties/mode points at nothing"
            ),
            "{error}"
        );
    }
}
