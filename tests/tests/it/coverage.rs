//! Every operation and documented response has a contract test. The list of what exists is
//! derived from the document; what is tested is declared next to the tests. A response the
//! document gains without a test fails here, by name.

use std::collections::BTreeSet;

use contract_tests::conformance::{CHECKS, CREATE};
use contract_tests::document::{document, resolve};
use mulerouter_kling::types::ApiError;
use mulerouter_kling_mock::MockMuleRouter;
use mulerouter_kling_mock::document::validate_response;
use serde_json::json;

/// Responses the conformance checks cannot provoke on a real server, provoked on the mock —
/// naturally where it can, else with `Prefer: code=…` — by the test below: (operation,
/// documented response key, status sent).
const PROVOKED_ON_THE_MOCK: &[(&str, &str, u16)] = &[
    ("create_generation", "402", 402),
    ("create_generation", "403", 403),
    ("create_generation", "405", 405),
    ("create_generation", "409", 409),
    ("create_generation", "413", 413),
    ("create_generation", "415", 415),
    ("create_generation", "423", 423),
    ("create_generation", "429", 429),
    ("create_generation", "451", 451),
    ("create_generation", "4XX", 418),
    ("create_generation", "5XX", 500),
    ("create_generation", "5XX", 502),
    ("create_generation", "5XX", 503),
    ("create_generation", "5XX", 504),
    ("get_generation", "402", 402),
    ("get_generation", "403", 403),
    ("get_generation", "405", 405),
    ("get_generation", "429", 429),
    ("get_generation", "4XX", 410),
    ("get_generation", "5XX", 500),
    ("get_generation", "5XX", 503),
];

/// (operation id, response key) for everything the document defines.
fn documented() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for item in document()["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) else {
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
fn every_documented_response_has_a_contract_test() {
    let mut tested: BTreeSet<(String, String)> = CHECKS
        .iter()
        .flat_map(|check| {
            check
                .covers
                .iter()
                .map(|(op, key)| (op.to_string(), key.to_string()))
        })
        .collect();
    tested.extend(
        PROVOKED_ON_THE_MOCK
            .iter()
            .map(|(op, key, _)| (op.to_string(), key.to_string())),
    );
    let documented = documented();
    let missing: Vec<String> = documented
        .difference(&tested)
        .map(|(op, key)| format!("operation `{op}`, response {key}"))
        .collect();
    assert!(
        missing.is_empty(),
        "documented but without a contract test (add a check or a PROVOKED_ON_THE_MOCK row):\n{}",
        missing.join("\n")
    );
    let stale: Vec<_> = tested.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "tested but no longer documented: {stale:?}"
    );
}

#[tokio::test]
async fn every_provoked_response_conforms_to_the_document() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = reqwest::Client::new();

    for (operation, key, status) in PROVOKED_ON_THE_MOCK {
        let line = request_line(operation);
        let url = format!("{}{}", mock.uri(), line.path);
        let valid = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4"});
        let call =
            |method: &reqwest::Method| http.request(method.clone(), &url).bearer_auth("sk-mr-k");
        let request = match *status {
            // A method the path does not list.
            405 => call(&line.unlisted),
            413 => call(&line.method)
                .header("content-type", "application/json")
                .body(vec![b' '; 33 * 1024 * 1024]),
            415 => call(&line.method)
                .header("content-type", "text/plain")
                .body("prompt=boat"),
            _ if line.takes_body => call(&line.method)
                .header("prefer", format!("code={status}"))
                .json(&valid),
            _ => call(&line.method).header("prefer", format!("code={status}")),
        };

        // Act
        let response = request.send().await.unwrap();
        let answered = response.status().as_u16();
        let allow = response.headers().get("allow").cloned();
        let body = response.bytes().await.unwrap();

        // Assert
        assert_eq!(
            answered, *status,
            "{operation} {key} ({} {})",
            line.method, line.path
        );
        validate_response(line.method.as_str(), &line.path, answered, &body)
            .unwrap_or_else(|v| panic!("{operation} {key} ({status}): {v:?}"));
        serde_json::from_slice::<ApiError>(&body)
            .unwrap_or_else(|e| panic!("{operation} {key}: {e}"));
        if *status == 405 {
            assert!(allow.is_some(), "405 without Allow for {operation}");
        }
    }
}

