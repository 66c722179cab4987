//! The state of one flag evaluation and the helpers every step shares: storage access,
//! segmentation, effects, the integration payload and the trace.

use serde_json::{Map, Value};

use super::context::{GatewayData, UserContext};
use super::decision::{DebugEvent, Effect, Impression, Shown, VariationRef};
use super::env::{DecisionEnv, EvalOptions, StorageRead};
use super::identity;
use super::trace::{Step, Trace};
use crate::core::python;
use crate::core::segmentation::{self, EvalError as SegError, Props, Segment, SegmentEnv};
use crate::core::settings::{Snapshot, Variation};
use crate::core::LogLevel;
use std::sync::Arc;

/// An evaluation failure: the official SDK raises here and returns a disabled flag.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(pub String);

pub(super) type EvalResult<T> = Result<T, EvalError>;

/// Rollout or experiment ids of a rule that passed (what storage and the callback get):
/// borrowed from the snapshot for rules evaluated now, owned for decisions read from storage.
#[derive(Debug, Clone)]
pub(super) enum PassedRule<'a> {
    Rule {
        id: &'a Value,
        key: &'a str,
        variation_id: &'a Value,
    },
    Stored {
        id: Value,
        key: Value,
        variation_id: Value,
    },
}

impl PassedRule<'_> {
    /// `(id, key, variation id)` as JSON values.
    pub fn values(&self) -> (Value, Value, Value) {
        match self {
            PassedRule::Rule { id, key, variation_id } => ((*id).clone(), Value::from(*key), (*variation_id).clone()),
            PassedRule::Stored { id, key, variation_id } => (id.clone(), key.clone(), variation_id.clone()),
        }
    }
}

/// Which `_vwoUserId` the SDK injected into a variables dict: the user id, or the visitor
/// UUID for user-list campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UidKind {
    Id,
    Uuid,
}

pub(super) struct Eval<'a> {
    pub s: &'a Snapshot,
    pub ctx: &'a UserContext,
    pub env: &'a mut dyn DecisionEnv,
    pub opts: EvalOptions,
    pub feature_key: &'a str,
    pub effects: Vec<Effect>,
    /// Impressions collected for the one batch request at the end of the call.
    pub batch: Vec<Impression>,
    pub fired: bool,
    pub trace: Option<Box<Trace>>,
    /// The integrations payload (`decision` in the official SDK), built only when wanted.
    pub decision: Option<Map<String, Value>>,
    /// `_vwoUserId` currently injected into the context's custom variables / variation
    /// targeting variables (the SDK mutates the context as rules are evaluated).
    pub cv_uid: Option<UidKind>,
    pub vtv_uid: Option<UidKind>,
    /// Whether the flag's own rollout passed pre-segmentation in this call, and the other
    /// features (met in groups) whose rollout passed (`evaluated_feature_map`).
    pub own_rollout_evaluated: bool,
    pub evaluated_rollouts: Vec<&'a str>,
    pub passed_rollout: Option<PassedRule<'a>>,
    pub passed_experiment: Option<PassedRule<'a>>,
    /// Gateway data fetched during this call (replaces the context's `_vwo`).
    pub fetched_gateway: Option<GatewayData>,
    pub served_rollout: Option<VariationRef>,
    pub served_experiment: Option<VariationRef>,
    vwo_uid: Option<String>,
    deferred_error: Option<EvalError>,
    /// Storage writes made in this call, visible to later reads of the same key.
    written: Vec<(String, Map<String, Value>)>,
}

