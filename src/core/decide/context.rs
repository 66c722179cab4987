//! The user context of one API call, parsed once from JSON (snake_case or camelCase keys).

use std::fmt;

use serde_json::{Map, Value};

use super::context_fields::{Fields, Key};

const NOT_AN_OBJECT: &str = "context must be a non-empty object with an \"id\"";

/// Why a context cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError(pub String);

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContextError {}

/// Pre-resolved gateway data (`_vwo` / `_wingify` in the context, or the gateway's answer).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayData {
    /// `location`: `country`, `region`, `city`.
    pub location: Option<Map<String, Value>>,
    /// `userAgent`: `os`, `browser_string`, `device_type`, versions.
    pub user_agent: Option<Map<String, Value>>,
}

impl GatewayData {
    /// Parses `{location, userAgent}`; `None` for a missing or falsy value.
    pub fn from_json(v: &Value) -> Option<GatewayData> {
        let m = v.as_object().filter(|m| !m.is_empty())?;
        Some(GatewayData {
            location: m.get("location").and_then(Value::as_object).cloned(),
            user_agent: m.get("userAgent").and_then(Value::as_object).cloned(),
        })
    }
}

/// A user context. Build it with [`UserContext::from_json`] or field by field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserContext {
    /// `id`: the user id (required).
    pub id: String,
    /// `custom_variables` / `customVariables`.
    pub custom_variables: Map<String, Value>,
    /// `variation_targeting_variables` / `variationTargetingVariables` (whitelisting).
    pub variation_targeting_variables: Map<String, Value>,
    /// `user_agent` / `userAgent`.
    pub user_agent: Option<String>,
    /// `ip_address` / `ipAddress`.
    pub ip_address: Option<String>,
    /// `_vwo` / `_wingify`: pre-resolved location and user-agent data.
    pub gateway: Option<GatewayData>,
    /// `post_segmentation_variables` / `postSegmentationVariables`: custom variables copied
    /// into impressions.
    pub post_segmentation_variables: Vec<String>,
    /// `bucketingSeed` / `bucketing_seed`: hash this instead of the id (blank ones are dropped).
    pub bucketing_seed: Option<String>,
    /// `platform_variables.web_testing_campaigns` (or the camelCase spelling).
    pub web_testing_campaigns: Option<Value>,
    /// `session_id` / `sessionId` (unix seconds); the call time when absent.
    pub session_id: Option<i64>,
    /// `use_id_for_web` / `useIdForWeb`: require `id` to be a web UUID.
    pub use_id_for_web: bool,
    /// Whether `bucketingSeed` was given but unusable (the SDK logs an error and drops it).
    pub invalid_bucketing_seed: bool,
}

/// The value under `snake`, else under `camel` (the snake_case spelling wins even when it is
/// `null`); `None` for a missing or `null` value.
fn pick(f: &mut Fields, snake: Key, camel: Key) -> Option<Value> {
    let snake = f.take(snake);
    let v = if snake.is_some() { snake } else { f.take(camel) };
    v.filter(|v| !v.is_null())
}

fn string_of(v: Value, what: &str) -> Result<String, ContextError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(ContextError(format!(
            "{what} must be a string, got {}",
            type_name(&other)
        ))),
    }
}

fn object_of(v: Value, what: &str) -> Result<Map<String, Value>, ContextError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(ContextError(format!(
            "{what} must be an object, got {}",
            type_name(&other)
        ))),
    }
}

/// Why [`UserContext::from_json_str`] failed.
#[derive(Debug)]
pub enum ContextTextError {
    /// The text is not JSON (or nests deeper than 128 levels).
    Json(serde_json::Error),
    /// The JSON is not a usable context.
    Context(ContextError),
}

