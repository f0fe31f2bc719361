//! Turning what the generated client returns into [`Error`] values users can act on.

use progenitor_client::{Error as RawError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::ApiErrorDetails;
use crate::observe::Observed;
use crate::types::{ApiError, TaskResponse};
use crate::{Error, retry, validate};

/// The outcome of one attempt.
pub(crate) async fn classify(
    result: Result<ResponseValue<TaskResponse>, RawError<ApiError>>,
    observed: Option<Observed>,
) -> Result<TaskResponse, Error> {
    // Checked first: the body was cut short, so whatever progenitor made of it is moot.
    if let Some(overflow) = observed.as_ref().and_then(|seen| seen.overflow) {
        return Err(Error::ResponseTooLarge {
            status: overflow.status,
            limit: overflow.limit,
            received: overflow.received,
            announced: overflow.announced,
        });
    }
    let error = match result {
        Ok(value) => return Ok(value.into_inner()),
        Err(error) => error,
    };
    match error {
        RawError::ErrorResponse(value) => {
            let status = value.status();
            let headers = value.headers().clone();
            Err(by_status(details_from_body(
                status,
                &headers,
                &value.into_inner(),
            )))
        }
        RawError::InvalidResponsePayload(body, parse_error) => match observed {
            // An error status with a body that is not the documented JSON: a proxy's page.
            Some(seen) if seen.status.is_client_error() || seen.status.is_server_error() => Err(
                by_status(details_from_text(seen.status, &seen.headers, &body)),
            ),
            seen => Err(Error::UnexpectedResponse {
                status: seen.map(|s| s.status),
                reason: match html_title(&body) {
                    // A login page, a proxy's notice, a web site at the base URL.
                    Some(title) => format!(
                        "an HTML page answered (\"{title}\"), not the API: is the base URL the API's?"
                    ),
                    // serde quotes the value it could not read, however large.
                    None => format!(
                        "the body does not match the API document: {}",
                        shortened(&parse_error.to_string())
                    ),
                },
                body: snippet(&body),
            }),
        },
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(|location| snippet(location.as_bytes()));
            let body = response.bytes().await.unwrap_or_default();
            let reason = match location {
                Some(location) if status.is_redirection() => format!(
                    "the server redirects to {location}; set the base URL to where it points \
                     (redirects are not followed: a create would lose its body)"
                ),
                _ => "the API document does not list this status".to_string(),
            };
            Err(Error::UnexpectedResponse {
                status: Some(status),
                reason,
                body: snippet(&body),
            })
        }
        RawError::CommunicationError(source) => {
            let maybe_sent = !source.is_connect();
            Err(Error::Transport {
                source,
                maybe_sent,
                operation: None,
            })
        }
        RawError::ResponseBodyError(source) => Err(Error::Transport {
            source,
            maybe_sent: true,
            operation: None,
        }),
        RawError::InvalidRequest(message) => Err(Error::InvalidInput(
            validate::InvalidInput::single(validate::refused_by_builder(&message)),
        )),
        other => Err(Error::UnexpectedResponse {
            status: other.status(),
            reason: other.to_string(),
            body: String::new(),
        }),
    }
}

/// Picks the variant for an error status.
pub(crate) fn by_status(details: ApiErrorDetails) -> Error {
    let details = Box::new(details);
    match details.status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Auth(details),
        StatusCode::PAYMENT_REQUIRED => Error::InsufficientBalance(details),
        StatusCode::NOT_FOUND => Error::NotFound(details),
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited(details),
        _ => Error::Api(details),
    }
}

/// The most violations an error keeps: the mock lists at most 100, and a server that sends
/// a million should not make an error hold them all.
const MAX_VIOLATIONS_KEPT: usize = 100;

fn details_from_body(status: StatusCode, headers: &HeaderMap, body: &ApiError) -> ApiErrorDetails {
    let task_error = body.task_info.as_ref().and_then(|info| info.error.as_ref());
    let text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        // `{"error": {"message": …}}` and FastAPI's list of problems: keep them readable.
        serde_json::Value::Object(map) => match map.get("message") {
            Some(serde_json::Value::String(message)) => message.clone(),
            _ => value.to_string(),
        },
        other => other.to_string(),
    };
    let detail = task_error
        .and_then(|e| e.detail.clone())
        .or_else(|| body.detail.as_ref().map(text))
        .or_else(|| body.error.as_ref().map(text))
        .or_else(|| body.message.clone());
    // An error keeps a few KiB however large the body the server sent (up to the read limit).
    let short = |text: &str| snippet(text.as_bytes());
    let violations = body.violations.iter().take(MAX_VIOLATIONS_KEPT);
    ApiErrorDetails {
        status,
        code: task_error.and_then(crate::types::TaskError::rejection_code),
        title: task_error.and_then(|e| e.title.as_deref().map(short)),
        detail: detail.as_deref().map(short),
        violations: violations
            .map(|v| crate::Violation {
                pointer: short(&v.pointer),
                rule: short(&v.rule),
                message: short(&v.message),
            })
            .collect(),
        traceparent: traceparent(headers),
        retry_after: retry::retry_after(headers),
        context: None,
    }
}