impl<'a> Eval<'a> {
    pub fn new(
        s: &'a Snapshot,
        feature_key: &'a str,
        ctx: &'a UserContext,
        env: &'a mut dyn DecisionEnv,
        opts: EvalOptions,
    ) -> Eval<'a> {
        Eval {
            s,
            ctx,
            env,
            opts,
            feature_key,
            effects: Vec::new(),
            batch: Vec::new(),
            fired: false,
            trace: opts.trace.then(Box::default),
            decision: None,
            cv_uid: None,
            vtv_uid: None,
            own_rollout_evaluated: false,
            evaluated_rollouts: Vec::new(),
            passed_rollout: None,
            passed_experiment: None,
            fetched_gateway: None,
            served_rollout: None,
            served_experiment: None,
            vwo_uid: None,
            deferred_error: None,
            written: Vec::new(),
        }
    }

    // ----- trace and logs ---------------------------------------------------------------

    pub fn step(&mut self, f: impl FnOnce() -> Step) {
        if let Some(t) = self.trace.as_mut() {
            t.steps.push(f());
        }
    }

    pub fn info(&mut self, f: impl FnOnce() -> String) {
        if self.env.log_enabled(LogLevel::Info) {
            let m = f();
            self.env.log(LogLevel::Info, &m);
        }
    }

    pub fn debug(&mut self, f: impl FnOnce() -> String) {
        if self.env.log_enabled(LogLevel::Debug) {
            let m = f();
            self.env.log(LogLevel::Debug, &m);
        }
    }

    /// An `error_log` of the official SDK: an ERROR line plus a debug event.
    pub fn error_event(&mut self, template: &'static str, message: String, with_feature_key: bool) {
        self.env.log(LogLevel::Error, &message);
        let mut props = Map::new();
        props.insert("an".into(), Value::from("getFlag"));
        if with_feature_key {
            props.insert("fk".into(), Value::from(self.feature_key));
        }
        props.insert("msg_t".into(), Value::from(template));
        props.insert("msg".into(), Value::from(message));
        props.insert("lt".into(), Value::from("error"));
        props.insert("cg".into(), Value::from("error"));
        self.effects.push(Effect::Debug(DebugEvent { props }));
    }

    // ----- identity ---------------------------------------------------------------------

    /// `uuid(context.id, settings.accountId)`, computed at most once per call.
    pub fn vwo_uid(&mut self) -> &str {
        if self.vwo_uid.is_none() {
            self.vwo_uid = Some(identity::visitor_uuid_in(&self.s.account_namespace, &self.ctx.id));
        }
        self.vwo_uid.as_deref().unwrap_or_default()
    }

    pub fn gateway(&self) -> Option<&GatewayData> {
        self.fetched_gateway.as_ref().or(self.ctx.gateway.as_ref())
    }

    // ----- effects ----------------------------------------------------------------------

    /// Reports one impression: sent on its own with a gateway, else kept for the batch.
    pub fn impression(&mut self, imp: Impression) {
        self.fired = true;
        if self.opts.gateway {
            self.effects.push(Effect::Impressions(vec![imp]));
        } else {
            self.batch.push(imp);
        }
    }

    /// Reports a group of impressions that the official SDK sends in a batch of its own
    /// (holdout paths); empty groups are not sent (decisions.md N1).
    pub fn impressions_now(&mut self, imps: Vec<Impression>) {
        if imps.is_empty() {
            return;
        }
        self.fired = true;
        if self.opts.gateway {
            for imp in imps {
                self.effects.push(Effect::Impressions(vec![imp]));
            }
        } else {
            self.effects.push(Effect::Impressions(imps));
        }
    }

    pub fn rule_impression(campaign_id: &Value, variation: &Variation) -> Impression {
        Impression {
            campaign_id: campaign_id.clone(),
            variation: Shown::Text(Arc::clone(&variation.shown)),
            holdout_feature_id: None,
        }
    }

    // ----- the integration payload --------------------------------------------------------

    pub fn decision_set(&mut self, key: &str, value: impl FnOnce() -> Value) {
        if let Some(d) = self.decision.as_mut() {
            d.insert(key.to_string(), value());
        }
    }

    pub fn decision_update_passed(&mut self, rollout: bool, experiment: bool) {
        if self.decision.is_none() {
            return;
        }
        if rollout {
            if let Some((id, key, vid)) = self.passed_rollout.as_ref().map(PassedRule::values) {
                self.decision_set("rolloutId", || id);
                self.decision_set("rolloutKey", || key);
                self.decision_set("rolloutVariationId", || vid);
            }
        }
        if experiment {
            if let Some((id, key, vid)) = self.passed_experiment.as_ref().map(PassedRule::values) {
                self.decision_set("experimentId", || id);
                self.decision_set("experimentKey", || key);
                self.decision_set("experimentVariationId", || vid);
            }
        }
    }

    pub fn vars_with_uid(&mut self, vars: &Map<String, Value>, uid: UidKind) -> Value {
        let mut m = vars.clone();
        let v = match uid {
            UidKind::Id => self.ctx.id.clone(),
            UidKind::Uuid => self.vwo_uid().to_string(),
        };
        m.insert("_vwoUserId".into(), Value::String(v));
        Value::Object(m)
    }

    // ----- storage ----------------------------------------------------------------------

    fn read_raw(&mut self, key: &str) -> StorageRead {
        if !self.opts.storage {
            return StorageRead::Missing;
        }
        if let Some((_, rec)) = self.written.iter().rev().find(|(k, _)| k == key) {
            let rec = rec.clone();
            self.step(|| Step::StorageRead {
                key: key.to_string(),
                found: true,
            });
            return StorageRead::Found(rec);
        }
        let r = self.env.storage_get(key, &self.ctx.id);
        if let StorageRead::Failed(e) = &r {
            let msg = format!("Error reading data from storage. Error:{e}");
            self.error_event("ERROR_READING_STORED_DATA_IN_STORAGE", msg, false);
        }
        let found = matches!(r, StorageRead::Found(_));
        self.step(|| Step::StorageRead {
            key: key.to_string(),
            found,
        });
        r
    }

    /// The stored record for `key` as the official SDK's storage decorator returns it:
    /// `Ok(None)` for no record, `Err` where the SDK would crash on what it got.
    pub fn stored(&mut self, key: &str) -> EvalResult<Option<Map<String, Value>>> {
        match self.read_raw(key) {
            StorageRead::Missing | StorageRead::Failed(_) => Ok(None),
            StorageRead::NotAnObject(what) => Err(EvalError(format!("storage returned {what} instead of an object"))),
            StorageRead::Found(rec) => match record_status(&rec) {
                RecordStatus::Data => Ok(Some(rec)),
                RecordStatus::NoData => Ok(None),
                RecordStatus::Unusable(s) => Err(EvalError(format!("storage returned status \"{s}\""))),
            },
        }
    }

    /// Whether storage holds a non-empty record (`featureId` segments).
    pub fn has_stored(&mut self, key: &str) -> EvalResult<bool> {
        match self.read_raw(key) {
            StorageRead::Missing | StorageRead::Failed(_) => Ok(false),
            StorageRead::NotAnObject(what) => Err(EvalError(format!("storage returned {what} instead of an object"))),
            StorageRead::Found(rec) => Ok(match record_status(&rec) {
                RecordStatus::Data => !rec.is_empty(),
                RecordStatus::NoData => false,
                // The decorator hands back the status text, which is a non-empty "record".
                RecordStatus::Unusable(_) => true,
            }),
        }
    }

    /// A storage write: the official record with all ten keys, refused (and logged) in the
    /// cases the official SDK refuses.
    pub fn write_storage(&mut self, feature_key: &str, fields: &[(&str, Value)]) {
        if !self.opts.storage {
            return;
        }
        let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| v);
        let truthy = |k: &str| python::truthy_opt(get(k));
        let refusal = if feature_key.is_empty() {
            Some("featureKey is empty")
        } else if self.ctx.id.is_empty() {
            Some("the user id is empty")
        } else if truthy("rolloutKey") && !truthy("experimentKey") && !truthy("rolloutVariationId") {
            Some("a rollout decision without a rollout variation id")
        } else if truthy("experimentKey") && !truthy("experimentVariationId") {
            Some("an experiment decision without an experiment variation id")
        } else {
            None
        };
        if let Some(why) = refusal {
            let msg = format!("Unable to store data into storage for key:{feature_key}: {why}");
            self.env.log(LogLevel::Error, &msg);
            return;
        }
        let mut rec = Map::with_capacity(10);
        rec.insert("featureKey".into(), Value::from(feature_key));
        rec.insert("userId".into(), Value::from(self.ctx.id.as_str()));
        for k in [
            "rolloutId",
            "rolloutKey",
            "rolloutVariationId",
            "experimentId",
            "experimentKey",
            "experimentVariationId",
            "isInHoldoutId",
            "notInHoldoutId",
        ] {
            rec.insert(k.into(), get(k).cloned().unwrap_or(Value::Null));
        }
        self.written.push((feature_key.to_string(), rec.clone()));
        self.effects.push(Effect::StorageWrite(rec));
    }

    // ----- segmentation -----------------------------------------------------------------

    /// Evaluates a DSL against the custom variables (or `vtv` for whitelisting) with the
    /// given `_vwoUserId`.
    pub fn segment(&mut self, seg: &'a Segment, use_vtv: bool, uid: Option<UidKind>) -> EvalResult<bool> {
        let ctx = self.ctx;
        let vars = if use_vtv {
            &ctx.variation_targeting_variables
        } else {
            &ctx.custom_variables
        };
        let uuid_holder;
        let vwo_user_id = match uid {
            None => None,
            Some(UidKind::Id) => Some(ctx.id.as_str()),
            Some(UidKind::Uuid) => {
                uuid_holder = self.vwo_uid().to_string();
                Some(uuid_holder.as_str())
            }
        };
        let props = Props { vars, vwo_user_id };
        let result = segmentation::try_evaluate(seg, &props, self);
        if let Some(e) = self.deferred_error.take() {
            return Err(e);
        }
        // Where the official SDK raises while segmenting, its whole get_flag call fails.
        result.map_err(|e| match e {
            SegError::Exception(kind) => EvalError(format!("{kind} while evaluating segments")),
            SegError::TooDeep => EvalError(format!("segments nest deeper than {} levels", segmentation::MAX_DEPTH)),
        })
    }
}

