//! The admin API under `/__admin/` (described by `openapi/mock-admin.yaml`): read and drive
//! tasks, queue faults, read the journal, reset — for test suites in any language. Every
//! route calls the [`MockCore`] method a Rust test would call, over the same state.
//!
//! Who may call it: with an admin token configured, every caller must send it
//! (`Authorization: Bearer …`, compared in constant time); without one, loopback peers only.

mod model;
mod page;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::header::AUTHORIZATION;
use mulerouter_kling::TaskStatus;
use serde::Serialize;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::faults::Fault;
use crate::journal::MAX_JOURNAL_ANSWER_BYTES;
use crate::mock_core::{MockCore, UnknownTask};
use crate::reply::Reply;
use crate::text::shorten;
use crate::typed::create_generation;
use model::{
    AdminError, ApiTask, BodyKind, Deleted, FailRequest, FaultList, FaultRequest, Health, Journal,
    QueuedFault, TaskPage, Version,
};

/// Where the admin API lives; the real API never uses this prefix.
pub(crate) const PREFIX: &str = "/__admin";

/// Tasks listed per page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;
/// The most faults one request queues, and the most waiting at once.
const MAX_FAULT_COUNT: u32 = 1000;
const MAX_QUEUED_FAULTS: usize = 10_000;
/// The longest admin request body read (the bodies are a few fields).
const MAX_ADMIN_BODY: usize = 16 * 1024;

/// The address of the peer that sent a request, which a transport puts in the request's
/// extensions so that the admin API can tell loopback callers from others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Who may use the admin API.
#[derive(Debug)]
pub(crate) struct AdminAccess {
    /// When set, every caller must send it.
    pub(crate) token: Option<String>,
    /// Whether a request with no [`PeerAddr`] counts as from loopback.
    pub(crate) listener_is_loopback: bool,
    /// The host of the mock's public URL, lower case: without a token, a `Host` the admin
    /// API answers besides `localhost` and IP addresses.
    pub(crate) public_host: Option<String>,
}

