//! The standalone binary against clients that try to reach past the API: text built to forge
//! log lines, a web page that drives the admin API through its visitor's browser (from its
//! own site, or rebinding its name to 127.0.0.1), bodies
//! built to swell in memory once parsed.

use serde_json::json;

use crate::binary::{spawn, terminate, terminate_with_logs};
use crate::common::{CREATE, Http, minimal};

#[tokio::test]
async fn a_property_name_with_newlines_and_escape_codes_cannot_forge_a_log_line() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let http = Http::at(&url);
    let mut body = minimal();
    body["\nFORGED 2026 INFO all is well\u{1b}[2J\u{9b}31m"] = json!(1);

    // Act
    let refused = http.create(&body).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(refused.status, 400);
    assert!(exit.success());
    assert!(
        !logs.lines().any(|line| line.starts_with("FORGED")),
        "{logs}"
    );
    assert!(!logs.contains(['\u{1b}', '\u{9b}']), "{logs:?}");
    assert!(
        logs.contains(
            r"(broke: /\nFORGED 2026 INFO all is well\u{1b}[2J\u{9b}31m additionalProperties)"
        ),
        "{logs}"
    );
}

#[tokio::test]
async fn an_admin_request_a_web_page_of_another_origin_sends_is_refused_403() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    let fault = || {
        http.request("POST", "/__admin/faults")
            .body(r#"{"count": 1000, "hang_up": true}"#)
    };

    // Act
    let from_a_site = http
        .send(fault().header("origin", "https://evil.example"))
        .await;
    let from_another_host = http
        .send(fault().header("origin", url.replace("127.0.0.1", "localhost")))
        .await;
    let queued = http.send(http.request("GET", "/__admin/faults")).await;
    let from_the_inspector = http.send(fault().header("origin", url.as_str())).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert!(exit.success());
    assert_eq!(from_a_site.status, 403);
    let detail = from_a_site.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("https://evil.example"), "{detail}");
    assert_eq!(from_another_host.status, 403);
    assert_eq!(queued.json()["faults"], json!([]));
    assert_eq!(from_the_inspector.status, 201);
}

#[tokio::test]
async fn without_a_token_an_admin_request_for_a_name_a_page_could_rebind_is_refused_403() {
    // Arrange: a page on `rebind.example` whose name then resolves to 127.0.0.1 sends its
    // requests as of its own origin, from a loopback peer.
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    let port = url.rsplit(':').next().unwrap();
    let fault = |host: String| {
        http.request("POST", "/__admin/faults")
            .header("host", host)
            .body(r#"{"status": 503}"#)
    };

    // Act
    let rebound = http.send(fault(format!("rebind.example:{port}"))).await;
    let queued = http.send(http.request("GET", "/__admin/faults")).await;
    let local = http.send(fault(format!("localhost:{port}"))).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert!(exit.success());
    assert_eq!(rebound.status, 403);
    let detail = rebound.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("rebind.example") && detail.contains("DNS rebinding"),
        "{detail}"
    );
    assert_eq!(queued.json()["faults"], json!([]));
    assert_eq!(local.status, 201);
}

/// The most memory the process `child` has held at once, in bytes (Linux: `VmHWM`).
fn peak_memory(child: &tokio::process::Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id().unwrap())).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn large_bodies_that_swell_when_parsed_are_validated_one_at_a_time() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    // 4 MiB of empty arrays under an unknown property: 1.4 million values, some 45 MB once
    // parsed; eight such bodies fit in what the server receives at once (128 MiB).
    let swelling = format!(
        r#"{{"prompt": "x", "video": "https://example.com/a.mp4", "junk": [{}]}}"#,
        vec!["[]"; 1_400_000].join(",")
    );
    let create = || {
        let request = http.request("POST", CREATE);
        let request = request.header("content-type", "application/json");
        http.send(request.body(swelling.clone()))
    };

    // Act
    let answers = tokio::join!(
        create(),
        create(),
        create(),
        create(),
        create(),
        create(),
        create(),
        create()
    );
    let peak = peak_memory(&child);
    let exit = terminate(&mut child).await;

    // Assert
    let answers = [
        answers.0, answers.1, answers.2, answers.3, answers.4, answers.5, answers.6, answers.7,
    ];
    for answer in &answers {
        assert_eq!(answer.status, 400);
        let junk = ("/junk".to_string(), "additionalProperties".to_string());
        assert_eq!(answer.violations(), [junk]);
    }
    // One body at a time: some 45 MB parsed, beside the 32 MiB of the bodies received. All
    // eight at once held 400 MB.
    assert!(peak < 200 << 20, "peak memory {} MiB", peak >> 20);
    assert!(exit.success());
}

#[tokio::test]
async fn a_value_that_cannot_fit_its_place_is_counted_not_held_whatever_its_size() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    let zeros = |count: usize| format!("[{}0]", "0,".repeat(count - 1));
    let unknown: String = (0..1_000_000).map(|i| format!(r#","u{i}":0"#)).collect();
    // 16 MiB each: a boolean sent as an array of 8 million zeros, an unknown property holding
    // them, a million unknown properties. Parsed whole, each held 250–300 MB.
    let bodies = [
        format!(
            r#"{{"prompt": "x", "video": "https://example.com/a.mp4", "keep_audio": {}}}"#,
            zeros(8_000_000)
        ),
        format!(
            r#"{{"prompt": "x", "video": "https://example.com/a.mp4", "junk": {}}}"#,
            zeros(8_000_000)
        ),
        format!(r#"{{"prompt": "x", "video": "https://example.com/a.mp4"{unknown}}}"#),
    ];

    // Act
    let mut answers = Vec::new();
    for body in &bodies {
        let request = http.request("POST", CREATE);
        let request = request.header("content-type", "application/json");
        answers.push(http.send(request.body(body.clone())).await);
    }
    let peak = peak_memory(&child);
    let exit = terminate(&mut child).await;

    // Assert
    assert!(answers.iter().all(|answer| answer.status == 400));
    assert_eq!(
        answers[0].violations(),
        [("/keep_audio".to_string(), "type".to_string())]
    );
    let message = answers[0].json()["violations"][0]["message"].clone();
    assert_eq!(message, "an array of 8000000 items is not of type boolean");
    assert_eq!(
        answers[1].violations(),
        [("/junk".to_string(), "additionalProperties".to_string())]
    );
    // Each unknown property is named, up to the bound on the list.
    let listed = answers[2].violations();
    assert_eq!(listed.len(), 100);
    assert!(
        listed
            .iter()
            .all(|(_, rule)| rule == "additionalProperties")
    );
    // The 16 MiB being received, and little else.
    assert!(peak < 96 << 20, "peak memory {} MiB", peak >> 20);
    assert!(exit.success());
}
