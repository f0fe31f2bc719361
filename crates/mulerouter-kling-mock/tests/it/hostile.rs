//! The standalone binary against clients that misbehave: huge, stalled and cut bodies, huge
//! and slow heads, idle and excess connections, exhausted file descriptors, proxy-style
//! requests, transfer codings it does not apply, half-closed sockets and a shutdown with
//! requests in flight.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::binary::{
    Log, PATIENCE, address, assert_busy, spawn, spawn_with_address_space_limit,
    spawn_with_fd_limit, status_once_not_busy, terminate, terminate_with_logs,
};
use crate::common::{CREATE, Http, get_path, minimal};

/// The documented body limit.
const LIMIT: usize = mulerouter_kling_mock::document::MAX_BODY_BYTES;

/// A create's request head, announcing `length` bytes of JSON (or chunks, with `None`).
fn create_head(address: &str, length: Option<usize>) -> String {
    let framing = match length {
        Some(length) => format!("Content-Length: {length}"),
        None => "Transfer-Encoding: chunked".to_string(),
    };
    format!(
        "POST {CREATE} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer sk-mr-test\r\n\
         Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
}

/// Reads one HTTP/1.1 answer (head and a `Content-Length` body): status and body.
async fn read_answer(socket: &mut TcpStream) -> (u16, Value) {
    let mut reader = BufReader::new(socket);
    let mut status_line = String::new();
    tokio::time::timeout(PATIENCE, reader.read_line(&mut status_line))
        .await
        .expect("an answer in time")
        .unwrap();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {status_line:?}"));
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.unwrap();
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    (status, body)
}

/// Waits until the server closes the connection; panics if it sends anything else first.
async fn closed_by_server(socket: &mut TcpStream) {
    let mut byte = [0; 1];
    match tokio::time::timeout(PATIENCE, socket.read(&mut byte)).await {
        Ok(Ok(0) | Err(_)) => {}
        Ok(Ok(_)) => {
            let mut rest = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(1), socket.read_to_end(&mut rest)).await;
            let text = String::from_utf8_lossy(&rest);
            // A timeout may be answered 408 before the connection closes.
            assert!(
                text.contains(" 408 ") || text.starts_with("TTP/1.1 408"),
                "{text}"
            );
        }
        Err(_) => panic!("the connection stayed open"),
    }
}

