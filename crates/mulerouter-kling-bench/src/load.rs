//! The throughput and latency runs: every workload at every concurrency against every
//! target, interleaved so that the targets are measured under the same conditions.

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use serde_json::Value;

use crate::Plan;
use crate::http::{self, Request};
use crate::targets::{Server, Target};
use crate::wrk::{self, Summary};
use crate::{system, tools};

/// The create path of the document, from the generated constants.
pub const CREATE_PATH: &str = mulerouter_kling_mock::typed::create_generation::PATH;

/// The document's `full` example of a create request (every field, two elements, so every
/// rule of the schema is evaluated), read from the document the mock embeds.
pub static VALID: LazyLock<String> = LazyLock::new(|| {
    use mulerouter_kling_mock::document::{SOURCE, SOURCE_PATH};
    let document: Value =
        serde_yaml_ng::from_str(SOURCE).unwrap_or_else(|e| panic!("{SOURCE_PATH}: {e}"));
    let body = &document["paths"][CREATE_PATH]["post"]["requestBody"]["content"];
    let example = &body["application/json"]["examples"]["full"]["value"];
    assert!(example.is_object(), "no create example `full`");
    example.to_string()
});

/// Breaks three rules: `prompt` empty, `video` missing, `duration` above 15.
pub const INVALID: &str = r#"{"prompt":"","duration":99}"#;

/// The credentials sent (the mock and Prism accept any bearer token).
pub const AUTHORIZATION: (&str, &str) = ("Authorization", "Bearer sk-mr-test");

/// A create with `body`.
pub fn create(body: &str) -> Request<'_> {
    let headers = &[AUTHORIZATION, ("Content-Type", "application/json")];
    Request {
        method: "POST",
        path: CREATE_PATH,
        headers,
        body,
    }
}

/// A read of the task at `path`.
pub fn read(path: &str) -> Request<'_> {
    Request {
        method: "GET",
        path,
        headers: &[AUTHORIZATION],
        body: "",
    }
}

/// What is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Workload {
    /// `POST …/generation` with a valid body: validated, a task created.
    Create,
    /// `POST …/generation` with a body breaking three rules: rejected.
    Invalid,
    /// `GET …/generation/{task_id}` of an existing task.
    Get,
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "valid create",
            Self::Invalid => "invalid create",
            Self::Get => "status GET",
        })
    }
}

/// The statuses `target` may answer `workload` with: Prism would refuse an invalid create with
/// 422, but 5.14 answers every create of this document 200 (`openapi/README.md`).
fn expected(workload: Workload, target: Target) -> RangeInclusive<u16> {
    match (workload, target) {
        (Workload::Invalid, Target::Mock | Target::InProcess) => 400..=400,
        (Workload::Invalid, Target::Prism) => 200..=499,
        _ => 200..=200,
    }
}

/// One measurement of one target: its median round.
#[derive(Debug, Clone)]
pub struct Cell {
    pub workload: Workload,
    pub connections: u32,
    pub target: Target,
    pub summary: Summary,
    /// The most of one core other processes used during any round.
    pub others: f64,
    /// Requests/s of every round, lowest first.
    pub rates: Vec<f64>,
}

#[cfg(test)]
impl Cell {
    /// A cell known by its requests/s only.
    pub fn at_rate(workload: Workload, connections: u32, target: Target, rate: f64) -> Self {
        let summary = Summary {
            requests: rate,
            seconds: 1.0,
            ..Summary::default()
        };
        Self {
            workload,
            connections,
            target,
            summary,
            others: 0.0,
            rates: vec![rate],
        }
    }
}

/// A measurement during which other processes used more than this share of one core is
/// taken again, up to [`ATTEMPTS`] times in all, after waiting up to [`QUIET_WAIT`].
pub const DISTURBED: f64 = 0.10;
pub const ATTEMPTS: usize = 3;
pub const QUIET_WAIT: Duration = Duration::from_secs(300);
/// The warm-up of a server started fresh for one measurement, in seconds.
const FRESH_WARMUP: u64 = 1;

/// A server ready for one workload: the URL and wrk script of its request.
struct Prepared<'a> {
    server: &'a Server,
    url: String,
    script: PathBuf,
    expected: RangeInclusive<u16>,
}

impl Prepared<'_> {
    fn wrk(&self, plan: &Plan, connections: u32, seconds: u64) -> Result<Summary, String> {
        wrk::run(&self.script, &self.url, plan, connections, seconds).map(|(summary, _)| summary)
    }
}

