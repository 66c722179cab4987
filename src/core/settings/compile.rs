//! From validated settings JSON to a [`Snapshot`]: parse the models, allocate variation
//! ranges, link rules to campaigns and flag gateway-dependent features (§5.4).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use once_cell::sync::Lazy;
use serde_json::{Map, Value};

use super::model::*;
use super::ranges;
use super::schema::{self, SchemaError};
use crate::core::decide::identity;
use crate::core::python;
use crate::core::segmentation::Segment;

/// Why a settings document cannot be installed.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsError {
    /// Not JSON at all.
    Json(String),
    /// Fails the official SDK's schema (the SDK treats such settings as absent).
    Schema(SchemaError),
    /// Passes the schema, but the official SDK cannot build its model from it (its `init`
    /// returns `None`): e.g. no root `sdkKey`, a feature without `rules`, a non-numeric A/B weight.
    Model(SchemaError),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Json(e) => write!(f, "settings are not valid JSON: {e}"),
            SettingsError::Schema(e) => write!(f, "settings failed schema validation at {e}"),
            SettingsError::Model(e) => write!(f, "settings cannot be used: {e}"),
        }
    }
}

impl std::error::Error for SettingsError {}

/// Parses, validates and compiles settings text.
pub fn compile_str(text: &str) -> Result<Snapshot, SettingsError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SettingsError::Json(e.to_string()))?;
    compile(value)
}

/// Validates and compiles settings JSON.
pub fn compile(raw: Value) -> Result<Snapshot, SettingsError> {
    schema::validate(&raw).map_err(SettingsError::Schema)?;
    schema::validate_model_requirements(&raw).map_err(SettingsError::Model)?;
    build(&raw)
}

/// `v` as compact JSON with every object's keys sorted (Python's `json.dumps(sort_keys=True)`
/// up to whitespace): equal for documents that differ only in key order.
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            leaf => out.push_str(&leaf.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn model_err(path: impl Into<String>, message: impl Into<String>) -> SettingsError {
    SettingsError::Model(SchemaError {
        path: path.into(),
        message: message.into(),
    })
}

fn obj(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn str_field(m: &Map<String, Value>, key: &str) -> String {
    m.get(key).map(|v| python::str_of(v).into_owned()).unwrap_or_default()
}

fn truthy_str(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key)
        .filter(|v| python::truthy(v))
        .map(|v| python::str_of(v).into_owned())
}

fn list<'a>(m: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    // The schema allows `{}` in place of an empty list.
    m.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(*b as i64 as f64),
        _ => None,
    }
}

fn segments_of(v: Option<&Value>, default_empty: bool) -> Segments {
    match v {
        Some(Value::Object(m)) if m.is_empty() => Segments::Empty,
        Some(v @ Value::Object(_)) => Segments::Dsl(Segment::compile(v)),
        Some(other) => Segments::NotObject(Segment::compile(other)),
        None if default_empty => Segments::Empty,
        None => Segments::NotObject(Segment::compile(&Value::Null)),
    }
}

/// Key under which Python's `dict` would file this id: `1`, `1.0` and `True` collide,
/// `"1"` does not.
fn id_key(v: &Value) -> String {
    match v {
        Value::String(s) => format!("s:{s}"),
        Value::Bool(b) => format!("n:{}", *b as i64),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                format!("n:{i}")
            } else if let Some(u) = n.as_u64() {
                format!("n:{u}")
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    format!("n:{}", f as i64)
                } else {
                    format!("f:{}", f.to_bits())
                }
            }
        }
        other => format!("o:{other}"),
    }
}

