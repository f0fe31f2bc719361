//! What a Rust test pays to use the mock in-process: start `MockMuleRouter`, create a task
//! and read it until it completes, next to the same with a bare wiremock `MockServer`.

use std::time::{Duration, Instant};

use mulerouter_kling_mock::MockMuleRouter;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http::{self, Request};
use crate::load;

/// What a Rust test pays in-process, per test: the median of `runs`.
#[derive(Debug, Clone, Copy)]
pub struct TestCost {
    /// Start `MockMuleRouter`, create a task, read it until it completes (two reads with the
    /// default per-poll timing), stop.
    pub mock: Duration,
    /// Start a bare wiremock `MockServer`, mount one mock, send one request, stop.
    pub bare_wiremock: Duration,
    pub runs: usize,
}

/// Times both, `runs` times each.
pub fn test_cost(runs: usize) -> Result<TestCost, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (mut mock, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let server = runtime.block_on(MockMuleRouter::start());
        let task = load::create_task(server.address())?;
        let read = || http::send(server.address(), &load::read(&task)).map_err(|e| e.to_string());
        while !read()?.body.contains("\"completed\"") {}
        drop(server);
        mock.push(started.elapsed());

        let started = Instant::now();
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(ResponseTemplate::new(200))
                .mount(&server)
                .await;
            server
        });
        http::send(*server.address(), &Request::get("/")).map_err(|e| e.to_string())?;
        drop(server);
        bare.push(started.elapsed());
    }
    mock.sort();
    bare.sort();
    let (runs, mock, bare_wiremock) = (mock.len(), mock[mock.len() / 2], bare[bare.len() / 2]);
    Ok(TestCost {
        mock,
        bare_wiremock,
        runs,
    })
}
