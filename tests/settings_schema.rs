//! Settings schema validation against the official SDK's verdicts.
//!
//! Every expected verdict here was recorded by running the official Python SDK 1.65.0
//! (`tests/fixtures/schema_mutations/generate.py`), never written by hand:
//! * `fixture_verdicts.json`: each settings file shipped under `tests/fixtures`;
//! * `cases.json`: a curated table of mutations of one valid document;
//! * `sweep.json`: every value of that document replaced by each of a set of values, and every
//!   object member deleted.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use vwo_fme::core::settings::schema::{validate, validate_model_requirements, SchemaError};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Settings files the SDK's verdicts must cover: `upstream/**/settings/*.json` and
/// `conformance/settings/*.json`, relative to `tests/fixtures`.
fn settings_files() -> Vec<String> {
    fn walk(dir: &Path, in_settings: bool, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                let is_settings = path.file_name().is_some_and(|n| n == "settings");
                walk(&path, is_settings, out);
            } else if in_settings && path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let root = fixtures();
    let mut files = Vec::new();
    walk(&root.join("upstream"), false, &mut files);
    walk(&root.join("conformance/settings"), true, &mut files);
    files
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

#[test]
fn fixture_settings_files_get_the_sdk_verdict() {
    let verdicts = read_json(&fixtures().join("schema_mutations/fixture_verdicts.json"));
    let verdicts = verdicts.as_object().unwrap();
    let files = settings_files();
    assert!(
        files.len() >= 30,
        "found only {} settings files",
        files.len()
    );
    let listed: Vec<&String> = verdicts.keys().collect();
    let found: Vec<&String> = files.iter().collect();
    assert_eq!(
        listed.iter().collect::<std::collections::BTreeSet<_>>(),
        found.iter().collect::<std::collections::BTreeSet<_>>(),
        "fixture_verdicts.json is out of date: re-run generate.py"
    );
    let (mut accepted, mut rejected) = (0, 0);
    for file in &files {
        let expected = &verdicts[file.as_str()];
        let settings = read_json(&fixtures().join(file));
        let result = validate(&settings);
        if expected["schema_valid"].as_bool().unwrap() {
            assert_eq!(result, Ok(()), "{file}");
            assert_eq!(
                validate_model_requirements(&settings).is_ok(),
                expected["model_ok"].as_bool().unwrap(),
                "{file}"
            );
            accepted += 1;
        } else {
            let err = result.expect_err(file);
            assert_eq!(
                err.path,
                expected["expected_path"].as_str().unwrap(),
                "{file}"
            );
            rejected += 1;
        }
    }
    println!(
        "{} fixture settings files: {accepted} accepted, {rejected} rejected, as the SDK does",
        files.len()
    );
}

#[test]
fn named_fixture_files() {
    let dirs = [
        "upstream/vwo-fme-python-sdk/settings",
        "upstream/vwo-fme-sdk-e2e-test-settings-n-cases/settings",
    ];
    let load = |dir: &str, name: &str| read_json(&fixtures().join(dir).join(name));
    for (dir, wrong, extra_root, extra_inside, empty) in [
        (
            dirs[0],
            "SETTINGS_WITH_WRONG_TYPE_FOR_VALUES.json",
            "SETTINGS_WITH_EXTRA_KEYS_AT_ROOT_LEVEL.json",
            "SETTINGS_WITH_EXTRA_KEYS_INSIDE_OBJECTS.json",
            "SETTINGS_WITH_NO_FEATURES_AND_CAMPAIGNS.json",
        ),
        (
            dirs[1],
            "SettingsWithWrongTypeForValues.json",
            "SettingsWithExtraKeysAtRootLevel.json",
            "SettingsWithExtraKeysInsideObjects.json",
            "SettingsWithNoFeatureAndCampign.json",
        ),
    ] {
        let err = validate(&load(dir, wrong)).expect_err(wrong);
        assert_eq!(
            err,
            SchemaError {
                path: "$.accountId".into(),
                message: "expected number or string, found boolean".into(),
            }
        );
        for name in [extra_root, extra_inside, empty] {
            let settings = load(dir, name);
            assert_eq!(validate(&settings), Ok(()), "{name}");
            assert_eq!(validate_model_requirements(&settings), Ok(()), "{name}");
        }
    }
}

/// Applies `["set", path, value]` / `["del", path]` operations, as `generate.py` does.
fn apply(base: &Value, ops: &[Value]) -> Value {
    let mut doc = base.clone();
    for op in ops {
        let op = op.as_array().unwrap();
        let path = op[1].as_array().unwrap();
        if path.is_empty() {
            doc = op[2].clone();
            continue;
        }
        let mut parent = &mut doc;
        for seg in &path[..path.len() - 1] {
            parent = match seg {
                Value::String(k) => parent.get_mut(k.as_str()).unwrap(),
                _ => parent.get_mut(seg.as_u64().unwrap() as usize).unwrap(),
            };
        }
        let last = &path[path.len() - 1];
        match (op[0].as_str().unwrap(), last, parent) {
            ("set", Value::String(k), Value::Object(map)) => {
                map.insert(k.clone(), op[2].clone());
            }
            ("set", Value::Number(i), Value::Array(items)) => {
                let i = i.as_u64().unwrap() as usize;
                if i == items.len() {
                    items.push(op[2].clone());
                } else {
                    items[i] = op[2].clone();
                }
            }
            ("del", Value::String(k), Value::Object(map)) => {
                // shift_remove keeps the document order of the remaining keys, as Python's del
                map.shift_remove(k.as_str()).unwrap();
            }
            (kind, _, _) => panic!("bad op {kind} {op:?}"),
        }
    }
    doc
}

#[test]
fn mutation_table_matches_the_sdk() {
    let file = read_json(&fixtures().join("schema_mutations/cases.json"));
    let base = &file["base"];
    assert_eq!(validate(base), Ok(()));
    assert_eq!(validate_model_requirements(base), Ok(()));
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let doc = apply(base, case["ops"].as_array().unwrap());
        let expected_path = case["expected_path"].as_str().unwrap();
        let result = validate(&doc);
        // the model check must never panic, whatever the input
        let model = validate_model_requirements(&doc);
        if case["schema_valid"].as_bool().unwrap() {
            assert_eq!(result, Ok(()), "{name}: the SDK accepts this");
            if case["model_ok"].as_bool().unwrap() {
                assert_eq!(model, Ok(()), "{name}: the SDK's model parser accepts this");
                *counts.entry("accepted").or_default() += 1;
            } else {
                let err = model.expect_err(name);
                assert_eq!(err.path, expected_path, "{name}: {err}");
                *counts.entry("model-parser failures").or_default() += 1;
            }
        } else {
            let err = result.expect_err(name);
            assert_eq!(err.path, expected_path, "{name}: {err}");
            assert!(!err.message.is_empty());
            *counts.entry("rejected").or_default() += 1;
        }
    }
    println!(
        "{} mutation cases agree with the SDK: {counts:?}",
        cases.len()
    );
}

