//! A per-decision trace: every step that influenced a decision, in evaluation order, so
//! `vwo-fme eval --explain` can say why a user got what they got.

use std::fmt;

use serde::Serialize;

/// One evaluation step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A storage read and whether it found a record.
    StorageRead {
        /// Storage key (feature key or MEG meta key).
        key: String,
        /// Whether a record was found.
        found: bool,
    },
    /// The decision was served from storage.
    StoredDecision {
        /// `experiment`, `rollout` or `holdout`.
        kind: &'static str,
        /// The stored rule key or holdout ids.
        key: String,
        /// The stored variation id.
        variation: String,
    },
    /// A holdout was evaluated.
    Holdout {
        /// Holdout id.
        id: String,
        /// Segmentation result, when the holdout has segments.
        segmentation: Option<bool>,
        /// Holdout bucket (1..=100), when bucketed.
        bucket: Option<i64>,
        /// The holdout's `percentTraffic`.
        percent_traffic: f64,
        /// Whether the user is in the holdout (excluded from the feature).
        in_holdout: bool,
    },
    /// A rule's whitelisting and pre-segmentation.
    Rule {
        /// `{campaignKey}` / rule key.
        rule: String,
        /// Rule type.
        kind: String,
        /// `passed`, `failed`, `skipped (no segments)`, or the MEG outcome.
        segmentation: String,
    },
    /// Whitelisting of an A/B rule.
    Whitelisting {
        /// Rule key.
        rule: String,
        /// The whitelisted variation, if any.
        variation: Option<String>,
    },
    /// Traffic allocation: the bucket against the allocation.
    Traffic {
        /// Rule key.
        rule: String,
        /// Hashed key.
        hash_key: String,
        /// Bucket (1..=100).
        bucket: i64,
        /// Allocation (percent of traffic).
        allocation: f64,
        /// Whether the user is in.
        passed: bool,
    },
    /// A/B variation bucketing: the bucket against the variation ranges.
    Variation {
        /// Rule key.
        rule: String,
        /// Hashed key.
        hash_key: String,
        /// Bucket (1..=10000).
        bucket: i64,
        /// `(variation name, start, end)` for each candidate.
        ranges: Vec<(String, i64, i64)>,
        /// The variation chosen.
        chosen: Option<String>,
    },
    /// A mutually exclusive group decision.
    Meg {
        /// Group id.
        group: String,
        /// Eligible candidates (rule keys).
        candidates: Vec<String>,
        /// Candidates eligible through a stored decision.
        from_storage: Vec<String>,
        /// How the winner was picked.
        how: String,
        /// The winner (rule key), if any.
        winner: Option<String>,
    },
    /// The group winner was already known in this call or from storage.
    MegKnown {
        /// Group id.
        group: String,
        /// Where it came from.
        source: &'static str,
        /// The winner (`cid` or `cid_vid`), `-1` for none.
        winner: String,
    },
    /// A free-form note.
    Note {
        /// The text.
        text: String,
    },
}

/// The steps of one decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    /// Steps in evaluation order.
    pub steps: Vec<Step>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::StorageRead { key, found } => {
                write!(
                    f,
                    "storage[{key}]: {}",
                    if *found { "record found" } else { "no record" }
                )
            }
            Step::StoredDecision { kind, key, variation } => {
                write!(f, "served from storage: {kind} {key}, variation {variation}")
            }
            Step::Holdout {
                id,
                segmentation,
                bucket,
                percent_traffic,
                in_holdout,
            } => {
                write!(f, "holdout {id}:")?;
                if let Some(s) = segmentation {
                    write!(f, " segmentation {}", if *s { "passed" } else { "failed" })?;
                }
                if let Some(b) = bucket {
                    write!(f, " bucket {b} vs {percent_traffic}%")?;
                }
                write!(
                    f,
                    " -> {}",
                    if *in_holdout {
                        "IN holdout (flag off)"
                    } else {
                        "not in holdout"
                    }
                )
            }
            Step::Rule {
                rule,
                kind,
                segmentation,
            } => write!(f, "rule {rule} ({kind}): pre-segmentation {segmentation}"),
            Step::Whitelisting { rule, variation } => match variation {
                Some(v) => write!(f, "rule {rule}: whitelisted into {v}"),
                None => write!(f, "rule {rule}: not whitelisted"),
            },
            Step::Traffic {
                rule,
                hash_key,
                bucket,
                allocation,
                passed,
            } => write!(
                f,
                "rule {rule}: traffic bucket {bucket} (murmur3 \"{hash_key}\") vs allocation {allocation} -> {}",
                if *passed { "in" } else { "out" }
            ),
            Step::Variation {
                rule,
                hash_key,
                bucket,
                ranges,
                chosen,
            } => {
                write!(f, "rule {rule}: variation bucket {bucket} (murmur3 \"{hash_key}\") in")?;
                for (name, s, e) in ranges {
                    write!(f, " {name}[{s}..={e}]")?;
                }
                write!(f, " -> {}", chosen.as_deref().unwrap_or("none"))
            }
            Step::Meg {
                group,
                candidates,
                from_storage,
                how,
                winner,
            } => write!(
                f,
                "group {group}: candidates {candidates:?}, from storage {from_storage:?}, {how} -> winner {}",
                winner.as_deref().unwrap_or("none")
            ),
            Step::MegKnown { group, source, winner } => write!(f, "group {group}: winner {winner} ({source})"),
            Step::Note { text } => f.write_str(text),
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(f, "{:>3}. {s}", i + 1)?;
        }
        Ok(())
    }
}
