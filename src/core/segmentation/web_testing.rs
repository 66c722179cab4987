//! `campaignVariation`: membership in web-testing campaigns the caller reports in
//! `platform_variables.web_testing_campaigns` (a `{campaignId: variationId}` object, or that
//! object as a JSON string).

use serde_json::{Map, Value};
use std::borrow::Cow;

use super::node::Node;
use super::{messages, SegmentEnv};
use crate::core::python;

/// The operand encodings, tried in this order: `!C`, `C_!V`, `C_V`, `C`. Ids are runs of
/// Unicode decimal digits (Python's `\d`), compared as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encoding {
    NotIn(Box<str>),
    InNotVariation(Box<str>, Box<str>),
    InVariation(Box<str>, Box<str>),
    In(Box<str>),
    Invalid,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| python::decimal_value(c).is_some())
}

fn encoding(s: &str) -> Encoding {
    if let Some(c) = s.strip_prefix('!') {
        if digits(c) {
            return Encoding::NotIn(c.into());
        }
    }
    if let Some((c, v)) = s.split_once("_!") {
        if digits(c) && digits(v) {
            return Encoding::InNotVariation(c.into(), v.into());
        }
    }
    if let Some((c, v)) = s.split_once('_') {
        if digits(c) && digits(v) {
            return Encoding::InVariation(c.into(), v.into());
        }
    }
    if digits(s) {
        return Encoding::In(s.into());
    }
    Encoding::Invalid
}

/// Compiles the operand: a string, or a number (integral floats print as integers); other
/// types make the node false without looking at the campaigns.
pub(crate) fn compile(operand: &Value) -> Node {
    let text: Cow<'_, str> = match operand {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let mut s = String::new();
            let written = if f.fract() == 0.0 {
                python::write_int_of_float(f, &mut s)
            } else {
                python::write_float_repr(f, &mut s)
            };
            if written.is_err() {
                return Node::Const(false);
            }
            Cow::Owned(s)
        }
        Value::Number(n) => Cow::Owned(n.to_string()),
        _ => return Node::Const(false),
    };
    Node::CampaignVariation(Box::new(encoding(python::strip(&text))))
}

/// The assigned variation of campaign `c` in a campaigns object, as the SDK normalises it
/// (`str()` of the value; null values are dropped).
fn assigned<'m>(campaigns: &'m Map<String, Value>, c: &str) -> Option<Cow<'m, str>> {
    campaigns.get(c).filter(|v| !v.is_null()).map(python::str_of)
}

fn decide(enc: &Encoding, campaigns: Option<&Map<String, Value>>) -> bool {
    let lookup = |c: &str| campaigns.and_then(|m| assigned(m, c));
    match enc {
        Encoding::NotIn(c) => lookup(c).is_none(),
        Encoding::InNotVariation(c, v) => lookup(c).is_some_and(|a| *a != **v),
        Encoding::InVariation(c, v) => lookup(c).is_some_and(|a| *a == **v),
        Encoding::In(c) => lookup(c).is_some(),
        Encoding::Invalid => false,
    }
}

/// The first key that occurs twice, as the SDK finds keys: every `"..."` (without quotes or
/// backslashes inside) followed by optional whitespace and `:`, at any depth.
fn first_duplicate_key(json: &str) -> Option<&str> {
    let mut seen: Vec<&str> = Vec::new();
    let mut from = 0;
    while let Some(q) = json[from..].find('"').map(|i| from + i) {
        let body = q + 1;
        let end = json[body..].find(['"', '\\']).map(|i| body + i);
        let matched = end.filter(|&e| json[e..].starts_with('"')).and_then(|e| {
            let after = json[e + 1..].trim_start_matches(python::is_space);
            after.starts_with(':').then(|| (e, json.len() - after.len()))
        });
        match matched {
            Some((e, colon)) => {
                let key = &json[body..e];
                if seen.contains(&key) {
                    return Some(key);
                }
                seen.push(key);
                from = colon + 1;
            }
            None => from = q + 1,
        }
    }
    None
}

/// Parses a JSON-string campaigns value, reporting what the SDK reports.
fn parse_campaigns(text: &str, env: &mut dyn SegmentEnv) -> Option<Map<String, Value>> {
    let trimmed = python::strip(text);
    if trimmed.is_empty() {
        return None;
    }
    if let Some(key) = first_duplicate_key(trimmed) {
        env.error(
            messages::INVALID_WEB_TESTING_CAMPAIGNS_DUPLICATE_KEY,
            messages::web_testing_duplicate_key(key),
        );
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(m)) => Some(m),
        _ => {
            env.error(
                messages::INVALID_WEB_TESTING_CAMPAIGNS_JSON,
                messages::INVALID_WEB_TESTING_CAMPAIGNS_JSON_TEXT.to_string(),
            );
            None
        }
    }
}

/// Evaluates a `campaignVariation` node. Like the SDK, the campaigns are read (and a string
/// re-parsed, with its errors reported) on every evaluation.
pub(crate) fn evaluate(enc: &Encoding, env: &mut dyn SegmentEnv) -> bool {
    let text = match env.web_testing_campaigns() {
        None => return decide(enc, None),
        Some(Value::Object(m)) => return decide(enc, Some(m)),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            // `get_type`: bools count as numbers there (`isinstance(True, int)`).
            let kind = if other.is_array() { "Array" } else { "Number" };
            env.error(
                messages::INVALID_WEB_TESTING_CAMPAIGNS_TYPE,
                messages::web_testing_invalid_type(kind),
            );
            return decide(enc, None);
        }
    };
    let campaigns = parse_campaigns(&text, env);
    decide(enc, campaigns.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operand_encodings() {
        let e = |v: Value| match compile(&v) {
            Node::CampaignVariation(e) => Some(*e),
            _ => None,
        };
        assert_eq!(e(json!("!123")), Some(Encoding::NotIn("123".into())));
        assert_eq!(
            e(json!(" 123_!2 ")),
            Some(Encoding::InNotVariation("123".into(), "2".into()))
        );
        assert_eq!(e(json!("123_2")), Some(Encoding::InVariation("123".into(), "2".into())));
        assert_eq!(e(json!("123")), Some(Encoding::In("123".into())));
        assert_eq!(e(json!(123)), Some(Encoding::In("123".into())));
        assert_eq!(e(json!(123.0)), Some(Encoding::In("123".into())));
        assert_eq!(e(json!(12.5)), Some(Encoding::Invalid));
        assert_eq!(e(json!("١٢")), Some(Encoding::In("١٢".into())));
        assert_eq!(e(json!("!1_2")), Some(Encoding::Invalid));
        assert_eq!(e(json!("1__2")), Some(Encoding::Invalid));
        assert_eq!(e(json!("")), Some(Encoding::Invalid));
        assert_eq!(e(json!(true)), None);
        assert_eq!(e(json!(null)), None);
        assert_eq!(e(json!(["1"])), None);
        assert_eq!(e(json!({"1": 2})), None);
    }

    #[test]
    fn duplicate_keys_as_the_sdk_scans_them() {
        assert_eq!(first_duplicate_key(r#"{"1": "2", "1": "3"}"#), Some("1"));
        assert_eq!(first_duplicate_key(r#"{"1": "2", "3": "1"}"#), None);
        assert_eq!(first_duplicate_key(r#"{"a": {"b": 1}, "b" :2}"#), Some("b"));
        assert_eq!(first_duplicate_key(r#"{"a\"": 1, "a\"": 2}"#), Some(""));
        assert_eq!(first_duplicate_key(r#"{"x": "y:", "y": 1}"#), None);
    }
}
