# The benchmark matrix (issue 8, bench/README.md).
#   make bench         every layer (core, Rust client, C ABI, Python, Go, Node, Ruby) on every
#                      scenario of bench/scenarios.json, the official Python and Node SDKs in the
#                      same run, scaling, threads, settings swap: build/bench/results.{json,md}
#   make bench BENCH_ARGS=--quick      a short smoke run (not a baseline)
#   make bench-check   build/bench/results.json (made by `make bench` when absent) against
#                      bench/baseline.json: throughput -15 %, memory +25 %; non-zero on regression
#   make bench-baseline  copy build/bench/results.json to bench/baseline.json
#   make bench-rust    the older Rust benches alone (benches/core.rs, benches/client.rs)
#   make test-bench    the unit tests of the check logic (part of `make test`)
#
# `make bench` first runs the toolchain set-up steps of .ci/setup.d (idempotent: they install
# only what is missing); a layer whose toolchain is still missing is reported as skipped.

BENCH_OUT ?= build/bench
BENCH_ARGS ?=
BENCH_PYTHON ?= python3
BENCH_SETUP := cabi python node go ruby

.PHONY: bench bench-deps bench-cabi bench-check bench-baseline bench-rust test-bench

bench-deps:
	@for s in $(BENCH_SETUP); do \
	  if [ -f .ci/setup.d/$$s.sh ]; then \
	    bash .ci/setup.d/$$s.sh >/dev/null 2>&1 || echo "bench-deps: .ci/setup.d/$$s.sh failed (its layer will be reported as skipped)"; \
	  fi; \
	done

$(BENCH_OUT):
	mkdir -p $@

$(BENCH_OUT)/cabi_matrix: bench/cabi_matrix.c tests/c/support.c tests/c/support.h include/vwo_fme.h | $(BENCH_OUT)
	$(CC) $(CABI_CFLAGS) bench/cabi_matrix.c tests/c/support.c -o $@ $(CABI_LDLIBS)

# The C ABI layer's program (bench/matrix.py builds it through this target).
bench-cabi: lib $(BENCH_OUT)/cabi_matrix

bench: bench-deps lib
	$(BENCH_PYTHON) bench/matrix.py --out $(BENCH_OUT) $(BENCH_ARGS)

$(BENCH_OUT)/results.json:
	$(MAKE) bench

bench-check: $(BENCH_OUT)/results.json
	$(BENCH_PYTHON) bench/check.py --baseline bench/baseline.json --results $(BENCH_OUT)/results.json

bench-baseline: $(BENCH_OUT)/results.json
	$(BENCH_PYTHON) bench/check.py --write-baseline bench/baseline.json --results $(BENCH_OUT)/results.json

bench-rust:
	$(CARGO) bench --bench core
	$(CARGO) bench --bench client

test-bench: python-venv
	$(PY) -m pytest -p no:cacheprovider -q bench/test_check.py

TEST_TARGETS += test-bench
