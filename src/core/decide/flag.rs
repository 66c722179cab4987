//! `get_flag` (§8): stored decisions, holdouts, rollout rules, experiment rules, and the
//! effects of the decision, in the order the official SDK produces them.

use std::sync::Arc;

use once_cell::sync::Lazy;
use serde_json::{Map, Value};

use super::context::UserContext;
use super::decision::{DebugEvent, Decision, Effect, Reason, Shown, VariationRef};
use super::env::{DecisionEnv, EvalOptions};
use super::eval::{Eval, EvalError, EvalResult, PassedRule};
use super::holdouts::{contains, stored_ids};
use super::rules::MegWinners;
use super::trace::Step;
use crate::core::python;
use crate::core::settings::{CampaignType, Feature, Snapshot, Variables, Variation};
use crate::core::LogLevel;

static NO_VARIABLES: Lazy<Arc<Variables>> = Lazy::new(|| Arc::new(Variables::default()));
/// Impact-campaign impressions: variation 2 when the flag is on, 1 when off.
static IMPACT_ON: Lazy<Arc<str>> = Lazy::new(|| Arc::from("2"));
static IMPACT_OFF: Lazy<Arc<str>> = Lazy::new(|| Arc::from("1"));

/// Evaluates `feature_key` for the user in `ctx` against settings `s`.
///
/// Never fails: an evaluation the official SDK would abort gives a disabled flag with
/// [`Reason::Error`] (plus the effects that happened before the failure).
pub fn get_flag(
    s: &Snapshot,
    feature_key: &str,
    ctx: &UserContext,
    env: &mut dyn DecisionEnv,
    opts: EvalOptions,
) -> Decision {
    let mut ev = Eval::new(s, feature_key, ctx, env, opts);
    match ev.run() {
        Ok((enabled, variables, reason)) => Decision {
            enabled,
            variables,
            reason,
            rollout: if enabled { ev.served_rollout } else { None },
            experiment: if enabled { ev.served_experiment } else { None },
            error: None,
            effects: std::mem::take(&mut ev.effects),
            trace: ev.trace.take(),
        },
        Err(EvalError(msg)) => {
            let text = format!("API - getFlag failed to execute. Error:{msg}");
            ev.error_event("EXECUTION_FAILED", text, false);
            // Pending batch impressions are never sent when the official SDK raises.
            ev.step(|| Step::Note {
                text: format!("evaluation failed: {msg}"),
            });
            Decision {
                enabled: false,
                variables: Arc::clone(&NO_VARIABLES),
                reason: Reason::Error,
                rollout: None,
                experiment: None,
                error: Some(msg),
                effects: std::mem::take(&mut ev.effects),
                trace: ev.trace.take(),
            }
        }
    }
}

/// `get_variation_from_campaign_key`: the variation `variation_id` of the campaign keyed
/// `key`, or of a linked rule whose rollout or experiment key is `key`.
pub(super) fn variation_by_campaign_key(s: &Snapshot, key: &str, variation_id: &Value) -> Option<VariationRef> {
    if let Some(ci) = s.campaign_index_by_key(key) {
        if let Some(vi) = s.campaigns[ci]
            .variations
            .iter()
            .position(|v| python::eq(&v.id, variation_id))
        {
            return Some(VariationRef {
                campaign: ci,
                variation: vi,
            });
        }
    }
    for f in &s.features {
        for r in &f.linked {
            if r.experiment_key == key || r.rollout_key == key {
                let c = s.campaign_of(r);
                if let Some(&vi) = r
                    .variations
                    .iter()
                    .find(|&&i| python::eq(&c.variations[i].id, variation_id))
                {
                    return Some(VariationRef {
                        campaign: r.campaign,
                        variation: vi,
                    });
                }
            }
        }
    }
    None
}

/// Enabled, variables, and how the decision was reached.
type Outcome = (bool, Arc<Variables>, Reason);
type RunResult = EvalResult<Outcome>;

