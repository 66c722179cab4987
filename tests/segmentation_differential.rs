//! Differential testing against the official Python SDK, driven by
//! `tests/oracle/fuzz_segmentation.py` (which generates random DSLs, users and contexts, runs
//! them through the SDK and through this test, and compares):
//!
//! `SEGMENTATION_CASES=cases.json SEGMENTATION_RESULTS=out.jsonl cargo test --test
//! segmentation_differential evaluate_generated_cases`
//!
//! Without those variables it checks a recorded corpus of official answers.
//!
//! Evaluation runs with `python_compat` (decisions D1/D2 off) so that every answer must equal
//! the SDK's.

use serde_json::{json, Map, Value};

use vwo_fme::core::segmentation::{try_evaluate, EvalError, Props, Segment, SegmentEnv};
use vwo_fme::core::LogLevel;

/// The context of one case, in the oracle's format (`segmentation_oracle.py`).
struct Case {
    user_agent: Option<String>,
    ip_address: Option<String>,
    location: Option<Map<String, Value>>,
    ua_info: Option<Map<String, Value>>,
    web_testing: Option<Value>,
    features: Vec<(i64, String)>,
    stored: Vec<String>,
    errors: Vec<&'static str>,
    infos: usize,
}

impl Case {
    fn new(case: &Value) -> Case {
        let ctx = &case["ctx"];
        let text = |k: &str| ctx.get(k).and_then(Value::as_str).map(str::to_string);
        let vwo = ctx.get("_vwo").and_then(Value::as_object).filter(|m| !m.is_empty());
        let part = |key: &str| {
            vwo.and_then(|v| match v.get(key) {
                None => Some(Map::new()),
                Some(Value::Object(m)) => Some(m.clone()),
                Some(_) => None,
            })
        };
        let list = |k: &str| case.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        Case {
            user_agent: text("user_agent"),
            ip_address: text("ip_address"),
            location: part("location"),
            ua_info: part("userAgent"),
            web_testing: ctx
                .get("platform_variables")
                .and_then(|p| p.get("web_testing_campaigns"))
                .filter(|v| !v.is_null())
                .cloned(),
            features: list("features")
                .iter()
                .filter_map(|f| Some((f.get(0)?.as_i64()?, f.get(1)?.as_str()?.to_string())))
                .collect(),
            stored: list("stored")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            errors: Vec::new(),
            infos: 0,
        }
    }
}

impl SegmentEnv for Case {
    fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
    fn ip_address(&self) -> Option<&str> {
        self.ip_address.as_deref()
    }
    fn location(&self) -> Option<&Map<String, Value>> {
        self.location.as_ref()
    }
    fn ua_info(&self) -> Option<&Map<String, Value>> {
        self.ua_info.as_ref()
    }
    fn web_testing_campaigns(&self) -> Option<&Value> {
        self.web_testing.as_ref()
    }
    fn feature_key_for_id(&self, id: i64) -> Option<String> {
        self.features.iter().find(|(i, _)| *i == id).map(|(_, k)| k.clone())
    }
    fn has_stored_record(&mut self, feature_key: &str) -> bool {
        self.stored.iter().any(|k| k == feature_key)
    }
    fn in_list(&mut self, _attribute: &str, _list_id: &str) -> bool {
        false
    }
    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }
    fn log(&mut self, _level: LogLevel, _message: &str) {
        self.infos += 1;
    }
    fn error(&mut self, template: &'static str, _message: String) {
        self.errors.push(template);
    }
    fn python_compat(&self) -> bool {
        true
    }
}

fn evaluate(case: &Value) -> Value {
    let empty = Map::new();
    let mut env = Case::new(case);
    let vars = case["vars"].as_object().unwrap_or(&empty);
    let segment = Segment::compile(&case["dsl"]);
    let result = match try_evaluate(
        &segment,
        &Props {
            vars,
            vwo_user_id: None,
        },
        &mut env,
    ) {
        Ok(b) => json!(b),
        Err(EvalError::Exception(e)) => json!(format!("EXC:{e}")),
        Err(EvalError::TooDeep) => json!("TOO_DEEP"),
    };
    json!({"result": result, "errors": env.errors, "infos": env.infos})
}

/// 3 000 random cases (seed 20261126) whose answers were recorded from the official SDK
/// (tests/fixtures/segmentation_differential, made with tests/oracle/fuzz_segmentation.py's
/// generator and segmentation_oracle.py).
#[test]
fn recorded_official_answers() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/segmentation_differential");
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/cases.json")).unwrap()).unwrap();
    let sdk = std::fs::read_to_string(format!("{dir}/sdk.jsonl")).unwrap();
    let sdk: Vec<Value> = sdk.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(cases.len(), sdk.len());
    let mut mismatches = Vec::new();
    for (i, (case, p)) in cases.iter().zip(&sdk).enumerate() {
        let want = match &p["result"] {
            Value::Bool(b) => json!(b),
            Value::Null => json!(false),
            Value::String(s) if s == "TRUTHY" => json!(true),
            Value::String(s) if s == "FALSY" => json!(false),
            other => other.clone(),
        };
        let want_errors: Vec<Value> = p["errors"].as_array().unwrap().iter().map(|e| e[0].clone()).collect();
        let want_infos = p["infos"].as_array().unwrap().len();
        let got = evaluate(case);
        if got["result"] != want
            || got["errors"] != Value::Array(want_errors.clone())
            || got["infos"] != json!(want_infos)
        {
            mismatches.push(format!(
                "case {i}: sdk {want} {want_errors:?} {want_infos} infos, rust {got}"
            ));
        }
    }
    println!(
        "segmentation differential: {} recorded official answers, {} mismatches",
        cases.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{}",
        mismatches.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Writes answers for fresh random cases; `tests/oracle/fuzz_segmentation.py` drives it.
#[test]
fn evaluate_generated_cases() {
    let (Ok(input), Ok(output)) = (
        std::env::var("SEGMENTATION_CASES"),
        std::env::var("SEGMENTATION_RESULTS"),
    ) else {
        return; // Only meaningful under the fuzz driver.
    };
    let text = std::fs::read_to_string(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{input}: {e}"));
    let mut out = String::new();
    for case in &cases {
        out.push_str(&evaluate(case).to_string());
        out.push('\n');
    }
    std::fs::write(&output, out).unwrap_or_else(|e| panic!("{output}: {e}"));
}
