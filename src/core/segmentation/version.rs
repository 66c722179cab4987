//! `gt`/`gte`/`lt`/`lte`: the SDK compares dotted versions part by part, numerically where the
//! left part is a digit string (`str.isdigit()`) and as text otherwise.

use std::cmp::Ordering;

use crate::core::python;

/// `is_numeric_version`: non-empty, and every `.`-separated part a non-empty digit string.
/// `"-5"` and `"1e-05"` are not numeric, `"²"` is (`isdigit`, though `int()` refuses it).
pub(crate) fn is_numeric_version(s: &str) -> bool {
    if s.is_ascii() {
        // Byte loop for the usual ASCII text: no empty part, only digits and dots.
        let b = s.as_bytes();
        return !b.is_empty()
            && b.first() != Some(&b'.')
            && b.last() != Some(&b'.')
            && b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
            && !b.windows(2).any(|w| w == b"..");
    }
    !s.is_empty() && s.split('.').all(python::str_is_digit)
}

/// `str.split('.')` over text that is usually a handful of bytes long (cheaper than the
/// general pattern searcher).
fn parts(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|c| c == b'.') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Python `int(a)` compared with `int(b)`; `Err` where `int()` raises `ValueError`.
fn compare_ints(a: &str, b: &str) -> Result<Ordering, &'static str> {
    // Plain ASCII digits (the usual case): compare without parsing or allocating.
    let plain =
        |s: &str| !s.is_empty() && s.len() <= python::INT_MAX_STR_DIGITS && s.bytes().all(|c| c.is_ascii_digit());
    if plain(a) && plain(b) {
        let a = a.trim_start_matches('0');
        let b = b.trim_start_matches('0');
        return Ok(a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    }
    match (python::parse_int(a), python::parse_int(b)) {
        (Some(x), Some(y)) => Ok(x.cmp(&y)),
        _ => Err("ValueError"),
    }
}

/// `compare_versions(a, b)`: the shorter version is padded with `"0"` parts. Per part, if
/// `a`'s part is a digit string both parts go through `int()` (which raises for `"²"`, for an
/// empty or non-numeric right part, and beyond 4300 digits), else they compare as text (code
/// point order, which is UTF-8 byte order).
pub(crate) fn compare_versions(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let mut pa = parts(a);
    let mut pb = parts(b);
    loop {
        let (x, y) = match (pa.next(), pb.next()) {
            (None, None) => break,
            (x, y) => (x.unwrap_or("0"), y.unwrap_or("0")),
        };
        let ord = if python::str_is_digit(x) {
            compare_ints(x, y)?
        } else {
            x.cmp(y)
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from the official SDK's `is_numeric_version`/`compare_versions`.
    #[test]
    fn versions_compare_like_python() {
        assert!(is_numeric_version("1.2.3"));
        assert!(is_numeric_version("٣.٤"));
        assert!(is_numeric_version("²"));
        assert!(!is_numeric_version(""));
        assert!(!is_numeric_version("-5"));
        assert!(!is_numeric_version("1..2"));
        assert!(!is_numeric_version("1.2."));
        assert!(!is_numeric_version("1e-05"));
        assert!(!is_numeric_version("v1"));

        use Ordering::*;
        let cases: &[(&str, &str, Result<Ordering, &str>)] = &[
            ("10.5", "10.1", Ok(Greater)),
            ("1.2", "1.2.0", Ok(Equal)),
            ("1.2.1", "1.2", Ok(Greater)),
            ("1.10", "1.9", Ok(Greater)),
            ("007", "7", Ok(Equal)),
            ("abc", "abd", Ok(Less)),
            ("b", "abc", Ok(Greater)),
            ("a.1", "a.2", Ok(Less)),
            ("1.x", "1.y", Ok(Less)),
            ("5.a", "1e-05", Err("ValueError")),
            ("x", "x.y", Err("ValueError")),
            ("²", "1", Err("ValueError")),
            ("١٠", "9", Ok(Greater)),
            ("99999999999999999999999", "99999999999999999999998", Ok(Greater)),
        ];
        for &(a, b, want) in cases {
            assert_eq!(compare_versions(a, b), want, "compare_versions({a:?}, {b:?})");
        }
        let huge = "1".repeat(4301);
        assert_eq!(compare_versions(&huge, "1"), Err("ValueError"));
        assert_eq!(compare_versions(&"1".repeat(4300), "1"), Ok(Greater));
    }
}
