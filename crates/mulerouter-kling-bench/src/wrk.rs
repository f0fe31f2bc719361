//! Driving `wrk`: its Lua scripts (one fixed request per workload, or the create-and-poll mix
//! of the memory run), bounded runs, and the numbers read back from them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::Plan;
use crate::http::Request;
use crate::{system, tools};

/// Reports what `done()` sees on one line, in microseconds: wrk's own summary is rounded
/// for humans. A script that keeps counters per thread (the memory mix) lists their names in
/// `counters` and its threads in `threads`; their totals end the line.
pub const DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  local line = string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout)
  for _, name in ipairs(counters or {}) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + thread:get(name) end
    line = line .. string.format(" %s=%d", name, total)
  end
  io.write(line .. "\n")
end
"#;

/// A Lua long string holding `text` verbatim.
pub fn lua_string(text: &str) -> String {
    let mut level = 0;
    while text.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let equals = "=".repeat(level);
    format!("[{equals}[{text}]{equals}]")
}

/// A script sending `request` over and over (its path comes from the URL given to wrk).
pub fn fixed(request: &Request<'_>) -> String {
    let mut script = format!("wrk.method = {}\n", lua_string(request.method));
    if !request.body.is_empty() {
        let _ = writeln!(script, "wrk.body = {}", lua_string(request.body));
    }
    for (name, value) in request.headers {
        let (name, value) = (lua_string(name), lua_string(value));
        let _ = writeln!(script, "wrk.headers[ {name} ] = {value}");
    }
    script.push_str(DONE);
    script
}

/// Runs wrk with `script` against `url`: `connections` for `seconds` (at least 1), with the
/// plan's threads on its load core, stopped if it overruns. Returns the summary its `done()`
/// wrote, and every number of that line by name.
pub fn run(
    script: &Path,
    url: &str,
    plan: &Plan,
    connections: u32,
    seconds: u64,
) -> Result<(Summary, HashMap<String, f64>), String> {
    let (seconds, threads) = (seconds.max(1), plan.wrk_threads.min(connections));
    let mut wrk = system::command("wrk", plan.server_cpus.as_ref().map(|_| "0"));
    let args = format!("--threads={threads} --connections={connections} --duration={seconds}s");
    wrk.args(args.split(' ')).args(["--timeout=5s", "--script"]);
    let output = tools::run(
        wrk.arg(script).arg(url),
        Duration::from_secs(seconds + 60),
        true,
    )?;
    let output = String::from_utf8_lossy(&output.stdout);
    let numbers = numbers(&output);
    let summary = numbers.as_ref().and_then(Summary::of);
    let summary = summary.ok_or_else(|| format!("no summary in wrk's output:\n{output}"))?;
    Ok((summary, numbers.unwrap_or_default()))
}

/// The `key=value` numbers of the line `done()` wrote.
fn numbers(output: &str) -> Option<HashMap<String, f64>> {
    let line = output.lines().find_map(|l| l.strip_prefix("BENCH "))?;
    let pair = |pair: &str| {
        let (key, value) = pair.split_once('=')?;
        Some((key.to_string(), value.parse().ok()?))
    };
    line.split_whitespace().map(pair).collect()
}

/// One measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub requests: f64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers with a status above 399.
    pub status_errors: f64,
    pub socket_errors: f64,
}

impl Summary {
    fn of(numbers: &HashMap<String, f64>) -> Option<Self> {
        let get = |key: &str| numbers.get(key).copied();
        Some(Self {
            requests: get("requests")?,
            seconds: get("duration_us")? / 1e6,
            p50_ms: get("p50_us")? / 1e3,
            p99_ms: get("p99_us")? / 1e3,
            status_errors: get("status_errors")?,
            socket_errors: get("socket_errors")?,
        })
    }

    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests / self.seconds
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_survive_brackets_in_the_text() {
        assert_eq!(lua_string("a"), "[[a]]");
        assert_eq!(lua_string("x]]y"), "[=[x]]y]=]");
    }

    #[test]
    fn a_fixed_script_sets_method_body_and_headers() {
        let script = fixed(&crate::load::create(r#"{"a":1}"#));

        assert!(script.starts_with("wrk.method = [[POST]]\nwrk.body = [[{\"a\":1}]]\n"));
        assert!(script.contains("wrk.headers[ [[Authorization]] ] = [[Bearer sk-mr-test]]"));
        assert!(script.contains("done = function"));
    }

    #[test]
    fn the_done_line_is_read_back() {
        let output = "Running 1s test\nBENCH requests=1000 duration_us=2000000 p50_us=150 p99_us=2500 status_errors=0 socket_errors=1\n";
        let summary = Summary::of(&numbers(output).unwrap()).expect("parses");
        assert_eq!(summary.per_second(), 500.0);
        assert_eq!(summary.p50_ms, 0.15);
        assert_eq!(summary.p99_ms, 2.5);
        assert_eq!(summary.socket_errors, 1.0);
        assert!(numbers("no summary").is_none());
    }
}
