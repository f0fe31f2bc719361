//! The one wiremock responder: routes every request with the compiled document.
//!
//! Order of checks, like a gateway in front of the service: route (404), method (405),
//! `Authorization` (401), `Prefer` syntax (400), queued faults and `Prefer: code=4xx/5xx`,
//! then the operation: path parameters, body size (413), empty body (400), `Content-Type`
//! (415), JSON syntax (400), schema (400), and finally the task.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::header::CONTENT_TYPE;
use mulerouter_kling::Phase;
use mulerouter_kling::types::Violation;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::auth::Keys;
use crate::document::{Api, MAX_BODY_BYTES, Operation, Route};
use crate::faults::{self, Fault, Faults};
use crate::prefer::Preferences;
use crate::reply::{self, Reply, VIDEO_NAME};
use crate::tasks::{Failure, Step, Tasks};

/// The operations whose behaviour the mock implements; any other documented operation
/// answers with its documented example.
pub(crate) const CREATE: &str = "create_generation";
pub(crate) const GET: &str = "get_generation";

/// Everything the responder and the in-process API share.
pub(crate) struct Shared {
    pub(crate) api: &'static Api,
    pub(crate) tasks: Tasks,
    pub(crate) faults: Faults,
    pub(crate) keys: Keys,
    pub(crate) base_url: String,
    pub(crate) requests: AtomicU64,
}

/// The responder mounted on wiremock, catching every request.
#[derive(Clone)]
pub(crate) struct Responder(pub(crate) Arc<Shared>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &self.0;
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let reply =
            catch_unwind(AssertUnwindSafe(|| handle(shared, request))).unwrap_or_else(|_| {
                tracing::error!("the mock panicked answering a request; this is a bug in the mock");
                Reply::json(
                    500,
                    json!({ "error": "the mock failed unexpectedly; please report this bug" }),
                )
            });
        log(request, &reply, started);
        reply.into_template()
    }
}

fn log(request: &Request, reply: &Reply, started: Instant) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let path = shorten(request.url.path(), 200);
    if reply.delay.is_zero() {
        tracing::info!(
            "{} {path} -> {} in {:?}",
            request.method,
            reply.status,
            started.elapsed()
        );
    } else {
        tracing::info!(
            "{} {path} -> {} in {:?} (+{:?} latency)",
            request.method,
            reply.status,
            started.elapsed(),
            reply.delay
        );
    }
}

fn handle(shared: &Shared, request: &Request) -> Reply {
    let method = request.method.as_str();
    let path = request.url.path();
    if let Some(rest) = path.strip_prefix("/files/") {
        return file(shared, method, rest);
    }
    match shared.api.route(method, path) {
        Route::NotFound => Reply::detail(
            404,
            format!("Not Found: no API path {}", shorten(path, 200)),
        ),
        Route::MethodNotAllowed(allowed) => {
            let allowed = allowed.join(", ");
            Reply::detail(
                405,
                format!("Method Not Allowed: this path accepts {allowed}"),
            )
            .header("allow", allowed)
        }
        Route::Operation(operation, params) => {
            let latency = shared.faults.next_latency();
            operation_reply(shared, operation, &params, request).delayed(latency)
        }
    }
}

fn operation_reply(
    shared: &Shared,
    operation: &Operation,
    params: &[String],
    request: &Request,
) -> Reply {
    if operation.bearer
        && let Err(detail) = shared.keys.check(&request.headers)
    {
        return Reply::detail(401, detail);
    }
    let prefs = match Preferences::parse(&request.headers) {
        Ok(prefs) => prefs,
        Err(message) => return Reply::invalid("prefer", message),
    };
    let reply = if let Some(fault) = shared.faults.next_answer() {
        fault_reply(operation, &fault)
    } else if let Some(code) = prefs.code.filter(|code| *code >= 400) {
        forced(operation, code, &prefs)
    } else {
        match operation.id.as_str() {
            CREATE => create(shared, operation, request, &prefs),
            GET => get(shared, operation, params, &prefs),
            _ => documented_example(operation, &prefs),
        }
    };
    let mut reply = reply.delayed(prefs.latency.unwrap_or_default());
    if !prefs.applied.is_empty() {
        reply = reply.header(
            "preference-applied",
            shorten(&prefs.applied.join(", "), 200),
        );
    }
    reply
}

