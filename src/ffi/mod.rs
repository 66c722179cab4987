//! The C ABI: `extern "C"` functions only, each checking its arguments inside one panic
//! boundary, over the thread-safe client.
//!
//! Conventions (the header repeats them on every function):
//! * Fallible functions return a [`vwo_status`]; `VWO_OK` is 0. The message of the last error
//!   on the calling thread is available from [`vwo_last_error_message`].
//! * Input strings are NUL-terminated UTF-8, borrowed for the duration of the call. NULL where
//!   not allowed, invalid UTF-8, malformed JSON and oversized input are errors, never undefined
//!   behaviour.
//! * Returned strings are owned by the caller and released with [`vwo_string_free`], unless
//!   a function says it returns a string borrowed from a handle.
//! * Handles are created by `*_new` functions and released by the matching `*_free`, which
//!   accepts NULL. All functions are thread-safe; a client handle may be shared by any number
//!   of threads.
//! * Given a live, open client, every failure of `vwo_get_flag*`, `vwo_track_event*` and
//!   `vwo_set_attribute*` is also logged through the client's logger, in the official SDKs'
//!   words (`API - getFlag failed to execute. Error:...`), so a binding need not log it.

#![allow(non_camel_case_types)] // C naming: `vwo_client`, `vwo_status`, ...

pub mod callbacks;
pub mod client;
pub mod context;
pub mod error;
pub mod flag;
mod handle;
pub mod strings;

pub use callbacks::*;
pub use client::*;
pub use context::*;
pub use error::*;
pub use flag::*;
pub use strings::*;

/// This library's version, e.g. `"0.1.0"`. A static string: never free it.
#[no_mangle]
pub extern "C" fn vwo_version() -> *const std::os::raw::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Major version of the C ABI. A binding refuses a library whose major differs from the one
/// it was written for.
pub const VWO_ABI_MAJOR: u32 = 1;
/// Minor version of the C ABI (additions only).
pub const VWO_ABI_MINOR: u32 = 0;

/// The ABI version, packed as `(major << 16) | minor`.
#[no_mangle]
pub extern "C" fn vwo_abi_version() -> u32 {
    (VWO_ABI_MAJOR << 16) | VWO_ABI_MINOR
}
