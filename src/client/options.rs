//! Client options (§2): parsed from JSON (the official SDKs' snake_case and camelCase keys
//! both work) plus the callbacks, validated the way the official SDK validates them.
//!
//! Required options (`sdk_key`, `account_id`) fail construction with a clear error. Invalid
//! optional values fall back to their defaults with a log line saying what was wrong, as the
//! official SDK does (an unknown log level is an error there, and here).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::callbacks::{FlushCallback, IntegrationCallback, LogSink, StorageConnector};
use crate::core::decide::context::type_name;
use crate::core::python;
use crate::core::LogLevel;
use crate::net::http::TlsOptions;
use crate::net::retry::RetryConfig;

/// Why a client cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitError {
    /// `sdk_key` missing or empty.
    MissingSdkKey,
    /// `account_id` missing or empty.
    MissingAccountId,
    /// `is_aliasing_enabled` without `gateway_service.url`.
    AliasingNeedsGateway,
    /// Another option is unusable (the message names it).
    Invalid(String),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::MissingSdkKey => {
                f.write_str("SDK key is required to initialize VWO. Please provide the sdk_key in the options.")
            }
            InitError::MissingAccountId => {
                f.write_str("Account ID is required to initialize VWO. Please provide the account_id in the options.")
            }
            InitError::AliasingNeedsGateway => f.write_str(
                "Gateway service URL is required when aliasing is enabled. Please provide the gateway_service in the options.",
            ),
            InitError::Invalid(m) => write!(f, "VWO initialization failed. Error: {m}"),
        }
    }
}

impl std::error::Error for InitError {}

/// The callbacks that cannot travel in JSON.
#[derive(Clone, Default)]
pub struct Callbacks {
    /// Storage connector.
    pub storage: Option<Arc<dyn StorageConnector>>,
    /// Custom log transports, each with its own minimum level (`None`: the logger's level).
    pub log_sinks: Vec<(Option<LogLevel>, Arc<dyn LogSink>)>,
    /// Integrations callback.
    pub integrations: Option<IntegrationCallback>,
    /// Batch flush callback.
    pub flush: Option<FlushCallback>,
}

/// `gateway_service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayOptions {
    /// `scheme://host[:port]` resolved from `url`, `protocol` and `port`.
    pub url: String,
}

/// Event batching (`batch_event_data`).
#[derive(Clone)]
pub struct BatchOptions {
    /// Flush when this many events are queued (1..=5000, default 100).
    pub events_per_request: usize,
    /// Flush at least this often (default 600 s).
    pub interval: Duration,
}

/// Fully resolved client options.
#[derive(Clone)]
pub struct ClientOptions {
    /// `account_id` as given (number or string).
    pub account_id: Value,
    /// `sdk_key`.
    pub sdk_key: String,
    /// A valid `poll_interval` option (>= 1000 ms).
    pub poll_interval: Option<Duration>,
    /// Whether `poll_interval` was given at all (usage statistics report it).
    pub poll_interval_given: bool,
    /// Gateway service.
    pub gateway: Option<GatewayOptions>,
    /// `proxy_url`: replaces the settings and events hosts (ignored with a gateway).
    pub proxy_url: Option<String>,
    /// `settings`: settings JSON to use instead of fetching (offline mode). The client takes
    /// it at init: `Client::options()` shows `None` here afterwards.
    pub settings: Option<Value>,
    /// Minimum log level.
    pub log_level: LogLevel,
    /// Whether a log level was configured.
    pub log_level_given: bool,
    /// Log prefix.
    pub log_prefix: String,
    /// Colour console output.
    pub log_ansi: bool,
    /// Batching, when configured (and no gateway).
    pub batch: Option<BatchOptions>,
    /// `batch_event_data` was given (usage statistics report it).
    pub batch_given: bool,
    /// Background threads for network calls (`threading.enabled`, default true).
    pub threading: bool,
    /// Worker threads (`threading.max_workers`, default 5).
    pub max_workers: usize,
    /// `threading.max_workers` as given.
    pub max_workers_given: Option<Value>,
    /// Retries.
    pub retry: RetryConfig,
    /// `is_usage_stats_disabled`.
    pub usage_stats_disabled: bool,
    /// `is_aliasing_enabled`.
    pub aliasing_enabled: bool,
    /// `isDevelopmentMode`: the settings request omits `s=prod`.
    pub development_mode: bool,
    /// `_vwo_meta.ea`.
    pub early_access: bool,
    /// `python_compat`: decide exactly as the official Python SDK 1.65.0, including the two
    /// decision bugs decisions.md fixes (booleans as `"True"`, `inlist` never matching).
    pub python_compat: bool,
    /// Most events held for delivery (default 10 000); more are dropped and reported.
    pub max_queue_size: usize,
    /// How long `close` waits for pending events (default 5 s).
    pub shutdown_timeout: Duration,
    /// Timeout of event and gateway requests (default 3 s, as the official SDK).
    pub request_timeout: Duration,
    /// Timeout of settings requests (default 50 s, as the official SDK).
    pub settings_timeout: Duration,
    /// TLS roots.
    pub tls: TlsOptions,
    /// The options as given, with callbacks named by type (the usage-stats event's `initConfig`).
    pub init_config: Value,
    /// Callbacks.
    pub callbacks: Callbacks,
}

