//! Reusable user contexts: parse a context once, evaluate many flags with it.

use std::borrow::Cow;
use std::os::raw::c_char;

use super::error::*;
use super::strings::*;
use crate::core::decide::UserContext;

const CONTEXT_MAGIC: u64 = 0x5657_4f43_5458_5431; // "VWOCTXT1"

/// A parsed user context. Create with `vwo_context_new`, release with `vwo_context_free`.
/// Immutable: may be shared by any number of threads.
// `magic` first in every handle (C layout), so that checking the magic of a handle of another
// kind reads its `magic`, inside its allocation. With Rust's layout the field offsets
// differed per type and a wrong-kind handle was read out of bounds (found by fuzz target
// ffi_sequence under ASan). `cfg_attr` keeps cbindgen, which reads only plain `#[repr]`,
// exporting the type as opaque.
#[cfg_attr(all(), repr(C))]
pub struct vwo_context {
    magic: u64,
    pub(crate) ctx: UserContext,
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
            let v = json(text, "context_json")?;
            UserContext::from_json(&v)
                .map(Cow::Owned)
                .map_err(|e| fail(VWO_ERR_INVALID_ARGUMENT, format!("context_json: {e}")))
        }
        ContextArg::Handle(h) => {
            if h.is_null() {
                return Err(fail(VWO_ERR_NULL_ARGUMENT, "context is NULL"));
            }
            // SAFETY: every handle starts with its `magic` (C layout): reading it is in bounds
            // for a live handle of any kind.
            let magic = unsafe { std::ptr::addr_of!((*h).magic).read() };
            if magic != CONTEXT_MAGIC {
                return Err(fail(VWO_ERR_BAD_HANDLE, "not a vwo_context handle"));
            }
            // SAFETY: the magic says it is a live `vwo_context` (ABI contract: NULL or a live handle).
            let c = unsafe { &*h };
            Ok(Cow::Borrowed(&c.ctx))
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
                let h = Box::new(vwo_context {
                    magic: CONTEXT_MAGIC,
                    ctx: ctx.into_owned(),
                });
                // SAFETY: `out_context` is writable.
                unsafe { *out_context = Box::into_raw(h) };
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
        // SAFETY: the handle came from `Box::into_raw` in `vwo_context_new`.
        let mut b = unsafe { Box::from_raw(context) };
        b.magic = 0;
        VWO_OK
    });
}
