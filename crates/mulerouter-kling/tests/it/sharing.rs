//! One client shared by a whole service: across threads, by many calls at once, and with
//! calls dropped halfway.

use std::time::Duration;

use crate::common::*;
use misbehaving_server::{Answer, RawServer};
use mulerouter_kling::{Client, Error, WaitOptions};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_client_and_its_errors_can_cross_threads_and_outlive_them() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn error_for_anyhow<T: std::error::Error + Send + Sync + 'static>() {}

    shareable::<Client>();
    error_for_anyhow::<Error>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_waits_at_once_share_one_client() {
    // Arrange: every read finds the task completed.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completed_body()))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let options = WaitOptions {
        initial_interval: Duration::ZERO,
        ..WaitOptions::default()
    };

    // Act
    let mut waits = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (client, options) = (client.clone(), options.clone());
        waits.spawn(async move {
            client
                .wait_for_completion_with(task_id(), &options, |_| {})
                .await
        });
    }
    let results = waits.join_all().await;

    // Assert
    assert_eq!(results.len(), 100);
    for result in results {
        assert_eq!(result.unwrap().videos.len(), 1);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 100);
}

#[tokio::test]
async fn a_wait_dropped_during_a_poll_hangs_up_and_polls_no_more() {
    // Arrange: the first poll never gets an answer.
    let server = RawServer::answering(Answer::Silence).await;
    let client = builder_at(server.uri()).build().unwrap();
    let mut wait = Box::pin(client.wait_for_completion(task_id()));
    tokio::select! {
        biased;
        () = server.hung_up() => panic!("hung up before the poll was sent"),
        _ = &mut wait => panic!("a poll of a silent server finished"),
        // Act: the poll is in flight once the server has its request.
        () = async { while server.requests() == 0 { tokio::task::yield_now().await } } => {}
    }
    drop(wait);

    // Assert: the connection is closed, and no poll follows.
    server.hung_up().await;
    tokio::task::yield_now().await;
    assert_eq!(server.requests(), 1);
}
