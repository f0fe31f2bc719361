//! Keeping wiremock's copies of requests bounded, without a gap in service.
//!
//! wiremock 0.6.5 pushes a clone of every request a mounted mock matches into that mock
//! (`MountedMock::matched_requests`), whether or not request recording is enabled; only
//! `MockServer::reset` drops them, and it also unmounts the mock. `reset` then `register`
//! take wiremock's lock twice, so a request arriving between the two would find no mock and
//! get wiremock's bare 404.
//!
//! The gap is closed using two properties of wiremock's server: it handles requests on one
//! thread, holding its write lock (a fair, FIFO `tokio::sync::RwLock`) while the responder
//! runs. When enough has been retained, a worker thread sends the server a request on a
//! secret path; the responder, holding the lock, parks that thread. The worker then queues
//! `reset` and `register` on the lock — no other request can queue in between, since the
//! only thread that could is parked — and lets the responder return. The lock passes to
//! `reset`, then to `register`, then to whatever arrived meanwhile, which finds the fresh
//! mock.
//!
//! wiremock counts resets in a `u16` (`MountedMockSet::generation`, `+= 1`): in a build with
//! overflow checks (the dev profile) the 65 536th reset panics, after emptying the mock set.
//! Release builds wrap harmlessly. So when this crate is built with debug assertions, the
//! interval between recycles doubles every [`STAGE`] recycles (at most 128 times the setting)
//! and recycling stops before the limit, with a warning: days at moderate load, or about two
//! billion requests at the default setting, before memory grows again.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long the parked responder and the worker wait for each other before giving up.
const HANDSHAKE: Duration = Duration::from_secs(5);

/// With debug assertions: recycles between two doublings of the interval.
const STAGE: u64 = 8_000;
/// With debug assertions: no reset after this many (wiremock's `u16` counter stops at 65 535).
const DEBUG_RESETS: u64 = 8 * STAGE;
const _: () = assert!(DEBUG_RESETS < 65_536);

/// Above this many bytes of retained requests wiremock's copies are dropped, whatever the
/// request count.
const RECYCLE_AFTER_BYTES: u64 = 16 * 1024 * 1024;

/// A wiremock responder served with wiremock's copies of the requests it answers kept
/// bounded: they are dropped every `every` requests (or 16 MiB of requests), without a moment
/// in which a request could find nothing mounted.
///
/// The mock serves its own responder this way. Any other responder can be served the same
/// way, e.g. a hand-written one that must run for days; `cargo xtask bench` serves bare
/// wiremock with it, so that the ceiling it measures pays what the mock pays. Dropping it
/// stops the recycling (the responder stays mounted).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use mulerouter_kling_mock::Recycling;
/// use wiremock::{MockServer, ResponseTemplate};
///
/// let server = Arc::new(MockServer::start().await);
/// let recycling = Recycling::mount(&server, ResponseTemplate::new(204), 1_000).await?;
/// // … serve millions of requests; memory stays flat.
/// assert_eq!(recycling.retained(), 0);
/// # Ok(()) }
/// ```
pub struct Recycling {
    // Fields drop in order: the worker holds the server and must stop first.
    recycler: Option<Recycler>,
    retention: Arc<Retention>,
}

impl std::fmt::Debug for Recycling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recycling")
            .field("retained", &self.retained())
            .field("recycles", &self.recycles())
            .finish_non_exhaustive()
    }
}

impl Recycling {
    /// Mounts `responder` on `server` for every request, and recycles every `every` requests
    /// (0: never, only counting them).
    pub async fn mount<R>(
        server: &Arc<MockServer>,
        responder: R,
        every: u64,
    ) -> std::io::Result<Self>
    where
        R: Respond + Clone + 'static,
    {
        let retention = Arc::new(Retention::new(every, RECYCLE_AFTER_BYTES));
        let wrapped = Recycled {
            inner: responder,
            retention: retention.clone(),
        };
        let mount = move || Mock::given(any()).respond_with(wrapped.clone());
        server.register(mount()).await;
        let address = reachable(*server.address());
        let recycler = if every > 0 {
            Some(Recycler::spawn(
                server.clone(),
                address,
                retention.clone(),
                mount,
            )?)
        } else {
            None
        };
        Ok(Self {
            recycler,
            retention,
        })
    }

    /// Requests wiremock holds a copy of now (since the last recycle).
    pub fn retained(&self) -> u64 {
        self.retention.retained()
    }