impl<'a> Eval<'a> {
    fn run(&mut self) -> RunResult {
        let s = self.s;
        let fk = self.feature_key;
        let feature_idx = s.feature_index(fk);
        let feature = feature_idx.map(|i| &s.features[i]);
        if self.opts.integrations || feature.is_some_and(|f| f.is_debugger_enabled) {
            self.decision = Some(initial_decision(feature, &self.ctx.id));
        }

        let stored = self.stored(fk)?;
        if let Some(done) = self.stored_holdout(feature, stored.as_ref())? {
            return Ok(done);
        }

        let mut enabled = false;
        let mut variables = Arc::clone(&NO_VARIABLES);
        let mut check_experiments = false;
        let mut not_in_holdouts: Vec<Value> = Vec::new();

        if let Some(rec) = stored.as_ref() {
            if python::truthy_opt(rec.get("experimentVariationId")) {
                if let Some(ek) = rec.get("experimentKey") {
                    let evid = &rec["experimentVariationId"];
                    if let Some(vr) = ek.as_str().and_then(|k| variation_by_campaign_key(s, k, evid)) {
                        self.served_experiment = Some(vr);
                        return self.stored_experiment(feature, rec, s.variation(vr));
                    }
                }
            } else if python::truthy_opt(rec.get("rolloutKey")) && python::truthy_opt(rec.get("rolloutId")) {
                let rvid = rec
                    .get("rolloutVariationId")
                    .ok_or_else(|| EvalError("stored rollout decision has no rolloutVariationId".into()))?;
                let rk = rec["rolloutKey"].as_str().unwrap_or_default();
                if let Some(vr) = variation_by_campaign_key(s, rk, rvid) {
                    let v = s.variation(vr);
                    self.served_rollout = Some(vr);
                    let feature = feature.ok_or_else(|| EvalError(format!("no feature with key {fk}")))?;
                    self.step(|| Step::StoredDecision {
                        kind: "rollout",
                        key: rk.to_string(),
                        variation: python::str_of(rvid).into_owned(),
                    });
                    self.decision_set("isUserPartOfCampaign", || Value::Bool(true));
                    not_in_holdouts = self.holdout_catch_up(feature, Some(rec))?;
                    enabled = true;
                    variables = Arc::clone(&v.variables);
                    check_experiments = true;
                    self.own_rollout_evaluated = true;
                    self.passed_rollout = Some(PassedRule::Stored {
                        id: rec["rolloutId"].clone(),
                        key: rec["rolloutKey"].clone(),
                        variation_id: rvid.clone(),
                    });
                }
            }
        }

        let (Some(feature_idx), Some(feature)) = (feature_idx, feature) else {
            let msg = format!("Feature not found for the key:{fk}");
            self.error_event("FEATURE_NOT_FOUND", msg, true);
            if s.is_mau && !self.fired {
                self.effects.push(Effect::UsageTracking);
            }
            return Ok((false, variables, Reason::FeatureNotFound));
        };

        self.contextual_data(feature);

        if !enabled {
            let held = self.matched_holdouts(feature, stored.as_ref())?;
            let any_matched = !held.matched.is_empty();
            self.decision_set("isPartOfHoldout", || Value::Bool(any_matched));
            if any_matched || !held.unmatched.is_empty() {
                self.decision_set("isHoldoutPresent", || Value::Bool(true));
            }
            if any_matched {
                let in_ids: Vec<Value> = held.matched.iter().map(|h| h.id.clone()).collect();
                let out_ids: Vec<Value> = held.unmatched.iter().map(|h| h.id.clone()).collect();
                self.decision_set("holdoutIDs", || Value::Array(in_ids.clone()));
                self.info(|| format!("User is in holdout for feature:{fk}"));
                self.write_storage(
                    fk,
                    &[
                        ("isInHoldoutId", Value::Array(in_ids)),
                        ("notInHoldoutId", Value::Array(out_ids)),
                    ],
                );
                self.decision_set("isEnabled", || Value::Bool(false));
                self.push_integration();
                self.impressions_now(held.impressions);
                return Ok((false, Arc::clone(&NO_VARIABLES), Reason::Holdout));
            }
            not_in_holdouts.extend(held.unmatched.iter().map(|h| h.id.clone()));
            for imp in held.impressions {
                self.impression(imp);
            }
        }

        if feature.has_rollout_rules && !enabled {
            let mut selected = None;
            for r in feature.linked.iter().filter(|r| r.kind == CampaignType::Rollout) {
                let mut fresh: MegWinners = Vec::new();
                if self.evaluate_rule(feature_idx, r, &mut fresh, true, 0)?.passed {
                    self.own_rollout_evaluated = true;
                    selected = Some(r);
                    break;
                }
            }
            if let Some(r) = selected {
                if let Some(vi) = self.traffic_and_variation(r)? {
                    let c = s.campaign_of(r);
                    let v = &c.variations[vi];
                    self.served_rollout = Some(VariationRef {
                        campaign: r.campaign,
                        variation: vi,
                    });
                    enabled = true;
                    self.decision_set("isUserPartOfCampaign", || Value::Bool(true));
                    variables = Arc::clone(&v.variables);
                    check_experiments = true;
                    self.passed_rollout = Some(PassedRule::Rule {
                        id: &c.id,
                        key: &r.rollout_key,
                        variation_id: &v.id,
                    });
                    self.decision_update_passed(true, true);
                    self.impression(Eval::rule_impression(&c.id, v));
                }
            }
        }
        if !feature.has_rollout_rules {
            self.debug(|| "No rollout rules: evaluating experiments".to_string());
            check_experiments = true;
        }

        if check_experiments {
            let mut winners: MegWinners = Vec::new();
            let mut selected = None;
            for r in feature
                .linked
                .iter()
                .filter(|r| matches!(r.kind, CampaignType::Ab | CampaignType::Personalize))
            {
                let outcome = self.evaluate_rule(feature_idx, r, &mut winners, true, 0)?;
                if !outcome.passed {
                    continue;
                }
                match outcome.whitelisted {
                    None => selected = Some(r),
                    Some(wl) => {
                        let c = s.campaign_of(r);
                        let v = &c.variations[wl.variation];
                        self.served_experiment = Some(VariationRef {
                            campaign: r.campaign,
                            variation: wl.variation,
                        });
                        self.impression(Eval::rule_impression(&c.id, v));
                        enabled = true;
                        self.decision_set("isUserPartOfCampaign", || Value::Bool(true));
                        variables = Arc::clone(&v.variables);
                        self.passed_experiment = Some(PassedRule::Rule {
                            id: &c.id,
                            key: &r.experiment_key,
                            variation_id: &v.id,
                        });
                    }
                }
                break;
            }
            if let Some(r) = selected {
                if let Some(vi) = self.traffic_and_variation(r)? {
                    let c = s.campaign_of(r);
                    let v = &c.variations[vi];
                    self.served_experiment = Some(VariationRef {
                        campaign: r.campaign,
                        variation: vi,
                    });
                    enabled = true;
                    self.decision_set("isUserPartOfCampaign", || Value::Bool(true));
                    variables = Arc::clone(&v.variables);
                    self.passed_experiment = Some(PassedRule::Rule {
                        id: &c.id,
                        key: &r.experiment_key,
                        variation_id: &v.id,
                    });
                    self.decision_update_passed(true, true);
                    self.impression(Eval::rule_impression(&c.id, v));
                }
            }
        }

        self.finish(feature, enabled, not_in_holdouts);
        Ok((enabled, variables, Reason::Evaluated))
    }

