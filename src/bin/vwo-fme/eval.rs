//! `vwo-fme eval` and `vwo-fme validate`.

use serde_json::{json, Value};
use vwo_fme::core::decide::{self, Decision, Effect, EvalOptions, NoEnv, UserContext, VariationRef};
use vwo_fme::core::settings::{self, Snapshot};

use crate::args::Args;

pub fn load_settings(path: &str) -> Result<Snapshot, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    settings::compile_str(&text).map_err(|e| format!("{path}: {e}"))
}

pub fn validate(a: &Args) -> Result<i32, String> {
    let path = a.req("settings")?;
    match load_settings(path) {
        Ok(s) => {
            println!(
                "{path}: valid ({} features, {} campaigns, {} holdouts, {} groups)",
                s.features.len(),
                s.campaigns.len(),
                s.holdouts.len(),
                s.groups.len()
            );
            Ok(0)
        }
        Err(e) => {
            println!("{e}");
            Ok(1)
        }
    }
}

pub fn run(a: &Args) -> Result<i32, String> {
    let s = load_settings(a.req("settings")?)?;
    let feature = a.req("feature")?;
    let ctx_json: Value = serde_json::from_str(a.req("context")?).map_err(|e| format!("--context is not JSON: {e}"))?;
    let ctx = UserContext::from_json(&ctx_json).map_err(|e| format!("--context: {e}"))?;
    let explain = a.flag("explain");
    let opts = EvalOptions {
        storage: false,
        integrations: true,
        gateway: false,
        trace: explain,
        python_compat: a.flag("python-compat"),
    };
    let d = decide::get_flag(&s, feature, &ctx, &mut NoEnv, opts);
    if a.flag("json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&as_json(&s, feature, &ctx, &d)).unwrap_or_default()
        );
    } else {
        print_human(&s, feature, &ctx, &d, explain);
    }
    Ok(0)
}

fn served(s: &Snapshot, r: Option<VariationRef>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => {
            let c = &s.campaigns[r.campaign];
            let v = s.variation(r);
            json!({"campaign_id": c.id, "campaign_key": c.key, "variation_id": v.id, "variation": v.name})
        }
    }
}

fn as_json(s: &Snapshot, feature: &str, ctx: &UserContext, d: &Decision) -> Value {
    let vars: Vec<Value> = d.variables.iter().map(|v| v.to_json()).collect();
    let imps: Vec<Value> = d
        .impressions()
        .map(|i| json!({"campaign_id": i.campaign_id, "variation": i.variation.to_value(), "holdout_feature_id": i.holdout_feature_id}))
        .collect();
    json!({
        "feature": feature,
        "user": ctx.id,
        "enabled": d.enabled,
        "reason": format!("{:?}", d.reason),
        "error": d.error,
        "rollout": served(s, d.rollout),
        "experiment": served(s, d.experiment),
        "variables": vars,
        "impressions": imps,
        "trace": d.trace.as_ref().map(|t| serde_json::to_value(&t.steps).unwrap_or(Value::Null)),
    })
}

fn print_human(s: &Snapshot, feature: &str, ctx: &UserContext, d: &Decision, explain: bool) {
    println!(
        "flag {feature} for user {}: {}",
        ctx.id,
        if d.enabled { "ENABLED" } else { "disabled" }
    );
    println!(
        "  reason: {:?}{}",
        d.reason,
        d.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
    );
    for (label, r) in [("rollout", d.rollout), ("experiment", d.experiment)] {
        if let Some(r) = r {
            let c = &s.campaigns[r.campaign];
            let v = s.variation(r);
            println!(
                "  {label}: campaign {} ({}) -> variation {} (id {})",
                c.key, c.id, v.name, v.id
            );
        }
    }
    if d.variables.is_empty() {
        println!("  variables: none");
    } else {
        println!("  variables:");
        for v in d.variables.iter() {
            println!("    {} ({}) = {}", v.key, v.kind.as_str().unwrap_or("?"), v.value);
        }
    }
    let imps: Vec<String> = d
        .impressions()
        .map(|i| match &i.holdout_feature_id {
            Some(_) => format!("holdout {} variation {}", i.campaign_id, i.variation),
            None => format!("campaign {} variation {}", i.campaign_id, i.variation),
        })
        .collect();
    if !imps.is_empty() {
        println!("  impressions: {}", imps.join(", "));
    }
    for e in &d.effects {
        if let Effect::Debug(ev) = e {
            println!(
                "  debug event: {}",
                ev.props.get("msg").and_then(Value::as_str).unwrap_or("")
            );
        }
    }
    if explain {
        if let Some(t) = &d.trace {
            println!("  trace:");
            for (i, step) in t.steps.iter().enumerate() {
                println!("    {:>2}. {step}", i + 1);
            }
        }
    }
}
