//! The results as Markdown, opened by where and how they were made: printed, and written into
//! `BENCHMARKS.md` between two markers so that the prose around them stays.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::codegen::Timing;
use crate::hostile::Hostile;
use crate::in_process::TestCost;
use crate::load::{ATTEMPTS, Cell, DISTURBED, Workload};
use crate::memory::{ANSWERS, CONNECTIONS, Memory};
use crate::targets::Target;
use crate::{Plan, system, tools};

pub const BEGIN: &str =
    "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
pub const END: &str = "<!-- bench:end -->";

/// The plot of requests/s against connections, relative to the workspace root.
pub const PLOT: &str = "benchmarks/requests-per-second.svg";

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Where and how the numbers were made, as Markdown bullets.
    pub setting: String,
    pub cells: Vec<Cell>,
    pub memory: Option<Memory>,
    pub codegen: Vec<Timing>,
    pub hostile: Vec<Hostile>,
    pub test_cost: Option<TestCost>,
    pub problems: Vec<String>,
}

/// `value` rounded, its digits grouped by three with narrow spaces.
fn number(value: f64) -> String {
    let digits: Vec<char> = (value.round() as u64).to_string().chars().rev().collect();
    let group = |digits: &[char]| digits.iter().rev().collect();
    let groups: Vec<String> = digits.chunks(3).rev().map(group).collect();
    groups.join("\u{202f}")
}

/// Milliseconds with two decimals below 10, one above.
fn ms(value: f64) -> String {
    let decimals = if value < 10.0 { 2 } else { 1 };
    format!("{value:.decimals$}")
}

fn millis(duration: Duration) -> String {
    format!("{} ms", ms(duration.as_secs_f64() * 1e3))
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.2}×", n / d),
        _ => "–".into(),
    }
}

/// `head` (a `###` heading, a paragraph, each followed by a blank line) above a Markdown
/// table, or nothing without rows. `align` has a letter per column, `l` or `r` (right, for
/// numbers); `headers` and each row give their cells separated by `|`, as Markdown does.
fn section(head: &str, align: &str, headers: &str, rows: Vec<String>) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let headers: Vec<&str> = headers.split('|').map(str::trim).collect();
    let cells = |row: &String| row.split('|').count();
    assert!(
        rows.iter().all(|row| cells(row) == headers.len()),
        "a cell per column"
    );
    assert_eq!(align.len(), headers.len(), "an alignment per column");
    let rule = |a| if a == 'r' { "---:|" } else { "---|" };
    let rule: String = align.chars().map(rule).collect();
    let rows: String = rows.iter().map(|row| format!("| {row} |\n")).collect();
    format!("{head}| {} |\n|{rule}\n{rows}\n", headers.join(" | "))
}

impl Results {
    /// The value measured, or `None` with the error kept among the problems of the run under
    /// `what`: one part failing does not lose the others.
    pub fn kept<T>(&mut self, what: &str, measured: Result<T, String>) -> Option<T> {
        let problem = |error| self.problems.push(format!("{what}: {error}"));
        measured.map_err(problem).ok()
    }

    fn cell(&self, workload: Workload, connections: u32, target: Target) -> Option<&Cell> {
        let key = (workload, connections, target);
        let at = |c: &&Cell| (c.workload, c.connections, c.target) == key;
        self.cells.iter().find(at)
    }

    fn rate(&self, workload: Workload, connections: u32, target: Target) -> Option<f64> {
        let cell = self.cell(workload, connections, target);
        cell.map(|c| c.summary.per_second())
    }

    /// The Markdown section.
    pub fn markdown(&self) -> String {
        let problems: String = self.problems.iter().map(|p| format!("- {p}\n")).collect();
        let problems = if problems.is_empty() {
            problems
        } else {
            format!("### Problems in this run\n\n{problems}\n")
        };
        let setting = format!("## Latest run\n\n{}\n", self.setting);
        let parts = [setting, self.targets(), self.throughput(), self.hostile()];
        parts.concat() + &self.test_cost() + &self.memory() + &self.codegen() + &problems
    }

