//! The conformance kit's normalisation: run-to-run values (timestamps inside the run's time
//! window, random numbers, debug event ids, the runtime version) become placeholders, so
//! two runs of the same cases compare equal.

use serde_json::{Map, Value};

/// Replaces time and random values in recorded requests and results, as `oracle.py` does.
#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    /// Start of the run window (unix ms), a few seconds before the run began.
    pub from_ms: i64,
    /// End of the run window (unix ms), a few seconds after the run ended.
    pub to_ms: i64,
}

impl Normalizer {
    /// A window from 5 s before now to `slack_s` seconds after now.
    pub fn around_now(slack_s: i64) -> Normalizer {
        let now = crate::events::payload::Stamp::now().now_ms;
        Normalizer {
            from_ms: now - 5_000,
            to_ms: now + slack_s * 1000,
        }
    }

    fn in_ms(&self, v: &Value) -> bool {
        as_num(v).is_some_and(|x| x >= self.from_ms as f64 && x <= self.to_ms as f64)
    }

    fn in_s(&self, v: &Value) -> bool {
        as_num(v).is_some_and(|x| x >= (self.from_ms / 1000) as f64 && x <= (self.to_ms / 1000 + 1) as f64)
    }

    /// The normalised form of `v` found under `key`.
    pub fn value(&self, key: &str, v: &Value, in_query: bool) -> Value {
        match key {
            "eTime" | "time" | "dateTime" if self.in_ms(v) => return Value::from("<TS_MS>"),
            "sessionId" | "sId" if self.in_s(v) => return Value::from("<TS_S>"),
            "msgId" => {
                if let Some(s) = v.as_str() {
                    if let Some((head, tail)) = s.rsplit_once('-') {
                        if tail.len() >= 12
                            && tail.bytes().all(|b| b.is_ascii_digit())
                            && self.in_ms(&Value::from(tail))
                        {
                            return Value::from(format!("{head}-<TS_MS>"));
                        }
                    }
                }
            }
            "eventId" if v.is_string() => return Value::from("<RANDOM_UUID>"),
            "lv" if v.is_string() => return Value::from("<PY_VERSION>"),
            "sdkInitTime" | "settingsFetchTime" if v.is_number() => return Value::from("<DURATION_MS>"),
            "random" | "r" if in_query => return Value::from("<RANDOM>"),
            _ => {}
        }
        v.clone()
    }

    /// Normalises a JSON tree (keys decide what is replaced).
    pub fn tree(&self, v: &Value) -> Value {
        self.tree_under(v, "")
    }

    fn tree_under(&self, v: &Value, key: &str) -> Value {
        match v {
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), self.tree_under(x, k))).collect()),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.tree_under(x, key)).collect()),
            other => self.value(key, other, false),
        }
    }

    /// Normalises a query (ordered key/value pairs) into an ordered JSON object.
    pub fn query(&self, q: &[(String, String)]) -> Value {
        let mut m = Map::new();
        for (k, v) in q {
            m.insert(k.clone(), self.value(k, &Value::from(v.as_str()), true));
        }
        Value::Object(m)
    }
}

fn as_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_values_inside_the_window_only() {
        let n = Normalizer {
            from_ms: 1_700_000_000_000,
            to_ms: 1_700_000_100_000,
        };
        let body = json!({"d": {"msgId": "ABC-1700000050000", "sessionId": 1700000050, "event": {"time": 1700000050000_i64}},
                          "keep": {"sessionId": 5, "time": 7}});
        assert_eq!(
            n.tree(&body),
            json!({"d": {"msgId": "ABC-<TS_MS>", "sessionId": "<TS_S>", "event": {"time": "<TS_MS>"}},
                   "keep": {"sessionId": 5, "time": 7}})
        );
        let q = n.query(&[
            ("eTime".into(), "1700000050000".into()),
            ("random".into(), "0.5".into()),
            ("a".into(), "1".into()),
        ]);
        assert_eq!(q, json!({"eTime": "<TS_MS>", "random": "<RANDOM>", "a": "1"}));
    }
}
