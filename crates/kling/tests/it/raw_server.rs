//! A misbehaving HTTP server on 127.0.0.1, for what wiremock cannot play: answers that never
//! come, bodies that stall or never end.
//!
//! It runs on the test's runtime (a multi-threaded one, since the test blocks on the `kling`
//! process it spawned) and stops with it.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with every request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Reads the request and never answers (the connection stays open).
    Silence,
    /// A 200 with its headers and the first `sent` bytes of a `length`-byte body, then
    /// nothing more (the connection stays open).
    Stall { length: u64, sent: usize },
    /// Status and headers (with `Content-Length` if given), then filler bytes without end,
    /// until the client hangs up.
    Endless {
        status: u16,
        content_length: Option<u64>,
    },
}

#[derive(Debug)]
pub struct RawServer {
    uri: String,
}

impl RawServer {
    /// Serves `answer` to every request.
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, answer.clone()));
            }
        });
        Self { uri }
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }
}

async fn serve(mut stream: TcpStream, answer: Answer) {
    if !read_request(&mut stream).await {
        return;
    }
    match answer {
        Answer::Silence => hold(stream).await,
        Answer::Stall { length, sent } => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n");
            if stream.write_all(head.as_bytes()).await.is_ok()
                && stream.write_all(&vec![0u8; sent]).await.is_ok()
            {
                hold(stream).await;
            }
        }
        Answer::Endless {
            status,
            content_length,
        } => {
            let length = content_length
                .map(|n| format!("content-length: {n}\r\n"))
                .unwrap_or_else(|| "connection: close\r\n".to_string());
            let head =
                format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        }
    }
}

/// Keeps the connection open without a word until the client hangs up.
async fn hold(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// Reads one request's head; false when the client left first.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    true
}
