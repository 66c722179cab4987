//! The operand grammar shared by `custom_variable`, `ua`, `ip_address`, `browser_version` and
//! `os_version`: `lower(..)`, `wildcard(..)`, `regex(..)`, `gt(..)`/`gte(..)`/`lt(..)`/`lte(..)`
//! or a plain value, classified once at compile time.

use fancy_regex::Regex;
use std::cmp::Ordering;

use super::coerce;
use super::py_regex::{self, PatternError};
use super::version;
use crate::core::python;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Lower,
    Contains,
    StartsWith,
    EndsWith,
    Regex,
    Gt,
    Gte,
    Lt,
    Lte,
    Equal,
}

/// A classified operand with its value already coerced (and lower-cased or compiled where the
/// comparison needs it).
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    kind: Kind,
    value: Box<str>,
    /// `is_numeric_version(value)`, for the comparison kinds.
    numeric: bool,
    regex: Option<Result<Regex, PatternError>>,
}

/// `^name\((.*)\)` as Python's `re` finds it: `.` stops at a newline, and `.*` is greedy up to
/// the last `)` of the first line.
fn call_capture<'a>(operand: &'a str, name: &str) -> Option<&'a str> {
    let rest = operand.strip_prefix(name)?.strip_prefix('(')?;
    let line = rest.split('\n').next().unwrap_or(rest);
    line.rfind(')').map(|close| &line[..close])
}

/// `^name\(([\d.]+)\)$`: `\d` is any Unicode decimal digit and `$` tolerates one final newline.
fn comparison_capture<'a>(operand: &'a str, name: &str) -> Option<&'a str> {
    let body = operand.strip_suffix('\n').unwrap_or(operand);
    let inner = body.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')?;
    let valid = !inner.is_empty() && inner.chars().all(|c| c == '.' || python::decimal_value(c).is_some());
    valid.then_some(inner)
}

/// `pre_process_operand_value`: the comparison kind and the raw operand value.
fn classify(operand: &str) -> (Kind, &str) {
    if let Some(v) = call_capture(operand, "lower") {
        return (Kind::Lower, v);
    }
    if let Some(v) = call_capture(operand, "wildcard") {
        let kind = match (v.starts_with('*'), v.ends_with('*')) {
            (true, true) => Kind::Contains,
            (true, false) => Kind::EndsWith,
            (false, true) => Kind::StartsWith,
            (false, false) => Kind::Equal,
        };
        // All leading and trailing stars go, not just one: `**ab**` is `ab`.
        return (kind, v.trim_matches('*'));
    }
    if let Some(v) = call_capture(operand, "regex") {
        return (Kind::Regex, v);
    }
    for (name, kind) in [
        ("gt", Kind::Gt),
        ("gte", Kind::Gte),
        ("lt", Kind::Lt),
        ("lte", Kind::Lte),
    ] {
        if let Some(v) = comparison_capture(operand, name) {
            return (kind, v);
        }
    }
    (Kind::Equal, operand)
}

