# Data-race check: the concurrent paths (dispatcher unit tests, the 16-thread settings-swap
# test, the fault matrix) under ThreadSanitizer. Needs the standard library rebuilt with
# TSan instrumentation (rust-src component; RUSTC_BOOTSTRAP unlocks -Z flags on stable).
TSAN_TARGET_DIR ?= target/tsan

.PHONY: test-tsan
test-tsan:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread" TSAN_OPTIONS="halt_on_error=1" VWO_SWAP_CALLS=20000 \
	  CARGO_TARGET_DIR=$(TSAN_TARGET_DIR) $(CARGO) test -Zbuild-std --target x86_64-unknown-linux-gnu --release \
	  --lib --test client_runtime --test client_faults -- --test-threads 2

TEST_TARGETS += test-tsan
