//! The core served on hyper: what the `mulerouter-kling-mock` binary runs, built to stay up
//! for hours in front of clients that misbehave.
//!
//! - **HTTP/1.1 and h2c** on one port (HTTP/2 with prior knowledge, told apart by its
//!   preface), on the multi-threaded runtime the caller provides. A large body (64 KiB and
//!   more) is validated on the blocking pool, so a heavy request never holds up the light
//!   ones; large bodies take turns, as reading a body's JSON can take some twenty times its
//!   size in memory (a 32 MiB body of `[]`s: 700 MB), and four at once took gigabytes.
//! - **Bodies are read under limits**: a `Content-Length` over
//!   [`MAX_BODY_BYTES`] gets 413 before a byte of the body
//!   is read; a chunked body gets 413 as soon as it crosses the limit, so no request holds
//!   more than the limit; a body that sends nothing for [`Settings::body_timeout`], or
//!   arrives slower than [`MIN_BODY_BYTES_PER_SECOND`] on average after that long, gets 408;
//!   one in more pieces than [`BODY_PIECES_TAKEN_ANYWAY`] plus one per
//!   [`MIN_BYTES_PER_BODY_PIECE`] gets 400.
//!   All bodies being received hold at most [`MAX_BODY_BYTES_HELD`] together; past it a body
//!   gets 503 with `Retry-After: 1`. Each closes its connection. A body's buffer grows only as
//!   its bytes arrive (a declared length reserves nothing), and what it holds is counted.
//! - **Heads waiting for their bodies are bounded**: a request whose body is still to come
//!   holds its head until the body is read, and h2 lets a client open 100 such requests on
//!   each connection. Their heads hold at most [`MAX_HEAD_BYTES_HELD`] together; past it
//!   such a request gets 503 with `Retry-After: 1` at once.
//! - **Unread answers are bounded**: an answer's bytes count, for the server and for the
//!   connection that asked, until they are written to the socket (on h2, as the client's
//!   flow-control window allows); once more than [`MAX_UNSENT_ANSWER_BYTES`] wait, the
//!   connection holding the most is closed, which drops what it holds, so a client that
//!   stops reading cannot lock the others out.
//! - **Heads are small**: an HTTP/1.1 request head over [`MAX_HEAD_BYTES`] gets 431 (h2: a
//!   header list over [`MAX_HEADER_LIST_BYTES`]), so a connection holds little while its head
//!   arrives, past the connection cap too.
//! - **Slow and idle clients go**: on HTTP/1.1 a request head must arrive within
//!   [`Settings::header_timeout`] (this also bounds how long a kept-alive connection waits
//!   for its next request); a new connection that has not started a request within it, on
//!   any protocol, is closed; so is a connection with no request in flight for
//!   [`Settings::idle_timeout`]. On h2 closing is a GOAWAY: a peer still connected
//!   [`Settings::header_timeout`] later with nothing in flight (silent, not reading its
//!   answer, or stuck in a request head) is dropped.
//! - **A cap on connections and requests**: past [`Settings::max_connections`], a new
//!   connection is answered 503 with `Retry-After: 1` and closed; past
//!   [`Settings::max_requests`] in flight, a new request gets the same 503. An h2 connection
//!   carries at most [`MAX_STREAMS_PER_CONNECTION`] requests at once; a stream past them is
//!   refused (`REFUSED_STREAM`).
//! - **Accept errors are survived**: when accepting fails (`EMFILE`: out of file
//!   descriptors), the server says so once, retries with a growing pause (10 ms to 1 s) and
//!   says when it accepts again.
//! - **Shutdown drains**: once `shutdown` completes, nothing new is accepted, idle
//!   connections close (an h2 peer that ignores GOAWAY is dropped a second later), and
//!   every request in flight is answered, for up to [`Settings::drain_timeout`].
//! - A client that half-closes its side after sending a request still gets the answer.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONNECTION;
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, SemaphorePermit, watch};

use crate::MockCore;
use crate::admin::PeerAddr;
use crate::document::MAX_BODY_BYTES;
use crate::reply::{Reply, Trace};
use crate::text::for_log;

