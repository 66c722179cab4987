//! HTTP over `ureq` with rustls: certificates are verified (Mozilla's roots by default, or
//! the CA certificates the options name), timeouts are bounded, response bodies are capped.

use std::sync::Arc;
use std::time::Duration;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST with a JSON body
    Post,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// Full URL with its query.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// JSON body (POST).
    pub body: Option<Vec<u8>>,
    /// Time allowed for the whole exchange.
    pub timeout: Duration,
}

/// A response (any status).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Body text (lossy UTF-8), at most [`MAX_BODY`] bytes.
    pub body: String,
}

/// Largest response body read (settings files are well below this).
pub const MAX_BODY: u64 = 32 * 1024 * 1024;

/// Largest answer read to a POST (events, aliases: a few bytes of JSON are expected).
pub const MAX_POST_ANSWER: u64 = 1024 * 1024;

/// Sends requests. Implemented over `ureq`; a trait so the runtime can be driven by other
/// transports (for instance an in-process one in benchmarks).
pub trait Transport: Send + Sync {
    /// Sends one request; `Err` for connection, TLS, timeout and protocol failures.
    fn send(&self, req: &Request) -> Result<Response, String>;
    /// Forgets pooled connections (after a fork, they belong to the parent).
    fn reset(&self) {}
}

/// TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM text of CA certificates to trust instead of the built-in roots.
    pub ca_pem: Option<String>,
}

/// The `ureq` transport.
pub struct UreqTransport {
    agent: arc_swap::ArcSwap<ureq::Agent>,
    tls: TlsOptions,
}

impl UreqTransport {
    /// A transport with a connection pool, verified TLS and at most 5 redirects.
    pub fn new(tls: &TlsOptions) -> Result<UreqTransport, String> {
        Ok(UreqTransport {
            agent: arc_swap::ArcSwap::from_pointee(Self::agent(tls)?),
            tls: tls.clone(),
        })
    }

    fn agent(tls: &TlsOptions) -> Result<ureq::Agent, String> {
        let mut tls_cfg = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &tls.ca_pem {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem.as_bytes()) {
                if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                    certs.push(c.to_owned());
                }
            }
            if certs.is_empty() {
                return Err("ca_certs: no PEM certificate found".into());
            }
            tls_cfg = tls_cfg.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(5)
            .max_redirects_will_error(true)
            .user_agent(format!("vwo-fme-rust/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_cfg.build())
            .build()
            .into();
        Ok(agent)
    }
}

impl Transport for UreqTransport {
    fn reset(&self) {
        if let Ok(fresh) = Self::agent(&self.tls) {
            // The old pool's sockets are shared with the parent process: leak them here
            // rather than closing (or, for TLS, shutting down) the parent's connections.
            std::mem::forget(self.agent.swap(std::sync::Arc::new(fresh)));
        }
    }

    fn send(&self, req: &Request) -> Result<Response, String> {
        let agent = self.agent.load();
        let result = match req.method {
            Method::Get => {
                let mut b = agent.get(&req.url).config().timeout_global(Some(req.timeout)).build();
                for (k, v) in &req.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.call()
            }
            Method::Post => {
                let mut b = agent.post(&req.url).config().timeout_global(Some(req.timeout)).build();
                for (k, v) in &req.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.send(req.body.as_deref().unwrap_or(&[]))
            }
        };
        let mut resp = result.map_err(describe)?;
        let status = resp.status().as_u16();
        let limit = match req.method {
            Method::Get => MAX_BODY,
            Method::Post => MAX_POST_ANSWER,
        };
        let bytes = match resp.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(b) => b,
            // A POST answered 2xx was accepted: a body that cannot be read (cut short, too
            // large) must not turn delivered events into a failure, whose retry would send
            // them twice.
            Err(_) if req.method == Method::Post && (200..300).contains(&status) => Vec::new(),
            Err(e) => return Err(describe(e)),
        };
        Ok(Response {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timeout ({t})"),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::TooManyRedirects => "too many redirects".into(),
        ureq::Error::BodyExceedsLimit(n) => format!("response body larger than {n} bytes"),
        other => other.to_string(),
    }
}
