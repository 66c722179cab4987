//! Bucket-range allocation (§5.4.1): A/B variation ranges at install, and the ad-hoc ranges
//! of whitelisting tie-breaks and MEG winner draws.
//!
//! All of it follows the official SDK's f64 arithmetic: a weight `w` takes
//! `min(ceil(w * 100), 10000)` buckets, and weights are not normalised, so a total above 100
//! overshoots 10000 (`[28.57, 71.43]` gives `(1, 2857)`, `(2858, 10001)`).

use super::model::Variation;
use crate::core::decide::bucketing::VARIATION_MAX;

/// Buckets taken by a weight; 0 for a zero weight.
pub fn step(weight: f64) -> i64 {
    if weight == 0.0 || weight.is_nan() {
        return 0;
    }
    let s = (weight * 100.0).ceil();
    if s >= VARIATION_MAX as f64 {
        VARIATION_MAX as i64
    } else {
        s as i64
    }
}

/// `(start, end)` ranges for consecutive weights: `start = cursor + 1`, `end = cursor + step`,
/// `(-1, -1)` for a zero weight.
pub fn ab_ranges(weights: impl IntoIterator<Item = f64>) -> Vec<(i64, i64)> {
    let mut cursor = 0i64;
    weights
        .into_iter()
        .map(|w| {
            let s = step(w);
            let r = if s != 0 { (cursor + 1, cursor + s) } else { (-1, -1) };
            cursor += s;
            r
        })
        .collect()
}

/// MEG ranges: like A/B ranges but starting at the cursor itself (`start = cursor`), so
/// neighbouring ranges share a boundary bucket and the first one wins it.
pub fn meg_ranges(weights: impl IntoIterator<Item = f64>) -> Vec<(i64, i64)> {
    let mut cursor = 0i64;
    weights
        .into_iter()
        .map(|w| {
            let s = step(w);
            let r = if s != 0 { (cursor, cursor + s) } else { (-1, -1) };
            cursor += s;
            r
        })
        .collect()
}

/// Assigns A/B ranges to a campaign's variations in place. A weight that is not a number
/// (a non-empty string) cannot be allocated: its index is returned, as the SDK fails there.
pub fn allocate_ab(variations: &mut [Variation]) -> Result<(), usize> {
    if let Some(bad) = variations.iter().position(|v| v.weight.is_none()) {
        return Err(bad);
    }
    let ranges = ab_ranges(variations.iter().map(|v| v.weight.unwrap_or(0.0)));
    for (v, (s, e)) in variations.iter_mut().zip(ranges) {
        v.start = s;
        v.end = e;
    }
    Ok(())
}

/// Scales weights to sum to 100 (equal shares when they sum to 0), as whitelisting does
/// before a tie-break between several whitelisted variations.
pub fn normalise(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    if total == 0.0 {
        let each = 100.0 / weights.len() as f64;
        weights.iter().map(|_| each).collect()
    } else {
        weights.iter().map(|w| (w / total) * 100.0).collect()
    }
}

/// Equal MEG weight for `n` candidates: `round(100 / n * 10000) / 10000`, where Python's
/// `round` goes half to even.
pub fn meg_equal_weight(n: usize) -> f64 {
    let x = 100.0 / n as f64 * 10000.0;
    round_half_even(x) / 10000.0
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §21 vectors 18-20.
    #[test]
    fn spec_vectors() {
        assert_eq!(
            ab_ranges([33.3333, 33.3333, 33.3334]),
            vec![(1, 3334), (3335, 6668), (6669, 10002)]
        );
        assert_eq!(ab_ranges([28.57, 71.43]), vec![(1, 2857), (2858, 10001)]);
        assert_eq!(ab_ranges([0.0, 100.0]), vec![(-1, -1), (1, 10000)]);
        assert_eq!(ab_ranges([0.01, 99.99]), vec![(1, 1), (2, 10000)]);
        assert_eq!(meg_equal_weight(3), 33.3333);
        assert_eq!(meg_ranges([33.3333; 3]), vec![(0, 3334), (3334, 6668), (6668, 10002)]);
        assert_eq!(meg_equal_weight(7), 14.2857);
        assert_eq!(step(14.2857), 1429);
    }

    #[test]
    fn python_round_is_half_to_even() {
        // 100/128*10000 = 7812.5 rounds to 7812 in Python, not 7813.
        assert_eq!(meg_equal_weight(128), 0.7812);
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(round_half_even(-2.5), -2.0);
        assert_eq!(meg_equal_weight(1), 100.0);
    }

    #[test]
    fn weights_above_100_are_capped_per_step_not_overall() {
        assert_eq!(step(150.0), 10000);
        assert_eq!(ab_ranges([60.0, 60.0]), vec![(1, 6000), (6001, 12000)]);
        assert_eq!(normalise(&[0.0, 0.0]), vec![50.0, 50.0]);
        assert_eq!(normalise(&[20.0, 60.0]), vec![25.0, 75.0]);
    }
}
