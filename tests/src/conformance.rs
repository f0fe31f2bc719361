//! Conformance checks of any server that implements the API, against the document.
//!
//! Every answer is checked with the same validator the mock uses (status documented for the
//! operation, body matching its schema) and must parse with the generated client's types.
//! Checks that create a task are billed on the real service, so they run only when allowed.
//!
//! The server is not trusted: each request has a time limit ([`Options::timeout`], the answer
//! included) and an answer is read up to [`MAX_ANSWER_BYTES`], so a server that stalls or
//! sends without end fails its checks instead of hanging the run or filling memory. Redirects
//! are not followed: the document lists none, and a followed redirect to another host drops
//! the `Authorization` header, which would read as a refused key. Whatever the server sends
//! back is printed with the key replaced, so a server echoing the header cannot leak it into
//! a CI log.

use std::time::Duration;

use mulerouter_kling::types::{ApiError, TaskResponse};
use mulerouter_kling_mock::document::validate_response;
use serde_json::{Value, json};
use uuid::Uuid;

/// The create path, from the document's generated constants; a task is read at
/// `{CREATE}/{id}`.
pub const CREATE: &str = mulerouter_kling_mock::typed::create_generation::PATH;

/// The most of one answer read: the API's answers are a few KiB.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Each request's time limit unless the caller sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to reach the server under test.
#[derive(Clone)]
pub struct Target {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// The bearer token (never printed).
    pub token: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Which checks to run, and how long each request may take.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run the checks that create tasks (billed on the real service).
    pub allow_create: bool,
    /// A task to read back and check.
    pub task_id: Option<Uuid>,
    /// Each request's time limit, from sending it to the end of its answer.
    pub timeout: Duration,
    /// Poll the created task until it finishes, for at most this long (a generation takes
    /// minutes on the real service); `None` skips that check.
    pub follow: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            allow_create: false,
            task_id: None,
            timeout: DEFAULT_TIMEOUT,
            follow: None,
        }
    }
}

/// The pauses between two polls of [`Options::follow`]: the first short (a test server may
/// finish at once), doubling up to the longest.
const FOLLOW_FIRST_PAUSE: Duration = Duration::from_millis(100);
const FOLLOW_LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub check: &'static str,
    pub verdict: Verdict,
    /// The last request the check sent, as `METHOD URL (Authorization …, body …)` with the
    /// key replaced by [`KEY_PLACEHOLDER`]; `None` when it sent nothing.
    pub request: Option<String>,
}

/// What stands for the key wherever it would be printed.
pub const KEY_PLACEHOLDER: &str = "<MULEROUTER_API_KEY>";

/// Statuses after which a read is retried while following a task: the document says reads
/// may be retried on them, so a conforming server may send them under load.
const RETRIED_READ_STATUSES: &[u16] = &[429, 500, 502, 503, 504];

/// A check, and the documented responses (operation id, response key) it exercises.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub covers: &'static [(&'static str, &'static str)],
    pub creates: bool,
    pub needs_task_id: bool,
    pub follows: bool,
}