fn details_from_text(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiErrorDetails {
    let text = match html_title(body) {
        Some(title) => format!("{title} (an HTML page: a proxy or gateway answered, not the API)"),
        None => snippet(body),
    };
    ApiErrorDetails {
        status,
        code: None,
        title: None,
        detail: (!text.is_empty()).then_some(text),
        violations: Vec::new(),
        traceparent: traceparent(headers),
        retry_after: retry::retry_after(headers),
        context: None,
    }
}

/// The `<title>` of an HTML page (a proxy's `502 Bad Gateway`), which says in a few words
/// what its markup would say in a few hundred characters; `None` for anything else.
fn html_title(body: &[u8]) -> Option<String> {
    const LOOKED_AT: usize = 8 * 1024;
    let head = String::from_utf8_lossy(&body[..body.len().min(LOOKED_AT)]);
    if !head.trim_start().starts_with('<') {
        return None;
    }
    // ASCII lowercase keeps every byte where it was, so positions carry over to `head`.
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = snippet(head[start..end].as_bytes());
    (!title.is_empty()).then_some(title)
}

/// The answer's `traceparent` header, as the service sent it.
pub(crate) fn traceparent(headers: &HeaderMap) -> Option<String> {
    headers
        .get("traceparent")?
        .to_str()
        .ok()
        .map(str::to_string)
}

/// The start of a body as one line of text, for error messages and logs. Only the first
/// few KiB are looked at, so an error keeps a small copy however large the body was.
pub(crate) fn snippet(body: &[u8]) -> String {
    const LIMIT: usize = 300;
    // Enough bytes for LIMIT characters of any UTF-8 text, plus white space folded away.
    const LOOKED_AT: usize = 8 * 1024;
    let head = &body[..body.len().min(LOOKED_AT)];
    let text = String::from_utf8_lossy(head);
    let mut flat = String::with_capacity(LIMIT + 3);
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            flat.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars == LIMIT {
                flat.push('…');
                return flat;
            }
            flat.push(c);
            chars += 1;
        }
    }
    if head.len() < body.len() {
        flat.push('…');
    }
    flat
}

/// `text` as it is when short; otherwise its start and its end around an ellipsis, so that a
/// parse error quoting megabytes of a value keeps what it was reading and where it stopped
/// (`… expected struct TaskInfo at line 1 column 3000016`).
fn shortened(text: &str) -> String {
    const HEAD: usize = 200;
    const TAIL: usize = 100;
    let length = text.chars().count();
    if length <= HEAD + TAIL {
        return text.to_string();
    }
    let head: String = text.chars().take(HEAD).collect();
    let tail: String = text.chars().skip(length - TAIL).collect();
    format!("{head} … {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_page_is_said_by_its_title() {
        let page = b"<html>\r\n<head><TITLE>502 Bad Gateway</TITLE></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        assert_eq!(html_title(page).as_deref(), Some("502 Bad Gateway"));
        assert_eq!(html_title(b"<p>no title</p>"), None);
        assert_eq!(html_title(b"upstream connect error"), None);
        assert_eq!(html_title(b"<title>  </title>"), None);
    }

    #[test]
    fn a_snippet_folds_white_space_and_stops_at_300_characters() {
        let body = format!("a  b\n{}", "x".repeat(1000));
        let cut = snippet(body.as_bytes());
        assert!(cut.starts_with("a b xxx"), "{cut}");
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_long_text_keeps_its_start_and_its_end() {
        let text = format!(
            "invalid type: string \"{}\", expected a date",
            "é".repeat(5000)
        );
        let short = shortened(&text);
        assert!(short.starts_with("invalid type: string \"ééé"), "{short}");
        assert!(short.ends_with("ééé\", expected a date"), "{short}");
        assert_eq!(short.chars().count(), 303);
        assert_eq!(shortened("short"), "short");
    }

    #[test]
    fn a_short_body_is_kept_whole() {
        assert_eq!(
            snippet(b"<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
    }

    #[test]
    fn a_snippet_of_a_huge_body_looks_only_at_its_start() {
        let body = vec![b' '; 10 * 1024 * 1024];
        assert_eq!(snippet(&body), "…");
    }
}
