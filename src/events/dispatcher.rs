//! Event dispatch: a bounded queue, a collector that coalesces, a fixed pool of worker
//! threads, batching by size and time, flush with a deadline, and a shutdown that delivers
//! or reports everything.
//!
//! Callers only push jobs (their payloads may still be unbuilt: [`Job::Deferred`]). A
//! collector thread wakes when the inbox turns non-empty, lingers a moment so that a burst
//! becomes one request, builds the payloads, merges the impression batches of many
//! `get_flag` calls into one batch request, and hands the requests to the workers. So a
//! decision never waits for JSON building, a wake-up or the network.
//!
//! With threading disabled nothing here starts a thread: each job is built and delivered in
//! the caller's thread, and batches flush when they fill up, when their interval has passed
//! at the next enqueue, or on `flush`.
//!
//! Nothing is dropped silently: every event that cannot be delivered (queue full, retries
//! exhausted, client closed) goes to [`Deliver::dropped`] with the reason.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde_json::Value;

use crate::net::retry::Interrupt;

thread_local! {
    /// Set on the dispatcher's own threads: a callback running there (flush callback, log
    /// sink) that calls back into the client must not wait for, or join, its own thread.
    static ON_DISPATCH_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn on_dispatch_thread() -> bool {
    ON_DISPATCH_THREAD.with(|f| f.get())
}

/// How long the collector waits for more jobs after the first one arrives.
const LINGER: Duration = Duration::from_millis(2);
/// Most events merged into one impression batch request.
const MAX_MERGED_EVENTS: usize = 500;

/// One request's worth of events.
pub enum Job {
    /// A single event POSTed to `/events/t`.
    Single(SingleEvent),
    /// A batch POSTed to `/server-side/batch-events-v2`.
    Batch(BatchJob),
    /// A job whose payloads are built later, off the caller's thread.
    Deferred(Deferred),
}

/// A job built on demand.
pub struct Deferred {
    /// Events the job will carry.
    pub events: usize,
    /// Builds the job.
    pub build: Box<dyn FnOnce() -> Job + Send>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Single(s) => write!(f, "Single({})", s.name),
            Job::Batch(b) => write!(f, "Batch({} events)", b.events.len()),
            Job::Deferred(d) => write!(f, "Deferred({} events)", d.events),
        }
    }
}

impl Job {
    /// Events carried.
    pub fn len(&self) -> usize {
        match self {
            Job::Single(_) => 1,
            Job::Batch(b) => b.events.len(),
            Job::Deferred(d) => d.events,
        }
    }

    /// Whether the job carries no event.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds a deferred job (others are returned as they are).
    pub fn resolve(self) -> Job {
        match self {
            Job::Deferred(d) => (d.build)().resolve(),
            other => other,
        }
    }

    /// The events carried, for reporting.
    pub fn events(&self) -> Vec<Value> {
        match self {
            Job::Single(s) => vec![s.body.clone()],
            Job::Batch(b) => b.events.clone(),
            Job::Deferred(_) => Vec::new(),
        }
    }
}

/// A single event and how to send it.
#[derive(Debug, Clone)]
pub struct SingleEvent {
    /// Event name (`en`).
    pub name: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Extra headers (`X-Device-User-Agent`, `VWO-X-Forwarded-For`).
    pub headers: Vec<(String, String)>,
    /// The `{"d": ...}` payload.
    pub body: Value,
    /// A 200 answer clears the usage statistics (track, attribute, usage tracking, gateway
    /// impressions).
    pub clears_usage_stats: bool,
    /// Retries are reported with a debug event (not for debug events themselves).
    pub reports_retries: bool,
    /// API name for messages.
    pub api: &'static str,
}

/// A batch request.
#[derive(Debug, Clone)]
pub struct BatchJob {
    /// The `{"d": ...}` payloads.
    pub events: Vec<Value>,
    /// Query (`a`, `env`, `sn`, `sv`).
    pub query: Vec<(String, String)>,
    /// SDK key for the `Authorization` header.
    pub sdk_key: String,
    /// Whether it comes from the batching queue (its outcome goes to the flush callback).
    pub from_queue: bool,
}

