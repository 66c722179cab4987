//! The fault matrix: what the client does when the network, the settings or a callback
//! misbehaves. Every row of README's "Reliability" table has a test here (or in
//! client_runtime.rs): no crash, no deadlock, events delivered or reported, the last good
//! settings kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use vwo_fme::client::{Callbacks, Client, LogSink, StorageConnector};
use vwo_fme::conformance::mock_server::{MockServer, Reply};
use vwo_fme::core::decide::{Reason, UserContext};
use vwo_fme::core::LogLevel;

fn settings_tagged(tag: &str) -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/conformance/settings/s2_rollout_ab.json"
    );
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
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

fn opts(url: &str) -> Value {
    json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888, "proxy_url": url,
           "retry_config": {"initial_delay": 0.01, "max_retries": 2}, "is_usage_stats_disabled": true})
}

fn with(mut v: Value, k: &str, x: Value) -> Value {
    v[k] = x;
    v
}

fn is_settings(r: &vwo_fme::conformance::mock_server::Recorded) -> bool {
    r.path.ends_with("/v2-settings") || r.path.ends_with("/v2-pull")
}

fn u(id: &str) -> UserContext {
    UserContext::new(id)
}

/// Settings answers that must never be installed; the client stays usable.
#[test]
fn broken_settings_answers_are_refused() {
    let cases: Vec<(&str, Reply)> = vec![
        ("malformed JSON", Reply::ok("{not json")),
        ("truncated body", Reply::Truncated),
        (
            "schema-invalid JSON",
            Reply::ok(r#"{"version": 1, "features": "nope"}"#),
        ),
        ("huge body", Reply::ok("x".repeat(33 * 1024 * 1024))),
        ("redirect loop", Reply::Redirect("/server-side/v2-settings".into())),
        ("500", Reply::status(500)),
        ("connection closed", Reply::Close),
    ];
    for (what, reply) in cases {
        let server = MockServer::start(settings_tagged("x"), 0).unwrap();
        server.script(move |r| is_settings(r).then(|| reply.clone()));
        let t = Instant::now();
        let c = Client::from_json(&opts(&server.url()), Callbacks::default()).unwrap();
        assert!(c.settings().is_none(), "{what}: nothing installed");
        let f = c.get_flag("ab_three_way", &u("u1"));
        assert!(!f.enabled && f.reason == Reason::Error, "{what}: disabled flag");
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{what}: init took {:?}",
            t.elapsed()
        );
        c.close();
    }
}

#[test]
fn settings_fetch_retries_5xx_then_succeeds() {
    let server = MockServer::start(settings_tagged("ok"), 0).unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = Arc::clone(&n);
    server.script(move |r| (is_settings(r) && n2.fetch_add(1, Ordering::SeqCst) < 2).then(|| Reply::status(503)));
    let c = Client::from_json(&opts(&server.url()), Callbacks::default()).unwrap();
    assert_eq!(
        c.get_flag("ab_three_way", &u("u1")).variable("string_var"),
        Some(&json!("ok"))
    );
    assert_eq!(n.load(Ordering::SeqCst), 3);
    c.close();
}

