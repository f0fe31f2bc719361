//! Guards on what the published crates depend on.

#[cfg(test)]
mod tests {
    use crate::workspace;

    /// The generator runs in xtask only: users of the client must not compile it. (`syn`
    /// itself is still in the tree, as it is in most: derive macros such as serde's and
    /// displaydoc's need it. What must be absent is what turns a document into code.)
    #[test]
    fn the_client_does_not_depend_on_the_generator() {
        let output = workspace::cargo(&workspace::root())
            .args([
                "tree",
                "--package",
                "mulerouter-kling",
                "--edges",
                "normal,build",
                "--prefix",
                "none",
            ])
            .args(["--format", "{p}", "--offline"])
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8(output.stdout).unwrap();
        for generator in [
            "progenitor-impl ",
            "progenitor ",
            "typify",
            "prettyplease ",
            "openapiv3 ",
        ] {
            assert!(
                !tree.lines().any(|line| line.starts_with(generator)),
                "the client depends on {generator}:\n{tree}"
            );
        }
        assert!(
            tree.lines()
                .any(|line| line.starts_with("progenitor-client ")),
            "{tree}"
        );
    }
}
