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
mod load;
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

fn execute(root: &Path, args: &Args) -> Result<ExitCode, String> {
    let compared = read_sides(root, args)?;
    let changes = changes(&compared, !args.no_rust);
    let breaking = changes.iter().any(|c| c.class == Class::Breaking);

    let bumps = match &compared.base {
        Some(base) => versions(root, base, &compared, &changes)?,
        None => Vec::new(),
    };
    if args.json {
        print!("{}", render::json(&compared.sides, &changes));
    } else if args.markdown {
        print!("{}", render::markdown(&compared.sides, &changes));
    } else if args.changelog {
        let raised = bumps
            .iter()
            .find(|b| b.old.as_ref().is_none_or(|o| o.version != b.new.version));
        print!(
            "{}",
            changelog::entry(
                &changelog::heading(raised.map(|b| &b.new.version)),
                &changes
            )
        );
    } else {
        print!("{}", render::text(&compared.sides, &changes));
    }

    if !breaking {
        return Ok(ExitCode::SUCCESS);
    }
    if !args.check_version {
        return Ok(ExitCode::from(1));
    }
    let base = compared.base.as_deref().unwrap_or("HEAD");
    let mut missing = Vec::new();
    for bump in bumps.iter().filter(|b| b.breaking) {
        let Some(old) = &bump.old else {
            eprintln!(
                "{}: new since {base}; no earlier version to compare",
                bump.crate_dir
            );
            continue;
        };
        let needed = version::after_breaking(&old.version);
        if version::allows_breaking(&old.version, &bump.new.version) {
            eprintln!(
                "{}: breaking changes, and the version goes {} -> {} as semver asks",
                bump.crate_dir, old.version, bump.new.version
            );
        } else {
            missing.push(format!(
                "{dir} is {old} at {base} and {new} now; its breaking changes need at least {needed} \
                 ({rule}). Raise {written}, and add the entry `cargo xtask diff --base {base} --changelog` \
                 prints to {dir}/CHANGELOG.md.",
                dir = bump.crate_dir,
                old = old.version,
                new = bump.new.version,
                rule = if old.version.major == 0 { "0.x: the minor number" } else { "the major number" },
                written = bump.new.written_in,
            ));
        }
    }
    if missing.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {}", missing.join("\n"));
        Ok(ExitCode::from(1))
    }
}

/// A client crate's version on both sides, and whether its document changed in a breaking way.
struct Bump {
    crate_dir: String,
    old: Option<version::Found>,
    new: version::Found,
    breaking: bool,
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
