//! Flag decisions: `vwo_get_flag` and the accessors of a flag handle.

use std::ffi::CString;
use std::os::raw::c_char;

use once_cell::sync::OnceCell;
use serde_json::Value;

use super::client::{client_ref, vwo_client};
use super::context::{context_arg, vwo_context, ContextArg};
use super::error::*;
use super::strings::*;
use crate::client::Flag;
use crate::core::decide::Reason;

const FLAG_MAGIC: u64 = 0x5657_4f46_4c41_4731; // "VWOFLAG1"

/// A flag decision. Release with `vwo_flag_free`. Immutable: may be read from any thread.
// `magic` first in every handle (C layout), so that checking the magic of a handle of another
// kind reads its `magic`, inside its allocation. With Rust's layout the field offsets
// differed per type and a wrong-kind handle was read out of bounds (found by fuzz target
// ffi_sequence under ASan). `cfg_attr` keeps cbindgen, which reads only plain `#[repr]`,
// exporting the type as opaque.
#[cfg_attr(all(), repr(C))]
pub struct vwo_flag {
    magic: u64,
    flag: Flag,
    uuid: OnceCell<Option<CString>>,
}

/// How a decision was reached (`vwo_flag_reason`).
pub type vwo_reason = i32;
/// Evaluated by the rules.
pub const VWO_REASON_EVALUATED: vwo_reason = 0;
/// Served from a stored experiment decision.
pub const VWO_REASON_STORED_EXPERIMENT: vwo_reason = 1;
/// Excluded by a stored holdout decision.
pub const VWO_REASON_STORED_HOLDOUT: vwo_reason = 2;
/// Excluded by a holdout.
pub const VWO_REASON_HOLDOUT: vwo_reason = 3;
/// No feature with this key.
pub const VWO_REASON_FEATURE_NOT_FOUND: vwo_reason = 4;
/// Evaluation failed (see the status and `vwo_last_error_message`); the flag is disabled.
pub const VWO_REASON_ERROR: vwo_reason = 5;

fn flag_ref<'a>(p: *const vwo_flag) -> Result<&'a vwo_flag, vwo_status> {
    if p.is_null() {
        return Err(fail(VWO_ERR_NULL_ARGUMENT, "flag is NULL"));
    }
    // SAFETY: every handle starts with its `magic` (C layout): reading it is in bounds
    // for a live handle of any kind.
    let magic = unsafe { std::ptr::addr_of!((*p).magic).read() };
    if magic != FLAG_MAGIC {
        return Err(fail(VWO_ERR_BAD_HANDLE, "not a vwo_flag handle"));
    }
    // SAFETY: the magic says it is a live `vwo_flag` (ABI contract: NULL or a live handle).
    let f = unsafe { &*p };
    Ok(f)
}

fn give(out: *mut *mut vwo_flag, flag: Flag) {
    // SAFETY: callers check `out` is non-NULL before.
    unsafe {
        *out = Box::into_raw(Box::new(vwo_flag {
            magic: FLAG_MAGIC,
            flag,
            uuid: OnceCell::new(),
        }))
    };
}

fn get_flag(
    client: *mut vwo_client,
    feature_key: *const c_char,
    ctx: ContextArg,
    out: *mut *mut vwo_flag,
) -> vwo_status {
    if out.is_null() {
        return fail(VWO_ERR_NULL_ARGUMENT, "out_flag is NULL");
    }
    // SAFETY: `out` is writable.
    unsafe { *out = std::ptr::null_mut() };
    let now = crate::events::payload::Stamp::now().now_s();
    let disabled = |e: &str| Flag::disabled(None, now, Reason::Error, Some(e.to_string()));
    let c = match client_ref(client) {
        Ok(c) => c,
        Err(s) => {
            // As documented, a flag handle comes back even for a NULL or wrong-kind client
            // handle (found by fuzzing: none was written, and callers that free the flag
            // unconditionally were fine but `*out_flag` stayed NULL against the contract).
            let msg = last_error();
            give(out, disabled(&msg));
            return fail(s, msg);
        }
    };
    let (fk, ctx) = match (input(feature_key, "feature_key", VWO_MAX_KEY_BYTES), context_arg(ctx)) {
        (Ok(fk), Ok(ctx)) => (fk, ctx),
        (Err(s), _) | (_, Err(s)) => {
            // Evaluation never fails to the host: a bad argument still gives a disabled flag.
            let msg = last_error();
            give(out, disabled(&msg));
            return fail(s, msg);
        }
    };
    let flag = c.get_flag(fk, &ctx);
    let status = match (flag.reason, &flag.error) {
        (Reason::Error, Some(e)) if c.is_closed() => fail(VWO_ERR_CLOSED, e.clone()),
        (Reason::Error, Some(e)) if e.contains("no valid settings") || e.contains("settings are installed") => {
            fail(VWO_ERR_NO_SETTINGS, e.clone())
        }
        (Reason::Error, Some(e)) => fail(VWO_ERR_FAILED, e.clone()),
        _ => VWO_OK,
    };
    give(out, flag);
    status
}

