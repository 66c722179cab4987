//! The sending side of event dispatch: turns jobs into HTTP requests on VWO's wire format,
//! retries them, reports their outcome (flush callback, usage statistics, debug events).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};

use super::callbacks::FlushCallback;
use super::logger::Logger;
use crate::events::dispatcher::{Deliver, Job, SingleEvent};
use crate::events::payload::{EventIdentity, Stamp};
use crate::net::http::{Method, Request, Transport};
use crate::net::retry::{send_with_retry, Interrupt, RetryConfig};
use crate::net::url::{paths, with_query};

/// The usage-statistics block shared by a client's events. It rides on impressions until
/// the first single event is delivered.
#[derive(Default)]
pub struct UsageStats {
    meta: Mutex<Option<Arc<Map<String, Value>>>>,
}

impl UsageStats {
    /// Starts with `meta` (none when usage statistics are disabled).
    pub fn new(meta: Option<Map<String, Value>>) -> UsageStats {
        UsageStats {
            meta: Mutex::new(meta.filter(|m| !m.is_empty()).map(Arc::new)),
        }
    }

    /// The current block.
    pub fn get(&self) -> Option<Arc<Map<String, Value>>> {
        self.meta.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Clears it for the rest of the client's life.
    pub fn clear(&self) {
        *self.meta.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Where events go and how.
pub struct Courier {
    /// HTTP transport.
    pub transport: Arc<dyn Transport>,
    /// `scheme://host[:port]` of the events endpoint.
    pub events_base: String,
    /// `collectionPrefix` path segment (not with a gateway).
    pub collection_prefix: Mutex<Option<String>>,
    /// Retry policy.
    pub retry: RetryConfig,
    /// Request timeout.
    pub timeout: Duration,
    /// Logger.
    pub logger: Logger,
    /// Flush callback.
    pub flush_callback: Option<FlushCallback>,
    /// Usage statistics (cleared by the first delivered single event).
    pub usage: Arc<UsageStats>,
    /// Identity for debug events about deliveries.
    pub identity: EventIdentity,
}

impl Courier {
    fn path(&self, p: &str) -> String {
        match self
            .collection_prefix
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
        {
            Some(prefix) => format!("/{prefix}{p}"),
            None => p.to_string(),
        }
    }

    fn call_flush_callback(&self, error: Option<&str>, events: &[Value]) {
        if let Some(cb) = &self.flush_callback {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(error, events))).is_err() {
                self.logger.error("flush_callback raised; ignored");
            }
        }
    }

    /// A debug event about a delivery that needed retries or failed (§4).
    fn retry_report(&self, s: &SingleEvent, attempts_reported: u32, error: &str, ok: bool) -> Job {
        let extra = match s.api {
            "getFlag" => format!("event: {}", s.name),
            other => other.to_string(),
        };
        let (cg, lt, msg_t, msg) = if ok {
            (
                "retry",
                "info",
                "NETWORK_CALL_SUCCESS_WITH_RETRIES",
                format!(
                    "Network call for {extra} succeeded after {attempts_reported} retry attempt(s). Previous attempts failed with error: {error}"
                ),
            )
        } else {
            (
                "network",
                "error",
                "NETWORK_CALL_FAILURE_AFTER_MAX_RETRIES",
                format!(
                    "Network call for {extra} failed after {attempts_reported} retry attempt(s). Got Error: {error}"
                ),
            )
        };
        let d = s.body.get("d");
        let mut props = Map::new();
        props.insert("cg".into(), Value::from(cg));
        props.insert("lt".into(), Value::from(lt));
        props.insert("msg_t".into(), Value::from(msg_t));
        props.insert("msg".into(), Value::from(msg));
        props.insert("an".into(), Value::from(s.api));
        props.insert(
            "uuid".into(),
            d.and_then(|d| d.get("visId")).cloned().unwrap_or(Value::Null),
        );
        props.insert(
            "sId".into(),
            d.and_then(|d| d.get("sessionId")).cloned().unwrap_or(Value::Null),
        );
        debug_job(&self.identity, props, Stamp::now())
    }
}

/// A `vwo_sdkDebug` event as a single-event job (never batched, never reporting retries).
pub fn debug_job(identity: &EventIdentity, props: Map<String, Value>, stamp: Stamp) -> Job {
    let body = identity.debug(props, stamp);
    Job::Single(SingleEvent {
        name: crate::events::payload::names::DEBUG.into(),
        query: identity.event_query(crate::events::payload::names::DEBUG, None, None, None, stamp),
        headers: Vec::new(),
        body,
        clears_usage_stats: false,
        reports_retries: false,
        api: "debug",
    })
}

impl Deliver for Courier {
    fn deliver(&self, job: &Job, interrupt: &dyn Interrupt) -> (Result<(), String>, Vec<Job>) {
        let logger = &self.logger;
        if let Job::Deferred(_) = job {
            // The dispatcher builds deferred jobs before delivery; nothing to send otherwise.
            return (Err("an unbuilt event reached delivery".into()), Vec::new());
        }
        let (url, headers, body) = match job {
            Job::Single(s) => {
                let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
                headers.extend(s.headers.iter().cloned());
                (
                    with_query(&self.events_base, &self.path(paths::EVENTS), &s.query),
                    headers,
                    &s.body,
                )
            }
            Job::Deferred(_) => return (Err("an unbuilt event reached delivery".into()), Vec::new()),
            Job::Batch(b) => {
                let headers = vec![
                    ("Authorization".to_string(), b.sdk_key.clone()),
                    ("Content-Type".to_string(), "application/json".to_string()),
                ];
                return self.deliver_batch(
                    b,
                    with_query(&self.events_base, &self.path(paths::BATCH), &b.query),
                    headers,
                    interrupt,
                );
            }
        };
        let Job::Single(s) = job else {
            unreachable!("batches returned above")
        };
        let req = Request {
            method: Method::Post,
            url,
            headers,
            body: Some(serde_json::to_vec(body).unwrap_or_default()),
            timeout: self.timeout,
        };
        let mut failures = 0u32;
        let out = send_with_retry(
            &*self.transport,
            &req,
            &self.retry,
            interrupt,
            &mut |attempt, err, delay| {
                failures = attempt;
                logger.error(&format!(
                    "Request failed for {}, Error: {err}. Retrying in {} seconds, attempt {attempt} of {}",
                    paths::EVENTS,
                    delay.as_secs_f64(),
                    self.retry.max_retries
                ));
            },
        );
        let mut follow = Vec::new();
        let error = out.error.clone().unwrap_or_default();
        if out.is_success() {
            if s.clears_usage_stats {
                self.usage.clear();
            }
            // The official SDK reports the index of the last failed attempt.
            if s.reports_retries && failures >= 2 {
                follow.push(self.retry_report(s, failures - 1, &error, true));
            }
            logger.info(|| format!("Event {} sent to VWO", s.name));
            (Ok(()), follow)
        } else {
            if s.reports_retries && out.attempts > 1 {
                follow.push(self.retry_report(s, out.attempts - 1, &error, false));
            }
            let reason = if out.interrupted {
                format!("the client closed while retrying ({error})")
            } else {
                format!("{} failed after {} attempt(s): {error}", s.name, out.attempts)
            };
            (Err(reason), follow)
        }
    }

