//! Settings: validation and compilation into an immutable snapshot.

pub mod compile;
pub mod model;
pub mod ranges;
pub mod schema;

pub use compile::{canonical_json, compile, compile_str, SettingsError};
pub use model::*;
