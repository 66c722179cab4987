//! Thread and memory hygiene: with threading disabled a client starts no thread; closed
//! clients leave no thread behind; many clients created and closed do not grow the process.
//! (One test function, so that no other test's threads are counted.)

use std::time::Duration;

use serde_json::{json, Value};
use vwo_fme::client::{Callbacks, Client};
use vwo_fme::conformance::mock_server::MockServer;
use vwo_fme::core::decide::UserContext;

fn settings() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/conformance/settings/s2_rollout_ab.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Names of this process's threads that belong to vwo-fme.
fn library_threads() -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir("/proc/self/task").unwrap() {
        let comm = std::fs::read_to_string(e.unwrap().path().join("comm")).unwrap_or_default();
        if comm.starts_with("vwo-fme") {
            names.push(comm.trim().to_string());
        }
    }
    names
}

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn threads_and_memory() {
    let server = MockServer::start(settings(), 0).unwrap();
    let opts = |threading: bool| {
        json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888, "proxy_url": server.url(),
               "threading": {"enabled": threading}, "poll_interval": 60000})
    };

    // Threading disabled: events are sent, and no thread is ever started.
    let c = Client::from_json(&opts(false), Callbacks::default()).unwrap();
    for i in 0..50 {
        assert!(c.get_flag("ab_three_way", &UserContext::new(format!("u{i}"))).enabled);
        c.track_event("ab_three_way_conversion", &UserContext::new(format!("u{i}")), None);
    }
    assert!(c.flush_events(Duration::from_secs(5)));
    assert_eq!(
        library_threads(),
        Vec::<String>::new(),
        "threading disabled must start no thread"
    );
    assert!(server.requests().len() > 100);
    c.close();

    // Threading enabled: a poller at init, the collector and workers at the first event (the
    // SDK-init event, here); all of them gone after close.
    let c = Client::from_json(&opts(true), Callbacks::default()).unwrap();
    c.get_flag("ab_three_way", &UserContext::new("u1"));
    assert!(c.flush_events(Duration::from_secs(5)));
    let n = library_threads().len();
    assert_eq!(n, 1 + 1 + 5, "poller, collector and 5 workers: {:?}", library_threads());
    c.close();
    assert_eq!(library_threads(), Vec::<String>::new(), "close joins every thread");

    // Offline: no network, so no thread at all.
    let c = Client::from_json(
        &json!({"sdk_key": "k", "account_id": 1, "settings": settings(), "offline": true}),
        Callbacks::default(),
    )
    .unwrap();
    c.get_flag("ab_three_way", &UserContext::new("u1"));
    assert_eq!(
        library_threads(),
        Vec::<String>::new(),
        "an offline client starts no thread"
    );
    c.close();

    // Many clients created, used and closed: no thread or memory growth.
    let round = |k: usize| {
        for i in 0..k {
            let c = Client::from_json(&opts(true), Callbacks::default()).unwrap();
            c.get_flag("ab_three_way", &UserContext::new(format!("u{i}")));
            c.close();
        }
    };
    round(20);
    let before = rss_kb();
    round(200);
    let after = rss_kb();
    println!(
        "200 clients created and closed: RSS {before} kB -> {after} kB, library threads {}",
        library_threads().len()
    );
    assert_eq!(library_threads().len(), 0);
    assert!(after < before + 8 * 1024, "RSS grew from {before} kB to {after} kB");
}
