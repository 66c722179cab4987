//! `vwo-fme replay`: conformance cases in, results out.

use vwo_fme::conformance::{read_json, replay::replay_core, write_results};

use crate::args::Args;
use crate::eval::load_settings;

pub fn run(a: &Args) -> Result<i32, String> {
    let s = load_settings(a.req("settings")?)?;
    let cases = read_json(std::path::Path::new(a.req("cases")?))?;
    let out_path = a.req("out")?;
    if a.flag("live") {
        return Err("--live needs the runtime client (not built yet)".into());
    }
    let doc = replay_core(&s, &cases);
    let mut text = String::new();
    write_results(&doc, &mut text);
    std::fs::write(out_path, text).map_err(|e| format!("{out_path}: {e}"))?;
    let calls = doc["calls"].as_array().map(Vec::len).unwrap_or(0);
    eprintln!("replayed {calls} calls -> {out_path}");
    Ok(0)
}