/// An item of the batching queue: a payload, or payloads still to be built.
pub enum BatchItem {
    /// A built payload.
    Ready(Value),
    /// `count` payloads built on demand.
    Deferred(usize, Box<dyn FnOnce() -> Vec<Value> + Send>),
}

impl BatchItem {
    fn len(&self) -> usize {
        match self {
            BatchItem::Ready(_) => 1,
            BatchItem::Deferred(n, _) => *n,
        }
    }
}

/// The sending side, implemented by the client.
pub trait Deliver: Send + Sync + 'static {
    /// Sends a job, retrying as configured; `interrupt` ends back-off waits at shutdown.
    /// Returns follow-up jobs (debug events about the delivery) and the outcome.
    fn deliver(&self, job: &Job, interrupt: &dyn Interrupt) -> (Result<(), String>, Vec<Job>);
    /// Reports a job that will not be delivered.
    fn dropped(&self, job: Job, reason: &str);
    /// Called in a forked child before its threads start: drop state shared with the
    /// parent (such as pooled connections).
    fn forked(&self) {}
}

/// Dispatch settings.
#[derive(Debug, Clone, Copy)]
pub struct DispatchConfig {
    /// Deliver on worker threads (else in the caller's thread).
    pub threaded: bool,
    /// Worker threads.
    pub workers: usize,
    /// Most events held at once (queued, in flight, or waiting in the batch).
    pub capacity: usize,
    /// Batching: flush at this many events and at least this often.
    pub batch: Option<(usize, Duration)>,
}

/// Counters.
#[derive(Debug, Default)]
pub struct Stats {
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Events dropped (and reported).
    pub dropped: AtomicU64,
}

/// A shutdown signal that back-off waits and timers listen to.
#[derive(Default)]
pub struct Shutdown {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Shutdown {
    /// Signals shutdown.
    pub fn signal(&self) {
        *lock(&self.flag) = true;
        self.cv.notify_all();
    }

