//! The compiled settings snapshot: everything evaluation reads, derived once per install.
//!
//! Ids keep their JSON type (`serde_json::Value`) because the official SDK compares them with
//! Python `==` (`1` and `"1"` differ) and echoes them back unchanged in events and storage.
//! Their Python `str()` is precomputed where hash keys are built from them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::core::decide::decision::VariationRef;
use crate::core::segmentation::Segment;

/// A settings document compiled for evaluation. Immutable once built; share it with `Arc`.
#[derive(Debug)]
pub struct Snapshot {
    /// The settings JSON as received, compact. Kept as text, not as a `Value`: a parsed
    /// document takes about 17 times its text size in memory (34 MB for a 2 MB file).
    pub raw_json: Arc<str>,
    /// The same with every object's keys sorted: two settings are "the same" for polling
    /// when these are equal (the official SDK compares `json.dumps(sort_keys=True)`).
    pub canonical_json: Arc<str>,
    /// `accountId` as given (number or string).
    pub account_id: Value,
    /// Python `str(accountId)`, used in hash keys.
    pub account_id_str: String,
    /// UUIDv5 namespace of `account_id_str` (visitor UUIDs keyed by the settings account).
    pub account_namespace: Uuid,
    /// `sdkKey` of the settings.
    pub sdk_key: String,
    /// Features in settings order.
    pub features: Vec<Feature>,
    /// Campaigns in settings order.
    pub campaigns: Vec<Campaign>,
    /// Mutually exclusive groups by group id.
    pub groups: HashMap<String, Group>,
    /// `campaignGroups`: `"cid"` or `"cid_vid"` to the group id (as Python `str()`).
    pub campaign_groups: HashMap<String, String>,
    /// Holdouts in settings order.
    pub holdouts: Vec<Holdout>,
    /// Non-blank `collectionPrefix`.
    pub collection_prefix: Option<String>,
    /// `pollInterval` from the settings, if it is a positive integer.
    pub poll_interval_ms: Option<u64>,
    /// `isWebConnectivityEnabled` (default true).
    pub is_web_connectivity_enabled: bool,
    /// `isMAU`: send a usage-tracking event when get_flag sends no impression.
    pub is_mau: bool,
    /// `sdkMetaInfo.wasInitializedEarlier`: suppresses the SDK-init event.
    pub was_initialized_earlier: bool,
    /// `usageStatsAccountId` (enables the usage-stats event).
    pub usage_stats_account_id: Option<Value>,
    /// Server-side sampling of debug and usage events.
    pub sampling: Sampling,
    /// Whether any holdout's segments need gateway data (UA / location / lists).
    pub holdouts_need_gateway: bool,
    pub(crate) feature_by_key: KeyMap<usize>,
    pub(crate) campaign_by_key: KeyMap<usize>,
    pub(crate) event_names: KeyMap<()>,
}

impl Snapshot {
    /// The feature with this key (the first one, as the official SDK scans in order).
    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.feature_by_key.get(key).map(|&i| &self.features[i])
    }

    /// Index of the feature with this key.
    pub fn feature_index(&self, key: &str) -> Option<usize> {
        self.feature_by_key.get(key).copied()
    }

    /// The first campaign whose `key` is `key`.
    pub fn campaign_by_key(&self, key: &str) -> Option<&Campaign> {
        self.campaign_by_key.get(key).map(|&i| &self.campaigns[i])
    }

    /// Index of the first campaign whose `key` is `key`.
    pub fn campaign_index_by_key(&self, key: &str) -> Option<usize> {
        self.campaign_by_key.get(key).copied()
    }

    /// The variation a [`VariationRef`] points to.
    pub fn variation(&self, r: VariationRef) -> &Variation {
        &self.campaigns[r.campaign].variations[r.variation]
    }

    /// Whether `event_name` is a metric of some feature or holdout (what `track_event` accepts).
    pub fn is_known_event(&self, event_name: &str) -> bool {
        self.event_names.contains_key(event_name)
    }

    /// The campaign a linked rule points to.
    pub fn campaign_of(&self, rule: &LinkedRule) -> &Campaign {
        &self.campaigns[rule.campaign]
    }

    /// The `i`-th variation a linked rule may serve.
    pub fn rule_variation(&self, rule: &LinkedRule, i: usize) -> Option<&Variation> {
        let c = &self.campaigns[rule.campaign];
        rule.variations.get(i).map(|&v| &c.variations[v])
    }
}

/// A string-keyed map with FNV-1a hashing: the keys come from settings, and a feature lookup
/// per decision should cost nanoseconds, not SipHash's tens of them.
pub type KeyMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// FNV-1a, 64 bit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The campaign types a rule can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignType {
    /// `FLAG_ROLLOUT`
    Rollout,
    /// `FLAG_TESTING` (A/B)
    Ab,
    /// `FLAG_PERSONALIZE`
    Personalize,
    /// Anything else: never evaluated as a rule.
    Other(String),
}

