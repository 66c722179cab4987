//! Python value semantics the official SDK's decisions depend on.
//!
//! The reference SDK is written in Python and several decisions hinge on how Python
//! stringifies, compares and tests the truth of values (ids are `str()`-ed into hash keys,
//! `0` and `""` are falsy, `1 == 1.0`). These helpers reproduce exactly those semantics over
//! `serde_json::Value`, so the rest of the core can say what it means ("Python truthiness")
//! instead of re-deriving it at each call site.

use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write;

/// Python truthiness of a JSON value (`None`, `False`, `0`, `0.0`, `""`, `[]`, `{}` are falsy).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i != 0
            } else if let Some(u) = n.as_u64() {
                u != 0
            } else {
                n.as_f64().map(|f| f != 0.0).unwrap_or(true)
            }
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Truthiness of an optional value (a missing key is `None` in Python).
pub fn truthy_opt(v: Option<&Value>) -> bool {
    v.map(truthy).unwrap_or(false)
}

/// Python `==` between two JSON values: numbers compare by value across int/float
/// (`1 == 1.0`, `True == 1`), strings never equal numbers.
pub fn eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Bool(x), Value::Number(y)) | (Value::Number(y), Value::Bool(x)) => {
            num_eq(y, &serde_json::Number::from(*x as i64))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Python `str(value)` for a JSON value as the SDK would see it after `json.loads`.
///
/// Integers print as integers, floats with Python's shortest `repr`, booleans as
/// `True`/`False`, null as `None`, containers with Python's `repr` of dicts and lists.
pub fn str_of(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        other => {
            let mut out = String::new();
            write_repr(other, &mut out, false);
            Cow::Owned(out)
        }
    }
}

/// Python `repr(value)` (strings quoted), used inside container reprs.
pub fn repr_of(v: &Value) -> String {
    let mut out = String::new();
    write_repr(v, &mut out, true);
    out
}

fn write_repr(v: &Value, out: &mut String, quote_strings: bool) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => {
            if quote_strings {
                write_str_repr(s, out)
            } else {
                out.push_str(s)
            }
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(x, out, true);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(k, out);
                out.push_str(": ");
                write_repr(x, out, true);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        out.push_str(&float_repr(f));
    }
}

/// Python's `repr(str)`: single quotes unless the text contains `'` and no `"`.
fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `repr(float)` (and `str(float)`): the shortest text that round-trips, in fixed
/// notation when the decimal exponent is in `-4..16`, otherwise in `1.5e-05` form.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5", "1e16".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Python's character classes and numeral parsing, as CPython 3.11 (Unicode 14.0) applies them.
//
// Segmentation coerces every compared value through `float()` and compares versions with
// `str.isdigit()` and `int()`; those accept Unicode digits and whitespace, underscores between
// digits, `inf`/`nan`, and refuse integers longer than 4300 digits. Matching the official SDK
// means matching all of that, so the tables below are CPython's, not Rust's (`char::is_numeric`
// and `char::is_whitespace` classify differently).

/// First code point of each run of ten Unicode decimal digits (`str.isdecimal()`), Unicode 14.0.
const DECIMAL_ZEROS: [u32; 66] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6,
    0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0,
    0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50,
    0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950,
    0x1FBF0,
];

/// Characters for which `str.isdigit()` holds but `str.isdecimal()` does not (superscripts,
/// circled digits, ...): `int()` and `float()` reject them. Unicode 14.0.
const OTHER_DIGITS: [(u32, u32); 20] = [
    (0x00B2, 0x00B3),
    (0x00B9, 0x00B9),
    (0x1369, 0x1371),
    (0x19DA, 0x19DA),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x2080, 0x2089),
    (0x2460, 0x2468),
    (0x2474, 0x247C),
    (0x2488, 0x2490),
    (0x24EA, 0x24EA),
    (0x24F5, 0x24FD),
    (0x24FF, 0x24FF),
    (0x2776, 0x277E),
    (0x2780, 0x2788),
    (0x278A, 0x2792),
    (0x10A40, 0x10A43),
    (0x10E60, 0x10E68),
    (0x11052, 0x1105A),
    (0x1F100, 0x1F10A),
];

