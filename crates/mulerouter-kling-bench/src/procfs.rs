//! The one reader of Linux's `/proc`: its `key: value` files (`/proc/<pid>/status`,
//! `/proc/meminfo`, `/proc/cpuinfo`) and the CPU time counters of `/proc/stat` and
//! `/proc/<pid>/stat`. Whatever cannot be read counts as absent or zero.

/// The value of the first line `key: value` of `path`, trimmed.
pub fn field(path: &str, key: &str) -> Option<String> {
    value_of(&std::fs::read_to_string(path).ok()?, key)
}

/// A field counted in kB (`VmRSS:  1234 kB`, `MemTotal: …`), in MiB.
pub fn mib(path: &str, key: &str) -> Option<f64> {
    let kib: f64 = field(path, key)?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A memory field of a process (`VmRSS`, `VmHWM`: the most it has had), in MiB.
pub fn process_mib(pid: u32, key: &str) -> Result<f64, String> {
    let path = format!("/proc/{pid}/status");
    mib(&path, key).ok_or_else(|| format!("cannot read {key} in {path}"))
}

/// `(all, busy)` clock ticks of every core since boot, from `/proc/stat`.
pub fn machine_ticks() -> (u64, u64) {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| stat.lines().next().map(cpu_line))
        .unwrap_or_default()
}

/// The user and system clock ticks of `process` (a pid, or `self`), with those of the
/// children it has waited for when `children`.
pub fn process_ticks(process: impl std::fmt::Display, children: bool) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{process}/stat")) else {
        return 0;
    };
    // The command name may hold spaces; the fields after it are numbers.
    let Some(end) = stat.rfind(')') else { return 0 };
    stat[end + 1..]
        .split_whitespace()
        .skip(11)
        .take(if children { 4 } else { 2 })
        .filter_map(|f| f.parse::<u64>().ok())
        .sum()
}

fn value_of(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim_end() == key).then(|| value.trim().to_string())
    })
}

/// `(all, user + nice + system + steal)` of the `cpu` line of `/proc/stat`: time the
/// hypervisor gave to other guests counts as busy too.
fn cpu_line(line: &str) -> (u64, u64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_found_by_its_whole_name_whatever_the_padding() {
        // Arrange: cpuinfo pads names with tabs; VmRSS must not match VmRSSx.
        let text = "VmRSSx:\t1 kB\nVmRSS:\t  2048 kB\nmodel name\t: Some CPU @ 2.0GHz\n";

        // Act, Assert
        assert_eq!(value_of(text, "VmRSS").as_deref(), Some("2048 kB"));
        assert_eq!(
            value_of(text, "model name").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        assert_eq!(value_of(text, "VmHWM"), None);
    }

    #[test]
    fn the_memory_of_this_process_is_read_in_mib() {
        let rss = process_mib(std::process::id(), "VmRSS");

        assert!(rss.as_ref().is_ok_and(|mib| *mib > 0.0), "{rss:?}");
        assert!(process_mib(std::process::id(), "NoSuchField").is_err());
    }

    #[test]
    fn the_cpu_line_counts_steal_as_busy_and_guest_time_once() {
        assert_eq!(cpu_line("cpu  10 1 5 100 2 0 3 4 7 0"), (125, 20));
    }
}
