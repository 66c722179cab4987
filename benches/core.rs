//! Decision-core benchmarks: one flag decision for one user, no I/O.
//!
//! `cargo bench --bench core` prints the median time per decision for a plain rollout flag
//! and for each segmentation-heavy flag of the s4_segmentation sample, and the targets.

#[path = "support.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::{fmt_ns, time};
use vwo_fme::core::decide::{get_flag, EvalOptions, NoEnv, UserContext};
use vwo_fme::core::settings;

fn load(name: &str) -> settings::Snapshot {
    let p = format!(
        "{}/tests/fixtures/conformance/settings/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    settings::compile_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("VWO_BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let opts = EvalOptions::default();
    println!(
        "{:<48} {:>10} {:>10} {:>10}  target",
        "core decision", "median", "p10", "p90"
    );

    let s1 = load("s1_rollout_only");
    let plain = UserContext::new("user-42");
    let t = time(budget, || get_flag(&s1, "rollout_basic", &plain, &mut NoEnv, opts));
    println!(
        "{:<48} {:>10} {:>10} {:>10}  <= 200 ns",
        "rollout flag, id only (s1 rollout_basic)",
        fmt_ns(t.median_ns),
        fmt_ns(t.p10_ns),
        fmt_ns(t.p90_ns)
    );

    let s4 = load("s4_segmentation");
    let ctx = UserContext::from_json(&json!({
        "id": "user_1_0",
        "custom_variables": {"age": "30", "app_version": "3.0", "beta": true, "country": "Ca", "email": "someone@blocked.com",
                              "employee": "true", "name": "vip", "plan": "enterprise", "score": 98.5, "visits": 4},
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
    }))
    .unwrap();
    let mut worst = 0.0f64;
    for f in &s4.features {
        let t = time(budget, || get_flag(&s4, &f.key, &ctx, &mut NoEnv, opts));
        worst = worst.max(t.median_ns);
        println!(
            "{:<48} {:>10} {:>10} {:>10}  <= 1 us",
            format!("segmentation (s4 {})", f.key),
            fmt_ns(t.median_ns),
            fmt_ns(t.p10_ns),
            fmt_ns(t.p90_ns)
        );
    }
    println!("worst segmentation-heavy flag: {}", fmt_ns(worst));
}