fn build(raw: &Value) -> Result<Snapshot, SettingsError> {
    let root = obj(raw).ok_or_else(|| model_err("$", "settings must be an object"))?;
    let account_id = root.get("accountId").cloned().unwrap_or(Value::Null);
    let account_id_str = python::str_of(&account_id).into_owned();
    let sdk_key = str_field(root, "sdkKey");

    let mut campaigns = Vec::new();
    for (i, c) in list(root, "campaigns").iter().enumerate() {
        campaigns.push(build_campaign(c, &format!("$.campaigns[{i}]"))?);
    }
    let mut campaign_by_id: HashMap<String, usize> = HashMap::new();
    let mut campaign_by_key: KeyMap<usize> = KeyMap::default();
    for (i, c) in campaigns.iter().enumerate() {
        // Python builds `{id: campaign}`: the last campaign with an id wins.
        campaign_by_id.insert(id_key(&c.id), i);
        campaign_by_key.entry(c.key.clone()).or_insert(i);
    }

    let mut features = Vec::new();
    let mut feature_by_key = KeyMap::default();
    let mut event_names = KeyMap::default();
    for (i, f) in list(root, "features").iter().enumerate() {
        let feature = build_feature(f, i, &campaigns, &campaign_by_id, &mut event_names)?;
        feature_by_key.entry(feature.key.clone()).or_insert(features.len());
        features.push(feature);
    }

    let mut holdouts = Vec::new();
    let mut any_holdout_gateway = false;
    for h in list(root, "holdouts") {
        let mut holdout = build_holdout(h, &mut event_names);
        // The SDK stops flagging holdouts at the first one that needs the gateway.
        if !any_holdout_gateway && holdout.needs_gateway {
            any_holdout_gateway = true;
        } else if any_holdout_gateway {
            holdout.needs_gateway = false;
        }
        holdouts.push(holdout);
    }

    let mut groups = HashMap::new();
    if let Some(g) = root.get("groups").and_then(Value::as_object) {
        for (gid, gv) in g {
            let Some(gm) = gv.as_object() else { continue };
            let strings =
                |k: &str| -> Vec<String> { list(gm, k).iter().map(|v| python::str_of(v).into_owned()).collect() };
            groups.insert(
                gid.clone(),
                Group {
                    campaigns: strings("campaigns"),
                    algorithm: gm.get("et").cloned().unwrap_or(Value::from(1)),
                    priority: strings("p"),
                    weights: gm.get("wt").and_then(Value::as_object).cloned().unwrap_or_default(),
                },
            );
        }
    }
    let mut campaign_groups = HashMap::new();
    if let Some(cg) = root.get("campaignGroups").and_then(Value::as_object) {
        for (k, v) in cg {
            campaign_groups.insert(k.clone(), python::str_of(v).into_owned());
        }
    }

    let collection_prefix = root
        .get("collectionPrefix")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);
    let poll_interval_ms = root.get("pollInterval").and_then(Value::as_u64).filter(|v| *v > 0);
    let sampling = build_sampling(root);

    Ok(Snapshot {
        account_namespace: identity::account_namespace(&account_id_str),
        account_id,
        account_id_str,
        sdk_key,
        features,
        campaigns,
        groups,
        campaign_groups,
        holdouts,
        collection_prefix,
        poll_interval_ms,
        is_web_connectivity_enabled: root.get("isWebConnectivityEnabled").map(python::truthy).unwrap_or(true),
        is_mau: root.get("isMAU").map(python::truthy).unwrap_or(false),
        was_initialized_earlier: root
            .get("sdkMetaInfo")
            .and_then(|m| m.get("wasInitializedEarlier"))
            .map(python::truthy)
            .unwrap_or(false),
        usage_stats_account_id: root.get("usageStatsAccountId").filter(|v| python::truthy(v)).cloned(),
        sampling,
        holdouts_need_gateway: any_holdout_gateway,
        feature_by_key,
        campaign_by_key,
        event_names,
        raw_json: raw.to_string().into(),
        canonical_json: canonical_json(raw).into(),
    })
}

fn build_sampling(root: &Map<String, Value>) -> Sampling {
    let server = |v: Option<&Value>| v.and_then(|x| x.get("server")).cloned();
    let percent = |cat: &str| -> Option<f64> {
        let s = root.get("sampling")?;
        let c = s.get(cat).filter(|v| python::truthy(v))?;
        let p = as_f64(c.get("server")?)?;
        (0.0..=100.0).contains(&p).then_some(p)
    };
    Sampling {
        always_apply: server(root.get("alwaysApplySampling"))
            .map(|v| python::truthy(&v))
            .unwrap_or(false),
        debug_percent: percent("debug"),
        usage_percent: percent("usage"),
    }
}

fn build_campaign(v: &Value, path: &str) -> Result<Campaign, SettingsError> {
    let m = obj(v).ok_or_else(|| model_err(path, "campaign must be an object"))?;
    let kind = CampaignType::parse(m.get("type").and_then(Value::as_str).unwrap_or(""));
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let mut variations = Vec::new();
    for (i, var) in list(m, "variations").iter().enumerate() {
        variations.push(build_variation(var, &format!("{path}.variations[{i}]"))?);
    }
    if kind == CampaignType::Ab || matches!(kind, CampaignType::Other(_)) {
        // Only rollout and personalize campaigns skip range allocation.
        ranges::allocate_ab(&mut variations).map_err(|i| {
            model_err(
                format!("{path}.variations[{i}].weight"),
                "weight must be a number to allocate A/B ranges",
            )
        })?;
    }
    Ok(Campaign {
        id_str: python::str_of(&id).into_owned(),
        id,
        key: str_field(m, "key"),
        name: str_field(m, "name"),
        kind,
        percent_traffic: m.get("percentTraffic").and_then(as_f64).ok_or(()),
        segments: segments_of(m.get("segments"), true),
        segments_need_gateway: segments_need_gateway(m.get("segments")),
        is_forced_variation_enabled: m.get("isForcedVariationEnabled").map(python::truthy).unwrap_or(false),
        is_user_list_enabled: m.get("isUserListEnabled").map(python::truthy).unwrap_or(false),
        salt: truthy_str(m, "salt"),
        variations,
    })
}

