//! `vwo-fme replay` (conformance cases in, results out) and `vwo-fme mock-server`.

use vwo_fme::conformance::live::replay_live;
use vwo_fme::conformance::mock_server::MockServer;
use vwo_fme::conformance::{read_json, replay::replay_core, write_results};

use crate::args::Args;
use crate::eval::load_settings;

pub fn run(a: &Args) -> Result<i32, String> {
    let settings_path = a.req("settings")?;
    let mut cases = read_json(std::path::Path::new(a.req("cases")?))?;
    if a.flag("python-compat") {
        if let Some(o) = cases.as_object_mut() {
            let opts = o.entry("options").or_insert_with(|| serde_json::json!({}));
            if let Some(m) = opts.as_object_mut() {
                m.insert("python_compat".into(), serde_json::Value::Bool(true));
            }
        }
    }
    let out_path = a.req("out")?;
    let doc = if a.flag("live") {
        let settings = read_json(std::path::Path::new(settings_path))?;
        match a.value("proxy-url") {
            // Someone else's server (e.g. the kit's mock_server.py) records the requests.
            Some(url) => replay_live(&cases, url, &mut Vec::new)?,
            None => {
                let server = MockServer::start(settings, 0).map_err(|e| format!("mock server: {e}"))?;
                let mut drain = || server.take();
                replay_live(&cases, &server.url(), &mut drain)?
            }
        }
    } else {
        replay_core(&load_settings(settings_path)?, &cases)
    };
    let mut text = String::new();
    write_results(&doc, &mut text);
    std::fs::write(out_path, text).map_err(|e| format!("{out_path}: {e}"))?;
    let calls = doc["calls"].as_array().map(Vec::len).unwrap_or(0);
    eprintln!("replayed {calls} calls -> {out_path}");
    Ok(0)
}

pub fn mock_server(a: &Args) -> Result<i32, String> {
    let settings = read_json(std::path::Path::new(a.req("settings")?))?;
    let port: u16 = a
        .value("port")
        .unwrap_or("0")
        .parse()
        .map_err(|_| "--port must be a port number")?;
    let server = MockServer::start(settings, port).map_err(|e| format!("mock server: {e}"))?;
    if let Some(log) = a.value("log") {
        server.log_to(log).map_err(|e| format!("{log}: {e}"))?;
    }
    println!("{}", server.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
