//! The coverage rule for the mock's admin API: every response its document defines is
//! provoked on the mock here, and each answer conforms to the document. A response the admin
//! document gains without a row fails here, by name.

use std::collections::BTreeSet;

use contract_tests::document::admin_document;
use mulerouter_kling_mock::document::validate_admin_response;
use mulerouter_kling_mock::standalone::{self, Settings};
use mulerouter_kling_mock::{MockCore, MockMuleRouter, Timing};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

/// (operation, documented response key, method, path (`{id}`: a task the mock holds), body,
/// status sent, the mock it is sent to).
#[derive(Clone, Copy)]
struct Row {
    operation: &'static str,
    key: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<fn() -> Value>,
    status: u16,
    to: To,
}

/// Which mock a row is sent to.
#[derive(Clone, Copy)]
enum To {
    /// One that needs no admin token.
    Open,
    /// One that requires a token, sent without it.
    Locked,
    /// The open one served as the binary serves it, asked as if it were a proxy (an
    /// absolute-form target), which it refuses: the only 4XX of a route served to anyone.
    AsAProxy,
    /// The standalone server, as the binary runs it, with its one connection taken: every
    /// request past it gets the 503 each admin route documents.
    Busy,
}

const fn row(
    operation: &'static str,
    key: &'static str,
    method: &'static str,
    path: &'static str,
    status: u16,
) -> Row {
    Row {
        operation,
        key,
        method,
        path,
        body: None,
        status,
        to: To::Open,
    }
}

fn rows() -> Vec<Row> {
    let rows = vec![
        row("health", "200", "GET", "/__admin/health", 200),
        Row {
            to: To::AsAProxy,
            ..row("health", "4XX", "GET", "/__admin/health", 400)
        },
        row("version", "200", "GET", "/__admin/version", 200),
        Row {
            to: To::Locked,
            ..row("version", "4XX", "GET", "/__admin/version", 401)
        },
        row("reset", "204", "POST", "/__admin/reset", 204),
        Row {
            to: To::Locked,
            ..row("reset", "4XX", "POST", "/__admin/reset", 401)
        },
        row(
            "list_tasks",
            "200",
            "GET",
            "/__admin/tasks?status=pending&limit=1",
            200,
        ),
        row(
            "list_tasks",
            "4XX",
            "GET",
            "/__admin/tasks?status=done",
            400,
        ),
        row("delete_tasks", "200", "DELETE", "/__admin/tasks", 200),
        Row {
            to: To::Locked,
            ..row("delete_tasks", "4XX", "DELETE", "/__admin/tasks", 401)
        },
        row("get_task", "200", "GET", "/__admin/tasks/{id}", 200),
        row(
            "get_task",
            "4XX",
            "GET",
            "/__admin/tasks/8e1e315e-b50d-4334-a231-be7d19a372f4",
            404,
        ),
        row(
            "advance_task",
            "200",
            "POST",
            "/__admin/tasks/{id}/advance",
            200,
        ),
        row(
            "advance_task",
            "4XX",
            "POST",
            "/__admin/tasks/not-a-uuid/advance",
            400,
        ),
        row(
            "complete_task",
            "200",
            "POST",
            "/__admin/tasks/{id}/complete",
            200,
        ),
        row(
            "complete_task",
            "4XX",
            "POST",
            "/__admin/tasks/8e1e315e-b50d-4334-a231-be7d19a372f4/complete",
            404,
        ),
        Row {
            body: Some(|| json!({ "code": 3005 })),
            ..row("fail_task", "200", "POST", "/__admin/tasks/{id}/fail", 200)
        },
        Row {
            body: Some(|| json!({ "code": "x" })),
            ..row("fail_task", "4XX", "POST", "/__admin/tasks/{id}/fail", 400)
        },
        row("list_faults", "200", "GET", "/__admin/faults", 200),
        Row {
            to: To::Locked,
            ..row("list_faults", "4XX", "GET", "/__admin/faults", 401)
        },
        Row {
            body: Some(|| json!({ "status": 503, "count": 2 })),
            ..row("queue_faults", "201", "POST", "/__admin/faults", 201)
        },
        Row {
            body: Some(|| json!({})),
            ..row("queue_faults", "4XX", "POST", "/__admin/faults", 400)
        },
        row("clear_faults", "204", "DELETE", "/__admin/faults", 204),
        Row {
            to: To::Locked,
            ..row("clear_faults", "4XX", "DELETE", "/__admin/faults", 401)
        },
        row("journal", "200", "GET", "/__admin/journal?limit=5", 200),
        row("journal", "4XX", "GET", "/__admin/journal?limit=0", 400),
        row("clear_journal", "204", "DELETE", "/__admin/journal", 204),
        Row {
            to: To::Locked,
            ..row("clear_journal", "4XX", "DELETE", "/__admin/journal", 401)
        },
    ];
    // Each operation's 503, sent as its refused request was, to a busy server.
    let busy = rows.iter().filter(|row| row.key == "4XX").map(|row| Row {
        key: "503",
        status: 503,
        to: To::Busy,
        ..*row
    });
    busy.chain(rows.iter().copied()).collect()
}

