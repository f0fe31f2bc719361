//! The answers the mock sends, in the shapes the document gives them.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use mulerouter_kling::types::{ApiError, ErrorTaskInfo, TaskError, TaskInfo, TaskResponse};
use mulerouter_kling::{TaskStatus, Violation};
use serde::Serialize;
use serde_json::{Value, json};

static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

#[cfg(test)]
use crate::tasks::new_id;
use crate::tasks::{Snapshot, Step};
use crate::violations::MAX_VIOLATIONS;

/// The MP4 every completed task links to (see `assets/README.md`).
pub(crate) const VIDEO: &[u8] = include_bytes!("../assets/result_000.mp4");

/// The file name of a task's result under `/files/{task_id}/`.
pub(crate) const VIDEO_NAME: &str = "result_000.mp4";

/// One answer, before it becomes an [`http::Response`].
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
    pub(crate) delay: Duration,
    /// The rules a refused request broke, for the journal.
    pub(crate) violations: Vec<Violation>,
    /// Acted on, but not to be sent: the transport drops the connection ([`Fault::HangUp`]).
    ///
    /// [`Fault::HangUp`]: crate::Fault::HangUp
    pub(crate) hang_up: bool,
}

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Json(Value),
    /// JSON already serialised.
    JsonBytes(Bytes),
    Html(String),
    Video,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
            delay: Duration::ZERO,
            violations: Vec::new(),
            hang_up: false,
        }
    }

    /// A JSON body serialised already.
    pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Self {
        Self::json_shared(status, Bytes::from(body))
    }

    /// A JSON body serialised already, shared with whoever else holds it.
    pub(crate) fn json_shared(status: u16, body: Bytes) -> Self {
        Self {
            body: Body::JsonBytes(body),
            ..Self::empty(status)
        }
    }

    /// A value serialised as the JSON body.
    pub(crate) fn serialized(status: u16, body: &impl Serialize) -> Self {
        // Serialising the mock's own types cannot fail (no maps with non-string keys).
        Self::json_bytes(status, serde_json::to_vec(body).unwrap_or_default())
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            body: Body::Empty,
            ..Self::json(status, Value::Null)
        }
    }

    /// `{"detail": "…"}`, the shape of the document's examples for most error statuses.
    pub(crate) fn detail(status: u16, detail: impl Into<String>) -> Self {
        Self::json(status, json!({ "detail": detail.into() }))
    }

    /// 400 for a request that breaks the document's rules: code 2001 and the violations
    /// found (at most [`MAX_VIOLATIONS`] listed; one more says there were more).
    pub(crate) fn rejected(violations: Vec<Violation>) -> Self {
        let detail = summary(&violations);
        let kept = violations.clone();
        Self {
            violations: kept,
            ..Self::serialized(400, &rejection(detail, violations))
        }
    }

    /// 400 for a request the mock cannot act on, with a single explanation.
    pub(crate) fn invalid(rule: &'static str, message: impl Into<String>) -> Self {
        Self::rejected(vec![Violation {
            pointer: String::new(),
            rule: rule.into(),
            message: message.into(),
        }])
    }

    /// An HTML error page, as an nginx in front of the service sends.
    pub(crate) fn proxy_page(status: u16) -> Self {
        let title = format!("{status} {}", reason(status));
        Self {
            body: Body::Html(format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            )),
            ..Self::empty(status)
        }
    }

    /// A page of the mock's own (the admin inspector).
    pub(crate) fn html(status: u16, page: impl Into<String>) -> Self {
        Self {
            body: Body::Html(page.into()),
            ..Self::empty(status)
        }
    }

    pub(crate) fn video() -> Self {
        Self {
            body: Body::Video,
            ..Self::empty(200)
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn delayed(mut self, by: Duration) -> Self {
        self.delay += by;
        self
    }

    /// The JSON body, if any (for tests).
    #[cfg(test)]
    pub(crate) fn json_body(&self) -> Option<Value> {
        match &self.body {
            Body::Json(value) => Some(value.clone()),
            Body::JsonBytes(bytes) => serde_json::from_slice(bytes).ok(),
            _ => None,
        }
    }

    /// The response with a fresh trace (see [`Self::into_traced_response`]).
    pub(crate) fn into_response(self, head_only: bool) -> http::Response<Bytes> {
        self.into_traced_response(head_only, &Trace::fresh())
    }

    /// The response, its `traceparent` from `trace`; for a `HEAD` request (`head_only`) the
    /// same head with no body, its `Content-Length` the length the body would have.
    pub(crate) fn into_traced_response(
        self,
        head_only: bool,
        trace: &Trace,
    ) -> http::Response<Bytes> {
        let (body, content_type) = match self.body {
            Body::Empty => (Bytes::new(), None),
            Body::Json(value) => (
                Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
                Some("application/json"),
            ),
            Body::JsonBytes(bytes) => (bytes, Some("application/json")),
            Body::Html(page) => (Bytes::from(page), Some("text/html; charset=utf-8")),
            Body::Video => (Bytes::from_static(VIDEO), Some("video/mp4")),
        };
        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            // Only values a header can carry; the mock never echoes raw input in headers.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers.insert(TRACEPARENT.clone(), trace.header_value());
        if let Some(content_type) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if head_only {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        } else {
            *response.body_mut() = body;
        }
        response
    }
}

/// The canonical reason phrase of a status, e.g. `Bad Gateway`.
pub(crate) fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The body of a 400 for broken rules: code 2001, a summary and the violations listed.
fn rejection(detail: String, violations: Vec<Violation>) -> ApiError {
    let violations = violations.into_iter().take(MAX_VIOLATIONS).collect();
    ApiError {
        task_info: Some(ErrorTaskInfo {
            id: None,
            status: Some(TaskStatus::Failed),
            error: Some(TaskError {
                code: Some(2001),
                error_code: None,
                title: Some("Invalid Request".into()),
                detail: Some(detail),
            }),
        }),
        violations,
        ..ApiError::default()
    }
}

/// One line naming the broken rules: `duration: 99 is greater than the maximum of 15`.
fn summary(violations: &[Violation]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = violations
        .iter()
        .take(SHOWN)
        .map(|v| {
            let field = v.pointer.trim_start_matches('/').replace('/', ".");
            match (field.is_empty(), v.rule.as_str()) {
                // The message names the header it is about.
                (true, "prefer") => v.message.clone(),
                (true, _) => format!("body: {}", v.message),
                (false, _) => format!("{field}: {}", v.message),
            }
        })
        .collect();
    if violations.len() > SHOWN {
        parts.push(format!(
            "and {} more",
            violations.len().min(MAX_VIOLATIONS) - SHOWN
        ));
    }
    if violations.len() > MAX_VIOLATIONS {
        parts.push(format!(
            "(more than {MAX_VIOLATIONS} violations; the first {MAX_VIOLATIONS} are listed)"
        ));
    }
    parts.join("; ")
}

/// The W3C trace context of one answer (`traceparent`, as the service sends on every
/// answer): the trace id of the request's own `traceparent` when it sent a valid one, as a
/// gateway continues a trace, else a fresh one; always a new span id. Built on the stack:
/// no allocation until the header value is made.
#[derive(Clone, Copy)]
pub(crate) struct Trace {
    /// `00-<trace id>-<span id>-<flags>`, lowercase hex.
    value: [u8; 55],
}

impl Trace {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    /// Version 00, sampled; the ids are written over the zeros.
    const BLANK: [u8; 55] = *b"00-00000000000000000000000000000000-0000000000000000-01";

    /// The trace a request continues (its valid `traceparent`), or a fresh one.
    pub(crate) fn for_request(headers: &http::HeaderMap) -> Self {
        let continued = headers
            .get(&TRACEPARENT)
            .and_then(|value| Self::continuing(value.as_bytes()));
        continued.unwrap_or_else(Self::fresh)
    }

    /// A fresh trace: a random trace id and span id from a fast thread-local generator
    /// (trace ids need to be unlikely to collide, not unpredictable), sampled.
    pub(crate) fn fresh() -> Self {
        let mut trace = Self { value: Self::BLANK };
        trace.write_hex(3, &fastrand::u128(1..).to_be_bytes());
        trace.new_span();
        trace
    }

    /// The trace `traceparent` belongs to, with a new span id, if it is a valid W3C trace
    /// context (version 00 exactly; a later version by its first four fields, as the
    /// specification asks); `None` otherwise, and the request is answered with a fresh
    /// trace.
    fn continuing(traceparent: &[u8]) -> Option<Self> {
        let head = traceparent.get(..55)?;
        let lower_hex = |bytes: &[u8]| bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let (version, trace_id, parent_id, flags) =
            (&head[0..2], &head[3..35], &head[36..52], &head[53..55]);
        let well_formed = head[2] == b'-'
            && head[35] == b'-'
            && head[52] == b'-'
            && lower_hex(version)
            && lower_hex(trace_id)
            && lower_hex(parent_id)
            && lower_hex(flags)
            && version != b"ff"
            && trace_id.iter().any(|b| *b != b'0')
            && parent_id.iter().any(|b| *b != b'0');
        let length_fits = match version {
            b"00" => traceparent.len() == 55,
            _ => traceparent.len() == 55 || traceparent[55] == b'-',
        };
        if !(well_formed && length_fits) {
            return None;
        }
        let mut trace = Self { value: Self::BLANK };
        trace.value[3..35].copy_from_slice(trace_id);
        // Only the sampled flag is defined for version 00; it is passed on as received.
        trace.value[53..55].copy_from_slice(flags);
        if version != b"00" {
            // Answered in the version this mock speaks: the sampled bit alone.
            let sampled = char::from(flags[1]).to_digit(16).unwrap_or(0) & 1;
            trace.value[53..55].copy_from_slice(if sampled == 1 { b"01" } else { b"00" });
        }
        trace.new_span();
        Some(trace)
    }

    fn new_span(&mut self) {
        self.write_hex(36, &fastrand::u64(1..).to_be_bytes());
    }

    fn write_hex(&mut self, at: usize, bytes: &[u8]) {
        for (index, byte) in bytes.iter().enumerate() {
            self.value[at + 2 * index] = Self::HEX[usize::from(byte >> 4)];
            self.value[at + 2 * index + 1] = Self::HEX[usize::from(byte & 0xf)];
        }
    }

    /// The trace id, 32 hex digits: what a log line carries, so that a `traceparent`
    /// quoted in a bug report finds its request.
    pub(crate) fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.value[3..35]).unwrap_or_default()
    }

    /// The whole `traceparent` value.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.value).unwrap_or_default()
    }

    fn header_value(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.value)
            .unwrap_or_else(|_| HeaderValue::from_static("00-0-0-01"))
    }
}