#[tokio::test]
async fn a_declared_length_over_the_limit_gets_413_before_any_of_the_body_is_sent() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let mut socket = TcpStream::connect(&address).await.unwrap();

    // Act: the head alone, announcing 40 MB.
    socket
        .write_all(create_head(&address, Some(40_000_000)).as_bytes())
        .await
        .unwrap();
    let (status, body) = read_answer(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(status, 413);
    assert!(
        body["detail"].as_str().unwrap().contains("40000000"),
        "{body}"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_chunked_body_gets_413_once_it_crosses_the_limit_not_after_the_upload() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let socket = TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();

    // Act: offer twice the limit in 1 MiB chunks while reading the answer.
    let head = create_head(&address, None);
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
        let mut sent = 0;
        while sent < 2 * LIMIT {
            writer.write_all(chunk.as_bytes()).await?;
            sent += 1 << 20;
        }
        writer.write_all(b"0\r\n\r\n").await?;
        std::io::Result::Ok(sent)
    });
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(PATIENCE, reader.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let uploaded = upload.await.unwrap();
    let exit = terminate(&mut child).await;

    // Assert
    let text = String::from_utf8_lossy(&answer[..read]);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(
        uploaded.is_err(),
        "the server stopped reading and closed: the whole upload cannot go through"
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_body_in_tens_of_thousands_of_1_byte_chunks_gets_400_saying_to_send_larger_ones() {
    // Arrange: a valid create of 20 KB (an image in Base64), as 1-byte chunks and as one.
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let image = "A".repeat(20_000);
    let element = json!({"type": "image", "reference_images": [image]});
    let body = json!({"prompt": "x", "video": "https://example.com/a.mp4", "elements": [element]});
    let body = body.to_string();
    let tiny: String = body.chars().map(|c| format!("1\r\n{c}\r\n")).collect();
    let whole = format!("{:x}\r\n{body}\r\n", body.len());

    // Act
    let mut answers = Vec::new();
    for chunks in [tiny, whole] {
        let mut socket = TcpStream::connect(&address).await.unwrap();
        let request = format!("{}{chunks}0\r\n\r\n", create_head(&address, None));
        // Refused part-way, the rest may meet a closed socket.
        let _ = socket.write_all(request.as_bytes()).await;
        answers.push(read_answer(&mut socket).await);
    }
    let exit = terminate(&mut child).await;

    // Assert
    let (status, refusal) = &answers[0];
    assert_eq!(*status, 400, "{refusal}");
    let detail = refusal["detail"].as_str().unwrap();
    assert!(
        detail.contains("pieces of 1.0 bytes on average"),
        "{detail}"
    );
    assert!(detail.ends_with("send it in larger chunks"), "{detail}");
    let refusal = refusal.to_string();
    let shape =
        mulerouter_kling_mock::document::validate_response("POST", CREATE, 400, refusal.as_bytes());
    assert!(shape.is_ok(), "{shape:?}");
    assert_eq!(answers[1].0, 200, "{}", answers[1].1);
    assert!(exit.success());
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_after_the_body_timeout() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--body-timeout", "200ms"], None).await;
    let address = address(&url);
    let mut socket = TcpStream::connect(&address).await.unwrap();

    // Act: 100 bytes announced, one sent.
    socket
        .write_all(format!("{}{{", create_head(&address, Some(100))).as_bytes())
        .await
        .unwrap();
    let (status, body) = read_answer(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(status, 408);
    assert!(body["detail"].as_str().unwrap().contains("200ms"), "{body}");
    assert!(exit.success());
}

#[tokio::test]
async fn a_body_that_drips_just_fast_enough_to_beat_the_body_timeout_gets_408() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--body-timeout", "300ms"], None).await;
    let address = address(&url);
    let socket = TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();

    // Act: 1 000 bytes announced, one sent every 100 ms (the whole body would take 100 s).
    let head = create_head(&address, Some(1000));
    let drip = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        // Until the server hangs up.
        while writer.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::io::Result::Ok(())
    });
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(PATIENCE, reader.read(&mut answer))
        .await
        .expect("no answer while the body dripped")
        .unwrap();
    drip.abort();
    let exit = terminate(&mut child).await;

    // Assert
    let text = String::from_utf8_lossy(&answer[..read]);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(text.contains("slower than 1024 bytes/s"), "{text}");
    assert!(exit.success());
}

#[tokio::test]
async fn bodies_beyond_what_the_server_holds_at_once_get_503_with_retry_after() {
    // Arrange: five uploads of a byte short of the body limit each, more than the server
    // holds at once; none can finish, so only the budget can answer them.
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let body = std::sync::Arc::new(vec![b' '; LIMIT - 1]);
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();

    // Act
    let uploads: Vec<_> = (0..5)
        .map(|_| {
            let (address, body, answers) = (address.clone(), body.clone(), answers.clone());
            tokio::spawn(async move {
                let socket = TcpStream::connect(&address).await.unwrap();
                let (mut reader, mut writer) = socket.into_split();
                let head = create_head(&address, Some(LIMIT));
                let upload = async {
                    let _ = writer.write_all(head.as_bytes()).await;
                    let _ = writer.write_all(&body).await;
                    // Held open, a byte short, until the answer comes or the test ends.
                    std::future::pending::<()>().await;
                };
                let mut answer = vec![0; 4096];
                tokio::select! {
                    () = upload => {}
                    Ok(read @ 1..) = reader.read(&mut answer) => {
                        let _ = answers.send(String::from_utf8_lossy(&answer[..read]).into_owned());
                    }
                }
            })
        })
        .collect();
    let first = tokio::time::timeout(PATIENCE, answered.recv())
        .await
        .expect("no upload was refused")
        .unwrap();
    // The uploads still held hang up, so that the shutdown has nothing in flight to wait for.
    uploads.iter().for_each(|upload| upload.abort());
    let exit = terminate(&mut child).await;

    // Assert
    assert!(first.starts_with("HTTP/1.1 503 "), "{first}");
    assert!(
        first.to_ascii_lowercase().contains("retry-after: 1"),
        "{first}"
    );
    assert!(first.contains("128 MiB of request bodies"), "{first}");
    assert!(exit.success());
}