    /// The issue's targets at 64 connections, met or not.
    fn targets(&self) -> String {
        let met = |yes: bool| if yes { "met" } else { "not met" };
        let mut rows = Vec::new();
        for (workload, goal) in [(Workload::Get, 0.8), (Workload::Create, 0.65)] {
            let rate = |target| self.rate(workload, 64, target);
            if let (Some(mock), Some(base)) = (rate(Target::Mock), rate(Target::Baseline)) {
                let (share, met) = (mock / base, met(mock / base >= goal));
                rows.push(format!(
                    "{workload}: mock ≥ {goal:.2}× bare hyper | {share:.2}× | {met}"
                ));
            }
            if let Some(cell) = self.cell(workload, 64, Target::Mock) {
                let (p99, met) = (ms(cell.summary.p99_ms), met(cell.summary.p99_ms < 2.0));
                rows.push(format!("{workload}: mock p99 < 2 ms | {p99} ms | {met}"));
            }
        }
        let head = "### Targets at 64 connections\n\n";
        section(head, "lrl", "target | measured |", rows)
    }

    /// The main table; then bare wiremock next to the baseline and the in-process mock (how
    /// much of the ceiling wiremock itself leaves, and how much of that the mock uses); how
    /// steady the run was, and the plot.
    fn throughput(&self) -> String {
        use Target::{BareWiremock, Baseline, InProcess, Mock, Prism};
        if self.cells.is_empty() {
            return String::new();
        }
        let row = |c: &Cell| (c.workload, c.connections);
        let rows: BTreeSet<(Workload, u32)> = self.cells.iter().map(row).collect();
        let main = self.speeds(
            "### Throughput and latency\n\n",
            rows.iter().copied(),
            &[Baseline, Mock, InProcess, Prism],
            &[(Mock, Baseline), (InProcess, Baseline), (Mock, Prism)],
        );
        let ceiling = self.speeds(
            "The ceiling of a server built on wiremock, in the same run:\n\n",
            rows.into_iter()
                .filter(|&(w, n)| self.cell(w, n, BareWiremock).is_some()),
            &[BareWiremock],
            &[(BareWiremock, Baseline), (InProcess, BareWiremock)],
        );
        let others = self.cells.iter().map(|c| c.others).fold(0.0, f64::max);
        let spreads = (self.cells.iter()).filter_map(|c| {
            let (low, high) = (c.rates.first()?, c.rates.last()?);
            (*low > 0.0).then(|| high / low - 1.0)
        });
        let (spread, others) = (spreads.fold(0.0, f64::max) * 100.0, others * 100.0);
        format!(
            "{main}{ceiling}Rounds of one cell differed by at most {spread:.0}% in requests/s; other processes used at most {others:.0}% of a core during any measurement.\n\n\
             ![requests/s against connections, per workload: bare hyper, the mock on hyper, the mock in-process on wiremock, bare wiremock, Prism]({PLOT})\n\n"
        )
    }

    /// Under `head`, for each row, requests/s, p50 and p99 of each of `targets` (`–` if not
    /// measured), then each ratio `a ÷ b` of requests/s.
    fn speeds(
        &self,
        head: &str,
        rows: impl Iterator<Item = (Workload, u32)>,
        targets: &[Target],
        ratios: &[(Target, Target)],
    ) -> String {
        let mut headers = String::from("workload | conns");
        for target in targets {
            headers += &format!(" | {} req/s | p50 ms | p99 ms", target.column());
        }
        for (a, b) in ratios {
            headers += &format!(" | {} ÷ {}", a.column(), b.column());
        }
        let align = format!("l{}", "r".repeat(headers.matches('|').count()));
        let rows = rows.map(|(workload, connections)| {
            let mut row = format!("{workload} | {connections}");
            for &target in targets {
                row += &match self.cell(workload, connections, target) {
                    Some(Cell { summary: s, .. }) => {
                        let (rate, p50, p99) = (number(s.per_second()), ms(s.p50_ms), ms(s.p99_ms));
                        format!(" | {rate} | {p50} | {p99}")
                    }
                    None => " | – | – | –".into(),
                };
            }
            for &(a, b) in ratios {
                let rate = |target| self.rate(workload, connections, target);
                row += &format!(" | {}", ratio(rate(a), rate(b)));
            }
            row
        });
        section(head, &align, &headers, rows.collect())
    }

    fn hostile(&self) -> String {
        let rows = self.hostile.iter().map(|h| {
            let (what, answered_in) = (h.what, millis(h.answered_in));
            let status = h.status.map_or_else(|| "held".into(), |s| s.to_string());
            let (cpu, growth, reserved) = (h.cpu.as_millis(), h.peak_growth_mib, h.reserved_growth_mib);
            let neighbour = match h.neighbour {
                Some((status, took)) => format!("{status} in {}", millis(took)),
                None => "–".into(),
            };
            format!("{what} | {status} | {answered_in} | {cpu} ms | {growth:.1} MiB | {reserved:.1} MiB | {neighbour}")
        });
        let head = "### Hostile bodies\n\nEach sent to a fresh standalone mock; CPU time of the mock process (10 ms ticks), growth of its peak RSS and of the most address space it reserved (`VmPeak`: memory asked for and never touched counts there only), and a valid create sent meanwhile on another connection. Held bodies are not answered while measured (the mock answers them 408 after `--body-timeout`); their time is how long holding them and the valid create took.\n\n";
        let headers = "body | status | answered in | mock CPU | peak RSS growth | reserved growth | valid create meanwhile";
        section(head, "lrrrrrl", headers, rows.collect())
    }