/// The decimal digit ranges (`str.isdecimal()`, which is also what `re`'s `\d` matches), as
/// inclusive code point pairs.
pub fn decimal_ranges() -> impl Iterator<Item = (u32, u32)> {
    DECIMAL_ZEROS.iter().map(|&z| (z, z + 9))
}

/// Python `str.isspace()` for one character (also the set `str.strip()` removes and `re`'s `\s`
/// matches): Rust's `char::is_whitespace` plus the ASCII separators U+001C..U+001F.
pub fn is_space(c: char) -> bool {
    matches!(
        c as u32,
        0x09..=0x0D
            | 0x1C..=0x20
            | 0x85
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
    )
}

/// Python `str.strip()` without arguments.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// The value of a Unicode decimal digit (`'7'` → 7, `'٣'` → 3), `None` for anything else.
pub fn decimal_value(c: char) -> Option<u32> {
    let cp = c as u32;
    if cp < 0x80 {
        return c.to_digit(10);
    }
    let run = DECIMAL_ZEROS.partition_point(|&zero| zero <= cp);
    let zero = *DECIMAL_ZEROS.get(run.checked_sub(1)?)?;
    (cp - zero < 10).then_some(cp - zero)
}

/// Python `str.isdigit()` for one character.
pub fn is_digit(c: char) -> bool {
    decimal_value(c).is_some() || OTHER_DIGITS.iter().any(|&(lo, hi)| (lo..=hi).contains(&(c as u32)))
}

/// Python `str.isdigit()`: non-empty and every character a digit.
pub fn str_is_digit(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_digit)
}

/// A numeral after CPython's pre-processing, kept on the stack unless it is unusually long.
struct Numeral {
    inline: [u8; 64],
    len: usize,
    spill: Vec<u8>,
}

impl Numeral {
    fn new() -> Numeral {
        Numeral {
            inline: [0; 64],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn push(&mut self, b: u8) {
        if self.spill.is_empty() && self.len < self.inline.len() {
            self.inline[self.len] = b;
            self.len += 1;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline[..self.len]);
            }
            self.spill.push(b);
        }
    }

    fn bytes(&self) -> &[u8] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

/// Characters that may occur in a `float()` or `int()` argument once Unicode digits and spaces
/// are mapped to ASCII; anything else makes both raise, so we can stop early.
fn numeral_ascii(b: u8) -> bool {
    matches!(
        b,
        b'0'..=b'9'
            | b'+'
            | b'-'
            | b'.'
            | b'_'
            | b'e'
            | b'E'
            | b'i'
            | b'I'
            | b'n'
            | b'N'
            | b'f'
            | b'F'
            | b't'
            | b'T'
            | b'y'
            | b'Y'
            | b'a'
            | b'A'
            | b' '
            | b'\t'
            | b'\n'
            | b'\x0b'
            | b'\x0c'
            | b'\r'
    )
}

/// CPython's common front end of `float(str)` and `int(str)`: Unicode decimal digits become
/// ASCII digits and Unicode spaces become blanks (`_PyUnicode_TransformDecimalAndSpaceToASCII`),
/// then leading and trailing ASCII whitespace is dropped and underscores are removed, each of
/// which must sit between two digits. `None` where Python raises `ValueError` at this stage or
/// where the text cannot be a numeral at all.
fn numeral(s: &str) -> Option<Numeral> {
    let mut out = Numeral::new();
    let mut prev = 0u8;
    let mut pending_space = false;
    let mut started = false;
    let mut dots = 0u8;
    for c in s.chars() {
        let b = if (c as u32) < 0x7F {
            c as u8
        } else if is_space(c) {
            b' '
        } else {
            b'0' + decimal_value(c)? as u8
        };
        if !numeral_ascii(b) {
            return None;
        }
        if b == b'_' && !prev.is_ascii_digit() {
            return None;
        }
        if prev == b'_' && !b.is_ascii_digit() {
            return None;
        }
        if b == b'.' {
            // No numeral has two dots; dotted versions ("2.10.3") stop here.
            dots += 1;
            if dots > 1 {
                return None;
            }
        }
        prev = b;
        match b {
            b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' => pending_space = started,
            b'_' => {}
            _ => {
                if pending_space {
                    // Whitespace inside the numeral: Python rejects "1 2".
                    return None;
                }
                started = true;
                out.push(b);
            }
        }
    }
    (prev != b'_').then_some(out)
}

/// Python `float(s)` for a `str`: `None` where Python raises `ValueError`.
///
/// Accepts what CPython accepts: surrounding (Unicode) whitespace, a sign, `5.`, `.5`,
/// exponents, underscores between digits, Unicode decimal digits, and `inf`, `infinity`, `nan`
/// in any case. Rounding is correct, as in CPython.
pub fn parse_float(s: &str) -> Option<f64> {
    let n = numeral(s)?;
    // After `numeral` the text is ASCII, and Rust's float grammar is exactly CPython's for
    // ASCII input without whitespace and underscores.
    std::str::from_utf8(n.bytes()).ok()?.parse::<f64>().ok()
}

/// CPython's default limit on the number of digits `int(str)` converts (`sys.int_info`).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// A Python `int` parsed from text, kept as sign and decimal digits (without leading zeros)
/// so that arbitrarily long values compare exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyInt {
    negative: bool,
    digits: String,
}

