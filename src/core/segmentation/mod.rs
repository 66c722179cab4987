//! The VWO pre-segmentation DSL: compiled once per settings install, evaluated per user.
//!
//! Semantics follow the official Python SDK 1.65.0 (vwo-fme-behaviour.md §10), with the two
//! deliberate deviations of decisions.md: booleans stringify as `"true"`/`"false"` (D1) and
//! `inlist(...)` asks the caller (gateway `/check-attribute`) instead of never matching (D2).
//!
//! Everything that depends only on the DSL is done once in [`Segment::compile`]: operands are
//! classified and coerced, regexes compiled (Python `re` syntax, see `py_regex`), the `and`
//! location scan and the `or` user-agent/`featureId` scan are resolved. [`evaluate`] then only
//! reads the user's values; for the common operators it does not allocate.
//!
//! Malformed DSL (a non-object node, `{}`, an `and` over a number, a non-string operand, ...)
//! makes the official SDK raise a Python exception, which aborts its whole `get_flag` call.
//! [`try_evaluate`] reports that as [`EvalError::Exception`]; [`evaluate`] maps it to `false`.
//!
//! Known differences from the official SDK, all on inputs no real settings contain:
//! * nesting deeper than [`MAX_DEPTH`] levels evaluates to `false` ([`EvalError::TooDeep`])
//!   instead of working up to Python's recursion limit (about 1000 levels);
//! * `\N{NAME}` escapes in regex operands never match; a pattern fancy-regex cannot run, or
//!   that exceeds its backtracking limit, does not match;
//! * a `web_testing_campaigns` JSON string with `NaN`/`Infinity` literals is rejected;
//! * character classes follow CPython 3.11's Unicode 14 tables for digits and whitespace, but
//!   letters (`\w`, case folding, `lower()`) follow Rust's newer Unicode tables, so characters
//!   assigned after Unicode 14 may classify differently;
//! * the text of `USER_AGENT_VALIDATION_ERROR` for an invalid wildcard pattern lacks Python's
//!   "at position N" suffix.

mod coerce;
mod compile;
mod eval;
mod location;
mod messages;
mod node;
mod operand;
mod py_regex;
mod user_agent;
mod version;
mod web_testing;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::core::LogLevel;
use node::Node;

/// Deepest nesting of DSL objects (`and`/`or`/`not` levels, the root counting as 1) that is
/// compiled and evaluated. A deeper tree evaluates to `false` ([`EvalError::TooDeep`]) and is
/// not walked past this depth, so hostile input cannot exhaust the stack: compiling and
/// evaluating a tree of this depth needs well under 1 MiB of stack even in debug builds.
/// Real segments nest a handful of levels.
pub const MAX_DEPTH: usize = 256;

/// A compiled DSL tree (operands classified and regexes compiled ahead of evaluation).
#[derive(Debug, Clone)]
pub struct Segment {
    root: Node,
    too_deep: bool,
    has_campaign_variation: bool,
    empty: bool,
}

impl Segment {
    /// Compiles a DSL node. Never fails: malformed parts compile to nodes that evaluate the
    /// way the official SDK evaluates them (`false`, or the exception it raises, which
    /// [`try_evaluate`] reports and [`evaluate`] turns into `false`).
    pub fn compile(dsl: &Value) -> Segment {
        let mut compiler = compile::Compiler::new();
        let root = compiler.node(dsl, 1);
        Segment {
            root,
            too_deep: compiler.too_deep,
            has_campaign_variation: compile::contains_campaign_variation(dsl),
            empty: dsl.as_object().is_some_and(Map::is_empty),
        }
    }

    /// Whether the DSL contains a `campaignVariation` node anywhere (then the whole segment is
    /// false for a user without `platform_variables.web_testing_campaigns`).
    pub fn contains_campaign_variation(&self) -> bool {
        self.has_campaign_variation
    }

    /// Whether the DSL is the empty object `{}`. The official SDK's callers treat that as "no
    /// segmentation" (pass) before evaluating; evaluating it raises (`IndexError`).
    pub fn is_empty(&self) -> bool {
        self.empty
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
    /// Whether to drop the deliberate deviations of decisions.md and behave exactly like the
    /// official Python SDK: booleans compare as `"True"`/`"False"` (not D1's `"true"`/`"false"`)
    /// and `inlist(...)` reports `INVALID_ATTRIBUTE_LIST_FORMAT` and fails without asking
    /// [`in_list`](SegmentEnv::in_list) (not D2). Off by default; for replaying the Python
    /// SDK's own decisions (conformance against the Python oracle).
    fn python_compat(&self) -> bool {
        false
    }
}

/// Why a segment has no boolean result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// The official SDK raises this Python exception (`"TypeError"`, `"ValueError"`, ...) while
    /// evaluating; in its `get_flag` that ends the call with a disabled flag.
    Exception(&'static str),
    /// The DSL nests deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Evaluates a compiled segment for `props` (the official SDK's `validate_segmentation`);
/// `false` where [`try_evaluate`] fails.
pub fn evaluate(segment: &Segment, props: &Props<'_>, env: &mut dyn SegmentEnv) -> bool {
    try_evaluate(segment, props, env).unwrap_or(false)
}

/// Evaluates a compiled segment for `props`, telling apart the cases where the official SDK
/// raises an exception instead of answering.
pub fn try_evaluate(segment: &Segment, props: &Props<'_>, env: &mut dyn SegmentEnv) -> Result<bool, EvalError> {
    if segment.too_deep {
        return Err(EvalError::TooDeep);
    }
    if segment.has_campaign_variation && env.web_testing_campaigns().is_none() {
        return Ok(false);
    }
    eval::Evaluator { props, env }
        .node(&segment.root)
        .map_err(EvalError::Exception)
}
