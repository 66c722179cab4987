//! A client used in a process forked after its creation: the child gets fresh threads, its
//! own connections and a running poller, and delivers its events; the parent is unaffected.
//! (One test function: fork() copies only the calling thread.)

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

fn child_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with("vwo-fme"))
        .collect()
}

#[test]
fn a_forked_child_keeps_working() {
    let server = MockServer::start(settings(), 0).unwrap();
    let opts = json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888,
                      "proxy_url": server.url(), "poll_interval": 1000});
    let client = Client::from_json(&opts, Callbacks::default()).unwrap();
    assert!(client.get_flag("ab_three_way", &UserContext::new("parent")).enabled);
    assert!(client.flush_events(Duration::from_secs(5)));
    let before = server.requests().len();

    // SAFETY: the child only uses the client and exits with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = (|| {
            if !child_threads().is_empty() {
                return 10; // threads do not survive fork()
            }
            for i in 0..20 {
                if !client
                    .get_flag("ab_three_way", &UserContext::new(format!("child{i}")))
                    .enabled
                {
                    return 11;
                }
                if !client.track_event("ab_three_way_conversion", &UserContext::new(format!("child{i}")), None) {
                    return 12;
                }
            }
            if !client.flush_events(Duration::from_secs(10)) {
                return 13;
            }
            if !child_threads().iter().any(|t| t == "vwo-fme-poller") {
                return 14;
            }
            client.close();
            0
        })();
        // SAFETY: leave the child without running the parent's destructors or test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status), "child crashed: status {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "child failed at step {}",
        libc::WEXITSTATUS(status)
    );
    let reqs = server.requests();
    let tracked = reqs[before..]
        .iter()
        .filter(|r| r.query_value("en") == Some("ab_three_way_conversion"))
        .count();
    assert_eq!(tracked, 20, "the child's events reached the server once each");
    // The parent still works.
    assert!(client.get_flag("ab_three_way", &UserContext::new("parent2")).enabled);
    assert!(client.flush_events(Duration::from_secs(5)));
    client.close();
}
