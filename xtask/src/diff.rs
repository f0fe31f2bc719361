//! `cargo xtask diff`: what a change of the OpenAPI document breaks, and for whom.
//!
//! Two documents (files, or `openapi/` at a git revision against the working tree) are
//! compared rule by rule, knowing which way data travels (`schema`, `operations`); the
//! client generated from each side is compared item by item (`rust_api`). Every change is
//! breaking, behaviour or non-breaking, with a reason naming who is hit (`change`).
//!
//! Exit codes: 0 no breaking change, 1 at least one (or, with `--check-version`, one the
//! client crate's version does not account for), 2 bad input.

mod change;
mod changelog;
pub(crate) mod load;
mod operations;
mod render;
mod rust_api;
mod schema;
mod version;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod properties;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use change::{Change, Class, Side};
use load::Document;
use render::Sides;

/// `cargo xtask diff` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old document; with `--new`, compares two files instead of git revisions.
    #[arg(long, value_name = "FILE", requires = "new", conflicts_with = "base")]
    old: Option<PathBuf>,
    /// The new document (with `--old`).
    #[arg(long, value_name = "FILE", requires = "old")]
    new: Option<PathBuf>,
    /// The git revision whose `openapi/` documents are compared with the working tree.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Print a JSON document (stable shape, `version` field) instead of lines.
    #[arg(long, conflicts_with_all = ["markdown", "changelog"])]
    json: bool,
    /// Print a Markdown table for a pull request.
    #[arg(long, conflicts_with = "changelog")]
    markdown: bool,
    /// Print the entry for the client crate's CHANGELOG.md (Keep a Changelog form).
    #[arg(long)]
    changelog: bool,
    /// Print the entry and add it to the client crate's CHANGELOG.md: under `[Unreleased]`, or
    /// as the new version's section once the version rose since `--base`.
    #[arg(long, conflicts_with_all = ["old", "json", "markdown"])]
    write_changelog: bool,
    /// Accept breaking changes when the client crate's version rose as semver asks (0.x: the
    /// minor number) since `--base`; fail when it did not. What CI runs.
    #[arg(long, conflicts_with = "old")]
    check_version: bool,
    /// Compare the documents only, not the generated client (faster).
    #[arg(long)]
    no_rust: bool,
}

