//! Host callbacks: a struct of function pointers plus `user_data`, adapted to the client's
//! callback traits. No library lock is held while a callback runs, so callbacks may call
//! back into the library.

use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::*;
use super::strings::VWO_MAX_SETTINGS_BYTES;
use crate::client::{Callbacks, LogSink, StorageConnector};
use crate::core::LogLevel;

/// Where a storage `get` callback puts its answer. Owned by the library; valid only during
/// the callback.
pub struct vwo_storage_result {
    json: Option<Result<String, String>>,
}

/// Host callbacks. Zero-initialise the struct, set `struct_size = sizeof(vwo_callbacks)`,
/// then the members you need; NULL members are not called.
///
/// Threads: `storage_get`, `storage_set` and `integrations` run on the thread that made the
/// API call; `log` runs on whichever thread logs (API callers, event workers, the settings
/// poller); `flush` runs on an event worker thread (the caller's thread when threading is
/// off). Callbacks may call back into the library. A callback must not unwind (throw a C++
/// exception) through the library.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct vwo_callbacks {
    /// `sizeof(vwo_callbacks)` as the caller knows it (lets the struct grow compatibly).
    pub struct_size: u32,
    /// Passed to every callback.
    pub user_data: *mut c_void,
    /// Called exactly once to release `user_data`: when the client is freed (after its
    /// threads stopped), or before `vwo_client_new` returns if it fails or sets no callback.
    pub free_user_data: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
    /// Storage read for `key` (a feature key, or `_vwo_meta_meg_{groupId}`) and `user_id`.
    /// Answer with `vwo_storage_result_set_json` (a JSON object; not calling it means "no
    /// record") and return 0; return non-zero (optionally after
    /// `vwo_storage_result_set_error`) when the read failed: the evaluation goes on as if
    /// there were no record. Text that is not JSON counts as a failed read. JSON that is not
    /// an object (`[1]`, `"x"`) fails the decision, as in the official SDKs: the flag comes
    /// back disabled with `VWO_REASON_ERROR`.
    pub storage_get: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            user_id: *const c_char,
            result: *mut vwo_storage_result,
        ) -> i32,
    >,
    /// Storage write of `record_json` (an object with `featureKey`, `userId` and the decision
    /// fields), borrowed for the call. Return 0 on success; a failure is logged.
    pub storage_set: Option<unsafe extern "C" fn(user_data: *mut c_void, record_json: *const c_char) -> i32>,
    /// A log message at `level` (0 trace, 1 debug, 2 info, 3 warn, 4 error), raw text.
    pub log: Option<unsafe extern "C" fn(user_data: *mut c_void, level: i32, message: *const c_char)>,
    /// Minimum level passed to `log` (-1: the logger's level from the options).
    pub log_level: i32,
    /// The integrations payload (a JSON object) of a flag decision or tracked event.
    pub integrations: Option<unsafe extern "C" fn(user_data: *mut c_void, properties_json: *const c_char)>,
    /// A batch outcome: `error` NULL when delivered, else the reason; `events_json` the JSON
    /// array of the events concerned. Also called for events that had to be dropped.
    pub flush: Option<unsafe extern "C" fn(user_data: *mut c_void, error: *const c_char, events_json: *const c_char)>,
}

/// Answers a storage read with a record (JSON object text of `len` bytes, copied).
///
/// # Safety
/// `result` is the pointer the library passed to `storage_get`; `json` points to `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vwo_storage_result_set_json(
    result: *mut vwo_storage_result,
    json: *const c_char,
    len: usize,
) -> vwo_status {
    boundary(|| {
        if result.is_null() || json.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "result or json is NULL");
        }
        if len > VWO_MAX_SETTINGS_BYTES {
            return fail(VWO_ERR_TOO_LARGE, "storage record too large");
        }
        // SAFETY: the host promises `len` readable bytes at `json`.
        let bytes = unsafe { std::slice::from_raw_parts(json.cast::<u8>(), len) };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(e) => return fail(VWO_ERR_INVALID_UTF8, format!("storage record is not UTF-8: {e}")),
        };
        // SAFETY: `result` is the live result object of the current callback.
        unsafe { (*result).json = Some(Ok(text)) };
        VWO_OK
    })
}

/// Reports a failed storage read with a message (copied).
///
/// # Safety
/// `result` is the pointer the library passed to `storage_get`; `message` is NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vwo_storage_result_set_error(
    result: *mut vwo_storage_result,
    message: *const c_char,
) -> vwo_status {
    boundary(|| {
        if result.is_null() {
            return fail(VWO_ERR_NULL_ARGUMENT, "result is NULL");
        }
        let msg = super::strings::input_opt(message, "message", super::strings::VWO_MAX_CONTEXT_BYTES)
            .ok()
            .flatten()
            .unwrap_or("the storage connector failed")
            .to_string();
        // SAFETY: `result` is the live result object of the current callback.
        unsafe { (*result).json = Some(Err(msg)) };
        VWO_OK
    })
}

/// The host's callbacks and `user_data`, freed once.
struct Host {
    cb: vwo_callbacks,
}

// SAFETY: the ABI contract requires callbacks and `user_data` to be usable from any thread.
unsafe impl Send for Host {}
// SAFETY: as above.
unsafe impl Sync for Host {}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(f) = self.cb.free_user_data {
            // SAFETY: called once, when no callback can run any more.
            let _ = std::panic::catch_unwind(|| unsafe { f(self.cb.user_data) });
        }
    }
}

