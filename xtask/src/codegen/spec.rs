//! Reading an OpenAPI document (YAML or JSON) and fingerprinting it.

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
}

impl Source {
    pub fn read(root: &Path, relative: &str) -> Result<Self, String> {
        let bytes =
            fs::read(root.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"))?;
        let document = parse(&bytes)
            .map_err(|e| format!("{relative} is not a valid OpenAPI 3.0 document: {e}"))?;
        if !document.openapi.starts_with("3.0.") {
            return Err(format!(
                "{relative} declares OpenAPI {}; the generator supports 3.0.x only",
                document.openapi
            ));
        }
        Ok(Self {
            path: relative.to_string(),
            sha256: format!("{:x}", Sha256::digest(&bytes)),
            document,
        })
    }
}

/// YAML is a superset of JSON, so one parser reads both.
pub fn parse(bytes: &[u8]) -> Result<openapiv3::OpenAPI, String> {
    serde_yaml_ng::from_slice(bytes).map_err(|e| e.to_string())
}
