//! Where and how the numbers were made, as the bullets that open the report: the machine, the
//! programs and their versions, and how each server was run and loaded.

use crate::load::{ATTEMPTS, DISTURBED};
use crate::{Plan, system, tools};

/// The bullets, one Markdown line each; `prism` is Prism's version if it runs.
pub fn bullets(plan: &Plan, prism: Option<&str>) -> String {
    let command = std::env::var("MULEROUTER_BENCH_COMMAND").unwrap_or_else(|_| {
        let args = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
        format!("cargo run --release -p mulerouter-kling-bench -- {args}")
    });
    let date = tools::first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let (machine, kernel) = (system::described(), tools::first_line("uname", &["-r"]));
    let wrk = tools::first_line("wrk", &["--version"]);
    let wrk = wrk.split(" [").next().unwrap_or("wrk");
    let (threads, rounds, rust_log) = (plan.wrk_threads, plan.rounds, &plan.mock_log);
    let (warmup, duration) = (plan.warmup.as_secs(), plan.duration.as_secs());
    let pinning = (plan.server_cpus.as_ref()).map_or("none".into(), |cpus| {
        format!("wrk on core 0, servers on cores {cpus}")
    });
    let disturbed = DISTURBED * 100.0;
    let retaken = format!(
        "; a measurement during which other processes used more than {disturbed:.0}% of a core is taken again once they are done (up to {ATTEMPTS} times)"
    );
    let loaded = "- **Loaded machine**: the run shared its cores with other builds and was measured without waiting for them (`--shared-machine`: no wait for a quiet machine, no measurement taken again), so absolute numbers are low and noisy; the ratios against the baseline of the same run are what to read\n";
    let (retaken, loaded) = if plan.shared_machine {
        ("", loaded)
    } else {
        (retaken.as_str(), "")
    };
    let body = crate::served::BODY.len();
    let wiremock = locked_version("wiremock");
    let prism = prism.map_or_else(|| "not run".into(), |v| format!("Prism {v}"));
    let node = tools::first_line("node", &["--version"]);
    let rustc = tools::first_line("rustc", &["--version"]);
    format!(
        "- Date: {date}\n\
         - Command: `{command}`\n\
         - Machine: {machine}, Linux {kernel}\n\
         - Load: {wrk} (`--threads={threads}`, keep-alive connections, `--timeout=5s`); every server on 127.0.0.1, one at a time under load, after a {warmup} s warm-up per target and workload; each cell measured for {duration} s in each of {rounds} rounds through the targets, the median round reported; pinning (`taskset`): {pinning}{retaken}\n\
         {loaded}\
         - mock: `mulerouter-kling-mock --port 0`, release build, defaults (the core on hyper 1, HTTP/1.1 and h2c, multi-threaded runtime; wall-clock timing, at most 100 000 tasks held with the oldest evicted first, finished tasks kept 1 h), `RUST_LOG={rust_log}`\n\
         - in-process mock: the same core as a Rust test runs it, `MockMuleRouter` on wiremock in the bench program (wall-clock timing like the binary, requests not recorded); wiremock keeps a copy of each request it answers (about 6 KiB), so this server and bare wiremock are started fresh for each measurement and warmed up for 1 s, or they would grow by gigabytes\n\
         - baseline: bare hyper 1 HTTP/1.1 on one current-thread tokio runtime (as wiremock runs it), fixed {body}-byte JSON body\n\
         - bare wiremock: wiremock {wiremock} `MockServer` (request recording off) with one responder answering every request with the baseline's body, mounted as the in-process mock mounts its own (one catch-all mock)\n\
         - Prism: `prism mock -v error` on the same document, {prism} on Node {node}; {rustc}\n\
         - Requests: valid create = the document's `full` example (every field, two elements); invalid create = 3 broken rules (mock 400 listing all three; Prism would answer 422, but 5.14 lets every create of this document through with 200 without validating it, see `openapi/README.md`); status GET = a task created just before (mock), the examples' id (Prism, baseline)\n"
    )
}

/// The version of `package` in the workspace's `Cargo.lock`, as cargo reads it.
fn locked_version(package: &str) -> String {
    let manifest = crate::root().join("Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let args = ["pkgid", "--offline", "--manifest-path", &manifest, package];
    let id = tools::first_line(&tools::cargo(), &args);
    id.rsplit_once('@')
        .map_or("(version unknown)".into(), |(_, version)| version.into())
}
