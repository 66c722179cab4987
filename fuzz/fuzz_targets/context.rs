//! User contexts: arbitrary bytes -> JSON -> `UserContext::from_json`, then every flag of two
//! realistic settings files (segmentation-heavy `s4_segmentation`, mutually exclusive groups
//! `s5_meg`) for that user, in both decision modes. A `__storage` key in the input (an
//! object, string or other value) becomes the storage connector's answer, so stored records
//! of any shape are tried too.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vwo_fme::core::decide::{get_flag, EvalOptions, UserContext};
use vwo_fme::core::settings::{compile_str, Snapshot};

static SETTINGS: LazyLock<[Snapshot; 2]> = LazyLock::new(|| {
    [
        compile_str(include_str!(
            "../../tests/fixtures/conformance/settings/s4_segmentation.json"
        ))
        .expect("s4 compiles"),
        compile_str(include_str!("../../tests/fixtures/conformance/settings/s5_meg.json")).expect("s5 compiles"),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(ctx) = UserContext::from_json(&v) else {
        return;
    };
    std::hint::black_box(ctx.bucketing_id());
    let stored = v.get("__storage");
    for snapshot in SETTINGS.iter() {
        for feature in &snapshot.features {
            for python_compat in [false, true] {
                let mut env = common::Env::new(common::storage_from(stored));
                env.in_list = python_compat;
                let d = get_flag(
                    snapshot,
                    &feature.key,
                    &ctx,
                    &mut env,
                    EvalOptions {
                        storage: stored.is_some(),
                        integrations: true,
                        gateway: false,
                        trace: !python_compat,
                        python_compat,
                    },
                );
                std::hint::black_box(&d);
            }
        }
    }
});
