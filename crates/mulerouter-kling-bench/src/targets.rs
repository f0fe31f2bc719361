//! The servers under load, each in its own process on 127.0.0.1: the mock (standalone and
//! in-process), the baseline, bare wiremock and Prism. A [`Server`] is killed (by its pid)
//! when dropped.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clap::ValueEnum;

use crate::{http, system};

/// How long a server may take to say it listens.
const STARTUP: Duration = Duration::from_secs(60);

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Target {
    /// A bare hyper server answering a fixed body: the ceiling.
    Baseline,
    /// wiremock answering a fixed body, nothing else: the ceiling of a wiremock server.
    BareWiremock,
    /// The standalone mock (`mulerouter-kling-mock`, release build): the core on hyper.
    Mock,
    /// The same core in-process on wiremock (`MockMuleRouter`), as a Rust test runs it.
    InProcess,
    /// Stoplight Prism (`prism mock -v error`) on the same document.
    Prism,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InProcess => f.write_str("in-process mock"),
            other => f.write_str(other.column()),
        }
    }
}

impl Target {
    /// Its name in the columns of the report (and, but for the in-process mock, elsewhere).
    pub fn column(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::BareWiremock => "bare wiremock",
            Self::Mock => "mock",
            Self::InProcess => "in-process",
            Self::Prism => "Prism",
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub target: Target,
    pub address: SocketAddr,
    child: Child,
    /// How to start another like it (this program's servers only): its log, its cores.
    again: Option<(PathBuf, Option<String>)>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Whether the server keeps a copy of every request it answers (wiremock does, about
    /// 6 KiB each: gigabytes within one measurement at tens of thousands of requests/s).
    pub fn keeps_every_request(&self) -> bool {
        matches!(self.target, Target::BareWiremock | Target::InProcess)
    }

    /// A fresh server like this one (this program's servers only).
    pub fn fresh(&self) -> Result<Self, String> {
        let (log, cpus) = self
            .again
            .as_ref()
            .ok_or_else(|| format!("the {} cannot be started again", self.target))?;
        Self::of_this_program(self.target, log, cpus.as_deref())
    }

    /// The mock with its defaults, on a free port, on `cpus`; `log` gets its stderr.
    pub fn mock(
        binary: &Path,
        rust_log: &str,
        log: &Path,
        cpus: Option<&str>,
    ) -> Result<Self, String> {
        let mut command = system::command(binary, cpus);
        command.args(["--port", "0"]).env("RUST_LOG", rust_log);
        Self::spawn(Target::Mock, command, log, None)
    }

    /// The baseline, the in-process mock or bare wiremock: this program's `serve` subcommand,
    /// on a free port, on `cpus`.
    pub fn of_this_program(target: Target, log: &Path, cpus: Option<&str>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let name = target.to_possible_value().expect("every target has a name");
        let mut command = system::command(exe, cpus);
        command.args(["serve", name.get_name(), "--port", "0"]);
        let mut server = Self::spawn(target, command, log, None)?;
        server.again = Some((log.to_path_buf(), cpus.map(str::to_string)));
        Ok(server)
    }

    /// `prism mock -v error` on `document`, on a free port, on `cpus`.
    pub fn prism(
        prism: &Path,
        document: &Path,
        log: &Path,
        cpus: Option<&str>,
    ) -> Result<Self, String> {
        let port = free_port()?;
        let mut command = system::command(prism, cpus);
        let port_arg = port.to_string();
        command.args(["mock", "-h", "127.0.0.1", "-p", &port_arg, "-v", "error"]);
        command.arg(document);
        Self::spawn(Target::Prism, command, log, Some(port))
    }

    /// Starts `command` with its stderr in `log`, and finds where it listens: Prism, started
    /// on `port`, is asked until it answers and logs its stdout too; the others say where on
    /// the first line of their stdout (as [`crate::served::serve`] does). Stopped when dropped, also should it not come up.
    fn spawn(
        target: Target,
        mut command: Command,
        log: &Path,
        port: Option<u16>,
    ) -> Result<Self, String> {
        let err = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let out = match port {
            Some(_) => Stdio::from(err.try_clone().map_err(|e| e.to_string())?),
            None => Stdio::piped(),
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start the {target}: {e}"))?;
        let mut server = Self {
            target,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0))),
            child,
            again: None,
        };
        let see = |problem: String| format!("the {target} {problem} (see {})", log.display());
        match port {
            Some(_) => http::wait_until_up(server.address, STARTUP).map_err(see)?,
            None => {
                server.address = announced(&mut server.child).ok_or_else(|| {
                    see(format!("did not say where it listens within {STARTUP:?}"))
                })?;
            }
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0));
    let address = listener.and_then(|listener| listener.local_addr());
    address.map(|a| a.port()).map_err(|e| e.to_string())
}

/// The address a program prints as `… http://HOST:PORT` on the first line of its stdout
/// once it listens; the rest of its stdout is drained.
fn announced(child: &mut Child) -> Option<SocketAddr> {
    let stdout = child.stdout.take()?;
    let (first, line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = first.send(lines.next());
        for _ in lines.map_while(Result::ok) {}
    });
    address_in(&line.recv_timeout(STARTUP).ok()??.ok()?)
}

/// The socket address in `… http://127.0.0.1:4010`.
fn address_in(line: &str) -> Option<SocketAddr> {
    line.split("http://").nth(1)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_the_first_line() {
        assert_eq!(
            address_in("MuleRouter mock listening on http://127.0.0.1:4010"),
            Some(SocketAddr::from(([127, 0, 0, 1], 4010)))
        );
        assert_eq!(address_in("starting"), None);
    }
}
