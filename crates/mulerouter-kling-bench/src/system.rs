//! The machine and its processes as Linux's `/proc` shows them (read here only, through
//! procfs): what other processes took during a measurement, a process's CPU time and memory,
//! the CPU model and RAM; and the cores wrk and the servers are pinned to.

use std::process::Command;
use std::time::{Duration, Instant};

use procfs::process::Process;
use procfs::{CpuInfo, CpuTime, Current, CurrentSI, KernelStats, Meminfo, ProcResult};

use crate::load::DISTURBED;

/// The servers' cores when wrk has core 0 to itself and the servers the others, as on a
/// machine with one client and one server (`taskset -c` list). `None` with fewer than 2 cores
/// or without `taskset`.
pub fn server_cpus() -> Option<String> {
    let last = cores().checked_sub(1).filter(|&last| last > 0)?;
    let cpus = match last {
        1 => "1".into(),
        _ => format!("1-{last}"),
    };
    crate::tools::try_first_line("taskset", &["--version"]).map(|_| cpus)
}

/// A command for `program`, under `taskset -c cpus` when pinned.
pub fn command(program: impl AsRef<std::ffi::OsStr>, cpus: Option<&str>) -> Command {
    let Some(cpus) = cpus else {
        return Command::new(program);
    };
    let mut command = Command::new("taskset");
    command.arg("-c").arg(cpus).arg(program);
    command
}

/// The cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Runs `work`; returns what it returned and the share of one core that processes other than
/// ours used meanwhile: ours are this one, the children it waited for (wrk) and `servers`.
pub fn others_during<T>(servers: &[u32], work: impl FnOnce() -> T) -> (T, f64) {
    let before = Snapshot::now(servers);
    let done = work();
    (done, others(before, Snapshot::now(servers), cores()))
}

/// Waits (up to `limit`) until other processes use at most [`DISTURBED`] of a core over two
/// seconds, saying so.
pub fn wait_for_quiet(limit: Duration) {
    let deadline = Instant::now() + limit;
    for round in 0.. {
        let ((), others) = others_during(&[], || std::thread::sleep(Duration::from_secs(2)));
        let percent = others * 100.0;
        if others <= DISTURBED {
            return;
        } else if Instant::now() >= deadline {
            eprintln!(
                "warning: other processes still use {percent:.0}% of a core after {limit:?}; measuring anyway"
            );
            return;
        } else if round == 0 {
            eprintln!(
                "  other processes use {percent:.0}% of a core; waiting (up to {limit:?}) for them to finish"
            );
        }
    }
}

/// CPU time counters, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    /// Every core, every state (idle included): elapsed time × cores.
    all: u64,
    /// Every core, user and system time.
    busy: u64,
    /// This process with its waited-for children, and the servers watched.
    ours: u64,
}

impl Snapshot {
    /// Read from `/proc`; whatever cannot be read counts as zero.
    fn now(servers: &[u32]) -> Self {
        let (all, busy) = KernelStats::current().map_or((0, 0), |stats| machine(&stats.total));
        let ticks = |&pid: &u32| process_ticks(Process::new(pid as i32), false);
        let ours = process_ticks(Process::myself(), true) + servers.iter().map(ticks).sum::<u64>();
        Self { all, busy, ours }
    }
}

/// `(all, user + nice + system + steal)` of the first 8 counters of the `cpu` line of
/// `/proc/stat`: time the hypervisor gave to other guests counts as busy too, and guest time
/// is left out, being already counted in user time.
fn machine(cpu: &CpuTime) -> (u64, u64) {
    let busy = cpu.user + cpu.nice + cpu.system + cpu.steal.unwrap_or(0);
    let waiting = cpu.iowait.unwrap_or(0) + cpu.irq.unwrap_or(0) + cpu.softirq.unwrap_or(0);
    (busy + cpu.idle + waiting, busy)
}

