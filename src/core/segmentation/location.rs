//! Location conditions (`country`, `region`, `city`) inside an `and`.
//!
//! The official SDK does not evaluate them one by one: it collects them into a map and checks
//! the map only when the `and` list consists of location nodes alone (with distinct keys);
//! mixed with other conditions they are ignored (behaviour spec §10.4, decisions.md keeps it).

use serde_json::{Map, Value};
use std::borrow::Cow;

use super::messages;
use super::SegmentEnv;
use crate::core::python;

/// The location keys an `and` collects, in the order the SDK reads them from one node.
pub(crate) const LOCATION_KEYS: [&str; 3] = ["country", "region", "city"];

/// Expected values per key, normalised.
#[derive(Debug, Clone)]
pub(crate) struct LocationCheck {
    expected: Vec<(&'static str, Option<Box<str>>)>,
}

/// `normalize_value`: `None` stays `None`, anything else is `str(value)` without `"` and
/// stripped.
fn normalize(v: &Value) -> Option<Cow<'_, str>> {
    if v.is_null() {
        return None;
    }
    let text = python::str_of(v);
    if text.contains('"') {
        return Some(Cow::Owned(python::strip(&text.replace('"', "")).to_string()));
    }
    Some(match text {
        Cow::Borrowed(s) => Cow::Borrowed(python::strip(s)),
        Cow::Owned(s) => Cow::Owned(python::strip(&s).to_string()),
    })
}

impl LocationCheck {
    /// From the collected `(key, value)` pairs (the last value of a key wins).
    pub(crate) fn new(collected: &[(&'static str, &Value)]) -> LocationCheck {
        let expected = collected
            .iter()
            .map(|(k, v)| (*k, normalize(v).map(|s| s.into())))
            .collect();
        LocationCheck { expected }
    }

    /// `check_location_pre_segmentation`: needs an IP address in the context and `_vwo.location`;
    /// every expected key must be present with an equal (case-sensitive) normalised value.
    pub(crate) fn evaluate(&self, env: &mut dyn SegmentEnv) -> bool {
        if env.ip_address().is_none() {
            env.error(
                messages::INVALID_IP_ADDRESS,
                messages::INVALID_IP_ADDRESS_TEXT.to_string(),
            );
            return false;
        }
        match env.location() {
            None => false,
            Some(actual) => self.matches(actual),
        }
    }

    fn matches(&self, actual: &Map<String, Value>) -> bool {
        self.expected.iter().all(|(key, want)| match actual.get(*key) {
            None => false,
            Some(v) => normalize(v).as_deref() == want.as_deref(),
        })
    }
}
