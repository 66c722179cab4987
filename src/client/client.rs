//! The client: options, settings lifecycle, the API methods, and carrying out the effects of
//! each decision (storage writes, integration callback, events).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use serde_json::{Map, Value};

use super::callbacks::StorageConnector;
use super::delivery::{debug_job, Courier, UsageStats};
use super::flag::{Flag, FlagUuid};
use super::gateway::Gateway;
use super::logger::{Logger, Transport as LogTransport};
use super::memory;
use super::options::{Callbacks, ClientOptions, InitError};
use crate::core::decide::{
    self, identity, DecisionEnv, Effect, EvalOptions, GatewayData, Impression, Reason, StorageRead, UserContext,
};
use crate::core::settings::{self, SettingsError, Snapshot};
use crate::core::{python, LogLevel};
use crate::events::dispatcher::{
    BatchItem, BatchJob, CloseReport, Deferred, DispatchConfig, Dispatcher, Job, SingleEvent,
};
use crate::events::payload::{names, EventIdentity, Stamp, Visitor};
use crate::events::usage_stats::{usage_meta, UsageFacts};
use crate::net::abandon::Abandonable;
use crate::net::http::{Method, Request, Transport, UreqTransport};
use crate::net::retry::{send_with_retry, Interrupt};
use crate::net::url::{paths, with_query, VWO_HOST};

/// Debug-event templates subject to the settings' sampling (§16.2).
const SAMPLED_TEMPLATES: [&str; 3] = ["EVENT_NOT_FOUND", "FEATURE_NOT_FOUND", "FEATURE_NOT_FOUND_WITH_ID"];

/// An error of an API call that cannot be answered with a fallback value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The client was closed.
    Closed,
    /// An argument is unusable (the message says which and why).
    InvalidArgument(String),
    /// No valid settings are installed yet.
    NoSettings,
    /// The operation failed (network, settings validation, ...).
    Failed(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Closed => f.write_str("the client is closed"),
            ApiError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            ApiError::NoSettings => f.write_str("no valid settings are installed"),
            ApiError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ApiError {}

/// A VWO FME client. Cheap to clone (clones share one client); thread-safe.
///
/// ```no_run
/// use serde_json::json;
/// use vwo_fme::client::{Client, Callbacks};
/// use vwo_fme::core::decide::UserContext;
///
/// let client = Client::from_json(&json!({"sdk_key": "...", "account_id": 123456}), Callbacks::default())?;
/// let user = UserContext::from_json(&json!({"id": "user-1", "custom_variables": {"plan": "pro"}}))?;
/// let flag = client.get_flag("new_checkout", &user);
/// if flag.is_enabled() {
///     println!("title = {:?}", flag.variable("title"));
/// }
/// client.track_event("purchase", &user, Some(&json!({"revenue": 12.5}).as_object().unwrap()));
/// client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    opts: ClientOptions,
    logger: Logger,
    settings: ArcSwapOption<Snapshot>,
    ident: Arc<EventIdentity>,
    dispatcher: Arc<Dispatcher>,
    courier: Arc<Courier>,
    transport: Arc<dyn Transport>,
    settings_base: String,
    gateway: Option<Gateway>,
    offline: bool,
    /// Whether the `settings` option was given (the document itself is not kept: once
    /// compiled, the snapshot holds what is needed, and a parsed copy would take about 17
    /// times the text's size).
    settings_given: bool,
    closed: AtomicBool,
    poll: Mutex<PollState>,
    fetching: Mutex<()>,
    /// Fork generation this client's threads belong to (see `events::fork`).
    fork_generation: std::sync::atomic::AtomicU64,
    /// A weak reference to itself, to restart the poller from `&self` after a fork.
    self_ref: once_cell::sync::OnceCell<std::sync::Weak<Inner>>,
}

struct PollState {
    interval: Duration,
    from_options: bool,
    last: Instant,
    handle: Option<JoinHandle<()>>,
    /// Fork generation the poller thread was started in.
    generation: u64,
}

impl Client {
    /// Builds a client from options JSON and callbacks; see [`ClientOptions::from_json`].
    pub fn from_json(options: &Value, callbacks: Callbacks) -> Result<Client, InitError> {
        let (opts, warnings) = ClientOptions::from_json(options, callbacks)?;
        let offline = options.get("offline").is_some_and(python::truthy);
        Client::with_transport(opts, warnings, offline, None)
    }