/// `true` when `inner` is `outer` or a path inside it.
fn is_within(inner: &str, outer: &str) -> bool {
    inner == outer
        || (inner.starts_with(outer) && matches!(inner.as_bytes()[outer.len()], b'.' | b'['))
}

fn render(path: &[Value]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            Value::String(k) => {
                let mut chars = k.chars();
                let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
                if ident {
                    out.push('.');
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(']');
                }
            }
            other => out.push_str(&format!("[{other}]")),
        }
    }
    out
}

#[test]
fn sweep_matches_the_sdk() {
    let cases = read_json(&fixtures().join("schema_mutations/cases.json"));
    let base = &cases["base"];
    let sweep = read_json(&fixtures().join("schema_mutations/sweep.json"));
    let values = sweep["values"].as_array().unwrap();
    let rows = sweep["rows"].as_array().unwrap();
    let (mut rejected, mut model_failures) = (0, 0);
    for row in rows {
        let path = row[0].as_array().unwrap();
        let index = row[1].as_i64().unwrap();
        let op = if index < 0 {
            serde_json::json!(["del", path])
        } else {
            serde_json::json!(["set", path, values[index as usize]])
        };
        let doc = apply(base, &[op]);
        let label = format!("{} <- {}", render(path), row[1]);
        let result = validate(&doc);
        let model = validate_model_requirements(&doc);
        if row[2].as_bool().unwrap() {
            assert_eq!(result, Ok(()), "{label}: the SDK accepts this");
            assert_eq!(
                model.is_ok(),
                row[3].as_bool().unwrap(),
                "{label}: {model:?}"
            );
            model_failures += usize::from(model.is_err());
        } else {
            let err = result.expect_err(&label);
            // the problem is reported at the changed value or inside it; a deletion at the
            // object that lost the key
            let changed = if index < 0 {
                render(&path[..path.len() - 1])
            } else {
                render(path)
            };
            if index < 0 {
                assert_eq!(err.path, changed, "{label}: {err}");
            } else {
                assert!(is_within(&err.path, &changed), "{label}: {err}");
            }
            rejected += 1;
        }
    }
    println!(
        "{} sweep rows agree with the SDK: {rejected} rejected, {model_failures} model-parser failures",
        rows.len()
    );
}

fn big_settings(features: usize) -> Value {
    let cases = read_json(&fixtures().join("schema_mutations/cases.json"));
    let mut doc = cases["base"].clone();
    let feature = doc["features"][0].clone();
    let campaign = doc["campaigns"][1].clone();
    let mut fs = Vec::with_capacity(features);
    let mut cs = Vec::with_capacity(features);
    for i in 0..features {
        let mut f = feature.clone();
        f["id"] = Value::from(i);
        f["key"] = Value::from(format!("feature{i}"));
        fs.push(f);
        let mut c = campaign.clone();
        c["id"] = Value::from(i + 10);
        cs.push(c);
    }
    doc["features"] = Value::Array(fs);
    doc["campaigns"] = Value::Array(cs);
    doc
}

