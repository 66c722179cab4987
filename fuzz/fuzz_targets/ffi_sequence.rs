//! The C ABI: a byte-driven sequence of `vwo_*` calls, called from Rust exactly as C calls
//! them, including misuse: NULL pointers (handles, strings and out-pointers), invalid UTF-8,
//! non-JSON and wrong-typed JSON, oversized strings, handles of the wrong kind, calls after
//! `vwo_client_close`, fuzzed settings for `vwo_update_settings`, storage callbacks that
//! answer garbage and callbacks that call back into the library.
//!
//! Not generated, because the ABI contract makes them undefined behaviour: freeing a handle
//! twice, using a handle after freeing it, pointers that are neither NULL nor what the
//! contract asks for.
//!
//! Every client is offline (`"offline": true` with embedded settings; options that could
//! reach the network or the file system are removed from fuzzed options), so no request and
//! no thread ever starts. A `VWO_ERR_PANIC` status is a crash: a panic is a bug. (libFuzzer's
//! panic hook also aborts on any panic, caught or not.)
#![no_main]

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::ptr::{null, null_mut};
use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use vwo_fme::ffi::*;

const SETTINGS: &[&str] = &[
    include_str!("../../tests/fixtures/conformance/settings/s1_rollout_only.json"),
    include_str!("../../tests/fixtures/conformance/settings/s2_rollout_ab.json"),
    include_str!("../../tests/fixtures/conformance/settings/s3_personalize.json"),
    include_str!("../../tests/fixtures/conformance/settings/s4_segmentation.json"),
    include_str!("../../tests/fixtures/conformance/settings/s5_meg.json"),
    include_str!("../../tests/fixtures/conformance/settings/s6_traffic.json"),
];

static SETTINGS_JSON: LazyLock<Vec<Value>> = LazyLock::new(|| {
    SETTINGS
        .iter()
        .map(|s| serde_json::from_str(s).expect("fixture JSON"))
        .collect()
});

/// Feature keys of the fixtures, plus keys no settings have.
static FEATURE_KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut keys: Vec<String> = SETTINGS_JSON
        .iter()
        .flat_map(|s| s["features"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f["key"].as_str().map(str::to_string))
        .collect();
    keys.extend(["".into(), "missing_feature".into(), " seg_numeric".into()]);
    keys
});

/// Variable keys and event names of the fixtures, plus a few that are not.
static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names = Vec::new();
    for s in SETTINGS_JSON.iter() {
        for f in s["features"].as_array().into_iter().flatten() {
            for m in f["metrics"].as_array().into_iter().flatten() {
                names.extend(m["identifier"].as_str().map(str::to_string));
            }
        }
        for c in s["campaigns"].as_array().into_iter().flatten() {
            for v in c["variations"].as_array().into_iter().flatten() {
                for var in v["variables"].as_array().into_iter().flatten() {
                    names.extend(var["key"].as_str().map(str::to_string));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names.extend(["".into(), "no_such_name".into(), "revenue".into()]);
    names
});

const CONTEXTS: &[&str] = &[
    r#"{"id":"user-1"}"#,
    r#"{"id":"qa_user_1","custom_variables":{"country":"US","age":"30","plan":"enterprise","beta":true,"score":98.5,"visits":4,"app_version":"3.0","email":"a@b.com"},"user_agent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1","ip_address":"1.2.3.4","session_id":1700000000}"#,
    r#"{"id":"user-2","customVariables":{"country":"IN"},"userAgent":"Mozilla/5.0 Chrome/120","bucketingSeed":"seed"}"#,
    r#"{"id":"user-3","variation_targeting_variables":{"name":"vip"},"_vwo":{"location":{"country":"US"},"userAgent":{"os":"iOS"}}}"#,
    r#"{"id":""}"#,
    r#"{"id":5}"#,
    r#"{}"#,
    r#"[]"#,
    r#"null"#,
    r#"{"id":"u","custom_variables":[]}"#,
    r#"{"id":"u","session_id":"soon"}"#,
];

/// Bytes of an argument string (without its NUL; `None` is a NULL pointer).
fn string(u: &mut Unstructured, pool: &[String]) -> Result<Option<Vec<u8>>> {
    Ok(match u.int_in_range(0..=11)? {
        0 => None,
        1 => Some(b"\xff\xfe{\"id\":\"x\"}".to_vec()),
        2 => Some(b"{not json".to_vec()),
        3 => Some(vec![b'k'; VWO_MAX_KEY_BYTES + u.int_in_range(0..=1)?]),
        4 | 5 => {
            let n = u.int_in_range(0..=64)?;
            Some(u.bytes(n.min(u.len()))?.to_vec())
        }
        _ => Some(u.choose(pool)?.as_bytes().to_vec()),
    })
}

fn context_json(u: &mut Unstructured) -> Result<Option<Vec<u8>>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(b"\xc3\x28".to_vec()),
        2 => Some(b"{\"id\":".to_vec()),
        3 => {
            let n = u.int_in_range(0..=128)?;
            Some(u.bytes(n.min(u.len()))?.to_vec())
        }
        4 if u.ratio(1, 16)? => {
            // Just past the context limit.
            let mut v = br#"{"id":"big","custom_variables":{"x":""#.to_vec();
            v.resize(VWO_MAX_CONTEXT_BYTES, b'x');
            v.extend_from_slice(b"\"}}");
            Some(v)
        }
        _ => Some(u.choose(CONTEXTS)?.as_bytes().to_vec()),
    })
}

