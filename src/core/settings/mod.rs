//! Settings: validation and compilation into an immutable snapshot.

pub mod schema;
