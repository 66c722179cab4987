//! Client benchmarks: `get_flag` through the full client with its impression queued for a
//! real loopback server, and event throughput to that server with batching.

#[path = "support.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{fmt_ns, time, time_cpu};
use vwo_fme::client::{Callbacks, Client};
use vwo_fme::conformance::mock_server::MockServer;
use vwo_fme::core::decide::UserContext;

fn settings() -> Value {
    let p = format!(
        "{}/tests/fixtures/conformance/settings/s1_rollout_only.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("VWO_BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let server = MockServer::start(settings(), 0).unwrap();
    let opts = json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888, "proxy_url": server.url(),
                      "max_queue_size": 10_000_000});
    let client = Client::from_json(&opts, Callbacks::default()).unwrap();
    let ctx = UserContext::from_json(
        &json!({"id": "user-42", "custom_variables": {"plan": "pro", "country": "US", "visits": 3}}),
    )
    .unwrap();
    println!("{:<56} {:>10} {:>10} {:>10}  target", "client", "median", "p10", "p90");
    let t = time(budget, || client.get_flag("rollout_basic", &ctx));
    println!(
        "{:<56} {:>10} {:>10} {:>10}  <= 1 us",
        "get_flag, impression queued: wall time",
        fmt_ns(t.median_ns),
        fmt_ns(t.p10_ns),
        fmt_ns(t.p90_ns)
    );
    client.flush_events(Duration::from_secs(60));
    let t = time_cpu(budget, 200, || client.get_flag("rollout_basic", &ctx));
    println!(
        "{:<56} {:>10} {:>10} {:>10}  <= 1 us",
        "get_flag, impression queued: caller CPU time",
        fmt_ns(t.median_ns),
        fmt_ns(t.p10_ns),
        fmt_ns(t.p90_ns)
    );
    let t = time(budget, || client.get_flag("missing_feature", &ctx));
    println!(
        "{:<56} {:>10} {:>10} {:>10}",
        "get_flag, missing feature (debug event queued)",
        fmt_ns(t.median_ns),
        fmt_ns(t.p10_ns),
        fmt_ns(t.p90_ns)
    );
    client.flush_events(Duration::from_secs(60));
    client.close();

    // Throughput: batched events delivered to the loopback server.
    let server = MockServer::start(settings(), 0).unwrap();
    let opts = json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888, "proxy_url": server.url(),
                      "batch_event_data": {"events_per_request": 500, "request_time_interval": 60}, "max_queue_size": 1_000_000});
    let client = Client::from_json(&opts, Callbacks::default()).unwrap();
    let n = 200_000;
    let t0 = Instant::now();
    for i in 0..n {
        let u = UserContext::new(format!("u{i}"));
        client.track_event("purchase", &u, None);
    }
    let queued = t0.elapsed();
    assert!(client.flush_events(Duration::from_secs(120)), "all events delivered");
    let total = t0.elapsed();
    let (delivered, dropped) = client.event_counts();
    println!(
        "batched events to loopback server: {delivered} delivered, {dropped} dropped in {:.2} s -> {:.0} events/s (enqueue {:.0} ns/event)",
        total.as_secs_f64(),
        delivered as f64 / total.as_secs_f64(),
        queued.as_nanos() as f64 / n as f64
    );
    client.close();
}
