//! How the mock answers one request, whatever carried it: routes it with the compiled
//! document and runs the operation over the shared [`State`].
//!
//! Order of checks, like a gateway in front of the service: request target (400 for an
//! absolute-form or authority-form target), route (404), method (405; `HEAD` is answered
//! wherever `GET` is), `Authorization` (401), `Prefer` syntax (400), queued faults and
//! `Prefer: code=4xx/5xx`, then the operation: path parameters, empty body (400),
//! `Content-Type` (415), JSON syntax (400), schema (400), and finally the task. The body
//! size (413) is the transport's to enforce while it reads; a body over the limit that still
//! arrives here is refused the same way.

use bytes::Bytes;
use http::Method;
use http::header::CONTENT_TYPE;
use mulerouter_kling::{Phase, Violation};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Caller;
use crate::document::{MAX_BODY_BYTES, Operation, Route};
use crate::faults::{self, Fault};
use crate::mock_core::State;
use crate::prefer::{Honoured, Preferences};
use crate::reply::{self, Reply, VIDEO_NAME};
use crate::tasks::{Failure, Step, Tasks};
use crate::text::shorten;
use crate::typed::{create_generation, get_generation};

/// The operation whose behaviour the mock implements; any other documented operation
/// answers with its documented example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Create,
    Read,
    Example,
}

impl Behaviour {
    fn of(operation: &Operation) -> Self {
        let is =
            |method: &str, path: &str| operation.method == method && operation.template == path;
        if is(create_generation::METHOD, create_generation::PATH) {
            Self::Create
        } else if is(get_generation::METHOD, get_generation::PATH) {
            Self::Read
        } else {
            Self::Example
        }
    }
}

/// Whether `request` is one a proxy gets: `CONNECT`, or an HTTP/1 absolute-form target
/// (`GET http://host/path`; HTTP/2 always carries scheme and authority).
pub(crate) fn is_for_a_proxy<B>(request: &http::Request<B>) -> bool {
    let uri = request.uri();
    request.method() == Method::CONNECT
        || (request.version() < http::Version::HTTP_2
            && (uri.scheme().is_some() || uri.authority().is_some()))
}

/// What a request meant for a proxy gets.
pub(crate) const NOT_A_PROXY: &str = "Bad Request: this is a server, not a proxy; send the path alone as the request target (`GET /vendors/…`)";

/// The answer to `request`.
pub(crate) fn answer(state: &State, request: &http::Request<Bytes>) -> Reply {
    let method = request.method();
    let uri = request.uri();
    if is_for_a_proxy(request) {
        return Reply::detail(400, NOT_A_PROXY);
    }
    let path = uri.path();
    // The mock's own routes come before the document's: the videos it serves (the admin
    // routes, `/__admin/…`, are taken before this, in `MockCore::answer`).
    if let Some(rest) = path.strip_prefix("/files/") {
        return file(state, method, rest);
    }
    // HEAD is answered wherever GET is, with GET's head (RFC 9110 §9.3.2).
    let routed = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    match state.api.route(routed.as_str(), path) {
        Route::NotFound => Reply::detail(
            404,
            format!("Not Found: no API path {}", shorten(path, 200)),
        ),
        Route::MethodNotAllowed(allowed) => {
            let allowed = allow_list(allowed.iter().map(String::as_str));
            Reply::detail(
                405,
                format!(
                    "Method Not Allowed: this path accepts {allowed}, not {}",
                    shorten(method.as_str(), 20)
                ),
            )
            .header("allow", allowed)
        }
        Route::Operation(operation, params) => {
            // Faults scoped to a key wait for requests that send it.
            let caller = Caller::of(request.headers());
            let latency = state.faults.next_latency(&operation.id, caller);
            operation_reply(state, operation, &params, request, caller).delayed(latency)
        }
    }
}

