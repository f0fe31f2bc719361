//! Memory of the standalone mock under a long load: a benchmark, run by hand in release.
//!
//! ```text
//! cargo test --release -p mulerouter-kling-mock --test it memory -- --ignored --nocapture
//! ```
//!
//! `MOCK_BENCH_REQUESTS` sets the number of requests (default 1 000 000);
//! `MOCK_BENCH_RECYCLE=0` turns the dropping of wiremock's copies off, to see the growth it
//! prevents. The mix per round: a valid create, three reads, an invalid create, an unknown
//! path; tasks finish after 50 ms and are evicted 2 s later.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::{spawn, terminate};
use crate::common::{CREATE, get_path, minimal};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of a process, in MiB (Linux).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

/// Sends about `count` requests from `workers` concurrent clients; panics on a 5xx.
async fn load(url: &str, count: u64, workers: usize) {
    let sent = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (url, sent) = (url.to_string(), sent.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let bad = json!({ "prompt": "", "duration": 99 });
                while sent.fetch_add(6, Ordering::Relaxed) < count {
                    let created: Value = http
                        .post(format!("{url}{CREATE}"))
                        .bearer_auth("k")
                        .json(&minimal())
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let id = created["task_info"]["id"].as_str().unwrap().to_string();
                    for _ in 0..3 {
                        let read = http
                            .get(format!("{url}{}", get_path(&id)))
                            .bearer_auth("k")
                            .send()
                            .await
                            .unwrap();
                        assert!(read.status().is_success());
                        read.bytes().await.unwrap();
                    }
                    let rejected = http
                        .post(format!("{url}{CREATE}"))
                        .bearer_auth("k")
                        .json(&bad)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(rejected.status(), 400);
                    rejected.bytes().await.unwrap();
                    let missing = http.get(format!("{url}/nope")).send().await.unwrap();
                    assert_eq!(missing.status(), 404);
                    missing.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: minutes in release; see the module docs"]
async fn memory_stays_flat_over_a_million_requests() {
    // Arrange
    let total = env_number("MOCK_BENCH_REQUESTS", 1_000_000);
    let recycle = env_number("MOCK_BENCH_RECYCLE", 1_000).to_string();
    let (mut child, url) = spawn(
        &[
            "--port",
            "0",
            "--timing",
            "wall",
            "--pending",
            "0ms",
            "--processing",
            "50ms",
            "--task-ttl",
            "2s",
            "--recycle-after",
            &recycle,
        ],
        None,
    )
    .await;
    let pid = child.id().unwrap();
    let warmup = (total / 20).max(6);
    let started = rss_mib(pid);

    // Act
    load(&url, warmup, 16).await;
    let warm = rss_mib(pid);
    let clock = Instant::now();
    let mut samples = Vec::new();
    let step = (total - warmup) / 4;
    for _ in 0..4 {
        load(&url, step, 16).await;
        samples.push(rss_mib(pid));
    }
    let elapsed = clock.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_mib(pid);
    let exit = terminate(&mut child).await;

    // Assert
    println!(
        "requests: {total} (recycle after {recycle}); {:.0} requests/s",
        (step * 4) as f64 / elapsed.as_secs_f64()
    );
    println!("RSS at start {started:.1} MiB, after {warmup} requests {warm:.1} MiB");
    for (i, rss) in samples.iter().enumerate() {
        println!(
            "RSS after {} requests: {rss:.1} MiB",
            warmup + step * (i as u64 + 1)
        );
    }
    println!("RSS 3 s after the load: {idle:.1} MiB");
    assert!(exit.success());
    if recycle != "0" {
        let last = samples.last().copied().unwrap_or(warm);
        assert!(
            last < warm + 64.0,
            "memory grew from {warm:.1} to {last:.1} MiB"
        );
    }
}