impl fmt::Display for ContextTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextTextError::Json(e) => e.fmt(f),
            ContextTextError::Context(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ContextTextError {}

/// JSON type name for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl UserContext {
    /// A context with just a user id.
    pub fn new(id: impl Into<String>) -> UserContext {
        UserContext {
            id: id.into(),
            ..Default::default()
        }
    }

    /// Parses a context object. Keys are accepted in the Python SDK's snake_case and the
    /// Node/Go SDKs' camelCase. The id must be a string, as in the official SDKs.
    pub fn from_json(v: &Value) -> Result<UserContext, ContextError> {
        match v {
            Value::Object(m) => UserContext::from_fields(Fields::from_map(m)),
            _ => Err(ContextError(NOT_AN_OBJECT.into())),
        }
    }

    /// [`UserContext::from_json`] straight from JSON text, without building the top-level
    /// object: the fast path for contexts that cross a language boundary as JSON.
    pub fn from_json_str(text: &str) -> Result<UserContext, ContextTextError> {
        match Fields::from_str(text).map_err(ContextTextError::Json)? {
            Some(f) => UserContext::from_fields(f).map_err(ContextTextError::Context),
            None => Err(ContextTextError::Context(ContextError(NOT_AN_OBJECT.into()))),
        }
    }

    fn from_fields(mut f: Fields) -> Result<UserContext, ContextError> {
        if !f.any_key {
            return Err(ContextError(NOT_AN_OBJECT.into()));
        }
        let id = match f.take(Key::Id) {
            None => return Err(ContextError("context must contain \"id\"".into())),
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(ContextError(format!(
                    "context \"id\" must be a string, got {}",
                    type_name(&other)
                )))
            }
        };
        let mut ctx = UserContext::new(id);
        if let Some(v) = pick(&mut f, Key::CustomVariables, Key::CustomVariablesCamel) {
            ctx.custom_variables = object_of(v, "custom_variables")?;
        }
        if let Some(v) = pick(
            &mut f,
            Key::VariationTargetingVariables,
            Key::VariationTargetingVariablesCamel,
        ) {
            ctx.variation_targeting_variables = object_of(v, "variation_targeting_variables")?;
        }
        if let Some(v) = pick(&mut f, Key::UserAgent, Key::UserAgentCamel) {
            ctx.user_agent = Some(string_of(v, "user_agent")?);
        }
        if let Some(v) = pick(&mut f, Key::IpAddress, Key::IpAddressCamel) {
            ctx.ip_address = Some(string_of(v, "ip_address")?);
        }
        let vwo = f.take(Key::Vwo).filter(crate::core::python::truthy);
        if let Some(v) = vwo.or_else(|| f.take(Key::Wingify)) {
            ctx.gateway = GatewayData::from_json(&v);
        }
        if let Some(v) = pick(
            &mut f,
            Key::PostSegmentationVariables,
            Key::PostSegmentationVariablesCamel,
        ) {
            let Value::Array(list) = v else {
                return Err(ContextError(format!(
                    "post_segmentation_variables must be a list, got {}",
                    type_name(&v)
                )));
            };
            ctx.post_segmentation_variables = list
                .into_iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
        }
        // The camelCase spelling first, and `null` counts as given (and unusable).
        let seed = f.take(Key::BucketingSeedCamel);
        if let Some(seed) = seed.or_else(|| f.take(Key::BucketingSeed)) {
            match seed {
                Value::String(s) if !s.trim().is_empty() => ctx.bucketing_seed = Some(s),
                _ => ctx.invalid_bucketing_seed = true,
            }
        }
        if let Some(Value::Object(mut pv)) = pick(&mut f, Key::PlatformVariables, Key::PlatformVariablesCamel) {
            let snake = pv.remove("web_testing_campaigns");
            ctx.web_testing_campaigns = if snake.is_some() {
                snake
            } else {
                pv.remove("webTestingCampaigns")
            }
            .filter(|v| !v.is_null());
        }
        if let Some(v) = pick(&mut f, Key::SessionId, Key::SessionIdCamel) {
            ctx.session_id = Some(session_of(&v)?);
        }
        let web = f.take(Key::UseIdForWeb);
        if let Some(v) = web.or_else(|| f.take(Key::UseIdForWebCamel)) {
            ctx.use_id_for_web = v == Value::Bool(true);
        }
        Ok(ctx)
    }

    /// The id bucketing hashes: the bucketing seed when set, else the user id.
    pub fn bucketing_id(&self) -> &str {
        self.bucketing_seed.as_deref().unwrap_or(&self.id)
    }
}