    /// How many times wiremock's copies were dropped.
    pub fn recycles(&self) -> u64 {
        self.retention.recycles()
    }

    /// Whether a worker is recycling (`every` was not 0).
    pub fn is_recycling(&self) -> bool {
        self.recycler.is_some()
    }
}

/// Where a server listening on `address` is reached from this machine: an unspecified
/// address (`0.0.0.0`, `::`) is reached on 127.0.0.1.
pub(crate) fn reachable(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}

/// The mounted responder: counts what wiremock keeps and takes the worker's hold request.
#[derive(Clone)]
struct Recycled<R> {
    inner: R,
    retention: Arc<Retention>,
}

impl<R: Respond> Respond for Recycled<R> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.retention.record(request);
        if self.retention.is_hold(request) {
            self.retention.hold();
            return ResponseTemplate::new(204);
        }
        self.inner.respond(request)
    }
}

/// Counts what wiremock holds on to and asks for a recycle when it is too much.
pub(crate) struct Retention {
    /// Recycle after this many requests; 0 never.
    max_requests: u64,
    /// Recycle after this many bytes of requests (bodies, headers, URLs).
    max_bytes: u64,
    requests: AtomicU64,
    bytes: AtomicU64,
    asked: AtomicBool,
    recycles: AtomicU64,
    wake: Mutex<Option<Sender<Signal>>>,
    hold_path: String,
    gate: Gate,
}

enum Signal {
    Recycle,
    Stop,
}

impl Retention {
    pub(crate) fn new(max_requests: u64, max_bytes: u64) -> Self {
        Self {
            max_requests,
            max_bytes,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            asked: AtomicBool::new(false),
            recycles: AtomicU64::new(0),
            wake: Mutex::new(None),
            hold_path: format!("/__mulerouter_mock/recycle/{}", uuid::Uuid::new_v4()),
            gate: Gate::default(),
        }
    }

    /// Notes a request wiremock is keeping a copy of.
    pub(crate) fn record(&self, request: &Request) {
        let size = request.body.len()
            + request.url.as_str().len()
            + request
                .headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len())
                .sum::<usize>();
        let requests = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = self.bytes.fetch_add(size as u64, Ordering::Relaxed) + size as u64;
        let due = self
            .stretch(self.recycles(), cfg!(debug_assertions))
            .is_some_and(|factor| {
                requests >= self.max_requests.saturating_mul(factor)
                    || bytes >= self.max_bytes.saturating_mul(factor)
            });
        if due && !self.asked.swap(true, Ordering::AcqRel) {
            let wake = self.wake.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(wake) = wake.as_ref() {
                let _ = wake.send(Signal::Recycle);
            }
        }
    }

    /// Whether this is the worker's request to park the server.
    pub(crate) fn is_hold(&self, request: &Request) -> bool {
        request.method.as_str() == "POST" && request.url.path() == self.hold_path
    }

    /// Parks wiremock's server thread (which holds its lock) until the worker has queued
    /// `reset` and `register`.
    pub(crate) fn hold(&self) {
        self.gate.set(Phase::Holding);
        self.gate.wait_for(Phase::Released, HANDSHAKE);
        self.gate.set(Phase::Idle);
    }

    /// Requests retained by wiremock now (since the last recycle).
    pub(crate) fn retained(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many times the retained requests were dropped.
    pub(crate) fn recycles(&self) -> u64 {
        self.recycles.load(Ordering::Relaxed)
    }

    /// How many times the configured interval applies after `done` recycles; `None` when no
    /// more recycling happens (disabled, or wiremock's reset counter would overflow).
    fn stretch(&self, done: u64, overflow_checks: bool) -> Option<u64> {
        if self.max_requests == 0 {
            None
        } else if !overflow_checks {
            Some(1)
        } else if done < DEBUG_RESETS {
            Some(1 << (done / STAGE))
        } else {
            None
        }
    }

    fn recycled(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        let done = self.recycles.fetch_add(1, Ordering::Relaxed) + 1;
        self.asked.store(false, Ordering::Release);
        if cfg!(debug_assertions) && done.is_multiple_of(STAGE) {
            match self.stretch(done, true) {
                Some(factor) => tracing::info!(
                    "debug build: recycling every {} requests from now on (wiremock allows 65 535 resets per server when built with overflow checks; use a release build for long runs)",
                    self.max_requests.saturating_mul(factor)
                ),
                None => tracing::warn!(
                    "debug build: stopped dropping wiremock's copies of requests after {done} recycles (wiremock's reset counter would overflow); memory now grows with every request. Use a release build for long runs."
                ),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Holding,
    Released,
}

struct Gate {
    phase: Mutex<Phase>,
    changed: Condvar,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            phase: Mutex::new(Phase::Idle),
            changed: Condvar::new(),
        }
    }
}

impl Gate {
    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_all();
    }

    /// Waits until the gate is in `phase`; false on timeout.
    fn wait_for(&self, phase: Phase, timeout: Duration) -> bool {
        let guard = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |current| *current != phase)
            .unwrap_or_else(PoisonError::into_inner);
        *guard == phase
    }
}