enum RecordStatus {
    Data,
    NoData,
    Unusable(String),
}

/// Records whose `status` is one of the storage enum's texts are not data (§13).
fn record_status(rec: &Map<String, Value>) -> RecordStatus {
    match rec.get("status").and_then(Value::as_str) {
        Some("Storage is undefined" | "No data found" | "Campaign paused" | "Whitelisted variation") => {
            RecordStatus::NoData
        }
        Some(s @ ("Incorrect data" | "Variation not found")) => RecordStatus::Unusable(s.to_string()),
        _ => RecordStatus::Data,
    }
}

impl SegmentEnv for Eval<'_> {
    fn user_agent(&self) -> Option<&str> {
        self.ctx.user_agent.as_deref()
    }

    fn ip_address(&self) -> Option<&str> {
        self.ctx.ip_address.as_deref()
    }

    fn location(&self) -> Option<&Map<String, Value>> {
        self.gateway().and_then(|g| g.location.as_ref())
    }

    fn ua_info(&self) -> Option<&Map<String, Value>> {
        self.gateway().and_then(|g| g.user_agent.as_ref())
    }

    fn web_testing_campaigns(&self) -> Option<&Value> {
        self.ctx.web_testing_campaigns.as_ref()
    }

    fn feature_key_for_id(&self, id: i64) -> Option<String> {
        let want = Value::from(id);
        self.s
            .features
            .iter()
            .find(|f| python::eq(&f.id, &want))
            .map(|f| f.key.clone())
    }

    fn has_stored_record(&mut self, feature_key: &str) -> bool {
        match self.has_stored(feature_key) {
            Ok(b) => b,
            Err(e) => {
                self.deferred_error.get_or_insert(e);
                false
            }
        }
    }

    fn in_list(&mut self, attribute: &str, list_id: &str) -> bool {
        if !self.opts.gateway {
            return false;
        }
        self.env.in_list(attribute, list_id)
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        self.env.log_enabled(level)
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.env.log(level, message)
    }

    fn error(&mut self, template: &'static str, message: String) {
        self.error_event(template, message, false);
    }

    fn python_compat(&self) -> bool {
        self.opts.python_compat
    }
}