/// Whether `path` is the admin API's.
pub(crate) fn is_admin(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The answer to an admin request.
pub(crate) fn answer(core: &MockCore, request: &http::Request<Bytes>) -> Reply {
    if crate::dispatch::is_for_a_proxy(request) {
        return error(400, crate::dispatch::NOT_A_PROXY);
    }
    let path = request.uri().path();
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = if request.method() == Method::HEAD {
        &Method::GET
    } else {
        request.method()
    };
    // The inspector page holds no data, and a browser opening it cannot send a token: it is
    // served to anyone, and asks for the token in a field before it reads anything.
    if segments.is_empty() && method == Method::GET {
        return page::page();
    }
    // Likewise the health check, for probes (a load balancer, a container's health check)
    // that should not hold the admin secret: it tells only that the mock answers, and how
    // many tasks and requests it has seen.
    if segments == ["health"] && method == Method::GET {
        return json(200, &health(core));
    }
    if let Err(refused) = check_access(&core.state.admin, request) {
        return refused;
    }
    let query = request.uri().query().unwrap_or_default();
    let routed = match (segments.as_slice(), method) {
        (["version"], &Method::GET) => Ok(json(
            200,
            &Version {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
        )),
        (["tasks"], &Method::GET) => list_tasks(core, query),
        (["tasks"], &Method::DELETE) => Ok(json(
            200,
            &Deleted {
                deleted: core.delete_tasks(),
            },
        )),
        (["tasks", id], &Method::GET) => task_id(id).and_then(|id| shown(core.task(id))),
        (["tasks", id, "advance"], &Method::POST) => {
            task_id(id).and_then(|id| shown(core.advance(id)))
        }
        (["tasks", id, "complete"], &Method::POST) => {
            task_id(id).and_then(|id| shown(core.complete(id)))
        }
        (["tasks", id, "fail"], &Method::POST) => task_id(id).and_then(|id| {
            let body: FailRequest = body(request, r#"{"code": 3005}"#)?;
            shown(core.fail(id, body.code))
        }),
        (["faults"], &Method::GET) => Ok(json(200, &fault_list(core))),
        (["faults"], &Method::POST) => queue_faults(core, request),
        (["faults"], &Method::DELETE) => scoped_key(core, query).map(|key| {
            match key {
                Some(key) => {
                    core.clear_faults_for_key(&key);
                }
                None => core.clear_faults(),
            }
            Reply::empty(204)
        }),
        (["journal"], &Method::GET) => journal(core, query),
        (["journal"], &Method::DELETE) => {
            core.clear_journal();
            Ok(Reply::empty(204))
        }
        (["reset"], &Method::POST) => scoped_key(core, query).map(|key| {
            match key {
                Some(key) => {
                    core.reset_key(&key);
                }
                None => core.reset(),
            }
            Reply::empty(204)
        }),
        _ => Err(not_routed(&segments, request.method(), path)),
    };
    routed.unwrap_or_else(|refused| refused)
}

/// Lets the request through, or answers 401/403.
fn check_access(access: &AdminAccess, request: &http::Request<Bytes>) -> Result<(), Reply> {
    if let Some(origin) = from_another_origin(request) {
        return Err(error(
            403,
            format!(
                "the admin API does not answer requests a web page from another origin ({}) makes: any site its user opens could reset the mock or queue faults; call it from a test or a tool, or from the inspector page it serves",
                shorten(origin, 100)
            ),
        ));
    }
    match &access.token {
        Some(token) => {
            let sent = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
                .unwrap_or_default();
            if !sent.is_empty() && bool::from(sent.ct_eq(token.as_bytes())) {
                Ok(())
            } else {
                Err(error(
                    401,
                    "the admin API needs the admin token: `Authorization: Bearer <token>` (the one given with --admin-token or MULEROUTER_MOCK_ADMIN_TOKEN)",
                )
                .header("www-authenticate", "Bearer realm=\"mock admin\""))
            }
        }
        None => {
            let loopback = request
                .extensions()
                .get::<PeerAddr>()
                .map_or(access.listener_is_loopback, |peer| {
                    peer.0.ip().to_canonical().is_loopback()
                });
            if !loopback {
                return Err(error(
                    403,
                    "the admin API answers loopback peers only; start the mock with --admin-token (or MULEROUTER_MOCK_ADMIN_TOKEN) to use it from elsewhere",
                ));
            }
            match rebindable_host(access, request) {
                None => Ok(()),
                Some(host) => Err(error(
                    403,
                    format!(
                        "without an admin token the admin API answers requests for localhost, an IP address or the mock's public URL only, not for {:?}: a web page that points its own name at this machine (DNS rebinding) would get in; use http://127.0.0.1:<port>, or start the mock with --admin-token",
                        shorten(host, 100)
                    ),
                )),
            }
        }
    }
}

/// The name a request asks for (its `Host`, or its h2 `:authority`), if a web page could
/// have sent it through DNS rebinding: a name that is not `localhost` (or under
/// `.localhost`), not an IP address and not the host of the mock's public URL.
///
/// A page on `http://evil.example:4010` whose name its owner then points at 127.0.0.1 sends
/// its requests to the mock from a loopback peer, as of its own origin: the `Origin` check
/// cannot tell them, the name in `Host` can. (An IP address cannot be pointed elsewhere.)
fn rebindable_host<'a>(access: &AdminAccess, request: &'a http::Request<Bytes>) -> Option<&'a str> {
    let host = requested_host(request)?;
    let local = host_name(host).is_some_and(|name| {
        name == "localhost"
            || name.ends_with(".localhost")
            || name.parse::<std::net::IpAddr>().is_ok()
            || access.public_host.as_ref() == Some(&name)
    });
    (!local).then_some(host)
}

/// The host a request asks for: its `Host`, or its h2 `:authority` (a `Host` that is not
/// visible ASCII is named as such, and matches no name).
fn requested_host(request: &http::Request<Bytes>) -> Option<&str> {
    request
        .headers()
        .get(http::header::HOST)
        .map(|host| host.to_str().unwrap_or("(not visible ASCII)"))
        .or_else(|| request.uri().authority().map(http::uri::Authority::as_str))
}

/// The host name of a URL or an authority (`http://Example.com:80/x`, `[::1]:4010`), lower
/// case and without brackets.
pub(crate) fn host_name(text: &str) -> Option<String> {
    let authority = match text.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => text,
    };
    let authority: http::uri::Authority = authority.parse().ok()?;
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    Some(host.to_ascii_lowercase())
}

