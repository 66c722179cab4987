//! User-agent parser conditions (`os`, `browser_string`, `device_type`, `device`) inside an
//! `or`, matched against the parsed user agent in `_vwo.userAgent`.

use fancy_regex::Regex;
use serde_json::Value;

use super::operand::lower_eq;
use super::py_regex::{self, PatternError};
use super::{messages, SegmentEnv};

/// The keys an `or` collects for its user-agent check.
pub(crate) const UA_KEYS: [&str; 4] = ["os", "browser_string", "device_type", "device"];

#[derive(Debug, Clone)]
struct Expected {
    /// The value lower-cased, as the SDK compares it.
    lower: Box<str>,
    /// For `wildcard(<pattern>)` values: `<pattern>` with `*` turned into `.*`, matched
    /// case-insensitively from the start (`re.match`).
    wildcard: Option<Result<Regex, PatternError>>,
}

/// The expected values per UA key, collected over the `or` list.
#[derive(Debug, Clone)]
pub(crate) struct UaCheck {
    expected: Vec<(&'static str, Vec<Expected>)>,
}

/// Python's `type(v).__name__` for a JSON value, for exception messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

impl UaCheck {
    pub(crate) fn new(collected: &[(&'static str, Vec<&str>)]) -> UaCheck {
        let expected = collected
            .iter()
            .map(|(key, values)| {
                let values = values
                    .iter()
                    .map(|v| {
                        let lower = v.to_lowercase();
                        let wildcard = lower
                            .strip_prefix("wildcard(")
                            .and_then(|rest| rest.strip_suffix(')'))
                            .map(|pattern| py_regex::compile(&pattern.replace('*', ".*"), true, true));
                        Expected {
                            lower: lower.into_boxed_str(),
                            wildcard,
                        }
                    })
                    .collect();
                (*key, values)
            })
            .collect();
        UaCheck { expected }
    }

    /// `check_user_agent_parser`. `Err` carries the text of the exception the SDK catches and
    /// reports as `USER_AGENT_VALIDATION_ERROR` (after which the `or` goes on).
    pub(crate) fn evaluate(&self, env: &mut dyn SegmentEnv) -> Result<bool, String> {
        if env.user_agent().is_none_or(str::is_empty) {
            env.error(
                messages::INVALID_USER_AGENT,
                messages::INVALID_USER_AGENT_TEXT.to_string(),
            );
            return Ok(false);
        }
        let Some(actual) = env.ua_info() else {
            return Ok(false);
        };
        for (key, value) in actual {
            let Some((_, expected)) = self.expected.iter().find(|(k, _)| k == key) else {
                continue;
            };
            for e in expected {
                let re = match &e.wildcard {
                    None => continue,
                    Some(Ok(re)) => re,
                    Some(Err(PatternError::Invalid(msg))) => return Err(msg.clone()),
                    Some(Err(PatternError::Exception(name))) => return Err((*name).to_string()),
                    // Valid for Python but not runnable here: treated as not matching.
                    Some(Err(PatternError::Unsupported(_))) => continue,
                };
                let Value::String(text) = value else {
                    return Err(format!(
                        "expected string or bytes-like object, got '{}'",
                        type_name(value)
                    ));
                };
                if py_regex::is_match(re, text) {
                    return Ok(true);
                }
            }
            let Value::String(text) = value else {
                return Err(format!("'{}' object has no attribute 'lower'", type_name(value)));
            };
            if expected.iter().any(|e| lower_eq(text, &e.lower)) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