fn json_value(u: &mut Unstructured) -> Result<Option<Vec<u8>>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(b"\xff".to_vec()),
        2 => Some(b"\"\"".to_vec()),
        3 => Some(b"[1,2]".to_vec()),
        4 => Some(br#"{"plan":"pro","n":3,"ok":true,"x":null,"o":{}}"#.to_vec()),
        5 => Some(br#"{"revenue":12.5,"currency":"EUR"}"#.to_vec()),
        6 => Some(b"\"pro\"".to_vec()),
        7 => Some(b"1e400".to_vec()),
        _ => {
            let n = u.int_in_range(0..=64)?;
            Some(u.bytes(n.min(u.len()))?.to_vec())
        }
    })
}

/// A NUL-terminated copy (interior NULs end the string early, as they would in C).
fn cstr(v: &Option<Vec<u8>>) -> Option<Vec<u8>> {
    v.as_ref().map(|b| {
        let mut b = b.clone();
        b.push(0);
        b
    })
}

fn ptr(v: &Option<Vec<u8>>) -> *const c_char {
    v.as_ref().map_or(null(), |b| b.as_ptr().cast())
}

fn check(status: vwo_status, what: &str) {
    assert!(
        (0..=12).contains(&status),
        "{what} returned status {status}: {:?}",
        unsafe { CStr::from_ptr(vwo_last_error_message()) }
    );
    // The last error of this thread is always readable and its name known.
    let name = unsafe { CStr::from_ptr(vwo_status_name(status)) };
    assert!(name.to_bytes().starts_with(b"VWO_"));
}

/// What the host's storage callbacks do (in `user_data`).
struct Host {
    /// Records written by `storage_set`, by feature key and user id.
    records: HashMap<(String, String), String>,
    /// 0: answer stored records; 1: garbage text; 2: error via set_error; 3: non-zero without
    /// an answer; 4: invalid UTF-8; 5: a JSON array; 6: no record.
    mode: u8,
    garbage: Vec<u8>,
    /// The client, for callbacks that call back into the library (set after creation).
    client: *mut vwo_client,
    depth: u32,
    calls: usize,
}

thread_local! {
    /// `user_data` pointers not yet released by `free_user_data`. The library releases a
    /// `user_data` as soon as no callback needs it: at once when the callbacks struct has
    /// none besides `free_user_data` (or a `struct_size` too small to include them).
    static LIVE: std::cell::RefCell<std::collections::HashSet<usize>> = Default::default();
}

unsafe extern "C" fn free_user_data(user_data: *mut c_void) {
    assert!(
        LIVE.with(|l| l.borrow_mut().remove(&(user_data as usize))),
        "user_data released twice"
    );
    drop(unsafe { Box::from_raw(user_data.cast::<Host>()) });
}

