//! Settings schema validation: accept and reject exactly what the official SDK's JSON schema
//! (Draft 7) accepts and rejects, naming the JSON path of the first problem.
//!
//! The official SDK (`SettingsManager.is_settings_valid`) validates the raw settings JSON with
//! `jsonschema.Draft7Validator(SETTINGS_FILE_SCHEMA)`. The schema is small and fixed, so instead
//! of a general JSON-Schema engine this module encodes it as static tables (`ObjectSchema`,
//! `Rule`, `KeyedSchema`) that mirror the Python schema modules one to one, and walks the
//! document once. Only the parts of the document the schema constrains are visited; free-form
//! values (`segments`, variable values, `impactCampaign`, unknown keys, ...) are only type-checked
//! at their root, so the walk is linear in the size of the constrained part and its recursion
//! depth is bounded by the schema (not by the data). Nothing is allocated unless an error is
//! built (the one exception: a hash map for a `groups.*.campaigns` array longer than
//! 32 items).
//!
//! Which problem is reported when there are several: the first one in document order, reading
//! the document as text. A wrong-typed value is reported before anything inside it; the members
//! of an object are checked in document order; a missing required key is reported at the
//! object's closing brace, i.e. after problems inside the object's members. The verdict
//! (valid / invalid) never depends on this order.
//!
//! [`validate_model_requirements`] covers a second stage: the SDK's model parser
//! (`SettingsModel(settings)`), run when the client is built, reads some keys unconditionally
//! and iterates some values, so schema-valid settings can still make client construction raise
//! (the SDK's `init` then returns `None`). That is an init failure, not a schema failure, so it is
//! a separate function.
//!
//! Path syntax: `$` is the root, `.key` for keys that look like identifiers
//! (`[A-Za-z_][A-Za-z0-9_]*`), `["key"]` (JSON-quoted) for any other key, `[i]` for array items:
//! `$.features[0].rules[1].campaignId`, `$.groups["12"].wt["3"]`.

use serde_json::{Map, Value};
use std::fmt;

/// The first schema violation found, with its JSON path (e.g. `$.features[0].rules[1].campaignId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON path of the offending value.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for SchemaError {}

/// Validates raw settings JSON against the official SDK's settings schema.
///
/// Returns `Ok(())` exactly when `jsonschema.Draft7Validator(SETTINGS_FILE_SCHEMA)` reports no
/// error for the same JSON (so exactly when the SDK's `is_settings_valid` returns `True`);
/// otherwise the first problem in document order (see the module docs).
pub fn validate(settings: &Value) -> Result<(), SchemaError> {
    check_rule(settings, &Rule::Object(&SETTINGS), &Path::Root)
}

/// Checks what the SDK's model parser (`SettingsModel(settings)`, run when the client is built)
/// needs beyond the schema. Meant to be called on settings that [`validate`] accepted; the SDK
/// validates first and only builds the client from valid settings.
///
/// For schema-valid settings the parser raises (and the SDK's `init` returns `None`, or
/// `update_settings` keeps the old settings) exactly when this returns an error:
/// * the root has no `sdkKey` key (any value, even `null`, is enough);
/// * a feature has no `rules` key (the schema makes `rules` optional, the parser indexes it);
/// * a feature has a `rulesLinkedCampaign` key whose value the parser cannot iterate into
///   campaigns: it must be an array of objects that each have `id`, `status`, `type`, `key`,
///   `name` and parse-able `variations` (below), or an empty object / empty string (which Python
///   iterates as nothing);
/// * a variation (of a campaign, or nested) has a `variations` key (the parser recurses into
///   nested variations, the schema ignores them) whose value is not an array of objects each
///   parse-able as a variation, an empty object or an empty string; a nested variation's
///   `variables` must likewise be an array of objects that each have `id`, `value`, `type` and
///   `key` (or an empty object / string). Nesting deeper than [`MAX_NESTED_VARIATIONS`] levels
///   is reported as an error, as Python raises `RecursionError` there (its exact depth depends on
///   the call stack; JSON text parsed by `serde_json` cannot nest that deep anyway);
/// * a holdout has a truthy `m` key (the parser prefers `m` over `metrics`) that is a number or
///   `true`: iterating it raises;
/// * `alwaysApplySampling` is present, not `null`, and not an object;
/// * `sampling` is present, not `null`, and not an object, or its `usage` / `debug` value is
///   truthy (in Python's sense) and not an object.
///
/// On settings that fail [`validate`] the result still follows the parser's reading order and
/// never panics, but it is only guaranteed to match the SDK on schema-valid input.
pub fn validate_model_requirements(settings: &Value) -> Result<(), SchemaError> {
    model::check_settings(settings)
}

// ---------------------------------------------------------------------------------------------
// JSON paths, built lazily

