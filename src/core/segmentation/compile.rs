//! JSON DSL → [`Node`] tree.
//!
//! The shape checks reproduce what the official SDK does with malformed input: a node that is
//! not an object, an empty object, an `and`/`or` over something other than a list, or a
//! non-string operand makes Python raise (`TypeError`, `IndexError`, `AttributeError`) at the
//! point where it is evaluated; those compile to [`Node::Raise`] in the same position so that
//! short-circuiting decides, as in Python, whether it is ever reached.

use serde_json::{Map, Value};
use std::sync::Arc;

use super::location::{LocationCheck, LOCATION_KEYS};
use super::node::{And, ContextField, CustomTest, CustomVariable, FeatureCheck, Node, Or, OrExit, OrStep, Raised};
use super::operand::Operand;
use super::user_agent::{UaCheck, UA_KEYS};
use super::{web_testing, MAX_DEPTH};
use crate::core::python;

pub(crate) struct Compiler {
    /// Set when some node nests deeper than [`MAX_DEPTH`].
    pub(crate) too_deep: bool,
}

/// `inlist(<id>)` as the Node SDK finds it (`/inlist\(([^)]+)\)/`): the leftmost occurrence
/// with a non-empty id.
fn inlist_id(operand: &str) -> Option<&str> {
    operand.match_indices("inlist(").find_map(|(at, m)| {
        let rest = &operand[at + m.len()..];
        rest.find(')').filter(|&close| close > 0).map(|close| &rest[..close])
    })
}

/// The first `(key, value)` of a DSL object, or the exception Python's `get_key_value` leads to.
fn first_entry(v: &Value) -> Result<(&String, &Value), Raised> {
    match v {
        Value::Object(m) => m.iter().next().ok_or("IndexError"),
        _ => Err("TypeError"),
    }
}

