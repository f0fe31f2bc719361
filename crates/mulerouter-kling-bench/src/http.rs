//! One-off HTTP/1.1 requests to a server on this machine, sent with ureq: enough to check
//! that a server is up and answers each workload as expected before loading it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends one request on a connection of its own (`Connection: close`, so that a server
/// dropped right after has no client connection left open) and reads the whole answer,
/// whatever its status, within 30 s.
pub fn send(address: SocketAddr, request: &Request<'_>) -> Result<Answer, ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut http = ureq::http::Request::builder()
        .method(request.method)
        .uri(format!("http://{address}{}", request.path))
        .header("Connection", "close");
    for (name, value) in request.headers {
        http = http.header(*name, *value);
    }
    let mut answer = agent.run(http.body(request.body)?)?;
    Ok(Answer {
        status: answer.status().as_u16(),
        body: answer.body_mut().read_to_string()?,
    })
}

/// Waits until `address` answers a request (any status), up to `limit`.
pub fn wait_until_up(address: SocketAddr, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        match send(address, &Request::get("/")) {
            Ok(_) => return Ok(()),
            Err(error) if Instant::now() >= deadline => {
                return Err(format!(
                    "{address} did not answer within {limit:?}: {error}"
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A request: what the load generator sends, and what a check sends once.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a str,
}

impl<'a> Request<'a> {
    /// A GET with no headers: enough to see that a server answers.
    pub fn get(path: &'a str) -> Self {
        Self {
            method: "GET",
            path,
            headers: &[],
            body: "",
        }
    }
}
