//! Many clients at once, and mocks of ones own beside the mock on its wiremock server.

use std::collections::HashSet;

use mulerouter_kling::TaskStatus;
use mulerouter_kling::types::CreateGenerationRequest;
use mulerouter_kling_mock::MockMuleRouter;
use serde_json::json;

use crate::common::{CREATE, Http, client, get_path, minimal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_creates_are_each_retrievable_afterwards() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let client = client(&mock);

    // Act
    let creates = (0..300).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .create(
                    CreateGenerationRequest::builder()
                        .prompt(format!("prompt {i}"))
                        .video("https://example.com/source.mp4"),
                )
                .await
                .unwrap()
                .task_info
                .id
        })
    });
    let mut ids = Vec::new();
    for create in creates.collect::<Vec<_>>() {
        ids.push(create.await.unwrap());
    }

    // Assert
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        300,
        "ids are unique"
    );
    for id in &ids {
        let task = client.get(*id).await.unwrap();
        assert_eq!(task.task_info.id, *id);
        assert_eq!(task.task_info.status, TaskStatus::Processing);
    }
    let prompts: HashSet<String> = mock
        .created_requests()
        .into_iter()
        .map(|r| r.prompt.to_string())
        .collect();
    assert_eq!(prompts.len(), 300);
    assert_eq!(mock.stats().tasks, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clients_at_once_each_get_the_answer_to_their_own_request() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    let base = mock.uri();

    // Act
    let workers = (0..8).map(|_| {
        let base = base.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut statuses = Vec::new();
            for _ in 0..60 {
                let created = http
                    .post(format!("{base}{CREATE}"))
                    .bearer_auth("sk-mr-test")
                    .json(&minimal())
                    .send()
                    .await
                    .unwrap();
                statuses.push(created.status().as_u16());
                let body: serde_json::Value = created.json().await.unwrap();
                let id = body["task_info"]["id"].as_str().unwrap().to_string();
                let read = http
                    .get(format!("{base}{}", get_path(&id)))
                    .bearer_auth("sk-mr-test")
                    .send()
                    .await
                    .unwrap();
                statuses.push(read.status().as_u16());
                let bad = http
                    .post(format!("{base}{CREATE}"))
                    .bearer_auth("sk-mr-test")
                    .json(&json!({ "prompt": "" }))
                    .send()
                    .await
                    .unwrap();
                statuses.push(bad.status().as_u16());
            }
            statuses
        })
    });
    let mut statuses = Vec::new();
    for worker in workers.collect::<Vec<_>>() {
        statuses.extend(worker.await.unwrap());
    }

    // Assert
    let mut wanted: Vec<u16> = [200, 200, 400].repeat(8 * 60);
    wanted.sort_unstable();
    statuses.sort_unstable();
    assert_eq!(statuses, wanted);
    assert_eq!(mock.stats().requests, 8 * 60 * 3);
}

#[tokio::test]
async fn a_mock_mounted_on_its_server_is_tried_before_the_mocks_own_answers() {
    // Arrange
    let mock = MockMuleRouter::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/custom"))
        .respond_with(wiremock::ResponseTemplate::new(418))
        .expect(1)
        .mount(mock.server())
        .await;
    let http = Http::new(&mock);

    // Act
    let custom = reqwest::get(format!("{}/custom", mock.uri()))
        .await
        .unwrap();
    let created = http.create(&minimal()).await;

    // Assert
    assert_eq!(custom.status(), 418);
    assert_eq!(created.status, 200);
}

#[tokio::test]
async fn its_server_keeps_every_request_whoever_answered_it_unless_told_not_to() {
    // Arrange: a path answered by a mock of the test's own, and a create by the mock.
    let mock = MockMuleRouter::start().await;
    let quiet = MockMuleRouter::builder()
        .record_requests(false)
        .start()
        .await;
    wiremock::Mock::given(wiremock::matchers::path("/custom"))
        .respond_with(wiremock::ResponseTemplate::new(418))
        .mount(mock.server())
        .await;

    // Act
    let custom = reqwest::get(format!("{}/custom", mock.uri()))
        .await
        .unwrap();
    let created = Http::new(&mock).create(&minimal()).await;
    Http::new(&quiet).create(&minimal()).await;

    // Assert
    assert_eq!((custom.status().as_u16(), created.status), (418, 200));
    let received = mock.server().received_requests().await.unwrap();
    let paths: Vec<&str> = received.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/custom", CREATE]);
    assert!(quiet.server().received_requests().await.is_none());
}