impl PyInt {
    /// The value as an `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        let magnitude: i128 = if self.digits.len() > 19 {
            return None;
        } else {
            self.digits.parse().ok()?
        };
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }
}

impl Ord for PyInt {
    fn cmp(&self, other: &PyInt) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let magnitude = self
            .digits
            .len()
            .cmp(&other.digits.len())
            .then_with(|| self.digits.cmp(&other.digits));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl PartialOrd for PyInt {
    fn partial_cmp(&self, other: &PyInt) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Python `int(s)` for a `str` (base 10): `None` where Python raises `ValueError`, including
/// numerals longer than [`INT_MAX_STR_DIGITS`] digits.
pub fn parse_int(s: &str) -> Option<PyInt> {
    let n = numeral(s)?;
    let bytes = n.bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > INT_MAX_STR_DIGITS {
        return None;
    }
    let first = digits.iter().position(|&d| d != b'0').unwrap_or(digits.len() - 1);
    let digits = String::from_utf8_lossy(&digits[first..]).into_owned();
    let negative = negative && digits != "0";
    Some(PyInt { negative, digits })
}

/// A fixed-capacity text buffer for formatting numbers without allocating.
struct StackText {
    buf: [u8; 40],
    len: usize,
}

impl StackText {
    fn new() -> StackText {
        StackText { buf: [0; 40], len: 0 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes Python's `repr(float)` (= `str(float)`) of `f` to `out` without allocating; the same
/// text as [`float_repr`].
pub fn write_float_repr<W: Write>(f: f64, out: &mut W) -> std::fmt::Result {
    if f.is_nan() {
        return out.write_str("nan");
    }
    if f.is_infinite() {
        return out.write_str(if f > 0.0 { "inf" } else { "-inf" });
    }
    if f == 0.0 {
        return out.write_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // `{:e}` gives the shortest round-trip digits ("-1.2345e-5"); at most 24 characters.
    let mut sci = StackText::new();
    write!(sci, "{:e}", f.abs())?;
    let sci = sci.as_str();
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (lead, rest) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let ndigits = lead.len() + rest.len();
    let digit = |i: usize| {
        if i < lead.len() {
            &lead[i..i + 1]
        } else {
            &rest[i - lead.len()..i - lead.len() + 1]
        }
    };
    if f < 0.0 {
        out.write_char('-')?;
    }
    if !(-4..16).contains(&exp) {
        out.write_str(lead)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
    } else if exp < 0 {
        out.write_str("0.")?;
        for _ in 0..(-exp - 1) {
            out.write_char('0')?;
        }
        out.write_str(lead)?;
        out.write_str(rest)
    } else {
        let point = exp as usize + 1;
        for i in 0..ndigits.min(point) {
            out.write_str(digit(i))?;
        }
        for _ in ndigits..point {
            out.write_char('0')?;
        }
        out.write_char('.')?;
        if ndigits <= point {
            out.write_char('0')
        } else {
            for i in point..ndigits {
                out.write_str(digit(i))?;
            }
            Ok(())
        }
    }
}

/// Writes Python's `str(int(f))` for an integral, finite `f` (every digit exact, as Python's
/// arbitrary-precision `int` prints it: `str(int(1e20))` is `100000000000000000000`).
pub fn write_int_of_float<W: Write>(f: f64, out: &mut W) -> std::fmt::Result {
    if !f.is_finite() {
        return Err(std::fmt::Error);
    }
    let f = f.trunc();
    if f.abs() < 9.0e18 {
        return write!(out, "{}", f as i64);
    }
    if f.abs() < 1.7e38 {
        return write!(out, "{}{}", if f < 0.0 { "-" } else { "" }, f.abs() as u128);
    }
    // m * 2^e with a 53-bit m; multiply out in base 10^9 limbs (least significant first).
    let bits = f.abs().to_bits();
    let mut mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let mut exp = ((bits >> 52) & 0x7FF) as i32 - 1075;
    while exp < 0 {
        mantissa >>= 1;
        exp += 1;
    }
    const BASE: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = vec![mantissa % BASE, (mantissa / BASE) % BASE, mantissa / BASE / BASE];
    while exp > 0 {
        let shift = exp.min(29);
        let mut carry = 0u64;
        for limb in limbs.iter_mut() {
            let v = (*limb << shift) + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
        exp -= shift;
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    if f < 0.0 {
        out.write_char('-')?;
    }
    let mut iter = limbs.iter().rev();
    if let Some(top) = iter.next() {
        write!(out, "{top}")?;
    }
    for limb in iter {
        write!(out, "{limb:09}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5e-7, "-2.5e-07"),
            (71.43 * 100.0, "7143.000000000001"),
            (1e100, "1e+100"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
            (20.01, "20.01"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "repr({f:?})");
        }
    }

    #[test]
    fn str_of_json_values_matches_python() {
        assert_eq!(str_of(&json!(5)), "5");
        assert_eq!(str_of(&json!(-5)), "-5");
        assert_eq!(str_of(&json!(1.0)), "1.0");
        assert_eq!(str_of(&json!(true)), "True");
        assert_eq!(str_of(&json!(null)), "None");
        assert_eq!(
            str_of(&json!({"a": 1, "b": [true, null, "x'y"]})),
            "{'a': 1, 'b': [True, None, \"x'y\"]}"
        );
        assert_eq!(str_of(&json!("plain")), "plain");
        assert_eq!(str_of(&json!(18446744073709551615u64)), "18446744073709551615");
    }

    #[test]
    fn truthiness_and_equality_match_python() {
        for v in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!truthy(&v), "{v} should be falsy");
        }
        for v in [
            json!(true),
            json!(-1),
            json!(0.5),
            json!("0"),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(truthy(&v), "{v} should be truthy");
        }
        assert!(eq(&json!(1), &json!(1.0)));
        assert!(eq(&json!(true), &json!(1)));
        assert!(!eq(&json!(1), &json!("1")));
        assert!(eq(&json!([1, "a"]), &json!([1.0, "a"])));
        assert!(!eq(&json!(null), &json!(0)));
    }

    /// Expected values from CPython 3.11: `int(x)` / `float(x)` (`None` = ValueError).
    #[test]
    fn int_and_float_parsing_match_python() {
        let ints: &[(&str, Option<&str>)] = &[
            ("12", Some("12")),
            (" +12 ", Some("12")),
            ("-0", Some("0")),
            ("1_2", Some("12")),
            ("1__2", None),
            ("_1", None),
            ("1_", None),
            ("١٢", Some("12")),
            ("  ", None),
            ("", None),
            ("+", None),
            ("1.0", None),
            ("0x1", None),
            ("007", Some("7")),
            ("\u{a0}12\u{2003}", Some("12")),
            ("\u{1c}1", None),
            ("-00012", Some("-12")),
            ("9223372036854775808", Some("9223372036854775808")),
        ];
        for &(text, want) in ints {
            let got = parse_int(text).map(|n| format!("{}{}", if n.negative { "-" } else { "" }, n.digits));
            assert_eq!(got.as_deref(), want, "int({text:?})");
        }
        assert!(parse_int(&"1".repeat(4300)).is_some());
        assert!(parse_int(&"1".repeat(4301)).is_none());
        assert!(parse_int(&"0".repeat(4301)).is_none());
        assert!(parse_int("1_".repeat(2200).trim_end_matches('_')).is_some());
        assert_eq!(parse_int("-12").and_then(|n| n.to_i64()), Some(-12));
        assert_eq!(parse_int("9223372036854775808").and_then(|n| n.to_i64()), None);
        assert!(parse_int("-5") < parse_int("3"));
        assert!(parse_int("-5") < parse_int("-4"));
        assert!(parse_int("10") > parse_int("9"));
        assert_eq!(parse_int("-0"), parse_int("0"));

        let floats: &[(&str, Option<f64>)] = &[
            ("12", Some(12.0)),
            (" +12 ", Some(12.0)),
            ("1_2", Some(12.0)),
            ("1__2", None),
            ("1.0", Some(1.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            (".", None),
            ("1e5", Some(1e5)),
            ("1E+5", Some(1e5)),
            ("1e", None),
            ("e5", None),
            ("1.5.2", None),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("infinit", None),
            ("0x1", None),
            ("١٢.٥", Some(12.5)),
            ("²", None),
            ("1 2", None),
            ("\u{85}5", Some(5.0)),
            ("\u{1c}5", None),
            ("1e400", Some(f64::INFINITY)),
        ];
        for &(text, want) in floats {
            assert_eq!(parse_float(text), want, "float({text:?})");
        }
        assert!(parse_float("nan").is_some_and(f64::is_nan));
        assert!(parse_float(" -NaN ").is_some_and(f64::is_nan));
        // float() has no digit limit (int() has).
        assert_eq!(parse_float(&"1".repeat(4301)), Some(f64::INFINITY));
    }

    #[test]
    fn character_classes_match_python() {
        for c in [
            '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{1f}', ' ', '\u{85}', '\u{a0}', '\u{2007}', '\u{3000}',
        ] {
            assert!(is_space(c), "{c:?}.isspace()");
        }
        for c in ['a', '\u{200b}', '\u{180e}', '\u{feff}', '_'] {
            assert!(!is_space(c), "{c:?}.isspace()");
        }
        assert_eq!(strip("\u{1c} x \u{3000}"), "x");
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{663}'), Some(3));
        assert_eq!(decimal_value('\u{1D7CE}'), Some(0));
        assert_eq!(decimal_value('\u{1D7FF}'), Some(9));
        assert_eq!(decimal_value('²'), None);
        assert_eq!(decimal_value('a'), None);
        assert!(is_digit('²') && is_digit('\u{2460}') && is_digit('5') && !is_digit('½'));
        assert!(str_is_digit("12²") && !str_is_digit("") && !str_is_digit("1.2"));
        assert_eq!(decimal_ranges().count(), 66);
    }

    #[test]
    fn number_writers_match_python() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            let mut s = String::new();
            let _ = write_float_repr(f, &mut s);
            assert_eq!(s, float_repr(f), "{f:?}");
        }
        let ints = [
            (1e20, "100000000000000000000"),
            (2f64.powi(70), "1180591620717411303424"),
            (1.7e38, "169999999999999998061923293023115935744"),
            (-3e25, "-30000000000000000570425344"),
            (9.0e18, "9000000000000000000"),
            (8.999999999999999e18, "8999999999999998976"),
            (123.0, "123"),
            (-0.0, "0"),
            (2f64.powi(63), "9223372036854775808"),
            (2f64.powi(127), "170141183460469231731687303715884105728"),
            (2f64.powi(128), "340282366920938463463374607431768211456"),
            (1.7e308, "169999999999999993883079578865998174333346074304075874502773119193537729178160565864330091787584707988572262467983188919169916105593357174268369962062473635296474636515660464935663040684957844303524367815028553272712298986386310828644513212353921123253311675499856875650512437415429217994623324794855339589632"),
        ];
        for (f, want) in ints {
            let mut s = String::new();
            let _ = write_int_of_float(f, &mut s);
            assert_eq!(s, want, "str(int({f:?}))");
        }
        let mut s = String::new();
        assert!(write_int_of_float(f64::INFINITY, &mut s).is_err());
    }
}