mod body;
mod unsent;

use body::read_body;
use unsent::{Account, Closing, Unsent};

/// How the standalone server treats its clients. The defaults suit a mock that runs for
/// days beside other people's tests.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long an HTTP/1.1 request head may take to arrive, how long a new connection may
    /// take to start its first request, and how long a connection asked to close (idle, or
    /// at shutdown) may take to do so before it is dropped (default 30 s).
    pub header_timeout: Duration,
    /// How long a request body may send nothing before it is answered 408 (default 30 s).
    pub body_timeout: Duration,
    /// How long a connection may stay open with no request in flight (default 60 s).
    pub idle_timeout: Duration,
    /// The most connections served at once (default 1 024).
    pub max_connections: usize,
    /// The most requests in flight at once, over every connection (default 10 000): on h2
    /// one connection may carry 100, and each request held (a `Prefer: latency`, a slow body)
    /// costs a few KiB.
    pub max_requests: usize,
    /// How long shutdown waits for requests in flight (default 10 s).
    pub drain_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_requests: 10_000,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// How a [`serve`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drained {
    /// Connections still open when the drain timeout ran out (0: every answer was sent).
    pub abandoned: usize,
}

/// Request-body bytes held at once by the whole server. Each request may send up to
/// [`MAX_BODY_BYTES`], but a thousand connections, or 100 streams of one h2 connection, doing
/// so at once would hold gigabytes: past this budget a body is answered 503 with
/// `Retry-After: 1` instead.
pub const MAX_BODY_BYTES_HELD: usize = 4 * MAX_BODY_BYTES;

/// Answer bytes the whole server holds that are not written to their sockets yet: an h2
/// client that opens 100 streams with a flow-control window of 0 and reads nothing keeps
/// every answer it asked for. Once more than this is held, the connection holding the most
/// is closed (and its answers dropped), whichever connection's answer went over. Eight
/// times the largest answer the mock makes (a read of the journal, at most
/// [`MAX_JOURNAL_ANSWER_BYTES`](crate::MAX_JOURNAL_ANSWER_BYTES)), so that no single answer
/// closes the connection it is for.
pub const MAX_UNSENT_ANSWER_BYTES: usize = 2 * MAX_BODY_BYTES;
const _: () = assert!(MAX_UNSENT_ANSWER_BYTES >= 8 * crate::MAX_JOURNAL_ANSWER_BYTES);

/// Request-head bytes that requests whose bodies are still to come hold together, each head
/// counted as HTTP/2 counts a header list (every field's name and value and 32 bytes). A head
/// is held until its body is read, for [`Settings::body_timeout`] or longer, and h2 lets a
/// client open 100 such requests on each connection: 100 clients that opened 100 each, with
/// heads of nearly 16 KiB and bodies that never came, held 356 MiB (a head costs about twice
/// its size), while their bodies' budget held nothing. Past this budget such a request is
/// answered 503 with `Retry-After: 1` before its body is read; 10 000 requests
/// (`--max-requests`) with 1 KiB heads fit.
pub const MAX_HEAD_BYTES_HELD: usize = 16 << 20;

/// The largest header list an h2 request may send, as HTTP/2 counts it (each field's name and
/// value and 32 bytes); the client is told in its SETTINGS, and a larger one gets 431 (a much
/// larger one, a GOAWAY). hyper's default, set here so that it stays what these docs say.
pub const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

/// The slowest a body may arrive, on average, once [`Settings::body_timeout`] has passed
/// since it started: a client that sends a byte just often enough to beat the timeout
/// would otherwise hold its request, and its connection's slot, for as long as it likes.
pub const MIN_BODY_BYTES_PER_SECOND: u64 = 1024;

/// The pieces (HTTP/1.1 chunks, h2 DATA frames, reads of a body written a few bytes at a
/// time) a body may arrive in whatever their size; past them, each further piece must bring
/// [`MIN_BYTES_PER_BODY_PIECE`] on average. Every piece costs about a microsecond of the
/// server's time however small it is, so a body of 1-byte chunks within the limit (32
/// million of them) would take half a minute of CPU. Enough that a create with both texts
/// at their 2 500 characters and a few long URLs (some 13 KB) is taken even when its client
/// writes it byte by byte.
pub const BODY_PIECES_TAKEN_ANYWAY: usize = 16 * 1024;

