//! Tasks move like the service's in each timing mode, and a completed one downloads a video.

use std::time::Duration;

use chrono::DateTime;
use mulerouter_kling::TaskStatus;
use mulerouter_kling::types::{CreateGenerationRequest, Mode};
use mulerouter_kling_mock::{Fault, ManualClock, MockMuleRouter, Timing, UnknownTask};
use serde_json::json;

use crate::common::{Http, client, minimal};

fn request() -> mulerouter_kling::types::builder::CreateGenerationRequest {
    CreateGenerationRequest::builder()
        .prompt("A paper boat on a rainy street")
        .video("https://example.com/source.mp4")
}

#[tokio::test]
async fn a_create_answers_a_pending_task_with_a_new_uuid_and_rfc3339_timestamps() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);

    // Act
    let first = http.create(&minimal()).await.json();
    let second = http.create(&minimal()).await.json();

    // Assert
    let info = &first["task_info"];
    assert_eq!(info["status"], "pending");
    assert_ne!(info["id"], second["task_info"]["id"]);
    let created = info["created_at"].as_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(created).is_ok(), "{created}");
    assert!(created.ends_with("+00:00"), "like the service: {created}");
    assert_eq!(info["created_at"], info["updated_at"]);
    assert!(first.get("videos").is_none());
}

#[tokio::test]
async fn per_poll_timing_moves_a_task_one_step_per_read() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = client(&mock);
    let id = client.create(request()).await.unwrap().task_info.id;

    // Act
    let statuses: Vec<TaskStatus> = [
        client.get(id).await.unwrap(),
        client.get(id).await.unwrap(),
        client.get(id).await.unwrap(),
    ]
    .into_iter()
    .map(|task| task.task_info.status)
    .collect();

    // Assert
    assert_eq!(
        statuses,
        [
            TaskStatus::Processing,
            TaskStatus::Completed,
            TaskStatus::Completed
        ]
    );
}

#[tokio::test]
async fn wall_clock_timing_moves_a_task_on_the_clock() {
    // Arrange
    let clock = ManualClock::new();
    let mock = MockMuleRouter::builder()
        .timing(Timing::WallClock {
            pending: Duration::from_millis(500),
            processing: Duration::from_millis(500),
        })
        .clock(clock.clone())
        .start()
        .await;
    let client = client(&mock);
    let created = client.create(request()).await.unwrap().task_info;

    // Act
    let at_once = client.get(created.id).await.unwrap().task_info;
    clock.advance(Duration::from_millis(499));
    let just_before = client.get(created.id).await.unwrap().task_info;
    clock.advance(Duration::from_millis(1));
    let later = client.get(created.id).await.unwrap().task_info;
    clock.advance(Duration::from_millis(500));
    let done = client.get(created.id).await.unwrap();

    // Assert
    assert_eq!(at_once.status, TaskStatus::Pending);
    assert_eq!(just_before.status, TaskStatus::Pending);
    assert_eq!(later.status, TaskStatus::Processing);
    assert_eq!(done.task_info.status, TaskStatus::Completed);
    assert_eq!(
        done.task_info.updated_at - created.created_at,
        chrono::Duration::milliseconds(1000),
        "stamped when the clock says it finished"
    );
}

#[tokio::test]
async fn manual_timing_waits_for_the_test() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let client = client(&mock);
    let id = client.create(request()).await.unwrap().task_info.id;

    // Act
    let untouched = client.get(id).await.unwrap().task_info.status;
    let advanced = mock.advance(id).unwrap();
    let read = client.get(id).await.unwrap();
    let completed = mock.complete(id).unwrap();
    let after = client.get(id).await.unwrap();

    // Assert
    assert_eq!(untouched, TaskStatus::Pending);
    assert_eq!(advanced.task_info.status, TaskStatus::Processing);
    assert_eq!(read, advanced);
    assert_eq!(completed.task_info.status, TaskStatus::Completed);
    assert_eq!(after, completed, "the in-process view equals the HTTP one");
}

#[tokio::test]
async fn the_client_waits_for_a_task_and_downloads_its_real_mp4() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = client(&mock);

    // Act
    let task = client
        .create(request().mode(Mode::Std).duration(10))
        .await
        .unwrap();
    let done = client
        .wait_for_completion_with(task.task_info.id, &MockMuleRouter::wait_options(), |_| {})
        .await
        .unwrap();
    let video = reqwest::get(done.videos[0].clone()).await.unwrap();
    let content_type = video.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = video.bytes().await.unwrap();

    // Assert
    assert_eq!(
        done.videos[0].as_str(),
        format!("{}/files/{}/result_000.mp4", mock.uri(), task.task_info.id)
    );
    assert_eq!(content_type, "video/mp4");
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4 file");
    let sent = mock.created_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].mode, Some(Mode::Std));
    assert_eq!(sent[0].duration, 10);
}

