//! Downloads a user can trust: bounded in time and size, never writing through or over an
//! existing path, leaving nothing half-written behind, listing what was really saved.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;
use misbehaving_server::{Answer, RawServer};

const VIDEO: &[u8] = b"\0\0\0\x18ftypmp42 a tiny stand-in for a video";

/// A MuleRouter whose task is complete with these result URLs.
async fn service_with_videos(videos: &[String]) -> MockServer {
    let mut body = task("completed");
    body["videos"] = json!(videos);
    server_answering(ResponseTemplate::new(200).set_body_json(body)).await
}

/// A CDN serving `VIDEO` at each of `paths`.
async fn cdn(paths: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for served in paths {
        Mock::given(method("GET"))
            .and(path(*served))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(VIDEO))
            .mount(&server)
            .await;
    }
    server
}

fn wait_and_download(service: &MockServer, dir: &Path, extra: &[&str]) -> Output {
    run(against(service)
        .args(["wait", TASK_ID, "--download"])
        .arg(dir)
        .args(extra)
        .timeout(Duration::from_secs(60)))
}

/// Every entry of `dir`, sorted by name.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn saved_name(name: &str) -> String {
    format!("{TASK_ID}_{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_that_stalls_ends_at_the_timeout_and_leaves_nothing_behind() {
    // Arrange: headers and 1 KB of a 10 MB video, then nothing.
    let video = RawServer::answering(Answer::Stall {
        length: 10_000_000,
        sent: 1024,
    })
    .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", video.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &["--timeout", "2"]);

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "timed out");
    assert_stderr_contains(&output, "--timeout of 2s ran out after 1024 bytes");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_idle_for_longer_than_the_idle_timeout_is_abandoned() {
    // Arrange
    let video = RawServer::answering(Answer::Stall {
        length: 10_000_000,
        sent: 1024,
    })
    .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", video.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &["--idle-timeout", "1"]);

    // Assert
    assert_eq!(output.status.code(), Some(8), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "the server sent nothing for 1s after 1024 bytes");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_announced_larger_than_max_size_is_refused_before_reading() {
    // Arrange: a 5 GB video announced by Content-Length.
    let video = RawServer::answering(Answer::Endless {
        status: 200,
        content_length: Some(5_000_000_000),
    })
    .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", video.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert: the default cap (1 GiB) is well above a 15 s 1080p video, far below this.
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert_stderr_contains(
        &output,
        "5000000000 bytes is over the 1073741824 byte limit",
    );
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_download_stops_at_max_size_and_leaves_no_partial_file() {
    // Arrange: no Content-Length, no end.
    let video = RawServer::answering(Answer::Endless {
        status: 200,
        content_length: None,
    })
    .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", video.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &["--max-size", "1M"]);

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "over the 1048576 byte limit (--max-size)");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_file_is_never_replaced_and_the_summary_names_the_file_written() {
    // Arrange
    let cdn = cdn(&["/r/result.mp4"]).await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", cdn.uri())]).await;
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join(saved_name("result.mp4"));
    std::fs::write(&existing, "my own file").unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&existing).unwrap(), b"my own file");
    let written = dir.path().join(saved_name("result-1.mp4"));
    assert_eq!(std::fs::read(&written).unwrap(), VIDEO);
    assert_eq!(
        std::fs::metadata(&written).unwrap().permissions(),
        std::fs::metadata(&existing).unwrap().permissions(),
        "a saved video has the permissions of any new file"
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "Saved {} ({} bytes)",
            written.display(),
            VIDEO.len()
        )),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_urls_with_the_same_last_segment_give_two_files() {
    // Arrange
    let cdn = cdn(&["/a/result.mp4", "/b/result.mp4"]).await;
    let service = service_with_videos(&[
        format!("{}/a/result.mp4", cdn.uri()),
        format!("{}/b/result.mp4", cdn.uri()),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &["--json"]);

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        entries(dir.path()),
        [saved_name("result-1.mp4"), saved_name("result.mp4")]
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<PathBuf> = summary["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| PathBuf::from(d["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            dir.path().join(saved_name("result.mp4")),
            dir.path().join(saved_name("result-1.mp4"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_listing_more_than_a_hundred_videos_is_refused_before_any_is_fetched() {
    // Arrange: each of them could be --max-size.
    let cdn = cdn(&["/r/result.mp4"]).await;
    let videos = vec![format!("{}/r/result.mp4", cdn.uri()); 101];
    let service = service_with_videos(&videos).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "refusing to download 101 videos");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    assert_eq!(cdn.received_requests().await.unwrap().len(), 0);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_planted_at_the_target_or_partial_path_is_never_written_through() {
    // Arrange: links at the final name and at the old partial name, both to a victim file.
    let cdn = cdn(&["/r/result.mp4"]).await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", cdn.uri())]).await;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    for planted in [saved_name("result.mp4"), saved_name("result.part")] {
        std::os::unix::fs::symlink(&victim, dir.path().join(planted)).unwrap();
    }

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(
        std::fs::read(dir.path().join(saved_name("result-1.mp4"))).unwrap(),
        VIDEO
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_http_and_https_urls_are_fetched() {
    // Arrange
    let service = service_with_videos(&["file:///etc/passwd".to_string()]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "only http and https URLs are fetched");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_download_leaves_no_partial_file_and_says_so() {
    // Arrange: a download that sends 1 KB and stalls, and a `kling wait` on it.
    let video = RawServer::answering(Answer::Stall {
        length: 10_000_000,
        sent: 1024,
    })
    .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", video.uri())]).await;
    let dir = tempfile::tempdir().unwrap();
    let child = against_uri_process(&service.uri())
        .args(["--json", "wait", TASK_ID, "--download"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The partial file appears once the download has started.
    let started = std::time::Instant::now();
    while !entries(dir.path())
        .iter()
        .any(|name| name.ends_with(".part"))
    {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Act
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();

    // Assert
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["error"]["kind"], "interrupted");
    // `wait` creates no task, so it does not speak of one it created.
    assert_eq!(
        printed["error"]["message"],
        "kling wait interrupted by Ctrl-C"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_folder_that_cannot_be_used_is_refused_before_anything_is_sent() {
    // Arrange: `--download` names a file.
    let service = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elements.json");
    std::fs::write(&file, "[]").unwrap();

    // Act
    let output = run(against(&service)
        .args([
            "generate",
            "--prompt",
            "p",
            "--video",
            "https://e.com/v.mp4",
            "--download",
        ])
        .arg(&file));

    // Assert
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "elements.json is not a directory");
    assert!(
        service.received_requests().await.unwrap().is_empty(),
        "nothing sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_in_json_mode_gives_what_a_retry_needs() {
    // Arrange: two videos; the second is not on the CDN.
    let cdn = cdn(&["/a/result.mp4"]).await;
    let videos = [
        format!("{}/a/result.mp4", cdn.uri()),
        format!("{}/b/missing.mp4", cdn.uri()),
    ];
    let service = service_with_videos(&videos).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &["--json"]);

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    let error = &serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["error"];
    assert_eq!(error["task_id"], TASK_ID);
    assert_eq!(error["videos"], json!(videos));
    assert_eq!(error["downloads"][0]["url"], videos[0]);
    assert_eq!(entries(dir.path()), [saved_name("result.mp4")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_whose_last_segment_is_too_long_for_a_file_name_is_saved_by_its_index() {
    // Arrange
    let long = format!("/r/{}.mp4", "a".repeat(300));
    let cdn = cdn(&[&long]).await;
    let service = service_with_videos(&[format!("{}{long}", cdn.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(entries(dir.path()), [saved_name("000.mp4")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_that_is_not_followed_says_where_it_pointed() {
    // Arrange: the video's URL redirects to a local file, which is never fetched.
    let cdn = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "file:///etc/passwd"))
        .mount(&cdn)
        .await;
    let service = service_with_videos(&[format!("{}/r/result.mp4", cdn.uri())]).await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let output = wait_and_download(&service, dir.path(), &[]);

    // Assert
    assert_eq!(output.status.code(), Some(10), "{}", text(&output.stderr));
    assert_stderr_contains(&output, "answered 302 Found pointing to file:///etc/passwd");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}
