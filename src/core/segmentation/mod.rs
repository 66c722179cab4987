//! The VWO pre-segmentation DSL: compiled once per settings install, evaluated per user.
//!
//! Semantics follow the official Python SDK 1.65.0 (vwo-fme-behaviour.md §10), with the two
//! deliberate deviations of decisions.md: booleans stringify as `"true"`/`"false"` (D1) and
//! `inlist(...)` asks the caller (gateway `/check-attribute`) instead of never matching (D2).

use serde_json::{Map, Value};

use crate::core::LogLevel;

/// A compiled DSL tree (operands classified and regexes compiled ahead of evaluation).
#[derive(Debug, Clone)]
pub struct Segment {
    _priv: (),
}

impl Segment {
    /// Compiles a DSL node. Never fails: malformed parts compile to nodes that evaluate the
    /// way the official SDK evaluates them (usually `false`).
    pub fn compile(_dsl: &Value) -> Segment {
        Segment { _priv: () }
    }
}

/// The variables a DSL is evaluated against: the context's `custom_variables` (or
/// `variation_targeting_variables` for whitelisting) plus the `_vwoUserId` the SDK injects.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    /// The user's variables, as given in the context.
    pub vars: &'a Map<String, Value>,
    /// The `_vwoUserId` value; when set it shadows a `_vwoUserId` key in `vars`.
    pub vwo_user_id: Option<&'a str>,
}

/// What evaluation needs from the user context and the outside world. The core does no I/O:
/// storage reads, gateway list checks and log output go through this trait.
pub trait SegmentEnv {
    /// The context's raw `user_agent`.
    fn user_agent(&self) -> Option<&str>;
    /// The context's `ip_address`.
    fn ip_address(&self) -> Option<&str>;
    /// `_vwo.location` (from the context or the gateway lookup).
    fn location(&self) -> Option<&Map<String, Value>>;
    /// `_vwo.userAgent` (parsed user agent from the context or the gateway lookup).
    fn ua_info(&self) -> Option<&Map<String, Value>>;
    /// `platform_variables.web_testing_campaigns`; `None` when absent or null.
    fn web_testing_campaigns(&self) -> Option<&Value>;
    /// The key of the feature whose numeric id is `id`, if the settings have one.
    fn feature_key_for_id(&self, id: i64) -> Option<String>;
    /// Whether storage holds a non-empty record for `feature_key` and this user.
    fn has_stored_record(&mut self, feature_key: &str) -> bool;
    /// `inlist(listId)`: whether `attribute` is in the list (gateway `/check-attribute`).
    fn in_list(&mut self, attribute: &str, list_id: &str) -> bool;
    /// Whether messages at `level` are wanted (so that they are only formatted when needed).
    fn log_enabled(&self, level: LogLevel) -> bool;
    /// A log line.
    fn log(&mut self, level: LogLevel, message: &str);
    /// An error the official SDK reports with `error_log` (logged at ERROR and sent as a
    /// debug event): `template` is the message key, `message` the formatted text.
    fn error(&mut self, template: &'static str, message: String);
}

/// Evaluates a compiled segment for `props`.
pub fn evaluate(_segment: &Segment, _props: &Props<'_>, _env: &mut dyn SegmentEnv) -> bool {
    false
}
