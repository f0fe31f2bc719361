//! `mulerouter-kling-mock`: the mock as a standalone server, for apps in any language.
//!
//! ```text
//! cargo run -p mulerouter-kling-mock -- --port 4010
//! ```
//!
//! Prints the base URL and a `curl` example on stdout, logs one line per request on stderr
//! (`RUST_LOG` filters), and on Ctrl-C or SIGTERM stops accepting, answers what is in
//! flight and exits 0.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use mulerouter_kling_mock::standalone::{self, Settings};
use mulerouter_kling_mock::{MockMuleRouter, Timing};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "mulerouter-kling-mock",
    version,
    about = "An offline MuleRouter (Kling V3 Omni reference-video-to-video) that checks every request against the OpenAPI document."
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,

    /// Port to listen on; 0 picks a free one (the printed URL says which).
    #[arg(long, short, default_value_t = 4010)]
    port: u16,

    /// When tasks move on: on the clock, one step per read, or only when asked: a request's
    /// `Prefer: example=completed` (or `failed`, `processing`, or `task-error=…`), or the
    /// admin API.
    #[arg(long, value_enum, default_value_t = TimingArg::Wall)]
    timing: TimingArg,

    /// With `--timing wall`: how long a new task stays `pending` (e.g. 500ms, 2s).
    #[arg(long, default_value = "1s", value_parser = duration)]
    pending: Duration,

    /// With `--timing wall`: how long it then stays `processing`.
    #[arg(long, default_value = "4s", value_parser = duration)]
    processing: Duration,

    /// Accept only this bearer token (default: any token shaped like a MuleRouter key,
    /// `sk-mr-` and more). Prefer the environment variable: a flag shows in `ps`.
    #[arg(long, env = "MULEROUTER_MOCK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,

    /// Require this token (`Authorization: Bearer …`) on the admin API (`/__admin/…`) from
    /// every caller. Without it the admin API answers loopback peers only. Prefer the
    /// environment variable: a flag shows in `ps`.
    #[arg(long, env = "MULEROUTER_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,

    /// How many requests the journal (`GET /__admin/journal`) keeps; 0 keeps none.
    #[arg(long, default_value_t = mulerouter_kling_mock::DEFAULT_JOURNAL_SIZE, value_parser = journal_size)]
    journal_size: usize,

    /// How long a finished task stays readable.
    #[arg(long, default_value = "1h", value_parser = duration)]
    task_ttl: Duration,

    /// The most tasks held; the oldest are evicted first.
    #[arg(long, default_value_t = 100_000)]
    max_tasks: usize,

    /// Answer every API request after this delay.
    #[arg(long, default_value = "0ms", value_parser = duration)]
    latency: Duration,

    /// How long an HTTP/1.1 request head may take to arrive (also how long a kept-alive
    /// connection waits for its next request), how long a new connection may take to start
    /// its first request, and how long a connection asked to close (idle, or at shutdown; on
    /// h2 a GOAWAY) may stay open before it is dropped.
    #[arg(long, default_value = "30s", value_parser = duration)]
    header_timeout: Duration,

    /// How long a request body may send nothing before it is answered 408.
    #[arg(long, default_value = "30s", value_parser = duration)]
    body_timeout: Duration,

    /// How long a connection may stay open with no request in flight (HTTP/1.1: closed;
    /// h2: GOAWAY, then dropped after --header-timeout if the client stays).
    #[arg(long, default_value = "60s", value_parser = duration)]
    idle_timeout: Duration,

    /// The most connections served at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// The most requests in flight at once, over every connection (h2 carries up to 100 on
    /// one); more are answered 503.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_requests: u32,

    /// On Ctrl-C or SIGTERM, how long to wait for requests in flight.
    #[arg(long, default_value = "10s", value_parser = duration)]
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

fn duration(text: &str) -> Result<Duration, String> {
    mulerouter_kling_mock::parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 250ms, 2s, 5m or 1h"))
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
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let timing = match args.timing {
        TimingArg::Wall => Timing::WallClock {
            pending: args.pending,
            processing: args.processing,
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
        .max_tasks(args.max_tasks)
        .latency(args.latency)
        .journal_size(args.journal_size)
        .listen_on(bound)
        // Nobody reads them back from a standalone server.
        .record_requests(false);
    let admin_token_given = args.admin_token.is_some();
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    let key_given = args.api_key.is_some();
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    let core = builder.build_core(format!(
        "http://{}",
        mulerouter_kling_mock::reachable(bound)
    ));

    // Listen for the signals before saying where the mock listens: a supervisor that stops
    // the mock as soon as it has read the banner must get a clean shutdown.
    let signals = match Signals::listen() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("error: cannot listen for Ctrl-C and SIGTERM: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "MuleRouter mock listening on {}", core.uri());
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
    let shutdown = async move {
        let name = signals.received().await;
        tracing::info!("{name}: shutting down; answering the requests in flight");
    };
    let drained = standalone::serve(listener, core.clone(), settings, shutdown).await;
    let stats = core.stats();
    if drained.abandoned > 0 {
        tracing::warn!(
            "stopped after {} requests; {} connections were still open after --drain-timeout (a request in flight, or an h2 client that did not answer GOAWAY)",
            stats.requests,
            drained.abandoned
        );
    } else {
        tracing::info!("stopped after {} requests", stats.requests);
    }
    ExitCode::SUCCESS
}

/// Ctrl-C and (on Unix) SIGTERM, listened for from the moment this is made.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for one and names it.
    async fn received(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "Ctrl-C",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
