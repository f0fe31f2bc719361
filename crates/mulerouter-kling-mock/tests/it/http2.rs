//! The standalone binary over h2c (HTTP/2 with prior knowledge, on the HTTP/1.1 port): served
//! like HTTP/1.1; clients that misbehave in ways only HTTP/2 allows are let go, and what they
//! can make the server hold is bounded.
//!
//! The misbehaving clients write raw frames, so that they can do what no well-behaved client
//! library would: stop mid-frame, never acknowledge a PING, cancel a request and stay, open
//! many streams with a window of 0.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::binary::{
    Log, PATIENCE, address, assert_busy, spawn, status_once_not_busy, terminate,
    terminate_with_logs,
};
use crate::common::{CREATE, Http, get_path, minimal};

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
/// `SETTINGS_INITIAL_WINDOW_SIZE`: how much a peer may send on a new stream before the
/// receiver says it may send more.
const INITIAL_WINDOW_SIZE: u16 = 0x4;
/// `RST_STREAM`'s error code for a request the client no longer wants.
const CANCEL: u32 = 0x8;
/// `RST_STREAM`'s error code for a stream the server did not take up.
const REFUSED_STREAM: u32 = 0x7;

/// Timeouts short enough that a test sees idle connections go.
const SHORT_TIMEOUTS: &[&str] = &[
    "--port",
    "0",
    "--idle-timeout",
    "200ms",
    "--header-timeout",
    "200ms",
];

/// One frame: its 9-byte header, then `payload`.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut bytes = vec![length[1], length[2], length[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The connection preface and an empty SETTINGS frame: all a client must send first.
fn hello() -> Vec<u8> {
    hello_with(&[])
}

/// The connection preface and a SETTINGS frame of `settings` (identifier, value).
fn hello_with(settings: &[(u16, u32)]) -> Vec<u8> {
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    let payload: Vec<u8> = settings
        .iter()
        .flat_map(|(id, value)| [&id.to_be_bytes()[..], &value.to_be_bytes()[..]].concat())
        .collect();
    bytes.extend(frame(SETTINGS, 0, 0, &payload));
    bytes
}

/// The path of the reads [`held_reads`] sends: a task nobody created.
fn held_path() -> String {
    get_path("8e1e315e-b50d-4334-a231-be7d19a372f4")
}

/// [`hello`], then on each of `streams` a read that the mock holds back for 30 s
/// (`Prefer: latency`).
fn held_reads(streams: &[u32]) -> Vec<u8> {
    let fields = [
        ("authorization", "Bearer sk-mr-test"),
        ("prefer", "latency=30s"),
    ];
    let block = get_block(&held_path(), &fields);
    let mut sent = hello();
    for &stream in streams {
        sent.extend(frame(HEADERS, END_HEADERS | END_STREAM, stream, &block));
    }
    sent
}

/// A GET's header block in HPACK without Huffman coding or the dynamic table: `:method GET`
/// and `:scheme http` from the static table, every other field as a literal.
fn get_block(path: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    request_block(METHOD_GET, path, fields)
}

/// `:method GET` and `:method POST`: entries 2 and 3 of HPACK's static table, as indexed fields.
const METHOD_GET: u8 = 0x82;
const METHOD_POST: u8 = 0x83;

/// A request's header block as [`get_block`] makes it, with `method` (an indexed field).
fn request_block(method: u8, path: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut block = vec![method, 0x86];
    // `:path`, a literal whose name is entry 4 of the static table.
    block.push(0x04);
    push_literal(&mut block, path);
    for (name, value) in fields {
        block.push(0x00);
        push_literal(&mut block, name);
        push_literal(&mut block, value);
    }
    block
}

/// A string literal without Huffman coding: its length (an HPACK integer with a 7-bit prefix:
/// past 126, 127 and the rest in 7-bit groups, lowest first), then its bytes.
fn push_literal(block: &mut Vec<u8>, text: &str) {
    let mut length = text.len();
    if length < 127 {
        block.push(u8::try_from(length).unwrap());
    } else {
        block.push(127);
        length -= 127;
        while length >= 128 {
            block.push(u8::try_from(length % 128).unwrap() | 0x80);
            length /= 128;
        }
        block.push(u8::try_from(length).unwrap());
    }
    block.extend_from_slice(text.as_bytes());
}

