//! Traffic allocation and variation bucketing of a rule (§6).

use super::bucketing;
use super::eval::{Eval, EvalError, EvalResult};
use super::trace::Step;
use crate::core::settings::{Campaign, CampaignType, LinkedRule};

impl<'a> Eval<'a> {
    /// `is_user_part_of_campaign`: the traffic bucket of `"{salt or id}_{bucketingId}"`
    /// against the rule's allocation (the first variation's weight for rollout and
    /// personalize rules, `percentTraffic` for A/B).
    pub(super) fn in_traffic(&mut self, rule: &'a LinkedRule) -> EvalResult<bool> {
        let s = self.s;
        let c = s.campaign_of(rule);
        let bid = self.ctx.bucketing_id();
        let (salt, allocation) = if rule.kind.uses_first_variation() {
            let first = s
                .rule_variation(rule, 0)
                .ok_or_else(|| EvalError(format!("campaign {} has no variations", c.key)))?;
            let w = first.weight.ok_or_else(|| {
                EvalError(format!(
                    "variation {} of {} has a non-numeric weight",
                    first.name, c.key
                ))
            })?;
            (first.salt.as_deref(), w)
        } else {
            let pt = c
                .percent_traffic
                .map_err(|_| EvalError(format!("campaign {} has no numeric percentTraffic", c.key)))?;
            (c.salt.as_deref(), pt)
        };
        let prefix = salt.unwrap_or(&c.id_str);
        let parts = [prefix, bid];
        let bucket = bucketing::bucket_of_hash(hash_parts(&parts), bucketing::TRAFFIC_MAX, 1.0);
        let passed = bucket != 0 && (bucket as f64) <= allocation;
        self.step(|| Step::Traffic {
            rule: rule_label(c, rule),
            hash_key: hash_key(&parts),
            bucket,
            allocation,
            passed,
        });
        // The official SDK logs this at INFO; it names the user, and user data is logged
        // only at DEBUG and below here.
        self.debug(|| {
            format!(
                "User ID:{} is {} part of campaign:{}",
                self.ctx.id,
                if passed { "" } else { "not" },
                rule_label(c, rule)
            )
        });
        Ok(passed)
    }

    /// `evaluate_traffic_and_get_variation`: the variation index (into the campaign's
    /// variations) the user gets from this rule, if any.
    pub(super) fn traffic_and_variation(&mut self, rule: &'a LinkedRule) -> EvalResult<Option<usize>> {
        if !self.in_traffic(rule)? {
            return Ok(None);
        }
        if rule.kind.uses_first_variation() {
            return Ok(rule.variations.first().copied());
        }
        let s = self.s;
        let c = s.campaign_of(rule);
        let bid = self.ctx.bucketing_id();
        if bid.is_empty() {
            return Ok(None);
        }
        let prefix = c.salt.as_deref().unwrap_or(&c.id_str);
        let parts = [prefix, s.account_id_str.as_str(), bid];
        let bucket = bucketing::bucket_of_hash(hash_parts(&parts), bucketing::VARIATION_MAX, 1.0);
        let chosen = rule.variations.iter().copied().find(|&vi| {
            let v = &c.variations[vi];
            v.start <= bucket && bucket <= v.end
        });
        self.step(|| Step::Variation {
            rule: rule_label(c, rule),
            hash_key: hash_key(&parts),
            bucket,
            ranges: rule
                .variations
                .iter()
                .map(|&vi| {
                    let v = &c.variations[vi];
                    (v.name.clone(), v.start, v.end)
                })
                .collect(),
            chosen: chosen.map(|vi| c.variations[vi].name.clone()),
        });
        Ok(chosen)
    }
}

/// MurmurHash3 of `a_b_c`, joined in a stack buffer (no allocation for keys up to 256 bytes).
pub(super) fn hash_parts(parts: &[&str]) -> u32 {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + parts.len().saturating_sub(1);
    let mut buf = [0u8; 256];
    if len > buf.len() {
        return bucketing::hash(&hash_key(parts));
    }
    let mut at = 0;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            buf[at] = b'_';
            at += 1;
        }
        buf[at..at + p.len()].copy_from_slice(p.as_bytes());
        at += p.len();
    }
    bucketing::murmur3_32(&buf[..at], bucketing::SEED)
}

/// `a_b_c` as a string (for traces, and keys too long for [`hash_parts`]' buffer).
pub(super) fn hash_key(parts: &[&str]) -> String {
    let len = parts.iter().map(|p| p.len() + 1).sum();
    let mut k = String::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push('_');
        }
        k.push_str(p);
    }
    k
}

/// How the official SDK names a rule in its logs: the rule key for A/B rules,
/// `{campaignName}_{ruleKey}` otherwise.
pub(super) fn rule_label(c: &Campaign, rule: &LinkedRule) -> String {
    let rk = rule.rule_key.as_deref().unwrap_or("");
    if c.kind == CampaignType::Ab {
        rk.to_string()
    } else {
        format!("{}_{}", c.name, rk)
    }
}
