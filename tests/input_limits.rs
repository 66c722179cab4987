//! Input limits (issue 7 item 5, fuzz/README.md "Input limits"): every hostile size or shape
//! ends in a clear error or a bounded amount of work, never a hang or a crash.

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};
use std::time::Duration;

use serde_json::{json, Value};
use vwo_fme::core::decide::{get_flag, EvalOptions, NoEnv, UserContext};
use vwo_fme::core::settings::{compile, compile_str, SettingsError};
use vwo_fme::ffi::*;

/// Thread CPU time per evaluation (wall time would count other work on a shared CI
/// machine): release builds must stay under 100 ms; unoptimised builds get 10x.
const BUDGET: Duration = Duration::from_millis(if cfg!(debug_assertions) { 1_000 } else { 100 });

fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn s4() -> Value {
    serde_json::from_str(include_str!("fixtures/conformance/settings/s4_segmentation.json")).unwrap()
}

/// s4 with the rollout of `seg_regex_wildcard` segmented on `plan` matching `pattern`.
fn settings_with_pattern(pattern: &str) -> Value {
    let mut s = s4();
    for c in s["campaigns"].as_array_mut().unwrap() {
        if c["key"] == "seg_regex_wildcard_rolloutRule1" {
            c["variations"][0]["segments"] =
                json!({"or": [{"custom_variable": {"plan": format!("regex({pattern})")}}]});
        }
    }
    s
}

/// Patterns with catastrophic backtracking in a backtracking engine (Python's `re`, which the
/// official SDK uses, takes exponential time on each of them), each with a subject that makes
/// it fail only after trying every way to split the run of `a`s. fancy-regex runs patterns
/// without look-around or back-references in the `regex` crate (linear time), and the others
/// in its backtracking VM under a limit of 1 000 000 backtracks, past which the operand does
/// not match.
const CATASTROPHIC: &[(&str, &str)] = &[
    ("(a+)+$", "!"),
    ("(a|aa)+$", "!"),
    ("(a|a)*b", ""),
    ("(a*)*b", ""),
    ("(.*a){25}", ""),
    ("^(\\w+\\s?)*$", "!"),
];

/// Known gap (fuzz/README.md, "Input limits"): the backtrack limit counts backtracks, not the
/// forward work between them, so patterns whose look-around or back-reference re-scans the
/// subject cost more than linear time within the limit: `(?=(a+)+$)a` takes about 0.1 s on
/// 4 000 characters and 1.5 s on 16 000; `^(a+)+\1b` about 0.25 s on 200 000. They are
/// bounded only by the subject size (1 MiB through the C ABI). This test pins the sizes at
/// which they are still fast, so that a regression shows.
const SLOW_ON_LONG_SUBJECTS: &[(&str, &str, usize)] = &[("(?=(a+)+$)a", "!", 1_000), ("^(a+)+\\1b", "", 20_000)];

#[test]
fn pathological_regexes_from_settings_evaluate_in_bounded_time() {
    let cases = CATASTROPHIC
        .iter()
        .flat_map(|(p, t)| [28usize, 5_000, 200_000].map(|n| (*p, *t, n)))
        .chain(SLOW_ON_LONG_SUBJECTS.iter().copied());
    for (pattern, tail, n) in cases {
        let snapshot = compile(settings_with_pattern(pattern)).unwrap();
        {
            let plan = format!("{}{tail}", "a".repeat(n));
            let ctx = UserContext::from_json(&json!({"id": "u", "custom_variables": {"plan": plan}})).unwrap();
            let t = thread_cpu();
            let d = get_flag(
                &snapshot,
                "seg_regex_wildcard",
                &ctx,
                &mut NoEnv,
                EvalOptions::default(),
            );
            let took = thread_cpu() - t;
            assert!(
                took < BUDGET,
                "regex({pattern}) against {n} chars took {took:?} (budget {BUDGET:?})"
            );
            std::hint::black_box(d.enabled);
        }
    }
}

