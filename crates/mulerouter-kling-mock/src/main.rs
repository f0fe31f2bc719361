//! `mulerouter-kling-mock`: the mock as a standalone server, for apps in any language.
//!
//! ```text
//! cargo run -p mulerouter-kling-mock -- --port 4010
//! ```
//!
//! Prints the base URL and a `curl` example on stdout, logs one line per request on stderr
//! (`RUST_LOG` filters; admin reads only at `debug`), each with the trace id of the
//! `traceparent` it answered, and on Ctrl-C, SIGTERM or SIGHUP stops accepting, answers
//! what is in flight and exits 0 (a second signal: exit 1 at once).

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use mulerouter_kling_mock::standalone::{self, Settings};
use mulerouter_kling_mock::{MockMuleRouter, Timing, format_duration_flag, parse_duration_flag};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "mulerouter-kling-mock",
    version,
    about = "An offline MuleRouter (Kling V3 Omni reference-video-to-video) that checks every request against the OpenAPI document.",
    after_help = "Logs go to stderr, one line per request; RUST_LOG filters them (default info; warn for errors only, debug for admin reads too). Ctrl-C, SIGTERM or SIGHUP stop the mock after answering the requests in flight; a second one stops it at once."
)]
struct Args {
    /// Address to listen on: an IP address or a host name (`localhost`); 0.0.0.0 listens on
    /// every interface (see --public-url).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), value_parser = host)]
    host: IpAddr,

    /// Port to listen on; 0 picks a free one (the printed URL says which).
    #[arg(long, short, default_value_t = 4010)]
    port: u16,

    /// When tasks move on: on the clock, one step per read, or only when asked: a request's
    /// `Prefer: example=completed` (or `failed`, `processing`, or `task-error=…`), or the
    /// admin API.
    #[arg(long, value_enum, default_value_t = TimingArg::Wall)]
    timing: TimingArg,

    /// With `--timing wall`: how long a new task stays `pending` (e.g. 500ms, 2s)
    /// [default: 1s].
    #[arg(long, value_parser = parse_duration_flag)]
    pending: Option<Duration>,

    /// With `--timing wall`: how long it then stays `processing` [default: 4s].
    #[arg(long, value_parser = parse_duration_flag)]
    processing: Option<Duration>,

    /// The base URL clients reach the mock at, for the links in its answers (result videos)
    /// and its banner, e.g. `http://mock.internal:4010` behind a proxy or in another
    /// container [default: http://<host>:<port>, 127.0.0.1 for 0.0.0.0].
    #[arg(long, env = "MULEROUTER_MOCK_PUBLIC_URL", value_parser = public_url)]
    public_url: Option<String>,

    /// Accept only this bearer token (default: any token shaped like a MuleRouter key,
    /// `sk-mr-` and more). Prefer the environment variable: a flag shows in `ps`.
    #[arg(long, env = "MULEROUTER_MOCK_API_KEY", hide_env_values = true, value_parser = secret)]
    api_key: Option<String>,

    /// Require this token (`Authorization: Bearer …`) on the admin API (`/__admin/…`) from
    /// every caller. Without it the admin API answers loopback peers only, and only for the
    /// host `localhost`, an IP address or the --public-url's host (so a page that points its
    /// own name at 127.0.0.1 cannot get in). Either way a request a web page of another
    /// origin sends is refused. Prefer the environment variable: a flag shows in `ps`.
    #[arg(long, env = "MULEROUTER_MOCK_ADMIN_TOKEN", hide_env_values = true, value_parser = secret)]
    admin_token: Option<String>,

    /// How many requests the journal (`GET /__admin/journal`) keeps; 0 keeps none.
    #[arg(long, default_value_t = mulerouter_kling_mock::DEFAULT_JOURNAL_SIZE, value_parser = journal_size)]
    journal_size: usize,

    /// How long a finished task stays readable (more than 0).
    #[arg(long, default_value = "1h", value_parser = positive)]
    task_ttl: Duration,

    /// The most tasks held (at least 1); the oldest are evicted first.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_tasks: u32,

    /// Answer every API request after this delay (at most 60s, as `Prefer: latency=`).
    #[arg(long, default_value = "0ms", value_parser = latency)]
    latency: Duration,

    /// How long an HTTP/1.1 request head may take to arrive (also how long a kept-alive
    /// connection waits for its next request), how long a new connection may take to start
    /// its first request, and how long a connection asked to close (idle, or at shutdown; on
    /// h2 a GOAWAY) may stay open before it is dropped (more than 0).
    #[arg(long, default_value = "30s", value_parser = positive)]
    header_timeout: Duration,

    /// How long a request body may send nothing before it is answered 408 (more than 0).
    #[arg(long, default_value = "30s", value_parser = positive)]
    body_timeout: Duration,

    /// How long a connection may stay open with no request in flight (HTTP/1.1: closed;
    /// h2: GOAWAY, then dropped after --header-timeout if the client stays). On HTTP/1.1 a
    /// kept-alive connection also waits at most --header-timeout for its next request: the
    /// shorter of the two applies there.
    #[arg(long, default_value = "60s", value_parser = positive)]
    idle_timeout: Duration,

