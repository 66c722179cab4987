//! Regression tests for the problems the fuzz targets found (fuzz/README.md). Each test is
//! the minimised input, replayed through the same entry point the fuzz target used.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use vwo_fme::ffi::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(vwo_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// `ffi_sequence`: `vwo_get_flag` with a NULL (or wrong-kind) client handle returned
/// `VWO_ERR_NULL_ARGUMENT` but left `*out_flag` NULL, although the header promises a flag
/// handle for every call with a writable `out_flag`.
#[test]
fn get_flag_with_a_null_or_wrong_client_still_gives_a_disabled_flag() {
    let mut ctx = null_mut();
    assert_eq!(unsafe { vwo_context_new(c"{\"id\":\"u\"}".as_ptr(), &mut ctx) }, VWO_OK);
    for (client, status) in [
        (null_mut(), VWO_ERR_NULL_ARGUMENT),
        (ctx.cast::<vwo_client>(), VWO_ERR_BAD_HANDLE),
    ] {
        let mut flag = null_mut();
        let s = unsafe { vwo_get_flag(client, c"f".as_ptr(), c"{\"id\":\"u\"}".as_ptr(), &mut flag) };
        assert_eq!(s, status, "{}", last_error());
        assert!(!flag.is_null());
        assert_eq!(unsafe { vwo_flag_is_enabled(flag) }, 0);
        assert_eq!(unsafe { vwo_flag_reason(flag) }, VWO_REASON_ERROR);
        unsafe { vwo_flag_free(flag) };
        let mut flag = null_mut();
        let s = unsafe { vwo_get_flag_ctx(client, c"f".as_ptr(), ctx, &mut flag) };
        assert_eq!(s, status);
        assert!(!flag.is_null());
        unsafe { vwo_flag_free(flag) };
    }
    // A NULL out-pointer is still refused without writing anything.
    assert_eq!(
        unsafe { vwo_get_flag(null_mut(), c"f".as_ptr(), null(), null_mut()) },
        VWO_ERR_NULL_ARGUMENT
    );
    unsafe { vwo_context_free(ctx) };
}

/// `ffi_sequence` (AddressSanitizer: heap-buffer-overflow): a handle of the wrong kind (a
/// flag passed as a context, ...) was detected by reading the expected type's `magic` field,
/// at an offset that Rust's layout chose per type: past the end of a smaller handle. Every
/// combination must now be refused with `VWO_ERR_BAD_HANDLE` (run the test under ASan or
/// Miri to see the out-of-bounds read come back if the layout fix is undone).
#[test]
fn handles_of_the_wrong_kind_are_refused_without_reading_out_of_bounds() {
    let settings = include_str!("fixtures/conformance/settings/s1_rollout_only.json");
    let options = format!(
        r#"{{"sdk_key":"abcdefghijklmnopqrstuvwxyz012345","account_id":123456,"offline":true,"settings":{settings}}}"#
    );
    let options = std::ffi::CString::new(options).unwrap();
    let mut client = null_mut();
    assert_eq!(
        unsafe { vwo_client_new(options.as_ptr(), null(), &mut client) },
        VWO_OK,
        "{}",
        last_error()
    );
    let mut ctx = null_mut();
    assert_eq!(unsafe { vwo_context_new(c"{\"id\":\"u\"}".as_ptr(), &mut ctx) }, VWO_OK);
    let mut flag = null_mut();
    assert_eq!(
        unsafe { vwo_get_flag_ctx(client, c"rollout_basic".as_ptr(), ctx, &mut flag) },
        VWO_OK
    );

    // A flag or a context where a client is expected.
    for wrong in [flag.cast::<vwo_client>(), ctx.cast::<vwo_client>()] {
        let mut f = null_mut();
        assert_eq!(
            unsafe { vwo_get_flag_ctx(wrong, c"rollout_basic".as_ptr(), ctx, &mut f) },
            VWO_ERR_BAD_HANDLE
        );
        unsafe { vwo_flag_free(f) };
        assert_eq!(unsafe { vwo_flush_events(wrong, 0, null_mut()) }, VWO_ERR_BAD_HANDLE);
        assert_eq!(unsafe { vwo_client_close(wrong, null_mut()) }, VWO_ERR_BAD_HANDLE);
        unsafe { vwo_client_free(wrong) }; // ignored
    }
    // A client or a flag where a context is expected (the minimised crash: a flag freed as a
    // context).
    for wrong in [client.cast::<vwo_context>(), flag.cast::<vwo_context>()] {
        let mut f = null_mut();
        assert_eq!(
            unsafe { vwo_get_flag_ctx(client, c"rollout_basic".as_ptr(), wrong, &mut f) },
            VWO_ERR_BAD_HANDLE
        );
        unsafe { vwo_flag_free(f) };
        unsafe { vwo_context_free(wrong) }; // ignored
    }
    // A client or a context where a flag is expected.
    for wrong in [client.cast::<vwo_flag>(), ctx.cast::<vwo_flag>()] {
        assert_eq!(unsafe { vwo_flag_is_enabled(wrong) }, 0);
        assert_eq!(unsafe { vwo_flag_reason(wrong) }, VWO_REASON_ERROR);
        let mut out = null_mut();
        assert_eq!(unsafe { vwo_flag_variables_json(wrong, &mut out) }, VWO_ERR_BAD_HANDLE);
        unsafe { vwo_flag_free(wrong) }; // ignored
    }
    // The real handles still work after all that.
    assert_eq!(unsafe { vwo_flag_is_enabled(flag) }, 1);
    unsafe { vwo_flag_free(flag) };
    unsafe { vwo_context_free(ctx) };
    unsafe { vwo_client_free(client) };
}

