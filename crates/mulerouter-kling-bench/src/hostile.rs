//! The standalone mock against hostile bodies, each sent to a fresh process: how long the
//! answer takes, the CPU time the mock spent on it, how much its peak memory grew, and how
//! long a valid create sent at the same time waited.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::load::{self, AUTHORIZATION, CREATE_PATH, VALID};
use crate::targets::Server;
use crate::{http, system};

/// One hostile body and what it cost.
#[derive(Debug, Clone)]
pub struct Hostile {
    pub what: &'static str,
    pub status: u16,
    pub answered_in: Duration,
    pub cpu: Duration,
    pub peak_growth_mib: f64,
    /// A valid create sent while the hostile body was being answered.
    pub neighbour: Option<(u16, Duration)>,
}

/// Every hostile body, each against a fresh mock.
pub fn measure(mock: &Path, scratch: &Path, cpus: Option<&str>) -> Result<Vec<Hostile>, String> {
    let million = format!(
        r#"{{"prompt":"p","video":"https://example.com/v.mp4","elements":[{}{{}}]}}"#,
        "{},".repeat(999_999)
    );
    let long_prompt = format!(
        r#"{{"prompt":"{}","video":"https://example.com/v.mp4"}}"#,
        "p".repeat(30 << 20)
    );
    let cases = [
        ("a million empty elements (3 MB)", Some(million)),
        ("a 30 MiB prompt", Some(long_prompt)),
        ("Content-Length: 40 MB, no body sent", None),
    ];
    let mut measured = Vec::new();
    for (what, body) in cases {
        let server = Server::mock(mock, "warn", &scratch.join("mock-hostile.log"), cpus)?;
        let (pid, to) = (server.pid(), server.address);
        let (peak_before, cpu_before) = (system::rss_mib(pid, true)?, system::process_time(pid));
        let started = Instant::now();
        let sent = body.map_or_else(|| declared_too_large(to), |body| with_neighbour(to, &body));
        let (status, neighbour) = sent.map_err(|e| format!("{what}: {e}"))?;
        measured.push(Hostile {
            what,
            status,
            answered_in: started.elapsed(),
            cpu: system::process_time(pid).saturating_sub(cpu_before),
            peak_growth_mib: system::rss_mib(pid, true)? - peak_before,
            neighbour,
        });
    }
    Ok(measured)
}

/// What a hostile request got: its status, and what a valid create sent meanwhile got.
type Sent = io::Result<(u16, Option<(u16, Duration)>)>;

/// `body` as a create, with a valid create sent meanwhile on another connection.
fn with_neighbour(address: SocketAddr, body: &str) -> Sent {
    let neighbour = std::thread::spawn(move || {
        // Sent once the hostile body is on its way.
        std::thread::sleep(Duration::from_millis(5));
        let started = Instant::now();
        let answer = http::send(address, &load::create(&VALID)).ok()?;
        Some((answer.status, started.elapsed()))
    });
    let answer = http::send(address, &load::create(body))?;
    Ok((answer.status, neighbour.join().ok().flatten()))
}

/// A head announcing 40 MB and no body: the 413 must come without the upload.
fn declared_too_large(address: SocketAddr) -> Sent {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let (name, value) = AUTHORIZATION;
    let head = format!(
        "POST {CREATE_PATH} HTTP/1.1\r\nHost: {address}\r\n{name}: {value}\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let mut answer = [0; 12];
    stream.read_exact(&mut answer)?;
    let status = String::from_utf8_lossy(&answer[9..12]).parse().unwrap_or(0);
    Ok((status, None))
}