/// Reads frames until `count` of `kind` have come; the frames read.
async fn read_frames_until(socket: &mut TcpStream, kind: u8, count: usize) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0; 16 * 1024];
    let seen = |bytes: &[u8]| frame_types(bytes).iter().filter(|&&t| t == kind).count();
    while seen(&received) < count {
        let read = tokio::time::timeout(PATIENCE, socket.read(&mut buffer))
            .await
            .expect("the frames come within the test's patience")
            .unwrap();
        assert!(read > 0, "closed after {:?}", frame_types(&received));
        received.extend_from_slice(&buffer[..read]);
    }
    received
}

/// Reads what the server sends until it closes the connection; `None` if it stays open.
async fn read_until_closed(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0; 1024];
        while let Ok(read @ 1..) = socket.read(&mut buffer).await {
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .ok()?;
    Some(received)
}

/// Each whole frame in what a server sent: its type, stream and payload.
fn frames(mut bytes: &[u8]) -> Vec<(u8, u32, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 9 {
        let length =
            usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        let stream = u32::from_be_bytes(bytes[5..9].try_into().unwrap()) & 0x7fff_ffff;
        let end = (9 + length).min(bytes.len());
        frames.push((bytes[3], stream, bytes[9..end].to_vec()));
        bytes = &bytes[end..];
    }
    frames
}