/// Reads `snake` or `camel` (the first present and not null).
fn get<'a>(m: &'a Map<String, Value>, snake: &str, camel: &str) -> Option<&'a Value> {
    m.get(snake).or_else(|| m.get(camel)).filter(|v| !v.is_null())
}

fn as_int(v: &Value) -> Option<i64> {
    // The official SDK requires a Python `int` (floats and booleans are invalid).
    match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

impl ClientOptions {
    /// Parses options JSON. Returns the options and the warnings to log once the logger
    /// exists (level, message).
    pub fn from_json(v: &Value, callbacks: Callbacks) -> Result<(ClientOptions, Vec<(LogLevel, String)>), InitError> {
        let empty = Map::new();
        let m = match v {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(InitError::Invalid(format!(
                    "options must be an object, got {}",
                    type_name(other)
                )))
            }
        };
        let mut warn: Vec<(LogLevel, String)> = Vec::new();

        let sdk_key = match get(m, "sdk_key", "sdkKey") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) if python::truthy(v) && !v.is_string() => {
                return Err(InitError::Invalid(format!(
                    "sdk_key must be a string, got {}",
                    type_name(v)
                )))
            }
            _ => return Err(InitError::MissingSdkKey),
        };
        let account_id = match get(m, "account_id", "accountId") {
            Some(v @ (Value::String(_) | Value::Number(_))) if python::truthy(v) => v.clone(),
            Some(v) if python::truthy(v) => {
                return Err(InitError::Invalid(format!(
                    "account_id must be a string or a number, got {}",
                    type_name(v)
                )))
            }
            _ => return Err(InitError::MissingAccountId),
        };

        let gateway = match get(m, "gateway_service", "gatewayService") {
            None => None,
            Some(Value::Object(g)) if g.contains_key("url") => Some(parse_gateway(g)?),
            Some(Value::Object(_)) => None,
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "gateway_service must be an object, got {}",
                    type_name(other)
                )))
            }
        };
        let aliasing_enabled = get(m, "is_aliasing_enabled", "isAliasingEnabled").is_some_and(python::truthy);
        if aliasing_enabled && gateway.is_none() {
            return Err(InitError::AliasingNeedsGateway);
        }

        let proxy_url = match get(m, "proxy_url", "proxyUrl") {
            None => None,
            Some(Value::String(s)) => {
                crate::net::url::Origin::parse(s).map_err(|e| InitError::Invalid(format!("proxy_url: {e}")))?;
                if gateway.is_some() {
                    warn.push((
                        LogLevel::Info,
                        "Proxy URL and gateway service are both given; the gateway service is used".into(),
                    ));
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "proxy_url must be a string, got {}",
                    type_name(other)
                )))
            }
        };

        let poll_raw = get(m, "poll_interval", "pollInterval");
        let poll_interval = match poll_raw {
            None => None,
            Some(v) => match as_int(v) {
                Some(n) if n >= 1000 => Some(ms(n as u64)),
                _ => {
                    warn.push((
                        LogLevel::Error,
                        "Invalid key:poll_interval passed in options. Should be of type:int and greater than equal to 1000"
                            .into(),
                    ));
                    None
                }
            },
        };

        let settings = match get(m, "settings", "settings") {
            None => None,
            Some(Value::String(s)) => Some(
                serde_json::from_str::<Value>(s)
                    .map_err(|e| InitError::Invalid(format!("settings is not valid JSON: {e}")))?,
            ),
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "settings must be an object or JSON text, got {}",
                    type_name(other)
                )))
            }
        };

        // Logger.
        let logger = get(m, "logger", "logger");
        let lm = match logger {
            None => None,
            Some(Value::Object(l)) => Some(l),
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "logger must be an object, got {}",
                    type_name(other)
                )))
            }
        };
        let (log_level, log_level_given) = match lm.and_then(|l| l.get("level")).filter(|v| !v.is_null()) {
            None => (LogLevel::Error, false),
            Some(Value::String(s)) => match LogLevel::parse(s) {
                Some(l) => (l, true),
                None => {
                    return Err(InitError::Invalid(format!(
                        "unknown logger level {s:?} (use trace, debug, info, warn or error)"
                    )))
                }
            },
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "logger.level must be a string, got {}",
                    type_name(other)
                )))
            }
        };
        let log_prefix = lm
            .and_then(|l| l.get("prefix"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "VWO-SDK".into());
        let log_ansi = lm
            .and_then(|l| get(l, "is_ansi_color_enabled", "isAnsiColorEnabled"))
            .is_some_and(python::truthy);

        // Batching.
        let batch_raw = get(m, "batch_event_data", "batchEventData");
        let batch = match batch_raw {
            None => None,
            Some(Value::Object(b)) => {
                if gateway.is_some() {
                    warn.push((
                        LogLevel::Warn,
                        "Gateway service is configured. Event batching will be handled by the gateway. SDK batching is disabled."
                            .into(),
                    ));
                    None
                } else {
                    parse_batch(b, &mut warn)
                }
            }
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "batch_event_data must be an object, got {}",
                    type_name(other)
                )))
            }
        };

        // Threading.
        let (threading, max_workers, max_workers_given) = match m.get("threading").filter(|v| !v.is_null()) {
            None => (true, 5, None),
            Some(Value::Object(t)) => {
                let enabled = match t.get("enabled") {
                    None => true,
                    Some(v) => python::truthy(v),
                };
                let given = get(t, "max_workers", "maxWorkers").cloned();
                let workers = match given.as_ref().map(as_int) {
                    None => 5,
                    Some(Some(n)) if (1..=64).contains(&n) => n as usize,
                    Some(_) => {
                        warn.push((
                            LogLevel::Error,
                            "threading.max_workers must be an integer in 1..64; using 5".into(),
                        ));
                        5
                    }
                };
                (enabled, workers, given)
            }
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "threading must be an object, got {}",
                    type_name(other)
                )))
            }
        };

        let retry = match get(m, "retry_config", "retryConfig") {
            None => RetryConfig::default(),
            Some(Value::Object(r)) => parse_retry(r, &mut warn),
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "retry_config must be an object, got {}",
                    type_name(other)
                )))
            }
        };

        let uint =
            |snake: &str, camel: &str, default: u64, min: u64, max: u64, warn: &mut Vec<(LogLevel, String)>| -> u64 {
                match get(m, snake, camel) {
                    None => default,
                    Some(v) => match v.as_u64() {
                        Some(n) if (min..=max).contains(&n) => n,
                        _ => {
                            warn.push((
                                LogLevel::Error,
                                format!("{snake} must be an integer in {min}..={max}; using {default}"),
                            ));
                            default
                        }
                    },
                }
            };
        let max_queue_size = uint("max_queue_size", "maxQueueSize", 10_000, 1, 10_000_000, &mut warn) as usize;
        let shutdown_timeout = ms(uint(
            "shutdown_timeout_ms",
            "shutdownTimeoutMs",
            5_000,
            0,
            600_000,
            &mut warn,
        ));
        let request_timeout = ms(uint(
            "request_timeout_ms",
            "requestTimeoutMs",
            3_000,
            1,
            600_000,
            &mut warn,
        ));
        let settings_timeout = ms(uint(
            "settings_timeout_ms",
            "settingsTimeoutMs",
            50_000,
            1,
            600_000,
            &mut warn,
        ));

        let ca_pem = match get(m, "ca_certs", "caCerts") {
            None => None,
            Some(Value::String(p)) => {
                let text = if p.contains("-----BEGIN") {
                    p.clone()
                } else {
                    std::fs::read_to_string(p).map_err(|e| InitError::Invalid(format!("ca_certs {p:?}: {e}")))?
                };
                Some(text)
            }
            Some(other) => {
                return Err(InitError::Invalid(format!(
                    "ca_certs must be a string, got {}",
                    type_name(other)
                )))
            }
        };

        let meta = m.get("_vwo_meta").or_else(|| m.get("_wingify_meta"));
        let mut init_config = sanitized(v, &callbacks);
        if let Value::Object(ic) = &mut init_config {
            ic.insert("is_via_vwo".into(), Value::Bool(true));
        }

        let options = ClientOptions {
            account_id,
            sdk_key,
            poll_interval,
            poll_interval_given: poll_raw.is_some_and(python::truthy),
            gateway,
            proxy_url,
            settings,
            log_level,
            log_level_given,
            log_prefix,
            log_ansi,
            batch,
            batch_given: batch_raw.is_some_and(python::truthy),
            threading,
            max_workers,
            max_workers_given,
            retry,
            usage_stats_disabled: get(m, "is_usage_stats_disabled", "isUsageStatsDisabled").is_some_and(python::truthy),
            aliasing_enabled,
            development_mode: get(m, "isDevelopmentMode", "is_development_mode").is_some_and(python::truthy),
            early_access: meta.and_then(|x| x.get("ea")).is_some_and(python::truthy),
            python_compat: get(m, "python_compat", "pythonCompat").is_some_and(python::truthy),
            max_queue_size,
            shutdown_timeout,
            request_timeout,
            settings_timeout,
            tls: TlsOptions { ca_pem },
            init_config,
            callbacks,
        };
        Ok((options, warn))
    }

    /// Python `str(account_id)`.
    pub fn account_id_str(&self) -> String {
        python::str_of(&self.account_id).into_owned()
    }
}

