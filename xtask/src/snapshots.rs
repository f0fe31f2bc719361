//! `cargo xtask snapshots --references FILE`: insta snapshot hygiene for CI.
//!
//! Run the tests with `INSTA_SNAPSHOT_REFERENCES_FILE=FILE`: insta appends the path of every
//! snapshot a test asserted. Afterwards this fails on a committed `.snap` that no test
//! referenced (a renamed or deleted test left it behind) and on pending `.snap.new` /
//! `.pending-snap` files (a new or changed snapshot nobody reviewed).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Checks the workspace's snapshots against the references a test run recorded.
pub fn check(root: &Path, references: &Path) -> Result<(), String> {
    let recorded = fs::read_to_string(references).map_err(|e| {
        format!(
            "cannot read {}: {e}; run the tests with INSTA_SNAPSHOT_REFERENCES_FILE set",
            references.display()
        )
    })?;
    let referenced: BTreeSet<PathBuf> = recorded
        .lines()
        .filter(|l| !l.is_empty())
        .filter_map(|l| fs::canonicalize(l).ok())
        .collect();
    let mut problems = Vec::new();
    for file in snapshot_files(root) {
        let name = file.to_string_lossy();
        let relative = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            problems.push(format!(
                "pending snapshot {relative}: review it with `cargo insta review` or delete it"
            ));
        } else if name.ends_with(".snap")
            && !referenced.contains(&fs::canonicalize(&file).unwrap_or(file.clone()))
        {
            problems.push(format!(
                "unreferenced snapshot {relative}: no test asserted it; delete it"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Every snapshot file below the workspace, skipping build output and hidden folders.
fn snapshot_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".snap")
                || name.ends_with(".snap.new")
                || name.ends_with(".pending-snap")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-snapshots-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("crate/tests/snapshots")).unwrap();
        dir
    }

    #[test]
    fn an_unreferenced_snapshot_fails_the_check() {
        // Arrange
        let root = scratch("unreferenced");
        let used = root.join("crate/tests/snapshots/used.snap");
        fs::write(&used, "").unwrap();
        fs::write(root.join("crate/tests/snapshots/stale.snap"), "").unwrap();
        let references = root.join("refs");
        fs::write(&references, format!("{}\n", used.display())).unwrap();

        // Act
        let error = check(&root, &references).unwrap_err();

        // Assert
        fs::remove_dir_all(&root).unwrap();
        assert!(
            error.contains("unreferenced snapshot crate/tests/snapshots/stale.snap"),
            "{error}"
        );
        assert!(!error.contains("used.snap"), "{error}");
    }

    #[test]
    fn a_pending_snapshot_fails_the_check() {
        // Arrange
        let root = scratch("pending");
        fs::write(root.join("crate/tests/snapshots/new.snap.new"), "").unwrap();
        let references = root.join("refs");
        fs::write(&references, "").unwrap();

        // Act
        let error = check(&root, &references).unwrap_err();

        // Assert
        fs::remove_dir_all(&root).unwrap();
        assert!(
            error.contains("pending snapshot crate/tests/snapshots/new.snap.new"),
            "{error}"
        );
    }

    #[test]
    fn referenced_snapshots_pass() {
        let root = scratch("clean");
        let used = root.join("crate/tests/snapshots/used.snap");
        fs::write(&used, "").unwrap();
        let references = root.join("refs");
        fs::write(&references, format!("{}\n", used.display())).unwrap();
        let result = check(&root, &references);
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(result, Ok(()));
    }
}
