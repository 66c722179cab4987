# vwo-fme: one command for the demo, one for every test.
#   make demo   the C quickstart (examples/quickstart.c) on examples/settings.json, offline
#               (defined in mk/cabi.mk; `make demo-rust` runs the Rust example)
#   make test   formatting, lints and every test suite
#   make bench  the benchmark matrix (mk/bench.mk); make bench-check: against bench/baseline.json
#
# Each part of the project adds its own targets in mk/*.mk and appends its test target to
# TEST_TARGETS (and its install steps to .ci/setup.d/).

CARGO ?= cargo
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

TEST_TARGETS := lint test-rust abi-symbols
LIB_DIR := target/release

.PHONY: all build lib demo test test-rust lint header abi-symbols clean

all: build

build:
	$(CARGO) build --release

# The shared and static libraries and the vwo-fme binary.
lib:
	$(CARGO) build --release --lib --bins

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test --release -- --nocapture

# Regenerate include/vwo_fme.h from src/ffi (tests fail while it is stale).
header:
	VWO_WRITE_HEADER=1 $(CARGO) build --release --lib

# Only vwo_* symbols may be exported by the shared library.
abi-symbols: lib
	@bad=$$(nm -D --defined-only $(LIB_DIR)/libvwo_fme.so | awk '{print $$3}' | grep -v '^vwo_' || true); \
	if [ -n "$$bad" ]; then echo "non-vwo_ symbols exported:"; echo "$$bad"; exit 1; fi; \
	echo "exported symbols: $$(nm -D --defined-only $(LIB_DIR)/libvwo_fme.so | wc -l), all vwo_*"

clean:
	$(CARGO) clean

-include mk/*.mk

test: $(TEST_TARGETS)