/// RFC 3339 as the service writes it: microseconds and `+00:00`.
#[cfg(test)]
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    with_timestamp(at, str::to_string)
}

/// Calls `use_text` with [`timestamp`]'s text: the same as
/// `to_rfc3339_opts(SecondsFormat::Micros, false)`, written on the stack for the years
/// 0–9999 (chrono's general formatter costs more than the rest of a task's answer).
fn with_timestamp<R>(at: DateTime<Utc>, use_text: impl FnOnce(&str) -> R) -> R {
    use chrono::{Datelike, Timelike};
    let (date, time) = (at.date_naive(), at.time());
    let (year, nanos) = (date.year(), time.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return use_text(&at.to_rfc3339_opts(SecondsFormat::Micros, false));
    }
    let seconds = time.num_seconds_from_midnight();
    let mut text = *b"0000-00-00T00:00:00.000000+00:00";
    for (at, digits, value) in [
        (0, 4, year.unsigned_abs()),
        (5, 2, date.month()),
        (8, 2, date.day()),
        (11, 2, seconds / 3600),
        (14, 2, seconds / 60 % 60),
        (17, 2, seconds % 60),
        (20, 6, nanos / 1_000),
    ] {
        let mut value = value;
        for slot in text[at..at + digits].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    use_text(std::str::from_utf8(&text).unwrap_or_default())
}

/// Where a completed task's video is served.
pub(crate) fn video_url(base: &str, id: uuid::Uuid) -> String {
    let mut url = String::with_capacity(base.len() + 60);
    url.push_str(base);
    url.push_str("/files/");
    url.push_str(
        id.hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    );
    url.push('/');
    url.push_str(VIDEO_NAME);
    url
}

/// The GET/POST body of a task, as the service writes it: keys in the order `serde_json`'s
/// map sorts them (the same bytes as [`task_value`]), timestamps with microseconds and
/// `+00:00`. Serialised from borrowed fields: no [`Value`] is built on the hot path.
pub(crate) fn task_body(task: &Snapshot, base: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        task_info: Info<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        videos: Option<[String; 1]>,
    }
    #[derive(Serialize)]
    struct Info<'a> {
        created_at: Timestamp,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<Error<'a>>,
        id: uuid::Uuid,
        status: &'static str,
        updated_at: Timestamp,
    }
    #[derive(Serialize)]
    struct Error<'a> {
        detail: &'a str,
        error_code: i64,
        title: &'a str,
    }
    let finished = task.step == Step::Finished;
    let body = Body {
        task_info: Info {
            created_at: Timestamp(task.created_at),
            error: task
                .failure
                .as_ref()
                .filter(|_| finished)
                .map(|failure| Error {
                    detail: &failure.detail,
                    error_code: failure.code,
                    title: &failure.title,
                }),
            id: task.id,
            status: task.status(),
            updated_at: Timestamp(task.updated_at),
        },
        videos: (finished && task.failure.is_none()).then(|| [video_url(base, task.id)]),
    };
    // Room for a finished task's answer, so the buffer is not grown step by step.
    let mut out = Vec::with_capacity(320 + base.len());
    // Serialising borrowed strings, numbers and ids cannot fail.
    let _ = serde_json::to_writer(&mut out, &body);
    out
}

