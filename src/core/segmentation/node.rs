//! The compiled DSL tree.
//!
//! Every Python behaviour that depends only on the DSL (which keys an `and` treats as location
//! conditions, when an `or` runs its user-agent check, which node raises) is settled when the
//! tree is built, so evaluation only looks at the user.

use std::sync::Arc;

use super::location::LocationCheck;
use super::operand::Operand;
use super::user_agent::UaCheck;
use super::web_testing::Encoding;

/// A Python exception name (`"TypeError"`, ...): evaluating the node raises it in the
/// official SDK.
pub(crate) type Raised = &'static str;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Unknown operators, location/UA keys outside their list, bad `campaignVariation` operands.
    Const(bool),
    /// A malformed node the official SDK raises on.
    Raise(Raised),
    Not(Box<Node>),
    And(Box<And>),
    Or(Box<Or>),
    CustomVariable(Box<CustomVariable>),
    /// `user`: the comma-separated ids, each stripped.
    User(Box<[Box<str>]>),
    /// `ua`: the operand, or the exception a non-string operand raises once a user agent is
    /// known to be present.
    UserAgent(Box<Result<Operand, Raised>>),
    /// `ip_address`, `browser_version`, `os_version`.
    Context(ContextField, Box<Operand>),
    CampaignVariation(Box<Encoding>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextField {
    Ip,
    BrowserVersion,
    OsVersion,
}

/// `and`: the nodes evaluated in order (location nodes are not evaluated), then, if the list
/// consists of location nodes only, the location check.
#[derive(Debug, Clone)]
pub(crate) struct And {
    pub(crate) evals: Vec<Node>,
    pub(crate) location: Option<LocationCheck>,
}

/// `or`: per list element, the user-agent check that runs before it (once every element seen
/// so far is a UA node) and the node itself; then whatever ended the key scan early.
#[derive(Debug, Clone)]
pub(crate) struct Or {
    pub(crate) steps: Vec<OrStep>,
    pub(crate) exit: Option<OrExit>,
}

#[derive(Debug, Clone)]
pub(crate) struct OrStep {
    pub(crate) ua_check: Option<Arc<UaCheck>>,
    pub(crate) node: Node,
}

/// The `or` key scan stops the whole `or` with a `featureId` result or an exception.
#[derive(Debug, Clone)]
pub(crate) enum OrExit {
    Raise(Raised),
    FeatureId(FeatureCheck),
}

/// `featureId: {"<id>": "on"|"off"}`.
#[derive(Debug, Clone)]
pub(crate) struct FeatureCheck {
    /// The id as written, for the not-found error message.
    pub(crate) id_text: Box<str>,
    /// `int(id)`; `None` when it does not fit an `i64` (no feature can have it).
    pub(crate) id: Option<i64>,
    pub(crate) off: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CustomVariable {
    pub(crate) key: Box<str>,
    pub(crate) test: CustomTest,
}

#[derive(Debug, Clone)]
pub(crate) enum CustomTest {
    /// A non-string operand: the SDK raises once the key is present.
    Raise(Raised),
    /// `inlist(listId)` (decision D2); `None` when the operand mentions `inlist` but has no
    /// `inlist(<id>)`.
    InList(Option<Box<str>>),
    Compare(Operand),
}
