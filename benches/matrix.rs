//! The Rust side of the benchmark matrix (`make bench`, bench/README.md).
//!
//! `cargo bench --bench matrix -- [--json] [SECTION...]`, sections (default: all):
//!
//! * `calib`: the calibration workload (`calibration_op`: JSON parsing, hashing, sorting,
//!   none of this project's code): the machine's speed, measured in the same run;
//! * `core`: the decision core (`core::decide::get_flag`, parsed context, no I/O) on every
//!   scenario of bench/scenarios.json;
//! * `client`: `Client::get_flag` (parsed context reused) on every scenario, impressions
//!   queued for a loopback mock server (`VWO_MOCK_URL`, else one started in-process) and
//!   delivered in batches by the client's worker threads;
//! * `scale`: generated settings with 10 / 100 / 1000 features: file size, parse + compile
//!   time, install time on a live client, `get_flag` time, and the resident memory of a fresh
//!   process holding an offline client on them (a child process per size; with 1000 features,
//!   after 10 M calls too); the install of a 1 MB settings file;
//! * `threads`: decisions per second on 1 and 2 threads sharing one snapshot / one client,
//!   and the same for a calibration workload that shares nothing (the machine's ceiling);
//! * `swap`: per-call `get_flag` latency (p50 / p99 / p99.9) on one thread while another
//!   installs new settings every 10 ms, against the same run without installs.
//!
//! Every figure is the median over batches of the mean time per call (support.rs), unless
//! said otherwise. `--json` prints one JSON object per line on standard output (the human
//! lines go to standard error); bench/matrix.py collects them. `VWO_BENCH_MS` sets the time
//! budget of one measurement (default 400 ms), `BENCH_QUICK=1` shortens everything.

#[path = "support.rs"]
mod support;

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use support::{fmt_ns, time, time2, Timing2};
use vwo_fme::client::{Callbacks, Client, LogSink, StorageConnector};
use vwo_fme::conformance::mock_server::MockServer;
use vwo_fme::core::decide::{get_flag, DecisionEnv, EvalOptions, NoEnv, StorageRead, UserContext};
use vwo_fme::core::settings::{self, Snapshot};
use vwo_fme::core::LogLevel;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SDK_KEY: &str = "0123456789abcdef0123456789abcdef";

// ---------------------------------------------------------------------------------------
// output

struct Out {
    json: bool,
}

impl Out {
    /// One record: a JSON line on stdout in `--json` mode; `human` on the human stream.
    fn record(&self, v: Value, human: String) {
        if self.json {
            println!("{v}");
            eprintln!("{human}");
        } else {
            println!("{human}");
        }
    }

