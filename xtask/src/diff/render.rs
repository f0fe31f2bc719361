//! The report in three forms: lines for a terminal, a stable JSON document, a Markdown table.

use std::fmt::Write;

use serde_json::{Value, json};

use super::change::{Change, Side, counts, show};

/// The version of the JSON report's shape; raised when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

/// What the report compares, for its heading: `HEAD` and `working tree`, or two file names.
#[derive(Debug, Clone)]
pub struct Sides {
    pub old: String,
    pub new: String,
}

/// Where a change is, in words: `create_generation request body /prompt` or the Rust item.
fn place(change: &Change) -> String {
    match (&change.operation, change.side) {
        (_, Side::Rust) => "Rust API".to_string(),
        (Some(operation), _) => format!("{operation} {}", change.location),
        (None, _) => change.location.clone(),
    }
}

/// What changed, in words: `2500 → 2000`, or `` `types::X::foo: Option<String>` added ``.
fn what(change: &Change) -> String {
    if change.side == Side::Rust {
        const MAX: usize = 140;
        let cut = |s: &str| {
            if s.chars().count() > MAX {
                format!("{}…", s.chars().take(MAX - 1).collect::<String>())
            } else {
                s.to_string()
            }
        };
        let signature = |v: &Option<Value>| {
            v.as_ref()
                .and_then(Value::as_str)
                .map(cut)
                .unwrap_or_default()
        };
        return match (&change.old, &change.new) {
            (None, Some(_)) => format!("`{}` added", signature(&change.new)),
            (Some(_), None) => format!("`{}` removed", signature(&change.old)),
            _ => format!(
                "`{}` → `{}`",
                signature(&change.old),
                signature(&change.new)
            ),
        };
    }
    old_to_new(change)
}

/// `old → new`; when both read alike (`5` and `"5"`), as JSON so the difference shows.
pub fn old_to_new(change: &Change) -> String {
    let (old, new) = (show(change.old.as_ref()), show(change.new.as_ref()));
    if old == new {
        let json = |v: &Option<Value>| {
            v.as_ref()
                .map(Value::to_string)
                .unwrap_or_else(|| "—".to_string())
        };
        return format!("{} → {}", json(&change.old), json(&change.new));
    }
    format!("{old} → {new}")
}

fn summary(changes: &[Change]) -> String {
    let (breaking, behaviour, non_breaking) = counts(changes);
    format!(
        "{} changes: {breaking} breaking, {behaviour} behaviour, {non_breaking} non-breaking",
        changes.len()
    )
}

/// One line per change: class, where, old → new, the rule, and who is hit.
pub fn text(sides: &Sides, changes: &[Change]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "API changes from {} to {}", sides.old, sides.new);
    let mut document = None;
    for change in changes {
        if document != Some(&change.document) {
            document = Some(&change.document);
            let _ = writeln!(out, "\n{}", change.document);
        }
        let pointer = change
            .pointer
            .as_deref()
            .map(|p| format!(" (#{p})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<12} {}{pointer}: {} [{}] — {}",
            change.class.as_str(),
            place(change),
            what(change),
            change.rule,
            change.reason
        );
    }
    if changes.is_empty() {
        let _ = writeln!(out, "\nno changes");
    }
    let _ = writeln!(out, "\n{}", summary(changes));
    out
}

/// The JSON report: `{version, old, new, summary, changes: [{class, operation, pointer, rule,
/// old, new, reason, document, side, location}]}`.
pub fn json(sides: &Sides, changes: &[Change]) -> String {
    let (breaking, behaviour, non_breaking) = counts(changes);
    let document = json!({
        "version": JSON_VERSION,
        "old": sides.old,
        "new": sides.new,
        "summary": { "breaking": breaking, "behaviour": behaviour, "non_breaking": non_breaking },
        "changes": changes.iter().map(|c| json!({
            "class": c.class.as_str(),
            "operation": c.operation,
            "pointer": c.pointer,
            "rule": c.rule,
            "old": c.old,
            "new": c.new,
            "reason": c.reason,
            "document": c.document,
            "side": c.side.as_str(),
            "location": c.location,
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&document).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// A table for a pull request description.
pub fn markdown(sides: &Sides, changes: &[Change]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### API changes from `{}` to `{}`\n",
        cell(&sides.old),
        cell(&sides.new)
    );
    let _ = writeln!(out, "{}\n", summary(changes));
    if changes.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| Class | Where | Change | Rule | Who is hit |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for change in changes {
        let class = match change.class.as_str() {
            "breaking" => "**breaking**".to_string(),
            other => other.to_string(),
        };
        let pointer = change
            .pointer
            .as_deref()
            .map(|p| format!(" `#{}`", cell(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {class} | {}{pointer} | {} | `{}` | {} |",
            cell(&place(change)),
            cell(&what(change)),
            change.rule,
            cell(&change.reason)
        );
    }
    out
}
