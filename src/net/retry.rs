//! Retries with exponential back-off (§4): up to `max_retries` more attempts after the first,
//! waiting `initial_delay * multiplier^n` seconds before retry `n + 1`; HTTP 400 is final.
//! Waits are interruptible so that closing a client is never held up by a back-off.

use std::time::Duration;

use super::http::{Request, Response, Transport};

/// Retry settings (`retry_config`; the Node SDK's names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryConfig {
    /// Whether failed calls are retried at all.
    pub should_retry: bool,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Seconds before the first retry.
    pub initial_delay_s: f64,
    /// Factor between successive waits.
    pub backoff_multiplier: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            should_retry: true,
            max_retries: 3,
            initial_delay_s: 2.0,
            backoff_multiplier: 2.0,
        }
    }
}

impl RetryConfig {
    /// The wait before retry `n + 1` (n = 0 for the first retry).
    pub fn delay(&self, n: u32) -> Duration {
        let s = self.initial_delay_s * self.backoff_multiplier.powi(n as i32);
        Duration::from_secs_f64(s.clamp(0.0, 3600.0))
    }
}

/// Something a back-off wait can be interrupted by.
pub trait Interrupt {
    /// Waits up to `d`; returns `false` if interrupted (shutting down).
    fn wait(&self, d: Duration) -> bool;
}

/// Waits without interruption.
pub struct Sleep;

impl Interrupt for Sleep {
    fn wait(&self, d: Duration) -> bool {
        std::thread::sleep(d);
        true
    }
}

/// The outcome of a call with retries.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The last response, if any attempt got one.
    pub response: Option<Response>,
    /// The last error (transport error, or `HTTP <status>` text).
    pub error: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Whether a wait was interrupted (the call was abandoned).
    pub interrupted: bool,
}

impl Outcome {
    /// HTTP status of the last response.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// A 2xx response arrived.
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends `req`, retrying connection errors, timeouts and non-2xx statuses other than 400.
/// `on_retry(attempt, error, delay)` is told about each retry before its wait.
pub fn send_with_retry(
    transport: &dyn Transport,
    req: &Request,
    cfg: &RetryConfig,
    interrupt: &dyn Interrupt,
    on_retry: &mut dyn FnMut(u32, &str, Duration),
) -> Outcome {
    let max = if cfg.should_retry { cfg.max_retries } else { 0 };
    let mut last = Outcome {
        response: None,
        error: None,
        attempts: 0,
        interrupted: false,
    };
    for attempt in 0..=max {
        last.attempts = attempt + 1;
        match transport.send(req) {
            Ok(resp) if (200..300).contains(&resp.status) => {
                last.response = Some(resp);
                last.error = None;
                return last;
            }
            Ok(resp) if resp.status == 400 => {
                last.error = Some(format!("HTTP 400: {}", truncate(&resp.body, 300)));
                last.response = Some(resp);
                return last;
            }
            Ok(resp) => {
                last.error = Some(format!("HTTP {}: {}", resp.status, truncate(&resp.body, 300)));
                last.response = Some(resp);
            }
            Err(e) => {
                last.error = Some(e);
                last.response = None;
            }
        }
        if attempt == max {
            break;
        }
        let delay = cfg.delay(attempt);
        on_retry(attempt + 1, last.error.as_deref().unwrap_or(""), delay);
        if !interrupt.wait(delay) {
            last.interrupted = true;
            break;
        }
    }
    last
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Script(Mutex<Vec<Result<u16, String>>>);

    impl Transport for Script {
        fn send(&self, _req: &Request) -> Result<Response, String> {
            let next = self.0.lock().unwrap().remove(0);
            next.map(|status| Response {
                status,
                body: String::new(),
            })
        }
    }

    struct NoWait;
    impl Interrupt for NoWait {
        fn wait(&self, _d: Duration) -> bool {
            true
        }
    }

    fn req() -> Request {
        Request {
            method: super::super::http::Method::Get,
            url: "http://x".into(),
            headers: vec![],
            body: None,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn retries_until_success_with_official_delays() {
        let t = Script(Mutex::new(vec![Err("refused".into()), Ok(503), Ok(200)]));
        let mut delays = Vec::new();
        let out = send_with_retry(&t, &req(), &RetryConfig::default(), &NoWait, &mut |_, _, d| {
            delays.push(d)
        });
        assert!(out.is_success());
        assert_eq!(out.attempts, 3);
        assert_eq!(delays, vec![Duration::from_secs(2), Duration::from_secs(4)]);
    }

    #[test]
    fn a_400_is_final_and_retries_stop_after_max() {
        let t = Script(Mutex::new(vec![Ok(400)]));
        let out = send_with_retry(&t, &req(), &RetryConfig::default(), &NoWait, &mut |_, _, _| {});
        assert_eq!((out.status(), out.attempts), (Some(400), 1));
        let t = Script(Mutex::new(vec![Ok(500), Ok(500), Ok(500), Ok(500), Ok(200)]));
        let out = send_with_retry(&t, &req(), &RetryConfig::default(), &NoWait, &mut |_, _, _| {});
        assert_eq!((out.status(), out.attempts), (Some(500), 4));
        let t = Script(Mutex::new(vec![Ok(500)]));
        let cfg = RetryConfig {
            should_retry: false,
            ..Default::default()
        };
        assert_eq!(
            send_with_retry(&t, &req(), &cfg, &NoWait, &mut |_, _, _| {}).attempts,
            1
        );
    }

    #[test]
    fn an_interrupted_wait_abandons_the_call() {
        struct Stop;
        impl Interrupt for Stop {
            fn wait(&self, _d: Duration) -> bool {
                false
            }
        }
        let t = Script(Mutex::new(vec![Ok(503), Ok(200)]));
        let out = send_with_retry(&t, &req(), &RetryConfig::default(), &Stop, &mut |_, _, _| {});
        assert!(out.interrupted);
        assert_eq!(out.attempts, 1);
    }
}