impl CampaignType {
    /// Parses the settings' `type` string.
    pub fn parse(s: &str) -> CampaignType {
        match s {
            "FLAG_ROLLOUT" => CampaignType::Rollout,
            "FLAG_TESTING" => CampaignType::Ab,
            "FLAG_PERSONALIZE" => CampaignType::Personalize,
            other => CampaignType::Other(other.to_string()),
        }
    }

    /// Rollout and personalize rules take their segments, salt and traffic from their first
    /// variation; A/B rules from the campaign.
    pub fn uses_first_variation(&self) -> bool {
        matches!(self, CampaignType::Rollout | CampaignType::Personalize)
    }

    /// The settings' spelling.
    pub fn as_str(&self) -> &str {
        match self {
            CampaignType::Rollout => "FLAG_ROLLOUT",
            CampaignType::Ab => "FLAG_TESTING",
            CampaignType::Personalize => "FLAG_PERSONALIZE",
            CampaignType::Other(s) => s,
        }
    }
}

/// A feature flag.
#[derive(Debug)]
pub struct Feature {
    /// `id` as given.
    pub id: Value,
    /// `key`.
    pub key: String,
    /// `name` as given.
    pub name: Value,
    /// The raw rules (campaign id, optional variation id), used by MEG lookups.
    pub rules: Vec<RawRule>,
    /// Rules linked to their campaigns, in `rules` order (rules whose campaign is missing are skipped).
    pub linked: Vec<LinkedRule>,
    /// `impactCampaign.campaignId`, when truthy.
    pub impact_campaign_id: Option<Value>,
    /// `isDebuggerEnabled`: send a debug event with each decision.
    pub is_debugger_enabled: bool,
    /// Whether the rules' segments need gateway data (§5.4.3).
    pub needs_gateway: bool,
    /// Whether any linked rule is a rollout.
    pub has_rollout_rules: bool,
}

/// A feature rule as written in the settings.
#[derive(Debug, Clone)]
pub struct RawRule {
    /// `campaignId`.
    pub campaign_id: Value,
    /// `variationId`, when present and not null.
    pub variation_id: Option<Value>,
    /// `type`.
    pub kind: CampaignType,
}

/// A rule joined with its campaign: what get_flag evaluates.
#[derive(Debug, Clone)]
pub struct LinkedRule {
    /// Index into [`Snapshot::campaigns`].
    pub campaign: usize,
    /// The campaign's type.
    pub kind: CampaignType,
    /// The rule's `ruleKey`.
    pub rule_key: Option<String>,
    /// Indexes into the campaign's variations: all of them, or only the rule's `variationId`.
    pub variations: Vec<usize>,
    /// Key stored for a rollout decision (`{featureKey}_{ruleKey}` or the campaign key).
    pub rollout_key: String,
    /// Key stored for an experiment decision (`{featureKey}_{ruleKey}` for personalize rules,
    /// the campaign key for A/B).
    pub experiment_key: String,
    /// The experiment key when the feature key is inferred from the campaign key (MEG storage).
    pub experiment_key_inferred: String,
    /// MEG lookup key in `campaignGroups`: `"cid_vid"` for personalize rules, `"cid"` otherwise.
    pub group_key: String,
    /// `"{cid}_{first variation id}"` (MEG priority / weight lookups).
    pub cid_vid: Option<String>,
}

/// Segments of a campaign or variation, pre-classified the way the SDK branches on them.
#[derive(Debug, Clone)]
pub enum Segments {
    /// An empty object: pre-segmentation passes, whitelisting skips the variation.
    Empty,
    /// A DSL object.
    Dsl(Segment),
    /// Not an object (or missing where the SDK does not default it): whitelisting skips it,
    /// pre-segmentation evaluates it (which fails).
    NotObject(Segment),
}

/// A campaign.
#[derive(Debug)]
pub struct Campaign {
    /// `id` as given.
    pub id: Value,
    /// Python `str(id)`.
    pub id_str: String,
    /// `key`.
    pub key: String,
    /// `name`.
    pub name: String,
    /// `type`.
    pub kind: CampaignType,
    /// `percentTraffic`; `Err` when missing or not a number (the SDK then fails the call).
    pub percent_traffic: Result<f64, ()>,
    /// Campaign-level segments (A/B pre-segmentation).
    pub segments: Segments,
    /// Whether those segments need gateway data (§5.4.3).
    pub segments_need_gateway: bool,
    /// `isForcedVariationEnabled` (whitelisting on).
    pub is_forced_variation_enabled: bool,
    /// `isUserListEnabled`: `user` lists match the visitor UUID.
    pub is_user_list_enabled: bool,
    /// Truthy `salt`.
    pub salt: Option<String>,
    /// Variations in settings order, with their A/B ranges.
    pub variations: Vec<Variation>,
}

