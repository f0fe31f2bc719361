//! The results as Markdown: printed, and written into `BENCHMARKS.md` between two markers so
//! that the prose around them stays.

use std::path::Path;

use crate::codegen::Timing;
use crate::hostile::Hostile;
use crate::in_process::TestCost;
use crate::load::{Cell, Workload};
use crate::memory::Memory;
use crate::table::Table;
use crate::targets::Target;

pub const BEGIN: &str =
    "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
pub const END: &str = "<!-- bench:end -->";

/// The plot of requests/s against connections, relative to the workspace root.
pub const PLOT: &str = "benchmarks/requests-per-second.svg";

/// Where and how the numbers were made.
#[derive(Debug, Clone, Default)]
pub struct Setting {
    pub date: String,
    pub command: String,
    pub cores: usize,
    pub cpu: String,
    pub memory: String,
    pub kernel: String,
    pub rustc: String,
    pub wrk: String,
    pub node: String,
    pub prism: String,
    pub wiremock: String,
    pub duration_s: u64,
    pub warmup_s: u64,
    pub rounds: usize,
    pub wrk_threads: u32,
    pub mock_log: String,
    pub pinning: String,
    pub shared_machine: bool,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub setting: Setting,
    pub cells: Vec<Cell>,
    pub memory: Option<Memory>,
    pub codegen: Vec<Timing>,
    pub hostile: Vec<Hostile>,
    pub test_cost: Option<TestCost>,
    pub problems: Vec<String>,
}

fn number(value: f64) -> String {
    let rounded = value.round() as u64;
    let digits = rounded.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(digit);
    }
    out
}

fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> String {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => format!("{:.2}×", n / d),
        _ => "–".into(),
    }
}

impl Results {
    /// The value measured, or `None` with the error kept among the problems of the run under
    /// `what`: one part failing does not lose the others.
    pub fn kept<T>(&mut self, what: &str, measured: Result<T, String>) -> Option<T> {
        measured
            .map_err(|error| self.problems.push(format!("{what}: {error}")))
            .ok()
    }

