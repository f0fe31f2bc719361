//! `-v` and `RUST_LOG`: what the client does, logged on stderr through `tracing`.
//!
//! The client logs each request, each retry (with its reason and wait) and each poll; the
//! key travels in a header marked sensitive and is never logged.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;

use crate::terminal::clean;

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
        .with_writer(|| CleanStderr)
        // No colours: every escape sequence in a log line would be the service's.
        .with_ansi(false)
        .try_init();
}

/// stderr, with control characters in log lines (an error detail quoted in a retry line)
/// shown as visible escapes, like everything else `kling` prints from the service.
struct CleanStderr;

impl Write for CleanStderr {
    /// The formatter hands over one whole event per write.
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        io::stderr().write_all(clean(&String::from_utf8_lossy(line)).as_bytes())?;
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
