//! The changes as an entry of the client crate's `CHANGELOG.md`, in Keep a Changelog form
//! (<https://keepachangelog.com/en/1.1.0/>): a version heading, then Added, Changed,
//! Deprecated, Removed and Security sections; breaking entries say so first.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::change::{Change, Class, Side};

/// The heading of an entry: the new version with today's date, or `Unreleased`.
pub fn heading(version: Option<&semver::Version>) -> String {
    match version {
        Some(version) => format!("## [{version}] - {}", today()),
        None => "## [Unreleased]".to_string(),
    }
}

/// The entry for `changes` under `heading`.
pub fn entry(heading: &str, changes: &[Change]) -> String {
    const SECTIONS: [&str; 5] = ["Added", "Changed", "Deprecated", "Removed", "Security"];
    let mut out = format!("{heading}\n");
    if changes.is_empty() {
        out.push_str("\nNo change to the API.\n");
        return out;
    }
    for section in SECTIONS {
        let lines: Vec<String> = changes
            .iter()
            .filter(|change| section_of(change) == section)
            .map(line)
            .collect();
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {section}\n");
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

/// `text` (a CHANGELOG.md) with `entry` added: an `[Unreleased]` entry's sections go at the end
/// of the `## [Unreleased]` section; a version's entry goes right below that section, above the
/// versions before it. A file without an `[Unreleased]` section gets one.
pub fn insert(text: &str, entry: &str) -> String {
    const UNRELEASED: &str = "## [Unreleased]";
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push("# Changelog".to_string());
        lines.push(String::new());
    }
    let unreleased = match lines.iter().position(|l| l.trim_end() == UNRELEASED) {
        Some(index) => index,
        None => {
            let first_version = lines
                .iter()
                .position(|l| l.starts_with("## "))
                .unwrap_or(lines.len());
            lines.insert(first_version, UNRELEASED.to_string());
            lines.insert(first_version + 1, String::new());
            first_version
        }
    };
    let next = lines
        .iter()
        .skip(unreleased + 1)
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |offset| unreleased + 1 + offset);
    // What goes in: the sections alone under [Unreleased], the whole entry for a version.
    let added = if entry.starts_with(UNRELEASED) {
        entry.trim_start_matches(UNRELEASED).trim_matches('\n')
    } else {
        entry.trim_matches('\n')
    };
    // Keep one blank line before the insertion and one after it.
    let mut at = next;
    while at > unreleased + 1 && lines[at - 1].trim().is_empty() {
        at -= 1;
        lines.remove(at);
    }
    let mut block = vec![String::new()];
    block.extend(added.lines().map(str::to_string));
    if at < lines.len() {
        block.push(String::new());
    }
    lines.splice(at..at, block);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn section_of(change: &Change) -> &'static str {
    let rule = change.rule.as_str();
    if rule.starts_with("security") {
        "Security"
    } else if rule.ends_with("deprecated") {
        "Deprecated"
    } else if super::schema::is_keyword_rule(rule) {
        // A constraint or default added or taken away changes what a value may be; nothing
        // users name is added or removed (`TaskStatus`'s `enum` going is not `TaskStatus` going).
        "Changed"
    } else if rule.ends_with("-added") && change.old.is_none() {
        "Added"
    } else if rule.ends_with("-removed") && change.new.is_none() {
        "Removed"
    } else {
        "Changed"
    }
}

