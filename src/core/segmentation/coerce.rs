//! Value coercion before every comparison: the SDK's `pre_process_tag_value` followed by
//! `convert_value`, i.e. Python `float()` on both sides and `str()` of the result.
//!
//! This is what makes `"012"` equal `12`, `"1e3"` equal `"1000"` and `" 5 "` equal `"5"`. It
//! runs for every tag value on every evaluation, so the common cases (a non-numeric string, a
//! plain integer) neither allocate nor parse twice.

use serde_json::Value;
use std::fmt::{self, Write};
use std::ops::Deref;

use crate::core::python;

/// Decision D1: a boolean tag value compares as `"true"`/`"false"`; Python's `str(True)` gives
/// `"True"`, which `python` selects (see `SegmentEnv::python_compat`). The one place that
/// decides it.
pub(crate) fn bool_text(b: bool, python: bool) -> &'static str {
    match (b, python) {
        (true, false) => "true",
        (false, false) => "false",
        (true, true) => "True",
        (false, true) => "False",
    }
}

/// Short number text kept on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Inline {
    buf: [u8; 32],
    len: u8,
}

impl Inline {
    fn new() -> Inline {
        Inline { buf: [0; 32], len: 0 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

impl Write for Inline {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let start = usize::from(self.len);
        let end = start + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[start..end].copy_from_slice(s.as_bytes());
        self.len = end as u8;
        Ok(())
    }
}

/// A coerced value: the input itself, or number text on the stack, or (rarely) on the heap.
pub(crate) enum Coerced<'a> {
    Borrowed(&'a str),
    Inline(Inline),
    Owned(String),
}

impl Deref for Coerced<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Coerced::Borrowed(s) => s,
            Coerced::Inline(i) => i.as_str(),
            Coerced::Owned(s) => s,
        }
    }
}

impl fmt::Debug for Coerced<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Formats with `write` on the stack, falling back to the heap when the text is long.
fn format_number(write: impl Fn(&mut dyn Write) -> fmt::Result) -> Coerced<'static> {
    let mut inline = Inline::new();
    if write(&mut inline).is_ok() {
        return Coerced::Inline(inline);
    }
    let mut s = String::new();
    let _ = write(&mut s);
    Coerced::Owned(s)
}

/// `str(int(f))` when `f` is integral, else `str(f)`: the text `convert_value` gives a float.
pub(crate) fn float_text(f: f64) -> Coerced<'static> {
    if f.is_finite() && f.fract() == 0.0 {
        format_number(|w| python::write_int_of_float(f, &mut WriteRef(w)))
    } else if (1e-4..1e16).contains(&f.abs()) {
        // In this range Python's repr is the shortest round-trip digits in fixed notation,
        // which is exactly Rust's `Display` for a non-integral f64.
        format_number(|w| write!(w, "{f}"))
    } else {
        format_number(|w| python::write_float_repr(f, &mut WriteRef(w)))
    }
}

/// Adapts `&mut dyn Write` to the `W: Write` the python helpers take.
struct WriteRef<'a>(&'a mut dyn Write);

impl Write for WriteRef<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(s)
    }
}

/// Whether `float(s)` can possibly succeed, judged from the first non-blank character; lets
/// the common non-numeric strings skip the parser.
fn may_be_numeral(s: &str) -> bool {
    match s.chars().find(|&c| !python::is_space(c)) {
        None => false,
        Some(c) if c.is_ascii() => {
            matches!(c, '0'..='9' | '+' | '-' | '.' | 'i' | 'I' | 'n' | 'N')
        }
        Some(c) => python::decimal_value(c).is_some(),
    }
}

/// `convert_value` of a string: its float value as text when Python's `float()` accepts it,
/// otherwise the string itself.
pub(crate) fn convert_str(s: &str) -> Coerced<'_> {
    if !may_be_numeral(s) {
        return Coerced::Borrowed(s);
    }
    match python::parse_float(s) {
        Some(f) => float_text(f),
        None => Coerced::Borrowed(s),
    }
}