fn session_of(v: &Value) -> Result<i64, ContextError> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    if let Some(f) = v.as_f64() {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            return Ok(f as i64);
        }
    }
    Err(ContextError(format!(
        "session_id must be an integer (unix seconds), got {v}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_snake_and_camel_keys() {
        let a = UserContext::from_json(&json!({
            "id": "u1", "custom_variables": {"a": 1}, "user_agent": "UA", "ip_address": "1.2.3.4",
            "session_id": 1700000000, "bucketingSeed": "seed", "post_segmentation_variables": ["a"],
            "platform_variables": {"web_testing_campaigns": {"1": "2"}}, "use_id_for_web": true,
            "_vwo": {"location": {"country": "IN"}}
        }))
        .unwrap();
        let b = UserContext::from_json(&json!({
            "id": "u1", "customVariables": {"a": 1}, "userAgent": "UA", "ipAddress": "1.2.3.4",
            "sessionId": 1700000000, "bucketingSeed": "seed", "postSegmentationVariables": ["a"],
            "platformVariables": {"webTestingCampaigns": {"1": "2"}}, "useIdForWeb": true,
            "_vwo": {"location": {"country": "IN"}}
        }))
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.bucketing_id(), "seed");
        assert_eq!(a.session_id, Some(1_700_000_000));
        assert_eq!(a.gateway.unwrap().location.unwrap()["country"], json!("IN"));
    }

    #[test]
    fn rejects_what_the_official_sdk_rejects() {
        assert!(UserContext::from_json(&json!({})).is_err());
        assert!(UserContext::from_json(&json!(null)).is_err());
        assert!(UserContext::from_json(&json!({"id": 5}))
            .unwrap_err()
            .0
            .contains("string"));
        assert!(UserContext::from_json(&json!({"user": "x"})).is_err());
        assert!(UserContext::from_json(&json!({"id": "u", "custom_variables": [1]})).is_err());
    }

    #[test]
    fn blank_bucketing_seeds_are_dropped_and_flagged() {
        let c = UserContext::from_json(&json!({"id": "u", "bucketingSeed": "  "})).unwrap();
        assert_eq!(c.bucketing_seed, None);
        assert!(c.invalid_bucketing_seed);
        assert_eq!(c.bucketing_id(), "u");
        let c = UserContext::from_json(&json!({"id": "u", "bucketingSeed": 5})).unwrap();
        assert!(c.invalid_bucketing_seed);
    }

    #[test]
    fn text_path_gives_the_same_context_and_errors_as_the_value_path() {
        let cases = [
            r#"{"id":"u","custom_variables":{"a":1,"b":[1,2]},"x":{"deep":[{"y":null}]}}"#,
            r#"{"id":"u","custom_variables":null,"customVariables":{"a":1}}"#,
            r#"{"id":"u","user_agent":"A","userAgent":"B","ipAddress":"1.2.3.4"}"#,
            r#"{"id":"u","_vwo":{},"_wingify":{"location":{"country":"IN"}}}"#,
            r#"{"id":"u","_vwo":{"ua":{"os":"x"}},"_wingify":{"location":{"country":"IN"}}}"#,
            r#"{"id":"u","bucketing_seed":"s","bucketingSeed":null}"#,
            r#"{"id":"u","bucketing_seed":"s"}"#,
            r#"{"id":"u","platformVariables":{"web_testing_campaigns":null,"webTestingCampaigns":{"1":2}}}"#,
            r#"{"id":"u","post_segmentation_variables":["a",1,"b"],"sessionId":"17"}"#,
            r#"{"id":"u","use_id_for_web":false,"useIdForWeb":true}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"id":"u","custom_variables":[1]}"#,
            r#"{"id":"u","user_agent":5}"#,
            r#"{"id":"u","post_segmentation_variables":"a"}"#,
            r#"{"id":"u","session_id":"x"}"#,
            r#"{"id":7}"#,
            r#"{"user":"x"}"#,
            r#"{}"#,
            r#"[]"#,
            r#""u""#,
            r#"null"#,
        ];
        for text in cases {
            let v: Value = serde_json::from_str(text).unwrap();
            let by_value = UserContext::from_json(&v);
            let by_text = UserContext::from_json_str(text).map_err(|e| match e {
                ContextTextError::Context(e) => e,
                ContextTextError::Json(e) => panic!("{text}: {e}"),
            });
            assert_eq!(by_text, by_value, "{text}");
        }
        assert!(matches!(
            UserContext::from_json_str("{\"id\": \"u\"").unwrap_err(),
            ContextTextError::Json(_)
        ));
    }
}
