//! Bare wiremock: a `MockServer` with one responder that answers every request with the
//! baseline's fixed body. Nothing is validated, routed or stored by our code, so it marks
//! the ceiling of any server built on wiremock: what wiremock's own work per request
//! (parsing the URL, copying the request into the mock, cloning the answer, its lock)
//! leaves of the baseline.
//!
//! It is mounted the way the in-process mock mounts its own responder: one catch-all mock.
//! wiremock keeps a copy of every request that mock answers, so, like the in-process mock,
//! it grows with the load; that is part of what it costs.

use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::baseline::BODY;

/// Serves on `listener` until killed. wiremock runs its server on a thread of its own (one
/// current-thread runtime).
pub fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
    crate::targets::serve_announcing(listener, "bare wiremock", |listener| async {
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
        Ok(server)
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::http::{self, Request};

    #[test]
    fn bare_wiremock_answers_every_request_with_the_fixed_body() {
        // Arrange: the listener is bound, so requests wait for the server to accept them.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(listener));
        let get = |path: &str| http::send(address, &Request::get(path)).unwrap();
        // Until the responder is mounted, wiremock answers 404.
        let deadline = Instant::now() + Duration::from_secs(10);
        while get("/").status != 200 {
            assert!(Instant::now() < deadline, "never mounted");
            std::thread::sleep(Duration::from_millis(5));
        }

        // Act
        let answers: Vec<http::Answer> = (0..200).map(|i| get(&format!("/any/{i}"))).collect();

        // Assert
        assert!(
            answers.iter().all(|a| a.status == 200 && a.body == BODY),
            "every answer is the fixed body"
        );
    }
}
