//! vwo-fme: a native VWO Feature Management & Experimentation engine.
//!
//! Layers, from the bottom up (see `README.md`):
//! * [`core`]: pure decision logic over a compiled settings snapshot;
//! * [`events`]: event payloads on VWO's wire format;
//! * [`conformance`]: the conformance kit's cases/results formats and replay.
#![deny(clippy::no_mangle_with_rust_abi)]
#![warn(missing_docs)]

pub mod client;
pub mod conformance;
pub mod core;
pub mod events;
pub mod ffi;
pub mod net;
