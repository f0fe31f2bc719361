//! The standalone mock against hostile bodies, each sent to a fresh process: how long the
//! answer takes, the CPU time the mock spent on it, how much its peak memory (resident and
//! reserved) grew, and how long a valid create sent at the same time waited.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::load::{self, AUTHORIZATION, CREATE_PATH, VALID};
use crate::targets::Server;
use crate::{http, system};

/// One hostile body and what it cost.
#[derive(Debug, Clone)]
pub struct Hostile {
    pub what: &'static str,
    /// `None` for bodies that are held, not answered, while they are measured.
    pub status: Option<u16>,
    pub answered_in: Duration,
    pub cpu: Duration,
    pub peak_growth_mib: f64,
    /// Growth of the most address space the process has reserved (`VmPeak`): memory asked
    /// for but never touched shows here and not in the resident peak.
    pub reserved_growth_mib: f64,
    /// A valid create sent while the hostile body was being answered.
    pub neighbour: Option<(u16, Duration)>,
}

/// How many bodies [`Case::Announced`] holds at once: within the mock's default cap of 1 024
/// connections, with room for the valid create sent meanwhile.
const HELD_BODIES: usize = 1000;

/// One hostile request, or many.
enum Case {
    /// A create with this body, sent whole.
    Whole(String),
    /// A create with this body, sent chunked one byte per chunk.
    ByteChunks(String),
    /// A head announcing 40 MB, and no body.
    DeclaredTooLarge,
    /// [`HELD_BODIES`] creates announcing 1 MB each and sending one byte, held open.
    Announced,
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
    let five_mb = format!(
        r#"{{"prompt":"{}","video":"https://example.com/v.mp4"}}"#,
        "p".repeat(5_000_000)
    );
    let cases = [
        ("a million empty elements (3 MB)", Case::Whole(million)),
        ("a 30 MiB prompt", Case::Whole(long_prompt)),
        (
            "Content-Length: 40 MB, no body sent",
            Case::DeclaredTooLarge,
        ),
        (
            "5 MB in 1-byte chunks (30 MB on the wire)",
            Case::ByteChunks(five_mb),
        ),
        (
            "1 000 bodies announcing 1 MB, 1 byte sent, held open",
            Case::Announced,
        ),
    ];
    let mut measured = Vec::new();
    for (what, case) in cases {
        let server = Server::mock(mock, "warn", &scratch.join("mock-hostile.log"), cpus)?;
        let (pid, to) = (server.pid(), server.address);
        let peak_before = system::rss_mib(pid, true)?;
        let reserved_before = system::reserved_peak_mib(pid)?;
        let cpu_before = system::process_time(pid);
        let started = Instant::now();
        let (status, neighbour) = match case {
            Case::Whole(body) => {
                with_neighbour(to, move || Ok(http::send(to, &load::create(&body))?.status))
            }
            Case::ByteChunks(body) => with_neighbour(to, move || in_byte_chunks(to, &body)),
            Case::DeclaredTooLarge => declared_too_large(to).map(|status| (Some(status), None)),
            Case::Announced => announced_and_held(to),
        }
        .map_err(|e| format!("{what}: {e}"))?;
        measured.push(Hostile {
            what,
            status,
            answered_in: started.elapsed(),
            cpu: system::process_time(pid).saturating_sub(cpu_before),
            peak_growth_mib: system::rss_mib(pid, true)? - peak_before,
            reserved_growth_mib: system::reserved_peak_mib(pid)? - reserved_before,
            neighbour,
        });
    }
    Ok(measured)
}

/// What a hostile request got (if anything), and what a valid create sent meanwhile got.
type Sent = io::Result<(Option<u16>, Option<(u16, Duration)>)>;

/// `hostile`'s answer, with a valid create sent meanwhile on another connection.
fn with_neighbour(address: SocketAddr, hostile: impl FnOnce() -> io::Result<u16>) -> Sent {
    let neighbour = std::thread::spawn(move || {
        // Sent once the hostile body is on its way.
        std::thread::sleep(Duration::from_millis(5));
        valid_create(address)
    });
    let status = hostile()?;
    Ok((Some(status), neighbour.join().ok().flatten()))
}

/// A valid create and how long its answer took.
fn valid_create(address: SocketAddr) -> Option<(u16, Duration)> {
    let started = Instant::now();
    let answer = http::send(address, &load::create(&VALID)).ok()?;
    Some((answer.status, started.elapsed()))
}

/// A create whose body comes chunked, one byte per chunk. The body is written from another
/// thread, so that an answer given before the end is read while the rest is still going out
/// (or refused: a write error once the mock has answered and closed is expected).
fn in_byte_chunks(address: SocketAddr, body: &str) -> io::Result<u16> {
    let mut stream = connect(address)?;
    let (name, value) = AUTHORIZATION;
    let mut request = format!(
        "POST {CREATE_PATH} HTTP/1.1\r\nHost: {address}\r\n{name}: {value}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for byte in body.bytes() {
        request.extend_from_slice(b"1\r\n");
        request.push(byte);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let mut writer = stream.try_clone()?;
    let writing = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let status = status_of(&mut stream);
    // Whatever the mock did not read is not sent.
    let _ = stream.shutdown(Shutdown::Both);
    let _ = writing.join();
    status
}

/// A head announcing 40 MB and no body: the 413 must come without the upload.
fn declared_too_large(address: SocketAddr) -> io::Result<u16> {
    let mut stream = connect(address)?;
    stream.write_all(&head(address, 40_000_000))?;
    status_of(&mut stream)
}

/// [`HELD_BODIES`] creates that each announce 1 MB and send the first byte, held open while
/// a valid create is sent, then dropped: what the mock reserves for bodies it was promised.
fn announced_and_held(address: SocketAddr) -> Sent {
    let mut held = Vec::with_capacity(HELD_BODIES);
    for _ in 0..HELD_BODIES {
        let mut stream = connect(address)?;
        let mut request = head(address, 1_000_000);
        request.push(b'{');
        stream.write_all(&request)?;
        held.push(stream);
    }
    // Gives the mock time to read every head and first byte; nothing is answered until the
    // body timeout, so there is no event to wait for instead.
    std::thread::sleep(Duration::from_secs(1));
    let neighbour = valid_create(address);
    drop(held);
    Ok((None, neighbour))
}

fn connect(address: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(stream)
}

/// The head of a create announcing `length` bytes of body.
fn head(address: SocketAddr, length: u64) -> Vec<u8> {
    let (name, value) = AUTHORIZATION;
    format!(
        "POST {CREATE_PATH} HTTP/1.1\r\nHost: {address}\r\n{name}: {value}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

/// The status of the answer read from `stream`.
fn status_of(stream: &mut TcpStream) -> io::Result<u16> {
    let mut answer = [0; 12];
    stream.read_exact(&mut answer)?;
    String::from_utf8_lossy(&answer[9..12])
        .parse()
        .map_err(|_| io::Error::other("not an HTTP status line"))
}