    /// The most connections served at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// The most requests in flight at once, over every connection (h2 carries up to 100 on
    /// one); more are answered 503.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_requests: u32,

    /// On Ctrl-C, SIGTERM or SIGHUP, how long to wait for requests in flight.
    #[arg(long, default_value = "10s", value_parser = parse_duration_flag)]
    drain_timeout: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TimingArg {
    /// On the clock (`--pending`, `--processing`).
    Wall,
    /// Each read moves a task one step.
    Poll,
    /// Only `Prefer: example=…` or `task-error=…`, or the admin API, moves a task.
    Manual,
}

/// One line of what a client of the mock meets: timing, what is kept, who gets in.
fn settings_line(args: &Args, timing: Timing) -> String {
    let timing = match timing {
        Timing::WallClock {
            pending,
            processing,
        } => format!(
            "move on the clock (pending {}, then processing {})",
            format_duration_flag(pending),
            format_duration_flag(processing)
        ),
        Timing::PerPoll => "move one step per read".into(),
        _ => "move only when asked".into(),
    };
    let key = if args.api_key.is_some() {
        "the --api-key only"
    } else {
        "any sk-mr-… key"
    };
    let latency = if args.latency.is_zero() {
        String::new()
    } else {
        format!(
            "; every answer delayed {}",
            format_duration_flag(args.latency)
        )
    };
    format!(
        "Tasks {timing}; at most {} held, finished ones kept {}; journal of {} requests; the API takes {key}{latency}",
        args.max_tasks,
        format_duration_flag(args.task_ttl),
        args.journal_size
    )
}

/// A key or token: an empty one (a variable set to nothing, as a compose file's unset
/// `${KEY}` gives) would start a mock that refuses every caller.
fn secret(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "is empty: give a value, or leave the flag and its environment variable unset".into(),
        );
    }
    Ok(text.to_string())
}

/// A duration that must not be zero: a zero TTL drops a finished task at its first read, a
/// zero timeout closes every connection.
fn positive(text: &str) -> Result<Duration, String> {
    match parse_duration_flag(text)? {
        Duration::ZERO => Err(format!(
            "{text:?} is zero; give a duration like 500ms or 30s"
        )),
        duration => Ok(duration),
    }
}

/// A standing latency, bounded like `Prefer: latency=` and the admin API's `latency_ms`.
fn latency(text: &str) -> Result<Duration, String> {
    let latency = parse_duration_flag(text)?;
    if latency > mulerouter_kling_mock::MAX_LATENCY {
        return Err(format!(
            "{text:?} is longer than the {}s a latency may be",
            mulerouter_kling_mock::MAX_LATENCY.as_secs()
        ));
    }
    Ok(latency)
}

/// An IP address, or a host name resolved to its first IPv4 address (else its first).
fn host(text: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = text.parse() {
        return Ok(ip);
    }
    let resolved = std::net::ToSocketAddrs::to_socket_addrs(&(text, 0));
    let first = resolved.map(|addresses| {
        let addresses: Vec<IpAddr> = addresses.map(|address| address.ip()).collect();
        let v4 = addresses.iter().find(|ip| ip.is_ipv4());
        v4.or(addresses.first()).copied()
    });
    match first {
        Ok(Some(ip)) => Ok(ip),
        Ok(None) => Err(format!("{text:?} has no address")),
        Err(error) => Err(format!(
            "{text:?} is neither an IP address nor a host name this machine resolves: {error}"
        )),
    }
}

