//! Wire conformance of the runtime client: every shared case file is replayed through the
//! full client (threading disabled, `proxy_url` to a loopback server this test starts), and
//! every request is compared with the requests the official Python SDK 1.65.0 sent for the
//! same calls: method, path, query keys and values in order, the headers the SDK sets, and
//! the JSON body.
//!
//! Allowed differences (decisions.md): SDK name/version; normalised time and random values;
//! N1 (no request for an empty impression batch); N6 (an unknown user agent or IP is sent
//! empty, not as the text `None`); the `initConfig` of the usage-stats event (each SDK
//! reports its own options object); and the runtime version in `vwoMeta.lv`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vwo_fme::conformance::compare::{diff, remap, Difference};
use vwo_fme::conformance::live::replay_live;
use vwo_fme::conformance::mock_server::MockServer;
use vwo_fme::events::payload::{SDK_NAME, SDK_VERSION};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance")
}

fn read_gz(path: &Path) -> Value {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The official requests, with the deliberate improvements applied.
fn expected_requests(reqs: &Value) -> Value {
    let list = reqs.as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = list
        .into_iter()
        .filter(|r| {
            !(r["path"].as_str().is_some_and(|p| p.ends_with("/batch-events-v2"))
                && r["body"]["ev"] == Value::Array(vec![]))
        })
        .map(|mut r| {
            if let Some(Value::Object(h)) = r.get("headers") {
                let lower = h.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
                r["headers"] = Value::Object(lower);
            }
            for k in ["visitor_ua", "visitor_ip"] {
                if r["query"][k] == "None" {
                    r["query"][k] = Value::from("");
                }
            }
            if let Some(ic) = r.pointer_mut("/body/d/event/props/data/initConfig") {
                *ic = Value::from("<init config>");
            }
            r
        })
        .collect();
    Value::Array(kept)
}

fn actual_requests(reqs: &Value) -> Value {
    let mut reqs = reqs.clone();
    if let Some(list) = reqs.as_array_mut() {
        for r in list {
            if let Some(ic) = r.pointer_mut("/body/d/event/props/data/initConfig") {
                *ic = Value::from("<init config>");
            }
        }
    }
    reqs
}

fn compare_case(name: &str) -> (usize, Vec<Difference>) {
    let dir = fixtures();
    let settings_name = name.split('.').next().unwrap();
    let settings = read(&dir.join(format!("settings/{settings_name}.json")));
    let mut cases = read(&dir.join(format!("cases/{name}.json")));
    // The oracle is the Python SDK itself: compare with its decisions, bugs included.
    cases["options"]["python_compat"] = Value::Bool(true);
    let server = MockServer::start(settings, 0).unwrap();
    let mut drain = || server.take();
    let actual = replay_live(&cases, &server.url(), &mut drain).unwrap();
    let actual = remap(&actual, &[(SDK_NAME, "vwo-fme-python-sdk"), (SDK_VERSION, "1.65.0")]);
    let expected = read_gz(&dir.join(format!("results/{name}.json.gz")));

    let mut out = Vec::new();
    diff(
        &expected["init"]["ok"],
        &actual["init"]["ok"],
        &format!("{name}.init.ok"),
        &mut out,
    );
    diff(
        &expected_requests(&expected["init"]["requests"]),
        &actual_requests(&actual["init"]["requests"]),
        &format!("{name}.init.requests"),
        &mut out,
    );
    let (ec, ac) = (
        expected["calls"].as_array().unwrap(),
        actual["calls"].as_array().unwrap(),
    );
    assert_eq!(ec.len(), ac.len(), "{name}: number of calls");
    for (i, (e, a)) in ec.iter().zip(ac).enumerate() {
        let p = format!("{name}.calls[{i}]");
        if e["op"] != "flush_events" {
            // decisions.md N3: flush_events reports delivery instead of always False.
            diff(&e["result"], &a["result"], &format!("{p}.result"), &mut out);
        }
        for field in ["storage", "decision"] {
            if e.get(field).is_some() {
                diff(&e[field], &a[field], &format!("{p}.{field}"), &mut out);
            }
        }
        diff(
            &expected_requests(&e["requests"]),
            &actual_requests(&a["requests"]),
            &format!("{p}.requests"),
            &mut out,
        );
    }
    (ec.len(), out)
}

#[test]
fn every_request_matches_the_official_sdk() {
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
    let only = std::env::var("VWO_CASES").ok();
    let mut failures = Vec::new();
    let mut total = 0;
    for name in names
        .iter()
        .filter(|n| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == n.as_str())))
    {
        let (n, diffs) = compare_case(name);
        total += n;
        println!("wire conformance {name}: {n} calls, {} differences", diffs.len());
        for d in diffs.iter().take(6) {
            println!(
                "    {}\n      expected: {:?}\n      actual:   {:?}",
                d.path, d.expected, d.actual
            );
        }
        failures.extend(diffs);
    }
    println!("wire conformance total: {total} calls, {} differences", failures.len());
    assert!(failures.is_empty(), "{} differences (see output)", failures.len());
}