/// The `Origin` of a request a browser sent for a page of another origin, if it is one.
///
/// A browser lets any page send a plain `POST` (a form's, or a `fetch` in `no-cors` mode) to
/// any address, loopback included, without asking the server first: without this check a
/// page on any site a developer opens could reset the mock on their machine, fail its tasks
/// or queue hang-ups, as its request comes from a loopback peer. Such a request carries the
/// page's `Origin`; the inspector page's own requests carry none, or the mock's.
fn from_another_origin(request: &http::Request<Bytes>) -> Option<&str> {
    let origin = request.headers().get(http::header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return Some("not visible ASCII");
    };
    let host = requested_host(request);
    let same = origin
        .split_once("://")
        .zip(host)
        .is_some_and(|((_, authority), host)| authority.eq_ignore_ascii_case(host));
    (!same).then_some(origin)
}

fn json(status: u16, body: &impl Serialize) -> Reply {
    Reply::serialized(status, body)
}

fn error(status: u16, detail: impl Into<String>) -> Reply {
    json(
        status,
        &AdminError {
            detail: detail.into(),
        },
    )
}

fn not_routed(segments: &[&str], method: &Method, path: &str) -> Reply {
    let allowed = match segments {
        [] | ["health"] | ["version"] => Some("GET, HEAD"),
        ["tasks"] => Some("GET, HEAD, DELETE"),
        ["tasks", _] => Some("GET, HEAD"),
        ["tasks", _, "advance" | "complete" | "fail"] | ["reset"] => Some("POST"),
        ["faults"] => Some("GET, HEAD, POST, DELETE"),
        ["journal"] => Some("GET, HEAD, DELETE"),
        _ => None,
    };
    match allowed {
        Some(allowed) => error(
            405,
            format!(
                "Method Not Allowed: this admin path accepts {allowed}, not {}",
                shorten(method.as_str(), 20)
            ),
        )
        .header("allow", allowed),
        None => error(
            404,
            format!("Not Found: no admin path {}", shorten(path, 200)),
        ),
    }
}

fn health(core: &MockCore) -> Health {
    let stats = core.stats();
    Health {
        status: "ok",
        tasks: stats.tasks,
        requests: stats.requests,
    }
}

fn task_id(text: &str) -> Result<Uuid, Reply> {
    Uuid::parse_str(text).map_err(|_| {
        error(
            400,
            format!("{:?} is not a task id (a UUID)", shorten(text, 60)),
        )
    })
}

fn shown(task: Result<mulerouter_kling::types::TaskResponse, UnknownTask>) -> Result<Reply, Reply> {
    match task {
        Ok(task) => Ok(json(200, &ApiTask(task))),
        Err(unknown) => Err(error(404, unknown.to_string())),
    }
}