#[test]
fn the_backtrack_limit_does_not_change_ordinary_answers() {
    // A catastrophic pattern still matches where it should (when the match is found
    // quickly), and the settings' own patterns answer as before.
    let snapshot = compile(settings_with_pattern("(a+)+$")).unwrap();
    let decide = |plan: &str| {
        let ctx = UserContext::from_json(&json!({"id": "u", "custom_variables": {"plan": plan}})).unwrap();
        get_flag(
            &snapshot,
            "seg_regex_wildcard",
            &ctx,
            &mut NoEnv,
            EvalOptions::default(),
        )
        .enabled
    };
    assert!(decide(&"a".repeat(10_000)));
    assert!(!decide("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!"));
    let snapshot = compile(s4()).unwrap();
    let ctx = UserContext::from_json(&json!({"id": "u", "custom_variables": {"plan": "enterprise"}})).unwrap();
    assert!(
        get_flag(
            &snapshot,
            "seg_regex_wildcard",
            &ctx,
            &mut NoEnv,
            EvalOptions::default()
        )
        .enabled
    );
}

/// JSON nesting deeper than serde_json's recursion limit (128) is a parse error, for
/// settings and for contexts, whatever the depth.
#[test]
fn json_deeper_than_128_levels_is_an_error() {
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    assert!(matches!(compile_str(&deep(100_000)), Err(SettingsError::Json(_))));
    let mut s = s4();
    s["features"][0]["extra"] = serde_json::from_str(&deep(120)).unwrap();
    assert!(compile_str(&s.to_string()).is_ok(), "120 levels are fine");
    s["features"][0]["extra"] = Value::Null;
    let text = s
        .to_string()
        .replacen("\"extra\":null", &format!("\"extra\":{}", deep(200)), 1);
    assert!(matches!(compile_str(&text), Err(SettingsError::Json(_))));

    let ctx = CString::new(format!(r#"{{"id":"u","custom_variables":{{"x":{}}}}}"#, deep(10_000))).unwrap();
    let mut out = null_mut();
    assert_eq!(unsafe { vwo_context_new(ctx.as_ptr(), &mut out) }, VWO_ERR_INVALID_JSON);
    let msg = unsafe { CStr::from_ptr(vwo_last_error_message()) }
        .to_string_lossy()
        .into_owned();
    assert!(msg.contains("recursion limit"), "{msg}");
}

/// Segments built in Rust (no JSON text, so no parser limit) nesting far past
/// `segmentation::MAX_DEPTH` are refused as too deep, without exhausting the stack.
#[test]
fn segments_deeper_than_max_depth_are_refused() {
    use vwo_fme::core::segmentation::{try_evaluate, EvalError, Segment};
    let mut dsl = json!({"custom_variable": {"a": "1"}});
    for i in 0..5_000 {
        // Built by moving, not with `json!` (which would serialise `dsl` recursively).
        let mut m = serde_json::Map::new();
        if i % 2 == 0 {
            m.insert("not".into(), dsl);
        } else {
            m.insert("and".into(), Value::Array(vec![dsl]));
        }
        dsl = Value::Object(m);
    }
    let segment = Segment::compile(&dsl);
    struct Env;
    impl vwo_fme::core::segmentation::SegmentEnv for Env {
        fn user_agent(&self) -> Option<&str> {
            None
        }
        fn ip_address(&self) -> Option<&str> {
            None
        }
        fn location(&self) -> Option<&serde_json::Map<String, Value>> {
            None
        }
        fn ua_info(&self) -> Option<&serde_json::Map<String, Value>> {
            None
        }
        fn web_testing_campaigns(&self) -> Option<&Value> {
            None
        }
        fn feature_key_for_id(&self, _id: i64) -> Option<String> {
            None
        }
        fn has_stored_record(&mut self, _feature_key: &str) -> bool {
            false
        }
        fn in_list(&mut self, _attribute: &str, _list_id: &str) -> bool {
            false
        }
        fn log_enabled(&self, _level: vwo_fme::core::LogLevel) -> bool {
            false
        }
        fn log(&mut self, _level: vwo_fme::core::LogLevel, _message: &str) {}
        fn error(&mut self, _template: &'static str, _message: String) {}
    }
    let vars = serde_json::Map::new();
    let props = vwo_fme::core::segmentation::Props {
        vars: &vars,
        vwo_user_id: None,
    };
    assert_eq!(try_evaluate(&segment, &props, &mut Env), Err(EvalError::TooDeep));
    // Dropping the deep `Value` is recursive too: do it on a thread with a known stack.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || drop(dsl))
        .unwrap()
        .join()
        .unwrap();
}

fn status_and_message(s: vwo_status) -> (vwo_status, String) {
    (
        s,
        unsafe { CStr::from_ptr(vwo_last_error_message()) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// The C ABI's size limits: keys 4 KiB, contexts / properties / attributes 1 MiB, options
/// and settings 64 MiB; one byte more is `VWO_ERR_TOO_LARGE` with a message saying so.
#[test]
fn c_abi_size_limits() {
    let settings = include_str!("fixtures/conformance/settings/s4_segmentation.json");
    let options = CString::new(format!(
        r#"{{"sdk_key":"abcdefghijklmnopqrstuvwxyz012345","account_id":123456,"offline":true,"settings":{settings}}}"#
    ))
    .unwrap();
    let mut client = null_mut();
    assert_eq!(unsafe { vwo_client_new(options.as_ptr(), null(), &mut client) }, VWO_OK);
    let ctx = c"{\"id\":\"u\"}";

    // Keys.
    let key = |n: usize| CString::new("k".repeat(n)).unwrap();
    let mut flag = null_mut();
    let s = unsafe { vwo_get_flag(client, key(VWO_MAX_KEY_BYTES).as_ptr(), ctx.as_ptr(), &mut flag) };
    assert_eq!(s, VWO_OK, "exactly the limit is accepted");
    unsafe { vwo_flag_free(flag) };
    let (s, msg) = status_and_message(unsafe {
        vwo_get_flag(client, key(VWO_MAX_KEY_BYTES + 1).as_ptr(), ctx.as_ptr(), &mut flag)
    });
    assert_eq!(s, VWO_ERR_TOO_LARGE);
    assert!(msg.contains("feature_key is 4097 bytes"), "{msg}");
    unsafe { vwo_flag_free(flag) };
    let s = unsafe {
        vwo_track_event(
            client,
            key(VWO_MAX_KEY_BYTES + 1).as_ptr(),
            ctx.as_ptr(),
            null(),
            null_mut(),
        )
    };
    assert_eq!(s, VWO_ERR_TOO_LARGE);

    // Contexts, event properties, attributes.
    let big_json = |n: usize| {
        let head = r#"{"id":"u","x":""#;
        CString::new(format!("{head}{}\"}}", "x".repeat(n - head.len() - 2))).unwrap()
    };
    assert_eq!(big_json(100).as_bytes().len(), 100);
    let fits = big_json(VWO_MAX_CONTEXT_BYTES);
    let over = big_json(VWO_MAX_CONTEXT_BYTES + 1);
    let mut c = null_mut();
    assert_eq!(unsafe { vwo_context_new(fits.as_ptr(), &mut c) }, VWO_OK);
    unsafe { vwo_context_free(c) };
    let (s, msg) = status_and_message(unsafe { vwo_context_new(over.as_ptr(), &mut c) });
    assert_eq!(s, VWO_ERR_TOO_LARGE);
    assert!(msg.contains("context_json is 1048577 bytes"), "{msg}");
    let s = unsafe { vwo_track_event(client, c"e".as_ptr(), ctx.as_ptr(), over.as_ptr(), null_mut()) };
    assert_eq!(s, VWO_ERR_TOO_LARGE);
    let s = unsafe { vwo_set_attributes(client, over.as_ptr(), ctx.as_ptr()) };
    assert_eq!(s, VWO_ERR_TOO_LARGE);

    // Settings.
    let mut huge = String::with_capacity(VWO_MAX_SETTINGS_BYTES + 1);
    huge.push_str(settings.trim_end().trim_end_matches('}'));
    huge.push_str(",\"pad\":\"");
    let pad = VWO_MAX_SETTINGS_BYTES + 1 - huge.len() - 2;
    huge.extend(std::iter::repeat_n('x', pad));
    huge.push_str("\"}");
    assert_eq!(huge.len(), VWO_MAX_SETTINGS_BYTES + 1);
    let huge = CString::new(huge).unwrap();
    let (s, msg) = status_and_message(unsafe { vwo_update_settings(client, huge.as_ptr(), 0) });
    assert_eq!(s, VWO_ERR_TOO_LARGE);
    assert!(msg.contains("settings_json"), "{msg}");
    unsafe { vwo_client_free(client) };
}