/// The worker thread; dropping it stops the worker.
pub(crate) struct Recycler {
    stop: Sender<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Recycler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recycler").finish_non_exhaustive()
    }
}

impl Recycler {
    /// Starts the worker for `server`, which answers at `address` with mocks from `mount`.
    pub(crate) fn spawn(
        server: Arc<MockServer>,
        address: SocketAddr,
        retention: Arc<Retention>,
        mount: impl Fn() -> Mock + Send + 'static,
    ) -> std::io::Result<Self> {
        let (wake, signals) = mpsc::channel();
        *retention
            .wake
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(wake.clone());
        // Its own runtime: a test that pauses tokio's clock or blocks its runtime cannot
        // stall recycling.
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        let thread = std::thread::Builder::new()
            .name("mulerouter-mock-recycler".into())
            .spawn(move || {
                while let Ok(Signal::Recycle) = signals.recv() {
                    recycle(&server, address, &retention, mount(), &runtime);
                }
            })?;
        Ok(Self {
            stop: wake,
            thread: Some(thread),
        })
    }
}

impl Drop for Recycler {
    fn drop(&mut self) {
        let _ = self.stop.send(Signal::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn recycle(
    server: &MockServer,
    address: SocketAddr,
    retention: &Retention,
    mock: Mock,
    runtime: &tokio::runtime::Runtime,
) {
    let give_up = |why: &str| {
        tracing::warn!("could not drop wiremock's retained requests: {why}");
        retention.asked.store(false, Ordering::Release);
    };
    let mut stream = match TcpStream::connect_timeout(&address, HANDSHAKE) {
        Ok(stream) => stream,
        Err(error) => return give_up(&error.to_string()),
    };
    let _ = stream.set_read_timeout(Some(HANDSHAKE * 2));
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        retention.hold_path
    );
    if let Err(error) = stream.write_all(request.as_bytes()) {
        return give_up(&error.to_string());
    }
    if !retention.gate.wait_for(Phase::Holding, HANDSHAKE) {
        return give_up("the server did not take the hold request");
    }
    runtime.block_on(async {
        let mut reset = pin!(server.reset());
        let mut register = pin!(server.register(mock));
        // One poll each queues both on wiremock's lock, in this order, while the server
        // thread is parked holding it.
        let (reset_done, register_done) = std::future::poll_fn(|cx| {
            let reset_done = reset.as_mut().poll(cx).is_ready();
            let register_done = register.as_mut().poll(cx).is_ready();
            Poll::Ready((reset_done, register_done))
        })
        .await;
        retention.gate.set(Phase::Released);
        if !reset_done {
            reset.await;
        }
        if !register_done {
            register.await;
        }
    });
    let _ = stream.read_to_end(&mut Vec::new());
    retention.recycled();
    tracing::debug!(
        recycles = retention.recycles(),
        "dropped wiremock's retained requests"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_overflow_checks_the_interval_doubles_per_stage_and_stops_before_wiremocks_limit() {
        let retention = Retention::new(1_000, 1 << 20);
        assert_eq!(retention.stretch(0, true), Some(1));
        assert_eq!(retention.stretch(STAGE - 1, true), Some(1));
        assert_eq!(retention.stretch(STAGE, true), Some(2));
        assert_eq!(retention.stretch(DEBUG_RESETS - 1, true), Some(128));
        assert_eq!(retention.stretch(DEBUG_RESETS, true), None);
    }

    #[test]
    fn without_overflow_checks_the_interval_stays_and_zero_disables() {
        assert_eq!(Retention::new(1_000, 1).stretch(1_000_000, false), Some(1));
        assert_eq!(Retention::new(0, 1).stretch(0, false), None);
    }
}
