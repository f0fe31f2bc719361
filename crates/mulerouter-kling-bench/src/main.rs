//! `mulerouter-kling-bench`, started by `cargo xtask bench`; `BENCHMARKS.md` says what each
//! part measures and how. Missing tools are installed (`wrk` with apt-get, Prism with npm into
//! `target/bench/prism`); every load is bounded in time and goes to 127.0.0.1 only.

mod codegen;
mod hostile;
mod http;
mod in_process;
mod load;
mod memory;
mod plot;
mod report;
mod served;
mod system;
mod targets;
mod tools;
mod wrk;

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::load::Workload;
use crate::report::Results;
use crate::targets::{Server, Target};

#[derive(Debug, Parser)]
#[command(about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the benchmarks and write the results into BENCHMARKS.md.
    Run(Box<Plan>),
    /// Serve the baseline, the in-process mock or bare wiremock on a free port of 127.0.0.1,
    /// announced on stdout (started by `run`).
    #[command(hide = true)]
    Serve { target: Target },
}

/// What `run` measures and how: its options, and the cores it pins the servers to.
#[derive(Debug, Args)]
pub struct Plan {
    /// A short smoke run (one 2 s round per cell, 1 s warm-up, 200 000 requests for memory,
    /// one codegen run); writes nothing.
    #[arg(long)]
    pub quick: bool,
    /// Length of each measurement, in seconds.
    #[arg(long, default_value = "5", default_value_if("quick", "true", "2"))]
    pub duration: u64,
    /// Warm-up per target and workload before measuring, in seconds.
    #[arg(long, default_value = "2", default_value_if("quick", "true", "1"))]
    pub warmup: u64,
    /// Rounds through all targets per cell; each cell reports its median round.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "3", default_value_if("quick", "true", "1"))]
    pub rounds: u64,
    /// Connections, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    pub concurrency: Vec<u32>,
    /// Servers to load, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Target::Baseline, Target::BareWiremock, Target::Mock, Target::InProcess, Target::Prism])]
    targets: Vec<Target>,
    /// Workloads, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Workload::Create, Workload::Invalid, Workload::Get])]
    pub workloads: Vec<Workload>,
    /// Skip the throughput and latency runs.
    #[arg(long)]
    no_load: bool,
    /// Requests for the memory run (0 skips it; the default fills the task store to its cap of
    /// 100 000 after about 600 000 of the mix, then memory must stay flat).
    #[arg(
        long,
        default_value = "2000000",
        default_value_if("quick", "true", "200000")
    )]
    memory_requests: u64,
    /// Timed runs of each codegen command (0 skips them).
    #[arg(long, default_value = "5", default_value_if("quick", "true", "1"))]
    codegen_runs: usize,
    /// wrk threads (at most one per connection). One leaves the other core of a 2-core
    /// machine to the server, which answers on one thread (wiremock's server, the baseline).
    #[arg(long, default_value_t = 1)]
    pub wrk_threads: u32,
    /// The machine is shared with other work: do not wait for a quiet machine nor take a
    /// disturbed measurement again, and say so in the report (compare ratios within the run).
    #[arg(long)]
    pub shared_machine: bool,
    /// Do not pin wrk to core 0 and the servers to the other cores.
    #[arg(long)]
    no_pin: bool,
    /// `RUST_LOG` of the mock under load (`warn`, like Prism's `-v error`; `info` logs every
    /// request).
    #[arg(long, default_value = "warn")]
    pub mock_log: String,
    /// Use this mock binary instead of building `mulerouter-kling-mock` in release.
    #[arg(long)]
    mock: Option<PathBuf>,
    /// Where to write the results, relative to the workspace root.
    #[arg(long, default_value = "BENCHMARKS.md")]
    output: PathBuf,
    /// Print the results only.
    #[arg(long)]
    no_write: bool,
    /// The servers' cores (`taskset -c`) when pinned, wrk then having core 0 (set by `run`).
    #[arg(skip)]
    pub server_cpus: Option<String>,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Run(plan) => run(*plan),
        Cmd::Serve { target } => TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| served::serve(target, listener))
            .map_err(|e| e.to_string()),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The workspace root: two levels above this crate.
fn root() -> &'static Path {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.ancestors().nth(2).expect("crates/<this crate>")
}

