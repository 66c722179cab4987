//! Segmentation DSL: `Segment::compile` + `segmentation::try_evaluate` on generated input.
//!
//! The first byte picks the input mode:
//! * even: the rest is a JSON case in the differential-test format
//!   (`{"dsl", "vars", "ctx": {user_agent, ip_address, _vwo, platform_variables}, "features",
//!   "stored"}`), which is how the seed corpus from the fixtures is fed;
//! * odd: the rest drives a generator (`Unstructured`) that builds a DSL from the grammar
//!   (and/or/not, custom_variable, user, ua, ip/browser/os versions, location and
//!   user-agent keys, featureId, campaignVariation, malformed nodes) with operands from the
//!   operand grammar (lower/wildcard/regex/gt/gte/lt/lte/inlist/plain) over an alphabet rich
//!   in regex syntax, Unicode case-folding corner cases and version strings, plus variables
//!   and a context of every JSON type.
//!
//! Each case is evaluated in both decision modes (default and `python_compat`).
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use vwo_fme::core::segmentation::{try_evaluate, Props, Segment, SegmentEnv};
use vwo_fme::core::LogLevel;

#[derive(Default)]
struct Case {
    dsl: Value,
    vars: Map<String, Value>,
    vwo_user_id: Option<String>,
    user_agent: Option<String>,
    ip_address: Option<String>,
    location: Option<Map<String, Value>>,
    ua_info: Option<Map<String, Value>>,
    web_testing: Option<Value>,
    features: Vec<(i64, String)>,
    stored: Vec<String>,
    in_list: bool,
    python_compat: bool,
    logged: usize,
}

impl SegmentEnv for Case {
    fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
    fn ip_address(&self) -> Option<&str> {
        self.ip_address.as_deref()
    }
    fn location(&self) -> Option<&Map<String, Value>> {
        self.location.as_ref()
    }
    fn ua_info(&self) -> Option<&Map<String, Value>> {
        self.ua_info.as_ref()
    }
    fn web_testing_campaigns(&self) -> Option<&Value> {
        self.web_testing.as_ref()
    }
    fn feature_key_for_id(&self, id: i64) -> Option<String> {
        self.features.iter().find(|(i, _)| *i == id).map(|(_, k)| k.clone())
    }
    fn has_stored_record(&mut self, feature_key: &str) -> bool {
        self.stored.iter().any(|k| k == feature_key)
    }
    fn in_list(&mut self, _attribute: &str, _list_id: &str) -> bool {
        self.in_list
    }
    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }
    fn log(&mut self, _level: LogLevel, message: &str) {
        self.logged += message.len();
    }
    fn error(&mut self, _template: &'static str, message: String) {
        self.logged += message.len();
    }
    fn python_compat(&self) -> bool {
        self.python_compat
    }
}

/// A case in the differential tests' JSON format.
fn from_json(data: &[u8]) -> Option<Case> {
    let case: Value = serde_json::from_slice(data).ok()?;
    let ctx = case.get("ctx").cloned().unwrap_or(Value::Null);
    let text = |k: &str| ctx.get(k).and_then(Value::as_str).map(str::to_string);
    let vwo = ctx.get("_vwo").and_then(Value::as_object);
    let part = |k: &str| vwo.and_then(|v| v.get(k)).and_then(Value::as_object).cloned();
    let list = |k: &str| case.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    Some(Case {
        dsl: case.get("dsl").cloned().unwrap_or(Value::Null),
        vars: case.get("vars").and_then(Value::as_object).cloned().unwrap_or_default(),
        vwo_user_id: case.get("vwo_user_id").and_then(Value::as_str).map(str::to_string),
        user_agent: text("user_agent"),
        ip_address: text("ip_address"),
        location: part("location"),
        ua_info: part("userAgent"),
        web_testing: ctx
            .get("platform_variables")
            .and_then(|p| p.get("web_testing_campaigns"))
            .filter(|v| !v.is_null())
            .cloned(),
        features: list("features")
            .iter()
            .filter_map(|f| Some((f.get(0)?.as_i64()?, f.get(1)?.as_str()?.to_string())))
            .collect(),
        stored: list("stored")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        in_list: case.get("in_list").and_then(Value::as_bool).unwrap_or(false),
        ..Case::default()
    })
}

