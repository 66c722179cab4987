# Fuzzing (fuzz/README.md): cargo-fuzz targets on the stable toolchain (RUSTC_BOOTSTRAP=1).
# Not part of `make test`.
#   make fuzz-smoke                    every target for FUZZ_SMOKE_SECONDS (60) each, one at a time
#   make fuzz-long                     the long runs: FUZZ_SECONDS (900) per target, FUZZ_JOBS (2) at a time
#   make fuzz-long FUZZ_SECONDS=1200 FUZZ_TARGETS="segmentation ffi_sequence"
#   make fuzz-corpus                   (re)write the seed corpora from tests/fixtures

FUZZ_TARGETS ?= settings context segmentation ffi_sequence
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_SECONDS ?= 900
FUZZ_JOBS ?= 2
FUZZ_ENV := RUSTC_BOOTSTRAP=1

.PHONY: fuzz-tools fuzz-corpus fuzz-build fuzz-smoke fuzz-long

fuzz-tools:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz-corpus:
	python3 fuzz/seed_corpus.py

fuzz-build: fuzz-tools
	$(FUZZ_ENV) $(CARGO) fuzz build

fuzz-smoke: fuzz-build fuzz-corpus
	fuzz/run.sh $(FUZZ_SMOKE_SECONDS) 1 $(FUZZ_TARGETS)

fuzz-long: fuzz-build fuzz-corpus
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)
