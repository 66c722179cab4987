//! Client handles and the API calls that are not about one flag.

use std::os::raw::c_char;
use std::time::Duration;

use serde_json::{Map, Value};

use super::callbacks::{from_host, vwo_callbacks};
use super::context::{context_arg, vwo_context, ContextArg};
use super::error::*;
use super::handle::{handle_ref, into_handle, take_handle};
use super::strings::*;
use crate::client::{ApiError, Client};
use crate::core::decide::identity;

const CLIENT_MAGIC: u64 = 0x5657_4f43_4c49_454e; // "VWOCLIEN"

/// A client. Create with `vwo_client_new`, release with `vwo_client_free`.
pub struct vwo_client {
    _opaque: [u8; 0],
}

/// A checked reference to a client handle.
pub(crate) fn client_ref<'a>(p: *const vwo_client) -> Result<&'a Client, vwo_status> {
    if p.is_null() {
        return Err(fail(VWO_ERR_NULL_ARGUMENT, "client is NULL"));
    }
    // SAFETY: a non-NULL handle points to a live handle block (ABI contract); the tag check
    // catches a handle of another type passed by mistake.
    unsafe { handle_ref::<Client, vwo_client>(p, CLIENT_MAGIC) }
        .ok_or_else(|| fail(VWO_ERR_BAD_HANDLE, "not a vwo_client handle"))
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
/// `free_user_data` (if set) is called exactly once: when the client is freed, or before this
/// function returns an error, whatever the error (including a NULL `out_client`). The only
/// exception is a `callbacks` whose `struct_size` is too small to be read, which is rejected
/// with `VWO_ERR_INVALID_ARGUMENT` without touching it.
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
        if !out_client.is_null() {
            // SAFETY: `out_client` is writable.
            unsafe { *out_client = std::ptr::null_mut() };
        }
        // Take the callbacks before anything else can fail: from here on, `user_data` is released
        // exactly once (when the client goes, or when this call fails, whatever the reason).
        // SAFETY: `callbacks` is NULL or a readable struct.
        let cbs = match unsafe { from_host(callbacks) } {
            Ok(c) => c,
            Err(s) => return s,
        };
        if out_client.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_client is NULL");
        }
        let text = match input(options_json, "options_json", VWO_MAX_SETTINGS_BYTES) {
            Ok(t) => t,
            Err(s) => return s,
        };
        let options = match json(text, "options_json") {
            Ok(v) => v,
            Err(s) => return s,
        };
        let created = Client::from_json(&options, cbs);
        // Offline settings come inside the options: their parse is freed only here.
        drop(options);
        crate::client::memory::after_large_parse(text.len());
        match created {
            Ok(client) => {
                // SAFETY: `out_client` is writable.
                unsafe { *out_client = into_handle(CLIENT_MAGIC, client) };
                VWO_OK
            }
            Err(e) => fail(VWO_ERR_INIT, e.to_string()),
        }
    })
}

/// The settings JSON currently installed (as received), owned (free with
/// `vwo_string_free`). `VWO_ERR_NO_SETTINGS` (and NULL) when none is installed yet.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn vwo_client_settings_json(client: *mut vwo_client, out_json: *mut *mut c_char) -> vwo_status {
    boundary(|| {
        if out_json.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "out_json is NULL");
        }
        // SAFETY: `out_json` is writable.
        unsafe { *out_json = std::ptr::null_mut() };
        let c = match client_ref(client) {
            Ok(c) => c,
            Err(s) => return s,
        };
        match c.settings() {
            Some(s) => put(out_json, s.raw_json.as_bytes()),
            None => fail(VWO_ERR_NO_SETTINGS, "no valid settings are installed"),
        }
    })
}

/// Closes a client: stops polling, delivers pending events within the shutdown timeout
/// (the rest go to the flush callback), joins the library's threads. It returns within
/// `shutdown_timeout_ms` (default 5 000), or `request_timeout_ms` (default 3 000) if that is
/// longer and an event request is in flight; a settings fetch in flight is abandoned. Later
/// calls on the handle return `VWO_ERR_CLOSED` (flags come back disabled). Idempotent. Writes whether
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
        // SAFETY: a live client handle (checked above), no longer used by other threads.
        if let Some(b) = unsafe { take_handle::<Client, vwo_client>(client, CLIENT_MAGIC) } {
            b.value.close();
        }
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

/// Attributes are required: NULL is a NULL argument, JSON `null` (or any non-object) an
/// invalid one.
fn attributes(p: *const c_char) -> Result<Map<String, Value>, vwo_status> {
    if p.is_null() {
        return Err(fail(VWO_ERR_NULL_ARGUMENT, "attributes_json is NULL"));
    }
    match properties(p, "attributes_json")? {
        Some(m) => Ok(m),
        None => Err(fail(VWO_ERR_INVALID_ARGUMENT, "attributes_json must be a JSON object")),
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
    // Argument errors are logged as the official SDKs log them, so no binding has to.
    let args = input(event, "event_name", VWO_MAX_KEY_BYTES)
        .and_then(|name| Ok((name, properties(props, "properties_json")?, context_arg(ctx)?)));
    let (name, props, ctx) = match args {
        Ok(a) => a,
        Err(s) => {
            c.report_api_error("track_event", &last_error());
            return s;
        }
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

fn set_attrs(client: *mut vwo_client, attrs: Result<Map<String, Value>, vwo_status>, ctx: ContextArg) -> vwo_status {
    let c = match client_ref(client) {
        Ok(c) => c,
        Err(s) => return s,
    };
    if c.is_closed() {
        return fail(VWO_ERR_CLOSED, "the client is closed");
    }
    // Argument errors are logged as the official SDKs log them, so no binding has to.
    let (attrs, ctx) = match attrs.and_then(|a| Ok((a, context_arg(ctx)?))) {
        Ok(a) => a,
        Err(s) => {
            c.report_api_error("set_attribute", &last_error());
            return s;
        }
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
        let attrs = single_attribute(key, value_json);
        set_attrs(client, attrs, ContextArg::Json(context_json))
    })
}

fn single_attribute(key: *const c_char, value_json: *const c_char) -> Result<Map<String, Value>, vwo_status> {
    let key = match input(key, "key", VWO_MAX_KEY_BYTES)? {
        "" => return Err(fail(VWO_ERR_INVALID_ARGUMENT, "key must be a non-empty string")),
        k => k,
    };
    let value = json(input(value_json, "value_json", VWO_MAX_CONTEXT_BYTES)?, "value_json")?;
    if value == "" {
        return Err(fail(VWO_ERR_INVALID_ARGUMENT, "value must not be an empty string"));
    }
    let mut m = Map::new();
    m.insert(key.to_string(), value);
    Ok(m)
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
    boundary(|| set_attrs(client, attributes(attributes_json), ContextArg::Json(context_json)))
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
    boundary(|| set_attrs(client, attributes(attributes_json), ContextArg::Handle(context)))
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