    /// Builds a client over an explicit transport (tests and embedders with their own HTTP).
    pub fn with_transport(
        opts: ClientOptions,
        warnings: Vec<(LogLevel, String)>,
        offline: bool,
        transport: Option<Arc<dyn Transport>>,
    ) -> Result<Client, InitError> {
        let started = Instant::now();
        if offline && opts.settings.is_none() {
            return Err(InitError::Invalid("offline mode needs the settings option".into()));
        }
        let logger = build_logger(&opts);
        let transport: Arc<dyn Transport> = match transport {
            Some(t) => t,
            None => Arc::new(UreqTransport::new(&opts.tls).map_err(InitError::Invalid)?),
        };
        let (settings_base, events_base) = match (&opts.gateway, &opts.proxy_url) {
            (Some(g), _) => (g.url.clone(), g.url.clone()),
            (None, Some(p)) => {
                let o = crate::net::url::Origin::parse(p).map_err(InitError::Invalid)?;
                (o.base(), o.base())
            }
            (None, None) => (format!("https://{VWO_HOST}"), format!("https://{VWO_HOST}")),
        };
        let ident = EventIdentity::new(opts.account_id.clone(), &opts.sdk_key);
        let facts = UsageFacts {
            account_id: opts.account_id.clone(),
            sdk_key: opts.sdk_key.clone(),
            integrations: opts.callbacks.integrations.is_some(),
            batching: opts.batch_given,
            gateway: opts.gateway.is_some(),
            custom_transport: !opts.callbacks.log_sinks.is_empty(),
            storage: opts.callbacks.storage.is_some(),
            log_level: opts.log_level_given.then_some(opts.log_level as u8),
            poll_interval: opts.poll_interval_given,
            early_access: opts.early_access,
            threading: opts.threading,
            max_workers: opts.max_workers_given.clone(),
        };
        let usage = Arc::new(UsageStats::new(
            (!opts.usage_stats_disabled).then(|| usage_meta(&facts)),
        ));
        let courier = Arc::new(Courier {
            transport: Arc::clone(&transport),
            events_base,
            collection_prefix: Mutex::new(None),
            retry: opts.retry,
            timeout: opts.request_timeout,
            logger: logger.clone(),
            flush_callback: opts.callbacks.flush.clone(),
            usage: Arc::clone(&usage),
            identity: ident.clone(),
        });
        let dispatcher = Dispatcher::new(
            courier.clone(),
            DispatchConfig {
                threaded: opts.threading,
                workers: opts.max_workers,
                capacity: opts.max_queue_size,
                batch: opts.batch.as_ref().map(|b| (b.events_per_request, b.interval)),
            },
        );
        dispatcher.set_batch_target(
            ident.batch_query(&ident.account_id_str, &opts.sdk_key),
            opts.sdk_key.clone(),
        );
        let gateway = opts.gateway.as_ref().map(|g| Gateway {
            transport: Arc::clone(&transport),
            base: g.url.clone(),
            account_id: ident.account_id_str.clone(),
            sdk_key: opts.sdk_key.clone(),
            timeout: opts.request_timeout,
            logger: logger.clone(),
        });
        let poll_from_options = opts.poll_interval.is_some();
        let mut opts = opts;
        let given_settings = opts.settings.take();
        let inner = Arc::new(Inner {
            logger,
            settings: ArcSwapOption::empty(),
            ident: Arc::new(ident),
            dispatcher,
            courier,
            transport,
            settings_base,
            gateway,
            offline,
            settings_given: given_settings.is_some(),
            closed: AtomicBool::new(false),
            poll: Mutex::new(PollState {
                interval: opts.poll_interval.unwrap_or(Duration::from_millis(600_000)),
                from_options: poll_from_options,
                last: Instant::now(),
                handle: None,
                generation: crate::events::fork::generation(),
            }),
            fetching: Mutex::new(()),
            fork_generation: std::sync::atomic::AtomicU64::new(crate::events::fork::generation()),
            self_ref: once_cell::sync::OnceCell::new(),
            opts,
        });
        let _ = inner.self_ref.set(Arc::downgrade(&inner));
        let client = Client { inner };
        let inner = &client.inner;
        for (level, msg) in warnings {
            inner.logger.log(level, &msg);
            if level == LogLevel::Error && msg.starts_with("Invalid key:poll_interval") {
                inner.send_debug(error_props("init", "INVALID_POLLING_CONFIGURATION", &msg), None);
            }
        }

        // Settings: given, or fetched now (the official SDK blocks init on this fetch).
        let mut settings_fetch_ms = Value::Null;
        let raw = match given_settings {
            Some(v) => Some(v),
            None => {
                let t = Instant::now();
                let r = inner.fetch_settings(false, "init");
                settings_fetch_ms = Value::from(t.elapsed().as_millis() as u64);
                match r {
                    Ok(v) => Some(v),
                    Err(e) => {
                        inner.logger.error(&format!("Settings could not be fetched: {e}"));
                        None
                    }
                }
            }
        };
        let mut valid_at_init = false;
        if let Some(raw) = raw {
            match inner.install(raw) {
                Ok(()) => valid_at_init = true,
                Err(SettingsError::Model(e)) => {
                    return Err(InitError::Invalid(format!("settings cannot be used: {e}")))
                }
                Err(e) => inner
                    .logger
                    .error(&format!("Settings are not valid. Failed schema validation: {e}")),
            }
        }
        inner.start_polling();

        let snapshot = inner.settings.load_full();
        if valid_at_init && !inner.offline {
            if let Some(s) = snapshot.as_deref() {
                if !s.was_initialized_earlier {
                    let stamp = Stamp::now();
                    let body = inner.ident.sdk_init(stamp);
                    if inner.dispatcher.batching() {
                        inner.enqueue(BatchItem::Ready(body));
                    } else {
                        let v = Visitor::default();
                        inner.submit(Job::Single(single_event(
                            &inner.ident,
                            names::SDK_INIT,
                            body,
                            &v,
                            "init",
                            stamp,
                        )));
                    }
                }
                if let Some(acc) = &s.usage_stats_account_id {
                    if inner.passes_sampling(s, true) {
                        let stamp = Stamp::now();
                        let meta = inner.courier.usage.get().map(|m| (*m).clone()).unwrap_or_default();
                        let mut cfg = inner.opts.init_config.clone();
                        if let Value::Object(c) = &mut cfg {
                            let poll = inner.poll_interval().as_millis() as u64;
                            c.entry("poll_interval").or_insert(Value::from(poll));
                        }
                        let init_ms = Value::from(started.elapsed().as_millis() as u64);
                        let body = inner
                            .ident
                            .usage_stats(acc, &meta, settings_fetch_ms, init_ms, cfg, stamp);
                        let query = inner
                            .ident
                            .event_query(names::USAGE_STATS, None, None, Some(acc), stamp);
                        inner.submit(Job::Single(SingleEvent {
                            name: names::USAGE_STATS.into(),
                            query,
                            headers: Vec::new(),
                            body,
                            clears_usage_stats: false,
                            reports_retries: true,
                            api: "init",
                        }));
                    }
                }
            }
        }
        inner.logger.info(|| "VWO client initialized".to_string());
        Ok(client)
    }