#[tokio::test]
async fn a_video_is_not_served_before_its_task_completes() {
    // Arrange
    let mock = MockMuleRouter::builder()
        .timing(Timing::Manual)
        .start()
        .await;
    let id = client(&mock).create(request()).await.unwrap().task_info.id;
    let url = format!("{}/files/{id}/result_000.mp4", mock.uri());

    // Act
    let early = reqwest::get(&url).await.unwrap().status();
    mock.complete(id).unwrap();
    let late = reqwest::get(&url).await.unwrap().status();

    // Assert
    assert_eq!(early, 404);
    assert_eq!(late, 200);
}

#[tokio::test]
async fn created_requests_come_back_typed_and_as_sent() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let http = Http::new(&mock);
    let body = json!({
        "prompt": "The dancer from <<<element_1>>>",
        "video": "https://example.com/source.mp4",
        "elements": [{ "type": "video", "reference_videos": ["https://example.com/d.mp4"] }],
        "aspect_ratio": "9:16"
    });

    // Act
    let first = http.create(&body).await.json();
    let second = http.create(&minimal()).await.json();

    // Assert
    let typed = mock.created_requests();
    assert_eq!(typed.len(), 2);
    assert_eq!(typed[0].elements.len(), 1);
    assert_eq!(typed[0].duration, 5, "the document's default");
    assert_eq!(mock.created_request_bodies()[0], body);
    let id = |task: &serde_json::Value| task["task_info"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(mock.created_request_body(id(&first)), Some(body));
    assert_eq!(mock.created_request_body(id(&second)), Some(minimal()));
    assert_eq!(
        mock.created_request_body(mulerouter_kling::Uuid::nil()),
        None
    );
}

#[tokio::test]
async fn the_cap_evicts_the_oldest_tasks() {
    // Arrange
    let mock = MockMuleRouter::builder().max_tasks(2).start().await;
    let client = client(&mock);
    let mut ids = Vec::new();

    // Act
    for _ in 0..3 {
        ids.push(client.create(request()).await.unwrap().task_info.id);
    }

    // Assert
    assert_eq!(mock.task(ids[0]), Err(UnknownTask(ids[0])));
    assert!(client.get(ids[0]).await.unwrap_err().status().unwrap() == 404);
    assert!(mock.task(ids[2]).is_ok());
    assert_eq!(mock.stats().tasks, 2);
}

#[tokio::test]
async fn finished_tasks_are_evicted_after_their_ttl() {
    // Arrange
    let clock = ManualClock::new();
    let mock = MockMuleRouter::builder()
        .task_ttl(Duration::from_secs(60))
        .timing(Timing::Manual)
        .clock(clock.clone())
        .start()
        .await;
    let client = client(&mock);
    let done = client.create(request()).await.unwrap().task_info.id;
    let open = client.create(request()).await.unwrap().task_info.id;
    mock.complete(done).unwrap();

    // Act: a create sweeps out what has expired.
    clock.advance(Duration::from_secs(59));
    client.create(request()).await.unwrap();
    let before_the_ttl = mock.task(done).is_ok();
    clock.advance(Duration::from_secs(1));
    client.create(request()).await.unwrap();

    // Assert
    assert!(before_the_ttl);
    assert!(mock.task(done).is_err());
    assert!(mock.task(open).is_ok(), "unfinished tasks stay");
}

#[tokio::test]
async fn driving_an_unknown_task_says_so() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let id = uuid::Uuid::new_v4();

    // Act
    let error = mock.advance(id).unwrap_err();

    // Assert
    assert_eq!(error, UnknownTask(id));
    assert_eq!(error.to_string(), format!("the mock has no task {id}"));
    assert!(mock.complete(id).is_err() && mock.fail(id, 3005).is_err());
}

#[tokio::test]
async fn the_mocks_own_client_accepts_its_key_and_retries_a_server_error_after_milliseconds() {
    // Arrange: a mock that accepts one key only, and a read answered 500 once (the
    // production policy waits half a second before the retry).
    let mock = MockMuleRouter::builder()
        .api_key("sk-mr-only-this-one")
        .timing(Timing::Manual)
        .start()
        .await;
    let client = mock.client();
    let id = client
        .create(
            CreateGenerationRequest::builder()
                .prompt("p")
                .video("https://example.com/v.mp4"),
        )
        .await
        .unwrap()
        .task_info
        .id;
    mock.inject_for(
        "get_generation",
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );

    // Act
    let started = std::time::Instant::now();
    let read = client.get(id).await;
    let took = started.elapsed();

    // Assert
    assert_eq!(read.unwrap().task_info.id, id);
    assert!(mock.queued_faults().is_empty(), "the 500 was answered");
    assert!(took < Duration::from_millis(450), "{took:?}");
}