    /// §8.2(a): a stored holdout decision for a holdout that still applies.
    fn stored_holdout(
        &mut self,
        feature: Option<&'a Feature>,
        stored: Option<&Map<String, Value>>,
    ) -> EvalResult<Option<Outcome>> {
        let Some(rec) = stored else { return Ok(None) };
        let mut stored_in = stored_ids(Some(rec), "isInHoldoutId")?;
        if stored_in.is_empty() {
            stored_in = stored_ids(Some(rec), "holdoutGroupId")?;
        }
        let stored_not = stored_ids(Some(rec), "notInHoldoutId")?;
        if stored_in.is_empty() && stored_not.is_empty() {
            return Ok(None);
        }
        let feature = feature.ok_or_else(|| EvalError(format!("no feature with key {}", self.feature_key)))?;
        let s = self.s;
        if !s
            .holdouts
            .iter()
            .filter(|h| h.applies_to(&feature.id))
            .any(|h| contains(&stored_in, &h.id))
        {
            return Ok(None);
        }
        self.step(|| Step::StoredDecision {
            kind: "holdout",
            key: format!("{stored_in:?}"),
            variation: "1 (in holdout)".into(),
        });
        self.info(|| "Stored holdout decision found".to_string());
        let held = self.matched_holdouts(feature, Some(rec))?;
        let mut in_ids = stored_in;
        in_ids.extend(held.matched.iter().map(|h| h.id.clone()));
        let mut out_ids = stored_not;
        out_ids.extend(held.unmatched.iter().map(|h| h.id.clone()));
        self.write_storage(
            self.feature_key,
            &[
                ("isInHoldoutId", Value::Array(in_ids)),
                ("notInHoldoutId", Value::Array(out_ids)),
            ],
        );
        self.impressions_now(held.impressions);
        if s.is_mau && !self.fired {
            self.effects.push(Effect::UsageTracking);
        }
        Ok(Some((false, Arc::clone(&NO_VARIABLES), Reason::StoredHoldout)))
    }