#[test]
fn polling_keeps_the_last_good_settings_and_follows_shape_changes() {
    let server = MockServer::start(settings_tagged("v1"), 0).unwrap();
    let c = Client::from_json(
        &with(opts(&server.url()), "poll_interval", json!(1000)),
        Callbacks::default(),
    )
    .unwrap();
    let value = || c.get_flag("ab_three_way", &u("u1")).variable("string_var").cloned();
    assert_eq!(value(), Some(json!("v1")));
    // Invalid settings from the server: ignored, v1 stays.
    server.set_settings(json!({"version": 2, "accountId": 888888, "sdkKey": "k", "campaigns": 5, "features": []}));
    let polls = || server.requests().iter().filter(|r| is_settings(r)).count();
    let before = polls();
    let deadline = Instant::now() + Duration::from_secs(10);
    while polls() < before + 2 {
        assert!(Instant::now() < deadline, "no polling");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(value(), Some(json!("v1")), "the last good settings are kept");
    // A valid change of shape: the feature disappears, then comes back.
    let mut gone = settings_tagged("v2");
    gone["features"] = json!([]);
    server.set_settings(gone);
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.get_flag("ab_three_way", &u("u1")).reason != Reason::FeatureNotFound {
        assert!(Instant::now() < deadline, "the new shape was not installed");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.set_settings(settings_tagged("v3"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while value() != Some(json!("v3")) {
        assert!(Instant::now() < deadline, "v3 was not installed");
        std::thread::sleep(Duration::from_millis(50));
    }
    c.close();
}

/// A connector that fails, answers garbage, or blocks, depending on the user id.
struct Faulty {
    sets: AtomicUsize,
}

impl StorageConnector for Faulty {
    fn get(&self, _key: &str, user_id: &str) -> Result<Option<Value>, String> {
        match user_id {
            "raises" => Err("connection refused".into()),
            "garbage" => Ok(Some(json!("not a record"))),
            "blocks" => {
                std::thread::sleep(Duration::from_millis(1500));
                Ok(None)
            }
            "panics" => panic!("storage connector bug"),
            _ => Ok(None),
        }
    }

    fn set(&self, record: &Map<String, Value>) -> Result<(), String> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        if record["userId"] == "raises" {
            return Err("disk full".into());
        }
        Ok(())
    }
}

#[test]
fn storage_connector_faults() {
    let o = json!({"sdk_key": "k", "account_id": 888888, "settings": settings_tagged("s"), "offline": true});
    let storage = Arc::new(Faulty {
        sets: AtomicUsize::new(0),
    });
    let cb = Callbacks {
        storage: Some(storage.clone()),
        ..Default::default()
    };
    let c = Client::from_json(&o, cb).unwrap();
    // A failing read is treated as "no record" (and a failing write is logged).
    let f = c.get_flag("ab_three_way", &u("raises"));
    assert!(f.enabled, "read errors behave as no record");
    // A record that is not an object fails the call, as in the official SDK.
    let f = c.get_flag("ab_three_way", &u("garbage"));
    assert!(!f.enabled && f.reason == Reason::Error, "garbage: {f:?}");
    // A panicking connector is caught and behaves as a failed read.
    assert!(c.get_flag("ab_three_way", &u("panics")).enabled);
    // A blocking read holds only its own call: other threads keep deciding.
    let c2 = c.clone();
    let slow = std::thread::spawn(move || c2.get_flag("ab_three_way", &u("blocks")).enabled);
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    for i in 0..1000 {
        assert!(c.get_flag("ab_three_way", &u(&format!("fast{i}"))).enabled);
    }
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "other callers waited for the blocked one: {:?}",
        t.elapsed()
    );
    assert!(slow.join().unwrap());
    assert!(storage.sets.load(Ordering::SeqCst) >= 1000);
    c.close();
}

struct PanickingSink;
impl LogSink for PanickingSink {
    fn log(&self, _: LogLevel, _: &str) {
        panic!("log sink bug");
    }
}

#[test]
fn panicking_callbacks_do_not_take_the_client_down() {
    let server = MockServer::start(settings_tagged("cb"), 0).unwrap();
    let flushed = Arc::new(AtomicUsize::new(0));
    let f2 = Arc::clone(&flushed);
    let cb = Callbacks {
        log_sinks: vec![(Some(LogLevel::Trace), Arc::new(PanickingSink))],
        integrations: Some(Arc::new(|_p: &Map<String, Value>| panic!("integration bug"))),
        flush: Some(Arc::new(move |_e: Option<&str>, evs: &[Value]| {
            f2.fetch_add(evs.len(), Ordering::SeqCst);
            panic!("flush callback bug");
        })),
        ..Default::default()
    };
    let o = with(
        with(
            opts(&server.url()),
            "batch_event_data",
            json!({"events_per_request": 2, "request_time_interval": 3600}),
        ),
        "logger",
        json!({"level": "trace"}),
    );
    let c = Client::from_json(&o, cb).unwrap();
    for i in 0..10 {
        assert!(c.get_flag("ab_three_way", &u(&format!("u{i}"))).enabled);
        assert!(c.track_event("ab_three_way_conversion", &u(&format!("u{i}")), None));
    }
    assert!(c.flush_events(Duration::from_secs(10)), "events still delivered");
    assert_eq!(
        flushed.load(Ordering::SeqCst),
        31,
        "every event (init, 20 impressions, 10 tracks) reached the flush callback"
    );
    c.close();
}

#[test]
fn network_down_events_are_reported_not_lost() {
    let server = MockServer::start(settings_tagged("n"), 0).unwrap();
    let reported = Arc::new(Mutex::new(Vec::<(String, usize)>::new()));
    let r2 = Arc::clone(&reported);
    let cb = Callbacks {
        flush: Some(Arc::new(move |e: Option<&str>, evs: &[Value]| {
            r2.lock().unwrap().push((e.unwrap_or("").to_string(), evs.len()));
        })),
        ..Default::default()
    };
    let c = Client::from_json(&opts(&server.url()), cb).unwrap();
    assert!(c.flush_events(Duration::from_secs(5)));
    drop(server); // the network goes away
    for i in 0..5 {
        c.track_event("ab_three_way_conversion", &u(&format!("u{i}")), None);
    }
    let delivered = c.flush_events(Duration::from_secs(10));
    assert!(!delivered, "undeliverable events are not reported as delivered");
    let got = reported.lock().unwrap().clone();
    let count = |name: &str| {
        got.iter()
            .filter(|(e, _)| e.starts_with(name))
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert_eq!(
        count("ab_three_way_conversion failed after 3 attempt(s)"),
        5,
        "each lost event reported once: {got:?}"
    );
    // The debug events about those failures (as the official SDK sends them) are lost too,
    // and reported as well.
    assert_eq!(count("vwo_sdkDebug failed after 3 attempt(s)"), 5, "{got:?}");
    assert_eq!(c.event_counts().1, 10);
    c.close();
}

/// Event deliveries answered badly: each event is delivered or reported (to the flush
/// callback and in the drop count), never silently lost; no answer slows a flush beyond its
/// retries; the client keeps working.
#[test]
fn broken_event_answers_are_accounted_for() {
    let cases: Vec<(&str, Reply, bool)> = vec![
        ("200 with malformed JSON", Reply::ok("{not json"), true),
        ("200 with a huge body", Reply::ok("x".repeat(33 * 1024 * 1024)), true),
        // 2xx means accepted: an answer cut short or too large to read is not a failure
        // (a retry would send the events twice).
        ("200 cut short", Reply::Truncated, true),
        ("redirect loop", Reply::Redirect("/events/t".into()), false),
        ("connection closed", Reply::Close, false),
        ("503", Reply::status(503), false),
    ];
    for (what, reply, delivered) in cases {
        let server = MockServer::start(settings_tagged("e"), 0).unwrap();
        let is_event = |r: &vwo_fme::conformance::mock_server::Recorded| {
            r.path.ends_with("/events/t") || r.path.ends_with("/batch-events-v2")
        };
        server.script(move |r| is_event(r).then(|| reply.clone()));
        let reported = Arc::new(Mutex::new(Vec::<(Option<String>, usize)>::new()));
        let r2 = Arc::clone(&reported);
        let cb = Callbacks {
            flush: Some(Arc::new(move |e: Option<&str>, evs: &[Value]| {
                r2.lock().unwrap().push((e.map(str::to_string), evs.len()));
            })),
            ..Default::default()
        };
        let o = with(
            with(
                opts(&server.url()),
                "batch_event_data",
                json!({"events_per_request": 4, "request_time_interval": 3600}),
            ),
            "retry_config",
            json!({"initial_delay": 0.01, "max_retries": 2}),
        );
        let c = Client::from_json(&o, cb).unwrap();
        for i in 0..4 {
            assert!(c.get_flag("ab_three_way", &u(&format!("u{i}"))).enabled, "{what}");
            assert!(
                c.track_event("ab_three_way_conversion", &u(&format!("u{i}")), None),
                "{what}"
            );
        }
        let t = Instant::now();
        let all_delivered = c.flush_events(Duration::from_secs(20));
        let took = t.elapsed();
        assert!(took < Duration::from_secs(15), "{what}: flush took {took:?}");
        assert_eq!(all_delivered, delivered, "{what}: flush_events result");
        let (ok, dropped) = c.event_counts();
        // The SDK-init event, 2 impressions per flag (its rollout and A/B rules), 4 tracks.
        assert_eq!(ok + dropped, 13, "{what}: delivered {ok} + dropped {dropped}");
        let reported = reported.lock().unwrap().clone();
        let failed: usize = reported.iter().filter(|(e, _)| e.is_some()).map(|(_, n)| n).sum();
        let fine: usize = reported.iter().filter(|(e, _)| e.is_none()).map(|(_, n)| n).sum();
        if delivered {
            assert_eq!((ok, dropped, failed), (13, 0, 0), "{what}: {reported:?}");
        } else {
            assert_eq!(dropped, 13, "{what}: every event reported as dropped");
            // The flush callback hears of every undelivered event, with the error.
            assert_eq!((failed, fine), (13, 0), "{what}: {reported:?}");
        }
        // Still usable afterwards.
        assert!(c.get_flag("ab_three_way", &u("after")).enabled, "{what}");
        c.close();
    }
}

/// `close()` says whether everything was delivered: events that failed before its deadline
/// are resolved, not delivered.
#[test]
fn close_reports_events_that_failed_before_its_deadline() {
    let server = MockServer::start(settings_tagged("c"), 0).unwrap();
    server.script(|r| {
        (r.path.ends_with("/events/t") || r.path.ends_with("/batch-events-v2")).then(|| Reply::status(503))
    });
    let c = Client::from_json(&opts(&server.url()), Callbacks::default()).unwrap();
    for i in 0..3 {
        assert!(c.track_event("ab_three_way_conversion", &u(&format!("u{i}")), None));
    }
    let t = Instant::now();
    let report = c.close();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(!report.delivered_all, "{report:?}");
    // At least the SDK-init event and the 3 tracks (each tried 3 times) were dropped, plus
    // the debug events reporting those failures, refused by the same server; none delivered.
    assert!(report.dropped_total >= 4, "{report:?}");
    assert_eq!(c.event_counts(), (0, report.dropped_total));
}