/// The user and system clock ticks of `process`, with those of the children it has waited
/// for when `children`.
fn process_ticks(process: ProcResult<Process>, children: bool) -> u64 {
    let Ok(stat) = process.and_then(|process| process.stat()) else {
        return 0;
    };
    let waited = (stat.cutime + stat.cstime).max(0) as u64;
    stat.utime + stat.stime + if children { waited } else { 0 }
}

/// The share of one core that processes other than ours used between two snapshots.
fn others(before: Snapshot, after: Snapshot, cores: usize) -> f64 {
    let elapsed = after.all.saturating_sub(before.all) as f64 / cores.max(1) as f64;
    let busy = after.busy.saturating_sub(before.busy);
    let ours = after.ours.saturating_sub(before.ours);
    if elapsed <= 0.0 {
        0.0
    } else {
        busy.saturating_sub(ours) as f64 / elapsed
    }
}

/// The CPU time (user and system) a process has used, at the usual 100 ticks a second.
pub fn process_time(pid: u32) -> Duration {
    Duration::from_millis(process_ticks(Process::new(pid as i32), false) * 10)
}

/// The resident memory of a process in MiB (`/proc/<pid>/status` counts it in kB): now, or
/// the most it has been when `peak`.
pub fn rss_mib(pid: u32, peak: bool) -> Result<f64, String> {
    let status = Process::new(pid as i32).and_then(|p| p.status()).ok();
    let kib = status.and_then(|s| if peak { s.vmhwm } else { s.vmrss });
    let kib = kib.ok_or_else(|| format!("cannot read the memory of process {pid} in /proc"))?;
    Ok(kib as f64 / 1024.0)
}

/// The most address space a process has reserved so far (`VmPeak`), in MiB: memory asked
/// for and never touched counts here, not in the resident peak.
pub fn reserved_peak_mib(pid: u32) -> Result<f64, String> {
    let status = Process::new(pid as i32).and_then(|p| p.status()).ok();
    let kib = status.and_then(|s| s.vmpeak);
    let kib =
        kib.ok_or_else(|| format!("cannot read the address space of process {pid} in /proc"))?;
    Ok(kib as f64 / 1024.0)
}

/// The machine as the report describes it: its cores, CPU model and RAM.
pub fn described() -> String {
    let cpu = CpuInfo::current().ok();
    let model = cpu.as_ref().and_then(|cpu| cpu.model_name(0));
    let model = model.unwrap_or("unknown CPU");
    let gib = Meminfo::current().map(|memory| memory.mem_total as f64 / f64::from(1 << 30));
    let ram = gib.map_or("unknown".into(), |gib| format!("{gib:.1} GiB"));
    format!("{} cores (`nproc`), {model}, {ram} RAM", cores())
}

#[cfg(test)]
mod tests {
    use procfs::FromBufReadSI;

    use super::*;

    #[test]
    fn others_are_what_is_busy_beyond_our_processes() {
        let (all, busy, ours) = (200, 130, 120);
        let after = Snapshot { all, busy, ours };
        // 100 ticks elapsed per core; 10 ticks were someone else's.
        assert!((others(Snapshot::default(), after, 2) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn the_machine_counts_steal_as_busy_and_guest_time_once() {
        // Arrange: user nice system idle iowait irq softirq steal guest guest_nice.
        let stat = "cpu  10 1 5 100 2 0 3 4 7 0\nctxt 1\nbtime 1\nprocesses 1\n";

        // Act
        let stats = KernelStats::from_buf_read(stat.as_bytes(), procfs::current_system_info());

        // Assert
        assert_eq!(machine(&stats.unwrap().total), (125, 20));
    }

    #[test]
    fn the_memory_of_this_process_is_read_in_mib() {
        let rss = rss_mib(std::process::id(), false);

        assert!(rss.as_ref().is_ok_and(|mib| *mib > 0.0), "{rss:?}");
        assert!(rss_mib(u32::MAX, true).is_err());
    }
}
