//! Requests the caller can stop waiting for.
//!
//! An HTTP exchange in progress cannot be cancelled, and a settings fetch may take up to
//! its 50 s timeout against a server that accepts and never answers. Closing a client must
//! not wait that long for its poller, so the exchange runs on a helper thread of its own
//! while the caller waits for either its answer or the shutdown signal. On shutdown the
//! caller returns at once; the helper finishes (or times out) later and its answer is
//! dropped. The helper runs nothing but the exchange: no callback, no log, no client state,
//! so it can outlive the client safely.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;

use super::http::{Request, Response, Transport};
use super::retry::Interrupt;

/// How often the waiting caller looks at the shutdown signal.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// A transport whose sends are abandoned when `interrupt` signals shutdown.
pub struct Abandonable {
    inner: Arc<dyn Transport>,
    interrupt: Arc<dyn Interrupt + Send + Sync>,
}

impl Abandonable {
    /// Wraps `inner`; `interrupt` is the shutdown signal.
    pub fn new(inner: Arc<dyn Transport>, interrupt: Arc<dyn Interrupt + Send + Sync>) -> Abandonable {
        Abandonable { inner, interrupt }
    }

    fn interrupted(&self) -> bool {
        !self.interrupt.wait(Duration::ZERO)
    }
}

impl Transport for Abandonable {
    fn send(&self, req: &Request) -> Result<Response, String> {
        if self.interrupted() {
            return Err("abandoned: the client is closing".into());
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (inner, owned) = (Arc::clone(&self.inner), req.clone());
        let spawned = std::thread::Builder::new()
            .name("vwo-fme-request".into())
            .spawn(move || {
                let _ = tx.send(inner.send(&owned));
            });
        if spawned.is_err() {
            // No thread to spare: wait for the exchange in this thread instead.
            return self.inner.send(req);
        }
        loop {
            match rx.recv_timeout(CHECK_EVERY) {
                Ok(answer) => return answer,
                Err(RecvTimeoutError::Disconnected) => return Err("the request thread failed".into()),
                Err(RecvTimeoutError::Timeout) if self.interrupted() => {
                    return Err("abandoned: the client is closing".into())
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn reset(&self) {
        self.inner.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::Method;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    struct Slow(Duration);
    impl Transport for Slow {
        fn send(&self, _: &Request) -> Result<Response, String> {
            std::thread::sleep(self.0);
            Ok(Response {
                status: 200,
                body: "{}".into(),
            })
        }
    }

    struct Flag(AtomicBool);
    impl Interrupt for Flag {
        fn wait(&self, d: Duration) -> bool {
            std::thread::sleep(d);
            !self.0.load(Ordering::SeqCst)
        }
    }

    fn req() -> Request {
        Request {
            method: Method::Get,
            url: "http://127.0.0.1:9/".into(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn answers_pass_through_and_shutdown_abandons_the_wait() {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let quick = Abandonable::new(Arc::new(Slow(Duration::from_millis(30))), flag.clone());
        assert_eq!(quick.send(&req()).unwrap().status, 200);

        let slow = Abandonable::new(Arc::new(Slow(Duration::from_secs(30))), flag.clone());
        let f2 = Arc::clone(&flag);
        let t = Instant::now();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            f2.0.store(true, Ordering::SeqCst);
        });
        let err = slow.send(&req()).unwrap_err();
        stopper.join().unwrap();
        assert!(err.contains("abandoned"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        // Once shut down, nothing new starts.
        assert!(quick.send(&req()).unwrap_err().contains("abandoned"));
    }
}
