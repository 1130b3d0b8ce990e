//! HTTP load generator for docs/BENCHMARKS.md: boots the real server on SQLite (or PostgreSQL with `--postgres`)
//! and measures authenticated client-profile reads (`GET /api/v1/clients/{id}`), each of which decrypts the
//! clinical fields and appends an audit entry. Loopback only, bounded in count.
//!
//! `cargo run --release -p rapport-testkit --bin rapport-bench -- [--requests N] [--concurrency C] [--postgres]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, client_body};
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let requests = arg("--requests", 5000);
    let concurrency = arg("--concurrency", 16).max(1);
    let backend = if std::env::args().any(|a| a == "--postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let t = TestApp::spawn(backend).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Bench Example");
    body["clinical_notes"] = serde_json::json!("A paragraph of clinical notes. ".repeat(20));
    let id = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = t.url(&format!("/api/v1/clients/{id}"));
    // Warm-up: connection pools, caches.
    for _ in 0..50 {
        t.http
            .get(&url)
            .bearer_auth(&clin.token)
            .send()
            .await
            .unwrap();
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let http = t.http.clone();
        let url = url.clone();
        let token = clin.token.clone();
        let n = requests / concurrency + usize::from(w < requests % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n);
            for _ in 0..n {
                let s = Instant::now();
                let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
                lat.push(s.elapsed());
            }
            lat
        }));
    }
    let mut all: Vec<Duration> = Vec::with_capacity(requests);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{:?}: {} authenticated client reads, {} concurrent: {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms",
        backend,
        all.len(),
        concurrency,
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
    let report = t.app.verify_audit().await.unwrap();
    println!(
        "audit chain: {} entries, intact: {}",
        report.entries,
        report.first_broken.is_none()
    );
    t.finish().await;
}
