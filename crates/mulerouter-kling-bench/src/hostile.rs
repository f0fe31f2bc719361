//! The standalone mock against hostile bodies, each sent to a fresh process: how long the
//! answer takes, the CPU time the mock spent on it, how much its peak memory grew, and how
//! long a valid create sent at the same time waited.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::http::{self, Request};
use crate::load::{CREATE_PATH, VALID};
use crate::targets::Server;
use crate::{cpu, procfs};

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

const HEADERS: &[(&str, &str)] = &[
    ("Authorization", "Bearer sk-mr-test"),
    ("Content-Type", "application/json"),
];

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
    Ok(vec![
        sent(
            mock,
            scratch,
            cpus,
            "a million empty elements (3 MB)",
            &million,
        )?,
        sent(mock, scratch, cpus, "a 30 MiB prompt", &long_prompt)?,
        declared_too_large(mock, scratch, cpus)?,
    ])
}

/// `send` run against a fresh mock, with the CPU time and peak memory growth it cost; it
/// answers the status and what a valid create sent meanwhile got.
fn against_fresh_mock(
    mock: &Path,
    scratch: &Path,
    cpus: Option<&str>,
    what: &'static str,
    send: impl FnOnce(SocketAddr) -> std::io::Result<(u16, Option<(u16, Duration)>)>,
) -> Result<Hostile, String> {
    let server = Server::mock(mock, "warn", &scratch.join("mock-hostile.log"), cpus)?;
    let pid = server.pid();
    let (peak, cpu_before) = (procfs::process_mib(pid, "VmHWM")?, cpu::process_time(pid));
    let started = Instant::now();
    let (status, neighbour) = send(server.address).map_err(|e| format!("{what}: {e}"))?;
    Ok(Hostile {
        what,
        status,
        answered_in: started.elapsed(),
        cpu: cpu::process_time(pid).saturating_sub(cpu_before),
        peak_growth_mib: procfs::process_mib(pid, "VmHWM")? - peak,
        neighbour,
    })
}

/// `body` as a create, with a valid create sent meanwhile on another connection.
fn sent(
    mock: &Path,
    scratch: &Path,
    cpus: Option<&str>,
    what: &'static str,
    body: &str,
) -> Result<Hostile, String> {
    let create = |body| Request {
        method: "POST",
        path: CREATE_PATH,
        headers: HEADERS,
        body,
    };
    against_fresh_mock(mock, scratch, cpus, what, |address| {
        let neighbour = std::thread::spawn(move || {
            // Sent once the hostile body is on its way.
            std::thread::sleep(Duration::from_millis(5));
            let started = Instant::now();
            http::send(address, &create(VALID))
                .ok()
                .map(|answer| (answer.status, started.elapsed()))
        });
        let answer = http::send(address, &create(body))?;
        Ok((answer.status, neighbour.join().ok().flatten()))
    })
}

/// A head announcing 40 MB and no body: the 413 must come without the upload.
fn declared_too_large(mock: &Path, scratch: &Path, cpus: Option<&str>) -> Result<Hostile, String> {
    let what = "Content-Length: 40 MB, no body sent";
    against_fresh_mock(mock, scratch, cpus, what, |address| {
        let mut stream = TcpStream::connect(address)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let head = format!(
            "POST {CREATE_PATH} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer sk-mr-test\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\n\r\n"
        );
        stream.write_all(head.as_bytes())?;
        let mut answer = [0; 12];
        stream.read_exact(&mut answer)?;
        let status = String::from_utf8_lossy(&answer[9..12]).parse().unwrap_or(0);
        Ok((status, None))
    })
}
