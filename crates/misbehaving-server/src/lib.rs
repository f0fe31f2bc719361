//! A misbehaving HTTP/1.1 server on 127.0.0.1 (and [`H2cOnlyServer`], one that speaks only
//! HTTP/2 without negotiation), for what wiremock cannot play in the tests of
//! the workspace's clients (the API client, `kling`, the contract checker): answers that never
//! come, bodies that stall, never end or are far larger than they should be.
//!
//! It runs on the runtime of the test that starts it, so tests with paused time stay
//! deterministic (a server that never answers lets the clock jump straight to the next
//! deadline), and it stops with that runtime. A test that blocks on a process it spawned
//! needs a multi-threaded runtime, so that the server keeps serving meanwhile.
//!
//! ```no_run
//! use misbehaving_server::{Answer, RawServer};
//!
//! # async fn run() {
//! let server = RawServer::answering(Answer::Silence).await;
//! // Point the client under test at `server.uri()`; it must give up on its own.
//! # }
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Reads the request and never answers (the connection stays open).
    Silence,
    /// Reads the request and closes the connection without a word, as a server that
    /// crashed or a proxy that dropped it would.
    HangUp,
    /// A 200 with its headers and the first `sent` bytes of a `length`-byte body, then
    /// nothing more (the connection stays open).
    Stall { length: u64, sent: usize },
    /// A complete answer.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Status and headers (with `Content-Length` if given), then filler bytes without end,
    /// until the client hangs up.
    Endless {
        status: u16,
        content_length: Option<u64>,
    },
}

impl Answer {
    /// A complete JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type", "application/json".to_string())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// The server; it stops when the test's runtime does.
#[derive(Debug)]
pub struct RawServer {
    uri: String,
    requests: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    body_bytes_sent: Arc<AtomicU64>,
    /// Connections that ended so far; a test waits for a change instead of polling.
    hang_ups: watch::Sender<usize>,
}

impl RawServer {
    /// Serves `answer` to every request.
    pub async fn answering(answer: Answer) -> Self {
        Self::start(vec![answer]).await
    }

    /// Serves `answers` to consecutive requests (on any connection); the last one from then on.
    pub async fn start(answers: Vec<Answer>) -> Self {
        assert!(!answers.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let body_bytes_sent = Arc::new(AtomicU64::new(0));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let hang_ups = watch::Sender::new(0);
        let answers = Arc::new(answers);
        let (counter, seen, sent) = (requests.clone(), arrivals.clone(), body_bytes_sent.clone());
        let left = hang_ups.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = (answers.clone(), counter.clone(), seen.clone(), sent.clone());
                let left = left.clone();
                tokio::spawn(async move {
                    serve(stream, state).await;
                    left.send_modify(|ended| *ended += 1);
                });
            }
        });
        Self {
            uri,
            requests,
            arrivals,
            body_bytes_sent,
            hang_ups,
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// When each request arrived (on the runtime's clock, paused or not).
    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }

    /// Returns once a connection has ended (the client hung up, or an answer could not be
    /// written).
    pub async fn hung_up(&self) {
        let mut ended = self.hang_ups.subscribe();
        let _ = ended.wait_for(|count| *count > 0).await;
    }

    /// Body bytes written into connections by endless answers, over all connections.
    pub fn body_bytes_sent(&self) -> u64 {
        self.body_bytes_sent.load(Ordering::SeqCst)
    }
}

type Shared = (
    Arc<Vec<Answer>>,
    Arc<AtomicUsize>,
    Arc<Mutex<Vec<Instant>>>,
    Arc<AtomicU64>,
);

async fn serve(mut stream: TcpStream, (answers, counter, arrivals, sent): Shared) {
    loop {
        if !read_request(&mut stream).await {
            return;
        }
        let index = counter.fetch_add(1, Ordering::SeqCst);
        arrivals.lock().unwrap().push(Instant::now());
        let answer = &answers[index.min(answers.len() - 1)];
        match answer {
            Answer::Silence => return hold(stream).await,
            Answer::HangUp => return,
            Answer::Stall { length, sent } => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n");
                if stream.write_all(head.as_bytes()).await.is_ok()
                    && stream.write_all(&vec![0u8; *sent]).await.is_ok()
                {
                    hold(stream).await;
                }
                return;
            }
            Answer::Full {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                if stream.write_all(head.as_bytes()).await.is_err()
                    || stream.write_all(body).await.is_err()
                {
                    return;
                }
            }
            Answer::Endless {
                status,
                content_length,
            } => {
                let length = content_length
                    .map(|n| format!("content-length: {n}\r\n"))
                    .unwrap_or_else(|| "connection: close\r\n".to_string());
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = vec![b' '; 64 * 1024];
                chunk[0] = b'{';
                while stream.write_all(&chunk).await.is_ok() {
                    sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    chunk[0] = b' ';
                }
                return;
            }
        }
    }
}

/// Keeps the connection open without a word until the client hangs up.
async fn hold(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// Reads one request's head (and whatever body came with it); false when the client left.
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

/// A server that speaks only HTTP/2 over plain TCP ("h2c with prior knowledge"), as some
/// gateways are configured: an HTTP/1.1 client gets no HTTP/1.1 answer from it, while a client
/// that starts in HTTP/2 gets `status` with a JSON `body` to every request.
#[derive(Debug)]
pub struct H2cOnlyServer {
    uri: String,
}

impl H2cOnlyServer {
    /// Starts it on the test's runtime.
    pub async fn answering(status: u16, body: serde_json::Value) -> Self {
        use http_body_util::Full;
        use hyper::server::conn::http2;
        use hyper_util::rt::{TokioExecutor, TokioIo};

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let body = bytes::Bytes::from(body.to_string());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let body = body.clone();
                let service = hyper::service::service_fn(move |_request| {
                    let answer = hyper::Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()));
                    async move { answer }
                });
                tokio::spawn(async move {
                    // An HTTP/1.1 request is not an HTTP/2 preface: the connection ends with
                    // an error, which is the behaviour under test.
                    let _ = http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { uri }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}
