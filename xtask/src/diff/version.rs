//! The client crate's version at a revision and in the working tree, and what semver asks of
//! it after a breaking change.

use std::path::Path;

use semver::Version;

use crate::codegen::{Kind, OUTPUTS};

/// The directory of the crate whose generated client comes from `document`, read from
/// codegen's table of outputs (`crates/mulerouter-kling` for the client's row).
pub fn client_crate(document: &str) -> Option<String> {
    OUTPUTS
        .iter()
        .find(|output| output.spec == document && output.kind == Kind::Client)
        .and_then(|output| {
            output
                .path
                .split_once("/src/")
                .map(|(dir, _)| dir.to_string())
        })
}

/// Where a crate's version is written, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub version: Version,
    /// `[workspace.package] version in Cargo.toml`, or the crate's manifest.
    pub written_in: String,
}

/// The effective version of the crate whose manifest is `manifest` (at `crate_dir`), inherited
/// from `workspace` when it says `version.workspace = true`.
pub fn effective(crate_dir: &str, manifest: &str, workspace: &str) -> Result<Found, String> {
    let manifest_path = format!("{crate_dir}/Cargo.toml");
    let parsed: toml_edit::DocumentMut = manifest
        .parse()
        .map_err(|e| format!("{manifest_path} is not valid TOML: {e}"))?;
    let version = parsed.get("package").and_then(|p| p.get("version"));
    let (text, written_in) = if let Some(text) = version.and_then(|v| v.as_str()) {
        (text.to_string(), format!("`version` in {manifest_path}"))
    } else if version
        .and_then(|v| v.get("workspace"))
        .and_then(|w| w.as_bool())
        == Some(true)
    {
        let workspace: toml_edit::DocumentMut = workspace
            .parse()
            .map_err(|e| format!("Cargo.toml is not valid TOML: {e}"))?;
        let text = workspace
            .get("workspace")
            .and_then(|w| w.get("package"))
            .and_then(|p| p.get("version"))
            .and_then(|v| v.as_str())
            .ok_or("Cargo.toml has no [workspace.package] version for the crate to inherit")?;
        (
            text.to_string(),
            "`version` in [workspace.package] of Cargo.toml".to_string(),
        )
    } else {
        return Err(format!("{manifest_path} has no package version"));
    };
    let version = Version::parse(&text)
        .map_err(|e| format!("the version `{text}` of {crate_dir} is not semver: {e}"))?;
    Ok(Found {
        version,
        written_in,
    })
}

/// The crate's version in the working tree.
pub fn in_tree(root: &Path, crate_dir: &str) -> Result<Found, String> {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    effective(
        crate_dir,
        &read(&format!("{crate_dir}/Cargo.toml"))?,
        &read("Cargo.toml")?,
    )
}

/// The crate's version at `revision`; `None` when the crate did not exist yet.
pub fn at_revision(root: &Path, revision: &str, crate_dir: &str) -> Result<Option<Found>, String> {
    let Ok(manifest) = super::load::show(root, revision, &format!("{crate_dir}/Cargo.toml")) else {
        return Ok(None);
    };
    let workspace = super::load::show(root, revision, "Cargo.toml")?;
    effective(
        crate_dir,
        &String::from_utf8_lossy(&manifest),
        &String::from_utf8_lossy(&workspace),
    )
    .map(Some)
}

/// The smallest version semver allows after a breaking change: the next major, or for 0.x
/// the next minor (0.y.z: anything may change, and cargo treats 0.y as the compatibility unit).
pub fn after_breaking(old: &Version) -> Version {
    if old.major == 0 {
        Version::new(0, old.minor + 1, 0)
    } else {
        Version::new(old.major + 1, 0, 0)
    }
}

/// Whether `new` is allowed to carry a breaking change made since `old`.
pub fn allows_breaking(old: &Version, new: &Version) -> bool {
    let needed = after_breaking(old);
    (new.major, new.minor) >= (needed.major, needed.minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str =
        "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.3.1\"\n";

    #[test]
    fn an_inherited_version_is_read_from_the_workspace() {
        // Arrange
        let manifest = "[package]\nname = \"c\"\nversion.workspace = true\n";

        // Act
        let found = effective("crates/c", manifest, WORKSPACE).unwrap();

        // Assert
        assert_eq!(found.version, Version::new(0, 3, 1));
        assert!(found.written_in.contains("[workspace.package]"));
    }

    #[test]
    fn an_inline_table_inherits_too_and_an_own_version_wins() {
        let inline = "[package]\nname = \"c\"\nversion = { workspace = true }\n";
        let own = "[package]\nname = \"c\"\nversion = \"1.2.3\"\n";
        assert_eq!(
            effective("c", inline, WORKSPACE).unwrap().version,
            Version::new(0, 3, 1)
        );
        assert_eq!(
            effective("c", own, WORKSPACE).unwrap().version,
            Version::new(1, 2, 3)
        );
    }

    #[test]
    fn a_manifest_without_a_version_is_an_error_naming_it() {
        let error = effective("crates/c", "[package]\nname = \"c\"\n", WORKSPACE).unwrap_err();
        assert!(
            error.contains("crates/c/Cargo.toml has no package version"),
            "{error}"
        );
    }

    #[test]
    fn a_workspace_without_a_package_version_is_an_error() {
        let manifest = "[package]\nname = \"c\"\nversion.workspace = true\n";
        let error = effective("c", manifest, "[workspace]\n").unwrap_err();
        assert!(error.contains("no [workspace.package] version"), "{error}");
    }

    #[test]
    fn before_1_0_a_breaking_change_needs_the_next_minor() {
        let old = Version::new(0, 1, 4);
        assert_eq!(after_breaking(&old), Version::new(0, 2, 0));
        assert!(!allows_breaking(&old, &Version::new(0, 1, 5)));
        assert!(allows_breaking(&old, &Version::new(0, 2, 0)));
        assert!(allows_breaking(&old, &Version::new(1, 0, 0)));
    }

    #[test]
    fn from_1_0_a_breaking_change_needs_the_next_major() {
        let old = Version::new(1, 4, 0);
        assert!(!allows_breaking(&old, &Version::new(1, 5, 0)));
        assert!(allows_breaking(&old, &Version::new(2, 0, 0)));
    }

    #[test]
    fn the_client_crate_is_found_from_the_codegen_table() {
        assert_eq!(
            client_crate("openapi/kling-v3-omni-reference-video-to-video.yaml").as_deref(),
            Some("crates/mulerouter-kling")
        );
        assert_eq!(client_crate("openapi/other.yaml"), None);
    }
}