unsafe extern "C" fn storage_get(
    user_data: *mut c_void,
    key: *const c_char,
    user_id: *const c_char,
    result: *mut vwo_storage_result,
) -> i32 {
    let h = unsafe { &mut *user_data.cast::<Host>() };
    h.calls += 1;
    let k = unsafe { CStr::from_ptr(key) }.to_string_lossy().into_owned();
    let id = unsafe { CStr::from_ptr(user_id) }.to_string_lossy().into_owned();
    let set = |bytes: &[u8]| {
        let s = unsafe { vwo_storage_result_set_json(result, bytes.as_ptr().cast(), bytes.len()) };
        check(s, "vwo_storage_result_set_json");
    };
    match h.mode {
        0 => {
            if let Some(r) = h.records.get(&(k, id)) {
                set(r.as_bytes());
            }
            0
        }
        1 => {
            set(&h.garbage.clone());
            0
        }
        2 => {
            check(
                unsafe { vwo_storage_result_set_error(result, c"storage down".as_ptr()) },
                "set_error",
            );
            1
        }
        3 => 7,
        4 => {
            set(b"{\"a\":\"\xff\"}");
            0
        }
        5 => {
            set(b"[1]");
            0
        }
        _ => 0,
    }
}

unsafe extern "C" fn storage_set(user_data: *mut c_void, record_json: *const c_char) -> i32 {
    let h = unsafe { &mut *user_data.cast::<Host>() };
    let text = unsafe { CStr::from_ptr(record_json) }.to_string_lossy().into_owned();
    let v: Value = serde_json::from_str(&text).expect("storage records are JSON");
    let key = v["featureKey"].as_str().unwrap_or_default().to_string();
    let user = v["userId"].as_str().unwrap_or_default().to_string();
    h.records.insert((key, user), text);
    if h.mode == 3 {
        1
    } else {
        0
    }
}

unsafe extern "C" fn log_cb(user_data: *mut c_void, level: i32, message: *const c_char) {
    let h = unsafe { &mut *user_data.cast::<Host>() };
    assert!((0..=4).contains(&level));
    h.calls += unsafe { CStr::from_ptr(message) }.to_bytes().len().min(1);
}

unsafe extern "C" fn integrations_cb(user_data: *mut c_void, properties_json: *const c_char) {
    let h = unsafe { &mut *user_data.cast::<Host>() };
    let text = unsafe { CStr::from_ptr(properties_json) };
    let _: Value = serde_json::from_slice(text.to_bytes()).expect("integration payloads are JSON");
    // Re-entrancy: one nested decision on the same client from inside the callback.
    if h.depth == 0 && !h.client.is_null() && h.mode == 6 {
        h.depth += 1;
        let client = h.client;
        let mut flag = null_mut();
        let s = unsafe {
            vwo_get_flag(
                client,
                c"seg_numeric".as_ptr(),
                c"{\"id\":\"nested\"}".as_ptr(),
                &mut flag,
            )
        };
        check(s, "nested vwo_get_flag");
        unsafe { vwo_flag_free(flag) };
        let h = unsafe { &mut *user_data.cast::<Host>() };
        h.depth -= 1;
    }
}

unsafe extern "C" fn flush_cb(_user_data: *mut c_void, _error: *const c_char, events_json: *const c_char) {
    let text = unsafe { CStr::from_ptr(events_json) };
    let _: Value = serde_json::from_slice(text.to_bytes()).expect("flush events are JSON");
}