/// Every check, in the order they run.
pub const CHECKS: &[Check] = &[
    Check {
        name: "rejects a request without a token",
        covers: &[("get_generation", "401")],
        creates: false,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects an Authorization header without Bearer",
        covers: &[("get_generation", "401")],
        creates: false,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects a token that is not a MuleRouter key",
        covers: &[("get_generation", "401")],
        creates: false,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "answers 404 for an unknown task",
        covers: &[("get_generation", "404")],
        creates: false,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects a task id that is not a uuid",
        covers: &[("get_generation", "400")],
        creates: false,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "reads the given task",
        covers: &[("get_generation", "200")],
        creates: false,
        needs_task_id: true,
        follows: false,
    },
    Check {
        name: "creates a task from a valid request",
        covers: &[("create_generation", "200"), ("create_generation", "202")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "reads the created task back",
        covers: &[("get_generation", "200")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "follows the created task until it finishes",
        covers: &[("get_generation", "200")],
        creates: true,
        needs_task_id: false,
        follows: true,
    },
    Check {
        name: "rejects a broken rule, naming the field",
        covers: &[("create_generation", "400")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects an unknown key",
        covers: &[("create_generation", "400")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects a body that is not JSON",
        covers: &[("create_generation", "400")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
    Check {
        name: "rejects a create without a token",
        covers: &[("create_generation", "401")],
        creates: true,
        needs_task_id: false,
        follows: false,
    },
];

/// Why an answer's body did not arrive whole.
fn broken_off(error: &reqwest::Error, limit: Duration) -> String {
    if error.is_timeout() {
        format!("the answer was still arriving after {limit:?} (--timeout)")
    } else {
        format!(
            "the body broke off: {}",
            mulerouter_kling::error_chain(error)
        )
    }
}

/// An answer as received.
struct Answer {
    status: u16,
    /// The media type of `Content-Type`, lower case, without parameters.
    media_type: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    /// A header's value as text (`?` for bytes that are not visible ASCII).
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
    }

    /// `Retry-After` in whole seconds, the form the document gives it.
    fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")?
            .trim()
            .parse()
            .ok()
            .map(Duration::from_secs)
    }
}

/// Runs every check that `options` allows, in order.
pub async fn run(target: &Target, options: &Options) -> Vec<Outcome> {
    let http = reqwest::Client::builder()
        .timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client builds");
    let runner = Runner {
        http,
        target: target.clone(),
        timeout: options.timeout,
        last_request: std::sync::Mutex::new(None),
        refused: std::sync::atomic::AtomicBool::new(false),
    };
    let redact = |text: String| {
        if target.token.is_empty() {
            text
        } else {
            text.replace(&target.token, KEY_PLACEHOLDER)
        }
    };
    let mut created: Option<Uuid> = None;
    let mut outcomes = Vec::new();
    for check in CHECKS {
        let verdict = if check.creates && !options.allow_create {
            Verdict::Skip("creates a task (billed on the real service); pass --allow-create".into())
        } else if check.needs_task_id && options.task_id.is_none() {
            Verdict::Skip("pass --task-id to check a task of yours".into())
        } else if check.follows && options.follow.is_none() {
            Verdict::Skip("pass --follow 10m to poll the created task until it finishes".into())
        } else if runner.refused.load(std::sync::atomic::Ordering::Relaxed) {
            // One failure says it; the same "connection refused" on every line would not.
            Verdict::Skip(
                "not tried: nothing accepted a connection at the base URL (the failure above)"
                    .into(),
            )
        } else {
            runner.check(check.name, options, &mut created).await
        };
        let verdict = match verdict {
            Verdict::Pass(detail) => Verdict::Pass(redact(detail)),
            Verdict::Fail(detail) => Verdict::Fail(redact(detail)),
            Verdict::Skip(detail) => Verdict::Skip(redact(detail)),
        };
        let request = runner.last_request.lock().unwrap().take().map(redact);
        outcomes.push(Outcome {
            check: check.name,
            verdict,
            request,
        });
    }
    outcomes
}

struct Runner {
    http: reqwest::Client,
    target: Target,
    timeout: Duration,
    /// What the running check sent last, for its report.
    last_request: std::sync::Mutex<Option<String>>,
    /// Set once a connection to the server could not be made: the checks after it are not
    /// tried.
    refused: std::sync::atomic::AtomicBool,
}

impl Runner {
    async fn check(&self, name: &str, options: &Options, created: &mut Option<Uuid>) -> Verdict {
        let result = match name {
            "rejects a request without a token" => {
                self.expect_get(&Uuid::new_v4().to_string(), None, &[401])
                    .await
            }
            "rejects an Authorization header without Bearer" => {
                let header = format!("Token {}", self.target.token);
                self.expect_get(&Uuid::new_v4().to_string(), Some(&header), &[401])
                    .await
            }
            // What a fuzzer's "invalid credentials" probe sends; the service answers 401 to a
            // missing, malformed or revoked key.
            "rejects a token that is not a MuleRouter key" => {
                self.expect_get(
                    &Uuid::new_v4().to_string(),
                    Some("Bearer SOME-INVALID-VALUE"),
                    &[401],
                )
                .await
            }
            "answers 404 for an unknown task" => {
                self.expect_get(
                    &Uuid::new_v4().to_string(),
                    self.bearer().as_deref(),
                    &[404],
                )
                .await
            }
            // The document allows any 4XX here: 400, 404 and 422 are what servers send.
            "rejects a task id that is not a uuid" => {
                self.expect_get("not-a-uuid", self.bearer().as_deref(), &[400, 404, 422])
                    .await
            }
            "reads the given task" => match options.task_id {
                Some(id) => self.read_task(id).await,
                None => Err("no --task-id".into()),
            },
            "creates a task from a valid request" => match self.create_valid().await {
                Ok((id, detail)) => {
                    *created = Some(id);
                    Ok(detail)
                }
                Err(error) => Err(error),
            },
            // Without a task these say nothing new: the create's own failure is the one to fix.
            "reads the created task back" => match created {
                Some(id) => self.read_task(*id).await,
                None => return Verdict::Skip(NOTHING_CREATED.into()),
            },
            "follows the created task until it finishes" => match (*created, options.follow) {
                (Some(id), Some(limit)) => self.follow(id, limit).await,
                (None, _) => return Verdict::Skip(NOTHING_CREATED.into()),
                (_, None) => Err("no --follow".into()),
            },
            "rejects a broken rule, naming the field" => {
                let body = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4", "duration": 99});
                self.expect_rejected(body, "duration").await
            }
            "rejects an unknown key" => {
                let body = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4", "model_name": "kling"});
                self.expect_rejected(body, "model_name").await
            }
            "rejects a body that is not JSON" => {
                let request = self
                    .post(self.bearer().as_deref())
                    .header("content-type", "application/json")
                    .body("{not json");
                self.expect(request, "POST", CREATE, &[400]).await
            }
            "rejects a create without a token" => {
                let body = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4"});
                self.expect(self.post(None).json(&body), "POST", CREATE, &[401])
                    .await
            }
            other => Err(format!("no such check: {other}")),
        };
        match result {
            Ok(detail) => Verdict::Pass(detail),
            Err(problem) => Verdict::Fail(problem),
        }
    }

    fn bearer(&self) -> Option<String> {
        Some(format!("Bearer {}", self.target.token))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.base_url)
    }

    fn post(&self, authorization: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.http.post(self.url(CREATE));
        match authorization {
            Some(value) => request.header("authorization", value),
            None => request,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let request = request.build().map_err(|e| {
            format!(
                "the request could not be made: {}",
                mulerouter_kling::error_chain(&e)
            )
        })?;
        *self.last_request.lock().unwrap() = Some(describe(&request));
        let url = request.url().clone();
        let mut response = match self.http.execute(request).await {
            Ok(response) => response,
            Err(error) => return Err(self.no_answer(&error, &url).await),
        };
        let status = response.status().as_u16();
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase());
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| broken_off(&e, self.timeout))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(format!(
                    "{status} with an answer over {} MiB (the API's answers are a few KiB); stopped reading",
                    MAX_ANSWER_BYTES >> 20
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            media_type,
            headers: response.headers().clone(),
            body,
        })
    }

    /// Why a request got no answer, in words that say what to check.
    async fn no_answer(&self, error: &reqwest::Error, url: &reqwest::Url) -> String {
        let chain = mulerouter_kling::error_chain(error);
        if error.is_timeout() {
            format!(
                "no answer within {:?} (--timeout): the server is slow, or not reachable at that address",
                self.timeout
            )
        } else if error.is_connect() {
            self.refused
                .store(true, std::sync::atomic::Ordering::Relaxed);
            format!("no connection: {chain}; is a server listening at that address?")
        } else if url.scheme() == "http" && self.answers_h2c_only(url).await {
            format!(
                "no HTTP/1.1 answer: the server speaks only HTTP/2 begun without negotiation (h2c \
                 with prior knowledge), which HTTP/1.1 clients (the Rust client, generated \
                 clients, curl without --http2-prior-knowledge) cannot talk to: serve HTTP/1.1 \
                 at this address too ({chain})"
            )
        } else {
            format!("no answer: {chain}")
        }
    }

    /// Whether a client that starts in HTTP/2 gets an answer where an HTTP/1.1 one got none.
    async fn answers_h2c_only(&self, url: &reqwest::Url) -> bool {
        let Ok(probe) = reqwest::Client::builder()
            .http2_prior_knowledge()
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
        else {
            return false;
        };
        probe.get(url.clone()).send().await.is_ok()
    }

    /// Sends, then checks the status is one of `expected` and the answer conforms.
    async fn expect(
        &self,
        request: reqwest::RequestBuilder,
        method: &str,
        path: &str,
        expected: &[u16],
    ) -> Result<String, String> {
        let answer = self.send(request).await?;
        if !expected.contains(&answer.status) {
            return Err(unexpected(method, expected, &answer));
        }
        conforms(method, path, &answer)?;
        Ok(format!("{}", answer.status))
    }

    async fn expect_get(
        &self,
        id: &str,
        authorization: Option<&str>,
        expected: &[u16],
    ) -> Result<String, String> {
        let path = format!("{CREATE}/{id}");
        let mut request = self.http.get(self.url(&path));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        self.expect(request, "GET", &path, expected).await
    }

    async fn expect_rejected(&self, body: Value, field: &str) -> Result<String, String> {
        let answer = self
            .send(self.post(self.bearer().as_deref()).json(&body))
            .await?;
        if answer.status != 400 {
            return Err(unexpected("POST", &[400], &answer));
        }
        conforms("POST", CREATE, &answer)?;
        // Named where an error says things (a violation's pointer, a message), not merely
        // echoed back with the request.
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        if !said(&body).iter().any(|text| text.contains(field)) {
            return Err(format!(
                "400, but no message or violation of the error names `{field}`: {}",
                snippet(&answer.body)
            ));
        }
        Ok(format!("400, names `{field}`"))
    }

    /// One read of task `id`, with the path it was read at.
    async fn get_task(&self, id: Uuid) -> Result<(Answer, String), String> {
        let path = format!("{CREATE}/{id}");
        let answer = self
            .send(
                self.http
                    .get(self.url(&path))
                    .header("authorization", self.bearer().unwrap_or_default()),
            )
            .await?;
        Ok((answer, path))
    }

    async fn read_task(&self, id: Uuid) -> Result<String, String> {
        let (answer, path) = self.get_task(id).await?;
        let task = task_of(&answer, &path, id)?;
        Ok(format!("200, {}", task.task_info.status))
    }

    /// Reads the task until it finishes (pauses from [`FOLLOW_FIRST_PAUSE`] doubling to
    /// [`FOLLOW_LONGEST_PAUSE`]), each answer checked: a completed task must carry its videos
    /// as URLs, a failed one its error.
    /// A documented 429 or 5xx answer (with its `Retry-After`, if any) is waited out within
    /// the limit, as a client waiting on a task does.
    async fn follow(&self, id: Uuid, limit: Duration) -> Result<String, String> {
        use mulerouter_kling::{Phase, TaskStatus};
        let started = std::time::Instant::now();
        let mut seen: Vec<String> = Vec::new();
        let mut last: Option<TaskStatus> = None;
        let (mut reads, mut busy) = (0, Vec::<u16>::new());
        let mut pause = FOLLOW_FIRST_PAUSE;
        loop {
            let (answer, path) = self.get_task(id).await?;
            reads += 1;
            let wait = if RETRIED_READ_STATUSES.contains(&answer.status) {
                conforms("GET", &path, &answer)?;
                busy.push(answer.status);
                answer.retry_after().unwrap_or(pause)
            } else {
                let task = task_of(&answer, &path, id)?;
                let status = task.task_info.status.to_string();
                if seen.last() != Some(&status) {
                    seen.push(status);
                }
                let went = seen.join(" → ");
                match task.task_info.status.phase() {
                    Phase::Succeeded => {
                        let videos = task.videos.unwrap_or_default();
                        if videos.is_empty() {
                            return Err(format!(
                                "{went}, but `videos` is missing or empty: a completed task lists its result URLs there"
                            ));
                        }
                        for video in &videos {
                            reqwest::Url::parse(video).map_err(|e| {
                                format!("{went}, but the video {video:?} is not a URL: {e}")
                            })?;
                        }
                        return Ok(format!("{went} with {} video(s)", videos.len()));
                    }
                    Phase::Failed if task.task_info.error.is_none() => {
                        return Err(format!("{went}, without saying why (no task_info.error)"));
                    }
                    Phase::Failed => return Ok(format!("{went}, with its error")),
                    Phase::InProgress => {}
                }
                last = Some(task.task_info.status);
                pause
            };
            let left = limit.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(not_finished(&seen, last.as_ref(), limit, reads, &busy));
            }
            tokio::time::sleep(wait.min(left)).await;
            pause = (pause * 2).min(FOLLOW_LONGEST_PAUSE);
        }
    }

    async fn create_valid(&self) -> Result<(Uuid, String), String> {
        let body = json!({"prompt": "A paper boat on a rainy street", "video": "https://example.com/source.mp4", "duration": 5});
        let answer = self
            .send(self.post(self.bearer().as_deref()).json(&body))
            .await?;
        if ![200, 202].contains(&answer.status) {
            return Err(unexpected("POST", &[200, 202], &answer));
        }
        conforms("POST", CREATE, &answer)?;
        let task: TaskResponse = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("the client cannot parse it: {e}"))?;
        Ok((
            task.task_info.id,
            format!(
                "{}, task {} {}",
                answer.status, task.task_info.id, task.task_info.status
            ),
        ))
    }
}