    /// The settings currently installed.
    pub fn settings(&self) -> Option<Arc<Snapshot>> {
        self.inner.settings.load_full()
    }

    /// The client's options.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Events waiting for delivery.
    pub fn pending_events(&self) -> usize {
        self.inner.dispatcher.pending()
    }

    /// Events delivered and dropped so far.
    pub fn event_counts(&self) -> (u64, u64) {
        let s = &self.inner.dispatcher.stats;
        (s.delivered.load(Ordering::Relaxed), s.dropped.load(Ordering::Relaxed))
    }

    /// Reports an API call that failed before reaching the client (e.g. an unparseable
    /// context at a language boundary): an ERROR line and a debug event, as the official SDK
    /// reports `EXECUTION_FAILED`.
    pub fn report_api_error(&self, api: &str, message: &str) {
        self.inner.api_failed(api, message, None);
    }

    /// Decides `feature_key` for a user (§8). Never fails: problems give a disabled flag
    /// whose `reason`/`error` say why.
    pub fn get_flag(&self, feature_key: &str, ctx: &UserContext) -> Flag {
        self.inner.get_flag(feature_key, ctx)
    }

    /// [`Client::get_flag`] with a JSON context (snake_case or camelCase keys).
    pub fn get_flag_json(&self, feature_key: &str, ctx: &Value) -> Flag {
        match UserContext::from_json(ctx) {
            Ok(c) => self.get_flag(feature_key, &c),
            Err(e) => {
                let session = ctx
                    .get("session_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_else(|| Stamp::now().now_s());
                self.inner.api_failed("getFlag", &format!("invalid context: {e}"), None);
                Flag::disabled(None, session, Reason::Error, Some(format!("invalid context: {e}")))
            }
        }
    }

    /// Tracks a custom event (§11.4). `Ok(true)` when the event is known to the settings and
    /// was queued; `Ok(false)` for an unknown event or unusable settings.
    pub fn track_event(&self, event_name: &str, ctx: &UserContext, properties: Option<&Map<String, Value>>) -> bool {
        self.inner.track_event(event_name, ctx, properties).unwrap_or(false)
    }

    /// Sets visitor attributes (§11.5). Values must be strings, numbers or booleans.
    pub fn set_attribute(&self, attributes: &Map<String, Value>, ctx: &UserContext) -> Result<(), ApiError> {
        self.inner.set_attribute(attributes, ctx)
    }

    /// Sends queued events now and waits up to `timeout` for every pending event. Returns
    /// whether all of them were delivered (decisions.md N3).
    pub fn flush_events(&self, timeout: Duration) -> bool {
        self.inner.dispatcher.flush(timeout)
    }

    /// Installs `settings` (validated first), or fetches them (`/server-side/v2-pull` when
    /// `via_webhook`, else `/server-side/v2-settings`). On any failure the current settings
    /// stay.
    pub fn update_settings(&self, settings: Option<Value>, via_webhook: bool) -> Result<(), ApiError> {
        self.inner.update_settings(settings, via_webhook)
    }

    /// Links `alias_id` to `user_id` on the gateway (§7.5). Needs `is_aliasing_enabled`.
    pub fn set_alias(&self, user_id: &str, alias_id: &str) -> Result<bool, ApiError> {
        self.inner.set_alias(user_id, alias_id)
    }

    /// Stops polling, delivers pending events within the shutdown timeout (reporting the
    /// rest to the flush callback), and joins every thread. Idempotent.
    pub fn close(&self) -> CloseReport {
        self.inner.close()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

fn build_logger(opts: &ClientOptions) -> Logger {
    let mut transports = Vec::new();
    for (level, sink) in &opts.callbacks.log_sinks {
        transports.push(LogTransport::Custom {
            level: level.unwrap_or(opts.log_level),
            sink: Arc::clone(sink),
        });
    }
    if transports.is_empty() {
        transports.push(LogTransport::Console { level: opts.log_level });
    }
    Logger::new(&opts.log_prefix, transports, opts.log_ansi, Some(&opts.sdk_key))
}

fn error_props(api: &str, template: &str, message: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("an".into(), Value::from(api));
    p.insert("msg_t".into(), Value::from(template));
    p.insert("msg".into(), Value::from(message));
    p.insert("lt".into(), Value::from("error"));
    p.insert("cg".into(), Value::from("error"));
    p
}

/// The visitor UUID of a call: known (a web UUID, or none), or derived from the user id when
/// first needed (a SHA-1 that decisions without events need not pay for).
#[derive(Debug, Clone)]
enum CallUuid {
    Known(Option<String>),
    Derive,
}

impl CallUuid {
    fn resolve(&self, ident: &EventIdentity, user_id: &str) -> Option<String> {
        match self {
            CallUuid::Known(u) => u.clone(),
            CallUuid::Derive => ident.uuid_of(user_id),
        }
    }
}

/// Per-call identity: visitor UUID and session.
struct Call {
    uuid: CallUuid,
    session_id: i64,
}

/// A single event with its official query and headers (§11.1).
fn single_event(
    ident: &EventIdentity,
    name: &str,
    body: Value,
    v: &Visitor,
    api: &'static str,
    stamp: Stamp,
) -> SingleEvent {
    let (ua, ip) = (v.user_agent.as_deref(), v.ip_address.as_deref());
    let mut headers = Vec::new();
    if let Some(ua) = ua.map(str::trim).filter(|s| !s.is_empty()) {
        headers.push(("X-Device-User-Agent".to_string(), ua.to_string()));
    }
    if let Some(ip) = ip.map(str::trim).filter(|s| !s.is_empty()) {
        headers.push(("VWO-X-Forwarded-For".to_string(), ip.to_string()));
    }
    SingleEvent {
        name: name.to_string(),
        query: ident.event_query(name, ua, ip, None, stamp),
        headers,
        body,
        // Single events sent for an API call clear the usage statistics once delivered.
        clears_usage_stats: api != "init",
        reports_retries: true,
        api,
    }
}

/// The decision core's window on this client: its storage connector, gateway and logger.
struct ClientEnv<'a> {
    storage: Option<&'a Arc<dyn StorageConnector>>,
    gateway: Option<&'a Gateway>,
    logger: &'a Logger,
}

impl DecisionEnv for ClientEnv<'_> {
    fn storage_get(&mut self, key: &str, user_id: &str) -> StorageRead {
        let Some(s) = self.storage else {
            return StorageRead::Missing;
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.get(key, user_id))) {
            Ok(Ok(None)) | Ok(Ok(Some(Value::Null))) => StorageRead::Missing,
            Ok(Ok(Some(Value::Object(m)))) => StorageRead::Found(m),
            Ok(Ok(Some(other))) => StorageRead::NotAnObject(crate::core::decide::context::type_name(&other).into()),
            Ok(Err(e)) => StorageRead::Failed(e),
            Err(_) => StorageRead::Failed("the storage connector panicked".into()),
        }
    }

