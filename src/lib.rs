//! vwo-fme: a native VWO Feature Management & Experimentation engine.
//!
//! Layers, from the bottom up (see `README.md`):
//! * [`core`]: pure decision logic over a compiled settings snapshot;
#![deny(clippy::no_mangle_with_rust_abi)]
#![warn(missing_docs)]

pub mod core;
