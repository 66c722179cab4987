//! Replays a cases file through the decision core and records results in the kit's format.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::normalize::Normalizer;
use crate::core::decide::{self, identity, DecisionEnv, Effect, EvalOptions, StorageRead, UserContext};
use crate::core::python;
use crate::core::settings::Snapshot;
use crate::events::payload::{batch_body, EventIdentity, Stamp, Visitor};
use crate::events::usage_stats::{usage_meta, UsageFacts};

/// An in-memory storage connector that logs every read and write, like the kit's.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    data: HashMap<(String, String), Map<String, Value>>,
    order: Vec<(String, String)>,
    /// Reads since the last [`MemoryStorage::take_log`]: `{key, user_id, found}`.
    pub reads: Vec<Value>,
    /// Writes since the last take.
    pub writes: Vec<Value>,
}

impl MemoryStorage {
    /// Stores a record under its `featureKey` and `userId`.
    pub fn set(&mut self, rec: &Map<String, Value>) {
        let key = python::str_of(rec.get("featureKey").unwrap_or(&Value::Null)).into_owned();
        let user = python::str_of(rec.get("userId").unwrap_or(&Value::Null)).into_owned();
        self.writes.push(Value::Object(rec.clone()));
        let k = (key, user);
        if !self.data.contains_key(&k) {
            self.order.push(k.clone());
        }
        self.data.insert(k, rec.clone());
    }

    /// Takes the read and write logs.
    pub fn take_log(&mut self) -> (Vec<Value>, Vec<Value>) {
        (std::mem::take(&mut self.reads), std::mem::take(&mut self.writes))
    }

    /// All records, sorted by key and user as the kit dumps them.
    pub fn dump(&self) -> Vec<Value> {
        let mut keys: Vec<&(String, String)> = self.order.iter().collect();
        keys.sort();
        keys.iter()
            .map(|k| json!({"key": k.0, "user_id": k.1, "value": Value::Object(self.data[*k].clone())}))
            .collect()
    }
}

impl DecisionEnv for MemoryStorage {
    fn storage_get(&mut self, key: &str, user_id: &str) -> StorageRead {
        let found = self.data.get(&(key.to_string(), user_id.to_string())).cloned();
        self.reads
            .push(json!({"key": key, "user_id": user_id, "found": found.is_some()}));
        match found {
            Some(m) => StorageRead::Found(m),
            None => StorageRead::Missing,
        }
    }
}

/// The visitor UUID the official SDK gives a context (§7.2), or the error it raises.
pub fn context_uuid(s: &Snapshot, ctx: &UserContext, options_account: &str) -> Result<Option<String>, String> {
    if s.is_web_connectivity_enabled {
        if identity::is_web_uuid(&ctx.id) {
            return Ok(Some(ctx.id.clone()));
        }
        if ctx.use_id_for_web {
            return Err("UUID passed in context is not a valid UUID".into());
        }
    }
    Ok(identity::visitor_uuid(&ctx.id, options_account))
}

/// Options of a cases file that shape what is recorded.
struct CaseOptions {
    storage: bool,
    integrations: bool,
    batching: bool,
}