    fn test_cost(&self) -> String {
        let Some(cost) = self.test_cost else {
            return String::new();
        };
        let (mock, bare_wiremock, runs) =
            (millis(cost.mock), millis(cost.bare_wiremock), cost.runs);
        let rows = vec![
            format!("`MockMuleRouter::start`, one create, reads until `completed`, drop | {mock}"),
            format!(
                "bare wiremock `MockServer::start`, one mock mounted, one request, drop | {bare_wiremock}"
            ),
        ];
        let head = format!(
            "### What a Rust test pays in-process\n\nMedian of {runs} runs, in this process.\n\n"
        );
        section(&head, "lr", "what | time", rows)
    }

    fn memory(&self) -> String {
        let Some(memory) = &self.memory else {
            return String::new();
        };
        let round = |&(n, rss): &(u64, f64)| (number(n as f64), rss);
        let rounds = memory.rounds.iter().map(round);
        let rows = std::iter::once(("0 (listening)".to_string(), memory.start_mib))
            .chain(rounds)
            .chain([("3 s after the load".into(), memory.idle_mib)])
            .map(|(requests, rss)| format!("{requests} | {rss:.1}"));
        let answers = ANSWERS.iter().zip(memory.answers);
        let answers = answers.map(|((_, class), n)| format!("{} {class}", number(n as f64)));
        let answers = answers.collect::<Vec<_>>().join(", ");
        let (requests, per_second) = (number(memory.requests as f64), number(memory.per_second));
        let (p99, others) = (ms(memory.worst_p99_ms), memory.others * 100.0);
        let socket_errors = number(memory.socket_errors as f64);
        let head = format!(
            "### Memory of the mock\n\n\
             One process, defaults, {CONNECTIONS} connections; each connection in turn: a valid create, three reads of the task created last, an invalid create, an unknown path. {requests} requests at {per_second} req/s (worst p99 of a round {p99} ms; other processes used at most {others:.0}% of a core meanwhile): {answers}, {socket_errors} socket errors.\n\n\
             The mock holds at most 100 000 tasks (its default cap, the oldest evicted first); one request in six of this mix creates a task, so the store is full after about 600 000 requests, and RSS must stay flat from then on.\n\n"
        );
        // RSS after the first round, when the process has warmed up, and at the end.
        let [warm, last] = [memory.rounds.first(), memory.rounds.last()]
            .map(|round| round.map_or(memory.start_mib, |&(_, rss)| rss));
        let table = section(&head, "rr", "requests answered | RSS MiB", rows.collect());
        format!(
            "{table}RSS after the first round {warm:.1} MiB, after {requests} requests {last:.1} MiB.\n\n"
        )
    }

    fn codegen(&self) -> String {
        let rows = self.codegen.iter().map(|timing| {
            let (what, command, runs) = (timing.what, timing.command, &timing.runs);
            let (median, min) = (runs[runs.len() / 2].as_millis(), runs[0].as_millis());
            let runs = runs.len();
            format!("{what} | `{command}` | {median} ms | {min} ms | {runs}")
        });
        let headers = "what | command | median | min | runs";
        section("### Codegen\n\n", "llrrr", headers, rows.collect())
    }
}

/// Where and how the numbers were made, as the bullets that open the report, one Markdown line
/// each: the machine, the programs and their versions, how each server was run and loaded;
/// `prism` is Prism's version if it runs.
pub fn setting(plan: &Plan, prism: Option<&str>) -> String {
    let command = std::env::var("MULEROUTER_BENCH_COMMAND").unwrap_or_else(|_| {
        let args = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
        format!("cargo run --release -p mulerouter-kling-bench -- {args}")
    });
    let date = tools::first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let (machine, kernel) = (system::described(), tools::first_line("uname", &["-r"]));
    let wrk = tools::first_line("wrk", &["--version"]);
    let wrk = wrk.split(" [").next().unwrap_or("wrk");
    let (threads, rounds, rust_log) = (plan.wrk_threads, plan.rounds, &plan.mock_log);
    let (warmup, duration) = (plan.warmup, plan.duration);
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

/// Puts `section` between the markers of `path`, creating the file if needed.
pub fn write(path: &Path, section: &str) -> Result<(), String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    tools::write(path, with_section(&current, section))
}

