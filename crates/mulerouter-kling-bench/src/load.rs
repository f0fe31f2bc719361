//! The throughput and latency runs: every workload at every concurrency against every
//! target, interleaved so that the targets are measured under the same conditions.

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use crate::Plan;
use crate::http::{self, Request};
use crate::system;
use crate::targets::{Server, Target};
use crate::tools;
use crate::wrk::{self, Summary};

/// The create path of the document, from the generated constants.
pub const CREATE_PATH: &str = mulerouter_kling_mock::typed::create_generation::PATH;

/// The document's `full` example of a create request (every field, two elements, so every
/// rule of the schema is evaluated), read from the document the mock embeds, so that it
/// follows the document.
pub static VALID: LazyLock<String> = LazyLock::new(|| {
    use mulerouter_kling_mock::document::{SOURCE, SOURCE_PATH};
    let document: serde_json::Value =
        serde_yaml_ng::from_str(SOURCE).unwrap_or_else(|e| panic!("{SOURCE_PATH}: {e}"));
    let operation = CREATE_PATH.replace('~', "~0").replace('/', "~1");
    let pointer = format!(
        "/paths/{operation}/post/requestBody/content/application~1json/examples/full/value"
    );
    let example = document
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("{SOURCE_PATH} has no create example named `full` ({pointer})"));
    example.to_string()
});

/// Breaks three rules: `prompt` empty, `video` missing, `duration` above 15.
pub const INVALID: &str = r#"{"prompt":"","duration":99}"#;

/// The credentials sent (the mock and Prism accept any bearer token).
pub const AUTHORIZATION: (&str, &str) = ("Authorization", "Bearer sk-mr-test");

/// A create with `body`.
pub fn create(body: &str) -> Request<'_> {
    Request {
        method: "POST",
        path: CREATE_PATH,
        headers: &[AUTHORIZATION, ("Content-Type", "application/json")],
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

/// The task id of the document's examples: what the targets other than the mock are asked
/// for.
const EXAMPLE_ID: &str = "8e1e315e-b50d-4334-a231-be7d19a372f4";

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

impl Workload {
    /// The statuses a target may answer with.
    fn expected(self, target: Target) -> RangeInclusive<u16> {
        match (self, target) {
            (Self::Invalid, Target::Mock | Target::InProcess) => 400..=400,
            // Prism answers its own 422 to a request that breaks the schema, but 5.14 lets
            // every create of this document through with 200: its validator gives up on the
            // document's "X or null" form (`openapi/README.md`). Both are accepted, so that the
            // run goes on; the report says which it was.
            (Self::Invalid, Target::Prism) => 200..=499,
            _ => 200..=200,
        }
    }
}

/// One measurement of one target.
#[derive(Debug, Clone)]
pub struct Cell {
    pub workload: Workload,
    pub connections: u32,
    pub target: Target,
    pub summary: Summary,
    /// The most of one core other processes used during any round.
    pub others: f64,
    /// Requests/s of every round, lowest first; `summary` is the median one.
    pub rates: Vec<f64>,
}

impl Cell {
    /// A cell known by its requests/s only (read back from a report).
    pub fn at_rate(workload: Workload, connections: u32, target: Target, rate: f64) -> Self {
        Self {
            workload,
            connections,
            target,
            summary: Summary {
                requests: rate,
                seconds: 1.0,
                ..Summary::default()
            },
            others: 0.0,
            rates: vec![rate],
        }
    }
}

/// A measurement during which other processes used more than this share of one core is
/// taken again.
pub const DISTURBED: f64 = 0.10;
/// The warm-up of a server started fresh for one measurement.
const FRESH_WARMUP: Duration = Duration::from_secs(1);
/// Attempts per measurement.
pub const ATTEMPTS: usize = 3;
/// How long to wait for other processes to finish before measuring again.
pub const QUIET_WAIT: Duration = Duration::from_secs(300);

/// A target ready for one workload: its URL and wrk script.
struct Prepared<'a> {
    server: &'a Server,
    url: String,
    script: PathBuf,
    expected: RangeInclusive<u16>,
}