    fn forked(&self) {
        self.transport.reset();
    }

    fn dropped(&self, job: Job, reason: &str) {
        let events = job.events();
        self.logger
            .error(&format!("{} event(s) not delivered: {reason}", events.len()));
        self.call_flush_callback(Some(reason), &events);
    }
}

impl Courier {
    fn deliver_batch(
        &self,
        b: &crate::events::dispatcher::BatchJob,
        url: String,
        headers: Vec<(String, String)>,
        interrupt: &dyn Interrupt,
    ) -> (Result<(), String>, Vec<Job>) {
        // `{"ev": [...]}` written straight from the events, without copying them into a map.
        let mut body = Vec::with_capacity(512 * b.events.len() + 16);
        body.extend_from_slice(b"{\"ev\":");
        if serde_json::to_writer(&mut body, &b.events).is_err() {
            return (Err("could not serialise the batch".into()), Vec::new());
        }
        body.push(b'}');
        let req = Request {
            method: Method::Post,
            url,
            headers,
            body: Some(body),
            timeout: self.timeout,
        };
        let logger = &self.logger;
        let out = send_with_retry(
            &*self.transport,
            &req,
            &self.retry,
            interrupt,
            &mut |attempt, err, delay| {
                logger.error(&format!(
                    "Request failed for {}, Error: {err}. Retrying in {} seconds, attempt {attempt} of {}",
                    paths::BATCH,
                    delay.as_secs_f64(),
                    self.retry.max_retries
                ));
            },
        );
        // Only HTTP 200 counts as delivered for a batch (§11.10).
        if out.status() == Some(200) {
            logger.info(|| format!("Impression batch of {} event(s) sent to VWO", b.events.len()));
            if b.from_queue {
                self.call_flush_callback(None, &b.events);
            }
            (Ok(()), Vec::new())
        } else {
            let error = match out.status() {
                Some(st) => format!("Failed with status code: {st}"),
                None => out.error.clone().unwrap_or_else(|| "no response".into()),
            };
            (Err(error), Vec::new())
        }
    }
}