/// Options JSON: the embedded settings with a few fuzz-chosen options, or fuzz text (made
/// offline and local when it is a JSON object).
fn options(u: &mut Unstructured) -> Result<Option<Vec<u8>>> {
    let settings = SETTINGS_JSON[u.int_in_range(0..=SETTINGS.len() - 1)?].clone();
    let mut o = match u.int_in_range(0..=9)? {
        0 => return Ok(None),
        1 => return Ok(Some(b"\xff\xfe".to_vec())),
        2 => return Ok(Some(b"{\"sdk_key\":".to_vec())),
        3 => {
            let n = u.int_in_range(0..=256)?;
            let bytes = u.bytes(n.min(u.len()))?.to_vec();
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => Value::Object(m),
                // Not an object: passed as it is (never reaches the network).
                _ => return Ok(Some(bytes)),
            }
        }
        _ => json!({"sdk_key": "abcdefghijklmnopqrstuvwxyz012345", "account_id": 123456}),
    };
    let m = o.as_object_mut().expect("an object");
    if u.arbitrary()? {
        m.insert("python_compat".into(), json!(true));
    }
    if u.arbitrary()? {
        m.insert("threading".into(), json!({"enabled": false}));
    }
    if u.ratio(1, 3)? {
        m.insert(
            "batch_event_data".into(),
            json!({"events_per_request": u.int_in_range(0..=3)?, "request_time_interval": 1}),
        );
    }
    if u.ratio(1, 3)? {
        m.insert(
            "logger".into(),
            json!({"level": *u.choose(&["trace", "debug", "info", "warn", "error", "loud"])?}),
        );
    }
    if u.ratio(1, 4)? {
        m.insert(
            "poll_interval".into(),
            json!(*u.choose(&[json!(1), json!(60000), json!("x"), json!(-5)])?),
        );
    }
    // Nothing may leave the machine or read files.
    for k in [
        "gateway_service",
        "gatewayService",
        "proxy_url",
        "proxyUrl",
        "ca_certs",
        "caCerts",
    ] {
        m.remove(k);
    }
    if !m.contains_key("settings") || u.arbitrary()? {
        m.insert("settings".into(), settings);
    }
    m.insert("offline".into(), json!(true));
    Ok(Some(serde_json::to_vec(&o).expect("serialisable")))
}

#[derive(Default)]
struct State {
    clients: Vec<*mut vwo_client>,
    flags: Vec<*mut vwo_flag>,
    contexts: Vec<*mut vwo_context>,
}

/// A handle for a client argument: NULL, a live client, or a live handle of another kind.
fn client_arg(u: &mut Unstructured, st: &State) -> Result<*mut vwo_client> {
    Ok(match u.int_in_range(0..=9)? {
        0 => null_mut(),
        1 if !st.flags.is_empty() => (*u.choose(&st.flags)?).cast(),
        2 if !st.contexts.is_empty() => (*u.choose(&st.contexts)?).cast(),
        _ if !st.clients.is_empty() => *u.choose(&st.clients)?,
        _ => null_mut(),
    })
}

fn flag_arg(u: &mut Unstructured, st: &State) -> Result<*mut vwo_flag> {
    Ok(match u.int_in_range(0..=9)? {
        0 => null_mut(),
        1 if !st.clients.is_empty() => (*u.choose(&st.clients)?).cast(),
        2 if !st.contexts.is_empty() => (*u.choose(&st.contexts)?).cast(),
        _ if !st.flags.is_empty() => *u.choose(&st.flags)?,
        _ => null_mut(),
    })
}

fn context_arg(u: &mut Unstructured, st: &State) -> Result<*mut vwo_context> {
    Ok(match u.int_in_range(0..=9)? {
        0 => null_mut(),
        1 if !st.clients.is_empty() => (*u.choose(&st.clients)?).cast(),
        2 if !st.flags.is_empty() => (*u.choose(&st.flags)?).cast(),
        _ if !st.contexts.is_empty() => *u.choose(&st.contexts)?,
        _ => null_mut(),
    })
}

/// Removes `p` from `v` if it is there (a handle freed through the right function).
fn forget<T>(v: &mut Vec<*mut T>, p: *mut T) -> bool {
    match v.iter().position(|x| *x == p) {
        Some(i) => {
            v.swap_remove(i);
            true
        }
        None => false,
    }
}