/// A JSON path as a chain of stack frames; rendered to text only when an error is reported.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Path::Root => out.push('$'),
            Path::Key(parent, key) => {
                parent.render_into(out);
                if is_identifier(key) {
                    out.push('.');
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(&json_quote(key));
                    out.push(']');
                }
            }
            Path::Index(parent, i) => {
                parent.render_into(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn json_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

#[cold]
#[inline(never)]
fn error(path: &Path<'_>, message: String) -> SchemaError {
    SchemaError {
        path: path.render(),
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON-Schema types

/// A set of JSON-Schema types, as a bit mask.
type Types = u8;
const NULL: Types = 1;
const BOOLEAN: Types = 1 << 1;
const NUMBER: Types = 1 << 2;
const STRING: Types = 1 << 3;
const ARRAY: Types = 1 << 4;
const OBJECT: Types = 1 << 5;

/// Names in the order the schema lists them in unions (`["number", "string", "boolean", "object"]`).
const TYPE_NAMES: [(Types, &str); 6] = [
    (NUMBER, "number"),
    (STRING, "string"),
    (BOOLEAN, "boolean"),
    (OBJECT, "object"),
    (ARRAY, "array"),
    (NULL, "null"),
];

/// The JSON-Schema type of a value. `number` covers integers and floats (so `1.0` is a number
/// and `true` is not, as in `jsonschema`); there is no separate `integer` in this schema.
fn type_of(v: &Value) -> Types {
    match v {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Number(_) => NUMBER,
        Value::String(_) => STRING,
        Value::Array(_) => ARRAY,
        Value::Object(_) => OBJECT,
    }
}

fn type_name(v: &Value) -> &'static str {
    let t = type_of(v);
    TYPE_NAMES
        .iter()
        .find(|(bit, _)| *bit == t)
        .map_or("value", |(_, name)| name)
}

/// `"number"`, `"number or string"`, `"number, string, boolean or object"`.
fn describe_types(types: Types) -> String {
    let names: Vec<&str> = TYPE_NAMES
        .iter()
        .filter(|(bit, _)| types & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    match names.split_last() {
        None => String::from("nothing"),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {}", rest.join(", "), last),
    }
}

#[cold]
#[inline(never)]
fn type_error(v: &Value, expected: Types, path: &Path<'_>) -> SchemaError {
    error(
        path,
        format!(
            "expected {}, found {}",
            describe_types(expected),
            type_name(v)
        ),
    )
}

fn check_type(v: &Value, expected: Types, path: &Path<'_>) -> Result<(), SchemaError> {
    if type_of(v) & expected != 0 {
        Ok(())
    } else {
        Err(type_error(v, expected, path))
    }
}

// ---------------------------------------------------------------------------------------------
// The schema, as tables mirroring `wingify/models/schemas/*.py`

/// What a property's value must satisfy.
enum Rule {
    /// `{"type": T}`, `T` possibly a union.
    Type(Types),
    /// `{"type": "object", "properties": ..., "required": ...}`.
    Object(&'static ObjectSchema),
    /// `{"type": "array", "items": OBJECT_SCHEMA}`.
    ArrayOf(&'static ObjectSchema),
    /// `{"type": "array", "items": {"type": T}}`.
    ArrayOfType(Types),
    /// `{"type": "array", "items": {"type": "string"}, "uniqueItems": true}`.
    UniqueStringArray,
    /// `{"if": {"type": "array"}, "then": {"items": S}, "else": EMPTY_OBJECT}`, and also the
    /// holdouts' `{"oneOf": [{"type": "array", "items": S}, EMPTY_OBJECT]}`: both accept exactly
    /// an array whose items all match `S`, or `{}` (the two `oneOf` branches can never both
    /// match, so `oneOf` behaves as `anyOf`).
    ArrayOrEmptyObject(&'static ObjectSchema),
    /// `{"type": "object", "patternProperties": {P: V}, "additionalProperties": ...}`.
    Keyed(&'static KeyedSchema),
}

/// An object with named properties. Unknown keys are allowed (no `additionalProperties`).
struct ObjectSchema {
    properties: &'static [(&'static str, Rule)],
    required: &'static [&'static str],
}

/// An object whose keys are matched against a pattern.
struct KeyedSchema {
    /// The key pattern of the single `patternProperties` entry.
    pattern: KeyPattern,
    /// What values under matching keys must satisfy.
    value: Rule,
    /// `Some(where)` when `additionalProperties` is false (non-matching keys are errors,
    /// `where` names the object in the message); `None` when other keys may hold anything.
    closed: Option<&'static str>,
}

/// The two patterns the schema uses, with Python `re.search` semantics: `$` also matches just
/// before one trailing `"\n"`, so `"12\n"` matches `^[0-9]+$`. `[0-9]` is ASCII only.
#[derive(Clone, Copy)]
enum KeyPattern {
    /// `^[0-9]+$`
    Digits,
    /// `^[0-9_]+$`
    DigitsOrUnderscores,
}

impl KeyPattern {
    fn matches(self, key: &str) -> bool {
        let body = key.strip_suffix('\n').unwrap_or(key);
        !body.is_empty()
            && body.bytes().all(|b| match self {
                KeyPattern::Digits => b.is_ascii_digit(),
                KeyPattern::DigitsOrUnderscores => b.is_ascii_digit() || b == b'_',
            })
    }

    fn source(self) -> &'static str {
        match self {
            KeyPattern::Digits => "^[0-9]+$",
            KeyPattern::DigitsOrUnderscores => "^[0-9_]+$",
        }
    }
}

/// `EMPTY_OBJECT`-based unions and `{"type": ["number", "string"]}` ids.
const NUMBER_OR_STRING: Types = NUMBER | STRING;

/// `settings_schema.py`: `SETTINGS_FILE_SCHEMA`.
static SETTINGS: ObjectSchema = ObjectSchema {
    properties: &[
        ("version", Rule::Type(NUMBER_OR_STRING)),
        ("accountId", Rule::Type(NUMBER_OR_STRING)),
        ("campaigns", Rule::ArrayOrEmptyObject(&CAMPAIGN)),
        ("features", Rule::ArrayOrEmptyObject(&FEATURE)),
        ("holdouts", Rule::ArrayOrEmptyObject(&HOLDOUT)),
        ("campaignGroups", Rule::Keyed(&CAMPAIGN_GROUPS)),
        ("groups", Rule::Keyed(&GROUPS)),
    ],
    required: &["version", "accountId", "campaigns", "features"],
};

/// `campaign_schema.py`: `CAMPAIGN_SCHEMA`.
static CAMPAIGN: ObjectSchema = ObjectSchema {
    properties: &[
        ("id", Rule::Type(NUMBER_OR_STRING)),
        ("type", Rule::Type(STRING)),
        ("key", Rule::Type(STRING)),
        ("percentTraffic", Rule::Type(NUMBER)),
        ("status", Rule::Type(STRING)),
        ("variations", Rule::ArrayOrEmptyObject(&VARIATION)),
        ("segments", Rule::Type(OBJECT)),
        ("isForcedVariationEnabled", Rule::Type(BOOLEAN)),
        ("isAlwaysCheckSegment", Rule::Type(BOOLEAN)),
        ("name", Rule::Type(STRING)),
    ],
    required: &[
        "id",
        "type",
        "key",
        "status",
        "variations",
        "segments",
        "name",
    ],
};

/// `campaign_variation_schema.py`: `CAMPAIGN_VARIATION_SCHEMA`.
static VARIATION: ObjectSchema = ObjectSchema {
    properties: &[
        ("id", Rule::Type(NUMBER_OR_STRING)),
        ("name", Rule::Type(STRING)),
        ("weight", Rule::Type(NUMBER_OR_STRING)),
        ("segments", Rule::Type(OBJECT)),
        ("variables", Rule::ArrayOrEmptyObject(&VARIABLE)),
        ("startRangeVariation", Rule::Type(NUMBER)),
        ("endRangeVariation", Rule::Type(NUMBER)),
    ],
    required: &["id", "name", "weight"],
};

/// `variable_schema.py`: `VARIABLE_SCHEMA`. `value` may not be an array or `null`.
static VARIABLE: ObjectSchema = ObjectSchema {
    properties: &[
        ("id", Rule::Type(NUMBER_OR_STRING)),
        ("type", Rule::Type(STRING)),
        ("key", Rule::Type(STRING)),
        ("value", Rule::Type(NUMBER | STRING | BOOLEAN | OBJECT)),
    ],
    required: &["id", "type", "key", "value"],
};

/// `feature_schema.py`: `FEATURE_SCHEMA`. `rules` is optional here (but see
/// [`validate_model_requirements`]).
static FEATURE: ObjectSchema = ObjectSchema {
    properties: &[
        ("id", Rule::Type(NUMBER_OR_STRING)),
        ("key", Rule::Type(STRING)),
        ("status", Rule::Type(STRING)),
        ("name", Rule::Type(STRING)),
        ("type", Rule::Type(STRING)),
        ("metrics", Rule::ArrayOf(&METRIC)),
        ("impactCampaign", Rule::Type(OBJECT)),
        ("rules", Rule::ArrayOf(&RULE)),
        ("variables", Rule::ArrayOrEmptyObject(&VARIABLE)),
    ],
    required: &["id", "key", "status", "name", "type", "metrics"],
};

/// `rule_schema.py`: `RULE_SCHEMA`. `campaignId` is a number only: `"1"` is rejected.
static RULE: ObjectSchema = ObjectSchema {
    properties: &[
        ("type", Rule::Type(STRING)),
        ("ruleKey", Rule::Type(STRING)),
        ("campaignId", Rule::Type(NUMBER)),
        ("variationId", Rule::Type(NUMBER)),
    ],
    required: &["type", "ruleKey", "campaignId"],
};

/// `campaign_metric_schema.py`: `CAMPAIGN_METRIC_SCHEMA`. `id` is a number only.
static METRIC: ObjectSchema = ObjectSchema {
    properties: &[
        ("id", Rule::Type(NUMBER)),
        ("type", Rule::Type(STRING)),
        ("identifier", Rule::Type(STRING)),
        ("mca", Rule::Type(NUMBER)),
        ("hasProps", Rule::Type(BOOLEAN)),
        ("revenueProp", Rule::Type(STRING)),
    ],
    required: &["id", "type", "identifier"],
};

/// `holdout_schema.py`: `HOLDOUT_SCHEMA`.
static HOLDOUT: ObjectSchema = ObjectSchema {
    properties: &[
        ("metrics", Rule::ArrayOf(&METRIC)),
        ("segments", Rule::Type(OBJECT)),
        ("featureIds", Rule::ArrayOfType(NUMBER)),
        ("isGlobal", Rule::Type(BOOLEAN)),
        ("name", Rule::Type(STRING)),
        ("id", Rule::Type(NUMBER_OR_STRING)),
        ("percentTraffic", Rule::Type(NUMBER)),
    ],
    required: &[
        "metrics",
        "segments",
        "featureIds",
        "isGlobal",
        "name",
        "id",
        "percentTraffic",
    ],
};

/// `campaign_group_schema.py`: `CAMPAIGN_GROUP_SCHEMA`.
static CAMPAIGN_GROUPS: KeyedSchema = KeyedSchema {
    pattern: KeyPattern::DigitsOrUnderscores,
    value: Rule::Type(NUMBER),
    closed: Some("campaignGroups"),
};

/// `group_schema.py`: `GROUP_SCHEMA`. Only the keys of `groups` itself are restricted; a group
/// object may have extra keys, and need not have any of its listed keys.
static GROUPS: KeyedSchema = KeyedSchema {
    pattern: KeyPattern::Digits,
    value: Rule::Object(&GROUP),
    closed: Some("groups"),
};

/// One `groups` value.
static GROUP: ObjectSchema = ObjectSchema {
    properties: &[
        ("name", Rule::Type(STRING)),
        ("campaigns", Rule::UniqueStringArray),
        ("et", Rule::Type(NUMBER)),
        ("p", Rule::ArrayOfType(STRING)),
        ("wt", Rule::Keyed(&GROUP_WEIGHTS)),
    ],
    required: &[],
};

/// A group's `wt`: keys matching `^[0-9]+$` hold numbers; other keys may hold anything.
static GROUP_WEIGHTS: KeyedSchema = KeyedSchema {
    pattern: KeyPattern::Digits,
    value: Rule::Type(NUMBER),
    closed: None,
};

/// Up to this many items, `uniqueItems` is checked pairwise (no allocation); above, with a hash map.
const PAIRWISE_UNIQUE_MAX: usize = 32;

// ---------------------------------------------------------------------------------------------
// The walk

fn check_rule(v: &Value, rule: &Rule, path: &Path<'_>) -> Result<(), SchemaError> {
    match rule {
        Rule::Type(types) => check_type(v, *types, path),
        Rule::Object(schema) => match v {
            Value::Object(map) => check_object(map, schema, path),
            _ => Err(type_error(v, OBJECT, path)),
        },
        Rule::ArrayOf(schema) => match v {
            Value::Array(items) => check_items(items, schema, path),
            _ => Err(type_error(v, ARRAY, path)),
        },
        Rule::ArrayOfType(types) => match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_type(item, *types, &Path::Index(path, i))?;
                }
                Ok(())
            }
            _ => Err(type_error(v, ARRAY, path)),
        },
        Rule::UniqueStringArray => match v {
            Value::Array(items) => check_unique_strings(items, path),
            _ => Err(type_error(v, ARRAY, path)),
        },
        Rule::ArrayOrEmptyObject(schema) => match v {
            Value::Array(items) => check_items(items, schema, path),
            Value::Object(map) if map.is_empty() => Ok(()),
            Value::Object(map) => Err(error(
                path,
                format!(
                    "expected array or empty object, found object with {} key{}",
                    map.len(),
                    if map.len() == 1 { "" } else { "s" }
                ),
            )),
            _ => Err(error(
                path,
                format!("expected array or empty object, found {}", type_name(v)),
            )),
        },
        Rule::Keyed(schema) => match v {
            Value::Object(map) => check_keyed(map, schema, path),
            _ => Err(type_error(v, OBJECT, path)),
        },
    }
}

fn check_items(items: &[Value], schema: &ObjectSchema, path: &Path<'_>) -> Result<(), SchemaError> {
    for (i, item) in items.iter().enumerate() {
        let item_path = Path::Index(path, i);
        match item {
            Value::Object(map) => check_object(map, schema, &item_path)?,
            _ => return Err(type_error(item, OBJECT, &item_path)),
        }
    }
    Ok(())
}

fn check_object(
    map: &Map<String, Value>,
    schema: &ObjectSchema,
    path: &Path<'_>,
) -> Result<(), SchemaError> {
    for (key, value) in map {
        if let Some((_, rule)) = schema.properties.iter().find(|(name, _)| *name == key) {
            check_rule(value, rule, &Path::Key(path, key))?;
        }
    }
    for &key in schema.required {
        if !map.contains_key(key) {
            return Err(error(path, format!("missing required key \"{key}\"")));
        }
    }
    Ok(())
}

fn check_keyed(
    map: &Map<String, Value>,
    schema: &KeyedSchema,
    path: &Path<'_>,
) -> Result<(), SchemaError> {
    for (key, value) in map {
        if schema.pattern.matches(key) {
            check_rule(value, &schema.value, &Path::Key(path, key))?;
        } else if let Some(place) = schema.closed {
            return Err(error(
                path,
                format!(
                    "unexpected key {} (not allowed inside {place}: keys must match {})",
                    json_quote(key),
                    schema.pattern.source()
                ),
            ));
        }
    }
    Ok(())
}

fn check_unique_strings(items: &[Value], path: &Path<'_>) -> Result<(), SchemaError> {
    for (i, item) in items.iter().enumerate() {
        check_type(item, STRING, &Path::Index(path, i))?;
    }
    fn as_str(v: &Value) -> &str {
        v.as_str().unwrap_or_default()
    }
    let duplicate = |i: usize, j: usize| {
        error(
            &Path::Index(path, j),
            format!(
                "duplicate item {} (same as item {i}; items must be unique)",
                json_quote(as_str(&items[j]))
            ),
        )
    };
    if items.len() <= PAIRWISE_UNIQUE_MAX {
        for j in 1..items.len() {
            if let Some(i) = (0..j).find(|&i| as_str(&items[i]) == as_str(&items[j])) {
                return Err(duplicate(i, j));
            }
        }
    } else {
        let mut seen = std::collections::HashMap::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            if let Some(&i) = seen.get(as_str(item)) {
                return Err(duplicate(i, j));
            }
            seen.insert(as_str(item), j);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The model parser's requirements

/// How many levels of `variations` nested inside variations are followed before giving up the
/// way Python does (`RecursionError`, around 490 levels with the default recursion limit).
pub const MAX_NESTED_VARIATIONS: usize = 400;

mod model {
    //! A mirror of `SettingsModel.__init__` and `wingify/utils/model_utils.py`, reporting where
    //! the Python code would raise. Read in the same order as the Python code reads.

    use super::{error, type_name, Path, SchemaError, MAX_NESTED_VARIATIONS};
    use serde_json::{Map, Value};

    type R = Result<(), SchemaError>;

    pub(super) fn check_settings(data: &Value) -> R {
        let root = Path::Root;
        let data = as_dict(data, &root)?;
        // self._features = [_parse_feature(f) for f in data["features"]]
        let features = index(data, "features", &root)?;
        for_each_item(features, &Path::Key(&root, "features"), &mut |f, p| {
            parse_feature(f, p)
        })?;
        index(data, "accountId", &root)?;
        // self._campaigns = [_parse_campaign(c) for c in data["campaigns"]]
        let campaigns = index(data, "campaigns", &root)?;
        for_each_item(campaigns, &Path::Key(&root, "campaigns"), &mut |c, p| {
            parse_campaign(c, p)
        })?;
        index(data, "sdkKey", &root)?;
        index(data, "version", &root)?;
        // self._holdouts = [HoldoutModel(h) for h in data.get("holdouts", [])]
        if let Some(holdouts) = data.get("holdouts") {
            for_each_item(holdouts, &Path::Key(&root, "holdouts"), &mut |h, p| {
                holdout(h, p)
            })?;
        }
        // AlwaysApplySampling(data.get("alwaysApplySampling", {})) if ... is not None
        if let Some(v) = data.get("alwaysApplySampling").filter(|v| !v.is_null()) {
            as_dict(v, &Path::Key(&root, "alwaysApplySampling"))?;
        }
        // EventCategorySamplingRates(data.get("sampling", {})) if ... is not None
        if let Some(v) = data.get("sampling").filter(|v| !v.is_null()) {
            let path = Path::Key(&root, "sampling");
            let sampling = as_dict(v, &path)?;
            for key in ["usage", "debug"] {
                // PlatformSamplingRates(data.get(key, {})) if data.get(key) else None
                if let Some(rates) = sampling.get(key).filter(|v| truthy(v)) {
                    as_dict(rates, &Path::Key(&path, key))?;
                }
            }
        }
        Ok(())
    }

    /// One item of a Python `for` loop over a JSON value.
    enum Item<'a> {
        /// An array element.
        Value(&'a Value),
        /// A dict key or a character of a string: a Python `str`.
        Str(&'a str),
    }

    /// Python's `for x in value`: arrays yield their items, dicts their keys, strings their
    /// characters; `None`, booleans and numbers raise `TypeError`.
    fn for_each_item(
        value: &Value,
        path: &Path<'_>,
        f: &mut dyn FnMut(Item<'_>, &Path<'_>) -> R,
    ) -> R {
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    f(Item::Value(item), &Path::Index(path, i))?;
                }
                Ok(())
            }
            Value::Object(map) => {
                for key in map.keys() {
                    f(Item::Str(key), &Path::Key(path, key))?;
                }
                Ok(())
            }
            Value::String(s) => {
                for (i, (at, c)) in s.char_indices().enumerate() {
                    f(Item::Str(&s[at..at + c.len_utf8()]), &Path::Index(path, i))?;
                }
                Ok(())
            }
            _ => Err(error(
                path,
                format!(
                    "{} is not iterable (the SDK's model parser loops over it)",
                    type_name(value)
                ),
            )),
        }
    }

    /// The item as a dict, or where Python raises calling `.get` / `[...]` on it.
    fn item_dict<'a>(
        item: Item<'a>,
        path: &Path<'_>,
    ) -> Result<&'a Map<String, Value>, SchemaError> {
        match item {
            Item::Value(v) => as_dict(v, path),
            Item::Str(_) => Err(error(
                path,
                "a string where the SDK's model parser needs an object (it iterates a non-empty object or string)".to_string(),
            )),
        }
    }

    fn as_dict<'a>(v: &'a Value, path: &Path<'_>) -> Result<&'a Map<String, Value>, SchemaError> {
        match v {
            Value::Object(map) => Ok(map),
            _ => Err(error(
                path,
                format!(
                    "expected object, found {} (the SDK's model parser reads keys from it)",
                    type_name(v)
                ),
            )),
        }
    }

    /// `d[key]`: raises `KeyError` when missing.
    fn index<'a>(
        d: &'a Map<String, Value>,
        key: &str,
        path: &Path<'_>,
    ) -> Result<&'a Value, SchemaError> {
        d.get(key).ok_or_else(|| {
            error(
                path,
                format!("missing key \"{key}\" (the SDK's model parser requires it)"),
            )
        })
    }

    /// Python truthiness of a JSON value.
    fn truthy(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
        }
    }

    /// `_parse_feature`.
    fn parse_feature(item: Item<'_>, path: &Path<'_>) -> R {
        let f = item_dict(item, path)?;
        // rules = [_parse_rule(rule) for rule in feature_data["rules"]]
        let rules = index(f, "rules", path)?;
        for_each_item(rules, &Path::Key(path, "rules"), &mut |r, p| {
            let r = item_dict(r, p)?;
            index(r, "type", p)?;
            index(r, "campaignId", p)?;
            Ok(())
        })?;
        // metrics = [_parse_metric(metric) for metric in feature_data["metrics"]]
        let metrics = index(f, "metrics", path)?;
        for_each_item(metrics, &Path::Key(path, "metrics"), &mut |m, p| {
            let m = item_dict(m, p)?;
            for key in ["id", "type", "identifier"] {
                index(m, key, p)?;
            }
            Ok(())
        })?;
        index(f, "id", path)?;
        index(f, "key", path)?;
        // ImpactCampaignModel(feature_data.get("impactCampaign", {})) calls .get on it
        if let Some(v) = f.get("impactCampaign") {
            as_dict(v, &Path::Key(path, "impactCampaign"))?;
        }
        index(f, "type", path)?;
        index(f, "name", path)?;
        // [_parse_campaign(c) for c in feature_data.get("rulesLinkedCampaign", [])]
        if let Some(v) = f.get("rulesLinkedCampaign") {
            for_each_item(v, &Path::Key(path, "rulesLinkedCampaign"), &mut |c, p| {
                parse_campaign(c, p)
            })?;
        }
        Ok(())
    }

    /// `_parse_campaign`.
    fn parse_campaign(item: Item<'_>, path: &Path<'_>) -> R {
        let c = item_dict(item, path)?;
        if let Some(v) = c.get("variations") {
            for_each_item(v, &Path::Key(path, "variations"), &mut |var, p| {
                parse_variation(var, p, 0)
            })?;
        }
        for key in ["id", "status", "type", "key", "name"] {
            index(c, key, path)?;
        }
        Ok(())
    }

    /// `_parse_variation`, which recurses into nested `variations`.
    fn parse_variation(item: Item<'_>, path: &Path<'_>, depth: usize) -> R {
        let v = item_dict(item, path)?;
        if let Some(vars) = v.get("variables") {
            for_each_item(vars, &Path::Key(path, "variables"), &mut |var, p| {
                let var = item_dict(var, p)?;
                for key in ["id", "value", "type", "key"] {
                    index(var, key, p)?;
                }
                Ok(())
            })?;
        }
        if let Some(nested) = v.get("variations") {
            let nested_path = Path::Key(path, "variations");
            if depth >= MAX_NESTED_VARIATIONS {
                return Err(error(
                    &nested_path,
                    "variations nested too deeply (the SDK's model parser recurses into them)"
                        .to_string(),
                ));
            }
            for_each_item(nested, &nested_path, &mut |var, p| {
                parse_variation(var, p, depth + 1)
            })?;
        }
        Ok(())
    }

    /// `HoldoutModel.__init__`.
    fn holdout(item: Item<'_>, path: &Path<'_>) -> R {
        // data = data or {}
        let h = match item {
            Item::Value(v) if !truthy(v) => return Ok(()),
            // the empty key "" of an object is a falsy str too
            Item::Str("") => return Ok(()),
            item => item_dict(item, path)?,
        };
        // raw_metrics = data.get("m") or data.get("metrics") or []
        let raw = [h.get("m"), h.get("metrics")]
            .into_iter()
            .flatten()
            .find(|v| truthy(v));
        if let Some(raw @ (Value::Number(_) | Value::Bool(_))) = raw {
            let key = if h.get("m").is_some_and(truthy) {
                "m"
            } else {
                "metrics"
            };
            return Err(error(
                &Path::Key(path, key),
                format!(
                    "{} is not iterable (the SDK's model parser loops over it)",
                    type_name(raw)
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid_settings() -> Value {
        json!({
            "version": 1,
            "accountId": 12345,
            "sdkKey": "key",
            "features": [{
                "id": 1, "key": "f", "status": "ON", "name": "F", "type": "FEATURE_FLAG",
                "metrics": [{"id": 1, "type": "CUSTOM_GOAL", "identifier": "e"}],
                "rules": [{"type": "FLAG_ROLLOUT", "ruleKey": "r", "campaignId": 1, "variationId": 1}]
            }],
            "campaigns": [{
                "id": 1, "type": "FLAG_ROLLOUT", "key": "f_r", "status": "RUNNING", "name": "c",
                "segments": {},
                "variations": [{"id": 1, "name": "v", "weight": 100,
                                "variables": [{"id": 1, "type": "string", "key": "k", "value": "x"}]}]
            }],
            "groups": {"1": {"name": "g", "campaigns": ["1", "2"], "et": 1, "p": ["1"], "wt": {"1": 50}}},
            "campaignGroups": {"1": 1, "2_3": 1},
            "holdouts": []
        })
    }

    fn err(v: &Value) -> SchemaError {
        validate(v).expect_err("expected a schema error")
    }

    #[test]
    fn accepts_valid_settings() {
        assert_eq!(validate(&valid_settings()), Ok(()));
        assert_eq!(validate_model_requirements(&valid_settings()), Ok(()));
    }

    #[test]
    fn rejects_non_object_root() {
        for v in [json!(null), json!([]), json!("x"), json!(1), json!(true)] {
            let e = err(&v);
            assert_eq!(e.path, "$");
            assert!(e.message.starts_with("expected object, found "), "{e}");
        }
    }

    #[test]
    fn type_messages() {
        let mut v = valid_settings();
        v["accountId"] = json!(true);
        let e = err(&v);
        assert_eq!(e.path, "$.accountId");
        assert_eq!(e.message, "expected number or string, found boolean");

        let mut v = valid_settings();
        v["campaigns"][0]["variations"][0]["variables"][0]["value"] = json!([1]);
        let e = err(&v);
        assert_eq!(e.path, "$.campaigns[0].variations[0].variables[0].value");
        assert_eq!(
            e.message,
            "expected number, string, boolean or object, found array"
        );

        let mut v = valid_settings();
        v["features"][0]["rules"][0]["campaignId"] = json!("1");
        let e = err(&v);
        assert_eq!(e.path, "$.features[0].rules[0].campaignId");
        assert_eq!(e.message, "expected number, found string");
    }

    #[test]
    fn number_semantics() {
        let mut v = valid_settings();
        v["features"][0]["rules"][0]["campaignId"] = json!(1.0);
        assert_eq!(validate(&v), Ok(()));
        v["features"][0]["rules"][0]["campaignId"] = json!(-1e300);
        assert_eq!(validate(&v), Ok(()));
        v["features"][0]["rules"][0]["campaignId"] = json!(u64::MAX);
        assert_eq!(validate(&v), Ok(()));
        v["features"][0]["rules"][0]["campaignId"] = json!(false);
        assert_eq!(err(&v).path, "$.features[0].rules[0].campaignId");
    }

    #[test]
    fn missing_key_is_reported_on_the_parent() {
        let mut v = valid_settings();
        v["features"][0].as_object_mut().unwrap().remove("metrics");
        let e = err(&v);
        assert_eq!(e.path, "$.features[0]");
        assert_eq!(e.message, "missing required key \"metrics\"");
    }

    #[test]
    fn problems_inside_come_before_missing_keys() {
        let mut v = valid_settings();
        let feature = v["features"][0].as_object_mut().unwrap();
        feature.remove("name");
        feature.insert("id".into(), json!(null));
        assert_eq!(err(&v).path, "$.features[0].id");
    }

    #[test]
    fn first_problem_in_document_order() {
        let v: Value = serde_json::from_str(
            r#"{"features": 3, "version": null, "accountId": 1, "campaigns": {}}"#,
        )
        .unwrap();
        assert_eq!(err(&v).path, "$.features");
        let v: Value = serde_json::from_str(
            r#"{"version": null, "features": 3, "accountId": 1, "campaigns": {}}"#,
        )
        .unwrap();
        assert_eq!(err(&v).path, "$.version");
    }

    #[test]
    fn array_or_empty_object() {
        for key in ["features", "campaigns", "holdouts"] {
            let mut v = valid_settings();
            v[key] = json!({});
            assert_eq!(validate(&v), Ok(()), "{key}");
            v[key] = json!({"a": 1});
            let e = err(&v);
            assert_eq!(e.path, format!("$.{key}"));
            assert_eq!(
                e.message,
                "expected array or empty object, found object with 1 key"
            );
            v[key] = json!(null);
            assert_eq!(
                err(&v).message,
                "expected array or empty object, found null"
            );
        }
    }

    #[test]
    fn groups_keys() {
        let mut v = valid_settings();
        v["groups"]["foo"] = json!({});
        let e = err(&v);
        assert_eq!(e.path, "$.groups");
        assert_eq!(
            e.message,
            "unexpected key \"foo\" (not allowed inside groups: keys must match ^[0-9]+$)"
        );
        // Python's `$` matches before one trailing newline.
        let mut v = valid_settings();
        v["groups"]["7\n"] = json!({});
        assert_eq!(validate(&v), Ok(()));
        v["groups"]["7\n\n"] = json!({});
        assert_eq!(err(&v).path, "$.groups");
        // extra keys inside one group, and non-digit keys inside wt, are fine
        let mut v = valid_settings();
        v["groups"]["1"]["extra"] = json!(null);
        v["groups"]["1"]["wt"]["x"] = json!("anything");
        assert_eq!(validate(&v), Ok(()));
        v["groups"]["1"]["wt"]["2"] = json!("50");
        assert_eq!(err(&v).path, "$.groups[\"1\"].wt[\"2\"]");
    }

    #[test]
    fn unique_campaigns() {
        let mut v = valid_settings();
        v["groups"]["1"]["campaigns"] = json!(["1", "2", "1"]);
        let e = err(&v);
        assert_eq!(e.path, "$.groups[\"1\"].campaigns[2]");
        assert!(e.message.contains("same as item 0"), "{e}");

        let many: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        v["groups"]["1"]["campaigns"] = json!(many);
        assert_eq!(validate(&v), Ok(()));
        let mut many = many;
        many.push("500".into());
        v["groups"]["1"]["campaigns"] = json!(many);
        let e = err(&v);
        assert_eq!(e.path, "$.groups[\"1\"].campaigns[1000]");
        assert!(e.message.contains("same as item 500"), "{e}");
    }

    #[test]
    fn path_rendering() {
        let root = Path::Root;
        let a = Path::Key(&root, "groups");
        let b = Path::Key(&a, "12");
        let c = Path::Key(&b, "wt");
        let d = Path::Index(&c, 3);
        let e = Path::Key(&d, "a \"b\"");
        assert_eq!(e.render(), r#"$.groups["12"].wt[3]["a \"b\""]"#);
        assert_eq!(Path::Key(&root, "_x1").render(), "$._x1");
    }

    #[test]
    fn describe() {
        assert_eq!(describe_types(NUMBER), "number");
        assert_eq!(describe_types(NUMBER | STRING), "number or string");
        assert_eq!(
            describe_types(NUMBER | STRING | BOOLEAN | OBJECT),
            "number, string, boolean or object"
        );
    }

    #[test]
    fn model_requirements() {
        let mut v = valid_settings();
        v.as_object_mut().unwrap().remove("sdkKey");
        assert_eq!(validate(&v), Ok(()));
        let e = validate_model_requirements(&v).unwrap_err();
        assert_eq!(e.path, "$");
        assert!(e.message.contains("\"sdkKey\""), "{e}");

        let mut v = valid_settings();
        v["sdkKey"] = json!(null);
        assert_eq!(validate_model_requirements(&v), Ok(()));

        let mut v = valid_settings();
        v["features"][0].as_object_mut().unwrap().remove("rules");
        assert_eq!(validate(&v), Ok(()));
        let e = validate_model_requirements(&v).unwrap_err();
        assert_eq!(e.path, "$.features[0]");
        assert!(e.message.contains("\"rules\""), "{e}");

        let mut v = valid_settings();
        v["sampling"] = json!({"usage": 0, "debug": {"server": 1}});
        v["alwaysApplySampling"] = json!(null);
        assert_eq!(validate_model_requirements(&v), Ok(()));
        v["sampling"]["usage"] = json!(5);
        assert_eq!(
            validate_model_requirements(&v).unwrap_err().path,
            "$.sampling.usage"
        );
    }

    /// Holdout iteration on schema-invalid input, as Python's `SettingsModel` does it (verdicts
    /// taken from running `SettingsModel` of the official SDK on these documents).
    #[test]
    fn model_holdouts_follow_python_iteration() {
        let base =
            json!({"version": 1, "accountId": 1, "sdkKey": "k", "features": [], "campaigns": []});
        for (holdouts, ok) in [
            (json!({"": 1}), true),
            (json!({"a": 1}), false),
            (json!(""), true),
            (json!("ab"), false),
            (json!([0, "", null, false, []]), true),
            (json!([{"m": "x"}]), true),
        ] {
            let mut v = base.clone();
            v["holdouts"] = holdouts.clone();
            assert_eq!(validate_model_requirements(&v).is_ok(), ok, "{holdouts}");
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let mut deep = json!(1);
        for _ in 0..500 {
            deep = Value::Array(vec![deep]);
        }
        let mut v = valid_settings();
        v["campaigns"][0]["segments"] = json!({"or": deep.clone()});
        v["extra"] = deep.clone();
        assert_eq!(validate(&v), Ok(()));
        assert_eq!(validate_model_requirements(&v), Ok(()));
        v["features"] = deep;
        assert_eq!(err(&v).path, "$.features[0]");
        let _ = validate_model_requirements(&v);
        for odd in [json!(null), json!([1]), json!({"features": null})] {
            assert!(validate(&odd).is_err());
            assert!(validate_model_requirements(&odd).is_err());
        }
    }
}