/// A time serialised as the service writes it (see [`with_timestamp`]).
pub(crate) struct Timestamp(pub(crate) DateTime<Utc>);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_timestamp(self.0, |text| serializer.serialize_str(text))
    }
}

/// The GET/POST body of a task as a JSON value: what [`task_body`] serialises.
#[cfg(test)]
pub(crate) fn task_value(task: &Snapshot, base: &str) -> Value {
    let mut info = json!({
        "id": task.id,
        "status": task.status(),
        "created_at": timestamp(task.created_at),
        "updated_at": timestamp(task.updated_at),
    });
    let mut body = serde_json::Map::new();
    if task.step == Step::Finished {
        match &task.failure {
            Some(failure) => {
                info["error"] = json!({
                    "error_code": failure.code,
                    "title": failure.title,
                    "detail": failure.detail,
                });
            }
            None => {
                body.insert("videos".into(), json!([video_url(base, task.id)]));
            }
        }
    }
    body.insert("task_info".into(), info);
    Value::Object(body)
}

/// The same task as the client's type, for the in-process API.
pub(crate) fn task_response(task: &Snapshot, base: &str) -> TaskResponse {
    let finished = task.step == Step::Finished;
    TaskResponse {
        task_info: TaskInfo {
            id: task.id,
            status: task.status().parse().unwrap_or_else(|never| match never {}),
            created_at: task.created_at,
            updated_at: task.updated_at,
            error: task
                .failure
                .as_ref()
                .filter(|_| finished)
                .map(|failure| TaskError {
                    code: None,
                    error_code: Some(failure.code),
                    title: Some(failure.title.clone()),
                    detail: Some(failure.detail.clone()),
                }),
        },
        videos: (finished && task.failure.is_none()).then(|| vec![video_url(base, task.id)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(pointer: &str, message: &str) -> Violation {
        Violation {
            pointer: pointer.into(),
            rule: "maximum".into(),
            message: message.into(),
        }
    }

    #[test]
    fn the_summary_names_fields_like_the_document_example() {
        let reply = Reply::rejected(vec![violation(
            "/duration",
            "99 is greater than the maximum of 15",
        )]);
        let body = reply.json_body().unwrap();
        assert_eq!(
            body["task_info"]["error"]["detail"],
            "duration: 99 is greater than the maximum of 15"
        );
        assert_eq!(body["task_info"]["error"]["code"], 2001);
        assert_eq!(body["violations"][0]["pointer"], "/duration");
    }

    #[test]
    fn many_violations_are_listed_up_to_a_bound_and_said_to_be_more() {
        let many: Vec<_> = (0..=MAX_VIOLATIONS)
            .map(|i| violation(&format!("/x{i}"), "bad"))
            .collect();
        let reply = Reply::rejected(many);
        let body = reply.json_body().unwrap();
        assert_eq!(body["violations"].as_array().unwrap().len(), MAX_VIOLATIONS);
        let detail = body["task_info"]["error"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("and 97 more") && detail.contains("more than 100 violations"),
            "{detail}"
        );
    }

    #[test]
    fn timestamps_look_like_the_service_ones() {
        let at = DateTime::parse_from_rfc3339("2026-09-21T08:23:12.657134Z")
            .unwrap()
            .to_utc();
        assert_eq!(timestamp(at), "2026-09-21T08:23:12.657134+00:00");
    }

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        for text in [
            "2026-09-21T08:23:12.657134Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "2000-02-29T12:05:09.000001Z",
        ] {
            let at = DateTime::parse_from_rfc3339(text).unwrap().to_utc();
            assert_eq!(
                timestamp(at),
                at.to_rfc3339_opts(SecondsFormat::Micros, false)
            );
        }
        let now = Utc::now();
        assert_eq!(
            timestamp(now),
            now.to_rfc3339_opts(SecondsFormat::Micros, false)
        );
    }

    #[test]
    fn a_traceparent_is_a_w3c_trace_context() {
        let value = Trace::fresh().header_value();
        let text = value.to_str().unwrap();
        let parts: Vec<&str> = text.split('-').collect();
        assert_eq!(parts.len(), 4, "{text}");
        assert_eq!((parts[0], parts[3]), ("00", "01"));
        assert_eq!((parts[1].len(), parts[2].len()), (32, 16));
        assert!(
            parts[1..3]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_ne!(Trace::fresh().header_value(), value);
    }

    fn with_traceparent(value: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", value.parse().unwrap());
        headers
    }

    #[test]
    fn a_valid_traceparent_is_continued_with_the_same_trace_id_and_a_new_span_id() {
        // Arrange
        let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

        // Act
        let trace = Trace::for_request(&with_traceparent(sent));

        // Assert
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let parts: Vec<&str> = trace.as_str().split('-').collect();
        assert_eq!(parts[0], "00");
        assert_ne!(parts[2], "00f067aa0ba902b7", "a new span id");
        assert_eq!(parts[3], "00", "the sampled flag as received");
    }

    #[test]
    fn a_later_version_is_continued_by_its_first_four_fields() {
        // Arrange
        let sent = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-more";

        // Act
        let trace = Trace::for_request(&with_traceparent(sent));

        // Assert
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(trace.as_str().starts_with("00-") && trace.as_str().ends_with("-01"));
    }

    #[test]
    fn an_invalid_traceparent_is_ignored_and_a_fresh_trace_started() {
        let ignored = [
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", // 00 with more
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",    // short
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // separator
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
        ];
        for sent in ignored {
            // Act
            let trace = Trace::for_request(&with_traceparent(sent));

            // Assert
            assert_ne!(
                trace.trace_id(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{sent}"
            );
            assert_ne!(
                trace.trace_id(),
                "00000000000000000000000000000000",
                "{sent}"
            );
        }
    }

    #[test]
    fn a_rejection_is_serialised_as_its_json_value_would_be() {
        let violations = vec![violation(
            "/duration",
            "99 is greater than the maximum of 15",
        )];
        let reply = Reply::rejected(violations.clone());
        let Body::JsonBytes(bytes) = &reply.body else {
            panic!("serialised JSON")
        };
        let value = serde_json::to_value(rejection(summary(&violations), violations)).unwrap();
        assert_eq!(
            String::from_utf8(bytes.to_vec()).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }

    #[test]
    fn a_task_body_is_serialised_as_its_json_value_would_be() {
        let at = DateTime::parse_from_rfc3339("2026-09-21T08:23:12.657134Z")
            .unwrap()
            .to_utc();
        let mut task = Snapshot {
            id: new_id(),
            step: Step::Pending,
            failure: None,
            created_at: at,
            updated_at: at,
        };
        let failure = crate::faults::failure(3005);
        let odd = crate::tasks::Failure {
            code: -7,
            title: "a \"quoted\" title\n".into(),
            detail: "\\ \u{1} ünï 🎬 </script>".into(),
        };
        for (step, failure) in [
            (Step::Pending, None),
            (Step::Processing, Some(failure.clone())),
            (Step::Finished, None),
            (Step::Finished, Some(failure)),
            (Step::Finished, Some(odd)),
        ] {
            task.step = step;
            task.failure = failure;
            let expected = serde_json::to_vec(&task_value(&task, "http://h:1")).unwrap();
            assert_eq!(
                String::from_utf8(task_body(&task, "http://h:1")).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn the_shipped_video_is_an_mp4() {
        assert_eq!(&VIDEO[4..8], b"ftyp");
        assert!(VIDEO.len() < 16 * 1024);
    }
}