/// A queued fault, answered like `Prefer: code=…`.
fn fault_reply(operation: &Operation, fault: &Fault) -> Reply {
    match *fault {
        Fault::Status {
            status,
            retry_after,
        } => error_example(operation, status, None, retry_after)
            .unwrap_or_else(|| Reply::detail(status, reply::reason(status))),
        Fault::ProxyError { status } => Reply::proxy_page(status),
        // Latency and task errors live in their own queues.
        Fault::Latency(_) | Fault::TaskError(_) => Reply::detail(500, "unexpected fault"),
    }
}

/// `Prefer: code=4xx/5xx`: the document's example for that response, nothing else happens.
fn forced(operation: &Operation, code: u16, prefs: &Preferences) -> Reply {
    if operation.response(code).is_none() {
        return Reply::invalid(
            "prefer",
            format!(
                "Prefer: code={code} is not a documented response of {}",
                operation.id
            ),
        );
    }
    if prefs.html_body {
        return Reply::proxy_page(code);
    }
    match error_example(operation, code, prefs.example.as_deref(), prefs.retry_after) {
        Some(reply) => reply,
        None => unknown_example(
            operation,
            code,
            prefs.example.as_deref().unwrap_or_default(),
        ),
    }
}

/// The documented example for an error status, with `Retry-After` where it belongs.
fn error_example(
    operation: &Operation,
    status: u16,
    example: Option<&str>,
    retry_after: Option<u64>,
) -> Option<Reply> {
    let body = match operation.response(status) {
        Some(response) => response.example(example)?.clone(),
        None if example.is_none() => json!({ "detail": reply::reason(status) }),
        None => return None,
    };
    let mut reply = Reply::json(status, body);
    if let Some(seconds) = retry_after.or(matches!(status, 429 | 503).then_some(1)) {
        reply = reply.header("retry-after", seconds.to_string());
    }
    Some(reply)
}

