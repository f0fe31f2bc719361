//! `mulerouter-kling-mock`: the mock as a standalone server, for apps in any language.
//!
//! ```text
//! cargo run -p mulerouter-kling-mock -- --port 4010
//! ```
//!
//! Prints the base URL and a `curl` example on stdout, logs one line per request on stderr
//! (`RUST_LOG` filters), and stops cleanly on Ctrl-C or SIGTERM.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
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

    /// When tasks move on: on the clock, one step per read, or only when a request says
    /// `Prefer: example=completed` (or `failed`, `processing`).
    #[arg(long, value_enum, default_value_t = TimingArg::Wall)]
    timing: TimingArg,

    /// With `--timing wall`: how long a new task stays `pending` (e.g. 500ms, 2s).
    #[arg(long, default_value = "1s", value_parser = duration)]
    pending: Duration,

    /// With `--timing wall`: how long it then stays `processing`.
    #[arg(long, default_value = "4s", value_parser = duration)]
    processing: Duration,

    /// Accept only this bearer token (default: any non-empty token).
    #[arg(long)]
    api_key: Option<String>,

    /// How long a finished task stays readable.
    #[arg(long, default_value = "1h", value_parser = duration)]
    task_ttl: Duration,

    /// The most tasks held; the oldest are evicted first.
    #[arg(long, default_value_t = 100_000)]
    max_tasks: usize,

    /// Drop wiremock's copies of requests after this many (0: never; memory then grows).
    #[arg(long, default_value_t = 1_000)]
    recycle_after: u64,

    /// Answer every API request after this delay.
    #[arg(long, default_value = "0ms", value_parser = duration)]
    latency: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TimingArg {
    /// On the clock (`--pending`, `--processing`).
    Wall,
    /// Each read moves a task one step.
    Poll,
    /// Only `Prefer: example=…` moves a task.
    Manual,
}

fn duration(text: &str) -> Result<Duration, String> {
    mulerouter_kling_mock::parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 250ms, 2s, 5m or 1h"))
}

#[tokio::main(flavor = "current_thread")]
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
    log_aborted_uploads_in_one_line();

    let timing = match args.timing {
        TimingArg::Wall => Timing::WallClock {
            pending: args.pending,
            processing: args.processing,
        },
        TimingArg::Poll => Timing::PerPoll,
        TimingArg::Manual => Timing::Manual,
    };
    let mut builder = MockMuleRouter::builder()
        .listen_on(SocketAddr::new(args.host, args.port))
        .timing(timing)
        .task_ttl(args.task_ttl)
        .max_tasks(args.max_tasks)
        .recycle_after(args.recycle_after)
        .latency(args.latency)
        // Nobody reads them back from a standalone server.
        .record_requests(false);
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    let mock = match builder.try_start().await {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!(
                "error: cannot listen on {}: {error} (try another --port, or --port 0 for a free one)",
                SocketAddr::new(args.host, args.port)
            );
            return ExitCode::FAILURE;
        }
    };

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "MuleRouter mock listening on {}", mock.uri());
    let _ = writeln!(out, "Create a task:\n{}", mock.curl_example());
    let _ = writeln!(
        out,
        "Point a client at it: MULEROUTER_BASE_URL={} MULEROUTER_API_KEY=sk-mr-test",
        mock.uri()
    );
    let _ = writeln!(out, "Stop with Ctrl-C.");
    if cfg!(debug_assertions) {
        tracing::info!(
            "debug build: fine for tests; for days under load use `cargo run --release -p mulerouter-kling-mock`"
        );
    }
    let _ = out.flush();
    drop(out);

    match shutdown_signal().await {
        Ok(signal) => tracing::info!("{signal}: shutting down"),
        Err(error) => {
            eprintln!("error: cannot wait for a shutdown signal: {error}");
            return ExitCode::FAILURE;
        }
    }
    let stats = mock.stats();
    drop(mock);
    tracing::info!("stopped after {} requests", stats.requests);
    ExitCode::SUCCESS
}

/// wiremock 0.6 reads a request's whole body inside its connection task and panics there
/// ("Failed to read request body.") when the client goes away mid-upload. Only that task
/// ends and the server keeps serving, so all that is left is a backtrace on stderr for
/// something a client did. Say it in one line instead; every other panic goes to the
/// default hook unchanged.
fn log_aborted_uploads_in_one_line() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        let in_wiremock = info
            .location()
            .is_some_and(|location| location.file().contains("wiremock"));
        match message.strip_prefix("Failed to read request body.") {
            Some(cause) if in_wiremock => tracing::warn!(
                "a client closed its connection before sending the whole body; nothing was answered{}",
                cause.trim_start_matches(':')
            ),
            _ => default(info),
        }
    }));
}

/// Waits for Ctrl-C or (on Unix) SIGTERM, and names it.
async fn shutdown_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| "Ctrl-C"),
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}
