//! What a flag evaluation returns: the decision and the effects the caller must carry out.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::trace::Trace;
use crate::core::settings::{Variable, Variables};

/// The `variation` of an impression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Rule and impact impressions send `str(variationId)`.
    Text(Arc<str>),
    /// Holdout impressions send an integer: 1 in the holdout, 2 not in it.
    Number(i64),
}

impl Shown {
    /// The JSON value sent.
    pub fn to_value(&self) -> Value {
        match self {
            Shown::Text(t) => Value::from(&**t),
            Shown::Number(n) => Value::from(*n),
        }
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Text(t) => write!(f, "{t:?}"),
            Shown::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A `vwo_variationShown` impression to report (§11.2, §11.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Impression {
    /// Campaign (or holdout, or impact campaign) id, as in the settings.
    pub campaign_id: Value,
    /// The variation shown.
    pub variation: Shown,
    /// Set for holdout impressions: the feature's id (`fId`).
    pub holdout_feature_id: Option<Value>,
}

impl Impression {
    /// Whether this is a holdout impression (which identifies the visitor by `context.id`
    /// and the call time instead of the context UUID and session).
    pub fn is_holdout(&self) -> bool {
        self.holdout_feature_id.is_some()
    }
}

/// A remote debug event (`vwo_sdkDebug`) the official SDK would send (§16).
#[derive(Debug, Clone, PartialEq)]
pub struct DebugEvent {
    /// Its properties: `an`, `fk`, `uuid`, `sId`, `msg_t`, `msg`, `lt`, `cg`, ...
    pub props: Map<String, Value>,
}

impl DebugEvent {
    /// The message template key (`msg_t`).
    pub fn template(&self) -> Option<&str> {
        self.props.get("msg_t").and_then(Value::as_str)
    }
}

/// A side effect of an evaluation, in the order the official SDK performs them.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Call the storage connector's `set` with this record.
    StorageWrite(Map<String, Value>),
    /// Report these impressions: one batch request without a gateway, one event each with a
    /// gateway. Never empty.
    Impressions(Vec<Impression>),
    /// Call the integrations callback with this payload.
    Integration(Map<String, Value>),
    /// Send this debug event (subject to the settings' sampling).
    Debug(DebugEvent),
    /// Send a `vwo_feTrackUsage` event (settings `isMAU`, nothing else reported).
    UsageTracking,
}

/// Why a flag is disabled without having been evaluated, or how evaluation ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Evaluated normally.
    Evaluated,
    /// Served from a stored experiment decision.
    StoredExperiment,
    /// Excluded by a stored holdout decision.
    StoredHoldout,
    /// Excluded by a holdout.
    Holdout,
    /// No feature with this key.
    FeatureNotFound,
    /// Evaluation failed (see the error message); the flag is disabled.
    Error,
}

/// A variation of a campaign in the snapshot the decision was made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariationRef {
    /// Index into `Snapshot::campaigns`.
    pub campaign: usize,
    /// Index into that campaign's variations.
    pub variation: usize,
}

/// The result of [`super::get_flag`].
#[derive(Debug, Clone)]
pub struct Decision {
    /// Whether the flag is on for this user.
    pub enabled: bool,
    /// The variables served (empty when disabled).
    pub variables: Arc<Variables>,
    /// How the decision was reached.
    pub reason: Reason,
    /// The rollout variation served, if a rollout rule (or a stored rollout) enabled the flag.
    pub rollout: Option<VariationRef>,
    /// The experiment variation served (A/B or personalize), if any.
    pub experiment: Option<VariationRef>,
    /// The error when `reason` is [`Reason::Error`].
    pub error: Option<String>,
    /// Effects to carry out, in order.
    pub effects: Vec<Effect>,
    /// The evaluation trace, when requested.
    pub trace: Option<Box<Trace>>,
}

impl Decision {
    /// The impressions of this decision, across all its impression effects, in order.
    pub fn impressions(&self) -> impl Iterator<Item = &Impression> {
        self.effects.iter().flat_map(|e| match e {
            Effect::Impressions(list) => list.as_slice(),
            _ => &[],
        })
    }

    /// The storage writes of this decision, in order.
    pub fn storage_writes(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.effects.iter().filter_map(|e| match e {
            Effect::StorageWrite(m) => Some(m),
            _ => None,
        })
    }

    /// The integrations-callback payload, if this decision calls it.
    pub fn integration(&self) -> Option<&Map<String, Value>> {
        self.effects.iter().find_map(|e| match e {
            Effect::Integration(m) => Some(m),
            _ => None,
        })
    }

    /// The variable with this key.
    pub fn variable(&self, key: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.key == key)
    }
}