/// Runs the plan against `servers`; `problems` collects anything that makes a number
/// suspect (an unexpected status, socket errors).
pub fn run(
    plan: &Plan,
    servers: &[Server],
    scratch: &Path,
    problems: &mut Vec<String>,
) -> Result<Vec<Cell>, String> {
    let mut cells = Vec::new();
    let pids: Vec<u32> = servers.iter().map(Server::pid).collect();
    for &workload in &plan.workloads {
        let ready = |server| prepare(workload, server, scratch);
        let prepared = servers.iter().map(ready).collect::<Result<Vec<_>, _>>()?;
        // Those that keep every request are warmed up fresh before each measurement instead.
        for target in prepared.iter().filter(|t| !t.server.keeps_every_request()) {
            let (name, warmup) = (target.server.target, plan.warmup);
            eprintln!("  warming up {name} for {workload} ({warmup} s)");
            target.wrk(plan, 16, warmup)?;
        }
        for &connections in &plan.concurrency {
            // Rounds go through every target in turn, so that drift affects them alike.
            let mut runs: Vec<Vec<(Summary, f64)>> = vec![Vec::new(); prepared.len()];
            for round in 1..=plan.rounds {
                for (target, runs) in prepared.iter().zip(&mut runs) {
                    let name = target.server.target;
                    let name = format!("{name} {workload} at {connections} connections");
                    let (summary, others) = if target.server.keeps_every_request() {
                        let fresh = target.server.fresh()?;
                        let renewed = prepare(workload, &fresh, scratch)?;
                        renewed.wrk(plan, connections, FRESH_WARMUP)?;
                        let watched = [&pids[..], &[fresh.pid()]].concat();
                        measure(&name, &renewed, connections, plan, &watched, problems)?
                    } else {
                        measure(&name, target, connections, plan, &pids, problems)?
                    };
                    let (rate, p50, p99) = (summary.per_second(), summary.p50_ms, summary.p99_ms);
                    eprintln!(
                        "  {name}, round {round}: {rate:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms"
                    );
                    runs.push((summary, others));
                }
            }
            for (target, mut runs) in prepared.iter().zip(runs) {
                runs.sort_by(|a, b| a.0.per_second().total_cmp(&b.0.per_second()));
                cells.push(Cell {
                    workload,
                    connections,
                    target: target.server.target,
                    summary: runs[runs.len() / 2].0,
                    others: runs.iter().map(|(_, o)| *o).fold(0.0, f64::max),
                    rates: runs.iter().map(|(s, _)| s.per_second()).collect(),
                });
            }
        }
    }
    Ok(cells)
}

/// One measurement, taken again while other processes use more than [`DISTURBED`] of a core;
/// unexpected statuses and socket errors go to `problems`.
fn measure(
    name: &str,
    target: &Prepared<'_>,
    connections: u32,
    plan: &Plan,
    pids: &[u32],
    problems: &mut Vec<String>,
) -> Result<(Summary, f64), String> {
    let mut attempt = 1;
    let (summary, others) = loop {
        let (summary, others) =
            system::others_during(pids, || target.wrk(plan, connections, plan.duration));
        let (summary, percent) = (summary?, others * 100.0);
        if others <= DISTURBED || plan.shared_machine {
            break (summary, others);
        }
        if attempt == ATTEMPTS {
            problems.push(format!(
                "{name}: other processes used {percent:.0}% of a core in each of {ATTEMPTS} attempts; the last is reported"
            ));
            break (summary, others);
        }
        eprintln!(
            "  {name}: other processes used {percent:.0}% of a core; measuring again once they are done"
        );
        system::wait_for_quiet(QUIET_WAIT);
        attempt += 1;
    };
    // wrk counts the answers with a status above 399.
    let (expected, requests) = (&target.expected, summary.requests);
    let refused = *expected.start() >= 400;
    let wanted = if refused { requests } else { 0.0 };
    let (errors, socket_errors) = (summary.status_errors, summary.socket_errors);
    if errors != wanted {
        problems.push(format!(
            "{name}: {errors} of {requests} answers had a status above 399 ({expected:?} expected)"
        ));
    }
    if socket_errors > 0.0 {
        problems.push(format!("{name}: {socket_errors} socket errors or timeouts"));
    }
    Ok((summary, others))
}

/// Checks one request by hand, then writes the wrk script.
fn prepare<'a>(
    workload: Workload,
    server: &'a Server,
    scratch: &Path,
) -> Result<Prepared<'a>, String> {
    let task;
    let request = match workload {
        Workload::Create => create(&VALID),
        Workload::Invalid => create(INVALID),
        Workload::Get => {
            // A task that exists: created now on the mocks, the examples' id elsewhere.
            task = match server.target {
                Target::Mock | Target::InProcess => create_task(server.address)?,
                _ => format!("{CREATE_PATH}/8e1e315e-b50d-4334-a231-be7d19a372f4"),
            };
            read(&task)
        }
    };
    let (name, expected) = (server.target, expected(workload, server.target));
    let answer =
        http::send(server.address, &request).map_err(|e| format!("{name} {workload}: {e}"))?;
    if !expected.contains(&answer.status) {
        return Err(format!(
            "{name} answered {workload} with {} ({expected:?} expected): {}",
            answer.status, answer.body
        ));
    }
    let file = format!("{name}-{workload:?}.lua");
    let script = scratch.join(file.to_lowercase().replace(' ', "-"));
    tools::write(&script, wrk::fixed(&request))?;
    let url = format!("http://{}{}", server.address, request.path);
    Ok(Prepared {
        server,
        url,
        script,
        expected,
    })
}

/// Creates a task on the mock at `address`; returns its path (`task_info.id` after the create's).
pub fn create_task(address: SocketAddr) -> Result<String, String> {
    let answer =
        http::send(address, &create(&VALID)).map_err(|e| format!("creating a task: {e}"))?;
    let task: Value = serde_json::from_str(&answer.body).unwrap_or_default();
    let id = task.pointer("/task_info/id").and_then(Value::as_str);
    let id = id.ok_or_else(|| format!("no task id in {}", answer.body))?;
    Ok(format!("{CREATE_PATH}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mulerouter_kling_mock::document::validate_request_body;

    #[test]
    fn the_valid_create_is_the_documents_full_example_and_the_invalid_breaks_three_rules() {
        let valid: Value = serde_json::from_str(&VALID).unwrap();
        let invalid: Value = serde_json::from_str(INVALID).unwrap();

        let (checked, broken) = (
            validate_request_body("POST", CREATE_PATH, &valid),
            validate_request_body("POST", CREATE_PATH, &invalid),
        );

        assert_eq!(checked, Ok(()));
        assert_eq!(valid["elements"].as_array().map(Vec::len), Some(2));
        assert_eq!(broken.map_err(|violations| violations.len()), Err(3));
    }
}