fn parse_gateway(g: &Map<String, Value>) -> Result<GatewayOptions, InitError> {
    let url = match g.get("url") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(InitError::Invalid(
                "gateway_service.url must be a non-empty string".into(),
            ))
        }
    };
    let full = if url.starts_with("http://") || url.starts_with("https://") {
        url
    } else {
        match g.get("protocol").and_then(Value::as_str) {
            Some(p @ ("http" | "https")) => format!("{p}://{url}"),
            _ => format!("https://{url}"),
        }
    };
    let mut origin =
        crate::net::url::Origin::parse(&full).map_err(|e| InitError::Invalid(format!("gateway_service.url: {e}")))?;
    if origin.port.is_none() {
        if let Some(p) = g.get("port").filter(|v| !v.is_null()) {
            let port = p
                .as_u64()
                .filter(|p| *p > 0 && *p <= 65535)
                .ok_or_else(|| InitError::Invalid(format!("gateway_service.port must be a port number, got {p}")))?;
            origin.port = Some(port as u16);
        }
    }
    Ok(GatewayOptions { url: origin.base() })
}

fn parse_batch(b: &Map<String, Value>, warn: &mut Vec<(LogLevel, String)>) -> Option<BatchOptions> {
    let epr = get(b, "events_per_request", "eventsPerRequest")
        .map(as_int)
        .unwrap_or(Some(100));
    let rti = get(b, "request_time_interval", "requestTimeInterval")
        .map(as_int)
        .unwrap_or(Some(600));
    let epr_ok = epr.filter(|n| (1..=5000).contains(n));
    let rti_ok = rti.filter(|n| *n > 0);
    if epr_ok.is_none() && rti_ok.is_none() {
        warn.push((
            LogLevel::Error,
            "Invalid batch events config. Should be an object - events_per_request and request_time_interval should be of type:number and > 0"
                .into(),
        ));
        return None;
    }
    if epr_ok.is_none() {
        warn.push((
            LogLevel::Error,
            "Events_per_request values is invalid (should be greater than 0 and less than 5000). Using default value of events_per_request parameter : 100.".into(),
        ));
    }
    if rti_ok.is_none() {
        warn.push((
            LogLevel::Error,
            "Request_time_interval values is invalid (should be greater than 0). Using default value of request_time_interval parameter : 600 seconds.".into(),
        ));
    }
    Some(BatchOptions {
        events_per_request: epr_ok.unwrap_or(100) as usize,
        interval: Duration::from_secs(rti_ok.unwrap_or(600) as u64),
    })
}

