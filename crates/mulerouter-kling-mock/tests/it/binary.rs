//! The standalone binary: started on a free port, used over HTTP, stopped with SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

use crate::common::{Answer, CREATE, Http, minimal};

const BINARY: &str = env!("CARGO_BIN_EXE_mulerouter-kling-mock");

/// Long enough for any answer on a loaded machine; only reached when something is wrong.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// `host:port` of a URL the binary printed.
pub fn address(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Starts the binary with `args` and returns it with the URL its first line prints; its
/// logs (`RUST_LOG=log`) go to a pipe, or nowhere without `log`.
pub async fn spawn(args: &[&str], log: Option<&str>) -> (Child, String) {
    let mut command = Command::new(BINARY);
    command.args(args);
    started(command, log).await
}

/// As [`spawn`], with at most `descriptors` open files (`ulimit -n`).
pub async fn spawn_with_fd_limit(
    descriptors: u32,
    args: &[&str],
    log: Option<&str>,
) -> (Child, String) {
    started(under_ulimit(&format!("-n {descriptors}"), args), log).await
}

/// As [`spawn`], with at most `bytes` of address space (`ulimit -v`), the memory the process
/// may reserve whether or not it touches it. One malloc arena and two runtime workers, so
/// that what the process reserves for threads does not depend on the machine's cores.
pub async fn spawn_with_address_space_limit(
    bytes: u64,
    args: &[&str],
    log: Option<&str>,
) -> (Child, String) {
    let mut command = under_ulimit(&format!("-v {}", bytes / 1024), args);
    command
        .env("MALLOC_ARENA_MAX", "1")
        .env("TOKIO_WORKER_THREADS", "2");
    started(command, log).await
}

/// The binary with `args`, started by a shell that sets `ulimit {limit}` and then becomes
/// the binary, so that the pid is the binary's.
fn under_ulimit(limit: &str, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(BINARY)
        .args(args);
    command
}

async fn started(mut command: Command, log: Option<&str>) -> (Child, String) {
    let mut child = command
        .env("RUST_LOG", log.unwrap_or("off"))
        .stdout(Stdio::piped())
        .stderr(if log.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the binary prints its URL within 30 s")
        .unwrap()
        .expect("a first line");
    let url = first.rsplit(' ').next().unwrap().to_string();
    assert!(
        first.starts_with("MuleRouter mock listening on http://127.0.0.1:"),
        "{first}"
    );
    // Keep draining stdout so the banner never blocks the process.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Sends SIGTERM (by pid) and waits for the exit.
pub async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the binary exits within 10 s of SIGTERM")
        .unwrap()
}

/// The log of a binary started with a log filter, read as a test waits for lines in it.
pub struct Log {
    lines: Lines<BufReader<ChildStderr>>,
    /// Every line read so far.
    pub text: String,
}

impl Log {
    /// Takes the binary's log; [`terminate_with_logs`] no longer sees it.
    pub fn of(child: &mut Child) -> Self {
        let stderr = child.stderr.take().expect("started with a log filter");
        Self {
            lines: BufReader::new(stderr).lines(),
            text: String::new(),
        }
    }

    /// Reads until `count` more lines contain `wanted`.
    pub async fn until(&mut self, wanted: &str, count: usize) {
        let Self { lines, text } = self;
        let mut seen = 0;
        let reading = async {
            while seen < count {
                let Ok(Some(line)) = lines.next_line().await else {
                    panic!("the log ended without {wanted:?}:\n{text}");
                };
                seen += usize::from(line.contains(wanted));
                text.push_str(&line);
                text.push('\n');
            }
        };
        if tokio::time::timeout(PATIENCE, reading).await.is_err() {
            panic!("{seen} of {count} {wanted:?} in the log:\n{}", self.text);
        }
    }

    /// Reads the rest of the log in the background, so that the binary never blocks on a
    /// full pipe.
    pub fn drain(mut self) {
        tokio::spawn(async move { while let Ok(Some(_)) = self.lines.next_line().await {} });
    }
}

/// The status of `request` sent until the answer is not 503, at most 200 times 10 ms apart:
/// after a client lets go of something the server was holding for it, the server learns of
/// it on its own time.
pub async fn status_once_not_busy(
    http: &Http,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> u16 {
    let mut status = 503;
    for _ in 0..200 {
        status = http.send(request()).await.status;
        if status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    status
}

/// Asserts that `answer` is the 503 of a server at one of its limits: `Retry-After: 1`, and a
/// detail that says `which`.
pub fn assert_busy(answer: &Answer, which: &str) {
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("1"));
    let detail = answer.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains(which), "{detail}");
}

/// [`terminate`], then everything the binary logged (it was started with a log filter).
pub async fn terminate_with_logs(child: &mut Child) -> (std::process::ExitStatus, String) {
    let exit = terminate(child).await;
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    (exit, logs)
}

#[tokio::test]
async fn the_binary_serves_on_a_free_port_and_stops_cleanly_on_sigterm() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--timing", "poll"], Some("info")).await;
    let http = Http::at(&url);

    // Act
    let created = http.create(&minimal()).await.json();
    let id = created["task_info"]["id"].as_str().unwrap();
    let read_status = http.get(id).await.status;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(created["task_info"]["status"], "pending");
    assert_eq!(read_status, 200);
    assert!(exit.success(), "{exit:?}\n{logs}");
    assert!(logs.contains(&format!("POST {CREATE} -> 200")), "{logs}");
    assert!(logs.contains("GET ") && logs.contains("-> 200"), "{logs}");
    assert!(logs.contains("SIGTERM: shutting down"), "{logs}");
    assert!(logs.contains("stopped after 2 requests"), "{logs}");
    assert!(
        reqwest::get(format!("{url}/")).await.is_err(),
        "nothing listens after the exit"
    );
}

#[tokio::test]
async fn each_log_line_carries_the_trace_id_of_the_answer_and_a_sent_trace_is_continued() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--timing", "manual"], Some("info")).await;
    let http = Http::at(&url);
    let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    // Act
    let fresh = http.create(&minimal()).await;
    let continued = http
        .send(
            http.request("POST", CREATE)
                .json(&minimal())
                .header("traceparent", sent),
        )
        .await;
    let invalid = http
        .send(
            http.request("POST", CREATE)
                .json(&minimal())
                .header("traceparent", "00-not-a-trace-01"),
        )
        .await;
    let fault = reqwest::Client::new()
        .post(format!("{url}/__admin/faults"))
        .body(r#"{"status": 503}"#)
        .send()
        .await
        .unwrap();
    let admin_read = reqwest::get(format!("{url}/__admin/faults")).await.unwrap();
    let (_exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    let trace_id = |traceparent: Option<&str>| traceparent.unwrap()[3..35].to_string();
    let fresh_id = trace_id(fresh.header("traceparent"));
    let continued_id = trace_id(continued.header("traceparent"));
    let invalid_id = trace_id(invalid.header("traceparent"));
    assert_eq!(continued_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_ne!(
        &continued.header("traceparent").unwrap()[36..52],
        "00f067aa0ba902b7",
        "a new span id"
    );
    assert_ne!(invalid_id, fresh_id);
    let line_of = |id: &str| {
        logs.lines()
            .find(|line| line.contains(id))
            .unwrap_or_else(|| panic!("no line with trace {id}:\n{logs}"))
            .to_string()
    };
    for id in [&fresh_id, &continued_id, &invalid_id] {
        assert!(
            line_of(id).contains(&format!("POST {CREATE} -> 200")),
            "{logs}"
        );
    }
    let fault_id = trace_id(
        fault
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
    );
    assert!(
        line_of(&fault_id).contains("POST /__admin/faults -> 201"),
        "an admin change is logged at info: {logs}"
    );
    let read_id = trace_id(
        admin_read
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
    );
    assert!(
        !logs.contains(&read_id),
        "an admin read is logged at debug only: {logs}"
    );
}

#[tokio::test]
async fn an_upload_cut_short_is_one_log_line_and_the_binary_keeps_serving() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let address = address(&url);
    let http = Http::at(&url);

    // Act: announce a megabyte, send a few bytes, hang up.
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST {CREATE} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer sk-mr-test\r\n\
         Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{\"prompt\":"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    drop(socket);
    // The server notices the hang-up on its own time: read its log until it has spoken.
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut logs = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            logs.push_str(&line);
            logs.push('\n');
            if line.contains("body refused") {
                break;
            }
        }
    })
    .await;
    let after = http.create(&minimal()).await.status;
    let exit = terminate(&mut child).await;
    while let Ok(Some(line)) = stderr.next_line().await {
        logs.push_str(&line);
        logs.push('\n');
    }

    // Assert
    assert_eq!(after, 200, "{logs}");
    assert!(exit.success(), "{exit:?}\n{logs}");
    assert_eq!(logs.matches("body refused").count(), 1, "{logs}");
    assert!(!logs.contains("panicked"), "{logs}");
    assert!(!logs.contains("backtrace"), "{logs}");
}

