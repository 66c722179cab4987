//! Evaluation of flags for users.

pub mod bucketing;
pub mod identity;