    fn cell(&self, workload: Workload, connections: u32, target: Target) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.workload == workload && c.connections == connections && c.target == target)
    }

    /// The Markdown section.
    pub fn markdown(&self) -> String {
        let s = &self.setting;
        let mut bullets = vec![
            format!("Date: {}", s.date),
            format!("Command: `{}`", s.command),
            format!(
                "Machine: {} cores (`nproc`), {}, {} RAM, Linux {}",
                s.cores, s.cpu, s.memory, s.kernel
            ),
            format!(
                "Load: {} (`--threads={}`, keep-alive connections, `--timeout=5s`); every server on 127.0.0.1, one at a time under load, after a {} s warm-up per target and workload; each cell measured for {} s in each of {} rounds through the targets, the median round reported; pinning (`taskset`): {}; a measurement during which other processes used more than {:.0}% of a core is taken again once they are done (up to 3 times)",
                s.wrk,
                s.wrk_threads,
                s.warmup_s,
                s.duration_s,
                s.rounds,
                s.pinning,
                crate::load::DISTURBED * 100.0
            ),
        ];
        if s.shared_machine {
            bullets.push("**Loaded machine**: the run shared its cores with other builds and was measured without waiting for them (`--shared-machine`, each cell once as it came), so absolute numbers are low and noisy; the ratios against the baseline of the same run are what to read".into());
        }
        bullets.extend([
            format!(
                "mock: `mulerouter-kling-mock --port 0`, release build, defaults (the core on hyper 1, HTTP/1.1 and h2c, multi-threaded runtime; wall-clock timing, at most 100 000 tasks held with the oldest evicted first, finished tasks kept 1 h), `RUST_LOG={}`",
                s.mock_log
            ),
            "in-process mock: the same core as a Rust test runs it, `MockMuleRouter` on wiremock in the bench program (wall-clock timing like the binary, requests not recorded); wiremock keeps a copy of each request it answers (about 6 KiB), so this server and bare wiremock are started fresh for each measurement and warmed up for 1 s, or they would grow by gigabytes".into(),
            format!(
                "baseline: bare hyper 1 HTTP/1.1 on one current-thread tokio runtime (as wiremock runs it), fixed {}-byte JSON body",
                crate::baseline::BODY.len()
            ),
            format!(
                "bare wiremock: wiremock {} `MockServer` (request recording off) with one responder answering every request with the baseline's body, mounted as the in-process mock mounts its own (one catch-all mock)",
                s.wiremock
            ),
            format!(
                "Prism: `prism mock -v error` on the same document, {} on Node {}; {}",
                s.prism, s.node, s.rustc
            ),
            "Requests: valid create = the document's `full` example (every field, two elements); invalid create = 3 broken rules (mock 400 listing all three, Prism 422); status GET = a task created just before (mock), the examples' id (Prism, baseline)".into(),
        ]);
        let mut out = String::from("## Latest run\n\n");
        bullets
            .iter()
            .for_each(|b| out.push_str(&format!("- {b}\n")));
        out.push('\n');

        if !self.cells.is_empty() {
            out.push_str(&self.targets_section());
            out.push_str(&self.throughput());
            out.push_str(&format!(
                "![requests/s against connections, per workload: bare hyper, the mock on hyper, the mock in-process on wiremock, bare wiremock, Prism]({PLOT})\n\n"
            ));
        }
        if !self.hostile.is_empty() {
            out.push_str(&self.hostile_section());
        }
        if let Some(cost) = &self.test_cost {
            out.push_str(&test_cost_section(cost));
        }
        if let Some(memory) = &self.memory {
            out.push_str(&memory_section(memory));
        }
        if !self.codegen.is_empty() {
            out.push_str(&self.codegen_section());
        }
        if !self.problems.is_empty() {
            out.push_str("### Problems in this run\n\n");
            self.problems
                .iter()
                .for_each(|p| out.push_str(&format!("- {p}\n")));
            out.push('\n');
        }
        out
    }

    fn rate(&self, workload: Workload, connections: u32, target: Target) -> Option<f64> {
        self.cell(workload, connections, target)
            .map(|c| c.summary.per_second())
    }

    fn throughput(&self) -> String {
        let mut table = Table::new(
            "lrrrrrrrrrrrrrrrr",
            "workload | conns | baseline req/s | p50 ms | p99 ms | mock req/s | p50 ms | p99 ms | in-process req/s | p50 ms | p99 ms | Prism req/s | p50 ms | p99 ms | mock ÷ baseline | in-process ÷ baseline | mock ÷ Prism",
        );
        let mut rows: Vec<(Workload, u32)> = self
            .cells
            .iter()
            .map(|c| (c.workload, c.connections))
            .collect();
        rows.sort();
        rows.dedup();
        for &(workload, connections) in &rows {
            let mut row = vec![workload.to_string(), connections.to_string()];
            let targets = [
                Target::Baseline,
                Target::Mock,
                Target::InProcess,
                Target::Prism,
            ];
            for target in targets {
                row.extend(match self.cell(workload, connections, target) {
                    Some(cell) => speed(cell),
                    None => ["–".into(), "–".into(), "–".into()],
                });
            }
            let [baseline, mock, in_process, prism] =
                targets.map(|t| self.rate(workload, connections, t));
            row.extend([
                ratio(mock, baseline),
                ratio(in_process, baseline),
                ratio(mock, prism),
            ]);
            table.row(row);
        }
        let others = self.cells.iter().map(|c| c.others).fold(0.0, f64::max);
        let spread = self
            .cells
            .iter()
            .filter_map(|c| Some((c.rates.first()?, c.rates.last()?)))
            .filter(|(low, _)| **low > 0.0)
            .map(|(low, high)| high / low - 1.0)
            .fold(0.0, f64::max);
        format!(
            "### Throughput and latency\n\n{}{}\nRounds of one cell differed by at most {:.0}% in requests/s; other processes used at most {:.0}% of a core during any measurement.\n\n",
            table.render(),
            self.wiremock_ceiling(&rows),
            spread * 100.0,
            others * 100.0
        )
    }

    /// Bare wiremock next to the baseline and the mock: how much of the ceiling wiremock
    /// itself leaves, and how much of that the mock uses.
    fn wiremock_ceiling(&self, rows: &[(Workload, u32)]) -> String {
        let mut table = Table::new(
            "lrrrrrr",
            "workload | conns | bare wiremock req/s | p50 ms | p99 ms | bare wiremock ÷ baseline | in-process ÷ bare wiremock",
        );
        for &(workload, connections) in rows {
            let Some(cell) = self.cell(workload, connections, Target::BareWiremock) else {
                continue;
            };
            let own = Some(cell.summary.per_second());
            let mut row = vec![workload.to_string(), connections.to_string()];
            row.extend(speed(cell));
            row.push(ratio(
                own,
                self.rate(workload, connections, Target::Baseline),
            ));
            row.push(ratio(
                self.rate(workload, connections, Target::InProcess),
                own,
            ));
            table.row(row);
        }
        if table.is_empty() {
            return String::new();
        }
        format!(
            "\nThe ceiling of a server built on wiremock, in the same run:\n\n{}",
            table.render()
        )
    }

    /// The targets at 64 connections, met or not.
    fn targets_section(&self) -> String {
        let met = |yes: bool| if yes { "met" } else { "not met" }.to_string();
        let mut table = Table::new("lrl", "target | measured |");
        for (workload, goal) in [(Workload::Get, 0.8), (Workload::Create, 0.65)] {
            if let (Some(mock), Some(base)) = (
                self.rate(workload, 64, Target::Mock),
                self.rate(workload, 64, Target::Baseline),
            ) {
                let share = mock / base;
                table.row(vec![
                    format!("{workload}: mock ≥ {goal:.2}× bare hyper"),
                    format!("{share:.2}×"),
                    met(share >= goal),
                ]);
            }
            if let Some(cell) = self.cell(workload, 64, Target::Mock) {
                let p99 = cell.summary.p99_ms;
                table.row(vec![
                    format!("{workload}: mock p99 < 2 ms"),
                    format!("{} ms", ms(p99)),
                    met(p99 < 2.0),
                ]);
            }
        }
        if table.is_empty() {
            return String::new();
        }
        format!("### Targets at 64 connections\n\n{}\n", table.render())
    }

    fn hostile_section(&self) -> String {
        let mut table = Table::new(
            "lrrrrl",
            "body | status | answered in | mock CPU | peak RSS growth | valid create meanwhile",
        );
        for h in &self.hostile {
            table.row(vec![
                h.what.to_string(),
                h.status.to_string(),
                format!("{} ms", ms(h.answered_in.as_secs_f64() * 1e3)),
                format!("{} ms", h.cpu.as_millis()),
                format!("{:.1} MiB", h.peak_growth_mib),
                h.neighbour.map_or("–".to_string(), |(status, took)| {
                    format!("{status} in {} ms", ms(took.as_secs_f64() * 1e3))
                }),
            ]);
        }
        format!(
            "### Hostile bodies\n\nEach sent to a fresh standalone mock; CPU time of the mock process (10 ms ticks), growth of its peak RSS, and a valid create sent meanwhile on another connection.\n\n{}\n",
            table.render()
        )
    }

    fn codegen_section(&self) -> String {
        let mut table = Table::new("llrrr", "what | command | median | min | runs");
        for timing in &self.codegen {
            table.row(vec![
                timing.what.to_string(),
                format!("`{}`", timing.command),
                format!("{} ms", timing.median().as_millis()),
                format!("{} ms", timing.min().as_millis()),
                timing.runs.len().to_string(),
            ]);
        }
        format!("### Codegen\n\n{}\n", table.render())
    }
}