/// Why the checks that need a created task did not run.
const NOTHING_CREATED: &str =
    "no task to read: `creates a task from a valid request` failed (see its line)";

/// The 200 answer of a read of task `id` at `path`: conforming, parsed by the client, and the
/// task asked for.
fn task_of(answer: &Answer, path: &str, id: Uuid) -> Result<TaskResponse, String> {
    if answer.status != 200 {
        return Err(unexpected("GET", &[200], answer));
    }
    conforms("GET", path, answer)?;
    let task: TaskResponse = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("the client cannot parse it: {e}"))?;
    if task.task_info.id != id {
        return Err(format!("asked for {id}, got {}", task.task_info.id));
    }
    Ok(task)
}

/// Why following ended unfinished: the states seen, how often it read, the answers waited
/// out, and a status the document does not list (read as not finished, as clients must).
fn not_finished(
    seen: &[String],
    last: Option<&mulerouter_kling::TaskStatus>,
    limit: Duration,
    reads: usize,
    busy: &[u16],
) -> String {
    let went = if seen.is_empty() {
        "no state read".to_string()
    } else {
        seen.join(" → ")
    };
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    for status in busy {
        *counts.entry(*status).or_default() += 1;
    }
    let waited: String = counts
        .iter()
        .map(|(status, times)| format!(", {times} × {status} waited out"))
        .collect();
    let unknown = match last {
        Some(mulerouter_kling::TaskStatus::Unknown(status)) => format!(
            "; `{status}` is not a status the document lists, so it reads as not finished \
             (a task ends as completed, succeeded or failed)"
        ),
        _ => String::new(),
    };
    format!(
        "{went} after {limit:?} (--follow, {reads} reads{waited}): not finished{unknown}; \
         raise --follow if tasks take longer"
    )
}

