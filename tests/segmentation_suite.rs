//! The shared cross-SDK segmentation suite (wingify/vwo-fme-sdk-e2e-test-settings-n-cases,
//! `segmentation-evaluator-index.json`, 334 cases) and the Python SDK's own copy of it
//! (`dummy_dsl.json`), run against `core::segmentation`.

use serde_json::{Map, Value};
use std::path::Path;

use vwo_fme::core::segmentation::{evaluate, try_evaluate, Props, Segment, SegmentEnv};
use vwo_fme::core::LogLevel;

/// A context with no user agent, IP, gateway data, storage or lists: the suites only use
/// custom variables (including `_vwoUserId`).
#[derive(Default)]
struct NoContext {
    errors: Vec<String>,
    python_compat: bool,
}

impl SegmentEnv for NoContext {
    fn user_agent(&self) -> Option<&str> {
        None
    }
    fn ip_address(&self) -> Option<&str> {
        None
    }
    fn location(&self) -> Option<&Map<String, Value>> {
        None
    }
    fn ua_info(&self) -> Option<&Map<String, Value>> {
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
    fn log_enabled(&self, _level: LogLevel) -> bool {
        false
    }
    fn log(&mut self, _level: LogLevel, _message: &str) {}
    fn error(&mut self, template: &'static str, _message: String) {
        self.errors.push(template.to_string());
    }
    fn python_compat(&self) -> bool {
        self.python_compat
    }
}

fn load(relative: &str) -> Map<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => m,
        other => panic!("{}: not a JSON object: {other:?}", path.display()),
    }
}

struct Outcome {
    name: String,
    passed: bool,
    has_bool_variable: bool,
}

/// Runs every `{group: {name: {dsl, expectation, customVariables}}}` case.
fn run(suite: &Map<String, Value>) -> Vec<Outcome> {
    run_in(suite, false)
}

fn run_in(suite: &Map<String, Value>, python_compat: bool) -> Vec<Outcome> {
    let empty = Map::new();
    let mut out = Vec::new();
    for (group, cases) in suite {
        let Value::Object(cases) = cases else {
            panic!("group {group} is not an object")
        };
        for (name, case) in cases {
            let known = ["dsl", "expectation", "customVariables"];
            let unknown: Vec<&String> = case
                .as_object()
                .map(|c| c.keys().filter(|k| !known.contains(&k.as_str())).collect())
                .unwrap_or_default();
            assert!(unknown.is_empty(), "{group}/{name}: unhandled case keys {unknown:?}");
            let vars = case.get("customVariables").and_then(Value::as_object).unwrap_or(&empty);
            let expected = case
                .get("expectation")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| panic!("{group}/{name}: no expectation"));
            let segment = Segment::compile(&case["dsl"]);
            let props = Props {
                vars,
                vwo_user_id: None,
            };
            let mut env = NoContext {
                python_compat,
                ..NoContext::default()
            };
            let checked = try_evaluate(&segment, &props, &mut env);
            assert!(checked.is_ok(), "{group}/{name}: raised {checked:?}");
            let got = evaluate(&segment, &props, &mut env);
            out.push(Outcome {
                name: format!("{group}/{name}"),
                passed: got == expected,
                has_bool_variable: vars.values().any(Value::is_boolean),
            });
        }
    }
    out
}

#[test]
fn shared_e2e_segmentation_suite_passes_completely() {
    let outcomes = run(&load(
        "vwo-fme-sdk-e2e-test-settings-n-cases/segmentation-evaluator-index.json",
    ));
    let total = outcomes.len();
    let passed = outcomes.iter().filter(|o| o.passed).count();
    println!("segmentation suite: {passed}/{total}");
    let failed: Vec<&str> = outcomes.iter().filter(|o| !o.passed).map(|o| o.name.as_str()).collect();
    assert_eq!(total, 334);
    assert!(failed.is_empty(), "failed: {failed:#?}");
}

/// The Python SDK's copy of the suite spells boolean operands `"True"`/`"False"` (Python's
/// `str(True)`). Decision D1 compares booleans as `"true"`/`"false"`, so we fail exactly the 11
/// cases the official Python SDK 1.65.0 fails on the shared suite (measured with it), and
/// pass everything else.
#[test]
fn python_sdk_copy_passes_except_the_d1_boolean_cases() {
    let outcomes = run(&load("vwo-fme-python-sdk/test_cases/dummy_dsl.json"));
    let total = outcomes.len();
    let passed = outcomes.iter().filter(|o| o.passed).count();
    println!("python dummy_dsl suite: {passed}/{total} (the rest are D1 boolean cases)");
    let mut failed: Vec<&str> = outcomes.iter().filter(|o| !o.passed).map(|o| o.name.as_str()).collect();
    failed.sort_unstable();
    assert!(outcomes.iter().filter(|o| !o.passed).all(|o| o.has_bool_variable));
    assert_eq!(total, 334);
    assert_eq!(
        failed,
        [
            "contains_operand/boolean_data_type",
            "contains_operand/boolean_data_type2",
            "ends_with_operand/boolean_data_type",
            "ends_with_operand/boolean_data_type2",
            "equality_operand/boolean_data_type",
            "equality_operand/boolean_data_type2",
            "not_operator/boolean_data_type",
            "not_operator/boolean_data_type2",
            "starts_with_operand/boolean_data_type",
            "starts_with_operand/boolean_data_type2",
            "user_operand_evaluator_with_customVariables/targeting_only_safari_for_user_1_returns_true",
        ]
    );
}

/// With the deviations switched off (`SegmentEnv::python_compat`) the engine is the Python SDK:
/// its own copy of the suite passes completely and the shared suite fails exactly where the
/// SDK fails it.
#[test]
fn python_compat_mode_reproduces_the_python_sdk() {
    let own = run_in(&load("vwo-fme-python-sdk/test_cases/dummy_dsl.json"), true);
    let failed: Vec<&str> = own.iter().filter(|o| !o.passed).map(|o| o.name.as_str()).collect();
    println!(
        "python dummy_dsl suite (python_compat): {}/{}",
        own.len() - failed.len(),
        own.len()
    );
    assert!(failed.is_empty(), "failed: {failed:#?}");
    let shared = run_in(
        &load("vwo-fme-sdk-e2e-test-settings-n-cases/segmentation-evaluator-index.json"),
        true,
    );
    let failed = shared.iter().filter(|o| !o.passed).count();
    println!(
        "segmentation suite (python_compat): {}/{}",
        shared.len() - failed,
        shared.len()
    );
    assert_eq!(
        failed, 11,
        "the official SDK fails 11 boolean cases of the shared suite"
    );
}