fn parse_retry(r: &Map<String, Value>, warn: &mut Vec<(LogLevel, String)>) -> RetryConfig {
    let d = RetryConfig::default();
    let mut cfg = d;
    if let Some(v) = get(r, "should_retry", "shouldRetry") {
        match v {
            Value::Bool(b) => cfg.should_retry = *b,
            _ => warn.push((
                LogLevel::Error,
                "retry_config.should_retry must be a boolean; using true".into(),
            )),
        }
    }
    let mut num = |snake: &str, camel: &str, min: f64, slot: &mut f64| {
        if let Some(v) = get(r, snake, camel) {
            match v.as_f64() {
                Some(x) if x >= min && x <= 3600.0 => *slot = x,
                _ => warn.push((
                    LogLevel::Error,
                    format!("retry_config.{snake} must be a number >= {min}; using the default"),
                )),
            }
        }
    };
    let mut max_retries = d.max_retries as f64;
    num("max_retries", "maxRetries", 0.0, &mut max_retries);
    num("initial_delay", "initialDelay", 0.0, &mut cfg.initial_delay_s);
    num(
        "backoff_multiplier",
        "backoffMultiplier",
        1.0,
        &mut cfg.backoff_multiplier,
    );
    cfg.max_retries = max_retries.min(20.0) as u32;
    cfg
}

