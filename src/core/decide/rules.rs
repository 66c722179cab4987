//! `evaluate_rule`: whitelisting, pre-segmentation and the mutually-exclusive-group gate of
//! one rule (§8.8, §8.9).

use serde_json::Value;

use super::bucketing;
use super::eval::{Eval, EvalError, EvalResult, UidKind};
use super::trace::Step;
use super::traffic::{hash_key, rule_label};
use crate::core::python;
use crate::core::settings::{ranges, CampaignType, LinkedRule, Segments};

/// Group winners decided earlier in this call, by group id (`meg_group_winner_campaigns`):
/// a campaign id for A/B winners, `"cid_vid"` for personalize winners, `-1` for none.
pub(super) type MegWinners = Vec<(String, Value)>;

/// A variation chosen by whitelisting.
#[derive(Debug, Clone, Copy)]
pub(super) struct Whitelisted {
    /// Index into the campaign's variations.
    pub variation: usize,
}

/// The outcome of `evaluate_rule`.
pub(super) struct RuleOutcome {
    pub passed: bool,
    pub whitelisted: Option<Whitelisted>,
}

const MEG_META_PREFIX: &str = "_vwo_meta_meg_";

impl<'a> Eval<'a> {
    /// Whitelisting, pre-segmentation and MEG for `rule` of the feature `feature_idx`.
    /// `main` says whether this evaluation belongs to the flag being decided (its
    /// integration payload records the variables the SDK injected).
    pub(super) fn evaluate_rule(
        &mut self,
        feature_idx: usize,
        rule: &'a LinkedRule,
        winners: &mut MegWinners,
        main: bool,
        depth: usize,
    ) -> EvalResult<RuleOutcome> {
        let s = self.s;
        let c = s.campaign_of(rule);
        let uid = if c.is_user_list_enabled {
            UidKind::Uuid
        } else {
            UidKind::Id
        };
        if c.kind == CampaignType::Ab {
            self.vtv_uid = Some(uid);
            if main && self.decision.is_some() {
                let v = self.vars_with_uid(&self.ctx.variation_targeting_variables, uid);
                self.decision_set("variation_targeting_variables", || v);
            }
            if c.is_forced_variation_enabled {
                if let Some(wl) = self.whitelisting(rule)? {
                    if main {
                        let v = &c.variations[wl.variation];
                        self.decision_set("experimentId", || c.id.clone());
                        self.decision_set("experimentKey", || Value::from(rule.experiment_key.as_str()));
                        self.decision_set("experimentVariationId", || v.id.clone());
                    }
                    return Ok(RuleOutcome {
                        passed: true,
                        whitelisted: Some(wl),
                    });
                }
            } else {
                self.info(|| format!("Whitelisting is not used for rule:{}", rule_label(c, rule)));
            }
        }
        self.cv_uid = Some(uid);
        if main && self.decision.is_some() {
            let v = self.vars_with_uid(&self.ctx.custom_variables, uid);
            self.decision_set("custom_variables", || v);
        }

        let group_id = match s.campaign_groups.get(&rule.group_key) {
            Some(g) => {
                if !s.groups.contains_key(g) {
                    return Err(EvalError(format!(
                        "campaignGroups points {} at missing group {g}",
                        rule.group_key
                    )));
                }
                Some(g.clone())
            }
            None => None,
        };
        let this_cid_vid = || -> EvalResult<String> {
            rule.cid_vid
                .clone()
                .ok_or_else(|| EvalError(format!("campaign {} has no variations", c.key)))
        };

        if let Some(gid) = &group_id {
            let known = winners.iter().find(|(g, _)| g == gid).map(|(_, w)| w.clone());
            if let Some(winner) = known.filter(python::truthy) {
                let won = match c.kind {
                    CampaignType::Ab => python::eq(&winner, &c.id),
                    CampaignType::Personalize => winner.as_str() == Some(this_cid_vid()?.as_str()),
                    _ => false,
                };
                self.step(|| Step::MegKnown {
                    group: gid.clone(),
                    source: "decided earlier in this call",
                    winner: python::str_of(&winner).into_owned(),
                });
                return Ok(RuleOutcome {
                    passed: won,
                    whitelisted: None,
                });
            }
            if let Some(meta) = self.stored(&format!("{MEG_META_PREFIX}{gid}"))? {
                let exp_key = meta.get("experimentKey").filter(|v| python::truthy(v));
                let exp_id = meta.get("experimentId").filter(|v| python::truthy(v));
                if let (Some(ek), Some(eid)) = (exp_key, exp_id) {
                    let ek = python::str_of(ek).into_owned();
                    let ctx_id = self.ctx.id.clone();
                    // INFO in the official SDK; DEBUG here because it names the user.
                    self.debug(|| format!("Campaign {ek} found in storage for user ID:{ctx_id}"));
                    let evid = meta.get("experimentVariationId").cloned().unwrap_or(Value::Null);
                    let winner_str = python::str_of(eid).into_owned();
                    self.step(|| Step::MegKnown {
                        group: gid.clone(),
                        source: "stored group decision",
                        winner: format!("{winner_str} (variation {})", python::str_of(&evid)),
                    });
                    if python::eq(eid, &c.id) {
                        if c.kind == CampaignType::Personalize {
                            let first = s.rule_variation(rule, 0).map(|v| &v.id);
                            if first.is_some_and(|f| python::eq(&evid, f)) {
                                return Ok(RuleOutcome {
                                    passed: true,
                                    whitelisted: None,
                                });
                            }
                            let first_id = first.map(|f| python::str_of(f).into_owned()).unwrap_or_default();
                            set_winner(winners, gid, Value::String(format!("{winner_str}_{first_id}")));
                            return Ok(RuleOutcome {
                                passed: false,
                                whitelisted: None,
                            });
                        }
                        return Ok(RuleOutcome {
                            passed: true,
                            whitelisted: None,
                        });
                    }
                    let w = if python::eq(&evid, &Value::from(-1)) {
                        eid.clone()
                    } else {
                        Value::String(format!("{winner_str}_{}", python::str_of(&evid)))
                    };
                    set_winner(winners, gid, w);
                    return Ok(RuleOutcome {
                        passed: false,
                        whitelisted: None,
                    });
                }
            }
        }

        let pre = self.pre_segmentation(rule)?;
        let Some(gid) = group_id.filter(|_| pre) else {
            return Ok(RuleOutcome {
                passed: pre,
                whitelisted: None,
            });
        };
        if depth > 8 {
            return Err(EvalError("mutually exclusive groups nest too deeply".into()));
        }
        let feature = &s.features[feature_idx];
        let winner = self.evaluate_group(feature, &gid, depth + 1)?;
        let passed = match winner {
            Some((wf, wi)) => {
                let wrule = &s.features[wf].linked[wi];
                let wc = s.campaign_of(wrule);
                if python::eq(&wc.id, &c.id) {
                    if wc.kind == CampaignType::Ab {
                        true
                    } else {
                        let wfirst = s.rule_variation(wrule, 0).map(|v| &v.id);
                        let first = s.rule_variation(rule, 0).map(|v| &v.id);
                        if matches!((wfirst, first), (Some(a), Some(b)) if python::eq(a, b)) {
                            true
                        } else {
                            set_winner(winners, &gid, winner_value(s, wrule)?);
                            false
                        }
                    }
                } else {
                    set_winner(winners, &gid, winner_value(s, wrule)?);
                    false
                }
            }
            None => {
                set_winner(winners, &gid, Value::from(-1));
                false
            }
        };
        Ok(RuleOutcome {
            passed,
            whitelisted: None,
        })
    }