/// The request as the report shows it: method, URL, how it was authorized and the start of
/// its body (the key is replaced afterwards, with everything else printed).
fn describe(request: &reqwest::Request) -> String {
    let authorization = match request.headers().get(reqwest::header::AUTHORIZATION) {
        Some(value) => format!(
            "Authorization: {}",
            String::from_utf8_lossy(value.as_bytes())
        ),
        None => "no Authorization".to_string(),
    };
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(|bytes| format!(", body {}", snippet(bytes)))
        .unwrap_or_default();
    format!(
        "{} {} ({authorization}{body})",
        request.method(),
        request.url()
    )
}

/// `expected …, got …` with the start of the answer, and what a status that is not a plain
/// wrong answer means: a redirect (never followed), a rate limit (never retried), a refused
/// key (which every later check would otherwise seem to fail for).
fn unexpected(method: &str, expected: &[u16], answer: &Answer) -> String {
    let status = answer.status;
    let meaning = if (300..400).contains(&status) {
        let to = answer
            .header("location")
            .unwrap_or_else(|| "nowhere (no Location)".into());
        format!(
            " redirecting to {to}: the document lists no redirect, so serve the API at the \
             base URL itself (a client following it to another host drops the Authorization \
             header, and after a 301, 302 or 303 sends a POST again as a GET)"
        )
    } else if status == 429 {
        let wait = answer
            .header("retry-after")
            .map(|value| format!("with Retry-After: {value}"))
            .unwrap_or_else(|| "without Retry-After".into());
        let why = if method == "POST" {
            "a create is not retried, since it may start a second task"
        } else {
            "not retried"
        };
        format!(
            " (rate limited, {wait}; {why}: run again once the limit resets, or lift it for \
             the key CI uses)"
        )
    } else if status == 401 && !expected.contains(&401) {
        " (the server refused the token: is MULEROUTER_API_KEY a key it accepts?)".into()
    } else {
        String::new()
    };
    format!(
        "expected {}, got {status}{meaning}: {}",
        list(expected),
        snippet(&answer.body)
    )
}