fn operation_reply(
    state: &State,
    operation: &Operation,
    params: &[String],
    request: &http::Request<Bytes>,
    caller: Option<Caller>,
) -> Reply {
    if operation.bearer
        && let Err(detail) = state.keys.check(request.headers())
    {
        // RFC 9110 asks a 401 to say which scheme it wants.
        return Reply::detail(401, detail).header("www-authenticate", "Bearer");
    }
    let prefs = match Preferences::parse(request.headers()) {
        Ok(prefs) => prefs,
        Err(message) => return Reply::invalid("prefer", message),
    };
    let mut honoured = Honoured::default();
    let fault = state.faults.next_answer(&operation.id, caller);
    // Acted on like any request; only its answer is lost.
    let hang_up = fault == Some(Fault::HangUp);
    let reply = if let Some(fault) = fault.filter(|_| !hang_up) {
        fault_reply(operation, &fault)
    } else if let Some(code) = prefs.code.filter(|code| *code >= 400) {
        forced(operation, code, &prefs, &mut honoured)
    } else {
        match Behaviour::of(operation) {
            Behaviour::Create => create(state, operation, request, caller, &prefs, &mut honoured),
            Behaviour::Read => get(state, operation, params, &prefs, &mut honoured),
            Behaviour::Example => example(operation, params, request, &prefs, &mut honoured),
        }
    };
    let mut reply = reply;
    if reply.status == 405 && !reply.has_header("allow") {
        // An asked-for 405 says what the path takes, as the document's 405 does.
        reply = reply.header("allow", allow(state, operation));
    }
    if let Some(latency) = prefs.latency {
        reply = reply.delayed(latency);
        honoured.mark("latency");
    }
    if let Some(applied) = prefs.applied(honoured) {
        reply = reply.header("preference-applied", shorten(&applied, 200));
    }
    reply.hang_up = hang_up;
    reply
}

/// The `Allow` value of the path `operation` is on: its methods, and HEAD wherever GET.
fn allow(state: &State, operation: &Operation) -> String {
    let on_path = state.api.operations();
    let methods = on_path.filter(|op| op.template == operation.template);
    allow_list(methods.map(|op| op.method.as_str()))
}

fn allow_list<'a>(methods: impl Iterator<Item = &'a str>) -> String {
    let mut methods: Vec<&str> = methods.collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.join(", ")
}

/// A queued fault, answered like `Prefer: code=…`.
fn fault_reply(operation: &Operation, fault: &Fault) -> Reply {
    match *fault {
        Fault::Status {
            status,
            retry_after,
        } => error_example(operation, status, None, retry_after)
            .unwrap_or_else(|| Reply::detail(status, reply::reason(status))),
        Fault::ProxyError {
            status,
            retry_after,
        } => with_retry_after(Reply::proxy_page(status), status, retry_after),
        // Latency and task errors live in their own queues; a hang-up is not an answer.
        Fault::Latency(_) | Fault::TaskError(_) | Fault::HangUp => {
            Reply::detail(500, "unexpected fault")
        }
    }
}

