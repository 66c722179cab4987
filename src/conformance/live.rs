//! Replays a cases file through the full client (threading disabled, `proxy_url` pointing
//! at a server), so that every request a call causes has been sent when the call returns and
//! can be attributed to it, as the conformance kit's oracle does for the official SDK.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::mock_server::Recorded;
use super::normalize::Normalizer;
use super::replay::MemoryStorage;
use crate::client::{Callbacks, Client, StorageConnector};
use crate::core::decide::{identity, UserContext};
use crate::core::python;

/// A storage connector over [`MemoryStorage`] that logs reads and writes.
pub struct RecordingStorage(pub Mutex<MemoryStorage>);

impl StorageConnector for RecordingStorage {
    fn get(&self, key: &str, user_id: &str) -> Result<Option<Value>, String> {
        use crate::core::decide::{DecisionEnv, StorageRead};
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match m.storage_get(key, user_id) {
            StorageRead::Found(rec) => Some(Value::Object(rec)),
            _ => None,
        })
    }

    fn set(&self, record: &Map<String, Value>) -> Result<(), String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).set(record);
        Ok(())
    }
}

/// Headers the HTTP library adds on its own; they are not part of the comparison.
const LIBRARY_HEADERS: [&str; 6] = [
    "host",
    "accept-encoding",
    "accept",
    "connection",
    "content-length",
    "user-agent",
];

/// A recorded request in the kit's normalised form.
pub fn normalize_request(r: &Recorded, norm: &Normalizer) -> Value {
    let mut headers = Map::new();
    for (k, v) in &r.headers {
        // Header names are case-insensitive (and HTTP/2-style libraries lower-case them).
        let k = k.to_ascii_lowercase();
        if !LIBRARY_HEADERS.contains(&k.as_str()) {
            headers.insert(k, Value::from(v.as_str()));
        }
    }
    let body = match r.json() {
        Some(b) => norm.tree(&b),
        None if r.body.is_empty() => Value::Null,
        None => json!({"<non-json-body>": String::from_utf8_lossy(&r.body)}),
    };
    json!({"method": r.method, "path": r.path, "query": norm.query(&r.query), "headers": headers, "body": body})
}