fn c(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

struct CStorage(Arc<Host>);

impl StorageConnector for CStorage {
    fn get(&self, key: &str, user_id: &str) -> Result<Option<Value>, String> {
        let Some(f) = self.0.cb.storage_get else {
            return Ok(None);
        };
        let (k, u) = (c(key), c(user_id));
        let mut result = vwo_storage_result { json: None };
        // SAFETY: valid C strings and a result object that live for the call.
        let rc = unsafe { f(self.0.cb.user_data, k.as_ptr(), u.as_ptr(), &mut result) };
        match (rc, result.json) {
            (_, Some(Err(e))) => Err(e),
            (0, None) => Ok(None),
            (0, Some(Ok(text))) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("storage record is not JSON: {e}")),
            (rc, _) => Err(format!("storage_get returned {rc}")),
        }
    }

    fn set(&self, record: &Map<String, Value>) -> Result<(), String> {
        let Some(f) = self.0.cb.storage_set else { return Ok(()) };
        let text = c(&Value::Object(record.clone()).to_string());
        // SAFETY: a valid C string for the call.
        match unsafe { f(self.0.cb.user_data, text.as_ptr()) } {
            0 => Ok(()),
            rc => Err(format!("storage_set returned {rc}")),
        }
    }
}

struct CLog(Arc<Host>);

impl LogSink for CLog {
    fn log(&self, level: LogLevel, message: &str) {
        if let Some(f) = self.0.cb.log {
            let m = c(message);
            // SAFETY: a valid C string for the call.
            unsafe { f(self.0.cb.user_data, level as i32, m.as_ptr()) };
        }
    }
}

/// Copies a host `vwo_callbacks` (honouring its `struct_size`) into client callbacks.
///
/// # Safety
/// `cb` is NULL or points to a readable `vwo_callbacks` of at least `struct_size` bytes.
pub(crate) unsafe fn from_host(cb: *const vwo_callbacks) -> Result<Callbacks, vwo_status> {
    if cb.is_null() {
        return Ok(Callbacks::default());
    }
    // SAFETY: reading the size field first, as the struct may be older than ours.
    let size = unsafe { std::ptr::addr_of!((*cb).struct_size).read_unaligned() } as usize;
    if size < std::mem::size_of::<u32>() {
        return Err(fail(
            VWO_ERR_INVALID_ARGUMENT,
            "callbacks.struct_size must be sizeof(vwo_callbacks)",
        ));
    }
    let mut copy: vwo_callbacks = vwo_callbacks {
        struct_size: 0,
        user_data: std::ptr::null_mut(),
        free_user_data: None,
        storage_get: None,
        storage_set: None,
        log: None,
        log_level: -1,
        integrations: None,
        flush: None,
    };
    // Copy whole members only: a `struct_size` that ends inside a member (only possible by
    // mistake) must never give half a function pointer, which would then be called (found by
    // fuzz target ffi_sequence: a SEGV at a torn `storage_get`). `n` is the largest member
    // boundary within `size`.
    let n = [
        std::mem::offset_of!(vwo_callbacks, user_data),
        std::mem::offset_of!(vwo_callbacks, free_user_data),
        std::mem::offset_of!(vwo_callbacks, storage_get),
        std::mem::offset_of!(vwo_callbacks, storage_set),
        std::mem::offset_of!(vwo_callbacks, log),
        std::mem::offset_of!(vwo_callbacks, log_level),
        std::mem::offset_of!(vwo_callbacks, integrations),
        std::mem::offset_of!(vwo_callbacks, flush),
        std::mem::size_of::<vwo_callbacks>(),
    ]
    .into_iter()
    .filter(|end| *end <= size)
    .max()
    .unwrap_or(0);
    // SAFETY: copying the first `n` bytes the host provided into a zero-initialised struct.
    unsafe { std::ptr::copy_nonoverlapping(cb.cast::<u8>(), (&mut copy as *mut vwo_callbacks).cast::<u8>(), n) };
    let host = Arc::new(Host { cb: copy });
    let mut out = Callbacks::default();
    if copy.storage_get.is_some() || copy.storage_set.is_some() {
        out.storage = Some(Arc::new(CStorage(Arc::clone(&host))));
    }
    if copy.log.is_some() {
        let level = match copy.log_level {
            0..=4 => Some(
                [
                    LogLevel::Trace,
                    LogLevel::Debug,
                    LogLevel::Info,
                    LogLevel::Warn,
                    LogLevel::Error,
                ][copy.log_level as usize],
            ),
            _ => None,
        };
        out.log_sinks.push((level, Arc::new(CLog(Arc::clone(&host)))));
    }
    if copy.integrations.is_some() {
        let h = Arc::clone(&host);
        out.integrations = Some(Arc::new(move |props: &Map<String, Value>| {
            if let Some(f) = h.cb.integrations {
                let text = c(&Value::Object(props.clone()).to_string());
                // SAFETY: a valid C string for the call.
                unsafe { f(h.cb.user_data, text.as_ptr()) };
            }
        }));
    }
    if copy.flush.is_some() {
        let h = Arc::clone(&host);
        out.flush = Some(Arc::new(move |err: Option<&str>, events: &[Value]| {
            if let Some(f) = h.cb.flush {
                let e = err.map(c);
                let evs = c(&serde_json::to_string(events).unwrap_or_else(|_| "[]".into()));
                // SAFETY: valid C strings (or NULL) for the call.
                unsafe {
                    f(
                        h.cb.user_data,
                        e.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                        evs.as_ptr(),
                    )
                };
            }
        }));
    }
    // `user_data` is released when the last adapter holding `host` goes.
    drop(host);
    Ok(out)
}
