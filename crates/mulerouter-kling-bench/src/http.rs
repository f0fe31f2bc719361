//! One-off HTTP/1.1 requests to a server on this machine: enough to check that a server is
//! up and answers each workload as expected before loading it, and to time what a Rust test
//! pays in-process.
//!
//! Written out rather than sent with a client library: a library's own cost per request is
//! of the order of the in-process mock's whole answer (with ureq 3, "what a Rust test pays"
//! measured 0.61–0.70 ms instead of 0.30–0.33 ms), and that number is about the mock.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends one request (with `Connection: close`) and reads the whole answer.
pub fn send(address: SocketAddr, request: &Request<'_>) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.to_bytes(address).as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| {
        let start = String::from_utf8_lossy(&raw[..raw.len().min(200)]);
        std::io::Error::other(format!("not an HTTP answer: {start:?}"))
    })
}

/// Waits until `address` answers a request (any status), up to `limit`.
pub fn wait_until_up(address: SocketAddr, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while let Err(error) = send(address, &Request::get("/")) {
        if Instant::now() >= deadline {
            return Err(format!(
                "{address} did not answer within {limit:?}: {error}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
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

    fn to_bytes(self, address: SocketAddr) -> String {
        let (method, path, body) = (self.method, self.path, self.body);
        let mut text =
            format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
        for (name, value) in self.headers {
            text += &format!("{name}: {value}\r\n");
        }
        if !body.is_empty() || method != "GET" {
            text += &format!("Content-Length: {}\r\n", body.len());
        }
        text + "\r\n" + body
    }
}

/// The status and body of a raw answer (a `Content-Length` or close-delimited body).
fn parse(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let version = head.lines().next()?.strip_prefix("HTTP/1.")?;
    let (status, body) = (version.get(2..5)?.parse().ok()?, body.to_string());
    Some(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_split_into_status_and_body() {
        let answer =
            parse(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}").expect("parses");
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body, "{}");
        assert!(parse(b"garbage").is_none());
    }

    #[test]
    fn a_request_carries_its_length_and_closes() {
        let request = crate::load::create("{}");

        let text = request.to_bytes(SocketAddr::from(([127, 0, 0, 1], 80)));

        let path = crate::load::CREATE_PATH;
        assert!(text.starts_with(&format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1:80\r\n")));
        assert!(text.contains("Connection: close\r\nAuthorization: Bearer sk-mr-test\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