    /// Pre-segmentation of a rule: the first variation's segments for rollout and
    /// personalize rules, the campaign's for A/B. An empty object passes.
    pub(super) fn pre_segmentation(&mut self, rule: &'a LinkedRule) -> EvalResult<bool> {
        let s = self.s;
        let c = s.campaign_of(rule);
        let segments = match rule.kind {
            CampaignType::Rollout | CampaignType::Personalize => match s.rule_variation(rule, 0) {
                Some(v) => &v.segments,
                None => return Err(EvalError(format!("campaign {} has no variations", c.key))),
            },
            CampaignType::Ab => &c.segments,
            CampaignType::Other(_) => return Ok(false),
        };
        let (result, label) = match segments {
            Segments::Empty => (true, "skipped (no segments)"),
            Segments::Dsl(seg) | Segments::NotObject(seg) => {
                let uid = self.cv_uid;
                let r = self.segment(seg, false, uid)?;
                (r, if r { "passed" } else { "failed" })
            }
        };
        self.step(|| Step::Rule {
            rule: rule_label(c, rule),
            kind: c.kind.as_str().to_string(),
            segmentation: label.to_string(),
        });
        Ok(result)
    }

    /// Whitelisting (§8.9): the variations whose segments match the variation targeting
    /// variables; several are split by a variation bucket over their normalised weights.
    fn whitelisting(&mut self, rule: &'a LinkedRule) -> EvalResult<Option<Whitelisted>> {
        let s = self.s;
        let c = s.campaign_of(rule);
        let mut matched: Vec<usize> = Vec::new();
        for &vi in &rule.variations {
            let v = &c.variations[vi];
            let Segments::Dsl(seg) = &v.segments else {
                continue;
            };
            let uid = self.vtv_uid;
            if self.segment(seg, true, uid)? {
                matched.push(vi);
            }
        }
        let chosen = match matched.len() {
            0 => None,
            1 => Some(matched[0]),
            _ => {
                let mut weights = Vec::with_capacity(matched.len());
                for &vi in &matched {
                    let v = &c.variations[vi];
                    weights.push(v.weight.ok_or_else(|| {
                        EvalError(format!("variation {} of {} has a non-numeric weight", v.name, c.key))
                    })?);
                }
                let ranges = ranges::ab_ranges(ranges::normalise(&weights));
                let key = hash_key(&[c.salt_or_id(), self.ctx.bucketing_id()]);
                let bucket = bucketing::variation_bucket(&key);
                let pick = ranges.iter().position(|&(st, en)| st <= bucket && bucket <= en);
                self.step(|| Step::Variation {
                    rule: format!("{} (whitelisting tie-break)", rule_label(c, rule)),
                    hash_key: key,
                    bucket,
                    ranges: matched
                        .iter()
                        .zip(&ranges)
                        .map(|(&vi, &(st, en))| (c.variations[vi].name.clone(), st, en))
                        .collect(),
                    chosen: pick.map(|p| c.variations[matched[p]].name.clone()),
                });
                pick.map(|p| matched[p])
            }
        };
        self.step(|| Step::Whitelisting {
            rule: rule_label(c, rule),
            variation: chosen.map(|vi| c.variations[vi].name.clone()),
        });
        Ok(chosen.map(|variation| Whitelisted { variation }))
    }
}

fn set_winner(winners: &mut MegWinners, gid: &str, w: Value) {
    match winners.iter_mut().find(|(g, _)| g == gid) {
        Some(slot) => slot.1 = w,
        None => winners.push((gid.to_string(), w)),
    }
}

/// How a group winner is remembered: its campaign id for A/B, `"cid_vid"` otherwise.
fn winner_value(s: &crate::core::settings::Snapshot, rule: &LinkedRule) -> EvalResult<Value> {
    let c = s.campaign_of(rule);
    if c.kind == CampaignType::Ab {
        Ok(c.id.clone())
    } else {
        rule.cid_vid
            .clone()
            .map(Value::String)
            .ok_or_else(|| EvalError(format!("campaign {} has no variations", c.key)))
    }
}
