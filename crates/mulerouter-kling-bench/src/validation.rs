//! What checking a create's body costs on its own, in this process, with no HTTP in the way:
//! parsing it into a `serde_json::Value` and validating it with the mock's own validator
//! (`mulerouter_kling_mock::document::validate_request_body`, the check every create runs),
//! then dropping both. The load numbers say how fast the mock is; this says whether any
//! server that validates this way, on wiremock or not, could reach a given share of the
//! baseline (see `Results::validation` in `report.rs`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use mulerouter_kling_mock::document::validate_request_body;
use serde_json::Value;

use crate::load::{CREATE_PATH, INVALID, VALID, Workload};

/// Calls are timed in batches of about this long, so the clock's cost does not count.
const BATCH: Duration = Duration::from_millis(10);

/// The check of one workload's body.
#[derive(Debug, Clone)]
pub struct Cost {
    pub workload: Workload,
    /// Median time of one call over the batches.
    pub per_call: Duration,
    /// Fastest and slowest batch, per call.
    pub range: (Duration, Duration),
    pub batches: usize,
}

/// Times the check of the valid and the invalid create body for `each` per workload, after
/// making sure it says what the mock says of them: nothing wrong, and three broken rules.
pub fn measure(each: Duration) -> Result<Vec<Cost>, String> {
    [
        (Workload::Create, VALID, 0),
        (Workload::Invalid, INVALID, 3),
    ]
    .into_iter()
    .map(|(workload, body, broken)| {
        let found = check(body);
        if found != broken {
            return Err(format!(
                "the {workload} body breaks {found} rules, expected {broken}"
            ));
        }
        Ok(time(workload, body, each))
    })
    .collect()
}

/// Parses and validates `body` as the mock does for a create; returns how many rules it
/// breaks.
fn check(body: &str) -> usize {
    let parsed: Value = match serde_json::from_slice(body.as_bytes()) {
        Ok(parsed) => parsed,
        Err(_) => return 1,
    };
    match validate_request_body("POST", CREATE_PATH, &parsed) {
        Ok(()) => 0,
        Err(violations) => violations.len(),
    }
}

fn time(workload: Workload, body: &str, each: Duration) -> Cost {
    // Warm up (the document's validators are compiled on first use) and size the batches.
    let started = Instant::now();
    let mut calls = 0u32;
    while started.elapsed() < BATCH {
        black_box(check(black_box(body)));
        calls += 1;
    }
    let calls_per_batch = calls.max(1);
    let mut per_call = Vec::new();
    let deadline = Instant::now() + each;
    while per_call.len() < 5 || Instant::now() < deadline {
        let started = Instant::now();
        for _ in 0..calls_per_batch {
            black_box(check(black_box(body)));
        }
        per_call.push(started.elapsed() / calls_per_batch);
    }
    per_call.sort();
    Cost {
        workload,
        per_call: per_call[per_call.len() / 2],
        range: (per_call[0], per_call[per_call.len() - 1]),
        batches: per_call.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bodies_are_checked_as_the_mock_checks_them() {
        assert_eq!(check(VALID), 0);
        assert_eq!(check(INVALID), 3);
        assert_eq!(check("{not json"), 1);
    }

    #[test]
    fn each_workload_is_timed_in_several_batches() {
        let costs = measure(Duration::from_millis(20)).unwrap();

        let workloads: Vec<Workload> = costs.iter().map(|c| c.workload).collect();
        assert_eq!(workloads, [Workload::Create, Workload::Invalid]);
        for cost in &costs {
            assert!(cost.batches >= 5, "{cost:?}");
            assert!(cost.per_call > Duration::ZERO, "{cost:?}");
            assert!(cost.range.0 <= cost.per_call && cost.per_call <= cost.range.1);
        }
    }
}
