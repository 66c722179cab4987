//! MurmurHash3 (x86, 32 bit, seed 1) bucketing, bit for bit as the official SDKs do it.
//!
//! Every SDK maps a hash key to a bucket with the same f64 expression
//! `floor((max * (h / 2^32) + 1) * multiplier)`; keeping this exact operation order is what
//! makes users land in the same bucket here as in Python, Node, Go and Ruby.

/// The seed every VWO SDK hashes with.
pub const SEED: u32 = 1;
/// Range of traffic buckets (`1..=100`).
pub const TRAFFIC_MAX: u32 = 100;
/// Range of variation buckets (`1..=10000`).
pub const VARIATION_MAX: u32 = 10_000;

/// MurmurHash3 x86_32 of the UTF-8 bytes of `key`, seed 1, as an unsigned value.
pub fn hash(key: &str) -> u32 {
    murmur3_32(key.as_bytes(), SEED)
}

/// `floor((max * (h / 2^32) + 1) * multiplier)` in f64.
pub fn bucket_of_hash(h: u32, max: u32, multiplier: f64) -> i64 {
    let ratio = h as f64 / 4_294_967_296.0;
    ((max as f64 * ratio + 1.0) * multiplier).floor() as i64
}

/// Traffic bucket (1..=100) of a hash key.
pub fn traffic_bucket(key: &str) -> i64 {
    bucket_of_hash(hash(key), TRAFFIC_MAX, 1.0)
}

/// Variation bucket (1..=10000) of a hash key.
pub fn variation_bucket(key: &str) -> i64 {
    bucket_of_hash(hash(key), VARIATION_MAX, 1.0)
}

/// MurmurHash3 x86_32. Written out here (rather than through the `murmur3` crate's
/// `Read`-based API) because bucketing runs on the hot path and must not allocate.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, b) in tail.iter().enumerate() {
            k |= (*b as u32) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors 9-17 of vwo-fme-behaviour.md §21, measured on the official Python SDK.
    #[test]
    fn spec_vectors() {
        assert_eq!(hash(""), 1_364_076_727);
        assert_eq!(traffic_bucket(""), 32);
        assert_eq!(variation_bucket(""), 3176);
        assert_eq!(hash("1_user_id"), 1_005_919_831);
        assert_eq!(traffic_bucket("1_user_id"), 24);
        assert_eq!(variation_bucket("1_user_id"), 2343);
        assert_eq!(hash("2_12345_user_id"), 4_278_999_324);
        assert_eq!(variation_bucket("2_12345_user_id"), 9963);
        assert_eq!(hash("ünïcødé"), 1_976_653_691);
        assert_eq!(traffic_bucket("ünïcødé"), 47);
        assert_eq!(variation_bucket("ünïcødé"), 4603);
        assert_eq!(hash("abc"), 2_859_854_335);
        assert_eq!(traffic_bucket("abc"), 67);
        assert_eq!(variation_bucket("abc"), 6659);
        assert_eq!(hash("1_user_id_1"), 4_268_150_554);
        assert_eq!(variation_bucket("1_user_id_1"), 9938);
        assert_eq!(hash("12345_501_user3"), 1_686_717_952);
        assert_eq!(traffic_bucket("12345_501_user3"), 40);
        assert_eq!(variation_bucket("testingSalt_12345_user_id_3"), 6739);
        assert_eq!(traffic_bucket("rolloutSalt_user_id_3"), 82);
    }

    #[test]
    fn agrees_with_the_murmur3_crate() {
        for key in ["", "a", "ab", "abc", "abcd", "abcde", "user_1_campaign_99", "ünïcødé🎉"] {
            let want = murmur3::murmur3_32(&mut std::io::Cursor::new(key.as_bytes()), SEED).unwrap();
            assert_eq!(hash(key), want, "{key}");
        }
    }

    #[test]
    fn buckets_stay_in_range() {
        assert_eq!(bucket_of_hash(0, 100, 1.0), 1);
        assert_eq!(bucket_of_hash(u32::MAX, 100, 1.0), 100);
        assert_eq!(bucket_of_hash(u32::MAX, 10_000, 1.0), 10_000);
    }
}