/// See [`BODY_PIECES_TAKEN_ANYWAY`]: a 32 MiB body may come in at most about 148 000 pieces.
pub const MIN_BYTES_PER_BODY_PIECE: usize = 256;

/// The longest a connection with nothing in flight stays open once shutdown has begun.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The most an HTTP/1.1 request head may take (request line and headers), which is also the
/// most hyper buffers for a connection's reads: hyper's default, about 400 KiB, let 1 000
/// clients that each send most of a huge head hold 394 MiB. Over it: 431, and the connection
/// closes. h2 limits a head to 16 KiB by default.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// The most requests one h2 connection carries at once; the client is told in its SETTINGS,
/// and a stream past it is refused before the mock sees it. Each request costs a few KiB
/// until it is answered: hyper's default of 200 let 500 connections hold 368 MiB.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 100;

/// Bodies at least this large are validated on the blocking pool, one at a time.
const HEAVY_BODY_BYTES: usize = 64 * 1024;

/// Serves `core` on `listener` until `shutdown` completes, then drains (see the module docs).
pub async fn serve(
    listener: TcpListener,
    core: MockCore,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    let settings = Arc::new(settings);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .half_close(true)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .max_header_list_size(MAX_HEADER_LIST_BYTES);
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let limits = Arc::new(Limits {
        bodies: Semaphore::new(MAX_BODY_BYTES_HELD),
        heads: Semaphore::new(MAX_HEAD_BYTES_HELD),
        unsent: Unsent::new(MAX_UNSENT_ANSWER_BYTES),
        requests: AtomicUsize::new(0),
        heavy: Arc::new(Semaphore::new(1)),
    });
    let (stop, stopping) = watch::channel(false);
    let mut failures = AcceptFailures::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                failures.recovered();
                let _ = stream.set_nodelay(true);
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        let connection = Connection {
                            limits: limits.clone(),
                            core: core.clone(),
                            settings: settings.clone(),
                            builder: builder.clone(),
                            stopping: stopping.clone(),
                        };
                        tokio::spawn(async move {
                            connection.run(stream, peer).await;
                            drop(slot);
                        });
                    }
                    Err(_) => {
                        tokio::spawn(refuse_over_cap(stream, peer, settings.max_connections));
                    }
                }
            }
            Err(error) => {
                let pause = failures.failed(&error);
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(settings.max_connections).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(settings.drain_timeout, slots.acquire_many(all)).await;
    Drained {
        abandoned: match drained {
            Ok(_) => 0,
            Err(_) => settings.max_connections - slots.available_permits(),
        },
    }
}

/// Accept errors in a row: logged once when they start and once when they end.
#[derive(Debug, Default)]
struct AcceptFailures {
    count: u64,
}

impl AcceptFailures {
    const FIRST_PAUSE: Duration = Duration::from_millis(10);
    const MAX_PAUSE: Duration = Duration::from_secs(1);

    /// Notes a failure; the pause before the next try.
    fn failed(&mut self, error: &io::Error) -> Duration {
        if self.count == 0 {
            tracing::warn!(
                "cannot accept connections: {error}; retrying until it works again (out of file descriptors? see `ulimit -n` and --max-connections)"
            );
        }
        self.count += 1;
        let doublings = u32::try_from(self.count.min(8)).unwrap_or(8) - 1;
        (Self::FIRST_PAUSE * 2u32.pow(doublings)).min(Self::MAX_PAUSE)
    }

    fn recovered(&mut self) {
        if self.count > 0 {
            tracing::warn!(
                "accepting connections again after {} failed accepts",
                self.count
            );
            self.count = 0;
        }
    }
}

/// How long a connection past the cap may take to send its request, and then its body.
const REFUSAL_PATIENCE: Duration = Duration::from_secs(1);

