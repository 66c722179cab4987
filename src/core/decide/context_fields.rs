//! The keys of a context object that a decision reads, collected before they are checked.
//!
//! Two ways in: from a parsed `Value` (values cloned), or straight from JSON text (values
//! moved, unknown keys skipped without being built). The second is the hot path of every
//! binding, which hands contexts over as JSON: it builds no map for the top-level object and
//! copies nothing, about twice as fast as parsing a `Value` and converting it. Both paths
//! end in the same checks, so they give the same context and the same errors.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The recognised keys, snake_case and camelCase spellings apart (their precedence differs
/// per key, see `UserContext`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Id,
    CustomVariables,
    CustomVariablesCamel,
    VariationTargetingVariables,
    VariationTargetingVariablesCamel,
    UserAgent,
    UserAgentCamel,
    IpAddress,
    IpAddressCamel,
    Vwo,
    Wingify,
    PostSegmentationVariables,
    PostSegmentationVariablesCamel,
    BucketingSeedCamel,
    BucketingSeed,
    PlatformVariables,
    PlatformVariablesCamel,
    SessionId,
    SessionIdCamel,
    UseIdForWeb,
    UseIdForWebCamel,
}

const KEYS: usize = Key::UseIdForWebCamel as usize + 1;

impl Key {
    fn of(name: &str) -> Option<Key> {
        Some(match name {
            "id" => Key::Id,
            "custom_variables" => Key::CustomVariables,
            "customVariables" => Key::CustomVariablesCamel,
            "variation_targeting_variables" => Key::VariationTargetingVariables,
            "variationTargetingVariables" => Key::VariationTargetingVariablesCamel,
            "user_agent" => Key::UserAgent,
            "userAgent" => Key::UserAgentCamel,
            "ip_address" => Key::IpAddress,
            "ipAddress" => Key::IpAddressCamel,
            "_vwo" => Key::Vwo,
            "_wingify" => Key::Wingify,
            "post_segmentation_variables" => Key::PostSegmentationVariables,
            "postSegmentationVariables" => Key::PostSegmentationVariablesCamel,
            "bucketingSeed" => Key::BucketingSeedCamel,
            "bucketing_seed" => Key::BucketingSeed,
            "platform_variables" => Key::PlatformVariables,
            "platformVariables" => Key::PlatformVariablesCamel,
            "session_id" => Key::SessionId,
            "sessionId" => Key::SessionIdCamel,
            "use_id_for_web" => Key::UseIdForWeb,
            "useIdForWeb" => Key::UseIdForWebCamel,
            _ => return None,
        })
    }
}

/// The recognised values of one context object, as given (JSON `null` included).
#[derive(Default)]
pub(crate) struct Fields {
    slots: [Option<Value>; KEYS],
    /// Whether the object had any key at all (the official SDKs refuse `{}`).
    pub(crate) any_key: bool,
}

impl Fields {
    /// Collects from a parsed object (cloning the recognised values only).
    pub(crate) fn from_map(m: &Map<String, Value>) -> Fields {
        let mut f = Fields {
            any_key: !m.is_empty(),
            ..Fields::default()
        };
        for (k, v) in m {
            if let Some(key) = Key::of(k) {
                f.slots[key as usize] = Some(v.clone());
            }
        }
        f
    }

    /// Parses JSON text. `Ok(None)` when the text is valid JSON but not an object.
    pub(crate) fn from_str(text: &str) -> Result<Option<Fields>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = FieldsSeed.deserialize(&mut de)?;
        de.end()?;
        Ok(fields)
    }

    /// Takes the value of `key`, as given.
    pub(crate) fn take(&mut self, key: Key) -> Option<Value> {
        self.slots[key as usize].take()
    }
}

/// Reads a whole JSON value: an object gives its fields, anything else `None`.
struct FieldsSeed;

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Option<Fields>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Fields>, D::Error> {
        d.deserialize_any(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Option<Fields>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Fields>, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            f.any_key = true;
            match key {
                // A repeated key keeps its last value, as with a parsed object.
                Some(k) => f.slots[k as usize] = Some(map.next_value()?),
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Some(f))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Fields>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Option<Fields>, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Option<Fields>, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Option<Fields>, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Option<Fields>, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Option<Fields>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<Fields>, E> {
        Ok(None)
    }
}

/// A value read and dropped without being built. Unlike serde's `IgnoredAny` (which skips
/// nested arrays and objects without counting them), it descends through `deserialize_any`,
/// so the parser's nesting limit of 128 holds for unknown keys as it does for a parsed
/// `Value`: the same text is refused on both paths.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
}

/// A key: recognised (borrowed from the input when it has no escapes, so no allocation) or
/// not (`None`).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<Key>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Key>, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Option<Key>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, s: &str) -> Result<Option<Key>, E> {
        Ok(Key::of(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_parsed_object_collect_the_same_fields() {
        let text = r#"{"id":"u","x":[1,{"y":2}],"customVariables":{"a":1},"id":"v","_vwo":null}"#;
        let mut a = Fields::from_str(text).unwrap().unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        let mut b = Fields::from_map(v.as_object().unwrap());
        for k in [Key::Id, Key::CustomVariablesCamel, Key::Vwo, Key::CustomVariables] {
            assert_eq!(a.take(k), b.take(k), "{k:?}");
        }
        assert!(a.any_key && b.any_key);
    }

    #[test]
    fn non_objects_and_bad_json_are_told_apart() {
        assert!(Fields::from_str("[1, 2]").unwrap().is_none());
        assert!(Fields::from_str("\"id\"").unwrap().is_none());
        assert!(!Fields::from_str("{}").unwrap().unwrap().any_key);
        assert!(Fields::from_str("{\"id\": }").is_err());
        assert!(Fields::from_str("{} x").is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(Fields::from_str(&format!("{{\"custom_variables\": {deep}}}")).is_err());
        assert!(Fields::from_str(&format!("{{\"unknown\": {deep}}}")).is_err());
        assert!(Fields::from_str(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(Fields::from_str(&format!("{{\"unknown\": {{\"k\": {ok}}}}}"))
            .unwrap()
            .is_some());
    }
}
