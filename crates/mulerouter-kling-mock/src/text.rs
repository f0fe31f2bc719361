//! Text the mock writes back: cut short and escaped, so that nothing a client sends can make
//! an answer or a log line large.

/// `text` cut to `limit` characters, with `…` when something was cut.
pub(crate) fn shorten(text: &str, limit: usize) -> String {
    // No more bytes than the limit means no more characters: nothing to count (the usual
    // case, on every request's path).
    if text.len() <= limit {
        return text.to_string();
    }
    match text.char_indices().nth(limit) {
        None => text.to_string(),
        Some((end, _)) => {
            let mut short = String::with_capacity(end + 3);
            short.push_str(&text[..end]);
            short.push('…');
            short
        }
    }
}

/// `text` cut to `limit` characters as [`shorten`] cuts it, for a log line: control
/// characters (a newline, an ANSI escape, the C1 codes), line and paragraph separators and
/// bidirectional overrides are written as Rust escapes (`\n`, `\u{1b}`), so that nothing a
/// client sends (a property name in its body, a path) can forge a log line or restyle the
/// terminal that shows the log.
pub(crate) fn for_log(text: &str, limit: usize) -> String {
    let short = shorten(text, limit);
    if !short.chars().any(unsafe_in_log) {
        return short;
    }
    let mut escaped = String::with_capacity(short.len() + 16);
    for c in short.chars() {
        if unsafe_in_log(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

fn unsafe_in_log(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One JSON pointer segment (RFC 6901): `~` as `~0`, `/` as `~1`.
pub(crate) fn pointer_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_segment(&mut out, segment);
    out
}

/// `parent` extended by one segment, escaped: `/elements` + `0` → `/elements/0`.
pub(crate) fn pointer_join(parent: &str, segment: &str) -> String {
    let mut out = String::with_capacity(parent.len() + segment.len() + 1);
    out.push_str(parent);
    out.push('/');
    push_segment(&mut out, segment);
    out
}

/// Appends `/` and the escaped `segment` to `pointer` in place: walking a body extends and
/// cuts back one buffer instead of allocating a pointer per value.
pub(crate) fn push_segment_to(pointer: &mut String, segment: &str) {
    pointer.push('/');
    push_segment(pointer, segment);
}

fn push_segment(out: &mut String, segment: &str) {
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_characters_not_bytes() {
        assert_eq!(shorten("ünïcödé", 3), "ünï…");
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("", 0), "");
    }

    #[test]
    fn text_for_a_log_line_has_its_control_characters_escaped() {
        assert_eq!(for_log("/a\nb\u{1b}[31m", 60), "/a\\nb\\u{1b}[31m");
        assert_eq!(for_log("\u{9b}2J\u{202e}é", 60), "\\u{9b}2J\\u{202e}é");
        assert_eq!(for_log("plain/path", 60), "plain/path");
        assert_eq!(for_log("\n\n\n", 2), "\\n\\n…");
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(pointer_segment("a/b~c"), "a~1b~0c");
        assert_eq!(pointer_join("/x", "a/b"), "/x/a~1b");
        let mut pointer = "/x".to_string();
        push_segment_to(&mut pointer, "~y");
        assert_eq!(pointer, "/x/~0y");
    }
}