fn line(change: &Change) -> String {
    let mark = match change.class {
        Class::Breaking => "**Breaking:** ",
        Class::Behaviour => "**Behaviour:** ",
        Class::NonBreaking => "",
    };
    if change.side == Side::Rust {
        let signature = change
            .new
            .as_ref()
            .or(change.old.as_ref())
            .map(show_full)
            .unwrap_or_default();
        return match (&change.old, &change.new) {
            (Some(old), Some(new)) => {
                format!("{mark}`{}` is now `{}`", show_full(old), show_full(new))
            }
            // A type or module that comes or goes whole says what is in it.
            _ if change.class == Class::Breaking || change.rule.starts_with("rust-items-") => {
                format!("{mark}`{signature}` ({})", change.reason)
            }
            _ => format!("{mark}`{signature}`"),
        };
    }
    let place = match &change.operation {
        Some(operation) => format!("`{operation}` {}", change.location),
        None => change.location.clone(),
    };
    format!(
        "{mark}{place}: {} (`{}`); {}",
        super::render::old_to_new(change),
        change.rule,
        change.reason
    )
}

fn show_full(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// Today's date (UTC) as `YYYY-MM-DD`, without a date crate: days since 1970 to a civil date.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    let (year, month, day) = civil(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_become_civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_788), (2026, 12, 1));
    }

    const FILE: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-25\n\n### Added\n\n- First.\n";

    #[test]
    fn an_unreleased_entry_goes_under_unreleased() {
        // Arrange
        let entry = "## [Unreleased]\n\n### Added\n\n- `types::X::y: i64`\n";

        // Act
        let text = insert(FILE, entry);

        // Assert
        assert_eq!(
            text,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n\n- `types::X::y: i64`\n\n## [0.1.0] - 2026-11-25\n\n### Added\n\n- First.\n"
        );
    }

    #[test]
    fn a_version_entry_goes_between_unreleased_and_the_versions_before_it() {
        // Arrange
        let entry =
            "## [0.2.0] - 2026-12-01\n\n### Removed\n\n- **Breaking:** `types::X::y: i64`\n";

        // Act
        let text = insert(FILE, entry);

        // Assert
        assert_eq!(
            text,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-01\n\n### Removed\n\n- **Breaking:** `types::X::y: i64`\n\n## [0.1.0] - 2026-11-25\n\n### Added\n\n- First.\n"
        );
    }

    #[test]
    fn a_file_without_an_unreleased_section_gets_one_and_a_missing_file_a_title() {
        let entry = "## [Unreleased]\n\n### Added\n\n- A.\n";
        assert_eq!(
            insert("# Changelog\n\n## [0.1.0]\n\n- First.\n", entry),
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- A.\n\n## [0.1.0]\n\n- First.\n"
        );
        assert_eq!(
            insert("", entry),
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- A.\n"
        );
    }

    fn change(rule: &str, old: Option<&str>, new: Option<&str>) -> Change {
        Change {
            class: Class::NonBreaking,
            side: Side::Response,
            document: "d.yaml".into(),
            operation: Some("get_generation".into()),
            pointer: Some("/components/schemas/TaskStatus/enum".into()),
            location: "response 200 body /task_info/status".into(),
            rule: rule.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
            reason: "why".into(),
        }
    }

    #[test]
    fn a_constraint_taken_away_is_a_change_not_a_removal() {
        // Arrange
        let changes = [
            change("response-enum-removed", Some("[a, b]"), None),
            change("request-default-removed", Some("pro"), None),
            change("request-pattern-added", None, Some("^a$")),
        ];

        // Act
        let sections: Vec<&str> = changes.iter().map(section_of).collect();

        // Assert
        assert_eq!(sections, ["Changed", "Changed", "Changed"]);
    }

    #[test]
    fn an_item_taken_away_or_added_is_a_removal_or_an_addition() {
        // Arrange
        let changes = [
            change("response-property-removed", Some("optional"), None),
            change("response-enum-value-removed", Some("failed"), None),
            change("callback-added", None, Some("taskEvent")),
        ];

        // Act
        let sections: Vec<&str> = changes.iter().map(section_of).collect();

        // Assert
        assert_eq!(sections, ["Removed", "Removed", "Added"]);
    }

    #[test]
    fn an_empty_change_list_says_so() {
        assert_eq!(
            entry("## [Unreleased]", &[]),
            "## [Unreleased]\n\nNo change to the API.\n"
        );
    }
}