impl Prepared<'_> {
    /// wrk with its script against it, `connections` for `duration`.
    fn wrk(&self, plan: &Plan, connections: u32, duration: Duration) -> Result<Summary, String> {
        wrk::run(&self.script, &self.url, plan, connections, duration).map(|(summary, _)| summary)
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
        let prepared = servers
            .iter()
            .map(|server| prepare(workload, server, scratch))
            .collect::<Result<Vec<_>, _>>()?;
        // Servers that keep every request are warmed up fresh before each measurement instead.
        for target in prepared.iter().filter(|t| !t.server.keeps_every_request()) {
            eprintln!(
                "  warming up {} for {workload} ({:?})",
                target.server.target, plan.warmup
            );
            target.wrk(plan, 16, plan.warmup)?;
        }
        for &connections in &plan.concurrency {
            // Rounds go through every target in turn, so that drift over time affects them
            // alike; each target's median round is kept.
            let mut runs: Vec<Vec<(Summary, f64)>> = vec![Vec::new(); prepared.len()];
            for round in 1..=plan.rounds {
                for (target, runs) in prepared.iter().zip(&mut runs) {
                    let name = format!(
                        "{} {workload} at {connections} connections",
                        target.server.target
                    );
                    let (summary, others) = if target.server.keeps_every_request() {
                        // Measured fresh each time, after a short warm-up, so that its memory
                        // stays bounded.
                        let fresh = target.server.fresh()?;
                        let renewed = prepare(workload, &fresh, scratch)?;
                        renewed.wrk(plan, connections, FRESH_WARMUP)?;
                        let watched = [&pids[..], &[fresh.pid()]].concat();
                        measure(&name, &renewed, connections, plan, &watched, problems)?
                    } else {
                        measure(&name, target, connections, plan, &pids, problems)?
                    };
                    eprintln!(
                        "  {name}, round {round}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                        summary.per_second(),
                        summary.p50_ms,
                        summary.p99_ms
                    );
                    runs.push((summary, others));
                }
            }
            for (target, mut runs) in prepared.iter().zip(runs) {
                runs.sort_by(|a, b| a.0.per_second().total_cmp(&b.0.per_second()));
                let rates = runs.iter().map(|(s, _)| s.per_second()).collect();
                let others = runs.iter().map(|(_, o)| *o).fold(0.0, f64::max);
                let (summary, _) = runs[runs.len() / 2];
                cells.push(Cell {
                    workload,
                    connections,
                    target: target.server.target,
                    summary,
                    others,
                    rates,
                });
            }
        }
    }
    Ok(cells)
}

/// One measurement, taken again (up to [`ATTEMPTS`] times) while other processes use more
/// than [`DISTURBED`] of a core; unexpected statuses and socket errors go to `problems`.
fn measure(
    name: &str,
    target: &Prepared<'_>,
    connections: u32,
    plan: &Plan,
    pids: &[u32],
    problems: &mut Vec<String>,
) -> Result<(Summary, f64), String> {
    let mut attempt = 0;
    let (summary, others) = loop {
        attempt += 1;
        let (summary, others) =
            system::others_during(pids, || target.wrk(plan, connections, plan.duration));
        let summary = summary?;
        if others <= DISTURBED || plan.shared_machine {
            break (summary, others);
        }
        if attempt == ATTEMPTS {
            problems.push(format!(
                "{name}: other processes used {:.0}% of a core in each of {ATTEMPTS} attempts; the last is reported",
                others * 100.0
            ));
            break (summary, others);
        }
        eprintln!(
            "  {name}: other processes used {:.0}% of a core; measuring again once they are done",
            others * 100.0
        );
        system::wait_for_quiet(QUIET_WAIT);
    };
    // wrk counts the answers with a status above 399.
    let expected = &target.expected;
    let errors = if *expected.start() >= 400 {
        summary.requests
    } else {
        0.0
    };
    if summary.status_errors != errors {
        problems.push(format!(
            "{name}: {} of {} answers had a status above 399 ({expected:?} expected)",
            summary.status_errors, summary.requests
        ));
    }
    if summary.socket_errors > 0.0 {
        problems.push(format!(
            "{name}: {} socket errors or timeouts",
            summary.socket_errors
        ));
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
                _ => format!("{CREATE_PATH}/{EXAMPLE_ID}"),
            };
            read(&task)
        }
    };
    let expected = workload.expected(server.target);
    let answer = http::send(server.address, &request)
        .map_err(|e| format!("{} {workload}: {e}", server.target))?;
    if !expected.contains(&answer.status) {
        return Err(format!(
            "{} answered {workload} with {} ({expected:?} expected): {}",
            server.target, answer.status, answer.body
        ));
    }
    let script = scratch.join(
        format!("{}-{workload:?}.lua", server.target)
            .to_lowercase()
            .replace(' ', "-"),
    );
    tools::write(&script, wrk::fixed(&request))?;
    Ok(Prepared {
        server,
        url: format!("{}{}", server.url(), request.path),
        script,
        expected,
    })
}

/// Creates a task on the mock at `address`; returns its path (its `task_info.id` after the
/// create path).
pub fn create_task(address: SocketAddr) -> Result<String, String> {
    let answer =
        http::send(address, &create(&VALID)).map_err(|e| format!("creating a task: {e}"))?;
    let task: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
    let id = task
        .pointer("/task_info/id")
        .and_then(serde_json::Value::as_str);
    let id = id.ok_or_else(|| format!("no task id in {}", answer.body))?;
    Ok(format!("{CREATE_PATH}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valid_create_is_the_documents_full_example_and_the_document_allows_it() {
        let body: serde_json::Value = serde_json::from_str(&VALID).unwrap();

        let checked =
            mulerouter_kling_mock::document::validate_request_body("POST", CREATE_PATH, &body);

        assert_eq!(checked, Ok(()));
        assert_eq!(body["elements"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn the_invalid_create_breaks_three_rules() {
        let body: serde_json::Value = serde_json::from_str(INVALID).unwrap();

        let checked =
            mulerouter_kling_mock::document::validate_request_body("POST", CREATE_PATH, &body);

        assert_eq!(checked.map_err(|violations| violations.len()), Err(3));
    }
}