/// Past the cap: the request is read and answered 503 in the documented error shape (with
/// `Retry-After: 1` and a trace header, like every answer), then the connection closes.
///
/// The request is read first because a client that gets an answer before it has sent its
/// request takes it for a broken connection (hyper: "unexpected message"), not for a 503 it
/// can retry; its body is read and dropped, within [`REFUSAL_PATIENCE`], so that closing
/// does not reset the connection under the answer. A head over [`MAX_HEAD_BYTES`] gets 431.
/// HTTP/1.1 only: a client past the cap that starts with the h2 preface gets its connection
/// closed.
async fn refuse_over_cap(stream: TcpStream, peer: SocketAddr, cap: usize) {
    // Whether a request was answered (and logged) by the service.
    let answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answering = answered.clone();
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        answering.store(true, Ordering::Relaxed);
        async move {
            let head_only = request.method() == http::Method::HEAD;
            let (parts, mut body) = request.into_parts();
            let _ = tokio::time::timeout(REFUSAL_PATIENCE, async {
                while let Some(Ok(_)) = body.frame().await {}
            })
            .await;
            let reply = at_limit(&format!(
                "serves at most {cap} connections at once (--max-connections)"
            ));
            let trace = logged_refusal(&parts, 503, format_args!("over --max-connections {cap}"));
            Ok::<_, Infallible>(closing(reply, head_only, &trace))
        }
    });
    // The head is held to the same limit as a served one's: nothing caps how many
    // connections are refused at once, and hyper's default buffer let each hold 400 KiB.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_PATIENCE)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let ended = tokio::time::timeout(REFUSAL_PATIENCE * 3, connection).await;
    if answered.load(Ordering::Relaxed) {
        return;
    }
    // Refused without reaching the service: each refusal still gets its log line.
    match ended {
        // 431 and 400, which hyper answers itself.
        Ok(Err(error)) if error.is_parse() => log_connection_end(peer, &error),
        _ => tracing::info!(
            "a connection from {peer} past --max-connections {cap} sent no request within {REFUSAL_PATIENCE:?}; closed without an answer"
        ),
    }
}

/// The trace of an answer the transport gives itself (a limit, a refused body), logged as the
/// core logs its answers: method, path, status, why, and the trace id sent back.
fn logged_refusal(
    parts: &http::request::Parts,
    status: u16,
    why: std::fmt::Arguments<'_>,
) -> Trace {
    let trace = Trace::for_request(&parts.headers);
    tracing::info!(
        trace_id = trace.trace_id(),
        "{} {} -> {status} ({why})",
        parts.method,
        for_log(parts.uri.path(), 200)
    );
    trace
}