    fn note(&self, human: &str) {
        if self.json {
            eprintln!("{human}");
        } else {
            println!("{human}");
        }
    }
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn budget() -> Duration {
    let default = if quick() { 100 } else { 400 };
    Duration::from_millis(
        std::env::var("VWO_BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

fn latency_record(layer: &str, scenario: &str, t: Timing2) -> Value {
    json!({"kind": "latency", "layer": layer, "scenario": scenario,
           "median_ns": t.wall.median_ns, "p10_ns": t.wall.p10_ns, "p90_ns": t.wall.p90_ns,
           "cpu_ns": t.cpu.median_ns, "cpu_p10_ns": t.cpu.p10_ns})
}

// ---------------------------------------------------------------------------------------
// scenarios

struct Scenario {
    name: String,
    settings_text: String,
    features: Vec<String>,
    context: Value,
    storage: bool,
}

fn scenarios() -> Vec<Scenario> {
    let path = std::env::var("VWO_BENCH_SCENARIOS").unwrap_or_else(|_| format!("{ROOT}/bench/scenarios.json"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("scenarios file")).unwrap();
    doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Scenario {
            name: s["name"].as_str().unwrap().to_string(),
            settings_text: std::fs::read_to_string(Path::new(ROOT).join(s["settings"].as_str().unwrap())).unwrap(),
            features: s["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect(),
            context: s["context"].clone(),
            storage: s["storage"].as_bool().unwrap_or(false),
        })
        .collect()
}

/// A storage connector's records in the decision core's terms: what the client would have
/// stored after the previous decisions.
#[derive(Default)]
struct MemEnv {
    records: HashMap<(String, String), Map<String, Value>>,
}

impl DecisionEnv for MemEnv {
    fn storage_get(&mut self, key: &str, user_id: &str) -> StorageRead {
        match self.records.get(&(key.to_string(), user_id.to_string())) {
            Some(r) => StorageRead::Found(r.clone()),
            None => StorageRead::Missing,
        }
    }
}

fn record_key(record: &Map<String, Value>) -> (String, String) {
    let s = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    (s("featureKey"), s("userId"))
}

/// The in-memory storage connector of the client benchmarks.
#[derive(Default)]
struct MemStore(Mutex<HashMap<(String, String), Value>>);

impl StorageConnector for MemStore {
    fn get(&self, key: &str, user_id: &str) -> Result<Option<Value>, String> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(&(key.to_string(), user_id.to_string()))
            .cloned())
    }
    fn set(&self, record: &Map<String, Value>) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .insert(record_key(record), Value::Object(record.clone()));
        Ok(())
    }
}

/// Drops log messages (the missing-feature scenario logs an error per call; every layer
/// of the matrix sends its logs to a no-op transport).
struct NoLog;

impl LogSink for NoLog {
    fn log(&self, _level: LogLevel, _message: &str) {}
}

fn callbacks(storage: bool) -> Callbacks {
    Callbacks {
        storage: storage.then(|| Arc::new(MemStore::default()) as Arc<dyn StorageConnector>),
        log_sinks: vec![(None, Arc::new(NoLog) as Arc<dyn LogSink>)],
        ..Callbacks::default()
    }
}

// ---------------------------------------------------------------------------------------
// calibration

/// A small context as JSON, parsed by the calibration workload.
const CALIB_JSON: &str = r#"{"id":"user-42","custom_variables":{"plan":"pro","country":"US","visits":3,"score":98.5,"beta":true},"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"}"#;

/// The calibration workload: the kind of work a decision does (parse a small JSON object,
/// allocate, hash strings, sort a few integers), but none of this project's code, so that
/// it measures the machine and not the library. `make bench-check` divides the latencies
/// by it, which makes them comparable across machines of different speeds.
fn calibration_op(i: usize) -> u64 {
    let v: Value = serde_json::from_str(CALIB_JSON).unwrap();
    let mut h = DefaultHasher::new();
    if let Some(vars) = v["custom_variables"].as_object() {
        for (k, x) in vars {
            k.hash(&mut h);
            x.to_string().hash(&mut h);
        }
    }
    i.hash(&mut h);
    let seed = h.finish();
    let mut keys: Vec<u64> = (0..32u64)
        .map(|j| (seed ^ j).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    keys.sort_unstable();
    keys[i % 32]
}

fn bench_calib(out: &Out) {
    let mut i = 0usize;
    let t = time2(budget(), || {
        i += 1;
        calibration_op(i)
    });
    out.record(
        json!({"kind": "calibration", "name": "rust_mix", "median_ns": t.wall.median_ns,
               "p10_ns": t.wall.p10_ns, "p90_ns": t.wall.p90_ns, "cpu_ns": t.cpu.median_ns,
               "cpu_p10_ns": t.cpu.p10_ns}),
        format!(
            "calib   rust_mix             {:>10} (p10 {}, p90 {}; CPU {})",
            fmt_ns(t.wall.median_ns),
            fmt_ns(t.wall.p10_ns),
            fmt_ns(t.wall.p90_ns),
            fmt_ns(t.cpu.median_ns)
        ),
    );
}

// ---------------------------------------------------------------------------------------
// core and client

fn bench_core(out: &Out, list: &[Scenario]) {
    for sc in list {
        let snap = settings::compile_str(&sc.settings_text).unwrap();
        let ctx = UserContext::from_json(&sc.context).unwrap();
        let opts = EvalOptions {
            storage: sc.storage,
            ..EvalOptions::default()
        };
        let mut env = MemEnv::default();
        let decisions: Vec<bool> = sc
            .features
            .iter()
            .map(|f| get_flag(&snap, f, &ctx, &mut MemEnv::default(), opts).enabled)
            .collect();
        let n = sc.features.len();
        let mut i = 0usize;
        let t = time2(budget(), || {
            let key = &sc.features[i % n];
            i += 1;
            let d = get_flag(&snap, key, &ctx, &mut env, opts);
            if sc.storage {
                for w in d.storage_writes() {
                    env.records.insert(record_key(w), w.clone());
                }
            }
            d.enabled
        });
        let mut rec = latency_record("core", &sc.name, t);
        rec["decisions"] = json!(decisions);
        out.record(
            rec,
            format!(
                "core    {:<20} {:>10} (p10 {}, p90 {}; CPU {})",
                sc.name,
                fmt_ns(t.wall.median_ns),
                fmt_ns(t.wall.p10_ns),
                fmt_ns(t.wall.p90_ns),
                fmt_ns(t.cpu.median_ns)
            ),
        );
    }
    // Each segmentation-heavy flag on its own (the <= 1 us target is per flag).
    if let Some(sc) = list.iter().find(|s| s.name == "segmentation") {
        let snap = settings::compile_str(&sc.settings_text).unwrap();
        let ctx = UserContext::from_json(&sc.context).unwrap();
        for f in &sc.features {
            let t = time2(budget() / 2, || {
                get_flag(&snap, f, &ctx, &mut NoEnv, EvalOptions::default()).enabled
            });
            out.record(
                latency_record("core", &format!("segmentation/{f}"), t),
                format!("core    segmentation/{f:<22} {:>10}", fmt_ns(t.wall.median_ns)),
            );
        }
    }
}

fn mock_url() -> (String, Option<MockServer>) {
    match std::env::var("VWO_MOCK_URL") {
        Ok(u) if !u.is_empty() => (u, None),
        _ => {
            let s = serde_json::from_str(&scenarios()[0].settings_text).unwrap();
            let server = MockServer::start(s, 0).unwrap();
            (server.url(), Some(server))
        }
    }
}

/// Options of a client that decides on `settings` and sends its events, in batches, to
/// the loopback server at `url`.
fn live_options(settings: Value, url: &str) -> Value {
    json!({"sdk_key": SDK_KEY, "account_id": settings["accountId"].clone(), "settings": settings,
           "proxy_url": url, "max_queue_size": 10_000_000,
           "batch_event_data": {"events_per_request": 500, "request_time_interval": 60}})
}

fn bench_client(out: &Out, list: &[Scenario]) {
    let (url, server) = mock_url();
    for sc in list {
        let settings: Value = serde_json::from_str(&sc.settings_text).unwrap();
        let client = Client::from_json(&live_options(settings, &url), callbacks(sc.storage)).unwrap();
        let ctx = UserContext::from_json(&sc.context).unwrap();
        let decisions: Vec<bool> = sc
            .features
            .iter()
            .map(|f| client.get_flag(f, &ctx).is_enabled())
            .collect();
        let n = sc.features.len();
        let mut i = 0usize;
        let t = time2(budget(), || {
            let key = &sc.features[i % n];
            i += 1;
            client.get_flag(key, &ctx).is_enabled()
        });
        let delivered = client.flush_events(Duration::from_secs(120));
        client.close();
        // The in-process server keeps every request: let go of this scenario's.
        if let Some(s) = &server {
            drop(s.take());
        }
        let mut rec = latency_record("client", &sc.name, t);
        rec["all_delivered"] = Value::Bool(delivered);
        rec["decisions"] = json!(decisions);
        out.record(
            rec,
            format!(
                "client  {:<20} {:>10} (p10 {}, p90 {}; caller CPU {}){}",
                sc.name,
                fmt_ns(t.wall.median_ns),
                fmt_ns(t.wall.p10_ns),
                fmt_ns(t.wall.p90_ns),
                fmt_ns(t.cpu.median_ns),
                if delivered { "" } else { "  NOT ALL EVENTS DELIVERED" }
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------
// generated settings

fn fixture(name: &str) -> Value {
    let p = format!("{ROOT}/tests/fixtures/conformance/settings/{name}.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Settings with `n` features: the features of s2_rollout_ab and s4_segmentation (rollout,
/// A/B and segmentation-heavy rules, 5 variables each) copied round-robin under new keys
/// (`{key}_{i}`) and ids; only those of s2_rollout_ab when `!segmentation`. `version`
/// tells two otherwise identical files apart.
fn generate_from(n: usize, version: u64, segmentation: bool) -> Value {
    let mut out = fixture("s2_rollout_ab");
    let mut templates = Vec::new();
    let sources = if segmentation {
        vec![fixture("s2_rollout_ab"), fixture("s4_segmentation")]
    } else {
        vec![fixture("s2_rollout_ab")]
    };
    for s in sources {
        let campaigns: HashMap<i64, Value> = s["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_i64().unwrap(), c.clone()))
            .collect();
        for f in s["features"].as_array().unwrap() {
            templates.push((f.clone(), campaigns.clone()));
        }
    }
    let mut features = Vec::with_capacity(n);
    let mut campaigns = Vec::new();
    for i in 0..n {
        let (template, camps) = &templates[i % templates.len()];
        let mut f = template.clone();
        let key = format!("{}_{i}", template["key"].as_str().unwrap());
        f["id"] = json!(i + 1);
        f["key"] = json!(key);
        f["name"] = json!(key);
        for (j, m) in f["metrics"].as_array_mut().unwrap().iter_mut().enumerate() {
            m["id"] = json!(100_000 + i * 10 + j);
            m["identifier"] = json!(format!("{key}_goal_{j}"));
        }
        for (j, r) in f["rules"].as_array_mut().unwrap().iter_mut().enumerate() {
            let mut c = camps[&r["campaignId"].as_i64().unwrap()].clone();
            let cid = 1_000_000 + i * 10 + j;
            let ckey = format!("{key}_{}", r["ruleKey"].as_str().unwrap());
            c["id"] = json!(cid);
            c["key"] = json!(ckey);
            c["name"] = json!(ckey);
            r["campaignId"] = json!(cid);
            campaigns.push(c);
        }
        features.push(f);
    }
    out["features"] = Value::Array(features);
    out["campaigns"] = Value::Array(campaigns);
    out["version"] = json!(version);
    out
}

fn generate(n: usize, version: u64) -> Value {
    generate_from(n, version, true)
}

fn out_dir() -> PathBuf {
    let d = std::env::var("VWO_BENCH_OUT").map_or_else(|_| Path::new(ROOT).join("build/bench"), PathBuf::from);
    std::fs::create_dir_all(d.join("gen")).unwrap();
    d
}

/// Writes the generated settings with `n` features (and returns the path).
fn generated_file(n: usize, segmentation: bool) -> PathBuf {
    let p = out_dir().join(format!(
        "gen/settings_{n}{}.json",
        if segmentation { "" } else { "_ab" }
    ));
    std::fs::write(&p, serde_json::to_string(&generate_from(n, 1, segmentation)).unwrap()).unwrap();
    p
}

/// Resident memory (now, peak) of a child process holding an offline client on `path`
/// that made `calls` get_flag calls.
fn child_rss(path: &Path, calls: usize) -> Value {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["rss", path.to_str().unwrap(), &calls.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&child.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    // SAFETY: malloc_trim only releases free memory of the process's heap.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn proc_status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn seg_context() -> Value {
    json!({"id": "user_1_0", "custom_variables": {"age": "30", "app_version": "3.0", "beta": true, "country": "Ca",
           "email": "someone@blocked.com", "employee": "true", "name": "vip", "plan": "enterprise", "score": 98.5, "visits": 4},
           "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"})
}

/// Child process of `scale`: an offline client on the settings file `path`, its features
/// decided in turn for one user, 100 000 calls (then the resident set is read: `rss_kb`), then
/// on to `calls` calls in all (`rss_end_kb`: memory must stay flat); prints them as JSON.
fn rss_child(path: &str, calls: usize) {
    let before = proc_status_kb("VmRSS:");
    let text = std::fs::read_to_string(path).unwrap();
    let settings: Value = serde_json::from_str(&text).unwrap();
    drop(text);
    let keys: Vec<String> = settings["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    let opts =
        json!({"sdk_key": SDK_KEY, "account_id": settings["accountId"].clone(), "settings": settings, "offline": true});
    let client = Client::from_json(&opts, callbacks(false)).unwrap();
    drop(opts);
    let ctx = UserContext::from_json(&seg_context()).unwrap();
    let warm = 100_000.min(calls.max(1));
    let n = keys.len();
    for i in 0..warm {
        black_box(client.get_flag(&keys[i % n], &ctx).is_enabled());
    }
    let (rss, hwm) = (proc_status_kb("VmRSS:"), proc_status_kb("VmHWM:"));
    // The same after giving the allocator's free memory back to the system: what the client
    // really holds, without what parsing and compiling left behind in glibc's free lists.
    trim_heap();
    let rss_trim = proc_status_kb("VmRSS:");
    let t = Instant::now();
    for i in warm..calls {
        black_box(client.get_flag(&keys[i % n], &ctx).is_enabled());
    }
    let ns = t.elapsed().as_nanos() as f64 / (calls - warm).max(1) as f64;
    println!(
        "{}",
        json!({"rss_before_kb": before, "rss_kb": rss, "hwm_kb": hwm, "rss_trim_kb": rss_trim, "rss_end_kb": proc_status_kb("VmRSS:"),
               "hwm_end_kb": proc_status_kb("VmHWM:"), "warm_calls": warm, "calls": calls.max(warm), "ns_per_call": ns})
    );
    client.close();
}

fn bench_scale(out: &Out) {
    let sizes: &[usize] = &[10, 100, 1000];
    let ctx = UserContext::from_json(&seg_context()).unwrap();
    let mut bytes_1000 = 0usize;
    for &n in sizes {
        let path = generated_file(n, true);
        let text = std::fs::read_to_string(&path).unwrap();
        // Parse + compile (what an install costs besides validation). The rows of
        // `make bench-check` take the fastest of many runs (the undisturbed one on a shared
        // machine), so: many runs of the small sizes, fewer of the big one.
        let reps = match (quick(), n) {
            (true, _) => 3,
            (false, 1000) => 11,
            (false, _) => 31,
        };
        let mut compile = Vec::new();
        let mut snap: Option<Snapshot> = None;
        for _ in 0..reps {
            let t = Instant::now();
            let s = settings::compile_str(&text).unwrap();
            compile.push(t.elapsed().as_secs_f64() * 1e3);
            snap = Some(s);
        }
        let snap = snap.unwrap();
        // Install on a live (offline) client: parse, validate, compile, swap.
        let value: Value = serde_json::from_str(&text).unwrap();
        let opts = json!({"sdk_key": SDK_KEY, "account_id": 888888, "settings": value, "offline": true});
        let client = Client::from_json(&opts, callbacks(false)).unwrap();
        let mut install = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let v: Value = serde_json::from_str(&text).unwrap();
            client.update_settings(Some(v), false).unwrap();
            install.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let mid = format!("seg_custom_vars_{}", (n / 2) / 8 * 8 + 2);
        assert!(snap.feature(&mid).is_some(), "{mid}");
        let core = time(budget() / 2, || {
            get_flag(&snap, &mid, &ctx, &mut NoEnv, EvalOptions::default()).enabled
        });
        let cl = time(budget() / 2, || client.get_flag(&mid, &ctx).is_enabled());
        client.close();
        // Memory: a fresh process holding an offline client on these settings (with 1000
        // features, after 10 M calls too: memory must stay flat).
        let calls = match (n, quick()) {
            (1000, false) => 10_000_000,
            (1000, true) => 1_000_000,
            _ => 100_000,
        };
        let mem = child_rss(&path, calls);
        compile.sort_by(f64::total_cmp);
        install.sort_by(f64::total_cmp);
        let med = |v: &[f64]| v[v.len() / 2];
        let rec = json!({"kind": "scale", "features": n, "bytes": text.len(),
            "compile_ms": med(&compile), "compile_min_ms": compile[0], "install_ms": med(&install), "install_min_ms": install[0],
            "core_get_flag_ns": core.median_ns, "client_get_flag_ns": cl.median_ns,
            "rss_kb": mem["rss_kb"], "hwm_kb": mem["hwm_kb"], "rss_before_kb": mem["rss_before_kb"],
            "rss_trim_kb": mem["rss_trim_kb"], "rss_end_kb": mem["rss_end_kb"], "calls": mem["calls"],
            "warm_calls": mem["warm_calls"]});
        out.record(
            rec,
            format!(
                "scale   {n:>5} features, {:>8} bytes: parse+compile {:.2} ms, install {:.2} ms, get_flag core {} / client {}, RSS {} kB (peak {} kB), after {} calls {} kB",
                text.len(),
                med(&compile),
                med(&install),
                fmt_ns(core.median_ns),
                fmt_ns(cl.median_ns),
                mem["rss_kb"],
                mem["hwm_kb"],
                mem["calls"],
                mem["rss_end_kb"]
            ),
        );
        if n == 1000 {
            bytes_1000 = text.len();
        }
    }
    // The install of a 1 MB settings file (the target's size): as many generated features
    // as make about 1 MB.
    if let Some(n) = (1000 * 1_000_000usize).checked_div(bytes_1000) {
        let text = serde_json::to_string(&generate(n, 1)).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let opts = json!({"sdk_key": SDK_KEY, "account_id": 888888, "settings": value, "offline": true});
        let client = Client::from_json(&opts, callbacks(false)).unwrap();
        let reps = if quick() { 3 } else { 15 };
        let (mut install, mut parse) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t = Instant::now();
            let v: Value = serde_json::from_str(&text).unwrap();
            parse.push(t.elapsed().as_secs_f64() * 1e3);
            client.update_settings(Some(v), false).unwrap();
            install.push(t.elapsed().as_secs_f64() * 1e3);
        }
        client.close();
        install.sort_by(f64::total_cmp);
        parse.sort_by(f64::total_cmp);
        let (im, pm) = (install[install.len() / 2], parse[parse.len() / 2]);
        out.record(
            json!({"kind": "install_1mb", "features": n, "bytes": text.len(), "install_ms": im,
                   "install_min_ms": install[0], "json_parse_ms": pm}),
            format!(
                "scale   install of {} bytes ({n} features): {im:.2} ms (min {:.2} ms; of which JSON parse {pm:.2} ms)",
                text.len(),
                install[0]
            ),
        );
    }
    // Where the memory goes: the same 1000 features without the segmentation templates.
    let path = generated_file(1000, false);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mem = child_rss(&path, 100_000);
    out.record(
        json!({"kind": "scale_memory", "features": 1000, "template": "rollout_ab", "bytes": bytes,
               "rss_kb": mem["rss_kb"], "hwm_kb": mem["hwm_kb"], "rss_before_kb": mem["rss_before_kb"],
               "rss_trim_kb": mem["rss_trim_kb"]}),
        format!(
            "scale    1000 features, rollout + A/B only, {bytes} bytes: RSS {} kB (peak {} kB)",
            mem["rss_kb"], mem["hwm_kb"]
        ),
    );
}

// ---------------------------------------------------------------------------------------
// threads

/// Calls per second of `f` on `threads` threads for `dur`.
fn throughput(threads: usize, dur: Duration, f: Work) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, total, barrier, f) = (stop.clone(), total.clone(), barrier.clone(), f.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                barrier.wait();
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        f(n as usize);
                        n += 1;
                    }
                }
                total.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    barrier.wait();
    let t0 = Instant::now();
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    total.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64()
}

type Work = Arc<dyn Fn(usize) + Send + Sync>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Throughput of `f` on 1 and 2 threads, and of the calibration workload `calib` in the
/// same time window: each round runs calib x1, calib x2, f x1, f x2, so that a slow phase of
/// a shared machine (another process taking a core) hits the workload and its ceiling alike.
/// Records the medians over the rounds, the speedup, the calibration's speedup (`ceiling`)
/// and `efficiency`: the median over the rounds of speedup / ceiling.
fn one_vs_two(out: &Out, layer: &str, scenario: &str, f: Work, calib: &Work) {
    let dur = Duration::from_millis(if quick() { 150 } else { 400 });
    let reps = if quick() { 1 } else { 5 };
    let (mut one, mut two, mut c_one, mut c_two, mut eff) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..reps {
        let c1 = throughput(1, dur, calib.clone());
        let c2 = throughput(2, dur, calib.clone());
        let w1 = throughput(1, dur, f.clone());
        let w2 = throughput(2, dur, f.clone());
        eff.push((w2 / w1) / (c2 / c1));
        one.push(w1);
        two.push(w2);
        c_one.push(c1);
        c_two.push(c2);
    }
    let (a, b) = (median(one.clone()), median(two.clone()));
    let ceiling = median(c_two) / median(c_one);
    let efficiency = median(eff.clone());
    out.record(
        json!({"kind": "threads", "layer": layer, "scenario": scenario, "t1_per_s": a, "t2_per_s": b,
               "t1_runs": one, "t2_runs": two, "speedup": b / a, "ceiling": ceiling, "efficiency": efficiency,
               "efficiency_runs": eff}),
        format!(
            "threads {layer:<15} {scenario:<13} 1 thread {a:>10.0}/s, 2 threads {b:>10.0}/s: {:.2}x (calibration {ceiling:.2}x: {:.0} % of it)",
            b / a,
            100.0 * efficiency
        ),
    );
}

fn bench_threads(out: &Out, list: &[Scenario]) {
    // Calibration: what 2 threads give on this machine when they share nothing (SipHash of a
    // local integer): the ceiling for the rows below, measured alongside each of them.
    let calib: Work = Arc::new(|i| {
        let mut h = i as u64;
        for _ in 0..16 {
            let mut s = DefaultHasher::new();
            h.hash(&mut s);
            h = s.finish();
        }
        black_box(h);
    });
    for name in ["rollout_ab", "segmentation"] {
        let Some(sc) = list.iter().find(|s| s.name == name) else {
            continue;
        };
        let snap = Arc::new(settings::compile_str(&sc.settings_text).unwrap());
        let ctx = Arc::new(UserContext::from_json(&sc.context).unwrap());
        let features = Arc::new(sc.features.clone());
        let core: Work = {
            let (snap, ctx, features) = (snap.clone(), ctx.clone(), features.clone());
            Arc::new(move |i| {
                let k = &features[i % features.len()];
                black_box(get_flag(&snap, k, &ctx, &mut NoEnv, EvalOptions::default()).enabled);
            })
        };
        let settings: Value = serde_json::from_str(&sc.settings_text).unwrap();
        let opts = json!({"sdk_key": SDK_KEY, "account_id": settings["accountId"].clone(), "settings": settings, "offline": true});
        let client = Arc::new(Client::from_json(&opts, callbacks(false)).unwrap());
        let cl: Work = {
            let (client, ctx, features) = (client.clone(), ctx.clone(), features.clone());
            Arc::new(move |i| {
                black_box(client.get_flag(&features[i % features.len()], &ctx).is_enabled());
            })
        };
        one_vs_two(out, "core", name, core, &calib);
        one_vs_two(out, "client_offline", name, cl, &calib);
        client.close();
    }
}

// ---------------------------------------------------------------------------------------
// settings swap under load

fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Per-call latency of `get_flag` on this thread for `dur`, while (if `swap`) another
/// thread installs `a` and `b` alternately every `every`. Returns the sorted latencies in
/// ns, the number of installs and their mean duration in ms.
fn swap_run(
    client: &Arc<Client>,
    a: &str,
    b: &str,
    swap: bool,
    dur: Duration,
    every: Duration,
) -> (Vec<u64>, u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swap.then(|| {
        let (client, stop) = (client.clone(), stop.clone());
        let texts = [a.to_string(), b.to_string()];
        std::thread::spawn(move || {
            let (mut n, mut spent) = (0u64, 0.0f64);
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                next += every;
                let t = Instant::now();
                let v: Value = serde_json::from_str(&texts[(n % 2) as usize]).unwrap();
                client.update_settings(Some(v), false).unwrap();
                spent += t.elapsed().as_secs_f64() * 1e3;
                n += 1;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
            (n, spent)
        })
    });
    let ctx = UserContext::from_json(&seg_context()).unwrap();
    let keys: Vec<String> = (0..8).map(|i| format!("ab_three_way_{}", i * 8)).collect();
    let mut lat = Vec::with_capacity(4_000_000);
    let t0 = Instant::now();
    let mut i = 0usize;
    while t0.elapsed() < dur && lat.len() < 20_000_000 {
        let t = Instant::now();
        black_box(client.get_flag(&keys[i & 7], &ctx).is_enabled());
        lat.push(t.elapsed().as_nanos() as u64);
        i += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let (n, spent) = swapper.map(|h| h.join().unwrap()).unwrap_or((0, 0.0));
    lat.sort_unstable();
    (lat, n, if n > 0 { spent / n as f64 } else { 0.0 })
}

fn bench_swap(out: &Out) {
    let dur = Duration::from_millis(if quick() { 500 } else { 2000 });
    let every = Duration::from_millis(10);
    for n in [100usize, 1000] {
        let a = serde_json::to_string(&generate(n, 1)).unwrap();
        let b = serde_json::to_string(&generate(n, 2)).unwrap();
        let settings: Value = serde_json::from_str(&a).unwrap();
        let opts = json!({"sdk_key": SDK_KEY, "account_id": 888888, "settings": settings, "offline": true});
        let client = Arc::new(Client::from_json(&opts, callbacks(false)).unwrap());
        // Alternate without / with swaps, twice, to spread the machine's slow phases.
        let reps = if quick() { 1 } else { 2 };
        let mut runs: Vec<(bool, Vec<u64>, u64, f64)> = Vec::new();
        for _ in 0..reps {
            for swap in [false, true] {
                let (lat, k, ms) = swap_run(&client, &a, &b, swap, dur, every);
                runs.push((swap, lat, k, ms));
            }
        }
        for swap in [false, true] {
            let mut all: Vec<u64> = runs
                .iter()
                .filter(|r| r.0 == swap)
                .flat_map(|r| r.1.iter().copied())
                .collect();
            all.sort_unstable();
            let installs: u64 = runs.iter().filter(|r| r.0 == swap).map(|r| r.2).sum();
            let mean_ms = {
                let v: Vec<f64> = runs.iter().filter(|r| r.0 == swap && r.2 > 0).map(|r| r.3).collect();
                if v.is_empty() {
                    0.0
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            };
            let (p50, p99, p999, max) = (
                percentile(&all, 0.5),
                percentile(&all, 0.99),
                percentile(&all, 0.999),
                *all.last().unwrap(),
            );
            out.record(
                json!({"kind": "swap", "features": n, "bytes": a.len(), "swaps": swap, "calls": all.len(),
                       "p50_ns": p50, "p99_ns": p99, "p999_ns": p999, "max_ns": max,
                       "installs": installs, "install_ms": mean_ms, "every_ms": every.as_millis() as u64}),
                format!(
                    "swap    {n:>5} features ({} bytes), {}: p50 {} p99 {} p99.9 {} max {} over {} calls{}",
                    a.len(),
                    if swap {
                        "install every 10 ms"
                    } else {
                        "no install        "
                    },
                    fmt_ns(p50 as f64),
                    fmt_ns(p99 as f64),
                    fmt_ns(p999 as f64),
                    fmt_ns(max as f64),
                    all.len(),
                    if swap {
                        format!(", {installs} installs of {mean_ms:.2} ms")
                    } else {
                        String::new()
                    }
                ),
            );
        }
        client.close();
    }
}

// ---------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("rss") {
        rss_child(&args[1], args.get(2).and_then(|c| c.parse().ok()).unwrap_or(100_000));
        return;
    }
    // For profiling an install alone (perf record ... matrix install FILE N).
    if args.first().map(String::as_str) == Some("install") {
        let text = std::fs::read_to_string(&args[1]).unwrap();
        let n: usize = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(20);
        let value: Value = serde_json::from_str(&text).unwrap();
        let opts = json!({"sdk_key": SDK_KEY, "account_id": 888888, "settings": value, "offline": true});
        let client = Client::from_json(&opts, callbacks(false)).unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let v: Value = serde_json::from_str(&text).unwrap();
            client.update_settings(Some(v), false).unwrap();
        }
        println!("{:.2} ms per install", t.elapsed().as_secs_f64() * 1e3 / n as f64);
        client.close();
        return;
    }
    if args.first().map(String::as_str) == Some("gen") {
        let n: usize = args[1].parse().unwrap();
        let text = serde_json::to_string(&generate(n, 1)).unwrap();
        std::fs::write(&args[2], text).unwrap();
        return;
    }
    let out = Out {
        json: args.iter().any(|a| a == "--json") || std::env::var("VWO_BENCH_JSON").is_ok_and(|v| v == "1"),
    };
    let sections: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |s: &str| sections.is_empty() || sections.contains(&s);
    out.note(&format!(
        "vwo-fme {} benchmark matrix (Rust), budget {} ms per measurement",
        env!("CARGO_PKG_VERSION"),
        budget().as_millis()
    ));
    let list = scenarios();
    if want("calib") {
        bench_calib(&out);
    }
    if want("core") {
        bench_core(&out, &list);
    }
    if want("client") {
        bench_client(&out, &list);
    }
    if want("scale") {
        bench_scale(&out);
    }
    if want("threads") {
        bench_threads(&out, &list);
    }
    if want("swap") {
        bench_swap(&out);
    }
}
