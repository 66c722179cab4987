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
