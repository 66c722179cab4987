//! The usage-statistics block (`vwoMeta`, §17): which SDK features a client uses. It rides
//! on impressions until the first single event is delivered, and is the body of the
//! usage-stats event.

use serde_json::{Map, Value};

/// The option facts `vwoMeta` reports.
#[derive(Debug, Clone, Default)]
pub struct UsageFacts {
    /// `account_id` option as given.
    pub account_id: Value,
    /// `sdk_key` option.
    pub sdk_key: String,
    /// An integrations callback is configured.
    pub integrations: bool,
    /// Event batching is configured.
    pub batching: bool,
    /// A gateway service is configured.
    pub gateway: bool,
    /// The logger has custom transports.
    pub custom_transport: bool,
    /// A storage connector is configured.
    pub storage: bool,
    /// The configured log level number, when a level is configured.
    pub log_level: Option<u8>,
    /// A poll interval option is configured.
    pub poll_interval: bool,
    /// `_vwo_meta.ea` is set.
    pub early_access: bool,
    /// Threading is enabled (or not configured).
    pub threading: bool,
    /// `threading.max_workers`, when given (and threading is enabled).
    pub max_workers: Option<Value>,
}

/// The runtime this engine reports as `lv` (the official Python SDK reports `sys.version`).
pub fn runtime_version() -> String {
    format!("rustc {}", env!("VWO_RUSTC_VERSION"))
}

/// Builds the `vwoMeta` map in the official key order.
pub fn usage_meta(f: &UsageFacts) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("a".into(), f.account_id.clone());
    m.insert("env".into(), Value::from(f.sdk_key.as_str()));
    let flag = |m: &mut Map<String, Value>, on: bool, k: &str| {
        if on {
            m.insert(k.into(), Value::from(1));
        }
    };
    flag(&mut m, f.integrations, "ig");
    flag(&mut m, f.batching, "eb");
    flag(&mut m, f.gateway, "gs");
    flag(&mut m, f.custom_transport, "cl");
    flag(&mut m, f.storage, "ss");
    if let Some(l) = f.log_level {
        m.insert("ll".into(), Value::from(l));
    }
    flag(&mut m, f.poll_interval, "pi");
    flag(&mut m, f.early_access, "_ea");
    m.insert("lv".into(), Value::from(runtime_version()));
    if f.threading {
        m.insert("th".into(), Value::from(1));
        if let Some(w) = f.max_workers.as_ref().filter(|w| crate::core::python::truthy(w)) {
            m.insert("th_mps".into(), w.clone());
        }
    }
    m
}
