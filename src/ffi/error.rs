//! Status codes, the per-thread last error, and the panic boundary every entry point runs in.

use std::cell::RefCell;
use std::ffi::CString;
use std::os::raw::c_char;

/// Result of a C ABI call. Values are stable across versions.
pub type vwo_status = i32;

/// Success.
pub const VWO_OK: vwo_status = 0;
/// A required pointer argument was NULL.
pub const VWO_ERR_NULL_ARGUMENT: vwo_status = 1;
/// A string argument was not valid UTF-8.
pub const VWO_ERR_INVALID_UTF8: vwo_status = 2;
/// A JSON argument did not parse.
pub const VWO_ERR_INVALID_JSON: vwo_status = 3;
/// An argument was well-formed but unusable (wrong type, missing key, bad value).
pub const VWO_ERR_INVALID_ARGUMENT: vwo_status = 4;
/// An argument exceeded its size limit.
pub const VWO_ERR_TOO_LARGE: vwo_status = 5;
/// The client could not be created from the options.
pub const VWO_ERR_INIT: vwo_status = 6;
/// The client was closed.
pub const VWO_ERR_CLOSED: vwo_status = 7;
/// No valid settings are installed yet.
pub const VWO_ERR_NO_SETTINGS: vwo_status = 8;
/// The operation failed (network, settings validation, gateway).
pub const VWO_ERR_FAILED: vwo_status = 9;
/// The requested variable does not exist on the flag (the default was written).
pub const VWO_ERR_NOT_FOUND: vwo_status = 10;
/// The variable exists but has another type (the default was written).
pub const VWO_ERR_TYPE_MISMATCH: vwo_status = 11;
/// A wrong handle type was passed (a flag where a client was expected, ...).
pub const VWO_ERR_BAD_HANDLE: vwo_status = 12;
/// The library caught a panic (a bug); the call had no effect beyond what it did before.
pub const VWO_ERR_PANIC: vwo_status = 99;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `msg` as this thread's last error and returns `status`.
pub(crate) fn fail(status: vwo_status, msg: impl Into<String>) -> vwo_status {
    let mut bytes = msg.into().into_bytes();
    bytes.retain(|b| *b != 0);
    let c = CString::new(bytes).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
    status
}

/// This thread's last error message.
pub(crate) fn last_error() -> String {
    LAST_ERROR.with(|e| e.borrow().to_string_lossy().into_owned())
}

/// Clears this thread's last error.
pub(crate) fn clear() {
    LAST_ERROR.with(|e| {
        if !e.borrow().as_bytes().is_empty() {
            *e.borrow_mut() = CString::default();
        }
    });
}

/// The message of the last failed call on this thread (empty after a success). Borrowed:
/// valid until the next `vwo_*` call on this thread; never NULL; do not free.
#[no_mangle]
pub extern "C" fn vwo_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// A readable name for a status code (`"VWO_ERR_INVALID_JSON"`). Static: do not free.
#[no_mangle]
pub extern "C" fn vwo_status_name(status: vwo_status) -> *const c_char {
    let s: &'static str = match status {
        VWO_OK => "VWO_OK\0",
        VWO_ERR_NULL_ARGUMENT => "VWO_ERR_NULL_ARGUMENT\0",
        VWO_ERR_INVALID_UTF8 => "VWO_ERR_INVALID_UTF8\0",
        VWO_ERR_INVALID_JSON => "VWO_ERR_INVALID_JSON\0",
        VWO_ERR_INVALID_ARGUMENT => "VWO_ERR_INVALID_ARGUMENT\0",
        VWO_ERR_TOO_LARGE => "VWO_ERR_TOO_LARGE\0",
        VWO_ERR_INIT => "VWO_ERR_INIT\0",
        VWO_ERR_CLOSED => "VWO_ERR_CLOSED\0",
        VWO_ERR_NO_SETTINGS => "VWO_ERR_NO_SETTINGS\0",
        VWO_ERR_FAILED => "VWO_ERR_FAILED\0",
        VWO_ERR_NOT_FOUND => "VWO_ERR_NOT_FOUND\0",
        VWO_ERR_TYPE_MISMATCH => "VWO_ERR_TYPE_MISMATCH\0",
        VWO_ERR_BAD_HANDLE => "VWO_ERR_BAD_HANDLE\0",
        VWO_ERR_PANIC => "VWO_ERR_PANIC\0",
        _ => "VWO_ERR_UNKNOWN\0",
    };
    s.as_ptr().cast()
}

/// Runs `f` inside the panic boundary: a panic becomes `VWO_ERR_PANIC` with a message, and
/// the last error is cleared before the call.
pub(crate) fn boundary(f: impl FnOnce() -> vwo_status) -> vwo_status {
    clear();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        // Cleared again: a callback run during the call may have made a failing call of its
        // own on this thread, and a success must leave no message behind.
        Ok(VWO_OK) => {
            clear();
            VWO_OK
        }
        Ok(s) => s,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            fail(VWO_ERR_PANIC, format!("internal error (please report): {what}"))
        }
    }
}

/// Like [`boundary`] for functions that return a value rather than a status.
pub(crate) fn boundary_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    clear();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(fallback)
}
