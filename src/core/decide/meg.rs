//! Mutually exclusive groups (§8.10): which campaign of a group a user may see.

use serde_json::Value;

use super::bucketing;
use super::eval::{Eval, EvalError, EvalResult};
use super::rules::MegWinners;
use super::trace::Step;
use super::traffic::{hash_key, rule_label};
use crate::core::python;
use crate::core::settings::{ranges, CampaignType, Feature, LinkedRule, Snapshot};

/// A rule of some feature: `(feature index, linked rule index)`.
pub(super) type RuleRef = (usize, usize);

const MEG_META_PREFIX: &str = "_vwo_meta_meg_";

/// Python's `int(s)` for the group member strings (`"12"`, `" 12 "`, `"+12"`, `"1_000"`).
fn py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = clean.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Experiment key of a rule as seen from feature `feature_key` (`{fk}_{ruleKey}` for
/// personalize rules, the campaign key otherwise).
fn experiment_key_for(s: &Snapshot, rule: &LinkedRule, feature_key: &str) -> String {
    let c = s.campaign_of(rule);
    match (&c.kind, rule.rule_key.as_deref()) {
        (CampaignType::Personalize, Some(rk)) if !rk.is_empty() => {
            let fk = if feature_key.is_empty() {
                c.key.rsplit_once('_').map(|(a, _)| a).unwrap_or(&c.key)
            } else {
                feature_key
            };
            format!("{fk}_{rk}")
        }
        _ => c.key.clone(),
    }
}

impl<'a> Eval<'a> {
    /// `evaluate_groups`: the winner of group `gid` for this user, if any. A winner drawn
    /// by an algorithm counts only if it belongs to `feature`; a single eligible campaign
    /// wins whatever feature it belongs to (the caller compares it with its own campaign).
    pub(super) fn evaluate_group(
        &mut self,
        feature: &'a Feature,
        gid: &str,
        depth: usize,
    ) -> EvalResult<Option<RuleRef>> {
        let s = self.s;
        let group = s.groups.get(gid);
        let members: &[String] = group.map(|g| g.campaigns.as_slice()).unwrap_or(&[]);

        // The features involved, in the official SDK's order (and with its duplicates: a
        // feature with two rules on one member campaign is listed twice).
        let mut feature_keys: Vec<usize> = Vec::new();
        for m in members {
            let mut parts = m.split('_');
            let cid = parts
                .next()
                .and_then(py_int)
                .ok_or_else(|| EvalError(format!("bad group member {m:?}")))?;
            let vid = match parts.next() {
                Some(p) => Some(py_int(p).ok_or_else(|| EvalError(format!("bad group member {m:?}")))?),
                None => None,
            };
            let (cid, vid) = (Value::from(cid), vid.map(Value::from));
            for (fi, f) in s.features.iter().enumerate() {
                if feature_keys.iter().any(|&k| s.features[k].key == f.key) {
                    continue;
                }
                for r in &f.rules {
                    if python::eq(&r.campaign_id, &cid) {
                        match &vid {
                            Some(v) => {
                                if r.variation_id.as_ref().is_some_and(|rv| python::eq(rv, v)) {
                                    feature_keys.push(fi);
                                }
                            }
                            None => feature_keys.push(fi),
                        }
                    }
                }
            }
        }

        let mut skipped: Vec<usize> = Vec::new();
        let mut candidates: Vec<(usize, Vec<usize>)> = Vec::new();
        for fi in feature_keys {
            let f = &s.features[fi];
            if skipped.iter().any(|&k| s.features[k].key == f.key) {
                continue;
            }
            let stored = self.stored(&f.key)?;
            let in_ids = stored.as_ref().and_then(|r| {
                r.get("isInHoldoutId")
                    .filter(|v| python::truthy(v))
                    .or_else(|| r.get("holdoutGroupId"))
            });
            if in_ids.is_some_and(python::truthy) {
                skipped.push(fi);
                continue;
            }
            let held = self.matched_holdouts(f, stored.as_ref())?;
            if !held.matched.is_empty() {
                skipped.push(fi);
                let ids = Value::Array(held.matched.iter().map(|h| h.id.clone()).collect());
                self.write_storage(&f.key, &[("isInHoldoutId", ids)]);
                continue;
            }
            if !self.rollout_gate(fi, &mut skipped, depth)? {
                continue;
            }
            for (li, r) in f.linked.iter().enumerate() {
                let c = s.campaign_of(r);
                let in_group = members.contains(&c.id_str)
                    || match &r.cid_vid {
                        Some(cv) => members.contains(cv),
                        None => return Err(EvalError(format!("campaign {} has no variations", c.key))),
                    };
                if !in_group {
                    continue;
                }
                let slot = match candidates.iter().position(|(k, _)| s.features[*k].key == f.key) {
                    Some(p) => p,
                    None => {
                        candidates.push((fi, Vec::new()));
                        candidates.len() - 1
                    }
                };
                let owner = candidates[slot].0;
                let dup = candidates[slot]
                    .1
                    .iter()
                    .any(|&ol| s.features[owner].linked[ol].rule_key == r.rule_key);
                if !dup {
                    candidates[slot].1.push(li);
                }
            }
        }

        // Eligibility.
        let mut eligible: Vec<RuleRef> = Vec::new();
        let mut with_storage: Vec<RuleRef> = Vec::new();
        for (fi, rules) in &candidates {
            let f = &s.features[*fi];
            for &li in rules {
                let r = &f.linked[li];
                let stored = self.stored(&f.key)?;
                if let Some(rec) = stored
                    .as_ref()
                    .filter(|r| python::truthy_opt(r.get("experimentVariationId")))
                {
                    let ck = experiment_key_for(s, r, &f.key);
                    if rec.get("experimentKey").and_then(Value::as_str) == Some(ck.as_str()) {
                        let evid = rec.get("experimentVariationId").cloned().unwrap_or(Value::Null);
                        if super::flag::variation_by_campaign_key(s, &ck, &evid).is_some() {
                            self.info(|| format!("Campaign {ck} found in storage for this user"));
                            let already = with_storage
                                .iter()
                                .any(|&(wf, wl)| experiment_key_for(s, &s.features[wf].linked[wl], &f.key) == ck);
                            if !already {
                                with_storage.push((*fi, li));
                            }
                            continue;
                        }
                    }
                }
                if self.pre_segmentation(r)? && self.in_traffic(r)? {
                    eligible.push((*fi, li));
                }
            }
        }

        self.pick_winner(feature, gid, &eligible, &with_storage)
    }

    /// The rollout gate of a feature in a group: a rollout passed earlier in this call, or
    /// one passes now (segmentation and traffic), or the feature has no rollout rules.
    fn rollout_gate(&mut self, fi: usize, skipped: &mut Vec<usize>, depth: usize) -> EvalResult<bool> {
        let s = self.s;
        let f = &s.features[fi];
        if (self.own_rollout_evaluated && f.key == self.feature_key)
            || self.evaluated_rollouts.iter().any(|k| *k == f.key)
        {
            return Ok(true);
        }
        if !f.has_rollout_rules {
            self.info(|| format!("No rollout rule found for feature:{}; evaluating experiments", f.key));
            return Ok(true);
        }
        for r in f.linked.iter().filter(|r| r.kind == CampaignType::Rollout) {
            let mut fresh: MegWinners = Vec::new();
            let outcome = self.evaluate_rule(fi, r, &mut fresh, false, depth)?;
            if outcome.passed && self.traffic_and_variation(r)?.is_some() {
                self.evaluated_rollouts.push(&f.key);
                return Ok(true);
            }
        }
        skipped.push(fi);
        Ok(false)
    }

    /// `_find_winner_campaign_among_eligible_campaigns`.
    fn pick_winner(
        &mut self,
        feature: &'a Feature,
        gid: &str,
        eligible: &[RuleRef],
        with_storage: &[RuleRef],
    ) -> EvalResult<Option<RuleRef>> {
        let s = self.s;
        let algorithm = s.groups.get(gid).map(|g| g.algorithm.clone()).unwrap_or(Value::from(1));
        let random = python::eq(&algorithm, &Value::from(1));
        let labels = |list: &[RuleRef]| -> Vec<String> {
            list.iter()
                .map(|&(f, l)| {
                    let r = &s.features[f].linked[l];
                    rule_label(s.campaign_of(r), r)
                })
                .collect()
        };
        let pool = if with_storage.is_empty() {
            eligible
        } else {
            with_storage
        };
        let (winner, how) = match pool.len() {
            0 => (None, "no eligible campaign".to_string()),
            1 => (Some(pool[0]), "only eligible campaign".to_string()),
            _ => {
                let (drawn, how) = if random {
                    self.draw(gid, pool, None)?
                } else {
                    self.advanced(gid, pool)?
                };
                (drawn.filter(|&w| self.is_rule_of(&feature.key, w)), how)
            }
        };
        self.step(|| Step::Meg {
            group: gid.to_string(),
            candidates: labels(eligible),
            from_storage: labels(with_storage),
            how,
            winner: winner.map(|(f, l)| {
                let r = &s.features[f].linked[l];
                rule_label(s.campaign_of(r), r)
            }),
        });
        Ok(winner)
    }

    /// Advanced algorithm (`et` 2): the first candidate in priority order, else a weighted
    /// draw among the candidates that have weights.
    fn advanced(&mut self, gid: &str, pool: &[RuleRef]) -> EvalResult<(Option<RuleRef>, String)> {
        let s = self.s;
        let group = s.groups.get(gid);
        let priority: &[String] = group.map(|g| g.priority.as_slice()).unwrap_or(&[]);
        for p in priority {
            for &(f, l) in pool {
                let r = &s.features[f].linked[l];
                let c = s.campaign_of(r);
                if &c.id_str == p || r.cid_vid.as_deref() == Some(p.as_str()) {
                    self.store_group_winner(gid, (f, l))?;
                    return Ok((Some((f, l)), format!("priority {p}")));
                }
            }
        }
        let mut weighted = Vec::new();
        if let Some(g) = group {
            for &(f, l) in pool {
                let r = &s.features[f].linked[l];
                let c = s.campaign_of(r);
                let w = g
                    .weights
                    .get(&c.id_str)
                    .or_else(|| r.cid_vid.as_ref().and_then(|cv| g.weights.get(cv)));
                if let Some(w) = w {
                    let w = w
                        .as_f64()
                        .ok_or_else(|| EvalError(format!("group {gid} weight {w} is not a number")))?;
                    weighted.push(((f, l), w));
                }
            }
        }
        let pool: Vec<RuleRef> = weighted.iter().map(|(r, _)| *r).collect();
        let weights: Vec<f64> = weighted.iter().map(|(_, w)| *w).collect();
        self.draw(gid, &pool, Some(&weights))
    }

    /// A weighted draw by the variation bucket of `"{groupId}_{bucketingId}"` (equal
    /// weights for the random algorithm); the winner is stored as the group's decision.
    fn draw(&mut self, gid: &str, pool: &[RuleRef], weights: Option<&[f64]>) -> EvalResult<(Option<RuleRef>, String)> {
        let ws: Vec<f64> = match weights {
            Some(w) => w.to_vec(),
            None => vec![ranges::meg_equal_weight(pool.len()); pool.len()],
        };
        let rs = ranges::meg_ranges(ws);
        let key = hash_key(&[gid, self.ctx.bucketing_id()]);
        let bucket = bucketing::variation_bucket(&key);
        let pick = rs
            .iter()
            .position(|&(st, en)| st <= bucket && bucket <= en)
            .map(|i| pool[i]);
        let how = format!(
            "{} draw, bucket {bucket} of murmur3 \"{key}\" over {rs:?}",
            if weights.is_some() {
                "weighted (advanced)"
            } else {
                "random"
            }
        );
        match pick {
            Some(w) => {
                self.store_group_winner(gid, w)?;
                Ok((Some(w), how))
            }
            None => Ok((None, how)),
        }
    }

    /// A drawn winner counts only if its campaign is one of `feature_key`'s rules.
    fn is_rule_of(&self, feature_key: &str, (f, l): RuleRef) -> bool {
        let s = self.s;
        let wid = &s.campaign_of(&s.features[f].linked[l]).id;
        s.features
            .iter()
            .filter(|x| x.key == feature_key)
            .flat_map(|x| x.rules.iter())
            .any(|r| python::eq(&r.campaign_id, wid))
    }

    fn store_group_winner(&mut self, gid: &str, (f, l): RuleRef) -> EvalResult<()> {
        let s = self.s;
        let r = &s.features[f].linked[l];
        let c = s.campaign_of(r);
        let vid = if c.kind == CampaignType::Personalize {
            s.rule_variation(r, 0).map(|v| v.id.clone()).unwrap_or(Value::Null)
        } else {
            Value::from(-1)
        };
        let key = format!("{MEG_META_PREFIX}{gid}");
        self.write_storage(
            &key,
            &[
                ("experimentId", c.id.clone()),
                ("experimentKey", Value::from(r.experiment_key_inferred.as_str())),
                ("experimentVariationId", vid),
            ],
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::py_int;

    #[test]
    fn python_int_parsing() {
        assert_eq!(py_int("12"), Some(12));
        assert_eq!(py_int(" 12 "), Some(12));
        assert_eq!(py_int("+7"), Some(7));
        assert_eq!(py_int("-7"), Some(-7));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int("1.0"), None);
        assert_eq!(py_int(""), None);
    }
}