/// The type of each whole frame in what a server sent.
fn frame_types(bytes: &[u8]) -> Vec<u8> {
    frames(bytes).into_iter().map(|(kind, _, _)| kind).collect()
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_on_the_same_port() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();

    // Act
    let response = client
        .post(format!("{url}{CREATE}"))
        .bearer_auth("sk-mr-test")
        .json(&minimal())
        .send()
        .await
        .unwrap();
    let version = response.version();
    let status = response.status();
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(version, reqwest::Version::HTTP_2);
    assert_eq!(status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn a_client_stuck_in_a_request_head_gets_goaway_and_is_dropped_when_it_stays() {
    // Arrange: a HEADERS frame that announces 64 bytes and sends 4, then silence (no PING
    // acknowledged, nothing read back).
    let (mut child, url) = spawn(SHORT_TIMEOUTS, None).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();
    let mut sent = hello();
    sent.extend_from_slice(&[0, 0, 64, HEADERS, END_HEADERS, 0, 0, 0, 1]);
    sent.extend_from_slice(&[0x82, 0x86, 0x84, 0x41]);

    // Act
    socket.write_all(&sent).await.unwrap();
    let received = read_until_closed(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert
    let received = received.expect("the connection stayed open");
    assert!(
        frame_types(&received).contains(&GOAWAY),
        "no GOAWAY before the close: {received:?}"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_request_the_client_cancels_does_not_keep_its_connection_busy() {
    // Arrange: a read the mock holds back for 30 s (`Prefer: latency`), which the client
    // cancels with RST_STREAM and then stays, silent.
    let (mut child, url) = spawn(SHORT_TIMEOUTS, None).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();
    socket.write_all(&held_reads(&[1])).await.unwrap();

    // Act
    socket
        .write_all(&frame(RST_STREAM, 0, 1, &CANCEL.to_be_bytes()))
        .await
        .unwrap();
    let received = read_until_closed(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert: the cancelled request no longer counts, so the connection went idle and, as
    // the client stayed silent after GOAWAY, was dropped.
    let received = received.expect("the connection stayed open: the request still counted");
    assert!(
        frame_types(&received).contains(&GOAWAY),
        "no GOAWAY before the close: {received:?}"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn at_shutdown_a_client_that_ignores_goaway_does_not_hold_up_the_exit() {
    // Arrange: an idle h2 client that acknowledges nothing, the default header timeout
    // (30 s), and a drain timeout of 5 s.
    let (mut child, url) = spawn(&["--port", "0", "--drain-timeout", "5s"], Some("info")).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();
    socket.write_all(&hello()).await.unwrap();
    let mut settings = [0; 9];
    socket.read_exact(&mut settings).await.unwrap();

    // Act
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert: the connection was let go within the drain timeout, not abandoned by it.
    assert_eq!(settings[3], SETTINGS, "{settings:?}");
    assert!(exit.success());
    assert!(logs.contains("stopped after"), "{logs}");
    assert!(!logs.contains("still open"), "{logs}");
}

/// A create that breaks every rule it can with long values: its journal entry keeps 10
/// broken rules, about a kilobyte.
fn refused_create() -> serde_json::Value {
    let long = "x".repeat(400);
    json!({
        "prompt": "", "video": long, "duration": long, "mode": long, "aspect_ratio": long,
        "keep_audio": long, "negative_prompt": 5,
        "elements": [{"type": long}, {"type": long}, {"type": long}, {"type": long}],
    })
}

/// [`hello_with`] a window of 0 (the server may send no data on any stream), then a read of
/// the whole journal on each of `streams` streams.
fn journal_reads_never_taken(streams: usize) -> Vec<u8> {
    let mut sent = hello_with(&[(INITIAL_WINDOW_SIZE, 0)]);
    for stream in (1..).step_by(2).take(streams) {
        let block = get_block("/__admin/journal", &[]);
        sent.extend(frame(HEADERS, END_HEADERS | END_STREAM, stream, &block));
    }
    sent
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_once_its_answers_fill_the_budget_and_others_are_served()
 {
    // Arrange: a full journal of 1 000 refused creates (about a megabyte an answer), and one
    // h2 client that allows no data on its streams and asks for the journal on 100 of them:
    // more than the 64 MiB of unread answers the server holds, all on one connection.
    let args = ["--port", "0", "--journal-size", "1000"];
    let (mut child, url) = spawn(&args, Some("warn")).await;
    let mut log = Log::of(&mut child);
    let http = Http::at(&url);
    for _ in 0..1000 {
        assert_eq!(http.create(&refused_create()).await.status, 400);
    }
    let mut hog = TcpStream::connect(address(&url)).await.unwrap();

    // Act
    hog.write_all(&journal_reads_never_taken(100))
        .await
        .unwrap();
    let closed = read_until_closed(&mut hog).await;
    let other = http.send(http.request("GET", "/__admin/journal")).await;
    log.until("closed the connection from", 1).await;
    log.drain();
    let exit = terminate(&mut child).await;

    // Assert
    assert!(
        closed.is_some(),
        "the client that reads nothing is still connected"
    );
    assert_eq!(other.status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn of_two_clients_that_stop_reading_the_one_holding_the_most_is_closed() {
    // Arrange: a full journal of 500 refused creates (about half a megabyte an answer), and
    // two h2 clients that allow no data on their streams: the first asks for the journal on
    // 70 streams, the second then on 70 more, which takes the server past its 64 MiB.
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    for _ in 0..500 {
        assert_eq!(http.create(&refused_create()).await.status, 400);
    }
    let mut first = TcpStream::connect(address(&url)).await.unwrap();
    first
        .write_all(&journal_reads_never_taken(70))
        .await
        .unwrap();
    // Every answer is made once its head is sent (a head is not held back by the window).
    read_frames_until(&mut first, HEADERS, 70).await;
    let mut second = TcpStream::connect(address(&url)).await.unwrap();

    // Act
    second
        .write_all(&journal_reads_never_taken(70))
        .await
        .unwrap();
    let first_closed = read_until_closed(&mut first).await;
    // The second still gets its answers' heads: it was not the one closed.
    read_frames_until(&mut second, HEADERS, 70).await;
    let other = http.send(http.request("GET", "/__admin/health")).await;
    drop(second);
    let exit = terminate(&mut child).await;

    // Assert
    assert!(
        first_closed.is_some(),
        "the client holding the most is still connected"
    );
    assert_eq!(other.status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn requests_past_max_requests_in_flight_get_503_until_one_ends() {
    // Arrange: `--max-requests 2`, and one h2 connection carrying two reads the mock holds
    // back for 30 s (`Prefer: latency`).
    let args = ["--port", "0", "--max-requests", "2"];
    let (mut child, url) = spawn(&args, Some("debug")).await;
    let mut log = Log::of(&mut child);
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();
    socket.write_all(&held_reads(&[1, 3])).await.unwrap();
    log.until(&format!("{} received", held_path()), 2).await;
    log.drain();
    let http = Http::at(&url);

    // Act
    let refused = http.create(&minimal()).await;
    socket
        .write_all(&frame(RST_STREAM, 0, 1, &CANCEL.to_be_bytes()))
        .await
        .unwrap();
    let after = status_once_not_busy(&http, || http.request("POST", CREATE).json(&minimal())).await;
    // The other held read ends with its connection, so that shutdown need not wait for it.
    drop(socket);
    let exit = terminate(&mut child).await;

    // Assert
    assert_busy(&refused, "at most 2 requests at once");
    assert_eq!(after, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn a_stream_past_the_hundred_a_connection_carries_is_refused() {
    // Arrange: 101 reads on one connection, each held back for 30 s (`Prefer: latency`).
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();
    let streams: Vec<u32> = (1..).step_by(2).take(101).collect();

    // Act
    socket.write_all(&held_reads(&streams)).await.unwrap();
    let received = read_frames_until(&mut socket, RST_STREAM, 1).await;
    drop(socket);
    let exit = terminate(&mut child).await;

    // Assert: the one reset is the last stream's, refused.
    let reset = frames(&received)
        .into_iter()
        .find(|(kind, _, _)| *kind == RST_STREAM)
        .unwrap();
    assert_eq!(reset.1, streams[100]);
    assert_eq!(reset.2, REFUSED_STREAM.to_be_bytes());
    assert!(exit.success());
}

#[tokio::test]
async fn requests_waiting_for_their_bodies_hold_at_most_16_mib_of_heads_and_past_it_get_503() {
    // Arrange: h2 clients that open 100 creates each, every one with a head of some 15 KB and
    // a body that never comes: more heads than the server holds at once.
    let held = mulerouter_kling_mock::standalone::MAX_HEAD_BYTES_HELD;
    let padding = "x".repeat(15_000);
    let fields = [
        ("authorization", "Bearer sk-mr-test"),
        ("x-padding", padding.as_str()),
    ];
    let block = request_block(METHOD_POST, CREATE, &fields);
    let connections = held / (100 * padding.len()) + 2;
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let mut sockets = Vec::new();
    for _ in 0..connections {
        let mut sent = hello();
        for stream in (1..).step_by(2).take(100) {
            sent.extend(frame(HEADERS, END_HEADERS, stream, &block));
        }
        let mut socket = TcpStream::connect(address(&url)).await.unwrap();
        socket.write_all(&sent).await.unwrap();
        sockets.push(socket);
    }

    // Act: the first answer on any connection (the requests the server holds get none, as
    // their bodies never come).
    let mut reading = tokio::task::JoinSet::new();
    for mut socket in sockets {
        reading.spawn(async move { read_frames_until(&mut socket, DATA, 1).await });
    }
    let first = reading.join_next().await.unwrap().unwrap();
    let http = Http::at(&url);
    let other = http.send(http.request("GET", "/__admin/health")).await;
    // Closing the connections ends the requests held, so that shutdown need not wait for them.
    reading.abort_all();
    while reading.join_next().await.is_some() {}
    let exit = terminate(&mut child).await;

    // Assert
    let body = frames(&first)
        .into_iter()
        .find(|(kind, _, _)| *kind == DATA)
        .unwrap()
        .2;
    let detail = String::from_utf8_lossy(&body);
    assert!(
        detail.contains("16 MiB of request heads waiting for their bodies"),
        "{detail}"
    );
    assert_eq!(other.status, 200);
    assert!(exit.success());
}
