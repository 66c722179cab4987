//! TLS: certificates are verified by default. A server on 127.0.0.1 with a certificate from
//! a private CA is refused, unless that CA is configured with `ca_certs`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use vwo_fme::client::{Callbacks, Client};
use vwo_fme::core::decide::UserContext;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

fn settings() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/conformance/settings/s2_rollout_ab.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// An HTTPS server answering every request with the settings; returns its port.
fn https_server() -> u16 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(format!("{DIR}/server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(format!("{DIR}/server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = settings().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let (config, body) = (Arc::clone(&config), body.clone());
            std::thread::spawn(move || {
                let mut conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut buf = [0u8; 8192];
                // One request per connection is enough for a settings fetch.
                if tls.read(&mut buf).unwrap_or(0) == 0 {
                    return;
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes());
                let _ = tls.flush();
            });
        }
    });
    port
}

fn client(port: u16, ca: Option<&str>) -> Client {
    let mut o = json!({"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": 888888,
                       "proxy_url": format!("https://127.0.0.1:{port}"),
                       "retry_config": {"max_retries": 0}, "threading": {"enabled": false},
                       "is_usage_stats_disabled": true});
    if let Some(ca) = ca {
        o["ca_certs"] = Value::from(ca);
    }
    Client::from_json(&o, Callbacks::default()).unwrap()
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let port = https_server();
    let c = client(port, None);
    assert!(
        c.settings().is_none(),
        "settings from an unverified server must not be installed"
    );
    assert!(!c.get_flag("ab_three_way", &UserContext::new("u1")).enabled);
    c.close();
}

#[test]
fn a_configured_ca_is_trusted() {
    let port = https_server();
    let c = client(port, Some(&format!("{DIR}/ca.pem")));
    assert!(c.settings().is_some(), "settings fetched over verified TLS");
    assert!(c.get_flag("ab_three_way", &UserContext::new("u1")).enabled);
    c.close();
}
