//! `contract`: conformance checks of a server against the OpenAPI document.
//! Run it as `cargo xtask contract [--base-url URL] [--allow-create] [--task-id ID]
//! [--timeout DURATION] [--follow DURATION] [--json]`.
//!
//! Exit codes: 0 every check run passed, 1 a check failed, 2 the command was given wrongly
//! (a bad flag, no `MULEROUTER_API_KEY` with `--base-url`; said on stderr, also with `--json`).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use contract_tests::conformance::{self, Options, Target, Verdict};
use mulerouter_kling_mock::MockMuleRouter;

/// Checks a server implementing MuleRouter's Kling V3 Omni reference-video-to-video API
/// against the OpenAPI document. Without --base-url, starts the mock and checks it.
///
/// The key comes from MULEROUTER_API_KEY (required with --base-url) and is never printed:
/// wherever the server sends it back, it shows as <MULEROUTER_API_KEY>.
///
/// Exit codes: 0 every check run passed (skipped ones aside), 1 a check failed, 2 the command
/// was given wrongly (said on stderr, also with --json).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask contract", bin_name = "cargo xtask contract")]
struct Cli {
    /// The server's base URL, e.g. `https://api.mulerouter.ai`, or one with a path the API's
    /// paths follow (`http://127.0.0.1:8080/proxy`; a trailing `/` is dropped). No query or
    /// fragment. Redirects are not followed: a 3xx fails the check, naming where it pointed.
    #[arg(long, value_parser = base_url)]
    base_url: Option<String>,
    /// Also run the checks that create tasks against --base-url (on the real service each
    /// create is billed). The built-in mock always gets every check.
    #[arg(long)]
    allow_create: bool,
    /// The id (a uuid) of a task of yours to read back and check, without creating one.
    #[arg(long)]
    task_id: Option<uuid::Uuid>,
    /// Each request's time limit, its answer included, with its unit (e.g. 500ms, 10s, 1m).
    #[arg(long, default_value = "30s", value_parser = duration)]
    timeout: Duration,
    /// With --allow-create: poll the created task until it finishes, for at most this long
    /// (e.g. 10m; a generation takes minutes on the real service), and check how it ends
    /// (pauses from 100ms doubling to 5s; a 429 or 5xx answer is waited out, honouring
    /// Retry-After). Without it that check is skipped. The built-in mock is always followed.
    #[arg(long, value_parser = duration)]
    follow: Option<Duration>,
    /// Print the results as one JSON document (for CI) instead of a table:
    /// `{"version": 1, "base_url", "checks": [{"check", "result": "pass"|"fail"|"skip",
    /// "detail", "request"}], "passed", "failed", "skipped"}`; `request` is the last request
    /// the check sent (null if none). The version rises when a field changes meaning or goes
    /// away.
    #[arg(long)]
    json: bool,
}

/// A time limit with its unit, read as the mock's flags are read.
fn duration(text: &str) -> Result<Duration, String> {
    match mulerouter_kling_mock::parse_duration_flag(text)? {
        Duration::ZERO => Err("a time limit of 0 would fail every check; give one like 10s".into()),
        limit => Ok(limit),
    }
}

/// An `http` or `https` URL with a host, without its trailing slash. The API's paths are
/// appended to it, so a query or fragment would end up before them.
fn base_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| {
        format!("{text:?} is not a URL ({e}); give one like https://api.mulerouter.ai")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{text:?} is not an http or https URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?} has a query or fragment, which the API's paths cannot follow; give the \
             base they follow, like http://127.0.0.1:8080/proxy"
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = Options {
        // Nothing is billed on the built-in mock.
        allow_create: cli.allow_create || cli.base_url.is_none(),
        task_id: cli.task_id,
        timeout: cli.timeout,
        // The built-in mock finishes a task in a few reads.
        follow: cli
            .follow
            .or(cli.base_url.is_none().then_some(Duration::from_secs(30))),
    };
    let token = std::env::var("MULEROUTER_API_KEY")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let (_mock, target) = match cli.base_url {
        Some(base_url) => {
            let Some(token) = token else {
                eprintln!("error: set MULEROUTER_API_KEY to check {base_url}");
                return ExitCode::from(2);
            };
            (None, Target { base_url, token })
        }
        None => {
            let mock = MockMuleRouter::start().await;
            if !cli.json {
                println!(
                    "No --base-url: checking the built-in mock at {}",
                    mock.uri()
                );
            }
            let target = Target {
                base_url: mock.uri(),
                token: token.unwrap_or_else(|| "sk-mr-contract".into()),
            };
            (Some(mock), target)
        }
    };
    if !cli.json {
        println!("Checking {} against the OpenAPI document", target.base_url);
    }
    let outcomes = conformance::run(&target, &options).await;
    if cli.json {
        println!("{}", conformance::json(&target.base_url, &outcomes));
    } else {
        print!("{}", conformance::table(&outcomes));
    }
    if outcomes
        .iter()
        .any(|o| matches!(o.verdict, Verdict::Fail(_)))
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
