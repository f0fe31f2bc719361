//! The mock in-process, on wiremock, as a Rust test runs it: `MockMuleRouter` in this
//! program, with the standalone binary's settings (wall-clock timing, requests not
//! recorded), so the two transports of one core can be set side by side. wiremock keeps a
//! copy of every request its mounted mock answers, so this one grows with the load.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mulerouter_kling_mock::{MockMuleRouter, Timing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http::{self, Request};
use crate::load::{CREATE_PATH, VALID};

/// Serves on `address` until killed; the first line on stdout is
/// `in-process mock listening on http://…`.
pub fn serve(address: SocketAddr) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind(address)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let local = listener.local_addr()?;
        let _mock = MockMuleRouter::builder()
            .listener(listener)
            .timing(Timing::WallClock {
                pending: Duration::from_secs(1),
                processing: Duration::from_secs(4),
            })
            .record_requests(false)
            .start()
            .await;
        // stdout is line-buffered: the line is out once printed.
        println!("in-process mock listening on http://{local}");
        std::future::pending::<std::io::Result<()>>().await
    })
}

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
    let headers = &[
        ("Authorization", "Bearer sk-mr-test"),
        ("Content-Type", "application/json"),
    ];
    let mut mock = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let server = runtime.block_on(MockMuleRouter::start());
        let create = Request {
            method: "POST",
            path: CREATE_PATH,
            headers,
            body: VALID,
        };
        let created = http::send(server.address(), &create).map_err(|e| e.to_string())?;
        let id = crate::load::task_id(&created.body).ok_or("no task id")?;
        let path = format!("{CREATE_PATH}/{id}");
        let read = Request {
            method: "GET",
            path: &path,
            headers: &headers[..1],
            body: "",
        };
        loop {
            let answer = http::send(server.address(), &read).map_err(|e| e.to_string())?;
            if answer.body.contains("\"completed\"") {
                break;
            }
        }
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
        let ping = Request {
            method: "GET",
            path: "/",
            headers: &[],
            body: "",
        };
        http::send(*server.address(), &ping).map_err(|e| e.to_string())?;
        drop(server);
        bare.push(started.elapsed());
    }
    mock.sort();
    bare.sort();
    Ok(TestCost {
        mock: mock[mock.len() / 2],
        bare_wiremock: bare[bare.len() / 2],
        runs: mock.len(),
    })
}
