//! Oracle conformance of the decision core: every shared case file is replayed through the
//! same code path as `vwo-fme replay` and compared, call by call, with what the official
//! Python SDK 1.65.0 did on the same settings and calls (tests/fixtures/conformance).
//!
//! Compared for every call: the result (is_enabled, variables, uuid, session id), storage
//! reads and writes, the integrations-callback payload, and for get_flag the batch request
//! with its impressions. Allowed differences (decisions.md): the SDK name/version strings,
//! normalised time/random values, and N1 (no request for an empty batch).
//!
//! Two runs: with `python_compat` (the oracle *is* the Python SDK, so everything must match,
//! bugs included), and in the default mode, where every difference must come from D1
//! (a boolean custom variable compared with `"true"`/`"false"`).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vwo_fme::conformance::compare::{diff, remap, Difference};
use vwo_fme::conformance::replay::replay_core;
use vwo_fme::core::settings;
use vwo_fme::events::payload::{SDK_NAME, SDK_VERSION};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance")
}

pub fn read_gz(path: &Path) -> Value {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The batch requests of a call that carry impressions (N1: empty batches are not sent).
fn impression_batches(call: &Value) -> Vec<Value> {
    call["requests"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| {
                    r["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("/server-side/batch-events-v2"))
                })
                .filter(|r| r["body"]["ev"].as_array().is_some_and(|ev| !ev.is_empty()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn compare_case(name: &str, python_compat: bool) -> (usize, Vec<Difference>) {
    let dir = fixtures();
    let settings_name = name.split('.').next().unwrap();
    let snapshot = settings::compile(read(&dir.join(format!("settings/{settings_name}.json")))).unwrap();
    let mut cases = read(&dir.join(format!("cases/{name}.json")));
    cases["options"]["python_compat"] = Value::Bool(python_compat);
    let batching = cases["options"].get("batch_event_data").is_some();
    let actual = replay_core(&snapshot, &cases);
    let actual = remap(&actual, &[(SDK_NAME, "vwo-fme-python-sdk"), (SDK_VERSION, "1.65.0")]);
    let expected = read_gz(&dir.join(format!("results/{name}.json.gz")));

    let mut out = Vec::new();
    let (ec, ac) = (
        expected["calls"].as_array().unwrap(),
        actual["calls"].as_array().unwrap(),
    );
    assert_eq!(ec.len(), ac.len(), "{name}: number of calls");
    for (i, (e, a)) in ec.iter().zip(ac).enumerate() {
        let p = format!("{name}.calls[{i}]");
        if e["op"] == "flush_events" {
            continue; // decisions.md N3: flush_events reports delivery instead of always False.
        }
        diff(&e["result"], &a["result"], &format!("{p}.result"), &mut out);
        if e.get("storage").is_some() {
            diff(&e["storage"], &a["storage"], &format!("{p}.storage"), &mut out);
        }
        if e.get("decision").is_some() {
            diff(&e["decision"], &a["decision"], &format!("{p}.decision"), &mut out);
        }
        if e["op"] == "get_flag" && !batching {
            let (eb, ab) = (Value::Array(impression_batches(e)), a["requests"].clone());
            diff(&eb, &ab, &format!("{p}.requests"), &mut out);
        }
    }
    if expected.get("final_storage").is_some() {
        diff(
            &expected["final_storage"],
            &actual["final_storage"],
            &format!("{name}.final_storage"),
            &mut out,
        );
    }
    (ec.len(), out)
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_string()
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 14,
        "expected the 14 shared case files, found {}",
        names.len()
    );
    names
}

/// Whether a call's context has a boolean custom variable (the only input D1 changes).
fn has_boolean_variable(call: &Value) -> bool {
    call["context"]["custom_variables"]
        .as_object()
        .is_some_and(|m| m.values().any(Value::is_boolean))
}

#[test]
fn default_mode_differs_from_the_official_sdk_only_by_d1() {
    let mut d1_calls = 0;
    let mut total = 0;
    for name in &case_names() {
        let (n, diffs) = compare_case(name, false);
        total += n;
        let cases = read(&fixtures().join(format!("cases/{name}.json")));
        let calls = cases["calls"].as_array().unwrap();
        let mut differing: Vec<usize> = diffs
            .iter()
            .filter_map(|d| {
                d.path
                    .split("calls[")
                    .nth(1)
                    .and_then(|r| r.split(']').next())
                    .and_then(|i| i.parse().ok())
            })
            .collect();
        differing.sort();
        differing.dedup();
        for i in &differing {
            assert!(
                has_boolean_variable(&calls[*i]),
                "{name} call {i} differs without a boolean custom variable: {:?}",
                diffs.iter().find(|d| d.path.contains(&format!("calls[{i}]")))
            );
        }
        // The final storage dump follows from the per-call writes checked above.
        assert!(
            diffs
                .iter()
                .all(|d| d.path.contains(".calls[") || d.path.contains(".final_storage")),
            "{name}: differences outside calls"
        );
        d1_calls += differing.len();
    }
    println!("conformance default mode: {total} calls, {d1_calls} differ from the Python SDK, all by D1 (boolean custom variables)");
    assert!(d1_calls > 0, "the samples exercise D1");
}

#[test]
fn every_shared_case_file_matches_the_official_sdk() {
    let mut failures = Vec::new();
    let mut total_calls = 0;
    let names = case_names();
    for name in &names {
        let (n, diffs) = compare_case(name, true);
        total_calls += n;
        println!("conformance {name}: {n} calls, {} differences", diffs.len());
        for d in diffs.iter().take(5) {
            println!(
                "    {}\n      expected: {:?}\n      actual:   {:?}",
                d.path, d.expected, d.actual
            );
        }
        failures.extend(diffs);
    }
    println!(
        "conformance total: {} files, {total_calls} calls, {} differences",
        names.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} differences (see output)", failures.len());
}