    fn user_details(&mut self, ua: Option<&str>, ip: Option<&str>) -> Result<GatewayData, String> {
        match self.gateway {
            Some(g) => g.user_details(ua, ip),
            None => Err("no gateway service configured".into()),
        }
    }

    fn in_list(&mut self, attribute: &str, list_id: &str) -> bool {
        self.gateway.is_some_and(|g| g.in_list(attribute, list_id))
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        self.logger.enabled(level)
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.logger.log(level, message)
    }
}

impl Inner {
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn submit(&self, job: Job) {
        if self.offline {
            return;
        }
        self.dispatcher.submit(job);
    }

    fn enqueue(&self, item: BatchItem) {
        if self.offline {
            return;
        }
        self.dispatcher.enqueue(item);
    }

    /// Queues a single user event (track, attribute, usage tracking, or an impression with a
    /// gateway) whose payload `build` makes later, off the caller's thread. Batched when
    /// batching is on and `batchable`.
    fn submit_event(
        &self,
        name: &str,
        visitor: Visitor,
        uuid: CallUuid,
        api: &'static str,
        batchable: bool,
        build: impl FnOnce(&EventIdentity, &Visitor, Stamp) -> Value + Send + 'static,
    ) {
        let stamp = Stamp::now();
        let ident = Arc::clone(&self.ident);
        let finish = move || {
            let mut v = visitor;
            v.uuid = uuid.resolve(&ident, &v.id);
            (build(&ident, &v, stamp), v, ident)
        };
        if batchable && self.dispatcher.batching() {
            self.enqueue(BatchItem::Deferred(1, Box::new(move || vec![finish().0])));
            return;
        }
        let name = name.to_string();
        self.submit(Job::Deferred(Deferred {
            events: 1,
            build: Box::new(move || {
                let (body, v, ident) = finish();
                Job::Single(single_event(&ident, &name, body, &v, api, stamp))
            }),
        }));
    }

    /// Whether a sampled event passes the settings' sampling (§16.2).
    fn passes_sampling(&self, s: &Snapshot, usage: bool) -> bool {
        if !s.sampling.always_apply {
            return true;
        }
        let pct = if usage {
            s.sampling.usage_percent
        } else {
            s.sampling.debug_percent
        }
        .unwrap_or(10.0);
        ((crate::events::payload::random_unit() * 101.0).floor()) <= pct
    }

    /// Sends a debug event (never batched; sampled for the templates the settings sample).
    fn send_debug(&self, mut props: Map<String, Value>, call: Option<(&Call, &str)>) {
        let template = props.get("msg_t").and_then(Value::as_str).unwrap_or("").to_string();
        if SAMPLED_TEMPLATES.contains(&template.as_str()) {
            if let Some(s) = self.settings.load().as_deref() {
                if !self.passes_sampling(s, false) {
                    return;
                }
            }
        }
        if let Some((c, user_id)) = call {
            if !props.contains_key("uuid") {
                props.insert(
                    "uuid".into(),
                    c.uuid
                        .resolve(&self.ident, user_id)
                        .map(Value::from)
                        .unwrap_or(Value::Null),
                );
            }
            if !props.contains_key("sId") {
                props.insert("sId".into(), Value::from(c.session_id));
            }
        }
        self.submit(debug_job(&self.ident, props, Stamp::now()));
    }