/// Python `a.lower() == b` for an already lower-cased `b`, without allocating unless `a` holds a
/// capital sigma (whose lower case depends on its position in the word).
pub(crate) fn lower_eq(a: &str, lower: &str) -> bool {
    if a.contains('\u{3A3}') {
        return a.to_lowercase() == lower;
    }
    a.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

impl Operand {
    /// Compiles an operand string. `context_field` selects the `ip_address`/`browser_version`/
    /// `os_version` variant, whose coerced value is also stripped and loses its `"` characters.
    pub(crate) fn compile(operand: &str, context_field: bool) -> Operand {
        let (kind, raw) = classify(operand);
        let converted = coerce::convert_str(raw);
        let mut value: String = if context_field {
            python::strip(&converted).replace('"', "")
        } else {
            converted.to_string()
        };
        let mut regex = None;
        let mut numeric = false;
        match kind {
            Kind::Lower => value = value.to_lowercase(),
            Kind::Regex => regex = Some(py_regex::compile(&value, false, false)),
            Kind::Gt | Kind::Gte | Kind::Lt | Kind::Lte => numeric = version::is_numeric_version(&value),
            _ => {}
        }
        Operand {
            kind,
            value: value.into_boxed_str(),
            numeric,
            regex,
        }
    }

    /// The comparison for a tag value given as text (it is coerced here); `Err` carries the
    /// Python exception the SDK would raise.
    pub(crate) fn matches(&self, tag: &str) -> Result<bool, &'static str> {
        self.matches_coerced(&coerce::convert_str(tag))
    }

    /// `extract_result` for an already coerced tag value.
    pub(crate) fn matches_coerced(&self, tag: &str) -> Result<bool, &'static str> {
        let value = &*self.value;
        Ok(match self.kind {
            Kind::Lower => lower_eq(tag, value),
            Kind::Contains => tag.contains(value),
            Kind::StartsWith => tag.starts_with(value),
            Kind::EndsWith => tag.ends_with(value),
            Kind::Equal => tag == value,
            Kind::Regex => match &self.regex {
                Some(Ok(re)) => py_regex::is_match(re, tag),
                Some(Err(PatternError::Exception(e))) => return Err(e),
                _ => false,
            },
            Kind::Gt | Kind::Gte | Kind::Lt | Kind::Lte => {
                if version::is_numeric_version(tag) != self.numeric {
                    return Ok(false);
                }
                let ord = version::compare_versions(tag, value)?;
                match self.kind {
                    Kind::Gt => ord == Ordering::Greater,
                    Kind::Gte => ord != Ordering::Less,
                    Kind::Lt => ord == Ordering::Less,
                    _ => ord != Ordering::Greater,
                }
            }
        })
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    #[cfg(test)]
    pub(crate) fn value(&self) -> &str {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_python_regexes() {
        let cases: &[(&str, Kind, &str)] = &[
            ("lower(AbC)", Kind::Lower, "abc"),
            ("lower(a)b)", Kind::Lower, "a)b"),
            ("lower(a)\nb)", Kind::Lower, "a"),
            ("lower(a\nb)", Kind::Equal, "lower(a\nb)"),
            ("LOWER(a)", Kind::Equal, "LOWER(a)"),
            ("lower()", Kind::Lower, ""),
            ("wildcard(*ab*)", Kind::Contains, "ab"),
            ("wildcard(**ab**)", Kind::Contains, "ab"),
            ("wildcard(*ab)", Kind::EndsWith, "ab"),
            ("wildcard(ab*)", Kind::StartsWith, "ab"),
            ("wildcard(ab)", Kind::Equal, "ab"),
            ("wildcard(a*b)", Kind::Equal, "a*b"),
            ("wildcard(*)", Kind::Contains, ""),
            ("wildcard(*5.0*)", Kind::Contains, "5"),
            ("regex(1.50)", Kind::Regex, "1.5"),
            ("regex(a(b)c)", Kind::Regex, "a(b)c"),
            ("gt(10.10)", Kind::Gt, "10.1"),
            ("gt(5)\n", Kind::Gt, "5"),
            ("gt(5)\n\n", Kind::Equal, "gt(5)\n\n"),
            ("gte(1.2.3)", Kind::Gte, "1.2.3"),
            ("lt(٥)", Kind::Lt, "5"),
            ("lte(.)", Kind::Lte, "."),
            ("gt(-5)", Kind::Equal, "gt(-5)"),
            ("gt()", Kind::Equal, "gt()"),
            ("gt(5) ", Kind::Equal, "gt(5) "),
            ("012", Kind::Equal, "12"),
            (" 5 ", Kind::Equal, "5"),
            ("eq_value", Kind::Equal, "eq_value"),
        ];
        for &(operand, kind, value) in cases {
            let op = Operand::compile(operand, false);
            assert_eq!((op.kind(), op.value()), (kind, value), "operand {operand:?}");
        }
        let op = Operand::compile("wildcard(* \"1.0\"*)", true);
        assert_eq!((op.kind(), op.value()), (Kind::Contains, "1.0"));
        let op = Operand::compile(" \"5\" ", true);
        assert_eq!((op.kind(), op.value()), (Kind::Equal, "5"));
    }

    #[test]
    fn lower_eq_is_python_lower() {
        assert!(lower_eq("HeLLo", "hello"));
        assert!(lower_eq("İ", "i\u{307}"));
        assert!(lower_eq("ΑΣ", "ας"));
        assert!(lower_eq("ΑΣ Β", "ας β"));
        assert!(lower_eq("ΣΑ", "σα"));
        assert!(!lower_eq("hello", "hell"));
    }
}