/// Requests/s, p50 and p99 of a cell.
fn speed(cell: &Cell) -> [String; 3] {
    let s = &cell.summary;
    [number(s.per_second()), ms(s.p50_ms), ms(s.p99_ms)]
}

fn test_cost_section(cost: &TestCost) -> String {
    let mut table = Table::new("lr", "what | time");
    table.row(vec![
        "`MockMuleRouter::start`, one create, reads until `completed`, drop".into(),
        format!("{} ms", ms(cost.mock.as_secs_f64() * 1e3)),
    ]);
    table.row(vec![
        "bare wiremock `MockServer::start`, one mock mounted, one request, drop".into(),
        format!("{} ms", ms(cost.bare_wiremock.as_secs_f64() * 1e3)),
    ]);
    format!(
        "### What a Rust test pays in-process\n\nMedian of {} runs, in this process.\n\n{}\n",
        cost.runs,
        table.render()
    )
}

fn memory_section(memory: &Memory) -> String {
    let mut table = Table::new("rr", "requests answered | RSS MiB");
    table.row(vec![
        "0 (listening)".into(),
        format!("{:.1}", memory.start_mib),
    ]);
    for (requests, rss) in &memory.rounds {
        table.row(vec![number(*requests as f64), format!("{rss:.1}")]);
    }
    table.row(vec![
        "3 s after the load".into(),
        format!("{:.1}", memory.idle_mib),
    ]);
    format!(
        "### Memory of the mock\n\nOne process, defaults, {} connections; each connection in turn: a valid create, three reads of the task created last, an invalid create, an unknown path. {} requests at {} req/s (worst p99 of a round {} ms; other processes used at most {:.0}% of a core meanwhile): {} answered 200, {} 400, {} 404, {} 5xx, {} other, {} socket errors.\n\n\
         The mock holds at most 100 000 tasks (its default cap, the oldest evicted first); one request in six of this mix creates a task, so the store is full after about 600 000 requests, and RSS must stay flat from then on.\n\n\
         {}\nRSS after the first round {:.1} MiB, after {} requests {:.1} MiB.\n\n",
        memory.connections,
        number(memory.requests as f64),
        number(memory.per_second),
        ms(memory.worst_p99_ms),
        memory.others * 100.0,
        number(memory.ok as f64),
        number(memory.rejected as f64),
        number(memory.not_found as f64),
        memory.server_errors,
        memory.other,
        memory.socket_errors,
        table.render(),
        memory.warm_mib(),
        number(memory.requests as f64),
        memory.final_mib()
    )
}

