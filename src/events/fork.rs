//! Fork detection. A process forked while a client exists gets a copy of the client without
//! its threads (and with the parent's open connections). A `pthread_atfork` child handler
//! bumps a generation counter; the client and its dispatcher compare it with their own on
//! each call (one atomic load) and rebuild their threads and connections in the child.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The current fork generation (0 in the original process, +1 in each forked child).
pub fn generation() -> u64 {
    REGISTER.call_once(|| {
        // SAFETY: registers a handler that only touches an atomic, which is async-signal-safe.
        unsafe { libc::pthread_atfork(None, None, Some(child)) };
    });
    GENERATION.load(Ordering::Acquire)
}