/// A connection that ended in an error: at debug (a client hanging up is no news), but a
/// request head that hyper answers itself before the core sees a request, 431 when it is
/// over [`MAX_HEAD_BYTES`] and 400 when it is malformed (a bad byte in a header name, two
/// `Content-Length`s, a folded header), at info like every other answer: its client gets no
/// more than the status, so the log is where the reason is.
fn log_connection_end(peer: SocketAddr, error: &(dyn std::error::Error + 'static)) {
    match error.downcast_ref::<hyper::Error>() {
        Some(error) if error.is_parse_too_large() => tracing::info!(
            "a request from {peer} -> 431 (its head is over {MAX_HEAD_BYTES} bytes); connection closed"
        ),
        Some(error) if error.is_parse() => tracing::info!(
            "a request from {peer} -> 400 (its head is malformed: {error}); connection closed"
        ),
        _ => tracing::debug!("connection from {peer} ended: {error}"),
    }
}

/// The 503 of a server at one of its limits, in the documented error shape, saying which
/// (`what` completes "the mock …") and when to retry (`Retry-After: 1`).
pub(crate) fn at_limit(what: &str) -> Reply {
    let detail = format!("Service Unavailable: the mock {what}; retry shortly");
    Reply::detail(503, detail).header("retry-after", "1")
}

/// `reply` as an answer after which the connection closes (a refused request: what else it
/// sent is not read).
fn closing(reply: Reply, head_only: bool, trace: &Trace) -> http::Response<Full<Bytes>> {
    let mut response = reply.into_traced_response(head_only, trace);
    response
        .headers_mut()
        .insert(CONNECTION, http::HeaderValue::from_static("close"));
    response.map(Full::new)
}

/// What the whole server holds for its clients, and its limits.
struct Limits {
    /// The budget of request-body bytes being received, a permit per byte held.
    bodies: Semaphore,
    /// The budget of head bytes held by requests whose bodies are still to come.
    heads: Semaphore,
    /// Answer bytes not yet taken by their clients.
    unsent: Unsent,
    /// Requests in flight.
    requests: AtomicUsize,
    /// The one large body being validated: what a body's JSON takes in memory while it is
    /// read can be twenty times its size, so large bodies take turns.
    heavy: Arc<Semaphore>,
}

/// A request counted among those in flight while it lives.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    /// Counts a request in; how many are in flight with it.
    fn enter(requests: &'a AtomicUsize) -> (Self, usize) {
        (Self(requests), requests.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One accepted connection and what it needs.
struct Connection {
    limits: Arc<Limits>,
    core: MockCore,
    settings: Arc<Settings>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    stopping: watch::Receiver<bool>,
}

/// When a connection last had something to do, for the idle timeout.
struct Activity {
    started: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `started` of the last request's end; [`Activity::NONE_YET`] until
    /// one has ended.
    last: AtomicU64,
}

impl Activity {
    const NONE_YET: u64 = u64::MAX;

    fn touch(&self) {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(elapsed, Ordering::Relaxed);
    }

    /// When the connection goes idle unless something happens: `idle` after the last
    /// request ended, or after now while one is in flight. Before its first request a
    /// connection gets `first` at most: one that sends nothing, or stops inside the h2
    /// preface, has not started a request head, so hyper's header timeout does not see it.
    fn idle_at(&self, idle: Duration, first: Duration) -> tokio::time::Instant {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return tokio::time::Instant::now() + idle;
        }
        let since_start = match self.last.load(Ordering::Relaxed) {
            Self::NONE_YET => first.min(idle),
            last => Duration::from_millis(last) + idle,
        };
        tokio::time::Instant::from_std(self.started + since_start)
    }
}

/// One request in flight on a connection: while it lives, the connection is not idle.
///
/// A guard rather than a decrement after the answer: hyper drops the request's future when
/// an h2 client resets its stream, and the count must go down then too, or the connection
/// would never be idle again and would keep its slot for good. The clock is read when the
/// request ends (one read per request, not two).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let account = Arc::new(self.limits.unsent.open(peer));
        let activity = Arc::new(Activity {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last: AtomicU64::new(Activity::NONE_YET),
        });
        let service = {
            let (core, settings, limits, activity, account) = (
                self.core.clone(),
                self.settings.clone(),
                self.limits.clone(),
                activity.clone(),
                account.clone(),
            );
            hyper::service::service_fn(move |request| {
                let (core, settings, limits, activity, account) = (
                    core.clone(),
                    settings.clone(),
                    limits.clone(),
                    activity.clone(),
                    account.clone(),
                );
                async move {
                    let _in_flight = InFlight::enter(activity);
                    let on = On {
                        core: &core,
                        settings: &settings,
                        limits: &limits,
                        account: &account,
                        peer,
                    };
                    respond(on, request).await
                }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        // A connection asked to close gets `header_timeout` to do so: on HTTP/1.1 an idle one
        // closes at once, but on h2 hyper sends GOAWAY and a PING and waits for the peer, so
        // a peer that stays silent, or stopped reading an answer, would keep its slot forever.
        let grace = self.settings.header_timeout;
        // At shutdown at most a second: the drain waits for answers, not for peers that
        // ignore GOAWAY.
        let stop_grace = grace.min(SHUTDOWN_GRACE);
        // Idle: `idle_timeout` after the last request, and before the first one `grace` too.
        let idle = self.settings.idle_timeout;
        let mut give_up_at = None;
        if *self.stopping.borrow() {
            connection.as_mut().graceful_shutdown();
            give_up_at = Some(tokio::time::Instant::now() + stop_grace);
        }
        loop {
            let idle_at = activity.idle_at(idle, grace);
            let closing = give_up_at.is_some();
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        log_connection_end(peer, &*error);
                    }
                    return;
                }
                // Past the server's budget of unread answers, and this connection holds the
                // most: dropping it drops them.
                () = account.told_to_close() => {
                    tracing::warn!(
                        "closed the connection from {peer}: it holds {} bytes of answers it has not read, the most of any connection, and unread answers came to over {} MiB, the most the server holds",
                        account.bytes(),
                        MAX_UNSENT_ANSWER_BYTES >> 20
                    );
                    return;
                }
                changed = self.stopping.changed(), if !closing => {
                    if changed.is_err() || *self.stopping.borrow() {
                        connection.as_mut().graceful_shutdown();
                        give_up_at = Some(tokio::time::Instant::now() + stop_grace);
                    }
                }
                () = tokio::time::sleep_until(idle_at), if !closing => {
                    let quiet = activity.in_flight.load(Ordering::Relaxed) == 0
                        && activity.idle_at(idle, grace) <= tokio::time::Instant::now();
                    if quiet {
                        tracing::debug!("closing the idle connection from {peer}");
                        connection.as_mut().graceful_shutdown();
                        give_up_at = Some(tokio::time::Instant::now() + grace);
                    }
                }
                () = tokio::time::sleep_until(give_up_at.unwrap_or(idle_at)), if closing => {
                    if activity.in_flight.load(Ordering::Relaxed) == 0 {
                        tracing::debug!(
                            "dropping the connection from {peer}: still open after it was asked to close"
                        );
                        return;
                    }
                    // A request is still being answered: the drain timeout bounds it.
                    give_up_at = Some(tokio::time::Instant::now() + grace);
                }
            }
        }
    }
}