#[test]
fn large_settings_are_walked_completely() {
    let small = big_settings(250);
    let large = big_settings(2_500);
    let bytes = serde_json::to_string(&large).unwrap().len();
    assert!(bytes > 1_000_000);
    let time = |doc: &Value| {
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(validate(doc), Ok(()));
            assert_eq!(validate_model_requirements(doc), Ok(()));
        }
        start.elapsed() / 3
    };
    let (t_small, t_large) = (time(&small), time(&large));
    println!("validated {bytes} bytes of settings in {t_large:?} (a tenth of it in {t_small:?})");

    // a problem at the very end is still found
    let mut bad = large;
    let last = bad["features"].as_array().unwrap().len() - 1;
    bad["features"][last]["rules"][1]["campaignId"] = Value::from("2");
    assert_eq!(
        validate(&bad).unwrap_err().path,
        format!("$.features[{last}].rules[1].campaignId")
    );
}

#[test]
fn huge_arrays() {
    let cases = read_json(&fixtures().join("schema_mutations/cases.json"));
    let mut doc = cases["base"].clone();
    // a long list of unique group campaigns takes the hashing path of uniqueItems
    let many: Vec<Value> = (0..200_000).map(|i| Value::from(i.to_string())).collect();
    doc["groups"]["7"]["campaigns"] = Value::Array(many.clone());
    doc["holdouts"][0]["featureIds"] = Value::Array((0..200_000).map(Value::from).collect());
    doc["unknown"] = Value::Array(vec![Value::Null; 1_000_000]);
    assert_eq!(validate(&doc), Ok(()));
    let mut dup = many;
    dup.push(Value::from("123456"));
    doc["groups"]["7"]["campaigns"] = Value::Array(dup);
    let err = validate(&doc).unwrap_err();
    assert_eq!(err.path, "$.groups[\"7\"].campaigns[200000]");
    assert!(err.message.contains("same as item 123456"), "{err}");
}

#[test]
fn never_panics() {
    // Deep nesting, built without the parser's depth limit, inside every free-form slot and in
    // constrained ones. Run on a big stack: dropping such a value recurses.
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| {
            let mut deep = Value::Null;
            for i in 0..100_000 {
                deep = if i % 2 == 0 {
                    Value::Array(vec![deep])
                } else {
                    let mut m = serde_json::Map::new();
                    m.insert("k".into(), deep);
                    Value::Object(m)
                };
            }
            let cases = read_json(&fixtures().join("schema_mutations/cases.json"));
            let base = &cases["base"];
            let slots: [&[&str]; 5] = [
                &["campaigns", "0", "segments"],
                &[
                    "campaigns",
                    "0",
                    "variations",
                    "0",
                    "variables",
                    "1",
                    "value",
                ],
                &["features", "0", "impactCampaign"],
                &["holdouts", "0", "segments"],
                &["extra"],
            ];
            for slot in slots {
                let mut doc = base.clone();
                let mut v = &mut doc;
                for seg in &slot[..slot.len() - 1] {
                    v = match seg.parse::<usize>() {
                        Ok(i) => &mut v[i],
                        Err(_) => &mut v[*seg],
                    };
                }
                v[slot[slot.len() - 1]] =
                    Value::Object([("k".to_string(), deep.clone())].into_iter().collect());
                assert_eq!(validate(&doc), Ok(()), "{slot:?}");
                assert_eq!(validate_model_requirements(&doc), Ok(()), "{slot:?}");
            }
            for key in [
                "features",
                "campaigns",
                "holdouts",
                "groups",
                "campaignGroups",
            ] {
                let mut doc = base.clone();
                doc[key] = deep.clone();
                assert!(validate(&doc).is_err(), "{key}");
                let _ = validate_model_requirements(&doc);
            }
            // nested variations, which the model parser does follow
            let mut nested = serde_json::json!({"id": 1});
            for _ in 0..1_000 {
                nested = serde_json::json!({"id": 1, "variations": [nested]});
            }
            let mut doc = base.clone();
            doc["campaigns"][0]["variations"][0]["variations"] = Value::Array(vec![nested]);
            assert_eq!(validate(&doc), Ok(()));
            let err = validate_model_requirements(&doc).unwrap_err();
            assert!(err.message.contains("nested too deeply"), "{err}");
        })
        .unwrap()
        .join()
        .unwrap();

    for root in [
        "null",
        "true",
        "0",
        "-1.5e300",
        "\"\"",
        "[]",
        "[{}]",
        "{}",
        "{\"features\":[[]]}",
    ] {
        let v: Value = serde_json::from_str(root).unwrap();
        assert!(validate(&v).is_err(), "{root}");
        assert!(validate_model_requirements(&v).is_err(), "{root}");
    }
}
