//! Reusable user contexts: parse a context once, evaluate many flags with it.

use std::borrow::Cow;
use std::os::raw::c_char;

use super::error::*;
use super::handle::{handle_ref, into_handle, take_handle};
use super::strings::*;
use crate::core::decide::{ContextTextError, UserContext};

const CONTEXT_MAGIC: u64 = 0x5657_4f43_5458_5431; // "VWOCTXT1"

/// A parsed user context. Create with `vwo_context_new`, release with `vwo_context_free`.
/// Immutable: may be shared by any number of threads.
pub struct vwo_context {
    _opaque: [u8; 0],
}

/// A context argument: JSON text or a handle.
pub(crate) enum ContextArg {
    Json(*const c_char),
    Handle(*const vwo_context),
}

/// Resolves a context argument.
pub(crate) fn context_arg<'a>(arg: ContextArg) -> Result<Cow<'a, UserContext>, vwo_status> {
    match arg {
        ContextArg::Json(p) => {
            let text = input(p, "context_json", VWO_MAX_CONTEXT_BYTES)?;
            // Straight from the text: no intermediate `Value` for the top-level object.
            UserContext::from_json_str(text).map(Cow::Owned).map_err(|e| match e {
                ContextTextError::Json(e) => fail(VWO_ERR_INVALID_JSON, format!("context_json is not valid JSON: {e}")),
                ContextTextError::Context(e) => fail(VWO_ERR_INVALID_ARGUMENT, format!("context_json: {e}")),
            })
        }
        ContextArg::Handle(h) => {
            if h.is_null() {
                return Err(fail(VWO_ERR_NULL_ARGUMENT, "context is NULL"));
            }
            // SAFETY: a non-NULL handle points to a live handle block (ABI contract).
            unsafe { handle_ref::<UserContext, vwo_context>(h, CONTEXT_MAGIC) }
                .map(Cow::Borrowed)
                .ok_or_else(|| fail(VWO_ERR_BAD_HANDLE, "not a vwo_context handle"))
        }
    }
}

/// Parses a user context (a JSON object with `id` and optionally `custom_variables`,
/// `user_agent`, `ip_address`, ...; snake_case or camelCase keys) into a reusable handle.
/// Release it with `vwo_context_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_context_new(
    context_json: *const c_char,
    out_context: *mut *mut vwo_context,
) -> vwo_status {
    boundary(|| {
        if out_context.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_context is NULL");
        }
        // SAFETY: `out_context` is writable.
        unsafe { *out_context = std::ptr::null_mut() };
        match context_arg(ContextArg::Json(context_json)) {
            Ok(ctx) => {
                // SAFETY: `out_context` is writable.
                unsafe { *out_context = into_handle(CONTEXT_MAGIC, ctx.into_owned()) };
                VWO_OK
            }
            Err(s) => s,
        }
    })
}

/// Frees a context handle. NULL is ignored.
///
/// # Safety
/// `context` is NULL or a live handle no longer used by any thread.
#[no_mangle]
pub unsafe extern "C" fn vwo_context_free(context: *mut vwo_context) {
    let _ = boundary(|| {
        if context.is_null() || context_arg(ContextArg::Handle(context)).is_err() {
            return VWO_OK;
        }
        // SAFETY: a live context handle (checked above), no longer used by other threads.
        drop(unsafe { take_handle::<UserContext, vwo_context>(context, CONTEXT_MAGIC) });
        VWO_OK
    });
}