static STORAGE_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe extern "C" fn counting_storage_get(
    _user_data: *mut std::os::raw::c_void,
    _key: *const std::os::raw::c_char,
    _user_id: *const std::os::raw::c_char,
    _result: *mut vwo_storage_result,
) -> i32 {
    STORAGE_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    0
}

/// `ffi_sequence` (SEGV at a small address): a `struct_size` ending inside a member made
/// `vwo_client_new` copy half of the `storage_get` pointer, which `vwo_get_flag` then called.
/// Only members that lie entirely within `struct_size` are used now.
#[test]
fn a_struct_size_inside_a_member_never_gives_half_a_function_pointer() {
    let settings = include_str!("fixtures/conformance/settings/s1_rollout_only.json");
    let options = std::ffi::CString::new(format!(
        r#"{{"sdk_key":"abcdefghijklmnopqrstuvwxyz012345","account_id":123456,"offline":true,"settings":{settings}}}"#
    ))
    .unwrap();
    let storage_at = std::mem::offset_of!(vwo_callbacks, storage_get);
    for size in [storage_at + 4, storage_at + 1, storage_at + 7] {
        let cb = vwo_callbacks {
            struct_size: size as u32,
            user_data: null_mut(),
            free_user_data: None,
            storage_get: Some(counting_storage_get),
            storage_set: None,
            log: None,
            log_level: -1,
            integrations: None,
            flush: None,
        };
        let mut client = null_mut();
        assert_eq!(
            unsafe { vwo_client_new(options.as_ptr(), &cb, &mut client) },
            VWO_OK,
            "{}",
            last_error()
        );
        let mut flag = null_mut();
        let s = unsafe { vwo_get_flag(client, c"rollout_basic".as_ptr(), c"{\"id\":\"u\"}".as_ptr(), &mut flag) };
        assert_eq!(s, VWO_OK);
        unsafe { vwo_flag_free(flag) };
        unsafe { vwo_client_free(client) };
    }
    assert_eq!(STORAGE_CALLS.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The full struct still gets its storage callback.
    let cb = vwo_callbacks {
        struct_size: std::mem::size_of::<vwo_callbacks>() as u32,
        user_data: null_mut(),
        free_user_data: None,
        storage_get: Some(counting_storage_get),
        storage_set: None,
        log: None,
        log_level: -1,
        integrations: None,
        flush: None,
    };
    let mut client = null_mut();
    assert_eq!(unsafe { vwo_client_new(options.as_ptr(), &cb, &mut client) }, VWO_OK);
    let mut flag = null_mut();
    unsafe { vwo_get_flag(client, c"rollout_basic".as_ptr(), c"{\"id\":\"u\"}".as_ptr(), &mut flag) };
    unsafe { vwo_flag_free(flag) };
    unsafe { vwo_client_free(client) };
    assert!(STORAGE_CALLS.load(std::sync::atomic::Ordering::SeqCst) > 0);
}
