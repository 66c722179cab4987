//! Call-by-call comparison of two results documents, reporting differences by JSON path
//! (the same rules as the kit's `compare.py`: object key order is irrelevant, `1` and `1.0`
//! are different JSON, list lengths and items are compared in order).

use serde_json::Value;

/// One difference: path, expected value, actual value.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// JSON path, e.g. `calls[3].result.is_enabled`.
    pub path: String,
    /// Value in the expected document (`None` when missing).
    pub expected: Option<Value>,
    /// Value in the actual document (`None` when missing).
    pub actual: Option<Value>,
}

/// Appends the differences between `a` (expected) and `b` (actual) under `path`.
pub fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(v, w, &format!("{path}.{k}"), out),
                    None => out.push(Difference {
                        path: format!("{path}.{k}"),
                        expected: Some(v.clone()),
                        actual: None,
                    }),
                }
            }
            for (k, w) in y {
                if !x.contains_key(k) {
                    out.push(Difference {
                        path: format!("{path}.{k}"),
                        expected: None,
                        actual: Some(w.clone()),
                    });
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(Difference {
                    path: format!("{path}.length"),
                    expected: Some(Value::from(x.len())),
                    actual: Some(Value::from(y.len())),
                });
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let same_kind = x.is_f64() == y.is_f64();
            let equal = match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p == q,
                _ => x == y,
            };
            if !(same_kind && equal) {
                out.push(Difference {
                    path: path.to_string(),
                    expected: Some(a.clone()),
                    actual: Some(b.clone()),
                });
            }
        }
        _ => {
            if a != b {
                out.push(Difference {
                    path: path.to_string(),
                    expected: Some(a.clone()),
                    actual: Some(b.clone()),
                });
            }
        }
    }
}

/// Replaces string values found in `mapping` (actual → expected), e.g. this engine's SDK
/// name and version by the official ones.
pub fn remap(v: &Value, mapping: &[(&str, &str)]) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), remap(x, mapping))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|x| remap(x, mapping)).collect()),
        Value::String(s) => match mapping.iter().find(|(from, _)| from == s) {
            Some((_, to)) => Value::from(*to),
            None => v.clone(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_paths_and_ignores_key_order() {
        let mut out = Vec::new();
        diff(
            &json!({"a": 1, "b": [1, 2]}),
            &json!({"b": [1, 2], "a": 1}),
            "x",
            &mut out,
        );
        assert!(out.is_empty());
        diff(
            &json!({"a": 1, "b": [1, 2]}),
            &json!({"a": 1.0, "b": [1], "c": true}),
            "x",
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, vec!["x.a", "x.b.length", "x.c"]);
    }

    #[test]
    fn remaps_strings() {
        assert_eq!(
            remap(&json!({"sn": "ours", "n": ["ours", 1]}), &[("ours", "theirs")]),
            json!({"sn": "theirs", "n": ["theirs", 1]})
        );
    }
}
