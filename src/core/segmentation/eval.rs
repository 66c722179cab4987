//! Evaluation of a compiled tree for one user.

use serde_json::Value;
use std::borrow::Cow;

use super::coerce;
use super::messages;
use super::node::{ContextField, CustomTest, FeatureCheck, Node, OrExit, Raised};
use super::operand::Operand;
use super::web_testing;
use super::{Props, SegmentEnv};
use crate::core::{python, LogLevel};

/// A property the DSL reads: a JSON value from the context, or the injected `_vwoUserId`.
enum Tag<'a> {
    Json(&'a Value),
    UserId(&'a str),
}

impl<'a> Props<'a> {
    fn tag(&self, key: &str) -> Option<Tag<'a>> {
        if key == "_vwoUserId" {
            if let Some(id) = self.vwo_user_id {
                return Some(Tag::UserId(id));
            }
        }
        // Custom-variable maps are usually small: comparing keys beats hashing them.
        if self.vars.len() <= 16 {
            return self
                .vars
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| Tag::Json(v));
        }
        self.vars.get(key).map(Tag::Json)
    }
}

pub(crate) struct Evaluator<'p, 'e> {
    pub(crate) props: &'p Props<'p>,
    pub(crate) env: &'e mut dyn SegmentEnv,
}

impl Evaluator<'_, '_> {
    pub(crate) fn node(&mut self, node: &Node) -> Result<bool, Raised> {
        match node {
            Node::Const(b) => Ok(*b),
            Node::Raise(e) => Err(e),
            Node::Not(inner) => Ok(!self.node(inner)?),
            Node::And(and) => {
                for n in &and.evals {
                    if !self.node(n)? {
                        return Ok(false);
                    }
                }
                Ok(and.location.as_ref().is_none_or(|loc| loc.evaluate(self.env)))
            }
            Node::Or(or) => {
                for step in &or.steps {
                    if let Some(check) = &step.ua_check {
                        match check.evaluate(self.env) {
                            Ok(result) => return Ok(result),
                            Err(err) => self.env.error(
                                messages::USER_AGENT_VALIDATION_ERROR,
                                messages::user_agent_validation_error(&err),
                            ),
                        }
                    }
                    if self.node(&step.node)? {
                        return Ok(true);
                    }
                }
                match &or.exit {
                    None => Ok(false),
                    Some(OrExit::Raise(e)) => Err(e),
                    Some(OrExit::FeatureId(f)) => Ok(self.feature(f)),
                }
            }
            Node::CustomVariable(cv) => {
                let Some(tag) = self.props.tag(&cv.key) else {
                    return Ok(false);
                };
                match &cv.test {
                    CustomTest::Raise(e) => Err(e),
                    CustomTest::InList(_) if self.env.python_compat() => {
                        // The official SDK's pattern has no capture group: it always reports a
                        // bad format and never asks the gateway.
                        self.env.error(
                            messages::INVALID_ATTRIBUTE_LIST_FORMAT,
                            messages::INVALID_ATTRIBUTE_LIST_FORMAT_TEXT.to_string(),
                        );
                        Ok(false)
                    }
                    CustomTest::InList(None) => {
                        self.env.error(
                            messages::INVALID_ATTRIBUTE_LIST_FORMAT,
                            messages::INVALID_ATTRIBUTE_LIST_FORMAT_TEXT.to_string(),
                        );
                        Ok(false)
                    }
                    CustomTest::InList(Some(list_id)) => {
                        let attribute: Cow<'_, str> = match tag {
                            Tag::UserId(s) => Cow::Borrowed(s),
                            Tag::Json(Value::Null) => Cow::Borrowed(""),
                            Tag::Json(Value::Bool(b)) => Cow::Borrowed(coerce::bool_text(*b, false)),
                            Tag::Json(v) => python::str_of(v),
                        };
                        Ok(self.env.in_list(&attribute, list_id))
                    }
                    CustomTest::Compare(op) => match tag {
                        Tag::UserId(s) => op.matches(s),
                        Tag::Json(Value::Bool(b)) => {
                            op.matches_coerced(coerce::bool_text(*b, self.env.python_compat()))
                        }
                        Tag::Json(v) => op.matches_coerced(&coerce::convert_value(v, false)),
                    },
                }
            }
            Node::User(users) => {
                let id = match self.props.tag("_vwoUserId") {
                    Some(Tag::UserId(s)) => Some(s),
                    Some(Tag::Json(Value::String(s))) => Some(s.as_str()),
                    _ => None,
                };
                Ok(id.is_some_and(|id| users.iter().any(|u| **u == *id)))
            }
            Node::UserAgent(operand) => {
                let Some(ua) = self.env.user_agent().filter(|ua| !ua.is_empty()) else {
                    self.env.error(
                        messages::INVALID_USER_AGENT,
                        messages::INVALID_USER_AGENT_TEXT.to_string(),
                    );
                    return Ok(false);
                };
                match &**operand {
                    Ok(op) => op.matches(ua),
                    Err(e) => Err(e),
                }
            }
            Node::Context(field, op) => self.context(*field, op),
            Node::CampaignVariation(enc) => Ok(web_testing::evaluate(enc, self.env)),
        }
    }

    fn context(&mut self, field: ContextField, op: &Operand) -> Result<bool, Raised> {
        let tag: Option<Cow<'_, str>> = match field {
            ContextField::Ip => self.env.ip_address().map(Cow::Borrowed),
            ContextField::BrowserVersion | ContextField::OsVersion => {
                let key = if field == ContextField::BrowserVersion {
                    "browser_version"
                } else {
                    "os_version"
                };
                self.env
                    .ua_info()
                    .filter(|info| !info.is_empty())
                    .and_then(|info| info.get(key))
                    .filter(|v| !v.is_null())
                    .map(python::str_of)
            }
        };
        if let Some(tag) = tag {
            return op.matches(&tag);
        }
        match field {
            ContextField::Ip => {
                self.env.error(
                    messages::INVALID_IP_ADDRESS,
                    messages::INVALID_IP_ADDRESS_TEXT.to_string(),
                );
            }
            ContextField::BrowserVersion => self.info(messages::BROWSER_VERSION_NEEDS_USER_AGENT),
            ContextField::OsVersion => self.info(messages::OS_VERSION_NEEDS_USER_AGENT),
        }
        Ok(false)
    }

    fn info(&mut self, message: &str) {
        if self.env.log_enabled(LogLevel::Info) {
            self.env.log(LogLevel::Info, message);
        }
    }

    /// `featureId`: whether this user has a stored decision for the feature.
    fn feature(&mut self, f: &FeatureCheck) -> bool {
        match f.id.and_then(|id| self.env.feature_key_for_id(id)) {
            Some(key) => self.env.has_stored_record(&key) != f.off,
            None => {
                self.env.error(
                    messages::FEATURE_NOT_FOUND_WITH_ID,
                    messages::feature_not_found_with_id(&f.id_text),
                );
                false
            }
        }
    }
}
