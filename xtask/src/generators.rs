//! `cargo xtask generators`: generates clients from the document with openapi-generator
//! (`python`, `typescript-fetch`, `java`, `go`) and fails on any warning about the document.
//!
//! openapi-generator comes from PyPI (`openapi-generator-cli`, which bundles the jar; pinned in
//! `tests/python/openapi-generator-requirements.txt`) into a virtualenv under `target/`; it
//! needs Java 11 or newer. The warnings in [`NOISE`] appear for documents far simpler than
//! this one (openapi/README.md says where each comes from); any other `WARN` or `ERROR` line,
//! or a failed generation, fails the command. `validate --recommend` must find nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::virtualenv::{Virtualenv, check};
use crate::workspace;

const DOCUMENT: &str = "openapi/kling-v3-omni-reference-video-to-video.yaml";
const REQUIREMENTS: &str = "tests/python/openapi-generator-requirements.txt";
const GENERATORS: &[&str] = &["python", "typescript-fetch", "java", "go"];
/// `INFO` lines that are about the document all the same.
const ABOUT_THE_DOCUMENT: &[&str] = &[
    // An unnamed inline schema got a made-up model name (`Element_oneOf`).
    "o.o.codegen.InlineModelResolver - Inline schema created as",
];
/// Log lines openapi-generator 7.26.0 also prints for documents far simpler than this one.
const NOISE: &[&str] = &[
    // `ModelUtils.getSimpleRef` handed a schema that is not a `$ref` by the generator's own
    // code (the normaliser's self-reference check, named examples, python's defaults).
    "o.o.codegen.utils.ModelUtils - Failed to get the schema name: null",
    // `java`: any object example on a request body.
    "o.o.c.languages.AbstractJavaCodegen - Ignoring complex example on request body",
];

pub fn run(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let work = workspace::target_dir(root).join("openapi-generator");
    check(
        Command::new("java")
            .arg("-version")
            .stderr(std::process::Stdio::null()),
        "`java -version` (openapi-generator needs Java 11 or newer)",
    )?;
    let venv = Virtualenv::with_requirements(root, &work.join("venv"), REQUIREMENTS, (3, 8))?;
    let cli = venv.bin("openapi-generator-cli");
    let document = root.join(DOCUMENT);

    let mut failures = Vec::new();
    let validated = Command::new(&cli)
        .args(["validate", "--recommend", "-i"])
        .arg(&document)
        .output()
        .map_err(|e| format!("cannot run openapi-generator: {e}"))?;
    let said = String::from_utf8_lossy(&validated.stdout);
    if validated.status.success() && said.contains("No validation issues detected.") {
        println!("generators: validate --recommend: no issues");
    } else {
        failures.push(format!("validate --recommend: {}", said.trim()));
    }

    for generator in GENERATORS {
        let output = work.join(generator);
        let _ = std::fs::remove_dir_all(&output);
        let result = Command::new(&cli)
            .args(["generate", "-g", generator, "-i"])
            .arg(&document)
            .arg("-o")
            .arg(&output)
            .output()
            .map_err(|e| format!("cannot run openapi-generator: {e}"))?;
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        let (findings, noise) = findings(&printed);
        println!(
            "generators: {generator}: {} warnings about the document, {noise} lines of generic noise",
            findings.len()
        );
        if !result.status.success() {
            failures.push(format!(
                "{generator}: generation failed ({})",
                result.status
            ));
        }
        failures.extend(findings.iter().map(|line| format!("{generator}: {line}")));
    }
    if !failures.is_empty() {
        return Err(format!(
            "openapi-generator warned about {DOCUMENT}:\n{}",
            failures.join("\n")
        ));
    }
    println!(
        "generators: {} clean, in {:.0?}",
        GENERATORS.join(", "),
        started.elapsed()
    );
    Ok(())
}

/// The lines of openapi-generator's output that warn about the document (`WARN`, `ERROR`,
/// an exception, or an `INFO` in [`ABOUT_THE_DOCUMENT`]) and are not generic noise, and how
/// many noise lines there were.
fn findings(printed: &str) -> (Vec<&str>, usize) {
    let mut noise = 0;
    let mut found = Vec::new();
    for line in printed.lines() {
        let flagged = line.contains(" WARN ")
            || line.contains(" ERROR ")
            || line.starts_with("Exception")
            || ABOUT_THE_DOCUMENT.iter().any(|about| line.contains(about));
        if !flagged {
            continue;
        }
        if NOISE.iter().any(|known| line.contains(known)) {
            noise += 1;
        } else {
            found.push(line.trim());
        }
    }
    (found, noise)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_noise_is_counted_and_anything_else_is_a_finding() {
        // Arrange
        let printed = "[main] INFO  o.o.codegen.DefaultGenerator - Generating with dryRun=false\n\
            [main] WARN  o.o.codegen.utils.ModelUtils - Failed to get the schema name: null\n\
            [main] INFO  o.o.codegen.InlineModelResolver - Inline schema created as Element_oneOf.\n\
            [main] WARN  o.o.c.l.AbstractPythonCodegen - Failed to lookup model in createImportMapOfSet str\n";

        // Act
        let (found, noise) = findings(printed);

        // Assert
        assert_eq!(noise, 1);
        assert_eq!(
            found,
            [
                "[main] INFO  o.o.codegen.InlineModelResolver - Inline schema created as Element_oneOf.",
                "[main] WARN  o.o.c.l.AbstractPythonCodegen - Failed to lookup model in createImportMapOfSet str"
            ]
        );
    }

    #[test]
    fn an_error_or_an_exception_is_a_finding() {
        // Act
        let (found, _) = findings(
            "[main] ERROR o.o.codegen.DefaultCodegen - boom\nException in thread \"main\" x\n",
        );

        // Assert
        assert_eq!(found.len(), 2);
    }
}