/// An `http` or `https` URL with a host and neither query nor fragment, without its
/// trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    let problem =
        |what: &str| format!("{text:?} {what}: give a base URL like http://mock.internal:4010");
    let uri: http::Uri = text.parse().map_err(|_| problem("is not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(problem("is not an http or https URL"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(problem("has no host"));
    }
    if uri.query().is_some() || text.contains('#') {
        return Err(problem("has a query or fragment"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// The journal's size, bounded: an entry holds at most a short path and the violations listed.
fn journal_size(text: &str) -> Result<usize, String> {
    const MAX: usize = 100_000;
    match text.parse::<usize>() {
        Ok(size) if size <= MAX => Ok(size),
        _ => Err(format!("{text:?} is not a journal size from 0 to {MAX}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !matches!(args.timing, TimingArg::Wall)
        && (args.pending.is_some() || args.processing.is_some())
    {
        Args::command()
            .error(
                ErrorKind::ArgumentConflict,
                "--pending and --processing time the steps of --timing wall; with --timing poll or manual, tasks move on reads or when asked",
            )
            .exit();
    }
    let (filter, bad_filter) = match EnvFilter::try_from_default_env() {
        Ok(filter) => (filter, None),
        Err(error) => {
            let set = std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty());
            (EnvFilter::new("info"), set.map(|value| (value, error)))
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    if let Some((value, error)) = bad_filter {
        tracing::warn!("RUST_LOG={value:?} is not a filter ({error}); logging at info");
    }

    let timing = match args.timing {
        TimingArg::Wall => Timing::WallClock {
            pending: args.pending.unwrap_or(Duration::from_secs(1)),
            processing: args.processing.unwrap_or(Duration::from_secs(4)),
        },
        TimingArg::Poll => Timing::PerPoll,
        TimingArg::Manual => Timing::Manual,
    };
    let address = SocketAddr::new(args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {address}: {error} (try another --port, or --port 0 for a free one)"
            );
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().unwrap_or(address);
    let mut builder = MockMuleRouter::builder()
        .timing(timing)
        .task_ttl(args.task_ttl)
        .max_tasks(args.max_tasks as usize)
        .latency(args.latency)
        .journal_size(args.journal_size)
        .listen_on(bound)
        // Nobody reads them back from a standalone server.
        .record_requests(false);
    let admin_token_given = args.admin_token.is_some();
    if let Some(token) = args.admin_token.clone() {
        builder = builder.admin_token(token);
    }
    let key_given = args.api_key.is_some();
    if let Some(key) = args.api_key.clone() {
        builder = builder.api_key(key);
    }
    let listening = format!("http://{}", mulerouter_kling_mock::reachable(bound));
    let core = builder.build_core(args.public_url.clone().unwrap_or(listening.clone()));
    let by_example = core.operations_answered_by_example();
    if !by_example.is_empty() {
        tracing::warn!(
            "no behaviour for {}: answered with the document's example once the request is valid (see the README)",
            by_example.join(", ")
        );
    }

    // Listen for the signals before saying where the mock listens: a supervisor that stops
    // the mock as soon as it has read the banner must get a clean shutdown.
    let signals = match Signals::listen() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("error: cannot listen for Ctrl-C, SIGTERM and SIGHUP: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    // The first line says where to connect from this machine, whatever the links say.
    let _ = writeln!(out, "MuleRouter mock listening on {listening}");
    if bound.ip().is_unspecified() {
        let _ = writeln!(out, "Listening on every interface ({bound})");
    }
    let _ = writeln!(out, "{}", settings_line(&args, timing));
    if args.public_url.is_some() {
        let _ = writeln!(out, "Links in answers use --public-url {}", core.uri());
    } else if bound.ip().is_unspecified() {
        let _ = writeln!(
            out,
            "Links in answers (result videos) use {listening}; for clients on other machines give --public-url"
        );
    }
    let _ = writeln!(out, "Create a task:\n{}", core.curl_example());
    let key = if key_given {
        "<the key given with --api-key or MULEROUTER_MOCK_API_KEY>".to_string()
    } else {
        core.suggested_key()
    };
    let _ = writeln!(
        out,
        "Point a client at it: MULEROUTER_BASE_URL={} MULEROUTER_API_KEY={key}",
        core.uri()
    );
    let admin = if admin_token_given {
        " (send the admin token as `Authorization: Bearer …`)"
    } else if bound.ip().is_loopback() {
        ""
    } else {
        " (loopback callers only; --admin-token opens it to others)"
    };
    let _ = writeln!(
        out,
        "Admin API and inspector page: {}/__admin/{admin}",
        core.uri()
    );
    let _ = writeln!(out, "Stop with Ctrl-C.");
    if cfg!(debug_assertions) {
        tracing::info!(
            "debug build: fine for tests; for days under load use `cargo run --release -p mulerouter-kling-mock`"
        );
    }
    let _ = out.flush();
    drop(out);

    let settings = Settings {
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections as usize,
        max_requests: args.max_requests as usize,
        drain_timeout: args.drain_timeout,
    };
    let drained = standalone::serve(listener, core.clone(), settings, signals.shutdown()).await;
    let stats = core.stats();
    if drained.abandoned > 0 {
        tracing::warn!(
            "stopped after {} request(s); {} connection(s) were still open after --drain-timeout (a request in flight, or an h2 client that did not answer GOAWAY)",
            stats.requests,
            drained.abandoned
        );
    } else {
        let plural = if stats.requests == 1 { "" } else { "s" };
        tracing::info!("stopped after {} request{plural}", stats.requests);
    }
    ExitCode::SUCCESS
}

/// Ctrl-C and (on Unix) SIGTERM and SIGHUP, listened for from the moment this is made. A
/// hang-up is a stop like the others: the mock runs in the foreground of a terminal or
/// under a supervisor, and has nothing to reload.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hang_up: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hang_up: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the next one and names it.
    async fn received(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "Ctrl-C",
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.hang_up.recv() => "SIGHUP",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }

    /// Completes at the first signal, when the drain begins; a second one ends the process
    /// at once (exit 1), for whoever will not wait for the drain.
    fn shutdown(mut self) -> impl std::future::Future<Output = ()> {
        let (begun, begin) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let name = self.received().await;
            tracing::info!(
                "{name}: shutting down; answering the requests in flight (send it again to stop at once)"
            );
            let _ = begun.send(());
            let name = self.received().await;
            tracing::warn!("{name} again: stopping without waiting for the requests in flight");
            std::process::exit(1);
        });
        async move {
            let _ = begin.await;
        }
    }
}
