//! Many clients at once, and wiremock's retained requests dropped while they run.

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
async fn dropping_wiremocks_copies_under_load_loses_no_request() {
    // Arrange: drop the copies every 25 requests while 8 clients hammer the mock.
    let mock = MockMuleRouter::builder().recycle_after(25).start().await;
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
                    .bearer_auth("k")
                    .json(&minimal())
                    .send()
                    .await
                    .unwrap();
                statuses.push(created.status().as_u16());
                let body: serde_json::Value = created.json().await.unwrap();
                let id = body["task_info"]["id"].as_str().unwrap().to_string();
                let read = http
                    .get(format!("{base}{}", get_path(&id)))
                    .bearer_auth("k")
                    .send()
                    .await
                    .unwrap();
                statuses.push(read.status().as_u16());
                let bad = http
                    .post(format!("{base}{CREATE}"))
                    .bearer_auth("k")
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
    let expected: Vec<u16> = [200, 200, 400].repeat(8 * 60);
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    let mut wanted = expected;
    wanted.sort_unstable();
    assert_eq!(sorted, wanted, "no request met an empty wiremock");
    let stats = mock.stats();
    assert!(stats.recycles >= 10, "{stats:?}");
    // Bounded, with room for the requests that arrive while a recycle is under way on a
    // loaded machine (the interval is 25).
    assert!(stats.retained_requests <= 250, "{stats:?}");
    assert_eq!(stats.requests, 8 * 60 * 3);
}

#[tokio::test]
async fn the_mock_keeps_answering_after_many_recycles() {
    // Arrange
    let mock = MockMuleRouter::builder().recycle_after(3).start().await;
    let http = Http::new(&mock);

    // Act: recycling runs beside the requests, so how many happen per request depends on
    // the machine's load; keep going (bounded) until ten have happened.
    let mut statuses = Vec::new();
    while mock.stats().recycles < 10 && statuses.len() < 3_000 {
        statuses.push(http.create(&minimal()).await.status);
    }

    // Assert
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(mock.stats().recycles >= 10, "{:?}", mock.stats());
}

#[tokio::test]
async fn recycling_bounds_what_wiremock_keeps_for_a_responder_of_ones_own() {
    // Arrange
    let server = std::sync::Arc::new(wiremock::MockServer::start().await);
    let recycling =
        mulerouter_kling_mock::Recycling::mount(&server, wiremock::ResponseTemplate::new(418), 5)
            .await
            .unwrap();
    let http = reqwest::Client::new();

    // Act: as above, until ten recycles have happened (bounded).
    let mut statuses = Vec::new();
    while recycling.recycles() < 10 && statuses.len() < 3_000 {
        let answer = http.get(format!("{}/any", server.uri())).send().await;
        statuses.push(answer.unwrap().status().as_u16());
    }

    // Assert
    assert!(statuses.iter().all(|s| *s == 418), "{statuses:?}");
    assert!(recycling.recycles() >= 10, "{recycling:?}");
    assert!(recycling.retained() < 5 * 10, "{recycling:?}");
}

#[tokio::test]
async fn recycling_at_zero_only_counts() {
    // Arrange
    let server = std::sync::Arc::new(wiremock::MockServer::start().await);
    let recycling =
        mulerouter_kling_mock::Recycling::mount(&server, wiremock::ResponseTemplate::new(204), 0)
            .await
            .unwrap();

    // Act
    for _ in 0..20 {
        reqwest::get(server.uri()).await.unwrap();
    }

    // Assert
    assert!(!recycling.is_recycling());
    assert_eq!((recycling.retained(), recycling.recycles()), (20, 0));
}