#[tokio::test]
async fn the_binary_prints_a_curl_example_that_works() {
    // Arrange
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
    {
        let done = line.starts_with("Stop with");
        banner.push(line);
        if done {
            break;
        }
    }

    // Act
    let curl = banner
        .iter()
        .skip_while(|l| !l.starts_with("curl "))
        .take_while(|l| !l.starts_with("Point"))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let output = Command::new("sh").arg("-c").arg(&curl).output().await;
    let exit = terminate(&mut child).await;

    // Assert
    assert!(exit.success());
    // Without curl on the machine (exit 127) there is nothing to check.
    if let Ok(output) = output
        && output.status.code() != Some(127)
    {
        let body: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {curl}\n{}", String::from_utf8_lossy(&output.stdout)));
        assert_eq!(body["task_info"]["status"], "pending", "{curl}");
    }
}

#[tokio::test]
async fn the_binary_says_why_when_the_port_is_taken() {
    // Arrange
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();

    // Act
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(BINARY).args(["--port", &port]).output(),
    )
    .await
    .unwrap()
    .unwrap();

    // Assert
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on 127.0.0.1:"), "{stderr}");
}

#[tokio::test]
async fn flags_that_would_be_misread_are_refused_saying_what_to_write() {
    // Arrange
    let cases: [(&[&str], &str); 9] = [
        (&["--task-ttl", "3600"], "\"3600\" has no unit: write 3600s"),
        (&["--idle-timeout", "60"], "\"60\" has no unit"),
        // Zero would drop a finished task at its first read, or close every connection.
        (&["--task-ttl", "0s"], "\"0s\" is zero"),
        (&["--header-timeout", "0ms"], "\"0ms\" is zero"),
        // As long as `Prefer: latency=` and the admin API allow, no longer.
        (&["--latency", "2h"], "longer than the 60s a latency may be"),
        // A compose file's unset `${KEY}`: a mock that would refuse every caller.
        (&["--api-key", ""], "is empty: give a value"),
        (&["--max-tasks", "0"], "--max-tasks"),
        (
            &["--timing", "manual", "--pending", "5s"],
            "--pending and --processing time the steps of --timing wall",
        ),
        (
            &["--public-url", "mock.internal:4010"],
            "give a base URL like http://mock.internal:4010",
        ),
    ];
    for (args, expected) in cases {
        // Act
        let output = tokio::time::timeout(PATIENCE, Command::new(BINARY).args(args).output())
            .await
            .unwrap()
            .unwrap();

        // Assert
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let empty_token = Command::new(BINARY)
        .env("MULEROUTER_MOCK_ADMIN_TOKEN", " ")
        .output();
    let output = tokio::time::timeout(PATIENCE, empty_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--admin-token") && stderr.contains("is empty"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sighup_stops_like_sigterm_and_a_second_signal_stops_without_waiting() {
    // Arrange: one mock told SIGHUP; another with a create held back 30 s when told SIGTERM
    // twice.
    let (mut hung_up, _) = spawn(&["--port", "0"], Some("info")).await;
    let (mut child, url) = spawn(
        &["--port", "0", "--latency", "30s"],
        Some("mulerouter_kling_mock::standalone=debug,info"),
    )
    .await;
    let http = Http::at(&url);
    let held = tokio::spawn(async move { http.create(&minimal()).await.status });
    let mut log = Log::of(&mut child);
    log.until(&format!("POST {CREATE} received"), 1).await;

    // Act
    signal(&hung_up, "-HUP").await;
    let hung_up_exit = hung_up.wait().await.unwrap();
    let mut hung_up_logs = String::new();
    let stderr = hung_up.stderr.take().unwrap();
    BufReader::new(stderr)
        .read_to_string(&mut hung_up_logs)
        .await
        .unwrap();
    signal(&child, "-TERM").await;
    log.until("SIGTERM: shutting down", 1).await;
    signal(&child, "-TERM").await;
    let exit = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .unwrap()
        .unwrap();
    log.until("SIGTERM again: stopping without waiting", 1)
        .await;
    held.abort();

    // Assert
    assert!(hung_up_exit.success(), "{hung_up_exit:?}");
    assert!(
        hung_up_logs.contains("SIGHUP: shutting down"),
        "{hung_up_logs}"
    );
    assert_eq!(exit.code(), Some(1));
}

/// Sends `signal` (`-HUP`, `-TERM`) to `child` by pid.
async fn signal(child: &Child, signal: &str) {
    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill")
        .args([signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
}

#[tokio::test]
async fn links_in_answers_use_the_public_url_and_the_banner_still_says_where_it_listens() {
    // Arrange: listening on every interface, reached by others under another name.
    let (mut child, url) = spawn(
        &[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--timing",
            "manual",
            "--public-url",
            "http://mock.internal:9999/",
        ],
        None,
    )
    .await;
    let http = Http::at(&url);
    let id = http.create(&minimal()).await.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Act
    let done = http.get_preferring(&id, "example=completed").await.json();
    let exit = terminate(&mut child).await;

    // Assert
    let video = done["videos"][0].as_str().unwrap();
    assert!(
        video.starts_with(&format!("http://mock.internal:9999/files/{id}")),
        "{video}"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_host_name_is_resolved_to_listen_on() {
    // Act: the first line must name 127.0.0.1 (checked by spawn).
    let (mut child, url) = spawn(&["--host", "localhost", "--port", "0"], None).await;
    let answer = Http::at(&url).create(&minimal()).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(answer.status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn a_token_not_shaped_like_a_key_gets_401_saying_what_is_expected() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);

    // Act
    let answer = http
        .send(
            reqwest::Client::new()
                .post(format!("{url}{CREATE}"))
                .bearer_auth("SOME-INVALID-VALUE")
                .json(&minimal()),
        )
        .await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("`sk-mr-`"),
        "{}",
        answer.json()
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_key_from_the_environment_is_the_only_one_accepted_and_never_printed() {
    // Arrange
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .env("MULEROUTER_MOCK_API_KEY", "sk-mr-only-this-one")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
    {
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Stop with") {
            break;
        }
    }
    let url = banner
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let http = Http::at(&url);

    // Act
    let with_another = http.create(&minimal()).await.status;
    let with_it = http
        .send(
            reqwest::Client::new()
                .post(format!("{url}{CREATE}"))
                .bearer_auth("sk-mr-only-this-one")
                .json(&minimal()),
        )
        .await
        .status;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!((with_another, with_it), (401, 200));
    assert!(!banner.contains("sk-mr-only-this-one"), "{banner}");
    assert!(banner.contains("MULEROUTER_MOCK_API_KEY"), "{banner}");
    assert!(exit.success());
}

#[tokio::test]
async fn a_running_task_evicted_by_the_cap_is_warned_of_once_not_per_create() {
    // Arrange: room for one task, and tasks that never finish by themselves.
    let (mut child, url) = spawn(
        &["--port", "0", "--max-tasks", "1", "--timing", "manual"],
        Some("warn"),
    )
    .await;
    let http = Http::at(&url);
    let first = http.create(&minimal()).await.json();

    // Act: three more creates, each evicting the one before.
    for _ in 0..3 {
        assert_eq!(http.create(&minimal()).await.status, 200);
    }
    let evicted = http.get(first["task_info"]["id"].as_str().unwrap()).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert!(exit.success());
    assert_eq!(evicted.status, 404);
    let warned = "the task cap (--max-tasks 1) evicted a task still running (1 so far)";
    assert!(logs.contains(warned), "{logs}");
    assert_eq!(
        logs.matches("evicted a task still running").count(),
        1,
        "{logs}"
    );
}

#[tokio::test]
async fn a_refused_request_s_log_line_names_the_rules_it_broke() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let http = Http::at(&url);
    let mut body = minimal();
    body["duration"] = serde_json::json!(99);
    body["prompt"] = serde_json::json!("");

    // Act
    let refused = http.create(&body).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(refused.status, 400);
    assert!(exit.success());
    let line = logs.lines().find(|line| line.contains("-> 400"));
    assert!(
        line.is_some_and(|line| line.contains(" (broke: /duration maximum, /prompt minLength) ")),
        "{logs}"
    );
}

#[tokio::test]
async fn a_waiter_whose_task_another_suite_reset_away_reads_404_saying_a_reset_deleted_it() {
    // Arrange: one suite's task, waiting; another suite sharing the mock resets it.
    let (mut child, url) = spawn(&["--port", "0", "--timing", "manual"], None).await;
    let http = Http::at(&url);
    let mine = http.create(&minimal()).await.json();
    let id = mine["task_info"]["id"].as_str().unwrap();
    let before = http.get(&uuid::Uuid::new_v4().to_string()).await.json();

    // Act
    let reset = http.send(http.request("POST", "/__admin/reset")).await;
    let read = http.get(id).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!((reset.status, read.status), (204, 404));
    let detail = read.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("deleted with every other task by a reset (`POST /__admin/reset`"),
        "{detail}"
    );
    let never_reset = before["detail"].as_str().unwrap();
    assert!(!never_reset.contains("reset"), "{never_reset}");
    assert!(exit.success());
}

#[tokio::test]
async fn a_waiter_whose_task_the_cap_evicted_reads_404_saying_how_many_were_evicted() {
    // Arrange: room for two tasks.
    let args = ["--port", "0", "--max-tasks", "2", "--timing", "manual"];
    let (mut child, url) = spawn(&args, None).await;
    let http = Http::at(&url);
    let first = http.create(&minimal()).await.json();

    // Act: three more creates evict the first two.
    for _ in 0..3 {
        assert_eq!(http.create(&minimal()).await.status, 200);
    }
    let read = http.get(first["task_info"]["id"].as_str().unwrap()).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(read.status, 404);
    let detail = read.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("past --max-tasks (2; 2 evicted so far)"),
        "{detail}"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn faults_and_a_reset_scoped_to_one_suites_key_leave_another_suite_alone() {
    // Arrange: two suites share a mock, each sending a key of its own; suite A queues a 503
    // and a task error for its key.
    let (mut child, url) = spawn(&["--port", "0", "--timing", "manual"], None).await;
    let http = Http::at(&url);
    let (a, b) = ("sk-mr-suite-a", "sk-mr-suite-b");
    let create_as = |key| http.request_with_key("POST", CREATE, key).json(&minimal());
    for fault in [
        serde_json::json!({"status": 503, "key": a}),
        serde_json::json!({"task_error": 3005, "key": a}),
    ] {
        let queued = http
            .send(http.request("POST", "/__admin/faults").json(&fault))
            .await;
        assert_eq!(queued.status, 201);
    }

    // Act
    let b_created = http.send(create_as(b)).await;
    let a_refused = http.send(create_as(a)).await;
    let a_created = http.send(create_as(a)).await;
    let mut finished = Vec::new();
    for created in [&a_created, &b_created] {
        let id = created.json()["task_info"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let advance = format!("/__admin/tasks/{id}/advance");
        http.send(http.request("POST", &advance)).await;
        let done = http.send(http.request("POST", &advance)).await.json();
        finished.push((
            id,
            done["task_info"]["status"].as_str().unwrap().to_string(),
        ));
    }
    let reset = format!("/__admin/reset?key={a}");
    let reset = http.send(http.request("POST", &reset)).await;
    let a_after = http.get(&finished[0].0).await;
    let b_after = http.get(&finished[1].0).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(
        (b_created.status, a_refused.status, a_created.status),
        (200, 503, 200)
    );
    assert_eq!(
        (finished[0].1.as_str(), finished[1].1.as_str()),
        ("failed", "completed")
    );
    assert_eq!(
        (reset.status, a_after.status, b_after.status),
        (204, 404, 200)
    );
    assert!(exit.success());
}
