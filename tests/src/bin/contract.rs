//! `contract`: conformance checks of a server against the OpenAPI document.
//! Run it as `cargo xtask contract [--base-url URL] [--allow-create] [--task-id ID]
//! [--timeout DURATION]`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use contract_tests::conformance::{self, Options, Target, Verdict};
use mulerouter_kling_mock::MockMuleRouter;

/// Checks a server implementing MuleRouter's Kling V3 Omni reference-video-to-video API
/// against the OpenAPI document. Without --base-url, starts the mock and checks it.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask contract")]
struct Cli {
    /// The server's base URL, e.g. `https://api.mulerouter.ai`. The token comes from
    /// MULEROUTER_API_KEY and is never printed.
    #[arg(long)]
    base_url: Option<String>,
    /// Also run the checks that create tasks against --base-url (on the real service each
    /// create is billed). The built-in mock always gets every check.
    #[arg(long)]
    allow_create: bool,
    /// A task of yours to read back and check.
    #[arg(long)]
    task_id: Option<uuid::Uuid>,
    /// Each request's time limit, its answer included (e.g. 500ms, 10s, 1m).
    #[arg(long, default_value = "30s", value_parser = duration)]
    timeout: Duration,
}

fn duration(text: &str) -> Result<Duration, String> {
    mulerouter_kling_mock::parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 500ms, 10s or 1m"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = Options {
        // Nothing is billed on the built-in mock.
        allow_create: cli.allow_create || cli.base_url.is_none(),
        task_id: cli.task_id,
        timeout: cli.timeout,
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
            (
                None,
                Target {
                    base_url: base_url.trim_end_matches('/').to_string(),
                    token,
                },
            )
        }
        None => {
            let mock = MockMuleRouter::start().await;
            println!(
                "No --base-url: checking the built-in mock at {}",
                mock.uri()
            );
            let target = Target {
                base_url: mock.uri(),
                token: token.unwrap_or_else(|| "sk-mr-contract".into()),
            };
            (Some(mock), target)
        }
    };
    println!("Checking {} against the OpenAPI document", target.base_url);
    let outcomes = conformance::run(&target, &options).await;
    print!("{}", conformance::table(&outcomes));
    if outcomes
        .iter()
        .any(|o| matches!(o.verdict, Verdict::Fail(_)))
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
