//! Settings: arbitrary bytes -> `compile_str` (JSON parse, schema validation, model checks,
//! compilation of segments and ranges). When the settings compile, a few flags are evaluated
//! for a few users, with and without storage and in both decision modes, to walk the
//! compiled structures (linked rules, ranges, groups, holdouts, segments).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use vwo_fme::core::decide::{get_flag, EvalOptions, StorageRead, UserContext};
use vwo_fme::core::settings::compile_str;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(snapshot) = compile_str(text) else {
        return;
    };
    let users = [
        UserContext::new("user-1"),
        UserContext::from_json(&json!({
            "id": "qa_user_1",
            "custom_variables": {"country": "US", "age": 30, "beta": true, "plan": "pro"},
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1",
            "ip_address": "1.2.3.4",
            "_vwo": {"location": {"country": "US", "region": "CA", "city": "SF"},
                     "userAgent": {"os": "iOS", "browser_string": "Safari", "device_type": "mobile"}},
        }))
        .expect("a valid context"),
        UserContext::from_json(&json!({"id": "", "bucketingSeed": "seed-7"})).expect("a valid context"),
    ];
    // Every feature key, plus one that does not exist.
    let mut keys: Vec<&str> = snapshot.features.iter().take(8).map(|f| f.key.as_str()).collect();
    keys.push("no_such_feature");
    for (i, user) in users.iter().enumerate() {
        for key in &keys {
            let storage = i == 1;
            let mut env = common::Env::new(if storage {
                StorageRead::Found(
                    json!({"featureKey": key, "userId": user.id, "rolloutId": 1, "rolloutKey": "r",
                           "rolloutVariationId": 1, "experimentId": 2, "experimentKey": "e",
                           "experimentVariationId": 2})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                )
            } else {
                StorageRead::Missing
            });
            env.in_list = i == 1;
            let d = get_flag(
                &snapshot,
                key,
                user,
                &mut env,
                EvalOptions {
                    storage,
                    integrations: true,
                    gateway: false,
                    trace: true,
                    python_compat: i == 2,
                },
            );
            std::hint::black_box(&d);
        }
        for metric in ["custom_event", "revenue"] {
            std::hint::black_box(snapshot.is_known_event(metric));
        }
    }
});
