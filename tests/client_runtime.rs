//! The runtime client against a real HTTP server on 127.0.0.1: settings fetch and polling,
//! updates, events with retries and batching, faults (server down, 5xx, 400, hangs, full
//! queue), shutdown, and concurrent evaluation during settings swaps.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use vwo_fme::client::{Callbacks, Client, LogSink};
use vwo_fme::conformance::mock_server::{MockServer, Reply};
use vwo_fme::core::decide::{Reason, UserContext};
use vwo_fme::core::LogLevel;

fn settings() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/conformance/settings/s2_rollout_ab.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The same settings with every variable value of `ab_three_way` replaced, so a test can
/// tell which settings a decision came from.
fn settings_variant(tag: &str) -> Value {
    let mut s = settings();
    for c in s["campaigns"].as_array_mut().unwrap() {
        for v in c["variations"].as_array_mut().unwrap() {
            for var in v["variables"].as_array_mut().unwrap() {
                if var["key"] == "string_var" {
                    var["value"] = Value::from(tag);
                }
            }
        }
    }
    s
}

fn user(id: &str) -> UserContext {
    UserContext::new(id)
}

fn base_options(url: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sdk_key".into(), json!("0123456789abcdef0123456789abcdef"));
    m.insert("account_id".into(), json!(888888));
    m.insert("proxy_url".into(), json!(url));
    m.insert(
        "retry_config".into(),
        json!({"initial_delay": 0.02, "backoff_multiplier": 2, "max_retries": 3}),
    );
    m
}

fn with(mut m: Map<String, Value>, k: &str, v: Value) -> Map<String, Value> {
    m.insert(k.into(), v);
    m
}

#[derive(Default)]
struct Flushes(Mutex<Vec<(Option<String>, usize)>>);

