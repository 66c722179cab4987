//! The result of `get_flag`, as the official SDKs' `GetFlag` object.

use std::sync::Arc;

use serde_json::Value;

use crate::core::decide::Reason;
use crate::core::settings::Variable;

/// A flag decision for one user.
#[derive(Debug, Clone)]
pub struct Flag {
    /// Whether the flag is on.
    pub enabled: bool,
    /// Variables of the served variation (empty when disabled).
    pub variables: Arc<Vec<Variable>>,
    /// Visitor UUID used (`None` when the call failed before deriving it).
    pub uuid: Option<String>,
    /// Session id used (unix seconds).
    pub session_id: i64,
    /// How the decision was reached.
    pub reason: Reason,
    /// What went wrong, when the flag is disabled because of an error.
    pub error: Option<String>,
}

impl Flag {
    /// A disabled flag with no variables.
    pub fn disabled(uuid: Option<String>, session_id: i64, reason: Reason, error: Option<String>) -> Flag {
        Flag {
            enabled: false,
            variables: Arc::new(Vec::new()),
            uuid,
            session_id,
            reason,
            error,
        }
    }

    /// `is_enabled()`.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The raw value of the variable `key`, if the served variation has it.
    pub fn variable(&self, key: &str) -> Option<&Value> {
        self.variables.iter().find(|v| v.key == key).map(|v| &v.value)
    }

    /// `get_variables()`: `[{"id", "value", "type", "key"}, ...]`.
    pub fn variables_json(&self) -> Value {
        Value::Array(self.variables.iter().map(Variable::to_json).collect())
    }
}
