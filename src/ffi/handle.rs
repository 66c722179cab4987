//! The heap block behind every handle.
//!
//! C code sees only opaque pointers (`vwo_client *`, `vwo_flag *`, `vwo_context *`). Each
//! points to a [`Tagged`] block whose first eight bytes are a per-type tag. Because the tag is
//! at offset 0 in every handle type and every block is at least that large, a handle of the
//! wrong type passed by mistake is detected by a read inside its own allocation, never past
//! its end. Freeing zeroes the tag, so a double free through the same pointer is usually
//! caught too (usually: the allocator may have reused the block).

/// A handle's block: the tag, then the value.
#[repr(C)]
pub(crate) struct Tagged<T> {
    tag: u64,
    pub(crate) value: T,
}

/// Moves `value` to the heap and returns it as the opaque handle type `H`.
pub(crate) fn into_handle<T, H>(tag: u64, value: T) -> *mut H {
    Box::into_raw(Box::new(Tagged { tag, value })).cast()
}

/// Borrows the value behind `p` if it carries `tag`.
///
/// # Safety
/// `p` is non-NULL and points to a live handle block of any of this library's handle types
/// (the ABI contract).
pub(crate) unsafe fn handle_ref<'a, T, H>(p: *const H, tag: u64) -> Option<&'a T> {
    // SAFETY: every handle block starts with an aligned u64 (caller's contract), so reading
    // the tag stays inside the allocation whatever the handle's real type.
    let found = unsafe { p.cast::<u64>().read() };
    if found != tag {
        return None;
    }
    // SAFETY: the tag says the block is a `Tagged<T>`.
    Some(unsafe { &(*p.cast::<Tagged<T>>()).value })
}

/// Takes back ownership of the block behind `p` if it carries `tag`, zeroing the tag.
///
/// # Safety
/// As [`handle_ref`], and no other thread uses the handle any more.
pub(crate) unsafe fn take_handle<T, H>(p: *mut H, tag: u64) -> Option<Box<Tagged<T>>> {
    // SAFETY: see `handle_ref`.
    unsafe { handle_ref::<T, H>(p, tag) }?;
    // SAFETY: the block came from `into_handle` with this `T` (the tag matches).
    let mut b = unsafe { Box::from_raw(p.cast::<Tagged<T>>()) };
    // Volatile: a plain store to a block about to be freed may be optimised away.
    // SAFETY: `b.tag` is a valid, aligned u64.
    unsafe { std::ptr::write_volatile(&mut b.tag, 0) };
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct A;
    struct B;

    #[test]
    fn a_handle_is_recognised_by_its_tag_only() {
        let p: *mut A = into_handle(7, String::from("x"));
        // SAFETY: `p` is a live handle block.
        unsafe {
            assert_eq!(handle_ref::<String, A>(p, 7).map(String::as_str), Some("x"));
            assert!(handle_ref::<u8, B>(p.cast::<B>(), 8).is_none());
            let b = take_handle::<String, A>(p, 7).expect("tag matches");
            assert_eq!(b.value, "x");
        }
    }
}
