//! The servers this program runs itself (its hidden `serve` subcommand, started by `run`),
//! each on one current-thread tokio runtime until killed, as wiremock runs its server:
//!
//! - The baseline: bare hyper HTTP/1.1 reading each request and answering a fixed body, with
//!   nothing routed, validated or stored: the practical ceiling on this machine.
//! - Bare wiremock: a `MockServer` whose one catch-all mock answers the baseline's body,
//!   mounted as the in-process mock mounts its responder: what wiremock's own work per request
//!   leaves of the baseline, the ceiling of any server built on it.
//! - The in-process mock: `MockMuleRouter` as a Rust test runs it, with the binary's settings
//!   (wall-clock timing, requests not recorded).

use std::any::Any;
use std::convert::Infallible;
use std::io;
use std::net::TcpListener;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mulerouter_kling_mock::{MockMuleRouter, Timing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::targets::Target;

/// The baseline's answer to every request: a task as the create operation returns it.
pub const BODY: &str = r#"{"task_info":{"id":"8e1e315e-b50d-4334-a231-be7d19a372f4","status":"pending","created_at":"2026-03-03T00:00:00Z","updated_at":"2026-03-03T00:00:00Z"}}"#;

/// Serves `target` on `listener` until killed; once it is up, says where on the first line
/// of stdout, as [`crate::targets::Server`] expects.
pub fn serve(target: Target, listener: TcpListener) -> io::Result<()> {
    let local = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Held until the process is killed: a wiremock server stops when dropped.
        let _serving: Box<dyn Any> = match target {
            Target::Baseline => Box::new(baseline(listener)?),
            Target::BareWiremock => Box::new(bare_wiremock(listener).await),
            Target::InProcess => Box::new(in_process(listener).await),
            Target::Mock | Target::Prism => {
                let message = format!("the {target} is not served by this program");
                return Err(io::Error::other(message));
            }
        };
        // stdout is line-buffered: the line is out once printed.
        println!("{target} listening on http://{local}");
        std::future::pending().await
    })
}

fn baseline(listener: TcpListener) -> io::Result<tokio::task::JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    Ok(tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let io = TokioIo::new(stream);
            tokio::spawn(http1::Builder::new().serve_connection(io, service_fn(answer)));
        }
    }))
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body, as any real server must before answering on a kept-alive connection.
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

async fn bare_wiremock(listener: TcpListener) -> MockServer {
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
    server
}

async fn in_process(listener: TcpListener) -> MockMuleRouter {
    let timing = Timing::WallClock {
        pending: Duration::from_secs(1),
        processing: Duration::from_secs(4),
    };
    MockMuleRouter::builder()
        .listener(listener)
        .timing(timing)
        .record_requests(false)
        .start()
        .await
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::http::{self, Request};

    #[test]
    fn bare_wiremock_answers_every_request_with_the_fixed_body() {
        // Arrange: the listener is bound, so requests wait for the server to accept them.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(Target::BareWiremock, listener));
        let get = |path: &str| http::send(address, &Request::get(path)).unwrap();
        // Until the responder is mounted, wiremock answers 404.
        let deadline = Instant::now() + Duration::from_secs(10);
        while get("/").status != 200 {
            assert!(Instant::now() < deadline, "never mounted");
            std::thread::sleep(Duration::from_millis(5));
        }

        // Act
        let mut answers = (0..200).map(|i| get(&format!("/any/{i}")));

        // Assert
        assert!(answers.all(|a| a.status == 200 && a.body == BODY));
    }
}
