//! `cargo xtask codegen [--check]`: one code path that renders every generated file in memory,
//! then either writes it or compares it with the file on disk.

pub(crate) mod client;
mod header;
pub(crate) mod null_branch;
#[cfg(test)]
mod operations;
mod outputs;
mod rules;
pub(crate) mod spec;
pub(crate) mod wiremock;

use std::fs;
use std::path::Path;

pub use outputs::{Kind, OUTPUTS, Output};

/// What to do with freshly rendered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Overwrite the generated files.
    Write,
    /// Leave the files alone; fail when any differs from what would be written.
    Check,
}

/// The command that refreshes every generated file; named in headers and error messages.
pub const COMMAND: &str = "cargo xtask codegen";

/// Renders every output and writes or checks it.
pub fn run(root: &Path, mode: Mode) -> Result<(), String> {
    let mut stale = Vec::new();
    let mut wrote = false;
    for output in OUTPUTS {
        let rendered = render(root, output)?;
        let path = root.join(output.path);
        let current = fs::read_to_string(&path).unwrap_or_default();
        if current == rendered {
            continue;
        }
        match mode {
            Mode::Write => {
                fs::write(&path, &rendered)
                    .map_err(|e| format!("cannot write {}: {e}", output.path))?;
                eprintln!("wrote {}", output.path);
                wrote = true;
            }
            Mode::Check if only_the_fingerprint_differs(&current, &rendered) => stale.push(format!(
                "{}: only the document's sha256 in the header differs; the document changed where the code does not show it (a description or an example, say)\n",
                output.path
            )),
            Mode::Check => stale.push(diff(output.path, &current, &rendered)),
        }
    }
    if wrote {
        eprintln!(
            "next: `cargo xtask diff` says what the change breaks and for whom; `cargo test --workspace` runs the tests (snapshots that moved fail with their diff: review them with `cargo insta review`, or accept them all with `INSTA_UPDATE=always`, then read `git diff`)"
        );
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated code is out of date with the OpenAPI document; run `{COMMAND}` and commit the result.\n\n{}",
            stale.join("\n")
        ))
    }
}

/// Renders one output, header included, exactly as it is written to disk.
pub fn render(root: &Path, output: &Output) -> Result<String, String> {
    let source = spec::Source::read(root, output.spec)?;
    let body = match output.kind {
        outputs::Kind::Client => client::generate(&source)?,
        outputs::Kind::Wiremock { types } => wiremock::generate(&source, types)?,
        outputs::Kind::Rules => rules::generate(&source)?,
    };
    Ok(format!("{}{}", header::render(&source), body))
}

/// Whether two renderings differ in their first line alone: the header, which carries the
/// document's fingerprint.
fn only_the_fingerprint_differs(current: &str, rendered: &str) -> bool {
    let body = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_string());
    current != rendered && body(current).is_some() && body(current) == body(rendered)
}

/// A unified diff of a stale file, bounded so a wholly different file stays readable.
fn diff(path: &str, current: &str, rendered: &str) -> String {
    const MAX_LINES: usize = 200;
    let text = similar::TextDiff::from_lines(current, rendered)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (committed)"),
            &format!("{path} (generated)"),
        )
        .to_string();
    let total = text.lines().count();
    if total <= MAX_LINES {
        return text;
    }
    let mut shown: String = text.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
    shown.push_str(&format!("\n… {} more diff lines\n", total - MAX_LINES));
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` (which builds xtask, unlike plain `cargo test`) fails when a
    /// generated file is stale, with the diff and the command.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(message) = run(&crate::workspace::root(), Mode::Check) {
            panic!("{message}");
        }
    }

    #[test]
    fn check_reports_a_diff_and_the_command_when_a_file_is_stale() {
        // Arrange: a copy of the workspace's inputs with one generated file tampered with.
        let scratch = std::env::temp_dir().join(format!("xtask-codegen-{}", std::process::id()));
        let output = &OUTPUTS[0];
        // Every document, since `run` reads each; of the generated files, only the one tampered.
        let specs = OUTPUTS.iter().map(|row| row.spec);
        for relative in specs.chain([output.path]) {
            let target = scratch.join(relative);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::copy(crate::workspace::root().join(relative), &target).unwrap();
        }
        let generated = scratch.join(output.path);
        let tampered = fs::read_to_string(&generated).unwrap() + "// a hand edit\n";
        fs::write(&generated, tampered).unwrap();

        // Act
        let error = run(&scratch, Mode::Check).unwrap_err();

        // Assert
        fs::remove_dir_all(&scratch).unwrap();
        assert!(error.contains("run `cargo xtask codegen`"), "{error}");
        assert!(error.contains("-// a hand edit"), "{error}");
    }

    #[test]
    fn a_header_that_differs_only_in_the_fingerprint_is_said_to_be_just_that() {
        let current = "// @generated from a.yaml (sha256 aaa).\nfn f() {}\n";
        let rendered = "// @generated from a.yaml (sha256 bbb).\nfn f() {}\n";

        assert!(only_the_fingerprint_differs(current, rendered));
        assert!(!only_the_fingerprint_differs(current, current));
        assert!(!only_the_fingerprint_differs(current, "// x\nfn g() {}\n"));
    }

    #[test]
    fn another_document_needs_only_a_table_row() {
        // Arrange: a second, unrelated document in a scratch workspace.
        let scratch = std::env::temp_dir().join(format!("xtask-second-{}", std::process::id()));
        fs::create_dir_all(scratch.join("openapi")).unwrap();
        fs::write(
            scratch.join("openapi/pets.yaml"),
            "openapi: 3.0.3\ninfo: {title: pets, version: '2'}\npaths:\n  /pets/{id}:\n    get:\n      operationId: get_pet\n      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}\ncomponents:\n  schemas:\n    Pet: {type: object, required: [name], properties: {name: {type: string}}}\n",
        )
        .unwrap();
        let row = Output {
            spec: "openapi/pets.yaml",
            path: "crates/pets/src/generated.rs",
            kind: outputs::Kind::Client,
        };

        // Act
        let rendered = render(&scratch, &row);

        // Assert
        fs::remove_dir_all(&scratch).unwrap();
        let rendered = rendered.unwrap();
        assert!(
            rendered.starts_with("// @generated by `cargo xtask codegen` from openapi/pets.yaml")
        );
        assert!(rendered.contains("pub fn get_pet(&self)"), "{rendered}");
        assert!(rendered.contains("pub struct Pet"));
    }

    #[test]
    fn write_then_check_agree() {
        // Arrange
        let scratch = std::env::temp_dir().join(format!("xtask-write-{}", std::process::id()));
        for output in OUTPUTS {
            let spec = scratch.join(output.spec);
            fs::create_dir_all(spec.parent().unwrap()).unwrap();
            fs::copy(crate::workspace::root().join(output.spec), &spec).unwrap();
            fs::create_dir_all(scratch.join(output.path).parent().unwrap()).unwrap();
        }

        // Act
        run(&scratch, Mode::Write).unwrap();
        let checked = run(&scratch, Mode::Check);

        // Assert
        let written: Vec<String> = OUTPUTS
            .iter()
            .map(|output| fs::read_to_string(scratch.join(output.path)).unwrap())
            .collect();
        fs::remove_dir_all(&scratch).unwrap();
        assert_eq!(checked, Ok(()));
        for file in written {
            assert!(file.starts_with("// @generated by `cargo xtask codegen`"));
        }
    }
}
