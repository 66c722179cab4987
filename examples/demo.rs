//! Decisions for a handful of users on the bundled settings, offline (`make demo`).
//!
//! Run: `cargo run --release --example demo [-- path/to/settings.json]`

use serde_json::json;
use vwo_fme::core::decide::{self, EvalOptions, NoEnv, Reason, UserContext};
use vwo_fme::core::settings;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/settings.json".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let snapshot = settings::compile_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let users = [
        json!({"id": "alice", "custom_variables": {"country": "US", "plan": "free"}}),
        json!({"id": "bob", "custom_variables": {"country": "DE", "plan": "Premium", "beta": true, "app_version": "4.3.1"}}),
        json!({"id": "carol", "custom_variables": {"country": "IN", "plan": "enterprise"}}),
        json!({"id": "qa_alice", "custom_variables": {"country": "CA"}}),
        json!({"id": "dave", "custom_variables": {"country": "US", "beta": true, "app_version": "4.1"}}),
    ];
    println!(
        "settings: {path} (account {}, {} features)\n",
        snapshot.account_id,
        snapshot.features.len()
    );
    for u in &users {
        let ctx = UserContext::from_json(u).expect("valid context");
        println!(
            "user {} {}",
            ctx.id,
            serde_json::Value::Object(ctx.custom_variables.clone())
        );
        for f in &snapshot.features {
            let d = decide::get_flag(&snapshot, &f.key, &ctx, &mut NoEnv, EvalOptions::default());
            let served = match (d.experiment.or(d.rollout), d.reason) {
                (Some(r), _) => snapshot.variation(r).name.clone(),
                (None, Reason::Holdout | Reason::StoredHoldout) => "(in holdout)".into(),
                (None, Reason::FeatureNotFound) => "(no such flag)".into(),
                (None, Reason::Error) => format!("(error: {})", d.error.as_deref().unwrap_or("?")),
                (None, _) => "(not targeted)".into(),
            };
            let vars: Vec<String> = d.variables.iter().map(|v| format!("{}={}", v.key, v.value)).collect();
            println!(
                "  {:<20} {:<4} {:<16} {}",
                f.key,
                if d.enabled { "on" } else { "off" },
                served,
                vars.join(" ")
            );
        }
        println!();
    }
}
