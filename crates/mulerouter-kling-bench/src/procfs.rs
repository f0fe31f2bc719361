//! The one reader of Linux's `key: value` files under `/proc` (`/proc/<pid>/status`,
//! `/proc/meminfo`, `/proc/cpuinfo`): memory of a process, of the machine, the CPU model.

/// The value of the first line `key: value` of `path`, trimmed; `None` if the file cannot be
/// read or has no such line.
pub fn field(path: &str, key: &str) -> Option<String> {
    value_of(&std::fs::read_to_string(path).ok()?, key)
}

/// A field counted in kB (`VmRSS:  1234 kB`, `MemTotal: …`), in MiB.
pub fn mib(path: &str, key: &str) -> Option<f64> {
    let kib: f64 = field(path, key)?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

fn value_of(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim_end() == key).then(|| value.trim().to_string())
    })
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
        let rss = mib(&format!("/proc/{}/status", std::process::id()), "VmRSS");

        assert!(rss.is_some_and(|mib| mib > 0.0), "{rss:?}");
    }

    #[test]
    fn a_missing_file_has_no_field() {
        assert_eq!(field("/proc/no-such-file", "VmRSS"), None);
    }
}