/// Where a request is answered: the server's state and limits, and the connection it came on.
#[derive(Clone, Copy)]
struct On<'a> {
    core: &'a MockCore,
    settings: &'a Settings,
    limits: &'a Limits,
    account: &'a Account,
    peer: SocketAddr,
}

impl On<'_> {
    /// The answer's body, counted among the answers not yet taken (see [`unsent`]).
    fn counted(&self, bytes: Bytes) -> Full<Bytes> {
        let (bytes, closing) = self.account.count(bytes);
        if let Some(Closing { peer, bytes, total }) = closing {
            tracing::debug!(
                "unread answers came to {total} bytes; closing the connection from {peer}, which holds {bytes}"
            );
        }
        Full::new(bytes)
    }
}

/// Reads the body under the limits, asks the core (unless the server is at a limit: requests
/// in flight), holds the answer back as asked.
async fn respond(
    on: On<'_>,
    request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, HungUp> {
    let On {
        core,
        settings,
        limits,
        peer,
        ..
    } = on;
    let started = Instant::now();
    tracing::debug!(
        "{} {} received",
        request.method(),
        for_log(request.uri().path(), 200)
    );
    let (parts, body) = request.into_parts();
    let head_only = parts.method == http::Method::HEAD;
    let (_counted, in_flight) = Counted::enter(&limits.requests);
    if in_flight > settings.max_requests {
        let trace = logged_refusal(&parts, 503, format_args!("{in_flight} requests in flight"));
        let reply = at_limit(&format!(
            "answers at most {} requests at once (--max-requests)",
            settings.max_requests
        ));
        return Ok(closing(reply, head_only, &trace));
    }
    // A head waiting for its body counts against the server's budget of heads, and the
    // body's bytes against that of bodies, until the answer is made.
    let head = if body.is_end_stream() {
        None
    } else {
        let Some(share) = share(&limits.heads, head_bytes(&parts)) else {
            let why = format_args!("request heads held over {} MiB", MAX_HEAD_BYTES_HELD >> 20);
            let trace = logged_refusal(&parts, 503, why);
            let reply = at_limit(&format!(
                "holds {} MiB of request heads waiting for their bodies, its most",
                MAX_HEAD_BYTES_HELD >> 20
            ));
            return Ok(closing(reply, head_only, &trace));
        };
        Some(share)
    };
    let read = read_body(&parts.headers, body, settings.body_timeout, &limits.bodies).await;
    let (bytes, held) = match read {
        Ok(read) => read,
        Err(refused) => {
            let took = started.elapsed();
            let why = format_args!("body refused after {took:?}");
            let trace = logged_refusal(&parts, refused.status, why);
            return Ok(closing(refused, head_only, &trace));
        }
    };
    let mut request = http::Request::from_parts(parts, bytes);
    // The admin API tells loopback callers from others by it (an extension costs an
    // allocation, so only its requests carry one).
    if crate::admin::is_admin(request.uri().path()) {
        request.extensions_mut().insert(PeerAddr(peer));
    }
    let answer = if request.body().len() >= HEAVY_BODY_BYTES {
        let core = core.clone();
        // Held by the validation itself: a client that gives up (an h2 reset) does not let
        // the next large body start beside it.
        let turn = limits.heavy.clone().acquire_owned().await;
        let validate = move || {
            let answer = core.answer(request);
            drop(turn);
            answer
        };
        match tokio::task::spawn_blocking(validate).await {
            Ok(answer) => answer,
            Err(_) => {
                return Ok(Reply::detail(
                    500,
                    "the mock failed unexpectedly; please report this bug",
                )
                .into_response(false)
                .map(Full::new));
            }
        }
    } else {
        core.answer(request)
    };
    // The body is spent: its share of the budget goes back before any delay, so answers
    // held back on purpose (`Prefer: latency=60s`) do not lock other bodies out; so does its
    // head's.
    drop(held);
    drop(head);
    if answer.hang_up {
        tokio::time::sleep(answer.delay).await;
        return Err(HungUp);
    }
    // Counted from now: an answer held back (`Prefer`, a fault's delay) is held all the same.
    let response = answer.response.map(|bytes| on.counted(bytes));
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    Ok(response)
}

/// `bytes` of `budget`, if it has them now: a request never waits for its share, past the
/// budget it is refused.
fn share(budget: &Semaphore, bytes: usize) -> Option<SemaphorePermit<'_>> {
    let bytes = u32::try_from(bytes).ok()?;
    budget.try_acquire_many(bytes).ok()
}

