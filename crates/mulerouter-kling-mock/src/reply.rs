//! The answers the mock sends, in the shapes the document gives them.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use mulerouter_kling::TaskStatus;
use mulerouter_kling::types::{
    ApiError, ErrorTaskInfo, TaskError, TaskInfo, TaskResponse, Violation,
};
use serde_json::{Map, Value, json};
use wiremock::ResponseTemplate;
use wiremock::http::HeaderValue;

use crate::tasks::{Snapshot, Step};

/// At most this many violations are listed in one answer; the summary counts them all.
pub(crate) const MAX_VIOLATIONS: usize = 100;

/// The MP4 every completed task links to (see `assets/README.md`).
pub(crate) const VIDEO: &[u8] = include_bytes!("../assets/result_000.mp4");

/// The file name of a task's result under `/files/{task_id}/`.
pub(crate) const VIDEO_NAME: &str = "result_000.mp4";

/// One answer, before it becomes a wiremock [`ResponseTemplate`].
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
    pub(crate) delay: Duration,
}

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Json(Value),
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
        }
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

    /// 400 for a request that breaks the document's rules: code 2001 and every violation.
    pub(crate) fn rejected(mut violations: Vec<Violation>) -> Self {
        let detail = summary(&violations);
        violations.truncate(MAX_VIOLATIONS);
        let body = ApiError {
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
        };
        Self::json(400, serde_json::to_value(body).unwrap_or_default())
    }

    /// 400 for a request the mock cannot act on, with a single explanation.
    pub(crate) fn invalid(rule: &str, message: impl Into<String>) -> Self {
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

    pub(crate) fn delayed(mut self, by: Duration) -> Self {
        self.delay += by;
        self
    }

    /// The JSON body, if any (for tests and logs).
    #[cfg(test)]
    pub(crate) fn json_body(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(value) => Some(value),
            _ => None,
        }
    }

    pub(crate) fn into_template(self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        template = match self.body {
            Body::Empty => template,
            Body::Json(value) => template.set_body_raw(
                serde_json::to_vec(&value).unwrap_or_default(),
                "application/json",
            ),
            Body::Html(page) => {
                template.set_body_raw(page.into_bytes(), "text/html; charset=utf-8")
            }
            Body::Video => template.set_body_raw(VIDEO, "video/mp4"),
        };
        for (name, value) in self.headers {
            // Only values a header can carry; the mock never echoes raw input in headers.
            if let Ok(value) = HeaderValue::from_str(&value) {
                template = template.insert_header(name, value);
            }
        }
        template = template.insert_header("traceparent", traceparent());
        if !self.delay.is_zero() {
            template = template.set_delay(self.delay);
        }
        template
    }
}

/// The canonical reason phrase of a status, e.g. `Bad Gateway`.
pub(crate) fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// One line naming the broken rules: `duration: 99 is greater than the maximum of 15`.
fn summary(violations: &[Violation]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = violations
        .iter()
        .take(SHOWN)
        .map(|v| {
            let field = v.pointer.trim_start_matches('/').replace('/', ".");
            let field = if field.is_empty() {
                "body".to_string()
            } else {
                field
            };
            format!("{field}: {}", v.message)
        })
        .collect();
    if violations.len() > SHOWN {
        parts.push(format!("and {} more", violations.len() - SHOWN));
    }
    if violations.len() > MAX_VIOLATIONS {
        parts.push(format!(
            "({} violations, the first {MAX_VIOLATIONS} listed)",
            violations.len()
        ));
    }
    parts.join("; ")
}

/// A fresh W3C trace context, as the service sends on every answer.
fn traceparent() -> String {
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    format!("00-{trace}-{span}-01")
}

/// RFC 3339 as the service writes it: microseconds and `+00:00`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Where a completed task's video is served.
pub(crate) fn video_url(base: &str, id: uuid::Uuid) -> String {
    format!("{base}/files/{id}/{VIDEO_NAME}")
}

/// The GET/POST body of a task.
pub(crate) fn task_body(task: &Snapshot, base: &str) -> Value {
    let mut info = json!({
        "id": task.id,
        "status": task.status(),
        "created_at": timestamp(task.created_at),
        "updated_at": timestamp(task.updated_at),
    });
    let mut body = Map::new();
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
    fn many_violations_are_listed_up_to_a_bound_and_counted_in_the_summary() {
        let many: Vec<_> = (0..250)
            .map(|i| violation(&format!("/x{i}"), "bad"))
            .collect();
        let reply = Reply::rejected(many);
        let body = reply.json_body().unwrap();
        assert_eq!(body["violations"].as_array().unwrap().len(), MAX_VIOLATIONS);
        let detail = body["task_info"]["error"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("and 247 more") && detail.contains("250 violations"),
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
    fn the_shipped_video_is_an_mp4() {
        assert_eq!(&VIDEO[4..8], b"ftyp");
        assert!(VIDEO.len() < 16 * 1024);
    }
}
