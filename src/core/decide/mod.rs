//! Evaluation of flags for users: bucketing, identity, rules, groups, holdouts, storage
//! semantics, and the effects of a decision.

pub mod bucketing;
pub mod context;
mod context_fields;
pub mod decision;
pub mod env;
mod eval;
mod flag;
mod holdouts;
pub mod identity;
mod meg;
mod rules;
pub mod trace;
mod traffic;

pub use context::{ContextError, ContextTextError, GatewayData, UserContext};
pub use decision::{DebugEvent, Decision, Effect, Impression, Reason, Shown, VariationRef};
pub use env::{DecisionEnv, EvalOptions, NoEnv, StorageRead};
pub use flag::get_flag;
pub use trace::{Step, Trace};