/// The options with callbacks replaced by their kind, as the usage-stats event reports them.
fn sanitized(v: &Value, callbacks: &Callbacks) -> Value {
    let mut out = match v {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    // The settings themselves are not part of the configuration report.
    if out.contains_key("settings") {
        out.insert("settings".into(), Value::from("object"));
    }
    if callbacks.storage.is_some() {
        out.insert("storage".into(), Value::from("StorageConnector"));
    }
    if callbacks.integrations.is_some() {
        let mut i = Map::new();
        i.insert("callback".into(), Value::from("function"));
        out.insert("integrations".into(), Value::Object(i));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<(ClientOptions, Vec<(LogLevel, String)>), InitError> {
        ClientOptions::from_json(&v, Callbacks::default())
    }

    #[test]
    fn required_options() {
        assert_eq!(parse(json!({"account_id": 1})).err(), Some(InitError::MissingSdkKey));
        assert_eq!(
            parse(json!({"sdk_key": "", "account_id": 1})).err(),
            Some(InitError::MissingSdkKey)
        );
        assert_eq!(parse(json!({"sdk_key": "k"})).err(), Some(InitError::MissingAccountId));
        assert_eq!(
            parse(json!({"sdk_key": "k", "account_id": 0})).err(),
            Some(InitError::MissingAccountId)
        );
        assert_eq!(
            parse(json!({"sdk_key": "k", "account_id": 1, "is_aliasing_enabled": true})).err(),
            Some(InitError::AliasingNeedsGateway)
        );
        let (o, w) = parse(json!({"sdkKey": "k", "accountId": "123"})).unwrap();
        assert_eq!((o.sdk_key.as_str(), o.account_id_str().as_str()), ("k", "123"));
        assert!(w.is_empty());
    }

    #[test]
    fn poll_interval_rules() {
        let (o, w) = parse(json!({"sdk_key": "k", "account_id": 1, "poll_interval": 1000})).unwrap();
        assert_eq!(o.poll_interval, Some(Duration::from_secs(1)));
        assert!(w.is_empty());
        for bad in [json!(999), json!(1000.0), json!(true), json!("5000")] {
            let (o, w) = parse(json!({"sdk_key": "k", "account_id": 1, "poll_interval": bad})).unwrap();
            assert_eq!(o.poll_interval, None, "{bad}");
            assert!(w[0].1.contains("poll_interval"), "{bad}");
        }
    }

    #[test]
    fn batch_rules_follow_the_official_sdk() {
        let (o, _) =
            parse(json!({"sdk_key": "k", "account_id": 1, "batch_event_data": {"events_per_request": 50, "request_time_interval": 10}}))
                .unwrap();
        let b = o.batch.unwrap();
        assert_eq!((b.events_per_request, b.interval), (50, Duration::from_secs(10)));
        let (o, w) =
            parse(json!({"sdk_key": "k", "account_id": 1, "batch_event_data": {"events_per_request": 10.0, "request_time_interval": 10}}))
                .unwrap();
        assert_eq!(o.batch.unwrap().events_per_request, 100);
        assert_eq!(w.len(), 1);
        let (o, w) =
            parse(json!({"sdk_key": "k", "account_id": 1, "batch_event_data": {"events_per_request": 0, "request_time_interval": -1}}))
                .unwrap();
        assert!(o.batch.is_none());
        assert!(w[0].1.starts_with("Invalid batch events config"));
        let (o, w) = parse(
            json!({"sdk_key": "k", "account_id": 1, "gateway_service": {"url": "gw.example.com"},
                                  "batch_event_data": {"events_per_request": 5}}),
        )
        .unwrap();
        assert!(o.batch.is_none());
        assert_eq!(w[0].0, LogLevel::Warn);
    }

    #[test]
    fn gateway_url_resolution() {
        let gw = |g: Value| {
            parse(json!({"sdk_key": "k", "account_id": 1, "gateway_service": g}))
                .unwrap()
                .0
                .gateway
                .unwrap()
                .url
        };
        assert_eq!(gw(json!({"url": "gw.example.com"})), "https://gw.example.com");
        assert_eq!(
            gw(json!({"url": "gw.example.com", "protocol": "http", "port": 8000})),
            "http://gw.example.com:8000"
        );
        assert_eq!(
            gw(json!({"url": "http://127.0.0.1:9/path", "port": 1})),
            "http://127.0.0.1:9"
        );
        assert!(parse(json!({"sdk_key": "k", "account_id": 1, "gateway_service": {"url": 5}})).is_err());
    }

    #[test]
    fn logger_level_must_be_known() {
        assert!(matches!(
            parse(json!({"sdk_key": "k", "account_id": 1, "logger": {"level": "loud"}})),
            Err(InitError::Invalid(m)) if m.contains("loud")
        ));
        let (o, _) =
            parse(json!({"sdk_key": "k", "account_id": 1, "logger": {"level": "DEBUG", "prefix": "P"}})).unwrap();
        assert_eq!((o.log_level, o.log_prefix.as_str()), (LogLevel::Debug, "P"));
    }

    #[test]
    fn retry_config_and_threading() {
        let (o, _) = parse(
            json!({"sdk_key": "k", "account_id": 1, "retryConfig": {"maxRetries": 1, "initialDelay": 0.5},
                                  "threading": {"enabled": false, "max_workers": 2}}),
        )
        .unwrap();
        assert_eq!((o.retry.max_retries, o.retry.initial_delay_s), (1, 0.5));
        assert!(!o.threading);
        assert_eq!(o.max_workers, 2);
        assert!(parse(json!({"sdk_key": "k", "account_id": 1, "threading": null})).is_ok());
        assert!(parse(json!({"sdk_key": "k", "account_id": 1, "threading": 5})).is_err());
    }
}
