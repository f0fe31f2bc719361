//! Where the cores go during a measurement: cores for the load generator and for the
//! servers, and how much CPU other processes took meanwhile, so that a number measured while
//! something else ran (a compiler, another benchmark) is measured again rather than reported.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::load::DISTURBED;

/// Which cores wrk and the servers run on (`taskset` lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinning {
    pub load: String,
    pub servers: String,
}

impl Pinning {
    /// wrk on core 0, the servers on the others: each side keeps its cores, as on a machine
    /// with one client and one server. `None` with fewer than 2 cores or without `taskset`.
    pub fn detect(cores: usize) -> Option<Self> {
        (cores >= 2 && crate::tools::works("taskset", &["--version"])).then(|| Self {
            load: "0".into(),
            servers: if cores == 2 {
                "1".into()
            } else {
                format!("1-{}", cores - 1)
            },
        })
    }
}

/// A command for `program`, under `taskset -c cpus` when pinned.
pub fn command(program: impl AsRef<std::ffi::OsStr>, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpus).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Waits (up to `limit`) until other processes use at most [`DISTURBED`] of a core over two
/// seconds, saying so; returns whether the machine is quiet.
pub fn wait_for_quiet(limit: Duration) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let deadline = Instant::now() + limit;
    let mut said = false;
    loop {
        let before = snapshot(&[]);
        std::thread::sleep(Duration::from_secs(2));
        let others = others(before, snapshot(&[]), cores);
        if others <= DISTURBED {
            return true;
        }
        if Instant::now() >= deadline {
            eprintln!(
                "warning: other processes still use {:.0}% of a core after {limit:?}; measuring anyway",
                others * 100.0
            );
            return false;
        }
        if !said {
            eprintln!(
                "  other processes use {:.0}% of a core; waiting (up to {limit:?}) for them to finish",
                others * 100.0
            );
            said = true;
        }
    }
}

/// CPU time counters, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    /// Every core, every state (idle included): elapsed time × cores.
    all: u64,
    /// Every core, user and system time.
    busy: u64,
    /// The servers watched, and this process with its waited-for children (wrk).
    ours: u64,
}

/// Counters now; `pids` are the servers whose time is ours.
pub fn snapshot(pids: &[u32]) -> Snapshot {
    let (all, busy) = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| stat.lines().next().map(system))
        .unwrap_or_default();
    let own = process("/proc/self/stat", 4);
    let servers: u64 = pids
        .iter()
        .map(|pid| process(&format!("/proc/{pid}/stat"), 2))
        .sum();
    Snapshot {
        all,
        busy,
        ours: own + servers,
    }
}

/// The share of one core that processes other than ours used between two snapshots.
pub fn others(before: Snapshot, after: Snapshot, cores: usize) -> f64 {
    let elapsed = after.all.saturating_sub(before.all) as f64 / cores.max(1) as f64;
    let busy = after.busy.saturating_sub(before.busy);
    let ours = after.ours.saturating_sub(before.ours);
    if elapsed <= 0.0 {
        0.0
    } else {
        busy.saturating_sub(ours) as f64 / elapsed
    }
}

/// `(all, user + nice + system + steal)` of the `cpu` line of `/proc/stat`: time the
/// hypervisor gave to other guests counts as taken by others too.
fn system(line: &str) -> (u64, u64) {
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    // already counted in user time.
    let all = fields.iter().take(8).sum();
    let busy = fields.iter().take(3).sum::<u64>() + fields.get(7).copied().unwrap_or(0);
    (all, busy)
}

/// The CPU time (user and system) a process has used, at the usual 100 ticks a second.
pub fn process_time(pid: u32) -> Duration {
    Duration::from_millis(process(&format!("/proc/{pid}/stat"), 2) * 10)
}

/// utime + stime (+ cutime + cstime when `fields` is 4) of a `/proc/<pid>/stat`.
fn process(path: &str, fields: usize) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|stat| {
            // The command name may hold spaces; the fields after it are numbers.
            let rest = &stat[stat.rfind(')')? + 1..];
            Some(
                rest.split_whitespace()
                    .skip(11)
                    .take(fields)
                    .filter_map(|f| f.parse::<u64>().ok())
                    .sum(),
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_line_is_summed() {
        assert_eq!(system("cpu  10 1 5 100 2 0 3 4 7 0"), (125, 20));
    }

    #[test]
    fn others_are_what_is_busy_beyond_our_processes() {
        let before = Snapshot {
            all: 0,
            busy: 0,
            ours: 0,
        };
        let after = Snapshot {
            all: 200,
            busy: 130,
            ours: 120,
        };
        // 100 ticks elapsed per core; 10 ticks were someone else's.
        assert!((others(before, after, 2) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn this_process_is_read() {
        let now = snapshot(&[std::process::id()]);
        assert!(now.all > 0);
    }
}
