//! The interface through which an evaluation reaches the outside world. The core never does
//! I/O itself: the storage connector, the gateway and log output are behind this trait, and
//! everything else an evaluation causes comes back as [`super::Effect`]s.

use serde_json::{Map, Value};

use super::context::GatewayData;
use crate::core::LogLevel;

/// The answer of a storage connector's `get`.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageRead {
    /// No record (`None`).
    Missing,
    /// A record.
    Found(Map<String, Value>),
    /// The connector raised: logged, and the call continues as if there were no record.
    Failed(String),
    /// The connector returned something that is not a record (not an object): the official
    /// SDK fails the whole call, and so does this one.
    NotAnObject(String),
}

/// What an evaluation may ask the caller for.
pub trait DecisionEnv {
    /// Reads the stored record for `key` (a feature key or `_vwo_meta_meg_{groupId}`) and
    /// `user_id`. Only called when evaluation options say storage is configured.
    fn storage_get(&mut self, key: &str, user_id: &str) -> StorageRead;

    /// Gateway `/get-user-details` lookup for user-agent and location segments. Only called
    /// when options say a gateway is configured, a segment needs the data and the context
    /// does not carry it. `Err` is logged and evaluation goes on without the data.
    fn user_details(&mut self, _user_agent: Option<&str>, _ip_address: Option<&str>) -> Result<GatewayData, String> {
        Err("no gateway".into())
    }

    /// Gateway `/check-attribute`: whether `attribute` is in list `list_id` (`inlist`).
    fn in_list(&mut self, _attribute: &str, _list_id: &str) -> bool {
        false
    }

    /// Whether log messages at `level` are wanted.
    fn log_enabled(&self, _level: LogLevel) -> bool {
        false
    }

    /// A log message.
    fn log(&mut self, _level: LogLevel, _message: &str) {}
}

/// An environment with no storage, no gateway and no logging.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEnv;

impl DecisionEnv for NoEnv {
    fn storage_get(&mut self, _key: &str, _user_id: &str) -> StorageRead {
        StorageRead::Missing
    }
}

/// Options of one evaluation: which collaborators are configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions {
    /// A storage connector is configured (reads and writes happen).
    pub storage: bool,
    /// An integrations callback is configured (its payload is built).
    pub integrations: bool,
    /// A gateway service is configured: impressions are sent one by one, gateway lookups
    /// are made.
    pub gateway: bool,
    /// Record a trace of the evaluation.
    pub trace: bool,
    /// Reproduce the official Python SDK exactly, including the two decision bugs
    /// decisions.md fixes (D1 booleans stringify as `"True"`/`"False"`; D2 `inlist` never
    /// matches). For users who must get byte-identical decisions to a Python service.
    pub python_compat: bool,
}