fn run(mut plan: Plan) -> Result<(), String> {
    let root = root();
    let target_dir = root.join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or("target".into()));
    let scratch = target_dir.join("bench");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    plan.server_cpus = (!plan.no_pin).then(system::server_cpus).flatten();
    let targets: BTreeSet<Target> = plan.targets.iter().copied().collect();
    let loading = !plan.no_load && !targets.is_empty() && !plan.workloads.is_empty();

    if !plan.shared_machine {
        system::wait_for_quiet(Duration::from_secs(120));
    }
    eprintln!("== tools");
    tools::ensure_wrk()?;
    let prism = (loading && targets.contains(&Target::Prism))
        .then(|| tools::ensure_prism(&scratch.join("prism")))
        .transpose()?;
    let mock = match &plan.mock {
        Some(path) => path.clone(),
        None => build_mock(root, &target_dir)?,
    };
    let (plan, cpus) = (&plan, plan.server_cpus.as_deref());
    let mut results = Results {
        setting: report::setting(plan, prism.as_ref().map(|p| p.1.as_str())),
        ..Results::default()
    };

    if plan.codegen_runs > 0 {
        eprintln!("== codegen ({} runs each)", plan.codegen_runs);
        let timings = codegen::measure(root, &target_dir, plan.codegen_runs);
        results.codegen = results.kept("codegen", timings).unwrap_or_default();
    }

    if loading {
        let seconds = plan.duration;
        let (workloads, concurrency) = (&plan.workloads, &plan.concurrency);
        eprintln!(
            "== load: {targets:?} × {workloads:?} × {concurrency:?} connections, {seconds} s each"
        );
        let servers = targets.iter().map(|&target| {
            let log = scratch.join(format!("{target}.log").to_lowercase().replace(' ', "-"));
            match target {
                Target::Mock => Server::mock(&mock, &plan.mock_log, &log, cpus),
                Target::Prism => {
                    let (prism, _) = prism.as_ref().ok_or("Prism is not installed")?;
                    Server::prism(prism, &scratch, &log, cpus)
                }
                ours => Server::of_this_program(ours, &log, cpus),
            }
        });
        let servers = servers.collect::<Result<Vec<_>, _>>()?;
        results.cells = load::run(plan, &servers, &scratch, &mut results.problems)?;
    }

    eprintln!("== hostile bodies, each to a fresh mock");
    let hostile = hostile::measure(&mock, &scratch, cpus);
    results.hostile = results.kept("hostile bodies", hostile).unwrap_or_default();

    let runs = if plan.quick { 5 } else { 25 };
    eprintln!("== what a Rust test pays in-process ({runs} runs)");
    results.test_cost = results.kept("in-process test cost", in_process::test_cost(runs));

    if plan.memory_requests > 0 {
        let requests = plan.memory_requests;
        eprintln!("== memory: {requests} requests to a fresh mock");
        results.memory = Some(memory::run(&mock, &scratch, requests, plan)?);
    }

    let section = results.markdown();
    println!("{section}");
    for problem in &results.problems {
        eprintln!("warning: {problem}");
    }
    if !plan.no_write && !plan.quick {
        let path = root.join(&plan.output);
        report::write(&path, &section)?;
        eprintln!("wrote {}", path.display());
        if !results.cells.is_empty() {
            let svg = root.join(report::PLOT);
            tools::write(&svg, plot::svg(&results.cells)?)?;
            eprintln!("wrote {}", svg.display());
        }
    }
    Ok(())
}

fn build_mock(root: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    eprintln!("== building mulerouter-kling-mock (release)");
    let package = "mulerouter-kling-mock";
    let mut cargo = Command::new(tools::cargo());
    cargo.args(["build", "--release", "--package", package, "--bin", package]);
    let status = cargo.current_dir(root).status();
    let status = status.map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building the mock failed".into());
    }
    Ok(target_dir.join("release").join(package))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_parses_lists_and_quick_defaults() {
        let args = "bench run --concurrency 1,64 --targets mock,baseline --warmup 3 --quick";
        let Cmd::Run(plan) = Cli::try_parse_from(args.split(' ')).unwrap().command else {
            panic!("a run")
        };
        assert_eq!(plan.concurrency, [1, 64]);
        assert_eq!(plan.targets, [Target::Mock, Target::Baseline]);
        assert_eq!(plan.workloads.len(), 3);
        assert_eq!(
            (plan.duration, plan.warmup),
            (2, 3),
            "the quick default, and one given"
        );
        assert_eq!(plan.memory_requests, 2_000_000 / 10);
        assert!(Cli::try_parse_from(["bench", "run", "--rounds", "0"]).is_err());
    }
}
