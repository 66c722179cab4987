# vwo-fme: one command for the demo, one for every test.
#   make demo   decisions for a handful of users on examples/settings.json, offline
#   make test   formatting, lints and every test suite

CARGO ?= cargo
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: all build demo test test-rust lint bench clean

all: build

build:
	$(CARGO) build --release

demo:
	$(CARGO) run --quiet --release --example demo

test: lint test-rust

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test --release -- --nocapture

bench:
	$(CARGO) bench --bench core
	$(CARGO) bench --bench client

clean:
	$(CARGO) clean