    /// §8.2(b): a stored experiment decision is served as is.
    fn stored_experiment(
        &mut self,
        feature: Option<&'a Feature>,
        rec: &Map<String, Value>,
        v: &'a Variation,
    ) -> RunResult {
        let feature = feature.ok_or_else(|| EvalError(format!("no feature with key {}", self.feature_key)))?;
        let key = python::str_of(&rec["experimentKey"]).into_owned();
        self.step(|| Step::StoredDecision {
            kind: "experiment",
            key,
            variation: v.name.clone(),
        });
        self.holdout_catch_up(feature, Some(rec))?;
        if self.s.is_mau && !self.fired {
            self.effects.push(Effect::UsageTracking);
        }
        Ok((true, Arc::clone(&v.variables), Reason::StoredExperiment))
    }

    /// §8.4: asks the gateway for user-agent and location data when a segment needs it.
    fn contextual_data(&mut self, feature: &Feature) {
        let ctx = self.ctx;
        if !self.opts.gateway || ctx.gateway.is_some() {
            return;
        }
        if ctx.user_agent.as_deref().unwrap_or("").is_empty() && ctx.ip_address.as_deref().unwrap_or("").is_empty() {
            return;
        }
        if !(feature.needs_gateway || self.s.holdouts_need_gateway) {
            return;
        }
        let ua = ctx.user_agent.as_deref().filter(|x| !x.is_empty());
        let ip = ctx.ip_address.as_deref().filter(|x| !x.is_empty());
        match self.env.user_details(ua, ip) {
            Ok(data) => self.fetched_gateway = Some(data),
            Err(e) => {
                let msg = format!("Error in setting contextual data for segmentation. Error: {e}");
                self.error_event("ERROR_SETTING_SEGMENTATION_CONTEXT", msg, false);
            }
        }
    }

    fn push_integration(&mut self) {
        if !self.opts.integrations {
            return;
        }
        if let Some(d) = self.decision.clone() {
            self.effects.push(Effect::Integration(d));
        }
    }