    /// `EXECUTION_FAILED`: an ERROR line and a debug event.
    fn api_failed(&self, api: &str, err: &str, call: Option<(&Call, &str)>) {
        let msg = format!("API - {api} failed to execute. Error:{err}");
        self.logger.error(&msg);
        self.send_debug(error_props(api, "EXECUTION_FAILED", &msg), call);
    }

    /// The visitor UUID for a context (§7.2): the web UUID the id is, or one derived from
    /// the id (on first use).
    fn context_uuid(&self, s: &Snapshot, ctx: &UserContext) -> Result<CallUuid, String> {
        if s.is_web_connectivity_enabled {
            if identity::is_web_uuid(&ctx.id) {
                return Ok(CallUuid::Known(Some(ctx.id.clone())));
            }
            if ctx.use_id_for_web {
                return Err("UUID passed in context is not a valid UUID".into());
            }
        }
        Ok(CallUuid::Derive)
    }

    /// Settings, UUID and alias resolution shared by the API calls. `Err` carries the
    /// message of the failure, already logged and reported.
    fn prepare<'c>(
        &self,
        api: &str,
        ctx: &'c UserContext,
    ) -> Result<(Arc<Snapshot>, Call, Cow<'c, UserContext>), ApiError> {
        let session_id = ctx.session_id.unwrap_or_else(|| Stamp::now().now_s());
        self.maybe_poll();
        let Some(s) = self.settings.load_full() else {
            self.logger.error("Settings are not valid. Failed schema validation");
            self.api_failed(api, "Invalid Settings", None);
            return Err(ApiError::NoSettings);
        };
        let uuid = self.context_uuid(&s, ctx).map_err(|e| {
            self.api_failed(api, &e, None);
            ApiError::InvalidArgument(e)
        })?;
        let call = Call { uuid, session_id };
        let resolved = self.resolve_alias(ctx).map_err(|e| {
            self.api_failed(api, &e, Some((&call, &ctx.id)));
            ApiError::Failed(e)
        })?;
        Ok((s, call, resolved))
    }

    /// Resolves an alias to its user id when aliasing is on (§7.5).
    fn resolve_alias<'c>(&self, ctx: &'c UserContext) -> Result<Cow<'c, UserContext>, String> {
        if !self.opts.aliasing_enabled {
            return Ok(Cow::Borrowed(ctx));
        }
        let g = self
            .gateway
            .as_ref()
            .ok_or("Valid Gateway service is required when aliasing is enabled")?;
        let id = g.resolve_alias(&ctx.id)?;
        if id == ctx.id {
            return Ok(Cow::Borrowed(ctx));
        }
        let mut c = ctx.clone();
        c.id = id;
        Ok(Cow::Owned(c))
    }

    fn get_flag(&self, feature_key: &str, ctx: &UserContext) -> Flag {
        self.logger.debug(|| "API Called: getFlag".to_string());
        if self.is_closed() {
            let session_id = ctx.session_id.unwrap_or_else(|| Stamp::now().now_s());
            return Flag::disabled(None, session_id, Reason::Error, Some("the client is closed".into()));
        }
        let (s, call, ctx) = match self.prepare("getFlag", ctx) {
            Ok(x) => x,
            Err(e) => {
                let session_id = ctx.session_id.unwrap_or_else(|| Stamp::now().now_s());
                return Flag::disabled(None, session_id, Reason::Error, Some(e.to_string()));
            }
        };
        if ctx.invalid_bucketing_seed {
            self.logger.error(
                "Invalid bucketingSeed passed, since it can only be a valid string. Removing it from context so that userId is used for decisioning.",
            );
        }
        let opts = EvalOptions {
            storage: self.opts.callbacks.storage.is_some(),
            integrations: self.opts.callbacks.integrations.is_some(),
            gateway: self.gateway.is_some(),
            trace: false,
            python_compat: self.opts.python_compat,
        };
        let mut env = ClientEnv {
            storage: self.opts.callbacks.storage.as_ref(),
            gateway: self.gateway.as_ref(),
            logger: &self.logger,
        };
        let d = decide::get_flag(&s, feature_key, &ctx, &mut env, opts);
        for e in d.effects {
            self.carry_out(e, &s, &ctx, &call);
        }
        let uuid = match call.uuid {
            CallUuid::Known(u) => FlagUuid::Ready(u),
            CallUuid::Derive => FlagUuid::derive(self.ident.account_namespace, &ctx.id),
        };
        Flag::new(d.enabled, d.variables, uuid, call.session_id, d.reason, d.error)
    }

    fn carry_out(&self, e: Effect, s: &Arc<Snapshot>, ctx: &UserContext, call: &Call) {
        match e {
            Effect::StorageWrite(rec) => {
                if let Some(st) = &self.opts.callbacks.storage {
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| st.set(&rec))) {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => self
                            .logger
                            .error(&format!("Error storing data into storage. Error: {err}")),
                        Err(_) => self
                            .logger
                            .error("Error storing data into storage: the storage connector panicked"),
                    }
                }
            }
            Effect::Integration(payload) => self.call_integrations(&payload),
            Effect::Debug(ev) => self.send_debug(ev.props, Some((call, &ctx.id))),
            Effect::Impressions(list) => self.report_impressions(list, s, ctx, call),
            Effect::UsageTracking => {
                let v = Visitor::new(ctx, None, call.session_id);
                self.submit_event(
                    names::TRACK_USAGE,
                    v,
                    call.uuid.clone(),
                    "getFlag",
                    true,
                    |ident, v, stamp| ident.usage_tracking(v, stamp),
                );
            }
        }
    }

    fn call_integrations(&self, payload: &Map<String, Value>) {
        if let Some(cb) = &self.opts.callbacks.integrations {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(payload))).is_err() {
                self.logger
                    .error("Error while executing integrations_callback: Error: the callback panicked");
            }
        }
    }

    /// Queues impressions; their payloads are built later, off the caller's thread.
    fn report_impressions(&self, list: Vec<Impression>, s: &Arc<Snapshot>, ctx: &UserContext, call: &Call) {
        let visitor = Visitor::new(ctx, None, call.session_id);
        if self.gateway.is_some() {
            for imp in list {
                self.submit_event(
                    names::VARIATION_SHOWN,
                    visitor.clone(),
                    call.uuid.clone(),
                    "getFlag",
                    false,
                    move |ident, v, stamp| ident.impression(&imp, v, None, stamp),
                );
            }
            return;
        }
        let stamp = Stamp::now();
        if self.dispatcher.batching() {
            // One queue item per impression: the batch fills (and flushes) at exactly the
            // same event as the official SDK's queue.
            let v = Arc::new((visitor, call.uuid.clone()));
            for imp in list {
                let (ident, usage, v) = (Arc::clone(&self.ident), Arc::clone(&self.courier.usage), Arc::clone(&v));
                self.enqueue(BatchItem::Deferred(
                    1,
                    Box::new(move || {
                        let (visitor, uuid) = &*v;
                        let mut visitor = visitor.clone();
                        visitor.uuid = uuid.resolve(&ident, &visitor.id);
                        vec![ident.impression(&imp, &visitor, usage.get().as_deref(), stamp)]
                    }),
                ));
            }
            return;
        }
        let (ident, usage, uuid) = (
            Arc::clone(&self.ident),
            Arc::clone(&self.courier.usage),
            call.uuid.clone(),
        );
        let n = list.len();
        let s = Arc::clone(s);
        self.submit(Job::Deferred(Deferred {
            events: n,
            build: Box::new(move || {
                let mut v = visitor;
                v.uuid = uuid.resolve(&ident, &v.id);
                let meta = usage.get();
                let events = list
                    .iter()
                    .map(|imp| ident.impression(imp, &v, meta.as_deref(), stamp))
                    .collect();
                Job::Batch(BatchJob {
                    events,
                    query: ident.batch_query(&s.account_id_str, &s.sdk_key),
                    sdk_key: s.sdk_key.clone(),
                    from_queue: false,
                })
            }),
        }));
    }

    fn track_event(
        &self,
        event_name: &str,
        ctx: &UserContext,
        props: Option<&Map<String, Value>>,
    ) -> Result<bool, ApiError> {
        self.logger.debug(|| "API Called: trackEvent".to_string());
        if self.is_closed() {
            return Err(ApiError::Closed);
        }
        let (s, call, ctx) = self.prepare("track_event", ctx)?;
        if !s.is_known_event(event_name) {
            let msg = format!(
                "Event:{event_name} not found in any of the features' metrics, please ensure event API name is being used correctly"
            );
            self.logger.error(&msg);
            self.send_debug(
                error_props("trackEvent", "EVENT_NOT_FOUND", &msg),
                Some((&call, &ctx.id)),
            );
            return Ok(false);
        }
        let props = props.cloned().unwrap_or_default();
        let name = event_name.to_string();
        let v = Visitor::new(&ctx, None, call.session_id);
        self.submit_event(
            event_name,
            v,
            call.uuid.clone(),
            "track_event",
            true,
            move |ident, v, stamp| ident.track(&name, v, &props, stamp),
        );
        let mut payload = Map::new();
        payload.insert("event_name".into(), Value::from(event_name));
        payload.insert("api".into(), Value::from("trackEvent"));
        self.call_integrations(&payload);
        Ok(true)
    }

    fn set_attribute(&self, attributes: &Map<String, Value>, ctx: &UserContext) -> Result<(), ApiError> {
        self.logger.debug(|| "API Called: setAttribute".to_string());
        if self.is_closed() {
            return Err(ApiError::Closed);
        }
        if attributes.is_empty() {
            let m = "attribute_map should be a non-empty object".to_string();
            self.api_failed("set_attribute", &format!("TypeError: {m}"), None);
            return Err(ApiError::InvalidArgument(m));
        }
        if let Some((k, v)) = attributes
            .iter()
            .find(|(_, v)| !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
        {
            let m = format!("attribute {k:?} must be a string, number or boolean, got {v}");
            self.api_failed("set_attribute", &format!("TypeError: {m}"), None);
            return Err(ApiError::InvalidArgument(m));
        }
        let (s, call, ctx) = self.prepare("set_attribute", ctx)?;
        let attrs = attributes.clone();
        let sdk_key = s.sdk_key.clone();
        let v = Visitor::new(&ctx, None, call.session_id);
        self.submit_event(
            names::SYNC_VISITOR_PROP,
            v,
            call.uuid.clone(),
            "setAttribute",
            true,
            move |ident, v, stamp| ident.attribute(v, &attrs, &sdk_key, stamp),
        );
        Ok(())
    }

    fn set_alias(&self, user_id: &str, alias_id: &str) -> Result<bool, ApiError> {
        if self.is_closed() {
            return Err(ApiError::Closed);
        }
        if !self.opts.aliasing_enabled {
            return Err(ApiError::Failed("aliasing is not enabled (is_aliasing_enabled)".into()));
        }
        let Some(g) = &self.gateway else {
            return Err(ApiError::Failed("aliasing needs a gateway service".into()));
        };
        let user_id = user_id.trim();
        let alias: String = alias_id.chars().filter(|c| !c.is_whitespace()).collect();
        if user_id.is_empty() || alias.is_empty() {
            return Err(ApiError::InvalidArgument(
                "user id and alias id must be non-empty".into(),
            ));
        }
        if user_id == alias {
            return Err(ApiError::InvalidArgument("user id and alias id must differ".into()));
        }
        Ok(g.set_alias(user_id, &alias))
    }

    fn update_settings(&self, settings: Option<Value>, via_webhook: bool) -> Result<(), ApiError> {
        if self.is_closed() {
            return Err(ApiError::Closed);
        }
        let raw = match settings.filter(|v| !matches!(v, Value::Object(m) if m.is_empty())) {
            Some(v) => v,
            None => {
                if self.offline {
                    return Err(ApiError::Failed(
                        "offline mode: pass the settings to update_settings".into(),
                    ));
                }
                self.fetch_settings(via_webhook, "updateSettings").map_err(|e| {
                    let msg = format!(
                        "Failed to fetch settings. VWO client instance couldn't be updated. API:updateSettings called having isViaWebhook:{via_webhook}. Error: {e}"
                    );
                    self.logger.error(&msg);
                    ApiError::Failed(msg)
                })?
            }
        };
        match self.install(raw) {
            Ok(()) => {
                self.logger.info(|| "Settings updated".to_string());
                Ok(())
            }
            Err(e) => {
                let msg = format!("Failed to install settings; the previous settings are kept. Error: {e}");
                self.logger.error(&msg);
                Err(ApiError::Failed(msg))
            }
        }
    }

    /// Compiles settings off-lock and swaps them in atomically.
    fn install(&self, raw: Value) -> Result<(), SettingsError> {
        let snap = settings::compile(raw)?;
        if self.gateway.is_none() {
            *self.courier.collection_prefix.lock().unwrap_or_else(|p| p.into_inner()) = snap.collection_prefix.clone();
        }
        let size = snap.raw_json.len();
        self.settings.store(Some(Arc::new(snap)));
        memory::after_large_parse(size);
        Ok(())
    }

    /// GET the settings (§5.1), with retries; debug events as the official SDK sends them.
    fn fetch_settings(&self, via_webhook: bool, api: &str) -> Result<Value, String> {
        let stamp = Stamp::now();
        let mut q = vec![
            ("i".to_string(), self.opts.sdk_key.clone()),
            ("r".to_string(), python::float_repr(stamp.random)),
            ("a".to_string(), self.ident.account_id_str.clone()),
            ("platform".to_string(), "server".to_string()),
            ("api-version".to_string(), "1".to_string()),
            ("sn".to_string(), self.ident.sdk_name.clone()),
            ("sv".to_string(), self.ident.sdk_version.clone()),
        ];
        if !self.opts.development_mode {
            q.push(("s".to_string(), "prod".to_string()));
        }
        let path = if via_webhook {
            paths::SETTINGS_WEBHOOK
        } else {
            paths::SETTINGS
        };
        let req = Request {
            method: Method::Get,
            url: with_query(&self.settings_base, path, &q),
            headers: Vec::new(),
            body: None,
            timeout: self.opts.settings_timeout,
        };
        let shutdown = self.dispatcher.shutdown_signal();
        // A hanging settings server must not hold `close()` for the 50 s fetch timeout.
        let transport = Abandonable::new(Arc::clone(&self.transport), shutdown.clone());
        let logger = &self.logger;
        let mut failures = 0u32;
        let out = send_with_retry(
            &transport,
            &req,
            &self.opts.retry,
            &*shutdown as &dyn Interrupt,
            &mut |a, err, d| {
                failures = a;
                logger.error(&format!(
                    "Request failed for {path}, Error: {err}. Retrying in {} seconds, attempt {a} of {}",
                    d.as_secs_f64(),
                    self.opts.retry.max_retries
                ));
            },
        );
        let status = out.status();
        let reported = if out.is_success() {
            failures.saturating_sub(1)
        } else {
            out.attempts.saturating_sub(1)
        };
        if reported > 0 || status == Some(400) {
            let err = out.error.clone().unwrap_or_default();
            let (cg, lt, t, msg) = if status == Some(200) {
                (
                    "retry",
                    "info",
                    "NETWORK_CALL_SUCCESS_WITH_RETRIES",
                    format!("Network call for {path} succeeded after {reported} retry attempt(s). Previous attempts failed with error: {err}"),
                )
            } else {
                (
                    "network",
                    "error",
                    "NETWORK_CALL_FAILURE_AFTER_MAX_RETRIES",
                    format!("Network call for {path} failed after {reported} retry attempt(s). Got Error: {err}"),
                )
            };
            let mut p = Map::new();
            p.insert("cg".into(), Value::from(cg));
            p.insert("lt".into(), Value::from(lt));
            p.insert("msg_t".into(), Value::from(t));
            p.insert("msg".into(), Value::from(msg));
            p.insert(
                "an".into(),
                Value::from(if via_webhook { "updateSettings" } else { api }),
            );
            self.send_debug(p, None);
        }
        match out.response {
            Some(r) if (200..300).contains(&r.status) || r.status == 400 => {
                serde_json::from_str::<Value>(&r.body).map_err(|e| format!("settings response is not JSON: {e}"))
            }
            Some(r) => Err(format!("HTTP {} fetching settings", r.status)),
            None => Err(out.error.unwrap_or_else(|| "no response".into())),
        }
    }

    fn poll_interval(&self) -> Duration {
        self.poll.lock().unwrap_or_else(|p| p.into_inner()).interval
    }

    /// One polling round: fetch, and install when the settings changed.
    fn poll_once(&self) {
        let Ok(_guard) = self.fetching.try_lock() else { return };
        let Ok(raw) = self.fetch_settings(false, "init") else {
            return;
        };
        let current = self.settings.load_full();
        if current
            .as_ref()
            .is_some_and(|s| *s.canonical_json == settings::canonical_json(&raw))
        {
            self.logger.info(|| "No change in settings with polling".to_string());
            return;
        }
        match self.install(raw) {
            Ok(()) => {
                self.logger
                    .info(|| "Settings fetched and updated by polling".to_string());
                let mut p = self.poll.lock().unwrap_or_else(|e| e.into_inner());
                if !p.from_options {
                    if let Some(ms) = self.settings.load().as_ref().and_then(|s| s.poll_interval_ms) {
                        p.interval = Duration::from_millis(ms.max(1000));
                    }
                }
            }
            Err(_) => {
                // Invalid settings from polling are ignored; the last good ones stay.
            }
        }
    }

    /// Starts the polling thread (threaded mode). The interval comes from the options, else
    /// the settings, else 10 minutes.
    fn start_polling(self: &Arc<Self>) {
        if self.offline || self.settings_given && self.opts.poll_interval.is_none() {
            return;
        }
        {
            let mut p = self.poll.lock().unwrap_or_else(|e| e.into_inner());
            if !p.from_options {
                if let Some(ms) = self.settings.load().as_ref().and_then(|s| s.poll_interval_ms) {
                    p.interval = Duration::from_millis(ms.max(1000));
                }
            }
            p.last = Instant::now();
            p.generation = crate::events::fork::generation();
            if !self.opts.threading {
                return;
            }
            let weak = Arc::downgrade(self);
            let shutdown = self.dispatcher.shutdown_signal();
            p.handle = std::thread::Builder::new()
                .name("vwo-fme-poller".into())
                .spawn(move || loop {
                    let interval = match weak.upgrade() {
                        Some(i) => i.poll_interval(),
                        None => break,
                    };
                    if !shutdown.wait(interval) {
                        break;
                    }
                    match weak.upgrade() {
                        Some(i) => i.poll_once(),
                        None => break,
                    }
                })
                .ok();
        }
    }

    /// Without threads, polling happens in API calls once the interval has passed.
    fn maybe_poll(&self) {
        let generation = crate::events::fork::generation();
        if generation != self.fork_generation.load(Ordering::Acquire) {
            self.after_fork(generation);
        }
        if self.opts.threading || self.offline || self.settings_given && self.opts.poll_interval.is_none() {
            return;
        }
        let due = {
            let mut p = self.poll.lock().unwrap_or_else(|e| e.into_inner());
            if p.last.elapsed() >= p.interval {
                p.last = Instant::now();
                true
            } else {
                false
            }
        };
        if due {
            self.poll_once();
        }
    }

    /// In a forked child: the parent's connections are not ours, and the poller thread did
    /// not come along. (The dispatcher restarts its own threads at the next event.)
    fn after_fork(&self, generation: u64) {
        if self.fork_generation.swap(generation, Ordering::AcqRel) == generation {
            return;
        }
        self.transport.reset();
        self.logger
            .info(|| "Process forked: restarting the settings poller in the child".to_string());
        let me = self.self_ref.get().and_then(std::sync::Weak::upgrade);
        if let Some(me) = me {
            if !self.is_closed() {
                let stale = self.poll.lock().unwrap_or_else(|e| e.into_inner()).handle.take();
                crate::events::dispatcher::abandon(stale.into_iter());
                me.start_polling();
            }
        }
    }

    fn close(&self) -> CloseReport {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        let report = self.dispatcher.close(self.opts.shutdown_timeout);
        if first {
            let handle = {
                let mut p = self.poll.lock().unwrap_or_else(|e| e.into_inner());
                let same = p.generation == crate::events::fork::generation();
                let h = p.handle.take();
                if same {
                    h
                } else {
                    crate::events::dispatcher::abandon(h.into_iter());
                    None
                }
            };
            if let Some(h) = handle {
                if h.thread().id() != std::thread::current().id() {
                    let _ = h.join();
                }
            }
            let (d, x) = (report.delivered_all, report.dropped_total);
            self.logger
                .info(|| format!("VWO client closed (all events delivered: {d}, dropped over lifetime: {x})"));
        }
        report
    }
}
