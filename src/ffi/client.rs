//! Client handles and the API calls that are not about one flag.

use std::os::raw::c_char;
use std::time::Duration;

use serde_json::{Map, Value};

use super::callbacks::{from_host, vwo_callbacks};
use super::context::{context_arg, vwo_context, ContextArg};
use super::error::*;
use super::strings::*;
use crate::client::{ApiError, Client};
use crate::core::decide::identity;

const CLIENT_MAGIC: u64 = 0x5657_4f43_4c49_454e; // "VWOCLIEN"

/// A client. Create with `vwo_client_new`, release with `vwo_client_free`.
// `magic` first in every handle (C layout), so that checking the magic of a handle of another
// kind reads its `magic`, inside its allocation. With Rust's layout the field offsets
// differed per type and a wrong-kind handle was read out of bounds (found by fuzz target
// ffi_sequence under ASan). `cfg_attr` keeps cbindgen, which reads only plain `#[repr]`,
// exporting the type as opaque.
#[cfg_attr(all(), repr(C))]
pub struct vwo_client {
    magic: u64,
    pub(crate) client: Client,
}

/// A checked reference to a client handle.
pub(crate) fn client_ref<'a>(p: *const vwo_client) -> Result<&'a Client, vwo_status> {
    if p.is_null() {
        return Err(fail(VWO_ERR_NULL_ARGUMENT, "client is NULL"));
    }
    // SAFETY: every handle starts with its `magic` (C layout): reading it is in bounds
    // for a live handle of any kind.
    let magic = unsafe { std::ptr::addr_of!((*p).magic).read() };
    if magic != CLIENT_MAGIC {
        return Err(fail(VWO_ERR_BAD_HANDLE, "not a vwo_client handle"));
    }
    // SAFETY: the magic says it is a live `vwo_client` (ABI contract: NULL or a live handle).
    let c = unsafe { &*p };
    Ok(&c.client)
}

pub(crate) fn api_status(e: ApiError) -> vwo_status {
    let status = match &e {
        ApiError::Closed => VWO_ERR_CLOSED,
        ApiError::InvalidArgument(_) => VWO_ERR_INVALID_ARGUMENT,
        ApiError::NoSettings => VWO_ERR_NO_SETTINGS,
        ApiError::Failed(_) => VWO_ERR_FAILED,
    };
    fail(status, e.to_string())
}

/// Creates a client from options JSON (the official SDKs' keys, snake_case or camelCase) and
/// optional callbacks (NULL for none). Blocks while it fetches the settings, unless the
/// options carry `settings`. On success writes the handle to `*out_client`.
///
/// Ownership: `options_json` and `callbacks` are borrowed for the call (the function
/// pointers and `user_data` are kept). Release the handle with `vwo_client_free`.
/// Errors: `VWO_ERR_INIT` (missing `sdk_key` / `account_id`, unusable option: see
/// `vwo_last_error_message`), argument errors.
///
/// # Safety
/// Pointers are NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_new(
    options_json: *const c_char,
    callbacks: *const vwo_callbacks,
    out_client: *mut *mut vwo_client,
) -> vwo_status {
    boundary(|| {
        if out_client.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_client is NULL");
        }
        // SAFETY: `out_client` is writable.
        unsafe { *out_client = std::ptr::null_mut() };
        let text = match input(options_json, "options_json", VWO_MAX_SETTINGS_BYTES) {
            Ok(t) => t,
            Err(s) => return s,
        };
        let options = match json(text, "options_json") {
            Ok(v) => v,
            Err(s) => return s,
        };
        // SAFETY: `callbacks` is NULL or a readable struct.
        let cbs = match unsafe { from_host(callbacks) } {
            Ok(c) => c,
            Err(s) => return s,
        };
        match Client::from_json(&options, cbs) {
            Ok(client) => {
                let h = Box::new(vwo_client {
                    magic: CLIENT_MAGIC,
                    client,
                });
                // SAFETY: `out_client` is writable.
                unsafe { *out_client = Box::into_raw(h) };
                VWO_OK
            }
            Err(e) => fail(VWO_ERR_INIT, e.to_string()),
        }
    })
}

/// Closes a client: stops polling, delivers pending events within the shutdown timeout
/// (the rest go to the flush callback), joins the library's threads. Later calls on the
/// handle return `VWO_ERR_CLOSED` (flags come back disabled). Idempotent. Writes whether
/// every pending event was delivered to `*out_delivered_all` (may be NULL).
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_close(client: *mut vwo_client, out_delivered_all: *mut i32) -> vwo_status {
    boundary(|| {
        let c = match client_ref(client) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let r = c.close();
        put_opt(out_delivered_all, r.delivered_all as i32);
        VWO_OK
    })
}