#[tokio::test]
async fn bodies_announced_and_never_sent_take_no_memory_for_themselves() {
    // Arrange: 256 MiB of address space for the whole process, and 400 creates that each
    // announce a body of 1 MB (400 MB together) and send its first byte only.
    let log = Some("mulerouter_kling_mock=debug");
    let (mut child, url) = spawn_with_address_space_limit(256 << 20, &["--port", "0"], log).await;
    let address = address(&url);
    let mut log = Log::of(&mut child);
    let mut held = Vec::new();
    for _ in 0..400 {
        // A process that dies of it refuses the rest; its log then says why.
        let Ok(mut socket) = TcpStream::connect(&address).await else {
            break;
        };
        let head = create_head(&address, Some(1_000_000));
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(b"{").await;
        held.push(socket);
    }

    // Act: once every one of them is being read, another create.
    log.until(&format!("POST {CREATE} received"), 400).await;
    let created = tokio::time::timeout(PATIENCE, Http::at(&url).create(&minimal()))
        .await
        .expect("a create is answered beside the announced bodies");
    log.drain();
    drop(held);
    let exit = terminate(&mut child).await;

    // Assert: reserving each announced length up front took 400 MB, and the process was
    // killed by its failed allocation.
    assert_eq!(created.status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn answers_held_back_on_purpose_do_not_hold_their_bodies_budget() {
    // Arrange: four whole uploads of a byte short of the body limit (the server's whole
    // budget), each answered 30 s late as it asks; then a fifth, answered at once.
    let (mut child, url) = spawn(&["--port", "0", "--drain-timeout", "100ms"], Some("info")).await;
    let mut log = Log::of(&mut child);
    let address = address(&url);
    let body = std::sync::Arc::new(vec![b' '; LIMIT - 1]);
    let send = |prefer: &'static str| {
        let (address, body) = (address.clone(), body.clone());
        async move {
            let mut socket = TcpStream::connect(&address).await.unwrap();
            let head = create_head(&address, Some(LIMIT - 1));
            let head = head.replacen("\r\n", &format!("\r\nPrefer: {prefer}\r\n"), 1);
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(&body).await.unwrap();
            socket
        }
    };
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(send("latency=30s").await);
    }
    // Each is answered by the core, then held back.
    log.until("(+30s latency)", 4).await;

    // Act
    let mut fifth = send("return=minimal").await;
    let (status, _) = read_answer(&mut fifth).await;
    log.drain();
    let exit = terminate(&mut child).await;

    // Assert: refused for its body (all spaces), not for a budget the held ones still took.
    assert_eq!(status, 400);
    assert!(exit.success());
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off_after_the_header_timeout() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--header-timeout", "200ms"], None).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();

    // Act
    socket
        .write_all(format!("GET {CREATE} HTTP/1.1\r\nHost: x\r\nX-Slow: ").as_bytes())
        .await
        .unwrap();
    closed_by_server(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert: reaching here means the server closed the connection.
    assert!(exit.success());
}

#[tokio::test]
async fn a_request_head_gets_431_as_soon_as_it_reaches_32_kib_and_a_smaller_one_is_served() {
    // Arrange: a head that never ends, cut at exactly the limit (so the server has read all
    // of it when it answers), under the default header timeout of 30 s; and, on another
    // connection, a whole head of 24 KiB.
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let address = address(&url);
    let mut endless = TcpStream::connect(&address).await.unwrap();
    let mut modest = TcpStream::connect(&address).await.unwrap();
    let start = "GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    let limit = mulerouter_kling_mock::standalone::MAX_HEAD_BYTES;
    let endless_head = format!("{start}{}", "a".repeat(limit - start.len()));
    let modest_head = format!("{start}{}\r\n\r\n", "a".repeat(24 * 1024));

    // Act
    endless.write_all(endless_head.as_bytes()).await.unwrap();
    let (over, _) = read_answer(&mut endless).await;
    closed_by_server(&mut endless).await;
    modest.write_all(modest_head.as_bytes()).await.unwrap();
    let (under, _) = read_answer(&mut modest).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert: hyper answers the 431 itself; the log still has it, like every answer.
    assert_eq!(over, 431);
    assert_eq!(under, 200);
    assert!(exit.success());
    assert!(
        logs.contains("-> 431 (its head is over 32768 bytes)"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_malformed_head_that_hyper_answers_400_itself_still_gets_its_log_line() {
    // Arrange: a space in a header name, which no server may take for a header.
    let (mut child, url) = spawn(&["--port", "0"], Some("info")).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();

    // Act
    let head = "GET /__admin/health HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    let (status, _) = read_answer(&mut socket).await;
    closed_by_server(&mut socket).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert_eq!(status, 400);
    assert!(exit.success());
    assert!(
        logs.contains("-> 400 (its head is malformed: invalid HTTP header parsed)"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_connection_that_never_starts_a_request_is_closed_after_the_header_timeout() {
    // Arrange: the idle timeout keeps its default (60 s); nothing is sent, so no request
    // head has started for hyper to time.
    let (mut child, url) = spawn(&["--port", "0", "--header-timeout", "200ms"], None).await;
    let mut socket = TcpStream::connect(address(&url)).await.unwrap();

    // Act
    closed_by_server(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert: reaching here means the server closed the connection.
    assert!(exit.success());
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--idle-timeout", "200ms"], None).await;
    let address = address(&url);
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let body = minimal().to_string();
    socket
        .write_all(format!("{}{body}", create_head(&address, Some(body.len()))).as_bytes())
        .await
        .unwrap();
    let (status, _) = read_answer(&mut socket).await;

    // Act: nothing more is sent.
    closed_by_server(&mut socket).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn connections_past_the_cap_get_503_and_a_freed_slot_serves_again() {
    // Arrange: two connections take both slots.
    let (mut child, url) = spawn(&["--port", "0", "--max-connections", "2"], Some("info")).await;
    let address = address(&url);
    let holders = [
        TcpStream::connect(&address).await.unwrap(),
        TcpStream::connect(&address).await.unwrap(),
    ];

    // Act: an HTTP client's create gets the 503 as the answer to its request (checked
    // against the document like every answer), not as bytes before it.
    let http = Http::at(&url);
    let refused = http.create(&minimal()).await;
    drop(holders);
    let after = status_once_not_busy(&http, || http.request("POST", CREATE).json(&minimal())).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert: the refusal is logged like every answer, with its trace id.
    assert_busy(&refused, "at most 2 connections");
    assert_eq!(after, 200);
    assert!(exit.success());
    let refusal = format!("POST {CREATE} -> 503 (over --max-connections 2)");
    let line = logs.lines().find(|line| line.contains(&refusal));
    assert!(
        line.is_some_and(|line| line.contains("trace_id=")),
        "{logs}"
    );
}

#[tokio::test]
async fn a_head_past_the_connection_cap_gets_431_at_32_kib_like_any_other() {
    // Arrange: one connection takes the only slot; another, past the cap, sends a head that
    // never ends, cut at exactly the limit (so the server has read all of it when it answers).
    let (mut child, url) = spawn(&["--port", "0", "--max-connections", "1"], Some("info")).await;
    let address = address(&url);
    let _holder = TcpStream::connect(&address).await.unwrap();
    let mut endless = TcpStream::connect(&address).await.unwrap();
    let start = "GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    let limit = mulerouter_kling_mock::standalone::MAX_HEAD_BYTES;
    let endless_head = format!("{start}{}", "a".repeat(limit - start.len()));

    // Act
    endless.write_all(endless_head.as_bytes()).await.unwrap();
    let (status, _) = read_answer(&mut endless).await;
    closed_by_server(&mut endless).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert: refused and logged like a head within the cap.
    assert_eq!(status, 431);
    assert!(exit.success());
    assert!(logs.contains("-> 431 (its head is over"), "{logs}");
}

#[tokio::test]
async fn a_connection_past_the_cap_that_sends_nothing_is_closed_and_logged() {
    // Arrange: one connection takes the only slot; another, past the cap, stays silent.
    let (mut child, url) = spawn(&["--port", "0", "--max-connections", "1"], Some("info")).await;
    let address = address(&url);
    let _holder = TcpStream::connect(&address).await.unwrap();
    let mut silent = TcpStream::connect(&address).await.unwrap();

    // Act
    closed_by_server(&mut silent).await;
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    assert!(exit.success());
    assert!(
        logs.contains(
            "past --max-connections 1 sent no request within 1s; closed without an answer"
        ),
        "{logs}"
    );
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_says_so_once_and_accepts_again_once_some_free_up() {
    // Arrange: 40 descriptors, of which the runtime and the listener take about a dozen.
    let (mut child, url) = spawn_with_fd_limit(40, &["--port", "0"], Some("warn")).await;
    let address = address(&url);
    let mut held = Vec::new();
    for _ in 0..80 {
        held.push(TcpStream::connect(&address).await.unwrap());
    }
    let mut log = Log::of(&mut child);
    log.until("cannot accept connections", 1).await;

    // Act
    drop(held);
    let http = Http::at(&url);
    let created = tokio::time::timeout(PATIENCE, http.create(&minimal()))
        .await
        .expect("a create is answered once descriptors are free");
    log.until("accepting connections again", 1).await;
    let logs = log.text;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(created.status, 200);
    assert_eq!(
        logs.matches("cannot accept connections").count(),
        1,
        "{logs}"
    );
    assert!(logs.contains("Too many open files"), "{logs}");
    assert!(exit.success());
}

#[tokio::test]
async fn sigterm_answers_every_request_in_flight_and_exits_0() {
    // Arrange: sixteen creates, each held back 500 ms by the mock.
    let (mut child, url) = spawn(
        &["--port", "0", "--latency", "500ms"],
        Some("mulerouter_kling_mock::standalone=debug,info"),
    )
    .await;
    let creates: Vec<_> = (0..16)
        .map(|_| {
            let http = Http::at(&url);
            tokio::spawn(async move { http.create(&minimal()).await.status })
        })
        .collect();
    let mut received = 0;
    let stderr = child.stderr.as_mut().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    while received < 16 {
        let line = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("the log goes on until every create has arrived");
        received += usize::from(line.contains(&format!("POST {CREATE} received")));
    }

    // Act
    let exit = terminate(&mut child).await;
    let mut statuses = Vec::new();
    for create in creates {
        statuses.push(create.await.unwrap());
    }

    // Assert
    assert!(exit.success(), "{exit:?}");
    assert_eq!(statuses, [200; 16]);
}

#[tokio::test]
async fn a_client_that_half_closes_after_its_request_still_gets_the_answer() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let body = minimal().to_string();
    let request = format!("{}{body}", create_head(&address, Some(body.len())));

    // Act: fifty times, send the request and shut the sending side.
    let mut statuses = Vec::new();
    for _ in 0..50 {
        let mut socket = TcpStream::connect(&address).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        socket.shutdown().await.unwrap();
        statuses.push(read_answer(&mut socket).await.0);
    }
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(statuses, [200; 50]);
    assert!(exit.success());
}

#[tokio::test]
async fn connect_absolute_targets_and_unknown_methods_get_a_4xx_in_the_error_shape() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], Some("warn")).await;
    let address = address(&url);
    let requests = [
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n".to_string(),
        format!(
            "GET http://example.com{} HTTP/1.1\r\nHost: example.com\r\n\r\n",
            get_path("x")
        ),
        format!("BREW {CREATE} HTTP/1.1\r\nHost: {address}\r\n\r\n"),
    ];

    // Act
    let mut answers = Vec::new();
    for request in &requests {
        let mut socket = TcpStream::connect(&address).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        answers.push(read_answer(&mut socket).await);
    }
    let (exit, logs) = terminate_with_logs(&mut child).await;

    // Assert
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [400, 400, 405]);
    for (_, body) in &answers {
        assert!(body["detail"].is_string(), "{body}");
    }
    assert!(
        answers[0].1["detail"]
            .as_str()
            .unwrap()
            .contains("not a proxy")
    );
    assert!(!logs.contains("panicked"), "{logs}");
    assert!(exit.success());
}

#[tokio::test]
async fn head_on_the_task_route_answers_like_get_without_a_body() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0", "--timing", "manual"], None).await;
    let http = Http::at(&url);
    let id = http.create(&minimal()).await.json()["task_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Act
    let head = http.send(http.request("HEAD", &get_path(&id))).await;
    let get = http.get(&id).await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!((head.status, get.status), (200, 200));
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length").unwrap(),
        get.body.len().to_string()
    );
    assert!(exit.success());
}

#[tokio::test]
async fn a_million_empty_elements_are_checked_up_to_the_limit_and_others_are_answered_meanwhile() {
    // Arrange
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let http = Http::at(&url);
    let mut hostile = minimal();
    hostile["elements"] = Value::Array(vec![json!({}); 1_000_000]);

    // Act
    let valid = minimal();
    let (rejected, created) = tokio::join!(http.create(&hostile), http.create(&valid));
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(rejected.status, 400);
    let violations = rejected.violations();
    assert_eq!(violations.len(), 5, "{violations:?}");
    assert_eq!(
        violations[0],
        ("/elements".to_string(), "maxItems".to_string())
    );
    assert!(
        violations[1..].iter().all(|(_, rule)| rule == "required"),
        "{violations:?}"
    );
    assert_eq!(created.status, 200);
    assert!(exit.success());
}

#[tokio::test]
async fn a_body_in_a_transfer_coding_other_than_chunked_gets_415_naming_it_and_creates_nothing() {
    // Arrange: the body is plain JSON, but the client says it gzipped it before chunking.
    let (mut child, url) = spawn(&["--port", "0"], None).await;
    let address = address(&url);
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let body = minimal().to_string();
    let head = create_head(&address, None).replace(
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: gzip, chunked",
    );

    // Act
    let request = format!("{head}{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    socket.write_all(request.as_bytes()).await.unwrap();
    let (status, answer) = read_answer(&mut socket).await;
    let health = Http::at(&url)
        .send(Http::at(&url).request("GET", "/__admin/health"))
        .await;
    let exit = terminate(&mut child).await;

    // Assert
    assert_eq!(status, 415);
    assert_eq!(
        answer["detail"],
        "Transfer-Encoding \"gzip, chunked\" is not accepted: send the JSON body uncompressed (chunked alone is fine)"
    );
    assert_eq!(health.json()["tasks"], 0);
    assert!(exit.success());
}
