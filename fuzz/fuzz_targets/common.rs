//! Helpers shared by the fuzz targets (included with `#[path]`, not a crate of its own).
#![allow(dead_code)]

use serde_json::{Map, Value};
use vwo_fme::core::decide::{DecisionEnv, StorageRead};
use vwo_fme::core::LogLevel;

/// A decision environment with a configurable storage answer and every log level enabled
/// (so that log formatting is exercised too; the text is dropped).
pub struct Env {
    /// What every storage read answers.
    pub storage: StorageRead,
    /// Answer of `inlist(...)` gateway checks.
    pub in_list: bool,
    /// Messages formatted so far (their total length, so the optimiser keeps the formatting).
    pub logged: usize,
}

impl Env {
    pub fn new(storage: StorageRead) -> Env {
        Env {
            storage,
            in_list: false,
            logged: 0,
        }
    }
}

impl DecisionEnv for Env {
    fn storage_get(&mut self, _key: &str, _user_id: &str) -> StorageRead {
        self.storage.clone()
    }
    fn in_list(&mut self, _attribute: &str, _list_id: &str) -> bool {
        self.in_list
    }
    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }
    fn log(&mut self, _level: LogLevel, message: &str) {
        self.logged += message.len();
    }
}

/// A storage answer derived from a JSON value: an object is a record, a string a failed
/// read, `null`/absent no record, anything else a non-object answer.
pub fn storage_from(v: Option<&Value>) -> StorageRead {
    match v {
        None | Some(Value::Null) => StorageRead::Missing,
        Some(Value::Object(m)) => StorageRead::Found(m.clone()),
        Some(Value::String(s)) => StorageRead::Failed(s.clone()),
        Some(other) => StorageRead::NotAnObject(other.to_string()),
    }
}

/// An empty JSON object.
pub fn empty() -> Map<String, Value> {
    Map::new()
}