/// `Prefer: code=4xx/5xx`: the document's example for that response, nothing else happens.
fn forced(operation: &Operation, code: u16, prefs: &Preferences, honoured: &mut Honoured) -> Reply {
    if operation.response(code).is_none() {
        return Reply::invalid(
            "prefer",
            format!(
                "Prefer: code={code} is not a documented response of {}",
                operation.id
            ),
        );
    }
    if prefs.html_body && !operation.allows_html(code) {
        return Reply::invalid(
            "prefer",
            format!(
                "Prefer: body=html goes with the answers the document lets be an HTML page ({} of {}), not {code}",
                operation.html_statuses(),
                operation.id
            ),
        );
    }
    honoured.mark("code");
    if prefs.html_body {
        honoured.mark("body");
        if prefs.retry_after.is_some() {
            honoured.mark("retry-after");
        }
        return with_retry_after(Reply::proxy_page(code), code, prefs.retry_after);
    }
    match error_example(operation, code, prefs.example.as_deref(), prefs.retry_after) {
        Some(reply) => {
            if prefs.example.is_some() {
                honoured.mark("example");
            }
            if prefs.retry_after.is_some() && reply.has_header("retry-after") {
                honoured.mark("retry-after");
            }
            reply
        }
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
    Some(with_retry_after(
        Reply::json(status, body),
        status,
        retry_after,
    ))
}

/// `reply` with `Retry-After`: the seconds asked for, else 1 on 429 and 503 (the statuses a
/// client waits out), JSON or HTML alike: the document declares the header on both.
fn with_retry_after(reply: Reply, status: u16, retry_after: Option<u64>) -> Reply {
    match retry_after.or(matches!(status, 429 | 503).then_some(1)) {
        Some(seconds) => reply.header("retry-after", seconds.to_string()),
        None => reply,
    }
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

fn create(
    state: &State,
    operation: &Operation,
    request: &http::Request<Bytes>,
    caller: Option<Caller>,
    prefs: &Preferences,
    honoured: &mut Honoured,
) -> Reply {
    let status = match success_status(operation, prefs) {
        Ok(status) => status,
        Err(reply) => return reply,
    };
    let (body, violations) = match read_body(operation, request) {
        Ok(read) => read,
        Err(reply) => return reply,
    };
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
    if prefs.task_error.is_some() {
        honoured.mark("task-error");
    }
    let failure = prefs
        .task_error
        .or_else(|| state.faults.next_task_error(caller))
        .map(faults::failure);
    // The typed form is derived when a test asks for it, not on every create.
    let task = state.tasks.create(body, None, failure, caller);
    if prefs.code.is_some() {
        honoured.mark("code");
    }
    Reply::json_bytes(status, reply::task_body(&task, &state.base_url))
}

/// The JSON body of a request and the rules it breaks, or the answer explaining why there
/// is none.
fn read_body(
    operation: &Operation,
    request: &http::Request<Bytes>,
) -> Result<(Value, Vec<Violation>), Reply> {
    let Some(spec) = &operation.body else {
        return Ok((Value::Null, Vec::new()));
    };
    let bytes = request.body();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large(Some(bytes.len() as u64)));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if spec.required {
            return Err(Reply::invalid(
                "required",
                "a JSON request body is required",
            ));
        }
        return Ok((Value::Null, Vec::new()));
    }
    let media_type = request.headers().get(CONTENT_TYPE).map(|value| {
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
    // A compressed body would otherwise be refused as "not valid JSON", which sends the
    // client looking in the wrong place; RFC 9110 §15.5.16 answers an unsupported coding 415.
    if let Some(coding) = request.headers().get(http::header::CONTENT_ENCODING)
        && !coding
            .to_str()
            .is_ok_and(|text| text.trim().eq_ignore_ascii_case("identity"))
    {
        let coding = String::from_utf8_lossy(coding.as_bytes());
        return Err(Reply::detail(
            415,
            format!(
                "Content-Encoding {:?} is not accepted: send the JSON body uncompressed",
                shorten(&coding, 40)
            ),
        )
        .header("accept-encoding", "identity"));
    }
    // hyper takes a body apart from its chunks but applies no other transfer coding: one sent
    // `Transfer-Encoding: gzip, chunked` would be read compressed, as for a content coding.
    let mut transfer_codings = request
        .headers()
        .get_all(http::header::TRANSFER_ENCODING)
        .iter();
    if let Some(coding) = transfer_codings.find(|coding| {
        !coding.to_str().is_ok_and(|text| {
            text.split(',')
                .all(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
        })
    }) {
        let coding = String::from_utf8_lossy(coding.as_bytes());
        return Err(Reply::detail(
            415,
            format!(
                "Transfer-Encoding {:?} is not accepted: send the JSON body uncompressed (chunked alone is fine)",
                shorten(&coding, 40)
            ),
        ));
    }
    // One check of the whole body's UTF-8 costs far less than serde_json checking each
    // string as it goes. A body that fails it is not JSON: serde_json reads it as bytes to
    // say where, in its words (were it to accept it, the text with the bad bytes replaced
    // is checked).
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => operation.parse_body(text),
        Err(_) => serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .and_then(|_| operation.parse_body(&String::from_utf8_lossy(bytes))),
    };
    parsed.map_err(|error| {
        let message = format!(
            "the body is not valid JSON: {}",
            shorten(&error.to_string(), 120)
        );
        Reply::invalid("json", message)
    })
}

fn get(
    state: &State,
    operation: &Operation,
    params: &[String],
    prefs: &Preferences,
    honoured: &mut Honoured,
) -> Reply {
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
    let example = match &prefs.example {
        None => None,
        Some(name) => match operation
            .response(status)
            .and_then(|r| r.example(Some(name)))
        {
            Some(example) => Some(example),
            None => return unknown_example(operation, status, name),
        },
    };
    let mut moved = false;
    if example.is_some() || prefs.task_error.is_some() {
        let Some(before) = state.tasks.peek(id) else {
            return task_not_found(state);
        };
        // A preference moves only a task that has not finished; a finished one is answered
        // as it is, and the preference is not listed as applied.
        if before.step < Step::Finished {
            if let Some(example) = example {
                apply_example(&state.tasks, id, example);
                honoured.mark("example");
            } else if let Some(code) = prefs.task_error {
                state.tasks.fail(id, faults::failure(code));
                honoured.mark("task-error");
            }
            moved = true;
        }
    }
    // A task a preference just moved is answered as it is now, not moved again.
    let body = state
        .tasks
        .answer(id, !moved, |task| reply::task_body(task, &state.base_url));
    match body {
        Some(body) => {
            if prefs.code.is_some() {
                honoured.mark("code");
            }
            Reply::json_shared(status, body)
        }
        None => task_not_found(state),
    }
}

/// 404 for a task id the mock does not hold, in the document's shape (`detail`), saying
/// why an id a client got from this mock can be unknown: finished tasks expire after the
/// task TTL, the oldest go past the cap (how many so far), and a reset deletes them all
/// (when it last did) — on a mock several suites share, another suite's doing.
fn task_not_found(state: &State) -> Reply {
    let gone = state.tasks.gone();
    let evicted = match gone.evicted {
        0 => String::new(),
        evicted => format!("; {evicted} evicted so far"),
    };
    let cleared = gone.cleared_at.map_or(String::new(), |at| {
        let at: chrono::DateTime<chrono::Utc> = at.into();
        format!(
            ", or it was deleted with every other task by a reset (`POST /__admin/reset` or `DELETE /__admin/tasks`, whoever sent it; the last at {})",
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    });
    Reply::detail(
        404,
        format!(
            "Task not found: this mock never created it, or it finished more than {} ago (finished tasks expire after the task TTL, --task-ttl), or it was evicted as one of the oldest past --max-tasks ({}{evicted}){cleared}",
            crate::prefer::format_duration_flag(state.tasks.ttl()),
            state.tasks.max_tasks()
        ),
    )
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
/// An operation the mock has no behaviour for (one the document gained): its request is
/// validated like any other (path parameters, body), then it is answered with its documented
/// example; no task is looked up or changed.
fn example(
    operation: &Operation,
    params: &[String],
    request: &http::Request<Bytes>,
    prefs: &Preferences,
    honoured: &mut Honoured,
) -> Reply {
    let mut violations = operation.check_params(params);
    match read_body(operation, request) {
        Ok((_, broken)) => violations.extend(broken),
        Err(reply) => return reply,
    }
    if !violations.is_empty() {
        return Reply::rejected(violations);
    }
    documented_example(operation, prefs, honoured)
}

/// The operations of the document the mock has no behaviour for: each is answered with its
/// documented example once its request is valid.
pub(crate) fn answered_by_example(api: &crate::document::Api) -> Vec<&str> {
    api.operations()
        .filter(|operation| Behaviour::of(operation) == Behaviour::Example)
        .map(|operation| operation.id.as_str())
        .collect()
}

fn documented_example(
    operation: &Operation,
    prefs: &Preferences,
    honoured: &mut Honoured,
) -> Reply {
    let status = match success_status(operation, prefs) {
        Ok(status) => status,
        Err(reply) => return reply,
    };
    if prefs.code.is_some() {
        honoured.mark("code");
    }
    let Some(response) = operation.response(status) else {
        return Reply::empty(status);
    };
    match (response.example(prefs.example.as_deref()), &prefs.example) {
        (Some(example), named) => {
            if named.is_some() {
                honoured.mark("example");
            }
            Reply::json(status, example.clone())
        }
        (None, Some(name)) => unknown_example(operation, status, name),
        (None, None) => Reply::empty(status),
    }
}

/// `GET /files/{task_id}/result_000.mp4`: the video of a completed task. No key needed, as
/// for a CDN link.
fn file(state: &State, method: &Method, rest: &str) -> Reply {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Reply::detail(405, "Method Not Allowed: files accept GET, HEAD")
            .header("allow", "GET, HEAD");
    }
    let completed = rest
        .split_once('/')
        .filter(|(_, name)| *name == VIDEO_NAME)
        .and_then(|(id, _)| Uuid::parse_str(id).ok())
        .and_then(|id| state.tasks.peek(id))
        .is_some_and(|task| task.step == Step::Finished && task.failure.is_none());
    if completed {
        Reply::video()
    } else {
        Reply::detail(404, "File not found")
    }
}

/// 413 for a body over [`MAX_BODY_BYTES`]; `length` when it is known.
pub(crate) fn too_large(length: Option<u64>) -> Reply {
    let detail = match length {
        Some(length) => {
            format!("Request body is larger than {MAX_BODY_BYTES} bytes ({length} bytes)")
        }
        None => format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
    };
    Reply::detail(413, detail)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::{Value, json};

    use crate::MockMuleRouter;
    use crate::document::{API_DOCUMENT, Api};
    use crate::mock_core::MockCore;

    const TASK_PATH: &str =
        "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/{task_id}";

    /// A core serving the embedded document plus an operation it has no behaviour for, as
    /// when the document gains one: `DELETE` of a task, with an optional body whose `reason`
    /// is at most 10 characters.
    fn core_with_a_cancel() -> MockCore {
        let mut document = API_DOCUMENT.clone();
        let read = document["paths"][TASK_PATH]["get"].clone();
        document["paths"][TASK_PATH]["delete"] = json!({
            "operationId": "cancel_generation",
            "parameters": read["parameters"],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"reason": {"type": "string", "maxLength": 10}},
            }}}},
            "responses": {"200": {"description": "Cancelled.", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/TaskResponse"},
                "example": {"task_info": {
                    "id": "8e1e315e-b50d-4334-a231-be7d19a372f4", "status": "failed",
                    "created_at": "2026-03-03T00:00:00Z", "updated_at": "2026-03-03T00:00:09Z",
                }},
            }}}},
        });
        let api = Box::leak(Box::new(Api::compile_document(&document).unwrap()));
        MockMuleRouter::builder().build_core_serving(api, "http://127.0.0.1:9".into(), true)
    }

    fn cancel(core: &MockCore, task_id: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = http::Request::delete(TASK_PATH.replace("{task_id}", task_id))
            .header("authorization", "Bearer sk-mr-test");
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Bytes::new, |body| Bytes::from(body.to_string()));
        let answer = core.answer(request.body(body).unwrap());
        let status = answer.response.status().as_u16();
        (
            status,
            serde_json::from_slice(answer.response.body()).unwrap(),
        )
    }

    fn broken(answer: &Value) -> Vec<(&str, &str)> {
        answer["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["pointer"].as_str().unwrap(), v["rule"].as_str().unwrap()))
            .collect()
    }

    #[test]
    fn an_operation_without_behaviour_is_named_and_answers_its_example_to_a_valid_request() {
        // Arrange
        let core = core_with_a_cancel();

        // Act
        let (status, answer) = cancel(
            &core,
            "0b6f3c8e-2f0c-4e8e-9a51-3c9f1e2d4a7b",
            Some(json!({"reason": "no"})),
        );

        // Assert
        assert_eq!(core.operations_answered_by_example(), ["cancel_generation"]);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["task_info"]["status"], "failed");
    }

    #[test]
    fn an_operation_without_behaviour_still_refuses_a_request_that_breaks_the_document() {
        // Arrange
        let core = core_with_a_cancel();

        // Act
        let (status, answer) = cancel(
            &core,
            "not-a-uuid",
            Some(json!({"reason": "far too long a reason", "force": true})),
        );

        // Assert
        assert_eq!(status, 400, "{answer}");
        assert_eq!(
            broken(&answer),
            // The path's, then the body's.
            [
                ("/task_id", "format"),
                ("/force", "additionalProperties"),
                ("/reason", "maxLength"),
            ]
        );
    }

    #[test]
    fn the_embedded_document_has_behaviour_for_every_operation() {
        let core = MockMuleRouter::builder().build_core("http://127.0.0.1:9");
        assert!(core.operations_answered_by_example().is_empty());
    }
}