impl Campaign {
    /// The hash-key prefix for traffic and variation buckets: the salt, else the id.
    pub fn salt_or_id(&self) -> &str {
        self.salt.as_deref().unwrap_or(&self.id_str)
    }
}

/// A variation with its variables and A/B bucket range.
#[derive(Debug)]
pub struct Variation {
    /// `id` as given.
    pub id: Value,
    /// Python `str(id)`.
    pub id_str: String,
    /// `str(id)` as impressions send it (shared, so impressions do not allocate it).
    pub shown: Arc<str>,
    /// `name`.
    pub name: String,
    /// `weight` as a number; `None` when it is not numeric (the SDK fails when it needs it).
    pub weight: Option<f64>,
    /// A/B range start (inclusive), `-1` for a zero weight.
    pub start: i64,
    /// A/B range end (inclusive).
    pub end: i64,
    /// Variation segments (whitelisting for A/B, pre-segmentation for rollout/personalize).
    pub segments: Segments,
    /// Whether those segments need gateway data (§5.4.3).
    pub segments_need_gateway: bool,
    /// Truthy `salt` (rollout and personalize traffic).
    pub salt: Option<String>,
    /// The variables served with this variation.
    pub variables: Arc<Variables>,
}

/// The variables of a variation, with their JSON text (`get_variables()`) serialised once
/// at install, so handing them across a language boundary costs a copy, not a serialisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Variables {
    list: Vec<Variable>,
    json: String,
}

impl Variables {
    /// Variables in settings order.
    pub fn new(list: Vec<Variable>) -> Variables {
        let json = Value::Array(list.iter().map(Variable::to_json).collect()).to_string();
        Variables { list, json }
    }

    /// `[{"id", "value", "type", "key"}, ...]` as JSON text.
    pub fn json_text(&self) -> &str {
        &self.json
    }
}

#[cfg(test)]
mod variables_tests {
    use super::*;

    #[test]
    fn no_variables_is_an_empty_json_array() {
        assert_eq!(Variables::default().json_text(), "[]");
        assert_eq!(Variables::new(Vec::new()).json_text(), "[]");
    }
}

impl Default for Variables {
    /// No variables: `[]` (a derived default would give empty, invalid JSON text).
    fn default() -> Variables {
        Variables::new(Vec::new())
    }
}

impl std::ops::Deref for Variables {
    type Target = [Variable];

    fn deref(&self) -> &[Variable] {
        &self.list
    }
}

/// A variable served with a variation.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// `id` as given.
    pub id: Value,
    /// `key`.
    pub key: String,
    /// `type` (`integer`, `double`, `string`, `boolean`, `json`).
    pub kind: Value,
    /// `value` as given.
    pub value: Value,
}

impl Variable {
    /// `{"id", "value", "type", "key"}`, the shape `get_variables()` returns.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(4);
        m.insert("id".into(), self.id.clone());
        m.insert("value".into(), self.value.clone());
        m.insert("type".into(), self.kind.clone());
        m.insert("key".into(), Value::String(self.key.clone()));
        Value::Object(m)
    }
}

/// A mutually exclusive group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Members: `"cid"` or `"cid_vid"`.
    pub campaigns: Vec<String>,
    /// `et`: 1 random, 2 advanced (as given; compared with Python `==`).
    pub algorithm: Value,
    /// `p`: priority order for the advanced algorithm.
    pub priority: Vec<String>,
    /// `wt`: weights for the advanced algorithm.
    pub weights: Map<String, Value>,
}

/// A holdout group.
#[derive(Debug)]
pub struct Holdout {
    /// `id` as given.
    pub id: Value,
    /// Python `str(id)`.
    pub id_str: String,
    /// `name`.
    pub name: String,
    /// `percentTraffic` (default 0).
    pub percent_traffic: f64,
    /// `isGlobal`: applies to every feature.
    pub is_global: bool,
    /// `featureIds` it applies to.
    pub feature_ids: Vec<Value>,
    /// Segments; `None` when empty (no segmentation).
    pub segments: Option<Segment>,
    /// Whether the segments need gateway data.
    pub needs_gateway: bool,
}

impl Holdout {
    /// Whether this holdout applies to the feature with id `feature_id`.
    pub fn applies_to(&self, feature_id: &Value) -> bool {
        self.is_global || self.feature_ids.iter().any(|f| crate::core::python::eq(f, feature_id))
    }
}

/// Server-controlled sampling of debug and usage-stats events (§16.2).
#[derive(Debug, Clone, Default)]
pub struct Sampling {
    /// `alwaysApplySampling.server`.
    pub always_apply: bool,
    /// `sampling.debug.server` (percent), when valid.
    pub debug_percent: Option<f64>,
    /// `sampling.usage.server` (percent), when valid.
    pub usage_percent: Option<f64>,
}
