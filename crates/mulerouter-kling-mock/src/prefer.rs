//! The `Prefer` request header (RFC 7240), in the convention Prism users know.
//!
//! Preferences are separated by commas (or several `Prefer` headers); names are
//! case-insensitive; values may be quoted. Supported:
//!
//! | preference | effect |
//! |---|---|
//! | `code=429` | answer with this status. A 4xx/5xx gets the document's example body for it (nothing is created); a 2xx must be one the operation documents (`code=202` on create) and only changes the status of a successful answer. |
//! | `example=failed` | on a task read: move the task to the state of the named example of the 200 response (`processing`, `completed`, `failed` with its error code), if it has not finished yet. |
//! | `task-error=3005` | on create: the new task will fail with this code when it finishes; on a task read: the task fails now. |
//! | `latency=200ms` | answer after this delay (`ms`, `s` or `m`; a bare number is milliseconds; at most 60 s). |
//! | `retry-after=5` | with a 4xx/5xx `code`: the `Retry-After` value in seconds (429 and 503 default to 1). |
//! | `body=html` | with a 5xx `code` (the answers the document lets be HTML): a non-JSON HTML page instead, as a proxy in front of the service sends; with another `code`, 400. |
//!
//! Unknown preferences are ignored, as RFC 7240 asks; a known one with a value that makes no
//! sense is answered 400. The answer lists in `Preference-Applied` only the preferences that
//! shaped it: not an `example` for a task that had finished, nor anything on an answer that
//! refused the request (401, 404, 400, …) except the `latency` it was held back by.

use std::time::Duration;

use http::HeaderMap;
use http::header::HeaderName;

/// The longest latency accepted (`Prefer: latency=`, a queued fault's `latency_ms`, the
/// binary's `--latency`), so a typo cannot hang a test for hours.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

/// What a request asked for in its `Prefer` headers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Preferences {
    pub(crate) code: Option<u16>,
    pub(crate) example: Option<String>,
    pub(crate) task_error: Option<i64>,
    pub(crate) latency: Option<Duration>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) html_body: bool,
    /// The recognised preferences as sent (`name=value`, name lower case), for
    /// `Preference-Applied`.
    pub(crate) sent: Vec<String>,
}

impl Preferences {
    /// Reads every `Prefer` header; `Err` says which preference is malformed.
    pub(crate) fn parse(headers: &HeaderMap) -> Result<Self, String> {
        let mut found = Self::default();
        static PREFER: HeaderName = HeaderName::from_static("prefer");
        for value in headers.get_all(&PREFER) {
            let text = value
                .to_str()
                .map_err(|_| "Prefer: the header is not visible ASCII".to_string())?;
            for preference in text.split(',') {
                // Parameters after `;` belong to the preference; none is used, so drop them.
                let preference = preference.split(';').next().unwrap_or_default().trim();
                if preference.is_empty() {
                    continue;
                }
                let (name, value) = match preference.split_once('=') {
                    Some((name, value)) => (name.trim(), value.trim().trim_matches('"')),
                    None => (preference, ""),
                };
                if found.apply(&name.to_ascii_lowercase(), value)? {
                    found
                        .sent
                        .push(format!("{}={value}", name.to_ascii_lowercase()));
                }
            }
        }
        Ok(found)
    }

    /// Records one preference; `Ok(false)` when the name is not one of ours.
    fn apply(&mut self, name: &str, value: &str) -> Result<bool, String> {
        let shown = shorten(value);
        match name {
            "code" => {
                let code = value
                    .parse::<u16>()
                    .ok()
                    .filter(|code| (100..=599).contains(code))
                    .ok_or_else(|| {
                        format!("Prefer: code={shown} is not an HTTP status (100-599)")
                    })?;
                self.code = Some(code);
            }
            "example" => {
                if value.is_empty() {
                    return Err("Prefer: example= needs the name of a documented example".into());
                }
                self.example = Some(value.to_string());
            }
            "task-error" => {
                let code = value.parse::<i64>().map_err(|_| {
                    format!("Prefer: task-error={shown} is not an integer error code")
                })?;
                self.task_error = Some(code);
            }
            "latency" => {
                let latency = parse_duration(value)
                    .filter(|latency| *latency <= MAX_LATENCY)
                    .ok_or_else(|| {
                        format!(
                            "Prefer: latency={shown} is not a duration up to 60s (e.g. 200ms, 2s)"
                        )
                    })?;
                self.latency = Some(latency);
            }
            "retry-after" => {
                let seconds = value.parse::<u64>().map_err(|_| {
                    format!("Prefer: retry-after={shown} is not a number of seconds")
                })?;
                self.retry_after = Some(seconds);
            }
            "body" => {
                if !value.eq_ignore_ascii_case("html") {
                    return Err(format!(
                        "Prefer: body={shown} is not supported (only body=html)"
                    ));
                }
                self.html_body = true;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The preferences a request honoured, named as in the header (`code`, `example`, …).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Honoured(u8);

impl Honoured {
    const NAMES: [&'static str; 6] = [
        "code",
        "example",
        "task-error",
        "latency",
        "retry-after",
        "body",
    ];

    /// Marks `name` (one of the supported preferences) as honoured.
    pub(crate) fn mark(&mut self, name: &str) {
        if let Some(at) = Self::NAMES.iter().position(|n| *n == name) {
            self.0 |= 1 << at;
        }
    }

    fn has(self, name: &str) -> bool {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|at| self.0 & (1 << at) != 0)
    }
}

impl Preferences {
    /// The `Preference-Applied` value: the honoured preferences as sent, or `None`.
    pub(crate) fn applied(&self, honoured: Honoured) -> Option<String> {
        let listed: Vec<&str> = self
            .sent
            .iter()
            .map(String::as_str)
            .filter(|sent| honoured.has(sent.split('=').next().unwrap_or_default()))
            .collect();
        (!listed.is_empty()).then(|| listed.join(", "))
    }
}

/// A duration given on a command line (the mock's flags, the contract checker's): `250ms`,
/// `2s`, `5m`, `1h`, or `0`. A bare number is refused, saying how to write it: read as
/// milliseconds (as `Prefer: latency=` reads it) `--task-ttl 3600` would be 3.6 s, and read
/// as seconds `--timeout 500` would be eight minutes; either way somebody is surprised.
pub fn parse_duration_flag(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text != "0" && !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?} has no unit: write {text}s, {text}ms, {text}m or {text}h"
        ));
    }
    parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 250ms, 2s, 5m or 1h"))
}