fn step(u: &mut Unstructured, st: &mut State) -> Result<()> {
    let keys = &*FEATURE_KEYS;
    let names = &*NAMES;
    match u.int_in_range(0..=22)? {
        0 if st.clients.len() < 3 => {
            let opts = cstr(&options(u)?);
            let host = Box::into_raw(Box::new(Host {
                records: HashMap::new(),
                mode: u.int_in_range(0..=6)?,
                garbage: {
                    let n = u.int_in_range(0..=32)?;
                    u.bytes(n.min(u.len()))?.to_vec()
                },
                client: null_mut(),
                depth: 0,
                calls: 0,
            }));
            LIVE.with(|l| l.borrow_mut().insert(host as usize));
            let cb = vwo_callbacks {
                struct_size: if u.ratio(1, 10)? {
                    // An older, smaller struct (a member boundary) or a bogus size.
                    *u.choose(&[0u32, 3, 4, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80])?
                } else {
                    std::mem::size_of::<vwo_callbacks>() as u32
                },
                user_data: host.cast(),
                free_user_data: Some(free_user_data),
                storage_get: u.arbitrary::<bool>()?.then_some(storage_get as _),
                storage_set: u.arbitrary::<bool>()?.then_some(storage_set as _),
                log: Some(log_cb),
                log_level: u.int_in_range(-1..=5)?,
                integrations: u.arbitrary::<bool>()?.then_some(integrations_cb as _),
                flush: u.arbitrary::<bool>()?.then_some(flush_cb as _),
            };
            let with_cb = !u.ratio(1, 8)?;
            let null_out = u.ratio(1, 16)?;
            let mut client = null_mut();
            let s = unsafe {
                vwo_client_new(
                    ptr(&opts),
                    if with_cb { &cb } else { null() },
                    if null_out { null_mut() } else { &mut client },
                )
            };
            check(s, "vwo_client_new");
            if s == VWO_OK {
                assert!(!client.is_null());
                if LIVE.with(|l| l.borrow().contains(&(host as usize))) {
                    unsafe { (*host).client = client };
                }
                st.clients.push(client);
            } else {
                assert!(client.is_null());
            }
            // Ownership of `host`: see `host_taken` below.
            if !host_taken(s, with_cb, cb.struct_size) {
                LIVE.with(|l| l.borrow_mut().remove(&(host as usize)));
                drop(unsafe { Box::from_raw(host) });
            }
        }
        1 => {
            let c = client_arg(u, st)?;
            let mut delivered = -1;
            let s = unsafe { vwo_client_close(c, if u.arbitrary()? { &mut delivered } else { null_mut() }) };
            check(s, "vwo_client_close");
        }
        2 => {
            let c = client_arg(u, st)?;
            if forget(&mut st.clients, c) || !u.ratio(1, 2)? {
                // A live client, NULL or a handle of another kind (ignored).
                unsafe { vwo_client_free(c) };
            }
        }
        3 | 4 | 5 => {
            let c = client_arg(u, st)?;
            let key = cstr(&string(u, keys)?);
            let mut flag = null_mut();
            let null_out = u.ratio(1, 16)?;
            let out = if null_out { null_mut() } else { &mut flag };
            let s = if u.arbitrary()? {
                let ctx = cstr(&context_json(u)?);
                unsafe { vwo_get_flag(c, ptr(&key), ptr(&ctx), out) }
            } else {
                let ctx = context_arg(u, st)?;
                unsafe { vwo_get_flag_ctx(c, ptr(&key), ctx, out) }
            };
            check(s, "vwo_get_flag");
            if !null_out {
                // A flag handle always comes back, except for a NULL out-pointer.
                assert!(!flag.is_null(), "no flag handle, status {s}");
                st.flags.push(flag);
            }
        }
        6 | 7 | 8 => {
            let f = flag_arg(u, st)?;
            let key = cstr(&string(u, names)?);
            let null_out = u.ratio(1, 16)?;
            match u.int_in_range(0..=9)? {
                0 => {
                    let e = unsafe { vwo_flag_is_enabled(f) };
                    assert!(e == 0 || e == 1);
                }
                1 => {
                    let r = unsafe { vwo_flag_reason(f) };
                    assert!((0..=5).contains(&r));
                }
                2 => {
                    std::hint::black_box(unsafe { vwo_flag_session_id(f) });
                }
                3 => {
                    let p = unsafe { vwo_flag_uuid(f) };
                    if !p.is_null() {
                        assert!(unsafe { CStr::from_ptr(p) }.to_str().is_ok());
                    }
                }
                4 => {
                    let mut out = 0i32;
                    let s = unsafe { vwo_flag_get_bool(f, ptr(&key), 7, if null_out { null_mut() } else { &mut out }) };
                    check(s, "vwo_flag_get_bool");
                }
                5 => {
                    let mut out = 0i64;
                    let s = unsafe { vwo_flag_get_int(f, ptr(&key), -1, if null_out { null_mut() } else { &mut out }) };
                    check(s, "vwo_flag_get_int");
                }
                6 => {
                    let mut out = 0f64;
                    let s =
                        unsafe { vwo_flag_get_double(f, ptr(&key), 0.5, if null_out { null_mut() } else { &mut out }) };
                    check(s, "vwo_flag_get_double");
                }
                7 => {
                    let default = cstr(&string(u, names)?);
                    let mut out = null_mut();
                    let s = unsafe {
                        vwo_flag_get_string(
                            f,
                            ptr(&key),
                            ptr(&default),
                            if null_out { null_mut() } else { &mut out },
                        )
                    };
                    check(s, "vwo_flag_get_string");
                    unsafe { vwo_string_free(out) };
                }
                8 => {
                    let mut out = null_mut();
                    let s =
                        unsafe { vwo_flag_variable_json(f, ptr(&key), if null_out { null_mut() } else { &mut out }) };
                    check(s, "vwo_flag_variable_json");
                    if !out.is_null() {
                        let _: Value = serde_json::from_slice(unsafe { CStr::from_ptr(out) }.to_bytes())
                            .expect("variable JSON parses");
                    }
                    unsafe { vwo_string_free(out) };
                }
                _ => {
                    let mut out = null_mut();
                    let s = unsafe { vwo_flag_variables_json(f, if null_out { null_mut() } else { &mut out }) };
                    check(s, "vwo_flag_variables_json");
                    if !out.is_null() {
                        let _: Value = serde_json::from_slice(unsafe { CStr::from_ptr(out) }.to_bytes())
                            .expect("variables JSON parses");
                    }
                    unsafe { vwo_string_free(out) };
                }
            }
        }
        9 => {
            let f = flag_arg(u, st)?;
            if forget(&mut st.flags, f) || !u.ratio(1, 2)? {
                unsafe { vwo_flag_free(f) };
            }
        }
        10 if st.contexts.len() < 4 => {
            let ctx = cstr(&context_json(u)?);
            let mut out = null_mut();
            let null_out = u.ratio(1, 16)?;
            let s = unsafe { vwo_context_new(ptr(&ctx), if null_out { null_mut() } else { &mut out }) };
            check(s, "vwo_context_new");
            assert_eq!(s == VWO_OK, !out.is_null());
            if !out.is_null() {
                st.contexts.push(out);
            }
        }
        11 => {
            let c = context_arg(u, st)?;
            if forget(&mut st.contexts, c) || !u.ratio(1, 2)? {
                unsafe { vwo_context_free(c) };
            }
        }
        12 | 13 => {
            let c = client_arg(u, st)?;
            let name = cstr(&string(u, names)?);
            let props = cstr(&json_value(u)?);
            let mut tracked = -1;
            let out = if u.ratio(1, 8)? { null_mut() } else { &mut tracked };
            let s = if u.arbitrary()? {
                let ctx = cstr(&context_json(u)?);
                unsafe { vwo_track_event(c, ptr(&name), ptr(&ctx), ptr(&props), out) }
            } else {
                let ctx = context_arg(u, st)?;
                unsafe { vwo_track_event_ctx(c, ptr(&name), ctx, ptr(&props), out) }
            };
            check(s, "vwo_track_event");
        }
        14 | 15 => {
            let c = client_arg(u, st)?;
            let s = match u.int_in_range(0..=2)? {
                0 => {
                    let key = cstr(&string(u, names)?);
                    let value = cstr(&json_value(u)?);
                    let ctx = cstr(&context_json(u)?);
                    unsafe { vwo_set_attribute(c, ptr(&key), ptr(&value), ptr(&ctx)) }
                }
                1 => {
                    let attrs = cstr(&json_value(u)?);
                    let ctx = cstr(&context_json(u)?);
                    unsafe { vwo_set_attributes(c, ptr(&attrs), ptr(&ctx)) }
                }
                _ => {
                    let attrs = cstr(&json_value(u)?);
                    let ctx = context_arg(u, st)?;
                    unsafe { vwo_set_attributes_ctx(c, ptr(&attrs), ctx) }
                }
            };
            check(s, "vwo_set_attribute(s)");
        }
        16 => {
            let c = client_arg(u, st)?;
            let settings = match u.int_in_range(0..=5)? {
                0 => None,
                1 => Some(b"\xff".to_vec()),
                2 => Some(b"{}".to_vec()),
                3 => Some(SETTINGS[u.int_in_range(0..=SETTINGS.len() - 1)?].as_bytes().to_vec()),
                4 => {
                    // A fixture with a few bytes overwritten.
                    let mut b = SETTINGS[u.int_in_range(0..=SETTINGS.len() - 1)?].as_bytes().to_vec();
                    for _ in 0..u.int_in_range(1..=4)? {
                        let i = u.int_in_range(0..=b.len() - 1)?;
                        b[i] = u.arbitrary()?;
                    }
                    Some(b)
                }
                _ => {
                    let n = u.int_in_range(0..=512)?;
                    Some(u.bytes(n.min(u.len()))?.to_vec())
                }
            };
            let settings = cstr(&settings);
            let s = unsafe { vwo_update_settings(c, ptr(&settings), u.int_in_range(-1..=1)?) };
            check(s, "vwo_update_settings");
        }
        17 => {
            let c = client_arg(u, st)?;
            let mut delivered = -1;
            let s = unsafe { vwo_flush_events(c, 0, if u.arbitrary()? { &mut delivered } else { null_mut() }) };
            check(s, "vwo_flush_events");
        }
        18 => {
            let user = cstr(&string(u, keys)?);
            let account = cstr(&Some(match u.int_in_range(0..=3)? {
                0 => b"123456".to_vec(),
                1 => b"".to_vec(),
                2 => b"\xff".to_vec(),
                _ => {
                    let n = u.int_in_range(0..=16)?;
                    u.bytes(n.min(u.len()))?.to_vec()
                }
            }));
            let account = if u.ratio(1, 10)? { None } else { account };
            let mut out = null_mut();
            let null_out = u.ratio(1, 16)?;
            let s = unsafe { vwo_get_uuid(ptr(&user), ptr(&account), if null_out { null_mut() } else { &mut out }) };
            check(s, "vwo_get_uuid");
            if s == VWO_OK {
                let id = unsafe { CStr::from_ptr(out) }.to_bytes();
                assert_eq!(id.len(), 32);
            }
            unsafe { vwo_string_free(out) };
        }
        19 => {
            let status: i32 = u.arbitrary()?;
            let name = unsafe { CStr::from_ptr(vwo_status_name(status)) };
            assert!(name.to_bytes().starts_with(b"VWO_"));
            let _ = unsafe { CStr::from_ptr(vwo_last_error_message()) };
            let _ = unsafe { CStr::from_ptr(vwo_version()) };
            std::hint::black_box(vwo_abi_version());
        }
        20 => {
            let c = client_arg(u, st)?;
            let user = cstr(&string(u, keys)?);
            let alias = cstr(&string(u, keys)?);
            let mut ok = -1;
            let s = unsafe {
                vwo_set_alias(
                    c,
                    ptr(&user),
                    ptr(&alias),
                    if u.arbitrary()? { &mut ok } else { null_mut() },
                )
            };
            check(s, "vwo_set_alias");
        }
        21 => {
            // Storage results and strings: NULL is always accepted.
            check(
                unsafe { vwo_storage_result_set_json(null_mut(), null(), 0) },
                "set_json(NULL)",
            );
            check(
                unsafe { vwo_storage_result_set_error(null_mut(), null()) },
                "set_error(NULL)",
            );
            unsafe { vwo_string_free(null_mut()) };
        }
        _ => {}
    }
    Ok(())
}

/// Whether the library took ownership of `user_data` (and so releases it through
/// `free_user_data`): it does once `vwo_client_new` got past its argument checks and copied
/// the callbacks (success or `VWO_ERR_INIT`), if the copy reached `free_user_data`.
fn host_taken(s: vwo_status, with_cb: bool, struct_size: u32) -> bool {
    let has_free = struct_size as usize >= std::mem::offset_of!(vwo_callbacks, free_user_data) + 8;
    with_cb && has_free && (s == VWO_OK || s == VWO_ERR_INIT)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut st = State::default();
    for _ in 0..64 {
        if u.is_empty() || step(&mut u, &mut st).is_err() {
            break;
        }
    }
    // Release everything, in an order the fuzzer picks, so that leaks show.
    for f in st.flags.drain(..) {
        unsafe { vwo_flag_free(f) };
    }
    for c in st.contexts.drain(..) {
        unsafe { vwo_context_free(c) };
    }
    for c in st.clients.drain(..) {
        unsafe { vwo_client_free(c) };
    }
});
