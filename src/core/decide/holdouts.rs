//! Holdouts (§9): membership, the stored-decision catch-up, and their impressions.

use serde_json::{Map, Value};

use super::bucketing;
use super::decision::{Impression, Shown};
use super::eval::{Eval, EvalError, EvalResult};
use super::trace::Step;
use super::traffic::hash_key;
use crate::core::python;
use crate::core::settings::{Feature, Holdout};

/// Impression variation for a user in a holdout.
pub(super) const IN_HOLDOUT: i64 = 1;
/// Impression variation for a user not in a holdout.
pub(super) const NOT_IN_HOLDOUT: i64 = 2;

/// The result of evaluating a feature's holdouts.
#[derive(Default)]
pub(super) struct HoldoutResult<'a> {
    pub matched: Vec<&'a Holdout>,
    pub unmatched: Vec<&'a Holdout>,
    pub impressions: Vec<Impression>,
}

/// A list of ids stored under `key` (`isInHoldoutId` and friends); a falsy value is an
/// empty list, anything else that is not a list makes the official SDK fail.
pub(super) fn stored_ids(rec: Option<&Map<String, Value>>, key: &str) -> EvalResult<Vec<Value>> {
    match rec.and_then(|r| r.get(key)) {
        None => Ok(Vec::new()),
        Some(v) if !python::truthy(v) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(other) => Err(EvalError(format!("stored {key} is not a list: {other}"))),
    }
}

pub(super) fn contains(list: &[Value], id: &Value) -> bool {
    list.iter().any(|x| python::eq(x, id))
}

pub(super) fn holdout_impression(h: &Holdout, feature: &Feature, variation: i64) -> Impression {
    Impression {
        campaign_id: h.id.clone(),
        variation: Shown::Number(variation),
        holdout_feature_id: Some(feature.id.clone()),
    }
}

impl<'a> Eval<'a> {
    /// `get_matched_holdouts`: evaluates the applicable holdouts not decided before (per the
    /// stored `isInHoldoutId` / `notInHoldoutId`), each producing an impression.
    pub(super) fn matched_holdouts(
        &mut self,
        feature: &'a Feature,
        stored: Option<&Map<String, Value>>,
    ) -> EvalResult<HoldoutResult<'a>> {
        let mut decided = stored_ids(stored, "isInHoldoutId")?;
        decided.extend(stored_ids(stored, "notInHoldoutId")?);
        let mut out = HoldoutResult::default();
        let s = self.s;
        for h in s.holdouts.iter().filter(|h| h.applies_to(&feature.id)) {
            if contains(&decided, &h.id) {
                self.debug(|| format!("Holdout {} already evaluated for this user; skipping", h.id_str));
                continue;
            }
            let segmentation = match &h.segments {
                Some(seg) => {
                    let uid = self.cv_uid;
                    Some(self.segment(seg, false, uid)?)
                }
                None => None,
            };
            let (bucket, in_holdout) = if segmentation == Some(false) {
                (None, false)
            } else {
                let key = hash_key(&[&s.account_id_str, &h.id_str, &self.ctx.id]);
                let b = bucketing::traffic_bucket(&key);
                (Some(b), b != 0 && (b as f64) <= h.percent_traffic)
            };
            self.step(|| Step::Holdout {
                id: h.id_str.clone(),
                segmentation,
                bucket,
                percent_traffic: h.percent_traffic,
                in_holdout,
            });
            if in_holdout {
                out.matched.push(h);
            } else {
                out.unmatched.push(h);
            }
            let variation = if in_holdout { IN_HOLDOUT } else { NOT_IN_HOLDOUT };
            out.impressions.push(holdout_impression(h, feature, variation));
        }
        Ok(out)
    }

    /// `send_network_calls_for_not_in_holdouts` (§9.4): on a stored-decision path, holdouts
    /// added since the decision was stored are recorded as "not in" without evaluation.
    /// Returns the updated not-in list.
    pub(super) fn holdout_catch_up(
        &mut self,
        feature: &'a Feature,
        stored: Option<&Map<String, Value>>,
    ) -> EvalResult<Vec<Value>> {
        let mut not_in = stored_ids(stored, "notInHoldoutId")?;
        let is_in = stored_ids(stored, "isInHoldoutId")?;
        let initial = not_in.len();
        let mut imps = Vec::new();
        let mut any = false;
        let s = self.s;
        for h in s.holdouts.iter().filter(|h| h.applies_to(&feature.id)) {
            any = true;
            if !contains(&not_in, &h.id) && !contains(&is_in, &h.id) {
                not_in.push(h.id.clone());
                imps.push(holdout_impression(h, feature, NOT_IN_HOLDOUT));
            }
        }
        if any {
            self.decision_set("isHoldoutPresent", || Value::Bool(true));
        }
        if not_in.len() > initial {
            let list = Value::Array(not_in.clone());
            self.write_storage(&feature.key, &[("notInHoldoutId", list)]);
        }
        self.impressions_now(imps);
        Ok(not_in)
    }
}