/// Closes (if needed) and frees a client. NULL is ignored. The handle is invalid afterwards.
///
/// # Safety
/// `client` is NULL or a live handle not used by another thread during the call.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_free(client: *mut vwo_client) {
    let _ = boundary(|| {
        if client.is_null() || client_ref(client).is_err() {
            return VWO_OK;
        }
        // SAFETY: the handle came from `Box::into_raw` in `vwo_client_new`.
        let mut b = unsafe { Box::from_raw(client) };
        b.magic = 0;
        b.client.close();
        drop(b);
        VWO_OK
    });
}

fn properties(p: *const c_char, what: &str) -> Result<Option<Map<String, Value>>, vwo_status> {
    match input_opt(p, what, VWO_MAX_CONTEXT_BYTES)? {
        None => Ok(None),
        Some(t) => match json(t, what)? {
            Value::Object(m) => Ok(Some(m)),
            Value::Null => Ok(None),
            _ => Err(fail(VWO_ERR_INVALID_ARGUMENT, format!("{what} must be a JSON object"))),
        },
    }
}

fn track(
    client: *mut vwo_client,
    event: *const c_char,
    ctx: ContextArg,
    props: *const c_char,
    out: *mut i32,
) -> vwo_status {
    put_opt(out, 0);
    let c = match client_ref(client) {
        Ok(c) => c,
        Err(s) => return s,
    };
    if c.is_closed() {
        return fail(VWO_ERR_CLOSED, "the client is closed");
    }
    let name = match input(event, "event_name", VWO_MAX_KEY_BYTES) {
        Ok(n) => n,
        Err(s) => return s,
    };
    let props = match properties(props, "properties_json") {
        Ok(p) => p,
        Err(s) => return s,
    };
    let ctx = match context_arg(ctx) {
        Ok(c) => c,
        Err(s) => return s,
    };
    put_opt(out, c.track_event(name, &ctx, props.as_ref()) as i32);
    VWO_OK
}

/// Tracks a custom event for a user (JSON context). Writes 1 to `*out_tracked` (may be NULL)
/// when the event is one of the settings' metrics and was queued, 0 otherwise (the official
/// SDKs' `{event_name: bool}`). `properties_json` (a JSON object) may be NULL.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_track_event(
    client: *mut vwo_client,
    event_name: *const c_char,
    context_json: *const c_char,
    properties_json: *const c_char,
    out_tracked: *mut i32,
) -> vwo_status {
    boundary(|| {
        track(
            client,
            event_name,
            ContextArg::Json(context_json),
            properties_json,
            out_tracked,
        )
    })
}

/// [`vwo_track_event`] with a context handle.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_track_event_ctx(
    client: *mut vwo_client,
    event_name: *const c_char,
    context: *const vwo_context,
    properties_json: *const c_char,
    out_tracked: *mut i32,
) -> vwo_status {
    boundary(|| {
        track(
            client,
            event_name,
            ContextArg::Handle(context),
            properties_json,
            out_tracked,
        )
    })
}

fn set_attrs(client: *mut vwo_client, attrs: Map<String, Value>, ctx: ContextArg) -> vwo_status {
    let c = match client_ref(client) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let ctx = match context_arg(ctx) {
        Ok(c) => c,
        Err(s) => return s,
    };
    match c.set_attribute(&attrs, &ctx) {
        Ok(()) => VWO_OK,
        Err(e) => api_status(e),
    }
}

/// Sets one visitor attribute. `value_json` is a JSON string, number or boolean (`"\"pro\""`,
/// `"3"`, `"true"`); an empty string is refused, as in the official SDK.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_set_attribute(
    client: *mut vwo_client,
    key: *const c_char,
    value_json: *const c_char,
    context_json: *const c_char,
) -> vwo_status {
    boundary(|| {
        let key = match input(key, "key", VWO_MAX_KEY_BYTES) {
            Ok(k) if !k.is_empty() => k,
            Ok(_) => return fail(VWO_ERR_INVALID_ARGUMENT, "key must be a non-empty string"),
            Err(s) => return s,
        };
        let value = match input(value_json, "value_json", VWO_MAX_CONTEXT_BYTES).and_then(|t| json(t, "value_json")) {
            Ok(v) => v,
            Err(s) => return s,
        };
        if value == "" {
            return fail(VWO_ERR_INVALID_ARGUMENT, "value must not be an empty string");
        }
        let mut m = Map::new();
        m.insert(key.to_string(), value);
        set_attrs(client, m, ContextArg::Json(context_json))
    })
}

