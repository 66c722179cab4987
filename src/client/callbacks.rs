//! The callbacks a client calls: storage connector, log transport, integrations and flush.
//! Which thread runs each is documented on each trait (README.md has the summary).

use serde_json::{Map, Value};

use crate::core::LogLevel;

/// A storage connector (§13): persists decisions so users keep their variation.
///
/// Called on the thread that calls `get_flag` (reads and writes). Errors are tolerated: a
/// failed `get` is logged and treated as "no record", a failed `set` is logged.
pub trait StorageConnector: Send + Sync {
    /// The record stored for `key` (a feature key, or `_vwo_meta_meg_{groupId}`) and user.
    /// `Ok(None)` when there is none. A record that is not a JSON object fails the call, as in
    /// the official SDK.
    fn get(&self, key: &str, user_id: &str) -> Result<Option<Value>, String>;
    /// Stores `record` (it has `featureKey` and `userId` and the decision fields).
    fn set(&self, record: &Map<String, Value>) -> Result<(), String>;
}

/// A log destination. Called on whichever thread logs: API callers for decisions, worker
/// threads for network results. Must not block for long.
pub trait LogSink: Send + Sync {
    /// One message (raw text, no prefix or timestamp).
    fn log(&self, level: LogLevel, message: &str);
}

/// The integrations callback: receives each flag decision and tracked event (§15).
/// Called synchronously on the API caller's thread, after the decision is made.
pub type IntegrationCallback = std::sync::Arc<dyn Fn(&Map<String, Value>) + Send + Sync>;

/// Batch outcome callback `(error, events)`: `error` is `None` when the batch was delivered.
/// Also receives events that had to be dropped (queue full, retries exhausted, client
/// closed), with the reason. Called on a worker thread (or the caller's thread when
/// threading is disabled).
pub type FlushCallback = std::sync::Arc<dyn Fn(Option<&str>, &[Value]) + Send + Sync>;