fn build_variation(v: &Value, path: &str) -> Result<Variation, SettingsError> {
    let m = obj(v).ok_or_else(|| model_err(path, "variation must be an object"))?;
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let mut variables = Vec::new();
    for var in list(m, "variables") {
        let Some(vm) = var.as_object() else { continue };
        variables.push(Variable {
            id: vm.get("id").cloned().unwrap_or(Value::Null),
            key: str_field(vm, "key"),
            kind: vm.get("type").cloned().unwrap_or(Value::Null),
            value: vm.get("value").cloned().unwrap_or(Value::Null),
        });
    }
    let weight = m.get("weight").map(|w| match w {
        Value::String(s) if s.is_empty() => Some(0.0),
        other => as_f64(other),
    });
    let id_str = python::str_of(&id).into_owned();
    Ok(Variation {
        shown: Arc::from(id_str.as_str()),
        id_str,
        id,
        name: str_field(m, "name"),
        weight: weight.flatten(),
        start: 0,
        end: 0,
        segments: segments_of(m.get("segments"), true),
        segments_need_gateway: segments_need_gateway(m.get("segments")),
        salt: truthy_str(m, "salt"),
        variables: Arc::new(Variables::new(variables)),
    })
}

fn build_feature(
    v: &Value,
    index: usize,
    campaigns: &[Campaign],
    campaign_by_id: &HashMap<String, usize>,
    event_names: &mut KeyMap<()>,
) -> Result<Feature, SettingsError> {
    let path = format!("$.features[{index}]");
    let m = obj(v).ok_or_else(|| model_err(&path, "feature must be an object"))?;
    let key = str_field(m, "key");
    for metric in list(m, "metrics") {
        if let Some(ident) = metric.get("identifier").and_then(Value::as_str) {
            event_names.insert(ident.to_string(), ());
        }
    }
    let mut rules = Vec::new();
    let mut linked = Vec::new();
    for (ri, r) in list(m, "rules").iter().enumerate() {
        let rm = obj(r).ok_or_else(|| model_err(format!("{path}.rules[{ri}]"), "rule must be an object"))?;
        let campaign_id = rm.get("campaignId").cloned().unwrap_or(Value::Null);
        let variation_id = rm.get("variationId").filter(|v| !v.is_null()).cloned();
        let kind = CampaignType::parse(rm.get("type").and_then(Value::as_str).unwrap_or(""));
        rules.push(RawRule {
            campaign_id: campaign_id.clone(),
            variation_id: variation_id.clone(),
            kind,
        });
        let Some(&ci) = campaign_by_id.get(&id_key(&campaign_id)) else {
            continue;
        };
        let campaign = &campaigns[ci];
        let mut variations: Vec<usize> = (0..campaign.variations.len()).collect();
        if let Some(vid) = &variation_id {
            if let Some(vi) = campaign.variations.iter().position(|x| python::eq(&x.id, vid)) {
                variations = vec![vi];
            }
        }
        let rule_key = rm
            .get("ruleKey")
            .filter(|v| !v.is_null())
            .map(|v| python::str_of(v).into_owned());
        if campaign.kind.uses_first_variation() && variations.is_empty() {
            // The SDK indexes `variations[0]` while flagging gateway use and fails to install.
            return Err(model_err(
                format!("{path}.rules[{ri}]"),
                "rollout/personalize campaign has no variations",
            ));
        }
        linked.push(link_rule(&key, ci, campaign, rule_key, variations));
    }
    let needs_gateway = linked.iter().any(|r| {
        let c = &campaigns[r.campaign];
        if r.kind.uses_first_variation() {
            r.variations
                .first()
                .is_some_and(|&vi| c.variations[vi].segments_need_gateway)
        } else {
            c.segments_need_gateway
        }
    });
    let has_rollout_rules = linked.iter().any(|r| r.kind == CampaignType::Rollout);
    Ok(Feature {
        id: m.get("id").cloned().unwrap_or(Value::Null),
        name: m.get("name").cloned().unwrap_or(Value::Null),
        impact_campaign_id: m
            .get("impactCampaign")
            .and_then(|ic| ic.get("campaignId"))
            .filter(|v| python::truthy(v))
            .cloned(),
        is_debugger_enabled: m.get("isDebuggerEnabled").map(python::truthy).unwrap_or(false),
        key,
        rules,
        linked,
        needs_gateway,
        has_rollout_rules,
    })
}

/// Whether raw segments need gateway data; only non-empty values are looked at.
fn segments_need_gateway(v: Option<&Value>) -> bool {
    match v {
        Some(seg) if python::truthy(seg) => needs_gateway_text(&seg.to_string()),
        _ => false,
    }
}