/// Replays `cases` through a client whose `proxy_url` is `proxy_url`; `drain` returns the
/// requests the server received since it was last called (an empty list when the server
/// records them elsewhere). Returns the results document.
pub fn replay_live(cases: &Value, proxy_url: &str, drain: &mut dyn FnMut() -> Vec<Recorded>) -> Result<Value, String> {
    let norm = Normalizer::around_now(3600);
    let copt = cases.get("options").cloned().unwrap_or(json!({}));
    let mut options = Map::new();
    let settings_ids = (cases.get("sdk_key").cloned(), cases.get("account_id").cloned());
    options.insert("proxy_url".into(), Value::from(proxy_url));
    options.insert("threading".into(), json!({"enabled": false}));
    let storage = Arc::new(RecordingStorage(Mutex::new(MemoryStorage::default())));
    let decisions: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
    let flushes: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
    let mut callbacks = Callbacks::default();
    let use_storage = copt.get("storage").is_some_and(python::truthy);
    if use_storage {
        callbacks.storage = Some(storage.clone());
    }
    let use_integrations = copt.get("integrations").map(python::truthy).unwrap_or(true);
    if use_integrations {
        let d = Arc::clone(&decisions);
        callbacks.integrations = Some(Arc::new(move |p: &Map<String, Value>| {
            d.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Value::Object(p.clone()))
        }));
    }
    let batching = copt.get("batch_event_data").is_some_and(|v| !v.is_null());
    if batching {
        let f = Arc::clone(&flushes);
        callbacks.flush = Some(Arc::new(move |err: Option<&str>, events: &[Value]| {
            f.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(json!({"error": err, "events": events.len()}))
        }));
    }
    if let Value::Object(m) = &copt {
        for (k, v) in m {
            if !matches!(k.as_str(), "storage" | "integrations" | "brand") {
                options.insert(k.clone(), v.clone());
            }
        }
    }

    // The client needs the ids before the settings exist: the cases name them, else they are
    // read from the settings the server serves, as the kit does.
    let (sdk_key, account_id) = match settings_ids {
        (Some(k), Some(a)) => (k, a),
        (k, a) => {
            let fetched = fetch_settings_direct(proxy_url)?;
            (
                k.unwrap_or_else(|| fetched["sdkKey"].clone()),
                a.unwrap_or_else(|| fetched["accountId"].clone()),
            )
        }
    };
    drain();
    options.insert("sdk_key".into(), sdk_key);
    options.insert("account_id".into(), account_id.clone());

    let client = Client::from_json(&Value::Object(options), callbacks);
    let init_requests: Vec<Value> = drain().iter().map(|r| normalize_request(r, &norm)).collect();
    let mut doc = Map::new();
    doc.insert("oracle_format".into(), json!(1));
    doc.insert("meta".into(), json!({"sdk": crate::events::payload::SDK_NAME, "sdk_version": crate::events::payload::SDK_VERSION, "mode": "live replay through the client"}));
    let mut init = Map::new();
    init.insert("ok".into(), json!(client.is_ok()));
    init.insert("requests".into(), Value::Array(init_requests));
    if use_storage {
        let (r, w) = storage.0.lock().unwrap_or_else(|p| p.into_inner()).take_log();
        init.insert("storage".into(), json!({"reads": r, "writes": w}));
    }
    doc.insert("init".into(), Value::Object(init));
    let client = client.map_err(|e| e.to_string())?;
    let account_str = python::str_of(&account_id).into_owned();

    let mut calls_out = Vec::new();
    let empty = Vec::new();
    for (i, call) in cases
        .get("calls")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        decisions.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let op = call.get("op").and_then(Value::as_str).unwrap_or("");
        let mut rec = Map::new();
        rec.insert("i".into(), json!(i));
        rec.insert("op".into(), json!(op));
        let ctx_json = call.get("context").cloned().unwrap_or(Value::Null);
        if let Some(id) = ctx_json.get("id") {
            rec.insert("user_id".into(), id.clone());
        }
        let ctx = UserContext::from_json(&ctx_json);
        let result = match op {
            "get_flag" => {
                let fk = call.get("feature_key").and_then(Value::as_str).unwrap_or("");
                rec.insert("feature_key".into(), json!(fk));
                let f = client.get_flag_json(fk, &ctx_json);
                json!({"is_enabled": f.enabled, "variables": f.variables_json(), "uuid": f.uuid(),
                       "session_id": norm.value("sessionId", &json!(f.session_id), false)})
            }
            "track_event" => {
                let name = call.get("event_name").and_then(Value::as_str).unwrap_or("");
                rec.insert("event_name".into(), json!(name));
                let ok = match (&ctx, call.get("event_properties")) {
                    (Ok(c), None) => client.track_event(name, c, None),
                    (Ok(c), Some(Value::Object(p))) => client.track_event(name, c, Some(p)),
                    _ => false,
                };
                let mut r = Map::new();
                r.insert(name.to_string(), json!(ok));
                Value::Object(r)
            }
            "set_attribute" => {
                let attrs = match call.get("attributes") {
                    Some(Value::Object(m)) => m.clone(),
                    _ => {
                        let mut m = Map::new();
                        let key = call.get("key").and_then(Value::as_str).unwrap_or("").to_string();
                        m.insert(key, call.get("value").cloned().unwrap_or(Value::Null));
                        m
                    }
                };
                if let Ok(c) = &ctx {
                    let _ = client.set_attribute(&attrs, c);
                }
                Value::Null
            }
            "flush_events" => json!(client.flush_events(Duration::from_secs(30))),
            "get_uuid" => {
                let uid = call.get("user_id").and_then(Value::as_str).unwrap_or("");
                let acc = call
                    .get("account_id")
                    .map(|a| python::str_of(a).into_owned())
                    .unwrap_or(account_str.clone());
                json!(identity::visitor_uuid(uid, &acc))
            }
            other => json!(format!("unknown op {other}")),
        };
        rec.insert("result".into(), result);
        if use_integrations {
            let last = decisions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .last()
                .cloned()
                .unwrap_or(Value::Null);
            rec.insert("decision".into(), last);
        }
        if use_storage {
            let (r, w) = storage.0.lock().unwrap_or_else(|p| p.into_inner()).take_log();
            rec.insert("storage".into(), json!({"reads": r, "writes": w}));
        }
        let reqs: Vec<Value> = drain().iter().map(|r| normalize_request(r, &norm)).collect();
        rec.insert("requests".into(), Value::Array(reqs));
        calls_out.push(Value::Object(rec));
    }
    client.close();
    let late: Vec<Value> = drain().iter().map(|r| normalize_request(r, &norm)).collect();
    doc.insert("calls".into(), Value::Array(calls_out));
    if !late.is_empty() {
        doc.insert("late_requests".into(), Value::Array(late));
    }
    if batching {
        doc.insert(
            "flush_callback_log".into(),
            Value::Array(flushes.lock().unwrap_or_else(|p| p.into_inner()).clone()),
        );
    }
    if use_storage {
        doc.insert(
            "final_storage".into(),
            Value::Array(storage.0.lock().unwrap_or_else(|p| p.into_inner()).dump()),
        );
    }
    Ok(Value::Object(doc))
}

/// Reads the settings a server serves (to learn the account id and SDK key).
fn fetch_settings_direct(base: &str) -> Result<Value, String> {
    use crate::net::http::{Method, Request, Transport, UreqTransport};
    let t = UreqTransport::new(&Default::default())?;
    let r = t.send(&Request {
        method: Method::Get,
        url: format!("{base}/server-side/v2-settings"),
        headers: vec![],
        body: None,
        timeout: Duration::from_secs(10),
    })?;
    serde_json::from_str(&r.body).map_err(|e| format!("settings from {base}: {e}"))
}
