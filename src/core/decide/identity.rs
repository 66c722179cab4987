//! Visitor identity: the deterministic VWO visitor UUID (UUIDv5 under an account namespace)
//! and web-testing UUIDs.

use once_cell::sync::Lazy;
use uuid::Uuid;

/// `uuid5(NAMESPACE_URL, "https://vwo.com")`, the root of every VWO visitor UUID.
pub static VWO_NAMESPACE: Lazy<Uuid> = Lazy::new(|| Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://vwo.com"));

/// The namespace of one account; derive it once per account and reuse it (one SHA-1 saved
/// per visitor UUID).
pub fn account_namespace(account_id: &str) -> Uuid {
    Uuid::new_v5(&VWO_NAMESPACE, account_id.as_bytes())
}

/// Visitor UUID under a precomputed account namespace: 32 upper-case hex digits, no dashes.
pub fn visitor_uuid_in(namespace: &Uuid, user_id: &str) -> String {
    let u = Uuid::new_v5(namespace, user_id.as_bytes());
    let mut buf = [0u8; 32];
    u.simple().encode_upper(&mut buf).to_owned()
}

/// `getUUID(user_id, account_id)` of the official SDKs; `None` when either is empty.
pub fn visitor_uuid(user_id: &str, account_id: &str) -> Option<String> {
    if user_id.is_empty() || account_id.is_empty() {
        return None;
    }
    Some(visitor_uuid_in(&account_namespace(account_id), user_id))
}

/// Whether `id` is a VWO web-testing UUID (`D` or `J` followed by 32 hex digits), which the
/// SDKs use as the visitor UUID as is.
pub fn is_web_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 33 && (b[0] == b'D' || b[0] == b'J') && b[1..].iter().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors 1-8 of vwo-fme-behaviour.md §21.
    #[test]
    fn spec_vectors() {
        assert_eq!(VWO_NAMESPACE.to_string(), "11e13cd7-6c48-53ec-8679-7e9c752273c5");
        assert_eq!(
            visitor_uuid("user-123", "123456").unwrap(),
            "CC25A368ADA0542699EAD62489811105"
        );
        assert_eq!(
            visitor_uuid("user_id", "12345").unwrap(),
            "E4824A365FF15611963CB44DC0E4D513"
        );
        assert_eq!(
            visitor_uuid("Ashley", "123456").unwrap(),
            "4C9BA81BAF53591488EB5FD5E66A98B9"
        );
        assert_eq!(
            visitor_uuid("ünïcødé", "12345").unwrap(),
            "CD67693E9C9A5829B73ADE52609FB790"
        );
        assert_eq!(visitor_uuid("", "1"), None);
        assert_eq!(visitor_uuid("x", ""), None);
        assert_eq!(
            visitor_uuid("12345_000000000000_MASKED_000000000000", "12345").unwrap(),
            "3DAA3FD054D1561E845C45C755E50798"
        );
        assert_eq!(
            visitor_uuid("123456_000000000000_MASKED_000000000000", "999").unwrap(),
            "9A42B2F034C459EC92E3B6307A0B3036"
        );
    }

    #[test]
    fn web_uuids() {
        assert!(is_web_uuid("D0123456789abcdef0123456789ABCDEF"));
        assert!(is_web_uuid("J0123456789abcdef0123456789ABCDEF"));
        assert!(!is_web_uuid("X0123456789abcdef0123456789ABCDEF"));
        assert!(!is_web_uuid("D0123456789abcdef0123456789ABCDE"));
        assert!(!is_web_uuid("D0123456789abcdef0123456789ABCDEG"));
    }
}
