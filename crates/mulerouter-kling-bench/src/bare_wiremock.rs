//! Bare wiremock: a `MockServer` with one responder that answers every request with the
//! baseline's fixed body. Nothing is validated, routed or stored by our code, so it marks
//! the ceiling of any server built on wiremock: what wiremock's own work per request
//! (parsing the URL, copying the request into the mock, cloning the answer, its lock)
//! leaves of the baseline.
//!
//! It is mounted the way the in-process mock mounts its own responder: one catch-all mock.
//! wiremock keeps a copy of every request that mock answers, so, like the in-process mock,
//! it grows with the load; that is part of what it costs.

use std::net::SocketAddr;

use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::baseline::BODY;

/// Serves on `address` until killed; the first line on stdout is
/// `bare wiremock listening on http://…`.
pub fn serve(address: SocketAddr) -> std::io::Result<()> {
    serve_on(std::net::TcpListener::bind(address)?)
}

fn serve_on(listener: std::net::TcpListener) -> std::io::Result<()> {
    // wiremock runs its server on a thread of its own (one current-thread runtime); this
    // runtime only starts it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let local = listener.local_addr()?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let answer = ResponseTemplate::new(200).set_body_raw(BODY, "application/json");
        Mock::given(wiremock::matchers::any())
            .respond_with(answer)
            .mount(&server)
            .await;
        // stdout is line-buffered: the line is out once printed.
        println!("bare wiremock listening on http://{local}");
        std::future::pending::<std::io::Result<()>>().await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http;
    use std::time::Duration;

    fn get(address: SocketAddr, path: &str) -> http::Answer {
        let request = http::Request {
            method: "GET",
            path,
            headers: &[],
            body: "",
        };
        http::send(address, &request).unwrap()
    }

    #[test]
    fn answers_every_request_with_the_fixed_body() {
        // Arrange
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || serve_on(listener));
        http::wait_until_up(address, Duration::from_secs(10)).unwrap();
        // Up may still mean "nothing mounted yet" (404) for a moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while get(address, "/").status != 200 {
            assert!(std::time::Instant::now() < deadline, "never mounted");
            std::thread::sleep(Duration::from_millis(5));
        }

        // Act
        let answers: Vec<http::Answer> = (0..200)
            .map(|i| get(address, &format!("/any/{i}")))
            .collect();

        // Assert
        assert!(
            answers.iter().all(|a| a.status == 200 && a.body == BODY),
            "every answer is the fixed body"
        );
    }
}
