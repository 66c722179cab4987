#!/usr/bin/env bash
# Rust components the tests need beyond the default toolchain: rust-src for the
# ThreadSanitizer build (make test-tsan).
set -euo pipefail
rustup component add rust-src rustfmt clippy >/dev/null