/// The standalone server on `core`, with `--max-connections 1` and that connection taken
/// (returned: hold it while the server is asked); its base URL.
async fn busy(core: MockCore) -> (String, TcpStream) {
    let address = standalone_for(core, 1).await;
    // Accepted first, so it holds the one slot.
    let holder = TcpStream::connect(&address).await.unwrap();
    (format!("http://{address}"), holder)
}

/// `core` served as the binary serves it, for `max_connections`; its `host:port`.
async fn standalone_for(core: MockCore, max_connections: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let settings = Settings {
        max_connections,
        ..Settings::default()
    };
    tokio::spawn(standalone::serve(
        listener,
        core,
        settings,
        std::future::pending(),
    ));
    address.to_string()
}

/// (operation id, response key) for everything the admin document defines.
fn documented() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for item in admin_document()["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            for key in operation["responses"].as_object().unwrap().keys() {
                found.insert((id.to_string(), key.clone()));
            }
        }
    }
    found
}

#[test]
fn every_documented_admin_response_has_a_row() {
    // Arrange
    let provoked: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|row| (row.operation.to_string(), row.key.to_string()))
        .collect();

    // Act
    let documented = documented();

    // Assert
    let missing: Vec<_> = documented.difference(&provoked).collect();
    assert!(
        missing.is_empty(),
        "admin responses without a row: {missing:?}"
    );
    let stale: Vec<_> = provoked.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for responses no longer documented: {stale:?}"
    );
}

#[tokio::test]
async fn every_provoked_admin_response_conforms_to_the_admin_document() {
    // Arrange
    let open = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let locked = MockMuleRouter::builder()
        .admin_token("admin-secret")
        .start()
        .await;
    let (busy, _holder) = busy(open.core().clone()).await;
    let http = reqwest::Client::new();
    let standalone = standalone_for(open.core().clone(), 16).await;
    let through_open = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://{standalone}")).unwrap())
        .build()
        .unwrap();

    for row in rows() {
        let base = match row.to {
            To::Open => open.uri(),
            To::Locked => locked.uri(),
            To::Busy => busy.clone(),
            To::AsAProxy => "http://kling.invalid".to_string(),
        };
        // Faults a row queued would answer the next row's create.
        open.clear_faults();
        // A fresh task for each row: some rows delete or finish theirs.
        let created = http
            .post(format!(
                "{}{}",
                open.uri(),
                mulerouter_kling_mock::typed::create_generation::PATH
            ))
            .bearer_auth("sk-mr-test")
            .json(&json!({ "prompt": "A paper boat", "video": "https://example.com/v.mp4" }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let id = created["task_info"]["id"].as_str().unwrap();
        let path = row.path.replace("{id}", id);
        let client = match row.to {
            To::AsAProxy => &through_open,
            _ => &http,
        };
        let mut request = client.request(row.method.parse().unwrap(), format!("{base}{path}"));
        if let Some(body) = row.body {
            request = request.json(&body());
        }

        // Act
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();

        // Assert
        assert_eq!(
            status,
            row.status,
            "{} {}: {}",
            row.operation,
            row.key,
            String::from_utf8_lossy(&body)
        );
        if !body.is_empty() {
            let bare = path.split('?').next().unwrap();
            validate_admin_response(row.method, bare, status, &body)
                .unwrap_or_else(|v| panic!("{} {} ({status}): {v:?}", row.operation, row.key));
        }
    }
}