/// Sets several visitor attributes from a JSON object of strings, numbers and booleans.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_set_attributes(
    client: *mut vwo_client,
    attributes_json: *const c_char,
    context_json: *const c_char,
) -> vwo_status {
    boundary(|| match properties(attributes_json, "attributes_json") {
        Ok(Some(m)) => set_attrs(client, m, ContextArg::Json(context_json)),
        Ok(None) => fail(VWO_ERR_NULL_ARGUMENT, "attributes_json is NULL"),
        Err(s) => s,
    })
}

/// [`vwo_set_attributes`] with a context handle.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_set_attributes_ctx(
    client: *mut vwo_client,
    attributes_json: *const c_char,
    context: *const vwo_context,
) -> vwo_status {
    boundary(|| match properties(attributes_json, "attributes_json") {
        Ok(Some(m)) => set_attrs(client, m, ContextArg::Handle(context)),
        Ok(None) => fail(VWO_ERR_NULL_ARGUMENT, "attributes_json is NULL"),
        Err(s) => s,
    })
}

/// Sends queued events and waits up to `timeout_ms` for every pending event. Writes 1 to
/// `*out_delivered` (may be NULL) when all were delivered.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn vwo_flush_events(
    client: *mut vwo_client,
    timeout_ms: u32,
    out_delivered: *mut i32,
) -> vwo_status {
    boundary(|| {
        put_opt(out_delivered, 0);
        let c = match client_ref(client) {
            Ok(c) => c,
            Err(s) => return s,
        };
        if c.is_closed() {
            return fail(VWO_ERR_CLOSED, "the client is closed");
        }
        put_opt(
            out_delivered,
            c.flush_events(Duration::from_millis(timeout_ms as u64)) as i32,
        );
        VWO_OK
    })
}

/// Installs new settings: `settings_json` (validated first), or, when NULL, fetched from VWO
/// (`/server-side/v2-pull` if `via_webhook` is non-zero, else `/server-side/v2-settings`).
/// On failure the current settings stay.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_update_settings(
    client: *mut vwo_client,
    settings_json: *const c_char,
    via_webhook: i32,
) -> vwo_status {
    boundary(|| {
        let c = match client_ref(client) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let settings = match input_opt(settings_json, "settings_json", VWO_MAX_SETTINGS_BYTES) {
            Ok(None) => None,
            Ok(Some(t)) => match json(t, "settings_json") {
                Ok(v) => Some(v),
                Err(s) => return s,
            },
            Err(s) => return s,
        };
        match c.update_settings(settings, via_webhook != 0) {
            Ok(()) => VWO_OK,
            Err(e) => api_status(e),
        }
    })
}

/// Links `alias_id` to `user_id` on the gateway (needs `is_aliasing_enabled`). Writes 1 to
/// `*out_ok` (may be NULL) when the gateway confirmed it.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_set_alias(
    client: *mut vwo_client,
    user_id: *const c_char,
    alias_id: *const c_char,
    out_ok: *mut i32,
) -> vwo_status {
    boundary(|| {
        put_opt(out_ok, 0);
        let c = match client_ref(client) {
            Ok(c) => c,
            Err(s) => return s,
        };
        let (u, a) = match (
            input(user_id, "user_id", VWO_MAX_KEY_BYTES),
            input(alias_id, "alias_id", VWO_MAX_KEY_BYTES),
        ) {
            (Ok(u), Ok(a)) => (u, a),
            (Err(s), _) | (_, Err(s)) => return s,
        };
        match c.set_alias(u, a) {
            Ok(ok) => {
                put_opt(out_ok, ok as i32);
                VWO_OK
            }
            Err(e) => api_status(e),
        }
    })
}

/// The VWO visitor UUID of `user_id` in `account_id` (32 upper-case hex digits), as the
/// official `getUUID`. Writes an owned string to `*out_uuid` (free with `vwo_string_free`).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn vwo_get_uuid(
    user_id: *const c_char,
    account_id: *const c_char,
    out_uuid: *mut *mut c_char,
) -> vwo_status {
    boundary(|| {
        if out_uuid.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_uuid is NULL");
        }
        // SAFETY: `out_uuid` is writable.
        unsafe { *out_uuid = std::ptr::null_mut() };
        let (u, a) = match (
            input(user_id, "user_id", VWO_MAX_KEY_BYTES),
            input(account_id, "account_id", VWO_MAX_KEY_BYTES),
        ) {
            (Ok(u), Ok(a)) => (u, a),
            (Err(s), _) | (_, Err(s)) => return s,
        };
        match identity::visitor_uuid(u, a) {
            Some(id) => put(out_uuid, id),
            None => fail(VWO_ERR_INVALID_ARGUMENT, "user_id and account_id must be non-empty"),
        }
    })
}