/// The JSON body as `T`, or 400 saying what is wrong with it and what to send instead:
/// `example` is a body the route takes, e.g. `{"status": 503}`.
fn body<T: serde::de::DeserializeOwned>(
    request: &http::Request<Bytes>,
    example: &str,
) -> Result<T, Reply> {
    let bytes = request.body();
    if bytes.len() > MAX_ADMIN_BODY {
        return Err(error(
            413,
            format!("an admin request body is at most {MAX_ADMIN_BODY} bytes"),
        ));
    }
    // The path says which field is wrong (`count`, `faults[0].status`), not only where.
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut json)
        .map_err(|e| {
            let path = e.path().to_string();
            (path, e.into_inner())
        })
        .and_then(|value| json.end().map(|()| value).map_err(|e| (".".to_string(), e)));
    parsed.map_err(|(path, e)| error(400, body_problem(bytes, &path, &e, example)))
}

/// Why a body was refused, in words, and what to send: serde's wording names the problem
/// (`missing field`, `unknown field`, `invalid type`) but not the shape the route wants, and
/// for a non-object it speaks of "struct FaultRequest with 7 elements".
fn body_problem(bytes: &[u8], path: &str, error: &serde_json::Error, example: &str) -> String {
    let send = format!("send a JSON object like {example}");
    if error.is_syntax() || error.is_eof() {
        let at = if error.line() > 0 {
            format!(" (line {} column {})", error.line(), error.column())
        } else {
            String::new()
        };
        return format!("the body is not JSON{at}: {send}");
    }
    // Valid JSON of the wrong shape: an array, a string, a number…
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && !value.is_object()
    {
        let kind = match value {
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return format!("the body must be a JSON object, not {kind}: {send}");
    }
    let reason = error.to_string();
    let reason = reason
        .strip_suffix(&format!(
            " at line {} column {}",
            error.line(),
            error.column()
        ))
        .unwrap_or(&reason);
    let reason = reason
        .replace("expected u16", "expected a whole number")
        .replace("expected u32", "expected a whole number")
        .replace("expected u64", "expected a whole number")
        .replace("expected i64", "expected a whole number");
    let reason = shorten(&reason, 200);
    if path == "." {
        format!("the body is not what this admin route takes: {reason}; {send}")
    } else {
        format!("the body is not what this admin route takes: `{path}`: {reason}; {send}")
    }
}

/// `?name=value&…` as pairs; a name given twice keeps the last.
fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .last()
}

fn number(
    query: &str,
    name: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Option<usize>, Reply> {
    let Some(text) = query_value(query, name) else {
        return Ok(None);
    };
    match text.parse::<usize>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => {
            // No upper bound is worth quoting as 18446744073709551615.
            let bounds = if *range.end() == usize::MAX {
                format!("of at least {}", range.start())
            } else {
                format!("from {} to {}", range.start(), range.end())
            };
            Err(error(
                400,
                format!(
                    "`{name}` must be a whole number {bounds}, got {:?}",
                    shorten(&text, 30)
                ),
            ))
        }
    }
}

/// The `key` a request narrows itself to (`?key=sk-mr-…`), if it gives one, or 400 saying
/// why it cannot be.
fn scoped_key(core: &MockCore, query: &str) -> Result<Option<String>, Reply> {
    let Some(key) = query_value(query, "key") else {
        return Ok(None);
    };
    match core.cannot_scope_to(&key) {
        None => Ok(Some(key)),
        Some(why) => Err(error(400, format!("`key`: {why}"))),
    }
}

fn list_tasks(core: &MockCore, query: &str) -> Result<Reply, Reply> {
    let status = match query_value(query, "status") {
        None => None,
        Some(text) => match text.as_str() {
            "pending" | "processing" | "completed" | "failed" => Some(
                text.parse::<TaskStatus>()
                    .unwrap_or_else(|never| match never {}),
            ),
            _ => {
                return Err(error(
                    400,
                    format!(
                        "`status` must be pending, processing, completed or failed, got {:?}",
                        shorten(&text, 30)
                    ),
                ));
            }
        },
    };
    let offset = number(query, "offset", 0..=usize::MAX)?.unwrap_or(0);
    let limit = number(query, "limit", 1..=MAX_PAGE)?.unwrap_or(DEFAULT_PAGE);
    let (total, tasks) = core.tasks_page(status, offset, limit);
    let tasks: Vec<ApiTask> = tasks.into_iter().map(ApiTask).collect();
    let end = offset.saturating_add(tasks.len());
    Ok(json(
        200,
        &TaskPage {
            tasks,
            total,
            offset,
            limit,
            next_offset: (end < total).then_some(end),
        },
    ))
}

