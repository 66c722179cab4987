//! The result of `get_flag`, as the official SDKs' `GetFlag` object.

use std::sync::Arc;

use once_cell::sync::OnceCell;
use serde_json::Value;
use uuid::Uuid;

use crate::core::decide::{identity, Reason};
use crate::core::settings::{Variable, Variables};

/// The visitor UUID of a flag: known, or derived from the user id on first request.
#[derive(Debug, Clone)]
pub enum FlagUuid {
    /// Known (a web UUID), or `None` when the call failed before deriving it.
    Ready(Option<String>),
    /// Derived from `id` under the account namespace when asked for.
    Lazy {
        /// Account namespace.
        namespace: Uuid,
        /// User id.
        id: String,
        /// The derived value, once computed.
        cell: OnceCell<Option<String>>,
    },
}

impl FlagUuid {
    /// A UUID derived from `id` on first use.
    pub fn derive(namespace: Uuid, id: &str) -> FlagUuid {
        FlagUuid::Lazy {
            namespace,
            id: id.to_string(),
            cell: OnceCell::new(),
        }
    }

    fn get(&self) -> Option<&str> {
        match self {
            FlagUuid::Ready(u) => u.as_deref(),
            FlagUuid::Lazy { namespace, id, cell } => cell
                .get_or_init(|| (!id.is_empty()).then(|| identity::visitor_uuid_in(namespace, id)))
                .as_deref(),
        }
    }
}

/// A flag decision for one user.
#[derive(Debug, Clone)]
pub struct Flag {
    /// Whether the flag is on.
    pub enabled: bool,
    /// Variables of the served variation (empty when disabled).
    pub variables: Arc<Variables>,
    /// Session id used (unix seconds).
    pub session_id: i64,
    /// How the decision was reached.
    pub reason: Reason,
    /// What went wrong, when the flag is disabled because of an error.
    pub error: Option<String>,
    uuid: FlagUuid,
}

impl Flag {
    /// A flag.
    pub fn new(
        enabled: bool,
        variables: Arc<Variables>,
        uuid: FlagUuid,
        session_id: i64,
        reason: Reason,
        error: Option<String>,
    ) -> Flag {
        Flag {
            enabled,
            variables,
            session_id,
            reason,
            error,
            uuid,
        }
    }

    /// A disabled flag with no variables.
    pub fn disabled(uuid: Option<String>, session_id: i64, reason: Reason, error: Option<String>) -> Flag {
        Flag::new(
            false,
            Arc::new(Variables::default()),
            FlagUuid::Ready(uuid),
            session_id,
            reason,
            error,
        )
    }

    /// `is_enabled()`.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// `get_uuid()`: the visitor UUID used (`None` when the call failed before deriving it).
    pub fn uuid(&self) -> Option<&str> {
        self.uuid.get()
    }

    /// The raw value of the variable `key`, if the served variation has it.
    pub fn variable(&self, key: &str) -> Option<&Value> {
        self.variables.iter().find(|v| v.key == key).map(|v| &v.value)
    }

    /// `get_variables()` as JSON text (serialised once per settings install).
    pub fn variables_json_text(&self) -> &str {
        self.variables.json_text()
    }

    /// `get_variables()`: `[{"id", "value", "type", "key"}, ...]`.
    pub fn variables_json(&self) -> Value {
        Value::Array(self.variables.iter().map(Variable::to_json).collect())
    }
}