/// Decides `feature_key` for the user in `context_json`. Always writes a flag handle to
/// `*out_flag` (release it with `vwo_flag_free`): a problem gives a disabled flag and a
/// status saying why (`VWO_ERR_INVALID_JSON`, `VWO_ERR_NO_SETTINGS`, `VWO_ERR_CLOSED`, ...).
/// A missing feature is `VWO_OK` with reason `VWO_REASON_FEATURE_NOT_FOUND`, as in the
/// official SDKs. Runs the storage and integrations callbacks on this thread; queues events.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_get_flag(
    client: *mut vwo_client,
    feature_key: *const c_char,
    context_json: *const c_char,
    out_flag: *mut *mut vwo_flag,
) -> vwo_status {
    boundary(|| get_flag(client, feature_key, ContextArg::Json(context_json), out_flag))
}

/// [`vwo_get_flag`] with a context handle (no JSON parsing per call).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_get_flag_ctx(
    client: *mut vwo_client,
    feature_key: *const c_char,
    context: *const vwo_context,
    out_flag: *mut *mut vwo_flag,
) -> vwo_status {
    boundary(|| get_flag(client, feature_key, ContextArg::Handle(context), out_flag))
}

/// 1 when the flag is enabled, 0 when disabled (or `flag` is NULL).
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_is_enabled(flag: *const vwo_flag) -> i32 {
    boundary_value(0, || flag_ref(flag).map(|f| f.flag.enabled as i32).unwrap_or(0))
}

/// How the decision was reached (`VWO_REASON_*`); `VWO_REASON_ERROR` for NULL.
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_reason(flag: *const vwo_flag) -> vwo_reason {
    boundary_value(VWO_REASON_ERROR, || match flag_ref(flag).map(|f| f.flag.reason) {
        Ok(Reason::Evaluated) => VWO_REASON_EVALUATED,
        Ok(Reason::StoredExperiment) => VWO_REASON_STORED_EXPERIMENT,
        Ok(Reason::StoredHoldout) => VWO_REASON_STORED_HOLDOUT,
        Ok(Reason::Holdout) => VWO_REASON_HOLDOUT,
        Ok(Reason::FeatureNotFound) => VWO_REASON_FEATURE_NOT_FOUND,
        Ok(Reason::Error) | Err(_) => VWO_REASON_ERROR,
    })
}

/// The session id of the decision (unix seconds); 0 for NULL.
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_session_id(flag: *const vwo_flag) -> i64 {
    boundary_value(0, || flag_ref(flag).map(|f| f.flag.session_id).unwrap_or(0))
}

/// The visitor UUID of the decision, borrowed from the flag (valid until `vwo_flag_free`;
/// do not free). NULL when there is none (the call failed before deriving it) or `flag` is
/// NULL.
///
/// # Safety
/// `flag` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_uuid(flag: *const vwo_flag) -> *const c_char {
    boundary_value(std::ptr::null(), || match flag_ref(flag) {
        Ok(f) => f
            .uuid
            .get_or_init(|| f.flag.uuid().and_then(|u| CString::new(u).ok()))
            .as_ref()
            .map_or(std::ptr::null(), |c| c.as_ptr()),
        Err(_) => std::ptr::null(),
    })
}

fn variable<'a>(flag: *const vwo_flag, key: *const c_char) -> Result<Option<&'a Value>, vwo_status> {
    let f = flag_ref(flag)?;
    let k = input(key, "key", VWO_MAX_KEY_BYTES)?;
    Ok(f.flag.variable(k))
}

fn typed<T: Copy>(
    flag: *const vwo_flag,
    key: *const c_char,
    default: T,
    out: *mut T,
    what: &str,
    conv: impl Fn(&Value) -> Option<T>,
) -> vwo_status {
    if out.is_null() {
        return fail(VWO_ERR_NULL_ARGUMENT, "out is NULL");
    }
    // SAFETY: `out` is writable.
    unsafe { *out = default };
    match variable(flag, key) {
        Err(s) => s,
        Ok(None) => fail(VWO_ERR_NOT_FOUND, "no variable with this key on the flag"),
        Ok(Some(v)) => match conv(v) {
            Some(x) => {
                // SAFETY: `out` is writable.
                unsafe { *out = x };
                VWO_OK
            }
            None => fail(VWO_ERR_TYPE_MISMATCH, format!("the variable is {v}, not {what}")),
        },
    }
}