/// Puts `section` between the markers of `path`, creating the file if needed.
pub fn write(path: &Path, section: &str) -> Result<(), String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n\n{section}{END}");
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{block}{}",
                &current[..begin],
                &current[end + END.len()..]
            )
        }
        _ if current.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{}\n{block}\n", current.trim_end()),
    };
    crate::tools::write(path, updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_ratios_guarded() {
        assert_eq!(number(1_234_567.4), "1\u{202f}234\u{202f}567");
        assert_eq!(number(999.0), "999");
        assert_eq!(ratio(Some(3.0), Some(2.0)), "1.50×");
        assert_eq!(ratio(Some(3.0), None), "–");
        assert_eq!(ms(0.123), "0.12");
        assert_eq!(ms(42.0), "42.0");
    }

    fn cell(target: Target, per_second: f64) -> Cell {
        let mut cell = Cell::at_rate(Workload::Get, 64, target, per_second);
        (cell.summary.p50_ms, cell.summary.p99_ms) = (0.5, 1.5);
        cell
    }

    #[test]
    fn the_targets_at_64_connections_say_whether_each_is_met() {
        // Arrange: status GET cells at 0.85× of the baseline with a p99 of 1.5 ms.
        let results = Results {
            cells: vec![
                cell(Target::Baseline, 100_000.0),
                cell(Target::Mock, 85_000.0),
            ],
            ..Results::default()
        };

        // Act
        let text = results.markdown();

        // Assert
        assert!(
            text.contains("| status GET: mock ≥ 0.80× bare hyper | 0.85× | met |"),
            "{text}"
        );
        assert!(
            text.contains("| status GET: mock p99 < 2 ms | 1.50 ms | met |"),
            "{text}"
        );
        assert!(
            !text.contains("valid create: mock"),
            "no create cells, no create rows"
        );
    }

    #[test]
    fn the_wiremock_ceiling_is_a_table_of_its_own_only_when_measured() {
        let mut results = Results {
            cells: vec![
                cell(Target::Baseline, 160_000.0),
                cell(Target::Mock, 100_000.0),
            ],
            ..Results::default()
        };
        assert!(
            !results
                .markdown()
                .contains("ceiling of a server built on wiremock")
        );

        results.cells.push(cell(Target::BareWiremock, 128_000.0));
        results.cells.push(cell(Target::InProcess, 64_000.0));
        let text = results.markdown();
        assert!(
            text.contains("| status GET | 64 | 128\u{202f}000 | 0.50 | 1.50 | 0.80× | 0.50× |"),
            "{text}"
        );
    }

    #[test]
    fn the_section_replaces_only_what_is_between_the_markers() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("BENCHMARKS.md");
        write(&path, "first\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}\n## Notes\n\nkept\n")).unwrap();
        write(&path, "second\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Benchmarks\n\n"));
        assert!(text.contains("second") && !text.contains("first"));
        assert!(text.ends_with("## Notes\n\nkept\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