fn unknown_example(operation: &Operation, status: u16, name: &str) -> Reply {
    let names: Vec<&str> = operation
        .response(status)
        .map(|r| {
            r.examples
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let known = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    Reply::invalid(
        "prefer",
        format!(
            "Prefer: example={} is not an example of {} {status} (named examples: {known})",
            shorten(name, 40),
            operation.id
        ),
    )
}

/// The success status to answer with: `Prefer: code=2xx` if documented, else the first
/// documented 2xx.
fn success_status(operation: &Operation, prefs: &Preferences) -> Result<u16, Reply> {
    match prefs.code {
        Some(code) if (200..300).contains(&code) && operation.response(code).is_some() => Ok(code),
        Some(code) => Err(Reply::invalid(
            "prefer",
            format!(
                "Prefer: code={code} is not a documented success of {}",
                operation.id
            ),
        )),
        None => Ok(operation.success),
    }
}

fn create(shared: &Shared, operation: &Operation, request: &Request, prefs: &Preferences) -> Reply {
    let status = match success_status(operation, prefs) {
        Ok(status) => status,
        Err(reply) => return reply,
    };
    let body = match read_body(operation, request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let violations = operation.check_body(&body);
    if !violations.is_empty() {
        return Reply::rejected(violations);
    }
    if prefs.example.is_some() {
        return unknown_example(
            operation,
            status,
            prefs.example.as_deref().unwrap_or_default(),
        );
    }
    let failure = prefs
        .task_error
        .or_else(|| shared.faults.next_task_error())
        .map(faults::failure);
    // The typed form is derived when a test asks for it, not on every create.
    let task = shared.tasks.create(body, None, failure);
    Reply::json_bytes(status, reply::task_body(&task, &shared.base_url))
}

/// The JSON body of a request, or the answer explaining why there is none.
fn read_body(operation: &Operation, request: &Request) -> Result<Value, Reply> {
    let Some(spec) = &operation.body else {
        return Ok(Value::Null);
    };
    let bytes = &request.body;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Reply::detail(
            413,
            format!(
                "Request body is larger than {MAX_BODY_BYTES} bytes ({} bytes)",
                bytes.len()
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if spec.required {
            return Err(Reply::invalid(
                "required",
                "a JSON request body is required",
            ));
        }
        return Ok(Value::Null);
    }
    let media_type = request.headers.get(CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .map(|text| text.split(';').next().unwrap_or_default().trim())
    });
    match media_type {
        // The accepted media types are lower case.
        Some(Ok(media_type))
            if spec
                .media_types
                .iter()
                .any(|accepted| accepted.eq_ignore_ascii_case(media_type)) => {}
        found => {
            let found = match found {
                None => "none".to_string(),
                Some(Ok(text)) => format!("{:?}", shorten(&text.to_ascii_lowercase(), 60)),
                Some(Err(_)) => "an unreadable value".to_string(),
            };
            return Err(Reply::detail(
                415,
                format!(
                    "Content-Type must be {}, got {found}",
                    spec.media_types.join(" or ")
                ),
            ));
        }
    }
    serde_json::from_slice(bytes).map_err(|error| {
        let message = format!(
            "the body is not valid JSON: {}",
            shorten(&error.to_string(), 120)
        );
        Reply::invalid("json", message)
    })
}

fn get(shared: &Shared, operation: &Operation, params: &[String], prefs: &Preferences) -> Reply {
    let violations = operation.check_params(params);
    if !violations.is_empty() {
        return Reply::rejected(violations);
    }
    let status = match success_status(operation, prefs) {
        Ok(status) => status,
        Err(reply) => return reply,
    };
    let Some(id) = params.first().and_then(|p| Uuid::parse_str(p).ok()) else {
        return Reply::rejected(vec![Violation {
            pointer: "/task_id".into(),
            rule: "format".into(),
            message: "path parameter `task_id` is not a UUID".into(),
        }]);
    };
    let mut moved = false;
    if let Some(name) = &prefs.example {
        let Some(example) = operation
            .response(status)
            .and_then(|r| r.example(Some(name)))
        else {
            return unknown_example(operation, status, name);
        };
        apply_example(&shared.tasks, id, example);
        moved = true;
    }
    if let Some(code) = prefs.task_error {
        shared.tasks.fail(id, faults::failure(code));
        moved = true;
    }
    // A task a preference just moved is answered as it is now, not moved again.
    let task = if moved {
        shared.tasks.peek(id)
    } else {
        shared.tasks.poll(id)
    };
    match task {
        Some(task) => Reply::json_bytes(status, reply::task_body(&task, &shared.base_url)),
        None => Reply::detail(404, "Task not found"),
    }
}

/// Moves an unfinished task to the state of a documented example.
fn apply_example(tasks: &Tasks, id: Uuid, example: &Value) {
    let info = &example["task_info"];
    let status: mulerouter_kling::TaskStatus = info["status"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|never| match never {});
    match status.phase() {
        Phase::Succeeded => {
            tasks.complete(id);
        }
        Phase::Failed => {
            let error = &info["error"];
            let code = error["error_code"]
                .as_i64()
                .or_else(|| error["code"].as_i64())
                .unwrap_or(3005);
            let mut failure: Failure = faults::failure(code);
            if let Some(title) = error["title"].as_str() {
                failure.title = title.to_string();
            }
            if let Some(detail) = error["detail"].as_str() {
                failure.detail = detail.to_string();
            }
            tasks.fail(id, failure);
        }
        Phase::InProgress => {
            tasks.start(id);
        }
    }
}

/// Operations without implemented behaviour answer their documented example.
fn documented_example(operation: &Operation, prefs: &Preferences) -> Reply {
    let status = match success_status(operation, prefs) {
        Ok(status) => status,
        Err(reply) => return reply,
    };
    let Some(response) = operation.response(status) else {
        return Reply::empty(status);
    };
    match (response.example(prefs.example.as_deref()), &prefs.example) {
        (Some(example), _) => Reply::json(status, example.clone()),
        (None, Some(name)) => unknown_example(operation, status, name),
        (None, None) => Reply::empty(status),
    }
}

/// `GET /files/{task_id}/result_000.mp4`: the video of a completed task. No key needed, as
/// for a CDN link.
fn file(shared: &Shared, method: &str, rest: &str) -> Reply {
    if !matches!(method, "GET" | "HEAD") {
        return Reply::detail(405, "Method Not Allowed: files accept GET, HEAD")
            .header("allow", "GET, HEAD");
    }
    let completed = rest
        .split_once('/')
        .filter(|(_, name)| *name == VIDEO_NAME)
        .and_then(|(id, _)| Uuid::parse_str(id).ok())
        .and_then(|id| shared.tasks.peek(id))
        .is_some_and(|task| task.step == Step::Finished && task.failure.is_none());
    if completed {
        Reply::video()
    } else {
        Reply::detail(404, "File not found")
    }
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(limit).collect::<String>())
    }
}