/// `current` (a report, or nothing yet) with `section` between its markers, added at its end
/// if it has none.
fn with_section(current: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n\n{section}{END}");
    match (current.find(BEGIN), current.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            let (before, after) = (&current[..begin], &current[end + END.len()..]);
            format!("{before}{block}{after}")
        }
        _ if current.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{}\n{block}\n", current.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_has_its_header_alignment_and_rows_and_keeps_an_empty_header() {
        let rows = vec!["status GET | 12 | met".to_string()];

        let text = section("### T\n\n", "lrl", "workload | req/s |", rows);

        let table = "| workload | req/s |  |\n|---|---:|---|\n| status GET | 12 | met |\n";
        assert_eq!(text, format!("### T\n\n{table}\n"));
        assert!(section("### T\n\n", "lrl", "workload | req/s |", Vec::new()).is_empty());
    }

    #[test]
    fn numbers_are_grouped_and_ratios_guarded() {
        assert_eq!(number(1_234_567.4), "1\u{202f}234\u{202f}567");
        assert_eq!(number(999.0), "999");
        assert_eq!(ratio(Some(3.0), Some(2.0)), "1.50×");
        assert_eq!(ratio(Some(3.0), None), "–");
        assert_eq!(ms(0.123), "0.12");
        assert_eq!(ms(42.0), "42.0");
    }

    #[test]
    fn a_hostile_body_held_rather_than_answered_says_so_and_shows_its_reserved_memory() {
        let hostile = |what, status| Hostile {
            what,
            status,
            answered_in: Duration::from_micros(1_500),
            cpu: Duration::from_millis(10),
            peak_growth_mib: 2.0,
            reserved_growth_mib: 896.14,
            neighbour: Some((200, Duration::from_micros(700))),
        };
        let results = Results {
            hostile: vec![hostile("answered", Some(400)), hostile("held", None)],
            ..Results::default()
        };

        let text = results.hostile();

        assert!(
            text.contains(
                "| answered | 400 | 1.50 ms | 10 ms | 2.0 MiB | 896.1 MiB | 200 in 0.70 ms |"
            ),
            "{text}"
        );
        assert!(text.contains("| held | held | 1.50 ms |"), "{text}");
    }

    /// The report of status GET cells at 64 connections, each with a p50 of 0.5 ms and a p99
    /// of 1.5 ms, at the requests/s given.
    fn markdown(rates: &[(Target, f64)]) -> String {
        let cell = |&(target, rate): &(Target, f64)| {
            let mut cell = Cell::at_rate(Workload::Get, 64, target, rate);
            (cell.summary.p50_ms, cell.summary.p99_ms) = (0.5, 1.5);
            cell
        };
        let cells = rates.iter().map(cell).collect();
        Results {
            cells,
            ..Results::default()
        }
        .markdown()
    }

    #[test]
    fn the_targets_at_64_connections_say_whether_each_is_met() {
        let text = markdown(&[(Target::Baseline, 100_000.0), (Target::Mock, 85_000.0)]);

        for row in [
            "| status GET: mock ≥ 0.80× bare hyper | 0.85× | met |",
            "| status GET: mock p99 < 2 ms | 1.50 ms | met |",
        ] {
            assert!(text.contains(row), "{row} in {text}");
        }
        assert!(
            !text.contains("valid create: mock"),
            "no create cells, no create rows"
        );
    }

    #[test]
    fn the_wiremock_ceiling_is_a_table_of_its_own_only_when_measured() {
        let mut rates = vec![(Target::Baseline, 160_000.0), (Target::Mock, 100_000.0)];
        assert!(!markdown(&rates).contains("ceiling of a server built on wiremock"));

        rates.extend([
            (Target::BareWiremock, 128_000.0),
            (Target::InProcess, 64_000.0),
        ]);
        let text = markdown(&rates);

        let row = "| status GET | 64 | 128\u{202f}000 | 0.50 | 1.50 | 0.80× | 0.50× |";
        assert!(text.contains(row), "{text}");
    }

    #[test]
    fn the_section_replaces_only_what_is_between_the_markers() {
        let first = with_section("", "first\n");
        let text = with_section(&format!("{first}\n## Notes\n\nkept\n"), "second\n");
        assert!(text.starts_with("# Benchmarks\n\n"));
        assert!(text.contains("second") && !text.contains("first"));
        assert!(text.ends_with("## Notes\n\nkept\n"));
    }
}
