//! The mock's resident memory over a long load in one process: a fresh mock with its
//! defaults, driven by wrk with a mix of creates, reads of the tasks created, invalid creates
//! and unknown paths, in fixed-length rounds until the requested number of requests has been
//! answered; RSS is read from `/proc` after each round.

use std::path::Path;
use std::time::Duration;

use crate::Plan;
use crate::load::{AUTHORIZATION, CREATE_PATH, INVALID, VALID};
use crate::targets::Server;
use crate::wrk::{self, DONE, lua_string};
use crate::{system, tools};

/// One round of load, in seconds, from this many connections.
const ROUND: u64 = 5;
pub const CONNECTIONS: u32 = 16;
/// Never more rounds than this, whatever the request rate.
const MAX_ROUNDS: usize = 120;

/// The classes of answers the mix counts: the name of the script's counter, and how the
/// report says it.
pub const ANSWERS: [(&str, &str); 5] = [
    ("ok", "answered 200"),
    ("rejected", "400"),
    ("not_found", "404"),
    ("server_errors", "5xx"),
    ("other", "other"),
];

/// What the memory run saw.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// RSS (MiB) once the mock listens.
    pub start_mib: f64,
    /// (requests answered so far, RSS in MiB) after each round.
    pub rounds: Vec<(u64, f64)>,
    /// RSS 3 s after the load.
    pub idle_mib: f64,
    pub requests: u64,
    pub per_second: f64,
    pub worst_p99_ms: f64,
    /// The answers of each class of [`ANSWERS`], in its order.
    pub answers: [u64; ANSWERS.len()],
    pub socket_errors: u64,
    /// The most of one core other processes used during a round (the rates and latencies
    /// of a disturbed run are indicative only; memory is not affected).
    pub others: f64,
}

/// Loads a fresh mock until `requests` have been answered.
pub fn run(mock: &Path, scratch: &Path, requests: u64, plan: &Plan) -> Result<Memory, String> {
    let log = scratch.join("mock-memory.log");
    let server = Server::mock(mock, "warn", &log, plan.server_cpus.as_deref())?;
    let script = scratch.join("memory-mix.lua");
    tools::write(&script, mix())?;
    let url = format!("http://{}/", server.address);
    let rss = || system::rss_mib(server.pid(), false);
    let mut memory = Memory {
        start_mib: rss()?,
        ..Memory::default()
    };
    let mut busy = 0.0;
    while memory.requests < requests && memory.rounds.len() < MAX_ROUNDS {
        if !plan.shared_machine {
            system::wait_for_quiet(crate::load::QUIET_WAIT);
        }
        let (run, others) = system::others_during(&[server.pid()], || {
            wrk::run(&script, &url, plan, CONNECTIONS, ROUND)
        });
        let (summary, counted) = run?;
        memory.others = memory.others.max(others);
        for ((counter, _), answers) in ANSWERS.iter().zip(&mut memory.answers) {
            *answers += counted.get(*counter).copied().unwrap_or_default() as u64;
        }
        memory.requests += summary.requests as u64;
        memory.socket_errors += summary.socket_errors as u64;
        memory.worst_p99_ms = memory.worst_p99_ms.max(summary.p99_ms);
        busy += summary.seconds;
        let now = rss()?;
        eprintln!("  {} requests answered, RSS {now:.1} MiB", memory.requests);
        memory.rounds.push((memory.requests, now));
    }
    memory.per_second = memory.requests as f64 / busy.max(1e-9);
    std::thread::sleep(Duration::from_secs(3));
    memory.idle_mib = rss()?;
    Ok(memory)
}

/// The memory run's mix, per connection slot in turn: a valid create, three reads of the
/// task created last, an invalid create, a read of an unknown path. Answers are counted by
/// class in every thread; `done()` adds up the threads' counters.
fn mix() -> String {
    let counters: Vec<String> = ANSWERS.iter().map(|(c, _)| lua_string(c)).collect();
    format!(
        r#"
local json = {{ ["Content-Type"] = "application/json", ["Authorization"] = {auth} }}
local auth = {{ ["Authorization"] = {auth} }}
local path = {path}
local valid = wrk.format("POST", path, json, {valid})
local invalid = wrk.format("POST", path, json, {invalid})
local missing = wrk.format("GET", "/nope", auth)
local latest = nil
local n = 0
ok, rejected, not_found, server_errors, other = 0, 0, 0, 0, 0

request = function()
  n = n + 1
  local step = n % 6
  if step == 1 or latest == nil then return valid end
  if step == 5 then return invalid end
  if step == 0 then return missing end
  return wrk.format("GET", path .. "/" .. latest, auth)
end

response = function(status, headers, body)
  if status == 200 then
    ok = ok + 1
    latest = body:match('"id":"([%x%-]+)"') or latest
  elseif status == 400 then rejected = rejected + 1
  elseif status == 404 then not_found = not_found + 1
  elseif status >= 500 then server_errors = server_errors + 1
  else other = other + 1 end
end

counters = {{ {counters} }}
threads = {{}}
setup = function(thread) table.insert(threads, thread) end
{DONE}"#,
        auth = lua_string(AUTHORIZATION.1),
        path = lua_string(CREATE_PATH),
        valid = lua_string(&VALID),
        invalid = lua_string(INVALID),
        counters = counters.join(", "),
    )
}
