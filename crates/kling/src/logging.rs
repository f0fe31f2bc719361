//! `-v` and `RUST_LOG`: what the client does, logged on stderr through `tracing`.
//!
//! The client logs each request, each retry (with its reason and wait) and each poll; the
//! key travels in a header marked sensitive and is never logged.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the stderr logger. `RUST_LOG` wins when set; otherwise `-v` chooses: nothing by
/// default, this tool and the client at `-v`, more detail at `-vv`, everything at `-vvv`.
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(match verbose {
            0 => "off",
            1 => "warn,kling=debug,mulerouter_kling=debug",
            2 => "info,kling=trace,mulerouter_kling=trace,reqwest=debug",
            _ => "trace",
        }),
    };
    // Logs go to stderr, so a failure to install one (never expected) is not worth stopping for.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