/// Where an error body says something: each violation's pointer and message, and the
/// messages the document's `ApiError` names (`task_info.error.detail`/`title`, `detail`,
/// `error`, `message`).
fn said(body: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    for violation in body["violations"].as_array().into_iter().flatten() {
        for key in ["pointer", "message"] {
            texts.extend(violation[key].as_str().map(str::to_string));
        }
    }
    for pointer in [
        "/task_info/error/detail",
        "/task_info/error/title",
        "/detail",
        "/error",
        "/message",
    ] {
        match body.pointer(pointer) {
            Some(Value::String(text)) => texts.push(text.clone()),
            Some(Value::Null) | None => {}
            Some(other) => texts.push(other.to_string()),
        }
    }
    texts
}

/// The media types the document declares for the answer with `status` to `method` (`GET`: the
/// task read, `POST`: the create) (an exact code, then its `4XX`/`5XX` range, then `default`).
fn declared_media_types(method: &str, status: u16) -> Vec<String> {
    let template = if method == "GET" {
        format!("{CREATE}/{{task_id}}")
    } else {
        CREATE.to_string()
    };
    let document = crate::document::document();
    let responses = &document["paths"][template.as_str()][method.to_ascii_lowercase()]["responses"];
    let range = format!("{}XX", status / 100);
    let response = [status.to_string(), range, "default".into()]
        .iter()
        .find_map(|key| responses.get(key.as_str()));
    let content = response.map(|r| &crate::document::resolve(r)["content"]);
    content
        .and_then(Value::as_object)
        .map(|types| types.keys().map(|t| t.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

/// The answer's status is documented for the operation, its `Content-Type` is one the
/// document declares for it, its body matches the schema, and an error body parses with the
/// generated client and carries a message.
fn conforms(method: &str, path: &str, answer: &Answer) -> Result<(), String> {
    // The checker, like the Rust client, sends no Accept-Encoding and decompresses nothing.
    if let Some(coding) = answer
        .header("content-encoding")
        .filter(|coding| !coding.trim().eq_ignore_ascii_case("identity"))
    {
        return Err(format!(
            "{} sent with Content-Encoding: {coding}, though the request had no \
             Accept-Encoding; clients that do not decompress (the Rust client, curl without \
             --compressed) read the compressed bytes: compress only when the request's \
             Accept-Encoding asks for it",
            answer.status
        ));
    }
    let declared = declared_media_types(method, answer.status);
    if !declared.is_empty() && answer.body.is_empty() {
        let what = if answer.status >= 400 {
            r#"an ApiError saying why, e.g. {"detail": "Invalid API key"}"#
        } else {
            "a TaskResponse"
        };
        return Err(format!(
            "{} with an empty body; the document declares {} for it ({what})",
            answer.status,
            declared.join(" or ")
        ));
    }
    if !declared.is_empty() {
        let sent = answer.media_type.as_deref().unwrap_or("no Content-Type");
        if !declared.iter().any(|media_type| media_type == sent) {
            return Err(format!(
                "{} sent as {sent}; the document declares {} (a generated client reads the body by its Content-Type)",
                answer.status,
                declared.join(" or ")
            ));
        }
    }
    if answer.media_type.as_deref() == Some("text/html") {
        // A proxy's page, declared on 5XX: nothing in it to check further.
        return Ok(());
    }
    validate_response(method, path, answer.status, &answer.body).map_err(|violations| {
        let listed: Vec<String> = violations
            .iter()
            .map(|v| {
                format!(
                    "{} ({}): {}",
                    if v.pointer.is_empty() {
                        "body"
                    } else {
                        &v.pointer
                    },
                    v.rule,
                    v.message
                )
            })
            .collect();
        format!("{} does not conform: {}", answer.status, listed.join("; "))
    })?;
    if answer.status >= 400 {
        serde_json::from_slice::<ApiError>(&answer.body)
            .map_err(|e| format!("the client cannot parse the error: {e}"))?;
        // `ApiError` requires none of its fields, but says the body carries one of them.
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        if said(&body).is_empty() {
            return Err(format!(
                "{}: the error says nothing (no task_info.error, detail, error or message): {}",
                answer.status,
                snippet(&answer.body)
            ));
        }
    }
    Ok(())
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn snippet(body: &[u8]) -> String {
    const SHOWN: usize = 300;
    if body.is_empty() {
        return "(empty body)".into();
    }
    let text = String::from_utf8_lossy(body);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= SHOWN {
        return flat;
    }
    let mut shown: String = flat.chars().take(SHOWN).collect();
    shown.push('…');
    shown
}

/// The version of [`json()`]'s document; it rises when a field changes meaning or goes away
/// (fields may be added without it).
pub const JSON_VERSION: u64 = 1;

/// The results as one JSON document, for CI: each check with `pass`, `fail` or `skip`, its
/// detail and the last request it sent, and the counts.
pub fn json(base_url: &str, outcomes: &[Outcome]) -> Value {
    let count =
        |wanted: fn(&Verdict) -> bool| outcomes.iter().filter(|o| wanted(&o.verdict)).count();
    let checks: Vec<Value> = outcomes
        .iter()
        .map(|outcome| {
            let (result, detail) = match &outcome.verdict {
                Verdict::Pass(detail) => ("pass", detail),
                Verdict::Fail(detail) => ("fail", detail),
                Verdict::Skip(detail) => ("skip", detail),
            };
            json!({
                "check": outcome.check,
                "result": result,
                "detail": detail,
                "request": outcome.request,
            })
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "base_url": base_url,
        "checks": checks,
        "passed": count(|v| matches!(v, Verdict::Pass(_))),
        "failed": count(|v| matches!(v, Verdict::Fail(_))),
        "skipped": count(|v| matches!(v, Verdict::Skip(_))),
    })
}

/// The results as a table, then a closing `N passed, N failed, N skipped` line. Each check is
/// one line, its detail whole (a CI log wraps or scrolls it; cutting it would lose what to
/// fix); a failed check has a second line, under its detail, with the request it sent.
pub fn table(outcomes: &[Outcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.check.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!("{:<width$}  {:<6}  {}\n", "CHECK", "RESULT", "DETAIL");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for outcome in outcomes {
        let (result, detail) = match &outcome.verdict {
            Verdict::Pass(detail) => {
                passed += 1;
                ("pass", detail)
            }
            Verdict::Fail(detail) => {
                failed += 1;
                ("FAIL", detail)
            }
            Verdict::Skip(detail) => {
                skipped += 1;
                ("skip", detail)
            }
        };
        out.push_str(&format!(
            "{:<width$}  {result:<6}  {detail}\n",
            outcome.check
        ));
        if let (Verdict::Fail(_), Some(request)) = (&outcome.verdict, &outcome.request) {
            out.push_str(&format!("{:<width$}  {:<6}  request: {request}\n", "", ""));
        }
    }
    out.push_str(&format!(
        "{passed} passed, {failed} failed, {skipped} skipped\n"
    ));
    out
}