    /// Whether shutdown was signalled.
    pub fn is_set(&self) -> bool {
        *lock(&self.flag)
    }
}

impl Interrupt for Shutdown {
    fn wait(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut set = lock(&self.flag);
        while !*set {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            set = match self.cv.wait_timeout(set, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        false
    }
}

/// Locks a mutex, ignoring poisoning: the protected data stays consistent because every
/// critical section here is a few plain assignments.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Events not yet resolved (queued or in flight), with a condition to wait on.
#[derive(Default)]
struct Pending {
    count: Mutex<usize>,
    cv: Condvar,
}

impl Pending {
    fn add(&self, n: usize) -> usize {
        let mut c = lock(&self.count);
        *c += n;
        *c
    }

    fn sub(&self, n: usize) {
        let mut c = lock(&self.count);
        *c = c.saturating_sub(n);
        if *c == 0 {
            self.cv.notify_all();
        }
    }

    fn wait_zero(&self, deadline: Instant) -> bool {
        let mut c = lock(&self.count);
        while *c > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            c = match self.cv.wait_timeout(c, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

/// Jobs waiting for the collector.
#[derive(Default)]
struct Inbox {
    jobs: Vec<Job>,
    /// Drain now, without lingering (flush, close).
    urgent: bool,
    /// The collector should exit once the inbox is empty.
    stop: bool,
}

struct Threads {
    tx: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    collector: Option<JoinHandle<()>>,
    timer: Option<JoinHandle<()>>,
    /// Fork generation the threads were started in.
    generation: u64,
}

struct Batch {
    items: Vec<BatchItem>,
    events: usize,
    last_flush: Instant,
}

/// What `close` achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReport {
    /// Every pending event was delivered before the deadline.
    pub delivered_all: bool,
    /// Events dropped over the dispatcher's life.
    pub dropped_total: u64,
}

/// Query and SDK key of the batches sent from the queue.
type BatchTarget = (Vec<(String, String)>, String);

/// The dispatcher.
pub struct Dispatcher {
    courier: Arc<dyn Deliver>,
    cfg: DispatchConfig,
    threads: Mutex<Threads>,
    inbox: Mutex<Inbox>,
    inbox_cv: Condvar,
    pending: Arc<Pending>,
    /// Delivery counters.
    pub stats: Arc<Stats>,
    shutdown: Arc<Shutdown>,
    closed: AtomicBool,
    /// Fork generation this dispatcher's state belongs to (see `adopt_fork`).
    generation: AtomicU64,
    batch: Mutex<Batch>,
    batch_template: Mutex<Option<BatchTarget>>,
}

impl Dispatcher {
    /// A dispatcher over `courier`. No thread starts until the first job.
    pub fn new(courier: Arc<dyn Deliver>, cfg: DispatchConfig) -> Arc<Dispatcher> {
        Arc::new(Dispatcher {
            courier,
            cfg,
            threads: Mutex::new(Threads {
                tx: None,
                workers: Vec::new(),
                collector: None,
                timer: None,
                generation: super::fork::generation(),
            }),
            inbox: Mutex::new(Inbox::default()),
            inbox_cv: Condvar::new(),
            pending: Arc::new(Pending::default()),
            stats: Arc::new(Stats::default()),
            shutdown: Arc::new(Shutdown::default()),
            closed: AtomicBool::new(false),
            generation: AtomicU64::new(super::fork::generation()),
            batch: Mutex::new(Batch {
                items: Vec::new(),
                events: 0,
                last_flush: Instant::now(),
            }),
            batch_template: Mutex::new(None),
        })
    }

    /// Whether events are batched.
    pub fn batching(&self) -> bool {
        self.cfg.batch.is_some()
    }

    /// The shutdown signal (for back-off waits elsewhere).
    pub fn shutdown_signal(&self) -> Arc<Shutdown> {
        Arc::clone(&self.shutdown)
    }

    /// Sets the query and SDK key used for batches from the queue.
    pub fn set_batch_target(&self, query: Vec<(String, String)>, sdk_key: String) {
        *lock(&self.batch_template) = Some((query, sdk_key));
    }

    /// Events queued, in flight or waiting in the batch.
    pub fn pending(&self) -> usize {
        self.adopt_fork();
        *lock(&self.pending.count) + lock(&self.batch).events
    }

    /// Submits a job for delivery.
    pub fn submit(self: &Arc<Self>, job: Job) {
        if job.is_empty() {
            return;
        }
        self.adopt_fork();
        if self.closed.load(Ordering::Acquire) {
            self.drop_job(job, "the client is closed");
            return;
        }
        let n = job.len();
        if self.pending.add(n) > self.cfg.capacity {
            self.pending.sub(n);
            self.drop_job(job, "the event queue is full");
            return;
        }
        if !self.cfg.threaded {
            self.run_job(job.resolve());
            return;
        }
        if !self.ensure_threads() {
            self.pending.sub(n);
            self.drop_job(job, "the event threads could not be started");
            return;
        }
        let was_empty = {
            let mut inbox = lock(&self.inbox);
            inbox.jobs.push(job);
            inbox.jobs.len() == 1
        };
        if was_empty {
            self.inbox_cv.notify_one();
        }
    }

    /// Adds events to the batch; flushes when the batch is full (or, without threads, when
    /// the batch interval has passed).
    pub fn enqueue(self: &Arc<Self>, item: BatchItem) {
        let n = item.len();
        if n == 0 {
            return;
        }
        self.adopt_fork();
        if self.closed.load(Ordering::Acquire) {
            self.drop_items(vec![item], "the client is closed");
            return;
        }
        let Some((per_request, interval)) = self.cfg.batch else {
            return;
        };
        if self.cfg.threaded && !self.ensure_threads() {
            self.drop_items(vec![item], "the event threads could not be started");
            return;
        }
        let ready = {
            let mut b = lock(&self.batch);
            if b.events + n > self.cfg.capacity {
                drop(b);
                self.drop_items(vec![item], "the event queue is full");
                return;
            }
            b.items.push(item);
            b.events += n;
            let due = !self.cfg.threaded && b.last_flush.elapsed() >= interval;
            if b.events >= per_request || due {
                b.last_flush = Instant::now();
                b.events = 0;
                Some(std::mem::take(&mut b.items))
            } else {
                None
            }
        };
        if let Some(items) = ready {
            self.submit(self.batch_job(items));
        }
    }

    fn batch_job(&self, items: Vec<BatchItem>) -> Job {
        let (query, sdk_key) = lock(&self.batch_template).clone().unwrap_or_default();
        let events = items.iter().map(BatchItem::len).sum();
        Job::Deferred(Deferred {
            events,
            build: Box::new(move || {
                let mut evs = Vec::with_capacity(events);
                for it in items {
                    match it {
                        BatchItem::Ready(v) => evs.push(v),
                        BatchItem::Deferred(_, f) => evs.extend(f()),
                    }
                }
                Job::Batch(BatchJob {
                    events: evs,
                    query,
                    sdk_key,
                    from_queue: true,
                })
            }),
        })
    }

    fn drop_items(&self, items: Vec<BatchItem>, reason: &str) {
        let job = self.batch_job(items).resolve();
        self.drop_job(job, reason);
    }

    /// Sends the batch now (if any).
    pub fn flush_batch(self: &Arc<Self>) {
        self.adopt_fork();
        let items = {
            let mut b = lock(&self.batch);
            b.last_flush = Instant::now();
            b.events = 0;
            std::mem::take(&mut b.items)
        };
        if !items.is_empty() {
            self.submit(self.batch_job(items));
        }
    }

    /// Flushes the batch and waits until everything pending is resolved or the timeout
    /// passes. Returns whether every pending event was delivered.
    pub fn flush(self: &Arc<Self>, timeout: Duration) -> bool {
        let dropped_before = self.stats.dropped.load(Ordering::Acquire);
        self.flush_batch();
        self.hurry();
        // From a callback on a dispatch thread, waiting would wait for that thread itself.
        let timeout = if on_dispatch_thread() { Duration::ZERO } else { timeout };
        let drained = self.pending.wait_zero(Instant::now() + timeout);
        drained && self.stats.dropped.load(Ordering::Acquire) == dropped_before
    }

    /// Asks the collector to drain now instead of lingering.
    fn hurry(&self) {
        lock(&self.inbox).urgent = true;
        self.inbox_cv.notify_one();
    }

    /// Stops accepting events, delivers what is pending within `timeout`, interrupts
    /// back-off waits, reports what is left, and joins every thread. Idempotent.
    pub fn close(self: &Arc<Self>, timeout: Duration) -> CloseReport {
        self.adopt_fork();
        let delivered_all = if self.closed.load(Ordering::Acquire) {
            self.pending() == 0
        } else {
            let dropped_before = self.stats.dropped.load(Ordering::Acquire);
            // Let the batch go out before refusing new events.
            self.flush_batch();
            self.closed.store(true, Ordering::Release);
            self.hurry();
            let timeout = if on_dispatch_thread() { Duration::ZERO } else { timeout };
            // Resolved is not delivered: events that failed before the deadline count too.
            self.pending.wait_zero(Instant::now() + timeout)
                && self.stats.dropped.load(Ordering::Acquire) == dropped_before
        };
        self.shutdown.signal();
        {
            let mut inbox = lock(&self.inbox);
            inbox.stop = true;
            inbox.urgent = true;
        }
        self.inbox_cv.notify_all();
        let (collector, workers, timer) = {
            let mut t = lock(&self.threads);
            // Threads cannot join themselves: closed from one of them (a callback), the
            // threads wind down on their own once signalled.
            let forked = t.generation != super::fork::generation();
            let c = t.collector.take();
            let w = std::mem::take(&mut t.workers);
            let tm = t.timer.take();
            if forked {
                abandon(c.into_iter().chain(w).chain(tm));
                (None, Vec::new(), None)
            } else if on_dispatch_thread() {
                (None, Vec::new(), None)
            } else {
                (c, w, tm)
            }
        };
        // The collector hands what it still holds to the workers, then closes their channel.
        if let Some(h) = collector {
            let _ = h.join();
        }
        lock(&self.threads).tx = None;
        for h in workers {
            let _ = h.join();
        }
        if let Some(h) = timer {
            let _ = h.join();
        }
        // Anything left (threads that could not run) is reported, not lost.
        let leftovers = std::mem::take(&mut lock(&self.inbox).jobs);
        for job in leftovers {
            let n = job.len();
            self.drop_job(job, "the client closed before the event could be sent");
            self.pending.sub(n);
        }
        CloseReport {
            delivered_all,
            dropped_total: self.stats.dropped.load(Ordering::Acquire),
        }
    }

    fn drop_job(&self, job: Job, reason: &str) {
        let job = job.resolve();
        self.stats.dropped.fetch_add(job.len() as u64, Ordering::Relaxed);
        self.courier.dropped(job, reason);
    }

    fn run_job(self: &Arc<Self>, job: Job) {
        let n = job.len();
        if self.shutdown.is_set() {
            self.drop_job(job, "the client closed before the event could be sent");
            self.pending.sub(n);
            return;
        }
        let (result, follow_up) = self.courier.deliver(&job, &*self.shutdown);
        match result {
            Ok(()) => {
                self.stats.delivered.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(reason) => self.drop_job(job, &reason),
        }
        self.pending.sub(n);
        for f in follow_up {
            self.submit(f);
        }
    }

    /// The collector: waits for jobs, lingers, builds payloads, merges impression batches,
    /// and feeds the workers. Exits when told to stop and the inbox is empty.
    fn collect(self: &Arc<Self>, tx: Sender<Job>) {
        // Double-buffered: the inbox keeps the capacity of the previous round, so callers
        // push without reallocating (and without page faults from regrowing buffers).
        let mut jobs: Vec<Job> = Vec::with_capacity(256);
        loop {
            {
                let mut inbox = lock(&self.inbox);
                while inbox.jobs.is_empty() && !inbox.stop {
                    inbox = match self.inbox_cv.wait(inbox) {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                }
                if inbox.jobs.is_empty() && inbox.stop {
                    return;
                }
                if !inbox.urgent {
                    let until = Instant::now() + LINGER;
                    while !inbox.urgent && !inbox.stop {
                        let now = Instant::now();
                        if now >= until {
                            break;
                        }
                        inbox = match self.inbox_cv.wait_timeout(inbox, until - now) {
                            Ok((g, _)) => g,
                            Err(p) => p.into_inner().0,
                        };
                    }
                }
                inbox.urgent = false;
                std::mem::swap(&mut inbox.jobs, &mut jobs);
            }
            for job in merge(jobs.drain(..).map(Job::resolve).collect()) {
                let n = job.len();
                if let Err(e) = tx.send(job) {
                    self.pending.sub(n);
                    self.drop_job(e.into_inner(), "the event workers stopped");
                }
            }
        }
    }

    /// In a forked child, on its first use of this dispatcher: the parent's threads do not
    /// exist here, and the events queued or in flight at the fork are the parent's to send
    /// (and to report). Forget them before anything counts, waits on or reports events, so
    /// that a child neither waits for nor reports the parent's events, and an event counted
    /// by the child is never wiped by a later reset. One atomic load when nothing forked.
    fn adopt_fork(&self) {
        let generation = super::fork::generation();
        if self.generation.load(Ordering::Acquire) == generation {
            return;
        }
        let mut t = lock(&self.threads);
        if t.generation == generation {
            return;
        }
        t.generation = generation;
        self.courier.forked();
        t.tx = None;
        let (c, tm) = (t.collector.take(), t.timer.take());
        abandon(std::mem::take(&mut t.workers).into_iter().chain(c).chain(tm));
        *lock(&self.pending.count) = 0;
        *lock(&self.inbox) = Inbox::default();
        let mut b = lock(&self.batch);
        b.items.clear();
        b.events = 0;
        self.generation.store(generation, Ordering::Release);
    }

    /// Starts the collector, the workers (and the batch timer) on first use, and again in a
    /// forked child, whose copy of the parent's threads does not exist.
    fn ensure_threads(self: &Arc<Self>) -> bool {
        self.adopt_fork();
        let mut t = lock(&self.threads);
        if t.tx.is_some() {
            return true;
        }
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        for i in 0..self.cfg.workers.max(1) {
            let me = Arc::downgrade(self);
            let rx: Receiver<Job> = rx.clone();
            let h = std::thread::Builder::new()
                .name(format!("vwo-fme-worker-{i}"))
                .spawn(move || {
                    ON_DISPATCH_THREAD.with(|f| f.set(true));
                    while let Ok(job) = rx.recv() {
                        let Some(d) = me.upgrade() else { break };
                        d.run_job(job);
                    }
                });
            match h {
                Ok(h) => t.workers.push(h),
                Err(_) => break,
            }
        }
        if t.workers.is_empty() {
            return false;
        }
        let me = Arc::clone(self);
        let ctx = tx.clone();
        match std::thread::Builder::new()
            .name("vwo-fme-collect".into())
            .spawn(move || me.collect(ctx))
        {
            Ok(h) => t.collector = Some(h),
            Err(_) => return false,
        }
        if let Some((_, interval)) = self.cfg.batch {
            let me = Arc::downgrade(self);
            let shutdown = Arc::clone(&self.shutdown);
            t.timer = std::thread::Builder::new()
                .name("vwo-fme-batch-timer".into())
                .spawn(move || loop {
                    if !shutdown.wait(interval) {
                        break;
                    }
                    match me.upgrade() {
                        Some(d) => d.flush_batch(),
                        None => break,
                    }
                })
                .ok();
        }
        t.tx = Some(tx);
        true
    }
}

/// Forgets handles of threads that belonged to the parent of a forked process. Dropping them
/// would `pthread_detach` an id that a thread of the child may now carry.
pub fn abandon(handles: impl Iterator<Item = JoinHandle<()>>) {
    for h in handles {
        std::mem::forget(h);
    }
}

/// Merges consecutive impression batches that go to the same place into requests of at
/// most [`MAX_MERGED_EVENTS`] events; other jobs keep their order.
fn merge(jobs: Vec<Job>) -> Vec<Job> {
    let mut out: Vec<Job> = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Job::Batch(b) = &job {
            if !b.from_queue {
                if let Some(Job::Batch(last)) = out.last_mut() {
                    if !last.from_queue
                        && last.query == b.query
                        && last.sdk_key == b.sdk_key
                        && last.events.len() + b.events.len() <= MAX_MERGED_EVENTS
                    {
                        if let Job::Batch(b) = job {
                            last.events.extend(b.events);
                        }
                        continue;
                    }
                }
            }
        }
        out.push(job);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A courier that succeeds, fails, or blocks, and records what it saw.
    struct Probe {
        fail: bool,
        delay: Duration,
        delivered: Mutex<Vec<usize>>,
        dropped: Mutex<Vec<(usize, String)>>,
    }

    impl Deliver for Probe {
        fn deliver(&self, job: &Job, interrupt: &dyn Interrupt) -> (Result<(), String>, Vec<Job>) {
            if !self.delay.is_zero() && !interrupt.wait(self.delay) {
                return (Err("interrupted".into()), vec![]);
            }
            if self.fail {
                return (Err("HTTP 500".into()), vec![]);
            }
            lock(&self.delivered).push(job.len());
            (Ok(()), vec![])
        }
        fn dropped(&self, job: Job, reason: &str) {
            lock(&self.dropped).push((job.len(), reason.to_string()));
        }
    }

    fn probe(fail: bool, delay_ms: u64) -> Arc<Probe> {
        Arc::new(Probe {
            fail,
            delay: Duration::from_millis(delay_ms),
            delivered: Mutex::new(vec![]),
            dropped: Mutex::new(vec![]),
        })
    }

    fn single() -> Job {
        Job::Single(SingleEvent {
            name: "e".into(),
            query: vec![],
            headers: vec![],
            body: json!({}),
            clears_usage_stats: false,
            reports_retries: false,
            api: "track",
        })
    }

    #[test]
    fn threaded_delivery_and_flush() {
        let p = probe(false, 0);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: true,
                workers: 3,
                capacity: 1000,
                batch: None,
            },
        );
        for _ in 0..200 {
            d.submit(single());
        }
        assert!(d.flush(Duration::from_secs(5)));
        assert_eq!(lock(&p.delivered).len(), 200);
        let r = d.close(Duration::from_secs(1));
        assert_eq!(
            r,
            CloseReport {
                delivered_all: true,
                dropped_total: 0
            }
        );
    }

    #[test]
    fn full_queue_drops_are_reported_and_flush_says_so() {
        let p = probe(false, 200);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: true,
                workers: 1,
                capacity: 2,
                batch: None,
            },
        );
        for _ in 0..5 {
            d.submit(single());
        }
        assert_eq!(lock(&p.dropped).len(), 3);
        assert!(lock(&p.dropped).iter().all(|(_, r)| r.contains("full")));
        assert_eq!(d.stats.dropped.load(Ordering::Relaxed), 3);
        assert!(d.flush(Duration::from_secs(5)), "the two accepted events are delivered");
        assert_eq!(lock(&p.delivered).len(), 2);
        d.submit(single());
        assert!(d.flush(Duration::from_secs(5)));
        assert_eq!(lock(&p.delivered).len(), 3);
        d.close(Duration::from_secs(5));
    }

    #[test]
    fn batches_flush_by_size_and_on_close() {
        let p = probe(false, 0);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: true,
                workers: 2,
                capacity: 100,
                batch: Some((10, Duration::from_secs(3600))),
            },
        );
        for i in 0..25 {
            d.enqueue(BatchItem::Ready(json!({"i": i})));
        }
        assert!(d.flush(Duration::from_secs(5)));
        let mut sizes = lock(&p.delivered).clone();
        sizes.sort();
        assert_eq!(sizes, vec![5, 10, 10]);
        d.enqueue(BatchItem::Ready(json!({"late": true})));
        let r = d.close(Duration::from_secs(5));
        assert!(r.delivered_all);
        assert_eq!(lock(&p.delivered).iter().sum::<usize>(), 26);
    }