fn fault_list(core: &MockCore) -> FaultList {
    let faults = core
        .state
        .faults
        .queued()
        .into_iter()
        .map(|(scope, fault)| {
            let mut shown = QueuedFault {
                status: None,
                body: None,
                retry_after: None,
                latency_ms: None,
                task_error: None,
                hang_up: false,
                operation: scope.operation,
                key: scope.key.map(|key| key.text),
            };
            match fault {
                Fault::Status {
                    status,
                    retry_after,
                } => {
                    shown.status = Some(status);
                    shown.body = Some(BodyKind::Json);
                    shown.retry_after = retry_after;
                }
                Fault::ProxyError {
                    status,
                    retry_after,
                } => {
                    shown.status = Some(status);
                    shown.body = Some(BodyKind::Html);
                    shown.retry_after = retry_after;
                }
                Fault::Latency(latency) => {
                    shown.latency_ms = Some(millis(latency));
                }
                Fault::TaskError(code) => shown.task_error = Some(code),
                Fault::HangUp => shown.hang_up = true,
            }
            shown
        })
        .collect();
    FaultList {
        faults,
        latency_ms: millis(core.state.faults.latency()),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `POST /__admin/faults`: checks the whole request, then queues `count` of each effect.
fn queue_faults(core: &MockCore, request: &http::Request<Bytes>) -> Result<Reply, Reply> {
    let mut asked: FaultRequest = body(request, r#"{"status": 503}"#)?;
    let bad = |detail: String| Err(error(400, detail));
    // No delay is not a fault: a client that sends every field (`"latency_ms": 0` beside a
    // `status`) would otherwise queue an entry that does nothing but show up in the list.
    asked.latency_ms = asked.latency_ms.filter(|latency| *latency > 0);
    if asked.status.is_none() && (asked.body == BodyKind::Html || asked.retry_after.is_some()) {
        return bad("`body` and `retry_after` shape a `status` answer; give a `status`".into());
    }
    if asked.status.is_none()
        && asked.latency_ms.is_none()
        && asked.task_error.is_none()
        && !asked.hang_up
    {
        return bad(
            "a fault needs at least one of `status`, `latency_ms` (above 0), `task_error`, `hang_up`, e.g. {\"status\": 503}"
                .into(),
        );
    }
    if asked.hang_up && asked.status.is_some() {
        return bad("`hang_up` sends no answer and `status` one: queue them as two faults".into());
    }
    if asked.hang_up
        && let Some(why) = core.cannot_hang_up()
    {
        return bad(format!("`hang_up`: {why}"));
    }
    if let Some(why) = asked
        .key
        .as_deref()
        .and_then(|key| core.cannot_scope_to(key))
    {
        return bad(format!("`key`: {why}"));
    }
    if !(1..=MAX_FAULT_COUNT).contains(&asked.count) {
        return bad(format!(
            "`count` must be from 1 to {MAX_FAULT_COUNT}, got {}",
            asked.count
        ));
    }
    if let Some(status) = asked.status
        && !(400..=599).contains(&status)
    {
        return bad(format!("`status` must be from 400 to 599, got {status}"));
    }
    let max_latency = millis(crate::prefer::MAX_LATENCY);
    if let Some(latency) = asked.latency_ms
        && latency > max_latency
    {
        return bad(format!(
            "`latency_ms` must be at most {max_latency}, got {latency}"
        ));
    }
    if let Some(operation) = &asked.operation {
        let Some(found) = core.state.api.operation(operation) else {
            let known: Vec<&str> = core
                .state
                .api
                .operations()
                .map(|op| op.id.as_str())
                .collect();
            return bad(format!(
                "the document has no operation {:?} (it has {})",
                shorten(operation, 60),
                known.join(", ")
            ));
        };
        if asked.task_error.is_some()
            && !(found.method == create_generation::METHOD
                && found.template == create_generation::PATH)
        {
            return bad(format!(
                "`task_error` concerns the task a create makes; it cannot wait for {}",
                found.id
            ));
        }
    }
    if let Some(status) = asked.status
        && asked.body == BodyKind::Html
        && let Some(why) = core.html_not_documented(asked.operation.as_deref(), status)
    {
        return bad(format!("`body: html`: {why}"));
    }
    let effects = usize::from(asked.status.is_some())
        + usize::from(asked.latency_ms.is_some())
        + usize::from(asked.task_error.is_some())
        + usize::from(asked.hang_up);
    let adding = effects * asked.count as usize;
    let queued = core.state.faults.len();
    if queued + adding > MAX_QUEUED_FAULTS {
        return Err(error(
            409,
            format!(
                "at most {MAX_QUEUED_FAULTS} faults wait at once ({queued} waiting, {adding} asked); clear them first"
            ),
        ));
    }
    let mut faults = Vec::with_capacity(effects);
    if let Some(status) = asked.status {
        faults.push(match asked.body {
            BodyKind::Json => Fault::Status {
                status,
                retry_after: asked.retry_after,
            },
            BodyKind::Html => Fault::ProxyError {
                status,
                retry_after: asked.retry_after,
            },
        });
    }
    if let Some(latency) = asked.latency_ms {
        faults.push(Fault::Latency(Duration::from_millis(latency)));
    }
    if let Some(code) = asked.task_error {
        faults.push(Fault::TaskError(code));
    }
    if asked.hang_up {
        faults.push(Fault::HangUp);
    }
    for _ in 0..asked.count {
        for fault in &faults {
            match (&asked.key, &asked.operation) {
                (Some(key), operation) => {
                    core.inject_for_key(key, operation.as_deref(), fault.clone());
                }
                (None, Some(operation)) => core.inject_for(operation, fault.clone()),
                (None, None) => core.inject(fault.clone()),
            }
        }
    }
    Ok(json(201, &fault_list(core)))
}

fn journal(core: &MockCore, query: &str) -> Result<Reply, Reply> {
    let capacity = core.state.journal.capacity();
    // "At most this many": a limit above what the journal keeps gives all it keeps.
    let limit = number(query, "limit", 1..=usize::MAX)?.unwrap_or(capacity);
    let offset = number(query, "offset", 0..=usize::MAX)?.unwrap_or(0);
    let page = core
        .state
        .journal
        .read(offset, limit, MAX_JOURNAL_ANSWER_BYTES);
    Ok(json(
        200,
        &Journal {
            capacity,
            total: page.total,
            entries: page.entries,
            next_offset: page.next_offset,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_from(peer: &str) -> http::Request<Bytes> {
        let mut request = http::Request::new(Bytes::new());
        request
            .extensions_mut()
            .insert(PeerAddr(peer.parse().unwrap()));
        request
    }

    fn open() -> AdminAccess {
        AdminAccess {
            token: None,
            listener_is_loopback: false,
            public_host: Some("mock.internal".into()),
        }
    }

    #[test]
    fn without_a_token_a_request_for_a_name_a_page_could_rebind_is_refused_403() {
        // Arrange
        let access = open();
        let for_host = |host: &str| {
            let mut request = request_from("127.0.0.1:5000");
            request
                .headers_mut()
                .insert(http::header::HOST, host.parse().unwrap());
            request
        };

        // Act
        let rebound = check_access(&access, &for_host("evil.example:4010"));
        let local: Vec<_> = [
            "localhost:4010",
            "app.localhost",
            "127.0.0.1:4010",
            "[::1]:4010",
            "0.0.0.0:4010",
            "Mock.Internal:4010",
        ]
        .map(|host| check_access(&access, &for_host(host)).map_err(|reply| reply.status))
        .into();
        let no_host = check_access(&access, &request_from("127.0.0.1:5000"));

        // Assert
        assert_eq!(rebound.unwrap_err().status, 403);
        assert!(local.iter().all(Result::is_ok), "{local:?}");
        assert!(no_host.is_ok());
    }

    #[test]
    fn a_host_name_is_read_from_a_url_or_an_authority() {
        assert_eq!(
            host_name("http://Mock.Internal:4010/x").as_deref(),
            Some("mock.internal")
        );
        assert_eq!(host_name("[::1]:4010").as_deref(), Some("::1"));
        assert_eq!(host_name("localhost").as_deref(), Some("localhost"));
        assert_eq!(host_name("not a host"), None);
    }

    #[test]
    fn without_a_token_a_loopback_peer_gets_in_and_another_is_refused_403() {
        // Arrange
        let access = open();

        // Act
        let v4 = check_access(&access, &request_from("127.0.0.1:5000"));
        let v6 = check_access(&access, &request_from("[::1]:5000"));
        let mapped = check_access(&access, &request_from("[::ffff:127.0.0.1]:5000"));
        let remote = check_access(&access, &request_from("192.0.2.7:5000"));

        // Assert
        assert!(v4.is_ok() && v6.is_ok() && mapped.is_ok());
        assert_eq!(remote.unwrap_err().status, 403);
    }

    #[test]
    fn with_a_token_a_loopback_peer_must_send_it_too() {
        // Arrange
        let access = AdminAccess {
            token: Some("t0ken".into()),
            ..open()
        };
        let mut with_token = request_from("192.0.2.7:5000");
        with_token
            .headers_mut()
            .insert(AUTHORIZATION, "Bearer t0ken".parse().unwrap());

        // Act
        let loopback = check_access(&access, &request_from("127.0.0.1:5000"));
        let remote = check_access(&access, &with_token);

        // Assert
        assert_eq!(loopback.unwrap_err().status, 401);
        assert!(remote.is_ok());
    }

    #[test]
    fn a_request_from_a_page_of_another_origin_is_refused_403_and_one_of_the_same_origin_passes() {
        // Arrange
        let access = open();
        let with = |origin: &str| {
            let mut request = request_from("127.0.0.1:5000");
            let headers = request.headers_mut();
            headers.insert(http::header::HOST, "127.0.0.1:4010".parse().unwrap());
            headers.insert(http::header::ORIGIN, origin.parse().unwrap());
            request
        };

        // Act
        let other_site = check_access(&access, &with("https://evil.example"));
        let other_port = check_access(&access, &with("http://127.0.0.1:3000"));
        let opaque = check_access(&access, &with("null"));
        let same = check_access(&access, &with("http://127.0.0.1:4010"));

        // Assert
        assert_eq!(other_site.unwrap_err().status, 403);
        assert_eq!(other_port.unwrap_err().status, 403);
        assert_eq!(opaque.unwrap_err().status, 403);
        assert!(same.is_ok());
    }

    #[test]
    fn a_request_for_a_proxy_is_refused_on_admin_paths_as_on_the_api() {
        // Arrange
        let core = crate::MockMuleRouter::builder().build_core("http://127.0.0.1:1");
        let absolute = http::Request::builder()
            .uri("http://127.0.0.1/__admin/health")
            .body(Bytes::new())
            .unwrap();

        // Act
        let reply = answer(&core, &absolute);

        // Assert
        assert_eq!(reply.status, 400);
    }

    #[test]
    fn only_the_prefix_followed_by_a_slash_or_nothing_is_the_admin_api() {
        assert!(is_admin("/__admin"));
        assert!(is_admin("/__admin/"));
        assert!(is_admin("/__admin/tasks"));
        assert!(!is_admin("/__administrator"));
        assert!(!is_admin("/vendors/__admin"));
    }
}
