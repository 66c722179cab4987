//! Strings across the boundary: borrowed, checked inputs and owned outputs.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use serde_json::Value;

use super::error::*;

/// Largest string accepted for names and keys (feature keys, event names, ids).
pub const VWO_MAX_KEY_BYTES: usize = 4 * 1024;
/// Largest JSON accepted for a context, event properties or attributes.
pub const VWO_MAX_CONTEXT_BYTES: usize = 1024 * 1024;
/// Largest JSON accepted for options or settings.
pub const VWO_MAX_SETTINGS_BYTES: usize = 64 * 1024 * 1024;

/// A borrowed, checked `&str` from a C string; `what` names the argument in errors.
pub(crate) fn input<'a>(p: *const c_char, what: &str, max: usize) -> Result<&'a str, vwo_status> {
    if p.is_null() {
        return Err(fail(VWO_ERR_NULL_ARGUMENT, format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call (ABI contract).
    let c = unsafe { CStr::from_ptr(p) };
    let bytes = c.to_bytes();
    if bytes.len() > max {
        return Err(fail(
            VWO_ERR_TOO_LARGE,
            format!("{what} is {} bytes, more than the {max} allowed", bytes.len()),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| fail(VWO_ERR_INVALID_UTF8, format!("{what} is not valid UTF-8: {e}")))
}

/// Like [`input`], but NULL is `None`.
pub(crate) fn input_opt<'a>(p: *const c_char, what: &str, max: usize) -> Result<Option<&'a str>, vwo_status> {
    if p.is_null() {
        Ok(None)
    } else {
        input(p, what, max).map(Some)
    }
}

/// Parses a JSON argument.
pub(crate) fn json(text: &str, what: &str) -> Result<Value, vwo_status> {
    serde_json::from_str(text).map_err(|e| fail(VWO_ERR_INVALID_JSON, format!("{what} is not valid JSON: {e}")))
}

/// An owned C string for the caller (interior NULs, impossible in JSON output, are dropped).
pub(crate) fn owned(s: impl Into<Vec<u8>>) -> *mut c_char {
    let mut bytes = s.into();
    bytes.retain(|b| *b != 0);
    CString::new(bytes).unwrap_or_default().into_raw()
}

/// Writes an owned string through `out`.
pub(crate) fn put(out: *mut *mut c_char, s: impl Into<Vec<u8>>) -> vwo_status {
    if out.is_null() {
        return fail(VWO_ERR_NULL_ARGUMENT, "the output pointer is NULL");
    }
    // SAFETY: `out` is non-NULL and points to writable storage (ABI contract).
    unsafe { *out = owned(s) };
    VWO_OK
}

/// Writes a value through an optional out-pointer.
pub(crate) fn put_opt<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: non-NULL out-pointers point to writable storage (ABI contract).
        unsafe { *out = v };
    }
}

/// Frees a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` must be NULL or a string this library returned and that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn vwo_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the string was created by `CString::into_raw` in this library.
        let _ = std::panic::catch_unwind(|| drop(unsafe { CString::from_raw(s) }));
    }
}
