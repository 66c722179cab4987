//! A loopback HTTP/1.1 server that plays VWO: it serves a settings file, answers events, and
//! records every request (method, path, query, headers, body). Tests start it to exercise
//! the real network code; `vwo-fme mock-server` runs it stand-alone.
//!
//! Responses can be scripted per request (status, body, delay, hang, truncated body,
//! redirect) to build fault scenarios.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown as NetShutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

/// A recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET` or `POST`.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The raw query string.
    pub raw_query: String,
    /// Query pairs in order, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query value.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The event name of an `/events/t` request or the names in a batch.
    pub fn event_names(&self) -> Vec<String> {
        let Some(b) = self.json() else { return vec![] };
        let events: Vec<Value> = match b.get("ev") {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![b],
        };
        events
            .iter()
            .filter_map(|e| e.pointer("/d/event/name").and_then(Value::as_str).map(str::to_string))
            .collect()
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal answer.
    Respond {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
        /// Delay before answering.
        delay: Duration,
    },
    /// Never answer (until the server stops).
    Hang,
    /// Announce a longer body than is sent, then close.
    Truncated,
    /// Redirect to a path (a loop if it points at itself).
    Redirect(String),
    /// Close the connection without answering.
    Close,
}

impl Reply {
    /// `200` with a body.
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply::Respond {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// A status with an empty JSON body.
    pub fn status(status: u16) -> Reply {
        Reply::Respond {
            status,
            body: "{}".into(),
            delay: Duration::ZERO,
        }
    }
}

type Script = dyn Fn(&Recorded) -> Option<Reply> + Send + Sync;

struct Shared {
    settings: Mutex<Value>,
    log: Mutex<Vec<Recorded>>,
    script: Mutex<Option<Arc<Script>>>,
    stop: AtomicBool,
    jsonl: Mutex<Option<std::fs::File>>,
    /// Open connections, shut down when the server stops (so keep-alive clients notice).
    conns: Mutex<Vec<TcpStream>>,
}

/// The server. Stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts on `127.0.0.1:port` (0 for any free port), serving `settings`.
    pub fn start(settings: Value, port: u16) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            settings: Mutex::new(settings),
            log: Mutex::new(Vec::new()),
            script: Mutex::new(None),
            stop: AtomicBool::new(false),
            jsonl: Mutex::new(None),
            conns: Mutex::new(Vec::new()),
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("mock-vwo-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if s.stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    if let Ok(c) = conn.try_clone() {
                        s.conns.lock().unwrap_or_else(|p| p.into_inner()).push(c);
                    }
                    let s2 = Arc::clone(&s);
                    let _ = std::thread::Builder::new()
                        .name("mock-vwo-conn".into())
                        .spawn(move || serve(conn, s2));
                }
            })?;
        Ok(MockServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the settings served.
    pub fn set_settings(&self, settings: Value) {
        *self.shared.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    /// Scripts answers: return `Some(reply)` to override the default for a request.
    pub fn script(&self, f: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static) {
        *self.shared.script.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(f));
    }

    /// Also appends every request to a JSONL file.
    pub fn log_to(&self, path: &str) -> std::io::Result<()> {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        *self.shared.jsonl.lock().unwrap_or_else(|p| p.into_inner()) = Some(f);
        Ok(())
    }

    /// Takes the requests recorded so far.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.shared.log.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Requests recorded so far (kept).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until at least `n` requests were recorded, or `timeout` passes.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if self.shared.log.lock().unwrap_or_else(|p| p.into_inner()).len() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        let _ = TcpStream::connect(self.addr);
        for c in self.shared.conns.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = c.shutdown(NetShutdown::Both);
        }
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a raw query on `&` and the first `=`, percent-decoding both sides.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn serve(conn: TcpStream, s: Arc<Shared>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    // Answers go out in one write with Nagle off, or every keep-alive exchange would wait
    // for a delayed ACK (40 ms per request on Linux).
    let _ = conn.set_nodelay(true);
    let Ok(write_half) = conn.try_clone() else { return };
    let mut w = write_half;
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            match r.read_line(&mut h) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0u8; len.min(64 * 1024 * 1024)];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let (path, raw_query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let rec = Recorded {
            method,
            query: parse_query(&raw_query),
            path,
            raw_query,
            headers,
            body,
        };
        if let Some(f) = s.jsonl.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let line = json!({"method": rec.method, "path": rec.path, "raw_query": rec.raw_query,
                              "query": rec.query, "headers": rec.headers, "body": rec.json()});
            let _ = writeln!(f, "{line}");
        }
        let scripted = s
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .and_then(|f| f(&rec));
        let is_settings = rec.method == "GET" && (rec.path.ends_with("/v2-settings") || rec.path.ends_with("/v2-pull"));
        s.log.lock().unwrap_or_else(|p| p.into_inner()).push(rec);
        let reply = scripted.unwrap_or_else(|| {
            if is_settings {
                Reply::ok(s.settings.lock().unwrap_or_else(|p| p.into_inner()).to_string())
            } else {
                Reply::ok("{}")
            }
        });
        match reply {
            Reply::Respond { status, body, delay } => {
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                out.push_str(&body);
                if w.write_all(out.as_bytes()).is_err() {
                    return;
                }
            }
            Reply::Hang => {
                while !s.stop.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return;
            }
            Reply::Truncated => {
                let _ = w.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ver",
                );
                let _ = w.shutdown(NetShutdown::Both);
                return;
            }
            Reply::Redirect(to) => {
                let head = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
                if w.write_all(head.as_bytes()).is_err() {
                    return;
                }
            }
            Reply::Close => {
                let _ = w.shutdown(NetShutdown::Both);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing_decodes_each_side() {
        assert_eq!(
            parse_query("en=a%20b&x=&y&ua=Mozilla%2F5.0"),
            vec![
                ("en".into(), "a b".into()),
                ("x".into(), "".into()),
                ("y".into(), "".into()),
                ("ua".into(), "Mozilla/5.0".into())
            ]
        );
    }
}