/// A duration as [`parse_duration_flag`] reads it back: `1h`, `5m`, `90s`, `250ms`. Any
/// duration, [`Duration::MAX`] too (a TTL meaning "never"), is written without overflow.
pub fn format_duration_flag(duration: Duration) -> String {
    if duration.subsec_nanos() != 0 {
        return format!("{}ms", duration.as_millis());
    }
    match duration.as_secs() {
        0 => "0s".to_string(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `250ms`, `2s`, `1m`, or a bare number of milliseconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit.trim() {
        "" | "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" | "min" => Some(Duration::from_secs(number.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(number.checked_mul(3600)?)),
        _ => None,
    }
}

/// Keeps diagnostics short, whatever a client sent.
fn shorten(value: &str) -> String {
    crate::text::shorten(value, 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(values: &[&str]) -> Result<Preferences, String> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("prefer", HeaderValue::from_str(value).unwrap());
        }
        Preferences::parse(&headers)
    }

    #[test]
    fn several_preferences_in_one_or_more_headers_are_read() {
        let prefs = parse(&[
            "code=429, retry-after=3",
            "Latency=\"250ms\"; x=y, dynamic=true",
        ])
        .unwrap();
        assert_eq!(prefs.code, Some(429));
        assert_eq!(prefs.retry_after, Some(3));
        assert_eq!(prefs.latency, Some(Duration::from_millis(250)));
        assert_eq!(prefs.sent, ["code=429", "retry-after=3", "latency=250ms"]);
    }

    #[test]
    fn only_honoured_preferences_are_listed_as_applied() {
        let prefs = parse(&["code=429, retry-after=3, latency=5ms"]).unwrap();
        let mut honoured = Honoured::default();
        assert_eq!(prefs.applied(honoured), None);
        honoured.mark("latency");
        honoured.mark("code");
        assert_eq!(
            prefs.applied(honoured).as_deref(),
            Some("code=429, latency=5ms")
        );
    }

    #[test]
    fn malformed_values_of_known_preferences_are_errors_and_short() {
        assert!(parse(&["code=abc"]).unwrap_err().contains("code=abc"));
        assert!(parse(&["code=99"]).is_err());
        assert!(parse(&["latency=61s"]).is_err());
        assert!(parse(&["body=xml"]).is_err());
        let long = format!("code={}", "9".repeat(5000));
        assert!(parse(&[&long]).unwrap_err().len() < 100);
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("15"), Some(Duration::from_millis(15)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn a_duration_is_written_as_a_flag_takes_it_whatever_its_size() {
        let written = [1, 90, 300, 7200].map(|s| format_duration_flag(Duration::from_secs(s)));
        assert_eq!(written, ["1s", "90s", "5m", "2h"]);
        assert_eq!(format_duration_flag(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration_flag(Duration::ZERO), "0s");
        assert_eq!(
            format_duration_flag(Duration::MAX),
            "18446744073709551615999ms"
        );
        for text in ["1s", "90s", "5m", "2h", "1500ms"] {
            let read = parse_duration_flag(text).unwrap();
            assert_eq!(format_duration_flag(read), text);
        }
    }

    #[test]
    fn a_duration_flag_needs_its_unit_but_zero() {
        assert_eq!(parse_duration_flag("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration_flag("0"), Ok(Duration::ZERO));
        let bare = parse_duration_flag("3600").unwrap_err();
        assert!(bare.contains("has no unit: write 3600s, 3600ms"), "{bare}");
        let odd = parse_duration_flag("soon").unwrap_err();
        assert!(odd.contains("is not a duration like 250ms"), "{odd}");
    }
}
