//! Text from the service made safe to print on a terminal.
//!
//! An error detail, a task status or a proxy's page can hold escape sequences that clear the
//! screen, retitle the window or hide text. Every control character except newline and tab
//! (C0, DEL, C1) is shown as a visible `\u{..}` escape instead, which also defuses whole
//! ESC sequences: what follows the escaped ESC is plain text. So are the bidirectional
//! controls (U+202A–U+202E, U+2066–U+2069), which reorder what follows them on screen: a
//! task id or URL would read as something it is not.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character but `\n` and `\t`, and every bidirectional
/// control, escaped visibly.
pub fn clean(text: &str) -> Cow<'_, str> {
    escaped(text, |out, c| {
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    })
}

/// JSON text with the same characters escaped the way JSON writes them (`\u202e`), so the
/// document stays valid and its strings unchanged. serde_json escapes C0 itself but lets
/// DEL, C1 and the bidirectional controls through raw; they can only occur inside strings
/// (JSON's structure is plain ASCII and its white space newlines and spaces).
pub fn clean_json(json: &str) -> Cow<'_, str> {
    escaped(json, |out, c| {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    })
}

/// `text` with each unsafe character written by `escape`.
fn escaped(text: &str, escape: impl Fn(&mut String, char)) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut cleaned = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            escape(&mut cleaned, c);
        } else {
            cleaned.push(c);
        }
    }
    Cow::Owned(cleaned)
}

/// C0 (but newline and tab), DEL, C1, and the bidirectional embeddings, overrides and
/// isolates.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(
            clean("\u{1b}[2J\u{1b}]0;x\u{7}done"),
            "\\u{1b}[2J\\u{1b}]0;x\\u{7}done"
        );
    }

    #[test]
    fn nul_del_c1_and_carriage_return_are_escaped() {
        assert_eq!(
            clean("a\0b\u{7f}c\u{9b}d\re"),
            "a\\u{0}b\\u{7f}c\\u{9b}d\\u{d}e"
        );
    }

    #[test]
    fn bidirectional_controls_are_escaped() {
        assert_eq!(
            clean("task \u{202e}4pm.exe\u{202c} \u{2066}x\u{2069}"),
            "task \\u{202e}4pm.exe\\u{202c} \\u{2066}x\\u{2069}"
        );
    }

    #[test]
    fn newlines_tabs_and_other_text_are_kept() {
        assert_eq!(clean("line 1\n\tline 2 — ok ✓"), "line 1\n\tline 2 — ok ✓");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }
}