    #[test]
    fn batch_timer_flushes_without_help() {
        let p = probe(false, 0);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: true,
                workers: 1,
                capacity: 100,
                batch: Some((100, Duration::from_millis(50))),
            },
        );
        d.enqueue(BatchItem::Ready(json!({})));
        let deadline = Instant::now() + Duration::from_secs(5);
        while lock(&p.delivered).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(*lock(&p.delivered), vec![1]);
        d.close(Duration::from_secs(1));
    }

    #[test]
    fn failures_are_reported_not_lost() {
        let p = probe(true, 0);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: false,
                workers: 0,
                capacity: 10,
                batch: None,
            },
        );
        d.submit(single());
        assert_eq!(*lock(&p.dropped), vec![(1, "HTTP 500".to_string())]);
        assert_eq!(d.stats.dropped.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn close_interrupts_backoff_and_reports_leftovers() {
        let p = probe(false, 60_000);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: true,
                workers: 1,
                capacity: 10,
                batch: None,
            },
        );
        d.submit(single());
        d.submit(single());
        let t = Instant::now();
        let r = d.close(Duration::from_millis(100));
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "close must not wait for the back-off"
        );
        assert!(!r.delivered_all);
        assert_eq!(lock(&p.dropped).len(), 2);
        d.submit(single());
        assert!(lock(&p.dropped).last().unwrap().1.contains("closed"));
    }

    #[test]
    fn synchronous_mode_starts_no_thread() {
        let p = probe(false, 0);
        let d = Dispatcher::new(
            p.clone(),
            DispatchConfig {
                threaded: false,
                workers: 5,
                capacity: 10,
                batch: Some((2, Duration::from_secs(3600))),
            },
        );
        d.enqueue(BatchItem::Ready(json!(1)));
        assert!(lock(&p.delivered).is_empty());
        d.enqueue(BatchItem::Ready(json!(2)));
        assert_eq!(*lock(&p.delivered), vec![2]);
        assert!(lock(&d.threads).workers.is_empty());
        assert!(d.flush(Duration::from_millis(1)));
    }
}
