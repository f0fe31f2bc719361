//! The coverage rule for the mock's admin API: every response its document defines is
//! provoked on the mock here, and each answer conforms to the document. A response the admin
//! document gains without a row fails here, by name.

use std::collections::BTreeSet;

use contract_tests::document::admin_document;
use mulerouter_kling_mock::document::validate_admin_response;
use mulerouter_kling_mock::{MockMuleRouter, Timing};
use serde_json::{Value, json};

/// (operation, documented response key, method, path (`{id}`: a task the mock holds), body,
/// status sent). The `4XX` rows marked `locked` are sent without the token to a mock that
/// requires one.
struct Row {
    operation: &'static str,
    key: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<fn() -> Value>,
    status: u16,
    locked: bool,
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
        locked: false,
    }
}

fn rows() -> Vec<Row> {
    vec![
        row("health", "200", "GET", "/__admin/health", 200),
        Row {
            locked: true,
            ..row("health", "4XX", "GET", "/__admin/health", 401)
        },
        row("version", "200", "GET", "/__admin/version", 200),
        Row {
            locked: true,
            ..row("version", "4XX", "GET", "/__admin/version", 401)
        },
        row("reset", "204", "POST", "/__admin/reset", 204),
        Row {
            locked: true,
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
            locked: true,
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
            locked: true,
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
            locked: true,
            ..row("clear_faults", "4XX", "DELETE", "/__admin/faults", 401)
        },
        row("journal", "200", "GET", "/__admin/journal?limit=5", 200),
        row("journal", "4XX", "GET", "/__admin/journal?limit=0", 400),
        row("clear_journal", "204", "DELETE", "/__admin/journal", 204),
        Row {
            locked: true,
            ..row("clear_journal", "4XX", "DELETE", "/__admin/journal", 401)
        },
    ]
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
    let http = reqwest::Client::new();

    for row in rows() {
        let mock = if row.locked { &locked } else { &open };
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
        let mut request =
            http.request(row.method.parse().unwrap(), format!("{}{path}", mock.uri()));
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