/// Pieces strings are made of: regex syntax, escapes, case-folding and digit corner cases,
/// separators used by the DSL (commas, dots, stars, parentheses) and version strings.
const ATOMS: &[&str] = &[
    "a",
    "b",
    "A",
    "1",
    "0",
    "9",
    ".",
    "*",
    "+",
    "?",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "|",
    "^",
    "$",
    "\\",
    "-",
    ",",
    " ",
    "\n",
    "\"",
    "'",
    "d",
    "w",
    "s",
    "\\d",
    "\\w",
    "\\s",
    "\\b",
    "\\B",
    "\\A",
    "\\Z",
    "\\1",
    "\\g<1>",
    "(?i)",
    "(?s)",
    "(?m)",
    "(?x)",
    "(?a)",
    "(?u)",
    "(?L)",
    "(?P<n>",
    "(?P=n)",
    "(?:",
    "(?=",
    "(?!",
    "(?<=",
    "(?<!",
    "(?#c)",
    "(?(1)a|b)",
    "{2}",
    "{1,3}",
    "{,5}",
    "{99999999999}",
    "*?",
    "+?",
    "??",
    "[^",
    "[a-z]",
    "[\\d]",
    "\\x41",
    "\\u00e9",
    "\\U0001F600",
    "\\N{DASH}",
    "\\0",
    "\\777",
    "é",
    "É",
    "Σ",
    "σ",
    "ς",
    "ß",
    "ẞ",
    "İ",
    "ı",
    "K",
    "ﬀ",
    "٣",
    "७",
    "\u{1F600}",
    "\u{0}",
    "1.2.3",
    "10.0",
    "1e3",
    "-5",
    "nan",
    "inf",
    "None",
    "True",
    "true",
    "false",
    "null",
    "Chrome",
    "Safari",
    "iPhone",
    "Android 14",
    "US",
    "India",
    "lower(",
    "wildcard(",
    "regex(",
    "gt(",
    "gte(",
    "lt(",
    "lte(",
    "inlist(",
    "(a+)+$",
    "(a|a)*b",
];

fn text(u: &mut Unstructured) -> Result<String> {
    let n = u.int_in_range(0..=6)?;
    let mut s = String::new();
    for _ in 0..n {
        if u.ratio(1, 8)? {
            // Occasionally a raw arbitrary string.
            let raw: &str = u.arbitrary()?;
            s.push_str(raw);
        } else {
            s.push_str(u.choose(ATOMS)?);
        }
    }
    Ok(s)
}

fn operand(u: &mut Unstructured) -> Result<String> {
    let body = text(u)?;
    Ok(match u.int_in_range(0..=9)? {
        0 => format!("lower({body})"),
        1 => format!("wildcard({body})"),
        2 => format!("regex({body})"),
        3 => format!("gt({body})"),
        4 => format!("gte({body})"),
        5 => format!("lt({body})"),
        6 => format!("lte({body})"),
        7 => format!("inlist({body})"),
        _ => body,
    })
}

fn scalar(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=7)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json!(u.int_in_range(-3i64..=20)?),
        3 => json!(u.arbitrary::<i64>()?),
        4 => {
            let f: f64 = u.arbitrary()?;
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        5 => json!(u.arbitrary::<u64>()?),
        _ => Value::String(text(u)?),
    })
}

fn junk(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=3)? {
        0 => scalar(u)?,
        1 => json!({}),
        2 => json!([]),
        _ => json!({ text(u)?: scalar(u)? }),
    })
}

const LOCATION_KEYS: &[&str] = &["country", "region", "city"];
const UA_KEYS: &[&str] = &["os", "browser_string", "device_type", "device"];

fn list(u: &mut Unstructured, depth: usize) -> Result<Value> {
    let n = u.int_in_range(0..=4)?;
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(node(u, depth + 1)?);
    }
    Ok(Value::Array(items))
}

