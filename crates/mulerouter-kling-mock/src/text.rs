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
    fn pointer_segments_are_escaped() {
        assert_eq!(pointer_segment("a/b~c"), "a~1b~0c");
        assert_eq!(pointer_join("/x", "a/b"), "/x/a~1b");
        let mut pointer = "/x".to_string();
        push_segment_to(&mut pointer, "~y");
        assert_eq!(pointer, "/x/~0y");
    }
}
