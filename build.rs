//! Build script: records the compiler version (reported in usage statistics) and generates
//! the C header from `src/ffi` with cbindgen into `$OUT_DIR/vwo_fme.h`. The committed copy,
//! `include/vwo_fme.h`, is refreshed by `make header` (which sets `VWO_WRITE_HEADER=1`) and
//! checked against the generated one by the tests.

use std::path::PathBuf;
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
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-env-changed=VWO_WRITE_HEADER");

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("vwo_fme.h");
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml: {e}");
            return;
        }
    };
    // Only the ffi module is the C ABI: parse it (and the modules it declares) alone.
    match cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(&out);
            if std::env::var("VWO_WRITE_HEADER").as_deref() == Ok("1") {
                bindings.write_to_file(crate_dir.join("include/vwo_fme.h"));
            }
        }
        Err(e) => println!("cargo:warning=cbindgen failed: {e}"),
    }
}