fn node(u: &mut Unstructured, depth: usize) -> Result<Value> {
    // Deep nesting is cheap to ask for: allow it past MAX_DEPTH now and then.
    let leaf_only = depth > 6 && !u.ratio(1, 50)?;
    let pick = if leaf_only {
        u.int_in_range(3..=14)?
    } else {
        u.int_in_range(0..=14)?
    };
    Ok(match pick {
        0 => json!({"and": list(u, depth)?}),
        1 => json!({"or": list(u, depth)?}),
        2 => json!({"not": node(u, depth + 1)?}),
        3 | 4 => {
            let v = if u.ratio(1, 10)? {
                scalar(u)?
            } else {
                Value::String(operand(u)?)
            };
            json!({"custom_variable": { u.choose(&["a", "b", "c", "_vwoUserId", ""])?.to_string(): v }})
        }
        5 => json!({"user": text(u)?}),
        6 => json!({"ua": operand(u)?}),
        7 => json!({ u.choose(&["ip_address", "browser_version", "os_version"])?.to_string(): operand(u)? }),
        8 => {
            json!({ u.choose(LOCATION_KEYS)?.to_string(): if u.ratio(1, 6)? { scalar(u)? } else { Value::String(operand(u)?) } })
        }
        9 => {
            json!({ u.choose(UA_KEYS)?.to_string(): if u.ratio(1, 6)? { scalar(u)? } else { Value::String(operand(u)?) } })
        }
        10 => {
            let id = if u.ratio(1, 4)? {
                text(u)?
            } else {
                u.int_in_range(0..=3)?.to_string()
            };
            json!({"featureId": { id: *u.choose(&["on", "off", "maybe"])? }})
        }
        11 => {
            let v = match u.int_in_range(0..=2)? {
                0 => Value::String(format!("{}_{}", u.int_in_range(0..=3)?, u.int_in_range(0..=3)?)),
                1 => Value::String(operand(u)?),
                _ => scalar(u)?,
            };
            json!({"campaignVariation": v})
        }
        12 => junk(u)?,
        13 => {
            // Several keys in one node: only the first counts for the SDK.
            let mut m = Map::new();
            for _ in 0..u.int_in_range(2..=3)? {
                m.insert(
                    u.choose(&["and", "or", "not", "custom_variable", "featureId", "os", "country"])?
                        .to_string(),
                    junk(u)?,
                );
            }
            Value::Object(m)
        }
        _ => json!({ text(u)?: junk(u)? }),
    })
}

fn opt_map(u: &mut Unstructured, keys: &[&str]) -> Result<Option<Map<String, Value>>> {
    if !u.arbitrary()? {
        return Ok(None);
    }
    let mut m = Map::new();
    for k in keys {
        if u.arbitrary()? {
            m.insert(
                k.to_string(),
                if u.ratio(1, 5)? {
                    scalar(u)?
                } else {
                    Value::String(text(u)?)
                },
            );
        }
    }
    Ok(Some(m))
}

fn generated(u: &mut Unstructured) -> Result<Case> {
    let dsl = node(u, 1)?;
    let mut vars = Map::new();
    for k in ["a", "b", "c", "_vwoUserId"] {
        if u.arbitrary()? {
            vars.insert(k.to_string(), scalar(u)?);
        }
    }
    let opt_text =
        |u: &mut Unstructured| -> Result<Option<String>> { Ok(if u.arbitrary()? { Some(text(u)?) } else { None }) };
    Ok(Case {
        dsl,
        vars,
        vwo_user_id: opt_text(u)?,
        user_agent: opt_text(u)?,
        ip_address: opt_text(u)?,
        location: opt_map(u, LOCATION_KEYS)?,
        ua_info: opt_map(
            u,
            &[
                "os",
                "browser_string",
                "device_type",
                "device",
                "browser_version",
                "os_version",
            ],
        )?,
        web_testing: if u.arbitrary()? {
            Some(match u.int_in_range(0..=2)? {
                0 => json!([{"campaignId": u.int_in_range(0..=3)?, "variationId": u.int_in_range(0..=3)?}]),
                1 => Value::String(text(u)?),
                _ => junk(u)?,
            })
        } else {
            None
        },
        features: vec![(1, "f1".into()), (2, "f2".into())],
        stored: if u.arbitrary()? { vec!["f1".into()] } else { vec![] },
        in_list: u.arbitrary()?,
        ..Case::default()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let case = if mode % 2 == 0 {
        from_json(rest)
    } else {
        generated(&mut Unstructured::new(rest)).ok()
    };
    let Some(mut case) = case else {
        return;
    };
    let segment = Segment::compile(&case.dsl);
    std::hint::black_box((segment.is_empty(), segment.contains_campaign_variation()));
    let vars = std::mem::take(&mut case.vars);
    let vwo_user_id = case.vwo_user_id.take();
    for python_compat in [false, true] {
        case.python_compat = python_compat;
        let props = Props {
            vars: &vars,
            vwo_user_id: vwo_user_id.as_deref(),
        };
        std::hint::black_box(try_evaluate(&segment, &props, &mut case).ok());
    }
});