/// How to call an operation, read from the document: its method, its path with the example
/// task id in `{task_id}`, a method its path does not list (for a 405), and whether it takes
/// a body.
struct RequestLine {
    method: reqwest::Method,
    path: String,
    unlisted: reqwest::Method,
    takes_body: bool,
}

fn request_line(operation_id: &str) -> RequestLine {
    let found = operation(operation_id);
    let path = found
        .template
        .replace("{task_id}", "8e1e315e-b50d-4334-a231-be7d19a372f4");
    assert!(
        !path.contains('{'),
        "{operation_id}: give the path parameters of {} example values here",
        found.template
    );
    let listed: Vec<&str> = METHODS
        .into_iter()
        .filter(|m| found.item.get(*m).is_some())
        .collect();
    let unlisted = ["put", "patch", "delete", "post", "get"]
        .into_iter()
        .find(|m| !listed.contains(m))
        .expect("a path that lists every method cannot be answered 405");
    let upper = |m: &str| m.to_uppercase().parse::<reqwest::Method>().unwrap();
    RequestLine {
        method: upper(found.method),
        path,
        unlisted: upper(unlisted),
        takes_body: found.item[found.method].get("requestBody").is_some(),
    }
}

/// The methods a path item may list.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Where the document has an operation: its path template, its path item and its method.
struct Found {
    template: &'static str,
    item: &'static serde_json::Value,
    method: &'static str,
}

fn operation(operation_id: &str) -> Found {
    for (template, item) in document()["paths"].as_object().unwrap() {
        let method = METHODS.into_iter().find(|m| {
            item.get(*m)
                .is_some_and(|op| op["operationId"] == operation_id)
        });
        if let Some(method) = method {
            return Found {
                template,
                item,
                method,
            };
        }
    }
    panic!("the document has no operation {operation_id}")
}

/// The documented response for `status` of the operation `operation_id`: the exact code, else
/// its range (`5XX`), with a `$ref` to `components/responses` resolved.
fn documented_response(operation_id: &str, status: u16) -> &'static serde_json::Value {
    let found = operation(operation_id);
    let responses = &found.item[found.method]["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get(format!("{}XX", status / 100)))
        .unwrap_or_else(|| panic!("{operation_id} documents no response for {status}"));
    resolve(response)
}

#[tokio::test]
async fn the_mocks_html_error_pages_have_a_media_type_the_document_declares() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = reqwest::Client::new();
    let create = format!("{}{CREATE}", mock.uri());
    let task = format!("{create}/8e1e315e-b50d-4334-a231-be7d19a372f4");
    let valid = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4"});
    // A key of the documented shape (`sk-mr-` and 64 hex digits).
    let token = format!("sk-mr-{}", "0123456789abcdef".repeat(4));

    for (operation, status) in [
        ("create_generation", 502),
        ("create_generation", 503),
        ("get_generation", 502),
        ("get_generation", 504),
    ] {
        let request = if operation == "create_generation" {
            http.post(&create).json(&valid)
        } else {
            http.get(&task)
        };

        // Act
        let response = request
            .bearer_auth(&token)
            .header("prefer", format!("code={status}, body=html"))
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(response.status().as_u16(), status, "{operation}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        let media_type = content_type.split(';').next().unwrap().trim();
        assert_eq!(media_type, "text/html", "{operation} {status}");
        let declared = &documented_response(operation, status)["content"];
        assert!(
            declared.get(media_type).is_some(),
            "{operation} {status}: the mock sends {media_type}, the document declares {:?}",
            declared.as_object().map(|c| c.keys().collect::<Vec<_>>())
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "{operation} {status}: {body}");
    }
}
