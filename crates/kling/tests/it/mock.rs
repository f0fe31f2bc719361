//! `kling mock …` against the mock served on its own hyper server (the standalone server the
//! `mulerouter-kling-mock` binary runs), over real HTTP on 127.0.0.1.

use assert_cmd::Command;
use mulerouter_kling::types::CreateGenerationRequest;
use mulerouter_kling::{ApiKey, Client};
use mulerouter_kling_mock::standalone::{self, Settings};
use mulerouter_kling_mock::{MockCore, MockMuleRouter, Timing};
use serde_json::Value;
use wiremock::ResponseTemplate;

use crate::common::{server_answering, text};
use misbehaving_server::{Answer, RawServer};

/// A mock served by the standalone server until the test ends.
struct Served {
    url: String,
    core: MockCore,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(admin_token: Option<&str>) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut builder = MockMuleRouter::builder().timing(Timing::Manual);
    if let Some(token) = admin_token {
        builder = builder.admin_token(token);
    }
    let core = builder.build_core(url.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(standalone::serve(
        listener,
        core.clone(),
        Settings::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    Served {
        url,
        core,
        stop: Some(stop),
    }
}

async fn create(url: &str, prompt: &str) -> uuid::Uuid {
    let client = Client::builder()
        .api_key(ApiKey::new("sk-mr-test").unwrap())
        .base_url(url)
        .build()
        .unwrap();
    let request = CreateGenerationRequest::builder()
        .prompt(prompt)
        .video("https://example.com/v.mp4");
    client.create(request).await.unwrap().task_info.id
}

/// `kling mock …` pointed at `url`, with no key and no admin token of the caller's.
fn kling_mock(url: &str) -> Command {
    let mut command = Command::cargo_bin("kling").unwrap();
    command
        .env("MULEROUTER_BASE_URL", url)
        .env_remove("MULEROUTER_API_KEY")
        .env_remove("MULEROUTER_MOCK_ADMIN_TOKEN")
        .env_remove("RUST_LOG")
        .arg("mock");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_fail_fails_the_task_and_kling_mock_tasks_lists_it() {
    // Arrange
    let mock = serve(None).await;
    let id = create(&mock.url, "A paper boat").await;
    let url = mock.url.clone();

    // Act
    let (fail, tasks) = tokio::task::spawn_blocking(move || {
        let fail = kling_mock(&url)
            .args(["fail", &id.to_string(), "3005"])
            .output()
            .unwrap();
        let tasks = kling_mock(&url)
            .args(["tasks", "--status", "failed"])
            .output()
            .unwrap();
        (fail, tasks)
    })
    .await
    .unwrap();

    // Assert
    assert!(fail.status.success(), "{}", text(&fail.stderr));
    assert!(text(&fail.stdout).contains(&format!("Task {id} failed: 3005 prompt violation")));
    let listed = text(&tasks.stdout);
    assert!(
        listed.contains(&id.to_string()) && listed.contains("failed"),
        "{listed}"
    );
    assert!(listed.contains("1 of 1 tasks"), "{listed}");
    let task = mock.core.task(id).unwrap();
    assert_eq!(task.task_info.error.unwrap().error_code, Some(3005));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_journal_shows_each_broken_rule_with_its_pointer_in_text_and_json() {
    // Arrange
    let mock = serve(None).await;
    let refused = reqwest::Client::new()
        .post(format!(
            "{}{}",
            mock.url,
            mulerouter_kling_mock::typed::create_generation::PATH
        ))
        .bearer_auth("sk-mr-test")
        .json(&serde_json::json!({
            "prompt": "p", "video": "https://example.com/v.mp4", "duration": 99,
            "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11
        }))
        .send()
        .await
        .unwrap();
    let url = mock.url.clone();

    // Act
    let (plain, json) = tokio::task::spawn_blocking(move || {
        let plain = kling_mock(&url).arg("journal").output().unwrap();
        let json = kling_mock(&url)
            .args(["journal", "--json", "--limit", "1"])
            .output()
            .unwrap();
        (plain, json)
    })
    .await
    .unwrap();

    // Assert
    assert_eq!(refused.status(), 400);
    let plain = text(&plain.stdout);
    assert!(plain.contains("POST   400"), "{plain}");
    assert!(plain.contains("/duration maximum: "), "{plain}");
    assert!(
        plain.contains("… and 2 more"),
        "12 rules broken, 10 kept: {plain}"
    );
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let pointers: Vec<_> = json["entries"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/duration"), "{pointers:?}");
    assert_eq!(json["entries"][0]["violations_total"], 12);
    assert!(!plain.contains("sk-mr-test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_journal_says_where_older_entries_go_on_and_reads_them_with_offset() {
    // Arrange: two reads of tasks that do not exist, the older one first.
    let mock = serve(None).await;
    let path = mulerouter_kling_mock::typed::create_generation::PATH;
    let (older, newer) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for id in [older, newer] {
        let read = reqwest::Client::new()
            .get(format!("{}{path}/{id}", mock.url))
            .bearer_auth("sk-mr-test")
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 404);
    }
    let url = mock.url.clone();

    // Act
    let (first, rest) = tokio::task::spawn_blocking(move || {
        let first = kling_mock(&url)
            .args(["journal", "--limit", "1"])
            .output()
            .unwrap();
        let rest = kling_mock(&url)
            .args(["journal", "--offset", "1"])
            .output()
            .unwrap();
        (text(&first.stdout), text(&rest.stdout))
    })
    .await
    .unwrap();

    // Assert
    assert!(first.contains(&newer.to_string()), "{first}");
    assert!(!first.contains(&older.to_string()), "{first}");
    assert!(
        first.contains("1 of 2 kept; older ones with --offset 1"),
        "{first}"
    );
    assert!(rest.contains(&older.to_string()), "{rest}");
    assert!(!rest.contains(&newer.to_string()), "{rest}");
    assert!(!rest.contains("--offset"), "nothing older is kept: {rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_sends_the_admin_token_from_the_environment_and_says_when_it_is_wrong() {
    // Arrange
    let mock = serve(Some("admin-secret")).await;
    let url = mock.url.clone();

    // Act
    let (right, wrong) = tokio::task::spawn_blocking(move || {
        let right = kling_mock(&url)
            .env("MULEROUTER_MOCK_ADMIN_TOKEN", "admin-secret")
            .args(["tasks", "--json"])
            .output()
            .unwrap();
        let wrong = kling_mock(&url)
            .env("MULEROUTER_MOCK_ADMIN_TOKEN", "guess")
            .arg("tasks")
            .output()
            .unwrap();
        (right, wrong)
    })
    .await
    .unwrap();

    // Assert
    assert!(right.status.success(), "{}", text(&right.stderr));
    let page: Value = serde_json::from_slice(&right.stdout).unwrap();
    assert_eq!(page["total"], 0);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(text(&wrong.stderr).contains("the mock answered 401"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_fail_of_an_unknown_task_exits_6() {
    // Arrange
    let mock = serve(None).await;
    let url = mock.url.clone();

    // Act
    let output = tokio::task::spawn_blocking(move || {
        kling_mock(&url)
            .args(["fail", "8e1e315e-b50d-4334-a231-be7d19a372f4", "3005"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(6));
    assert!(text(&output.stderr).contains("no task 8e1e315e"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_reset_empties_the_mock() {
    // Arrange
    let mock = serve(None).await;
    create(&mock.url, "A paper boat").await;
    let url = mock.url.clone();

    // Act
    let output =
        tokio::task::spawn_blocking(move || kling_mock(&url).arg("reset").output().unwrap())
            .await
            .unwrap();

    // Assert
    assert!(output.status.success());
    assert_eq!(mock.core.stats().tasks, 0);
}

#[test]
fn kling_mock_without_a_base_url_says_which_variable_it_needs() {
    // Arrange
    let mut command = kling_mock("");
    command.env_remove("MULEROUTER_BASE_URL");

    // Act
    let output = command.arg("tasks").output().unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("kling mock needs MULEROUTER_BASE_URL"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_against_a_server_that_is_not_a_mock_says_so() {
    // Arrange
    let server =
        server_answering(ResponseTemplate::new(404).set_body_string("<html>nope</html>")).await;
    let url = server.uri();

    // Act
    let output =
        tokio::task::spawn_blocking(move || kling_mock(&url).arg("journal").output().unwrap())
            .await
            .unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(9), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("is MULEROUTER_BASE_URL a MuleRouter mock?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_against_a_json_api_without_the_admin_paths_says_it_is_not_a_mock() {
    // Arrange: a 404 in the shape the mock's own errors have.
    let server = server_answering(
        ResponseTemplate::new(404).set_body_json(serde_json::json!({"detail": "Not Found"})),
    )
    .await;
    let url = server.uri();

    // Act
    let output =
        tokio::task::spawn_blocking(move || kling_mock(&url).arg("tasks").output().unwrap())
            .await
            .unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(9), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("is MULEROUTER_BASE_URL a MuleRouter mock?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_against_a_server_answering_without_end_stops_reading_at_16_mib() {
    // Arrange: a 200 whose body never ends (and no length announced).
    let server = RawServer::answering(Answer::Endless {
        status: 200,
        content_length: None,
    })
    .await;
    let url = server.uri().to_string();

    // Act
    let output =
        tokio::task::spawn_blocking(move || kling_mock(&url).arg("journal").output().unwrap())
            .await
            .unwrap();

    // Assert: exit 1 (an oversized answer), at the limit rather than the 30 s time limit.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("went past 16 MiB"), "{stderr}");
    assert!(
        stderr.contains("is MULEROUTER_BASE_URL a MuleRouter mock?"),
        "{stderr}"
    );
}

#[test]
fn kling_mock_against_nothing_listening_exits_10() {
    // Arrange: a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    // Act
    let output = kling_mock(&format!("http://127.0.0.1:{port}"))
        .arg("tasks")
        .output()
        .unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("cannot reach the mock's admin API"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_fault_queues_what_the_next_requests_get_and_faults_lists_and_clears_them() {
    // Arrange
    let mock = serve(None).await;
    let url = mock.url.clone();

    // Act
    let (queued, hang_up, listed, cleared) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| kling_mock(&url).args(args).output().unwrap();
        (
            run(&[
                "fault",
                "--status",
                "503",
                "--count",
                "2",
                "--operation",
                "get_generation",
            ]),
            run(&["fault", "--hang-up"]),
            run(&["--json", "faults"]),
            run(&["faults", "--clear"]),
        )
    })
    .await
    .unwrap();

    // Assert
    assert!(queued.status.success(), "{}", text(&queued.stderr));
    let shown = text(&queued.stdout);
    assert_eq!(
        shown.matches("answer 503 [get_generation]").count(),
        2,
        "{shown}"
    );
    assert!(hang_up.status.success(), "{}", text(&hang_up.stderr));
    assert!(text(&hang_up.stdout).contains("3. drop the connection without an answer"));
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 3);
    assert!(cleared.status.success());
    assert!(mock.core.queued_faults().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_key_scopes_faults_and_a_reset_to_one_suite() {
    // Arrange: a task of another suite (created with sk-mr-test).
    let mock = serve(None).await;
    let other = create(&mock.url, "someone else's").await;
    let url = mock.url.clone();

    // Act
    let (queued, listed, cleared, reset) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| kling_mock(&url).args(args).output().unwrap();
        run(&["fault", "--status", "500", "--key", "sk-mr-suite-b"]);
        (
            run(&["fault", "--status", "503", "--key", "sk-mr-suite-a"]),
            run(&["faults"]),
            run(&["faults", "--clear", "--key", "sk-mr-suite-a"]),
            run(&["reset", "--key", "sk-mr-suite-b"]),
        )
    })
    .await
    .unwrap();

    // Assert
    assert!(queued.status.success(), "{}", text(&queued.stderr));
    let shown = text(&listed.stdout);
    assert!(shown.contains("1. answer 500 [key …te-b]"), "{shown}");
    assert!(shown.contains("2. answer 503 [key …te-a]"), "{shown}");
    assert!(!shown.contains("sk-mr-suite"), "{shown}");
    assert!(cleared.status.success(), "{}", text(&cleared.stderr));
    assert!(text(&cleared.stdout).contains("for that key"));
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(mock.core.queued_faults().is_empty());
    assert!(mock.core.task(other).is_ok(), "another suite's task stays");
}

#[test]
fn kling_mock_fault_without_an_effect_is_a_usage_error() {
    let output = kling_mock("http://127.0.0.1:9")
        .arg("fault")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--status <STATUS>|--latency-ms"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kling_mock_tasks_pages_with_offset_and_says_where_the_next_page_starts() {
    // Arrange: three tasks, newest first.
    let mock = serve(None).await;
    let mut ids = Vec::new();
    for prompt in ["one", "two", "three"] {
        ids.push(create(&mock.url, prompt).await);
    }
    let url = mock.url.clone();

    // Act
    let (first, second) = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| kling_mock(&url).args(args).output().unwrap();
        (
            run(&["tasks", "--limit", "2"]),
            run(&["tasks", "--limit", "2", "--offset", "2"]),
        )
    })
    .await
    .unwrap();

    // Assert
    let (first, second) = (text(&first.stdout), text(&second.stdout));
    assert!(
        first.contains("2 of 3 tasks") && first.contains("More with --offset 2"),
        "{first}"
    );
    assert!(
        second.contains(&ids[0].to_string()) && second.contains("1 of 3 tasks"),
        "{second}"
    );
    assert!(!second.contains("More with"), "{second}");
}