/// Replays `cases` against compiled settings `s` through the decision core. Returns the
/// results document (already normalised) with `init`, `calls` and, with storage,
/// `final_storage`.
pub fn replay_core(s: &Snapshot, cases: &Value) -> Value {
    let opts = cases.get("options").cloned().unwrap_or(json!({}));
    let copt = CaseOptions {
        storage: opts.get("storage").is_some_and(python::truthy),
        integrations: opts.get("integrations").map(python::truthy).unwrap_or(true),
        batching: opts.get("batch_event_data").is_some_and(|v| !v.is_null()),
    };
    let sdk_key = cases
        .get("sdk_key")
        .and_then(Value::as_str)
        .unwrap_or(&s.sdk_key)
        .to_string();
    let account = cases.get("account_id").cloned().unwrap_or_else(|| s.account_id.clone());
    let ident = EventIdentity::new(account.clone(), &sdk_key);
    let facts = UsageFacts {
        account_id: account.clone(),
        sdk_key: sdk_key.clone(),
        integrations: copt.integrations,
        batching: copt.batching,
        storage: copt.storage,
        threading: false,
        ..Default::default()
    };
    let mut vwo_meta = if opts.get("is_usage_stats_disabled").is_some_and(python::truthy) {
        Map::new()
    } else {
        usage_meta(&facts)
    };
    let norm = Normalizer::around_now(3600);
    let mut storage = MemoryStorage::default();
    let python_compat = opts.get("python_compat").is_some_and(python::truthy);
    let eval_opts = EvalOptions {
        storage: copt.storage,
        integrations: copt.integrations,
        gateway: false,
        trace: false,
        python_compat,
    };

    let mut calls_out = Vec::new();
    let empty = Vec::new();
    for (i, call) in cases
        .get("calls")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let op = call.get("op").and_then(Value::as_str).unwrap_or("");
        let mut rec = Map::new();
        rec.insert("i".into(), json!(i));
        rec.insert("op".into(), json!(op));
        let ctx_json = call.get("context");
        if let Some(id) = ctx_json.and_then(|c| c.get("id")) {
            rec.insert("user_id".into(), id.clone());
        }
        let mut requests = Vec::new();
        let mut decision_payload = Value::Null;
        match op {
            "get_flag" => {
                let fk = call.get("feature_key").and_then(Value::as_str).unwrap_or("");
                rec.insert("feature_key".into(), json!(fk));
                let stamp = Stamp::now();
                let parsed = ctx_json
                    .ok_or_else(|| "no context".to_string())
                    .and_then(|c| UserContext::from_json(c).map_err(|e| e.0));
                let result = match parsed {
                    Err(_) => {
                        let sid = ctx_json
                            .and_then(|c| c.get("session_id"))
                            .cloned()
                            .unwrap_or(json!(stamp.now_s()));
                        json!({"is_enabled": false, "variables": [], "uuid": null, "session_id": sid})
                    }
                    Ok(ctx) => {
                        let session_id = ctx.session_id.unwrap_or(stamp.now_s());
                        match context_uuid(s, &ctx, &ident.account_id_str) {
                            Err(_) => {
                                json!({"is_enabled": false, "variables": [], "uuid": null, "session_id": session_id})
                            }
                            Ok(uuid) => {
                                let d = decide::get_flag(s, fk, &ctx, &mut storage, eval_opts);
                                let visitor = Visitor::new(&ctx, uuid.clone(), session_id);
                                for e in &d.effects {
                                    match e {
                                        Effect::StorageWrite(m) => storage.set(m),
                                        Effect::Integration(m) => decision_payload = Value::Object(m.clone()),
                                        // The usage-tracking event is a single-event POST, whose
                                        // success clears the usage statistics.
                                        Effect::UsageTracking if !copt.batching => vwo_meta.clear(),
                                        Effect::Impressions(list) if !copt.batching => {
                                            let meta = (!vwo_meta.is_empty()).then_some(&vwo_meta);
                                            let evs = list
                                                .iter()
                                                .map(|imp| ident.impression(imp, &visitor, meta, stamp))
                                                .collect();
                                            requests.push(batch_request(&ident, s, batch_body(evs)));
                                        }
                                        _ => {}
                                    }
                                }
                                let vars: Vec<Value> = d.variables.iter().map(|v| v.to_json()).collect();
                                json!({"is_enabled": d.enabled, "variables": vars, "uuid": uuid, "session_id": session_id})
                            }
                        }
                    }
                };
                rec.insert("result".into(), norm.tree(&rename_session(result)));
            }
            "track_event" => {
                let name = call.get("event_name").and_then(Value::as_str).unwrap_or("");
                rec.insert("event_name".into(), json!(name));
                let ok_ctx = ctx_json.map(UserContext::from_json).is_some_and(|c| c.is_ok());
                let props_ok = call.get("event_properties").is_none_or(|p| p.is_object());
                let ok = ok_ctx && props_ok && s.is_known_event(name);
                if ok && !copt.batching {
                    vwo_meta.clear();
                }
                if ok {
                    decision_payload = json!({"event_name": name, "api": "trackEvent"});
                }
                let mut r = Map::new();
                r.insert(name.to_string(), json!(ok));
                rec.insert("result".into(), Value::Object(r));
            }
            "set_attribute" => {
                let ok_ctx = ctx_json.map(UserContext::from_json).is_some_and(|c| c.is_ok());
                if ok_ctx && !copt.batching {
                    vwo_meta.clear();
                }
                rec.insert("result".into(), Value::Null);
            }
            "flush_events" => {
                rec.insert("result".into(), json!(false));
            }
            "get_uuid" => {
                let uid = call.get("user_id").and_then(Value::as_str).unwrap_or("");
                let acc = call
                    .get("account_id")
                    .map(|a| python::str_of(a).into_owned())
                    .unwrap_or(ident.account_id_str.clone());
                rec.insert("result".into(), json!(identity::visitor_uuid(uid, &acc)));
            }
            other => {
                rec.insert("exception".into(), json!(format!("ValueError: unknown op '{other}'")));
                rec.insert("result".into(), Value::Null);
            }
        }
        if copt.integrations {
            rec.insert("decision".into(), decision_payload);
        }
        if copt.storage {
            let (reads, writes) = storage.take_log();
            rec.insert("storage".into(), json!({"reads": reads, "writes": writes}));
        }
        rec.insert(
            "requests".into(),
            Value::Array(requests.iter().map(|r| norm.tree(r)).collect()),
        );
        calls_out.push(Value::Object(rec));
    }

    let mut doc = Map::new();
    doc.insert("oracle_format".into(), json!(1));
    doc.insert(
        "meta".into(),
        json!({"sdk": ident.sdk_name, "sdk_version": ident.sdk_version, "mode": "core replay (no network)"}),
    );
    doc.insert("calls".into(), Value::Array(calls_out));
    if copt.storage {
        doc.insert("final_storage".into(), Value::Array(storage.dump()));
    }
    Value::Object(doc)
}

/// The result's `session_id` is normalised like a `sessionId`.
fn rename_session(mut result: Value) -> Value {
    if let Some(m) = result.as_object_mut() {
        if let Some(v) = m.remove("session_id") {
            let n = Normalizer::around_now(3600);
            m.insert("session_id".into(), n.value("sessionId", &v, false));
        }
    }
    result
}

fn batch_request(ident: &EventIdentity, s: &Snapshot, body: Value) -> Value {
    let query = ident.batch_query(&s.account_id_str, &s.sdk_key);
    let mut q = Map::new();
    for (k, v) in query {
        q.insert(k, Value::from(v));
    }
    let path = match &s.collection_prefix {
        Some(p) => format!("/{p}/server-side/batch-events-v2"),
        None => "/server-side/batch-events-v2".to_string(),
    };
    json!({
        "method": "POST",
        "path": path,
        "query": q,
        "headers": {"Authorization": s.sdk_key, "Content-Type": "application/json"},
        "body": body,
    })
}