/// Whether an `and`/`or` operand that is not a list iterates as an empty list in Python (an
/// empty string or object); anything else raises once an element is looked at.
fn vacuous(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn custom_variable(v: &Value) -> Node {
    let (key, operand) = match first_entry(v) {
        Ok(entry) => entry,
        Err(e) => return Node::Raise(e),
    };
    let test = match operand {
        Value::String(s) if s.contains("inlist") => CustomTest::InList(inlist_id(s).map(Into::into)),
        Value::String(s) => CustomTest::Compare(Operand::compile(s, false)),
        _ => CustomTest::Raise("TypeError"),
    };
    Node::CustomVariable(Box::new(CustomVariable {
        key: key.as_str().into(),
        test,
    }))
}

fn user(v: &Value) -> Node {
    match v {
        Value::String(s) => Node::User(s.split(',').map(|u| python::strip(u).into()).collect()),
        _ => Node::Raise("AttributeError"),
    }
}

/// `featureId: {"<id>": "on"|"off"}` met by the `or` key scan: `Ok(None)` when the scan goes on
/// (any other value), otherwise how the `or` ends.
fn feature_id(v: &Value) -> Result<Option<FeatureCheck>, Raised> {
    let Value::Object(m) = v else {
        return Err("AttributeError");
    };
    let (id_text, state) = m.iter().next().ok_or("IndexError")?;
    let off = match state.as_str() {
        Some("on") => false,
        Some("off") => true,
        _ => return Ok(None),
    };
    let id = python::parse_int(id_text).ok_or("ValueError")?;
    Ok(Some(FeatureCheck {
        id_text: id_text.as_str().into(),
        id: id.to_i64(),
        off,
    }))
}

impl Compiler {
    pub(crate) fn new() -> Compiler {
        Compiler { too_deep: false }
    }

    /// `is_segmentation_valid`: only the first key of an object is its operator.
    pub(crate) fn node(&mut self, dsl: &Value, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return Node::Const(false);
        }
        let (op, value) = match first_entry(dsl) {
            Ok(entry) => entry,
            Err(e) => return Node::Raise(e),
        };
        match op.as_str() {
            "not" => Node::Not(Box::new(self.node(value, depth + 1))),
            "and" => self.and(value, depth),
            "or" => self.or(value, depth),
            "custom_variable" => custom_variable(value),
            "user" => user(value),
            "ua" => Node::UserAgent(Box::new(match value {
                Value::String(s) => Ok(Operand::compile(s, false)),
                _ => Err("TypeError"),
            })),
            "ip_address" => self.context(ContextField::Ip, value),
            "browser_version" => self.context(ContextField::BrowserVersion, value),
            "os_version" => self.context(ContextField::OsVersion, value),
            "campaignVariation" => web_testing::compile(value),
            _ => Node::Const(false),
        }
    }

    fn context(&mut self, field: ContextField, v: &Value) -> Node {
        Node::Context(field, Box::new(Operand::compile(&python::str_of(v), true)))
    }

    /// `every`: location nodes are collected, not evaluated; the location check replaces the
    /// result only when the collected keys are as many as the list's elements.
    fn and(&mut self, v: &Value, depth: usize) -> Node {
        let items = match v {
            Value::Array(items) => items,
            other => {
                return if vacuous(other) {
                    Node::Const(true)
                } else {
                    Node::Raise("TypeError")
                }
            }
        };
        let mut evals = Vec::new();
        let mut collected: Vec<(&'static str, &Value)> = Vec::new();
        for item in items {
            match item {
                Value::Object(m) if LOCATION_KEYS.iter().any(|k| m.contains_key(*k)) => {
                    for key in LOCATION_KEYS {
                        if let Some(value) = m.get(key) {
                            match collected.iter_mut().find(|(k, _)| *k == key) {
                                Some(slot) => slot.1 = value,
                                None => collected.push((key, value)),
                            }
                        }
                    }
                    if collected.len() == items.len() {
                        let location = Some(LocationCheck::new(&collected));
                        return Node::And(Box::new(And { evals, location }));
                    }
                }
                Value::Object(_) => evals.push(self.node(item, depth + 1)),
                _ => evals.push(Node::Raise("TypeError")),
            }
        }
        Node::And(Box::new(And { evals, location: None }))
    }

    /// `some`: every key of every element is scanned first (UA keys are collected, `featureId`
    /// ends the `or`); once all elements seen so far are UA keys the UA check decides.
    fn or(&mut self, v: &Value, depth: usize) -> Node {
        let items = match v {
            Value::Array(items) => items,
            other => {
                return if vacuous(other) {
                    Node::Const(false)
                } else {
                    Node::Raise("TypeError")
                };
            }
        };
        let mut collected: Vec<(&'static str, Vec<&str>)> = Vec::new();
        let mut ua_keys_seen = 0usize;
        let mut check: Option<Arc<UaCheck>> = None;
        let mut steps = Vec::new();
        let finish = |steps, exit| Node::Or(Box::new(Or { steps, exit }));
        for item in items {
            match item {
                Value::Object(m) => {
                    for (key, value) in m {
                        if let Some(ua_key) = UA_KEYS.iter().find(|k| **k == key) {
                            let values: Vec<&str> = match value {
                                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                                other => other.as_str().into_iter().collect(),
                            };
                            match collected.iter_mut().find(|(k, _)| k == ua_key) {
                                Some(slot) => slot.1.extend(values),
                                None => collected.push((ua_key, values)),
                            }
                            ua_keys_seen += 1;
                            check = None;
                        }
                        if key == "featureId" {
                            match feature_id(value) {
                                Ok(None) => {}
                                Ok(Some(f)) => return finish(steps, Some(OrExit::FeatureId(f))),
                                Err(e) => return finish(steps, Some(OrExit::Raise(e))),
                            }
                        }
                    }
                }
                // Iterating a list yields its elements as keys; indexing the list with one
                // that names a UA key or `featureId` raises.
                Value::Array(list) => {
                    let named = |x: &Value| x.as_str().is_some_and(|s| s == "featureId" || UA_KEYS.contains(&s));
                    if list.iter().any(named) {
                        return finish(steps, Some(OrExit::Raise("TypeError")));
                    }
                }
                Value::String(_) => {}
                _ => return finish(steps, Some(OrExit::Raise("TypeError"))),
            }
            let ua_check = if !collected.is_empty() && ua_keys_seen == items.len() {
                Some(check.get_or_insert_with(|| Arc::new(UaCheck::new(&collected))).clone())
            } else {
                None
            };
            let node = match item {
                Value::Object(_) => self.node(item, depth + 1),
                _ => Node::Raise("TypeError"),
            };
            steps.push(OrStep { ua_check, node });
        }
        finish(steps, None)
    }
}

/// `dsl_contains_campaign_variation_node`: a `campaignVariation` key anywhere in the objects
/// reachable through object values and list elements. Iterative, so any depth is fine.
pub(crate) fn contains_campaign_variation(dsl: &Value) -> bool {
    let mut stack: Vec<&Map<String, Value>> = Vec::new();
    if let Value::Object(m) = dsl {
        stack.push(m);
    }
    while let Some(m) = stack.pop() {
        for (key, value) in m {
            if key == "campaignVariation" {
                return true;
            }
            match value {
                Value::Object(o) => stack.push(o),
                Value::Array(list) => stack.extend(list.iter().filter_map(Value::as_object)),
                _ => {}
            }
        }
    }
    false
}