impl Flushes {
    fn callbacks(self: &Arc<Self>) -> Callbacks {
        let me = Arc::clone(self);
        Callbacks {
            flush: Some(Arc::new(move |err: Option<&str>, evs: &[Value]| {
                me.0.lock().unwrap().push((err.map(str::to_string), evs.len()))
            })),
            ..Default::default()
        }
    }
    fn all(&self) -> Vec<(Option<String>, usize)> {
        self.0.lock().unwrap().clone()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn fetches_settings_at_init_and_sends_the_init_event() {
    let server = MockServer::start(settings(), 0).unwrap();
    let client = Client::from_json(&Value::Object(base_options(&server.url())), Callbacks::default()).unwrap();
    let f = client.get_flag("ab_three_way", &user("u1"));
    assert!(f.enabled);
    assert_eq!(
        f.uuid(),
        Some(
            vwo_fme::core::decide::identity::visitor_uuid("u1", "888888")
                .unwrap()
                .as_str()
        )
    );
    assert!(client.flush_events(Duration::from_secs(5)));
    let reqs = server.requests();
    assert_eq!(reqs[0].path, "/server-side/v2-settings");
    assert_eq!(reqs[0].query_value("a"), Some("888888"));
    assert!(reqs.iter().any(|r| r.event_names() == vec!["vwo_fmeSdkInit"]));
    let batch = reqs
        .iter()
        .find(|r| r.path == "/server-side/batch-events-v2")
        .expect("impressions");
    assert_eq!(batch.header("authorization"), Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(batch.event_names(), vec!["vwo_variationShown", "vwo_variationShown"]);
    client.close();
}

#[test]
fn server_down_at_init_gives_disabled_flags_until_polling_recovers() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let opts = with(
        with(base_options(&url), "poll_interval", json!(1000)),
        "retry_config",
        json!({"max_retries": 0}),
    );
    let client = Client::from_json(&Value::Object(opts), Callbacks::default()).unwrap();
    let f = client.get_flag("ab_three_way", &user("u1"));
    assert!(!f.enabled);
    assert_eq!(f.reason, Reason::Error);
    let server = MockServer::start(settings(), port).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !client.get_flag("ab_three_way", &user("u1")).enabled {
        assert!(Instant::now() < deadline, "polling did not recover");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.requests().iter().any(|r| r.path == "/server-side/v2-settings"));
    client.close();
}

#[test]
fn five_hundreds_then_recovery_deliver_each_event_exactly_once() {
    let server = MockServer::start(settings(), 0).unwrap();
    let failures = Arc::new(AtomicUsize::new(0));
    let f2 = Arc::clone(&failures);
    server.script(move |r| {
        (r.path == "/events/t"
            && r.query_value("en") == Some("ab_three_way_conversion")
            && f2.fetch_add(1, Ordering::SeqCst) < 2)
            .then(|| Reply::status(503))
    });
    let client = Client::from_json(&Value::Object(base_options(&server.url())), Callbacks::default()).unwrap();
    assert!(client.track_event("ab_three_way_conversion", &user("u1"), None));
    assert!(client.flush_events(Duration::from_secs(10)));
    let tracked: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.query_value("en") == Some("ab_three_way_conversion"))
        .collect();
    assert_eq!(tracked.len(), 3, "two 503s, then one success");
    assert_eq!(client.event_counts().1, 0, "nothing dropped");
    client.close();
}

#[test]
fn a_400_is_not_retried_and_the_flush_callback_gets_the_error() {
    let server = MockServer::start(settings(), 0).unwrap();
    server.script(|r| (r.path == "/server-side/batch-events-v2").then(|| Reply::status(400)));
    let flushes = Arc::new(Flushes::default());
    let opts = with(
        base_options(&server.url()),
        "batch_event_data",
        json!({"events_per_request": 2, "request_time_interval": 3600}),
    );
    let client = Client::from_json(&Value::Object(opts), flushes.callbacks()).unwrap();
    client.get_flag("ab_three_way", &user("u1"));
    assert!(
        !client.flush_events(Duration::from_secs(5)),
        "a rejected batch is not delivered"
    );
    let batches = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/server-side/batch-events-v2")
        .count();
    let got = flushes.all();
    assert_eq!(batches, got.len(), "one request per batch: 400 is final");
    assert!(
        got.iter()
            .all(|(e, _)| e.as_deref() == Some("Failed with status code: 400")),
        "{got:?}"
    );
    assert_eq!(
        got.iter().map(|(_, n)| n).sum::<usize>(),
        3,
        "init event + two impressions reported: {got:?}"
    );
    client.close();
}

#[test]
fn a_hanging_server_does_not_slow_decisions_and_close_is_bounded() {
    let server = MockServer::start(settings(), 0).unwrap();
    server.script(|r| (r.method == "POST").then_some(Reply::Hang));
    let flushes = Arc::new(Flushes::default());
    let opts = with(
        with(base_options(&server.url()), "request_timeout_ms", json!(300)),
        "shutdown_timeout_ms",
        json!(500),
    );
    let client = Client::from_json(&Value::Object(opts), flushes.callbacks()).unwrap();
    let mut worst = Duration::ZERO;
    for i in 0..200 {
        let t = Instant::now();
        let f = client.get_flag("ab_three_way", &user(&format!("u{i}")));
        worst = worst.max(t.elapsed());
        assert!(f.enabled);
    }
    assert!(
        worst < Duration::from_millis(100),
        "get_flag waited for the network: {worst:?}"
    );
    let t = Instant::now();
    let report = client.close();
    assert!(t.elapsed() < Duration::from_secs(5), "close took {:?}", t.elapsed());
    assert!(!report.delivered_all);
    let reported: usize = flushes.all().iter().filter(|(e, _)| e.is_some()).map(|(_, n)| n).sum();
    assert_eq!(
        reported as u64, report.dropped_total,
        "every undelivered event is reported"
    );
    assert!(report.dropped_total > 0);
}

#[test]
fn queue_overflow_is_counted_logged_and_reported() {
    let server = MockServer::start(settings(), 0).unwrap();
    server.script(|r| (r.path == "/events/t" && r.query_value("en") != Some("vwo_fmeSdkInit")).then_some(Reply::Hang));
    let flushes = Arc::new(Flushes::default());
    let opts = with(
        with(
            with(base_options(&server.url()), "max_queue_size", json!(5)),
            "request_timeout_ms",
            json!(200),
        ),
        "threading",
        json!({"enabled": true, "max_workers": 1}),
    );
    let client = Client::from_json(&Value::Object(opts), flushes.callbacks()).unwrap();
    for i in 0..50 {
        client.track_event("ab_three_way_conversion", &user(&format!("u{i}")), None);
    }
    let full: usize = flushes
        .all()
        .iter()
        .filter(|(e, _)| e.as_deref().is_some_and(|e| e.contains("full")))
        .map(|(_, n)| n)
        .sum();
    assert!(full >= 40, "at most 5 events fit, {full} reported as dropped");
    assert_eq!(client.event_counts().1 as usize, full);
    client.close();
}

#[test]
fn close_delivers_pending_batched_events() {
    let server = MockServer::start(settings(), 0).unwrap();
    let flushes = Arc::new(Flushes::default());
    let opts = with(
        base_options(&server.url()),
        "batch_event_data",
        json!({"events_per_request": 100, "request_time_interval": 3600}),
    );
    let client = Client::from_json(&Value::Object(opts), flushes.callbacks()).unwrap();
    for i in 0..10 {
        client.track_event("ab_three_way_conversion", &user(&format!("u{i}")), None);
    }
    assert_eq!(client.pending_events(), 11, "init event + 10 tracks wait in the batch");
    let report = client.close();
    assert!(report.delivered_all);
    let batch = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/server-side/batch-events-v2")
        .unwrap();
    assert_eq!(batch.event_names().len(), 11);
    assert_eq!(flushes.all(), vec![(None, 11)]);
    assert!(
        !client.track_event("ab_three_way_conversion", &user("late"), None),
        "closed client refuses"
    );
}

#[test]
fn polling_picks_up_changed_settings() {
    let server = MockServer::start(settings_variant("first"), 0).unwrap();
    let opts = with(base_options(&server.url()), "poll_interval", json!(1000));
    let client = Client::from_json(&Value::Object(opts), Callbacks::default()).unwrap();
    let value = || {
        client
            .get_flag("ab_three_way", &user("u1"))
            .variable("string_var")
            .cloned()
    };
    assert_eq!(value(), Some(json!("first")));
    server.set_settings(settings_variant("second"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while value() != Some(json!("second")) {
        assert!(Instant::now() < deadline, "polling did not install the new settings");
        std::thread::sleep(Duration::from_millis(50));
    }
    client.close();
}

#[test]
fn update_settings_with_json_via_webhook_and_rejecting_invalid() {
    let server = MockServer::start(settings_variant("served"), 0).unwrap();
    let client = Client::from_json(&Value::Object(base_options(&server.url())), Callbacks::default()).unwrap();
    let value = || {
        client
            .get_flag("ab_three_way", &user("u1"))
            .variable("string_var")
            .cloned()
    };
    client.update_settings(Some(settings_variant("given")), true).unwrap();
    assert_eq!(value(), Some(json!("given")));
    let err = client.update_settings(Some(json!({"version": 1})), true).unwrap_err();
    assert!(
        err.to_string().contains("accountId") || err.to_string().contains("required"),
        "{err}"
    );
    assert_eq!(value(), Some(json!("given")), "invalid settings keep the old ones");
    client.update_settings(None, true).unwrap();
    assert_eq!(value(), Some(json!("served")));
    assert!(server.requests().iter().any(|r| r.path == "/server-side/v2-pull"));
    client.update_settings(None, false).unwrap();
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/server-side/v2-settings")
            .count(),
        2
    );
    client.close();
}

#[test]
fn offline_mode_needs_no_network() {
    let opts = json!({"sdk_key": "k", "account_id": 888888, "settings": settings(), "offline": true});
    let client = Client::from_json(&opts, Callbacks::default()).unwrap();
    assert!(client.get_flag("ab_three_way", &user("u1")).enabled);
    assert!(client.track_event("ab_three_way_conversion", &user("u1"), None));
    assert!(client.flush_events(Duration::from_millis(10)));
    assert_eq!(client.event_counts(), (0, 0));
    assert!(client.close().delivered_all);
}

struct Capture(Mutex<Vec<String>>);
impl LogSink for Capture {
    fn log(&self, _level: LogLevel, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
}

#[test]
fn the_sdk_key_never_reaches_the_logs() {
    let server = MockServer::start(settings(), 0).unwrap();
    server.script(|r| (r.path == "/events/t").then(|| Reply::status(500)));
    let sink = Arc::new(Capture(Mutex::new(Vec::new())));
    let mut cb = Callbacks::default();
    cb.log_sinks.push((Some(LogLevel::Trace), sink.clone()));
    let opts = with(
        with(base_options(&server.url()), "logger", json!({"level": "trace"})),
        "retry_config",
        json!({"initial_delay": 0.001, "max_retries": 1}),
    );
    let client = Client::from_json(&Value::Object(opts), cb).unwrap();
    client.get_flag("ab_three_way", &user("u1"));
    client.get_flag("missing_feature", &user("u1"));
    client.track_event("no_such_event", &user("u1"), None);
    client.track_event("ab_three_way_conversion", &user("u1"), None);
    client.flush_events(Duration::from_secs(5));
    client.close();
    let logs = sink.0.lock().unwrap().clone();
    assert!(logs.len() > 5, "trace logging produced {} lines", logs.len());
    assert!(
        logs.iter().all(|l| !l.contains("0123456789abcdef0123456789abcdef")),
        "sdk key leaked"
    );
}

struct Leveled(Mutex<Vec<(LogLevel, String)>>);
impl LogSink for Leveled {
    fn log(&self, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((level, message.to_string()));
    }
}

/// Every API path a user id, a custom variable, a user agent or event properties pass
/// through, with failing event deliveries, a missing feature and a failing alias call; the
/// logs at `level`.
fn logs_of_a_busy_session(level: &str) -> Vec<(LogLevel, String)> {
    let server = MockServer::start(settings(), 0).unwrap();
    server.script(|r| (r.method == "POST" || r.path.contains("alias")).then(|| Reply::status(500)));
    let sink = Arc::new(Leveled(Mutex::new(Vec::new())));
    let mut cb = Callbacks::default();
    // No level of its own: the sink follows the logger's level.
    cb.log_sinks.push((None, sink.clone()));
    let opts = with(
        with(
            with(base_options(&server.url()), "logger", json!({"level": level})),
            "retry_config",
            json!({"initial_delay": 0.001, "max_retries": 1}),
        ),
        "gateway_service",
        json!({"url": server.url()}),
    );
    let client = Client::from_json(&Value::Object(opts), cb).unwrap();
    let ctx = UserContext::from_json(&json!({
        "id": "pii-user-7f3a",
        "custom_variables": {"email": "pii-mail@example.com"},
        "user_agent": "pii-agent/1.0",
        "ip_address": "10.99.98.97"
    }))
    .unwrap();
    for feature in ["ab_three_way", "rollout_basic", "missing_feature"] {
        client.get_flag(feature, &ctx);
    }
    let props = json!({"note": "pii-property"});
    client.track_event("ab_three_way_conversion", &ctx, props.as_object());
    client.track_event("no_such_event", &ctx, props.as_object());
    let attrs = json!({"pii-attr": "pii-value"});
    let _ = client.set_attribute(attrs.as_object().unwrap(), &ctx);
    let _ = client.set_alias("pii-user-7f3a", "pii-alias-1");
    client.flush_events(Duration::from_secs(5));
    client.close();
    let logs = sink.0.lock().unwrap().clone();
    logs
}

#[test]
fn user_data_reaches_the_logs_only_at_debug_and_trace() {
    let user_data = ["pii-", "10.99.98.97"];
    let names_user = |m: &str| user_data.iter().any(|d| m.contains(d));
    let info = logs_of_a_busy_session("info");
    assert!(
        info.iter().any(|(l, _)| *l == LogLevel::Error),
        "the session logs errors (failed deliveries): {info:?}"
    );
    let leaks: Vec<_> = info.iter().filter(|(_, m)| names_user(m)).collect();
    assert!(leaks.is_empty(), "user data at INFO and above: {leaks:?}");
    // The same session at DEBUG does name the user, so the check above can fail.
    let debug = logs_of_a_busy_session("debug");
    let named: Vec<_> = debug.iter().filter(|(_, m)| names_user(m)).collect();
    assert!(!named.is_empty(), "no DEBUG line names the user");
    assert!(
        named
            .iter()
            .all(|(l, _)| matches!(l, LogLevel::Debug | LogLevel::Trace)),
        "user data above DEBUG: {named:?}"
    );
}

#[test]
fn sixteen_threads_evaluate_while_settings_swap() {
    let a = settings_variant("A");
    let b = settings_variant("B");
    let opts = json!({"sdk_key": "k", "account_id": 888888, "settings": a.clone(), "offline": true});
    let client = Client::from_json(&opts, Callbacks::default()).unwrap();
    let calls: usize = std::env::var("VWO_SWAP_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (client, stop) = (client.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                client
                    .update_settings(Some(if n % 2 == 0 { b.clone() } else { a.clone() }), false)
                    .unwrap();
                n += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            n
        })
    };
    let workers: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let ctx = user(&format!("user-{t}"));
                let (mut seen_a, mut seen_b) = (0usize, 0usize);
                for _ in 0..calls {
                    let f = client.get_flag("ab_three_way", &ctx);
                    assert!(f.enabled);
                    let tags: Vec<&Value> = f
                        .variables
                        .iter()
                        .filter(|v| v.key == "string_var")
                        .map(|v| &v.value)
                        .collect();
                    match tags.as_slice() {
                        [v] if *v == "A" => seen_a += 1,
                        [v] if *v == "B" => seen_b += 1,
                        other => panic!("mixed or missing variables: {other:?}"),
                    }
                }
                (seen_a, seen_b)
            })
        })
        .collect();
    let mut totals = (0, 0);
    for w in workers {
        let (x, y) = w.join().expect("no panic");
        totals.0 += x;
        totals.1 += y;
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    println!(
        "swap test: {} calls on 16 threads, {swaps} settings swaps, {} from A, {} from B",
        16 * calls,
        totals.0,
        totals.1
    );
    assert_eq!(totals.0 + totals.1, 16 * calls);
    assert!(swaps > 10);
    client.close();
}
