//! The servers under load, each in its own process on 127.0.0.1, killed (by its pid) when
//! dropped.

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
    /// Where its stderr goes and the cores it runs on, to start another like it.
    log: PathBuf,
    cpus: Option<String>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server keeps a copy of every request it answers (wiremock does, about
    /// 6 KiB each: gigabytes within one measurement at tens of thousands of requests/s).
    pub fn keeps_every_request(&self) -> bool {
        matches!(self.target, Target::BareWiremock | Target::InProcess)
    }

    /// A fresh server like this one (this program's servers only).
    pub fn fresh(&self) -> Result<Self, String> {
        Self::of_this_program(self.target, &self.log, self.cpus.as_deref())
    }

    /// The mock with its defaults and `RUST_LOG=filter`, on a free port, on `cpus`; `log` gets
    /// its stderr.
    pub fn mock(bin: &Path, filter: &str, log: &Path, cpus: Option<&str>) -> Result<Self, String> {
        let mut command = system::command(bin, cpus);
        command.args(["--port", "0"]).env("RUST_LOG", filter);
        Self::spawn(Target::Mock, command, log, cpus, None)
    }

    /// The baseline, the in-process mock or bare wiremock: this program's `serve` subcommand,
    /// on a free port, on `cpus`.
    pub fn of_this_program(target: Target, log: &Path, cpus: Option<&str>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let name = target.to_possible_value().expect("every target has a name");
        let mut command = system::command(exe, cpus);
        command.args(["serve", name.get_name()]);
        Self::spawn(target, command, log, cpus, None)
    }

    /// `prism mock -v error` on the document (see [`prism_document`], written into `dir`), on
    /// a free port, on `cpus`.
    pub fn prism(bin: &Path, dir: &Path, log: &Path, cpus: Option<&str>) -> Result<Self, String> {
        let port = free_port()?;
        let mut command = system::command(bin, cpus);
        let port_arg = port.to_string();
        command.args(["mock", "-h", "127.0.0.1", "-p", &port_arg, "-v", "error"]);
        command.arg(prism_document(dir)?);
        Self::spawn(Target::Prism, command, log, cpus, Some(port))
    }

    /// Starts `command` (on `cpus`) with its stderr in `log`, and finds where it listens:
    /// Prism, started on `port`, is asked until it answers and logs its stdout too; the others
    /// say where on the first line of their stdout (as [`crate::served::serve`] does). Stopped
    /// when dropped, also should it not come up.
    fn spawn(
        target: Target,
        mut command: Command,
        log: &Path,
        cpus: Option<&str>,
        port: Option<u16>,
    ) -> Result<Self, String> {
        let err = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let out = match port {
            Some(_) => Stdio::from(err.try_clone().map_err(|e| e.to_string())?),
            None => Stdio::piped(),
        };
        let child = (command.stdin(Stdio::null()).stdout(out).stderr(err).spawn())
            .map_err(|e| format!("cannot start the {target}: {e}"))?;
        let mut server = Self {
            target,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0))),
            child,
            log: log.to_path_buf(),
            cpus: cpus.map(str::to_string),
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

/// The document as Prism is given it: without the create's callback, which Prism would call
/// on every create (its URL is a placeholder: a failing DNS lookup of a host not 127.0.0.1).
fn prism_document(scratch: &Path) -> Result<PathBuf, String> {
    use mulerouter_kling_mock::document::{SOURCE, SOURCE_PATH};
    let mut document: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(SOURCE).map_err(|e| format!("{SOURCE_PATH}: {e}"))?;
    let create = &mut document["paths"][crate::load::CREATE_PATH]["post"];
    if let Some(create) = create.as_mapping_mut() {
        create.remove("callbacks");
    }
    let path = scratch.join("prism-document.yaml");
    let text = serde_yaml_ng::to_string(&document).map_err(|e| e.to_string())?;
    crate::tools::write(&path, text)?;
    Ok(path)
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

    #[test]
    fn prism_gets_the_document_without_callbacks() {
        let scratch = std::env::temp_dir().join(format!("bench-{}", std::process::id()));

        let written = std::fs::read_to_string(prism_document(&scratch).unwrap()).unwrap();

        let _ = std::fs::remove_dir_all(&scratch);
        assert!(written.contains("/generation/{task_id}:") && !written.contains("callbacks"));
    }
}