    /// §8.11: storage write, integration callback, debug decision event, impact impression,
    /// the batch, usage tracking.
    fn finish(&mut self, feature: &Feature, enabled: bool, not_in_holdouts: Vec<Value>) {
        let fk = self.feature_key;
        let not_in = Value::Array(not_in_holdouts);
        if !self.opts.storage {
            // Nothing to store: skip building the record.
        } else if enabled {
            let mut fields: Vec<(&str, Value)> = Vec::with_capacity(7);
            if let Some((id, key, vid)) = self.passed_rollout.as_ref().map(PassedRule::values) {
                fields.push(("rolloutId", id));
                fields.push(("rolloutKey", key));
                fields.push(("rolloutVariationId", vid));
            }
            if let Some((id, key, vid)) = self.passed_experiment.as_ref().map(PassedRule::values) {
                fields.push(("experimentId", id));
                fields.push(("experimentKey", key));
                fields.push(("experimentVariationId", vid));
            }
            fields.push(("notInHoldoutId", not_in));
            self.write_storage(fk, &fields);
        } else {
            self.write_storage(fk, &[("notInHoldoutId", not_in)]);
        }
        self.push_integration();
        if feature.is_debugger_enabled {
            let msg = decision_message(fk, self.decision.as_ref());
            let mut props = Map::new();
            props.insert("an".into(), Value::from("getFlag"));
            props.insert("fk".into(), Value::from(fk));
            props.insert("cg".into(), Value::from("decision"));
            props.insert("lt".into(), Value::from("info"));
            props.insert("msg_t".into(), Value::from("FLAG_DECISION_GIVEN"));
            props.insert("msg".into(), Value::from(msg));
            self.effects.push(Effect::Debug(DebugEvent { props }));
        }
        if let Some(impact) = &feature.impact_campaign_id {
            self.info(|| {
                format!(
                    "Impact analysis for feature:{fk}: {}",
                    if enabled { "enabled" } else { "disabled" }
                )
            });
            let variation = Shown::Text(Arc::clone(if enabled { &IMPACT_ON } else { &IMPACT_OFF }));
            self.impression(super::decision::Impression {
                campaign_id: impact.clone(),
                variation,
                holdout_feature_id: None,
            });
        }
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            self.effects.push(Effect::Impressions(batch));
        }
        if self.s.is_mau && !self.fired {
            self.effects.push(Effect::UsageTracking);
        }
        if self.env.log_enabled(LogLevel::Info) {
            let m = format!(
                "Decision for feature:{fk}: {}",
                if enabled { "enabled" } else { "disabled" }
            );
            self.env.log(LogLevel::Info, &m);
        }
    }
}

fn initial_decision(feature: Option<&Feature>, user_id: &str) -> Map<String, Value> {
    let mut d = Map::with_capacity(16);
    d.insert(
        "featureName".into(),
        feature.map(|f| f.name.clone()).unwrap_or(Value::Null),
    );
    d.insert("featureId".into(), feature.map(|f| f.id.clone()).unwrap_or(Value::Null));
    d.insert(
        "featureKey".into(),
        feature.map(|f| Value::from(f.key.as_str())).unwrap_or(Value::Null),
    );
    d.insert("userId".into(), Value::from(user_id));
    d.insert("api".into(), Value::from("getFlag"));
    d.insert("holdoutIDs".into(), Value::Array(Vec::new()));
    d.insert("isPartOfHoldout".into(), Value::Bool(false));
    d.insert("isHoldoutPresent".into(), Value::Bool(false));
    d.insert("isUserPartOfCampaign".into(), Value::Bool(false));
    d
}

/// The `msg` of the `FLAG_DECISION_GIVEN` debug event.
fn decision_message(fk: &str, decision: Option<&Map<String, Value>>) -> String {
    let mut msg = format!("Flag decision given for feature:{fk}.");
    let get = |k: &str| decision.and_then(|d| d.get(k)).filter(|v| python::truthy(v));
    let strip = |v: &Value| {
        let s = python::str_of(v).into_owned();
        let prefix = format!("{fk}_");
        match (v.as_str(), s.strip_prefix(&prefix)) {
            (Some(_), Some(rest)) => rest.to_string(),
            _ => s,
        }
    };
    if let (Some(k), Some(v)) = (get("rolloutKey"), get("rolloutVariationId")) {
        msg.push_str(&format!(
            " Got rollout:{} with variation:{}",
            strip(k),
            python::str_of(v)
        ));
    }
    if let (Some(k), Some(v)) = (get("experimentKey"), get("experimentVariationId")) {
        msg.push_str(&format!(
            " and experiment:{} with variation:{}",
            strip(k),
            python::str_of(v)
        ));
    }
    msg
}