/// A boolean variable (0/1) into `*out`, else `default_value` with `VWO_ERR_NOT_FOUND` or
/// `VWO_ERR_TYPE_MISMATCH`.
///
/// # Safety
/// Pointers are NULL or valid; `key` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_bool(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: i32,
    out: *mut i32,
) -> vwo_status {
    boundary(|| {
        typed(flag, key, default_value, out, "a boolean", |v| {
            v.as_bool().map(|b| b as i32)
        })
    })
}

/// An integer variable into `*out` (a number with no fraction that fits 64 bits), else
/// `default_value` with a status.
///
/// # Safety
/// Pointers are NULL or valid; `key` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_int(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: i64,
    out: *mut i64,
) -> vwo_status {
    boundary(|| {
        typed(flag, key, default_value, out, "an integer", |v| {
            v.as_i64().or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            })
        })
    })
}

/// A number variable into `*out`, else `default_value` with a status.
///
/// # Safety
/// Pointers are NULL or valid; `key` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_double(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: f64,
    out: *mut f64,
) -> vwo_status {
    boundary(|| typed(flag, key, default_value, out, "a number", Value::as_f64))
}

/// A string variable as an owned string in `*out` (free with `vwo_string_free`), else a copy
/// of `default_value` (NULL stays NULL) with a status.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_get_string(
    flag: *const vwo_flag,
    key: *const c_char,
    default_value: *const c_char,
    out: *mut *mut c_char,
) -> vwo_status {
    boundary(|| {
        if out.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out is NULL");
        }
        // SAFETY: `out` is writable.
        unsafe { *out = std::ptr::null_mut() };
        let default = match input_opt(default_value, "default_value", VWO_MAX_CONTEXT_BYTES) {
            Ok(d) => d.map(str::to_string),
            Err(s) => return s,
        };
        let give_default = |status: vwo_status| {
            if let Some(d) = &default {
                put(out, d.clone());
            }
            status
        };
        match variable(flag, key) {
            Err(s) => give_default(s),
            Ok(None) => give_default(fail(VWO_ERR_NOT_FOUND, "no variable with this key on the flag")),
            Ok(Some(Value::String(s))) => put(out, s.clone()),
            Ok(Some(v)) => give_default(fail(
                VWO_ERR_TYPE_MISMATCH,
                format!("the variable is {v}, not a string"),
            )),
        }
    })
}

/// The raw value of a variable as JSON text (objects for `json` variables), owned (free
/// with `vwo_string_free`). `VWO_ERR_NOT_FOUND` (and NULL) when absent.
///
/// # Safety
/// Pointers are NULL or valid; `key` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_variable_json(
    flag: *const vwo_flag,
    key: *const c_char,
    out_json: *mut *mut c_char,
) -> vwo_status {
    boundary(|| {
        if out_json.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_json is NULL");
        }
        // SAFETY: `out_json` is writable.
        unsafe { *out_json = std::ptr::null_mut() };
        match variable(flag, key) {
            Err(s) => s,
            Ok(None) => fail(VWO_ERR_NOT_FOUND, "no variable with this key on the flag"),
            Ok(Some(v)) => put(out_json, v.to_string()),
        }
    })
}

/// All variables as a JSON array of `{"id", "value", "type", "key"}` (the official
/// `get_variables()`), owned (free with `vwo_string_free`).
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_variables_json(flag: *const vwo_flag, out_json: *mut *mut c_char) -> vwo_status {
    boundary(|| {
        if out_json.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_json is NULL");
        }
        // SAFETY: `out_json` is writable.
        unsafe { *out_json = std::ptr::null_mut() };
        match flag_ref(flag) {
            Ok(f) => put(out_json, f.flag.variables_json().to_string()),
            Err(s) => s,
        }
    })
}

/// Frees a flag handle. NULL is ignored.
///
/// # Safety
/// `flag` is NULL or a live handle no longer used by any thread.
#[no_mangle]
pub unsafe extern "C" fn vwo_flag_free(flag: *mut vwo_flag) {
    let _ = boundary(|| {
        if flag.is_null() || flag_ref(flag).is_err() {
            return VWO_OK;
        }
        // SAFETY: the handle came from `Box::into_raw` in `get_flag`.
        let mut b = unsafe { Box::from_raw(flag) };
        b.magic = 0;
        VWO_OK
    });
}
