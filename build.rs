//! Build script: records the compiler version (reported in usage statistics).

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().trim_start_matches("rustc ").to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=VWO_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
}