static GATEWAY_KEYS: Lazy<fancy_regex::Regex> = Lazy::new(|| {
    fancy_regex::Regex::new(
        r"(?i)\b(country|region|city|os|device_type|browser_string|ua|os_version|browser_version)\b",
    )
    .expect("static pattern")
});

/// §5.4.3: segments need the gateway when their JSON text names a UA/location key anywhere,
/// or uses `inlist(...)` under a custom variable.
pub(crate) fn needs_gateway_text(text: &str) -> bool {
    if text.is_empty() {
        return false;
    }
    if GATEWAY_KEYS.is_match(text).unwrap_or(false) {
        return true;
    }
    text.contains("\"custom_variable\"") && contains_inlist_call(text)
}

fn contains_inlist_call(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("inlist(") {
        if rest[i + 7..].contains(')') {
            return true;
        }
        rest = &rest[i + 7..];
    }
    false
}

fn link_rule(
    feature_key: &str,
    ci: usize,
    campaign: &Campaign,
    rule_key: Option<String>,
    variations: Vec<usize>,
) -> LinkedRule {
    let scoped = |fk: &str| -> Option<String> {
        rule_key
            .as_ref()
            .filter(|k| !k.is_empty())
            .map(|rk| format!("{fk}_{rk}"))
    };
    let inferred_feature = campaign.key.rsplit_once('_').map(|(a, _)| a).unwrap_or(&campaign.key);
    let feature_scope = if feature_key.is_empty() {
        inferred_feature
    } else {
        feature_key
    };
    let rollout_key = match campaign.kind {
        CampaignType::Rollout => scoped(feature_scope).unwrap_or_else(|| campaign.key.clone()),
        _ => campaign.key.clone(),
    };
    let (experiment_key, experiment_key_inferred) = match campaign.kind {
        CampaignType::Personalize => (
            scoped(feature_scope).unwrap_or_else(|| campaign.key.clone()),
            scoped(if campaign.key.is_empty() { "" } else { inferred_feature }).unwrap_or_else(|| campaign.key.clone()),
        ),
        _ => (campaign.key.clone(), campaign.key.clone()),
    };
    let first_vid = variations.first().map(|&vi| campaign.variations[vi].id_str.clone());
    let cid_vid = first_vid.as_ref().map(|v| format!("{}_{}", campaign.id_str, v));
    // The SDK looks groups up by `"cid_vid"` for personalize rules only (when the first
    // variation id is truthy) and by `"cid"` for everything else, rollouts included.
    let group_key = match campaign.kind {
        CampaignType::Personalize => {
            let first = variations.first().map(|&vi| &campaign.variations[vi].id);
            match first {
                Some(id) if python::truthy(id) => {
                    format!("{}_{}", campaign.id_str, python::str_of(id))
                }
                _ => campaign.id_str.clone(),
            }
        }
        _ => campaign.id_str.clone(),
    };
    LinkedRule {
        campaign: ci,
        kind: campaign.kind.clone(),
        rule_key,
        variations,
        rollout_key,
        experiment_key,
        experiment_key_inferred,
        group_key,
        cid_vid,
    }
}

fn build_holdout(v: &Value, event_names: &mut KeyMap<()>) -> Holdout {
    let empty = Map::new();
    let m = v.as_object().unwrap_or(&empty);
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let metrics = m.get("m").filter(|x| python::truthy(x)).or_else(|| m.get("metrics"));
    if let Some(Value::Array(ms)) = metrics {
        for metric in ms {
            if let Some(ident) = metric.get("identifier").and_then(Value::as_str) {
                event_names.insert(ident.to_string(), ());
            }
        }
    }
    let segments = m.get("segments").filter(|s| python::truthy(s));
    let needs_gateway = segments_need_gateway(segments);
    Holdout {
        id_str: python::str_of(&id).into_owned(),
        id,
        name: str_field(m, "name"),
        percent_traffic: m.get("percentTraffic").and_then(as_f64).unwrap_or(0.0),
        is_global: m.get("isGlobal").map(python::truthy).unwrap_or(false),
        feature_ids: m
            .get("featureIds")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        segments: segments
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
            .map(Segment::compile),
        needs_gateway,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order_only() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[{"q":1,"p":"é\""}],"x":null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[{"p":"é\"","q":1}]},"b":1}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[{"p":"é\"","q":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":{"x":null,"y":[{"p":"é\"","q":1}]},"b":1}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_ne!(canonical_json(&a), canonical_json(&c));
        // Arrays keep their order.
        let d: Value = serde_json::from_str("[1,2]").unwrap();
        let e: Value = serde_json::from_str("[2,1]").unwrap();
        assert_ne!(canonical_json(&d), canonical_json(&e));
    }
}