/// The size of a request's head as HTTP/2 counts a header list (RFC 9113, section 6.5.2):
/// each field's name and value and 32 bytes, the method and the target (`:method`,
/// `:scheme`, `:authority`, `:path`) counted as fields too.
fn head_bytes(parts: &http::request::Parts) -> usize {
    const FIELD: usize = 32;
    let uri = &parts.uri;
    let pseudo = [
        (":method", Some(parts.method.as_str())),
        (":scheme", uri.scheme_str()),
        (
            ":authority",
            uri.authority().map(http::uri::Authority::as_str),
        ),
        (
            ":path",
            uri.path_and_query().map(http::uri::PathAndQuery::as_str),
        ),
    ];
    let pseudo = pseudo
        .iter()
        .map(|(name, value)| name.len() + value.map_or(0, str::len) + FIELD);
    let fields = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + FIELD);
    pseudo.chain(fields).sum()
}

/// A request whose answer a [`Fault::HangUp`](crate::Fault::HangUp) holds back: handed to
/// hyper as the service's error, which closes an HTTP/1.1 connection without an answer and
/// resets an h2 stream.
#[derive(Debug)]
struct HungUp;

impl std::fmt::Display for HungUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung up without an answer, as a queued fault asked")
    }
}

impl std::error::Error for HungUp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_failures_pause_longer_each_time_up_to_a_second() {
        let mut failures = AcceptFailures::default();
        let error = io::Error::from_raw_os_error(24);
        let pauses: Vec<_> = (0..10).map(|_| failures.failed(&error)).collect();
        assert_eq!(pauses[0], Duration::from_millis(10));
        assert_eq!(pauses[1], Duration::from_millis(20));
        assert_eq!(pauses[9], Duration::from_secs(1));
        failures.recovered();
        assert_eq!(failures.failed(&error), Duration::from_millis(10));
    }
}