/// Runs the command; see the module documentation for the exit codes.
pub fn run(root: &Path, args: Args) -> ExitCode {
    match execute(root, &args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The two sides: documents by name, and how the report names each side.
struct Compared {
    sides: Sides,
    old: BTreeMap<String, Document>,
    new: BTreeMap<String, Document>,
    /// The revision the working tree is compared with, in git mode.
    base: Option<String>,
}

fn read_sides(root: &Path, args: &Args) -> Result<Compared, String> {
    if let (Some(old), Some(new)) = (&args.old, &args.new) {
        let old = load::from_file(old)?;
        let new = load::from_file(new)?;
        // One pair, reported under the new file's name.
        let name = new.name.clone();
        let sides = Sides {
            old: old.name.clone(),
            new: new.name.clone(),
        };
        return Ok(Compared {
            sides,
            old: BTreeMap::from([(name.clone(), old)]),
            new: BTreeMap::from([(name, new)]),
            base: None,
        });
    }
    let base = args.base.clone().unwrap_or_else(|| "HEAD".to_string());
    let old = load::at_revision(root, &base)?;
    let new = load::working_tree(root)?;
    Ok(Compared {
        sides: Sides {
            old: base.clone(),
            new: "working tree".to_string(),
        },
        old,
        new,
        base: Some(base),
    })
}

/// The names of the schemas the generated client replaces with tolerant types.
fn tolerant() -> BTreeSet<String> {
    crate::codegen::client::TOLERANT_REPLACEMENTS
        .iter()
        .map(|(schema, _)| schema.to_string())
        .collect()
}

/// Every change between the two sides, documents and generated APIs, in reading order.
fn changes(compared: &Compared, rust: bool) -> Vec<Change> {
    let tolerant = tolerant();
    let names: BTreeSet<&String> = compared.old.keys().chain(compared.new.keys()).collect();
    let mut all = Vec::new();
    for name in names {
        match (compared.old.get(name), compared.new.get(name)) {
            (Some(old), Some(new)) => {
                all.extend(operations::compare(old, new, &tolerant));
                if rust {
                    all.extend(rust_changes(name, old, new));
                }
            }
            (None, Some(_)) => all.push(document_change(
                name,
                "document-added",
                Class::NonBreaking,
                false,
            )),
            (Some(_), None) => all.push(document_change(
                name,
                "document-removed",
                Class::Breaking,
                true,
            )),
            (None, None) => {}
        }
    }
    change::tidy(&mut all);
    all
}

fn document_change(name: &str, rule: &str, class: Class, removed: bool) -> Change {
    let value = Some(serde_json::Value::from(name));
    let reason = if removed {
        format!(
            "{}: every operation and type of this document is gone",
            change::CALLERS
        )
    } else {
        format!(
            "{}: a new document; add a codegen row to generate its client",
            change::CALLERS
        )
    };
    Change {
        class,
        side: Side::Api,
        document: name.to_string(),
        operation: None,
        pointer: Some(String::new()),
        location: "document".to_string(),
        rule: rule.to_string(),
        old: if removed { value.clone() } else { None },
        new: if removed { None } else { value },
        reason,
    }
}

/// The generated APIs' changes; when the generator refuses a side, a note says so and the
/// document rules still apply.
fn rust_changes(name: &str, old: &Document, new: &Document) -> Vec<Change> {
    match (
        rust_api::derive(name, &old.api),
        rust_api::derive(name, &new.api),
    ) {
        (Ok(before), Ok(after)) => rust_api::compare(name, &before, &after),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("note: the generated client of {name} was not compared: {error}");
            Vec::new()
        }
    }
}

/// What a run prints and how it ends.
#[derive(Debug)]
struct Outcome {
    /// The report, for stdout.
    report: String,
    /// Lines for stderr: the version check's verdict.
    notes: Vec<String>,
    /// 0 no breaking change (or all accounted for by the version), 1 otherwise.
    code: u8,
}

fn execute(root: &Path, args: &Args) -> Result<ExitCode, String> {
    let outcome = outcome(root, args)?;
    print!("{}", outcome.report);
    for note in &outcome.notes {
        eprintln!("{note}");
    }
    Ok(ExitCode::from(outcome.code))
}

fn outcome(root: &Path, args: &Args) -> Result<Outcome, String> {
    let compared = read_sides(root, args)?;
    let changes = changes(&compared, !args.no_rust);
    let breaking = changes.iter().any(|c| c.class == Class::Breaking);

    let bumps = match &compared.base {
        Some(base) => versions(root, base, &compared, &changes)?,
        None => Vec::new(),
    };
    let report = if args.json {
        render::json(&compared.sides, &changes)
    } else if args.markdown {
        render::markdown(&compared.sides, &changes)
    } else if args.changelog || args.write_changelog {
        let raised = bumps.iter().find(|b| b.raised());
        changelog::entry(
            &changelog::heading(raised.map(|b| &b.new.version)),
            &changes,
        )
    } else {
        render::text(&compared.sides, &changes)
    };
    let mut outcome = Outcome {
        report,
        notes: Vec::new(),
        code: 0,
    };
    if args.write_changelog {
        for bump in &bumps {
            outcome.notes.push(write_changelog(root, bump, &changes)?);
        }
    }
    if !breaking {
        return Ok(outcome);
    }
    if !args.check_version {
        if args.write_changelog {
            // Asked to write the entry, which marks what breaks: done, and not a failure
            // (`--write-changelog && git commit` works; CI's `--check-version` judges).
            return Ok(outcome);
        }
        outcome.code = 1;
        outcome.notes.push(
            "breaking changes (exit 1): a release with them raises the client crate's version (0.x: the minor number); `cargo xtask diff --check-version` checks that, and `--write-changelog` adds the entry to its CHANGELOG.md".into(),
        );
        return Ok(outcome);
    }
    let base = compared.base.as_deref().unwrap_or("HEAD");
    for bump in bumps.iter().filter(|b| b.breaking) {
        let Some(old) = &bump.old else {
            outcome.notes.push(format!(
                "{}: new since {base}; no earlier version to compare",
                bump.crate_dir
            ));
            continue;
        };
        let needed = version::after_breaking(&old.version);
        if version::allows_breaking(&old.version, &bump.new.version) {
            outcome.notes.push(format!(
                "{}: breaking changes, and the version goes {} -> {} as semver asks",
                bump.crate_dir, old.version, bump.new.version
            ));
        } else {
            outcome.code = 1;
            let rule = if old.version.major == 0 {
                "0.x: the minor number"
            } else {
                "the major number"
            };
            let (dir, new, written) = (&bump.crate_dir, &bump.new.version, &bump.new.written_in);
            outcome.notes.push(format!(
                "error: {dir} is {} at {base} and {new} now; its breaking changes need at least \
                 {needed} ({rule}). Raise {written}, then `cargo xtask diff --base {base} \
                 --write-changelog` adds the entry to {dir}/CHANGELOG.md.",
                old.version
            ));
        }
    }
    Ok(outcome)
}

/// A client crate's version on both sides, and whether its document changed in a breaking way.
struct Bump {
    crate_dir: String,
    old: Option<version::Found>,
    new: version::Found,
    breaking: bool,
}

impl Bump {
    /// Whether the version differs from the base's (or the crate is new).
    fn raised(&self) -> bool {
        self.old
            .as_ref()
            .is_none_or(|old| old.version != self.new.version)
    }
}

/// Adds the entry for the changes of `bump`'s documents to its crate's CHANGELOG.md.
fn write_changelog(root: &Path, bump: &Bump, changes: &[Change]) -> Result<String, String> {
    let path = format!("{}/CHANGELOG.md", bump.crate_dir);
    let own: Vec<Change> = changes
        .iter()
        .filter(|c| version::client_crate(&c.document).as_deref() == Some(bump.crate_dir.as_str()))
        .cloned()
        .collect();
    if own.is_empty() {
        return Ok(format!("{path}: no change to write"));
    }
    let heading = changelog::heading(bump.raised().then_some(&bump.new.version));
    let entry = changelog::entry(&heading, &own);
    let current = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
    std::fs::write(root.join(&path), changelog::insert(&current, &entry))
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(format!("{path}: entry added under `{heading}`"))
}

fn versions(
    root: &Path,
    base: &str,
    compared: &Compared,
    changes: &[Change],
) -> Result<Vec<Bump>, String> {
    let mut bumps: Vec<Bump> = Vec::new();
    for name in compared.new.keys().chain(compared.old.keys()) {
        let Some(crate_dir) = version::client_crate(name) else {
            continue;
        };
        let breaking = changes
            .iter()
            .any(|c| &c.document == name && c.class == Class::Breaking);
        if let Some(existing) = bumps.iter_mut().find(|b| b.crate_dir == crate_dir) {
            existing.breaking |= breaking;
            continue;
        }
        bumps.push(Bump {
            old: version::at_revision(root, base, &crate_dir)?,
            new: version::in_tree(root, &crate_dir)?,
            crate_dir,
            breaking,
        });
    }
    Ok(bumps)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::process::Command;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args(list: &[&str]) -> Args {
        Cli::try_parse_from(std::iter::once("diff").chain(list.iter().copied()))
            .unwrap()
            .args
    }

    /// The command on `old` and `new` written to a scratch folder, with `flags` after them.
    fn between(name: &str, old: &str, new: &str, flags: &[&str]) -> Outcome {
        let scratch = Scratch::new(name);
        let old = scratch.write("old.yaml", old);
        let new = scratch.write("new.yaml", new);
        let mut list = vec![
            "--old",
            old.to_str().unwrap(),
            "--new",
            new.to_str().unwrap(),
        ];
        list.extend_from_slice(flags);
        outcome(&scratch.0, &args(&list)).unwrap()
    }

    /// A scratch directory removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("xtask-diff-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, relative: &str, text: &str) -> PathBuf {
            let path = self.0.join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
            path
        }

        fn git(&self, args: &[&str]) {
            let status = Command::new("git")
                .current_dir(&self.0)
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const DOCUMENT: &str = corpus::FIXTURE;
    const SPEC: &str = "openapi/kling-v3-omni-reference-video-to-video.yaml";

    fn shorter_prompt() -> String {
        let edited = DOCUMENT.replacen(
            "maxLength: 2500\n          example: Transform",
            "maxLength: 2000\n          example: Transform",
            1,
        );
        assert_ne!(edited, DOCUMENT);
        edited
    }

    fn optional_property() -> String {
        let edited = DOCUMENT.replacen(
            "        keep_audio:\n",
            "        seed:\n          type: integer\n        keep_audio:\n",
            1,
        );
        assert_ne!(edited, DOCUMENT);
        edited
    }

    #[test]
    fn two_equal_files_exit_0_with_no_change() {
        // Arrange
        let (old, new) = (DOCUMENT, DOCUMENT);

        // Act
        let outcome = between("equal", old, new, &[]);

        // Assert
        assert_eq!(outcome.code, 0);
        assert!(outcome.report.contains("no changes"), "{}", outcome.report);
    }

    #[test]
    fn a_breaking_change_between_files_exits_1() {
        // Arrange
        let (old, new) = (DOCUMENT, &shorter_prompt());

        // Act
        let outcome = between("breaking", old, new, &["--no-rust"]);

        // Assert
        assert_eq!(outcome.code, 1);
        assert!(
            outcome
                .report
                .contains("breaking     create_generation request body /prompt"),
            "{}",
            outcome.report
        );
        assert!(
            outcome
                .notes
                .iter()
                .any(|note| note.contains("--check-version")),
            "the next step is said: {:?}",
            outcome.notes
        );
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        // Arrange
        let scratch = Scratch::new("unreadable");
        let new = scratch.write("new.yaml", DOCUMENT);
        let missing = scratch.0.join("missing.yaml");

        // Act
        let error = outcome(
            &scratch.0,
            &args(&[
                "--old",
                missing.to_str().unwrap(),
                "--new",
                new.to_str().unwrap(),
            ]),
        )
        .unwrap_err();

        // Assert
        assert!(
            error.starts_with(&format!("cannot read {}", missing.display())),
            "{error}"
        );
    }

    #[test]
    fn an_invalid_document_is_an_error_naming_it_and_the_problem() {
        // Arrange
        let scratch = Scratch::new("invalid");
        let old = scratch.write("old.yaml", DOCUMENT);
        let new = scratch.write(
            "new.yaml",
            &DOCUMENT.replacen(
                "$ref: '#/components/schemas/HttpUrl'",
                "$ref: '#/components/schemas/Nowhere'",
                1,
            ),
        );

        // Act
        let error = outcome(
            &scratch.0,
            &args(&[
                "--old",
                old.to_str().unwrap(),
                "--new",
                new.to_str().unwrap(),
            ]),
        )
        .unwrap_err();

        // Assert
        assert!(
            error.contains("new.yaml: the $ref `#/components/schemas/Nowhere`"),
            "{error}"
        );
    }

    const LOOP: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: get_a\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n";

    #[test]
    fn a_reference_loop_ends_with_a_report() {
        // Arrange: A is B and B is A, reached from an operation that is renamed.
        let (old, new) = (LOOP, &LOOP.replace("get_a", "get_b"));

        // Act
        let outcome = between("loop", old, new, &[]);

        // Assert
        assert_eq!(outcome.code, 1);
        assert!(
            outcome.report.contains("[operation-id-changed]"),
            "{}",
            outcome.report
        );
    }

    #[test]
    fn a_document_the_generator_refuses_still_gets_the_document_rules() {
        // Arrange: two different success schemas make progenitor 0.15 panic.
        let broken = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /b:\n    post:\n      operationId: b\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: string}}}}\n        '202': {description: ok, content: {application/json: {schema: {type: integer}}}}\n";
        let old = load::parse("old.yaml", broken.as_bytes()).unwrap();
        let new = load::parse("new.yaml", broken.replace("'202'", "'201'").as_bytes()).unwrap();

        // Act
        let rust = rust_changes("new.yaml", &old, &new);
        let document = operations::compare(&old, &new, &tolerant());

        // Assert
        assert_eq!(rust, Vec::new());
        let rules: Vec<&str> = document.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "response-success-status-added",
                "response-success-status-removed"
            ]
        );
    }

    #[test]
    fn old_without_new_is_a_usage_error() {
        let error = Cli::try_parse_from(["diff", "--old", "a.yaml"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn the_json_report_has_a_version_and_every_field_of_a_change() {
        // Arrange
        let (old, new) = (DOCUMENT, &shorter_prompt());

        // Act
        let outcome = between("json", old, new, &["--json"]);

        // Assert
        let report: serde_json::Value = serde_json::from_str(&outcome.report).unwrap();
        assert_eq!(report["version"], render::JSON_VERSION);
        let change = &report["changes"][0];
        for field in [
            "class",
            "operation",
            "pointer",
            "rule",
            "old",
            "new",
            "reason",
        ] {
            assert!(change.get(field).is_some(), "no {field} in {change}");
        }
        assert_eq!(change["class"], "breaking");
        assert_eq!(change["operation"], "create_generation");
        assert_eq!(
            change["pointer"],
            "/components/schemas/CreateGenerationRequest/properties/prompt/maxLength"
        );
        assert_eq!(change["rule"], "request-max-length-decreased");
        assert_eq!(
            (change["old"].clone(), change["new"].clone()),
            (2500.into(), 2000.into())
        );
    }

    #[test]
    fn the_markdown_and_changelog_forms_read_as_reviewed() {
        // Arrange
        let scratch = Scratch::new("markdown");
        let old = scratch.write("old.yaml", DOCUMENT);
        let new = scratch.write("new.yaml", &optional_property());
        let run = |form: &str| {
            let list = [
                "--old",
                old.to_str().unwrap(),
                "--new",
                new.to_str().unwrap(),
                form,
            ];
            let report = outcome(&scratch.0, &args(&list)).unwrap().report;
            report.replace(scratch.0.to_str().unwrap(), "SCRATCH")
        };

        // Act
        let markdown = run("--markdown");
        let changelog = run("--changelog");

        // Assert
        insta::assert_snapshot!("markdown", markdown);
        insta::assert_snapshot!("changelog", changelog);
    }

    /// A repository with the document and both manifests at one commit, then `edit` applied.
    fn repository(name: &str, version_now: &str, document_now: &str) -> Scratch {
        let scratch = Scratch::new(name);
        let workspace = |version: &str| {
            format!(
                "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"{version}\"\n"
            )
        };
        scratch.write("Cargo.toml", &workspace("0.1.0"));
        scratch.write(
            "crates/mulerouter-kling/Cargo.toml",
            "[package]\nname = \"mulerouter-kling\"\nversion.workspace = true\n",
        );
        scratch.write(SPEC, DOCUMENT);
        scratch.write("openapi/redocly.yaml", "extends: [recommended]\n");
        scratch.git(&["init", "-q"]);
        scratch.git(&["add", "."]);
        scratch.git(&["commit", "-qm", "first"]);
        scratch.write("Cargo.toml", &workspace(version_now));
        scratch.write(SPEC, document_now);
        scratch
    }

    #[test]
    fn the_working_tree_is_compared_with_head_by_default() {
        // Arrange
        let scratch = repository("tree", "0.1.0", &shorter_prompt());

        // Act
        let outcome = outcome(&scratch.0, &args(&["--no-rust"])).unwrap();

        // Assert
        assert_eq!(outcome.code, 1);
        assert!(
            outcome
                .report
                .starts_with("API changes from HEAD to working tree"),
            "{}",
            outcome.report
        );
        assert!(
            outcome.report.contains(&format!("\n{SPEC}\n")),
            "{}",
            outcome.report
        );
    }

    #[test]
    fn a_breaking_change_without_a_minor_bump_fails_the_version_check() {
        // Arrange
        let scratch = repository("unbumped", "0.1.1", &shorter_prompt());

        // Act
        let outcome = outcome(
            &scratch.0,
            &args(&["--base", "HEAD", "--check-version", "--no-rust"]),
        )
        .unwrap();

        // Assert
        assert_eq!(outcome.code, 1);
        let note = outcome.notes.join("\n");
        assert!(
            note.contains("crates/mulerouter-kling is 0.1.0 at HEAD and 0.1.1 now"),
            "{note}"
        );
        assert!(
            note.contains("need at least 0.2.0 (0.x: the minor number)"),
            "{note}"
        );
        assert!(note.contains("[workspace.package]"), "{note}");
    }

    #[test]
    fn a_breaking_change_with_a_minor_bump_passes_the_version_check_and_heads_the_changelog() {
        // Arrange
        let scratch = repository("bumped", "0.2.0", &shorter_prompt());

        // Act
        let checked = outcome(&scratch.0, &args(&["--check-version", "--no-rust"])).unwrap();
        let changelog = outcome(&scratch.0, &args(&["--changelog", "--no-rust"])).unwrap();

        // Assert
        assert_eq!(checked.code, 0, "{:?}", checked.notes);
        assert!(
            changelog.report.starts_with("## [0.2.0] - "),
            "{}",
            changelog.report
        );
    }

    #[test]
    fn write_changelog_adds_the_entry_to_the_client_crates_changelog() {
        // Arrange
        let scratch = repository("write", "0.2.0", &shorter_prompt());
        let path = "crates/mulerouter-kling/CHANGELOG.md";
        scratch.write(
            path,
            "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-25\n\n- First.\n",
        );

        // Act
        let outcome = outcome(&scratch.0, &args(&["--write-changelog", "--no-rust"])).unwrap();

        // Assert
        let text = fs::read_to_string(scratch.0.join(path)).unwrap();
        assert_eq!(outcome.code, 0, "{:?}", outcome.notes);
        assert!(
            outcome
                .notes
                .iter()
                .any(|n| n.contains("entry added under `## [0.2.0]")),
            "{:?}",
            outcome.notes
        );
        let new_section = text.find("## [0.2.0] - ").expect(&text);
        assert!(
            text.find("## [Unreleased]").unwrap() < new_section,
            "{text}"
        );
        assert!(new_section < text.find("## [0.1.0]").unwrap(), "{text}");
        assert!(
            text.contains("- **Breaking:** `create_generation` request body /prompt: 2500 → 2000"),
            "{text}"
        );
    }

    #[test]
    fn a_non_breaking_change_passes_the_version_check_without_a_bump() {
        // Arrange
        let scratch = repository("additive", "0.1.0", &optional_property());

        // Act
        let outcome = outcome(&scratch.0, &args(&["--check-version", "--no-rust"])).unwrap();

        // Assert
        assert_eq!(outcome.code, 0);
    }

    #[test]
    fn a_document_removed_since_the_base_is_breaking() {
        // Arrange
        let scratch = repository("removed", "0.1.0", DOCUMENT);
        fs::remove_file(scratch.0.join(SPEC)).unwrap();

        // Act
        let outcome = outcome(&scratch.0, &args(&["--no-rust"])).unwrap();

        // Assert
        assert_eq!(outcome.code, 1);
        assert!(
            outcome.report.contains("[document-removed]"),
            "{}",
            outcome.report
        );
    }

    #[test]
    fn a_document_added_since_the_base_is_reported_and_breaks_nothing() {
        // Arrange
        let scratch = repository("added", "0.1.0", DOCUMENT);
        scratch.write("openapi/pets.yaml", LOOP);

        // Act
        let outcome = outcome(&scratch.0, &args(&["--no-rust"])).unwrap();

        // Assert
        assert_eq!(outcome.code, 0);
        assert!(
            outcome
                .report
                .contains("openapi/pets.yaml\n  non-breaking document"),
            "{}",
            outcome.report
        );
    }

    #[test]
    fn an_unknown_revision_is_an_error_naming_it() {
        // Arrange
        let scratch = repository("revision", "0.1.0", DOCUMENT);

        // Act
        let error = outcome(&scratch.0, &args(&["--base", "no-such-branch"])).unwrap_err();

        // Assert
        assert_eq!(error, "`no-such-branch` is not a commit in this repository");
    }
}