/// `convert_value(pre_process_tag_value(v))` for a JSON tag value: `None` → `""`, booleans per
/// [`bool_text`], numbers through `float`, containers as their Python `str()`.
pub(crate) fn convert_value(v: &Value, python_bools: bool) -> Coerced<'_> {
    match v {
        Value::Null => Coerced::Borrowed(""),
        Value::Bool(b) => Coerced::Borrowed(bool_text(*b, python_bools)),
        Value::String(s) => convert_str(s),
        Value::Number(n) => {
            // Integers up to 2^53 survive the float round trip; larger ones are rounded the
            // way `float(str(n))` rounds them (`as f64` rounds to nearest, ties to even).
            const EXACT: u64 = 1 << 53;
            if let Some(i) = n.as_i64() {
                if i.unsigned_abs() <= EXACT {
                    return format_number(|w| write!(w, "{i}"));
                }
                return float_text(i as f64);
            }
            if let Some(u) = n.as_u64() {
                return float_text(u as f64);
            }
            float_text(n.as_f64().unwrap_or(f64::NAN))
        }
        Value::Array(_) | Value::Object(_) => Coerced::Owned(python::str_of(v).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Expected values are CPython 3.11 `convert_value(x)` (float() then str()).
    #[test]
    fn convert_str_matches_python() {
        let cases = [
            ("012", "12"),
            ("1.50", "1.5"),
            ("1e3", "1000"),
            (" 5 ", "5"),
            ("\t5\n", "5"),
            ("0.0", "0"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1_000", "1000"),
            ("1__000", "1__000"),
            ("_1", "_1"),
            ("1_", "1_"),
            ("1e1_0", "10000000000"),
            ("inf", "inf"),
            ("-Infinity", "-inf"),
            ("NaN", "nan"),
            ("+nan", "nan"),
            ("nan(1)", "nan(1)"),
            ("1e400", "inf"),
            ("1e-400", "0"),
            ("0.00001", "1e-05"),
            ("0.0001", "0.0001"),
            ("1.5e-7", "1.5e-07"),
            ("1e16", "10000000000000000"),
            ("1e22", "10000000000000000000000"),
            ("1.5e300", "1500000000000000078757140382806630373056702871662238732373781173267703686983362293679557062620671796065556665749325817265413784853040645863467188277180060474272580801389863705606745350692182135089053429852456199917621678558451461320111979114170213741868888183230085264257173504208294580298189100810240"),
            ("12345678901234567890", "12345678901234567168"),
            ("3.14159", "3.14159"),
            ("0.1", "0.1"),
            (".5", "0.5"),
            ("5.", "5"),
            (".", "."),
            ("1e", "1e"),
            ("0x10", "0x10"),
            ("1 2", "1 2"),
            ("١٢", "12"),
            ("1٢.5", "12.5"),
            ("²", "²"),
            ("\u{a0}7\u{2007}", "7"),
            ("\u{1c}5", "\u{1c}5"),
            ("abc", "abc"),
            ("", ""),
            ("   ", "   "),
            ("infinity and beyond", "infinity and beyond"),
            ("10.10", "10.1"),
            ("1.2.3", "1.2.3"),
            ("9007199254740993", "9007199254740992"),
        ];
        for (input, want) in cases {
            assert_eq!(&*convert_str(input), want, "convert_value({input:?})");
        }
    }

    #[test]
    fn convert_value_of_json_tags() {
        assert_eq!(&*convert_value(&json!(null), false), "");
        assert_eq!(&*convert_value(&json!(true), false), "true");
        assert_eq!(&*convert_value(&json!(false), false), "false");
        assert_eq!(&*convert_value(&json!(true), true), "True");
        assert_eq!(&*convert_value(&json!(false), true), "False");
        assert_eq!(&*convert_value(&json!(5), false), "5");
        assert_eq!(&*convert_value(&json!(-5), false), "-5");
        assert_eq!(&*convert_value(&json!(5.0), false), "5");
        assert_eq!(&*convert_value(&json!(1.5), false), "1.5");
        assert_eq!(&*convert_value(&json!(1e-5), false), "1e-05");
        assert_eq!(
            &*convert_value(&json!(12345678901234567890u64), false),
            "12345678901234567168"
        );
        assert_eq!(
            &*convert_value(&json!(-9007199254740993i64), false),
            "-9007199254740992"
        );
        assert_eq!(&*convert_value(&json!({"a": 1}), false), "{'a': 1}");
        assert_eq!(&*convert_value(&json!([1, "x"]), false), "[1, 'x']");
        assert_eq!(&*convert_value(&json!("007"), false), "7");
    }

    #[test]
    fn fixed_range_display_is_python_repr() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = match i % 3 {
                0 => f64::from_bits(x),
                1 => (x % 10_000_000) as f64 / 1000.0,
                _ => (x as f64 / u64::MAX as f64) * 10f64.powi(i % 21 - 5),
            };
            if f.is_finite() && f.fract() != 0.0 {
                assert_eq!(&*float_text(f), python::float_repr(f), "{f:?}");
            }
        }
        assert_eq!(&*float_text(0.0001), "0.0001");
        assert_eq!(&*float_text(0.00009999), "9.999e-05");
        assert_eq!(&*float_text(1e15 + 0.5), "1000000000000000.5");
        assert_eq!(&*float_text(-99.5), "-99.5");
    }

    #[test]
    fn common_cases_do_not_allocate() {
        assert!(matches!(convert_str("chrome"), Coerced::Borrowed(_)));
        assert!(matches!(convert_str("25"), Coerced::Inline(_)));
        assert!(matches!(convert_str("1.25"), Coerced::Inline(_)));
        assert!(matches!(convert_value(&json!(123456789), false), Coerced::Inline(_)));
        assert!(matches!(convert_value(&json!(true), false), Coerced::Borrowed(_)));
    }
}
