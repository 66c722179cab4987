# Python binding (bindings/python): the `vwo_fme` package over the C ABI (ctypes).
#   make test-python    build the library, install the package into build/python-venv with
#                       `pip install ./bindings/python`, run its pytest suite
#   make bench-python   get_flag latency vs the official vwo-fme-python-sdk 1.65.0
#                       (installed into the same venv as a benchmark-only dependency)

PYTHON ?= python3
PY_VENV := build/python-venv
PY := $(PY_VENV)/bin/python

.PHONY: test-python bench-python python-venv python-install

$(PY):
	$(PYTHON) -m venv $(PY_VENV)

python-venv: $(PY)
	$(PY) -m pip install --quiet pytest "setuptools>=77" wheel

python-install: lib python-venv
	$(PY) -m pip install --quiet --force-reinstall --no-deps ./bindings/python

test-python: python-install
	cd bindings/python && ../../$(PY) -m pytest -p no:cacheprovider -q -rs tests

bench-python: python-install
	@$(PY) -c 'import vwo' 2>/dev/null || $(PY) -m pip install --quiet vwo-fme-python-sdk==1.65.0
	$(PY) bindings/python/bench/bench_get_flag.py

TEST_TARGETS += test-python
